"""The cooperatives' month done at once (``sanisim.lending``) must give, bit for bit, what each
cooperative stepping in turn gives: household state, every cooperative's books and counters
each month, the ledger and the monthly table."""

from __future__ import annotations

import numpy as np
import pytest

from sanisim import lending
from sanisim.agents import CreditCooperative
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.population import Households
from sanisim.scenario import load
from sanisim.strategies.supply import Supply

MONTHS = 36
COOPS = 6
COUNTERS = ("cash", "outstanding", "written_off", "interest_collected", "injected",
            "loans_issued", "loans_written_off", "loans_repaid", "repaid_loans_this_month",
            "issued_this_month", "written_off_this_month", "processed_this_month",
            "repaid_this_month", "capacity")


def _model(bundle: str, coops: int = COOPS, seed: int = 5,
           supply_budget: float | None = None) -> SanitationModel:
    # villages of one RW (about 300 households), so that every cooperative has members;
    # instalments missed often, so that loans are written off as well as repaid
    scenario = load("default").with_params({"cooperatives.count": coops,
                                            "population.rw_per_village": 1,
                                            "cooperatives.miss_rate": 0.25,
                                            "cooperatives.write_off_after": 2}, "coops")
    model = SanitationModel(scenario, seed=seed, households=3000, bundle=bundle,
                            household_agents=False)
    # capacities of their own: one assesses nobody, one two a month, one everyone waiting
    capacity = [c.capacity for c in model.cooperatives]
    for c, room in zip(model.cooperatives, [0, 2, 10_000, *capacity[3:]], strict=True):
        c.capacity = room
    if supply_budget is not None:  # the entrepreneurs' discounts run short
        for s in model.strategies:
            if isinstance(s, Supply):
                s.budget = supply_budget
    return model


def _run(bundle: str, together: bool, monkeypatch, supply_budget: float | None = None) -> dict:
    ways: list[str] = []
    with monkeypatch.context() as patch:
        if together:
            original = lending.lend_together
            approve, in_turn = lending._approve, CreditCooperative.lend_to

            def spy(model):
                done = original(model)
                ways.append("together" if done else "in turn")
                return done

            patch.setattr(lending, "lend_together", spy)
            patch.setattr("sanisim.model.lend_together", spy)
            patch.setattr(lending, "_approve",
                          lambda *a: ways.append("approved at once") or approve(*a))
            patch.setattr(CreditCooperative, "lend_to",
                          lambda self, *a: ways.append("approved in turn") or in_turn(self, *a))
        else:
            patch.setattr("sanisim.model.lend_together", lambda model: False)
        model = _model(bundle, supply_budget=supply_budget)
        books = []
        for _ in range(MONTHS):
            model.step()
            books.append([[getattr(c, name) for name in COUNTERS]
                          for c in model.cooperatives])
    hh = model.households
    return {"state": {name: getattr(hh, name).copy() for name in Households.__dataclass_fields__},
            "borrowers": [c.borrowers().copy() for c in model.cooperatives],
            "books": books, "ledger": dict(model.totals), "table": model.monthly_table(),
            "ways": ways}


@pytest.mark.parametrize(("bundle", "supply_budget"), [
    ("baseline", None), ("microcredit", None), ("full_package", None),
    ("top_down_subsidy", None),
    # the entrepreneurs' discount budget runs short: in the months it binds, their quotes and
    # orders depend on the order of the cooperatives, which then approve in turn
    ("full_package", 3e7)])
