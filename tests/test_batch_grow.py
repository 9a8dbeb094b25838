"""A finished batch grows: more replicates run only the new runs; the old ones stay."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor

EXPERIMENT = """
[experiment]
name = "grow"
seed = {seed}
replicates = {replicates}
months = 6
households = 150
scenarios = ["default"]
bundles = ["baseline", "bcc"]
"""


def write(path: Path, replicates: int, seed: int = 4) -> Path:
    path.write_text(textwrap.dedent(EXPERIMENT.format(replicates=replicates, seed=seed)))
    return path


def batch(path: Path, out: Path, resume: bool = False):
    return run_batch(exp.load(path), out, executor=SerialExecutor(), progress="none",
                     resume=resume)


def snapshot(store: Path) -> dict[str, bytes]:
    return {p.relative_to(store).as_posix(): p.read_bytes()
            for kind in ("monthly", "summary", "status") for p in (store / kind).iterdir()}


def test_more_replicates_extend_a_finished_batch_and_keep_its_runs(tmp_path):
    path, store = write(tmp_path / "grow.toml", 2), tmp_path / "store"
    assert batch(path, store).done == 4
    before = snapshot(store)
    write(path, 3)
    report = batch(path, store, resume=True)
    assert (report.total, report.skipped, report.done) == (6, 4, 2)  # only the new runs ran
    after = snapshot(store)
    assert {k: after[k] for k in before} == before  # identical existing runs, untouched
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["experiment_hash"] == exp.load(path).hash and manifest["runs"] == 6
    assert [(g["replicates_before"], g["replicates_after"]) for g in manifest["grown"]] == [
        (2, 3)]
    # the grown store holds exactly what a fresh batch of 3 replicates holds
    fresh = tmp_path / "fresh"
    batch(path, fresh)
    grown, new = exp.load_results(store), exp.load_results(fresh)
    assert sorted(grown.runs["run_key"]) == sorted(new.runs["run_key"])
    pd.testing.assert_frame_equal(
        grown.monthly.sort_values(["run_key", "month"]).reset_index(drop=True),
        new.monthly.sort_values(["run_key", "month"]).reset_index(drop=True))


@pytest.mark.parametrize("change, says", [
    (dict(replicates=3, seed=5), "design changed"),   # another seed: another batch
    (dict(replicates=1), "design changed"),           # fewer replicates: never drop runs
])
def test_any_other_change_still_refuses_with_one_line(tmp_path, capsys, change, says):
    path, store = write(tmp_path / "grow.toml", 2), tmp_path / "store"
    batch(path, store)
    write(path, **change)
    assert main(["batch", str(path), "--out", str(store), "--resume", "--backend",
                 "processes", "--workers", "1"]) == 2
    assert_one_line(capsys.readouterr().err, str(store), says)


def test_without_resume_a_grown_design_is_refused(tmp_path, capsys):
    path, store = write(tmp_path / "grow.toml", 2), tmp_path / "store"
    batch(path, store)
    write(path, 3)
    assert main(["batch", str(path), "--out", str(store), "--workers", "1"]) == 2
    assert_one_line(capsys.readouterr().err, str(store))
    assert json.loads((store / "manifest.json").read_text())["runs"] == 4
