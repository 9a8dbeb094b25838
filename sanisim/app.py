"""Interactive dashboard: one small district, month by month, in the browser (Mesa SolaraViz).

Start it with ``solara run sanisim/app.py`` (or ``sanisim dashboard``); it needs the
``dashboard`` extra (``pip install -e '.[dashboard]'``). This is the only module that imports
solara and Mesa's visualization, so ``import sanisim`` stays light.

The sidebar's inputs are ``MODEL_PARAMS`` (Mesa's ``model_params``): the shipped scenario, the
strategy bundle, the seed and the sliders of :data:`SLIDERS`, each generated from its record in
:mod:`sanisim.parameters` (label with unit, default, bounds, int or float). A slider's range is
the record's bounds narrowed to a dashboard window, so a slider stays usable (the costs of a
toilet may be anything from Rp 100,000 to Rp 50 M in a scenario file, but the dashboard offers
Rp 0.5-10 M). Mesa's "Reset" button builds a new :class:`DashboardModel` from the inputs
through :func:`make_model`'s keywords; slider values override the scenario's values.

Components (a function of the model each, redrawn after every step): the ladder shares over
time (stacked, the house rung colours of :mod:`sanisim.report.plots`), ODF communities and loans
(Mesa's ``make_plot_component`` over the model's data collector), a network view of a sample of
households coloured by rung (the RTs of the first RW, at most :data:`NETWORK_SAMPLE`
households, laid out from the RT/RW structure: no force-directed layout), and the run's inputs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mesa.visualization import SolaraViz, make_plot_component

from sanisim import i18n
from sanisim.ladder import RUNG_COLUMNS
from sanisim.model import SanitationModel
from sanisim.parameters import BY_KEY, Param
from sanisim.report.plots import ARM_PALETTE, RUNG_COLOURS, house_style
from sanisim.scenario import SCENARIO_DIR, load

TITLE = "sanisim: the sanitation ladder of a small district"

#: Households drawn in the network view (the RTs of the first RW, up to this many).
NETWORK_SAMPLE = 320


@dataclass(frozen=True)
class Window:
    """The part of a parameter's range a dashboard slider offers (clipped to the record)."""

    low: float
    high: float
    step: float
    value: float | None = None  # the slider's start; None: the record's default


#: The dashboard's sliders: parameter key -> window. Everything else comes from the record.
SLIDERS: dict[str, Window] = {
    "population.households": Window(500, 3_000, 100, value=2_000),
    "behaviour.p_innovation": Window(0.0, 0.05, 0.0005),
    "behaviour.q_imitation": Window(0.0, 0.3, 0.005),
    "sanitarians.visits_per_month": Window(0, 200, 5),
    "costs.toilet": Window(500_000, 10_000_000, 100_000),
    "population.savings_rate": Window(0.0, 0.3, 0.005),
}

#: A small district: the dashboard refuses more households than this (drawing and stepping
#: stay interactive; use ``sanisim run`` or a batch for whole districts).
MAX_HOUSEHOLDS = int(SLIDERS["population.households"].high)


def arg_name(key: str) -> str:
    """A slider's keyword: ``behaviour.q_imitation`` -> ``behaviour__q_imitation``."""
    return key.replace(".", "__")


def slider(param: Param, window: Window) -> dict[str, Any]:
    """A Mesa ``model_params`` entry for one parameter, from its record and a window."""
    low = window.low if param.low is None else max(window.low, param.low)
    high = window.high if param.high is None else min(window.high, param.high)
    value = param.default if window.value is None else window.value
    value = min(max(value, low), high)
    integer = param.kind is int
    cast = int if integer else float
    unit = f" [{param.unit}]" if param.unit else ""
    return {"type": "SliderInt" if integer else "SliderFloat", "label": f"{param.key}{unit}",
            "value": cast(value), "min": cast(low), "max": cast(high), "step": cast(window.step)}


def shipped_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def known_bundles() -> list[str]:
    """Every bundle of the shipped scenarios (the default scenario's first)."""
    names: list[str] = []
    for name in ["default", *shipped_scenarios()]:
        names += [b for b in load(name).bundles if b not in names]
    return names


def model_params() -> dict[str, Any]:
    """Mesa's ``model_params`` for :class:`DashboardModel` (user inputs and fixed values)."""
    params: dict[str, Any] = {
        "scenario_name": {"type": "Select", "label": "Scenario", "value": "default",
                          "values": shipped_scenarios()},
        "bundle": {"type": "Select", "label": "Strategy bundle", "value": "baseline",
                   "values": known_bundles()},
        "seed": {"type": "SliderInt", "label": "Seed", "value": 1, "min": 0, "max": 99,
                 "step": 1},
    }
    for key, window in SLIDERS.items():
        params[arg_name(key)] = slider(BY_KEY[key], window)
    return params


