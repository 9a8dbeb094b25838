"""Paired comparison of a strategy arm against the baseline arm with the same seed.

Both arms of a pair share the run seed, hence the synthetic population, the network and every
baseline random stream (common random numbers); strategies draw only from their own streams.
A difference between the arms is the strategy's effect in that replicate, free of the
between-population noise.

Measures of :func:`compare` (one row per month, cumulative from month 0):

``additional_basic_or_better``
    households at basic or better in the arm minus in the baseline arm; the same per income
    quintile (``additional_q1`` .. ``additional_q5``, q1 poorest) and per gender of the
    decision maker (``additional_female``, ``additional_male``).
``additional_cost_<funder>``
    the arm's cost to a funder up to that month minus the baseline arm's, by the one cost rule
    of :mod:`sanisim.ledger` (government and donors: what was booked to them; households:
    their own spending; cooperatives: their net cash outlay). ``additional_cost_total`` is the
    sum: the money that left all funders together, each rupiah counted once.
``cost_per_additional_<funder>``, ``cost_per_additional_total``
    additional cost divided by ``additional_basic_or_better`` (NaN unless that is positive).
``cost_per_additional_<group>``
    the arm's whole additional cost divided by the additional households of one group (q1..q5,
    female, male): what the programme costs per additional household of that group reached.
``odf_communities_arm`` / ``_baseline``, ``additional_odf_communities``, ``odf_slipped_total_*``
    open-defecation-free RTs at that month, and ODF RTs that slipped back so far.
``loans_issued`` / ``loans_repaid`` / ``loans_written_off`` (``_arm``, ``_baseline``, and
    ``additional_*``): counts of loans so far.

Across replicates, :func:`summarise_pairs` reports the mean additional households with the
standard error of the paired differences, and cost per additional household as a ratio of
means (total additional cost over total additional households), which stays finite when
single replicates gain little.

Command line (the ranking in docs/strategies.md)::

    python -m sanisim.analysis.outcomes rank default --replicates 10 --households 10000 --at 24 60
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sanisim.errors import InputError
from sanisim.inputs import check_size
from sanisim.ledger import cumulative_costs as cumulative_costs  # its old home
from sanisim.model import FUNDERS, SanitationModel
from sanisim.outputs import output_file, writing
from sanisim.runs import cli_options
from sanisim.runs.replicates import run_all
from sanisim.scenario import Scenario, load
from sanisim.streams import replicate_seeds

log = logging.getLogger(__name__)

GROUPS: tuple[str, ...] = ("q1", "q2", "q3", "q4", "q5", "female", "male")
LOAN_COUNTS: tuple[str, ...] = ("loans_issued", "loans_repaid", "loans_written_off")


@dataclass
class Pair:
    """The monthly tables of one arm and its baseline arm, and the group sizes."""

    bundle: str
    seed: int
    arm: pd.DataFrame
    baseline: pd.DataFrame
    households: int
    group_sizes: dict[str, int]


def group_sizes(model: SanitationModel) -> dict[str, int]:
    """Households per income quintile (q1 poorest) and per decision maker's gender."""
    hh = model.households
    sizes = {f"q{q + 1}": int(np.count_nonzero(hh.quintile == q)) for q in range(5)}
    sizes["female"] = int(np.count_nonzero(hh.female))
    sizes["male"] = hh.n - sizes["female"]
    return sizes


def _adopted(monthly: pd.DataFrame, n: int, sizes: dict[str, int]) -> pd.DataFrame:
    counts = pd.DataFrame({"all": monthly["basic_or_better"] * n})
    for group in GROUPS:
        column = f"basic_or_better_{group}"
        counts[group] = monthly[column].fillna(0.0) * sizes[group]
    return counts


def _ratio(cost: pd.Series, gain: pd.Series) -> pd.Series:
    return (cost / gain).where(gain > 0)


def compare(arm: pd.DataFrame, baseline: pd.DataFrame, households: int,
            sizes: dict[str, int]) -> pd.DataFrame:
    """Per-month paired differences of one arm against its baseline (see module docs)."""
    if len(arm) != len(baseline) or not (arm["month"].values == baseline["month"].values).all():
        raise ValueError("arm and baseline must cover the same months")
    out = pd.DataFrame({"month": arm["month"].astype(int).values})
    gained = (_adopted(arm, households, sizes) - _adopted(baseline, households, sizes)).round()
    out["additional_basic_or_better"] = gained["all"].values
    for group in GROUPS:
        out[f"additional_{group}"] = gained[group].values
    cost = cumulative_costs(arm) - cumulative_costs(baseline)
    for funder in (*FUNDERS, "total"):
        out[f"additional_cost_{funder}"] = cost[funder].values
        out[f"cost_per_additional_{funder}"] = _ratio(
            out[f"additional_cost_{funder}"], out["additional_basic_or_better"]).values
    for group in GROUPS:
        out[f"cost_per_additional_{group}"] = _ratio(out["additional_cost_total"],
                                                     out[f"additional_{group}"]).values
    for column in ("odf_communities", "odf_slipped_total"):
        out[f"{column}_arm"] = arm[column].values
        out[f"{column}_baseline"] = baseline[column].values
    out["additional_odf_communities"] = out["odf_communities_arm"] - out[
        "odf_communities_baseline"]
    for column in LOAN_COUNTS:
        out[f"{column}_arm"] = arm[column].cumsum().values
        out[f"{column}_baseline"] = baseline[column].cumsum().values
        out[f"additional_{column}"] = out[f"{column}_arm"] - out[f"{column}_baseline"]
    return out


