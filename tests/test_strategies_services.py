"""Service strategies: supply (sanitation entrepreneurs), desludging (LLTT), communal plants.

Each mechanism is shown with paired seeds (same population, network and behaviour draws in
both arms) to move its outcome by more than the replicate noise; capacities and budgets are
checked every month; fees and costs must balance in the books; a strategy that starts at month
24 leaves months 0-23 identical to the baseline arm.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.parameters import markdown_table
from sanisim.scenario import Scenario, default_scenario
from sanisim.strategies import parse_strategy_tables
from sanisim.strategies.communal import Communal
from sanisim.strategies.desludging import ScheduledDesludging
from sanisim.strategies.supply import Supply

HOUSEHOLDS = 2000
SEEDS = range(6)


def scenario_with(tables: dict[str, dict[str, Any]], **params: Any) -> Scenario:
    """The default parameters with the given strategy tables, one bundle per table."""
    base = default_scenario()
    if params:
        base = base.with_params(params)
    configs, bundles = parse_strategy_tables(tables, {name: [name] for name in tables}, "test")
    return replace(base, strategies=configs, bundles=bundles)


def model_for(scenario: Scenario, bundle: str, seed: int,
              households: int = HOUSEHOLDS) -> SanitationModel:
    return SanitationModel(scenario, seed=seed, households=households, bundle=bundle,
                           household_agents=False)


def final(scenario: Scenario, bundle: str, seed: int, months: int, column: str) -> float:
    model = model_for(scenario, bundle, seed)
    model.run(months)
    return float(model.current[column])


def paired(scenario: Scenario, treated: str, control: str, months: int, column: str,
           seeds=SEEDS) -> tuple[float, float]:
    """Mean and standard error of the per-seed difference treated - control."""
    diffs = np.array([final(scenario, treated, s, months, column)
                      - final(scenario, control, s, months, column) for s in seeds])
    return float(diffs.mean()), float(diffs.std(ddof=1) / math.sqrt(diffs.size))


def strategy(model: SanitationModel):
    (only,) = model.strategies
    return only


# --------------------------------------------------------------------------- supply

SUPPLY = {"type": "supply", "start": 1, "end": 600, "entrepreneurs": 3, "capacity": 2,
          "max_capacity": 2, "sales_visits": 0.0}


def test_supply_starts_no_more_jobs_than_capacity_in_any_month():
    """Every month each entrepreneur starts at most its capacity; expansions raise it."""
    tables = {"supply": {**SUPPLY, "capacity": 2, "max_capacity": 6, "capacity_step": 2,
                         "expansion_cost": 100_000.0, "expand_queue_months": 1.0,
                         "discount": 0.3, "budget": 300_000_000.0}}
    model = model_for(scenario_with(tables), "supply", seed=3)
    supply = strategy(model)
    hh = model.households
    busiest = longest = 0
    for _ in range(36):
        model.step()
        # the entrepreneurs' jobs started this month: building a septic toilet, not queued,
        # with one month still to go (local masons build pit toilets)
        started = np.flatnonzero((hh.build_left == 0) & ~hh.queued
                                 & (hh.build_target >= Rung.BASIC) & ~hh.build_pit)
        per_builder = np.bincount(supply.owner[started], minlength=supply.entrepreneurs)
        capacity = np.array([a.capacity_this_month for a in supply.entrepreneur_agents])
        assert np.all(per_builder <= capacity)
        assert per_builder.sum() == supply.started_this_month
        assert (hh.queued == supply.waiting).all()
        assert supply.spent + supply.reserved <= supply.budget + 1e-6
        busiest = max(busiest, int(per_builder.sum()))
        longest = max(longest, int(supply.waiting.sum()))
    assert supply.total_capacity > 3 * 2, "long queues should have made entrepreneurs expand"
    assert busiest > 3 * 2, "expanded capacity should have been used"
    assert longest > 6, "demand should have exceeded the starting capacity"


def test_larger_supply_capacity_raises_basic_or_better():
    tables = {"small": {**SUPPLY, "capacity": 1, "max_capacity": 1},
              "large": {**SUPPLY, "capacity": 20, "max_capacity": 20}}
    diff, se = paired(scenario_with(tables), "large", "small", 36, "basic_or_better")
    assert diff > 0.02 and diff > 3 * se, (diff, se)


def test_supply_queue_limits_construction_against_unlimited_local_masons():
    """A bottleneck of 3 jobs a month holds basic_or_better below the baseline."""
    tables = {"supply": SUPPLY}
    diff, se = paired(scenario_with(tables), "supply", "baseline", 36, "basic_or_better")
    assert diff < -0.02 and -diff > 3 * se, (diff, se)


def test_supply_discount_and_marketing_raise_adoption_with_ample_capacity():
    tables = {"supply": {**SUPPLY, "capacity": 50, "max_capacity": 50, "discount": 0.4,
                         "sales_visits": 1.0, "sales_effect": 0.2}}
    diff, se = paired(scenario_with(tables), "supply", "baseline", 36, "basic_or_better")
    assert diff > 0.005 and diff > 3 * se, (diff, se)


def test_impatient_households_drop_out_with_their_money_back():
    tables = {"supply": {**SUPPLY, "capacity": 1, "max_capacity": 1, "patience_months": 600}}
    model = model_for(scenario_with(tables), "supply", seed=1)
    supply = strategy(model)
    model.run(12)
    hh = model.households
    waiting = np.flatnonzero(supply.waiting & supply.droppable)
    assert waiting.size > 5
    savings = hh.savings.copy()
    deposit = supply.deposit.copy()
    supply.patience_months, supply.dropout_rate = 0, 1.0
    supply.build(model)  # the builder's monthly work: start within capacity, the rest leave
    left = waiting[~supply.waiting[waiting] & (hh.build_left[waiting] < 0)]
    waited = np.count_nonzero(supply.ordered[waiting] < model.month)  # patience 0 exceeded
    assert left.size >= waited - supply.entrepreneurs
    assert np.allclose(hh.savings[left], savings[left] + deposit[left])
    assert not hh.queued[left].any() and (hh.intent[left] == 0).all()
    assert supply.dropouts_this_month == left.size


def test_kept_queue_follows_orders_dropouts_reorders_and_the_handover():
    """``Supply.waiting_rows`` (the queue kept from the orders taken) equals a scan of
    ``waiting`` every month while households queue, drop out, order again and are handed
    over to local masons at the programme's end."""
    tables = {"supply": {**SUPPLY, "end": 30, "capacity": 1, "max_capacity": 1,
                         "patience_months": 1, "dropout_rate": 0.5}}
    model = model_for(scenario_with(tables), "supply", seed=2)
    supply = strategy(model)
    left_before = np.zeros(model.households.n, bool)
    ordered_again = 0
    for _ in range(36):
        before = supply.waiting.copy()
        model.step()
        np.testing.assert_array_equal(supply.waiting_rows(), np.flatnonzero(supply.waiting))
        ordered_again += np.count_nonzero(supply.waiting & ~before & left_before)
        left_before |= before & ~supply.waiting & (model.households.build_left < 0)
    assert supply.dropouts_total > 20 and ordered_again > 5 and supply.handed_over > 0, (
        supply.dropouts_total, ordered_again, supply.handed_over)

