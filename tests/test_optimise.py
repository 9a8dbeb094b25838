"""`sanisim optimise`: the known optimum of a constructed problem, a tiny run of the model,
resuming, and one line with exit code 2 for a bad file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line

pytest.importorskip("optuna")

from sanisim.cli import main  # noqa: E402
from sanisim.decisions import optimise as opt  # noqa: E402
from sanisim.decisions.evaluate import Task  # noqa: E402
from sanisim.ledger import BUDGETS  # noqa: E402
from sanisim.scenario import load  # noqa: E402

CONSTRUCTED = """
[optimise]
name = "constructed"
scenario = "default"
strategies = ["bcc", "demand_creation"]
objectives = ["basic_or_better"]
months = 60
replicates = 2
seed = 5
trials = 96
population = 16
quantile = 0.1

[budgets]
APBD = 100_000_000

[funding.bcc]
APBD = 1.0

[funding.demand_creation]
APBD = 1.0

[search.bcc]
intensity = [0.0, 1.5]

[search.demand_creation]
intensity = [0.0, 1.0]
"""


def analytic_run(task: Task) -> tuple[dict, pd.DataFrame]:
    """A run with a known answer: households = 100 per Rp 100 million of BCC budget (x 0.9 in
    replicate 1), demand creation buys nothing; each strategy spends its budget evenly over
    five years."""
    scenario = task.scenario
    members = scenario.bundles["candidate"]
    budget = {name: scenario.strategies[name]["budget"] for name in members}
    households = budget.get("bcc", 0.0) / 1e6 * (0.9 if task.replicate else 1.0)
    spent = sum(budget.values())
    row = {"bundle": task.bundle, "draw": task.draw, "replicate": task.replicate,
           "seed": task.seed, "households": 1000, "months": task.months,
           "basic_or_better": households, "safely_managed": 0.0, "poorest_fifth": 0.0,
           "months_to_odf": task.months + 1, "public_cost": spent,
           "household_cost": 0.0}
    yearly = pd.DataFrame([{"bundle": task.bundle, "draw": task.draw,
                            "replicate": task.replicate, "year": year, "budget": budget_name,
                            "cost": spent / 5 if budget_name == "APBD" else 0.0,
                            "cost_discounted": 0.0,
                            "programme_cost": spent / 5 if budget_name == "APBD" else 0.0}
                           for year in range(1, 6) for budget_name in BUDGETS])
    return row, yearly


def test_finds_the_known_optimum_of_a_constructed_problem(tmp_path):
    """APBD allows Rp 100 M a year, so at most Rp 500 M of BCC (intensity 5/6 of its Rp 600 M):
    the robust (10% quantile of 1.0 x and 0.9 x) best is 0.91 x 500 = 455 households, and no
    Pareto mix funds demand creation, which costs and buys nothing."""
    path = tmp_path / "constructed.toml"
    path.write_text(CONSTRUCTED)
    problem = opt.load(path)
    front = opt.optimise(problem, tmp_path / "out", runner=analytic_run)
    assert front["basic_or_better"].max() == pytest.approx(455.0, rel=0.03)
    assert (front["basic_or_better"] <= 455.0 + 1e-6).all()  # every Pareto mix within budget
    funded_dc = front["use:demand_creation"] & (front["intensity:demand_creation"] > 0.01)
    assert not funded_dc.any()
    trials = pd.read_csv(tmp_path / "out" / "trials.csv")
    over = trials[trials["use:bcc"] & (trials["intensity:bcc"] > 5 / 6 + 1e-9)]
    assert len(over) and not over["feasible"].any()  # the budget constraint binds
    best = front.loc[front["basic_or_better"].idxmax()]
    scenario = load(tmp_path / "out" / "pareto" / f"{best['bundle']}.toml")
    assert scenario.bundles[best["bundle"]] == ("bcc",)
    assert scenario.strategies["bcc"]["budget"] == pytest.approx(
        best["intensity:bcc"] * 600_000_000.0)


TINY = """
[optimise]
name = "tiny"
scenario = "blitar"
strategies = ["commitment", "home_visits"]
objectives = ["basic_or_better", "poorest_fifth", "public_cost"]
months = 12
households = 200
posterior = 2
replicates = 1
seed = 1
trials = 4
population = 2

[budgets]
APBD = 300_000_000
DAK = [150_000_000]

