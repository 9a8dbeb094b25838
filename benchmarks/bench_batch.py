"""Batch machinery: throughput with 2 workers against 1, and per-run overhead against bare runs.

    .venv/bin/python benchmarks/bench_batch.py [--runs 24] [--households 10000] [--months 120]
    .venv/bin/python benchmarks/bench_batch.py --backends [--posterior 2] [--repeat 3]

1. Throughput: the same batch of ``--runs`` runs on a warm local process pool of 1 and of 2
   workers (pool start-up excluded: it is paid once per batch); target >= 1.8x. Beside it,
   the machine's own ceiling: the same runs split over 2 bare processes against 1.
2. Overhead: the same runs done bare, one after another in this process with
   ``sanisim.runs.run.run``, against the batch on a warm 1-worker pool (run table, seeding,
   scheduling, Parquet serialisation, atomic store writes, status files, manifest and the
   closing summary.csv all included); target < 5% of run time. The components are also timed
   one by one (serialisation in the worker, landing in the store, a no-op round trip through
   the pool), so the overhead is known even where the driver's work overlaps the next run.
   On a machine whose speed drifts, bare runs and the batch timed minutes apart differ by the
   drift; so each 1-worker batch's wall time is also set against its own runs' time in the
   worker (their ``elapsed_seconds``, serialisation included), measured in the same seconds.

3. ``--backends``: ``experiments/compare_strategies.toml`` (``--posterior`` draws, default
   2: 7 bundles x 2 draws x 3 replicates = 42 runs of 10,000 households x 60 months) as a
   whole batch on the local process pool and on a local Dask cluster of the same number of
   workers, in alternating rounds: wall seconds with the executor's start and stop
   (what a ``sanisim batch`` costs) and of the runs alone; the runs' own time inside the
   workers (their ``elapsed_seconds``), so the rest is overhead; the first run on each worker
   against the median (imports a worker pays); a no-op round trip per task; the pickled size
   of a run's specification and of its outcome. A third configuration starts the Dask
   workers Dask's own way (spawned, in Dask's worker environment), as sanisim did before.
   The stores' monthly tables and summaries are compared: they must be identical. Then the
   same batch as users run it: ``python -m sanisim batch ... --backend B`` in a fresh process
   per batch, the two backends alternating, wall time from start to exit (each pays its own
   imports, fork server and cluster start; in one process the fork server started for the
   pool's rounds serves the Dask rounds too, without ``distributed`` among its imports).

Repeats alternate the configurations; the ratios use the best (least disturbed) time of each,
and the medians are printed beside them, so that other load on the machine shows.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import arguments as cli  # benchmarks/ is on sys.path
from machine_info import cpu_name  # on sys.path when run as a script

EXPERIMENT = """
[experiment]
name = "bench"
seed = 1
replicates = {runs}
months = {months}
households = {households}
scenarios = ["default"]
bundles = ["baseline"]
"""


def _warm(_: int) -> int:
    """Start a pool worker properly: imports, first-call costs, a short pause to spread tasks."""
    from sanisim.runs.run import git_commit, run
    from sanisim.scenario import load

    git_commit()
    run(load("default"), seed=0, months=2, households=200)
    time.sleep(0.3)
    return os.getpid()


def _cpu_seconds(_: object = None) -> float:
    """CPU time used so far by the process this runs in (a pool worker, or this one)."""
    return time.process_time()


def batch_wall(experiment, workers: int, folder: Path,
               runs_own: list[tuple[float, float]] | None = None) -> tuple[float, float]:
    """Wall seconds of the batch; with 1 worker also its CPU seconds (driver + worker).
    ``runs_own`` (1 worker): gets the batch's wall seconds and its runs' own seconds (their
    ``elapsed_seconds`` in the worker: scenario, model, outputs, Parquet serialisation)."""
    from sanisim.runs.batch import run_batch
    from sanisim.runs.executors import open_executor
    from sanisim.runs.store import Store

    with open_executor("processes", workers) as handle:
        pids = set(handle.executor.map(_warm, range(2 * workers)))
        assert len(pids) == workers, f"warm-up reached {len(pids)} of {workers} workers"
        out = Path(tempfile.mkdtemp(dir=folder))
        worker_cpu = handle.executor.submit(_cpu_seconds).result() if workers == 1 else 0.0
        cpu, start = time.process_time(), time.perf_counter()
        report = run_batch(experiment, out / "store", executor=handle, progress="none")
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if workers == 1:
            cpu += handle.executor.submit(_cpu_seconds).result() - worker_cpu
    assert report.ok and report.done == len(experiment.runs), report
    if runs_own is not None:
        own = sum(r["elapsed_seconds"] for r in Store(out / "store").statuses().values())
        runs_own.append((wall, own))
    return wall, cpu


def _bare_chunk(specs) -> float:
    """Bare runs in a pool worker (no batch machinery); returns their wall seconds."""
    from sanisim.runs.batch import _scenario
    from sanisim.runs.run import run

    start = time.perf_counter()
    for spec in specs:
        run(_scenario(spec), seed=spec.seed, months=spec.months, households=spec.households,
            bundle=spec.bundle)
    return time.perf_counter() - start


def ceiling(experiment) -> float:
    """Wall seconds of the runs split over 2 bare worker processes: what the machine allows
    at this moment without any batch machinery (the reference for the 2-worker speed-up)."""
    from sanisim.runs.executors import open_executor

    specs = list(experiment.runs)
    with open_executor("processes", 2) as handle:
        list(handle.executor.map(_warm, range(4)))
        start = time.perf_counter()
        halves = [handle.executor.submit(_bare_chunk, specs[i::2]) for i in range(2)]
        for half in halves:
            half.result()
        return time.perf_counter() - start


def fixed_cost(experiment, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds a batch costs once, whatever its size: opening the store, reading
    the statuses, the session records and summary.csv (timed as a --resume with nothing to do;
    writing the run table and manifest of a new store is of the same order)."""
    from sanisim.runs.batch import run_batch
    from sanisim.runs.executors import SerialExecutor

    out = Path(tempfile.mkdtemp(dir=folder)) / "store"
    run_batch(experiment, out, executor=SerialExecutor(), progress="none")
    cpu, start = time.process_time(), time.perf_counter()
    run_batch(experiment, out, executor=SerialExecutor(), progress="none", resume=True)
    return time.perf_counter() - start, time.process_time() - cpu


