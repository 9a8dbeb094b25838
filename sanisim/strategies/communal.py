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

With ``mechanisms.community_groups`` on, the groups are those of :mod:`sanisim.institutions`:
an RT selected in ``communities`` (as above, at most ``plants_per_month`` a month) opens a group
that passes the participatory planning gates (socialisation, forming the KSM, planning, an
approved plan and funding, construction; facilitation paid per group-month of meetings) before
its plant is built with the capital cost; the group has capacities on four aspects (starting
from ``technical``, ``institutional``, ``financial``, ``governance`` and its meetings'
turn-out), is co-managed (``comanagement``) and monitored (``monitoring``) at a cost per plant-
month, and runs its plant through the service chain (fees, O&M, sludge and desludging, breakdown
and repair) in ``desludging``; its plant fails without funds or capacity. Off, nothing of this
runs and the strategy is the one described above, draw for draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from sanisim.behaviour import raise_factors
from sanisim.institutions import (
    ASPECTS,
    CAUSES,
    MEETING_STAGES,
    STAGE_NAMES,
    CommunityGroupAgent,
    Groups,
    Rules,
    Stage,
)
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

FEE_ITEM = "communal_fees"
CAPITAL_ITEM = "communal_plant"
FACILITATION_ITEM = "communal_facilitation"
SUPPORT_ITEM = "communal_support"  # monitoring, co-management and the district's repair share
#: Factors that attending a planning meeting raises (commitment and upkeep).
PARTICIPATION_FACTORS: tuple[str, ...] = ("norm", "self_regulation")
#: Columns the strategy adds with ``mechanisms.community_groups`` on.
GROUP_OUTPUTS: tuple[str, ...] = (
    "plants_working", "plants_broken", "plants_full",
    *(f"groups_{name}" for name in STAGE_NAMES if name not in ("operating", "failed")),
    "group_capacity", *(f"failed_{cause}" for cause in CAUSES[1:]),
    "desludging_paid", "repairs", "repair_paid", "support_paid",
)
_KP = "SANIMAS Kulon Progo"


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
              0, 10_000, scales=True),
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
        *(Param(aspect, 0.6, "index 0-1",
                f"Programme's contribution to a new group's {aspect} capacity (training, "
                "facilitation); mixed with the turn-out of its meetings "
                "(mechanisms.community_groups).",
                f"{_KP}: the four sustainability aspects; value assumption (a middling group)",
                0.0, 1.0) for aspect in ASPECTS),
        Param("comanagement", 0.0, "level 0-1",
              "Co-management of the plants by village and district (0: none, 1: full): upholds "
              "the groups' capacities and pays that share of repair bills "
              "(mechanisms.community_groups).",
              f"{_KP}: plants last where groups are co-managed with village and district; "
              "level: scenario (programme design)", 0.0, 1.0),
        Param("monitoring", 0.0, "level 0-1",
              "Routine monitoring and evaluation of the plants (0: none, 1: every month): a "
              "broken plant is noticed with 1 - (1 - groups.detection)(1 - monitoring) a month "
              "(mechanisms.community_groups).",
              f"{_KP}: routine monitoring and evaluation; level: scenario (programme design)",
              0.0, 1.0),
        Param("desludge_every", 0, "months",
              "Scheduled desludging of a plant every this many months (0: only when full; "
              "mechanisms.community_groups).",
              f"{_KP}: scheduled desludging of the plant; interval: scenario", 0, 600),
        Param("facilitation_cost", 2_000_000.0, "rupiah per group-month",
              "Facilitator's cost of one month of a group's planning meetings (socialisation, "
              "forming, planning; mechanisms.community_groups).",
              "assumption: a field facilitator (TFL) shared among a few RTs", 0.0, None),
        Param("monitoring_cost", 300_000.0, "rupiah per plant-month",
              "Cost of full monitoring of one running plant for a month (scaled by "
              "monitoring; mechanisms.community_groups).",
              "assumption: a district staff visit and its report", 0.0, None),
        Param("comanagement_cost", 500_000.0, "rupiah per plant-month",
              "Cost of full co-management of one running plant for a month (scaled by "
              "comanagement; mechanisms.community_groups).",
              "assumption: village operator support and district technical staff time",
              0.0, None),
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
        self.ksm: Groups | None = None
        if model.params["mechanisms.community_groups"]:
            self._setup_groups(model)

    def _setup_groups(self, model: SanitationModel) -> None:
        """The community groups of :mod:`sanisim.institutions`, their streams and columns."""
        self.ksm = Groups(model.n_rt, Rules.from_params(model.params))
        self.group_agents: list[CommunityGroupAgent] = []
        self.aspects = np.array([getattr(self, aspect) for aspect in ASPECTS])
        streams = model.streams
        self._meeting_rng = streams.strategy(f"{self.name}:meetings")
        self._fee_rng = streams.strategy(f"{self.name}:fees")
        self._plant_rng = streams.strategy(f"{self.name}:plants")
        self.output_columns = self.output_columns + tuple(
            f"{self.name}_{column}" for column in GROUP_OUTPUTS)
        self._month = dict.fromkeys(("desludging_paid", "repair_paid", "support_paid"), 0.0)
        self.repairs_this_month = 0

    # -- phase: desludging (services) --------------------------------------------------------
    def on_desludging(self, model: SanitationModel) -> None:
        """Groups collect fees and pay O&M; a group short for too long gives up its plant."""
        self.fees_this_month = self.om_paid_this_month = 0.0
        if self.ksm is not None:
            self._run_plants(model)
            return
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

    def _run_plants(self, model: SanitationModel) -> None:
        """The service chain of the running plants (``mechanisms.community_groups``)."""
        ksm, hh = self.ksm, model.households
        self._month = dict.fromkeys(self._month, 0.0)
        self.repairs_this_month = 0
        running = ksm.at(Stage.OPERATING)
        if running.size == 0:
            return
        monitoring, comanagement = self._support(model, running.size)
        ksm.age_capacities(running, comanagement)
        n_rt = model.n_rt
        draws = self._plant_rng.random((4, n_rt))  # per group: collect, break, notice, repair
        collects = np.zeros(n_rt, bool)
        collects[running] = ksm.collecting(running, draws[0, running])
        factor = np.zeros(n_rt)
        factor[running] = ksm.payment_factor(running)
        members = np.flatnonzero(self.plant_of_row >= 0)
        group = self.plant_of_row[members]
        w = self.commitment_weight
        chance = self.collection_efficiency * (1.0 - w + w * hh.norm[members]) * factor[group]
        pays = collects[group] & (self._fee_rng.random(hh.n)[members] < chance)
        if self._money:
            pays &= hh.savings[members] >= self.fee
            hh.savings[members[pays]] -= self.fee
        collected = np.bincount(group[pays], minlength=n_rt) * self.fee
        counts = np.bincount(group, minlength=n_rt)
        self.fees_this_month = float(collected.sum())
        model.book("households", FEE_ITEM, self.fees_this_month)
        self.om_paid_this_month = float(ksm.settle(running, collected[running], counts[running],
                                                   self.om_cost).sum())
        self._month["desludging_paid"] = float(
            ksm.fill_and_empty(running, model.month, self.desludge_every).sum())
        ksm.break_down(running, draws[1, running])
        group_paid = ksm.repair_paid[running].sum()
        district_left = max(self.budget_left, 0.0) if self.acting(model.month) else 0.0
        repaired, district = ksm.repair(running, draws[2, running], draws[3, running],
                                        monitoring, comanagement, district_left)
        if district > 0:
            self.spend(model, district, SUPPORT_ITEM)
            self._month["support_paid"] += district
        self.repairs_this_month = repaired.size
        self._month["repair_paid"] = float(ksm.repair_paid[running].sum() - group_paid
                                           + district)
        for g in ksm.fail(running, model.month, self.fail_after):
            self.plants_failed += 1
            self._fall_back(model, members[group == g])

    def _support(self, model: SanitationModel, plants: int) -> tuple[float, float]:
        """Monitoring and co-management levels this month: the strategy's while it acts and
        its budget pays for them, else none."""
        if not self.acting(model.month):
            return 0.0, 0.0
        cost = plants * (self.monitoring * self.monitoring_cost
                         + self.comanagement * self.comanagement_cost)
        if cost > self.budget_left:
            return 0.0, 0.0
        if cost > 0:
            self.spend(model, cost, SUPPORT_ITEM)
            self._month["support_paid"] += cost
        return self.monitoring, self.comanagement

    def _fall_back(self, model: SanitationModel, rows: np.ndarray) -> None:
        """Members of a failed plant: back to their earlier rung, not below unimproved."""
        hh = model.households
        hh.connected[rows] = False
        hh.rung[rows] = np.clip(self.prior_rung[rows], Rung.UNIMPROVED, Rung.BASIC)
        self.plant_of_row[rows] = -1

    # -- phase: failure -----------------------------------------------------------------------
    def on_failure(self, model: SanitationModel) -> None:
        """Members whose own toilet failed leave the plant."""
        if not self.groups and (self.ksm is None or self.ksm.n == 0):
            return
        hh = model.households
        members = np.flatnonzero(self.plant_of_row >= 0)
        gone = members[hh.rung[members] < Rung.SAFELY_MANAGED.value]
        hh.connected[gone] = False
        self.plant_of_row[gone] = -1
        self.disconnected_this_month = gone.size

    # -- phase: communities -------------------------------------------------------------------
    def on_communities(self, model: SanitationModel) -> None:
        """Build plants where enough households commit; connect committed households."""
        hh = model.households
        self.connected_this_month = 0
        committed = (hh.rung < Rung.SAFELY_MANAGED.value) & ~hh.connected & (hh.build_left < 0)
        committed &= (hh.intent > 0) | (hh.norm >= np.float32(self.commit_norm))
        if self.reach is not None:
            committed &= self.reach
        if self.ksm is not None:
            self._plan_and_build(model, committed)
            return
        if self.acting(model.month) and self.plants_per_month > 0:
            self._build_plants(model, committed)
        operating_rt = np.zeros(model.n_rt, bool)
        for group in self.groups:
            operating_rt[group.rt] = group.operating
        self._connect(model, committed, operating_rt)

    def _connect(self, model: SanitationModel, committed: np.ndarray,
                 operating_rt: np.ndarray) -> None:
        """Committed households of RTs with a working plant connect to it."""
        hh = model.households
        joining = np.flatnonzero(committed & operating_rt[hh.rt])
        if joining.size:
            self.prior_rung[joining] = hh.rung[joining]
            hh.rung[joining] = Rung.SAFELY_MANAGED
            hh.connected[joining] = True
            hh.intent[joining] = 0
            hh.applying[joining] = False
            self.plant_of_row[joining] = self.plant_of_rt[hh.rt[joining]]
            self.connected_this_month = joining.size

    def _candidates(self, model: SanitationModel, committed: np.ndarray) -> np.ndarray:
        """RTs without a plant (or group) whose committed share reaches the threshold, most
        committed first (random among equals)."""
        hh = model.households
        share = np.bincount(hh.rt, weights=committed, minlength=model.n_rt) / model.rt_size
        eligible = np.flatnonzero((self.plant_of_rt < 0) & (share >= self.commit_threshold)
                                  & (model.rt_size >= self.min_households))
        if eligible.size == 0:
            return eligible
        keys = self.rng.random(eligible.size)
        return eligible[np.lexsort((keys, -share[eligible]))]

    def _plan_and_build(self, model: SanitationModel, committed: np.ndarray) -> None:
        """Build, fund, hold planning meetings, open groups (each stage a month at a time,
        latest stage first, so a stage's months are its own), then connect
        (``mechanisms.community_groups``)."""
        ksm, hh = self.ksm, model.households
        self.connected_this_month = 0
        ksm.build(ksm.at(Stage.CONSTRUCTION), self.aspects, model.month)
        if self.acting(model.month):
            for g in ksm.approve(ksm.at(Stage.APPROVED)):
                cost = self.cost_per_connection * float(ksm.size[g])
                if cost <= self.budget_left:
                    self.spend(model, cost, CAPITAL_ITEM)
                    ksm.start_building(int(g))
            meeting = ksm.at(*MEETING_STAGES)
            meeting = meeting[: self.affordable(self.facilitation_cost, meeting.size)]
            if meeting.size:
                self.spend(model, self.facilitation_cost * meeting.size, FACILITATION_ITEM)
                came = ksm.meet(meeting, hh.rt, hh.norm, self._meeting_rng.random(hh.n))
                raise_factors(hh, came, PARTICIPATION_FACTORS,
                              model.params["groups.participation_effect"])
            if self.plants_per_month > 0 and self.facilitation_cost <= self.budget_left:
                for rt in self._candidates(model, committed)[: self.plants_per_month]:
                    g = ksm.open(int(rt), int(model.rt_size[rt]), model.month)
                    self.plant_of_rt[rt] = g
                    self.group_agents.append(CommunityGroupAgent(model, ksm, g))
        operating_rt = np.zeros(model.n_rt, bool)
        operating_rt[ksm.rt[ksm.at(Stage.OPERATING)]] = True
        self._connect(model, committed, operating_rt)

    def _build_plants(self, model: SanitationModel, committed: np.ndarray) -> None:
        eligible = self._candidates(model, committed)
        if eligible.size == 0:
            return
        built = 0
        for rt in eligible:
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
        if self.ksm is not None:
            return self._group_outputs(model)
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

    def _group_outputs(self, model: SanitationModel) -> dict[str, float]:
        ksm = self.ksm
        n = ksm.n
        running = ksm.at(Stage.OPERATING)
        stages = ksm.counts()
        causes = np.bincount(ksm.cause[:n], minlength=len(CAUSES))
        values: dict[str, float] = {
            "plants": running.size,
            "plants_built": int(np.count_nonzero(ksm.built_month[:n] >= 0)),
            "plants_failed": self.plants_failed,
            "connected": int(model.households.connected.sum()),
            "fees": self.fees_this_month,
            "om_paid": self.om_paid_this_month,
            "balance": float(ksm.balance[running].sum()),
            "plants_working": int(np.count_nonzero(~ksm.broken[running])),
            "plants_broken": int(np.count_nonzero(ksm.broken[running])),
            "plants_full": int(np.count_nonzero(ksm.fill[running] >= 1.0)),
        }
        for stage in Stage:
            if stage not in (Stage.OPERATING, Stage.FAILED):
                values[f"groups_{STAGE_NAMES[stage]}"] = int(stages[stage])
        values["group_capacity"] = (float(ksm.capacity[running].mean()) if running.size
                                    else 0.0)
        for index, cause in enumerate(CAUSES[1:], start=1):
            values[f"failed_{cause}"] = int(causes[index])
        values["repairs"] = self.repairs_this_month
        values.update(self._month)
        return self.named(values)
