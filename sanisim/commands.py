"""The verbs of the command's own layer: ``run``, ``validate``, ``scenarios``, ``strategies``
and ``dashboard`` (its server is started and stopped by :mod:`sanisim.cli`).

:mod:`sanisim.cli` imports this module only when one of these verbs is asked for (its verb
table, :data:`sanisim.cli.VERBS`), so that ``sanisim --help`` loads no model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sanisim.cli import DASHBOARD_HOST, cmd_dashboard
from sanisim.inputs import check_size
from sanisim.ladder import RUNG_COLUMNS
from sanisim.outputs import default_folder, output_folder, writing
from sanisim.runs import run as runner
from sanisim.runs.cli_options import parameter, port, seed
from sanisim.runs.experiment import is_experiment_file
from sanisim.runs.experiment import load as load_experiment
from sanisim.scenario import INSTITUTIONS, SCENARIO_DIR, load, shipped_folder
from sanisim.strategies import build_bundle


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    if args.strategy not in scenario.bundles:
        build_bundle(scenario, args.strategy)  # raises the one-line error
    if args.households is not None:
        scenario.with_params({"population.households": args.households}, "--households")
        if args.institutions == "in-proportion":
            scenario = scenario.scaled(args.households)
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
    # imported here: the decision and evidence modules (matplotlib, scipy.stats, the fits)
    # take about a second to import, which ``sanisim run`` and the listings do not need
    from sanisim.decisions.files import describe_decision_file
    from sanisim.evidence.files import describe_evidence_file

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


def register(verbs: argparse._SubParsersAction) -> None:
    """Add ``run``, ``validate``, ``scenarios``, ``strategies`` and ``dashboard``."""
    run = verbs.add_parser("run", help="run one scenario and write its outputs")
    run.add_argument("scenario", help="scenario file, or the name of a shipped scenario")
    run.add_argument("--seed", type=seed, default=0, help="run seed (>= 0)")
    run.add_argument("--months", type=parameter("run.months"), default=None,
                     help="months to simulate (default: the scenario's run.months; bounds "
                          "of run.months)")
    run.add_argument("--households", type=parameter("population.households"), default=None,
                     help="override the number of households (bounds of "
                          "population.households); the scenario's institutions stay as they "
                          "are unless --institutions in-proportion")
    run.add_argument("--institutions", choices=INSTITUTIONS, default="as-is",
                     help="with --households: 'as-is' keeps the scenario's sanitarians, "
                          "cooperatives, budgets and programme agents (a larger population "
                          "served by the same institutions); 'in-proportion' scales them with "
                          "the households, the same district larger (docs/model.md)")
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
