"""The kept row-wise values of sanisim.rowcache against computing every row, call by call."""

from __future__ import annotations

import numpy as np
import pytest

from sanisim import behaviour
from sanisim import model as model_module
from sanisim.model import SanitationModel
from sanisim.rowcache import RowCache
from sanisim.scenario import load


def _exp_of_difference(inputs, out, key):
    """A row-wise float32 chain with an exp, as the failure multiplier's."""
    a, b = inputs
    np.subtract(a, b, out=out)
    np.multiply(np.float32(key), out, out=out)
    np.exp(out, out=out)


def _full(inputs, key):
    out = np.empty(inputs[0].size, np.float32)
    _exp_of_difference(inputs, out, key)
    return out


def _same(x, y):
    return np.array_equal(x.view(np.uint32), y.view(np.uint32))


def test_kept_values_equal_every_row_computed_as_inputs_change():
    rng = np.random.default_rng(11)
    n = 5_000
    a, b = rng.random(n, np.float32), rng.random(n, np.float32)
    cache = RowCache(_exp_of_difference)
    assert _same(cache((a, b), -0.7), _full((a, b), -0.7))
    assert cache.last_rows is None  # first call: every row
    seen_partial = seen_dense = 0
    for month in range(60):
        share = 0.3 if month in (20, 21) else 0.02  # two months with most rows moving
        rows = rng.choice(n, int(share * n), replace=False)
        which = a if month % 2 else b
        which[rows] = rng.random(rows.size, np.float32)
        if month % 7 == 0:  # a write that leaves the bits as they were changes nothing
            a[:10] = a[:10].copy()
        got = cache((a, b), -0.7)
        assert _same(got, _full((a, b), -0.7)), month
        if cache.last_rows is None:
            seen_dense += 1
        else:
            seen_partial += 1
            assert np.array_equal(cache.last_rows, np.sort(rows))  # exactly the changed rows
    # month 20 found more than full_share changed: the next dense_months calls computed every
    # row without comparing, then it compared again
    assert seen_dense == 1 + RowCache.dense_months
    assert seen_partial == 60 - seen_dense


def test_new_arrays_or_parameters_compute_every_row():
    rng = np.random.default_rng(3)
    a, b = rng.random(100, np.float32), rng.random(100, np.float32)
    cache = RowCache(_exp_of_difference)
    cache((a, b), 0.5)
    cache((a, b), 0.5)
    assert cache.last_rows.size == 0
    assert _same(cache((a, b), 0.25), _full((a, b), 0.25))  # another parameter
    assert cache.last_rows is None
    a2 = a.copy()
    a2[5] = 0.0
    assert _same(cache((a2, b), 0.25), _full((a2, b), 0.25))  # another array: not compared
    assert cache.last_rows is None
    assert _same(cache((a2[:50], b[:50]), 0.25), _full((a2[:50], b[:50]), 0.25))


@pytest.mark.parametrize("bundle", ["top_down_subsidy", "bcc", "full_package"])
def test_failure_multiplier_kept_equals_computed_every_month(bundle, monkeypatch):
    """At the moment of every month's failure phase, the model's kept multiplier equals the
    multiplier of every household computed anew; the subsidy's visits move few rows (the
    partial path), BCC and full_package most (the dense path)."""
    computed = behaviour.failure_multiplier
    paths = []

    def checked(hh, params, out=None, cache=None):
        got = computed(hh, params, out=out, cache=cache)
        want = computed(hh, params)
        assert _same(got, want)
        paths.append(None if cache.last_rows is None else cache.last_rows.size)
        return got

    monkeypatch.setattr(model_module, "failure_multiplier", checked)
    scenario = load("default")
    model = SanitationModel(scenario, seed=5, households=4_000, bundle=bundle,
                            household_agents=False)
    model.run(30)
    assert len(paths) == 30
    if bundle == "top_down_subsidy":
        assert sum(1 for size in paths if size) >= 10  # rows recomputed, others kept
    else:
        assert paths.count(None) >= 20
