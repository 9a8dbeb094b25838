"""The entrepreneurs' sales rounds of a month made at once (``Supply._sell_together``) give
what the rounds in turn give, bit for bit, and each helper of it is what the general code
computes."""

from __future__ import annotations

import numpy as np
import pytest

from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.population import Households
from sanisim.scenario import SCENARIO_DIR, load
from sanisim.strategies.base import STRATEGY_TYPES
from sanisim.strategies.supply import Supply

MONTHS = 30


def _model(scenario, bundle: str, households: int, seed: int, supply: dict | None = None
           ) -> SanitationModel:
    """``bundle`` of ``scenario`` with the entrepreneurs' settings ``supply`` changed."""
    strategies = []
    for name in scenario.bundles[bundle]:
        config = dict(scenario.strategies[name])
        if config["type"] == "supply":
            config.update(supply or {})
        strategies.append(STRATEGY_TYPES[config["type"]](name, config))
    return SanitationModel(scenario, seed=seed, households=households, strategies=strategies,
                           household_agents=False)


def _state(model: SanitationModel) -> dict[str, np.ndarray]:
    hh = model.households
    state = {name: getattr(hh, name).copy() for name in Households.__dataclass_fields__}
    supply = next(s for s in model.strategies if isinstance(s, Supply))
    for name in ("waiting", "key", "ordered", "deposit", "discount_owed", "list_price",
                 "droppable", "offer", "built_quality"):
        state[f"supply.{name}"] = getattr(supply, name).copy()
    state["supply.books"] = np.array([supply.spent, supply.reserved, supply.revenue_total,
                                      supply._batches])
    state["entrepreneurs"] = np.array([[a.capacity, a.cash, a.revenue, a.built, a.idle]
                                       for a in supply.entrepreneur_agents])
    state["supply.rng"] = np.array(supply.rng.random(4))  # the generator left where it was
    state["offer.rng"] = model.streams["purchase:offer"].random(4)
    return state


def _run(monkeypatch, together: bool, *args, **kwargs):
    """The state and monthly table after ``MONTHS``; and, with ``together``, what each
    month's rounds were: made at once or not, and the discount's answer."""
    seen: list[tuple[int, bool]] = []
    answers: list[bool | None] = []
    sell, discount = Supply._sell_together, Supply._discount_for_all

    def counted_sell(self, model, rounds):
        made = sell(self, model, rounds)
        seen.append((len(rounds), made))
        return made

    def counted_discount(self, model, quotes):
        answers.append(discount(self, model, quotes))
        return answers[-1]

    with monkeypatch.context() as patch:
        patch.setattr(Supply, "SELL_TOGETHER_FROM", 2 if together else 10**9)
        patch.setattr(Supply, "_sell_together", counted_sell)
        patch.setattr(Supply, "_discount_for_all", counted_discount)
        model = _model(*args, **kwargs)
        model.run(MONTHS)
    return _state(model), model.monthly_table(), seen, answers


def _assert_same(a, b) -> None:
    (state_a, table_a, *_), (state_b, table_b, *_) = a, b
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)
    assert table_a.equals(table_b)


@pytest.mark.parametrize(("bundle", "households", "scaled", "supply"), [
    # 4 entrepreneurs serving everyone, the budget for every discount
    ("full_package", 3000, False, None),
    # 12 entrepreneurs with everything in proportion
    ("full_package", 30_000, True, None),
    # service areas of some RWs (rows outside them build with local masons), a budget that
    # runs out within the run (every quote discounted, then some, then none)
    ("supply", 4000, False, {"coverage": 0.6, "budget": 40_000_000.0,
                             "entrepreneurs": 6}),
    # no discount at all
    ("supply", 3000, False, {"discount": 0.0}),
])
def test_sales_rounds_made_together_give_the_rounds_in_turn(bundle, households, scaled, supply,
                                                             monkeypatch):
    scenario = load("default")
    if scaled:
        scenario = scenario.scaled(households)
    together = _run(monkeypatch, True, scenario, bundle, households, 5, supply)
    in_turn = _run(monkeypatch, False, scenario, bundle, households, 5, supply)
    _assert_same(together, in_turn)
    seen, answers = together[2], together[3]
    made = [m for n, m in seen if n >= 2]
    assert made and sum(made) >= 0.5 * len(made)  # most months of several rounds at once
    assert not any(m for n, m in seen if n < 2)
    assert all(not m for n, m in in_turn[2])
    if supply and "budget" in supply:  # the budget's every answer met
        assert {True, None, False} <= set(answers)


def test_sales_rounds_together_without_money_or_willingness_constraints(monkeypatch):
    """The chain of who pays follows the switches: any price within reach is paid without
    willingness to pay, and savings do not limit without the money constraint."""
    scenario = load("default").with_params({"mechanisms.willingness_to_pay": False,
                                            "behaviour.money_constraint": False})
    together = _run(monkeypatch, True, scenario, "supply", 3000, 8)
    _assert_same(together, _run(monkeypatch, False, scenario, "supply", 3000, 8))
    assert any(m for _, m in together[2])


