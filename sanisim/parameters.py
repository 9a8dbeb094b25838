"""One record per parameter: default, bounds, unit, meaning and source.

Everything else reads this table: scenario validation, the parameter table in
``docs/model.md`` (``python -m sanisim.parameters`` prints it), and the problem
definition of sensitivity analysis. A parameter is named by its dotted key,
``section.name``, which is also its place in a scenario TOML file.

Sources are cited by short name; the full references are in ``docs/model.md``
(section "Sources"). "assumption" always comes with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from sanisim.errors import InputError

RUNGS_KEYS = ("open_defecation", "unimproved", "limited", "basic", "safely_managed")


@dataclass(frozen=True)
class Param:
    """A model parameter and everything known about it."""

    key: str
    default: Any
    unit: str
    meaning: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    #: The quantity grows with the district: a count of institutions or agents, a total
    #: budget or a pace of delivery (not a rate per household or per agent).
    #: :meth:`sanisim.scenario.Scenario.scaled` scales it with the households.
    scales: bool = False

    @property
    def kind(self) -> type:
        """The Python type a scenario value must have (int also accepted for float)."""
        return type(self.default)

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0]

    def allowed(self) -> str:
        """Human description of the allowed values, for error messages and docs."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        if self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            what = "an integer" if self.kind is int else "a number"
            return f"{what} in [{lo}, {hi}]"
        return {int: "an integer", float: "a number", str: "a string"}.get(self.kind, "a value")

    def renamed(self, key: str) -> Param:
        """The same record under another dotted key (e.g. ``strategies.NAME.start``)."""
        return replace(self, key=key)

    def check(self, value: Any, source: str) -> Any:
        """``value`` validated against this record and returned in its proper type.

        Booleans and strings must have the default's type (strings one of ``choices`` when
        given); numbers must be finite, whole for an integer record, and within
        ``low``..``high``. Any other value is an :class:`~sanisim.errors.InputError` naming
        ``source`` and :attr:`key` and saying what is allowed.
        """
        fail = InputError(source, self.key,
                          f"got {value!r} ({type(value).__name__}); allowed: {self.allowed()}")
        kind = self.kind
        if kind is bool:
            if not isinstance(value, bool):
                raise fail
            return value
        if kind is str:
            if not isinstance(value, str):
                raise fail
            if self.choices and value not in self.choices:
                raise fail
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail
        if kind is int:
            if isinstance(value, float):
                if not value.is_integer():
                    raise fail
                value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # an integer too large for a float
                raise fail from None
        if isinstance(value, float) and not math.isfinite(value):
            raise fail
        if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            raise fail
        return value


def scaled_value(param: Param, value: Any, scale: float, source: str) -> Any:
    """``value`` of a record that :attr:`~Param.scales`, for a district ``scale`` times as
    large, checked by the record: a count rounded to the nearest whole (at least 1 when it was
    at least 1, so that a district keeps every kind of institution it had), an amount
    multiplied (an unlimited budget stays unlimited)."""
    if isinstance(value, int):
        value = max(1, round(value * scale)) if value >= 1 else value
    elif math.isfinite(value):
        value = value * scale
    else:
        return value
    return param.check(value, source)


def _p(key, default, unit, meaning, source, low=None, high=None, choices=None, *,
       scales=False) -> Param:
    return Param(key, default, unit, meaning, source, low, high, choices, scales)


_CJ = "Cameron, Olivia & Shah 2019"
_SUSENAS = "BPS Susenas via Bappenas/Kemenkes (2018)"
_HARTER = "Harter, Inauen & Mosler 2020"
_KP = "SANIMAS Kulon Progo"
_PLAN = "SANIMAS planning guide"

