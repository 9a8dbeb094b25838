"""Interactive dashboard: one small district, month by month, in the browser (Mesa + Solara).

Start it with ``sanisim dashboard`` (or ``solara run sanisim/app.py``); it needs the
``dashboard`` extra (``pip install 'sanisim[dashboard]'``). This is the only module that imports
solara and Mesa's visualization, so ``import sanisim`` stays light.

The page (:func:`Page`) is built from Mesa's visualization parts: Mesa's ``ModelController``
(Reset, play/pause, Step) drives a :class:`DashboardModel`, and every chart subscribes to Mesa's
``update_counter``, so it is redrawn when the controller steps the model. Around them:

- **Inputs** (:func:`Inputs`): a shipped scenario (district preset), one of *its* strategy
  bundles, the seed and the sliders of :data:`SLIDERS`. A slider's label is the parameter's
  display name in the chosen language (:func:`sanisim.i18n.parameter_name`, from
  ``sanisim/data/names.<lang>.toml``), its value is written beside the label, and its range is
  the parameter record's bounds narrowed to a dashboard window (:class:`Window`). Choosing a
  preset moves every slider to *that preset's* value (widening a window when a preset's value
  lies outside it), so a run starts from the district as its file describes it; "Reset" builds
  the model from the inputs (Mesa's convention), and the page says when inputs wait for it.
- **Charts**, drawn in the browser by ECharts (``solara.FigureEcharts``, served from the local
  ``solara-assets`` package): the ladder shares over time (stacked), the social network of a
  sample of households coloured by rung (the RTs of the first RW, at most
  :data:`NETWORK_SAMPLE` households, laid out from the RT/RW structure), ODF communities and
  toilet loans by month. The server sends only the numbers (a few kB a month), which keeps
  play at many months a second (``docs/dashboard.md``, "Speed").
- **The run**: scenario, bundle, seed, size, month, and every value that differs from the
  scenario file.

English and Bahasa Indonesia: the language selector switches every label, legend and note.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sanisim import i18n
from sanisim.ladder import RUNG_COLUMNS
from sanisim.model import SanitationModel
from sanisim.parameters import BY_KEY, Param
from sanisim.report.plots import ARM_PALETTE, RUNG_COLOURS
from sanisim.scenario import SCENARIO_DIR, Scenario, load

TITLE = i18n.dashboard_word("title", "en")

#: Households drawn in the network view (the RTs of the first RW, up to this many).
NETWORK_SAMPLE = 320

#: The controller's start: milliseconds between months while playing, months between redraws.
PLAY_INTERVAL_MS = 20
RENDER_INTERVAL = 1
#: Longest wait of a step for the page to finish drawing the month before (seconds).
DRAW_WAIT_S = 2.0

LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}


@dataclass(frozen=True)
class Window:
    """The part of a parameter's range a dashboard slider offers (clipped to the record)."""

    low: float
    high: float
    step: float
    value: float | None = None  # the slider's start; None: the chosen scenario's value


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


ARG_KEYS: dict[str, str] = {arg_name(key): key for key in SLIDERS}


@functools.cache
def scenario(name: str) -> Scenario:
    """A shipped scenario (read once per server process)."""
    return load(name)


def shipped_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def known_bundles() -> list[str]:
    """Every bundle of the shipped scenarios (the default scenario's first)."""
    names: list[str] = []
    for name in ["default", *shipped_scenarios()]:
        names += [b for b in scenario(name).bundles if b not in names]
    return names


def preset_value(key: str, scenario_name: str) -> float:
    """Where a slider starts for a scenario: the scenario's own value.

    The one exception is the number of households: presets describe whole districts, the
    dashboard runs a small one (the window's start, or the preset's size when smaller).
    """
    window, own = SLIDERS[key], scenario(scenario_name)[key]
    if window.value is not None:
        return min(window.value, own)
    return own


