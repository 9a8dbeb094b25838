"""A finished batch grows: more replicates or design points run only the new runs; the old
ones stay."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line, figures_not_drawn

from sanisim.cli import main
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.scenario import SCENARIO_DIR

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


# --------------------------------------------------------------------------- design points

DESIGN = """
[experiment]
name = "points"
seed = 4
replicates = 2
months = {months}
households = 150
scenarios = {scenarios}
bundles = {bundles}

[grid]
"behaviour.q_imitation" = {values}
"""

#: The first design and what is added to it, one dimension at a time.
SMALL = dict(months=6, scenarios=["default"], bundles=["baseline", "bcc"],
             values=[0.05, 0.08])
ADDED = {
    "a grid value": dict(SMALL, values=[0.05, 0.08, 0.11]),
    "a bundle": dict(SMALL, bundles=["baseline", "bcc", "demand_creation"]),
    "a scenario": dict(SMALL, scenarios=["default", "mine.toml"]),
}


def write_design(path: Path, design: dict) -> Path:
    path.write_text(textwrap.dedent(DESIGN.format(**{
        k: json.dumps(v) if isinstance(v, list) else v for k, v in design.items()})))
    (path.parent / "mine.toml").write_text('extends = "default.toml"\nname = "mine"\n'
                                            "[population]\npoverty_rate = 0.2\n")
    shutil.copy(SCENARIO_DIR / "default.toml", path.parent / "default.toml")  # mine extends it
    return path


@pytest.fixture
def counted(monkeypatch):
    """The run keys the batch driver executes (in this process: the serial executor)."""
    from sanisim.runs import batch as batch_module

    executed: list[str] = []
    real = batch_module.execute

    def execute(spec):
        executed.append(spec.run_key)
        return real(spec)

    monkeypatch.setattr(batch_module, "execute", execute)
    return executed


def same_runs(a: Path, b: Path) -> None:
    """Two stores hold the same runs, run for run: run tables, monthly tables, summaries."""
    left, right = exp.load_results(a), exp.load_results(b)
    pd.testing.assert_frame_equal(left.runs, right.runs)
    pd.testing.assert_frame_equal(left.monthly, right.monthly)
    pd.testing.assert_frame_equal(left.summary, right.summary)
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


@pytest.mark.parametrize("added", list(ADDED))
def test_added_design_points_run_alone_and_equal_a_batch_made_in_one_go(tmp_path, counted,
                                                                        added):
    path, store = write_design(tmp_path / "points.toml", SMALL), tmp_path / "store"
    first = batch(path, store)
    assert first.done == len(exp.load(path).runs) == 8
    old_keys, before = set(counted), snapshot(store)
    counted.clear()

    write_design(path, ADDED[added])
    grown = exp.load(path)
    report = batch(path, store, resume=True)
    new_keys = {spec.run_key for spec in grown.runs} - old_keys
    assert sorted(counted) == sorted(new_keys)  # only the new cells ran, each once
    assert (report.total, report.skipped, report.done) == (len(grown.runs), 8, len(new_keys))
    after = snapshot(store)
    assert {k: after[k] for k in before} == before  # finished runs untouched

    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["experiment_hash"] == grown.hash and manifest["runs"] == len(grown.runs)
    assert manifest["design"] == grown.describe()
    assert {s["name"] for s in manifest["scenarios"]} == {s.name for s in grown.scenarios}
    (record,) = manifest["grown"]
    assert (record["runs_before"], record["runs_after"]) == (8, len(grown.runs))
    assert record["hash_after"] == grown.hash and record["design_before"] != grown.describe()
    assert (store / "experiment.toml").read_text() == path.read_text()

    fresh = tmp_path / "fresh"  # the larger design in one go: same seeds, same numbers
    batch(path, fresh)
    same_runs(store, fresh)


def test_more_posterior_draws_grow_a_store(tmp_path, counted):
    text = EXPERIMENT.format(replicates=1, seed=4).replace("replicates = 1",
                                                           "replicates = 1\nposterior = {n}")
    path, store = tmp_path / "draws.toml", tmp_path / "store"
    path.write_text(textwrap.dedent(text.format(n=1)))
    assert batch(path, store).done == 2
    counted.clear()
    path.write_text(textwrap.dedent(text.format(n=2)))
    report = batch(path, store, resume=True)
    assert (report.total, report.skipped, report.done, len(counted)) == (4, 2, 2, 2)
    batch(path, tmp_path / "fresh")
    same_runs(store, tmp_path / "fresh")


REFUSED = {
    "a changed grid value": (dict(SMALL, values=[0.05, 0.09]), "design changed"),
    "a removed bundle": (dict(SMALL, bundles=["baseline"]), "design changed"),
    "another horizon": (dict(SMALL, months=7, values=[0.05, 0.08, 0.11]), "design changed"),
}


@pytest.mark.parametrize("change", list(REFUSED))
def test_a_design_that_changes_finished_runs_is_refused(tmp_path, capsys, counted, change):
    path, store = write_design(tmp_path / "points.toml", SMALL), tmp_path / "store"
    batch(path, store)
    manifest = (store / "manifest.json").read_bytes()
    counted.clear()
    design, says = REFUSED[change]
    write_design(path, design)
    assert main(["batch", str(path), "--out", str(store), "--resume", "--backend",
                 "serial"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert_one_line(err, str(store), "--out", says, "grows the store")
    assert counted == [] and (store / "manifest.json").read_bytes() == manifest


def test_a_changed_scenario_is_refused_though_keys_stay(tmp_path, capsys):
    design = dict(SMALL, scenarios=["default", "mine.toml"])
    path, store = write_design(tmp_path / "points.toml", design), tmp_path / "store"
    batch(path, store)
    write_design(path, dict(design, values=[0.05, 0.08, 0.11]))  # grows the grid, but ...
    (tmp_path / "mine.toml").write_text('extends = "default.toml"\nname = "mine"\n'
                                        "[population]\npoverty_rate = 0.3\n")  # ... edits mine
    assert main(["batch", str(path), "--out", str(store), "--resume", "--backend",
                 "serial"]) == 2
    assert_one_line(capsys.readouterr().err, str(store), "scenario 'mine' changed")
    assert "grown" not in json.loads((store / "manifest.json").read_text())


def test_more_latin_hypercube_samples_are_refused(tmp_path, capsys):
    text = EXPERIMENT.format(replicates=1, seed=4) + (
        '\n[lhs]\nsamples = {n}\n[lhs.ranges]\n"behaviour.q_imitation" = [0.03, 0.1]\n')
    path, store = tmp_path / "lhs.toml", tmp_path / "store"
    path.write_text(textwrap.dedent(text.format(n=2)))
    batch(path, store)
    path.write_text(textwrap.dedent(text.format(n=3)))  # every point is drawn again
    assert main(["batch", str(path), "--out", str(store), "--resume", "--backend",
                 "serial"]) == 2
    assert_one_line(capsys.readouterr().err, str(store), "design changed")


def test_the_report_of_a_grown_sweep_covers_every_point(tmp_path):
    path, store = write_design(tmp_path / "points.toml", SMALL), tmp_path / "store"
    batch(path, store)
    write_design(path, ADDED["a grid value"])
    batch(path, store, resume=True)
    fresh = tmp_path / "fresh"
    batch(path, fresh)
    tables = {}
    for name in ("store", "fresh"):
        out = tmp_path / f"report_{name}"
        with figures_not_drawn():  # the tables are compared
            assert main(["report", str(tmp_path / name), "--out", str(out),
                         "--no-network"]) == 0
        tables[name] = {p.name: p.read_bytes() for p in (out / "tables").glob("*.csv")}
    sweep = pd.read_csv(tmp_path / "report_store" / "tables" / "sweep.csv")
    assert sorted(sweep["value"].unique()) == [0.05, 0.08, 0.11]
    assert tables["store"] == tables["fresh"] and "sweep.csv" in tables["store"]
