"""Batches: identical results on any executor and worker count, failures recorded, interrupted
batches resumed to exactly the uninterrupted result without re-running finished runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import (
    assert_one_line,
    sigint_handler,
    signal_state,
    start_as_from_a_terminal,
    start_batch,
)

from sanisim.cli import main
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.runs.store import load_results

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"

#: 24 runs of 400 households x 24 months: long enough (one worker) to interrupt part-way.
LONGER = """
[experiment]
name = "longer"
seed = 3
replicates = 12
months = 24
households = 400
scenarios = ["default"]

[grid]
"behaviour.q_imitation" = [0.03, 0.06]
"""


def assert_same_results(a: Path, b: Path) -> None:
    """Two stores hold the same results: equal tables and byte-identical run files."""
    left, right = load_results(a), load_results(b)
    pd.testing.assert_frame_equal(left.runs, right.runs)
    pd.testing.assert_frame_equal(left.monthly, right.monthly)
    pd.testing.assert_frame_equal(left.summary, right.summary)
    for kind in ("monthly", "summary"):
        files = sorted(p.name for p in (a / kind).iterdir())
        assert files == sorted(p.name for p in (b / kind).iterdir())
        for name in files:
            assert (a / kind / name).read_bytes() == (b / kind / name).read_bytes(), name


def status_records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (out / "status").glob("*.json")}


@pytest.fixture(scope="module")
def serial_smoke(tmp_path_factory) -> Path:
    """The smoke experiment run in this process: the reference every backend must match."""
    out = tmp_path_factory.mktemp("serial") / "smoke"
    report = run_batch(SMOKE, out, executor=SerialExecutor(), progress="none")
    assert report.ok and report.done == 8
    return out


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("workers", [1, 2])
def test_process_pool_matches_serial_for_any_worker_count(tmp_path, serial_smoke, workers):
    out = tmp_path / "smoke"
    report = run_batch(SMOKE, out, backend="processes", workers=workers, progress="none")
    assert report.ok and report.done == 8
    assert str(workers) in report.executor and "process" in report.executor
    assert_same_results(serial_smoke, out)


def test_dask_local_cluster_matches_serial(tmp_path, serial_smoke):
    pytest.importorskip("distributed")
    out = tmp_path / "smoke"
    report = run_batch(SMOKE, out, backend="dask", workers=2, dask_processes=False,
                       progress="none")
    assert report.ok and report.done == 8 and "Dask" in report.executor
    assert_same_results(serial_smoke, out)


def _fail_run(monkeypatch, doomed, message: str) -> None:
    """Make the run ``doomed`` (its seed and imitation rate) raise FloatingPointError(message)
    inside ``sanisim.runs.run.run``; every other run runs as before."""
    import sanisim.runs.run

    real_run = sanisim.runs.run.run

    def flaky(scenario, *, seed, months, households, bundle):
        if seed == doomed.seed and scenario["behaviour.q_imitation"] == dict(
                doomed.params)["behaviour.q_imitation"]:
            raise FloatingPointError(message)
        return real_run(scenario, seed=seed, months=months, households=households,
                        bundle=bundle)

    monkeypatch.setattr(sanisim.runs.run, "run", flaky)


def test_several_runs_a_task_match_serial_and_fail_one_by_one(tmp_path, serial_smoke,
                                                                 monkeypatch):
    """An executor that takes several runs a task (Dask: ``DASK_RUNS_PER_TASK``): the same
    results as one run a task, each outcome landed and each failure recorded on its own run;
    the tasks shrink towards the batch's end so that its last runs spread over the slots."""
    from sanisim.runs.batch import _task_size
    from sanisim.runs.executors import ExecutorHandle

    assert [_task_size(4, left, 2) for left in (210, 16, 12, 8, 7, 4, 3, 1)] == \
        [4, 4, 3, 2, 1, 1, 1, 1]
    assert _task_size(1, 210, 2) == 1

    submitted: list[int] = []

    class Counting(SerialExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(len(args[0]))
            return super().submit(fn, *args, **kwargs)

    handle = ExecutorHandle(Counting(), "serial, 4 runs a task", 1, runs_per_task=4)
    out = tmp_path / "smoke"
    report = run_batch(SMOKE, out, executor=handle, progress="none")
    assert report.ok and report.done == 8
    assert submitted == [4, 2, 1, 1]  # 8 runs on one slot: 8 // 2 = 4, then 4 // 2, ...
    assert_same_results(serial_smoke, out)

    experiment = exp.load(SMOKE)
    doomed = experiment.runs[1]  # inside the first task of four runs
    _fail_run(monkeypatch, doomed, "overflow")
    report = run_batch(experiment, tmp_path / "flaky", executor=handle, progress="none")
    assert (report.done, report.failed) == (7, 1)
    assert report.failures == [(doomed.run_key, "FloatingPointError: overflow")]


def test_dask_scheduler_address(tmp_path, serial_smoke):
    """--scheduler: the batch runs on an already running cluster, found by its address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        out = tmp_path / "smoke"
        code = main(["batch", str(SMOKE), "--scheduler", cluster.scheduler_address,
                     "--out", str(out), "--quiet"])
    assert code == 0
    assert_same_results(serial_smoke, out)


def test_unreachable_scheduler_is_one_line(tmp_path, capsys):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["batch", str(SMOKE), "--scheduler", "tcp://127.0.0.1:9", "--out",
                     str(tmp_path / "o")])
    assert code == 2
    assert_one_line(capsys.readouterr().err, "--scheduler", "tcp://127.0.0.1:9")


def test_common_random_numbers_across_arms(serial_smoke):
    """Replicate r starts from the same population in every grid point; replicates differ."""
    results = load_results(serial_smoke)
    start = results.monthly_with_runs().query("month == 0")
    for _, group in start.groupby("replicate"):
        assert group["seed"].nunique() == 1
        assert group["odf_communities"].nunique() == 1  # same households in the same RTs
    assert start.groupby("seed")["odf_communities"].first().nunique() > 1


# --------------------------------------------------------------------------- failures


def test_failing_runs_are_recorded_and_the_rest_finish(tmp_path):
    """Runs of the edge-list network fail in the workers when its file has gone after the
    design was checked; the others finish."""
    (tmp_path / "ties.txt").write_text("0 1\n1 2\n")
    (tmp_path / "ties.toml").write_text('name = "ties"\n[network]\nedgelist = "ties.txt"\n')
    path = tmp_path / "fails.toml"
    path.write_text(SMOKE.read_text().replace('name = "smoke"', 'name = "fails"').replace(
        '"behaviour.q_imitation" = [0.03, 0.06]', 'network.kind = ["community", "edgelist"]')
        .replace('scenarios = ["default"]', 'scenarios = ["ties.toml"]'))
    experiment = exp.load(path)
    (tmp_path / "ties.txt").unlink()
    out = tmp_path / "out"
    report = run_batch(experiment, out, workers=2, progress="none")
    assert (report.done, report.failed) == (4, 4)
    assert all("edgelist" in error for _, error in report.failures)
    results = load_results(out)
    runs = results.runs.set_index("run_key")
    failed = runs[runs["status"] == "failed"]
    assert (failed["param:network.kind"] == "edgelist").all() and len(failed) == 4
    assert failed["error"].str.contains("not found").all()
    assert (runs.loc[runs["status"] == "done", "param:network.kind"] == "community").all()
    assert set(results.summary["run_key"]) == set(runs.index[runs["status"] == "done"])
    first = status_records(out)
    assert all("Traceback" in r["traceback"] for r in first.values() if r["status"] == "failed")

    assert run_batch(experiment, out, resume=True, progress="none").failed == 4
    second = status_records(out)
    for key, record in second.items():
        if record["status"] == "done":
            assert record == first[key]  # finished runs are not run again
        else:
            assert record["attempt"] == 2  # failed runs are retried on --resume


def test_a_raising_run_does_not_stop_the_batch(tmp_path, monkeypatch):
    """Any exception inside a run (here injected into sanisim.runs.run.run) is recorded."""

    experiment = exp.load(SMOKE)
    doomed = experiment.runs[3]
    _fail_run(monkeypatch, doomed, "overflow in month 7\nsecond line")
    report = run_batch(experiment, tmp_path / "out", executor=SerialExecutor(),
                       progress="none")
    assert (report.done, report.failed) == (7, 1)
    assert report.failures == [(doomed.run_key, "FloatingPointError: overflow in month 7")]
    runs = load_results(tmp_path / "out").runs.set_index("run_key")
    assert runs.loc[doomed.run_key, "status"] == "failed"
    assert runs.loc[doomed.run_key, "error"] == "FloatingPointError: overflow in month 7"
    assert (runs.drop(index=doomed.run_key)["status"] == "done").all()


# --------------------------------------------------------------------------- interruption


@pytest.fixture(scope="module")
def longer(tmp_path_factory) -> tuple[Path, Path]:
    """The LONGER experiment file and its uninterrupted results."""
    folder = tmp_path_factory.mktemp("longer")
    path = folder / "longer.toml"
    path.write_text(textwrap.dedent(LONGER))
    out = folder / "straight"
    report = run_batch(path, out, workers=2, progress="none")
    assert report.ok and report.done == 24
    return path, out


def wait_for_runs(out: Path, count: int, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = out / "status"
        if status.is_dir() and len(list(status.glob("*.json"))) >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"batch ended early: {process.communicate()}")
        time.sleep(0.005)
    raise AssertionError("no runs landed in time")


def test_children_get_ctrl_c_as_from_a_terminal_when_this_process_ignores_it():
    """The interrupt tests' children handle SIGINT even when the test process was started
    with it ignored (``cmd &`` in a shell script, ``nohup``): a plain child keeps it
    ignored, and then a batch would run to its end whatever Ctrl-C a test sends."""
    probe = [sys.executable, "-c", "import signal; handler = signal.getsignal(signal.SIGINT); "
             "print('ignored' if handler is signal.SIG_IGN else handler.__name__)"]
    with sigint_handler(signal.SIG_IGN):
        plain = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
        child = start_as_from_a_terminal(probe, stdout=subprocess.PIPE, text=True)
        terminal = child.communicate(timeout=30)[0]
        ignored_here = signal.getsignal(signal.SIGINT)
    assert plain.strip() == "ignored"
    assert terminal.strip() == "default_int_handler"
    assert ignored_here is signal.SIG_IGN  # this process's own handling is left as it was


def test_a_batch_started_with_ctrl_c_ignored_says_so_and_stops_on_kill(tmp_path, longer):
    """Started as a background job of a script (SIGINT ignored), a batch says after its first
    line that Ctrl-C does not reach it and how to stop it (on standard output: an error stays
    one line on standard error); ``kill PID`` (SIGTERM) stops it cleanly, Ctrl-C does not."""
    path, _ = longer
    out = tmp_path / "background"
    with sigint_handler(signal.SIG_IGN):
        process = start_batch(path, out, 1, start=subprocess.Popen)
    wait_for_runs(out, 1, process)
    assert signal_state(process.pid, signal.SIGINT).disposition == "ignored"
    process.send_signal(signal.SIGINT)  # not acted on
    wait_for_runs(out, len(list((out / "status").glob("*.json"))) + 1, process)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"stop it with: kill {process.pid}" in stdout.splitlines()[1]  # after the first
    assert "Traceback" not in stderr and "--resume" in stderr
    assert 2 <= len(status_records(out)) < 24


def test_signal_state_reads_this_process():
    """The interrupt tests' diagnosis reads a signal's handling from /proc: caught, ignored or
    default, and a thread that blocks it is counted."""
    sleeper = start_as_from_a_terminal(["sleep", "30"])  # SIGINT at its default
    try:
        default = signal_state(sleeper.pid, signal.SIGINT)
    finally:
        sleeper.kill()
        sleeper.wait()
    with sigint_handler(signal.default_int_handler):
        caught = signal_state(os.getpid(), signal.SIGINT)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            blocked = signal_state(os.getpid(), signal.SIGINT)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    with sigint_handler(signal.SIG_IGN):
        ignored = signal_state(os.getpid(), signal.SIGINT)
    assert (default.disposition, default.blocking, default.threads) == ("default", (), 1)
    assert caught.disposition == "caught"  # (helper threads may block it)
    assert len(blocked.blocking) == len(caught.blocking) + 1
    assert ignored.disposition == "ignored"
    assert str(ignored).startswith("SIGINT ignored, blocked in ")
    assert signal_state(2**22 + 1, signal.SIGINT).disposition == "unreadable"  # > pid_max


def test_killed_batch_resumes_to_identical_results(tmp_path, longer):
    path, straight = longer
    out = tmp_path / "killed"
    process = start_batch(path, out, 1)
    wait_for_runs(out, 3, process)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its workers, no clean-up
    process.wait(timeout=30)
    before = status_records(out)
    assert 3 <= len(before) < 24, "the batch finished before it could be killed"

    assert main(["batch", str(path), "--out", str(out), "--resume", "--workers", "2",
                 "--quiet"]) == 0
    assert_same_results(straight, out)
    after = status_records(out)
    assert len(after) == 24
    for key, record in before.items():
        assert after[key] == record  # not run again: same timings, same attempt
    assert {r["attempt"] for r in after.values()} == {1}
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert len(sessions) == 2 and "finished" not in sessions[0]
    assert sessions[1]["to_run"] == 24 - len(before) and sessions[1]["done"] == 24 - len(before)
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_cleanly_and_resumes_to_identical_results(tmp_path, longer, signum):
    """Ctrl-C, or SIGTERM from a job scheduler's time limit: a clean stop, then --resume."""
    path, straight = longer
    out = tmp_path / "interrupted"
    process = start_batch(path, out, 1)
    wait_for_runs(out, 2, process)
    landed = len(list((out / "status").glob("*.json")))
    state = signal_state(process.pid, signum)  # "caught": the driver's stop request
    seen = time.monotonic()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (
        f"the driver then {state}; {landed} runs had landed when the signal was sent, "
        f"{time.monotonic() - seen:.2f} s before the batch ended, exit {process.returncode}"
        f"\n{stdout}\n{stderr}")
    assert "Traceback" not in stderr
    assert "interrupted" in stderr and "--resume" in stderr
    before = status_records(out)
    assert 2 <= len(before) < 24
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert sessions[0]["interrupted"] is True

    assert main(["batch", str(path), "--out", str(out), "--resume", "--quiet"]) == 0
    assert_same_results(straight, out)
    after = status_records(out)
    assert all(after[key] == record for key, record in before.items())
