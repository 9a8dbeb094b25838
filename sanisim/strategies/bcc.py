"""Behaviour change communication (BCC): household visits by cadres and sanitarians.

Interpersonal persuasion is delivered by :class:`Promoter` agents: community cadres (kader),
each with a catchment of RTs, and, optionally, programme hours of the existing sanitarians
over their own catchments. Each month (phase ``sanitarians``) every promoter, within its
monthly capacity and the strategy's budget,

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

from sanisim.behaviour import raise_factors
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, book_visits
from sanisim.targeting import select

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

TARGETING = ("random", "lowest_coverage", "most_connected", "nominated_friends", "poorest_first")
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
        self.catchment = catchment
        self.capacity = int(capacity)
        self.visits_this_month = 0
        self.follow_ups_this_month = 0

    def step(self) -> None:
        model, programme = self.model, self.programme
        hh = model.households
        self.visits_this_month = self.follow_ups_this_month = 0
        keys = programme.rng.random(self.catchment.size)  # one draw per household, every month
        room = programme.affordable(programme.visit_cost, self.capacity)

        due_month = programme.follow_up_due[self.catchment]
        due = self.catchment[(due_month != NEVER) & (due_month <= model.month)]
        due = due[np.argsort(programme.follow_up_due[due], kind="stable")][:room]
        programme.follow_up(model, due)
        self.follow_ups_this_month = due.size
        room -= due.size

        rows = self.catchment
        fresh = (model.month - programme.last_visit[rows].astype(np.int32)
                 >= programme.revisit_after)
        open_ = (hh.rung[rows] < Rung.BASIC) & (hh.build_left[rows] < 0) & fresh
        chosen = select(model, programme.targeting, rows[open_], keys[open_], room)
        programme.first_visit(model, chosen)
        self.visits_this_month = chosen.size


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
              "nominated_friends (a random neighbour of a random household), poorest_first.",
              "model switch", choices=TARGETING),
        Param("visit_cost", 25_000.0, "rupiah per visit",
              "Cost of one programme visit (time, transport, materials).",
              "assumption: as costs.visit", 0.0, 1e8),
        Param("refer_to_credit", True, "",
              "Whether a first visit refers the household to its cooperative (its loan "
              "application is then assessed first).", "model switch"),
    )

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        hh = model.households
        self.last_visit = np.full(hh.n, NEVER, np.int16)
        self.follow_up_due = np.full(hh.n, NEVER, np.int16)
        owner = (hh.rt.astype(np.int64) * max(self.cadres, 1)) // model.n_rt
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(self.cadres + 1))
        promoters = [Promoter(model, self, "cadre", order[bounds[c]:bounds[c + 1]],
                              self.visits_per_cadre) for c in range(self.cadres)]
        if self.sanitarian_extra_visits:
            promoters += [Promoter(model, self, "sanitarian", s.catchment,
                                   self.sanitarian_extra_visits) for s in model.sanitarians]
        self.promoters = AgentSet(promoters, random=model.random)
        self.capacity = sum(p.capacity for p in promoters)
        self.visits_total = 0
        self.follow_ups_total = 0

    # ---------------------------------------------------------------- the visits
    def first_visit(self, model: SanitationModel, rows: np.ndarray) -> None:
        hh = model.households
        raise_factors(hh, rows, ("risk", "attitude", "ability"), self.visit_effect)
        if self.refer_to_credit:
            hh.referred[rows] = True
        self.last_visit[rows] = model.month
        if self.follow_up_after:
            self.follow_up_due[rows] = model.month + self.follow_up_after
        self.visits_total += rows.size
        book_visits(model, self, rows.size, self.visit_cost, "bcc_visits")

    def follow_up(self, model: SanitationModel, rows: np.ndarray) -> None:
        raise_factors(model.households, rows, ("self_regulation",), self.follow_up_effect)
        self.follow_up_due[rows] = NEVER
        self.follow_ups_total += rows.size
        book_visits(model, self, rows.size, self.visit_cost, "bcc_follow_ups")

    # ---------------------------------------------------------------- hooks
    def on_sanitarians(self, model: SanitationModel) -> None:
        self.promoters.do("step")

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        acting = self.acting(model.month)
        return self.named({
            "visits": sum(p.visits_this_month for p in self.promoters) if acting else 0,
            "follow_ups": sum(p.follow_ups_this_month for p in self.promoters) if acting else 0,
            "capacity": self.capacity if acting else 0,
            "spent": self.spent,
        })
