"""The "what to fund" section of a district: its decision outputs (``sanisim decide``, and
optionally ``sanisim optimise``) in words, tables and figures, in English or Indonesian.

Four parts (docs/decisions.md section 6, docs/report.md):

- **the robust choices**: the Pareto set of ``sanisim optimise`` for the budgets its file
  states, each mix with what it funds, its robust objectives and its runnable bundle file; and
  the options of ``sanisim decide`` ranked by their chance of being the best buy at the decide
  file's willingness to pay (the top of its acceptability curve);
- **how sure**: P(A beats B) on households at basic or better and on public cost for every
  pair of options, and the acceptability curve;
- **targets by year**: the chance of meeting each target (by default the 100-0-100 targets) by
  the end of each programme year;
- **costs per budget and year**: APBD, DAK, BAZNAS and donors stacked, households' own money
  beside them, Rp billion, in a figure, a table and a sentence per option.

Every number is read from the commands' CSV files as they are (nothing is recomputed), and
every probability and range says what it holds (seed noise; parameter uncertainty: N
posterior draws; district context: P points).
"""

from __future__ import annotations

import math
import re
import textwrap
from functools import partial

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sanisim import i18n
from sanisim.analysis.economics import classify
from sanisim.decisions.figures import BUDGET_COLOURS
from sanisim.ledger import PUBLIC_BUDGETS
from sanisim.report import plots, prose
from sanisim.report.budget import billions
from sanisim.report.decision_outputs import DecideOutput, DecisionOutputs, OptimiseOutput
from sanisim.report.names import Names, readable
from sanisim.report.sections import Funding, Images, Part, figure_entry
from sanisim.report.tables import Cell, TableView

#: Folder (inside the figure folder) of the section's figures.
FIGURE_FOLDER = "what_to_fund/"
#: The outcomes of the "how sure" table, as ``p_beats.csv`` names them.
SURE_OUTCOMES: tuple[str, ...] = ("basic_or_better", "public_cost")
_CONTEXT = re.compile(r"district context \((\d+) points?\)")


def word(key: str, lang: str, **values: object) -> str:
    """A phrase of the section (``[fund]`` of the prose files)."""
    return prose.fund(key, lang, **values)


def percent(share: float, lang: str) -> str:
    return i18n.percent(share, lang, 0)


class Labels:
    """Display names of the district's options and strategies (its scenario file's)."""

    def __init__(self, outputs: DecisionOutputs, lang: str) -> None:
        self.scenario_name = outputs.scenario_name
        self.scenario = outputs.scenario()
        self.names = Names({self.scenario_name: self.scenario})
        self.lang = lang

    def option(self, bundle: str) -> str:
        return self.names.bundle(self.scenario_name, bundle, self.lang)

    def strategy(self, key: str) -> str:
        declared = self.scenario.display_name("strategies", key, self.lang) \
            if self.scenario else None
        return declared or readable(key)

    def description(self) -> str:
        return self.names.description(self.scenario_name, self.lang)


# --------------------------------------------------------------------------- what it holds


def holds_text(interval_holds: str, lang: str) -> str:
    """What the runs span, in words: seed noise, posterior draws, district context."""
    text = prose.holds(interval_holds, lang)
    found = _CONTEXT.search(str(interval_holds))
    if found:
        text += word("holds_context", lang, points=int(found.group(1)))
    return text


def design_text(manifest: dict, lang: str) -> str:
    """'10 posterior draws x 2 seeds x 6 context points' (what one option's runs are)."""
    seeds = int(manifest.get("replicates", 1))
    draws = int(manifest.get("posterior_draws") or 0)
    points = int(manifest.get("context_points") or 1)
    parts = ([word("design_draws", lang, n=draws)] if draws else []) + \
        [word("design_seeds", lang, n=seeds)] + \
        ([word("design_points", lang, n=points)] if points > 1 else [])
    return " × ".join(parts)


# --------------------------------------------------------------------------- (a) choices


def _lever_text(row: pd.Series, lever: str, labels: Labels, lang: str) -> str:
    return word("lever", lang, strategy=labels.strategy(lever),
                intensity=i18n.number(float(row[f"intensity:{lever}"]), lang, 2),
                start=int(row[f"start:{lever}"]))


