"""Decisions under uncertainty: costs per budget and year that balance, cost-effectiveness
without negative ratios, P(A beats B), targets by year, acceptability curves, `sanisim decide`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim.analysis import economics, uncertainty
from sanisim.cli import main
from sanisim.decisions.evaluate import Task, run_task
from sanisim.decisions.settings import DEFAULT_TARGETS
from sanisim.ledger import (
    BUDGETS,
    DEFAULT_SPLITS,
    account_splits,
    discount_factors,
    yearly_budget_costs,
)
from sanisim.scenario import load


def _task(bundle: str, scenario=None, months: int = 30, rate: float = 0.09, seed: int = 5,
          funding=None) -> Task:
    scenario = scenario or load("default")
    return Task(scenario, bundle, None, (), 0, seed, months, 400, rate,
                account_splits(scenario.strategies, funding), DEFAULT_TARGETS)


@pytest.mark.parametrize("bundle", ["full_package", "microcredit", "communal", "supply"])
def test_costs_balance_with_what_the_model_recorded(bundle):
    row, yearly = run_task(_task(bundle))
    assert yearly["cost"].sum() == pytest.approx(row["recorded_cost"], rel=1e-12, abs=1e-3)
    assert set(yearly["budget"]) == set(BUDGETS)
    assert list(yearly["year"].unique()) == [1, 2, 3]  # 30 months: three programme years
    public = yearly[yearly["budget"].isin(["APBD", "DAK", "BAZNAS", "donors"])]
    assert row["public_cost"] == pytest.approx(public["cost_discounted"].sum())
    assert row["household_cost"] == pytest.approx(
        yearly.loc[yearly["budget"] == "households", "cost_discounted"].sum())


def test_a_strategy_cost_goes_to_its_declared_budgets():
    scenario = load("default")
    split = {"APBD": 0.25, "BAZNAS": 0.75}
    base_row, base = run_task(_task("baseline", scenario))
    row, yearly = run_task(_task("top_down_subsidy", scenario,
                                 funding={"top_down_subsidy": split}))
    extra = (yearly.groupby("budget", observed=True)["programme_cost"].sum())
    assert extra["APBD"] > 0
    assert extra["BAZNAS"] == pytest.approx(3 * extra["APBD"])
    assert extra["DAK"] == 0 and extra["donors"] == 0
    assert row["public_cost_undiscounted"] > base_row["public_cost_undiscounted"]


def test_default_splits_are_shares_with_sources():
    for name, split in DEFAULT_SPLITS.items():
        assert sum(split.values()) == pytest.approx(1.0), name
        assert split.source, name
    splits = account_splits(load("default").strategies)
    assert splits["microcredit"] == {"donors": 1.0}  # a donor-funded strategy


def test_discounting_by_programme_year():
    factors = discount_factors([0, 1, 12, 13, 25], 0.10)
    np.testing.assert_allclose(factors, [1, 1, 1, 1 / 1.1, 1 / 1.21])
    budgets = pd.DataFrame({"month": range(25), **{b: 0.0 for b in BUDGETS}})
    budgets["APBD"] = 100.0
    yearly = yearly_budget_costs(budgets, 0.10)
    apbd = yearly[yearly["budget"] == "APBD"].set_index("year")
    assert apbd["cost"].tolist() == [1300.0, 1200.0]  # month 0 counts in year 1
    assert apbd.loc[2, "cost_discounted"] == pytest.approx(1200 / 1.1)


# --------------------------------------------------------------------------- analysis

def _outcomes(values: dict[str, list[float]], costs_: dict[str, list[float]] | None = None
              ) -> pd.DataFrame:
    rows = []
    for bundle, series in values.items():
        for i, value in enumerate(series):
            rows.append({"bundle": bundle, "point": 0, "draw": i // 2, "replicate": i % 2,
                         "basic_or_better": value,
                         "public_cost": (costs_ or {}).get(bundle, [0.0] * len(series))[i],
                         "household_cost": 0.0})
    return pd.DataFrame(rows)


def test_p_a_beats_b_equals_a_hand_computed_case():
    # pairs (a, b): (5, 3) a, (2, 4) b, (6, 6) tie, (7, 1) a -> (1 + 0 + 0.5 + 1) / 4
    outcomes = _outcomes({"a": [5, 2, 6, 7], "b": [3, 4, 6, 1]})
    assert uncertainty.prob_beats(outcomes, "a", "b", "basic_or_better") == 0.625
    assert uncertainty.prob_beats(outcomes, "b", "a", "basic_or_better") == 0.375
    assert uncertainty.prob_beats(outcomes, "a", "b", "basic_or_better", False) == 0.375


def test_target_by_year_counts_runs_reaching_it_in_time():
    outcomes = pd.DataFrame({"bundle": "a", "point": 0, "draw": 0, "replicate": range(4),
                             "month_x": [5, 12, 13, 61]})
    table = uncertainty.target_by_year(outcomes, ["x"], 2).set_index("year")
    assert table["probability"].tolist() == [0.5, 0.75]


def test_acceptability_curve_by_hand():
    # baseline effect 0, cost 0; "a": +10 households for Rp 100 in every pair
    outcomes = _outcomes({"baseline": [0, 0, 0, 0], "a": [10, 10, 10, 10]},
                         {"baseline": [0, 0, 0, 0], "a": [100, 100, 100, 100]})
    ceac = uncertainty.acceptability(outcomes, [0.0, 5.0, 10.0, 20.0])
    a = ceac[ceac["bundle"] == "a"]["probability"].tolist()
    assert a == [0.0, 0.0, 0.5, 1.0]  # at 10 per household the net benefits tie
    total = ceac.groupby("willingness_to_pay")["probability"].sum()
    np.testing.assert_allclose(total, 1.0)


@pytest.mark.parametrize(("d_cost", "d_effect", "kind"), [
    (-5.0, 10.0, "cost-saving"), (5.0, -1.0, "dominated"), (5.0, 0.0, "dominated"),
    (-5.0, -2.0, "saves money, fewer households"), (8.0, 2.0, "more households at a cost")])
def test_no_negative_ratio_is_printed(d_cost, d_effect, kind):
    assert economics.classify(d_cost, d_effect) == kind
    text = economics.ratio_text(d_cost, d_effect)
    assert "-" not in text.replace("cost-saving", "")
    outcomes = _outcomes({"baseline": [0, 0], "a": [d_effect, d_effect]},
                         {"baseline": [0, 0], "a": [d_cost, d_cost]})
    table = economics.cost_effectiveness(outcomes)
    ratio = table["ratio"].iloc[0]
    assert (ratio == 4.0) if kind == "more households at a cost" else np.isnan(ratio)


# --------------------------------------------------------------------------- sanisim decide

DECIDE = """
[decide]
name = "small"
scenario = "default"
bundles = ["baseline", "bcc", "top_down_subsidy"]
posterior = 2
replicates = 2
seed = 3
months = 24
households = 300
"""


@pytest.mark.slow(seconds=20)
def test_decide_writes_tables_figures_and_manifest(tmp_path, capsys):
    path = tmp_path / "small.toml"
    path.write_text(DECIDE)
    out = tmp_path / "out"
    assert main(["decide", str(path), "--out", str(out), "--backend", "serial"]) == 0
    printed = capsys.readouterr().out
    assert "-" not in printed.split("public Rp")[1].split(":")[1].split("\n")[0].replace(
        "cost-saving", "")
    for name in ("outcomes.csv", "costs_by_year.csv", "cost_effectiveness.csv", "p_beats.csv",
                 "targets_by_year.csv", "ceac.csv", "intervals.csv", "ceac.png",
                 "targets_by_year.png", "costs_by_year.png", "manifest.json"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interval_holds"].endswith("(2 posterior draws)")
    assert manifest["funding_splits"]["routine"]["shares"] == {"APBD": 0.5, "DAK": 0.5}
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert len(outcomes) == 3 * 2 * 2
    intervals = pd.read_csv(out / "intervals.csv")
    assert intervals["interval"].str.contains("parameter uncertainty").all()
    # the same numbers on another executor
    again = tmp_path / "again"
    assert main(["decide", str(path), "--out", str(again), "--workers", "2"]) == 0
    pd.testing.assert_frame_equal(outcomes, pd.read_csv(again / "outcomes.csv"))


@pytest.mark.parametrize(("text", "names"), [
    (DECIDE.replace('"bcc", ', '"bcx", '), ("decide.bundles", "bcx")),
    (DECIDE + "\n[funding.bcc]\nAPBD = 0.5\nDAK = 0.6\n", ("funding.bcc", "sum")),
    (DECIDE + "\n[funding.bcc]\nAPBN = 1.0\n", ("funding.bcc.APBN", "APBD")),
    (DECIDE + "\n[funding.microcredit]\nAPBD = 1.0\n", ("funding.microcredit", "donors")),
    (DECIDE.replace("posterior = 2", "posterior = 100000"), ("decide.posterior",)),
    (DECIDE.replace("seed = 3", "seed = 3\ndiscount_rate = 9"), ("decide.discount_rate",)),
    (DECIDE + "\n[targets.x]\nmeasure = \"basic\"\nat_least = 0.9\n",
     ("targets.x.measure", "basic_or_better")),
    (DECIDE.replace("months = 24", "monts = 24"), ("decide.monts",)),
])
def test_bad_decide_files_get_one_line_and_exit_2(tmp_path, capsys, text, names):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code = main(["decide", str(path), "--out", str(tmp_path / "o"), "--backend", "serial"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert_one_line(err, str(Path(path)), *names)


def test_validate_describes_decide_and_optimise_files(capsys):
    root = Path(__file__).resolve().parent.parent / "experiments"
    files = [root / "decisions" / "decide_blitar.toml", root / "optimise_blitar.toml"]
    assert main(["validate", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "decide 'blitar': 5 bundles" in out and "optimise 'blitar': 2 strategies" in out


# --------------------------------------------------------------------------- where it flips


@pytest.mark.slow(seconds=20)
def test_prim_recovers_a_constructed_box():
    pytest.importorskip("ema_workbench")
    from sanisim.analysis.discovery import find_box, input_ranges

    rng = np.random.default_rng(7)
    x = pd.DataFrame({"open_defecation": rng.uniform(0, 0.4, 800),
                      "poverty": rng.uniform(0, 0.5, 800), "noise": rng.uniform(0, 1, 800)})
    inside = (x["open_defecation"] > 0.2) & (x["poverty"] < 1 / 3 * 0.5 * 2)
    box = find_box(x, inside.to_numpy())
    assert set(box.limits) == {"open_defecation", "poverty"}  # noise is left free
    assert box.limits["open_defecation"][0] == pytest.approx(0.2, abs=0.02)
    assert box.limits["poverty"][1] == pytest.approx(1 / 3, abs=0.02)
    assert box.coverage >= 0.8 and box.density >= 0.95
    words = box.sentence("A beats B", input_ranges(x))
    assert "open_defecation is above 0.2" in words and "poverty is below 0.3" in words
    assert find_box(x, np.ones(800, bool)) is None  # nothing to discover


def test_decide_over_district_context_says_where_the_advice_flips(tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    path = tmp_path / "context.toml"
    path.write_text(DECIDE.replace("posterior = 2\nreplicates = 2", "posterior = 2\n"
                                   "replicates = 1") + """
