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

    [context]                       # optional: district context varied too (Latin hypercube)
    samples = 8                     # points, each crossed with draws x seeds
    [context.ranges]
    "ladder.open_defecation" = [0.0, 0.2]
    "population.poverty_rate" = [0.05, 0.3]

    [discovery]                     # optional: where the advice flips (PRIM)
    a = "commitment"
    b = "lltt"
    outcome = "basic_or_better"

Outputs (CSV and PNG, and ``manifest.json``): see docs/decisions.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanisim.analysis import discovery, economics, uncertainty
from sanisim.analysis.economics import PAIR
from sanisim.decisions import figures
from sanisim.decisions.evaluate import INPUT_PREFIX, OUTCOMES, Evaluation, evaluate, tasks_for
from sanisim.decisions.settings import SETTING_KEYS, Setting, bundle_names, read_setting
from sanisim.errors import InputError, check_keys, finite_number, main_table
from sanisim.inputs import choice, integer, read_toml
from sanisim.runs.cli_options import add_executor_options
from sanisim.runs.executors import chosen_backend, open_executor
from sanisim.runs.experiment import lhs_sample
from sanisim.runs.points import record_of, scenario_at
from sanisim.runs.run import manifest as run_manifest
from sanisim.runs.run import package_version

DECIDE_KEYS = (*SETTING_KEYS, "name", "bundles", "baseline", "willingness_to_pay",
               "ceac_points")
DISCOVERY_KEYS = ("a", "b", "outcome", "min_coverage")
DEFAULT_WTP = 20_000_000.0  # rupiah per household: the CEAC's top (about 8 toilet packages)


class DecideFile:
    """A validated decide file."""

    def __init__(self, path: str | Path) -> None:
        source = str(path)
        raw = read_toml(path)
        table = main_table(raw, "decide", ("decide", "funding", "targets", "context",
                                           "discovery"), DECIDE_KEYS, ("scenario",), source)
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
        self.contexts = read_context(raw.get("context"), self.setting, source)
        self.discovery = read_discovery(raw.get("discovery"), self.bundles, source)


def read_context(table: Any, setting: Setting, source: str) -> list[dict[str, Any]]:
    """``[context]``: ``samples`` Latin-hypercube points over ``[context.ranges]`` (registry
    keys, ``ladder.RUNG``, ``strategies.NAME.KEY``), each crossed with draws x seeds; without
    it one point, the scenario as it is."""
    if table is None:
        return [{}]
    if not isinstance(table, dict):
        raise InputError(source, "context", "must be a table with samples and [context.ranges]")
    check_keys(table, ("samples", "ranges"), source, "context.")
    samples = integer(table.get("samples"), source, "context.samples", 1, 1000)
    ranges = table.get("ranges")
    if samples is None or not isinstance(ranges, dict) or not ranges:
        raise InputError(source, "context", "needs samples = N and [context.ranges] with "
                         "parameter = [low, high]")
    scenario = setting.scenario
    drawn = setting.posterior.keys if setting.posterior else ()
    checked: dict[str, tuple[float, float]] = {}
    for key, bounds in ranges.items():
        where = f"context.ranges.{key}"
        try:
            record = record_of(scenario, key, source)
        except InputError as err:
            raise InputError(source, where, err.message) from None
        if key in drawn:
            raise InputError(source, where, "also a parameter of the posterior; a parameter "
                             "comes from the context or from the posterior, not both")
        if record.kind not in (int, float) or not isinstance(bounds, list) or len(bounds) != 2 \
                or any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds) \
                or not bounds[0] < bounds[1] \
                or (record.low is not None and bounds[0] < record.low) \
                or (record.high is not None and bounds[1] > record.high):
            raise InputError(source, where, f"got {bounds!r}; allowed: [low, high] with low < "
                             f"high inside the parameter's range ({record.allowed()})")
        checked[key] = ((int(bounds[0]), int(bounds[1])) if record.kind is int
                        else (float(bounds[0]), float(bounds[1])))
    points = lhs_sample(checked, samples, setting.seed)
    for number, point in enumerate(points, 1):  # each must make a valid scenario
        scenario_at(scenario, point, source=f"{source}: context point {number}")
    return points


