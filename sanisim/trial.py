"""Virtual trials: randomise strategy arms inside one simulated district, survey, estimate.

A trial file (TOML, format in ``docs/validation.md``) names a scenario, the arms (each a
strategy bundle of the scenario and a share of the clusters), the randomisation unit
(``household`` for a lottery, or ``rt``, ``rw``, ``village`` for cluster randomisation), the
survey month and how many households per cluster the survey interviews::

    [trial]
    name = "east_java"
    scenario = "east_java_trial"     # shipped name, or a path relative to this file
    seed = 2008                      # replicate r runs with run_seed(seed, r)
    replicates = 40
    unit = "village"                 # household | rt | rw | village
    clusters = 160                   # clusters enrolled (0: every cluster of the district)
    survey_month = 24                # endline; the baseline is month 0
    survey_per_cluster = 13          # households interviewed per cluster (0: all)
    population = "all"               # all | without_toilet (at baseline)

    [arms.control]                   # the first arm is the comparison arm
    bundle = "baseline"
    share = 0.5
    [arms.ra]
    bundle = "ra"
    share = 0.25

Every strategy of an arm's bundle runs in the one model with its *reach* set to the households
of that arm's clusters (:class:`sanisim.strategies.Strategy`), so arms share the population,
the network, the sanitarians and the cooperatives, and neighbours in other arms can influence
each other (spillovers), as in a real trial.

**Outcome** (after Cameron, Olivia & Shah 2019): a household *built a toilet since baseline*
when an own facility at basic or better was completed between the baseline (month 0) and the
survey month, or its rung rose from below basic to basic or better (e.g. a communal
connection). The survey population is every household (``all``, as the trial's panel of about
1,858 households) or those below basic at baseline (``without_toilet``).

``outcome = "basic_or_better"`` measures an own improved toilet at the survey instead (the
outcome of Patil et al. 2014).

**Estimates** (:func:`estimate`), each by OLS of the 0/1 outcome on arm indicators with
standard errors clustered by randomisation unit (statsmodels; t with G - 1 degrees of
freedom): ``control_mean``; ``itt`` (every treated arm pooled against control);
``effect:<arm>``; the same within the subgroups of ``households.poor`` (``itt:poor``,
``effect:<arm>:non_poor``, ...); and ``spillover``: among control households, those with a
network tie into a treated cluster against those without. Over replicates
(:func:`run_trial`) each estimate's distribution, its mean standard error and the trial's
power (share of replicates with p < 0.05) are reported, beside the *census* value (the same
difference in means over every household of the enrolled clusters, no sampling).
"""

from __future__ import annotations

import argparse
import math
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sanisim.errors import InputError, check_keys, did_you_mean, main_table
from sanisim.executors import chosen_backend
from sanisim.ladder import Rung
from sanisim.parameters import BY_KEY, Param
from sanisim.scenario import SCENARIO_DIR, Scenario
from sanisim.strategies.base import Strategy

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

UNITS = ("household", "rt", "rw", "village")
POPULATIONS = ("all", "without_toilet")
#: Survey outcomes: built a toilet since baseline, or own improved toilet (basic+) at the survey.
OUTCOMES = ("built", "basic_or_better")
TRIAL_KEYS = ("name", "description", "scenario", "seed", "replicates", "households", "unit",
              "clusters", "survey_month", "survey_per_cluster", "population", "outcome")
ARM_KEYS = ("bundle", "share")
SUBGROUPS = {True: "poor", False: "non_poor"}
ALPHA = 0.05


# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Arm:
    """One arm: a strategy bundle of the scenario and its share of the enrolled clusters."""

    name: str
    bundle: str
    share: float


