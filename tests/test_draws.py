"""Events drawn where they can happen (sanisim/draws.py) are the Bernoulli processes they
replace: counts, their spread over rows of different rates, and the draws' independence from
what other months drew. Fixed seeds: each test gives the same numbers every run."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sanisim import draws, facilities
from sanisim import model as model_module
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.scenario import default_scenario
from sanisim.streams import Streams


def _binomial_chi_square(counts: np.ndarray, trials: int, rate: float) -> float:
    """p-value of a chi-square test that per-row event counts are Binomial(trials, rate)
    (tail classes pooled so each expected class count is at least 5)."""
    pmf = stats.binom.pmf(np.arange(trials + 1), trials, rate)
    observed = np.bincount(counts, minlength=trials + 1).astype(float)
    expected = pmf * counts.size
    # pool from the top down until each class expects at least 5
    obs, exp, o, e = [], [], 0.0, 0.0
    for k in range(trials, -1, -1):
        o, e = o + observed[k], e + expected[k]
        if e >= 5:
            obs.append(o)
            exp.append(e)
            o = e = 0.0
    obs[-1] += o
    exp[-1] += e
    obs, exp = np.array(obs), np.array(exp)
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


def test_bernoulli_rows_is_the_bernoulli_process():
    rng = np.random.default_rng(11)
    n, rate, months = 4000, 0.02, 400
    per_row = np.zeros(n, np.int64)
    per_month = []
    for _ in range(months):
        rows = draws.bernoulli_rows(rng, n, rate)
        assert np.all(np.diff(rows) > 0) and (rows.size == 0 or 0 <= rows[0] <= rows[-1] < n)
        per_row[rows] += 1
        per_month.append(rows.size)
    per_month = np.array(per_month)
    # the monthly count is Binomial(n, rate): mean and variance within a few SE
    se_mean = np.sqrt(n * rate * (1 - rate) / months)
    assert abs(per_month.mean() - n * rate) < 4 * se_mean
    assert stats.chisquare(
        np.bincount(np.digitize(per_month, [70, 80, 90]), minlength=4),
        months * np.diff(stats.binom.cdf([-1, 69, 79, 89, n], n, rate))).pvalue > 1e-3
    # each row's count over the months is Binomial(months, rate), rows alike
    assert _binomial_chi_square(per_row, months, rate) > 1e-3
    p = per_row.sum() / (n * months)
    assert abs(p - rate) < 4 * np.sqrt(rate * (1 - rate) / (n * months))


def test_bernoulli_rows_edges():
    rng = np.random.default_rng(0)
    assert draws.bernoulli_rows(rng, 10, 0.0).size == 0
    assert draws.bernoulli_rows(rng, 0, 0.5).size == 0
    np.testing.assert_array_equal(draws.bernoulli_rows(rng, 5, 1.0), np.arange(5))


@pytest.mark.parametrize(("top", "bound"), [(0.05, None), (0.05, 0.06), (0.12, None),
                                            (0.12, 0.3)])
def test_thinned_gives_each_row_its_own_rate(top, bound):
    """Sampled candidates (bound up to 1/16) and a uniform per row (above) alike."""
    rng = np.random.default_rng(12)
    groups = np.array([0.0, 0.002, 0.01, top / 2, top])
    rates = np.repeat(groups, 1000).astype(np.float32)
    months = 300
    per_row = np.zeros(rates.size, np.int64)
    scaled = []
    for _ in range(months):
        picked, u = draws.thinned(rng, rates, bound)
        assert np.all(u < rates[picked]) and np.all(np.diff(picked) > 0)
        per_row[picked] += 1
        scaled.append(u / rates[picked])
    assert per_row[rates == 0].sum() == 0
    for rate in groups[1:]:
        counts = per_row[rates == np.float32(rate)]
        p = counts.sum() / (counts.size * months)
        assert abs(p - rate) < 4 * np.sqrt(rate * (1 - rate) / (counts.size * months)), rate
        assert _binomial_chi_square(counts, months, float(np.float32(rate))) > 1e-3, rate
    # given an event, its uniform is uniform below the row's rate (the decision's route)
    assert stats.kstest(np.concatenate(scaled), "uniform").pvalue > 1e-3


def test_thinned_with_a_rate_function_evaluates_candidates_only():
    rng = np.random.default_rng(3)
    rates = np.linspace(0.0, 0.04, 5000)
    asked = []

    def rate(rows):
        asked.append(rows.size)
        return rates[rows]

    hits = np.zeros(rates.size)
    for _ in range(200):
        picked, _ = draws.thinned(rng, rate, 0.04, rates.size)
        hits[picked] += 1
    assert max(asked) < 0.1 * rates.size  # candidates at the bound 2**-4, not every row
    expected = rates.sum() * 200
    assert abs(hits.sum() - expected) < 4 * np.sqrt((rates * (1 - rates)).sum() * 200)
    with pytest.raises(ValueError, match="bound"):
        draws.thinned(rng, rate)


@pytest.mark.parametrize(("size", "top"), [(5_000, 0.3), (40_000, 0.3),  # dense path,
                                            (40_000, 0.05)])  # below/above RAW_FROM; sparse
def test_thinned_with_row_bounds_gives_the_same_events_and_draws(size, top):
    """Row bounds only spare rates: the events, their uniforms and the generator's state
    after are those of the plain path (a uniform per row, or candidates at the common
    bound), and rates are asked of the rows whose uniform is below their bound only."""
    rates = np.random.default_rng(8).random(size) ** 6 * top  # a few rows set the bound
    bounds = (rates * 1.5).astype(np.float32)
    asked, bounded_rows = [], []

    def rate(rows):
        asked.append(rows.size)
        return rates[rows]

    def row_bounds(rows):
        bounded_rows.append(size if rows is None else rows.size)
        return bounds if rows is None else bounds[rows]

    for seed in range(5):
        plain, bounded = np.random.default_rng(seed), np.random.default_rng(seed)
        picked, u = draws.thinned(plain, rate, top, size)
        picked_b, u_b = draws.thinned(bounded, rate, top, size, row_bounds=row_bounds)
        np.testing.assert_array_equal(picked_b, picked)
        np.testing.assert_array_equal(u_b, u)
        assert bounded.bit_generator.state == plain.bit_generator.state
        assert picked.size > 0
    plain_asked, bounded_asked = asked[::2], asked[1::2]
    if top > draws.SPARSE_UP_TO:  # a uniform per row: rates of every row without bounds
        assert min(plain_asked) == size and max(bounded_rows) == size
    else:  # candidates at the bound, then those below their own bound
        assert max(plain_asked) < 0.1 * size and max(bounded_rows) < 0.1 * size
    assert max(bounded_asked) < 0.2 * min(plain_asked)


def test_dyadic_bound():
    assert draws.dyadic(0.0) == 0.0
    assert draws.dyadic(0.25) == 0.25
    assert draws.dyadic(0.2500001) == 0.5
    assert draws.dyadic(0.003) == 2.0**-8
    assert draws.dyadic(0.7) == draws.dyadic(5.0) == 1.0
    for x in np.random.default_rng(1).random(200) ** 4:
        assert x <= draws.dyadic(x) < 2 * x


def test_a_monthly_stream_starts_each_month_at_its_own_block():
    a, b = Streams(7), Streams(7)
    a.monthly("income", 1).random(5)
    b.monthly("income", 1).random(500)  # more draws in month 1 shift nothing later
    first = a.monthly("income", 2).random(3)
    np.testing.assert_array_equal(first, b.monthly("income", 2).random(3))
    # later calls in a month continue; a new month moves on
    assert not np.array_equal(first, a.monthly("income", 2).random(3))
    np.testing.assert_array_equal(Streams(7).monthly("income", 2).random(3), first)
    assert not np.array_equal(first, Streams(7).monthly("income", 3).random(3))
    assert not np.array_equal(first, Streams(7).monthly("failure", 2).random(3))
    plain = Streams(7)
    plain["income"].random()
    with pytest.raises(KeyError, match="outside monthly"):
        plain.monthly("income", 1)


# ------------------------------------------------------------------ the model's processes


def _spy_thinned(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """Record each call of the model's thinned(): (the rates, the rows picked)."""
    seen = []

    def spy(rng, rates, bound=None, rows=None):
        every = rates(np.arange(rows)) if callable(rates) else rates  # a pure rate function
        assert every.max() <= bound if bound is not None else True
        picked, u = draws.thinned(rng, rates, bound, rows)
        seen.append((np.array(every, float), picked))
        return picked, u

    monkeypatch.setattr(model_module, "thinned", spy)
    return seen


