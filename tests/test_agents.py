"""Household view agents: created on first use ("lazy", the default), at construction, or never."""

import numpy as np
import pandas as pd
import pytest

from sanisim.agents import Household, Sanitarian
from sanisim.model import SanitationModel
from sanisim.scenario import default_scenario, load


def _made(model: SanitationModel) -> int:
    """Household agents registered with Mesa, read without triggering creation."""
    return len(model._agents_by_type.get(Household, ()))


def test_lazy_model_creates_no_household_agents_until_asked():
    model = SanitationModel(default_scenario(), seed=3, households=300)
    assert _made(model) == 0
    model.run(3)  # stepping and recording the monthly table do not need them
    model.monthly_table()
    assert Household not in model._agents_by_type


def test_asking_creates_exactly_n_view_agents_once():
    model = SanitationModel(default_scenario(), seed=3, households=300)
    agents = model.household_agents()
    assert len(agents) == 300 and _made(model) == 300
    assert sorted(agent.row for agent in agents) == list(range(300))
    for agent in list(agents)[::37]:
        assert agent.rung == model.households.rung[agent.row]
        assert agent.income == model.households.income[agent.row]
        assert agent.attitude == model.households.attitude[agent.row]
    agent = list(agents)[5]
    agent.rung = 4
    assert model.households.rung[agent.row] == 4
    # later accesses, through any of Mesa's ways, reuse the same agents
    assert model.household_agents() is agents
    assert set(model.agents_by_type[Household]) == set(agents)
    assert len(model.agents) == 300 + sum(len(s) for t, s in model._agents_by_type.items()
                                          if t is not Household)
    assert _made(model) == 300


@pytest.mark.parametrize("read", [lambda m: m.agents, lambda m: m.agents_by_type,
                                  lambda m: m.agent_types])
def test_mesa_agent_sets_trigger_creation(read):
    model = SanitationModel(default_scenario(), seed=3, households=200)
    read(model)
    assert _made(model) == 200
    assert Household in model.agent_types and Sanitarian in model.agent_types


def test_mesa_agent_data_collection_sees_the_households():
    import mesa

    model = SanitationModel(default_scenario(), seed=3, households=150)
    collector = mesa.DataCollector(agenttype_reporters={Household: {"rung": "rung"}})
    collector.collect(model)
    rungs = collector.get_agenttype_vars_dataframe(Household)["rung"].to_numpy()
    np.testing.assert_array_equal(np.sort(rungs), np.sort(model.households.rung))


def test_eager_and_never():
    eager = SanitationModel(default_scenario(), seed=3, households=250, household_agents=True)
    assert _made(eager) == 250
    # eager agents come first, as they always did: the rows keep unique ids 1..n
    assert sorted(a.unique_id for a in eager.household_agents()) == list(range(1, 251))
    never = SanitationModel(default_scenario(), seed=3, households=250, household_agents=False)
    assert len(never.agents) > 0 and _made(never) == 0
    assert Household not in never.agent_types
    with pytest.raises(ValueError, match="household_agents=False"):
        never.household_agents()
    with pytest.raises(ValueError, match="household_agents must be one of"):
        SanitationModel(default_scenario(), seed=3, households=250, household_agents="soon")


def test_lazy_agents_give_the_same_run_as_eager_and_none():
    scenario = load("default")  # with its bundles
    tables = {}
    for when in ("lazy", True, False):
        model = SanitationModel(scenario, seed=9, households=800, bundle="full_package",
                                household_agents=when)
        model.run(6)
        if when == "lazy":  # created mid-run: draws nothing from the model's streams
            assert len(model.household_agents()) == 800
        model.run(12)
        tables[when] = model.monthly_table()
    pd.testing.assert_frame_equal(tables["lazy"], tables[True], check_exact=True)
    pd.testing.assert_frame_equal(tables["lazy"], tables[False], check_exact=True)