def test_supply_books_balance():
    """Entrepreneurs' revenue (list prices) = household payments + discounts paid by the funder.

    No cooperatives, free pits and no pit toilets (local masons' work), so every household
    construction payment is a deposit for an entrepreneur's job.
    """
    tables = {"supply": {**SUPPLY, "capacity": 4, "max_capacity": 4, "discount": 0.25,
                         "budget": 40_000_000.0, "funder": "donors"}}
    scenario = scenario_with(tables, **{"cooperatives.count": 0, "costs.pit": 0.0,
                                        "mechanisms.technology": False})
    model = model_for(scenario, "supply", seed=2)
    supply = strategy(model)
    for _ in range(48):
        model.step()
        assert supply.spent <= supply.budget
        assert supply.spent + supply.reserved <= supply.budget + 1e-6
    paid = model.totals[("households", "construction")]
    discounts = model.totals[("donors", "construction_discount")]
    revenue = sum(a.revenue for a in supply.entrepreneur_agents)
    assert discounts == pytest.approx(supply.spent)
    assert revenue == pytest.approx(supply.revenue_total)
    assert revenue == pytest.approx(paid + discounts)
    committed = supply.spent + supply.reserved  # paid, and promised to queued orders
    assert supply.budget - committed < 0.25 * supply.price, "the budget should bind"
    for agent in supply.entrepreneur_agents:
        assert agent.cash + agent.expansions * agent.expansion_cost == pytest.approx(
            agent.margin * agent.revenue)