[search.commitment]
start = [1, 6]
"""


def test_a_tiny_run_of_the_model_resumes_and_writes_runnable_mixes(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    out = tmp_path / "out"
    assert main(["optimise", str(path), "--out", str(out), "--backend", "serial",
                 "--trials", "2"]) == 0
    assert len(pd.read_csv(out / "trials.csv")) == 2
    assert main(["optimise", str(path), "--out", str(out), "--backend", "serial"]) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert trials["trial"].tolist() == [0, 1, 2, 3]  # continued, not restarted
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 4 * 2  # 2 draws x 1 seed per mix
    front = pd.read_csv(out / "pareto.csv")
    assert len(front) >= 1
    for name in front["bundle"]:
        mix = out / "pareto" / f"{name}.toml"
        assert main(["run", str(mix), "--strategy", name, "--months", "2",
                     "--households", "50", "--out", str(tmp_path / name)]) == 0
    assert (out / "tradeoffs.png").is_file() and (out / "manifest.json").is_file()
    assert set(pd.read_csv(out / "pareto_runs.csv")["trial"]) == set(front["trial"])
    capsys.readouterr()
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace("seed = 1", "seed = 2"))
    assert main(["optimise", str(other), "--out", str(out), "--backend", "serial"]) == 2
    assert_one_line(capsys.readouterr().err, "another optimise file")


def test_a_continued_search_proposes_what_an_uninterrupted_one_does(tmp_path):
    """Stopped after a generation, and cut short in the next one (a trial asked, its mix
    suggested, never told: what an interrupted process leaves in the journal), the search
    continued to the end gives the mixes, their numbers and the Pareto set of one run."""
    import optuna  # noqa: PLC0415
    from optuna.storages import JournalStorage  # noqa: PLC0415
    from optuna.storages.journal import JournalFileBackend  # noqa: PLC0415

    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("trials = 4", "trials = 6"))
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["optimise", str(path), "--out", str(whole), "--backend", "serial"]) == 0
    assert main(["optimise", str(path), "--out", str(cut), "--backend", "serial",
                 "--trials", "2"]) == 0
    problem = opt.load(path)
    study = optuna.load_study(study_name=problem.name, storage=JournalStorage(
        JournalFileBackend(str(cut / "study.log"))), sampler=opt._sampler(optuna, problem, 2))
    stale = study.ask()
    for lever in problem.levers:
        opt._suggest(stale, lever)
    assert main(["optimise", str(path), "--out", str(cut), "--backend", "serial"]) == 0
    for name in ("trials.csv", "pareto.csv", "runs.csv", "pareto_runs.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(cut / name), pd.read_csv(whole / name))
    assert pd.read_csv(whole / "trials.csv")["trial"].tolist() == list(range(6))
    assert sorted(p.name for p in (cut / "pareto").iterdir()) == sorted(
        p.name for p in (whole / "pareto").iterdir())


def test_the_same_search_on_any_executor(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    tables = []
    for options in (["--backend", "serial"], ["--workers", "2"]):
        out = tmp_path / options[-1]
        assert main(["optimise", str(path), "--out", str(out), "--trials", "3", *options]) == 0
        tables.append(pd.read_csv(out / "trials.csv"))
    pd.testing.assert_frame_equal(*tables)


@pytest.mark.parametrize(("text", "names"), [
    (TINY.replace('"home_visits"]', '"home_visit"]'), ("optimise.strategies", "home_visits")),
    (TINY.replace("APBD = 300_000_000", "APBN = 300_000_000"), ("budgets.APBN", "APBD")),
    (TINY.replace('"poorest_fifth"', '"poorest"'), ("optimise.objectives", "poorest_fifth")),
    (TINY.replace("start = [1, 6]", "start = [6, 1]"), ("search.commitment.start",)),
    (TINY.replace("[search.commitment]", "[search.lltt]"), ("search.lltt",)),
    (TINY.replace('"commitment", "home_visits"', '"lltt"'), ("optimise.strategies", "budget")),
    (TINY.replace("population = 2", "population = 1"), ("optimise.population",)),
    (TINY.replace("[budgets]\nAPBD = 300_000_000\nDAK = [150_000_000]\n", ""), ("budgets",)),
])
def test_bad_optimise_files_get_one_line_and_exit_2(tmp_path, capsys, text, names):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code = main(["optimise", str(path), "--out", str(tmp_path / "o"), "--backend", "serial"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert_one_line(err, str(Path(path)), *names)


def test_pareto_mask_keeps_the_non_dominated_once():
    import numpy as np

    values = np.array([[1.0, 5.0], [2.0, 6.0], [2.0, 6.0], [3.0, 9.0], [0.5, 1.0]])
    # maximise the first, minimise the second
    assert opt.pareto_mask(values, [True, False]).tolist() == [True, True, False, True, True]
