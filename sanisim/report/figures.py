"""The report's figures: every figure of :mod:`sanisim.report.plots` drawn from the report
tables, the network figure from one small re-run of the leading arm, and PNG bytes for the page.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from matplotlib.text import Text

from sanisim import analysis
from sanisim.errors import InputError
from sanisim.model import SanitationModel
from sanisim.report import plots, prose
from sanisim.report.findings import leading_arm
from sanisim.report.names import scenario_of
from sanisim.report.tables import BASELINE, Tables, isna, labelled
from sanisim.runs.experiment import _configured
from sanisim.runs.posterior import POSTERIOR_PREFIX
from sanisim.runs.results import PARAM_PREFIX

if TYPE_CHECKING:
    from sanisim.runs.results import Results

log = logging.getLogger(__name__)

FIGURE_ORDER: tuple[str, ...] = ("ladder", "compare", "paired", "time_to_target", "cost",
                                 "equity", "network")
#: Figures that draw intervals (their captions and images say what the intervals hold).
INTERVAL_FIGURES: tuple[str, ...] = ("compare", "paired", "time_to_target", "cost", "equity")
NETWORK_HOUSEHOLDS = 480  # households of the small run drawn in the network figure


def make_figures(results: Results, tables: Tables, lang: str = "en", network: bool = True,
                 baseline: str = BASELINE) -> dict[str, Callable[[], Any]]:
    """Every report figure, by name (see :data:`FIGURE_ORDER`), as a function that draws it
    (called once for the wide and once for the phone-width image)."""

    arms = plots.Arms(labelled(tables, results, lang), analysis.design_keys(results),
                      lang, holds=tables.interval_holds)
    # partials of the plotting functions (not lambdas): a report's renderer can send them to
    # its worker processes (sanisim.report.rendering)
    figures: dict[str, Callable[[], Any]] = {
        "ladder": partial(plots.ladder_figure, tables.ladder_over_time, arms),
        "compare": partial(plots.compare_figure, tables.ladder_over_time, arms),
        "paired": partial(plots.paired_figure, tables.paired_over_time, arms),
        "time_to_target": partial(plots.time_to_target_figure, tables.time_to_target, arms),
        "cost": partial(plots.cost_figure, tables.headline_costs, arms,
                        _cost_axis(tables, lang)),
        "equity": partial(plots.equity_figure, tables.equity, arms),
    }
    if network:
        model = network_run(results, tables, baseline)
        if model is not None:
            figures["network"] = partial(plots.network_figure, *model, lang,
                                         max_households=NETWORK_HOUSEHOLDS)
    return figures


def _cost_axis(tables: Tables, lang: str) -> str:
    """The x axis of the cost figure: additional households at the headline outcome."""
    key = "additional_safely" if tables.focus == "safely_managed" else "additional_households"
    return prose.text(key, lang)


@dataclass(frozen=True)
class Image:
    """A figure drawn twice: wide (desktop, print) and narrow (phones), with the smallest
    text size in each (points at :data:`plots.DPI`), and the wide one as SVG."""

    png: bytes
    narrow_png: bytes
    svg: bytes
    text_pt: float
    narrow_text_pt: float


def smallest_text(fig) -> float:
    """The smallest font size (points) of any visible, non-empty text of a figure."""
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return float(min(sizes)) if sizes else 0.0


def render_image(draw: Callable[[], Any]) -> Image:
    """Draw a figure wide and narrow (:func:`plots.narrow_layout`) and render both (the SVG in
    :func:`plots.house_style`, so that its ids are the same in every process)."""
    fig = draw()
    svg = io.BytesIO()
    with plots.house_style():
        fig.savefig(svg, format="svg", dpi=plots.DPI, metadata={"Date": None})
    wide, wide_pt = figure_png(fig), smallest_text(fig)
    with plots.narrow_layout():
        small = draw()
        narrow, narrow_pt = figure_png(small), smallest_text(small)
    return Image(wide, narrow, svg.getvalue(), wide_pt, narrow_pt)


def network_run(results: Results, tables: Tables, baseline: str = BASELINE,
                households: int = NETWORK_HOUSEHOLDS) -> tuple | None:
    """Re-run one small run of the leading arm: the arguments of
    :func:`plots.network_figure` before ``lang`` (None if impossible)."""

    arm = leading_arm(tables, baseline)
    if arm is None:
        return None
    scenario = tables.names.scenarios.get(str(arm["scenario"])) or scenario_of(
        results, str(arm["scenario"]))
    if scenario is None:
        return None

    params = {c.removeprefix(PARAM_PREFIX): arm[c] for c in results.param_columns
              if not isna(arm[c])}
    if params:
        scenario = scenario.with_params(params)
    runs = analysis.finished_runs(results)
    mine = runs[(runs["bundle"] == arm["bundle"]) & (runs["scenario"] == arm["scenario"])]
    first = mine.sort_values("replicate", kind="stable").iloc[0] if len(mine) else None
    seed = int(first["seed"]) if first is not None else 0

    drawn = {c.removeprefix(POSTERIOR_PREFIX): _plain(first[c]) for c in mine.columns
             if c.startswith(POSTERIOR_PREFIX) and not isna(first[c])} if first is not None \
        else {}
    if drawn:  # the first run's posterior draw, set as every run sets it

        scenario = _configured(scenario, drawn, source="network figure")
    months = tables.horizon
    try:
        model = SanitationModel(scenario, seed=seed, households=households,
                                bundle=str(arm["bundle"]), household_agents=False)
    except InputError as err:
        log.warning("network figure skipped: %s", err)
        return None
    rung_start = model.households.rung.copy()
    model.run(months)
    hh = model.households
    return (model.network.to_networkx(), hh.rt, hh.rw, rung_start, hh.rung.copy(), months)


def network_figure(results: Results, tables: Tables, lang: str = "en",
                   baseline: str = BASELINE, households: int = NETWORK_HOUSEHOLDS):
    """Re-run one small run of the leading arm and draw its network (None if impossible)."""
    model = network_run(results, tables, baseline, households)
    if model is None:
        return None
    return plots.network_figure(*model, lang, max_households=households)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (house style, no time stamp)."""

    buffer = io.BytesIO()
    with plots.house_style():
        fig.savefig(buffer, format="png", dpi=plots.DPI, metadata={"Software": None})
    return buffer.getvalue()