def test_supply_hands_the_queue_to_local_masons_when_it_ends():
    tables = {"supply": {**SUPPLY, "end": 18}}
    model = model_for(scenario_with(tables), "supply", seed=0)
    model.run(18)
    supply = strategy(model)
    assert supply.handed_over > 0
    assert not model.households.queued.any() and not supply.waiting.any()
    model.run(6)  # afterwards: the baseline's unlimited route
    assert not model.households.queued.any()


# --------------------------------------------------------------------------- desludging

DESLUDGING = {"type": "desludging", "start": 1, "end": 600, "trucks": 2,
              "trips_per_truck": 40}


def _toilet_failures(model: SanitationModel, months: int) -> int:
    """Households that drop from an own toilet (basic or better) below basic, over the run."""
    failures = 0
    for _ in range(months):
        before = model.households.rung >= Rung.BASIC
        model.step()
        failures += int(np.count_nonzero(before & (model.households.rung < Rung.BASIC)))
    return failures


def test_desludging_raises_safely_managed():
    scenario = scenario_with({"desludging": DESLUDGING})
    diff, se = paired(scenario, "desludging", "baseline", 24, "safely_managed")
    assert diff > 0.3 and diff > 3 * se, (diff, se)


def test_desludging_lowers_toilet_failures():
    scenario = scenario_with({"desludging": DESLUDGING})
    diffs = np.array([_toilet_failures(model_for(scenario, "desludging", s), 36)
                      - _toilet_failures(model_for(scenario, "baseline", s), 36)
                      for s in SEEDS])
    mean, se = diffs.mean(), diffs.std(ddof=1) / math.sqrt(diffs.size)
    assert mean < 0 and -mean > 3 * se, diffs


def test_desludging_capacity_budget_and_books():
    fee, share = 150_000.0, 0.5
    budget = 300 * fee * (1 - share)  # the funder's part of 300 emptyings
    tables = {"desludging": {**DESLUDGING, "fee": fee, "household_share": share,
                             "unable_to_pay": "waive", "budget": budget}}
    model = model_for(scenario_with(tables), "desludging", seed=4)
    lltt = strategy(model)
    hh = model.households
    for _ in range(24):
        model.step()
        assert lltt.emptied_this_month <= lltt.capacity == 80
        assert lltt.spent <= budget
        emptied_now = np.count_nonzero((hh.last_emptied == model.month)
                                       & (hh.rung == Rung.SAFELY_MANAGED))
        assert emptied_now >= lltt.emptied_this_month
    item = "scheduled_desludging"
    households = model.totals[("households", item)]
    government = model.totals[("government", item)]
    assert households + government == pytest.approx(lltt.emptied_total * fee)
    assert households == pytest.approx(lltt.household_paid_total)
    assert government == pytest.approx(lltt.spent)
    assert lltt.emptied_total >= 300 and budget - lltt.spent < fee, "the budget should bind"
    assert model.current["desludging_emptied"] == 0, "no emptying once the budget is spent"


