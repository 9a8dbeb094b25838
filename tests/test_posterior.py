"""The calibration posterior: reading and checking, weighted draws, draws as a design
dimension (seeds, run keys, parameters applied), pooled summaries and clean errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim import analysis
from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.runs import experiment as exp
from sanisim.runs import posterior
from sanisim.runs.batch import _scenario, run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.runs.points import scenario_at
from sanisim.runs.run import run
from sanisim.scenario import load as load_scenario

ROOT = Path(__file__).resolve().parent.parent
#: A hand-written test fixture, NOT a calibrated posterior (6 draws, unequal weights).
FIXTURE = ROOT / "tests" / "data" / "fixture_posterior_not_calibrated.csv"
SMOKE = ROOT / "experiments" / "smoke.toml"
#: Run keys of experiments/smoke.toml as computed before posteriors existed (commit f61f456):
#: designs without ``posterior`` must keep them, so their stores resume.
SMOKE_FIRST_KEYS = ["9a7b51f95c69", "0bc49ec967d6", "949d0b691c9f"]
SMOKE_KEYS_DIGEST = "50b19645a0d4cc1c"

EXPERIMENT = """
[experiment]
name = "post"
seed = 7
replicates = 2
months = 6
households = 200
scenarios = ["default"]
bundles = ["baseline", "bcc"]
"""
WITH_POSTERIOR = EXPERIMENT + 'posterior = 3\nposterior_file = "post.csv"\n'


def write(folder: Path, text: str, name: str = "exp.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def posterior_file(folder: Path, text: str | None = None, name: str = "post.csv") -> Path:
    path = folder / name
    path.write_text(FIXTURE.read_text() if text is None else textwrap.dedent(text).lstrip())
    return path


# --------------------------------------------------------------------------- the ensemble


def test_draws_are_deterministic_nested_and_without_replacement():
    post = posterior.load(FIXTURE)
    assert len(post) == 6 and post.keys == ("behaviour.p_innovation", "behaviour.q_imitation",
                                            "strategies.bcc.cadres")
    first = post.draws(4, 11)
    assert first == post.draws(4, 11)                      # the seed fixes the draws
    assert post.draws(3, 11) == first[:3]                  # n draws: a prefix of n + 1
    assert len({d for d, _ in first}) == 4                 # without replacement
    assert {tuple(d for d, _ in post.draws(4, s)) for s in range(10)} != {
        tuple(d for d, _ in first)}                        # other seeds, other draws
    row = post.ids.index(first[0][0])
    assert first[0][1] == post.point(row)
    assert isinstance(first[0][1]["strategies.bcc.cadres"], int)
    assert sorted(d for d, _ in post.draws(6, 3)) == list(post.ids)


def test_first_pick_follows_the_weights_and_a_heavy_draw_is_always_first(tmp_path):
    post = posterior.load(FIXTURE)
    picks = pd.Series([post.draws(1, seed)[0][0] for seed in range(3000)])
    share = picks.value_counts(normalize=True).reindex(post.ids, fill_value=0.0)
    assert np.allclose(share.to_numpy(), post.weights, atol=0.035), share
    heavy = posterior_file(tmp_path, """
        draw,weight,behaviour.p_innovation
        1,0.0000005,0.001
        2,0.999999,0.009
        3,0.0000005,0.002
    """)
    heavy_post = posterior.load(heavy)
    assert {heavy_post.draws(1, seed)[0][0] for seed in range(30)} == {2}
    zero = posterior_file(tmp_path, "draw,weight,behaviour.p_innovation\n1,0,0.001\n2,1,0.009\n",
                          "zero.csv")
    assert posterior.draws(1, 5, zero)[0][0] == 2


def test_more_draws_than_the_ensemble_holds_is_refused():
    post = posterior.load(FIXTURE)
    for n in (7, 0):
        with pytest.raises(InputError) as caught:
            post.draws(n, 1)
        assert_one_line(str(caught.value), str(FIXTURE), "allowed: 1..6")


def test_median_point_is_the_weighted_median(tmp_path):
    # cumulative weights in value order 0.1, 0.3, 0.4, 0.6: the fourth value (0.005) is first
    # to reach one half
    assert posterior.median_point(FIXTURE) == {"behaviour.p_innovation": 0.005,
                                               "behaviour.q_imitation": 0.035,
                                               "strategies.bcc.cadres": 25}
    path = posterior_file(tmp_path, """
        draw,weight,behaviour.q_imitation
        0,0.6,0.09
        1,0.2,0.01
        2,0.2,0.05
    """)
    assert posterior.median_point(path) == {"behaviour.q_imitation": 0.09}


def test_package_without_a_posterior_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(posterior, "default_path", lambda: tmp_path / "data" / "posterior.csv")
    with pytest.raises(InputError) as caught:
        posterior.load()
    assert_one_line(str(caught.value), "no posterior yet",
                    "sanisim joint experiments/joint_calibration.toml")
    path = write(tmp_path, EXPERIMENT + "posterior = 2\n")
    with pytest.raises(InputError) as caught:
        exp.load(path)
    assert_one_line(str(caught.value), str(path), "experiment.posterior", "no posterior yet",
                    "sanisim joint experiments/joint_calibration.toml")
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    assert_one_line(capsys.readouterr().err, str(path), "no posterior yet")


BAD_FILES = [
    ("weight,behaviour.p_innovation\n1,0.005\n", ["draw", "missing column"]),
    ("draw,behaviour.p_innovation\n0,0.005\n", ["weight", "missing column"]),
    ("draw,weight,behaviour.p_innovation\n0,0.5,0.005\n1,0.4,0.006\n", ["weight", "sum"]),
    ("draw,weight,behaviour.p_innovation\n0,0.5,0.005\n0,0.5,0.006\n", ["draw", "twice"]),
    ("draw,weight,behaviour.q_imitaton\n0,1,0.02\n", ["behaviour.q_imitaton",
                                                      "behaviour.q_imitation"]),
    ("draw,weight,strategies.nobody.cadres\n0,1,abc\n", ["strategies.nobody.cadres",
                                                        "finite number"]),
    ("draw,weight,behaviour.p_innovation\n0,1,2.5\n", ["behaviour.p_innovation", "draw 0",
                                                       "[0, 1]"]),
    ("draw,weight,strategies.bcc.cadres\n0,1,2.5\n", ["strategies.bcc.cadres", "integer"]),
    ("draw,weight,network.kind\n0,1,3\n", ["network.kind", "numeric"]),
    ("draw,weight\n0,1\n", ["no parameter columns"]),
]


@pytest.mark.parametrize(("text", "parts"), BAD_FILES)
def test_a_bad_posterior_file_is_one_line_naming_file_and_column(tmp_path, text, parts):
    path = posterior_file(tmp_path, text)
    with pytest.raises(InputError) as caught:
        posterior.load(path)
    assert_one_line(str(caught.value), str(path), *parts)


def test_a_setting_specific_column_applies_only_where_its_strategy_is(tmp_path):
    """A joint fit's parameter of one setting's own strategy is kept, and applied only to a
    scenario that has that strategy (the joint calibration's rule)."""
    path = posterior_file(tmp_path, """
        draw,weight,behaviour.p_innovation,strategies.bcc.cadres,strategies.ra_triggering.facilitation
        0,0.5,0.005,3,0.7
        1,0.5,0.006,4,0.8
    """)
    ensemble = posterior.load(path)
    default = load_scenario("default")
    assert set(ensemble.keys) == {"behaviour.p_innovation", "strategies.bcc.cadres",
                                  "strategies.ra_triggering.facilitation"}
    point = ensemble.point(0)
    assert posterior.applicable(point, default) == {"behaviour.p_innovation": 0.005,
                                                    "strategies.bcc.cadres": 3}
    setting = load_scenario(ROOT / "scenarios" / "settings" / "east_java.toml")
    assert "strategies.ra_triggering.facilitation" in posterior.applicable(point, setting)
    design = write(tmp_path, WITH_POSTERIOR.replace("posterior = 3", "posterior = 2"))
    runs = exp.load(design).runs
    assert {dict(r.posterior_params)["strategies.bcc.cadres"] for r in runs} == {3, 4}
    assert all("strategies.ra_triggering.facilitation" not in dict(r.posterior_params)
               for r in runs)


# --------------------------------------------------------------------------- the design


def test_draws_cross_the_design_with_shared_seeds_and_applied_parameters(tmp_path):
    posterior_file(tmp_path)
    design = exp.load(write(tmp_path, WITH_POSTERIOR))
    plain = exp.load(write(tmp_path, EXPERIMENT, "plain.toml"))
    assert len(design.runs) == 3 * 2 * 2
    frame = design.run_frame()
    assert "posterior_draw" in frame.columns and frame["run_key"].is_unique
    assert frame["posterior_draw"].nunique() == 3
    assert frame.groupby("posterior_draw").size().tolist() == [4, 4, 4]
    chosen = dict(posterior.load(tmp_path / "post.csv").draws(3, design.seed))
    assert [d for d, _ in design.draws] == list(chosen)
    # replicate r has one seed in every draw and bundle: common random numbers
    seeds = frame.groupby("replicate")["seed"].nunique()
    assert (seeds == 1).all()
    assert frame.groupby("replicate")["seed"].first().tolist() == [
        exp.run_seed(7, r) for r in range(2)]
    assert set(frame["seed"]) == {s.seed for s in plain.runs}
    # every run's scenario carries its draw's values, strategy parameters included
    for spec in design.runs:
        scenario = _scenario(spec)
        values = chosen[spec.posterior_draw]
        assert scenario["behaviour.p_innovation"] == values["behaviour.p_innovation"]
        assert scenario.strategies["bcc"]["cadres"] == values["strategies.bcc.cadres"]
        assert frame.loc[frame["run_key"] == spec.run_key,
                         "posterior:strategies.bcc.cadres"].item() == values[
            "strategies.bcc.cadres"]
    # keys and hash: draws change both; without posterior nothing changes
    assert not {s.run_key for s in design.runs} & {s.run_key for s in plain.runs}
    assert design.hash != plain.hash
    two = exp.load(write(tmp_path, WITH_POSTERIOR.replace("posterior = 3", "posterior = 2"),
                         "two.toml"))
    assert two.hash != design.hash
    assert {s.run_key for s in two.runs} < {s.run_key for s in design.runs}  # nested draws
    assert "3 posterior draw(s)" in design.describe()
    assert design.interval_holds == "seed noise and parameter uncertainty (3 posterior draws)"
    assert plain.interval_holds == "seed noise"


def test_without_posterior_the_run_keys_are_those_of_before():
    smoke = exp.load(SMOKE)
    keys = [spec.run_key for spec in smoke.runs]
    assert keys[:3] == SMOKE_FIRST_KEYS
    assert exp.short_hash(keys, 16) == SMOKE_KEYS_DIGEST
    assert "posterior_draw" not in smoke.run_frame().columns


DESIGN_MISTAKES = [
    ('[grid]\n"behaviour.q_imitation" = [0.02, 0.04]\n', ["grid.behaviour.q_imitation",
                                                          "posterior"]),
    ("[lhs]\nsamples = 2\n[lhs.ranges]\nbehaviour.p_innovation = [0.001, 0.01]\n",
     ["lhs.ranges.behaviour.p_innovation", "posterior"]),
]


@pytest.mark.parametrize(("extra", "parts"), DESIGN_MISTAKES)
def test_a_parameter_from_the_design_and_the_posterior_is_refused(tmp_path, capsys, extra,
                                                                  parts):
    posterior_file(tmp_path)
    path = write(tmp_path, WITH_POSTERIOR + extra)
    with pytest.raises(InputError) as caught:
        exp.load(path)
    assert_one_line(str(caught.value), str(path), *parts)
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    assert_one_line(capsys.readouterr().err, str(path), *parts)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("posterior_text", "extra", "parts"), [
    (None, 'posterior = 3\nposterior_file = "missing.csv"\n',
     ["experiment.posterior", "missing.csv", "no such posterior file"]),
    ("draw,weight,behaviour.q_imitaton\n0,1,0.02\n", 'posterior = 1\nposterior_file = '
     '"post.csv"\n', ["experiment.posterior", "post.csv", "behaviour.q_imitaton"]),
    (None, 'posterior = 7\nposterior_file = "post.csv"\n', ["experiment.posterior",
                                                            "allowed: 1..6"]),
    (None, 'posterior = 0\nposterior_file = "post.csv"\n', ["experiment.posterior", ">= 1"]),
    (None, 'posterior_file = "post.csv"\n', ["experiment.posterior_file", "posterior = N"]),
])
def test_bad_posterior_settings_are_one_line_and_exit_2(tmp_path, capsys, posterior_text,
                                                        extra, parts):
    posterior_file(tmp_path, posterior_text)
    path = write(tmp_path, EXPERIMENT + extra)
    with pytest.raises(InputError) as caught:
        exp.load(path)
    assert_one_line(str(caught.value), str(path), *parts)
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    assert_one_line(capsys.readouterr().err, str(path), *parts)


