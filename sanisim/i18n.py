"""Words for people: English and Bahasa Indonesia names of rungs, programmes, funders, groups.

One place for the names every layer shows (rungs, strategy bundles, programmes, funders,
groups, measures, targets: the analysis labels arms with them, the dashboard its legends), read
from one file per language, ``sanisim/data/names.<lang>.toml`` (same keys), so the two languages
stay in step. Numbers are formatted here too (Indonesian uses a decimal comma and a
thousands dot). The report's own prose (sentences, captions, figure labels) is in
:mod:`sanisim.report.prose` and its files ``sanisim/report/lang/<lang>.toml``.

Indonesian names follow district usage: STBM pillar 1 ("stop BABS"), pemicuan (CLTS-style
community triggering), kredit jamban (toilet loans from a koperasi), LLTT (layanan lumpur tinja
terjadwal, scheduled desludging), SANIMAS / IPAL komunal (communal treatment plants), WUS
(wirausaha sanitasi, sanitation entrepreneurs), and the Susenas ladder terms (akses layak,
akses aman).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from importlib.resources import files

from sanisim.errors import InputError
from sanisim.ladder import RUNG_COLUMNS, RUNG_LABELS_EN, RUNG_LABELS_ID

LANGUAGES: tuple[str, ...] = ("en", "id")


def _read_names(lang: str) -> dict:
    return tomllib.loads(files("sanisim").joinpath("data", f"names.{lang}.toml")
                         .read_text(encoding="utf-8"))


#: The parsed names files ``sanisim/data/names.<lang>.toml``, by language (same keys).
NAMES: dict[str, dict] = {lang: _read_names(lang) for lang in LANGUAGES}


def _by_key(section: str) -> dict[str, dict[str, str]]:
    """A names table as {key: {language: name}}, in the order of the English file."""
    return {key: {lang: NAMES[lang][section][key] for lang in LANGUAGES}
            for key in NAMES["en"][section]}


#: Short rung names for legends and table headers (the long ones are in :mod:`sanisim.ladder`).
RUNG_SHORT: dict[str, tuple[str, ...]] = {lang: tuple(NAMES[lang]["rungs"])
                                          for lang in LANGUAGES}
RUNG_LONG: dict[str, tuple[str, ...]] = {"en": RUNG_LABELS_EN, "id": RUNG_LABELS_ID}
#: Display names of the strategy bundles of the shipped scenarios.
BUNDLES: dict[str, dict[str, str]] = _by_key("bundles")
#: Short bundle names for figure legends and axes.
BUNDLES_SHORT: dict[str, dict[str, str]] = _by_key("bundles_short")
#: Names of strategy types (programmes), for text that explains a bundle.
PROGRAMMES: dict[str, dict[str, str]] = _by_key("programmes")
FUNDERS: dict[str, dict[str, str]] = _by_key("funders")
GROUPS: dict[str, dict[str, str]] = _by_key("groups")
#: Measures shown in figures and tables.
MEASURES: dict[str, dict[str, str]] = {
    **{col: {lang: RUNG_SHORT[lang][i] for lang in LANGUAGES}
       for i, col in enumerate(RUNG_COLUMNS)},
    **_by_key("measures")}
TARGETS: dict[str, dict[str, str]] = _by_key("targets")
#: Parameters as people name them (the dashboard's sliders), and their units.
PARAMETERS: dict[str, dict[str, str]] = _by_key("parameters")
PARAMETER_UNITS: dict[str, dict[str, str]] = _by_key("parameter_units")
#: The dashboard's own words (titles, inputs, legends, notes; some with {fields}).
DASHBOARD: dict[str, dict[str, str]] = _by_key("dashboard")

#: How a missing number reads, in every language.
NA = "–"


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError("--lang", None, f"unknown language {lang!r}; allowed: "
                         + ", ".join(LANGUAGES))
    return lang


def _lookup(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    entry = table.get(key)
    if entry is not None:
        return entry[lang]
    return key.replace("_", " ").capitalize()


def bundle_name(bundle: str, lang: str = "en", short: bool = False) -> str:
    """Display name of a strategy bundle (unknown bundles: their name, spaced)."""
    return _lookup(BUNDLES_SHORT if short else BUNDLES, bundle, lang)


def funder_name(funder: str, lang: str = "en") -> str:
    return _lookup(FUNDERS, funder, lang)


def group_name(group: str, lang: str = "en") -> str:
    return _lookup(GROUPS, group, lang)


def measure_name(measure: str, lang: str = "en") -> str:
    return _lookup(MEASURES, measure, lang)


def target_name(target: str, lang: str = "en") -> str:
    return _lookup(TARGETS, target, lang)


def parameter_name(key: str, lang: str = "en") -> str:
    """Display name of a parameter (``behaviour.q_imitation`` -> "Imitation of neighbours (q)")."""
    return _lookup(PARAMETERS, key, lang)


def parameter_unit(key: str, lang: str = "en") -> str:
    """The unit shown beside a parameter's value ("" when none is named)."""
    entry = PARAMETER_UNITS.get(key)
    return entry[lang] if entry is not None else ""


