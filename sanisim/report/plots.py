"""Figures for researchers and policy staff, in one house style.

Every function takes the tidy tables of :mod:`sanisim.analysis` and returns a matplotlib
``Figure`` (built without pyplot, so it works headless; save it with :func:`save`). The house
style (:data:`HOUSE_STYLE`) is set once here: large type for projectors, no chart junk, and
colour-blind-safe palettes (Okabe & Ito 2008 for the rungs, Paul Tol's "bright" scheme for
strategies), with line styles as a second cue for greyscale print. The five rungs always have
the same colours (:data:`RUNG_COLOURS`) and a bundle always has the same colour and line style.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sanisim import analysis, i18n
from sanisim.ladder import RUNG_COLUMNS
from sanisim.report import prose
from sanisim.report.tables import isna

#: Okabe-Ito colours, from open defecation (vermillion) to safely managed (dark blue).
RUNG_COLOURS: dict[str, str] = {
    "open_defecation": "#D55E00",
    "unimproved": "#E69F00",
    "limited": "#F0E442",
    "basic": "#56B4E9",
    "safely_managed": "#0072B2",
}

#: Paul Tol's "bright" qualitative scheme, then his "muted" colours (colour-blind safe); the
#: baseline is dark grey and dashed.
ARM_PALETTE: tuple[str, ...] = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE",
                                "#AA3377", "#332288", "#44AA99", "#882255", "#999933",
                                "#DDCC77", "#117733")
BASELINE_COLOUR = "#333333"
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
KNOWN_BUNDLES: tuple[str, ...] = tuple(b for b in i18n.BUNDLES if b != "baseline")

HOUSE_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.4,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "svg.fonttype": "path",
    # the ids of an SVG's clip paths and markers from this salt, not a random one: the same
    # figure is the same file, run after run and whichever process renders it
    "svg.hashsalt": "sanisim",
}
FIGSIZE = (11.0, 6.0)  # inches; 16:9-ish for slides, readable when printed at A4 width
DPI = 150
#: Width (inches) of the phone layout: drawn at this width, the smallest text (10.5 pt) is
#: still about 10 px when the image is shown 360 px wide on a 390 px phone.
NARROW_WIDTH = 5.2
_LAYOUT = {"narrow": False}
#: One colour per funder (Paul Tol's "bright"), in the cost and budget figures alike.
FUNDER_COLOURS = {"government": "#4477AA", "households": "#CCBB44",
                  "cooperatives": "#228833", "donors": "#AA3377"}


@contextmanager
def narrow_layout():
    """Context in which figures are drawn for a phone screen: :data:`NARROW_WIDTH` inches
    wide, panels and legends in fewer columns, the same type sizes (so text stays readable
    when the image is shown at the width of a phone)."""
    before = _LAYOUT["narrow"]
    _LAYOUT["narrow"] = True
    try:
        yield
    finally:
        _LAYOUT["narrow"] = before


def is_narrow() -> bool:
    return bool(_LAYOUT["narrow"])


#: numpy's own print options (numpy 2), set with the house style. matplotlib names an SVG's
#: clip paths and markers by a hash of their numbers as ``str`` prints them (with the salt
#: above), and numpy's print options change that string: with ``legacy="1.25"`` (what importing
#: ``sciris``, Starsim's toolkit, sets) ``np.float64(1.0)`` prints as ``1.0``, and the same
#: figure got other ids in such a process.
NUMPY_PRINT_DEFAULTS: dict[str, Any] = {
    "precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75, "suppress": False,
    "nanstr": "nan", "infstr": "inf", "sign": "-", "floatmode": "maxprec", "legacy": False}


@contextmanager
def house_style():
    """Context in which figures are drawn and saved in the house style (headless Agg canvas,
    :data:`HOUSE_STYLE`, numpy's own print options)."""
    with matplotlib.rc_context(HOUSE_STYLE), np.printoptions(**NUMPY_PRINT_DEFAULTS):
        yield


def styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Decorator: draw the figure inside :func:`house_style`."""
    @wraps(draw)
    def wrapper(*args, **kwargs) -> Figure:
        with house_style():
            return draw(*args, **kwargs)
    return wrapper


def new_figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    """A figure in constrained layout; in the phone layout at most :data:`NARROW_WIDTH`
    inches wide and a little taller, so its panels keep their room."""
    if is_narrow():
        width = min(figsize[0], NARROW_WIDTH)
        figsize = (width, figsize[1] * max(1.0, 0.6 * figsize[0] / width))
    return Figure(figsize=figsize, layout="constrained")


def save(fig: Figure, stem: Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (and return the paths)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with house_style():
        for fmt in formats:
            path = stem.with_suffix(f".{fmt}")
            fig.savefig(path, dpi=DPI, format=fmt, metadata=_metadata(fmt))
            paths.append(path)
    return paths


def _metadata(fmt: str) -> dict[str, Any] | None:
    # no creation dates, so the same results give byte-identical files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": None}
    return None


# --------------------------------------------------------------------------- arm styles


def arm_style(bundle: str, order: Sequence[str] = ()) -> dict[str, Any]:
    """Colour and line style of a bundle, stable across figures and reports."""
    if bundle == "baseline":
        return {"color": BASELINE_COLOUR, "linestyle": "--"}
    if bundle in KNOWN_BUNDLES:
        k = KNOWN_BUNDLES.index(bundle)
    else:
        others = [b for b in order if b not in KNOWN_BUNDLES and b != "baseline"]
        k = len(KNOWN_BUNDLES) + (others.index(bundle) if bundle in others else 0)
    return {"color": ARM_PALETTE[k % len(ARM_PALETTE)],
            "linestyle": LINESTYLES[(k // 2) % len(LINESTYLES)] if k % 2 else "-"}


class Arms:
    """The arms of a results store, with labels and styles (see :func:`sanisim.analysis.arms`).

    ``table`` has the design keys and ``arm`` (label); rows are in display order.
    """

    def __init__(self, table: pd.DataFrame, design: Sequence[str], lang: str = "en",
                 holds: str | None = None) -> None:
        self.table = table.reset_index(drop=True)
        self.design = list(design)
        self.lang = lang
        #: what the intervals hold (:func:`sanisim.analysis.interval_holds`); when given,
        #: figures with intervals say it in a line at the top
        self.holds = holds
        self.bundles = list(dict.fromkeys(self.table["bundle"]))

    @classmethod
    def from_results(cls, results, lang: str = "en", baseline: str = "baseline") -> Arms:
        """The arms of ``results`` (a :class:`sanisim.runs.results.Results`), labelled in
        ``lang``."""

        table = analysis.arms(results, baseline)
        table["arm"] = analysis.arm_labels(table, results, lang)
        return cls(table, analysis.design_keys(results), lang,
                   analysis.interval_holds(results))

    def __iter__(self):
        for _, row in self.table.iterrows():
            yield row

    def __len__(self) -> int:
        return len(self.table)

    def rows_of(self, frame: pd.DataFrame, arm: pd.Series) -> pd.DataFrame:
        mask = np.ones(len(frame), bool)
        for key in self.design:
            value = arm[key]
            column = frame[key]
            mask &= (column.isna().to_numpy() if isna(value)
                     else (column == value).to_numpy())
        return frame[mask]

    def style(self, arm: pd.Series) -> dict[str, Any]:
        style = arm_style(str(arm["bundle"]), self.bundles)
        same_bundle = self.table[self.table["bundle"] == arm["bundle"]]
        if len(same_bundle) > 1:  # parameter points of one bundle: vary the line style
            k = int(np.flatnonzero((same_bundle["arm"] == arm["arm"]).to_numpy())[0])
            style = {**style, "linestyle": LINESTYLES[k % len(LINESTYLES)]}
        return style


class _ShareFormatter(matplotlib.ticker.Formatter):
    """Shares (0-1) as percentages, or signed percentage points; decimals follow tick spacing.
    """

    def __init__(self, signed: bool = False) -> None:
        self.signed = signed
        self.decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        values = np.asarray(locs, float) * 100
        self.decimals = 3
        for decimals in range(3):  # the fewest decimals that show every tick exactly
            scaled = values * 10 ** decimals
            if np.allclose(scaled, np.round(scaled), atol=1e-6):
                self.decimals = decimals
                break

    def __call__(self, value, pos=None) -> str:
        value = 100 * value
        if abs(value) < 1e-9:
            value = 0.0
        if self.signed:
            return f"{value:+.{self.decimals}f}" if value else "0"
        return f"{value:.{self.decimals}f}%"


def _percent_axis(ax, axis: str = "y", signed: bool = False) -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(_ShareFormatter(signed))


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, _wrap(text, 18 if is_narrow() else 30), transform=ax.transAxes,
            ha="center", va="center", fontsize=13, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _interval_note(fig: Figure, arms: Arms) -> None:
    """A line at the top of the figure saying what its 95% intervals hold."""
    if arms.holds:
        note = prose.interval_note(arms.holds, arms.lang)
        fig.suptitle(_wrap(note, 60) if is_narrow() else note, fontsize=11, x=0.01,
                     ha="left", color="#555555")


def _legend_below(fig: Figure, handles, labels, ncol: int | None = None) -> None:
    longest = max((len(str(label)) for label in labels), default=0)
    ncol = ncol or min(len(labels), 4 if longest <= 22 else 3 if longest <= 30 else 2)
    if is_narrow():
        ncol = min(ncol, 1 if longest > 22 else 2)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol)


# --------------------------------------------------------------------------- the figures


@styled
def ladder_figure(summary: pd.DataFrame, arms: Arms) -> Figure:
    """The ladder over time as stacked areas, one panel per arm (mean of replicates).

    ``summary``: :func:`sanisim.analysis.replicate_summary` with the rung measures.
    """
    lang = arms.lang
    n = len(arms)
    ncol = min(2 if is_narrow() else 4, n)
    nrow = math.ceil(n / ncol)
    fig = new_figure((FIGSIZE[0], max(3.3 * nrow + 1.2, 4.5)))
    axes = np.atleast_1d(fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
                         ).ravel()
    names = i18n.rung_names(lang)
    stack = list(reversed(RUNG_COLUMNS))  # safely managed at the bottom, open defecation on top
    for ax, arm in zip(axes, arms, strict=False):
        rows = arms.rows_of(summary, arm)
        wide = rows.pivot_table(index="month", columns="measure", values="mean")
        months = wide.index.to_numpy()
        values = [wide[c].to_numpy() if c in wide else np.zeros_like(months, float)
                  for c in stack]
        ax.stackplot(months, values, colors=[RUNG_COLOURS[c] for c in stack],
                     edgecolor="white", linewidth=0.4)
        ax.set_title(_wrap(str(arm["arm"]), 28), fontsize=12.5)
        ax.set_ylim(0, 1)
        ax.set_xlim(months.min(), months.max())
        _percent_axis(ax)
        ax.grid(False)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[(nrow - 1) * ncol:]:
        ax.set_xlabel(prose.text("month", lang))

    handles = [Patch(facecolor=RUNG_COLOURS[c], edgecolor="none") for c in RUNG_COLUMNS]
    _legend_below(fig, handles, list(names), ncol=5)
    return fig


def _wrap(text: str, width: int = 30) -> str:
    """A long arm name over several lines (figure titles, axis labels)."""
    return "\n".join(textwrap.wrap(text, width)) or text


@styled
def compare_figure(summary: pd.DataFrame, arms: Arms,
                   measures: Sequence[str] = ("basic_or_better", "open_defecation")) -> Figure:
    """Strategies compared over time: mean with its t-based 95% CI band, one panel per measure.
    """
    lang = arms.lang
    fig = new_figure()
    axes = fig.subplots(1, len(measures), squeeze=False).ravel()
    handles, labels = _band_panels(axes, summary, arms, list(arms), measures)
    for ax in axes:
        _percent_axis(ax)
    axes[0].set_ylabel(prose.text("share_households", lang))
    _legend_below(fig, handles, labels)
    _interval_note(fig, arms)
    return fig


def _band_panels(axes, table: pd.DataFrame, arms: Arms, shown: list, measures: Sequence[str]
                 ) -> tuple[list, list[str]]:
    """One panel per measure: each shown arm's mean over months with its 95% band."""
    lang = arms.lang
    handles, labels = [], []
    for ax, measure in zip(axes, measures, strict=True):
        rows = table[table["measure"] == measure]
        for arm in shown:
            part = arms.rows_of(rows, arm).sort_values("month")
            if part.empty:
                continue
            style = arms.style(arm)
            (line,) = ax.plot(part["month"], part["mean"], **style)
            ax.fill_between(part["month"], part["low"], part["high"], color=style["color"],
                            alpha=0.18, linewidth=0)
            if ax is axes[0]:
                handles.append(line)
                labels.append(str(arm["arm"]))
        ax.set_title(i18n.measure_name(measure, lang))
        ax.set_xlabel(prose.text("month", lang))
    return handles, labels


@styled
def paired_figure(paired: pd.DataFrame, arms: Arms,
                  measures: Sequence[str] = ("basic_or_better", "open_defecation")) -> Figure:
    """Mean paired difference from the baseline over time (percentage points, 95% CI)."""
    lang = arms.lang
    fig = new_figure()
    axes = fig.subplots(1, len(measures), squeeze=False, sharey=False).ravel()
    strategy_arms = [a for a in arms if a["bundle"] != "baseline"]
    if paired.empty or not strategy_arms:
        for ax in axes:
            _note(ax, prose.text("no_baseline", lang))
        return fig
    for ax in axes:
        ax.axhline(0, color=BASELINE_COLOUR, linewidth=1.2, linestyle="--")
    handles, labels = _band_panels(axes, paired, arms, strategy_arms, measures)
    for ax in axes:
        _percent_axis(ax, signed=True)
    axes[0].set_ylabel(prose.text("pp_vs_baseline", lang))
    _legend_below(fig, handles, labels)
    _interval_note(fig, arms)
    return fig


@styled
def time_to_target_figure(targets: pd.DataFrame, arms: Arms) -> Figure:
    """Median month each target is reached, with the range of 95% of runs, per arm."""
    lang = arms.lang
    names = list(dict.fromkeys(targets["target"])) if not targets.empty else []
    height = max(3.0, 0.55 * len(arms) + 2.2)
    if is_narrow():  # targets one above the other
        fig = new_figure((NARROW_WIDTH, height * max(len(names), 1) * 0.8))
        axes = fig.subplots(max(len(names), 1), 1, sharey=True, squeeze=False).ravel()
    else:
        fig = new_figure((FIGSIZE[0], height))
        axes = fig.subplots(1, max(len(names), 1), sharey=True, squeeze=False).ravel()
    labels = [_wrap(str(a["arm"])) for a in arms]
    y = np.arange(len(arms))[::-1]
    for ax, name in zip(axes, names, strict=False):
        rows = targets[targets["target"] == name]
        horizon = float(rows["horizon"].max())
        for yk, arm in zip(y, arms, strict=True):
            part = arms.rows_of(rows, arm)
            if part.empty:
                continue
            row = part.iloc[0]
            colour = arms.style(arm)["color"]
            low = row["p2_5"] if not isna(row["p2_5"]) else row["first"]
            high = row["p97_5"]
            if row["reached"] > 0:
                end = high if not isna(high) else horizon
                ax.plot([low, end], [yk, yk], color=colour, linewidth=3, solid_capstyle="butt")
                if isna(high):
                    ax.annotate("", xy=(horizon * 1.04, yk), xytext=(end, yk),
                                arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
            if not isna(row["median"]):
                ax.plot(row["median"], yk, "o", color=colour, markersize=10,
                        markeredgecolor="white")
            text = (prose.text("reached_in", lang, k=int(row["reached"]), n=int(row["runs"]))
                    if row["reached"] else prose.text("not_reached_end", lang,
                                                   v=i18n.percent(row["end_mean"], lang)))
            if not is_narrow():  # on a phone the counts are in Table 2 only
                ax.text(horizon * 1.07, yk, text, va="center", fontsize=10.5, color="#444444")
        ax.axvline(horizon, color="#888888", linewidth=1, linestyle=":")
        ax.set_xlim(0, horizon * (1.12 if is_narrow() else 1.55))
        ax.set_xticks([t for t in ax.get_xticks() if 0 <= t <= horizon])
        ax.set_title(i18n.target_name(name, lang))
        ax.set_xlabel(prose.text("months_to_target", lang))
        ax.grid(axis="y", visible=False)
    for ax in axes if is_narrow() else axes[:1]:
        ax.set_yticks(y, labels)
        ax.tick_params(axis="y", labelleft=True)
    axes[0].set_ylim(-0.7, len(arms) - 0.3)
    _interval_note(fig, arms)
    return fig


@styled
def cost_figure(costs: pd.DataFrame, arms: Arms, x_label: str | None = None) -> Figure:
    """Cost-effectiveness: extra cost vs extra households (frontier marked), and cost per
    additional household split by funder. ``x_label`` names the households counted
    (default: additional households at basic or better)."""
    lang = arms.lang
    if is_narrow():  # the two panels one above the other
        fig = new_figure((NARROW_WIDTH, 10.0))
        left, right = fig.subplots(2, 1)
    else:
        fig = new_figure()
        left, right = fig.subplots(1, 2, width_ratios=[1.1, 1])
    if costs.empty:
        _note(left, prose.text("no_baseline", lang))
        _note(right, prose.text("no_baseline", lang))
        return fig
    total = costs[costs["funder"] == "total"]
    left.axhline(0, color="#999999", linewidth=1)
    left.axvline(0, color="#999999", linewidth=1)
    left.plot(0, 0, "s", color=BASELINE_COLOUR, markersize=9)
    base_rows = arms.table[arms.table["bundle"] == "baseline"]
    base_name = (str(base_rows.iloc[0]["arm"]) if len(base_rows)
                 else i18n.bundle_name("baseline", lang, short=True))
    left.annotate(_wrap(base_name, 24), (0, 0),
                  textcoords="offset points", xytext=(6, -14), fontsize=10.5)
    frontier = [(0.0, 0.0)]
    order = total.sort_values("households_mean")["households_mean"].tolist()
    for arm in arms:
        part = arms.rows_of(total, arm)
        if part.empty:
            continue
        row = part.iloc[0]
        below = order.index(row["households_mean"]) % 2 == 1
        colour = arms.style(arm)["color"]
        x, yv = row["households_mean"], row["cost_mean"] / 1e6
        left.errorbar(x, yv, xerr=_err(row, "households"), yerr=_err(row, "cost", 1e6),
                      fmt="o", color=colour, markersize=10, capsize=3, linewidth=1.5)
        left.annotate(_wrap(str(arm["arm"]), 24), (x, yv),
                      textcoords="offset points", xytext=(8, -16 if below else 6),
                      fontsize=10.5)
        if bool(row["frontier"]):
            frontier.append((x, yv))
    frontier.sort()
    fx, fy = zip(*frontier, strict=True)
    left.plot(fx, fy, color="#555555", linewidth=1.5, linestyle="-", zorder=0,
              label=prose.text("frontier", lang))
    left.legend(loc="upper left")
    left.set_xlabel(_wrap((x_label or prose.text("additional_households", lang))
                          + f" ({prose.text('vs_baseline', lang)})", 40))
    left.set_ylabel(prose.text("incremental_cost", lang))

    gaining = [a for a in arms if a["bundle"] != "baseline"
               and not arms.rows_of(total, a).empty
               and np.isfinite(arms.rows_of(total, a).iloc[0]["cost_per_household"])]
    _interval_note(fig, arms)
    if not gaining:
        _note(right, prose.text("no_baseline", lang))
        return fig
    y = np.arange(len(gaining))[::-1]
    pos_left = np.zeros(len(gaining))
    neg_left = np.zeros(len(gaining))
    for funder, colour in FUNDER_COLOURS.items():
        rows = costs[costs["funder"] == funder]
        widths = np.nan_to_num(np.array([
            arms.rows_of(rows, a).iloc[0]["cost_per_household"] / 1e6
            if not arms.rows_of(rows, a).empty else 0.0 for a in gaining]))
        # positives stack rightwards from zero, negatives (a fund holding money) leftwards
        starts = np.where(widths >= 0, pos_left, neg_left)
        right.barh(y, widths, left=starts, color=colour, height=0.6,
                   label=i18n.funder_name(funder, lang))
        pos_left += np.clip(widths, 0, None)
        neg_left += np.clip(widths, None, 0)
    for k, arm in enumerate(gaining):
        row = arms.rows_of(total, arm).iloc[0]
        right.errorbar(row["cost_per_household"] / 1e6, y[k], xerr=_err(row, "cph", 1e6),
                       fmt="D", color="black", markersize=7, capsize=3, linewidth=1.3,
                       label=i18n.funder_name("total", lang) if k == 0 else None)
    right.axvline(0, color="#999999", linewidth=1)
    right.set_yticks(y, [_wrap(str(a["arm"])) for a in gaining])
    right.set_xlabel(prose.text("cost_per_household_axis", lang))
    right.grid(axis="y", visible=False)
    handles, labels = right.get_legend_handles_labels()
    right.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                 ncol=2 if is_narrow() else 3, fontsize=10.5)
    return fig


def _err(row: pd.Series, prefix: str, scale: float = 1.0) -> np.ndarray | None:
    centre = row[f"{prefix}_mean"] if f"{prefix}_mean" in row else row["cost_per_household"]
    low, high = row[f"{prefix}_low"], row[f"{prefix}_high"]
    if isna(low) or isna(high):
        return None
    return np.array([[max(centre - low, 0.0)], [max(high - centre, 0.0)]]) / scale


@styled
def equity_figure(equity: pd.DataFrame, arms: Arms) -> Figure:
    """Basic or better at the end by income quintile (left) and decision maker (right)."""
    lang = arms.lang
    fig = new_figure()
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1], sharey=True)
    if equity.empty:
        _note(left, prose.text("no_equity", lang))
        _note(right, prose.text("no_equity", lang))
        return fig
    n = len(arms)
    dodge = np.linspace(-0.25, 0.25, n) if n > 1 else np.zeros(1)
    handles, labels = [], []
    for panel, dimension, groups in ((left, "income_quintile", [f"q{q}" for q in range(1, 6)]),
                                     (right, "gender", ["female", "male"])):
        rows = equity[equity["dimension"] == dimension]
        x = np.arange(len(groups))
        for k, arm in enumerate(arms):
            part = arms.rows_of(rows, arm).set_index("group").reindex(groups)
            style = arms.style(arm)
            err = np.vstack([(part["end"] - part["end_low"]).clip(lower=0).to_numpy(),
                             (part["end_high"] - part["end"]).clip(lower=0).to_numpy()])
            container = panel.errorbar(x + dodge[k], part["end"], yerr=np.nan_to_num(err),
                                       fmt="o", color=style["color"], markersize=8,
                                       capsize=2, linewidth=1.4,
                                       linestyle=style["linestyle"] if panel is left else "none")
            if panel is left:
                handles.append(container)
                labels.append(str(arm["arm"]))
        start = rows.groupby("group")["start"].mean().reindex(groups)
        panel.plot(x, start, "_", color="#777777", markersize=34, markeredgewidth=2.5)
        panel.set_xticks(x, [i18n.group_name(g, lang) for g in groups],
                         rotation=0 if panel is left else 0, fontsize=11)
        panel.grid(axis="x", visible=False)
        _percent_axis(panel)
    left.set_xlabel(prose.text("quintile_axis", lang))
    right.set_xlabel(prose.text("decision_maker", lang))
    left.set_ylabel(i18n.measure_name("basic_or_better", lang))

    handles.append(Line2D([], [], marker="_", color="#777777", markersize=20,
                          markeredgewidth=2.5, linestyle="none"))
    labels.append(prose.text("at_start", lang))
    _legend_below(fig, handles, labels)
    _interval_note(fig, arms)
    return fig


