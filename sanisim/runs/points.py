"""Parameter points: a scenario with some parameters changed, registry or strategy ones.

A *point* maps parameter keys to values: a registry key (``behaviour.p_innovation``, see
``python -m sanisim.parameters``) or ``strategies.NAME.KEY`` for a parameter of the scenario's
strategy NAME. Experiments (grid, Latin hypercube and posterior draws), virtual trials,
calibration and sensitivity analysis all set points through :func:`scenario_at`, so every run
sets parameters the same way. Strategy parameters and district context (the starting ladder,
poverty, prices) are points like behavioural parameters; ``ladder.RUNG`` sets one rung of the
starting ladder with the others rescaled (:func:`with_ladder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sanisim.errors import InputError, did_you_mean
from sanisim.parameters import BY_KEY, SHARE_GROUPS, SHARE_TOLERANCE, Param
from sanisim.scenario import Scenario, _set_nested, from_dict
from sanisim.strategies.base import COMMON_PARAMS, STRATEGY_TYPES


def record_of(scenario: Scenario, key: str, source: str = "<parameters>") -> Param:
    """The record (default, bounds, unit, source) of a scenario or strategy parameter.

    ``key`` is a registry key (``behaviour.p_innovation``), ``ladder.RUNG`` (a rung of the
    starting ladder, the others rescaled) or ``strategies.NAME.KEY`` for a
    parameter of the scenario's strategy NAME (its type's record, e.g. ``demand_creation``'s
    ``session_norm_effect``).
    """
    if key in BY_KEY:
        return BY_KEY[key]
    if key.startswith(LADDER_PREFIX):
        return ladder_record(key, scenario, source)
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


#: District context: ``ladder.RUNG`` is the share of households starting on RUNG, the other
#: rungs rescaled in proportion to their shares in the scenario so that the ladder still
#: sums to 1 (the registry's ``population.start_shares.*`` must be set all together).
LADDER_PREFIX = "ladder."
LADDER_GROUP = "population.start_shares"


def ladder_record(key: str, scenario: Scenario, source: str) -> Param:
    """The record of ``ladder.RUNG``: a share in [0, 1], the scenario's share by default."""
    rung = key.removeprefix(LADDER_PREFIX)
    target = f"{LADDER_GROUP}.{rung}"
    if target not in SHARE_GROUPS[LADDER_GROUP]:
        rungs = [k.rsplit(".", 1)[-1] for k in SHARE_GROUPS[LADDER_GROUP]]
        raise InputError(source, key, f"unknown rung{did_you_mean(rung, rungs)} (allowed: "
                         f"{', '.join(LADDER_PREFIX + r for r in rungs)})")
    return Param(key, scenario[target], "share of households",
                 f"Share of households starting on '{rung}'; the other rungs are rescaled "
                 "in proportion.", "district context", 0.0, 1.0)


def with_ladder(scenario: Scenario, point: Mapping[str, Any],
                source: str = "<parameters>") -> dict[str, Any]:
    """The point with its ``ladder.RUNG`` keys replaced by the whole starting ladder
    (``population.start_shares.*``): the rungs given take their values, the others share the
    rest in proportion to their values in the scenario."""
    given = {f"{LADDER_GROUP}.{k.removeprefix(LADDER_PREFIX)}": float(v)
             for k, v in point.items() if k.startswith(LADDER_PREFIX)}
    if not given:
        return dict(point)
    for key in point:
        if key.startswith(LADDER_PREFIX):
            ladder_record(key, scenario, source)
    out = {k: v for k, v in point.items() if not k.startswith(LADDER_PREFIX)}
    rest = [k for k in SHARE_GROUPS[LADDER_GROUP] if k not in given]
    left = 1.0 - sum(given.values())
    base = sum(float(scenario[k]) for k in rest)
    if left < -SHARE_TOLERANCE or (rest and base <= 0 and left > SHARE_TOLERANCE):
        names = ", ".join(f"{LADDER_PREFIX}{k.rsplit('.', 1)[-1]}" for k in given)
        raise InputError(source, names, f"sum to {1 - left:.6g}; allowed: at most 1, with "
                         "the other rungs able to take the rest")
    out.update(given)
    for key in rest:
        out[key] = float(scenario[key]) * max(left, 0.0) / base if base > 0 else 0.0
    return out


def scenario_at(scenario: Scenario, point: Mapping[str, Any],
                source: str = "<parameters>") -> Scenario:
    """The scenario with some parameters (registry or ``strategies.NAME.KEY``) changed.

    Values are validated like a scenario file; the name, path and bundles are kept.
    ``ladder.RUNG`` keys set the starting ladder with the other rungs rescaled
    (:func:`with_ladder`).
    """
    if not point:
        return scenario
    point = with_ladder(scenario, point, source)
    plain = {k: v for k, v in point.items() if k in BY_KEY}
    if len(plain) == len(point):
        return scenario.with_params(plain, source)
    data = scenario.to_dict()
    for key, value in point.items():
        record_of(scenario, key, source)
        _set_nested(data, key, value)
    return from_dict(data, source=source, path=Path(scenario.path) if scenario.path else None)
