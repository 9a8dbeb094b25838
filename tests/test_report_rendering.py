"""The report's figures rendered in worker processes: the same files as rendered one by one,
a figure that cannot be sent drawn here, a worker's error raised here, a bad --workers refused.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line, serial_batch
from matplotlib.figure import Figure

from sanisim.cli import main
from sanisim.report.figures import render_image
from sanisim.report.rendering import PendingImage, Renderer
from sanisim.report.sections import Images

EXPERIMENT = """
[experiment]
name = "rendering_test"
seed = 8
replicates = 2
months = 18
households = 300
scenarios = ["default"]
bundles = ["baseline", "bcc"]
"""


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return serial_batch(tmp_path_factory.mktemp("rendering"), EXPERIMENT)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file's bytes but the manifest's (it holds the time the report was written; the
    workbook holds the results' time)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


@pytest.mark.slow(seconds=35)
def test_workers_write_the_same_report_as_one_process(store):
    """Every file of the report (PNGs wide and phone, SVGs, CSV tables, the workbook and the
    page) is the same bytes whether the figures are rendered here or by two workers, also when
    this process prints numpy numbers the old way (as it does once ``sciris``, imported with
    Starsim by the benchmark tests, has set ``legacy="1.25"``; the workers' fork server had
    not: that made one full test run give other SVG ids from the workers)."""
    outs = {}
    for workers in (1, 2):
        out = store.parent / f"out{workers}"
        with np.printoptions(legacy="1.25" if workers == 1 else False):
            assert main(["report", str(store), "--out", str(out), "--workers",
                         str(workers)]) == 0
        outs[workers] = _files(out)
    one, two = outs[1], outs[2]
    figures = [name for name in one if name.startswith("figures_en/")]
    assert {f"figures_en/{key}.{kind}" for key in ("ladder", "network", "budget")
            for kind in ("png", "narrow.png", "svg")} <= set(figures)
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_svg_ids_do_not_depend_on_numpy_print_options():
    """matplotlib names an SVG's clip paths and markers by a hash of ``str`` of their numbers;
    the SVG is rendered with numpy's own print options, so a process that changed them writes
    the same SVG."""
    draw = partial(_line_figure, "print options")
    plain = render_image(draw).svg
    with np.printoptions(legacy="1.25", precision=3):
        assert render_image(draw).svg == plain


def test_svg_ids_come_from_a_fixed_salt():
    """The same figure rendered twice gives the same SVG (matplotlib's default salt is
    random: every SVG a different file)."""
    draw = partial(_small_figure, "salt")
    assert render_image(draw).svg == render_image(draw).svg


def _broken_figure():
    raise ValueError("this figure cannot be drawn")


def _small_figure(label: str):
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().set_title(label)
    return fig


def _line_figure(label: str):
    """A line with markers: its clip path and marker get ids (an empty axes has none)."""
    fig = _small_figure(label)
    fig.axes[0].plot([0, 1, 2], [1.0, 3.0, 2.0], marker="o")
    return fig


def test_sent_figures_and_figures_drawn_here_alike(tmp_path):
    """A partial goes to a worker, a lambda is drawn here; both give the image drawing it
    here gives, and the files are written when the report finishes."""
    draw = partial(_small_figure, "sent")
    with Renderer(2) as renderer:
        images = Images(tmp_path, renderer)
        sent = images.save("sent", draw)
        local = images.save("local", lambda: _small_figure("here"))
        assert isinstance(sent, PendingImage) and sent._future is not None
        assert local._future is None
        assert not (tmp_path / "sent.png").exists()  # written by finish
        images.finish()
    assert sent.png == render_image(draw).png
    assert sent.svg == render_image(draw).svg
    assert (tmp_path / "sent.png").read_bytes() == sent.png
    assert (tmp_path / "local.narrow.png").read_bytes() == local.narrow_png
    assert local.png == render_image(lambda: _small_figure("here")).png


def test_a_workers_error_is_raised_here():
    with Renderer(2) as renderer:
        pending = renderer.submit(partial(_broken_figure))
        assert pending._future is not None
        with pytest.raises(ValueError, match="cannot be drawn"):
            pending.result()


@pytest.mark.parametrize("value", ["0", "-1", "99", "two"])
def test_bad_workers_is_one_line_and_exit_2(store, capsys, value):
    assert main(["report", str(store), "--out", str(store.parent / "x"),
                 "--workers", value]) == 2
    assert_one_line(capsys.readouterr().err, "--workers")


def test_the_pool_starts_without_holding_the_page_up(monkeypatch):
    """A worker's start waits for the fork server's imports (about a second): the pool's first
    task is sent from a thread of its own, so that the page reads the store meanwhile."""
    import threading
    from concurrent.futures import ProcessPoolExecutor

    started, release = threading.Event(), threading.Event()
    submit = ProcessPoolExecutor.submit

    def slow_submit(pool, fn, *args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            started.set()
            release.wait(30)  # a fork server still importing
        return submit(pool, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", slow_submit)
    renderer = Renderer(2)  # returns while the first task's submit is held
    try:
        assert started.wait(10), "the first task was sent from this thread"
        assert not release.is_set()
    finally:
        release.set()
        renderer.close()