@pytest.mark.parametrize("capacity", [0, 1, 7, 240, 5_000])
def test_desludging_first_tanks_are_the_lowest_priorities(capacity):
    """The capacity's tanks found among those emptied no later than the capacity-th month
    are the capacity lowest priorities (emptied month + draw) over every due tank."""
    rng = np.random.default_rng(capacity)
    lltt = ScheduledDesludging.__new__(ScheduledDesludging)
    lltt.capacity = capacity
    for months in (1, 3, 80, 2_000):  # one month (ties in the months), a few, many, sparse
        emptied = (-36 - rng.integers(0, months, 6_000)).astype(np.int16)
        draws = rng.random(emptied.size)
        priority = emptied + draws
        expected = np.argpartition(priority, capacity - 1)[:capacity] if capacity else []
        np.testing.assert_array_equal(np.sort(lltt._first(emptied, draws)),
                                      np.sort(expected))


def test_desludging_fee_rule_skip_or_waive():
    """Households who cannot pay are skipped (funder pays nothing) or waived (funder pays)."""
    ample = {**DESLUDGING, "trucks": 10, "trips_per_truck": 100, "household_share": 1.0}
    tables = {"skip": {**ample, "unable_to_pay": "skip"},
              "waive": {**ample, "unable_to_pay": "waive"}}
    scenario = scenario_with(tables, **{"population.savings_rate": 0.005})
    skip = model_for(scenario, "skip", seed=5)
    waive = model_for(scenario, "waive", seed=5)
    skip.run(12)
    waive.run(12)
    assert strategy(skip).skipped_this_month > 0 and strategy(skip).spent == 0
    assert strategy(waive).spent > 0
    assert strategy(waive).emptied_total > strategy(skip).emptied_total


# --------------------------------------------------------------------------- communal

COMMUNAL = {"type": "communal", "start": 1, "end": 600, "commit_threshold": 0.3,
            "plants_per_month": 2}


def test_communal_plants_connect_households_and_raise_safely_managed():
    scenario = scenario_with({"communal": COMMUNAL})
    diff, se = paired(scenario, "communal", "baseline", 24, "safely_managed")
    assert diff > 0.01 and diff > 3 * se, (diff, se)
    model = model_for(scenario, "communal", seed=0)
    plants = strategy(model)
    hh = model.households
    for _ in range(24):
        model.step()
        assert (hh.rung[hh.connected] == Rung.SAFELY_MANAGED).all()
        assert (hh.connected == (plants.plant_of_row >= 0)).all()
        members = np.bincount(plants.plant_of_row[hh.connected], minlength=len(plants.groups))
        for group in plants.groups:
            assert members[group.plant] <= group.size
            assert (hh.rt[plants.plant_of_row == group.plant] == group.rt).all()
            if not group.operating:
                assert members[group.plant] == 0
    assert model.current["communal_connected"] > 50


def test_low_fee_collection_makes_more_plants_fail():
    tables = {"high": {**COMMUNAL, "collection_efficiency": 0.95},
              "low": {**COMMUNAL, "collection_efficiency": 0.5}}
    scenario = scenario_with(tables)
    failed = {arm: np.array([final(scenario, arm, s, 48, f"{arm}_plants_failed") for s in SEEDS])
              for arm in ("high", "low")}
    diffs = failed["low"] - failed["high"]
    mean, se = diffs.mean(), diffs.std(ddof=1) / math.sqrt(diffs.size)
    assert mean > 0 and mean > 3 * se, failed


