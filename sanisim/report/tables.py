"""The report's tables: computed from a results store in raw units (written as CSV), and
formatted for reading (shares as percentages, rupiah rounded, 95% ranges below the value).

:func:`html_tables` returns :class:`TableView` records of plain text; the page template
(``templates/tables.html.j2``) lays them out and escapes every cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from sanisim import analysis, i18n
from sanisim.report import prose
from sanisim.report.names import Names
from sanisim.runs.results import PARAM_PREFIX

if TYPE_CHECKING:
    from sanisim.runs.results import Results

BASELINE = "baseline"  # the arm strategies are compared with
#: Strategy types that exist to make sanitation safely managed: where a district's batch runs
#: one, its headline outcome is safely managed sanitation (and cost per safely managed
#: household), not the end of open defecation.
SAFELY_MANAGED_TYPES: frozenset[str] = frozenset({"desludging", "communal"})


@dataclass
class Tables:
    """The analysis tables a report shows and writes (raw units, tidy)."""

    arms: pd.DataFrame
    ladder_end: pd.DataFrame
    ladder_over_time: pd.DataFrame
    paired_end: pd.DataFrame
    paired_over_time: pd.DataFrame
    time_to_target: pd.DataFrame
    costs: pd.DataFrame
    equity: pd.DataFrame
    odf: pd.DataFrame
    loan_fund: pd.DataFrame
    run_metrics: pd.DataFrame
    #: what every interval holds (:func:`sanisim.analysis.interval_holds`)
    interval_holds: str = "seed noise"
    #: the scenarios and the display names of their arms
    names: Names = field(default_factory=lambda: Names({}))
    #: the headline outcome: "open_defecation" (time to 0%) or "safely_managed"
    focus: str = "open_defecation"
    #: cost per additional safely managed household (computed when ``focus`` is it)
    costs_safely: pd.DataFrame = field(default_factory=pd.DataFrame)

    def csv_tables(self) -> dict[str, pd.DataFrame]:
        tables = {"arms": self.arms, "ladder_end": self.ladder_end,
                  "ladder_over_time": self.ladder_over_time, "paired_end": self.paired_end,
                  "paired_over_time": self.paired_over_time,
                  "time_to_target": self.time_to_target, "cost_per_household": self.costs,
                  "equity": self.equity, "odf": self.odf, "loan_fund": self.loan_fund,
                  "run_metrics": self.run_metrics}
        if not self.costs_safely.empty:
            tables["cost_per_safely_managed_household"] = self.costs_safely
        return tables

    @property
    def headline_costs(self) -> pd.DataFrame:
        """The cost table of the headline outcome."""
        return self.costs_safely if self.focus == "safely_managed" else self.costs

    @property
    def horizon(self) -> int:
        """The longest run's horizon, months."""
        return int(self.run_metrics["horizon"].max())


def focus_of(results: Results, names: Names) -> str:
    """The headline outcome of a district's batch: "safely_managed" when one of its bundles
    runs desludging (LLTT) or communal plants, else "open_defecation"."""
    runs = results.runs[["scenario", "bundle"]].drop_duplicates()
    for scenario, bundle in runs.itertuples(index=False):
        if names.strategy_types(str(scenario), str(bundle)) & SAFELY_MANAGED_TYPES:
            return "safely_managed"
    return "open_defecation"


