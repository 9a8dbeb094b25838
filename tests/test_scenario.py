"""Scenario files: validation with one-line errors, extends, the generated default, round trips."""

from __future__ import annotations

import math
import string
import tempfile
import tomllib
from pathlib import Path

import pytest
from conftest import assert_one_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanisim.errors import InputError
from sanisim.parameters import BY_KEY, PARAMETERS, SHARE_GROUPS
from sanisim.scenario import (
    SCENARIO_DIR,
    Scenario,
    default_scenario,
    default_toml,
    from_dict,
    load,
    to_toml,
)

# --------------------------------------------------------------------------- helpers


def load_error(path: Path) -> str:
    """Load a scenario file that must fail; return the one-line message."""
    with pytest.raises(InputError) as info:
        load(path)
    return str(info.value)


# --------------------------------------------------------------------------- valid files


def test_minimal_file_overrides_only_what_it_names(write_scenario):
    path = write_scenario('name = "small"\n[population]\nhouseholds = 1234\n'
                          '[behaviour]\nq_imitation = 0.2\n')
    scenario = load(path)
    defaults = default_scenario()
    assert scenario.name == "small"
    assert scenario["population.households"] == 1234
    assert scenario["behaviour.q_imitation"] == 0.2
    changed = {k for k in BY_KEY if scenario[k] != defaults[k]}
    assert changed == {"population.households", "behaviour.q_imitation"}
    assert scenario.path == str(path)


def test_int_given_for_float_parameter_becomes_float(write_scenario):
    scenario = load(write_scenario("[costs]\ntoilet = 3000000\n"))
    assert scenario["costs.toilet"] == 3_000_000.0
    assert isinstance(scenario["costs.toilet"], float)


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path):
    scenario = load(path)
    assert isinstance(scenario, Scenario)
    assert "baseline" in scenario.bundles


def test_shipped_default_equals_registry_defaults():
    shipped = load("default")
    defaults = default_scenario()
    assert dict(shipped.params) == dict(defaults.params)


def test_shipped_default_file_has_no_drift_from_the_registry():
    """scenarios/default.toml is what the generator writes from the parameter registry."""
    path = SCENARIO_DIR / "default.toml"
    text = path.read_text()
    assert default_toml(text) == text, (
        "scenarios/default.toml differs from the registry; regenerate it with "
        "`python -m sanisim.scenario`")


def test_every_registry_default_is_within_its_own_bounds():
    for param in PARAMETERS:
        value = param.default
        if param.choices:
            assert value in param.choices, param.key
        if param.low is not None:
            assert value >= param.low, param.key
        if param.high is not None:
            assert value <= param.high, param.key
        assert param.unit is not None and param.meaning and param.source, param.key


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("text", "key", "hint"), [
    ("[population]\nhousholds = 100\n", "population.housholds", "population.households"),
    ("[behaviour]\np_inovation = 0.1\n", "behaviour.p_inovation", "behaviour.p_innovation"),
    ("[population.start_shares]\nbasik = 0.5\n", "population.start_shares.basik",
     "population.start_shares.basic"),
    ("[popluation]\nhouseholds = 100\n", "popluation", "'population'"),
    ("[behavior]\nq_imitation = 0.1\n", "behavior", "'behaviour'"),
], ids=["key", "key2", "nested-key", "section", "section-us-spelling"])
def test_unknown_key_names_file_key_and_nearest_name(write_scenario, text, key, hint):
    path = write_scenario(text)
    message = load_error(path)
    assert_one_line(message, str(path), key, "did you mean", hint)


def test_unknown_section_without_near_name_lists_the_sections(write_scenario):
    path = write_scenario("[fruit]\napples = 3\n")
    message = load_error(path)
    assert_one_line(message, str(path), "fruit", "population", "cooperatives")


def test_unknown_key_without_near_name_lists_the_keys_of_its_section(write_scenario):
    path = write_scenario("[cooperatives]\nzzzzzzzzzz = 3\n")
    message = load_error(path)
    assert_one_line(message, str(path), "cooperatives.zzzzzzzzzz", "miss_rate", "fund")


def test_did_you_mean_never_suggests_the_keys_own_section(write_scenario):
    path = write_scenario("[population]\nqqqqqq = 1\n")
    message = load_error(path)
    assert "did you mean 'population'" not in message


def test_scalar_where_a_section_belongs(write_scenario):
    path = write_scenario("population = 5\n")
    assert_one_line(load_error(path), str(path), "population", "table")


