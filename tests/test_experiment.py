"""Experiment files: validation with one-line errors, the run table, seeds and designs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.parameters import BY_KEY
from sanisim.runs import experiment as exp

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"

HEADER = """
[experiment]
name = "t"
seed = 7
replicates = 3
months = 6
households = 200
scenarios = ["default"]
bundles = ["baseline"]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# --------------------------------------------------------------------------- run table


def test_smoke_experiment_loads_into_a_run_table():
    experiment = exp.load(SMOKE)
    assert experiment.name == "smoke"
    assert len(experiment.points) == 2
    assert len(experiment.runs) == 2 * experiment.replicates
    frame = experiment.run_frame()
    assert list(frame.columns) == ["run_key", "scenario", "bundle", "replicate", "seed",
                                   "months", "households", "param:behaviour.q_imitation"]
    assert frame["run_key"].is_unique
    assert set(frame["months"]) == {12} and set(frame["households"]) == {300}


def test_seed_depends_on_experiment_seed_and_replicate_only(tmp_path):
    path = write(tmp_path, HEADER + """
        [grid]
        "behaviour.q_imitation" = [0.01, 0.05]
        "sanitarians.count" = [0, 2]
    """)
    experiment = exp.load(path)
    assert len(experiment.runs) == 4 * 3
    for spec in experiment.runs:
        expected = np.random.SeedSequence(7, spawn_key=(spec.replicate,)).generate_state(1)[0]
        assert spec.seed == int(expected)
    by_replicate = {}
    for spec in experiment.runs:
        by_replicate.setdefault(spec.replicate, set()).add(spec.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())
    assert len({next(iter(s)) for s in by_replicate.values()}) == 3


def test_run_keys_are_stable_and_independent_of_listing_order(tmp_path):
    a = exp.load(write(tmp_path, HEADER + """
        [grid]
        "behaviour.q_imitation" = [0.01, 0.05]
        "sanitarians.count" = [0, 2]
    """, "a.toml"))
    b = exp.load(write(tmp_path, HEADER + """
        [grid]
        sanitarians.count = [2, 0]
        behaviour.q_imitation = [0.05, 0.01]
    """, "b.toml"))
    assert {s.run_key for s in a.runs} == {s.run_key for s in b.runs}
    assert [s.run_key for s in a.runs] == [s.run_key for s in exp.load(tmp_path / "a.toml").runs]
    # a comment does not change the experiment; a value does
    commented = write(tmp_path, "# a note\n" + (tmp_path / "a.toml").read_text(), "c.toml")
    assert exp.load(commented).hash == a.hash
    other_seed = write(tmp_path, (tmp_path / "a.toml").read_text().replace("seed = 7",
                                                                         "seed = 8"), "d.toml")
    assert exp.load(other_seed).hash != a.hash


def test_latin_hypercube_is_stratified_in_bounds_and_seeded(tmp_path):
    text = HEADER.replace("replicates = 3", "replicates = 1") + """
        [lhs]
        samples = 16
        [lhs.ranges]
        "behaviour.p_innovation" = [0.001, 0.01]
        sanitarians.count = [1, 8]
    """
    experiment = exp.load(write(tmp_path, text))
    points = experiment.points
    assert len(points) == 16 and len(experiment.runs) == 16
    p = np.array([pt["behaviour.p_innovation"] for pt in points])
    assert p.min() >= 0.001 and p.max() <= 0.01
    strata = np.floor((p - 0.001) / (0.009 / 16)).astype(int)
    assert sorted(strata) == list(range(16))  # one sample per stratum: a Latin hypercube
    counts = [pt["sanitarians.count"] for pt in points]
    assert all(isinstance(c, int) and 1 <= c <= 8 for c in counts)
    assert sorted(set(counts)) == list(range(1, 9))  # 16 samples, each whole value twice
    again = exp.load(write(tmp_path, text, "again.toml")).points
    assert again == points
    reseeded = exp.load(write(tmp_path, text.replace("seed = 7", "seed = 9"), "s.toml"))
    assert reseeded.points != points


def test_grid_and_lhs_cross(tmp_path):
    experiment = exp.load(write(tmp_path, HEADER + """
        [grid]
        network.kind = ["community", "complete"]
        [lhs]
        samples = 3
        [lhs.ranges]
        behaviour.q_imitation = [0.01, 0.05]
    """))
    assert len(experiment.points) == 6
    assert experiment.varied == ("network.kind", "behaviour.q_imitation")
    assert len(experiment.runs) == 6 * 3


def test_defaults_months_and_households_from_scenario(tmp_path):
    path = write(tmp_path, """
        [experiment]
        name = "d"
        seed = 1
        scenarios = ["default"]
        [grid]
        population.households = [100, 200]
    """)
    experiment = exp.load(path)
    assert [s.households for s in experiment.runs] == [100, 200]
    assert {s.months for s in experiment.runs} == {BY_KEY["run.months"].default}
    assert {s.bundle for s in experiment.runs} == {"baseline"}


def test_scenario_paths_resolve_beside_the_experiment(tmp_path):
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "small.toml").write_text('name = "small"\n[population]\n'
                                                  "households = 150\n")
    path = write(tmp_path, """
        [experiment]
        name = "p"
        seed = 1
        scenarios = ["scen/small.toml", "default"]
    """)
    experiment = exp.load(path)
    assert [s.name for s in experiment.scenarios] == ["small", "default"]
    assert experiment.runs[0].households == 150


# --------------------------------------------------------------------------- mistakes