def test_decisions_and_failures_follow_each_households_hazard(monkeypatch):
    """Over the months of real runs, the rows picked by the decision and failure draws
    match the hazards the model computed: the total within a few SE, and rows grouped by
    hazard as the Bernoulli process would spread them (chi-square)."""
    seen = _spy_thinned(monkeypatch)
    for seed in (1, 2):
        SanitationModel(seed=seed, households=3000, household_agents=False).run(48)
    rates = np.concatenate([r for r, _ in seen])
    hit = np.concatenate([np.isin(np.arange(r.size), p) for r, p in seen])
    expected, variance = rates.sum(), (rates * (1 - rates)).sum()
    assert abs(hit.sum() - expected) < 4 * np.sqrt(variance)
    live = rates > 0
    assert not hit[~live].any()
    edges = np.quantile(rates[live], np.linspace(0, 1, 11)[1:-1])
    group = np.digitize(rates[live], edges)
    obs = np.bincount(group, weights=hit[live], minlength=10)
    exp = np.bincount(group, weights=rates[live], minlength=10)
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3


def test_income_shocks_hit_each_household_at_the_rate():
    scenario = default_scenario().with_params({"population.income_shock_rate": 0.05})
    model = SanitationModel(scenario, seed=4, households=2000, household_agents=False)
    counts = np.zeros(model.households.n, np.int64)
    months = 120
    for _ in range(months):
        model.step()
        counts += model.shocked
        assert model.shocked.sum() == model._shocked_rows.size
    p = counts.sum() / counts.size / months
    assert abs(p - 0.05) < 4 * np.sqrt(0.05 * 0.95 / (counts.size * months))
    assert _binomial_chi_square(counts, months, 0.05) > 1e-3


