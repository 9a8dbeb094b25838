"""Use and the life of a facility: owning is not using; repair, or abandonment.

**Use** (``mechanisms.use``). ``households.in_use`` says whether a household uses the
facility it has; one that does not practises open defecation although it owns (or shares) a
facility. Each month a user stops with probability ``use.disuse * m_i`` and a non-user resumes
with probability ``use.resume / m_i``, where

    m_i = exp(-w_sr * (s_i - s_mean)) * exp(-use.w_coverage * (C_r - 1/2))

falls with the household's self-regulation ``s_i`` (``failure.w_self_regulation``, the same
weight as for facility failure) and with the coverage ``C_r`` of its RT, the descriptive norm
of use (slippage after ODF went with weaker perceived latrine coverage, Odagiri et al. 2017):
by ``use.coverage_norm``, the share of the RT with a latrine of any kind, own or shared
("facility", the default: the behaviour the shipped posterior was fitted with) or the share at
basic or better ("basic"). A facility a household builds or receives and takes up starts in
use. At month 0 the households with a facility are at the stationary share of this process
(``use.start_in_equilibrium``: :func:`start_in_equilibrium`).

**Repair or abandonment** (``mechanisms.repair``). When an own toilet fails (phase
``failure``), a household that can pay the repair (``costs.repair_share`` of the price) has it
repaired at once with probability ``failure.repair_prob`` (Crocker, Saywell & Bartram 2017:
45% of households repaired or rebuilt within a year in Ethiopia, 6% in Ghana) and keeps its
rung. Otherwise it falls back (to an unimproved facility or open defecation) and its toilet
waits for repair; after ``failure.abandon_months`` without repair the toilet is abandoned: a
new one costs the full price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sanisim.draws import NO_ROWS, month_key, row_uniforms, thinned
from sanisim.ladder import UNIMPROVED_CODE as _UNIMPROVED

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


def norm_coverage(model: SanitationModel) -> np.ndarray:
    """C_r of the module docs, one per RT (``use.coverage_norm``)."""
    return model.rt_facility if model.params["use.coverage_norm"] == "facility" else (
        model.rt_coverage)


def use_multiplier(model: SanitationModel, rows: np.ndarray) -> np.ndarray:
    """m_i of the module docs for ``rows`` (1 at mean self-regulation and coverage 1/2)."""
    p, hh = model.params, model.households
    log_m = -p["use.w_coverage"] * (norm_coverage(model)[hh.rt[rows]] - 0.5)
    w = p["failure.w_self_regulation"]
    if w:
        log_m -= w * (hh.self_regulation[rows] - p["factors.self_regulation"])
    return np.exp(log_m)


def _log_terms(model: SanitationModel) -> tuple[np.ndarray, float, float]:
    """The two terms of log m_i: the coverage term of each RT (float64, one per RT) and the
    lowest and highest self-regulation term over all rows (each is linear in its variable,
    so its extremes are at the extreme self-regulations)."""
    p, hh = model.params, model.households
    coverage = -p["use.w_coverage"] * (norm_coverage(model) - 0.5)
    w = p["failure.w_self_regulation"]
    if not w:
        return coverage, 0.0, 0.0
    s = hh.self_regulation
    ends = -w * (np.array([s.min(), s.max()], float) - p["factors.self_regulation"])
    return coverage, float(ends.min()), float(ends.max())


def multiplier_bounds(model: SanitationModel,
                      terms: tuple[np.ndarray, float, float] | None = None
                      ) -> tuple[float, float]:
    """Bounds ``(lowest, highest)`` of m_i over all rows (``terms`` as for
    :func:`disuse_bounds`)."""
    coverage, low, high = _log_terms(model) if terms is None else terms
    return (float(np.exp(float(coverage.min()) + low)),
            float(np.exp(float(coverage.max()) + high)))


#: Relative room of the bounds of :func:`disuse_bounds` over the rates they bound: a row's
#: self-regulation term is computed in float32 (about 1e-7 of itself off the float64 extreme),
#: and the bound is rounded to float32 (at most 2**-24, 6e-8, of itself).
_BOUND_ROOM = 1e-5


def disuse_bounds(model: SanitationModel,
                  terms: tuple[np.ndarray, float, float] | None = None,
                  rows: np.ndarray | None = None) -> np.ndarray:
    """An upper bound of each row's stopping hazard ``use.disuse x m_i`` (float32, one per
    row of ``rows``, else of every row): the highest m_i of the row's RT, from its coverage
    term and the highest self-regulation term, with :data:`_BOUND_ROOM` to spare.
    ``terms``: what :func:`_log_terms` gives now, when the caller has it."""
    coverage, _, high = _log_terms(model) if terms is None else terms
    by_rt = model.params["use.disuse"] * np.exp(coverage + high) * (1 + _BOUND_ROOM)
    by_rt = by_rt.astype(np.float32)
    return model.rt_to_rows(by_rt) if rows is None else by_rt[model.households.rt[rows]]


def update_use(model: SanitationModel) -> None:
    """Users stop and non-users resume using their working facility (see the module docs).

    Stopping is rare: candidates are drawn at the bound ``use.disuse x max m`` and thinned to
    each user's hazard (:func:`sanisim.draws.thinned`), so m_i is computed for the candidates
    only. Non-users (few) take each their own uniform (:func:`sanisim.draws.row_uniforms`,
    keyed by the month's first number of stream ``use``).
    """
    p, hh = model.params, model.households
    rng = model.streams.monthly("use", model.month)
    key = month_key(rng)  # first, so that what follows never shifts it
    terms = _log_terms(model)
    _, high = multiplier_bounds(model, terms)
    disuse, resume = p["use.disuse"], p["use.resume"]

    def stop_rate(rows: np.ndarray) -> np.ndarray:
        users = hh.in_use[rows] & (hh.rung[rows] >= _UNIMPROVED)
        return np.where(users, disuse * use_multiplier(model, rows), 0.0)

    # the bound with a hair of room for rounding (any bound at least the largest rate is exact)
    stopping, _ = thinned(rng, stop_rate, disuse * high * (1 + 1e-9), hh.n,
                          row_bounds=lambda rows: disuse_bounds(model, terms, rows))
    # non-users with a facility: one mask in a kept array (bool in_use < has a facility), few
    # rows set, instead of the rows of every non-user (households at open defecation too)
    idle = np.greater_equal(hh.rung, _UNIMPROVED, out=model._scratch("idle", bool))
    idle = np.less(hh.in_use, idle, out=idle).nonzero()[0]
    resuming = idle[row_uniforms(key, idle) < resume / use_multiplier(model, idle)]
    hh.in_use[stopping] = False
    hh.in_use[resuming] = True


def start_in_equilibrium(model: SanitationModel) -> np.ndarray:
    """Households with a facility at month 0 stop using it with the stationary probability of
    the use process: a user stops with ``a = disuse x m_i`` a month and a non-user resumes
    with ``b = resume / m_i``, so a household uses its facility with probability
    ``b / (a + b) = resume / (resume + disuse x m_i^2)`` once the process has settled
    (``use.start_in_equilibrium``; stream ``use:start``, one uniform per household with a
    facility). Returns the rows set to not in use.

    Without it every facility starts in use, and the first years show practising open
    defecation rising while non-users accumulate towards that share: a transient of the
    start, not a trend of the place.
    """
    p, hh = model.params, model.households
    owners = np.flatnonzero(hh.rung >= _UNIMPROVED)
    m = use_multiplier(model, owners)
    disuse, resume = p["use.disuse"], p["use.resume"]
    stop = disuse * m * m / np.maximum(resume + disuse * m * m, np.finfo(float).tiny)
    idle = owners[model.streams["use:start"].random(owners.size) < stop]
    hh.in_use[idle] = False
    return idle


def repaired_at_once(model: SanitationModel, toilets: np.ndarray) -> np.ndarray:
    """Which of the failing own toilets ``toilets`` are repaired at once (a mask; those are
    paid and booked)."""
    p, hh = model.params, model.households
    cost = model.toilet_price(hh.pit_toilet[toilets]) * p["costs.repair_share"]
    draws = model.streams["repair"].random(toilets.size)
    able = hh.savings[toilets] >= cost if p["behaviour.money_constraint"] else np.ones(
        toilets.size, bool)
    chosen = able & (draws < p["failure.repair_prob"])
    repaired = toilets[chosen]
    if p["behaviour.money_constraint"]:
        hh.savings[repaired] -= cost[chosen]
    model.book("households", "repairs", cost[chosen].sum())
    return chosen


def abandon(model: SanitationModel) -> np.ndarray:
    """Failed toilets left unrepaired for ``failure.abandon_months`` are abandoned; returns
    their rows."""
    hh = model.households
    # failed in month ``last`` or before (``month - failed >= abandon_months``): the rows of
    # one mask (failed that long ago and still due), few set, rather than the rows of every
    # toilet waiting for repair (a few per cent of all)
    last = model.month - model.params["failure.abandon_months"]
    if last < 0:  # no failure is that old yet
        return NO_ROWS
    old = np.less_equal(hh.failed_month, last, out=model._scratch("abandoning", bool))
    old &= hh.repair_due
    old = old.nonzero()[0]
    old = old[(hh.failed_month[old] >= 0) & (hh.build_left[old] < 0)]  # -1: never failed
    hh.repair_due[old] = False
    hh.failed_month[old] = -1
    hh.owned[old] = np.where(hh.rung[old] == _UNIMPROVED, 1, 0)
    return old
