"""The ``sanisim`` command. Exit 0 on success, 2 with one line on a user's mistake.

The verbs are listed in a static table (:data:`VERBS`: name, the module that registers it,
one line of help), so that ``sanisim --help``, ``sanisim --version`` and a mistyped verb load
no model (about 0.05 s instead of 2 s). ``sanisim VERB ...`` imports VERB's module alone and
lets its ``register(verbs)`` add the full sub-parser (every option, ``sanisim VERB --help``).
``tests/test_cli_speed.py`` keeps the table and the modules in step.

This module imports only the standard library and the light modules below it
(:mod:`sanisim.errors`, :mod:`sanisim.outputs`, :mod:`sanisim.provenance`; for a verb that
runs local workers, :mod:`sanisim.runs.executors`, which starts their fork server); the
dashboard's server process is started and stopped here, with the standard library only.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from sanisim.errors import InputError, cut_by_ctrl_c
from sanisim.outputs import os_error
from sanisim.provenance import git_commit, package_version

log = logging.getLogger("sanisim")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(self.prog, None, f"{message} (see '{self.prog} --help')")


class Verb(NamedTuple):
    """A verb of the command: the module whose ``register(verbs)`` adds it, the line
    ``sanisim --help`` shows for it (the same as the module's own ``help=``), and whether
    it runs its runs on local worker processes unless told otherwise (their fork server is
    then started before the module is imported:
    :func:`sanisim.runs.executors.start_fork_server_early`)."""

    module: str
    help: str
    workers: bool = False


#: Every verb of ``sanisim``, in the order ``sanisim --help`` lists them.
VERBS: dict[str, Verb] = {
    "run": Verb("sanisim.commands", "run one scenario and write its outputs"),
    "validate": Verb("sanisim.commands", "check scenario and experiment files"),
    "scenarios": Verb("sanisim.commands", "list the shipped scenarios"),
    "strategies": Verb("sanisim.commands", "list a scenario's strategy bundles"),
    "dashboard": Verb("sanisim.commands", "start the interactive dashboard (browser)"),
    "batch": Verb("sanisim.runs.batch",
                  "run an experiment file (a batch of runs) into a results store", workers=True),
    "report": Verb("sanisim.report.command",
                   "write the policy report (HTML, figures, tables) for a results folder"),
    "trial": Verb("sanisim.evidence.trial",
                  "run a virtual trial (randomised arms in one district) over replicates",
                  workers=True),
    "calibrate": Verb("sanisim.evidence.calibration",
                      "fit parameters to a trial's published estimates", workers=True),
    "sensitivity": Verb("sanisim.evidence.sensitivity",
                        "Morris screening or Sobol indices over recorded parameter bounds",
                        workers=True),
    "joint": Verb("sanisim.evidence.joint",
                  "fit shared behaviour to several published settings (ABC-SMC)"),
    "decide": Verb("sanisim.decisions.decide",
                   "compare bundles over uncertainty: costs per budget and year, P(A beats B), "
                   "targets by year, CEAC", workers=True),
    "optimise": Verb("sanisim.decisions.optimise",
                     "search mix, intensity and timing of strategies for budgets per funder "
                     "and year (NSGA-II)", workers=True),
    "compare": Verb("sanisim.report.compare",
                    "compare the same outcomes of two results folders side by side"),
}


# --------------------------------------------------------------------------- dashboard


#: The dashboard server's environment: no telemetry (Solara would send a machine fingerprint
#: to Mixpanel) and no update check against PyPI at start (also ``--no-check-version``).
DASHBOARD_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
#: Where the dashboard listens unless ``--host`` says otherwise (never ``$HOST``).
DASHBOARD_HOST = "127.0.0.1"
#: Seconds the server has to stop after SIGTERM before it is killed.
STOP_GRACE = 5.0


def dashboard_command(args: argparse.Namespace) -> list[str]:
    """``python -m solara run sanisim.app`` with an explicit host and port, offline."""
    command = [sys.executable, "-m", "solara", "run", "sanisim.app",
               "--host", args.host or DASHBOARD_HOST, "--port", str(args.port),
               "--production", "--no-check-version"]
    return command + (["--no-open"] if args.no_open else [])


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM when ``sanisim dashboard`` dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_server(server: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds: the server and its port are gone."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cmd_dashboard(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("solara") is None:
        print("sanisim: error: install the dashboard extra: pip install 'sanisim[dashboard]' "
              "(in a clone: pip install -e '.[dashboard]')", file=sys.stderr)
        return 2
    command = dashboard_command(args)
    print(" ".join(command), flush=True)
    if args.print_only:
        return 0

    def terminated(signum, frame):  # SIGTERM / SIGHUP: stop like Ctrl-C
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, terminated) for sig in (signal.SIGTERM, signal.SIGHUP)}
    server = subprocess.Popen(command, env={**os.environ, **DASHBOARD_ENV},
                              preexec_fn=_stop_with_parent)
    try:
        return server.wait()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop
        stop_server(server)
        print(f"sanisim dashboard: stopped; port {args.port} is free", file=sys.stderr)
        return 0
    finally:
        stop_server(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --------------------------------------------------------------------------- parser


def version_line() -> str:
    """``sanisim VERSION (commit COMMIT)``: the installed distribution's version and the
    commit of the source that runs (:func:`sanisim.provenance.git_commit`; ``unknown``
    outside a checkout and without a recorded one)."""
    return f"sanisim {package_version()} (commit {git_commit()})"


class _Version(argparse.Action):
    """``--version``: print :func:`version_line` and exit 0 (git is asked only when used)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit(0)


def chosen_verb(argv: Sequence[str]) -> str | None:
    """The verb of a command line: its first word that is not an option (the command's own
    options take no value), or None."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(verb: str | None = None) -> _Parser:
    """The ``sanisim`` parser. Every verb of :data:`VERBS` is listed; ``verb`` (and the other
    verbs its module registers) gets its full sub-parser from its module, which is imported
    now; the others stay one line of help, their modules not imported."""
    parser = _Parser(prog="sanisim", description="Sanitation adoption simulation.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--version", action=_Version,
                        help="print the version and the source's git commit, and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    chosen = VERBS[verb].module if verb in VERBS else None
    for name, entry in VERBS.items():
        if name in verbs.choices:
            continue  # registered with another verb of its module
        if entry.module == chosen:
            importlib.import_module(entry.module).register(verbs)
        else:
            verbs.add_parser(name, help=entry.help, add_help=False)
    for register in EXTRA_VERBS:
        register(verbs)
    return parser


#: Functions ``register(subparsers)`` adding verbs from outside the table (always called).
EXTRA_VERBS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        verb = chosen_verb(argv)
        if verb in VERBS and VERBS[verb].workers:  # its imports beside the verb module's
            from sanisim.runs.executors import start_fork_server_early

            start_fork_server_early(argv)
        parser = build_parser(verb)
        args = parser.parse_args(argv)
        if args.verbose:
            logging.getLogger("sanisim").setLevel(logging.INFO)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except InputError as err:
        print(f"sanisim: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # writing an output (no space left, file too large, ...)
        print(f"sanisim: error: {os_error(err)}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, ImportError) as err:  # ImportError: an import cut by Ctrl-C
        if isinstance(err, ImportError) and not cut_by_ctrl_c(err):
            raise
        print("sanisim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