[context]
samples = 6
[context.ranges]
"ladder.open_defecation" = [0.0, 0.3]
"strategies.bcc.budget" = [1e8, 1e9]

[discovery]
a = "top_down_subsidy"
b = "bcc"
""")
    out = tmp_path / "out"
    assert main(["decide", str(path), "--out", str(out), "--backend", "serial"]) == 0
    printed = capsys.readouterr().out
    assert "where the advice flips: top_down_subsidy beats bcc on basic_or_better" in printed
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert len(outcomes) == 6 * 2 * 1 * 3  # context points x draws x seeds x bundles
    assert outcomes["input:ladder.open_defecation"].nunique() == 6
    assert "district context (6 points)" in pd.read_csv(out / "intervals.csv")["interval"][0]
    assert (out / "discovery.csv").is_file()
    assert json.loads((out / "manifest.json").read_text())["discovery"].startswith(
        "top_down_subsidy beats bcc")


@pytest.mark.parametrize(("extra", "names"), [
    ("[context]\nsamples = 2\n[context.ranges]\n\"ladder.basc\" = [0.0, 0.3]\n",
     ("context.ranges.ladder.basc", "basic")),
    ("[context]\nsamples = 2\n[context.ranges]\n\"costs.toilet\" = [3.0, 1.0]\n",
     ("context.ranges.costs.toilet",)),
    ("[discovery]\na = \"bcc\"\nb = \"bcx\"\n", ("discovery.b", "bcc")),
    ("[discovery]\na = \"bcc\"\nb = \"bcc\"\n", ("discovery.b", "differ")),
])
def test_bad_context_and_discovery_tables(tmp_path, capsys, extra, names):
    path = tmp_path / "bad.toml"
    path.write_text(DECIDE + extra)
    assert main(["decide", str(path), "--out", str(tmp_path / "o"), "--backend", "serial"]) == 2
    assert_one_line(capsys.readouterr().err, *names)
