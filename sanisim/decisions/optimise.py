"""``sanisim optimise FILE``: which mix, intensity and timing of a scenario's strategies, for
budgets per funder and year, robust over the posterior ensemble.

The search is Optuna's NSGA-II (Deb et al. 2002), a multi-objective genetic algorithm, asked a
generation at a time: every candidate mix of a generation runs over the setting's posterior
draws x seeds together on one executor (local processes, Dask, or in this process), so a
generation takes the time of its slowest runs, not of its candidates one after the other.

**Candidates.** For each strategy listed, three decision variables: whether it is funded,
its *intensity* (a share of the budget the scenario gives it; its other parameters stay) and
its *start* month (it then runs as long as in the scenario, cut at the horizon).

**Robust objectives.** Each objective is a quantile over the runs of the candidate: the
``quantile`` (default 0.1) of an outcome where more is better (households at basic or better,
safely managed, the poorest fifth), the ``1 - quantile`` of one where less is better (months
to zero open defecation, public cost): what the candidate achieves in nine runs out of ten.

**Budgets.** ``[budgets]`` gives rupiah a year per public budget (a number: every year; a
list: year 1, 2, ...); a budget not listed is not available (0). A candidate is feasible when
in every year the programmes' cost to each budget (its ``1 - quantile`` over runs: the
strategies' own spending, split by the funding rules; routine sanitarian visits and the
households' own money are not programme money) stays within the budget. NSGA-II ranks
feasible candidates first (Optuna's trial constraints).

**Resuming.** The study is kept in an Optuna journal file (``study.log``) in the output folder;
running the same file again continues it (a generation cut short is evaluated again), and
``trials`` may be raised to search further; either way the search proposes the mixes of one
never stopped (:func:`_sampler`). A changed file is refused.

**Outputs.** ``pareto.csv`` (the Pareto set: variables and robust objectives),
``pareto_runs.csv`` (every run of each Pareto mix: the outcome distributions),
``trials.csv`` (every evaluated mix), one runnable scenario file per Pareto mix
(``pareto/NAME.toml``: extends the scenario, ``sanisim run pareto/NAME.toml --strategy
NAME``), ``tradeoffs.png`` and ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from sanisim.decisions import figures
from sanisim.decisions.evaluate import OUTCOMES, Task, evaluate, run_task, tasks_for
from sanisim.decisions.settings import SETTING_KEYS, Setting, read_setting
from sanisim.errors import InputError, check_keys, did_you_mean, finite_number, main_table
from sanisim.inputs import choice, integer, name_list, read_toml
from sanisim.ledger import PUBLIC_BUDGETS
from sanisim.runs.cli_options import add_executor_options, positive
from sanisim.runs.executors import chosen_backend, open_executor
from sanisim.runs.experiment import short_hash
from sanisim.runs.run import manifest as run_manifest
from sanisim.scenario import Scenario
from sanisim.streams import seed_stream

log = logging.getLogger(__name__)

OPTIMISE_KEYS = (*SETTING_KEYS, "name", "strategies", "objectives", "trials", "population",
                 "quantile")
CANDIDATE = "candidate"


@dataclass(frozen=True)
class Lever:
    """What the search may change of one strategy: intensity range and start window."""

    name: str
    intensity: tuple[float, float]
    start: tuple[int, int]
    budget: float  # the scenario's budget of the strategy, rupiah
    duration: int  # months it runs in the scenario


@dataclass(frozen=True)
class Problem:
    """A validated optimise file."""

    path: str
    text: str
    name: str
    setting: Setting
    levers: tuple[Lever, ...]
    objectives: tuple[str, ...]
    budgets: Mapping[str, tuple[float, ...]]  # public budget -> rupiah per year
    trials: int
    population: int
    quantile: float

    @property
    def years(self) -> int:
        return math.ceil(self.setting.months / 12)

    def budget(self, name: str, year: int) -> float:
        """Rupiah available from budget ``name`` in programme year ``year`` (1-based)."""
        values = self.budgets.get(name, (0.0,))
        return values[min(year, len(values)) - 1]

    @property
    def digest(self) -> str:
        """Identity of the search (the file's tables, not its layout)."""
        return short_hash(read_toml(self.path))


def load(path: str | Path) -> Problem:
    """Read and check an optimise file (one-line :class:`InputError` on any mistake)."""
    source = str(path)
    raw = read_toml(path)
    table = main_table(raw, "optimise", ("optimise", "budgets", "search", "funding",
                                         "targets"), OPTIMISE_KEYS, ("scenario", "strategies"),
                       source)
    setting = read_setting(table, raw, source, "optimise")
    scenario = setting.scenario
    names = name_list(table["strategies"], source, "optimise.strategies")
    for name in names:
        if name not in scenario.strategies:
            raise InputError(source, "optimise.strategies", f"no strategy {name!r} in scenario "
                             f"{scenario.name!r}{did_you_mean(name, scenario.strategies)} "
                             f"(strategies: {', '.join(scenario.strategies)})")
        if not math.isfinite(scenario.strategies[name]["budget"]):
            raise InputError(source, "optimise.strategies", f"strategy {name!r} has no finite "
                             "budget in the scenario; allowed: strategies with a budget (the "
                             "intensity scales it)")
    search = raw.get("search", {})
    if not isinstance(search, dict):
        raise InputError(source, "search", "must be a table of [search.STRATEGY] tables")
    for name in search:
        if name not in names:
            raise InputError(source, f"search.{name}", f"not a strategy of optimise.strategies"
                             f"{did_you_mean(name, names)} (allowed: {', '.join(names)})")
    levers = tuple(_lever(name, search.get(name, {}), scenario, setting.months, source)
                   for name in names)
    objectives = name_list(table.get("objectives", list(OUTCOMES)), source,
                           "optimise.objectives")
    for objective in objectives:
        choice(objective, source, "optimise.objectives", tuple(OUTCOMES))
    quantile = finite_number(table.get("quantile", 0.1), source, "optimise.quantile", 0.0)
    if quantile > 0.5:
        raise InputError(source, "optimise.quantile", f"got {quantile:g}; allowed: 0 to 0.5 "
                         "(0.1: what nine runs in ten achieve)")
    return Problem(source, Path(path).read_text(encoding="utf-8"),
                   table.get("name", Path(path).stem), setting, levers, objectives,
                   _budgets(raw.get("budgets"), source),
                   integer(table.get("trials", 40), source, "optimise.trials", 2),
                   integer(table.get("population", 10), source, "optimise.population", 2),
                   quantile)


def _pair(value: Any, source: str, key: str, whole: bool, low: float, high: float) -> tuple:
    kind = "integers" if whole else "numbers"
    if (not isinstance(value, list) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int if whole else int | float)
                   for v in value)
            or not low <= value[0] <= value[1] <= high):
        raise InputError(source, key, f"got {value!r}; allowed: [low, high], two {kind} with "
                         f"{low:g} <= low <= high <= {high:g}")
    return (int(value[0]), int(value[1])) if whole else (float(value[0]), float(value[1]))


