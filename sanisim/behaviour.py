"""Psychosocial factors, their decay, and the monthly decision rule.

The decision hazard of a household below basic is

    h_i = min(1, (p + q * D_i) * M_i),   M_i = exp(sum_k w_k * (f_ik - fbar_k))

with ``D_i`` the share of its network neighbours at basic or better (the descriptive norm),
``f_ik`` its RANAS factors (risk, attitude, norm, ability, self-regulation; 0-1), ``fbar_k``
their scenario means and ``w_k`` their weights. With every weight zero, ``M_i = 1`` and the
rule *is* the discrete Bass model on a network, ``h_i = p + q * D_i``; with money no
constraint and construction immediate, a decision is an adoption (see :func:`bass_recurrence`).
"""

from __future__ import annotations

import numpy as np

from sanisim.population import FACTORS, Households
from sanisim.rowblocks import blocks
from sanisim.rowcache import RowCache

WEIGHT_KEYS = tuple(f"behaviour.w_{f}" for f in FACTORS)
#: Factors a household visit (sanitarian, cadre, grant visit) raises: risk, attitude, know-how.
VISIT_FACTORS: tuple[str, ...] = ("risk", "attitude", "ability")


class Scratch:
    """Preallocated work arrays of one length (float32 unless asked otherwise), by name,
    reused month after month.

    The monthly chains of float32 arithmetic (motivation, hazards, the failure multiplier)
    write into these through ufuncs' ``out=`` instead of allocating a temporary per operation;
    the same operations in the same order, so the results are bit for bit those of the plain
    expressions. An array handed out is overwritten the next time its name is asked for:
    hold on to it only within the phase that asked.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._arrays: dict[str, np.ndarray] = {}

    def __call__(self, name: str, dtype: type = np.float32) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:
            array = self._arrays[name] = np.empty(self.n, dtype)
        return array


def decay_factor(half_life_months: float) -> np.float32:
    """Share of a factor's excess over baseline that survives one month."""
    return np.float32(0.5 ** (1.0 / half_life_months))


def relax_factors(hh: Households, keep: np.float32) -> None:
    """Let every factor relax toward its baseline: f <- base + keep * (f - base)."""
    columns = [(getattr(hh, name), getattr(hh, f"base_{name}")) for name in FACTORS]
    for rows in blocks(columns[0][0].size):
        for current, base in columns:
            current, base = current[rows], base[rows]
            current -= base
            current *= keep
            current += base


def raise_factors(hh: Households, rows: np.ndarray, names: tuple[str, ...],
                  effect: float) -> None:
    """Close a share ``effect`` of the gap to 1 for the given factors of the given rows."""
    if rows.size == 0 or effect == 0:
        return
    gain = np.float32(effect)
    for name in names:
        values = getattr(hh, name)
        # the rows' values gathered once: ``values[rows] += gain * (1 - values[rows])`` with
        # one gather fewer, the same float32 operations (a repeated row: its last write, as
        # there)
        now = values[rows]
        values[rows] = now + gain * (1 - now)


def motivation(hh: Households, params, scratch: Scratch | None = None) -> np.ndarray | None:
    """Multiplier M_i of the Bass hazard from the factors; ``None`` when all weights are 0.

    With ``scratch`` the result is its "motivation" array (and "motivation_term" is used on
    the way), else a new array.
    """
    weights = [params[k] for k in WEIGHT_KEYS]
    if not any(weights):
        return None
    if scratch is None:
        log_m, term = np.empty(hh.n, np.float32), np.empty(hh.n, np.float32)
    else:
        log_m, term = scratch("motivation"), scratch("motivation_term")
    terms = [(getattr(hh, name), np.float32(params[f"factors.{name}"]), np.float32(w))
             for name, w in zip(FACTORS, weights, strict=True) if w]
    for rows in blocks(hh.n):  # block by block at large sizes (the same bits)
        total, part = log_m[rows], term[rows]
        for k, (factor, mean, w) in enumerate(terms):
            # log_m += w * (f - fbar), in float32, without temporaries; the first term is
            # written into log_m itself: 0 + t is t (a zero's sign aside, which exp does not
            # see), so no zero-filled sum to start from
            out = total if k == 0 else part
            np.subtract(factor[rows], mean, out=out)
            np.multiply(w, out, out=out)
            if k:
                total += part
        np.exp(total, out=total)
    return log_m


def decision_hazard(neighbour_share: np.ndarray, p: float, q: float,
                    multiplier: np.ndarray | None, community: np.ndarray | None = None,
                    out: np.ndarray | None = None) -> np.ndarray:
    """Monthly probability to decide to build: min(1, (p + q * D + c) * M).

    ``c`` is the community hazard of the household's RT (:mod:`sanisim.community`), absent
    when the community mechanism is off. ``out``: a float32 array to write the hazard into
    (else a new one).
    """
    if out is None:
        out = np.empty(neighbour_share.size, np.float32)
    q, p, one = np.float32(q), np.float32(p), np.float32(1.0)
    for rows in blocks(out.size):  # block by block at large sizes (the same bits)
        hazard = np.multiply(q, neighbour_share[rows], out=out[rows])
        hazard += p
        if community is not None:
            hazard += community[rows]
        if multiplier is not None:
            hazard *= multiplier[rows]
        np.minimum(hazard, one, out=hazard)
    return out


def failure_multiplier(hh: Households, params, out: np.ndarray | None = None,
                       cache: RowCache | None = None) -> np.ndarray | None:
    """Facility failure multiplier from self-regulation (keeping a toilet in use):
    exp(-w * (f - fbar)) in float32; ``out``: the array to write it into (else a new one).
    With ``cache`` (kept by the caller), the cache's kept values instead, recomputed at the
    rows whose self-regulation changed since its last call only: the same numbers."""
    w = params["failure.w_self_regulation"]
    if not w:
        return None
    key = (np.float32(-w), np.float32(params["factors.self_regulation"]))
    if cache is not None:
        return cache((hh.self_regulation,), key)
    if out is None:
        out = np.empty(hh.n, np.float32)
    _failure_rows((hh.self_regulation,), out, key)
    return out


def _failure_rows(columns, out: np.ndarray, key) -> None:
    """exp(minus_w * (s - mean)) of each row, in float32, into ``out``."""
    minus_w, mean = key
    np.subtract(columns[0], mean, out=out)
    np.multiply(minus_w, out, out=out)
    np.exp(out, out=out)


def failure_cache() -> RowCache:
    """A :class:`~sanisim.rowcache.RowCache` of :func:`failure_multiplier`."""
    return RowCache(_failure_rows)


def bass_recurrence(f0: float, p: float, q: float, months: int) -> np.ndarray:
    """Mean-field discrete Bass curve F(t+1) = F(t) + (1 - F(t)) * (p + q * F(t)).

    Returns F(0..months). This is the analytic limit that the simulated adopted share must
    follow on a complete graph with every other influence switched off.
    """
    f = np.empty(months + 1)
    f[0] = f0
    for t in range(months):
        f[t + 1] = f[t] + (1 - f[t]) * min(1.0, p + q * f[t])
    return f
