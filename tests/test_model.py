"""The model: invariants each month, determinism, no spontaneous rise, paired-seed mechanisms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL, mean_and_se, paired_differences, small_model

from sanisim.agents import Household
from sanisim.ladder import N_RUNGS, RUNG_COLUMNS, Rung
from sanisim.model import OUTPUT_COLUMNS, STEP_ORDER, SanitationModel
from sanisim.scenario import default_scenario

MONTHS = 60

#: Cooperatives under stress: borrowers often miss, rarely cure, loans are written off soon,
#: the fund is small (a few loans) and processing slow, so arrears, write-offs, an empty fund
#: and a full queue all happen within a short run.
STRESSED_COOPS = {
    "cooperatives.miss_rate": 0.8,
    "cooperatives.cure_rate": 0.05,
    "cooperatives.arrears_after": 1,
    "cooperatives.write_off_after": 2,
    "cooperatives.fund": 20_000_000.0,
    "cooperatives.processing_capacity": 5,
    "sanitarians.visits_per_month": 200,
}

CONFIGS = {
    "default": {},
    "stressed_coops": STRESSED_COOPS,
    "random_targeting": {"sanitarians.targeting": "random"},
    "poorest_first": {"sanitarians.targeting": "poorest_first",
                      "population.income_shock_rate": 0.3},
    "most_connected": {"sanitarians.targeting": "most_connected", "sanitarians.count": 9,
                       "cooperatives.count": 5, "cooperatives.fund": 0.0},
    "ws_network": {"network.kind": "watts_strogatz", "construction.months": 3},
}


# --------------------------------------------------------------------------- invariants


class VisitLog:
    """Records every sanitarian's visits of the month (wraps ``Sanitarian.visit``)."""

    def __init__(self, model: SanitationModel) -> None:
        self.model = model
        self.calls: list[tuple[object, np.ndarray, np.ndarray]] = []
        for sanitarian in model.sanitarians:
            original = sanitarian.visit

            def visit(rows, delivered=None, _who=sanitarian, _original=original):
                self.calls.append((_who, rows.copy(), model.households.rung[rows].copy()))
                _original(rows, delivered)

            sanitarian.visit = visit

    def check_month(self) -> int:
        total = 0
        seen_by: set[int] = set()
        for sanitarian, rows, rung_before in self.calls:
            assert id(sanitarian) not in seen_by, "a sanitarian stepped twice in a month"
            seen_by.add(id(sanitarian))
            assert rows.size <= sanitarian.capacity, (
                f"{rows.size} visits > capacity {sanitarian.capacity}")
            assert np.unique(rows).size == rows.size, "a household visited twice in a month"
            assert np.isin(rows, sanitarian.catchment).all(), "visit outside the catchment"
            assert (rung_before < Rung.BASIC).all(), "visited a household at basic or better"
            total += rows.size
        self.calls.clear()
        return total