def slider(param: Param, window: Window, value: float | None = None,
           lang: str = "en") -> dict[str, Any]:
    """A Mesa ``model_params`` entry for one parameter, from its record and a window.

    ``value`` is where the slider starts (default: the window's start, else the record's
    default); the range always reaches it, widened within the record's bounds if need be.
    """
    if value is None:
        value = param.default if window.value is None else window.value
    low = window.low if param.low is None else max(window.low, param.low)
    high = window.high if param.high is None else min(window.high, param.high)
    low, high = min(low, value), max(high, value)
    integer = param.kind is int
    cast = int if integer else float
    step = window.step if integer else fine_step(window.step, value, low)
    return {"type": "SliderInt" if integer else "SliderFloat",
            "label": i18n.parameter_name(param.key, lang),
            "unit": i18n.parameter_unit(param.key, lang),
            "value": cast(value), "min": cast(low), "max": cast(high), "step": cast(step)}


#: The finest slider step: the browser's slider rounds to the step's decimals (written out,
#: so never below 1e-6).
FINEST_STEP = 1e-6


def fine_step(step: float, value: float, low: float = 0.0) -> float:
    """A step (the window's, or a tenth of it, a hundredth, ...) on which ``value`` lies.

    The browser's slider snaps its value to ``low + k * step`` and would silently move a
    preset's own value (``behaviour.p_innovation = 0.00722``) to the window's grid (0.0070).
    """
    while step > FINEST_STEP:
        k = (value - low) / step
        if math.isclose(k, round(k), rel_tol=0, abs_tol=1e-6):
            break
        step /= 10
    return float(f"{max(step, FINEST_STEP):.0e}") if step < 1 else step


def scenario_sliders(scenario_name: str = "default", lang: str = "en") -> dict[str, dict]:
    """The sliders for a scenario: keyword -> Mesa ``model_params`` entry at its values."""
    return {arg_name(key): slider(BY_KEY[key], window, preset_value(key, scenario_name), lang)
            for key, window in SLIDERS.items()}


def model_params(scenario_name: str = "default", lang: str = "en") -> dict[str, Any]:
    """Mesa's ``model_params`` for :class:`DashboardModel`, starting from a scenario."""
    return {
        "scenario_name": {"type": "Select", "label": i18n.dashboard_word("scenario", lang),
                          "value": scenario_name, "values": shipped_scenarios()},
        "bundle": {"type": "Select", "label": i18n.dashboard_word("bundle", lang),
                   "value": "baseline", "values": list(scenario(scenario_name).bundles)},
        "seed": {"type": "SliderInt", "label": i18n.dashboard_word("seed", lang), "value": 1,
                 "min": 0, "max": 99, "step": 1},
        **scenario_sliders(scenario_name, lang),
    }


def start_inputs(scenario_name: str = "default", bundle: str = "baseline",
                 seed: int = 1) -> dict[str, Any]:
    """The model's keywords when a preset is chosen: its bundle (if it has it) and values."""
    if bundle not in scenario(scenario_name).bundles:
        bundle = "baseline"
    return {"scenario_name": scenario_name, "bundle": bundle, "seed": seed,
            **{arg: spec["value"] for arg, spec in scenario_sliders(scenario_name).items()}}


@dataclass(frozen=True)
class View:
    """The model at one moment, as the charts draw it."""

    month: int
    table: pd.DataFrame     # the monthly table so far (SanitationModel.monthly_table)
    rungs: np.ndarray       # rung of each household of the network sample


