"""Where runs execute: any ``concurrent.futures``-style executor.

:func:`open_executor` gives a local process pool (the default), Dask's distributed scheduler
(a local cluster, or a running scheduler by address: an HPC cluster through dask-jobqueue,
Kubernetes, ...; see ``docs/cluster.md``), or an in-process executor for debugging. The batch
driver only calls ``submit`` and waits on the futures, so results never depend on which one
ran them.

Local processes never outlive their driver: the fork server is started with Ctrl-C ignored
(the driver handles it and stops the pool), and every worker watches the driver's process and
exits as soon as it is gone (a killed driver leaves no worker, fork server or resource tracker
behind). Local servers (a local Dask cluster's scheduler and dashboard) listen on 127.0.0.1
only; ``docs/cluster.md`` says how to reach or secure a cluster on other machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sanisim.errors import InputError

log = logging.getLogger(__name__)

BACKENDS = ("processes", "dask", "serial")
#: Modules a pool's fork server imports once, so that each worker starts warm.
PRELOAD = ["sanisim.runs.run", "sanisim.runs.batch"]
#: The interface local servers (a local Dask cluster's scheduler and dashboard) listen on.
LOCAL_HOST = "127.0.0.1"
#: Seconds between two looks at the driver where the kernel cannot signal its end (no pidfd).
DRIVER_POLL_SECONDS = 0.5
#: Seconds an interrupted batch waits for the process pool's manager thread after stopping it.
STOP_JOIN_SECONDS = 10.0


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@dataclass
class ExecutorHandle:
    """An open executor, what it is, how many runs it can do at once, how to stop it now."""

    executor: Executor
    label: str
    slots: int
    stop_now: Callable[[], None] = field(default=lambda: None)
    #: Most runs sent as one task (the driver sends fewer as the batch's end nears).
    runs_per_task: int = 1


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process (debugging, notebooks, tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


def _wait_for_exit(pid: int) -> None:
    """Return when process ``pid`` has ended: a pidfd that becomes readable when it ends
    (Linux 5.3+), else a look every :data:`DRIVER_POLL_SECONDS`."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    except (AttributeError, OSError):  # pragma: no cover - no pidfd: older kernel, not Linux
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            except PermissionError:  # alive, owned by someone else
                pass
            time.sleep(DRIVER_POLL_SECONDS)
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def _exit_with(driver: int) -> None:
    """End this process as soon as process ``driver`` has ended (a daemon thread)."""
    _wait_for_exit(driver)
    os._exit(1)


def init_worker(driver: int) -> None:
    """Worker initialiser: Ctrl-C is the driver's to handle (workers are stopped by it), and a
    worker ends with its driver, however the driver ended (even ``kill -9``).

    A worker's parent is the fork server, not the driver, so the kernel's parent-death signal
    would not fire when the driver dies; the worker watches the driver itself. Once the
    workers are gone the fork server and the resource tracker see their pipes close and end.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(driver,), name="sanisim-driver-watch",
                     daemon=True).start()


def process_context(preload: list[str] | None = None) -> multiprocessing.context.BaseContext:
    """A fork server where there is one (no fork of a threaded parent), else spawn.

    The fork server imports :data:`PRELOAD` (and ``preload``) once, when it starts; every
    process it forks starts with them imported. A server already running keeps its imports.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD + list(preload or ()))
        _start_forkserver()
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _start_forkserver() -> None:
    """Start the fork server (if not running) with Ctrl-C ignored from its first instruction.

    The fork server ignores SIGINT only once its preloaded modules are imported (seconds);
    a Ctrl-C before that (it reaches the whole process group) would end it with a traceback.
    An ignored signal stays ignored across ``exec``, so the driver ignores SIGINT for the
    moment it takes to start the server (a few milliseconds) and restores its handler.
    """
    if threading.current_thread() is not threading.main_thread():
        multiprocessing.forkserver.ensure_running()  # signals belong to the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def start_fork_server_early(argv: Sequence[str]) -> None:
    """Start the local workers' fork server now, from the command line of a verb that runs
    them, before the verb's own module is imported.

    The fork server imports :data:`PRELOAD` (about 0.7 s) before it forks the first worker,
    and the driver imports about as much before it asks for one; started here, the two
    imports run side by side on two cores instead of one after the other (about 1 s sooner
    to the first run of a batch, docs/performance-log.md). A command line that asks for no
    local workers (``--backend serial``, ``--scheduler``, ``--help``) starts nothing; with
    ``--backend dask`` the server imports ``distributed`` as well, as a local Dask
    cluster's workers need (:func:`_dask_fork_server`). The command line is only looked at
    here: its mistakes are the verb's parser's to report, and whatever is started is what
    :func:`open_executor` would start later. The options are those of
    :func:`sanisim.runs.cli_options.add_executor_options`, named again here because that
    module imports pandas and the parameter records (0.7 s), which is what this overlaps.
    """
    peek = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    peek.add_argument("-h", "--help", action="store_true")
    peek.add_argument("--backend")
    peek.add_argument("--scheduler")
    try:
        given, _ = peek.parse_known_args(list(argv))
    except (argparse.ArgumentError, SystemExit):  # an option without its value: no guess
        return
    if given.help or given.scheduler or given.backend not in (None, "processes", "dask"):
        return
    dask = given.backend == "dask" and importlib.util.find_spec("distributed") is not None
    process_context(["distributed"] if dask else None)


