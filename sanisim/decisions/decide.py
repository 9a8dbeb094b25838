"""``sanisim decide FILE``: compare a scenario's bundles over uncertainty and write the tables
and figures a decision needs into a ``decisions`` folder.

A decide file::

    [decide]
    name = "blitar"                 # output folder results/decisions/NAME (default: file stem)
    scenario = "blitar"             # scenario file beside this one, a path, or a shipped name
    bundles = ["baseline", "commitment", "city_package"]   # default: all; baseline first
    posterior = 20                  # posterior draws (0: the scenario's own parameters)
    replicates = 3                  # seeds per draw, shared by every bundle
    seed = 2026
    months = 60
    discount_rate = 0.09            # a year (default: ADB 2017, 9%)
    willingness_to_pay = 20_000_000 # rupiah per additional household: the top of the CEAC

    [funding.commitment]            # how a government strategy's cost splits among budgets
    APBD = 0.7
    DAK = 0.3

    [targets.layak_90]              # optional; default: 0% open defecation, 90% layak, 15% aman
    measure = "basic_or_better"
    at_least = 0.9

Outputs (CSV and PNG, and ``manifest.json``): see docs/decisions.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanisim.analysis import economics, uncertainty
from sanisim.decisions import figures
from sanisim.decisions.evaluate import OUTCOMES, Evaluation, evaluate, tasks_for
from sanisim.decisions.settings import SETTING_KEYS, Setting, bundle_names, read_setting
from sanisim.errors import InputError, finite_number, main_table
from sanisim.inputs import integer, read_toml
from sanisim.runs.cli_options import add_executor_options
from sanisim.runs.executors import chosen_backend, open_executor
from sanisim.runs.run import manifest as run_manifest
from sanisim.runs.run import package_version

DECIDE_KEYS = (*SETTING_KEYS, "name", "bundles", "baseline", "willingness_to_pay",
               "ceac_points")
DEFAULT_WTP = 20_000_000.0  # rupiah per household: the CEAC's top (about 8 toilet packages)


class DecideFile:
    """A validated decide file."""

    def __init__(self, path: str | Path) -> None:
        source = str(path)
        raw = read_toml(path)
        table = main_table(raw, "decide", ("decide", "funding", "targets"), DECIDE_KEYS,
                           ("scenario",), source)
        self.path = source
        self.name = table.get("name", Path(path).stem)
        self.setting: Setting = read_setting(table, raw, source, "decide")
        scenario = self.setting.scenario
        self.baseline = table.get("baseline", "baseline")
        bundles = bundle_names(table.get("bundles", list(scenario.bundles)), scenario, source,
                               "decide.bundles")
        if self.baseline not in scenario.bundles:
            raise InputError(source, "decide.baseline", f"no bundle {self.baseline!r} in "
                             f"scenario {scenario.name!r}")
        self.bundles = (self.baseline, *(b for b in bundles if b != self.baseline))
        if len(self.bundles) < 2:
            raise InputError(source, "decide.bundles", "needs a bundle besides the baseline")
        self.willingness = finite_number(table.get("willingness_to_pay", DEFAULT_WTP), source,
                                         "decide.willingness_to_pay", 1.0)
        self.ceac_points = integer(table.get("ceac_points", 41), source, "decide.ceac_points",
                                   2, 1000)
        self.text = Path(path).read_text(encoding="utf-8")


def decide(spec: DecideFile, out: Path, executor=None) -> dict[str, Path]:
    """Run the comparison of a decide file and write its outputs into ``out``."""
    setting = spec.setting
    evaluation = evaluate(tasks_for(setting, spec.bundles), executor)
    return write_outputs(evaluation, setting, spec.bundles, out,
                         np.linspace(0.0, spec.willingness, spec.ceac_points),
                         {"decide_file": spec.path, "decide_text": spec.text,
                          "name": spec.name}, spec.baseline)


def write_outputs(evaluation: Evaluation, setting: Setting, bundles, out: Path,
                  willingness, extra: dict[str, Any], baseline: str = "baseline"
                  ) -> dict[str, Path]:
    """Every table and figure of a comparison, and the manifest, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    outcomes = evaluation.outcomes
    holds = setting.interval_holds
    years = int(np.ceil(setting.months / 12))
    tables: dict[str, pd.DataFrame] = {
        "outcomes": outcomes,
        "costs_by_year": economics.budget_years(evaluation.yearly),
        "cost_effectiveness": economics.cost_effectiveness(outcomes, baseline=baseline),
        "p_beats": uncertainty.beats_table(outcomes, OUTCOMES, bundles),
        "targets_by_year": uncertainty.target_by_year(
            outcomes, [t.name for t in setting.targets], years),
        "ceac": uncertainty.acceptability(outcomes, willingness, baseline=baseline),
        "intervals": uncertainty.outcome_intervals(
            outcomes, [*OUTCOMES, "household_cost"], holds),
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    paths.update(figures.decision_figures(tables, setting, out))
    manifest = {
        **run_manifest(setting.scenario, setting.seed, setting.months,
                       int(outcomes["households"].iloc[0]), ",".join(bundles)),
        "kind": "sanisim decisions",
        "sanisim_version": package_version(),
        "bundles": list(bundles), "replicates": setting.replicates,
        "posterior_draws": setting.posterior_draws,
        "posterior_file_sha256": setting.posterior.digest if setting.posterior else None,
        "interval_holds": holds,
        "discount_rate": setting.discount_rate,
        "funding_splits": {k: {"shares": dict(v), "source": getattr(v, "source", "declared")}
                           for k, v in setting.splits.items()},
        "targets": {t.name: t.describe() for t in setting.targets},
        "files": sorted(p.name for p in paths.values()),
        **extra,
    }
    paths["manifest"] = out / "manifest.json"
    paths["manifest"].write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return paths


def summary_lines(out: Path, baseline: str = "baseline") -> list[str]:
    """A few lines for the terminal: cost-effectiveness in words, never a negative ratio."""
    table = pd.read_csv(out / "cost_effectiveness.csv")
    lines = []
    for row in table.itertuples():
        lines.append(f"  {row.bundle:22} {row.extra_households:+8.0f} households "
                     f"[{row.extra_households_low:+.0f}, {row.extra_households_high:+.0f}], "
                     f"public Rp {row.public_cost / 1e9:,.2f} bn: {row.ratio_text}")
    return lines


def cmd_decide(args: argparse.Namespace) -> int:
    spec = DecideFile(args.file)
    out = Path(args.out) if args.out else Path("results") / "decisions" / spec.name
    with open_executor(chosen_backend(args.backend, args.scheduler), args.workers,
                       args.scheduler) as handle:
        decide(spec, out, handle.executor)
    print(f"sanisim decide: {spec.name}: {len(spec.bundles)} bundles x "
          f"{max(spec.setting.posterior_draws, 1)} draw(s) x {spec.setting.replicates} "
          f"seed(s) -> {out}")
    print(f"against {spec.baseline}, extra households at basic or better "
          f"(central 90% of runs: {spec.setting.interval_holds}):")
    for line in summary_lines(out, spec.baseline):
        print(line)
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add ``sanisim decide``."""
    parser = verbs.add_parser("decide", help="compare bundles over uncertainty: costs per "
                              "budget and year, P(A beats B), targets by year, CEAC")
    parser.add_argument("file", help="decide file (TOML with a [decide] table)")
    parser.add_argument("--out", default=None,
                        help="output folder (default results/decisions/NAME)")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_decide)
