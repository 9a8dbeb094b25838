"""Experiment files: the design of a batch, and its run table computed before anything runs.

An experiment file is TOML (format in ``docs/experiments.md``)::

    [experiment]
    name = "q_sweep"            # also the default results folder, results/NAME
    seed = 20240601             # the one seed every run's seed derives from
    replicates = 10
    months = 60                 # optional: default each scenario's run.months
    households = 2000           # optional: default each scenario's population.households
    institutions = "as-is"      # optional: or "in-proportion", scaled with the households
    scenarios = ["default"]     # shipped names, or paths relative to this file
    bundles = ["baseline", "bcc"]

    [grid]                      # full factorial over the listed values
    "behaviour.q_imitation" = [0.02, 0.03, 0.04]

    [lhs]                       # Latin hypercube over declared ranges (scipy.stats.qmc)
    samples = 20
    [lhs.ranges]
    "behaviour.p_innovation" = [0.001, 0.01]

With ``posterior = N`` in ``[experiment]`` (and optionally ``posterior_file = "path"``,
relative to the experiment file; default the package's posterior), N draws of the calibration
posterior (:mod:`sanisim.runs.posterior`) become one more design dimension.

The run table crosses scenarios x parameter points x posterior draws x replicates x bundles.
A run's seed depends on the experiment seed and its replicate only, so every bundle,
parameter point and posterior draw of replicate ``r`` shares the same synthetic population,
network and behaviour draws (common random numbers), and no result depends on worker count,
backend or run order.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from sanisim.errors import InputError, check_keys, did_you_mean, main_table
from sanisim.inputs import (
    MAX_REPLICATES,
    check_size,
    integer,
    name_list,
    peek_toml,
    recorded,
    resolve_scenario,
)
from sanisim.parameters import BY_KEY, PARAMETERS, Param
from sanisim.runs import posterior as posterior_module
from sanisim.runs.points import record_of, scenario_at
from sanisim.runs.posterior import (
    POSTERIOR_DRAW,
    POSTERIOR_PREFIX,
    Posterior,
    applicable,
    interval_holds,
)
from sanisim.runs.results import PARAM_PREFIX
from sanisim.runs.store import load_results as load_results
from sanisim.scenario import (
    INSTITUTIONS,
    Scenario,
    check_references,
    check_value,
    read_toml_text,
    shipped_folder,
)
from sanisim.scenario import load as load_scenario
from sanisim.streams import replicate_seed, seed_stream

__all__ = ["Experiment", "RunSpec", "is_experiment_file", "load", "load_results", "resolve",
           "run_seed", "shipped_experiments"]

TOP_KEYS = ("experiment", "grid", "lhs")
EXPERIMENT_KEYS = ("name", "description", "seed", "replicates", "months", "households",
                   "institutions", "scenarios", "bundles", "posterior", "posterior_file")
LHS_KEYS = ("samples", "ranges")

#: The most runs one experiment may hold. The run table is built in memory before anything
#: runs (about 80 us and 1 kB a run): a million runs is a minute and a gigabyte, and days of
#: simulation; a larger design is split into several experiments.
MAX_RUNS = 1_000_000
#: The most Latin-hypercube samples.
MAX_LHS_SAMPLES = MAX_RUNS


def run_seed(experiment_seed: int, replicate: int) -> int:
    """The seed of every run of ``replicate``: depends on nothing else (common random numbers).

    :func:`sanisim.streams.replicate_seed`, the one rule; the model then spawns its named
    streams from it (:mod:`sanisim.streams`).
    """
    return replicate_seed(experiment_seed, replicate)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the text that hashes are taken of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def short_hash(value: Any, length: int = 16) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class RunSpec:
    """One row of the run table: everything a worker needs to do the run.

    The scenario travels with it (a :class:`Scenario` pickles as plain data), so a worker on
    another machine needs only the sanisim package, not the scenario files.
    """

    run_key: str
    scenario: str
    bundle: str
    replicate: int
    seed: int
    months: int
    households: int
    params: tuple[tuple[str, Any], ...]
    config: Scenario = field(repr=False, compare=False)  # before the point and draw
    posterior_draw: int | None = None
    posterior_params: tuple[tuple[str, Any], ...] = ()

    @property
    def applied(self) -> dict[str, Any]:
        """Every parameter this run sets on its scenario: the point's, then the draw's."""
        return {**dict(self.params), **dict(self.posterior_params)}

    def design_row(self) -> dict[str, Any]:
        """This run's row of the ``runs`` table (without status and error)."""
        row: dict[str, Any] = {"run_key": self.run_key, "scenario": self.scenario,
                               "bundle": self.bundle, "replicate": self.replicate,
                               "seed": self.seed, "months": self.months,
                               "households": self.households}
        if self.posterior_draw is not None:
            row[POSTERIOR_DRAW] = self.posterior_draw
        row.update({PARAM_PREFIX + key: value for key, value in self.params})
        row.update({POSTERIOR_PREFIX + key: value for key, value in self.posterior_params})
        return row


