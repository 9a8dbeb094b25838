"""The strategy interface: a programme is data plus hooks on the model's named phases.

A strategy is declared in a scenario file as a table ``[strategies.NAME]`` with a ``type``
(a registered class), a time window ``start``..``end`` (months, inclusive), a ``budget``
(rupiah, government or donor money) and the type's own parameters; it may name the
government's budget sources it draws on (``sources``, with ``mechanisms.government``:
:mod:`sanisim.government`). Bundles name the strategies that run together.

At run time each strategy gets its own random stream (``model.streams.strategy(name)``),
so adding a strategy never shifts the draws of the baseline or of another strategy. The model
calls ``on_<phase>(model)`` after each phase of the monthly step (see
:data:`sanisim.phases.STEP_ORDER`) while the strategy is active; a method ``on_<name>`` for no
phase is an error when the class is defined.

**Reach.** A strategy acts on the households of its *reach*, a boolean mask over household
rows (``None``, the default: everyone). A virtual trial (:mod:`sanisim.evidence.trial`) gives each
arm's strategies the households of that arm's clusters; every strategy's targeting and
eligibility take only households in reach (:meth:`Strategy.within_reach`), and RT-level
programmes only RTs with a household in reach (:meth:`Strategy.reached_rts`). Set
``reach_rule`` (a function of the model returning the mask) before the model is built; the
mask is evaluated once in :meth:`Strategy.setup`, without drawing from any stream.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sanisim.errors import InputError, did_you_mean
from sanisim.government import SOURCES
from sanisim.parameters import Param, scaled_value
from sanisim.phases import check_hooks

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from sanisim.model import SanitationModel

STRATEGY_TYPES: dict[str, type[Strategy]] = {}

COMMON_PARAMS: tuple[Param, ...] = (
    Param("start", 1, "month", "First month the strategy acts.", "scenario", 1, 600),
    Param("end", 600, "month", "Last month the strategy acts (inclusive).", "scenario", 1, 600),
    Param("budget", math.inf, "rupiah",
          "Most the strategy may spend over the run (inf: unlimited).", "scenario", 0.0, None,
          scales=True),
    Param("funder", "government", "", "Who pays the strategy's costs.", "scenario",
          choices=("government", "donors", "households", "cooperatives")),
)


@dataclass(frozen=True)
class SourceList(Param):
    """A record whose value is a list of the government's budget sources
    (:data:`sanisim.government.SOURCES`), each named once."""

    def allowed(self) -> str:
        return f"a list of budget sources, each once, from {', '.join(SOURCES)}"

    def check(self, value: Any, source: str) -> Any:
        if (not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value)
                or len(set(value)) != len(value) or not set(value) <= set(SOURCES)):
            raise InputError(source, self.key, f"got {value!r}; allowed: {self.allowed()}")
        return tuple(value)


#: Keys a strategy table may have that enter its configuration only when given (so the
#: configurations, and hashes, of scenarios without them are as before).
OPTIONAL_PARAMS: tuple[Param, ...] = (
    SourceList("sources", (), "",
               "The government's budget sources the programme draws on, in order, after its "
               "own budget when that is finite (with mechanisms.government; ignored "
               "without it). Naming sources also makes the programme delivered by local "
               "government: its delivery scales with government.field_capacity.",
               "scenario"),
)


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy type available to scenario files by its name.

    A method ``on_<name>`` whose name is not a phase of the step order is a
    :class:`TypeError` (it would never be called).
    """
    check_hooks(cls)
    STRATEGY_TYPES[cls.type_name] = cls
    return cls


