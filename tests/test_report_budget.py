"""The report's tables beyond the page: the budget view (totals and programme years by funder)
and the ``.xlsx`` workbooks of the English and Indonesian table folders."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import serial_batch

from sanisim import analysis
from sanisim.cli import main
from sanisim.ledger import cumulative_costs
from sanisim.report.budget import BUDGET_FUNDERS, programme_year, yearly_costs
from sanisim.report.spreadsheets import (
    NO_TIME,
    SHEET_NAME_MAX,
    indonesian_header,
    sheet_names,
    workbook_time,
    write_workbook,
)
from sanisim.runs.store import load_results

EXPERIMENT = """
[experiment]
name = "budget_test"
seed = 5
replicates = 2
months = 18
households = 300
scenarios = ["blitar"]
bundles = ["baseline", "bcc", "desludging"]
"""


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return serial_batch(tmp_path_factory.mktemp("budget"), EXPERIMENT)


@pytest.fixture(scope="session")
def out(store) -> Path:
    folder = store.parent / "out"
    assert main(["report", str(store), "--out", str(folder), "--no-network"]) == 0
    assert main(["report", str(store), "--out", str(folder), "--lang", "id",
                 "--no-network"]) == 0
    return folder


# --------------------------------------------------------------------------- workbooks


def test_sheet_names_fit_excel():
    long = "cost_per_safely_managed_household"
    names = sheet_names([long, long + "_too", "a[b]:c?", "arms", "ARMS"])
    assert all(len(s) <= SHEET_NAME_MAX for s in names.values())
    assert len({s.lower() for s in names.values()}) == 5
    assert names["arms"] == "arms" and names["a[b]:c?"] == "a_b__c_"


@pytest.mark.parametrize("folder, book, sep, decimal", [
    ("tables", "tables.xlsx", ",", "."), ("tabel", "tabel.xlsx", ";", ",")])
@pytest.mark.slow(seconds=40)
def test_workbook_holds_every_table_of_its_folder(out, folder, book, sep, decimal):
    workbook = openpyxl.load_workbook(out / folder / book, read_only=True)
    csvs = sorted(p.stem for p in (out / folder).glob("*.csv"))
    expected = sheet_names(csvs)
    assert sorted(workbook.sheetnames) == sorted(expected.values())
    assert all(len(name) <= SHEET_NAME_MAX for name in workbook.sheetnames)
    workbook.close()
    for name in ("ladder_end", "cost_per_household"):
        table = pd.read_csv(out / folder / f"{name}.csv", sep=sep, decimal=decimal,
                            encoding="utf-8-sig")
        sheet = pd.read_excel(out / folder / book, sheet_name=expected[name])
        assert list(sheet.columns) == list(table.columns)
        assert len(sheet) == len(table)
        numeric = table.select_dtypes("number").columns
        pd.testing.assert_frame_equal(sheet[numeric], table[numeric], check_dtype=False,
                                      rtol=1e-12)


def _times(path: Path) -> tuple[set, datetime, datetime]:
    """The dates of a workbook's zip parts and its "created" and "modified" properties."""
    with zipfile.ZipFile(path) as book:
        dates = {info.date_time for info in book.infolist()}
    properties = openpyxl.load_workbook(path).properties
    return dates, properties.created, properties.modified


def test_a_workbook_holds_the_time_it_is_given_not_the_time_it_was_saved(tmp_path):
    tables = {"arms": pd.DataFrame({"bundle": ["baseline", "bcc"], "share": [0.25, 0.5]})}
    when = datetime(2024, 6, 1, 8, 30, 16, tzinfo=UTC)  # (zip dates: even seconds)
    first = write_workbook(tables, tmp_path / "a.xlsx", when)
    dates, created, modified = _times(first)
    assert dates == {(2024, 6, 1, 8, 30, 16)}
    assert created == modified == datetime(2024, 6, 1, 8, 30, 16)
    with pd.ExcelWriter(tmp_path / "saved.xlsx", engine="openpyxl") as writer:  # unpinned
        tables["arms"].to_excel(writer, sheet_name="arms", index=False, freeze_panes=(1, 0))
    assert _times(tmp_path / "saved.xlsx")[2].year == datetime.now(UTC).year
    second = write_workbook(tables, tmp_path / "b.xlsx", when)
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(pd.read_excel(first, sheet_name="arms"), tables["arms"])


@pytest.mark.parametrize("created, expected", [
    ("2026-12-01T00:26:35.312891+00:00", datetime(2026, 12, 1, 0, 26, 35, tzinfo=UTC)),
    ("2026-12-01T07:26:35+07:00", datetime(2026, 12, 1, 0, 26, 35, tzinfo=UTC)),
    ("2026-12-01T00:26:35", datetime(2026, 12, 1, 0, 26, 35, tzinfo=UTC)),
    (None, NO_TIME), ("?", NO_TIME), ("1970-01-01T00:00:00+00:00", NO_TIME)])
def test_workbook_time_reads_the_results_time(created, expected):
    assert workbook_time(created) == expected


