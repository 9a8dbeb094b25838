"""The report page: read a results store, compute tables, draw figures, render the HTML page
from ``templates/report.html.j2`` (Jinja2, autoescaping on) and write everything to a folder.

What the page holds depends on the batch's design (``docs/report.md``):

- **one district** (one scenario): the district's name and description, the three findings
  on its headline outcome, the figures and the tables;
- **several districts** (scenarios): a comparison part first (small multiples of every
  district, one cost-effectiveness panel and frontier per district, a table of the headline
  outcomes), then one section per district as above; no frontier is ever drawn across
  districts;
- **a parameter sweep** (a grid or Latin hypercube): the sweep part, each outcome against each
  swept parameter per strategy; parameter points are not ranked as if they were strategies.

Given decision outputs (the folder of ``sanisim decide``, and optionally of ``sanisim
optimise``), the page ends with the district's "what to fund" section
(:mod:`sanisim.report.funding`); with decision outputs alone, the page is that section
(:func:`write_decisions_report`).
"""

from __future__ import annotations

import json
import logging
import os
from functools import cache
from pathlib import Path

import jinja2
import pandas as pd

from sanisim import analysis, i18n
from sanisim.errors import InputError
from sanisim.i18n import check_lang
from sanisim.report import prose, waste_gap
from sanisim.report.budget import budget_view, yearly_costs
from sanisim.report.comparison import comparison_part, results_of
from sanisim.report.decision_outputs import DecisionOutputs
from sanisim.report.figures import FIGURE_ORDER, make_figures
from sanisim.report.findings import findings
from sanisim.report.funding import funding_section, manifest_entry
from sanisim.report.names import Names
from sanisim.report.rendering import Renderer
from sanisim.report.sections import Funding, Images, Section, figure_entry
from sanisim.report.spreadsheets import workbook_time, write_tables
from sanisim.report.sweeps import sweep_part
from sanisim.report.tables import (
    BASELINE,
    Tables,
    compute_tables,
    html_tables,
    labelled,
)
from sanisim.runs.experiment import load_results
from sanisim.runs.results import PARAM_PREFIX, Results
from sanisim.runs.run import git_commit, package_version
from sanisim.runs.store import now

log = logging.getLogger(__name__)

HTML_NAME = {"en": "report.html", "id": "laporan.html"}
#: Manifest fields listed under "Provenance" (values that are not tables or lists).
PROVENANCE_KEYS: tuple[str, ...] = ("experiment", "experiment_hash", "experiment_file", "seed",
                                    "runs", "sanisim_version", "git_commit", "created", "source")
#: Manifest fields of a decide (or optimise) folder listed under "Provenance" of a page that
#: shows decision outputs alone.
DECISION_PROVENANCE: tuple[str, ...] = ("name", "scenario", "config_hash", "seed",
                                        "posterior_file_sha256", "sanisim_version",
                                        "git_commit", "created")
#: Keys of the prose file's ``[text]`` table that the page template uses as ``text.<key>``.
PAGE_TEXT: tuple[str, ...] = ("key_findings", "figures", "tables", "download", "method",
                              "provenance", "rests_on_title", "districts_title",
                              "comparison_title", "sweep_title", "strategies_title")
