"""Communal treatment plants (SANIMAS, IPAL komunal) run by community groups (KSM/KPP).

Phases (the strategy's hooks):

* ``communities`` — while the strategy acts (``start..end``), a plant is built in an RT where
  enough households commit: the share of the RT's households that are below safely managed,
  not connected, not building, and either intend to build (``intent``) or hold a strong
  injunctive norm / public commitment (``norm >= commit_norm``) reaches
  ``commit_threshold``. The most committed RTs go first, at most ``plants_per_month`` a month,
  while the budget pays the capital cost (``cost_per_connection`` x RT households, booked to
  the funder). Each plant gets a :class:`CommunityGroup` agent. Committed households connect
  (``households.connected``, rung safely managed); later committers of an RT with a working
  plant connect too, also after ``end`` (the group keeps running its plant).
* ``desludging`` — each group collects the monthly fee: a member pays with probability
  ``collection_efficiency x (1 - commitment_weight + commitment_weight x norm)`` if its
  savings cover the fee (fees booked as household spending); the group pays operation and
  maintenance (``om_cost`` per connection) from its account. A month in which the account
  cannot pay the full O&M bill is a short month; after ``fail_after`` short months in a row
  the plant fails and the group disbands.
* ``failure`` — a member whose own toilet failed (the model's failure phase) leaves the plant.

When a plant fails, its members are disconnected and fall back to what they had before
connecting, but not below unimproved: a household that had its own septic tank is at basic
again (its tank was not emptied meanwhile); one that had no improved toilet of its own keeps
the pour-flush toilet, which now discharges untreated (JMP: flush to elsewhere, unimproved);
one that shared (limited) shares again. A failed plant is not rebuilt in the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

FEE_ITEM = "communal_fees"
CAPITAL_ITEM = "communal_plant"


class CommunityGroup(mesa.Agent):
    """The KSM/KPP of one communal plant: collects fees, pays O&M, keeps or gives up the plant.

    Books (rupiah): ``balance == collected_total - om_paid_total`` and
    ``om_paid_total <= om_due_total`` after every month.
    """

    def __init__(self, model: SanitationModel, plant: int, rt: int, size: int, fee: float,
                 om_cost: float, fail_after: int) -> None:
        super().__init__(model)
        self.plant = plant
        self.rt = rt
        self.size = size  # connections the plant is built for (the RT's households)
        self.fee = fee
        self.om_cost = om_cost
        self.fail_after = fail_after
        self.built_month = model.month
        self.failed_month: int | None = None
        self.operating = True
        self.members = 0
        self.balance = 0.0
        self.collected_total = 0.0
        self.om_due_total = 0.0
        self.om_paid_total = 0.0
        self.short_months = 0

    def settle(self, collected: float, members: int) -> bool:
        """Bank this month's fees and pay O&M; return True when the group gives up the plant."""
        self.members = members
        self.balance += collected
        self.collected_total += collected
        due = self.om_cost * members
        paid = min(due, self.balance)
        self.balance -= paid
        self.om_due_total += due
        self.om_paid_total += paid
        self.short_months = self.short_months + 1 if paid < due else 0
        if self.short_months >= self.fail_after:
            self.operating = False
            self.failed_month = self.model.month
        return not self.operating


