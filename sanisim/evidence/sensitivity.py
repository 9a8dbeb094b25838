"""Sensitivity analysis: Morris screening and Sobol indices (SALib) over recorded bounds.

Three separate steps, as in SALib, each leaving files behind so any step can be rerun alone:

1. **sample** — the *problem* is plain data generated from the parameter records
   (:func:`problem`: names and bounds from :mod:`sanisim.parameters`, optionally narrowed
   inside them); SALib draws the sample (Morris trajectories, or Sobol' / Saltelli points).
   Files: ``problem.json``, ``sample.csv``.
2. **evaluate** — every distinct sample point becomes a parameter point of a batch
   (:class:`SampleExperiment`) run by the batch engine (:func:`sanisim.runs.batch.run_batch`): on
   local processes or Dask, each run landing in a resumable results store (``runs/``). The
   output of a point is the replicate mean of a summary field (:func:`sanisim.runs.run.summarise`)
   for each bundle, and the paired difference between bundles (same seeds in every bundle).
   File: ``outputs.csv``. :func:`evaluate_function` evaluates a plain function on any
   executor instead (used for test functions such as Ishigami).
3. **analyse** — SALib's analysers give Morris mu*, sigma (with a bootstrap interval for mu*)
   or Sobol first-order and total indices with 95% intervals, per output; a ranking table says
   which parameters drive the difference between bundles (the strategy ranking). Files:
   ``indices.csv``, ``ranking.csv``, ``morris.png`` or ``sobol.png``.

A sensitivity file (TOML)::

    [sensitivity]
    name = "default_sa"
    scenario = "default"
    method = "morris"            # morris | sobol
    samples = 10                 # Morris trajectories, or Sobol base points N (N (D + 2) runs)
    seed = 20240601
    replicates = 2
    months = 60
    households = 2000
    bundles = ["bcc", "demand_creation"]
    outcome = "basic_or_better_end"
    parameters = ["behaviour.p_innovation", "behaviour.q_imitation"]
    [sensitivity.bounds]         # optional: narrower ranges, inside the recorded bounds
    "behaviour.p_innovation" = [0.001, 0.01]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sanisim.errors import InputError, did_you_mean, main_table
from sanisim.inputs import MAX_REPLICATES, check_size, choice, integer, recorded, resolve_scenario
from sanisim.outputs import default_folder, output_folder
from sanisim.parameters import BY_KEY, Param
from sanisim.runs.batch import run_batch
from sanisim.runs.cli_options import add_executor_options
from sanisim.runs.executors import chosen_backend
from sanisim.runs.experiment import MAX_RUNS, Experiment, canonical_json, short_hash
from sanisim.runs.points import record_of, scenario_at
from sanisim.runs.replicates import run_all
from sanisim.runs.run import run
from sanisim.runs.store import load_results
from sanisim.scenario import Scenario, read_toml_text
from sanisim.scenario import load as load_scenario

log = logging.getLogger(__name__)

METHODS = ("morris", "sobol")
SA_KEYS = ("name", "description", "scenario", "method", "samples", "levels", "seed",
           "replicates", "months", "households", "bundles", "outcome", "parameters", "bounds")
#: Parameters the design fixes itself (the batch's months and household count).
FIXED = ("run.months", "population.households")
CONF_LEVEL = 0.95
#: A parameter "drives" a bundle difference when its index is at least this share of the
#: largest one (and its interval excludes zero).
DRIVES_SHARE = 0.25
#: Bounds of the sample: Morris trajectories or Sobol' base points, Morris grid levels, and
#: the seed (SALib seeds numpy's legacy generator, which takes 32 bits).
MAX_SAMPLES = 100_000
MAX_LEVELS = 100
MAX_SA_SEED = 2**32 - 1


# --------------------------------------------------------------------------- step 1: sample


def problem(keys: Sequence[str], bounds: Mapping[str, Sequence[float]] | None = None,
            source: str = "<sensitivity>", scenario: Scenario | None = None
            ) -> dict[str, Any]:
    """The SALib problem (plain data) of parameters: names and recorded bounds.

    Registry parameters (``behaviour.p_innovation``, district context such as
    ``population.poverty_rate``, ``costs.toilet``) and, given the ``scenario``, one rung of
    the starting ladder (``ladder.open_defecation``, the others rescaled, see
    :func:`sanisim.runs.points.with_ladder`) and parameters of its strategies
    (``strategies.NAME.KEY``, e.g. ``strategies.bcc.budget``).
    ``bounds`` may narrow a parameter's range, inside its recorded bounds; a parameter whose
    record has no finite bound needs one here.
    """
    bounds = dict(bounds or {})
    for key in bounds:
        if key not in keys:
            raise InputError(source, f"bounds.{key}", "narrows a parameter that is not "
                             "analysed; add it to parameters")
    names, ranges = [], []
    for key in keys:
        record = _record(key, scenario, source)
        if record is None:
            hint = did_you_mean(key, BY_KEY)
            raise InputError(source, "parameters", f"unknown parameter {key!r}{hint} (see "
                             "'python -m sanisim.parameters')")
        if record.kind not in (int, float):
            raise InputError(source, "parameters", f"{key} is {record.allowed()}; only numeric "
                             "parameters can be analysed")
        if key in FIXED:
            raise InputError(source, "parameters", f"{key} is fixed by the design (months, "
                             "households); it cannot be varied here")
        low, high = bounds.get(key, (record.low, record.high))
        if low is None or high is None or not all(map(math.isfinite, (low, high))):
            raise InputError(source, f"bounds.{key}", f"{key} has no finite recorded range "
                             f"({record.allowed()}); give [low, high] in [sensitivity.bounds]")
        if not low < high or (record.low is not None and low < record.low) or (
                record.high is not None and high > record.high):
            raise InputError(source, f"bounds.{key}", f"range [{low:g}, {high:g}] must be "
                             f"increasing and inside the recorded range ({record.allowed()})")
        names.append(key)
        ranges.append([float(low), float(high)])
    if len(names) < 2:
        raise InputError(source, "parameters", "needs at least two parameters")
    if len(set(names)) != len(names):
        raise InputError(source, "parameters", "lists a parameter twice")
    return {"num_vars": len(names), "names": names, "bounds": ranges}


def _record(key: str, scenario: Scenario | None, source: str) -> Param | None:
    """The record of a registry key, or of ``ladder.RUNG`` or ``strategies.NAME.KEY`` of the
    scenario."""
    if key in BY_KEY:
        return BY_KEY[key]
    if scenario is not None and key.startswith(("strategies.", "ladder.")):
        return record_of(scenario, key, f"{source}: parameters")
    return None


def sample(problem_: Mapping[str, Any], method: str, samples: int, seed: int,
           levels: int = 4) -> np.ndarray:
    """SALib sample: Morris trajectories (``samples`` x (D + 1) rows) or Sobol' points
    (``samples`` x (D + 2) rows, first and total order; ``samples`` a power of 2)."""
    problem_ = dict(problem_)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem_, samples, num_levels=levels, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem_, samples, calc_second_order=False, seed=seed)
    raise ValueError(f"unknown method {method!r}")


def sample_frame(problem_: Mapping[str, Any], values: np.ndarray,
                 scenario: Scenario | None = None) -> pd.DataFrame:
    """The sample as a table, integer parameters rounded (the values the model will run)."""
    frame = pd.DataFrame(values, columns=problem_["names"])
    for name in problem_["names"]:
        record = _record(name, scenario, "<sample>")
        if record is not None and record.kind is int:
            frame[name] = frame[name].round().astype("int64")
    return frame


# --------------------------------------------------------------------------- step 2: evaluate


def _apply(function: Callable[[np.ndarray], np.ndarray], rows: np.ndarray) -> np.ndarray:
    return np.asarray(function(rows), float)


def evaluate_function(function: Callable[[np.ndarray], np.ndarray], values: np.ndarray,
                      executor: Executor, chunk: int = 256) -> np.ndarray:
    """Evaluate a picklable vectorised ``function(rows) -> outputs`` on ``executor``, chunk by
    chunk; the outputs come back in sample order."""
    return np.concatenate(run_all(_apply, [(function, values[i:i + chunk])
                                           for i in range(0, len(values), chunk)], executor))


@dataclass(frozen=True)
class SampleExperiment(Experiment):
    """An experiment whose parameter points are given (a sensitivity sample), not a grid."""

    sample_points: tuple[tuple[tuple[str, Any], ...], ...] = ()

    @cached_property
    def points(self) -> tuple[dict[str, Any], ...]:
        return tuple(dict(point) for point in self.sample_points)

    @property
    def varied(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.sample_points[0]) if self.sample_points else ()

    def describe(self) -> str:
        return (f"{len(self.scenarios)} scenario(s) x {len(self.points)} sample point(s) x "
                f"{self.replicates} replicate(s) x {len(self.bundles)} bundle(s) = "
                f"{len(self.runs)} runs")


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity file."""

    name: str
    scenario: Scenario
    method: str
    samples: int
    parameters: tuple[str, ...]
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    levels: int = 4
    seed: int = 0
    replicates: int = 1
    months: int = 60
    households: int = 2000
    bundles: tuple[str, ...] = ("baseline",)
    outcome: str = "basic_or_better_end"
    description: str = ""
    source: str = "<sensitivity>"
    text: str = ""

    @property
    def problem(self) -> dict[str, Any]:
        return problem(self.parameters, self.bounds, self.source, self.scenario)

    def outputs(self) -> list[str]:
        """Output columns: the outcome per bundle, then every pairwise difference, a later
        bundle minus an earlier one (``basic_or_better_end:bcc-baseline``)."""
        names = [f"{self.outcome}:{b}" for b in self.bundles]
        names += [f"{self.outcome}:{b}-{a}" for i, a in enumerate(self.bundles)
                  for b in self.bundles[i + 1:]]
        return names