def mix_text(row: pd.Series, search: OptimiseOutput, labels: Labels, lang: str) -> str:
    """What a Pareto mix funds, in the order the strategies start."""
    used = [lv for lv in search.levers if bool(row[f"use:{lv}"])]
    used.sort(key=lambda lv: int(row[f"start:{lv}"]))
    if not used:
        return word("nothing_funded", lang)
    return "; ".join(_lever_text(row, lv, labels, lang) for lv in used)


def objective_value(objective: str, value: float, horizon: int, lang: str) -> str:
    """A robust objective in its unit: households, a share, months, Rp billion."""
    if objective == "public_cost":
        return billions(value, lang)
    if objective == "poorest_fifth":
        return percent(value, lang)
    if objective == "months_to_odf":
        return (word("not_reached", lang, horizon=horizon) if value > horizon
                else i18n.number(value, lang, 0))
    return i18n.number(value, lang, 0)


def _budgets_text(budgets: dict, lang: str) -> str:
    parts = []
    for name, values in budgets.items():
        values = [float(v) for v in values]
        if len(set(values)) == 1:
            parts.append(word("budget_yearly", lang, budget=name,
                              amount=billions(values[0], lang)))
        else:
            years = ", ".join(billions(v, lang) for v in values)
            parts.append(word("budget_by_year", lang, budget=name, amounts=years))
    return "; ".join(parts) if parts else word("budget_none", lang)


def pareto_order(search: OptimiseOutput) -> pd.DataFrame:
    """The Pareto set from the cheapest mix (or the best on the first objective)."""
    objectives = search.objectives
    key = "public_cost" if "public_cost" in objectives else next(iter(objectives))
    return search.pareto.sort_values(key, ascending=not objectives[key] or key == "public_cost",
                                     kind="stable").reset_index(drop=True)


def choices_part(search: OptimiseOutput, labels: Labels, lang: str) -> Part:
    """(a) The Pareto set of the search: the robust choices for the budgets stated."""
    manifest = search.manifest
    horizon = int(manifest["months"])
    objectives = search.objectives
    share = percent(1 - search.quantile, lang)
    front = pareto_order(search)
    part = Part("fund-choices", word("choices_title", lang))
    part.sentences.append(word("choices_budgets", lang,
                               budgets=_budgets_text(manifest["budgets"], lang),
                               years=prose.years(horizon, lang)))
    part.sentences.append(word("choices_search", lang, mixes=int(manifest["mixes"]),
                               n=len(front), share=share, runs=int(manifest["runs_per_mix"]),
                               holds=holds_text(manifest["interval_holds"], lang)))
    if front.empty:
        part.sentences[-1] = word("choices_none", lang, mixes=int(manifest["mixes"]), share=share)
        return part
    benefit = next((o for o, more in objectives.items() if more), None)

    def described(row: pd.Series) -> str:
        values = ", ".join(f"{word('objective_' + o, lang)} "
                           f"{objective_value(o, float(row[o]), horizon, lang)}"
                           for o in objectives)
        return word("choice", lang, mix=row["bundle"], what=mix_text(row, search, labels, lang),
                    values=values)

    if "public_cost" in objectives:
        part.sentences.append(word("choice_cheapest", lang) + " " + described(front.iloc[0]))
    if benefit is not None:
        best = front.loc[front[benefit].idxmax()]
        part.sentences.append(word("choice_most", lang,
                                   objective=word("objective_" + benefit, lang))
                              + " " + described(best))
    view = TableView(word("choices_table", lang, share=share, holds=holds_text(
        manifest["interval_holds"], lang)),
        [word("mix", lang), word("funds", lang),
         *(word("objective_" + o, lang) + " " + word("at_least" if more else "at_most", lang,
                                                     share=share)
           for o, more in objectives.items()),
         word("bundle_file", lang)],
        note=word("choices_note", lang))
    for _, row in front.iterrows():
        bundle = str(row["bundle"])
        view.rows.append([Cell(bundle), Cell(mix_text(row, search, labels, lang)),
                          *(Cell(objective_value(o, float(row[o]), horizon, lang))
                            for o in objectives),
                          Cell(str(search.files[bundle]))])
    part.tables.append(view)
    return part


def best_buy(decide: DecideOutput) -> tuple[float, pd.Series]:
    """The decide file's willingness to pay (the top of its curve) and each option's chance
    of being the best buy there."""
    ceac = decide.tables["ceac"]
    top = float(ceac["willingness_to_pay"].max())
    at = ceac[ceac["willingness_to_pay"] == top].set_index("bundle")["probability"]
    return top, at.reindex(decide.bundles).fillna(0.0)