# --------------------------------------------------------------------------- running pairs


def run_arm(scenario: Scenario, bundle: str, seed: int, months: int,
            households: int | None = None) -> tuple[pd.DataFrame, SanitationModel]:
    model = SanitationModel(scenario, seed=seed, households=households, bundle=bundle)
    model.run(months)
    return model.monthly_table(), model


def _replicate(scenario: Scenario, bundles: Sequence[str], seed: int, months: int,
               households: int | None) -> list[Pair]:
    """One seed: the baseline arm once, then every bundle against it."""
    baseline, model = run_arm(scenario, "baseline", seed, months, households)
    sizes, n = group_sizes(model), model.households.n
    pairs = []
    for bundle in bundles:
        arm = baseline if bundle == "baseline" else run_arm(
            scenario, bundle, seed, months, households)[0]
        pairs.append(Pair(bundle, seed, arm, baseline, n, sizes))
    return pairs


def paired_runs(scenario: Scenario, bundles: Sequence[str], seeds: Iterable[int],
                months: int, households: int | None = None,
                executor: Executor | None = None) -> list[Pair]:
    """Run every bundle and the baseline for every seed (one task per seed)."""
    tasks = [(scenario, tuple(bundles), int(s), months, households) for s in seeds]
    results = run_all(_replicate, tasks, executor)
    return [pair for replicate in results for pair in replicate]


