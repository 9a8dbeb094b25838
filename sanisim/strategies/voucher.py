"""Voucher: a price reduction on an own toilet, for eligible households (a partial subsidy).

Unlike :mod:`~sanisim.strategies.subsidy` (the programme builds the toilet), a voucher only
lowers the price the household faces: the household still decides, finds the rest of the
money and builds (Guiteras, Levinsohn & Mobarak 2015, "Encouraging sanitation investment in the
developing world: a cluster-randomized trial", Science: vouchers by lottery to landless poor
households).

Each month (phase ``programmes``) up to ``vouchers_per_month`` eligible households — below
basic, not building, without a voucher so far (poor only if ``poor_only``) — receive one,
chosen by ``targeting``, as far as the budget not yet promised covers its value. A voucher
pays ``value_share`` of the price of the toilet (a new one or a repair, whatever the builder
quotes; with ``covers = "any"`` a toilet with a septic tank or the cheaper pour-flush pit
toilet of ``mechanisms.technology``, whichever the household builds) and is valid for
``valid_months``. While valid the strategy is a :class:`~sanisim.model.Builder` that quotes
the reduced price to its holders; when a holder builds, the voucher is redeemed and its value
booked to the funder (the household pays the rest). With ``mechanisms.point_of_sale`` the
voucher is handed over in person: a decision on the spot at the reduced price
(:func:`sanisim.purchase.offer`). Unredeemed vouchers lapse and their value is released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim import purchase
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, and_not, open_below_basic
from sanisim.targeting import select

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

NONE = -10_000  # valid_until of a household without a voucher


@register
class Voucher(Programme):
    """Vouchers for part of the price of an own toilet (see module docs)."""

    type_name: ClassVar[str] = "voucher"
    OUTPUTS: ClassVar[tuple[str, ...]] = ("issued", "redeemed", "lapsed", "holders", "spent")
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("vouchers_per_month", 100, "vouchers per month",
              "Vouchers the programme can hand out in a month.", "assumption", 0, 10_000_000,
              scales=True),
        Param("value_share", 0.5, "share of price",
              "Share of the quoted price of a toilet that the voucher pays.",
              "assumption; Guiteras, Levinsohn & Mobarak 2015: vouchers for about 75% of the "
              "cost of a hygienic latrine", 0.0, 1.0),
        Param("valid_months", 6, "months", "How long a voucher can be redeemed.",
              "assumption", 1, 600),
        Param("targeting", "lottery", "",
              "Who receives vouchers first: poorest_first, lottery (random), whole_community.",
              "model switch", choices=("poorest_first", "lottery", "whole_community")),
        Param("poor_only", False, "",
              "Whether only households below the poverty line are eligible.", "model switch"),
        Param("covers", "any", "",
              "Which toilets the voucher pays its share of: any (a toilet with a septic tank or "
              "the pour-flush pit toilet of mechanisms.technology, whichever the household "
              "builds) or septic (a contained tank only, as a programme aiming at safely "
              "managed sanitation may require).",
              "model switch; Guiteras, Levinsohn & Mobarak 2015 and the Total Sanitation "
              "Campaign (Patil et al. 2014) paid for pit latrines", choices=("any", "septic")),
    )

    @property
    def any_technology(self) -> bool:
        """Whether the voucher reduces the price of a pit toilet too (:class:`Builder`)."""
        return self.covers == "any"

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        self.valid_until = np.full(model.households.n, NONE, np.int32)
        self.ever = np.zeros(model.households.n, bool)
        self.full_price = np.zeros(model.households.n)  # last price quoted before the voucher
        self.quoted = np.full(model.households.n, NONE, np.int32)  # month of that quote
        self.promised = 0.0  # value of vouchers issued and still valid
        self.counts = dict.fromkeys(self.OUTPUTS, 0)
        self.issued_total = self.redeemed_total = self.lapsed_total = 0
        model.builders.append(self)

    # ---------------------------------------------------------------- Builder protocol
    def active(self, month: int) -> bool:  # also the Builder's; vouchers outlive ``end``
        return month >= self.start and (month <= self.end or bool(
            (self.valid_until >= month).any()))

    def holding(self, model: SanitationModel, rows: np.ndarray) -> np.ndarray:
        return self.valid_until[rows] >= model.month

    def quote(self, model: SanitationModel, rows: np.ndarray, price: np.ndarray,
              record: bool = True) -> np.ndarray:
        holding = self.holding(model, rows)
        if record:
            self.full_price[rows[holding]] = price[holding]
            self.quoted[rows[holding]] = model.month
        return np.where(holding, price * (1 - self.value_share), price)

    def order(self, model: SanitationModel, rows: np.ndarray, target: int,
              paid: np.ndarray) -> np.ndarray:
        """Redeem the vouchers of holders who build a toilet at a price quoted with the
        voucher this month (not, say, a grant); takes no order itself."""
        if target >= Rung.BASIC:
            use = rows[self.holding(model, rows) & (self.quoted[rows] == model.month)]
            self._redeem(model, use, self.full_price[use] * self.value_share)
        return np.zeros(rows.size, bool)

    def build(self, model: SanitationModel) -> None:
        """Nothing to build: local masons or entrepreneurs do the work."""

    # ---------------------------------------------------------------- hooks
    def on_programmes(self, model: SanitationModel) -> None:
        self.counts = dict.fromkeys(self.OUTPUTS, 0)
        lapsing = np.flatnonzero(self.valid_until == model.month - 1)
        if lapsing.size:
            self.valid_until[lapsing] = NONE
            self.promised = max(0.0, self.promised - lapsing.size * self._face_value(model))
            self.counts["lapsed"] = lapsing.size
            self.lapsed_total += lapsing.size
        if self.acting(model.month):
            self._issue(model)

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        values = dict(self.counts)
        values["holders"] = int((self.valid_until >= model.month).sum())
        values["spent"] = self.spent
        return self.named(values)

    # ---------------------------------------------------------------- mechanisms
    def _face_value(self, model: SanitationModel) -> float:
        return self.value_share * model.params["costs.toilet"]

    def _eligible(self, model: SanitationModel) -> np.ndarray:
        """Rows that may be given a voucher (sorted): below basic, not building, never
        given one, poor when ``poor_only``, within reach."""
        hh = model.households
        open_ = and_not(open_below_basic(hh), self.ever)  # never given one
        if self.poor_only:
            open_ &= hh.poor
        return self.within_reach(open_.nonzero()[0])

    def _issue(self, model: SanitationModel) -> None:
        value = self._face_value(model)
        room = self.vouchers_per_month if value <= 0 else int(min(
            self.vouchers_per_month, max(0.0, self.budget_left - self.promised) // value))
        if room <= 0:
            return
        rows = self._eligible(model)
        chosen = np.sort(select(model, self.targeting, rows, self.rng.random(rows.size), room))
        if chosen.size == 0:
            return
        self.ever[chosen] = True
        self.valid_until[chosen] = model.month + self.valid_months - 1
        self.promised += chosen.size * value
        self.counts["issued"] = chosen.size
        self.issued_total += chosen.size
        purchase.offer(model, chosen, any_technology=self.any_technology)

    def _redeem(self, model: SanitationModel, rows: np.ndarray, value: np.ndarray) -> None:
        if rows.size == 0:
            return
        self.valid_until[rows] = NONE
        self.promised = max(0.0, self.promised - rows.size * self._face_value(model))
        self.spend(model, float(value.sum()), "vouchers")
        self.counts["redeemed"] += rows.size
        self.redeemed_total += rows.size
