"""Community groups (KSM/KPP) that plan, build and run communal treatment plants.

The model of SANIMAS Kulon Progo: a communal plant lasts when its community group is strong on
four aspects, technical, institutional, financial and governance (each a capacity 0-1), is
co-managed with the village and district, is monitored, and has its plant desludged. Switched
on by ``mechanisms.community_groups``; the communal strategy (:mod:`sanisim.strategies.communal`)
calls it from its phase hooks. Its parameters are the ``groups.*`` records
(:mod:`sanisim.parameters`) and the strategy's levers (starting capacities, co-management,
monitoring, the desludging schedule).

**Planning** (the SANIMAS planning guide). A group is opened for an RT the programme selects and
passes through lagged gates: socialisation, forming and legalising the KSM, planning (mapping,
the community action plan CSIAP / RKM), an approved plan waiting for funding, construction, then
a running plant. Each of the first three stages holds a meeting a month, which a household
attends with probability ``attendance x norm / factors.norm`` (at most 1); a stage is passed when
it has lasted its minimum months and a meeting reached the ``quorum`` turn-out; a group that
cannot pass a stage within ``patience`` further months is dropped. Attending raises a
household's injunctive norm (commitment) and self-regulation (upkeep) by
``participation_effect`` of their gaps to 1, the behaviour model's own factors, which then drive
fee payment and the failure of its own toilet. The group's starting capacities mix the
programme's (``aspect``) with the mean turn-out of its meetings:
``c0 = (1 - turnout_weight) x aspect + turnout_weight x turnout``.

**Capacities** fade at ``capacity_decay x (1 + institutional_lapse x (1 - c_institutional))``
a month and are upheld by co-management: ``c <- c - decay x c + comanagement_upkeep x m x (1 -
c)`` with ``m`` the co-management level 0-1.

**Service chain.** Each month a running group collects fees (it skips the round with
probability ``institutional_lapse x (1 - c_institutional)``; a member pays with the strategy's
chance times ``1 - collection_gap x (1 - sqrt(c_financial x c_governance))``), pays O&M, lets
its plant fill (``members / size / fill_months`` of its volume a month), empties it on schedule
or when full (``desludging_share x costs.desludging_fee`` per connection of a full plant, times
the fill), sees it break down (``breakdown x (1 - technical_protection x c_technical)``, times
``full_multiplier`` when full), notices a breakdown (``detection``, raised by monitoring ``v`` to
``1 - (1 - detection)(1 - v)``) and repairs it (chance ``c_technical`` once noticed, bill
``repair_cost`` per connection, the district paying the co-management share ``m`` of it). A
plant fails when O&M went short ``fail_after`` months in a row (funds), when it stayed broken
``broken_fail_after`` months (breakdown), or when institutional capacity falls below
``disband_below`` (capacity).

Books of every group, every month: ``collected == om_paid + desludging_paid + repair_paid +
balance`` and ``balance >= 0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import mesa
import numpy as np

#: The four sustainability aspects of a community group (SANIMAS Kulon Progo).
ASPECTS: tuple[str, ...] = ("technical", "institutional", "financial", "governance")
TECHNICAL, INSTITUTIONAL, FINANCIAL, GOVERNANCE = range(len(ASPECTS))


class Stage(IntEnum):
    """Where a group is: planning gates first, then a running plant, or an end."""

    SOCIALISATION = 0   # social preparation: socialisation, village and RT/RW meetings
    FORMING = 1         # institutionalisation: forming and legalising the KSM
    PLANNING = 2        # mapping, identification, the action plan (CSIAP / RKM)
    APPROVED = 3        # plan approved (musrenbang), waiting for funding
    CONSTRUCTION = 4    # the plant is being built
    OPERATING = 5       # the group runs its plant
    DROPPED = 6         # planning stalled: no plant
    FAILED = 7          # the plant failed and the group gave it up


#: Output names of the stages counted in the monthly table (``groups_<name>``).
STAGE_NAMES: tuple[str, ...] = tuple(s.name.lower() for s in Stage)
#: Stages that hold a meeting each month.
MEETING_STAGES: tuple[Stage, ...] = (Stage.SOCIALISATION, Stage.FORMING, Stage.PLANNING)
#: Why a plant failed (``Groups.cause``).
CAUSES: tuple[str, ...] = ("", "funds", "breakdown", "capacity")
FUNDS, BREAKDOWN, CAPACITY = 1, 2, 3


@dataclass(frozen=True)
class Rules:
    """The ``groups.*`` parameters of a scenario (see :mod:`sanisim.parameters`)."""

    stage_months: tuple[int, ...]  # minimum months of SOCIALISATION .. CONSTRUCTION
    attendance: float
    quorum: float
    patience: int
    turnout_weight: float
    participation_effect: float
    capacity_decay: float
    comanagement_upkeep: float
    institutional_lapse: float
    collection_gap: float
    fill_months: float
    desludging_share: float
    breakdown: float
    technical_protection: float
    full_multiplier: float
    detection: float
    repair_cost: float
    broken_fail_after: int
    disband_below: float
    mean_norm: float
    emptying_fee: float

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> Rules:
        g = "groups."
        return cls(
            stage_months=tuple(p[f"{g}{name}_months"] for name in (
                "socialisation", "forming", "planning", "approval", "construction")),
            **{key: p[g + key] for key in (
                "attendance", "quorum", "patience", "turnout_weight", "participation_effect",
                "capacity_decay", "comanagement_upkeep", "institutional_lapse",
                "collection_gap", "fill_months", "desludging_share", "breakdown",
                "technical_protection", "full_multiplier", "detection", "repair_cost",
                "broken_fail_after", "disband_below")},
            mean_norm=p["factors.norm"], emptying_fee=p["costs.desludging_fee"])


class Groups:
    """The community groups of one programme as arrays, one row a group (at most one per RT).

    Books (rupiah, per group): ``collected`` (fees in), ``om_paid``, ``desludging_paid``,
    ``repair_paid`` (the group's part of repair bills) and ``balance``; the district's part of
    repairs is ``district_repair_paid`` (paid by the programme's funder, not from fees).
    """

    def __init__(self, n_rt: int, rules: Rules) -> None:
        self.rules = rules
        self.n = 0
        self.group_of_rt = np.full(n_rt, -1, np.int32)
        self.rt = np.zeros(n_rt, np.int32)
        self.size = np.zeros(n_rt, np.int32)
        self.stage = np.zeros(n_rt, np.int8)
        self.months = np.zeros(n_rt, np.int32)          # months in the current stage
        self.meetings = np.zeros(n_rt, np.int32)
        self.turnout_sum = np.zeros(n_rt)
        self.capacity = np.zeros((n_rt, len(ASPECTS)))
        self.members = np.zeros(n_rt, np.int32)
        self.fill = np.zeros(n_rt)                      # share of the plant's sludge volume
        self.last_emptied = np.zeros(n_rt, np.int32)
        self.broken = np.zeros(n_rt, bool)
        self.detected = np.zeros(n_rt, bool)
        self.broken_months = np.zeros(n_rt, np.int32)
        self.short_months = np.zeros(n_rt, np.int32)
        self.balance = np.zeros(n_rt)
        self.collected = np.zeros(n_rt)
        self.om_paid = np.zeros(n_rt)
        self.desludging_paid = np.zeros(n_rt)
        self.repair_paid = np.zeros(n_rt)
        self.district_repair_paid = np.zeros(n_rt)
        self.opened_month = np.full(n_rt, -1, np.int32)
        self.built_month = np.full(n_rt, -1, np.int32)
        self.failed_month = np.full(n_rt, -1, np.int32)
        self.cause = np.zeros(n_rt, np.int8)

    # ------------------------------------------------------------------ planning
    def open(self, rt: int, size: int, month: int) -> int:
        """A new group for ``rt`` (``size`` households), at socialisation from next month;
        its index."""
        g = self.n
        self.n += 1
        self.group_of_rt[rt] = g
        self.rt[g], self.size[g], self.opened_month[g] = rt, size, month
        self.stage[g] = Stage.SOCIALISATION
        return g

    def at(self, *stages: Stage) -> np.ndarray:
        """Indices of the groups at any of ``stages``."""
        return np.flatnonzero(np.isin(self.stage[: self.n], stages))

    def counts(self) -> np.ndarray:
        """Groups per stage (index: :class:`Stage`)."""
        return np.bincount(self.stage[: self.n], minlength=len(Stage))

    def meet(self, groups: np.ndarray, rt_of_row: np.ndarray, norm: np.ndarray,
             draws: np.ndarray) -> np.ndarray:
        """Hold this month's meeting of ``groups``; return the household rows that attended.

        ``draws``: one uniform number per household (all rows, so two arms share them).
        """
        r = self.rules
        meeting_rt = np.zeros(self.group_of_rt.size, bool)
        meeting_rt[self.rt[groups]] = True
        rows = np.flatnonzero(meeting_rt[rt_of_row])
        chance = np.minimum(r.attendance * norm[rows] / max(r.mean_norm, 1e-9), 1.0)
        came = rows[draws[rows] < chance]
        group = self.group_of_rt[rt_of_row[came]]
        turnout = np.bincount(group, minlength=self.n)[groups] / self.size[groups]
        self.meetings[groups] += 1
        self.turnout_sum[groups] += turnout
        self.months[groups] += 1
        self._pass(groups, turnout >= r.quorum)
        return came

    def _pass(self, groups: np.ndarray, gate: np.ndarray) -> None:
        """Move ``groups`` whose stage lasted its minimum and whose ``gate`` holds on; drop
        those that waited ``patience`` months beyond it."""
        minimum = np.array(self.rules.stage_months)[self.stage[groups]]
        ready = groups[(self.months[groups] >= minimum) & gate]
        self.stage[ready] += 1
        self.months[ready] = 0
        stalled = groups[~np.isin(groups, ready)
                         & (self.months[groups] >= minimum + self.rules.patience)]
        self.stage[stalled] = Stage.DROPPED

    def approve(self, groups: np.ndarray) -> np.ndarray:
        """Age approved plans a month; return those whose approval lag is over (they wait for
        funding, :meth:`start_building`)."""
        self.months[groups] += 1
        return groups[self.months[groups] >= self.rules.stage_months[Stage.APPROVED]]

    def start_building(self, group: int) -> None:
        self.stage[group] = Stage.CONSTRUCTION
        self.months[group] = 0

    def build(self, groups: np.ndarray, aspects: np.ndarray, month: int) -> np.ndarray:
        """Advance construction; groups whose plant is finished start running it with their
        starting capacities (``aspects``: the programme's four, mixed with turn-out). Returns
        the groups whose plant opens this month."""
        self.months[groups] += 1
        done = groups[self.months[groups] >= self.rules.stage_months[Stage.CONSTRUCTION]]
        w = self.rules.turnout_weight
        turnout = self.turnout_sum[done] / np.maximum(self.meetings[done], 1)
        self.capacity[done] = (1.0 - w) * aspects[None, :] + w * turnout[:, None]
        self.stage[done] = Stage.OPERATING
        self.months[done] = 0
        self.built_month[done] = month
        self.last_emptied[done] = month
        return done

    # ------------------------------------------------------------------ running a plant
    def age_capacities(self, groups: np.ndarray, comanagement: float) -> None:
        """Capacities fade (faster with weak institutional capacity) and are upheld by
        co-management (``comanagement`` 0-1)."""
        r = self.rules
        cap = self.capacity[groups]
        decay = r.capacity_decay * (1.0 + r.institutional_lapse
                                    * (1.0 - cap[:, INSTITUTIONAL]))
        cap -= decay[:, None] * cap
        cap += r.comanagement_upkeep * comanagement * (1.0 - cap)
        self.capacity[groups] = np.clip(cap, 0.0, 1.0)

    def collecting(self, groups: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Whether each group collects fees this month (``draws``: one uniform per group)."""
        lapse = self.rules.institutional_lapse * (1.0 - self.capacity[groups, INSTITUTIONAL])
        return draws >= lapse

    def payment_factor(self, groups: np.ndarray) -> np.ndarray:
        """Factor on a member's chance to pay, from financial and governance capacity."""
        cap = self.capacity[groups]
        return 1.0 - self.rules.collection_gap * (
            1.0 - np.sqrt(cap[:, FINANCIAL] * cap[:, GOVERNANCE]))

    def settle(self, groups: np.ndarray, collected: np.ndarray, members: np.ndarray,
               om_cost: float) -> np.ndarray:
        """Bank fees and pay O&M (``om_cost`` per member); return what each paid."""
        self.members[groups] = members
        self.balance[groups] += collected
        self.collected[groups] += collected
        due = om_cost * members
        paid = np.minimum(due, self.balance[groups])
        self.balance[groups] -= paid
        self.om_paid[groups] += paid
        short = paid < due
        self.short_months[groups] = np.where(short, self.short_months[groups] + 1, 0)
        return paid

    def fill_and_empty(self, groups: np.ndarray, month: int, every: int) -> np.ndarray:
        """Sludge accumulates; plants due (every ``every`` months, 0: never on schedule) or
        full are emptied when the group can pay. Returns what each group paid."""
        r = self.rules
        self.fill[groups] = np.minimum(
            self.fill[groups] + self.members[groups] / self.size[groups] / r.fill_months, 1.0)
        due = self.fill[groups] >= 1.0
        if every > 0:
            due |= month - self.last_emptied[groups] >= every
        bill = r.desludging_share * r.emptying_fee * self.size[groups] * self.fill[groups]
        emptied = due & (bill > 0) & (self.balance[groups] >= bill)
        emptied |= due & (bill == 0)
        paid = np.where(emptied, bill, 0.0)
        g = groups[emptied]
        self.balance[groups] -= paid
        self.desludging_paid[groups] += paid
        self.fill[g] = 0.0
        self.last_emptied[g] = month
        return paid

    def break_down(self, groups: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Working plants break down; returns the groups whose plant broke this month."""
        r = self.rules
        working = ~self.broken[groups]
        hazard = r.breakdown * (1.0 - r.technical_protection
                                * self.capacity[groups, TECHNICAL])
        hazard = np.where(self.fill[groups] >= 1.0, hazard * r.full_multiplier, hazard)
        broke = groups[working & (draws < hazard)]
        self.broken[broke] = True
        self.detected[broke] = False
        self.broken_months[broke] = 0
        return broke

    def repair(self, groups: np.ndarray, detect_draws: np.ndarray, repair_draws: np.ndarray,
               monitoring: float, district_share: float, district_left: float
               ) -> tuple[np.ndarray, float]:
        """Broken plants are noticed (monitoring helps) and repaired (technical capacity,
        funds; the district pays ``district_share`` of each bill while ``district_left``
        lasts). Returns the groups repaired and the district's total."""
        r = self.rules
        broken = self.broken[groups]
        self.broken_months[groups[broken]] += 1
        notice = 1.0 - (1.0 - r.detection) * (1.0 - monitoring)
        newly = broken & ~self.detected[groups] & (detect_draws < notice)
        self.detected[groups[newly]] = True
        able = broken & self.detected[groups] & (
            repair_draws < self.capacity[groups, TECHNICAL])
        repaired = []
        district_total = 0.0
        for i in np.flatnonzero(able):
            g = groups[i]
            bill = r.repair_cost * float(self.size[g])
            district = district_share * bill
            if district > district_left - district_total:
                district = 0.0  # the district's budget is spent: the group pays it all
            own = bill - district
            if own > self.balance[g]:
                continue
            self.balance[g] -= own
            self.repair_paid[g] += own
            self.district_repair_paid[g] += district
            district_total += district
            self.broken[g] = self.detected[g] = False
            self.broken_months[g] = 0
            repaired.append(g)
        return np.array(repaired, np.int64), district_total

    def fail(self, groups: np.ndarray, month: int, fail_after: int) -> np.ndarray:
        """Plants that fail this month (funds, breakdown or capacity); returns their groups."""
        r = self.rules
        cause = np.zeros(groups.size, np.int8)
        cause[self.capacity[groups, INSTITUTIONAL] < r.disband_below] = CAPACITY
        cause[self.broken[groups] & (self.broken_months[groups] >= r.broken_fail_after)] = (
            BREAKDOWN)
        cause[self.short_months[groups] >= fail_after] = FUNDS
        failed = groups[cause > 0]
        self.cause[failed] = cause[cause > 0]
        self.stage[failed] = Stage.FAILED
        self.failed_month[failed] = month
        return failed

    def books_balance(self) -> np.ndarray:
        """Per group: fees in minus spending minus balance (zero when the books balance)."""
        n = self.n
        return (self.collected[:n] - self.om_paid[:n] - self.desludging_paid[:n]
                - self.repair_paid[:n] - self.balance[:n])


class CommunityGroupAgent(mesa.Agent):
    """A KSM/KPP as a Mesa agent: a view over its row of :class:`Groups`."""

    def __init__(self, model: mesa.Model, groups: Groups, index: int) -> None:
        super().__init__(model)
        self.groups = groups
        self.index = index

    @property
    def rt(self) -> int:
        return int(self.groups.rt[self.index])

    @property
    def stage(self) -> Stage:
        return Stage(int(self.groups.stage[self.index]))

    @property
    def capacities(self) -> dict[str, float]:
        return dict(zip(ASPECTS, map(float, self.groups.capacity[self.index]), strict=True))

    @property
    def balance(self) -> float:
        return float(self.groups.balance[self.index])

    @property
    def operating(self) -> bool:
        return self.stage == Stage.OPERATING

    @property
    def failure_cause(self) -> str:
        return CAUSES[int(self.groups.cause[self.index])]
