"""Every relative link of the README and the docs leads somewhere: the file exists and, when
the link names a section (``page.md#section``), the page has a heading of that name (GitHub's
anchors: lower case, punctuation dropped, spaces as hyphens). Pages are split and sections
renamed over time; a reader following a link should not land on nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = (ROOT / "README.md", ROOT / "benchmarks" / "README.md",
         *sorted((ROOT / "docs").glob("*.md")))

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_HEADING = re.compile(r"^#{1,6} (.*)$", re.M)


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def broken_links(pages) -> list[str]:
    """``page: target`` for every relative link whose file or section is missing."""
    broken = []
    for page in pages:
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in _LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
                continue
            path, _, section = target.partition("#")
            dest = (page.parent / path) if path else page
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif section and dest.suffix == ".md":
                headings = {anchor(h) for h in _HEADING.findall(
                    _FENCE.sub("", dest.read_text(encoding="utf-8")))}
                if section not in headings:
                    broken.append(f"{page.name}: {target} (no such section)")
    return broken


def test_every_relative_link_of_the_docs_resolves():
    assert len(PAGES) > 10
    assert broken_links(PAGES) == []


@pytest.mark.parametrize("link, found", [
    ("[log](performance-log.md)", True),
    ("[log](performance-log.md#setup-household-agents-on-first-use)", True),
    ("[gone](no-such-page.md)", False),
    ("[gone](performance-log.md#no-such-section)", False),
    ("[here](#a-section-here)", True),
    ("[here](#not-here)", False),
    ("[web](https://example.org/x.md)", True),
])
def test_a_missing_page_or_section_is_found(tmp_path, link, found):
    (tmp_path / "performance-log.md").write_text(
        "# Log\n\n### Setup: household agents on first use\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\n## A section, here\n\nSee {link}.\n\n```\n[x](code.md)\n```\n",
                    encoding="utf-8")
    assert (broken_links([page]) == []) is found
