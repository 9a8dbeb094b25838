"""Targeting, planning, grant uptake and entrepreneurs' quality as mechanisms (Takalar, Solo,
Medan, Tangerang): each moves its outcome by more than 3 standard errors over paired seeds,
and the difference vanishes when the mechanism is switched off, so no constant bonus or
penalty decides the result."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_failure

from sanisim.model import SanitationModel
from sanisim.scenario import SCENARIO_DIR, load
from sanisim.targeting import BELOW_BASIC, MOVABLE, NOT_LISTED, HouseholdDatabase, allocate


def variant(tmp_path, preset: str, text: str):
    """The shipped ``preset`` with the strategy keys of ``text`` changed."""
    path = tmp_path / f"{preset}_variant.toml"
    path.write_text(f'extends = "{(SCENARIO_DIR / f"{preset}.toml").as_posix()}"\n'
                    f'name = "{preset}_variant"\n{text}')
    return load(str(path))


def paired(a, b):
    diff = np.asarray(b, float) - np.asarray(a, float)
    return diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size)


def gap_closed(scenario, bundle: str, seed: int, months: int = 36) -> float:
    """Share of the households below basic at the start that are at basic or better."""
    model = SanitationModel(scenario, seed=seed, bundle=bundle, household_agents=False)
    below = model.households.rung < 3
    model.run(months)
    return float((model.households.rung[below] >= 3).mean())


# ---------------------------------------------------------------- the household register
def test_register_records_after_its_survey_time_and_goes_stale(tmp_path):
    model = SanitationModel(load("takalar"), seed=0, household_agents=False)
    rng = np.random.default_rng(0)
    register = HouseholdDatabase(model.households.n, 1.0, 1.0, 10_000.0, 3, 0, 0.6, rng)
    assert register.survey_due(model.month) and not register.published
    register.survey(model, rng)
    recorded_then = model.households.rung.copy()
    assert register.survey_cost() == 10_000.0 * model.households.n
    register.publish(model.month + 2)
    assert not register.published  # the survey takes three months
    model.run(12)
    register.publish(model.month)
    assert register.published and not register.survey_due(model.month)  # never updated
    np.testing.assert_array_equal(register.rung, recorded_then)  # stale: the month-0 state
    assert (register.rung != model.households.rung).any()
    tiers = register.tiers(np.arange(model.households.n))
    assert set(np.unique(tiers)) <= {-1, MOVABLE, BELOW_BASIC}
    assert (tiers[recorded_then >= 3] == -1).all()
    partial = HouseholdDatabase(model.households.n, 0.5, 0.5, 0.0, 0, 12, 0.6, rng)
    partial.survey(model, rng)
    partial.publish(model.month)
    tiers = partial.tiers(np.arange(model.households.n))
    assert 0.4 < (tiers == NOT_LISTED).mean() < 0.6
    wrong = (partial.rung[partial.rows] != model.households.rung[partial.rows]).mean()
    assert 0.3 < wrong < 0.5  # half the records drawn at random, a fifth of those right


def test_takalar_register_saves_visits_and_closes_more_of_the_gap(tmp_path):
    scenario = load("takalar")
    off_target, closed = {}, {}
    for bundle in ("untargeted_visits", "database_visits"):
        off_target[bundle], closed[bundle] = [], []
        for seed in range(5):
            model = SanitationModel(scenario, seed=seed, bundle=bundle, household_agents=False)
            below = model.households.rung < 3
            model.run(36)
            table = model.monthly_table()
            assert (table[f"{bundle}_spent"] <= 600_000_000.0).all()  # budget never exceeded
            off_target[bundle].append(table[f"{bundle}_wasted"].sum()
                                      / table[f"{bundle}_visits"].sum())
            closed[bundle].append((model.households.rung[below] >= 3).mean())
        if bundle == "database_visits":
            strategy = model.strategies[0]
            assert strategy.database_spent == pytest.approx(
                strategy.database.surveys * strategy.database.survey_cost())
            assert strategy.database.surveys == 3  # months 1, 13, 25 published by 36
    mean, se = paired(off_target["untargeted_visits"], off_target["database_visits"])
    assert mean < -0.2 and -mean > 3 * se, (mean, se)
    mean, se = paired(closed["untargeted_visits"], closed["database_visits"])
    assert mean > 3 * se, (mean, se)
    # without the register (door to door, its order by chance) the difference vanishes
    without = variant(tmp_path, "takalar",
                      '[strategies.database_visits]\ninformation = "door_to_door"\n')
    plain = [gap_closed(without, "database_visits", s) for s in range(5)]
    gone, gone_se = paired(closed["untargeted_visits"], plain)
    assert abs(gone) < 3 * gone_se + 1e-9 and abs(gone) < mean / 2, (gone, mean)


# ---------------------------------------------------------------- planning by need
def test_allocate_splits_visits_by_weight_and_passes_on_what_a_unit_cannot_use():
    units = np.array([0] * 10 + [1] * 10 + [2] * 2)
    priority = np.arange(units.size, dtype=float)
    weights = np.array([1.0, 3.0, 4.0])
    taken = allocate(8, units, weights, priority)
    counts = np.bincount(units[taken], minlength=3)
    assert counts.tolist() == [3, 3, 2]  # unit 2 could use 2 of its 4; the rest by priority
    assert allocate(0, units, weights, priority).size == 0
    assert np.unique(taken).size == taken.size


def test_solo_kelurahan_plan_closes_more_of_the_gap_through_its_allocation(tmp_path):
    scenario = load("solo")
    seeds = range(10)
    city = [gap_closed(scenario, "citywide_visits", s, 48) for s in seeds]
    planned = [gap_closed(scenario, "kelurahan_planning", s, 48) for s in seeds]
    mean, se = paired(city, planned)
    assert mean > 3 * se, (mean, se)
    # the same team with the plan's allocation switched to uniform: no difference left
    uniform = variant(tmp_path, "solo",
                      '[strategies.kelurahan_planning]\nallocation = "uniform"\n')
    plain = [gap_closed(uniform, "kelurahan_planning", s, 48) for s in seeds]
    gone, gone_se = paired(city, plain)
    assert abs(gone) < 3 * gone_se + 1e-9 and abs(gone) < mean / 2, (gone, mean)


def test_plan_by_need_sends_visits_where_households_below_basic_live(tmp_path):
    shares = {}
    for allocation in ("uniform", "by_need"):
        scenario = variant(tmp_path, "solo", "[strategies.kelurahan_planning]\n"
                           f'allocation = "{allocation}"\n')
        model = SanitationModel(scenario, seed=0, bundle="kelurahan_planning",
                                household_agents=False)
        model.run(1)
        visited = model.strategies[0].last_visit == 1
        assert visited.sum() == 12 * 15
        shares[allocation] = (model.households.rung[visited] < 3).mean()
    assert shares["by_need"] > shares["uniform"], shares


def test_grants_planned_worst_first_reach_fewer_poor_households(tmp_path):
    """The same grants split by a plan: sent to the worst-covered RTs first, whole RTs at a
    time, they reach fewer of the poor than grants split in proportion to households (the
    allocation, not a behaviour: whether coverage then ends lower depends on whether the
    recipients would have built themselves, which the calibrated behaviour decides)."""
    shares = {}
    for allocation in ("uniform", "worst_first"):
        scenario = variant(tmp_path, "default", "[strategies.top_down_subsidy]\n"
                           f'allocation = "{allocation}"\nplan_unit = "rt"\n')
        shares[allocation] = []
        for seed in range(6):
            model = SanitationModel(scenario, seed=seed, households=4000,
                                    bundle="top_down_subsidy", household_agents=False)
            model.run(36)
            hh = model.households
            shares[allocation].append(hh.poor[hh.subsidised].mean())
    mean, se = paired(shares["worst_first"], shares["uniform"])
    assert mean > 0 and mean > 3 * se, (mean, se)  # uniform minus worst first: more poor


# ---------------------------------------------------------------- Medan: uptake by behaviour
def in_use_grants(model: SanitationModel) -> float:
    hh = model.households
    return float(((hh.rung >= 3) & hh.in_use)[hh.subsidised].mean())


def medan_gain(scenario, seeds=range(10)):
    top_down, after_bcc = [], []
    for seed in seeds:
        for bundle, out in (("hardware_first", top_down), ("bcc_then_hardware", after_bcc)):
            model = SanitationModel(scenario, seed=seed, bundle=bundle, household_agents=False)
            model.run(48)
            out.append(in_use_grants(model))
    return paired(top_down, after_bcc)


@pytest.mark.slow(seconds=20)
def test_medan_bcc_before_hardware_works_through_the_factors_it_raises(tmp_path):
    """BCC before the grants keeps more of them in use (10 paired seeds: +1.8 points, SE 0.5,
    under the fitted norm of use, which keeps most owners in a well-covered RT using their
    toilet; +4.7 under the earlier posterior), and only through the factors the visits
    raise: with visits that raise nothing the difference vanishes. docs/model.md 7.16."""
    mean, se = medan_gain(load("medan"))
    assert mean > 0.01 and mean > 3 * se, (mean, se)
    # visits that raise no factor: BCC first no longer keeps more grants in use
    idle = variant(tmp_path, "medan", "[strategies.bcc_first]\nvisit_effect = 0.0\n"
                   "follow_up_effect = 0.0\n[strategies.hardware_after_bcc]\n"
                   "visit_effect = 0.0\nfollow_up_effect = 0.0\n")
    gone, gone_se = medan_gain(idle)
    assert abs(gone) < 3 * gone_se + 1e-9 and abs(gone) < mean / 3, (gone, mean)


def test_grant_uptake_by_behaviour_assumes_no_penalty():
    model = SanitationModel(load("medan"), seed=1, bundle="hardware_first",
                            household_agents=False)
    base = model.households.base_self_regulation.copy()
    model.run(16)
    hh, grants = model.households, model.strategies[0]
    assert hh.subsidised.sum() > 50
    np.testing.assert_array_equal(hh.base_self_regulation, base)  # nothing lowered by decree
    assert not hh.repair_due[hh.subsidised & (hh.failed_month < 0)].any()
    done = hh.subsidised & ~grants.awaiting
    assert 0 < (done & ~hh.in_use).sum() < done.sum()  # some use it, some do not
    assert grants.unused_total > 0


# ---------------------------------------------------------------- entrepreneurs' quality
def kws_runs(scenario, seeds=range(4), months=60):
    runs = []
    for seed in seeds:
        model = SanitationModel(scenario, seed=seed, bundle="kws_credit",
                                household_agents=False)
        model.run(months)
        runs.append(model.monthly_table())
    return runs


def test_training_raises_build_quality_and_fewer_entrepreneur_toilets_fail(tmp_path):
    trained = kws_runs(load("tangerang"))
    untrained = kws_runs(variant(tmp_path, "tangerang", "[strategies.kws]\nevaluation_every = 0\n"))
    assert all(t.kws_quality.iloc[-1] > t.kws_quality.iloc[1] + 0.2 for t in trained)
    assert all(t.kws_trained.iloc[-1] > 0 for t in trained)
    failures = paired([t.kws_failures.sum() / t.kws_started.sum() for t in untrained],
                      [t.kws_failures.sum() / t.kws_started.sum() for t in trained])
    assert failures[0] < 0 and -failures[0] > 3 * failures[1], failures


def test_build_quality_drives_failure_only_through_its_weight(tmp_path):
    low = kws_runs(variant(tmp_path, "tangerang",
                           "[strategies.kws]\nevaluation_every = 0\nquality = 0.2\n"))
    high = kws_runs(variant(tmp_path, "tangerang",
                            "[strategies.kws]\nevaluation_every = 0\nquality = 0.8\n"))
    mean, se = paired([t.kws_failures.sum() for t in high], [t.kws_failures.sum() for t in low])
    assert mean > 3 * se, (mean, se)
    # weight 0: quality and its evaluation change no household (the earlier model)
    off = variant(tmp_path, "tangerang", "[strategies.kws]\nquality_weight = 0.0\n"
                  "quality = 0.1\n")
    none = variant(tmp_path, "tangerang", "[strategies.kws]\nquality_weight = 0.0\n"
                   "evaluation_every = 0\nquality_sd = 0.0\n")
    a, b = kws_runs(off, seeds=[0], months=36)[0], kws_runs(none, seeds=[0], months=36)[0]
    for column in ("basic_or_better", "open_defecation", "awaiting_repair", "kws_started"):
        np.testing.assert_array_equal(a[column], b[column])
    assert "kws_failures" not in b


# ---------------------------------------------------------------- user mistakes
@pytest.mark.parametrize(("preset", "table", "key"), [
    ("takalar", '[strategies.database_visits]\ninformation = "census"\n', "information"),
    ("takalar", '[strategies.database_visits]\nallocation = "by_wealth"\n', "allocation"),
    ("takalar", '[strategies.database_visits]\ndatabase_accuracy = 1.5\n', "database_accuracy"),
    ("medan", '[strategies.hardware_first]\nuptake = "decree"\n', "uptake"),
    ("medan", '[strategies.hardware_first]\nuptake = true\n', "uptake"),
])
def test_a_wrong_mechanism_value_is_one_line_naming_file_and_key(tmp_path, capsys, preset,
                                                                 table, key):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{(SCENARIO_DIR / f"{preset}.toml").as_posix()}"\n'
                    f'name = "bad"\n{table}')
    cli_failure(capsys, ["validate", path], "bad.toml", key)
