"""Property-based tests (hypothesis) of every input file type and of the command line.

Each example is a valid input file mutated (a value replaced by any TOML value, a key removed
or added, or the text itself cut and spliced), or a fuzzed command line. Whatever it is,
``sanisim`` must end with exit code 0 or 2, print exactly one error line on 2, never a
traceback, never hang, and never write outside the output folder (``validate`` writes
nothing at all).

The default test run tries a few hundred examples; ``pytest -m long`` runs at least 1,000 per
file type and for the command line (see docs/inputs.md).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sanisim.cli import main
from sanisim.parameters import BY_KEY

ROOT = Path(__file__).resolve().parent.parent

#: Examples per file type: in the default run, and under ``-m long``.
QUICK, LONG = 40, 1000
#: Seconds one example may take before it counts as a hang.
TIMEOUT = 30

# --------------------------------------------------------------------------- base files

SCENARIO = {
    "name": "fz", "description": "fuzz base",
    "run": {"months": 3}, "population": {"households": 60, "rt_size": 20},
    "network": {"kind": "community", "rt_degree": 4.0},
    "behaviour": {"p_innovation": 0.01, "q_imitation": 0.2},
    "strategies": {"visits": {"type": "bcc", "start": 1, "end": 3}},
    "bundles": {"bcc": ["visits"]},
}
EXPERIMENT = {
    "experiment": {"name": "fz", "seed": 1, "replicates": 2, "months": 3, "households": 60,
                   "scenarios": ["scenario.toml"], "bundles": ["baseline", "bcc"]},
    "grid": {"behaviour.q_imitation": [0.1, 0.2]},
    "lhs": {"samples": 2, "ranges": {"behaviour.p_innovation": [0.001, 0.01]}},
}
TRIAL = {
    "trial": {"name": "fz", "scenario": "scenario.toml", "seed": 3, "replicates": 2,
              "households": 60, "unit": "rt", "survey_month": 2, "survey_per_cluster": 0},
    "arms": {"control": {"bundle": "baseline", "share": 0.5},
             "treated": {"bundle": "bcc", "share": 0.5}},
}
CALIBRATION = {
    "calibration": {"name": "fz", "trial": "trial.toml", "replicates": 2, "budget": 3,
                    "start_points": 2, "profile_points": 0, "final_replicates": 1,
                    "out": "fitted.toml"},
    "parameters": {"behaviour.p_innovation": [0.001, 0.02]},
    "targets": {"itt": {"value": 0.1, "se": 0.05}},
}
SENSITIVITY = {
    "sensitivity": {"name": "fz", "scenario": "scenario.toml", "method": "morris",
                    "samples": 2, "levels": 4, "months": 3, "households": 60,
                    "parameters": ["behaviour.p_innovation", "behaviour.q_imitation"],
                    "bundles": ["baseline"]},
}
JOINT = {
    "joint": {"name": "fz", "seed": 1, "population_size": 4, "generations": 1,
              "predictive_draws": 2, "posterior_out": "posterior.csv"},
    "parameters": {"behaviour.p_innovation": [0.001, 0.02]},
    "settings": {"a": {"run": {"scenario": "scenario.toml", "months": 3, "households": 60},
                       "targets": {"level:basic_or_better@3": {"value": 0.5, "se": 0.1}}}},
}
BASES = {"scenario": SCENARIO, "experiment": EXPERIMENT, "trial": TRIAL,
         "calibration": CALIBRATION, "sensitivity": SENSITIVITY, "joint": JOINT}

# --------------------------------------------------------------------------- values

TRICKY_STRINGS = ["", "..", "../x", "../../../../tmp/x", "/etc/passwd", "a/b", "x" * 300,
                  "default", "baseline", "bcc", "scenario.toml", "trial.toml", "nul\x00",
                  "é", "with space", ".hidden", "morris", "sobol", "edgelist", "village", "rt",
                  "fitted.csv", "../fitted.toml", "C:\\x", "~/x", "itt", "household"]
TRICKY_NUMBERS = [0, 1, -1, 2, 3, 9, 10, 600, 601, 2**31, 2**32, 2**63 - 1, 2**63, 10**12,
                  5_000_000, 5_000_001, 0.5, 1.0, -0.0, 1e-300, 1e300, float("inf"),
                  float("nan")]
SCALARS = st.one_of(
    st.sampled_from(TRICKY_NUMBERS), st.sampled_from(TRICKY_STRINGS),
    st.integers(min_value=-(2**64), max_value=2**64), st.floats(), st.booleans(),
    st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
KEYS = st.one_of(st.sampled_from(sorted(BY_KEY)), st.text(min_size=1, max_size=12),
                 st.sampled_from(["name", "extends", "out", "scenario", "bundle", "trial",
                                  "months", "households", "seed", "samples", "levels"]))


def _paths(tree: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))


def _set(tree: dict, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        nxt = tree.get(part)
        if not isinstance(nxt, dict):
            nxt = tree[part] = {}
        tree = nxt
    tree[path[-1]] = value


def _delete(tree: dict, path: tuple) -> None:
    for part in path[:-1]:
        tree = tree[part]
    tree.pop(path[-1], None)


def _like(value: Any) -> st.SearchStrategy:
    """Values of the same kind as ``value`` (a number for a number, a string for a string):
    mutations that get past the type checks to the bounds and cross-checks."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.sampled_from([v for v in TRICKY_NUMBERS if isinstance(v, int)]),
                         st.integers(-3, min(2 * abs(value) + 3, 2**64)))
    if isinstance(value, float):
        top = 2.0 * abs(value) + 1 if math.isfinite(value) and abs(value) < 1e300 else 1.0
        return st.one_of(st.sampled_from(TRICKY_NUMBERS), st.floats(-1.0, top))
    if isinstance(value, str):
        return st.sampled_from(TRICKY_STRINGS)
    if isinstance(value, list) and value:
        return st.lists(_like(value[0]), max_size=len(value) + 1)
    return VALUES


