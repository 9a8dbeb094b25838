"""Joint calibration: shared behaviour fitted to several published settings at once (ABC-SMC).

A joint file (TOML, format in ``docs/calibration.md``) names *settings* — each a published
study's context as a virtual trial (:mod:`sanisim.evidence.trial`) or a plain run — with the
published *targets* of each, and uniform priors for the parameters they share::

    [joint]
    name = "joint"
    seed = 2026
    population_size = 64        # ABC-SMC particles
    generations = 6             # at most this many populations
    [parameters]
    "behaviour.p_innovation" = [0.0005, 0.01]
    [settings.east_java]
    trial = "joint/east_java.toml"
    [settings.east_java.targets]
    control_mean = {value = 0.125, se = 0.013, source = "Cameron, Olivia & Shah 2019"}
    [settings.susenas]
    run = {scenario = "../scenarios/settings/susenas.toml", months = 60, households = 3000}
    [settings.susenas.targets]
    "trend:basic_or_better" = {value = 1.5, se = 0.25, source = "BPS Susenas 2018-2024"}

**Targets.** In a trial setting a target is one of the trial's point estimates
(:func:`sanisim.evidence.trial.point_estimates`, *census* values: every household of the enrolled
clusters, no survey sampling) or a trial measure of :data:`MEASURES`; in a run setting it is a
run measure of :data:`MEASURES` (``trend:COL``, ``level:COL@M``, ``change:COL@M0-M1``,
``ratio:COL@M0-M1``, ``slipped_after_odf@T0+DT``). A setting marked ``held_out = true`` is
predicted, never fitted.

**Parameters** are registry keys (every setting) or ``strategies.NAME.KEY`` (the settings whose
scenario has strategy NAME). Priors are uniform on ``[low, high]`` inside the recorded bounds.

**Method.** ABC-SMC (Toni et al. 2009; Beaumont et al. 2009) by pyabc (Klinger, Rickert &
Hasenauer 2018): particles from the prior, perturbed and reweighted over generations, accepted
when the distance ``sqrt(mean_k ((sim_k - value_k) / se_k)^2)`` over the *fitted* targets is
below an epsilon that adapts (the ``epsilon_quantile`` of the last generation's distances,
default the median). One particle runs every setting ``replicates`` times; each run's seed is
a hash of the particle's values, the setting and the replicate (:func:`run_seed`), so a
particle gets the same runs on any worker.

**Outputs** (``results/joint_NAME``): ``posterior.csv`` (``draw``, ``weight``, one column per
parameter; weights sum to 1; also copied to ``posterior_out``), ``generations.csv``,
``predictive.csv`` (posterior-predictive check of every target, fitted and held out),
``posterior.png``, ``predictive.png``, ``manifest.json`` and pyabc's history ``abc.db``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sanisim.errors import InputError, check_keys, did_you_mean, finite_number, main_table
from sanisim.evidence import trial
from sanisim.evidence.targets import (
    FittedParameter,
    Target,
    fit_range,
    parameter_keys,
    target_from_table,
)
from sanisim.inputs import (
    MAX_REPLICATES,
    check_size,
    choice,
    file_beside,
    integer,
    peek_toml,
    read_toml,
    recorded,
    resolve_scenario,
)
from sanisim.ladder import OWN_FACILITY
from sanisim.model import OUTPUT_COLUMNS, SanitationModel
from sanisim.outputs import default_folder, named_output_file, output_file, output_folder
from sanisim.runs.cli_options import add_executor_options, at_least, with_options
from sanisim.runs.executors import available_cpus, open_executor
from sanisim.runs.points import scenario_at
from sanisim.runs.replicates import run_all
from sanisim.runs.run import git_commit, package_version
from sanisim.scenario import load as load_scenario
from sanisim.strategies import build_bundle
from sanisim.streams import seed_stream

log = logging.getLogger(__name__)

JOINT_KEYS = ("name", "description", "seed", "population_size", "generations", "min_epsilon",
              "epsilon_quantile", "transition", "transition_k_fraction", "parameter_space",
              "transition_scaling", "replicates", "posterior_out",
              "predictive_draws", "held_out_in_fit")
SETTING_KEYS = ("trial", "run", "held_out", "description", "targets")
RUN_KEYS = ("scenario", "bundle", "months", "households")
#: Bounds of a fit: particles per generation (and posterior-predictive draws), generations,
#: and the seed (generation g seeds numpy's legacy generator, 32 bits, with seed + g).
MAX_POPULATION = 100_000
MAX_GENERATIONS = 1_000
MAX_JOINT_SEED = 2**32 - 1 - MAX_GENERATIONS
STEPS = ("fit", "predictive", "all", "export")
#: z-score standing in for a target the simulation could not compute (e.g. no ODF community).
MISSING_Z = 1000.0
#: Salts of the run seeds: the fit and the posterior-predictive check never share a run.
FIT, PREDICTIVE = "fit", "predictive"


# --------------------------------------------------------------------------- measures


@dataclass
class RunRecord:
    """What a run measure reads: the monthly table and household snapshots at some months.

    A snapshot holds ``rung``, ``rt``, ``rt_odf`` (ODF status per RT) and ``in_use`` (None
    when the model has no such state).
    """

    monthly: pd.DataFrame
    snapshots: dict[int, dict[str, np.ndarray | None]] = field(default_factory=dict)

    def level(self, column: str, month: int) -> float:
        rows = self.monthly.loc[self.monthly["month"] == month, column]
        return float(rows.iloc[0]) if len(rows) else math.nan


def trend(record: RunRecord, column: str, m0: int | None = None, m1: int | None = None
          ) -> float:
    """Least-squares slope of ``column`` over months [m0, m1] (default: the whole run), in
    percentage points per year (the column is a share 0-1)."""
    table = record.monthly
    months = table["month"].to_numpy(float)
    keep = (months >= (m0 if m0 is not None else -math.inf)) & (
        months <= (m1 if m1 is not None else math.inf))
    if keep.sum() < 2:
        return math.nan
    slope = np.polyfit(months[keep], table[column].to_numpy(float)[keep], 1)[0]
    return float(slope * 12 * 100)


def level(record: RunRecord, column: str, month: int) -> float:
    """Value of ``column`` at ``month`` (a share 0-1 for the ladder columns)."""
    return record.level(column, month)


def change(record: RunRecord, column: str, m0: int, m1: int) -> float:
    """``column`` at m1 minus at m0, in percentage points."""
    return 100 * (record.level(column, m1) - record.level(column, m0))


def ratio(record: RunRecord, column: str, m0: int, m1: int) -> float:
    """``column`` at m1 divided by its value at m0 (e.g. 1.676: a 67.6% relative rise)."""
    start = record.level(column, m0)
    return record.level(column, m1) / start if start > 0 else math.nan


def slipped_after_odf(record: RunRecord, t0: int, dt: int) -> float:
    """Among households of RTs that are ODF at ``t0``, the share that ``dt`` months later are
    on a lower rung than at ``t0`` or no longer use a facility they used (after Odagiri et al.
    2017: 14.5% slipped two years after verification). NaN when no RT is ODF at ``t0``."""
    then, later = record.snapshots[t0], record.snapshots[t0 + dt]
    in_odf = then["rt_odf"][then["rt"]]
    if not in_odf.any():
        return math.nan
    slipped = later["rung"] < then["rung"]
    if then.get("in_use") is not None and later.get("in_use") is not None:
        slipped |= then["in_use"] & ~later["in_use"]
    return float(slipped[in_odf].mean())


def coverage_ratio(frame: pd.DataFrame, arm: str, month: int | None = None) -> float:
    """Trial measure: in ``arm``, the share owning a latrine of any kind (pit or toilet; a
    shared toilet does not count) at the survey round ``month`` (default: the first round)
    over the share at baseline. Harter, Inauen & Mosler 2020 report household latrine
    coverage as a relative change (+67.6% in the CLTS arms, +7.9% in control): a ratio of
    1.676 and 1.079."""
    if "month" in frame.columns:
        rounds = frame["month"].to_numpy()
        frame = frame[rounds == (rounds.min() if month is None else month)]
    rows = frame[frame["arm"] == arm]
    owned_then = np.isin(rows["rung_baseline"].to_numpy(), OWN_FACILITY)
    start = float(owned_then.mean()) if len(rows) else math.nan
    return float(rows["any_own_latrine"].mean()) / start if start > 0 else math.nan


@dataclass(frozen=True)
class Measure:
    """A target form: its pattern, the function computing it, where it applies, and the
    months at which a run must keep household snapshots for it."""

    form: str
    pattern: str
    compute: Callable[..., float]
    kind: str = "run"  # "run" (reads a RunRecord) or "trial" (reads the survey frame)
    snapshots: Callable[..., tuple[int, ...]] = lambda **_: ()


_COL = r"(?P<column>[a-z_0-9]+)"
#: The measure registry: adding a measure is one function and one row.
MEASURES: tuple[Measure, ...] = (
    Measure("trend:COL[@M0-M1]", rf"trend:{_COL}(@(?P<m0>\d+)-(?P<m1>\d+))?", trend),
    Measure("level:COL@M", rf"level:{_COL}@(?P<month>\d+)", level),
    Measure("change:COL@M0-M1", rf"change:{_COL}@(?P<m0>\d+)-(?P<m1>\d+)", change),
    Measure("ratio:COL@M0-M1", rf"ratio:{_COL}@(?P<m0>\d+)-(?P<m1>\d+)", ratio),
    Measure("slipped_after_odf@T0+DT", r"slipped_after_odf@(?P<t0>\d+)\+(?P<dt>\d+)",
            slipped_after_odf, snapshots=lambda t0, dt: (t0, t0 + dt)),
    Measure("coverage_ratio:ARM[@M]", r"coverage_ratio:(?P<arm>[A-Za-z0-9_-]+)(@(?P<month>\d+))?",
            coverage_ratio, kind="trial"),
)


@dataclass(frozen=True)
class ParsedMeasure:
    measure: Measure
    args: tuple[tuple[str, Any], ...]

    def __call__(self, data: Any) -> float:
        return self.measure.compute(data, **dict(self.args))

    def snapshot_months(self) -> tuple[int, ...]:
        return tuple(self.measure.snapshots(**dict(self.args)))

    def months(self) -> tuple[int, ...]:
        return tuple(v for k, v in self.args if k in ("month", "m0", "m1", "t0")
                     ) + self.snapshot_months()


def parse_measure(name: str, kind: str) -> ParsedMeasure | None:
    """The measure a target name asks for (of ``kind``: "run" or "trial"), or None."""
    for measure in MEASURES:
        if measure.kind != kind:
            continue
        match = re.fullmatch(measure.pattern, name)
        if match:
            args = {k: (int(v) if v is not None and v.isdigit() and k != "arm" else v)
                    for k, v in match.groupdict().items()}
            args = {k: v for k, v in args.items() if v is not None}  # optional parts
            return ParsedMeasure(measure, tuple(args.items()))
    return None


def forms(kind: str) -> list[str]:
    return [m.form for m in MEASURES if m.kind == kind]


# --------------------------------------------------------------------------- the file


#: A fitted parameter with a uniform prior on [low, high] (the shared record).
Prior = FittedParameter


@dataclass(frozen=True)
class Setting:
    """A published setting: a virtual trial or a plain run, with its targets.

    A setting travels to a process or a Dask worker as it is (its scenario pickles as plain
    data).
    """

    name: str
    kind: str  # "trial" | "run"
    targets: tuple[Target, ...]
    design: Any  # trial: its TrialDesign; run: its Scenario
    held_out: bool = False
    bundle: str = "baseline"
    months: int = 0
    households: int | None = None
    strategies: tuple[str, ...] = ()
    description: str = ""

    @property
    def scenario(self) -> Any:
        """The setting's scenario (a trial's own, or the run's)."""
        return self.design.scenario if self.kind == "trial" else self.design

    def applies(self, key: str) -> bool:
        """A registry key applies everywhere; ``strategies.NAME.KEY`` where NAME exists."""
        parts = key.split(".")
        return not (len(parts) == 3 and parts[0] == "strategies") or parts[1] in self.strategies


