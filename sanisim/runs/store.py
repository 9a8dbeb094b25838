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

The store heals (``docs/experiments.md``, "When a store is damaged"): temporary files of a
killed writer are removed when the store is opened again, also in a folder whose creation was
killed before its manifest existed; ``--resume`` checks every finished run's files (a readable
Parquet footer and the expected number of rows) and runs a damaged run again; a missing or
damaged manifest is rebuilt from the experiment file once the run table
(``runs.parquet``, which carries the experiment hash) shows that the folder holds that
experiment's runs. Readers name a damaged run and the command that repairs it. A write that
fails (a full disk, a read-only folder) is one line naming the file; whatever landed before
it stays, and ``--resume`` continues once the cause is gone.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shlex
import socket
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
from sanisim.runs.run import git_commit, numpy_simd, package_version

log = logging.getLogger(__name__)

STORE_FORMAT = 1
MANIFEST = "manifest.json"
#: Where a damaged manifest is kept when it is rebuilt (nothing is thrown away).
DAMAGED_MANIFEST = "manifest.damaged.json"
RUNS = "runs.parquet"
STATUS, MONTHLY, SUMMARY = "status", "monthly", "summary"
DONE, FAILED, PENDING = "done", "failed", "pending"
#: Keys of ``runs.parquet``'s schema metadata naming the experiment the run table belongs to.
HASH_KEY, FILE_KEY = b"sanisim.experiment_hash", b"sanisim.experiment_file"
#: Fields a manifest must hold to be used; without them it is rebuilt.
MANIFEST_FIELDS = ("experiment", "experiment_hash")
#: The temporary name :func:`atomic_write` gives a file before moving it into place.
TEMPORARY = re.compile(r"^\..+\.\d+\.tmp$")


