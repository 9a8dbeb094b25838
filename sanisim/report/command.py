"""The ``sanisim report`` verb."""

from __future__ import annotations

from pathlib import Path

from sanisim.errors import InputError
from sanisim.i18n import LANGUAGES
from sanisim.outputs import output_folder, writing
from sanisim.report.page import report
from sanisim.runs.store import Store


def cmd_report(args) -> int:
    """``sanisim report RESULTS_DIR [--out DIR] [--lang en|id]``."""
    results = Path(args.results_dir)
    if not results.exists():
        raise InputError(str(results), None, "no such results folder (the --out of "
                         "'sanisim batch')")
    if not results.is_dir():
        raise InputError(str(results), None, "is a file, not a results folder (the --out of "
                         "'sanisim batch')")
    Store(results).manifest()  # not a results store: one line, before any output
    out = output_folder(Path(args.out) if args.out else Path(args.results_dir) / "report")
    with writing(out):
        page = report(args.results_dir, out, args.lang, network=not args.no_network)
    folder = page.parent
    print(f"sanisim report: {page}  (figures in {folder / f'figures_{args.lang}'}, "
          f"tables in {folder / 'tables'})")
    return 0


def register(verbs) -> None:
    """Add the ``report`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "report", help="write the policy report (HTML, figures, tables) for a results folder",
        description="Read a results folder written by 'sanisim batch' and write one "
                    "self-contained HTML report (figures embedded, opens offline), the figures "
                    "as PNG and SVG and the tables as CSV. See docs/report.md.")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="results folder of 'sanisim batch' (its --out)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: RESULTS_DIR/report)")
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of the report: en (English) or id (Bahasa Indonesia)")
    parser.add_argument("--no-network", action="store_true",
                        help="skip the network figure (it re-runs one small simulation)")
    parser.set_defaults(func=cmd_report)
