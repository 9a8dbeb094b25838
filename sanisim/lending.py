"""The cooperatives' month done at once, when they lend alike (:func:`lend_together`).

Each cooperative steps in turn (:meth:`~sanisim.agents.CreditCooperative.step`): it collects
from its own borrowers, then approves its own applicants, each a few dozen small array
operations. A district modelled with its institutions in proportion has many cooperatives
(200 at 1,000,000 households for the default scenario's 2 at 10,000), and those operations
then cost more than the households' own: 37 ms of a 117 ms month at 1,000,000 households.

Together, the elementwise part of every collection is one pass over all borrowers, and that of
every approval one pass over all applicants; what is each cooperative's own (its sums, books,
cash limit and kept borrowers) is then taken over its block, in the cooperatives' order. The
numbers are those of the cooperatives stepping in turn:

- each cooperative's borrowers and applicants are its own rows (a household belongs to one
  cooperative), and a collection or approval changes nothing that another cooperative reads;
- each cooperative's key is the one it would draw (the i-th of the month's block of the
  ``credit`` and ``credit_queue`` streams) and each row's uniform depends only on its key and
  the row (:func:`~sanisim.draws.row_uniforms`);
- sums are taken over the same rows in the same order as each cooperative's own (numpy's
  pairwise sum of a slice; a segmented sum such as ``np.add.reduceat`` adds in another order),
  and the books and the ledger receive them in the cooperatives' order;
- the collections all come before the approvals, where in turn they alternate: the two book
  different ledger items, and an approval reads only its own cooperative's rows and books.

It applies when every cooperative is a plain :class:`~sanisim.agents.CreditCooperative` on the
same terms (a strategy may change some cooperatives' terms: then each steps in turn) and there
are at least :data:`LEND_TOGETHER_FROM` of them. While a builder is open (an entrepreneur or
a voucher), an approval quotes and orders through it, and the builder answers calls in the
order they come. The approvals are still made at once when one builder is open that takes
orders in parts, each cooperative's a batch of its own (``orders_in_parts``), and whose quotes
and orders of this month's rows do not depend on their order (``orders_commute``: the
entrepreneurs' discount budget covers every row's discount, or not even the smallest);
otherwise each cooperative assesses in turn its queue, found with the others'.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from sanisim.agents import CreditCooperative, acting_as_written, close_loans
from sanisim.draws import lex_order, month_keys, row_uniforms
from sanisim.ladder import Rung
from sanisim.rowblocks import bounds_within

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

#: From this many cooperatives on, the phase is done at once (:func:`lend_together`). Below
#: it the per-cooperative calls are fewer than the shared pass's own (measured in
#: ``docs/performance.md``, "What is in place").
LEND_TOGETHER_FROM = 4

#: What a collection and an approval read of a cooperative besides its books and capacity.
_terms = attrgetter("max_loan", "min_income", "rate", "tenor", "max_installment_share",
                    "miss_rate", "cure_rate", "arrears_after", "write_off_after")
#: A cooperative's methods that stepping in turn would call.
_OWN = frozenset(("step", "collect", "approve", "lend_to", "assess", "open_loans",
                  "instalments", "book_collection", "book_loans"))


def alike(coops: tuple[CreditCooperative, ...]) -> bool:
    """Whether ``coops`` lend alike: plain cooperatives (no subclass, no method of their own)
    on the same terms."""
    terms = _terms(coops[0])
    return (acting_as_written(coops, CreditCooperative, _OWN)
            and all(_terms(c) == terms for c in coops))


def lend_together(model: SanitationModel) -> bool:
    """Every cooperative's month at once (the cooperatives' phase); whether it was done (else
    nothing was, and each is to step in turn). See the module docs."""
    coops = tuple(model.cooperatives)
    if (len(coops) < LEND_TOGETHER_FROM or model.waiting_applications is None
            or not alike(coops)):
        return False
    for c in coops:  # what step resets
        c.issued_this_month = c.written_off_this_month = c.processed_this_month = 0
        c.repaid_loans_this_month = 0
        c.repaid_this_month = 0.0
    _collect(model, coops)
    _approve(model, coops)
    return True


def _keys(model: SanitationModel, stream: str, count: int) -> np.ndarray:
    """The month's first ``count`` keys of a monthly stream: the one each cooperative draws
    in turn."""
    return month_keys(model.streams.monthly(stream, model.month), count)


def _cuts(counts: np.ndarray) -> list[int]:
    """Block bounds of consecutive blocks of ``counts`` rows."""
    return [0, *np.cumsum(counts).tolist()]


def _collect(model: SanitationModel, coops: tuple[CreditCooperative, ...]) -> None:
    """:meth:`CreditCooperative.collect` of every cooperative."""
    hh = model.households
    first = coops[0]
    keys = _keys(model, "credit", len(coops))  # drawn every month, as in turn
    held = [c.borrowers() for c in coops]
    sizes = np.fromiter((r.size for r in held), np.intp, len(held))
    if not sizes.any():
        return
    rows = np.concatenate(held)
    cuts = _cuts(sizes)
    u = row_uniforms(keys.repeat(sizes), rows)
    pays, payers, interest, amount, principal_part = first.instalments(rows, u)  # (alike)
    shut = hh.loan_principal[payers] <= 0.5
    closed = payers[shut]
    residue = hh.loan_principal[closed]

    missers = rows[~pays]
    hh.loan_missed[missers] += 1
    lost = hh.loan_missed[missers] >= first.arrears_after + first.write_off_after
    gone = missers[lost]
    lost_principal = hh.loan_principal[gone]

    pay_cuts = bounds_within(pays, cuts)
    closed_cuts = bounds_within(shut, pay_cuts)
    miss_cuts = [a - b for a, b in zip(cuts, pay_cuts, strict=True)]
    gone_cuts = bounds_within(lost, miss_cuts)
    changed = False
    for i, c in enumerate(coops):
        if sizes[i] == 0:  # (in turn: nothing collected, nothing booked)
            continue
        lo, hi = pay_cuts[i], pay_cuts[i + 1]
        changed |= c.book_collection(interest[lo:hi], principal_part[lo:hi], amount[lo:hi],
                                     residue[closed_cuts[i]:closed_cuts[i + 1]],
                                     lost_principal[gone_cuts[i]:gone_cuts[i + 1]])
    if not changed:
        return
    hh.defaulted[gone] = True
    close_loans(hh, np.concatenate((closed, gone)))
    stay = np.ones(rows.size, bool)  # the borrowers kept: each block less its ended loans
    at = pays.nonzero()[0]
    stay[at[shut]] = False
    at = (~pays).nonzero()[0]
    stay[at[lost]] = False
    kept = rows[stay]
    stay_cuts = bounds_within(stay, cuts)
    for i, c in enumerate(coops):
        if stay_cuts[i + 1] - stay_cuts[i] != sizes[i]:
            c._keep_borrowers(kept[stay_cuts[i]:stay_cuts[i + 1]])


def _applicants(model: SanitationModel, coops: tuple[CreditCooperative, ...]
                ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The month's ``credit_queue`` key of each cooperative, the waiting applicants by
    cooperative (ascending within each, as each would find its own) and their block
    bounds."""
    keys = _keys(model, "credit_queue", len(coops))  # drawn every month, as in turn
    applicants = model.waiting_applications
    owner = model.coop_of_row[applicants]
    by = owner.argsort(kind="stable")
    counts = np.bincount(owner, minlength=len(coops))
    return keys, applicants[by], _cuts(counts)


