"""Demand creation: community triggering sessions (CLTS-style pemicuan) and mass media.

**Triggering** (phase ``programmes``): facilitators hold up to ``sessions_per_month``
sessions a month, one per RT, in RTs with at least one household below basic that were not
triggered in the last ``retrigger_after`` months, chosen by ``rt_targeting``. Each household of
a triggered RT attends with probability ``attendance``; an attendee's *injunctive norm*
(others' approval) moves ``session_norm_effect`` of its gap to 1 and its *self-regulation*
(public commitment, action planning) ``session_commitment_effect`` of its gap — the routes
through which community-led total sanitation worked in Ghana (Harter, Inauen & Mosler 2020).
Households at basic attend too: their raised self-regulation keeps toilets in use.

**Mass media** (phase ``programmes``): a burst every ``media_every_months`` months from the
start reaches each household with probability ``media_reach`` and moves its *risk perception*
and *attitude* by a small ``media_effect`` (broad and shallow).

**Community commitment** (with ``mechanisms.community``, :mod:`sanisim.community`): a session
ends with a collective plan with probability ``facilitation`` times the RT's social capital
(stream ``community:commit``); a committed RT gets the plan's deadline and community monitoring,
and a session without a plan costs its attendees part of their injunctive norm and
commitment (backfire).

Both fade with their own half-lives (``session_half_life_months``,
``media_half_life_months``), also after the strategy's last month, via
:class:`~sanisim.strategies.common.FactorGains`. Sessions cost ``session_cost`` and bursts
``media_cost`` rupiah, booked to the funder; nothing is held that the budget cannot pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim.draws import bernoulli_rows, stable_order
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import FactorGains, Programme
from sanisim.strategies.waste_common import ADDRESSES, deliver_to_waste

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

RT_TARGETING = ("lowest_coverage", "most_open_defecation", "random")
NEVER = -10_000


@register
class DemandCreation(Programme):
    """Community triggering per RT and mass-media bursts (see module docs)."""

    type_name: ClassVar[str] = "demand_creation"
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "sessions", "session_capacity", "attendees", "triggered_rts", "committed_rts",
        "backfired_rts", "media_bursts", "media_reached", "spent")
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("sessions_per_month", 8, "sessions per month",
              "Triggering sessions the facilitators can hold in a month (one RT each).",
              "assumption: a few facilitator teams, two sessions a week each; "
              "Patil et al. 2014 found delivery capacity limiting", 0, 100_000,
              scales=True),
        Param("attendance", 0.7, "share of households",
              "Chance that a household of a triggered RT attends the session.",
              "assumption", 0.0, 1.0),
        Param("session_norm_effect", 0.3, "share of gap to 1",
              "Share of the gap to 1 of the injunctive norm closed for an attendee.",
              "assumption; norms were the main route in Harter, Inauen & Mosler 2020",
              0.0, 1.0),
        Param("session_commitment_effect", 0.25, "share of gap to 1",
              "Share of the gap to 1 of self-regulation (public commitment, action plan) "
              "closed for an attendee.",
              "assumption; commitment and action planning mattered in Harter, Inauen & "
              "Mosler 2020", 0.0, 1.0),
        Param("facilitation", 0.6, "probability",
              "How capable the facilitators are: the chance that a session in an RT of full "
              "social capital ends with a collective plan (scaled by the RT's social capital).",
              "assumption; implementer capability decided the effect in Cameron, Olivia & "
              "Shah 2019 (resource agency vs local government); fitted per setting", 0.0, 1.0),
        Param("session_half_life_months", 12.0, "months",
              "Half-life of the gains from a triggering session.",
              "assumption: public commitment and norms outlast individual persuasion; "
              "slippage after ODF (Odagiri et al. 2017) shows they do fade", 0.5, 600.0),
        Param("rt_targeting", "lowest_coverage", "",
              "Which RTs are triggered first: lowest_coverage (lowest share at basic+), "
              "most_open_defecation (highest share at open defecation), random.",
              "model switch", choices=RT_TARGETING),
        Param("retrigger_after", 24, "months",
              "Months before an RT can be triggered again.", "assumption", 1, 600),
        Param("session_cost", 2_000_000.0, "rupiah per session",
              "Cost of one triggering session (facilitators, transport, materials).",
              "assumption", 0.0, 1e10),
        Param("media_every_months", 6, "months",
              "Months between mass-media bursts, the first in the start month (0: no media).",
              "assumption", 0, 600),
        Param("media_reach", 0.6, "share of households",
              "Chance that a burst reaches a household.", "assumption", 0.0, 1.0),
        Param("media_effect", 0.05, "share of gap to 1",
              "Share of the gap to 1 of risk perception and attitude closed for a household "
              "reached.", "assumption: broad but shallow", 0.0, 1.0),
        Param("media_half_life_months", 3.0, "months",
              "Half-life of the gains from a media burst.",
              "assumption: campaign recall fades within months", 0.5, 600.0),
        Param("media_cost", 50_000_000.0, "rupiah per burst",
              "Cost of one district media burst (radio, banners, social media).",
              "assumption", 0.0, 1e12),
        ADDRESSES,
    )

    SESSION_FACTORS = ("norm", "self_regulation")
    MEDIA_FACTORS = ("risk", "attitude")

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        n, p = model.households.n, model.params
        model_half_life = p["factors.half_life_months"]
        self.session_gains = FactorGains(n, self.SESSION_FACTORS, self.session_half_life_months,
                                         model_half_life)
        self.media_gains = FactorGains(n, self.MEDIA_FACTORS, self.media_half_life_months,
                                       model_half_life)
        self.lingers = True  # gains keep their own half-life after the last month
        self.last_triggered = np.full(model.n_rt, NEVER, np.int32)
        self.month_values = dict.fromkeys(self.OUTPUTS, 0)

    # ---------------------------------------------------------------- hooks
    def on_decay(self, model: SanitationModel) -> None:
        self.session_gains.fade(model.households)
        self.media_gains.fade(model.households)
        if model.month > self.end and not (self.session_gains.any or self.media_gains.any):
            self.lingers = False  # every gain has faded: no more hooks needed

    def on_programmes(self, model: SanitationModel) -> None:
        values = dict.fromkeys(self.OUTPUTS, 0)
        if self.acting(model.month):
            values["session_capacity"] = self.sessions_per_month
            self._media(model, values)
            self._trigger(model, values)
        values["triggered_rts"] = int((self.last_triggered != NEVER).sum())
        self.month_values = values

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        values = dict(self.month_values) if model.month >= self.start else dict.fromkeys(
            self.OUTPUTS, 0)
        values["spent"] = self.spent
        return self.named(values)

    # ---------------------------------------------------------------- mechanisms
    def _media(self, model: SanitationModel, values: dict) -> None:
        every = self.media_every_months
        if not every or (model.month - self.start) % every:
            return
        if self.affordable(self.media_cost, 1) < 1:
            return
        hh = model.households
        # each household reached with probability media_reach: the count and the rows
        reached = self.within_reach(bernoulli_rows(self.rng, hh.n, self.media_reach))
        self.media_gains.add(hh, reached, self.MEDIA_FACTORS, self.media_effect)
        deliver_to_waste(self, model, reached, self.MEDIA_FACTORS, self.media_effect)
        self.spend(model, self.media_cost, "media_bursts")
        values["media_bursts"] = 1
        values["media_reached"] = reached.size

    def _rt_priority(self, model: SanitationModel) -> np.ndarray:
        keys = self.rng.random(model.n_rt)
        if self.rt_targeting == "random":
            return keys
        if self.rt_targeting == "most_open_defecation":
            hh = model.households
            od = np.bincount(hh.rt, weights=hh.rung == Rung.OPEN_DEFECATION.value,
                             minlength=model.n_rt) / model.rt_size
            return -od + 1e-6 * keys
        return model.rt_coverage + 1e-6 * keys

    def _trigger(self, model: SanitationModel, values: dict) -> None:
        priority = self._rt_priority(model)  # drawn every acting month: stable stream use
        sessions = self.affordable(self.session_cost, self.sessions_per_month)
        if sessions <= 0:
            return
        eligible = (model.rt_coverage < 1.0) & (
            model.month - self.last_triggered >= self.retrigger_after)
        if self.reach is not None:
            eligible &= self.reached_rts(model)
        eligible = np.flatnonzero(eligible)
        if eligible.size == 0:
            return
        chosen = eligible[stable_order(priority[eligible])[:sessions]]
        hh = model.households
        in_session = np.zeros(model.n_rt, bool)
        in_session[chosen] = True
        members = self.within_reach(model.rows_of_rts(in_session))  # sorted
        present = members[self.rng.random(members.size) < self.attendance]
        self.session_gains.add(hh, present, ("norm", "self_regulation"),
                               (self.session_norm_effect, self.session_commitment_effect))
        deliver_to_waste(self, model, present, ("norm",), self.session_norm_effect)
        deliver_to_waste(self, model, present, ("self_regulation",),
                         self.session_commitment_effect)
        self.last_triggered[chosen] = model.month
        self.spend(model, chosen.size * self.session_cost, "triggering_sessions")
        values["sessions"] = chosen.size
        values["attendees"] = present.size
        if model.communities is not None:
            self._commit(model, chosen, present, values)

    def _commit(self, model: SanitationModel, chosen: np.ndarray, present: np.ndarray,
                values: dict) -> None:
        """Collective plans in the triggered RTs; backfire where none was made."""
        communities, hh = model.communities, model.households
        draws = model.streams["community:commit"].random(chosen.size)
        committed = communities.commit(chosen, model.month, self.facilitation, draws)
        failed = chosen[~committed]
        values["committed_rts"] = int(committed.sum())
        values["backfired_rts"] = int(failed.size)
        if failed.size == 0:
            return
        loss = np.zeros(model.n_rt, np.float32)
        loss[failed] = communities.backfire_share(failed)
        hit = present[loss[hh.rt[present]] > 0]
        for factor in self.SESSION_FACTORS:  # others' approval and one's own commitment
            getattr(hh, factor)[hit] *= 1 - loss[hh.rt[hit]]
