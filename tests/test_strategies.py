"""Strategies bcc, demand_creation, microcredit and subsidy; bundles; paired outcomes.

Mechanism tests use paired seeds (the same population, network and baseline draws in both
arms) and require the mean paired difference to exceed 3 standard errors of the paired
differences. Capacity and budget limits are checked every month.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line, mean_and_se

from sanisim.analysis.outcomes import compare, group_sizes, rank
from sanisim.errors import InputError
from sanisim.ladder import Rung
from sanisim.ledger import cumulative_costs
from sanisim.model import OUTPUT_COLUMNS, SanitationModel
from sanisim.scenario import default_scenario, from_dict, load
from sanisim.strategies import STRATEGY_TYPES, parse_strategy_tables
from sanisim.strategies.bcc import TARGETING, Promoter
from sanisim.targeting import RULES, select

HOUSEHOLDS = 3000
SEEDS = range(6)
MARGIN = 3.0  # paired mean difference must exceed this many standard errors


def make(kind: str, name: str | None = None, **table):
    """A validated strategy object of type ``kind`` (table as in a scenario file)."""
    name = name or kind
    configs, _ = parse_strategy_tables({name: {"type": kind, **table}}, {}, "<test>")
    return STRATEGY_TYPES[kind](name, configs[name])


def run(strategies, seed: int, months: int, scenario=None, households: int = HOUSEHOLDS):
    model = SanitationModel(scenario or default_scenario(), seed=seed, households=households,
                            strategies=strategies, household_agents=False)
    model.run(months)
    return model.monthly_table(), model


def paired(build, months: int, measure, scenario=None, seeds=SEEDS) -> np.ndarray:
    """Per seed: measure(arm) - measure(baseline); ``build()`` makes fresh strategies."""
    diffs = []
    for seed in seeds:
        arm, arm_model = run(build(), seed, months, scenario)
        base, base_model = run([], seed, months, scenario)
        diffs.append(measure(arm, arm_model) - measure(base, base_model))
    return np.array(diffs, float)


def assert_beyond_noise(diffs: np.ndarray) -> None:
    mean, se = mean_and_se(diffs)
    assert mean > 0 and mean > MARGIN * se, f"mean {mean:.2f}, SE {se:.2f}: {diffs}"


def adopted(table: pd.DataFrame, model: SanitationModel) -> float:
    return float(table["basic_or_better"].iloc[-1] * model.households.n)


# --------------------------------------------------------------------------- bcc


def test_bcc_visits_raise_adoption_beyond_noise():
    diffs = paired(lambda: [make("bcc", cadres=6)], 36, adopted)
    assert_beyond_noise(diffs)


def test_bcc_first_visits_raise_risk_attitude_ability_and_follow_ups_self_regulation():
    strategy = make("bcc", cadres=4, sanitarian_extra_visits=0, follow_up_after=1,
                    refer_to_credit=False)
    scenario = default_scenario().with_params({"sanitarians.count": 0})  # no routine visits
    model = SanitationModel(scenario, seed=3, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    hh = model.households
    model.step()
    visited = np.flatnonzero(strategy.last_visit == 1)
    assert visited.size == strategy.capacity
    for factor in ("risk", "attitude", "ability"):
        gain = getattr(hh, factor)[visited] - getattr(hh, f"base_{factor}")[visited]
        assert (gain > 0).all()
    assert not hh.referred[visited].any()
    before = hh.self_regulation[visited].copy()
    keep = model._keep
    model.step()  # month 2: the follow-ups of month 1 are due and come first
    expected = hh.base_self_regulation[visited] + keep * (
        before - hh.base_self_regulation[visited])
    expected += np.float32(strategy.follow_up_effect) * (1 - expected)
    np.testing.assert_allclose(hh.self_regulation[visited], expected, rtol=1e-5)
    assert strategy.follow_ups_total == visited.size


@pytest.mark.parametrize("targeting", TARGETING)
def test_bcc_capacity_budget_and_books_every_month(targeting):
    cost = 25_000.0
    budget = 900 * cost  # runs out within the run
    strategy = make("bcc", cadres=5, visits_per_cadre=12, sanitarian_extra_visits=8,
                    targeting=targeting, visit_cost=cost, budget=budget, follow_up_after=2)
    model = SanitationModel(default_scenario(), seed=1, households=HOUSEHOLDS,
                            strategies=[strategy], household_agents=False)
    promoters = list(strategy.promoters)
    assert all(isinstance(p, Promoter) for p in promoters)
    assert {p.role for p in promoters} == {"cadre", "sanitarian"}
    for _ in range(30):
        model.step()
        for promoter in promoters:
            assert promoter.visits_this_month + promoter.follow_ups_this_month <= (
                promoter.capacity)
        assert strategy.spent <= budget + 1e-6
        row = model.current
        assert row["bcc_visits"] + row["bcc_follow_ups"] <= row["bcc_capacity"]
    visits = strategy.visits_total + strategy.follow_ups_total
    assert strategy.spent == pytest.approx(visits * cost)
    booked = model.totals[("government", "bcc_visits")] + model.totals[
        ("government", "bcc_follow_ups")]
    assert booked == pytest.approx(strategy.spent)
    assert strategy.budget_left < cost  # the budget was used up, never exceeded


def test_cadre_catchments_partition_the_households():
    strategy = make("bcc", cadres=7, sanitarian_extra_visits=0)
    model = SanitationModel(default_scenario(), seed=0, households=1000,
                            strategies=[strategy], household_agents=False)
    rows = np.concatenate([p.catchment for p in strategy.promoters])
    assert np.array_equal(np.sort(rows), np.arange(model.households.n))


# --------------------------------------------------------------------------- targeting


def test_targeting_choices_are_registered_rules():
    for kind in ("bcc", "subsidy"):
        choices = {p.key: p for p in STRATEGY_TYPES[kind].PARAMS}["targeting"].choices
        assert set(choices) <= set(RULES), set(choices) - set(RULES)


def test_nominated_friends_reach_better_connected_households():
    """The friendship paradox: named friends have more ties than random households."""
    model = SanitationModel(default_scenario(), seed=2, households=HOUSEHOLDS,
                            household_agents=False)
    rng = np.random.default_rng(0)
    candidates = np.arange(model.households.n)
    degree = model.network.degree
    friends, randoms = [], []
    for _ in range(20):
        keys = rng.random(candidates.size)
        friends.append(degree[select(model, "nominated_friends", candidates, keys, 200)].mean())
        randoms.append(degree[select(model, "random", candidates, keys, 200)].mean())
    diffs = np.array(friends) - np.array(randoms)
    assert_beyond_noise(diffs)
    top = select(model, "most_connected", candidates, keys, 200)
    assert degree[top].min() >= np.sort(degree)[-200]


def test_whole_community_serves_one_rt_at_a_time():
    model = SanitationModel(default_scenario(), seed=0, households=1000,
                            household_agents=False)
    hh = model.households
    candidates = np.flatnonzero(hh.rung < Rung.BASIC)
    keys = np.random.default_rng(1).random(candidates.size)
    chosen = select(model, "whole_community", candidates, keys, candidates.size)
    rts = hh.rt[chosen]
    blocks = np.flatnonzero(np.diff(rts)) + 1  # RT changes along the service order
    assert np.unique(rts).size == blocks.size + 1  # each RT is one contiguous run


# --------------------------------------------------------------------------- demand creation


def test_demand_creation_raises_adoption_beyond_noise():
    diffs = paired(lambda: [make("demand_creation", sessions_per_month=3)], 36, adopted)
    assert_beyond_noise(diffs)


def test_triggering_raises_norm_and_commitment_of_attendees_only():
    strategy = make("demand_creation", sessions_per_month=2, media_every_months=0,
                    attendance=0.5)
    # without community dynamics: a session without a plan would lower the norm (backfire)
    scenario = default_scenario().with_params({"sanitarians.count": 0,
                                               "mechanisms.community": False})
    model = SanitationModel(scenario, seed=4, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    hh = model.households
    model.step()
    triggered = np.flatnonzero(strategy.last_triggered == 1)
    assert triggered.size == 2
    members = np.isin(hh.rt, triggered)
    raised = hh.norm > hh.base_norm + 1e-7
    assert raised[members].mean() == pytest.approx(0.5, abs=0.2)
    assert not raised[~members].any()
    assert (hh.self_regulation[raised] > hh.base_self_regulation[raised]).all()
    assert model.current["demand_creation_attendees"] == raised.sum()


def test_demand_creation_gains_fade_with_their_own_half_life_also_after_the_end():
    """Risk gained from one media burst halves every ``media_half_life_months``."""
    half_life = 3.0
    scenario = default_scenario().with_params({"sanitarians.count": 0,
                                               "factors.half_life_months": 6.0})

    def strategy():
        return [make("demand_creation", start=1, end=2, sessions_per_month=0,
                     media_every_months=12, media_reach=1.0, media_effect=0.2,
                     media_half_life_months=half_life)]

    arm = SanitationModel(scenario, seed=5, households=1000, strategies=strategy(),
                          household_agents=False)
    base = SanitationModel(scenario, seed=5, households=1000, household_agents=False)
    excess = []
    for _ in range(10):
        arm.step()
        base.step()
        excess.append(float((arm.households.risk - base.households.risk).mean()))
    excess = np.array(excess)
    assert excess[0] > 0.05
    ratios = excess[1:] / excess[:-1]
    np.testing.assert_allclose(ratios, 0.5 ** (1 / half_life), rtol=1e-3)


@pytest.mark.parametrize("half_lives", [(3.0, 6.0), (12.0, 6.0)])  # correction < 0 and > 0
def test_factor_gains_fade_on_their_rows_as_on_whole_arrays(half_lives):
    """Gains kept on the rows that hold them fade to the same bits as over whole arrays,
    through the switch to whole arrays (more than DENSE_SHARE of the rows) and the reset
    once every gain is below a factor's resolution."""
    from sanisim.strategies.common import FactorGains

    def households():
        return SanitationModel(default_scenario(), seed=3, households=2000,
                               household_agents=False).households

    tracked_hh, whole_hh = households(), households()
    n = tracked_hh.n
    tracked = FactorGains(n, ("norm", "risk"), *half_lives)
    whole = FactorGains(n, ("norm", "risk"), *half_lives)
    whole.rows = None  # whole arrays from the start
    rng = np.random.default_rng(4)
    seen_tracked = seen_whole = False
    for month in range(420):
        if month < 60 and month % 3 == 0:  # a handful of rows, repeats included
            rows = rng.integers(0, n, 40)
            for gains, hh in ((tracked, tracked_hh), (whole, whole_hh)):
                gains.add(hh, rows, ("norm",), 0.3)
                gains.add(hh, rows[:20], ("risk",), 0.2)
        if month == 45:  # a burst over most rows: whole arrays from here
            rows = np.flatnonzero(rng.random(n) < 0.6)
            for gains, hh in ((tracked, tracked_hh), (whole, whole_hh)):
                gains.add(hh, rows, ("risk",), 0.05)
        seen_tracked |= tracked.rows is not None and tracked.rows.size > 0
        seen_whole |= tracked.any and tracked.rows is None
        for gains, hh in ((tracked, tracked_hh), (whole, whole_hh)):
            gains.fade(hh)
        for name in ("norm", "risk"):
            np.testing.assert_array_equal(getattr(tracked_hh, name), getattr(whole_hh, name))
            np.testing.assert_array_equal(tracked.gain[name], whole.gain[name])
    assert seen_tracked and seen_whole
    assert not tracked.any and tracked.rows is not None and tracked.rows.size == 0  # reset


