"""The float32 chains written into preallocated arrays give the plain expressions' bits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanisim import behaviour, rowblocks
from sanisim.model import SanitationModel
from sanisim.scenario import load
from sanisim.strategies.common import FactorGains


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


@pytest.fixture
def small_blocks(monkeypatch):
    """The float32 chains run block by block from 1,000 rows, in blocks of 640 (the last
    one shorter), as they do from BLOCKED_FROM rows on."""
    monkeypatch.setattr(rowblocks, "BLOCKED_FROM", 1_000)
    monkeypatch.setattr(rowblocks, "BLOCK", 640)
    rowblocks.blocks.cache_clear()
    yield
    rowblocks.blocks.cache_clear()


def _state(model: SanitationModel) -> tuple[dict, pd.DataFrame]:
    hh = model.households
    arrays = {name: value.copy() for name, value in vars(hh).items()
              if isinstance(value, np.ndarray)}
    return arrays, model.monthly_table()


def _run_blocked_or_not(bundle: str, blocked: bool, monkeypatch) -> tuple[dict, pd.DataFrame]:
    rowblocks.blocks.cache_clear()
    if not blocked:
        monkeypatch.setattr(rowblocks, "BLOCKED_FROM", 1 << 40)
    model = SanitationModel(load("default"), seed=3, households=3_000, bundle=bundle,
                            household_agents=False)
    model.run(30)
    rowblocks.blocks.cache_clear()
    return _state(model)


@pytest.mark.parametrize("bundle", ["baseline", "full_package"])
def test_chains_block_by_block_give_the_same_numbers(bundle, small_blocks, monkeypatch):
    """Savings, the factors' relaxation, the strategies' fading gains, the motivation and the
    decision hazard computed block by block: every household array and the monthly table
    are those of the whole-array computation, bit for bit."""
    assert [(s.start, s.stop) for s in rowblocks.blocks(3_000)] == [
        (0, 640), (640, 1280), (1280, 1920), (1920, 2560), (2560, 3000)]
    dense = []
    fade = FactorGains._fade
    monkeypatch.setattr(FactorGains, "_fade", lambda self, values, gain, work: (
        dense.append(work is not None), fade(self, values, gain, work)))
    arrays, table = _run_blocked_or_not(bundle, True, monkeypatch)
    if bundle == "full_package":
        assert sum(dense) > 0  # the gains' whole-array path ran block by block
    with monkeypatch.context() as whole:
        reference, reference_table = _run_blocked_or_not(bundle, False, whole)
    assert arrays.keys() == reference.keys()
    for name, values in reference.items():
        assert np.array_equal(arrays[name].view(np.uint8), values.view(np.uint8)), name
    pd.testing.assert_frame_equal(table, reference_table, check_exact=True)


def test_motivation_and_hazard_block_by_block_are_the_whole_arrays_bits(monkeypatch):
    """The decision's chains at the rows of each block: the bits of the whole-array
    computation (the model run above sees them only through the decisions they make)."""
    model = _model()
    hh, p = model.households, model.params
    community = np.random.default_rng(4).random(hh.n, np.float32) * np.float32(0.01)

    def chains() -> tuple[np.ndarray, np.ndarray]:
        rowblocks.blocks.cache_clear()
        m = behaviour.motivation(hh, p, behaviour.Scratch(hh.n)).copy()
        h = behaviour.decision_hazard(model.neighbour_adopted, p["behaviour.p_innovation"],
                                      p["behaviour.q_imitation"], m, community)
        return m, h

    whole = chains()
    monkeypatch.setattr(rowblocks, "BLOCKED_FROM", 1_000)
    monkeypatch.setattr(rowblocks, "BLOCK", 640)
    rowblocks.blocks.cache_clear()
    assert len(rowblocks.blocks(hh.n)) == 5 and hh.n == 3_000
    blocked = chains()
    rowblocks.blocks.cache_clear()
    for got, want in zip(blocked, whole, strict=True):
        assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32),
                                                          want.view(np.uint32))
