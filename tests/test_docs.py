"""docs/model.md must not drift from the code it describes.

The parameter table is generated from the registry and must equal it exactly; the phase list of
section 3 must be STEP_ORDER; every household array and every output column must be described.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from sanisim.model import OUTPUT_COLUMNS, STEP_ORDER
from sanisim.parameters import markdown_table
from sanisim.population import Households

MODEL_DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"
REGENERATE = ("regenerate it with: .venv/bin/python tools/update_docs.py "
              "(writes the output of `python -m sanisim.parameters` between the markers)")


def _between(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    assert text.count(start) == 1 and text.count(end) == 1, (
        f"docs/model.md must hold exactly one {start!r} line and one {end!r} line")
    block = text.split(start, 1)[1].split(end, 1)[0]
    assert block.startswith("\n") and block.endswith("\n"), (
        f"{start!r} and {end!r} must stand on lines of their own")
    return block[1:-1]


def test_parameter_table_matches_registry():
    table = _between(MODEL_DOC.read_text(encoding="utf-8"), "parameters")
    expected = markdown_table()
    if table != expected:
        documented = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
        registry = {line.split("`")[1] for line in expected.splitlines()
                    if line.startswith("| `")}
        detail = []
        if registry - documented:
            detail.append(f"missing: {', '.join(sorted(registry - documented))}")
        if documented - registry:
            detail.append(f"no longer in the registry: {', '.join(sorted(documented - registry))}")
        if not detail:
            detail.append("defaults, units, ranges, meanings or sources changed")
        message = ("docs/model.md parameter table differs from sanisim.parameters ("
                   + "; ".join(detail) + "); " + REGENERATE)
        print(message)
        raise AssertionError(message)


def test_step_order_is_described_in_order():
    block = _between(MODEL_DOC.read_text(encoding="utf-8"), "steps")
    described = tuple(re.findall(r"^\d+\. `([a-z_]+)`", block, flags=re.MULTILINE))
    assert described == STEP_ORDER, (
        f"section 3 of docs/model.md lists the phases {described}, but sanisim.model.STEP_ORDER "
        f"is {STEP_ORDER}; describe each phase there (one numbered line per phase, in order) "
        "and its submodel in section 7")


def test_every_household_array_is_described():
    text = MODEL_DOC.read_text(encoding="utf-8")
    missing = [f.name for f in fields(Households) if f"| `{f.name}` |" not in text]
    assert not missing, (f"household arrays not described in section 2.1 of docs/model.md: "
                         f"{', '.join(missing)}")


def test_every_output_column_is_described():
    text = MODEL_DOC.read_text(encoding="utf-8")
    missing = [column for column in OUTPUT_COLUMNS if f"`{column}`" not in text]
    assert not missing, (f"output columns not described in section 7.11 of docs/model.md: "
                         f"{', '.join(missing)}")
