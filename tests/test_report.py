"""The policy report: numbers equal the store's, every figure is made, the HTML stands alone."""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line, figures_not_drawn, serial_batch
from scipy import stats

from sanisim import i18n, report
from sanisim.cli import main
from sanisim.ladder import RUNG_COLUMNS
from sanisim.report import names as report_names
from sanisim.report import prose
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.scenario import load as load_scenario

BUNDLES = ["baseline", "bcc", "bcc_plus_credit", "top_down_subsidy"]
EXPERIMENT = f"""
[experiment]
name = "report_test"
seed = 31
replicates = 3
months = 24
households = 400
scenarios = ["default"]
bundles = {BUNDLES!r}
"""
FIGURES = {"ladder", "compare", "paired", "time_to_target", "cost", "equity", "network",
           "budget"}


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return serial_batch(tmp_path_factory.mktemp("report"), EXPERIMENT, "small.toml")


@pytest.fixture(scope="session")
def english(store) -> Path:
    assert main(["report", str(store), "--out", str(store.parent / "out")]) == 0
    return store.parent / "out"


@pytest.fixture(scope="session")
def indonesian(store, english) -> Path:
    with figures_not_drawn():  # its tests read its words; the English figures are tested
        assert main(["report", str(store), "--out", str(english), "--lang", "id",
                     "--no-network"]) == 0
    return english


@pytest.fixture(scope="session")
def raw(store):
    """The store's own tables, joined by hand (independent of sanisim.analysis)."""
    results = exp.load_results(store)
    runs = results.runs[results.runs["status"] == "done"]
    monthly = results.monthly.merge(runs[["run_key", "bundle", "replicate", "households"]],
                                    on="run_key")
    end = monthly[monthly["month"] == monthly["month"].max()]
    return results, monthly, end


def csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv")


def t_half(values: pd.Series) -> float:
    return stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))


# --------------------------------------------------------------------------- numbers


def test_ladder_table_equals_group_means_of_the_store(english, raw):
    _, _, end = raw
    table = csv(english, "ladder_end")
    for (bundle, measure), row in table.set_index(["bundle", "measure"]).iterrows():
        values = end.loc[end["bundle"] == bundle, measure]
        assert row["n"] == len(values) == 3
        assert row["mean"] == pytest.approx(values.mean(), abs=1e-12)
        assert row["low"] == pytest.approx(values.mean() - t_half(values), abs=1e-12)
        assert row["median"] == pytest.approx(values.median(), abs=1e-12)
    assert set(table["measure"]) == {*RUNG_COLUMNS, "basic_or_better"}


def test_paired_table_equals_replicate_differences(english, raw):
    _, _, end = raw
    table = csv(english, "paired_end")
    wide = end.pivot(index="replicate", columns="bundle", values="open_defecation")
    for bundle in BUNDLES[1:]:
        diff = wide[bundle] - wide["baseline"]
        row = table[(table["bundle"] == bundle) & (table["measure"] == "open_defecation")]
        assert row["mean"].item() == pytest.approx(diff.mean(), abs=1e-12)
        assert row["high"].item() == pytest.approx(diff.mean() + t_half(diff), abs=1e-12)


def test_cost_table_equals_costs_recomputed_from_monthly_spending(english, raw):
    _, monthly, end = raw
    sums = monthly.groupby(["bundle", "replicate"]).sum(numeric_only=True)
    last = end.set_index(["bundle", "replicate"])
    cost = {f: sums[f"spending_{f}"] for f in ("households", "government", "donors")}
    cost["cooperatives"] = (sums["spending_cooperatives"] - sums["loan_repayments"]
                            - last["funds_injected"])
    cost["total"] = sum(cost.values())
    households = (last["basic_or_better"] * last["households"]).round()
    table = csv(english, "cost_per_household")
    for bundle in BUNDLES[1:]:
        gained = (households[bundle] - households["baseline"]).mean()
        for funder, spent in cost.items():
            extra = (spent[bundle] - spent["baseline"]).mean()
            row = table[(table["bundle"] == bundle) & (table["funder"] == funder)]
            assert row["households_mean"].item() == pytest.approx(gained)
            assert row["cost_mean"].item() == pytest.approx(extra, rel=1e-9, abs=1e-3)
            total = (cost["total"][bundle] - cost["total"]["baseline"]).mean()
            if gained > 0 and total >= 0:  # else no ratio (cost-saving): never a negative one
                assert row["cost_per_household"].item() == pytest.approx(extra / gained,
                                                                         rel=1e-9, abs=1e-3)
            else:
                assert np.isnan(row["cost_per_household"].item())


