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
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sanisim import mechanisms
from sanisim.errors import InputError
from sanisim.parameters import BY_KEY, PARAMETERS, SHARE_GROUPS, SHARE_TOLERANCE, Param

META_KEYS = ("name", "description", "extends")
STRATEGY_KEYS = ("strategies", "bundles")
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


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

    from sanisim.strategies import parse_strategy_tables  # local: strategies import scenario

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
    return _coerce(param, value, source)


def _coerce(param: Param, value: Any, source: str) -> Any:
    fail = InputError(source, param.key,
                      f"got {value!r} ({type(value).__name__}); allowed: {param.allowed()}")
    kind = param.kind
    if kind is bool:
        if not isinstance(value, bool):
            raise fail
        return value
    if kind is str:
        if not isinstance(value, str):
            raise fail
        if param.choices and value not in param.choices:
            raise fail
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail
    if kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise fail
            value = int(value)
    else:
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float
            raise fail from None
    if isinstance(value, float) and not math.isfinite(value):
        raise fail
    if (param.low is not None and value < param.low) or (
            param.high is not None and value > param.high):
        raise fail
    return value


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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1e4:
            return f"{int(value):_}.0"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(tree: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> str:
    """Write nested data as TOML (tables after scalars), with optional per-key comments."""
    comments = comments or {}
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: str) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"\n[{prefix}]")
        for key, value in scalars.items():
            note = comments.get(f"{prefix}.{key}" if prefix else key)
            lines.append(f"{key} = {_toml_value(value)}" + (f"  # {note}" if note else ""))
        for key, value in tables.items():
            emit(value, f"{prefix}.{key}" if prefix else key)

    emit(tree, "")
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
