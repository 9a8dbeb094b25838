"""Virtual trials: strategies confined to their arm, known effects recovered, clean errors."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.evidence import trial
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.runs.executors import SerialExecutor
from sanisim.scenario import bass_only_scenario, default_scenario, load
from sanisim.strategies import STRATEGY_TYPES, Strategy, parse_strategy_tables

P, EXTRA_P, MONTHS = 0.01, 0.02, 12


class ExtraInnovation(Strategy):
    """Test strategy: households in reach get an extra, independent monthly chance to decide.

    In the Bass-only configuration with q = 0 the share built by month T is exactly
    1 - (1 - p)^T in control and 1 - ((1 - p)(1 - dp))^T in the treated arm.
    """

    type_name = "extra_innovation"

    def on_decide(self, model: SanitationModel) -> None:
        hh = model.households
        rows = self.within_reach(np.flatnonzero((hh.rung < Rung.BASIC) & (hh.build_left < 0)
                                                & (hh.intent == 0)))
        deciding = rows[self.rng.random(rows.size) < self.config["extra_p"]]
        hh.intent[deciding] = model.params["behaviour.intent_months"]


def bass_design(unit: str = "rt", households: int = 2000, q: float = 0.0,
                **changes) -> trial.TrialDesign:
    scenario = bass_only_scenario(P, q, households=households, network="community")
    arms = (trial.Arm("control", "baseline", 0.5), trial.Arm("treated", "baseline", 0.5))
    design = trial.TrialDesign("bass", scenario, arms, unit=unit, survey_month=MONTHS, seed=11,
                               replicates=8)
    return trial.TrialDesign(**{**design.__dict__, **changes})


def simulate_with_extra(design: trial.TrialDesign, seed: int) -> pd.DataFrame:
    """Like trial.simulate, with the ExtraInnovation strategy in the treated arm."""
    strategy = ExtraInnovation("extra", {"start": 1, "end": 600, "budget": 0.0,
                                         "funder": "government", "extra_p": EXTRA_P})
    strategy.reach_rule = trial._arm_rule(design, 1)
    observer = trial.BuildObserver()
    model = SanitationModel(design.scenario, seed=seed, strategies=[strategy, observer],
                            household_agents=False)
    arm, cluster = trial.assignment(model, design)
    assert strategy.reach is not None and np.array_equal(strategy.reach, arm == 1)
    model.run(design.survey_month)
    hh = model.households
    names = np.array(["control", "treated"], dtype=object)
    exposed = (model.network.neighbour_sum((arm == 1).astype(np.float32)) > 0) & (arm == 0)
    return pd.DataFrame({"cluster": cluster, "arm": names[arm], "poor": hh.poor,
                         "built": observer.built.astype(float), "exposed": exposed,
                         "sampled": True})


def test_known_effect_is_recovered_within_its_confidence_interval():
    design = bass_design()
    truth_control = 1 - (1 - P) ** MONTHS
    truth = 1 - ((1 - P) * (1 - EXTRA_P)) ** MONTHS - truth_control
    estimates = [trial.estimate(simulate_with_extra(design, seed), design).set_index("estimate")
                 for seed in range(8)]
    itt = pd.DataFrame([e.loc["itt"] for e in estimates])
    control = pd.DataFrame([e.loc["control_mean"] for e in estimates])
    covered = ((itt["ci_low"] <= truth) & (truth <= itt["ci_high"])).mean()
    report = (f"truth {truth:.4f}; estimates {itt['value'].round(4).tolist()}; "
              f"SEs {itt['se'].round(4).tolist()}")
    assert covered >= 0.75, report
    assert abs(itt["value"].mean() - truth) < 3 * itt["value"].std(ddof=1) / math.sqrt(8), report
    assert (itt["p"] < 0.05).all(), report  # a 19-point effect on 2,000 households: full power
    assert abs(control["value"].mean() - truth_control) < 0.01
    # cluster-robust SEs are of the size binomial noise implies (RT clusters, no contagion)
    binomial = math.sqrt(0.25 * 2 / 2000)
    assert 0.5 * binomial < itt["se"].mean() < 2.5 * binomial


def test_household_lottery_recovers_the_effect_with_robust_errors():
    """95% intervals over 10 seeds: at least 8 cover the truth (P(fewer) about 1%)."""
    design = bass_design(unit="household", households=1500)
    truth = (1 - ((1 - P) * (1 - EXTRA_P)) ** MONTHS) - (1 - (1 - P) ** MONTHS)
    itts = [trial.estimate(simulate_with_extra(design, seed), design).set_index(
        "estimate").loc["itt"] for seed in range(10)]
    assert all(itt["clusters"] == 1500 for itt in itts)
    covered = [itt["ci_low"] <= truth <= itt["ci_high"] for itt in itts]
    assert sum(covered) >= 8, [itt.to_dict() for itt in itts]


def test_spillover_on_untreated_neighbours_appears_only_with_imitation():
    """Control households tied to treated RTs adopt more when q > 0, not when q = 0."""
    spill = {}
    for q in (0.0, 0.6):
        design = bass_design(q=q, households=3000)
        values = [trial.point_estimates(simulate_with_extra(design, seed), design)["spillover"]
                  for seed in range(10)]
        spill[q] = np.array(values)
    with_q, without_q = spill[0.6], spill[0.0]
    report = f"q=0: {without_q.round(4)}; q=0.6: {with_q.round(4)}"
    assert with_q.mean() > 3 * with_q.std(ddof=1) / math.sqrt(with_q.size), report
    assert abs(without_q.mean()) < 3 * without_q.std(ddof=1) / math.sqrt(without_q.size), report


def test_ols_estimates_equal_differences_in_means():
    design = bass_design(households=800)
    frame = simulate_with_extra(design, 3)
    frame["poor"] = np.arange(len(frame)) % 3 == 0
    frame["exposed"] = np.arange(len(frame)) % 2 == 0
    table = trial.estimate(frame, design).set_index("estimate")
    points = trial.point_estimates(frame, design)
    assert list(points) == list(trial.estimate_names(design))
    assert set(table.index) == {name for name in points if "|" not in name}
    for name in table.index:  # the short names and the full ones of the only round
        assert table.loc[name, "value"] == pytest.approx(points[name], abs=1e-12), name
        assert points[f"{name}|built@{MONTHS}"] == points[name]
    assert (table["ci_low"] < table["value"]).all() and (table["value"] < table["ci_high"]).all()


def test_assignment_is_balanced_reproducible_and_enrols_the_asked_clusters():
    design = bass_design(unit="rw", households=3000, clusters=4)
    model = SanitationModel(design.scenario, seed=5, household_agents=False)
    arm, cluster = trial.assignment(model, design)
    enrolled = np.unique(cluster[arm >= 0])
    assert enrolled.size == 4 and np.array_equal(np.bincount(arm[arm >= 0][
        np.unique(cluster[arm >= 0], return_index=True)[1]]), [2, 2])
    for rw in enrolled:  # whole clusters share an arm
        assert np.unique(arm[cluster == rw]).size == 1
    again = SanitationModel(design.scenario, seed=5, household_agents=False)
    assert np.array_equal(trial.assignment(again, design)[0], arm)
    with pytest.raises(InputError, match="clusters asked for"):
        too_many = bass_design(unit="rw", households=3000, clusters=999)
        trial.assignment(SanitationModel(too_many.scenario, seed=5, household_agents=False),
                         too_many)


def test_survey_sample_takes_up_to_k_per_cluster():
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(20), rng.integers(1, 30, 20))
    rows = np.arange(cluster.size)
    sampled = trial._survey_sample(rows, cluster, 5, rng)
    counts = np.bincount(cluster[sampled], minlength=20)
    assert np.array_equal(counts, np.minimum(np.bincount(cluster), 5))


# --------------------------------------------------------------------------- reach


def make(kind: str, name: str | None = None, **table) -> Strategy:
    name = name or kind
    configs, _ = parse_strategy_tables({name: {"type": kind, **table}}, {}, "<test>")
    return STRATEGY_TYPES[kind](name, configs[name])


BUNDLE = (("bcc", {"cadres": 4}), ("demand_creation", {"sessions_per_month": 6}),
          ("microcredit", {"channel": "open", "offers_per_month": 20}),
          ("subsidy", {"grants_per_month": 15, "targeting": "lottery"}),
          ("supply", {"entrepreneurs": 2, "discount": 0.2}),
          ("desludging", {"trucks": 1, "trips_per_truck": 30}),
          ("communal", {"commit_threshold": 0.1}))


def run_bundle(reach_rule, months: int = 12, seed: int = 2):
    strategies = [make(kind, **table) for kind, table in BUNDLE]
    for strategy in strategies:
        strategy.reach_rule = reach_rule
    scenario = default_scenario().with_params({"desludging.self_rate": 0.0})
    model = SanitationModel(scenario, seed=seed, households=1500, strategies=strategies,
                            household_agents=False)
    history = {"factors": [], "rung": []}
    start_factors = np.stack([model.households.attitude, model.households.norm]).copy()
    model.run(months)
    history["factors"] = start_factors
    return model, strategies, history


def test_reach_of_everyone_changes_nothing():
    plain, _, _ = run_bundle(None)
    everyone, _, _ = run_bundle(lambda model: np.ones(model.households.n, bool))
    pd.testing.assert_frame_equal(plain.monthly_table(), everyone.monthly_table())
    assert np.array_equal(plain.households.rung, everyone.households.rung)


def test_every_strategy_acts_only_on_its_reach():
    def half_the_rts(model):
        return model.households.rt % 2 == 0

    model, strategies, _ = run_bundle(half_the_rts, months=18)
    hh = model.households
    outside = ~half_the_rts(model)
    by_type = {s.type_name: s for s in strategies}
    bcc, dc = by_type["bcc"], by_type["demand_creation"]
    assert (bcc.last_visit[outside] == np.iinfo(np.int16).min).all()
    assert (bcc.last_visit[~outside] > 0).any()
    triggered = dc.last_triggered > 0
    assert triggered.any() and (np.arange(model.n_rt)[triggered] % 2 == 0).all()
    assert not (dc.session_gains.gain["norm"][outside] > 0).any()
    assert not (dc.media_gains.gain["risk"][outside] > 0).any()
    assert (by_type["microcredit"].offered_month[outside] < 0).all()
    assert not hh.subsidised[outside].any() and hh.subsidised[~outside].any()
    assert (by_type["supply"].owner[outside] == -1).all()
    assert not by_type["supply"].waiting[outside].any()
    assert not hh.connected[outside].any()
    desludging = by_type["desludging"]
    assert desludging.emptied_total > 0
    # nobody outside was emptied on schedule (households never empty on their own here)
    assert not ((hh.rung[outside] == Rung.SAFELY_MANAGED)
                & (hh.last_emptied[outside] > 0)).any()


# --------------------------------------------------------------------------- files and CLI


TRIAL_FILE = """
[trial]
name = "small"
scenario = "east_java_trial"
seed = 3
replicates = 2
households = 1200
unit = "rt"
survey_month = 6
survey_per_cluster = 10