def test_target_equity_odf_and_loan_tables_equal_the_store(english, raw):
    _, monthly, end = raw
    ttt = csv(english, "time_to_target")
    for bundle in BUNDLES:
        runs = monthly[monthly["bundle"] == bundle]
        hit = runs[runs["open_defecation"] <= 0].groupby("replicate")["month"].min()
        row = ttt[(ttt["bundle"] == bundle) & (ttt["target"] == "zero_open_defecation")]
        assert row["reached"].item() == len(hit)
        if len(hit) == 3:
            assert row["median"].item() == hit.median()
        hit90 = runs[runs["basic_or_better"] >= 0.9].groupby("replicate")["month"].min()
        row = ttt[(ttt["bundle"] == bundle) & (ttt["target"] == "basic_90")]
        assert row["reached"].item() == len(hit90)
    equity = csv(english, "equity").set_index(["bundle", "group"])
    for bundle in BUNDLES:
        mine = end[end["bundle"] == bundle]
        assert equity.loc[(bundle, "q1"), "end"] == pytest.approx(
            mine["basic_or_better_q1"].mean())
        assert equity.loc[(bundle, "female"), "end"] == pytest.approx(
            mine["basic_or_better_female"].mean())
    odf = csv(english, "odf")
    level = odf[odf["kind"] == "level"].set_index(["bundle", "measure"])["mean"]
    loans = csv(english, "loan_fund")
    issued = loans[loans["kind"] == "level"].set_index(["bundle", "measure"])["mean"]
    for bundle in BUNDLES:
        mine = end[end["bundle"] == bundle]
        assert level[(bundle, "odf_communities_end")] == pytest.approx(
            mine["odf_communities"].mean())
        total = monthly[monthly["bundle"] == bundle].groupby("replicate")["loans_issued"].sum()
        assert issued[(bundle, "loans_issued")] == pytest.approx(total.mean())


def test_html_tables_show_the_csv_numbers(english):
    page = (english / "report.html").read_text()
    ladder = csv(english, "ladder_end")
    for bundle in BUNDLES:
        value = ladder[(ladder["bundle"] == bundle) & (ladder["measure"] == "basic_or_better")]
        assert i18n.percent(value["mean"].item()) in page


# --------------------------------------------------------------------------- files


def test_every_figure_is_written_as_png_and_svg_and_embedded(english):
    folder = english / "figures_en"
    for name in FIGURES:
        png, svg = folder / f"{name}.png", folder / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 10_000 and b"<svg" in svg.read_bytes()[:2000], name
    page = (english / "report.html").read_text()
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == len(FIGURES)
    names = {p.stem for p in (english / "tables").glob("*.csv")}
    assert {"ladder_end", "paired_end", "time_to_target", "cost_per_household", "equity",
            "odf", "loan_fund", "run_metrics"} <= names


def test_html_needs_no_external_resource(english, indonesian):
    for name in ("report.html", "laporan.html"):
        page = (english / name).read_text()
        assert "<script" not in page.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
        assert not re.search(r"""<link\b""", page, re.I)
        assert not re.search(r"""url\(\s*["']?(https?:)?//|@import|@font-face""", page, re.I)
        srcs = re.findall(r"""\bsrc\s*=\s*["']([^"']*)""", page)
        assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_first_screen_answers_the_three_questions(english):
    page = (english / "report.html").read_text()
    head = page[:page.index("<h2 class=section>")]  # before the figures
    cards = re.findall(r"<section class=finding><h2>(.*?)</h2><p>(.*?)</p></section>", head)
    assert [q for q, _ in cards] == [prose.text(k) for k in ("q_first", "q_cost", "q_equity")]
    first, cost, equity = (p for _, p in cards)
    assert "month" in first and re.search(r"\d", first)
    assert "Rp" in cost and ("per additional household" in cost or "no cost" in cost)
    assert "poorest fifth" in equity and "woman" in equity


def test_indonesian_report_uses_indonesian_names(indonesian):
    page = (indonesian / "laporan.html").read_text()
    assert '<html lang="id">' in page
    assert prose.text("q_first", "id") in page and "BABS" in page and "akses layak" in page.lower()
    assert "KPP" in page and "termiskin" in page and "juta" in page
    assert "Which strategy" not in page
    assert (indonesian / "figures_id" / "ladder.png").exists()
    assert not (indonesian / "figures_id" / "network.png").exists()  # --no-network


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("make, expected", [
    (lambda tmp: tmp / "missing", "no such results folder"),
    (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt", "is a file"),
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "not a sanisim results store"),
])
def test_bad_results_folder_is_one_line_and_exit_2(tmp_path, capsys, make, expected):
    path = make(tmp_path)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert_one_line(err, str(path), expected)


