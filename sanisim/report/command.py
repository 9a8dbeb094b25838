"""The ``sanisim report`` verb."""

from __future__ import annotations

import json
from pathlib import Path

from sanisim.errors import InputError
from sanisim.i18n import LANGUAGES
from sanisim.outputs import output_folder, writing
from sanisim.report.decision_outputs import DECIDE_KIND, OPTIMISE_KIND, read_outputs
from sanisim.report.page import report, write_decisions_report
from sanisim.report.rendering import MAX_WORKERS
from sanisim.runs.cli_options import at_least
from sanisim.runs.store import Store


def _decision_kind(folder: Path) -> str | None:
    """The kind of a decide/optimise output folder ('sanisim decisions', ...), else None."""
    try:
        return json.loads((folder / "manifest.json").read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _check_results(results: Path) -> None:
    if not results.exists():
        raise InputError(str(results), None, "no such results folder (the --out of "
                         "'sanisim batch')")
    if not results.is_dir():
        raise InputError(str(results), None, "is a file, not a results folder (the --out of "
                         "'sanisim batch')")
    kind = _decision_kind(results)
    if kind in (DECIDE_KIND, OPTIMISE_KIND):
        option = "--decisions" if kind == DECIDE_KIND else "--optimise"
        raise InputError(str(results), None, f"is an output folder of '{kind.split()[-1]}', "
                         f"not of 'sanisim batch'; give it as {option} DIR (RESULTS_DIR may "
                         "then be left out)")
    Store(results).manifest()  # not a results store: one line, before any output


def cmd_report(args) -> int:
    """``sanisim report [RESULTS_DIR] [--decisions DIR] [--optimise DIR] [--out DIR]
    [--lang en|id] [--workers N]``."""
    decisions = read_outputs(args.decisions, args.optimise)  # checked before any output
    if args.results_dir is None:
        if decisions is None:
            raise InputError("sanisim report", None, "give RESULTS_DIR (the --out of "
                             "'sanisim batch'), --decisions DIR (of 'sanisim decide') or both")
        source = args.decisions if args.decisions is not None else args.optimise
        out = output_folder(Path(args.out) if args.out else Path(source) / "report")
        with writing(out):
            page = write_decisions_report(decisions, out, args.lang)
        print(f"sanisim report: {page}  (what to fund; figures in "
              f"{page.parent / f'figures_{args.lang}'})")
        return 0
    results = Path(args.results_dir)
    _check_results(results)
    out = output_folder(Path(args.out) if args.out else results / "report")
    with writing(out):
        page = report(results, out, args.lang, network=not args.no_network,
                      decisions=decisions, workers=args.workers)
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
                    "as PNG and SVG and the tables as CSV. With --decisions (the output folder "
                    "of 'sanisim decide') and optionally --optimise (of 'sanisim optimise') "
                    "the page adds a 'what to fund' section; without RESULTS_DIR it holds "
                    "that section alone. See docs/report.md.")
    parser.add_argument("results_dir", metavar="RESULTS_DIR", nargs="?", default=None,
                        help="results folder of 'sanisim batch' (its --out); may be left out "
                             "with --decisions or --optimise")
    parser.add_argument("--decisions", default=None, metavar="DIR",
                        help="output folder of 'sanisim decide': adds the 'what to fund' "
                             "section (options ranked, how sure, targets by year, costs per "
                             "budget and year)")
    parser.add_argument("--optimise", default=None, metavar="DIR",
                        help="output folder of 'sanisim optimise' (same district): adds its "
                             "Pareto set as the robust choices for the budgets stated")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: RESULTS_DIR/report, else "
                             "DECISIONS_DIR/report)")
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of the report: en (English) or id (Bahasa Indonesia)")
    parser.add_argument("--no-network", action="store_true",
                        help="skip the network figure (it re-runs one small simulation)")
    parser.add_argument("--workers", type=at_least(1, MAX_WORKERS), default=None,
                        help="processes rendering the figures (default: the usable CPUs, at "
                             f"most {MAX_WORKERS}; 1: in this process)")
    parser.set_defaults(func=cmd_report)
