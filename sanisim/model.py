"""SanitationModel: the monthly step order and the collected outputs.

One month is the phases of :data:`STEP_ORDER` (:mod:`sanisim.phases`), in order. Each phase is a
method ``_<phase>`` acting on whole household arrays; active strategies then get
``on_<phase>(model)``. ``print(model.plan())`` shows the month with the strategies acting.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from functools import partial
from typing import Protocol

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sanisim import facilities, purchase
from sanisim import network as networks
from sanisim.agents import (
    CreditCooperative,
    Household,
    Sanitarian,
    eligible_for_credit,
    visit_together,
)
from sanisim.behaviour import (
    Scratch,
    decay_factor,
    decision_hazard,
    failure_cache,
    failure_multiplier,
    motivation,
    relax_factors,
)
from sanisim.community import Communities, Tally
from sanisim.draws import NO_ROWS, bernoulli_rows, month_key, row_uniforms, run_starts, thinned
from sanisim.government import Government
from sanisim.government import columns as government_columns
from sanisim.ladder import BASIC_CODE as _BASIC
from sanisim.ladder import LIMITED_CODE as _LIMITED
from sanisim.ladder import N_RUNGS, RUNG_COLUMNS, Rung
from sanisim.ladder import OD_CODE as _OD
from sanisim.ladder import SAFELY_MANAGED_CODE as _SAFELY_MANAGED
from sanisim.ladder import UNIMPROVED_CODE as _UNIMPROVED
from sanisim.lending import lend_together
from sanisim.phases import STEP_ORDER, Plan, plan_of
from sanisim.population import Households, owned_facility, places, synthesise
from sanisim.rowblocks import blocks, ranges
from sanisim.scenario import Scenario
from sanisim.scenario import load as load_scenario
from sanisim.strategies import Strategy, build_bundle
from sanisim.streams import Streams
from sanisim.waste import WASTE_COLUMNS, Waste

FUNDERS: tuple[str, ...] = ("households", "government", "cooperatives", "donors")
#: :func:`~sanisim.population.owned_facility` of each rung, as a table (indexed by rung).
_OWNED_BY_RUNG = owned_facility(np.arange(N_RUNGS))


class Builder(Protocol):
    """A construction service with limited capacity (e.g. sanitation entrepreneurs, KWS).

    A strategy appends one to ``model.builders`` in its ``setup``; the model consults it only
    in months where ``active(month)`` is true, so the months before it opens are the baseline's.
    ``quote`` may change the price of the rows it serves (:meth:`SanitationModel.price_to_basic`)
    and keeps what it offered for an order this month, unless ``record`` is false (a price
    looked up, not offered: who needs how large a loan),
    ``order`` takes rows as orders and returns a bool mask of the rows taken
    (:meth:`SanitationModel.start_building`), and ``build`` starts queued orders within
    capacity at the start of the construction phase (clearing ``households.queued``).
    A builder serves septic toilets only (entrepreneurs sell them; local masons build pit
    toilets) unless its class sets ``any_technology = True``: a price reduction that a
    household takes to whichever toilet it builds (a voucher).
    """

    def active(self, month: int) -> bool: ...

    def quote(self, model: SanitationModel, rows: np.ndarray, price: np.ndarray,
              record: bool = True) -> np.ndarray: ...

    def order(self, model: SanitationModel, rows: np.ndarray, target: int,
              paid: np.ndarray) -> np.ndarray: ...

    def build(self, model: SanitationModel) -> None: ...


#: From this many households on, :func:`households_and_network` builds the network on a
#: second thread while the rest of the population is drawn.
ALONGSIDE_FROM = 100_000


def households_and_network(params, streams: Streams, n: int | None = None,
                           scenario_path: str | None = None
                           ) -> tuple[Households, networks.SocialNetwork]:
    """The synthetic households of a run and their social network.

    The network needs only the households' RTs and RWs, the population's first draws; from
    :data:`ALONGSIDE_FROM` households on it is built on a second thread while the rest of the
    population is drawn (numpy's draws and scipy's sparse conversions run without the
    interpreter lock). Each draws from its own stream ("population", "network"), so the
    numbers are those of one built after the other.
    """
    rng = streams["population"]
    placed = places(params, rng, n)
    rt, rw, _ = placed
    build = partial(networks.build, params, rt, rw, streams["network"], scenario_path)
    if rt.size < ALONGSIDE_FROM:
        return synthesise(params, rng, placed=placed), build()
    with ThreadPoolExecutor(1, thread_name_prefix="sanisim-network") as pool:
        network = pool.submit(build)
        households = synthesise(params, rng, placed=placed)
        return households, network.result()


#: Values of ``SanitationModel(household_agents=...)``: on first use, at construction, never.
HOUSEHOLD_AGENTS = ("lazy", True, False)


class SanitationModel(mesa.Model):
    """Sanitation adoption in a district: households on a network, sanitarians, cooperatives.

    Args:
        scenario: validated parameters and strategy definitions, or the name or path of a
            scenario file (default: the shipped ``default`` scenario, whose parameters are the
            registry defaults and whose bundles are the shipped strategies), kept as
            ``model.config`` (``model.scenario`` is Mesa's own scenario object).
        seed: run seed; every random stream derives from it (see :class:`Streams`). ``None``
            (as ``mesa.batch_run`` passes) draws a fresh seed from the operating system and
            keeps it as ``model.seed``.
        households: override the scenario's household count.
        bundle: name of the scenario's strategy bundle to run ("baseline": none).
        strategies: strategy objects to run instead of a named bundle.
        household_agents: when the Mesa ``Household`` view agents (one per row, see
            :meth:`household_agents`) exist: ``"lazy"`` (default) on first use, i.e. the first
            call of :meth:`household_agents` or read of ``model.agents``,
            ``model.agents_by_type`` or ``model.agent_types`` (Mesa's data collection and
            visualisation read these); ``True`` at construction; ``False`` never. The array
            model and its results are the same in all three.
    """

    def __init__(self, scenario: Scenario | str | None = None, *, seed: int | None = 0,
                 households: int | None = None, bundle: str = "baseline",
                 strategies: list[Strategy] | None = None,
                 household_agents: bool | str = "lazy") -> None:
        if not (isinstance(household_agents, bool) or household_agents == "lazy"):
            raise ValueError(f"household_agents must be one of {HOUSEHOLD_AGENTS}, "
                             f"not {household_agents!r}")
        #: When the Household view agents are made (see ``household_agents`` above).
        self._household_agents_when = household_agents
        self._household_agents_made = False
        if seed is None:  # a fresh run seed, recorded (mesa.batch_run passes seed=None)
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        super().__init__(rng=int(seed))
        if scenario is None or isinstance(scenario, str):
            scenario = load_scenario("default" if scenario is None else scenario)
        self.config = scenario
        self.params = self.config.params
        self.seed = int(seed)
        self.streams = Streams(self.seed)
        self.bundle = bundle
        self.month = 0

        p = self.params
        self.households, self.network = households_and_network(p, self.streams, households,
                                                               self.config.path)
        hh = self.households
        self.n_rt = int(hh.rt.max()) + 1
        self.rt_size = np.bincount(hh.rt, minlength=self.n_rt)
        self._setup_mechanisms()
        if household_agents is True:  # before the other agents, as always (unique ids)
            self._make_household_agents()

        self._keep = decay_factor(p["factors.half_life_months"])
        self._fail_by_rung = np.array([0.0, p["failure.unimproved"], p["failure.limited"],
                                       p["failure.basic"], p["failure.basic"]], np.float32)
        self._build_sanitarians()
        self._build_cooperatives()
        #: The district government (:mod:`sanisim.government`); None when the switch is off.
        self.government = Government(self) if p["mechanisms.government"] else None

        self.ledger: defaultdict[tuple[str, str], float] = defaultdict(float)
        #: The rows applying for a loan as the cooperatives phase starts (only during it).
        self.waiting_applications: np.ndarray | None = None
        self.totals: defaultdict[tuple[str, str], float] = defaultdict(float)
        #: Households whose income was hit by a shock this month (a mask; the rows are
        #: ``_shocked_rows``, so the next month clears only those).
        self.shocked = np.zeros(hh.n, bool)
        self._shocked_rows = np.zeros(0, np.intp)
        self.neighbour_adopted = np.zeros(hh.n, np.float32)
        #: float32 work arrays of the monthly chains (behaviour.Scratch), reused every month.
        self._scratch = Scratch(hh.n)
        #: the failure multiplier of self-regulation, kept and recomputed at the rows whose
        #: self-regulation changed (sanisim.rowcache): the same numbers as every month anew
        self._failure_multiplier = failure_cache()
        self._update_communities(first=True)
        if p["mechanisms.use"] and p["use.start_in_equilibrium"]:
            # from the RT coverage just counted; the communities recounted with the non-users
            if facilities.start_in_equilibrium(self).size:
                self._update_communities(first=True)

        #: Construction services households order from (see :class:`Builder`); strategies
        #: add theirs in ``setup``. Empty in the baseline: local masons, no capacity limit.
        self.builders: list[Builder] = []
        #: Monthly failure-hazard factors strategies add in ``setup``: each is called as
        #: ``factor(model, hazard)`` and scales the float32 hazard per row in place.
        self.hazard_factors: list = []
        self.strategies = strategies if strategies is not None else build_bundle(
            self.config, bundle)
        for strategy in self.strategies:
            strategy.setup(self)

        self.current: dict[str, float] = {}
        self.output_columns = OUTPUT_COLUMNS + (
            WASTE_COLUMNS if self.waste is not None else ()) + (
            government_columns() if self.government is not None else ()) + tuple(
            col for s in self.strategies for col in s.output_columns)
        self.datacollector = mesa.DataCollector(
            model_reporters={col: partial(_read_current, col) for col in self.output_columns})
        self._record()

    # ------------------------------------------------------------------ Household agents
    def _make_household_agents(self) -> None:
        """Create one :class:`Household` view agent per row, once (draws no random numbers)."""
        self._household_agents_made = True
        for row in range(self.households.n):
            Household(self, row)

    def _lazy_household_agents(self) -> None:
        # getattr: Mesa's own __init__ may read the agent sets before ours has run.
        if (getattr(self, "_household_agents_when", None) == "lazy"
                and not self._household_agents_made and hasattr(self, "households")):
            self._make_household_agents()

    def household_agents(self) -> AgentSet:
        """The ``Household`` view agents, one per row in row order, created on first use.

        Raises:
            ValueError: the model was built with ``household_agents=False``.
        """
        if self._household_agents_when is False:
            raise ValueError("this model was built with household_agents=False: "
                             "it has no Household agents")
        return self.agents_by_type[Household]

    @property
    def agents(self):
        """Mesa's set of all agents; the Household view agents are created first if lazy."""
        self._lazy_household_agents()
        return super().agents

    @property
    def agents_by_type(self):
        """Mesa's agent sets by type; the Household view agents are created first if lazy."""
        self._lazy_household_agents()
        return super().agents_by_type

    @property
    def agent_types(self):
        """Mesa's agent types; the Household view agents are created first if lazy."""
        self._lazy_household_agents()
        return super().agent_types

    # ------------------------------------------------------------------ set-up helpers
    def _build_sanitarians(self) -> None:
        p, hh = self.params, self.households
        count = p["sanitarians.count"]
        n_rw = int(hh.rw.max()) + 1
        owner = (hh.rw.astype(np.int64) * max(count, 1)) // n_rw
        self.sanitarians = AgentSet(
            [Sanitarian(self, np.flatnonzero(owner == s), p["sanitarians.visits_per_month"],
                        p["sanitarians.targeting"], p["sanitarians.visit_effect"],
                        p["costs.visit"], p["sanitarians.refer_to_credit"],
                        p["sanitarians.revisit_months"])
             for s in range(count)], random=self.random)

    def _build_cooperatives(self) -> None:
        p, hh = self.params, self.households
        count = p["cooperatives.count"]
        n_village = int(hh.village.max()) + 1
        self.coop_of_village = (np.arange(n_village) % count if count
                                else np.full(n_village, -1))
        self.coop_of_row = self.coop_of_village[hh.village].astype(np.int16)
        self.cooperatives = AgentSet(
            [CreditCooperative(self, c, p)
             for c in range(count)], random=self.random)

    def _setup_mechanisms(self) -> None:
        """Household draws and community state of the behaviour mechanisms (each from its own
        stream, so they shift no other draw; nothing is drawn for a mechanism that is off)."""
        p, hh = self.params, self.households
        hh.landless = purchase.draw_landless(hh.income, p["population.landless_share"],
                                             self.streams["population:landless"])
        if p["mechanisms.willingness_to_pay"]:
            hh.wtp = purchase.draw_wtp(hh.income, p, self.streams["purchase"])
        self.communities = (Communities(self.n_rt, p, self.streams["community"])
                            if p["mechanisms.community"] else None)
        #: The solid-waste ladder (:mod:`sanisim.waste`); None when the switch is off.
        self.waste = (Waste(hh, p, self.streams) if p["mechanisms.solid_waste"] else None)
        self._rung_before = hh.rung.copy()

    def practising_od(self) -> np.ndarray:
        """Households practising open defecation: no facility, or (with the use mechanism)
        one they do not use."""
        hh = self.households
        od = hh.rung == _OD
        if self.params["mechanisms.use"]:
            od |= ~hh.in_use
        return od

    def _rt_ends(self) -> np.ndarray | None:
        """Each RT's first row, and the number of rows after the last (``n_rt + 1`` values),
        when RTs are contiguous blocks of rows in RT order (population.py makes them so);
        ``None`` otherwise. Kept while the household arrays are the same."""
        hh = self.households
        blocks = self.__dict__.get("_rt_blocks")
        if blocks is None or blocks[0] is not hh.rt:
            rt = hh.rt
            starts = run_starts(rt).nonzero()[0]
            contiguous = (bool(np.all(rt[1:] >= rt[:-1]))
                          and np.array_equal(rt[starts], np.arange(self.n_rt)))
            blocks = self._rt_blocks = (
                rt, np.append(starts, rt.size).astype(np.intp) if contiguous else None)
        return blocks[1]

    def rows_of_rts(self, wanted: np.ndarray) -> np.ndarray:
        """Sorted rows of the households living in the RTs where ``wanted`` (a bool per RT)
        is true: put together from the RT blocks' ranges, without a pass over every
        household."""
        ends = self._rt_ends()
        if ends is None:
            return wanted[self.households.rt].nonzero()[0]
        rts = wanted.nonzero()[0]
        return ranges(ends[rts], ends[rts + 1] - ends[rts])

    def coverage_of_rows(self) -> np.ndarray:
        """Each household's RT coverage at basic or better (``rt_coverage[households.rt]``),
        kept while ``rt_coverage`` is the same array (it is made anew once a month, in phase
        ``communities``): targeting by lowest coverage asks it of hundreds of thousands of
        candidates a few times a month at a million households."""
        kept = self.__dict__.get("_coverage_rows")
        if kept is None or kept[0] is not self.rt_coverage or kept[1] is not self.households.rt:
            kept = self._coverage_rows = (self.rt_coverage, self.households.rt,
                                          self.rt_to_rows(self.rt_coverage))
        return kept[2]

    def rt_to_rows(self, values: np.ndarray) -> np.ndarray:
        """``values[households.rt]``: one value per RT, each repeated over its RT's rows. With
        RTs in contiguous blocks this is ``np.repeat`` over the block sizes, about 10x quicker
        than the gather at a million rows (no 64-bit index of every row)."""
        ends = self._rt_ends()
        if ends is None:
            return values[self.households.rt]
        return np.repeat(values, np.diff(ends))

    # ------------------------------------------------------------------ shared services
    def book(self, funder: str, item: str, amount: float) -> None:
        """Record spending (rupiah) this month by a funder on an item."""
        if funder not in FUNDERS:
            raise ValueError(f"unknown funder {funder!r}")
        self.ledger[(funder, item)] += float(amount)
        self.totals[(funder, item)] += float(amount)

    def price_to_basic(self, rows: np.ndarray, record: bool = True) -> np.ndarray:
        """Price (rupiah) for each row to reach basic: a new toilet, or a repair.

        ``record`` false: the price looked up, not offered (the builders keep no quote for
        an order: :class:`Builder`).

        An open builder (see :class:`Builder`) may quote its own price for the rows it serves;
        builders sell septic toilets, so a failed pit toilet keeps the local masons' price.
        """
        p, hh = self.params, self.households
        repair = hh.repair_due[rows]
        pit = repair & hh.pit_toilet[rows]
        if not pit.any():  # (nearly always: no row is a failed pit toilet)
            price = np.where(repair, p["costs.repair_share"] * p["costs.toilet"],
                             p["costs.toilet"])  # each product as the array's would be
            return self._quoted(rows, price, None, record)
        price = np.where(repair, p["costs.repair_share"] * self.toilet_price(pit),
                         p["costs.toilet"])
        return self._quoted(rows, price, pit, record)

    def price_of_pit_toilet(self, rows: np.ndarray) -> np.ndarray:
        """Price (rupiah) for each row of a new pour-flush pit toilet: the local masons'
        price, less what a price reduction the row holds pays (a voucher)."""
        price = np.full(rows.size, self.params["costs.basic_pit"])
        return self._quoted(rows, price, np.ones(rows.size, bool))

    def _quoted(self, rows: np.ndarray, price: np.ndarray, pit: np.ndarray | None,
                record: bool = True) -> np.ndarray:
        """``price`` as the open builders quote it: septic toilets (``~pit``) by every
        builder, pit toilets only by those serving any technology (:class:`Builder`).
        ``pit`` None: no row is a pit toilet."""
        for builder in self.open_builders():
            if pit is None or getattr(builder, "any_technology", False):
                if rows.size:  # every row served: all of them quoted, on a copy of the prices
                    price[:] = builder.quote(self, rows, price.copy(), record)
                continue
            served = ~pit
            if served.any():
                price[served] = builder.quote(self, rows[served], price[served], record)
        return price

    def toilet_price(self, pit_toilet: np.ndarray) -> np.ndarray:
        """Price (rupiah) of a new toilet of each technology: septic tank or pit toilet."""
        p = self.params
        return np.where(pit_toilet, p["costs.basic_pit"], p["costs.toilet"])

    def open_builders(self) -> list[Builder]:
        """The construction services taking orders this month (none in the baseline)."""
        return [b for b in self.builders if b.active(self.month)] if self.builders else []

    def start_building(self, rows: np.ndarray, target: int,
                       paid_by_household: np.ndarray | float = 0.0,
                       pit_toilet: np.ndarray | bool = False,
                       parts: list[int] | None = None) -> None:
        """Rows start building a facility of rung ``target``; households pay their part.

        ``pit_toilet``: whether a toilet built is a pour-flush toilet on a pit rather than one
        with a contained septic tank (``mechanisms.technology``).

        ``parts``: ``rows`` are those of several calls made as one, the i-th call's rows
        ``rows[parts[i]:parts[i + 1]]`` (none of them empty); each part's payment is booked
        as its own call would book it. Only where the calls would not depend on each other:
        no builder open, or one that takes orders in parts (``orders_in_parts``: each part a
        batch of its own, as the calls in turn would be) and toilets with septic tanks.

        Without open builders the work starts at once (local masons, no capacity limit). An
        open builder may take rows as orders instead: they pay now, wait with
        ``households.queued`` set (``build_left`` already counts as busy) and start when the
        builder has capacity (:meth:`Builder.build`, construction phase), which then books
        their payment.
        """
        if rows.size == 0:  # (a third of the calls: offers and approvals nobody took up)
            self.book("households", "construction", 0.0)  # booked as the sum of nothing
            return
        hh = self.households
        paid = np.asarray(paid_by_household, float)
        if paid.ndim == 0:  # one amount for every row (np.full: cheaper than broadcast_to)
            paid = np.full(rows.shape, paid)
        if self.params["behaviour.money_constraint"]:
            hh.savings[rows] -= paid
        hh.build_left[rows] = self.params["construction.months"]
        hh.build_target[rows] = target
        hh.build_pit[rows] = pit_toilet  # a toilet (target basic) has a septic tank unless said
        hh.intent[rows] = 0
        hh.applying[rows] = False
        hh.referred[rows] = False  # a referral serves one decision to build
        builders = self.open_builders()
        in_parts = {}  # (a builder that takes orders in parts is told them)
        if parts is not None and builders:
            if (len(builders) > 1 or pit_toilet is not False
                    or not getattr(builders[0], "orders_in_parts", False)):
                raise ValueError("start_building: parts only with no builder open or one "
                                 "taking orders in parts, for toilets with septic tanks")
            in_parts = {"parts": parts}
        free = None  # (every row free, none of them a pit toilet: asked as they are)
        if builders:  # builders sell septic toilets; local masons build pits and pit toilets
            if pit_toilet is not False:
                free = np.ones(rows.size, bool)
            for builder in builders:
                if free is None:
                    free = ~builder.order(self, rows, target, paid, **in_parts)
                    continue
                ask = free if getattr(builder, "any_technology", False) else (
                    free & ~hh.build_pit[rows])
                free[ask] = ~builder.order(self, rows[ask], target, paid[ask])
            hh.queued[rows[~free]] = True
        bounds = [0, rows.size] if parts is None else parts
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):  # each call's payment
            part = paid[lo:hi] if free is None else paid[lo:hi][free[lo:hi]]
            self.book("households", "construction", part.sum())

    def active_strategies(self) -> list[Strategy]:
        return [s for s in self.strategies if s.active(self.month)]

    def plan(self, month: int | None = None) -> Plan:
        """The monthly step: the phases of :data:`STEP_ORDER` in order, each with the
        strategies whose hook runs after it (``print(model.plan())`` shows it). With
        ``month``, only the strategies active that month."""
        strategies = (self.strategies if month is None
                      else [s for s in self.strategies if s.active(month)])
        when = "every month" if month is None else f"month {month}"
        return plan_of(strategies, f"monthly plan of {self.config.name} / {self.bundle} "
                                   f"({when})")

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        self.month += 1
        self.ledger.clear()
        if self.government is not None:
            self.government.step()  # a budget year opens; staff are paid
        active = self.active_strategies()
        # which active strategies have a hook after each phase, looked up once per set of
        # active strategies (the hooks themselves are read at call time, as before)
        ids = tuple(map(id, active))
        cached = self.__dict__.get("_hook_plan")
        if cached is None or cached[0] != ids:
            cached = self._hook_plan = (ids, tuple(
                (f"_{phase}", f"on_{phase}",
                 tuple(s for s in active if getattr(s, f"on_{phase}", None) is not None))
                for phase in STEP_ORDER), tuple(active))  # (active kept: the ids stay theirs)
        for method, hook_name, hooked in cached[1]:
            getattr(self, method)()
            for strategy in hooked:
                getattr(strategy, hook_name)(self)

    def run(self, months: int | None = None) -> None:
        for _ in range(months if months is not None else self.params["run.months"]):
            self.step()

    # ------------------------------------------------------------------ phases
    def _income(self) -> None:
        hh, p = self.households, self.params
        keep, rate = 1.0 - p["population.savings_drawdown"], p["population.savings_rate"]
        saved = self._scratch("saved", np.float64)
        for rows in blocks(hh.n):  # block by block at large sizes (the same bits)
            savings = hh.savings[rows]
            savings *= keep
            savings += np.multiply(hh.income[rows], rate, out=saved[rows])
        # a shock is rare: draw its count and rows, not a uniform per household (draws.py)
        self.shocked[self._shocked_rows] = False
        rows = self._shocked_rows = bernoulli_rows(
            self.streams.monthly("income", self.month), hh.n, p["population.income_shock_rate"])
        self.shocked[rows] = True
        hh.savings[rows] *= 1.0 - p["population.income_shock_loss"]

    def _decay(self) -> None:
        relax_factors(self.households, self._keep)

    def _programmes(self) -> None:
        """Strategies act here through ``on_programmes``; the baseline has none."""

    def _sanitarians(self) -> None:
        if not visit_together(self):  # (the same visits as each stepping in turn)
            self.sanitarians.do("step")

    def _decide(self) -> None:
        hh, p = self.households, self.params
        adopted = hh.rung >= _BASIC
        # neighbour sums kept up to date from the households whose adoption changed
        counter = self.__dict__.get("_adopted_count")
        if counter is None or counter.network is not self.network:
            counter = self._adopted_count = networks.NeighbourCount(self.network)
        sums = counter.update(adopted)
        touched = counter.touched
        if touched is None or self.__dict__.get("_share_of") is not sums:
            self.neighbour_adopted = self.network.share_from_sum(sums)
            self._share_of = sums
        elif touched.size:  # the same product, at the rows whose sums changed only
            self.neighbour_adopted[touched] = self.network.share_from_sum(sums[touched],
                                                                          touched)
        community = (self.communities.hazard(self.month, self.rt_od_free, hh.rt,
                                             self.practising_od(),
                                             out=self._scratch("community"))
                     if self.communities is not None else None)
        multiplier = motivation(hh, p, self._scratch)
        hazard = decision_hazard(self.neighbour_adopted, p["behaviour.p_innovation"],
                                 p["behaviour.q_imitation"], multiplier, community,
                                 out=self._scratch("hazard"))
        # candidates at the largest hazard, thinned to each row's (draws.py); u is the
        # decision's uniform draw, below the row's hazard
        rows, u = thinned(self.streams.monthly("adoption", self.month), hazard)
        able = ~adopted[rows] & (hh.build_left[rows] < 0) & (hh.intent[rows] == 0)
        rows, u = rows[able], u[able]
        hh.intent[rows] = p["behaviour.intent_months"]
        if community is not None and p["mechanisms.saving"]:
            # the same draw splits the decision by its route: below the community part of
            # the hazard the community pressed it (purchase module docs)
            pressed = community[rows] if multiplier is None else (
                community[rows] * multiplier[rows])
            hh.pressed[rows] = u < pressed

    def _finance(self) -> None:
        hh, p = self.households, self.params
        rows = (hh.intent > 0).nonzero()[0]  # few rows: the second test on their indices
        rows = intending = rows[hh.build_left[rows] < 0]
        price = self.price_to_basic(rows)
        if not p["behaviour.money_constraint"]:
            self.start_building(rows, Rung.BASIC, paid_by_household=price)
            return
        willing = purchase.willing(self, rows, price)
        own = willing & (hh.savings[rows] >= price)  # applicants too: savings may have grown
        pit = hh.repair_due[rows] & hh.pit_toilet[rows]  # a repair keeps the technology
        self.start_building(rows[own], Rung.BASIC, paid_by_household=price[own],
                            pit_toilet=pit[own])
        unwilling = self.buy_pit_toilet(rows[~willing])
        fresh = willing & ~own & ~hh.applying[rows]  # waiting applications stay in their queue
        rows, price = rows[fresh], price[fresh]

        can_borrow = eligible_for_credit(self, rows, price - hh.savings[rows])
        hh.applying[rows[can_borrow]] = True
        rows = rows[~can_borrow]
        if unwilling.size:  # disjoint sorted sets (willing or not): their sorted union
            rows = np.sort(np.concatenate((rows, unwilling)))

        # no toilet within reach: share a neighbour's toilet, or dig a pit
        at_od = rows[hh.rung[rows] == _OD]
        if p["mechanisms.saving"]:  # keep saving, unless pressed or giving up
            give_up = self.streams["purchase:fallback"].random(at_od.size) < p[
                "purchase.fallback"]
            at_od = at_od[give_up | hh.pressed[at_od]]
        at_od = self.buy_pit_toilet(at_od)
        planned, helped = self._plan_help(at_od)
        can_dig = (hh.savings[at_od] >= p["costs.pit"]) | helped
        if p["mechanisms.sharing"]:  # share by preference, or when a pit is out of reach
            preference = p["sharing.preference"] * (1.0 - p["community.own_latrine"] * planned)
            prefer = self.streams["sharing:choice"].random(at_od.size) < preference
            seeking = ((hh.savings[at_od] >= p["sharing.fee"])
                       & (prefer | ~can_dig)).nonzero()[0]
            host = purchase.find_hosts(self, at_od[seeking])
            found = host >= 0
            hh.host[at_od[seeking[found]]] = host[found]
            share = np.zeros(at_od.size, bool)
            share[seeking[found]] = True
        else:
            share = self.neighbour_adopted[at_od] > 0
        hh.rung[at_od[share]] = Rung.LIMITED
        hh.intent[at_od[share]] = 0
        diggers, helped = at_od[~share & can_dig], helped[~share & can_dig]
        if p["mechanisms.sharer_own"]:  # sharers whose RT plans a latrine per household
            more, more_helped = self._sharers_dig(rows[hh.rung[rows] == _LIMITED])
            diggers = np.concatenate((diggers, more))
            helped = np.concatenate((helped, more_helped))
        self.start_building(diggers, Rung.UNIMPROVED,
                            paid_by_household=np.where(helped, 0.0, p["costs.pit"]))
        if helped.any():  # the neighbours' labour and materials
            self.book("households", "mutual help", p["costs.pit"] * np.count_nonzero(helped))

        # nothing in this phase gives a row an intention or stops its building: the rows
        # still waiting are among those intending at its start
        waiting = intending[(hh.intent[intending] > 0) & (hh.build_left[intending] < 0)]
        hh.intent[waiting] -= 1
        # flags cleared where the intention is over: the rows of one mask, few set, rather
        # than those of every flag (the queues' applications, a few per cent of all)
        done = np.logical_or(hh.applying, hh.pressed, out=self._scratch("flag_done", bool))
        done &= np.equal(hh.intent, 0, out=self._scratch("no_intent", bool))
        done = done.nonzero()[0]
        hh.applying[done] = False
        hh.pressed[done] = False

    def buy_pit_toilet(self, rows: np.ndarray) -> np.ndarray:
        """Rows that buy the cheaper improved toilet (a pour-flush pit toilet) now, when
        ``mechanisms.technology`` is on and it is within their willingness to pay and savings;
        returns the other rows. Failed toilets waiting for repair are not offered it."""
        return rows[~self.bought_pit_toilet(rows)]

    def bought_pit_toilet(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`buy_pit_toilet` as a mask over ``rows``: true where the row bought."""
        p, hh = self.params, self.households
        if not p["mechanisms.technology"] or rows.size == 0:
            return np.zeros(rows.size, bool)
        price = self.price_of_pit_toilet(rows)
        able = ~hh.repair_due[rows]
        if p["mechanisms.willingness_to_pay"]:
            able &= hh.wtp[rows] >= price
        if p["behaviour.money_constraint"]:
            able &= hh.savings[rows] >= price
        self.start_building(rows[able], Rung.BASIC, paid_by_household=price[able],
                            pit_toilet=True)
        return able

    def _sharers_dig(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of sharing ``rows`` whose improved toilet is out of reach, those that dig their own
        pit now, and whether their neighbours build it (``mechanisms.sharer_own``).

        In an RT whose plan is running (a latrine for every household) a sharing household
        turns to a pit of its own with probability ``community.own_latrine`` (stream
        ``community:own``), when it can pay for the pit or its neighbours help
        (:meth:`_plan_help`); it stops sharing when the pit is dug (:meth:`_construction`).
        """
        planned, helped = self._plan_help(rows)
        rows, helped = rows[planned], helped[planned]
        turn = self.streams["community:own"].random(rows.size) < self.params[
            "community.own_latrine"]
        dig = turn & ((self.households.savings[rows] >= self.params["costs.pit"]) | helped)
        return rows[dig], helped[dig]

    def _plan_help(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For ``rows`` taking the cheap way off open defecation: whether their RT's plan is
        running, and whether neighbours build them a pit they cannot pay for (gotong royong,
        ``community.mutual_help``; drawn only for those rows)."""
        planned = np.zeros(rows.size, bool)
        helped = np.zeros(rows.size, bool)
        if self.communities is None or rows.size == 0:
            return planned, helped
        planned = self.communities.plan_until[self.households.rt[rows]] >= self.month
        rate = self.params["community.mutual_help"]
        if rate > 0:
            poor = (planned & (self.households.savings[rows]
                               < self.params["costs.pit"])).nonzero()[0]
            helped[poor[self.streams["community:help"].random(poor.size) < rate]] = True
        return planned, helped

    def _cooperatives(self) -> None:
        # each cooperative draws for its own borrowers and applicants (streams "credit" and
        # "credit_queue"), in the cooperatives' fixed order. The waiting applications are
        # listed once for all of them: a cooperative approves or turns down only its own
        # applicants, so the list stays what each would find by itself. Many cooperatives
        # lending alike do the month at once (sanisim.lending).
        self.waiting_applications = self.households.applying.nonzero()[0]
        try:
            if not lend_together(self):  # (the same numbers as each stepping in turn)
                self.cooperatives.do("step")
        finally:
            self.waiting_applications = None

    def _construction(self) -> None:
        hh = self.households
        for builder in self.open_builders():
            builder.build(self)  # queued orders start within the builders' capacity
        building = (hh.build_left >= 0).nonzero()[0]  # few rows: work on their indices
        if self.builders:
            building = building[~hh.queued[building]]
        left = hh.build_left[building]
        done = building[left == 0]
        target = hh.build_target[done]
        # a sharing household's own pit replaces the shared toilet (UNIMPROVED is below
        # LIMITED on the ladder); otherwise the work only ever moves a household up
        now = hh.rung[done]
        hh.rung[done] = np.where(now == _LIMITED, target, np.maximum(now, target))
        septic = done[target >= _BASIC]  # a toilet: with a septic tank or on a pit
        hh.pit_toilet[septic] = hh.build_pit[septic]
        hh.repair_due[septic] = False
        hh.last_emptied[septic] = self.month
        hh.build_left[done] = -1
        hh.build_left[building[left != 0]] -= 1

    def _desludging(self) -> None:
        hh, p = self.households, self.params
        fee, rate = p["costs.desludging_fee"], p["desludging.self_rate"]
        # rare: the count and rows of the draws, not a uniform per household (draws.py)
        emptying = bernoulli_rows(self.streams.monthly("desludging", self.month), hh.n,
                                  rate)
        emptying = emptying[(hh.rung[emptying] >= _BASIC) & (hh.savings[emptying] >= fee)
                            & ~hh.connected[emptying] & ~hh.pit_toilet[emptying]]
        self.empty_tanks(emptying, funder="households")
        # safely managed and emptied longer ago than the interval: one mask, few rows set
        # (month - last > interval, as last < month - interval), not every safely managed row
        lapsed = np.equal(hh.rung, _SAFELY_MANAGED, out=self._scratch("lapsed", bool))
        lapsed &= hh.last_emptied < self.month - p["desludging.interval_months"]
        lapsed = lapsed.nonzero()[0]
        lapsed = lapsed[~hh.connected[lapsed]]
        hh.rung[lapsed] = Rung.BASIC

    def empty_tanks(self, rows: np.ndarray, funder: str, fee: float | None = None,
                    item: str = "desludging") -> None:
        """Empty the septic tanks of ``rows``; ``funder`` pays ``fee`` rupiah per tank.

        ``fee`` defaults to ``costs.desludging_fee``; when the funder is "households" each
        household pays from its savings. ``item`` names the entry in the books.
        """
        hh = self.households
        if fee is None:
            fee = self.params["costs.desludging_fee"]
        if funder == "households":
            hh.savings[rows] -= fee
        self.book(funder, item, fee * rows.size)
        hh.last_emptied[rows] = self.month
        hh.rung[rows] = Rung.SAFELY_MANAGED

    def _failure(self) -> None:
        hh, p = self.households, self.params
        if not self._fail_by_rung.any():
            return  # every hazard is zero: nothing fails, no draws
        hazard = self._scratch("failure_hazard")
        multiplier = failure_multiplier(hh, p, cache=self._failure_multiplier)
        if multiplier is None:
            np.copyto(hazard, self._fail_base())
        else:  # the multiplier times the rung's hazard: the same product as the other way
            np.multiply(multiplier, self._fail_base(), out=hazard)
        for factor in self.hazard_factors:
            factor(self, hazard)
        overdue_after = 2 * p["desludging.interval_months"]
        extra = np.float32(p["failure.overdue_multiplier"])

        def rate(rows: np.ndarray) -> np.ndarray:  # an overdue tank's hazard, candidates only
            overdue = ((self.month - hh.last_emptied[rows] > overdue_after)
                       & (hh.rung[rows] >= _BASIC) & ~hh.connected[rows])
            return np.where(overdue, hazard[rows] * extra, hazard[rows])

        rng = self.streams.monthly("failure", self.month)
        key = month_key(rng)  # first: the destinations' numbers, one per row
        # few rows: candidates at the largest hazard (times the overdue multiplier), thinned
        failing, _ = thinned(rng, rate, float(hazard.max()) * max(float(extra), 1.0), hh.n)
        failing = failing[hh.build_left[failing] < 0]
        has_toilet = hh.rung[failing] >= _BASIC
        toilet = failing[has_toilet]
        if p["mechanisms.repair"]:
            toilet = toilet[~facilities.repaired_at_once(self, toilet)]
        to_od = row_uniforms(key, toilet) < p["failure.to_open_defecation"]
        hh.rung[failing[~has_toilet]] = Rung.OPEN_DEFECATION
        hh.rung[toilet] = np.where(to_od, _OD, _UNIMPROVED)
        hh.repair_due[toilet] = True
        hh.failed_month[toilet] = self.month

    def _fail_base(self) -> np.ndarray:
        """Each row's failure hazard by its rung (``_fail_by_rung[rung]``, float32), kept
        from month to month and updated at the rows whose rung changed: a comparison of one
        byte a row instead of a gather that converts every rung to a 64-bit index."""
        hh = self.households
        kept = self.__dict__.get("_fail_kept")
        if kept is None or kept[0] is not hh.rung or kept[1] is not self._fail_by_rung:
            kept = self._fail_kept = (hh.rung, self._fail_by_rung, hh.rung.copy(),
                                      np.take(self._fail_by_rung, hh.rung))
            return kept[3]
        _, _, rung, base = kept
        changed = (hh.rung != rung).nonzero()[0]
        now = hh.rung[changed]
        rung[changed] = now
        base[changed] = self._fail_by_rung[now]
        return base

    def _use(self) -> None:
        """Ownership records; sharing fees and lost access; repair or abandonment; use."""
        hh, p = self.households, self.params
        # only the rows whose rung changed since the last month can rise off open
        # defecation or come to own more; rows abandoned last month are looked at again
        # (their ownership fell while their rung stayed)
        changed = (hh.rung != self._rung_before).nonzero()[0]
        before, now = self._rung_before[changed], hh.rung[changed]
        risen = changed[(before == _OD) & (now > _OD)]
        hh.in_use[risen] = True  # a facility taken up is used at first
        recheck = self.__dict__.get("_owned_recheck")
        if recheck is None or recheck[0] is not hh.owned:  # first month: every row
            np.maximum(hh.owned, _OWNED_BY_RUNG[hh.rung], out=hh.owned)
            hh.ever_owned |= hh.owned > 0
        else:
            # a row in both lists is updated twice to the same values
            rows = changed if recheck[1].size == 0 else np.concatenate([changed, recheck[1]])
            # owned_facility as a lookup by rung: one gather instead of np.select's masks
            owned = np.maximum(hh.owned[rows], _OWNED_BY_RUNG[hh.rung[rows]])
            hh.owned[rows] = owned
            hh.ever_owned[rows] |= owned > 0
        abandoned = NO_ROWS
        if p["mechanisms.repair"]:
            abandoned = facilities.abandon(self)
        self._owned_recheck = (hh.owned, abandoned)
        if p["mechanisms.sharing"]:
            purchase.pay_and_check_sharing(self)
        if p["mechanisms.use"]:
            facilities.update_use(self)
        np.copyto(self._rung_before, hh.rung)

    def _waste(self) -> None:
        """The solid-waste ladder's own decisions and lapses (``mechanisms.solid_waste``)."""
        if self.waste is not None:
            self.waste.step(self.network)

    def _communities(self) -> None:
        self._update_communities()

    def _update_communities(self, first: bool = False) -> None:
        self.practising = self.practising_od()  # also recorded this month
        tally = self._tally_now()
        od = tally.rt_od
        odf = od == 0
        if first:
            self.ever_odf = odf.copy()
            self.slipped_this_month = 0
            self.slipped_total = 0
        else:
            slipped = self.odf & ~odf
            self.slipped_this_month = int(slipped.sum())
            self.slipped_total += self.slipped_this_month
            self.ever_odf |= odf
        self.odf = odf
        self.rt_coverage = tally.rt_basic / self.rt_size
        self.rt_facility = tally.rt_facility / self.rt_size
        self.rt_od_free = 1.0 - od / self.rt_size

    def _tally_now(self) -> Tally:
        """The running counts (:class:`sanisim.community.Tally`) brought to the households'
        rungs now and ``self.practising``; made afresh when the household arrays are new."""
        hh = self.households
        tally = self.__dict__.get("_tally")
        if (tally is None or tally.rt is not hh.rt or tally.quintile is not hh.quintile
                or tally.female is not hh.female):
            tally = self._tally = Tally(hh.rt, self.n_rt, hh.quintile, hh.female, N_RUNGS,
                                        Rung.BASIC)
        tally.update(hh.rung, self.practising)
        return tally

    def _record(self) -> None:
        hh = self.households
        counts = self._tally_now().by_rung
        coops = list(self.cooperatives)
        row: dict[str, float] = {"month": self.month}
        row.update(zip(RUNG_COLUMNS, counts / hh.n, strict=True))
        row["basic_or_better"] = float(counts[Rung.BASIC:].sum() / hh.n)
        row.update(self._equity_shares())
        row["odf_communities"] = int(self.odf.sum())
        row["odf_share"] = float(self.odf.mean())
        row["odf_slipped"] = self.slipped_this_month
        row["odf_slipped_total"] = self.slipped_total
        row["loans_issued"] = sum(c.issued_this_month for c in coops)
        # every loan is a cooperative's (CreditCooperative.borrowers: kept, no scan)
        borrowers = [c.borrowers() for c in coops]
        row["loans_outstanding"] = sum(b.size for b in borrowers)
        arrears = self.params["cooperatives.arrears_after"]
        row["loans_in_arrears"] = sum(int(np.count_nonzero(hh.loan_missed[b] >= arrears))
                                      for b in borrowers)
        row["loans_written_off"] = sum(c.written_off_this_month for c in coops)
        row["loans_repaid"] = sum(c.repaid_loans_this_month for c in coops)
        row["loans_disbursed"] = self.ledger.get(("cooperatives", "loans_disbursed"), 0.0)
        row["funds_injected"] = float(sum(c.injected for c in coops))
        row["fund_balance"] = float(sum(c.cash for c in coops))
        row["outstanding_principal"] = float(sum(c.outstanding for c in coops))
        row["written_off_principal"] = float(sum(c.written_off for c in coops))
        row["loan_repayments"] = float(sum(c.repaid_this_month for c in coops))
        row["sanitarian_visits"] = sum(s.visits_this_month for s in self.sanitarians)
        row.update(self._mechanism_outputs())
        if self.waste is not None:
            row.update(self.waste.shares())
        if self.government is not None:
            row.update(self.government.outputs())
        for funder in FUNDERS:
            row[f"spending_{funder}"] = sum(v for (f, _), v in self.ledger.items()
                                            if f == funder)
        for strategy in self.strategies:
            row.update(strategy.outputs(self))
        self.current = row
        _collect(self.datacollector, self, row)
        for s in self.sanitarians:
            s.visits_this_month = 0

    def _mechanism_outputs(self) -> dict[str, float]:
        """Use, ownership, sharing and community state (see docs/model.md, "Mechanisms")."""
        hh = self.households
        n = hh.n
        has = hh.rung >= _UNIMPROVED
        communities = self.communities
        return {
            "practising_od": self._tally.od / n,
            "not_in_use": (np.count_nonzero(has & ~hh.in_use) / n
                           if self.params["mechanisms.use"] else 0.0),
            "own_facility": np.count_nonzero(hh.owned > 0) / n,
            "ever_owned": np.count_nonzero(hh.ever_owned) / n,
            "sharing_with_host": np.count_nonzero(hh.host >= 0) / n,
            "awaiting_repair": np.count_nonzero(hh.repair_due) / n,
            "pit_toilet": np.count_nonzero((hh.rung >= _BASIC) & hh.pit_toilet) / n,
            "rts_planning": communities.planning(self.month) if communities else 0,
            "rts_monitored": communities.monitored(self.month) if communities else 0,
        }

    def _equity_shares(self) -> dict[str, float]:
        """Share at basic or better within each income quintile and decision-maker gender."""
        hh = self.households
        tally = self._tally  # brought up to date by _record
        shares = tally.quintile_basic / tally.quintile_size
        female = tally.n_female
        row = {f"basic_or_better_q{q + 1}": float(shares[q]) for q in range(5)}
        adopted_female = tally.female_basic
        row["basic_or_better_female"] = adopted_female / female if female else np.nan
        male = hh.n - female
        row["basic_or_better_male"] = ((int(tally.by_rung[Rung.BASIC:].sum()) - adopted_female)
                                       / male
                                       if male else np.nan)
        return row

    def monthly_table(self):
        """The monthly outputs as a pandas DataFrame, one row per month (0 = start)."""
        frame = self.datacollector.get_model_vars_dataframe()
        return frame.reset_index(drop=True)


def _read_current(column: str, model: SanitationModel):
    return model.current.get(column, np.nan)


#: Immutable values the monthly row holds (no copy needed).
_SCALARS = (int, float, np.generic)


def _collect(collector: mesa.DataCollector, model: SanitationModel, row: dict) -> None:
    """Append this month's row to Mesa's ``DataCollector`` as its ``collect`` would.

    When every reporter is one of the model's own column readers (:func:`_read_current`) and
    there are no agent reporters, the values go straight into ``collector.model_vars``, the
    same values in the same lists, without a reporter call and a ``deepcopy`` per column
    (scalars are immutable; anything else is still deep-copied). Otherwise, and for the first
    collection (Mesa validates its reporters then), Mesa's own ``collect`` runs.
    """
    reporters = collector.model_reporters
    # the plan (each column's list and the column it reads) is made again whenever the
    # collector, its reporters or its lists are not those it was made from; before Mesa has
    # validated its reporters (its first collect), or a Mesa without that flag: its collect
    validated = getattr(collector, "_validated", False)
    key = (validated, tuple(reporters.values()),
           tuple(map(id, collector.model_vars.values())))
    cached = model.__dict__.get("_collect_plan")
    if (cached is None or cached[0] is not collector or cached[1] is not collector.model_vars
            or cached[2] != key):
        own = (validated and not collector.agent_reporters
               and not collector.agenttype_reporters
               and all(type(r) is partial and r.func is _read_current and var in
                       collector.model_vars for var, r in reporters.items()))
        plan = ([(collector.model_vars[var].append, r.args[0]) for var, r in reporters.items()]
                if own else None)
        cached = model._collect_plan = (collector, collector.model_vars, key, plan)
    plan = cached[3]
    if plan is None:
        collector.collect(model)
        return
    steps = getattr(collector, "_collection_steps", None)
    if steps is not None:
        steps.append(model.time)
    get = row.get
    for append, column in plan:
        value = get(column, np.nan)
        append(value if isinstance(value, _SCALARS) else deepcopy(value))


#: Share at basic or better by income quintile (q1 poorest) and by decision maker's gender.
EQUITY_COLUMNS: tuple[str, ...] = (
    *(f"basic_or_better_q{q}" for q in range(1, 6)), "basic_or_better_female",
    "basic_or_better_male",
)

#: Use, ownership, sharing and community columns (:meth:`SanitationModel._mechanism_outputs`).
MECHANISM_COLUMNS: tuple[str, ...] = (
    "practising_od", "not_in_use", "own_facility", "ever_owned", "sharing_with_host",
    "awaiting_repair", "pit_toilet", "rts_planning", "rts_monitored",
)

#: Columns of the monthly table, in order (strategies may add their own).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "month", *RUNG_COLUMNS, "basic_or_better", *EQUITY_COLUMNS, "odf_communities", "odf_share",
    "odf_slipped", "odf_slipped_total", "loans_issued", "loans_outstanding", "loans_in_arrears",
    "loans_written_off", "loans_repaid", "loans_disbursed", "funds_injected", "fund_balance",
    "outstanding_principal", "written_off_principal", "loan_repayments", "sanitarian_visits",
    *MECHANISM_COLUMNS, *(f"spending_{f}" for f in FUNDERS),
)