def chosen_backend(backend: str | None, scheduler: str | None) -> str:
    """The backend a command line asks for: as given, else Dask when a scheduler address is
    given, else local processes; a scheduler address with another backend is a mistake."""
    if scheduler and backend not in (None, "dask"):
        raise InputError("--scheduler", None, "needs --backend dask (or no --backend)")
    return backend or ("dask" if scheduler else "processes")


@contextmanager
def open_executor(backend: str = "processes", workers: int | None = None,
                  scheduler: str | None = None, *,
                  dask_processes: bool = True) -> Iterator[ExecutorHandle]:
    """Open an executor for a batch and close it afterwards.

    Args:
        backend: "processes" (a local process pool), "dask" or "serial" (in this process).
        workers: processes or Dask workers to start (default: the CPUs available); with a
            ``scheduler`` address, the number of runs to keep queued per worker thread is
            taken from the cluster instead.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        dask_processes: for a local Dask cluster, whether workers are processes (default)
            or threads in this process.
    """
    if scheduler and backend != "dask":
        raise InputError("--scheduler", None, "needs --backend dask")
    if backend == "serial":
        yield ExecutorHandle(SerialExecutor(), "in-process (serial)", 1)
        return
    if backend == "processes":
        count = workers or available_cpus()
        pool = ProcessPoolExecutor(max_workers=count, mp_context=process_context(),
                                   initializer=init_worker, initargs=(os.getpid(),))

        stopped = []

        def stop_now() -> None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            # shutdown(wait=False) forgets the pool's manager thread; keep it to join it, or
            # the interpreter's exit hook races it and prints a traceback
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            if manager is not None:
                manager.join(timeout=STOP_JOIN_SECONDS)
            stopped.append(True)

        try:
            yield ExecutorHandle(pool, f"{count} local process{'es' if count > 1 else ''}",
                                 count, stop_now)
        finally:
            # after a stop the manager thread has had its time: never wait on it again here
            # (a pool whose workers were terminated can leave it stuck; the program's end is
            # bounded in sanisim.__main__)
            pool.shutdown(wait=not stopped, cancel_futures=True)
        return
    if backend == "dask":
        with _dask_executor(workers, scheduler, dask_processes) as handle:
            yield handle
        return
    raise InputError("--backend", None, f"got {backend!r}; allowed: {', '.join(BACKENDS)}")


#: Runs per Dask task: a task's way through the scheduler costs the driver about 5 ms of CPU
#: (on the machine its workers compute on, for a local cluster), a twentieth of a 10,000-household
#: run of five years; several runs a task share it (docs/performance-log.md).
DASK_RUNS_PER_TASK = 4

