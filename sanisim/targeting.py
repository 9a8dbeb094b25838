"""Targeting rules: which of the candidate households a programme reaches first.

A rule is a function ``rule(model, candidates, keys) -> priority`` returning one number per
candidate; lower is served first. ``keys`` are uniform random numbers (one per candidate,
drawn by the caller from its own stream) used to break ties and for random order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

Rule = Callable[["SanitationModel", np.ndarray, np.ndarray], np.ndarray]
RULES: dict[str, Rule] = {}


def rule(name: str):
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn
    return register


@rule("random")
def random_order(model, candidates, keys):
    return keys


@rule("lowest_coverage")
def lowest_coverage(model, candidates, keys):
    """Households of the RT with the lowest share at basic or better first."""
    return model.rt_coverage[model.households.rt[candidates]] + 1e-6 * keys


@rule("poorest_first")
def poorest_first(model, candidates, keys):
    return model.households.income[candidates] * (1 + 1e-9 * keys)


@rule("most_connected")
def most_connected(model, candidates, keys):
    return -model.network.degree[candidates] + 1e-3 * keys


def select(model: SanitationModel, rule_name: str, candidates: np.ndarray, keys: np.ndarray,
           k: int) -> np.ndarray:
    """The ``k`` candidates a rule serves first (all of them if fewer), in service order."""
    k = int(min(k, candidates.size))
    if k <= 0:
        return candidates[:0]
    priority = RULES[rule_name](model, candidates, keys)
    if k < candidates.size:
        top = np.argpartition(priority, k - 1)[:k]
    else:
        top = np.arange(candidates.size)
    return candidates[top[np.argsort(priority[top], kind="stable")]]
