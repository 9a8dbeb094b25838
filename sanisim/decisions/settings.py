"""What a decision question is given: the setting both ``sanisim decide`` and ``sanisim
optimise`` files share, read and checked into plain records.

A decision is taken over uncertainty: every bundle runs over posterior draws (the calibrated
behaviour, :mod:`sanisim.runs.posterior`) crossed with seeds (common random numbers: replicate
r has the same seed in every bundle and draw). Costs are split into Indonesian budgets
(:data:`sanisim.ledger.BUDGETS`) by the scenario's strategy funders and the declared splits
(``[funding.STRATEGY]``, defaults in :data:`sanisim.ledger.DEFAULT_SPLITS`), and discounted at
``discount_rate`` a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanisim.analysis.summaries import Target
from sanisim.errors import InputError, check_keys, did_you_mean, finite_number
from sanisim.inputs import integer, name_list, resolve_scenario
from sanisim.ledger import ROUTINE, account_splits, check_split
from sanisim.runs import posterior as posterior_file
from sanisim.runs.posterior import Posterior
from sanisim.scenario import Scenario, load

#: Social discount rate a year: ADB, Guidelines for the Economic Analysis of Projects (2017),
#: 9% in real terms for project appraisal in its member countries, Indonesia included.
DEFAULT_DISCOUNT_RATE = 0.09

#: Monthly measures a target may be set on (shares of households).
TARGET_MEASURES: tuple[str, ...] = ("open_defecation", "practising_od", "basic_or_better",
                                    "safely_managed", "basic_or_better_q1")


#: Default targets: the national "100-0-100" medium-term targets as set in the RPJMN
#: 2020-2024 (Bappenas): 0% open defecation (BABS), 90% of households with adequate
#: ("layak": basic or better) sanitation, 15% safely managed ("aman").
DEFAULT_TARGETS: tuple[Target, ...] = (
    Target("zero_open_defecation", "open_defecation", 0.0, at_most=True),
    Target("layak_90", "basic_or_better", 0.90, at_most=False),
    Target("aman_15", "safely_managed", 0.15, at_most=False),
)


@dataclass(frozen=True)
class Setting:
    """Scenario, uncertainty design and money rules of a decision question."""

    source: str
    scenario: Scenario
    seed: int
    replicates: int
    months: int
    households: int | None
    posterior: Posterior | None
    posterior_draws: int
    discount_rate: float
    splits: Mapping[str, Mapping[str, float]]
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    funding: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def draws(self) -> list[tuple[int | None, dict[str, Any]]]:
        """The posterior draws as ``(draw id, parameters)``; without a posterior ``(None,
        {})`` once: the scenario's own parameters."""
        if self.posterior is None:
            return [(None, {})]
        return self.posterior.draws(self.posterior_draws, self.seed)

    @property
    def interval_holds(self) -> str:
        return posterior_file.interval_holds(self.posterior_draws if self.posterior else 0)


#: Keys of the setting, shared by decide and optimise files (inside their main table).
SETTING_KEYS: tuple[str, ...] = ("scenario", "seed", "replicates", "months", "households",
                                 "posterior", "posterior_file", "discount_rate")