def test_bad_language_is_refused(store, capsys):
    assert main(["report", str(store), "--lang", "fr"]) == 2
    assert_one_line(capsys.readouterr().err, "--lang", "en", "id")
    with pytest.raises(Exception, match="unknown language"):
        report.write_report(exp.load_results(store), store.parent / "x", lang="fr")


# --------------------------------------------------------------------------- what intervals hold

FIXTURE_POSTERIOR = Path(__file__).resolve().parent / "data" / \
    "fixture_posterior_not_calibrated.csv"  # a hand-written test fixture, not a calibration


@pytest.fixture(scope="session")
def posterior_pages(tmp_path_factory) -> Path:
    """English and Indonesian reports of a small batch with 2 posterior draws x 2 seeds."""
    root = tmp_path_factory.mktemp("report_posterior")
    (root / "post.csv").write_text(FIXTURE_POSTERIOR.read_text())
    path = root / "draws.toml"
    path.write_text(textwrap.dedent(EXPERIMENT).replace('"report_test"', '"report_draws"')
                    .replace("replicates = 3", "replicates = 2")
                    .replace("months = 24", "months = 12")
                    .replace(f"bundles = {BUNDLES!r}", 'bundles = ["baseline", "bcc"]')
                    + 'posterior = 2\nposterior_file = "post.csv"\n')
    run_batch(exp.load(path), root / "store", executor=SerialExecutor(), progress="none")
    results = exp.load_results(root / "store")
    with figures_not_drawn():  # its test reads the words on the pages
        for lang in ("en", "id"):
            report.write_report(results, root / "out", lang=lang, network=False)
    return root / "out"


def _captions(page: str) -> dict[str, str]:
    return dict(re.findall(r"<figure id=fig-(\w+)><figcaption>(.*?)</figcaption>", page))


def test_a_batch_without_draws_says_its_intervals_hold_seed_noise_only(english, indonesian):
    for name, lang, sentence in (
            ("report.html", "en", "Bands and ranges show the spread over 3 random seeds only "
                                  "(chance); they do not include uncertainty about how "
                                  "households behave."),
            ("laporan.html", "id", "Pita dan rentang hanya menunjukkan variasi karena "
                                   "kebetulan, dari 3 simulasi dengan angka acak yang berbeda")):
        page = (english / name).read_text()
        assert sentence in page
        assert page.index(sentence) < page.index("<section class=finding>")  # near the top
        note = prose.interval_note("seed noise", lang)
        assert note in page and prose.holds("seed noise", lang) in page
        captions = _captions(page)
        assert all(note in captions[k] for k in report.INTERVAL_FIGURES if k in captions)
        assert sum(note in c for c in re.findall(r"<figcaption>(Tab.*?)</figcaption>",
                                                 page)) == 4  # tables 1-4 (5 has no interval)
        assert prose.prose(lang)["holds"]["posterior"].split("(")[0] not in page


def test_a_batch_with_draws_says_its_intervals_hold_parameter_uncertainty(posterior_pages):
    holds = "seed noise and parameter uncertainty (2 posterior draws)"
    for name, lang, sentence in (
            ("report.html", "en", "Bands and ranges show the spread over 4 model runs per "
                                  "strategy that differ in random seed (2 seeds) and in "
                                  "behaviour parameters drawn from the calibration posterior "
                                  "(2 draws)"),
            ("laporan.html", "id", "Pita dan rentang menunjukkan variasi dari 4 simulasi per "
                                   "strategi yang berbeda angka acaknya (2 angka acak) dan "
                                   "berbeda parameter perilaku rumah tangganya (2 set "
                                   "parameter hasil kalibrasi)")):
        page = (posterior_pages / name).read_text()
        assert sentence in page
        assert page.index(sentence) < page.index("<section class=finding>")
        note = prose.interval_note(holds, lang)
        captions = _captions(page)
        assert all(note in captions[k] for k in report.INTERVAL_FIGURES)
        assert sum(note in c for c in re.findall(r"<figcaption>(Tab.*?)</figcaption>",
                                                 page)) == 4
        assert prose.holds("seed noise", lang) not in page
        assert "random seeds only" not in page and "karena kebetulan, dari" not in page
    tables = pd.read_csv(posterior_pages / "tables" / "ladder_end.csv")
    assert set(tables["interval_holds"]) == {holds} and set(tables["n"]) == {4}


