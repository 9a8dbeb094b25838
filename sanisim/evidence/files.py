"""Which evidence file a path is, checked and described in a few words (``sanisim validate``)."""

from __future__ import annotations

from pathlib import Path

from sanisim.evidence import calibration, joint, sensitivity, trial
from sanisim.inputs import peek_toml


def describe_evidence_file(path: str | Path) -> str | None:
    """Validate a joint, trial, calibration or sensitivity file and describe it in a few words.

    Returns None when ``path`` is none of these (no ``[joint]``, ``[trial]``, ``[calibration]``
    or ``[sensitivity]`` table), so the caller can try it as a scenario.
    """
    tables = peek_toml(path)
    if tables is None:
        return None
    if isinstance(tables.get("joint"), dict):
        return joint.describe_file(path)
    if isinstance(tables.get("trial"), dict):
        design = trial.load(path)
        return (f"trial {design.name!r}: {len(design.arms)} arms by {design.unit}, survey at "
                f"{trial.months_text(design)}, outcomes {', '.join(design.outcome_names)}, "
                f"scenario {design.scenario.name!r}")
    if isinstance(tables.get("calibration"), dict):
        spec = calibration.load(path)
        return (f"calibration {spec.name!r}: {len(spec.parameters)} parameters, "
                f"{len(spec.targets)} targets, trial {spec.trial.name!r}")
    if isinstance(tables.get("sensitivity"), dict):
        spec = sensitivity.load(path)
        return (f"sensitivity {spec.name!r}: {spec.method}, {len(spec.parameters)} parameters, "
                f"bundles {', '.join(spec.bundles)}")
    return None
