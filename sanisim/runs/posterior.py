"""The calibration posterior: an ensemble of parameter sets, read, checked and drawn from.

A posterior file is CSV, written by the joint calibration (``sanisim joint
experiments/joint_calibration.toml``) to ``sanisim/data/posterior.csv`` in the package::

    draw,weight,behaviour.p_innovation,behaviour.q_imitation,strategies.bcc.visit_effect
    0,0.0125,0.0041,0.031,0.22
    1,0.0125,0.0037,0.027,0.25
    ...

``draw`` is an integer id (unique), ``weight`` the draw's posterior weight (finite, >= 0, the
weights sum to 1 within 1e-6), and every other column one parameter: a registry key
(``python -m sanisim.parameters``) or ``strategies.NAME.KEY`` for a parameter of the
scenario's strategy NAME (:func:`sanisim.runs.points.record_of`). Parameters must be numeric,
and every value lies inside the parameter's recorded bounds (integer parameters take whole values).

**Drawing** (:meth:`Posterior.draws`): ``n`` draws are chosen by weighted sampling *without
replacement* (Efraimidis & Spirakis 2006): draw ``i`` gets the key ``E_i / weight_i`` with
``E_i ~ Exponential(1)`` from the seed's stream ``"sanisim.posterior.draws"``
(:func:`sanisim.streams.seed_stream`), and the ``n`` smallest keys are chosen, in key order. This is
successive sampling proportional to weight: the first pick is draw ``i`` with probability
``weight_i``, each later pick is proportional to weight among the draws not yet picked. So a
draw with weight near 1 is always picked first, draws of zero weight never, and ``draws(n,
seed)`` is the first ``n`` entries of ``draws(n + 1, seed)``. With equal weights (accepted
samples of ABC or MCMC) it is a simple random sample of the ensemble; with unequal weights,
sampling without replacement favours heavy draws less than their weight (each draw is used at
most once). Asking for more draws than the ensemble has draws of positive weight is an
:class:`InputError` (no resampling with replacement: every run of a draw would repeat
another's parameter set and seed).

**Setting-specific columns.** A joint calibration may fit a parameter of one setting's own
strategy (``strategies.ra_triggering.facilitation``: the implementer of one trial). Such a
column applies only where the scenario has that strategy (the joint calibration's rule too):
:func:`applicable` keeps the keys of a draw that apply to a scenario, and a scenario without
the strategy simply ignores the column. Its values must still be finite numbers.

:meth:`Posterior.median_point` gives the weighted median of each parameter (the smallest value
whose cumulative weight, values in increasing order, reaches 1/2).
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanisim.errors import InputError
from sanisim.runs.points import record_of
from sanisim.scenario import Scenario
from sanisim.scenario import load as load_scenario
from sanisim.streams import seed_stream

__all__ = ["Posterior", "applicable", "default_path", "draws", "interval_holds", "load",
           "median_point"]

DRAW, WEIGHT = "draw", "weight"
#: Run-table column of a run's posterior draw id, and the prefix of the columns holding the
#: draw's parameter values (apart from ``param:``, so that analysis pools draws within an arm).
POSTERIOR_DRAW = "posterior_draw"
POSTERIOR_PREFIX = "posterior:"
WEIGHT_TOLERANCE = 1e-6
MAKE_ONE = "sanisim joint experiments/joint_calibration.toml"


SEED_NOISE = "seed noise"


def interval_holds(draws: int) -> str:
    """What the intervals of a batch hold: ``"seed noise"`` without posterior draws, else
    ``"seed noise and parameter uncertainty (N posterior draws)"``."""
    if not draws:
        return SEED_NOISE
    return f"{SEED_NOISE} and parameter uncertainty ({draws} posterior draw{'s' * (draws != 1)})"


def default_path() -> Path:
    """Where the package keeps its posterior: ``sanisim/data/posterior.csv``."""
    return Path(str(resources.files("sanisim") / "data" / "posterior.csv"))


@dataclass(frozen=True)
class Posterior:
    """A checked posterior ensemble: draw ids, weights and one value per draw and parameter."""

    path: str
    ids: tuple[int, ...]
    weights: tuple[float, ...]
    values: Mapping[str, tuple[Any, ...]]  # parameter key -> one value per draw
    digest: str  # SHA-256 (16 hex digits) of the file's bytes

    @property
    def keys(self) -> tuple[str, ...]:
        """The parameters the posterior sets."""
        return tuple(self.values)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def usable(self) -> int:
        """Draws of positive weight: at most this many can be drawn."""
        return sum(1 for w in self.weights if w > 0)

    def point(self, index: int) -> dict[str, Any]:
        """The parameter set of the draw in row ``index`` (0-based row, not draw id)."""
        return {key: column[index] for key, column in self.values.items()}

    def check(self, scenario: Scenario) -> None:
        """Every column that applies to ``scenario`` is a numeric parameter of it and every
        value inside its bounds (:class:`InputError` naming this file and the column
        otherwise); columns of strategies the scenario lacks are setting-specific."""
        for key, column in self.values.items():
            if not _applies(key, scenario):
                continue
            param = _record(scenario, key, self.path)
            for draw, value in zip(self.ids, column, strict=True):
                _check_value(param, value, self.path, key, draw)

    def draws(self, n: int, seed: int) -> list[tuple[int, dict[str, Any]]]:
        """``n`` draws as ``(draw id, {parameter: value})``, fixed by ``seed`` (module docs)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.usable:
            raise InputError(self.path, None, f"{n!r} draws asked of a posterior with "
                             f"{len(self)} draws ({self.usable} of positive weight); "
                             f"allowed: 1..{self.usable}")
        rng = seed_stream(seed, "sanisim.posterior.draws")
        weights = np.asarray(self.weights, float)
        exponential = rng.exponential(size=weights.size)
        keys = np.full(weights.size, np.inf)
        np.divide(exponential, weights, out=keys, where=weights > 0)
        chosen = np.argsort(keys, kind="stable")[:n]
        return [(self.ids[i], self.point(int(i))) for i in chosen]

    def median_point(self) -> dict[str, Any]:
        """The weighted median of every parameter (integer parameters stay whole)."""
        weights = np.asarray(self.weights, float)
        point = {}
        for key, column in self.values.items():
            values = np.asarray(column, float)
            order = np.argsort(values, kind="stable")
            cumulative = np.cumsum(weights[order])
            at = int(np.searchsorted(cumulative, 0.5 * cumulative[-1] - 1e-12))
            value = column[int(order[min(at, order.size - 1)])]
            point[key] = value
        return point