@register
class Communal(Programme):
    """Communal plants per RT, built on commitment, kept running by fee collection."""

    type_name: ClassVar[str] = "communal"
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "plants", "plants_built", "plants_failed", "connected", "fees", "om_paid", "balance",
    )
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("commit_norm", 0.5, "index 0-1",
              "Injunctive norm / public commitment at which a household counts as committed "
              "(households intending to build count too).",
              "assumption: well above the scenario mean factors.norm (0.4)", 0.0, 1.0),
        Param("commit_threshold", 0.4, "share of RT households",
              "Share of an RT's households that must commit before a plant is built there.",
              "assumption: SANIMAS needs a community proposal backed by its members", 0.0, 1.0),
        Param("min_households", 10, "households",
              "Smallest RT that gets a plant.", "assumption", 1, 10_000),
        Param("plants_per_month", 1, "plants per month",
              "Most plants built in a month (programme's construction pace).", "assumption",
              0, 10_000),
        Param("cost_per_connection", 8_000_000.0, "rupiah per household",
              "Capital cost of a plant per household of the RT it is built for.",
              "assumption: near the government's individual septic tank, Rp 8-12 M "
              "(DAK 2023-24, EVIDENCE.md)", 0.0, None),
        Param("fee", 20_000.0, "rupiah per household-month",
              "Monthly operation and maintenance fee a connected household owes the group.",
              "assumption: no Indonesian figure in EVIDENCE.md; exposed to sensitivity analysis",
              0.0, None),
        Param("om_cost", 12_000.0, "rupiah per connection-month",
              "Operation and maintenance the group pays per connected household.",
              "assumption: below the fee, so a plant lasts when about 60% of fees come in",
              0.0, None),
        Param("collection_efficiency", 0.9, "probability per month",
              "Chance a fully committed member pays its fee in a month (the group's collection "
              "effort).", "assumption: sustainability hinges on fee collection (DESIGN.md)",
              0.0, 1.0),
        Param("commitment_weight", 0.5, "share",
              "How much a member's norm / commitment matters for paying: payment probability "
              "is collection_efficiency x (1 - w + w x norm).", "assumption", 0.0, 1.0),
        Param("fail_after", 6, "months",
              "Short months in a row (O&M not fully paid) after which the plant fails.",
              "assumption: deferred maintenance breaks a plant within months", 1, 600),
    )

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        self.lingers = True  # plants keep running (and can fail) after the last build month
        self.groups: list[CommunityGroup] = []
        self.plants_failed = 0
        self.fees_this_month = self.om_paid_this_month = 0.0
        self.connected_this_month = self.disconnected_this_month = 0

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        hh = model.households
        self.plant_of_row = np.full(hh.n, -1, np.int32)
        self.prior_rung = np.zeros(hh.n, np.int8)
        self.plant_of_rt = np.full(model.n_rt, -1, np.int32)
        self._money = model.params["behaviour.money_constraint"]

    # -- phase: desludging (services) --------------------------------------------------------
    def on_desludging(self, model: SanitationModel) -> None:
        """Groups collect fees and pay O&M; a group short for too long gives up its plant."""
        self.fees_this_month = self.om_paid_this_month = 0.0
        if not self.groups:
            return
        hh = model.households
        members = np.flatnonzero(self.plant_of_row >= 0)
        plant = self.plant_of_row[members]
        w = self.commitment_weight
        chance = self.collection_efficiency * (1.0 - w + w * hh.norm[members])
        pays = self.rng.random(members.size) < chance
        if self._money:
            pays &= hh.savings[members] >= self.fee
            hh.savings[members[pays]] -= self.fee
        n_plants = len(self.groups)
        collected = np.bincount(plant[pays], minlength=n_plants) * self.fee
        counts = np.bincount(plant, minlength=n_plants)
        self.fees_this_month = float(collected.sum())
        model.book("households", FEE_ITEM, self.fees_this_month)
        for group in self.groups:
            if not group.operating:
                continue
            paid_before = group.om_paid_total
            if group.settle(float(collected[group.plant]), int(counts[group.plant])):
                self.plants_failed += 1
                self._fall_back(model, members[plant == group.plant])
            self.om_paid_this_month += group.om_paid_total - paid_before

    def _fall_back(self, model: SanitationModel, rows: np.ndarray) -> None:
        """Members of a failed plant: back to their earlier rung, not below unimproved."""
        hh = model.households
        hh.connected[rows] = False
        hh.rung[rows] = np.clip(self.prior_rung[rows], Rung.UNIMPROVED, Rung.BASIC)
        self.plant_of_row[rows] = -1

    # -- phase: failure -----------------------------------------------------------------------
    def on_failure(self, model: SanitationModel) -> None:
        """Members whose own toilet failed leave the plant."""
        if not self.groups:
            return
        hh = model.households
        members = np.flatnonzero(self.plant_of_row >= 0)
        gone = members[hh.rung[members] < Rung.SAFELY_MANAGED]
        hh.connected[gone] = False
        self.plant_of_row[gone] = -1
        self.disconnected_this_month = gone.size

    # -- phase: communities -------------------------------------------------------------------
    def on_communities(self, model: SanitationModel) -> None:
        """Build plants where enough households commit; connect committed households."""
        hh = model.households
        self.connected_this_month = 0
        committed = (hh.rung < Rung.SAFELY_MANAGED) & ~hh.connected & (hh.build_left < 0)
        committed &= (hh.intent > 0) | (hh.norm >= np.float32(self.commit_norm))
        if self.reach is not None:
            committed &= self.reach
        if self.acting(model.month) and self.plants_per_month > 0:
            self._build_plants(model, committed)
        operating_rt = np.zeros(model.n_rt, bool)
        for group in self.groups:
            operating_rt[group.rt] = group.operating
        joining = np.flatnonzero(committed & operating_rt[hh.rt])
        if joining.size:
            self.prior_rung[joining] = hh.rung[joining]
            hh.rung[joining] = Rung.SAFELY_MANAGED
            hh.connected[joining] = True
            hh.intent[joining] = 0
            hh.applying[joining] = False
            self.plant_of_row[joining] = self.plant_of_rt[hh.rt[joining]]
            self.connected_this_month = joining.size

    def _build_plants(self, model: SanitationModel, committed: np.ndarray) -> None:
        hh = model.households
        share = np.bincount(hh.rt, weights=committed, minlength=model.n_rt) / model.rt_size
        eligible = np.flatnonzero((self.plant_of_rt < 0) & (share >= self.commit_threshold)
                                  & (model.rt_size >= self.min_households))
        if eligible.size == 0:
            return
        keys = self.rng.random(eligible.size)
        order = np.lexsort((keys, -share[eligible]))
        built = 0
        for rt in eligible[order]:
            if built >= self.plants_per_month:
                break
            size = int(model.rt_size[rt])
            cost = self.cost_per_connection * size
            if cost > self.budget_left:
                continue  # a smaller RT may still fit the budget
            self.spend(model, cost, CAPITAL_ITEM)
            plant = len(self.groups)
            self.groups.append(CommunityGroup(model, plant, int(rt), size, self.fee,
                                              self.om_cost, self.fail_after))
            self.plant_of_rt[rt] = plant
            built += 1

    # -- outputs ------------------------------------------------------------------------------
    def outputs(self, model: SanitationModel) -> dict[str, float]:
        acting = self.active(model.month)
        return self.named({
            "plants": sum(g.operating for g in self.groups),
            "plants_built": len(self.groups),
            "plants_failed": self.plants_failed,
            "connected": int(model.households.connected.sum()),
            "fees": self.fees_this_month if acting else 0.0,
            "om_paid": self.om_paid_this_month if acting else 0.0,
            "balance": float(sum(g.balance for g in self.groups if g.operating)),
        })
