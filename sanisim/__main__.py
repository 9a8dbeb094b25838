"""The ``sanisim`` program (``python -m sanisim``): the command line of :mod:`sanisim.cli`,
stopped by Ctrl-C at any moment with one line and exit code 130, never a traceback.

Importing a verb's module takes a second or two (the command loads it only once the verb is
known, :data:`sanisim.cli.VERBS`), and Python ends by joining the threads and processes a
batch opened; a Ctrl-C during either would otherwise print a traceback. So this entry imports
the command inside the guard (the one reason for an import in a function here), and once the
command has returned, a Ctrl-C ends the process at once: everything a command writes has
landed by then (results are written whole or not at all).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

INTERRUPTED = 130  # the shell's code for a program ended by SIGINT (128 + 2)


def _interrupted() -> int:
    print("sanisim: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED


def _exit_now(signum, frame) -> None:  # pragma: no cover - runs while Python shuts down
    os._exit(INTERRUPTED)


def main() -> int:
    """Run the ``sanisim`` command on ``sys.argv``; return its exit code."""
    try:
        try:
            from sanisim.cli import main as command
        except KeyboardInterrupt:
            return _interrupted()
        return command()
    except KeyboardInterrupt:  # a second Ctrl-C while the command reported the first
        return _interrupted()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # pragma: no cover - a closed pipe
                pass
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _exit_now)


if __name__ == "__main__":
    sys.exit(main())
