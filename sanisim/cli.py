"""The ``sanisim`` command. Exit 0 on success, 2 with one line on a user's mistake.

Each verb is a function ``cmd_<verb>(args)`` registered in :func:`build_parser`; the verbs of
the layers below (batch, trial, calibrate, sensitivity, joint, report, compare) are registered
by their own modules' ``register``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sanisim import report
from sanisim.decisions import decide as decisions
from sanisim.decisions import optimise
from sanisim.decisions.files import describe_decision_file
from sanisim.errors import InputError
from sanisim.evidence import calibration, joint, sensitivity, trial
from sanisim.evidence.files import describe_evidence_file
from sanisim.inputs import check_size
from sanisim.ladder import RUNG_COLUMNS
from sanisim.outputs import default_folder, os_error, output_folder, writing
from sanisim.report import compare as compare_batches
from sanisim.runs import batch
from sanisim.runs import run as runner
from sanisim.runs.cli_options import parameter, port, seed
from sanisim.runs.experiment import is_experiment_file
from sanisim.runs.experiment import load as load_experiment
from sanisim.runs.run import git_commit, package_version
from sanisim.scenario import SCENARIO_DIR, load, shipped_folder
from sanisim.strategies import build_bundle

log = logging.getLogger("sanisim")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(self.prog, None, f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- verbs


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    if args.strategy not in scenario.bundles:
        build_bundle(scenario, args.strategy)  # raises the one-line error
    if args.households is not None:
        scenario.with_params({"population.households": args.households}, "--households")
    check_size(scenario, args.households, "--households" if args.households else str(
        scenario.path or scenario.name), None if args.households else "population.households")
    out = output_folder(Path(args.out) if args.out else default_folder(scenario.name,
                                                                       args.strategy))
    result = runner.run(scenario, seed=args.seed, months=args.months,
                        households=args.households, bundle=args.strategy)
    with writing(out):
        runner.write(result, out)
    s = result.summary
    print(f"sanisim run: {scenario.name} / {args.strategy}, seed {args.seed}, "
          f"{s['households']:,} households, {s['months']} months -> {out}")
    print(f"{'':24}{'start':>10}{'end':>10}")
    for col in (*RUNG_COLUMNS, "basic_or_better"):
        print(f"{col:24}{s[f'{col}_start']:>10.1%}{s[f'{col}_end']:>10.1%}")
    print(f"{'ODF communities':24}{s['odf_communities_start']:>10}{s['odf_communities_end']:>10}"
          f"  (of {s['communities']})")
    print(f"loans issued {s['loans_issued']:,}, written off {s['loans_written_off']:,}; "
          f"sanitarian visits {s['sanitarian_visits']:,}")
    print("spending (Rp million): " + ", ".join(
        f"{f} {s[f'spending_{f}'] / 1e6:,.0f}"
        for f in ("households", "government", "cooperatives", "donors")))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.files:
        if is_experiment_file(path):
            experiment = load_experiment(path)
            print(f"ok: {path} (experiment {experiment.name!r}, hash {experiment.hash}, "
                  f"{experiment.describe()})")
            continue
        described = (describe_evidence_file(path)  # joint, trial, calibration, sensitivity
                     or describe_decision_file(path))  # decide, optimise
        if described is not None:
            print(f"ok: {path} ({described})")
            continue
        scenario = load(path)
        check_size(scenario, None, path, "population.households")
        bundles = ", ".join(scenario.bundles)
        print(f"ok: {path} (scenario {scenario.name!r}, hash {scenario.config_hash}, "
              f"bundles: {bundles})")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    if args.where:
        for folder in ("scenarios", "experiments"):
            print(f"{folder}: {shipped_folder(folder)}")
        return 0
    paths = sorted(SCENARIO_DIR.glob("*.toml"))
    width = max((len(p.stem) for p in paths), default=0)
    for path in paths:
        scenario = load(path)
        first_line = scenario.description.splitlines()[0] if scenario.description else ""
        print(f"{path.stem:{width}}  {first_line}")
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    for bundle, members in scenario.bundles.items():
        parts = [f"{m} ({scenario.strategies[m]['type']}, months {scenario.strategies[m]['start']}"
                 f"-{scenario.strategies[m]['end']})" for m in members]
        print(f"{bundle:22} {', '.join(parts) if parts else '(no programme)'}")
    return 0


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
    commit of the source that runs (:func:`sanisim.runs.run.git_commit`; ``unknown`` outside
    a checkout and without a recorded one)."""
    return f"sanisim {package_version()} (commit {git_commit()})"


class _Version(argparse.Action):
    """``--version``: print :func:`version_line` and exit 0 (git is asked only when used)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit(0)


def build_parser() -> _Parser:
    parser = _Parser(prog="sanisim", description="Sanitation adoption simulation.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--version", action=_Version,
                        help="print the version and the source's git commit, and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)

    run = verbs.add_parser("run", help="run one scenario and write its outputs")
    run.add_argument("scenario", help="scenario file, or the name of a shipped scenario")
    run.add_argument("--seed", type=seed, default=0, help="run seed (>= 0)")
    run.add_argument("--months", type=parameter("run.months"), default=None,
                     help="months to simulate (default: the scenario's run.months; bounds "
                          "of run.months)")
    run.add_argument("--households", type=parameter("population.households"), default=None,
                     help="override the number of households (bounds of "
                          "population.households)")
    run.add_argument("--strategy", default="baseline",
                     help="strategy bundle of the scenario (see 'sanisim strategies')")
    run.add_argument("--out", default=None,
                     help="output folder (default results/SCENARIO/STRATEGY)")
    run.set_defaults(func=cmd_run)

    validate = verbs.add_parser("validate", help="check scenario and experiment files")
    validate.add_argument("files", nargs="+", help="scenario or experiment TOML files")
    validate.set_defaults(func=cmd_validate)

    scenarios = verbs.add_parser("scenarios", help="list the shipped scenarios")
    scenarios.add_argument("--where", action="store_true",
                           help="print the folders of the shipped scenarios and experiments")
    scenarios.set_defaults(func=cmd_scenarios)

    strategies = verbs.add_parser("strategies", help="list a scenario's strategy bundles")
    strategies.add_argument("scenario", help="scenario file or shipped scenario name")
    strategies.set_defaults(func=cmd_strategies)

    dashboard = verbs.add_parser(
        "dashboard", help="start the interactive dashboard (browser)",
        description="Serve the dashboard on 127.0.0.1 (this machine only) until Ctrl-C.")
    dashboard.add_argument("--port", type=port, default=8765,
                           help="port, 1-65535 (default 8765)")
    dashboard.add_argument("--host", default=None,
                           help=f"address to listen on (default {DASHBOARD_HOST}: this machine "
                           "only; the environment's HOST is not used)")
    dashboard.add_argument("--no-open", action="store_true",
                           help="do not open a browser window")
    dashboard.add_argument("--print", dest="print_only", action="store_true",
                           help="only print the command that starts it")
    dashboard.set_defaults(func=cmd_dashboard)

    for module in (batch, report, trial, calibration, sensitivity, joint, decisions,
                   optimise):
        module.register(verbs)
    compare_batches.register(verbs)  # sanisim compare A B
    for register in EXTRA_VERBS:
        register(verbs)
    return parser


#: Functions ``register(subparsers)`` adding verbs from other modules (batch, report, ...).
EXTRA_VERBS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        parser = build_parser()
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
    except KeyboardInterrupt:
        print("sanisim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