def _lever(name: str, table: Any, scenario: Scenario, months: int, source: str) -> Lever:
    key = f"search.{name}"
    if not isinstance(table, dict):
        raise InputError(source, key, "must be a table with 'intensity' and/or 'start'")
    check_keys(table, ("intensity", "start"), source, f"{key}.")
    config = scenario.strategies[name]
    intensity = _pair(table.get("intensity", [0.1, 1.0]), source, f"{key}.intensity", False,
                      0.0, 10.0)
    start = _pair(table.get("start", [config["start"], config["start"]]), source,
                  f"{key}.start", True, 1, months)
    return Lever(name, intensity, start, float(config["budget"]),
                 int(config["end"]) - int(config["start"]) + 1)


def _budgets(table: Any, source: str) -> dict[str, tuple[float, ...]]:
    if not isinstance(table, dict) or not table:
        raise InputError(source, "budgets", "missing [budgets] table: rupiah a year per public "
                         f"budget ({', '.join(PUBLIC_BUDGETS)})")
    out = {}
    for name, value in table.items():
        if name not in PUBLIC_BUDGETS:
            raise InputError(source, f"budgets.{name}", f"unknown budget"
                             f"{did_you_mean(name, PUBLIC_BUDGETS)} (allowed: "
                             f"{', '.join(PUBLIC_BUDGETS)})")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise InputError(source, f"budgets.{name}", "allowed: rupiah a year, a number or "
                             "a list (year 1, 2, ...)")
        out[name] = tuple(finite_number(v, source, f"budgets.{name}", 0.0) for v in values)
    return out


# --------------------------------------------------------------------------- candidates


