"""The float32 chains written into preallocated arrays give the plain expressions' bits."""

from __future__ import annotations

import numpy as np

from sanisim import behaviour
from sanisim.model import SanitationModel
from sanisim.scenario import load


def _model() -> SanitationModel:
    model = SanitationModel(load("default"), seed=5, households=3000, household_agents=False)
    model.run(6)  # factors moved away from their baselines by visits and decay
    return model


def test_chains_in_scratch_equal_plain_expressions():
    model = _model()
    hh, p = model.households, model.params
    scratch = behaviour.Scratch(hh.n)
    # the plain expressions, written out as the equations read
    log_m = np.zeros(hh.n, np.float32)
    for name, key in zip(behaviour.FACTORS, behaviour.WEIGHT_KEYS, strict=True):
        if p[key]:
            log_m += np.float32(p[key]) * (getattr(hh, name) - np.float32(p[f"factors.{name}"]))
    plain_m = np.exp(log_m)
    hazard = np.minimum((np.float32(p["behaviour.q_imitation"]) * model.neighbour_adopted
                         + np.float32(p["behaviour.p_innovation"])) * plain_m, np.float32(1))
    w = p["failure.w_self_regulation"]
    plain_f = np.exp(np.float32(-w) * (hh.self_regulation
                                       - np.float32(p["factors.self_regulation"])))
    assert w and any(p[k] for k in behaviour.WEIGHT_KEYS)  # the chains run in the default
    for _ in range(2):  # the second time the arrays are reused, not made
        m = behaviour.motivation(hh, p, scratch)
        assert m is scratch("motivation") and m.dtype == np.float32
        assert np.array_equal(m, plain_m) and np.array_equal(
            behaviour.motivation(hh, p), plain_m)
        h = behaviour.decision_hazard(model.neighbour_adopted, p["behaviour.p_innovation"],
                                      p["behaviour.q_imitation"], m, out=scratch("hazard"))
        assert h is scratch("hazard") and np.array_equal(h, hazard)
        f = behaviour.failure_multiplier(hh, p, out=scratch("failure"))
        assert f is scratch("failure") and np.array_equal(f, plain_f)
        assert np.array_equal(behaviour.failure_multiplier(hh, p), plain_f)


def test_the_model_reuses_its_work_arrays():
    model = _model()
    before = {name: model._scratch(name) for name in ("motivation", "hazard", "failure_hazard")}
    model.step()
    assert all(model._scratch(name) is array for name, array in before.items())
    assert np.all((before["hazard"] >= 0) & (before["hazard"] <= 1))


def test_record_fast_path_equals_mesa_collect():
    """The monthly table written straight into the DataCollector equals Mesa's collect."""
    import pandas as pd

    fast = SanitationModel(load("default"), seed=2, households=2000, bundle="full_package",
                           household_agents=False)
    mesa_way = SanitationModel(load("default"), seed=2, households=2000, bundle="full_package",
                               household_agents=False)
    # one reporter of another kind sends every collection through Mesa's own collect
    mesa_way.datacollector.model_reporters["extra"] = lambda m: m.month
    mesa_way.datacollector.model_vars["extra"] = [0]
    calls = []
    collect = mesa_way.datacollector.collect
    mesa_way.datacollector.collect = lambda m: (calls.append(1), collect(m))
    fast.run(8)
    mesa_way.run(8)
    assert len(calls) == 8
    assert fast._collect_plan[-1] is not None  # the fast model wrote straight into the lists
    assert mesa_way._collect_plan[-1] is None
    table, reference = fast.monthly_table(), mesa_way.monthly_table()
    assert list(reference.pop("extra")) == list(range(9))
    pd.testing.assert_frame_equal(table, reference, check_exact=True)
    assert len(table) == 9 and table["spending_households"].sum() > 0
