"""The benchmark scripts' command lines: a mistake is one line and exit code 2, before any run.

Every script takes its parser from :class:`Parser` and its numbers through :func:`count` and
:func:`number`, so a size of -5 or 0 months is refused as the command line is read (it would
otherwise fail in a worker process with a traceback, or after an hour of runs).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

#: Households (agents) a run may have: sanisim's own bounds of ``population.households``.
HOUSEHOLDS = (10, 5_000_000)
#: Months a run may last.
MONTHS = (1, 1200)


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def count(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]`` (no upper bound when ``high`` is None)."""
    allowed = (f"an integer from {low:,} to {high:,}" if high is not None
               else f"an integer of at least {low:,}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {value:,}; allowed: {allowed}")
        return value

    parse.__name__ = "count"
    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]``."""
    allowed = f"a number from {low:g} to {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: {allowed}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"got {text}; allowed: {allowed}")
        return value

    parse.__name__ = "number"
    return parse


def households() -> Callable[[str], int]:
    return count(*HOUSEHOLDS)


def months() -> Callable[[str], int]:
    return count(*MONTHS)


def writable_file(parser: argparse.ArgumentParser, option: str, path: Path | None) -> None:
    """Refuse, before any run, an output file that could not be written at the end: a folder,
    or one below a file or a folder that is not writable (missing folders are made)."""
    if path is None:
        return
    path = path.resolve()
    if path.is_dir():
        parser.error(f"argument {option}: {str(path)!r} is a folder; allowed: a file")
    existing = next(folder for folder in path.parents if folder.exists())
    if not existing.is_dir():
        parser.error(f"argument {option}: {str(existing)!r} is a file, not a folder; "
                     "allowed: a file in a folder")
    if not os.access(existing, os.W_OK):
        parser.error(f"argument {option}: folder {str(existing)!r} is not writable; allowed: "
                     "a file in a writable folder")


def load_experiment(parser: argparse.ArgumentParser, path: Path, overrides=None):
    """sanisim's experiment file at ``path`` (with ``overrides``), or, when sanisim refuses
    it (say ``--posterior`` asks for more draws than the posterior has), that one line and
    exit code 2, before any run."""
    from sanisim.errors import InputError
    from sanisim.runs.experiment import load

    try:
        return load(path, overrides) if overrides else load(path)
    except InputError as err:
        sys.stderr.write(f"{parser.prog}: {err}\n")
        sys.exit(2)
