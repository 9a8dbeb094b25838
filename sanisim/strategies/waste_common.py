"""What the solid-waste programmes share (``mechanisms.solid_waste``, :mod:`sanisim.waste`).

* :data:`ADDRESSES` — the strategy key ``addresses`` of programmes whose visits or sessions
  may speak of more than one household behaviour (bcc, demand_creation): the ladders they
  address, ``["sanitation"]`` by default, ``["sanitation", "waste"]`` when the programme also
  promotes solid-waste handling (STBM's pillars are delivered by the same sanitarians and
  cadres). :func:`deliver_to_waste` is the one call such a programme makes.
* :class:`AreaProgramme` — a programme of units serving areas (RW or village) with a
  capacity: a collection service, waste banks, recycling centres. Each month (phase
  ``waste``, after the households' own decisions) its members pay their fee (those who
  cannot, leave), some drop out, the units are paid for, and households of served areas at
  the eligible rungs take up its offer with the decision hazard of the waste ladder
  (:meth:`sanisim.waste.Waste.hazard`: the offer's ``uptake`` as innovation term), within
  the units' room.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sanisim.errors import InputError
from sanisim.parameters import Param
from sanisim.strategies.common import Programme
from sanisim.waste import LADDERS, Route, Waste, WasteRung

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


@dataclass(frozen=True)
class LadderList(Param):
    """A record whose value is a list of ladder names (:data:`sanisim.waste.LADDERS`) that
    must hold ``sanitation`` (these programmes always address sanitation)."""

    def allowed(self) -> str:
        return "a list of ladder names holding 'sanitation': ['sanitation'] or " \
               "['sanitation', 'waste']"

    def check(self, value: Any, source: str) -> Any:
        if (not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value)
                or len(set(value)) != len(value) or not set(value) <= set(LADDERS)
                or "sanitation" not in value):
            raise InputError(source, self.key, f"got {value!r}; allowed: {self.allowed()}")
        return tuple(value)


ADDRESSES = LadderList(
    "addresses", ("sanitation",), "",
    "The household behaviours the programme's visits or sessions address: sanitation, and "
    "solid waste with 'waste' (they then raise the waste factors too; needs "
    "mechanisms.solid_waste).",
    "programme design (scenario): STBM's five pillars share sanitarians and cadres",
    choices=LADDERS)


def deliver_to_waste(strategy: Any, model: SanitationModel, rows: np.ndarray,
                     names: tuple[str, ...], effect: float) -> None:
    """A visit or session of ``strategy`` that addresses the waste ladder raises the waste
    factors ``names`` of ``rows`` by ``effect`` (share of the gap to 1); nothing otherwise."""
    if model.waste is not None and "waste" in strategy.config.get("addresses", ()):
        model.waste.raise_factors(rows, names, effect)


def areas_in_need(model: SanitationModel, area: np.ndarray, rung: WasteRung,
                  count: int) -> np.ndarray:
    """The ``count`` areas (indices of ``area``) with the lowest share of households at
    ``rung`` or above, lowest first (ties by index; no draw)."""
    n_area = int(area.max()) + 1
    size = np.bincount(area, minlength=n_area)
    at = np.bincount(area, weights=model.waste.rung >= rung, minlength=n_area)
    share = np.where(size > 0, at / np.maximum(size, 1), np.inf)
    return np.argsort(share, kind="stable")[:min(count, n_area)]


class AreaProgramme(Programme, ABC):
    """Units of a programme serving areas, each with a capacity (see the module docs).

    Subclasses set ``AREA`` ("rw" or "village"), ``TOWARD`` (the rung members reach),
    ``FROM`` (the rungs of households that may join) and ``ITEM`` (the books' item), and
    define :meth:`layout` (the areas served and each unit's capacity).
    """

    AREA: ClassVar[str] = "rw"
    REQUIRES: ClassVar[tuple[str, ...]] = ("mechanisms.solid_waste",)
    TOWARD: ClassVar[WasteRung] = WasteRung.REDUCED
    FROM: ClassVar[tuple[WasteRung, ...]] = (WasteRung.HANDLED,)
    ITEM: ClassVar[str] = ""
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "units", "capacity", "members", "joined", "left_unable_to_pay", "dropped_out",
        "fees_paid", "spent")
    #: per-unit fee, income and costs (rupiah); subclasses' records set those they have
    fee: float = 0.0
    member_income: float = 0.0
    member_cost: float = 0.0

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        self.lingers = True  # after the last month the units close: members fall back

    @abstractmethod
    def layout(self, model: SanitationModel) -> tuple[np.ndarray, np.ndarray]:
        """The areas served (indices) and each one's capacity (households)."""

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        if model.waste is None:
            raise InputError(model.config.path or model.config.name,
                             f"strategies.{self.name}",
                             f"a {self.type_name!r} programme needs the solid-waste ladder: "
                             "set mechanisms.solid_waste = true")
        self.waste: Waste = model.waste
        self.area = getattr(model.households, self.AREA)
        self.route: Route | None = None
        self.values = dict.fromkeys(self.OUTPUTS, 0)
        self.closed = False

    def _open(self, model: SanitationModel) -> None:
        """The units open in the first month: the areas in most need (within the budget)."""
        areas, capacity = self.layout(model)
        built = self.affordable(self.build_cost, areas.size) if self.build_cost else areas.size
        areas, capacity = areas[:built], capacity[:built]
        unit_of_area = np.full(int(self.area.max()) + 1, -1, np.int32)
        unit_of_area[areas] = np.arange(areas.size)
        self.route = self.waste.add_route(self.name, Route(
            self.TOWARD, unit_of_area[self.area], capacity))
        if built and self.build_cost:
            self.spend(model, built * self.build_cost, f"{self.ITEM}_built")

    # ---------------------------------------------------------------- the month
    def on_waste(self, model: SanitationModel) -> None:
        values = dict.fromkeys(self.OUTPUTS, 0)
        if not self.acting(model.month):
            if self.route is not None and not self.closed:
                self.route.clear()  # the programme ended: members fall back to their practice
                self.closed = True
            self.values = values
            self.lingers = False
            return
        if self.route is None:
            self._open(model)
        route, hh = self.route, model.households
        members = np.flatnonzero(route.members)
        if self.fee > 0 and members.size:
            paid, unable = Waste.pay(hh, members, self.fee)
            route.leave(unable)
            values["left_unable_to_pay"] = unable.size
            values["fees_paid"] = self.fee * paid.size
            model.book("households", self.ITEM, values["fees_paid"])
            members = paid
        dropping = members[self.rng.random(members.size) < self.dropout]
        route.leave(dropping)
        values["dropped_out"] = dropping.size
        self._pay_units(model, values)
        members = np.flatnonzero(route.members)
        if self.member_income:
            hh.savings[members] += self.member_income
        values["joined"] = self._join(model).size
        values["units"] = int(np.count_nonzero(route.capacity))
        values["capacity"] = int(route.capacity.sum())
        values["members"] = int(np.count_nonzero(route.members))
        self.values = values

    def _pay_units(self, model: SanitationModel, values: dict) -> None:
        """The month's running costs: per open unit and per member, beyond the fees. Units
        the budget cannot pay close (their members leave)."""
        route = self.route
        counts = route.counts()
        open_units = np.flatnonzero(route.capacity > 0)
        cost = self.running_cost + np.maximum(self.member_cost - self.fee, 0.0) * counts[
            open_units]
        within = np.cumsum(cost) <= max(self.budget_left, 0.0)
        closing = open_units[~within]
        if closing.size:
            route.capacity[closing] = 0
            route.leave(np.flatnonzero(np.isin(route.member, closing)))
        total = float(cost[within].sum())
        if total > 0:
            self.spend(model, total, self.ITEM)

    def _join(self, model: SanitationModel) -> np.ndarray:
        """Households of served areas at the eligible rungs take up the offer (decision
        hazard, the strategy's own draws) within the units' room, in random order."""
        route, hh = self.route, model.households
        rung = self.waste.rung
        open_area = route.unit_of_row >= 0
        open_area[open_area] = route.capacity[route.unit_of_row[open_area]] > 0
        candidates = np.flatnonzero(open_area & ~route.members & np.isin(rung, self.FROM))
        candidates = self.within_reach(candidates)
        if self.fee > 0:
            candidates = candidates[hh.savings[candidates] >= self.fee]
        hazard = self.waste.hazard(candidates, self.uptake, self.TOWARD)
        draws = self.rng.random(candidates.size)
        taking = draws < hazard
        takers = candidates[taking][np.argsort(draws[taking], kind="stable")]
        return route.join(takers)

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        values = dict(self.values) if model.month >= self.start else dict.fromkeys(
            self.OUTPUTS, 0)
        values["spent"] = self.spent
        return self.named(values)