def in_parts(model: SanitationModel, queue: np.ndarray) -> bool:
    """Whether the cooperatives' queues can be priced and ordered as one (else each
    cooperative approves in turn): no builder open, or one that takes orders in parts and
    whose quotes and orders of these rows do not depend on each other's order
    (``orders_commute``; an entrepreneur's discount budget may run out between two
    cooperatives' orders)."""
    builders = model.open_builders()
    if not builders:
        return True
    if len(builders) > 1:
        return False
    builder = builders[0]
    return (getattr(builder, "orders_in_parts", False)
            and builder.orders_commute(model, queue))


def _approve(model: SanitationModel, coops: tuple[CreditCooperative, ...]) -> None:
    """:meth:`CreditCooperative.approve` of every cooperative."""
    hh = model.households
    first = coops[0]
    keys, applicants, cuts = _applicants(model, coops)
    if applicants.size == 0:
        return
    counts = np.diff(cuts)
    owner = np.repeat(np.arange(len(coops), dtype=np.intp), counts)
    capacity = np.fromiter((c.capacity for c in coops), np.int64, len(coops))
    # each block's queue: referred first, then by the applicant's own number, then by
    # position (lex_order within the block), cut to the cooperative's capacity
    u = row_uniforms(keys.repeat(counts), applicants)
    order = lex_order(u, owner * 2 + ~hh.referred[applicants])
    rank = np.arange(applicants.size) - np.asarray(cuts[:-1], np.intp).repeat(counts)
    take = rank < capacity[owner]
    queue = applicants[order[take]]
    owner = owner[take]  # blocks keep their places in the order
    processed = np.minimum(counts, capacity)  # each block's queue, in the blocks' order
    if not in_parts(model, queue):  # each assesses its own queue in turn
        queue_cuts = _cuts(processed)
        for c, lo, hi in zip(coops, queue_cuts[:-1], queue_cuts[1:], strict=True):
            if hi > lo:  # (in turn: no applicant or no capacity, nothing assessed)
                c.lend_to(queue[lo:hi])
        return
    for c, n in zip(coops, processed.tolist(), strict=True):
        c.processed_this_month = n
    if queue.size == 0:
        return
    ok, need, down = first.assess(queue)  # (alike: the same terms)
    queue, need, down, owner = queue[ok], need[ok], down[ok], owner[ok]
    cuts = _cuts(np.bincount(owner, minlength=len(coops)))
    affordable = np.zeros(queue.size, bool)
    for i, c in enumerate(coops):
        lo, hi = cuts[i], cuts[i + 1]
        if hi > lo:
            affordable[lo:hi] = need[lo:hi].cumsum() <= c.cash
    queue, need, down, owner = (queue[affordable], need[affordable], down[affordable],
                                owner[affordable])
    if queue.size == 0:
        return
    cuts = bounds_within(affordable, cuts)
    parts = [0]
    for i, c in enumerate(coops):
        lo, hi = cuts[i], cuts[i + 1]
        if hi == lo:
            continue
        c.book_loans(queue[lo:hi], need[lo:hi].sum())
        parts.append(hi)
    first.open_loans(queue, need, owner)
    model.start_building(queue, Rung.BASIC, paid_by_household=down, parts=parts)