@dataclass(frozen=True)
class TrialDesign:
    """A validated virtual trial (see the module docs)."""

    name: str
    scenario: Scenario
    arms: tuple[Arm, ...]
    unit: str = "village"
    clusters: int = 0
    survey_month: int = 24
    survey_per_cluster: int = 0
    population: str = "all"
    seed: int = 0
    replicates: int = 20
    households: int | None = None
    description: str = ""
    source: str = "<trial>"
    path: str | None = field(default=None, compare=False)
    outcome: str = "built"

    @property
    def control(self) -> str:
        return self.arms[0].name

    @property
    def treated(self) -> tuple[str, ...]:
        return tuple(arm.name for arm in self.arms[1:])

    def with_scenario(self, scenario: Scenario) -> TrialDesign:
        return replace(self, scenario=scenario)

    def to_plain(self) -> dict[str, Any]:
        """Plain data for a worker on another machine (see :func:`from_plain`)."""
        return {"name": self.name, "scenario": self.scenario.to_dict(),
                "scenario_path": self.scenario.path,
                "arms": [(a.name, a.bundle, a.share) for a in self.arms], "unit": self.unit,
                "clusters": self.clusters, "survey_month": self.survey_month,
                "survey_per_cluster": self.survey_per_cluster, "population": self.population,
                "seed": self.seed, "replicates": self.replicates,
                "households": self.households, "source": self.source,
                "outcome": self.outcome}


_PLAIN_CACHE: dict[str, TrialDesign] = {}


def from_plain(data: Mapping[str, Any]) -> TrialDesign:
    """The design of :meth:`TrialDesign.to_plain` (cached per worker)."""
    from sanisim.experiment import canonical_json
    from sanisim.scenario import from_dict

    key = canonical_json(data) if len(_PLAIN_CACHE) < 64 else None
    if key is not None and key in _PLAIN_CACHE:
        return _PLAIN_CACHE[key]
    path = data.get("scenario_path")
    scenario = from_dict(data["scenario"], source=path or data["source"],
                         path=Path(path) if path else None)
    design = TrialDesign(
        data["name"], scenario, tuple(Arm(*a) for a in data["arms"]), data["unit"],
        data["clusters"], data["survey_month"], data["survey_per_cluster"],
        data["population"], data["seed"], data["replicates"], data["households"],
        source=data["source"], outcome=data.get("outcome", "built"))
    if key is not None:
        _PLAIN_CACHE[key] = design
    return design


# --------------------------------------------------------------------------- points


def record_of(scenario: Scenario, key: str, source: str = "<parameters>") -> Param:
    """The record (default, bounds, unit, source) of a scenario or strategy parameter.

    ``key`` is a registry key (``behaviour.p_innovation``) or ``strategies.NAME.KEY`` for a
    parameter of the scenario's strategy NAME (its type's record, e.g. ``demand_creation``'s
    ``session_norm_effect``).
    """
    if key in BY_KEY:
        return BY_KEY[key]
    from sanisim.strategies.base import COMMON_PARAMS, STRATEGY_TYPES

    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "strategies":
        name, sub = parts[1], parts[2]
        if name not in scenario.strategies:
            hint = did_you_mean(name, scenario.strategies)
            raise InputError(source, key, f"scenario {scenario.name!r} has no strategy "
                             f"{name!r}{hint} (strategies: {', '.join(scenario.strategies)})")
        kind = scenario.strategies[name]["type"]
        records = {p.key: p for p in (*COMMON_PARAMS, *STRATEGY_TYPES[kind].PARAMS)}
        if sub not in records:
            hint = did_you_mean(sub, records)
            raise InputError(source, key, f"no parameter {sub!r} for a {kind!r} strategy"
                             f"{hint}")
        param = records[sub]
        return Param(key, scenario.strategies[name][sub], param.unit, param.meaning,
                     param.source, param.low, param.high, param.choices)
    hint = did_you_mean(key, BY_KEY)
    raise InputError(source, key, f"unknown parameter{hint} (a registry key, see 'python -m "
                     "sanisim.parameters', or strategies.NAME.KEY)")


