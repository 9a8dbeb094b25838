"""Calibration: fit chosen parameters, within their recorded bounds, to a table of targets.

A calibration file (TOML, format in ``docs/validation.md``) names a virtual trial
(:mod:`sanisim.evidence.trial`), the parameters to fit with their search ranges (inside the ranges
their records allow: registry keys or ``strategies.NAME.KEY``), and the targets: published
estimates of that trial with their standard errors::

    [calibration]
    name = "east_java"
    trial = "east_java_trial.toml"
    replicates = 8            # replicates per candidate point, the same seeds at every point
    method = "nelder-mead"    # Latin-hypercube start, then Nelder-Mead; or "differential_evolution"
    budget = 60               # candidate points for the search
    start_points = 16         # of which Latin-hypercube points (nelder-mead)
    profile_points = 7        # per parameter, for the uncertainty profile
    final_replicates = 40     # replicates of the trial at the fit, with survey sampling
    out = "../results/calibration_east_java/east_java_calibrated.toml"

    [parameters]
    "behaviour.p_innovation" = [0.001, 0.02]

    [targets]
    control_mean = {value = 0.125, se = 0.013, source = "..."}

**Objective.** At a candidate point every replicate runs the trial's district with the same
seed (common random numbers) and yields *census* estimates (differences in means over every
household of the enrolled clusters, no survey sampling noise); their mean over replicates,
``m_k``, is compared with each target ``(y_k, s_k)`` by ``chi2 = sum_k ((m_k - y_k) / s_k)^2``.
The search (scipy.optimize) works on the unit cube of the search ranges.

**Uncertainty.** For each parameter a profile of chi2 over its range, the other parameters held
at the fit (a *conditional* profile: not re-optimised, so it understates joint uncertainty);
the approximate 95% interval is where chi2 stays within 3.84 of its minimum. When a profile
finds a point better than the fit, the fit moves there and is profiled again (at most
``POLISH_ROUNDS`` times): the profiles double as a coordinate search. The simulation's
own noise is the standard error of ``m_k`` over replicates.

**Check.** At the fit (rounded as written to the calibrated scenario file) the trial runs
``final_replicates`` times *with* its survey sample and cluster-robust estimates: the fit
table shows, per target, the published 95% interval, the census mean and the 2.5-97.5%
range of the estimates a trial of that design would report.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import optimize
from scipy.stats import qmc

from sanisim.errors import InputError, did_you_mean, main_table
from sanisim.evidence.targets import (
    FittedParameter,
    Target,
    fit_range,
    parameter_keys,
    target_from_table,
)
from sanisim.evidence.trial import (
    PartialTable,
    TrialDesign,
    estimate_names,
    replicate_job,
    replicate_seeds,
    run_trial,
    split_estimate_key,
    write_manifest,
)
from sanisim.evidence.trial import load as load_trial
from sanisim.inputs import (
    MAX_REPLICATES,
    choice,
    file_beside,
    integer,
    read_toml,
    resolve_scenario,
)
from sanisim.outputs import (
    default_folder,
    named_output_file,
    output_file,
    output_folder,
    writing,
)
from sanisim.runs.cli_options import add_executor_options, at_least, replicates, with_options
from sanisim.runs.executors import chosen_backend, open_executor
from sanisim.runs.replicates import run_all
from sanisim.runs.run import git_commit
from sanisim.scenario import _set_nested, to_toml
from sanisim.scenario import load as load_scenario
from sanisim.streams import seed_stream

log = logging.getLogger(__name__)

CALIBRATION_KEYS = ("name", "description", "trial", "scenario", "replicates", "seed", "method",
                    "budget", "start_points", "profile_points", "final_replicates", "out")
METHODS = ("nelder-mead", "differential_evolution")
#: chi2 rise that bounds an approximate 95% profile interval (chi-square, 1 df).
PROFILE_RISE = 3.841
#: Times the fit may move to a better point its profiles found (then profile again), and the
#: chi2 gain that makes it move.
POLISH_ROUNDS = 2
POLISH_GAIN = 0.05
#: The most candidate points of a search (``budget``, ``start_points``) and of one profile.
MAX_BUDGET = 100_000
MAX_PROFILE_POINTS = 1_000
#: The evaluations done so far, while ``sanisim calibrate`` runs (removed when the whole
#: ``evaluations.csv`` is written).
PARTIAL_EVALUATIONS = "evaluations.partial.csv"


#: A parameter to fit and its search range (the shared record of fitted parameters).
FitParameter = FittedParameter


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration file."""

    name: str
    trial: TrialDesign
    parameters: tuple[FitParameter, ...]
    targets: tuple[Target, ...]
    replicates: int = 8
    seed: int = 0
    method: str = "nelder-mead"
    budget: int = 60
    start_points: int = 16
    profile_points: int = 7
    final_replicates: int = 40
    out: Path | None = None
    description: str = ""
    source: str = "<calibration>"