# --------------------------------------------------------------------------- network


def community_layout(rt: np.ndarray, rw: np.ndarray, per_row: int = 4) -> np.ndarray:
    """Positions (n, 2): households on a small disc per RT, the RTs of an RW side by side.

    O(n) and deterministic (no force-directed layout), so the nested RT/RW structure of the
    network is visible at a glance. An RW with more than ``per_row`` RTs wraps.
    """
    pos = np.zeros((rt.size, 2))
    golden = math.pi * (3 - math.sqrt(5))  # sunflower spiral: even spacing on a disc
    row = 0
    for w in dict.fromkeys(rw.tolist()):
        rts = list(dict.fromkeys(rt[rw == w].tolist()))
        for k, r in enumerate(rts):
            members = np.flatnonzero(rt == r)
            cx, cy = 2.6 * (k % per_row), -2.6 * (row + k // per_row)
            j = np.arange(members.size)
            radius = np.sqrt((j + 0.5) / members.size)
            pos[members, 0] = cx + radius * np.cos(j * golden)
            pos[members, 1] = cy + radius * np.sin(j * golden)
        row += math.ceil(len(rts) / per_row)
    return pos


@styled
def network_figure(graph, rt: np.ndarray, rw: np.ndarray, rung_start: np.ndarray,
                   rung_end: np.ndarray, months: int, lang: str = "en",
                   max_households: int = 600) -> Figure:
    """One small run's network, households coloured by rung at the start and at the end.

    ``graph`` is ``SocialNetwork.to_networkx()``; only the first ``max_households`` rows
    (whole RTs) are drawn.
    """

    n = min(int(rt.size), max_households)
    if n < rt.size:  # whole RTs only
        cut = rt[n]
        n = int(np.searchsorted(rt, cut)) if np.all(np.diff(rt) >= 0) else n
    keep = np.arange(n)
    pos = community_layout(rt[keep], rw[keep])
    sub = graph.subgraph(keep.tolist())
    edges = np.array([(u, v) for u, v in sub.edges() if u < n and v < n], dtype=int)
    width = float(np.ptp(pos[:, 0])) + 2.0
    height = float(np.ptp(pos[:, 1])) + 2.0
    fig = new_figure((FIGSIZE[0], min(max(FIGSIZE[0] / 2 * height / width + 1.6, 4.0), 9.0)))
    axes = fig.subplots(1, 2)
    colours = np.array([RUNG_COLOURS[c] for c in RUNG_COLUMNS])
    for ax, rung, month in ((axes[0], rung_start, 0), (axes[1], rung_end, months)):
        if edges.size:
            segments = np.stack([pos[edges[:, 0]], pos[edges[:, 1]]], axis=1)
            ax.add_collection(LineCollection(segments, colors="#b0b0b0", linewidths=0.35,
                                             alpha=0.45, zorder=1, rasterized=True))
        ax.scatter(pos[:, 0], pos[:, 1], c=colours[np.asarray(rung)[keep]], s=22,
                   edgecolors="#333333", linewidths=0.3, zorder=2)
        ax.set_title(prose.text("at_month", lang, m=month))
        ax.set_aspect("equal")
        ax.set_axis_off()
    handles = [Patch(facecolor=RUNG_COLOURS[c], edgecolor="#333333") for c in RUNG_COLUMNS]
    title = prose.text("network_title", lang, n=n)
    fig.suptitle(_wrap(title, 50) if is_narrow() else title, fontsize=12.5, x=0.02,
                 ha="left")
    _legend_below(fig, handles, list(i18n.rung_names(lang)), ncol=5)
    return fig


# --------------------------------------------------------------------------- sweeps, districts


@styled
def sweep_figure(sweep: pd.DataFrame, arms: Arms, parameters: Sequence[str],
                 outcomes: Sequence[str], labels: Mapping[str, str],
                 axes_names: Mapping[str, str] | None = None) -> Figure:
    """Each outcome (rows) against each swept parameter (columns): one line per strategy, the
    mean over the runs at a level with its 95% band.

    ``sweep``: :func:`sanisim.analysis.sweep_table` of one scenario; ``labels``: outcome
    column -> axis label; ``axes_names``: parameter -> x-axis label (default the key).
    """
    axes_names = axes_names or {}
    ncol, nrow = len(parameters), len(outcomes)
    fig = new_figure((FIGSIZE[0], 2.9 * nrow + 1.2))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex="col", sharey="row")
    handles, names = [], []
    bundles = list(dict.fromkeys(arms.table["bundle"]))
    for j, parameter in enumerate(parameters):
        for i, outcome in enumerate(outcomes):
            ax = axes[i, j]
            part = sweep[(sweep["parameter"] == parameter) & (sweep["outcome"] == outcome)]
            for bundle in bundles:
                rows = part[part["bundle"] == bundle].sort_values("value")
                if rows.empty:
                    continue
                arm = arms.table[arms.table["bundle"] == bundle].iloc[0]
                style = arm_style(str(bundle), bundles)
                (line,) = ax.plot(rows["value"], rows["mean"], marker="o", markersize=5,
                                  **style)
                ax.fill_between(rows["value"], rows["low"], rows["high"],
                                color=style["color"], alpha=0.18, linewidth=0)
                if i == 0 and j == 0:
                    handles.append(line)
                    names.append(str(arm["arm"]))
            _percent_axis(ax)
            if j == 0:
                ax.set_ylabel(_wrap(labels.get(outcome, outcome), 22))
            if i == nrow - 1:
                ax.set_xlabel(_wrap(axes_names.get(parameter, parameter), 26))
    _legend_below(fig, handles, names)
    _interval_note(fig, arms)
    return fig


