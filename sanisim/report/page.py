"""The report page: read a results store, compute tables, draw figures, render the HTML page
from ``templates/report.html.j2`` (Jinja2, autoescaping on) and write everything to a folder.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from sanisim import analysis, i18n
from sanisim.errors import InputError
from sanisim.i18n import check_lang
from sanisim.report import plots, prose
from sanisim.report.figures import FIGURE_ORDER, INTERVAL_FIGURES, figure_png, make_figures
from sanisim.report.findings import findings
from sanisim.report.tables import BASELINE, Tables, compute_tables, html_tables, labelled
from sanisim.runs.experiment import load_results

if TYPE_CHECKING:
    from sanisim.runs.results import Results

HTML_NAME = {"en": "report.html", "id": "laporan.html"}
#: Manifest fields listed under "Provenance" (values that are not tables or lists).
PROVENANCE_KEYS: tuple[str, ...] = ("experiment", "experiment_hash", "experiment_file", "seed",
                                    "runs", "sanisim_version", "git_commit", "created", "source")
#: Keys of the prose file's ``[text]`` table that the page template uses as ``text.<key>``.
PAGE_TEXT: tuple[str, ...] = ("key_findings", "figures", "tables", "download", "method",
                              "provenance")


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


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _range_text(values, lang: str) -> str:
    """'400' when all runs agree, else '300–400'."""

    if values.nunique() == 1:
        return i18n.number(values.iloc[0], lang)
    return f"{i18n.number(values.min(), lang)}–{i18n.number(values.max(), lang)}"


def _count_text(counts) -> str:
    return str(counts.iloc[0]) if counts.nunique() == 1 else f"{counts.min()}–{counts.max()}"


def render_html(results: Results, tables: Tables, images: dict[str, bytes], lang: str = "en",
                baseline: str = BASELINE) -> str:
    """The report page as one string: inline CSS, figures (PNG bytes by figure name) embedded
    as base64, no script."""
    check_lang(lang)
    labels = labelled(tables, results, lang)
    design = analysis.design_keys(results)
    runs = analysis.finished_runs(results)
    horizon = tables.horizon
    reps_text = _count_text(runs.groupby(design, dropna=False).size())
    seeds_text = _count_text(runs.groupby(design, dropna=False)["replicate"].nunique())
    draws = prose.draws_held(tables.interval_holds)
    subtitle = prose.text("subtitle_draws" if draws else "subtitle", lang, runs=len(runs),
                          arms=len(labels), reps=seeds_text if draws else reps_text,
                          draws=draws, households=_range_text(runs["households"].astype(float),
                                                              lang),
                          months=horizon, years=prose.years(horizon, lang))
    figures = []
    for key in FIGURE_ORDER:
        if key not in images:
            continue
        title, caption = prose.figure(key, lang)
        if key in INTERVAL_FIGURES:
            caption += " " + prose.interval_note(tables.interval_holds, lang) + "."
        figures.append({"key": key, "title": title, "caption": caption,
                        "src": _data_url(images[key])})
    manifest = results.manifest
    experiment = manifest.get("experiment")
    return environment().get_template("report.html.j2").render(
        lang=lang,
        title=prose.text("report_title", lang),
        experiment=str(experiment) if experiment else "",
        subtitle=subtitle,
        uncertainty=prose.uncertainty_sentence(tables.interval_holds, seeds_text, reps_text,
                                               lang),
        text={key: prose.text(key, lang) for key in PAGE_TEXT},
        findings=findings(results, tables, lang, baseline),
        figures=figures,
        tables=html_tables(tables, labels, design, lang),
        provenance=[(key, str(manifest[key])) for key in PROVENANCE_KEYS
                    if key in manifest and not isinstance(manifest[key], dict | list)],
    )


def write_report(results: Results, out: str | Path, lang: str = "en",
                 baseline: str = BASELINE, network: bool = True) -> Path:
    """Write the HTML report, its figures and tables into ``out``; return the HTML path."""
    check_lang(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = compute_tables(results, baseline)
    table_dir = out / "tables"
    table_dir.mkdir(exist_ok=True)
    for name, frame in tables.csv_tables().items():
        frame.to_csv(table_dir / f"{name}.csv", index=False)
    figures = make_figures(results, tables, lang, network, baseline)

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
    check_lang(lang)
    results = load(results_dir)
    return write_report(results, Path(out) if out else Path(results_dir) / "report", lang,
                        network=network)
