"""The layout holds: layers import only downwards, no import cycles, old module paths still
work for one release (docs/architecture.md)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import grimp
import networkx as nx
import pytest

import sanisim
import sanisim.analysis

ROOT = Path(__file__).resolve().parent.parent

#: Imports allowed to close a cycle (none: add one only with the change that removes it).
KNOWN_CYCLE_IMPORTS: set[tuple[str, str]] = set()

#: Old module path -> new one (aliases kept for one release).
MOVED = {
    "sanisim.run": "sanisim.runs.run",
    "sanisim.experiment": "sanisim.runs.experiment",
    "sanisim.executors": "sanisim.runs.executors",
    "sanisim.batch": "sanisim.runs.batch",
    "sanisim.store": "sanisim.runs.store",
    "sanisim.results": "sanisim.runs.results",
    "sanisim.posterior": "sanisim.runs.posterior",
    "sanisim.trial": "sanisim.evidence.trial",
    "sanisim.calibration": "sanisim.evidence.calibration",
    "sanisim.sensitivity": "sanisim.evidence.sensitivity",
    "sanisim.joint": "sanisim.evidence.joint",
    "sanisim.outcomes": "sanisim.analysis.outcomes",
}


def import_cycles(package: str, allowed: set[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """Every import cycle among the modules of ``package``, function-level imports included
    (``if TYPE_CHECKING`` imports, which never run, excluded), as sorted module lists.

    The package's own ``__init__`` is left out: it only re-exports lazily (``sanisim``'s
    ``__getattr__``), and every module importing a name from it would otherwise form a cycle.
    """
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if package not in (module, imported) and (module, imported) not in allowed:
                edges.add_edge(module, imported)
    return [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]


def test_no_import_cycles():
    cycles = import_cycles("sanisim", KNOWN_CYCLE_IMPORTS)
    assert not cycles, f"import cycles among sanisim modules: {cycles}"


def test_the_cycle_check_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text(textwrap.dedent("""
        def helper():
            from cyclic_pkg.high import answer  # the kind of import that hid sanisim's cycles
            return answer
    """))
    (package / "high.py").write_text("from cyclic_pkg.low import helper\nanswer = 42\n")
    (package / "alone.py").write_text("import cyclic_pkg.high\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_pkg") == [["cyclic_pkg.high", "cyclic_pkg.low"]]
    assert import_cycles("cyclic_pkg", {("cyclic_pkg.low", "cyclic_pkg.high")}) == []


def test_layer_contracts_hold():
    """import-linter's contracts of pyproject.toml ([tool.importlinter]) are kept."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    code = ("from importlinter.cli import lint_imports; raise SystemExit(lint_imports("
            "config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(("old", "new"), MOVED.items())
def test_old_module_paths_warn_and_give_the_same_objects(old, new):
    moved = importlib.import_module(new)
    sys.modules.pop(old, None)
    parent, _, name = old.rpartition(".")
    if hasattr(sys.modules[parent], name):
        delattr(sys.modules[parent], name)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        aliased = importlib.import_module(old)
    names = [n for n in vars(moved) if not n.startswith("__")]
    assert names and all(getattr(aliased, n) is getattr(moved, n) for n in names)
    public = [n for n in names if not n.startswith("_")]
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(f"from {old} import {public[0]}", namespace)  # the form notebooks use
    assert namespace[public[0]] is getattr(moved, public[0])


def test_old_outcomes_command_still_runs():
    done = subprocess.run([sys.executable, "-m", "sanisim.outcomes", "--help"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0 and "rank" in done.stdout, done.stderr


def test_analysis_keeps_its_names():
    """``sanisim.analysis`` became a package: the names of the old module are its names."""
    from sanisim.analysis import decisions, paired, summaries
    from sanisim.runs import replicates

    for module in (summaries, paired, decisions):
        for name in vars(module):
            if not name.startswith("_") and callable(getattr(module, name)) and getattr(
                    getattr(module, name), "__module__", None) == module.__name__:
                assert getattr(sanisim.analysis, name) is getattr(module, name), name
    assert sanisim.analysis.run_comparison is replicates.run_comparison
    assert sanisim.analysis.results_from_runs is replicates.results_from_runs
    assert sanisim.analysis.FUNDERS == ("households", "government", "cooperatives", "donors")