def in_words(row: pd.Series, lang: str) -> str:
    """Cost-effectiveness against the baseline in words; never a negative ratio."""
    dc, de = float(row["extra_public_cost"]), float(row["extra_households"])
    kind = classify(dc, de)
    if kind == "more households at a cost":
        return word("ce_at_cost", lang, ratio=i18n.rupiah(dc / de, lang))
    if kind == "cost-saving":
        return word("ce_saving", lang, saved=i18n.rupiah(-dc, lang),
                    n=i18n.number(de, lang, 0))
    if kind == "dominated":
        return word("ce_dominated", lang, cost=i18n.rupiah(dc, lang))
    if de == 0:
        return word("ce_saves_same", lang, saved=i18n.rupiah(-dc, lang))
    return word("ce_saves_fewer", lang, ratio=i18n.rupiah(dc / de, lang))


def ranking_part(decide: DecideOutput, labels: Labels, lang: str) -> Part:
    """(a) The options of the comparison ranked by their chance of being the best buy."""
    top, chance = best_buy(decide)
    order = chance.sort_values(ascending=False, kind="stable")
    holds = holds_text(decide.manifest["interval_holds"], lang)
    effect = decide.tables["cost_effectiveness"].set_index("bundle")
    part = Part("fund-ranking", word("ranking_title", lang))
    first = order.index[0]
    part.sentences.append(word("ranking_sentence", lang, wtp=i18n.rupiah(top, lang),
                               best=labels.option(first), p=percent(order.iloc[0], lang),
                               pairs=_pairs(decide), holds=holds))
    view = TableView(word("ranking_table", lang, wtp=i18n.rupiah(top, lang),
                          baseline=labels.option(decide.baseline), holds=holds),
                     [word("rank", lang), word("option", lang),
                      word("p_best_buy", lang, wtp=i18n.rupiah(top, lang)),
                      word("extra_households", lang), word("extra_public", lang),
                      word("extra_household_money", lang), word("in_words", lang)],
                     note=word("ranking_note", lang))
    for rank, (bundle, p) in enumerate(order.items(), 1):
        if bundle in effect.index:
            row = effect.loc[bundle]
            cells = [Cell(i18n.number(row["extra_households"], lang, 0),
                          f"{i18n.number(row['extra_households_low'], lang, 0)} – "
                          f"{i18n.number(row['extra_households_high'], lang, 0)}"),
                     Cell(i18n.rupiah(row["extra_public_cost"], lang)),
                     Cell(i18n.rupiah(row["extra_household_cost"], lang)),
                     Cell(in_words(row, lang))]
        else:
            cells = [Cell(i18n.NA), Cell(i18n.NA), Cell(i18n.NA),
                     Cell(word("the_comparison", lang))]
        view.rows.append([Cell(str(rank)), Cell(labels.option(bundle)), Cell(percent(p, lang)),
                          *cells])
    part.tables.append(view)
    return part


def _pairs(decide: DecideOutput) -> int:
    return int(decide.tables["p_beats"]["pairs"].max())


# --------------------------------------------------------------------------- (b) how sure


def beats(decide: DecideOutput, outcome: str, a: str, b: str) -> float:
    table = decide.tables["p_beats"]
    found = table[(table["outcome"] == outcome) & (table["a"] == a) & (table["b"] == b)]
    return float(found["p_a_beats_b"].iloc[0]) if len(found) else math.nan


def ceac_segments(decide: DecideOutput) -> list[tuple[float, float, str, float, float]]:
    """Runs of willingness to pay with the same most likely best buy: (from, to, option,
    lowest and highest chance over the run)."""
    wide = decide.tables["ceac"].pivot_table(index="willingness_to_pay", columns="bundle",
                                             values="probability", sort=True)
    wide = wide[[b for b in decide.bundles if b in wide.columns]]
    leader = wide.idxmax(axis=1)  # ties: the first option in the decide order
    segments: list[tuple[float, float, str, float, float]] = []
    for wtp, bundle in leader.items():
        p = float(wide.loc[wtp, bundle])
        if segments and segments[-1][2] == bundle:
            start, _, _, low, high = segments[-1]
            segments[-1] = (start, float(wtp), bundle, min(low, p), max(high, p))
        else:
            segments.append((float(wtp), float(wtp), bundle, p, p))
    return segments


