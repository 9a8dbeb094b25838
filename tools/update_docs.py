"""Rewrite the generated parameter table of docs/model.md from the parameter registry.

The table sits between the lines ``<!-- parameters:start -->`` and ``<!-- parameters:end -->``
and is exactly the output of ``python -m sanisim.parameters``
(:func:`sanisim.parameters.markdown_table`). Everything outside the markers is left alone.

Usage::

    .venv/bin/python tools/update_docs.py           # rewrite the block if it is out of date
    .venv/bin/python tools/update_docs.py --check   # exit 1 if it is out of date, change nothing
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_DOC = ROOT / "docs" / "model.md"
START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"


def generated_table() -> str:
    """The parameter table as the registry prints it."""
    if str(ROOT) not in sys.path:  # run from a checkout without installing the package
        sys.path.insert(0, str(ROOT))
    from sanisim.parameters import markdown_table

    return markdown_table()


def split(text: str) -> tuple[str, str, str]:
    """``text`` as (before and including the start line, the block, end line and after)."""
    if text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"expected exactly one {START!r} and one {END!r} line")
    head, rest = text.split(START, 1)
    block, tail = rest.split(END, 1)
    if not block.startswith("\n"):
        raise ValueError(f"{START!r} must end its line")
    if block != "\n" and not block.endswith("\n"):
        raise ValueError(f"{END!r} must start its line")
    return head + START + "\n", block[1:-1] if block != "\n" else "", END + tail


def current_table(text: str) -> str:
    """The text between the marker lines (without the newlines that end the marker lines)."""
    return split(text)[1]


def rewrite(text: str, table: str) -> str:
    """``text`` with the block between the markers replaced by ``table``."""
    head, _, tail = split(text)
    return f"{head}{table}\n{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report whether the table is up to date (exit 1 if not)")
    parser.add_argument("--doc", type=Path, default=MODEL_DOC, help="document to update")
    args = parser.parse_args(argv)

    text = args.doc.read_text(encoding="utf-8")
    try:
        table = generated_table()
        fresh = rewrite(text, table)
    except ValueError as err:
        print(f"update_docs: {args.doc}: {err}", file=sys.stderr)
        return 2
    if fresh == text:
        print(f"update_docs: {args.doc} parameter table is up to date")
        return 0
    if args.check:
        print(f"update_docs: {args.doc} parameter table is out of date; "
              "run .venv/bin/python tools/update_docs.py", file=sys.stderr)
        return 1
    args.doc.write_text(fresh, encoding="utf-8")
    print(f"update_docs: rewrote the parameter table of {args.doc} "
          f"({table.count(chr(10)) - 1} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
