"""Scheduled desludging (LLTT, layanan lumpur tinja terjadwal): septic tanks emptied on a cycle.

Every month of the strategy (phase ``desludging``, after the households' own call-out
emptying and the lapse of overdue tanks back to basic), the operator's trucks empty the septic
tanks that are due: own facility at basic or better, not connected to a communal plant, not
under construction, and not emptied for ``interval_months`` or more. Tanks wait longest first
(random order among equals), within the fleet's capacity ``trucks x trips_per_truck`` a month.
An emptied tank is safely managed (:meth:`~sanisim.model.SanitationModel.empty_tanks`), and
stays so while it is emptied on schedule; the model's failure hazard doubles for tanks overdue
by twice the scenario's interval, so the schedule also lowers failures.

The fee (rupiah per emptying) is split: the household pays ``household_share`` of it from its
savings and the strategy's funder the rest, within the budget. A household whose savings do not
cover its share is either skipped this month (``unable_to_pay = "skip"``: it stays due, and the
trip goes to the next tank in line) or has its share waived (``"waive"``: the funder pays the
whole fee). Both parts are booked under ``scheduled_desludging``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim.draws import stable_order
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme, and_not

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

ITEM = "scheduled_desludging"
_ODAGIRI = "Odagiri et al. 2021, IJERPH 18:8204"


@register
class ScheduledDesludging(Programme):
    """A desludging operator emptying due septic tanks with a limited fleet, for a fee."""

    type_name: ClassVar[str] = "desludging"
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "emptied", "capacity", "due", "skipped", "household_paid", "funder_paid",
    )
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("interval_months", 36, "months",
              "A septic tank is due when it has not been emptied for this many months.",
              f"Indonesian guidance: empty at least every 3 years ({_ODAGIRI})", 1, 600),
        Param("trucks", 4, "trucks", "Vacuum trucks of the desludging operator.",
              "assumption: a small city's scheduled-desludging fleet", 0, 100_000,
              scales=True),
        Param("trips_per_truck", 60, "emptyings per truck-month",
              "Tanks one truck empties in a month.",
              "assumption: about 3 trips a day on 20 working days", 0, 10_000),
        Param("fee", 165_000.0, "rupiah per emptying", "Full fee of one scheduled emptying.",
              f"tariffs Rp 130,000-200,000, midpoint ({_ODAGIRI})", 0.0, None),
        Param("household_share", 1.0, "share of fee",
              "Share of the fee paid by the household; the strategy's funder pays the rest.",
              "scenario (programme design): LLTT tariffs are charged to households; "
              "a subsidy lowers the share", 0.0, 1.0),
        Param("unable_to_pay", "skip", "",
              "Households whose savings do not cover their share: 'skip' (not emptied, stay "
              "due) or 'waive' (the funder pays their whole fee).",
              "scenario (programme design)", choices=("skip", "waive")),
    )

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        self.capacity = self.trucks * self.trips_per_truck
        self.emptied_this_month = self.due_this_month = self.skipped_this_month = 0
        self.household_paid_this_month = self.funder_paid_this_month = 0.0
        self.emptied_total = 0
        self.household_paid_total = self.funder_paid_total = 0.0

    def on_desludging(self, model: SanitationModel) -> None:
        hh = model.households
        self.emptied_this_month = self.skipped_this_month = 0
        self.household_paid_this_month = self.funder_paid_this_month = 0.0
        # most septic tanks are due once the programme has run a while: masks over the whole
        # arrays are cheaper than gathering the due rows' state
        due = hh.last_emptied <= model.month - self.interval_months
        due &= hh.rung >= Rung.BASIC.value
        and_not(due, hh.connected)
        and_not(due, hh.pit_toilet)
        due &= hh.build_left < 0
        rows = self.within_reach(due.nonzero()[0])
        self.due_this_month = rows.size
        share = self.fee * self.household_share
        skip = share > 0 and self.unable_to_pay == "skip"
        if skip:  # those short of their share are not emptied this month
            short = hh.savings[rows] < share
            self.skipped_this_month = int(np.count_nonzero(short))
            rows = rows[~short]
        part = np.full(rows.size, share)
        if share > 0 and not skip:  # waived: the funder pays the whole fee of those short
            part[hh.savings[rows] < share] = 0.0
        # longest since emptied first; the random part (< 1) orders tanks emptied the same month
        emptied, draws = hh.last_emptied[rows], self.rng.random(rows.size)
        if self.capacity < rows.size:
            first = self._first(emptied, draws)
            rows, part, priority = rows[first], part[first], emptied[first] + draws[first]
        else:
            priority = emptied + draws
        order = stable_order(priority)
        rows, part = rows[order], part[order]
        funder_part = self.fee - part
        within = np.cumsum(funder_part) <= self.budget_left
        rows, part, funder_part = rows[within], part[within], funder_part[within]
        if rows.size == 0:
            return
        paying = part > 0
        model.empty_tanks(rows[paying], "households", fee=share, item=ITEM)
        model.empty_tanks(rows[~paying], "households", fee=0.0, item=ITEM)
        funder_total = float(funder_part.sum())
        if funder_total > 0:
            self.spend(model, funder_total, ITEM)
        self.emptied_this_month = rows.size
        self.emptied_total += rows.size
        self.household_paid_this_month = share * int(paying.sum())
        self.household_paid_total += self.household_paid_this_month
        self.funder_paid_this_month = funder_total
        self.funder_paid_total += funder_total

    def _first(self, emptied: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Positions of the ``capacity`` lowest priorities ``emptied + draws`` (``emptied``
        whole months, ``draws`` in [0, 1)), in no order.

        Every tank emptied in an earlier month comes before every tank of a later one, so
        the chosen ones were emptied no later than the ``capacity``-th smallest month: the
        priorities are made and partitioned among those only (a few thousand of the
        hundreds of thousands due at a million households), not among every due tank.
        """
        if self.capacity <= 0:
            return np.zeros(0, np.intp)
        # any month with at least ``capacity`` tanks emptied in it or before will do; the
        # oldest month or the next few usually hold them (a count is about 40 µs at 400,000
        # tanks, the partition of the months 3.5 ms)
        last = int(emptied.min())
        for _ in range(8):
            if np.count_nonzero(emptied <= last) >= self.capacity:
                break
            last += 1
        else:
            last = np.partition(emptied, self.capacity - 1)[self.capacity - 1]
        within = (emptied <= last).nonzero()[0]
        priority = emptied[within] + draws[within]
        if within.size > self.capacity:
            return within[np.argpartition(priority, self.capacity - 1)[: self.capacity]]
        return within

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        acting = self.active(model.month)
        return self.named({
            "emptied": self.emptied_this_month if acting else 0,
            "capacity": self.capacity if acting else 0,
            "due": self.due_this_month if acting else 0,
            "skipped": self.skipped_this_month if acting else 0,
            "household_paid": self.household_paid_this_month if acting else 0.0,
            "funder_paid": self.funder_paid_this_month if acting else 0.0,
        })
