"""The results store of a batch: one folder, written run by run, read back as tidy tables.

Layout (details in ``docs/experiments.md``)::

    DIR/
      manifest.json          experiment file text and hash, scenarios, versions, sessions
      experiment.toml        copy of the experiment file as run
      runs.parquet           the run table (design columns), written before any run starts
      status/KEY.json        one per finished run: status, error, attempt, timings, worker
      monthly/KEY.parquet    one per done run: run_key, month and the monthly columns
      summary/KEY.parquet    one per done run: run_key and the summary fields (one row)
      summary.csv            runs joined to summaries, rewritten when a session completes

Every file is written to a temporary name in its own folder and moved into place with
``os.replace``, so a killed batch leaves whole files only. A run counts as finished when its
status file exists; its monthly and summary files are written before the status file.
Readers (:func:`load_results`) take only runs whose status is ``done``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import platform
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pyarrow
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import scipy

try:
    import fcntl  # POSIX only
except ImportError:  # pragma: no cover - Windows: batches run without a folder lock
    fcntl = None

from sanisim.errors import InputError
from sanisim.model import OUTPUT_COLUMNS
from sanisim.runs.posterior import POSTERIOR_DRAW, POSTERIOR_PREFIX
from sanisim.runs.results import PARAM_PREFIX, RUN_COLUMNS, Results
from sanisim.runs.run import git_commit, package_version

log = logging.getLogger(__name__)

STORE_FORMAT = 1
MANIFEST = "manifest.json"
RUNS = "runs.parquet"
STATUS, MONTHLY, SUMMARY = "status", "monthly", "summary"
DONE, FAILED, PENDING = "done", "failed", "pending"


def now() -> str:
    """UTC time stamp, ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary file + ``os.replace``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, default=str) + "\n").encode()


@dataclass
class RunOutcome:
    """What a worker hands back for one run: status, timings and the tables as Parquet bytes."""

    run_key: str
    status: str
    error: str | None = None
    traceback: str | None = None
    monthly: bytes | None = field(default=None, repr=False)
    summary: bytes | None = field(default=None, repr=False)
    started: str | None = None
    finished: str | None = None
    elapsed_seconds: float | None = None
    worker: str | None = None

    def status_record(self, attempt: int) -> dict[str, Any]:
        record = asdict(self)
        del record["monthly"], record["summary"]
        record["attempt"] = attempt
        return record