@pytest.mark.parametrize(("text", "key"), [
    ('[population]\nhouseholds = "5000"\n', "population.households"),  # string for int
    ('[behaviour]\np_innovation = "0.01"\n', "behaviour.p_innovation"),  # string for float
    ("[population]\nhouseholds = 2500.5\n", "population.households"),  # float for int
    ("[behaviour]\nmoney_constraint = 1\n", "behaviour.money_constraint"),  # int for bool
    ('[behaviour]\nmoney_constraint = "yes"\n', "behaviour.money_constraint"),
    ("[population]\nhouseholds = true\n", "population.households"),  # bool for int
    ("[costs]\ntoilet = false\n", "costs.toilet"),  # bool for float
    ("[network]\nkind = 3\n", "network.kind"),  # int for a choice
    ("[costs]\ntoilet = [1, 2]\n", "costs.toilet"),  # array for number
    ("[costs]\ntoilet = 2024-01-01\n", "costs.toilet"),  # date for number
    ('name = 5\n', "name"),  # non-string name
    ("extends = 5\n", "extends"),
], ids=["str-int", "str-float", "float-int", "int-bool", "str-bool", "bool-int", "bool-float",
        "int-choice", "array", "date", "name", "extends"])
def test_wrong_type(write_scenario, text, key):
    path = write_scenario(text)
    assert_one_line(load_error(path), str(path), key)


def test_wrong_type_message_says_what_is_allowed(write_scenario):
    path = write_scenario('[population]\nhouseholds = "5000"\n')
    assert_one_line(load_error(path), "an integer in [10, 5e+06]", "'5000'")


@pytest.mark.parametrize(("text", "key"), [
    ("[population]\nhouseholds = 5\n", "population.households"),
    ("[behaviour]\np_innovation = 1.5\n", "behaviour.p_innovation"),
    ("[behaviour]\nq_imitation = -0.1\n", "behaviour.q_imitation"),
    ("[run]\nmonths = 0\n", "run.months"),
    ("[cooperatives]\nmonthly_interest = 0.5\n", "cooperatives.monthly_interest"),
    ("[population]\nhouseholds = 100000000000000000000000000000\n", "population.households"),
    ("[costs]\ntoilet = 1" + "0" * 400 + "\n", "costs.toilet"),  # too large for a float
], ids=["low-int", "high-float", "negative", "zero-months", "interest", "huge-int",
        "overflow-float"])
def test_out_of_range(write_scenario, text, key):
    path = write_scenario(text)
    assert_one_line(load_error(path), str(path), key)


@pytest.mark.parametrize("literal", ["nan", "inf", "-inf", "+nan"])
def test_non_finite_numbers_are_rejected(write_scenario, literal):
    path = write_scenario(f"[costs]\ntoilet = {literal}\n")
    assert_one_line(load_error(path), str(path), "costs.toilet")


def test_non_finite_numbers_rejected_from_python_data():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(InputError, match="behaviour.p_innovation"):
            from_dict({"behaviour": {"p_innovation": value}}, source="data")
        with pytest.raises(InputError, match="population.households"):
            from_dict({"population": {"households": value}}, source="data")


def test_shares_not_summing_to_one(write_scenario):
    path = write_scenario("[population.start_shares]\nbasic = 0.9\n")
    message = load_error(path)
    assert_one_line(message, str(path), "population.start_shares", "sum to 1")


def test_shares_summing_to_one_after_change_are_accepted(write_scenario):
    group = SHARE_GROUPS["population.start_shares"]
    assert len(group) == 5
    path = write_scenario("[population.start_shares]\nopen_defecation = 0.2\nunimproved = 0.2\n"
                          "limited = 0.2\nbasic = 0.2\nsafely_managed = 0.2\n")
    scenario = load(path)
    assert [scenario[k] for k in group] == [0.2] * 5


def test_invalid_choice_lists_the_choices(write_scenario):
    path = write_scenario('[network]\nkind = "small_world"\n')
    message = load_error(path)
    assert_one_line(message, str(path), "network.kind", "'small_world'", "'watts_strogatz'",
                    "'erdos_renyi'")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    message = load_error(path)
    assert_one_line(message, "nowhere.toml", "default")  # names the shipped scenarios too


def test_missing_shipped_name():
    message = load_error(Path("no_such_district"))
    assert_one_line(message, "no_such_district", "default")


def test_invalid_toml(write_scenario):
    path = write_scenario("[population\nhouseholds = 10\n")
    assert_one_line(load_error(path), str(path), "TOML")


def test_invalid_toml_duplicate_key(write_scenario):
    path = write_scenario("[population]\nhouseholds = 10\nhouseholds = 20\n")
    assert_one_line(load_error(path), str(path), "TOML")