def compute_tables(results: Results, baseline: str = BASELINE,
                   names: Names | None = None) -> Tables:
    names = names if names is not None else Names.of(results)
    focus = focus_of(results, names)
    metrics = analysis.run_metrics(results)
    over_time_measures = [m for m in (*analysis.LADDER_MEASURES, "odf_communities")
                          if m in results.monthly.columns]
    paired_measures = ["basic_or_better", "open_defecation", "safely_managed"]
    tables = Tables(
        arms=analysis.arms(results, baseline),
        ladder_end=analysis.ladder_end(results),
        ladder_over_time=analysis.replicate_summary(results, over_time_measures),
        paired_end=analysis.paired_differences(results, paired_measures, baseline, "end"),
        paired_over_time=analysis.paired_differences(results, paired_measures[:2], baseline),
        time_to_target=analysis.time_to_target(results, metrics=metrics),
        costs=analysis.costs(results, baseline, metrics),
        equity=analysis.equity(results, baseline, metrics),
        odf=analysis.odf(results, baseline, metrics),
        loan_fund=analysis.loan_fund(results, baseline, metrics),
        run_metrics=metrics,
        interval_holds=analysis.interval_holds(results),
        names=names,
        focus=focus,
        costs_safely=(analysis.costs(results, baseline, metrics, measure="safely_managed")
                      if focus == "safely_managed" else pd.DataFrame()),
    )
    tables.arms = labelled(tables, results, "en")  # the declared names in the CSV too
    return tables


# --------------------------------------------------------------------------- rows and arms


def labelled(tables: Tables, results: Results, lang: str) -> pd.DataFrame:
    """The arms table with each arm's display name in column ``arm``: the name its scenario
    file declares (one name per arm in every table, figure and sentence), the district when
    the table holds several, and the parameter values when they vary."""
    frame = tables.arms
    if frame.empty:
        return frame.assign(arm=pd.Series([], dtype=str))
    districts = frame["scenario"].nunique() > 1
    params = [c for c in results.param_columns if results.runs[c].nunique(dropna=False) > 1]

    def label(row: pd.Series) -> str:
        name = tables.names.bundle(str(row["scenario"]), str(row["bundle"]), lang)
        extra = [tables.names.title(str(row["scenario"]))] if districts else []
        extra += [f"{c.removeprefix(PARAM_PREFIX).split('.')[-1]}="
                  f"{_fmt_param(row[c])}" for c in params]
        return name + (f" ({', '.join(extra)})" if extra else "")

    return frame.assign(arm=frame.apply(label, axis=1))


