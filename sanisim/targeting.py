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


@rule("household_database")
def household_database(model, candidates, keys):
    """Data-driven targeting from a household register: open defecation first, then by rung.

    Needs a kept-up household database (as in Takalar): the programme knows each household's
    current rung, so it reaches the households at the bottom of the ladder first.
    """
    return model.households.rung[candidates] + 0.5 * keys


@rule("lowest_village_coverage")
def lowest_village_coverage(model, candidates, keys):
    """Households of the kelurahan/desa with the lowest share at basic or better first."""
    hh = model.households
    villages = hh.village[candidates]
    adopted = np.bincount(hh.village, weights=hh.rung >= 3)
    coverage = adopted / np.maximum(np.bincount(hh.village), 1)
    return coverage[villages] + 1e-6 * keys


@rule("lottery")
def lottery(model, candidates, keys):
    """A public lottery among the eligible: uniform random order (same as "random")."""
    return keys


@rule("nominated_friends")
def nominated_friends(model, candidates, keys):
    """Friends of random households first (the friendship-paradox rule).

    Each candidate, taken in random order (its key), names one uniformly chosen network
    neighbour; neighbours named by some candidate are served first, in the order of their
    earliest nominator, then everyone else in random order. Because a household is named in
    proportion to its number of ties, the named are better connected than random households
    (Feld 1991; used for seeding by Kim et al. 2015). The neighbour choice uses the fractional
    bits of the candidate's key, so the rule draws no random numbers of its own.
    """
    priority = 1.0 + keys
    adjacency = model.network.adjacency
    if adjacency is None or candidates.size == 0:  # complete graph: everyone is a friend
        return priority
    start = adjacency.indptr[candidates]
    degree = adjacency.indptr[candidates + 1] - start
    named_by = np.flatnonzero(degree > 0)
    pick = ((keys[named_by] * 4096.0) % 1.0 * degree[named_by]).astype(np.int64)
    friend = adjacency.indices[start[named_by] + np.minimum(pick, degree[named_by] - 1)]
    position = np.full(model.households.n, -1, np.int64)
    position[candidates] = np.arange(candidates.size)
    named = position[friend]
    ok = named >= 0
    np.minimum.at(priority, named[ok], keys[named_by[ok]])
    return priority


@rule("whole_community")
def whole_community(model, candidates, keys):
    """Whole RTs at a time: RTs already reached by a grant first, then lowest coverage.

    Every eligible household of an RT is served before the next RT starts, so a capacity
    limit splits at most one RT per month.
    """
    hh = model.households
    started = np.bincount(hh.rt, weights=hh.subsidised, minlength=model.n_rt) > 0
    order = np.lexsort((np.arange(model.n_rt), model.rt_coverage, ~started))
    rank = np.empty(model.n_rt)
    rank[order] = np.arange(model.n_rt)
    return rank[hh.rt[candidates]] + 0.5 * keys


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