def _range(low: float, high: float, lang: str) -> str:
    return percent(low, lang) if round(low, 2) == round(high, 2) else \
        f"{percent(low, lang)}–{percent(high, lang)}"


def sure_part(decide: DecideOutput, labels: Labels, images: Images, lang: str) -> Part:
    """(b) How sure: P(A beats B) on households and public cost, the acceptability curve."""
    holds = holds_text(decide.manifest["interval_holds"], lang)
    pairs = _pairs(decide)
    part = Part("fund-sure", word("sure_title", lang))
    effect = decide.tables["cost_effectiveness"].sort_values("extra_households",
                                                             ascending=False, kind="stable")
    ranked = [*effect["bundle"].astype(str), decide.baseline]
    if len(ranked) >= 2:
        a, b = ranked[0], ranked[1]
        part.sentences.append(word("sure_sentence", lang, a=labels.option(a),
                                   b=labels.option(b), pairs=pairs,
                                   p=percent(beats(decide, "basic_or_better", a, b), lang),
                                   q=percent(beats(decide, "public_cost", a, b), lang)))
    segments = [word("ceac_segment" if hi > lo else "ceac_point", lang,
                     low=i18n.rupiah(lo, lang), high=i18n.rupiah(hi, lang),
                     option=labels.option(b), p=_range(pl, ph, lang))
                for lo, hi, b, pl, ph in ceac_segments(decide)]
    part.sentences.append(word("ceac_sentence", lang, segments="; ".join(segments)))
    view = TableView(word("sure_table", lang, pairs=pairs, holds=holds),
                     [word("option_a", lang), word("option_b", lang),
                      *(word("p_beats_" + o, lang) for o in SURE_OUTCOMES)],
                     note=word("sure_note", lang))
    bundles = decide.bundles
    for j, a in enumerate(bundles):
        for b in bundles[:j]:
            view.rows.append([Cell(labels.option(a)), Cell(labels.option(b)),
                              *(Cell(percent(beats(decide, o, a, b), lang))
                                for o in SURE_OUTCOMES)])
    part.tables.append(view)
    image = images.save(FIGURE_FOLDER + "ceac", partial(ceac_figure, decide, labels, lang))
    entry = figure_entry("fund_ceac", image, "", lang, intervals=False)
    entry.caption += " " + word("holds_sentence", lang, holds=holds, pairs=pairs)
    part.figures.append(entry)
    return part