class DashboardModel(SanitationModel):
    """A :class:`SanitationModel` built from the dashboard's flat inputs.

    Keywords: ``scenario_name`` (a shipped scenario), ``bundle``, ``seed`` and one keyword per
    slider (:func:`arg_name` of its key) overriding the scenario's value. A bundle the scenario
    does not define runs as the baseline and says so in :attr:`note`. The run stops
    (``running = False``) after the scenario's ``run.months``.
    """

    def __init__(self, scenario_name: str = "default", bundle: str = "baseline", seed: int = 1,
                 **values: Any) -> None:
        names = {arg_name(key): key for key in SLIDERS}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise TypeError(f"DashboardModel got unknown inputs {unknown}; "
                            f"allowed: {sorted(names)}")
        overrides = {key: values.get(arg, slider(BY_KEY[key], SLIDERS[key])["value"])
                     for arg, key in names.items()}
        households = int(overrides["population.households"])
        if households > MAX_HOUSEHOLDS:
            raise ValueError(f"the dashboard runs at most {MAX_HOUSEHOLDS} households, "
                             f"not {households}; use 'sanisim run' for larger districts")
        file_scenario = load(scenario_name)
        self.scenario_name = scenario_name
        self.requested_bundle = bundle
        self.note = ""
        if bundle not in file_scenario.bundles:
            self.note = (f"Bundle {bundle!r} is not defined in scenario {scenario_name!r} "
                         f"(its bundles: {', '.join(file_scenario.bundles)}): "
                         "showing the baseline.")
            bundle = "baseline"
        self.overrides = overrides
        self.file_values = {key: file_scenario[key] for key in overrides}
        super().__init__(file_scenario.with_params(overrides, source="dashboard"), seed=seed,
                         bundle=bundle, household_agents=False)
        self.sample = network_sample(self)

    def step(self) -> None:
        super().step()
        if self.month >= self.params["run.months"]:
            self.running = False


# Mesa's visualization reads the model's keywords from its signature: name every input (and
# no **kwargs, which would make Mesa pass its own scenario object on "Reset").
DashboardModel.__init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=spec["value"])
       for name, spec in model_params().items()])


def make_model(**inputs: Any) -> DashboardModel:
    """The dashboard's model from its inputs (what Mesa's "Reset" does with the sidebar)."""
    return DashboardModel(**inputs)


# --------------------------------------------------------------------------- network view


@dataclass(frozen=True)
class NetworkSample:
    """Rows of the drawn households, their positions and the edges among them."""

    rows: np.ndarray
    xy: np.ndarray          # (len(rows), 2)
    edges: np.ndarray       # (n_edges, 2) positions in ``rows``


def network_sample(model: SanitationModel, limit: int = NETWORK_SAMPLE) -> NetworkSample:
    """The households of the first RW's RTs (at most ``limit``), placed by RT.

    RT centres sit on a circle; each RT's households sit on a small circle around its centre,
    so within-RT ties form tight clusters and ties between RTs cross the middle. O(sample).
    """
    hh = model.households
    rts = np.unique(hh.rt[hh.rw == hh.rw.min()])
    sizes = np.bincount(hh.rt, minlength=int(rts.max()) + 1)[rts]
    keep = max(1, int(np.searchsorted(np.cumsum(sizes), limit, side="right")))
    rts = rts[:keep]
    rows = np.flatnonzero(np.isin(hh.rt, rts))[:limit]
    k = len(rts)
    angle = 2 * np.pi * np.arange(k) / k
    centres = np.column_stack([np.cos(angle), np.sin(angle)])
    radius = 0.8 * np.sin(np.pi / k) if k > 1 else 1.0
    xy = np.empty((rows.size, 2))
    rt_of = hh.rt[rows]
    for i, rt in enumerate(rts):
        mine = np.flatnonzero(rt_of == rt)
        theta = 2 * np.pi * np.arange(mine.size) / max(mine.size, 1)
        xy[mine] = centres[i] + radius * np.column_stack([np.cos(theta), np.sin(theta)])
    adjacency = model.network.adjacency
    if adjacency is None:  # complete network: every pair is a tie, too many to draw
        edges = np.zeros((0, 2), np.intp)
    else:
        sub = adjacency[rows][:, rows].tocoo()
        upper = sub.row < sub.col
        edges = np.column_stack([sub.row[upper], sub.col[upper]])
    return NetworkSample(rows, xy, edges)


def network_frame(model: DashboardModel) -> pd.DataFrame:
    """One row per drawn household: row, RT, x, y, rung and its colour."""
    sample = model.sample
    rung = model.households.rung[sample.rows]
    colours = np.array([RUNG_COLOURS[c] for c in RUNG_COLUMNS])
    return pd.DataFrame({"row": sample.rows, "rt": model.households.rt[sample.rows],
                         "x": sample.xy[:, 0], "y": sample.xy[:, 1], "rung": rung,
                         "colour": colours[rung]})


