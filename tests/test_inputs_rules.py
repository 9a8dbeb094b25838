"""Input rules: errors that survive pickling, one name rule, bounded numbers and overrides,
sizes checked before allocation, validate reading what a run reads, warnings, a BOM."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path

import pytest
from conftest import cli_failure as failure

from sanisim.cli import main
from sanisim.errors import MAX_NAME_LENGTH, InputError, OutputError
from sanisim.inputs import check_size, run_bytes
from sanisim.runs.executors import open_executor
from sanisim.scenario import MAX_EXTENDS, load

ROOT = Path(__file__).resolve().parent.parent


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- pickling


def _raise_input_error(source: str) -> None:
    raise InputError(source, "trial.clusters", "150 clusters asked for, but only 5")


def test_input_error_pickles_to_the_same_line():
    for err in (InputError("a.toml", "x.y", "got 5; allowed: a name"),
                InputError(None, None, "plain"), OutputError("/tmp/out", "cannot write")):
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err) and str(copy) == str(err)
        assert (copy.source, copy.key, copy.message) == (err.source, err.key, err.message)


def test_input_error_raised_in_a_process_pool_comes_back_whole():
    with open_executor("processes", 1) as handle:
        future = handle.executor.submit(_raise_input_error, "w.toml")
        with pytest.raises(InputError) as info:
            future.result(timeout=60)
    assert str(info.value) == "w.toml: trial.clusters: 150 clusters asked for, but only 5"


def test_a_users_error_found_in_a_worker_is_one_line(tmp_path, capsys):
    """Too many clusters is found only once the district is built, inside the workers."""
    path = write(tmp_path, "w.toml", """\
