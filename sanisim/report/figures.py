"""The report's figures: every figure of :mod:`sanisim.report.plots` drawn from the report
tables, the network figure from one small re-run of the leading arm, and PNG bytes for the page.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from sanisim import analysis
from sanisim.errors import InputError
from sanisim.model import SanitationModel
from sanisim.report import plots
from sanisim.report.findings import leading_arm
from sanisim.report.tables import BASELINE, Tables, isna, labelled
from sanisim.runs.experiment import _configured
from sanisim.runs.posterior import POSTERIOR_PREFIX
from sanisim.runs.results import PARAM_PREFIX
from sanisim.scenario import load as load_scenario

if TYPE_CHECKING:
    from sanisim.runs.results import Results

log = logging.getLogger(__name__)

FIGURE_ORDER: tuple[str, ...] = ("ladder", "compare", "paired", "time_to_target", "cost",
                                 "equity", "network")
#: Figures that draw intervals (their captions and images say what the intervals hold).
INTERVAL_FIGURES: tuple[str, ...] = ("compare", "paired", "time_to_target", "cost", "equity")
NETWORK_HOUSEHOLDS = 480  # households of the small run drawn in the network figure


def make_figures(results: Results, tables: Tables, lang: str = "en", network: bool = True,
                 baseline: str = BASELINE) -> dict[str, Any]:
    """Every report figure, by name (see :data:`FIGURE_ORDER`)."""

    arms = plots.Arms(labelled(tables, results, lang), analysis.design_keys(results),
                      lang, holds=tables.interval_holds)
    figures = {
        "ladder": plots.ladder_figure(tables.ladder_over_time, arms),
        "compare": plots.compare_figure(tables.ladder_over_time, arms),
        "paired": plots.paired_figure(tables.paired_over_time, arms),
        "time_to_target": plots.time_to_target_figure(tables.time_to_target, arms),
        "cost": plots.cost_figure(tables.costs, arms),
        "equity": plots.equity_figure(tables.equity, arms),
    }
    if network:
        fig = network_figure(results, tables, lang, baseline)
        if fig is not None:
            figures["network"] = fig
    return figures


def network_figure(results: Results, tables: Tables, lang: str = "en",
                   baseline: str = BASELINE, households: int = NETWORK_HOUSEHOLDS):
    """Re-run one small run of the leading arm and draw its network (None if impossible)."""

    arm = leading_arm(tables, baseline)
    if arm is None:
        return None
    scenario = _scenario_for(results, str(arm["scenario"]))
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
    return plots.network_figure(model.network.to_networkx(), hh.rt, hh.rw, rung_start,
                                hh.rung.copy(), months, lang, max_households=households)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _scenario_for(results: Results, name: str):

    candidates = [s.get("path") for s in results.manifest.get("scenarios", [])
                  if isinstance(s, dict) and s.get("name") == name and s.get("path")]
    for ref in [*candidates, name]:
        try:
            return load_scenario(ref)
        except InputError:
            continue
    log.warning("network figure skipped: scenario %r not found", name)
    return None


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (house style, no time stamp)."""

    buffer = io.BytesIO()
    with plots.house_style():
        fig.savefig(buffer, format="png", dpi=plots.DPI, metadata={"Software": None})
    return buffer.getvalue()