def scenario_at(scenario: Scenario, point: Mapping[str, Any],
                source: str = "<parameters>") -> Scenario:
    """The scenario with some parameters (registry or ``strategies.NAME.KEY``) changed.

    Values are validated like a scenario file; the name, path and bundles are kept.
    """
    if not point:
        return scenario
    plain = {k: v for k, v in point.items() if k in BY_KEY}
    if len(plain) == len(point):
        return scenario.with_params(plain, source)
    from sanisim.scenario import _set_nested, from_dict

    data = scenario.to_dict()
    for key, value in point.items():
        record_of(scenario, key, source)
        _set_nested(data, key, value)
    return from_dict(data, source=source, path=Path(scenario.path) if scenario.path else None)


# --------------------------------------------------------------------------- the model side


class BuildObserver(Strategy):
    """Marks households whose own facility at basic or better is completed (no draws, no cost).

    The model's construction phase stamps ``households.last_emptied`` with the month of every
    septic tank it completes; nothing else stamps it before the desludging phase, so right after
    construction the stamp identifies this month's completions.
    """

    def __init__(self) -> None:
        super().__init__("trial_observer", {"start": 1, "end": 10**9, "budget": 0.0,
                                            "funder": "government"})
        self.built: np.ndarray | None = None

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        self.built = np.zeros(model.households.n, bool)

    def on_construction(self, model: SanitationModel) -> None:
        hh = model.households
        done = np.flatnonzero(hh.last_emptied == model.month)
        self.built[done[hh.rung[done] >= Rung.BASIC]] = True


def cluster_ids(model: SanitationModel, unit: str) -> np.ndarray:
    hh = model.households
    return {"household": np.arange(hh.n), "rt": hh.rt, "rw": hh.rw,
            "village": hh.village}[unit]


def assignment(model: SanitationModel, design: TrialDesign) -> tuple[np.ndarray, np.ndarray]:
    """Arm index per household (-1: cluster not enrolled) and cluster id per household.

    Clusters are enrolled at random (all of them when ``design.clusters`` is 0) and split among
    the arms in fixed numbers (shares, largest remainders) by a random permutation, both from
    the model's stream ``trial:assignment``; cached on the model.
    """
    cached = model.__dict__.get("_trial_assignment")
    if cached is not None:
        return cached
    ids = cluster_ids(model, design.unit)
    n_clusters = int(ids.max()) + 1
    rng = model.streams["trial:assignment"]
    if design.clusters > n_clusters:
        raise InputError(design.source, "trial.clusters", (
            f"{design.clusters} clusters asked for, but the simulated district has only "
            f"{n_clusters} {design.unit} units; raise population.households or lower the "
            f"unit sizes (population.rt_size, rt_per_rw, rw_per_village)"))
    enrolled = (np.arange(n_clusters) if design.clusters == 0
                else np.sort(rng.choice(n_clusters, design.clusters, replace=False)))
    shares = np.array([arm.share for arm in design.arms])
    counts = _largest_remainder(shares, enrolled.size)
    arm_of_cluster = np.full(n_clusters, -1, np.int16)
    arm_of_cluster[enrolled[rng.permutation(enrolled.size)]] = np.repeat(
        np.arange(len(design.arms), dtype=np.int16), counts)
    cached = (arm_of_cluster[ids], ids)
    model.__dict__["_trial_assignment"] = cached
    return cached


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    exact = shares / shares.sum() * total
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def arm_strategies(design: TrialDesign, scenario: Scenario
                   ) -> list[tuple[int, Strategy]]:
    """The strategies of every arm, each with its reach rule (households of its arm)."""
    from sanisim.strategies.base import STRATEGY_TYPES

    names = [n for arm in design.arms for n in scenario.bundles[arm.bundle]]
    shared = {n for n in names if names.count(n) > 1}
    built = []
    for index, arm in enumerate(design.arms):
        for name in scenario.bundles[arm.bundle]:
            config = scenario.strategies[name]
            instance = f"{arm.name}.{name}" if name in shared else name
            strategy = STRATEGY_TYPES[config["type"]](instance, config)
            strategy.reach_rule = _arm_rule(design, index)
            built.append((index, strategy))
    return built


def _arm_rule(design: TrialDesign, index: int) -> Callable[[SanitationModel], np.ndarray]:
    def rule(model: SanitationModel) -> np.ndarray:
        return assignment(model, design)[0] == index
    return rule


