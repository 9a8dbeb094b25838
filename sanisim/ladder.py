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

#: The rungs as plain ints, for comparisons with the int8 rung array in the monthly step:
#: numpy compares an array with a Python int in the array's own dtype, but converts the array
#: first when given an ``IntEnum`` member (about 13x slower a pass over 100,000 rows; the same
#: results).
OD_CODE, UNIMPROVED_CODE, LIMITED_CODE, BASIC_CODE, SAFELY_MANAGED_CODE = (int(r) for r in Rung)

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