@dataclass(frozen=True)
class JointSpec:
    name: str
    parameters: tuple[Prior, ...]
    settings: tuple[Setting, ...]
    seed: int = 0
    population_size: int = 64
    generations: int = 6
    min_epsilon: float = 0.0
    epsilon_quantile: float = 0.5
    transition_scaling: float = 1.0
    transition: str = "multivariate_normal"
    transition_k_fraction: float = 0.25
    parameter_space: str = "natural"
    replicates: int = 1
    predictive_draws: int = 40
    posterior_out: Path | None = None
    held_out_in_fit: bool = True
    description: str = ""
    source: str = "<joint>"
    file_hash: str = ""

    def targets(self, role: str | None = None) -> list[tuple[Setting, Target]]:
        """(setting, target) pairs: all, or only "fitted" / "held_out" ones."""
        return [(s, t) for s in self.settings for t in s.targets
                if role is None or (role == "held_out") == s.held_out]


def target_key(setting: str, target: str) -> str:
    """The summary-statistic name of a target (``setting/target``)."""
    return f"{setting}/{target}"


def load(path: str | Path) -> JointSpec:
    path = Path(path)
    spec = from_dict(read_toml(path), str(path), path.parent)
    return replace(spec, file_hash=hashlib.sha256(path.read_bytes()).hexdigest()[:16])