def bare_wall(experiment) -> tuple[float, float]:
    """Wall and CPU seconds of the runs done one after another in this process."""
    from sanisim.runs.run import run

    cpu, start = time.process_time(), time.perf_counter()
    for spec in experiment.runs:
        run(experiment.scenarios[0], seed=spec.seed, months=spec.months,
            households=spec.households, bundle=spec.bundle)
    return time.perf_counter() - start, time.process_time() - cpu


def components(experiment, folder: Path) -> dict[str, float]:
    """Seconds per run of each piece of machinery, timed alone."""
    from sanisim.runs.batch import monthly_parquet, summary_parquet
    from sanisim.runs.executors import open_executor
    from sanisim.runs.run import run
    from sanisim.runs.store import DONE, RunOutcome, Store

    spec = experiment.runs[0]
    result = run(experiment.scenarios[0], seed=spec.seed, months=spec.months,
                 households=spec.households)
    reps = 50
    start = time.perf_counter()
    for _ in range(reps):
        monthly, summary = (monthly_parquet(spec.run_key, result.monthly),
                            summary_parquet(spec.run_key, result.summary))
    serialise = (time.perf_counter() - start) / reps

    store = Store.open_for_batch(Path(tempfile.mkdtemp(dir=folder)) / "s", experiment, False)
    outcome = RunOutcome(spec.run_key, DONE, monthly=monthly, summary=summary)
    start = time.perf_counter()
    for _ in range(reps):
        store.record(outcome)
    land = (time.perf_counter() - start) / reps
    store.close()

    start = time.perf_counter()
    table = experiment.runs  # noqa: F841 - the run table with seeds, computed once per batch
    seeding = (time.perf_counter() - start) / len(experiment.runs)

    with open_executor("processes", 1) as handle:
        handle.executor.submit(_warm, 0).result()
        start = time.perf_counter()
        for _ in range(reps):
            handle.executor.submit(len, spec.params).result()
        round_trip = (time.perf_counter() - start) / reps
    return {"serialise (worker)": serialise, "land in store (driver)": land,
            "pool round trip": round_trip, "run table and seeds": seeding}


DASK_DEFAULTS = "dask (Dask's own worker start)"


