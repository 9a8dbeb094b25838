"""The report's figures rendered in worker processes while the page is put together.

Each figure is drawn and rendered three times (SVG, wide PNG, phone-width PNG), about 0.5-1.4 s
a figure and most of a report's time. The figures do not depend on each other, so a
:class:`Renderer` with more than one worker sends each figure to a process pool (a fork server
where there is one, its workers started with the figure modules imported, as the batch's) and
the page goes on with its tables meanwhile; :meth:`sanisim.report.sections.Images.finish`
collects them. A figure is sent when its drawing function is a :func:`functools.partial` of a
module-level function (it can be pickled); any other is drawn here, as is a figure a worker
could not draw (a worker's error is drawn again here, so a real error is raised here with its
own traceback). The PNGs are the same bytes either way: the workers import the same modules
and draw from the same inputs (``tests/test_report_rendering.py``; the SVGs draw the same).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from sanisim.report.figures import Image, render_image
from sanisim.runs.executors import available_cpus, init_worker, process_context

#: Most processes a report renders its figures with (a report has 7-12 figures).
MAX_WORKERS = 4
#: Modules a worker starts with (the fork server imports them once).
PRELOAD = ["sanisim.report.figures", "sanisim.report.plots", "sanisim.report.budget"]


def default_workers() -> int:
    """Processes for the figures when none are asked for: the usable CPUs, at most
    :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, available_cpus()))


def _ready() -> None:
    """A first task: the pool starts the fork server and a worker while the store is read
    (one task per worker measured no faster)."""


def _start(pool: ProcessPoolExecutor) -> None:
    """Send the pool its first task (:func:`_ready`). Starting a worker waits until the fork
    server has imported :data:`PRELOAD` (about 1.3 s), so this runs in a thread of its own
    while this process reads the store and computes the tables; a pool already shut down or
    broken meanwhile is the page's to notice (:meth:`Renderer.submit`)."""
    try:
        pool.submit(_ready)
    except (RuntimeError, BrokenProcessPool):
        pass


class Renderer:
    """Renders figures here (``workers`` 1) or in a pool of ``workers`` processes."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else int(workers)
        self.pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=process_context(preload=PRELOAD),
                initializer=init_worker, initargs=(os.getpid(),))
            # the fork server and a first worker start meanwhile, without holding this
            # process up (a worker's start waits for the fork server's imports)
            threading.Thread(target=_start, args=(self.pool,), name="sanisim-renderer-start",
                             daemon=True).start()

    def submit(self, draw: Callable[[], Any]) -> PendingImage:
        """Start rendering ``draw()`` (see the module docs for where)."""
        future = None
        if self.pool is not None and isinstance(draw, partial):
            try:
                future = self.pool.submit(render_image, draw)
            except BrokenProcessPool:  # a worker died: the rest are drawn here
                self.close(cancel=True)
        return PendingImage(draw, future)

    def close(self, cancel: bool = False) -> None:
        """Stop the pool (``cancel``: drop the figures not yet started)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            self.pool = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, kind, *_) -> None:
        self.close(cancel=kind is not None)


class PendingImage:
    """An :class:`~sanisim.report.figures.Image` being rendered; its attributes wait for it."""

    def __init__(self, draw: Callable[[], Any], future: Future | None) -> None:
        self._draw = draw
        self._future = future
        self._image: Image | None = None

    def result(self) -> Image:
        """The image (rendered here if it was not sent, or if its worker failed)."""
        if self._image is None:
            image = None
            if self._future is not None:
                try:
                    image = self._future.result()
                except Exception:  # noqa: BLE001 - drawn again here, where an error is raised
                    image = None
            self._image = image if image is not None else render_image(self._draw)
            self._future = None
        return self._image

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.result(), name)
