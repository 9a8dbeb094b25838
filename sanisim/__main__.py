"""The ``sanisim`` program (``python -m sanisim``): the command line of :mod:`sanisim.cli`,
stopped by Ctrl-C at any moment with one line and exit code 130, never a traceback.

Importing a verb's module takes a second or two (the command loads it only once the verb is
known, :data:`sanisim.cli.VERBS`), and Python ends by joining the threads and processes a
batch opened; a Ctrl-C during either would otherwise print a traceback. So this entry imports
the command inside the guard (the one reason for an import in a function here), and once the
command has returned, a Ctrl-C ends the process at once: everything a command writes has
landed by then (results are written whole or not at all). For the same reason the end of the
process is bounded: if Python's own shutdown (joining a process pool's threads and workers
after an interrupted batch) has not finished ``SHUTDOWN_GRACE`` seconds after the command
returned, the process ends with the command's exit code (the environment variable
``SANISIM_SHUTDOWN_GRACE`` sets another bound, in seconds).

A Ctrl-C that lands while Python runs a weakref callback or a ``__del__`` (an import's module
lock, a finalizer) cannot be raised there: Python prints "Exception ignored in ..." with a
traceback and goes on, so the interrupt was lost and the batch ran to its end. The entry
therefore installs :func:`_interrupt_again` as ``sys.unraisablehook``: such a
``KeyboardInterrupt`` is delivered again, silently, ``REDELIVERY`` seconds later (by then the
callback has long returned; should it land in another one, it is delivered again).
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time

INTERRUPTED = 130  # the shell's code for a program ended by SIGINT (128 + 2)
SHUTDOWN_GRACE = 20.0  # seconds Python may take to shut down once the command has returned
REDELIVERY = 0.05  # seconds after a lost Ctrl-C (see _interrupt_again) it is delivered again


def _interrupted() -> int:
    print("sanisim: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED


def _release_semaphores() -> None:
    """Unlink the named semaphores this process made (a process pool's queues) before it ends
    without Python's exit: what the exit's finalizers would have done. A pool whose manager
    thread is stuck keeps its queues alive, and ending with ``os._exit`` then leaves their
    semaphores registered: the resource tracker, the last process standing, printed
    "There appear to be 5 leaked semaphore objects to clean up at shutdown" after the
    one line of an interrupted batch. Only the semaphores' own finalizers are run (not a
    queue's, which may wait on a thread): each unlinks its name and tells the tracker."""
    util = sys.modules.get("multiprocessing.util")
    synchronize = sys.modules.get("multiprocessing.synchronize")
    if util is None or synchronize is None:
        return  # no pool was made: nothing to release
    try:
        finalizers = list((util._finalizer_registry or {}).values())
        for finalizer in finalizers:
            if getattr(finalizer, "_callback", None) is synchronize.SemLock._cleanup:
                finalizer()
    except Exception:  # noqa: BLE001 - ending anyway; the tracker unlinks what is left
        pass


def _exit_now(signum, frame) -> None:  # pragma: no cover - runs while Python shuts down
    _release_semaphores()
    os._exit(INTERRUPTED)


def _interrupt_again(unraisable) -> None:
    """``sys.unraisablehook``: a ``KeyboardInterrupt`` that Python could not raise (it came
    during a weakref callback or a finalizer) is signalled again shortly, from a timer
    thread (a signal raised here would be raised inside this hook, and lost again); anything
    else goes to the hook that was there before."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        timer = threading.Timer(REDELIVERY, _thread.interrupt_main)
        timer.daemon = True
        timer.start()
    else:
        _previous_hook[0](unraisable)


_previous_hook = [sys.__unraisablehook__]


def catch_lost_interrupts() -> None:
    """Install :func:`_interrupt_again`, keeping the hook that was there for the rest (once;
    the entry calls it before any import)."""
    if sys.unraisablehook is not _interrupt_again:
        _previous_hook[0] = sys.unraisablehook
        sys.unraisablehook = _interrupt_again


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # pragma: no cover - a closed pipe
            pass


def _end_if_stuck(code: int, grace: float) -> None:  # pragma: no cover - a daemon thread
    """End the process with ``code`` if it is still shutting down after ``grace`` seconds."""
    time.sleep(grace)
    _flush()
    _release_semaphores()
    os._exit(code)


def _grace() -> float:
    try:
        return max(0.0, float(os.environ.get("SANISIM_SHUTDOWN_GRACE", SHUTDOWN_GRACE)))
    except ValueError:
        return SHUTDOWN_GRACE


def main() -> int:
    """Run the ``sanisim`` command on ``sys.argv``; return its exit code."""
    code = INTERRUPTED
    catch_lost_interrupts()
    try:
        try:
            from sanisim.cli import main as command
        except KeyboardInterrupt:
            return _interrupted()
        except ImportError as err:  # an extension module's initialisation cut by Ctrl-C
            from sanisim.errors import cut_by_ctrl_c  # the standard library only

            if not cut_by_ctrl_c(err):
                raise
            return _interrupted()
        code = command()
        return code
    except SystemExit as end:  # argparse's --help and --version
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        raise
    except KeyboardInterrupt:  # a second Ctrl-C while the command reported the first
        return _interrupted()
    finally:
        _flush()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _exit_now)
            threading.Thread(target=_end_if_stuck, args=(code, _grace()), daemon=True,
                             name="sanisim-shutdown-bound").start()


if __name__ == "__main__":
    sys.exit(main())