def test_use_switches_at_each_households_hazard():
    """Stopping (thinned from a bound) and resuming (a draw each) against the hazards of
    facilities.use_multiplier, from the same state repeated many times."""
    model = SanitationModel(seed=5, households=3000, household_agents=False)
    model.run(24)
    hh, p = model.households, model.params
    start = hh.in_use.copy()
    has = hh.rung >= Rung.UNIMPROVED
    rows = np.flatnonzero(has)
    m = facilities.use_multiplier(model, rows)
    hazard = np.zeros(hh.n)
    # a probability above 1 is an event for certain (draws.bernoulli_rows): with a strong
    # norm of use (use.w_coverage) non-users in full RTs resume for sure
    hazard[rows] = np.minimum(1.0, np.where(start[rows], p["use.disuse"] * m,
                                            p["use.resume"] / m))
    low, high = facilities.multiplier_bounds(model)
    assert low <= m.min() and m.max() <= high
    # each row's bound (its RT's highest hazard) holds the row's stopping hazard
    every = np.arange(hh.n)
    bound = facilities.disuse_bounds(model)
    assert bound.dtype == np.float32 and bound.shape == (hh.n,)
    some = np.flatnonzero(start)[::7]
    np.testing.assert_array_equal(facilities.disuse_bounds(model, rows=some), bound[some])
    assert np.all(p["use.disuse"] * facilities.use_multiplier(model, every) <= bound)
    assert np.mean(bound) < 0.5 * p["use.disuse"] * high  # below the common bound
    reps = 400
    flips = np.zeros(hh.n)
    for month in range(reps):
        model.month = 1000 + month
        hh.in_use[:] = start
        facilities.update_use(model)
        flips += hh.in_use != start
    assert not flips[~has].any()
    for users in (True, False):
        pick = has & (start == users)
        expected = hazard[pick].sum() * reps
        variance = (hazard[pick] * (1 - hazard[pick])).sum() * reps
        assert abs(flips[pick].sum() - expected) < 4 * np.sqrt(variance), users
    # stopping spread over users of low and high hazard as the Bernoulli process would
    users = np.flatnonzero(has & start)
    group = np.digitize(hazard[users], np.quantile(hazard[users], [0.25, 0.5, 0.75]))
    obs = np.bincount(group, weights=flips[users], minlength=4)
    exp = np.bincount(group, weights=hazard[users] * reps, minlength=4)
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3


