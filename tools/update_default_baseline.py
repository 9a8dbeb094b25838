"""Write the monthly tables of the default scenario that the package must reproduce exactly.

``tests/data/default_baseline.csv`` holds, for every bundle of the default scenario (the
shipped behaviour, every mechanism on), every column of the monthly table of one run (seed
11, 1,500 households, 36 months). ``tests/test_regression.py`` compares today's package with
it bit for bit on a machine like the one that wrote it (``default_baseline.machine.json``:
numpy's version and SIMD extensions; elsewhere to 1e-10 of each value, ``tests/baselines.py``),
so a reorganisation of the code that changes any number fails. Re-run this
only after a deliberate change of the model or its defaults (a new posterior, a new
mechanism), and say so in the commit::

    python tools/update_default_baseline.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sanisim.model import SanitationModel  # noqa: E402
from sanisim.provenance import numeric_platform  # noqa: E402
from sanisim.scenario import load  # noqa: E402

OUT = ROOT / "tests" / "data" / "default_baseline.csv"
#: numpy and its SIMD extensions on the machine that wrote OUT
MACHINE = OUT.with_suffix(".machine.json")
SEED, HOUSEHOLDS, MONTHS = 11, 1500, 36


def tables() -> pd.DataFrame:
    """The monthly table of every default bundle, one after another (column ``bundle``)."""
    scenario = load("default")
    frames = []
    for bundle in scenario.bundles:
        model = SanitationModel(scenario, seed=SEED, households=HOUSEHOLDS, bundle=bundle,
                                household_agents=False)
        model.run(MONTHS)
        frame = model.monthly_table()
        frame.insert(0, "bundle", bundle)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    frame = tables()
    frame.to_csv(OUT, index=False, float_format="%.17g")
    # the machine it was recorded on: tests compare bit for bit on one alike (tests/baselines.py)
    MACHINE.write_text(json.dumps(numeric_platform(), indent=1) + "\n")
    print(f"wrote {OUT} ({len(frame)} rows, {frame.shape[1]} columns)")


if __name__ == "__main__":
    main()
