"""Shared helpers for the sanisim tests: small models, scenario files, paired-seed statistics."""

from __future__ import annotations

import contextlib
import io
import math
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sanisim.cli import main as cli_main
from sanisim.model import SanitationModel
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.scenario import Scenario, default_scenario


def pytest_collection_modifyitems(config, items) -> None:
    """Modules holding a test marked ``slow`` first, the longest first (``slow(seconds=...)``,
    15 s when not given), each module in its own order; the rest after them.

    ``pytest -n 2`` hands tests out in the order collected, so a long test collected late
    (the wheel's empty-venv install, about a sixth of the whole run) kept one worker busy
    after the other had finished. ``--dist worksteal`` may still split a module between the
    workers, or take its tests up again after another module's; the reports and fits that
    several tests of a module read are therefore session-scoped fixtures, built once per
    worker that needs them and not again when their module comes back.
    """
    longest: dict[Path, float] = {}  # by file: any kind of test item has one
    for item in items:
        mark = item.get_closest_marker("slow")
        if mark is not None:
            longest[item.path] = max(longest.get(item.path, 0.0),
                                     mark.kwargs.get("seconds", 15.0))
    items.sort(key=lambda item: -longest.get(item.path, 0.0))  # a stable sort


#: Household count of the small models most tests run (fast, still hundreds of households
#: below basic, tens of RTs).
SMALL = 2000


def small_model(scenario: Scenario | None = None, seed: int = 0, households: int = SMALL,
                **overrides: Any) -> SanitationModel:
    """A model of ``households`` rows without Mesa household views (arrays only)."""
    scenario = scenario or default_scenario()
    if overrides:
        scenario = scenario.with_params(overrides)
    return SanitationModel(scenario, seed=seed, households=households, household_agents=False)


def final_value(scenario: Scenario, seed: int, months: int, column: str,
                households: int = SMALL) -> float:
    """The value of ``column`` in the last month of one run."""
    model = small_model(scenario, seed, households)
    model.run(months)
    return float(model.monthly_table()[column].iloc[-1])


def paired_differences(treated: Scenario, control: Scenario, seeds: Sequence[int], months: int,
                       column: str, households: int = SMALL) -> np.ndarray:
    """Per-seed difference treated - control of ``column`` at ``months`` (common seeds)."""
    return np.array([final_value(treated, s, months, column, households)
                     - final_value(control, s, months, column, households) for s in seeds])


def mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error (sample standard deviation / sqrt(n))."""
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


@contextlib.contextmanager
def figures_not_drawn() -> Iterator[None]:
    """Reports written in this context draw no figure: each is a blank image (a 1 x 1 PNG,
    an empty SVG), made in this process. For tests of a page's words, tables and escaping,
    which read no figure; drawing is what ``tests/test_report_rendering.py`` and the tests of
    each figure test. A report of 4 strategies: 14-16 s with its figures, 2.6 s without."""
    import matplotlib.image

    from sanisim.report import rendering, sections
    from sanisim.report.figures import Image

    png = io.BytesIO()
    matplotlib.image.imsave(png, np.ones((1, 1, 3)), format="png")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    blank = Image(png.getvalue(), png.getvalue(), svg, 12.0, 12.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rendering, "default_workers", lambda: 1)  # no pool started
        # with ``--workers`` given, a pool still starts but is sent nothing
        patch.setattr(rendering.Renderer, "submit",
                      lambda self, draw: rendering.PendingImage(draw, None))
        for module in (rendering, sections):  # (each imported the name)
            patch.setattr(module, "render_image", lambda draw: blank)
        yield


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario TOML file into ``tmp_path``: ``write_scenario(text, name="s.toml")``."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def assert_one_line(message: str, *must_contain: str) -> None:
    """A user-facing error: one non-empty line that names every given part."""
    assert message.strip(), "empty message"
    assert "\n" not in message.strip(), f"message spans several lines: {message!r}"
    for part in must_contain:
        assert part in message, f"{part!r} not named in {message!r}"


def cli_failure(capsys, argv, *must_name: str) -> str:
    """Run the command line on ``argv``: exit 2, no traceback, one line naming every part."""
    code = cli_main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert_one_line(err, *must_name)
    return err


def serial_batch(root: Path, text: str, name: str = "e.toml") -> Path:
    """Write the experiment ``text`` to ``root/name``, run it in this process and return its
    results store (``root/store``)."""
    path = root / name
    path.write_text(textwrap.dedent(text))
    run_batch(exp.load(path), root / "store", executor=SerialExecutor(), progress="none")
    return root / "store"


@dataclass(frozen=True)
class SignalState:
    """How a process treats one signal, read from /proc (:func:`signal_state`)."""

    name: str
    disposition: str  # "ignored", "caught" (a handler) or "default"; "unreadable": gone
    blocking: tuple[str, ...] = ()  # names of the threads that block it
    threads: int = 0
    pending: str = ""

    def __str__(self) -> str:
        if self.disposition == "unreadable":
            return f"{self.name} unreadable (the process has ended)"
        return (f"{self.name} {self.disposition}, blocked in {len(self.blocking)} of "
                f"{self.threads} threads {list(self.blocking)}, pending {self.pending}")


def signal_state(pid: int, signum: int) -> SignalState:
    """How process ``pid`` treats ``signum`` (from /proc): ignored, caught by a handler or left
    at its default; which of its threads block it and whether it is pending."""
    bit = 1 << (signum - 1)
    name = signal.Signals(signum).name

    def fields(path: Path) -> dict[str, str]:
        pairs = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
        return {key: value.strip() for key, value in pairs}

    try:
        main = fields(Path(f"/proc/{pid}/status"))
        threads = [fields(task / "status") for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return SignalState(name, "unreadable")
    disposition = ("ignored" if int(main["SigIgn"], 16) & bit else
                   "caught" if int(main["SigCgt"], 16) & bit else "default")
    return SignalState(name, disposition,
                       tuple(t.get("Name", "?") for t in threads if int(t["SigBlk"], 16) & bit),
                       len(threads), f"{main.get('SigPnd')}/{main.get('ShdPnd')}")


@contextlib.contextmanager
def sigint_handler(handler) -> Iterator[None]:
    """SIGINT handled by ``handler`` in this process (main thread) inside the block."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_as_from_a_terminal(argv: list[str], **popen: Any) -> subprocess.Popen:
    """``subprocess.Popen(argv, **popen)`` with Ctrl-C (SIGINT) reaching the child as it
    reaches a command typed in a terminal, however this test process was started.

    A process started with SIGINT ignored (a background job of a shell script, ``nohup``,
    some CI runners) passes the ignored signal on to its children, and Python keeps an
    ignored SIGINT ignored: a batch started from such a test process would run to its end
    whatever Ctrl-C the test sends it. A handled signal is reset to its default in the child,
    so SIGINT is handled here while the child starts.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN):
        return subprocess.Popen(argv, **popen)
    with sigint_handler(signal.default_int_handler):
        return subprocess.Popen(argv, **popen)


def start_batch(path: Path, out: Path, workers: int,
                start: Callable[..., subprocess.Popen] = start_as_from_a_terminal,
                ) -> subprocess.Popen:
    """``sanisim batch`` of experiment ``path`` into ``out`` on ``workers`` local processes, as
    ``python -m sanisim`` (the program users run) in its own session: its process group is
    what a terminal's Ctrl-C reaches. Started by ``start``, by default with Ctrl-C reaching it
    as from a terminal (:func:`start_as_from_a_terminal`)."""
    return start(
        [sys.executable, "-m", "sanisim", "batch", str(path), "--out", str(out),
         "--workers", str(workers), "--quiet"], cwd=path.parent, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
