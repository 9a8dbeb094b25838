"""The dashboard (sanisim/app.py): its model factory, sliders, components, and the page served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard extra (solara) is not installed")

from sanisim import app  # noqa: E402
from sanisim.ladder import RUNG_COLUMNS  # noqa: E402
from sanisim.parameters import BY_KEY  # noqa: E402
from sanisim.report.plots import RUNG_COLOURS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")

#: Slider values other than every default (and inside every slider's range).
CHANGED = {
    "population.households": 1200,
    "behaviour.p_innovation": 0.02,
    "behaviour.q_imitation": 0.25,
    "sanitarians.visits_per_month": 120,
    "costs.toilet": 1_500_000.0,
    "population.savings_rate": 0.2,
}


def test_sliders_come_from_the_parameter_records():
    params = app.MODEL_PARAMS
    assert set(CHANGED) == set(app.SLIDERS)
    for key in app.SLIDERS:
        record, spec = BY_KEY[key], params[app.arg_name(key)]
        assert record.unit in spec["label"] and key in spec["label"]
        assert spec["type"] == ("SliderInt" if record.kind is int else "SliderFloat")
        assert record.low <= spec["min"] <= spec["value"] <= spec["max"] <= record.high
        assert spec["min"] <= CHANGED[key] <= spec["max"] and CHANGED[key] != spec["value"]
        if key != "population.households":  # the dashboard starts smaller than the default
            assert spec["value"] == record.default
    assert params["scenario_name"]["values"][0] == "blitar"
    assert "default" in params["scenario_name"]["values"]
    assert {"baseline", "bcc", "lltt_plus_commitment"} <= set(params["bundle"]["values"])


def test_model_gets_the_inputs_and_the_components_follow_it():
    inputs = {app.arg_name(k): v for k, v in CHANGED.items()}
    model = app.make_model(scenario_name="blitar", bundle="bcc", seed=7, **inputs)
    assert isinstance(model, app.DashboardModel)
    assert (model.seed, model.bundle, model.config.name) == (7, "bcc", "blitar")
    assert model.strategies  # the bcc bundle's strategies
    for key, value in CHANGED.items():
        assert model.params[key] == value
    assert model.households.n == 1200
    assert [s.capacity for s in model.sanitarians] == [120] * len(model.sanitarians)
    assert "Changed by the sliders" in "\n".join(app.run_lines(model))

    months = 4
    for _ in range(months):
        model.step()  # what the page's "Step" button calls
    frame = model.datacollector.get_model_vars_dataframe()  # what make_plot_component reads
    assert len(frame) == months + 1
    for measures in (app.ODF_MEASURES, app.LOAN_MEASURES):
        assert set(measures) <= set(frame.columns)
    assert frame["odf_communities"].between(0, model.n_rt).all()

    ladder = app.ladder_frame(model)
    assert list(ladder["month"]) == list(range(months + 1))
    np.testing.assert_allclose(ladder[list(RUNG_COLUMNS)].sum(axis=1), 1.0)
    assert app.ladder_figure(model).axes[0].collections  # the stacked areas

    net = app.network_frame(model)
    assert 0 < len(net) <= app.NETWORK_SAMPLE
    assert (model.households.rw[net["row"]] == model.households.rw.min()).all()  # one RW
    np.testing.assert_array_equal(net["rung"], model.households.rung[net["row"]])
    assert list(net["colour"]) == [RUNG_COLOURS[RUNG_COLUMNS[r]] for r in net["rung"]]
    sample = model.sample
    assert sample.edges.size and sample.edges.max() < len(net)  # ties drawn among the sample


def test_unknown_bundle_runs_the_baseline_and_says_so():
    model = app.make_model(scenario_name="default", bundle="serasi")
    assert model.bundle == "baseline" and model.strategies == []
    assert "'serasi' is not defined in scenario 'default'" in model.note


def test_run_stops_at_the_scenario_horizon():
    model = app.make_model(population__households=500)
    model.params = {**model.params, "run.months": 2}
    model.step()
    assert model.running
    model.step()
    assert not model.running


def test_mesa_reset_builds_the_model_from_the_sidebar():
    """Mesa's Reset: ``type(model)(**kwargs)`` with the inputs, no scenario object added."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

    _check_model_params(app.model, app.MODEL_PARAMS)  # raises on a name the model lacks
    chosen = {name: spec["value"] if isinstance(spec, dict) else spec
              for name, spec in app.MODEL_PARAMS.items()}
    chosen["behaviour__q_imitation"] = 0.11
    kwargs = _build_model_init_kwargs(app.model, chosen, add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    assert "scenario" not in kwargs
    model = type(app.model)(**kwargs)
    assert model.params["behaviour.q_imitation"] == 0.11


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium for the browser test")
def test_page_in_a_headless_browser(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    port = _free_port()
    solara = Path(sys.executable).with_name("solara")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    server = subprocess.Popen(
        [str(solara), "run", "sanisim/app.py", "--host", "127.0.0.1", "--port", str(port),
         "--no-open", "--production"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.3)
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url, timeout=30_000)
                page.get_by_text(app.TITLE).first.wait_for(timeout=30_000)
                page.locator("img").first.wait_for(timeout=30_000)  # a chart (PNG)
                page.locator("img").nth(3).wait_for(timeout=30_000)  # ladder, network, 2 plots
                page.get_by_text("behaviour.q_imitation").first.wait_for(timeout=10_000)
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_dashboard_verb_prints_the_command(capsys, monkeypatch):
    from sanisim.cli import main

    assert main(["dashboard", "--print", "--port", "9001"]) == 0
    out = capsys.readouterr().out
    assert "solara run" in out and out.rstrip().endswith("app.py --port 9001")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert main(["dashboard", "--print"]) == 2
    assert "pip install -e '.[dashboard]'" in capsys.readouterr().err