def _noop(_: object = None) -> int:
    return os.getpid()


@contextmanager
def dask_defaults() -> Iterator[None]:
    """A local Dask cluster started Dask's own way (spawned workers, Dask's environment for
    them), as sanisim did before its workers were forked from the pool's fork server."""
    import dask

    from sanisim.runs import executors

    saved, environ = executors.DASK_LOCAL_CONFIG, dict(os.environ)
    executors.DASK_LOCAL_CONFIG = {
        key: dask.config.get(key) for key in saved}  # what Dask's configuration says
    try:
        yield
    finally:
        executors.DASK_LOCAL_CONFIG = saved
        os.environ.clear()  # the nanny sets its pre-spawn environment in this process
        os.environ.update(environ)


def backend_batch(experiment, backend: str, workers: int, folder: Path) -> dict:
    """One whole batch on a freshly opened executor of ``backend``, timed in parts."""
    from sanisim.runs.batch import run_batch
    from sanisim.runs.executors import open_executor
    from sanisim.runs.store import Store

    out = Path(tempfile.mkdtemp(dir=folder)) / "store"
    label, backend = backend, backend.split(" ")[0]
    start = time.perf_counter()
    with (dask_defaults() if label == DASK_DEFAULTS else nullcontext(),
          open_executor(backend, workers) as handle):
        opened = time.perf_counter()
        report = run_batch(experiment, out, executor=handle, progress="none")
        ran = time.perf_counter()
        reps = 50
        trip = time.perf_counter()
        for _ in range(reps):
            handle.executor.submit(_noop).result()
        trip = (time.perf_counter() - trip) / reps
    closed = time.perf_counter()
    assert report.ok and report.done == len(experiment.runs), report
    statuses = Store(out).statuses()
    by_worker: dict[str, list[tuple[str, float]]] = {}
    for record in statuses.values():
        by_worker.setdefault(record["worker"], []).append((record["started"],
                                                           record["elapsed_seconds"]))
    first = [min(runs)[1] for runs in by_worker.values()]  # each worker's first run
    elapsed = [r["elapsed_seconds"] for r in statuses.values()]
    return {"backend": label, "store": out, "open_s": opened - start, "runs_s": ran - opened,
            "close_s": closed - ran - trip * reps, "total_s": closed - start - trip * reps,
            "in_workers_s": sum(elapsed), "median_run_s": statistics.median(elapsed),
            "first_run_s": statistics.mean(first), "round_trip_s": trip,
            "workers": len(by_worker)}


def command_batch(path: Path, backend: str, args: argparse.Namespace, out: Path) -> float:
    """Wall seconds of ``python -m sanisim batch`` in a fresh process on ``backend``, as a
    user runs it: imports, the workers' fork server, the executor, the runs and the exit."""
    command = [sys.executable, "-m", "sanisim", "batch", str(path), "--posterior",
               str(args.posterior), "--backend", backend, "--workers", str(args.workers),
               "--out", str(out), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench_batch: {' '.join(command)} ended with {done.returncode}: "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    return wall


def commands(path: Path, args: argparse.Namespace) -> None:
    """The two backends as users run them: a fresh ``sanisim batch`` per batch, alternating,
    so that each pays its own start (imports, fork server, cluster) and end."""
    walls: dict[str, list[float]] = {"processes": [], "dask": []}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.repeat):
            for backend, times in walls.items():
                times.append(command_batch(path, backend, args,
                                           Path(tmp) / f"{backend}{number}"))
                print(f"  sanisim batch --backend {backend}: {times[-1]:.2f} s", flush=True)
        identical = all(same_results(Path(tmp) / f"processes{i}", Path(tmp) / f"dask{i}")
                        for i in range(args.repeat))
    best = {backend: min(times) for backend, times in walls.items()}
    medians = {backend: statistics.median(times) for backend, times in walls.items()}
    ratio, median = (best["dask"] / best["processes"],
                     medians["dask"] / medians["processes"])
    print(f"as users run it (python -m sanisim batch, a fresh process each): process pool "
          f"{best['processes']:.2f} s, Dask {best['dask']:.2f} s; dask / process pool "
          f"{ratio:.3f}x (medians {median:.3f}x; all: "
          f"{[round(t, 2) for t in walls['processes']]} against "
          f"{[round(t, 2) for t in walls['dask']]})  target <= 1.10x")
    print(f"identical monthly tables and summaries on both backends: {identical}")


