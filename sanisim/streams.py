"""The seed policy: named, independent random streams, and the seed of each replicate.

Seeds are derived, never typed twice, always through :class:`numpy.random.SeedSequence`:

* **replicate seeds.** Replicate ``r`` of a base seed (an experiment's, a trial's, a
  comparison's) runs with :func:`replicate_seed` ``(base, r)``, whatever the arm, point or
  worker (common random numbers).
* **run streams.** Inside a run, each stochastic process draws from its own generator,
  spawned from the run seed and a stable hash of the stream's name (:class:`Streams`), so
  adding a process or a strategy never shifts the draws of another, and two arms with the
  same seed share population, network and behaviour draws. The names are declared in
  :data:`RUN_STREAMS`; a strategy draws from ``strategy:<its name in the scenario>``.
* **monthly streams.** A process that draws only where an event can happen
  (:mod:`sanisim.draws`) uses as many numbers a month as it has candidates, which differ
  between two arms. Its generator is taken with :meth:`Streams.monthly`, which starts month
  ``m`` at its own block of the stream (``m x 2**64`` numbers in), so what one month used
  never shifts the next month's draws and paired arms keep drawing the same numbers.
* **base-seed streams.** Draws made once for a whole file (a Latin hypercube, posterior
  draws, an optimiser's start points, a bootstrap) come from :func:`seed_stream` ``(base,
  name)`` with a name declared in :data:`SEED_STREAMS`. Their spawn key has two entries, so
  it never equals a replicate's one-entry key ``(r,)``.

An undeclared name is an error (:class:`KeyError`), so a typo cannot silently create a new,
unrelated stream.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Streams of one run, by name: what draws from each.
RUN_STREAMS: dict[str, str] = {
    "population": "synthetic households: income, community, starting rungs and factors",
    "population:landless": "which households own no land",
    "network": "social ties",
    "purchase": "willingness to pay",
    "purchase:offer": "decisions on the spot at a sale, loan or voucher offer",
    "purchase:fallback": "savers at open defecation who give up waiting for a toilet",
    "community": "social capital of each RT",
    "community:commit": "whether a triggered RT commits to a plan",
    "community:help": "pressed households whose neighbours build them a pit (gotong royong)",
    "community:own": "sharing households under a running plan that dig a pit of their own",
    "income": "income shocks",
    "adoption": "decisions to build (the decision hazard)",
    "sharing": "which neighbour hosts a sharing household",
    "sharing:choice": "households that prefer sharing to a pit of their own",
    "visits": "random keys by which a sanitarian picks households (random targeting, ties)",
    "credit": "missed instalments and cures",
    "credit_queue": "the order of loan applications",
    "desludging": "septic tanks emptied on the household's own initiative",
    "failure": "facility failures and whose household returns to open defecation",
    "repair": "failed toilets repaired at once",
    "use": "households stopping and resuming use of their facility",
    "use:start": "households not using their facility at month 0 (use.start_in_equilibrium)",
    "waste": "households' starting rungs on the solid-waste ladder",
    "waste:decide": "decisions to handle or reduce waste at home (the decision hazard)",
    "waste:lapse": "households' own waste practices slipping one rung down",
    "trial:assignment": "clusters assigned to the arms of a virtual trial",
    "trial:lottery": "households offered a trial arm's programme by lottery",
    "trial:survey": "households sampled by a trial's survey",
}

#: Prefix of a strategy's stream: ``strategy:<name of the strategy in the scenario>``.
STRATEGY_PREFIX = "strategy:"

#: Streams drawn once from a base seed (a file's ``seed``), by name: what draws from each.
#: The names are hashed as they are, so they stay fixed once results depend on them.
SEED_STREAMS: dict[str, str] = {
    "sanisim.experiment.lhs": "Latin-hypercube points of an experiment",
    "sanisim.posterior.draws": "posterior draws used by an experiment",
    "sanisim.calibration.search": "start points and moves of a calibration search",
    "sanisim.joint.predictive": "posterior points of a joint posterior-predictive check",
    "sanisim.analysis.bootstrap": "resamples of a bootstrap interval over pairs",
    "sanisim.optimise.search": "the seed of a multi-objective search (NSGA-II)",
}


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


def is_run_stream(name: str) -> bool:
    """Whether ``name`` is a declared run stream (or a strategy's)."""
    return name in RUN_STREAMS or (name.startswith(STRATEGY_PREFIX)
                                   and len(name) > len(STRATEGY_PREFIX))


def replicate_seed(base_seed: int, replicate: int) -> int:
    """The run seed of replicate ``replicate`` of ``base_seed``: the one rule for all.

    ``SeedSequence(base_seed, spawn_key=(replicate,)).generate_state(1)[0]``, a 32-bit
    integer (the same as the ``replicate``-th child of ``SeedSequence(base_seed).spawn``).
    It depends on nothing else, so every arm, point and worker uses the same seeds.
    """
    if replicate < 0:
        raise ValueError(f"replicate must be >= 0, got {replicate}")
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(int(replicate),))
    return int(sequence.generate_state(1)[0])


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """:func:`replicate_seed` of replicates ``0 .. replicates - 1``."""
    return [replicate_seed(base_seed, r) for r in range(replicates)]


def seed_stream(base_seed: int, name: str) -> np.random.Generator:
    """The generator of a declared base-seed stream (:data:`SEED_STREAMS`)."""
    if name not in SEED_STREAMS:
        raise KeyError(f"undeclared seed stream {name!r}; declared: {', '.join(SEED_STREAMS)}"
                       " (declare it in sanisim.streams.SEED_STREAMS)")
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(stream_key(name), 0))
    return np.random.Generator(np.random.PCG64(sequence))


#: Numbers of a monthly stream reserved for each month (:meth:`Streams.monthly`); PCG64's
#: period is 2**128, so 2**64 months fit.
MONTH_BLOCK = 1 << 64


class Streams:
    """Factory of the named generators of one run seed (names in :data:`RUN_STREAMS`)."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}
        self._start: dict[str, dict] = {}  # a monthly stream's starting state
        self._month: dict[str, int] = {}  # the month a monthly stream is positioned at

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._cache:
            if not is_run_stream(name):
                raise KeyError(f"undeclared random stream {name!r}; declared: "
                               f"{', '.join(RUN_STREAMS)} and strategy:<name> (declare a new "
                               "one in sanisim.streams.RUN_STREAMS)")
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            self._cache[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._cache[name]

    def monthly(self, name: str, month: int) -> np.random.Generator:
        """The generator of stream ``name`` at its block for ``month`` (see the module docs).

        The first call in a month moves the generator to the start of that month's block
        (``month x MONTH_BLOCK`` numbers after the stream's start, by PCG64's ``advance``);
        later calls in the same month continue where the month's draws left off. A stream
        is either monthly or not: its numbers are not shared with ``streams[name]`` draws.
        """
        if self._month.get(name) != month:
            if name not in self._start:
                if name in self._cache:
                    raise KeyError(f"stream {name!r} was drawn from outside monthly()")
                self._start[name] = self[name].bit_generator.state
            bits = self._cache[name].bit_generator
            bits.state = self._start[name]
            bits.advance(int(month) * MONTH_BLOCK)
            self._month[name] = month
        return self._cache[name]

    def strategy(self, name: str) -> np.random.Generator:
        """The stream of one strategy, by its name in the scenario."""
        return self[f"{STRATEGY_PREFIX}{name}"]