def read_discovery(table: Any, bundles: Sequence[str], source: str) -> dict[str, Any] | None:
    """``[discovery]``: where bundle ``a`` beats bundle ``b`` on ``outcome`` (PRIM)."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError(source, "discovery", "must be a table with a, b and outcome")
    check_keys(table, DISCOVERY_KEYS, source, "discovery.")
    for key in ("a", "b"):
        choice(table.get(key), source, f"discovery.{key}", bundles)
        if key not in table:
            raise InputError(source, f"discovery.{key}", f"missing; allowed: one of "
                             f"{', '.join(bundles)}")
    if table["a"] == table["b"]:
        raise InputError(source, "discovery.b", "must differ from discovery.a")
    outcome = table.get("outcome", "basic_or_better")
    choice(outcome, source, "discovery.outcome", tuple(OUTCOMES))
    coverage = finite_number(table.get("min_coverage", 0.8), source, "discovery.min_coverage",
                             0.0)
    if coverage > 1:
        raise InputError(source, "discovery.min_coverage", f"got {coverage:g}; allowed: a "
                         "share between 0 and 1")
    if importlib.util.find_spec("ema_workbench") is None:  # optional: checked before runs
        raise InputError(source, "discovery", "needs the EMA workbench: pip install -e "
                         "'.[discovery]'")
    return {"a": table["a"], "b": table["b"], "outcome": outcome, "min_coverage": coverage}


def decide(spec: DecideFile, out: Path, executor=None) -> dict[str, Path]:
    """Run the comparison of a decide file and write its outputs into ``out``."""
    setting = spec.setting
    evaluation = evaluate(tasks_for(setting, spec.bundles, contexts=spec.contexts), executor)
    extra: dict[str, Any] = {"decide_file": spec.path, "decide_text": spec.text,
                             "name": spec.name, "context_points": len(spec.contexts)}
    if spec.discovery:
        extra["discovery"] = discover(evaluation.outcomes, spec.discovery, out)
    return write_outputs(evaluation, setting, spec.bundles, out,
                         np.linspace(0.0, spec.willingness, spec.ceac_points), extra,
                         spec.baseline)


def discover(outcomes: pd.DataFrame, question: dict[str, Any], out: Path) -> str:
    """PRIM over the inputs that vary among the pairs: where ``a`` beats ``b`` on the
    outcome. Writes ``discovery.csv`` (the box) and ``discovery.txt`` (the sentence)."""
    a, b, outcome = question["a"], question["b"], question["outcome"]
    inputs = [c for c in outcomes.columns if c.startswith(INPUT_PREFIX)]
    keys = list(PAIR)
    frame = outcomes.assign(draw=outcomes["draw"].fillna(-1))
    pairs = frame[frame["bundle"] == a][[*keys, *inputs, outcome]].merge(
        frame[frame["bundle"] == b][[*keys, outcome]], on=keys, suffixes=("", "_b"))
    better = (pairs[outcome] > pairs[f"{outcome}_b"] if OUTCOMES[outcome]
              else pairs[outcome] < pairs[f"{outcome}_b"]).to_numpy()
    x = pairs[inputs].rename(columns=lambda c: c.removeprefix(INPUT_PREFIX))
    x = x.loc[:, x.nunique() > 1]
    what = f"{a} beats {b} on {outcome}"
    out.mkdir(parents=True, exist_ok=True)
    box = discovery.find_box(x, better, question["min_coverage"]) if len(x.columns) else None
    if box is None:
        sentence = (f"{what} in {better.mean():.0%} of all {len(better)} cases; no box: "
                    + ("nothing uncertain varies" if not len(x.columns) else
                       "it holds in all cases or in none"))
        rows = []
    else:
        ranges = discovery.input_ranges(x)
        sentence = box.sentence(what, ranges)
        rows = [{"input": name, "low": low, "high": high, "range_low": ranges[name][0],
                 "range_high": ranges[name][1], "coverage": box.coverage,
                 "density": box.density, "mass": box.mass}
                for name, (low, high) in box.limits.items()]
    pd.DataFrame(rows, columns=["input", "low", "high", "range_low", "range_high", "coverage",
                                "density", "mass"]).to_csv(out / "discovery.csv", index=False)
    (out / "discovery.txt").write_text(sentence + "\n")
    return sentence


def write_outputs(evaluation: Evaluation, setting: Setting, bundles, out: Path,
                  willingness, extra: dict[str, Any], baseline: str = "baseline"
                  ) -> dict[str, Path]:
    """Every table and figure of a comparison, and the manifest, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    outcomes = evaluation.outcomes
    holds = setting.interval_holds
    points = int(outcomes["point"].nunique())
    if points > 1:
        holds += f" and district context ({points} points)"
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
    paths.update(figures.decision_figures(tables, holds, out))
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
    context = (f"{len(spec.contexts)} context points x " if len(spec.contexts) > 1 else "")
    print(f"sanisim decide: {spec.name}: {len(spec.bundles)} bundles x {context}"
          f"{max(spec.setting.posterior_draws, 1)} draw(s) x {spec.setting.replicates} "
          f"seed(s) -> {out}")
    holds = pd.read_csv(out / "intervals.csv")["interval"].iloc[0].split(": ", 1)[-1]
    print(f"against {spec.baseline}, extra households at basic or better "
          f"(central 90% of runs: {holds}):")
    for line in summary_lines(out, spec.baseline):
        print(line)
    if spec.discovery:
        print("where the advice flips: " + (out / "discovery.txt").read_text().strip())
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
