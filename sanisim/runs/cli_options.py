"""Command-line options shared by the verbs that run many runs (batch, trial, calibrate,
sensitivity, joint): counts and the executor a batch runs on."""

from __future__ import annotations

import argparse
from collections.abc import Callable

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


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--backend`` and ``--scheduler`` (see
    :func:`sanisim.runs.executors.open_executor` and ``docs/cluster.md``)."""
    parser.add_argument("--workers", type=positive, default=None,
                        help="worker processes (default: the CPUs available)")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="local process pool (default), Dask, or serial (in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                             "(implies --backend dask; see docs/cluster.md)")