# --------------------------------------------------------------------------- escaping and prose

HOSTILE = '<script>alert("x")</script> & <b>Co</b>'


@pytest.mark.slow(seconds=40)
def test_names_with_markup_come_out_escaped(store, tmp_path, monkeypatch):
    """A strategy or experiment name is text, never HTML: every value on the page is escaped."""
    default = load_scenario("default")
    names = {kind: dict(table) for kind, table in default.names.items()}
    names["bundles"]["bcc"] = {"en": f"BCC {HOSTILE}", "id": f"KPP {HOSTILE}"}
    hostile = dataclasses.replace(default, names=names)
    monkeypatch.setattr(report_names, "scenario_of", lambda results, name: hostile)
    results = exp.load_results(store)
    monkeypatch.setitem(results.manifest, "experiment", f"run {HOSTILE}")
    for lang in ("en", "id"):
        with figures_not_drawn():  # the names in the figures are drawn text, not HTML
            page = report.write_report(results, tmp_path, lang=lang, network=False).read_text()
        assert "<script" not in page.lower() and "<b>Co</b>" not in page
        escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;"
        assert page.count(escaped) >= 1 + 5 + 1  # title, subtitle, provenance; tables; finding
        assert f"<title>{prose.text('report_title', lang)} – run {escaped}</title>" in page
        cells = re.findall(r"<td>([^<]*(?:<span class=ci>[^<]*</span>)?)</td>", page)
        # one row in each of the five tables and in the budget table
        assert sum(escaped in c for c in cells) == 6
        assert not re.search(r"&(?!(amp|lt|gt|#34|#39|#\d+);)", page.split("<style>")[0]
                             + page.split("</style>")[1])  # no bare ampersand


def test_finding_sentences_escape_their_values_and_keep_their_markup():
    text = prose.sentence("target90_first", "en", name=HOSTILE, median="12")
    assert str(text).startswith("For 90% basic or better, &lt;script&gt;")
    bold = prose.sentence("cost_no_gain", "id", name="A & B", horizon=60)
    assert str(bold).startswith("<b>A &amp; B</b> rata-rata")


def test_every_prose_key_and_field_exists_in_both_languages():
    fields = {}
    for lang in i18n.LANGUAGES:
        table = prose.prose(lang)
        flat = {}
        for key in prose.keys(lang):
            value = table
            for part in key.split("."):
                value = value[part]
            assert isinstance(value, str) and value.strip(), (lang, key)
            flat[key] = set(re.findall(r"\{(\w+)", value))
        fields[lang] = flat
    en, *others = fields.values()
    assert len(en) > 100
    for other in others:
        assert other.keys() == en.keys()
        assert {k: v for k, v in other.items() if v != en[k]} == {}  # same {fields}
    names = {lang: {(section, key) for section, table in i18n.NAMES[lang].items()
                    for key in (table if isinstance(table, dict) else [None])}
             for lang in i18n.LANGUAGES}  # sanisim/data/names.<lang>.toml
    assert all(keys == names["en"] for keys in names.values())
    assert all(len(i18n.NAMES[lang]["rungs"]) == len(RUNG_COLUMNS) for lang in i18n.LANGUAGES)
    templates = Path(report.__file__).parent / "templates"
    assert {p.name for p in templates.glob("method.*.html.j2")} == {
        f"method.{lang}.html.j2" for lang in i18n.LANGUAGES}


def test_old_import_paths_still_work_with_a_deprecation_warning(monkeypatch):
    import importlib
    import sys

    monkeypatch.delitem(sys.modules, "sanisim.plots", raising=False)
    with pytest.warns(DeprecationWarning, match="sanisim.report.plots"):
        old = importlib.import_module("sanisim.plots")
    from sanisim.report import plots

    assert old.RUNG_COLOURS is plots.RUNG_COLOURS and old.compare_figure is plots.compare_figure
    with pytest.warns(DeprecationWarning, match="sanisim.report.prose"):
        assert i18n.t("q_first", "id") == prose.text("q_first", "id")
    with pytest.warns(DeprecationWarning):
        assert i18n.FIGURES["cost"]["en"] == prose.figure("cost", "en")