def rung_legend(ax, loc: str = "upper left") -> None:
    handles = [Patch(facecolor=RUNG_COLOURS[c], edgecolor="none") for c in RUNG_COLUMNS]
    ax.legend(handles, i18n.rung_names("en"), loc=loc, fontsize=9)


def network_figure(model: DashboardModel) -> Figure:
    frame = network_frame(model)
    sample = model.sample
    with house_style():
        fig = Figure(figsize=(6.5, 5.5), layout="constrained")
        ax = fig.subplots()
        if len(sample.edges):
            segments = sample.xy[sample.edges]
            ax.add_collection(LineCollection(segments, colors="#bbbbbb", linewidths=0.4,
                                             alpha=0.6, zorder=1))
        ax.scatter(frame["x"], frame["y"], c=frame["colour"], s=22, edgecolors="#444444",
                   linewidths=0.3, zorder=2)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"Social network, {len(frame)} households of "
                     f"{frame['rt'].nunique()} RTs (month {model.month})")
        rung_legend(ax, loc="center")
    return fig


def NetworkView(model: DashboardModel):
    return solara.FigureMatplotlib(network_figure(model), format="png")


# --------------------------------------------------------------------------- ladder and text


def ladder_frame(model: SanitationModel) -> pd.DataFrame:
    """Month and the five rung shares, one row per month so far."""
    return model.monthly_table()[["month", *RUNG_COLUMNS]]


def ladder_figure(model: SanitationModel) -> Figure:
    frame = ladder_frame(model)
    with house_style():
        fig = Figure(figsize=(7.5, 4.5), layout="constrained")
        ax = fig.subplots()
        ax.stackplot(frame["month"], frame[list(RUNG_COLUMNS)].T.to_numpy(),
                     colors=[RUNG_COLOURS[c] for c in RUNG_COLUMNS])
        ax.set_xlim(0, max(int(frame["month"].iloc[-1]), 1))
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel("Month")
        ax.set_title("Households by rung of the sanitation ladder")
        rung_legend(ax, loc="lower left")
    return fig


def LadderChart(model: SanitationModel):
    return solara.FigureMatplotlib(ladder_figure(model), format="png")


def run_lines(model: DashboardModel) -> list[str]:
    """What the run is: scenario, bundle, seed, size, month, and the sliders' effect."""
    lines = [f"Scenario **{model.scenario_name}**, bundle **{model.bundle}**, "
             f"seed {model.seed}, {model.households.n:,} households, "
             f"{model.n_rt} RTs; month {model.month} of {model.params['run.months']}."]
    changed = [f"`{key}` = {value:g} (scenario file: {model.file_values[key]:g})"
               for key, value in model.overrides.items() if value != model.file_values[key]]
    if changed:
        lines.append("Changed by the sliders: " + "; ".join(changed) + ".")
    if model.note:
        lines.append(model.note)
    return lines


def RunInfo(model: DashboardModel):
    with solara.Column() as column:
        for line in run_lines(model):
            solara.Markdown(line)
    return column


# --------------------------------------------------------------------------- Mesa plots


def _titled(title: str, labels: dict[str, str], percent: bool = False):
    def post_process(ax) -> None:
        ax.set_title(title, loc="left", fontweight="bold")
        handles, names = ax.get_legend_handles_labels()
        ax.legend(handles, [labels.get(n, n) for n in names], loc="upper left", frameon=False)
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    return post_process


ODF_MEASURES = {"odf_communities": "#009E73", "odf_slipped_total": "#D55E00"}
LOAN_MEASURES = {"loans_outstanding": ARM_PALETTE[0], "loans_in_arrears": ARM_PALETTE[1],
                 "loans_issued": ARM_PALETTE[2]}

ODF_PLOT = make_plot_component(
    ODF_MEASURES, post_process=_titled("ODF communities (RT) by month", {
        "odf_communities": "ODF RTs", "odf_slipped_total": "RTs that slipped back (total)"}))
LOAN_PLOT = make_plot_component(
    LOAN_MEASURES, post_process=_titled("Toilet loans (kredit jamban) by month", {
        "loans_outstanding": "outstanding", "loans_in_arrears": "in arrears",
        "loans_issued": "issued this month"}))

COMPONENTS = [LadderChart, NetworkView, ODF_PLOT, LOAN_PLOT, RunInfo]
MODEL_PARAMS = model_params()

model = make_model()
page = SolaraViz(model, components=COMPONENTS, model_params=MODEL_PARAMS, name=TITLE,
                 play_interval=150)
