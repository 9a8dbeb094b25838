"""Supply: sanitation entrepreneurs (KWS, wirausaha sanitasi) who build at a price, in limits.

Each entrepreneur is a Mesa agent with a service area (a contiguous block of RWs), a monthly
build capacity, a list price, a cash box and a revenue account. While the strategy is active it
is a :class:`~sanisim.model.Builder` of the model:

* ``quote`` — households in a service area are offered the entrepreneur's package price
  (repairs: ``costs.repair_share`` of it), less a discount paid by the strategy's funder while
  the budget lasts: the budget not yet promised to queued orders must cover it.
* ``order`` — a household that pays (from savings, a loan's down payment, a grant) for a toilet
  at basic or better joins its entrepreneur's queue (``households.queued``); the money is held
  as a deposit, and its discount is promised (reserved against the budget) until the job
  starts.
* ``build`` (start of the construction phase) — each entrepreneur starts up to its capacity,
  first come first served; the deposit is booked as household construction spending, the
  discount against the budget. Households who paid themselves and have waited longer than
  their patience may drop out: the deposit is returned and the intention is lost. An
  entrepreneur whose queue is longer than ``expand_queue_months`` of its capacity and whose
  cash covers ``expansion_cost`` adds ``capacity_step`` (up to ``max_capacity``).
* ``on_programmes`` — an entrepreneur with idle capacity last month markets: it visits
  ``sales_visits`` households below basic per idle build slot, raising attitude and ability;
  with ``mechanisms.point_of_sale`` a visit is also an offer at the package price
  (:func:`sanisim.purchase.offer`, paid from savings).

**Build quality** (``quality_weight`` > 0). Each entrepreneur has a build quality ``q`` (0-1;
``quality``, spread ``quality_sd``); a toilet it builds carries it, and in the failure phase
its hazard is the model's times ``exp(-quality_weight * (q - mason_quality))`` (local masons'
work is the reference). Every ``evaluation_every`` months the programme evaluates each
entrepreneur (``evaluation_cost``) and trains those below ``quality_standard``
(``training_cost``), closing ``training_effect`` of the gap to 1; toilets built after the
training carry the new quality. Gender of entrepreneurs or of household decision makers has
no effect here: no evidence at hand supports one (docs/model.md).

When the strategy ends, orders still waiting are handed over to local masons (the baseline's
unlimited route) at the agreed price; the funder pays the discounts it promised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sanisim import purchase
from sanisim.behaviour import raise_factors
from sanisim.draws import distinct, lex_order
from sanisim.ladder import Rung
from sanisim.parameters import Param
from sanisim.rowblocks import bounds_within
from sanisim.strategies.base import register
from sanisim.strategies.common import Programme

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.model import SanitationModel

_JOMBANG = ("Jombang revolving fund for sanitation enterprises: one sanitarian-entrepreneur "
            "built 15 toilets a month without the fund, 30 with it (EVIDENCE.md, Indonesia)")
_PACKAGE = "cooperative toilet package Rp 1.5-2.5 M (Lumajang 2020; EVIDENCE.md), midpoint"


class SanitationEntrepreneur(mesa.Agent):
    """A KWS: builds toilets with septic tanks for households of its service area.

    Books (rupiah): ``revenue`` is the list price of every job started; ``cash`` is the
    margin kept from it less what was spent on expansions.
    """

    def __init__(self, model: SanitationModel, index: int, area: np.ndarray, capacity: int,
                 max_capacity: int, capacity_step: int, expansion_cost: float,
                 expand_queue_months: float, margin: float) -> None:
        super().__init__(model)
        self.index = index
        self.area = area  # household rows of the service area
        self.capacity = int(capacity)
        self.max_capacity = max(int(max_capacity), self.capacity)
        self.capacity_step = int(capacity_step)
        self.expansion_cost = float(expansion_cost)
        self.expand_queue_months = float(expand_queue_months)
        self.margin = float(margin)
        self.cash = 0.0
        self.revenue = 0.0
        self.revenue_this_month = 0.0
        self.built = 0
        self.built_this_month = 0
        self.capacity_this_month = self.capacity
        self.idle = 0  # unused build slots last month
        self.queue_length = 0
        self.expansions = 0
        self.quality = 0.5  # build quality index 0-1 (set by the strategy)

    def work(self, queue: np.ndarray, list_price: np.ndarray) -> np.ndarray:
        """Start the first ``capacity`` jobs of ``queue`` (rows, first come first served)."""
        started = queue[: self.capacity]
        self.capacity_this_month = self.capacity
        self.built_this_month = started.size
        self.built += started.size
        self.idle = self.capacity - started.size
        self.revenue_this_month = float(list_price[started].sum())
        self.revenue += self.revenue_this_month
        self.cash += self.margin * self.revenue_this_month
        return started

    def decide(self, queue_length: int) -> None:
        """Expand when the queue is long and the cash box pays for another mason team."""
        self.queue_length = queue_length
        if (queue_length > self.expand_queue_months * self.capacity
                and self.capacity < self.max_capacity and self.capacity_step > 0
                and self.cash >= self.expansion_cost):
            self.capacity = min(self.max_capacity, self.capacity + self.capacity_step)
            self.cash -= self.expansion_cost
            self.expansions += 1


#: Every row of a call (:meth:`Supply._served`, when the service areas hold every
#: household).
_ALL = slice(None)


@register
class Supply(Programme):
    """Sanitation entrepreneurs with capacity, price, discount and a first-come queue."""

    type_name: ClassVar[str] = "supply"
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "capacity", "started", "queue", "dropouts", "handed_over", "expansions", "revenue",
        "discounts",
    )
    PARAMS: ClassVar[tuple[Param, ...]] = (
        Param("entrepreneurs", 4, "entrepreneurs",
              "Sanitation entrepreneurs (KWS); each serves a contiguous block of the covered RWs.",
              "assumption: a few KWS per district sub-area of about 10,000 households", 1, 10_000,
              scales=True),
        Param("coverage", 1.0, "share of RWs",
              "Share of RWs inside a service area (drawn at random); elsewhere households build "
              "with local masons as in the baseline.", "assumption: programme reach", 0.0, 1.0),
        Param("capacity", 15, "toilets per entrepreneur-month",
              "Jobs an entrepreneur starts per month at the outset.", _JOMBANG, 0, 100_000),
        Param("max_capacity", 30, "toilets per entrepreneur-month",
              "Most an entrepreneur can grow to by expanding.", _JOMBANG, 0, 100_000),
        Param("capacity_step", 5, "toilets per month",
              "Capacity added by one expansion (another mason team).",
              "assumption: a mason team builds a toilet in about a week", 0, 10_000),
        Param("expansion_cost", 10_000_000.0, "rupiah",
              "Cash an expansion takes (tools, moulds, working capital).",
              "assumption: working capital for a team's monthly output, after the Jombang "
              "fund of Rp 250,000 per toilet (EVIDENCE.md) plus tools", 0.0, None),
        Param("expand_queue_months", 2.0, "months of capacity",
              "An entrepreneur expands when its queue exceeds this many months of capacity.",
              "assumption", 0.0, 120.0),
        Param("price", 2_000_000.0, "rupiah",
              "Entrepreneur's list price of a toilet with septic tank (repairs: "
              "costs.repair_share of it).", _PACKAGE, 0.0, None),
        Param("margin", 0.15, "share of price",
              "Share of revenue the entrepreneur keeps as cash (for expansion).", "assumption",
              0.0, 1.0),
        Param("discount", 0.0, "share of price",
              "Share of the list price paid by the strategy's funder, while the budget lasts.",
              "scenario (programme design)", 0.0, 1.0),
        Param("patience_months", 3, "months",
              "Months a self-financed household waits in the queue before it may drop out.",
              "assumption: intentions last months, not years (behaviour.intent_months)", 0, 600),
        Param("dropout_rate", 0.3, "probability per month",
              "Chance per month that a household waiting beyond its patience drops out; its "
              "deposit is returned and its intention lost.", "assumption", 0.0, 1.0),
        Param("sales_visits", 1.0, "visits per idle build slot",
              "Marketing visits an entrepreneur makes per unused build slot of last month.",
              "assumption: sanitation marketing by entrepreneurs (Cameron, Olivia & Shah 2019 "
              "trial: Total Sanitation and Sanitation Marketing)", 0.0, 100.0),
        Param("sales_effect", 0.1, "share of gap to 1",
              "Share of the gap to 1 a marketing visit closes for attitude and ability.",
              "assumption: weaker than a sanitarian's visit (sanitarians.visit_effect 0.15)",
              0.0, 1.0),
        Param("quality", 0.5, "index 0-1",
              "Build quality of an entrepreneur's work at the start (mean over entrepreneurs).",
              "assumption: as local masons (mason_quality)", 0.0, 1.0),
        Param("quality_sd", 0.0, "index 0-1",
              "Spread of build quality between entrepreneurs (normal, clipped to 0-1).",
              "assumption", 0.0, 1.0),
        Param("quality_weight", 0.0, "log-hazard per unit quality",
              "How build quality drives failure: a toilet an entrepreneur built fails with "
              "the model's hazard times exp(-quality_weight * (q - mason_quality)); 0: "
              "quality changes nothing (the earlier model).",
              "assumption: the scale of failure.w_self_regulation; the KWS programme "
              "evaluates build quality because poor work fails", 0.0, 20.0),
        Param("mason_quality", 0.5, "index 0-1",
              "Build quality of local masons' work, at which the model's failure hazards "
              "apply.", "assumption: reference point of the index", 0.0, 1.0),
        Param("evaluation_every", 0, "months",
              "Months between evaluations of every entrepreneur's build quality and service "
              "(0: none).", "assumption: the KWS programme evaluates yearly", 0, 600),
        Param("evaluation_cost", 1_000_000.0, "rupiah per entrepreneur",
              "Cost of evaluating one entrepreneur (inspection of a sample of jobs).",
              "assumption: a few inspector-days", 0.0, 1e10),
        Param("quality_standard", 0.7, "index 0-1",
              "An evaluated entrepreneur below this quality is trained.", "assumption",
              0.0, 1.0),
        Param("training_effect", 0.3, "share of gap to 1",
              "Share of the gap to 1 of build quality one training closes.",
              "assumption: mason training raises workmanship, not to perfection", 0.0, 1.0),
        Param("training_cost", 5_000_000.0, "rupiah per entrepreneur trained",
              "Cost of one training (trainer, materials, the team's days).", "assumption",
              0.0, 1e10),
    )

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        self.quality_on = self.quality_weight > 0 or self.evaluation_every > 0
        if self.quality_on:
            self.output_columns += tuple(f"{name}_{column}" for column in (
                "quality", "failures", "trained"))
        self.reserved = 0.0  # discounts promised to queued orders, not yet paid (rupiah)
        self.started_this_month = self.dropouts_this_month = self.handed_over = 0
        self.discounts_this_month = 0.0
        self.started_total = self.dropouts_total = self.cancelled_total = 0
        self.revenue_total = 0.0
        self.failures_this_month = self.trained_total = 0

    # -- set-up -------------------------------------------------------------------------
    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        hh = model.households
        n_rw = int(hh.rw.max()) + 1
        covered = np.arange(n_rw)
        if self.coverage < 1.0:
            covered = np.sort(self.rng.permutation(n_rw)[: round(self.coverage * n_rw)])
        if self.reach is not None:  # entrepreneurs serve the RWs the strategy reaches
            covered = covered[np.bincount(hh.rw[self.reach], minlength=n_rw)[covered] > 0]
        owner_of_rw = np.full(n_rw, -1, np.int32)
        if covered.size:
            owner_of_rw[covered] = (np.arange(covered.size) * self.entrepreneurs) // covered.size
        self.owner = owner_of_rw[hh.rw]
        if self.reach is not None:
            self.owner[~self.reach] = -1  # households out of reach build with local masons
        #: Every household in a service area (the default): quotes and orders need no mask.
        self._serves_all = bool((self.owner >= 0).all())
        p = model.params
        self.entrepreneur_agents = AgentSet(
            [SanitationEntrepreneur(model, e, np.flatnonzero(self.owner == e), self.capacity,
                                    self.max_capacity, self.capacity_step, self.expansion_cost,
                                    self.expand_queue_months, self.margin)
             for e in range(self.entrepreneurs)], random=model.random)
        n = hh.n
        self.waiting = np.zeros(n, bool)  # in one of this strategy's queues
        #: the waiting rows (:meth:`waiting_rows`): those listed at the last look, ascending,
        #: and the orders taken since; kept for the ``waiting`` array they belong to
        self._queue: tuple[np.ndarray, np.ndarray, list[np.ndarray]] = (
            self.waiting, np.zeros(0, np.intp), [])
        self.key = np.zeros(n)  # order of arrival (first come first served)
        self.ordered = np.zeros(n, np.int32)  # month the order was placed
        self.deposit = np.zeros(n)  # rupiah paid by or for the household, held until start
        self.discount_owed = np.zeros(n)  # rupiah the funder pays at start
        self.list_price = np.zeros(n)  # rupiah, the entrepreneur's revenue at start
        self.droppable = np.zeros(n, bool)  # self-financed: may drop out when impatient
        self.offer = np.zeros(n)  # discount quoted this month, rupiah (committed on order)
        self._offered: list[np.ndarray] = []  # rows quoted this month
        self._batches = 0
        self._keys_drawn: np.ndarray | None = None  # (:meth:`_key_draws`)
        self._repair_share = p["costs.repair_share"]
        self._money = p["behaviour.money_constraint"]
        model.builders.append(self)
        self.built_quality = np.full(n, np.nan, np.float32)  # quality of the last job built
        if self.quality_on:
            spread = (self.rng.normal(0.0, self.quality_sd, self.entrepreneurs)  # drawn
                      if self.quality_sd > 0 and self.quality_weight > 0  # only if it matters
                      else np.zeros(self.entrepreneurs))
            for agent, delta in zip(self.entrepreneur_agents, spread, strict=True):
                agent.quality = float(np.clip(self.quality + delta, 0.0, 1.0))
        if self.quality_weight > 0:
            model.hazard_factors.append(self.quality_hazard)

    # -- the Builder interface ------------------------------------------------------------
    def _list_price(self, model: SanitationModel, rows: np.ndarray) -> np.ndarray:
        repair = model.households.repair_due[rows]
        return self.price * np.where(repair, self._repair_share, 1.0)

    def _served(self, rows: np.ndarray) -> tuple[np.ndarray | slice, np.ndarray]:
        """Which of ``rows`` lie in a service area (a mask, or ``slice(None)`` when all of
        them do) and those rows (a copy, as the mask's selection is: the quotes and queues
        keep them)."""
        if self._serves_all:
            return _ALL, rows.copy()
        mine = self.owner[rows] >= 0
        return mine, rows[mine]

    def quote(self, model: SanitationModel, rows: np.ndarray, price: np.ndarray,
              record: bool = True) -> np.ndarray:
        """Entrepreneur's price, less the discount, for rows of a service area; with
        ``record``, the discount offered is kept for an order this month."""
        mine, served = self._served(rows)
        if served.size == 0:
            return price
        price = np.array(price, dtype=float, copy=True)
        list_price = self._list_price(model, served)
        if self.discount > 0:
            amounts = self.discount * list_price
            within = amounts <= self.budget_left - self.reserved  # committed only on order
            offered = np.where(within, amounts, 0.0)
            if record:
                self.offer[served] = offered
                self._offered.append(served)
            price[mine] = list_price - offered
            return price
        price[mine] = list_price - self.offer[served]
        return price

    #: :meth:`order` takes ``parts`` (:meth:`SanitationModel.start_building`).
    orders_in_parts = True

    def orders_commute(self, model: SanitationModel, rows: np.ndarray) -> bool:
        """Whether quoting ``rows`` at once and then taking orders from them in consecutive
        parts gives what quoting and ordering part by part does (:mod:`sanisim.lending`).

        A part's quote offers a discount only within the budget not yet promised, and its
        orders promise some: the parts are independent when no discount is offered, when the
        discounts of every row fit in what is left (with a rupiah to spare for rounding), or
        when not even the smallest fits (promises only grow within a month)."""
        if self.discount <= 0:
            return True
        served = self._served(rows)[1]
        if served.size == 0:
            return True
        amounts = self.discount * self._list_price(model, served)
        return self._discounts_commute(float(amounts.sum()), float(amounts.min()))

    def _discounts_commute(self, total: float, smallest: float) -> bool:
        """Whether quotes whose discounts sum to at most ``total``, none below ``smallest``,
        are each discounted alike whatever their order: all of them fit in the budget not
        yet promised (with a rupiah to spare for rounding), or not even the smallest does
        (promises only grow within a month)."""
        left = self.budget_left - self.reserved
        return total + 1.0 <= left or smallest > left

    def order(self, model: SanitationModel, rows: np.ndarray, target: int,
              paid: np.ndarray, parts: list[int] | None = None) -> np.ndarray:
        """Take orders for toilets at basic or better from rows of a service area.

        ``parts``: ``rows`` are those of several calls made as one (bounds, as
        :meth:`SanitationModel.start_building` takes them); each part is a batch of its own,
        its discounts promised after the part before it, as separate calls would (only where
        :meth:`orders_commute`)."""
        taken, new = self._served(rows)
        if target < Rung.BASIC or new.size == 0:
            return np.zeros(rows.size, bool)
        hh = model.households
        paid = paid[taken]
        self.waiting[new] = True
        self._queue[2].append(new)
        if parts is None:
            self.key[new] = self._batches + self._key_draws(new.size)
            self._batches += 1
            bounds = [0, new.size]
        else:  # each part served a batch number of its own, in order (the same draws)
            bounds = parts if taken is _ALL else bounds_within(taken, parts)
            sizes = np.diff(bounds)
            batch = np.cumsum(sizes > 0) - 1 + self._batches
            self.key[new] = batch.repeat(sizes) + self._key_draws(new.size)
            self._batches += int(np.count_nonzero(sizes))
        self.ordered[new] = model.month
        self.deposit[new] = paid
        # the quoted discounts are committed in order of arrival while the budget covers
        # them; when the last of the budget runs out within a batch, the entrepreneur
        # honours the price it quoted to the rest and earns that much less
        quoted = self.offer[new]
        funded = np.zeros(new.size)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            if hi > lo:
                part = quoted[lo:hi]
                funded[lo:hi] = np.where(part.cumsum() <= self.budget_left - self.reserved,
                                         part, 0.0)
                self.reserved += float(funded[lo:hi].sum())
        self.discount_owed[new] = funded
        self.offer[new] = 0.0
        self.list_price[new] = self._list_price(model, new) - (quoted - funded)
        self.droppable[new] = (paid > 0) & (hh.loan_coop[new] < 0) & ~hh.subsidised[new]
        return np.ones(rows.size, bool) if taken is _ALL else taken

    def _key_draws(self, count: int) -> np.ndarray:
        """The orders' uniforms of arrival: drawn now, or those :meth:`_sell_together` drew
        for them in the order the rounds in turn would draw them."""
        drawn = self._keys_drawn
        if drawn is None:
            return self.rng.random(count)
        self._keys_drawn = None
        if drawn.size != count:
            raise RuntimeError(f"Supply: {drawn.size} keys drawn for {count} orders")
        return drawn

    def waiting_rows(self) -> np.ndarray:
        """``np.flatnonzero(self.waiting)``, from the rows listed at the last look and the
        orders taken since (only :meth:`order` puts a row in a queue), less those that left:
        a few thousand rows at most, instead of a scan of every household. A ``waiting``
        array other than the one the list belongs to is scanned afresh."""
        kept, listed, added = self._queue
        if kept is not self.waiting:
            rows = np.flatnonzero(self.waiting)
        else:
            rows = np.concatenate((listed, *added)) if added else listed
            rows = rows[self.waiting[rows]]
            if added:  # ascending, and once each (a row that left and ordered again)
                rows = distinct(rows)
        self._queue = (self.waiting, rows, [])
        return rows

    def build(self, model: SanitationModel) -> None:
        """Construction phase: start jobs within capacity, let the impatient go, expand."""
        for offered in self._offered:  # quotes not taken up lapse
            self.offer[offered] = 0.0
        self._offered.clear()
        self.started_this_month = self.dropouts_this_month = 0
        self.discounts_this_month = 0.0
        rows = self.waiting_rows()
        cancelled = model.households.build_left[rows] < 0  # e.g. a loan spent on other things
        if cancelled.any():
            self._forget(model, rows[cancelled])
            rows = rows[~cancelled]
        owner = self.owner[rows]
        order = lex_order(self.key[rows], owner)
        rows, owner = rows[order], owner[order]
        bounds = np.searchsorted(owner, np.arange(self.entrepreneurs + 1))
        started = [agent.work(rows[bounds[e]:bounds[e + 1]], self.list_price)
                   for e, agent in enumerate(self.entrepreneur_agents)]
        if self.quality_on:
            for agent, jobs in zip(self.entrepreneur_agents, started, strict=True):
                self.built_quality[jobs] = agent.quality
        started = np.concatenate(started) if started else rows[:0]
        self._release(model, started)
        self.started_this_month = started.size
        self.started_total += started.size
        self.revenue_total += float(self.list_price[started].sum())

        rows = self.waiting_rows()
        impatient = rows[self.droppable[rows]
                         & (model.month - self.ordered[rows] > self.patience_months)]
        leaving = impatient[self.rng.random(impatient.size) < self.dropout_rate]
        self._drop_out(model, leaving)

        rows = self.waiting_rows()
        queues = np.bincount(self.owner[rows], minlength=self.entrepreneurs)
        for e, agent in enumerate(self.entrepreneur_agents):
            agent.decide(int(queues[e]))
        if model.month >= self.end:  # the programme ends: local masons take the rest
            self._release(model, rows)
            self.handed_over += rows.size
        self.reserved = float(self.discount_owed[rows].sum())  # what queued orders still hold

    # -- queue bookkeeping ----------------------------------------------------------------
    def _release(self, model: SanitationModel, rows: np.ndarray) -> None:
        """Orders start building: deposits booked, discounts paid by the funder."""
        if rows.size == 0:
            return
        model.households.queued[rows] = False
        self.waiting[rows] = False
        model.book("households", "construction", float(self.deposit[rows].sum()))
        discount = float(self.discount_owed[rows].sum())
        if discount > 0:
            self.spend(model, discount, "construction_discount")
            self.discounts_this_month += discount
        self.reserved -= discount
        self.deposit[rows] = 0.0
        self.discount_owed[rows] = 0.0

    def _forget(self, model: SanitationModel, rows: np.ndarray) -> None:
        """Orders cancelled by someone else (who settled the money): leave the queue."""
        model.households.queued[rows] = False
        self.waiting[rows] = False
        self.deposit[rows] = 0.0
        self.discount_owed[rows] = 0.0
        self.cancelled_total += rows.size

    def _drop_out(self, model: SanitationModel, rows: np.ndarray) -> None:
        """Households give up waiting: deposit returned, intention lost."""
        if rows.size == 0:
            return
        hh = model.households
        if self._money:
            hh.savings[rows] += self.deposit[rows]
        hh.queued[rows] = False
        hh.build_left[rows] = -1
        self.waiting[rows] = False
        self.reserved -= float(self.discount_owed[rows].sum())
        self.deposit[rows] = 0.0
        self.discount_owed[rows] = 0.0
        self.dropouts_this_month = rows.size
        self.dropouts_total += rows.size

    # -- quality ----------------------------------------------------------------------------
    def quality_hazard(self, model: SanitationModel, hazard: np.ndarray) -> None:
        """Failure phase: scale the hazard of toilets the entrepreneurs built by their build
        quality; a toilet abandoned (no longer owned) loses its builder's mark."""
        rows = np.flatnonzero(~np.isnan(self.built_quality))
        gone = model.households.owned[rows] < 3
        self.built_quality[rows[gone]] = np.nan
        rows = rows[~gone]
        hazard[rows] *= np.exp(np.float32(-self.quality_weight)
                               * (self.built_quality[rows] - np.float32(self.mason_quality)))

    def on_failure(self, model: SanitationModel) -> None:
        """Count this month's failures of toilets the entrepreneurs built."""
        if self.quality_on:
            hh = model.households
            self.failures_this_month = int(np.count_nonzero(
                (hh.failed_month == model.month) & ~np.isnan(self.built_quality)))

    def _evaluate(self, model: SanitationModel) -> None:
        """Every ``evaluation_every`` months: evaluate each entrepreneur (while the budget
        pays) and train those below ``quality_standard``."""
        months = model.month - self.start
        if self.evaluation_every <= 0 or months <= 0 or months % self.evaluation_every:
            return
        for agent in self.entrepreneur_agents:
            if self.evaluation_cost > self.budget_left:
                return
            if self.evaluation_cost > 0:
                self.spend(model, self.evaluation_cost, "entrepreneur_evaluation")
            if agent.quality < self.quality_standard and self.training_cost <= self.budget_left:
                if self.training_cost > 0:
                    self.spend(model, self.training_cost, "entrepreneur_training")
                agent.quality += self.training_effect * (1.0 - agent.quality)
                self.trained_total += 1

    # -- marketing --------------------------------------------------------------------------
    #: Entrepreneurs marketing in a month from which their rounds are made at once
    #: (:meth:`_sell_together`); below it, each in turn.
    SELL_TOGETHER_FROM: ClassVar[int] = 2

    def on_programmes(self, model: SanitationModel) -> None:
        """Evaluation and training (when on); entrepreneurs with idle capacity last month
        market to households below basic."""
        if self.quality_on:
            self._evaluate(model)
        if self.sales_visits <= 0 or self.sales_effect <= 0:
            return
        hh = model.households
        # a round changes only rows of its own service area: every round's prospects are
        # known at the start
        rounds, below = [], None
        for agent in self.entrepreneur_agents:
            visits = int(round(self.sales_visits * agent.idle))
            if visits <= 0 or agent.area.size == 0:
                continue
            if below is None:
                below = (hh.rung < Rung.BASIC) & (hh.build_left < 0)
            prospects = agent.area[below[agent.area]]
            if prospects.size:
                rounds.append((visits, prospects))
        if self._sell_together(model, rounds):
            return
        for visits, prospects in rounds:
            if visits < prospects.size:
                prospects = self.rng.choice(prospects, visits, replace=False)
            raise_factors(hh, prospects, ("attitude", "ability"), self.sales_effect)
            purchase.offer(model, np.sort(prospects))

    def _sell_together(self, model: SanitationModel,
                       rounds: list[tuple[int, np.ndarray]]) -> bool:
        """The month's sales rounds (visits, prospects) at once, as :meth:`on_programmes`
        makes them in turn; whether they were made (else nothing was done).

        In turn, each round draws its households from the strategy's generator and each of
        its orders then draws a key from the same generator, before the next round draws.
        Here a loop over the rounds keeps those draws in that order and does only what
        their count needs: who of the visited takes up the offer, and who pays its price
        (looked up, not quoted). The visits' factor gains, the offers (one call in parts,
        the uniforms drawn here from the same stream) and the orders (taking the keys drawn
        here) follow at once. Only where this entrepreneur is the one builder open and its
        discount goes to every quote of the month or to none, whatever their order
        (:meth:`_discounts_commute`, bounded by the discount with and without a repair)."""
        if len(rounds) < self.SELL_TOGETHER_FROM or not model.params["mechanisms.point_of_sale"]:
            return False
        builders = model.open_builders()
        if len(builders) != 1 or builders[0] is not self:
            return False
        sizes = [min(visits, prospects.size) for visits, prospects in rounds]
        if self.discount > 0:  # (the amounts as a quote computes them)
            amounts = self.discount * (self.price * np.array([1.0, self._repair_share]))
            if not self._discounts_commute(sum(sizes) * float(amounts.max()),
                                           float(amounts.min())):
                return False
        hh = model.households
        draws = model.streams["purchase:offer"].random(sum(sizes))
        visited, keys, at = [], [], 0
        for (visits, prospects), size in zip(rounds, sizes, strict=True):
            if visits < prospects.size:
                prospects = np.sort(self.rng.choice(prospects, visits, replace=False))
            visited.append(prospects)
            took = prospects[purchase.takes_up(model, prospects, draws[at:at + size])]
            at += size
            if took.size:
                pays = purchase.pays_now(model, took, model.price_to_basic(took, record=False))
                if pays.any():
                    keys.append(self.rng.random(int(np.count_nonzero(pays))))
        rows = np.concatenate(visited)
        raise_factors(hh, rows, ("attitude", "ability"), self.sales_effect)
        self._keys_drawn = np.concatenate(keys) if keys else None
        try:
            purchase.offer(model, rows, parts=np.cumsum([0, *sizes]).tolist(), draws=draws)
            if self._keys_drawn is not None:
                raise RuntimeError("Supply: keys drawn for orders that were not taken")
        finally:
            self._keys_drawn = None
        return True

    # -- outputs -----------------------------------------------------------------------------
    @property
    def total_capacity(self) -> int:
        return int(sum(a.capacity for a in self.entrepreneur_agents))

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        if not hasattr(self, "waiting"):
            return {}
        return self.named({
            "capacity": self.total_capacity,
            "started": self.started_this_month if self.active(model.month) else 0,
            "queue": int(self.waiting.sum()),
            "dropouts": self.dropouts_this_month if self.active(model.month) else 0,
            "handed_over": self.handed_over,
            "expansions": int(sum(a.expansions for a in self.entrepreneur_agents)),
            "revenue": self.revenue_total,
            "discounts": self.discounts_this_month if self.active(model.month) else 0.0,
            **({"quality": float(np.mean([a.quality for a in self.entrepreneur_agents])),
                "failures": self.failures_this_month, "trained": self.trained_total}
               if self.quality_on else {}),
        })