@st.composite
def mutated(draw, base: dict) -> bytes:
    """A base file with up to three mutations, as TOML bytes (or its text spliced)."""
    tree = _copy(base)
    registry = "grid" in base or "run" in base  # files that take parameter keys
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        paths = list(_paths(tree))
        op = draw(st.sampled_from(["like", "like", "like", "replace", "delete", "add",
                                   *(["registry"] if registry else [])]))
        if op in ("like", "replace", "delete") and paths:
            path = draw(st.sampled_from(paths))
            if op == "delete":
                _delete(tree, path)
            else:
                current = _get(tree, path)
                _set(tree, path, draw(_like(current) if op == "like" else VALUES))
        elif op == "registry":  # a parameter key where a scenario or design takes one
            key = draw(st.sampled_from(sorted(BY_KEY)))
            where = () if "run" in base else draw(st.sampled_from([("grid",),
                                                                   ("lhs", "ranges")]))
            current = BY_KEY[key].default
            value = draw(st.one_of(_like(current), VALUES) if not where else
                         st.lists(_like(current), min_size=1, max_size=3))
            _set(tree, (*where, key) if where else tuple(key.split(".")), value)
        else:
            parent = draw(st.sampled_from([(), *[p for p in paths if _is_table(tree, p)]]))
            _set(tree, (*parent, draw(KEYS)), draw(VALUES))
    try:
        text = tomli_w.dumps(tree)
    except (TypeError, ValueError):  # not representable in TOML: not a file anyone can write
        assume(False)
    data = text.encode()
    if draw(st.integers(0, 9)) == 0:  # cut and splice the text itself
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 40)))
        data = data[:start] + draw(st.binary(max_size=12)) + data[end:]
    if draw(st.integers(0, 19)) == 0:
        data = b"\xef\xbb\xbf" + data  # a byte-order mark (Notepad)
    return data


def _get(tree: Any, path: tuple) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _is_table(tree: dict, path: tuple) -> bool:
    for part in path:
        tree = tree.get(part) if isinstance(tree, dict) else None
    return isinstance(tree, dict)


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


# --------------------------------------------------------------------------- the property


