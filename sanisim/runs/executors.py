"""Where runs execute: any ``concurrent.futures``-style executor.

:func:`open_executor` gives a local process pool (the default), Dask's distributed scheduler
(a local cluster, or a running scheduler by address: an HPC cluster through dask-jobqueue,
Kubernetes, ...; see ``docs/cluster.md``), or an in-process executor for debugging. The batch
driver only calls ``submit`` and waits on the futures, so results never depend on which one
ran them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sanisim.errors import InputError

log = logging.getLogger(__name__)

BACKENDS = ("processes", "dask", "serial")
#: Modules a pool's fork server imports once, so that each worker starts warm.
PRELOAD = ["sanisim.runs.run", "sanisim.runs.batch"]


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


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process (debugging, notebooks, tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


def _ignore_interrupt() -> None:
    """Worker initialiser: Ctrl-C is the driver's to handle; workers are stopped by it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_context() -> multiprocessing.context.BaseContext:
    """A fork server where there is one (no fork of a threaded parent), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


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
                                   initializer=_ignore_interrupt)

        def stop_now() -> None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            # shutdown(wait=False) forgets the pool's manager thread; keep it to join it, or
            # the interpreter's exit hook races it and prints a traceback
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            if manager is not None:
                manager.join(timeout=30)

        try:
            yield ExecutorHandle(pool, f"{count} local process{'es' if count > 1 else ''}",
                                 count, stop_now)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    if backend == "dask":
        with _dask_executor(workers, scheduler, dask_processes) as handle:
            yield handle
        return
    raise InputError("--backend", None, f"got {backend!r}; allowed: {', '.join(BACKENDS)}")


@contextmanager
def _dask_executor(workers: int | None, scheduler: str | None,
                   processes: bool) -> Iterator[ExecutorHandle]:
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
        except (OSError, TimeoutError, ValueError) as err:
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise InputError("--scheduler", None,
                             f"cannot reach Dask scheduler {scheduler!r} ({message})") from None
        label = f"Dask scheduler {scheduler}"
    else:
        count = workers or available_cpus()
        cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=processes,
                               dashboard_address=":0")
        client = Client(cluster)
        label = f"local Dask cluster of {count} worker{'s' if count > 1 else ''}"
        log.info("Dask dashboard: %s", client.dashboard_link)
    threads = sum(client.nthreads().values()) or 1
    slots = max(workers or 0, threads)
    executor = client.get_executor(pure=False)

    def stop_now() -> None:
        executor.shutdown(wait=False)

    try:
        yield ExecutorHandle(executor, f"{label} ({threads} threads)", slots, stop_now)
    finally:
        executor.shutdown(wait=False)
        client.close()
        if cluster is not None:
            cluster.close()
