"""Input files: reading TOML, checking typed values, resolving scenario references.

Every input file (scenario, experiment, trial, calibration, sensitivity, joint) is TOML read by
one reader (:func:`read_toml`, built on :func:`sanisim.scenario.read_toml_text`: a file that
cannot be read or parsed is a one-line :class:`~sanisim.errors.InputError`). Values are checked
by the few typed checks here, each raising an :class:`~sanisim.errors.InputError` that names
the file, the key and what is allowed; unknown keys by :func:`sanisim.errors.check_keys`.

Every number has an upper bound: a count of something (replicates, samples, generations) its
own, an integer without one at most :data:`MAX_SEED` (it must fit the int64 columns of the
run tables), and a value that is a model parameter under another name (a trial's
``households``, a sensitivity ``months``) is checked by that parameter's record
(:func:`recorded`), the same record that checks scenario files and command-line overrides.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import psutil  # optional: memory not used by others, a better figure than the total
except ImportError:  # pragma: no cover - psutil absent
    psutil = None

from sanisim.errors import InputError, did_you_mean
from sanisim.parameters import BY_KEY
from sanisim.scenario import SCENARIO_DIR, check_references, decode_toml, read_toml_text

#: The largest seed (and the largest integer any input may hold): seeds are stored in int64
#: columns of the run tables.
MAX_SEED = 2**63 - 1

#: The most replicates of one design point any file or command line may ask for.
MAX_REPLICATES = 100_000


def read_toml(path: str | Path) -> dict[str, Any]:
    """The tables of a TOML input file."""
    return read_toml_text(path)[0]


def peek_toml(path: str | Path, suffix: str | None = ".toml") -> dict[str, Any] | None:
    """The tables of ``path`` if it is a readable TOML file (named ``*suffix``; None: any
    name), else None (no error): to ask what kind of input file a path is before reading it."""
    path = Path(path)
    if not path.is_file() or (suffix is not None and path.suffix != suffix):
        return None
    try:
        return decode_toml(path.read_bytes())
    except (OSError, ValueError):  # unreadable, not UTF-8, not TOML: not ours to describe
        return None


def integer(value: Any, source: str, key: str, low: int, high: int | None = None) -> Any:
    """``value`` if it is an integer in ``[low, high]`` (None passes: an absent optional key).

    ``high`` left out is :data:`MAX_SEED`. Booleans are not integers here (TOML ``true`` is
    not 1).
    """
    if value is None:
        return None
    high = MAX_SEED if high is None else high
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        upper = f", at most {high:,}" if high is not None else ""
        raise InputError(source, key, f"got {value!r}; allowed: an integer >= {low}{upper}")
    return value


def recorded(value: Any, source: str, where: str, key: str) -> Any:
    """``value`` checked by the record of parameter ``key`` (type, bounds), reported under
    ``where`` (None passes: an absent optional key). For inputs that set a parameter under
    another name: ``experiment.households``, ``trial.households``, ``--months``."""
    if value is None:
        return None
    try:
        return BY_KEY[key].check(value, source)
    except InputError as err:
        raise InputError(source, where, f"{err.message} (the bounds of {key})") from None


def choice(value: Any, source: str, key: str, choices: Sequence[str]) -> Any:
    """``value`` if it is one of ``choices`` (None passes: an absent optional key)."""
    if value is not None and (not isinstance(value, str) or value not in choices):
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise InputError(source, key, f"got {value!r}{hint}; allowed: one of "
                         + ", ".join(repr(c) for c in choices))
    return value


def name_list(value: Any, source: str, key: str) -> tuple[str, ...]:
    """``value`` if it is a non-empty list of distinct non-empty strings."""
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v for v in value)):
        raise InputError(source, key, f"got {value!r}; allowed: a non-empty list of names")
    if len(set(value)) != len(value):
        twice = next(v for v in value if value.count(v) > 1)
        raise InputError(source, key, f"{twice!r} is listed twice")
    return tuple(value)


def file_beside(ref: Any, base: Path, source: str, key: str, what: str) -> Path:
    """A file that an input file names by its path relative to the input file's folder."""
    path = base / str(ref)
    if not isinstance(ref, str) or not path.is_file():
        raise InputError(source, key, f"no {what} {ref!r} beside {source}")
    return path