def simulate(design: TrialDesign, seed: int, point: Mapping[str, Any] | None = None
             ) -> pd.DataFrame:
    """Run the trial's district once and return the survey frame of the enrolled clusters.

    One row per household of the survey population in an enrolled cluster: ``row``,
    ``cluster``, ``arm`` (name), ``poor``, ``quintile``, ``female``, ``rung_baseline``,
    ``rung_survey``, ``built`` (built a toilet since baseline), ``basic_or_better`` (at the
    survey), ``exposed`` (a control household with a network tie into a treated cluster) and
    ``sampled`` (interviewed by the survey).
    """
    from sanisim.model import SanitationModel

    scenario = scenario_at(design.scenario, point or {}, design.source)
    strategies = [s for _, s in arm_strategies(design, scenario)]
    observer = BuildObserver()
    model = SanitationModel(scenario, seed=seed, households=design.households,
                            strategies=[*strategies, observer], household_agents=False)
    arm, cluster = assignment(model, design)
    hh = model.households
    rung_baseline = hh.rung.copy()
    model.run(design.survey_month)

    treated = (arm > 0).astype(np.float32)
    exposed = (model.network.neighbour_sum(treated) > 0) & (arm == 0)
    built = observer.built | ((rung_baseline < Rung.BASIC) & (hh.rung >= Rung.BASIC))
    keep = arm >= 0
    if design.population == "without_toilet":
        keep &= rung_baseline < Rung.BASIC
    rows = np.flatnonzero(keep)
    sampled = _survey_sample(rows, cluster[rows], design.survey_per_cluster,
                             model.streams["trial:survey"])
    names = np.array([a.name for a in design.arms], dtype=object)
    return pd.DataFrame({
        "row": rows, "cluster": cluster[rows], "arm": names[arm[rows]],
        "poor": hh.poor[rows], "quintile": hh.quintile[rows], "female": hh.female[rows],
        "rung_baseline": rung_baseline[rows], "rung_survey": hh.rung[rows],
        "built": built[rows].astype(np.float64),
        "basic_or_better": (hh.rung[rows] >= Rung.BASIC).astype(np.float64),
        "exposed": exposed[rows], "sampled": sampled,
    })