def test_self_emptying_hits_eligible_tanks_at_the_rate():
    scenario = default_scenario().with_params({"desludging.self_rate": 0.05})
    model = SanitationModel(scenario, seed=6, households=3000, household_agents=False)
    model.run(12)
    hh = model.households
    eligible = ((hh.rung >= Rung.BASIC) & ~hh.connected & ~hh.pit_toilet
                & (hh.savings >= model.params["costs.desludging_fee"]))
    state = {name: getattr(hh, name).copy() for name in ("rung", "savings", "last_emptied")}
    emptied = np.zeros(hh.n)
    reps = 200
    for month in range(reps):
        model.month = 1000 + month
        for name, value in state.items():
            getattr(hh, name)[:] = value
        model._desludging()
        emptied += hh.last_emptied == model.month
    assert not emptied[~eligible].any()
    p = emptied[eligible].sum() / (eligible.sum() * reps)
    assert abs(p - 0.05) < 4 * np.sqrt(0.05 * 0.95 / (eligible.sum() * reps))
    assert _binomial_chi_square(emptied[eligible].astype(int), reps, 0.05) > 1e-3


def test_paired_arms_keep_common_random_numbers():
    """Two arms differing only in sanitarians' visits: their first months' decisions are
    mostly the same households (one uniform per row did this; thinned draws keep it)."""
    base = default_scenario()
    arms = [SanitationModel(base.with_params({"sanitarians.visits_per_month": v}), seed=3,
                            households=8000, household_agents=False) for v in (0, 5)]
    same = total = 0
    for _ in range(12):
        intents = []
        for model in arms:
            before = model.households.intent.copy()
            model.step()
            intents.append((model.households.intent > 0) & (before == 0))
        same += np.count_nonzero(intents[0] & intents[1])
        total += np.count_nonzero(intents[0] | intents[1])
    assert total > 50 and same > 0.7 * total, (same, total)


def test_row_uniforms_are_uniform_independent_and_the_rows_own():
    key = draws.month_key(np.random.default_rng(21))
    rows = np.arange(200_000)
    u = draws.row_uniforms(key, rows)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4 / np.sqrt(rows.size)  # neighbours
    other = draws.row_uniforms(draws.month_key(np.random.default_rng(22)), rows)
    assert abs(np.corrcoef(u, other)[0, 1]) < 4 / np.sqrt(rows.size)  # another month
    # pairs of numbers fall evenly on a 10 x 10 grid (no structure between rows)
    cells = np.bincount((10 * u[::2]).astype(int) * 10 + (10 * u[1::2]).astype(int),
                        minlength=100)
    assert stats.chisquare(cells).pvalue > 1e-3
    # a row's number does not depend on which other rows are drawn
    subset = np.sort(np.random.default_rng(3).choice(rows, 500, replace=False))
    np.testing.assert_array_equal(draws.row_uniforms(key, subset), u[subset])


def test_month_key_is_the_full_range_uint64_draw():
    """``month_key`` returns what ``integers(0, 2**64, dtype=uint64)`` would, and leaves the
    generator where that would (so every key and every draw after it is unchanged)."""
    for seed in range(5):
        a = np.random.Generator(np.random.PCG64(seed))
        b = np.random.Generator(np.random.PCG64(seed))
        for _ in range(50):
            key = draws.month_key(a)
            assert key.dtype == np.uint64
            assert key == b.integers(0, 2**64, dtype=np.uint64, endpoint=False)
        assert a.random() == b.random()


