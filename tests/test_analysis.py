"""Analysis layer: statistics against hand-computed answers, pairing, targets, costs, equity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sanisim import analysis
from sanisim.model import OUTPUT_COLUMNS
from sanisim.runs.results import Results

HOUSEHOLDS = 100


def synthetic(arms: dict[str, dict], replicates: int = 4, months: int = 3,
              params: dict[str, list] | None = None) -> Results:
    """Results with known numbers: ``arms[bundle] = {column: f(replicate, month, point)}``.

    Every monthly column not given is 0; run seeds depend on replicate and parameter point
    only (as in a real batch).
    """
    points = [dict(zip(params, values, strict=True)) for values in zip(*params.values(),
                                                                       strict=True)] \
        if params else [{}]
    runs, monthly, summary = [], [], []
    for bundle, columns in arms.items():
        for k, point in enumerate(points):
            for r in range(replicates):
                key = f"{bundle}/p{k}/r{r}"
                runs.append({"run_key": key, "scenario": "default", "bundle": bundle,
                             "replicate": r, "seed": 1000 * k + r, "months": months,
                             "households": HOUSEHOLDS, "status": "done", "error": None,
                             **{f"param:{name}": v for name, v in point.items()}})
                for m in range(months + 1):
                    row = dict.fromkeys(OUTPUT_COLUMNS, 0.0)
                    row.update(run_key=key, month=m)
                    for col, f in columns.items():
                        row[col] = f(r, m, k)
                    monthly.append(row)
                summary.append({"run_key": key, "households": HOUSEHOLDS, "communities": 5})
    runs_frame = pd.DataFrame(runs)
    runs_frame.loc[len(runs_frame)] = {**runs[0], "run_key": "lost", "status": "failed",
                                       "error": "boom"}
    return Results(runs_frame, pd.DataFrame(monthly), pd.DataFrame(summary), {})


# --------------------------------------------------------------------------- statistics


def test_t_interval_matches_the_textbook_formula():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    mean, low, high = analysis.t_interval(values)
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2
    assert mean == pytest.approx(3.5)
    assert (low, high) == pytest.approx((3.5 - half, 3.5 + half))
    assert math.isnan(analysis.t_interval(np.array([5.0]))[1])


def test_describe_gives_mean_ci_median_and_replicate_percentiles():
    frame = pd.DataFrame({"arm": ["a"] * 5, "x": [1.0, 2.0, 3.0, 4.0, 10.0]})
    row = analysis.describe(frame, ["arm"], ["x"]).iloc[0]
    half = stats.t.ppf(0.975, 4) * frame["x"].std() / math.sqrt(5)
    assert row["n"] == 5 and row["mean"] == pytest.approx(4.0)
    assert (row["low"], row["high"]) == pytest.approx((4.0 - half, 4.0 + half))
    assert row["median"] == 3.0
    assert row["p2_5"] == pytest.approx(np.percentile(frame["x"], 2.5))
    assert row["p97_5"] == pytest.approx(np.percentile(frame["x"], 97.5))


def test_censored_quantile_is_nan_where_runs_never_reach():
    inf = math.inf
    assert analysis.censored_quantile(np.array([10.0, 20.0, 30.0]), 0.5) == 20.0
    assert analysis.censored_quantile(np.array([10.0, 20.0]), 0.5) == 15.0
    assert math.isnan(analysis.censored_quantile(np.array([10.0, inf, inf]), 0.5))
    assert analysis.censored_quantile(np.array([10.0, 12.0, inf]), 0.5) == 12.0
    assert math.isnan(analysis.censored_quantile(np.array([10.0, 12.0, inf]), 0.975))


def test_censored_quantile_is_kaplan_meier_with_each_runs_horizon():
    inf = math.inf
    # a run stopped at month 5 without reaching the target leaves the risk set there: half
    # of the runs still observed reach it by month 10 (the old rule, counting it as later
    # than every event, said 20)
    assert analysis.censored_quantile(np.array([inf, 10.0, 20.0]), 0.5,
                                      np.array([5.0, 60.0, 60.0])) == 15.0
    # censored at the end: the median is the second of three; the 97.5th percentile falls
    # among the runs that never reached the target
    assert analysis.censored_quantile(np.array([inf, 10.0, 20.0]), 0.5, 60.0) == 20.0
    assert math.isnan(analysis.censored_quantile(np.array([inf, 10.0, 20.0]), 0.975, 60.0))
    assert math.isnan(analysis.censored_quantile(np.array([inf, inf]), 0.5, 60.0))


def test_bootstrap_ratio_resamples_pairs_together():
    gained = np.random.default_rng(2).normal(20, 5, 15)
    low, high = analysis.bootstrap_ratio(3.0 * gained, gained)  # every pair's ratio is 3
    assert low == pytest.approx(3.0) and high == pytest.approx(3.0)


def test_efficient_frontier_drops_dominated_and_extendedly_dominated_options():
    gain = np.array([10.0, 20.0, 12.0, 30.0, -5.0, 15.0])
    cost = np.array([10.0, 20.0, 30.0, 60.0, 5.0, 40.0])
    on = analysis.efficient_frontier(gain, cost)
    # 2 is dominated by 1 (less gain, more cost); 5 lies above the 1-3 line (extended
    # dominance); 4 gains nothing and costs more than doing nothing
    assert on.tolist() == [True, True, False, True, False, False]
    # a cheaper option that gains less than another on the line 0-1 is extendedly dominated
    on = analysis.efficient_frontier(np.array([5.0, 20.0]), np.array([20.0, 30.0]))
    assert on.tolist() == [False, True]


def test_bootstrap_ratio_interval_is_reproducible_and_brackets_the_ratio():
    rng = np.random.default_rng(1)
    gained = rng.normal(20, 3, 12)
    cost = gained * 2e6 + rng.normal(0, 5e6, 12)
    low, high = analysis.bootstrap_ratio(cost, gained)
    assert (low, high) == analysis.bootstrap_ratio(cost, gained)
    assert low < cost.mean() / gained.mean() < high


# --------------------------------------------------------------------------- tables


def test_replicate_summary_uses_finished_runs_and_orders_baseline_first():
    res = synthetic({"bcc": {"basic_or_better": lambda r, m, k: 0.5 + 0.01 * r + 0.1 * m},
                     "baseline": {"basic_or_better": lambda r, m, k: 0.5 + 0.01 * r}})
    table = analysis.replicate_summary(res, ["basic_or_better"])
    assert list(dict.fromkeys(table["bundle"])) == ["baseline", "bcc"]
    assert set(table["n"]) == {4}
    end = table[(table["bundle"] == "bcc") & (table["month"] == 3)].iloc[0]
    assert end["mean"] == pytest.approx(0.5 + 0.015 + 0.3)
    assert analysis.ladder_end(res)["month"].unique().tolist() == [3]


def test_paired_differences_pair_by_replicate_and_parameter_point():
    # replicate and parameter point dominate the level; the programme adds 0.02 * month
    level = lambda r, m, k: 0.3 + 0.1 * r + 0.2 * k  # noqa: E731
    res = synthetic({"baseline": {"basic_or_better": level},
                     "bcc": {"basic_or_better": lambda r, m, k: level(r, m, k) + 0.02 * m}},
                    params={"behaviour.q_imitation": [0.03, 0.06]})
    pairs = analysis.paired_runs(res, ["basic_or_better"])
    assert pairs["difference"].to_numpy() == pytest.approx(0.02 * pairs["month"].to_numpy())
    table = analysis.paired_differences(res, ["basic_or_better"], months="end")
    assert len(table) == 2  # one row per parameter point
    assert table["mean"].to_numpy() == pytest.approx([0.06, 0.06])
    assert table["sd"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-12)
    assert set(table["n"]) == {4}
    assert table["baseline"].eq("baseline").all()


def test_time_to_target_counts_runs_that_never_reach_it():
    # open defecation hits 0 at month r + 1 for replicates 0 and 1, never for 2 and 3
    res = synthetic({"baseline": {"open_defecation": lambda r, m, k: 0.05,
                                  "basic_or_better": lambda r, m, k: 0.8},
                     "bcc": {"open_defecation": lambda r, m, k: 0.0 if r < 2 and m > r else
                             0.01,
                             "basic_or_better": lambda r, m, k: 0.8 + 0.05 * m}},
                    months=4)
    table = analysis.time_to_target(res)
    od = table[(table["target"] == "zero_open_defecation")].set_index("bundle")
    assert od.loc["baseline", "reached"] == 0 and math.isnan(od.loc["baseline", "median"])
    assert od.loc["bcc", "reached"] == 2 and od.loc["bcc", "runs"] == 4
    assert math.isnan(od.loc["bcc", "median"])  # half never reach: the median is censored
    assert (od.loc["bcc", "first"], od.loc["bcc", "last"]) == (1.0, 2.0)
    assert od.loc["bcc", "end_mean"] == pytest.approx(0.005)
    b90 = table[(table["target"] == "basic_90")].set_index("bundle")
    assert b90.loc["bcc", "median"] == 2.0 and b90.loc["bcc", "reached"] == 4
    assert table["target"].tolist()[:2] == ["zero_open_defecation", "basic_90"]


def test_costs_per_additional_household_by_funder_without_double_counting():
    # bcc: +0.1 basic or better at the end (10 households); government pays 1 M a month,
    # households 0.5 M; the cooperative lends 2 M in month 1, gets 0.5 M back each month,
    # and receives a 3 M donor injection (booked by the donor) in month 1.
    def bob(r, m, k):
        return 0.6 + 0.1 * (m == 3)

    res = synthetic({
        "baseline": {"basic_or_better": lambda r, m, k: 0.6},
        "bcc": {"basic_or_better": bob,
                "spending_government": lambda r, m, k: 1e6 * (m > 0),
                "spending_households": lambda r, m, k: 0.5e6 * (m > 0),
                "spending_cooperatives": lambda r, m, k: 2e6 * (m == 1),
                "loan_repayments": lambda r, m, k: 0.5e6 * (m > 0),
                "spending_donors": lambda r, m, k: 3e6 * (m == 1),
                "funds_injected": lambda r, m, k: 3e6 * (m >= 1)},
    })
    table = analysis.costs(res).set_index("funder")
    assert table.loc["total", "households_mean"] == pytest.approx(10)
    expected = {"government": 3e6, "households": 1.5e6, "donors": 3e6,
                "cooperatives": 2e6 - 1.5e6 - 3e6}
    expected["total"] = sum(expected.values())
    for funder, extra in expected.items():
        assert table.loc[funder, "cost_mean"] == pytest.approx(extra)
        # the total costs more: each funder's share splits it (the cooperatives' is a saving)
        assert table.loc[funder, "cost_per_household"] == pytest.approx(extra / 10)
    assert table.loc["total", "cost_class"] == "more households at a cost"
    assert table.loc["cooperatives", "cost_class"] == "cost-saving"
    assert table["frontier"].all()


def test_a_cost_saving_arm_has_no_negative_ratio():
    # bcc gains 10 households while the households spend 1 M less than in the baseline
    res = synthetic({
        "baseline": {"basic_or_better": lambda r, m, k: 0.6,
                     "spending_households": lambda r, m, k: 1e6 * (m == 1)},
        "bcc": {"basic_or_better": lambda r, m, k: 0.6 + 0.1 * (m == 3)},
    })
    table = analysis.costs(res).set_index("funder")
    assert table.loc["total", "cost_mean"] == pytest.approx(-1e6)
    assert table["cost_per_household"].isna().all()
    assert table.loc["total", "cost_class"] == "cost-saving"


def test_costs_have_no_ratio_when_nothing_is_gained():
    res = synthetic({"baseline": {}, "bcc": {"spending_government": lambda r, m, k: 1.0}})
    table = analysis.costs(res)
    assert table["cost_per_household"].isna().all()
    assert not table["frontier"].any()


def test_equity_levels_gains_and_paired_differences():
    res = synthetic({
        "baseline": {"basic_or_better_q1": lambda r, m, k: 0.4,
                     "basic_or_better_q5": lambda r, m, k: 0.9,
                     "basic_or_better_female": lambda r, m, k: 0.7,
                     "basic_or_better_male": lambda r, m, k: 0.7},
        "bcc": {"basic_or_better_q1": lambda r, m, k: 0.4 + 0.05 * m,
                "basic_or_better_q5": lambda r, m, k: 0.9,
                "basic_or_better_female": lambda r, m, k: 0.7 + 0.01 * m,
                "basic_or_better_male": lambda r, m, k: 0.7}})
    table = analysis.equity(res)
    q1 = table[(table["bundle"] == "bcc") & (table["group"] == "q1")].iloc[0]
    assert (q1["start"], q1["end"], q1["gain"]) == pytest.approx((0.4, 0.55, 0.15))
    assert q1["vs_baseline"] == pytest.approx(0.15)
    assert table[table["bundle"] == "baseline"]["vs_baseline"].isna().all()
    female = table[(table["bundle"] == "bcc") & (table["group"] == "female")].iloc[0]
    assert female["vs_baseline"] == pytest.approx(0.03)


def test_equity_is_empty_with_its_columns_when_the_store_has_none():
    res = synthetic({"baseline": {}})
    res.monthly = res.monthly.drop(columns=[c for _, _, c in analysis.EQUITY_GROUPS])
    table = analysis.equity(res)
    assert table.empty and {"group", "end", "vs_baseline"} <= set(table.columns)


def test_odf_and_loan_fund_tables():
    res = synthetic({
        "baseline": {"odf_communities": lambda r, m, k: 1 + m, "odf_slipped_total":
                     lambda r, m, k: r, "fund_balance": lambda r, m, k: 100.0,
                     "loans_issued": lambda r, m, k: 1.0 * (m > 0)},
        "bcc": {"odf_communities": lambda r, m, k: 1 + 2 * m, "odf_slipped_total":
                lambda r, m, k: r, "fund_balance": lambda r, m, k: 100.0 - 10 * m,
                "outstanding_principal": lambda r, m, k: 5.0 * m,
                "loans_issued": lambda r, m, k: 2.0 * (m > 0)}})
    odf = analysis.odf(res)
    level = odf[odf["kind"] == "level"].set_index(["bundle", "measure"])["mean"]
    assert level[("bcc", "odf_communities_end")] == 7
    assert level[("baseline", "odf_slipped_total")] == pytest.approx(1.5)
    assert level[("baseline", "communities")] == 5
    paired = odf[odf["kind"] == "vs_baseline"].set_index("measure")["mean"]
    assert paired["odf_communities_end"] == 3
    loans = analysis.loan_fund(res)
    level = loans[loans["kind"] == "level"].set_index(["bundle", "measure"])["mean"]
    assert level[("bcc", "loans_issued")] == 6
    assert level[("bcc", "fund_kept")] == pytest.approx((70 + 15) / 100)
    assert level[("baseline", "fund_kept")] == pytest.approx(1.0)


# --------------------------------------------------------------------------- real runs


@pytest.fixture(scope="module")
def small_comparison() -> Results:
    return analysis.run_comparison("default", ("baseline", "bcc"), replicates=3, months=12,
                                   households=300, seed=5)


def test_run_comparison_pairs_arms_by_seed(small_comparison):
    runs = small_comparison.runs
    seeds = runs.pivot(index="replicate", columns="bundle", values="seed")
    assert (seeds["baseline"] == seeds["bcc"]).all() and seeds["baseline"].nunique() == 3
    start = analysis.paired_differences(small_comparison, ["basic_or_better"], months=[0])
    assert start["mean"].abs().max() == 0  # same population at month 0
    ladder = analysis.ladder_end(small_comparison)
    shares = ladder[ladder["measure"].isin(analysis.LADDER_MEASURES[:5])]
    assert shares.groupby("bundle")["mean"].sum().to_numpy() == pytest.approx([1.0, 1.0])


def test_run_metrics_agree_with_the_run_summaries(small_comparison):
    metrics = analysis.run_metrics(small_comparison).set_index("run_key")
    summary = small_comparison.summary.set_index("run_key")
    assert metrics["households_gained"].to_numpy() == pytest.approx(
        summary.loc[metrics.index, "households_gained_basic_or_better"].to_numpy())
    assert metrics["loans_issued"].to_numpy() == pytest.approx(
        summary.loc[metrics.index, "loans_issued"].to_numpy())
    labels = analysis.arms(small_comparison)
    assert labels["arm"].tolist() == ["Baseline (routine services only)",
                                      "Behaviour change communication (BCC)"]


def test_costs_agree_with_the_pairwise_outcomes_of_the_strategies_layer(small_comparison):
    from sanisim.analysis import outcomes

    res = small_comparison
    monthly = {key: frame.reset_index(drop=True) for key, frame in res.monthly.groupby("run_key")}
    runs = res.runs.set_index(["bundle", "replicate"])
    sizes = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "female", "male"), 1)
    pairs = [outcomes.compare(monthly[runs.loc[("bcc", r), "run_key"]],
                              monthly[runs.loc[("baseline", r), "run_key"]], 300, sizes).iloc[-1]
             for r in range(3)]
    table = analysis.costs(res).set_index("funder")
    gained = np.mean([p["additional_basic_or_better"] for p in pairs])
    assert table.loc["total", "households_mean"] == pytest.approx(gained)
    for funder in analysis.COST_FUNDERS:
        extra = np.mean([p[f"additional_cost_{funder}"] for p in pairs])
        assert table.loc[funder, "cost_mean"] == pytest.approx(extra, rel=1e-9, abs=1e-3)