def candidate_scenario(problem: Problem, params: Mapping[str, Any]) -> Scenario:
    """The scenario with bundle ``candidate``: the funded strategies at their intensity and
    start (``params``: ``use:NAME``, ``intensity:NAME``, ``start:NAME``)."""
    scenario = problem.setting.scenario
    strategies = dict(scenario.strategies)
    members = []
    for lever in problem.levers:
        if not params[f"use:{lever.name}"]:
            continue
        start = int(params[f"start:{lever.name}"])
        config = dict(strategies[lever.name])
        config["budget"] = float(params[f"intensity:{lever.name}"]) * lever.budget
        config["start"] = start
        config["end"] = min(start + lever.duration - 1, problem.setting.months)
        strategies[lever.name] = MappingProxyType(config)
        members.append(lever.name)
    bundles = {**scenario.bundles, CANDIDATE: tuple(members)}
    return replace(scenario, strategies=MappingProxyType(strategies),
                   bundles=MappingProxyType(bundles))


def _suggest(trial, lever: Lever) -> None:
    trial.suggest_categorical(f"use:{lever.name}", [True, False])
    trial.suggest_float(f"intensity:{lever.name}", *lever.intensity)
    trial.suggest_int(f"start:{lever.name}", *lever.start)


def robust_objectives(problem: Problem, outcomes: pd.DataFrame) -> list[float]:
    """The low quantile of each benefit and the high quantile of each cost over the runs."""
    q = problem.quantile
    return [float(outcomes[name].quantile(q if OUTCOMES[name] else 1 - q))
            for name in problem.objectives]


def budget_excess(problem: Problem, yearly: pd.DataFrame) -> list[float]:
    """Per public budget and year: the programmes' cost (``1 - quantile`` over runs) minus the
    budget, in Rp billion (<= 0: within it)."""
    per_run = yearly.groupby(["draw", "replicate", "budget", "year"], dropna=False,
                             observed=True)["programme_cost"].sum().reset_index()
    high = per_run.groupby(["budget", "year"], observed=True)["programme_cost"].quantile(
        1 - problem.quantile)
    return [float((high.get((name, year), 0.0) - problem.budget(name, year)) / 1e9)
            for name in PUBLIC_BUDGETS for year in range(1, problem.years + 1)]


# --------------------------------------------------------------------------- search

Runner = Callable[[Task], tuple[dict[str, Any], pd.DataFrame]]


def optimise(problem: Problem, out: Path, executor=None, runner: Runner = run_task,
             trials: int | None = None) -> pd.DataFrame:
    """Run (or continue) the search of ``problem`` into ``out``; return the Pareto set.

    ``runner`` does one run (default :func:`sanisim.decisions.evaluate.run_task`, the model);
    ``trials`` overrides the file's number of mixes to evaluate.
    """
    import optuna  # noqa: PLC0415 - the optional [optimise] extra, imported when used
    from optuna.storages import JournalStorage  # noqa: PLC0415
    from optuna.storages.journal import JournalFileBackend  # noqa: PLC0415

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "problem.json"
    if stamp.exists() and json.loads(stamp.read_text())["digest"] != problem.digest:
        raise InputError(problem.path, None, f"{out} holds the search of another optimise "
                         "file; allowed: the same file, or another --out")
    stamp.write_text(json.dumps({"digest": problem.digest, "file": problem.path}) + "\n")
    storage = JournalStorage(JournalFileBackend(str(out / "study.log")))
    study = optuna.create_study(study_name=problem.name, storage=storage,
                                sampler=_sampler(optuna, problem, 0),
                                directions=["maximize" if OUTCOMES[o] else "minimize"
                                            for o in problem.objectives],
                                load_if_exists=True)
    for stale in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)  # cut short: redo
    runs_path = out / "runs.csv"
    total = trials or problem.trials
    while (done := len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))) < total:
        study.sampler = _sampler(optuna, problem, done)
        batch = [study.ask() for _ in range(min(problem.population, total - done))]
        tasks, owner = [], []
        for trial in batch:
            for lever in problem.levers:
                _suggest(trial, lever)
            scenario = candidate_scenario(problem, trial.params)
            mine = tasks_for(problem.setting, [CANDIDATE], scenario)
            tasks += mine
            owner += [trial.number] * len(mine)
        evaluation = evaluate(tasks, executor, runner)
        mix = {trial.number: done + i for i, trial in enumerate(batch)}
        evaluation.outcomes["trial"] = [mix[number] for number in owner]
        of_trial = evaluation.yearly["task"].map(dict(enumerate(owner)))
        # the runs first: a generation cut short between the two is run again, and the same
        # rows appended twice are dropped when the outputs are written
        evaluation.outcomes.to_csv(runs_path, mode="a", header=not runs_path.exists(),
                                   index=False)
        for trial in batch:
            rows = evaluation.outcomes[evaluation.outcomes["trial"] == mix[trial.number]]
            excess = budget_excess(problem, evaluation.yearly[of_trial == trial.number])
            trial.set_user_attr("budget_excess", excess)
            trial.set_user_attr("mix", mix[trial.number])
            trial.set_constraint("budget_excess", max(excess))  # one write: the worst year
            study.tell(trial, robust_objectives(problem, rows))
        log.info("%s: %d of %d mixes evaluated", problem.name, done + len(batch), total)
    return write_outputs(problem, study, out)