def check_month(model: SanitationModel, visits: VisitLog, previous: dict) -> None:
    """Every invariant of one month, against the model's arrays and its monthly table row."""
    hh = model.households
    row = model.current
    month = model.month

    # ladder: shares are a distribution, and they are the shares of the rung array
    shares = np.array([row[c] for c in RUNG_COLUMNS])
    assert abs(shares.sum() - 1.0) < 1e-12, f"month {month}: shares sum to {shares.sum()!r}"
    assert (shares >= 0).all()
    assert hh.rung.min() >= 0 and hh.rung.max() < N_RUNGS
    np.testing.assert_allclose(shares, np.bincount(hh.rung, minlength=N_RUNGS) / hh.n)
    assert row["basic_or_better"] == pytest.approx(shares[Rung.BASIC:].sum())

    # ODF communities: RTs where no household practises open defecation (no facility, or one
    # it does not use)
    practising = (hh.rung == Rung.OPEN_DEFECATION) | ~hh.in_use
    od_per_rt = pd.Series(practising).groupby(hh.rt).sum()
    assert row["odf_communities"] == int((od_per_rt == 0).sum())
    assert row["practising_od"] == pytest.approx(practising.mean())

    # sharing: hosts have a working toilet and no more guests than allowed; guests share
    guests = np.bincount(hh.host[hh.host >= 0], minlength=hh.n)
    assert guests.max(initial=0) <= model.params["sharing.max_guests"]
    assert (hh.rung[guests > 0] >= Rung.BASIC).all()
    assert (hh.rung[hh.host >= 0] == Rung.LIMITED).all()
    # ownership records never fall behind the ladder
    assert (hh.owned >= np.select([hh.rung == 1, hh.rung >= 3], [1, 3], 0)).all()
    assert (hh.ever_owned >= (hh.owned > 0)).all()

    # sanitarians: capacity, and the table reports what they did
    done = visits.check_month()
    assert row["sanitarian_visits"] == done
    assert done <= sum(s.capacity for s in model.sanitarians)
    assert row["spending_government"] == pytest.approx(done * model.params["costs.visit"])

    # cooperatives: books, cash, processing capacity, agreement with household loan rows
    for coop in model.cooperatives:
        scale = max(coop.starting_fund, 1.0)
        assert abs(coop.books_balance) <= 1e-9 * scale, (
            f"month {month}: coop {coop.index} books off by {coop.books_balance!r}")
        assert coop.cash >= -1e-9 * scale, f"month {month}: coop {coop.index} cash {coop.cash}"
        assert coop.outstanding >= -1e-9 * scale
        assert coop.issued_this_month <= coop.capacity, (
            f"month {month}: {coop.issued_this_month} loans > capacity {coop.capacity}")
        assert coop.processed_this_month <= coop.capacity, (
            f"month {month}: {coop.processed_this_month} processed > capacity {coop.capacity}")
        assert coop.issued_this_month <= coop.processed_this_month
        mine = hh.loan_coop == coop.index
        assert coop.outstanding == pytest.approx(hh.loan_principal[mine].sum(),
                                                 abs=1e-9 * scale), "books vs household loans"
        assert coop.written_off >= previous.get(("written_off", coop.index), 0.0)
        previous[("written_off", coop.index)] = coop.written_off
        key = ("min_cash", coop.index)
        previous[key] = min(previous.get(key, np.inf), coop.cash)
        key = ("max_processed", coop.index)
        previous[key] = max(previous.get(key, 0), coop.processed_this_month)
    assert (hh.loan_principal[hh.loan_coop < 0] == 0).all()
    assert (hh.loan_principal >= 0).all()
    assert not (hh.defaulted & (hh.loan_coop >= 0)).any(), "a defaulter holds a loan"
    assert row["loans_issued"] == sum(c.issued_this_month for c in model.cooperatives)
    assert row["loans_outstanding"] == int((hh.loan_coop >= 0).sum())
    assert row["fund_balance"] == pytest.approx(sum(c.cash for c in model.cooperatives))

    # households: savings never below zero beyond rounding; spending never negative
    assert hh.savings.min() >= -1e-6, f"month {month}: savings {hh.savings.min()!r}"
    for funder in ("households", "government", "cooperatives", "donors"):
        assert row[f"spending_{funder}"] >= 0


def run_checked(overrides: dict, seed: int, months: int = MONTHS) -> SanitationModel:
    """Run month by month, checking every invariant; ``model.tracked`` keeps running extremes."""
    model = small_model(seed=seed, **overrides)
    visits = VisitLog(model)
    previous: dict = {}
    for _ in range(months):
        model.step()
        check_month(model, visits, previous)
    model.tracked = previous
    return model


@pytest.mark.parametrize("config", list(CONFIGS))
def test_invariants_hold_every_month(config):
    model = run_checked(CONFIGS[config], seed=11)
    table = model.monthly_table()
    assert len(table) == MONTHS + 1
    assert list(table["month"]) == list(range(MONTHS + 1))
    # month 0 is the starting state too
    assert table.loc[0, list(RUNG_COLUMNS)].sum() == pytest.approx(1.0, abs=1e-12)
    if model.params["sanitarians.count"] and model.params["sanitarians.visits_per_month"]:
        assert table["sanitarian_visits"].sum() > 0, "no visits: capacity check not exercised"


