"""The batch driver: run an experiment's run table on an executor into a results store.

Design (:mod:`sanisim.runs.experiment`), execution (:mod:`sanisim.runs.executors`) and storage
(:mod:`sanisim.runs.store`) are separate; this module ties them together and adds the
``sanisim batch`` command. A worker runs :func:`execute` on one :class:`RunSpec` and hands
back the run's tables as Parquet bytes; only the driver writes to the store, so workers need
no shared file system.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sanisim.errors import InputError
from sanisim.outputs import default_folder, output_folder
from sanisim.runs import run as runner
from sanisim.runs.cli_options import add_executor_options, at_least, parameter, replicates
from sanisim.runs.executors import ExecutorHandle, chosen_backend, open_executor
from sanisim.runs.experiment import (
    MAX_RUNS,
    OVERRIDABLE,
    Experiment,
    RunSpec,
    _configured,
    load,
    resolve,
)
from sanisim.runs.grow import grow
from sanisim.runs.run import git_commit, package_version
from sanisim.runs.store import (
    DONE,
    FAILED,
    Damage,
    RunOutcome,
    Store,
    atomic_write,
    load_results,
    now,
)
from sanisim.scenario import INSTITUTIONS, Scenario

log = logging.getLogger(__name__)

#: Seconds between two looks at a stop request while runs are in flight.
STOP_POLL_SECONDS = 0.2

# --------------------------------------------------------------------------- one run (worker)

def _scenario(spec: RunSpec) -> Scenario:
    """The run's scenario: the spec's, with the parameter point's values, then the posterior
    draw's."""
    applied = spec.applied
    if applied:
        return _configured(spec.config, applied, source=f"run {spec.run_key}")
    return spec.config


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def monthly_parquet(run_key: str, monthly) -> bytes:
    """The monthly table of one run, with its key, as Parquet bytes (money as float64)."""
    columns = {"run_key": pa.array([run_key] * len(monthly), pa.string())}
    for name, series in monthly.items():
        values = series.to_numpy()
        if name.startswith("spending_"):  # an all-zero month sum can come out as int
            values = values.astype("float64")
        columns[name] = pa.array(values)  # column by column: far faster than from_pandas
    sink = pa.BufferOutputStream()
    # dictionary encoding and statistics only where they pay: the key and the month
    pq.write_table(pa.table(columns), sink, use_dictionary=["run_key"],
                   write_statistics=["run_key", "month"])
    return sink.getvalue().to_pybytes()


def summary_parquet(run_key: str, summary: dict[str, Any]) -> bytes:
    """The summary of one run as a one-row Parquet table."""
    row = {"run_key": [run_key], **{k: [_plain(v)] for k, v in summary.items()}}
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(row), sink)
    return sink.getvalue().to_pybytes()


def execute(spec: RunSpec) -> RunOutcome:
    """Do one run; never raises for a failing run (the error is in the outcome)."""
    started, clock = now(), time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        scenario = _scenario(spec)
        result = runner.run(scenario, seed=spec.seed, months=spec.months,
                            households=spec.households, bundle=spec.bundle)
        monthly = monthly_parquet(spec.run_key, result.monthly)
        summary = summary_parquet(spec.run_key, result.summary)
    except Exception as err:  # noqa: BLE001 - a failing run is recorded, not fatal
        return RunOutcome(spec.run_key, FAILED, error=_one_line(err),
                          traceback=traceback.format_exc(), started=started, finished=now(),
                          elapsed_seconds=time.perf_counter() - clock, worker=worker)
    return RunOutcome(spec.run_key, DONE, monthly=monthly, summary=summary, started=started,
                      finished=now(), elapsed_seconds=time.perf_counter() - clock,
                      worker=worker)


def execute_all(specs: list[RunSpec]) -> list[RunOutcome]:
    """Do the runs of one task in turn (one run, or several on an executor that takes several,
    see :func:`_drive`); each outcome as :func:`execute` gives it."""
    return [execute(spec) for spec in specs]


