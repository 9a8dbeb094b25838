"""The report's "what to fund" section: from a small real `sanisim decide` (and `sanisim
optimise`) run, in both languages, with the numbers of their CSV files; no section without
them; one line and exit 2 for a folder that is not such an output."""

from __future__ import annotations

import json
import math
import re
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import cli_failure, figures_not_drawn

from sanisim import i18n
from sanisim.cli import main
from sanisim.report import prose
from sanisim.report.decision_outputs import read_outputs
from sanisim.report.funding import funding_section, pareto_order
from sanisim.report.page import render_html
from sanisim.report.sections import Images
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.scenario import load as load_scenario
from tests.test_optimise import TINY

DECIDE = """
[decide]
name = "tiny_blitar"
scenario = "blitar"
bundles = ["baseline", "lltt", "city_package"]
posterior = 2
replicates = 2
seed = 3
months = 24
households = 300
willingness_to_pay = 40_000_000
ceac_points = 9
"""
OPTIMISE = TINY.replace('name = "tiny"', 'name = "tiny_blitar"')  # the optimiser's own tiny run
BATCH = """
[experiment]
name = "tiny_blitar_batch"
seed = 5
replicates = 1
months = 6
households = 150
scenarios = ["blitar"]
bundles = ["baseline", "lltt"]
"""


@pytest.fixture(scope="session")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """A tiny decide run and a tiny optimise run of Blitar, and their pages in both languages
    (decision outputs alone)."""
    root = tmp_path_factory.mktemp("funding")
    (root / "decide.toml").write_text(DECIDE)
    (root / "optimise.toml").write_text(OPTIMISE)
    decide, search, page = root / "decide", root / "optimise", root / "page"
    assert main(["decide", str(root / "decide.toml"), "--out", str(decide),
                 "--backend", "serial"]) == 0
    pytest.importorskip("optuna")
    assert main(["optimise", str(root / "optimise.toml"), "--out", str(search),
                 "--backend", "serial"]) == 0
    for lang in i18n.LANGUAGES:
        assert main(["report", "--decisions", str(decide), "--optimise", str(search),
                     "--out", str(page), "--lang", lang]) == 0
    return {"root": root, "decide": decide, "optimise": search, "page": page}


_SECTIONS: dict[tuple[Path, str], object] = {}


def _section(outputs: dict[str, Path], lang: str, fresh: bool = False):
    """The section of the fixture's outputs (drawn once per language unless ``fresh``)."""
    key = (outputs["root"], lang)
    if fresh or key not in _SECTIONS:
        found = read_outputs(outputs["decide"], outputs["optimise"])
        _SECTIONS[key] = funding_section(found, Images(outputs["root"] / f"figures-{lang}"),
                                         lang)
    return _SECTIONS[key]


def _share(text: str) -> float:
    """'38%' or '37,5%' as a share."""
    return float(text.rstrip("%").replace(",", ".")) / 100


def _part(section, anchor: str):
    return next(p for p in section.parts if p.anchor == anchor)


def _page(outputs, lang: str) -> str:
    return (outputs["page"] / {"en": "report.html", "id": "laporan.html"}[lang]).read_text()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_section_shows_p_a_beats_b_as_the_csv_holds_it(outputs, lang):
    table = pd.read_csv(outputs["decide"] / "p_beats.csv")
    section = _section(outputs, lang)
    sure = _part(section, "fund-sure").tables[0]
    found = read_outputs(outputs["decide"])
    label = {b: _label(b, lang) for b in found.decide.bundles}
    rows = {(r[0].text, r[1].text): r for r in sure.rows}
    bundles = found.decide.bundles
    assert len(rows) == len(bundles) * (len(bundles) - 1) // 2  # each pair once
    for j, a in enumerate(bundles):
        for b in bundles[:j]:
            row = rows[(label[a], label[b])]
            for k, outcome in enumerate(("basic_or_better", "public_cost")):
                p = table[(table["outcome"] == outcome) & (table["a"] == a)
                          & (table["b"] == b)]["p_a_beats_b"].iloc[0]
                assert abs(_share(row[2 + k].text) - p) <= 0.005 + 1e-9, (a, b, outcome)  # whole %
                assert row[2 + k].text in _page(outputs, lang)
    pairs = int(table["pairs"].iloc[0])
    assert pairs == 2 * 2  # draws x seeds
    assert prose.fund("sure_table", lang, pairs=pairs, holds="")[:30] in _page(outputs, lang)