def is_joint_file(path: str | Path) -> bool:
    return isinstance((peek_toml(path) or {}).get("joint"), dict)


def describe_file(path: str | Path) -> str | None:
    """A few words on a valid joint file (for ``sanisim validate``), None if not one."""
    if not is_joint_file(path):
        return None
    spec = load(path)
    held = [s.name for s in spec.settings if s.held_out]
    return (f"joint calibration {spec.name!r}: {len(spec.parameters)} parameters, "
            f"{len(spec.settings)} settings ({len(held)} held out: {', '.join(held) or '-'}), "
            f"{len(spec.targets('fitted'))} fitted and {len(spec.targets('held_out'))} "
            "held-out targets")


def from_dict(raw: Mapping[str, Any], source: str = "<joint>", base: Path | None = None
              ) -> JointSpec:
    """Validate joint-calibration data (``[joint]``, ``[parameters]``, ``[settings.NAME]``)."""
    base = base or Path(".")
    table = main_table(raw, "joint", ("joint", "parameters", "settings"), JOINT_KEYS,
                       ("name",), source)
    settings_table = raw.get("settings")
    if not isinstance(settings_table, dict) or not settings_table:
        raise InputError(source, "settings", "needs at least one [settings.NAME] table with "
                         "trial = FILE or run = {scenario = FILE, ...} and its targets")
    settings = [_setting(name, value, source, base) for name, value in settings_table.items()]
    parameters = _priors(raw.get("parameters"), settings, source)
    if not any(not s.held_out for s in settings):
        raise InputError(source, "settings", "every setting is held out; at least one must be "
                         "fitted (held_out = false)")
    held_out_in_fit = table.get("held_out_in_fit", True)
    if not isinstance(held_out_in_fit, bool):
        raise InputError(source, "joint.held_out_in_fit", f"got {held_out_in_fit!r}; allowed: "
                         "true or false")
    quantile = finite_number(table.get("epsilon_quantile", 0.5), source, "joint.epsilon_quantile")
    if not 0 < quantile <= 1:
        raise InputError(source, "joint.epsilon_quantile", f"got {quantile!r}; allowed: a "
                         "number in (0, 1]")
    scaling = finite_number(table.get("transition_scaling", 1.0), source,
                            "joint.transition_scaling")
    if not 0 < scaling <= 100:
        raise InputError(source, "joint.transition_scaling", f"got {scaling!r}; allowed: a "
                         "number in (0, 100]")
    transition = choice(table.get("transition", TRANSITIONS[0]), source, "joint.transition",
                        TRANSITIONS)
    space = choice(table.get("parameter_space", PARAMETER_SPACES[0]), source,
                   "joint.parameter_space", PARAMETER_SPACES)
    k_fraction = finite_number(table.get("transition_k_fraction", 0.25), source,
                               "joint.transition_k_fraction")
    if not 0 < k_fraction <= 1:
        raise InputError(source, "joint.transition_k_fraction", f"got {k_fraction!r}; allowed: "
                         "a number in (0, 1]")
    out = table.get("posterior_out")
    if out is not None:
        out = named_output_file(out, base, source, "joint.posterior_out", ".csv")
    w = "joint."
    return JointSpec(
        name=table["name"], parameters=tuple(parameters), settings=tuple(settings),
        seed=integer(table.get("seed", 0), source, f"{w}seed", 0, MAX_JOINT_SEED),
        population_size=integer(table.get("population_size", 64), source, f"{w}population_size", 2,
                                MAX_POPULATION),
        generations=integer(table.get("generations", 6), source, f"{w}generations", 1,
                            MAX_GENERATIONS),
        min_epsilon=finite_number(table.get("min_epsilon", 0.0), source, "joint.min_epsilon", 0.0),
        epsilon_quantile=quantile, transition_scaling=scaling, transition=transition,
        transition_k_fraction=k_fraction, parameter_space=space,
        replicates=integer(table.get("replicates", 1), source, f"{w}replicates", 1,
                           MAX_REPLICATES),
        predictive_draws=integer(table.get("predictive_draws", 40), source,
                                 f"{w}predictive_draws", 1, MAX_POPULATION),
        posterior_out=out,
        held_out_in_fit=held_out_in_fit, description=str(table.get("description", "")),
        source=source)


TRANSITIONS = ("multivariate_normal", "local")
PARAMETER_SPACES = ("natural", "unit", "logit")


