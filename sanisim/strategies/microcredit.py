"""Micro-credit: the cooperatives' toilet loans (kredit jamban), expanded and offered.

The routine credit market is part of the model: a household that decides to build and lacks
the savings applies to its cooperative if it is eligible; the cooperative assesses up to its
processing capacity a month (referred households first), lends while its fund has cash,
collects instalments and writes off loans in long arrears, so defaults shrink the fund
(:class:`~sanisim.agents.CreditCooperative`). This strategy changes that market while active:

* **Capital**: in its first month it puts ``fund_injection`` rupiah into each cooperative's
  loan fund (booked to the funder; in the cooperative's books as ``injected``). The money
  stays in the fund and revolves after the strategy ends.
* **Terms** (``tenor_months``, ``monthly_interest``, ``max_loan``, ``min_income``; -1 keeps
  the scenario's) and ``extra_processing`` capacity hold from ``start`` to ``end``; the
  scenario's terms return the month after. Interest accrues on each cooperative's outstanding
  principal at its current rate (a variable-rate product); instalments are fixed at approval.
* **Offers** (phase ``sanitarians``): loan officers offer a loan to up to ``offers_per_month``
  households per cooperative who are below basic, lack the savings, have no loan and qualify
  under the terms — through ``channel`` "referral" (only households a sanitarian or cadre has
  referred) or "open" (any such household, in random order). An offer closes
  ``offer_effect`` of the gap to 1 of *ability* (affordability is part of the RANAS ability
  block; a loan offer raised willingness to buy from 25% to 60% in BenYishay et al. 2017)
  and puts the household first in the cooperative's queue. Offers cost ``offer_cost``. With
  ``mechanisms.point_of_sale`` the offer also asks for a decision on the spot
  (:func:`sanisim.purchase.offer` with a loan).
* **Diversion**: a share ``diversion_share`` of the loans issued while active is used for
  other needs (Augsburg et al. 2019: about half of labelled loans in Maharashtra): the
  household keeps the debt, builds nothing, and its down payment stays in its savings.

With a reach (e.g. a trial arm, :mod:`sanisim.evidence.trial`), offers and diversion concern
households in reach only, and terms and capital go only to the cooperatives that serve a
household in reach; a cooperative serving households in and out of reach applies its terms to
all of them (randomise by village with one cooperative per village to keep credit arms apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim import purchase
from sanisim.agents import eligible_for_credit
from sanisim.behaviour import raise_factors
from sanisim.draws import lex_order, stable_order
from sanisim.lending import LEND_TOGETHER_FROM, in_parts
from sanisim.parameters import Param
from sanisim.rowblocks import ranges
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, and_not, open_below_basic

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

#: strategy parameter -> CreditCooperative attribute (-1: keep the scenario's value)
TERMS = {"tenor_months": "tenor", "monthly_interest": "rate", "max_loan": "max_loan",
         "min_income": "min_income"}
NEVER = -10_000


@register
class Microcredit(Programme):
    """Fund injection, better terms and loan offers for toilet loans (see module docs)."""

    type_name: ClassVar[str] = "microcredit"
    OUTPUTS: ClassVar[tuple[str, ...]] = ("offers", "injected", "diverted", "spent")
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("channel", "referral", "",
              "How loans are offered: 'referral' (only to households referred by a "
              "sanitarian or cadre) or 'open' (to any qualifying household).",
              "model switch", choices=("referral", "open")),
        Param("offers_per_month", 25, "offers per cooperative-month",
              "Loan offers one cooperative's officers make in a month.", "assumption",
              0, 1_000_000),
        Param("offer_effect", 0.3, "share of gap to 1",
              "Share of the gap to 1 of ability (affordability) closed by a loan offer.",
              "assumption, after BenYishay et al. 2017 (willing to buy at full price "
              "25% -> 60% with a loan offer)", 0.0, 1.0),
        Param("reoffer_after", 12, "months",
              "Months before a household can get another offer.", "assumption", 1, 600),
        Param("offer_cost", 10_000.0, "rupiah per offer",
              "Cost of one loan offer (officer time, transport).", "assumption", 0.0, 1e8),
        Param("fund_injection", 0.0, "rupiah per cooperative",
              "Capital put into each cooperative's loan fund in the first month.",
              "assumption; Jombang revolving fund and Kopsyah BMI (Rp 85.4 bn lent) show "
              "funds of this kind", 0.0, 1e13),
        Param("extra_processing", 0, "applications per cooperative-month",
              "Applications a cooperative can assess in a month on top of its own capacity.",
              "assumption", 0, 1_000_000),
        Param("tenor_months", -1, "months",
              "Loan term while active (-1: the scenario's cooperatives.tenor_months).",
              "Kopsyah BMI 3 years; KOMIDA up to 2 years", -1, 120),
        Param("monthly_interest", -1.0, "per month",
              "Interest rate while active (-1: the scenario's cooperatives.monthly_interest).",
              "BPR Kab. Bandung 9% over 2 years; Cambodia 2.8%/month", -1.0, 0.2),
        Param("max_loan", -1.0, "rupiah",
              "Largest toilet loan while active (-1: the scenario's cooperatives.max_loan).",
              "BPR Kab. Bandung Rp 0.9-2.5 M; KKUM Bogor Rp 5.0 M", -1.0, 1e9),
        Param("min_income", -1.0, "rupiah per month",
              "Lowest income lent to while active (-1: the scenario's "
              "cooperatives.min_income).", "assumption", -1.0, 1e9),
        Param("diversion_share", 0.0, "share of loans",
              "Share of loans issued while active that households use for other needs.",
              "assumption: loans paid in kind to the builder (cooperative package, Lumajang "
              "2020) are hard to divert; Augsburg et al. 2019 found about half diverted "
              "when paid in cash", 0.0, 1.0),
    )

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        n = model.households.n
        self.offered_month = np.full(n, NEVER, np.int32)
        self.changes_terms = self.extra_processing > 0 or any(
            self.config[key] != -1 for key in TERMS)
        self.lingers = self.changes_terms  # to restore the scenario's terms after the end
        self.saved_terms: list[dict[str, float]] | None = None
        self.injected = 0.0
        self.offers_this_month = 0
        self.diverted_this_month = 0
        self.diverted_total = 0
        self.had_loan: np.ndarray | None = None
        # terms and capital go to the cooperatives that serve households in reach
        self.serves = [self.reach is None or bool(self.reach[model.coop_of_row == c].any())
                       for c in range(len(model.cooperatives))]

    # ---------------------------------------------------------------- hooks
    def on_programmes(self, model: SanitationModel) -> None:
        self.offers_this_month = self.diverted_this_month = 0
        if not self.acting(model.month):
            if self.saved_terms is not None:
                self._restore_terms(model)
            return
        if self.saved_terms is None and self.changes_terms:
            self._apply_terms(model)
        if model.month == self.start and self.fund_injection > 0:
            self._inject(model)

    def on_sanitarians(self, model: SanitationModel) -> None:
        if self.acting(model.month) and self.offers_per_month > 0:
            self._offer(model)

    def on_finance(self, model: SanitationModel) -> None:
        if self.acting(model.month) and self.diversion_share > 0:
            self.had_loan = model.households.loan_coop >= 0

    def on_cooperatives(self, model: SanitationModel) -> None:
        if self.acting(model.month) and self.had_loan is not None:
            self._divert(model)
            self.had_loan = None

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        return self.named({"offers": self.offers_this_month, "injected": self.injected,
                           "diverted": self.diverted_this_month, "spent": self.spent})

    # ---------------------------------------------------------------- mechanisms
    def _apply_terms(self, model: SanitationModel) -> None:
        self.saved_terms = []
        for coop, serves in zip(model.cooperatives, self.serves, strict=True):
            if not serves:
                self.saved_terms.append({})
                continue
            self.saved_terms.append({attr: getattr(coop, attr)
                                     for attr in (*TERMS.values(), "capacity")})
            for key, attr in TERMS.items():
                if self.config[key] != -1:
                    setattr(coop, attr, self.config[key])
            coop.capacity += self.extra_processing

    def _restore_terms(self, model: SanitationModel) -> None:
        for coop, saved in zip(model.cooperatives, self.saved_terms, strict=True):
            for attr, value in saved.items():
                setattr(coop, attr, value)
        self.saved_terms = None
        self.lingers = False

    def _inject(self, model: SanitationModel) -> None:
        coops = [c for c, serves in zip(model.cooperatives, self.serves, strict=True) if serves]
        funded = self.affordable(self.fund_injection, len(coops))
        for coop in coops[:funded]:
            coop.inject(self.fund_injection)
            self.injected += self.fund_injection
        if funded:
            self.spend(model, funded * self.fund_injection, "credit_fund_injection")

    def _offer(self, model: SanitationModel) -> None:
        hh = model.households
        rows = self._open_to_offers(model)
        keys = self.rng.random(rows.size)
        need = model.price_to_basic(rows, record=False) - hh.savings[rows]
        per_offer = max(self.offer_cost, 0.0)
        coop_of, able = model.coop_of_row[rows], need > 0  # (once for every cooperative)
        # an offer changes only its own rows, none of another cooperative's: who is eligible
        # is known for every cooperative at the start
        able[able] = eligible_for_credit(model, rows[able], need[able], coop_of[able])
        if self._offer_together(model, rows, keys, coop_of, able, per_offer):
            return
        for c in range(len(model.cooperatives)):
            mine = (coop_of == c) & able
            room = self.affordable(per_offer, self.offers_per_month)
            picked = mine.nonzero()[0]
            picked = rows[picked[stable_order(keys[picked])[:room]]]
            if picked.size:
                self._make_offers(model, picked, [0, picked.size], per_offer)

    def _make_offers(self, model: SanitationModel, picked: np.ndarray, parts: list[int],
                     per_offer: float) -> None:
        """Loan offers to ``picked``: the offers of consecutive cooperatives, the i-th's
        ``picked[parts[i]:parts[i + 1]]`` (none empty), each a sale on the spot and each
        cooperative's spending booked as its own."""
        hh = model.households
        raise_factors(hh, picked, ("ability",), self.offer_effect)
        purchase.offer(model, picked, loan=True, parts=parts if len(parts) > 2 else None)
        hh.referred[picked] = True
        self.offered_month[picked] = model.month
        self.offers_this_month += picked.size
        if per_offer:
            for lo, hi in zip(parts[:-1], parts[1:], strict=True):
                self.spend(model, (hi - lo) * per_offer, "loan_offers")

    def _offer_together(self, model: SanitationModel, rows: np.ndarray, keys: np.ndarray,
                        coop_of: np.ndarray, able: np.ndarray, per_offer: float) -> bool:
        """Every cooperative's offers of the month at once, as :meth:`_offer` makes them in
        turn; whether they were made (else nothing was done). From
        :data:`sanisim.lending.LEND_TOGETHER_FROM` cooperatives on, when the strategy pays
        from its own budget.

        In turn, cooperative ``c`` offers to its ``room`` eligible rows of lowest key, its
        room what the budget left after those before it pays for (a scalar loop, the same
        sums as the spending in turn), and each offer is a sale on the spot
        (:func:`sanisim.purchase.offer`). The rows picked are one block per cooperative,
        the offers one call in parts: the same draws, and each offer's purchases started as
        its own call, where the open builder's quotes and orders of these rows do not
        depend on their order (:func:`sanisim.lending.in_parts`, asked of every row picked:
        the purchases are among them)."""
        coops = model.cooperatives
        if len(coops) < LEND_TOGETHER_FROM or self.government is not None:
            return False
        eligible = able.nonzero()[0]
        owner = coop_of[eligible]
        order = lex_order(keys[eligible], owner)
        counts = np.bincount(owner, minlength=len(coops)).tolist()
        picked_n, spent = [], self.spent
        for count in counts:  # each cooperative's room, as affordable gives it in turn
            n = min(count, self.affordable(per_offer, self.offers_per_month, self.budget - spent))
            picked_n.append(n)
            if per_offer and n:
                spent += n * per_offer
        starts = np.cumsum(counts) - counts
        picked = rows[eligible[order[ranges(starts, picked_n)]]]
        if picked.size and not in_parts(model, picked):
            return False
        if picked.size:
            parts = np.cumsum([0, *(n for n in picked_n if n)]).tolist()
            self._make_offers(model, picked, parts, per_offer)
        return True

    def _open_to_offers(self, model: SanitationModel) -> np.ndarray:
        """Rows a loan officer may make an offer to this month (sorted): below basic (and
        referred, by the referral channel), not building, without a loan or a default or an
        application, not offered for ``reoffer_after`` months, within reach.

        One mask of every household, then its rows (:func:`open_below_basic`): 50 against
        100 µs for the rows below basic gathered and filtered, at 100,000 households."""
        hh = model.households
        # month - offered_month >= reoffer_after, as one comparison (int32, no overflow)
        open_ = open_below_basic(hh, out=self.offered_month <= model.month - self.reoffer_after)
        if self.channel == "referral":
            open_ &= hh.referred
        open_ &= hh.loan_coop < 0
        and_not(open_, hh.defaulted)
        and_not(open_, hh.applying)
        return self.within_reach(open_.nonzero()[0])

    def _divert(self, model: SanitationModel) -> None:
        hh = model.households
        new = self.within_reach(np.flatnonzero((hh.loan_coop >= 0) & ~self.had_loan))
        diverted = new[self.rng.random(new.size) < self.diversion_share]
        if diverted.size == 0:
            return
        down = model.price_to_basic(diverted) - hh.loan_principal[diverted]
        if model.params["behaviour.money_constraint"]:
            hh.savings[diverted] += down
        model.book("households", "construction", -float(down.sum()))  # nothing was built
        hh.build_left[diverted] = -1
        self.diverted_this_month = diverted.size
        self.diverted_total += diverted.size