def _task_size(per_task: int, left: int, slots: int) -> int:
    """Runs in the next task: up to ``per_task``, fewer as the batch's end nears, so that the
    last runs still spread over every slot (about two tasks per slot of what is left)."""
    return max(1, min(per_task, left // (2 * slots)))


# --------------------------------------------------------------------------- the driver


@dataclass
class BatchReport:
    """What one ``run_batch`` call did."""

    experiment: str
    out: Path
    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    elapsed_seconds: float = 0.0
    executor: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    broken: bool = False
    interval_holds: str = "seed noise"
    #: Finished runs whose files were found damaged on resume, run again in this session.
    damaged: list[Damage] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.skipped + self.done + self.failed

    @property
    def ok(self) -> bool:
        return not (self.failed or self.interrupted or self.broken)


class _Progress:
    """A tqdm bar (runs done, failed, ETA), or plain log lines for log files, or nothing."""

    def __init__(self, mode: str, total: int, initial: int, name: str) -> None:
        self.mode, self.total, self.initial, self.name = mode, total, initial, name
        self.count = initial
        self.start = self.last_log = time.monotonic()
        self.bar = None
        if mode == "bar":
            self.bar = tqdm(total=total, initial=initial, unit="run", desc=name,
                            file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def update(self, done: int, failed: int) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"done {done}, failed {failed}", refresh=False)
            self.bar.update(1)
        elif self.mode == "log":
            now = time.monotonic()
            step = max(1, self.total // 20)
            if self.count == self.total or self.count % step == 0 or now - self.last_log > 60:
                self.last_log = now
                ran = self.count - self.initial
                eta = (now - self.start) / ran * (self.total - self.count) if ran else 0.0
                log.info("%s: %d/%d runs (%d done, %d failed this session), %s elapsed, "
                         "ETA %s", self.name, self.count, self.total, done, failed,
                         _duration(now - self.start), _duration(eta))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def run_batch(experiment: Experiment | str | Path, out: str | Path | None = None, *,
              backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: str = "bar",
              executor: Executor | ExecutorHandle | None = None,
              dask_processes: bool = True) -> BatchReport:
    """Run every unfinished run of ``experiment`` and land each in the store at ``out``.

    Args:
        experiment: an :class:`Experiment` or the path of an experiment file.
        out: results folder (default ``results/<experiment name>``).
        backend, workers, scheduler, dask_processes: see
            :func:`sanisim.runs.executors.open_executor`.
        resume: continue a store of the same experiment: skip its done runs, retry failed ones;
            with a design that adds replicates, grid values, bundles, scenarios or posterior
            draws to the store's (and changes none of its runs), extend it.
        progress: "bar" (tqdm on stderr), "log" (INFO log lines) or "none".
        executor: run on this executor instead of opening one (it is not shut down).

    A run that raises is recorded as failed; Ctrl-C stops the batch cleanly (finished runs stay
    in the store, ``resume`` continues it). Returns a :class:`BatchReport`.
    """
    if not isinstance(experiment, Experiment):
        experiment = load(experiment)
    out = Path(out) if out is not None else Path("results") / experiment.name
    if resume:  # a design that adds to the store's: extend it (sanisim.runs.grow)
        grow(out, experiment)
    store = Store.open_for_batch(out, experiment, resume)
    try:
        statuses = store.statuses()
        done_keys = {k for k, s in statuses.items() if s.get("status") == DONE}
        todo = [spec for spec in experiment.runs if spec.run_key not in done_keys]
        attempts = {k: int(s.get("attempt", 1)) for k, s in statuses.items()}
        report = BatchReport(experiment.name, out, len(experiment.runs),
                             skipped=len(experiment.runs) - len(todo),
                             interval_holds=experiment.interval_holds, damaged=store.damaged)
        _announce_damage(store.damaged, progress)
        manifest = store.manifest()
        if manifest.get("git_commit") not in (None, git_commit()):
            log.warning("%s was started at commit %s; this session runs %s", out,
                        manifest.get("git_commit"), git_commit())
        session = store.add_session({"started": now(), "host": socket.gethostname(),
                                     "pid": os.getpid(), "git_commit": git_commit(),
                                     "sanisim_version": package_version(),
                                     "to_run": len(todo),
                                     **({"damaged_runs": [d.run_key for d in store.damaged]}
                                        if store.damaged else {})})
        clock = time.monotonic()
        try:
            if todo:
                with stop_requests() as stop:
                    if executor is None:
                        with open_executor(backend, workers, scheduler,
                                           dask_processes=dask_processes) as handle:
                            _drive(handle, todo, attempts, store, report, progress, stop)
                    else:
                        handle = executor if isinstance(executor, ExecutorHandle) else (
                            ExecutorHandle(executor, type(executor).__name__, workers or 1))
                        _drive(handle, todo, attempts, store, report, progress, stop,
                               owned=False)
        except InputError as err:  # a store file that cannot be written (a full disk)
            with suppress(InputError):  # the manifest may not be writable either
                store.update_session(session, stopped=now(), error=str(err),
                                     done=report.done, failed=report.failed)
            raise
        report.elapsed_seconds = time.monotonic() - clock
        store.update_session(session, finished=now(), executor=report.executor,
                             done=report.done, failed=report.failed,
                             interrupted=report.interrupted, broken=report.broken)
        if not report.interrupted:
            _write_summary_csv(store.root)
    finally:
        store.close()
    return report


def _announce_damage(damaged: list[Damage], progress: str) -> None:
    """One line per damaged run found on resume (at most five, then a count): on stderr with
    the progress output, else in the log."""
    lines = [f"{damage}; running it again" for damage in damaged[:5]]
    if len(damaged) > 5:
        lines.append(f"... and {len(damaged) - 5} more damaged runs; running them again")
    for line in lines:
        if progress == "none":
            log.warning("%s", line)
        else:
            print(f"sanisim batch: {line}", file=sys.stderr, flush=True)


@contextmanager
def stop_requests() -> Iterator[threading.Event]:
    """While runs are in flight, Ctrl-C (SIGINT), and SIGTERM when a handler is set for it,
    set the returned event instead of raising ``KeyboardInterrupt`` wherever the driver is.

    The driver looks at the event between runs and stops cleanly; an exception raised in the
    middle of starting a worker process would leave that process half-started (it then
    prints a traceback when the pool's semaphores are gone). A second signal raises
    ``KeyboardInterrupt`` at once (a long run in this process, ``--backend serial``, is not
    waited for). Signals left at their default or ignored are not touched; outside the main
    thread nothing is changed.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def request(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if callable(signal.getsignal(signum)):
            previous[signum] = signal.signal(signum, request)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _drive(handle: ExecutorHandle, todo: list[RunSpec], attempts: dict[str, int], store,
           report: BatchReport, progress: str, stop: threading.Event | None = None,
           owned: bool = True) -> None:
    """Submit runs (a bounded window of them) and land each outcome as it completes, until
    every run has landed or ``stop`` is set (Ctrl-C: the runs in flight are abandoned)."""
    stop = stop or threading.Event()
    report.executor = handle.label
    log.info("%s: %d runs to do on %s", report.experiment, len(todo), handle.label)
    window = 2 * handle.slots + 2
    sent = 0  # runs submitted: todo[:sent]
    pending: dict[Future, list[RunSpec]] = {}
    bar = _Progress(progress, report.total, report.skipped, report.experiment)

    def land(outcome: RunOutcome) -> None:
        store.record(outcome, attempts.get(outcome.run_key, 0) + 1)
        if outcome.status == FAILED:
            report.failed += 1
            report.failures.append((outcome.run_key, outcome.error or ""))
            log.info("run %s failed: %s", outcome.run_key, outcome.error)
        else:
            report.done += 1
        bar.update(report.done, report.failed)

    def abandon() -> None:
        for future in pending:
            future.cancel()
        if owned:
            handle.stop_now()

    try:
        while not stop.is_set():
            while not report.broken and len(pending) < window and not stop.is_set():
                size = _task_size(handle.runs_per_task, len(todo) - sent, handle.slots)
                specs = todo[sent:sent + size]
                if not specs:
                    break
                sent += len(specs)
                pending[handle.executor.submit(execute_all, specs)] = specs
            if not pending:
                break
            completed, _ = wait(pending, timeout=STOP_POLL_SECONDS,
                                return_when=FIRST_COMPLETED)
            for future in completed:  # landed even when a stop was asked meanwhile
                specs = pending.pop(future)
                try:
                    outcomes = future.result()
                except BrokenExecutor as err:
                    report.broken = True
                    outcomes = [RunOutcome(spec.run_key, FAILED, finished=now(), error=(
                        f"worker process died while running it ({_one_line(err)})"))
                        for spec in specs]
                except Exception as err:  # noqa: BLE001 - e.g. a Dask worker lost
                    outcomes = [RunOutcome(spec.run_key, FAILED, error=_one_line(err),
                                           finished=now()) for spec in specs]
                for outcome in outcomes:
                    land(outcome)
        if stop.is_set() and (pending or sent < len(todo)):
            report.interrupted = True
    except KeyboardInterrupt:  # a second Ctrl-C, or signals not deferred (not main thread)
        report.interrupted = True
    except BaseException:  # a run that cannot be landed (a full disk): stop the workers too
        abandon()
        raise
    finally:
        bar.close()
    if report.interrupted:
        abandon()
        log.info("%s: interrupted; %d runs were in flight", report.experiment,
                 sum(map(len, pending.values())))


def _write_summary_csv(root: Path) -> None:
    """``summary.csv``: every run of the table with its status and summary, for spreadsheets
    (a column both hold, ``months`` and ``households``, once: the run table's)."""
    results = load_results(root, monthly=False)
    summary = results.summary
    summary = summary.drop(columns=[c for c in summary.columns
                                    if c != "run_key" and c in results.runs.columns])
    table = results.runs.merge(summary, on="run_key", how="left")
    atomic_write(root / "summary.csv", table.to_csv(index=False).encode())


# --------------------------------------------------------------------------- command line


def cmd_batch(args: argparse.Namespace) -> int:
    backend = chosen_backend(args.backend, args.scheduler)
    overrides = {key: getattr(args, key) for key in OVERRIDABLE}
    experiment = load(resolve(args.experiment), overrides)
    out = output_folder(Path(args.out) if args.out else default_folder(experiment.name))

    def terminate(signum, frame):  # a scheduler's time limit: stop like Ctrl-C
        raise KeyboardInterrupt

    if args.quiet:
        log.setLevel(logging.INFO)
    print(f"sanisim batch: {experiment.name}: {experiment.describe()} -> {out}", flush=True)
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # started with Ctrl-C ignored (a background job of a script, nohup): it stays ignored
        # (on standard output with the batch's first line: an error stays one line on stderr)
        print(f"sanisim batch: Ctrl-C does not reach this batch (it was started with SIGINT "
              f"ignored, as in the background of a script); stop it with: kill {os.getpid()}",
              flush=True)
    previous = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    try:
        report = run_batch(experiment, out, backend=backend, workers=args.workers,
                           scheduler=args.scheduler, resume=args.resume,
                           progress="log" if args.quiet else "bar")
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if report.interrupted:
        print(f"sanisim batch: interrupted; {report.finished} of {report.total} runs are in "
              f"{out}; continue with: sanisim batch {args.experiment}"
              f"{_override_options(overrides)} --out {out} --resume",
              file=sys.stderr)
        return 130
    print(f"sanisim batch: {report.total} runs: {report.done} done, {report.failed} failed, "
          f"{report.skipped} already finished; {report.elapsed_seconds:.1f} s on "
          f"{report.executor or 'no executor (nothing to do)'} -> {out}")
    print(f"sanisim batch: intervals over this batch's runs hold {report.interval_holds}")
    for run_key, error in report.failures[:5]:
        print(f"  failed {run_key}: {error}")
    if len(report.failures) > 5:
        print(f"  ... and {len(report.failures) - 5} more (see {out}/status/)")
    if report.broken:
        print("sanisim batch: the worker pool broke (a worker process died: out of memory?); "
              "the rest were not run; continue with --resume", file=sys.stderr)
    return 0 if report.ok else 1


def _override_options(overrides: dict[str, Any]) -> str:
    """The command-line options that set ``overrides`` (`` --months 12``), for a hint."""
    return "".join(f" --{key} {value}" for key, value in overrides.items() if value is not None)


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``batch`` verb to the ``sanisim`` command."""
    batch = verbs.add_parser(
        "batch", help="run an experiment file (a batch of runs) into a results store",
        description="Run every run of an experiment file on local processes or a Dask "
                    "cluster; each finished run lands in the results folder at once, so an "
                    "interrupted batch continues with --resume. Exit 1 if a run failed.")
    batch.add_argument("experiment", help="experiment TOML file (see docs/experiments.md), or "
                       "the name of a shipped experiment (compare_strategies, smoke, ...)")
    add_executor_options(batch)
    batch.add_argument("--replicates", type=replicates, default=None,
                       help="replicates (default: the file's experiment.replicates)")
    batch.add_argument("--months", type=parameter("run.months"), default=None,
                       help="months of every run (default: the file's experiment.months; "
                            "bounds of run.months)")
    batch.add_argument("--households", type=parameter("population.households"), default=None,
                       help="households of every run (default: the file's "
                            "experiment.households; bounds of population.households)")
    batch.add_argument("--institutions", choices=INSTITUTIONS, default=None,
                       help="the scenarios' sanitarians, cooperatives, budgets and programme "
                            "agents: as they are, or scaled with each run's households "
                            "(default: the file's experiment.institutions, else as-is)")
    batch.add_argument("--posterior", type=at_least(1, MAX_RUNS), default=None, metavar="N",
                       help="posterior draws (default: the file's experiment.posterior)")
    batch.add_argument("--out", default=None, metavar="DIR",
                       help="results folder (default: results/EXPERIMENT_NAME)")
    batch.add_argument("--resume", action="store_true",
                       help="continue the batch in --out: skip finished runs, retry failed "
                            "ones; when the experiment file adds replicates, grid values, "
                            "bundles, scenarios or posterior draws, run only the new runs")
    batch.add_argument("--quiet", action="store_true",
                       help="no progress bar; occasional progress lines for log files")
    batch.set_defaults(func=cmd_batch)