@pytest.mark.parametrize("effects", [(0.3, 0.2), (0.3, 0.0), (0.0, 0.0)])
def test_factor_gains_one_share_per_name_as_one_call_per_name(effects):
    """``FactorGains.add`` with a share per name gives the values, gains and rows holding
    gains of one call per name (a share of 0 adds nothing, as its own call would)."""
    from sanisim.strategies.common import FactorGains

    def households():
        return SanitationModel(default_scenario(), seed=3, households=2000,
                               household_agents=False).households

    together_hh, apart_hh = households(), households()
    together = FactorGains(together_hh.n, ("norm", "self_regulation"), 6.0, 12.0)
    apart = FactorGains(apart_hh.n, ("norm", "self_regulation"), 6.0, 12.0)
    rng = np.random.default_rng(5)
    for _ in range(4):
        rows = np.sort(rng.choice(together_hh.n, 150, replace=False))
        together.add(together_hh, rows, ("norm", "self_regulation"), effects)
        apart.add(apart_hh, rows, ("norm",), effects[0])
        apart.add(apart_hh, rows, ("self_regulation",), effects[1])
        for name in ("norm", "self_regulation"):
            np.testing.assert_array_equal(getattr(together_hh, name), getattr(apart_hh, name))
            np.testing.assert_array_equal(together.gain[name], apart.gain[name])
        np.testing.assert_array_equal(together.rows, apart.rows)
        assert together.any == apart.any == any(effects)
        together.fade(together_hh)
        apart.fade(apart_hh)


