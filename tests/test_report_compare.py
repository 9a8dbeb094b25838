"""``sanisim compare A B``: the same outcomes of two batches side by side."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line
from scipy import stats

from sanisim.cli import main
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor

EXPERIMENT = """
[experiment]
name = "{name}"
seed = {seed}
replicates = 3
months = {months}
households = 150
scenarios = ["default"]
bundles = {bundles!r}
"""


def store(root: Path, name: str, seed: int, months: int = 6,
          bundles: tuple[str, ...] = ("baseline", "bcc")) -> Path:
    path = root / f"{name}.toml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(name=name, seed=seed, months=months,
                                                      bundles=list(bundles))))
    run_batch(exp.load(path), root / name, executor=SerialExecutor(), progress="none")
    return root / name


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("compare")
    return store(root, "a", 1), store(root, "b", 2, bundles=("baseline", "demand_creation"))


def test_compare_writes_shared_arms_side_by_side_with_welch_intervals(stores, tmp_path):
    a, b = stores
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")]) == 0
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert set(table["bundle"]) == {"baseline"}  # the only arm both ran
    row = table[table["outcome"] == "basic_or_better_end"].iloc[0]
    ra, rb = exp.load_results(a), exp.load_results(b)

    def ends(results):
        monthly = results.monthly.merge(results.runs[["run_key", "bundle"]], on="run_key")
        monthly = monthly[monthly["bundle"] == "baseline"]
        return monthly[monthly["month"] == monthly["month"].max()]["basic_or_better"]

    xa, xb = ends(ra).to_numpy(), ends(rb).to_numpy()
    assert row["mean_a"] == pytest.approx(xa.mean()) and row["mean_b"] == pytest.approx(
        xb.mean())
    welch = stats.ttest_ind(xb, xa, equal_var=False).confidence_interval(0.95)
    assert (row["difference_low"], row["difference_high"]) == pytest.approx(
        (welch.low, welch.high))
    assert np.isclose(row["difference"], xb.mean() - xa.mean())
    assert set(table["interval_holds_a"]) == {"seed noise"}
    assert (tmp_path / "cmp" / "comparison.png").exists()
    manifest = json.loads((tmp_path / "cmp" / "manifest.json").read_text())
    assert manifest["compared"]["a"]["experiment"] == "a" and manifest["git_commit"]


def test_batches_that_cannot_be_compared_are_refused_with_one_line(stores, tmp_path, capsys):
    a, _ = stores
    longer = store(tmp_path, "c", 1, months=8)
    assert main(["compare", str(a), str(longer), "--out", str(tmp_path / "x")]) == 2
    assert_one_line(capsys.readouterr().err, str(longer), "months", "same horizon")
    other = store(tmp_path, "d", 1, bundles=("bcc_plus_credit",))
    assert main(["compare", str(a), str(other), "--out", str(tmp_path / "y")]) == 2
    assert_one_line(capsys.readouterr().err, str(other), "bundles", "shares no scenario")
    assert main(["compare", str(a), str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert_one_line(capsys.readouterr().err, "no such results folder")
