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

Above a bound of :data:`SPARSE_UP_TO` (1/16) sampling positions costs more than a uniform
per row (``choice`` without replacement, measured at 10,000-1,000,000 rows), so both functions
then draw one float32 uniform per row instead, as before; which way a draw goes depends on the
rounded bound only, so paired arms with the same bound still draw alike.

A draw for a small set of rows that changes from month to month and between arms (borrowers,
loan applicants, households not using their facility, sanitarians' candidates) cannot take
the next numbers of a stream in row order: one row more in one arm would shift every later
row's number, and paired arms would lose their common random numbers. :func:`row_uniforms`
gives each row a uniform that depends only on the row and a 64-bit key (one drawn from the
stream each month): the SplitMix64 output function (Steele, Lea & Flood 2014, the generator
behind Java's ``SplittableRandom``) applied to ``key + row x golden gamma``, i.e. the
``row``-th output of a SplitMix64 sequence started at ``key``. Cost: a few integer operations
per row of the set, none for the others.

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

import math
import sys
from collections.abc import Callable

import numpy as np

#: No rows (an empty row list, shared: what a draw or a phase gives when nothing happens).
NO_ROWS = np.zeros(0, np.intp)

#: Largest (rounded) bound drawn by sampling positions; above it, a uniform per row.
SPARSE_UP_TO = 1 / 16


#: From this many values on, :func:`uniform32` makes them from the bit generator's raw words.
RAW_FROM = 16_384
_HALF_BITS = np.uint32(8)  # a float32 uniform keeps the top 24 of 32 bits
_TO_UNIT = np.float32(2.0**-24)
_LITTLE_ENDIAN = sys.byteorder == "little"  # a 64-bit word viewed as (low, high) halves


def uniform32(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.random(n, np.float32)``: the same numbers, and ``rng`` left in the same state.

    numpy makes a float32 uniform from 32 random bits, ``(bits >> 8) x 2**-24``, and PCG64
    gives 32 bits as the low, then the high half of its next 64-bit output (the high half
    waits in the generator's state for the next call). For many values this takes the 64-bit
    outputs in one ``random_raw`` call and converts them with three array operations, about
    60-65% of the time of numpy's value-by-value loop at 100,000 values when the memory is
    reused, as in a run (docs/performance.md); a waiting half is used first and a half left
    over is put back to wait, as numpy does. Other bit generators, and fewer than
    :data:`RAW_FROM` values, go to ``rng.random``. ``tests/test_draws.py`` compares the two,
    values and state after, for odd and even counts and waiting halves.
    """
    bits = rng.bit_generator
    if n < RAW_FROM or type(bits) is not np.random.PCG64 or not _LITTLE_ENDIAN:
        return rng.random(n, np.float32)
    out = np.empty(n, np.float32)
    state = bits.state
    first = 0
    if state["has_uint32"]:  # the high half of the last output, waiting
        out[0] = np.float32(state["uinteger"] >> 8) * _TO_UNIT
        state["has_uint32"] = 0
        bits.state = state
        first = 1
    count = n - first
    words = bits.random_raw((count + 1) // 2)
    last_high = int(words[-1] >> np.uint64(32))  # before the halves are shifted in place
    halves = words.view(np.uint32)[:count]  # little-endian: low half, then high half
    np.right_shift(halves, _HALF_BITS, out=halves)
    rest = out[first:]
    rest[...] = halves  # exact: below 2**24
    rest *= _TO_UNIT
    # the last output's high half: waiting for the next call when the count is odd, else
    # taken (numpy keeps it in the state either way)
    state = bits.state
    state["has_uint32"], state["uinteger"] = count % 2, last_high
    bits.state = state
    return out


def bernoulli_rows(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Sorted rows of ``0 .. n-1`` with an event, each independently with probability ``rate``.

    Draws ``Binomial(n, rate)`` for the count and that many positions without replacement
    (nothing when ``rate <= 0`` or ``n == 0``; every row when ``rate >= 1``; a float32
    uniform per row above :data:`SPARSE_UP_TO`).
    """
    if n <= 0 or rate <= 0:
        return NO_ROWS
    if rate >= 1:
        return np.arange(n, dtype=np.intp)
    if rate > SPARSE_UP_TO:
        return (uniform32(rng, n) < np.float32(rate)).nonzero()[0]
    count = int(rng.binomial(n, rate))
    if count == 0:
        return NO_ROWS
    rows = rng.choice(n, count, replace=False, shuffle=False).astype(np.intp, copy=False)
    rows.sort()
    return rows


_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def month_key(rng: np.random.Generator) -> np.uint64:
    """A 64-bit key for :func:`row_uniforms`, drawn from ``rng`` (one number).

    The bit generator's next raw 64-bit output: what ``rng.integers(0, 2**64,
    dtype=np.uint64)`` returns for the full range (numpy takes the raw number unmasked),
    without its argument handling (0.5 against 1.6 µs a call)."""
    return np.uint64(rng.bit_generator.random_raw())


def month_keys(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` keys for :func:`row_uniforms` (uint64): the ones ``count`` calls of
    :func:`month_key` would draw in turn, in one call (agents of a kind that each draw their
    own key, drawn at once)."""
    return rng.bit_generator.random_raw(count)


def row_uniforms(key: np.uint64, rows: np.ndarray) -> np.ndarray:
    """A uniform on ``[0, 1)`` for each of ``rows`` that depends only on ``key`` and the row
    (SplitMix64: see the module docs); the same row and key always give the same number."""
    z = np.asarray(rows).astype(np.uint64)  # a copy, worked on in place
    z *= _GAMMA
    z += np.uint64(key)  # wraps modulo 2**64
    shifted = z >> _S30
    z ^= shifted
    z *= _MIX1
    z ^= np.right_shift(z, _S27, out=shifted)
    z *= _MIX2
    z ^= np.right_shift(z, _S31, out=shifted)
    u = np.right_shift(z, _S11, out=z).astype(np.float64)
    u *= 2.0**-53
    return u


def dyadic(bound: float) -> float:
    """``bound`` rounded up to a power of two (at most 1; 0 stays 0)."""
    if bound <= 0:
        return 0.0
    if bound >= 1:
        return 1.0
    # bound = mantissa * 2**exponent, 0.5 <= m < 1 (math's, not numpy's: a Python float in,
    # no array machinery, about 0.3 against 5 µs a call)
    mantissa, exponent = math.frexp(bound)
    return math.ldexp(1.0, exponent - (mantissa == 0.5))


def thinned(rng: np.random.Generator, rates: np.ndarray, bound: float | None = None,
            rows: np.ndarray | None = None,
            row_bounds: Callable[[np.ndarray | None], np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Events of probabilities ``rates`` (one per row, independent): ``(picked, u)``.

    ``picked``: sorted indices into ``rates`` with an event; ``u``: their uniform draw on
    ``[0, rate)``-scale (``u < rates[picked]``), distributed as a per-row uniform given the
    event. ``bound`` must be at least ``rates.max()`` (default: that maximum); it is rounded
    up to a power of two (:func:`dyadic`) for common random numbers between arms. With
    ``rates`` a callable, ``rows`` (the number of rows) is required: ``rates(candidates)``
    gives the rates of the candidates only, so rates need not exist for every row.

    ``row_bounds`` (optional) gives an upper bound of the rate of each of the rows it is
    given (``row_bounds(rows)``; ``row_bounds(None)``: of every row): the rates are then
    computed only at the rows whose uniform is below their own bound, the candidates' on
    either path. The events are the same (a row with ``u >= row_bound >= rate`` has none) and
    so are the draws; it saves the rates of most rows when a few rows set the common bound
    (one RT with little coverage, say).
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
        return NO_ROWS, np.zeros(0)
    bound = dyadic(float(bound))
    if bound > SPARSE_UP_TO:  # common events: a uniform per row is cheaper
        u = uniform32(rng, n)
        if row_bounds is not None:
            candidates = (u < row_bounds(None)).nonzero()[0]
            rate = rates(candidates) if callable(rates) else rates[candidates]
            picked = candidates[u[candidates] < rate]
            return picked, u[picked]
        rate = rates(np.arange(n)) if callable(rates) else rates
        picked = (u < rate).nonzero()[0]
        return picked, u[picked]
    candidates = bernoulli_rows(rng, n, bound)
    u = rng.random(candidates.size) * bound
    if row_bounds is not None and candidates.size:
        below = u < row_bounds(candidates)
        candidates, u = candidates[below], u[below]
    rate = rates(candidates) if callable(rates) else rates[candidates]
    keep = u < rate
    return candidates[keep], u[keep]


#: From this many values on, :func:`stable_order` tries the unstable sort first (below it the
#: stable sort is as quick as the try: measured 9.1 against 9.3 µs at 1,000 floats).
SORT_CHECKED_FROM = 1024


def stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``: the same order, sooner when no two values are
    equal, as for random keys.

    Distinct values have one sorted order, so the quicker unstable sort gives it; that order is
    kept when no two neighbours in it are equal (and there is no NaN, among which only the
    stable sort keeps the rows' order), else the stable sort is done. A stable sort of 8,000
    floats takes about 340 µs, the unstable one and the check about 90.
    """
    values = np.asarray(values)
    if values.size < SORT_CHECKED_FROM:
        return values.argsort(kind="stable")
    order = values.argsort()
    ordered = values[order]
    if (ordered[1:] == ordered[:-1]).any() or (ordered.dtype.kind in "fc"
                                                and np.isnan(ordered[-1])):
        return values.argsort(kind="stable")
    return order


def lex_order(minor: np.ndarray, major: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))``: by ``major``, then ``minor``, then position. The minor
    keys ordered by :func:`stable_order`, then a stable sort by the major key (a radix sort
    for bools and small integers: integer keys below 2**15, such as the block numbers of a
    few thousand agents, are sorted as int16)."""
    minor, major = np.asarray(minor), np.asarray(major)
    if minor.size < SORT_CHECKED_FROM:
        return np.lexsort((minor, major))
    first = stable_order(minor)
    major = major[first]
    if major.dtype.kind in "iu" and major.dtype.itemsize > 2 and (
            0 <= major.min() and major.max() < 2**15):
        major = major.astype(np.int16)
    return first[major.argsort(kind="stable")]


def run_starts(values: np.ndarray) -> np.ndarray:
    """A mask: true where a value differs from the one before it, and at the first value
    (the starts of the runs of equal values; of each group, when ``values`` are sorted)."""
    starts = np.empty(values.size, bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def run_ranks(values: np.ndarray) -> np.ndarray:
    """Each value's place in its run of equal values (0 at the run's start): of each group,
    when ``values`` are sorted (the k-th applicant of a unit, the k-th seeker of an RT)."""
    at = np.arange(np.asarray(values).size, dtype=np.intp)
    if at.size == 0:
        return at
    first = np.where(run_starts(values), at, 0)  # each run's start, carried over the run
    return at - np.maximum.accumulate(first, out=first)


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of integers: the distinct values, ascending. A sort and
    :func:`run_starts`: numpy 2.5's ``unique`` takes about 180 µs for 3,000 integers, this
    about 11."""
    values = np.asarray(values)
    if values.dtype.kind not in "iub":
        raise TypeError(f"distinct() takes integers, not {values.dtype}")
    values = np.sort(values)
    return values[run_starts(values)]
