"""Display names of strategies and bundles, declared in the scenario files ([names])."""

from __future__ import annotations

import pickle

import pytest
from conftest import assert_one_line

from sanisim import i18n
from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.scenario import NAME_LANGUAGES, SCENARIO_DIR, from_dict, load

SHIPPED = sorted(SCENARIO_DIR.rglob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIO_DIR)))
def test_every_shipped_bundle_and_strategy_has_an_english_and_indonesian_name(path):
    scenario = load(path)
    assert scenario.unnamed() == [], f"{path.name}: no [names] entry for {scenario.unnamed()}"
    for kind, declared in (("bundles", scenario.bundles), ("strategies", scenario.strategies)):
        for key in declared:
            for lang in NAME_LANGUAGES:
                name = scenario.display_name(kind, key, lang)
                assert name and name != key, (path.name, kind, key, lang)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIO_DIR)))
def test_one_name_per_arm_in_each_language(path):
    """Two bundles of one scenario never share a name (a reader could not tell them apart)."""
    scenario = load(path)
    for lang in NAME_LANGUAGES:
        names = [scenario.display_name("bundles", b, lang) for b in scenario.bundles]
        assert len(set(names)) == len(names), (path.name, lang, names)


def test_name_languages_are_the_report_languages():
    assert NAME_LANGUAGES == i18n.LANGUAGES


def test_a_missing_name_is_reported_by_unnamed(write_scenario):
    path = write_scenario('extends = "%s"\n[strategies.extra]\ntype = "bcc"\n'
                          '[bundles]\nextra = ["extra"]\n' % (SCENARIO_DIR / "default.toml"))
    assert load(path).unnamed() == ["bundles.extra", "strategies.extra"]


@pytest.mark.parametrize("names, key, says", [
    ('[names.bundles]\nbcc_plus_credt = {en = "A", id = "B"}\n',
     "names.bundles.bcc_plus_credt", "did you mean 'bcc_plus_credit'"),
    ('[names.bundles]\nbcc = "A"\n', "names.bundles.bcc", "id ="),
    ('[names.bundles]\nbcc = {en = "A", id = "B", fr = "C"}\n', "names.bundles.bcc", "id ="),
    ('[names.bundles]\nbcc = {en = "A", id = ""}\n', "names.bundles.bcc", "non-empty"),
    ('[names.arms]\nbcc = {en = "A", id = "B"}\n', "names.arms", "allowed: bundles"),
])
def test_a_bad_names_table_is_one_line_and_exit_2(write_scenario, capsys, names, key, says):
    path = write_scenario(f'extends = "{SCENARIO_DIR / "default.toml"}"\n' + names)
    with pytest.raises(InputError):
        load(path)
    assert main(["run", str(path), "--months", "1", "--households", "100"]) == 2
    assert_one_line(capsys.readouterr().err, str(path), key, says)


def test_names_travel_with_a_pickled_scenario_and_leave_its_hash_alone(write_scenario):
    scenario = load("blitar")
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy.display_name("bundles", "lltt", "id") == scenario.display_name(
        "bundles", "lltt", "id")
    renamed = write_scenario(f'extends = "{SCENARIO_DIR / "blitar.toml"}"\nname = "blitar"\n'
                             '[names.bundles]\nlltt = {en = "Other", id = "Lain"}\n')
    other = load(renamed)
    assert other.display_name("bundles", "lltt", "en") == "Other"
    assert other.config_hash == scenario.config_hash


PRESETS = sorted(SCENARIO_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_district_preset_describes_itself_in_indonesian(path):
    scenario = load(path)
    english = " ".join(scenario.description.split())
    assert scenario.describe("en") == english
    assert scenario.describe("id") != english, f"{path.name}: no [names.description] id"


def test_an_inherited_translation_of_another_description_is_not_used(write_scenario):
    path = write_scenario(f'extends = "{SCENARIO_DIR / "default.toml"}"\n'
                          'description = "My own district."\n')
    assert load(path).describe("id") == "My own district."


def test_names_round_trip_through_plain_data():
    scenario = load("blitar")
    again = from_dict(scenario.to_dict(), "<round trip>")
    assert again.names == scenario.names and again.describe("id") == scenario.describe("id")