def _setting(name: str, table: Any, source: str, base: Path) -> Setting:
    where = f"settings.{name}"
    if not isinstance(table, dict):
        raise InputError(source, where, "must be a table with trial or run, and targets")
    check_keys(table, SETTING_KEYS, source, where + ".")
    if ("trial" in table) == ("run" in table):
        raise InputError(source, where, "needs exactly one of trial = FILE (a trial file) or "
                         "run = {scenario = FILE, bundle, months, households}")
    held_out = table.get("held_out", False)
    if not isinstance(held_out, bool):
        raise InputError(source, f"{where}.held_out", f"got {held_out!r}; allowed: true or "
                         "false")
    common = {"name": name, "held_out": held_out,
              "description": str(table.get("description", ""))}
    if "trial" in table:
        design = trial.load(file_beside(table["trial"], base, source, f"{where}.trial",
                                        "trial file"))
        scenario = design.scenario
        kind, extra = "trial", {"months": design.survey_month}
    else:
        run = table["run"]
        if not isinstance(run, dict):
            raise InputError(source, f"{where}.run", "must be a table {scenario = FILE, "
                             "bundle, months, households}")
        check_keys(run, RUN_KEYS, source, f"{where}.run.")
        if "scenario" not in run:
            raise InputError(source, f"{where}.run.scenario", "missing (required)")
        scenario = load_scenario(resolve_scenario(run["scenario"], base, source,
                                                  f"{where}.run.scenario"))
        bundle = run.get("bundle", "baseline")
        if not isinstance(bundle, str) or bundle not in scenario.bundles:
            hint = did_you_mean(bundle, scenario.bundles) if isinstance(bundle, str) else ""
            raise InputError(source, f"{where}.run.bundle", f"got {bundle!r}"
                             f"{hint}; allowed: a bundle of "
                             f"scenario {scenario.name!r} ({', '.join(scenario.bundles)})")
        months = recorded(run.get("months", int(scenario["run.months"])), source,
                          f"{where}.run.months", "run.months")
        households = recorded(run.get("households"), source, f"{where}.run.households",
                              "population.households")
        check_size(scenario, households, source, f"{where}.run.households")
        design = scenario
        kind, extra = "run", {"bundle": bundle, "months": months, "households": households}
    targets = _targets(table.get("targets"), kind, source, where, scenario,
                       design if kind == "trial" else None, extra)
    return Setting(kind=kind, targets=targets, design=design,
                   strategies=tuple(scenario.strategies), **common, **extra)


def _targets(table: Any, kind: str, source: str, where: str, scenario: Any,
             design: trial.TrialDesign | None, extra: Mapping[str, Any]
             ) -> tuple[Target, ...]:
    where = f"{where}.targets"
    if not isinstance(table, dict) or not table:
        raise InputError(source, where, "needs a targets table: NAME = {value, se, source}")
    known = list(trial.estimate_names(design)) if design is not None else []
    columns = _columns(scenario, extra.get("bundle", "baseline")) if kind == "run" else []
    targets = []
    for name, target in table.items():
        key = f"{where}.{name}"
        if name not in known:
            parsed = parse_measure(name, kind)
            if parsed is None:
                heads = {re.split(r"[:@]", form)[0]: form for form in forms(kind)}
                hint = did_you_mean(name, known) or did_you_mean(re.split(r"[:@]", name)[0],
                                                                 heads)
                choices = [*known, *forms(kind)]
                raise InputError(source, key, f"unknown {'estimate or ' if known else ''}"
                                 f"measure{hint} (allowed: {', '.join(choices)})")
            _check_measure(parsed, kind, columns, extra, design, source, key)
        targets.append(target_from_table(name, target, source, key))
    return tuple(targets)


def _check_measure(parsed: ParsedMeasure, kind: str, columns: Sequence[str],
                   extra: Mapping[str, Any], design: trial.TrialDesign | None,
                   source: str, key: str) -> None:
    args = dict(parsed.args)
    if "column" in args and args["column"] not in columns:
        raise InputError(source, key, f"no monthly column {args['column']!r}"
                         f"{did_you_mean(args['column'], columns)} (columns: "
                         f"{', '.join(columns)})")
    if "arm" in args and design is not None:
        arms = [a.name for a in design.arms]
        if args["arm"] not in arms:
            raise InputError(source, key, f"no arm {args['arm']!r}"
                             f"{did_you_mean(args['arm'], arms)} (arms: {', '.join(arms)})")
    for month in parsed.months():
        if kind == "run" and month > extra["months"]:
            raise InputError(source, key, f"month {month} is after the run's last month "
                             f"({extra['months']}); raise run.months or use an earlier month")
    if "m0" in args and args["m0"] >= args["m1"]:
        raise InputError(source, key, "the first month must be before the second")


def _columns(scenario: Any, bundle: str) -> list[str]:
    extra = [c for s in build_bundle(scenario, bundle) for c in getattr(s, "output_columns", ())]
    return [c for c in (*OUTPUT_COLUMNS, *extra) if c != "month"]


def _priors(table: Any, settings: Sequence[Setting], source: str) -> list[Prior]:
    if not isinstance(table, dict) or not table:
        raise InputError(source, "parameters", "needs a [parameters] table: key = [low, high]")
    scenarios = {setting.name: setting.scenario for setting in settings}
    priors = []
    for key, bounds in parameter_keys(table):
        where = f"parameters.{key}"
        users = [s for s in settings if s.applies(key)]
        if not users:
            every = sorted({n for s in settings for n in s.strategies})
            raise InputError(source, where, "no setting has this strategy"
                             f"{did_you_mean(key.split('.')[1], every)} (strategies of the "
                             f"settings: {', '.join(every)})")
        record, low, high = fit_range(scenarios[users[0].name], key, bounds, source, "prior")
        priors.append(Prior(key, low, high, record.kind is int, record.unit))
    return priors


# --------------------------------------------------------------------------- simulation


