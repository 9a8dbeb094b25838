"""Waste collection: a door-to-door service for a monthly fee, in the areas it covers.

The service covers the share ``coverage`` of the RWs, those with the lowest share of
households at handled or better first (fixed when it starts). Every month (phase ``waste``)
a household of a covered RW whose waste is untreated and whose savings cover the fee takes up
the service with the decision hazard of the waste ladder, with ``uptake`` as its innovation
term (:class:`~sanisim.strategies.waste_common.AreaProgramme`); a subscriber's waste is
handled. Subscribers pay ``fee`` rupiah a month from their savings (booked to households); one
who cannot pay leaves the service, and ``dropout`` of them stop each month. The operator's
cost per subscriber beyond the fee (``cost_per_household - fee``) and its running cost per
covered RW are paid by the strategy's funder, within the budget; RWs the budget cannot pay are
no longer served. After the last month the service stops and its subscribers fall back to
their own practice.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.waste_common import AreaProgramme, areas_in_need
from sanisim.waste import WasteRung

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


@register
class WasteCollection(AreaProgramme):
    """A waste collection service with a fee and coverage by RW (see module docs)."""

    type_name: ClassVar[str] = "waste_collection"
    AREA: ClassVar[str] = "rw"
    TOWARD: ClassVar[WasteRung] = WasteRung.HANDLED
    FROM: ClassVar[tuple[WasteRung, ...]] = (WasteRung.UNTREATED,)
    ITEM: ClassVar[str] = "waste_collection"
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("coverage", 0.5, "share of RWs",
              "Share of the RWs the service covers (those with the fewest households at "
              "handled or better first).", "scenario (programme design)", 0.0, 1.0),
        Param("uptake", 0.05, "probability per month",
              "Innovation term of the offer: added to the decision hazard of an untreated "
              "household of a covered RW (a collector at the door).",
              "assumption: ten times waste.p_handle", 0.0, 1.0),
        Param("fee", 15_000.0, "rupiah per household-month",
              "Collection fee (retribusi) a subscriber pays from its savings.",
              "assumption: city collection fees of Rp 10,000-20,000 a month", 0.0, 1e8),
        Param("cost_per_household", 25_000.0, "rupiah per household-month",
              "The operator's cost of serving one subscriber; the funder pays what the fee "
              "does not cover.", "assumption: carts, crews and transport to the TPS", 0.0, 1e8),
        Param("running_cost", 0.0, "rupiah per RW-month",
              "Fixed cost of serving a covered RW (a collection point).", "assumption",
              0.0, 1e10),
        Param("build_cost", 0.0, "rupiah per RW",
              "One-off cost of opening the service in a covered RW.", "assumption", 0.0, 1e12),
        Param("dropout", 0.005, "probability per month",
              "Chance that a subscriber stops the service in a month.", "assumption",
              0.0, 1.0),
    )

    @property
    def member_cost(self) -> float:  # type: ignore[override]
        return self.cost_per_household

    def layout(self, model: SanitationModel) -> tuple[np.ndarray, np.ndarray]:
        n_rw = int(model.households.rw.max()) + 1
        areas = areas_in_need(model, model.households.rw, WasteRung.HANDLED,
                              math.ceil(self.coverage * n_rw - 1e-9))
        return areas, np.bincount(model.households.rw, minlength=n_rw)[areas]
