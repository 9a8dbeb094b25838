"""The one exception type for a user's mistake, turned into one line and exit code 2."""

from __future__ import annotations

import difflib
import math
import re


class InputError(Exception):
    """A mistake in a scenario file, experiment file or command line.

    ``str(err)`` is one line naming the file, the key and what is allowed.
    """

    def __init__(self, source: str | None, key: str | None, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        where = ": ".join(part for part in (source, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


def did_you_mean(word: object, candidates) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_keys(table, allowed, source: str | None, prefix: str = "") -> None:
    """Raise an :class:`InputError` for the first key of ``table`` not in ``allowed``."""
    for key in table:
        if key not in allowed:
            raise InputError(source, f"{prefix}{key}", "unknown key" + did_you_mean(key, allowed)
                             + f" (allowed: {', '.join(allowed)})")


def finite_number(value, source: str | None, key: str | None,
                  low: float | None = None) -> float:
    """``value`` as a float if it is a finite number (not a bool), at least ``low`` if given;
    otherwise an :class:`InputError` naming the file and the key."""

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or (low is not None and value < low):
        allowed = "a finite number" + (f" >= {low:g}" if low is not None else "")
        raise InputError(source, key, f"got {value!r}; allowed: {allowed}")
    return float(value)


#: A name that may become a folder name: letters, digits, '_', '-', '.'; no path separators.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def main_table(raw, name: str, top_keys, keys, required, source: str | None) -> dict:
    """The ``[name]`` table of an input file, checked: only ``top_keys`` at the top, only
    ``keys`` inside, every ``required`` key present, and its ``name`` (which names the
    default output folder) made of letters, digits, '_', '-' and '.' only."""
    check_keys(raw, top_keys, source)
    table = raw.get(name)
    if not isinstance(table, dict):
        raise InputError(source, name, f"missing [{name}] table (with {', '.join(required)})")
    check_keys(table, keys, source, f"{name}.")

    label = table.get("name")
    if "name" in table and not (isinstance(label, str) and re.match(NAME_PATTERN, label)):
        raise InputError(source, f"{name}.name", f"got {label!r}; allowed: letters, digits, "
                         "'_', '-' and '.' (it names the results folder)")
    for key in required:
        if key not in table:
            raise InputError(source, f"{name}.{key}", "missing (required)")
    return table
