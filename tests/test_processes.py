"""Processes: a killed driver leaves nothing behind, Ctrl-C at any moment is one line and no
traceback, and local servers listen on the loopback interface only."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import assert_one_line, signal_state, start_batch

from sanisim.cli import main
from sanisim.runs.executors import open_executor
from sanisim.runs.store import load_results

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc; Linux process semantics")

#: 24 runs of 300 households x 24 months: a few seconds on two workers.
BATCH = """
[experiment]
name = "procs"
seed = 2
replicates = 12
months = 24
households = 300
scenarios = ["default"]
bundles = ["baseline", "bcc"]
"""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("procs") / "procs.toml"
    path.write_text(textwrap.dedent(BATCH))
    return path


def session_processes(session: int) -> list[int]:
    """Living (not zombie) processes of a session, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float, what: str, process=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"batch ended before {what}: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.01)


def importing(pid: int) -> bool:
    """Whether the program has got past Python's own start-up into sanisim's imports (numpy
    is mapped): from there on, Ctrl-C is the program's to handle."""
    try:
        return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_a_killed_driver_leaves_no_process_behind(experiment, tmp_path):
    out = tmp_path / "out"
    process = start_batch(experiment, out, 2)
    try:
        wait_until(lambda: any((out / "status").glob("*.json")), 90, "finished run", process)
        helpers = [pid for pid in session_processes(process.pid) if pid != process.pid]
        assert len(helpers) >= 3  # resource tracker, fork server, workers
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        killed = time.monotonic()
        wait_until(lambda: not session_processes(process.pid), 5, "end of every helper")
        assert time.monotonic() - killed < 5
    finally:
        for pid in session_processes(process.pid):  # never leave anything to the next test
            os.kill(pid, signal.SIGKILL)


def forkserver_started(session: int) -> bool:
    """Whether the batch's fork server has started (it then imports sanisim for a second or
    two before it sets up its own signal handling)."""
    for pid in session_processes(session):
        try:
            if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def interrupt_and_check(path: Path, out: Path, ready, moment: float, context: str) -> None:
    """Start a batch, wait until ``ready(pid)``, then ``moment`` seconds, send SIGINT to its
    process group, and check the end: no traceback, one line, finished runs kept."""
    process = start_batch(path, out, 2)
    try:
        wait_until(lambda: ready(process.pid), 60, "the moment to interrupt", process)
        time.sleep(moment)
        state = signal_state(process.pid, signal.SIGINT)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    context = f"{context}: exit {process.returncode}, the driver then {state}, {stderr!r}"
    assert "Traceback" not in stderr and "Error" not in stderr, context
    problems = [line for line in stderr.splitlines() if not line.startswith("INFO ")]
    if process.returncode == 0:  # every run had landed
        assert not problems, context
    else:
        assert process.returncode in (130, -signal.SIGINT), context
        assert len(problems) <= 1 and all("interrupted" in line for line in problems), context
    if (out / "manifest.json").exists():
        assert load_results(out).runs["status"].isin(["done", "pending"]).all()
    # a fork server still importing its preloaded modules ends once it has imported them
    wait_until(lambda: not session_processes(process.pid), 20, "end of every helper")


@pytest.mark.slow(seconds=25)
def test_ctrl_c_at_random_moments_prints_no_traceback(experiment, tmp_path):
    """SIGINT to the batch's whole process group (what Ctrl-C in a terminal does) at random
    moments of its first seconds, while it imports, starts the fork server and workers, and
    runs: exit 130 with one line (or, once every run has landed, a normal end), no traceback
    from the driver, the fork server or a worker; finished runs kept. Then once more just
    after the fork server started (it imports sanisim before it sets up its own handling of
    SIGINT). ``SANISIM_TEST_SEED`` repeats a failure's moments; ``SANISIM_CTRL_C_TRIALS``
    (default 4) searches longer."""
    seed = int(os.environ.get("SANISIM_TEST_SEED", time.time_ns() % 10**6))
    trials = int(os.environ.get("SANISIM_CTRL_C_TRIALS", "4"))  # more: a longer search
    rng = random.Random(seed)
    for number in range(trials):
        moment = rng.uniform(3.0 * number / trials, 3.0 * (number + 1) / trials)  # 0 to 3 s
        interrupt_and_check(experiment, tmp_path / f"out{number}", importing, moment,
                            f"seed {seed}, SIGINT {moment:.2f} s after the imports began")
    moment = rng.uniform(0.05, 0.5)
    interrupt_and_check(experiment, tmp_path / "forkserver", forkserver_started, moment,
                        f"SIGINT {moment:.2f} s after the fork server started")


