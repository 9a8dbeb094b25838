"""The 100-0-100 gaps of a district in both sectors: wastewater and household solid waste.

Shown when the district's runs carry the solid-waste ladder (``mechanisms.solid_waste``,
columns ``waste_untreated``, ``waste_handled``, ``waste_reduced``). For each arm and target:
the share at the start and at the horizon (means over runs), the gap left at the horizon
(percentage points; 0 when met), the share of runs that reach the target, the median first
month they reach it, and the public money (government and donors, rupiah) spent until that
month, averaged over the runs that reach it.

Targets: wastewater, the national 100-0-100 medium-term targets
(:data:`sanisim.decisions.settings.DEFAULT_TARGETS`: no open defecation, 90% adequate, 15%
safely managed); solid waste, no household's waste untreated, the share handled or better
(handled or reduced) at least ``waste.target_handled`` and the share reduced at least
``waste.target_reduced`` — the same shape as wastewater's (nothing untreated as no open
defecation; handled or better as adequate; reduced as safely managed), so moving households
up the ladder never widens a gap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sanisim import i18n
from sanisim.analysis.summaries import Target
from sanisim.decisions.settings import DEFAULT_TARGETS
from sanisim.report import prose
from sanisim.report.tables import Cell, TableView
from sanisim.scenario import Scenario
from sanisim.waste import WASTE_COLUMNS

#: The handling measure: households whose waste is handled or reduced (derived here).
HANDLED_OR_BETTER = "waste_handled_or_better"
#: Public money: what government and donors spend (households pay fees and toilets).
PUBLIC = ("spending_government", "spending_donors")


@dataclass
class Gaps:
    """The section: a title, a sentence per sector and arm, a table; ``raw`` is the table in
    raw units (:func:`gap_table`, written as ``waste_gaps.csv``)."""

    title: str
    sentences: list[str]
    table: TableView
    raw: pd.DataFrame


def targets(scenario: Scenario) -> list[tuple[str, Target]]:
    """The (sector, target) pairs of the district."""
    p = scenario.params
    waste = [Target("waste_zero_untreated", "waste_untreated", 0.0, at_most=True),
             Target("waste_handled", HANDLED_OR_BETTER, p["waste.target_handled"],
                    at_most=False),
             Target("waste_reduced", "waste_reduced", p["waste.target_reduced"], at_most=False)]
    return ([("wastewater", t) for t in DEFAULT_TARGETS]
            + [("waste", t) for t in waste])


def gap_table(monthly: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """One row per arm (``bundle``) and target, from monthly rows with ``bundle`` and
    ``run_key`` (raw units: shares 0-1, months, rupiah)."""
    monthly = monthly.sort_values(["run_key", "month"])
    monthly = monthly.assign(**{HANDLED_OR_BETTER: monthly["waste_handled"]
                                + monthly["waste_reduced"]})
    public = monthly[[c for c in PUBLIC if c in monthly]].sum(axis=1)
    monthly = monthly.assign(_public=public.groupby(monthly["run_key"]).cumsum())
    rows = []
    for bundle, arm in monthly.groupby("bundle", sort=False):
        by_run = arm.groupby("run_key", sort=False)
        first, last = by_run.first(), by_run.last()
        for sector, target in targets(scenario):
            values = arm[target.measure].to_numpy(float)
            hit = arm[target.reached(values)].groupby("run_key")[["month", "_public"]].first()
            runs = len(first)
            end = float(last[target.measure].mean())
            gap = target.threshold - end if not target.at_most else end - target.threshold
            rows.append({
                "bundle": bundle, "sector": sector, "target": target.name,
                "measure": target.measure, "threshold": target.threshold,
                "at_most": target.at_most, "runs": runs,
                "start": float(first[target.measure].mean()), "end": end,
                "gap_end": max(gap, 0.0), "share_reached": len(hit) / runs,
                "median_month": float(hit["month"].median()) if len(hit) else math.nan,
                "public_cost_to_target": float(hit["_public"].mean()) if len(hit) else math.nan,
            })
    return pd.DataFrame(rows)


def has_waste(monthly: pd.DataFrame) -> bool:
    return all(c in monthly.columns for c in WASTE_COLUMNS) and \
        monthly[list(WASTE_COLUMNS)].notna().all().all()


def gap_view(monthly: pd.DataFrame, scenario: Scenario, lang: str,
             arm_name: Callable[[str], str]) -> Gaps:
    """The section in ``lang``: a sentence per arm and sector, and the table."""
    table = gap_table(monthly, scenario)
    pct = lambda v: i18n.percent(v, lang)  # noqa: E731
    words = prose.prose(lang)["gaps"]
    view = TableView(
        words["caption"],
        [words[k] for k in ("arm", "sector", "target", "start", "end", "gap", "reached",
                            "month", "cost")],
        note=words["note"])
    sentences = []
    for bundle, arm in table.groupby("bundle", sort=False):
        name = arm_name(str(bundle))
        for sector, part in arm.groupby("sector", sort=False):
            met = part[part["share_reached"] >= 0.5]
            left = part[part["share_reached"] < 0.5]
            sentences.append(words["sentence"].format(
                arm=name, sector=words[sector],
                met=", ".join(words[t] for t in met["target"]) or words["none"],
                left=", ".join(f"{words[t]} ({i18n.points(g, lang)})"
                               for t, g in zip(left["target"], left["gap_end"], strict=True))
                or words["none"]))
        for _, row in arm.iterrows():
            reached = row["share_reached"] > 0
            view.rows.append([
                Cell(name), Cell(words[row["sector"]]),
                Cell(f"{words[row['target']]} ({'≤' if row['at_most'] else '≥'} "
                     f"{pct(row['threshold'])})"),
                Cell(pct(row["start"])), Cell(pct(row["end"])),
                Cell(i18n.points(row["gap_end"], lang)),
                Cell(pct(row["share_reached"])),
                Cell(i18n.number(row["median_month"], lang) if reached else words["not_reached"]),
                Cell(i18n.rupiah(row["public_cost_to_target"], lang) if reached
                     else words["not_reached"]),
            ])
    return Gaps(words["title"], sentences, view, table)
