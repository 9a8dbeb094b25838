"""Targeting rules: which of the candidate households a programme reaches first.

A rule is a function ``rule(model, candidates, keys) -> priority`` returning one number per
candidate; lower is served first. ``keys`` are uniform random numbers (one per candidate,
drawn by the caller from its own stream) used to break ties and for random order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sanisim.draws import row_uniforms, run_ranks

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

Rule = Callable[["SanitationModel", np.ndarray, np.ndarray], np.ndarray]
RULES: dict[str, Rule] = {}
Base = Callable[["SanitationModel", np.ndarray], np.ndarray]
#: Rules whose priority is a value of the candidate plus a share of its key: ``base(model,
#: candidates) + spread * keys`` (keys in [0, 1)), as ``(base, spread)``. A candidate whose
#: base is more than ``spread`` above the k-th lowest base comes after k others whatever the
#: keys, which lets :func:`select_keyed` make keys only for the candidates that can be served.
BASES: dict[str, tuple[Base, float]] = {}


def rule(name: str):
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn
    return register


def additive_rule(name: str, spread: float):
    """Register ``base`` as the rule ``base(model, candidates) + spread * keys`` (and in
    :data:`BASES`)."""
    def register(base: Base) -> Base:
        def priority(model, candidates, keys):
            return base(model, candidates) + spread * keys

        priority.__doc__ = base.__doc__
        BASES[name] = (base, spread)
        RULES[name] = priority
        return base
    return register


@rule("random")
def random_order(model, candidates, keys):
    return keys


@additive_rule("lowest_coverage", 1e-6)
def lowest_coverage(model, candidates):
    """Households of the RT with the lowest share at basic or better first."""
    return model.coverage_of_rows()[candidates]


@rule("poorest_first")
def poorest_first(model, candidates, keys):
    return model.households.income[candidates] * (1 + 1e-9 * keys)


@additive_rule("most_connected", 1e-3)
def most_connected(model, candidates):
    """The households with the most ties first."""
    return -model.network.degree[candidates]


@additive_rule("household_database", 0.5)
def household_database(model, candidates):
    """Data-driven targeting from a household register: open defecation first, then by rung.

    Needs a kept-up household database (as in Takalar): the programme knows each household's
    current rung, so it reaches the households at the bottom of the ladder first.
    """
    return model.households.rung[candidates]


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


#: Rules whose priority for a candidate depends only on that candidate, its key and the
#: model's state, not on the other candidates: the priorities of a subset of candidates are
#: the subset of their priorities, so a programme may compute them once for several agents.
#: ("nominated_friends" is not: a candidate's priority depends on who else is a candidate.)
ELEMENTWISE = frozenset({"random", "lowest_coverage", "poorest_first", "most_connected",
                         "household_database", "lowest_village_coverage", "lottery",
                         "whole_community"})


def select(model: SanitationModel, rule_name: str, candidates: np.ndarray, keys: np.ndarray,
           k: int) -> np.ndarray:
    """The ``k`` candidates a rule serves first (all of them if fewer), in service order."""
    k = int(min(k, candidates.size))
    if k <= 0:
        return candidates[:0]
    return first(RULES[rule_name](model, candidates, keys), candidates, k)


def select_keyed(model: SanitationModel, rule_name: str, candidates: np.ndarray,
                 key: np.uint64, k: int) -> np.ndarray:
    """``select(model, rule_name, candidates, row_uniforms(key, candidates), k)``: with a rule
    of :data:`BASES`, the keys and priorities are made only for the candidates whose base is
    within twice the rule's spread of a value with at least k bases at or below it
    (:func:`_at_least_k_below`; a sanitarian with 40 visits and 15,000 open households in its
    catchment at 100,000 households: a few hundred).

    The same rows in the same order: every candidate left out has a priority above at least
    k others (its base is above theirs by more than the spread), so the first k are among
    those kept; and when no two kept priorities are equal the first k and their order are
    the same whichever set ``first`` picks them from. Equal priorities (keys a few 1e-10
    apart), bases that are not numbers or no candidate left out: every candidate's key and
    priority, as ``select`` does.
    """
    k = int(min(k, candidates.size))
    if 0 < k and bounded(rule_name, candidates.size, k):
        base_of, spread = BASES[rule_name]
        base = base_of(model, candidates)
        low = _at_least_k_below(base, k)
        near = (base <= low + 2 * spread).nonzero()[0] if np.isfinite(low) else None
        if near is not None and near.size < candidates.size:
            rows = candidates[near]
            priority = base[near] + spread * row_uniforms(key, rows)
            ordered = np.sort(priority)
            if not (ordered[1:] == ordered[:-1]).any():
                return first(priority, rows, k)
    return select(model, rule_name, candidates, row_uniforms(key, candidates), k)


#: Values sampled per candidate served by :func:`_at_least_k_below`'s guess.
SAMPLED_PER_SERVED = 16
#: Candidates per candidate served from which :func:`select_keyed` bounds the candidates
#: (below it a key for every candidate costs less than the bound's own few calls).
BOUNDED_FROM = 4 * SAMPLED_PER_SERVED


def bounded(rule_name: str, candidates: int, k: int) -> bool:
    """Whether :func:`select_keyed` makes keys for only some of ``candidates`` candidates
    when it serves ``k``: a rule of :data:`BASES` and many candidates a place."""
    return rule_name in BASES and candidates >= BOUNDED_FROM * k


def _at_least_k_below(base: np.ndarray, k: int) -> np.float64:
    """A value with at least ``k`` of ``base`` at or below it, near the k-th lowest: the
    k-th lowest of a strided sample scaled up twice (every ``stride``-th value, about
    :data:`SAMPLED_PER_SERVED` per k), checked by a count; the k-th lowest itself (a
    partition of every value) when the sample's guess has fewer than k below it or there
    are too few values to sample. Any value with k below it gives :func:`select_keyed` the
    same rows; the nearer the k-th lowest, the fewer candidates it makes keys for."""
    stride = base.size // (SAMPLED_PER_SERVED * k)
    if stride > 1:
        sample = base[::stride]
        j = min(-(-2 * k // stride), sample.size) - 1  # about 2k values below it
        guess = np.float64(np.partition(sample, j)[j])
        if np.count_nonzero(base <= guess) >= k:
            return guess
    return np.float64(np.partition(base, k - 1)[k - 1])


def first(priority: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates of lowest ``priority`` (all of them if fewer), in that order."""
    k = int(min(k, candidates.size))
    if k <= 0:
        return candidates[:0]
    if k == candidates.size:  # every candidate (most calls: a promoter with room for all)
        return candidates[priority.argsort(kind="stable")]
    top = priority.argpartition(k - 1)[:k]
    return candidates[top[priority[top].argsort(kind="stable")]]


