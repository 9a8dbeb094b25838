"""Provenance: the manifest's commit comes only from sanisim's own repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sanisim.runs import run

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), "-c", "user.name=t", "-c",
                           "user.email=t@example.org", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def repo_with(root: Path, files: dict[str, str]) -> str:
    """A git repository at ``root`` holding ``files``, committed; returns the commit."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "files")
    return git(root, "rev-parse", "HEAD")


def test_a_venv_inside_another_repository_records_no_commit(tmp_path):
    package = "venv/lib/python3.12/site-packages/sanisim/__init__.py"
    repo_with(tmp_path, {"pyproject.toml": '[project]\nname = "thesis"\n', package: ""})
    (tmp_path / package).write_text("# edited: the foreign repository is dirty\n")
    assert run.commit_of((tmp_path / package).parent) is None


def test_a_repository_named_otherwise_records_no_commit(tmp_path):
    repo_with(tmp_path, {"pyproject.toml": '[project]\nname = "other"\n',
                         "sanisim/__init__.py": ""})
    assert run.commit_of(tmp_path / "sanisim") is None


def test_sanisims_own_checkout_records_its_commit_and_dirty_state(tmp_path):
    commit = repo_with(tmp_path, {"pyproject.toml": '[project]\nname = "sanisim"\n',
                                  "sanisim/__init__.py": ""})
    assert run.commit_of(tmp_path / "sanisim") == commit
    (tmp_path / "notes.txt").write_text("outside the package: still clean\n")
    assert run.commit_of(tmp_path / "sanisim") == commit
    (tmp_path / "sanisim" / "__init__.py").write_text("# changed\n")
    assert run.commit_of(tmp_path / "sanisim") == commit + "-dirty"


def test_own_checkout_decision(tmp_path):
    (tmp_path / "sanisim").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "sanisim"\n')
    assert run.is_own_checkout(tmp_path / "sanisim", tmp_path)
    assert not run.is_own_checkout(tmp_path / "sanisim", tmp_path.parent)
    assert not run.is_own_checkout(tmp_path / "sanisim", None)
    (tmp_path / "pyproject.toml").write_text("not = [toml\n")
    assert not run.is_own_checkout(tmp_path / "sanisim", tmp_path)


def test_no_git_at_all_records_no_commit(tmp_path):
    (tmp_path / "sanisim").mkdir()
    assert run.commit_of(tmp_path / "sanisim") is None


def test_the_package_version_comes_from_its_metadata():
    from importlib.metadata import version

    import sanisim

    assert sanisim.__version__ == version("sanisim")
