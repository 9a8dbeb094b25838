"""Blocks of rows: cache-sized blocks for the month's elementwise chains at large sizes, the
rows of consecutive ranges (:func:`ranges`), and consecutive parts of a selection
(:func:`bounds_within`).

A chain of elementwise operations over a million rows (a float32 array of 4 MB each) reads
and writes every array from memory once per operation. Run block by block, each operation
after the first finds its block in the cache (measured at 1,000,000 rows: the relaxation of
the five factors 7.2 against 5.4 ms a month, ``docs/performance-log.md``). :func:`blocks` gives the
slices: one below :data:`BLOCKED_FROM` rows (an array then fits in the cache, and one call
per operation is quicker), else blocks of :data:`BLOCK` rows.

Each row gets the same operations in the same order, so the same bits: numpy's arithmetic
and its float32 ``exp`` work lane by lane. Only elementwise operations are split so; a sum
over rows is not (numpy's pairwise summation depends on the length).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Rows per block: 512 KiB of float32, so that an operation finds the block the one before it
#: wrote still in the cache.
BLOCK = 1 << 17
#: From this many rows on the chains run block by block.
BLOCKED_FROM = 1 << 18


@lru_cache(maxsize=8)
def blocks(n: int) -> tuple[slice, ...]:
    """Slices that cover rows ``0 .. n-1`` in order: one below :data:`BLOCKED_FROM` rows,
    else blocks of :data:`BLOCK` rows (the last one shorter)."""
    if n < BLOCKED_FROM:
        return (slice(0, n),)
    return tuple(slice(lo, min(lo + BLOCK, n)) for lo in range(0, n, BLOCK))


def ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``starts[0] .. starts[0] + sizes[0] - 1``, then those of the next range,
    and so on, as one ``intp`` array: each position is its range's start plus its offset in
    the range, without a Python loop over the ranges (the rows of some RTs, the neighbours
    of some households, the candidates of some promoters)."""
    sizes = np.asarray(sizes, np.intp)
    before = sizes.cumsum() - sizes  # positions of the output before each range
    return np.arange(int(sizes.sum()), dtype=np.intp) + np.repeat(
        np.asarray(starts, np.intp) - before, sizes)


def bounds_within(mask: np.ndarray, bounds: list[int]) -> list[int]:
    """Bounds, in the rows ``mask`` selects, of consecutive parts bounded by ``bounds`` (a
    list of positions from 0 to ``mask.size``): part i of ``rows[mask]`` is
    ``[result[i], result[i + 1])`` when part i of ``rows`` is ``[bounds[i], bounds[i + 1])``."""
    before = np.zeros(mask.size + 1, np.intp)
    np.cumsum(mask, out=before[1:])
    return before[bounds].tolist()