def run_key(scenario: str, bundle: str, params: Mapping[str, Any], replicate: int, seed: int,
            months: int, households: int, posterior_draw: int | None = None,
            posterior_params: Mapping[str, Any] | None = None,
            institutions: str = "as-is") -> str:
    """A stable 12-hex-digit key of a run: the same design point always gets the same key.

    A run without a posterior draw hashes exactly the fields it always did, so stores of
    designs without ``posterior`` keep their keys; a run of a draw adds the draw id and its
    parameter values, and a run with its institutions in proportion the word.
    """
    fields: dict[str, Any] = {"scenario": scenario, "bundle": bundle, "params": dict(params),
                              "replicate": replicate, "seed": seed, "months": months,
                              "households": households}
    if posterior_draw is not None:
        fields["posterior_draw"] = posterior_draw
        fields["posterior_params"] = dict(posterior_params or {})
    if institutions != "as-is":
        fields["institutions"] = institutions
    return short_hash(fields, 12)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file."""

    name: str
    path: str
    text: str
    seed: int
    replicates: int
    months: int | None
    households: int | None
    scenarios: tuple[Scenario, ...]
    bundles: tuple[str, ...]
    grid: Mapping[str, tuple[Any, ...]]
    lhs_samples: int = 0
    lhs_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    description: str = ""
    posterior: Posterior | None = None
    posterior_count: int = 0
    #: "in-proportion": every run's scenario :meth:`~sanisim.scenario.Scenario.scaled` to
    #: its households (the design's values of scaled records taken as given)
    institutions: str = "as-is"

    @cached_property
    def draws(self) -> tuple[tuple[int | None, dict[str, Any]], ...]:
        """The posterior draws of the design as ``(draw id, parameters)``; without a
        posterior, one entry ``(None, {})``."""
        if self.posterior is None or not self.posterior_count:
            return ((None, {}),)
        return tuple(self.posterior.draws(self.posterior_count, self.seed))

    # ------------------------------------------------------------------ design
    @cached_property
    def points(self) -> tuple[dict[str, Any], ...]:
        """Parameter points: the grid's full factorial crossed with the Latin-hypercube sample.

        Without a grid or an LHS there is one point, ``{}`` (every scenario as written).
        """
        grid_points = [dict(zip(self.grid, values, strict=True))
                       for values in itertools.product(*self.grid.values())] or [{}]
        lhs_points = lhs_sample(self.lhs_ranges, self.lhs_samples, self.seed) or [{}]
        return tuple({**g, **s} for g in grid_points for s in lhs_points)

    @property
    def varied(self) -> tuple[str, ...]:
        """The parameters the design varies (one ``param:`` column each in the run table)."""
        return (*self.grid, *self.lhs_ranges)

    @cached_property
    def runs(self) -> tuple[RunSpec, ...]:
        """The run table: scenarios x points x posterior draws x replicates x bundles, in that
        nesting order. The seed depends on the replicate only (common random numbers)."""
        specs = []
        for scenario in self.scenarios:
            for point in self.points:
                for draw, drawn in self.draws:
                    drawn = applicable(drawn, scenario)
                    applied = {**point, **drawn}
                    configured = _configured(scenario, applied) if applied else scenario
                    months = self.months or int(configured["run.months"])
                    households = self.households or int(configured["population.households"])
                    config = scenario if self.institutions == "as-is" else scenario.scaled(
                        households, f"{self.path}: experiment.institutions")
                    for replicate in range(self.replicates):
                        seed = run_seed(self.seed, replicate)
                        for bundle in self.bundles:
                            key = run_key(scenario.name, bundle, point, replicate, seed,
                                          months, households, draw, drawn, self.institutions)
                            specs.append(RunSpec(key, scenario.name, bundle, replicate, seed,
                                                 months, households, tuple(point.items()),
                                                 config, draw, tuple(drawn.items())))
        keys = [s.run_key for s in specs]
        if len(set(keys)) != len(keys):  # pragma: no cover - 48-bit keys; would be a bug
            raise RuntimeError("run keys collide; the design repeats a point")
        return tuple(specs)

    def run_frame(self):
        """The run table as a DataFrame (the design columns of :class:`Results.runs`)."""
        frame = pd.DataFrame([spec.design_row() for spec in self.runs])
        for column in ("replicate", "seed", "months", "households"):
            frame[column] = frame[column].astype("int64")
        if POSTERIOR_DRAW in frame.columns:
            frame[POSTERIOR_DRAW] = frame[POSTERIOR_DRAW].astype("int64")
        return frame

    @property
    def interval_holds(self) -> str:
        """What the batch's intervals hold: "seed noise", or "seed noise and parameter
        uncertainty (N posterior draws)" when the design has posterior draws."""
        return interval_holds(self.posterior_count if self.posterior is not None else 0)

    @cached_property
    def hash(self) -> str:
        """Identity of the batch: design, scenario contents and the run keys.

        Comments and layout of the file do not count; a changed scenario, bundle, value or
        sampler (say a new scipy drawing other LHS points) does.
        """
        design: dict[str, Any] = {
            "name": self.name, "seed": self.seed, "replicates": self.replicates,
            "months": self.months, "households": self.households,
            "scenarios": [[s.name, s.config_hash] for s in self.scenarios],
            "bundles": list(self.bundles),
            "grid": {k: list(v) for k, v in self.grid.items()},
            "lhs": {"samples": self.lhs_samples,
                    "ranges": {k: list(v) for k, v in self.lhs_ranges.items()}},
            "runs": short_hash([s.run_key for s in self.runs], 32),
        }
        if self.posterior is not None:  # absent without a posterior: old hashes stay valid
            design["posterior"] = {"draws": self.posterior_count,
                                   "file_sha256": self.posterior.digest}
        return short_hash(design)

    def describe(self) -> str:
        """One line: what the batch holds."""
        design = []
        if self.grid:
            design.append("grid " + " x ".join(str(len(v)) for v in self.grid.values()))
        if self.lhs_samples:
            design.append(f"lhs {self.lhs_samples} over {len(self.lhs_ranges)} parameters")
        draws = (f" x {self.posterior_count} posterior draw(s)" if self.posterior is not None
                 else "")
        return (f"{len(self.scenarios)} scenario(s) x {len(self.points)} point(s)"
                f"{' (' + ', '.join(design) + ')' if design else ''}{draws} x "
                f"{self.replicates} replicate(s) x {len(self.bundles)} bundle(s) = "
                f"{len(self.runs)} runs")


