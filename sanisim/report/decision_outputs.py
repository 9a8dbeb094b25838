"""The decision outputs a report can show: the output folder of ``sanisim decide`` and,
optionally, of ``sanisim optimise``, read as they are and checked before anything is drawn.

A folder that is not such an output, or lacks a file or a column the report reads, is a
one-line :class:`~sanisim.errors.InputError` naming the path and what is expected (the command
ends with exit code 2). The tables are the command's own CSV files (docs/decisions.md); nothing
is recomputed here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sanisim.errors import InputError
from sanisim.ledger import BUDGETS
from sanisim.scenario import Scenario
from sanisim.scenario import load as load_scenario

DECIDE_KIND = "sanisim decisions"
OPTIMISE_KIND = "sanisim optimise"

#: The files of a decide folder the report reads, with the columns it needs.
DECIDE_TABLES: dict[str, tuple[str, ...]] = {
    "p_beats": ("outcome", "a", "b", "p_a_beats_b", "better", "pairs"),
    "targets_by_year": ("bundle", "target", "year", "probability", "runs"),
    "costs_by_year": ("bundle", "year", *BUDGETS, *(f"{b}_pv" for b in BUDGETS), "public",
                      "public_pv"),
    "ceac": ("willingness_to_pay", "bundle", "probability"),
    "cost_effectiveness": ("bundle", "runs", "extra_households", "extra_households_low",
                           "extra_households_high", "extra_public_cost", "extra_household_cost",
                           "class", "ratio", "public_cost"),
}
#: Manifest fields of a decide folder the report reads.
DECIDE_FIELDS: tuple[str, ...] = ("bundles", "scenario", "months", "households", "seed",
                                  "replicates", "posterior_draws", "interval_holds",
                                  "discount_rate", "targets")
#: Columns of ``pareto.csv`` besides the objectives and the search variables.
PARETO_COLUMNS: tuple[str, ...] = ("trial", "bundle", "members")
#: Manifest fields of an optimise folder the report reads.
OPTIMISE_FIELDS: tuple[str, ...] = ("scenario", "objectives", "robust", "runs_per_mix",
                                    "interval_holds", "budgets", "pareto", "months", "mixes")
_TARGET_RULE = re.compile(r"^(?P<measure>\w+) (?P<op><=|>=) (?P<threshold>[-+0-9.eE]+)$")
_QUANTILE = re.compile(r"quantile (?P<q>[0-9.]+) of each benefit")


@dataclass(frozen=True)
class TargetRule:
    """A decide target as its manifest states it (``measure <= threshold``)."""

    name: str
    measure: str
    threshold: float
    at_most: bool


@dataclass(frozen=True)
class DecideOutput:
    """A decide folder: its manifest and tables."""

    path: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    targets: tuple[TargetRule, ...]

    @property
    def bundles(self) -> list[str]:
        return [str(b) for b in self.manifest["bundles"]]

    @property
    def baseline(self) -> str:
        return self.bundles[0]

    @property
    def scenario(self) -> str:
        return str(self.manifest["scenario"])


@dataclass(frozen=True)
class OptimiseOutput:
    """An optimise folder: its manifest, the Pareto set and the bundle file of each mix."""

    path: Path
    manifest: dict[str, Any]
    pareto: pd.DataFrame
    files: dict[str, Path]

    @property
    def objectives(self) -> dict[str, bool]:
        """Objective -> True when more is better."""
        return {k: v == "maximise" for k, v in self.manifest["objectives"].items()}

    @property
    def quantile(self) -> float:
        found = _QUANTILE.search(str(self.manifest["robust"]))
        if not found:
            raise InputError(str(self.path / "manifest.json"), "robust", "expected "
                             "'quantile Q of each benefit, ...' as 'sanisim optimise' writes it")
        return float(found.group("q"))

    @property
    def levers(self) -> list[str]:
        return [c.removeprefix("use:") for c in self.pareto.columns if c.startswith("use:")]


@dataclass(frozen=True)
class DecisionOutputs:
    """What the report's "what to fund" section is given."""

    decide: DecideOutput | None
    optimise: OptimiseOutput | None

    @property
    def scenario_name(self) -> str:
        if self.decide is not None:
            return self.decide.scenario
        return str(self.optimise.manifest["scenario"])

    def scenario(self) -> Scenario | None:
        """The scenario the decisions ran (for names and the description), or None."""
        manifest = (self.decide or self.optimise).manifest
        for ref in (manifest.get("scenario_path"), manifest.get("scenario")):
            if not ref:
                continue
            try:
                return load_scenario(str(ref))
            except InputError:
                continue
        return None


def _folder(path: Path, option: str, command: str) -> Path:
    if not path.exists():
        raise InputError(str(path), None, f"no such folder; {option} expects the output "
                         f"folder of '{command}' (its --out)")
    if not path.is_dir():
        raise InputError(str(path), None, f"is a file; {option} expects the output folder of "
                         f"'{command}' (its --out)")
    return path


