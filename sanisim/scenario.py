"""Scenario files: TOML in, a frozen validated :class:`Scenario` out.

A scenario file holds parameter sections (``[population]``, ``[behaviour]``, ...; the keys
and their bounds are the records in :mod:`sanisim.parameters`), optional ``name``,
``description`` and ``extends`` keys, the strategy definitions ``[strategies.NAME]`` and
``[bundles]`` (validated by :mod:`sanisim.strategies`), and the display names of those
strategies and bundles in English and Indonesian (``[names.bundles]``,
``[names.strategies]``: ``key = {en = "...", id = "..."}``; optionally ``[names]
description = {en = "...", id = "..."}``; they do not change results). Every
mistake is an :class:`~sanisim.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from sanisim import mechanisms
from sanisim.errors import InputError, check_name, is_name
from sanisim.network import from_edgelist
from sanisim.parameters import BY_KEY, PARAMETERS, SHARE_GROUPS, SHARE_TOLERANCE, scaled_value
from sanisim.strategies import check_requirements, parse_strategy_tables, scaled_configs

log = logging.getLogger(__name__)

META_KEYS = ("name", "description", "extends", "names")
STRATEGY_KEYS = ("strategies", "bundles")
#: Languages of the display names in ``[names]`` (the languages of :mod:`sanisim.i18n`).
NAME_LANGUAGES: tuple[str, ...] = ("en", "id")
#: What ``[names]`` names: the scenario's bundles and its strategies.
NAME_KINDS: tuple[str, ...] = ("bundles", "strategies")


def shipped_folder(folder: str) -> Path:
    """A folder of shipped input files: ``scenarios`` or ``experiments``.

    In a clone (and an editable install) the repository's own folder, the copy people edit; in
    an installed wheel the copy the build put inside the package (``sanisim/shipped/``, see
    ``setup.py`` and docs/installing.md).
    """
    packaged = Path(__file__).resolve().parent / "shipped" / folder
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / folder


SCENARIO_DIR = shipped_folder("scenarios")

#: How a run at another number of households treats the district's institutions
#: (:meth:`Scenario.scaled`): kept as they are, or scaled with the households.
INSTITUTIONS: tuple[str, ...] = ("as-is", "in-proportion")

#: The longest chain of ``extends`` (a scenario extending one that extends another ...).
MAX_EXTENDS = 16

#: The key of the one parameter that names a file (read when the scenario is loaded, its
#: content part of the configuration hash).
EDGELIST = "network.edgelist"


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
    #: display names: {"bundles" | "strategies": {key: {"en": ..., "id": ...}}}
    names: Mapping[str, Mapping[str, Mapping[str, str]]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def with_params(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A copy with some parameters changed, validated like a file."""
        params = dict(self.params)
        for key, value in overrides.items():
            params[key] = check_value(key, value, source)
        check_shares(params, source)
        return Scenario(self.name, MappingProxyType(params), self.description,
                        self.strategies, self.bundles, self.path, self.names)

    def scaled(self, households: int, source: str = "--institutions in-proportion"
               ) -> Scenario:
        """The same district at ``households`` households with its institutions in
        proportion: every record that :attr:`~sanisim.parameters.Param.scales` (the
        sanitarians, cooperatives and government allocations, and each strategy's budget,
        agents and pace of delivery) multiplied by ``households / population.households``;
        rates per household and per agent as they are. Setting ``population.households``
        alone (``--households``) keeps the institutions of the district the scenario
        describes, so that a larger population is served by as many of them."""
        households = check_value("population.households", households, source)
        scale = households / self["population.households"]
        params = {key: scaled_value(BY_KEY[key], value, scale, source)
                  if BY_KEY[key].scales else value for key, value in self.params.items()}
        params["population.households"] = households
        return Scenario(self.name, MappingProxyType(params), self.description,
                        scaled_configs(self.strategies, scale, source), self.bundles,
                        self.path, self.names)

    def display_name(self, kind: str, key: str, lang: str) -> str | None:
        """The name ``[names.<kind>]`` gives ``key`` in ``lang`` (None when not declared)."""
        entry = self.names.get(kind, {}).get(key)
        return entry[lang] if entry else None

    def describe(self, lang: str) -> str:
        """The description in ``lang``: from ``[names.description]`` when its English text is
        this scenario's ``description`` (a translation inherited through ``extends`` from a
        file with another description is not used), else ``description``."""
        own = " ".join(self.description.split())
        entry = self.names.get("description", {}).get("text")
        return entry[lang] if entry and entry["en"] == own else own

    def unnamed(self) -> list[str]:
        """Bundles and strategies without display names, as ``"bundles.KEY"``."""
        declared = {"bundles": self.bundles, "strategies": self.strategies}
        return [f"{kind}.{key}" for kind in NAME_KINDS for key in declared[kind]
                if key not in self.names.get(kind, {})]

    def to_dict(self) -> dict[str, Any]:
        """Plain nested data (round-trips through :func:`from_dict`)."""
        nested: dict[str, Any] = {"name": self.name, "description": self.description}
        for key, value in self.params.items():
            _set_nested(nested, key, value)
        if self.strategies:
            nested["strategies"] = {k: dict(v) for k, v in self.strategies.items()}
        nested["bundles"] = {k: list(v) for k, v in self.bundles.items()}
        if self.names:
            nested["names"] = {kind: {k: dict(v) for k, v in table.items()}
                               for kind, table in self.names.items()}
            if "description" in nested["names"]:  # as written: {en = ..., id = ...}
                nested["names"]["description"] = nested["names"]["description"]["text"]
        return nested

    @property
    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of everything that affects results."""
        payload = {k: v for k, v in self.to_dict().items()
                   if k not in ("description", "names")}
        referenced = self.referenced_files()
        if referenced:  # absent otherwise: hashes of scenarios without files stay as they were
            payload["referenced_files"] = {key: _file_digest(path)
                                           for key, path in referenced.items()}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def referenced_files(self) -> dict[str, Path]:
        """The files the scenario's parameters name, by key (the edge list), resolved beside
        the scenario file."""
        return referenced_files(self.params, self.path)

    def __hash__(self) -> int:
        return hash(self.config_hash)

    def __reduce__(self):
        """Pickle as plain dicts (a ``MappingProxyType`` cannot be pickled); the copy is
        frozen again by :func:`_unpickle`, equal to this one, and runs the same numbers."""
        strategies = {name: dict(config) for name, config in self.strategies.items()}
        names = {kind: {k: dict(v) for k, v in table.items()}
                 for kind, table in self.names.items()}
        return (_unpickle, (self.name, dict(self.params), self.description, strategies,
                            dict(self.bundles), self.path, names))


def referenced_files(params: Mapping[str, Any], path: str | Path | None) -> dict[str, Path]:
    """The files ``params`` name (see :meth:`Scenario.referenced_files`): the edge list
    whenever a path is given, also when another network is chosen (a design may switch
    ``network.kind`` to it)."""
    if not params.get(EDGELIST):
        return {}
    base = Path(path).parent if path else Path(".")
    return {EDGELIST: base / params[EDGELIST]}


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (``"unreadable"`` if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def check_references(params: Mapping[str, Any], path: str | Path | None, source: str) -> None:
    """Every file the parameters name exists and parses, as a run would read it: an
    ``edgelist`` network needs its file, two household indices per line, each inside the
    scenario's households (a run with another household count checks again)."""
    if params.get("network.kind") != "edgelist":
        return
    if not params.get(EDGELIST):
        raise InputError(source, EDGELIST, "kind 'edgelist' needs a file path (relative to "
                         "the scenario file)")
    for file in referenced_files(params, path).values():
        from_edgelist(file, int(params["population.households"]), source)