#: The old name of :func:`sanisim.runs.points.scenario_at` here (``sanisim.report`` uses it):
#: parameters set the way every run sets them.
_configured = scenario_at


def lhs_sample(ranges: Mapping[str, tuple[float, float]], samples: int,
               experiment_seed: int) -> list[dict[str, Any]]:
    """Latin-hypercube points over ``ranges``, drawn from a stream of the experiment seed.

    Integer parameters (their ranges given as two integers, as :func:`_parse_lhs` keeps
    them) take whole values, each of ``low..high`` equally likely.
    """
    if not samples or not ranges:
        return []
    # imported here: scipy.stats takes about 0.35 s to import, and only this design needs it
    # (a batch's driver and every worker's fork server import this module)
    from scipy.stats import qmc

    rng = seed_stream(experiment_seed, "sanisim.experiment.lhs")
    unit = qmc.LatinHypercube(d=len(ranges), rng=rng).random(samples)
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for u, (key, (low, high)) in zip(row, ranges.items(), strict=True):
            if isinstance(low, int) and isinstance(high, int):
                point[key] = int(min(math.floor(low + u * (high - low + 1)), high))
            else:
                point[key] = float(low + u * (high - low))
        points.append(point)
    return points


# --------------------------------------------------------------------------- loading


def is_experiment_file(path: str | Path) -> bool:
    """Whether ``path`` is a readable TOML file with an ``[experiment]`` table."""
    return isinstance((peek_toml(path, suffix=None) or {}).get("experiment"), dict)


