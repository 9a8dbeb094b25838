"""Costs that decisions can use: public money apart from household money, cost-effectiveness
that never prints a negative ratio, and effects per Rp billion of public money.

The tables take an *outcomes table*: one row per run with ``bundle``, the pairing columns
``point`` (context point), ``draw`` and ``replicate`` and outcome columns (as
:func:`sanisim.decisions.evaluate.evaluate` gives). A bundle is compared with the baseline
pair by pair (same context point, draw and seed).

**Cost-effectiveness.** With the mean extra public cost ``dc`` and the mean extra effect ``de``
(households) against the baseline, a bundle is

* ``cost-saving`` when ``dc < 0`` and ``de > 0`` (more households for less money: no ratio);
* ``dominated`` when ``dc > 0`` and ``de <= 0`` (more money, no more households: no ratio);
* ``saves money, fewer households`` when ``dc <= 0`` and ``de <= 0``: the ratio is
  rupiah saved per household given up, reported as such;
* otherwise (``dc >= 0``, ``de > 0``) ``more households at a cost`` with the ratio
  ``dc / de`` (rupiah per additional household), which is then never negative.

**Equal budgets.** Bundles with budgets 8x apart are compared per Rp 1 billion of public money
(discounted): extra households at basic or better per Rp billion. The rate is an average over
the bundle's whole spending, not a promise that half the money buys half the effect; the
optimiser (:mod:`sanisim.decisions.optimise`) compares mixes at the same budget directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Columns that pair runs across bundles: the same context point, posterior draw and seed.
PAIR: tuple[str, ...] = ("point", "draw", "replicate")
BILLION = 1e9


def paired_differences(outcomes: pd.DataFrame, columns: Sequence[str],
                       baseline: str = "baseline") -> pd.DataFrame:
    """Per run of every bundle but the baseline: ``columns`` minus the baseline's of the same
    context point, draw and seed (``d_<column>``)."""
    keys = list(PAIR)
    frame = outcomes.assign(draw=outcomes["draw"].fillna(-1))
    base = frame.loc[frame["bundle"] == baseline, [*keys, *columns]]
    others = frame[frame["bundle"] != baseline]
    joined = others.merge(base, on=keys, how="left", suffixes=("", "_baseline"))
    out = joined[["bundle", *keys]].copy()
    for column in columns:
        out[f"d_{column}"] = joined[column] - joined[f"{column}_baseline"]
    return out.reset_index(drop=True)


def classify(d_cost: float, d_effect: float) -> str:
    """The plain-words class of a cost and effect difference (module docs)."""
    if d_cost < 0 and d_effect > 0:
        return "cost-saving"
    if d_cost > 0 and d_effect <= 0:
        return "dominated"
    if d_effect <= 0:
        return "saves money, fewer households"
    return "more households at a cost"


def ratio_text(d_cost: float, d_effect: float) -> str:
    """The ratio in words: never a negative number."""
    kind = classify(d_cost, d_effect)
    if kind == "more households at a cost":
        return f"Rp {d_cost / d_effect:,.0f} per additional household"
    if kind == "saves money, fewer households":
        if d_effect == 0:
            return f"saves Rp {-d_cost:,.0f} at the same coverage"
        return f"saves Rp {-d_cost / -d_effect:,.0f} per household given up"
    if kind == "cost-saving":
        return f"saves Rp {-d_cost:,.0f} and adds {d_effect:,.0f} households"
    return f"costs Rp {d_cost:,.0f} more for no additional household"


def cost_effectiveness(outcomes: pd.DataFrame, effect: str = "basic_or_better",
                       cost: str = "public_cost", baseline: str = "baseline",
                       level: float = 0.90) -> pd.DataFrame:
    """Per bundle against the baseline: mean extra public cost and extra households (with the
    central ``level`` interval over draws x seeds), class, ratio in words (``ratio``: rupiah
    per additional household, only where it means that, else NaN), extra households per
    Rp billion of public money, and the household money's change."""
    columns = [effect, cost, "household_cost"]
    diffs = paired_differences(outcomes, columns, baseline)
    low, high = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for bundle, group in diffs.groupby("bundle", sort=False):
        d_cost, d_effect = group[f"d_{cost}"].mean(), group[f"d_{effect}"].mean()
        kind = classify(d_cost, d_effect)
        spent = outcomes.loc[outcomes["bundle"] == bundle, cost].mean()
        rows.append({
            "bundle": bundle, "runs": len(group),
            "extra_households": d_effect,
            "extra_households_low": group[f"d_{effect}"].quantile(low),
            "extra_households_high": group[f"d_{effect}"].quantile(high),
            "extra_public_cost": d_cost,
            "extra_public_cost_low": group[f"d_{cost}"].quantile(low),
            "extra_public_cost_high": group[f"d_{cost}"].quantile(high),
            "extra_household_cost": group["d_household_cost"].mean(),
            "class": kind,
            "ratio": d_cost / d_effect if kind == "more households at a cost" else np.nan,
            "ratio_text": ratio_text(d_cost, d_effect),
            "public_cost": spent,
            "households_per_billion": (d_effect / (spent / BILLION) if spent > 0 else np.nan),
            "interval": f"central {level:.0%} of runs (draws x seeds)",
        })
    return pd.DataFrame(rows)


def budget_years(yearly: pd.DataFrame) -> pd.DataFrame:
    """Mean cost per bundle, year and budget over the runs (rupiah), wide by budget, with the
    public total; undiscounted and discounted (``_pv``)."""
    mean = (yearly.groupby(["bundle", "year", "budget"], sort=False, observed=True)
            [["cost", "cost_discounted"]].mean().reset_index())
    wide = mean.pivot_table(index=["bundle", "year"], columns="budget", values="cost",
                            observed=True, sort=False)
    pv = mean.pivot_table(index=["bundle", "year"], columns="budget",
                          values="cost_discounted", observed=True, sort=False)
    pv.columns = [f"{c}_pv" for c in pv.columns]
    out = wide.join(pv)
    public = [c for c in ("APBD", "DAK", "BAZNAS", "donors") if c in wide.columns]
    out["public"] = wide[public].sum(axis=1)
    out["public_pv"] = pv[[f"{c}_pv" for c in public]].sum(axis=1)
    out.columns.name = None
    return out.reset_index()