def run_seed(seed: int, point: Mapping[str, float], setting: str, replicate: int,
             phase: str = FIT) -> int:
    """The seed of one run: a hash of the file's seed, the particle's values (exactly, as
    hexadecimal floats), the setting, the replicate and the phase (fit or predictive)."""
    values = sorted((k, float(v).hex()) for k, v in point.items())
    text = json.dumps([int(seed), phase, setting, int(replicate), values])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def simulate_setting(setting: Setting, point: Mapping[str, float], seed: int
                     ) -> dict[str, float]:
    """One run of a setting at ``point`` (the parameters it has): every target's value."""
    sub = {k: v for k, v in point.items() if setting.applies(k)}
    if setting.kind == "trial":
        design = setting.design
        frame = trial.simulate(design, seed, sub)
        estimates = trial.point_estimates(frame, design)
        return {t.name: float(estimates[t.name]) if t.name in estimates
                else parse_measure(t.name, "trial")(frame) for t in setting.targets}
    scenario = scenario_at(setting.design, sub, setting.name)
    parsed = [parse_measure(t.name, "run") for t in setting.targets]
    wanted = sorted({m for p in parsed for m in p.snapshot_months()})
    model = SanitationModel(scenario, seed=seed, households=setting.households,
                            bundle=setting.bundle, household_agents=False)
    snapshots = {}
    for month in [*wanted, setting.months]:
        model.run(max(0, month - model.month))
        if month in wanted:
            hh = model.households
            in_use = getattr(hh, "in_use", None)
            snapshots[month] = {"rung": hh.rung.copy(), "rt": hh.rt, "rt_odf": model.odf.copy(),
                                "in_use": None if in_use is None else in_use.copy()}
    record = RunRecord(model.monthly_table(), snapshots)
    return {t.name: p(record) for t, p in zip(setting.targets, parsed, strict=True)}


def simulate_point(settings: Sequence[Setting], point: Mapping[str, float], seed: int,
                   replicates: int, phase: str = FIT, draw: int | None = None
                   ) -> dict[str, float]:
    """Every target of ``settings`` at ``point``: the mean over ``replicates`` runs."""
    out = {}
    for setting in settings:
        label = setting.name if draw is None else f"{setting.name}#{draw}"
        runs = [simulate_setting(setting, point, run_seed(seed, point, label, r, phase))
                for r in range(replicates)]
        for target in setting.targets:
            values = np.array([run[target.name] for run in runs], float)
            finite = values[np.isfinite(values)]
            out[target_key(setting.name, target.name)] = (float(finite.mean()) if finite.size
                                                          else math.nan)
    return out


