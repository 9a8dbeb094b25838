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
    """The state and monthly table after ``MONTHS``; and each month's rounds: how many,
    whether made at once, and the discount budget not yet promised when they began."""
    seen: list[tuple[int, bool, float]] = []
    sell = Supply._sell_together

    def counted_sell(self, model, rounds):
        left = self.budget_left - self.reserved
        made = sell(self, model, rounds)
        seen.append((len(rounds), made, left))
        return made

    with monkeypatch.context() as patch:
        patch.setattr(Supply, "SELL_TOGETHER_FROM", 2 if together else 10**9)
        patch.setattr(Supply, "_sell_together", counted_sell)
        model = _model(*args, **kwargs)
        model.run(MONTHS)
    return _state(model), model.monthly_table(), seen


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
    seen = together[2]
    made = [m for n, m, _ in seen if n >= 2]
    assert made and sum(made) >= 0.5 * len(made)  # most months of several rounds at once
    assert not any(m for n, m, _ in seen if n < 2)
    assert all(not m for _, m, _ in in_turn[2])
    if supply and "budget" in supply:  # at once with every quote discounted and with none,
        config = scenario.strategies["supply"]  # and in turn while the budget ran out
        smallest = config["discount"] * config["price"] * min(
            1.0, scenario["costs.repair_share"])
        assert any(m and left > smallest for n, m, left in seen if n >= 2)
        assert any(m and left < smallest for n, m, left in seen if n >= 2)
        assert any(not m for n, m, _ in seen if n >= 2)


def test_sales_rounds_together_without_money_or_willingness_constraints(monkeypatch):
    """The chain of who pays follows the switches: any price within reach is paid without
    willingness to pay, and savings do not limit without the money constraint."""
    scenario = load("default").with_params({"mechanisms.willingness_to_pay": False,
                                            "behaviour.money_constraint": False})
    together = _run(monkeypatch, True, scenario, "supply", 3000, 8)
    _assert_same(together, _run(monkeypatch, False, scenario, "supply", 3000, 8))
    assert any(m for _, m, _ in together[2])


def _supply_model(**supply):
    model = _model(load("default"), "supply", 2000, 3, supply)
    model.run(2)
    return model, next(s for s in model.strategies if isinstance(s, Supply))


def test_discounts_commute_only_where_no_order_can_change_them():
    """Every discount fits in what is not yet promised (a rupiah to spare), or not even the
    smallest does; anything between depends on the order of the quotes."""
    model, supply = _supply_model()
    left = supply.budget_left - supply.reserved
    assert left > 10.0
    assert supply._discounts_commute(left - 1.0, 1.0)
    assert not supply._discounts_commute(left - 0.5, 1.0)
    assert supply._discounts_commute(10 * left, left + 0.5)
    assert not supply._discounts_commute(10 * left, left)  # the smallest still fits
    supply.reserved = supply.budget_left  # nothing left: no discount fits
    assert supply._discounts_commute(10 * left, 1.0)


def test_keys_drawn_ahead_must_be_as_many_as_the_orders():
    model, supply = _supply_model()
    supply._keys_drawn = np.zeros(3)
    with pytest.raises(RuntimeError, match="3 keys drawn for 2 orders"):
        supply._key_draws(2)
    supply._keys_drawn = np.full(2, 0.25)
    np.testing.assert_array_equal(supply._key_draws(2), [0.25, 0.25])
    assert supply._keys_drawn is None  # used once


def _quotes_kept(builders) -> list[np.ndarray]:
    """What the open builders keep of their quotes: an entrepreneur's discounts offered and
    rows quoted, a voucher's full prices and months quoted."""
    kept = []
    for b in builders:
        if isinstance(b, Supply):
            kept += [b.offer.copy(), np.array([len(b._offered)])]
        else:
            kept += [b.full_price.copy(), b.quoted.copy()]
    return kept


@pytest.mark.parametrize(("preset", "bundle", "exhausted"), [
    ("default", "full_package", False),
    ("default", "full_package", True),  # no discount left to offer
    (str(SCENARIO_DIR / "settings" / "madhya_pradesh.toml"), "tsc", False),  # a voucher
])
def test_a_price_looked_up_is_the_price_offered_and_keeps_no_quote(preset, bundle, exhausted):
    """``price_to_basic(rows, record=False)`` (micro-credit finding who needs a loan, the
    entrepreneurs' sales rounds at once counting who pays) gives the price a quote gives,
    repairs and failed pit toilets among the rows, and no builder keeps anything of it: no
    entrepreneur's discount offered, no voucher holder quoted this month."""
    model = SanitationModel(load(preset), seed=2, households=3000, bundle=bundle,
                            household_agents=False)
    model.run(3)
    hh = model.households
    rows = np.flatnonzero(hh.rung < Rung.BASIC)[:600]
    hh.repair_due[rows] = False
    hh.repair_due[rows[::3]] = True
    hh.pit_toilet[rows[::6]] = True  # half of the repairs are of pit toilets
    builders = model.open_builders()
    assert builders
    if exhausted:
        for b in builders:
            b.reserved = b.budget_left
    kept = _quotes_kept(builders)
    looked_up = model.price_to_basic(rows, record=False)
    for now, before in zip(_quotes_kept(builders), kept, strict=True):
        np.testing.assert_array_equal(now, before)
    offered = model.price_to_basic(rows)
    np.testing.assert_array_equal(looked_up, offered)
    assert any(not np.array_equal(now, before)
               for now, before in zip(_quotes_kept(builders), kept, strict=True))
    if bundle == "full_package":  # a failed pit toilet keeps the local masons' price
        assert (looked_up[::6] == model.params["costs.repair_share"]
                * model.params["costs.basic_pit"]).all()
        supply = next(b for b in builders if isinstance(b, Supply))
        discounted = looked_up[1::3] < supply.price  # (no repair among them)
        assert discounted.all() if not exhausted else not discounted.any()


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