def listening(pids: list[int]) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of these processes."""
    psutil = pytest.importorskip("psutil")
    found = set()
    for pid in pids:
        try:
            connections = psutil.Process(pid).net_connections(kind="inet")
        except psutil.Error:
            continue
        found |= {(c.laddr.ip, c.laddr.port) for c in connections
                  if c.status == psutil.CONN_LISTEN}
    return found


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_local_dask_cluster_listens_on_the_loopback_interface_only(processes):
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()

    def ours() -> set[tuple[str, int]]:
        return listening([me.pid, *(child.pid for child in me.children(recursive=True))])

    before = ours()
    with open_executor("dask", 1, dask_processes=processes) as handle:
        assert handle.executor.submit(sum, [1, 2]).result(timeout=60) == 3
        opened = ours() - before
    assert opened, "the cluster opened no listening socket (its dashboard at least)"
    assert {address for address, _ in opened} <= {"127.0.0.1", "::1"}, opened


def make_credentials(folder: Path) -> dict[str, str]:
    """A private CA and one certificate signed by it (openssl), as in docs/cluster.md."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make TLS credentials")
    folder.mkdir()

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr",
        "-subj", "/CN=test-node")
    run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "node.pem", "-days", "2")
    return {name: str(folder / name) for name in ("ca.pem", "node.pem", "node.key")}


def test_a_tls_scheduler_serves_the_driver_with_credentials_only(tmp_path, capsys):
    """docs/cluster.md's recipe: a scheduler with mutual TLS runs a batch for a driver whose
    Dask configuration holds the client certificate, and one line refuses a driver without."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from distributed.security import Security

    tls = make_credentials(tmp_path / "tls")
    node = {"cert": tls["node.pem"], "key": tls["node.key"]}
    security = Security(tls_ca_file=tls["ca.pem"], require_encryption=True,
                        **{f"tls_{role}_{part}": path for role in ("scheduler", "worker", "client")
                           for part, path in node.items()})
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(BATCH).replace("replicates = 12", "replicates = 1")
                    .replace("months = 24", "months = 3"))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tls://", host="127.0.0.1", security=security,
                                  dashboard_address="127.0.0.1:0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        code = main(["batch", str(path), "--scheduler", address, "--out", str(tmp_path / "a")])
        assert code == 2
        assert_one_line(capsys.readouterr().err, "--scheduler", "TLS credentials")
        with dask.config.set({"distributed.comm.tls.ca-file": tls["ca.pem"],
                              "distributed.comm.tls.client.cert": node["cert"],
                              "distributed.comm.tls.client.key": node["key"]}):
            code = main(["batch", str(path), "--scheduler", address, "--out",
                         str(tmp_path / "b"), "--quiet"])
    assert code == 0
    assert len(load_results(tmp_path / "b").summary) == 2


def test_a_shutdown_that_hangs_after_the_command_ends_in_bounded_time():
    """Once the command has returned, Python's shutdown (joining pool threads and workers) may
    take at most SANISIM_SHUTDOWN_GRACE seconds: then the process ends with the command's
    exit code (here an exit hook that would wait forever)."""
    script = ("import atexit, sys, threading\n"
              "atexit.register(threading.Event().wait)\n"
              "from sanisim.__main__ import main\n"
              "sys.argv = ['sanisim', '--version']\n"
              "sys.exit(main())\n")
    env = {**os.environ, "SANISIM_SHUTDOWN_GRACE": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sanisim "), done.stdout
    assert time.monotonic() - started < 15


#: A batch's end after Ctrl-C when the pool's manager thread is stuck: the pool's queues stay
#: alive (the stuck thread holds them) and Python's exit waits; the shutdown bound ends it.
STUCK_POOL = """
import sys, threading
from sanisim.__main__ import _end_if_stuck
from sanisim.runs.executors import open_executor

