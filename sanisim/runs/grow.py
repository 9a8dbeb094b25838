"""Growing a finished batch: more replicates of the same design, without re-running a run.

A run's key and seed depend on its replicate, not on how many replicates the batch has
(:func:`sanisim.runs.experiment.run_key`, :func:`sanisim.streams.replicate_seed`), so the run
table of an experiment with more replicates holds every run of the smaller one, with the same
keys and seeds. ``sanisim batch EXPERIMENT --resume`` with a larger ``replicates`` therefore
extends the store: :func:`grow_replicates` checks that the replicate count is the only change
(the experiment with the store's replicate count has exactly the store's hash), rewrites the
store's design (run table, experiment file, manifest hash) for the larger design and records
the change in the manifest (``grown``); the batch then runs only the new replicates. Any other
change (a scenario, a bundle, a value, the seed, fewer replicates) still refuses, as before.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from sanisim.errors import InputError
from sanisim.runs.experiment import Experiment
from sanisim.runs.store import RUNS, Store, atomic_write, now

log = logging.getLogger(__name__)


def stored_replicates(root: Path) -> int | None:
    """How many replicates the run table of the store at ``root`` has (None: no table)."""
    path = root / RUNS
    if not path.exists():
        return None
    replicates = pd.read_parquet(path, columns=["replicate"])["replicate"]
    return int(replicates.max()) + 1 if len(replicates) else 0


def grow_replicates(root: str | Path, experiment: Experiment) -> tuple[int, int] | None:
    """Extend the store at ``root`` to ``experiment`` when it differs from the stored design
    only by having more replicates; returns (replicates before, after), or None when the store
    is absent, already this design, or differs in anything else."""
    store = Store(root)
    if not store.manifest_path.exists():
        return None
    try:
        manifest = store.manifest()
    except (InputError, ValueError):  # damaged: opening the store for the batch deals with it
        return None
    if not isinstance(manifest, dict) or manifest.get("experiment_hash") == experiment.hash:
        return None
    before = stored_replicates(store.root)
    if before is None or before >= experiment.replicates:
        return None
    if dataclasses.replace(experiment, replicates=before).hash != manifest.get(
            "experiment_hash"):
        return None  # something besides the replicate count changed
    old_keys = set(pd.read_parquet(store.root / RUNS, columns=["run_key"])["run_key"])
    if not old_keys <= {spec.run_key for spec in experiment.runs}:  # pragma: no cover
        return None  # keys of the stored runs are not all kept: never mix designs
    store._lock()
    try:
        store._write_runs(experiment)  # the store's own writer of its run table
        atomic_write(store.root / "experiment.toml", experiment.text.encode())
        manifest.setdefault("grown", []).append({
            "at": now(), "replicates_before": before, "replicates_after": experiment.replicates,
            "hash_before": manifest.get("experiment_hash"), "hash_after": experiment.hash})
        manifest.update(experiment_hash=experiment.hash, experiment_text=experiment.text,
                        design=experiment.describe(), runs=len(experiment.runs))
        store.write_manifest(manifest)
    finally:
        store.close()
    log.warning("%s: design grown from %d to %d replicates; only the new runs will run",
                store.root, before, experiment.replicates)
    return before, experiment.replicates
