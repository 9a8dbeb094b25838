"""The three plain-language findings on the report's first screen: which strategy ends open
defecation first (or comes closest), what it costs per additional household and who pays, and
who is left behind (poorest fifth, women decision makers).

The numbers come from :class:`~sanisim.report.tables.Tables`; the sentences from the prose
files (``[finding]`` in ``lang/<lang>.toml``), filled by :func:`sanisim.report.prose.sentence`,
which escapes every value (a strategy or scenario name is never read as HTML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from sanisim import analysis, i18n
from sanisim.report import prose
from sanisim.report.tables import BASELINE, Tables, arm_name, isna, labelled, match, rupiah_range

if TYPE_CHECKING:
    from sanisim.runs.results import Results


def leading_arm(tables: Tables, baseline: str = BASELINE) -> pd.Series | None:
    """The strategy arm the findings speak of.

    Where the headline outcome is safely managed sanitation (``tables.focus``): the strategy
    arm with the largest paired gain in safely managed households at the horizon. Else the
    arm that ends open defecation first (lowest median month), or, when none does in most
    runs, the one with the least open defecation at the horizon.
    """
    if tables.focus == "safely_managed":
        best = _most_safely_managed(tables, baseline)
        if best is not None:
            return _arm_row(tables, best)
    ttt = tables.time_to_target
    if ttt.empty:
        return None
    od = ttt[ttt["target"] == "zero_open_defecation"]
    candidates = od[od["bundle"] != baseline] if (od["bundle"] != baseline).any() else od
    reached = candidates[candidates["median"].notna()]
    if len(reached):
        best = reached.sort_values(["median", "end_mean"], kind="stable").iloc[0]
    else:
        best = candidates.sort_values(["end_mean", "share_reached"], ascending=[True, False],
                                      kind="stable").iloc[0]
    return _arm_row(tables, best)


def _arm_row(tables: Tables, best: pd.Series) -> pd.Series | None:
    keys = [c for c in tables.arms.columns if c not in ("runs", "arm")]
    rows = tables.arms
    for key in keys:
        rows = rows[(rows[key] == best[key]) | (rows[key].isna() & pd.isna(best[key]))]
    return rows.iloc[0] if len(rows) else None


def _most_safely_managed(tables: Tables, baseline: str) -> pd.Series | None:
    """The strategy arm with the largest mean paired gain in safely managed sanitation at the
    horizon (None without strategy arms)."""
    paired = tables.paired_end[tables.paired_end["measure"] == "safely_managed"]
    paired = paired[paired["bundle"] != baseline]
    if paired.empty:
        return None
    return paired.sort_values("mean", ascending=False, kind="stable").iloc[0]


def findings(results: Results, tables: Tables, lang: str = "en",
             baseline: str = BASELINE) -> list[tuple[str, Markup]]:
    """The three plain-language findings: (question, paragraph) pairs; each paragraph is
    HTML with every value escaped. An arm has one name throughout (its scenario's)."""

    labels = labelled(tables, results, lang)
    design = analysis.design_keys(results)
    lead = leading_arm(tables, baseline)
    named = match(labels, lead, design).iloc[0] if lead is not None else None
    safely = tables.focus == "safely_managed"
    first = (_finding_safely(tables, labels, named, design, lang, baseline) if safely
             else _finding_first(tables, labels, named, design, lang, baseline))
    return [(prose.text("q_first_safely" if safely else "q_first", lang), first),
            (prose.text("q_cost_safely" if safely else "q_cost", lang),
             _finding_cost(tables, labels, named, design, lang)),
            (prose.text("q_equity", lang),
             _finding_equity(tables, labels, named, design, lang, baseline))]


def _sentences(parts: list[Markup | str]) -> Markup:
    """Sentences joined by one space (empty ones left out); plain strings are escaped."""
    return Markup(" ").join(p for p in parts if p)


def _finding_first(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                   design: list[str], lang: str, baseline: str) -> Markup:
    if lead is None:
        return Markup.escape(prose.text("na", lang))
    say = lambda key, **values: prose.sentence(key, lang, **values)  # noqa: E731
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    ttt = tables.time_to_target
    od = ttt[ttt["target"] == "zero_open_defecation"]
    row = match(od, lead, design).iloc[0]
    horizon = int(row["horizon"])
    base_rows = od[od["bundle"] == baseline]
    base = match(base_rows, lead, [k for k in design if k != "bundle"]) if len(base_rows) \
        else base_rows
    paired = match(tables.paired_end[tables.paired_end["measure"] == "open_defecation"],
                   lead, design)
    parts: list[Markup | str] = []
    if not isna(row["median"]) and row["median"] == 0:
        # already at 0% at the start in most runs: no strategy is "fastest"
        parts.append(say("first_at_start", reached=int(row["reached"]), runs=int(row["runs"])))
    elif not isna(row["median"]):
        span = ""
        if not isna(row["p2_5"]) and not isna(row["p97_5"]):
            span = say("first_range", held=prose.holds(tables.interval_holds, lang, short=True),
                       low=f"{row['p2_5']:.0f}", high=f"{row['p97_5']:.0f}")
        parts.append(say("first_reached", name=arm_name(lead), median=f"{row['median']:.0f}",
                         years=prose.years(row["median"], lang), range=span,
                         reached=int(row["reached"]), runs=int(row["runs"])))
        others = od[(od["median"].notna()) & (od["bundle"] != lead["bundle"])
                    & (od["bundle"] != baseline)].sort_values("median")
        if len(others):
            nxt = others.iloc[0]
            parts.append(say("next_as_fast" if nxt["median"] <= row["median"] else "next_slower",
                             name=arm_name(match(labels, nxt, design).iloc[0]),
                             median=f"{nxt['median']:.0f}"))
    else:
        households = _households(tables, lead, design)
        about = say("about", count=i18n.number(round(row["end_mean"] * households), lang)) \
            if households else ""
        against = say("against_routine", share=pct(base.iloc[0]["end_mean"])) \
            if len(base) and lead["bundle"] != baseline else ""
        parts.append(say("first_none", horizon=horizon, years=prose.years(horizon, lang),
                         name=arm_name(lead), share=pct(row["end_mean"]), about=about,
                         against=against))
        if int(row["reached"]):
            parts.append(say("some_reached", reached=int(row["reached"]),
                             runs=int(row["runs"])))
    if len(paired):
        parts.append(say("paired_od", phrase=_pp_phrase(paired.iloc[0], lang),
                         horizon=horizon))
    parts.append(_target_90_sentence(tables, labels, design, lang))
    return _sentences(parts)


def _finding_safely(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                    design: list[str], lang: str, baseline: str) -> Markup:
    """The first finding where desludging or communal plants are in play: which strategy
    makes most households safely managed, against routine services."""
    if lead is None:
        return Markup.escape(prose.text("no_baseline", lang).capitalize() + ".")
    say = lambda key, **values: prose.sentence(key, lang, **values)  # noqa: E731
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    end = tables.ladder_end[tables.ladder_end["measure"] == "safely_managed"]
    row = match(end, lead, design)
    metrics = match(tables.run_metrics, lead, design)
    paired = match(tables.paired_end[tables.paired_end["measure"] == "safely_managed"],
                   lead, design)
    gain = paired.iloc[0]["mean"] if len(paired) else 0.0
    parts: list[Markup | str] = [say(
        "safely_first" if gain > 0 else "safely_none", name=arm_name(lead),
        share=pct(row.iloc[0]["mean"]) if len(row) else "–",
        start=pct(metrics["safely_managed_start"].mean()) if len(metrics) else "–",
        horizon=tables.horizon)]
    if len(paired):
        parts.append(say("safely_paired", phrase=_pp_phrase(paired.iloc[0], lang)))
    others = tables.paired_end[(tables.paired_end["measure"] == "safely_managed")
                               & (tables.paired_end["bundle"] != baseline)
                               & (tables.paired_end["bundle"] != lead["bundle"])]
    if len(others) and gain > 0:
        nxt = others.sort_values("mean", ascending=False, kind="stable").iloc[0]
        parts.append(say("safely_next", name=arm_name(match(labels, nxt, design).iloc[0]),
                         points=i18n.points(nxt["mean"], lang)))
    parts.append(_target_90_sentence(tables, labels, design, lang))
    return _sentences(parts)


def _households(tables: Tables, arm: pd.Series, design: list[str]) -> float:
    """Households per run of ``arm`` (0 if unknown)."""
    runs = match(tables.run_metrics, arm, design)
    return float(runs["households"].mean()) if len(runs) else 0.0


def _pp_phrase(row: pd.Series, lang: str) -> str:
    """'3.2 pp lower (95% CI, seed noise only: 1.7–4.7 pp lower)' for a paired difference."""
    return diff_phrase(row["mean"], row["low"], row["high"], lang, row.get("interval_holds"))


def _ci_label(lang: str, interval_holds: str | None) -> str:
    """'95% CI', or '95% CI, seed noise only' when what it holds is known."""
    if interval_holds is None or isna(interval_holds):
        return prose.text("ci95", lang)
    return prose.text("ci95_holds", lang,
                      holds=prose.holds(str(interval_holds), lang, short=True))


def diff_phrase(mean: float, low: float, high: float, lang: str,
                interval_holds: str | None = None) -> str:
    """A difference of shares in words (plain text), with its confidence interval in the same
    direction (labelled with what it holds when ``interval_holds`` is given)."""
    word = lambda key, **values: prose.word(key, lang, **values)  # noqa: E731
    unit = word("pp")
    num = lambda v: i18n.number(abs(100 * v), lang, 1)  # noqa: E731
    if round(100 * mean, 1) == 0:
        head = word("no_different")
    else:
        head = word("diff_head", size=num(mean), unit=unit,
                    direction=word("lower" if mean < 0 else "higher"))
    if isna(low) or isna(high):
        return head
    ci = _ci_label(lang, interval_holds)
    if interval_holds is not None and not isna(interval_holds):
        ci += ":"
    if low >= 0 or high <= 0:  # the interval lies on one side of zero
        a, b = sorted((abs(low), abs(high)))
        return word("diff_one_side", head=head, ci=ci, a=num(a), b=num(b), unit=unit,
                    side=word("lower" if high <= 0 else "higher"))
    return word("diff_span", head=head, ci=ci, low=num(low), high=num(high), unit=unit)


def _target_90_sentence(tables: Tables, labels: pd.DataFrame, design: list[str], lang: str
                        ) -> Markup | str:
    ttt = tables.time_to_target
    b90 = ttt[ttt["target"] == "basic_90"]
    if b90.empty:
        return ""
    reached = b90[b90["median"].notna()].sort_values("median")
    if len(reached) and reached.iloc[0]["median"] == 0:  # met at the start: nobody is first
        return prose.sentence("target90_at_start", lang)
    if len(reached):
        row = reached.iloc[0]
        return prose.sentence("target90_first", lang,
                              name=arm_name(match(labels, row, design).iloc[0]),
                              median=f"{row['median']:.0f}")
    row = b90.sort_values("end_mean", ascending=False).iloc[0]
    return prose.sentence("target90_none", lang,
                          name=arm_name(match(labels, row, design).iloc[0]),
                          share=i18n.percent(row["end_mean"], lang))


def _finding_cost(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                  design: list[str], lang: str) -> Markup:
    costs = tables.headline_costs
    kind = "_safely" if tables.focus == "safely_managed" else ""
    if costs.empty or lead is None:
        if set(tables.arms["bundle"]) == {BASELINE}:
            return Markup.escape(prose.text("only_baseline", lang))
        return Markup.escape(prose.text("no_baseline", lang).capitalize() + ".")
    say = lambda key, **values: prose.sentence(key, lang, **values)  # noqa: E731
    rp = lambda v: i18n.rupiah(v, lang)  # noqa: E731
    horizon = tables.horizon
    mine = match(costs, lead, design)
    parts: list[Markup | str] = []
    if len(mine):
        total = mine[mine["funder"] == "total"].iloc[0]
        gained = total["households_mean"]
        if gained > 0:
            paid, saved = [], []
            for funder in analysis.FUNDERS:
                value = mine[mine["funder"] == funder].iloc[0]["cost_per_household"]
                if value >= 500:
                    paid.append(f"{rp(value)} {prose.paid(funder, lang)}")
                elif value <= -500:
                    saved.append(f"{rp(-value)} {prose.paid(funder, lang, saved=True)}")
            who = _join(paid, lang)
            if saved:
                who = say("cost_less", paid=who, saved=_join(saved, lang))
            ci = ""
            if not isna(total["cph_low"]) and not isna(total["cph_high"]):
                ci = say("cost_ci", label=_ci_label(lang, total.get("interval_holds")),
                         range=rupiah_range(total["cph_low"], total["cph_high"], lang))
            parts.append(say("cost_gain" + kind, name=arm_name(lead),
                             gained=i18n.number(gained, lang),
                             horizon=horizon, cost=rp(total["cost_per_household"]), ci=ci,
                             parts=who))
        else:
            parts.append(say("cost_no_gain" + kind, name=arm_name(lead), horizon=horizon))
    total = costs[(costs["funder"] == "total") & costs["cost_per_household"].notna()]
    if len(total):
        cheapest = total.sort_values("cost_per_household").iloc[0]
        parts.append(say("cheapest" + kind,
                         name=arm_name(match(labels, cheapest, design).iloc[0]),
                         cost=rp(cheapest["cost_per_household"])))
        frontier = [arm_name(match(labels, r, design).iloc[0])
                    for _, r in total[total["frontier"]].sort_values(
                        "households_mean").iterrows()]
        if frontier:
            parts.append(say("frontier", names=" → ".join(frontier)))
    return _sentences(parts)


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + prose.word("and", lang) + parts[-1]


def _finding_equity(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                    design: list[str], lang: str, baseline: str) -> Markup:
    eq = tables.equity
    no_equity = Markup.escape(prose.text("no_equity", lang).capitalize() + ".")
    if eq.empty or lead is None:
        return no_equity
    mine = match(eq, lead, design).set_index("group")
    if not {"q1", "q5"} <= set(mine.index):
        return no_equity
    say = lambda key, **values: prose.sentence(key, lang, **values)  # noqa: E731
    pct = lambda v: i18n.percent(v, lang, 0)  # noqa: E731
    pp = lambda v: i18n.number(100 * v, lang, 0)  # noqa: E731
    horizon = tables.horizon
    q1, q5 = mine.loc["q1"], mine.loc["q5"]
    parts: list[Markup | str] = [
        say("equity_poorest", name=arm_name(lead), q1_end=pct(q1["end"]), horizon=horizon,
            q1_start=pct(q1["start"]), q5_end=pct(q5["end"]))]
    if lead["bundle"] != baseline and not isna(q1["vs_baseline"]):
        parts.append(say("equity_vs_baseline", phrase=_pp_phrase_up(q1, lang)))
    base = match(eq[eq["bundle"] == baseline], lead, [k for k in design if k != "bundle"])
    base = base.set_index("group") if len(base) else base
    base_gap = ""
    if lead["bundle"] != baseline and {"q1", "q5"} <= set(base.index):
        base_gap = say("equity_base_gap",
                       gap=pp(base.loc["q5", "end"] - base.loc["q1", "end"]))
    parts.append(say("equity_gap", start=pp(q5["start"] - q1["start"]),
                     end=pp(q5["end"] - q1["end"]), base_gap=base_gap))
    if {"female", "male"} <= set(mine.index):
        parts.append(say("equity_gender", female=pct(mine.loc["female", "end"]),
                         male=pct(mine.loc["male", "end"])))
    q1_all = eq[(eq["group"] == "q1") & (eq["bundle"] != baseline) & eq["vs_baseline"].notna()]
    if len(q1_all):
        best = q1_all.sort_values("vs_baseline", ascending=False).iloc[0]
        if best["bundle"] != lead["bundle"] and best["vs_baseline"] > q1.get("vs_baseline", 0):
            parts.append(say("equity_best", name=arm_name(match(labels, best, design).iloc[0]),
                             points=i18n.points(best["vs_baseline"], lang)))
    return _sentences(parts)


def _pp_phrase_up(row: pd.Series, lang: str) -> str:
    return diff_phrase(row["vs_baseline"], row["vs_baseline_low"], row["vs_baseline_high"], lang,
                       row.get("interval_holds"))
