"""Whether a speed change left every number as it was: a hash of every shipped scenario with
each of its bundles.

A speed change of the monthly step is meant to compute the same numbers. This script runs
every scenario of ``scenarios/`` with each of its bundles (129 pairs today) at a small size,
hashes each model's household arrays and monthly table (``ab_trees.fingerprint``), and writes
the hashes to a JSON file. Given the file of the tree before the change (``--against``), it
prints the pairs whose hashes differ and exits with 1 if any does. ``--tree`` runs another
source tree's ``sanisim`` (and its scenarios), so the tree before a change is hashed by the
same script::

    mkdir /tmp/before && git archive HEAD~1 | tar -x -C /tmp/before
    .venv/bin/python benchmarks/same_numbers.py --tree /tmp/before --json results/before.json
    .venv/bin/python benchmarks/same_numbers.py --against results/before.json

At the defaults (6,000 households, 72 months) the 129 pairs take about a minute on two
cores. The hashes depend on the machine's numpy (its SIMD ``exp``; ``docs/experiments.md``,
"Across machines"), so compare files made on the same machine.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import sys
import time
from pathlib import Path

import arguments as cli  # benchmarks/ is on sys.path
from ab_trees import fingerprint, imported, source_tree

ROOT = Path(__file__).resolve().parent.parent


def pairs(tree: Path, pattern: str) -> list[tuple[Path, str]]:
    """Every shipped scenario file of ``tree`` with each of its bundles, as
    ``(file, bundle)``, those whose ``"scenario/bundle"`` matches ``pattern``."""
    scenario = importlib.import_module("sanisim.scenario")
    found = []
    for path in sorted((tree / "scenarios").glob("*.toml")):
        for bundle in scenario.load(path).bundles:
            if fnmatch.fnmatchcase(f"{path.stem}/{bundle}", pattern):
                found.append((path, bundle))
    return found


def hashes(tree: Path, households: int, months: int, seed: int, pattern: str
           ) -> dict[str, str]:
    """``{"scenario/bundle": hash}`` of ``tree``'s own package and scenarios."""
    with imported(tree):
        scenario = importlib.import_module("sanisim.scenario")
        model_module = importlib.import_module("sanisim.model")
        found = {}
        for path, bundle in pairs(tree, pattern):
            model = model_module.SanitationModel(scenario.load(path), seed=seed,
                                                 households=households, bundle=bundle,
                                                 household_agents=False)
            model.run(months)
            found[f"{path.stem}/{bundle}"] = fingerprint(model)
        return found


def differing(now: dict[str, str], before: dict[str, str]) -> list[str]:
    """The pairs of either file whose hashes are not the same in both (missing counts)."""
    return sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k))


def read_hashes(parser: cli.Parser, path: Path) -> dict:
    """A file of :func:`main`'s ``--json``; anything else refused in one line (exit code 2)."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        parser.error(f"--against: cannot read {path} ({type(err).__name__}); allowed: a JSON "
                     "file written by same_numbers.py --json")
    if not isinstance(found, dict) or not isinstance(found.get("hashes"), dict):
        parser.error(f"--against: {path} holds no 'hashes' table; allowed: a JSON file "
                     "written by same_numbers.py --json")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="same_numbers.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=source_tree, default=ROOT,
                        help="the sanisim source tree to run (default: this one)")
    parser.add_argument("--households", type=cli.household_count, default=6000)
    parser.add_argument("--months", type=cli.month_count, default=72)
    parser.add_argument("--seed", type=cli.seed, default=1)
    parser.add_argument("--only", default="*", metavar="PATTERN",
                        help='"scenario/bundle" pairs matching a shell pattern, e.g. '
                             '"default/*" or "*/full_package" (default: all)')
    parser.add_argument("--json", type=Path, help="write the hashes here")
    parser.add_argument("--against", type=Path,
                        help="a JSON file of hashes this script wrote before, to compare with")
    args = parser.parse_args(argv)
    parser.output_file(args.json, "--json")
    before = read_hashes(parser, args.against) if args.against else None
    if before is not None and (before.get("households"), before.get("months"),
                               before.get("seed")) != (args.households, args.months, args.seed):
        parser.error(f"--against: {args.against} was made with households="
                     f"{before.get('households')}, months={before.get('months')}, seed="
                     f"{before.get('seed')}; allowed: a file made with the same three")

    with imported(args.tree):
        if not pairs(args.tree, args.only):
            parser.error(f"--only: {args.only!r} matches no scenario/bundle pair; allowed: a "
                         'shell pattern such as "default/*"')
    start = time.perf_counter()
    now = hashes(args.tree, args.households, args.months, args.seed, args.only)
    print(f"{len(now)} scenario x bundle pairs, {args.households:,} households, "
          f"{args.months} months, seed {args.seed}: {time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"households": args.households, "months": args.months,
                                         "seed": args.seed, "hashes": now}, indent=1) + "\n")
    if before is None:
        return 0
    wrong = differing(now, {k: v for k, v in before["hashes"].items()
                            if fnmatch.fnmatchcase(k, args.only)})
    if wrong:
        print(f"NUMBERS DIFFER in {len(wrong)} of {len(now)}: " + ", ".join(wrong))
        return 1
    print(f"same numbers in all {len(now)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