# ---------------------------------------------------------------- what a programme knows
#: What a promoter knows of a household before the visit (``bcc.information``).
INFORMATION = ("perfect", "door_to_door", "database")
#: The order of a register's tiers: movable below basic, other below basic, not listed.
MOVABLE, BELOW_BASIC, NOT_LISTED = 0, 1, 2


class HouseholdDatabase:
    """A household register (as Takalar keeps one): who is below basic, and who can move.

    A survey lists each household with probability ``coverage`` (the same households every
    survey, drawn once). It records the household's rung, correct with probability
    ``accuracy`` (otherwise a rung drawn uniformly from the five), whether it has the means to
    build (savings at least the price of a pour-flush pit toilet, ``costs.basic_pit``) and the
    share of its RT at basic or better. A survey costs ``cost`` rupiah per listed household
    and takes ``build_months`` months: what it records is the state of its first month,
    usable ``build_months`` later. A new survey starts every ``update_months`` months
    (0: never again), so between surveys the register goes stale as households change.

    The register sorts the households a promoter may visit (:meth:`tiers`): listed households
    recorded below basic that are *movable* (with the means, or in an RT whose recorded
    coverage is at least ``tipping``) first, then the rest recorded below basic, then the
    households it does not list (found door to door). Households it records at basic or
    better are skipped: visits the register saves, unless the record is wrong.
    """

    def __init__(self, n: int, coverage: float, accuracy: float, cost: float,
                 build_months: int, update_months: int, tipping: float,
                 rng: np.random.Generator) -> None:
        self.listed = rng.random(n) < coverage
        self.rows = np.flatnonzero(self.listed)
        self.accuracy = float(accuracy)
        self.cost = float(cost)
        self.build_months = int(build_months)
        self.update_months = int(update_months)
        self.tipping = float(tipping)
        self.rung = np.full(n, -1, np.int8)  # recorded rung of the published survey
        self.movable = np.zeros(n, bool)  # recorded: means, or an RT near tipping
        self.pending: tuple[int, np.ndarray, np.ndarray] | None = None  # (publish, rung, movable)
        self.surveys = 0
        self.last_survey: int | None = None

    @property
    def published(self) -> bool:
        """Whether a survey has been published (before that the register sorts nobody)."""
        return self.surveys > 0

    def survey_cost(self) -> float:
        """What one survey costs (rupiah)."""
        return self.cost * self.rows.size

    def survey_due(self, month: int) -> bool:
        if self.last_survey is None:
            return True
        return self.update_months > 0 and month - self.last_survey >= self.update_months

    def survey(self, model: SanitationModel, rng: np.random.Generator) -> None:
        """Record the listed households' state this month; published ``build_months`` later."""
        hh, rows = model.households, self.rows
        rung = hh.rung[rows].copy()
        wrong = rng.random(rows.size) >= self.accuracy
        rung[wrong] = rng.integers(0, 5, int(wrong.sum()))
        means = hh.savings[rows] >= model.params["costs.basic_pit"]
        near = model.rt_coverage[hh.rt[rows]] >= self.tipping
        self.pending = (model.month + self.build_months, rung, means | near)
        self.last_survey = model.month

    def publish(self, month: int) -> None:
        """A survey whose time has come replaces the records."""
        if self.pending is not None and month >= self.pending[0]:
            _, rung, movable = self.pending
            self.rung[self.rows] = rung
            self.movable[self.rows] = movable
            self.pending = None
            self.surveys += 1

    def tiers(self, rows: np.ndarray) -> np.ndarray:
        """Tier of each of ``rows``: MOVABLE, BELOW_BASIC, NOT_LISTED, or -1 (recorded at
        basic or better: not to be visited)."""
        tier = np.full(rows.size, NOT_LISTED, np.int8)
        recorded = self.rung[rows]
        listed = recorded >= 0
        tier[listed] = np.where(recorded[listed] >= 3, -1,
                                np.where(self.movable[rows[listed]], MOVABLE, BELOW_BASIC))
        return tier


