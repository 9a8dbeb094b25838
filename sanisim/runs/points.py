"""Parameter points: a scenario with some parameters changed, registry or strategy ones.

A *point* maps parameter keys to values: a registry key (``behaviour.p_innovation``, see
``python -m sanisim.parameters``) or ``strategies.NAME.KEY`` for a parameter of the scenario's
strategy NAME. Experiments (grid, Latin hypercube and posterior draws), virtual trials,
calibration and sensitivity analysis all set points through :func:`scenario_at`, so every run
sets parameters the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sanisim.errors import InputError, did_you_mean
from sanisim.parameters import BY_KEY, Param
from sanisim.scenario import Scenario, _set_nested, from_dict
from sanisim.strategies.base import COMMON_PARAMS, STRATEGY_TYPES


def record_of(scenario: Scenario, key: str, source: str = "<parameters>") -> Param:
    """The record (default, bounds, unit, source) of a scenario or strategy parameter.

    ``key`` is a registry key (``behaviour.p_innovation``) or ``strategies.NAME.KEY`` for a
    parameter of the scenario's strategy NAME (its type's record, e.g. ``demand_creation``'s
    ``session_norm_effect``).
    """
    if key in BY_KEY:
        return BY_KEY[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "strategies":
        name, sub = parts[1], parts[2]
        if name not in scenario.strategies:
            hint = did_you_mean(name, scenario.strategies)
            raise InputError(source, key, f"scenario {scenario.name!r} has no strategy "
                             f"{name!r}{hint} (strategies: {', '.join(scenario.strategies)})")
        kind = scenario.strategies[name]["type"]
        records = {p.key: p for p in (*COMMON_PARAMS, *STRATEGY_TYPES[kind].PARAMS)}
        if sub not in records:
            hint = did_you_mean(sub, records)
            raise InputError(source, key, f"no parameter {sub!r} for a {kind!r} strategy"
                             f"{hint}")
        param = records[sub]
        return Param(key, scenario.strategies[name][sub], param.unit, param.meaning,
                     param.source, param.low, param.high, param.choices)
    hint = did_you_mean(key, BY_KEY)
    raise InputError(source, key, f"unknown parameter{hint} (a registry key, see 'python -m "
                     "sanisim.parameters', or strategies.NAME.KEY)")


def scenario_at(scenario: Scenario, point: Mapping[str, Any],
                source: str = "<parameters>") -> Scenario:
    """The scenario with some parameters (registry or ``strategies.NAME.KEY``) changed.

    Values are validated like a scenario file; the name, path and bundles are kept.
    """
    if not point:
        return scenario
    plain = {k: v for k, v in point.items() if k in BY_KEY}
    if len(plain) == len(point):
        return scenario.with_params(plain, source)
    data = scenario.to_dict()
    for key, value in point.items():
        record_of(scenario, key, source)
        _set_nested(data, key, value)
    return from_dict(data, source=source, path=Path(scenario.path) if scenario.path else None)