class JointModel:
    """The pyabc model: a particle's parameters in, every target's simulated value out."""

    def __init__(self, spec: JointSpec, include_held_out: bool = True) -> None:
        self.priors = spec.parameters
        self.space = spec.parameter_space
        self.settings = tuple(s for s in spec.settings if include_held_out or not s.held_out)
        self.seed = spec.seed
        self.replicates = spec.replicates

    def point(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """The model's values of a particle (pyabc's numbers are fractions of each prior's
        range in the unit space, their log-odds in the logit space)."""
        return {p.key: p.from_space(parameters[p.key], self.space) for p in self.priors}

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        return simulate_point(self.settings, self.point(parameters), self.seed,
                              self.replicates)


class JointDistance:
    """sqrt(mean over the fitted targets of ((sim - value) / se)^2); held-out targets never
    enter. A target the simulation could not compute counts as z = :data:`MISSING_Z`."""

    def __init__(self, spec: JointSpec) -> None:
        self.fitted = [(target_key(s.name, t.name), t.se) for s, t in spec.targets("fitted")]

    def __call__(self, simulated: Mapping[str, float], observed: Mapping[str, float]) -> float:
        total = 0.0
        for key, se in self.fitted:
            value = simulated.get(key, math.nan)
            z = (value - float(observed[key])) / se if math.isfinite(value) else MISSING_Z
            total += z * z
        return math.sqrt(total / len(self.fitted))


def observed(spec: JointSpec) -> dict[str, float]:
    return {target_key(s.name, t.name): t.value for s, t in spec.targets()}


# --------------------------------------------------------------------------- the fit


@dataclass
class FitResult:
    posterior: pd.DataFrame
    generations: pd.DataFrame
    seconds: float
    samples: int


def executor_backend(workers: int, scheduler: str | None) -> str:
    """The executor a fit and its predictive check run on: Dask with a scheduler address,
    else this process for one worker, else local processes."""
    return "dask" if scheduler else ("serial" if workers <= 1 else "processes")


def fit(spec: JointSpec, out: Path, *, workers: int = 1, scheduler: str | None = None,
        resume: bool = False) -> FitResult:
    """Run ABC-SMC and write ``posterior.csv``, ``generations.csv`` and ``abc.db``.

    With ``resume``, a fit stopped early continues from the last complete generation in
    ``out/abc.db`` up to ``spec.generations`` generations in all (pyabc's ``ABCSMC.load``).

    ``workers`` local processes (1: this process) or the Dask cluster at ``scheduler`` run
    the particles; each particle slot draws from a seed of its own
    (:class:`sanisim.evidence.abc_sampler.SeededSampler`), so the posterior is the same for
    any of them."""
    try:
        import pyabc

        from sanisim.evidence.abc_sampler import SeededSampler
    except ImportError:
        raise InputError("sanisim joint", None, "needs the 'calibration' extra: pip install "
                         "'sanisim[calibration]'") from None
    for name in ("ABC", "pyabc"):
        if not log.isEnabledFor(logging.INFO):
            logging.getLogger(name).setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "abc.db"
    done = _complete_generations(db) if resume else 0
    if resume and done == 0:
        raise InputError(str(db), None, "no completed generation to resume from (run the fit "
                         "without --resume)")
    if resume and done >= spec.generations:
        raise InputError(str(db), None, f"already holds {done} generations, as many as "
                         f"joint.generations ({spec.generations}); raise --generations to go on")
    if db.exists() and not resume:
        db.unlink()  # one fit per folder: pyabc would otherwise append a second run
    neighbours = int(spec.transition_k_fraction * spec.population_size)
    if spec.transition == "local" and neighbours <= len(spec.parameters):
        raise InputError(spec.source, "joint.population_size", f"{spec.population_size} "
                         f"particles x transition_k_fraction {spec.transition_k_fraction} give "
                         f"{neighbours} neighbours; the local kernel needs more than the "
                         f"{len(spec.parameters)} parameters (raise either)")
    prior = pyabc.Distribution(**{p.key: _prior_rv(p, spec.parameter_space)
                                  for p in spec.parameters})
    np.random.seed(spec.seed + done)  # noqa: NPY002 - pyabc's driver draws from it, if at all
    started = time.perf_counter()
    with open_executor(executor_backend(workers, scheduler), workers, scheduler) as handle:
        history = _run(pyabc, spec, db, done, prior,
                       SeededSampler(handle.executor.map, spec.seed), resume)
    return FitResult(*export(spec, out, history), time.perf_counter() - started,
                     int(history.get_all_populations()["samples"].sum()))


def _run(pyabc, spec: JointSpec, db: Path, done: int, prior, sampler, resume: bool):
    """ABC-SMC from generation ``done`` to ``spec.generations`` into ``db``."""
    transition = (pyabc.LocalTransition(k_fraction=spec.transition_k_fraction,
                                        scaling=spec.transition_scaling)
                  if spec.transition == "local" else
                  pyabc.MultivariateNormalTransition(scaling=spec.transition_scaling))
    abc = pyabc.ABCSMC(JointModel(spec, spec.held_out_in_fit), prior, JointDistance(spec),
                       population_size=spec.population_size, sampler=sampler,
                       transitions=transition,
                       eps=pyabc.QuantileEpsilon(alpha=spec.epsilon_quantile))
    if resume:
        abc.load(f"sqlite:///{db.resolve()}", 1)
    else:
        abc.new(f"sqlite:///{db.resolve()}", observed(spec))
    try:
        return abc.run(minimum_epsilon=spec.min_epsilon,
                       max_nr_populations=spec.generations - done)
    except AssertionError as error:  # pyabc's check of the importance weights
        if "weight" not in str(error):
            raise
        complete = _complete_generations(db)
        if complete:  # posterior.csv of the last complete one, not copied to posterior_out
            export(replace(spec, posterior_out=None), db.parent)
        raise FitStopped(
            f"{db}: the importance weights of generation {complete} could not be normalised "
            f"(pyabc: {error}); generations 0-{complete - 1} are kept and the last of them "
            f"exported to {db.parent / 'posterior.csv'}, not to posterior_out (--step export "
            f"--generation T for another)"
            if complete else f"{db}: the importance weights of generation 0 could not be "
            f"normalised (pyabc: {error})") from error


class FitStopped(Exception):
    """The fit stopped before its last generation for a numerical reason (degenerate
    importance weights); the completed generations are kept in ``abc.db`` and exported."""


def _complete_generations(db: Path) -> int:
    """Generations completed in a fit's database (0 when there is none); pyabc must be
    importable (the caller, :func:`fit`, has imported it)."""
    import pyabc

    if not db.is_file():
        return 0
    return int(pyabc.History(f"sqlite:///{db.resolve()}").max_t) + 1


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights: (sum w)^2 / sum w^2."""
    weights = np.asarray(weights, float)
    return float(weights.sum() ** 2 / np.sum(weights ** 2))


def export(spec: JointSpec, out: Path, history=None, generation: int | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``posterior.csv`` (the last complete generation, or ``generation``) and
    ``generations.csv`` (with each generation's effective sample size) from the fit's history
    (``abc.db`` in ``out`` unless given): also for a fit stopped early or interrupted, whose
    completed generations are all in the database. An earlier generation is the remedy when
    the last ones' importance weights have degenerated (docs/calibration.md)."""
    db = out / "abc.db"
    if history is None:
        import pyabc

        if not db.is_file():
            raise InputError(str(db), None, "no fit here: run the fit first (--step fit)")
        history = pyabc.History(f"sqlite:///{db.resolve()}")
        if history.max_t < 0:
            raise InputError(str(db), None, "no complete generation yet")
    chosen = history.max_t if generation is None else generation
    if not 0 <= chosen <= history.max_t:
        raise InputError(str(db), "--generation", f"got {generation}; the fit holds "
                         f"generations 0-{history.max_t}")
    frame, weights = history.get_distribution(m=0, t=chosen)
    posterior = posterior_frame_from(frame, np.asarray(weights, float), spec.parameters,
                                     spec.parameter_space)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    ess = [effective_sample_size(history.get_distribution(m=0, t=int(t))[1])
           for t in populations["t"]]
    generations = pd.DataFrame({
        "generation": populations["t"].astype(int).to_numpy(),
        "epsilon": populations["epsilon"].to_numpy(float),
        "particles": populations["particles"].astype(int).to_numpy(),
        "samples": populations["samples"].astype(int).to_numpy(),
        "acceptance_rate": (populations["particles"] / populations["samples"]).to_numpy(float),
        "walltime_s": populations["wall_time"].to_numpy(float),
        "ess": ess,
    })
    write_posterior(posterior, out / "posterior.csv", spec.posterior_out)
    generations.to_csv(out / "generations.csv", index=False)
    return posterior, generations


def _prior_rv(prior: Prior, space: str):
    """pyabc's prior of one parameter in the space the fit works in: uniform on the range
    (natural), on [0, 1] (unit), or the standard logistic distribution (logit: the log-odds
    of a uniform fraction, so the prior is the same uniform on the range, seen on the whole
    real line, and a perturbed particle never leaves it)."""
    import pyabc  # the calibration extra

    if space == "logit":
        return pyabc.RV("logistic", 0.0, 1.0)
    return pyabc.RV("uniform", *((0.0, 1.0) if space == "unit" else
                                 (prior.low, prior.high - prior.low)))


def posterior_frame_from(frame: pd.DataFrame, weights: np.ndarray,
                         priors: Sequence[Prior], space: str = "natural") -> pd.DataFrame:
    """The posterior table in the model's values (``space``: the space pyabc worked in,
    :data:`PARAMETER_SPACES`)."""
    weights = weights / weights.sum()
    data: dict[str, Any] = {"draw": np.arange(len(frame)), "weight": weights}
    for p in priors:  # each number in the model's values (Prior.from_space)
        values = [p.from_space(raw, space) for raw in frame[p.key].to_numpy(float)]
        data[p.key] = np.asarray(values, int if p.integer else float)
    return pd.DataFrame(data)


def write_posterior(posterior: pd.DataFrame, path: Path, copy_to: Path | None) -> None:
    posterior.to_csv(path, index=False)
    if copy_to is not None:
        copy_to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy_to)


