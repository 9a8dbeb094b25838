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

**Budgets.** A district plans with other names than the model's accounts: :data:`BUDGETS`
(APBD, DAK, BAZNAS, donors, cooperatives, households). :func:`account_costs` takes a run's
monthly table and each strategy's spending month by month and gives the cost of every account
(each strategy, the government's routine spending, households, cooperatives);
:func:`budget_costs` splits the accounts among budgets (:func:`account_splits`, defaults in
:data:`DEFAULT_SPLITS`, documented in docs/decisions.md); :func:`yearly_budget_costs` sums them
by programme year, discounted. Summed over budgets and years the cost equals ``total`` above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sanisim.errors import InputError, did_you_mean
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


# --------------------------------------------------------------------------- budgets

#: The budgets a district plans with. ``APBD``: the district's own budget; ``DAK``: the
#: central government's special allocation transfer (DAK fisik sanitasi for hardware, DAK
#: non-fisik/BOK for Puskesmas outreach); ``BAZNAS``: zakat, infaq and sadaqah channelled by
#: the national and district zakat agencies; ``donors``: development partners and CSR;
#: ``cooperatives``: the cooperatives' net outlay (rule above); ``households``: their own money.
BUDGETS: tuple[str, ...] = ("APBD", "DAK", "BAZNAS", "donors", "cooperatives", "households")
#: Public money: the budgets a district's plan allocates (households and cooperatives apart).
PUBLIC_BUDGETS: tuple[str, ...] = ("APBD", "DAK", "BAZNAS", "donors")
#: Account of the government's routine spending outside any strategy (sanitarian visits).
ROUTINE = "routine"


class FundingSplit(dict):
    """Shares of one account's cost by budget (they sum to 1), with the source of the split."""

    def __init__(self, shares: Mapping[str, float], source: str) -> None:
        super().__init__(shares)
        self.source = source


#: Default split of a government-funded strategy's cost, by strategy type, and of the
#: government's routine spending. Each is documented in docs/decisions.md ("Funding splits").
DEFAULT_SPLITS: dict[str, FundingSplit] = {
    ROUTINE: FundingSplit({"APBD": 0.5, "DAK": 0.5},
                          "assumption: sanitarians are district staff (APBD); their outreach "
                          "operations are paid from BOK, a DAK non-fisik transfer"),
    "bcc": FundingSplit({"APBD": 0.5, "DAK": 0.5},
                        "assumption: STBM promotion is a BOK (DAK non-fisik) menu item, topped "
                        "up by the district"),
    "demand_creation": FundingSplit({"APBD": 0.5, "DAK": 0.5},
                                    "assumption: STBM triggering is a BOK (DAK non-fisik) menu "
                                    "item; media and events from APBD"),
    "subsidy": FundingSplit({"APBD": 0.3, "DAK": 0.6, "BAZNAS": 0.1},
                            "assumption: individual septic tanks are a DAK fisik sanitasi menu "
                            "item with a district share; zakat agencies fund some toilets for "
                            "the poor (mustahik)"),
    "communal": FundingSplit({"APBD": 0.2, "DAK": 0.8},
                             "assumption: communal systems (SANIMAS, SPALD-T permukiman) are a "
                             "DAK fisik sanitasi menu item with a district share"),
    "voucher": FundingSplit({"APBD": 0.5, "BAZNAS": 0.5},
                            "assumption: targeted toilet support for the poor is a zakat "
                            "programme as often as a district one"),
    "desludging": FundingSplit({"APBD": 1.0},
                               "assumption: scheduled desludging (LLTT) is run by a district "
                               "operator (UPTD/PDAM) from APBD and retributions"),
    "supply": FundingSplit({"APBD": 1.0},
                           "assumption: support to sanitation entrepreneurs is a district "
                           "programme"),
    "microcredit": FundingSplit({"APBD": 1.0},
                                "assumption: a government-funded credit line is district money"),
}

#: The budget that pays a strategy funded by a model account other than the government.
ACCOUNT_BUDGET: dict[str, str] = {"donors": "donors", "households": "households",
                                  "cooperatives": "cooperatives"}


def check_split(shares: Mapping[str, Any], source: str, key: str) -> dict[str, float]:
    """A split of public money: shares of ``PUBLIC_BUDGETS``, each in [0, 1], summing to 1."""
    if not isinstance(shares, Mapping) or not shares:
        raise InputError(source, key, f"got {shares!r}; allowed: a table of shares by budget "
                         f"({', '.join(PUBLIC_BUDGETS)})")
    out = {}
    for budget, share in shares.items():
        if budget not in PUBLIC_BUDGETS:
            raise InputError(source, f"{key}.{budget}", "unknown budget"
                             f"{did_you_mean(budget, PUBLIC_BUDGETS)} (allowed: "
                             f"{', '.join(PUBLIC_BUDGETS)})")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise InputError(source, f"{key}.{budget}", f"got {share!r}; allowed: a share "
                             "between 0 and 1")
        out[budget] = float(share)
    if abs(sum(out.values()) - 1.0) > 1e-9:
        raise InputError(source, key, f"shares sum to {sum(out.values()):g}; allowed: shares "
                         "that sum to 1")
    return out


def account_splits(strategies: Mapping[str, Mapping[str, Any]],
                   overrides: Mapping[str, Mapping[str, float]] | None = None
                   ) -> dict[str, FundingSplit]:
    """The budget split of every account: each strategy (by name) and the routine account.

    A strategy funded by the government takes its type's default split (or the override given
    for its name, or for ``routine``); one funded by donors, households or cooperatives goes
    wholly to that budget. ``strategies``: a scenario's ``[strategies.*]`` configurations.
    """
    overrides = overrides or {}
    splits = {ROUTINE: FundingSplit(overrides[ROUTINE], "declared") if ROUTINE in overrides
              else DEFAULT_SPLITS[ROUTINE]}
    for name, config in strategies.items():
        if name in overrides:
            splits[name] = FundingSplit(overrides[name], "declared")
        elif config["funder"] == "government":
            splits[name] = DEFAULT_SPLITS.get(config["type"], FundingSplit(
                {"APBD": 1.0}, "assumption: a district programme without a known transfer"))
        else:
            splits[name] = FundingSplit({ACCOUNT_BUDGET[config["funder"]]: 1.0},
                                        f"the strategy's funder ({config['funder']})")
    return splits


def account_costs(monthly: pd.DataFrame, strategy_spent: pd.DataFrame,
                  funders: Mapping[str, str]) -> pd.DataFrame:
    """Cost per month (not cumulative) of each account, rupiah, columns ``month`` then
    accounts.

    ``strategy_spent``: the cumulative spending of each strategy after each month (columns
    ``month`` and the strategy names, as :attr:`Strategy.spent`); ``funders``: each
    strategy's model funder. A strategy's cost is what it spent; the government's and donors'
    spending outside strategies is the ``routine`` account (sanitarian visits); households and
    cooperatives keep their own accounts (the cooperatives' net outlay, rule above), holding
    what strategies funded by them spent. Summed over accounts, each month equals the ``total``
    of :func:`cumulative_costs` month by month.
    """
    by_month = cumulative_costs(monthly).set_index("month")
    spent = strategy_spent.set_index("month").reindex(by_month.index).fillna(0.0)
    monthly_spent = spent.diff().fillna(spent)
    monthly_cost = by_month.diff().fillna(by_month)
    out = pd.DataFrame(index=by_month.index)
    routine = monthly_cost["government"] + monthly_cost["donors"]
    for name, funder in funders.items():
        out[name] = monthly_spent[name] if name in monthly_spent else 0.0
        if funder in ("government", "donors"):
            routine = routine - out[name]
    out[ROUTINE] = routine
    households, cooperatives = monthly_cost["households"], monthly_cost["cooperatives"]
    for name, funder in funders.items():  # already inside the households' / coops' accounts
        if funder == "households":
            households = households - out[name]
        elif funder == "cooperatives":
            cooperatives = cooperatives - out[name]
    out["households"], out["cooperatives"] = households, cooperatives
    return out.reset_index()


def budget_costs(accounts: pd.DataFrame, splits: Mapping[str, Mapping[str, float]]
                 ) -> pd.DataFrame:
    """Cost per month of each budget (columns ``month`` then :data:`BUDGETS`), rupiah, from
    the accounts of :func:`account_costs` and the splits of :func:`account_splits`."""
    out = pd.DataFrame({"month": accounts["month"],
                        **{budget: 0.0 for budget in BUDGETS}})
    for account in accounts.columns.drop("month"):
        split = ({account: 1.0} if account in ("households", "cooperatives")
                 else splits[account])
        for budget, share in split.items():
            out[budget] = out[budget] + share * accounts[account]
    return out


def discount_factors(months: Any, rate: float) -> Any:
    """Present-value factor of a cost in ``months`` (1 = the first month): ``(1 + rate) **
    -((month - 1) // 12)``, i.e. each programme year discounted as a whole at the annual
    ``rate``; year 1 undiscounted."""
    years = (pd.Series(months, dtype="int64").to_numpy() - 1).clip(min=0) // 12
    return (1.0 + rate) ** -years.astype(float)


def yearly_budget_costs(budgets: pd.DataFrame, rate: float) -> pd.DataFrame:
    """Cost per programme year (months 1-12 = year 1; the start, month 0, counts in year 1)
    and budget, long: ``year``, ``budget``, ``cost`` (rupiah, undiscounted),
    ``cost_discounted`` (present value at ``rate`` a year)."""
    frame = budgets
    year = (frame["month"].to_numpy() - 1).clip(min=0) // 12 + 1
    factor = discount_factors(frame["month"], rate)
    rows = []
    for budget in BUDGETS:
        cost = pd.Series(frame[budget].to_numpy(), index=year).groupby(level=0).sum()
        pv = pd.Series(frame[budget].to_numpy() * factor, index=year).groupby(level=0).sum()
        rows.append(pd.DataFrame({"year": cost.index, "budget": budget, "cost": cost.values,
                                  "cost_discounted": pv.values}))
    return pd.concat(rows, ignore_index=True)
