"""The command answers at once: ``sanisim --help`` loads no model, ``sanisim VERB`` its verb's
module alone, and the static verb table of :mod:`sanisim.cli` names exactly the verbs the
modules register."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time

import pytest
from conftest import assert_one_line

from sanisim.cli import VERBS, build_parser, main

#: What a light command must not load: the numerical stack and the model.
HEAVY = ("numpy", "pandas", "mesa", "scipy", "matplotlib", "sanisim.model", "sanisim.scenario")

#: Run ``main(argv)`` in a fresh interpreter; print the exit code and the modules loaded.
PROBE = """
import json, sys
from sanisim.cli import main
argv = json.loads(sys.argv[1])
try:
    code = main(argv)
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def probe(*argv: str) -> tuple[int, set[str], str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True,
                          text=True, timeout=120)
    *lines, last = done.stderr.strip().splitlines()
    found = json.loads(last)
    return found["code"], set(found["modules"]), "\n".join(lines)


def registered(module: str) -> dict[str, str]:
    """The verbs ``module.register`` adds, with their help lines."""
    verbs = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(verbs)
    return {action.dest: action.help for action in verbs._choices_actions}


def test_the_table_names_exactly_the_verbs_the_modules_register():
    modules = {entry.module for entry in VERBS.values()}
    found = {}
    for module in sorted(modules):
        for name, help_ in registered(module).items():
            assert name not in found, f"{name} registered by two modules"
            assert name in VERBS, f"{module} registers {name!r}, missing from cli.VERBS"
            assert VERBS[name].module == module, (name, module)
            assert VERBS[name].help == help_, f"help of {name!r} differs from {module}'s"
            found[name] = module
    assert set(found) == set(VERBS)


