"""Parameter sweeps: an outcome at the horizon against each parameter a batch varies.

A batch with a ``[grid]`` or ``[lhs]`` design runs every strategy bundle at several parameter
points. Its parameter points are not strategies: the question is how an outcome responds to
a parameter, per strategy, not which point is "best". :func:`sweep_table` answers it as one
row per scenario x bundle x swept parameter x level x outcome:

- a parameter with few distinct values (a grid axis, at most :data:`GRID_LEVELS`): one level
  per value;
- a parameter with many values (a Latin hypercube): :data:`LHS_BINS` bins of equal run count
  (quantiles of the values); the level's ``value`` is the median value in the bin, and
  ``value_low``/``value_high`` its range.

``mean``, ``low``, ``high`` are the mean of the outcome over every run at that level and the
t-based 95% confidence interval of that mean. When the design sweeps more than one parameter,
the runs at a level of one parameter span the other swept parameters (``pooled_over`` names
them): the view is marginal, the band holds their effect as well as chance, and the report says
so rather than hide the other axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sanisim.analysis.summaries import (
    _holding,
    finished_runs,
    run_metrics,
    t_interval,
)
from sanisim.runs.results import PARAM_PREFIX, Results

#: Run-level outcomes a sweep shows (shares 0-1 at each run's last month).
SWEEP_OUTCOMES: tuple[str, ...] = ("basic_or_better_end", "open_defecation_end",
                                   "safely_managed_end")
#: A swept parameter with at most this many distinct values is shown value by value.
GRID_LEVELS = 12
#: Bins (of equal run count) for a parameter with more distinct values (a Latin hypercube).
LHS_BINS = 6


def swept_parameters(results: Results) -> list[str]:
    """The ``param:`` columns that take more than one value among the finished runs."""
    runs = finished_runs(results)
    return [c for c in results.param_columns if runs[c].nunique(dropna=True) > 1]


def _levels(values: pd.Series) -> tuple[pd.Series, str]:
    """Each run's level of a swept parameter, and the kind of levels ("value" or "bin")."""
    if values.nunique() <= GRID_LEVELS:
        return values.astype(float), "value"
    ranks = values.rank(method="first")
    return pd.qcut(ranks, LHS_BINS, labels=False).astype(int), "bin"


def sweep_table(results: Results, metrics: pd.DataFrame | None = None,
                outcomes: Sequence[str] = SWEEP_OUTCOMES) -> pd.DataFrame:
    """The outcomes against every swept parameter, per scenario and bundle (see the module
    docstring for the columns). Empty when the batch sweeps no parameter."""
    swept = swept_parameters(results)
    columns = ["scenario", "bundle", "parameter", "level_kind", "value", "value_low",
               "value_high", "outcome", "runs", "points", "mean", "low", "high", "pooled_over"]
    if not swept:
        return pd.DataFrame(columns=[*columns, "interval_holds"])
    metrics = run_metrics(results) if metrics is None else metrics
    outcomes = [o for o in outcomes if o in metrics.columns]
    rows = []
    for column in swept:
        others = ", ".join(c.removeprefix(PARAM_PREFIX) for c in swept if c != column)
        level, kind = _levels(metrics[column].astype(float))
        frame = metrics.assign(_level=level)
        for (scenario, bundle, lvl), group in frame.groupby(
                ["scenario", "bundle", "_level"], sort=False):
            values = group[column].astype(float)
            point = [c for c in results.param_columns]
            for outcome in outcomes:
                mean, low, high = t_interval(group[outcome].to_numpy(float))
                rows.append({
                    "scenario": scenario, "bundle": bundle,
                    "parameter": column.removeprefix(PARAM_PREFIX), "level_kind": kind,
                    "value": float(values.median()) if kind == "bin" else float(lvl),
                    "value_low": float(values.min()), "value_high": float(values.max()),
                    "outcome": outcome, "runs": int(len(group)),
                    "points": int(group[point].drop_duplicates().shape[0]),
                    "mean": mean, "low": low, "high": high, "pooled_over": others})
    out = pd.DataFrame(rows, columns=columns)
    out = out.sort_values(["scenario", "parameter", "bundle", "outcome", "value"],
                          kind="stable").reset_index(drop=True)
    return _holding(out, results)


def outcome_range(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per scenario, parameter and bundle: the outcome at the lowest and highest level."""
    part = table[table["outcome"] == outcome].sort_values("value", kind="stable")
    rows = []
    for key, group in part.groupby(["scenario", "parameter", "bundle"], sort=False):
        first, last = group.iloc[0], group.iloc[-1]
        rows.append({"scenario": key[0], "parameter": key[1], "bundle": key[2],
                     "value_first": first["value"], "mean_first": first["mean"],
                     "value_last": last["value"], "mean_last": last["mean"],
                     "change": last["mean"] - first["mean"],
                     "spread": float(np.nanmax(group["mean"]) - np.nanmin(group["mean"]))})
    return pd.DataFrame(rows)
