"""The benchmark scripts' command lines: a mistake is one line and exit code 2, before any run.

The numbers are checked by sanisim's own command-line types (:mod:`sanisim.runs.cli_options`):
household and month counts by the bounds of their model parameters, as ``sanisim batch``
checks them; an output file by :func:`sanisim.outputs.output_file`. So a size of -5 or 0
months is refused as the command line is read, not in a worker process with a traceback or
after an hour of runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from sanisim.errors import InputError
from sanisim.outputs import output_file
from sanisim.runs.cli_options import at_least, parameter, seed

__all__ = ["Parser", "at_least", "household_count", "month_count", "p_innovation",
           "q_imitation", "seed", "share"]

#: Households (agents) of a run: the bounds of ``population.households``.
household_count = parameter("population.households")
#: Months of a run: the bounds of ``run.months``.
month_count = parameter("run.months")
#: The Bass coefficients, by their parameters' bounds.
p_innovation = parameter("behaviour.p_innovation")
q_imitation = parameter("behaviour.q_imitation")


def share(text: str) -> float:
    """An argparse type: a share, a finite number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:40]!r}; allowed: a number in "
                                         "[0, 1]") from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise argparse.ArgumentTypeError(f"got {text}; allowed: a number in [0, 1]")
    return value


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (see '{self.prog} --help')\n")
        sys.exit(2)

    def refuse(self, err: InputError) -> NoReturn:
        """sanisim's one line for an input it refused, and exit code 2."""
        sys.stderr.write(f"{self.prog}: {err}\n")
        sys.exit(2)

    def output_file(self, path: Path | None, option: str) -> None:
        """Refuse, before any run, an output file that could not be written at the end."""
        if path is not None:
            try:
                output_file(path, option)
            except InputError as err:
                self.refuse(err)

    def experiment(self, path: Path, overrides: Mapping[str, Any] | None = None):
        """sanisim's experiment file at ``path`` (with ``overrides``); refused (say
        ``--posterior`` asks for more draws than the posterior has) in sanisim's one line."""
        from sanisim.runs.experiment import load

        try:
            return load(path, overrides)
        except InputError as err:
            self.refuse(err)