class DashboardModel(SanitationModel):
    """A :class:`SanitationModel` built from the dashboard's flat inputs.

    Keywords: ``scenario_name`` (a shipped scenario), ``bundle``, ``seed`` and one keyword per
    slider (:func:`arg_name` of its key). A slider keyword left out (or ``None``) keeps the
    scenario's own value (:func:`preset_value`). A bundle the scenario does not define runs as
    the baseline and says so in :attr:`note`. The run stops (``running = False``) after the
    scenario's ``run.months``.
    """

    def __init__(self, scenario_name: str = "default", bundle: str = "baseline", seed: int = 1,
                 **values: Any) -> None:
        unknown = sorted(set(values) - set(ARG_KEYS))
        if unknown:
            raise TypeError(f"DashboardModel got unknown inputs {unknown}; "
                            f"allowed: {sorted(ARG_KEYS)}")
        file_scenario = scenario(scenario_name)
        overrides = {key: preset_value(key, scenario_name) if values.get(arg) is None
                     else values[arg] for arg, key in ARG_KEYS.items()}
        households = int(overrides["population.households"])
        if households > MAX_HOUSEHOLDS:
            raise ValueError(f"the dashboard runs at most {MAX_HOUSEHOLDS} households, "
                             f"not {households}; use 'sanisim run' for larger districts")
        self.scenario_name = scenario_name
        self.requested_bundle = bundle
        self.missing_bundle = bundle not in file_scenario.bundles
        self.note = ""
        if self.missing_bundle:
            self.note = (f"Bundle {bundle!r} is not defined in scenario {scenario_name!r} "
                         f"(its bundles: {', '.join(file_scenario.bundles)}): "
                         "showing the baseline.")
            bundle = "baseline"
        self.overrides = overrides
        self.file_values = {key: file_scenario[key] for key in overrides}
        self.inputs = {"scenario_name": scenario_name, "bundle": self.requested_bundle,
                       "seed": seed, **{arg: overrides[key] for arg, key in ARG_KEYS.items()}}
        super().__init__(file_scenario.with_params(overrides, source="dashboard"), seed=seed,
                         bundle=bundle, household_agents=False)
        self.sample = network_sample(self)
        # Mesa's controller steps the model in a thread while the page draws it: a step and a
        # view never overlap (a view read mid-step has tables of different lengths).
        self.lock = threading.Lock()
        # Set while no drawing of the charts is under way (see Charts and step).
        self.drawn = threading.Event()
        self.drawn.set()

    def step(self) -> None:
        # Wait until the page has drawn the last month. A click (pause, a slider) renders the
        # page in the server's own thread; a step landing during that render asks it for one
        # more pass, and on a loaded machine each pass outlasts a step, so the passes never
        # end: after 100 Solara stops with "Too many renders triggered" and shows a traceback
        # instead of the page. The wait ends each render's run of passes; its limit keeps a
        # page that failed to draw from stopping the run.
        self.drawn.wait(timeout=DRAW_WAIT_S)
        with self.lock:
            super().step()
            if self.month >= self.params["run.months"]:
                self.running = False

    def view(self) -> View:
        """What the charts show, read at one moment between steps."""
        with self.lock:
            return View(self.month, self.monthly_table(),
                        self.households.rung[self.sample.rows].copy())


# Mesa's controller rebuilds the model from its keywords ("Reset"); name every input (and no
# **kwargs, which would make Mesa pass its own scenario object).
DashboardModel.__init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value)
       for name, value in {"scenario_name": "default", "bundle": "baseline", "seed": 1,
                           **dict.fromkeys(ARG_KEYS)}.items()])


def make_model(**inputs: Any) -> DashboardModel:
    """The dashboard's model from its inputs (what "Reset" does with the sidebar)."""
    return DashboardModel(**inputs)


# --------------------------------------------------------------------------- values as text


def value_digits(value: float, step: float) -> int:
    """Decimals that show a value on a slider of this step: at least the step's own
    (0.0005 -> 4, 100 -> 0), more only when the value needs them (0.00722 -> 5)."""
    least = 0 if step >= 1 else max(0, -math.floor(math.log10(step) + 1e-9))
    digits = least
    while digits < 8 and not math.isclose(round(value, digits), value, rel_tol=0,
                                          abs_tol=1e-12):
        digits += 1
    return digits


