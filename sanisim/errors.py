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
        super().__init__(_one_line(f"{where}: {message}" if where else message))

    def __reduce__(self):
        """Pickle by the three fields, so that an error found in a worker process (a process
        pool or a Dask worker) comes back to the driver as the same one line."""
        return (type(self), (self.source, self.key, self.message))


class OutputError(InputError):
    """An output location that cannot be written (a file where a folder is wanted, a
    read-only folder, a full disk, a name too long, ...): one line naming the path."""

    def __init__(self, path: object, message: str) -> None:
        super().__init__(str(path), None, message)

    def __reduce__(self):
        return (type(self), (self.source, self.message))


def _one_line(text: str) -> str:
    """``text`` on one line (a file name or a value may hold a newline)."""
    lines = text.splitlines()
    return " ".join(line.strip() for line in lines) if len(lines) > 1 else text


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


#: A name that may become a folder or file name: letters, digits, '_', '-', '.'; no path
#: separators, not starting with '.' (so never '..' or a hidden file).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

#: The longest such name: well inside every file system's 255-byte limit on one path
#: component, with room for the prefixes and suffixes sanisim adds (``trial_NAME``, ``.toml``).
MAX_NAME_LENGTH = 100

NAME_RULE = (f"1 to {MAX_NAME_LENGTH} letters, digits, '_', '-' and '.', starting with a letter "
             "or digit")


def is_name(value: object) -> bool:
    """Whether ``value`` may name a results folder or file (:data:`NAME_PATTERN`)."""
    return (isinstance(value, str) and len(value) <= MAX_NAME_LENGTH
            and re.fullmatch(NAME_PATTERN, value) is not None)


def check_name(value: object, source: str | None, key: str | None,
               why: str = "it names the results folder") -> str:
    """``value`` if it may become a path component (:func:`is_name`), else an
    :class:`InputError`. The one rule for every name that becomes a folder or file name:
    scenario, bundle, experiment, trial, calibration, sensitivity and joint names."""
    if not is_name(value):
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:57] + "..."
        raise InputError(source, key, f"got {shown!r}; allowed: {NAME_RULE} ({why})")
    return value  # type: ignore[return-value]


def main_table(raw, name: str, top_keys, keys, required, source: str | None) -> dict:
    """The ``[name]`` table of an input file, checked: only ``top_keys`` at the top, only
    ``keys`` inside, every ``required`` key present, and its ``name`` (which names the
    default output folder) following the one name rule (:func:`check_name`)."""
    check_keys(raw, top_keys, source)
    table = raw.get(name)
    if not isinstance(table, dict):
        raise InputError(source, name, f"missing [{name}] table (with {', '.join(required)})")
    check_keys(table, keys, source, f"{name}.")

    if "name" in table:
        check_name(table["name"], source, f"{name}.name")
    for key in required:
        if key not in table:
            raise InputError(source, f"{name}.{key}", "missing (required)")
    return table


def cut_by_ctrl_c(err: BaseException) -> bool:
    """Whether ``err`` was raised from a KeyboardInterrupt: an extension module whose
    initialisation Ctrl-C interrupts raises ImportError ("initialization failed") from the
    KeyboardInterrupt instead of letting it through."""
    seen = set()  # a chain may loop back on itself
    cause = err.__cause__ or err.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False