def unique_points(spec: SensitivitySpec, frame: pd.DataFrame
                  ) -> tuple[list[tuple[tuple[str, Any], ...]], np.ndarray]:
    """Distinct sample points (Morris trajectories can repeat a point) and each row's index."""
    points: list[tuple[tuple[str, Any], ...]] = []
    index: dict[str, int] = {}
    of_row = np.empty(len(frame), np.int64)
    for i, row in enumerate(frame.itertuples(index=False)):
        point = tuple((name, _plain(value)) for name, value in zip(frame.columns, row,
                                                                   strict=True))
        key = canonical_json(point)
        if key not in index:
            index[key] = len(points)
            points.append(point)
        of_row[i] = index[key]
    return points, of_row


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, int) else float(value)


def experiment_of(spec: SensitivitySpec, frame: pd.DataFrame) -> SampleExperiment:
    """The batch that evaluates the sample: distinct points x replicates x bundles."""
    points, _ = unique_points(spec, frame)
    for number, point in enumerate(points, 1):  # every point must make a valid scenario
        scenario_at(spec.scenario, dict(point), source=f"{spec.source}: sample point {number}")
    text = (spec.text + f"\n# sample: {len(frame)} rows, {len(points)} distinct points, "
            f"digest {short_hash([list(p) for p in points], 16)}\n")
    return SampleExperiment(
        name=f"sensitivity_{spec.name}", path=spec.source, text=text, seed=spec.seed,
        replicates=spec.replicates, months=spec.months, households=spec.households,
        scenarios=(spec.scenario,), bundles=spec.bundles, grid={},
        description=spec.description, sample_points=tuple(points))


