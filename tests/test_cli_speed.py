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
