"""Provenance of an output: the sanisim version and the commit of the source that made it.

Light on purpose (standard library only): ``sanisim --version`` answers from here without
loading the model. :mod:`sanisim.runs.run` re-exports these names for the manifests it writes.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

#: The folder of the sanisim package.
PACKAGE_DIR = Path(__file__).resolve().parent


def package_version() -> str:
    """The installed distribution's version (``sanisim.__version__``, from pyproject.toml)."""
    try:
        return version("sanisim")
    except PackageNotFoundError:  # pragma: no cover - a source tree not installed
        return "0+unknown"


@cache
def git_commit() -> str:
    """The commit of the sanisim source this process runs, or 'unknown'.

    From sanisim's own git checkout (:func:`commit_of`, with ``-dirty`` when the package's
    files differ from it), else the commit pip recorded when it installed sanisim from a git
    URL (:func:`installed_commit`), else ``"unknown"``. A venv inside another repository
    never records that repository's commit.
    """
    return (commit_of(PACKAGE_DIR) or installed_commit()
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


def numpy_simd() -> list[str]:
    """The SIMD extensions numpy found on this CPU and dispatches to (as ``np.show_runtime``
    lists them under "found"; empty when numpy does not tell).

    They decide the last bits of some results: on a CPU with AVX-512 numpy computes float64
    ``exp``, ``log`` and powers with its own vector code, elsewhere with the C library's, and
    the two differ in the last bit for some arguments. Household incomes (``exp`` of a normal
    draw) and everything summed from them (savings, loans, spending) then differ in their
    last bits between such machines, for the same seed; counts of households have matched
    ("Across machines" in docs/experiments.md). Manifests record this list beside numpy's version.
    """
    try:  # imported here: `sanisim --version` must not load numpy
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # pragma: no cover - another numpy layout
        return []
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


def numeric_platform() -> dict[str, object]:
    """What decides the last bits of a run's float64 results besides its inputs: numpy's
    version and the SIMD extensions it dispatches to (:func:`numpy_simd`)."""
    from numpy import __version__ as numpy_version

    return {"numpy": numpy_version, "numpy_simd": numpy_simd()}
