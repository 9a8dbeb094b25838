"""The results store: layout, atomic landing, refusals, and the Results contract."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line

import sanisim
from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.model import OUTPUT_COLUMNS
from sanisim.runs import experiment as exp
from sanisim.runs.batch import execute, run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.runs.results import RUN_COLUMNS, Results
from sanisim.runs.run import run as run_one
from sanisim.runs.store import Store, atomic_write, load_results, open_dataset

TINY = """
[experiment]
name = "tiny"
seed = 11
replicates = 2
months = 6
households = 200
scenarios = ["default"]
bundles = ["baseline"]

[grid]
"sanitarians.count" = [0, 3]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> exp.Experiment:
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(TINY))
    return exp.load(path)


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_store_layout_and_results_contract(tmp_path, tiny):
    out = tmp_path / "store"
    report = run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    assert (report.done, report.failed, report.skipped) == (4, 0, 0)
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "experiment.toml", "runs.parquet", "status", "monthly",
            "summary", "summary.csv"} <= names
    keys = {s.run_key for s in tiny.runs}
    for kind, suffix in (("status", ".json"), ("monthly", ".parquet"), ("summary", ".parquet")):
        assert {p.name for p in (out / kind).iterdir()} == {k + suffix for k in keys}

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment_hash"] == tiny.hash
    assert manifest["experiment_text"] == tiny.text
    assert (out / "experiment.toml").read_text() == tiny.text
    for field in ("sanisim_version", "git_commit", "created", "scenarios", "sessions"):
        assert field in manifest
    assert manifest["sessions"][0]["done"] == 4

    results = sanisim.load_results(out)
    assert isinstance(results, Results)
    assert list(results.runs.columns) == [*RUN_COLUMNS, "param:sanitarians.count"]
    assert results.param_columns == ["param:sanitarians.count"]
    assert list(results.runs["run_key"]) == [s.run_key for s in tiny.runs]
    assert set(results.runs["status"]) == {"done"}
    assert results.runs["error"].isna().all()
    assert list(results.monthly.columns[:2]) == ["run_key", "month"]
    assert set(OUTPUT_COLUMNS) <= set(results.monthly.columns)
    assert len(results.monthly) == 4 * 7  # months 0..6
    assert results.summary["run_key"].tolist() == results.runs["run_key"].tolist()
    assert {"basic_or_better_end", "odf_communities_end"} <= set(results.summary.columns)
    joined = results.monthly_with_runs()
    assert len(joined) == len(results.monthly) and "bundle" in joined
    assert results.manifest["experiment"] == "tiny"
    csv = pd.read_csv(out / "summary.csv")
    assert len(csv) == 4 and "status" in csv and "basic_or_better_end" in csv
    # the columns both tables hold appear once, with the run table's values
    assert not [c for c in csv.columns if c.endswith(("_x", "_y"))]
    assert csv["households"].tolist() == results.summary["households"].tolist()
    assert csv["months"].tolist() == results.runs["months"].tolist()


def test_stored_run_equals_a_direct_run(tmp_path, tiny):
    out = tmp_path / "store"
    run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    results = load_results(out)
    spec = tiny.runs[-1]
    direct = run_one(tiny.scenarios[0].with_params(dict(spec.params)), seed=spec.seed,
                         months=spec.months, households=spec.households, bundle=spec.bundle)
    stored = results.monthly[results.monthly["run_key"] == spec.run_key]
    pd.testing.assert_frame_equal(stored.drop(columns="run_key").reset_index(drop=True),
                                  direct.monthly, check_dtype=False)
    row = results.summary.set_index("run_key").loc[spec.run_key]
    assert row["basic_or_better_end"] == direct.summary["basic_or_better_end"]


def test_dataset_view_reads_the_same_rows(tmp_path, tiny):
    out = tmp_path / "store"
    run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    table = open_dataset(out).to_table(columns=["run_key", "month", "basic"]).to_pandas()
    monthly = load_results(out).monthly
    assert len(table) == len(monthly)
    merged = table.merge(monthly[["run_key", "month", "basic"]], on=["run_key", "month"])
    assert (merged["basic_x"] == merged["basic_y"]).all()
    assert open_dataset(out, "summary").count_rows() == 4


def test_partial_store_shows_pending_runs(tmp_path, tiny):
    out = tmp_path / "store"
    store = Store.open_for_batch(out, tiny, resume=False)
    store.record(execute(tiny.runs[0]))
    store.close()
    results = load_results(out)
    assert results.runs["status"].tolist() == ["done", "pending", "pending", "pending"]
    assert set(results.monthly["run_key"]) == {tiny.runs[0].run_key}
    assert len(results.summary) == 1


def test_empty_store_reads_as_empty_tables(tmp_path, tiny):
    Store.open_for_batch(tmp_path / "store", tiny, resume=False).close()
    results = load_results(tmp_path / "store")
    assert len(results.runs) == 4 and results.monthly.empty and results.summary.empty
    assert {"run_key", "month"} <= set(results.monthly.columns)


def test_refuses_a_folder_of_another_experiment(tmp_path, tiny, capsys):
    out = tmp_path / "store"
    run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    other = tmp_path / "other.toml"
    other.write_text(textwrap.dedent(TINY).replace('"tiny"', '"other"'))
    assert main(["batch", str(other), "--out", str(out), "--quiet"]) == 2
    assert_one_line(capsys.readouterr().err, str(out), "'tiny'", "another folder")
    # same name, another design (more replicates alone would grow the store instead)
    changed = tmp_path / "changed.toml"
    changed.write_text(textwrap.dedent(TINY).replace("seed = 11", "seed = 12"))
    assert main(["batch", str(changed), "--out", str(out), "--resume"]) == 2
    assert_one_line(capsys.readouterr().err, str(out), "earlier version", "design changed")


def test_refuses_to_rerun_without_resume(tmp_path, tiny):
    out = tmp_path / "store"
    run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    with pytest.raises(InputError, match="--resume"):
        run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    report = run_batch(tiny, out, executor=SerialExecutor(), progress="none", resume=True)
    assert (report.skipped, report.done) == (4, 0)


def test_refuses_a_folder_that_is_not_a_store(tmp_path, tiny):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="not a sanisim results store") as caught:
        run_batch(tiny, out, executor=SerialExecutor(), progress="none")
    assert_one_line(str(caught.value), str(out))
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]
    with pytest.raises(InputError, match="no manifest.json"):
        load_results(out)


def test_one_writer_at_a_time(tmp_path, tiny):
    first = Store.open_for_batch(tmp_path / "store", tiny, resume=False)
    try:
        with pytest.raises(InputError, match="another sanisim batch"):
            Store.open_for_batch(tmp_path / "store", tiny, resume=True)
    finally:
        first.close()
    Store.open_for_batch(tmp_path / "store", tiny, resume=True).close()


def test_resume_clears_temporaries_of_a_killed_writer(tmp_path, tiny):
    out = tmp_path / "store"
    store = Store.open_for_batch(out, tiny, resume=False)
    store.record(execute(tiny.runs[0]))
    store.close()
    (out / "monthly" / f".{tiny.runs[1].run_key}.parquet.999.tmp").write_bytes(b"half")
    report = run_batch(tiny, out, executor=SerialExecutor(), progress="none", resume=True)
    assert (report.skipped, report.done) == (1, 3)
    assert not list(out.rglob("*.tmp"))