# --------------------------------------------------------------------------- batch and summaries


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("posterior")
    posterior_file(root)
    out = {}
    for name, text in (("draws", WITH_POSTERIOR), ("plain", EXPERIMENT)):
        design = exp.load(write(root, text, f"{name}.toml"))
        report = run_batch(design, root / name, executor=SerialExecutor(), progress="none")
        assert report.ok and report.done == len(design.runs)
        out[name] = (design, report, root / name)
    return out


def test_a_batch_with_draws_runs_each_draw_and_resumes(stores):
    design, report, store = stores["draws"]
    assert report.interval_holds == "seed noise and parameter uncertainty (3 posterior draws)"
    results = exp.load_results(store)
    assert results.manifest["interval_holds"] == report.interval_holds
    assert results.manifest["posterior"]["draws"] == 3
    runs = results.runs
    assert len(runs) == 12 and (runs["status"] == "done").all()
    assert {"posterior_draw", "posterior:behaviour.p_innovation"} <= set(runs.columns)
    # a stored run equals the same run done by hand on the draw's scenario and seed
    spec = next(s for s in design.runs if s.bundle == "bcc" and s.replicate == 1)
    drawn = scenario_at(load_scenario("default"), dict(spec.posterior_params))
    direct = run(drawn, seed=spec.seed, months=6, households=200, bundle="bcc").monthly
    stored = results.monthly[results.monthly["run_key"] == spec.run_key].drop(
        columns="run_key").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[direct.columns], direct.reset_index(drop=True),
                                  check_dtype=False)
    again = run_batch(design, store, executor=SerialExecutor(), progress="none", resume=True)
    assert again.skipped == 12 and again.done == 0


