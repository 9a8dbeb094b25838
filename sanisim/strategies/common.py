"""Pieces shared by the programme strategies (bcc, demand_creation, microcredit, subsidy).

* :class:`Programme` — a :class:`~sanisim.strategies.base.Strategy` whose extra output
  columns carry its scenario name (``bcc_visits`` for a strategy named ``bcc``), so two
  strategies of one type can run in one bundle, and which can keep its bookkeeping running
  after its last month (``lingers``) while acting only inside its window.
* :class:`FactorGains` — factor gains that fade with the strategy's own half-life instead of
  the scenario's ``factors.half_life_months``.
* :func:`open_below_basic` — the mask of the households a programme may still move;
  :func:`and_not` narrows a mask by the households without a flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sanisim.behaviour import decay_factor, raise_factors
from sanisim.draws import distinct
from sanisim.ladder import Rung
from sanisim.population import Households
from sanisim.rowblocks import blocks
from sanisim.strategies.base import Strategy

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


class Programme(Strategy):
    """A strategy with named outputs and an optional after-care period.

    Subclasses list their output names in ``OUTPUTS``; the monthly table gets them as
    ``<strategy name>_<output>``. A strategy with ``lingers`` true still receives its hooks
    after ``end`` (to let its own effects fade or to restore what it changed) but must check
    :meth:`acting` before it acts; before ``start`` it receives nothing, so the months before
    it starts are those of the baseline arm.
    """

    OUTPUTS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        self.output_columns = tuple(f"{name}_{column}" for column in self.OUTPUTS)
        self.lingers = False
        for param in self.PARAMS:  # the type's own parameters as attributes
            if callable(getattr(type(self), param.key, None)):
                raise TypeError(f"parameter {param.key!r} shadows a method of {type(self)}")
            setattr(self, param.key, config[param.key])

    def active(self, month: int) -> bool:
        if self.lingers:
            return month >= self.start
        return super().active(month)

    def acting(self, month: int) -> bool:
        """Inside the strategy's window ``start..end``: it may spend and act."""
        return self.start <= month <= self.end

    def named(self, values: Mapping[str, float]) -> dict[str, float]:
        """This month's outputs, keyed by their column names."""
        return {f"{self.name}_{key}": value for key, value in values.items()}


def open_below_basic(hh: Households, out: np.ndarray | None = None) -> np.ndarray:
    """A mask of every household: below basic and not building (``out``, a bool array, is
    narrowed to them in place when given). Callers narrow it further in place and take its
    rows once: about half the households are below basic, and taking theirs first, then
    gathering and filtering, costs about twice the passes over the whole arrays at 100,000
    households."""
    below = np.less(hh.rung, Rung.BASIC.value)
    if out is None:
        out = below
    else:
        out &= below
    out &= hh.build_left < 0
    return out