[arms.control]
bundle = "baseline"
share = 0.5
[arms.ra]
bundle = "ra"
share = 0.5
"""


def test_trial_file_runs_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "trial.toml"
    path.write_text(TRIAL_FILE)
    out = tmp_path / "out"
    assert main(["trial", str(path), "--backend", "serial", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "summary.csv")
    estimates = pd.read_csv(out / "estimates.csv")
    assert {"control_mean", "itt", "itt:poor", "itt:non_poor", "spillover"} <= set(
        summary["estimate"])
    assert set(estimates["replicate"]) == {0, 1}
    assert (estimates.loc[estimates["estimate"] == "itt", "n"] <= 10 * 48).all()
    assert "power" in capsys.readouterr().out


@pytest.mark.parametrize(("old", "new", "key"), [
    ('unit = "rt"', 'unit = "rt"', None),
    ('unit = "rt"', 'unit = "street"', "trial.unit"),
    ("survey_month = 6", "survey_month = 0", "trial.survey_month"),
    ('unit = "rt"', 'unit = "rt"\ncolour = "red"', "trial.colour"),
])
def test_bad_trial_files_are_one_line_errors(tmp_path, capsys, old, new, key):
    text = TRIAL_FILE.replace(old, new)
    path = tmp_path / "trial.toml"
    path.write_text(text)
    if key is None:
        assert trial.load(path).unit == "rt"
        return
    with pytest.raises(InputError) as err:
        trial.load(path)
    assert err.value.key == key
    assert main(["trial", str(path)]) == 2
    assert_one_line(capsys.readouterr().err)


def test_arm_errors_name_the_key(tmp_path):
    path = tmp_path / "trial.toml"
    path.write_text(TRIAL_FILE.replace('bundle = "ra"', 'bundle = "rra"'))
    with pytest.raises(InputError, match="did you mean 'ra'"):
        trial.load(path)
    path.write_text(TRIAL_FILE.replace("share = 0.5\n[arms.ra]", "share = 0.4\n[arms.ra]"))
    with pytest.raises(InputError, match="sum to 0.9"):
        trial.load(path)


def test_shipped_trial_and_scenario_load():
    design = trial.load("experiments/east_java_trial.toml")
    assert design.unit == "village" and design.clusters == 160
    assert [a.name for a in design.arms] == ["control", "ra", "lg"]
    scenario = load("east_java_trial")
    assert set(scenario.bundles["ra"]) == {"ra_triggering", "ra_bcc", "ra_marketing"}


def test_replicates_run_on_an_executor_and_summarise():
    design = trial.load("experiments/east_java_trial.toml")
    design = trial.TrialDesign(**{**design.__dict__, "households": 1600, "clusters": 16,
                                  "survey_month": 4})
    result = trial.run_trial(design, replicates=3, executor=SerialExecutor())
    summary = result.summary.set_index("estimate")
    assert summary.loc["itt", "replicates"] == 3
    assert 0 <= summary.loc["control_mean", "power"] <= 1
    assert {"mean", "sd", "q025", "q975", "mean_se", "power", "census", "coverage"} <= set(
        summary.columns)


# --------------------------------------------------------------------------- designs as data


def extra(extra_p: float = EXTRA_P) -> ExtraInnovation:
    return ExtraInnovation("extra", {"start": 1, "end": 600, "budget": 0.0,
                                     "funder": "government", "extra_p": extra_p})


def test_household_lottery_in_treated_clusters_recovers_the_effect_on_winners():
    """Lottery 0.5 in treated RTs: winners against control hold the built-in effect."""
    design = bass_design(arms=(trial.Arm("control", "baseline", 0.5),
                               trial.Arm("treated", "baseline", 0.5, lottery=0.5)))
    assert [c.name for c in trial.contrasts(design)] == [
        "control_mean", "itt", "itt:reached", "itt:poor", "itt:non_poor", "spillover",
        "spillover_within"]
    truth = (1 - ((1 - P) * (1 - EXTRA_P)) ** MONTHS) - (1 - (1 - P) ** MONTHS)
    rows = []
    for seed in range(8):
        frame = trial.simulate(design, seed, strategies=[(1, extra())])
        treated = frame[frame["arm"] == "treated"]
        won = treated.groupby("cluster")["winner"].agg(["sum", "size"])
        assert ((won["sum"] - 0.5 * won["size"]).abs() < 1).all()  # half of each RT wins
        assert frame.loc[frame["arm"] == "control", "winner"].all()
        rows.append(trial.estimate(frame, design).set_index("estimate").loc["itt:reached"])
    reached = pd.DataFrame(rows)
    report = f"truth {truth:.4f}; {reached[['value', 'ci_low', 'ci_high']].round(4)}"
    assert ((reached["ci_low"] <= truth) & (truth <= reached["ci_high"])).mean() >= 0.75, report
    assert abs(reached["value"].mean() - truth) < 3 * reached["value"].std(ddof=1) / math.sqrt(8)


def test_spillover_within_treated_clusters_appears_only_with_imitation():
    """Lottery losers in treated RTs against control: ~0 with q = 0, positive with q = 0.3
    (stronger imitation saturates every arm within the year and hides the contrast)."""
    spill = {}
    for q in (0.0, 0.3):
        design = bass_design(q=q, households=2000, arms=(
            trial.Arm("control", "baseline", 0.5),
            trial.Arm("treated", "baseline", 0.5, lottery=0.5)))
        spill[q] = np.array([trial.point_estimates(trial.simulate(
            design, seed, strategies=[(1, extra(0.05))]), design)["spillover_within"]
            for seed in range(8)])
    paired = spill[0.3] - spill[0.0]
    report = f"q=0: {spill[0.0].round(4)}; q=0.3: {spill[0.3].round(4)}"
    se = paired.std(ddof=1) / math.sqrt(paired.size)
    assert paired.mean() > 3 * se and spill[0.3].mean() > 0, report
    without = spill[0.0]
    assert abs(without.mean()) < 3 * without.std(ddof=1) / math.sqrt(without.size), report


def eligibility_design(tmp_path, extra_lines: str, arms: str = "") -> trial.TrialDesign:
    path = tmp_path / "trial.toml"
    path.write_text(TRIAL_FILE.replace('unit = "rt"', f'unit = "rt"\n{extra_lines}') + arms)
    return trial.load(path)


def test_eligibility_group_limits_the_reach_of_every_strategy(tmp_path):
    design = eligibility_design(tmp_path, 'eligible = "poor"')
    strategies = trial.arm_strategies(design, design.scenario)
    assert {index for index, _ in strategies} == {1}  # the ra bundle; the baseline has none
    model = SanitationModel(design.scenario, seed=4, households=design.households,
                            strategies=[s for _, s in strategies], household_agents=False)
    arm, _ = trial.assignment(model, design)
    poor = model.households.poor
    for _, strategy in strategies:
        assert strategy.reach is not None
        assert not strategy.reach[~poor].any(), strategy.name  # no non-poor household
        assert np.array_equal(strategy.reach, (arm == 1) & poor), strategy.name
    assert "trial:lottery" not in model.streams._cache  # every lottery is 1: no draws
    names = [c.name for c in trial.contrasts(design)]
    assert "itt:eligible" in names and "spillover_within" in names
    assert "itt:reached" not in names
    # a per-arm override with a lottery; the other arm keeps the trial's group
    design = eligibility_design(tmp_path, 'eligible = "poor"', arms="lottery = 0.5\n"
                                'eligible = "without_toilet"\n')
    model = SanitationModel(design.scenario, seed=4, households=design.households,
                            household_agents=False)
    arm, _ = trial.assignment(model, design)
    eligible, winner = trial.lottery(model, design)
    below = model.households.rung < Rung.BASIC
    assert np.array_equal(eligible[arm == 1], below[arm == 1])
    assert np.array_equal(eligible[arm == 0], model.households.poor[arm == 0])
    assert 0.4 < winner[(arm == 1) & eligible].mean() < 0.6
    assert winner[(arm == 1) & ~eligible].all()  # only eligible households enter the lottery


def old_style_frame(design: trial.TrialDesign, seed: int) -> pd.DataFrame:
    """The survey frame as trial.simulate built it before lotteries and rounds (one round)."""
    strategies = [s for _, s in trial.arm_strategies(design, design.scenario)]
    observer = trial.BuildObserver()
    model = SanitationModel(design.scenario, seed=seed, households=design.households,
                            strategies=[*strategies, observer], household_agents=False)
    arm, cluster = trial.assignment(model, design)
    hh = model.households
    rung_baseline = hh.rung.copy()
    model.run(design.survey_month)
    exposed = (model.network.neighbour_sum((arm > 0).astype(np.float32)) > 0) & (arm == 0)
    built = observer.built | ((rung_baseline < Rung.BASIC) & (hh.rung >= Rung.BASIC))
    rows = np.flatnonzero(arm >= 0)
    sampled = trial._survey_sample(rows, cluster[rows], design.survey_per_cluster,
                                   model.streams["trial:survey"])
    names = np.array([a.name for a in design.arms], dtype=object)
    return pd.DataFrame({"cluster": cluster[rows], "arm": names[arm[rows]],
                         "poor": hh.poor[rows], "built": built[rows].astype(np.float64),
                         "exposed": exposed[rows], "sampled": sampled})


def old_style_points(frame: pd.DataFrame, design: trial.TrialDesign) -> dict[str, float]:
    """Differences in means as the trial module computed them before (two arms)."""
    y, arm, poor = frame["built"], frame["arm"], frame["poor"]
    control, exposed = arm == design.control, frame["exposed"]
    return {"control_mean": y[control].mean(), "itt": y[~control].mean() - y[control].mean(),
            "itt:poor": y[~control & poor].mean() - y[control & poor].mean(),
            "itt:non_poor": y[~control & ~poor].mean() - y[control & ~poor].mean(),
            "spillover": y[control & exposed].mean() - y[control & ~exposed].mean()}


def test_a_single_round_file_gives_the_estimates_of_the_old_format(tmp_path):
    path = tmp_path / "trial.toml"
    path.write_text(TRIAL_FILE)
    design = trial.load(path)
    for seed in (1, 2):
        old = old_style_frame(design, seed)
        new = trial.simulate(design, seed)
        assert np.array_equal(new["sampled"], old["sampled"])
        old_points, new_points = old_style_points(old, design), trial.point_estimates(new, design)
        assert list(new_points)[:5] == list(old_points)
        for name, value in old_points.items():
            assert new_points[name] == pytest.approx(value, abs=1e-15), name
            assert new_points[f"{name}|built@6"] == new_points[name]
        table = trial.estimate(new[new["sampled"]], design)
        pd.testing.assert_frame_equal(table, trial.estimate(old[old["sampled"]], design))
        assert set(table["month"]) == {6} and set(table["outcome"]) == {"built"}
    # the same design written with the list keys gives the same numbers
    listed = eligibility_design(tmp_path, 'outcomes = ["built"]')
    pd.testing.assert_frame_equal(trial.simulate(listed, 1), trial.simulate(design, 1))
    path.write_text(TRIAL_FILE.replace("survey_month = 6", "survey_months = [6]"))
    pd.testing.assert_frame_equal(trial.simulate(trial.load(path), 1), trial.simulate(design, 1))


def test_several_rounds_and_outcomes_from_one_run(tmp_path):
    design = eligibility_design(
        tmp_path, 'outcomes = ["built", "open_defecation", "any_own_latrine"]').__dict__
    design = trial.TrialDesign(**{**design, "survey_months": (2, 4, 6), "survey_month": 6})
    assert pickle.loads(pickle.dumps(design)) == design
    frame = trial.simulate(design, 5)
    assert list(frame["month"].unique()) == [2, 4, 6]
    panels = [frame.loc[(frame["month"] == m) & frame["sampled"], "row"].to_numpy()
              for m in (2, 4, 6)]
    assert all(np.array_equal(panels[0], panel) for panel in panels)  # one panel
    table = trial.estimate(frame[frame["sampled"]], design)
    assert len(table) == 3 * 3 * len(trial.contrasts(design))
    assert table["value"].notna().all()
    control = table[(table["estimate"] == "control_mean") & (table["outcome"] == "built")]
    assert list(control["month"]) == [2, 4, 6]
    assert control["value"].is_monotonic_increasing, control  # built never falls
    points = trial.point_estimates(frame, design)
    assert list(points) == list(trial.estimate_names(design))
    assert points["itt"] == points["itt|built@2"]
    assert points["control_mean|open_defecation@4"] == pytest.approx(frame.loc[
        (frame["month"] == 4) & (frame["arm"] == "control"), "open_defecation"].mean())
    # the last round equals a single-round trial surveyed at that month
    single = trial.TrialDesign(**{**design.__dict__, "survey_months": (), "outcomes": ()})
    alone = trial.simulate(single, 5)
    assert np.array_equal(alone["built"], frame.loc[frame["month"] == 6, "built"])
    result = trial.run_trial(design, replicates=2, executor=SerialExecutor())
    summary = result.summary
    assert len(summary) == len(table) and {"outcome", "month"} <= set(summary.columns)
    row = summary[(summary["estimate"] == "itt") & (summary["outcome"] == "open_defecation")
                  & (summary["month"] == 4)]
    assert len(row) == 1 and row["census"].notna().all()
    assert "itt|any_own_latrine@6" in trial.format_summary(summary)


def test_each_outcome_on_a_hand_made_household_state():
    model = SanitationModel(bass_only_scenario(P, 0.0, households=40), seed=1,
                            household_agents=False)
    hh = model.households
    # OD; built since baseline; unused pit; broken old toilet; sharing; communal connection;
    # slipped to OD with a broken toilet; abandoned pit
    state = {"rung0": [0, 0, 1, 3, 2, 0, 3, 1], "rung": [0, 3, 1, 3, 2, 3, 0, 0],
             "in_use": [0, 1, 0, 1, 1, 1, 0, 0], "owned": [0, 3, 1, 3, 0, 0, 3, 0],
             "ever_owned": [0, 1, 1, 1, 0, 0, 1, 1], "repair_due": [0, 0, 0, 1, 0, 0, 1, 0],
             "built": [0, 1, 0, 0, 0, 0, 0, 0]}
    expected = {"built": [0, 1, 0, 0, 0, 1, 0, 0], "basic_or_better": [0, 1, 0, 1, 0, 1, 0, 0],
                "open_defecation": [1, 0, 1, 0, 0, 0, 1, 1],
                "any_own_latrine": [0, 1, 1, 1, 0, 0, 1, 0],
                "functioning": [0, 1, 1, 0, 0, 0, 0, 0], "in_use": [0, 1, 0, 1, 1, 1, 0, 0],
                "ever_owned": [0, 1, 1, 1, 0, 1, 1, 1]}
    expected["built_since_baseline"] = expected["built"]
    expected["own_improved"] = expected["basic_or_better"]
    assert set(expected) == set(trial.OUTCOMES)
    k = len(state["rung"])
    baseline = trial.Baseline(hh.rung.copy())
    baseline.rung[:k] = state["rung0"]
    hh.rung[:k] = state["rung"]
    hh.owned[:k] = state["owned"]
    for name in ("in_use", "ever_owned", "repair_due"):
        getattr(hh, name)[:k] = np.array(state[name], bool)
    observer = trial.BuildObserver()
    observer.built = np.zeros(hh.n, bool)
    observer.built[:k] = np.array(state["built"], bool)
    for name, outcome in trial.OUTCOMES.items():
        got = np.asarray(outcome(model, baseline, observer))[:k].astype(int).tolist()
        assert got == expected[name], name


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("survey_month = 6", "survey_month = 6\nsurvey_months = [6, 12]", "trial.survey_months",
     "not both"),
    ("survey_month = 6", "survey_months = [12, 6]", "trial.survey_months", "increasing"),
    ('unit = "rt"', 'unit = "rt"\noutcomes = ["built", "open_defacation"]', "trial.outcomes",
     "did you mean 'open_defecation'"),
    ('unit = "rt"', 'unit = "rt"\noutcome = "built"\noutcomes = ["built"]', "trial.outcomes",
     "not both"),
    ('unit = "rt"', 'unit = "rt"\noutcome = "buildt"', "trial.outcome", "did you mean"),
    ('bundle = "ra"', 'bundle = "ra"\nlottery = 0', "arms.ra.lottery", "(0, 1]"),
    ('bundle = "ra"', 'bundle = "ra"\nlottery = 1.5', "arms.ra.lottery", "(0, 1]"),
    ('unit = "rt"', 'unit = "rt"\neligible = "rich"', "trial.eligible", "'poor'"),
    ('bundle = "ra"', 'bundle = "ra"\neligible = "landles"', "arms.ra.eligible",
     "did you mean 'landless'"),
    ('bundle = "ra"', 'bundle = "ra"\ntargeted = ["ra_bcc", "subsidy"]', "arms.ra.targeted",
     "strategies of bundle 'ra'"),
])
def test_bad_design_keys_are_one_line_errors(tmp_path, capsys, old, new, key, words):
    path = tmp_path / "trial.toml"
    path.write_text(TRIAL_FILE.replace(old, new))
    with pytest.raises(InputError) as err:
        trial.load(path)
    assert err.value.key == key and words in err.value.message
    assert str(path) in str(err.value) and key in str(err.value)
    assert main(["trial", str(path)]) == 2
    assert_one_line(capsys.readouterr().err)


def test_calibration_targets_accept_every_outcome_and_round(tmp_path):
    from sanisim.evidence.calibration import _estimate_names

    design = eligibility_design(tmp_path, 'outcomes = ["built", "in_use"]').__dict__
    design = trial.TrialDesign(**{**design, "survey_months": (3, 6)})
    names = _estimate_names(design)
    assert {"itt", "control_mean", "itt|in_use@6", "control_mean|built@3"} <= set(names)
    assert trial.split_estimate_key(design, "itt") == ("itt", "built", 3)
    assert trial.split_estimate_key(design, "itt:poor|in_use@6") == ("itt:poor", "in_use", 6)


def test_bangladesh_style_example_loads_and_reports_the_published_contrasts():
    design = trial.load("experiments/trials/bangladesh_style.toml")
    assert design.rounds == (12, 48)
    assert design.outcome_names == ("any_own_latrine", "own_improved", "open_defecation")
    names = [c.name for c in trial.contrasts(design)]
    for name in ("effect:vouchers:eligible", "effect:vouchers:reached",
                 "spillover_within:vouchers"):
        assert name in names
    assert pickle.loads(pickle.dumps(design)) == design
    # the lottery and the eligibility restrict the vouchers only; promotion reaches everyone
    strategies = trial.arm_strategies(design, design.scenario)
    model = SanitationModel(design.scenario, seed=1, households=design.households,
                            strategies=[s for _, s in strategies], household_agents=False)
    arm, _ = trial.assignment(model, design)
    eligible, winner = trial.lottery(model, design)
    reach = {(index, s.name): s.reach for index, s in strategies}
    assert np.array_equal(reach[2, "accompanied_subsidy"], (arm == 2) & model.households.poor
                          & winner)
    assert 0.7 < winner[(arm == 2) & eligible].mean() < 0.8
    assert np.array_equal(reach[2, "vouchers.bcc"], arm == 2)
    assert np.array_equal(reach[1, "promotion.bcc"], arm == 1)


def test_credit_terms_and_capital_go_only_to_cooperatives_serving_the_reach():
    scenario = default_scenario().with_params({"population.rt_per_rw": 2,
                                               "population.rw_per_village": 1,
                                               "cooperatives.count": 4})
    strategy = make("microcredit", fund_injection=1e8, min_income=0.0, tenor_months=12, end=3)
    strategy.reach_rule = lambda model: model.coop_of_row == 1
    model = SanitationModel(scenario, seed=1, households=1200, strategies=[strategy],
                            household_agents=False)
    model.step()
    coops = list(model.cooperatives)
    assert coops[1].injected == 1e8 and coops[1].min_income == 0.0 and coops[1].tenor == 12
    for other in (coops[0], coops[2], coops[3]):
        assert other.injected == 0.0
        assert other.min_income == scenario["cooperatives.min_income"]
    model.run(3)  # after the last month every cooperative has its own terms back
    assert coops[1].min_income == scenario["cooperatives.min_income"]


def test_validate_accepts_every_shipped_trial_calibration_and_sensitivity_file(capsys):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = sorted(str(p) for p in (root / "experiments").glob("*.toml"))
    assert main(["validate", *files]) == 0
    out = capsys.readouterr().out
    for kind in ("trial 'east_java'", "calibration 'east_java'", "sensitivity 'morris'",
                 "sensitivity 'sobol'"):
        assert kind in out