if __name__ == "__main__":
    with open_executor("processes", 2) as handle:
        assert handle.executor.submit(abs, -5).result() == 5
        queues = handle.executor._call_queue, handle.executor._result_queue
        names = [lock._semlock.name for lock in (queues[0]._rlock, queues[0]._wlock,
                 queues[0]._sem, queues[1]._rlock, queues[1]._wlock)]
        handle.stop_now()
    print(" ".join(names), flush=True)
    threading.Thread(target=threading.Event().wait).start()  # the exit waits for it
    threading.Thread(target=_end_if_stuck, args=(130, 0.5), daemon=True).start()
    sys.exit(130)
"""


def test_a_bounded_end_releases_the_pools_semaphores(tmp_path):
    """When the shutdown bound ends the process (os._exit, no finalizers), the semaphores of a
    pool's queues still alive are unlinked first: no "leaked semaphore objects" warning from
    the resource tracker after the batch's one line (seen after a Ctrl-C on a loaded machine),
    and nothing left in /dev/shm."""
    script = tmp_path / "stuck_pool.py"
    script.write_text(STUCK_POOL)
    # the pipes close when the last process holding them ends: the resource tracker
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(
                              Path(__file__).resolve().parents[1])})
    assert done.returncode == 130, done.stderr
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    names = done.stdout.split()
    assert len(names) == 5 and all(name.startswith("/") for name in names), done.stdout
    if Path("/dev/shm").is_dir():
        assert not [n for n in names if Path("/dev/shm", "sem." + n[1:]).exists()]


def test_an_import_cut_by_ctrl_c_is_an_interruption(monkeypatch, capsys):
    """Ctrl-C while an extension module initialises surfaces as ImportError ("initialization
    failed") raised from the KeyboardInterrupt (caught at a random moment of a batch's start:
    a traceback); the command treats it as Ctrl-C: one line, exit 130. Any other ImportError
    still raises."""
    from sanisim import cli
    from sanisim.errors import cut_by_ctrl_c

    def cut(verb):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt

    monkeypatch.setattr(cli, "build_parser", cut)
    assert main(["batch", "x.toml"]) == 130
    assert capsys.readouterr().err.strip() == "sanisim: interrupted"

    def broken(verb):
        raise ImportError("no module named nothing")

    monkeypatch.setattr(cli, "build_parser", broken)
    with pytest.raises(ImportError):
        main(["batch", "x.toml"])
    assert not cut_by_ctrl_c(ImportError("plain"))
    looped = ImportError("looped")
    other = ValueError("other")
    looped.__context__, other.__context__ = other, looped  # a chain that loops: still ends
    assert not cut_by_ctrl_c(looped)


#: A Ctrl-C that lands in a weakref callback (an import's module lock; seen at a random moment
#: of a batch's imports): Python cannot raise it there, prints "Exception ignored in ..." with
#: a traceback, and runs on.
LOST_INTERRUPT = """
import sys, time, weakref
from sanisim.__main__ import catch_lost_interrupts
if sys.argv[1] == "caught":
    catch_lost_interrupts()
class Thing:
    pass
def cut(ref):
    raise KeyboardInterrupt
def broken(ref):
    raise ValueError("not an interrupt")
thing = Thing(); other = Thing()
refs = weakref.ref(thing, cut), weakref.ref(other, broken)
del thing, other
try:
    for _ in range(200):
        time.sleep(0.01)
except KeyboardInterrupt:
    print("interrupted")
else:
    print("ran on")
"""


@pytest.mark.parametrize("mode", ["caught", "plain"])
def test_a_ctrl_c_lost_in_a_callback_is_delivered_again(mode, tmp_path):
    """With the entry's hook the lost KeyboardInterrupt is raised again in the code that runs
    next, silently; any other exception of a callback is reported as Python reports it.
    Without the hook (the control) the interrupt is lost and the program runs on."""
    script = tmp_path / "lost.py"
    script.write_text(LOST_INTERRUPT)
    done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(
                              Path(__file__).resolve().parents[1])})
    assert done.returncode == 0, done.stderr
    assert "ValueError: not an interrupt" in done.stderr
    if mode == "caught":
        assert done.stdout.strip() == "interrupted"
        assert "KeyboardInterrupt" not in done.stderr, done.stderr
    else:
        assert done.stdout.strip() == "ran on"
        assert "KeyboardInterrupt" in done.stderr
