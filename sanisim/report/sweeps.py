"""The sweep part of a report: a batch over a grid or a Latin hypercube of parameters.

Parameter points are not strategies, so the sweep part never ranks them: it shows each outcome
at the horizon against each swept parameter, one line per strategy with its 95% band
(:func:`sanisim.analysis.sweep_table`), says in words how far the outcomes move over each
parameter's range, and, when several parameters are swept, says that each panel pools the runs
over the others (a marginal view) instead of silently averaging them away.
"""

from __future__ import annotations

import logging
from functools import partial

import pandas as pd
from markupsafe import Markup

from sanisim import analysis, i18n
from sanisim.analysis.sweeps import LHS_BINS
from sanisim.parameters import BY_KEY
from sanisim.report import plots, prose
from sanisim.report.names import Names
from sanisim.report.sections import Figure, Images, Section
from sanisim.report.tables import Cell, TableView
from sanisim.runs.results import PARAM_PREFIX, Results

log = logging.getLogger(__name__)

#: Swept parameters drawn side by side in one figure (more make further figures).
PER_FIGURE = 3
#: The outcomes the sweep part shows (run metrics at the horizon) and their measure names.
OUTCOMES: dict[str, str] = {"basic_or_better_end": "basic_or_better",
                            "open_defecation_end": "open_defecation",
                            "safely_managed_end": "safely_managed"}


def sweep_arms(results: Results, names: Names, lang: str, holds: str) -> plots.Arms:
    """The strategies of a sweep (one per bundle, not per parameter point), named."""
    table = results.runs[["scenario", "bundle"]].drop_duplicates().reset_index(drop=True)
    order = analysis.bundle_order(results)
    table = table.assign(_rank=table["bundle"].map({b: k for k, b in enumerate(order)}))
    table = table.sort_values("_rank", kind="stable").drop(columns="_rank")
    table["arm"] = [names.bundle(str(s), str(b), lang) for s, b in
                    zip(table["scenario"], table["bundle"], strict=True)]
    return plots.Arms(table, ["scenario", "bundle"], lang, holds=holds)


def sweep_part(results: Results, sweep: pd.DataFrame, names: Names, images: Images,
               lang: str, swept: list[str], prefix: str = "") -> Section:
    """The section of one district's sweep: words, figures and a table per parameter."""
    scenario = str(results.runs["scenario"].iloc[0])
    section = Section(anchor=f"sweep-{scenario}",
                      title=f"{prose.text('sweep_title', lang)} · {names.title(scenario)}",
                      description=names.description(scenario, lang))
    parameters = [c.removeprefix(PARAM_PREFIX) for c in swept]
    holds = analysis.interval_holds(results)
    horizon = int(results.runs["months"].max())
    section.notes.append(prose.text("sweep_intro", lang, horizon=horizon,
                                    parameters=", ".join(parameters)))
    if "bin" in set(sweep["level_kind"]):
        section.notes.append(prose.text("sweep_bins", lang, bins=LHS_BINS))
    if len(parameters) > 1:
        section.notes.append(prose.text("sweep_pooled", lang, n=len(parameters)))
        log.warning("sweep of %d parameters (%s): each panel pools the runs over the "
                    "others (a marginal view)", len(parameters), ", ".join(parameters))
    arms = sweep_arms(results, names, lang, holds)
    labels = {o: i18n.measure_name(m, lang) for o, m in OUTCOMES.items()}
    axes_names = {p: f"{p} ({BY_KEY[p].unit})" if p in BY_KEY and BY_KEY[p].unit else p
                  for p in parameters}
    title, caption = prose.figure("sweep", lang)
    caption += " " + prose.interval_note(holds, lang) + "."
    for start in range(0, len(parameters), PER_FIGURE):
        chunk = parameters[start:start + PER_FIGURE]
        key = "sweep" if start == 0 else f"sweep_{start // PER_FIGURE + 1}"
        image = images.save(prefix + key, partial(plots.sweep_figure, sweep, arms, chunk,
                                                  list(OUTCOMES), labels, axes_names))
        section.figures.append(Figure(key, title, caption, image))
    section.findings = [(prose.text("sweep_question", lang, parameter=p),
                         _finding(sweep, p, arms, lang, horizon)) for p in parameters]
    section.tables = [_table(sweep, p, arms, lang, holds, k + 1)
                      for k, p in enumerate(parameters)]
    return section


def _value(value: float, lang: str) -> str:
    text = f"{value:.4g}"
    return text.replace(".", ",") if lang == "id" else text


def _finding(sweep: pd.DataFrame, parameter: str, arms: plots.Arms, lang: str,
             horizon: int) -> Markup:
    """How far each outcome moves over the parameter's range, per strategy (first four)."""
    parts = []
    ranges = analysis.outcome_range(sweep[sweep["parameter"] == parameter],
                                    "basic_or_better_end")
    od = analysis.outcome_range(sweep[sweep["parameter"] == parameter], "open_defecation_end")
    for arm in list(arms)[:4]:
        mine = ranges[ranges["bundle"] == arm["bundle"]]
        od_mine = od[od["bundle"] == arm["bundle"]]
        if mine.empty:
            continue
        row = mine.iloc[0]
        od_row = od_mine.iloc[0] if len(od_mine) else None
        parts.append(prose.sentence(
            "sweep_range", lang, name=str(arm["arm"]), horizon=horizon, parameter=parameter,
            low=_value(row["value_first"], lang), high=_value(row["value_last"], lang),
            first=i18n.percent(row["mean_first"], lang),
            last=i18n.percent(row["mean_last"], lang),
            od_first=i18n.percent(od_row["mean_first"], lang) if od_row is not None else "–",
            od_last=i18n.percent(od_row["mean_last"], lang) if od_row is not None else "–"))
    return Markup(" ").join(parts)


def _table(sweep: pd.DataFrame, parameter: str, arms: plots.Arms, lang: str, holds: str,
           number: int) -> TableView:
    """Basic or better and open defecation at the horizon per level of one parameter, one
    column pair per strategy."""
    part = sweep[sweep["parameter"] == parameter]
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    header = [parameter, prose.text("runs", lang)]
    for arm in arms:
        header += [f"{arm['arm']}: {i18n.measure_name(m, lang)}"
                   for m in ("basic_or_better", "open_defecation")]
    view = TableView(prose.table_caption("sweep", lang, number=number, parameter=parameter,
                                         held="; " + prose.interval_note(holds, lang)),
                     header, note=str(part["pooled_over"].iloc[0]) and prose.text(
                         "sweep_pooled_over", lang, others=part["pooled_over"].iloc[0])
                     if len(part) else "")
    levels = part.drop_duplicates("value").sort_values("value")
    for _, level in levels.iterrows():
        at = part[part["value"] == level["value"]]
        value = _value(level["value"], lang)
        if level["level_kind"] == "bin":
            value += (f" ({_value(level['value_low'], lang)}–"
                      f"{_value(level['value_high'], lang)})")
        cells = [Cell(value), Cell(str(int(at["runs"].iloc[0])))]
        for arm in arms:
            for outcome in ("basic_or_better_end", "open_defecation_end"):
                row = at[(at["bundle"] == arm["bundle"]) & (at["outcome"] == outcome)]
                if row.empty:
                    cells.append(Cell(prose.text("na", lang)))
                    continue
                r = row.iloc[0]
                ci = "" if pd.isna(r["low"]) else f"{pct(r['low'])} – {pct(r['high'])}"
                cells.append(Cell(pct(r["mean"]), ci))
        view.rows.append(cells)
    return view
