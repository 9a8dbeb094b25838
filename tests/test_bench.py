"""The benchmark of issue 16: its bare floor model, the Starsim comparison and one tiny run of
bench_step.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from floor_bass import FloorBass  # noqa: E402


def _ring(n: int, k: int) -> sp.csr_matrix:
    rows = np.repeat(np.arange(n), 2 * k)
    offsets = np.tile(np.r_[np.arange(1, k + 1), -np.arange(1, k + 1)], n)
    return sp.csr_matrix((np.ones(rows.size, np.float32), (rows, (rows + offsets) % n)),
                         shape=(n, n))


def test_floor_follows_the_bass_rule():
    """Month by month, new adopters match p + q * share of the previous month's state."""
    n, p, q = 50_000, 0.01, 0.4
    model = FloorBass(_ring(n, 4), p, q, seed=3)
    z = []
    for _ in range(12):
        before = model.adopted.copy()
        share = (model.adjacency @ before) / 8
        hazard = (p + q * share.astype(np.float64))[before == 0]
        model.step()
        new = int(((model.adopted == 1) & (before == 0)).sum())
        z.append((new - hazard.sum()) / np.sqrt((hazard * (1 - hazard)).sum()))
        assert np.all(model.adopted >= before)  # adoption is for good
    assert abs(sum(z) / np.sqrt(len(z))) < 4
    assert model.adopted_share() > 0.2  # the network term carried it well past p * 12


def test_starsim_comparison_is_the_stated_si_process():
    """Month by month, Starsim's new infections match 1 - exp(-beta k) for a susceptible
    agent with k infected neighbours (a per-tie rate), and nobody recovers."""
    from starsim_si import build, edges

    n, beta = 20_000, 0.2
    adjacency = _ring(n, 3)
    sim = build(*edges(adjacency), n, 12, beta, 0.05, seed=3)
    sim.init()
    infected = sim.diseases.sir.infected
    z = []
    for _ in range(11):
        before = np.asarray(infected.raw[:n], bool).copy()
        k = (adjacency @ before.astype(np.float32)).astype(np.float64)[~before]
        chance = 1 - np.exp(-beta * k)
        sim.run_one_step()
        now = np.asarray(infected.raw[:n], bool)
        assert np.all(now >= before)  # infected for good: SI
        new = int((now & ~before).sum())
        z.append((new - chance.sum()) / np.sqrt((chance * (1 - chance)).sum()))
    assert abs(sum(z) / np.sqrt(len(z))) < 4
    assert now.mean() > 0.5  # and it spread well past the 5% infected at the start


@pytest.mark.slow(seconds=30)
def test_bench_step_runs_side_by_side(tmp_path):
    """A tiny run: the floor beside full_package, the Mesa model, phases, an end-to-end run."""
    from bench_step import main

    out = tmp_path / "bench.json"
    main(["--sizes", "1500", "--months", "3", "--configs", "floor", "full",
          "--mesa-sizes", "1500", "--starsim-sizes", "1500", "--phases", "1000", "1500",
          "--end-to-end", "1500", "--json", str(out)])
    data = json.loads(out.read_text())
    kinds = {(r["model"], r["config"]) for r in data["results"]}
    assert kinds == {("floor", "floor"), ("sanisim", "full"), ("mesa", "bass"),
                     ("starsim", "si")}
    starsim = next(r for r in data["results"] if r["model"] == "starsim")
    assert starsim["months"] == 3 and starsim["final_adopted_share"] > 0
    assert all(r["ns_per_household_month"] > 0 for r in data["results"])
    assert data["end_to_end"][0]["rows"] == 4 and data["end_to_end"][0]["wall_s"] > 0
    full = next(p for p in data["phases"] if p["config"] == "full")
    assert full["phases"]["sanitarians: strategies"] > 0  # the bundle's hooks are timed
    assert len(data["phases"]) == 2
    from sanisim.provenance import numpy_simd

    assert data["machine"]["numpy_simd"] == numpy_simd()  # the ratios move with it


def test_bench_step_leaves_starsim_out_when_it_is_not_installed(tmp_path, monkeypatch, capsys):
    import importlib.util

    import bench_step

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "starsim" else real(name, *a))
    out = tmp_path / "bench.json"
    bench_step.main(["--sizes", "1000", "--months", "2", "--configs", "floor",
                     "--mesa-sizes", "--starsim-sizes", "1000", "--end-to-end",
                     "--json", str(out)])
    assert "Starsim is not installed" in capsys.readouterr().err
    assert {r["model"] for r in json.loads(out.read_text())["results"]} == {"floor"}