MISTAKES = [
    ("[experimnt]\nname='x'\n", ["experimnt", "did you mean 'experiment'"]),
    ("[grid]\n", ["experiment", "missing"]),
    (HEADER.replace("replicates", "replicats"), ["experiment.replicats", "'replicates'"]),
    (HEADER.replace('seed = 7\n', ''), ["experiment.seed", "missing"]),
    (HEADER.replace("replicates = 3", "replicates = 0"), ["experiment.replicates", ">= 1"]),
    (HEADER.replace("replicates = 3", 'replicates = "3"'), ["experiment.replicates"]),
    (HEADER.replace("seed = 7", "seed = -1"), ["experiment.seed"]),
    (HEADER.replace("seed = 7", "seed = 1.5"), ["experiment.seed"]),
    (HEADER.replace("months = 6", "months = 6000"), ["experiment.months", "600"]),
    (HEADER.replace('name = "t"', 'name = "a b/c"'), ["experiment.name"]),
    (HEADER.replace('["baseline"]', '["baselin"]'), ["experiment.bundles", "'baseline'"]),
    (HEADER.replace('["baseline"]', '["baseline", "baseline"]'), ["experiment.bundles",
                                                                  "twice"]),
    (HEADER.replace('["default"]', '["nowhere"]'), ["experiment.scenarios", "nowhere"]),
    (HEADER.replace('["default"]', '[]'), ["experiment.scenarios"]),
    (HEADER + '[grid]\n"behaviour.q_imitaton" = [0.1]\n', ["grid.behaviour.q_imitaton",
                                                            "behaviour.q_imitation"]),
    (HEADER + "[grid]\nbehaviour.q_imitation = [0.1, 7.0]\n", ["grid.behaviour.q_imitation",
                                                              "[0, 1]"]),
    (HEADER + "[grid]\nbehaviour.q_imitation = []\n", ["grid.behaviour.q_imitation"]),
    (HEADER + "[grid]\nbehaviour.q_imitation = 0.1\n", ["grid.behaviour.q_imitation"]),
    (HEADER + "[grid]\nbehaviour.q_imitation = [0.1, 0.1]\n", ["repeats"]),
    (HEADER + '[grid]\nnetwork.kind = ["community", "ring"]\n', ["grid.network.kind",
                                                                 "watts_strogatz"]),
    (HEADER + "[grid]\npopulation.households = [100]\n", ["experiment.households",
                                                          "population.households"]),
    (HEADER + "[grid]\npopulation.start_shares.basic = [0.9]\n", ["population.start_shares",
                                                                  "sum to 1"]),
    (HEADER + "[lhs]\nsamples = 4\n[lhs.ranges]\nbehaviour.q_imitation = [0.1, 2.0]\n",
     ["lhs.ranges.behaviour.q_imitation", "bounds"]),
    (HEADER + "[lhs]\nsamples = 4\n[lhs.ranges]\nbehaviour.q_imitation = [0.2, 0.1]\n",
     ["lhs.ranges.behaviour.q_imitation", "below"]),
    (HEADER + '[lhs]\nsamples = 4\n[lhs.ranges]\nnetwork.kind = ["a", "b"]\n',
     ["lhs.ranges.network.kind", "numeric"]),
    (HEADER + "[lhs]\nsamples = 4\n[lhs.ranges]\nsanitarians.count = [1.5, 3]\n",
     ["lhs.ranges.sanitarians.count", "whole"]),
    (HEADER + "[lhs]\n[lhs.ranges]\nbehaviour.q_imitation = [0.1, 0.2]\n", ["lhs.samples"]),
    (HEADER + "[lhs]\nsampels = 4\n", ["lhs.sampels", "'samples'"]),
    (HEADER + "[grid]\nbehaviour.q_imitation = [0.1]\n[lhs]\nsamples = 2\n[lhs.ranges]\n"
              "behaviour.q_imitation = [0.1, 0.2]\n", ["lhs.ranges.behaviour.q_imitation",
                                                       "[grid]"]),
    (HEADER + "[grid\n", ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "parts"), MISTAKES)
def test_every_mistake_is_one_line_naming_file_and_key(tmp_path, capsys, text, parts):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        exp.load(path)
    assert_one_line(str(caught.value), str(path), *parts)
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    assert_one_line(capsys.readouterr().err, str(path), *parts)
    assert not (tmp_path / "out").exists()
    assert main(["validate", str(path)]) == 2  # without [experiment], read as a scenario
    assert_one_line(capsys.readouterr().err, str(path))


def test_missing_experiment_file_is_one_line(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "none.toml")]) == 2
    assert_one_line(capsys.readouterr().err, "none.toml", "no such file")


def test_bad_command_line_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out folder is relative to the working folder
    assert main(["batch", str(SMOKE), "--workers", "0"]) == 2
    assert_one_line(capsys.readouterr().err, "--workers")
    assert main(["batch", str(SMOKE), "--backend", "mpi"]) == 2
    assert_one_line(capsys.readouterr().err, "--backend", "processes")
    assert main(["batch", str(SMOKE), "--backend", "processes", "--scheduler", "tcp://x:1"]) == 2
    assert_one_line(capsys.readouterr().err, "--scheduler", "dask")


def test_validate_accepts_experiment_and_scenario_files(capsys):
    assert main(["validate", str(SMOKE), str(ROOT / "scenarios" / "default.toml")]) == 0
    out = capsys.readouterr().out
    assert "experiment 'smoke'" in out and "8 runs" in out and "scenario 'default'" in out


def test_is_experiment_file(tmp_path):
    assert exp.is_experiment_file(SMOKE)
    assert not exp.is_experiment_file(ROOT / "scenarios" / "default.toml")
    assert not exp.is_experiment_file(tmp_path / "missing.toml")