class Strategy:
    """Base class of all strategies. Subclasses set ``type_name`` and ``PARAMS``."""

    type_name: ClassVar[str] = ""
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    #: Extra columns this strategy adds to the monthly table (values from :meth:`outputs`).
    output_columns: ClassVar[tuple[str, ...]] = ()
    #: Model switches (registry keys) this strategy needs on: a scenario defining it with one
    #: of them off is refused when it is read (:func:`check_requirements`).
    REQUIRES: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check the hooks when a strategy class is defined (:func:`check_hooks`)."""
        super().__init_subclass__(**kwargs)
        check_hooks(cls)

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = dict(config)
        self.start: int = config["start"]
        self.end: int = config["end"]
        self.budget: float = config["budget"]
        self.funder: str = config["funder"]
        self.spent = 0.0
        #: Budget sources named (``sources``); drawn on only with a government.
        self.sources: tuple[str, ...] = tuple(config.get("sources", ()))
        #: The model's government when the strategy draws on it (set in :meth:`setup`).
        self.government = None
        self.own_spent = 0.0
        self.rng = None
        #: Function of the model giving the reach mask (see the module docs), or None.
        self.reach_rule: Callable[[SanitationModel], np.ndarray] | None = None
        #: Households the strategy may act on (bool per household row); None: everyone.
        self.reach: np.ndarray | None = None

    def setup(self, model: SanitationModel) -> None:
        """Called once when the model is built; draws nothing from shared streams."""
        self.rng = model.streams.strategy(self.name)
        government = getattr(model, "government", None)
        if government is not None and self.sources:
            self.government = government
            government.equip(self)
        if self.reach_rule is not None:
            reach = np.asarray(self.reach_rule(model), dtype=bool)
            if reach.shape != (model.households.n,):
                raise ValueError(f"reach of strategy {self.name!r} has shape {reach.shape}; "
                                 f"expected ({model.households.n},)")
            self.reach = reach

    # ---------------------------------------------------------------- reach
    def within_reach(self, rows: np.ndarray) -> np.ndarray:
        """The household ``rows`` the strategy may act on (all of them without a reach)."""
        return rows if self.reach is None else rows[self.reach[rows]]

    def reached_rts(self, model: SanitationModel) -> np.ndarray:
        """Bool per RT: whether any of its households is in reach (all True without one)."""
        if self.reach is None:
            return np.ones(model.n_rt, bool)
        return np.bincount(model.households.rt[self.reach], minlength=model.n_rt) > 0

    def outputs(self, model: SanitationModel) -> dict[str, float]:
        """This month's values of :attr:`output_columns` (recorded every month)."""
        return {}

    def active(self, month: int) -> bool:
        return self.start <= month <= self.end

    @property
    def budget_left(self) -> float:
        if self.government is None:
            return self.budget - self.spent
        return self._own_left() + self.government.available(self.sources)

    def _own_left(self) -> float:
        """What is left of the strategy's own budget when it also draws on the government
        (an unlimited own budget then means none: the sources pay)."""
        return max(0.0, self.budget - self.own_spent) if math.isfinite(self.budget) else 0.0

    def affordable(self, unit_cost: float, wanted: int, left: float | None = None) -> int:
        """How many units of ``unit_cost`` rupiah the remaining budget (or ``left``) pays
        for (<= wanted)."""
        if unit_cost <= 0:
            return wanted
        left = self.budget_left if left is None else left
        return int(min(wanted, max(0.0, left) // unit_cost))

    def spend(self, model: SanitationModel, amount: float, item: str) -> None:
        """Book ``amount`` rupiah against the budget and the funder's account; with a
        government, the own budget first (when finite), then the named sources."""
        if amount < 0:
            raise ValueError("negative spending")
        self.spent += amount
        if self.government is None:
            model.book(self.funder, item, amount)
            return
        own = min(amount, self._own_left())
        if own > 0:
            self.own_spent += own
            model.book(self.funder, item, own)
        if amount - own > 0:
            self.government.draw(model, self.sources, amount - own, item, self.funder)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, start={self.start}, end={self.end})"


# --------------------------------------------------------------------------- validation


def _check_param(param: Param, value: Any, source: str, key: str) -> Any:
    """One strategy value, checked by its record (:meth:`Param.check`) under its full key."""
    if isinstance(param.default, float) and math.isinf(param.default) and (
            value == "inf" or (isinstance(value, float) and value == math.inf)):
        return math.inf  # "no limit": the default, TOML's inf, or the string "inf"
    return param.renamed(key).check(value, source)


def parse_strategy_tables(tables: Any, bundles: Any, source: str
                          ) -> tuple[Mapping[str, Any], Mapping[str, tuple[str, ...]]]:
    """Validate ``[strategies.*]`` and ``[bundles]``; return frozen configs and bundles."""
    if not isinstance(tables, dict):
        raise InputError(source, "strategies", "must be a table of [strategies.NAME] tables")
    configs: dict[str, Any] = {}
    for name, table in tables.items():
        where = f"strategies.{name}"
        if not isinstance(table, dict):
            raise InputError(source, where, "must be a table with a 'type' key")
        kind = table.get("type")
        if not isinstance(kind, str) or kind not in STRATEGY_TYPES:
            allowed = ", ".join(sorted(STRATEGY_TYPES)) or "(none registered)"
            hint = did_you_mean(str(kind), STRATEGY_TYPES)
            raise InputError(source, f"{where}.type",
                             f"unknown strategy type {kind!r}{hint} (allowed: {allowed})")
        cls = STRATEGY_TYPES[kind]
        records = {p.key: p for p in (*COMMON_PARAMS, *cls.PARAMS)}
        config: dict[str, Any] = {"type": kind}
        for key, param in records.items():
            value = table.get(key, param.default)
            config[key] = _check_param(param, value, source, f"{where}.{key}")
        for param in OPTIONAL_PARAMS:
            records[param.key] = param
            if param.key in table:
                config[param.key] = _check_param(param, table[param.key], source,
                                                 f"{where}.{param.key}")
        for key in table:
            if key != "type" and key not in records:
                hint = did_you_mean(key, records)
                raise InputError(source, f"{where}.{key}", f"unknown key for a {kind!r} "
                                 f"strategy{hint} (allowed: {', '.join(records)})")
        if config["end"] < config["start"]:
            raise InputError(source, f"{where}.end",
                             f"end ({config['end']}) must not be before start ({config['start']})")
        configs[name] = MappingProxyType(config)

    if not isinstance(bundles, dict):
        raise InputError(source, "bundles", "must be a table: bundle name = [strategy names]")
    parsed: dict[str, tuple[str, ...]] = {"baseline": ()}
    for bundle, members in bundles.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise InputError(source, f"bundles.{bundle}", "must be a list of strategy names")
        for member in members:
            if member not in configs:
                hint = did_you_mean(member, configs)
                allowed = ", ".join(configs) or "(none defined)"
                raise InputError(source, f"bundles.{bundle}",
                                 f"unknown strategy {member!r}{hint} (defined: {allowed})")
        parsed[bundle] = tuple(members)
    return MappingProxyType(configs), MappingProxyType(parsed)


def scaled_configs(configs: Mapping[str, Any], scale: float, source: str
                   ) -> Mapping[str, Any]:
    """Strategy configurations (as :func:`parse_strategy_tables` returns them) for a district
    ``scale`` times as large: every record that :attr:`~sanisim.parameters.Param.scales`
    (budgets, agents, paces of delivery) scaled by :func:`~sanisim.parameters.scaled_value`,
    the rest as they are."""
    scaled: dict[str, Any] = {}
    for name, config in configs.items():
        config = dict(config)
        for param in (*COMMON_PARAMS, *STRATEGY_TYPES[config["type"]].PARAMS):
            if param.scales:
                key = f"strategies.{name}.{param.key}"
                config[param.key] = scaled_value(param.renamed(key), config[param.key], scale,
                                                 source)
        scaled[name] = MappingProxyType(config)
    return MappingProxyType(scaled)


def check_requirements(configs: Mapping[str, Any], params: Mapping[str, Any],
                       source: str) -> None:
    """Every strategy's required switches (:attr:`Strategy.REQUIRES`) are on: one line naming
    the strategy and the switch otherwise (a run would fail only when it sets the strategy up)."""
    for name, config in configs.items():
        for switch in STRATEGY_TYPES[config["type"]].REQUIRES:
            if not params[switch]:
                raise InputError(source, f"strategies.{name}",
                                 f"a {config['type']!r} programme needs {switch} = true "
                                 f"(it is false)")


def build_bundle(scenario, bundle: str, source: str = "--strategy") -> list[Strategy]:
    """Instantiate the strategies of a bundle named in the scenario."""
    if bundle not in scenario.bundles:
        hint = did_you_mean(bundle, scenario.bundles)
        raise InputError(source, bundle, f"unknown strategy bundle{hint} "
                         f"(bundles of {scenario.name}: {', '.join(scenario.bundles)})")
    return [STRATEGY_TYPES[scenario.strategies[n]["type"]](n, scenario.strategies[n])
            for n in scenario.bundles[bundle]]