def test_stable_order_and_lex_order_are_numpys_stable_sorts():
    """The same permutation as ``argsort(kind="stable")`` and ``lexsort``, whether the values
    are distinct, tied or NaN, small or past the size where the quick sort is tried."""
    from sanisim.draws import SORT_CHECKED_FROM, lex_order, stable_order

    rng = np.random.default_rng(11)
    for n in (0, 1, 5, SORT_CHECKED_FROM - 1, SORT_CHECKED_FROM, 5000):
        distinct = rng.random(n)
        tied = rng.integers(0, 7, n).astype(float)  # many equal values
        with_nan = distinct.copy()
        with_nan[rng.random(n) < 0.1] = np.nan
        zeros = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # equal, of two signs
        for values in (distinct, tied, with_nan, zeros, rng.integers(0, 3, n)):
            assert np.array_equal(stable_order(values), values.argsort(kind="stable"))
            for major in (rng.random(n) < 0.5, rng.integers(0, 4, n).astype(np.int8),
                          np.sort(rng.integers(0, 50, n)).astype(np.int32)):
                assert np.array_equal(lex_order(values, major), np.lexsort((values, major)))


def test_distinct_is_numpys_unique_of_integers_and_run_starts_marks_changes():
    rng = np.random.default_rng(8)
    for values in (np.zeros(0, np.intp), np.array([5]), np.array([3, 3, 3]),
                   rng.integers(0, 50, 400), rng.integers(-10**12, 10**12, 3000),
                   rng.integers(0, 3, 1000).astype(np.int8), rng.random(500) < 0.5):
        got, want = draws.distinct(values), np.unique(values)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError, match="integers"):
        draws.distinct(np.array([0.5, np.nan]))
    for values in (np.zeros(0), np.array([4]), rng.integers(0, 4, 300), rng.random(50)):
        want = np.diff(values, prepend=np.nan) != 0  # a change from the value before
        np.testing.assert_array_equal(draws.run_starts(values), want)


def test_run_ranks_count_each_value_before_it_in_its_run():
    """Each value's place in its run: how many equal values stand before it since the last
    different one (a Python count, value by value)."""
    rng = np.random.default_rng(9)
    for values in (np.zeros(0, np.intp), np.array([7]), np.array([2, 2, 2, 2]),
                   np.sort(rng.integers(0, 30, 500)), rng.integers(0, 3, 200),
                   np.sort(rng.random(40)), np.sort(rng.integers(0, 5, 100)).astype(np.int16)):
        want, run = [], 0
        for i, value in enumerate(values.tolist()):
            run = run + 1 if i and value == values[i - 1] else 0
            want.append(run)
        got = draws.run_ranks(values)
        assert got.dtype == np.intp
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [0, 5, draws.RAW_FROM - 1, draws.RAW_FROM, draws.RAW_FROM + 1,
                               50_001])
@pytest.mark.parametrize("waiting", [False, True])
def test_uniform32_equals_numpys_float32_uniforms_and_leaves_the_same_state(n, waiting):
    """Bit for bit the values of rng.random(n, float32), and the generator's state after them
    (a high half left waiting, or taken), so every later draw is the same too."""
    ours, numpys = np.random.default_rng(2024), np.random.default_rng(2024)
    if waiting:  # an odd float32 draw before leaves half an output waiting in the state
        ours.random(1, np.float32), numpys.random(1, np.float32)
    got, want = draws.uniform32(ours, n), numpys.random(n, np.float32)
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    assert ours.bit_generator.state == numpys.bit_generator.state
    assert np.array_equal(ours.random(3, np.float32), numpys.random(3, np.float32))
    assert ours.random() == numpys.random()


def test_uniform32_leaves_other_bit_generators_to_numpy():
    ours = np.random.Generator(np.random.SFC64(5))
    numpys = np.random.Generator(np.random.SFC64(5))
    n = draws.RAW_FROM + 3
    assert np.array_equal(draws.uniform32(ours, n), numpys.random(n, np.float32))
    assert np.array_equal(ours.random(5), numpys.random(5))
