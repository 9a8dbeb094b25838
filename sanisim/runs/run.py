"""One run: scenario + seed + bundle in; monthly table, summary and manifest out."""

from __future__ import annotations

import json
import platform
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

import sanisim
from sanisim.ladder import RUNG_COLUMNS
from sanisim.ledger import cumulative_costs
from sanisim.model import FUNDERS, SanitationModel
from sanisim.scenario import Scenario


@dataclass
class RunResult:
    monthly: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]


def package_version() -> str:
    """The installed distribution's version (``sanisim.__version__``)."""
    return sanisim.__version__


@cache
def git_commit() -> str:
    """The commit of the sanisim source this process runs, or 'unknown'.

    From sanisim's own git checkout (:func:`commit_of`, with ``-dirty`` when the package's
    files differ from it), else the commit pip recorded when it installed sanisim from a git
    URL (:func:`installed_commit`), else ``"unknown"``. A venv inside another repository
    never records that repository's commit.
    """
    return (commit_of(Path(sanisim.__file__).resolve().parent) or installed_commit()
            or "unknown")


def is_own_checkout(package_dir: Path, toplevel: str | Path | None) -> bool:
    """Whether git's top-level directory ``toplevel`` is sanisim's own source tree: the
    directory holding ``package_dir`` and a ``pyproject.toml`` of the project "sanisim"."""
    if not toplevel:
        return False
    root = Path(package_dir).resolve().parent
    if Path(toplevel).resolve() != root:
        return False
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return project.get("project", {}).get("name") == "sanisim"


def commit_of(package_dir: Path) -> str | None:
    """The commit of the checkout holding ``package_dir``, if it is sanisim's own (see
    :func:`is_own_checkout`); ``-dirty`` when the package's files differ from it."""
    root = Path(package_dir).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()

    try:
        if not is_own_checkout(package_dir, git("rev-parse", "--show-toplevel")):
            return None
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--", Path(package_dir).name)
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def installed_commit() -> str | None:
    """The commit pip recorded when it installed sanisim from git (``direct_url.json``)."""
    try:
        text = distribution("sanisim").read_text("direct_url.json")
        commit = json.loads(text or "{}").get("vcs_info", {}).get("commit_id")
    except (PackageNotFoundError, ValueError, AttributeError):
        return None
    return str(commit) if commit else None


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