class Hang(BaseException):
    """An example that ran past :data:`TIMEOUT` (not an OSError: nothing may catch it)."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_symlink() or p.is_file()}


def check_command(argv: list[str], cwd: Path, root: Path,
                  allowed: Callable[[Path], bool] = lambda path: False) -> tuple[int, str]:
    """Run ``sanisim argv`` in ``cwd``: exit 0 or 2, one error line on 2, no traceback, no
    hang, and every new file under ``root`` one that ``allowed`` accepts."""
    before = _files(root)
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                time_limit(TIMEOUT):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse's --help and --version
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        os.chdir(here)
    text = err.getvalue()
    assert code in (0, 2), f"exit {code} for {argv}: {text}"
    assert "Traceback" not in text, text
    if code == 2:
        errors = [line for line in text.splitlines() if not line.startswith("WARNING")]
        assert len(errors) == 1 and errors[0].startswith("sanisim: error: "), text
    new = [p for p in _files(root) - before if not allowed(p)]
    assert not new, f"{argv} wrote {new}"
    return code, text


@contextlib.contextmanager
def project() -> Iterator[Path]:
    """A throw-away project: the base scenario and trial beside the fuzzed file."""
    with tempfile.TemporaryDirectory(prefix="sanisim-fuzz-") as name:
        root = Path(name) / "project"
        root.mkdir()
        (root / "scenario.toml").write_text(tomli_w.dumps(SCENARIO))
        (root / "trial.toml").write_text(tomli_w.dumps(TRIAL))
        yield root


def validate_property(kind: str, data: bytes) -> None:
    with project() as root:
        path = root / f"fuzz_{kind}.toml"
        path.write_bytes(data)
        check_command(["validate", str(path)], root, root.parent)


def test_every_base_file_is_valid():
    for kind in BASES:
        with project() as root:
            path = root / f"base_{kind}.toml"
            path.write_text(tomli_w.dumps(BASES[kind]))
            code, text = check_command(["validate", str(path)], root, root.parent)
            assert code == 0, text


FAST = settings(max_examples=QUICK, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
LONG_RUN = settings(FAST, max_examples=LONG, derandomize=False)


def _property(kind: str, profile: settings) -> Callable[[], None]:
    @profile
    @given(data=mutated(BASES[kind]))
    def run(data: bytes) -> None:
        validate_property(kind, data)
    return run


@pytest.mark.parametrize("kind", list(BASES))
def test_fuzzed_files_end_in_0_or_one_line(kind):
    _property(kind, FAST)()


@pytest.mark.long
@pytest.mark.parametrize("kind", list(BASES))
def test_fuzzed_files_end_in_0_or_one_line_long(kind):
    _property(kind, LONG_RUN)()


# --------------------------------------------------------------------------- command line

OUT_PARTS = st.sampled_from(["out", "..", "a", "results", "x" * 120, "b.c", ".", "fuzz_in"])
OPTION_VALUES = st.one_of(
    st.sampled_from([str(v) for v in TRICKY_NUMBERS] + TRICKY_STRINGS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=10))


@st.composite
def command_lines(draw) -> tuple[list[str], str | None]:
    """A fuzzed command line and its --out (relative to the working folder), if any."""
    verb = draw(st.sampled_from(["run", "run", "validate", "strategies", "dashboard", "report",
                                 "scenarios", "batch", "trial", "calibrate", "sensitivity",
                                 "joint", "nonsense"]))
    argv = [verb]
    if verb in ("run", "strategies"):
        argv.append(draw(st.sampled_from(["fuzz_in.toml", "default", "nope", "../x.toml"])))
    elif verb in ("validate", "batch", "trial", "calibrate", "sensitivity", "joint"):
        argv.append(draw(st.sampled_from(["fuzz_in.toml", "missing.toml", ".", ""])))
    elif verb == "report":
        argv.append(draw(st.sampled_from([".", "missing", "fuzz_in.toml"])))
    options = {"run": ["--seed", "--months", "--households", "--strategy", "--out"],
               "dashboard": ["--port"], "report": ["--out", "--lang"],
               "batch": ["--workers", "--out", "--backend"],
               "trial": ["--replicates", "--workers", "--out"],
               "calibrate": ["--budget", "--replicates", "--write", "--out"],
               "sensitivity": ["--step", "--out"], "joint": ["--generations", "--out"]}
    out = None
    for option in draw(st.lists(st.sampled_from(options.get(verb, ["--x"])), max_size=4)):
        if option == "--out":
            out = "/".join(draw(st.lists(OUT_PARTS, min_size=1, max_size=3)))
            argv += [option, out]
        else:
            argv += [option, draw(OPTION_VALUES)]
    if verb == "run":  # keep every run tiny: the last value of an option wins
        argv += ["--months", "1", "--households", str(draw(st.integers(10, 40)))]
    if verb == "dashboard":
        argv.append("--print")
    return argv, out


def cli_property(command: tuple[list[str], str | None], scenario: bytes) -> None:
    argv, out = command
    with project() as root:
        work = root / "work"
        work.mkdir()
        (work / "fuzz_in.toml").write_bytes(scenario)
        for name in ("scenario.toml", "trial.toml"):
            (work / name).write_bytes((root / name).read_bytes())
        outputs = [(work / "results").resolve()]
        if out is not None:
            outputs.append((work / out).resolve())

        def allowed(path: Path) -> bool:  # inside an output folder, or a folder above one
            path = path.resolve()
            return any(path.is_relative_to(o) or (path.is_dir() and o.is_relative_to(path))
                       for o in outputs)

        assume(all(o.is_relative_to(root.parent.resolve()) for o in outputs))
        check_command(argv, work, root.parent, allowed)


CLI_FAST = settings(FAST, max_examples=60)


@CLI_FAST
@given(command=command_lines(), scenario=mutated(SCENARIO))
def test_fuzzed_command_lines_end_in_0_or_one_line(command, scenario):
    cli_property(command, scenario)


@pytest.mark.long
@settings(LONG_RUN)
@given(command=command_lines(), scenario=mutated(SCENARIO))
def test_fuzzed_command_lines_end_in_0_or_one_line_long(command, scenario):
    cli_property(command, scenario)
