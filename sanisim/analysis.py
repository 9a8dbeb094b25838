"""Tidy summaries of a results store: replicates, paired differences, targets, costs, equity.

Every function takes a :class:`sanisim.results.Results` (from
:func:`sanisim.experiment.load_results`, or :func:`results_from_runs` for a few in-process runs)
and returns a tidy pandas DataFrame: one row per arm (scenario × bundle × parameter point),
and per month, measure, target, funder or group where that applies.

Intervals (stated once, used everywhere; see ``docs/report.md``):

``mean``, ``low``, ``high``
    mean over replicates and the **t-based 95% confidence interval of that mean**:
    ``mean ± t(0.975, n-1) · sd / sqrt(n)``. It says how well the replicates pin down the
    expected outcome; it narrows as replicates are added.
``median``, ``p2_5``, ``p97_5``
    median over replicates and the **2.5th and 97.5th percentiles of the replicates**
    (linear interpolation): the range in which 95% of single runs fall. It does not narrow
    with more replicates; it shows run-to-run variation.

With posterior draws in the design (``posterior_draw`` in the run table), the runs of an arm
are pooled over draws *and* replicates: ``n`` is draws x replicates, the percentiles are
those of every run of the arm, and the spread holds parameter uncertainty as well as seed
noise. Every summary table carries ``interval_holds`` (:func:`interval_holds`): "seed noise"
or "seed noise and parameter uncertainty (N posterior draws)".

Paired differences subtract, replicate by replicate, the baseline arm's value from the
strategy arm's value for runs with the same scenario, replicate, parameter point and
posterior draw (hence the same seed, population and network: common random numbers), then
summarise the differences as above. Cost per additional household is a ratio of means over the pairs
(mean extra cost / mean extra households) with a percentile bootstrap interval over pairs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sanisim.ladder import RUNG_COLUMNS
from sanisim.posterior import POSTERIOR_DRAW
from sanisim.posterior import interval_holds as holds_text
from sanisim.results import PARAM_PREFIX, Results
from sanisim.streams import replicate_seeds, seed_stream

log = logging.getLogger(__name__)

BASELINE = "baseline"
LADDER_MEASURES: tuple[str, ...] = (*RUNG_COLUMNS, "basic_or_better")
FUNDERS: tuple[str, ...] = ("households", "government", "cooperatives", "donors")
COST_FUNDERS: tuple[str, ...] = (*FUNDERS, "total")

#: Equity groups: (dimension, group, monthly column).
EQUITY_GROUPS: tuple[tuple[str, str, str], ...] = (
    *(("income_quintile", f"q{q}", f"basic_or_better_q{q}") for q in range(1, 6)),
    ("gender", "female", "basic_or_better_female"),
    ("gender", "male", "basic_or_better_male"),
)

SUMMARY_COLUMNS: tuple[str, ...] = ("n", "mean", "sd", "low", "high", "median", "p2_5",
                                    "p97_5")
BOOTSTRAP_SAMPLES = 2000


@dataclass(frozen=True)
class Target:
    """A policy target on a monthly measure: reached in the first month the test holds."""

    name: str
    measure: str
    threshold: float
    at_most: bool  # True: measure <= threshold; False: measure >= threshold

    def reached(self, values: np.ndarray) -> np.ndarray:
        eps = 1e-12
        if self.at_most:
            return values <= self.threshold + eps
        return values >= self.threshold - eps


TARGETS: tuple[Target, ...] = (
    Target("zero_open_defecation", "open_defecation", 0.0, at_most=True),
    Target("basic_90", "basic_or_better", 0.90, at_most=False),
)


# --------------------------------------------------------------------------- design helpers


def design_keys(results: Results) -> list[str]:
    """Columns that name an arm: scenario, bundle and the varied parameters."""
    return ["scenario", "bundle", *results.param_columns]


def pair_keys(results: Results) -> list[str]:
    """Columns that pair runs across arms: same scenario, parameter point, posterior draw (if
    the design has draws) and replicate."""
    draw = [POSTERIOR_DRAW] if POSTERIOR_DRAW in results.runs.columns else []
    return ["scenario", *results.param_columns, *draw, "replicate"]


def posterior_draws(results: Results) -> int:
    """How many posterior draws the finished runs span (0: the design has none)."""
    if POSTERIOR_DRAW not in results.runs.columns:
        return 0
    runs = finished_runs(results)
    return int(runs[POSTERIOR_DRAW].nunique()) if len(runs) else int(
        results.runs[POSTERIOR_DRAW].nunique())


def interval_holds(results: Results) -> str:
    """What the intervals of ``results`` hold: "seed noise", or "seed noise and parameter
    uncertainty (N posterior draws)" when the runs span posterior draws."""
    return holds_text(posterior_draws(results))


