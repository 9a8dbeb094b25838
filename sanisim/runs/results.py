"""The tidy tables a results store hands to analysis: the contract between the layers.

A results store (written by ``sanisim batch``) is read back by
:func:`sanisim.runs.store.load_results` into a :class:`Results`:

``runs``
    one row per run of the run table: ``run_key`` (str, stable), ``scenario``, ``bundle``,
    ``replicate`` (int), ``seed`` (int), ``months``, ``households``, ``status``
    ("done", "failed" or "pending"), ``error`` (str or None), and one ``param:<key>``
    column per varied parameter (e.g. ``param:behaviour.q_imitation``).
``monthly``
    long-by-run, wide-by-measure: ``run_key``, ``month`` and the columns of
    :data:`sanisim.model.OUTPUT_COLUMNS` (plus any strategy columns); finished runs only.
``summary``
    one row per finished run: ``run_key`` and the fields of :func:`sanisim.runs.run.summarise`.
``manifest``
    the store's manifest (experiment file and hash, package version, git commit, ...).

Analysis joins ``monthly``/``summary`` to ``runs`` on ``run_key``; arms are paired by
``(scenario, replicate)`` plus the parameter columns, whose seed is the same in every arm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

RUN_COLUMNS: tuple[str, ...] = ("run_key", "scenario", "bundle", "replicate", "seed", "months",
                                "households", "status", "error")
PARAM_PREFIX = "param:"


@dataclass
class Results:
    runs: pd.DataFrame
    monthly: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def param_columns(self) -> list[str]:
        return [c for c in self.runs.columns if c.startswith(PARAM_PREFIX)]

    def monthly_with_runs(self) -> pd.DataFrame:
        """Monthly rows joined to their run's design columns."""
        design = self.runs.drop(columns=["status", "error"], errors="ignore")
        return self.monthly.merge(design, on="run_key", how="left")

    def summary_with_runs(self) -> pd.DataFrame:
        """Summaries joined to their run's design (fields both carry, e.g. ``months``, are
        taken from the run table)."""
        design = self.runs.drop(columns=["status", "error"], errors="ignore")
        shared = [c for c in self.summary.columns if c in design.columns and c != "run_key"]
        return self.summary.drop(columns=shared).merge(design, on="run_key", how="left")
