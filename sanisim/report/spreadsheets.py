"""The report's tables as files: CSV in raw units for analysis, and CSV that Indonesian-locale
spreadsheets read as they are.

``tables/NAME.csv`` (every report): comma-separated, decimal point, English column names, raw
units (shares 0-1, rupiah, months) — for pandas, R and English-locale spreadsheets.

``tabel/NAME.csv`` (the Indonesian report, ``--lang id``): the same numbers for Excel or
LibreOffice set to Indonesian: semicolon-separated, decimal comma (Excel in the Indonesian
locale uses "," as the decimal sign and ";" as the list separator, so a comma-separated file
with decimal points opens as text in one column), UTF-8 with a byte-order mark (so Excel reads
the characters right), Indonesian column names (``lang/columns.id.toml``; a parameter column
``param:KEY`` reads ``parameter:KEY``) and Indonesian words for what an interval holds.

``tables/tables.xlsx`` and ``tabel/tabel.xlsx``: every table of the folder as one sheet of an
Excel workbook (openpyxl), numbers stored as numbers (so any locale shows its own decimal
sign), with the folder's column names. Excel allows at most 31 characters in a sheet name: a
longer table name is cut to 31 (and cut shorter and given ``~2``, ``~3`` ... should two cut
names meet); the CSV files keep the full names. Every time a workbook holds (its document
properties and the date of each part of the zip file) is the time the results were made, not
the time of writing: the same results give the same bytes.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from sanisim.report import prose
from sanisim.runs.posterior import POSTERIOR_PREFIX
from sanisim.runs.results import PARAM_PREFIX

ENGLISH_FOLDER = "tables"
INDONESIAN_FOLDER = "tabel"
#: Indonesian-locale spreadsheet CSV: list separator and decimal sign.
ID_SEPARATOR, ID_DECIMAL = ";", ","
#: The workbook of each folder.
WORKBOOK = {ENGLISH_FOLDER: "tables.xlsx", INDONESIAN_FOLDER: "tabel.xlsx"}
#: Excel's longest sheet name.
SHEET_NAME_MAX = 31


@cache
def indonesian_columns() -> dict[str, str]:
    """Column name -> Indonesian column name (``lang/columns.id.toml``)."""
    text = files(__package__).joinpath("lang", "columns.id.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["columns"])


def indonesian_header(column: str) -> str:
    """The Indonesian name of a table column (a column not in ``columns.id.toml`` keeps its
    name: a new output column never stops a report)."""
    if column.startswith(PARAM_PREFIX):
        return "parameter:" + column.removeprefix(PARAM_PREFIX)
    if column.startswith(POSTERIOR_PREFIX):
        return "posterior:" + column.removeprefix(POSTERIOR_PREFIX)
    return indonesian_columns().get(column, column)


def untranslated(columns) -> list[str]:
    """Columns that keep their English name in the Indonesian folder."""
    return [c for c in columns if not c.startswith((PARAM_PREFIX, POSTERIOR_PREFIX))
            and c not in indonesian_columns()]


def indonesian(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with Indonesian column names and interval descriptions."""
    out = frame.copy()
    if "interval_holds" in out.columns:
        out["interval_holds"] = [prose.holds(str(v), "id") if isinstance(v, str) else v
                                 for v in out["interval_holds"]]
    return out.rename(columns={c: indonesian_header(c) for c in out.columns})


def sheet_names(names: Iterable[str]) -> dict[str, str]:
    """Table name -> sheet name: at most :data:`SHEET_NAME_MAX` characters, unique ignoring
    case (Excel's rule), without the characters Excel refuses (``[]:*?/\\``)."""
    sheets: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "table"
        sheet, n = clean[:SHEET_NAME_MAX], 1
        while sheet.lower() in taken:
            n += 1
            suffix = f"~{n}"
            sheet = clean[:SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(sheet.lower())
        sheets[name] = sheet
    return sheets


#: A workbook's time when the results do not say when they were made (the zip format's
#: first day).
NO_TIME = datetime(1980, 1, 1, tzinfo=UTC)
_CORE_PROPERTIES = "docProps/core.xml"
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def workbook_time(created: object) -> datetime:
    """The time a workbook records: ``created`` (an ISO 8601 time, as a results manifest
    holds it) in UTC, or :data:`NO_TIME` when it is missing or not a time."""
    try:
        when = datetime.fromisoformat(str(created))
    except ValueError:
        return NO_TIME
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return max(when.replace(microsecond=0), NO_TIME)


def pin_times(path: Path, when: datetime) -> Path:
    """Rewrite the workbook at ``path`` with ``when`` as every time it holds.

    openpyxl writes the time of saving as the document's "created" and "modified" properties
    and as the date of each part of the zip file, so the same tables saved twice would differ.
    The parts are written again in their order, deflated as before.
    """
    with zipfile.ZipFile(path) as saved:
        parts = [(info, saved.read(info)) for info in saved.infolist()]
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as pinned:
        for info, data in parts:
            if info.filename == _CORE_PROPERTIES:
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<3>", data)
            part = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            part.compress_type = zipfile.ZIP_DEFLATED
            part.external_attr = info.external_attr
            pinned.writestr(part, data)
    return path


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, when: datetime = NO_TIME
                   ) -> Path:
    """All ``tables`` in one ``.xlsx`` workbook at ``path``, one sheet per table (in order),
    header row frozen, ``when`` its time (:func:`pin_times`)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, sheet in sheet_names(tables).items():
            tables[name].to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 0))
    return pin_times(path, when)


def write_tables(tables: dict[str, pd.DataFrame], out: Path, lang: str,
                 localised: dict[str, pd.DataFrame] | None = None,
                 when: datetime = NO_TIME) -> Path:
    """Write every table as ``out/tables/NAME.csv`` and a sheet of ``out/tables/tables.xlsx``,
    and for ``lang`` "id" also as ``out/tabel/NAME.csv`` and ``out/tabel/tabel.xlsx`` for
    Indonesian-locale spreadsheets (``localised`` replaces tables
    there, e.g. the arms with their Indonesian names); returns the folder of ``lang``.
    ``when``: the workbooks' time (the results', :func:`workbook_time`).
    """
    folder = out / ENGLISH_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    write_workbook(tables, folder / WORKBOOK[ENGLISH_FOLDER], when)
    if lang != "id":
        return folder
    folder_id = out / INDONESIAN_FOLDER
    folder_id.mkdir(parents=True, exist_ok=True)
    translated = {name: indonesian(frame)
                  for name, frame in {**tables, **(localised or {})}.items()}
    for name, frame in translated.items():
        frame.to_csv(folder_id / f"{name}.csv", index=False, sep=ID_SEPARATOR,
                     decimal=ID_DECIMAL, encoding="utf-8-sig")
    write_workbook(translated, folder_id / WORKBOOK[INDONESIAN_FOLDER], when)
    return folder_id
