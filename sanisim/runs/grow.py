"""Growing a finished batch: more replicates or more design points, without re-running a run.

A run's key is a hash of its own row (scenario, bundle, parameter point, replicate, seed,
months, households, posterior draw; :func:`sanisim.runs.experiment.run_key`), and its seed
depends on its replicate only (:func:`sanisim.streams.replicate_seed`): neither depends on how
many replicates, points, bundles or draws the batch has. So an experiment file that *adds* to
a design -- more replicates, another value of a ``[grid]`` parameter, another bundle, another
scenario, more posterior draws (the first N draws of a posterior are the same for any larger
N) -- has a run table holding every stored run with the same key and seed, and the stored
runs are exactly the runs the larger design would make.

``sanisim batch EXPERIMENT --resume`` therefore extends the store (:func:`grow`) when

- the experiment keeps its name;
- every run of the stored run table is in the new run table (same key: nothing removed, and
  no seed, months, households or value of a stored point changed);
- every stored scenario is in the new design with the same configuration hash (a key names
  the scenario, not its contents).

It then rewrites the store's design (run table, experiment file, the manifest's design
fields and hash) and records the change in the manifest's ``grown`` list; the batch runs only
the new runs. Anything else (a changed scenario, seed, value or horizon, fewer replicates, a
new Latin-hypercube sample size, which redraws every point) is refused with one line, as
before.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from sanisim.errors import InputError
from sanisim.runs.experiment import Experiment
from sanisim.runs.store import RUNS, Store, atomic_write, mismatch, now

log = logging.getLogger(__name__)

#: The manifest fields that describe the design (rewritten when a store grows).
DESIGN_FIELDS = ("experiment_hash", "experiment_file", "experiment_text", "description",
                 "design", "runs", "interval_holds", "posterior", "scenarios")


def stored_replicates(root: Path) -> int | None:
    """How many replicates the run table of the store at ``root`` has (None: no table)."""
    path = root / RUNS
    if not path.exists():
        return None
    replicates = pd.read_parquet(path, columns=["replicate"])["replicate"]
    return int(replicates.max()) + 1 if len(replicates) else 0


def _stored_keys(root: Path) -> list[str] | None:
    try:
        return list(pd.read_parquet(root / RUNS, columns=["run_key"])["run_key"])
    except (OSError, ValueError, KeyError):  # absent or damaged: opening the store deals with it
        return None


def _changed_scenarios(manifest: dict[str, Any], experiment: Experiment) -> list[str]:
    """Stored scenarios that are missing from ``experiment`` or whose contents changed."""
    now_hashes = {s.name: s.config_hash for s in experiment.scenarios}
    return [str(s.get("name")) for s in manifest.get("scenarios", [])
            if now_hashes.get(s.get("name")) != s.get("config_hash")]


def grow(root: str | Path, experiment: Experiment) -> dict[str, Any] | None:
    """Extend the store at ``root`` to ``experiment`` when its design holds every stored run
    unchanged (module docs); returns the record appended to the manifest's ``grown`` list.

    None when there is nothing to grow: no store (or a damaged one: opening it for the batch
    heals or refuses it), a store of this very design, or of another experiment (a name of
    its own). A design that changes or drops stored runs is a one-line :class:`InputError`.
    """
    store = Store(root)
    if not store.manifest_path.exists():
        return None
    manifest, _ = store.read_manifest()
    if manifest is None or manifest.get("experiment_hash") == experiment.hash:
        return None
    if manifest.get("experiment") != experiment.name:
        return None  # another experiment's store: refused when the store is opened
    stored = _stored_keys(store.root)
    if stored is None:
        return None
    changed = _changed_scenarios(manifest, experiment)
    new_keys = {spec.run_key for spec in experiment.runs}
    dropped = sum(key not in new_keys for key in stored)
    if changed or dropped:
        detail = (f"scenario {', '.join(map(repr, changed))} changed or removed" if changed
                  else f"the experiment's design changed: {dropped:,} of its {len(stored):,} "
                  "runs are not in the new design (a seed, horizon, size or value changed, "
                  "or something was removed)")
        raise InputError(str(store.root), "--out", mismatch(manifest, experiment, detail))
    before = stored_replicates(store.root)
    record = {"at": now(), "runs_before": len(stored), "runs_after": len(experiment.runs),
              "replicates_before": before, "replicates_after": experiment.replicates,
              "design_before": manifest.get("design"), "design_after": experiment.describe(),
              "hash_before": manifest.get("experiment_hash"), "hash_after": experiment.hash}
    store._lock()
    try:
        store._write_runs(experiment)  # the store's own writer of its run table
        atomic_write(store.root / "experiment.toml", experiment.text.encode())
        fresh = store._manifest_of(experiment)
        for key in DESIGN_FIELDS:
            if key in fresh:
                manifest[key] = fresh[key]
        manifest.setdefault("grown", []).append(record)
        store.write_manifest(manifest)
    finally:
        store.close()
    log.warning("%s: design grown from %s to %s; only the %d new runs will run", store.root,
                record["design_before"], record["design_after"],
                len(experiment.runs) - len(stored))
    return record
