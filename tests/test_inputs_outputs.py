"""Output locations: checked before any work, every OSError on output one line and exit 2,
partial results of long verbs kept, and nothing written outside the output folder."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line
from conftest import cli_failure as failure

from sanisim.cli import main
from sanisim.errors import InputError, OutputError
from sanisim.evidence import calibration, trial
from sanisim.outputs import default_folder, inside, named_output_file, output_file, output_folder

ROOT = Path(__file__).resolve().parent.parent

TRIAL = """\
[trial]
name = "tiny"
scenario = "default"
households = 200
replicates = 3
unit = "village"
survey_month = 2
[arms.control]
bundle = "baseline"
share = 0.5
[arms.bcc]
bundle = "bcc"
share = 0.5
"""


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "taken"
    path.write_text("not a folder\n")
    return path


@pytest.fixture
def read_only(tmp_path):
    """A folder nobody may write to: permissions, or (as root, who ignores them) a read-only
    tmpfs mount."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("running as root and cannot mount a read-only file system")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


# --------------------------------------------------------------------------- the helpers


def test_output_folder_creates_and_leaves_nothing(tmp_path):
    out = output_folder(tmp_path / "a" / "b")
    assert out.is_dir() and list(out.iterdir()) == []


@pytest.mark.parametrize("where", ["file", "below", "long", "read_only"])
def test_output_folder_refuses_with_one_line(where, tmp_path, a_file, request):
    path = {"file": lambda: a_file, "below": lambda: a_file / "x" / "y",
            "long": lambda: tmp_path / ("n" * 300),
            "read_only": lambda: request.getfixturevalue("read_only") / "out"}[where]()
    with pytest.raises(OutputError) as info:
        output_folder(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message


def test_read_only_folder_itself_is_refused(read_only):
    with pytest.raises(OutputError, match="cannot write in this folder"):
        output_folder(read_only)


def test_default_folder_and_inside_never_leave_the_folder(tmp_path):
    assert default_folder("trial_x") == Path("results") / "trial_x"
    for bad in ("..", "../x", "/etc", "a/b", ".hidden", "x" * 101):
        with pytest.raises(InputError):
            default_folder(bad)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    with pytest.raises(OutputError, match="leads out"):
        inside(tmp_path / "out", "link", "x.csv")
    with pytest.raises(OutputError, match="leads out"):
        inside(tmp_path / "out", "..", "x.csv")
    assert inside(tmp_path / "out", "a.csv") == tmp_path / "out" / "a.csv"


def test_a_link_out_of_the_output_folder_is_refused(tmp_path, capsys):
    victim = tmp_path / "precious.csv"
    victim.write_text("keep me\n")
    out = tmp_path / "out" / "sub"
    out.mkdir(parents=True)
    (out / "monthly.csv").symlink_to(victim)
    failure(capsys, ["run", "default", "--months", "1", "--households", "10", "--out",
                     tmp_path / "out"], "link leading out")
    assert victim.read_text() == "keep me\n"
    (out / "monthly.csv").unlink()
    (out / "inner.csv").symlink_to(out / "other.csv")  # a link inside the folder is fine
    assert output_folder(tmp_path / "out") == tmp_path / "out"


def test_named_output_file_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = tmp_path / "experiments"
    base.mkdir()
    assert named_output_file("fit.toml", base, "c.toml", "calibration.out", ".toml") == \
        base / "fit.toml"
    assert named_output_file("../results/x/fit.toml", base, "c.toml", "calibration.out",
                             ".toml") == tmp_path / "results" / "x" / "fit.toml"
    for bad in (5, "", "fit.csv", "/etc/fit.toml", "../../fit.toml", "bad name.toml"):
        with pytest.raises(InputError) as info:
            named_output_file(bad, base, "c.toml", "calibration.out", ".toml")
        assert "calibration.out" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(OutputError):
        output_file(base, "--write")  # a folder, not a file


# --------------------------------------------------------------------------- verbs


@pytest.mark.parametrize("verb", ["run", "batch", "trial", "sensitivity", "joint", "calibrate"])
def test_every_verb_refuses_an_out_that_is_a_file_before_the_work(verb, a_file, capsys,
                                                                  monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the output folder was checked")

    for module, name in ((trial, "run_trial"), (calibration, "calibrate")):
        monkeypatch.setattr(module, name, no_work)
    monkeypatch.setattr("sanisim.runs.run.run", no_work)
    monkeypatch.setattr("sanisim.runs.batch.run_batch", no_work)
    monkeypatch.setattr("sanisim.evidence.sensitivity.step_sample", no_work)
    monkeypatch.setattr("sanisim.evidence.joint.fit", no_work)
    files = {"run": "default", "batch": ROOT / "experiments" / "smoke.toml",
             "trial": ROOT / "experiments" / "east_java_trial.toml",
             "sensitivity": ROOT / "experiments" / "sa_morris.toml",
             "joint": ROOT / "experiments" / "joint_calibration.toml",
             "calibrate": ROOT / "experiments" / "east_java_calibration.toml"}
    monkeypatch.chdir(ROOT)
    failure(capsys, [verb, files[verb], "--out", a_file], str(a_file), "is a file")


def test_report_refuses_an_out_below_a_file(tmp_path, a_file, capsys):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "manifest.json").write_text(  # enough to be read as a store
        '{"experiment": "x", "experiment_hash": "0123456789abcdef"}\n')
    failure(capsys, ["report", tmp_path / "store", "--out", a_file / "r"], "lies below")


def test_calibrate_write_to_a_read_only_place_is_refused_before_the_fit(read_only, capsys,
                                                                      monkeypatch):
    monkeypatch.setattr(calibration, "calibrate", lambda *a, **k: pytest.fail("fit started"))
    monkeypatch.chdir(read_only.parent)
    failure(capsys, ["calibrate", ROOT / "experiments" / "east_java_calibration.toml",
                     "--write", "ro/fit.toml", "--out", read_only.parent / "out"], "ro")


def test_calibrate_says_where_it_writes_the_scenario(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(calibration, "calibrate", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt))
    main(["calibrate", "experiments/east_java_calibration.toml", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert "calibrated scenario will be written to" in out
    assert "results/calibration_east_java/east_java_calibrated.toml" in out


def test_file_too_large_ends_in_one_line(tmp_path):
    """A write past the file-size limit (as on a full disk) is one line, exit 2."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [sys.executable, "-m", "sanisim.cli", "run", "default", "--months", "24",
         "--households", "100", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, preexec_fn=limit, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert_one_line(done.stderr, str(tmp_path / "out"), "File too large")


def test_trial_keeps_every_replicate_when_the_end_fails(tmp_path, capsys, monkeypatch):
    """A failure after the replicates (here: the summary) loses none of them."""
    path = tmp_path / "tiny.toml"
    path.write_text(TRIAL)
    out = tmp_path / "out"

    def full_disk(estimates):
        raise OSError(28, "No space left on device", str(out / "summary.csv"))

    monkeypatch.setattr(trial, "summarise", full_disk)
    failure(capsys, ["trial", path, "--out", out, "--backend", "serial"],
            "No space left on device")
    partial = pd.read_csv(out / trial.PARTIAL_ESTIMATES)
    assert sorted(partial["replicate"].unique()) == [0, 1, 2]

    monkeypatch.undo()
    assert main(["trial", str(path), "--out", str(out), "--backend", "serial"]) == 0
    complete = pd.read_csv(out / "estimates.csv")
    assert not (out / trial.PARTIAL_ESTIMATES).exists()
    assert (out / "manifest.json").is_file()
    pd.testing.assert_frame_equal(complete, partial)
