"""Stores that heal: damaged run files found and run again, a killed creation continued, a
lost or damaged manifest rebuilt (or refused with one line), readers naming a damaged run and
its repair, and a full disk ending in one line and resuming to the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.runs import experiment as exp
from sanisim.runs.batch import run_batch
from sanisim.runs.executors import SerialExecutor
from sanisim.runs.store import DAMAGED_MANIFEST, Store, load_results, open_dataset

TINY = """
[experiment]
name = "heal"
seed = 5
replicates = 2
months = 6
households = 200
scenarios = ["default"]
bundles = ["baseline"]

[grid]
"sanitarians.count" = [0, 3]
"""


@pytest.fixture(scope="module")
def straight(tmp_path_factory) -> tuple[Path, Path]:
    """The experiment file and its store, run without any interruption or damage."""
    folder = tmp_path_factory.mktemp("heal")
    path = folder / "heal.toml"
    path.write_text(textwrap.dedent(TINY))
    out = folder / "straight"
    report = run_batch(path, out, executor=SerialExecutor(), progress="none")
    assert report.ok and report.done == 4
    return path, out


@pytest.fixture
def copy(tmp_path, straight) -> Path:
    """A fresh copy of the finished store, to damage."""
    out = tmp_path / "store"
    shutil.copytree(straight[1], out)
    return out


def run_files(out: Path) -> dict[str, bytes]:
    return {f"{kind}/{p.name}": p.read_bytes() for kind in ("monthly", "summary")
            for p in sorted((out / kind).iterdir())}


def statuses(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (out / "status").glob("*.json")}


def resume(path: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["batch", str(path), "--out", str(out), "--resume", "--backend", "serial",
                 "--quiet"])
    return code, capsys.readouterr().err


def first_key(out: Path) -> str:
    return sorted(p.stem for p in (out / "monthly").iterdir())[0]


# --------------------------------------------------------------------------- run files


@pytest.mark.parametrize("damage", ["truncated", "empty", "missing", "extra rows",
                                    "status not an object"])
def test_a_damaged_run_is_found_and_run_again_to_the_same_bytes(straight, copy, capsys,
                                                                 damage):
    path, reference = straight
    key = first_key(copy)
    monthly = copy / "monthly" / f"{key}.parquet"
    if damage == "truncated":
        monthly.write_bytes(monthly.read_bytes()[: monthly.stat().st_size // 2])
    elif damage == "empty":
        monthly.write_bytes(b"")
    elif damage == "missing":
        monthly.unlink()
    elif damage == "extra rows":  # a whole Parquet file of the wrong run length
        table = pq.read_table(monthly)
        pq.write_table(table.slice(0, 3), monthly)
    else:
        (copy / "status" / f"{key}.json").write_text("[1, 2]\n")
    untouched = {k: v for k, v in statuses(reference).items() if k != key}

    code, err = resume(path, copy, capsys)
    assert code == 0, err
    assert key in err and "running it again" in err and "Traceback" not in err
    assert run_files(copy) == run_files(reference)
    after = statuses(copy)
    assert {k: after[k] for k in untouched} == untouched  # nothing else was run again
    assert after[key]["status"] == "done"
    sessions = json.loads((copy / "manifest.json").read_text())["sessions"]
    assert sessions[-1]["damaged_runs"] == [key] and sessions[-1]["done"] == 1


def test_readers_name_the_damaged_run_and_its_repair(straight, copy, capsys):
    path, _ = straight
    key = first_key(copy)
    summary = copy / "summary" / f"{key}.parquet"
    summary.write_bytes(summary.read_bytes()[:40])
    with pytest.raises(InputError) as caught:
        load_results(copy)
    assert_one_line(str(caught.value), str(summary), key, "sanisim batch", str(path),
                    "--resume")
    with pytest.raises(InputError, match=key):
        open_dataset(copy, "summary")
    assert main(["report", str(copy), "--out", str(copy / "report"), "--no-network"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert_one_line(err, key, "--resume")

    code, _ = resume(path, copy, capsys)  # the command named repairs it
    assert code == 0
    assert len(load_results(copy).summary) == 4


# --------------------------------------------------------------------------- creation


def test_a_killed_creation_is_continued_and_its_temporaries_removed(straight, tmp_path,
                                                                    capsys):
    """A kill (or a full disk) between the first file and the manifest leaves a folder with
    temporaries and no manifest: it is a store being created, not someone's folder."""
    path, reference = straight
    out = tmp_path / "store"
    for sub in ("status", "monthly", "summary"):
        (out / sub).mkdir(parents=True)
    (out / ".lock").touch()
    (out / "experiment.toml").write_text(path.read_text())
    (out / ".runs.parquet.4242.tmp").write_bytes(b"PAR1 half")
    (out / ".manifest.json.4242.tmp").write_bytes(b'{"store_fo')
    (out / "monthly" / ".abc.parquet.4242.tmp").write_bytes(b"")
    assert main(["batch", str(path), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    assert not list(out.rglob("*.tmp"))
    assert run_files(out) == run_files(reference)


def test_a_folder_of_other_files_is_still_refused(straight, tmp_path):
    path, _ = straight
    out = tmp_path / "notes"
    out.mkdir()
    (out / ".thesis.docx.1.tmp").write_text("autosave")  # a temporary name, but in a folder
    (out / "thesis.docx").write_text("precious")         # that is not a store
    with pytest.raises(InputError, match="not a sanisim results store"):
        run_batch(path, out, executor=SerialExecutor(), progress="none")
    assert sorted(p.name for p in out.iterdir()) == [".thesis.docx.1.tmp", "thesis.docx"]


# --------------------------------------------------------------------------- manifest


@pytest.mark.parametrize("damage", ["missing", "a list", "not JSON", "no hash"])
def test_a_lost_or_damaged_manifest_is_rebuilt(straight, copy, capsys, damage):
    path, reference = straight
    manifest = copy / "manifest.json"
    original = json.loads(manifest.read_text())
    if damage == "missing":
        manifest.unlink()
    elif damage == "a list":  # valid JSON, not an object
        manifest.write_text("[1, 2, 3]\n")
    elif damage == "not JSON":
        manifest.write_bytes(manifest.read_bytes()[:100])
    else:
        manifest.write_text(json.dumps({"experiment": "heal"}))
    with pytest.raises(InputError) as caught:  # readers name the repair
        load_results(copy)
    assert_one_line(str(caught.value), str(manifest), "sanisim batch", str(path), "--resume")

    code, err = resume(path, copy, capsys)
    assert code == 0, err
    rebuilt = json.loads(manifest.read_text())
    for field in ("experiment", "experiment_hash", "experiment_text", "scenarios", "runs"):
        assert rebuilt[field] == original[field], field
    assert rebuilt["rebuilt"]["because"].startswith("manifest ")
    assert (copy / DAMAGED_MANIFEST).exists() == (damage != "missing")
    assert run_files(copy) == run_files(reference)
    assert load_results(copy).manifest["experiment_hash"] == original["experiment_hash"]


def test_a_store_written_before_the_run_table_named_its_experiment(straight, copy, capsys):
    """A run table without the experiment hash (older stores): the manifest is rebuilt when
    the run keys and the stored experiment file are the experiment's, and the run table is
    rewritten with the hash."""
    path, reference = straight
    exp.load(path).run_frame().to_parquet(copy / "runs.parquet", index=False)
    assert Store(copy).runs_identity() == (None, None)
    (copy / "manifest.json").unlink()
    code, err = resume(path, copy, capsys)
    assert code == 0, err
    assert json.loads((copy / "manifest.json").read_text())["rebuilt"]
    assert Store(copy).runs_identity()[0] == exp.load(path).hash

    (copy / "manifest.json").unlink()  # the same run keys, another experiment text: refused
    exp.load(path).run_frame().to_parquet(copy / "runs.parquet", index=False)
    (copy / "experiment.toml").write_text("# edited\n" + path.read_text())
    with pytest.raises(InputError, match="not those of experiment 'heal'"):
        run_batch(path, copy, executor=SerialExecutor(), progress="none", resume=True)


def test_a_manifest_is_not_rebuilt_for_another_experiment(straight, copy, tmp_path):
    path, _ = straight
    (copy / "manifest.json").unlink()
    other = tmp_path / "other.toml"
    other.write_text(path.read_text().replace("seed = 5", "seed = 6"))
    with pytest.raises(InputError) as caught:
        run_batch(other, copy, executor=SerialExecutor(), progress="none", resume=True)
    assert_one_line(str(caught.value), str(copy), "manifest.json is missing", "'heal'",
                    "another folder")
    assert not (copy / "manifest.json").exists()


def test_a_manifest_is_not_rebuilt_without_a_run_table(straight, copy):
    path, _ = straight
    (copy / "manifest.json").write_text("null")
    (copy / "runs.parquet").unlink()
    with pytest.raises(InputError) as caught:
        run_batch(path, copy, executor=SerialExecutor(), progress="none", resume=True)
    assert_one_line(str(caught.value), "runs.parquet", "missing or unreadable")


def test_a_damaged_run_table_is_rewritten(straight, copy, capsys):
    path, reference = straight
    (copy / "runs.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="cannot read the run table"):
        load_results(copy)
    code, _ = resume(path, copy, capsys)
    assert code == 0
    assert (copy / "runs.parquet").read_bytes() == (reference / "runs.parquet").read_bytes()


def test_the_run_table_names_its_experiment(straight):
    path, reference = straight
    metadata = pq.read_schema(reference / "runs.parquet").metadata
    assert metadata[b"sanisim.experiment_hash"].decode() == exp.load(path).hash
    assert Store(reference).runs_identity() == (exp.load(path).hash, str(path))


# --------------------------------------------------------------------------- a full disk


def _can_mount_tmpfs(where: Path) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_disk_is_one_line_and_the_batch_resumes_identically(straight, tmp_path,
                                                                    capsys):
    """A small tmpfs that fills part-way (as root); otherwise a file-size limit
    (RLIMIT_FSIZE) in a child process that no store file can stay under."""
    path, reference = straight
    disk = tmp_path / "disk"
    if _can_mount_tmpfs(disk):
        try:
            out = disk / "store"
            code = main(["batch", str(path), "--out", str(out), "--backend", "serial",
                         "--quiet"])
            err = capsys.readouterr().err
            assert code == 2
            assert "Traceback" not in err
            assert_one_line(err, str(out), "No space left on device", "--resume")
            landed = len(list((out / "status").glob("*.json")))
            assert 1 <= landed < 4  # the disk filled part-way
            subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
            code, err = resume(path, out, capsys)
            assert code == 0, err
            assert run_files(out) == run_files(reference)
            assert not list(out.rglob("*.tmp"))
        finally:
            subprocess.run(["umount", str(disk)], check=False)
        return
    _full_disk_by_file_size_limit(path, reference, tmp_path, capsys)


def _full_disk_by_file_size_limit(path: Path, reference: Path, tmp_path: Path, capsys):
    """A file-size limit (soft ``RLIMIT_FSIZE``) below the size of the store's files, set in
    this process for the batch and lifted afterwards (Python ignores SIGXFSZ, so a write
    past the limit is an ``OSError``, as on a full disk)."""
    import resource

    out = tmp_path / "store"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, hard))
    try:
        code = main(["batch", str(path), "--out", str(out), "--backend", "serial", "--quiet"])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert_one_line(err, str(out), "too large", "--resume")
    code, err = resume(path, out, capsys)
    assert code == 0, err
    assert run_files(out) == run_files(reference)
    assert not list(out.rglob("*.tmp"))


def test_a_full_disk_by_file_size_limit(straight, tmp_path, capsys):
    """The fallback of the test above, run always (it needs no privileges)."""
    path, reference = straight
    _full_disk_by_file_size_limit(path, reference, tmp_path, capsys)
