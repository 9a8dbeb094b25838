"""Named, independent random streams derived from one run seed (common random numbers).

Each stochastic process draws from its own :class:`numpy.random.Generator`, spawned from the
run seed and a stable hash of the stream's name, so adding a process or a strategy never
shifts the draws of another, and two arms with the same seed share population, network and
behaviour draws.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of named generators for one run seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._cache:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            self._cache[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._cache[name]

    def strategy(self, name: str) -> np.random.Generator:
        """The stream of one strategy, by its name in the scenario."""
        return self[f"strategy:{name}"]
