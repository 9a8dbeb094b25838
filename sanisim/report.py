"""The policy report: one self-contained HTML file, its figures (PNG, SVG) and tables (CSV).

``sanisim report RESULTS_DIR [--out DIR] [--lang en|id]`` reads a results store and writes::

    OUT/report.html          (laporan.html with --lang id) figures embedded, CSS inline,
                             no script, no external resource; opens offline
    OUT/figures_<lang>/*.png, *.svg
    OUT/tables/*.csv         the analysis tables in raw units (shares 0-1, rupiah, months)

The first screen answers three questions in plain language, one paragraph each: which
strategy ends open defecation first (or comes closest), what it costs per additional household
and who pays, and who is left behind (poorest fifth, women decision makers). ``docs/report.md``
explains every figure and table.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanisim import i18n
from sanisim.errors import InputError

if TYPE_CHECKING:  # heavy imports stay inside functions, so the command line starts fast
    import pandas as pd

    from sanisim.results import Results

log = logging.getLogger(__name__)

HTML_NAME = {"en": "report.html", "id": "laporan.html"}
FIGURE_ORDER: tuple[str, ...] = ("ladder", "compare", "paired", "time_to_target", "cost",
                                 "equity", "network")
#: Figures that draw intervals (their captions and images say what the intervals hold).
INTERVAL_FIGURES: tuple[str, ...] = ("compare", "paired", "time_to_target", "cost", "equity")
BASELINE = "baseline"  # the arm strategies are compared with
NETWORK_HOUSEHOLDS = 480  # households of the small run drawn in the network figure


# --------------------------------------------------------------------------- loading


def load(results_dir: str | Path) -> Results:
    """Read a results store; a missing or unusable folder is a one-line :class:`InputError`."""
    from sanisim import analysis
    path = Path(results_dir)
    if not path.exists():
        raise InputError(str(path), None, "no such results folder (give the --out folder of "
                         "'sanisim batch')")
    if not path.is_dir():
        raise InputError(str(path), None, "is a file; give the results folder written by "
                         "'sanisim batch'")
    from sanisim.experiment import load_results

    results = load_results(path)
    if analysis.finished_runs(results).empty:
        raise InputError(str(path), None, "holds no finished run yet (run or resume "
                         "'sanisim batch' first)")
    return results


# --------------------------------------------------------------------------- tables


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

    def csv_tables(self) -> dict[str, pd.DataFrame]:
        return {"arms": self.arms, "ladder_end": self.ladder_end,
                "ladder_over_time": self.ladder_over_time, "paired_end": self.paired_end,
                "paired_over_time": self.paired_over_time,
                "time_to_target": self.time_to_target, "cost_per_household": self.costs,
                "equity": self.equity, "odf": self.odf, "loan_fund": self.loan_fund,
                "run_metrics": self.run_metrics}


def compute_tables(results: Results, baseline: str = BASELINE) -> Tables:
    from sanisim import analysis
    metrics = analysis.run_metrics(results)
    over_time_measures = [m for m in (*analysis.LADDER_MEASURES, "odf_communities")
                          if m in results.monthly.columns]
    paired_measures = ["basic_or_better", "open_defecation", "safely_managed"]
    return Tables(
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
    )


# --------------------------------------------------------------------------- figures


def make_figures(results: Results, tables: Tables, lang: str = "en", network: bool = True,
                 baseline: str = BASELINE) -> dict[str, Any]:
    """Every report figure, by name (see :data:`FIGURE_ORDER`)."""
    from sanisim import analysis, plots

    arms = plots.Arms(_labelled(tables.arms, results, lang), analysis.design_keys(results),
                      lang, holds=tables.interval_holds)
    figures = {
        "ladder": plots.ladder_figure(tables.ladder_over_time, arms),
        "compare": plots.compare_figure(tables.ladder_over_time, arms),
        "paired": plots.paired_figure(tables.paired_over_time, arms),
        "time_to_target": plots.time_to_target_figure(tables.time_to_target, arms),
        "cost": plots.cost_figure(tables.costs, arms),
        "equity": plots.equity_figure(tables.equity, arms),
    }
    if network:
        fig = network_figure(results, tables, lang, baseline)
        if fig is not None:
            figures["network"] = fig
    return figures


def _labelled(arms_table: pd.DataFrame, results: Results, lang: str) -> pd.DataFrame:
    from sanisim import analysis
    return arms_table.assign(arm=analysis.arm_labels(arms_table, results, lang))


def network_figure(results: Results, tables: Tables, lang: str = "en",
                   baseline: str = BASELINE, households: int = NETWORK_HOUSEHOLDS):
    """Re-run one small run of the leading arm and draw its network (None if impossible)."""
    from sanisim import analysis, plots
    from sanisim.model import SanitationModel

    arm = leading_arm(tables, baseline)
    if arm is None:
        return None
    scenario = _scenario_for(results, str(arm["scenario"]))
    if scenario is None:
        return None
    from sanisim.results import PARAM_PREFIX

    params = {c.removeprefix(PARAM_PREFIX): arm[c] for c in results.param_columns
              if not _isna(arm[c])}
    if params:
        scenario = scenario.with_params(params)
    runs = analysis.finished_runs(results)
    mine = runs[(runs["bundle"] == arm["bundle"]) & (runs["scenario"] == arm["scenario"])]
    first = mine.sort_values("replicate", kind="stable").iloc[0] if len(mine) else None
    seed = int(first["seed"]) if first is not None else 0
    from sanisim.posterior import POSTERIOR_PREFIX

    drawn = {c.removeprefix(POSTERIOR_PREFIX): _plain(first[c]) for c in mine.columns
             if c.startswith(POSTERIOR_PREFIX) and not _isna(first[c])} if first is not None \
        else {}
    if drawn:  # the first run's posterior draw, set as every run sets it
        from sanisim.experiment import _configured

        scenario = _configured(scenario, drawn, source="network figure")
    months = int(tables.run_metrics["horizon"].max())
    try:
        model = SanitationModel(scenario, seed=seed, households=households,
                                bundle=str(arm["bundle"]), household_agents=False)
    except InputError as err:
        log.warning("network figure skipped: %s", err)
        return None
    rung_start = model.households.rung.copy()
    model.run(months)
    hh = model.households
    return plots.network_figure(model.network.to_networkx(), hh.rt, hh.rw, rung_start,
                                hh.rung.copy(), months, lang, max_households=households)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _isna(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _scenario_for(results: Results, name: str):
    from sanisim.scenario import load as load_scenario

    candidates = [s.get("path") for s in results.manifest.get("scenarios", [])
                  if isinstance(s, dict) and s.get("name") == name and s.get("path")]
    for ref in [*candidates, name]:
        try:
            return load_scenario(ref)
        except InputError:
            continue
    log.warning("network figure skipped: scenario %r not found", name)
    return None


# --------------------------------------------------------------------------- findings


def leading_arm(tables: Tables, baseline: str = BASELINE) -> pd.Series | None:
    """The strategy arm that ends open defecation first (lowest median month), or, when none
    does in most runs, the one with the least open defecation at the horizon."""
    import pandas as pd
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
    keys = [c for c in tables.arms.columns if c not in ("runs", "arm")]
    match = tables.arms
    for key in keys:
        match = match[(match[key] == best[key]) | (match[key].isna() & pd.isna(best[key]))]
    return match.iloc[0] if len(match) else None


def _match(frame: pd.DataFrame, arm: pd.Series, keys: Sequence[str]) -> pd.DataFrame:
    for key in keys:
        if key not in frame.columns:
            continue
        value = arm[key]
        frame = frame[frame[key].isna()] if _isna(value) else frame[frame[key] == value]
    return frame


def _years(months: float, lang: str) -> str:
    """Months as years with their unit: '5 years', '1 year', '1.7 years', '1,7 tahun'."""
    years = months / 12
    whole = abs(years - round(years)) < 0.05
    text = i18n.number(years, lang, 0 if whole else 1)
    if lang == "id":
        return f"{text} tahun"
    return f"{text} year" if whole and round(years) == 1 else f"{text} years"


def findings(results: Results, tables: Tables, lang: str = "en",
             baseline: str = BASELINE) -> list[tuple[str, str]]:
    """The three plain-language findings: (question, paragraph) pairs."""
    from sanisim import analysis

    labels = _labelled(tables.arms, results, lang)
    short = tables.arms.assign(arm=analysis.arm_labels(tables.arms, results, lang, short=True))
    design = analysis.design_keys(results)
    lead = leading_arm(tables, baseline)
    lead_long = lead_short = None
    if lead is not None:  # the full name once, in the first finding; short names after it
        lead_long = _match(labels, lead, design).iloc[0]
        lead_short = _match(short, lead, design).iloc[0]
    return [(i18n.t("q_first", lang), _finding_first(tables, short, lead_long, design, lang,
                                                     baseline)),
            (i18n.t("q_cost", lang), _finding_cost(tables, short, lead_short, design, lang)),
            (i18n.t("q_equity", lang), _finding_equity(tables, short, lead_short, design, lang,
                                                       baseline))]


def _name(arm: pd.Series) -> str:
    return str(arm["arm"])


def _finding_first(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                   design: list[str], lang: str, baseline: str) -> str:
    if lead is None:
        return i18n.t("na", lang)
    ttt = tables.time_to_target
    od = ttt[ttt["target"] == "zero_open_defecation"]
    row = _match(od, lead, design).iloc[0]
    horizon = int(row["horizon"])
    base_rows = od[od["bundle"] == baseline]
    base = _match(base_rows, lead, [k for k in design if k != "bundle"]) if len(base_rows) \
        else base_rows
    paired = _match(tables.paired_end[tables.paired_end["measure"] == "open_defecation"],
                    lead, design)
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    if not _isna(row["median"]):
        rng = ""
        if not _isna(row["p2_5"]) and not _isna(row["p97_5"]):
            held = i18n.holds(tables.interval_holds, lang, short=True)
            rng = {"en": f" (95% of runs, {held}: months {row['p2_5']:.0f}–"
                         f"{row['p97_5']:.0f})",
                   "id": f" (95% simulasi, {held}: bulan {row['p2_5']:.0f}–"
                         f"{row['p97_5']:.0f})"}[lang]
        others = od[(od["median"].notna()) & (od["bundle"] != lead["bundle"])
                    & (od["bundle"] != baseline)].sort_values("median")
        text = {"en": f"<b>{_esc(_name(lead))}</b> ends open defecation first: after a median "
                      f"of <b>{row['median']:.0f} months</b> ({_years(row['median'], lang)})"
                      f"{rng}, in {int(row['reached'])} of {int(row['runs'])} runs.",
                "id": f"<b>{_esc(_name(lead))}</b> paling cepat menghentikan BABS: setelah "
                      f"median <b>{row['median']:.0f} bulan</b> ({_years(row['median'], lang)})"
                      f"{rng}, di {int(row['reached'])} dari {int(row['runs'])} "
                      f"simulasi."}[lang]
        if len(others):
            nxt = others.iloc[0]
            nxt_name = _esc(_name(_match(labels, nxt, design).iloc[0]))
            if nxt["median"] <= row["median"]:
                text += {"en": f" {nxt_name} is as fast (median {nxt['median']:.0f} months).",
                         "id": f" {nxt_name} sama cepatnya (median {nxt['median']:.0f} "
                               f"bulan)."}[lang]
            else:
                text += {"en": f" Next is {nxt_name} ({nxt['median']:.0f} months).",
                         "id": f" Berikutnya {nxt_name} ({nxt['median']:.0f} bulan)."}[lang]
    else:
        some = int(row["reached"])
        households = _households(tables, lead, design)
        about = ""
        if households:
            count = i18n.number(round(row["end_mean"] * households), lang)
            about = {"en": f" (about {count})", "id": f" (sekitar {count})"}[lang]
        text = {"en": f"No strategy ends open defecation within {horizon} months "
                      f"({_years(horizon, lang)}) in most runs. "
                      f"<b>{_esc(_name(lead))}</b> comes closest: "
                      f"<b>{pct(row['end_mean'])}</b> of households{about} still defecate in "
                      f"the open at month {horizon}",
                "id": f"Tidak ada strategi yang menghentikan BABS dalam {horizon} bulan "
                      f"({_years(horizon, lang)}) di sebagian besar simulasi. "
                      f"<b>{_esc(_name(lead))}</b> paling mendekati: <b>{pct(row['end_mean'])}"
                      f"</b> rumah tangga{about} masih BABS pada bulan {horizon}"}[lang]
        if len(base) and lead["bundle"] != baseline:
            text += {"en": f", against {pct(base.iloc[0]['end_mean'])} with routine services "
                           f"only",
                     "id": f", dibanding {pct(base.iloc[0]['end_mean'])} dengan layanan rutin "
                           f"saja"}[lang]
        text += "."
        if some:
            text += {"en": f" It reaches zero in {some} of {int(row['runs'])} runs.",
                     "id": f" BABS mencapai nol di {some} dari {int(row['runs'])} "
                           f"simulasi."}[lang]
    if len(paired):
        p = paired.iloc[0]
        text += {"en": f" Compared with the same households without the programme, open "
                       f"defecation is {_pp_phrase(p, lang)} at month {horizon}.",
                 "id": f" Dibanding rumah tangga yang sama tanpa program, BABS "
                       f"{_pp_phrase(p, lang)} pada bulan {horizon}."}[lang]
    text += " " + _target_90_sentence(tables, labels, design, lang, baseline)
    return text


def _households(tables: Tables, arm: pd.Series, design: list[str]) -> float:
    """Households per run of ``arm`` (0 if unknown)."""
    runs = _match(tables.run_metrics, arm, design)
    return float(runs["households"].mean()) if len(runs) else 0.0


def _pp_phrase(row: pd.Series, lang: str) -> str:
    """'3.2 pp lower (95% CI, seed noise only: 1.7–4.7 pp lower)' for a paired difference."""
    return diff_phrase(row["mean"], row["low"], row["high"], lang, row.get("interval_holds"))


def _ci_label(lang: str, interval_holds: str | None) -> str:
    """'95% CI', or '95% CI, seed noise only' when what it holds is known."""
    if interval_holds is None or _isna(interval_holds):
        return i18n.t("ci95", lang)
    return i18n.t("ci95_holds", lang, holds=i18n.holds(str(interval_holds), lang, short=True))


def diff_phrase(mean: float, low: float, high: float, lang: str,
                interval_holds: str | None = None) -> str:
    """A difference of shares in words, with its confidence interval in the same direction
    (labelled with what it holds when ``interval_holds`` is given)."""
    words = {"en": ("lower", "higher", "no different"),
             "id": ("lebih rendah", "lebih tinggi", "tidak berbeda")}[lang]
    unit = " pp" if lang == "en" else " poin persen"
    num = lambda v: i18n.number(abs(100 * v), lang, 1)  # noqa: E731
    if round(100 * mean, 1) == 0:
        head = words[2]
    else:
        head = f"{num(mean)}{unit} {words[0] if mean < 0 else words[1]}"
    if _isna(low) or _isna(high):
        return head
    ci = _ci_label(lang, interval_holds)
    if interval_holds is not None and not _isna(interval_holds):
        ci += ":"
    if low >= 0 or high <= 0:  # the interval lies on one side of zero
        a, b = sorted((abs(low), abs(high)))
        side = words[0] if high <= 0 else words[1]
        return f"{head} ({ci} {num(a)}–{num(b)}{unit} {side})"
    span = {"en": f"from {num(low)}{unit} lower to {num(high)}{unit} higher",
            "id": f"dari {num(low)}{unit} lebih rendah hingga {num(high)}{unit} lebih "
                  f"tinggi"}[lang]
    return f"{head} ({ci} {span})"


def _target_90_sentence(tables: Tables, labels: pd.DataFrame, design: list[str], lang: str,
                        baseline: str) -> str:
    ttt = tables.time_to_target
    b90 = ttt[ttt["target"] == "basic_90"]
    if b90.empty:
        return ""
    reached = b90[b90["median"].notna()].sort_values("median")
    if len(reached):
        row = reached.iloc[0]
        name = _name(_match(labels, row, design).iloc[0])
        return {"en": f"For 90% basic or better, {_esc(name)} is first (median month "
                      f"{row['median']:.0f}).",
                "id": f"Untuk target 90% akses layak, {_esc(name)} tercepat (median bulan "
                      f"{row['median']:.0f}).",
                }[lang]
    row = b90.sort_values("end_mean", ascending=False).iloc[0]
    name = _name(_match(labels, row, design).iloc[0])
    return {"en": f"No strategy reaches 90% basic or better in most runs; {_esc(name)} gets "
                  f"highest ({i18n.percent(row['end_mean'], lang)}).",
            "id": f"Tidak ada strategi yang mencapai 90% akses layak di sebagian besar "
                  f"simulasi; tertinggi {_esc(name)} ({i18n.percent(row['end_mean'], lang)})."
            }[lang]


def _finding_cost(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                  design: list[str], lang: str) -> str:
    from sanisim import analysis
    costs = tables.costs
    if costs.empty or lead is None:
        only_baseline = set(tables.arms["bundle"]) == {BASELINE}
        if only_baseline:
            return i18n.t("only_baseline", lang)
        return i18n.t("no_baseline", lang).capitalize() + "."
    horizon = int(tables.run_metrics["horizon"].max())
    rp = lambda v: i18n.rupiah(v, lang)  # noqa: E731
    mine = _match(costs, lead, design)
    text = ""
    if len(mine):
        total = mine[mine["funder"] == "total"].iloc[0]
        gained = total["households_mean"]
        if gained > 0:
            parts, less = [], []
            for funder in analysis.FUNDERS:
                value = mine[mine["funder"] == funder].iloc[0]["cost_per_household"]
                if value >= 500:
                    parts.append(f"{rp(value)} {_from(funder, lang)}")
                elif value <= -500:
                    less.append(f"{rp(-value)} {_less(funder, lang)}")
            if less:
                parts = [_join(parts, lang) + {"en": ", less ", "id": ", dikurangi "}[lang]
                         + _join(less, lang)]
            ci = ""
            if not _isna(total["cph_low"]) and not _isna(total["cph_high"]):
                ci = (f" ({_ci_label(lang, total.get('interval_holds'))}: "
                      f"{rupiah_range(total['cph_low'], total['cph_high'], lang)})")
            text = {"en": f"<b>{_esc(_name(lead))}</b> brings <b>"
                          f"{i18n.number(gained, lang)}</b> more households to basic sanitation "
                          f"or better than routine services alone by month {horizon}, at "
                          f"<b>{rp(total['cost_per_household'])} per additional household"
                          f"</b>{ci}: {_join(parts, lang)}.",
                    "id": f"<b>{_esc(_name(lead))}</b> menambah <b>"
                          f"{i18n.number(gained, lang)}</b> rumah tangga berakses layak "
                          f"dibanding layanan rutin saja pada bulan {horizon}, dengan biaya "
                          f"<b>{rp(total['cost_per_household'])} per tambahan rumah tangga</b>"
                          f"{ci}: {_join(parts, lang)}."}[lang]
        else:
            text = {"en": f"<b>{_esc(_name(lead))}</b> does not add households at basic or "
                          f"better on average by month {horizon}, so it has no cost per "
                          f"additional household.",
                    "id": f"<b>{_esc(_name(lead))}</b> rata-rata tidak menambah rumah tangga "
                          f"berakses layak pada bulan {horizon}, sehingga biaya per tambahan "
                          f"rumah tangga tidak dapat dihitung."}[lang]
    total = costs[(costs["funder"] == "total") & costs["cost_per_household"].notna()]
    if len(total):
        cheapest = total.sort_values("cost_per_household").iloc[0]
        name = _name(_match(labels, cheapest, design).iloc[0])
        frontier = [_name(_match(labels, r, design).iloc[0])
                    for _, r in total[total["frontier"]].sort_values(
                        "households_mean").iterrows()]
        text += {"en": f" Lowest cost per additional household: {_esc(name)} "
                       f"({rp(cheapest['cost_per_household'])}).",
                 "id": f" Biaya per tambahan rumah tangga terendah: {_esc(name)} "
                       f"({rp(cheapest['cost_per_household'])})."}[lang]
        if frontier:
            text += {"en": " Best value as the budget grows (efficient frontier): "
                           + " → ".join(_esc(f) for f in frontier) + ".",
                     "id": " Paling efisien seiring bertambahnya anggaran (batas efisien): "
                           + " → ".join(_esc(f) for f in frontier) + "."}[lang]
    return text.strip()


def _from(funder: str, lang: str) -> str:
    return {"en": {"households": "from households", "government": "from government",
                   "cooperatives": "lent by cooperatives and not yet repaid",
                   "donors": "from donors"},
            "id": {"households": "dari rumah tangga", "government": "dari pemerintah",
                   "cooperatives": "dipinjamkan koperasi dan belum kembali",
                   "donors": "dari donor"}}[lang][funder]


def _less(funder: str, lang: str) -> str:
    """What a negative extra cost of a funder means, in words."""
    return {"en": {"households": "that households save",
                   "government": "that government saves",
                   "cooperatives": "left in the cooperatives' loan funds",
                   "donors": "that donors save"},
            "id": {"households": "yang dihemat rumah tangga",
                   "government": "yang dihemat pemerintah",
                   "cooperatives": "yang masih tersimpan di dana kredit koperasi",
                   "donors": "yang dihemat donor"}}[lang][funder]


def rupiah_range(low: float, high: float, lang: str) -> str:
    """'Rp 18.1–21.4 million' (one unit when both ends share it)."""
    a, b = i18n.rupiah(low, lang), i18n.rupiah(high, lang)
    head_a, _, unit_a = a.rpartition(" ")
    head_b, _, unit_b = b.rpartition(" ")
    if unit_a == unit_b and unit_a in ("million", "billion", "juta", "miliar") and \
            not a.startswith("−") and not b.startswith("−"):
        return f"{head_a}–{head_b.removeprefix('Rp ')} {unit_a}"
    return f"{a} – {b}"


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    word = " and " if lang == "en" else " dan "
    return ", ".join(parts[:-1]) + word + parts[-1]


def _finding_equity(tables: Tables, labels: pd.DataFrame, lead: pd.Series | None,
                    design: list[str], lang: str, baseline: str) -> str:
    eq = tables.equity
    if eq.empty or lead is None:
        return i18n.t("no_equity", lang).capitalize() + "."
    horizon = int(tables.run_metrics["horizon"].max())
    mine = _match(eq, lead, design).set_index("group")
    pct = lambda v: i18n.percent(v, lang, 0)  # noqa: E731
    if not {"q1", "q5"} <= set(mine.index):
        return i18n.t("no_equity", lang).capitalize() + "."
    q1, q5 = mine.loc["q1"], mine.loc["q5"]
    text = {"en": f"Under {_esc(_name(lead))}, <b>{pct(q1['end'])} of the poorest fifth</b> "
                  f"have basic sanitation or better at month {horizon} (from "
                  f"{pct(q1['start'])} at the start), against {pct(q5['end'])} of the richest "
                  f"fifth.",
            "id": f"Dengan {_esc(_name(lead))}, <b>{pct(q1['end'])} dari 20% rumah tangga "
                  f"termiskin</b> berakses layak pada bulan {horizon} (dari {pct(q1['start'])} "
                  f"di awal), dibanding {pct(q5['end'])} pada 20% terkaya."}[lang]
    if lead["bundle"] != baseline and not _isna(q1["vs_baseline"]):
        text += {"en": f" For the poorest fifth that is {_pp_phrase_up(q1, lang)} than with "
                       f"routine services only.",
                 "id": f" Bagi 20% termiskin itu {_pp_phrase_up(q1, lang)} dibanding dengan "
                       f"layanan rutin saja."}[lang]
    gap_start, gap_end = q5["start"] - q1["start"], q5["end"] - q1["end"]
    pp = lambda v: i18n.number(100 * v, lang, 0)  # noqa: E731
    base = _match(eq[eq["bundle"] == baseline], lead, [k for k in design if k != "bundle"])
    base = base.set_index("group") if len(base) else base
    base_gap = ""
    if lead["bundle"] != baseline and {"q1", "q5"} <= set(base.index):
        value = base.loc["q5", "end"] - base.loc["q1", "end"]
        base_gap = {"en": f"; {pp(value)} with routine services only",
                    "id": f"; {pp(value)} poin dengan layanan rutin saja"}[lang]
    text += {"en": f" The gap between the richest and the poorest fifth goes from "
                   f"{pp(gap_start)} to <b>{pp(gap_end)} percentage points</b>{base_gap}.",
             "id": f" Kesenjangan antara 20% terkaya dan 20% termiskin berubah dari "
                   f"{pp(gap_start)} menjadi <b>{pp(gap_end)} poin persen</b>{base_gap}."}[lang]
    if {"female", "male"} <= set(mine.index):
        f, m = mine.loc["female"], mine.loc["male"]
        text += {"en": f" Households where a woman makes the decisions: {pct(f['end'])}; where "
                       f"a man does: {pct(m['end'])}.",
                 "id": f" Rumah tangga dengan perempuan sebagai pengambil keputusan: "
                       f"{pct(f['end'])}; laki-laki: {pct(m['end'])}."}[lang]
    q1_all = eq[(eq["group"] == "q1") & (eq["bundle"] != baseline) & eq["vs_baseline"].notna()]
    if len(q1_all):
        best = q1_all.sort_values("vs_baseline", ascending=False).iloc[0]
        if best["bundle"] != lead["bundle"] and best["vs_baseline"] > q1.get("vs_baseline", 0):
            name = _name(_match(labels, best, design).iloc[0])
            text += {"en": f" The strategy that does most for the poorest fifth is "
                           f"{_esc(name)} ({i18n.points(best['vs_baseline'], lang)}).",
                     "id": f" Strategi yang paling membantu 20% termiskin adalah {_esc(name)} "
                           f"({i18n.points(best['vs_baseline'], lang)})."}[lang]
    return text


def _pp_phrase_up(row: pd.Series, lang: str) -> str:
    return diff_phrase(row["vs_baseline"], row["vs_baseline_low"], row["vs_baseline_high"], lang,
                       row.get("interval_holds"))


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


# --------------------------------------------------------------------------- HTML tables


def _ci(low: float, high: float, fmt) -> str:
    if _isna(low) or _isna(high):
        return ""
    return f"<span class=ci>{fmt(low)} – {fmt(high)}</span>"


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str,
                note: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    note_html = f"<p class=note>{note}</p>" if note else ""
    return (f"<figure class=table><figcaption>{caption}</figcaption><div class=scroll>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            f"{note_html}</figure>")


def html_tables(tables: Tables, labels: pd.DataFrame, design: list[str], lang: str
                ) -> list[str]:
    """The key tables, formatted for reading (CSV files keep raw units)."""
    from sanisim import analysis
    out = []
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    pts = lambda v: i18n.points(v, lang)  # noqa: E731
    horizon = int(tables.run_metrics["horizon"].max())
    arm_rows = list(labels.iterrows())
    held = "; " + _esc(i18n.interval_note(tables.interval_holds, lang))

    # ladder at the end
    rungs = [*analysis.LADDER_MEASURES]
    header = [i18n.t("strategy", lang), *(i18n.measure_name(m, lang) for m in rungs),
              f"{i18n.measure_name('basic_or_better', lang)} {i18n.t('vs_baseline', lang)}"]
    rows = []
    for _, arm in arm_rows:
        part = _match(tables.ladder_end, arm, design).set_index("measure")
        cells = [_esc(_name(arm))]
        for m in rungs:
            cell = pct(part.loc[m, "mean"]) if m in part.index else i18n.t("na", lang)
            if m == "basic_or_better" and m in part.index:
                cell += " " + _ci(part.loc[m, "low"], part.loc[m, "high"], pct)
            cells.append(cell)
        diff = _match(tables.paired_end[tables.paired_end["measure"] == "basic_or_better"],
                      arm, design)
        cells.append(pts(diff.iloc[0]["mean"]) + " " + _ci(diff.iloc[0]["low"],
                                                          diff.iloc[0]["high"], pts)
                     if len(diff) else i18n.t("na", lang))
        rows.append(cells)
    out.append(_html_table(header, rows, {
        "en": f"Table 1. The ladder at month {horizon}: mean share of households "
              f"(95% CI of the mean{held})",
        "id": f"Tabel 1. Tangga sanitasi pada bulan {horizon}: rerata persentase rumah tangga "
              f"(SK 95% rerata{held})"}[lang]))

    # time to target
    ttt = tables.time_to_target
    names = list(dict.fromkeys(ttt["target"])) if not ttt.empty else []
    header = [i18n.t("strategy", lang)]
    for name in names:
        header += [f"{i18n.target_name(name, lang)}: {i18n.t('reached', lang)}",
                   i18n.t("median_month", lang), i18n.t("range_95", lang)]
    rows = []
    for _, arm in arm_rows:
        cells = [_esc(_name(arm))]
        for name in names:
            row = _match(ttt[ttt["target"] == name], arm, design)
            if row.empty:
                cells += [i18n.t("na", lang)] * 3
                continue
            row = row.iloc[0]
            horizon_t = int(row["horizon"])
            cells.append(f"{int(row['reached'])}/{int(row['runs'])}")
            if not row["reached"]:
                cells += [i18n.t("not_reached", lang), i18n.t("na", lang)]
                continue
            low = row["p2_5"] if not _isna(row["p2_5"]) else row["first"]
            cells.append(_month(row["median"], horizon_t))
            cells.append(f"{_month(low, horizon_t)} – {_month(row['p97_5'], horizon_t)}")
        rows.append(cells)
    out.append(_html_table(header, rows, {
        "en": "Table 2. Time to reach the targets: runs that reach it, median first month and "
              "the range of 95% of runs (“> 60”: later than the horizon, because some runs "
              "never reach it)",
        "id": "Tabel 2. Waktu mencapai target: simulasi yang mencapainya, bulan pertama "
              "(median) dan rentang 95% simulasi (“> 60”: lebih lambat dari horizon, karena "
              "sebagian simulasi tidak pernah mencapainya)"}[lang].replace(
            "60", str(horizon)) + held))

    # cost per additional household
    costs = tables.costs
    if not costs.empty:
        header = [i18n.t("strategy", lang), i18n.t("added_households", lang),
                  f"{i18n.t('per_household', lang)}: {i18n.funder_name('total', lang)}",
                  *(i18n.funder_name(f, lang) for f in analysis.FUNDERS)]
        rows = []
        for _, arm in arm_rows:
            mine = _match(costs, arm, design)
            if mine.empty:
                continue
            total = mine[mine["funder"] == "total"].iloc[0]
            frontier = " ◆" if bool(total["frontier"]) else ""
            cph_ci = ""
            if not _isna(total["cph_low"]) and not _isna(total["cph_high"]):
                cph_ci = (f" <span class=ci>"
                          f"{rupiah_range(total['cph_low'], total['cph_high'], lang)}</span>")
            cells = [_esc(_name(arm)) + frontier,
                     i18n.number(total["households_mean"], lang) + " "
                     + _ci(total["households_low"], total["households_high"],
                           lambda v: i18n.number(v, lang)),
                     i18n.rupiah(total["cost_per_household"], lang) + cph_ci]
            for funder in analysis.FUNDERS:
                cells.append(i18n.rupiah(mine[mine["funder"] == funder].iloc[0][
                    "cost_per_household"], lang))
            rows.append(cells)
        out.append(_html_table(header, rows, {
            "en": f"Table 3. Additional households at basic or better and cost per additional "
                  f"household by month {horizon}, against baseline (◆ on the efficient "
                  f"frontier{held})",
            "id": f"Tabel 3. Tambahan rumah tangga berakses layak dan biaya per tambahan rumah "
                  f"tangga hingga bulan {horizon}, dibanding tanpa program (◆ di batas "
                  f"efisien{held})"}[lang],
            {"en": "Cooperatives (net): loans disbursed minus repayments received minus outside "
                   "capital put into the fund; a negative value means the fund holds money "
                   "that households or other funders paid in.",
             "id": "Koperasi (neto): kredit disalurkan dikurangi angsuran diterima dikurangi "
                   "modal dari luar; nilai negatif berarti dana menyimpan uang yang dibayar "
                   "rumah tangga atau penyandang dana lain."}[lang]))

    # equity
    eq = tables.equity
    if not eq.empty:
        groups = list(dict.fromkeys(eq["group"]))
        header = [i18n.t("strategy", lang), *(i18n.group_name(g, lang) for g in groups),
                  f"{i18n.group_name('q1', lang)} {i18n.t('vs_baseline', lang)}"]
        rows = []
        for _, arm in arm_rows:
            mine = _match(eq, arm, design).set_index("group")
            cells = [_esc(_name(arm))]
            cells += [pct(mine.loc[g, "end"]) if g in mine.index else i18n.t("na", lang)
                      for g in groups]
            q1 = mine.loc["q1"] if "q1" in mine.index else None
            cells.append(pts(q1["vs_baseline"]) + " " + _ci(q1["vs_baseline_low"],
                                                            q1["vs_baseline_high"], pts)
                         if q1 is not None and not _isna(q1["vs_baseline"])
                         else i18n.t("na", lang))
            rows.append(cells)
        out.append(_html_table(header, rows, {
            "en": f"Table 4. Basic or better at month {horizon} by income quintile and by "
                  f"gender of the decision maker (mean share{held})",
            "id": f"Tabel 4. Akses layak pada bulan {horizon} menurut kuintil pendapatan dan "
                  f"gender pengambil keputusan (rerata persentase{held})"}[lang]))

    # ODF and loans
    odf, loans = tables.odf, tables.loan_fund
    header = [i18n.t("strategy", lang), i18n.t("odf_start", lang), i18n.t("odf_end", lang),
              i18n.t("slipped", lang), i18n.t("loans_issued", lang),
              i18n.t("written_off", lang), i18n.t("fund_kept", lang), i18n.t("arrears", lang)]
    rows = []
    for _, arm in arm_rows:
        o = _match(odf[odf["kind"] == "level"], arm, design).set_index("measure")["mean"]
        f = _match(loans[loans["kind"] == "level"], arm, design).set_index("measure")["mean"]
        communities = o.get("communities", math.nan)
        of = f" / {i18n.number(communities, lang)}" if not _isna(communities) else ""
        rows.append([_esc(_name(arm)),
                     i18n.number(o.get("odf_communities_start", math.nan), lang, 1) + of,
                     i18n.number(o.get("odf_communities_end", math.nan), lang, 1) + of,
                     i18n.number(o.get("odf_slipped_total", math.nan), lang, 1),
                     i18n.number(f.get("loans_issued", math.nan), lang, 0),
                     i18n.number(f.get("loans_written_off", math.nan), lang, 1),
                     pct(f.get("fund_kept", math.nan)),
                     i18n.number(f.get("loans_in_arrears_end", math.nan), lang, 1)])
    out.append(_html_table(header, rows, {
        "en": f"Table 5. ODF communities (RTs), slippage and the loan funds over {horizon} "
              f"months (means over replicates)",
        "id": f"Tabel 5. RT SBS, RT yang kembali BABS, dan dana kredit selama {horizon} bulan "
              f"(rerata ulangan)"}[lang]))
    return out


def _month(value: float, horizon: int) -> str:
    """A month, or '> horizon' for a quantile among runs that never reach the target."""
    if _isna(value):
        return f"&gt;&#8239;{horizon}"
    return f"{value:.0f}"


# --------------------------------------------------------------------------- HTML page

CSS = """
:root { --ink:#1b1b1b; --muted:#5a5a5a; --line:#d6d6d6; --accent:#0072B2; --card:#f4f7fa; }
* { box-sizing: border-box; }
body { margin:0; font-family: "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
       color:var(--ink); background:#fff; font-size:17px; line-height:1.45; }
header { padding:18px 32px 8px; border-bottom:4px solid var(--accent); }
h1 { font-size:27px; margin:0 0 4px; }
.subtitle { color:var(--muted); margin:0; font-size:15px; }
.uncertainty { margin:12px 0 0; font-size:15px; max-width:1100px; }
main { padding:12px 32px 40px; max-width:1500px; }
.findings { display:grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
            gap:16px; margin:14px 0 8px; }
.finding { background:var(--card); border-left:6px solid var(--accent); padding:10px 16px;
           border-radius:4px; }
.finding h2 { font-size:18px; margin:2px 0 6px; color:var(--accent); }
.finding p { margin:0; font-size:15.5px; }
h2.section { font-size:22px; border-bottom:1px solid var(--line); padding-bottom:4px;
             margin-top:30px; }
figure { margin:18px 0 26px; }
figure img { width:100%; max-width:1100px; height:auto; display:block; }
figcaption { font-size:15px; color:var(--muted); margin:4px 0 8px; max-width:1100px; }
figcaption b { color:var(--ink); font-size:17px; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; font-size:14.5px; }
th, td { padding:5px 10px; border-bottom:1px solid var(--line); text-align:right;
         vertical-align:top; }
th { background:#eef2f6; font-weight:600; }
th:first-child, td:first-child { text-align:left; }
.ci { display:block; color:var(--muted); font-size:12.5px; white-space:nowrap; }
.note, .method p, .method li { font-size:14.5px; color:var(--muted); max-width:1100px; }
.provenance { font-size:13px; color:var(--muted); }
.provenance code { font-size:12.5px; }
@media print { .findings { grid-template-columns: 1fr 1fr 1fr; } body { font-size:12pt; }
               figure { break-inside: avoid; } }
"""

METHOD: dict[str, str] = {
    "en": """<ul>
<li><b>Replicates.</b> Each strategy is run several times (replicates) with different random
draws. Replicate <i>r</i> of every strategy uses the same seed, hence the same synthetic
households, social network and chance events: differences between strategies are the
programmes' effects, not luck of the draw.</li>
<li><b>Means and 95% confidence intervals</b> (bands and small grey ranges): mean over
replicates ± t(0.975, n−1) × standard deviation / √n. They show how precisely the replicates
pin down the expected result and narrow as replicates are added. When the batch runs
parameter sets drawn from the calibration posterior, the runs of all draws are pooled
(n = draws × replicates), so the spread also holds the uncertainty about the behaviour
parameters; each interval's label says which.</li>
<li><b>Differences from baseline</b> are paired: for each replicate the baseline run (routine
services only, same seed) is subtracted from the strategy run; the mean of these differences
and its t-based 95% confidence interval are shown.</li>
<li><b>Time to target</b>: the first month a run reaches the target; median and the range of
95% of runs (2.5th–97.5th percentiles). Runs that never reach it count as later than the
horizon, so a median or upper bound that falls among them reads "not reached".</li>
<li><b>Cost per additional household</b>: extra spending over the whole horizon against
baseline, divided by the extra households at basic or better at the end (ratio of the means
over pairs); the 95% interval is a percentile bootstrap over pairs. Spending is what each
funder paid in the model (construction, visits, grants, desludging, loan repayments);
cooperatives count net of repayments and of capital others put into the fund, so no rupiah is
counted twice.</li>
<li><b>Efficient frontier</b>: strategies for which no other strategy (or mix of two) buys at
least as many additional households for less.</li>
</ul>""",
    "id": """<ul>
<li><b>Ulangan.</b> Setiap strategi dijalankan beberapa kali (ulangan) dengan undian acak
berbeda. Ulangan ke-<i>r</i> setiap strategi memakai benih acak yang sama, sehingga rumah
tangga sintetis, jaringan sosial dan kejadian acaknya sama: selisih antar strategi adalah efek
program, bukan kebetulan.</li>
<li><b>Rerata dan selang kepercayaan (SK) 95%</b> (pita dan rentang abu-abu kecil): rerata
ulangan ± t(0,975; n−1) × simpangan baku / √n. SK menunjukkan seberapa tepat ulangan menaksir
hasil yang diharapkan; makin banyak ulangan, makin sempit. Jika batch memakai beberapa set
parameter perilaku dari hasil kalibrasi, semua simulasi digabung (n = set parameter ×
ulangan), sehingga selang juga memuat ketidakpastian parameter perilaku; label setiap selang
menyebutkannya.</li>
<li><b>Selisih terhadap tanpa program</b> bersifat berpasangan: untuk setiap ulangan, hasil
simulasi tanpa program tambahan (layanan rutin, benih sama) dikurangkan dari hasil strategi;
ditampilkan rerata selisih dan SK 95% berbasis t.</li>
<li><b>Waktu mencapai target</b>: bulan pertama simulasi mencapai target; median dan rentang
95% simulasi (persentil 2,5–97,5). Simulasi yang tidak pernah mencapainya dihitung lebih lambat
dari horizon; median atau batas atas yang jatuh di antaranya tertulis "tidak tercapai".</li>
<li><b>Biaya per tambahan rumah tangga</b>: tambahan pengeluaran selama horizon dibanding tanpa
program, dibagi tambahan rumah tangga berakses layak di akhir (rasio rerata pasangan); selang
95% dari bootstrap persentil atas pasangan. Pengeluaran adalah yang dibayar tiap penyandang
dana dalam model (pembangunan, kunjungan, bantuan, penyedotan, angsuran); koperasi dihitung
neto setelah angsuran dan modal dari pihak lain, sehingga tidak ada rupiah yang terhitung
dua kali.</li>
<li><b>Batas efisien</b>: strategi yang tidak dikalahkan strategi lain (atau campuran dua
strategi) yang menambah rumah tangga sama banyak dengan biaya lebih rendah.</li>
</ul>""",
}


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (house style, no time stamp)."""
    from sanisim import plots

    buffer = io.BytesIO()
    with plots.house_style():
        fig.savefig(buffer, format="png", dpi=plots.DPI, metadata={"Software": None})
    return buffer.getvalue()


def _img(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _provenance(results: Results, lang: str) -> str:
    keys = ("experiment", "experiment_hash", "experiment_file", "seed", "runs",
            "sanisim_version", "git_commit", "created", "source")
    items = [f"<li>{k}: <code>{html.escape(str(results.manifest[k]))}</code></li>"
             for k in keys if k in results.manifest and not isinstance(
                 results.manifest[k], dict | list)]
    return f"<ul class=provenance>{''.join(items)}</ul>"


def render_html(results: Results, tables: Tables, images: dict[str, bytes], lang: str = "en",
                baseline: str = BASELINE) -> str:
    """The report page as one string: inline CSS, figures (PNG bytes by figure name) embedded
    as base64, no script."""
    from sanisim import analysis
    labels = _labelled(tables.arms, results, lang)
    design = analysis.design_keys(results)
    runs = analysis.finished_runs(results)
    horizon = int(tables.run_metrics["horizon"].max())
    households = runs["households"].astype(float)
    households_text = (i18n.number(households.iloc[0], lang) if households.nunique() == 1
                       else f"{i18n.number(households.min(), lang)}–"
                            f"{i18n.number(households.max(), lang)}")
    reps = runs.groupby(design, dropna=False).size()
    reps_text = str(reps.iloc[0]) if reps.nunique() == 1 else f"{reps.min()}–{reps.max()}"
    seeds = runs.groupby(design, dropna=False)["replicate"].nunique()
    seeds_text = str(seeds.iloc[0]) if seeds.nunique() == 1 else f"{seeds.min()}–{seeds.max()}"
    uncertainty = i18n.uncertainty_sentence(tables.interval_holds, seeds_text, reps_text, lang)
    title = i18n.t("report_title", lang)
    name = results.manifest.get("experiment")
    draws = i18n.draws_held(tables.interval_holds)
    subtitle = i18n.t("subtitle_draws" if draws else "subtitle", lang, runs=len(runs),
                      arms=len(labels), reps=seeds_text if draws else reps_text, draws=draws,
                      households=households_text, months=horizon,
                      years=_years(horizon, lang))
    if name:
        subtitle = f"{html.escape(str(name))} · {subtitle}"
    cards = "".join(f"<section class=finding><h2>{html.escape(q)}</h2><p>{p}</p></section>"
                    for q, p in findings(results, tables, lang, baseline))
    figure_html = []
    for key in FIGURE_ORDER:
        if key not in images:
            continue
        fig_title, caption = i18n.FIGURES[key][lang]
        if key in INTERVAL_FIGURES:
            caption += " " + i18n.interval_note(tables.interval_holds, lang) + "."
        figure_html.append(
            f"<figure id=fig-{key}><figcaption><b>{html.escape(fig_title)}</b><br>"
            f"{html.escape(caption)}</figcaption><img alt=\"{html.escape(fig_title)}\" "
            f"src=\"{_img(images[key])}\"></figure>")
    table_html = html_tables(tables, labels, design, lang)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}{' – ' + html.escape(str(name)) if name else ''}</title>
<style>{CSS}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><p class=subtitle>{subtitle}</p></header>
<main>
<p class=uncertainty id=uncertainty>{html.escape(uncertainty)}</p>
<h2 class=section style="margin-top:10px;border:none">{i18n.t('key_findings', lang)}</h2>
<div class=findings>{cards}</div>
<h2 class=section>{i18n.t('figures', lang)}</h2>
{''.join(figure_html)}
<h2 class=section>{i18n.t('tables', lang)}</h2>
{''.join(table_html)}
<p class=note>{i18n.t('download', lang)}</p>
<h2 class=section>{i18n.t('method', lang)}</h2>
<div class=method>{METHOD[lang]}</div>
<h2 class=section>{i18n.t('provenance', lang)}</h2>
{_provenance(results, lang)}
</main>
</body>
</html>
"""


# --------------------------------------------------------------------------- entry point


def write_report(results: Results, out: str | Path, lang: str = "en",
                 baseline: str = BASELINE, network: bool = True) -> Path:
    """Write the HTML report, its figures and tables into ``out``; return the HTML path."""
    i18n.check_lang(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = compute_tables(results, baseline)
    table_dir = out / "tables"
    table_dir.mkdir(exist_ok=True)
    for name, frame in tables.csv_tables().items():
        frame.to_csv(table_dir / f"{name}.csv", index=False)
    figures = make_figures(results, tables, lang, network, baseline)
    from sanisim import plots

    figure_dir = out / f"figures_{lang}"
    figure_dir.mkdir(exist_ok=True)
    images = {}
    for key, fig in figures.items():
        images[key] = figure_png(fig)
        (figure_dir / f"{key}.png").write_bytes(images[key])
        plots.save(fig, figure_dir / key, formats=("svg",))
    page = out / HTML_NAME[lang]
    page.write_text(render_html(results, tables, images, lang, baseline), encoding="utf-8")
    return page


def report(results_dir: str | Path, out: str | Path | None = None, lang: str = "en",
           network: bool = True) -> Path:
    """Read the store at ``results_dir`` and write the report (default: ``results_dir/report``).
    """
    i18n.check_lang(lang)
    results = load(results_dir)
    return write_report(results, Path(out) if out else Path(results_dir) / "report", lang,
                        network=network)


# --------------------------------------------------------------------------- command line


def cmd_report(args) -> int:
    """``sanisim report RESULTS_DIR [--out DIR] [--lang en|id]``."""
    page = report(args.results_dir, args.out, args.lang, network=not args.no_network)
    folder = page.parent
    print(f"sanisim report: {page}  (figures in {folder / f'figures_{args.lang}'}, "
          f"tables in {folder / 'tables'})")
    return 0


def register(verbs) -> None:
    """Add the ``report`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "report", help="write the policy report (HTML, figures, tables) for a results folder",
        description="Read a results folder written by 'sanisim batch' and write one "
                    "self-contained HTML report (figures embedded, opens offline), the figures "
                    "as PNG and SVG and the tables as CSV. See docs/report.md.")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="results folder of 'sanisim batch' (its --out)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: RESULTS_DIR/report)")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default="en",
                        help="language of the report: en (English) or id (Bahasa Indonesia)")
    parser.add_argument("--no-network", action="store_true",
                        help="skip the network figure (it re-runs one small simulation)")
    parser.set_defaults(func=cmd_report)