def test_help_lists_every_verb_of_the_table(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for name, entry in VERBS.items():
        assert name in out and entry.help.split()[0] in out


@pytest.mark.parametrize("argv, code", [(("--help",), 0), (("--version",), 0),
                                        (("frobnicate",), 2), ((), 2)])
def test_help_version_and_a_wrong_verb_load_no_model(argv, code):
    got, modules, err = probe(*argv)
    assert got == code, err
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    if argv == ("frobnicate",):
        assert_one_line(err, "frobnicate", "invalid choice", "batch")


def test_loading_the_command_module_loads_no_model():
    done = subprocess.run([sys.executable, "-c", "import sys, sanisim.cli; print(sorted("
                           "m for m in sys.modules))"], capture_output=True, text=True,
                          timeout=120, check=True)
    loaded = set(eval(done.stdout))  # noqa: S307 - our own printed list
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_a_verb_loads_its_own_module_and_shows_its_full_options():
    code, modules, _ = probe("batch", "--help")
    assert code == 0
    assert "sanisim.runs.batch" in modules
    assert not {"sanisim.report", "sanisim.evidence.joint", "sanisim.decisions.optimise",
                "sanisim.commands"} & modules


#: What ``sanisim run`` and the listings need not load: figures, the decision and evidence
#: modules, scipy.stats (``validate`` loads them when a file asks for them).
NOT_FOR_A_RUN = ("matplotlib", "scipy.stats", "sanisim.decisions.optimise",
                 "sanisim.evidence.joint", "sanisim.analysis")


@pytest.mark.parametrize("argv", [("run", "--help"), ("scenarios",)])
def test_a_run_and_the_listings_load_no_figures_or_fits(argv):
    code, modules, err = probe(*argv)
    assert code == 0, err
    assert not modules & set(NOT_FOR_A_RUN), sorted(modules & set(NOT_FOR_A_RUN))


@pytest.mark.parametrize("verb, option", [("batch", "--resume"), ("report", "--lang"),
                                          ("run", "--households"), ("dashboard", "--port"),
                                          ("compare", "--out")])
def test_verb_help_is_the_modules_full_parser(capsys, verb, option):
    with pytest.raises(SystemExit) as stop:
        main([verb, "--help"])
    assert stop.value.code == 0
    assert option in capsys.readouterr().out


def test_a_bad_option_of_a_lazily_loaded_verb_is_one_line_and_exit_2(capsys):
    assert main(["batch", "x.toml", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert_one_line(err, "sanisim batch", "--workers")


def test_parser_without_a_verb_lists_the_table_in_order():
    parser = build_parser(None)
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(verbs.choices) == list(VERBS)


def test_help_answers_in_under_half_a_second():
    """Wall time of ``python -m sanisim --help`` in a fresh process (best of 3: load on a
    shared machine only ever slows a try down)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sanisim", "--help"], capture_output=True,
                              text=True, timeout=60)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0 and "batch" in done.stdout, done.stderr
    assert min(times) < 0.5, times


def test_the_table_marks_the_verbs_that_run_local_workers():
    """A verb is marked as running local workers exactly when its parser has ``--backend``
    (the process pool unless told otherwise)."""
    for name, entry in VERBS.items():
        parser = build_parser(name)
        verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        options = {o for a in verbs.choices[name]._actions for o in a.option_strings}
        assert entry.workers == ("--backend" in options), name


#: Start the fork server from a command line in a fresh interpreter; print what it imports.
SERVER_PROBE = """
import json, sys
import multiprocessing.forkserver as forkserver
from sanisim.runs.executors import start_fork_server_early
start_fork_server_early(json.loads(sys.argv[1]))
server = forkserver._forkserver
print(json.dumps(server._preload_modules if server._forkserver_pid is not None else None))
"""


@pytest.mark.parametrize("argv, extra", [
    (["batch", "x.toml"], []),
    (["batch", "x.toml", "--workers", "1", "--backend", "processes"], []),
    (["trial", "x.toml", "--backend=dask"], ["distributed"]),
    (["batch", "x.toml", "--backend", "serial"], None),
    (["batch", "x.toml", "--scheduler", "tcp://127.0.0.1:8786"], None),
    (["batch", "--help"], None),
    (["batch", "x.toml", "--backend"], None),  # a mistake: the verb's parser reports it
])
def test_the_fork_server_is_started_only_for_local_workers(argv, extra):
    from sanisim.runs.executors import PRELOAD

    done = subprocess.run([sys.executable, "-c", SERVER_PROBE, json.dumps(argv)],
                          capture_output=True, text=True, timeout=120, check=True)
    preload = json.loads(done.stdout)
    if extra == ["distributed"]:
        pytest.importorskip("distributed")
    assert preload == (None if extra is None else PRELOAD + extra), done.stderr


#: ``main(argv)``, noting whether the fork server was running when the verb's module began
#: to load (a finder first on ``sys.meta_path`` that only looks).
ORDER_PROBE = """
import json, sys
import multiprocessing.forkserver as forkserver
from sanisim.cli import main
argv = json.loads(sys.argv[1])
seen = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[2] and not seen:
            seen.append(forkserver._forkserver._forkserver_pid is not None)
        return None

sys.meta_path.insert(0, Watch())
code = main(argv)
print(json.dumps({"code": code, "server first": seen}))
"""


@pytest.mark.parametrize("argv, module, first", [
    (["batch", "no_such_experiment.toml"], "sanisim.runs.batch", True),
    (["batch", "no_such_experiment.toml", "--backend", "serial"], "sanisim.runs.batch", False),
    (["report", "no_such_folder"], "sanisim.report.command", False),
])
def test_the_fork_server_imports_beside_the_verb_module(argv, module, first):
    """``sanisim batch`` starts its workers' fork server before it imports its own module,
    so that the two imports (about 0.7 s each) overlap; a verb without local workers, or a
    batch told to run in-process, starts none. A mistake still ends with exit code 2."""
    done = subprocess.run([sys.executable, "-c", ORDER_PROBE, json.dumps(argv), module],
                          capture_output=True, text=True, timeout=120)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"code": 2, "server first": [first]}, done.stderr
