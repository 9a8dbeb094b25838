"""A local Dask cluster's worker processes start as the process pool's do, with the same results."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
from pathlib import Path

import pytest

from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor, open_executor
from sanisim.runs.store import load_results

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                reason="workers are forked from a fork server where there is one")

SMOKE = Path(__file__).resolve().parents[1] / "experiments" / "smoke.toml"
IMPORTED = "[m in __import__('sys').modules for m in ('sanisim.runs.batch', 'distributed')]"


def test_local_dask_workers_are_forked_warm_and_match_serial(tmp_path):
    with open_executor("dask", 2) as handle:
        server = multiprocessing.forkserver._forkserver._forkserver_pid
        # what a worker holds before it has run anything of sanisim's
        assert handle.executor.submit(eval, IMPORTED).result() == [True, True]
        parents = {handle.executor.submit(os.getppid).result() for _ in range(4)}
        assert parents == {server}  # forked from the fork server, not spawned by the driver
        # not Dask's environment for spawned workers (glibc trimming at 64 KiB)
        assert handle.executor.submit(os.getenv, "MALLOC_TRIM_THRESHOLD_").result() is None
        # the servers' housekeeping at a batch's pace (executors.DASK_LOCAL_CONFIG), read in
        # a worker: event-loop tick 1 s, system samples 5 s, memory checks 1 s
        assert handle.executor.submit(_housekeeping).result() == [1000.0, 5000.0, 1000.0]
        report = run_batch(SMOKE, tmp_path / "dask", executor=handle, progress="none")
    assert report.ok and report.done == 8
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ or os.environ.get(
        "MALLOC_TRIM_THRESHOLD_") != "65536"  # the driver's environment is left alone
    serial = run_batch(SMOKE, tmp_path / "serial", executor=SerialExecutor(), progress="none")
    assert serial.ok
    left, right = load_results(tmp_path / "serial"), load_results(tmp_path / "dask")
    key = ["run_key", "month"]
    assert left.monthly.sort_values(key).reset_index(drop=True).equals(
        right.monthly.sort_values(key).reset_index(drop=True))
    assert left.summary.sort_values("run_key").reset_index(drop=True).equals(
        right.summary.sort_values("run_key").reset_index(drop=True))


def _housekeeping() -> list[float]:
    """Milliseconds between a worker's event-loop checks, system samples and memory checks."""
    from distributed import get_worker

    callbacks = get_worker().periodic_callbacks
    return [callbacks[name].callback_time for name in ("tick", "monitor", "memory_monitor")]
