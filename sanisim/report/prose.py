"""The report's words: English and Bahasa Indonesia prose from ``lang/<lang>.toml``.

Every sentence, caption and label the report and its figures show lives in one TOML file per
language (``sanisim/report/lang/en.toml``, ``id.toml``) with the same keys, so a translator edits
text, not code, and a test checks that both files hold every key. Names of rungs, strategy
bundles, funders and groups, and the number formats, are shared with the rest of the package and
stay in :mod:`sanisim.i18n`.

Two kinds of text:

- plain text (:func:`text`, :func:`word`, :func:`table_caption`, :func:`figure`): ``{name}``
  fields filled with :meth:`str.format`; the page template escapes it;
- finding sentences (:func:`sentence`): HTML (``<b>``) kept, every value filled in escaped by
  :class:`markupsafe.Markup` (Jinja2's own escaping), so the result is safe to put on the page.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from sanisim.i18n import LANGUAGES, check_lang, number

__all__ = ["LANGUAGES", "check_lang", "draws_held", "figure", "fund", "holds", "interval_note",
           "keys", "prose", "sentence", "table_caption", "text", "uncertainty_sentence", "word",
           "years"]


@cache
def prose(lang: str) -> dict[str, Any]:
    """The parsed prose file of ``lang`` (read once)."""
    check_lang(lang)
    return tomllib.loads(files(__package__).joinpath("lang", f"{lang}.toml")
                         .read_text(encoding="utf-8"))


def keys(lang: str) -> set[str]:
    """Every key of a language's prose file, dotted (``finding.first_reached``)."""
    def walk(table: dict[str, Any], prefix: str) -> set[str]:
        found: set[str] = set()
        for key, value in table.items():
            name = f"{prefix}{key}"
            found |= walk(value, name + ".") if isinstance(value, dict) else {name}
        return found

    return walk(prose(lang), "")


def _fill(template: str, values: dict[str, object]) -> str:
    return template.format(**values) if values else template


def text(key: str, lang: str = "en", **values: object) -> str:
    """A label of the page, a table or a figure (``[text]``), ``{name}`` fields filled."""
    return _fill(prose(lang)["text"][key], values)


def word(key: str, lang: str = "en", **values: object) -> str:
    """A plain word or phrase (``[words]``)."""
    return _fill(prose(lang)["words"][key], values)


def paid(funder: str, lang: str = "en", saved: bool = False) -> str:
    """What a funder's share of the cost means ('from government'), or, for a negative extra
    cost, what is saved ('that government saves')."""
    return prose(lang)["saved" if saved else "paid"][funder]


def fund(key: str, lang: str = "en", **values: object) -> str:
    """A phrase of the "what to fund" section (``[fund]``), ``{name}`` fields filled."""
    return _fill(prose(lang)["fund"][key], values)


def table_caption(key: str, lang: str = "en", **values: object) -> str:
    return _fill(prose(lang)["table"][key], values)


def figure(key: str, lang: str = "en") -> tuple[str, str]:
    """A figure's title and caption."""
    entry = prose(lang)["figure"][key]
    return entry["title"], entry["caption"]


def sentence(key: str, lang: str = "en", **values: object) -> Markup:
    """A finding sentence (``[finding]``): its HTML kept, every value escaped unless it is
    already :class:`~markupsafe.Markup` (a sentence piece filled the same way)."""
    return Markup(prose(lang)["finding"][key]).format(**values)


# --------------------------------------------------------------------------- intervals


def draws_held(interval_holds: str) -> int:
    """Posterior draws an ``interval_holds`` field names (0: seed noise only)."""
    found = re.search(r"\((\d+) posterior draws?\)", str(interval_holds))
    return int(found.group(1)) if found else 0


def holds(interval_holds: str, lang: str = "en", short: bool = False) -> str:
    """What an interval holds, in words: from the analysis field ``interval_holds``
    (``short``: without the number of draws, for text inside parentheses)."""
    draws = draws_held(interval_holds)
    if not draws:
        return prose(lang)["holds"]["seed"]
    words = prose(lang)["holds"]["posterior"]
    return words.split(" (")[0] if short else words.format(draws=draws)


def interval_note(interval_holds: str, lang: str = "en") -> str:
    """'95% intervals: seed noise only' (a label for figures and table captions)."""
    return word("interval_note", lang, holds=holds(interval_holds, lang))


def uncertainty_sentence(interval_holds: str, reps: str, runs: str, lang: str = "en") -> str:
    """The plain-language sentence on what the report's bands and ranges hold."""
    draws = draws_held(interval_holds)
    kind = "posterior" if draws else "seed"
    return prose(lang)["uncertainty"][kind].format(reps=reps, runs=runs, draws=draws)


def years(months: float, lang: str = "en") -> str:
    """Months as years with their unit: '5 years', '1 year', '1.7 years', '1,7 tahun'."""
    value = months / 12
    whole = abs(value - round(value)) < 0.05
    n = number(value, lang, 0 if whole else 1)
    return word("year" if whole and round(value) == 1 else "years", lang, n=n)