@dataclass
class Evaluation:
    """The objective at one point: replicate-mean census estimates and chi2."""

    point: dict[str, float]
    mean: dict[str, float]
    se: dict[str, float]
    chi2: float
    stage: str = ""


@dataclass
class CalibrationResult:
    spec: CalibrationSpec
    fitted: dict[str, float]
    chi2: float
    parameters: pd.DataFrame
    fit: pd.DataFrame
    evaluations: pd.DataFrame
    profile: pd.DataFrame
    trial_summary: pd.DataFrame | None = None
    scenario_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- objective


class Objective:
    """chi2 of replicate-mean census estimates against the targets, with a cache.

    Every point runs the same replicate seeds (common random numbers), so differences between
    points are the parameters' effects, not new draws.
    """

    def __init__(self, spec: CalibrationSpec, executor: Executor,
                 partial: PartialTable | None = None) -> None:
        self.spec = spec
        self.executor = executor
        self.partial = partial
        self.seeds = replicate_seeds(spec.trial, spec.replicates)
        self.cache: dict[tuple[float, ...], Evaluation] = {}
        self.history: list[Evaluation] = []

    def point(self, unit: Sequence[float]) -> dict[str, float]:
        return {p.key: p.from_unit(u) for p, u in zip(self.spec.parameters, unit, strict=True)}

    def evaluate_points(self, points: Sequence[Mapping[str, float]], stage: str = ""
                        ) -> list[Evaluation]:
        """Evaluate several points at once (all their replicates in flight together)."""
        keys = [tuple(point[p.key] for p in self.spec.parameters) for point in points]
        todo = {k: dict(pt) for k, pt in zip(keys, points, strict=True) if k not in self.cache}
        tasks = [(self.spec.trial, r, seed, pt, False) for pt in todo.values()
                 for r, seed in enumerate(self.seeds)]
        results = run_all(replicate_job, tasks, self.executor)
        for index, key in enumerate(todo):
            jobs = results[index * len(self.seeds):(index + 1) * len(self.seeds)]
            census = pd.DataFrame([job["census"] for job in jobs])
            evaluation = self._score(todo[key], census, stage)
            self.cache[key] = evaluation
            self.history.append(evaluation)
            if self.partial is not None:
                self.partial.add([evaluation_row(evaluation, self.spec)])
            log.info("calibration %s: chi2 %.3f at %s", stage, evaluation.chi2, todo[key])
        return [self.cache[k] for k in keys]

    def _score(self, point: dict[str, float], census: pd.DataFrame, stage: str) -> Evaluation:
        mean = {name: float(census[name].mean()) for name in census.columns}
        se = {name: float(census[name].std(ddof=1) / math.sqrt(len(census)))
              if len(census) > 1 else math.nan for name in census.columns}
        chi2 = 0.0
        for target in self.spec.targets:
            value = mean.get(target.name, math.nan)
            chi2 += ((value - target.value) / target.se) ** 2 if math.isfinite(value) else 1e6
        return Evaluation(point, mean, se, float(chi2), stage)

    def __call__(self, unit: np.ndarray) -> float:
        return self.evaluate_points([self.point(unit)], "search")[0].chi2