def same_results(a: Path, b: Path) -> bool:
    """Whether two stores hold identical monthly tables and summaries, run by run."""
    from sanisim.runs.store import load_results

    ra, rb = load_results(a), load_results(b)
    key = ["run_key", "month"]
    ma, mb = (r.monthly.sort_values(key).reset_index(drop=True) for r in (ra, rb))
    sa, sb = (r.summary.sort_values("run_key").reset_index(drop=True) for r in (ra, rb))
    return ma.equals(mb) and sa.equals(sb) and len(ma) > 0


def backends(args: argparse.Namespace, parser: cli.Parser) -> None:
    """The process pool against a local Dask cluster on the same batch (see the docstring)."""
    import pickle

    from sanisim.runs.batch import execute

    path = Path(__file__).resolve().parents[1] / "experiments" / "compare_strategies.toml"
    experiment = parser.experiment(path, {"posterior": args.posterior})
    spec = experiment.runs[0]
    spec_bytes = len(pickle.dumps(spec))
    outcome_bytes = len(pickle.dumps(execute(spec)))
    print(machine())
    print(f"{path.name} with posterior = {args.posterior}: {len(experiment.runs)} runs of "
          f"{spec.households:,} households x {spec.months} months on {args.workers} workers; "
          f"a run's specification pickles to {spec_bytes:,} B, its outcome to "
          f"{outcome_bytes:,} B")
    rounds: dict[str, list[dict]] = {"processes": [], "dask": [], DASK_DEFAULTS: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for backend in rounds:
                rounds[backend].append(backend_batch(experiment, backend, args.workers,
                                                     Path(tmp)))
                print(f"  {backend}: {rounds[backend][-1]['total_s']:.2f} s", flush=True)
        identical = all(same_results(p["store"], d["store"])
                        and same_results(p["store"], o["store"])
                        for p, d, o in zip(rounds["processes"], rounds["dask"],
                                           rounds[DASK_DEFAULTS], strict=True))
    print("| backend | total (s) | open (s) | runs (s) | close (s) | runs inside workers (s) "
          "| median run (s) | first run on a worker (s) | no-op round trip (ms) |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    best = {}
    for backend, runs in rounds.items():
        b = best[backend] = min(runs, key=lambda r: r["total_s"])
        print(f"| {backend} | {b['total_s']:.2f} | {b['open_s']:.2f} | {b['runs_s']:.2f} | "
              f"{b['close_s']:.2f} | {b['in_workers_s']:.2f} | {b['median_run_s']:.3f} | "
              f"{b['first_run_s']:.3f} | {b['round_trip_s'] * 1e3:.2f} |")
    for dask in ("dask", DASK_DEFAULTS):
        ratio = best[dask]["total_s"] / best["processes"]["total_s"]
        runs_ratio = best[dask]["runs_s"] / best["processes"]["runs_s"]
        medians = (statistics.median(r["total_s"] for r in rounds[dask])
                   / statistics.median(r["total_s"] for r in rounds["processes"]))
        print(f"{dask} / process pool, whole batch: {ratio:.3f}x (medians {medians:.3f}x; "
              f"all: {[round(r['total_s'], 2) for r in rounds['processes']]} against "
              f"{[round(r['total_s'], 2) for r in rounds[dask]]}); runs alone "
              f"{runs_ratio:.3f}x  target <= 1.10x")
    print(f"identical monthly tables and summaries on both backends: {identical}")
    commands(path, args)


def machine() -> str:
    cpu = cpu_name()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average {load:.2f} at start")


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=cli.at_least(1, 100_000), default=24)
    parser.add_argument("--households", type=cli.household_count, default=10_000)
    parser.add_argument("--months", type=cli.month_count, default=120)
    parser.add_argument("--repeat", type=cli.at_least(1, 100), default=3)
    parser.add_argument("--backends", action="store_true",
                        help="only the process pool against a local Dask cluster on a "
                             "compare_strategies batch")
    parser.add_argument("--posterior", type=cli.at_least(1, 10_000), default=2,
                        help="posterior draws of compare_strategies for --backends")
    parser.add_argument("--workers", type=cli.at_least(1, 256), default=2,
                        help="workers for --backends")
    args = parser.parse_args(argv)
    if args.backends:
        backends(args, parser)
        return

    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "bench.toml"
        path.write_text(textwrap.dedent(EXPERIMENT.format(
            runs=args.runs, months=args.months, households=args.households)))
        experiment = parser.experiment(path)
        from sanisim.runs.run import run

        run(experiment.scenarios[0], seed=0, months=2, households=200)  # warm this process
        names = ("bare", "1 worker", "2 workers", "2 bare")
        times: dict[str, list[float]] = {name: [] for name in names}
        cpu_times: dict[str, list[float]] = {name: [] for name in names}
        runs_own: list[tuple[float, float]] = []  # each 1-worker batch: wall, runs' own time
        for _ in range(args.repeat):
            for name, measure in (("bare", lambda: bare_wall(experiment)),
                                  ("1 worker", lambda: batch_wall(experiment, 1, folder,
                                                                  runs_own)),
                                  ("2 workers", lambda: batch_wall(experiment, 2, folder)),
                                  ("2 bare", lambda: (ceiling(experiment), 0.0))):
                wall, cpu = measure()
                times[name].append(wall)
                cpu_times[name].append(cpu)
        parts = components(experiment, folder)
        fixed_wall, fixed_cpu = fixed_cost(experiment, folder)

    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    per_run = best["bare"] / args.runs
    print(f"{args.runs} runs of {args.households:,} households x {args.months} months, "
          f"best and median of {args.repeat}:")
    for name, values in times.items():
        print(f"  {name:10} {best[name]:7.2f} s  ({best[name] / args.runs * 1e3:6.1f} ms per run)"
              f"  median {med[name]:.2f} s; all: {', '.join(f'{v:.2f}' for v in values)}")
    print(f"throughput 2 workers / 1 worker: {best['1 worker'] / best['2 workers']:.2f}x "
          f"(medians: {med['1 worker'] / med['2 workers']:.2f}x)  target >= 1.8x")
    print(f"machine ceiling, 2 bare processes / 1 bare process: "
          f"{best['bare'] / best['2 bare']:.2f}x (medians: {med['bare'] / med['2 bare']:.2f}x)"
          "; other load on the machine shows here")
    print(f"batch on 1 worker against bare runs: {best['1 worker'] / best['bare'] - 1:+.1%} "
          f"of run time (medians: {med['1 worker'] / med['bare'] - 1:+.1%})  target < 5%")
    cpu_bare, cpu_batch = min(cpu_times["bare"]), min(cpu_times["1 worker"])
    print(f"CPU time, batch on 1 worker (driver + worker) against bare runs: "
          f"{cpu_batch:.2f} s / {cpu_bare:.2f} s = {cpu_batch / cpu_bare - 1:+.1%}  "
          f"(less disturbed by other load than wall time)")
    # inside each 1-worker batch: its wall time against its runs' own time in the worker,
    # measured in the same seconds (not against bare runs timed at another moment)
    gaps = [(wall - own - fixed_wall) / own for wall, own in runs_own]
    print(f"inside the batch on 1 worker, against its runs' own time in the worker: "
          f"{min(gaps):+.1%} (median {statistics.median(gaps):+.1%}; the runs' own time "
          f"holds the worker's serialisation)  target < 5%")
    print(f"once per batch: {fixed_wall * 1e3:.0f} ms wall, {fixed_cpu * 1e3:.0f} ms CPU "
          "(store, statuses, sessions, summary.csv)")
    per_run_wall = (best["1 worker"] - best["bare"] - fixed_wall) / args.runs
    per_run_cpu = (cpu_batch - cpu_bare - fixed_cpu) / args.runs
    print(f"per run, once-per-batch cost taken out: wall {per_run_wall * 1e3:+.1f} ms = "
          f"{per_run_wall / per_run:+.1%}, CPU {per_run_cpu * 1e3:+.1f} ms = "
          f"{per_run_cpu / (cpu_bare / args.runs):+.1%} of run time  (target < 5%)")
    total = sum(parts.values())
    print(f"machinery per run, timed alone: {total * 1e3:.2f} ms = {total / per_run:.1%} of a "
          f"{per_run * 1e3:.0f} ms run")
    for name, seconds in parts.items():
        print(f"  {name:24} {seconds * 1e3:7.3f} ms")


if __name__ == "__main__":
    main()
