"""Which decision file a path is, checked and described in a few words (``sanisim validate``)."""

from __future__ import annotations

from pathlib import Path

from sanisim.decisions import optimise
from sanisim.decisions.decide import DecideFile
from sanisim.inputs import peek_toml


def describe_decision_file(path: str | Path) -> str | None:
    """Validate a decide or optimise file and describe it; None when ``path`` is neither (no
    ``[decide]`` or ``[optimise]`` table), so the caller can try other kinds."""
    tables = peek_toml(path)
    if tables is None:
        return None
    if isinstance(tables.get("decide"), dict):
        spec = DecideFile(path)
        setting = spec.setting
        return (f"decide {spec.name!r}: {len(spec.bundles)} bundles of scenario "
                f"{setting.scenario.name!r} x {max(setting.posterior_draws, 1)} draw(s) x "
                f"{setting.replicates} seed(s), {setting.months} months")
    if isinstance(tables.get("optimise"), dict):
        problem = optimise.load(path)
        return (f"optimise {problem.name!r}: {len(problem.levers)} strategies of scenario "
                f"{problem.setting.scenario.name!r}, objectives "
                f"{', '.join(problem.objectives)}, {problem.trials} mixes, budgets "
                f"{', '.join(problem.budgets)}")
    return None
