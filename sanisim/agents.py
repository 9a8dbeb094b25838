"""Mesa agents: the Household view over its array row, Sanitarian and CreditCooperative.

Households are many, so their state lives in :class:`~sanisim.population.Households` arrays;
a :class:`Household` agent reads and writes its row, so Mesa's agent sets, data collection
and visualisation still work. The model creates these views on first use
(``model.household_agents()`` or Mesa's ``model.agents`` / ``agents_by_type``), since the
monthly step never reads them. Sanitarians and cooperatives are few: ordinary agents whose
``step`` acts on batches of households through index arrays.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sanisim.behaviour import VISIT_FACTORS
from sanisim.draws import lex_order, month_key, month_keys, row_uniforms
from sanisim.ladder import BASIC_CODE as _BASIC
from sanisim.ladder import Rung
from sanisim.population import Households
from sanisim.products import Visit
from sanisim.targeting import ELEMENTWISE, RULES, bounded, first, select, select_keyed
from sanisim.waste import WasteRung

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


class Household(mesa.Agent):
    """A household: a view over row ``row`` of ``model.households``.

    Every array attribute of :class:`Households` is a property here, e.g. ``agent.rung``.
    """

    def __init__(self, model: SanitationModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def __repr__(self) -> str:
        return f"Household(row={self.row}, rung={Rung(self.rung).name.lower()})"


def _install_views() -> None:
    for field in fields(Households):
        name = field.name

        def getter(agent, _name=name):
            return getattr(agent.model.households, _name)[agent.row].item()

        def setter(agent, value, _name=name):
            getattr(agent.model.households, _name)[agent.row] = value

        setattr(Household, name, property(getter, setter, doc=f"households.{name}[row]"))


_install_views()


class Sanitarian(mesa.Agent):
    """A health worker who visits households of a catchment below basic.

    A visit closes a share ``visit_effect`` of the gap to the maximum for risk perception,
    attitude and ability (know-how), and refers the household to credit. A sanitarian keeps a
    record of whom it visited and returns to a household only after ``revisit_months``; it
    does not visit households already building or waiting for a loan.
    """

    FACTORS_RAISED = VISIT_FACTORS

    def __init__(self, model: SanitationModel, catchment: np.ndarray, capacity: int,
                 targeting: str, visit_effect: float, visit_cost: float,
                 refer_to_credit: bool, revisit_months: int = 0) -> None:
        super().__init__(model)
        self.catchment = catchment
        # a catchment of consecutive rows (whole RWs, as the model draws them) is read as a
        # slice of the household arrays, not gathered row by row
        self._span = (slice(int(catchment[0]), int(catchment[-1]) + 1)
                      if catchment.size and catchment[-1] - catchment[0] + 1 == catchment.size
                      and np.all(np.diff(catchment) == 1) else None)
        self.revisit_months = int(revisit_months)
        self.last_visit = np.full(catchment.size, -np.iinfo(np.int32).max // 2, np.int32)
        self.capacity = int(capacity)
        self.targeting = targeting
        self.visit_effect = visit_effect
        self.visit_cost = visit_cost
        self.refer_to_credit = refer_to_credit
        self.visits_this_month = 0
        self.visits_total = 0
        self._team: _Team | None = None

    def step(self) -> None:
        model = self.model
        share = _Team.share_of(self)
        if share is not None:  # found with the other sanitarians' this month (_Team)
            candidates, keys, priority, sanitation, waste = share
        else:
            candidates, keys, sanitation, waste = self._candidates()
            priority = None
        chosen = self._choose(candidates, keys, priority)
        if chosen.size == 0:
            self.visit(chosen)
            return
        at = self.catchment.searchsorted(chosen)  # catchment is sorted
        self.last_visit[at] = model.month
        if waste is not None and waste.any():  # both pillars: each visit speaks to the gaps
            self.model.waste.raise_factors(chosen[waste[at]], VISIT_FACTORS, self.visit_effect)
            self.visit(chosen, delivered=chosen[sanitation[at]])
        else:
            self.visit(chosen)

    def _choose(self, candidates: np.ndarray, keys: np.ndarray | np.uint64,
                priority: np.ndarray | None) -> np.ndarray:
        """The open ``candidates`` this month's visits go to, by the targeting rule: by
        ``priority`` when given (the team's, :class:`_Team`), else from the candidates' keys
        (or the month's key, :func:`sanisim.targeting.select_keyed`)."""
        if priority is not None:
            return first(priority, candidates, self.capacity)
        if np.ndim(keys) == 0:  # the month's key: uniforms for those that can be chosen
            return select_keyed(self.model, self.targeting, candidates, keys, self.capacity)
        return select(self.model, self.targeting, candidates, keys, self.capacity)

    def _candidates(self) -> tuple[np.ndarray, np.uint64, np.ndarray, np.ndarray | None]:
        """This month's open rows of the catchment and the month's key of their uniforms
        (:func:`sanisim.draws.row_uniforms`, drawn now), with the catchment's masks: below
        basic and free to build, untreated waste (``None`` when visits do not promote the
        waste pillar)."""
        model = self.model
        hh = model.households
        rows = self.catchment
        at = rows if self._span is None else self._span
        # plain ints, not the IntEnum, and masks combined in place: a handful of small
        # arrays per sanitarian each month
        sanitation = hh.rung[at] < _BASIC
        sanitation &= hh.build_left[at] < 0
        sanitation &= ~hh.applying[at]
        waste = self._waste_gap(rows) if self._promotes_waste() else None
        open_ = sanitation if waste is None else sanitation | waste
        if self.revisit_months > 0:  # last_visit <= month: always open without a wait
            waited = self.last_visit <= model.month - self.revisit_months  # (as _Team's)
            open_ = open_ & waited if open_ is sanitation else np.logical_and(
                open_, waited, out=open_)
        candidates = rows[open_]
        key = month_key(model.streams.monthly("visits", model.month))
        return candidates, key, sanitation, waste

    def _promotes_waste(self) -> bool:
        """Whether visits also promote the waste pillar (``sanitarians.address_waste`` with
        the solid-waste ladder on)."""
        model = self.model
        return model.waste is not None and bool(model.params["sanitarians.address_waste"])

    def _waste_gap(self, rows: np.ndarray) -> np.ndarray:
        """Rows with untreated waste (asked only when :meth:`_promotes_waste`)."""
        return self.model.waste.rung_of(rows) == WasteRung.UNTREATED

    @property
    def product(self) -> Visit:
        """The visit this sanitarian delivers (:class:`sanisim.products.Visit`)."""
        return Visit(self.visit_effect, self.visit_cost, self.FACTORS_RAISED,
                     self.refer_to_credit)

    def visit(self, rows: np.ndarray, delivered: np.ndarray | None = None) -> None:
        """Visit ``rows``; the sanitation message reaches ``delivered`` (default: all)."""
        product = self.product
        product.deliver(self.model.households, rows if delivered is None else delivered)
        self._count(rows.size, product)

    def _count(self, visits: int, product: Visit) -> None:
        """Count ``visits`` visits of ``product`` and book their cost."""
        self.visits_this_month += visits
        self.visits_total += visits
        self.model.book("government", "sanitarian_visits", product.cost(visits))


def acting_as_written(members: tuple[mesa.Agent, ...], cls: type,
                      methods: frozenset[str]) -> bool:
    """Whether every one of ``members`` is a plain ``cls`` (no subclass) with none of
    ``methods`` of its own: so that doing their month at once does what each of their own
    steps would (:class:`_Team`, :mod:`sanisim.lending`)."""
    return all(type(m) is cls and methods.isdisjoint(m.__dict__) for m in members)


#: What makes a sanitarian's visit (:attr:`Sanitarian.product`), read without making one.
_visit_terms = attrgetter("visit_effect", "visit_cost", "FACTORS_RAISED", "refer_to_credit")
#: A sanitarian's methods that stepping in turn would call.
_OWN = frozenset(("step", "visit", "_count", "_choose"))


class _Team:
    """The month's search for open households, done once for all of a model's sanitarians.

    Each sanitarian steps in turn (``model.sanitarians.do("step")``) and each would find the
    open rows of its catchment and draw its key from the "visits" stream: a few small array
    operations each. The first sanitarian to step in a month does this for all of them at
    once, in the order they step (so each gets the key it would have drawn itself): one pass
    over the rows of every catchment. Each then takes its share. With many candidates a visit
    (:func:`sanisim.targeting.bounded`) each ranks its own share
    (:func:`sanisim.targeting.select_keyed`: uniforms only for those that can be chosen);
    otherwise one set of uniforms, and for a rule that gives each candidate a priority of its
    own (``targeting.ELEMENTWISE``) one set of priorities, is made for all of them at once.
    The result is the same as each doing it alone: catchments are disjoint
    and a visit changes only rows of the visitor's catchment, and nothing the open sets or
    priorities are made of (factors, referral, the visitor's own record of visits).

    The team is formed when the sanitarians work alike (one targeting rule, one revisit
    interval, waste pillar off); a sanitarian stepping outside the month's order (a second
    time in a month, or before the first of the team) finds its own candidates.
    """

    def __init__(self, members: tuple[Sanitarian, ...]) -> None:
        self.members = members
        sizes = [m.catchment.size for m in members]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
        self.rows = np.concatenate([m.catchment for m in members])
        n = self.rows.size
        self.span = (slice(int(self.rows[0]), int(self.rows[0]) + n)
                     if n and np.array_equal(self.rows, np.arange(self.rows[0],
                                                                self.rows[0] + n)) else None)
        # one record of visits for the team; each sanitarian's is its slice (a view)
        self.last_visit = np.concatenate([m.last_visit for m in members])
        for m, lo, hi in zip(members, self.bounds[:-1], self.bounds[1:], strict=True):
            m.last_visit = self.last_visit[lo:hi]
            m._team = self
        self.month = None
        self.shares: dict[int, tuple] = {}

    @staticmethod
    def share_of(sanitarian: Sanitarian) -> tuple | None:
        """The sanitarian's share of this month's search, or ``None`` (it searches alone)."""
        model = sanitarian.model
        team = sanitarian._team
        if team is not None and team.month == model.month:
            return team.shares.pop(id(sanitarian), None)
        members = tuple(getattr(model, "sanitarians", ()))
        if not members or members[0] is not sanitarian or not _Team.alike(members):
            return None
        team = _Team.of(members)
        team.search(model)
        return team.shares.pop(id(sanitarian), None)

    @staticmethod
    def of(members: tuple[Sanitarian, ...]) -> _Team:
        """The team of ``members`` (sanitarians that work alike, :meth:`alike`): the one they
        are in, else a new one (new members, or a record of visits replaced)."""
        team = members[0]._team
        if team is None or team.members != members or not team.intact():
            team = _Team(members)
        return team

    @staticmethod
    def visit_together(model: SanitationModel) -> bool:
        """Every sanitarian's visits of this month at once (the sanitarians' phase); whether
        it could (else nothing was done and each steps in turn).

        Each sanitarian chooses from its share of the team's search as its ``step`` would;
        then one delivery reaches all the chosen rows, where each would deliver its own: the
        visit raises each row's factors and referral by itself, and the rows of different
        catchments are different rows, so the values are the same, in a few small calls for
        the team instead of a few for each sanitarian. Each then counts and books its visits
        in turn (:meth:`Sanitarian.visit`, delivering to nobody), as when stepping. It
        applies when the team forms (:meth:`alike`), every sanitarian delivers the same
        visit (:attr:`Sanitarian.product`) and none is of a subclass or has a ``step`` of
        its own."""
        members = tuple(getattr(model, "sanitarians", ()))
        # a subclass may step, choose or visit its own way: then each steps in turn
        if (not members or not acting_as_written(members, Sanitarian, _OWN)
                or not _Team.alike(members)):
            return False
        terms = _visit_terms(members[0])  # what makes a sanitarian's product (the Visit)
        if any(_visit_terms(m) != terms for m in members[1:]):
            return False
        product = members[0].product
        team = _Team.of(members)
        team.search(model)
        shares, team.shares = team.shares, {}  # taken here: a later step searches alone
        chosen = [m._choose(*shares[id(m)][:3]) for m in members]
        rows = np.concatenate(chosen)
        if team.span is not None:  # the team's record of visits: a row's position
            team.last_visit[rows - team.span.start] = model.month
        else:
            for m, mine in zip(members, chosen, strict=True):
                m.last_visit[m.catchment.searchsorted(mine)] = model.month
        product.deliver(model.households, rows)
        for m, mine in zip(members, chosen, strict=True):  # delivered: counted and booked
            m._count(mine.size, product)
        return True

    @staticmethod
    def alike(members: tuple[Sanitarian, ...]) -> bool:
        first_ = members[0]
        return (not first_._promotes_waste()
                and all(m.targeting == first_.targeting
                        and m.revisit_months == first_.revisit_months for m in members))

    def intact(self) -> bool:
        """Whether every member's record of visits is still its slice of the team's."""
        return all(m.last_visit.base is self.last_visit and m._team is self
                   for m in self.members)

    def search(self, model: SanitationModel) -> None:
        hh = model.households
        first_ = self.members[0]
        if not _Team.alike(self.members):  # the rule or interval changed since it formed
            self.month, self.shares = None, {}
            return
        at = self.rows if self.span is None else self.span
        sanitation = hh.rung[at] < _BASIC
        sanitation &= hh.build_left[at] < 0
        sanitation &= ~hh.applying[at]
        open_ = sanitation
        if first_.revisit_months > 0:
            # month - last >= interval as last <= month - interval: one comparison of the
            # record with a number, no array of differences (the record starts far below 0,
            # and neither side overflows 32 bits)
            open_ = open_ & (self.last_visit <= model.month - first_.revisit_months)
        where = open_.nonzero()[0]
        # the catchments' rows in one block: a row is its position plus the block's start
        candidates = self.rows[where] if self.span is None else where + self.span.start
        cut = where.searchsorted(self.bounds)
        # each sanitarian's key, drawn in the order they step, as each would draw its own
        keys_of = month_keys(model.streams.monthly("visits", model.month), len(self.members))
        sizes = cut[1:] - cut[:-1]
        rule = first_.targeting
        spans = list(zip(cut[:-1], cut[1:], self.bounds[:-1], self.bounds[1:], strict=True))
        self.month = model.month
        if any(bounded(rule, size, m.capacity) for m, size in zip(self.members, sizes,
                                                                   strict=True)):
            # each makes uniforms for the candidates it can choose (targeting.select_keyed)
            self.shares = {id(m): (candidates[lo:hi], key, None, sanitation[b0:b1], None)
                           for m, key, (lo, hi, b0, b1) in zip(self.members, keys_of, spans,
                                                               strict=True)}
            return
        # small catchments: one set of uniforms (and priorities) for them all
        keys = row_uniforms(keys_of.repeat(sizes), candidates)
        priority = RULES[rule](model, candidates, keys) if rule in ELEMENTWISE else None
        self.shares = {
            id(m): (candidates[lo:hi], keys[lo:hi],
                    None if priority is None else priority[lo:hi], sanitation[b0:b1], None)
            for m, (lo, hi, b0, b1) in zip(self.members, spans, strict=True)}


def eligible_for_credit(model: SanitationModel, rows: np.ndarray, need: np.ndarray,
                        coop_of: np.ndarray | None = None) -> np.ndarray:
    """Which of ``rows`` may borrow ``need`` rupiah from their own cooperative
    (:meth:`CreditCooperative.eligible` of each row's cooperative, ``model.coop_of_row``;
    ``coop_of``: those of ``rows``, when already gathered).

    The test is elementwise, so when every cooperative lends on the same terms (as it does
    unless a strategy changed some cooperatives' terms) one call over all the rows gives each
    row what its own cooperative's call would: a few small array operations a month instead of
    a few for each cooperative."""
    coops = tuple(model.cooperatives)
    if not coops or rows.size == 0:
        return np.zeros(rows.size, bool)
    if all(c.terms() == coops[0].terms() for c in coops[1:]):
        return coops[0].eligible(rows, need)
    if coop_of is None:
        coop_of = model.coop_of_row[rows]
    ok = np.zeros(rows.size, bool)
    for c, cooperative in enumerate(coops):
        mine = coop_of == c
        ok[mine] = cooperative.eligible(rows[mine], need[mine])
    return ok


def visit_together(model: SanitationModel) -> bool:
    """The sanitarians' visits of this month made at once (:meth:`_Team.visit_together`);
    whether they were (else each sanitarian is to step in turn)."""
    return _Team.visit_together(model)


def close_loans(hh: Households, rows: np.ndarray) -> None:
    """The households' loan records cleared: the loans of ``rows`` repaid or written off."""
    hh.loan_coop[rows] = -1
    hh.loan_principal[rows] = 0.0
    hh.loan_installment[rows] = 0.0
    hh.loan_missed[rows] = 0


class CreditCooperative(mesa.Agent):
    """A koperasi lending for toilets from a revolving fund.

    Books (rupiah): ``cash + outstanding + written_off == starting_fund + injected +
    interest_collected`` holds after every operation: lending moves cash to outstanding, a
    payment moves its principal part back to cash and adds its interest part to both sides, a
    write-off moves outstanding to written_off, and money put in by a programme
    (:meth:`inject`) adds to cash and to ``injected``.
    """

    def __init__(self, model: SanitationModel, index: int, params) -> None:
        super().__init__(model)
        self.index = index
        self.starting_fund = params["cooperatives.fund"]
        self.cash = self.starting_fund
        self.outstanding = 0.0
        self.written_off = 0.0
        self.interest_collected = 0.0
        self.injected = 0.0
        self.max_loan = params["cooperatives.max_loan"]
        self.rate = params["cooperatives.monthly_interest"]
        self.tenor = params["cooperatives.tenor_months"]
        self.capacity = params["cooperatives.processing_capacity"]
        self.min_income = params["cooperatives.min_income"]
        self.max_installment_share = params["cooperatives.max_installment_share"]
        self.miss_rate = params["cooperatives.miss_rate"]
        self.cure_rate = params["cooperatives.cure_rate"]
        self.arrears_after = params["cooperatives.arrears_after"]
        self.write_off_after = params["cooperatives.write_off_after"]
        self.loans_issued = 0
        self.loans_written_off = 0
        self.loans_repaid = 0
        self.repaid_loans_this_month = 0
        self.issued_this_month = 0
        self.written_off_this_month = 0
        self.processed_this_month = 0
        self.repaid_this_month = 0.0
        #: This cooperative's borrowers, ascending, and the ``loan_coop`` array they belong
        #: to: kept as loans are issued and closed (:meth:`borrowers`).
        self._borrowers: tuple[np.ndarray, np.ndarray] | None = None

    # -- terms ------------------------------------------------------------------------
    def installment(self, principal: np.ndarray | float) -> np.ndarray | float:
        """Annuity payment (rupiah per month) that repays ``principal`` over the tenor."""
        r, n = self.rate, self.tenor
        if r == 0:
            return principal / n
        return principal * r / (1 - (1 + r) ** -n)

    def terms(self) -> tuple[float, ...]:
        """What :meth:`eligible` reads of this cooperative: its loan terms."""
        return (self.max_loan, self.min_income, self.rate, self.tenor,
                self.max_installment_share)

    def eligible(self, rows: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Which households may borrow ``need`` rupiah under this cooperative's terms."""
        hh = self.model.households
        return ((need <= self.max_loan) & (hh.income[rows] >= self.min_income)
                & (self.installment(need) <= self.max_installment_share * hh.income[rows])
                & (hh.loan_coop[rows] < 0) & ~hh.defaulted[rows])

    @property
    def books_balance(self) -> float:
        """Zero when the books balance (up to rounding)."""
        return (self.cash + self.outstanding + self.written_off
                - self.starting_fund - self.injected - self.interest_collected)

    def inject(self, amount: float) -> None:
        """Add ``amount`` rupiah of outside money (a programme's capital) to the loan fund.

        The giver books the transfer; here it only enters the cooperative's books.
        """
        if amount < 0:
            raise ValueError("negative injection")
        self.cash += amount
        self.injected += amount

    # -- monthly ----------------------------------------------------------------------
    def step(self) -> None:
        self.issued_this_month = self.written_off_this_month = self.processed_this_month = 0
        self.repaid_loans_this_month = 0
        self.repaid_this_month = 0.0
        self.collect()
        self.approve()

    def borrowers(self) -> np.ndarray:
        """Rows holding a loan of this cooperative, ascending (as ``flatnonzero`` gives them,
        so sums over them add in the same order). Kept from month to month: loans are given
        and closed only here (:meth:`approve`, :meth:`_clear`), so a scan of every household
        is needed only when the households' loan array is a new one."""
        loan_coop = self.model.households.loan_coop
        kept = self._borrowers
        if kept is None or kept[0] is not loan_coop:
            kept = self._borrowers = (loan_coop, np.flatnonzero(loan_coop == self.index))
        return kept[1]

    def _keep_borrowers(self, rows: np.ndarray) -> None:
        self._borrowers = (self.model.households.loan_coop, rows)

    def collect(self) -> None:
        """Collect instalments; count misses; move loans to arrears; write off."""
        model = self.model
        hh = model.households
        key = month_key(model.streams.monthly("credit", model.month))  # drawn every month
        rows = self.borrowers()
        if rows.size == 0:
            return
        u = row_uniforms(key, rows)  # each borrower's own number (draws.row_uniforms)
        pays, payers, interest, amount, principal_part = self.instalments(rows, u)
        closed = payers[hh.loan_principal[payers] <= 0.5]
        missers = rows[~pays]
        hh.loan_missed[missers] += 1
        gone = missers[hh.loan_missed[missers] >= self.arrears_after + self.write_off_after]
        if self.book_collection(interest, principal_part, amount, hh.loan_principal[closed],
                                hh.loan_principal[gone]):
            hh.defaulted[gone] = True
            self._clear(np.concatenate((closed, gone)))

    def book_collection(self, interest: np.ndarray, principal_part: np.ndarray,
                        amount: np.ndarray, residue: np.ndarray, lost: np.ndarray) -> bool:
        """Book a month's collection: the instalments paid (their interest, principal parts
        and amounts), the loans closed (``residue``: each one's rounding residue, at most 0.5)
        and those written off (``lost``: each one's principal); whether any loan ended.
        (:mod:`sanisim.lending` books each cooperative's block so.)"""
        self.interest_collected += interest.sum()
        self.outstanding -= principal_part.sum()
        self.repaid_this_month = amount.sum()
        self.cash += self.repaid_this_month
        self.model.book("households", "loan_repayments", self.repaid_this_month)
        self.repaid_loans_this_month = residue.size
        if residue.size:
            left = residue.sum()
            self.cash += left
            self.outstanding -= left
            self.loans_repaid += residue.size
        self.written_off_this_month = lost.size
        if lost.size:
            written = lost.sum()
            self.outstanding -= written
            self.written_off += written
            self.loans_written_off += lost.size
        return bool(residue.size or lost.size)

    def instalments(self, rows: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, ...]:
        """This month's instalments of the borrowers ``rows`` (each with its own uniform
        ``u``) on this cooperative's terms: whether each pays (``pays``), and the payers'
        rows, interest, amounts paid and principal parts, their loans brought down and their
        missed payments cleared. (:mod:`sanisim.lending` passes every cooperative's
        borrowers at once when all lend on the same terms.)"""
        model = self.model
        hh = model.households
        in_arrears = hh.loan_missed[rows] >= self.arrears_after
        burden = hh.loan_installment[rows] / hh.income[rows]
        p_miss = np.where(in_arrears, 1.0 - self.cure_rate,
                          np.minimum(1.0, self.miss_rate * burden / 0.1))
        pays = (u >= p_miss) & ~model.shocked[rows]
        payers = rows[pays]
        principal = hh.loan_principal[payers]
        interest = principal * self.rate
        amount = np.minimum(hh.loan_installment[payers], principal + interest)
        principal_part = amount - interest
        hh.loan_principal[payers] = principal - principal_part
        hh.loan_missed[payers] = 0
        return pays, payers, interest, amount, principal_part

    def _clear(self, rows: np.ndarray) -> None:
        kept = self.borrowers()  # ascending, and holding every row of ``rows``
        stay = np.ones(kept.size, bool)
        stay[kept.searchsorted(rows)] = False
        self._keep_borrowers(kept[stay])
        close_loans(self.model.households, rows)

    def approve(self) -> None:
        """Approve waiting applications, referred first, while capacity and cash last."""
        model = self.model
        key = month_key(model.streams.monthly("credit_queue", model.month))  # every month
        applicants = model.waiting_applications  # listed once for every cooperative
        if applicants is None:  # stepped outside the model's phase
            applicants = model.households.applying.nonzero()[0]  # few rows: then its own
        applicants = applicants[model.coop_of_row[applicants] == self.index]  # ascending
        if applicants.size == 0 or self.capacity == 0:
            return
        keys = row_uniforms(key, applicants)  # each applicant's own number
        order = lex_order(keys, ~model.households.referred[applicants])
        self.lend_to(applicants[order][: self.capacity])

    def lend_to(self, queue: np.ndarray) -> None:
        """Assess the month's ``queue`` of applicants in its order (at most the capacity):
        lend to those still eligible and needing a loan while the cash lasts, and start their
        building."""
        self.processed_this_month = queue.size
        ok, need, down = self.assess(queue)
        queue, need, down = queue[ok], need[ok], down[ok]
        affordable = need.cumsum() <= self.cash
        queue, need, down = queue[affordable], need[affordable], down[affordable]
        if queue.size == 0:
            return
        self.open_loans(queue, need, self.index)
        self.book_loans(queue, need.sum())
        self.model.start_building(queue, Rung.BASIC, paid_by_household=down)

    def assess(self, queue: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The applicants of ``queue`` priced now: whether each is still eligible on these
        terms and needs a loan (the others' applications end), each one's loan and down
        payment (its savings, up to the price)."""
        model = self.model
        hh = model.households
        price = model.price_to_basic(queue)
        down = np.minimum(hh.savings[queue], price)
        need = price - down
        # terms may have changed since they applied; nothing to lend if savings now suffice
        ok = self.eligible(queue, need) & (need > 0)
        hh.applying[queue[~ok]] = False
        return ok, need, down

    def open_loans(self, rows: np.ndarray, need: np.ndarray, coop: int | np.ndarray) -> None:
        """The households' records of new loans of ``need`` rupiah on these terms, held
        with cooperative ``coop`` (one index, or one per row)."""
        hh = self.model.households
        hh.loan_coop[rows] = coop
        hh.loan_principal[rows] = need
        hh.loan_installment[rows] = self.installment(need)
        hh.loan_missed[rows] = 0

    def book_loans(self, queue: np.ndarray, lent: float) -> None:
        """Book the month's new loans to ``queue`` (``lent`` rupiah in all): borrowers kept,
        cash lent out, the ledger. (:mod:`sanisim.lending` books each cooperative's block
        so.)"""
        # new borrowers hold no loan yet (eligible): a sort of the two, no search for repeats
        merged = np.concatenate([self.borrowers(), queue])
        merged.sort()
        self._keep_borrowers(merged)
        self.cash -= lent
        self.outstanding += lent
        self.loans_issued += queue.size
        self.issued_this_month = queue.size
        self.model.book("cooperatives", "loans_disbursed", lent)
