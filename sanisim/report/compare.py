"""``sanisim compare A B --out DIR``: the same outcomes of two batches side by side.

Two results stores are comparable when their finished runs cover the same horizon (months)
and share at least one arm (scenario and bundle): a batch before and after a model change, with
more replicates, with posterior draws, or of a scenario edited in place. For every shared arm
and outcome at the horizon (basic or better, open defecation, safely managed, total cost) the
table gives each batch's mean over its runs with the t-based 95% confidence interval of that
mean, what each batch's intervals hold (seed noise only, or parameter uncertainty as well), and
the difference B − A with Welch's 95% interval (:func:`scipy.stats.ttest_ind`, unequal
variances; the batches' runs are independent samples, not pairs). Stores that cannot be
compared are refused with one line and exit code 2.

Writes ``DIR/comparison.csv``, ``DIR/comparison.png`` and ``.svg`` (one panel per outcome,
the arms of A and B as dots with their intervals) and ``DIR/manifest.json`` (both stores,
package version, git commit, time).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sanisim import analysis, i18n
from sanisim.errors import InputError
from sanisim.report import plots, prose
from sanisim.report.names import Names
from sanisim.report.page import load
from sanisim.runs.results import Results
from sanisim.runs.run import git_commit, package_version
from sanisim.runs.store import now

#: The outcomes compared (run metrics at the horizon) and their units.
OUTCOMES: dict[str, str] = {"basic_or_better_end": "share", "open_defecation_end": "share",
                            "safely_managed_end": "share", "cost_total": "rupiah"}
ARM = ["scenario", "bundle"]


def _horizons(results: Results) -> list[int]:
    return sorted(int(m) for m in analysis.finished_runs(results)["months"].unique())


def check_comparable(a: Results, b: Results, path_a: str, path_b: str) -> list[tuple]:
    """The arms both batches ran; a one-line :class:`InputError` when they are not
    comparable (different horizons, or no arm in common)."""
    months_a, months_b = _horizons(a), _horizons(b)
    if months_a != months_b:
        raise InputError(path_b, "months", f"its runs end at month {months_b}, those of "
                         f"{path_a} at month {months_a}; only batches with the same horizon "
                         "can be compared")
    arms_a = set(map(tuple, analysis.finished_runs(a)[ARM].drop_duplicates().to_numpy()))
    arms_b = set(map(tuple, analysis.finished_runs(b)[ARM].drop_duplicates().to_numpy()))
    shared = sorted(arms_a & arms_b)
    if not shared:
        show = lambda arms: ", ".join(f"{s}/{b}" for s, b in sorted(arms))  # noqa: E731
        raise InputError(path_b, "bundles", f"shares no scenario and bundle with {path_a} "
                         f"(it has {show(arms_b)}; {path_a} has {show(arms_a)})")
    return shared


def _summary(values: np.ndarray) -> tuple[float, float, float]:
    return analysis.t_interval(values)


def compare_table(a: Results, b: Results, path_a: str = "A", path_b: str = "B"
                  ) -> pd.DataFrame:
    """One row per shared arm and outcome: A's and B's mean with its 95% CI, B − A with
    Welch's 95% interval (see the module docstring)."""
    shared = check_comparable(a, b, path_a, path_b)
    ma, mb = analysis.run_metrics(a), analysis.run_metrics(b)
    holds_a, holds_b = analysis.interval_holds(a), analysis.interval_holds(b)
    rows = []
    for scenario, bundle in shared:
        runs_a = ma[(ma["scenario"] == scenario) & (ma["bundle"] == bundle)]
        runs_b = mb[(mb["scenario"] == scenario) & (mb["bundle"] == bundle)]
        for outcome, unit in OUTCOMES.items():
            xa = runs_a[outcome].to_numpy(float)
            xb = runs_b[outcome].to_numpy(float)
            mean_a, low_a, high_a = _summary(xa)
            mean_b, low_b, high_b = _summary(xb)
            diff_low = diff_high = math.nan
            if xa.size >= 2 and xb.size >= 2 and (xa.std() > 0 or xb.std() > 0):
                interval = stats.ttest_ind(xb, xa, equal_var=False).confidence_interval(0.95)
                diff_low, diff_high = float(interval.low), float(interval.high)
            rows.append({"scenario": scenario, "bundle": bundle, "outcome": outcome,
                         "unit": unit, "runs_a": xa.size, "mean_a": mean_a, "low_a": low_a,
                         "high_a": high_a, "runs_b": xb.size, "mean_b": mean_b,
                         "low_b": low_b, "high_b": high_b, "difference": mean_b - mean_a,
                         "difference_low": diff_low, "difference_high": diff_high,
                         "interval_holds_a": holds_a, "interval_holds_b": holds_b})
    return pd.DataFrame(rows)


