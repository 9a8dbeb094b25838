"""Paired differences from the baseline arm: run by run, replicate by replicate.

Paired differences subtract, replicate by replicate, the baseline arm's value from the strategy
arm's value for runs with the same scenario, replicate, parameter point and posterior draw
(hence the same seed, population and network: common random numbers), then summarise the
differences as :mod:`sanisim.analysis.summaries` states (mean with t-based 95% CI, median with
the replicates' range).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from sanisim.analysis.summaries import (
    BASELINE,
    SUMMARY_COLUMNS,
    _holding,
    _monthly,
    _ordered,
    _select_months,
    default_measures,
    describe,
    describe_long,
    design_keys,
    pair_keys,
    run_metrics,
)
from sanisim.runs.posterior import POSTERIOR_DRAW
from sanisim.runs.results import Results

log = logging.getLogger(__name__)


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