class Store:
    """A results folder. Open it for writing with :meth:`open_for_batch`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock_handle = None

    # ------------------------------------------------------------------ paths
    def path(self, kind: str, run_key: str) -> Path:
        suffix = ".json" if kind == STATUS else ".parquet"
        return self.root / kind / f"{run_key}{suffix}"

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise InputError(str(self.root), None, "not a sanisim results store "
                             "(no manifest.json)") from None
        except (OSError, ValueError) as err:
            raise InputError(str(self.manifest_path), None,
                             f"cannot read the store manifest ({err})") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write(self.manifest_path, _json_bytes(manifest))

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_for_batch(cls, root: str | Path, experiment, resume: bool) -> Store:
        """Create the store of ``experiment`` at ``root``, or reopen it to resume.

        Refuses (one-line :class:`InputError`) a folder holding another experiment's results,
        a non-empty folder that is not a store, results of this experiment without
        ``resume``, and a folder another batch is writing to.
        """
        store = cls(root)
        root = store.root
        if root.exists() and not root.is_dir():
            raise InputError(str(root), "--out", "is a file; give a folder for the results")
        fresh = not store.manifest_path.exists()
        if fresh and root.exists() and not _only_store_skeleton(root):
            raise InputError(str(root), "--out", "holds files but no manifest.json, so it is "
                             "not a sanisim results store; choose an empty or new folder")
        for sub in (STATUS, MONTHLY, SUMMARY):
            (root / sub).mkdir(parents=True, exist_ok=True)
        store._lock()
        if fresh:
            store._create(experiment)
            return store
        manifest = store.manifest()
        if manifest.get("experiment_hash") != experiment.hash:
            store.close()
            raise InputError(str(root), "--out", _mismatch(manifest, experiment))
        finished = store.statuses()
        if finished and not resume:
            store.close()
            raise InputError(str(root), "--out", f"already holds {len(finished)} of "
                             f"{len(experiment.runs)} runs of experiment {experiment.name!r}; "
                             "add --resume to finish it, or choose another folder")
        if not (root / RUNS).exists():
            store._write_runs(experiment)
        store._remove_temporaries()
        return store

    def _create(self, experiment) -> None:
        atomic_write(self.root / "experiment.toml", experiment.text.encode())
        self._write_runs(experiment)
        self.write_manifest({
            "store_format": STORE_FORMAT,
            "experiment": experiment.name,
            "experiment_hash": experiment.hash,
            "experiment_file": experiment.path,
            "experiment_text": experiment.text,
            "description": experiment.description,
            "design": experiment.describe(),
            "seed": experiment.seed,
            "runs": len(experiment.runs),
            "interval_holds": experiment.interval_holds,
            **({"posterior": {"file": experiment.posterior.path,
                              "file_sha256": experiment.posterior.digest,
                              "draws": experiment.posterior_count,
                              "draw_ids": [d for d, _ in experiment.draws]}}
               if getattr(experiment, "posterior", None) is not None else {}),
            "scenarios": [{"name": s.name, "path": s.path, "config_hash": s.config_hash}
                          for s in experiment.scenarios],
            "sanisim_version": package_version(),
            "git_commit": git_commit(),
            "created": now(),
            "host": socket.gethostname(),
            "python": platform.python_version(),
            "numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__,
            "scipy": scipy.__version__, "mesa": mesa.__version__,
            "sessions": [],
        })

    def _write_runs(self, experiment) -> None:
        buffer = io.BytesIO()
        experiment.run_frame().to_parquet(buffer, index=False)
        atomic_write(self.root / RUNS, buffer.getvalue())

    def _remove_temporaries(self) -> None:
        for folder in (self.root, *(self.root / sub for sub in (STATUS, MONTHLY, SUMMARY))):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def _lock(self) -> None:
        """Hold an exclusive lock on the folder while a batch writes to it (POSIX)."""
        if fcntl is None:  # pragma: no cover - Windows: no lock
            return
        handle = (self.root / ".lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise InputError(str(self.root), "--out", "another sanisim batch is writing to "
                             "this folder; wait for it or choose another folder") from None
        self._lock_handle = handle

    def close(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    # ------------------------------------------------------------------ runs
    def statuses(self) -> dict[str, dict[str, Any]]:
        """The status record of every finished run (done or failed), by run key."""
        records = {}
        for path in sorted((self.root / STATUS).glob("*.json")):
            try:
                records[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):  # pragma: no cover - atomic writes prevent this
                log.warning("unreadable status file %s; the run counts as pending", path)
        return records

    def record(self, outcome: RunOutcome, attempt: int = 1) -> None:
        """Land one finished run: its tables first, then its status file."""
        key = outcome.run_key
        if outcome.status == DONE:
            atomic_write(self.path(MONTHLY, key), outcome.monthly or b"")
            atomic_write(self.path(SUMMARY, key), outcome.summary or b"")
        else:
            for kind in (MONTHLY, SUMMARY):
                self.path(kind, key).unlink(missing_ok=True)
        atomic_write(self.path(STATUS, key), _json_bytes(outcome.status_record(attempt)))

    def add_session(self, session: dict[str, Any]) -> int:
        """Append a session record to the manifest; returns its index."""
        manifest = self.manifest()
        manifest.setdefault("sessions", []).append(session)
        self.write_manifest(manifest)
        return len(manifest["sessions"]) - 1

    def update_session(self, index: int, **fields: Any) -> None:
        manifest = self.manifest()
        manifest["sessions"][index].update(fields)
        self.write_manifest(manifest)


def _only_store_skeleton(root: Path) -> bool:
    """Whether ``root`` holds nothing but what a store creates before its manifest."""
    for entry in root.iterdir():
        if entry.name in (STATUS, MONTHLY, SUMMARY) and entry.is_dir():
            if any(entry.iterdir()):
                return False
        elif entry.name not in (".lock", "experiment.toml", RUNS):
            return False
    return True


def _mismatch(manifest: dict[str, Any], experiment) -> str:
    """Why a folder's results are not this experiment's, in one line."""
    name = manifest.get("experiment")
    if name != experiment.name:
        return (f"holds results of experiment {name!r} (hash {manifest.get('experiment_hash')}),"
                f" not of {experiment.name!r} (hash {experiment.hash}); choose another folder")
    changed = [s.name for s in experiment.scenarios
               if {"name": s.name, "config_hash": s.config_hash} not in [
                   {"name": m.get("name"), "config_hash": m.get("config_hash")}
                   for m in manifest.get("scenarios", [])]]
    why = (f"scenario {', '.join(map(repr, changed))} changed" if changed
           else "the experiment's design changed")
    return (f"holds results of an earlier version of experiment {name!r} (hash "
            f"{manifest.get('experiment_hash')}, now {experiment.hash}: {why}); results of two "
            "designs cannot be mixed; choose another folder")


# --------------------------------------------------------------------------- reading


def load_results(directory: str | Path, monthly: bool = True) -> Results:
    """Read a results store into the :class:`~sanisim.runs.results.Results` tables.

    ``runs`` holds every run of the run table with its status (``pending`` if it has not
    finished); ``monthly`` and ``summary`` hold the runs that are ``done``, in run-table order.
    ``monthly=False`` leaves the monthly table empty (quick look at runs and summaries).
    """
    read_monthly = monthly

    store = Store(directory)
    manifest = store.manifest()
    try:
        runs = pd.read_parquet(store.root / RUNS)
    except (OSError, ValueError) as err:
        raise InputError(str(store.root / RUNS), None, f"cannot read the run table ({err})"
                         ) from None
    statuses = store.statuses()
    runs["status"] = [statuses.get(k, {}).get("status", PENDING) for k in runs["run_key"]]
    runs["error"] = pd.Series([statuses.get(k, {}).get("error") for k in runs["run_key"]],
                              index=runs.index, dtype=object)
    params = [c for c in runs.columns if c.startswith(PARAM_PREFIX)]
    drawn = [c for c in runs.columns if c == POSTERIOR_DRAW or c.startswith(POSTERIOR_PREFIX)]
    runs = runs[[*RUN_COLUMNS, *drawn, *params]]
    done = [k for k, s in zip(runs["run_key"], runs["status"], strict=True) if s == DONE]
    monthly = _read_tables(store.path(MONTHLY, k) for k in done) if read_monthly else None
    summary = _read_tables(store.path(SUMMARY, k) for k in done)
    if monthly is None:
        monthly = pd.DataFrame(columns=["run_key", *OUTPUT_COLUMNS])
    if summary is None:
        summary = pd.DataFrame(columns=["run_key"])
    return Results(runs, monthly, summary, manifest)


def _read_tables(paths: Iterable[Path]):
    """Concatenate per-run Parquet files (columns unified, e.g. strategy-specific ones)."""
    tables = [pq.read_table(path) for path in paths]
    if not tables:
        return None
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.to_pandas().reset_index(drop=True)


def open_dataset(directory: str | Path, kind: str = MONTHLY):
    """The per-run files of ``kind`` ("monthly" or "summary") as one ``pyarrow`` dataset.

    For batches too large to load whole: filter and select columns before reading, e.g.
    ``open_dataset(d).to_table(columns=["run_key", "month", "basic"]).to_pandas()``. The
    schema is the union over all runs (columns some bundles lack are null in the others).
    """
    if kind not in (MONTHLY, SUMMARY):
        raise ValueError(f"kind must be {MONTHLY!r} or {SUMMARY!r}, not {kind!r}")
    done = [key for key, record in Store(directory).statuses().items()
            if record.get("status") == DONE]
    paths = [str(Store(directory).path(kind, key)) for key in done]
    if not paths:
        return ds.dataset([], schema=pa.schema([("run_key", pa.string())]))
    schema = pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")
    return ds.dataset(paths, schema=schema, format="parquet")


def run_log(directory: str | Path):
    """Per-run bookkeeping (attempt, timings, worker) as a DataFrame, for diagnostics."""
    records = Store(directory).statuses().values()
    return pd.DataFrame([{k: v for k, v in r.items() if k != "traceback"} for r in records])
