"""The anchor to diffusion theory: the Bass-only configuration follows the Bass recurrence."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import mean_and_se

from sanisim.behaviour import bass_recurrence, decision_hazard, motivation
from sanisim.model import SanitationModel
from sanisim.population import synthesise
from sanisim.scenario import bass_only_scenario

P, Q = 0.01, 0.3  # an S-curve: take-off within a year, saturation within three
MONTHS = 36
HOUSEHOLDS = 2000
SEEDS = range(80)
TOLERANCE = 0.02


def adopted_paths(scenario, seeds, months: int = MONTHS) -> np.ndarray:
    """Share at basic or better, one row per seed, one column per month 0..months."""
    paths = []
    for seed in seeds:
        model = SanitationModel(scenario, seed=seed, household_agents=False)
        model.run(months)
        paths.append(model.monthly_table()["basic_or_better"].to_numpy())
    return np.array(paths)


def test_bass_recurrence_closed_forms():
    """Known answers: q = 0 gives 1 - (1 - p)^t; p = 0 from zero never starts; F stays <= 1."""
    t = np.arange(61)
    np.testing.assert_allclose(bass_recurrence(0.0, 0.03, 0.0, 60), 1 - 0.97 ** t, rtol=1e-12)
    np.testing.assert_array_equal(bass_recurrence(0.0, 0.0, 0.5, 60), 0.0)
    curve = bass_recurrence(0.0, 0.2, 0.9, 60)
    assert np.all(np.diff(curve) >= 0) and curve.max() <= 1.0
    # one hand-computed step: F1 = p, F2 = p + (1 - p)(p + q p)
    assert bass_recurrence(0.0, P, Q, 2)[2] == pytest.approx(P + (1 - P) * (P + Q * P))


def test_bass_only_parameters_give_a_real_s_curve():
    curve = bass_recurrence(0.0, P, Q, MONTHS)
    steepest = int(np.argmax(np.diff(curve))) + 1
    assert 3 <= steepest <= 30
    assert curve[MONTHS] > 0.95 and curve[3] < 0.15


def test_bass_only_hazard_is_exactly_p_plus_q_times_share():
    scenario = bass_only_scenario(P, Q, households=500)
    hh = synthesise(scenario.params, np.random.default_rng(0))
    assert motivation(hh, scenario.params) is None  # every factor weight is zero
    share = np.linspace(0, 1, 11, dtype=np.float32)
    np.testing.assert_allclose(decision_hazard(share, P, Q, None), P + Q * share, rtol=1e-6)
    assert (hh.rung == 0).all(), "the Bass-only configuration starts with nobody adopted"


def test_complete_graph_mean_follows_bass_recurrence():
    scenario = bass_only_scenario(P, Q, households=HOUSEHOLDS, network="complete")
    paths = adopted_paths(scenario, SEEDS)
    assert paths.shape == (len(SEEDS), MONTHS + 1)
    mean = paths.mean(axis=0)
    expected = bass_recurrence(0.0, P, Q, MONTHS)
    gap = np.abs(mean - expected)
    steepest = int(np.argmax(np.diff(expected))) + 1
    _, se = mean_and_se(paths[:, steepest])
    report = (f"Bass p={P}, q={Q}, {HOUSEHOLDS} households, {len(SEEDS)} seeds: "
              f"largest |mean - recurrence| {gap.max():.4f} at month {int(gap.argmax())}; "
              f"steepest month {steepest}: mean {mean[steepest]:.4f}, "
              f"recurrence {expected[steepest]:.4f}, SE {se:.4f}")
    print(report)
    assert gap.max() < TOLERANCE, report
    # the tolerance is meaningful only if replicate noise is well inside it
    assert 3 * se < TOLERANCE, report
    assert mean[MONTHS] > 0.95, report


def test_sparse_network_bass_moves_up_and_imitation_matters():
    seeds = range(8)
    with_q = adopted_paths(bass_only_scenario(P, Q, households=HOUSEHOLDS,
                                              network="erdos_renyi"), seeds)
    without_q = adopted_paths(bass_only_scenario(P, 0.0, households=HOUSEHOLDS,
                                                 network="erdos_renyi"), seeds)
    # adoption only ever moves up (no failure, no lapse in the Bass-only configuration)
    assert (np.diff(with_q, axis=1) >= 0).all()
    assert (with_q[:, -1] > 0.5).all()
    # imitation adds adopters beyond innovation alone, seed by seed (same seeds, paired)
    diffs = with_q[:, 24] - without_q[:, 24]
    mean, se = mean_and_se(diffs)
    assert (diffs > 0).all() and mean > 3 * se, f"q effect {mean:+.4f} (SE {se:.4f})"
    # with q = 0 the network is irrelevant: the mean is 1 - (1 - p)^t
    expected = 1 - (1 - P) ** np.arange(MONTHS + 1)
    np.testing.assert_allclose(without_q.mean(axis=0), expected, atol=0.01)


def test_sparse_network_diffuses_slower_than_mean_field():
    """Local saturation on a sparse graph slows imitation below the well-mixed curve."""
    scenario = bass_only_scenario(P, Q, households=HOUSEHOLDS, network="erdos_renyi",
                                  **{"network.mean_degree": 3.0})
    mean = adopted_paths(scenario, range(8)).mean(axis=0)
    expected = bass_recurrence(0.0, P, Q, MONTHS)
    steepest = int(np.argmax(np.diff(expected))) + 1
    assert mean[steepest] < expected[steepest] - 0.02
