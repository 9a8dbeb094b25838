"""Community groups (KSM/KPP) running communal plants (sanisim.institutions).

Off, the switch ``mechanisms.community_groups`` leaves the model as it was; on, the groups'
books balance every month, budgets hold, planning gates take their months and turn-out, and
Kulon Progo's lessons show on paired seeds (same seed and same strategy name in both arms, so
population, network and every stream are shared): plants of weak groups fail more than those
of strong groups, and monitoring plus co-management reduces failures, each by more than three
standard errors of the paired difference at 60 months.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanisim.institutions import ASPECTS, CommunityGroupAgent, Stage
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.parameters import PARAMETERS
from sanisim.scenario import load
from sanisim.strategies import STRATEGY_TYPES
from sanisim.strategies.communal import GROUP_OUTPUTS
from tests.baselines import assert_columns_match
from tests.conftest import cli_failure, mean_and_se

ROOT = Path(__file__).resolve().parents[1]
SWITCH = "mechanisms.community_groups"
MONTHS = 60
SEEDS = range(10)
HOUSEHOLDS = 1000
#: Many plants per run, so that the share failing is measured on tens of plants: RTs qualify
#: at a quarter of their households committed, two groups open a month.
MANY_PLANTS = {"commit_threshold": 0.25, "plants_per_month": 2}


@pytest.fixture(scope="module")
def kulon_progo():
    return load("kulon_progo")


def communal(scenario, config: str, **overrides):
    """The communal strategy ``config`` of ``scenario``, always named ``sanimas`` (so arms share
    its random streams), with ``overrides``."""
    return STRATEGY_TYPES["communal"]("sanimas", {**scenario.strategies[config], **overrides})


def run(scenario, seed: int, strategy, months: int = MONTHS,
        households: int = HOUSEHOLDS) -> SanitationModel:
    model = SanitationModel(scenario, seed=seed, households=households, strategies=[strategy],
                            household_agents=False)
    model.run(months)
    return model


def failed_share(model: SanitationModel) -> float:
    """Share of the plants built that failed."""
    strategy = model.strategies[0]
    built = int(np.count_nonzero(strategy.ksm.built_month[: strategy.ksm.n] >= 0))
    assert built >= 5, "too few plants to measure failure"
    return strategy.plants_failed / built


def paired(scenario, config_a: str, config_b: str, over_a=None, over_b=None):
    """Mean and SE of the paired difference in failed share, arm b minus arm a."""
    diff = [failed_share(run(scenario, seed, communal(scenario, config_b, **MANY_PLANTS,
                                                      **(over_b or {}))))
            - failed_share(run(scenario, seed, communal(scenario, config_a, **MANY_PLANTS,
                                                        **(over_a or {}))))
            for seed in SEEDS]
    return mean_and_se(np.array(diff))


# --------------------------------------------------------------------------- the switch


def test_switch_is_off_in_the_default_scenario_and_on_in_kulon_progo(kulon_progo):
    assert load("default")[SWITCH] is False
    assert kulon_progo[SWITCH] is True


def test_off_reproduces_the_communal_bundle_recorded_before_community_groups():
    """The default scenario's communal bundle with the switch off equals, bit for bit, the
    monthly table recorded before community groups existed (tests/data/default_baseline.csv,
    seed 11, 1,500 households, 36 months)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from update_default_baseline import HOUSEHOLDS as N
    from update_default_baseline import MONTHS as M
    from update_default_baseline import OUT, SEED

    expected = pd.read_csv(OUT)
    expected = expected[expected["bundle"] == "communal"].dropna(axis=1, how="all")
    model = SanitationModel(load("default"), seed=SEED, households=N, bundle="communal",
                            household_agents=False)
    model.run(M)
    got = model.monthly_table()
    assert list(got.columns) == list(expected.columns.drop("bundle"))
    assert_columns_match(got, expected, got.columns, OUT)


