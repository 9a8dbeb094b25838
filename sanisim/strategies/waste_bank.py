"""Waste banks (bank sampah): households sell their sorted waste to a bank in their RW.

The programme sets up ``banks`` banks, one per RW, in the RWs with the fewest households at
reduced first; each takes at most ``capacity`` members (its weighing days and storage). Every
month (phase ``waste``) a household of such an RW whose waste is handled (sorting leaves a
residue that must still be collected or managed) joins with the decision hazard of the waste
ladder, ``uptake`` as its innovation term, while its bank has room
(:class:`~sanisim.strategies.waste_common.AreaProgramme`); a member's waste is reduced and it
earns ``sales_income`` rupiah a month from the sorted waste it sells, into its savings.
``dropout`` of the members stop each month. Each bank costs ``build_cost`` to set up and
``running_cost`` a month (a facilitator, scales, a store), paid by the funder within the
budget. After the last month the banks close and members fall back to their own practice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sanisim.parameters import Param
from sanisim.strategies.base import register
from sanisim.strategies.waste_common import AreaProgramme, areas_in_need
from sanisim.waste import WasteRung

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel


@register
class WasteBank(AreaProgramme):
    """Waste banks per RW with a capacity, paying members for sorted waste (module docs)."""

    type_name: ClassVar[str] = "waste_bank"
    AREA: ClassVar[str] = "rw"
    TOWARD: ClassVar[WasteRung] = WasteRung.REDUCED
    FROM: ClassVar[tuple[WasteRung, ...]] = (WasteRung.HANDLED,)
    ITEM: ClassVar[str] = "waste_banks"
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("banks", 10, "banks", "Waste banks set up, one per RW (fewest at reduced first).",
              "scenario (programme design)", 0, 100_000, scales=True),
        Param("capacity", 60, "members per bank",
              "Most households one bank serves (weighing days, storage).",
              "assumption: an RW-level bank sampah of some tens of active savers", 0, 100_000),
        Param("uptake", 0.03, "probability per month",
              "Innovation term of the bank's offer: added to the decision hazard of a handled "
              "household of the bank's RW.", "assumption", 0.0, 1.0),
        Param("sales_income", 10_000.0, "rupiah per member-month",
              "What a member earns from the sorted waste it sells to the bank.",
              "assumption: a few kilograms of plastics and paper a month", 0.0, 1e8),
        Param("build_cost", 5_000_000.0, "rupiah per bank",
              "Setting up a bank (scales, sacks, a store, training).", "assumption",
              0.0, 1e12),
        Param("running_cost", 500_000.0, "rupiah per bank-month",
              "Running a bank (a facilitator's time, transport to buyers).", "assumption",
              0.0, 1e10),
        Param("dropout", 0.01, "probability per month",
              "Chance that a member stops sorting and selling in a month.",
              "assumption: many savers are irregular", 0.0, 1.0),
    )

    @property
    def member_income(self) -> float:  # type: ignore[override]
        return self.sales_income

    def layout(self, model: SanitationModel) -> tuple[np.ndarray, np.ndarray]:
        areas = areas_in_need(model, model.households.rw, WasteRung.REDUCED, self.banks)
        return areas, np.full(areas.size, self.capacity)
