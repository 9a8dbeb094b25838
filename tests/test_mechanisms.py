"""The behaviour mechanisms (sanisim.mechanisms): each moves what it should, off is the old model.

Every mechanism is tested alone against the model with all of them off, on paired seeds (the
same seed for both arms), by more than three standard errors of the paired difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanisim import facilities
from sanisim.ladder import Rung
from sanisim.mechanisms import MECHANISMS, all_off, key, without
from sanisim.model import SanitationModel
from sanisim.population import owned_facility
from sanisim.purchase import guests_per_host
from sanisim.scenario import load
from sanisim.strategies import STRATEGY_TYPES
from sanisim.strategies.base import COMMON_PARAMS
from tests.baselines import assert_columns_match
from tests.conftest import mean_and_se

DATA = Path(__file__).parent / "data"
SEEDS = range(10)

#: A low-coverage rural setting with little credit (about a third at open defecation).
LOW_COVERAGE = {
    "population.start_shares.open_defecation": 0.35, "population.start_shares.unimproved": 0.25,
    "population.start_shares.limited": 0.05, "population.start_shares.basic": 0.33,
    "population.start_shares.safely_managed": 0.02, "population.poverty_rate": 0.3,
    "cooperatives.count": 0, "population.rt_size": 30,
}


def strategy(kind: str, **values):
    config = {p.key: p.default for p in (*COMMON_PARAMS, *STRATEGY_TYPES[kind].PARAMS)}
    config.update(start=1, end=10**6, budget=1e15, type=kind, **values)
    return STRATEGY_TYPES[kind](kind, config)


def run(scenario, seed: int, months: int, make=lambda: [], households: int = 2000):
    model = SanitationModel(scenario, seed=seed, households=households, strategies=make(),
                            household_agents=False)
    model.run(months)
    return model


def only(name: str, base):
    """The scenario with every mechanism off except ``name``."""
    return all_off(base).with_params({key(name): True})


def paired(on, off, measure, seeds=SEEDS) -> tuple[float, float]:
    return mean_and_se(np.array([measure(on, s) - measure(off, s) for s in seeds]))


@pytest.fixture(scope="module")
def default():
    return load("default")


@pytest.fixture(scope="module")
def low(default):
    return default.with_params(LOW_COVERAGE)


def test_all_mechanisms_off_reproduces_the_model_before_them():
    sys.path.insert(0, str(Path(__file__).parents[1] / "tools"))
    from update_mechanisms_off_baseline import BASE_COLUMNS, SCENARIO, tables

    expected = pd.read_csv(DATA / "mechanisms_off_baseline.csv")
    got = tables(all_off(load(SCENARIO)))
    assert list(got["bundle"]) == list(expected["bundle"])
    assert_columns_match(got, expected, BASE_COLUMNS, DATA / "mechanisms_off_baseline.csv")


def test_every_mechanism_has_a_switch_that_defaults_on(default):
    for name in MECHANISMS:
        assert default[key(name)] is True


def test_community_commitment_makes_triggering_move_a_low_coverage_community(low):
    """Plans and sanction move households off open defecation to a facility of their own;
    at the calibrated savings rate money, not the wish, limits how many reach basic, so the
    gain is measured in own facilities."""
    trigger = lambda: [strategy("demand_creation", sessions_per_month=40, facilitation=0.9,  # noqa: E731
                                media_every_months=0)]

    def gain(scenario, seed):
        with_ = run(scenario, seed, 24, trigger).monthly_table()["own_facility"]
        return with_.iloc[-1] - with_.iloc[0]

    mean, se = paired(only("community", low), all_off(low), gain)
    assert mean > 3 * se and mean > 0.01, (mean, se)


def test_saving_up_keeps_deciders_off_the_cheap_option_unless_pressed(low):
    """Households deciding on an improved toilet they cannot pay keep saving for it, so
    open defecation falls more slowly without a programme; a decision pressed by a
    triggered community still takes the cheap way off open defecation at once."""
    od = lambda months: lambda scenario, seed: run(scenario, seed, months).monthly_table()[  # noqa: E731
        "open_defecation"].iloc[-1]
    patient = {"purchase.fallback": 0.05}
    mean, se = paired(only("saving", low).with_params(patient), all_off(low), od(24))
    assert mean > 3 * se and mean > 0.03, (mean, se)

    pressed = all_off(low).with_params({key("community"): True, key("saving"): True,
                                        "purchase.fallback": 0.0})
    trigger = lambda: [strategy("demand_creation", sessions_per_month=40, facilitation=0.9,  # noqa: E731
                                media_every_months=0)]

    def drop(scenario, seed):
        table = run(scenario, seed, 12, trigger).monthly_table()["open_defecation"]
        return table.iloc[0] - table.iloc[-1]

    def drop_without(scenario, seed):
        table = run(scenario, seed, 12).monthly_table()["open_defecation"]
        return table.iloc[0] - table.iloc[-1]

    gains = np.array([drop(pressed, s) - drop_without(pressed, s) for s in SEEDS])
    mean, se = mean_and_se(gains)
    assert mean > 3 * se and mean > 0.03, (mean, se)


def test_triggering_backfires_where_social_capital_is_low(low):
    affluent = low.with_params({"population.savings_rate": 0.3})  # the wish, not money, binds
    weak = only("community", affluent).with_params({"community.social_capital": 0.05,
                                                    "community.backfire_effect": 0.9})
    trigger = lambda: [strategy("demand_creation", sessions_per_month=40, facilitation=0.9,  # noqa: E731
                                session_norm_effect=0.1, session_commitment_effect=0.1,
                                media_every_months=0)]

    def triggered_minus_control(scenario, seed):
        a = run(scenario, seed, 24, trigger).monthly_table()["basic_or_better"].iloc[-1]
        b = run(scenario, seed, 24).monthly_table()["basic_or_better"].iloc[-1]
        return a - b

    values = np.array([triggered_minus_control(weak, s) for s in SEEDS])
    mean, se = mean_and_se(values)
    assert mean < -3 * se, (mean, se)
    strong = only("community", affluent).with_params({"community.social_capital": 0.9})
    values = np.array([triggered_minus_control(strong, s) for s in SEEDS])
    mean, se = mean_and_se(values)
    assert mean > 3 * se, (mean, se)


def test_community_pressure_pulls_rts_above_the_threshold_hardest(default):
    """Strategic complementarity: the pull on open defecators grows with the share of their
    RT that no longer defecates in the open, so in RTs above the tipping threshold a larger
    share of them stop because of it than in RTs below."""
    rich = default.with_params({"population.savings_rate": 0.3,
                                "population.community_effect_sd": 2.0,
                                "population.start_shares.open_defecation": 0.3,
                                "population.start_shares.basic": 0.4652})
    on = only("community", rich).with_params({"community.pressure_hazard": 0.2,
                                              "community.tipping_threshold": 0.7})
    off = all_off(rich)

    def stopped(scenario, seed):
        model = SanitationModel(scenario, seed=seed, households=2000, household_agents=False)
        od_free = model.rt_od_free.copy()
        was_od = model.practising_od().copy()
        model.run(12)
        left = (was_od & ~model.practising_od()).astype(float)
        rt = model.households.rt
        per_rt = (np.bincount(rt, weights=left, minlength=model.n_rt)
                  / np.maximum(np.bincount(rt, weights=was_od, minlength=model.n_rt), 1))
        return od_free, per_rt, np.bincount(rt, weights=was_od, minlength=model.n_rt) > 0

    diffs = []
    for seed in SEEDS:
        od_free, on_rate, has = stopped(on, seed)
        _, off_rate, _ = stopped(off, seed)
        extra = on_rate - off_rate
        high, low_ = has & (od_free >= 0.8), has & (od_free < 0.5)
        diffs.append(extra[high].mean() - extra[low_].mean())
    mean, se = mean_and_se(np.array(diffs))
    assert mean > 3 * se, (mean, se)


def test_willingness_to_pay_makes_price_matter(default):
    """Halving the price raises adoption more when price acts on willingness to buy."""
    def price_effect(scenario, seed):
        cheap = scenario.with_params({"costs.toilet": scenario["costs.toilet"] / 2})
        return (run(cheap, seed, 24).monthly_table()["basic_or_better"].iloc[-1]
                - run(scenario, seed, 24).monthly_table()["basic_or_better"].iloc[-1])

    mean, se = paired(only("willingness_to_pay", default), all_off(default), price_effect)
    assert mean > 3 * se, (mean, se)


def test_a_loan_offer_at_the_point_of_sale_converts_within_months(low):
    credit = low.with_params({"cooperatives.count": 4, "cooperatives.min_income": 1e9,
                              "cooperatives.fund": 1e11, "cooperatives.processing_capacity": 500})
    offers = lambda: [strategy("microcredit", channel="open", offers_per_month=200,  # noqa: E731
                               min_income=0.0, monthly_interest=0.028, tenor_months=12)]

    def bought(scenario, seed):
        t = run(scenario, seed, 6, offers).monthly_table()["basic_or_better"]
        return t.iloc[-1] - t.iloc[0]

    mean, se = paired(only("point_of_sale", credit), all_off(credit), bought)
    assert mean > 3 * se and mean > 0.02, (mean, se)


def test_a_voucher_is_a_price_cut_redeemed_on_building(low):
    vouchers = lambda: [strategy("voucher", vouchers_per_month=300, value_share=0.75)]  # noqa: E731
    on = low
    model = run(on, 3, 12, vouchers)
    v = model.strategies[0]
    assert v.redeemed_total > 0
    spent = model.monthly_table()["voucher_spent"].iloc[-1]
    assert spent == pytest.approx(v.spent) and 0 < spent <= v.redeemed_total * 0.75 * on[
        "costs.toilet"] + 1e-6

    def gain(scenario, seed):
        t = run(scenario, seed, 12, vouchers).monthly_table()["basic_or_better"]
        u = run(scenario, seed, 12).monthly_table()["basic_or_better"]
        return t.iloc[-1] - u.iloc[-1]

    mean, se = mean_and_se(np.array([gain(on, s) for s in SEEDS]))
    assert mean > 3 * se, (mean, se)


def test_sharing_has_a_limit_a_fee_and_sharers_still_build(low, default):
    scenario = only("sharing", low).with_params({"sharing.max_guests": 1})

    def limited(s, seed):
        return run(s, seed, 24).monthly_table()["limited"].iloc[-1]

    mean, se = paired(scenario, all_off(low), limited)
    assert mean < -3 * se, (mean, se)  # fewer households can share

    scenario = only("sharing", default).with_params({"sharing.max_guests": 1,
                                                     "sharing.preference": 1.0,
                                                     "population.savings_rate": 0.3})
    built_from_sharing = 0  # under one a run: counted over several seeds
    for seed in range(1, 9):
        model = SanitationModel(scenario, seed=seed, households=2000, household_agents=False)
        for _ in range(36):
            sharing = model.households.host >= 0
            model.step()
            hh = model.households
            guests = guests_per_host(hh)
            assert guests.max() <= 1
            hosts = np.flatnonzero(guests)
            assert (hh.rung[hosts] >= Rung.BASIC).all()
            assert (hh.rung[hh.host >= 0] == Rung.LIMITED).all()
            guest = np.flatnonzero(hh.host >= 0)  # in its host's RT (find_hosts counts on it)
            assert (hh.rt[hh.host[guest]] == hh.rt[guest]).all()
            built_from_sharing += int((sharing & (hh.rung >= Rung.BASIC)).sum())
    assert built_from_sharing > 0


def test_guests_among_hosts_equal_the_count_over_every_household():
    from sanisim.purchase import _guests_among

    rng = np.random.default_rng(4)
    for n in (1, 7, 200):
        host = np.where(rng.random(n) < 0.4, rng.integers(0, n, n), -1)
        every = np.bincount(host[host >= 0], minlength=n)
        for hosts in (np.arange(0), np.sort(rng.choice(n, rng.integers(1, n + 1), replace=False))):
            assert np.array_equal(_guests_among(hosts, host[host >= 0]), every[hosts])


def test_find_hosts_gives_each_rt_its_own_free_places_in_order(default):
    """Seekers in many RTs, some without a free place: every host found is in its seeker's
    RT, at basic, in use and no guest itself; no host takes more guests than it has room for;
    each RT matches as many seekers as it has seekers or free places, whichever is fewer."""
    from sanisim.purchase import find_hosts

    model = SanitationModel(default, seed=3, households=3000, household_agents=False)
    model.run(6)
    hh, rng = model.households, np.random.default_rng(8)
    od = np.flatnonzero(hh.rung == Rung.OPEN_DEFECATION)
    full_rt = hh.rt[od[0]]  # an RT whose possible hosts are all taken
    takers = np.flatnonzero((hh.rt == full_rt) & (hh.rung >= Rung.BASIC))
    hh.in_use[takers] = False
    for _ in range(5):
        rows = np.sort(np.unique(np.append(rng.choice(od, 40, replace=False), od[0])))
        candidate = (hh.rung >= Rung.BASIC) & hh.in_use & (hh.host < 0)
        hosts_now = np.flatnonzero(candidate)
        room = default["sharing.max_guests"] - guests_per_host(hh)[hosts_now]
        free = np.bincount(hh.rt[hosts_now], weights=np.maximum(room, 0), minlength=model.n_rt)
        found = find_hosts(model, rows)
        got = found >= 0
        assert not got[rows == od[0]].any()  # its RT has no free place
        assert (hh.rt[found[got]] == hh.rt[rows[got]]).all()
        assert candidate[found[got]].all()
        taken = np.bincount(found[got], minlength=hh.n)
        assert (taken[hosts_now] <= np.maximum(room, 0)).all()
        seekers = np.bincount(hh.rt[rows], minlength=model.n_rt)
        matched = np.bincount(hh.rt[rows[got]], minlength=model.n_rt)
        np.testing.assert_array_equal(matched, np.minimum(seekers, free).astype(int))
        assert matched.sum() > 0


def test_owning_is_not_using(default):
    def practising_od(s, seed):
        return run(s, seed, 24).monthly_table()["practising_od"].iloc[-1]

    mean, se = paired(only("use", default), all_off(default), practising_od)
    assert mean > 3 * se, (mean, se)


def test_use_starts_at_the_stationary_share_of_the_use_process(default):
    """Month 0's non-users are as many as the use process holds once settled (the sum over
    owners of disuse m^2 / (resume + disuse m^2)), within four binomial SDs; off, none."""
    from sanisim.facilities import use_multiplier

    for seed in range(3):
        model = SanitationModel(default, seed=seed, households=4000, household_agents=False)
        hh, p = model.households, model.params
        owners = np.flatnonzero(hh.rung >= Rung.UNIMPROVED)
        m2 = use_multiplier(model, owners) ** 2
        prob = p["use.disuse"] * m2 / (p["use.resume"] + p["use.disuse"] * m2)
        idle = np.count_nonzero(~hh.in_use[owners])
        assert abs(idle - prob.sum()) < 4 * np.sqrt((prob * (1 - prob)).sum()), (idle, prob.sum())
        assert idle > 0
    off = default.with_params({"use.start_in_equilibrium": False})
    model = SanitationModel(off, seed=0, households=4000, household_agents=False)
    assert model.households.in_use[model.households.rung >= Rung.UNIMPROVED].all()


def test_starting_in_equilibrium_removes_the_rise_of_open_defecation_at_the_start(default):
    """Without a programme, every facility in use at month 0 makes practising open defecation
    rise in the first year while non-users accumulate; started at the stationary share, the
    share of owners not using their facility stays where it starts (paired seeds)."""
    # a norm of use under which owners' non-use is large enough to see in a year (with the
    # default's strong norm of any latrine, m^2 is about 0.005 in this well-covered district)
    weak_norm = {"use.disuse": 0.01, "use.coverage_norm": "basic", "use.w_coverage": 2.0}
    fresh = default.with_params({**weak_norm, "use.start_in_equilibrium": False})
    settled = default.with_params(weak_norm)

    def od_change(s, seed):
        table = run(s, seed, 12, households=3000).monthly_table()
        return table["practising_od"].iloc[-1] - table["practising_od"].iloc[0]

    def idle_drift(s, seed):
        table = run(s, seed, 12, households=3000).monthly_table()
        return abs(table["not_in_use"].iloc[-1] - table["not_in_use"].iloc[0])

    mean, se = paired(fresh, settled, od_change)
    assert mean > 3 * se and mean > 0.01, (mean, se)
    drift, drift_se = mean_and_se(np.array([idle_drift(settled, s) for s in SEEDS]))
    assert drift < 0.01, (drift, drift_se)


#: A pit-latrine village: most facilities are unimproved pits or shared, few at basic (the
#: Mali setting's start, Pickering et al. 2015).
PIT_VILLAGES = {
    "population.start_shares.open_defecation": 0.33, "population.start_shares.unimproved": 0.30,
    "population.start_shares.limited": 0.32, "population.start_shares.basic": 0.05,
    "population.start_shares.safely_managed": 0.0, "population.rt_size": 40,
}


def test_the_norm_of_use_can_be_the_share_with_a_latrine_of_any_kind(default):
    """``use.coverage_norm``: the use multiplier reads the RT's share with any facility
    (facility, the default) or at basic or better (basic); in pit-latrine villages the share
    at basic is small, so with "basic" most owners of a pit are non-users, and with
    "facility" far fewer practise open defecation (paired seeds, month 12)."""
    from sanisim.facilities import norm_coverage

    assert default["use.coverage_norm"] == "facility"
    villages = default.with_params({**PIT_VILLAGES, "use.coverage_norm": "facility"})
    model = SanitationModel(villages, seed=0, households=2000, household_agents=False)
    hh = model.households
    size = np.bincount(hh.rt, minlength=model.n_rt)
    np.testing.assert_allclose(norm_coverage(model), np.bincount(
        hh.rt, weights=hh.rung > Rung.OPEN_DEFECATION, minlength=model.n_rt) / size)
    basic = villages.with_params({"use.coverage_norm": "basic"})
    model = SanitationModel(basic, seed=0, households=2000, household_agents=False)
    np.testing.assert_allclose(norm_coverage(model), np.bincount(
        model.households.rt, weights=model.households.rung >= Rung.BASIC,
        minlength=model.n_rt) / size)

    def practising_od(s, seed):
        return run(s, seed, 12).monthly_table()["practising_od"].iloc[-1]

    mean, se = paired(basic, villages, practising_od)
    assert mean > 3 * se and mean > 0.05, (mean, se)


def test_repair_at_once_keeps_toilets_working(default):
    fragile = default.with_params({"failure.basic": 0.02})

    def basic(s, seed):
        return run(s, seed, 24).monthly_table()["basic_or_better"].iloc[-1]

    mean, se = paired(only("repair", fragile), all_off(fragile), basic)
    assert mean > 3 * se, (mean, se)


@pytest.mark.parametrize("months", [24, 7, 40])
def test_abandonment_takes_the_toilets_failed_that_long_ago_and_not_building(default, months):
    model = run(default.with_params({"failure.abandon_months": months}), 3, 30)
    hh, rng = model.households, np.random.default_rng(months * 2)
    # every case on random rows: never failed yet due (a subsidy's unused toilet), failed
    # at any month up to now, due or repaired, building or not
    hh.failed_month[:] = rng.integers(-1, model.month + 1, hh.n)
    hh.repair_due[:] = rng.random(hh.n) < 0.5
    hh.build_left[:] = np.where(rng.random(hh.n) < 0.2, 2, -1)
    before = {k: getattr(hh, k).copy() for k in ("failed_month", "repair_due", "owned")}
    expected = [r for r in range(hh.n) if before["repair_due"][r] and before["failed_month"][r]
                >= 0 and model.month - before["failed_month"][r] >= months
                and hh.build_left[r] < 0]
    old = facilities.abandon(model)
    assert old.tolist() == expected
    assert (months > model.month) == (old.size == 0)
    kept = np.setdiff1d(np.arange(hh.n), old)
    assert not hh.repair_due[old].any() and (hh.failed_month[old] == -1).all()
    for k, was in before.items():
        assert np.array_equal(getattr(hh, k)[kept], was[kept]), k


def test_household_records_hold_every_month(low):
    model = SanitationModel(low, seed=5, households=2000,
                            strategies=[strategy("demand_creation"), strategy("voucher")],
                            household_agents=False)
    hh = model.households
    ever = hh.ever_owned.copy()
    for _ in range(36):
        model.step()
        assert (hh.owned >= owned_facility(hh.rung)).all()
        assert (hh.ever_owned >= ever).all() and (hh.ever_owned >= (hh.owned > 0)).all()
        ever = hh.ever_owned.copy()
        assert not (hh.in_use & (hh.rung == Rung.OPEN_DEFECATION) & (hh.owned == 0)
                    & (hh.host >= 0)).any()
        assert (hh.savings >= -1e-6).all()
        od = model.practising_od()
        assert np.array_equal(od, (hh.rung == Rung.OPEN_DEFECATION) | ~hh.in_use)


def test_pit_toilets_bring_basic_within_reach_of_the_poor(default, low):
    """Two improved technologies: households whose willingness to pay or savings fall short
    of the septic toilet build the cheaper pit toilet, so more households reach basic where
    many are below it (a low-coverage district: +5 points in 36 months with the current
    default); pit toilets are never emptied to safely managed."""
    poor_default = default.with_params({"population.poverty_rate": 0.4})

    def basic(scenario, seed):
        return run(scenario, seed, 36).monthly_table()["basic_or_better"].iloc[-1]

    mean, se = paired(low, without(low, "technology"), basic)
    assert mean > 3 * se and mean > 0.01, (mean, se)

    model = SanitationModel(poor_default, seed=3, households=2000, household_agents=False)
    for _ in range(36):
        model.step()
        hh = model.households
        assert not (hh.pit_toilet & (hh.rung == Rung.SAFELY_MANAGED)).any()
        assert not (hh.pit_toilet & (hh.rung < Rung.BASIC) & ~hh.repair_due).any()
    assert model.monthly_table()["pit_toilet"].iloc[-1] > 0


def test_a_plan_for_own_latrines_and_mutual_help_raise_own_latrines(low):
    """In an RT whose plan is running, households pressed off open defecation dig their own
    pit rather than share (community.own_latrine), and neighbours build one for those who
    cannot pay (community.mutual_help): own latrines rise after capable triggering (each by
    more than 3 SE and half a point; with the current default, whose plan hazard is low, 0.044
    a month, mutual help adds about 0.7 points)."""
    trigger = lambda: [strategy("demand_creation", sessions_per_month=40, facilitation=0.9,  # noqa: E731
                                media_every_months=0)]

    def own(scenario, seed):
        return run(scenario, seed, 24, trigger).monthly_table()["own_facility"].iloc[-1]

    none = {"community.own_latrine": 0.0, "community.mutual_help": 0.0}
    for name in ("community.own_latrine", "community.mutual_help"):
        on = low.with_params({**none, name: 1.0})
        mean, se = paired(on, low.with_params(none), own)
        assert mean > 3 * se and mean > 0.005, (name, mean, se)
    # the neighbours' help is booked to households, and only when the rate is above zero
    helped = run(low.with_params({**none, "community.mutual_help": 1.0}), 1, 24, trigger)
    unhelped = run(low.with_params(none), 1, 24, trigger)
    assert helped.totals[("households", "mutual help")] > 0
    assert unhelped.totals.get(("households", "mutual help"), 0.0) == 0.0


def test_sharers_under_a_plan_dig_their_own_pit(default):
    """``mechanisms.sharer_own``: in pit-latrine villages without credit, triggered by a capable
    programme, sharing households in an RT with a running plan turn to pits of their own, so own
    facilities rise and sharing falls (paired seeds, month 24, each by more than 3 SE and two
    points); a pit dug by a sharer replaces the shared toilet, every month; and without a plan
    the switch changes nothing, draw for draw."""
    villages = default.with_params({**PIT_VILLAGES, "community.social_capital": 0.8,
                                    "community.own_latrine": 0.8, "cooperatives.count": 0})
    off = without(villages, "sharer_own")
    trigger = lambda: [strategy("demand_creation", sessions_per_month=20, facilitation=0.9,  # noqa: E731
                                media_every_months=0)]

    def share(column):
        return lambda s, seed: run(s, seed, 24, trigger).monthly_table()[column].iloc[-1]

    mean, se = paired(villages, off, share("own_facility"))
    assert mean > 3 * se and mean > 0.02, (mean, se)
    mean, se = paired(villages, off, share("limited"))
    assert mean < -3 * se and mean < -0.02, (mean, se)

    model = SanitationModel(villages, seed=3, households=2000, strategies=trigger(),
                            household_agents=False)
    dug = 0
    for _ in range(24):
        hh = model.households
        was_sharing = (hh.rung == Rung.LIMITED) & (hh.build_left == 0)
        target = hh.build_target.copy()
        model.step()
        own_pit = was_sharing & (target == Rung.UNIMPROVED)
        # the pit replaced the shared toilet (unless it failed in the same month's failure
        # phase, sending its household to open defecation)
        assert np.isin(hh.rung[own_pit], (Rung.UNIMPROVED, Rung.OPEN_DEFECATION)).all()
        assert (hh.host[own_pit] < 0).all()  # no longer a guest
        assert (hh.rung[hh.host >= 0] == Rung.LIMITED).all()
        dug += int((hh.rung[own_pit] == Rung.UNIMPROVED).sum())
    assert dug > 0

    for seed in (0, 1):  # no plan, no difference
        a, b = run(villages, seed, 24).monthly_table(), run(off, seed, 24).monthly_table()
        pd.testing.assert_frame_equal(a, b)


def test_a_voucher_pays_for_a_pit_toilet_too(low):
    """A voucher that covers any toilet (``covers = "any"``) brings the pit toilet within reach
    of holders who cannot take the septic toilet: more of them reach basic, and vouchers are
    redeemed on pit toilets at the pit price; ``covers = "septic"`` never pays for one."""
    def vouchers(covers):
        return lambda: [strategy("voucher", vouchers_per_month=300, value_share=0.75,
                                 poor_only=True, covers=covers)]

    def poor_basic(covers):
        def measure(scenario, seed):
            hh = run(scenario, seed, 12, vouchers(covers)).households
            return float((hh.rung[hh.poor] >= Rung.BASIC).mean())
        return measure

    mean, se = mean_and_se(np.array([poor_basic("any")(low, s) - poor_basic("septic")(low, s)
                                     for s in SEEDS]))
    assert mean > 3 * se and mean > 0.01, (mean, se)

    for covers in ("any", "septic"):
        model = SanitationModel(low, seed=2, households=2000, strategies=vouchers(covers)(),
                                household_agents=False)
        v, hh = model.strategies[0], model.households
        on_pits = []  # (rows redeemed on a pit toilet, value booked to each)
        redeem = v._redeem

        def recording(model, rows, value, redeem=redeem, hh=hh, on_pits=on_pits):
            pit = hh.build_pit[rows]
            on_pits.append((rows[pit], np.broadcast_to(value, rows.shape)[pit]))
            redeem(model, rows, value)

        v._redeem = recording
        model.run(12)
        rows = np.concatenate([r for r, _ in on_pits])
        values = np.concatenate([x for _, x in on_pits])
        if covers == "any":
            assert rows.size > 0 and hh.poor[rows].all()
            np.testing.assert_allclose(values, 0.75 * low["costs.basic_pit"])
        else:
            assert rows.size == 0


def test_starting_pit_toilets_are_the_poorest_owners_and_zero_changes_nothing(default):
    """``population.start_pit_toilets`` makes that share of the starting basic toilets pit
    toilets (the poorest owners'); at 0 the population is the one without the key."""
    share = 0.5
    model = SanitationModel(default.with_params({"population.start_pit_toilets": share}),
                            seed=4, households=3000, household_agents=False)
    hh = model.households
    basic = hh.rung == Rung.BASIC
    assert hh.pit_toilet[basic].mean() == pytest.approx(share, abs=1e-3)
    assert not hh.pit_toilet[~basic].any()
    assert hh.income[basic & hh.pit_toilet].max() <= hh.income[basic & ~hh.pit_toilet].min()
    plain = SanitationModel(default, seed=4, households=3000, household_agents=False)
    assert not plain.households.pit_toilet.any()
    np.testing.assert_array_equal(plain.households.rung, hh.rung)
    np.testing.assert_array_equal(plain.households.savings, hh.savings)