def read_posterior(path: Path, spec: JointSpec) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(str(path), None, "no posterior here: run the fit first "
                         "(--step fit or all)")
    posterior = pd.read_csv(path)
    missing = [c for c in ("draw", "weight", *(p.key for p in spec.parameters))
               if c not in posterior]
    if missing:
        raise InputError(str(path), None, f"missing columns {', '.join(missing)}: a posterior "
                         "of another joint file? run the fit again")
    return posterior


# --------------------------------------------------------------------------- predictive check


def predictive_draws(spec: JointSpec, posterior: pd.DataFrame) -> list[dict[str, float]]:
    """``predictive_draws`` points drawn from the weighted posterior (fixed by the seed)."""
    rng = seed_stream(spec.seed, "sanisim.joint.predictive")
    weights = posterior["weight"].to_numpy(float)
    rows = rng.choice(len(posterior), size=spec.predictive_draws, p=weights / weights.sum())
    return [{p.key: p.value(posterior[p.key].iloc[i]) for p in spec.parameters} for i in rows]


def _predictive_job(setting: Setting, point: Mapping[str, float], seed: int, replicates: int,
                    draw: int) -> dict[str, float]:
    return simulate_point([setting], point, seed, replicates, PREDICTIVE, draw)


def predictive(spec: JointSpec, posterior: pd.DataFrame, executor) -> pd.DataFrame:
    """Posterior-predictive check: every target over draws from the posterior, each setting
    run with seeds of its own (never the fit's), against the published 95% interval."""
    points = predictive_draws(spec, posterior)
    tasks = [(s, point, spec.seed, spec.replicates, d)
             for d, point in enumerate(points) for s in spec.settings]
    values: dict[str, list[float]] = {}
    for result in run_all(_predictive_job, tasks, executor):
        for key, value in result.items():
            values.setdefault(key, []).append(value)
    rows = []
    for setting, target in spec.targets():
        sims = np.array(values[target_key(setting.name, target.name)], float)
        sims = sims[np.isfinite(sims)]
        low, high = target.value - 1.96 * target.se, target.value + 1.96 * target.se
        mean = float(sims.mean()) if sims.size else math.nan
        rows.append({
            "setting": setting.name, "target": target.name,
            "role": "held out" if setting.held_out else "fitted",
            "published": target.value, "se": target.se,
            "published_low": low, "published_high": high,
            "predictive_mean": mean,
            "predictive_q025": float(np.quantile(sims, 0.025)) if sims.size else math.nan,
            "predictive_q975": float(np.quantile(sims, 0.975)) if sims.size else math.nan,
            "inside": bool(low <= mean <= high), "draws": int(sims.size),
            "source": target.source})
    return pd.DataFrame(rows)