def format_value(key: str, value: float, lang: str = "en") -> str:
    """A slider's value as people read it: "Rp 2,500,000", "3.43%", "0.0582 chance per month"."""
    unit = i18n.parameter_unit(key, lang)
    step = SLIDERS[key].step
    if unit == "Rp":
        return f"Rp {i18n.number(value, lang)}"
    if BY_KEY[key].unit.startswith("share"):
        percent = 100 * value
        return f"{i18n.number(percent, lang, value_digits(percent, 100 * step))}% {unit}"
    return f"{i18n.number(value, lang, value_digits(value, step))} {unit}".rstrip()


def slider_text(label: str, value_text: str) -> str:
    return f"{label}: {value_text}"


# --------------------------------------------------------------------------- network sample


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


def network_frame(model: DashboardModel, view: View) -> pd.DataFrame:
    """One row per drawn household: row, RT, x, y, rung and its colour."""
    sample = model.sample
    rung = view.rungs
    colours = np.array([RUNG_COLOURS[c] for c in RUNG_COLUMNS])
    return pd.DataFrame({"row": sample.rows, "rt": model.households.rt[sample.rows],
                         "x": sample.xy[:, 0], "y": sample.xy[:, 1], "rung": rung,
                         "colour": colours[rung]})


# --------------------------------------------------------------------------- chart options
# ECharts options (plain data, drawn in the browser). No animation: a month replaces the last.


def ladder_frame(view: View) -> pd.DataFrame:
    """Month and the five rung shares, one row per month so far."""
    return view.table[["month", *RUNG_COLUMNS]]


def _frame(title: str) -> dict[str, Any]:
    return {"animation": False,
            "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 48, "right": 16, "top": 40, "bottom": 72},
            "legend": LEGEND}


LEGEND = {"bottom": 0, "itemWidth": 14, "itemHeight": 10, "itemGap": 8,
          "textStyle": {"fontSize": 11}}


def ladder_option(view: View, lang: str = "en") -> dict[str, Any]:
    """The ladder shares over time, stacked, in the house rung colours (percent)."""
    frame = ladder_frame(view)
    months = [int(m) for m in frame["month"]]
    series = [{"name": name, "type": "line", "stack": "ladder", "areaStyle": {"opacity": 1},
               "lineStyle": {"width": 0}, "symbol": "none", "color": RUNG_COLOURS[col],
               "data": [round(100 * float(v), 2) for v in frame[col]]}
              for col, name in zip(RUNG_COLUMNS, i18n.rung_names(lang), strict=True)]
    return {**_frame(i18n.dashboard_word("ladder", lang)),
            "xAxis": {"type": "category", "data": months, "boundaryGap": False,
                      "name": i18n.dashboard_word("month", lang), "nameLocation": "middle",
                      "nameGap": 24},
            "yAxis": {"type": "value", "min": 0, "max": 100,
                      "axisLabel": {"formatter": "{value}%"}},
            "series": series}


def lines_option(view: View, title: str, measures: dict[str, tuple[str, str]],
                 lang: str = "en") -> dict[str, Any]:
    """Measures of the monthly table by month, one line each (``col: (name, colour)``)."""
    frame = view.table
    return {**_frame(title),
            "xAxis": {"type": "category", "data": [int(m) for m in frame["month"]],
                      "boundaryGap": False, "name": i18n.dashboard_word("month", lang),
                      "nameLocation": "middle", "nameGap": 24},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"name": name, "type": "line", "symbol": "none", "color": colour,
                        "data": [int(v) for v in frame[col]]}
                       for col, (name, colour) in measures.items()]}


def odf_measures(lang: str = "en") -> dict[str, tuple[str, str]]:
    return {"odf_communities": (i18n.measure_name("odf_communities", lang), "#009E73"),
            "odf_slipped_total": (i18n.measure_name("odf_slipped_total", lang), "#D55E00")}


def loan_measures(lang: str = "en") -> dict[str, tuple[str, str]]:
    return {col: (i18n.dashboard_word(col, lang), colour)
            for col, colour in zip(("loans_outstanding", "loans_in_arrears", "loans_issued"),
                                   ARM_PALETTE, strict=False)}