def read_setting(table: Mapping[str, Any], raw: Mapping[str, Any], source: str, main: str
                 ) -> Setting:
    """The setting of a decide/optimise file: ``table`` is its main table ``[main]``, ``raw``
    the whole file (for ``[funding.*]`` and ``[targets.*]``)."""
    base = Path(source).parent
    scenario = load(resolve_scenario(table["scenario"], base, source, f"{main}.scenario"))
    seed = integer(table.get("seed", 0), source, f"{main}.seed", 0)
    replicates = integer(table.get("replicates", 1), source, f"{main}.replicates", 1)
    months = integer(table.get("months", scenario["run.months"]), source, f"{main}.months", 1)
    households = integer(table.get("households"), source, f"{main}.households", 10)
    draws = integer(table.get("posterior", 0), source, f"{main}.posterior", 0)
    posterior = None
    if draws:
        path = table.get("posterior_file")
        if path is not None and not (base / str(path)).is_file():
            raise InputError(source, f"{main}.posterior_file", f"no posterior file {path!r} "
                             f"beside {source}")
        posterior = posterior_file.load(base / str(path) if path else None, scenario)
        if draws > posterior.usable:
            raise InputError(source, f"{main}.posterior", f"got {draws}; allowed: 0 (the "
                             f"scenario's own parameters) to {posterior.usable} draws")
    rate = finite_number(table.get("discount_rate", DEFAULT_DISCOUNT_RATE), source,
                         f"{main}.discount_rate", 0.0)
    if rate > 1:
        raise InputError(source, f"{main}.discount_rate", f"got {rate:g}; allowed: a rate a "
                         "year between 0 and 1 (0.09 is 9%)")
    funding = read_funding(raw.get("funding", {}), scenario, source)
    targets = read_targets(raw["targets"], source) if "targets" in raw else DEFAULT_TARGETS
    return Setting(source, scenario, seed, replicates, months, households, posterior, draws,
                   rate, account_splits(scenario.strategies, funding), targets, funding)


def read_funding(table: Any, scenario: Scenario, source: str) -> dict[str, dict[str, float]]:
    """``[funding.NAME]`` tables: the budget split of strategy NAME (or ``routine``)."""
    if not isinstance(table, dict):
        raise InputError(source, "funding", "must be a table of [funding.STRATEGY] tables")
    allowed = (ROUTINE, *scenario.strategies)
    out = {}
    for name, shares in table.items():
        if name not in allowed:
            raise InputError(source, f"funding.{name}", f"no strategy {name!r} in scenario "
                             f"{scenario.name!r}{did_you_mean(name, allowed)} (allowed: "
                             f"{', '.join(allowed)})")
        if name != ROUTINE and scenario.strategies[name]["funder"] != "government":
            raise InputError(source, f"funding.{name}", f"strategy {name!r} is funded by "
                             f"{scenario.strategies[name]['funder']}; only government-funded "
                             "strategies are split among public budgets")
        out[name] = check_split(shares, source, f"funding.{name}")
    return out


def read_targets(table: Any, source: str) -> tuple[Target, ...]:
    """``[targets.NAME]`` tables: ``measure`` and one of ``at_most`` / ``at_least``."""
    if not isinstance(table, dict) or not table:
        raise InputError(source, "targets", "must be a table of [targets.NAME] tables")
    out = []
    for name, spec in table.items():
        key = f"targets.{name}"
        if not isinstance(spec, dict):
            raise InputError(source, key, "must be a table with 'measure' and 'at_most' or "
                             "'at_least'")
        check_keys(spec, ("measure", "at_most", "at_least"), source, f"{key}.")
        measure = spec.get("measure")
        if measure not in TARGET_MEASURES:
            raise InputError(source, f"{key}.measure", f"got {measure!r}"
                             f"{did_you_mean(measure, TARGET_MEASURES)}; allowed: "
                             f"{', '.join(TARGET_MEASURES)}")
        if ("at_most" in spec) == ("at_least" in spec):
            raise InputError(source, key, "give exactly one of 'at_most' and 'at_least'")
        bound = "at_most" if "at_most" in spec else "at_least"
        threshold = finite_number(spec[bound], source, f"{key}.{bound}", 0.0)
        if threshold > 1:
            raise InputError(source, f"{key}.{bound}", f"got {threshold:g}; allowed: a share "
                             "of households between 0 and 1")
        out.append(Target(name, measure, threshold, bound == "at_most"))
    return tuple(out)


def bundle_names(value: Any, scenario: Scenario, source: str, key: str) -> tuple[str, ...]:
    """A list of the scenario's bundle names (the baseline first if listed)."""
    names = name_list(value, source, key)
    for name in names:
        if name not in scenario.bundles:
            raise InputError(source, key, f"no bundle {name!r} in scenario {scenario.name!r}"
                             f"{did_you_mean(name, scenario.bundles)} (bundles: "
                             f"{', '.join(scenario.bundles)})")
    return names
