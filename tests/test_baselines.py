"""The stored-table comparison: exact on the recorder's kind of machine, else to 1e-10."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sanisim.provenance import numeric_platform, numpy_simd
from sanisim.runs.run import manifest
from sanisim.scenario import default_scenario
from tests.baselines import RTOL, assert_columns_match, recorded_alike

STORED = ("default_baseline", "mechanisms_off_baseline")


def _tables():
    expected = pd.DataFrame({"basic": [0.25, 0.5], "money": [3166196.7162175104, 1e6]})
    return expected, expected.copy()


def _csv(tmp_path, platform):
    csv = tmp_path / "t.csv"
    csv.write_text("")
    if platform is not None:
        csv.with_suffix(".machine.json").write_text(json.dumps(platform))
    return csv


def test_on_another_machine_last_bits_pass_and_a_household_more_fails(tmp_path):
    other = _csv(tmp_path, {"numpy": "0.0", "numpy_simd": ["ELSEWHERE"]})
    assert not recorded_alike(other)
    expected, got = _tables()
    got.loc[0, "money"] = 3166196.7162175076  # the last bits, as on an AVX2 machine
    assert_columns_match(got, expected, ["basic", "money"], other)
    got.loc[1, "basic"] = 0.5 + 1 / 1500  # one household of 1,500 more at basic
    with pytest.raises(AssertionError, match="basic"):
        assert_columns_match(got, expected, ["basic", "money"], other)
    got.loc[1, "basic"] = np.nan
    with pytest.raises(AssertionError):
        assert_columns_match(got, expected, ["basic"], other)
    assert RTOL * 1e7 < 0.01  # money: within a hundredth of a rupiah at ten million


def test_on_the_recorders_kind_of_machine_every_bit_counts(tmp_path):
    alike = _csv(tmp_path, numeric_platform())
    assert recorded_alike(alike)
    expected, got = _tables()
    assert_columns_match(got, expected, ["basic", "money"], alike)
    got.loc[0, "money"] = np.nextafter(got.loc[0, "money"], 0)
    with pytest.raises(AssertionError, match="money"):
        assert_columns_match(got, expected, ["money"], alike)
    bare = tmp_path / "bare"
    bare.mkdir()
    assert not recorded_alike(_csv(bare, None))  # no record: not alike


@pytest.mark.parametrize("name", STORED)
def test_stored_tables_say_where_they_were_recorded(name):
    from pathlib import Path

    record = json.loads((Path(__file__).parent / "data" / f"{name}.machine.json").read_text())
    assert set(record) == {"numpy", "numpy_simd"}
    assert isinstance(record["numpy_simd"], list)


def test_run_manifests_record_numpys_simd_extensions(capsys):
    """What the manifest records is what numpy itself reports as found (np.show_runtime)."""
    got = manifest(default_scenario(), 1, 12, 100, "baseline")
    assert got["numpy_simd"] == numpy_simd()
    assert got["numpy"] == np.__version__
    np.show_runtime()
    shown = capsys.readouterr().out
    found = shown[shown.index("'found'"):].split("]", 1)[0]
    assert got["numpy_simd"] and all(f"'{name}'" in found for name in got["numpy_simd"])