def network_option(model: DashboardModel, view: View, lang: str = "en") -> dict[str, Any]:
    """The network sample as an ECharts graph: fixed positions, households coloured by rung."""
    frame = network_frame(model, view)
    nodes = [{"x": round(float(x), 4), "y": round(float(-y), 4), "category": int(r)}
             for x, y, r in zip(frame["x"], frame["y"], frame["rung"], strict=True)]
    links = [{"source": int(a), "target": int(b)} for a, b in model.sample.edges]
    names = i18n.rung_names(lang)
    title = i18n.dashboard_word("network", lang, households=len(frame),
                                rts=frame["rt"].nunique())
    return {**_frame(title), "tooltip": {"show": False},
            "legend": {**LEGEND, "data": list(names)},
            "series": [{"type": "graph", "layout": "none", "symbolSize": 7, "silent": True,
                        "data": nodes, "links": links,
                        "categories": [{"name": name, "itemStyle": {"color": RUNG_COLOURS[col]}}
                                       for col, name in zip(RUNG_COLUMNS, names, strict=True)],
                        "lineStyle": {"color": "#bbbbbb", "width": 0.5, "opacity": 0.6},
                        "itemStyle": {"borderColor": "#444444", "borderWidth": 0.3}}]}


def run_lines(model: DashboardModel, view: View, lang: str = "en") -> list[str]:
    """What the run is: scenario, bundle, seed, size, month, and the sliders' effect."""
    lines = [i18n.dashboard_word(
        "run", lang, scenario=model.scenario_name,
        bundle=i18n.bundle_name(model.bundle, lang), seed=model.seed,
        households=i18n.number(model.households.n, lang), rts=model.n_rt, month=view.month,
        months=model.params["run.months"])]
    changed = [f"{i18n.parameter_name(key, lang)} {format_value(key, value, lang)} "
               f"({format_value(key, model.file_values[key], lang)})"
               for key, value in model.overrides.items()
               if value != model.file_values[key] and key != "population.households"]
    if changed:
        lines.append(i18n.dashboard_word("changed", lang, changes="; ".join(changed)))
    if model.missing_bundle:
        lines.append(i18n.dashboard_word("missing_bundle", lang, scenario=model.scenario_name,
                                         bundle=model.requested_bundle))
    return lines


# --------------------------------------------------------------------------- components

CHART_STYLE = {"style": "height: 380px; width: 100%;"}


@solara.component
def Chart(option: dict[str, Any], name: str):
    with solara.Div(classes=["sanisim-chart", f"sanisim-chart-{name}"]):
        solara.FigureEcharts(option=option, attributes=CHART_STYLE, responsive=True)


@solara.component
def Charts(model: DashboardModel, lang: str):
    update_counter.get()  # redrawn whenever Mesa's controller steps the model
    # drawing: the next step waits until the render has settled (the effect runs after it)
    model.drawn.clear()
    solara.use_effect(model.drawn.set, None)
    view = model.view()
    with solara.ColumnsResponsive(12, large=6):  # side by side on a wide screen, else stacked
        Chart(ladder_option(view, lang), "ladder")
        Chart(network_option(model, view, lang), "network")
    with solara.ColumnsResponsive(12, large=6):
        Chart(lines_option(view, i18n.dashboard_word("odf", lang), odf_measures(lang), lang),
              "odf")
        Chart(lines_option(view, i18n.dashboard_word("loans", lang), loan_measures(lang),
                           lang), "loans")
    with solara.Div(classes=["sanisim-run"]):
        for line in run_lines(model, view, lang):
            solara.Text(line)


@solara.component
def LabelledSlider(label: str, value_text: str, value: float, spec: dict[str, Any],
                   on_value, name: str):
    """A slider under a line "label: value" (the label never squeezes the track)."""
    integer = spec["type"] == "SliderInt"
    widget = solara.SliderInt if integer else solara.SliderFloat
    with solara.Column(gap="0px", classes=["sanisim-slider", f"sanisim-slider-{name}"]):
        solara.Text(slider_text(label, value_text), classes=["sanisim-slider-label"])
        widget("", value=value, min=spec["min"], max=spec["max"], step=spec["step"],
               on_value=on_value, thumb_label=False)


