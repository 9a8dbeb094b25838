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
* **Sharers build their own** (``mechanisms.sharer_own``): while an RT's plan runs, a sharing
  household that has decided but cannot reach an improved toilet digs a pit of its own with
  probability ``community.own_latrine`` (paying for it, or helped by its neighbours as
  above; :meth:`SanitationModel._sharers_dig`), and stops sharing once it is dug. Without it a
  sharing household reaches an own facility only through an improved toilet.
"""

from __future__ import annotations

import numpy as np

from sanisim.ladder import OD_CODE

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
               practising_od: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Added monthly decision hazard per household (see the module docs), float32.

        The hazard takes two values per RT (practising open defecation or not): they are
        computed per RT and each household picks its own from a table of ``2 x RTs`` values
        (the float32 of the float64 sum, as computed per household before), one gather
        instead of a chain of float64 passes over every household. ``out``: a float32 array
        to write it into (else a new one).
        """
        p = self.p
        tipping = 1.0 / (1.0 + np.exp(-(od_free - p["community.tipping_threshold"])
                                      / p["community.tipping_width"]))
        pull = (p["community.pressure_hazard"] + p["community.sanction_hazard"] * (
            self.monitored_until >= month)) * tipping
        plan = p["community.plan_hazard"] * (self.plan_until >= month)
        table = np.empty((plan.size, 2), np.float32)  # [RT, practising OD]
        table[:, 0] = plan + pull * 0.0  # as plan[rt] + pull[rt] * False
        table[:, 1] = plan + pull
        # mode "clip" (every index is in range): with ``out``, "raise" gathers into a
        # buffer and copies it over, twice the time at a million rows
        return table.ravel().take(self._index(rt, practising_od), out=out, mode="clip")

    def _index(self, rt: np.ndarray, practising_od: np.ndarray) -> np.ndarray:
        """Each household's place in the table, ``2 x rt + practising_od``: made once per RT
        array and then brought up to date at the rows whose ``practising_od`` changed (few a
        month; a full pass of 64-bit sums costs several times the scan for them)."""
        cached = self.__dict__.get("_rt_index")
        if cached is None or cached[0] is not rt or cached[1].size != practising_od.size:
            twice = 2 * rt.astype(np.intp)
            self._rt_index = (rt, practising_od.copy(), twice, twice + practising_od)
            return self._rt_index[3]
        _, state, twice, index = cached
        changed = (practising_od != state).nonzero()[0]
        if changed.size:
            now = practising_od[changed]
            index[changed] = twice[changed] + now
            state[changed] = now
        return index

    def planning(self, month: int) -> int:
        """RTs whose plan is running."""
        return int(np.count_nonzero(self.plan_until >= month))

    def monitored(self, month: int) -> int:
        """RTs under community monitoring."""
        return int(np.count_nonzero(self.monitored_until >= month))


class Tally:
    """Running counts of the households' state, kept up to date from the rows that changed.

    Counted: households per rung (``by_rung``), and per RT those at basic or better
    (``rt_basic``), those with a facility of any kind, own or shared (``rt_facility``: rung
    above open defecation) and those practising open defecation (``rt_od``); at basic or better per
    income quintile (``quintile_basic``) and among women decision makers
    (``female_basic``); practising open defecation in all (``od``). The RT's coverage and ODF
    status and the monthly record's shares are read from these counts.

    ``update(rung, practising)`` compares the two arrays with the copies it kept from its
    last update (one pass over one byte per household each) and moves the changed rows
    between the counts: O(households) cheap comparisons plus O(changed rows), instead of a
    recount by masks and sums per RT, per rung and per group. The counts are integers, so
    they equal the recount exactly (``tests/test_tally.py`` checks them against it every
    month of runs).
    """

    def __init__(self, rt: np.ndarray, n_rt: int, quintile: np.ndarray, female: np.ndarray,
                 n_rungs: int, basic: int) -> None:
        self.rt, self.n_rt = rt, n_rt
        self.quintile, self.female = quintile, female
        # the groups' sizes are fixed for a population (at least 1: a share of an empty group
        # is 0)
        self.quintile_size = np.maximum(np.bincount(quintile, minlength=5)[:5], 1)
        self.n_female = int(np.count_nonzero(female))
        self.n_rungs, self.basic = n_rungs, int(basic)  # a plain int compares faster
        self.rung: np.ndarray | None = None  # the state the counts belong to
        self.practising: np.ndarray | None = None

    def update(self, rung: np.ndarray, practising: np.ndarray) -> None:
        """Bring the counts to ``rung`` (codes per household) and ``practising`` (bool)."""
        if self.rung is None:
            self.recount(rung, practising)
            return
        changed = ((rung != self.rung) | (practising != self.practising)).nonzero()[0]
        if changed.size == 0:
            return
        old, new = self.rung[changed], rung[changed]
        self.by_rung += (np.bincount(new, minlength=self.n_rungs)
                         - np.bincount(old, minlength=self.n_rungs))
        basic = (new >= self.basic).astype(np.int64) - (old >= self.basic)
        moved = basic != 0
        if moved.any():
            rows, step = changed[moved], basic[moved]
            np.add.at(self.rt_basic, self.rt[rows], step)
            np.add.at(self.quintile_basic, self.quintile[rows], step)
            self.female_basic += int(step[self.female[rows]].sum())
        facility = (new > OD_CODE).astype(np.int64) - (old > OD_CODE)
        moved = facility != 0
        if moved.any():
            np.add.at(self.rt_facility, self.rt[changed[moved]], facility[moved])
        was, now = self.practising[changed], practising[changed]
        flipped = was != now
        if flipped.any():
            rows, step = changed[flipped], now[flipped].astype(np.int64) - was[flipped]
            np.add.at(self.rt_od, self.rt[rows], step)
            self.od += int(step.sum())
        self.rung[changed] = new
        self.practising[changed] = now

    def recount(self, rung: np.ndarray, practising: np.ndarray) -> None:
        """Count everything afresh from ``rung`` and ``practising``."""
        self.rung, self.practising = rung.copy(), practising.copy()
        self.by_rung = np.bincount(rung, minlength=self.n_rungs).astype(np.int64)
        adopted = rung >= self.basic
        self.rt_basic = np.bincount(self.rt, weights=adopted,
                                    minlength=self.n_rt).astype(np.int64)
        self.rt_facility = np.bincount(self.rt, weights=rung > OD_CODE,
                                       minlength=self.n_rt).astype(np.int64)
        self.rt_od = np.bincount(self.rt, weights=practising,
                                 minlength=self.n_rt).astype(np.int64)
        self.quintile_basic = np.bincount(self.quintile[adopted], minlength=5).astype(np.int64)
        self.female_basic = int(np.count_nonzero(adopted & self.female))
        self.od = int(np.count_nonzero(practising))