def _unpickle(name: str, params: dict[str, Any], description: str,
              strategies: dict[str, dict[str, Any]], bundles: dict[str, tuple[str, ...]],
              path: str | None, names: dict[str, Any] | None = None) -> Scenario:
    """The :class:`Scenario` of :meth:`Scenario.__reduce__` (already validated once)."""
    frozen = MappingProxyType({name_: MappingProxyType(config)
                               for name_, config in strategies.items()})
    return Scenario(name, MappingProxyType(params), description, frozen,
                    MappingProxyType(bundles), path, _frozen_names(names or {}))


def _frozen_names(names: Mapping[str, Mapping[str, Mapping[str, str]]]
                  ) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    return MappingProxyType({kind: MappingProxyType({k: MappingProxyType(dict(v))
                                                     for k, v in table.items()})
                             for kind, table in names.items()})


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
    own = _read_toml(path)  # the warnings speak of what this file itself says
    return from_dict(raw, source=str(path), path=path, own=own)


def decode_toml(data: bytes) -> dict[str, Any]:
    """The tables of TOML ``data``: UTF-8, a leading byte-order mark (as Notepad writes it)
    accepted. Raises ``UnicodeDecodeError`` or ``tomllib.TOMLDecodeError``."""
    return tomllib.loads(data.decode("utf-8").removeprefix("\ufeff"))


