"""The purchase decision: willingness to pay, offers at the point of sale, and sharing.

**Willingness to pay** (``mechanisms.willingness_to_pay``). Each household has a
willingness to pay ``W_i`` for an own improved toilet, drawn once (stream ``purchase``)::

    W_i = wtp_income_months * income_i * exp(wtp_sigma * z_i),   z_i ~ N(0, 1)

A household that has decided to build buys a toilet only at a price ``P <= W_i``; the price is
the one actually offered (market, entrepreneur's package, a voucher's or a subsidy's
reduction: :meth:`SanitationModel.price_to_basic`). Money still has to be found (savings, a
loan). Below its willingness to pay a household turns to the cheaper options (sharing, a pit).
A repair (``costs.repair_share`` of the price) is within reach of more households.

**Point of sale** (``mechanisms.point_of_sale``). An offer made to a household in person —
an entrepreneur's sales visit, a loan officer's offer, a voucher — asks for a decision on the
spot: with probability ``purchase.pos_conversion`` a household below basic for whom the offered
price is within its willingness to pay, and who can pay it (from savings, or with the loan on
offer), decides there and then (BenYishay et al. 2017: purchases among non-owners 12% -> 50%
within the sales window when a loan came with the offer). Households paying from savings start
building; those relying on the loan apply at once, first in the cooperative's queue.

**Saving up** (``mechanisms.saving``). A decision has a route: the same uniform draw that
decides falls below the community part of the hazard (``c_i * M_i``, :mod:`sanisim.community`)
when the community pressed it — a plan or a sanction asks the household to stop open
defecation, by the cheapest way at hand — and above it when the household decided on an own
improved toilet (the Bass part, ``(p + q D_i) M_i``). A household at open defecation whose
improved toilet is out of reach (price above its willingness to pay, or no money and no loan)
takes the cheap option (sharing, a pit) at once when pressed; otherwise it keeps saving for the
toilet while its intention lasts, giving up and taking the cheap option with probability
``purchase.fallback`` a month (open defecation falls slowly without a programme: Patil et al.
2014 control arm; Yeboah-Antwi et al. 2019). Off, every decider who cannot pay falls back at once.

**Technology** (``mechanisms.technology``). Two improved technologies reach basic: a toilet
with a contained septic tank (``costs.toilet``; it can be emptied and become safely managed)
and a cheaper pour-flush toilet over a lined pit (``costs.basic_pit``; ``households.pit_toilet``,
never safely managed), built by local masons. A household unwilling to pay the septic price, or
falling back at open defecation, builds the pit toilet when it is within its willingness to pay
and savings (:meth:`SanitationModel.buy_pit_toilet`).

**Sharing** (``mechanisms.sharing``). A household at open defecation that does not buy a
toilet shares (with probability ``sharing.preference``, or always when it cannot afford a pit;
otherwise it digs its own pit) the toilet of a household in its own RT that has a working
toilet and room: at most
``sharing.max_guests`` sharing households per host, each paying ``sharing.fee`` a month (from
its savings, to the host's). Hosts are matched at random within the RT. A sharing household
loses access when its host's toilet fails or it cannot pay the fee, and stops sharing when it
builds its own. Sharing households decide and build like any household below basic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sanisim.draws import lex_order, run_ranks
from sanisim.ladder import BASIC_CODE as _BASIC
from sanisim.ladder import LIMITED_CODE as _LIMITED
from sanisim.ladder import Rung
from sanisim.rowblocks import bounds_within

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


def draw_wtp(income: np.ndarray, params, rng: np.random.Generator) -> np.ndarray:
    """Willingness to pay (rupiah) for an own improved toilet, one value per household."""
    z = rng.standard_normal(income.size)
    return params["purchase.wtp_income_months"] * income * np.exp(
        params["purchase.wtp_sigma"] * z)


def draw_landless(income: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Landless households: ``share`` of all, mostly the poorest (income rank plus noise)."""
    n = income.size
    count = int(round(share * n))
    if count == 0:
        return np.zeros(n, bool)
    latent = np.log(income) + 0.5 * rng.standard_normal(n)
    landless = np.zeros(n, bool)
    landless[np.argpartition(latent, count - 1)[:count]] = True
    return landless