@styled
def districts_figure(panels: Sequence[tuple[str, pd.DataFrame, Arms]],
                     measures: Sequence[str] = ("basic_or_better", "open_defecation",
                                                "safely_managed")) -> Figure:
    """Small multiples: one column per district, one row per measure, one line per strategy
    of that district (mean with its 95% band); rows share their y axis.

    ``panels``: (district title, :func:`sanisim.analysis.replicate_summary` of the district,
    its :class:`Arms`).
    """
    lang = panels[0][2].lang
    ncol, nrow = len(panels), len(measures)
    fig = new_figure((FIGSIZE[0], 2.8 * nrow + 2.6))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True, sharey="row")
    for j, (title, summary, arms) in enumerate(panels):
        column = axes[:, j]
        handles, labels = _band_panels(column, summary, arms, list(arms), measures)
        for ax in column:
            ax.set_title("")
        column[0].set_title(_wrap(title, 20), fontsize=12.5)
        for ax in column:
            _percent_axis(ax)
            if ax is not column[-1]:
                ax.set_xlabel("")
        column[-1].legend(handles, [_wrap(label, 26) for label in labels], loc="upper center",
                          bbox_to_anchor=(0.5, -0.32), fontsize=10.5, ncol=1)
    for i, measure in enumerate(measures):
        axes[i, 0].set_ylabel(_wrap(i18n.measure_name(measure, lang), 20))
    _interval_note(fig, panels[0][2])
    return fig