def test_stressed_cooperatives_write_off_and_books_still_balance():
    model = run_checked(STRESSED_COOPS, seed=3)
    table = model.monthly_table()
    capacity = model.params["cooperatives.processing_capacity"]
    assert table["loans_issued"].sum() > 0
    assert table["loans_in_arrears"].max() > 0, "no arrears: the stress did not bite"
    assert table["loans_written_off"].sum() > 0, "no write-offs: that path is not exercised"
    assert table["written_off_principal"].iloc[-1] > 0
    assert sum(c.loans_written_off for c in model.cooperatives) == table["loans_written_off"].sum()
    assert (model.households.defaulted.sum() == table["loans_written_off"].sum())
    # the small fund ran dry (cash below one full loan), so the cash limit was binding ...
    coops = list(model.cooperatives)
    assert min(model.tracked[("min_cash", c.index)] for c in coops) < model.params[
        "costs.toilet"], "the fund never ran short: the cash limit was not exercised"
    # ... and some month the queue filled the processing capacity
    assert max(model.tracked[("max_processed", c.index)] for c in coops) == capacity


def test_default_cooperatives_lend_and_collect():
    model = run_checked({}, seed=5, months=36)
    table = model.monthly_table()
    assert table["loans_issued"].sum() > 0
    assert table["loan_repayments"].sum() > 0
    assert table["spending_cooperatives"].sum() > 0
    coop = next(iter(model.cooperatives))
    assert coop.interest_collected > 0


# --------------------------------------------------------------------------- determinism


def _table(seed: int, **overrides) -> pd.DataFrame:
    model = small_model(seed=seed, households=1000, **overrides)
    model.run(36)
    return model.monthly_table()


def test_same_seed_gives_identical_monthly_table():
    pd.testing.assert_frame_equal(_table(42), _table(42), check_exact=True)


def test_different_seed_gives_different_monthly_table():
    a, b = _table(42), _table(43)
    assert not a.equals(b)
    assert not np.array_equal(a["basic_or_better"].to_numpy(), b["basic_or_better"].to_numpy())


def test_household_agents_do_not_change_results():
    scenario = default_scenario()
    with_agents = SanitationModel(scenario, seed=9, households=800, household_agents=True)
    without = SanitationModel(scenario, seed=9, households=800, household_agents=False)
    with_agents.run(24)
    without.run(24)
    pd.testing.assert_frame_equal(with_agents.monthly_table(), without.monthly_table(),
                                  check_exact=True)


def test_common_random_numbers_population_and_network_shared_across_arms():
    """Changing a programme parameter keeps the same households and ties (paired arms)."""
    a = small_model(seed=8, households=1500)
    b = small_model(seed=8, households=1500, **{"sanitarians.visits_per_month": 400,
                                                "cooperatives.count": 0})
    for name in ("income", "savings", "rung", "rt", "rw", "female", "attitude"):
        np.testing.assert_array_equal(getattr(a.households, name),
                                      getattr(b.households, name), err_msg=name)
    assert (a.network.adjacency != b.network.adjacency).nnz == 0


# --------------------------------------------------------------------------- the step


def test_step_runs_the_written_phases_in_order(monkeypatch):
    model = small_model(households=300)
    called: list[str] = []
    for phase in STEP_ORDER:
        original = getattr(model, f"_{phase}")

        def record(_phase=phase, _original=original):
            called.append(_phase)
            _original()

        monkeypatch.setattr(model, f"_{phase}", record)
    model.step()
    assert tuple(called) == STEP_ORDER
    assert STEP_ORDER[-1] == "record" and "decide" in STEP_ORDER


def test_plan_prints_the_phases_in_order_with_the_strategies_acting_in_each():
    from sanisim.scenario import load

    scenario = load("default").with_params({"population.households": 300})
    model = SanitationModel(scenario, seed=1, bundle="full_package")
    plan = model.plan()
    assert tuple(phase for phase, _ in plan.steps) == STEP_ORDER
    assert plan.acting("sanitarians") == ("bcc", "microcredit")  # bundle order
    assert plan.acting("finance") == ("microcredit",)
    assert "accompanied_subsidy" in plan.acting("programmes")
    assert plan.acting("income") == () and plan.acting("record") == ()
    text = str(plan).splitlines()
    assert text[0] == "monthly plan of default / full_package (every month):"
    assert [line.split()[1] for line in text[1:]] == list(STEP_ORDER)
    micro = scenario.strategies["microcredit"]
    assert text[1 + STEP_ORDER.index("finance")].endswith(
        f"<- microcredit (months {micro['start']}-{micro['end']})")
    assert text[1 + STEP_ORDER.index("income")] == "  1. income"
    # a month before the subsidy starts: the plan of the hooks the step will call
    start = scenario.strategies["accompanied_subsidy"]["start"]
    assert start > 1
    assert "accompanied_subsidy" not in model.plan(month=start - 1).acting("programmes")
    assert "accompanied_subsidy" in model.plan(month=start).acting("programmes")
    baseline = SanitationModel(default_scenario(), seed=1, households=300).plan()
    assert all(not names for _, names in baseline.steps)


