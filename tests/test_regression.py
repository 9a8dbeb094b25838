"""The default scenario's numbers, bit for bit, against the stored baseline.

A change of the code's organisation must not change a single number of a default run; the
baseline is rewritten only for a deliberate change of the model or its defaults, with
``python tools/update_default_baseline.py`` (see that file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from tests.baselines import assert_columns_match

ROOT = Path(__file__).resolve().parents[1]


def test_default_run_equals_the_stored_baseline():
    sys.path.insert(0, str(ROOT / "tools"))
    from update_default_baseline import OUT, tables

    expected = pd.read_csv(OUT)
    got = tables()
    assert list(got.columns) == list(expected.columns)
    assert list(got["bundle"]) == list(expected["bundle"])
    assert_columns_match(got, expected, expected.columns.drop("bundle"), OUT)