@styled
def frontiers_figure(panels: Sequence[tuple[str, pd.DataFrame, Arms]], x_label: str
                     ) -> Figure:
    """One cost-effectiveness panel per district: additional cost against additional
    households (the district's headline outcome), with that district's own efficient
    frontier. Districts never share a frontier: their baselines, populations and prices
    differ.

    ``panels``: (district title, the district's cost table (funder ``total`` rows used), its
    :class:`Arms`).
    """
    ncol = len(panels)
    fig = new_figure((FIGSIZE[0], 5.2))
    axes = fig.subplots(1, ncol, squeeze=False).ravel()
    for ax, (title, costs, arms) in zip(axes, panels, strict=True):
        ax.set_title(_wrap(title, 24), fontsize=12.5)
        total = costs[costs["funder"] == "total"] if not costs.empty else costs
        if total.empty:
            _note(ax, prose.text("no_baseline", arms.lang))
            continue
        ax.axhline(0, color="#999999", linewidth=1)
        ax.axvline(0, color="#999999", linewidth=1)
        ax.plot(0, 0, "s", color=BASELINE_COLOUR, markersize=8)
        frontier = [(0.0, 0.0)]
        for arm in arms:
            part = arms.rows_of(total, arm)
            if part.empty:
                continue
            row = part.iloc[0]
            x, y = row["households_mean"], row["cost_mean"] / 1e6
            ax.errorbar(x, y, xerr=_err(row, "households"), yerr=_err(row, "cost", 1e6),
                        fmt="o", color=arms.style(arm)["color"], markersize=8, capsize=3,
                        linewidth=1.3)
            ax.annotate(_wrap(str(arm["arm"]), 18), (x, y), textcoords="offset points",
                        xytext=(6, 4), fontsize=10.5)
            if bool(row["frontier"]):
                frontier.append((x, y))
        frontier.sort()
        fx, fy = zip(*frontier, strict=True)
        ax.plot(fx, fy, color="#555555", linewidth=1.4, zorder=0)
        ax.set_xlabel(_wrap(x_label, 30))
    axes[0].set_ylabel(prose.text("incremental_cost", panels[0][2].lang))
    _interval_note(fig, panels[0][2])
    return fig