def _sampler(optuna, problem: Problem, done: int):
    """NSGA-II for the generation after the first ``done`` mixes, seeded by ``done``.

    A sampler draws from one generator for the whole of its life, so a search continued in a
    new process with the file's seed would restart that sequence and propose other mixes than
    an uninterrupted search. Seeding each generation by the number of mixes evaluated before
    it makes the proposals a function of the file and the study, whatever the interruptions.
    """
    seeds = seed_stream(problem.setting.seed, "sanisim.optimise.search").integers(
        2**31, size=done + 1)
    return optuna.samplers.NSGAIISampler(population_size=problem.population,
                                         seed=int(seeds[done]))


def _trials_table(problem: Problem, study) -> pd.DataFrame:
    """Every evaluated mix, numbered in the order evaluated (0, 1, ...): Optuna's own trial
    numbers also count the trials of a generation cut short, the mix numbers do not."""
    import optuna  # noqa: PLC0415

    rows = []
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        excess = trial.user_attrs["budget_excess"]
        rows.append({"trial": trial.user_attrs["mix"], **trial.params,
                     **dict(zip(problem.objectives, trial.values, strict=True)),
                     "feasible": max(excess) <= 0,
                     "budget_excess_bn": max(excess)})
    return pd.DataFrame(rows)


def pareto_mask(values: np.ndarray, maximise: Sequence[bool]) -> np.ndarray:
    """Rows of ``values`` (one column per objective) that no other row dominates; of rows with
    equal values (the same mix found twice), only the first."""
    signed = np.where(np.asarray(maximise), values, -values)  # larger is better everywhere
    keep = np.ones(len(signed), bool)
    for i, row in enumerate(signed):
        dominated = np.all(signed >= row, axis=1) & np.any(signed > row, axis=1)
        repeated = np.all(signed[:i] == row, axis=1)
        keep[i] = not (dominated.any() or repeated.any())
    return keep


