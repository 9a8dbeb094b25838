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

Gains fade with the scenario's factor half-life (phase ``decay``). Every visit costs
``visit_cost`` rupiah, booked to the strategy's funder; a promoter stops when the budget is
spent. Random order comes only from the strategy's own stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sanisim import purchase
from sanisim.behaviour import VISIT_FACTORS
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.products import Visit
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, book_visits
from sanisim.strategies.waste_common import ADDRESSES, deliver_to_waste
from sanisim.targeting import select

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

TARGETING = ("random", "lowest_coverage", "most_connected", "nominated_friends", "poorest_first",
             "household_database", "lowest_village_coverage")
NEVER = np.iinfo(np.int16).min  # "no month"


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

    def plan(self, room: int) -> tuple[np.ndarray, np.ndarray]:
        """This month's follow-ups and first visits (rows), at most ``room`` in all.

        Follow-ups due in the catchment come first, oldest first; the rest of the room goes
        to first visits chosen by the programme's targeting rule.
        """
        programme = self.programme
        due = programme.due[self.own(programme.due)]
        if due.size > room:
            due = due[np.argsort(programme.follow_up_due[due], kind="stable")[:room]]
        mine = self.own(programme.candidates)
        chosen = select(self.model, programme.targeting, programme.candidates[mine],
                        programme.keys[mine], room - due.size)
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
              0, 1_000_000),
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
        ADDRESSES,
    )

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

    # ---------------------------------------------------------------- the visits
    def first_visit(self, model: SanitationModel, rows: np.ndarray) -> None:
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
        hh = model.households
        below = np.flatnonzero(hh.rung < Rung.BASIC)
        fresh = model.month - self.last_visit[below].astype(np.int32) >= self.revisit_after
        below = below[fresh]
        self.candidates = self.within_reach(below[hh.build_left[below] < 0])
        self.keys = self.rng.random(self.candidates.size)  # random order among candidates
        self.pending = np.unique(self.pending[self.follow_up_due[self.pending] != NEVER])
        self.due = self.pending[self.follow_up_due[self.pending] <= model.month]
        self.visits_this_month = self.follow_ups_this_month = 0
        for promoters in self.rounds:
            self._round(model, promoters)

    def _round(self, model: SanitationModel, promoters: list[Promoter]) -> None:
        """Promoters with disjoint catchments plan in turn (each within its capacity and the
        budget left), then their visits are made together; what they served is no longer open
        to the next round."""
        left = self.affordable(self.visit_cost, sum(p.capacity for p in promoters))
        due, chosen = [], []
        for promoter in promoters:
            follow_ups, visits = promoter.plan(min(promoter.capacity, left))
            left -= follow_ups.size + visits.size
            due.append(follow_ups)
            chosen.append(visits)
        self.follow_up(model, np.concatenate(due))
        self.first_visit(model, np.concatenate(chosen))
        if len(self.rounds) > 1:
            self.due = self.due[self.follow_up_due[self.due] != NEVER]
            open_ = self.last_visit[self.candidates] != model.month
            self.candidates, self.keys = self.candidates[open_], self.keys[open_]

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        acting = self.acting(model.month)
        return self.named({
            "visits": self.visits_this_month if acting else 0,
            "follow_ups": self.follow_ups_this_month if acting else 0,
            "capacity": self.capacity if acting else 0,
            "spent": self.spent,
        })