@pytest.fixture
def keep_start_method():
    """mesa.batch_run forces the "spawn" start method process-wide; put it back after."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_mesa_batch_run_runs_the_default_scenario(keep_start_method):
    import warnings

    import mesa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa deprecates `iterations`
        rows = mesa.batch_run(SanitationModel, {"households": 300,
                                                "bundle": ["baseline", "bcc"]},
                              iterations=2, max_steps=3, number_processes=1,
                              display_progress=False)
    assert len(rows) == 4  # 2 bundles x 2 iterations, the last month of each
    assert {(r["bundle"], r["iteration"]) for r in rows} == {
        (b, i) for b in ("baseline", "bcc") for i in (0, 1)}
    for row in rows:
        assert row["month"] == 3 and row["Step"] == 3
        assert sum(row[c] for c in RUNG_COLUMNS) == pytest.approx(1.0)
    # seeds given (Mesa's rng list): the same numbers as the model built by hand
    seeded = mesa.batch_run(SanitationModel, {"households": 300, "bundle": "bcc"},
                            rng=[5], max_steps=3, number_processes=1, display_progress=False)
    model = SanitationModel(households=300, bundle="bcc", seed=5)
    model.run(3)
    last = model.monthly_table().iloc[-1]
    assert all(seeded[0][c] == last[c] for c in OUTPUT_COLUMNS)


def test_model_without_a_scenario_runs_the_shipped_default_with_its_bundles():
    from sanisim.scenario import load

    model = SanitationModel(seed=None, households=300, bundle="bcc")
    assert 0 <= model.seed < 2**32 and [s.name for s in model.strategies] == ["bcc"]
    assert model.config == load("default")
    assert dict(model.config.params) == dict(default_scenario().params)
    by_name = SanitationModel("default", seed=2, households=300)
    by_default = SanitationModel(default_scenario(), seed=2, households=300)
    for built in (by_name, by_default):
        built.run(2)
    assert by_name.monthly_table().equals(by_default.monthly_table())


def test_monthly_table_columns():
    model = small_model(households=300)
    model.run(2)
    table = model.monthly_table()
    assert tuple(table.columns) == OUTPUT_COLUMNS
    for column in RUNG_COLUMNS:
        assert column in table.columns


def test_household_agent_is_a_view_of_its_array_row():
    model = SanitationModel(default_scenario(), seed=2, households=200)
    agents = list(model.agents_by_type[Household])
    assert len(agents) == 200
    agent = agents[17]
    assert agent.rung == model.households.rung[agent.row]
    assert agent.income == model.households.income[agent.row]
    agent.rung = 4
    assert model.households.rung[agent.row] == 4
    model.households.savings[agent.row] = 123.0
    assert agent.savings == 123.0


# --------------------------------------------------------------------------- no influence


def test_nothing_moves_up_without_any_influence():
    """p = q = 0 and no self-initiated desludging: rungs only fall, though the rest runs."""
    model = small_model(seed=4, **{"behaviour.p_innovation": 0.0,
                                   "behaviour.q_imitation": 0.0,
                                   "community.pressure_hazard": 0.0,
                                   "desludging.self_rate": 0.0})
    rung = model.households.rung.copy()
    fell = 0
    for month in range(1, MONTHS + 1):
        model.step()
        now = model.households.rung
        rose = np.flatnonzero(now > rung)
        assert rose.size == 0, f"month {month}: {rose.size} households moved up, e.g. {rose[:5]}"
        fell += int((now < rung).sum())
        rung = now.copy()
    table = model.monthly_table()
    assert fell > 0, "nothing fell either: failures and desludging lapses were not running"
    assert table["sanitarian_visits"].sum() > 0, "sanitarians were not running"


def test_the_rung_tracker_sees_rises_when_influence_is_on():
    """Control for the test above: the decision rule (p, q) drives rises, beyond what
    self-initiated desludging alone brings (same seeds, desludging on in both arms)."""
    def rises(**overrides) -> int:
        model = small_model(seed=4, **overrides)
        rung, count = model.households.rung.copy(), 0
        for _ in range(24):
            model.step()
            count += int((model.households.rung < 3).__invert__()[rung < 3].sum())
            rung = model.households.rung.copy()
        return count

    with_rule = rises()
    without_rule = rises(**{"behaviour.p_innovation": 0.0, "behaviour.q_imitation": 0.0,
                            "community.pressure_hazard": 0.0})
    assert without_rule == 0, "only the decision rule lifts households to basic or better"
    assert with_rule > 20, f"{with_rule} households reached basic in 24 months"


# --------------------------------------------------------------------------- mechanisms

SEEDS = range(6)
HORIZON = 36


def test_more_sanitarian_visits_raise_coverage_beyond_noise():
    base = default_scenario()
    many = base.with_params({"sanitarians.visits_per_month": 400})
    none = base.with_params({"sanitarians.visits_per_month": 0})
    diffs = paired_differences(many, none, SEEDS, HORIZON, "basic_or_better")
    mean, se = mean_and_se(diffs)
    assert mean > 0 and mean > 3 * se, (
        f"visits 400 vs 0: paired difference {mean:+.4f} (SE {se:.4f}) at month {HORIZON}")


def test_visits_effect_grows_with_capacity():
    """More visits help while capacity is below the pool of households not visited recently
    (a sanitarian returns to a household only after sanitarians.revisit_months)."""
    base = default_scenario()
    arms = {v: base.with_params({"sanitarians.visits_per_month": v}) for v in (0, 5, 40)}
    low = paired_differences(arms[5], arms[0], SEEDS, HORIZON, "basic_or_better")
    high = paired_differences(arms[40], arms[5], SEEDS, HORIZON, "basic_or_better")
    for diffs, label in ((low, "5 vs 0"), (high, "40 vs 5")):
        mean, se = mean_and_se(diffs)
        assert mean > 3 * se, f"{label}: {mean:+.4f} (SE {se:.4f})"


def test_without_cooperatives_no_loans_and_lower_coverage():
    base = default_scenario()
    no_coops = base.with_params({"cooperatives.count": 0})
    for seed in SEEDS:
        model = small_model(no_coops, seed=seed)
        model.run(HORIZON)
        table = model.monthly_table()
        assert table["loans_issued"].sum() == 0
        assert table["fund_balance"].max() == 0
        assert (model.households.loan_coop < 0).all()
    diffs = paired_differences(base, no_coops, SEEDS, HORIZON, "basic_or_better")
    mean, se = mean_and_se(diffs)
    assert mean > 0 and mean > 3 * se, (
        f"cooperatives vs none: paired difference {mean:+.4f} (SE {se:.4f})")


def test_cooperatives_help_the_eligible_without_savings():
    """Credit reaches households that could not pay from savings but meet the loan terms."""
    base = default_scenario()
    no_coops = base.with_params({"cooperatives.count": 0})
    gains = []
    for seed in SEEDS:
        shares = []
        for scenario in (base, no_coops):
            model = small_model(scenario, seed=seed)
            hh = model.households
            p = model.params
            eligible = ((hh.rung < Rung.BASIC) & (hh.income >= p["cooperatives.min_income"])
                        & (hh.savings < p["costs.toilet"]))
            model.run(HORIZON)
            shares.append(float((hh.rung[eligible] >= Rung.BASIC).mean()))
        gains.append(shares[0] - shares[1])
    mean, se = mean_and_se(np.array(gains))
    assert mean > 0 and mean > 3 * se, f"eligible gain {mean:+.4f} (SE {se:.4f})"


def test_failures_pull_coverage_down():
    base = default_scenario()
    fragile = base.with_params({"failure.basic": 0.02})
    diffs = paired_differences(base, fragile, SEEDS, HORIZON, "basic_or_better")
    mean, se = mean_and_se(diffs)
    assert mean > 3 * se, f"failure.basic 0.002 vs 0.02: {mean:+.4f} (SE {se:.4f})"


def test_small_models_still_cover_every_rung():
    """Guard for the tests above: the default start fills all five rungs."""
    model = small_model(households=SMALL)
    assert (np.bincount(model.households.rung, minlength=N_RUNGS) > 0).all()
