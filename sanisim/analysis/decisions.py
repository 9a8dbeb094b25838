"""The questions officials ask of a results store: when a target is met, at what cost per
additional household and for whom, ODF communities and the health of the loan funds.

Each function takes a :class:`sanisim.runs.results.Results` (and optionally its
:func:`~sanisim.analysis.summaries.run_metrics`) and returns a tidy table, one row per arm and
target, funder, group or measure; intervals as in :mod:`sanisim.analysis.summaries`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sanisim.analysis.economics import classify
from sanisim.analysis.paired import paired_metrics
from sanisim.analysis.summaries import (
    BASELINE,
    COST_FUNDERS,
    EQUITY_GROUPS,
    SUMMARY_COLUMNS,
    TARGETS,
    Target,
    _end_rows,
    _holding,
    _monthly,
    _ordered,
    bootstrap_ratio,
    censored_quantile,
    design_keys,
    interval_holds,
    pair_keys,
    run_metrics,
    summarise_metrics,
    t_interval,
)
from sanisim.runs.results import Results

# --------------------------------------------------------------------------- targets


def time_to_target(results: Results, targets: Sequence[Target] = TARGETS,
                   metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per arm and target: how many runs reach it, and when (median and 95% of runs).

    ``median``, ``p2_5``, ``p97_5`` are quantiles of the first month the target holds, with
    runs that never reach it counted as later than the horizon; a quantile that falls among
    those runs is NaN ("not reached"). ``end_mean`` (with t-based CI ``end_low``,
    ``end_high``) is the measure's mean at the horizon, to see who comes closest.
    """
    metrics = run_metrics(results) if metrics is None else metrics
    monthly = _end_rows(_monthly(results))
    keys = design_keys(results)
    rows = []
    for target in targets:
        per_run = metrics[[*keys, "run_key", "horizon", f"month_{target.name}"]].merge(
            monthly[["run_key", target.measure]], on="run_key")
        for arm_key, group in per_run.groupby(keys, dropna=False, sort=False):
            months = group[f"month_{target.name}"].to_numpy(float)
            times = np.where(np.isnan(months), np.inf, months)
            horizons = group["horizon"].to_numpy(float)  # never reached: censored there
            reached = np.isfinite(times)
            end_mean, end_low, end_high = t_interval(group[target.measure].to_numpy(float))
            rows.append({
                **dict(zip(keys, arm_key if isinstance(arm_key, tuple) else (arm_key,),
                           strict=True)),
                "target": target.name, "measure": target.measure,
                "threshold": target.threshold, "runs": int(times.size),
                "reached": int(reached.sum()), "never_reached": int((~reached).sum()),
                "share_reached": float(reached.mean()),
                "median": censored_quantile(times, 0.5, horizons),
                "p2_5": censored_quantile(times, 0.025, horizons),
                "p97_5": censored_quantile(times, 0.975, horizons),
                "first": float(times[reached].min()) if reached.any() else math.nan,
                "last": float(times[reached].max()) if reached.any() else math.nan,
                "horizon": int(group["horizon"].max()),
                "end_mean": end_mean, "end_low": end_low, "end_high": end_high,
            })
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    rank = {t.name: k for k, t in enumerate(targets)}
    out = out.assign(_target=out["target"].map(rank))
    return _holding(_ordered(out, results, extra=["_target"]).drop(columns="_target"), results)


# --------------------------------------------------------------------------- costs


#: Outcomes a cost per additional household can be taken of: the households at this rung (or
#: better) at the horizon (a :func:`run_metrics` column ``households_<measure>_end``).
COST_MEASURES: tuple[str, ...] = ("basic_or_better", "safely_managed")


