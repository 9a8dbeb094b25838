"""A district at another size with its institutions in proportion (``Scenario.scaled``).

``--households`` alone keeps the institutions of the district a scenario describes; with
``--institutions in-proportion`` every record that ``scales`` (counts of institutions and
programme agents, budgets, paces of delivery) grows with the households, and the larger
district then behaves per household as the one the scenario describes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sanisim.errors import InputError
from sanisim.parameters import PARAMETERS
from sanisim.runs import experiment as experiment_module
from sanisim.runs.run import run
from sanisim.scenario import load
from sanisim.strategies import COMMON_PARAMS, STRATEGY_TYPES

#: The records that grow with the district: a modelling decision (docs/model.md, "A larger
#: district"), written out so that a record losing or gaining the mark is seen.
SCALED_REGISTRY = {"sanitarians.count", "cooperatives.count", "government.allocation.APBD",
                   "government.allocation.DAK", "government.allocation.DanaDesa",
                   "government.allocation.BAZNAS"}
SCALED_STRATEGY = {"bcc": {"cadres"}, "communal": {"plants_per_month"},
                   "demand_creation": {"sessions_per_month"}, "desludging": {"trucks"},
                   "recycling_centre": {"centres"}, "subsidy": {"grants_per_month"},
                   "supply": {"entrepreneurs"}, "voucher": {"vouchers_per_month"},
                   "waste_bank": {"banks"}}


@pytest.fixture(scope="module")
def default():
    return load("default")


def test_the_records_that_scale_are_the_district_totals():
    assert {p.key for p in PARAMETERS if p.scales} == SCALED_REGISTRY
    assert {p.key for p in COMMON_PARAMS if p.scales} == {"budget"}
    for kind, cls in STRATEGY_TYPES.items():
        assert {p.key for p in cls.PARAMS if p.scales} == SCALED_STRATEGY.get(kind, set()), kind


def test_scaled_multiplies_totals_and_keeps_rates(default):
    big = default.scaled(25_000)
    assert big["population.households"] == 25_000
    for key, value in default.params.items():
        if key == "population.households":
            continue
        if key in SCALED_REGISTRY and isinstance(value, int):
            assert big[key] == max(1, round(value * 2.5)), key
        elif key in SCALED_REGISTRY:
            assert big[key] == pytest.approx(value * 2.5), key
        else:
            assert big[key] == value, key  # rates per household or per agent
    assert big["sanitarians.count"] == 10 and big["cooperatives.count"] == 5
    for name, config in default.strategies.items():
        scaled = SCALED_STRATEGY.get(config["type"], set()) | {"budget"}
        for key, value in config.items():
            if key not in scaled:
                assert big.strategies[name][key] == value, (name, key)
            elif isinstance(value, float) and math.isinf(value):
                assert big.strategies[name][key] == math.inf
            elif isinstance(value, int):
                assert big.strategies[name][key] == max(1, round(value * 2.5)), (name, key)
            else:
                assert big.strategies[name][key] == pytest.approx(value * 2.5), (name, key)
    assert big.strategies["supply"]["entrepreneurs"] == 10
    assert big.strategies["bcc"]["budget"] == pytest.approx(1.5e9)


def test_scaled_to_its_own_size_is_the_scenario(default):
    same = default.scaled(default["population.households"])
    assert same.config_hash == default.config_hash
    assert default.scaled(20_000).config_hash != default.config_hash


def test_a_smaller_district_keeps_one_of_each_and_none_stays_none(default):
    small = default.with_params({"sanitarians.count": 0}).scaled(1_000)
    assert small["sanitarians.count"] == 0  # a district without sanitarians has none
    assert small["cooperatives.count"] == 1  # 2 x 0.1 rounds to 0: one is kept
    assert small.strategies["supply"]["entrepreneurs"] == 1
    assert small.strategies["demand_creation"]["sessions_per_month"] == 1


def test_scaling_past_a_bound_names_the_record(default):
    with pytest.raises(InputError, match=r"cooperatives\.count.*\[0, 1000\]"):
        default.with_params({"cooperatives.count": 600}).scaled(20_000)
    with pytest.raises(InputError, match=r"population\.households"):
        default.scaled(0)


def test_a_larger_district_in_proportion_behaves_per_household_as_the_small_one(default):
    """The mechanism: 30,000 households served by the 10,000-household district's 4
    sanitarians and 2 cooperatives end far below it; with them in proportion (12 and 6) they
    end where it ends (paired seeds, 120 months)."""
    def basic(scenario, households):
        return np.mean([run(scenario, seed=seed, households=households)
                        .summary["basic_or_better_end"] for seed in (1, 2)])

    small = basic(default, 10_000)
    as_is = basic(default, 30_000)
    in_proportion = basic(default.scaled(30_000), 30_000)
    assert small - as_is > 0.08  # measured: 83.9% against 67-68%
    assert abs(in_proportion - small) < 0.015  # measured: 84.1-84.6% against 83.4-84.0%


def test_the_command_line_runs_the_scaled_district(tmp_path, default):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "sanisim", "run", "default", "--households",
                           "12000", "--institutions", "in-proportion", "--months", "3",
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config_hash"] == default.scaled(12_000).config_hash
    assert manifest["households"] == 12_000
    wrong = subprocess.run([sys.executable, "-m", "sanisim", "run", "default",
                            "--institutions", "proportional"], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().count("\n") == 0 and "in-proportion" in wrong.stderr


EXPERIMENT = """
[experiment]
name = "sizes"
seed = 5
months = 2
{line}
scenarios = ["default"]
bundles = ["baseline", "full_package"]
[grid]
"population.households" = [5000, 20000]
"""


def test_an_experiment_scales_each_run_to_its_households(tmp_path, default):
    path = tmp_path / "sizes.toml"
    path.write_text(EXPERIMENT.format(line='institutions = "in-proportion"'))
    scaled = experiment_module.load(path)
    path.write_text(EXPERIMENT.format(line=""))
    as_is = experiment_module.load(path)
    for spec in scaled.runs:
        assert spec.config.config_hash == default.scaled(spec.households).config_hash
    assert {spec.config["sanitarians.count"] for spec in scaled.runs} == {2, 8}
    assert {spec.config.config_hash for spec in as_is.runs} == {default.config_hash}
    # as-is keeps the run keys it always had; in proportion is another run
    assert {s.run_key for s in as_is.runs}.isdisjoint(s.run_key for s in scaled.runs)
    spec = as_is.runs[0]
    assert spec.run_key == experiment_module.run_key(
        spec.scenario, spec.bundle, dict(spec.params), spec.replicate, spec.seed, spec.months,
        spec.households)
    # the command line sets it as the file would
    again = experiment_module.load(path, {"institutions": "in-proportion"})
    assert [s.run_key for s in again.runs] == [s.run_key for s in scaled.runs]


def test_a_wrong_institutions_value_is_one_line(tmp_path):
    path = tmp_path / "sizes.toml"
    path.write_text(EXPERIMENT.format(line='institutions = "scaled"'))
    done = subprocess.run([sys.executable, "-m", "sanisim", "batch", str(path), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"sanisim: error: {path}: experiment.institutions: got "
                                   "'scaled'; allowed: 'as-is', 'in-proportion'")
    assert not (tmp_path / "out").exists()