def shipped_experiments() -> dict[str, Path]:
    """The shipped experiment files by name (``compare_strategies``, ``smoke``, ...): the
    experiment files of the repository's ``experiments/`` folder, or of the installed
    package's copy (:func:`sanisim.scenario.shipped_folder`)."""
    folder = shipped_folder("experiments")
    return {path.stem: path for path in sorted(folder.glob("*.toml"))
            if is_experiment_file(path)}


def resolve(ref: str | Path) -> Path:
    """The experiment file ``ref`` names: a path as given, else the name of a shipped
    experiment (``compare_strategies`` or ``compare_strategies.toml``); else one line naming
    the shipped ones."""
    path = Path(ref)
    if path.exists():
        return path
    shipped = shipped_experiments()
    if path.parent == Path(".") and path.suffix in ("", ".toml") and path.stem in shipped:
        return shipped[path.stem]
    raise InputError(str(ref), None, "no such file, nor the name of a shipped experiment "
                     f"(shipped: {', '.join(shipped) or 'none'})")


#: What the command line may set in ``[experiment]`` (``sanisim batch --months 12 ...``).
OVERRIDABLE = ("replicates", "months", "households", "institutions", "posterior")


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Read and validate an experiment file; every mistake is a one-line :class:`InputError`.

    ``overrides`` (keys of :data:`OVERRIDABLE`) replace the file's ``[experiment]`` values
    before it is checked, as if the file said so; the experiment's text (kept in the results
    store) is then the file's tables with the new values, headed by a comment naming them.
    """
    path = Path(path)
    raw, text = read_toml_text(path)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(f"cannot override {unknown}; allowed: {OVERRIDABLE}")
    if overrides and isinstance(raw.get("experiment"), dict):
        raw = {**raw, "experiment": {**raw["experiment"], **overrides}}
        said = ", ".join(f"{key} = {value}" for key, value in overrides.items())
        text = f"# {path} with {said} from the command line\n{tomli_w.dumps(raw)}"
    return from_dict(raw, str(path), path, text)


def _flatten(table: Mapping[str, Any], source: str, prefix: str, section: str):
    """Dotted parameter keys of a ``[grid]`` or ``[lhs.ranges]`` table (nested or quoted):
    registry keys, ``ladder.RUNG`` and ``strategies.NAME.KEY`` (checked against the scenarios
    by :func:`_record`)."""
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        head = dotted.split(".")[0]
        strategy, ladder = head == "strategies", head == "ladder"
        if isinstance(value, dict):
            if not (any(k.startswith(dotted + ".") for k in BY_KEY)
                    or (strategy and dotted.count(".") < 2) or dotted == "ladder"):
                raise _unknown_param(dotted, source, section)
            yield from _flatten(value, source, dotted + ".", section)
        else:
            if dotted not in BY_KEY and not ((strategy and dotted.count(".") == 2)
                                             or (ladder and dotted.count(".") == 1)):
                raise _unknown_param(dotted, source, section)
            yield dotted, value


def _record(key: str, scenarios: Sequence[Scenario], source: str, where: str) -> Param:
    """The record of a design parameter: the registry's, or the strategy's in every scenario
    (:func:`sanisim.runs.points.record_of`; each scenario must have the strategy)."""
    if key in BY_KEY:
        return BY_KEY[key]
    records = []
    for scenario in scenarios:
        try:
            records.append(record_of(scenario, key, source))
        except InputError as err:
            raise InputError(source, where, err.message) from None
    return records[0]


def _unknown_param(key: str, source: str, section: str) -> InputError:
    candidates = list(BY_KEY) + sorted({p.section for p in PARAMETERS})
    hint = did_you_mean(key, candidates)
    if not hint and "." in key:
        head, last = key.rsplit(".", 1)
        names = [k.rsplit(".", 1)[-1] for k in BY_KEY if k.startswith(head + ".")]
        near = difflib.get_close_matches(last, names, n=1, cutoff=0.6)
        hint = f"; did you mean {head + '.' + near[0]!r}?" if near else ""
    return InputError(source, f"{section}.{key}",
                      f"unknown parameter{hint} (see 'python -m sanisim.parameters')")


def from_dict(raw: Mapping[str, Any], source: str = "<experiment>", path: Path | None = None,
              text: str = "") -> Experiment:
    """Validate experiment data (as read from TOML) into an :class:`Experiment`."""
    table = main_table(raw, "experiment", TOP_KEYS, EXPERIMENT_KEYS,
                       ("name", "seed", "scenarios"), source)

    name = table["name"]
    description = table.get("description", "")
    if not isinstance(description, str):
        raise InputError(source, "experiment.description", "must be a string")
    seed = integer(table["seed"], source, "experiment.seed", 0)  # at most MAX_SEED
    replicates = integer(table.get("replicates", 1), source, "experiment.replicates", 1,
                          MAX_REPLICATES)
    months = recorded(table.get("months"), source, "experiment.months", "run.months")
    households = recorded(table.get("households"), source, "experiment.households",
                          "population.households")
    institutions = table.get("institutions", "as-is")
    if institutions not in INSTITUTIONS:
        raise InputError(source, "experiment.institutions", f"got {institutions!r}; allowed: "
                         + ", ".join(repr(choice) for choice in INSTITUTIONS))

    base = path.parent if path is not None else Path(".")
    refs = name_list(table["scenarios"], source, "experiment.scenarios")
    scenarios = tuple(load_scenario(resolve_scenario(ref, base, source, "experiment.scenarios"))
                      for ref in refs)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(source, "experiment.scenarios",
                         f"two scenarios share the name {twice!r}; give each a distinct name")
    bundles = name_list(table.get("bundles", ["baseline"]), source, "experiment.bundles")
    for scenario in scenarios:
        for bundle in bundles:
            if bundle not in scenario.bundles:
                raise InputError(source, "experiment.bundles", (
                    f"bundle {bundle!r} is not defined in scenario {scenario.name!r}"
                    f"{did_you_mean(bundle, list(scenario.bundles))} (defined: "
                    f"{', '.join(scenario.bundles)})"))

    grid = _parse_grid(raw.get("grid", {}), source, scenarios)
    samples, ranges = _parse_lhs(raw.get("lhs"), source, scenarios)
    for key in grid:
        if key in ranges:
            raise InputError(source, f"lhs.ranges.{key}", "already varied in [grid]; vary a "
                             "parameter in one design only")
    for key, fixed, what in (("run.months", months, "months"),
                             ("population.households", households, "households")):
        if fixed is not None and (key in grid or key in ranges):
            raise InputError(source, f"experiment.{what}", f"conflicts with the design, which "
                             f"varies {key}; remove one of them")

    posterior, count = _parse_posterior(table, source, base, scenarios)
    _check_count(len(scenarios), grid, samples, count, replicates, len(bundles), source)
    if posterior is not None:
        for key in posterior.keys:
            section = "grid" if key in grid else "lhs.ranges" if key in ranges else None
            if section:
                raise InputError(source, f"{section}.{key}", f"also a parameter of the "
                                 f"posterior {posterior.path}; a parameter comes from the "
                                 "design or from the posterior, not both (remove it from "
                                 f"[{section.split('.')[0]}] or drop experiment.posterior)")
        for key, fixed, what in (("run.months", months, "months"),
                                 ("population.households", households, "households")):
            if fixed is not None and key in posterior.keys:
                raise InputError(source, f"experiment.{what}", f"conflicts with the posterior "
                                 f"{posterior.path}, which sets {key}; remove one of them")

    experiment = Experiment(name, source, text, seed, replicates, months, households,
                            scenarios, bundles, grid, samples, ranges, description,
                            posterior, count, institutions)
    _check_points(experiment, source)
    _check_sizes(experiment, source)
    return experiment


def _check_count(scenarios: int, grid: Mapping[str, tuple[Any, ...]], samples: int,
                 draws: int, replicates: int, bundles: int, source: str) -> None:
    """The number of runs, computed from the design's sizes before any point is made: more
    than :data:`MAX_RUNS` is one line, not an hour of enumerating."""
    sizes = [("scenario(s)", scenarios), *((f"values of {k}", len(v)) for k, v in grid.items()),
             ("lhs samples", samples or 1), ("posterior draws", draws or 1),
             ("replicates", replicates), ("bundle(s)", bundles)]
    runs = math.prod(size for _, size in sizes)
    if runs > MAX_RUNS:
        shown = " x ".join(f"{size:,} {what}" for what, size in sizes if size > 1)
        raise InputError(source, None, f"{shown} = {runs:,} runs; allowed: at most "
                         f"{MAX_RUNS:,} runs in one experiment (split it)")


def _check_sizes(experiment: Experiment, source: str) -> None:
    """The largest run of the design must fit this machine's memory (one line if not)."""
    for scenario in experiment.scenarios:
        sizes = experiment.grid.get("population.households") or (
            (experiment.lhs_ranges["population.households"][1],)
            if "population.households" in experiment.lhs_ranges else (None,))
        largest = experiment.households or max(
            int(size if size is not None else scenario["population.households"])
            for size in sizes)
        check_size(scenario, largest, source, "experiment.households" if experiment.households
                   else f"experiment.scenarios ({scenario.name})")