def costs(results: Results, baseline: str = BASELINE, metrics: pd.DataFrame | None = None,
          seed: int = 0, measure: str = "basic_or_better") -> pd.DataFrame:
    """Cost per additional household at basic or better (or, with ``measure`` =
    "safely_managed", per additional safely managed household), by funder, against the
    baseline.

    Per strategy arm and funder (households, government, cooperatives (net), donors, total):
    ``pairs``; additional households at the horizon (``households_mean/low/high``, paired
    difference, t-based CI); additional cost in rupiah over the horizon (``cost_mean/low/high``);
    ``cost_per_household`` = mean extra cost / mean extra households, with a 95% percentile
    bootstrap interval over pairs (``cph_low``, ``cph_high``), only where the arm costs more
    in total and gains households on average; the funders' rows then split that positive
    total (a funder's negative share is what it saves). Otherwise NaN in every row of the arm,
    and ``cost_class`` says in words what the arm (row ``total``) or the funder does:
    ``cost-saving``, ``dominated``, ``saves money, fewer households`` or ``more households at
    a cost`` (:func:`sanisim.analysis.economics.classify`). The total's ratio is never
    negative.
    ``frontier`` marks arms on the efficient frontier of total cost against households gained
    (baseline at the origin; dominated and extendedly dominated arms are off it).
    """
    if measure not in COST_MEASURES:
        raise ValueError(f"measure must be one of {COST_MEASURES}, not {measure!r}")
    metrics = run_metrics(results) if metrics is None else metrics
    keys = pair_keys(results)
    design = design_keys(results)
    cost_cols = [f"cost_{f}" for f in COST_FUNDERS]
    households = f"households_{measure}_end"
    base = metrics[metrics["bundle"] == baseline]
    arm = metrics[metrics["bundle"] != baseline]
    cols = [households, *cost_cols]
    joined = arm[[*keys, "bundle", *cols]].merge(base[[*keys, *cols]], on=keys,
                                                 suffixes=("", "__base"))
    rows = []
    for arm_id, (arm_key, group) in enumerate(joined.groupby(design, dropna=False, sort=False)):
        gained = (group[households] - group[f"{households}__base"]).to_numpy(float)
        g_mean, g_low, g_high = t_interval(gained)
        extra_total = (group["cost_total"] - group["cost_total__base"]).to_numpy(float)
        # a ratio only where the arm costs more in total and gains households; each funder's
        # share of it then splits the total (a funder's negative share is its saving)
        ratio = classify(extra_total.mean(), g_mean) == "more households at a cost"
        for funder in COST_FUNDERS:
            extra = (group[f"cost_{funder}"] - group[f"cost_{funder}__base"]).to_numpy(float)
            c_mean, c_low, c_high = t_interval(extra)
            kind = classify(c_mean, g_mean)
            cph = c_mean / g_mean if ratio else math.nan
            cph_low, cph_high = (bootstrap_ratio(extra, gained, seed=seed) if ratio
                                 else (math.nan, math.nan))
            rows.append({**dict(zip(design, _as_tuple(arm_key), strict=True)),
                         "baseline": baseline, "measure": measure, "funder": funder,
                         "pairs": int(gained.size),
                         "households_mean": g_mean, "households_low": g_low,
                         "households_high": g_high, "cost_mean": c_mean, "cost_low": c_low,
                         "cost_high": c_high, "cost_per_household": cph,
                         "cph_low": cph_low, "cph_high": cph_high, "cost_class": kind,
                         "_arm": arm_id})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    total = out[out["funder"] == "total"]
    on_frontier: set[int] = set()
    for _, group in total.groupby(["scenario", *results.param_columns], dropna=False,
                                  sort=False):
        on = efficient_frontier(group["households_mean"].to_numpy(float),
                                group["cost_mean"].to_numpy(float))
        on_frontier.update(group["_arm"].to_numpy()[on].tolist())
    out["frontier"] = out["_arm"].isin(on_frontier)
    return _holding(_ordered(out.drop(columns="_arm"), results), results)


