"""Figures of a decision: acceptability curves, targets by year, costs per budget and year,
and the optimiser's trade-offs. Each is a matplotlib :class:`~matplotlib.figure.Figure` built
without pyplot (no global state), saved as PNG beside the tables it draws."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sanisim.ledger import BUDGETS

#: Okabe-Ito colours, one per budget (colour-blind safe).
BUDGET_COLOURS: dict[str, str] = {"APBD": "#0072B2", "DAK": "#56B4E9", "BAZNAS": "#009E73",
                                  "donors": "#E69F00", "cooperatives": "#CC79A7",
                                  "households": "#999999"}


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def ceac_figure(ceac: pd.DataFrame, holds: str) -> Figure:
    """P(each bundle is the best buy) against the willingness to pay per household."""
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for bundle, group in ceac.groupby("bundle", sort=False):
        ax.plot(group["willingness_to_pay"] / 1e6, group["probability"], label=bundle)
    ax.set_xlabel("willingness to pay (Rp million per additional household at basic or better)")
    ax.set_ylabel("P(best net benefit)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Cost-effectiveness acceptability ({holds})", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def targets_figure(targets: pd.DataFrame, holds: str) -> Figure:
    """P(target reached by the end of each year), one panel per target."""
    names = list(dict.fromkeys(targets["target"]))
    fig = Figure(figsize=(3.4 * len(names), 3.6), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        for bundle, group in targets[targets["target"] == name].groupby("bundle", sort=False):
            ax.plot(group["year"], group["probability"], marker="o", label=bundle)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("by the end of year")
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel("P(target reached)")
    axes[-1].legend(fontsize=7, loc="best")
    fig.suptitle(f"Targets by year ({holds})", fontsize=9)
    return fig


def costs_figure(costs: pd.DataFrame) -> Figure:
    """Mean cost per year by budget, one panel per bundle (Rp billion, undiscounted)."""
    bundles = list(dict.fromkeys(costs["bundle"]))
    columns = min(4, len(bundles))
    rows = -(-len(bundles) // columns)
    fig = Figure(figsize=(3.2 * columns, 2.8 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, bundle in zip(axes, bundles, strict=False):
        frame = costs[costs["bundle"] == bundle]
        bottom = pd.Series(0.0, index=frame.index)
        for budget in BUDGETS:
            if budget not in frame or budget == "cooperatives":
                continue
            ax.bar(frame["year"], frame[budget] / 1e9, bottom=bottom / 1e9, label=budget,
                   color=BUDGET_COLOURS[budget])
            bottom = bottom + frame[budget]
        ax.set_title(bundle, fontsize=9)
        ax.set_xlabel("year")
    for ax in axes[len(bundles):]:
        ax.set_visible(False)
    axes[0].set_ylabel("Rp billion a year")
    axes[0].legend(fontsize=6)
    return fig


def decision_figures(tables: Mapping[str, pd.DataFrame], holds: str, out: Path
                     ) -> dict[str, Path]:
    """The figures of ``sanisim decide`` saved into ``out``; ``holds``: what the runs span."""
    return {
        "ceac_png": _save(ceac_figure(tables["ceac"], holds), out / "ceac.png"),
        "targets_png": _save(targets_figure(tables["targets_by_year"], holds),
                             out / "targets_by_year.png"),
        "costs_png": _save(costs_figure(tables["costs_by_year"]), out / "costs_by_year.png"),
    }


def tradeoff_figure(front: pd.DataFrame, objectives: Mapping[str, bool], x: str, y: str,
                    colour: str | None = None) -> Figure:
    """The optimiser's evaluated mixes on two objectives, the Pareto set marked."""
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.subplots()
    rest, best = front[~front["pareto"]], front[front["pareto"]]
    over = rest[~rest["feasible"]]
    rest = rest[rest["feasible"]]
    ax.scatter(rest[x], rest[y], s=12, color="#BBBBBB", label="evaluated, within budgets")
    ax.scatter(over[x], over[y], s=14, color="#BBBBBB", marker="x", label="over a budget")
    points = ax.scatter(best[x], best[y], s=36, c=best[colour] if colour else "#0072B2",
                        cmap="viridis", label="Pareto set", edgecolor="black", linewidth=0.5)
    if colour:
        fig.colorbar(points, ax=ax, label=colour)
    for row in best.itertuples():
        ax.annotate(str(row.trial), (getattr(row, x), getattr(row, y)), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"{x} ({'more' if objectives.get(x, True) else 'less'} is better)")
    ax.set_ylabel(f"{y} ({'more' if objectives.get(y, True) else 'less'} is better)")
    ax.legend(fontsize=7)
    return fig
