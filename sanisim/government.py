"""The district government as an actor: budgets per source on a yearly cycle, political
commitment, staff, and local government in the field (``mechanisms.government``).

One :class:`Government` agent per model (none when the switch is off: then nothing is drawn,
no column is added and every programme spends from its own ``budget`` as before).

**Sources.** The government holds a budget per source (:data:`SOURCES`; APBD, DAK and BAZNAS
are the names of :data:`sanisim.ledger.BUDGETS`, ``DanaDesa`` the village funds). Each has a
rule (:data:`RULES`): the model account its money is booked to, whether its yearly allocation
follows political commitment, and whether money unspent at the end of a budget year is
carried into the next year or lapses.

**Budget year.** Months 1-12 are budget year 1, 13-24 year 2, and so on. Year 1 is allocated
when the model is built (before month 1); in the first month of each later year the government
closes the previous year (unspent money carried over or lapsed, per source) and allocates the
new one: ``government.allocation.<source> * (1 +
government.budget_elasticity * (c - 0.5))`` for a source following commitment, the base
allocation otherwise, where ``c`` is the commitment in force that month. Programmes that name
sources (``sources = [...]`` in their ``[strategies.NAME]`` table) spend from them, in the
order named, after their own ``budget`` if that is finite; nothing is spent beyond what a
source holds. A programme's spending it cannot defer (a payment already promised) beyond its
sources is booked to its own funder as *unfunded* and shown in ``government_unfunded``.

**Commitment and staff.** Political commitment ``c`` (0-1) is ``government.commitment``,
and ``government.commitment_after`` from month ``government.commitment_month`` (an election
or a flagship declaration; 0: never). It acts through the yearly allocation above and through
staff: the sanitarians the government employs this year, ``round(sanitarians.count * (1 +
government.staff_elasticity * (c - 0.5)))``, as many as the APBD pays at
``government.staff_cost`` a month (their pay is earmarked from APBD at the allocation and
paid monthly). Staff work the sanitarians' posts: each post's visits per month scale with
staff per post, reset every budget year; a programme drawing on sources has its monthly
capacities scaled by the first year's staff per post when it is set up.

**Local government in the field.** ``government.field_capacity`` (0-1; 0.5 is the model's
delivery as calibrated) is a delivery capacity, multiplier ``0.5 + field_capacity``: it scales
the visits sanitarians deliver a month and, for programmes that draw on the government's
sources (delivered by local government), their monthly delivery capacities
(:data:`FIELD_CAPACITIES`) and the facilitation and attendance of their sessions
(:data:`FIELD_RATES`, at most 1).

**Books.** Every rupiah drawn is booked to the model's ledger under the source's account and
kept in the government's books by source, year and month; :meth:`Government.check` states
the invariants (never beyond a source's money in a year; allocations plus carried-in equal
spending plus lapsed plus carried-out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


@dataclass(frozen=True)
class SourceRule:
    """How one budget source behaves over the budget year."""

    account: str              # the model's funder account the money is booked to
    follows_commitment: bool  # whether the yearly allocation scales with commitment
    carries_over: bool        # unspent money at year end: carried (True) or lapsed (False)
    basis: str                # why (source or stated assumption)


#: The budget sources, in the order of their columns.
SOURCES: tuple[str, ...] = ("APBD", "DAK", "DanaDesa", "BAZNAS")

RULES: dict[str, SourceRule] = {
    "APBD": SourceRule(
        "government", True, False,
        "the district's own budget is annual: unspent appropriations lapse into the general "
        "fund's surplus (SiLPA), not to the programme; the district council sets it with the "
        "head of region, so it follows commitment"),
    "DAK": SourceRule(
        "government", False, False,
        "the special allocation transfer is set by the centre per menu item and year; unspent "
        "DAK is not kept by the programme (it is deducted from later transfers)"),
    "DanaDesa": SourceRule(
        "government", True, True,
        "village funds: unspent money stays in the village's surplus (SiLPA desa) and enters "
        "the next village budget; how much goes to sanitation follows the district's "
        "guidance (assumption: it follows commitment)"),
    "BAZNAS": SourceRule(
        "donors", False, True,
        "zakat funds are held by the zakat agency until distributed; their amount follows "
        "collection, not the district's commitment (assumption)"),
}

#: Programme attributes that are delivery capacities per month (scaled by field capacity).
FIELD_CAPACITIES: tuple[str, ...] = ("sessions_per_month", "visits_per_cadre",
                                     "sanitarian_extra_visits")
#: Programme attributes that are shares or chances of delivery (scaled, at most 1).
FIELD_RATES: tuple[str, ...] = ("attendance", "facilitation")

#: Item under which the government books its staff's pay.
STAFF_ITEM = "sanitarian_staff"


def column_key(source: str) -> str:
    """The lower-case name of a source in column names (``DanaDesa`` -> ``danadesa``)."""
    return source.lower()


def columns() -> tuple[str, ...]:
    """The monthly table's columns of the government (only when the mechanism is on)."""
    per_source = tuple(f"government_{what}_{column_key(s)}"
                       for s in SOURCES for what in
                       ("allocated", "carried_in", "spent", "available", "lapsed"))
    return ("government_commitment", "government_staff", "government_unfunded") + per_source