def _applies(key: str, scenario: Scenario) -> bool:
    """Whether a posterior column applies to ``scenario``: every registry key does; a
    ``strategies.NAME.KEY`` column only where the scenario has strategy NAME."""
    parts = key.split(".")
    return not (len(parts) == 3 and parts[0] == "strategies"
                and parts[1] not in scenario.strategies)


def applicable(point: Mapping[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The parameters of a draw that apply to ``scenario`` (see the module docs)."""
    return {key: value for key, value in point.items() if _applies(key, scenario)}


def _record(scenario: Scenario, key: str, path: str):
    param = record_of(scenario, key, source=path)
    if param.kind not in (int, float) or param.choices:
        raise InputError(path, key, f"is {param.allowed()}; a posterior column must be a "
                         "numeric parameter")
    return param


def _check_value(param, value: Any, path: str, key: str, draw: int) -> None:
    """A draw's value checked by its parameter record (:meth:`Param.check`), the error naming
    the column and the draw."""
    try:
        param.check(value, path)
    except InputError:
        raise InputError(path, key, f"draw {draw}: got {value!r}; allowed: "
                         f"{param.allowed()}") from None


def load(path: str | Path | None = None, scenario: Scenario | None = None) -> Posterior:
    """Read and check a posterior file (default: the package's, :func:`default_path`).

    Columns are checked against ``scenario`` (default: the shipped ``default`` scenario).
    Every mistake is a one-line :class:`InputError` naming the file and the column; a package
    without a posterior says how to make one.
    """
    shipped = path is None
    path = default_path() if shipped else Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if shipped:
            raise InputError(source, None, "the sanisim package has no posterior yet; make "
                             f"one with: {MAKE_ONE}") from None
        raise InputError(source, None, "no such posterior file") from None
    except OSError as err:
        raise InputError(source, None, f"cannot read the posterior file ({err.strerror})"
                         ) from None
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(source, None, f"not a readable CSV file ({first})") from None
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    for name in (DRAW, WEIGHT):
        if name not in columns:
            raise InputError(source, name, "missing column; a posterior file has the columns "
                             "draw, weight, then one per parameter")
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise InputError(source, twice, "column appears twice")
    if frame.empty:
        raise InputError(source, None, "holds no draws")
    ids = _draw_ids(frame[DRAW], source)
    weights = _weights(frame[WEIGHT], source)
    keys = [c for c in columns if c not in (DRAW, WEIGHT)]
    if not keys:
        raise InputError(source, None, "no parameter columns (after draw and weight, one "
                         "column per parameter)")
    if scenario is None:
        scenario = load_scenario("default")
    values: dict[str, tuple[Any, ...]] = {}
    for key in keys:
        param = _record(scenario, key, source) if _applies(key, scenario) else None
        column = pd.to_numeric(frame[key], errors="coerce")
        cells = []
        for draw, raw, number in zip(ids, frame[key], column, strict=True):
            allowed = param.allowed() if param is not None else "a finite number"
            if pd.isna(number) or not math.isfinite(float(number)):
                raise InputError(source, key, f"draw {draw}: got {raw!r}; allowed: {allowed}")
            number = float(number)
            if param is None:  # a setting-specific column: applied where its strategy is
                cells.append(number)
                continue
            _check_value(param, number, source, key, draw)
            cells.append(int(number) if param.kind is int else number)
        values[key] = tuple(cells)
    digest = hashlib.sha256(data).hexdigest()[:16]
    return Posterior(source, ids, weights, values, digest)


def _numbers(column, source: str, key: str, whole: bool) -> list[float]:
    """A column's cells as finite numbers >= 0 (whole numbers when ``whole``)."""
    numbers = []
    for raw in column:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0 or (whole and not number.is_integer()):
            allowed = "a whole number >= 0" if whole else "a number >= 0"
            raise InputError(source, key, f"got {raw!r}; allowed: {allowed}")
        numbers.append(number)
    return numbers


def _draw_ids(column, source: str) -> tuple[int, ...]:
    ids = [int(number) for number in _numbers(column, source, DRAW, whole=True)]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise InputError(source, DRAW, f"draw {twice} appears twice; draw ids are unique")
    return tuple(ids)


def _weights(column, source: str) -> tuple[float, ...]:
    weights = _numbers(column, source, WEIGHT, whole=False)
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise InputError(source, WEIGHT, f"weights sum to {total:.9g}; allowed: a sum of 1 "
                         f"(within {WEIGHT_TOLERANCE:g})")
    return tuple(weights)


def draws(n: int, seed: int, path: str | Path | None = None,
          scenario: Scenario | None = None) -> list[tuple[int, dict[str, Any]]]:
    """``n`` parameter sets of the posterior at ``path`` (default: the package's), fixed by
    ``seed``: see :meth:`Posterior.draws`."""
    return load(path, scenario).draws(n, seed)


def median_point(path: str | Path | None = None,
                 scenario: Scenario | None = None) -> dict[str, Any]:
    """Weighted medians of the posterior at ``path`` (default: the package's)."""
    return load(path, scenario).median_point()