def outputs_from_store(spec: SensitivitySpec, frame: pd.DataFrame, store: Path
                       ) -> pd.DataFrame:
    """Per sample row: replicate-mean outcome per bundle and the paired bundle differences."""
    experiment = experiment_of(spec, frame)
    _, of_row = unique_points(spec, frame)
    point_of_key = {}
    per_point = len(spec.bundles) * spec.replicates  # run table: points x replicates x bundles
    for i, spec_run in enumerate(experiment.runs):
        point_of_key[spec_run.run_key] = i // per_point
    results = load_results(store)
    if spec.outcome not in results.summary.columns:
        fields_ = ", ".join(c for c in results.summary.columns if c != "run_key")
        raise InputError(spec.source, "sensitivity.outcome", f"{spec.outcome!r} is not a "
                         f"summary field (fields: {fields_})")
    table = results.summary_with_runs()
    missing = len(experiment.runs) - len(table)
    if missing:
        raise InputError(str(store), None, f"{missing} of {len(experiment.runs)} runs are not "
                         "done; finish the batch (evaluate with --resume) before analysing")
    table["point"] = table["run_key"].map(point_of_key)
    wide = table.pivot_table(index=["point", "replicate"], columns="bundle",
                             values=spec.outcome, aggfunc="first")
    columns = {}
    for bundle in spec.bundles:
        columns[f"{spec.outcome}:{bundle}"] = wide[bundle]
    for i, a in enumerate(spec.bundles):
        for b in spec.bundles[i + 1:]:
            columns[f"{spec.outcome}:{b}-{a}"] = wide[b] - wide[a]  # paired by replicate
    per_point_means = pd.DataFrame(columns).groupby(level="point").mean()
    out = per_point_means.reindex(of_row).reset_index(drop=True)
    out.insert(0, "sample_row", np.arange(len(frame)))
    return out