def test_plant_fee_accounts_balance_and_capital_stays_within_budget():
    fee, om = 20_000.0, 14_000.0
    tables = {"communal": {**COMMUNAL, "fee": fee, "om_cost": om,
                           "collection_efficiency": 0.7, "budget": 1_500_000_000.0}}
    model = model_for(scenario_with(tables), "communal", seed=6)
    plants = strategy(model)
    for _ in range(48):
        model.step()
        assert plants.spent <= plants.budget
        for group in plants.groups:
            assert group.balance >= 0
            assert group.balance == pytest.approx(group.collected_total - group.om_paid_total,
                                                  abs=1e-6)
            assert group.om_paid_total <= group.om_due_total + 1e-6
            assert group.collected_total <= fee * group.size * (model.month - group.built_month)
    fees = model.totals[("households", "communal_fees")]
    assert fees == pytest.approx(sum(g.collected_total for g in plants.groups))
    assert model.totals[("government", "communal_plant")] == pytest.approx(plants.spent)
    assert plants.spent == pytest.approx(sum(plants.cost_per_connection * g.size
                                             for g in plants.groups))
    assert plants.budget - plants.spent < plants.cost_per_connection * model.rt_size.max()


def test_failed_plant_members_fall_back_to_their_earlier_rung():
    tables = {"communal": {**COMMUNAL, "collection_efficiency": 0.0, "fail_after": 3}}
    scenario = scenario_with(tables, **{"failure.basic": 0.0, "failure.unimproved": 0.0,
                                        "failure.limited": 0.0})
    model = model_for(scenario, "communal", seed=0)
    plants = strategy(model)
    hh = model.households
    checked = 0
    for _ in range(12):
        members = {g.plant: np.flatnonzero(plants.plant_of_row == g.plant)
                   for g in plants.groups if g.operating}
        model.step()
        for group in plants.groups:
            if group.failed_month == model.month:
                rows = members[group.plant]
                expected = np.clip(plants.prior_rung[rows], Rung.UNIMPROVED, Rung.BASIC)
                assert not hh.connected[rows].any()
                assert (hh.rung[rows] == expected).all()
                checked += rows.size
    assert checked > 0


# --------------------------------------------------------------------------- docs


@pytest.mark.parametrize("cls", [Supply, ScheduledDesludging, Communal],
                         ids=lambda cls: cls.type_name)
def test_parameter_tables_in_the_docs_match_the_records(cls):
    """The strategies' parameter tables are generated from their records, never typed twice."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    text = (docs / "strategies.md").read_text(encoding="utf-8")
    assert markdown_table(cls.PARAMS) in text, (
        f"regenerate the {cls.type_name} table: sanisim.parameters.markdown_table(PARAMS)")


# --------------------------------------------------------------------------- timing


@pytest.mark.parametrize("table", [
    {**SUPPLY, "discount": 0.3},
    {**DESLUDGING, "household_share": 0.5},
    {**COMMUNAL},
], ids=["supply", "desludging", "communal"])
def test_strategy_starting_at_month_24_leaves_earlier_months_identical(table):
    scenario = scenario_with({"late": {**table, "start": 24}})
    late = model_for(scenario, "late", seed=7)
    base = model_for(scenario, "baseline", seed=7)
    late.run(30)
    base.run(30)
    a, b = late.monthly_table(), base.monthly_table()
    shared = list(b.columns)
    assert a.loc[:23, shared].equals(b.loc[:23, shared])
    assert not a.loc[24:, shared].equals(b.loc[24:, shared])


def test_entrepreneurs_quote_septic_toilets_not_pit_toilet_repairs():
    """An entrepreneur's package price applies to septic toilets only: a failed pit toilet in
    its service area is repaired at the local masons' price."""
    model = model_for(scenario_with({"supply": {**SUPPLY, "discount": 0.25}}), "supply", seed=4)
    for _ in range(2):
        model.step()
    supply = strategy(model)
    hh, p = model.households, model.params
    served = np.flatnonzero(supply.owner >= 0)[:20]
    assert served.size == 20
    hh.repair_due[served] = True
    hh.pit_toilet[served[:10]] = True
    price = model.price_to_basic(served)
    assert np.allclose(price[:10], p["costs.repair_share"] * p["costs.basic_pit"])
    assert not np.allclose(price[10:], p["costs.repair_share"] * p["costs.toilet"])