#: How a plan splits a programme's resources among planning units (``allocation``).
ALLOCATIONS = ("none", "uniform", "by_need", "worst_first")
#: The planning units a plan can allocate among (``plan_unit``).
PLAN_UNITS = ("village", "rw", "rt")


class Plan:
    """A plan allocating a programme's monthly resources among planning units by need.

    Every ``every`` months (from the first :meth:`update`) the plan measures each unit
    (village, RW or RT): its households ``n_u`` and its households below basic ``g_u``. Then
    :meth:`choose` splits ``room`` (visits, grants) among the units of the candidates:
    'uniform' in proportion to ``n_u``, 'by_need' in proportion to ``g_u`` (:func:`allocate`),
    'worst_first' unit by unit in decreasing ``g_u / n_u`` (random within a unit).
    """

    def __init__(self, households, allocation: str, unit: str, every: int) -> None:
        if allocation not in ALLOCATIONS[1:] or unit not in PLAN_UNITS:
            raise ValueError(f"no plan {allocation!r} over {unit!r}")
        self.allocation = allocation
        self.unit_of = getattr(households, unit).astype(np.int64)
        self.size = int(self.unit_of.max()) + 1
        self.households = np.bincount(self.unit_of, minlength=self.size).astype(float)
        self.weight = np.zeros(self.size)
        self.every = int(every)
        self.planned: int | None = None

    def update(self, model: SanitationModel) -> None:
        """Measure the units' needs when a plan is due."""
        if self.planned is not None and model.month - self.planned < self.every:
            return
        if self.allocation == "uniform":
            self.weight = self.households.copy()
        else:
            below = model.households.rung < 3
            self.weight = np.bincount(self.unit_of, weights=below, minlength=self.size)
            if self.allocation == "worst_first":  # the share below basic
                self.weight /= np.maximum(self.households, 1)
        self.planned = model.month

    def choose(self, room: int, candidates: np.ndarray, priority: np.ndarray,
               keys: np.ndarray) -> np.ndarray:
        """``room`` of ``candidates`` (rows) by the plan; ``priority`` orders a unit's own."""
        units = self.unit_of[candidates]
        if self.allocation == "worst_first":
            return first(-self.weight[units] + 1e-3 * keys, candidates, room)
        return candidates[allocate(room, units, self.weight, priority)]


def allocate(room: int, units: np.ndarray, weights: np.ndarray, priority: np.ndarray
             ) -> np.ndarray:
    """Positions of the candidates a plan serves: ``room`` visits split among planning units.

    ``units`` is each candidate's unit, ``weights`` each unit's weight (its need, or its
    households), ``priority`` the candidates' order within a unit (lower first). Unit u gets
    ``room * w_u / sum w`` visits (largest remainders); visits a unit cannot use (fewer
    candidates than its quota) go to the remaining candidates in priority order.
    """
    room = int(min(room, units.size))
    if room <= 0:
        return np.zeros(0, np.int64)
    present = np.unique(units)
    w = weights[present].astype(float)
    if w.sum() <= 0:
        w = np.ones(present.size)
    exact = room * w / w.sum()
    quota = np.floor(exact).astype(np.int64)
    quota[np.argsort(-(exact - quota), kind="stable")[: room - quota.sum()]] += 1
    quota_of = np.zeros(int(units.max()) + 1, np.int64)
    quota_of[present] = quota
    order = np.lexsort((priority, units))
    sorted_units = units[order]
    rank = run_ranks(sorted_units)  # each row's place in its unit
    taken = order[rank < quota_of[sorted_units]]
    extra = room - taken.size
    if extra > 0:
        rest = np.setdiff1d(np.arange(units.size), taken, assume_unique=True)
        taken = np.concatenate([taken, rest[np.argsort(priority[rest], kind="stable")[:extra]]])
    return taken[np.argsort(priority[taken], kind="stable")]