def test_off_reads_no_group_parameter_and_adds_no_column(kulon_progo):
    """With the switch off, changing every groups.* parameter and every group lever changes
    nothing: the off path is the communal strategy without groups."""
    off = kulon_progo.with_params({SWITCH: False})
    changed = off.with_params({p.key: (p.high if p.high is not None and p.high != p.default
                                       else p.low)
                               for p in PARAMETERS if p.key.startswith("groups.")})
    levers = {"comanagement": 1.0, "monitoring": 1.0, "desludge_every": 3,
              **dict.fromkeys(ASPECTS, 0.05)}
    a = run(off, 3, communal(off, "sanimas_weak_groups"), months=36).monthly_table()
    b = run(changed, 3, communal(off, "sanimas_weak_groups", **levers),
            months=36).monthly_table()
    pd.testing.assert_frame_equal(a, b)
    assert not any(c.endswith(tuple(GROUP_OUTPUTS)) for c in a.columns)
    assert a["sanimas_plants_built"].iloc[-1] > 0


# --------------------------------------------------------------------------- invariants


def test_books_budgets_and_connections_hold_every_month(kulon_progo):
    """Every month: fees in = O&M + desludging + repairs + balance for every group, no
    negative balance, the budget never exceeded, every connection to a running plant of the
    household's own RT, capacities within 0-1, and the monthly columns agree with the state."""
    budget = 1_000_000_000.0  # binds: the plants of about three RTs and their support
    strategy = communal(kulon_progo, "sanimas", budget=budget, comanagement=0.5,
                        monitoring=0.5, **MANY_PLANTS)
    model = SanitationModel(kulon_progo, seed=4, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    ksm = strategy.ksm
    hh = model.households
    fees_booked = 0.0
    for _ in range(MONTHS):
        model.step()
        n = ksm.n
        scale = max(1.0, float(ksm.collected[:n].sum()))
        assert np.all(np.abs(ksm.books_balance()) <= 1e-9 * scale)
        assert np.all(ksm.balance[:n] >= 0)
        assert strategy.spent <= budget
        assert np.all((ksm.capacity[:n] >= 0) & (ksm.capacity[:n] <= 1))
        members = np.flatnonzero(strategy.plant_of_row >= 0)
        group = strategy.plant_of_row[members]
        assert np.all(ksm.stage[group] == Stage.OPERATING)
        assert np.all(ksm.rt[group] == hh.rt[members])
        assert np.all(hh.rung[members] == Rung.SAFELY_MANAGED)
        assert np.array_equal(np.flatnonzero(hh.connected), members)
        row = model.current
        fees_booked += model.ledger.get(("households", "communal_fees"), 0.0)
        assert row["sanimas_plants_working"] + row["sanimas_plants_broken"] == (
            row["sanimas_plants"])
        stages = sum(row[f"sanimas_groups_{s.name.lower()}"] for s in Stage
                     if s not in (Stage.OPERATING, Stage.FAILED))
        assert stages + row["sanimas_plants"] + row["sanimas_plants_failed"] == n
    assert math.isclose(fees_booked, float(ksm.collected[: ksm.n].sum()), rel_tol=1e-12)
    items = ("communal_plant", "communal_facilitation", "communal_support")
    spent = sum(model.totals.get(("government", item), 0.0) for item in items)
    assert math.isclose(spent, strategy.spent, rel_tol=1e-12)
    assert strategy.budget_left < strategy.cost_per_connection * model.rt_size.max()
    assert np.count_nonzero(ksm.built_month[: ksm.n] >= 0) >= 2
    assert ksm.desludging_paid[: ksm.n].sum() > 0 and ksm.om_paid[: ksm.n].sum() > 0


def test_groups_are_mesa_agents_viewing_their_rows(kulon_progo):
    strategy = communal(kulon_progo, "sanimas", **MANY_PLANTS)
    model = run(kulon_progo, 1, strategy, months=24)
    agents = model.agents_by_type[CommunityGroupAgent]
    assert len(agents) == strategy.ksm.n > 0
    for agent in agents:
        assert agent.rt == strategy.ksm.rt[agent.index]
        if agent.operating:
            assert set(agent.capacities) == set(ASPECTS)
            assert agent.balance == strategy.ksm.balance[agent.index]


def test_same_seed_same_numbers(kulon_progo):
    a = run(kulon_progo, 9, communal(kulon_progo, "sanimas_unsupported", **MANY_PLANTS),
            months=30).monthly_table()
    b = run(kulon_progo, 9, communal(kulon_progo, "sanimas_unsupported", **MANY_PLANTS),
            months=30).monthly_table()
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- planning


def test_planning_gates_take_their_months(kulon_progo):
    """A plant opens no sooner than the sum of the stages' shortest durations after its group
    is opened, and exactly then when every meeting reaches its quorum."""
    lag = sum(kulon_progo[f"groups.{s}_months"] for s in (
        "socialisation", "forming", "planning", "approval", "construction"))
    for quorum, exact in ((0.0, True), (0.5, False)):
        scenario = kulon_progo.with_params({"groups.quorum": quorum})
        ksm = run(scenario, 2, communal(scenario, "sanimas", **MANY_PLANTS),
                  months=36).strategies[0].ksm
        built = np.flatnonzero(ksm.built_month[: ksm.n] >= 0)
        assert built.size > 0
        waited = ksm.built_month[built] - ksm.opened_month[built]
        assert np.all(waited == lag) if exact else np.all(waited >= lag)


def test_without_turn_out_planning_stalls_and_nothing_is_built(kulon_progo):
    scenario = kulon_progo.with_params({"groups.quorum": 1.0, "groups.attendance": 0.3})
    model = run(scenario, 2, communal(scenario, "sanimas", **MANY_PLANTS), months=36)
    table = model.monthly_table()
    assert table["sanimas_plants_built"].iloc[-1] == 0
    assert table["sanimas_groups_dropped"].iloc[-1] > 0
    assert model.totals.get(("government", "communal_plant"), 0.0) == 0.0
    assert model.totals[("government", "communal_facilitation")] > 0


def test_participation_raises_commitment_and_upkeep_through_the_factors(kulon_progo):
    """Households attending planning meetings gain injunctive norm and self-regulation (the
    behaviour model's factors), measured on the RTs that had groups, against no effect."""
    gains = {"norm": [], "self_regulation": []}
    for seed in SEEDS:
        values = {}
        for effect in (0.0, 0.1):
            scenario = kulon_progo.with_params({"groups.participation_effect": effect})
            model = run(scenario, seed, communal(scenario, "sanimas", **MANY_PLANTS),
                        months=12)
            rts = model.strategies[0].ksm.rt[: model.strategies[0].ksm.n]
            rows = np.isin(model.households.rt, rts)
            values[effect] = {f: float(getattr(model.households, f)[rows].mean())
                              for f in gains}
        for factor in gains:
            gains[factor].append(values[0.1][factor] - values[0.0][factor])
    for factor, diff in gains.items():
        mean, se = mean_and_se(np.array(diff))
        assert mean > 3 * se and mean > 0.01, (factor, mean, se)


# --------------------------------------------------------------------------- Kulon Progo


def test_kulon_progo_plants_of_weak_groups_fail_more_than_of_strong_groups(kulon_progo):
    """Only the four starting capacities differ (0.3 against the preset's 0.7), without
    co-management or monitoring in either arm."""
    weak = dict.fromkeys(ASPECTS, 0.3)
    mean, se = paired(kulon_progo, "sanimas_unsupported", "sanimas_unsupported", over_b=weak)
    assert mean > 3 * se and mean > 0.1, (mean, se)


def test_kulon_progo_monitoring_and_comanagement_reduce_failures(kulon_progo):
    """The preset's groups with monitoring and co-management (``sanimas``) against the same
    groups without them (``sanimas_unsupported``)."""
    mean, se = paired(kulon_progo, "sanimas", "sanimas_unsupported")
    assert mean > 3 * se and mean > 0.1, (mean, se)


def test_monitoring_catches_broken_plants_sooner(kulon_progo):
    """Monitoring alone: broken plants are noticed and repaired sooner, so fewer plant-months
    are spent broken (paired seeds)."""
    diff = []
    for seed in SEEDS:
        broken = []
        for level in (1.0, 0.0):
            model = run(kulon_progo, seed, communal(kulon_progo, "sanimas_unsupported",
                                                    monitoring=level, **MANY_PLANTS))
            broken.append(model.monthly_table()["sanimas_plants_broken"].sum())
        diff.append(broken[1] - broken[0])
    mean, se = mean_and_se(np.array(diff, float))
    assert mean > 3 * se, (mean, se)


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(("text", "key"), [
    ("[groups]\nquorum = 1.5\n", "groups.quorum"),
    ("[groups]\nquorom = 0.5\n", "groups.quorom"),
    ("[mechanisms]\ncommunity_groups = 1\n", "mechanisms.community_groups"),
    ('[strategies.k]\ntype = "communal"\nmonitoring = 2.0\n[bundles]\nk = ["k"]\n',
     "strategies.k.monitoring"),
])
def test_a_bad_group_value_is_one_line_naming_file_and_key(capsys, write_scenario, text, key):
    path = write_scenario('name = "bad"\n' + text)
    cli_failure(capsys, ["validate", path], str(path), key)


def test_plants_fill_and_are_emptied_only_when_their_group_pays(kulon_progo):
    """Without a schedule a plant is emptied when full, paid from fees; a group without fees
    cannot pay, so its plants fill and stay full."""
    fast = kulon_progo.with_params({"groups.fill_months": 6.0})
    paying = run(fast, 5, communal(fast, "sanimas", desludge_every=0, **MANY_PLANTS),
                 months=36)
    assert paying.monthly_table()["sanimas_desludging_paid"].sum() > 0
    ksm = paying.strategies[0].ksm
    built = ksm.built_month[: ksm.n] >= 0
    assert np.any(ksm.last_emptied[: ksm.n][built] > ksm.built_month[: ksm.n][built])

    strategy = communal(fast, "sanimas", desludge_every=0, fee=0.0, om_cost=0.0, **MANY_PLANTS)
    model = SanitationModel(fast, seed=5, households=HOUSEHOLDS, strategies=[strategy],
                            household_agents=False)
    fill = np.zeros(model.n_rt)
    for _ in range(36):
        model.step()
        running = strategy.ksm.at(Stage.OPERATING)
        assert np.all(strategy.ksm.fill[running] >= fill[running])
        fill = strategy.ksm.fill.copy()
    table = model.monthly_table()
    assert table["sanimas_desludging_paid"].sum() == 0
    assert table["sanimas_plants_full"].iloc[-1] > 0


def test_comanagement_upholds_the_groups_capacities(kulon_progo):
    """Co-management alone: the same groups (same seed, same planning) keep higher capacities
    after three years than without it."""
    diff = []
    for seed in SEEDS:
        mean = []
        for level in (1.0, 0.0):
            model = run(kulon_progo, seed, communal(kulon_progo, "sanimas_unsupported",
                                                    comanagement=level, **MANY_PLANTS),
                        months=36)
            ksm = model.strategies[0].ksm
            built = ksm.built_month[: ksm.n] >= 0
            mean.append(ksm.capacity[: ksm.n][built].mean())
        diff.append(mean[0] - mean[1])
    gain, se = mean_and_se(np.array(diff))
    assert gain > 3 * se and gain > 0.05, (gain, se)
