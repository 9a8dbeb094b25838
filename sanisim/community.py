"""Community dynamics: collective plans, monitoring and sanction, tipping, backfire.

Community-led total sanitation acts on the community as well as on its members (Kar &
Chambers 2008; Harter, Inauen & Mosler 2020). The RT (rukun tetangga) is the community here;
its state is a few arrays over RTs, and each household reads its RT's values by index.

* **Social capital** ``s_r`` (0-1): one beta draw per RT (stream ``community``), mean
  ``community.social_capital``, concentration ``community.social_capital_concentration``.
* **Commitment**: a triggering session in RT ``r`` ends with a collective plan with
  probability ``facilitation * s_r`` (``facilitation`` is the triggering strategy's: how
  capable its facilitators are). A committed RT has a plan for ``community.plan_months``
  months and community monitoring for ``community.monitoring_months``.
* **Backfire**: a session that ends *without* a plan leaves its attendees with a lower
  injunctive norm and commitment (self-regulation) — a share
  ``community.backfire_effect * (1 - s_r)`` of each — public shaming without collective
  action (low-social-capital villages built fewer toilets than controls in Cameron, Olivia &
  Shah 2019).
* **Community hazard**, added to the Bass part of the decision hazard of household ``i``
  below basic in RT ``r`` (so it is scaled by the household's factors, and money still
  decides)::

      c_i = plan_hazard * [plan running in r]
            + (pressure_hazard + sanction_hazard * [r monitored]) * T(F_r) * [i practises OD]
      T(F) = 1 / (1 + exp(-(F - tipping_threshold) / tipping_width))

  with ``F_r`` the share of the RT's households *not* practising open defecation (the goal
  of the community is to be open-defecation free). The plan concerns every household below
  basic; monitoring and sanction, and the pull of the community without a programme, concern
  those still practising open defecation. ``T`` rises steeply around the threshold, so the
  fewer households of an RT still defecate in the open, the stronger the pull on them: the
  decisions are strategic complements and an RT can tip.
* **Own latrines and mutual help** (in ``finance``): while an RT's plan runs, a household
  falling back off open defecation prefers sharing only with probability
  ``sharing.preference * (1 - community.own_latrine)`` (the plan is a latrine per household),
  and one that cannot pay for a pit gets one built by its neighbours with probability
  ``community.mutual_help`` (gotong royong; :meth:`SanitationModel._plan_help`).
"""

from __future__ import annotations

import numpy as np

NEVER = -10_000


class Communities:
    """The RTs' social capital, plans and monitoring (see the module docs)."""

    def __init__(self, n_rt: int, params, rng: np.random.Generator) -> None:
        mean = float(np.clip(params["community.social_capital"], 1e-3, 1 - 1e-3))
        conc = params["community.social_capital_concentration"]
        self.social_capital = rng.beta(mean * conc, (1 - mean) * conc, n_rt)
        self.plan_until = np.full(n_rt, NEVER, np.int32)
        self.monitored_until = np.full(n_rt, NEVER, np.int32)
        self.committed_total = 0
        self.backfired_total = 0
        self.p = params

    def commit(self, rts: np.ndarray, month: int, facilitation: float,
               draws: np.ndarray) -> np.ndarray:
        """Which triggered RTs make a collective plan (bool per RT of ``rts``)."""
        committed = draws < facilitation * self.social_capital[rts]
        chosen = rts[committed]
        self.plan_until[chosen] = month + self.p["community.plan_months"]
        self.monitored_until[chosen] = month + self.p["community.monitoring_months"]
        self.committed_total += int(chosen.size)
        self.backfired_total += int(rts.size - chosen.size)
        return committed

    def backfire_share(self, rts: np.ndarray) -> np.ndarray:
        """Share of the norm lost by attendees of a session without a plan, per RT."""
        return self.p["community.backfire_effect"] * (1.0 - self.social_capital[rts])

    def hazard(self, month: int, od_free: np.ndarray, rt: np.ndarray,
               practising_od: np.ndarray) -> np.ndarray:
        """Added monthly decision hazard per household (see the module docs)."""
        p = self.p
        tipping = 1.0 / (1.0 + np.exp(-(od_free - p["community.tipping_threshold"])
                                      / p["community.tipping_width"]))
        pull = (p["community.pressure_hazard"] + p["community.sanction_hazard"] * (
            self.monitored_until >= month)) * tipping
        plan = p["community.plan_hazard"] * (self.plan_until >= month)
        hazard = plan[rt] + pull[rt] * practising_od
        return hazard.astype(np.float32)

    def planning(self, month: int) -> int:
        """RTs whose plan is running."""
        return int(np.count_nonzero(self.plan_until >= month))

    def monitored(self, month: int) -> int:
        """RTs under community monitoring."""
        return int(np.count_nonzero(self.monitored_until >= month))