def test_folder_instead_of_file_is_an_input_error(tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        load(folder / ".." / "folder.toml")
    assert_one_line(str(info.value), "folder.toml")


@pytest.mark.parametrize(("text", "key"), [
    ("strategies = 5\n", "strategies"),
    ("[strategies.demo]\ntype = [1, 2]\n", "strategies.demo.type"),  # unhashable type
    ("[strategies.demo]\ntype = {a = 1}\n", "strategies.demo.type"),
    ('[strategies.demo]\ntype = "no_such_programme"\n', "strategies.demo.type"),
    ("[strategies]\ndemo = 3\n", "strategies.demo"),
    ("bundles = 5\n", "bundles"),
    ('[bundles]\nmix = "demo"\n', "bundles.mix"),
    ('[bundles]\nmix = ["demo"]\n', "bundles.mix"),
], ids=["strategies-scalar", "type-list", "type-table", "type-unknown", "strategy-scalar",
        "bundles-scalar", "bundle-string", "bundle-unknown-member"])
def test_malformed_strategy_tables(write_scenario, text, key):
    path = write_scenario(text)
    assert_one_line(load_error(path), str(path), key)


# --------------------------------------------------------------------------- extends


def test_extends_chain_child_overrides_parent(write_scenario):
    write_scenario('name = "grand"\n[population]\nhouseholds = 3000\nrt_size = 30\n'
                   '[behaviour]\nq_imitation = 0.1\n', "grand.toml")
    write_scenario('extends = "grand.toml"\nname = "parent"\n[population]\nhouseholds = 4000\n',
                   "parent.toml")
    child = write_scenario('extends = "parent.toml"\nname = "child"\n'
                           '[behaviour]\nq_imitation = 0.2\n', "child.toml")
    scenario = load(child)
    assert scenario.name == "child"
    assert scenario["population.households"] == 4000  # parent over grandparent
    assert scenario["population.rt_size"] == 30  # inherited from the grandparent
    assert scenario["behaviour.q_imitation"] == 0.2  # child over both
    assert scenario["behaviour.p_innovation"] == BY_KEY["behaviour.p_innovation"].default


def test_extends_error_in_parent_names_the_parent(write_scenario):
    parent = write_scenario("[population]\nhousholds = 10\n", "parent.toml")
    child = write_scenario('extends = "parent.toml"\n', "child.toml")
    message = load_error(child)
    assert_one_line(message, "population.housholds")
    # the unknown key is reported; the file named is where loading started or the parent
    assert str(child) in message or str(parent) in message


def test_extends_missing_file(write_scenario):
    child = write_scenario('extends = "nowhere.toml"\n', "child.toml")
    assert_one_line(load_error(child), str(child), "extends", "nowhere.toml")


def test_extends_circular(write_scenario):
    write_scenario('extends = "b.toml"\n', "a.toml")
    b = write_scenario('extends = "a.toml"\n', "b.toml")
    message = load_error(b)
    assert_one_line(message, "extends", "circular")


def test_extends_itself(write_scenario):
    a = write_scenario('extends = "a.toml"\n', "a.toml")
    assert_one_line(load_error(a), str(a), "extends", "circular")


# --------------------------------------------------------------------------- programmatic


def test_with_params_validates():
    base = default_scenario()
    with pytest.raises(InputError, match="population.households"):
        base.with_params({"population.households": 5})
    with pytest.raises(InputError, match="did you mean 'behaviour.p_innovation'"):
        base.with_params({"behaviour.p_inovation": 0.1})
    with pytest.raises(InputError, match="population.start_shares"):
        base.with_params({"population.start_shares.basic": 1.0})
    with pytest.raises(InputError, match="network.kind"):
        base.with_params({"network.kind": "grid"})
    changed = base.with_params({"population.households": 500, "costs.toilet": 2_000_000})
    assert changed["population.households"] == 500
    assert changed["costs.toilet"] == 2_000_000.0
    assert base["population.households"] == BY_KEY["population.households"].default


def test_scenario_is_immutable():
    scenario = default_scenario()
    with pytest.raises(TypeError):
        scenario.params["population.households"] = 5  # type: ignore[index]


def test_to_dict_from_dict_round_trip_keeps_hash():
    scenario = default_scenario().with_params({"population.households": 777,
                                               "network.kind": "erdos_renyi"})
    again = from_dict(scenario.to_dict(), source="round-trip")
    assert again.config_hash == scenario.config_hash
    assert dict(again.params) == dict(scenario.params)


def test_toml_writer_round_trip_keeps_hash(tmp_path):
    scenario = default_scenario().with_params({"costs.toilet": 1_234_567.5,
                                               "sanitarians.refer_to_credit": False,
                                               "network.edgelist": 'odd "name".txt'})
    path = tmp_path / "written.toml"
    path.write_text(to_toml(scenario.to_dict()))
    again = load(path)
    assert again.config_hash == scenario.config_hash
    assert tomllib.loads(path.read_text())["costs"]["toilet"] == 1_234_567.5


def test_scenario_pickles_to_an_equal_scenario_that_runs_the_same_numbers():
    import pickle

    from sanisim.model import SanitationModel

    scenario = load("default").with_params({"population.households": 400})
    again = pickle.loads(pickle.dumps(scenario))
    assert again == scenario and again.config_hash == scenario.config_hash
    assert again.path == scenario.path and again.bundles == scenario.bundles
    with pytest.raises(TypeError):  # still frozen
        again.params["run.months"] = 3
    with pytest.raises(TypeError):
        again.strategies["bcc"]["start"] = 3
    tables = []
    for config in (scenario, again):
        model = SanitationModel(config, seed=11, bundle="full_package")
        model.run(6)
        tables.append(model.monthly_table())
    assert tables[0].equals(tables[1])


def test_toml_writer_quotes_a_strategy_name_with_a_space(tmp_path):
    scenario = from_dict({"name": "spaced", "strategies": {"bcc v2": {"type": "bcc",
                                                                       "start": 3}},
                          "bundles": {"v2": ["bcc v2"]}}, source="spaced")
    text = to_toml(scenario.to_dict(), comments={"strategies.bcc v2.start": "month 3"})
    data = tomllib.loads(text)
    assert data["strategies"]["bcc v2"]["start"] == 3
    assert data["bundles"]["v2"] == ["bcc v2"]
    path = tmp_path / "spaced.toml"
    path.write_text(text)
    assert load(path).config_hash == scenario.config_hash


def test_config_hash_tracks_parameters_not_description():
    base = default_scenario()
    assert base.with_params({"behaviour.q_imitation": 0.031}).config_hash != base.config_hash
    described = from_dict({**base.to_dict(), "description": "another text"}, source="x")
    assert described.config_hash == base.config_hash
    assert hash(described) == hash(base)


def test_shipped_and_registry_default_hash_equal_up_to_name_and_strategies():
    shipped = load("default")
    plain = from_dict({"name": shipped.name, "strategies": {
        k: {kk: vv for kk, vv in v.items()} for k, v in shipped.strategies.items()},
        "bundles": {k: list(v) for k, v in shipped.bundles.items() if k != "baseline"}},
        source="x")
    assert plain.config_hash == shipped.config_hash


# --------------------------------------------------------------------------- property tests

_VALID_KEYS = sorted(BY_KEY)
_SECTIONS = sorted({p.section for p in PARAMETERS} | {k.split(".")[0] for k in BY_KEY})
_names = st.one_of(
    st.sampled_from(_VALID_KEYS).map(lambda k: k.rsplit(".", 1)[-1]),
    st.sampled_from(_SECTIONS),
    st.sampled_from(["name", "description", "extends", "strategies", "bundles", "type",
                     "start", "end", "budget", "funder", "baseline"]),
    st.text(string.ascii_letters + "_.", min_size=1, max_size=12),
)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["community", "complete", "inf", "nan", "random", "baseline"]),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(_names, children, max_size=4)),
    max_leaves=12,
)
_scenario_dicts = st.dictionaries(_names, _values, max_size=6)


