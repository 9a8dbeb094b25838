"""Scenario files: TOML in, a frozen validated :class:`Scenario` out.

A scenario file holds parameter sections (``[population]``, ``[behaviour]``, ...; the keys
and their bounds are the records in :mod:`sanisim.parameters`), optional ``name``,
``description`` and ``extends`` keys, and the strategy definitions ``[strategies.NAME]`` and
``[bundles]`` (validated by :mod:`sanisim.strategies`). Every mistake is an
:class:`~sanisim.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from sanisim import mechanisms
from sanisim.errors import InputError
from sanisim.parameters import BY_KEY, PARAMETERS, SHARE_GROUPS, SHARE_TOLERANCE
from sanisim.strategies import parse_strategy_tables

META_KEYS = ("name", "description", "extends")
STRATEGY_KEYS = ("strategies", "bundles")


def shipped_folder(folder: str) -> Path:
    """A folder of shipped input files: ``scenarios`` or ``experiments``.

    In a clone (and an editable install) the repository's own folder, the copy people edit; in
    an installed wheel the copy the build put inside the package (``sanisim/shipped/``, see
    ``setup.py`` and docs/installing.md).
    """
    packaged = Path(__file__).resolve().parent / "shipped" / folder
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / folder


SCENARIO_DIR = shipped_folder("scenarios")


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable set of parameters plus strategy definitions."""

    name: str
    params: Mapping[str, Any]
    description: str = ""
    strategies: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    bundles: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({"baseline": ()})
    )
    path: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def with_params(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A copy with some parameters changed, validated like a file."""
        params = dict(self.params)
        for key, value in overrides.items():
            params[key] = check_value(key, value, source)
        check_shares(params, source)
        return Scenario(self.name, MappingProxyType(params), self.description,
                        self.strategies, self.bundles, self.path)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested data (round-trips through :func:`from_dict`)."""
        nested: dict[str, Any] = {"name": self.name, "description": self.description}
        for key, value in self.params.items():
            _set_nested(nested, key, value)
        if self.strategies:
            nested["strategies"] = {k: dict(v) for k, v in self.strategies.items()}
        nested["bundles"] = {k: list(v) for k, v in self.bundles.items()}
        return nested

    @property
    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of everything that affects results."""
        payload = {k: v for k, v in self.to_dict().items() if k not in ("description",)}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.config_hash)

    def __reduce__(self):
        """Pickle as plain dicts (a ``MappingProxyType`` cannot be pickled); the copy is
        frozen again by :func:`_unpickle`, equal to this one, and runs the same numbers."""
        strategies = {name: dict(config) for name, config in self.strategies.items()}
        return (_unpickle, (self.name, dict(self.params), self.description, strategies,
                            dict(self.bundles), self.path))


def _unpickle(name: str, params: dict[str, Any], description: str,
              strategies: dict[str, dict[str, Any]], bundles: dict[str, tuple[str, ...]],
              path: str | None) -> Scenario:
    """The :class:`Scenario` of :meth:`Scenario.__reduce__` (already validated once)."""
    frozen = MappingProxyType({name_: MappingProxyType(config)
                               for name_, config in strategies.items()})
    return Scenario(name, MappingProxyType(params), description, frozen,
                    MappingProxyType(bundles), path)


# --------------------------------------------------------------------------- loading


def default_scenario() -> Scenario:
    """All parameters at their registry defaults, no strategies."""
    return from_dict({"name": "default"}, source="<defaults>")


#: Parameter values that switch off everything but the network Bass rule (see docs/model.md).
BASS_ONLY: dict[str, Any] = {
    "population.start_shares.open_defecation": 1.0,
    "population.start_shares.unimproved": 0.0,
    "population.start_shares.limited": 0.0,
    "population.start_shares.basic": 0.0,
    "population.start_shares.safely_managed": 0.0,
    **{f"behaviour.w_{f}": 0.0 for f in ("risk", "attitude", "norm", "ability",
                                          "self_regulation")},
    "behaviour.money_constraint": False,
    "construction.months": 0,
    "failure.basic": 0.0, "failure.unimproved": 0.0, "failure.limited": 0.0,
    "desludging.self_rate": 0.0,
    "sanitarians.count": 0,
    "cooperatives.count": 0,
    **{mechanisms.key(name): False for name in mechanisms.MECHANISMS},  # every mechanism off
}


def bass_only_scenario(p: float, q: float, households: int = 2000,
                       network: str = "complete", **overrides: Any) -> Scenario:
    """The Bass-only configuration: hazard p + q * (share of adopted neighbours), nothing else.

    Everyone starts at open defecation; a decision is an adoption (basic) in the same month.
    """
    values = {**BASS_ONLY, "behaviour.p_innovation": p, "behaviour.q_imitation": q,
              "population.households": households, "network.kind": network, **overrides}
    return from_dict({"name": "bass_only"}, source="<bass_only>").with_params(values)


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario argument: an existing file, or the name of a shipped scenario."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SCENARIO_DIR / f"{Path(name_or_path).stem}.toml"
    if path.suffix in ("", ".toml") and shipped.is_file() and path.parent == Path("."):
        return shipped
    known = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    raise InputError(str(name_or_path), None,
                     "no such scenario file; shipped scenarios: " + ", ".join(known))


def load(name_or_path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file."""
    path = resolve_path(name_or_path)
    raw = _read_with_extends(path, chain=())
    return from_dict(raw, source=str(path), path=path)


def read_toml_text(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML input file; return its tables and its text. Every failure (missing,
    unreadable, not UTF-8, not TOML) is one :class:`InputError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "not valid TOML (the file is not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(str(path), None, f"not valid TOML ({err})") from None
    except OSError as err:
        raise InputError(str(path), None, f"cannot read file ({err.strerror})") from None


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml_text(path)[0]


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise InputError(str(path), "extends", f"circular extends ({cycle})")
    raw = _read_toml(path)
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise InputError(str(path), "extends", "must be a string: a scenario file name")
    parent_path = (path.parent / parent_ref)
    if not parent_path.is_file():
        raise InputError(str(path), "extends", f"file {parent_ref!r} not found beside it")
    parent = _read_with_extends(parent_path, (*chain, resolved))
    return _merge(parent, raw)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def from_dict(raw: Mapping[str, Any], source: str = "<scenario>",
              path: Path | None = None) -> Scenario:
    """Validate nested scenario data (as read from TOML) into a :class:`Scenario`."""
    raw = dict(raw)
    for key in ("name", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError(source, key, "must be a string")
    name = raw.pop("name", Path(source).stem if path else "scenario")
    description = raw.pop("description", "")
    raw.pop("extends", None)
    strategy_raw = {k: raw.pop(k) for k in STRATEGY_KEYS if k in raw}

    params = {p.key: p.default for p in PARAMETERS}
    for key, value in _flatten(raw, source):
        params[key] = check_value(key, value, source)
    check_shares(params, source)

    strategies, bundles = parse_strategy_tables(
        strategy_raw.get("strategies", {}), strategy_raw.get("bundles", {}), source)
    return Scenario(name, MappingProxyType(params), description, strategies, bundles,
                    str(path) if path else None)


def _flatten(raw: Mapping[str, Any], source: str, prefix: str = ""):
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in BY_KEY:
            if not any(k.startswith(dotted + ".") for k in BY_KEY):
                raise _unknown(dotted, source)  # a section that does not exist
            yield from _flatten(value, source, dotted + ".")
        elif dotted not in BY_KEY and any(k.startswith(dotted + ".") for k in BY_KEY):
            raise InputError(source, dotted, f"got {value!r} ({type(value).__name__}); "
                             f"allowed: a table [{dotted}] of its keys")
        else:
            yield dotted, value


def _unknown(key: str, source: str) -> InputError:
    parent, _, last = key.rpartition(".")
    # names allowed beside it: the keys and sub-sections of a known parent section
    names = sorted({k[len(parent) + 1:].split(".")[0] for k in BY_KEY
                    if parent and k.startswith(parent + ".")})
    if names:  # a misspelt name inside a known section
        near = difflib.get_close_matches(last, names, n=1, cutoff=0.6)
        close = [f"{parent}.{near[0]}"] if near else []
    else:  # a misspelt section, or a key under one
        candidates = list(BY_KEY) + sorted({p.section for p in PARAMETERS})
        close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean {close[0]!r}?"
    else:  # nothing near: say what is allowed at this level
        where = f"keys of [{parent}]" if names else "sections"
        names = names or sorted({k.split(".")[0] for k in BY_KEY})
        hint = f"; allowed {where}: {', '.join(names)}"
    return InputError(source, key, f"unknown key{hint}")


def check_value(key: str, value: Any, source: str) -> Any:
    """Validate one parameter value against its record; return it in its proper type."""
    param = BY_KEY.get(key)
    if param is None:
        err = _unknown(key, source)
        if key.count(".") == 0:
            err = InputError(source, key, f"{err.message} (top-level keys: "
                             "name, description, extends, strategies, bundles, or a section)")
        raise err
    return param.check(value, source)


def check_shares(params: Mapping[str, Any], source: str) -> None:
    for group, keys in SHARE_GROUPS.items():
        total = sum(params[k] for k in keys)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            names = ", ".join(k.rsplit(".", 1)[-1] for k in keys)
            raise InputError(source, group,
                             f"shares ({names}) sum to {total:.6g}; they must sum to 1")


# --------------------------------------------------------------------------- writing


def _set_nested(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def to_toml(tree: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> str:
    """Write nested data as TOML (tables after scalars), with optional per-key comments.

    Keys, table headers and values are written by ``tomli-w`` (so a strategy named
    ``"bcc v2"`` gets a quoted key); a comment (by dotted key) ends its key's first line.
    """
    comments = comments or {}
    lines: list[str] = []

    def emit(table: Mapping[str, Any], path: tuple[str, ...]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if path and scalars:
            header: dict[str, Any] = {"_": 0}
            for part in reversed(path):
                header = {part: header}
            lines.append("\n" + tomli_w.dumps(header).splitlines()[0])
        for key, value in scalars.items():
            text = tomli_w.dumps({key: value}).rstrip("\n")
            note = comments.get(".".join((*path, key)))
            if note:
                first, newline, rest = text.partition("\n")
                text = f"{first}  # {' '.join(str(note).split())}{newline}{rest}"
            lines.append(text)
        for key, value in tables.items():
            emit(value, (*path, key))

    emit(tree, ())
    return "\n".join(lines).lstrip("\n") + "\n"


# --------------------------------------------------------------------------- default file

STRATEGY_MARKER = "# ---- strategies and bundles (written by hand below this line) ----"
DEFAULT_HEADER = '''\
# sanisim default scenario: a peri-urban Indonesian district of about 10,000 households.
#
# The parameter part of this file is generated from the parameter registry
# (sanisim/parameters.py) by `python -m sanisim.scenario`; edit the registry, not this part.
# Every value carries its unit and source; docs/model.md explains each one.
'''


def default_toml(existing: str = "") -> str:
    """Text of ``scenarios/default.toml``: registry parameters, then the hand-written rest."""
    tree: dict[str, Any] = {
        "name": "default",
        "description": "Peri-urban Indonesian district, about 10,000 households; national "
                       "2018 ladder (Susenas); routine sanitarians and two cooperatives.",
    }
    notes = {}
    for param in PARAMETERS:
        _set_nested(tree, param.key, param.default)
        notes[param.key] = f"{param.unit}; {param.source}" if param.unit else param.source
    tail = existing.split(STRATEGY_MARKER, 1)[1] if STRATEGY_MARKER in existing else "\n"
    return DEFAULT_HEADER + "\n" + to_toml(tree, notes) + "\n" + STRATEGY_MARKER + tail


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped default
    target = SCENARIO_DIR / "default.toml"
    target.write_text(default_toml(target.read_text() if target.exists() else ""))
    print(f"wrote {target}")