def commitment_at(params: Any, month: int) -> float:
    """Political commitment in force in ``month``."""
    switch = params["government.commitment_month"]
    if switch and month >= switch:
        return params["government.commitment_after"]
    return params["government.commitment"]


def field_multiplier(params: Any) -> float:
    """Delivery multiplier of local government in the field (1 at field capacity 0.5)."""
    return 0.5 + params["government.field_capacity"]


class Government(mesa.Agent):
    """The district government (see the module docs). :meth:`step` runs first in a month."""

    def __init__(self, model: SanitationModel) -> None:
        super().__init__(model)
        p = model.params
        self.params = p
        self.field = field_multiplier(p)
        self.posts = int(p["sanitarians.count"])
        self.commitment = commitment_at(p, 0)
        self.staff = self.posts
        self.year = 0
        #: Money of the current budget year, per source (rupiah).
        self.allocated = dict.fromkeys(SOURCES, 0.0)
        self.carried_in = dict.fromkeys(SOURCES, 0.0)
        self.spent = dict.fromkeys(SOURCES, 0.0)
        self.earmarked = 0.0  # staff pay still to be paid this year (APBD)
        #: This month's spending per source; lapsed money recorded in a year's first month.
        self.month_spent = dict.fromkeys(SOURCES, 0.0)
        self.month_lapsed = dict.fromkeys(SOURCES, 0.0)
        self.unfunded_month = 0.0
        self.unfunded_total = 0.0
        #: Closed and current budget years: one dict per (year, source).
        self.years: list[dict[str, Any]] = []
        #: Everything drawn, by (source, item), rupiah (the government's books).
        self.books: dict[tuple[str, str], float] = {}
        self.equipped: list[Any] = []
        self.staff_ratio = 1.0
        self._open_year(model)  # budget year 1 is allocated before its first month

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Open a budget year in its first month; pay staff; reset the month's figures."""
        model = self.model
        self.month_spent = dict.fromkeys(SOURCES, 0.0)
        self.month_lapsed = dict.fromkeys(SOURCES, 0.0)
        self.unfunded_month = 0.0
        self.commitment = commitment_at(self.params, model.month)
        if model.month > 1 and (model.month - 1) % 12 == 0:
            self._close_year()
            self._open_year(model)
        self._pay_staff(model)

    def _close_year(self) -> None:
        for record in self.years[-len(SOURCES):]:
            source = record["source"]
            left = self.allocated[source] + self.carried_in[source] - self.spent[source]
            left = max(left, 0.0)
            record["spent"] = self.spent[source]
            if RULES[source].carries_over:
                record["carried_out"] = left
            else:
                record["lapsed"] = left
                self.month_lapsed[source] = left

    def _open_year(self, model: SanitationModel) -> None:
        p, c = self.params, self.commitment
        carried = {s: (self.years[-len(SOURCES) + i]["carried_out"] if self.year else 0.0)
                   for i, s in enumerate(SOURCES)}
        self.year += 1
        for source in SOURCES:
            base = p[f"government.allocation.{source}"]
            if RULES[source].follows_commitment:
                base *= max(0.0, 1.0 + p["government.budget_elasticity"] * (c - 0.5))
            self.allocated[source] = base
            self.carried_in[source] = carried[source]
            self.spent[source] = 0.0
            self.years.append({"year": self.year, "source": source, "allocated": base,
                               "carried_in": carried[source], "spent": 0.0, "lapsed": 0.0,
                               "carried_out": 0.0})
        multiplier = max(0.0, 1.0 + p["government.staff_elasticity"] * (c - 0.5))
        wanted = round(self.posts * multiplier)
        pay = p["government.staff_cost"] * 12
        affordable = int(self.allocated["APBD"] // pay) if pay > 0 else wanted
        self.staff = min(wanted, affordable)
        self.staff_ratio = self.staff / self.posts if self.posts else multiplier
        self.earmarked = self.staff * pay
        self._set_capacity(model)

    def _set_capacity(self, model: SanitationModel) -> None:
        """Visits a month of each sanitarian post: staff per post times the field
        multiplier."""
        visits = model.params["sanitarians.visits_per_month"]
        for sanitarian in model.sanitarians:
            sanitarian.capacity = int(round(visits * self.staff_ratio * self.field))

    def _pay_staff(self, model: SanitationModel) -> None:
        pay = min(self.staff * self.params["government.staff_cost"], self.earmarked)
        if pay > 0:
            self.earmarked -= pay
            self._take(model, "APBD", pay, STAFF_ITEM)

    # ------------------------------------------------------------------ programmes
    def equip(self, strategy: Any) -> None:
        """Scale the delivery of a programme that local government delivers (it names
        sources) when it is set up: its monthly capacities by the staff of the first budget
        year (staff per post) and the field multiplier, its sessions' facilitation and
        attendance by the field multiplier."""
        config = strategy.config  # the declared values: a strategy set up twice scales once
        for name in FIELD_CAPACITIES:
            value = config.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(strategy, name, int(round(value * self.staff_ratio * self.field)))
        for name in FIELD_RATES:
            value = config.get(name)
            if isinstance(value, float):
                setattr(strategy, name, min(1.0, value * self.field))
        self.equipped.append(strategy)

    def left(self, source: str) -> float:
        """Money a programme may still draw from ``source`` this year (APBD: less the staff
        pay earmarked)."""
        left = self.allocated[source] + self.carried_in[source] - self.spent[source]
        if source == "APBD":
            left -= self.earmarked
        return max(left, 0.0)

    def available(self, sources: tuple[str, ...]) -> float:
        return sum(self.left(s) for s in sources)

    def draw(self, model: SanitationModel, sources: tuple[str, ...], amount: float,
             item: str, funder: str) -> None:
        """Pay ``amount`` from ``sources`` in order; what they cannot pay is unfunded and
        booked to ``funder`` (the programme's own)."""
        rest = float(amount)
        for source in sources:
            take = min(rest, self.left(source))
            if take > 0:
                self._take(model, source, take, item)
                rest -= take
            if rest <= 1e-6 * max(amount, 1.0):  # float dust of a split payment
                rest = 0.0
                break
        if rest > 0:
            self.unfunded_month += rest
            self.unfunded_total += rest
            model.book(funder, item, rest)

    def _take(self, model: SanitationModel, source: str, amount: float, item: str) -> None:
        self.spent[source] += amount
        self.month_spent[source] += amount
        self.years[-len(SOURCES) + SOURCES.index(source)]["spent"] = self.spent[source]
        self.books[(source, item)] = self.books.get((source, item), 0.0) + amount
        model.book(RULES[source].account, item, amount)

    # ------------------------------------------------------------------ outputs
    def outputs(self) -> dict[str, float]:
        row: dict[str, float] = {"government_commitment": self.commitment,
                                 "government_staff": self.staff,
                                 "government_unfunded": self.unfunded_month}
        for source in SOURCES:
            key = column_key(source)
            row[f"government_allocated_{key}"] = self.allocated[source]
            row[f"government_carried_in_{key}"] = self.carried_in[source]
            row[f"government_spent_{key}"] = self.month_spent[source]
            row[f"government_available_{key}"] = (self.allocated[source]
                                                  + self.carried_in[source]
                                                  - self.spent[source])
            row[f"government_lapsed_{key}"] = self.month_lapsed[source]
        return row

    def check(self, tolerance: float = 1e-6) -> None:
        """Raise :class:`AssertionError` if the books break an invariant: spending within
        each source's money of its year; a closed year's money all spent, lapsed or carried;
        the books' total equal to what the years record as spent."""
        for record in self.years:
            money = record["allocated"] + record["carried_in"]
            slack = tolerance * max(money, 1.0)
            assert record["spent"] <= money + slack, record
            if record["year"] < self.year:
                closed = record["spent"] + record["lapsed"] + record["carried_out"]
                assert abs(closed - money) <= slack, record
        for source in SOURCES:
            booked = sum(v for (s, _), v in self.books.items() if s == source)
            spent = sum(r["spent"] for r in self.years if r["source"] == source)
            assert abs(booked - spent) <= tolerance * max(spent, 1.0), source
