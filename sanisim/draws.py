"""Random events drawn only where they can happen: rare Bernoulli events without a draw per row.

A monthly event of probability ``r_i`` per household (an income shock, a failure, a tank
emptied on the household's own initiative) was drawn as one uniform per household, ``u_i <
r_i``: ``n`` draws for a handful of events. The functions here give the *same process* (each
row independently, with its own probability) from a number of draws proportional to the
number of candidates:

* :func:`bernoulli_rows`, a common rate ``r``: the number of events is ``K ~ Binomial(n, r)``
  and, given ``K``, the rows with an event are a uniformly random ``K``-subset of the ``n``
  rows. This is exactly the distribution of ``n`` independent Bernoulli(``r``) events (the
  count of a Bernoulli sequence is binomial, and by exchangeability every subset of a given
  size is equally likely). Draws: one binomial and ``K`` sampled positions.
* :func:`thinned`, a rate per row bounded by ``r_max``: candidates are drawn at the bounding
  rate with :func:`bernoulli_rows` and each candidate keeps its event with probability
  ``r_i / r_max`` (thinning, Lewis & Shedler 1979). A candidate's uniform ``u`` scaled to
  ``[0, r_max)`` is returned too: it is distributed as the uniform of a per-row draw given
  that it fell below ``r_max``, so a caller that splits an event by where its draw fell
  (below a part of the rate, as the decision's route does) keeps that split exact.

Any ``r_max`` at least the largest rate is exact; a tighter bound only draws fewer
candidates. :func:`thinned` rounds the bound up to a power of two (:func:`dyadic`): two arms
of a paired comparison whose largest rates differ a little then draw the same candidates and
the same uniforms (common random numbers), as a uniform per row did. The draws come from the
caller's named stream, taken with :meth:`sanisim.streams.Streams.monthly` where the number of
draws depends on the state, so results stay the same for a seed whatever the worker count or
backend, and one month's draws never shift another's.
``tests/test_draws.py`` checks the counts and their spread over rows of different rates
against the Bernoulli process.
"""

from __future__ import annotations

import numpy as np

_EMPTY = np.zeros(0, np.intp)


def bernoulli_rows(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Sorted rows of ``0 .. n-1`` with an event, each independently with probability ``rate``.

    Draws ``Binomial(n, rate)`` for the count and that many positions without replacement
    (nothing when ``rate <= 0`` or ``n == 0``; every row when ``rate >= 1``).
    """
    if n <= 0 or rate <= 0:
        return _EMPTY
    if rate >= 1:
        return np.arange(n, dtype=np.intp)
    count = int(rng.binomial(n, rate))
    if count == 0:
        return _EMPTY
    rows = rng.choice(n, count, replace=False, shuffle=False).astype(np.intp, copy=False)
    rows.sort()
    return rows


def dyadic(bound: float) -> float:
    """``bound`` rounded up to a power of two (at most 1; 0 stays 0)."""
    if bound <= 0:
        return 0.0
    if bound >= 1:
        return 1.0
    mantissa, exponent = np.frexp(bound)  # bound = mantissa * 2**exponent, 0.5 <= m < 1
    return float(np.ldexp(1.0, int(exponent) - (mantissa == 0.5)))


def thinned(rng: np.random.Generator, rates: np.ndarray, bound: float | None = None,
            rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Events of probabilities ``rates`` (one per row, independent): ``(picked, u)``.

    ``picked``: sorted indices into ``rates`` with an event; ``u``: their uniform draw on
    ``[0, rate)``-scale (``u < rates[picked]``), distributed as a per-row uniform given the
    event. ``bound`` must be at least ``rates.max()`` (default: that maximum); it is rounded
    up to a power of two (:func:`dyadic`) for common random numbers between arms. With
    ``rates`` a callable, ``rows`` (the number of rows) is required: ``rates(candidates)``
    gives the rates of the candidates only, so rates need not exist for every row.
    """
    if callable(rates):
        if bound is None or rows is None:
            raise ValueError("a rate function needs a bound and the number of rows")
        n = int(rows)
    else:
        n = rates.size
        if bound is None:
            bound = float(rates.max()) if n else 0.0
    if n == 0 or bound <= 0:
        return _EMPTY, np.zeros(0)
    bound = dyadic(float(bound))
    candidates = bernoulli_rows(rng, n, bound)
    u = rng.random(candidates.size) * bound
    rate = rates(candidates) if callable(rates) else rates[candidates]
    keep = u < rate
    return candidates[keep], u[keep]