@solara.component
def Choice(label: str, value: str, items: list[tuple[str, str]], on_value, name: str):
    """A drop-down of (value, display name) pairs."""
    solara.v.Select(label=label, v_model=value, on_v_model=on_value,
                    items=[{"value": v, "text": text} for v, text in items],
                    class_=f"sanisim-select-{name}")


def scenario_title(name: str) -> str:
    return name.replace("_", " ").title()


@solara.component
def Inputs(inputs: solara.Reactive[dict], lang: str):
    """Scenario, bundle, seed and the parameter sliders, written into ``inputs``."""
    current = inputs.value
    chosen = current["scenario_name"]
    sliders = scenario_sliders(chosen, lang)

    def choose_scenario(name: str) -> None:
        inputs.set(start_inputs(name, current["bundle"], current["seed"]))

    def setter(arg: str):
        return lambda value: inputs.set({**inputs.value, arg: value})

    Choice(i18n.dashboard_word("scenario", lang), chosen,
           [(name, scenario_title(name)) for name in shipped_scenarios()], choose_scenario,
           "scenario")
    Choice(i18n.dashboard_word("bundle", lang), current["bundle"],
           [(b, i18n.bundle_name(b, lang)) for b in scenario(chosen).bundles],
           setter("bundle"), "bundle")
    seed = {"type": "SliderInt", "min": 0, "max": 99, "step": 1}
    LabelledSlider(i18n.dashboard_word("seed", lang), str(current["seed"]), current["seed"],
                   seed, setter("seed"), "seed")
    for arg, key in ARG_KEYS.items():
        spec = {**sliders[arg]}
        value = current[arg]
        spec["min"], spec["max"] = min(spec["min"], value), max(spec["max"], value)
        LabelledSlider(spec["label"], format_value(key, value, lang), value, spec, setter(arg),
                       arg)


STYLE = """
.sanisim-slider { margin-bottom: 4px; }
.sanisim-slider-label { font-size: 0.9rem; }
.sanisim-slider .v-input__slot { min-width: 160px; }
.sanisim-run { margin-top: 8px; }
"""


@solara.component
def Page():
    lang = solara.use_reactive("en")
    inputs = solara.use_reactive(solara.use_memo(start_inputs, []))
    first = solara.use_memo(lambda: make_model(**inputs.value), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(RENDER_INTERVAL)
    use_threads = solara.use_reactive(False)  # Mesa's controller takes reactives only
    words = functools.partial(i18n.dashboard_word, lang=lang.value)

    solara.Style(STYLE)
    solara.Title(words("title"))
    with solara.AppBar():
        solara.AppBarTitle(words("title"))
    with solara.Sidebar(), solara.Column():
        Choice(words("language"), lang.value, list(LANGUAGE_NAMES.items()), lang.set,
               "language")
        with solara.Card(words("controls")):
            LabelledSlider(words("play_interval"),
                           f"{play_interval.value} {words('milliseconds')}",
                           play_interval.value, {"type": "SliderInt", "min": 0, "max": 500,
                                                 "step": 10}, play_interval.set, "play")
            LabelledSlider(words("render_interval"),
                           f"{render_interval.value} {words('months')}",
                           render_interval.value, {"type": "SliderInt", "min": 1, "max": 24,
                                                   "step": 1}, render_interval.set, "render")
            ModelController(model, model_parameters=inputs, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            if inputs.value != model.value.inputs:
                solara.Info(words("pending"), dense=True)
        with solara.Card(words("inputs")):
            Inputs(inputs, lang.value)
    Charts(model.value, lang.value)


#: Mesa's ``model_params`` of the default scenario (what the sidebar offers first).
MODEL_PARAMS = model_params()