def test_demand_creation_capacity_budget_and_costs_every_month():
    session_cost, media_cost = 2_000_000.0, 30_000_000.0
    budget = 100_000_000.0
    strategy = make("demand_creation", sessions_per_month=4, session_cost=session_cost,
                    media_every_months=5, media_cost=media_cost, budget=budget)
    model = SanitationModel(default_scenario(), seed=2, households=HOUSEHOLDS,
                            strategies=[strategy], household_agents=False)
    sessions = bursts = 0
    for _ in range(40):
        model.step()
        row = model.current
        assert row["demand_creation_sessions"] <= row["demand_creation_session_capacity"] <= 4
        assert strategy.spent <= budget + 1e-6
        sessions += row["demand_creation_sessions"]
        bursts += row["demand_creation_media_bursts"]
    assert sessions > 0 and bursts > 0
    assert strategy.spent == pytest.approx(sessions * session_cost + bursts * media_cost)
    assert budget - strategy.spent < max(session_cost, media_cost)


# --------------------------------------------------------------------------- microcredit


TIGHT_FUND = {"cooperatives.fund": 40_000_000.0}  # about 16 loans each: the fund binds


def test_microcredit_fund_injection_and_offers_raise_loans_and_adoption_beyond_noise():
    scenario = default_scenario().with_params(TIGHT_FUND)

    def build():
        return [make("microcredit", fund_injection=300_000_000.0, extra_processing=10,
                     funder="donors")]

    loans = paired(build, 36, lambda t, m: float(t["loans_issued"].sum()), scenario)
    assert_beyond_noise(loans)
    assert_beyond_noise(paired(build, 36, adopted, scenario))