# --------------------------------------------------------------------------- step 3: analyse


def analyse(problem_: Mapping[str, Any], method: str, values: np.ndarray, outputs: np.ndarray,
            seed: int = 0, levels: int = 4) -> pd.DataFrame:
    """SALib indices of one output, long table: parameter, index, value, conf (95% half-width).

    Morris: ``mu``, ``mu_star`` (with a bootstrap interval), ``sigma``; Sobol: ``S1``, ``ST``.
    """
    problem_ = dict(problem_)
    outputs = np.asarray(outputs, float)
    rows = []
    if method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(problem_, np.asarray(values, float), outputs,
                                num_levels=levels, conf_level=CONF_LEVEL, seed=seed)
        for i, name in enumerate(problem_["names"]):
            rows += [{"parameter": name, "index": "mu_star", "value": result["mu_star"][i],
                      "conf": result["mu_star_conf"][i]},
                     {"parameter": name, "index": "mu", "value": result["mu"][i],
                      "conf": math.nan},
                     {"parameter": name, "index": "sigma", "value": result["sigma"][i],
                      "conf": math.nan}]
    elif method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(problem_, outputs, calc_second_order=False,
                               conf_level=CONF_LEVEL, seed=seed)
        for i, name in enumerate(problem_["names"]):
            rows += [{"parameter": name, "index": "S1", "value": result["S1"][i],
                      "conf": result["S1_conf"][i]},
                     {"parameter": name, "index": "ST", "value": result["ST"][i],
                      "conf": result["ST_conf"][i]}]
    else:
        raise ValueError(f"unknown method {method!r}")
    return pd.DataFrame(rows)


def ranking_table(indices: pd.DataFrame, spec: SensitivitySpec,
                  outputs: pd.DataFrame) -> pd.DataFrame:
    """Which parameters drive the difference between bundles (the strategy ranking).

    Per bundle difference and parameter: the main index (Morris mu* or Sobol ST) with its
    interval, its share of the largest, and ``drives`` — the index's interval excludes
    (nearly) zero and the parameter carries at least a quarter of the largest index. ``flips`` is
    the share of sample points at which the difference has the opposite sign to its median:
    how often the ranking of the two bundles turns over within the ranges.
    """
    main = "mu_star" if spec.method == "morris" else "ST"
    rows = []
    for output in spec.outputs()[len(spec.bundles):]:
        part = indices[(indices["output"] == output) & (indices["index"] == main)]
        if part.empty:
            continue
        largest = float(part["value"].abs().max()) or math.nan
        diff = outputs[output].to_numpy(float)
        flips = float(np.mean(np.sign(diff) != np.sign(np.median(diff))))
        for row in part.sort_values("value", ascending=False).itertuples():
            share = abs(row.value) / largest if largest else math.nan
            lower = row.value - (row.conf if math.isfinite(row.conf) else 0.0)
            floor = 0.01 if spec.method == "sobol" else 0.0
            rows.append({"difference": output, "parameter": row.parameter, "index": main,
                         "value": row.value, "conf": row.conf, "share_of_largest": share,
                         "drives": bool(lower > floor and share >= DRIVES_SHARE),
                         "flips": flips, "median_difference": float(np.median(diff))})
    return pd.DataFrame(rows)


