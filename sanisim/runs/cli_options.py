"""Command-line options shared by the verbs that run many runs (batch, trial, calibrate,
sensitivity, joint): counts and the executor a batch runs on."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sanisim.runs.executors import BACKENDS


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``low`` (argparse names the option in its message)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    return parse


#: An argparse type: an integer >= 1 (replicates, workers, budgets).
positive = at_least(1)


def add_executor_options(parser: argparse.ArgumentParser, *, backend: bool = True,
                         workers: str = "worker processes (default: the CPUs available)"
                         ) -> None:
    """``--workers``, ``--backend`` (unless ``backend`` is false: a verb that picks its own)
    and ``--scheduler`` (see :func:`sanisim.runs.executors.open_executor` and
    ``docs/cluster.md``); ``workers`` is the help of ``--workers``."""
    parser.add_argument("--workers", type=positive, default=None, help=workers)
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
