"""The solid-waste ladder (mechanisms.solid_waste) and its programmes.

Paired seeds: each programme moves its rung by more than 3 SE; the switch off restores the
model before it; visits and campaigns raise the waste ladder only when they address it;
invariants hold every month; Blitar's report shows the waste gap in both languages.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanisim.errors import InputError
from sanisim.model import SanitationModel
from sanisim.scenario import load
from sanisim.waste import WASTE_COLUMNS, WasteRung
from tests.baselines import assert_columns_match
from tests.conftest import cli_failure, figures_not_drawn

SEEDS = (1, 2, 3, 4, 5)
HOUSEHOLDS = 1200
MONTHS = 24
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _scenario(strategies: str = "", bundles: str = "", waste: bool = True):
    """A small scenario over the shipped default with the switch and the given strategies."""
    text = f"""extends = "{(SCENARIOS / 'default.toml').as_posix()}"
name = "waste_test"
[mechanisms]
solid_waste = {"true" if waste else "false"}
{strategies}
[bundles]
{bundles}
"""
    folder = Path(tempfile.mkdtemp(prefix="sanisim-waste-"))
    path = folder / "waste_test.toml"
    path.write_text(text, encoding="utf-8")
    return load(str(path))


def _end(scenario, bundle: str, seed: int, column: str, months: int = MONTHS) -> float:
    model = SanitationModel(scenario, seed=seed, households=HOUSEHOLDS, bundle=bundle)
    model.run(months)
    return float(model.monthly_table()[column].iloc[-1])


def _paired(scenario, arm: str, column: str, months: int = MONTHS) -> tuple[float, float]:
    diffs = np.array([_end(scenario, arm, s, column, months)
                      - _end(scenario, "baseline", s, column, months) for s in SEEDS])
    return float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(diffs.size))


PROGRAMMES = """
[strategies.collect]
type = "waste_collection"
coverage = 0.5
[strategies.bank]
type = "waste_bank"
banks = 4
capacity = 40
[strategies.centre]
type = "recycling_centre"
centres = 1
capacity = 150
"""


@pytest.mark.parametrize(("arm", "column"), [("collect", "waste_untreated"),
                                             ("bank", "waste_reduced"),
                                             ("centre", "waste_reduced")])
def test_each_programme_moves_its_rung_by_more_than_3_se(arm, column):
    scenario = _scenario(PROGRAMMES, f'{arm} = ["{arm}"]')
    mean, se = _paired(scenario, arm, column)
    effect = -mean if column == "waste_untreated" else mean
    assert effect > 3 * se and effect > 0, (arm, mean, se)


BASELINE_CSV = Path(__file__).resolve().parent / "data" / "default_baseline.csv"


@pytest.mark.parametrize("bundle", ["baseline", "bcc"])
def test_switch_off_restores_the_model_before_it_and_on_leaves_sanitation_as_it_was(bundle):
    """Against the stored regression baseline (the model before the ladder; seed 11, 1,500
    households, 36 months): off, the monthly table is the same bit for bit; on, every column
    of it is too, with the three waste columns added."""
    expected = pd.read_csv(BASELINE_CSV)
    expected = expected[expected["bundle"] == bundle].drop(columns="bundle")
    expected = expected.dropna(axis=1, how="all")  # other bundles' strategy columns
    default = load("default")
    for on in (False, True):
        model = SanitationModel(default.with_params({"mechanisms.solid_waste": on}), seed=11,
                                households=1500, bundle=bundle, household_agents=False)
        model.run(36)
        table = model.monthly_table()
        assert (model.waste is not None) == on
        assert set(WASTE_COLUMNS) <= set(table.columns) if on else not (
            set(WASTE_COLUMNS) & set(table.columns))
        assert len(table.columns) == len(expected.columns) + (len(WASTE_COLUMNS) if on else 0)
        assert_columns_match(table, expected, expected.columns, BASELINE_CSV)


VISITS = """
[strategies.visits]
type = "bcc"
cadres = 30
visits_per_cadre = 30
addresses = {addresses}
[strategies.campaign]
type = "demand_creation"
sessions_per_month = 10
addresses = {addresses}
"""


@pytest.mark.parametrize("addresses", ['["sanitation"]', '["sanitation", "waste"]'])
def test_shared_visits_raise_the_waste_ladder_only_when_they_address_it(addresses):
    scenario = _scenario(VISITS.format(addresses=addresses), 'both = ["visits", "campaign"]')
    waste_mean, waste_se = _paired(scenario, "both", "waste_untreated")
    sanitation_mean, sanitation_se = _paired(scenario, "both", "basic_or_better")
    assert sanitation_mean > 3 * sanitation_se  # sanitation rises either way
    if "waste" in addresses:
        assert -waste_mean > 3 * waste_se, (waste_mean, waste_se)
    else:
        assert waste_mean == 0.0  # not a draw differs on the waste ladder


def test_invariants_every_month():
    scenario = _scenario(PROGRAMMES.replace("coverage = 0.5", "coverage = 1.0\nfee = 60000.0"),
                         'all = ["collect", "bank", "centre"]')
    model = SanitationModel(scenario, seed=3, households=HOUSEHOLDS, bundle="all")
    routes = None
    for _ in range(MONTHS):
        model.step()
        waste = model.waste
        routes = waste.routes
        row = model.current
        assert abs(sum(row[c] for c in WASTE_COLUMNS) - 1.0) < 1e-9
        assert (model.households.savings >= -1e-6).all()
        for route in routes.values():
            assert (route.counts() <= route.capacity).all()
            members = route.members
            assert (waste.rung[members] >= route.rung).all()
        assert set(np.unique(waste.rung)) <= {int(r) for r in WasteRung}
    table = model.monthly_table()
    assert (table["collect_left_unable_to_pay"] > 0).any()  # the fee binds somewhere
    assert (table["bank_members"] <= table["bank_capacity"]).all()


def test_waste_strategy_without_the_switch_is_a_one_line_input_error(tmp_path, capsys):
    """Refused when the scenario is read (so `sanisim validate` says it), and by the model
    when the switch is turned off afterwards (overrides)."""
    with pytest.raises(InputError, match="mechanisms.solid_waste = true"):
        _scenario(PROGRAMMES, 'bank = ["bank"]', waste=False)
    path = tmp_path / "no_ladder.toml"
    path.write_text(f'extends = "{(SCENARIOS / "blitar.toml").as_posix()}"\n'
                    'name = "no_ladder"\n[mechanisms]\nsolid_waste = false\n', encoding="utf-8")
    cli_failure(capsys, ["validate", path], "no_ladder.toml", "mechanisms.solid_waste")
    scenario = _scenario(PROGRAMMES, 'bank = ["bank"]').with_params(
        {"mechanisms.solid_waste": False})
    with pytest.raises(InputError, match="mechanisms.solid_waste"):
        SanitationModel(scenario, seed=1, households=200, bundle="bank")


@pytest.mark.parametrize("value", ['["waste"]', '["sanitation", "water"]', '"sanitation"',
                                   '["sanitation", "sanitation"]'])
def test_addresses_must_name_known_ladders_with_sanitation(value):
    text = VISITS.format(addresses=value)
    with pytest.raises(InputError, match="addresses"):
        _scenario(text, 'both = ["visits", "campaign"]')


def test_blitar_report_shows_both_sectors_gaps_in_both_languages(tmp_path):
    """The whole report in English (page and CSV); the Indonesian page of the same part
    rendered by the report's template without redrawing the figures."""
    from sanisim import analysis
    from sanisim.report import waste_gap, write_report
    from sanisim.report.page import render_html
    from sanisim.report.sections import Section
    from sanisim.runs.replicates import run_comparison

    results = run_comparison("blitar", ("baseline", "policy_package"), replicates=2,
                             months=24, households=600, seed=3)
    with figures_not_drawn():  # the gaps are a table; the figures are the other tests'
        page = write_report(results, tmp_path / "en", lang="en", network=False)
    english = page.read_text(encoding="utf-8")
    gaps = pd.read_csv(tmp_path / "en" / "tables" / "waste_gaps.csv")
    assert set(gaps["sector"]) == {"wastewater", "waste"}
    assert set(gaps["bundle"]) == {"baseline", "policy_package"}
    assert (gaps["gap_end"] >= 0).all()

    monthly = results.monthly.merge(analysis.finished_runs(results), on="run_key")
    section = Section(anchor="district-blitar", title="Blitar",
                      gaps=waste_gap.gap_view(monthly, load("blitar"), "id", str))
    indonesian = render_html(results, [section], "id")
    for html, words in ((english, ("Solid waste", "Wastewater", "waste reduced",
                                   "City policy package, both sectors")),
                        (indonesian, ("Persampahan", "Air limbah", "sampah terkurangi"))):
        assert "100-0-100" in html and "class=gaps" in html
        for word in words:
            assert word in html, word


def test_routine_sanitarians_can_carry_the_waste_pillar():
    """With ``sanitarians.address_waste`` the routine sanitarians also visit households with
    untreated waste and raise their waste factors: untreated waste falls by more than 3 SE
    (paired seeds); without the waste ladder the key changes nothing, draw for draw."""
    base = _scenario()
    both = base.with_params({"sanitarians.address_waste": True})
    diff = np.array([_end(base, "baseline", s, "waste_untreated")
                     - _end(both, "baseline", s, "waste_untreated") for s in SEEDS])
    assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(diff.size), diff
    default = load("default")
    plain = SanitationModel(default, seed=1, households=HOUSEHOLDS, household_agents=False)
    plain.run(12)
    keyed = SanitationModel(default.with_params({"sanitarians.address_waste": True}), seed=1,
                            households=HOUSEHOLDS, household_agents=False)
    keyed.run(12)
    pd.testing.assert_frame_equal(plain.monthly_table(), keyed.monthly_table())
