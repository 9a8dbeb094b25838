"""Subsidy: hardware grants (a toilet with septic tank) to eligible households.

Each month (phase ``programmes``) the programme enrols up to ``grants_per_month`` eligible
households — below basic, not building, never subsidised (and poor, if ``poor_only``) —
chosen by ``targeting`` (poorest_first, lottery, whole_community), as far as the budget still
uncommitted pays for their grant (and accompanying visits). The grant is built by the
programme's contractor at ``unit_cost`` rupiah (government unit cost, DAK individual septic
tanks about Rp 8-12 M in 2023-24), booked to the funder when delivered; the household pays
nothing and ``households.subsidised`` is set.

**Without BCC** (``with_bcc`` false) the hardware is delivered in the month of enrolment.
**With BCC** the enrolled household first gets a visit (risk perception, attitude and
ability raised by ``visit_effect``), and ``lead_months`` later a follow-up visit (self-
regulation raised by ``follow_up_effect``) with the hardware. A household that builds on its
own in the meantime drops out and its grant is not spent.

**Planning** (``allocation``): a plan made every ``plan_every`` months splits each month's
grants among planning units by households, by need or worst first
(:class:`sanisim.targeting.Plan`, as for BCC visits).

**Uptake by behaviour** (``uptake = "behaviour"``): no penalty is assumed. A recipient who
had decided to build (an open intention or loan application at delivery) uses the toilet; one
who had not starts using it with probability ``M / (1 + M)``, with ``M`` its motivation
multiplier of the decision rule (:func:`sanisim.behaviour.motivation`, 1 at the scenario's
mean factors: even odds). From then on the model's own rules decide: a non-user resumes and a
user stops with the use mechanism's hazards (self-regulation and RT coverage), the toilet
fails with the self-regulation hazard, and a failed toilet waits until the household decides
to repair it. BCC before the hardware works only through the factors its visits raise.

**Ownership by assumption** (``uptake = "assumed"``, the earlier model): a recipient owns
the facility if it had decided to build itself (an open intention or loan application at
delivery) or was accompanied by BCC. A recipient who does not own it

* with probability ``unowned_nonuse`` does not start using it: its rung does not change and
  the facility counts as needing repair (using it later, once the household decides to, costs
  the repair share), and
* otherwise uses it but with a baseline self-regulation lowered by the share
  ``unowned_self_regulation_drop``, so the model's failure rule (hazard falls with
  self-regulation, ``failure.w_self_regulation``) makes it fall out of use more often; and the
  lowered self-regulation also slows its decision to repair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim.behaviour import VISIT_FACTORS, motivation
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.products import Visit
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, and_not, book_visits, open_below_basic
from sanisim.targeting import ALLOCATIONS, PLAN_UNITS, RULES, Plan, select

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

NOT_ENROLLED = -10_000  # enrolled_month of a household never enrolled
DONE = -20_000  # ... and of one whose grant was delivered or who dropped out


@register
class Subsidy(Programme):
    """Hardware grants, with or without accompanying BCC (see module docs)."""

    type_name: ClassVar[str] = "subsidy"
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "enrolled", "grants", "grant_capacity", "unused", "dropped_out", "visits", "committed",
        "spent")
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("unit_cost", 10_000_000.0, "rupiah per grant",
              "Cost of one granted toilet with septic tank, built by the programme.",
              "government (DAK) individual septic tank about Rp 8-12 M (2023-24), midpoint",
              0.0, 1e10),
        Param("grants_per_month", 40, "grants per month",
              "Toilets the programme's contractors can build in a month.", "assumption",
              0, 1_000_000, scales=True),
        Param("targeting", "poorest_first", "",
              "Who is enrolled first: poorest_first (lowest income), lottery (random), "
              "whole_community (every eligible household of an RT, RTs already served first, "
              "then the RT with the lowest coverage).", "model switch",
              choices=("poorest_first", "lottery", "whole_community")),
        Param("poor_only", False, "",
              "Whether only households below the poverty line are eligible.", "model switch"),
        Param("with_bcc", False, "",
              "Whether recipients get a BCC visit before and a follow-up with the hardware.",
              "model switch"),
        Param("lead_months", 3, "months",
              "Months from the BCC visit to delivery (with_bcc only).", "assumption", 0, 60),
        Param("visit_effect", 0.15, "share of gap to 1",
              "Share of the gap to 1 of risk, attitude and ability closed by the BCC visit.",
              "assumption: as sanitarians.visit_effect", 0.0, 1.0),
        Param("follow_up_effect", 0.2, "share of gap to 1",
              "Share of the gap to 1 of self-regulation closed by the follow-up visit.",
              "assumption, as bcc.follow_up_effect", 0.0, 1.0),
        Param("visit_cost", 25_000.0, "rupiah per visit",
              "Cost of one accompanying visit.", "assumption: as costs.visit", 0.0, 1e8),
        Param("uptake", "assumed", "",
              "How a recipient comes to use and keep the toilet: 'assumed' (the earlier model: "
              "one who did not decide and got no BCC is 'unowned' and pays the constant "
              "penalties unowned_nonuse and unowned_self_regulation_drop), 'behaviour' (no "
              "penalty: one who had decided uses it; one who had not starts using it with "
              "probability M/(1+M), M its motivation multiplier, and then uses, keeps and "
              "repairs it as its factors say).", "model switch",
              choices=("assumed", "behaviour")),
        Param("allocation", "none", "",
              "How a plan splits each month's grants among planning units: 'none' (the "
              "earlier model: down the targeting list), 'uniform' (in proportion to "
              "households), 'by_need' (to households below basic at the last plan), "
              "'worst_first' (the units with the largest share below basic first); within a "
              "unit, targeting order.", "model switch", choices=ALLOCATIONS),
        Param("plan_unit", "village", "",
              "Planning unit of allocation: village (kelurahan/desa), rw or rt.",
              "model switch", choices=PLAN_UNITS),
        Param("plan_every", 12, "months",
              "Months between plans: the units' needs are measured at each plan.",
              "assumption: yearly planning cycle (musrenbang)", 1, 600),
        Param("unowned_nonuse", 0.2, "share of recipients",
              "Chance that a recipient who did not decide to build and got no BCC leaves the "
              "toilet unused.",
              "assumption: ownership without use, Patil et al. 2014; 'top-down failed' in "
              "the programme documents", 0.0, 1.0),
        Param("unowned_self_regulation_drop", 0.5, "share of baseline",
              "Share of baseline self-regulation a recipient who did not decide and got no "
              "BCC loses (keeping a toilet one did not choose).",
              "assumption; slippage went with weak norms and commitment in Odagiri et al. "
              "2017", 0.0, 1.0),
    )

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        self.enrolled_month = np.full(model.households.n, NOT_ENROLLED, np.int32)
        self.enrolments: dict[int, np.ndarray] = {}  # enrolment month -> rows enrolled
        self.lead = self.lead_months if self.with_bcc else 0
        self.per_grant = self.unit_cost + (2 * self.visit_cost if self.with_bcc else 0.0)
        self.committed = 0.0
        self.grants_total = 0
        self.unused_total = 0
        self.dropped_total = 0
        self.visits_total = 0
        self.month_values = dict.fromkeys(self.OUTPUTS, 0)
        self.plan = (Plan(model.households, self.allocation, self.plan_unit, self.plan_every)
                     if self.allocation != "none" else None)
        if self.uptake == "behaviour":  # recipients' use is settled when the work is done
            self.lingers = True
            self.awaiting = np.zeros(model.households.n, bool)
            self.takes_up = np.zeros(model.households.n, bool)

    def uncommitted_grants(self, wanted: int) -> int:
        """How many more grants (with their visits) the budget not yet committed pays for."""
        if self.per_grant <= 0:
            return wanted
        left = self.budget_left - self.committed
        return int(min(wanted, max(0.0, left) // self.per_grant))

    # ---------------------------------------------------------------- hooks
    def on_programmes(self, model: SanitationModel) -> None:
        if not self.acting(model.month):
            return
        values = dict.fromkeys(self.OUTPUTS, 0)
        values["grant_capacity"] = self.grants_per_month
        visits_before = self.visits_total
        if model.month + self.lead <= self.end:  # deliveries must fall inside the window
            values["enrolled"] = self._enrol(model)
        values["grants"] = self._deliver(model)
        values["visits"] = self.visits_total - visits_before
        self.month_values = values

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        values = (dict(self.month_values) if self.acting(model.month)
                  else dict.fromkeys(self.OUTPUTS, 0))
        values.update(unused=self.unused_total, dropped_out=self.dropped_total,
                      committed=self.committed, spent=self.spent)
        return self.named(values)

    # ---------------------------------------------------------------- mechanisms
    def _eligible(self, model: SanitationModel) -> np.ndarray:
        hh = model.households
        open_ = open_below_basic(hh, out=self.enrolled_month == NOT_ENROLLED)
        and_not(open_, hh.subsidised)
        if self.poor_only:
            open_ &= hh.poor
        return self.within_reach(open_.nonzero()[0])

    def _enrol(self, model: SanitationModel) -> int:
        room = self.uncommitted_grants(self.grants_per_month)
        if room <= 0:  # budget spent or promised: nobody to enrol, nothing to draw
            return 0
        candidates = self._eligible(model)
        keys = self.rng.random(candidates.size)
        if self.plan is None:
            chosen = select(model, self.targeting, candidates, keys, room)
        else:
            self.plan.update(model)
            chosen = self.plan.choose(min(room, candidates.size), candidates,
                                      RULES[self.targeting](model, candidates, keys), keys)
        if chosen.size == 0:
            return 0
        self.enrolled_month[chosen] = model.month
        self.enrolments[model.month] = chosen
        self.committed += chosen.size * self.per_grant
        if self.with_bcc:
            Visit(self.visit_effect, self.visit_cost, VISIT_FACTORS).deliver(
                model.households, chosen)
            self._visits(model, chosen.size)
        return chosen.size

    def _visits(self, model: SanitationModel, count: int) -> None:
        self.committed -= count * self.visit_cost
        self.visits_total += count
        book_visits(model, self, count, self.visit_cost, "subsidy_bcc_visits")

    def _deliver(self, model: SanitationModel) -> int:
        hh = model.households
        due = self.enrolments.pop(model.month - self.lead, None)
        if due is None:
            return 0
        self.enrolled_month[due] = DONE
        still = (hh.rung[due] < Rung.BASIC.value) & (hh.build_left[due] < 0)
        dropped, due = due[~still], due[still]
        unspent = self.unit_cost + (self.visit_cost if self.with_bcc else 0.0)
        self.committed -= dropped.size * unspent
        self.dropped_total += dropped.size
        if due.size == 0:
            return 0
        decided = (hh.intent[due] > 0) | hh.applying[due]
        if self.with_bcc:
            Visit(self.follow_up_effect, self.visit_cost, ("self_regulation",)).deliver(hh, due)
            self._visits(model, due.size)
        self.committed -= due.size * self.unit_cost
        self.spend(model, due.size * self.unit_cost, "hardware_grants")
        hh.subsidised[due] = True
        self.grants_total += due.size
        if self.uptake == "behaviour":
            self._settle_uptake(model, due, decided)
            model.start_building(due, Rung.BASIC, paid_by_household=0.0)
            return due.size
        owned = np.ones(due.size, bool) if self.with_bcc else decided

        unowned = due[~owned]
        unused = unowned[self.rng.random(unowned.size) < self.unowned_nonuse]
        hh.repair_due[unused] = True
        hh.intent[unused] = 0
        hh.applying[unused] = False
        self.unused_total += unused.size
        reluctant = np.setdiff1d(unowned, unused, assume_unique=True)
        drop = np.float32(self.unowned_self_regulation_drop) * hh.base_self_regulation[reluctant]
        hh.base_self_regulation[reluctant] -= drop
        hh.self_regulation[reluctant] = np.maximum(hh.self_regulation[reluctant] - drop, 0)
        model.start_building(np.setdiff1d(due, unused, assume_unique=True), Rung.BASIC,
                             paid_by_household=0.0)
        return due.size

    def _settle_uptake(self, model: SanitationModel, due: np.ndarray,
                       decided: np.ndarray) -> None:
        """Whether each recipient will use the toilet when it is built: one who had decided
        to build does; one who had not takes it up with probability M/(1+M), its motivation
        multiplier M as odds (even odds at the scenario's mean factors)."""
        multiplier = motivation(model.households, model.params)
        odds = (np.ones(due.size) if multiplier is None
                else multiplier[due].astype(float))
        draws = self.rng.random(due.size)
        self.takes_up[due] = decided | (draws < odds / (1.0 + odds))
        self.awaiting[due] = True
        self.unused_total += int(np.count_nonzero(~self.takes_up[due]))

    def on_use(self, model: SanitationModel) -> None:
        """Finished grant toilets are used, or not, as their recipients settled; from then on
        the use, failure and repair rules of the model apply as to any toilet."""
        if self.uptake != "behaviour":
            return
        hh = model.households
        rows = np.flatnonzero(self.awaiting)
        done = rows[(hh.build_left[rows] < 0)]
        hh.in_use[done] = self.takes_up[done] & (hh.rung[done] >= Rung.BASIC.value)
        self.awaiting[done] = False