def willing(model: SanitationModel, rows: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Whether the offered price is within each row's willingness to pay."""
    if not model.params["mechanisms.willingness_to_pay"]:
        return np.ones(rows.size, bool)
    return model.households.wtp[rows] >= price


def takes_up(model: SanitationModel, rows: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Who of ``rows`` takes up an offer made in person (each with its uniform ``draws``):
    below basic, not building or applying for a loan, and drawn below the conversion."""
    hh = model.households
    return ((draws < model.params["purchase.pos_conversion"]) & (hh.rung[rows] < _BASIC)
            & (hh.build_left[rows] < 0) & ~hh.applying[rows])


def pays_now(model: SanitationModel, rows: np.ndarray, price: np.ndarray,
             keep: np.ndarray | None = None) -> np.ndarray:
    """Who of ``rows`` pays ``price`` on the spot: willing to (``keep``, else
    :func:`willing`) and, with the money constraint, holding the savings."""
    keep = willing(model, rows, price) if keep is None else keep
    if not model.params["behaviour.money_constraint"]:
        return keep
    return keep & (model.households.savings[rows] >= price)


def offer(model: SanitationModel, rows: np.ndarray, loan: bool = False,
          any_technology: bool = False, parts: list[int] | None = None,
          draws: np.ndarray | None = None) -> np.ndarray:
    """A sales offer in person to ``rows``: who decides on the spot (rows returned).

    The price is the one the row would be quoted now (:meth:`price_to_basic`). With ``loan``
    the offer comes with a loan (the cooperative's terms decide, as for any application);
    without, the household must pay from its savings. With ``any_technology`` (a voucher, not
    an entrepreneur's septic toilet) a household that cannot take the septic toilet may take
    the cheaper pit toilet at its reduced price on the spot (``mechanisms.technology``). Does
    nothing when the point-of-sale mechanism is off.

    ``parts``: ``rows`` are those of several offers made as one, the i-th offer's rows
    ``rows[parts[i]:parts[i + 1]]``: the same draws (one after the other from the same
    stream), and each offer's purchases started as its own call would start them
    (:meth:`SanitationModel.start_building` with ``parts``; its conditions hold).

    ``draws``: the offer's uniforms, one per row, when the caller has drawn them from the
    ``purchase:offer`` stream (as this call would, at this point of the stream).
    """
    p, hh = model.params, model.households
    if not p["mechanisms.point_of_sale"] or rows.size == 0:
        return rows[:0]
    if parts is not None and any_technology:
        raise ValueError("offer: parts only for offers of septic toilets")
    if draws is None:
        draws = model.streams["purchase:offer"].random(rows.size)
    took = takes_up(model, rows, draws)
    rows = rows[took]
    price = model.price_to_basic(rows)
    keep = willing(model, rows, price)
    cash = pays_now(model, rows, price, keep)
    if parts is None:
        model.start_building(rows[cash], Rung.BASIC, paid_by_household=price[cash])
    else:  # the offers that started any purchase, each its own part
        cuts = bounds_within(cash, bounds_within(took, parts))
        cuts = [0, *(hi for lo, hi in zip(cuts[:-1], cuts[1:], strict=True) if hi > lo)]
        model.start_building(rows[cash], Rung.BASIC, paid_by_household=price[cash],
                             parts=cuts if len(cuts) > 1 else None)
    decided = cash.copy()
    if any_technology:  # the cheaper toilet the offer also pays for, when within reach
        decided[~cash] = model.bought_pit_toilet(rows[~cash])
    if not loan:
        return rows[decided]
    borrowers = rows[keep & ~decided]
    hh.intent[borrowers] = np.maximum(hh.intent[borrowers], p["behaviour.intent_months"])
    hh.referred[borrowers] = True  # first in the cooperative's queue
    return rows[keep | decided]


# --------------------------------------------------------------------------- sharing


def guests_per_host(hh) -> np.ndarray:
    """Number of sharing households per host row."""
    hosted = hh.host[hh.host >= 0]
    return np.bincount(hosted, minlength=hh.n)


def _guests_among(hosts: np.ndarray, hosted: np.ndarray) -> np.ndarray:
    """Guests of each of ``hosts`` (sorted rows), counted from ``hosted`` (the host row of
    each guest, any of them outside ``hosts`` ignored). :func:`find_hosts` passes the hosts
    of the guests of the seekers' RTs: a household shares a toilet in its own RT only (this
    module finds hosts there), so those are all the guests its candidate hosts have, and
    ``guests_per_host`` over every household is not needed."""
    at = np.minimum(hosts.searchsorted(hosted), max(hosts.size - 1, 0))
    mine = hosts[at] == hosted if hosts.size else np.zeros(hosted.size, bool)
    return np.bincount(at[mine], minlength=hosts.size)


def find_hosts(model: SanitationModel, rows: np.ndarray) -> np.ndarray:
    """Match ``rows`` to hosts with room in their own RT; the host per row (-1: none)."""
    p, hh = model.params, model.households
    hosts = np.full(rows.size, -1, np.int32)
    if rows.size == 0:
        return hosts
    wanted = np.zeros(model.n_rt, bool)
    wanted[hh.rt[rows]] = True  # only the seekers' RTs matter: few rows to sort
    block = model.rows_of_rts(wanted)  # sorted
    host_of = hh.host[block]
    near = block[(hh.rung[block] >= _BASIC) & hh.in_use[block] & (host_of < 0)]
    room = p["sharing.max_guests"] - _guests_among(near, host_of[host_of >= 0])
    able, room = near[room > 0], room[room > 0]
    rng = model.streams["sharing"]
    if able.size == 0:
        return hosts
    slots = able.repeat(room)  # one entry per free place
    slot_rt = hh.rt[slots]
    slot_order = lex_order(rng.random(slots.size), slot_rt)
    slots, slot_rt = slots[slot_order], slot_rt[slot_order]
    want_rt = hh.rt[rows]
    want_order = lex_order(rng.random(rows.size), want_rt)
    # k-th seeker of an RT takes the k-th free place of that RT
    sorted_rt = want_rt[want_order]
    # the free places of each seeker's RT: searched for the seekers' RTs only, not for every
    # RT of the district (the seekers are a handful a month, the RTs thousands)
    slot_start = slot_rt.searchsorted(sorted_rt)
    available = slot_rt.searchsorted(sorted_rt, side="right") - slot_start
    rank = run_ranks(sorted_rt)  # each seeker's place among its RT's seekers
    ok = rank < available
    hosts[want_order[ok]] = slots[slot_start[ok] + rank[ok]]
    # a host counted once per slot; a seeker never hosts itself (it is below basic)
    return hosts


def pay_and_check_sharing(model: SanitationModel) -> None:
    """Sharing households pay their host; those whose host has no working toilet, or who
    cannot pay, lose access (back to open defecation)."""
    p, hh = model.params, model.households
    guests = (hh.host >= 0).nonzero()[0]
    if guests.size == 0:
        return
    host = hh.host[guests]
    fee = p["sharing.fee"]
    lost = (hh.rung[host] < _BASIC) | (hh.rung[guests] != _LIMITED)
    if p["behaviour.money_constraint"] and fee > 0:
        broke = hh.savings[guests] < fee
        paying = ~lost & ~broke
        hh.savings[guests[paying]] -= fee
        np.add.at(hh.savings, host[paying], fee)
        lost |= broke
    gone = guests[lost]
    hh.host[gone] = -1
    gone = gone[hh.rung[gone] == _LIMITED]
    hh.rung[gone] = Rung.OPEN_DEFECATION