def test_lending_together_gives_the_numbers_of_each_in_turn(bundle, supply_budget,
                                                            monkeypatch):
    together = _run(bundle, True, monkeypatch, supply_budget)
    in_turn = _run(bundle, False, monkeypatch, supply_budget)
    assert together["ways"].count("together") == MONTHS
    ways = {"together", "approved at once"}
    if supply_budget is not None:
        ways.add("approved in turn")
    assert set(together["ways"]) == ways
    for name, value in in_turn["state"].items():
        np.testing.assert_array_equal(together["state"][name], value, err_msg=name)
    for a, b in zip(together["borrowers"], in_turn["borrowers"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert together["books"] == in_turn["books"]  # exact floats, every month
    assert together["ledger"] == in_turn["ledger"]
    assert together["table"].equals(in_turn["table"])
    issued = sum(c[COUNTERS.index("issued_this_month")] for month in in_turn["books"]
                 for c in month)
    last = in_turn["books"][-1]
    assert issued > 50  # the comparison covers lending
    if bundle in ("baseline", "top_down_subsidy"):  # and closing loans (the programmes' loans
        assert sum(c[COUNTERS.index("loans_repaid")] for c in last) > 0  # run longer)
        assert sum(c[COUNTERS.index("loans_written_off")] for c in last) > 0


def test_books_balance_and_kept_borrowers_hold_every_month_together():
    model = _model("microcredit", coops=8, seed=2)
    hh = model.households
    for _ in range(48):
        model.step()
        for c in model.cooperatives:
            assert abs(c.books_balance) < 1e-3 * c.starting_fund
            assert np.array_equal(c.borrowers(), np.flatnonzero(hh.loan_coop == c.index))
            assert c.cash >= 0
    assert sum(c.loans_issued for c in model.cooperatives) > 50


def test_cooperatives_not_alike_or_too_few_step_in_turn():
    model = _model("baseline")
    model.waiting_applications = model.households.applying.nonzero()[0]
    coops = list(model.cooperatives)
    assert lending.alike(tuple(coops))
    coops[3].rate = coops[3].rate * 2  # a strategy's terms for some cooperatives
    assert not lending.alike(tuple(coops)) and not lending.lend_together(model)
    coops[3].rate = coops[0].rate
    coops[1].approve = lambda: None  # a method of its own
    assert not lending.lend_together(model)
    del coops[1].approve
    assert lending.lend_together(model)
    model.waiting_applications = None  # stepped outside the model's phase
    assert not lending.lend_together(model)
    few = _model("baseline", coops=lending.LEND_TOGETHER_FROM - 1)
    few.waiting_applications = few.households.applying.nonzero()[0]
    assert not lending.lend_together(few)


def test_start_building_in_parts_books_each_part_and_asks_a_builder_in_parts(monkeypatch):
    model = _model("full_package")
    hh = model.households
    rows = np.flatnonzero((hh.rung < Rung.BASIC) & (hh.build_left < 0))[:5]
    paid = np.array([1.0e5, 2.0e5, 3.0e5, 4.0e5, 5.0e5])
    booked = []
    book = model.book
    monkeypatch.setattr(model, "book", lambda funder, item, amount: (
        booked.append((item, float(amount))), book(funder, item, amount)))
    model.start_building(rows, Rung.BASIC, paid_by_household=paid, parts=[0, 2, 5])
    assert booked == [("construction", 3.0e5), ("construction", 1.2e6)]  # as two calls
    assert (hh.build_left[rows] >= 0).all()
    model.run(30)  # the entrepreneurs open
    (supply,) = model.open_builders()
    rows = np.flatnonzero((hh.rung < Rung.BASIC) & (hh.build_left < 0))[:5]
    batches = supply._batches
    booked.clear()
    model.start_building(rows, Rung.BASIC, paid_by_household=paid, parts=[0, 2, 5])
    assert booked == [("construction", 0.0), ("construction", 0.0)]  # deposits, held
    assert supply._batches == batches + 2  # each part a batch of its own
    assert (np.floor(supply.key[rows]) == batches + np.array([0, 0, 1, 1, 1])).all()
    assert hh.queued[rows].all()
    with pytest.raises(ValueError, match="parts only with no builder open or one"):
        model.start_building(rows, Rung.BASIC, paid_by_household=paid, parts=[0, 5],
                             pit_toilet=True)
    monkeypatch.setattr(supply, "orders_in_parts", False)
    with pytest.raises(ValueError, match="parts only with no builder open or one"):
        model.start_building(rows, Rung.BASIC, paid_by_household=paid, parts=[0, 5])


# --------------------------------------------------------------------------- loan offers


def _offers(bundle: str, together: bool, monkeypatch, supply_budget: float | None = None,
            credit_budget: float | None = None) -> dict:
    from sanisim.strategies.microcredit import Microcredit

    ways: list[bool] = []
    original = Microcredit._offer_together
    with monkeypatch.context() as patch:
        patch.setattr(Microcredit, "_offer_together",
                      (lambda self, *a: ways.append(original(self, *a)) or ways[-1])
                      if together else (lambda self, *a: False))
        model = _model(bundle, supply_budget=supply_budget)
        credit = next(s for s in model.strategies if isinstance(s, Microcredit))
        if credit_budget is not None:
            credit.budget = credit_budget
        spent = []
        for _ in range(MONTHS):
            model.step()
            spent.append((credit.spent, credit.offers_this_month))
    hh = model.households
    return {"state": {name: getattr(hh, name).copy() for name in Households.__dataclass_fields__},
            "ledger": dict(model.totals), "table": model.monthly_table(), "spent": spent,
            "ways": ways, "offers": sum(n for _, n in spent)}


@pytest.mark.parametrize(("bundle", "supply_budget", "credit_budget"), [
    ("microcredit", None, None), ("full_package", None, None),
    # the entrepreneurs' discounts run short: in the months the offers' quotes would depend
    # on the order of the cooperatives, they offer in turn
    ("full_package", 3e7, None),
    # the offers' budget runs out at a cooperative part of the way through a month
    ("microcredit", None, 1e9 + 4.05e5)])
def test_loan_offers_together_give_the_numbers_of_each_cooperative_in_turn(
        bundle, supply_budget, credit_budget, monkeypatch):
    """``Microcredit._offer_together``: every cooperative's loan offers and the sales on the
    spot as one call in parts give, bit for bit, the household state, ledger, monthly table
    and spending of the cooperatives offering in turn."""
    together = _offers(bundle, True, monkeypatch, supply_budget, credit_budget)
    in_turn = _offers(bundle, False, monkeypatch, supply_budget, credit_budget)
    for name, value in in_turn["state"].items():
        np.testing.assert_array_equal(together["state"][name], value, err_msg=name)
    assert together["ledger"] == in_turn["ledger"]
    assert together["table"].equals(in_turn["table"])
    assert together["spent"] == in_turn["spent"]
    assert any(together["ways"])
    if supply_budget is not None:
        assert not all(together["ways"])
    if credit_budget is None:
        assert in_turn["offers"] > 100  # the comparison covers offers
    else:  # after the fund injections (Rp 1 billion) the budget pays for 40 offers
        assert in_turn["offers"] == 40 and in_turn["spent"][-1][0] == 1e9 + 4e5
