"""The budget view: what each arm costs each funder, in total and per programme year.

From what the results store records of every run (spending per funder per month, loan
repayments received and capital injected into the cooperatives' funds), by the one cost rule
of :func:`sanisim.ledger.cumulative_costs`: the cost to each funder up to the end of each
programme year (months 1-12, 13-24, ...; month 0 counts in year 1), differenced year by year
and averaged over the arm's runs. Summed over the years it is the run's cost over the horizon
(``cost_<funder>`` of :func:`sanisim.analysis.run_metrics`). Amounts are rupiah in the table
file (``budget.csv``) and Rp billion on the page: one sentence per arm, one figure, one table.
Undiscounted; the decision files' budgets (APBD, DAK, ...) and discounting are in
``sanisim decide`` (docs/decisions.md).
"""

from __future__ import annotations

import itertools
import textwrap
from functools import partial

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sanisim import analysis, i18n
from sanisim.ledger import BOOKED, funder_costs
from sanisim.model import FUNDERS
from sanisim.report import plots, prose
from sanisim.report.sections import Budget, Images, figure_entry
from sanisim.report.tables import Cell, TableView, labelled
from sanisim.runs.results import Results

#: Months in a programme year.
YEAR_MONTHS = 12
#: Rupiah in the page's unit (Rp billion; miliar in Indonesian).
BILLION = 1e9
#: The funders shown, then their sum.
BUDGET_FUNDERS: tuple[str, ...] = (*FUNDERS, "total")
#: Monthly columns the cost rule reads (older stores may lack the last two: zero then).
_OPTIONAL = ("loan_repayments", "funds_injected")


def programme_year(month) -> np.ndarray:
    """Programme year of each month: 1 for months 0-12, 2 for 13-24, ..."""
    return np.maximum(1, np.ceil(np.asarray(month, float) / YEAR_MONTHS)).astype(int)


def yearly_costs(results: Results) -> pd.DataFrame:
    """Cost to each funder per programme year, per arm, mean over the arm's finished runs.

    One row per arm (design keys), funder (the model's funders and ``total``) and year:
    ``first_month``, ``last_month`` (of the year, over the arm's runs), ``cost`` (rupiah,
    mean over runs), ``runs``.
    """
    runs = analysis.finished_runs(results)
    design = analysis.design_keys(results)
    monthly = results.monthly[results.monthly["run_key"].isin(runs["run_key"])]
    monthly = monthly.sort_values(["run_key", "month"]).copy()
    for column in _OPTIONAL:
        if column not in monthly.columns:
            monthly[column] = 0.0
    if monthly.empty:
        return pd.DataFrame(columns=[*design, "funder", "year", "first_month", "last_month",
                                     "cost", "runs"])
    # every run's cumulative costs at once: each run's running sums (numpy's cumsum, as
    # ledger.cumulative_costs of the run alone), the cost rule of ledger.funder_costs on them,
    # then each run's cost up to the last month of each programme year, less the year before
    run_key, month = monthly["run_key"].to_numpy(), monthly["month"].to_numpy()
    year = programme_year(month)
    new_run = np.flatnonzero(run_key[1:] != run_key[:-1]) + 1
    bounds = [0, *new_run.tolist(), len(monthly)]

    def running(values: np.ndarray) -> np.ndarray:
        out = np.empty(values.shape)
        for lo, hi in itertools.pairwise(bounds):
            np.cumsum(values[lo:hi], out=out[lo:hi])
        return out

    spent = {f: running(monthly[f"spending_{f}"].to_numpy(float)) for f in BOOKED}
    net_lending = running((monthly["spending_cooperatives"] - monthly["loan_repayments"])
                          .to_numpy(float))
    costs = funder_costs(spent, net_lending, monthly["funds_injected"].to_numpy(float))
    cut = np.union1d(new_run, np.flatnonzero(year[1:] != year[:-1]) + 1)  # (run, year) starts
    first, last = np.concatenate([[0], cut]), np.append(cut - 1, len(monthly) - 1)
    same_run = np.append(False, run_key[first[1:]] == run_key[last[:-1]])
    ends = {"run_key": run_key[last], "year": year[last], "first_month": month[first],
            "last_month": month[last]}
    for funder in BUDGET_FUNDERS:
        at_end = costs[funder][last]
        before = np.where(same_run, np.append(0.0, at_end[:-1]), 0.0)
        ends[funder] = at_end - np.where(np.isnan(before), 0.0, before)
    per_run = pd.DataFrame(ends).merge(runs[["run_key", *design]], on="run_key")
    long = per_run.melt(id_vars=["run_key", *design, "year", "first_month", "last_month"],
                        value_vars=list(BUDGET_FUNDERS), var_name="funder", value_name="cost")
    out = long.groupby([*design, "funder", "year"], dropna=False, sort=False).agg(
        first_month=("first_month", "min"), last_month=("last_month", "max"),
        cost=("cost", "mean"), runs=("run_key", "nunique")).reset_index()
    order = {f: k for k, f in enumerate(BUDGET_FUNDERS)}
    out["_funder"] = out["funder"].map(order)
    arms = runs[design].drop_duplicates().reset_index(drop=True).reset_index(names="_arm")
    out = out.merge(arms, on=design, how="left")
    return (out.sort_values(["_arm", "_funder", "year"]).drop(columns=["_arm", "_funder"])
            .reset_index(drop=True))


def billions(amount: float, lang: str) -> str:
    """Rupiah as ``Rp 1.23 billion`` (en) or ``Rp 1,23 miliar`` (id); three decimals below
    Rp 1 billion (Rp 0.042 billion), so small programmes do not read as nothing."""
    value = amount / BILLION
    digits = 2 if abs(value) >= 1 else 3
    return prose.text("budget_amount", lang, amount=i18n.number(value, lang, digits))