@pytest.mark.parametrize(("script", "argv", "option", "hint"), [
    ("bench_step", ["--sizes", "1000", "-5"], "--sizes", "allowed: an integer in [10"),
    ("bench_step", ["--sizes", "ten"], "--sizes", "allowed: an integer in [10"),
    ("bench_step", ["--months", "0"], "--months", "allowed: an integer in [1"),
    ("bench_step", ["--repeats", "0"], "--repeats", "allowed: an integer in [1"),
    ("bench_step", ["--q", "1.5"], "--q", "allowed: a number in [0, 1]"),
    ("bench_step", ["--end-to-end", "5"], "--end-to-end", "allowed: an integer in [10"),
    ("bench_step", ["--json", __file__ + "/bench.json"], "--json", "give --json another file"),
    ("starsim_si", ["--init-prev", "nan"], "--init-prev", "allowed: a number in [0, 1]"),
    ("floor_bass", ["--degree", "1"], "--degree", "allowed: an integer in [2"),
    ("mesa_bass", ["--seeds", "1"], "--seeds", "allowed: an integer in [2"),
    ("bench_batch", ["--workers", "0"], "--workers", "allowed: an integer in [1"),
    ("ab_trees", ["/nonexistent", "."], "trees", "allowed: the root of a sanisim source"),
    ("ab_trees", [str(BENCH.parent)], "trees", "allowed: two or more"),
    ("ab_trees", [str(BENCH.parent)] * 2 + ["--months", "0"], "--months",
     "allowed: an integer in [1"),
    ("ab_trees", [str(BENCH.parent)] * 2 + ["--config", "bass", "--institutions",
                                            "in-proportion"], "--institutions",
     "allowed: as-is"),
    ("ab_trees", [str(BENCH.parent)] * 2 + ["--institutions", "all"], "--institutions",
     "invalid choice"),
    ("bench_batch", ["--backends", "--posterior", "1000"], "experiment.posterior",
     "allowed: 1..200"),
    ("same_numbers", ["--only", "nowhere/*"], "--only", "allowed: a shell pattern"),
    ("same_numbers", ["--against", "/nonexistent.json"], "--against",
     "allowed: a JSON file written by same_numbers.py"),
    ("same_numbers", ["--households", "-5"], "--households", "allowed: an integer in"),
])
def test_a_bad_benchmark_command_line_is_one_line_and_exit_2(script, argv, option, hint,
                                                              capsys):
    """Refused as the command line is read, before any run: one line naming the option (or
    the experiment's key) and what is allowed."""
    module = __import__(script)
    with pytest.raises(SystemExit) as stop:
        module.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err and hint in err, err
    assert "Traceback" not in err


def test_targets_name_each_ratio_and_put_starsim_beside_the_100k_ones():
    import bench_step

    def row(model, config, n, ns):
        return {"model": model, "config": config, "households": n, "months": 120,
                "ns_per_household_month": ns}

    results = [row("floor", "floor", 100_000, 10.0), row("floor", "floor", 10_000, 10.0),
               row("sanisim", "default", 100_000, 30.0), row("sanisim", "default", 10_000, 90.0),
               row("sanisim", "full", 100_000, 29.0), row("starsim", "si", 100_000, 24.0)]
    lines = bench_step.targets(results, [])
    assert "sanisim, full_package at 100,000 / floor: 2.90x <= 3.0x: met" in lines
    assert "sanisim, default scenario at 100,000 / floor: 3.00x <= 2.5x: MISSED" in lines
    assert "sanisim, default scenario, 10,000 / 100,000 per household: 3.00x <= 1.5x: MISSED" \
        in lines
    beside = [line for line in lines if "Starsim" in line]
    assert beside == ["  (beside it: 1.21x Starsim's one infection module, which is 2.40x "
                      "the floor)", "  (beside it: 1.25x Starsim's one infection module, "
                      "which is 2.40x the floor)"]
    assert not [line for line in bench_step.targets(results[:-1], []) if "Starsim" in line]


