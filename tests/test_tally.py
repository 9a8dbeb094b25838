"""Running counts against recounts, every month of runs (docs/performance-log.md, "The core
phases per household"): the per-RT, per-rung and per-group counts of ``community.Tally``, the
ownership records ``_use`` updates from the changed rows only, the neighbour shares updated
where the neighbour sums changed, the failure hazard by rung kept per row, and the community
hazard read from a per-RT table."""

from __future__ import annotations

import numpy as np
import pytest

from sanisim.ladder import N_RUNGS, Rung
from sanisim.model import SanitationModel
from sanisim.population import owned_facility
from sanisim.scenario import load

MONTHS = 48
HOUSEHOLDS = 3000


def recount(model: SanitationModel) -> dict[str, np.ndarray]:
    hh = model.households
    adopted = hh.rung >= Rung.BASIC
    practising = model.practising
    return {
        "by_rung": np.array([np.count_nonzero(hh.rung == r) for r in range(N_RUNGS)]),
        "rt_basic": np.bincount(hh.rt, weights=adopted, minlength=model.n_rt),
        "rt_facility": np.bincount(hh.rt, weights=hh.rung > Rung.OPEN_DEFECATION,
                                   minlength=model.n_rt),
        "rt_od": np.bincount(hh.rt, weights=practising, minlength=model.n_rt),
        "quintile_basic": np.array([np.count_nonzero(adopted & (hh.quintile == q))
                                    for q in range(5)]),
        "female_basic": np.count_nonzero(adopted & hh.female),
        "od": np.count_nonzero(practising),
    }


def old_community_hazard(model: SanitationModel) -> np.ndarray:
    """The community hazard as computed per household before the per-RT table."""
    c, p, hh = model.communities, model.params, model.households
    tipping = 1.0 / (1.0 + np.exp(-(model.rt_od_free - p["community.tipping_threshold"])
                                  / p["community.tipping_width"]))
    pull = (p["community.pressure_hazard"] + p["community.sanction_hazard"] * (
        c.monitored_until >= model.month)) * tipping
    plan = p["community.plan_hazard"] * (c.plan_until >= model.month)
    return (plan[hh.rt] + pull[hh.rt] * model.practising_od()).astype(np.float32)


@pytest.mark.parametrize("bundle", ["baseline", "full_package"])
def test_running_counts_equal_recounts_every_month(bundle):
    scenario = load("default")
    model = SanitationModel(scenario, seed=3, households=HOUSEHOLDS, bundle=bundle,
                            household_agents=False)
    owned_by_rung = owned_facility(np.arange(N_RUNGS))
    rose = moved = 0
    for _ in range(MONTHS):
        before = model.households.rung.copy()
        model.step()
        hh = model.households
        tally = model._tally
        for name, expected in recount(model).items():
            np.testing.assert_array_equal(getattr(tally, name), expected, err_msg=name)
        np.testing.assert_array_equal(model.rt_coverage, tally.rt_basic / model.rt_size)
        np.testing.assert_array_equal(model.rt_facility, tally.rt_facility / model.rt_size)
        np.testing.assert_array_equal(model.odf, tally.rt_od == 0)
        # ownership: a full pass now would change nothing, apart from the rows abandoned
        # this month, which the next month looks at again
        full = np.maximum(hh.owned, owned_by_rung[hh.rung])
        differs = np.flatnonzero(full != hh.owned)
        assert np.isin(differs, model._owned_recheck[1]).all()
        assert not (hh.owned > 0)[~hh.ever_owned].any()
        # neighbour shares: updated at the rows whose neighbour sums changed
        counter = model._adopted_count
        np.testing.assert_array_equal(
            counter.counts, model.network.neighbour_sum(counter.state.astype(np.float32)))
        np.testing.assert_array_equal(model.neighbour_adopted,
                                      model.network.share_from_sum(counter.counts))
        hazard = model.communities.hazard(model.month, model.rt_od_free, hh.rt,
                                          model.practising_od())
        assert hazard.dtype == np.float32
        np.testing.assert_array_equal(hazard, old_community_hazard(model))
        rose += int(np.count_nonzero((before == Rung.OPEN_DEFECATION)
                                     & (hh.rung > Rung.OPEN_DEFECATION)))
        moved += int(np.count_nonzero(before != hh.rung))
    assert rose > 0 and moved > rose  # the runs exercised the incremental paths


def test_tally_follows_arbitrary_changes():
    rng = np.random.default_rng(5)
    n, n_rt = 500, 20
    rt = np.sort(rng.integers(0, n_rt, n)).astype(np.int32)
    quintile = rng.integers(0, 5, n).astype(np.int8)
    female = rng.random(n) < 0.4
    from sanisim.community import Tally

    tally = Tally(rt, n_rt, quintile, female, N_RUNGS, Rung.BASIC)
    rung = rng.integers(0, N_RUNGS, n).astype(np.int8)
    practising = rng.random(n) < 0.3
    for _ in range(30):
        tally.update(rung, practising)
        fresh = Tally(rt, n_rt, quintile, female, N_RUNGS, Rung.BASIC)
        fresh.recount(rung, practising)
        for name in ("by_rung", "rt_basic", "rt_facility", "rt_od", "quintile_basic"):
            np.testing.assert_array_equal(getattr(tally, name), getattr(fresh, name))
        assert (tally.female_basic, tally.od) == (fresh.female_basic, fresh.od)
        rows = rng.choice(n, rng.integers(0, 60), replace=False)
        rung[rows] = rng.integers(0, N_RUNGS, rows.size)
        practising[rng.choice(n, 10, replace=False)] ^= True


def test_rows_of_rts_and_rt_to_rows_match_the_gathers():
    model = SanitationModel(load("default"), seed=2, households=HOUSEHOLDS,
                            household_agents=False)
    model.run(24)
    hh = model.households
    rng = np.random.default_rng(1)
    for share in (0.0, 0.05, 0.5, 1.0):
        wanted = rng.random(model.n_rt) < share
        np.testing.assert_array_equal(model.rows_of_rts(wanted), np.flatnonzero(wanted[hh.rt]))
    values = rng.random(model.n_rt).astype(np.float32)
    np.testing.assert_array_equal(model.rt_to_rows(values), values[hh.rt])
    kept = model.coverage_of_rows()
    np.testing.assert_array_equal(kept, model.rt_coverage[hh.rt])
    assert model.coverage_of_rows() is kept  # the same month: kept
    model.step()  # a new month's coverage: made anew
    assert model.coverage_of_rows() is not kept
    np.testing.assert_array_equal(model.coverage_of_rows(), model.rt_coverage[hh.rt])
    assert model._rt_ends() is not None  # the blocks' path was the one tested
    # RTs that are not contiguous blocks: the scan over every household
    hh.rt = hh.rt[::-1].copy()
    wanted = rng.random(model.n_rt) < 0.3
    np.testing.assert_array_equal(model.rows_of_rts(wanted), np.flatnonzero(wanted[hh.rt]))
    np.testing.assert_array_equal(model.rt_to_rows(values), values[hh.rt])
    assert model._rt_ends() is None


@pytest.mark.parametrize("bundle", ["baseline", "full_package"])
def test_failure_hazard_by_rung_kept_equals_the_gather(bundle):
    model = SanitationModel(load("default"), seed=4, households=HOUSEHOLDS, bundle=bundle,
                            household_agents=False)
    for _ in range(36):
        model.step()
        hh = model.households
        np.testing.assert_array_equal(model._fail_base(), model._fail_by_rung[hh.rung])
