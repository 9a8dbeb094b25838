"""``sanisim batch NAME``: a shipped experiment by its name, made smaller from the command line
(``--replicates``, ``--months``, ``--households``, ``--posterior``) for a quick look."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import cli_failure

from sanisim.cli import main
from sanisim.runs import experiment as exp

SMALLER = ["--replicates", "1", "--posterior", "1", "--months", "6", "--households", "150"]
OVERRIDES = {"replicates": 1, "posterior": 1, "months": 6, "households": 150}


def test_shipped_experiments_are_found_by_name():
    shipped = exp.shipped_experiments()
    assert {"compare_strategies", "smoke"} <= set(shipped)
    assert exp.resolve("compare_strategies") == shipped["compare_strategies"]
    assert exp.resolve("compare_strategies.toml") == shipped["compare_strategies"]


def test_the_make_run_job_by_name_with_a_smaller_design(tmp_path, capsys):
    out = tmp_path / "cs"
    assert main(["batch", "compare_strategies", "--out", str(out), *SMALLER,
                 "--backend", "serial"]) == 0
    assert "7 runs: 7 done" in capsys.readouterr().out
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 7 and set(runs["months"]) == {6} and set(runs["households"]) == {150}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment_text"] == (out / "experiment.toml").read_text()
    assert re.match(r"# .*compare_strategies\.toml with replicates = 1, months = 6, "
                    r"households = 150, posterior = 1 from the command line\n",
                    manifest["experiment_text"])
    # the same command continues the batch; other options are another design
    assert main(["batch", "compare_strategies", "--out", str(out), *SMALLER, "--resume",
                 "--backend", "serial"]) == 0
    assert "7 already finished" in capsys.readouterr().out
    cli_failure(capsys, ["batch", "compare_strategies", "--out", out, "--resume",
                         *SMALLER[:-1], "200", "--backend", "serial"], str(out), "changed")


def test_options_make_the_experiment_the_file_would_make_with_those_values(tmp_path):
    shipped = exp.shipped_experiments()["compare_strategies"]
    text = shipped.read_text()
    for key, value in OVERRIDES.items():
        text, count = re.subn(rf"(?m)^{key} = \d+", f"{key} = {value}", text)
        assert count == 1, key
    (tmp_path / "small.toml").write_text(text)
    by_options = exp.load(shipped, OVERRIDES)
    by_file = exp.load(tmp_path / "small.toml")
    assert by_options.hash == by_file.hash
    assert [s.run_key for s in by_options.runs] == [s.run_key for s in by_file.runs]
    assert exp.load(shipped, {"months": None}).text == shipped.read_text()


@pytest.mark.parametrize("argv, must_name", [
    (["batch", "no_such_experiment"], ["no_such_experiment", "compare_strategies", "smoke"]),
    (["batch", "compare_strategies", "--replicates", "0"], ["--replicates"]),
    (["batch", "compare_strategies", "--posterior", "100000"], ["experiment.posterior"]),
    (["batch", "compare_strategies", "--households", "x"], ["--households"]),
])
def test_mistakes_are_one_line_and_exit_2(capsys, tmp_path, argv, must_name):
    cli_failure(capsys, [*argv, "--out", tmp_path / "o"], *must_name)