def dashboard_word(key: str, lang: str = "en", **fields: object) -> str:
    """One of the dashboard's words or sentences, its ``{fields}`` filled in."""
    return DASHBOARD[key][lang].format(**fields)


def rung_names(lang: str = "en", short: bool = True) -> tuple[str, ...]:
    return (RUNG_SHORT if short else RUNG_LONG)[lang]


# --------------------------------------------------------------------------- numbers


def number(value: float, lang: str = "en", digits: int = 0) -> str:
    """A number with thousands separators: 12,345.6 (en) or 12.345,6 (id)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NA
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(share: float, lang: str = "en", digits: int = 1) -> str:
    """A share (0-1) as a percentage: 12.3% (en) or 12,3% (id)."""
    if share is None or not math.isfinite(share):
        return NA
    return number(100 * share, lang, digits) + "%"


def points(diff: float, lang: str = "en", digits: int = 1) -> str:
    """A difference of shares in percentage points, signed: +2.5 pp (en), +2,5 poin (id)."""
    if diff is None or not math.isfinite(diff):
        return NA
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    return sign + number(abs(100 * diff), lang, digits) + NAMES[lang]["units"]["points"]


def rupiah(amount: float, lang: str = "en") -> str:
    """Rupiah, rounded for reading: Rp 2.5 million (en), Rp 2,5 juta (id)."""
    if amount is None or not math.isfinite(amount):
        return NA
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e9:
        scaled, unit = amount / 1e9, NAMES[lang]["units"]["billion"]
    elif amount >= 1e6:
        scaled, unit = amount / 1e6, NAMES[lang]["units"]["million"]
    else:
        return f"{sign}Rp {number(round(amount, -3), lang)}"
    digits = 1 if scaled < 100 else 0
    return f"{sign}Rp {number(scaled, lang, digits)} {unit}"


# --------------------------------------------------------------------------- moved

#: Report prose that lived here until 0.1; it is read from the report's prose files now.
_MOVED = {"TEXT", "FIGURES", "HOLDS", "UNCERTAINTY", "t", "holds", "interval_note",
          "uncertainty_sentence", "draws_held"}


def __getattr__(name: str):
    """Deprecated aliases of the report prose now in :mod:`sanisim.report.prose` (loaded when
    asked for, so this module stays below the report layer)."""
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    import warnings

    warnings.warn(f"sanisim.i18n.{name} moved to sanisim.report.prose", DeprecationWarning,
                  stacklevel=2)
    prose = importlib.import_module("sanisim.report.prose")
    if name == "t":
        return prose.text
    tables = {"TEXT": "text", "HOLDS": "holds", "UNCERTAINTY": "uncertainty"}
    if name in tables:
        section = tables[name]
        return {key: {lang: prose.prose(lang)[section][key] for lang in LANGUAGES}
                for key in prose.prose("en")[section]}
    if name == "FIGURES":
        return {key: {lang: prose.figure(key, lang) for lang in LANGUAGES}
                for key in prose.prose("en")["figure"]}
    return getattr(prose, name)