def test_indonesian_workbook_uses_indonesian_headers(out):
    english = pd.read_excel(out / "tables" / "tables.xlsx", sheet_name="ladder_end")
    indo = pd.read_excel(out / "tabel" / "tabel.xlsx", sheet_name="ladder_end")
    assert list(indo.columns) == [indonesian_header(c) for c in english.columns]
    assert list(indo.columns) != list(english.columns)
    numeric = english.select_dtypes("number").columns
    assert (indo[[indonesian_header(c) for c in numeric]].to_numpy()
            == english[numeric].to_numpy()).all()


# --------------------------------------------------------------------------- budget view


def test_budget_years_add_up_to_each_arms_total_cost(out):
    budget = pd.read_csv(out / "tables" / "budget.csv")
    metrics = pd.read_csv(out / "tables" / "run_metrics.csv")
    assert sorted(budget["year"].unique()) == [1, 2]  # 18 months: months 0-12, 13-18
    spans = budget.groupby("year")[["first_month", "last_month"]].agg(["min", "max"])
    assert spans.loc[1].tolist() == [0, 0, 12, 12] and spans.loc[2].tolist() == [13, 13, 18, 18]
    summed = budget.groupby(["bundle", "funder"])["cost"].sum()
    for funder in ("households", "government", "cooperatives", "donors", "total"):
        total = metrics.groupby("bundle")[f"cost_{funder}"].mean()
        for bundle, value in total.items():
            assert summed[(bundle, funder)] == pytest.approx(value, rel=1e-9, abs=1e-3), \
                (bundle, funder)
    per_year = budget.pivot_table(index=["bundle", "year"], columns="funder", values="cost")
    parts = per_year[["households", "government", "cooperatives", "donors"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(per_year["total"].to_numpy(), abs=1e-3)
    assert (budget["runs"] == 2).all()
    assert budget.loc[budget["funder"] == "total", "cost"].sum() > 0


def _yearly_costs_run_by_run(results) -> pd.DataFrame:
    """The budget table the plain way: each run's cumulative costs by the ledger's rule, its
    cost in each programme year, then the mean over the arm's runs."""
    runs = analysis.finished_runs(results)
    design = analysis.design_keys(results)
    parts = []
    for run_key, run in results.monthly.groupby("run_key", sort=True):
        if run_key not in set(runs["run_key"]):
            continue
        cum = cumulative_costs(run.sort_values("month").reset_index(drop=True))
        cum["year"] = programme_year(cum["month"])
        ends = cum.groupby("year").agg(first_month=("month", "min"),
                                       last_month=("month", "max"),
                                       **{f: (f, "last") for f in BUDGET_FUNDERS})
        funders = list(BUDGET_FUNDERS)
        ends[funders] = ends[funders].diff().fillna(ends[funders])
        parts.append(ends.reset_index().assign(run_key=run_key))
    per_run = pd.concat(parts).merge(runs[["run_key", *design]], on="run_key")
    long = per_run.melt(id_vars=["run_key", *design, "year", "first_month", "last_month"],
                        value_vars=list(BUDGET_FUNDERS), var_name="funder", value_name="cost")
    return long.groupby([*design, "funder", "year"], sort=False).agg(
        first_month=("first_month", "min"), last_month=("last_month", "max"),
        cost=("cost", "mean"), runs=("run_key", "nunique"))


def test_yearly_costs_equal_the_run_by_run_rule(store):
    """All runs at once (one pass over the monthly table) gives the plain per-run figures,
    to the last bit."""
    results = load_results(store)
    design = analysis.design_keys(results)
    budget = yearly_costs(results).set_index([*design, "funder", "year"])
    expected = _yearly_costs_run_by_run(results)
    assert len(budget) == len(expected) == 3 * 5 * 2  # bundles x funders x years
    pd.testing.assert_frame_equal(budget.sort_index(), expected.sort_index(),
                                  check_exact=True, check_dtype=False)
    assert (budget["cost"] != 0).any()


@pytest.mark.parametrize("page, lang, unit, decimal", [
    ("report.html", "en", "billion", "."), ("laporan.html", "id", "miliar", ",")])
def test_budget_section_in_words_figure_and_table(out, page, lang, unit, decimal):
    html = (out / page).read_text(encoding="utf-8")
    section = re.search(r'<section class=budget id="budget-district-blitar">(.*?)</section>',
                        html, re.S)
    assert section, "budget section missing"
    body = section.group(1)
    sentences = re.findall(r"<p class=budget-sentence>(.*?)</p>", body)
    assert len(sentences) == 3  # one per bundle
    metrics = pd.read_csv(out / "tables" / "run_metrics.csv")
    total = metrics.groupby("bundle")["cost_total"].mean() / 1e9
    for sentence in sentences:
        amounts = re.findall(rf"Rp (−?-?[\d.,]+) {unit}", sentence)
        assert len(amounts) >= 1 + 4 + 2  # total, four funders, two years
    expected = sorted(round(v, 3 if abs(v) < 1 else 2) for v in total)
    shown = sorted(float(re.findall(rf"Rp (-?[\d.,]+) {unit}", s)[0].replace(
        "." if decimal == "," else ",", "").replace(",", ".")) for s in sentences)
    assert shown == pytest.approx(expected, abs=1e-9)
    assert 'id=fig-budget>' in body and "data:image/png;base64," in body
    assert (out / f"figures_{lang}" / "budget.png").read_bytes()[:4] == b"\x89PNG"
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 1 + 3 * 5  # header; strategies x (four funders and the total)