def comparison_table(pairs: Sequence[Pair]) -> pd.DataFrame:
    """Long table: one row per bundle x seed x month with every measure of :func:`compare`."""
    frames = []
    for pair in pairs:
        frame = compare(pair.arm, pair.baseline, pair.households, pair.group_sizes)
        frame.insert(0, "seed", pair.seed)
        frame.insert(0, "bundle", pair.bundle)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def summarise_pairs(table: pd.DataFrame, months: Sequence[int]) -> pd.DataFrame:
    """Per bundle and month: mean additional households (with paired SE) and costs."""
    rows = []
    for (bundle, month), part in table[table["month"].isin(months)].groupby(
            ["bundle", "month"], sort=False):
        gain = part["additional_basic_or_better"]
        row = {"bundle": bundle, "month": int(month), "replicates": len(part),
               "additional_basic_or_better": gain.mean(),
               "se": gain.std(ddof=1) / np.sqrt(len(part)) if len(part) > 1 else np.nan}
        for group in GROUPS:
            row[f"additional_{group}"] = part[f"additional_{group}"].mean()
        total_gain = gain.sum()
        for funder in (*FUNDERS, "total"):
            cost = part[f"additional_cost_{funder}"].sum()
            row[f"additional_cost_{funder}"] = cost / len(part)
            row[f"cost_per_additional_{funder}"] = cost / total_gain if total_gain > 0 else np.nan
        for group in GROUPS:
            group_gain = part[f"additional_{group}"].sum()
            row[f"cost_per_additional_{group}"] = (part["additional_cost_total"].sum()
                                                   / group_gain if group_gain > 0 else np.nan)
        row["additional_odf_communities"] = part["additional_odf_communities"].mean()
        row["odf_slipped_total_arm"] = part["odf_slipped_total_arm"].mean()
        for column in LOAN_COUNTS:
            row[f"{column}_arm"] = part[f"{column}_arm"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def rank(scenario: Scenario, bundles: Sequence[str] | None = None, replicates: int = 10,
         months: Sequence[int] = (24, 60), households: int | None = None,
         seed: int = 0, workers: int = 1) -> pd.DataFrame:
    """Bundles ranked by additional households at basic or better, at each month given.

    Replicate r runs every bundle and the baseline with ``replicate_seed(seed, r)``.
    """
    bundles = [b for b in (bundles or scenario.bundles) if b != "baseline"]
    horizon = max(months)
    seeds = replicate_seeds(seed, replicates)
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pairs = paired_runs(scenario, bundles, seeds, horizon, households, pool)
    else:
        pairs = paired_runs(scenario, bundles, seeds, horizon, households)
    summary = summarise_pairs(comparison_table(pairs), months)
    summary["rank"] = summary.groupby("month")["additional_basic_or_better"].rank(
        ascending=False, method="min").astype(int)
    return summary.sort_values(["month", "rank"]).reset_index(drop=True)


def markdown(summary: pd.DataFrame) -> str:
    """The ranking as a Markdown table (Rp million per additional household)."""
    lines = ["| month | rank | bundle | additional households at basic+ (± SE) | "
             "cost per additional household, Rp M: total | government | donors | "
             "households | cooperatives | additional q1 / q5 | additional female / male |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def money(value: float) -> str:
        return "n/a" if not np.isfinite(value) else f"{value / 1e6:,.1f}"

    for _, r in summary.iterrows():
        lines.append(
            f"| {r['month']} | {r['rank']} | {r['bundle']} | "
            f"{r['additional_basic_or_better']:,.0f} ± {r['se']:,.0f} | "
            f"{money(r['cost_per_additional_total'])} | "
            f"{money(r['cost_per_additional_government'])} | "
            f"{money(r['cost_per_additional_donors'])} | "
            f"{money(r['cost_per_additional_households'])} | "
            f"{money(r['cost_per_additional_cooperatives'])} | "
            f"{r['additional_q1']:,.0f} / {r['additional_q5']:,.0f} | "
            f"{r['additional_female']:,.0f} / {r['additional_male']:,.0f} |")
    return "\n".join(lines)


def markdown_odf_and_loans(summary: pd.DataFrame) -> str:
    """ODF communities and loans of each arm, as a Markdown table (means over replicates)."""
    lines = ["| month | bundle | additional ODF RTs | ODF RTs slipped back (so far) | "
             "loans issued | loans repaid | loans written off | "
             "cost per additional q1 household, Rp M |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for _, r in summary.iterrows():
        q1 = r["cost_per_additional_q1"]
        lines.append(
            f"| {r['month']} | {r['bundle']} | {r['additional_odf_communities']:+,.1f} | "
            f"{r['odf_slipped_total_arm']:,.1f} | {r['loans_issued_arm']:,.0f} | "
            f"{r['loans_repaid_arm']:,.0f} | {r['loans_written_off_arm']:,.1f} | "
            f"{'n/a' if not np.isfinite(q1) else f'{q1 / 1e6:,.1f}'} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sanisim.analysis.outcomes",
        description="Paired comparisons of strategy bundles against the baseline arm.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    ranking = verbs.add_parser("rank", help="rank a scenario's bundles at given months")
    ranking.add_argument("scenario", help="scenario file or shipped scenario name")
    ranking.add_argument("--replicates", type=cli_options.replicates, default=10,
                         help="paired seeds (default 10)")
    ranking.add_argument("--seed", type=cli_options.seed, default=0,
                         help="base seed; replicate r runs with its r-th derived seed "
                              "(default 0)")
    ranking.add_argument("--at", type=cli_options.parameter("run.months"), nargs="+",
                         default=[24, 60],
                         help="months at which to rank (default 24 60)")
    ranking.add_argument("--households", default=None,
                         type=cli_options.parameter("population.households"),
                         help="override the scenario's household count")
    ranking.add_argument("--bundles", nargs="+", default=None,
                         help="bundles to compare (default: all of the scenario's)")
    ranking.add_argument("--workers", default=1,
                         type=cli_options.at_least(1, cli_options.MAX_WORKERS),
                         help="worker processes")
    ranking.add_argument("--csv", default=None, help="also write the summary to this CSV file")
    args = parser.parse_args(argv)
    try:
        scenario = load(args.scenario)
        for bundle in args.bundles or ():
            if bundle not in scenario.bundles:
                raise InputError("--bundles", bundle, "unknown bundle (bundles: "
                                 + ", ".join(scenario.bundles) + ")")
        check_size(scenario, args.households, "--households", None, args.workers)
        if args.csv:
            output_file(args.csv, "--csv")
    except InputError as err:
        print(f"sanisim.analysis.outcomes: error: {err}", file=sys.stderr)
        return 2
    summary = rank(scenario, args.bundles, args.replicates, args.at, args.households,
                   args.seed, args.workers)
    if args.csv:
        try:
            with writing(args.csv):
                summary.to_csv(args.csv, index=False)
        except InputError as err:
            print(f"sanisim.analysis.outcomes: error: {err}", file=sys.stderr)
            return 2
    print(f"{scenario.name}: {args.replicates} paired replicates (seeds derived from base "
          f"seed {args.seed}), "
          f"{args.households or scenario['population.households']:,} households")
    print(markdown(summary))
    print()
    print(markdown_odf_and_loans(summary))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