def _supply_model(**supply):
    model = _model(load("default"), "supply", 2000, 3, supply)
    model.run(2)
    return model, next(s for s in model.strategies if isinstance(s, Supply))


def test_discount_for_all_answers_only_what_no_order_can_change():
    model, supply = _supply_model()
    smallest = supply.discount * supply.price * min(1.0, supply._repair_share)
    largest = supply.discount * supply.price * max(1.0, supply._repair_share)
    left = supply.budget_left - supply.reserved
    assert supply._discount_for_all(model, int((left - 1.0) // largest)) is True
    assert supply._discount_for_all(model, int((left - 1.0) // largest) + 1) is None
    supply.reserved = supply.budget_left - smallest + 0.5  # the smallest still fits
    assert supply._discount_for_all(model, 1) is None
    supply.reserved = supply.budget_left - smallest + 2.0  # not even the smallest fits
    assert supply._discount_for_all(model, 1) is False
    supply.discount = 0.0
    assert supply._discount_for_all(model, 10**6) is False


@pytest.mark.parametrize("discounted", [True, False])
def test_sale_price_is_the_price_to_basic_of_a_quote(discounted):
    """``_sale_price`` gives ``model.price_to_basic`` of the rows, repairs and failed pit
    toilets among them, without the quote's record of the discounts offered."""
    model, supply = _supply_model()
    hh = model.households
    rows = np.flatnonzero(hh.rung < Rung.BASIC)[:200]
    hh.repair_due[rows[::3]] = True
    hh.pit_toilet[rows[::6]] = True  # half of the repairs are of pit toilets
    if not discounted:
        supply.reserved = supply.budget_left  # no discount fits
    assert supply._discount_for_all(model, rows.size) is discounted
    offer = supply.offer.copy()
    price = supply._sale_price(model, rows, discounted)
    np.testing.assert_array_equal(supply.offer, offer)  # nothing recorded
    np.testing.assert_array_equal(price, model.price_to_basic(rows))
    assert (price[::6] == model.params["costs.repair_share"]
            * model.params["costs.basic_pit"]).all()


def test_keys_drawn_ahead_must_be_as_many_as_the_orders():
    model, supply = _supply_model()
    supply._keys_drawn = np.zeros(3)
    with pytest.raises(RuntimeError, match="3 keys drawn for 2 orders"):
        supply._key_draws(2)
    supply._keys_drawn = np.full(2, 0.25)
    np.testing.assert_array_equal(supply._key_draws(2), [0.25, 0.25])
    assert supply._keys_drawn is None  # used once


@pytest.mark.parametrize(("preset", "bundle"), [
    ("default", "full_package"),
    (str(SCENARIO_DIR / "settings" / "madhya_pradesh.toml"), "tsc"),  # a voucher
])
def test_a_price_looked_up_is_the_price_offered_and_keeps_no_quote(preset, bundle):
    """``price_to_basic(rows, record=False)`` (micro-credit finding who needs a loan) gives
    the price a quote gives, and no builder keeps anything of it: no entrepreneur's discount
    offered, no voucher holder quoted this month."""
    model = SanitationModel(load(preset), seed=2, households=3000, bundle=bundle,
                            household_agents=False)
    model.run(3)
    builders = model.open_builders()
    assert builders
    kept = {(id(b), name): getattr(b, name).copy() for b in builders
            for name in ("offer", "full_price", "quoted") if hasattr(b, name)}
    assert kept
    rows = np.flatnonzero(model.households.rung < Rung.BASIC)
    looked_up = model.price_to_basic(rows, record=False)
    for (b, name), before in kept.items():
        builder = next(x for x in builders if id(x) == b)
        np.testing.assert_array_equal(getattr(builder, name), before, err_msg=name)
    offered = model.price_to_basic(rows)
    np.testing.assert_array_equal(looked_up, offered)
    assert any(not np.array_equal(getattr(next(x for x in builders if id(x) == b), name),
                                  before) for (b, name), before in kept.items())


def test_sales_rounds_go_in_turn_with_another_builder_open_and_draw_nothing():
    """With a second builder open (its quotes and orders could depend on the rounds' order)
    or a single round, ``_sell_together`` declines before drawing anything."""
    model, supply = _supply_model()
    rows = np.flatnonzero(model.households.rung < Rung.BASIC)
    rounds = [(3, rows[:10]), (3, rows[10:20])]
    drawn = (supply.rng.bit_generator.state,
             model.streams["purchase:offer"].bit_generator.state)

    class Other:
        def active(self, month: int) -> bool:
            return True

    assert not supply._sell_together(model, rounds[:1])
    model.builders.append(Other())
    assert not supply._sell_together(model, rounds)
    assert (supply.rng.bit_generator.state,
            model.streams["purchase:offer"].bit_generator.state) == drawn
    model.builders.pop()
    assert supply._sell_together(model, rounds)  # the same rounds, with the one builder
