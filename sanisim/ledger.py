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
:mod:`sanisim.analysis.outcomes` all use :func:`cumulative_costs`.
"""

from __future__ import annotations

import pandas as pd

from sanisim.model import FUNDERS

#: Funders whose cost is what was booked to them (the cooperatives' is their net outlay).
BOOKED: tuple[str, ...] = ("government", "donors", "households")


def cumulative_costs(monthly: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Cost to each funder and in total from month 0 up to each month (rupiah).

    ``monthly`` is one run's monthly table, or several runs' stacked, each run's months in
    order, with ``by`` naming the column that tells the runs apart (``run_key``). A table
    without ``loan_repayments`` or ``funds_injected`` (older stores) counts them as 0.
    """
    def running(values: pd.Series) -> pd.Series:
        return values.groupby(monthly[by], sort=False).cumsum() if by else values.cumsum()

    def column(name: str) -> pd.Series | float:
        return monthly[name] if name in monthly.columns else 0.0

    costs = pd.DataFrame({"month": monthly["month"]})
    for funder in BOOKED:
        costs[funder] = running(monthly[f"spending_{funder}"])
    costs["cooperatives"] = (running(monthly["spending_cooperatives"]
                                     - column("loan_repayments")) - column("funds_injected"))
    costs["total"] = costs[list(FUNDERS)].sum(axis=1)
    return costs