def _manifest(path: Path, kind: str, option: str, command: str,
              fields: tuple[str, ...]) -> dict[str, Any]:
    file = path / "manifest.json"
    expected = f"{option} expects the output folder of '{command}' (manifest.json of kind {kind!r})"
    if not file.is_file():
        raise InputError(str(path), None, f"no manifest.json; {expected}")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(str(file), None, f"not readable JSON; {expected}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != kind:
        found = manifest.get("kind") if isinstance(manifest, dict) else None
        raise InputError(str(file), "kind", f"got {found!r}; {expected}")
    for name in fields:
        if name not in manifest:
            raise InputError(str(file), name, f"missing; {expected}")
    return manifest


def _table(file: Path, columns: tuple[str, ...], command: str, empty: bool = False
           ) -> pd.DataFrame:
    """A CSV output with ``columns``; ``empty``: it may have no rows (an empty Pareto set)."""
    if not file.is_file():
        raise InputError(str(file), None, f"missing; expected the file '{command}' writes")
    try:
        table = pd.read_csv(file)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        raise InputError(str(file), None, f"not a readable CSV table of '{command}'") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(str(file), None, f"lacks column(s) {', '.join(missing)}; expected "
                         f"the table '{command}' writes with columns {', '.join(columns)}")
    if table.empty and not empty:
        raise InputError(str(file), None, f"has no rows; expected the table '{command}' "
                         "writes")
    return table


def _targets(manifest: dict[str, Any], file: Path) -> tuple[TargetRule, ...]:
    rules = manifest["targets"]
    if not isinstance(rules, dict):
        raise InputError(str(file), "targets", "expected a table of target: 'measure >= share'")
    out = []
    for name, rule in rules.items():
        found = _TARGET_RULE.match(str(rule))
        if not found:
            raise InputError(str(file), f"targets.{name}", f"got {rule!r}; expected "
                             "'measure <= share' or 'measure >= share'")
        out.append(TargetRule(str(name), found.group("measure"),
                              float(found.group("threshold")), found.group("op") == "<="))
    return tuple(out)


def read_decide(path: str | Path) -> DecideOutput:
    """The output folder of ``sanisim decide`` at ``path`` (checked)."""
    folder = _folder(Path(path), "--decisions", "sanisim decide")
    manifest = _manifest(folder, DECIDE_KIND, "--decisions", "sanisim decide", DECIDE_FIELDS)
    tables = {name: _table(folder / f"{name}.csv", columns, "sanisim decide")
              for name, columns in DECIDE_TABLES.items()}
    bundles = [str(b) for b in manifest["bundles"]]
    for name, table in tables.items():
        column = "a" if name == "p_beats" else "bundle"
        unknown = sorted(set(table[column].astype(str)) - set(bundles))
        if unknown:
            raise InputError(str(folder / f"{name}.csv"), column, f"bundle(s) "
                             f"{', '.join(unknown)} not in manifest.json's bundles "
                             f"({', '.join(bundles)}); expected the files of one decide run")
    return DecideOutput(folder, manifest, tables, _targets(manifest, folder / "manifest.json"))


def read_optimise(path: str | Path) -> OptimiseOutput:
    """The output folder of ``sanisim optimise`` at ``path`` (checked)."""
    folder = _folder(Path(path), "--optimise", "sanisim optimise")
    manifest = _manifest(folder, OPTIMISE_KIND, "--optimise", "sanisim optimise",
                         OPTIMISE_FIELDS)
    objectives = tuple(manifest["objectives"]) if isinstance(manifest["objectives"], dict) \
        else ()
    if not objectives:
        raise InputError(str(folder / "manifest.json"), "objectives", "expected a table of "
                         "objective: maximise or minimise")
    pareto = _table(folder / "pareto.csv", (*PARETO_COLUMNS, *objectives), "sanisim optimise",
                    empty=True)  # no mix within the budgets: said so on the page
    files = {}
    for bundle in pareto["bundle"].astype(str):
        file = folder / "pareto" / f"{bundle}.toml"
        if not file.is_file():
            raise InputError(str(file), None, "missing; expected the runnable bundle file "
                             "'sanisim optimise' writes for each Pareto mix")
        files[bundle] = file
    return OptimiseOutput(folder, manifest, pareto, files)


def read_outputs(decisions: str | Path | None, optimise: str | Path | None = None
                 ) -> DecisionOutputs | None:
    """The decide folder and/or the optimise folder (None when neither is given); both must
    be of one scenario (district)."""
    if decisions is None and optimise is None:
        return None
    decide = read_decide(decisions) if decisions is not None else None
    search = read_optimise(optimise) if optimise is not None else None
    if decide and search and str(search.manifest["scenario"]) != decide.scenario:
        raise InputError(str(search.path), None, f"searched scenario "
                         f"{search.manifest['scenario']!r}, the decide folder "
                         f"{decide.path} compared {decide.scenario!r}; expected the outputs "
                         "of one district (scenario)")
    return DecisionOutputs(decide, search)
