"""The fixed cost per month: shortcuts that must leave every result unchanged.

The sanitarians search their catchments together once a month (``agents._Team``); each
searching alone, as before, must give the same visits, state and outputs, bit for bit. A BCC
round finds every promoter's share of the candidates and due follow-ups with one search, and
computes its targeting priorities once for all its promoters when the rule gives each
candidate a priority of its own (``targeting.ELEMENTWISE``); each promoter doing both itself,
as before, must give the same visits, state and outputs, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from sanisim import agents, targeting
from sanisim.agents import _Team
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.population import Households
from sanisim.scenario import SCENARIO_DIR, load
from sanisim.strategies import bcc as bcc_module
from sanisim.strategies.bcc import BehaviourChange
from sanisim.strategies.microcredit import Microcredit
from sanisim.strategies.subsidy import NOT_ENROLLED, Subsidy
from sanisim.strategies.supply import Supply
from sanisim.strategies.voucher import Voucher
from sanisim.targeting import ELEMENTWISE, RULES, first

MONTHS = 18


def _state(model: SanitationModel) -> dict[str, np.ndarray]:
    hh = model.households
    state = {name: getattr(hh, name).copy() for name in Households.__dataclass_fields__}
    for s in model.strategies:
        if isinstance(s, BehaviourChange):
            state[f"{s.name}.last_visit"] = s.last_visit.copy()
            state[f"{s.name}.follow_up_due"] = s.follow_up_due.copy()
    for i, sanitarian in enumerate(model.sanitarians):
        state[f"sanitarian{i}.last_visit"] = sanitarian.last_visit.copy()
    for c in model.cooperatives:
        state[f"coop{c.index}"] = np.array([c.cash, c.outstanding, c.written_off])
    return state


def _run(preset: str, bundle: str, targeting: str | None, per_promoter: bool,
         monkeypatch) -> tuple[dict, object]:
    with monkeypatch.context() as patch:
        if per_promoter:  # every promoter finds its share and priorities itself, as before
            patch.setattr(BehaviourChange, "round_priority", lambda self, model: None)
            patch.setattr(BehaviourChange, "_shares",
                          lambda self, promoters: ([None] * len(promoters),) * 2)
        model = SanitationModel(load(preset), seed=3, households=3000, bundle=bundle,
                                household_agents=False)
        bcc = [s for s in model.strategies if isinstance(s, BehaviourChange)]
        assert bcc
        if targeting is not None:
            for s in bcc:
                s.targeting = targeting
        model.run(MONTHS)
    return _state(model), model.monthly_table()


@pytest.mark.parametrize("targeting", ["lowest_coverage", "random", "poorest_first",
                                       "whole_community", "lowest_village_coverage",
                                       "nominated_friends"])
def test_round_priorities_give_the_same_visits_as_each_promoters_own(targeting, monkeypatch):
    _assert_same(_run("default", "full_package", targeting, False, monkeypatch),
                 _run("default", "full_package", targeting, True, monkeypatch))


@pytest.mark.parametrize(("preset", "bundle"), [("takalar", "database_visits"),
                                                ("solo", "kelurahan_planning")])
def test_round_priorities_with_a_register_or_a_plan(preset, bundle, monkeypatch):
    _assert_same(_run(preset, bundle, None, False, monkeypatch),
                 _run(preset, bundle, None, True, monkeypatch))


@pytest.mark.parametrize("targeting", ["lowest_coverage", "random", "poorest_first",
                                       "most_connected", "nominated_friends"])
@pytest.mark.parametrize("bundle", ["baseline", "full_package"])
def test_sanitarians_searching_together_visit_as_each_alone(targeting, bundle, monkeypatch):
    """Three ways, the same visits: the team's visits made at once (``visit_together``),
    each sanitarian stepping in turn with its share of the team's search, and each
    searching alone."""
    def run(way: str):
        made = []
        with monkeypatch.context() as patch:
            if way != "together":  # each steps in turn
                patch.setattr(_Team, "visit_together", staticmethod(lambda model: False))
            else:
                original = _Team.visit_together
                patch.setattr(_Team, "visit_together", staticmethod(
                    lambda model: made.append(original(model)) or made[-1]))
            if way == "alone":
                patch.setattr(_Team, "share_of", staticmethod(lambda sanitarian: None))
            model = SanitationModel(load("default"), seed=5, households=3000, bundle=bundle,
                                    household_agents=False)
            for sanitarian in model.sanitarians:  # any rule, one the scenario cannot name too
                sanitarian.targeting = targeting
            model.run(MONTHS)
            if way != "alone":  # the team did the search
                assert all(s._team is not None for s in model.sanitarians)
            if way == "together":
                assert made == [True] * MONTHS
        return _state(model), model.monthly_table()

    together = run("together")
    _assert_same(together, run("in_turn"))
    _assert_same(together, run("alone"))


def test_a_sanitarian_stepping_out_of_turn_searches_alone():
    model = SanitationModel(load("default"), seed=2, households=2000, household_agents=False)
    model.run(2)
    last = list(model.sanitarians)[-1]
    before = last.visits_total
    last.step()  # a second step this month, outside the team's order
    assert last.visits_total > before
    assert last.last_visit.max() == model.month


def _assert_same(a, b) -> None:
    (state_a, table_a), (state_b, table_b) = a, b
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)
    assert table_a.equals(table_b)


@pytest.mark.parametrize(("targeting", "households", "scaled"), [
    ("lowest_coverage", 3000, False), ("random", 3000, False), ("most_connected", 3000, False),
    ("lowest_coverage", 30_000, True), ("poorest_first", 30_000, True)])
def test_a_round_planned_together_plans_as_each_promoter_in_turn(targeting, households, scaled,
                                                                  monkeypatch):
    """``BehaviourChange._plans_together`` (the round's plans found at once, each promoter's
    room from the budget left after those before it) gives the visits, state and outputs of
    the promoters planning in turn, bit for bit; and it was taken in most rounds. At 30,000
    households with the institutions in proportion (60 cadres) most cadres have more
    candidates than room."""
    taken, partial = [], []
    original = BehaviourChange._plans_together

    def counted(self, model, promoters, due_at, mine, left):
        result = original(self, model, promoters, due_at, mine, left)
        taken.append(result is not None)
        if result is not None:
            partial.append(sum(p.visits_this_month for p in promoters)
                           < sum(s.stop - s.start for s in mine))
        return result

    def run(in_turn: bool):
        with monkeypatch.context() as patch:
            patch.setattr(BehaviourChange, "_plans_together",
                          (lambda self, *args: None) if in_turn else counted)
            patch.setattr(bcc_module, "TOGETHER_FROM", 1)  # every round, whatever it costs
            patch.setattr(bcc_module, "TOGETHER_ROWS_PER_PROMOTER", 10**9)
            scenario = load("default")
            if scaled:
                scenario = scenario.scaled(households)
            model = SanitationModel(scenario, seed=4, households=households,
                                    bundle="full_package", household_agents=False)
            for s in model.strategies:
                if isinstance(s, BehaviourChange):
                    s.targeting = targeting
            model.run(MONTHS)
        return _state(model), model.monthly_table()

    _assert_same(run(False), run(True))
    assert sum(taken) > 0.9 * len(taken)
    assert any(partial)  # rounds where a promoter had less room than candidates


def test_a_round_is_planned_together_only_where_it_is_the_cheaper_way():
    """``worth_planning_together``: from ``TOGETHER_FROM`` promoters with at most
    ``TOGETHER_ROWS_PER_PROMOTER`` due follow-ups and candidates each on average; never
    where the catchments are not contiguous (no shares)."""
    many, rows = bcc_module.TOGETHER_FROM, bcc_module.TOGETHER_ROWS_PER_PROMOTER

    def shares(promoters: int, each: int) -> list[slice]:
        return [slice(i * each, (i + 1) * each) for i in range(promoters)]

    none = shares(many, 0)
    assert bcc_module.worth_planning_together(none, shares(many, rows))
    assert not bcc_module.worth_planning_together(none, shares(many, rows + 1))
    assert not bcc_module.worth_planning_together(shares(many, 1), shares(many, rows))
    assert not bcc_module.worth_planning_together(shares(many - 1, 0), shares(many - 1, 1))
    assert not bcc_module.worth_planning_together([None] * many, [None] * many)


def _round_with_priorities(monkeypatch, priorities):
    model = SanitationModel(load("default"), seed=4, households=3000, bundle="full_package",
                            household_agents=False)
    model.run(1)
    bcc = next(s for s in model.strategies if isinstance(s, BehaviourChange))
    bcc.candidates = np.flatnonzero(model.households.rung < 3)
    bcc.keys = np.zeros(bcc.candidates.size)
    bcc.due = bcc.candidates[:0]
    values = priorities(bcc.candidates.size)
    monkeypatch.setattr(BehaviourChange, "round_priority", lambda self, m: values)
    return model, bcc, bcc.rounds[0], values


def test_plans_together_keep_each_blocks_lowest_priorities_and_leave_boundary_ties(monkeypatch):
    """With room for all, every promoter visits all its candidates, block after block; with
    room for some and equal priorities where the room ends (a rule's ties), which of them a
    promoter keeps would depend on the order, so the round is left to the promoters in
    turn."""
    rng = np.random.default_rng(1)

    def tied(n):
        values = np.repeat(np.arange(4.0), -(-n // 4))[:n]
        rng.shuffle(values)
        return values

    model, bcc, promoters, ties = _round_with_priorities(monkeypatch, tied)
    for p in promoters:
        p.capacity = 10_000
    due_at, mine = bcc._shares(promoters)
    due, chosen = bcc._plans_together(model, promoters, due_at, mine, 10**9)
    assert due.size == 0 and chosen.size > 100
    at = 0
    for m in mine:  # each block's rows, in order of priority
        block = chosen[at:at + m.stop - m.start]
        at += block.size
        np.testing.assert_array_equal(np.sort(block), bcc.candidates[m])
        assert (np.diff(ties[np.searchsorted(bcc.candidates, block)]) >= 0).all()
    for p in promoters:
        p.capacity = 3
    assert bcc._plans_together(model, promoters, due_at, mine, 10**9) is None


def test_plans_together_share_a_short_budget_as_in_turn(monkeypatch):
    """Each promoter's room is its capacity until the budget runs short, the rest at the
    promoter where it runs out, then none; the chosen rows are ``first``'s in each block."""
    model, bcc, promoters, values = _round_with_priorities(
        monkeypatch, lambda n: np.random.default_rng(2).random(n))
    due_at, mine = bcc._shares(promoters)
    capacity = [p.capacity for p in promoters]
    left = capacity[0] + capacity[1] + 4
    due, chosen = bcc._plans_together(model, promoters, due_at, mine, left)
    expected, budget = [], left
    for p, m in zip(promoters, mine, strict=True):
        expected.append(first(values[m], bcc.candidates[m], min(p.capacity, budget)))
        budget -= expected[-1].size
    np.testing.assert_array_equal(chosen, np.concatenate(expected))  # no ties: also in order
    assert [p.visits_this_month for p in promoters][:3] == [capacity[0], capacity[1], 4]
    assert sum(p.visits_this_month for p in promoters) == left


@pytest.mark.parametrize("same_terms", [True, False])
def test_eligibility_for_credit_is_each_rows_own_cooperatives(same_terms):
    """``agents.eligible_for_credit``: what each row's own cooperative's ``eligible`` says,
    whether the cooperatives lend on the same terms (one call) or not (one a cooperative)."""
    from sanisim.agents import eligible_for_credit

    model = SanitationModel(load("default"), seed=8, households=3000, household_agents=False)
    model.run(6)
    coops = list(model.cooperatives)
    assert len(coops) > 1
    if not same_terms:
        coops[1].max_loan = coops[0].max_loan / 3
    rng = np.random.default_rng(2)
    rows = np.sort(rng.choice(model.households.n, 800, replace=False))
    need = rng.uniform(0, 1.2 * coops[0].max_loan, rows.size)
    expected = np.zeros(rows.size, bool)
    coop_of = model.coop_of_row[rows]
    for c in coops:
        mine = coop_of == c.index
        expected[mine] = c.eligible(rows[mine], need[mine])
    assert 0 < expected.sum() < rows.size
    np.testing.assert_array_equal(eligible_for_credit(model, rows, need), expected)
    np.testing.assert_array_equal(eligible_for_credit(model, rows, need, coop_of), expected)


def test_elementwise_rules_give_a_subset_its_share_of_the_priorities():
    model = SanitationModel(load("default"), seed=1, households=2000, household_agents=False)
    model.run(3)
    candidates = np.flatnonzero(model.households.rung < 3)
    keys = np.random.default_rng(0).random(candidates.size)
    part = np.arange(0, candidates.size, 3)
    for name in ELEMENTWISE:
        whole = RULES[name](model, candidates, keys)
        np.testing.assert_array_equal(RULES[name](model, candidates[part], keys[part]),
                                      whole[part], err_msg=name)


@pytest.mark.parametrize("bundle", ["baseline", "microcredit", "full_package"])
def test_kept_borrowers_are_the_scan_of_every_household_each_month(bundle):
    """Each cooperative's kept borrowers equal a scan of ``loan_coop`` at every month's end,
    and the record's loan counts equal the counts over every household."""
    model = SanitationModel(load("default"), seed=5, households=3000, bundle=bundle,
                            household_agents=False)
    hh = model.households
    issued = 0
    for _ in range(36):
        model.step()
        for c in model.cooperatives:
            assert np.array_equal(c.borrowers(), np.flatnonzero(hh.loan_coop == c.index))
        borrowing = hh.loan_coop >= 0
        assert model.current["loans_outstanding"] == np.count_nonzero(borrowing)
        assert model.current["loans_in_arrears"] == np.count_nonzero(
            borrowing & (hh.loan_missed >= model.params["cooperatives.arrears_after"]))
        issued += model.current["loans_issued"]
    assert issued > 20 and model.current["loans_outstanding"] > 0


def test_kept_supply_queue_is_the_scan_of_every_household_each_month():
    """The entrepreneurs' waiting rows, kept from the orders taken (``Supply.waiting_rows``),
    equal a scan of ``waiting`` at every month's end, past the programme's end too; a
    ``waiting`` array replaced from outside is scanned afresh."""
    model = SanitationModel(load("default"), seed=6, households=4000, bundle="full_package",
                            household_agents=False)
    supply = next(s for s in model.strategies if isinstance(s, Supply))
    queued = 0
    for _ in range(72):
        model.step()
        np.testing.assert_array_equal(supply.waiting_rows(), np.flatnonzero(supply.waiting))
        queued += supply.waiting.sum()
    assert queued > 100  # the queues were used
    supply.waiting = supply.waiting.copy()
    supply.waiting[:50] = True
    np.testing.assert_array_equal(supply.waiting_rows(), np.flatnonzero(supply.waiting))


@pytest.mark.parametrize("k", [1, 7, 39, 40, 41])
def test_first_serves_the_lowest_priorities_in_order(k):
    """``first``: the ``k`` candidates of lowest priority in that order, as a full stable
    sort gives them, whether ``k`` is fewer than, all or more than the candidates."""
    rng = np.random.default_rng(k)
    candidates = np.sort(rng.choice(10_000, 40, replace=False))
    priority = rng.random(40)
    expected = candidates[np.argsort(priority, kind="stable")][:k]
    assert np.array_equal(first(priority, candidates, k), expected)
    assert first(priority, candidates, 0).size == 0


def test_start_building_no_rows_books_nothing_and_changes_nothing():
    """No rows: the households' arrays are untouched, no builder takes an order, and the
    books hold the zero that summing no payments gave before."""
    model = SanitationModel(load("default"), seed=2, households=600, bundle="full_package",
                            household_agents=False)
    model.run(3)
    before = _state(model)
    model.ledger.clear()
    model.start_building(np.zeros(0, np.intp), 3, paid_by_household=np.zeros(0))
    assert dict(model.ledger) == {("households", "construction"): 0.0}
    after = _state(model)
    assert all(np.array_equal(before[name], after[name]) for name in before)


# ------------------------------------------------- keys only for candidates that can be served


def _reference(model, rule, candidates, key, k):
    """What ``select_keyed`` stands for: a key and a priority for every candidate."""
    return targeting.select(model, rule, candidates, targeting.row_uniforms(key, candidates), k)


@pytest.mark.parametrize("rule", sorted(targeting.BASES))
@pytest.mark.parametrize("k", [1, 3, 40, 199])
def test_select_keyed_serves_what_keys_for_every_candidate_serve(rule, k):
    """For each rule of ``BASES``, sizes below and above ``BOUNDED_FROM`` candidates a place,
    the same rows in the same order as keys and priorities for every candidate."""
    model = SanitationModel(load("default"), seed=1, households=20_000, household_agents=False)
    model.run(6)
    open_ = np.flatnonzero(model.households.rung < 3)
    rng = np.random.default_rng(k)
    for size in (k, 2 * k, targeting.BOUNDED_FROM * k, open_.size):
        candidates = np.sort(rng.choice(open_, min(size, open_.size), replace=False))
        key = np.uint64(rng.integers(0, 2**63))
        assert np.array_equal(targeting.select_keyed(model, rule, candidates, key, k),
                              _reference(model, rule, candidates, key, k)), (rule, k, size)


def test_select_keyed_with_equal_keys_or_bases_that_are_not_numbers(monkeypatch):
    """Keys rounded to 1/8 (most priorities equal, so ``first`` could pick other rows among
    the equal ones) and bases with NaN: the same rows as the full computation."""
    model = SanitationModel(load("default"), seed=1, households=20_000, household_agents=False)
    model.run(6)
    candidates = np.flatnonzero(model.households.rung < 3)
    plain = targeting.row_uniforms
    monkeypatch.setattr(targeting, "row_uniforms",
                        lambda key, rows: np.floor(plain(key, rows) * 8) / 8)
    for rule in targeting.BASES:
        for k in (1, 5, 40):
            assert np.array_equal(targeting.select_keyed(model, rule, candidates, 7, k),
                                  _reference(model, rule, candidates, 7, k)), (rule, k)
    monkeypatch.setattr(targeting, "row_uniforms", plain)
    with_nan = np.where(np.arange(model.households.n) % 100 == 0, model.coverage_of_rows(),
                        np.nan)  # a number for one household in 100
    monkeypatch.setattr(model, "coverage_of_rows", lambda: with_nan)
    numbers = np.count_nonzero(~np.isnan(with_nan[candidates]))
    assert candidates.size >= targeting.BOUNDED_FROM * (numbers + 5) and numbers > 40
    for k in (1, 40, numbers + 5):  # the last: fewer numbers than k
        assert np.array_equal(
            targeting.select_keyed(model, "lowest_coverage", candidates, 11, k),
            _reference(model, "lowest_coverage", candidates, 11, k)), k


def test_at_least_k_below_holds_k_values_at_or_below_it():
    """The sample's guess when it has k values at or below it; the k-th lowest itself when
    the sample holds the few lowest values (or too few values to sample)."""
    rng = np.random.default_rng(4)
    for k in (1, 5, 40):
        base = rng.random(5000)
        value = targeting._at_least_k_below(base, k)
        stride = base.size // (targeting.SAMPLED_PER_SERVED * k)
        # about 2k values below it, or a stride's worth when the sample is sparser than that
        assert k <= np.count_nonzero(base <= value) <= 4 * max(2 * k, stride), k
    base = np.full(2000, 0.5)
    base[::25] = 0.9
    base[0] = 0.0  # the sample's lowest is below all but one value
    assert targeting._at_least_k_below(base, 5) == 0.5  # the k-th lowest, by a partition
    assert targeting._at_least_k_below(np.arange(10.0)[::-1], 3) == 2.0  # too few to sample


@pytest.mark.parametrize("rule", sorted(targeting.BASES))
@pytest.mark.parametrize("bundle", ["baseline", "full_package"])
def test_sanitarians_with_keys_for_few_candidates_visit_as_with_keys_for_all(rule, bundle,
                                                                            monkeypatch):
    """Sanitarians bounding their candidates wherever they can (``BOUNDED_FROM`` 2) and never:
    the same visits, state and outputs, bit for bit; the bound was used."""
    def run(bound: bool):
        calls = []
        with monkeypatch.context() as patch:
            if bound:
                patch.setattr(targeting, "BOUNDED_FROM", 2)
                guess = targeting._at_least_k_below
                patch.setattr(targeting, "_at_least_k_below",
                              lambda base, k: calls.append(k) or guess(base, k))
            else:
                patch.setattr(targeting, "bounded", lambda rule, candidates, k: False)
                patch.setattr(agents, "bounded", lambda rule, candidates, k: False)
            model = SanitationModel(load("default"), seed=5, households=3000, bundle=bundle,
                                    household_agents=False)
            for sanitarian in model.sanitarians:
                sanitarian.targeting = rule
            model.run(MONTHS)
        assert bool(calls) == bound
        return _state(model), model.monthly_table()

    _assert_same(run(True), run(False))


def test_sanitarians_of_a_subclass_or_with_their_own_step_step_in_turn():
    """``visit_together`` leaves a month to the sanitarians' own ``step`` when one of them is
    of a subclass or has a ``step`` of its own (it might step, choose or visit its own way)."""
    model = SanitationModel(load("default"), seed=2, households=2000, household_agents=False)
    model.run(1)
    assert agents.visit_together(model)
    stepped = []
    last = list(model.sanitarians)[-1]
    last.step = lambda: stepped.append(True)
    model.step()
    assert stepped == [True]
    assert not agents.visit_together(model)
    del last.step
    assert agents.visit_together(model)
    last.visit = lambda rows, delivered=None: None  # a visit of its own
    assert not agents.visit_together(model)
    del last.visit
    last.visit_cost *= 2  # another product: each delivers and books its own
    assert not agents.visit_together(model)
    last.visit_cost /= 2
    assert agents.visit_together(model)
    last.__class__ = type("OwnSanitarian", (agents.Sanitarian,), {})
    assert not agents.visit_together(model)


def test_ranges_are_each_start_and_its_offsets_in_order():
    """``rowblocks.ranges``: the positions of each range in turn, empty ranges included, as
    a Python loop over the ranges gives them."""
    from sanisim.rowblocks import ranges

    starts, sizes = np.array([40, 0, 7, 100, 3], np.int32), np.array([3, 0, 5, 1, 0], np.int32)
    expected = np.concatenate([np.arange(a, a + k) for a, k in zip(starts, sizes, strict=True)])
    np.testing.assert_array_equal(ranges(starts, sizes), expected)
    assert ranges(starts, sizes).dtype == np.intp
    assert ranges([], []).size == 0


# ------------------------------------------------- prices and orders when no row is a pit toilet


def _general_price_to_basic(self, rows, record=True):
    """``price_to_basic`` as it was: the technology of every row looked up, and each builder
    quoting the rows it serves through a mask, whether or not any row is a pit toilet."""
    p, hh = self.params, self.households
    repair = hh.repair_due[rows]
    pit = repair & hh.pit_toilet[rows]
    price = np.where(repair, p["costs.repair_share"] * self.toilet_price(pit),
                     p["costs.toilet"])
    return self._quoted(rows, price, pit, record)


def _run_builders(preset: str, bundle: str, general: bool, monkeypatch, counts=None):
    start_building = SanitationModel.start_building
    quoted = SanitationModel._quoted

    def asked_by_mask(self, rows, target, paid_by_household=0.0, pit_toilet=False):
        if pit_toilet is False:  # an array of False: the builders asked through masks
            pit_toilet = np.zeros(rows.size, bool)
        return start_building(self, rows, target, paid_by_household, pit_toilet)

    def counted(self, rows, price, pit, record=True):
        counts[pit is None] += bool(self.open_builders()) and rows.size > 0
        return quoted(self, rows, price, pit, record)

    with monkeypatch.context() as patch:
        if general:
            patch.setattr(SanitationModel, "price_to_basic", _general_price_to_basic)
            patch.setattr(SanitationModel, "start_building", asked_by_mask)
            # (orders in parts are for septic toilets only: the sales rounds in turn)
            patch.setattr(Supply, "SELL_TOGETHER_FROM", 10**9)
        elif counts is not None:
            patch.setattr(SanitationModel, "_quoted", counted)
        model = SanitationModel(load(preset), seed=5, households=3000, bundle=bundle,
                                household_agents=False)
        model.run(30)
    return _state(model), model.monthly_table()


_VOUCHERS = str(SCENARIO_DIR / "settings" / "madhya_pradesh.toml")  # a voucher: any toilet


@pytest.mark.parametrize(("preset", "bundle"), [("default", "full_package"), ("default", "supply"),
                                                ("default", "baseline"), (_VOUCHERS, "tsc")])
def test_prices_and_orders_without_pit_toilets_as_through_masks(preset, bundle, monkeypatch):
    """With no pit toilet among the rows, ``price_to_basic`` prices them without the
    technology lookup and every builder quotes (and ``start_building`` orders) all of them
    at once; the prices, orders, state and outputs are those of the masks, bit for bit (the
    entrepreneurs' septic toilets, a voucher that covers any toilet, local masons alone).
    Quotes with no pit toilet among the rows occurred where builders are open."""
    counts = [0, 0]
    fast = _run_builders(preset, bundle, False, monkeypatch, counts)
    _assert_same(_run_builders(preset, bundle, True, monkeypatch), fast)
    assert (counts[True] > 0) == (bundle != "baseline")


# ------------------------------------------------- a BCC programme's candidates from one mask


def _scanned_candidates(self, model):
    """``_candidates`` as it was: the rows below basic gathered, then filtered by the record
    of visits and by building (perfect information); the record's differences otherwise."""
    hh = model.households
    if self.information == "perfect":
        below = np.flatnonzero(hh.rung < Rung.BASIC.value)
        below = below[model.month - self.last_visit[below].astype(np.int32)
                      >= self.revisit_after]
        return self.within_reach(below[hh.build_left[below] < 0])
    return self.within_reach(np.flatnonzero(model.month - self.last_visit.astype(np.int32)
                                            >= self.revisit_after))


def _scanned_open_to_offers(self, model):
    """The rows open to a loan offer as ``Microcredit._offer`` found them before: the rows
    below basic gathered, then filtered."""
    hh = model.households
    rows = (hh.rung < Rung.BASIC.value).nonzero()[0]
    if self.channel == "referral":
        rows = rows[hh.referred[rows]]
    rows = rows[(hh.build_left[rows] < 0) & (hh.loan_coop[rows] < 0) & ~hh.defaulted[rows]
                & ~hh.applying[rows]
                & (model.month - self.offered_month[rows] >= self.reoffer_after)]
    return self.within_reach(rows)


def _scanned_subsidy_eligible(self, model):
    hh = model.households
    rows = np.flatnonzero(hh.rung < Rung.BASIC.value)
    rows = rows[(hh.build_left[rows] < 0) & ~hh.subsidised[rows]
                & (self.enrolled_month[rows] == NOT_ENROLLED)]
    if self.poor_only:
        rows = rows[hh.poor[rows]]
    return self.within_reach(rows)


def _scanned_voucher_eligible(self, model):
    hh = model.households
    rows = np.flatnonzero(hh.rung < Rung.BASIC.value)
    rows = rows[(hh.build_left[rows] < 0) & ~self.ever[rows]]
    if self.poor_only:
        rows = rows[hh.poor[rows]]
    return self.within_reach(rows)


_CANDIDATE_CASES = {  # preset, bundle, strategy, its method, the earlier scan, its settings
    "bcc, perfect information": ("default", "bcc", BehaviourChange, "_candidates",
                                 _scanned_candidates,
                                 {"information": "perfect", "revisit_after": 3}),
    "bcc, door to door": ("default", "bcc", BehaviourChange, "_candidates", _scanned_candidates,
                          {"information": "door_to_door", "revisit_after": 3}),
    "loan offers by referral": ("default", "bcc_plus_credit", Microcredit, "_open_to_offers",
                                _scanned_open_to_offers,
                                {"channel": "referral", "reoffer_after": 4}),
    "loan offers, open": ("default", "bcc_plus_credit", Microcredit, "_open_to_offers",
                          _scanned_open_to_offers, {"channel": "open", "reoffer_after": 4}),
    "subsidy": ("default", "bcc_before_hardware", Subsidy, "_eligible",
                _scanned_subsidy_eligible, {"poor_only": False}),
    "subsidy, the poor": ("default", "bcc_before_hardware", Subsidy, "_eligible",
                          _scanned_subsidy_eligible, {"poor_only": True}),
    "vouchers": (_VOUCHERS, "tsc", Voucher, "_eligible", _scanned_voucher_eligible,
                 {"poor_only": False}),
    "vouchers, the poor": (_VOUCHERS, "tsc", Voucher, "_eligible", _scanned_voucher_eligible,
                           {"poor_only": True}),
}


@pytest.mark.parametrize("case", list(_CANDIDATE_CASES))
def test_who_a_programme_may_move_from_one_mask_is_the_rows_scanned_before(case, monkeypatch):
    """Every month a programme looks, the households it may still move (BCC's candidates for
    a first visit, the rows open to a loan offer, a subsidy's and a voucher's eligible rows),
    found from one mask of every household, are the rows the earlier scan gave, in the same
    order; and they changed over the run."""
    preset, bundle, kind, method, scanned, settings = _CANDIDATE_CASES[case]
    model = SanitationModel(load(preset), seed=4, households=3000, bundle=bundle,
                            household_agents=False)
    strategy = next(s for s in model.strategies if isinstance(s, kind))
    for name, value in settings.items():
        setattr(strategy, name, value)
    found = getattr(kind, method)
    sizes = []

    def both(self, model):
        rows = found(self, model)
        np.testing.assert_array_equal(rows, scanned(self, model))
        sizes.append(rows.size)
        return rows

    monkeypatch.setattr(kind, method, both)
    model.run(30)
    assert len(sizes) >= 6 and min(sizes) < max(sizes)


@pytest.mark.parametrize("bundle", ["supply", "full_package"])
def test_entrepreneurs_serving_everyone_quote_and_take_orders_as_through_masks(bundle):
    """Entrepreneurs whose service areas hold every household (the default) quote and take
    orders without a mask of the rows they serve: the prices, queues, state and outputs of
    the masks, bit for bit."""
    def run(masks: bool):
        model = SanitationModel(load("default"), seed=6, households=3000, bundle=bundle,
                                household_agents=False)
        supply = next(s for s in model.strategies if isinstance(s, Supply))
        assert supply._serves_all
        supply._serves_all = not masks
        model.run(30)
        state = _state(model)
        for name in ("waiting", "key", "deposit", "discount_owed", "list_price", "droppable"):
            state[f"supply.{name}"] = getattr(supply, name).copy()
        return state, model.monthly_table()

    _assert_same(run(masks=True), run(masks=False))


def test_and_not_narrows_a_mask_in_place_by_the_rows_without_a_flag():
    """``and_not(mask, flag)`` is ``mask & ~flag``, written into ``mask`` itself."""
    from sanisim.strategies.common import and_not

    rng = np.random.default_rng(8)
    mask, flag = rng.random(1000) < 0.5, rng.random(1000) < 0.3
    expected = mask & ~flag
    out = and_not(mask, flag)
    assert out is mask
    np.testing.assert_array_equal(mask, expected)