def write_outputs(problem: Problem, study, out: Path) -> pd.DataFrame:
    """The Pareto set (feasible mixes no other feasible mix dominates) and its files."""
    table = _trials_table(problem, study)
    maximise = [OUTCOMES[o] for o in problem.objectives]
    table["pareto"] = False
    feasible = table["feasible"].to_numpy()
    if feasible.any():
        mask = pareto_mask(table.loc[feasible, list(problem.objectives)].to_numpy(float),
                           maximise)
        table.loc[table.index[feasible][mask], "pareto"] = True
    table.to_csv(out / "trials.csv", index=False)
    front = table[table["pareto"]].copy()
    front["bundle"] = [f"pareto_{n}" for n in front["trial"]]
    front["members"] = [" + ".join(lv.name for lv in problem.levers if row[f"use:{lv.name}"])
                        or "(nothing)" for _, row in front.iterrows()]
    front.to_csv(out / "pareto.csv", index=False)
    runs = pd.read_csv(out / "runs.csv")
    if runs.duplicated(["trial", "task"]).any():  # a generation run again after a cut
        runs = runs.drop_duplicates(["trial", "task"], keep="last")
        runs.to_csv(out / "runs.csv", index=False)
    runs[runs["trial"].isin(front["trial"])].to_csv(out / "pareto_runs.csv", index=False)
    folder = out / "pareto"
    folder.mkdir(exist_ok=True)
    for _, row in front.iterrows():
        write_bundle(problem, row, folder / f"{row['bundle']}.toml")
    if len(problem.objectives) >= 2:
        x, y = problem.objectives[0], problem.objectives[-1]
        colour = problem.objectives[1] if len(problem.objectives) > 2 else None
        fig = figures.tradeoff_figure(table, dict(OUTCOMES), x, y, colour)
        fig.savefig(out / "tradeoffs.png", dpi=110, bbox_inches="tight")
    setting = problem.setting
    manifest = {**run_manifest(setting.scenario, setting.seed, setting.months,
                               setting.households or int(setting.scenario[
                                   "population.households"]), CANDIDATE),
                "kind": "sanisim optimise", "name": problem.name, "file": problem.path,
                "file_text": problem.text, "digest": problem.digest,
                "scenario": problem.setting.scenario.name,
                "config_hash": problem.setting.scenario.config_hash,
                "objectives": {o: "maximise" if OUTCOMES[o] else "minimise"
                               for o in problem.objectives},
                "robust": f"quantile {problem.quantile:g} of each benefit, "
                          f"{1 - problem.quantile:g} of each cost, over the runs of a mix",
                "runs_per_mix": max(problem.setting.posterior_draws, 1)
                * problem.setting.replicates,
                "interval_holds": problem.setting.interval_holds,
                "budgets": {k: list(v) for k, v in problem.budgets.items()},
                "discount_rate": problem.setting.discount_rate,
                "optimiser": "optuna NSGA-II", "seed": problem.setting.seed,
                "population": problem.population, "mixes": len(table),
                "pareto": front["bundle"].tolist(),
                "funding_splits": {k: {"shares": dict(v),
                                       "source": getattr(v, "source", "declared")}
                                   for k, v in setting.splits.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return front


def write_bundle(problem: Problem, row: pd.Series, path: Path) -> None:
    """A scenario file that extends the problem's scenario with the mix as a bundle."""
    scenario = problem.setting.scenario
    base = Path(scenario.path).resolve()
    name = row["bundle"]
    strategies, members = {}, []
    for lever in problem.levers:
        if not row[f"use:{lever.name}"]:
            continue
        start = int(row[f"start:{lever.name}"])
        strategies[lever.name] = {
            "budget": round(float(row[f"intensity:{lever.name}"]) * lever.budget, 2),
            "start": start, "end": min(start + lever.duration - 1, problem.setting.months)}
        members.append(lever.name)
    data = {"extends": os.path.relpath(base, path.parent.resolve()),
            "name": f"{scenario.name}_{name}",
            "description": f"Mix {name} of {problem.name} (sanisim optimise): "
                           + (", ".join(members) or "no programme"),
            "strategies": strategies, "bundles": {name: members}}
    objectives = ", ".join(f"{o} {row[o]:,.4g}" for o in problem.objectives)
    header = (f"# Pareto mix {name} of {problem.path} (robust objectives: {objectives})\n"
              f"# run: sanisim run {path.name} --strategy {name}\n")
    path.write_text(header + tomli_w.dumps(data))


# --------------------------------------------------------------------------- command line


def cmd_optimise(args: argparse.Namespace) -> int:
    problem = load(args.file)
    try:
        import optuna  # noqa: F401, PLC0415
    except ImportError:
        raise InputError("sanisim optimise", None, "needs Optuna: pip install -e "
                         "'.[optimise]'") from None
    out = Path(args.out) if args.out else Path("results") / "optimise" / problem.name
    with open_executor(chosen_backend(args.backend, args.scheduler), args.workers,
                       args.scheduler) as handle:
        front = optimise(problem, out, handle.executor, trials=args.trials)
    print(f"sanisim optimise: {problem.name}: Pareto set of {len(front)} mix(es) -> {out}")
    for _, row in front.iterrows():
        values = ", ".join(f"{o} {row[o]:,.4g}" for o in problem.objectives)
        print(f"  {row['bundle']:12} {row['members']}: {values}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add ``sanisim optimise``."""
    parser = verbs.add_parser("optimise", help="search mix, intensity and timing of "
                              "strategies for budgets per funder and year (NSGA-II)")
    parser.add_argument("file", help="optimise file (TOML with [optimise] and [budgets])")
    parser.add_argument("--out", default=None,
                        help="output folder (default results/optimise/NAME); an existing "
                             "search there is continued")
    parser.add_argument("--trials", type=positive, default=None,
                        help="mixes to evaluate in all (default: the file's trials)")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_optimise)