def _panels(count: int, width: float, height: float):
    """A grid of at most three panels a row; unused panels are hidden."""
    columns = min(3, count)
    rows = math.ceil(count / columns)
    fig = Figure(figsize=(width * columns, height * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def morris_figure(indices: pd.DataFrame, path: Path) -> Path:
    """Morris mu* against sigma, one panel per output, parameters labelled."""
    outputs = list(dict.fromkeys(indices["output"]))
    fig, axes = _panels(len(outputs), 4.4, 3.8)
    for ax, output in zip(axes, outputs, strict=False):
        part = indices[indices["output"] == output].pivot(index="parameter", columns="index",
                                                           values="value")
        conf = indices[(indices["output"] == output) & (indices["index"] == "mu_star")
                       ].set_index("parameter")["conf"]
        ax.errorbar(part["mu_star"], part["sigma"], xerr=conf.reindex(part.index),
                    fmt="o", color="#1f4e79", ecolor="#9bb7d4", capsize=2)
        for name, row in part.iterrows():
            ax.annotate(name, (row["mu_star"], row["sigma"]), fontsize=6,
                        xytext=(3, 3), textcoords="offset points")
        top = float(np.nanmax([part["mu_star"].max(), part["sigma"].max(), 1e-12]))
        ax.plot([0, top], [0, top], lw=0.6, ls=":", color="grey")
        ax.set_xlabel("mu* (mean |elementary effect|)")
        ax.set_ylabel("sigma")
        ax.set_title(output, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def sobol_figure(indices: pd.DataFrame, path: Path) -> Path:
    """Sobol first-order and total indices with 95% intervals, one panel per output."""
    outputs = list(dict.fromkeys(indices["output"]))
    fig, axes = _panels(len(outputs), 4.6, 4.2)
    for ax, output in zip(axes, outputs, strict=False):
        part = indices[indices["output"] == output]
        names = list(dict.fromkeys(part["parameter"]))
        x = np.arange(len(names))
        for offset, index, colour in ((-0.2, "S1", "#1f4e79"), (0.2, "ST", "#c55a11")):
            rows = part[part["index"] == index].set_index("parameter").reindex(names)
            ax.bar(x + offset, rows["value"], width=0.4, yerr=rows["conf"], color=colour,
                   capsize=2, label=index)
        ax.set_xticks(x, names, rotation=40, ha="right", fontsize=6)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(output, fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


# --------------------------------------------------------------------------- the three steps


def step_sample(spec: SensitivitySpec, out: Path) -> pd.DataFrame:
    out.mkdir(parents=True, exist_ok=True)
    problem_ = spec.problem
    values = sample(problem_, spec.method, spec.samples, spec.seed, spec.levels)
    frame = sample_frame(problem_, values, spec.scenario)
    (out / "problem.json").write_text(json.dumps({**problem_, "method": spec.method,
                                                  "samples": spec.samples,
                                                  "levels": spec.levels, "seed": spec.seed},
                                                 indent=2) + "\n")
    frame.to_csv(out / "sample.csv", index=False)
    return frame


def _read_sample(spec: SensitivitySpec, out: Path) -> pd.DataFrame:
    path = out / "sample.csv"
    if not path.is_file():
        raise InputError(str(out), None, "no sample.csv: run the sample step first")
    frame = pd.read_csv(path)
    if list(frame.columns) != list(spec.parameters):
        raise InputError(str(path), None, "was drawn for other parameters; run the sample "
                         "step again (or use another --out)")
    return frame


def step_evaluate(spec: SensitivitySpec, out: Path, *, resume: bool = False,
                  backend: str = "processes", workers: int | None = None,
                  scheduler: str | None = None, executor: Executor | None = None,
                  progress: str = "none") -> pd.DataFrame:
    frame = _read_sample(spec, out)
    experiment = experiment_of(spec, frame)
    report = run_batch(experiment, out / "runs", backend=backend, workers=workers,
                       scheduler=scheduler, resume=resume, executor=executor,
                       progress=progress)
    if not report.ok:
        raise InputError(str(out / "runs"), None, f"{report.failed} runs failed or the batch "
                         "was interrupted; fix and continue with --resume")
    outputs = outputs_from_store(spec, frame, out / "runs")
    outputs.to_csv(out / "outputs.csv", index=False)
    return outputs


def step_analyse(spec: SensitivitySpec, out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _read_sample(spec, out)
    path = out / "outputs.csv"
    if not path.is_file():
        raise InputError(str(out), None, "no outputs.csv: run the evaluate step first")
    outputs = pd.read_csv(path)
    problem_ = spec.problem
    tables = []
    for output in spec.outputs():
        table = analyse(problem_, spec.method, frame.to_numpy(float),
                        outputs[output].to_numpy(float), spec.seed, spec.levels)
        table.insert(0, "output", output)
        tables.append(table)
    indices = pd.concat(tables, ignore_index=True)
    indices.to_csv(out / "indices.csv", index=False)
    ranking = ranking_table(indices, spec, outputs)
    ranking.to_csv(out / "ranking.csv", index=False)
    if spec.method == "morris":
        morris_figure(indices, out / "morris.png")
    else:
        sobol_figure(indices, out / "sobol.png")
    return indices, ranking


# --------------------------------------------------------------------------- files


def load(path: str | Path) -> SensitivitySpec:
    path = Path(path)
    raw, text = read_toml_text(path)
    return from_dict(raw, str(path), path.parent, text)


def summary_fields(scenario) -> list[str]:
    """The fields of a run summary of this scenario (from a tiny run: 20 households, 1 month)."""
    return list(run(scenario, seed=0, months=1, households=20).summary)


def from_dict(raw: Mapping[str, Any], source: str = "<sensitivity>", base: Path | None = None,
              text: str = "") -> SensitivitySpec:
    table = main_table(raw, "sensitivity", ("sensitivity",), SA_KEYS,
                       ("name", "scenario", "parameters"), source)
    scenario = load_scenario(resolve_scenario(table["scenario"], base or Path("."), source,
                                              "sensitivity.scenario"))
    method = table.get("method", "morris")
    choice(method, source, "sensitivity.method", METHODS)
    names = table["parameters"]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise InputError(source, "sensitivity.parameters", "must be a list of parameter keys")
    bounds_table = table.get("bounds", {})
    if not isinstance(bounds_table, dict):
        raise InputError(source, "sensitivity.bounds", "must be a table key = [low, high]")
    bounds = {}
    for key, value in bounds_table.items():
        if (not isinstance(value, list) or len(value) != 2 or any(
                isinstance(v, bool) or not isinstance(v, int | float) for v in value)):
            raise InputError(source, f"sensitivity.bounds.{key}", f"got {value!r}; allowed: "
                             "[low, high]")
        bounds[key] = (float(value[0]), float(value[1]))
    bundles = table.get("bundles", ["baseline"])
    if (not isinstance(bundles, list) or not bundles
            or not all(isinstance(b, str) for b in bundles) or len(set(bundles)) != len(bundles)):
        raise InputError(source, "sensitivity.bundles", f"got {bundles!r}; allowed: a list of "
                         "distinct bundle names")
    for bundle in bundles:
        if bundle not in scenario.bundles:
            raise InputError(source, "sensitivity.bundles", f"bundle {bundle!r} is not defined "
                             f"in scenario {scenario.name!r} ({', '.join(scenario.bundles)})")
    outcome = table.get("outcome", "basic_or_better_end")
    if not isinstance(outcome, str):
        raise InputError(source, "sensitivity.outcome", "must be a summary field name")
    fields = summary_fields(scenario)
    if outcome not in fields:  # caught now, not after every run has finished
        raise InputError(source, "sensitivity.outcome", f"{outcome!r} is not a summary field"
                         + did_you_mean(outcome, fields) + f" (fields: {', '.join(fields)})")
    prefix = "sensitivity."
    samples = integer(table.get("samples", 8), source, f"{prefix}samples", 2, MAX_SAMPLES)
    if method == "sobol" and samples & (samples - 1):
        raise InputError(source, "sensitivity.samples", f"got {samples}; Sobol' sampling needs "
                         "a power of 2 (e.g. 64, 128, 256)")
    replicates = integer(table.get("replicates", 1), source, f"{prefix}replicates", 1,
                         MAX_REPLICATES)
    rows = samples * (len(names) + (1 if method == "morris" else 2))
    if rows * replicates * len(bundles) > MAX_RUNS:  # before anything is sampled
        raise InputError(source, f"{prefix}samples", f"{samples} samples x {rows // samples} "
                         f"rows each x {replicates} replicate(s) x {len(bundles)} bundle(s) "
                         f"is more than {MAX_RUNS:,} runs; allowed: fewer samples")
    households = recorded(table.get("households", 2000), source, f"{prefix}households",
                          "population.households")
    check_size(scenario, households, source, f"{prefix}households")
    spec = SensitivitySpec(
        name=str(table["name"]), scenario=scenario, method=method, samples=samples,
        parameters=tuple(names), bounds=bounds,
        levels=integer(table.get("levels", 4), source, f"{prefix}levels", 2, MAX_LEVELS),
        seed=integer(table.get("seed", 0), source, f"{prefix}seed", 0, MAX_SA_SEED),
        replicates=replicates,
        months=recorded(table.get("months", int(scenario["run.months"])), source,
                        f"{prefix}months", "run.months"),
        households=households,
        bundles=tuple(bundles), outcome=outcome,
        description=str(table.get("description", "")), source=source, text=text)
    spec.problem  # noqa: B018 - validate names and bounds now, with the file's name
    return spec


# --------------------------------------------------------------------------- command line


def cmd_sensitivity(args: argparse.Namespace) -> int:
    spec = load(args.file)
    out = output_folder(Path(args.out) if args.out else
                        default_folder(f"sensitivity_{spec.name}"))
    steps = ("sample", "evaluate", "analyse") if args.step == "all" else (args.step,)
    if "sample" in steps:
        frame = step_sample(spec, out)
        print(f"sanisim sensitivity: {spec.name}: {spec.method} sample of {len(frame)} points "
              f"over {len(spec.parameters)} parameters -> {out / 'sample.csv'}", flush=True)
    if "evaluate" in steps:
        frame = _read_sample(spec, out)
        experiment = experiment_of(spec, frame)
        print(f"sanisim sensitivity: evaluating {experiment.describe()} -> {out / 'runs'}",
              flush=True)
        step_evaluate(spec, out, resume=args.resume,
                      backend=chosen_backend(args.backend, args.scheduler),
                      workers=args.workers, scheduler=args.scheduler,
                      progress="log" if args.quiet else "bar")
    if "analyse" in steps:
        indices, ranking = step_analyse(spec, out)
        main = "mu_star" if spec.method == "morris" else "ST"
        width = max(len(o) for o in spec.outputs()) + 2
        print(f"{'output':{width}}{'parameter':34}{main:>9}{'+/-':>8}")
        for row in indices[indices["index"] == main].itertuples():
            print(f"{row.output:{width}}{row.parameter:34}{row.value:>9.4f}{row.conf:>8.4f}")
        if len(ranking):
            drivers = ranking[ranking["drives"]]
            for difference, part in drivers.groupby("difference", sort=False):
                print(f"drives {difference}: {', '.join(part['parameter'])} "
                      f"(sign flips at {part['flips'].iloc[0]:.0%} of points)")
        print(f"(indices.csv, ranking.csv and the figure in {out})")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``sensitivity`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "sensitivity", help="Morris screening or Sobol indices over recorded parameter bounds",
        description="Sample (SALib), evaluate through the batch engine (parallel, resumable, "
                    "on Dask) and analyse a sensitivity file; --step runs one step alone "
                    "(see docs/validation.md).")
    parser.add_argument("file", help="sensitivity TOML file (e.g. experiments/sa_morris.toml)")
    parser.add_argument("--step", choices=("all", "sample", "evaluate", "analyse"),
                        default="all", help="run one step only (default: all three)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder (default results/sensitivity_NAME)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted evaluation in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_sensitivity)
