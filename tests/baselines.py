"""Today's monthly tables against the stored ones: bit for bit on a machine like the recorder.

``tests/data/default_baseline.csv`` and ``mechanisms_off_baseline.csv`` are written by the
tools of the same names in ``tools/``, each with a ``.machine.json`` beside it: numpy's
version and the SIMD extensions it dispatched to on the machine that wrote it
(:func:`sanisim.provenance.numeric_platform`). Where today's machine is alike, every column
must match bit for bit: a reorganisation of the code that moves a single bit fails. Elsewhere
money columns may differ in their last bits (numpy's float64 ``exp`` on CPUs with and
without AVX-512; "Across machines" in ``docs/experiments.md``), so each value must match to
:data:`RTOL` of itself: every count still exactly (a household more or fewer is at least
1/1,500 of a share), and money to far below a rupiah.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sanisim.provenance import numeric_platform

#: Relative tolerance on another machine than the recorder's (differences seen: 1e-15).
RTOL = 1e-10


def recorded_alike(csv: Path) -> bool:
    """Whether this machine's numpy and SIMD extensions are those that wrote ``csv``."""
    machine = Path(csv).with_suffix(".machine.json")
    return machine.is_file() and json.loads(machine.read_text()) == numeric_platform()


def assert_columns_match(got: pd.DataFrame, expected: pd.DataFrame, columns, csv: Path) -> None:
    """Each of ``columns`` of ``got`` equals ``expected``'s (read from ``csv``): bit for bit
    on a machine like the recorder, else to :data:`RTOL` (NaNs where NaNs)."""
    exact = recorded_alike(csv)
    for column in columns:
        now, then = got[column].to_numpy(float), expected[column].to_numpy(float)
        if exact:
            np.testing.assert_array_equal(now, then, err_msg=column)
        else:
            np.testing.assert_allclose(now, then, rtol=RTOL, atol=0, err_msg=(
                f"{column} (recorded on another machine: compared to {RTOL:g} of each value)"))