def _near_valid_dicts():
    """Dicts of real sections and keys with arbitrary values (hit the type/range checks)."""
    def nest(items):
        tree: dict = {}
        for key, value in items:
            node = tree
            *parents, last = key.split(".")
            for part in parents:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
            else:
                node[last] = value
        return tree
    return st.lists(st.tuples(st.sampled_from(_VALID_KEYS), _scalars), max_size=5).map(nest)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_scenario_dicts, _near_valid_dicts()))
def test_random_scenario_data_gives_scenario_or_clean_input_error(raw):
    try:
        scenario = from_dict(raw, source="random.toml")
    except InputError as err:
        assert_one_line(str(err), "random.toml")
    else:
        assert isinstance(scenario, Scenario)
        for key, value in scenario.params.items():  # whatever passed obeys its record
            param = BY_KEY[key]
            if param.low is not None:
                assert value >= param.low
            if param.high is not None:
                assert value <= param.high


_toml_lines = st.lists(st.one_of(
    st.sampled_from(["[population]", "[behaviour]", "[network]", "[popluation]",
                     "[population.start_shares]", "[strategies.x]", "[bundles]", "[[x]]",
                     "[costs", 'extends = "self.toml"', 'extends = "missing.toml"']),
    st.builds(lambda k, v: f"{k} = {v}",
              st.sampled_from([k.rsplit(".", 1)[-1] for k in _VALID_KEYS]
                              + ["type", "name", "x", "a.b", "households"]),
              st.sampled_from(["1", "0", "-3", "1.5", "1e400", "nan", "inf", '"text"', "true",
                               "[1, 2]", "{a = 1}", "1979-05-27", "99999999999999999999",
                               '"community"', "0.25", "", "'"])),
    st.text(max_size=20),
), max_size=10)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_toml_lines)
def test_random_toml_text_gives_scenario_or_clean_input_error(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "self.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        try:
            scenario = load(path)
        except InputError as err:
            assert_one_line(str(err), "self.toml")
        else:
            assert isinstance(scenario, Scenario)