def _parse_posterior(table: Mapping[str, Any], source: str, base: Path,
                     scenarios: tuple[Scenario, ...]) -> tuple[Posterior | None, int]:
    """``experiment.posterior`` (draws) and ``posterior_file``: the checked posterior."""
    if "posterior" not in table:
        if "posterior_file" in table:
            raise InputError(source, "experiment.posterior_file", "needs experiment.posterior "
                             "= N (the number of posterior draws to run)")
        return None, 0
    count = integer(table["posterior"], source, "experiment.posterior", 1, MAX_RUNS)
    ref = table.get("posterior_file")
    if ref is not None and (not isinstance(ref, str) or not ref):
        raise InputError(source, "experiment.posterior_file", f"got {ref!r}; allowed: the "
                         "path of a posterior CSV file, relative to this file")
    path = None if ref is None else base / ref
    try:
        posterior = posterior_module.load(path, scenarios[0])
        for scenario in scenarios[1:]:
            posterior.check(scenario)
    except InputError as err:  # name the experiment file too: the posterior came from it
        raise InputError(source, "experiment.posterior", str(err)) from None
    if count > posterior.usable:
        raise InputError(source, "experiment.posterior", f"{count} draws asked; the posterior "
                         f"{posterior.path} has {posterior.usable} draws of positive weight; "
                         f"allowed: 1..{posterior.usable}")
    return posterior, count