def _holding(frame: pd.DataFrame, results: Results) -> pd.DataFrame:
    """``frame`` with the column ``interval_holds`` (what its intervals hold)."""
    return frame.assign(interval_holds=interval_holds(results))


def finished_runs(results: Results) -> pd.DataFrame:
    """The run table restricted to finished runs that have monthly rows."""
    runs = results.runs
    if "status" in runs.columns:
        runs = runs[runs["status"] == "done"]
    runs = runs[runs["run_key"].isin(results.monthly["run_key"].unique())]
    return runs.drop(columns=["status", "error"], errors="ignore").reset_index(drop=True)


def bundle_order(results: Results, baseline: str = BASELINE) -> list[str]:
    """Bundles in run-table order, the baseline first."""
    order = list(dict.fromkeys(results.runs["bundle"]))
    if baseline in order:
        order.remove(baseline)
        order.insert(0, baseline)
    return order


def arms(results: Results, baseline: str = BASELINE) -> pd.DataFrame:
    """One row per arm (design keys), in display order, with its run count and label."""
    keys = design_keys(results)
    runs = finished_runs(results)
    table = runs.groupby(keys, dropna=False, sort=False).size().rename("runs").reset_index()
    return _ordered(table, results, baseline).assign(arm=lambda f: arm_labels(f, results))


def arm_labels(frame: pd.DataFrame, results: Results, lang: str = "en",
               short: bool = False) -> pd.Series:
    """Human label per row: bundle name, plus scenario and parameter values when they vary."""
    from sanisim import i18n

    scenarios = results.runs["scenario"].nunique() > 1
    params = [c for c in results.param_columns if results.runs[c].nunique(dropna=False) > 1]

    def label(row: pd.Series) -> str:
        parts = [i18n.bundle_name(str(row["bundle"]), lang, short)]
        extra = [str(row["scenario"])] if scenarios else []
        extra += [f"{c.removeprefix(PARAM_PREFIX).split('.')[-1]}={_fmt_param(row[c])}"
                  for c in params]
        return parts[0] + (f" ({', '.join(extra)})" if extra else "")

    if frame.empty:
        return pd.Series([], dtype=str, index=frame.index)
    return frame.apply(label, axis=1)