#: The validation page of the source tree (linked from the page when it exists).
VALIDATION_PAGE = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def load(results_dir: str | Path) -> Results:
    """Read a results store; a missing or unusable folder is a one-line :class:`InputError`."""
    path = Path(results_dir)
    if not path.exists():
        raise InputError(str(path), None, "no such results folder (give the --out folder of "
                         "'sanisim batch')")
    if not path.is_dir():
        raise InputError(str(path), None, "is a file; give the results folder written by "
                         "'sanisim batch'")

    results = load_results(path)
    if analysis.finished_runs(results).empty:
        raise InputError(str(path), None, "holds no finished run yet (run or resume "
                         "'sanisim batch' first)")
    return results


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: every value is escaped in the HTML
    templates (``*.html.j2``); the style sheet is included as it is."""

    return jinja2.Environment(
        loader=jinja2.PackageLoader("sanisim.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            disabled_extensions=("css",), default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)


def subset(results: Results, scenario: str) -> Results:
    """The runs of one scenario (district) of a batch, as a :class:`Results` of their own."""
    return results_of(results, scenario)


def _range_text(values, lang: str) -> str:
    """'400' when all runs agree, else '300–400'."""

    if values.nunique() == 1:
        return i18n.number(values.iloc[0], lang)
    return f"{i18n.number(values.min(), lang)}–{i18n.number(values.max(), lang)}"


def _count_text(counts) -> str:
    return str(counts.iloc[0]) if counts.nunique() == 1 else f"{counts.min()}–{counts.max()}"


def _strategy_list(names: Names, tables: Tables, lang: str) -> list[tuple[str, str]]:
    """Each arm's name and what it runs (its strategies' names)."""
    rows = []
    for _, arm in tables.arms.drop_duplicates(["scenario", "bundle"]).iterrows():
        scenario, bundle = str(arm["scenario"]), str(arm["bundle"])
        runs = names.strategies(scenario, bundle, lang)
        rows.append((names.bundle(scenario, bundle, lang),
                     ", ".join(runs) if runs else prose.text("routine_only", lang)))
    return rows


def district_section(results: Results, tables: Tables, images: Images, lang: str,
                     baseline: str, network: bool, prefix: str = "",
                     several: bool = False, budget: pd.DataFrame | None = None) -> Section:
    """A district's part of the page: findings, strategies, figures, tables and the budget
    view (``budget``: :func:`sanisim.report.budget.yearly_costs` of the district)."""
    scenario = str(tables.arms["scenario"].iloc[0])
    names = tables.names
    section = Section(anchor=f"district-{scenario}", title=names.title(scenario),
                      description=names.description(scenario, lang))
    focus = "focus_safely" if tables.focus == "safely_managed" else "focus_od"
    section.notes.append(prose.text(focus, lang))
    section.findings = findings(results, tables, lang, baseline)
    section.strategies = _strategy_list(names, tables, lang)
    drawn = make_figures(results, tables, lang, network, baseline)
    for key in FIGURE_ORDER:
        if key in drawn:
            image = images.save(prefix + key, drawn[key])
            section.figures.append(figure_entry(key, image, tables.interval_holds, lang))
    labels = labelled(tables, results, lang)
    section.tables = html_tables(tables, labels, analysis.design_keys(results), lang)
    if budget is not None:
        section.budget = budget_view(results, budget, tables, images, lang, prefix)
    monthly = results.monthly.merge(analysis.finished_runs(results), on="run_key")
    declared = names.scenarios.get(scenario)
    if declared is not None and waste_gap.has_waste(monthly):
        section.gaps = waste_gap.gap_view(monthly, declared, lang,
                                          lambda bundle: names.bundle(scenario, bundle, lang))
    return section


def _subtitle(results: Results, tables_list: list[Tables], lang: str) -> tuple[str, str]:
    """The subtitle (runs, arms, replicates, households, months) and the sentence on what
    the bands hold."""
    design = analysis.design_keys(results)
    runs = analysis.finished_runs(results)
    holds = analysis.interval_holds(results)
    horizon = int(max(t.horizon for t in tables_list))
    reps_text = _count_text(runs.groupby(design, dropna=False).size())
    seeds_text = _count_text(runs.groupby(design, dropna=False)["replicate"].nunique())
    draws = prose.draws_held(holds)
    arms = runs.groupby(design, dropna=False).ngroups
    subtitle = prose.text("subtitle_draws" if draws else "subtitle", lang, runs=len(runs),
                          arms=arms, reps=seeds_text if draws else reps_text, draws=draws,
                          households=_range_text(runs["households"].astype(float), lang),
                          months=horizon, years=prose.years(horizon, lang))
    return subtitle, prose.uncertainty_sentence(holds, seeds_text, reps_text, lang)


def _validation_link(out: Path) -> str:
    """A relative link from the output folder to the validation page, if the source tree
    holds it ('' otherwise: the box then names the page without a link)."""
    if not VALIDATION_PAGE.exists():
        return ""
    try:
        return Path(os.path.relpath(VALIDATION_PAGE, out.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return ""


def render_html(results: Results, sections: list[Section], lang: str = "en",
                out: Path | None = None, kind: str = "single",
                tables_list: list[Tables] | None = None, funding: Funding | None = None) -> str:
    """The report page as one string: inline CSS, figures embedded as base64 PNG (a narrow
    one for phones), no script; ``funding``: the "what to fund" section, at the end."""
    check_lang(lang)
    tables_list = tables_list or []
    subtitle, uncertainty = _subtitle(results, tables_list, lang) if tables_list else ("", "")
    manifest = results.manifest
    experiment = manifest.get("experiment")
    names = tables_list[0].names if tables_list else Names({})
    undeclared = sorted(f"{s}: {b}" for s, b in names.undeclared)
    holds = analysis.interval_holds(results)
    return environment().get_template("report.html.j2").render(
        lang=lang,
        kind=kind,
        title=prose.text("report_title", lang),
        experiment=str(experiment) if experiment else "",
        subtitle=subtitle,
        uncertainty=uncertainty,
        rests_on=prose.text("rests_on_posterior" if prose.draws_held(holds)
                            else "rests_on_seed", lang),
        validation=prose.text("validation_link", lang),
        validation_href=_validation_link(out) if out is not None else "",
        undeclared=(prose.text("names_undeclared", lang, keys="; ".join(undeclared))
                    if undeclared else ""),
        text={key: prose.text(key, lang) for key in PAGE_TEXT},
        sections=sections,
        funding=funding,
        funding_sources_title=prose.fund("sources_title", lang),
        provenance=[(key, str(manifest[key])) for key in PROVENANCE_KEYS
                    if key in manifest and not isinstance(manifest[key], dict | list)],
    )


def write_report(results: Results, out: str | Path, lang: str = "en",
                 baseline: str = BASELINE, network: bool = True,
                 decisions: DecisionOutputs | None = None,
                 renderer: Renderer | None = None) -> Path:
    """Write the HTML report, its figures and tables into ``out``; return the HTML path.
    ``decisions``: decision outputs of a district, shown as the "what to fund" section;
    ``renderer``: renders the figures in its worker processes (default: here, one by one)."""
    check_lang(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = Names.of(results)
    images = Images(out / f"figures_{lang}", renderer)
    districts = list(dict.fromkeys(analysis.finished_runs(results)["scenario"].astype(str)))
    swept = analysis.swept_parameters(results)
    sections: list[Section] = []
    if swept:
        kind = "sweep"
        tables = compute_tables(results, baseline, names)
        local = {"arms": labelled(tables, results, lang)}
        sweep = analysis.sweep_table(results, tables.run_metrics)
        csv = {**tables.csv_tables(), "sweep": sweep, "budget": yearly_costs(results)}
        for district in districts:
            part = subset(results, district)
            sections.append(sweep_part(part, sweep[sweep["scenario"] == district], names,
                                       images, lang, swept,
                                       prefix=f"{district}/" if len(districts) > 1 else ""))
        tables_list = [tables]
    else:
        per = {d: compute_tables(subset(results, d), baseline, names) for d in districts}
        budgets = {d: yearly_costs(subset(results, d)) for d in districts}
        several = len(districts) > 1
        kind = "districts" if several else "single"
        if several:
            sections.append(comparison_part(per, results, images, lang, baseline))
        for district, tables in per.items():
            sections.append(district_section(
                subset(results, district), tables, images, lang, baseline, network,
                prefix=f"{district}/" if several else "", several=several,
                budget=budgets[district]))
        csv = {**_concat([t.csv_tables() for t in per.values()]),
               "budget": pd.concat(budgets.values(), ignore_index=True)}
        gaps = [s.gaps.raw.assign(scenario=s.anchor.removeprefix("district-"))
                for s in sections if getattr(s, "gaps", None) is not None]
        if gaps:  # districts with the solid-waste ladder: both sectors' 100-0-100 gaps
            csv["waste_gaps"] = pd.concat(gaps, ignore_index=True)
        local = {"arms": pd.concat([labelled(t, subset(results, d), lang)
                                    for d, t in per.items()], ignore_index=True)}
        tables_list = list(per.values())
    funding = funding_section(decisions, images, lang) if decisions else None
    write_tables(csv, out, lang, local, workbook_time(results.manifest.get("created")))
    write_manifest(results, out, lang, kind, districts, swept, decisions)
    images.finish()
    page = out / HTML_NAME[lang]
    page.write_text(render_html(results, sections, lang, out, kind, tables_list, funding),
                    encoding="utf-8")
    return page


def write_decisions_report(decisions: DecisionOutputs, out: str | Path, lang: str = "en"
                           ) -> Path:
    """A page holding only the "what to fund" section of the decision outputs (no results
    store), its figures and ``manifest.json``; return the HTML path."""
    check_lang(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    funding = funding_section(decisions, Images(out / f"figures_{lang}"), lang)
    manifest = (decisions.decide or decisions.optimise).manifest
    page = out / HTML_NAME[lang]
    page.write_text(environment().get_template("report.html.j2").render(
        lang=lang, kind="decisions", title=funding.title,
        experiment=str(manifest.get("name") or ""), subtitle=", ".join(
            f"sanisim {c}" for c, f in (("decide", decisions.decide),
                                        ("optimise", decisions.optimise)) if f is not None),
        uncertainty="", rests_on=prose.text(
            "rests_on_posterior" if manifest.get("posterior_draws") else "rests_on_seed", lang),
        validation=prose.text("validation_link", lang),
        validation_href=_validation_link(out), undeclared="",
        text={key: prose.text(key, lang) for key in PAGE_TEXT}, sections=[], funding=funding,
        funding_sources_title=prose.fund("sources_title", lang),
        provenance=[(key, str(manifest[key])) for key in DECISION_PROVENANCE
                    if key in manifest]), encoding="utf-8")
    _write_manifest_entry(out, lang, {"page": HTML_NAME[lang], "kind": "decisions",
                                      "decisions": manifest_entry(decisions),
                                      "sanisim_version": package_version(),
                                      "git_commit": git_commit(), "created": now()})
    return page


def _write_manifest_entry(out: Path, lang: str, entry: dict) -> Path:
    """Record ``entry`` as the report of ``lang`` in ``out/manifest.json`` (kept per
    language)."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        manifest = {}
    manifest.setdefault("reports", {})[lang] = entry
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_manifest(results: Results, out: Path, lang: str, kind: str, districts: list[str],
                   swept: list[str], decisions: DecisionOutputs | None = None) -> Path:
    """``out/manifest.json``: the store the report was made from (experiment, hash, commit)
    and, per language written, the sanisim version and commit that wrote it, when, and what the
    page holds."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        manifest = {}
    source = results.manifest
    manifest["results"] = {key: source.get(key) for key in (
        "experiment", "experiment_hash", "experiment_file", "seed", "git_commit",
        "sanisim_version", "created")}
    manifest["results"]["runs_reported"] = int(len(analysis.finished_runs(results)))
    manifest.setdefault("reports", {})[lang] = {
        "page": HTML_NAME[lang], "kind": kind, "districts": districts,
        "swept": [c.removeprefix(PARAM_PREFIX) for c in swept],
        "interval_holds": analysis.interval_holds(results),
        "sanisim_version": package_version(), "git_commit": git_commit(), "created": now()}
    if decisions is not None:
        manifest["reports"][lang]["decisions"] = manifest_entry(decisions)
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _concat(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Tables of several districts, one table per name (districts in order)."""
    names = list(dict.fromkeys(name for part in parts for name in part))
    return {name: pd.concat([p[name] for p in parts if name in p and not p[name].empty]
                            or [parts[0].get(name, pd.DataFrame())], ignore_index=True)
            for name in names}


def report(results_dir: str | Path, out: str | Path | None = None, lang: str = "en",
           network: bool = True, decisions: DecisionOutputs | None = None,
           workers: int | None = None) -> Path:
    """Read the store at ``results_dir`` and write the report (default: ``results_dir/report``),
    with the "what to fund" section when ``decisions`` are given; the figures are rendered by
    ``workers`` processes (default: :func:`sanisim.report.rendering.default_workers`; 1: here),
    started before the store is read."""
    check_lang(lang)
    with Renderer(workers) as renderer:
        results = load(results_dir)
        return write_report(results, Path(out) if out else Path(results_dir) / "report", lang,
                            network=network, decisions=decisions, renderer=renderer)
