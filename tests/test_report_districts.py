"""District reports: several districts in one batch, sweeps, headline outcomes per district,
names from the scenario files, Indonesian spreadsheets, and the page on a phone."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import serial_batch

from sanisim import analysis, report
from sanisim.cli import main
from sanisim.report import prose
from sanisim.report.sections import Section
from sanisim.report.spreadsheets import indonesian_header
from sanisim.runs import experiment as exp
from sanisim.scenario import SCENARIO_DIR, load

CHROMIUM = Path("/usr/bin/chromium")
MIN_FIGURE_TEXT_PX = 9.0


def built_once(tmp_path_factory, name: str, build) -> Path:
    """``build(folder)`` run once per test session, even with several xdist workers (they
    share the session's temporary folder; a file lock makes the others wait and reuse it)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / f"shared-{name}"
    with (base / f"shared-{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "done").exists():
                folder.mkdir(exist_ok=True)
                build(folder)
                (folder / "done").write_text("")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def _districts(root: Path) -> None:
    store = serial_batch(root, """
        [experiment]
        name = "two_districts"
        seed = 7
        replicates = 2
        months = 12
        households = 300
        scenarios = ["blitar", "takalar"]
        bundles = ["baseline", "desludging", "bcc"]
        """)
    assert main(["report", str(store), "--out", str(root / "out"), "--no-network"]) == 0


@pytest.fixture(scope="session")
def districts(tmp_path_factory) -> Path:
    """Two presets in one batch (both run desludging: safely managed is their headline)."""
    return built_once(tmp_path_factory, "districts", _districts) / "out"


def _sweep(root: Path) -> None:
    store = serial_batch(root, """
        [experiment]
        name = "two_axes"
        seed = 3
        replicates = 2
        months = 12
        households = 200
        scenarios = ["default"]
        bundles = ["baseline", "bcc"]
        [grid]
        "behaviour.q_imitation" = [0.03, 0.06]
        "behaviour.p_innovation" = [0.004, 0.012]
        """)
    handler = _Collect()
    logging.getLogger("sanisim").addHandler(handler)
    try:
        for lang in ("en", "id"):
            assert main(["report", str(store), "--out", str(root / "out"), "--lang", lang,
                         "--no-network"]) == 0
    finally:
        logging.getLogger("sanisim").removeHandler(handler)
    (root / "warnings.txt").write_text("\n".join(r.getMessage() for r in handler.records))


def _funding(root: Path) -> None:
    """The "what to fund" page of a tiny decide and optimise run of Blitar, both languages."""
    (root / "decide.toml").write_text(textwrap.dedent("""
        [decide]
        scenario = "blitar"
        bundles = ["baseline", "lltt", "commitment", "lltt_plus_commitment", "city_package"]
        posterior = 2
        replicates = 1
        months = 24
        households = 200
        ceac_points = 5
        """))
    (root / "optimise.toml").write_text(textwrap.dedent("""
        [optimise]
        scenario = "blitar"
        strategies = ["commitment", "home_visits"]
        objectives = ["basic_or_better", "safely_managed", "public_cost"]
        months = 12
        households = 200
        trials = 4
        population = 2
        [budgets]
        APBD = 300_000_000
        DAK = 300_000_000
        """))
    assert main(["decide", str(root / "decide.toml"), "--out", str(root / "decide"),
                 "--backend", "serial"]) == 0
    assert main(["optimise", str(root / "optimise.toml"), "--out", str(root / "optimise"),
                 "--backend", "serial"]) == 0
    for lang in ("en", "id"):
        assert main(["report", "--decisions", str(root / "decide"), "--optimise",
                     str(root / "optimise"), "--out", str(root / "out"), "--lang", lang]) == 0


@pytest.fixture(scope="session")
def funding(tmp_path_factory) -> Path:
    """The what-to-fund pages (report.html, laporan.html) of decision outputs alone."""
    pytest.importorskip("optuna")
    return built_once(tmp_path_factory, "funding", _funding) / "out"


@pytest.fixture(scope="session")
def sweep(tmp_path_factory) -> tuple[Path, list[str]]:
    """A two-parameter grid, reported in English and Indonesian."""
    root = built_once(tmp_path_factory, "sweep", _sweep)
    return root / "out", (root / "warnings.txt").read_text().splitlines()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def sections(page: str) -> list[str]:
    return re.findall(r'<section class=part id="([^"]+)">', page)


# --------------------------------------------------------------------------- districts


@pytest.mark.slow(seconds=50)
def test_several_districts_get_a_comparison_and_a_section_each(districts):
    page = (districts / "report.html").read_text()
    assert sections(page) == ["comparison", "district-blitar", "district-takalar"]
    for name in ("blitar", "takalar"):
        description = " ".join(load(name).description.split())
        assert description in page  # the district's own words at the top of its section
    comparison = page[page.index('id="comparison"'):page.index('id="district-blitar"')]
    assert "fig-comparison-districts" in comparison and "fig-comparison-frontiers" in comparison
    assert "fig-comparison-cost" not in comparison  # no one cost figure across districts
    for name in ("blitar", "takalar"):
        assert (districts / "figures_en" / name / "cost.png").exists()
    manifest = json.loads((districts / "manifest.json").read_text())
    assert manifest["results"]["experiment"] == "two_districts"
    assert manifest["reports"]["en"]["kind"] == "districts"
    assert manifest["reports"]["en"]["districts"] == ["blitar", "takalar"]


def test_no_frontier_runs_across_districts(districts):
    costs = pd.read_csv(districts / "tables" / "cost_per_safely_managed_household.csv")
    total = costs[costs["funder"] == "total"]
    assert set(total["scenario"]) == {"blitar", "takalar"}
    for _, part in total.groupby("scenario"):
        on = analysis.efficient_frontier(part["households_mean"].to_numpy(),
                                         part["cost_mean"].to_numpy())
        assert list(part["frontier"]) == list(on)  # each district's own frontier


def test_desludging_districts_lead_with_safely_managed_and_its_cost(districts):
    page = (districts / "report.html").read_text()
    for name in ("blitar", "takalar"):
        part = page[page.index(f'id="district-{name}"'):]
        cards = re.findall(r"<section class=finding><h2>(.*?)</h2>", part)[:3]
        assert cards[:2] == [prose.text("q_first_safely"), prose.text("q_cost_safely")]
        assert "per additional safely managed household" in part.split("</div>")[0]


def test_arms_carry_the_names_their_scenario_declares_in_both_languages(districts, sweep):
    page = (districts / "report.html").read_text()
    blitar = load("blitar")
    for bundle in ("baseline", "desludging", "bcc"):
        assert blitar.display_name("bundles", bundle, "en") in page
    assert "Desludging" not in page.replace("desludging (LLTT)", "")  # no bare key
    assert "names_undeclared" not in page and "shown by their key" not in page
    laporan = (sweep[0] / "laporan.html").read_text()
    default = load("default")
    for bundle in ("baseline", "bcc"):
        assert default.display_name("bundles", bundle, "id") in laporan
    assert "SK 95%" not in laporan and "selang kepercayaan 95%" in laporan


def test_indonesian_folder_holds_csv_for_indonesian_spreadsheets(sweep):
    out = sweep[0]
    english = pd.read_csv(out / "tables" / "ladder_end.csv")
    raw = (out / "tabel" / "ladder_end.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    header = raw.decode("utf-8-sig").splitlines()[0]
    assert ";" in header and "," not in header
    assert re.search(r";0,\d+;", raw.decode("utf-8-sig"))  # decimal commas
    indo = pd.read_csv(out / "tabel" / "ladder_end.csv", sep=";", decimal=",",
                       encoding="utf-8-sig")
    assert list(indo.columns) == [indonesian_header(c) for c in english.columns]
    assert "rerata" in indo.columns and "mean" not in indo.columns
    np.testing.assert_allclose(indo["rerata"], english["mean"])
    assert set(indo["isi_selang"]) == {prose.holds("seed noise", "id")}
    arms = pd.read_csv(out / "tabel" / "arms.csv", sep=";", encoding="utf-8-sig")
    assert arms["strategi"].str.startswith(load("default").display_name(
        "bundles", "baseline", "id")).any()  # the arms' Indonesian names
    for path in (out / "tables").glob("*.csv"):  # every table is there, translated
        assert (out / "tabel" / path.name).exists()


# --------------------------------------------------------------------------- month 0, names


def test_no_arm_is_fastest_when_the_target_is_met_at_month_0(tmp_path):
    scenario = tmp_path / "met.toml"
    scenario.write_text(textwrap.dedent(f"""
        extends = "{SCENARIO_DIR / 'default.toml'}"
        name = "met"
        description = "Every household already has a basic toilet."
        [population.start_shares]
        open_defecation = 0.0
        unimproved = 0.0
        limited = 0.0
        basic = 0.95
        safely_managed = 0.05
        [strategies.extra_visits]
        type = "bcc"
        [bundles]
        extra_visits = ["extra_visits"]
        """))
    store = serial_batch(tmp_path, f"""
        [experiment]
        name = "met"
        seed = 1
        replicates = 2
        months = 6
        households = 200
        scenarios = ["{scenario}"]
        bundles = ["baseline", "bcc", "extra_visits"]
        """)
    results = exp.load_results(store)
    tables = report.compute_tables(results)
    (_, first), *_ = report.findings(results, tables, "en")
    assert "ends open defecation first" not in first and "is first" not in first
    assert "already 0% at the start" in first and "already met at the start" in first
    section = Section("district-met", tables.names.title("met"),
                      tables.names.description("met"))
    page = report.render_html(results, [section], "en", tmp_path, "single", [tables])
    assert "Every household already has a basic toilet." in page
    labels = report.labelled(tables, results, "en")
    assert "Extra visits" in set(labels["arm"])  # no declared name: the key as words ...
    assert prose.text("names_undeclared", keys="met: extra_visits") in page  # ... and said


# --------------------------------------------------------------------------- sweeps


def test_a_sweep_shows_outcomes_against_each_parameter_and_ranks_no_point(sweep):
    out, warnings = sweep
    page = (out / "report.html").read_text()
    assert sections(page) == ["sweep-default"]
    assert "fig-sweep" in page and "fig-cost" not in page and "fig-time_to_target" not in page
    assert prose.text("q_first") not in page and "q_imitation=" not in page
    assert prose.text("sweep_pooled", n=2) in page  # says so when axes are pooled
    assert any("pools the runs" in message for message in warnings)
    table = pd.read_csv(out / "tables" / "sweep.csv")
    assert set(table["parameter"]) == {"behaviour.q_imitation", "behaviour.p_innovation"}
    metrics = pd.read_csv(out / "tables" / "run_metrics.csv")
    row = table[(table["parameter"] == "behaviour.q_imitation") & (table["bundle"] == "bcc")
                & (table["value"] == 0.06) & (table["outcome"] == "basic_or_better_end")]
    runs = metrics[(metrics["bundle"] == "bcc")
                   & (metrics["param:behaviour.q_imitation"] == 0.06)]
    assert len(runs) == 4 and int(row["runs"].iloc[0]) == 4  # pooled over p_innovation
    assert row["mean"].iloc[0] == pytest.approx(runs["basic_or_better_end"].mean())


def test_a_latin_hypercube_is_binned(tmp_path):
    store = serial_batch(tmp_path, """
        [experiment]
        name = "lhs"
        seed = 2
        replicates = 1
        months = 6
        households = 150
        scenarios = ["default"]
        bundles = ["baseline"]
        [lhs]
        samples = 18
        [lhs.ranges]
        "behaviour.q_imitation" = [0.02, 0.08]
        """)
    results = exp.load_results(store)
    table = analysis.sweep_table(results)
    part = table[table["outcome"] == "basic_or_better_end"]
    assert set(part["level_kind"]) == {"bin"} and len(part) == analysis.sweeps.LHS_BINS
    assert part["runs"].sum() == 18 and (part["value_low"] <= part["value"]).all()


# --------------------------------------------------------------------------- on a phone

PAGE_CHECK = """() => {
  const doc = document.documentElement;
  const figures = [];
  for (const img of document.querySelectorAll('figure picture img')) {
    const source = img.parentElement.querySelector('source');
    const narrow = source !== null && img.currentSrc === source.srcset;
    const pt = parseFloat(narrow ? img.dataset.narrowTextPt : img.dataset.textPt);
    figures.push({alt: img.alt, narrow: narrow,
                  px: pt / 72 * 150 * img.clientWidth / img.naturalWidth,
                  right: img.getBoundingClientRect().right});
  }
  const tables = [...document.querySelectorAll('.scroll')].map(
      box => box.getBoundingClientRect().right);
  return {scroll: doc.scrollWidth, client: doc.clientWidth, figures, tables};
}"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium for the browser test")
@pytest.mark.parametrize("width", [390, 1366])
def test_pages_fit_the_screen_and_figure_text_stays_readable(districts, sweep, funding,
                                                             width):
    playwright = pytest.importorskip("playwright.sync_api")
    pages = [districts / "report.html", sweep[0] / "report.html", sweep[0] / "laporan.html",
             funding / "report.html", funding / "laporan.html"]
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            view = browser.new_page(viewport={"width": width, "height": 900})
            for path in pages:
                view.goto(path.as_uri())
                found = view.evaluate(PAGE_CHECK)
                assert found["scroll"] <= found["client"], f"{path.name} overflows at {width}"
                assert found["figures"]
                for figure in found["figures"]:
                    assert figure["narrow"] == (width < 640), figure
                    assert figure["px"] >= MIN_FIGURE_TEXT_PX, (path.name, width, figure)
                    assert figure["right"] <= width + 0.5
                assert all(right <= width + 0.5 for right in found["tables"])
        finally:
            browser.close()