def _fmt_param(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def isna(value: Any) -> bool:

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def match(frame: pd.DataFrame, arm: pd.Series, keys: Sequence[str]) -> pd.DataFrame:
    """The rows of ``frame`` that belong to ``arm`` (equal on every design key it has)."""
    for key in keys:
        if key not in frame.columns:
            continue
        value = arm[key]
        frame = frame[frame[key].isna()] if isna(value) else frame[frame[key] == value]
    return frame


def arm_name(arm: pd.Series) -> str:
    return str(arm["arm"])


def rupiah_range(low: float, high: float, lang: str) -> str:
    """'Rp 18.1–21.4 million' (one unit when both ends share it)."""
    a, b = i18n.rupiah(low, lang), i18n.rupiah(high, lang)
    head_a, _, unit_a = a.rpartition(" ")
    head_b, _, unit_b = b.rpartition(" ")
    if unit_a == unit_b and unit_a in ("million", "billion", "juta", "miliar") and \
            not a.startswith("−") and not b.startswith("−"):
        return f"{head_a}–{head_b.removeprefix('Rp ')} {unit_a}"
    return f"{a} – {b}"


def month(value: float, horizon: int) -> str:
    """A month, or '> horizon' for a quantile among runs that never reach the target."""
    if isna(value):
        return f">\u202f{horizon}"
    return f"{value:.0f}"


# --------------------------------------------------------------------------- formatted


@dataclass(frozen=True)
class Cell:
    """One table cell: a value and, when known, its 95% range (shown small below it)."""

    text: str
    ci: str = ""


@dataclass
class TableView:
    """A table formatted for reading: plain text throughout (the template escapes it)."""

    caption: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


def _range(low: float, high: float, fmt: Callable[[float], str]) -> str:
    if isna(low) or isna(high):
        return ""
    return f"{fmt(low)} – {fmt(high)}"


def html_tables(tables: Tables, labels: pd.DataFrame, design: list[str], lang: str
                ) -> list[TableView]:
    """The key tables, formatted for reading (CSV files keep raw units)."""
    arm_rows = [arm for _, arm in labels.iterrows()]
    held = "; " + prose.interval_note(tables.interval_holds, lang)
    views = [_ladder_table(tables, arm_rows, design, lang, held),
             _target_table(tables, arm_rows, design, lang, held)]
    if not tables.costs.empty:
        views.append(_cost_table(tables, arm_rows, design, lang, held))
    if not tables.equity.empty:
        views.append(_equity_table(tables, arm_rows, design, lang, held))
    views.append(_odf_table(tables, arm_rows, design, lang))
    return views


def _ladder_table(tables: Tables, arm_rows: list[pd.Series], design: list[str], lang: str,
                  held: str) -> TableView:
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    pts = lambda v: i18n.points(v, lang)  # noqa: E731
    na = prose.text("na", lang)
    rungs = [*analysis.LADDER_MEASURES]
    view = TableView(
        prose.table_caption("ladder", lang, horizon=tables.horizon, held=held),
        [prose.text("strategy", lang), *(i18n.measure_name(m, lang) for m in rungs),
         f"{i18n.measure_name('basic_or_better', lang)} {prose.text('vs_baseline', lang)}"])
    for arm in arm_rows:
        part = match(tables.ladder_end, arm, design).set_index("measure")
        cells = [Cell(arm_name(arm))]
        for m in rungs:
            if m not in part.index:
                cells.append(Cell(na))
            elif m == "basic_or_better":
                cells.append(Cell(pct(part.loc[m, "mean"]),
                                  _range(part.loc[m, "low"], part.loc[m, "high"], pct)))
            else:
                cells.append(Cell(pct(part.loc[m, "mean"])))
        diff = match(tables.paired_end[tables.paired_end["measure"] == "basic_or_better"],
                     arm, design)
        cells.append(Cell(pts(diff.iloc[0]["mean"]),
                          _range(diff.iloc[0]["low"], diff.iloc[0]["high"], pts))
                     if len(diff) else Cell(na))
        view.rows.append(cells)
    return view


def _target_table(tables: Tables, arm_rows: list[pd.Series], design: list[str], lang: str,
                  held: str) -> TableView:
    ttt = tables.time_to_target
    na = prose.text("na", lang)
    names = list(dict.fromkeys(ttt["target"])) if not ttt.empty else []
    header = [prose.text("strategy", lang)]
    for name in names:
        header += [f"{i18n.target_name(name, lang)}: {prose.text('reached', lang)}",
                   prose.text("median_month", lang), prose.text("range_95", lang)]
    view = TableView(prose.table_caption("targets", lang, horizon=tables.horizon, held=held),
                     header)
    for arm in arm_rows:
        cells = [Cell(arm_name(arm))]
        for name in names:
            row = match(ttt[ttt["target"] == name], arm, design)
            if row.empty:
                cells += [Cell(na)] * 3
                continue
            row = row.iloc[0]
            horizon = int(row["horizon"])
            cells.append(Cell(f"{int(row['reached'])}/{int(row['runs'])}"))
            if not row["reached"]:
                cells += [Cell(prose.text("not_reached", lang)), Cell(na)]
                continue
            low = row["p2_5"] if not isna(row["p2_5"]) else row["first"]
            cells.append(Cell(month(row["median"], horizon)))
            cells.append(Cell(f"{month(low, horizon)} – {month(row['p97_5'], horizon)}"))
        view.rows.append(cells)
    return view


def _cost_table(tables: Tables, arm_rows: list[pd.Series], design: list[str], lang: str,
                held: str) -> TableView:
    costs = tables.costs
    view = TableView(
        prose.table_caption("cost", lang, horizon=tables.horizon, held=held),
        [prose.text("strategy", lang), prose.text("added_households", lang),
         f"{prose.text('per_household', lang)}: {i18n.funder_name('total', lang)}",
         *(i18n.funder_name(f, lang) for f in analysis.FUNDERS)],
        note=prose.table_caption("cost_note", lang))
    for arm in arm_rows:
        mine = match(costs, arm, design)
        if mine.empty:
            continue
        total = mine[mine["funder"] == "total"].iloc[0]
        frontier = " ◆" if bool(total["frontier"]) else ""
        cph_range = ""
        if not isna(total["cph_low"]) and not isna(total["cph_high"]):
            cph_range = rupiah_range(total["cph_low"], total["cph_high"], lang)
        cells = [Cell(arm_name(arm) + frontier),
                 Cell(i18n.number(total["households_mean"], lang),
                      _range(total["households_low"], total["households_high"],
                             lambda v: i18n.number(v, lang))),
                 Cell(i18n.rupiah(total["cost_per_household"], lang), cph_range)]
        for funder in analysis.FUNDERS:
            cells.append(Cell(i18n.rupiah(mine[mine["funder"] == funder].iloc[0][
                "cost_per_household"], lang)))
        view.rows.append(cells)
    return view


def _equity_table(tables: Tables, arm_rows: list[pd.Series], design: list[str], lang: str,
                  held: str) -> TableView:
    eq = tables.equity
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    pts = lambda v: i18n.points(v, lang)  # noqa: E731
    na = prose.text("na", lang)
    groups = list(dict.fromkeys(eq["group"]))
    view = TableView(
        prose.table_caption("equity", lang, horizon=tables.horizon, held=held),
        [prose.text("strategy", lang), *(i18n.group_name(g, lang) for g in groups),
         f"{i18n.group_name('q1', lang)} {prose.text('vs_baseline', lang)}"])
    for arm in arm_rows:
        mine = match(eq, arm, design).set_index("group")
        cells = [Cell(arm_name(arm))]
        cells += [Cell(pct(mine.loc[g, "end"]) if g in mine.index else na) for g in groups]
        q1 = mine.loc["q1"] if "q1" in mine.index else None
        cells.append(Cell(pts(q1["vs_baseline"]),
                          _range(q1["vs_baseline_low"], q1["vs_baseline_high"], pts))
                     if q1 is not None and not isna(q1["vs_baseline"]) else Cell(na))
        view.rows.append(cells)
    return view


def _odf_table(tables: Tables, arm_rows: list[pd.Series], design: list[str], lang: str
               ) -> TableView:
    odf, loans = tables.odf, tables.loan_fund
    view = TableView(
        prose.table_caption("odf", lang, horizon=tables.horizon),
        [prose.text(k, lang) for k in ("strategy", "odf_start", "odf_end", "slipped",
                                       "loans_issued", "written_off", "fund_kept", "arrears")])
    for arm in arm_rows:
        o = match(odf[odf["kind"] == "level"], arm, design).set_index("measure")["mean"]
        f = match(loans[loans["kind"] == "level"], arm, design).set_index("measure")["mean"]
        communities = o.get("communities", math.nan)
        of = f" / {i18n.number(communities, lang)}" if not isna(communities) else ""
        view.rows.append([
            Cell(arm_name(arm)),
            Cell(i18n.number(o.get("odf_communities_start", math.nan), lang, 1) + of),
            Cell(i18n.number(o.get("odf_communities_end", math.nan), lang, 1) + of),
            Cell(i18n.number(o.get("odf_slipped_total", math.nan), lang, 1)),
            Cell(i18n.number(f.get("loans_issued", math.nan), lang, 0)),
            Cell(i18n.number(f.get("loans_written_off", math.nan), lang, 1)),
            Cell(i18n.percent(f.get("fund_kept", math.nan), lang)),
            Cell(i18n.number(f.get("loans_in_arrears_end", math.nan), lang, 1))])
    return view
