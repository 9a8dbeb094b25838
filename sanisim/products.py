"""Products: what a programme hands a household, kept apart from the routes that deliver it.

A :class:`Visit` is the household visit of behaviour change communication: it closes a share
of the gap to 1 of some psychosocial factors (:func:`sanisim.behaviour.raise_factors`), may
refer the household to its cooperative, and costs a fixed amount per visit. A government
sanitarian (:class:`sanisim.agents.Sanitarian`), a BCC cadre or sanitarian team
(:mod:`sanisim.strategies.bcc`) and a subsidy programme's facilitator
(:mod:`sanisim.strategies.subsidy`) all deliver the same product; the route decides whom it
visits, when, and who pays (the government's book, or a strategy's budget).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sanisim.behaviour import VISIT_FACTORS, raise_factors
from sanisim.population import Households


@dataclass(frozen=True)
class Visit:
    """A household visit: ``effect`` (share of the gap to 1) on ``factors``, a referral to
    credit if ``refers_to_credit``, ``unit_cost`` rupiah a visit."""

    effect: float
    unit_cost: float
    factors: tuple[str, ...] = VISIT_FACTORS
    refers_to_credit: bool = False

    def deliver(self, households: Households, rows: np.ndarray) -> None:
        """Visit the households ``rows``: raise their factors, refer them if the visit does."""
        raise_factors(households, rows, self.factors, self.effect)
        if self.refers_to_credit:
            households.referred[rows] = True

    def cost(self, visits: int) -> float:
        """What ``visits`` visits cost (rupiah); the route books it to whoever pays."""
        return visits * self.unit_cost
