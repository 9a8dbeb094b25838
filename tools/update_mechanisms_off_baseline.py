"""Write the monthly tables that the model must reproduce with every behaviour mechanism off.

The file ``tests/data/mechanisms_off_baseline.csv`` holds, for each bundle of the
pre-mechanism default scenario (``tests/data/pre_mechanisms.toml``), the monthly table of one
run (seed 11, 1,500 households, 36 months) of the model as it was before the mechanisms of
``sanisim.mechanisms`` existed. With every mechanism switched
off (``mechanisms.*`` false), today's model must give the same numbers bit for bit
(``tests/test_mechanisms.py``; on a machine unlike the one that wrote it, named in
``mechanisms_off_baseline.machine.json``, to 1e-10 of each value: ``tests/baselines.py``).
Re-run this only when a deliberate change alters the model
without the mechanisms::

    python tools/update_mechanisms_off_baseline.py
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

OUT = ROOT / "tests" / "data" / "mechanisms_off_baseline.csv"
#: numpy and its SIMD extensions on the machine that wrote OUT
MACHINE = OUT.with_suffix(".machine.json")
#: The default scenario as it was before the mechanisms (parameter values and strategies).
SCENARIO = ROOT / "tests" / "data" / "pre_mechanisms.toml"
SEED, HOUSEHOLDS, MONTHS = 11, 1500, 36


def tables(scenario) -> pd.DataFrame:
    frames = []
    for bundle in scenario.bundles:
        model = SanitationModel(scenario, seed=SEED, households=HOUSEHOLDS, bundle=bundle,
                                household_agents=False)
        model.run(MONTHS)
        frame = model.monthly_table()[list(BASE_COLUMNS)]
        frame.insert(0, "bundle", bundle)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


#: Columns compared (the model's columns before the mechanisms; strategies add their own).
BASE_COLUMNS = (
    "month", "open_defecation", "unimproved", "limited", "basic", "safely_managed",
    "basic_or_better", "basic_or_better_q1", "basic_or_better_q5", "odf_communities",
    "loans_issued", "loans_outstanding", "fund_balance", "sanitarian_visits",
    "spending_households", "spending_government", "spending_cooperatives", "spending_donors",
)


def main() -> None:
    from sanisim.mechanisms import all_off  # available once the mechanisms exist

    frame = tables(all_off(load(SCENARIO)))
    frame.to_csv(OUT, index=False, float_format="%.17g")
    # the machine it was recorded on: tests compare bit for bit on one alike (tests/baselines.py)
    MACHINE.write_text(json.dumps(numeric_platform(), indent=1) + "\n")
    print(f"wrote {OUT} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
