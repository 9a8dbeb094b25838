"""The package as a user installs it: a wheel in a new venv, run from a folder outside the repo.

What this proves: the wheel built from the project's files (those git tracks, copied to a
temporary folder as in a fresh clone) holds everything `sanisim scenarios` (and `--where`),
`sanisim strategies`, `sanisim validate` of a shipped experiment, `sanisim run default` and
`make run`'s job by name (`sanisim batch compare_strategies`, smaller from the command line,
then `sanisim report` in English and Indonesian) need, that `sanisim --help` answers at once
there, and its declared dependencies are enough: it is installed with
``pip install --no-index`` into an empty venv (``python -m venv --without-pip`` from the base
interpreter, no system site-packages; the project venv's pip installs into it with
``--python``), from a wheelhouse that ``pip download`` fills with the wheel's own dependencies,
pinned to the versions of the project's venv (``pip freeze``), so nothing of the repository or
of the development venv can be imported. What it does not prove: newer dependency releases,
other platforms, the extras.

The wheelhouse is kept between runs (``$SANISIM_WHEELHOUSE``, default
``~/.cache/sanisim/wheelhouse``); the first run downloads about 140 MB from the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(os.environ.get("SANISIM_WHEELHOUSE",
                                 Path.home() / ".cache" / "sanisim" / "wheelhouse"))

pytestmark = [pytest.mark.slow(seconds=150),
              pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                 reason="copies the files git tracks (needs a git checkout)")]


def _run(command: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    # a user's shell: no PYTHONPATH, no active venv, and bytecode cached after the first import
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def _clean_copy(target: Path) -> Path:
    """The files git tracks (and new files it does not ignore), as a fresh clone has them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_scenarios_where_names_the_repository_folders_in_a_clone(capsys):
    from sanisim.cli import main

    assert main(["scenarios", "--where"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"scenarios: {ROOT / 'scenarios'}", f"experiments: {ROOT / 'experiments'}"]


def test_wheel_installed_in_an_empty_venv_runs_the_shipped_scenarios(tmp_path):
    source = _clean_copy(tmp_path / "clone")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", tmp_path / "dist", source],
         cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("sanisim-*.whl")

    frozen = _run([*pip, "freeze", "--exclude-editable"], cwd=tmp_path).stdout
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(line for line in frozen.splitlines()
                                     if "==" in line and not line.startswith("sanisim")))
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    for stale in WHEELHOUSE.glob("sanisim-*.whl"):  # pip would read its (older) dependencies
        stale.unlink()
    _run([*pip, "download", "--quiet", "--dest", WHEELHOUSE, "--constraint", constraints, wheel],
         cwd=tmp_path)

    venv = tmp_path / "venv"  # empty: no pip either; this pip installs into it (--python)
    try:
        _check_installed(venv, wheel, pip, tmp_path)
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # about 470 MB

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name.startswith(f"sanisim-{version}-")


#: Run in the installed venv's Python: where sanisim comes from, and three verbs in one process
#: (each `sanisim` process imports the whole package once; two run as console scripts below).
INSIDE = """
import sanisim, sanisim.scenario as s
from sanisim.cli import main
print("package:", sanisim.__file__)
print("scenario_dir:", s.SCENARIO_DIR)
assert main(["scenarios", "--where"]) == 0
assert main(["strategies", "blitar"]) == 0
assert main(["validate", str(s.shipped_folder("experiments") / "compare_strategies.toml")]) == 0
"""


def _check_installed(venv: Path, wheel: Path, pip: list, tmp_path: Path) -> None:
    _run([Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", venv],
         cwd=tmp_path)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python, sanisim = venv / "bin" / "python", venv / "bin" / "sanisim"
    _run([*pip, "--python", python, "install", "--quiet", "--no-compile", "--no-index",
          "--find-links", WHEELHOUSE, wheel], cwd=tmp_path)

    user = tmp_path / "somewhere_else"
    user.mkdir()
    out = _run([python, "-c", INSIDE], cwd=user).stdout
    found = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    for key in ("package", "scenario_dir", "scenarios", "experiments"):
        assert Path(found[key]).is_relative_to(venv), (key, found[key])  # the wheel's, not ours
    assert found["scenarios"] == found["scenario_dir"]
    assert "lltt_plus_commitment" in out and "ok: " in out

    listed = _run([sanisim, "scenarios"], cwd=user).stdout
    shipped = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert [line.split()[0] for line in listed.splitlines()] == shipped

    out = _run([sanisim, "run", "default", "--months", "6"], cwd=user).stdout
    assert "default / baseline" in out and "6 months" in out
    results = user / "results" / "default" / "baseline"
    assert {"manifest.json", "monthly.csv", "monthly.parquet"} <= {
        p.name for p in results.iterdir()}
    assert len((results / "monthly.csv").read_text().splitlines()) == 1 + 7  # months 0-6

    _check_make_run_job(sanisim, user)


#: ``make run``'s job (Makefile), by the shipped experiment's name, made small: 7 runs of 150
#: households over 6 months instead of 210 runs of 10,000 over 60.
SMALLER = ["--replicates", "1", "--posterior", "1", "--months", "6", "--households", "150"]


def _check_make_run_job(sanisim: Path, user: Path) -> None:
    helped = _run([sanisim, "--help"], cwd=user).stdout
    assert "batch" in helped and "report" in helped
    out = user / "results" / "compare_strategies"
    done = _run([sanisim, "batch", "compare_strategies", "--out", out, "--resume", *SMALLER,
                 "--workers", "1", "--quiet"], cwd=user).stdout
    assert "7 runs: 7 done, 0 failed" in done
    first = (out / "experiment.toml").read_text().splitlines()[0]  # the wheel's own copy
    assert "sanisim/shipped/experiments/compare_strategies.toml with" in first, first
    _run([sanisim, "report", out, "--out", out / "report"], cwd=user)
    _run([sanisim, "report", out, "--out", out / "laporan", "--lang", "id", "--no-network"],
         cwd=user)  # the network figure was drawn once above
    assert {"report.html", "tables", "figures_en"} <= {p.name for p in (out / "report").iterdir()}
    assert {"laporan.html", "figures_id"} <= {p.name for p in (out / "laporan").iterdir()}
    assert len((out / "summary.csv").read_text().splitlines()) == 1 + 7
