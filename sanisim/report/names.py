"""Who is who in a report: each district's scenario, its description and the display names of
its arms, from the scenario files the batch ran (their ``[names]`` tables).

A scenario file declares an English and an Indonesian name for every bundle and strategy
(``[names.bundles]``, ``[names.strategies]``; every shipped scenario does, a test checks it).
The report shows that one name for an arm everywhere: findings, tables, legends, axes. A name a
user's file leaves out falls back to the package's name of a shipped bundle key, else to the
key written as words ("city_package" -> "City package"), and the report lists those keys so the
file can be completed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sanisim import i18n
from sanisim.errors import InputError
from sanisim.scenario import Scenario
from sanisim.scenario import load as load_scenario

if TYPE_CHECKING:
    from sanisim.runs.results import Results

log = logging.getLogger(__name__)


def scenario_of(results: Results, name: str) -> Scenario | None:
    """The scenario ``name`` of a batch: the file the manifest records, else a shipped name
    (None when neither loads)."""
    candidates = [s.get("path") for s in results.manifest.get("scenarios", [])
                  if isinstance(s, dict) and s.get("name") == name and s.get("path")]
    for ref in [*candidates, name]:
        try:
            return load_scenario(ref)
        except InputError:
            continue
    log.warning("scenario %r not found: the report uses its bundle keys as names", name)
    return None


def readable(key: str) -> str:
    """A key written as words: 'city_package' -> 'City package'."""
    return key.replace("_", " ").strip().capitalize()


@dataclass
class Names:
    """The scenarios of a batch (by name) and the display names of their arms."""

    scenarios: dict[str, Scenario | None]
    #: (scenario, bundle) pairs whose name the scenario file does not declare
    undeclared: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, results: Results) -> Names:
        names = dict.fromkeys(results.runs["scenario"].astype(str))
        return cls({name: scenario_of(results, name) for name in names})

    def bundle(self, scenario: str, bundle: str, lang: str) -> str:
        """The display name of ``bundle`` of ``scenario`` in ``lang``."""
        declared = self.scenarios.get(scenario)
        name = declared.display_name("bundles", bundle, lang) if declared else None
        if name:
            return name
        self.undeclared.add((scenario, bundle))
        known = i18n.BUNDLES_SHORT.get(bundle)
        return known[lang] if known else readable(bundle)

    def strategies(self, scenario: str, bundle: str, lang: str) -> list[str]:
        """The display names of the strategies a bundle runs (empty if unknown)."""
        declared = self.scenarios.get(scenario)
        if declared is None:
            return []
        return [declared.display_name("strategies", s, lang) or readable(s)
                for s in declared.bundles.get(bundle, ())]

    def title(self, scenario: str) -> str:
        """A district's title: its scenario name as words ('kulon_progo' -> 'Kulon progo')."""
        return " ".join(part.capitalize() for part in scenario.split("_"))

    def description(self, scenario: str, lang: str = "en") -> str:
        """The district's description in ``lang`` (its scenario file's)."""
        declared = self.scenarios.get(scenario)
        return declared.describe(lang) if declared else ""

    def strategy_types(self, scenario: str, bundle: str) -> set[str]:
        """The strategy types (programmes) a bundle runs."""
        declared = self.scenarios.get(scenario)
        if declared is None:
            return set()
        return {str(declared.strategies[s].get("type", "")) for s in
                declared.bundles.get(bundle, ()) if s in declared.strategies}