PARAMETERS: tuple[Param, ...] = (
    # --- run -------------------------------------------------------------------
    _p("run.months", 120, "months", "Simulated horizon of a run.",
       "assumption: ten years covers a five-year plan period and its aftermath", 1, 600),
    # --- population ------------------------------------------------------------
    _p("population.households", 10_000, "households",
       "Number of households in the simulated district.",
       "assumption: a peri-urban district sub-area of about 10,000 households", 10, 5_000_000),
    _p("population.rt_size", 40, "households per RT",
       "Mean number of households in a neighbourhood unit (rukun tetangga, RT).",
       "assumption: RTs typically hold 30-50 households", 2, 500),
    _p("population.rt_per_rw", 8, "RT per RW",
       "Mean number of RTs in a rukun warga (RW).", "assumption: typical urban RW", 1, 100),
    _p("population.rw_per_village", 8, "RW per village",
       "Mean number of RWs in a kelurahan/desa.", "assumption: typical kelurahan", 1, 100),
    _p("population.poverty_line", 2_592_657.0, "rupiah per household-month",
       "Poverty line for a household; households below it are 'poor'.",
       "BPS March 2023: Rp 550,458 per person x 4.71 members (computed)", 1e5, 1e8),
    _p("population.poverty_rate", 0.0936, "share of households",
       "Share of households with income below the poverty line; fixes the income median.",
       "BPS March 2023 poverty rate 9.36%", 0.001, 0.9),
    _p("population.income_sigma", 0.55, "log rupiah",
       "Standard deviation of log household income (log-normal income).",
       "assumption: typical dispersion of Indonesian household expenditure", 0.1, 1.5),
    _p("population.savings_rate", 0.0356, "share of income per month",
       "Share of monthly income a household puts aside and could spend on sanitation.",
       "assumption: low-income households save little; exposed to sensitivity analysis",
       0.0, 0.5),
    _p("population.savings_drawdown", 0.1, "share of savings per month",
       "Share of savings spent each month on other needs; savings settle near "
       "income x savings_rate / savings_drawdown (starting savings scatter around that).",
       "assumption: savings of low-income households are short-lived", 0.001, 1.0),
    _p("population.income_shock_loss", 0.5, "share of savings",
       "Share of savings an income shock takes.", "assumption", 0.0, 1.0),
    _p("population.community_effect_sd", 0.7, "latent SD",
       "Spread of the RT effect on starting rungs: how unequal coverage is between RTs.",
       "assumption; exposed to sensitivity analysis", 0.0, 5.0),
    _p("population.rung_noise_sd", 1.0, "latent SD",
       "Household noise between income and starting rung (larger: weaker income gradient).",
       "assumption; exposed to sensitivity analysis", 0.01, 10.0),
    _p("population.income_shock_rate", 0.02, "probability per month",
       "Chance a household meets an income shock (illness, job loss) that halves its savings.",
       "assumption", 0.0, 0.5),
    _p("population.female_decision_share", 0.25, "share of households",
       "Share of households whose sanitation decision maker is a woman.",
       "assumption: women head about a sixth of households and co-decide in others", 0.0, 1.0),
    _p("population.landless_share", 0.1, "share of households",
       "Share of households without land of their own (mostly among the poorest); an "
       "eligibility group for trials and programmes.",
       "assumption: no Indonesian figure in EVIDENCE.md; set from the paper in a trial "
       "setting", 0.0, 1.0),
    _p("population.start_shares.open_defecation", 0.0936, "share of households",
       "Starting share practising open defecation (rung 0).", f"{_SUSENAS}: 9.36%", 0.0, 1.0),
    _p("population.start_shares.unimproved", 0.1, "share of households",
       "Starting share with an unimproved facility (rung 1).",
       f"computed from {_SUSENAS} (not adequate minus open defecation); split with "
       "'limited' is an assumption", 0.0, 1.0),
    _p("population.start_shares.limited", 0.0606, "share of households",
       "Starting share sharing an improved facility (rung 2).", "as 'unimproved'", 0.0, 1.0),
    _p("population.start_shares.basic", 0.6716, "share of households",
       "Starting share with their own improved toilet (rung 3).",
       f"computed from {_SUSENAS}: adequate 74.58% less safely managed 7.42%", 0.0, 1.0),
    _p("population.start_shares.safely_managed", 0.0742, "share of households",
       "Starting share with safely managed sanitation (rung 4).", f"{_SUSENAS}: 7.42%",
       0.0, 1.0),
    _p("population.start_pit_toilets", 0.0, "share of starting basic toilets",
       "Share of the starting own improved toilets (basic) that are pour-flush toilets on a "
       "pit without a tank (the technology of mechanisms.technology), given to the poorest "
       "owners; the rest have septic tanks.",
       "assumption: Indonesian 'layak' toilets counted with a tank; settings where improved "
       "means a pit latrine with a slab (Zambia, rural India, Ghana) set 1", 0.0, 1.0),
    # --- psychosocial factors (RANAS) -----------------------------------------
    _p("factors.risk", 0.5, "index 0-1", "Mean perceived risk (vulnerability, severity).",
       "assumption: index scaled to 0-1 (Mosler 2012 RANAS blocks)", 0.0, 1.0),
    _p("factors.attitude", 0.5, "index 0-1", "Mean attitude (benefits, disgust, pride).",
       "assumption (RANAS)", 0.0, 1.0),
    _p("factors.norm", 0.4, "index 0-1", "Mean injunctive norm and public commitment.",
       "assumption (RANAS)", 0.0, 1.0),
    _p("factors.ability", 0.4, "index 0-1", "Mean self-efficacy and know-how.",
       "assumption (RANAS)", 0.0, 1.0),
    _p("factors.self_regulation", 0.4, "index 0-1",
       "Mean self-regulation (action planning, remembering); also keeps a facility in use.",
       "assumption (RANAS)", 0.0, 1.0),
    _p("factors.concentration", 8.0, "beta a+b",
       "Concentration of the beta distributions of the factors (higher = less spread).",
       "assumption", 1.0, 200.0),
    _p("factors.half_life_months", 12.4, "months",
       "Half-life of factor gains from visits and campaigns, relaxing back to baseline.",
       "assumption: campaign effects fade within a year", 0.5, 120.0),
    _p("factors.female_risk_shift", 0.05, "index 0-1",
       "Added to baseline risk perception when the decision maker is a woman.",
       "assumption: women carry more of the burden of poor sanitation", -0.5, 0.5),
    # --- decision rule ---------------------------------------------------------
    _p("behaviour.p_innovation", 0.00674, "probability per month",
       "Bass innovation coefficient p: spontaneous monthly chance to decide to build.",
       "assumption: hand-set for a slow baseline rise (national 'adequate' +1.5 pp a year "
       "2018-2024, Susenas); calibration target: control arm of " + _CJ, 0.0, 1.0),
    _p("behaviour.q_imitation", 0.0182, "probability per month",
       "Bass imitation coefficient q: added chance per unit share of neighbours at basic+.",
       "assumption: q >> p as for consumer durables (no sanitation estimates exist); "
       "calibration target: " + _CJ, 0.0, 1.0),
    _p("behaviour.w_risk", 0.2, "log-hazard per unit index",
       "Weight of perceived risk in the decision hazard.",
       f"assumption: small, since {_HARTER} found no effect through risk", 0.0, 10.0),
    _p("behaviour.w_attitude", 0.8, "log-hazard per unit index",
       "Weight of attitude in the decision hazard.", "assumption", 0.0, 10.0),
    _p("behaviour.w_norm", 1.44, "log-hazard per unit index",
       "Weight of injunctive norm and commitment in the decision hazard.",
       f"assumption: largest, after {_HARTER}", 0.0, 10.0),
    _p("behaviour.w_ability", 1.2, "log-hazard per unit index",
       "Weight of self-efficacy and know-how in the decision hazard.",
       f"assumption, after {_HARTER}", 0.0, 10.0),
    _p("behaviour.w_self_regulation", 1.0, "log-hazard per unit index",
       "Weight of self-regulation in the decision hazard.",
       f"assumption, after {_HARTER}", 0.0, 10.0),
    _p("behaviour.intent_months", 6, "months",
       "How long a decision to build lasts while the household looks for the money.",
       "assumption", 1, 60),
    _p("behaviour.money_constraint", True, "",
       "Whether building needs money (false: any decision is carried out, as in Bass).",
       "model switch", None, None),
    # --- products and costs ----------------------------------------------------
    _p("costs.toilet", 2_500_000.0, "rupiah",
       "Price of an own improved toilet with septic tank (moves a household to basic).",
       "cooperative package Rp 1.5-2.5 M (Lumajang 2020); Rp 3 M (Malang)", 1e5, 5e7),
    _p("costs.pit", 500_000.0, "rupiah",
       "Price of a simple unimproved pit latrine (open defecation to unimproved).",
       "assumption: materials for a simple pit and slab", 0.0, 1e7),
    _p("costs.basic_pit", 1_000_000.0, "rupiah",
       "Price of an own improved toilet without a contained tank: a pour-flush (gooseneck) "
       "pan over a lined pit (basic, not safely managed; mechanisms.technology).",
       "assumption: a pan, a slab and a lined pit, about 40% of the septic package (Susenas "
       "counts such a pit as 'layak' in rural areas)", 0.0, 5e7),
    _p("costs.repair_share", 0.3, "share of toilet price",
       "Cost of bringing a failed own toilet back into use, as a share of its price.",
       "assumption", 0.0, 1.0),
    _p("costs.desludging_fee", 165_000.0, "rupiah",
       "Fee for emptying a septic tank.", "tariffs Rp 130,000-200,000 (midpoint)", 0.0, 2e6),
    _p("costs.visit", 25_000.0, "rupiah per visit",
       "Government cost of one sanitarian household visit (time and transport).",
       "assumption", 0.0, 1e6),
    # --- construction, failure and desludging ----------------------------------
    _p("construction.months", 1, "months",
       "Months from paying for a facility to using it.",
       "assumption; BenYishay et al. 2017 saw installation lag purchase", 0, 24),
    _p("failure.basic", 0.00697, "probability per month",
       "Monthly chance that an own improved toilet fails or falls out of use.",
       "assumption near Odagiri et al. 2017 (14.5% slipped in 2 years after ODF)", 0.0, 0.5),
    _p("failure.unimproved", 0.006, "probability per month",
       "Monthly chance that an unimproved pit collapses or fills.",
       "assumption after Delaire et al. 2022 (pit collapse, pit full)", 0.0, 0.5),
    _p("failure.limited", 0.003, "probability per month",
       "Monthly chance that a household loses access to a shared facility.",
       "assumption", 0.0, 0.5),
    _p("failure.w_self_regulation", 2.0, "log-hazard per unit index",
       "How much self-regulation above its mean lowers facility failure and disuse.",
       "assumption after Odagiri et al. 2017", 0.0, 10.0),
    _p("failure.overdue_multiplier", 2.0, "ratio",
       "Failure hazard multiplier for a septic tank not emptied for twice the interval.",
       "assumption: full tanks are a main failure cause (Delaire et al. 2022)", 1.0, 20.0),
    _p("failure.to_open_defecation", 0.2, "share of failures",
       "Share of failed own toilets whose household returns to open defecation "
       "(the rest fall back to an unimproved facility).",
       "assumption after Odagiri et al. 2017", 0.0, 1.0),
    _p("desludging.interval_months", 36, "months",
       "Emptying interval that keeps a septic tank safely managed.",
       "Indonesian guidance: empty at least every 3 years", 6, 120),
    _p("desludging.self_rate", 0.004, "probability per month",
       "Monthly chance a household with a septic tank has it emptied on its own initiative.",
       "assumption: only 17% ever emptied (Odagiri et al. 2021)", 0.0, 1.0),
    # --- behaviour mechanisms: switches (docs/model.md, "Mechanisms") ------------
    _p("mechanisms.community", True, "",
       "Community dynamics of triggering: collective plans with a deadline, monitoring and "
       "sanction, the pull of the RT's own coverage (tipping), backfire where social capital "
       "is low.", "model switch (false: the model without community dynamics)"),
    _p("mechanisms.willingness_to_pay", True, "",
       "A household buys a toilet only at a price within its willingness to pay.",
       "model switch (false: any price the household can finance is paid)"),
    _p("mechanisms.point_of_sale", True, "",
       "Sales, loan and voucher offers ask for a decision on the spot.",
       "model switch (false: offers act only through the factors)"),
    _p("mechanisms.saving", True, "",
       "A household that decided on an improved toilet and cannot pay yet keeps saving for it "
       "(taking a pit or sharing only with probability purchase.fallback a month); a decision "
       "pressed by the community (plan, sanction) takes the cheapest way off open defecation "
       "at once.",
       "model switch (false: every decider who cannot pay falls back at once)"),
    _p("mechanisms.sharing", True, "",
       "Sharing a neighbour's toilet needs a host with room and costs a monthly fee.",
       "model switch (false: any neighbour's toilet, free, without limit)"),
    _p("mechanisms.sharer_own", True, "",
       "Sharing households can build their own: in an RT whose plan is running, a sharing "
       "household whose improved toilet is out of reach digs its own pit with probability "
       "community.own_latrine (helped by its neighbours as one at open defecation), and stops "
       "sharing when the pit is dug.",
       "model switch (false: a sharing household reaches an own facility only by an improved "
       "toilet)"),
    _p("mechanisms.technology", True, "",
       "Two improved technologies: a toilet with a contained septic tank (costs.toilet; can be "
       "emptied and become safely managed) and a cheaper pour-flush toilet on a pit "
       "(costs.basic_pit; basic, never safely managed). A household whose willingness to pay "
       "or savings fall short of the tank, or that gives up saving for it, builds the pit "
       "toilet when it can pay for it.",
       "model switch (false: one improved technology, the septic toilet)"),
    _p("mechanisms.use", True, "",
       "Owning is not using: households stop and resume using their facility.",
       "model switch (false: every facility is used)"),
    _p("mechanisms.repair", True, "",
       "A failed toilet is repaired at once when affordable, or abandoned after a while.",
       "model switch (false: a failed toilet waits for a new decision to build)"),
    _p("mechanisms.community_groups", False, "",
       "Communal plants are planned, built and run by community groups (KSM/KPP) with "
       "capacities on four aspects, participatory planning gates, co-management, monitoring "
       "and a service chain (sanisim.institutions; docs/model.md 7.15).",
       "model switch (false: the communal strategy's groups only collect fees and pay O&M)"),
    _p("mechanisms.solid_waste", False, "",
       "A second behaviour ladder runs beside sanitation: household solid-waste handling "
       "(untreated, handled, reduced; sanisim.waste, docs/model.md 7.17).",
       "model switch (false: sanitation only; nothing is drawn and no column is added)"),
    _p("mechanisms.government", False, "",
       "The district government is an actor: budgets per source (APBD, DAK, village funds, "
       "BAZNAS) on a yearly cycle that programmes naming sources draw on, political "
       "commitment changing allocations and staff, local government in the field as a "
       "delivery capacity (sanisim.government, docs/model.md 7.18).",
       "model switch (false: programmes spend their own budgets; nothing is drawn and no "
       "column is added)"),
    # --- the district government (mechanisms.government) --------------------------
    _p("government.commitment", 0.5, "level 0-1",
       "Political commitment of the head of region to sanitation: scales the yearly "
       "allocation of the sources that follow it and the sanitarians employed.",
       "assumption: 0.5 is a district as the other parameters describe it (allocations and "
       "staff at their base values); a flagship programme is near 1", 0.0, 1.0),
    _p("government.commitment_month", 0, "month",
       "Month from which government.commitment_after holds (an election or a flagship "
       "declaration); 0: commitment never changes. Allocations and staff follow at the "
       "next budget year.", "scenario", 0, 600),
    _p("government.commitment_after", 0.5, "level 0-1",
       "Political commitment from government.commitment_month on.", "scenario", 0.0, 1.0),
    _p("government.budget_elasticity", 1.0, "per unit of commitment",
       "Relative change of a commitment-following allocation per unit of commitment above "
       "0.5: allocation = base x (1 + elasticity x (commitment - 0.5)).",
       "assumption: a committed head of region (1.0) gets half as much again as a typical "
       "district, an uncommitted one (0) half; no district series at hand", 0.0, 2.0),
    _p("government.staff_elasticity", 1.0, "per unit of commitment",
       "Relative change of the sanitarians employed per unit of commitment above 0.5: staff "
       "= round(sanitarians.count x (1 + elasticity x (commitment - 0.5))).",
       "assumption: vacant posts filled or left open with commitment, as the budgets", 0.0,
       2.0),
    _p("government.staff_cost", 4_000_000.0, "rupiah per sanitarian-month",
       "Pay of one sanitarian, earmarked from APBD at the yearly allocation and paid "
       "monthly; staff are at most what APBD pays.",
       "assumption: a district health worker at about the East Java minimum wage plus "
       "allowances", 0.0, 1e9),
    _p("government.field_capacity", 0.5, "level 0-1",
       "Local government in the field as a delivery capacity: multiplier 0.5 + level on "
       "sanitarians' visits a month and, for programmes drawing on the government's sources, "
       "their sessions and cadre visits a month and their sessions' facilitation and "
       "attendance (at most 1).",
       "assumption: 0.5 is the model's delivery as calibrated; Jombang's local government "
       "in the field is strong (docs/scenarios.md)", 0.0, 1.0),
    _p("government.allocation.APBD", 1_500_000_000.0, "rupiah per year",
       "Yearly allocation to sanitation from the district budget at commitment 0.5 (staff "
       "pay included); unspent money lapses at year end.",
       "assumption: the order of a district's sanitation and STBM lines; follows "
       "commitment", 0.0, 1e14, scales=True),
    _p("government.allocation.DAK", 1_000_000_000.0, "rupiah per year",
       "Yearly special allocation transfer (DAK fisik sanitasi and BOK) to the district; "
       "unspent money lapses.",
       "assumption: a few hundred individual septic tanks a year at Rp 8-12 M; set by the "
       "centre, not by commitment", 0.0, 1e14, scales=True),
    _p("government.allocation.DanaDesa", 500_000_000.0, "rupiah per year",
       "Village funds spent on sanitation in a year at commitment 0.5; unspent money is "
       "carried into the next year.",
       "assumption: a small share of the district's villages' funds; follows commitment",
       0.0, 1e14, scales=True),
    _p("government.allocation.BAZNAS", 300_000_000.0, "rupiah per year",
       "Zakat funds the zakat agency gives to sanitation for the poor in a year; unspent "
       "money is carried.",
       "assumption: a district BAZNAS programme; not set by commitment", 0.0, 1e14,
       scales=True),
    # --- household solid waste, the second ladder (mechanisms.solid_waste) --------
    _p("waste.start_shares.untreated", 0.35, "share of households",
       "Households whose solid waste is burned or dumped at the start.",
       "assumption: a district without programmes (Blitar sets its own figures)", 0.0, 1.0),
    _p("waste.start_shares.handled", 0.55, "share of households",
       "Households whose waste is collected or managed at home at the start.",
       "assumption: a district without programmes (Blitar sets its own figures)", 0.0, 1.0),
    _p("waste.start_shares.reduced", 0.10, "share of households",
       "Households that sort, compost or recycle their waste at the start.",
       "assumption: a district without programmes (Blitar sets its own figures)", 0.0, 1.0),
    _p("waste.p_handle", 0.003, "probability per month",
       "Innovation term of the decision to handle one's waste at home (untreated to "
       "handled) in the decision hazard of sanisim.behaviour.",
       "assumption: a tenth of q, as for sanitation (q >> p in diffusion studies)",
       0.0, 1.0),
    _p("waste.q_handle", 0.03, "probability per month",
       "Imitation term of the decision to handle waste: multiplies the share of network "
       "neighbours at handled or better.",
       "assumption: below sanitation's q, as waste handling is less visible than a toilet",
       0.0, 1.0),
    _p("waste.p_reduce", 0.001, "probability per month",
       "Innovation term of the decision to sort and compost at home (handled to reduced).",
       "assumption: home composting is rare without a programme", 0.0, 1.0),
    _p("waste.q_reduce", 0.01, "probability per month",
       "Imitation term of the decision to reduce: multiplies the share of network "
       "neighbours at reduced; also the imitation term of the programmes' offers to reduce.",
       "assumption", 0.0, 1.0),
    _p("waste.lapse", 0.006, "probability per month",
       "Chance that a household's own practice (handling or composting at home) slips one "
       "rung down in a month.",
       "assumption: practices lapse as toilets fall out of use (use.disuse 0.0073)",
       0.0, 1.0),
    _p("waste.target_handled", 1.0, "share of households",
       "Target share of households whose waste is handled or better (collected, managed at "
       "home or reduced): the handling gap of the report.",
       "Jakstranas (Perpres 97/2017): 70% handled and 30% reduced by 2025, all waste managed",
       0.0, 1.0),
    _p("waste.target_reduced", 0.30, "share of households",
       "Target share of households at the rung reduced (the 100-0-100 gap of the report).",
       "Jakstranas (Perpres 97/2017): 30% of waste reduced by 2025", 0.0, 1.0),
    # --- community dynamics ---------------------------------------------------
    _p("community.social_capital", 0.361, "index 0-1",
       "Mean social capital of an RT (collective action, trust, leaders who follow up); "
       "each RT draws its own from a beta distribution.",
       "assumption; low-social-capital villages built fewer toilets than their controls in "
       + _CJ, 0.0, 1.0),
    _p("community.social_capital_concentration", 6.0, "beta a+b",
       "Concentration of the RTs' social capital distribution (higher = more alike).",
       "assumption", 0.5, 500.0),
    _p("community.plan_months", 6, "months",
       "Deadline of the collective plan a committed RT makes at triggering.",
       "Kar & Chambers 2008 (CLTS handbook): communities set an open-defecation-free date "
       "within months; assumption for the value", 1, 60),
    _p("community.plan_hazard", 0.205, "probability per month",
       "Added monthly chance to decide to build for a household below basic in an RT whose "
       "plan is running (action plan, natural leaders' follow-up).",
       "fitted jointly (docs/calibration.md); Harter, Inauen & Mosler 2020: commitment and "
       "action planning carried the CLTS effect", 0.0, 1.0),
    _p("community.monitoring_months", 24, "months",
       "How long community monitoring and sanction last after an RT commits.",
       "assumption: STBM verification asks for community rules and monitoring; slippage "
       "after ODF (Odagiri et al. 2017) shows they lapse", 0, 600),
    _p("community.sanction_hazard", 0.137, "probability per month",
       "Added monthly chance to decide to build for a household practising open defecation "
       "in a monitored RT, scaled by the tipping curve of the RT's share not practising open "
       "defecation.",
       "fitted jointly (docs/calibration.md)", 0.0, 1.0),
    _p("community.pressure_hazard", 0.0134, "probability per month",
       "Added monthly chance to decide to build for a household practising open defecation "
       "in any RT, scaled by the tipping curve of the RT's share not practising open "
       "defecation (strategic complementarity without a programme).",
       "fitted jointly (docs/calibration.md); RANAS survey in eastern Indonesia: believing "
       "most people here have no toilet went with lower ownership (EVIDENCE.md)", 0.0, 1.0),
    _p("community.tipping_threshold", 0.697, "share of RT households",
       "Share of an RT's households not practising open defecation at which community "
       "pressure on the rest reaches half its strength.",
       "assumption; exposed to calibration and sensitivity analysis", 0.0, 1.0),
    _p("community.tipping_width", 0.1, "share of RT households",
       "Width of the logistic tipping curve around the threshold (small = sharp tipping).",
       "assumption", 0.01, 1.0),
    _p("community.own_latrine", 0.657, "share",
       "How far an RT's running plan replaces sharing by own latrines: a household pressed "
       "off open defecation in such an RT prefers sharing with probability "
       "sharing.preference * (1 - own_latrine).",
       "fitted jointly (docs/calibration.md); Kar & Chambers 2008 (CLTS handbook): the plan "
       "is a latrine for every household; Harter, Inauen & Mosler 2020: triggering raised own "
       "latrines in Ghana", 0.0, 1.0),
    _p("community.mutual_help", 0.41, "probability",
       "Chance that a household pressed off open defecation in an RT whose plan is running, "
       "and that cannot pay for a pit, gets one built with its neighbours' labour and "
       "materials (gotong royong); the neighbours pay (booked to households).",
       "fitted jointly (docs/calibration.md); Kar & Chambers 2008: the better-off and natural "
       "leaders help the poorest build; gotong royong is the STBM term for it", 0.0, 1.0),
    _p("community.backfire_effect", 0.522, "share of norm",
       "Share of an attendee's injunctive norm and self-regulation (commitment) lost when a "
       "triggering session ends without a collective plan, scaled by (1 - social capital) "
       "of the RT.",
       "fitted jointly; sign reversal in low-social-capital villages, " + _CJ, 0.0, 1.0),
    # --- the purchase decision ------------------------------------------------
    _p("purchase.wtp_income_months", 3.29, "months of income",
       "Median willingness to pay for an own improved toilet, in months of household income.",
       "fitted jointly (docs/calibration.md); BenYishay et al. 2017: 25% willing to buy at "
       "full price without credit", 0.05, 24.0),
    _p("purchase.wtp_sigma", 0.7, "log rupiah",
       "Spread of willingness to pay between households of equal income (log-normal).",
       "assumption; exposed to calibration", 0.0, 3.0),
    _p("purchase.pos_conversion", 0.274, "probability",
       "Chance that a household offered a toilet (sales visit, loan or voucher) that is "
       "within its willingness to pay and means decides on the spot.",
       "fitted jointly; BenYishay et al. 2017: purchases among non-owners 12% -> 50% within "
       "the sales window when a loan was offered", 0.0, 1.0),
    _p("purchase.fallback", 0.493, "probability per month",
       "Chance a month that a household at open defecation saving for an improved toilet it "
       "cannot pay yet gives up waiting and digs a pit or shares instead.",
       "fitted jointly (docs/calibration.md); Patil et al. 2014 and Yeboah-Antwi et al. 2019: "
       "open defecation falls slowly without a programme", 0.0, 1.0),
    # --- technology and sharing -----------------------------------------------
    _p("sharing.max_guests", 2, "households per toilet",
       "Households that can share one household's toilet besides its owners.",
       "assumption: JMP counts a toilet shared by two or more households as limited; a "
       "household toilet serves few guests", 0, 50),
    _p("sharing.preference", 0.813, "probability",
       "Chance that a household at open defecation that cannot or will not buy a toilet, and "
       "could dig its own pit, prefers to share a neighbour's toilet.",
       "assumption; fitted jointly (triggering promotes own latrines; Harter, Inauen & Mosler "
       "2020 measured latrine coverage, not sharing)", 0.0, 1.0),
    _p("sharing.fee", 20_000.0, "rupiah per month",
       "Contribution a sharing household pays the host (water, cleaning).",
       "assumption", 0.0, 1e7),
    # --- use and the life of a facility -----------------------------------------
    _p("use.disuse", 0.0196, "probability per month",
       "Monthly chance that a household with a working facility stops using it (at mean "
       "self-regulation and an RT coverage of one half).",
       "fitted jointly; Odagiri et al. 2017: 14.5% slipped to sub-optimal use or open "
       "defecation in 2 years after ODF", 0.0, 1.0),
    _p("use.resume", 0.05, "probability per month",
       "Monthly chance that a household not using its working facility starts again.",
       "assumption; Zambia monitoring: more than half of villages that slipped recovered",
       0.0, 1.0),
    _p("use.start_in_equilibrium", True, "",
       "Households with a facility start using it with the stationary probability of the use "
       "process at their own self-regulation and RT coverage, resume / (resume + disuse x m^2) "
       "at m = the multiplier m_i, instead of all in use: a district observed at some date "
       "already has its non-users.",
       "model switch (false: every facility in use at month 0, so practising open defecation "
       "rises in the first years while non-users accumulate towards that share, a transient of "
       "the start alone)"),
    _p("use.w_coverage", 6.64, "log-hazard per unit coverage",
       "How much the RT's coverage lowers disuse and raises resumption (the descriptive norm "
       "of use).", "fitted jointly (docs/calibration.md): Madhya Pradesh's control (84% at "
       "open defecation with a fifth owning toilets) against Mali's (33% with two thirds "
       "having a latrine); Odagiri et al. 2017: slippage went with weaker perceived coverage",
       0.0, 10.0),
    _p("use.coverage_norm", "facility", "",
       "Which coverage of the RT is the descriptive norm of use: facility (the share with a "
       "latrine of any kind, own or shared: rung above open defecation; the behaviour the "
       "shipped posterior was fitted with) or basic (the share at basic or better).",
       "model switch; Odagiri et al. 2017: slippage went with weaker perceived latrine "
       "coverage; basic holds most owners of a pit in a pit-latrine village as non-users (the "
       "Mali setting under the earlier posterior, fitted with basic: 76% practising open "
       "defecation where Pickering et al. 2015 found 33%; docs/validation.md 2.2)",
       choices=("basic", "facility")),
    _p("failure.repair_prob", 0.637, "probability",
       "Chance that a household whose toilet fails and who can pay the repair has it repaired "
       "at once.", "Crocker, Saywell & Bartram 2017: 45% (Ethiopia) vs 6% (Ghana) repaired or "
       "rebuilt within a year; assumption for the value", 0.0, 1.0),
    _p("failure.abandon_months", 24, "months",
       "Months after which a failed facility not repaired is abandoned (a rebuild costs the "
       "full price).", "assumption: collapsed pits and superstructures decay (Delaire et al. "
       "2022)", 1, 600),
    # --- community groups running communal plants (mechanisms.community_groups) ---
    _p("groups.socialisation_months", 1, "months",
       "Shortest social preparation of an RT (socialisation, village and RT/RW meetings).",
       f"{_PLAN}: the first stage of SANIMAS planning; duration assumption", 1, 60),
    _p("groups.forming_months", 2, "months",
       "Shortest time to form and legalise the community group (KSM).",
       f"{_PLAN}: institutionalisation; duration assumption (a village decree or notary "
       "deed takes weeks to months)", 1, 60),
    _p("groups.planning_months", 3, "months",
       "Shortest planning stage: mapping, identification, the community sanitation "
       "improvement action plan (CSIAP) and RKM.",
       f"{_PLAN}: planning stage; duration assumption", 1, 60),
    _p("groups.approval_months", 3, "months",
       "Months from a finished plan to its approval and funding (village development "
       "meeting, musrenbang), before construction can start.",
       f"{_PLAN}: plans enter the musrenbang; duration assumption", 0, 60),
    _p("groups.construction_months", 4, "months",
       "Months to build a communal plant and its piped connections.",
       "assumption: a small plant and network is one dry-season building job", 1, 60),
    _p("groups.attendance", 0.6, "probability per meeting",
       "Chance that a household at the scenario's mean norm (factors.norm) attends a "
       "planning meeting of its RT; scaled by its own norm / factors.norm (at most 1).",
       "assumption: well over half of RT households come to a meeting of their own RT", 0.0,
       1.0),
    _p("groups.quorum", 0.5, "share of RT households",
       "Turn-out a planning meeting needs for its stage to be passed.",
       f"{_PLAN}: decisions are made by the community in meetings; quorum assumption",
       0.0, 1.0),
    _p("groups.patience", 6, "months",
       "Months beyond a planning stage's shortest duration after which a group that has not "
       "reached the quorum is dropped (no plant).", "assumption", 0, 600),
    _p("groups.turnout_weight", 0.5, "share",
       "Weight of the mean turn-out of a group's meetings in its starting capacities: "
       "c0 = (1 - w) x the strategy's aspect + w x turn-out.",
       f"assumption: {_KP} ties sustainability to participation in planning", 0.0, 1.0),
    _p("groups.participation_effect", 0.1, "share of gap to 1",
       "Share of the gap to 1 closed in a household's injunctive norm (commitment) and "
       "self-regulation (upkeep) by each planning meeting it attends.",
       "assumption: participation builds ownership (SANIMAS planning guide); exposed to "
       "sensitivity analysis", 0.0, 1.0),
    _p("groups.capacity_decay", 0.015, "share per month",
       "Monthly loss of a group's capacities (members leave, routines lapse), times "
       "1 + institutional_lapse x (1 - institutional capacity).",
       f"assumption: half-life near four years without support ({_KP}: groups weaken "
       "without co-management)", 0.0, 1.0),
    _p("groups.comanagement_upkeep", 0.03, "share of gap to 1 per month",
       "Share of the gap to 1 of each capacity that full co-management by village and "
       "district restores a month (training, supervision; scaled by the strategy's "
       "comanagement level).",
       f"{_KP}: co-management with village and district sustains groups; value assumption "
       "(full co-management holds capacities near two thirds)", 0.0, 1.0),
    _p("groups.institutional_lapse", 0.3, "probability per month",
       "Chance that a group without institutional capacity skips a month's fee collection "
       "(scaled by 1 - institutional capacity); also speeds the loss of capacities.",
       f"assumption after {_KP}: weak institutions let collection and upkeep lapse", 0.0,
       1.0),
    _p("groups.collection_gap", 0.5, "share",
       "Share of members' payments lost by a group with no financial and governance "
       "capacity: the payment chance is multiplied by 1 - gap x (1 - sqrt(financial x "
       "governance)).",
       f"assumption after {_KP}: fees depend on financial and governance capacity", 0.0,
       1.0),
    _p("groups.fill_months", 36.0, "months",
       "Months for a plant with every planned household connected to fill with sludge.",
       "assumption: communal plants are designed to be desludged every 2-3 years", 1.0,
       600.0),
    _p("groups.desludging_share", 0.25, "share of costs.desludging_fee",
       "Cost of emptying a full plant per connection, as a share of one household tank's "
       "emptying fee.",
       "assumption: about 0.6 m3 of sludge per household in three years, against a 2-3 m3 "
       "truckload for one household tank", 0.0, 10.0),
    _p("groups.breakdown", 0.03, "probability per month",
       "Monthly chance that a working plant breaks down (blocked pipes, broken pump, "
       "damaged chamber) when its group has no technical capacity.",
       "assumption; exposed to sensitivity analysis", 0.0, 1.0),
    _p("groups.technical_protection", 0.8, "share",
       "Share of the breakdown hazard that full technical capacity prevents.",
       f"assumption after {_KP}: technical capacity keeps plants working", 0.0, 1.0),
    _p("groups.full_multiplier", 3.0, "ratio",
       "Breakdown hazard multiplier for a plant full of sludge.",
       "assumption: full tanks are a main failure cause (Delaire et al. 2022)", 1.0, 100.0),
    _p("groups.detection", 0.2, "probability per month",
       "Monthly chance that a broken plant is noticed and reported without monitoring.",
       f"assumption; {_KP}: routine monitoring and evaluation catch failing plants", 0.0,
       1.0),
    _p("groups.repair_cost", 10_000.0, "rupiah per connection",
       "Bill of one repair of a plant, per household it was built for.",
       "assumption: minor works (pipes, pump, manholes), half a month of fees", 0.0, 1e9),
    _p("groups.broken_fail_after", 6, "months",
       "Months a plant may stay broken before its group gives it up.",
       "assumption: households go back to their old toilets within months", 1, 600),
    _p("groups.disband_below", 0.15, "index 0-1",
       "Institutional capacity below which a group disbands and its plant fails.",
       "assumption", 0.0, 1.0),
    # --- social network --------------------------------------------------------
    _p("network.kind", "community", "", "Social network generator.", "model switch",
       choices=("community", "watts_strogatz", "erdos_renyi", "complete", "edgelist")),
    _p("network.rt_degree", 6.0, "ties per household",
       "Mean ties within the household's RT (community network).", "assumption", 0.0, 100.0),
    _p("network.rw_degree", 2.0, "ties per household",
       "Mean ties elsewhere in the household's RW (community network).", "assumption",
       0.0, 100.0),
    _p("network.long_degree", 1.0, "ties per household",
       "Mean long ties across the district (kin, religious and savings groups).",
       "assumption", 0.0, 100.0),
    _p("network.mean_degree", 8.0, "ties per household",
       "Mean degree for the watts_strogatz and erdos_renyi networks.", "assumption",
       1.0, 1000.0),
    _p("network.rewire", 0.1, "probability",
       "Rewiring probability of the watts_strogatz network.", "assumption", 0.0, 1.0),
    _p("network.edgelist", "", "path",
       "Edge-list file (two household indices per line) for kind = 'edgelist', "
       "relative to the scenario file.", "user data"),
    # --- sanitarians -----------------------------------------------------------
    _p("sanitarians.count", 4, "sanitarians",
       "Number of sanitarians (health workers) in the district.",
       "assumption: about one per Puskesmas area; no national ratio found", 0, 10_000,
       scales=True),
    _p("sanitarians.visits_per_month", 40, "visits per sanitarian-month",
       "Household visits one sanitarian can make in a month.", "assumption", 0, 10_000),
    _p("sanitarians.targeting", "lowest_coverage", "",
       "Which households a sanitarian visits first (all below basic).", "model switch",
       choices=("random", "lowest_coverage", "poorest_first", "most_connected")),
    _p("sanitarians.visit_effect", 0.15, "share of gap to 1",
       "Share of the gap to the maximum closed by one visit, for risk, attitude and ability.",
       "assumption", 0.0, 1.0),
    _p("sanitarians.revisit_months", 6, "months",
       "Months before a sanitarian visits the same household again.",
       "assumption: routine follow-up about twice a year", 0, 120),
    _p("sanitarians.refer_to_credit", True, "",
       "Whether visited households are referred to a cooperative (their applications first).",
       "model switch"),
    _p("sanitarians.address_waste", False, "",
       "Whether routine sanitarians also promote household solid-waste handling (STBM's fourth "
       "pillar) when the solid-waste ladder runs (mechanisms.solid_waste): households with "
       "untreated waste join those they visit, and a visit raises the household's waste "
       "factors as it raises its sanitation factors.",
       "model switch; STBM's five pillars are carried by the same sanitarians (Kemenkes, "
       "STBM guidance)"),
    # --- credit cooperatives ---------------------------------------------------
    _p("cooperatives.count", 2, "cooperatives", "Number of credit cooperatives.",
       "assumption", 0, 1_000, scales=True),
    _p("cooperatives.fund", 250_000_000.0, "rupiah per cooperative",
       "Starting loan fund of each cooperative.",
       "assumption: about 100 toilet loans per cooperative", 0.0, 1e13),
    _p("cooperatives.max_loan", 3_000_000.0, "rupiah",
       "Largest toilet loan.", "BPR Kab. Bandung Rp 0.9-2.5 M; KKUM Bogor Rp 5.0 M", 0.0, 1e9),
    _p("cooperatives.monthly_interest", 0.015, "per month",
       "Interest rate on the outstanding principal.",
       "assumption between BPR Kab. Bandung (9% over 2 years) and Cambodia (2.8%/month)",
       0.0, 0.2),
    _p("cooperatives.tenor_months", 24, "months", "Loan term (annuity repayment).",
       "BPR Kab. Bandung 2 years; KOMIDA up to 2 years", 1, 120),
    _p("cooperatives.processing_capacity", 20, "applications per month",
       "Applications one cooperative can assess in a month.", "assumption", 0, 100_000),
    _p("cooperatives.min_income", 1_500_000.0, "rupiah per month",
       "Lowest household income a cooperative lends to.", "assumption", 0.0, 1e9),
    _p("cooperatives.max_installment_share", 0.3, "share of income",
       "Largest monthly instalment as a share of household income.", "assumption",
       0.0, 1.0),
    _p("cooperatives.miss_rate", 0.01, "probability per month",
       "Chance that a borrower with a 10% instalment burden misses a payment "
       "(scales with the burden).", "Water.org partners: under 1% more than 30 days late",
       0.0, 1.0),
    _p("cooperatives.cure_rate", 0.3, "probability per month",
       "Chance that a borrower in arrears pays again in a month.", "assumption", 0.0, 1.0),
    _p("cooperatives.arrears_after", 2, "missed payments",
       "Consecutive missed payments after which a loan is in arrears.", "assumption", 1, 24),
    _p("cooperatives.write_off_after", 6, "months in arrears",
       "Months in arrears after which a loan is written off.", "assumption", 1, 60),
)

