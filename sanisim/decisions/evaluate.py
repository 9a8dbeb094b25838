"""One decision run and many: a bundle at a posterior draw and seed, in; its outcomes, the
first month each target holds and its costs per budget and year, out.

A decision run is an ordinary model run (:class:`~sanisim.model.SanitationModel`, the same
monthly step and monthly table as ``sanisim run``) that also reads what each strategy has
spent after every month, so that each strategy's cost can be assigned to the budgets that pay
for it (:func:`sanisim.ledger.account_costs`). :func:`evaluate` runs a list of them on any
``concurrent.futures`` executor through :func:`sanisim.runs.replicates.run_all`: results in
task order, whatever the executor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sanisim.decisions.settings import Setting, Target
from sanisim.ledger import (
    BUDGETS,
    PUBLIC_BUDGETS,
    account_costs,
    budget_costs,
    cumulative_costs,
    yearly_budget_costs,
)
from sanisim.model import SanitationModel
from sanisim.runs.points import scenario_at
from sanisim.runs.posterior import applicable
from sanisim.runs.replicates import run_all
from sanisim.scenario import Scenario
from sanisim.streams import replicate_seeds

#: Outcomes of a run at the horizon, with whether more is better (see docs/decisions.md).
OUTCOMES: dict[str, bool] = {
    "basic_or_better": True,      # households at basic or better
    "safely_managed": True,       # households with safely managed sanitation
    "poorest_fifth": True,        # share of the poorest income fifth at basic or better
    "months_to_odf": False,       # first month without open defecation (horizon + 1: never)
    "public_cost": False,         # public money (APBD, DAK, BAZNAS, donors), discounted, rupiah
}


@dataclass(frozen=True)
class Task:
    """One decision run: which scenario, bundle, draw and seed."""

    scenario: Scenario
    bundle: str
    draw: int | None
    point: tuple[tuple[str, Any], ...]  # the draw's parameters, then the context point's
    replicate: int
    seed: int
    months: int
    households: int | None
    discount_rate: float
    splits: Mapping[str, Mapping[str, float]]
    targets: tuple[Target, ...]
    context: int = 0  # which context point (0 without a context design)


#: Prefix of the outcome columns holding the parameters a run set (draw and context).
INPUT_PREFIX = "input:"


def run_task(task: Task) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run one task; return its outcome row and its yearly costs per budget (long; the column
    ``programme_cost`` holds the part spent by the bundle's strategies, undiscounted)."""
    point = applicable(dict(task.point), task.scenario)
    scenario = scenario_at(task.scenario, point, source=f"draw {task.draw}") if point \
        else task.scenario
    model = SanitationModel(scenario, seed=task.seed, households=task.households,
                            bundle=task.bundle)
    strategies = list(model.strategies)
    spent = [{"month": 0, **{s.name: s.spent for s in strategies}}]
    for _ in range(task.months):
        model.step()
        spent.append({"month": model.month, **{s.name: s.spent for s in strategies}})
    monthly = model.monthly_table()
    accounts = account_costs(monthly, pd.DataFrame(spent),
                             {s.name: s.funder for s in strategies})
    splits = {name: task.splits[name] for name in accounts.columns
              if name in task.splits}
    budgets = budget_costs(accounts, splits)
    yearly = yearly_budget_costs(budgets, task.discount_rate)
    programmes = account_costs_of(accounts, [s.name for s in strategies])
    yearly["programme_cost"] = yearly_budget_costs(budget_costs(programmes, splits),
                                                   task.discount_rate)["cost"]
    recorded = float(cumulative_costs(monthly)["total"].iloc[-1])
    booked = float(yearly["cost"].sum())
    if not np.isclose(booked, recorded, rtol=1e-9, atol=1.0):  # the rule of sanisim.ledger
        raise RuntimeError(f"costs do not balance: {booked:,.0f} by budget and year, "
                           f"{recorded:,.0f} recorded")
    n = model.households.n
    last = monthly.iloc[-1]
    by_budget = yearly.groupby("budget")[["cost", "cost_discounted"]].sum()
    row: dict[str, Any] = {
        "bundle": task.bundle, "point": task.context, "draw": task.draw,
        "replicate": task.replicate,
        "seed": task.seed, "households": n, "months": task.months,
        "basic_or_better": float(last["basic_or_better"]) * n,
        "safely_managed": float(last["safely_managed"]) * n,
        "poorest_fifth": float(last["basic_or_better_q1"]),
        "months_to_odf": _first_month(monthly, Target("odf", "open_defecation", 0.0, True),
                                      task.months),
        "public_cost": float(by_budget.loc[list(PUBLIC_BUDGETS), "cost_discounted"].sum()),
        "public_cost_undiscounted": float(by_budget.loc[list(PUBLIC_BUDGETS), "cost"].sum()),
        "household_cost": float(by_budget.loc["households", "cost_discounted"]),
        "cooperative_cost": float(by_budget.loc["cooperatives", "cost_discounted"]),
        "recorded_cost": recorded,
    }
    for target in task.targets:
        row[f"month_{target.name}"] = _first_month(monthly, target, task.months)
    row.update({INPUT_PREFIX + key: value for key, value in task.point})
    yearly.insert(0, "bundle", task.bundle)
    yearly.insert(1, "point", task.context)
    yearly.insert(2, "draw", task.draw)
    yearly.insert(3, "replicate", task.replicate)
    return row, yearly


def account_costs_of(accounts: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The accounts of the strategies ``names`` only: the programmes' own spending, which
    budgets constrain (routine spending, households and cooperatives left out)."""
    return accounts[["month", *names]]


def _first_month(monthly: pd.DataFrame, target: Target, months: int) -> int:
    """First month (>= 0) the target holds; ``months + 1`` when it never does by the horizon."""
    hit = monthly.loc[target.reached(monthly[target.measure].to_numpy(float)), "month"]
    return int(hit.iloc[0]) if len(hit) else months + 1


def tasks_for(setting: Setting, bundles: Sequence[str], scenario: Scenario | None = None,
              contexts: Sequence[Mapping[str, Any]] = ({},)) -> list[Task]:
    """Every (context point, draw, replicate, bundle) of a setting; seeds shared across
    bundles, draws and context points (common random numbers)."""
    scenario = scenario or setting.scenario
    seeds = replicate_seeds(setting.seed, setting.replicates)
    return [Task(scenario, bundle, draw, (*point.items(), *context.items()), replicate, seed,
                 setting.months, setting.households, setting.discount_rate,
                 dict(setting.splits), setting.targets, number)
            for number, context in enumerate(contexts)
            for draw, point in setting.draws
            for replicate, seed in enumerate(seeds)
            for bundle in bundles]


@dataclass
class Evaluation:
    """Outcomes (one row per run) and yearly costs per budget (long) of many runs."""

    outcomes: pd.DataFrame
    yearly: pd.DataFrame


def evaluate(tasks: Sequence[Task], executor: Executor | None = None,
             runner: Callable[[Task], tuple[dict[str, Any], pd.DataFrame]] = run_task
             ) -> Evaluation:
    """Run every task with ``runner`` (on ``executor``, or in this process) and gather the
    results; the column ``task`` of both tables is the task's position in ``tasks``."""
    results = run_all(runner, [(task,) for task in tasks], executor)
    outcomes = pd.DataFrame([{**row, "task": i} for i, (row, _) in enumerate(results)])
    yearly = pd.concat([frame.assign(task=i) for i, (_, frame) in enumerate(results)],
                       ignore_index=True)
    yearly["budget"] = pd.Categorical(yearly["budget"], BUDGETS)
    return Evaluation(outcomes, yearly)