def predictive_summary(table: pd.DataFrame) -> str:
    parts = []
    for role in ("fitted", "held out"):
        rows = table[table["role"] == role]
        if len(rows):
            parts.append(f"{int(rows['inside'].sum())} of {len(rows)} {role} targets have their "
                         "predictive mean inside the published 95% interval "
                         f"({rows['inside'].mean():.0%})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- figures


def posterior_figure(posterior: pd.DataFrame, spec: JointSpec, path: Path) -> Path:
    n = len(spec.parameters)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(3.4 * cols, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, prior in zip(axes.flat, spec.parameters, strict=False):
        ax.hist(posterior[prior.key], bins=15, range=(prior.low, prior.high),
                weights=posterior["weight"], color="#1f4e79", alpha=0.85)
        ax.axhline(1 / 15, color="grey", lw=0.8, ls="--")  # the uniform prior
        ax.set_xlabel(prior.key, fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(f"Joint calibration {spec.name}: weighted posterior marginals "
                 "(dashed: the uniform prior)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def predictive_figure(table: pd.DataFrame, path: Path) -> Path:
    """Per target, on the scale of the published SE: the published 95% interval (grey, always
    [-1.96, 1.96]) and the posterior-predictive 95% interval and mean (coloured by role)."""
    n = len(table)
    fig = Figure(figsize=(7.5, 0.32 * n + 1.4))
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    z = {c: (table[c] - table["published"]) / table["se"]
         for c in ("predictive_mean", "predictive_q025", "predictive_q975")}
    colour = np.where(table["role"] == "fitted", "#1f4e79", "#b03a2e")
    ax.barh(y, 3.92, left=-1.96, height=0.6, color="#dddddd", label="published 95%")
    for i in range(n):
        ax.plot([z["predictive_q025"].iloc[i], z["predictive_q975"].iloc[i]], [y[i], y[i]],
                color=colour[i], lw=2)
        ax.plot(z["predictive_mean"].iloc[i], y[i], "o", color=colour[i], ms=4)
    ax.set_yticks(y, [f"{s}: {t}" for s, t in zip(table["setting"], table["target"],
                                                   strict=True)], fontsize=7)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("(simulated - published) / published SE;  blue: fitted, red: held out")
    limit = np.nanmax(np.abs(np.r_[z["predictive_q025"], z["predictive_q975"], 4.0]))
    ax.set_xlim(-min(limit, 30) - 0.5, min(limit, 30) + 0.5)
    ax.set_title("Posterior-predictive check: predictive 95% interval and mean vs published",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


# --------------------------------------------------------------------------- command line


def write_manifest(spec: JointSpec, out: Path, **extra: Any) -> Path:
    """Provenance beside the outputs (the same fields as a run's manifest)."""
    try:
        import pyabc

        pyabc_version = pyabc.__version__
    except ImportError:  # pragma: no cover
        pyabc_version = None
    path = out / "manifest.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}
    manifest = {
        **previous, "joint": spec.name, "file": spec.source, "file_hash": spec.file_hash,
        "seed": spec.seed, "sanisim_version": package_version(), "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "numpy": np.__version__, "pyabc": pyabc_version,
        "settings": {s.name: {"kind": s.kind, "held_out": s.held_out,
                              "scenario": s.scenario.path} for s in spec.settings},
        **extra}
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return path


def cmd_joint(args: argparse.Namespace) -> int:
    spec = with_options(load(args.joint), args, ("population_size", "generations"))
    out = output_folder(Path(args.out) if args.out else default_folder(f"joint_{spec.name}"))
    if spec.posterior_out is not None:
        output_file(spec.posterior_out, "joint.posterior_out")
    workers = args.workers or available_cpus()
    print(f"sanisim joint: {spec.name}: {len(spec.parameters)} parameters, "
          f"{len(spec.settings)} settings, {len(spec.targets('fitted'))} fitted and "
          f"{len(spec.targets('held_out'))} held-out targets -> {out}", flush=True)
    if args.step in ("fit", "all"):
        print(f"ABC-SMC: {spec.population_size} particles, up to {spec.generations} "
              f"generations, {workers if not args.scheduler else args.scheduler} "
              f"worker(s)", flush=True)
        try:
            result = fit(spec, out, workers=workers, scheduler=args.scheduler,
                         resume=args.resume)
        except FitStopped as stopped:
            print(f"sanisim joint: stopped: {stopped}", file=sys.stderr)
            return 1
        print(result.generations.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"fit: {result.samples} particles simulated in {result.seconds:.1f} s "
              f"({result.seconds / max(result.samples, 1) * max(workers, 1):.2f} s per particle "
              f"per worker); posterior: {out / 'posterior.csv'}"
              + (f" (copied to {spec.posterior_out})" if spec.posterior_out else ""))
        write_manifest(spec, out, fit_seconds=round(result.seconds, 2),
                       fit_samples=result.samples, workers=workers, scheduler=args.scheduler,
                       population_size=spec.population_size, generations=spec.generations)
    if args.generation is not None and args.step != "export":
        raise InputError("--generation", None, "only with --step export (the posterior of "
                         "that generation of a finished fit)")
    if args.step == "export":
        posterior, generations = export(spec, out, generation=args.generation)
        exported = (int(generations["generation"].iloc[-1]) if args.generation is None
                    else args.generation)
        print(generations.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"posterior of generation {exported}: {out / 'posterior.csv'}"
              + (f" (copied to {spec.posterior_out})" if spec.posterior_out else ""))
        write_manifest(spec, out, exported_generation=exported)
    posterior = read_posterior(out / "posterior.csv", spec)
    posterior_figure(posterior, spec, out / "posterior.png")
    if args.step in ("predictive", "all"):
        started = time.perf_counter()
        with open_executor(executor_backend(workers, args.scheduler), workers,
                           args.scheduler) as handle:
            table = predictive(spec, posterior, handle.executor)
        table.to_csv(out / "predictive.csv", index=False)
        predictive_figure(table, out / "predictive.png")
        print(format_predictive(table))
        print(predictive_summary(table))
        write_manifest(spec, out, predictive_draws=spec.predictive_draws,
                       predictive_seconds=round(time.perf_counter() - started, 2))
    print(f"(tables and figures in {out})")
    return 0


def format_predictive(table: pd.DataFrame) -> str:
    lines = [f"{'setting/target':44}{'role':>9}{'published 95%':>22}{'predictive 95%':>24}"
             f"{'mean':>9}{'ok':>4}"]
    for row in table.itertuples():
        lines.append(f"{row.setting + '/' + row.target:44}{row.role:>9}"
                     f"{f'[{row.published_low:.3g}, {row.published_high:.3g}]':>22}"
                     f"{f'[{row.predictive_q025:.3g}, {row.predictive_q975:.3g}]':>24}"
                     f"{row.predictive_mean:>9.3g}{'yes' if row.inside else 'NO':>4}")
    return "\n".join(lines)


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``joint`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "joint", help="fit shared behaviour to several published settings (ABC-SMC)",
        description="Joint calibration by ABC-SMC (pyabc): fit the shared parameters of a "
                    "joint file to the targets of its settings, write a weighted posterior "
                    "ensemble and check it against every target, held-out ones included "
                    "(see docs/calibration.md).")
    parser.add_argument("joint", help="joint calibration TOML file "
                        "(e.g. experiments/joint_calibration.toml)")
    add_executor_options(parser, backend=False, workers="local processes (default: the CPUs "
                         "available; 1: single core, reproducible)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="results folder (default results/joint_NAME)")
    parser.add_argument("--population-size", type=at_least(2, MAX_POPULATION), default=None,
                        help="ABC-SMC particles per generation (default: the file's)")
    parser.add_argument("--generations", type=at_least(1, MAX_GENERATIONS), default=None,
                        help="maximum generations (default: the file's)")
    parser.add_argument("--step", choices=STEPS, default="all",
                        help="fit, the posterior-predictive check of a finished fit, both "
                             "(all), or export: the posterior of the last complete generation "
                             "of a fit stopped early or interrupted")
    parser.add_argument("--resume", action="store_true",
                        help="continue a fit stopped early from the last complete generation "
                             "in DIR/abc.db, up to --generations in all")
    parser.add_argument("--generation", type=at_least(0, MAX_GENERATIONS), default=None,
                        metavar="T",
                        help="with --step export: the posterior of generation T instead of "
                             "the last (e.g. the last with a healthy effective sample size)")
    parser.set_defaults(func=cmd_joint)