def _parse_grid(table: Any, source: str, scenarios: Sequence[Scenario] = ()
                ) -> dict[str, tuple[Any, ...]]:
    if not isinstance(table, dict):
        raise InputError(source, "grid", "must be a table of parameter = [values]")
    grid: dict[str, tuple[Any, ...]] = {}
    for key, values in _flatten(table, source, "", "grid"):
        where = f"grid.{key}"
        record = _record(key, scenarios, source, where)
        if not isinstance(values, list) or not values:
            raise InputError(source, where, f"got {values!r}; allowed: a non-empty list of "
                             f"values, each {record.allowed()}")
        checked = []
        for value in values:
            try:
                checked.append(check_value(key, value, source) if key in BY_KEY
                               else record.check(value, source))
            except InputError as err:
                raise InputError(source, where, err.message) from None
        if len(set(map(canonical_json, checked))) != len(checked):
            raise InputError(source, where, f"repeats a value in {values!r}")
        grid[key] = tuple(checked)
    return grid


def _parse_lhs(table: Any, source: str, scenarios: Sequence[Scenario] = ()
               ) -> tuple[int, dict[str, tuple[float, float]]]:
    if table is None:
        return 0, {}
    if not isinstance(table, dict):
        raise InputError(source, "lhs", "must be a table with samples and [lhs.ranges]")
    check_keys(table, LHS_KEYS, source, "lhs.")
    if "samples" not in table or "ranges" not in table:
        missing = "samples" if "samples" not in table else "ranges"
        raise InputError(source, f"lhs.{missing}", "missing: [lhs] needs samples = N and "
                         "[lhs.ranges] with parameter = [low, high]")
    samples = integer(table["samples"], source, "lhs.samples", 1, MAX_LHS_SAMPLES)
    if not isinstance(table["ranges"], dict) or not table["ranges"]:
        raise InputError(source, "lhs.ranges", "must be a non-empty table of "
                         "parameter = [low, high]")
    ranges: dict[str, tuple[float, float]] = {}
    for key, bounds in _flatten(table["ranges"], source, "", "lhs.ranges"):
        where = f"lhs.ranges.{key}"
        param = _record(key, scenarios, source, where)
        if param.kind not in (int, float):
            raise InputError(source, where, f"is {param.allowed()}; a Latin hypercube needs a "
                             "numeric parameter (use [grid] for choices)")
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int | float) and not isinstance(b, bool)
                           and math.isfinite(b) for b in bounds)):
            raise InputError(source, where, f"got {bounds!r}; allowed: [low, high], two numbers")
        low, high = bounds
        if not low < high:
            raise InputError(source, where, f"low {low} must be below high {high}")
        if param.kind is int and not (float(low).is_integer() and float(high).is_integer()):
            raise InputError(source, where, f"got {bounds!r}; {key} takes whole numbers")
        if (param.low is not None and low < param.low) or (
                param.high is not None and high > param.high):
            raise InputError(source, where, f"range [{low:g}, {high:g}] leaves the parameter's "
                             f"bounds; allowed: {param.allowed()}")
        ranges[key] = (int(low), int(high)) if param.kind is int else (float(low), float(high))
    return samples, ranges


def _check_points(experiment: Experiment, source: str) -> None:
    """Every point (and posterior draw) must make a valid scenario (e.g. varied shares must
    still sum to 1)."""
    for scenario in experiment.scenarios:
        for number, point in enumerate(experiment.points, 1):
            for draw, drawn in experiment.draws:
                if point or drawn:
                    label = ", ".join(f"{k}={v!r}" for k, v in point.items())
                    where = f"at point {number} ({label})" if point else ""
                    if draw is not None:
                        where += f"{' and ' if where else 'at '}posterior draw {draw}"
                    where = f"{source}: scenario {scenario.name!r} {where}"
                    configured = _configured(scenario, {**point, **applicable(drawn, scenario)},
                                             source=where)
                    if configured.params.get("network.kind") == "edgelist":  # as it will run
                        params = {**configured.params, "population.households":
                                  experiment.households or configured["population.households"]}
                        check_references(params, scenario.path, where)

