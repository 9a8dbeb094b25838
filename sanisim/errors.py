"""The one exception type for a user's mistake, turned into one line and exit code 2."""

from __future__ import annotations


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
