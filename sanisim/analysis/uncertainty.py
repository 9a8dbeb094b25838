"""Outcomes over uncertainty: how sure a comparison is, over posterior draws x seeds.

Every function takes an outcomes table (one row per run: ``bundle``, ``point``, ``draw``,
``replicate`` and outcome columns; see :mod:`sanisim.analysis.economics`). Runs pair across
bundles by context point, draw and seed (common random numbers), so a probability is over
pairs: the share of pairs in which something holds. Intervals are named for what they contain.

* :func:`prob_beats`: P(A beats B) on one outcome: the share of pairs where A is better
  (higher, or lower for an outcome where less is better), ties counting one half (the
  probability of superiority: the paired analogue of Vargha & Delaney 2000's A).
* :func:`target_by_year`: P(a target is reached by the end of year y): the share of runs whose
  first month at the target is at most 12 y.
* :func:`acceptability`: the cost-effectiveness acceptability curve (Fenwick, Claxton &
  Sculpher 2001): for a willingness to pay ``lambda`` (rupiah per additional household), the
  share of pairs in which each bundle has the highest net benefit ``lambda * extra households
  - extra public cost`` (the baseline's is 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sanisim.analysis.economics import PAIR, paired_differences


def _wide(outcomes: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One row per (point, draw, seed) pair, one column per bundle, values of ``outcome``."""
    frame = outcomes.assign(draw=outcomes["draw"].fillna(-1))
    return frame.pivot_table(index=list(PAIR), columns="bundle", values=outcome,
                             sort=False, dropna=False)


def prob_beats(outcomes: pd.DataFrame, a: str, b: str, outcome: str,
               higher_is_better: bool = True) -> float:
    """P(bundle ``a`` beats bundle ``b`` on ``outcome``) over the pairs; ties count 1/2."""
    wide = _wide(outcomes, outcome)[[a, b]].dropna()
    diff = wide[a] - wide[b] if higher_is_better else wide[b] - wide[a]
    if diff.empty:
        return float("nan")
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / len(diff))


def beats_table(outcomes: pd.DataFrame, directions: Mapping[str, bool],
                bundles: Sequence[str] | None = None) -> pd.DataFrame:
    """P(A beats B) for every ordered pair of bundles and every outcome (long table)."""
    bundles = list(bundles or dict.fromkeys(outcomes["bundle"]))
    pairs = len(_wide(outcomes, next(iter(directions))))
    rows = []
    for outcome, higher in directions.items():
        for a in bundles:
            for b in bundles:
                if a != b:
                    rows.append({"outcome": outcome, "a": a, "b": b,
                                 "p_a_beats_b": prob_beats(outcomes, a, b, outcome, higher),
                                 "better": "higher" if higher else "lower", "pairs": pairs})
    return pd.DataFrame(rows)


def target_by_year(outcomes: pd.DataFrame, targets: Sequence[str], years: int
                   ) -> pd.DataFrame:
    """P(target reached by the end of year y) per bundle, target and year 1..``years``.

    ``targets`` name the columns ``month_<target>`` (first month at the target; larger than
    the horizon when never reached).
    """
    rows = []
    for bundle, group in outcomes.groupby("bundle", sort=False):
        for target in targets:
            first = group[f"month_{target}"].to_numpy()
            for year in range(1, years + 1):
                rows.append({"bundle": bundle, "target": target, "year": year,
                             "probability": float(np.mean(first <= 12 * year)),
                             "runs": len(first)})
    return pd.DataFrame(rows)


def acceptability(outcomes: pd.DataFrame, willingness: Sequence[float],
                  effect: str = "basic_or_better", cost: str = "public_cost",
                  baseline: str = "baseline") -> pd.DataFrame:
    """The cost-effectiveness acceptability curve of every bundle, the baseline included:
    per willingness to pay (rupiah per additional household) the share of pairs in which the
    bundle's net benefit is the highest (ties split evenly)."""
    diffs = paired_differences(outcomes, [effect, cost], baseline)
    effect_wide = diffs.pivot_table(index=list(PAIR), columns="bundle",
                                    values=f"d_{effect}", sort=False)
    cost_wide = diffs.pivot_table(index=list(PAIR), columns="bundle", values=f"d_{cost}",
                                  sort=False)
    bundles = [baseline, *effect_wide.columns]
    rows = []
    for wtp in willingness:
        net = np.column_stack([np.zeros(len(effect_wide)),
                               wtp * effect_wide.to_numpy() - cost_wide.to_numpy()])
        best = net == net.max(axis=1, keepdims=True)
        share = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
        rows.extend({"willingness_to_pay": float(wtp), "bundle": bundle,
                     "probability": float(p)} for bundle, p in zip(bundles, share, strict=True))
    return pd.DataFrame(rows)


def outcome_intervals(outcomes: pd.DataFrame, columns: Sequence[str], holds: str,
                      level: float = 0.90) -> pd.DataFrame:
    """Per bundle and outcome: mean, median and the central ``level`` interval over the runs,
    with the column ``interval`` saying what it contains (``holds``: seed noise, or seed noise
    and parameter uncertainty over N draws)."""
    low, high = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for bundle, group in outcomes.groupby("bundle", sort=False):
        for column in columns:
            values = group[column]
            rows.append({"bundle": bundle, "outcome": column, "mean": values.mean(),
                         "median": values.median(), "low": values.quantile(low),
                         "high": values.quantile(high), "runs": len(values),
                         "interval": f"central {level:.0%} of {len(values)} runs: {holds}"})
    return pd.DataFrame(rows)
