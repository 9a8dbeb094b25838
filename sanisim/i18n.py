"""Words for people: English and Bahasa Indonesia names of rungs, programmes, funders, groups.

One place for every label a figure, table or report shows, so the two languages stay in step.
Numbers are formatted here too (Indonesian uses a decimal comma and a thousands dot).

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

#: Every other text of figures and the report, by key.
TEXT: dict[str, dict[str, str]] = {
    # figures
    "month": {"en": "Month", "id": "Bulan"},
    "share_households": {"en": "Share of households", "id": "Persentase rumah tangga"},
    "pp_vs_baseline": {"en": "Difference from baseline (percentage points)",
                       "id": "Selisih terhadap tanpa program (poin persen)"},
    "months_to_target": {"en": "Months to reach target", "id": "Bulan hingga target tercapai"},
    "not_reached": {"en": "not reached", "id": "tidak tercapai"},
    "not_reached_end": {"en": "not reached (at end: {v})", "id": "tidak tercapai (akhir: {v})"},
    "reached_in": {"en": "reached in {k} of {n} runs", "id": "tercapai di {k} dari {n} simulasi"},
    "additional_households": {"en": "Additional households at basic or better",
                              "id": "Tambahan rumah tangga berakses layak"},
    "incremental_cost": {"en": "Additional cost (Rp million)",
                         "id": "Tambahan biaya (juta Rp)"},
    "cost_per_household_axis": {"en": "Cost per additional household (Rp million)",
                                "id": "Biaya per tambahan rumah tangga (juta Rp)"},
    "frontier": {"en": "Efficient frontier", "id": "Batas efisien"},
    "quintile_axis": {"en": "Income quintile", "id": "Kuintil pendapatan"},
    "decision_maker": {"en": "Decision maker", "id": "Pengambil keputusan"},
    "network_title": {"en": "One run, {n} households: each dot a household, "
                            "grouped by RT",
                      "id": "Satu simulasi, {n} rumah tangga: setiap titik satu rumah tangga, "
                            "dikelompokkan per RT"},
    "at_month": {"en": "Month {m}", "id": "Bulan {m}"},
    "at_start": {"en": "At the start (month 0)", "id": "Di awal (bulan 0)"},
    "mean_band": {"en": "mean and 95% CI", "id": "rerata dan SK 95%"},
    "median_range": {"en": "median and 95% of runs", "id": "median dan 95% simulasi"},
    "no_equity": {"en": "no equity columns in this store", "id": "tidak ada data kesetaraan"},
    "no_baseline": {"en": "no baseline arm to compare with",
                    "id": "tidak ada kelompok pembanding tanpa program"},
    "only_baseline": {"en": "This batch holds only the baseline arm, so there is no additional "
                            "household to put a cost on; add strategy bundles to the experiment.",
                      "id": "Batch ini hanya berisi kelompok tanpa program, sehingga tidak ada "
                            "tambahan rumah tangga untuk dihitung biayanya; tambahkan strategi ke "
                            "eksperimen."},
    # report
    "report_title": {"en": "Sanitation strategies compared",
                     "id": "Perbandingan strategi sanitasi"},
    "subtitle": {"en": "{runs} simulated runs: {arms} strategies × {reps} replicates, "
                       "{households} households, {months} months ({years})",
                 "id": "{runs} simulasi: {arms} strategi × {reps} ulangan, {households} rumah "
                       "tangga, {months} bulan ({years})"},
    "subtitle_draws": {"en": "{runs} simulated runs: {arms} strategies × {reps} replicates × "
                             "{draws} posterior draws, {households} households, {months} "
                             "months ({years})",
                       "id": "{runs} simulasi: {arms} strategi × {reps} ulangan × {draws} set "
                             "parameter hasil kalibrasi, {households} rumah tangga, {months} "
                             "bulan ({years})"},
    "key_findings": {"en": "Key findings", "id": "Temuan utama"},
    "q_first": {"en": "Which strategy ends open defecation first?",
                "id": "Strategi mana yang paling cepat menghentikan BABS?"},
    "q_cost": {"en": "What does it cost per additional household?",
               "id": "Berapa biaya per tambahan rumah tangga?"},
    "q_equity": {"en": "Who is left behind?", "id": "Siapa yang tertinggal?"},
    "figures": {"en": "Figures", "id": "Grafik"},
    "tables": {"en": "Tables", "id": "Tabel"},
    "method": {"en": "How to read these numbers", "id": "Cara membaca angka-angka ini"},
    "provenance": {"en": "Provenance", "id": "Asal data"},
    "download": {"en": "Tables as CSV and figures as PNG/SVG are in the same folder as this "
                       "file.",
                 "id": "Tabel (CSV) dan grafik (PNG/SVG) ada di folder yang sama dengan berkas "
                       "ini."},
    "strategy": {"en": "Strategy", "id": "Strategi"},
    "funder": {"en": "Funder", "id": "Penyandang dana"},
    "group": {"en": "Group", "id": "Kelompok"},
    "target": {"en": "Target", "id": "Target"},
    "runs": {"en": "Runs", "id": "Simulasi"},
    "reached": {"en": "Reached", "id": "Tercapai"},
    "median_month": {"en": "Median month", "id": "Bulan (median)"},
    "range_95": {"en": "95% of runs", "id": "95% simulasi"},
    "end_value": {"en": "At end", "id": "Di akhir"},
    "vs_baseline": {"en": "vs baseline", "id": "vs tanpa program"},
    "ci95": {"en": "95% CI", "id": "SK 95%"},
    "ci95_holds": {"en": "95% CI, {holds}", "id": "SK 95%, {holds}"},
    "per_household": {"en": "Rp per additional household",
                      "id": "Rp per tambahan rumah tangga"},
    "added_households": {"en": "Additional households", "id": "Tambahan rumah tangga"},
    "odf_start": {"en": "ODF RTs at start", "id": "RT SBS di awal"},
    "odf_end": {"en": "ODF RTs at end", "id": "RT SBS di akhir"},
    "slipped": {"en": "Slipped back (times)", "id": "Kembali BABS (kali)"},
    "loans_issued": {"en": "Loans issued", "id": "Kredit disalurkan"},
    "written_off": {"en": "Written off", "id": "Dihapusbukukan"},
    "fund_kept": {"en": "Fund kept (cash + loans out) / start",
                  "id": "Dana tersisa (kas + pinjaman beredar) / awal"},
    "arrears": {"en": "Loans in arrears at end", "id": "Kredit menunggak di akhir"},
    "na": {"en": "–", "id": "–"},
}

#: Figure titles and captions, by figure key.
FIGURES: dict[str, dict[str, tuple[str, str]]] = {
    "ladder": {
        "en": ("The sanitation ladder over time",
               "Mean share of households on each rung, by strategy (stacked; replicates "
               "averaged)."),
        "id": ("Tangga sanitasi dari waktu ke waktu",
               "Rerata persentase rumah tangga di setiap anak tangga, per strategi (bertumpuk; "
               "rerata ulangan)."),
    },
    "compare": {
        "en": ("Strategies compared over time",
               "Mean share of households, with the 95% confidence interval of the mean across "
               "replicates (t-based) as a band."),
        "id": ("Perbandingan strategi dari waktu ke waktu",
               "Rerata persentase rumah tangga, dengan selang kepercayaan 95% dari rerata antar "
               "ulangan (berbasis t) sebagai pita."),
    },
    "paired": {
        "en": ("Difference from baseline, same households and seeds",
               "Mean paired difference from the baseline arm (same replicate, same population "
               "and network), percentage points, with its 95% confidence interval."),
        "id": ("Selisih terhadap tanpa program, rumah tangga dan benih acak yang sama",
               "Rerata selisih berpasangan terhadap kelompok tanpa program (ulangan, populasi "
               "dan jaringan yang sama), poin persen, dengan selang kepercayaan 95%."),
    },
    "time_to_target": {
        "en": ("Time to reach the targets",
               "Median month at which the target is first reached, with the range of 95% of "
               "runs; an arrow marks runs that do not reach it within the horizon."),
        "id": ("Waktu untuk mencapai target",
               "Bulan (median) saat target pertama kali tercapai, dengan rentang 95% simulasi; "
               "panah menandai simulasi yang tidak mencapainya dalam horizon."),
    },
    "cost": {
        "en": ("Cost and households gained",
               "Left: additional cost against additional households at basic or better, both "
               "relative to baseline; the line joins strategies on the efficient frontier. "
               "Right: cost per additional household, split by funder."),
        "id": ("Biaya dan tambahan rumah tangga",
               "Kiri: tambahan biaya terhadap tambahan rumah tangga berakses layak, keduanya "
               "dibanding tanpa program; garis menghubungkan strategi di batas efisien. "
               "Kanan: biaya per tambahan rumah tangga, menurut penyandang dana."),
    },
    "equity": {
        "en": ("Who gains: income and gender",
               "Share of households at basic or better at the end, by income quintile and by "
               "gender of the decision maker (mean, 95% CI)."),
        "id": ("Siapa yang mendapat manfaat: pendapatan dan gender",
               "Persentase rumah tangga berakses layak di akhir, menurut kuintil pendapatan dan "
               "gender pengambil keputusan (rerata, SK 95%)."),
    },
    "network": {
        "en": ("The social network of one small run",
               "Households (dots) coloured by rung at the start and at the end of one run of the "
               "leading strategy; lines are social ties; households sit in their RT."),
        "id": ("Jaringan sosial satu simulasi kecil",
               "Rumah tangga (titik) diwarnai menurut anak tangga di awal dan akhir satu "
               "simulasi strategi terdepan; garis adalah ikatan sosial; rumah tangga "
               "dikelompokkan per RT."),
    },
}


#: What an interval holds, from the analysis field ``interval_holds``: chance alone (runs that
#: differ only in their random seed), or chance and the calibration's uncertainty about the
#: behaviour parameters (runs that also differ in a posterior draw).
HOLDS: dict[str, dict[str, str]] = {
    "seed": {"en": "seed noise only",
             "id": "hanya variasi kebetulan"},
    "posterior": {"en": "seed noise and parameter uncertainty ({draws} posterior draws)",
                  "id": "variasi kebetulan dan ketidakpastian parameter perilaku "
                        "({draws} set parameter hasil kalibrasi)"},
}

#: The plain-language sentence near the top of the report on what bands and ranges hold.
UNCERTAINTY: dict[str, dict[str, str]] = {
    "seed": {
        "en": "Bands and ranges show the spread over {reps} random seeds only (chance); they "
              "do not include uncertainty about how households behave.",
        "id": "Pita dan rentang hanya menunjukkan variasi karena kebetulan, dari {reps} "
              "simulasi dengan angka acak yang berbeda; ketidakpastian tentang perilaku rumah "
              "tangga tidak termasuk.",
    },
    "posterior": {
        "en": "Bands and ranges show the spread over {runs} model runs per strategy that "
              "differ in random seed ({reps} seeds) and in behaviour parameters drawn from "
              "the calibration posterior ({draws} draws), so they include both chance and "
              "uncertainty about how households behave.",
        "id": "Pita dan rentang menunjukkan variasi dari {runs} simulasi per strategi yang "
              "berbeda angka acaknya ({reps} angka acak) dan berbeda parameter perilaku rumah "
              "tangganya ({draws} set parameter hasil kalibrasi), jadi mencakup faktor "
              "kebetulan dan ketidakpastian tentang perilaku rumah tangga.",
    },
}


def draws_held(interval_holds: str) -> int:
    """Posterior draws an ``interval_holds`` field names (0: seed noise only)."""
    import re

    found = re.search(r"\((\d+) posterior draws?\)", str(interval_holds))
    return int(found.group(1)) if found else 0


def holds(interval_holds: str, lang: str = "en", short: bool = False) -> str:
    """What an interval holds, in words: from the analysis field ``interval_holds``
    (``short``: without the number of draws, for text inside parentheses)."""
    draws = draws_held(interval_holds)
    if not draws:
        return HOLDS["seed"][lang]
    text = HOLDS["posterior"][lang]
    return text.split(" (")[0] if short else text.format(draws=draws)


def interval_note(interval_holds: str, lang: str = "en") -> str:
    """'95% intervals: seed noise only' (a label for figures and table captions)."""
    head = {"en": "95% intervals", "id": "Selang 95%"}[lang]
    return f"{head}: {holds(interval_holds, lang)}"


def uncertainty_sentence(interval_holds: str, reps: str, runs: str, lang: str = "en") -> str:
    """The plain-language sentence on what the report's bands and ranges hold."""
    draws = draws_held(interval_holds)
    kind = "posterior" if draws else "seed"
    return UNCERTAINTY[kind][lang].format(reps=reps, runs=runs, draws=draws)


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        from sanisim.errors import InputError

        raise InputError("--lang", None, f"unknown language {lang!r}; allowed: "
                         + ", ".join(LANGUAGES))
    return lang


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = TEXT[key][lang]
    return text.format(**values) if values else text


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
        return TEXT["na"][lang]
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(share: float, lang: str = "en", digits: int = 1) -> str:
    """A share (0-1) as a percentage: 12.3% (en) or 12,3% (id)."""
    if share is None or not math.isfinite(share):
        return TEXT["na"][lang]
    return number(100 * share, lang, digits) + "%"


def points(diff: float, lang: str = "en", digits: int = 1) -> str:
    """A difference of shares in percentage points, signed: +2.5 pp (en), +2,5 poin (id)."""
    if diff is None or not math.isfinite(diff):
        return TEXT["na"][lang]
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    unit = " pp" if lang == "en" else " poin"
    return sign + number(abs(100 * diff), lang, digits) + unit


def rupiah(amount: float, lang: str = "en") -> str:
    """Rupiah, rounded for reading: Rp 2.5 million (en), Rp 2,5 juta (id)."""
    if amount is None or not math.isfinite(amount):
        return TEXT["na"][lang]
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