def now() -> str:
    """UTC time stamp, ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary file + ``os.replace``).

    A failed write (no space left, file too large, read-only folder, ...) removes its
    temporary file and is one line naming ``path`` (:class:`InputError`); files written
    before it are untouched.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as err:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - the folder itself is gone or unreadable
            pass
        raise write_error(path, err) from None


def write_error(path: Path, err: OSError) -> InputError:
    """The one line for a store file that cannot be written."""
    reason = err.strerror or type(err).__name__
    return InputError(str(path), None, f"cannot write ({reason}); the runs that finished "
                      "before stay in the store: free space or fix the folder, then continue "
                      "with --resume")


def repair_command(root: Path, experiment_file: str | None) -> str:
    """The command that repairs (and finishes) the store at ``root``."""
    experiment = shlex.quote(experiment_file) if experiment_file else "EXPERIMENT.toml"
    return f"sanisim batch {experiment} --out {shlex.quote(str(root))} --resume"


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, default=str) + "\n").encode()


@dataclass(frozen=True)
class Damage:
    """A finished run whose files are not whole: which run, which file, what is wrong."""

    run_key: str
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"run {self.run_key}: {self.path} {self.reason}"


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
        #: Damaged finished runs found when the store was opened to resume (run again).
        self.damaged: list[Damage] = []

    # ------------------------------------------------------------------ paths
    def path(self, kind: str, run_key: str) -> Path:
        suffix = ".json" if kind == STATUS else ".parquet"
        return self.root / kind / f"{run_key}{suffix}"

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def read_manifest(self) -> tuple[dict[str, Any] | None, str | None]:
        """The manifest, or ``None`` and what is wrong with it ("missing", "not JSON", ...)."""
        try:
            text = self.manifest_path.read_text()
        except FileNotFoundError:
            return None, "missing"
        except (OSError, UnicodeDecodeError) as err:
            return None, f"unreadable ({getattr(err, 'strerror', None) or err})"
        try:
            manifest = json.loads(text)
        except ValueError as err:
            return None, f"damaged (not JSON: {err})"
        if not isinstance(manifest, dict):
            return None, f"damaged (a JSON {type(manifest).__name__}, not an object)"
        lacking = [key for key in MANIFEST_FIELDS if not isinstance(manifest.get(key), str)]
        if lacking:
            return None, f"damaged (no {', '.join(lacking)})"
        return manifest, None

    def manifest(self) -> dict[str, Any]:
        """The manifest; a folder without one, or with a damaged one, is a one-line
        :class:`InputError` (naming the command that rebuilds it when the folder is a store)."""
        manifest, problem = self.read_manifest()
        if manifest is not None:
            return manifest
        if problem == "missing" and not self.looks_like_store():
            raise InputError(str(self.root), None, "not a sanisim results store "
                             "(no manifest.json)")
        raise InputError(str(self.manifest_path), None, (
            f"{problem}; rebuild it from the run table with: "
            f"{repair_command(self.root, self.runs_identity()[1])}"))

    def looks_like_store(self) -> bool:
        """Whether the folder holds a run table or finished runs (a store, whatever its
        manifest)."""
        return (self.root / RUNS).is_file() or any((self.root / STATUS).glob("*.json"))

    def runs_identity(self) -> tuple[str | None, str | None]:
        """The experiment hash and file recorded in the run table (``None`` if unreadable)."""
        try:
            metadata = pq.read_schema(self.root / RUNS).metadata or {}
        except (OSError, pa.ArrowException):
            return None, None
        hash_, file_ = metadata.get(HASH_KEY), metadata.get(FILE_KEY)
        return (hash_.decode() if hash_ else None, file_.decode() if file_ else None)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write(self.manifest_path, _json_bytes(manifest))

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_for_batch(cls, root: str | Path, experiment, resume: bool) -> Store:
        """Create the store of ``experiment`` at ``root``, or reopen it to resume.

        Refuses (one-line :class:`InputError`) a folder holding another experiment's results,
        a non-empty folder that is not a store, results of this experiment without
        ``resume``, and a folder another batch is writing to. Heals what a killed or failed
        writer left: temporary files, a folder whose creation stopped before its manifest, a
        missing or damaged manifest (rebuilt when the run table shows the folder holds this
        experiment's runs), a missing or unreadable run table or experiment copy. With
        ``resume``, the finished runs' files are checked (:meth:`verify`); the damaged runs
        found are in :attr:`damaged` and count as pending.
        """
        store = cls(root)
        root = store.root
        if root.exists() and not root.is_dir():
            raise InputError(str(root), "--out", "is a file; give a folder for the results")
        manifest, problem = store.read_manifest()
        fresh = manifest is None and (not root.exists() or _only_store_skeleton(root))
        if manifest is None and not fresh and not store.looks_like_store():
            raise InputError(str(root), "--out", "holds files but no manifest.json, so it is "
                             "not a sanisim results store; choose an empty or new folder")
        try:
            for sub in (STATUS, MONTHLY, SUMMARY):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(str(err.filename or root), "--out", "cannot create the results "
                             f"folder ({err.strerror or err}); choose another --out") from None
        store._lock()
        try:
            store._remove_temporaries()
            if fresh:
                store._create(experiment)
                return store
            if manifest is None:
                manifest = store._rebuild_manifest(experiment, problem or "damaged")
            if manifest.get("experiment_hash") != experiment.hash:
                raise InputError(str(root), "--out", mismatch(manifest, experiment))
            finished = store.statuses()
            if finished and not resume:
                raise InputError(str(root), "--out", f"already holds {len(finished)} of "
                                 f"{len(experiment.runs)} runs of experiment "
                                 f"{experiment.name!r}; add --resume to finish it, or choose "
                                 "another folder")
            if store.runs_identity()[0] != experiment.hash:  # missing, unreadable or older
                store._write_runs(experiment)
            if not _readable_text(root / "experiment.toml"):
                atomic_write(root / "experiment.toml", experiment.text.encode())
            store.damaged = store.verify(experiment)
        except BaseException:
            store.close()
            raise
        return store

    def _manifest_of(self, experiment) -> dict[str, Any]:
        """The manifest of a new store of ``experiment``."""
        return {
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
            "numpy": np.__version__, "numpy_simd": numpy_simd(), "pandas": pd.__version__,
            "pyarrow": pyarrow.__version__,
            "scipy": scipy.__version__, "mesa": mesa.__version__,
            "sessions": [],
        }

    def _create(self, experiment) -> None:
        atomic_write(self.root / "experiment.toml", experiment.text.encode())
        self._write_runs(experiment)
        self.write_manifest(self._manifest_of(experiment))

    def _rebuild_manifest(self, experiment, problem: str) -> dict[str, Any]:
        """A new manifest for a store whose manifest is missing or damaged, when its run table
        shows it holds ``experiment``'s runs; else a one-line refusal.

        The run table carries the experiment hash it was written for; a run table written
        without it is accepted when its run keys and the stored copy of the experiment file
        are ``experiment``'s. The damaged manifest is kept as ``manifest.damaged.json``; the
        sessions it recorded are lost, and the new manifest says when and why it was rebuilt.
        """
        where = f"{self.manifest_path} is {problem}"
        stored_hash, stored_file = self.runs_identity()
        if stored_hash is None:
            try:
                keys = pq.read_table(self.root / RUNS, columns=["run_key"]).column(0)
                same = keys.to_pylist() == [spec.run_key for spec in experiment.runs]
            except (OSError, pa.ArrowException, KeyError):
                raise InputError(str(self.root), "--out", f"{where} and its run table "
                                 f"{RUNS} is missing or unreadable, so nothing shows which "
                                 "experiment these runs belong to; choose another folder"
                                 ) from None
            copy = self.root / "experiment.toml"
            same = same and _readable_text(copy) and copy.read_text() == experiment.text
        else:
            same = stored_hash == experiment.hash
        if not same:
            made_by = f" (made by {stored_file})" if stored_file else ""
            raise InputError(str(self.root), "--out", (
                f"{where}, and its runs{made_by} are not those of experiment "
                f"{experiment.name!r} (hash {experiment.hash}); give the experiment file that "
                "made them, or choose another folder"))
        if self.manifest_path.exists():
            try:
                os.replace(self.manifest_path, self.root / DAMAGED_MANIFEST)
            except OSError as err:
                raise write_error(self.root / DAMAGED_MANIFEST, err) from None
        manifest = self._manifest_of(experiment)
        manifest.update(created=None, rebuilt={"at": now(), "because": f"manifest {problem}",
                                                "sessions_lost": True})
        self.write_manifest(manifest)
        log.info("%s: manifest %s; rebuilt from %s and the run table", self.root, problem,
                 experiment.path)
        return manifest

    def _write_runs(self, experiment) -> None:
        """``runs.parquet``: the run table, with the experiment's hash and file in its schema
        metadata (what identifies the runs if the manifest is lost)."""
        table = pa.Table.from_pandas(experiment.run_frame(), preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               HASH_KEY: experiment.hash.encode(),
                                               FILE_KEY: str(experiment.path).encode()})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        atomic_write(self.root / RUNS, sink.getvalue().to_pybytes())

    def _remove_temporaries(self) -> None:
        """Remove what killed writers left: files named like :func:`atomic_write`'s
        temporaries (only while this store's lock is held, so never another writer's)."""
        for folder in (self.root, *(self.root / sub for sub in (STATUS, MONTHLY, SUMMARY))):
            for tmp in folder.glob(".*.tmp"):
                if TEMPORARY.match(tmp.name):
                    tmp.unlink(missing_ok=True)

    def _lock(self) -> None:
        """Hold an exclusive lock on the folder while a batch writes to it (POSIX)."""
        if fcntl is None:  # pragma: no cover - Windows: no lock
            return
        try:
            handle = (self.root / ".lock").open("a+")
        except OSError as err:
            raise InputError(str(self.root / ".lock"), "--out", "cannot open the folder's lock "
                             f"file ({err.strerror or err}); choose another --out") from None
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
        """The status record of every finished run (done or failed), by run key.

        A status file that is not a readable JSON object with a ``status`` is left out (the
        run counts as pending; :meth:`verify` reports it)."""
        return self._scan_statuses()[0]

    def _scan_statuses(self) -> tuple[dict[str, dict[str, Any]], list[Damage]]:
        records, damaged = {}, []
        for path in sorted((self.root / STATUS).glob("*.json")):
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                damaged.append(Damage(path.stem, path, f"is unreadable ({_reason(err)})"))
                continue
            if not isinstance(record, dict) or record.get("status") not in (DONE, FAILED):
                damaged.append(Damage(path.stem, path, "is not a status record"))
                continue
            records[path.stem] = record
        return records, damaged

    def verify(self, experiment) -> list[Damage]:
        """Check every finished run of ``experiment``: its status record readable and, for a
        done run, its monthly and summary files whole (a readable Parquet footer, one row a
        month plus month 0, one summary row). A damaged run's files are removed, its status
        file first, so that it counts as pending and the batch runs it again."""
        expected = {spec.run_key: spec.months + 1 for spec in experiment.runs}
        records, damaged = self._scan_statuses()
        damaged = [damage for damage in damaged if damage.run_key in expected]
        for key, record in records.items():
            if record["status"] == DONE and key in expected:
                problem = self.check_run(key, expected[key])
                if problem is not None:
                    damaged.append(problem)
        for damage in damaged:
            for kind in (STATUS, MONTHLY, SUMMARY):
                self.path(kind, damage.run_key).unlink(missing_ok=True)
            log.info("%s; running it again", damage)
        return damaged

    def check_run(self, run_key: str, monthly_rows: int | None) -> Damage | None:
        """What is wrong with a done run's files, or ``None``: each must have a readable
        Parquet footer and its number of rows (``monthly_rows`` for the monthly table when
        given, 1 for the summary)."""
        for kind, rows in ((MONTHLY, monthly_rows), (SUMMARY, 1)):
            path = self.path(kind, run_key)
            problem = parquet_problem(path, rows)
            if problem is not None:
                return Damage(run_key, path, problem)
        return None

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


def parquet_problem(path: Path, rows: int | None) -> str | None:
    """What is wrong with a run's Parquet file (missing, no readable footer, a wrong number of
    rows), or ``None``. Reads the footer only."""
    try:
        found = pq.read_metadata(path).num_rows
    except FileNotFoundError:
        return "is missing"
    except (OSError, pa.ArrowException) as err:
        return f"is not a whole Parquet file ({_reason(err)})"
    if rows is not None and found != rows:
        return f"has {found} rows, not {rows}"
    return None


def _reason(err: BaseException) -> str:
    text = (getattr(err, "strerror", None) or str(err) or type(err).__name__).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _readable_text(path: Path) -> bool:
    try:
        path.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    return True


def _only_store_skeleton(root: Path) -> bool:
    """Whether ``root`` holds nothing but what a store creates before its manifest (a
    creation that was killed or failed, with its temporary files)."""
    for entry in root.iterdir():
        if entry.name in (STATUS, MONTHLY, SUMMARY) and entry.is_dir():
            if any(not TEMPORARY.match(inner.name) for inner in entry.iterdir()):
                return False
        elif entry.name not in (".lock", "experiment.toml", RUNS) and not (
                TEMPORARY.match(entry.name) and entry.is_file()):
            return False
    return True


def mismatch(manifest: dict[str, Any], experiment, detail: str = "") -> str:
    """Why a folder's results are not this experiment's, in one line (``detail``: why, when
    the caller knows better than a comparison of the scenarios)."""
    name = manifest.get("experiment")
    if name != experiment.name:
        return (f"holds results of experiment {name!r} (hash {manifest.get('experiment_hash')}),"
                f" not of {experiment.name!r} (hash {experiment.hash}); choose another folder")
    changed = [s.name for s in experiment.scenarios
               if {"name": s.name, "config_hash": s.config_hash} not in [
                   {"name": m.get("name"), "config_hash": m.get("config_hash")}
                   for m in manifest.get("scenarios", [])]]
    why = detail or (f"scenario {', '.join(map(repr, changed))} changed" if changed
                     else "the experiment's design changed")
    return (f"holds results of an earlier version of experiment {name!r} (hash "
            f"{manifest.get('experiment_hash')}, now {experiment.hash}: {why}); results of two "
            "designs cannot be mixed (with --resume, a design that only adds replicates, grid "
            "values, bundles, scenarios or posterior draws grows the store); choose another "
            "folder")


# --------------------------------------------------------------------------- reading


def load_results(directory: str | Path, monthly: bool = True) -> Results:
    """Read a results store into the :class:`~sanisim.runs.results.Results` tables.

    ``runs`` holds every run of the run table with its status (``pending`` if it has not
    finished); ``monthly`` and ``summary`` hold the runs that are ``done``, in run-table order.
    ``monthly=False`` leaves the monthly table empty (quick look at runs and summaries).

    A damaged store (a manifest, run table, status or run file that is missing or not whole)
    is a one-line :class:`InputError` naming the file, the run and the command that repairs it.
    """
    read_monthly = monthly

    store = Store(directory)
    manifest = store.manifest()
    repair = repair_command(store.root, manifest.get("experiment_file"))
    try:
        runs = pd.read_parquet(store.root / RUNS)
        if not set(RUN_COLUMNS[:-2]) <= set(runs.columns):
            raise ValueError("it lacks the design columns")
    except (OSError, ValueError, pa.ArrowException) as err:
        raise InputError(str(store.root / RUNS), None, f"cannot read the run table "
                         f"({_reason(err)}); rebuild it with: {repair}") from None
    statuses, damaged = store._scan_statuses()
    known = set(runs["run_key"])
    damaged = [d for d in damaged if d.run_key in known]
    if damaged:
        raise _damage_error(damaged[0], repair)
    runs["status"] = [statuses.get(k, {}).get("status", PENDING) for k in runs["run_key"]]
    runs["error"] = pd.Series([statuses.get(k, {}).get("error") for k in runs["run_key"]],
                              index=runs.index, dtype=object)
    params = [c for c in runs.columns if c.startswith(PARAM_PREFIX)]
    drawn = [c for c in runs.columns if c == POSTERIOR_DRAW or c.startswith(POSTERIOR_PREFIX)]
    runs = runs[[*RUN_COLUMNS, *drawn, *params]]
    done = {k: int(m) + 1 for k, s, m in zip(runs["run_key"], runs["status"], runs["months"],
                                             strict=True) if s == DONE}
    monthly = _read_tables(store, MONTHLY, done, repair) if read_monthly else None
    summary = _read_tables(store, SUMMARY, dict.fromkeys(done, 1), repair)
    if monthly is None:
        monthly = pd.DataFrame(columns=["run_key", *OUTPUT_COLUMNS])
    if summary is None:
        summary = pd.DataFrame(columns=["run_key"])
    return Results(runs, monthly, summary, manifest)


def _damage_error(damage: Damage, repair: str) -> InputError:
    return InputError(str(damage.path), None, f"run {damage.run_key} is damaged (this file "
                      f"{damage.reason}); run it again with: {repair}")


def _read_tables(store: Store, kind: str, rows: dict[str, int], repair: str):
    """Concatenate per-run Parquet files (columns unified, e.g. strategy-specific ones);
    ``rows``: the number of rows each run's file must have."""
    tables = []
    for key, expected in rows.items():
        path = store.path(kind, key)
        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise _damage_error(Damage(key, path, "is missing"), repair) from None
        except (OSError, pa.ArrowException) as err:
            raise _damage_error(Damage(key, path, "is not a whole Parquet file "
                                       f"({_reason(err)})"), repair) from None
        if table.num_rows != expected:
            raise _damage_error(Damage(key, path, f"has {table.num_rows} rows, not "
                                       f"{expected}"), repair)
        tables.append(table)
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
    store = Store(directory)
    done = [key for key, record in store.statuses().items() if record.get("status") == DONE]
    if not done:
        return ds.dataset([], schema=pa.schema([("run_key", pa.string())]))
    schemas = []
    for key in done:
        problem = parquet_problem(store.path(kind, key), None)
        if problem is not None:
            manifest, _ = store.read_manifest()
            file_ = (manifest or {}).get("experiment_file") or store.runs_identity()[1]
            raise _damage_error(Damage(key, store.path(kind, key), problem),
                                repair_command(store.root, file_))
        schemas.append(pq.read_schema(store.path(kind, key)))
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    return ds.dataset([str(store.path(kind, key)) for key in done], schema=schema,
                      format="parquet")


def run_log(directory: str | Path):
    """Per-run bookkeeping (attempt, timings, worker) as a DataFrame, for diagnostics."""
    records = Store(directory).statuses().values()
    return pd.DataFrame([{k: v for k, v in r.items() if k != "traceback"} for r in records])
