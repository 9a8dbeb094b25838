"""One run: scenario + seed + bundle in; monthly table, summary and manifest out."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sanisim.ladder import RUNG_COLUMNS
from sanisim.ledger import cumulative_costs
from sanisim.model import FUNDERS, SanitationModel
from sanisim.provenance import commit_of as commit_of
from sanisim.provenance import git_commit, numpy_simd, package_version
from sanisim.provenance import installed_commit as installed_commit
from sanisim.provenance import is_own_checkout as is_own_checkout
from sanisim.scenario import Scenario


@dataclass
class RunResult:
    monthly: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]


def manifest(scenario: Scenario, seed: int, months: int, households: int, bundle: str,
             **extra: Any) -> dict[str, Any]:
    """Provenance of one output: what produced it, from which inputs."""
    return {
        "scenario": scenario.name,
        "scenario_path": scenario.path,
        "bundle": bundle,
        "seed": int(seed),
        "months": int(months),
        "households": int(households),
        "config_hash": scenario.config_hash,
        "sanisim_version": package_version(),
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_simd": numpy_simd(),
        "mesa": mesa.__version__,
        **extra,
    }


def summarise(monthly: pd.DataFrame, model: SanitationModel) -> dict[str, Any]:
    """Per-run summary: start and end ladder, gains, ODF, credit and spending totals."""
    first, last = monthly.iloc[0], monthly.iloc[-1]
    n = model.households.n
    summary: dict[str, Any] = {"months": int(last["month"]), "households": n}
    for col in RUNG_COLUMNS:
        summary[f"{col}_start"] = float(first[col])
        summary[f"{col}_end"] = float(last[col])
    gain = (last["basic_or_better"] - first["basic_or_better"]) * n
    summary["basic_or_better_start"] = float(first["basic_or_better"])
    summary["basic_or_better_end"] = float(last["basic_or_better"])
    summary["households_gained_basic_or_better"] = float(round(gain))
    od_zero = monthly.loc[monthly["open_defecation"] <= 0, "month"]
    summary["month_open_defecation_zero"] = int(od_zero.iloc[0]) if len(od_zero) else None
    summary["odf_communities_start"] = int(first["odf_communities"])
    summary["odf_communities_end"] = int(last["odf_communities"])
    summary["communities"] = int(model.n_rt)
    summary["odf_slipped_total"] = int(last["odf_slipped_total"])
    summary["loans_issued"] = int(monthly["loans_issued"].sum())
    summary["loans_written_off"] = int(monthly["loans_written_off"].sum())
    summary["fund_balance_end"] = float(last["fund_balance"])
    summary["outstanding_principal_end"] = float(last["outstanding_principal"])
    summary["written_off_principal_end"] = float(last["written_off_principal"])
    summary["sanitarian_visits"] = int(monthly["sanitarian_visits"].sum())
    for funder in FUNDERS:
        summary[f"spending_{funder}"] = float(monthly[f"spending_{funder}"].sum())
    summary["spending_items"] = json.dumps(
        {f"{funder}:{item}": round(amount, 2) for (funder, item), amount
         in sorted(model.totals.items())})
    costs = cumulative_costs(monthly).iloc[-1]
    for funder in FUNDERS:
        summary[f"cost_{funder}"] = float(costs[funder])
    summary["cost_total"] = float(costs["total"])
    summary["cost_per_household_gained"] = float(costs["total"] / gain) if gain > 0 else None
    return summary


def run(scenario: Scenario, *, seed: int = 0, months: int | None = None,
        households: int | None = None, bundle: str = "baseline") -> RunResult:
    """Build the model, run it and collect its outputs."""
    model = SanitationModel(scenario, seed=seed, households=households, bundle=bundle)
    months = int(months if months is not None else scenario["run.months"])
    model.run(months)
    monthly = model.monthly_table()
    return RunResult(monthly, summarise(monthly, model),
                     manifest(scenario, seed, months, model.households.n, bundle))


def write(result: RunResult, out_dir: Path) -> list[Path]:
    """Write monthly.parquet, monthly.csv, summary.json and manifest.json into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "monthly.parquet", out_dir / "monthly.csv", out_dir / "summary.json",
             out_dir / "manifest.json"]
    result.monthly.to_parquet(paths[0], index=False)
    result.monthly.to_csv(paths[1], index=False)
    paths[2].write_text(json.dumps(result.summary, indent=2) + "\n")
    paths[3].write_text(json.dumps(result.manifest, indent=2) + "\n")
    return paths
