"""Where the advice flips: scenario discovery with PRIM over what is uncertain.

Given one row per (context point, posterior draw, seed) pair with the uncertain inputs of that
pair (``x``: behavioural parameters of the draw, district context, strategy parameters) and
whether something holds in it (``y``: "bundle A beats bundle B"), the Patient Rule Induction
Method (Friedman & Fisher 1999) peels a box of input ranges in which it holds far more often
than overall. The implementation is the EMA workbench's (``ema_workbench.analysis.prim``;
Kwakkel 2017), an optional extra imported when used (``pip install -e '.[discovery]'``).

A box is reported with

* **coverage**: the share of all pairs where it holds that lie inside the box;
* **density**: the share of pairs inside the box where it holds;
* **mass**: the share of all pairs inside the box;

and in words: only the inputs the box restricts, "X above L", "X below H" or "X between L
and H". Of PRIM's peeling trajectory, the box kept is the densest one whose coverage is at
least ``min_coverage``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Box:
    """A PRIM box: the restricted inputs' ranges and how well the box holds the cases."""

    limits: Mapping[str, tuple[float, float]]  # restricted inputs only: (low, high)
    coverage: float
    density: float
    mass: float
    overall: float  # share of all pairs where it holds
    cases: int  # pairs in all

    def conditions(self, ranges: Mapping[str, tuple[float, float]]) -> list[str]:
        """Each restriction in words, against the inputs' ranges over all pairs."""
        out = []
        for name, (low, high) in self.limits.items():
            full_low, full_high = ranges[name]
            cut_low, cut_high = low > full_low, high < full_high
            if cut_low and cut_high:
                out.append(f"{name} is between {low:.3g} and {high:.3g}")
            elif cut_low:
                out.append(f"{name} is above {low:.3g}")
            else:
                out.append(f"{name} is below {high:.3g}")
        return out

    def sentence(self, what: str, ranges: Mapping[str, tuple[float, float]]) -> str:
        """``what`` holds where ... (coverage, density), in plain words."""
        where = " and ".join(self.conditions(ranges)) or "anywhere (no input restricts it)"
        return (f"{what} where {where}: {self.density:.0%} of the {round(self.mass * self.cases)}"
                f" cases in this box (density), {self.coverage:.0%} of all cases where it holds"
                f" (coverage); {self.overall:.0%} of all {self.cases} cases overall.")


def find_box(x: pd.DataFrame, y: np.ndarray, min_coverage: float = 0.8) -> Box | None:
    """The PRIM box of the cases ``y`` (bool per row of ``x``, numeric inputs); None when
    ``y`` never or always holds (nothing to discover)."""
    with warnings.catch_warnings():  # the workbench warns of evaluators it does not need
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # noqa: PLC0415 - optional extra

    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return None
    inputs = x.loc[:, x.nunique() > 1].astype(float).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(inputs, y).find_box()
    trajectory = box.peeling_trajectory
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int(ok["density"].idxmax()) if len(ok) else int(
        (trajectory["coverage"] * trajectory["density"]).idxmax())
    box.select(chosen)
    row = trajectory.loc[chosen]
    full = pd.DataFrame({c: [inputs[c].min(), inputs[c].max()] for c in inputs.columns})
    limits = {}
    for name in inputs.columns:
        low, high = (float(v) for v in box.box_lim[name])
        if low > full.loc[0, name] or high < full.loc[1, name]:
            limits[name] = (low, high)
    return Box(limits, float(row["coverage"]), float(row["density"]), float(row["mass"]),
               float(y.mean()), len(y))


def input_ranges(x: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each input's range over all cases (what "above" and "below" are measured against)."""
    return {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
