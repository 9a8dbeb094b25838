"""Command-line options shared by the verbs that run many runs (batch, trial, calibrate,
sensitivity, joint): counts and the executor a batch runs on.

Every number on the command line is bounded: counts by :func:`at_least` with an upper
limit, an option that overrides a model parameter (``--months``, ``--households``) by that
parameter's record (:func:`parameter`), the same check a scenario file gets.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sanisim.errors import InputError
from sanisim.inputs import MAX_REPLICATES, MAX_SEED
from sanisim.parameters import BY_KEY
from sanisim.runs.executors import BACKENDS

#: The most worker processes (or Dask workers) a command line may ask for.
MAX_WORKERS = 4096


def at_least(low: int, high: int = MAX_SEED) -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]`` (argparse names the option in its
    message)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text[:40]!r}; allowed: an integer in "
                                             f"[{low}, {high:,}]") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"got {value}; allowed: an integer in "
                                             f"[{low}, {high:,}]")
        return value
    return parse


def parameter(key: str) -> Callable[[str], Any]:
    """An argparse type: a value of model parameter ``key``, checked by its record (type and
    bounds), as in a scenario file; ``--months`` is ``parameter("run.months")``."""
    record = BY_KEY[key]

    def parse(text: str) -> Any:
        try:
            value: Any = int(text) if record.kind is int else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text[:40]!r}; allowed: {record.allowed()} "
                                             f"(the bounds of {key})") from None
        try:
            return record.check(value, key)
        except InputError:
            raise argparse.ArgumentTypeError(f"got {value}; allowed: {record.allowed()} (the "
                                             f"bounds of {key})") from None
    return parse


#: An argparse type: an integer >= 1 (budgets, draws, generations).
positive = at_least(1)

#: An argparse type: a number of replicates (1 to :data:`MAX_REPLICATES`).
replicates = at_least(1, MAX_REPLICATES)

#: An argparse type: a seed (0 to :data:`MAX_SEED`).
seed = at_least(0, MAX_SEED)

#: An argparse type: a TCP port (1 to 65535).
port = at_least(1, 65535)


def add_executor_options(parser: argparse.ArgumentParser, *, backend: bool = True,
                         workers: str = "worker processes (default: the CPUs available)"
                         ) -> None:
    """``--workers``, ``--backend`` (unless ``backend`` is false: a verb that picks its own)
    and ``--scheduler`` (see :func:`sanisim.runs.executors.open_executor` and
    ``docs/cluster.md``); ``workers`` is the help of ``--workers``."""
    parser.add_argument("--workers", type=at_least(1, MAX_WORKERS), default=None, help=workers)
    if backend:
        parser.add_argument("--backend", choices=BACKENDS, default=None,
                            help="local process pool (default), Dask, or serial (in this "
                                 "process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                             "(implies --backend dask; see docs/cluster.md)")


def with_options(spec: Any, args: argparse.Namespace, names: Iterable[str]) -> Any:
    """The dataclass ``spec`` with the fields ``names`` that the command line set (an option
    left out, None or 0, keeps the file's value)."""
    return replace(spec, **{name: getattr(args, name) for name in names if getattr(args, name)})
