"""Household solid waste: a second behaviour ladder beside sanitation (``mechanisms.solid_waste``).

The ladder has three rungs (:class:`WasteRung`): **untreated** (burned or dumped),
**handled** (collected, or managed at home) and **reduced** (sorted, composted or recycled,
through a waste bank, a recycling centre or at home). A household's rung is the highest of
its own practice (``practice``: 0, 1 or 2) and of the programme routes it belongs to
(:class:`Route`: a collection service makes it handled; a waste bank or a recycling centre
makes it reduced).

**Decisions.** The same decision rule as sanitation (:func:`sanisim.behaviour.decision_hazard`)
with the ladder's own terms: a household at untreated takes up handling at home with
``h = min(1, (p_handle + q_handle * D_h) * M)``, one at handled takes up composting at home
with ``h = min(1, (p_reduce + q_reduce * D_r) * M)``. ``D_h`` and ``D_r`` are the shares of
its network neighbours at handled or better and at reduced (the sparse neighbour sums of
:mod:`sanisim.network`, as for sanitation); ``M`` is :func:`sanisim.behaviour.motivation` of
the household's RANAS factors *for waste* (:class:`WasteFactors`: they start at the
household's own baseline factors and are raised only by visits and campaigns that address
the waste ladder, ``addresses`` of a strategy). A programme's offer adds its own innovation
term to the same hazard (:meth:`Waste.hazard`). A household's own practice slips one rung
with ``waste.lapse`` a month. Collection fees are paid from savings; a household that cannot
pay leaves the service (savings never go below zero).

Nothing of this exists when the switch is off: no stream is drawn, no column is recorded.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from sanisim.behaviour import (
    decay_factor,
    decision_hazard,
    motivation,
    raise_factors,
    relax_factors,
)
from sanisim.draws import run_ranks, uniform32
from sanisim.population import FACTORS, Households

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.network import SocialNetwork
    from sanisim.streams import Streams


class WasteRung(IntEnum):
    UNTREATED = 0
    HANDLED = 1
    REDUCED = 2


#: Output columns of the ladder (shares of households), in rung order.
WASTE_COLUMNS: tuple[str, ...] = ("waste_untreated", "waste_handled", "waste_reduced")
WASTE_KEYS: tuple[str, ...] = ("untreated", "handled", "reduced")
#: The ladders a programme can address (strategy key ``addresses``).
LADDERS: tuple[str, ...] = ("sanitation", "waste")


class WasteFactors:
    """A household's RANAS factors for the waste behaviour (float32 arrays, 0-1).

    Shaped like :class:`~sanisim.population.Households` for the functions of
    :mod:`sanisim.behaviour`: ``n``, each factor and its ``base_<factor>``. They start as
    copies of the household's baseline factors (no draw) and relax toward them.
    """

    def __init__(self, hh: Households) -> None:
        self.n = hh.n
        for name in FACTORS:
            base = getattr(hh, f"base_{name}").copy()
            setattr(self, f"base_{name}", base)
            setattr(self, name, base.copy())


class Route:
    """A programme route on the ladder: units (banks, centres, a service) serving areas.

    ``unit_of_row`` is the unit serving each household's area (-1: none); ``capacity`` the
    households each unit can take; ``member`` the unit each household belongs to (-1: none).
    A member stands at least at ``rung``.
    """

    def __init__(self, rung: WasteRung, unit_of_row: np.ndarray, capacity: np.ndarray) -> None:
        self.rung = int(rung)
        self.unit_of_row = unit_of_row.astype(np.int32)
        self.capacity = np.asarray(capacity, np.int64)
        self.member = np.full(unit_of_row.size, -1, np.int32)

    @property
    def members(self) -> np.ndarray:
        return self.member >= 0

    def counts(self) -> np.ndarray:
        """Members of each unit."""
        return np.bincount(self.member[self.member >= 0], minlength=self.capacity.size)

    def room(self) -> np.ndarray:
        """Places left in each unit."""
        return np.maximum(self.capacity - self.counts(), 0)

    def join(self, rows: np.ndarray) -> np.ndarray:
        """Rows (in order of priority) join their area's unit while it has room; returns the
        rows that joined."""
        if rows.size == 0:
            return rows
        unit = self.unit_of_row[rows]
        rows, unit = rows[unit >= 0], unit[unit >= 0]
        # the k-th applicant of a unit gets in when k < room
        order = np.argsort(unit, kind="stable")
        rank = np.empty(rows.size, np.int64)
        rank[order] = run_ranks(unit[order])
        taken = rank < self.room()[unit]
        self.member[rows[taken]] = unit[taken]
        return rows[taken]

    def leave(self, rows: np.ndarray) -> None:
        self.member[rows] = -1

    def clear(self) -> None:
        self.member[:] = -1


class Waste:
    """The solid-waste ladder of a model's households (see the module docs)."""

    def __init__(self, hh: Households, params, streams: Streams) -> None:
        self.n = hh.n
        self.params = params
        self.streams = streams
        shares = np.array([params[f"waste.start_shares.{k}"] for k in WASTE_KEYS])
        draws = streams["waste"].random(hh.n)
        self.practice = np.searchsorted(np.cumsum(shares)[:-1], draws, side="right").astype(
            np.int8)
        self.factors = WasteFactors(hh)
        self.keep = decay_factor(params["factors.half_life_months"])
        self.routes: dict[str, Route] = {}
        self.neighbours_handled = np.zeros(hh.n, np.float32)
        self.neighbours_reduced = np.zeros(hh.n, np.float32)
        self.multiplier: np.ndarray | None = None

    # ---------------------------------------------------------------- state
    @property
    def rung(self) -> np.ndarray:
        """Each household's rung: the highest of its own practice and its routes."""
        return self.rung_of(slice(None))

    def rung_of(self, rows: np.ndarray | slice) -> np.ndarray:
        """The rung of ``rows`` only (no pass over every household)."""
        rung = self.practice[rows].copy()
        for route in self.routes.values():
            members = route.member[rows] >= 0
            rung[members] = np.maximum(rung[members], route.rung)
        return rung

    def add_route(self, name: str, route: Route) -> Route:
        if name in self.routes:
            raise ValueError(f"waste route {name!r} exists")
        self.routes[name] = route
        return route

    def shares(self) -> dict[str, float]:
        """The monthly columns: share of households at each rung."""
        counts = np.bincount(self.rung, minlength=len(WasteRung))
        return dict(zip(WASTE_COLUMNS, (counts / self.n).tolist(), strict=True))

    # ---------------------------------------------------------------- programmes' levers
    def raise_factors(self, rows: np.ndarray, names: tuple[str, ...], effect: float) -> None:
        """A visit or campaign that addresses the waste ladder: close ``effect`` of the gap
        to 1 of the waste factors ``names`` of ``rows``."""
        raise_factors(self.factors, np.asarray(rows), names, effect)  # type: ignore[arg-type]

    def hazard(self, rows: np.ndarray, offer: float, toward: WasteRung,
               imitation: float | None = None) -> np.ndarray:
        """Monthly probability that ``rows`` take up an offer that moves them ``toward`` a
        rung: the decision hazard with the offer as its innovation term, the ladder's
        imitation term and neighbour share for that rung, and the waste motivation."""
        p = self.params
        if toward == WasteRung.REDUCED:
            share, q = self.neighbours_reduced[rows], p["waste.q_reduce"]
        else:
            share, q = self.neighbours_handled[rows], p["waste.q_handle"]
        q = q if imitation is None else imitation
        multiplier = None if self.multiplier is None else self.multiplier[rows]
        return decision_hazard(share.astype(np.float32), offer, q, multiplier)

    @staticmethod
    def pay(hh: Households, rows: np.ndarray, fee: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows pay ``fee`` rupiah from their savings; returns (paid, unable) rows. Those
        who cannot pay pay nothing: savings never fall below zero from a fee."""
        able = hh.savings[rows] >= fee
        paid = rows[able]
        hh.savings[paid] -= fee
        return paid, rows[~able]

    # ---------------------------------------------------------------- the month
    def step(self, network: SocialNetwork) -> None:
        """Factors relax; neighbour shares and motivation for this month; own practices
        taken up (untreated to handled, handled to reduced) or lapsing."""
        p = self.params
        relax_factors(self.factors, self.keep)  # type: ignore[arg-type]
        rung = self.rung
        self.neighbours_handled = network.share_from_sum(
            network.neighbour_sum((rung >= WasteRung.HANDLED).astype(np.float32)))
        self.neighbours_reduced = network.share_from_sum(
            network.neighbour_sum((rung >= WasteRung.REDUCED).astype(np.float32)))
        self.multiplier = motivation(self.factors, p)  # type: ignore[arg-type]
        draws = uniform32(self.streams["waste:decide"], self.n)
        untreated = np.flatnonzero(rung == WasteRung.UNTREATED)
        handle = self.hazard(untreated, p["waste.p_handle"], WasteRung.HANDLED)
        handled = np.flatnonzero((rung == WasteRung.HANDLED)
                                 & (self.practice < WasteRung.REDUCED))
        reduce = self.hazard(handled, p["waste.p_reduce"], WasteRung.REDUCED)
        lapse = np.flatnonzero(self.practice > 0)
        lapse = lapse[self.streams["waste:lapse"].random(lapse.size) < p["waste.lapse"]]
        self.practice[lapse] -= 1
        self.practice[untreated[draws[untreated] < handle]] = WasteRung.HANDLED
        self.practice[handled[draws[handled] < reduce]] = WasteRung.REDUCED