def _label(bundle: str, lang: str) -> str:
    return load_scenario("blitar").display_name("bundles", bundle, lang)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_options_are_ranked_by_their_chance_of_being_the_best_buy(outputs, lang):
    ceac = pd.read_csv(outputs["decide"] / "ceac.csv")
    top = ceac[ceac["willingness_to_pay"] == ceac["willingness_to_pay"].max()]
    chance = dict(zip(top["bundle"], top["probability"], strict=True))
    ranking = _part(_section(outputs, lang), "fund-ranking").tables[0]
    shown = [(row[1].text, _share(row[2].text)) for row in ranking.rows]
    assert [p for _, p in shown] == sorted((p for _, p in shown), reverse=True)
    by_label = {_label(b, lang): p for b, p in chance.items()}
    for name, p in shown:
        assert abs(p - by_label[name]) <= 0.005
    effect = pd.read_csv(outputs["decide"] / "cost_effectiveness.csv")
    for _, row in effect.iterrows():  # extra households as the CSV has them
        cells = next(r for r in ranking.rows if r[1].text == _label(row["bundle"], lang))
        assert cells[3].text == i18n.number(row["extra_households"], lang, 0)
        assert "-" not in cells[6].text and "−" not in cells[6].text  # no negative ratio


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_targets_by_year_and_costs_per_budget_equal_the_csv(outputs, lang):
    section = _section(outputs, lang)
    targets = pd.read_csv(outputs["decide"] / "targets_by_year.csv")
    tables = _part(section, "fund-targets").tables
    names = list(dict.fromkeys(targets["target"]))
    assert len(tables) == len(names) == 3  # the 100-0-100 targets
    for name, view in zip(names, tables, strict=True):
        assert name in view.caption
        for row in view.rows:
            bundle = next(b for b in ("baseline", "lltt", "city_package")
                          if _label(b, lang) == row[0].text)
            for year, cell in enumerate(row[1:], 1):
                p = targets[(targets["target"] == name) & (targets["bundle"] == bundle)
                            & (targets["year"] == year)]["probability"].iloc[0]
                assert abs(_share(cell.text) - p) <= 0.005
    costs = pd.read_csv(outputs["decide"] / "costs_by_year.csv")
    view = _part(section, "fund-costs").tables[0]
    bundle = None
    for row in view.rows:
        if row[0].text:
            bundle = next(b for b in ("baseline", "lltt", "city_package")
                          if _label(b, lang) == row[0].text)
        mine = costs[costs["bundle"] == bundle]
        budget = {**{v: k for k, v in prose.prose(lang)["fund"]["budget"].items()},
                  prose.fund("public_money", lang): "public"}[row[1].text]
        total = float(row[-2].text.replace(".", "").replace(",", ".")) if lang == "id" \
            else float(row[-2].text.replace(",", ""))
        assert total == pytest.approx(mine[budget].sum() / 1e9, abs=0.0006)
    public = costs[costs["bundle"] == "city_package"]["public"].sum()
    assert prose.text("budget_amount", lang, amount=i18n.number(public / 1e9, lang, 3)) \
        in " ".join(_part(section, "fund-costs").sentences)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_pareto_set_is_listed_with_its_runnable_bundle_files(outputs, lang):
    pareto = pd.read_csv(outputs["optimise"] / "pareto.csv")
    view = _part(_section(outputs, lang), "fund-choices").tables[0]
    assert [r[0].text for r in view.rows] == list(
        pareto.sort_values("public_cost", kind="stable")["bundle"])
    for row in view.rows:
        file = Path(row[-1].text)
        assert file.is_file() and file.name == f"{row[0].text}.toml"
        assert f"[bundles]\n{row[0].text} = [" in file.read_text()
        mix = pareto[pareto["bundle"] == row[0].text].iloc[0]
        assert row[2].text == i18n.number(mix["basic_or_better"], lang, 0)
    page = _page(outputs, lang)
    assert prose.fund("choices_title", lang) in page
    assert "pareto_" in page


def test_both_pages_hold_the_four_parts_the_figures_and_what_the_numbers_hold(outputs):
    for lang in i18n.LANGUAGES:
        page = _page(outputs, lang)
        for key in ("title", "choices_title", "sure_title", "targets_title", "costs_title"):
            assert prose.fund(key, lang) in page, (lang, key)
        assert page.count("<figure id=fig-fund_") == 2  # acceptability curve, costs
        assert prose.holds("seed noise and parameter uncertainty (2 posterior draws)",
                           lang) in page
        assert "<script" not in page
        figures = outputs["page"] / f"figures_{lang}" / "what_to_fund"
        assert {p.name for p in figures.glob("*.png")} == {
            "ceac.png", "ceac.narrow.png", "costs.png", "costs.narrow.png"}
    assert "Apa yang perlu didanai" in _page(outputs, "id")
    manifest = json.loads((outputs["page"] / "manifest.json").read_text())
    for lang in i18n.LANGUAGES:
        entry = manifest["reports"][lang]["decisions"]
        assert entry["decide"]["folder"] == str(outputs["decide"])
        assert entry["optimise"]["folder"] == str(outputs["optimise"])
        assert entry["decide"]["interval_holds"].endswith("(2 posterior draws)")


