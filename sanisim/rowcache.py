"""Values of a row-wise function kept from month to month, recomputed where its input changed.

The failure hazard's multiplier ``exp(-w (s - sbar))`` is a function of each household's
self-regulation ``s`` only, and was computed for every household every month: a subtraction,
a multiplication and a float32 ``exp`` per household (the ``exp`` alone 1.5-5.7 ns a row on
the machines measured).
Self-regulation changes at few rows: where a triggering session, a community meeting or a
follow-up visit (BCC, subsidy) raised it, or a subsidy lowered it, until the relaxation
brings it back to its baseline bit for bit. In the default district's
baseline it never changes; in ``full_package`` at 100,000 households it differs from its
baseline at 3-14% of the rows.

:class:`RowCache` keeps the values and a copy of the input they were computed from. Each call
compares the input with its copy, bit for bit, and computes the function at the changed rows
only, gathered into short arrays, writing the results back into the kept values. It finds the
changed rows itself, so no writer of the input has to report what it changed: a strategy that
writes a factor directly is seen like one that calls :func:`sanisim.behaviour.raise_factors`.

**Exact.** The function is row-wise: each row's value depends on that row's inputs only, by
the same sequence of numpy operations whatever the length of the arrays. numpy's float32
arithmetic and its ``exp`` work lane by lane (a short array's tail included), so a row's
value computed in a gathered array equals the one computed in the full array, bit for bit
(``tests/test_rowcache.py`` checks the kept values against the full computation every month;
the household arrays and monthly table of every shipped scenario and bundle are unchanged).
A row whose input is unchanged bit for bit keeps a value computed from the same bits.

**When it computes every row.** When the arrays are new (by identity), the parameters differ
from the last call's (``key``), or more than :attr:`RowCache.full_share` of the rows changed.
In the last case comparing was wasted work, so for the next :attr:`RowCache.dense_months`
calls it computes every row without comparing and keeps no copy (as without a cache), then
copies the input once to look again: with most rows moving every month (10,000 households in
``full_package``), it costs one comparison and one copy a year.

**Why not the motivation multiplier too.** It is a function of five factors. Comparing five
arrays with their copies cost about 200 of the 530 µs its computation takes at 100,000 rows,
and gathering and scattering five inputs, the values and the copies lost to computing every
row once more than about 2% of the rows had changed (measured). In the default district's
baseline 0.3-11% of the households' factors differ from their baselines over ten years.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

#: compute(inputs, out, key): the function of each row of ``inputs`` written into ``out``.
Compute = Callable[[Sequence[np.ndarray], np.ndarray, Hashable], None]


def _bits(values: np.ndarray) -> np.ndarray:
    """``values`` viewed as unsigned integers of the same width: equal bits, equal numbers
    (NaNs and signed zeros included)."""
    return values.view(f"u{values.dtype.itemsize}")


class RowCache:
    """A row-wise function's values, kept and recomputed at the rows whose inputs changed.

    ``compute(inputs, out, key)`` writes the function of ``inputs`` (equal-length arrays) into
    ``out`` (float32 by default); it must treat each row on its own. Call the cache with the
    full input arrays and a hashable ``key`` of everything else the function reads
    (parameters; handed to ``compute``): it returns the kept values (owned by the cache:
    read them, do not write them; valid until the next call).
    """

    #: Above this share of changed rows every row is computed: gathering the input, and
    #: scattering the values and the copy, then cost more (measured with one input at
    #: 100,000 rows: about even at 10%).
    full_share = 0.1
    #: Calls without comparing after one that found more than :attr:`full_share` changed.
    dense_months = 12

    def __init__(self, compute: Compute, dtype: type = np.float32) -> None:
        self.compute = compute
        self.dtype = dtype
        self.values: np.ndarray | None = None
        self._inputs: tuple[np.ndarray, ...] = ()  # the arrays (identity) last seen
        self._copies: list[np.ndarray] | None = None  # their bits when last computed
        self._key: Hashable = None
        self._dense_left = 0
        #: rows computed at the last call (None: every row); for tests and profiles
        self.last_rows: np.ndarray | None = None

    def __call__(self, inputs: Sequence[np.ndarray], key: Hashable) -> np.ndarray:
        inputs = tuple(inputs)
        n = inputs[0].size
        fresh = (self.values is None or self.values.size != n or key != self._key
                 or len(inputs) != len(self._inputs)
                 or any(a is not b for a, b in zip(inputs, self._inputs, strict=True)))
        if fresh:
            self.values = np.empty(n, self.dtype)
            self._inputs, self._key, self._dense_left = inputs, key, 0
            return self._all(inputs, key, keep_copies=True)
        if self._dense_left > 0:  # the inputs moved at most rows lately: no comparing
            self._dense_left -= 1
            return self._all(inputs, key, keep_copies=self._dense_left == 0)
        copies = self._copies
        changed = _bits(inputs[0]) != copies[0]
        for now, before in zip(inputs[1:], copies[1:], strict=True):
            changed |= _bits(now) != before
        rows = changed.nonzero()[0]
        if rows.size > self.full_share * n:
            self._dense_left = self.dense_months
            return self._all(inputs, key, keep_copies=False)
        self.last_rows = rows
        if rows.size:
            gathered = [a[rows] for a in inputs]
            out = np.empty(rows.size, self.dtype)
            self.compute(gathered, out, key)
            self.values[rows] = out
            for copy, a in zip(copies, gathered, strict=True):
                copy[rows] = _bits(a)
        return self.values

    def _all(self, inputs: tuple[np.ndarray, ...], key: Hashable,
             keep_copies: bool) -> np.ndarray:
        self.compute(inputs, self.values, key)
        self._copies = [_bits(a).copy() for a in inputs] if keep_copies else None
        self.last_rows = None
        return self.values