def _fmt_param(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _ordered(frame: pd.DataFrame, results: Results, baseline: str = BASELINE,
             extra: Sequence[str] = ()) -> pd.DataFrame:
    """Sort rows by arm (bundle order of the run table, baseline first), then ``extra``."""
    if frame.empty:
        return frame.reset_index(drop=True)
    rank = {b: i for i, b in enumerate(bundle_order(results, baseline))}
    keys = ["scenario", *results.param_columns]
    frame = frame.assign(_rank=frame["bundle"].map(rank).fillna(len(rank)))
    frame = frame.sort_values([*keys, "_rank", *extra], kind="stable", na_position="first")
    return frame.drop(columns="_rank").reset_index(drop=True)


def _monthly(results: Results) -> pd.DataFrame:
    runs = finished_runs(results)
    return results.monthly.merge(runs, on="run_key", how="inner")


def _end_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    last = monthly.groupby("run_key")["month"].transform("max")
    return monthly[monthly["month"] == last]


# --------------------------------------------------------------------------- statistics


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t-based confidence interval (NaN bounds for fewer than two values)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = stdtrit(n - 1, 0.5 + level / 2) * values.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def describe(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Long summary of ``columns`` per group of ``keys``: one row per group × measure.

    Columns ``n, mean, sd, low, high`` (t-based 95% CI of the mean) and ``median, p2_5,
    p97_5`` (percentiles of the replicates).
    """
    keys = list(keys)
    long = frame.melt(id_vars=keys, value_vars=list(columns), var_name="measure",
                      value_name="value")
    return describe_long(long, keys)


def describe_long(long: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """As :func:`describe`, for a long frame with ``measure`` and ``value`` columns."""
    keys = list(keys)
    long = long.assign(value=pd.to_numeric(long["value"], errors="coerce").astype(float))
    grouped = long.groupby([*keys, "measure"], dropna=False, sort=False)["value"]
    out = grouped.agg(n="count", mean="mean", sd="std", median="median")
    out["p2_5"] = grouped.quantile(0.025)
    out["p97_5"] = grouped.quantile(0.975)
    n = out["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = np.where(n >= 2, stdtrit(np.maximum(n - 1, 1), 0.975), np.nan)
        half = crit * out["sd"].to_numpy(float) / np.sqrt(n)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    out = out.reset_index()
    return out[[*keys, "measure", *SUMMARY_COLUMNS]]


def censored_quantile(times: np.ndarray, q: float,
                      censored_at: np.ndarray | float | None = None) -> float:
    """Quantile of event months where ``inf`` (or NaN) means the run never reached the target.

    The quantile of the Kaplan-Meier estimate of the event-time distribution
    (:func:`scipy.stats.ecdf` of :class:`scipy.stats.CensoredData`): the first month at which
    the estimated share of runs that reached the target is at least ``q``, or the midpoint to
    the next event month when the estimate equals ``q`` there (so the median of an even
    number of runs that all reach it is the mean of the middle two). A run that never reached
    the target counts as censored at ``censored_at`` (its horizon, scalar or one per run;
    default: after every event). NaN when the estimate never reaches ``q``: the quantile falls
    among (or next to) runs that never reached the target.
    """
    from scipy import stats

    times = np.asarray(times, float)
    reached = np.isfinite(times)
    if not reached.any():
        return math.nan
    if censored_at is None:
        censored_at = times[reached].max()
    right = np.broadcast_to(np.asarray(censored_at, float), times.shape)[~reached]
    cdf = stats.ecdf(stats.CensoredData(uncensored=times[reached], right=right)).cdf
    months, share = cdf.quantiles, cdf.probabilities
    tolerance = 1e-9
    at = np.flatnonzero(share >= q - tolerance)
    if at.size == 0:
        return math.nan
    first = at[0]
    if share[first] > q + tolerance:
        return float(months[first])
    later = np.flatnonzero(share > share[first] + tolerance)  # the next event month
    return float((months[first] + months[later[0]]) / 2) if later.size else math.nan


def bootstrap_ratio(numerator: np.ndarray, denominator: np.ndarray, samples: int =
                    BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of mean(numerator) / mean(denominator) over pairs.

    :func:`scipy.stats.bootstrap` with paired resampling (a pair keeps its numerator and
    denominator together), ``samples`` resamples drawn from the seed's stream
    ``"sanisim.analysis.bootstrap"``. Resamples with a non-positive denominator count as an
    unbounded ratio; a bound that falls among them is NaN (not estimable).
    """
    import warnings

    from scipy import stats

    numerator = np.asarray(numerator, float)
    denominator = np.asarray(denominator, float)
    if numerator.size < 2:
        return math.nan, math.nan

    def ratio(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
        num_mean, den_mean = num.mean(axis=axis), den.mean(axis=axis)
        positive = den_mean > 0
        return np.where(positive, num_mean / np.where(positive, den_mean, 1.0), np.inf)

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        interval = stats.bootstrap(
            (numerator, denominator), ratio, n_resamples=samples, vectorized=True,
            paired=True, confidence_level=0.95, method="percentile",
            rng=seed_stream(seed, "sanisim.analysis.bootstrap")).confidence_interval
    low, high = float(interval.low), float(interval.high)
    return (low if math.isfinite(low) else math.nan,
            high if math.isfinite(high) else math.nan)


# --------------------------------------------------------------------------- replicates


def default_measures(results: Results) -> list[str]:
    present = set(results.monthly.columns)
    wanted = [*LADDER_MEASURES, "odf_communities", "odf_share", "odf_slipped_total",
              *(col for _, _, col in EQUITY_GROUPS)]
    return [m for m in wanted if m in present]


def _select_months(monthly: pd.DataFrame, months: str | Sequence[int] | None) -> pd.DataFrame:
    if months is None:
        return monthly
    if isinstance(months, str):
        if months != "end":
            raise ValueError(f"months must be None, 'end' or a list of months, not {months!r}")
        return _end_rows(monthly)
    return monthly[monthly["month"].isin(list(months))]


def replicate_summary(results: Results, measures: Sequence[str] | None = None,
                      months: str | Sequence[int] | None = None) -> pd.DataFrame:
    """Per arm, month and measure: mean with t-based 95% CI, median with replicate range.

    ``months``: None (every month), "end" (each run's last month) or a list of months.
    """
    measures = list(measures or default_measures(results))
    monthly = _select_months(_monthly(results), months)
    keys = [*design_keys(results), "month"]
    out = describe(monthly, keys, measures)
    return _holding(_ordered(out, results, extra=["month"]), results)


def ladder_end(results: Results) -> pd.DataFrame:
    """The ladder (rung shares and basic or better) at the end of the horizon, per arm."""
    return replicate_summary(results, LADDER_MEASURES, months="end")


def paired_runs(results: Results, measures: Sequence[str] | None = None,
                baseline: str = BASELINE, months: str | Sequence[int] | None = None
                ) -> pd.DataFrame:
    """Replicate-level differences from the baseline arm, per month and measure.

    Columns: design keys (``bundle`` is the strategy arm), ``replicate``, ``month``,
    ``measure``, ``value``, ``baseline_value``, ``difference``.
    """
    measures = list(measures or default_measures(results))
    monthly = _select_months(_monthly(results), months)
    keys = pair_keys(results)
    base = monthly[monthly["bundle"] == baseline]
    arm = monthly[monthly["bundle"] != baseline]
    _check_seeds(arm, base, keys)
    cols = [*keys, "month", *measures]
    joined = arm[[*cols, "bundle"]].merge(base[cols], on=[*keys, "month"],
                                          suffixes=("", "__base"), how="inner")
    frames = []
    for measure in measures:
        part = joined[[*keys, "bundle", "month"]].copy()
        part["measure"] = measure
        part["value"] = joined[measure].astype(float)
        part["baseline_value"] = joined[f"{measure}__base"].astype(float)
        part["difference"] = part["value"] - part["baseline_value"]
        frames.append(part)
    draw = [POSTERIOR_DRAW] if POSTERIOR_DRAW in keys else []
    columns = [*design_keys(results), *draw, "replicate", "month", "measure", "value",
               "baseline_value", "difference"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _check_seeds(arm: pd.DataFrame, base: pd.DataFrame, keys: list[str]) -> None:
    if "seed" not in arm.columns or arm.empty or base.empty:
        return
    a = arm[[*keys, "seed"]].drop_duplicates()
    b = base[[*keys, "seed"]].drop_duplicates()
    both = a.merge(b, on=keys, suffixes=("", "_base"))
    bad = int((both["seed"] != both["seed_base"]).sum())
    if bad:
        log.warning("%d paired runs have a different seed from their baseline run; "
                    "differences then include population and network noise", bad)


def paired_differences(results: Results, measures: Sequence[str] | None = None,
                       baseline: str = BASELINE, months: str | Sequence[int] | None = None
                       ) -> pd.DataFrame:
    """Mean paired difference from the baseline arm with its t-based 95% CI, per month."""
    pairs = paired_runs(results, measures, baseline, months)
    keys = [*design_keys(results), "month"]
    if pairs.empty:
        return pd.DataFrame(columns=[*keys, "baseline", "measure", *SUMMARY_COLUMNS,
                                     "interval_holds"])
    out = describe_long(pairs.rename(columns={"value": "arm_value", "difference": "value"}),
                        keys)
    out.insert(len(keys), "baseline", baseline)
    return _holding(_ordered(out, results, extra=["month"]), results)


# --------------------------------------------------------------------------- per-run metrics


def run_metrics(results: Results) -> pd.DataFrame:
    """One row per finished run: its design and scalar outcomes.

    Units: shares 0-1; households; rupiah (costs are sums over the horizon); months.
    ``cost_cooperatives`` is the cooperatives' net cash outlay: loans disbursed minus
    repayments received minus outside capital injected into the fund. Households' repayments
    and a funder's capital injection are then not counted twice, and ``cost_total`` is the
    money that actually left all funders together (negative cooperative cost: the fund holds
    money put in by others).
    """
    monthly = _monthly(results)
    runs = finished_runs(results)
    by_run = monthly.sort_values(["run_key", "month"]).groupby("run_key", sort=False)
    first, last = by_run.first(), by_run.last()
    total = by_run.sum(numeric_only=True)
    out = runs.set_index("run_key").copy()
    if "households" not in out.columns or out["households"].isna().any():
        out["households"] = results.summary.set_index("run_key")["households"]
    hh = out["households"].astype(float)
    out["horizon"] = last["month"]
    out["open_defecation_end"] = last["open_defecation"]
    out["basic_or_better_start"] = first["basic_or_better"]
    out["basic_or_better_end"] = last["basic_or_better"]
    out["households_basic_or_better_end"] = (last["basic_or_better"] * hh).round()
    out["households_gained"] = ((last["basic_or_better"] - first["basic_or_better"]) * hh).round()
    for funder in ("households", "government", "donors"):
        out[f"cost_{funder}"] = total[f"spending_{funder}"]
    repaid = total["loan_repayments"] if "loan_repayments" in total else 0.0
    injected = last["funds_injected"] if "funds_injected" in last else 0.0
    out["funds_injected"] = injected
    out["cost_cooperatives"] = total["spending_cooperatives"] - repaid - injected
    out["cost_total"] = sum(out[f"cost_{f}"] for f in FUNDERS)
    out["odf_communities_start"] = first["odf_communities"]
    out["odf_communities_end"] = last["odf_communities"]
    if "communities" in results.summary.columns:
        out["communities"] = results.summary.set_index("run_key")["communities"]
    out["odf_slipped_total"] = last["odf_slipped_total"]
    out["loans_issued"] = total["loans_issued"]
    out["loans_written_off"] = total["loans_written_off"]
    if "loans_repaid" in total:
        out["loans_repaid"] = total["loans_repaid"]
    out["loan_repayments"] = repaid
    out["write_off_rate"] = (total["loans_written_off"] / total["loans_issued"]).where(
        total["loans_issued"] > 0)
    out["fund_start"] = first["fund_balance"] + first["outstanding_principal"]
    out["fund_balance_end"] = last["fund_balance"]
    out["outstanding_principal_end"] = last["outstanding_principal"]
    out["written_off_principal_end"] = last["written_off_principal"]
    capital = out["fund_start"] + out["funds_injected"]
    out["fund_kept"] = ((last["fund_balance"] + last["outstanding_principal"])
                        / capital).where(capital > 0)
    out["loans_in_arrears_end"] = last["loans_in_arrears"]
    out["portfolio_at_risk"] = (last["loans_in_arrears"] / last["loans_outstanding"]).where(
        last["loans_outstanding"] > 0)
    for _, group, col in EQUITY_GROUPS:
        if col in monthly.columns:
            out[f"basic_or_better_{group}_start"] = first[col]
            out[f"basic_or_better_{group}_end"] = last[col]
    for target in TARGETS:
        out[f"month_{target.name}"] = _first_month(monthly, target)
    return out.reset_index()


def _first_month(monthly: pd.DataFrame, target: Target) -> pd.Series:
    """First month each run meets the target (NaN: never within the horizon)."""
    hit = monthly[target.reached(monthly[target.measure].to_numpy(float))]
    first = hit.groupby("run_key")["month"].min()
    return first.reindex(monthly["run_key"].unique()).astype(float)


def summarise_metrics(results: Results, columns: Sequence[str],
                      metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long summary (per arm × metric) of run-level metrics."""
    metrics = run_metrics(results) if metrics is None else metrics
    out = describe(metrics, design_keys(results), [c for c in columns if c in metrics])
    return _holding(_ordered(out, results), results)


def paired_metrics(results: Results, columns: Sequence[str], baseline: str = BASELINE,
                   metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long summary of the paired differences from the baseline arm of run-level metrics."""
    metrics = run_metrics(results) if metrics is None else metrics
    columns = [c for c in columns if c in metrics]
    keys = pair_keys(results)
    base = metrics[metrics["bundle"] == baseline]
    arm = metrics[metrics["bundle"] != baseline]
    joined = arm[[*keys, "bundle", *columns]].merge(base[[*keys, *columns]], on=keys,
                                                    suffixes=("", "__base"))
    for col in columns:
        joined[col] = joined[col].astype(float) - joined[f"{col}__base"].astype(float)
    if joined.empty:
        return pd.DataFrame(columns=[*design_keys(results), "baseline", "measure",
                                     *SUMMARY_COLUMNS, "interval_holds"])
    out = describe(joined, design_keys(results), columns)
    out.insert(len(design_keys(results)), "baseline", baseline)
    return _holding(_ordered(out, results), results)


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


def costs(results: Results, baseline: str = BASELINE, metrics: pd.DataFrame | None = None,
          seed: int = 0) -> pd.DataFrame:
    """Cost per additional household at basic or better, by funder, against the baseline.

    Per strategy arm and funder (households, government, cooperatives (net), donors, total):
    ``pairs``; additional households at the horizon (``households_mean/low/high``, paired
    difference, t-based CI); additional cost in rupiah over the horizon (``cost_mean/low/high``);
    ``cost_per_household`` = mean extra cost / mean extra households, with a 95% percentile
    bootstrap interval over pairs (``cph_low``, ``cph_high``; NaN when the strategy gains no
    household on average). ``frontier`` marks arms on the efficient frontier of total cost
    against households gained (baseline at the origin; dominated and extendedly dominated arms
    are off it).
    """
    metrics = run_metrics(results) if metrics is None else metrics
    keys = pair_keys(results)
    design = design_keys(results)
    cost_cols = [f"cost_{f}" for f in COST_FUNDERS]
    base = metrics[metrics["bundle"] == baseline]
    arm = metrics[metrics["bundle"] != baseline]
    cols = ["households_basic_or_better_end", *cost_cols]
    joined = arm[[*keys, "bundle", *cols]].merge(base[[*keys, *cols]], on=keys,
                                                 suffixes=("", "__base"))
    rows = []
    for arm_id, (arm_key, group) in enumerate(joined.groupby(design, dropna=False, sort=False)):
        gained = (group["households_basic_or_better_end"]
                  - group["households_basic_or_better_end__base"]).to_numpy(float)
        g_mean, g_low, g_high = t_interval(gained)
        for funder in COST_FUNDERS:
            extra = (group[f"cost_{funder}"] - group[f"cost_{funder}__base"]).to_numpy(float)
            c_mean, c_low, c_high = t_interval(extra)
            cph = c_mean / g_mean if g_mean > 0 else math.nan
            cph_low, cph_high = (bootstrap_ratio(extra, gained, seed=seed) if g_mean > 0
                                 else (math.nan, math.nan))
            rows.append({**dict(zip(design, _as_tuple(arm_key), strict=True)),
                         "baseline": baseline, "funder": funder, "pairs": int(gained.size),
                         "households_mean": g_mean, "households_low": g_low,
                         "households_high": g_high, "cost_mean": c_mean, "cost_low": c_low,
                         "cost_high": c_high, "cost_per_household": cph,
                         "cph_low": cph_low, "cph_high": cph_high, "_arm": arm_id})
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


# --------------------------------------------------------------------------- in-process runs


def results_from_runs(items: Iterable[tuple[Mapping[str, Any], Any]],
                      manifest: Mapping[str, Any] | None = None) -> Results:
    """Assemble :class:`Results` from in-process runs: ``(design, RunResult)`` pairs.

    ``design`` holds ``scenario``, ``bundle``, ``replicate`` and optionally ``seed`` and
    parameter values under ``param:<key>``. For a few runs in a notebook or a test; batches
    belong to ``sanisim batch`` and :func:`sanisim.experiment.load_results`.
    """
    runs, monthly, summary = [], [], []
    for design, result in items:
        params = {k: v for k, v in design.items() if k.startswith(PARAM_PREFIX)}
        key = "/".join([str(design["scenario"]), str(design["bundle"]),
                        *(f"{k.removeprefix(PARAM_PREFIX)}={v}" for k, v in params.items()),
                        f"r{design['replicate']}"])
        runs.append({"run_key": key, "scenario": design["scenario"], "bundle": design["bundle"],
                     "replicate": int(design["replicate"]),
                     "seed": int(design.get("seed", result.manifest.get("seed", 0))),
                     "months": int(result.summary["months"]),
                     "households": int(result.summary["households"]), "status": "done",
                     "error": None, **params})
        monthly.append(result.monthly.assign(run_key=key))
        summary.append({"run_key": key, **result.summary})
    monthly_frame = pd.concat(monthly, ignore_index=True)
    monthly_frame = monthly_frame[["run_key", *[c for c in monthly_frame if c != "run_key"]]]
    return Results(pd.DataFrame(runs), monthly_frame, pd.DataFrame(summary),
                   dict(manifest or {"source": "sanisim.analysis.results_from_runs"}))


def run_comparison(scenario: Any = "default", bundles: Sequence[str] = (BASELINE, "bcc"),
                   replicates: int = 5, months: int | None = None,
                   households: int | None = None, seed: int = 0) -> Results:
    """Run ``bundles`` × ``replicates`` in this process, paired by replicate, as Results.

    Replicate r uses the same seed (hence population and network) in every bundle; seeds are
    derived from ``seed`` by :func:`sanisim.streams.replicate_seed`. For quick looks; use
    ``sanisim batch`` for anything larger.
    """
    from sanisim.run import run
    from sanisim.scenario import Scenario, load

    config = scenario if isinstance(scenario, Scenario) else load(scenario)
    seeds = replicate_seeds(seed, replicates)
    items = []
    for bundle in bundles:
        for replicate, run_seed in enumerate(seeds):
            result = run(config, seed=run_seed, months=months, households=households,
                         bundle=bundle)
            items.append(({"scenario": config.name, "bundle": bundle, "replicate": replicate,
                           "seed": run_seed}, result))
    return results_from_runs(items, {"source": "sanisim.analysis.run_comparison",
                                     "scenario": config.name, "seed": seed,
                                     "bundles": list(bundles), "replicates": replicates})
