"""The parts a report page is made of: sections (a district, the comparison of districts, a
sweep, what to fund), their figures (a wide image and a phone-width one, embedded as data
URLs) and the folder the figure files are written to.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanisim.report import prose
from sanisim.report.figures import INTERVAL_FIGURES, Image, render_image
from sanisim.report.rendering import PendingImage, Renderer
from sanisim.report.tables import TableView


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass
class Figure:
    """A figure on the page: its images (wide and narrow) and words."""

    key: str
    title: str
    caption: str
    image: Image | PendingImage

    @property
    def src(self) -> str:
        return data_url(self.image.png)

    @property
    def src_narrow(self) -> str:
        return data_url(self.image.narrow_png)


@dataclass
class Budget:
    """A district's budget view (:mod:`sanisim.report.budget`): a sentence per arm, a figure
    and a table."""

    title: str
    sentences: list[str]
    figure: Figure
    table: TableView


@dataclass
class Section:
    """One part of the page: a district, the comparison of districts, or a sweep."""

    anchor: str
    title: str
    description: str = ""
    notes: list[str] = field(default_factory=list)
    findings: list[tuple[str, Any]] = field(default_factory=list)
    strategies: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)
    budget: Budget | None = None
    #: the 100-0-100 gaps of both sectors (:mod:`sanisim.report.waste_gap`), with solid waste
    gaps: Any = None


@dataclass
class Part:
    """A part of the "what to fund" section (:mod:`sanisim.report.funding`): a heading,
    sentences, figures and tables."""

    anchor: str
    title: str
    sentences: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)


@dataclass
class Funding:
    """The "what to fund" section of a district, from its decision outputs: what the
    probabilities hold, then its parts, then where its numbers come from."""

    title: str
    district: str
    holds: str
    parts: list[Part] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def figure_entry(key: str, image: Image, holds: str, lang: str,
                 intervals: bool | None = None) -> Figure:
    """A figure with its title and caption (prose ``[figure.KEY]``); figures with intervals
    say what they hold."""
    title, caption = prose.figure(key, lang)
    if intervals if intervals is not None else key in INTERVAL_FIGURES:
        caption += " " + prose.interval_note(holds, lang) + "."
    return Figure(key, title, caption, image)


class Images:
    """Draws figures, writes them into the figure folder (``NAME.png``, ``NAME.svg`` and the
    phone-width ``NAME.narrow.png``) and keeps their bytes for the page. With a
    :class:`~sanisim.report.rendering.Renderer` of several workers the figures are rendered in
    its processes: :meth:`save` returns at once and :meth:`finish` waits for them and writes
    the files."""

    def __init__(self, folder: Path, renderer: Renderer | None = None) -> None:
        self.folder = folder
        self.renderer = renderer
        self._pending: list[tuple[Path, PendingImage]] = []
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, name: str, draw: Callable[[], Any]) -> Image | PendingImage:
        """``draw()`` returns a matplotlib figure; ``name`` may hold a subfolder."""
        stem = self.folder / name
        if self.renderer is not None:
            pending = self.renderer.submit(draw)
            self._pending.append((stem, pending))
            return pending
        image = render_image(draw)
        _write(stem, image)
        return image

    def finish(self) -> None:
        """Wait for the figures being rendered and write their files."""
        for stem, pending in self._pending:
            _write(stem, pending.result())
        self._pending.clear()


def _write(stem: Path, image: Image) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    (stem.parent / f"{stem.name}.png").write_bytes(image.png)
    (stem.parent / f"{stem.name}.narrow.png").write_bytes(image.narrow_png)
    (stem.parent / f"{stem.name}.svg").write_bytes(image.svg)
