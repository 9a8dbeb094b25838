"""The comparison part of a report over several districts (scenarios) in one batch.

Districts differ in population, starting ladder, prices and programmes, so their strategies are
compared within a district, and districts side by side: small multiples (one column of panels
per district, each with its own strategies), one cost-effectiveness panel per district with
that district's own efficient frontier (never one frontier across districts), and a table of
each district's headline outcome per strategy.
"""

from __future__ import annotations

import math
from functools import partial

from sanisim import analysis, i18n
from sanisim.report import plots, prose
from sanisim.report.sections import Images, Section, figure_entry
from sanisim.report.tables import BASELINE, Cell, Tables, TableView, labelled, match, rupiah_range
from sanisim.runs.results import Results

#: Districts drawn side by side in one comparison figure (more make further figures).
PER_FIGURE = 4


def comparison_part(per: dict[str, Tables], results: Results, images: Images, lang: str,
                    baseline: str = BASELINE) -> Section:
    """The comparison section: small multiples, per-district frontiers, a headline table."""
    first = next(iter(per.values()))
    names = first.names
    section = Section(anchor="comparison", title=prose.text("comparison_title", lang))
    section.notes.append(prose.text("comparison_intro", lang, n=len(per)))
    holds = analysis.interval_holds(results)
    arms = {}
    for district, tables in per.items():
        part = results_of(results, district)
        arms[district] = plots.Arms(labelled(tables, part, lang),
                                    analysis.design_keys(part), lang, holds=holds)
    districts = list(per)
    label = prose.text("additional_headline", lang)
    for start in range(0, len(districts), PER_FIGURE):
        chunk = districts[start:start + PER_FIGURE]
        suffix = "" if start == 0 else f"_{start // PER_FIGURE + 1}"
        small = [(names.title(d), per[d].ladder_over_time, arms[d]) for d in chunk]
        image = images.save("districts" + suffix, partial(plots.districts_figure, small))
        section.figures.append(figure_entry("districts", image, holds, lang, intervals=True))
        costs = [(names.title(d), per[d].headline_costs, arms[d]) for d in chunk]
        image = images.save("frontiers" + suffix, partial(plots.frontiers_figure, costs, label))
        section.figures.append(figure_entry("frontiers", image, holds, lang, intervals=True))
    section.tables = [_headline_table(per, results, lang, holds)]
    return section


def results_of(results: Results, district: str) -> Results:
    """The runs of one district (as :func:`sanisim.report.page.subset`)."""
    runs = results.runs[results.runs["scenario"] == district]
    keys = set(runs["run_key"])
    return Results(runs.reset_index(drop=True),
                   results.monthly[results.monthly["run_key"].isin(keys)],
                   results.summary[results.summary["run_key"].isin(keys)], results.manifest)


def _headline_table(per: dict[str, Tables], results: Results, lang: str, holds: str
                    ) -> TableView:
    """Per district and strategy: its headline outcome at the horizon, the paired gain
    against routine services, and the cost per additional household of that outcome."""
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    pts = lambda v: i18n.points(v, lang)  # noqa: E731
    view = TableView(
        prose.table_caption("comparison", lang,
                            held="; " + prose.interval_note(holds, lang)),
        [prose.text("district", lang), prose.text("strategy", lang),
         prose.text("headline", lang), prose.text("at_end", lang),
         prose.text("vs_baseline", lang), prose.text("per_headline_household", lang)])
    for district, tables in per.items():
        part = results_of(results, district)
        labels = labelled(tables, part, lang)
        design = analysis.design_keys(part)
        measure = tables.focus if tables.focus == "safely_managed" else "open_defecation"
        end = tables.ladder_end[tables.ladder_end["measure"] == measure]
        paired = tables.paired_end[tables.paired_end["measure"] == measure]
        costs = tables.headline_costs
        for _, arm in labels.iterrows():
            level = match(end, arm, design)
            diff = match(paired, arm, design)
            cost = match(costs[costs["funder"] == "total"], arm, design) if not costs.empty \
                else costs
            cells = [Cell(tables.names.title(district)), Cell(str(arm["arm"])),
                     Cell(i18n.measure_name(measure, lang)),
                     Cell(pct(level.iloc[0]["mean"]) if len(level) else "–")]
            cells.append(Cell(pts(diff.iloc[0]["mean"]), _range(diff.iloc[0], pts))
                         if len(diff) else Cell("–"))
            if len(cost) and not math.isnan(cost.iloc[0]["cost_per_household"]):
                row = cost.iloc[0]
                cells.append(Cell(i18n.rupiah(row["cost_per_household"], lang),
                                  "" if math.isnan(row["cph_low"]) or math.isnan(row["cph_high"])
                                  else rupiah_range(row["cph_low"], row["cph_high"], lang)))
            else:
                cells.append(Cell("–"))
            view.rows.append(cells)
    return view


def _range(row, fmt) -> str:
    low, high = row["low"], row["high"]
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"{fmt(low)} – {fmt(high)}"