def _tree_copy(root: Path, to: Path, p_innovation: float | None = None) -> Path:
    """The package and scenarios of ``root`` copied to ``to`` (optionally another Bass p in
    the default scenario)."""
    import shutil

    shutil.copytree(root / "sanisim", to / "sanisim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "scenarios", to / "scenarios")
    if p_innovation is not None:
        default = to / "scenarios" / "default.toml"
        text = default.read_text()
        start = text.index("p_innovation = ")
        end = text.index(" ", start + len("p_innovation = "))
        default.write_text(text[:start] + f"p_innovation = {p_innovation}" + text[end:])
    return to


def test_ab_trees_steps_two_trees_in_one_process_and_says_whether_numbers_differ(tmp_path,
                                                                                capsys):
    """The same package from two places: the same numbers; another p: the numbers differ.
    The process's own sanisim is back in place afterwards."""
    import ab_trees

    import sanisim.model

    root = BENCH.parent
    same = _tree_copy(root, tmp_path / "same")
    other = _tree_copy(root, tmp_path / "other", p_innovation=0.05)
    ab_trees.main([str(root), str(same), str(other), "--households", "300", "--months", "3",
                   "--runs", "2"])
    out = capsys.readouterr().out
    runs = [line for line in out.splitlines() if line.startswith("run ")]
    assert len(runs) == 2 and all("NUMBERS DIFFER" in line for line in runs), out
    prints = runs[0].split("NUMBERS DIFFER: ")[1].split()
    assert prints[0] == prints[1] != prints[2]  # the copy computes what the original does
    assert "median change against the first tree" in out
    assert sys.modules["sanisim.model"] is sanisim.model  # the test process's modules back
    assert str(same) not in sys.path and str(other) not in sys.path


def test_ab_trees_measures_every_configuration_at_every_size(capsys):
    """Several configurations and sizes: each pair in turn, then one table of the medians."""
    import ab_trees

    root = str(BENCH.parent)
    ab_trees.main([root, root, "--config", "default", "full", "--households", "200", "300",
                   "--months", "2", "--runs", "1"])
    out = capsys.readouterr().out
    heads = [line.split(";")[0] for line in out.splitlines() if "households, institutions" in line]
    assert [h.split(",")[0] for h in heads] == ["default", "default", "full", "full"], out
    assert [h.split(", ")[1] for h in heads] == ["200 households", "300 households"] * 2
    table = out.split("median change against the first tree (CPU time):")[1].splitlines()[1:]
    assert [row.split()[:2] for row in table] == [
        ["default", "200"], ["default", "300"], ["full", "200"], ["full", "300"]], out
    assert out.count("same numbers") == 4


def test_institutions_in_proportion_scale_with_the_district():
    """``--institutions in-proportion`` is ``Scenario.scaled``: the default scenario's 4
    sanitarians, 2 cooperatives and 4 entrepreneurs for 10,000 households are 40, 20 and 40
    for 100,000, and at least one each."""
    import bench_step

    from sanisim.scenario import INSTITUTIONS, load

    assert bench_step.INSTITUTIONS == INSTITUTIONS  # the benchmarks' --institutions choices
    base = load("default")
    assert (base["sanitarians.count"], base["cooperatives.count"]) == (4, 2)
    big = bench_step.in_proportion(base, 100_000)
    assert (big["sanitarians.count"], big["cooperatives.count"]) == (40, 20)
    assert big.strategies["supply"]["entrepreneurs"] == 40
    assert big.config_hash == base.scaled(100_000).config_hash
    small = bench_step.in_proportion(base, 1_000)
    assert (small["sanitarians.count"], small["cooperatives.count"]) == (1, 1)


def test_same_numbers_finds_the_pairs_a_change_moved(tmp_path, capsys):
    """Hashes of every bundle of a scenario: a copy of the tree gives the same ones; another
    Bass p in the default scenario moves its baseline; a file made at
    another size is refused before any run."""
    import same_numbers

    root = BENCH.parent
    small = ["--households", "300", "--months", "3", "--only", "default/*"]
    same_numbers.main([*small, "--json", str(tmp_path / "before.json")])
    before = json.loads((tmp_path / "before.json").read_text())
    assert len(before["hashes"]) == len(__import__("sanisim.scenario").scenario.load(
        "default").bundles) > 5
    copy = _tree_copy(root, tmp_path / "same")
    assert same_numbers.main(["--tree", str(copy), *small,
                              "--against", str(tmp_path / "before.json")]) == 0
    assert "same numbers in all" in capsys.readouterr().out
    other = _tree_copy(root, tmp_path / "other", p_innovation=0.05)
    assert same_numbers.main(["--tree", str(other), *small[:4], "--only", "default/ba*",
                              "--against", str(tmp_path / "before.json")]) == 1
    out = capsys.readouterr().out
    assert "NUMBERS DIFFER in 1 of 1" in out and "default/baseline" in out, out
    with pytest.raises(SystemExit) as stop:
        same_numbers.main(["--households", "400", "--months", "3",
                           "--against", str(tmp_path / "before.json")])
    assert stop.value.code == 2 and "made with households=300" in capsys.readouterr().err