def efficient_frontier(gain: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Which options are on the cost-effectiveness frontier, with a do-nothing option at (0, 0).

    An option is off the frontier if another (or a mix of two others, "extended dominance")
    gains at least as much for less. The frontier is the lower convex hull of the points from
    the cheapest option to the most effective one.
    """
    gain = np.asarray(gain, float)
    cost = np.asarray(cost, float)
    ok = np.isfinite(gain) & np.isfinite(cost)
    points = [(0.0, 0.0, -1)] + [(float(gain[i]), float(cost[i]), i)
                                 for i in np.flatnonzero(ok)]
    points.sort(key=lambda p: (p[0], -p[1]))  # equal gain: the cheaper one comes last, wins
    hull: list[tuple[float, float, int]] = []
    for p in points:
        while len(hull) >= 2:
            (x1, y1, _), (x2, y2, _) = hull[-2], hull[-1]
            # pop the last point if it lies above the line to p (options on one line,
            # with equal incremental cost-effectiveness, all stay on the frontier)
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) < 0:
                hull.pop()
            else:
                break
        if hull and hull[-1][0] == p[0] and hull[-1][1] >= p[1]:
            hull.pop()
        hull.append(p)
    cheapest = min(range(len(hull)), key=lambda k: (hull[k][1], -hull[k][0]))
    on = np.zeros(gain.size, bool)
    for _, _, i in hull[cheapest:]:
        if i >= 0:
            on[i] = True
    return on


# --------------------------------------------------------------------------- equity, ODF, loans


def equity(results: Results, baseline: str = BASELINE,
           metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Basic or better by income quintile and gender of the decision maker, per arm.

    Per arm × group: ``start`` and ``end`` (mean share), ``end_low``/``end_high`` (t-based CI),
    ``gain`` (end − start, mean), and the paired difference at the end from the baseline arm
    (``vs_baseline``, ``vs_baseline_low``, ``vs_baseline_high``; NaN for the baseline arm).
    Empty when the store has no equity columns.
    """
    metrics = run_metrics(results) if metrics is None else metrics
    columns = [*design_keys(results), "dimension", "group", "n", "start", "end", "end_low",
               "end_high", "gain", "vs_baseline", "vs_baseline_low", "vs_baseline_high",
               "interval_holds"]
    present = [(d, g) for d, g, _ in EQUITY_GROUPS if f"basic_or_better_{g}_end" in metrics]
    if not present:
        return pd.DataFrame(columns=columns)
    design = design_keys(results)
    end_cols = [f"basic_or_better_{g}_end" for _, g in present]
    start_cols = [f"basic_or_better_{g}_start" for _, g in present]
    level = summarise_metrics(results, end_cols + start_cols, metrics)
    paired = paired_metrics(results, end_cols, baseline, metrics)
    frames = []
    for dimension, group in present:
        end = level.loc[level["measure"] == f"basic_or_better_{group}_end",
                        [*design, "n", "mean", "low", "high"]].rename(
            columns={"mean": "end", "low": "end_low", "high": "end_high"})
        start = level.loc[level["measure"] == f"basic_or_better_{group}_start",
                          [*design, "mean"]].rename(columns={"mean": "start"})
        diff = paired.loc[paired["measure"] == f"basic_or_better_{group}_end",
                          [*design, "mean", "low", "high"]].rename(
            columns={"mean": "vs_baseline", "low": "vs_baseline_low",
                     "high": "vs_baseline_high"})
        part = end.merge(start, on=design, how="left").merge(diff, on=design, how="left")
        part["gain"] = part["end"] - part["start"]
        frames.append(part.assign(dimension=dimension, group=group,
                                  interval_holds=interval_holds(results)))
    out = pd.concat(frames, ignore_index=True)[columns]
    return _ordered(out, results)


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)


ODF_METRICS: tuple[str, ...] = ("odf_communities_start", "odf_communities_end",
                                "odf_slipped_total", "communities")
LOAN_METRICS: tuple[str, ...] = ("loans_issued", "loans_repaid", "loans_written_off",
                                 "write_off_rate", "loan_repayments", "fund_start",
                                 "funds_injected", "fund_balance_end",
                                 "outstanding_principal_end", "written_off_principal_end",
                                 "fund_kept", "loans_in_arrears_end", "portfolio_at_risk")


def _level_and_paired(results: Results, columns: Sequence[str], paired_columns: Sequence[str],
                      baseline: str, metrics: pd.DataFrame | None) -> pd.DataFrame:
    metrics = run_metrics(results) if metrics is None else metrics
    level = summarise_metrics(results, columns, metrics).assign(kind="level")
    paired = paired_metrics(results, paired_columns, baseline, metrics).assign(
        kind="vs_baseline")
    level.insert(len(design_keys(results)), "baseline", None)
    out = pd.concat([level, paired], ignore_index=True)
    cols = [*design_keys(results), "kind", "baseline", "measure", *SUMMARY_COLUMNS]
    return _holding(out[cols], results)


def odf(results: Results, baseline: str = BASELINE,
        metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """ODF communities (RTs) at start and end, and slippage, per arm (``kind`` "level"), and
    the paired differences from the baseline arm (``kind`` "vs_baseline")."""
    return _level_and_paired(results, ODF_METRICS, ("odf_communities_end", "odf_slipped_total"),
                             baseline, metrics)


def loan_fund(results: Results, baseline: str = BASELINE,
              metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Loan-fund health per arm: loans issued, write-offs, repayments, cash and loans out at
    the end, the share of the starting fund kept (cash + principal outstanding) and the
    portfolio at risk (loans in arrears / loans outstanding); plus paired differences."""
    return _level_and_paired(results, LOAN_METRICS,
                             ("loans_issued", "loans_written_off", "fund_kept"), baseline,
                             metrics)