@pytest.mark.slow(seconds=15)
def test_a_batch_report_has_the_section_only_when_given_decision_outputs(outputs):
    root = outputs["root"]
    (root / "batch.toml").write_text(textwrap.dedent(BATCH))
    run_batch(exp.load(root / "batch.toml"), root / "store", executor=SerialExecutor(),
              progress="none")
    results = exp.load_results(root / "store")
    plain = render_html(results, [], "en", root, "single", funding=None)  # the page's frame
    assert 'id=what-to-fund' not in plain and prose.fund("title", "en") not in plain
    found = read_outputs(outputs["decide"])
    with figures_not_drawn():  # where the section goes; its figures are the fixture's
        funding = funding_section(found, Images(root / "frame"), "en")
        framed = render_html(results, [], "en", root, "single", funding=funding)
        assert 'id=what-to-fund' in framed and 'href="#what-to-fund"' in framed
        assert main(["report", str(root / "store"), "--out", str(root / "with"),
                     "--no-network", "--decisions", str(outputs["decide"])]) == 0
    page = (root / "with" / "report.html").read_text()
    assert 'id=what-to-fund' in page and prose.fund("sure_title", "en") in page
    assert prose.fund("choices_title", "en") not in page  # no optimise folder given
    assert page.index('id="district-blitar"') < page.index("id=what-to-fund")
    reports = json.loads((root / "with" / "manifest.json").read_text())["reports"]
    assert reports["en"]["decisions"]["decide"]["folder"] == str(outputs["decide"])


def test_an_optimise_folder_alone_gives_the_robust_choices(outputs, tmp_path):
    assert main(["report", "--optimise", str(outputs["optimise"]),
                 "--out", str(tmp_path / "p")]) == 0
    page = (tmp_path / "p" / "report.html").read_text()
    assert prose.fund("choices_title", "en") in page
    assert prose.fund("sure_title", "en") not in page


def test_an_empty_pareto_set_is_said_in_words(outputs, tmp_path):
    search = _copy(outputs, tmp_path, "optimise")
    pareto = pd.read_csv(search / "pareto.csv")
    pareto.iloc[:0].to_csv(search / "pareto.csv", index=False)  # no mix within the budgets
    for lang in i18n.LANGUAGES:
        part = _part(funding_section(read_outputs(None, search), Images(tmp_path / "f"), lang),
                     "fund-choices")
        assert part.tables == []
        assert part.sentences[-1] == prose.fund("choices_none", lang, mixes=4,
                                                share=i18n.percent(0.9, lang, 0))


# --------------------------------------------------------------------------- bad input


def _copy(outputs, tmp_path: Path, name: str = "decide", to: str | None = None) -> Path:
    folder = tmp_path / (to or name)
    shutil.copytree(outputs[name], folder)
    return folder


def test_bad_decision_folders_get_one_line_and_exit_2(outputs, tmp_path, capsys):
    missing = tmp_path / "nowhere"
    cli_failure(capsys, ["report", "--decisions", missing], str(missing), "no such folder",
                "sanisim decide")
    file = tmp_path / "file.txt"
    file.write_text("x")
    cli_failure(capsys, ["report", "--decisions", file], str(file), "is a file")
    empty = tmp_path / "empty"
    empty.mkdir()
    cli_failure(capsys, ["report", "--decisions", empty], str(empty), "manifest.json",
                "sanisim decide")
    cli_failure(capsys, ["report", "--decisions", outputs["optimise"]], "kind",
                "'sanisim optimise'", "sanisim decisions")
    lacking = _copy(outputs, tmp_path)
    (lacking / "p_beats.csv").unlink()
    cli_failure(capsys, ["report", "--decisions", lacking], str(lacking / "p_beats.csv"),
                "missing")
    column = _copy(outputs, tmp_path, "decide", "column")
    pd.read_csv(column / "ceac.csv").drop(columns="probability").to_csv(
        column / "ceac.csv", index=False)
    cli_failure(capsys, ["report", "--decisions", column], str(column / "ceac.csv"),
                "probability")
    search = _copy(outputs, tmp_path, "optimise")
    next((search / "pareto").glob("*.toml")).unlink()
    cli_failure(capsys, ["report", "--optimise", search], "pareto", "missing",
                "runnable bundle file")
    assert not (tmp_path / "nowhere" / "report").exists()


def test_decision_folders_in_the_wrong_place_get_one_line_and_exit_2(outputs, tmp_path,
                                                                     capsys):
    cli_failure(capsys, ["report"], "RESULTS_DIR", "--decisions")
    cli_failure(capsys, ["report", outputs["decide"]], str(outputs["decide"]),
                "--decisions DIR")
    other = _copy(outputs, tmp_path, "optimise")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["scenario"] = "kulon_progo"
    (other / "manifest.json").write_text(json.dumps(manifest))
    cli_failure(capsys, ["report", "--decisions", outputs["decide"], "--optimise", other],
                str(other), "kulon_progo", "blitar", "one district")


def test_the_section_is_the_same_for_the_same_outputs(outputs, tmp_path):
    again = tmp_path / "again"
    assert main(["report", "--decisions", str(outputs["decide"]), "--optimise",
                 str(outputs["optimise"]), "--out", str(again)]) == 0
    strip = re.compile(r"(created|on) [0-9T:+-]+")
    first = _section(outputs, "en")
    assert [p.sentences for p in first.parts] == [p.sentences for p in
                                                  _section(outputs, "en", fresh=True).parts]
    assert strip.sub("", (again / "report.html").read_text()) == strip.sub(
        "", _page(outputs, "en"))
    assert not math.isnan(float(pareto_order(read_outputs(None, outputs["optimise"])
                                             .optimise)["public_cost"].iloc[0]))
