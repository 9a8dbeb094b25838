"""Tidy summaries of a results store: arms, replicates, run metrics and their intervals.

Every function takes a :class:`sanisim.runs.results.Results` (from
:func:`sanisim.runs.store.load_results`, or
:func:`sanisim.runs.replicates.results_from_runs` for a few in-process runs) and returns
a tidy pandas DataFrame: one row per arm (scenario × bundle × parameter point), and per
month, measure, target, funder or group where that applies.

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

Paired differences from the baseline arm are in :mod:`sanisim.analysis.paired`; cost per
additional household (a ratio of means over the pairs, with a percentile bootstrap interval
over pairs), targets, equity, ODF and loan funds in :mod:`sanisim.analysis.decisions`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import stdtrit

from sanisim import i18n
from sanisim.ladder import RUNG_COLUMNS
from sanisim.ledger import BOOKED, funder_costs
from sanisim.model import FUNDERS
from sanisim.runs.posterior import POSTERIOR_DRAW
from sanisim.runs.posterior import interval_holds as holds_text
from sanisim.runs.results import PARAM_PREFIX, Results
from sanisim.streams import seed_stream

log = logging.getLogger(__name__)

BASELINE = "baseline"
LADDER_MEASURES: tuple[str, ...] = (*RUNG_COLUMNS, "basic_or_better")
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

    def describe(self) -> str:
        return f"{self.measure} {'<=' if self.at_most else '>='} {self.threshold:g}"


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


# --------------------------------------------------------------------------- per-run metrics


def run_metrics(results: Results) -> pd.DataFrame:
    """One row per finished run: its design and scalar outcomes.

    Units: shares 0-1; households; rupiah (costs are sums over the horizon); months.
    Costs follow the one cost rule of :func:`sanisim.ledger.funder_costs` (the same as a
    run's summary): ``cost_cooperatives`` is the cooperatives' net cash outlay (loans disbursed
    minus repayments received minus outside capital injected into the fund), and
    ``cost_total`` the money that actually left all funders together, each rupiah counted once.
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
    out["safely_managed_start"] = first["safely_managed"]
    out["safely_managed_end"] = last["safely_managed"]
    out["households_safely_managed_end"] = (last["safely_managed"] * hh).round()
    repaid = total["loan_repayments"] if "loan_repayments" in total else 0.0
    injected = last["funds_injected"] if "funds_injected" in last else 0.0
    cost = funder_costs({funder: total[f"spending_{funder}"] for funder in BOOKED},
                        total["spending_cooperatives"] - repaid, injected)  # sanisim.ledger
    for funder in ("households", "government", "donors"):
        out[f"cost_{funder}"] = cost[funder]
    out["funds_injected"] = injected
    out["cost_cooperatives"] = cost["cooperatives"]
    out["cost_total"] = cost["total"]
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
