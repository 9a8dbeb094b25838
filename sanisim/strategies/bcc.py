"""Behaviour change communication (BCC): household visits by cadres and sanitarians.

Interpersonal persuasion is delivered by :class:`Promoter` agents: community cadres (kader),
each with a catchment of RTs, and, optionally, programme hours of the existing sanitarians
over their own catchments. Each month (phase ``sanitarians``, after the routine visits) the
cadres and then the sanitarians each plan their visits, within their monthly capacity and
the strategy's budget; each group's visits are then made together:

1. makes the follow-up visits that are due in its catchment (oldest first): a follow-up
   closes ``follow_up_effect`` of the gap to 1 of *self-regulation* (action planning,
   commitment, remembering), whatever the household's rung — a household that has built keeps
   its toilet in use better (the failure rule depends on self-regulation);
2. spends the rest of its capacity on first visits to households below basic that are not
   building and were not visited for ``revisit_after`` months, chosen by a targeting rule of
   :mod:`sanisim.targeting`: a first visit closes ``visit_effect`` of the gap of *risk
   perception*, *attitude* and *ability* (know-how), books a follow-up ``follow_up_after``
   months later and, if ``refer_to_credit``, refers the household to its cooperative.

**What promoters know** (``information``). With 'perfect' (the earlier model) the candidates
of step 2 are exactly the households below basic and not building. Door to door
('door_to_door') promoters know nothing before they knock: any household not visited for
``revisit_after`` months is a candidate, and a visit to one at basic or better, or already
building, is *wasted* (it costs, and cannot move the household onto the ladder). With a
household register ('database', :class:`sanisim.targeting.HouseholdDatabase`, as Takalar
keeps) the programme pays for surveys that take months and go stale, and visits households
recorded as movable first, skips those recorded at basic or better, and finds unlisted
households door to door.

**Planning** (``allocation``). A plan made every ``plan_every`` months splits each promoter's
first visits among planning units (``plan_unit``: village, RW or RT) in proportion to their
households ('uniform') or to their households below basic at the plan ('by_need'), or sends
them to the units with the largest share below basic first ('worst_first', as Solo's
kelurahan-level planning does); within a unit the targeting order decides. With door-to-door
information, a by-need plan sends visits where households that can still move live, so fewer
are wasted; with perfect information it only moves visits between units.

Gains fade with the scenario's factor half-life (phase ``decay``). Every visit costs
``visit_cost`` rupiah, booked to the strategy's funder; a promoter stops when the budget is
spent. Random order comes only from the strategy's own stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sanisim import purchase
from sanisim.behaviour import VISIT_FACTORS
from sanisim.draws import distinct, lex_order
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.products import Visit
from sanisim.rowblocks import ranges
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, book_visits, open_below_basic
from sanisim.strategies.waste_common import ADDRESSES, deliver_to_waste
from sanisim.targeting import (
    ALLOCATIONS,
    ELEMENTWISE,
    INFORMATION,
    PLAN_UNITS,
    RULES,
    HouseholdDatabase,
    Plan,
    first,
    select,
)

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

TARGETING = ("random", "lowest_coverage", "most_connected", "nominated_friends", "poorest_first",
             "household_database", "lowest_village_coverage")
NEVER = np.iinfo(np.int16).min  # "no month"
_UNSET = object()  # a round's priorities not computed yet

#: A round is planned at once (:meth:`BehaviourChange._plans_together`) from this many
#: promoters on ...
TOGETHER_FROM = 64
#: ... when they have at most this many due follow-ups and candidates each, on average.
#: Measured per round (the planning alone, both ways on the same state): at once costs about
#: 1.2 µs a promoter and 0.035 µs a row (one sort of every block), in turn about 3.6 µs a
#: promoter and 0.005 µs a row (each promoter's ``argpartition``), so in turn is cheaper
#: from about 80 rows a promoter, and below about 60 promoters the sort's own calls cost more
#: than the promoters' loop saves: 24 promoters with 25,000 candidates (100,000 households)
#: 0.8 ms at once against 0.1 ms in turn; 2,000 cadres with 9,000-56,000 candidates
#: (1,000,000 households, institutions in proportion) 2.5-3.2 against 4.2-6.6 ms.
TOGETHER_ROWS_PER_PROMOTER = 64


def worth_planning_together(due_at: list, mine: list) -> bool:
    """Whether a round's plans are cheaper found at once than promoter by promoter, from its
    promoters' shares of the due follow-ups and candidates (:meth:`BehaviourChange._shares`;
    ``None`` each where a catchment is not contiguous, and then never)."""
    if len(mine) < TOGETHER_FROM or mine[0] is None:
        return False
    rows = sum(s.stop - s.start for s in mine) + sum(s.stop - s.start for s in due_at)
    return rows <= TOGETHER_ROWS_PER_PROMOTER * len(mine)


class Promoter(mesa.Agent):
    """A BCC promoter: a community cadre (``role`` "cadre") or a sanitarian's programme hours.

    ``capacity`` is in visits per month (first visits and follow-ups together).
    """

    def __init__(self, model: SanitationModel, programme: BehaviourChange, role: str,
                 catchment: np.ndarray, capacity: int) -> None:
        super().__init__(model)
        self.programme = programme
        self.role = role
        self.catchment = np.sort(catchment)
        self.capacity = int(capacity)
        size = self.catchment.size
        self.bounds = (self.catchment[[0, -1]] + [0, 1]) if size else np.zeros(2, np.int64)
        self.contiguous = size == 0 or self.bounds[1] - self.bounds[0] == size
        self.visits_this_month = 0
        self.follow_ups_this_month = 0

    def own(self, rows: np.ndarray) -> slice | np.ndarray:
        """Positions in ``rows`` (sorted) of the rows that lie in this catchment."""
        lo, hi = np.searchsorted(rows, self.bounds)
        if self.contiguous:
            return slice(lo, hi)
        return lo + np.flatnonzero(np.isin(rows[lo:hi], self.catchment, assume_unique=True))

    def plan(self, room: int, due_at: slice | None = None,
             mine: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """This month's follow-ups and first visits (rows), at most ``room`` in all.

        Follow-ups due in the catchment come first, oldest first; the rest of the room goes
        to first visits chosen by the programme's targeting rule. ``due_at`` and ``mine``,
        when given, are :meth:`own` of the programme's due follow-ups and candidates (found
        for a whole round at once).
        """
        programme = self.programme
        due = programme.due[self.own(programme.due) if due_at is None else due_at]
        if due.size > room:
            due = due[programme.follow_up_due[due].argsort(kind="stable")[:room]]
        if mine is None:
            mine = self.own(programme.candidates)
        candidates, room = programme.candidates[mine], room - due.size
        # the round's priorities, computed once for all its promoters when the rule allows
        priority = (programme.round_priority(self.model)
                    if room > 0 and candidates.size else None)
        chosen = programme.choose(self.model, candidates, programme.keys[mine], room,
                                  None if priority is None else priority[mine])
        self.follow_ups_this_month, self.visits_this_month = due.size, chosen.size
        return due, chosen


@register
class BehaviourChange(Programme):
    """Interpersonal BCC: cadre and sanitarian visits with follow-ups (see module docs)."""

    type_name: ClassVar[str] = "bcc"
    OUTPUTS: ClassVar[tuple[str, ...]] = ("visits", "follow_ups", "capacity", "spent")
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("cadres", 20, "cadres",
              "Community cadres (kader) making BCC visits; RTs are split among them in "
              "contiguous blocks.",
              "assumption: about one cadre per RW, as STBM cadres are recruited locally",
              0, 1_000_000, scales=True),
        Param("deployment", "catchments", "",
              "How the cadres work: each in its own contiguous block of RTs ('catchments'), or "
              "as one team going down a single district-wide list in targeting order "
              "('pooled', as when a kelurahan-level plan sends everyone where need is "
              "greatest).", "model switch", choices=("catchments", "pooled")),
        Param("visits_per_cadre", 15, "visits per cadre-month",
              "Household visits (first visits and follow-ups) one cadre makes in a month.",
              "assumption: a few visits a week by a volunteer", 0, 10_000),
        Param("sanitarian_extra_visits", 10, "visits per sanitarian-month",
              "Programme visits each existing sanitarian adds in its own catchment, on top of "
              "routine visits.", "assumption", 0, 10_000),
        Param("visit_effect", 0.15, "share of gap to 1",
              "Share of the gap to 1 closed by a first visit for risk perception, attitude "
              "and ability (know-how).",
              "assumption: as sanitarians.visit_effect (routine visits)", 0.0, 1.0),
        Param("follow_up_after", 2, "months",
              "Months from a first visit to its follow-up (0: no follow-up).",
              "assumption", 0, 60),
        Param("follow_up_effect", 0.2, "share of gap to 1",
              "Share of the gap to 1 closed by a follow-up for self-regulation (action "
              "planning, commitment).",
              "assumption; Harter, Inauen & Mosler 2020 found effects through action planning "
              "and commitment", 0.0, 1.0),
        Param("revisit_after", 12, "months",
              "Months before a household may get another first visit.", "assumption", 1, 600),
        Param("targeting", "lowest_coverage", "",
              "Which households below basic a promoter visits first: random, lowest_coverage "
              "(RT with the lowest share at basic+ first), most_connected (most network ties), "
              "nominated_friends (a random neighbour of a random household), poorest_first, "
              "household_database (open defecation first, from a household register), "
              "lowest_village_coverage (kelurahan/desa with the lowest share at basic+ first).",
              "model switch", choices=TARGETING),
        Param("visit_cost", 25_000.0, "rupiah per visit",
              "Cost of one programme visit (time, transport, materials).",
              "assumption: as costs.visit", 0.0, 1e8),
        Param("refer_to_credit", True, "",
              "Whether a first visit refers the household to its cooperative (its loan "
              "application is then assessed first).", "model switch"),
        Param("sales_offer", False, "",
              "Whether a first visit ends with an offer to buy a toilet on the spot "
              "(sanitation marketing; point of sale, paid from savings or, when referred "
              "to credit, with a loan application).",
              "model switch; sales meetings in BenYishay et al. 2017", None, None),
        Param("information", "perfect", "",
              "What promoters know before a visit: 'perfect' (who is below basic and not "
              "building, the earlier model), 'door_to_door' (nothing: any household not "
              "visited for revisit_after months; a visit to one at basic or better or "
              "building is wasted), 'database' (a household register, see database_*; "
              "its order replaces targeting).", "model switch", choices=INFORMATION),
        Param("database_coverage", 0.9, "share of households",
              "Share of households a register survey lists (information 'database').",
              "assumption: a village register misses new and absent households", 0.0, 1.0),
        Param("database_accuracy", 0.9, "probability",
              "Chance a listed household's recorded rung is right (otherwise a rung drawn "
              "at random).", "assumption: enumerators' errors", 0.0, 1.0),
        Param("database_cost", 10_000.0, "rupiah per listed household",
              "Cost of listing one household in a register survey, booked to the strategy.",
              "assumption: an enumerator lists about 25 households a day at about Rp 250,000 "
              "a day", 0.0, 1e8),
        Param("database_months", 3, "months",
              "Months a register survey takes: it records the state of its first month and "
              "is usable this many months later.", "assumption", 0, 60),
        Param("database_update_months", 12, "months",
              "Months between register surveys (0: one survey only, the register goes "
              "stale).", "assumption: a yearly update, as village data are", 0, 600),
        Param("database_tipping", 0.6, "share of RT at basic+",
              "A household recorded below basic counts as movable (visited first) if its RT's "
              "recorded coverage is at least this, or it had the means to build (savings at "
              "least costs.basic_pit).",
              "assumption: near-complete RTs tip under the descriptive norm (Bass q)",
              0.0, 1.0),
        Param("allocation", "none", "",
              "How a plan splits the promoters' first visits among planning units: 'none' "
              "(the earlier model: down the targeting list), 'uniform' (in proportion to "
              "households), 'by_need' (in proportion to households below basic at the last "
              "plan), 'worst_first' (the units with the largest share below basic at the "
              "last plan first, whole units at a time); within a unit, targeting order "
              "(worst_first: random).", "model switch",
              choices=ALLOCATIONS),
        Param("plan_unit", "village", "",
              "Planning unit of allocation: village (kelurahan/desa), rw or rt.",
              "model switch", choices=PLAN_UNITS),
        Param("plan_every", 12, "months",
              "Months between plans: the units' needs are measured at each plan (a yearly "
              "plan, as the musrenbang cycle).", "assumption: yearly planning cycle", 1, 600),
        ADDRESSES,
    )

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        self.output_columns += tuple(f"{name}_{column}" for column in self.mechanism_outputs)

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        hh = model.households
        self.last_visit = np.full(hh.n, NEVER, np.int16)
        self.follow_up_due = np.full(hh.n, NEVER, np.int16)
        self.pending = np.zeros(0, np.int64)  # rows with a follow-up booked
        if self.deployment == "pooled":  # one team, one list: the whole reach
            team = np.arange(hh.n) if self.reach is None else np.flatnonzero(self.reach)
            promoters = [Promoter(model, self, "cadre", team,
                                  self.cadres * self.visits_per_cadre)] if self.cadres else []
        else:
            promoters = self._cadre_blocks(model)
        if self.sanitarian_extra_visits:
            promoters += [Promoter(model, self, "sanitarian", self.within_reach(s.catchment),
                                   self.sanitarian_extra_visits) for s in model.sanitarians]
        self.promoters = AgentSet(promoters, random=model.random)
        #: cadres first, then sanitarians: catchments are disjoint within a round
        self.rounds = [group for group in (
            [p for p in promoters if p.role == "cadre"],
            [p for p in promoters if p.role == "sanitarian"]) if group]
        self.capacity = sum(p.capacity for p in promoters)
        self.visits_total = self.visits_this_month = 0
        self.follow_ups_total = self.follow_ups_this_month = 0
        self.wasted_total = self.wasted_this_month = 0
        self.database = (HouseholdDatabase(
            hh.n, self.database_coverage, self.database_accuracy, self.database_cost,
            self.database_months, self.database_update_months, self.database_tipping,
            self.rng) if self.information == "database" else None)
        self.database_spent = 0.0
        self._round_priority = _UNSET
        self.plan = (Plan(hh, self.allocation, self.plan_unit, self.plan_every)
                     if self.allocation != "none" else None)

    def _cadre_blocks(self, model: SanitationModel) -> list[Promoter]:
        """One cadre per contiguous block of (reached) RTs."""
        rt, n_rt = model.households.rt.astype(np.int64), model.n_rt
        if self.reach is not None:  # the cadres work in the RTs the strategy reaches
            reached = self.reached_rts(model)
            rt, n_rt = (np.cumsum(reached) - 1)[rt], max(int(reached.sum()), 1)
        owner = (rt * max(self.cadres, 1)) // n_rt
        if self.reach is not None:
            owner[~self.reach] = self.cadres  # nobody's catchment
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(self.cadres + 1))
        return [Promoter(model, self, "cadre", order[bounds[c]:bounds[c + 1]],
                         self.visits_per_cadre) for c in range(self.cadres)]

    # ---------------------------------------------------------------- whom to visit
    @property
    def mechanism_outputs(self) -> tuple[str, ...]:
        """Output columns of the information and planning mechanisms (only when on)."""
        extra = ("wasted",) if self.information != "perfect" else ()
        return extra + (("database_spent",) if self.information == "database" else ())

    def _candidates(self, model: SanitationModel) -> np.ndarray:
        """Rows a promoter may visit first this month, by what promoters know."""
        hh = model.households
        # not visited for revisit_after months: month - last_visit >= revisit_after, as one
        # comparison of the record (int16, NEVER at its minimum) with a number
        fresh = self.last_visit <= model.month - self.revisit_after
        if self.information == "perfect":  # who is below basic and not building
            return self.within_reach(open_below_basic(hh, out=fresh).nonzero()[0])
        rows = self.within_reach(fresh.nonzero()[0])
        if self.database is not None and self.database.published:
            self.tier = np.full(hh.n, -1, np.int8)
            self.tier[rows] = self.database.tiers(rows)
            rows = rows[self.tier[rows] >= 0]  # recorded at basic or better: skipped
        return rows

    def _keep_register(self, model: SanitationModel) -> None:
        """Publish a finished survey; start a new one when due and the budget pays for it."""
        database = self.database
        database.publish(model.month)
        if database.survey_due(model.month) and model.month <= self.end:
            cost = database.survey_cost()
            if cost <= self.budget_left:
                database.survey(model, self.rng)
                if cost > 0:
                    self.spend(model, cost, "household_database")
                    self.database_spent += cost

    def _priority_of(self, model: SanitationModel, candidates: np.ndarray,
                     keys: np.ndarray) -> np.ndarray | None:
        """The priority :meth:`choose` serves ``candidates`` by, when each candidate's
        priority depends on that candidate and its key only (so a promoter's share of the
        round's candidates has its share of their priorities); ``None`` otherwise."""
        if self.database is not None and self.database.published:
            return self.tier[candidates] + keys  # the register's tiers, random within a tier
        if self.targeting == "household_database" and self.information != "perfect":
            return keys  # no register (yet): nothing to sort by but chance
        if self.targeting in ELEMENTWISE:
            return RULES[self.targeting](model, candidates, keys)
        return None

    def round_priority(self, model: SanitationModel) -> np.ndarray | None:
        """:meth:`_priority_of` the open candidates of this round, computed on first use
        and kept until the candidates change (promoters of a round plan before any of them
        visits, so the state the rules read does not change within a round)."""
        if self._round_priority is _UNSET:
            self._round_priority = self._priority_of(model, self.candidates, self.keys)
        return self._round_priority

    def choose(self, model: SanitationModel, candidates: np.ndarray, keys: np.ndarray,
               room: int, priority: np.ndarray | None = None) -> np.ndarray:
        """The first visits of a promoter: ``room`` of its ``candidates`` (see the params
        information and allocation). ``priority``, when given, is what :meth:`_priority_of`
        gives for these candidates (computed for a whole round at once)."""
        use_register = self.database is not None and self.database.published
        if self.allocation == "none" and not use_register and self.information == "perfect":
            if priority is None:
                return select(model, self.targeting, candidates, keys, room)  # earlier model
            return first(priority, candidates, room)  # the same, from the round's priorities
        if room <= 0 or candidates.size == 0:
            return candidates[:0]
        if priority is None:
            priority = self._priority_of(model, candidates, keys)
        if priority is None:  # a rule that depends on the whole set of candidates
            priority = RULES[self.targeting](model, candidates, keys)
        if self.plan is None:
            return first(priority, candidates, room)
        return self.plan.choose(room, candidates, priority, keys)

    # ---------------------------------------------------------------- the visits
    def first_visit(self, model: SanitationModel, rows: np.ndarray) -> None:
        if self.information != "perfect":  # visits to households that could not move
            hh = model.households
            wasted = np.count_nonzero((hh.rung[rows] >= Rung.BASIC.value)
                                      | (hh.build_left[rows] >= 0))
            self.wasted_total += wasted
            self.wasted_this_month += wasted
        Visit(self.visit_effect, self.visit_cost, VISIT_FACTORS,
              self.refer_to_credit).deliver(model.households, rows)
        deliver_to_waste(self, model, rows, VISIT_FACTORS, self.visit_effect)
        if self.sales_offer:
            purchase.offer(model, np.sort(rows), loan=self.refer_to_credit)
        self.last_visit[rows] = model.month
        if self.follow_up_after:
            self.follow_up_due[rows] = model.month + self.follow_up_after
            self.pending = np.concatenate([self.pending, rows])
        self.visits_total += rows.size
        self.visits_this_month += rows.size
        book_visits(model, self, rows.size, self.visit_cost, "bcc_visits")

    def follow_up(self, model: SanitationModel, rows: np.ndarray) -> None:
        Visit(self.follow_up_effect, self.visit_cost, ("self_regulation",)).deliver(
            model.households, rows)
        deliver_to_waste(self, model, rows, ("self_regulation",), self.follow_up_effect)
        self.follow_up_due[rows] = NEVER
        self.follow_ups_total += rows.size
        self.follow_ups_this_month += rows.size
        book_visits(model, self, rows.size, self.visit_cost, "bcc_follow_ups")

    # ---------------------------------------------------------------- hooks
    def on_sanitarians(self, model: SanitationModel) -> None:
        """This month's candidates and due follow-ups (sorted rows), then every promoter."""
        if self.database is not None:
            self._keep_register(model)
        if self.plan is not None:
            self.plan.update(model)
        self.candidates = self._candidates(model)
        self.keys = self.rng.random(self.candidates.size)  # random order among candidates
        self._round_priority = _UNSET
        self.pending = distinct(self.pending[self.follow_up_due[self.pending] != NEVER])
        self.due = self.pending[self.follow_up_due[self.pending] <= model.month]
        self.visits_this_month = self.follow_ups_this_month = self.wasted_this_month = 0
        for promoters in self.rounds:
            self._round(model, promoters)

    def _round(self, model: SanitationModel, promoters: list[Promoter]) -> None:
        """Promoters with disjoint catchments plan in turn (each within its capacity and the
        budget left), then their visits are made together; what they served is no longer open
        to the next round."""
        left = self.affordable(self.visit_cost, sum(p.capacity for p in promoters))
        shares = self._shares(promoters)
        together = (self._plans_together(model, promoters, *shares, left)
                    if worth_planning_together(*shares) else None)
        if together is not None:
            due, chosen = together
        else:
            due, chosen = [], []
            for promoter, due_at, mine in zip(promoters, *shares, strict=True):
                follow_ups, visits = promoter.plan(min(promoter.capacity, left), due_at, mine)
                left -= follow_ups.size + visits.size
                due.append(follow_ups)
                chosen.append(visits)
            due, chosen = np.concatenate(due), np.concatenate(chosen)
        self.follow_up(model, due)
        self.first_visit(model, chosen)
        if len(self.rounds) > 1:
            self.due = self.due[self.follow_up_due[self.due] != NEVER]
            open_ = self.last_visit[self.candidates] != model.month
            self.candidates, self.keys = self.candidates[open_], self.keys[open_]
            self._round_priority = _UNSET

    def _plans_together(self, model: SanitationModel, promoters: list[Promoter],
                        due_at: list, mine: list, left: int
                        ) -> tuple[np.ndarray, np.ndarray] | None:
        """What :meth:`Promoter.plan` gives the round's promoters in turn, found for all of
        them at once: a few calls for the round instead of a few for each promoter (2,000
        cadres in a district of 1,000,000 households); ``None`` where it cannot be. The round
        asks it only where it is the cheaper way (:func:`worth_planning_together`).

        In turn, each promoter gets room for ``min(capacity, left)`` visits, ``left`` being
        what the budget pays for after the promoters before it: its room is its capacity
        until the budget runs short, at the promoter where it runs out the rest, then none
        (one cumulative sum). Within its room a promoter makes its due follow-ups first, all
        in the order listed when they fit, else the earliest due (a stable sort), then first
        visits to its candidates of lowest priority (:func:`sanisim.targeting.first`). With
        each promoter's rows a block, one sort by block, then due month or priority, orders
        every block so, and each block's first rows are the promoter's
        (:meth:`_first_of_blocks`); where a promoter's room ends between two equal
        priorities the round is planned in turn (``first`` keeps them as ``argpartition``
        finds them). It applies when ``choose`` serves by the round's priorities (no plan,
        no register, perfect information, a rule of ``targeting.ELEMENTWISE``) and every
        catchment is contiguous (``_shares``)."""
        if (due_at[0] is None or self.allocation != "none" or self.information != "perfect"
                or self.database is not None):
            return None
        capacity = np.array([p.capacity for p in promoters], np.int64)
        due_n = np.array([s.stop - s.start for s in due_at], np.int64)
        open_n = np.array([s.stop - s.start for s in mine], np.int64)
        wanted = np.minimum(capacity, due_n + open_n)
        room = np.minimum(capacity, np.maximum(left - (wanted.cumsum() - wanted), 0))
        follow_ups = np.minimum(due_n, room)
        visits = np.minimum(open_n, room - follow_ups)
        due = self._first_of_blocks(
            self.due, [s.start for s in due_at], due_n, follow_ups,
            lambda at, over: np.where(over, self.follow_up_due[self.due[at]], 0), listed=True)
        if not visits.any():
            chosen = self.candidates[:0]
        else:
            priority = self.round_priority(model)
            if priority is None:  # a rule that ranks each promoter's candidates as a set
                return None
            chosen = self._first_of_blocks(self.candidates, [s.start for s in mine], open_n,
                                           visits, lambda at, over: priority[at], listed=False)
            if chosen is None:
                return None
        for p, f, v in zip(promoters, follow_ups.tolist(), visits.tolist(), strict=True):
            p.follow_ups_this_month, p.visits_this_month = f, v
        return due, chosen

    @staticmethod
    def _first_of_blocks(rows: np.ndarray, starts: list[int], sizes: np.ndarray,
                         taken: np.ndarray, values_of, listed: bool) -> np.ndarray | None:
        """The first ``taken[b]`` rows of each block ``b`` of ``rows`` (``sizes[b]`` rows
        from ``starts[b]``) by ``values_of(positions, over)`` (``over``: whether the
        position's block keeps only some of its rows), equal values in the order listed,
        block after block (:func:`sanisim.draws.lex_order`).

        ``listed``: the promoters in turn keep equal values in the order listed too (a
        stable sort). Otherwise ``None`` when a block keeping some but not all of its rows
        has its last kept value equal to the first left out: ``first``'s ``argpartition``
        keeps such ties as it finds them."""
        if not taken.any():
            return rows[:0]
        at = ranges(starts, sizes)
        block = np.repeat(np.arange(sizes.size), sizes)
        over = (taken < sizes)[block]
        values = values_of(at, over)
        ordered = lex_order(values, block)
        rank = np.arange(at.size) - np.repeat(sizes.cumsum() - sizes, sizes)
        kept = taken[block]
        if not listed:
            edge = np.flatnonzero(over & (rank == kept) & (kept > 0))  # first left out
            if edge.size and (values[ordered[edge]] == values[ordered[edge - 1]]).any():
                return None
        return rows[at[ordered[rank < kept]]]

    def _shares(self, promoters: list[Promoter]) -> tuple[list, list]:
        """Each promoter's positions in the due follow-ups and in the candidates (both
        sorted), found with one search of every catchment's bounds when all catchments are
        contiguous; ``None`` each (a promoter finds its own) otherwise."""
        if not all(p.contiguous for p in promoters):
            return [None] * len(promoters), [None] * len(promoters)
        bounds = np.concatenate([p.bounds for p in promoters])
        shares = []
        for rows in (self.due, self.candidates):
            at = rows.searchsorted(bounds).tolist()
            shares.append([slice(lo, hi) for lo, hi in zip(at[::2], at[1::2], strict=True)])
        return shares[0], shares[1]

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        acting = self.acting(model.month)
        values = {
            "visits": self.visits_this_month if acting else 0,
            "follow_ups": self.follow_ups_this_month if acting else 0,
            "capacity": self.capacity if acting else 0,
            "spent": self.spent,
        }
        extra = {"wasted": self.wasted_this_month if acting else 0,
                 "database_spent": self.database_spent}
        values.update((key, extra[key]) for key in self.mechanism_outputs)
        return self.named(values)