def read_toml_text(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML input file; return its tables and its text. Every failure (missing,
    unreadable, not UTF-8, not TOML) is one :class:`InputError` naming the file; a UTF-8
    byte-order mark is accepted (and left out of the text)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "not valid TOML (the file is not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(str(path), None, f"not valid TOML ({err})") from None
    except IsADirectoryError:
        raise InputError(str(path), None, "is a folder, not a file") from None
    except OSError as err:
        raise InputError(str(path), None, f"cannot read file ({err.strerror or err})") from None


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml_text(path)[0]


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The tables of ``path`` merged over those of the scenario it ``extends`` (and so on, at
    most :data:`MAX_EXTENDS` files deep; a circle is refused)."""
    files: list[tuple[Path, dict[str, Any]]] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in chain:
            cycle = " -> ".join(p.name for p in (*chain, resolved))
            raise InputError(str(current), "extends", f"circular extends ({cycle})")
        if len(chain) >= MAX_EXTENDS:
            raise InputError(str(path), "extends", f"a chain of more than {MAX_EXTENDS} "
                             f"scenario files (stopped at {current}); allowed: at most "
                             f"{MAX_EXTENDS} files, each extending the next")
        chain = (*chain, resolved)
        raw = _read_toml(current)
        parent_ref = raw.pop("extends", None)
        files.append((current, raw))
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str) or not parent_ref:
            raise InputError(str(current), "extends", f"got {parent_ref!r}; allowed: the name "
                             "of a scenario file beside it")
        parent_path = current.parent / parent_ref
        if not parent_path.is_file():
            raise InputError(str(current), "extends", f"file {parent_ref!r} not found beside it")
        current = parent_path
    merged: dict[str, Any] = {}
    for file, raw in reversed(files):  # the farthest ancestor first
        merged = _rebase(merged, file, path)
        merged = _merge(merged, _rebase(raw, file, path))
    return merged


def _rebase(raw: dict[str, Any], file: Path, target: Path) -> dict[str, Any]:
    """``raw`` read from ``file`` with the file path it names (the edge list, relative to
    ``file``) made relative to ``target``, whose folder the merged scenario resolves from."""
    network = raw.get("network")
    if file == target or not isinstance(network, dict) or not isinstance(
            network.get("edgelist"), str) or not network["edgelist"] or Path(
            network["edgelist"]).is_absolute():
        return raw
    moved = os.path.relpath(file.parent / network["edgelist"], target.parent)
    return {**raw, "network": {**network, "edgelist": moved}}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def from_dict(raw: Mapping[str, Any], source: str = "<scenario>",
              path: Path | None = None, own: Mapping[str, Any] | None = None) -> Scenario:
    """Validate nested scenario data (as read from TOML) into a :class:`Scenario`.

    ``own``: the tables of the file itself, before ``extends`` merged its ancestors in; the
    warnings (:func:`_warn_idle`) speak only of the strategies and bundles it defines
    (None: all of them)."""
    raw = dict(raw)
    if "description" in raw and not isinstance(raw["description"], str):
        raise InputError(source, "description", "must be a string")
    if "name" in raw:
        name = check_name(raw.pop("name"), source, "name", "it names the results folder of "
                          "'sanisim run' and the scenario in every table")
    elif path and is_name(Path(source).stem):
        name = Path(source).stem
    elif path:
        raise InputError(source, "name", f"missing, and the file name {Path(source).stem!r} "
                         "cannot name a results folder; add name = \"...\" (letters, digits, "
                         "'_', '-' and '.')")
    else:
        name = "scenario"
    description = raw.pop("description", "")
    raw.pop("extends", None)
    names_raw = raw.pop("names", {})
    strategy_raw = {k: raw.pop(k) for k in STRATEGY_KEYS if k in raw}

    params = {p.key: p.default for p in PARAMETERS}
    for key, value in _flatten(raw, source):
        params[key] = check_value(key, value, source)
    check_shares(params, source)

    strategies, bundles = parse_strategy_tables(
        strategy_raw.get("strategies", {}), strategy_raw.get("bundles", {}), source)
    names = parse_names(names_raw, {"bundles": bundles, "strategies": strategies}, source)
    for bundle in bundles:
        check_name(bundle, source, f"bundles.{bundle}", "a bundle names a results folder of "
                   "'sanisim run'")
    check_references(params, path, source)
    check_requirements(strategies, params, source)
    own = strategy_raw if own is None else own
    _warn_idle({k: v for k, v in strategies.items() if k in _table(own, "strategies")},
               {k: v for k, v in bundles.items() if k in _table(own, "bundles")},
               _table(own, "bundles"), params, source)
    return Scenario(name, MappingProxyType(params), description, strategies, bundles,
                    str(path) if path else None, names)


def parse_names(raw: Any, declared: Mapping[str, Mapping[str, Any]], source: str
                ) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    """Check ``[names]``: per kind (bundles, strategies) a table ``key = {en = ..., id = ...}``
    for keys the scenario declares; every name a non-empty string in every language."""
    if not isinstance(raw, dict):
        raise InputError(source, "names", "must be a table with [names.bundles] and/or "
                         "[names.strategies]")
    names: dict[str, dict[str, dict[str, str]]] = {}
    for kind, table in raw.items():
        if kind not in NAME_KINDS:
            if kind == "description":  # the description in every language
                names["description"] = {"text": _entry(table, source, "names.description")}
                continue
            raise InputError(source, f"names.{kind}", "unknown key; allowed: "
                             + ", ".join((*NAME_KINDS, "description")))
        if not isinstance(table, dict):
            raise InputError(source, f"names.{kind}", "must be a table: KEY = {en = \"...\", "
                             "id = \"...\"}")
        for key, entry in table.items():
            where = f"names.{kind}.{key}"
            if key not in declared[kind]:
                near = difflib.get_close_matches(key, list(declared[kind]), n=1, cutoff=0.6)
                hint = (f"did you mean {near[0]!r}?" if near else
                        "allowed: " + (", ".join(declared[kind]) or "none declared"))
                raise InputError(source, where, f"names no {kind[:-1]} of this scenario; "
                                 + hint)
            names.setdefault(kind, {})[key] = _entry(entry, source, where)
    return _frozen_names(names)


def _entry(entry: Any, source: str, where: str) -> dict[str, str]:
    """One ``{en = "...", id = "..."}`` of ``[names]``, checked."""
    if not isinstance(entry, dict) or set(entry) != set(NAME_LANGUAGES) or not all(
            isinstance(v, str) and v.strip() for v in entry.values()):
        raise InputError(source, where, "must be {en = \"English text\", "
                         "id = \"Indonesian text\"} (both non-empty)")
    return {lang: " ".join(entry[lang].split()) for lang in NAME_LANGUAGES}


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, dict) else {}


def _warn_idle(strategies: Mapping[str, Any], bundles: Mapping[str, tuple[str, ...]],
               raw_bundles: Any, params: Mapping[str, Any], source: str) -> None:
    """Warnings (not errors) for what is allowed but most likely a slip: a strategy that
    starts after the horizon, a strategy listed twice in a bundle, and ``baseline`` given
    programmes (it is the comparison arm every paired difference is taken against)."""
    horizon = int(params["run.months"])
    for name, config in strategies.items():
        if config["start"] > horizon:
            log.warning("%s: strategies.%s.start: month %d is after the horizon (run.months = "
                        "%d); the strategy never acts in a run of that length", source, name,
                        config["start"], horizon)
    for bundle, members in bundles.items():
        twice = sorted({m for m in members if members.count(m) > 1})
        if twice:
            log.warning("%s: bundles.%s: lists %s more than once; a strategy acts once a "
                        "month however often it is listed", source, bundle,
                        ", ".join(map(repr, twice)))
    if raw_bundles.get("baseline") and "baseline" in bundles:
        log.warning("%s: bundles.baseline: redefined with programmes (%s); every paired "
                    "difference is taken against this bundle", source,
                    ", ".join(bundles["baseline"]))


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
            err = InputError(source, key, f"{err.message} (top-level keys: name, description, "
                             "extends, names, strategies, bundles, or a section)")
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
