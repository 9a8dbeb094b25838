"""Words for people: English and Bahasa Indonesia names of rungs, programmes, funders, groups.

One place for the names every layer shows (rungs, strategy bundles, programmes, funders,
groups, measures, targets: the analysis labels arms with them, the dashboard its legends), so the
two languages stay in step. Numbers are formatted here too (Indonesian uses a decimal comma and a
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
from collections.abc import Mapping

from sanisim.ladder import RUNG_COLUMNS, RUNG_LABELS_EN, RUNG_LABELS_ID

LANGUAGES: tuple[str, ...] = ("en", "id")

#: Short rung names for legends and table headers (the long ones are in :mod:`sanisim.ladder`).
RUNG_SHORT: dict[str, tuple[str, ...]] = {
    "en": ("Open defecation", "Unimproved", "Limited (shared)", "Basic", "Safely managed"),
    "id": ("BABS", "Belum layak", "Numpang / MCK bersama", "Akses dasar (layak)", "Akses aman"),
}

RUNG_LONG: dict[str, tuple[str, ...]] = {"en": RUNG_LABELS_EN, "id": RUNG_LABELS_ID}

#: Display names of the strategy bundles of the shipped scenarios.
BUNDLES: dict[str, dict[str, str]] = {
    "baseline": {"en": "Baseline (routine services only)",
                 "id": "Tanpa program tambahan (layanan rutin)"},
    "bcc": {"en": "Behaviour change communication (BCC)",
            "id": "Komunikasi perubahan perilaku (KPP) oleh sanitarian"},
    "demand_creation": {"en": "Demand creation (community triggering, media)",
                        "id": "Penciptaan kebutuhan (pemicuan STBM, media)"},
    "bcc_plus_credit": {"en": "BCC + toilet loans",
                        "id": "KPP + kredit jamban"},
    "top_down_subsidy": {"en": "Top-down hardware subsidy",
                         "id": "Bantuan jamban dari atas (subsidi fisik)"},
    "bcc_before_hardware": {"en": "BCC before hardware",
                            "id": "KPP dulu, baru bantuan fisik"},
    "full_package": {"en": "Full package (BCC, triggering, loans, supply, desludging)",
                     "id": "Paket lengkap (KPP, pemicuan, kredit jamban, WUS, LLTT)"},
    "microcredit": {"en": "Toilet loans (cooperatives)", "id": "Kredit jamban (koperasi)"},
    "supply": {"en": "Sanitation entrepreneurs (supply)",
               "id": "Wirausaha sanitasi (WUS) / penyedia jasa"},
    "desludging": {"en": "Scheduled desludging (LLTT)",
                   "id": "LLTT (layanan lumpur tinja terjadwal)"},
    "communal": {"en": "Communal treatment plants (SANIMAS)",
                 "id": "SANIMAS / IPAL komunal"},
}

#: Short bundle names for figure legends and axes.
BUNDLES_SHORT: dict[str, dict[str, str]] = {
    "baseline": {"en": "Baseline", "id": "Tanpa program"},
    "bcc": {"en": "BCC", "id": "KPP"},
    "demand_creation": {"en": "Demand creation", "id": "Pemicuan"},
    "bcc_plus_credit": {"en": "BCC + loans", "id": "KPP + kredit"},
    "top_down_subsidy": {"en": "Top-down subsidy", "id": "Subsidi fisik"},
    "bcc_before_hardware": {"en": "BCC before hardware", "id": "KPP dulu, fisik kemudian"},
    "full_package": {"en": "Full package", "id": "Paket lengkap"},
    "microcredit": {"en": "Toilet loans", "id": "Kredit jamban"},
    "supply": {"en": "Entrepreneurs", "id": "WUS"},
    "desludging": {"en": "Desludging (LLTT)", "id": "LLTT"},
    "communal": {"en": "SANIMAS", "id": "SANIMAS"},
}

#: Names of strategy types (programmes), for text that explains a bundle.
PROGRAMMES: dict[str, dict[str, str]] = {
    "bcc": {"en": "behaviour change communication", "id": "komunikasi perubahan perilaku"},
    "demand_creation": {"en": "community triggering and mass media",
                        "id": "pemicuan STBM dan media massa"},
    "microcredit": {"en": "toilet loans (cooperatives)", "id": "kredit jamban (koperasi)"},
    "subsidy": {"en": "hardware subsidy", "id": "bantuan stimulan jamban"},
    "supply": {"en": "sanitation entrepreneurs", "id": "wirausaha sanitasi (WUS)"},
    "desludging": {"en": "scheduled desludging", "id": "LLTT (layanan lumpur tinja terjadwal)"},
    "communal": {"en": "communal treatment plants", "id": "SANIMAS / IPAL komunal"},
}

FUNDERS: dict[str, dict[str, str]] = {
    "households": {"en": "households", "id": "rumah tangga"},
    "government": {"en": "government", "id": "pemerintah"},
    "cooperatives": {"en": "cooperatives (net)", "id": "koperasi (neto)"},
    "donors": {"en": "donors", "id": "donor"},
    "total": {"en": "total", "id": "total"},
}

GROUPS: dict[str, dict[str, str]] = {
    "q1": {"en": "Poorest fifth", "id": "20% termiskin"},
    "q2": {"en": "Second fifth", "id": "Kuintil 2"},
    "q3": {"en": "Middle fifth", "id": "Kuintil 3"},
    "q4": {"en": "Fourth fifth", "id": "Kuintil 4"},
    "q5": {"en": "Richest fifth", "id": "20% terkaya"},
    "female": {"en": "Woman decides", "id": "Perempuan pengambil keputusan"},
    "male": {"en": "Man decides", "id": "Laki-laki pengambil keputusan"},
}

#: Measures shown in figures and tables.
MEASURES: dict[str, dict[str, str]] = {
    **{col: {"en": RUNG_SHORT["en"][i], "id": RUNG_SHORT["id"][i]}
       for i, col in enumerate(RUNG_COLUMNS)},
    "basic_or_better": {"en": "Basic or better", "id": "Akses layak (dasar + aman)"},
    "odf_communities": {"en": "ODF communities (RT)", "id": "RT SBS (stop BABS)"},
    "odf_share": {"en": "Share of RTs ODF", "id": "Persentase RT SBS"},
    "odf_slipped_total": {"en": "RTs that slipped back (total)",
                          "id": "RT yang kembali BABS (total)"},
}

TARGETS: dict[str, dict[str, str]] = {
    "zero_open_defecation": {"en": "0% open defecation", "id": "0% BABS"},
    "basic_90": {"en": "90% basic or better", "id": "90% akses layak"},
}

#: How a missing number reads, in every language.
NA = "–"

def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        from sanisim.errors import InputError

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
    unit = " pp" if lang == "en" else " poin"
    return sign + number(abs(100 * diff), lang, digits) + unit


def rupiah(amount: float, lang: str = "en") -> str:
    """Rupiah, rounded for reading: Rp 2.5 million (en), Rp 2,5 juta (id)."""
    if amount is None or not math.isfinite(amount):
        return NA
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e9:
        scaled, unit = amount / 1e9, {"en": "billion", "id": "miliar"}[lang]
    elif amount >= 1e6:
        scaled, unit = amount / 1e6, {"en": "million", "id": "juta"}[lang]
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