def and_not(mask: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """``mask &= ~flag`` for boolean arrays, in place and without the negation's array: for
    booleans ``a > b`` is ``a and not b``. Returns ``mask``."""
    return np.greater(mask, flag, out=mask)


#: Gains smaller than this are dropped (float32 factors resolve about 6e-8 near 1).
NEGLIGIBLE = 1e-7


class FactorGains:
    """Gains a strategy adds to household factors, fading with its own half-life.

    The model relaxes each factor's whole excess over its baseline by the scenario's monthly
    keep share ``k_m`` (phase ``decay``). A strategy whose effect should fade with its own keep
    share ``k_s`` records the gains it adds (``g``) and, right after the model's decay, adds
    ``(k_s - k_m) * g`` back (then ``g <- k_s * g``), so its part of the excess decays at
    ``k_s`` and everything else at ``k_m``. Values stay within [0, 1].

    The rows that were ever given a gain (since the gains last faded to nothing) are kept
    while they are at most :attr:`DENSE_SHARE` of all rows, and :meth:`fade` then works on
    those rows only: triggering sessions reach a few hundred households a month at any
    district size, while a pass over every household's factors costs about 0.5 ms a factor at
    a million. A row without a gain is left as the whole-array pass leaves it (its value plus
    ``0 x correction``, within [0, 1]: the same value).
    """

    #: Above this share of the rows holding gains, :meth:`fade` works on whole arrays.
    DENSE_SHARE = 0.25

    def __init__(self, n: int, factors: tuple[str, ...], half_life_months: float,
                 model_half_life_months: float) -> None:
        self.factors = factors
        self.keep = np.float32(decay_factor(half_life_months))
        self.correction = np.float32(self.keep - decay_factor(model_half_life_months))
        self.gain = {name: np.zeros(n, np.float32) for name in factors}
        self._work = np.empty(n, np.float32)
        self.any = False
        self.bound = 0.0  # no gain exceeds this (gains are at most 1 and only fade)
        #: Sorted rows that may hold a gain; ``None``: any row (more than DENSE_SHARE).
        self.rows: np.ndarray | None = np.zeros(0, np.intp)

    def add(self, hh: Households, rows: np.ndarray, names: tuple[str, ...],
            effect: float | tuple[float, ...]) -> None:
        """Close a share ``effect`` of the gap to 1 for ``names`` of ``rows``; record it.
        ``effect``: one share for every name, or one per name (what one call per name gives,
        with the rows that hold gains merged once)."""
        effects = effect if isinstance(effect, tuple) else (effect,) * len(names)
        raised = [(name, e) for name, e in zip(names, effects, strict=True) if e != 0]
        if rows.size == 0 or not raised:
            return
        for name, e in raised:  # each factor by itself: its values, its gains
            values = getattr(hh, name)
            before = values[rows]
            raise_factors(hh, rows, (name,), e)
            self.gain[name][rows] += values[rows] - before
        self.any = True
        self.bound = 1.0
        if self.rows is not None:
            held = distinct(np.concatenate([self.rows, rows]))
            self.rows = None if held.size > self.DENSE_SHARE * self._work.size else held

    def fade(self, hh: Households) -> None:
        """Call once a month right after the model's decay phase."""
        if not self.any:
            return
        self.bound *= float(self.keep)
        if self.bound < NEGLIGIBLE:  # what is left is below float32 resolution of a factor
            for gain in self.gain.values():
                gain[:] = 0.0
            self.any = False
            self.rows = np.zeros(0, np.intp)
            return
        rows = self.rows
        if rows is None:  # whole arrays, block by block at large sizes (the same bits)
            for block in blocks(self._work.size):
                work = self._work[block]  # correction x gain, written here
                for name in self.factors:
                    self._fade(getattr(hh, name)[block], self.gain[name][block], work)
            return
        for name in self.factors:
            gain = self.gain[name][rows]
            values = getattr(hh, name)[rows] if self.correction else None
            self._fade(values, gain, None)
            if values is not None:
                getattr(hh, name)[rows] = values
            self.gain[name][rows] = gain

    def _fade(self, values: np.ndarray | None, gain: np.ndarray,
              work: np.ndarray | None) -> None:
        """One month's fading of ``gain`` and its correction of ``values`` (given when the
        correction is not 0), in place."""
        if self.correction:
            values += np.multiply(self.correction, gain, out=work)
            if self.correction > 0:  # gains are >= 0: only the upper bound can be crossed
                np.minimum(values, np.float32(1.0), out=values)
            else:
                np.maximum(values, np.float32(0.0), out=values)
        gain *= self.keep

    def nbytes(self) -> int:
        return sum(g.nbytes for g in self.gain.values()) + self._work.nbytes


def book_visits(model: SanitationModel, strategy: Strategy, visits: int, unit_cost: float,
                item: str) -> None:
    """Book ``visits`` visits at ``unit_cost`` rupiah against the strategy's budget."""
    if visits:
        strategy.spend(model, visits * unit_cost, item)