def _survey_sample(rows: np.ndarray, cluster: np.ndarray, per_cluster: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Up to ``per_cluster`` rows drawn at random within each cluster (all when 0)."""
    keys = rng.random(rows.size)
    if per_cluster <= 0:
        return np.ones(rows.size, bool)
    order = np.lexsort((keys, cluster))
    first = np.r_[0, np.flatnonzero(np.diff(cluster[order])) + 1]
    sizes = np.diff(np.r_[first, order.size])
    rank = np.arange(order.size) - np.repeat(first, sizes)
    sampled = np.zeros(rows.size, bool)
    sampled[order[rank < per_cluster]] = True
    return sampled


# --------------------------------------------------------------------------- estimation


def _contrasts(design: TrialDesign) -> list[tuple[str, np.ndarray | None, Sequence[str]]]:
    """(estimate name, subgroup filter value or None, treated arms it pools)."""
    out: list[tuple[str, Any, Sequence[str]]] = [("itt", None, design.treated)]
    if len(design.treated) > 1:
        out += [(f"effect:{arm}", None, (arm,)) for arm in design.treated]
    for poor, label in SUBGROUPS.items():
        out.append((f"itt:{label}", poor, design.treated))
        if len(design.treated) > 1:
            out += [(f"effect:{arm}:{label}", poor, (arm,)) for arm in design.treated]
    return out


def point_estimates(frame: pd.DataFrame, design: TrialDesign) -> dict[str, float]:
    """The estimates' point values (differences in means), without standard errors.

    Equal to the OLS coefficients of :func:`estimate`; fast, for calibration and census values.
    """
    built = frame[design.outcome].to_numpy()
    arm = frame["arm"].to_numpy()
    poor = frame["poor"].to_numpy()
    control = arm == design.control
    values: dict[str, float] = {"control_mean": _mean(built[control])}
    for name, subgroup, arms in _contrasts(design):
        rows = np.ones(built.size, bool) if subgroup is None else poor == subgroup
        treated = np.isin(arm, arms)
        values[name] = _mean(built[rows & treated]) - _mean(built[rows & control])
    exposed = frame["exposed"].to_numpy()
    values["spillover"] = _mean(built[control & exposed]) - _mean(built[control & ~exposed])
    return values


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def estimate(frame: pd.DataFrame, design: TrialDesign) -> pd.DataFrame:
    """The trial's estimates from a survey frame, as the trial papers report them.

    One row per estimate: ``estimate``, ``value``, ``se`` (clustered by the randomisation unit),
    ``ci_low``, ``ci_high`` (95%), ``p``, ``n`` (households) and ``clusters``. Each is an OLS
    of ``built`` on a constant and treatment indicators in the relevant rows (statsmodels,
    cluster-robust covariance, t with G - 1 degrees of freedom).
    """
    built = frame[design.outcome].to_numpy(float)
    arm = frame["arm"].to_numpy()
    poor = frame["poor"].to_numpy()
    cluster = frame["cluster"].to_numpy()
    control = arm == design.control
    rows_out = [_ols("control_mean", built[control], None, cluster[control])]
    for name, subgroup, arms in _contrasts(design):
        rows = np.ones(built.size, bool) if subgroup is None else poor == subgroup
        rows &= control | np.isin(arm, arms)
        rows_out.append(_ols(name, built[rows], np.isin(arm[rows], arms), cluster[rows]))
    exposed = frame["exposed"].to_numpy()
    rows_out.append(_ols("spillover", built[control], exposed[control], cluster[control]))
    return pd.DataFrame(rows_out)


def _ols(name: str, y: np.ndarray, indicator: np.ndarray | None,
         groups: np.ndarray) -> dict[str, Any]:
    """Coefficient of ``indicator`` (or the constant) with cluster-robust inference."""
    import statsmodels.api as sm

    row: dict[str, Any] = {"estimate": name, "value": math.nan, "se": math.nan,
                           "ci_low": math.nan, "ci_high": math.nan, "p": math.nan,
                           "n": int(y.size), "clusters": int(np.unique(groups).size)}
    if indicator is None:
        exog = np.ones((y.size, 1))
    else:
        exog = np.column_stack([np.ones(y.size), indicator.astype(float)])
        if indicator.all() or not indicator.any():
            return row  # no contrast in these rows
    if y.size < 2 or row["clusters"] < 2:
        return row
    _, codes = np.unique(groups, return_inverse=True)
    with warnings.catch_warnings():  # a subgroup without variation has a zero (or -0) variance
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(y, exog).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        k = exog.shape[1] - 1
        low, high = fit.conf_int(ALPHA)[k]
        se = float(fit.bse[k])
    if not math.isfinite(se):
        se = low = high = math.nan
    row.update(value=float(fit.params[k]), se=se, ci_low=float(low), ci_high=float(high),
               p=float(fit.pvalues[k]) if se > 0 else math.nan)
    return row


# --------------------------------------------------------------------------- replicates


def replicate_job(plain: Mapping[str, Any], replicate: int, seed: int,
                  point: Mapping[str, Any] | None, with_se: bool) -> dict[str, Any]:
    """One replicate, on a worker: census point estimates and (optionally) the sampled ones."""
    design = from_plain(plain)
    frame = simulate(design, seed, point)
    census = point_estimates(frame, design)
    result: dict[str, Any] = {"replicate": replicate, "seed": seed, "census": census,
                              "sampled_households": int(frame["sampled"].sum())}
    if with_se:
        table = estimate(frame[frame["sampled"]], design)
        result["estimates"] = table.to_dict("records")
    return result


@dataclass
class TrialResult:
    """Estimates of every replicate (long table) and their summary over replicates."""

    design: TrialDesign
    estimates: pd.DataFrame
    summary: pd.DataFrame


def replicate_seeds(design: TrialDesign, replicates: int | None = None) -> list[int]:
    from sanisim.experiment import run_seed

    return [run_seed(design.seed, r) for r in range(replicates or design.replicates)]


def run_replicates(design: TrialDesign, executor: Executor, *, replicates: int | None = None,
                   point: Mapping[str, Any] | None = None, with_se: bool = True
                   ) -> list[dict[str, Any]]:
    """Submit every replicate to ``executor`` and return their results in replicate order."""
    plain = design.to_plain()
    point = dict(point or {})
    futures = [executor.submit(replicate_job, plain, r, seed, point, with_se)
               for r, seed in enumerate(replicate_seeds(design, replicates))]
    return [f.result() for f in futures]


def run_trial(design: TrialDesign, *, replicates: int | None = None,
              point: Mapping[str, Any] | None = None, executor: Executor | None = None,
              backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None) -> TrialResult:
    """Run the virtual trial over replicates and summarise its estimates.

    ``executor`` (any ``concurrent.futures`` executor) runs the replicates; without one, one is
    opened with :func:`sanisim.executors.open_executor` (``backend``, ``workers``,
    ``scheduler``). ``point`` changes parameters (registry or ``strategies.NAME.KEY``).
    """
    if executor is None:
        from sanisim.executors import open_executor

        with open_executor(backend, workers, scheduler) as handle:
            results = run_replicates(design, handle.executor, replicates=replicates,
                                     point=point)
    else:
        results = run_replicates(design, executor, replicates=replicates, point=point)
    rows = []
    for result in results:
        census = result["census"]
        for row in result["estimates"]:
            rows.append({"replicate": result["replicate"], "seed": result["seed"], **row,
                         "census": census.get(row["estimate"], math.nan)})
    estimates = pd.DataFrame(rows)
    return TrialResult(design, estimates, summarise(estimates))


def summarise(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per estimate over replicates: mean, sd and 2.5-97.5% of the estimate, mean SE, power.

    ``census`` is the mean census value (difference in means over every household of the
    enrolled clusters); ``coverage`` the share of replicates whose 95% interval holds it.
    """
    out = []
    for name, group in estimates.groupby("estimate", sort=False):
        value = group["value"].dropna()
        expected = float(group["census"].mean())
        covered = (group["ci_low"] <= expected) & (expected <= group["ci_high"])
        out.append({
            "estimate": name, "replicates": int(value.size),
            "mean": float(value.mean()) if value.size else math.nan,
            "sd": float(value.std(ddof=1)) if value.size > 1 else math.nan,
            "q025": float(value.quantile(0.025)) if value.size else math.nan,
            "q975": float(value.quantile(0.975)) if value.size else math.nan,
            "mean_se": float(group["se"].mean()),
            "power": float((group["p"] < ALPHA).mean()),
            "census": expected,
            "coverage": float(covered[group["value"].notna()].mean()) if value.size else math.nan,
            "households": float(group["n"].mean()),
            "clusters": float(group["clusters"].mean()),
        })
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- files


def resolve_beside(ref: str, base: Path, source: str, key: str) -> Path:
    """A scenario reference: a file beside ``base``, an existing path, or a shipped name."""
    for candidate in (base / ref, Path(ref)):
        if candidate.is_file():
            return candidate
    shipped = SCENARIO_DIR / f"{Path(ref).stem}.toml"
    if Path(ref).parent == Path(".") and Path(ref).suffix in ("", ".toml") and shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
    raise InputError(source, key, f"no scenario {ref!r}: not a file beside {source} nor a "
                     f"shipped scenario (shipped: {known})")


def _int(table: Mapping[str, Any], key: str, default: Any, low: int, source: str,
         prefix: str) -> Any:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(source, f"{prefix}{key}", f"got {value!r}; allowed: an integer >= {low}")
    return value


def _choice(table: Mapping[str, Any], key: str, default: str, choices: Sequence[str],
            source: str, prefix: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise InputError(source, f"{prefix}{key}", f"got {value!r}; allowed: one of "
                         + ", ".join(repr(c) for c in choices))
    return value


def read_toml(path: str | Path) -> dict[str, Any]:
    from sanisim.scenario import read_toml_text

    return read_toml_text(path)[0]


def load(path: str | Path, scenario: str | Path | None = None) -> TrialDesign:
    """Read and validate a trial file (``scenario`` replaces the file's scenario)."""
    path = Path(path)
    return from_dict(read_toml(path), str(path), path.parent, scenario)


def from_dict(raw: Mapping[str, Any], source: str = "<trial>", base: Path | None = None,
              scenario_ref: str | Path | None = None) -> TrialDesign:
    """Validate trial data (``[trial]`` and ``[arms.NAME]`` tables) into a design."""
    from sanisim.scenario import load as load_scenario

    table = main_table(raw, "trial", ("trial", "arms"), TRIAL_KEYS, ("name", "scenario"),
                       source)
    base = base or Path(".")
    ref = scenario_ref if scenario_ref is not None else table["scenario"]
    if not isinstance(ref, str | Path):
        raise InputError(source, "trial.scenario", "must be a scenario file name")
    scenario = load_scenario(resolve_beside(str(ref), base, source, "trial.scenario"))

    arms_table = raw.get("arms")
    if not isinstance(arms_table, dict) or len(arms_table) < 2:
        raise InputError(source, "arms", "needs at least two [arms.NAME] tables (the first is "
                         "the comparison arm), each with bundle and share")
    arms = []
    for name, arm in arms_table.items():
        where = f"arms.{name}."
        if not isinstance(arm, dict):
            raise InputError(source, f"arms.{name}", "must be a table with bundle and share")
        check_keys(arm, ARM_KEYS, source, where)
        bundle = arm.get("bundle")
        if bundle not in scenario.bundles:
            hint = did_you_mean(str(bundle), scenario.bundles)
            raise InputError(source, f"{where}bundle", f"got {bundle!r}{hint}; allowed: a "
                             f"bundle of scenario {scenario.name!r} "
                             f"({', '.join(scenario.bundles)})")
        share = arm.get("share")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise InputError(source, f"{where}share", f"got {share!r}; allowed: a number in "
                             "(0, 1]")
        arms.append(Arm(name, bundle, float(share)))
    total = sum(a.share for a in arms)
    if abs(total - 1.0) > 1e-6:
        raise InputError(source, "arms", f"shares sum to {total:.6g}; they must sum to 1")

    months = BY_KEY["run.months"]
    design = TrialDesign(
        name=table["name"], scenario=scenario, arms=tuple(arms),
        unit=_choice(table, "unit", "village", UNITS, source, "trial."),
        clusters=_int(table, "clusters", 0, 0, source, "trial."),
        survey_month=_int(table, "survey_month", 24, 1, source, "trial."),
        survey_per_cluster=_int(table, "survey_per_cluster", 0, 0, source, "trial."),
        population=_choice(table, "population", "all", POPULATIONS, source, "trial."),
        seed=_int(table, "seed", 0, 0, source, "trial."),
        replicates=_int(table, "replicates", 20, 1, source, "trial."),
        households=_int(table, "households", None, int(BY_KEY["population.households"].low),
                        source, "trial."),
        description=str(table.get("description", "")), source=source,
        path=source, outcome=_choice(table, "outcome", "built", OUTCOMES, source, "trial."))
    if design.survey_month > months.high:
        raise InputError(source, "trial.survey_month", f"got {design.survey_month}; allowed: "
                         f"an integer in [1, {months.high:g}]")
    if design.unit == "household" and design.survey_per_cluster not in (0, 1):
        raise InputError(source, "trial.survey_per_cluster", "a household lottery interviews "
                         "each household once: use 0 or 1")
    return design


def describe_evidence_file(path: str | Path) -> str | None:
    """Validate a trial, calibration or sensitivity file and describe it in a few words.

    Returns None when ``path`` is none of these (no ``[trial]``, ``[calibration]`` or
    ``[sensitivity]`` table), so the caller can try it as a scenario.
    """
    path = Path(path)
    if not path.is_file() or path.suffix != ".toml":
        return None
    try:
        with path.open("rb") as handle:
            tables = tomllib.load(handle)
    except (OSError, ValueError):  # unreadable, not UTF-8, not TOML: not ours to describe
        return None
    if isinstance(tables.get("trial"), dict):
        design = load(path)
        return (f"trial {design.name!r}: {len(design.arms)} arms by {design.unit}, survey at "
                f"month {design.survey_month}, scenario {design.scenario.name!r}")
    if isinstance(tables.get("calibration"), dict):
        from sanisim import calibration

        spec = calibration.load(path)
        return (f"calibration {spec.name!r}: {len(spec.parameters)} parameters, "
                f"{len(spec.targets)} targets, trial {spec.trial.name!r}")
    if isinstance(tables.get("sensitivity"), dict):
        from sanisim import sensitivity

        spec = sensitivity.load(path)
        return (f"sensitivity {spec.name!r}: {spec.method}, {len(spec.parameters)} parameters, "
                f"bundles {', '.join(spec.bundles)}")
    return None


# --------------------------------------------------------------------------- command line


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as an aligned text table (for the command line)."""
    lines = [f"{'estimate':26}{'mean':>9}{'sd':>8}{'2.5%':>9}{'97.5%':>9}{'mean SE':>9}"
             f"{'power':>7}{'census':>9}{'cover':>7}"]
    for row in summary.itertuples():
        lines.append(f"{row.estimate:26}{row.mean:>+9.3f}{row.sd:>8.3f}{row.q025:>+9.3f}"
                     f"{row.q975:>+9.3f}{row.mean_se:>9.3f}{row.power:>7.0%}"
                     f"{row.census:>+9.3f}{row.coverage:>7.0%}")
    return "\n".join(lines)


def cmd_trial(args: argparse.Namespace) -> int:
    design = load(args.trial, args.scenario)
    replicates = args.replicates or design.replicates
    out = Path(args.out) if args.out else Path("results") / f"trial_{design.name}"
    print(f"sanisim trial: {design.name}: {len(design.arms)} arms "
          f"({', '.join(a.name for a in design.arms)}) by {design.unit}, survey at month "
          f"{design.survey_month}, {replicates} replicates -> {out}", flush=True)
    result = run_trial(design, replicates=replicates,
                       backend=chosen_backend(args.backend, args.scheduler),
                       workers=args.workers, scheduler=args.scheduler)
    out.mkdir(parents=True, exist_ok=True)
    result.estimates.to_csv(out / "estimates.csv", index=False)
    result.summary.to_csv(out / "summary.csv", index=False)
    print(format_summary(result.summary))
    print(f"(per-replicate estimates: {out / 'estimates.csv'}; summary: {out / 'summary.csv'})")
    return 0


def positive(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    from sanisim.batch import _count

    parser.add_argument("--workers", type=_count, default=None,
                        help="worker processes (default: the CPUs available)")
    parser.add_argument("--backend", choices=("processes", "dask", "serial"), default=None,
                        help="local process pool (default), Dask, or in-process")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="address of a running Dask scheduler (implies --backend dask)")


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``trial`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "trial", help="run a virtual trial (randomised arms in one district) over replicates",
        description="Randomise strategy arms to clusters (or households) of one simulated "
                    "district, survey the outcome, estimate each arm's effect with "
                    "cluster-robust standard errors, and report the estimates' distribution "
                    "and the trial's power over replicates (see docs/validation.md).")
    parser.add_argument("trial", help="trial TOML file (e.g. experiments/east_java_trial.toml)")
    parser.add_argument("--scenario", default=None,
                        help="run the trial on this scenario instead of the file's (e.g. a "
                             "calibrated one)")
    parser.add_argument("--replicates", type=positive, default=None,
                        help="replicates (default: the file's)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="results folder (default results/trial_NAME)")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_trial)