BY_KEY: dict[str, Param] = {p.key: p for p in PARAMETERS}

# Groups of parameters that are shares of one whole and must sum to 1.
SHARE_GROUPS: dict[str, tuple[str, ...]] = {
    "population.start_shares": tuple(f"population.start_shares.{r}" for r in RUNGS_KEYS),
    "waste.start_shares": tuple(f"waste.start_shares.{r}"
                                for r in ("untreated", "handled", "reduced")),
}
SHARE_TOLERANCE = 1e-6


def defaults() -> dict[str, Any]:
    """All parameters at their defaults, by dotted key."""
    return {p.key: p.default for p in PARAMETERS}


#: How the tables mark a record that :attr:`Param.scales`.
SCALES_NOTE = "Scaled with the households by `--institutions in-proportion`."


def markdown_table(params: tuple[Param, ...] = PARAMETERS) -> str:
    """The parameter table of ``docs/model.md``, generated from the records."""
    rows = ["| key | default | unit | range | meaning | source |", "|---|---|---|---|---|---|"]
    for p in params:
        default = f"{p.default:,}" if isinstance(p.default, int | float) and not isinstance(
            p.default, bool) else repr(p.default).lower() if isinstance(p.default, bool) else (
            "[" + ", ".join(f'"{v}"' for v in p.default) + "]"
            if isinstance(p.default, tuple) else f'"{p.default}"')
        meaning = f"{p.meaning} {SCALES_NOTE}" if p.scales else p.meaning
        rows.append(
            f"| `{p.key}` | {default} | {p.unit} | {p.allowed()} | {meaning} | {p.source} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - documentation helper
    print(markdown_table())