def evaluation_row(evaluation: Evaluation, spec: CalibrationSpec) -> dict[str, Any]:
    """One row of ``evaluations.csv``: stage, point, chi2 and the simulated targets."""
    return {"stage": evaluation.stage, **evaluation.point, "chi2": evaluation.chi2,
            **{f"sim:{t.name}": evaluation.mean.get(t.name) for t in spec.targets}}


# --------------------------------------------------------------------------- the fit


def search(objective: Objective) -> Evaluation:
    """Minimise chi2 within the budget; returns the best evaluation."""
    spec = objective.spec
    d = len(spec.parameters)
    rng = seed_stream(spec.seed, "sanisim.calibration.search")
    if spec.method == "differential_evolution":
        popsize = max(2, min(8, spec.budget // (4 * d)))
        generations = max(1, spec.budget // (popsize * d) - 1)
        optimize.differential_evolution(
            objective, [(0.0, 1.0)] * d, popsize=popsize, maxiter=generations, polish=False,
            init="latinhypercube", rng=rng, tol=0.0, updating="deferred")
    else:
        start = qmc.LatinHypercube(d=d, rng=rng).random(min(spec.start_points, spec.budget))
        scenario_unit = np.array([p.to_unit(p.start) if math.isfinite(p.start) else 0.5
                                  for p in spec.parameters])
        units = np.vstack([np.clip(scenario_unit, 0, 1), start])
        objective.evaluate_points([objective.point(u) for u in units], "start")
        best = min(objective.history, key=lambda e: e.chi2)
        x0 = np.array([p.to_unit(best.point[p.key]) for p in spec.parameters])
        left = spec.budget - len(objective.history)
        if left > d + 1:
            step = 0.15
            simplex = [x0] + [np.clip(x0 + step * np.where(np.arange(d) == i,
                                                            1.0 if x0[i] < 0.5 else -1.0, 0.0),
                                      0, 1) for i in range(d)]
            optimize.minimize(objective, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                              options={"maxfev": left, "initial_simplex": np.array(simplex),
                                       "xatol": 1e-3, "fatol": 1e-3})
    return min(objective.history, key=lambda e: e.chi2)


def profile(objective: Objective, fitted: Mapping[str, float], refine: int = 2
            ) -> pd.DataFrame:
    """chi2 along each parameter's range, the others held at ``fitted`` (conditional profile).

    A grid of ``profile_points`` over the search range, then ``refine`` bisection steps on each
    side where chi2 crosses its minimum + 3.84, so the interval's ends are located more finely
    than the grid.
    """
    spec = objective.spec
    labels: list[tuple[str, float]] = []
    for param in spec.parameters:
        grid = np.linspace(param.low, param.high, spec.profile_points)
        if param.integer:
            grid = np.unique(np.round(grid))
        labels += [(param.key, float(v)) for v in sorted({*grid.tolist(), fitted[param.key]})]
    table = _profile_rows(objective, fitted, labels)
    for _ in range(refine):
        labels = []
        for param in spec.parameters:
            rows = table[table["parameter"] == param.key].sort_values("value")
            x, y = rows["value"].to_numpy(float), rows["chi2"].to_numpy(float)
            lo, hi = _inside_run(x, y, fitted[param.key], y.min() + PROFILE_RISE)
            for i, j in ((lo - 1, lo), (hi, hi + 1)):
                if 0 <= i and j < x.size:
                    middle = (x[i] + x[j]) / 2
                    middle = float(round(middle)) if param.integer else float(middle)
                    if middle not in (x[i], x[j]):
                        labels.append((param.key, middle))
        if not labels:
            break
        table = pd.concat([table, _profile_rows(objective, fitted, labels)], ignore_index=True)
    return table.sort_values(["parameter", "value"], kind="stable").reset_index(drop=True)


def _profile_rows(objective: Objective, fitted: Mapping[str, float],
                  labels: list[tuple[str, float]]) -> pd.DataFrame:
    points = [{**fitted, key: value} for key, value in labels]
    evaluations = objective.evaluate_points(points, "profile")
    return pd.DataFrame([{"parameter": key, "value": value, "chi2": e.chi2}
                         for (key, value), e in zip(labels, evaluations, strict=True)])


def _inside_run(x: np.ndarray, y: np.ndarray, fitted: float, level: float) -> tuple[int, int]:
    """First and last index of the run of points with chi2 <= level around the fit."""
    inside = y <= level
    lo = hi = int(np.argmin(np.abs(x - fitted)))
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < x.size - 1 and inside[hi + 1]:
        hi += 1
    return lo, hi


def profile_interval(table: pd.DataFrame, key: str, fitted: float,
                     rise: float = PROFILE_RISE) -> tuple[float, float]:
    """Where a parameter's profile stays within ``rise`` of its minimum (linear interpolation).

    An end of the search range that is still inside is returned as that end (the interval is
    then censored by the range).
    """
    rows = table[table["parameter"] == key].sort_values("value")
    x, y = rows["value"].to_numpy(float), rows["chi2"].to_numpy(float)
    if x.size == 0:
        return math.nan, math.nan
    level = y.min() + rise
    lo, hi = _inside_run(x, y, fitted, level)

    def cross(i: int, j: int) -> float:  # between an inside point i and an outside point j
        return float(x[i] + (level - y[i]) * (x[j] - x[i]) / (y[j] - y[i]))

    low = x[lo] if lo == 0 else cross(lo, lo - 1)
    high = x[hi] if hi == x.size - 1 else cross(hi, hi + 1)
    return float(low), float(high)


def rounded(value: float, integer: bool) -> float:
    """The fitted value as written to the scenario file: 4 significant digits."""
    if integer:
        return float(round(value))
    if value == 0:
        return 0.0
    return float(f"{value:.4g}")


def calibrate(spec: CalibrationSpec, *, executor: Executor | None = None,
              backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None, write: bool = True,
              final_check: bool = True, partial: PartialTable | None = None
              ) -> CalibrationResult:
    """Fit, profile, write the calibrated scenario and check it (see the module docs);
    ``partial`` receives every evaluation as soon as it is done."""
    if executor is None:
        with open_executor(backend, workers, scheduler) as handle:
            return calibrate(spec, executor=handle.executor, write=write,
                             final_check=final_check, partial=partial)
    objective = Objective(spec, executor, partial)
    best = search(objective)
    profiles = pd.DataFrame(columns=["parameter", "value", "chi2"])
    for _ in range(POLISH_ROUNDS + 1):
        fitted = {p.key: rounded(best.point[p.key], p.integer) for p in spec.parameters}
        at_fit = objective.evaluate_points([fitted], "fit")[0]
        if spec.profile_points <= 1:
            break
        profiles = profile(objective, fitted)
        # a profile point better than the fit: move there and profile again
        best = min(objective.history, key=lambda e: e.chi2)
        if best.chi2 >= at_fit.chi2 - POLISH_GAIN:
            break
        log.info("calibration: a profile point improves chi2 %.3f -> %.3f; profiling again",
                 at_fit.chi2, best.chi2)

    rows = []
    for param in spec.parameters:
        low, high = (profile_interval(profiles, param.key, fitted[param.key])
                     if len(profiles) else (math.nan, math.nan))
        censored = (math.isclose(low, param.low) or math.isclose(high, param.high))
        rows.append({"parameter": param.key, "unit": param.unit, "start": param.start,
                     "fitted": fitted[param.key], "profile_low": low, "profile_high": high,
                     "search_low": param.low, "search_high": param.high,
                     "interval_censored_by_range": censored})
    parameters = pd.DataFrame(rows)

    trial_summary = None
    scenario_path = None
    design = spec.trial
    if write and spec.out is not None:
        scenario_path = write_scenario(spec, fitted, at_fit, parameters)

        design = spec.trial.with_scenario(load_scenario(scenario_path))
        fitted_point: dict[str, float] = {}
    else:
        fitted_point = fitted
    if final_check:
        trial_summary = run_trial(design, replicates=spec.final_replicates,
                                  point=fitted_point, executor=executor).summary
    fit = fit_table(spec, at_fit, trial_summary)
    evaluations = pd.DataFrame([evaluation_row(e, spec) for e in objective.history])
    return CalibrationResult(spec, fitted, at_fit.chi2, parameters, fit, evaluations, profiles,
                             trial_summary, scenario_path)


def fit_table(spec: CalibrationSpec, at_fit: Evaluation,
              trial_summary: pd.DataFrame | None) -> pd.DataFrame:
    """Per target: the published estimate and 95% interval beside the simulated values."""
    rows = []
    summary = (trial_summary.set_index(["estimate", "outcome", "month"])
               if trial_summary is not None else pd.DataFrame())
    for target in spec.targets:
        low, high = target.value - 1.96 * target.se, target.value + 1.96 * target.se
        simulated = at_fit.mean.get(target.name, math.nan)
        row = {"target": target.name, "published": target.value, "published_se": target.se,
               "published_low": low, "published_high": high, "simulated": simulated,
               "simulated_se": at_fit.se.get(target.name, math.nan),
               "z": (simulated - target.value) / target.se,
               "within_published_95": bool(low <= simulated <= high)}
        where = split_estimate_key(spec.trial, target.name)
        if where in summary.index:
            trial = summary.loc[where]
            row.update(trial_mean=trial["mean"], trial_q025=trial["q025"],
                       trial_q975=trial["q975"], trial_mean_se=trial["mean_se"],
                       trial_power=trial["power"], trial_census=trial["census"])
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the scenario file


def write_scenario(spec: CalibrationSpec, fitted: Mapping[str, float], at_fit: Evaluation,
                   parameters: pd.DataFrame) -> Path:
    """Write the calibrated scenario: ``extends`` the trial's scenario, the fitted values only."""
    base = spec.trial.scenario
    out = Path(spec.out)
    if base.path is None:
        raise InputError(spec.source, "calibration.out", "the trial's scenario has no file "
                         "to extend; give the trial a scenario file")
    tree: dict[str, Any] = {
        "extends": os.path.relpath(Path(base.path).resolve(), out.resolve().parent),
        "name": out.stem,
        "description": (f"{base.name} with {', '.join(fitted)} fitted to the targets of "
                        f"calibration {spec.name!r} (chi2 {at_fit.chi2:.2f} over "
                        f"{len(spec.targets)} targets)."),
    }
    comments = {}
    for row in parameters.itertuples():
        _set_nested(tree, row.parameter, fitted[row.parameter])
        comments[row.parameter] = (f"fitted; conditional 95% profile interval "
                                   f"[{row.profile_low:.4g}, {row.profile_high:.4g}], search "
                                   f"range [{row.search_low:g}, {row.search_high:g}]")
    header = [
        f"# Calibrated scenario written by `sanisim calibrate {spec.source}`.",
        f"# {datetime.now(UTC).date().isoformat()}, sanisim commit {git_commit()}.",
        f"# Fitted to {len(spec.targets)} targets ({', '.join(t.name for t in spec.targets)})",
        f"# with {spec.replicates} replicates per point; chi2 at the fit {at_fit.chi2:.2f}.",
        "# Target-by-target fit and the reproducing command: docs/validation.md.",
        "",
    ]
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(header) + to_toml(tree, comments))
    return out


# --------------------------------------------------------------------------- files


def load(path: str | Path) -> CalibrationSpec:
    path = Path(path)
    return from_dict(read_toml(path), str(path), path.parent)


def from_dict(raw: Mapping[str, Any], source: str = "<calibration>",
              base: Path | None = None) -> CalibrationSpec:
    """Validate calibration data (``[calibration]``, ``[parameters]``, ``[targets]``)."""
    base = base or Path(".")
    table = main_table(raw, "calibration", ("calibration", "parameters", "targets"),
                       CALIBRATION_KEYS, ("name", "trial"), source)
    trial_path = file_beside(table["trial"], base, source, "calibration.trial", "trial file")
    design = load_trial(trial_path, (resolve_scenario(table["scenario"], base, source,
                                                      "calibration.scenario")
                                     if "scenario" in table else None))
    out = table.get("out")
    if out is not None:
        out = named_output_file(out, base, source, "calibration.out", ".toml")
    method = table.get("method", "nelder-mead")
    choice(method, source, "calibration.method", METHODS)

    ranges = raw.get("parameters")
    if not isinstance(ranges, dict) or not ranges:
        raise InputError(source, "parameters", "needs a [parameters] table: key = [low, high] "
                         "(or [] for the whole recorded range)")
    parameters = []
    for key, bounds in parameter_keys(ranges):
        record, low, high = fit_range(design.scenario, key, bounds, source, whole=True)
        start = design.scenario.params[key] if key in design.scenario.params else record.default
        parameters.append(FittedParameter(key, low, high, record.kind is int, record.unit,
                                          float(start)))

    targets_table = raw.get("targets")
    if not isinstance(targets_table, dict) or not targets_table:
        raise InputError(source, "targets", "needs a [targets] table: name = {value, se}")
    known = list(_estimate_names(design))
    targets = []
    for name, target in targets_table.items():
        where = f"targets.{name}"
        if name not in known:

            hint = did_you_mean(name, known)
            raise InputError(source, where, f"not an estimate of trial {design.name!r}{hint} "
                             f"(estimates: {', '.join(known)})")
        targets.append(target_from_table(name, target, source, where))

    prefix = "calibration."
    spec = CalibrationSpec(
        name=str(table["name"]), trial=design, parameters=tuple(parameters),
        targets=tuple(targets),
        replicates=integer(table.get("replicates", 8), source, f"{prefix}replicates", 2,
                           MAX_REPLICATES),
        seed=integer(table.get("seed", 0), source, f"{prefix}seed", 0), method=method,
        budget=integer(table.get("budget", 60), source, f"{prefix}budget", 1, MAX_BUDGET),
        start_points=integer(table.get("start_points", 16), source, f"{prefix}start_points", 1,
                             MAX_BUDGET),
        profile_points=integer(table.get("profile_points", 7), source,
                               f"{prefix}profile_points", 0, MAX_PROFILE_POINTS),
        final_replicates=integer(table.get("final_replicates", 40), source,
                                 f"{prefix}final_replicates", 1, MAX_REPLICATES),
        out=out,
        description=str(table.get("description", "")), source=source)
    return spec


def _estimate_names(design: TrialDesign) -> tuple[str, ...]:
    """Every estimate name the trial reports (see :func:`sanisim.evidence.trial.point_estimates`):
    short names (first outcome, first round) and ``"<estimate>|<outcome>@<month>"``."""
    return estimate_names(design)


# --------------------------------------------------------------------------- command line


def format_result(result: CalibrationResult) -> str:
    lines = [f"{'parameter':46}{'fitted':>11}{'95% profile':>24}"]
    for row in result.parameters.itertuples():
        note = " (censored by range)" if row.interval_censored_by_range else ""
        lines.append(f"{row.parameter:46}{row.fitted:>11.4g}"
                     f"{f'[{row.profile_low:.4g}, {row.profile_high:.4g}]':>24}{note}")
    lines.append("")
    lines.append(f"{'target':22}{'published':>10}{'95% interval':>20}{'simulated':>11}"
                 f"{'trial 2.5-97.5%':>22}{'ok':>4}")
    for row in result.fit.itertuples():
        trial = (f"[{row.trial_q025:+.3f}, {row.trial_q975:+.3f}]"
                 if hasattr(row, "trial_q025") and pd.notna(row.trial_q025) else "")
        lines.append(f"{row.target:22}{row.published:>+10.3f}"
                     f"{f'[{row.published_low:+.3f}, {row.published_high:+.3f}]':>20}"
                     f"{row.simulated:>+11.3f}{trial:>22}"
                     f"{'yes' if row.within_published_95 else 'NO':>4}")
    lines.append(f"chi2 at the fit: {result.chi2:.2f} over {len(result.fit)} targets; "
                 f"{len(result.evaluations)} points evaluated")
    return "\n".join(lines)


def write_outputs(result: CalibrationResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_manifest(out, result.spec.trial, calibration=result.spec.name,
                            calibration_file=result.spec.source, chi2=result.chi2,
                            fitted=result.fitted, scenario_written=result.scenario_path)]
    for name, table in (("parameters", result.parameters), ("fit", result.fit),
                        ("evaluations", result.evaluations), ("profile", result.profile)):
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    if result.trial_summary is not None:
        path = out / "trial_summary.csv"
        result.trial_summary.to_csv(path, index=False)
        paths.append(path)
    if len(result.profile):
        paths.append(profile_figure(result, out / "profile.png"))
    return paths


def profile_figure(result: CalibrationResult, path: Path) -> Path:
    params = list(result.parameters["parameter"])
    fig = Figure(figsize=(3.2 * len(params), 3.0))
    axes = fig.subplots(1, len(params), squeeze=False)
    for ax, row in zip(axes[0], result.parameters.itertuples(), strict=True):
        rows = result.profile[result.profile["parameter"] == row.parameter].sort_values("value")
        ax.plot(rows["value"], rows["chi2"], "o-", color="#1f4e79")
        ax.axhline(rows["chi2"].min() + PROFILE_RISE, color="#b03a2e", lw=0.8, ls="--")
        ax.axvline(row.fitted, color="grey", lw=0.8)
        ax.set_xlabel(row.parameter.replace("strategies.", ""), fontsize=8)
        ax.set_ylabel("chi2")
    fig.suptitle(f"Calibration {result.spec.name}: conditional profiles "
                 "(dashed: minimum + 3.84)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def cmd_calibrate(args: argparse.Namespace) -> int:
    spec = with_options(load(args.calibration), args,
                        ("replicates", "budget", "final_replicates"))
    if args.write:
        spec = replace(spec, out=named_output_file(args.write, Path("."), "--write", "--write",
                                                   ".toml"))
    if args.no_write:
        spec = replace(spec, out=None)
    out = output_folder(Path(args.out) if args.out else
                        default_folder(f"calibration_{spec.name}"))
    if spec.out is not None:
        output_file(spec.out, "calibration.out" if not args.write else "--write")
    print(f"sanisim calibrate: {spec.name}: {len(spec.parameters)} parameters, "
          f"{len(spec.targets)} targets, {spec.method} with a budget of {spec.budget} points x "
          f"{spec.replicates} replicates -> {out}", flush=True)
    if spec.out is not None:
        print(f"sanisim calibrate: the calibrated scenario will be written to {spec.out}",
              flush=True)
    partial = PartialTable(out / PARTIAL_EVALUATIONS)
    result = calibrate(spec, backend=chosen_backend(args.backend, args.scheduler),
                       workers=args.workers, scheduler=args.scheduler, partial=partial)
    with writing(out):
        write_outputs(result, out)
    partial.done()
    print(format_result(result))
    if result.scenario_path is not None:
        print(f"calibrated scenario: {result.scenario_path}")
    print(f"(tables and profile figure in {out})")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "calibrate", help="fit parameters to a trial's published estimates",
        description="Fit parameters, within their recorded bounds, to the targets of a "
                    "calibration file by a virtual trial over replicates (common random "
                    "numbers); report the fit, a profile of each parameter, and write the "
                    "calibrated scenario (see docs/validation.md).")
    parser.add_argument("calibration", help="calibration TOML file "
                        "(e.g. experiments/east_java_calibration.toml)")
    parser.add_argument("--replicates", type=at_least(2, MAX_REPLICATES), default=None,
                        help="replicates per candidate point (default: the file's)")
    parser.add_argument("--budget", type=at_least(1, MAX_BUDGET), default=None,
                        help="candidate points for the search (default: the file's)")
    parser.add_argument("--final-replicates", type=replicates, default=None,
                        help="replicates of the sampled trial at the fit (default: the file's)")
    parser.add_argument("--write", default=None, metavar="TOML",
                        help="write the calibrated scenario here (default: the file's out)")
    parser.add_argument("--no-write", action="store_true",
                        help="do not write a calibrated scenario")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for the tables and figure (default "
                             "results/calibration_NAME)")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_calibrate)