def test_summaries_pool_draws_and_replicates_and_say_what_intervals_hold(stores):
    draws = exp.load_results(stores["draws"][2])
    plain = exp.load_results(stores["plain"][2])
    assert analysis.interval_holds(draws) == ("seed noise and parameter uncertainty "
                                             "(3 posterior draws)")
    assert analysis.interval_holds(plain) == "seed noise"
    end = analysis.ladder_end(draws)
    assert set(end["n"]) == {6}                                   # 3 draws x 2 replicates
    assert set(analysis.ladder_end(plain)["n"]) == {2}
    # the pooled mean is the mean over every run of the arm, all draws together
    monthly = draws.monthly_with_runs()
    last = monthly[monthly["month"] == monthly["month"].max()]
    by_hand = last.groupby("bundle")["basic_or_better"].mean()
    mine = end[end["measure"] == "basic_or_better"].set_index("bundle")["mean"]
    assert np.allclose(mine[by_hand.index], by_hand)
    # pairs stay within a draw: the baseline run of the same draw and replicate
    pairs = analysis.paired_runs(draws, ["basic_or_better"], months="end")
    assert len(pairs) == 6 and set(pairs["posterior_draw"]) == set(last["posterior_draw"])
    wide = last.pivot_table(index=["posterior_draw", "replicate"], columns="bundle",
                            values="basic_or_better")
    diff = analysis.paired_differences(draws, ["basic_or_better"], months="end")
    assert diff["n"].item() == 6
    assert diff["mean"].item() == pytest.approx((wide["bcc"] - wide["baseline"]).mean())
    for results, holds in ((draws, "seed noise and parameter uncertainty (3 posterior draws)"),
                           (plain, "seed noise")):
        for table in (analysis.ladder_end(results), analysis.paired_differences(results),
                      analysis.time_to_target(results), analysis.costs(results),
                      analysis.equity(results), analysis.odf(results)):
            assert set(table["interval_holds"]) == {holds}