@plots.styled
def compare_figure(table: pd.DataFrame, labels: dict[tuple[str, str], str], name_a: str,
                   name_b: str, lang: str = "en") -> Figure:
    """One panel per outcome: each shared arm's mean in A and in B with its 95% CI."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig = plots.new_figure((plots.FIGSIZE[0], 1.2 + 0.55 * table[ARM].drop_duplicates().shape[0]
                            * max(1, len(outcomes) // 2)))
    ncol = 2
    axes = fig.subplots(math.ceil(len(outcomes) / ncol), ncol, squeeze=False).ravel()
    arms = list(dict.fromkeys(map(tuple, table[ARM].to_numpy())))
    y = np.arange(len(arms))[::-1]
    for ax, outcome in zip(axes, outcomes, strict=False):
        part = table[table["outcome"] == outcome].set_index(ARM).reindex(arms)
        scale = 1e6 if part["unit"].iloc[0] == "rupiah" else 1.0
        for suffix, colour, shift, name in (("a", "#4477AA", 0.12, name_a),
                                            ("b", "#EE6677", -0.12, name_b)):
            mean = part[f"mean_{suffix}"].to_numpy(float) / scale
            err = np.vstack([mean - part[f"low_{suffix}"].to_numpy(float) / scale,
                             part[f"high_{suffix}"].to_numpy(float) / scale - mean])
            ax.errorbar(mean, y + shift, xerr=np.nan_to_num(np.clip(err, 0, None)), fmt="o",
                        color=colour, capsize=3, label=name)
        if scale == 1.0:
            plots._percent_axis(ax, "x")
            ax.set_title(i18n.measure_name(outcome.removesuffix("_end"), lang))
        else:
            ax.set_title(prose.text("total_cost", lang))
        ax.set_yticks(y, [plots._wrap(labels[arm], 28) for arm in arms])
        ax.grid(axis="y", visible=False)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    plots._legend_below(fig, handles, names, ncol=2)
    holds = [name.split(":")[0] + ": "
             + prose.interval_note(table[f"interval_holds_{side}"].iloc[0], lang)
             for side, name in (("a", name_a), ("b", name_b))]
    fig.suptitle("; ".join(holds), fontsize=11, x=0.01, ha="left", color="#555555")
    return fig


def compare(path_a: str | Path, path_b: str | Path, out: str | Path, lang: str = "en"
            ) -> Path:
    """Compare the stores at ``path_a`` and ``path_b``; write the table, figure and manifest
    into ``out``; return the table's path."""
    a, b = load(path_a), load(path_b)
    table = compare_table(a, b, str(path_a), str(path_b))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    names = Names.of(a)
    labels = {(s, bd): f"{names.bundle(s, bd, lang)} ({names.title(s)})"
              for s, bd in table[ARM].drop_duplicates().itertuples(index=False)}
    fig = compare_figure(table, labels, f"A: {Path(path_a).name}", f"B: {Path(path_b).name}",
                         lang)
    plots.save(fig, out / "comparison")
    manifest = {
        "compared": {"a": _store_record(path_a, a), "b": _store_record(path_b, b)},
        "outcomes": list(OUTCOMES), "arms": len(labels),
        "sanisim_version": package_version(), "git_commit": git_commit(), "created": now()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return out / "comparison.csv"


def _store_record(path: str | Path, results: Results) -> dict:
    m = results.manifest
    return {"path": str(Path(path).resolve()), "experiment": m.get("experiment"),
            "experiment_hash": m.get("experiment_hash"), "git_commit": m.get("git_commit"),
            "runs": int(len(analysis.finished_runs(results))),
            "interval_holds": analysis.interval_holds(results)}


def cmd_compare(args: argparse.Namespace) -> int:
    path = compare(args.a, args.b, args.out, args.lang)
    print(f"sanisim compare: {path} (figure {path.with_suffix('.png')})")
    return 0


def register(verbs) -> None:
    """Add the ``compare`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "compare", help="compare the same outcomes of two results folders side by side",
        description="Read two results folders of 'sanisim batch' and write a table and a "
                    "figure of their shared arms' outcomes at the horizon, side by side, with "
                    "the difference B - A and its 95%% interval. Refuses folders with "
                    "different horizons or no arm in common. See docs/report.md.")
    parser.add_argument("a", metavar="A", help="first results folder")
    parser.add_argument("b", metavar="B", help="second results folder")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default="en",
                        help="language of the figure's labels (en or id)")
    parser.set_defaults(func=cmd_compare)
