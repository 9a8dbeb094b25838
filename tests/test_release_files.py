"""Release files: ``sanisim --version``, LICENSE, CITATION.cff and CHANGELOG.md agree with
pyproject.toml and the checkout."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import sanisim
from sanisim.cli import main

ROOT = Path(sanisim.__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def head_commit() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_version_prints_the_package_version_and_the_checkout_commit(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    line = capsys.readouterr().out.strip()
    match = re.fullmatch(r"sanisim (\S+) \(commit ([0-9a-f]{40})(-dirty)?\)", line)
    assert match, line
    assert match.group(1) == sanisim.__version__ == PROJECT["version"]
    assert match.group(2) == head_commit()


def test_version_through_the_program(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sanisim", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"sanisim {PROJECT['version']} (commit {head_commit()}")


def test_license_file_matches_pyproject():
    assert PROJECT["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_citation_is_cff_and_matches_pyproject():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # required by CFF 1.2.0
        assert cff[key], key
    assert cff["authors"] == [{"name": "sanisim contributors"}]
    assert str(cff["version"]) == PROJECT["version"]
    assert cff["license"] == PROJECT["license"]


def test_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    assert "keepachangelog.com" in text
    assert re.search(r"^## \[Unreleased\]$", text, re.M)
    assert re.search(r"^### Added$", text, re.M)