#: What a local Dask cluster's worker processes start from, for the process pool's reasons.
DASK_LOCAL_CONFIG = {
    # forked from the pool's fork server (sanisim and distributed already imported) instead
    # of a fresh interpreter importing them again in every worker
    "distributed.worker.multiprocessing-method": "forkserver",
    # the same environment as the pool's workers: Dask's default lowers glibc's trim
    # threshold to 64 KiB, so numpy's work arrays go back to the system and fault in again
    # every month, and sets thread counts of BLAS libraries the model does not use
    "distributed.nanny.pre-spawn-environ": {},
    # no statistical profiler in the workers: it samples the running task's stack every
    # 10 ms (a few per cent of a run on two cores) for the dashboard's profile page, which a
    # batch does not need
    "distributed.worker.profile.enabled": False,
    # the servers' housekeeping at a batch's pace: each process checks its event loop's
    # health every 20 ms and samples system statistics for the dashboard every 0.5 s by
    # default, and each worker checks its memory every 0.1 s. Idle, a local cluster of two
    # workers took 0.9 s of CPU in 10 s that way, 0.14 s with these (docs/performance-log.md),
    # on the cores its workers compute on
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _dask_fork_server(processes: bool) -> bool:
    """Start the fork server a local Dask cluster's worker processes are forked from, as the
    process pool's are (:func:`process_context`), with ``distributed`` among its imports;
    whether there is one (else Dask spawns them)."""
    if not processes or "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    process_context(["distributed"])
    return True


@contextmanager
def _worker_environment(forked: bool) -> Iterator[None]:
    """Start a local Dask cluster's worker processes in the process pool's environment
    (:data:`DASK_LOCAL_CONFIG`) when they are forked from its fork server
    (:func:`_dask_fork_server`); else Dask's own way."""
    if not forked:
        yield
        return
    import dask

    with dask.config.set(DASK_LOCAL_CONFIG):
        yield


@contextmanager
def _dask_executor(workers: int | None, scheduler: str | None,
                   processes: bool) -> Iterator[ExecutorHandle]:
    # a local cluster's fork server first: it imports sanisim and distributed while this
    # process imports distributed (side by side, not one after the other)
    forked = (not scheduler and importlib.util.find_spec("distributed") is not None
              and _dask_fork_server(processes))
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--backend", None, "dask needs the 'cluster' extra: "
                         "pip install 'sanisim[cluster]'") from None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO chatter is not ours
    cluster = None
    if scheduler:
        try:
            import dask

            client = Client(scheduler, timeout=dask.config.get(
                "distributed.comm.timeouts.connect", "30s"))
        except TypeError:  # distributed's word for a tls:// address without a context
            if not scheduler.startswith("tls://"):
                raise
            raise InputError("--scheduler", None, f"{scheduler!r} needs TLS credentials: set "
                             "distributed.comm.tls.ca-file, .client.cert and .client.key in "
                             "the Dask configuration (see docs/cluster.md)") from None
        except (OSError, TimeoutError, ValueError) as err:
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise InputError("--scheduler", None,
                             f"cannot reach Dask scheduler {scheduler!r} ({message})") from None
        label = f"Dask scheduler {scheduler}"
    else:
        count = workers or available_cpus()
        # scheduler, workers and every HTTP server (a worker's too, which otherwise listens
        # on all interfaces) on the loopback interface only: a Dask scheduler has no
        # authentication, and other machines must not reach it (docs/cluster.md)
        with _worker_environment(forked):
            cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=processes,
                                   host=LOCAL_HOST if processes else None,  # threads: here
                                   dashboard_address=f"{LOCAL_HOST}:0",
                                   worker_dashboard_address=f"{LOCAL_HOST}:0")
        client = Client(cluster)
        label = f"local Dask cluster of {count} worker{'s' if count > 1 else ''}"
        log.info("Dask dashboard: %s", client.dashboard_link)
    threads = sum(client.nthreads().values()) or 1
    slots = max(workers or 0, threads)
    executor = client.get_executor(pure=False)

    def stop_now() -> None:
        executor.shutdown(wait=False)

    try:
        yield ExecutorHandle(executor, f"{label} ({threads} threads)", slots, stop_now,
                             runs_per_task=DASK_RUNS_PER_TASK)
    finally:
        executor.shutdown(wait=False)
        client.close()
        if cluster is not None:
            cluster.close()
