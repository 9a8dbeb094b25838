"""Who paid: the one cost rule that turns a run's monthly spending into costs per funder.

The model books every rupiah to a funder and an item as it is spent
(:meth:`sanisim.model.SanitationModel.book`); the monthly table carries the sums
(``spending_<funder>``), the loan repayments cooperatives received and the capital injected into
their funds. The cost to each funder up to a month is then:

* **government**, **donors**: everything booked to them — visits, sessions, media bursts,
  grants, offers, fund injections into cooperatives (spent when transferred);
* **households**: their own spending — construction paid from savings (down payments
  included), loan repayments (principal and interest), fees;
* **cooperatives**: their net cash outlay, ``loans disbursed - repayments received (principal
  and interest) - funds injected by others`` plus anything else booked to them. A disbursed
  rupiah is still outstanding, written off, or repaid — and then counted as the households'
  repayment; interest is a transfer from households to cooperatives and nets out. The cost is
  negative when injected money still sits in the fund as cash.

``total`` is the sum over funders: the money that left all funders together, each rupiah
counted once. A run's summary (:func:`sanisim.runs.run.summarise`), the per-run metrics of a
results store (:func:`sanisim.analysis.run_metrics`) and the paired comparisons of
:mod:`sanisim.analysis.outcomes` all use :func:`funder_costs` (month by month:
:func:`cumulative_costs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sanisim.model import FUNDERS

#: Funders whose cost is what was booked to them (the cooperatives' is their net outlay).
BOOKED: tuple[str, ...] = ("government", "donors", "households")


def funder_costs(spent: Mapping[str, Any], net_lending: Any, injected: Any) -> dict[str, Any]:
    """Cost to each funder and in total, by the rule above, over one window of months.

    ``spent``: what was booked to the government, donors and households in the window;
    ``net_lending``: what cooperatives booked minus the loan repayments they received in the
    same window; ``injected``: capital put into their funds by others up to the window's end.
    Numbers, numpy arrays or pandas Series alike (rupiah).
    """
    costs = {funder: spent[funder] for funder in BOOKED}
    costs["cooperatives"] = net_lending - injected
    costs["total"] = sum(costs[funder] for funder in FUNDERS)
    return costs


def cumulative_costs(monthly: pd.DataFrame) -> pd.DataFrame:
    """Cost to each funder and in total from month 0 up to each month (rupiah), from one run's
    monthly table (columns ``month``, then the funders, then ``total``)."""
    costs = funder_costs({funder: monthly[f"spending_{funder}"].cumsum() for funder in BOOKED},
                         (monthly["spending_cooperatives"] - monthly["loan_repayments"]).cumsum(),
                         monthly["funds_injected"])
    return pd.DataFrame({"month": monthly["month"], **costs})
