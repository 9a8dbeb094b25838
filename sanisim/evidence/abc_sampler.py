"""ABC-SMC particles drawn the same way whatever runs them: one process, local processes or a
Dask cluster.

pyabc's parallel samplers take a generation's particles from whichever workers are accepted
first, each worker drawing from its own unseeded generator, so the posterior depends on the
worker count and on timing. :class:`SeededSampler` gives each of a generation's ``n``
particles its own slot: slot ``i`` of generation ``t`` seeds numpy's and Python's global
generators (which pyabc draws proposals and perturbations from) with a seed that depends only
on the fit's seed, ``t`` and ``i``, then proposes and simulates until one particle is
accepted. The slots run through an executor's ``map``, which returns them in order, so the
accepted population, its rejected proposals and the number of simulations are the same for
any executor. A fit continued from its database draws the generations it adds with the seeds
an uninterrupted fit would have used.

The price is pyabc's mapping sampler's: a generation waits for its slowest slot, where the
dynamic samplers start another proposal on any idle worker.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from pyabc.sampler import MappingSampler


class SeededSampler(MappingSampler):
    """pyabc's :class:`~pyabc.sampler.MappingSampler` with a seed per particle slot.

    Args:
        map_: an order-keeping ``map`` (the builtin, or an executor's ``map``).
        seed: the fit's seed; slot ``i`` of the ``k``-th call for generation ``t`` draws
            from ``SeedSequence(seed, spawn_key=(t + 1, k, i))`` (pyabc's calibration
            sample from the prior is generation -1 or 0, hence ``t + 1`` to stay
            non-negative).
    """

    def __init__(self, map_: Callable[..., Iterable], seed: int) -> None:
        super().__init__(map_=self._seeded_map)
        self.executor_map = map_
        self.seed = int(seed)
        self._calls: Counter[int] = Counter()
        self._slot_seeds: list[int] = []

    def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
        call = self._calls[t]
        self._calls[t] += 1
        root = np.random.SeedSequence(self.seed, spawn_key=(t + 1, call))
        self._slot_seeds = [int(s.generate_state(1, np.uint32)[0]) for s in root.spawn(n)]
        return super().sample_until_n_accepted(n, simulate_one, t, **kwargs)

    def _seeded_map(self, function: Callable, slots: Iterable) -> Iterator:
        """pyabc maps its slot function over ``[None] * n``; each slot gets its seed."""
        count = len(list(slots))
        if count != len(self._slot_seeds):  # pragma: no cover - pyabc's contract
            raise RuntimeError(f"pyabc mapped {count} slots, {len(self._slot_seeds)} seeded")
        return self.executor_map(function, self._slot_seeds)

    def map_function(self, simulate_one, seed):
        """One slot: seed the global generators, propose and simulate until accepted."""
        simulate_one = self.unpickle(simulate_one)
        np.random.seed(seed)  # noqa: NPY002 - pyabc draws from numpy's global generator
        random.seed(seed)
        sample = self._create_empty_sample()
        simulations = 0
        while True:
            particle = simulate_one()
            simulations += 1
            sample.append(particle)
            if particle.accepted:
                return sample, simulations