def resolve_scenario(ref: Any, base: Path, source: str, key: str) -> Path:
    """The scenario file a reference in an input file names.

    In order: a file beside the input file (``base``: its folder), a path that exists as given,
    or the name of a shipped scenario (``default``, ``default.toml``).
    """
    if not isinstance(ref, str | Path):
        raise InputError(source, key, f"got {ref!r}; allowed: a scenario file or the name of "
                         "a shipped scenario")
    ref = str(ref)
    for candidate in (base / ref, Path(ref)):
        if candidate.is_file():
            return candidate
    shipped = SCENARIO_DIR / f"{Path(ref).stem}.toml"
    if Path(ref).parent == Path(".") and Path(ref).suffix in ("", ".toml") and shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
    raise InputError(source, key, f"no scenario {ref!r}: not a file beside {source} nor a "
                     f"shipped scenario (shipped: {known})")


# --------------------------------------------------------------------------- sizes

#: Peak bytes per household of a run apart from its ties: state arrays (106 B), the
#: ``Household`` view agents (about 150 B) and building temporaries; measured peak minus
#: interpreter baseline at 1,000,000 households is 666 B at mean degree 9 (docs/performance-log.md).
BYTES_PER_HOUSEHOLD = 300

#: Peak bytes per tie of a household while the network is built (int64 tie lists before they
#: become the CSR adjacency; same measurement).
BYTES_PER_TIE = 40

#: Bytes of the interpreter and libraries of a worker (145 MiB measured), and the room kept
#: free for the rest of the machine.
BASE_BYTES = 160 * 2**20


def mean_degree(params) -> float:
    """Ties per household the scenario's network will hold (an upper estimate)."""
    kind = params["network.kind"]
    if kind == "community":
        return float(params["network.rt_degree"] + params["network.rw_degree"]
                     + params["network.long_degree"])
    if kind in ("watts_strogatz", "erdos_renyi"):
        return float(params["network.mean_degree"])
    return 0.0  # complete: no adjacency is stored; edgelist: counted from its file


def run_bytes(params, households: int, edgelist_bytes: int = 0) -> int:
    """Estimated peak memory of one run of ``households`` households (bytes): per-household
    state, ties (at least 4 bytes a line of an edge-list file make one tie, both ends stored),
    and the interpreter."""
    ties = households * mean_degree(params) + edgelist_bytes / 2
    return int(BASE_BYTES + households * BYTES_PER_HOUSEHOLD + ties * BYTES_PER_TIE)


def memory_available() -> int:
    """Bytes of memory this machine can give a run: psutil's ``available`` when psutil is
    installed, else the physical memory (``os.sysconf``); 0 when neither says."""
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


def check_size(scenario, households: int | None, source: str, key: str,
               copies: int = 1) -> int:
    """The estimated bytes of ``copies`` simultaneous runs of ``scenario`` at ``households``
    (None: the scenario's own), refused with one line when more than the machine has; the
    files the scenario names are checked again at that household count."""
    params = scenario.params
    households = int(households if households is not None else params["population.households"])
    if households != params["population.households"]:  # the files, read as this run reads them
        check_references({**params, "population.households": households}, scenario.path,
                         source)
    files = scenario.referenced_files() if params["network.kind"] == "edgelist" else {}
    edgelist = sum(p.stat().st_size for p in files.values() if p.is_file())
    need = run_bytes(params, households, edgelist) * max(1, copies)
    have = memory_available()
    if have and need > have:
        raise InputError(source, key, f"{households:,} households ({params['network.kind']} "
                         f"network, about {mean_degree(params) or edgelist / 2 / households:.3g} "
                         f"ties each) need about {need / 2**30:.1f} GiB; this machine has "
                         f"{have / 2**30:.1f} GiB available; allowed: fewer households or "
                         "ties")
    return need
