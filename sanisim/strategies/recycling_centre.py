"""Recycling centres (TPS3R, tempat pengolahan sampah reduce-reuse-recycle) per village.

The programme builds ``centres`` centres, one per village (kelurahan/desa), in the villages
with the fewest households at reduced first; each serves at most ``capacity`` households
(its sorting and composting throughput). A centre collects sorted waste at the door, so a
household of its village whose waste is untreated or handled may join: every month (phase
``waste``) it takes up the offer with the decision hazard of the waste ladder, ``uptake`` as
its innovation term, if its savings cover the ``fee`` and the centre has room
(:class:`~sanisim.strategies.waste_common.AreaProgramme`). A member's waste is reduced, beyond
what the RW waste banks reach; it pays ``fee`` rupiah a month (one who cannot, leaves).
``dropout`` of the members stop each month. A centre costs ``build_cost`` and ``running_cost``
a month beyond the fees, paid by the funder within the budget. After the last month the
centres close and members fall back to their own practice.
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
class RecyclingCentre(AreaProgramme):
    """TPS3R recycling centres per village with a capacity and a fee (module docs)."""

    type_name: ClassVar[str] = "recycling_centre"
    AREA: ClassVar[str] = "village"
    TOWARD: ClassVar[WasteRung] = WasteRung.REDUCED
    FROM: ClassVar[tuple[WasteRung, ...]] = (WasteRung.UNTREATED, WasteRung.HANDLED)
    ITEM: ClassVar[str] = "recycling_centres"
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("centres", 2, "centres", "TPS3R built, one per village (fewest at reduced first).",
              "scenario (programme design)", 0, 100_000, scales=True),
        Param("capacity", 400, "households per centre",
              "Most households one centre serves (sorting and composting throughput).",
              "assumption: a TPS3R serving a few hundred households", 0, 10_000_000),
        Param("uptake", 0.03, "probability per month",
              "Innovation term of the centre's offer: added to the decision hazard of a "
              "household of its village.", "assumption", 0.0, 1.0),
        Param("fee", 10_000.0, "rupiah per household-month",
              "What a member pays the centre a month.",
              "assumption: below a city collection fee", 0.0, 1e8),
        Param("build_cost", 500_000_000.0, "rupiah per centre",
              "Building a TPS3R (hall, sorting line, composter, cart).",
              "assumption: central TPS3R grants of about Rp 0.5 billion", 0.0, 1e13),
        Param("running_cost", 10_000_000.0, "rupiah per centre-month",
              "Running a centre beyond its fees (staff, transport of residue).",
              "assumption", 0.0, 1e11),
        Param("dropout", 0.005, "probability per month",
              "Chance that a member stops sorting for the centre in a month.", "assumption",
              0.0, 1.0),
    )

    def layout(self, model: SanitationModel) -> tuple[np.ndarray, np.ndarray]:
        areas = areas_in_need(model, model.households.village, WasteRung.REDUCED,
                              self.centres)
        return areas, np.full(areas.size, self.capacity)
