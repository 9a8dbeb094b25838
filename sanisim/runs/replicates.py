"""Replicates in one place: the one way to run many runs, and in-process runs as Results.

:func:`run_all` is how every caller runs its replicates (paired arms of
:mod:`sanisim.analysis.outcomes`, virtual trials and their calibration in
:mod:`sanisim.evidence`, :func:`run_comparison` here): each caller says what one replicate is
(a job and its arguments), ``run_all`` runs them on any ``concurrent.futures`` executor, or in
this process without one, and hands the results back in task order, so a result never depends
on the executor. Batches that land in a results store go through :mod:`sanisim.runs.batch`,
which adds a bounded submission window, failure records and resuming on top of the same
executors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import pandas as pd

from sanisim.runs.results import PARAM_PREFIX, Results
from sanisim.runs.run import run
from sanisim.scenario import Scenario, load
from sanisim.streams import replicate_seeds

BASELINE = "baseline"


def run_all[T](job: Callable[..., T], tasks: Iterable[Sequence[Any]],
            executor: Executor | None = None,
            each: Callable[[T], None] | None = None) -> list[T]:
    """``job(*task)`` for every task, on ``executor`` (all submitted at once) or in this
    process, results in task order. ``each`` is called with every result as soon as it and
    all before it are in (to write partial results as they are produced)."""
    if executor is None:
        results = (job(*task) for task in tasks)
    else:
        futures = [executor.submit(job, *task) for task in tasks]
        results = (future.result() for future in futures)
    collected = []
    for result in results:
        if each is not None:
            each(result)
        collected.append(result)
    return collected


def results_from_runs(items: Iterable[tuple[Mapping[str, Any], Any]],
                      manifest: Mapping[str, Any] | None = None) -> Results:
    """Assemble :class:`Results` from in-process runs: ``(design, RunResult)`` pairs.

    ``design`` holds ``scenario``, ``bundle``, ``replicate`` and optionally ``seed`` and
    parameter values under ``param:<key>``. For a few runs in a notebook or a test; batches
    belong to ``sanisim batch`` and :func:`sanisim.runs.store.load_results`.
    """
    runs, monthly, summary = [], [], []
    for design, result in items:
        params = {k: v for k, v in design.items() if k.startswith(PARAM_PREFIX)}
        key = "/".join([str(design["scenario"]), str(design["bundle"]),
                        *(f"{k.removeprefix(PARAM_PREFIX)}={v}" for k, v in params.items()),
                        f"r{design['replicate']}"])
        runs.append({"run_key": key, "scenario": design["scenario"], "bundle": design["bundle"],
                     "replicate": int(design["replicate"]),
                     "seed": int(design.get("seed", result.manifest.get("seed", 0))),
                     "months": int(result.summary["months"]),
                     "households": int(result.summary["households"]), "status": "done",
                     "error": None, **params})
        monthly.append(result.monthly.assign(run_key=key))
        summary.append({"run_key": key, **result.summary})
    monthly_frame = pd.concat(monthly, ignore_index=True)
    monthly_frame = monthly_frame[["run_key", *[c for c in monthly_frame if c != "run_key"]]]
    return Results(pd.DataFrame(runs), monthly_frame, pd.DataFrame(summary),
                   dict(manifest or {"source": "sanisim.analysis.results_from_runs"}))


def run_comparison(scenario: Any = "default", bundles: Sequence[str] = (BASELINE, "bcc"),
                   replicates: int = 5, months: int | None = None,
                   households: int | None = None, seed: int = 0) -> Results:
    """Run ``bundles`` × ``replicates`` in this process, paired by replicate, as Results.

    Replicate r uses the same seed (hence population and network) in every bundle; seeds are
    derived from ``seed`` by :func:`sanisim.streams.replicate_seed`. For quick looks; use
    ``sanisim batch`` for anything larger.
    """
    config = scenario if isinstance(scenario, Scenario) else load(scenario)
    seeds = replicate_seeds(seed, replicates)
    tasks = [(bundle, replicate, run_seed) for bundle in bundles
             for replicate, run_seed in enumerate(seeds)]
    results = run_all(lambda bundle, replicate, run_seed: run(
        config, seed=run_seed, months=months, households=households, bundle=bundle), tasks)
    items = [({"scenario": config.name, "bundle": bundle, "replicate": replicate,
               "seed": run_seed}, result)
             for (bundle, replicate, run_seed), result in zip(tasks, results, strict=True)]
    return results_from_runs(items, {"source": "sanisim.analysis.run_comparison",
                                     "scenario": config.name, "seed": seed,
                                     "bundles": list(bundles), "replicates": replicates})