def _arm_costs(budget: pd.DataFrame, arms: plots.Arms, arm: pd.Series) -> pd.DataFrame:
    """The arm's rows: funder x year costs (rupiah) as a funder-by-year table."""
    rows = arms.rows_of(budget, arm)
    return rows.pivot(index="funder", columns="year", values="cost").reindex(
        list(BUDGET_FUNDERS))


def _years(budget: pd.DataFrame) -> list[tuple[int, int, int]]:
    spans = budget.groupby("year").agg(first=("first_month", "min"), last=("last_month", "max"))
    return [(int(y), int(r["first"]), int(r["last"])) for y, r in spans.iterrows()]


def sentences(budget: pd.DataFrame, arms: plots.Arms, lang: str) -> list[str]:
    """One sentence per arm: its total, each funder's part and each year's total."""
    years = _years(budget)
    horizon = years[-1][2] if years else 0
    out = []
    for arm in arms:
        costs = _arm_costs(budget, arms, arm)
        if costs.empty or costs.isna().all().all():
            continue
        funders = ", ".join(f"{i18n.funder_name(f, lang).lower()} "
                            f"{billions(costs.loc[f].sum(), lang)}" for f in FUNDERS)
        per_year = ", ".join(
            prose.text("budget_year_short", lang, year=y) + " "
            + billions(costs.loc["total", y], lang) for y, _, _ in years if y in costs.columns)
        out.append(prose.text("budget_sentence", lang, arm=arm["arm"], months=horizon,
                              total=billions(costs.loc["total"].sum(), lang),
                              funders=funders, years=per_year))
    return out


def table(budget: pd.DataFrame, arms: plots.Arms, lang: str) -> TableView:
    """Rows: arm x funder; columns: each programme year and the total (Rp billion)."""
    years = _years(budget)
    view = TableView(
        prose.text("budget_table", lang, runs=int(budget["runs"].min()) if len(budget) else 0),
        [prose.text("strategy", lang), prose.text("funder", lang),
         *(prose.text("budget_year", lang, year=y, first=a, last=b) for y, a, b in years),
         prose.text("budget_total", lang)],
        note=prose.text("budget_note", lang))
    for arm in arms:
        costs = _arm_costs(budget, arms, arm)
        if costs.empty:
            continue
        for k, funder in enumerate(BUDGET_FUNDERS):
            row = costs.loc[funder]
            view.rows.append([
                Cell(str(arm["arm"]) if k == 0 else ""),
                Cell(i18n.funder_name(funder, lang)),
                *(Cell(i18n.number(row.get(y, np.nan) / BILLION, lang, 3)) for y, _, _ in years),
                Cell(i18n.number(row.sum() / BILLION, lang, 3))])
    return view


@plots.styled
def figure(budget: pd.DataFrame, arms: plots.Arms) -> Figure:
    """One panel per arm: each programme year's cost stacked by funder (Rp billion; a
    negative part, money held in a cooperative fund, below zero), the total as a dot."""
    lang = arms.lang
    shown = [a for a in arms if not arms.rows_of(budget, a).empty]
    cols = 1 if plots.is_narrow() else min(3, max(1, len(shown)))
    nrows = max(1, -(-len(shown) // cols))
    fig = plots.new_figure((plots.FIGSIZE[0], 1.0 + 2.6 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, cols, sharey=True, squeeze=False)).ravel()
    years = [y for y, _, _ in _years(budget)]
    for ax, arm in zip(axes, shown, strict=False):
        costs = _arm_costs(budget, arms, arm) / BILLION
        x = np.arange(len(years))
        up, down = np.zeros(len(years)), np.zeros(len(years))
        for funder in FUNDERS:
            values = np.nan_to_num(np.array([costs.loc[funder].get(y, 0.0) for y in years]))
            ax.bar(x, values, bottom=np.where(values >= 0, up, down), width=0.6,
                   color=plots.FUNDER_COLOURS[funder],
                   label=i18n.funder_name(funder, lang))
            up += np.clip(values, 0, None)
            down += np.clip(values, None, 0)
        totals = [costs.loc["total"].get(y, np.nan) for y in years]
        ax.plot(x, totals, "D", color="black", markersize=6,
                label=i18n.funder_name("total", lang))
        ax.axhline(0, color="#999999", linewidth=1)
        ax.set_xticks(x, [prose.text("budget_year_short", lang, year=y) for y in years])
        ax.set_title(textwrap.fill(str(arm["arm"]), 34), fontsize=11)
        ax.grid(axis="x", visible=False)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    fig.supylabel(prose.text("budget_axis", lang), fontsize=plots.HOUSE_STYLE["axes.labelsize"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3 if plots.is_narrow() else 5)
    return fig


def budget_view(results: Results, budget: pd.DataFrame, tables, images: Images, lang: str,
                prefix: str = "") -> Budget | None:
    """The budget part of a district's section (None when no run has finished): its
    sentences, the figure (written as ``PREFIXbudget`` in the figure folder) and the table;
    ``tables`` are the district's :class:`sanisim.report.tables.Tables`."""
    if budget.empty:
        return None
    arms = plots.Arms(labelled(tables, results, lang), analysis.design_keys(results), lang,
                      holds=tables.interval_holds)
    image = images.save(prefix + "budget", partial(figure, budget, arms))
    return Budget(prose.text("budget_title", lang), sentences(budget, arms, lang),
                  figure_entry("budget", image, tables.interval_holds, lang, intervals=False),
                  table(budget, arms, lang))
