"""Everything uncertain can be varied: strategy parameters and district context (starting
ladder, poverty, prices) enter sensitivity analyses and experiment designs like behavioural
parameters."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.evidence import sensitivity
from sanisim.runs.experiment import load as load_experiment
from sanisim.runs.points import scenario_at, with_ladder
from sanisim.scenario import load

SHARES = [f"population.start_shares.{r}" for r in
          ("open_defecation", "unimproved", "limited", "basic", "safely_managed")]


def test_one_rung_of_the_starting_ladder_rescales_the_others():
    scenario = load("default")
    changed = scenario_at(scenario, {"ladder.open_defecation": 0.3})
    assert changed[SHARES[0]] == 0.3
    assert sum(changed[k] for k in SHARES) == pytest.approx(1.0)
    rest = [changed[k] / scenario[k] for k in SHARES[1:]]
    assert max(rest) == pytest.approx(min(rest))  # in proportion
    assert with_ladder(scenario, {"behaviour.w_norm": 0.3}) == {"behaviour.w_norm": 0.3}
    with pytest.raises(InputError, match="at most 1"):
        scenario_at(scenario, {"ladder.open_defecation": 0.7, "ladder.basic": 0.5})
    with pytest.raises(InputError, match="did you mean 'basic'"):
        scenario_at(scenario, {"ladder.basc": 0.5})
    with pytest.raises(InputError, match="sum to 1"):  # a registry share alone: still refused
        scenario_at(scenario, {SHARES[0]: 0.3})


def test_strategy_parameters_and_context_in_a_sensitivity_problem():
    scenario = load("default")
    keys = ["strategies.bcc.budget", "ladder.open_defecation", "population.poverty_rate",
            "costs.toilet",
            "strategies.bcc.cadres"]
    problem = sensitivity.problem(keys, {"strategies.bcc.budget": (1e8, 1e9),
                                         "costs.toilet": (1.5e6, 3.5e6)}, "sa.toml", scenario)
    assert problem["names"] == keys
    assert problem["bounds"][0] == [1e8, 1e9]
    with pytest.raises(InputError, match="no finite recorded range"):
        sensitivity.problem(keys, None, "sa.toml", scenario)
    with pytest.raises(InputError, match="did you mean 'bcc'"):
        sensitivity.problem(["strategies.bcx.budget", "costs.toilet"], None, "sa.toml",
                            scenario)
    with pytest.raises(InputError, match="unknown parameter"):  # without the scenario
        sensitivity.problem(["strategies.bcc.budget", "costs.toilet"])


SA_FILE = """
[sensitivity]
name = "context"
scenario = "default"
method = "morris"
samples = 2
seed = 3
months = 12
households = 300
bundles = ["baseline", "bcc"]
parameters = ["strategies.bcc.budget", "strategies.bcc.cadres",
              "ladder.open_defecation", "population.poverty_rate"]

[sensitivity.bounds]
"strategies.bcc.budget" = [0.0, 1e9]
"strategies.bcc.cadres" = [1, 40]
"ladder.open_defecation" = [0.0, 0.3]
"""


def test_morris_over_strategy_and_context_parameters(tmp_path):
    path = tmp_path / "sa.toml"
    path.write_text(SA_FILE)
    out = tmp_path / "sa"
    assert main(["sensitivity", str(path), "--out", str(out), "--backend", "serial"]) == 0
    sample = pd.read_csv(out / "sample.csv")
    assert sample["strategies.bcc.cadres"].dtype.kind == "i"
    indices = pd.read_csv(out / "indices.csv")
    level = indices[(indices["output"] == "basic_or_better_end:baseline")
                    & (indices["index"] == "mu_star")].set_index("parameter")["value"]
    # the baseline has no BCC: its strategy's parameters cannot move it (same seeds)
    assert level["strategies.bcc.budget"] == 0 and level["strategies.bcc.cadres"] == 0
    assert level["ladder.open_defecation"] > 0


EXPERIMENT = """
[experiment]
name = "context"
seed = 1
scenarios = ["default"]
bundles = ["baseline", "bcc"]
months = 3
households = 100

[grid]
"strategies.bcc.budget" = [1e8, 2e8]
"ladder.open_defecation" = [0.05, 0.3]

[lhs]
samples = 2
[lhs.ranges]
"costs.toilet" = [1.5e6, 3.5e6]
"strategies.bcc.cadres" = [5, 30]
"""


def test_experiment_designs_take_strategy_and_context_parameters(tmp_path, capsys):
    path = tmp_path / "exp.toml"
    path.write_text(EXPERIMENT)
    experiment = load_experiment(path)
    assert len(experiment.runs) == 2 * 2 * 2 * 2
    spec = experiment.runs[0]
    configured = scenario_at(spec.config, spec.applied)
    assert configured.strategies["bcc"]["budget"] == 1e8
    assert sum(configured[k] for k in SHARES) == pytest.approx(1.0)
    cadres = {dict(spec.applied)["strategies.bcc.cadres"] for spec in experiment.runs}
    assert all(isinstance(c, int) and 5 <= c <= 30 for c in cadres) and len(cadres) == 2
    for bad, names in (('"strategies.bcx.budget"', ("grid.strategies.bcx.budget", "bcc")),
                       ('"strategies.bcc.budgt"', ("grid.strategies.bcc.budgt", "budget"))):
        path.write_text(EXPERIMENT.replace('"strategies.bcc.budget"', bad))
        assert main(["validate", str(path)]) == 2
        assert_one_line(capsys.readouterr().err, *names)
