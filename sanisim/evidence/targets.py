"""What a fit is given: published targets, and the ranges of the parameters it fits.

A calibration file (:mod:`sanisim.evidence.calibration`) and a joint calibration file
(:mod:`sanisim.evidence.joint`) give targets as ``name = {value = ..., se = ..., source =
"..."}`` (:func:`target_from_table` checks one) and the fitted parameters as a
``[parameters]`` table of ``key = [low, high]`` (:func:`parameter_keys`, :func:`fit_range`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from sanisim.errors import InputError, check_keys, finite_number
from sanisim.parameters import Param
from sanisim.runs.points import record_of
from sanisim.scenario import Scenario

TARGET_KEYS = ("value", "se", "source")


@dataclass(frozen=True)
class Target:
    """A published estimate the model should reproduce."""

    name: str
    value: float
    se: float
    source: str = ""


def target_from_table(name: str, target: Any, source: str, key: str) -> Target:
    """The target ``name`` of an input file, checked: a table with a finite ``value``, an
    ``se`` > 0 and optionally its ``source`` (``key``: where it stands in the file)."""
    if not isinstance(target, dict):
        raise InputError(source, key, "must be a table {value = ..., se = ...}")
    check_keys(target, TARGET_KEYS, source, key + ".")
    value = finite_number(target.get("value"), source, key + ".value")
    se = finite_number(target.get("se"), source, key + ".se")
    if se <= 0:
        raise InputError(source, key + ".se", f"got {se!r}; allowed: a number > 0")
    return Target(name, value, se, str(target.get("source", "")))


def parameter_keys(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of a ``[parameters]`` table, nested or quoted keys alike."""
    for key, value in table.items():
        if isinstance(value, dict):
            yield from parameter_keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@dataclass(frozen=True)
class FittedParameter:
    """A fitted parameter and its range ``[low, high]`` inside its record's bounds: a point
    calibration's search range (:mod:`~sanisim.evidence.calibration`, which starts at
    ``start``, the scenario's value) or a joint fit's uniform prior
    (:mod:`~sanisim.evidence.joint`)."""

    key: str
    low: float
    high: float
    integer: bool = False
    unit: str = ""
    start: float = math.nan

    def value(self, raw: float) -> float | int:
        """A raw number as this parameter's value (whole for an integer parameter)."""
        return int(round(raw)) if self.integer else float(raw)

    def from_unit(self, u: float) -> float:
        """The value at ``u`` in [0, 1] of the range (clipped)."""
        value = self.low + float(np.clip(u, 0.0, 1.0)) * (self.high - self.low)
        return float(round(value)) if self.integer else value

    def to_unit(self, value: float) -> float:
        return (value - self.low) / (self.high - self.low)

    def from_space(self, raw: float, space: str = "natural") -> float | int:
        """The value of a number of the space a fit works in: ``"natural"``, the value
        itself; ``"unit"``, a fraction of the range; ``"logit"``, the log-odds of that
        fraction (any real number)."""
        if space == "unit":
            return self.from_unit(raw)
        if space == "logit":
            return self.from_unit(float(expit(raw)))
        return self.value(raw)


def fit_range(scenario: Scenario, key: str, bounds: Any, source: str, what: str = "range",
              whole: bool = False) -> tuple[Param, float, float]:
    """The record of a fitted parameter and its range ``[low, high]``, checked: a numeric
    parameter, an increasing range inside its recorded bounds. With ``whole``, ``[]`` is the
    whole recorded range. ``what`` names the range in messages ("range", "prior")."""
    where = f"parameters.{key}"
    try:
        record = record_of(scenario, key, source)
    except InputError as err:
        raise InputError(source, where, err.message) from None
    if record.kind not in (int, float):
        raise InputError(source, where, f"is {record.allowed()}; only numeric parameters "
                         "can be fitted")
    if whole and bounds == []:
        bounds = [record.low, record.high]
    if (not isinstance(bounds, list) or len(bounds) != 2 or any(
            b is None or isinstance(b, bool) or not isinstance(b, int | float)
            or not math.isfinite(b) for b in bounds)):
        hint = ("; a parameter without finite recorded bounds needs its range here" if whole
                else "")
        raise InputError(source, where, f"got {bounds!r}; allowed: [low, high] inside the "
                         f"recorded range ({record.allowed()}){hint}")
    low, high = float(bounds[0]), float(bounds[1])
    if not low < high or (record.low is not None and low < record.low) or (
            record.high is not None and high > record.high):
        raise InputError(source, where, f"{what} [{low:g}, {high:g}] must be increasing and "
                         f"inside the recorded range ({record.allowed()})")
    return record, low, high
