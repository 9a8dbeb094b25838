"""The five-rung sanitation ladder (JMP), with English and Indonesian names."""

from __future__ import annotations

from enum import IntEnum


class Rung(IntEnum):
    OPEN_DEFECATION = 0
    UNIMPROVED = 1
    LIMITED = 2
    BASIC = 3
    SAFELY_MANAGED = 4


N_RUNGS = len(Rung)

#: Column names of rung shares in every output table (JMP names).
RUNG_COLUMNS: tuple[str, ...] = (
    "open_defecation", "unimproved", "limited", "basic", "safely_managed",
)

RUNG_LABELS_EN: tuple[str, ...] = (
    "Open defecation", "Unimproved", "Limited (shared)", "Basic (own improved toilet)",
    "Safely managed",
)

#: Indonesian usage (STBM / Susenas reporting) for reports in Bahasa Indonesia.
RUNG_LABELS_ID: tuple[str, ...] = (
    "BABS (buang air besar sembarangan)", "Akses belum layak", "Numpang / MCK bersama",
    "Akses dasar (layak)", "Akses aman",
)

#: A household "has adopted" in the diffusion sense at basic or better (own improved toilet).
ADOPTED = Rung.BASIC

#: Rungs at which the household owns a facility that can fail.
OWN_FACILITY = (Rung.UNIMPROVED, Rung.BASIC, Rung.SAFELY_MANAGED)
