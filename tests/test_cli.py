"""The `sanisim` command: outputs of `run`, and one clean line with exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim import __version__
from sanisim.cli import main
from sanisim.ladder import RUNG_COLUMNS
from sanisim.scenario import SCENARIO_DIR, load


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean_failure(code: int, err: str, *must_name: str) -> None:
    assert code == 2, f"exit code {code}, stderr {err!r}"
    assert "Traceback" not in err
    assert_one_line(err, *must_name)


@pytest.fixture(scope="module")
def run_outputs(tmp_path_factory):
    """One small run of the shipped default, shared by the output tests."""
    out = tmp_path_factory.mktemp("run") / "out"
    code = main(["run", "default", "--months", "12", "--households", "500", "--seed", "7",
                 "--out", str(out)])
    return code, out


def test_run_exits_zero_and_writes_outputs(run_outputs):
    code, out = run_outputs
    assert code == 0
    for name in ("monthly.parquet", "monthly.csv", "summary.json", "manifest.json"):
        assert (out / name).is_file(), name


def test_run_monthly_tables(run_outputs):
    _, out = run_outputs
    csv = pd.read_csv(out / "monthly.csv")
    parquet = pd.read_parquet(out / "monthly.parquet")
    for column in RUNG_COLUMNS:
        assert column in csv.columns
    assert list(csv["month"]) == list(range(13))
    assert (csv[list(RUNG_COLUMNS)].sum(axis=1) - 1).abs().max() < 1e-9
    assert list(csv.columns) == list(parquet.columns)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, rtol=1e-12)


def test_run_manifest_and_summary(run_outputs):
    _, out = run_outputs
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("scenario", "seed", "sanisim_version", "git_commit", "config_hash"):
        assert key in manifest, key
    assert manifest["scenario"] == "default"
    assert manifest["seed"] == 7
    assert manifest["months"] == 12
    assert manifest["households"] == 500
    assert manifest["sanisim_version"] == __version__
    assert manifest["config_hash"] == load("default").config_hash
    assert manifest["git_commit"]
    summary = json.loads((out / "summary.json").read_text())
    csv = pd.read_csv(out / "monthly.csv")
    assert summary["households"] == 500 and summary["months"] == 12
    assert summary["basic_or_better_end"] == pytest.approx(csv["basic_or_better"].iloc[-1])
    assert summary["loans_issued"] == csv["loans_issued"].sum()


def test_run_is_reproducible_through_the_command(tmp_path, capsys, run_outputs):
    _, first = run_outputs
    again = tmp_path / "again"
    code, out, _ = run_cli(capsys, "run", "default", "--months", "12", "--households", "500",
                           "--seed", "7", "--out", str(again))
    assert code == 0
    assert "basic_or_better" in out and "open_defecation" in out  # the printed summary table
    pd.testing.assert_frame_equal(pd.read_parquet(first / "monthly.parquet"),
                                  pd.read_parquet(again / "monthly.parquet"), check_exact=True)


def test_validate_good_file(capsys):
    code, out, err = run_cli(capsys, "validate", str(SCENARIO_DIR / "default.toml"))
    assert code == 0, err
    assert "ok" in out and load("default").config_hash in out


# --------------------------------------------------------------------------- bad input


def test_unknown_scenario_file(capsys, tmp_path):
    missing = tmp_path / "nowhere.toml"
    code, _, err = run_cli(capsys, "run", str(missing), "--months", "2")
    assert_clean_failure(code, err, "nowhere.toml")


@pytest.mark.parametrize("seed", ["abc", "-1", "1.5"])
def test_bad_seed(capsys, seed):
    code, _, err = run_cli(capsys, "run", "default", "--seed", seed, "--months", "2")
    assert_clean_failure(code, err, "--seed")


@pytest.mark.parametrize(("flag", "value"), [("--months", "0"), ("--months", "ten"),
                                             ("--households", "3")])
def test_bad_counts(capsys, flag, value):
    code, _, err = run_cli(capsys, "run", "default", flag, value)
    assert_clean_failure(code, err, flag)


def test_unknown_strategy(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", "default", "--months", "2", "--households", "100",
                           "--strategy", "no_such_bundle", "--out", str(tmp_path / "o"))
    assert_clean_failure(code, err, "no_such_bundle", "baseline")
    assert not (tmp_path / "o").exists()


def test_unknown_verb(capsys):
    code, _, err = run_cli(capsys, "rnu", "default")
    assert_clean_failure(code, err, "rnu")


def test_unknown_option(capsys):
    code, _, err = run_cli(capsys, "run", "default", "--monts", "3")
    assert_clean_failure(code, err, "--monts")


def test_run_scenario_with_unknown_key(capsys, write_scenario, tmp_path):
    path = write_scenario("[population]\nhousholds = 100\n", "typo.toml")
    code, _, err = run_cli(capsys, "run", str(path), "--months", "2", "--out", str(tmp_path / "o"))
    assert_clean_failure(code, err, str(path), "population.housholds", "population.households")


@pytest.mark.parametrize(("text", "must_name"), [
    ("[population]\nhousholds = 100\n", "population.housholds"),
    ("[population\n", "TOML"),
    ("[behaviour]\np_innovation = 2.0\n", "behaviour.p_innovation"),
    ("[population.start_shares]\nbasic = 0.1\n", "population.start_shares"),
], ids=["unknown-key", "bad-toml", "range", "shares"])
def test_validate_bad_file(capsys, write_scenario, text, must_name):
    path = write_scenario(text, "bad.toml")
    code, _, err = run_cli(capsys, "validate", str(path))
    assert_clean_failure(code, err, str(path), must_name)


def test_validate_stops_at_first_bad_file_with_one_line(capsys, write_scenario):
    good = write_scenario("", "good.toml")
    bad = write_scenario("[network]\nkind = 'grid'\n", "bad.toml")
    code, out, err = run_cli(capsys, "validate", str(good), str(bad))
    assert_clean_failure(code, err, str(bad), "network.kind")
    assert str(good) in out


def test_bad_edgelist_reported_by_run(capsys, write_scenario, tmp_path):
    (tmp_path / "edges.txt").write_text("0 1\n1 x\n")
    path = write_scenario('[population]\nhouseholds = 20\n[network]\nkind = "edgelist"\n'
                          'edgelist = "edges.txt"\n', "ties.toml")
    code, _, err = run_cli(capsys, "run", str(path), "--months", "2", "--out", str(tmp_path / "o"))
    assert_clean_failure(code, err, str(path), "network.edgelist")


@pytest.mark.parametrize("verb", ["run", "validate"])
def test_help_of_each_verb(capsys, verb):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    assert verb in capsys.readouterr().out


def test_installed_command_bad_file_gives_exit_2_without_traceback(write_scenario):
    path = write_scenario("[cooperatives]\nfunds = 5\n", "bad.toml")
    script = Path(sys.executable).parent / "sanisim"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "sanisim.cli"]
    done = subprocess.run([*command, "validate", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert_one_line(done.stderr, str(path), "cooperatives.funds", "cooperatives.fund")


@pytest.mark.parametrize("verb", ["validate", "run", "batch", "trial", "calibrate",
                                  "sensitivity"])
def test_file_that_is_not_utf8_gives_one_line_and_exit_2(verb, tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[experiment]\nname = "Kec. \xe9"\n')
    assert main([verb, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(bad) in err and "UTF-8" in err


@pytest.mark.parametrize("kind", ["experiment", "trial", "calibration", "sensitivity"])
def test_a_name_that_would_leave_the_results_folder_is_refused(kind, tmp_path, capsys):
    bad = tmp_path / f"{kind}.toml"
    bad.write_text(f'[{kind}]\nname = "../../elsewhere"\n')
    verb = {"experiment": "batch", "calibration": "calibrate"}.get(kind, kind)
    assert main([verb, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{kind}.name" in err
    assert not (tmp_path.parent.parent / "elsewhere").exists()