[trial]
name = "w"
scenario = "default"
households = 200
replicates = 2
unit = "rt"
clusters = 150
survey_month = 2
[arms.control]
bundle = "baseline"
share = 0.5
[arms.bcc]
bundle = "bcc"
share = 0.5
""")
    failure(capsys, ["trial", path, "--workers", "2", "--backend", "processes", "--out",
                     tmp_path / "o"], str(path), "trial.clusters")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["../escape", "/abs", "a/b", ".hidden", "x" * 101, "a b"])
def test_scenario_and_bundle_names_follow_the_name_rule(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = write(tmp_path, "s.toml", f"name = {name!r}\n")
    failure(capsys, ["run", scenario, "--months", "1", "--households", "10"], "name")
    bundle = write(tmp_path, "b.toml", f'name = "ok"\n[bundles]\n"{name}" = []\n')
    failure(capsys, ["run", bundle, "--months", "1", "--households", "10"], "bundles.")
    assert list(tmp_path.iterdir()) == [scenario, bundle] or not (tmp_path / "results").exists()


def test_a_name_of_the_longest_length_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "n" * MAX_NAME_LENGTH
    path = write(tmp_path, "s.toml", f'name = "{name}"\n')
    assert main(["run", str(path), "--months", "1", "--households", "10"]) == 0
    assert (tmp_path / "results" / name / "baseline" / "manifest.json").is_file()


def test_a_file_name_that_cannot_name_a_folder_needs_a_name(tmp_path, capsys):
    path = write(tmp_path, "my scenario.toml", "[run]\nmonths = 3\n")
    failure(capsys, ["validate", path], "name", "cannot name a results folder")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("argv, named", [
    (["run", "default", "--months", "1000000000"], "run.months"),
    (["run", "default", "--households", "1000000000000"], "population.households"),
    (["run", "default", "--households", "9"], "population.households"),
    (["run", "default", "--seed", str(2**63)], "--seed"),
    (["dashboard", "--port", "99999", "--print"], "--port"),
    (["dashboard", "--port", "0", "--print"], "--port"),
    (["trial", "experiments/east_java_trial.toml", "--replicates", "1000001"], "--replicates"),
    (["batch", "experiments/smoke.toml", "--workers", "100000"], "--workers"),
])
def test_command_line_numbers_are_bounded(argv, named, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    failure(capsys, argv, named)


@pytest.mark.parametrize("kind, table, named", [
    ("trial", 'households = 1_000_000_000_000', "trial.households"),
    ("trial", 'clusters = 1_000_000', "trial.clusters"),
    ("trial", 'replicates = 10_000_000', "trial.replicates"),
    ("trial", 'seed = 9_223_372_036_854_775_808', "trial.seed"),
    ("sensitivity", 'samples = 10_000_000', "sensitivity.samples"),
    ("sensitivity", 'levels = 1000', "sensitivity.levels"),
    ("sensitivity", 'months = 601', "sensitivity.months"),
    ("sensitivity", 'seed = 4294967296', "sensitivity.seed"),
    ("experiment", 'households = 5_000_001', "experiment.households"),
    ("calibration", 'budget = 1_000_000', "calibration.budget"),
    ("joint", 'generations = 100_000', "joint.generations"),
    ("joint", 'seed = 4294967295', "joint.seed"),
])
def test_file_numbers_are_bounded(kind, table, named, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the project: calibration and posterior outputs go below it
    source = {"trial": "east_java_trial.toml", "sensitivity": "sa_morris.toml",
              "experiment": "smoke.toml", "calibration": "east_java_calibration.toml",
              "joint": "joint_calibration.toml"}[kind]
    text = (ROOT / "experiments" / source).read_text()
    key = named.split(".")[1]
    lines = [line for line in text.splitlines() if not line.startswith(f"{key} ")]
    at = lines.index(f"[{kind}]") + 1
    lines.insert(at, table)
    path = copy_of_experiments(tmp_path) / source
    path.unlink()
    path.write_text("\n".join(lines) + "\n")
    failure(capsys, ["validate", path], named)


def copy_of_experiments(folder: Path) -> Path:
    """``folder/experiments`` whose files link to the shipped ones (and ``folder/scenarios``),
    so that a changed copy of one file finds what it refers to."""
    (folder / "scenarios").symlink_to(ROOT / "scenarios")
    experiments = folder / "experiments"
    experiments.mkdir()
    for entry in (ROOT / "experiments").iterdir():
        (experiments / entry.name).symlink_to(entry)
    return experiments


def test_grid_size_is_computed_before_enumerating(tmp_path, capsys):
    values = ", ".join(f"{0.001 * i:.3f}" for i in range(1, 41))
    keys = ["behaviour.q_imitation", "behaviour.p_innovation", "population.savings_rate",
            "network.rewire", "behaviour.w_risk", "behaviour.w_norm"]
    path = write(tmp_path, "grid.toml", '[experiment]\nname = "g"\nseed = 1\nscenarios = '
                 '["default"]\n[grid]\n' + "".join(f'"{k}" = [{values}]\n' for k in keys))
    started = time.perf_counter()
    err = failure(capsys, ["validate", path], "4,096,000,000 runs", "at most 1,000,000")
    assert time.perf_counter() - started < 10, err


def test_extends_chain_is_capped_with_one_line(tmp_path, capsys):
    for i in range(1500):
        write(tmp_path, f"s{i}.toml", f'extends = "s{i + 1}.toml"\n' if i < 1499
              else 'name = "end"\n')
    failure(capsys, ["validate", tmp_path / "s0.toml"], "extends", f"at most {MAX_EXTENDS}")
    write(tmp_path, f"s{1500 - MAX_EXTENDS}.toml", 'name = "short"\n'
          f'extends = "s{1501 - MAX_EXTENDS}.toml"\n')
    write(tmp_path, f"s{1500 - MAX_EXTENDS + 1}.toml", '[run]\nmonths = 7\n')
    scenario = load(tmp_path / f"s{1500 - MAX_EXTENDS}.toml")
    assert scenario["run.months"] == 7


def test_memory_estimate_refuses_what_cannot_fit(monkeypatch):
    scenario = load("default").with_params({"network.kind": "erdos_renyi",
                                            "network.mean_degree": 1000.0})
    assert run_bytes(scenario.params, 5_000_000) > 100 * 2**30
    monkeypatch.setattr("sanisim.inputs.memory_available", lambda: 8 * 2**30)
    with pytest.raises(InputError, match="GiB"):
        check_size(scenario, 5_000_000, "s.toml", "population.households")
    assert check_size(scenario, 10_000, "s.toml", "population.households") < 8 * 2**30


def test_trial_households_that_cannot_fit_the_machine_are_refused(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setattr("sanisim.inputs.memory_available", lambda: 2**30)
    text = (ROOT / "experiments" / "east_java_trial.toml").read_text().replace(
        "[trial]\n", "[trial]\nhouseholds = 5_000_000\n")
    path = write(tmp_path, "t.toml", text)
    (tmp_path / "east_java_trial.toml").write_text("")  # not used: the scenario is shipped
    failure(capsys, ["validate", path], "trial.households", "GiB")


# --------------------------------------------------------------------------- references


def test_validate_reads_the_edge_list_a_run_would(tmp_path, capsys):
    path = write(tmp_path, "e.toml", 'name = "e"\n[population]\nhouseholds = 20\n'
                 '[network]\nkind = "edgelist"\nedgelist = "ties.txt"\n')
    failure(capsys, ["validate", path], "network.edgelist", "not found")
    write(tmp_path, "ties.txt", "0 1\n1 two\n")
    failure(capsys, ["validate", path], "network.edgelist", "two household indices")
    write(tmp_path, "ties.txt", "0 1\n1 2\n")
    assert main(["validate", str(path)]) == 0


def test_edge_list_and_parent_contents_are_in_the_hash(tmp_path):
    write(tmp_path, "ties.txt", "0 1\n1 2\n")
    write(tmp_path, "parent.toml", 'name = "p"\n[population]\nhouseholds = 20\n'
          '[network]\nkind = "edgelist"\nedgelist = "ties.txt"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    child = write(sub, "child.toml", 'name = "c"\nextends = "../parent.toml"\n')
    first = load(child).config_hash
    assert load(child).referenced_files()["network.edgelist"].resolve() == \
        (tmp_path / "ties.txt").resolve()  # resolved beside the file that named it
    write(tmp_path, "ties.txt", "0 1\n1 3\n")
    second = load(child).config_hash
    assert second != first
    write(tmp_path, "parent.toml", 'name = "p"\n[population]\nhouseholds = 21\n'
          '[network]\nkind = "edgelist"\nedgelist = "ties.txt"\n')
    assert load(child).config_hash not in (first, second)


def test_experiment_hash_follows_the_edge_list(tmp_path):
    from sanisim.runs.experiment import load as load_experiment

    write(tmp_path, "ties.txt", "0 1\n")
    write(tmp_path, "s.toml", 'name = "s"\n[population]\nhouseholds = 20\n'
          '[network]\nkind = "edgelist"\nedgelist = "ties.txt"\n')
    experiment = write(tmp_path, "x.toml", '[experiment]\nname = "x"\nseed = 1\n'
                       'scenarios = ["s.toml"]\n')
    before = load_experiment(experiment).hash
    write(tmp_path, "ties.txt", "0 2\n")
    assert load_experiment(experiment).hash != before


# --------------------------------------------------------------------------- warnings, BOM


def test_warnings_for_slips_that_are_allowed(tmp_path, caplog):
    path = write(tmp_path, "w.toml", 'name = "w"\n[run]\nmonths = 12\n[strategies.late]\n'
                 'type = "bcc"\nstart = 20\n[bundles]\nbaseline = ["late"]\n'
                 'twice = ["late", "late"]\n')
    with caplog.at_level(logging.WARNING, logger="sanisim.scenario"):
        load(path)
    text = caplog.text
    assert "strategies.late.start" in text and "never acts" in text
    assert "bundles.twice" in text and "more than once" in text
    assert "bundles.baseline" in text and "redefined" in text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sanisim.scenario"):
        load("default")
    assert caplog.text == ""


def test_a_byte_order_mark_is_accepted_by_every_reader(tmp_path, capsys):
    for source in ("east_java_trial.toml", "smoke.toml", "sa_morris.toml"):
        path = tmp_path / source
        path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "experiments" / source).read_bytes())
        assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    path = tmp_path / "s.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "bom"\n')
    assert main(["validate", str(path)]) == 0


# --------------------------------------------------------------------------- small items


@pytest.mark.parametrize("change, named", [
    (("trial = ", 'scenario = 5\ntrial = '), "calibration.scenario"),
    (('out = "../results', 'out = 5\n# "'), "calibration.out"),
    (('out = "../results/calibration_east_java/east_java_calibrated.toml"',
      'out = "/tmp/elsewhere.toml"'), "calibration.out"),
])
def test_calibration_file_small_items(change, named, tmp_path, capsys):
    text = (ROOT / "experiments" / "east_java_calibration.toml").read_text()
    path = write(tmp_path, "c.toml", text.replace(*change, 1))
    (tmp_path / "east_java_trial.toml").symlink_to(ROOT / "experiments" / "east_java_trial.toml")
    failure(capsys, ["validate", path], named)


def test_trial_arm_bundle_given_as_a_list(tmp_path, capsys):
    text = (ROOT / "experiments" / "east_java_trial.toml").read_text().replace(
        'bundle = "ra"', 'bundle = ["ra"]')
    failure(capsys, ["validate", write(tmp_path, "t.toml", text)], "arms.ra.bundle")


def test_joint_setting_bundle_given_as_a_list(tmp_path, capsys):
    """Found by the property suite: a list where a bundle name goes was a TypeError."""
    write(tmp_path, "s.toml", 'name = "s"\n[population]\nhouseholds = 60\n')
    path = write(tmp_path, "j.toml", '[joint]\nname = "j"\n[parameters]\n'
                 '"behaviour.p_innovation" = [0.001, 0.02]\n[settings.a.run]\n'
                 'scenario = "s.toml"\nmonths = 3\nbundle = []\n'
                 '[settings.a.targets."level:basic_or_better@3"]\nvalue = 0.5\nse = 0.1\n')
    failure(capsys, ["validate", path], "settings.a.run.bundle")