@plots.styled
def ceac_figure(decide: DecideOutput, labels: Labels, lang: str) -> Figure:
    """P(each option is the best buy) against the willingness to pay per household."""
    fig = plots.new_figure((plots.FIGSIZE[0], 5.5))
    ax = fig.subplots()
    ceac = decide.tables["ceac"]
    for bundle in decide.bundles:
        rows = ceac[ceac["bundle"] == bundle].sort_values("willingness_to_pay")
        ax.plot(rows["willingness_to_pay"] / 1e6, rows["probability"],
                label=textwrap.fill(labels.option(bundle), 30),
                **plots.arm_style(bundle, decide.bundles))
    ax.set_xlabel(textwrap.fill(word("ceac_x", lang), 44 if plots.is_narrow() else 90))
    ax.set_ylabel(word("ceac_y", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(-0.02, 1.02)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center",
               ncol=1 if plots.is_narrow() else min(3, len(names)))
    return fig


# --------------------------------------------------------------------------- (c) targets


def target_text(rule, lang: str) -> str:
    """'layak_90: basic or better at least 90%'."""
    measure = prose.prose(lang)["fund"]["measure"].get(rule.measure, readable(rule.measure))
    return word("target_at_most" if rule.at_most else "target_at_least", lang,
                name=rule.name, measure=measure, share=i18n.percent(rule.threshold, lang, 0))


def targets_part(decide: DecideOutput, labels: Labels, lang: str) -> Part:
    """(c) The chance of meeting each target by the end of each programme year."""
    table = decide.tables["targets_by_year"]
    holds = holds_text(decide.manifest["interval_holds"], lang)
    years = sorted(int(y) for y in table["year"].unique())
    last = years[-1]
    runs = int(table["runs"].max())
    part = Part("fund-targets", word("targets_title", lang))
    for rule in decide.targets:
        rows = table[table["target"] == rule.name]
        if rows.empty:
            continue
        at_end = rows[rows["year"] == last].set_index("bundle")["probability"].reindex(
            decide.bundles)
        name = target_text(rule, lang)
        base = float(at_end.get(decide.baseline, 0.0))
        if not (at_end.fillna(0) > 0).any():
            part.sentences.append(word("target_none", lang, target=name, year=last))
        elif at_end.max() <= base:
            part.sentences.append(word("target_same", lang, target=name, year=last,
                                       baseline=labels.option(decide.baseline),
                                       q=percent(base, lang)))
        else:
            best = at_end.idxmax()
            part.sentences.append(word("target_best", lang, target=name, year=last,
                                       best=labels.option(best), p=percent(at_end[best], lang),
                                       baseline=labels.option(decide.baseline),
                                       q=percent(base, lang)))
        view = TableView(word("targets_table", lang, target=name, runs=runs, holds=holds),
                         [word("option", lang),
                          *(word("by_year", lang, year=y) for y in years)])
        wide = rows.pivot_table(index="bundle", columns="year", values="probability")
        for bundle in decide.bundles:
            if bundle in wide.index:
                view.rows.append([Cell(labels.option(bundle)),
                                  *(Cell(percent(wide.loc[bundle, y], lang)) for y in years)])
        part.tables.append(view)
    return part


# --------------------------------------------------------------------------- (d) costs

#: Budgets drawn in the figure, stacked; households' own money is drawn beside them.
STACKED: tuple[str, ...] = PUBLIC_BUDGETS


def budget_name(budget: str, lang: str) -> str:
    return prose.prose(lang)["fund"]["budget"].get(budget, budget)


def costs_part(decide: DecideOutput, labels: Labels, images: Images, lang: str) -> Part:
    """(d) Costs per budget and year: a sentence per option, the figure, the table."""
    costs = decide.tables["costs_by_year"]
    years = sorted(int(y) for y in costs["year"].unique())
    rate = float(decide.manifest["discount_rate"])
    part = Part("fund-costs", word("costs_title", lang))
    for bundle in decide.bundles:
        rows = costs[costs["bundle"] == bundle].set_index("year")
        if rows.empty:
            continue
        split = ", ".join(f"{budget_name(b, lang)} {billions(rows[b].sum(), lang)}"
                          for b in STACKED if rows[b].sum() != 0) or billions(0.0, lang)
        per_year = ", ".join(f"{word('year_short', lang, year=y)} "
                             f"{billions(rows.loc[y, 'public'], lang)}" for y in years
                             if y in rows.index)
        part.sentences.append(word("costs_sentence", lang, option=labels.option(bundle),
                                   total=billions(rows["public"].sum(), lang), split=split,
                                   pv=billions(rows["public_pv"].sum(), lang),
                                   rate=i18n.percent(rate, lang, 0),
                                   households=billions(rows["households"].sum(), lang),
                                   years=per_year))
    image = images.save(FIGURE_FOLDER + "costs", partial(costs_figure, decide, labels, lang))
    entry = figure_entry("fund_costs", image, "", lang, intervals=False)
    entry.caption += " " + word("costs_mean", lang, runs=_runs(decide))
    part.figures.append(entry)
    view = TableView(word("costs_table", lang, runs=_runs(decide),
                          rate=i18n.percent(rate, lang, 0)),
                     [word("option", lang), word("budget_column", lang),
                      *(word("by_year_bn", lang, year=y) for y in years),
                      word("total_bn", lang), word("total_pv_bn", lang)],
                     note=word("costs_note", lang))
    for bundle in decide.bundles:
        rows = costs[costs["bundle"] == bundle].set_index("year")
        if rows.empty:
            continue
        for k, budget in enumerate((*STACKED, "public", "cooperatives", "households")):
            view.rows.append([
                Cell(labels.option(bundle) if k == 0 else ""),
                Cell(word("public_money", lang) if budget == "public"
                     else budget_name(budget, lang)),
                *(Cell(i18n.number(rows[budget].get(y, np.nan) / 1e9, lang, 3)) for y in years),
                Cell(i18n.number(rows[budget].sum() / 1e9, lang, 3)),
                Cell(i18n.number(rows[f"{budget}_pv"].sum() / 1e9, lang, 3))])
    part.tables.append(view)
    return part


def _runs(decide: DecideOutput) -> int:
    return int(decide.tables["cost_effectiveness"]["runs"].max())


@plots.styled
def costs_figure(decide: DecideOutput, labels: Labels, lang: str) -> Figure:
    """One panel per option: each year's public money stacked by budget, households' own
    money beside it (Rp billion, undiscounted, mean over the runs)."""
    costs = decide.tables["costs_by_year"]
    shown = [b for b in decide.bundles if (costs["bundle"] == b).any()]
    cols = 1 if plots.is_narrow() else min(3, max(1, len(shown)))
    nrows = max(1, -(-len(shown) // cols))
    fig = plots.new_figure((plots.FIGSIZE[0], 1.4 + 2.8 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, cols, sharey=True, squeeze=False)).ravel()
    years = sorted(int(y) for y in costs["year"].unique())
    x = np.arange(len(years))
    width = 0.38
    for ax, bundle in zip(axes, shown, strict=False):
        rows = costs[costs["bundle"] == bundle].set_index("year").reindex(years).fillna(0.0)
        bottom = np.zeros(len(years))
        for budget in STACKED:
            values = rows[budget].to_numpy(float) / 1e9
            ax.bar(x - width / 2, values, width, bottom=bottom, color=BUDGET_COLOURS[budget],
                   label=budget_name(budget, lang))
            bottom += values
        ax.bar(x + width / 2, rows["households"].to_numpy(float) / 1e9, width,
               color=BUDGET_COLOURS["households"], hatch="//", edgecolor="white",
               label=budget_name("households", lang))
        ax.axhline(0, color="#999999", linewidth=1)
        ax.set_xticks(x, [word("year_short", lang, year=y) for y in years])
        ax.set_title(textwrap.fill(labels.option(bundle), 30), fontsize=12)
        ax.grid(axis="x", visible=False)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    fig.supylabel(word("costs_axis", lang), fontsize=plots.HOUSE_STYLE["axes.labelsize"])
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3 if plots.is_narrow() else 5)
    return fig


# --------------------------------------------------------------------------- the section


def sources(outputs: DecisionOutputs, lang: str) -> list[str]:
    """Where the section's numbers come from: each folder, when and by what it was written."""
    out = []
    for found, command in ((outputs.decide, "sanisim decide"),
                           (outputs.optimise, "sanisim optimise")):
        if found is None:
            continue
        manifest = found.manifest
        out.append(word("source", lang, path=str(found.path), command=command,
                        created=manifest.get("created", "?"),
                        version=manifest.get("sanisim_version", "?"),
                        commit=str(manifest.get("git_commit", "?"))[:12],
                        scenario=manifest.get("scenario", "?"),
                        hash=manifest.get("config_hash", "?")))
    return out


def funding_section(outputs: DecisionOutputs, images: Images, lang: str) -> Funding:
    """The "what to fund" section of the district the decision outputs are about."""
    labels = Labels(outputs, lang)
    decide, search = outputs.decide, outputs.optimise
    first = (decide or search).manifest
    district = " ".join(p.capitalize() for p in outputs.scenario_name.split("_"))
    description = labels.description()
    holds = word("rests", lang, runs=_pairs(decide) if decide else int(first["runs_per_mix"]),
                 design=design_text(first, lang) if decide else word(
                     "design_mix", lang, n=int(first["runs_per_mix"])),
                 months=int(first["months"]), years=prose.years(int(first["months"]), lang),
                 households=i18n.number(float(first.get("households") or 0), lang),
                 holds=holds_text(first["interval_holds"], lang))
    section = Funding(word("title", lang),
                      f"{district}: {description}" if description else district, holds)
    if search is not None:
        section.parts.append(choices_part(search, labels, lang))
    if decide is not None:
        section.parts.append(ranking_part(decide, labels, lang))
        section.parts.append(sure_part(decide, labels, images, lang))
        section.parts.append(targets_part(decide, labels, lang))
        section.parts.append(costs_part(decide, labels, images, lang))
    section.sources = sources(outputs, lang)
    return section


def manifest_entry(outputs: DecisionOutputs) -> dict:
    """What the report's manifest records of the decision outputs it shows."""
    entry = {}
    for name, found in (("decide", outputs.decide), ("optimise", outputs.optimise)):
        if found is not None:
            entry[name] = {"folder": str(found.path), **{
                k: found.manifest.get(k) for k in ("scenario", "config_hash", "created",
                                                   "git_commit", "sanisim_version",
                                                   "interval_holds")}}
    return entry