def test_microcredit_books_balance_with_injection_and_terms_return_after_the_end():
    scenario = default_scenario().with_params(TIGHT_FUND)
    injection = 200_000_000.0
    strategy = make("microcredit", end=24, fund_injection=injection, tenor_months=36,
                    monthly_interest=0.01, extra_processing=5, offers_per_month=10,
                    channel="open", funder="donors", budget=1e9)
    model = SanitationModel(scenario, seed=3, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    coops = list(model.cooperatives)
    scenario_terms = [(c.tenor, c.rate, c.capacity) for c in coops]
    for month in range(1, 37):
        model.step()
        for coop in coops:
            assert abs(coop.books_balance) < 1e-3 * (coop.starting_fund + coop.injected)
            assert coop.cash >= -1e-6
        assert model.current["microcredit_offers"] <= 10 * len(coops)
        assert strategy.spent <= 1e9
        terms = [(c.tenor, c.rate, c.capacity) for c in coops]
        if month <= 24:
            assert terms == [(36, 0.01, cap + 5) for _, _, cap in scenario_terms]
        else:
            assert terms == scenario_terms
    assert sum(c.injected for c in coops) == pytest.approx(injection * len(coops))
    assert model.totals[("donors", "credit_fund_injection")] == pytest.approx(
        injection * len(coops))
    table = model.monthly_table()
    assert table["funds_injected"].iloc[-1] == pytest.approx(injection * len(coops))
    assert table["loans_issued"].sum() == sum(c.loans_issued for c in coops)
    assert table["loans_repaid"].sum() == sum(c.loans_repaid for c in coops)
    assert table["loans_disbursed"].sum() == pytest.approx(
        model.totals[("cooperatives", "loans_disbursed")])


def test_microcredit_referral_channel_offers_only_to_households_referred_by_visits():
    no_routine_referrals = default_scenario().with_params({"sanitarians.refer_to_credit": False})
    offers = {}
    for channel in ("referral", "open"):
        strategy = make("microcredit", channel=channel, offers_per_month=30)
        table, _ = run([strategy], 1, 6, no_routine_referrals)
        offers[channel] = table["microcredit_offers"].sum()
    assert offers["referral"] == 0 < offers["open"]  # nobody referred: no referral offers

    credit = make("microcredit", channel="referral", offers_per_month=30)
    visits = make("bcc", cadres=6, sanitarian_extra_visits=0)
    table, model = run([visits, credit], 1, 6, no_routine_referrals)
    offered = credit.offered_month > 0
    assert 0 < offered.sum() == table["microcredit_offers"].sum()
    assert (visits.last_visit[offered] > 0).all()  # every offer went to a visited household
    assert (table["microcredit_offers"] <= 30 * len(model.cooperatives)).all()


def test_diverted_loans_build_nothing_and_keep_their_debt():
    scenario = default_scenario().with_params({"cooperatives.fund": 1e9})
    strategy = make("microcredit", diversion_share=0.5)
    model = SanitationModel(scenario, seed=2, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    hh = model.households
    issued = diverted = 0
    for _ in range(12):
        model.step()
        issued += model.current["loans_issued"]
        diverted += model.current["microcredit_diverted"]
        for coop in model.cooperatives:
            assert abs(coop.books_balance) < 1e-3 * coop.starting_fund
    assert issued > 100
    assert abs(diverted - issued / 2) < 4 * math.sqrt(issued / 4)  # binomial(issued, 1/2)
    borrowing = hh.loan_coop >= 0
    assert (borrowing & (hh.rung < Rung.BASIC) & (hh.build_left < 0)).sum() > 0


# --------------------------------------------------------------------------- subsidy


def test_subsidy_grants_raise_adoption_beyond_noise():
    diffs = paired(lambda: [make("subsidy", budget=1.5e9, grants_per_month=15)], 24, adopted)
    assert_beyond_noise(diffs)


@pytest.mark.parametrize("targeting", ["poorest_first", "lottery", "whole_community"])
@pytest.mark.parametrize("with_bcc", [False, True])
def test_subsidy_capacity_budget_and_books_every_month(targeting, with_bcc):
    unit_cost, visit_cost = 10_000_000.0, 25_000.0
    budget = 75.5 * unit_cost  # 75 grants; the rest can pay no further grant
    strategy = make("subsidy", unit_cost=unit_cost, visit_cost=visit_cost, budget=budget,
                    grants_per_month=9, targeting=targeting, with_bcc=with_bcc,
                    lead_months=2, funder="donors")
    model = SanitationModel(default_scenario(), seed=0, households=HOUSEHOLDS,
                            strategies=[strategy], household_agents=False)
    poorest = model.households.income.argsort()
    for _ in range(20):
        model.step()
        row = model.current
        assert row["subsidy_grants"] <= row["subsidy_grant_capacity"] == 9
        assert row["subsidy_enrolled"] <= 9
        assert strategy.spent + strategy.committed <= budget + 1e-3
    hh = model.households
    grants = strategy.grants_total
    assert grants == hh.subsidised.sum() > 0
    assert model.totals[("donors", "hardware_grants")] == pytest.approx(grants * unit_cost)
    visits = model.totals.get(("donors", "subsidy_bcc_visits"), 0.0)
    assert visits == pytest.approx(strategy.visits_total * visit_cost)
    assert strategy.spent == pytest.approx(grants * unit_cost + visits)
    assert model.totals[("households", "construction")] >= 0
    if targeting == "poorest_first" and not with_bcc:
        assert hh.subsidised[poorest[:50]].mean() > hh.subsidised.mean()


def test_hardware_without_bcc_slips_more_than_hardware_after_bcc():
    """Recipients keep using a toilet better when BCC came before the hardware."""
    scenario = default_scenario().with_params({"failure.basic": 0.01})

    def kept(table, model):
        rows = model.households.subsidised
        return float((model.households.rung[rows] >= Rung.BASIC).mean())

    def arm(with_bcc):
        return lambda: [make("subsidy", budget=1e9, grants_per_month=20, with_bcc=with_bcc,
                             lead_months=1)]

    diffs = []
    for seed in SEEDS:
        accompanied = run(arm(True)(), seed, 48, scenario)
        top_down = run(arm(False)(), seed, 48, scenario)
        diffs.append(kept(*accompanied) - kept(*top_down))
    assert_beyond_noise(np.array(diffs))


def test_unowned_recipients_lose_self_regulation_and_some_leave_the_toilet_unused():
    strategy = make("subsidy", grants_per_month=100, unowned_nonuse=0.3,
                    unowned_self_regulation_drop=0.5)
    model = SanitationModel(default_scenario(), seed=1, households=HOUSEHOLDS,
                            strategies=[strategy], household_agents=False)
    hh = model.households
    base_before = hh.base_self_regulation.copy()
    model.step()
    got = np.flatnonzero(hh.subsidised)
    assert got.size == 100
    lowered = hh.base_self_regulation[got] < base_before[got]
    assert 10 < strategy.unused_total < 50  # about 30% of the (mostly unowned) recipients
    not_building = got[hh.build_left[got] < 0]  # left unused (and not repairing it yet)
    assert 0 < not_building.size <= strategy.unused_total
    assert hh.repair_due[not_building].all() and (hh.rung[not_building] < Rung.BASIC).all()
    assert lowered.sum() > 40
    np.testing.assert_allclose(hh.base_self_regulation[got[lowered]],
                               0.5 * base_before[got[lowered]], rtol=1e-6)


# --------------------------------------------------------------------------- time window


@pytest.mark.parametrize("kinds", [("bcc",), ("demand_creation",), ("microcredit",),
                                   ("subsidy",), ("bcc", "demand_creation", "microcredit",
                                                  "subsidy")])
def test_strategy_starting_at_month_24_leaves_months_0_to_23_identical(kinds):
    extra = {"microcredit": {"fund_injection": 1e8, "tenor_months": 36, "diversion_share": 0.3},
             "subsidy": {"with_bcc": True}}
    strategies = [make(k, start=24, **extra.get(k, {})) for k in kinds]
    arm, _ = run(strategies, 7, 30, households=1500)
    base, _ = run([], 7, 30, households=1500)
    assert list(base.columns) == list(OUTPUT_COLUMNS)
    pd.testing.assert_frame_equal(arm.loc[:23, base.columns], base.loc[:23])
    assert not arm.loc[24:, base.columns].equals(base.loc[24:])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("table", "key", "words"), [
    ({"type": "bbc"}, "strategies.s.type", ("unknown strategy type", "did you mean 'bcc'")),
    ({"type": "bcc", "cadre": 3}, "strategies.s.cadre", ("did you mean 'cadres'",)),
    ({"type": "subsidy", "start": 30, "end": 12}, "strategies.s.end", ("must not be before",)),
    ({"type": "bcc", "targeting": "richest_first"}, "strategies.s.targeting",
     ("nominated_friends",)),
    ({"type": "subsidy", "targeting": "random"}, "strategies.s.targeting", ("lottery",)),
    ({"type": "microcredit", "channel": "door"}, "strategies.s.channel", ("referral",)),
    ({"type": "demand_creation", "attendance": 1.5}, "strategies.s.attendance", ("[0, 1]",)),
])
def test_strategy_table_errors_are_one_line(table, key, words):
    with pytest.raises(InputError) as err:
        from_dict({"strategies": {"s": table}, "bundles": {"b": ["s"]}}, source="x.toml")
    assert_one_line(str(err.value), "x.toml", key, *words)


def test_default_scenario_has_the_required_bundles_and_each_runs():
    scenario = load("default")
    required = {"baseline", "bcc", "demand_creation", "bcc_plus_credit", "top_down_subsidy",
                "bcc_before_hardware", "full_package"}
    assert required <= set(scenario.bundles)
    assert scenario.bundles["baseline"] == ()
    hardware = scenario.bundles["bcc_before_hardware"]
    types = {scenario.strategies[n]["type"]: scenario.strategies[n] for n in hardware}
    assert types["subsidy"]["with_bcc"] and types["subsidy"]["start"] > types["bcc"]["start"]
    for bundle in scenario.bundles:
        model = SanitationModel(scenario, seed=0, households=600, bundle=bundle,
                                household_agents=False)
        model.run(14)
        shares = model.monthly_table()[["open_defecation", "unimproved", "limited", "basic",
                                        "safely_managed"]].sum(axis=1)
        np.testing.assert_allclose(shares, 1.0)


def test_cli_lists_and_runs_every_bundle(tmp_path, capsys):
    from sanisim.cli import main

    assert main(["strategies", "default"]) == 0
    listed = capsys.readouterr().out
    scenario = load("default")
    for bundle in scenario.bundles:
        assert bundle in listed
    for bundle in ("bcc_before_hardware", "full_package"):
        assert main(["run", "default", "--strategy", bundle, "--months", "3", "--households",
                     "300", "--out", str(tmp_path / bundle)]) == 0
        assert (tmp_path / bundle / "monthly.csv").is_file()
    assert main(["run", "default", "--strategy", "bcc_befor_hardware", "--months", "1"]) == 2
    assert "did you mean 'bcc_before_hardware'" in capsys.readouterr().err


# --------------------------------------------------------------------------- outcomes


def test_equity_columns_add_up_to_the_total():
    table, model = run([make("subsidy", grants_per_month=30)], 0, 12, households=1000)
    sizes = group_sizes(model)
    n = model.households.n
    by_quintile = sum(table[f"basic_or_better_q{q}"] * sizes[f"q{q}"] for q in range(1, 6))
    by_gender = (table["basic_or_better_female"] * sizes["female"]
                 + table["basic_or_better_male"] * sizes["male"])
    np.testing.assert_allclose(by_quintile, table["basic_or_better"] * n)
    np.testing.assert_allclose(by_gender, table["basic_or_better"] * n)
    assert (table["basic_or_better_q1"] < table["basic_or_better_q5"]).all()


def test_paired_comparison_costs_and_gains():
    scenario = default_scenario()
    strategies = [make("subsidy", grants_per_month=20, funder="government"),
                  make("microcredit", fund_injection=1e8, funder="donors")]
    arm, model = run(strategies, 1, 24, scenario, households=1500)
    base, _ = run([], 1, 24, scenario, households=1500)
    result = compare(arm, base, model.households.n, group_sizes(model))
    same = compare(base, base, model.households.n, group_sizes(model))
    assert (same.filter(regex="^additional_") == 0).all().all()

    end = result.iloc[-1]
    assert end["additional_basic_or_better"] == round(
        (arm["basic_or_better"].iloc[-1] - base["basic_or_better"].iloc[-1]) * 1500)
    groups = sum(end[f"additional_q{q}"] for q in range(1, 6))
    assert groups == end["additional_basic_or_better"]
    assert end["additional_female"] + end["additional_male"] == groups
    funders = sum(end[f"additional_cost_{f}"] for f in
                  ("government", "donors", "households", "cooperatives"))
    assert end["additional_cost_total"] == pytest.approx(funders)
    grants = model.totals[("government", "hardware_grants")]
    assert end["additional_cost_government"] == pytest.approx(grants + model.totals.get(
        ("government", "sanitarian_visits"), 0) - base["spending_government"].sum())
    credit = strategies[1]
    assert end["additional_cost_donors"] == pytest.approx(credit.spent)  # injection + offers
    assert credit.spent == pytest.approx(1e8 * len(model.cooperatives) + model.totals[
        ("donors", "loan_offers")])
    costs = cumulative_costs(arm).iloc[-1]
    coops = list(model.cooperatives)
    assert costs["cooperatives"] == pytest.approx(  # net cash outlay of the cooperatives
        sum(c.outstanding + c.written_off - c.interest_collected - c.injected for c in coops))
    assert end["cost_per_additional_total"] == pytest.approx(
        end["additional_cost_total"] / end["additional_basic_or_better"])
    assert end["loans_issued_arm"] == arm["loans_issued"].sum()


def test_rank_reports_every_bundle_at_every_month():
    scenario = load("default")
    bundles = ["bcc", "top_down_subsidy"]
    summary = rank(scenario, bundles, replicates=2, months=(6, 12), households=800)
    assert set(summary["bundle"]) == set(bundles)
    assert sorted(summary["month"].unique()) == [6, 12]
    assert (summary.groupby("month")["rank"].apply(sorted).apply(list) == [[1, 2]] * 2).all()
    subsidy = summary[(summary["bundle"] == "top_down_subsidy") & (summary["month"] == 12)]
    assert subsidy["additional_basic_or_better"].iloc[0] > 0


# --------------------------------------------------------------------------- docs


@pytest.mark.parametrize("kind", ["common", "bcc", "demand_creation", "microcredit", "subsidy",
                                  "voucher"])
def test_parameter_tables_in_docs_match_the_records(kind):
    """docs/strategies.md carries the tables generated from the records, never typed twice."""
    from pathlib import Path

    from sanisim.parameters import markdown_table
    from sanisim.strategies import COMMON_PARAMS

    text = (Path(__file__).resolve().parent.parent / "docs" / "strategies.md").read_text()
    params = COMMON_PARAMS if kind == "common" else STRATEGY_TYPES[kind].PARAMS
    assert markdown_table(params) in text, (
        f"regenerate the {kind} table: sanisim.parameters.markdown_table(PARAMS)")


# --------------------------------------------------------------------------- hooks


def test_a_hook_for_no_phase_is_an_error_when_the_class_is_defined():
    from sanisim.strategies import Strategy, register

    with pytest.raises(TypeError, match=r"on_decid is not the hook of a phase.*on_decide\?"):
        class Misspelt(Strategy):
            type_name = "misspelt"

            def on_decid(self, model) -> None:  # never called: the phase is "decide"
                pass

    class Duck:  # registered without deriving from Strategy: checked by register
        type_name = "duck"

        def on_weekend(self, model) -> None:
            pass

    with pytest.raises(TypeError, match="on_weekend is not the hook of a phase"):
        register(Duck)

    class Fine(Strategy):  # hooks of real phases, and non-hook attributes, are accepted
        type_name = "fine"
        on_call = "not a method"

        def on_decide(self, model) -> None:
            pass
