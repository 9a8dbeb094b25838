"""Two source trees of sanisim stepped in one process, month by month in turn: the A/B of a
speed change.

On a machine whose speed drifts (other virtual machines on the host, its clock), runs in
separate processes taking turns can differ by more than a change of a few percent: on the
machine of the December 2026 AVX2 section of ``docs/performance-log.md``, five such rounds moved
the medians of the same pair by -13% to +48%. Here each tree's ``sanisim`` is imported in turn
into one process (the modules of the one before taken out of ``sys.modules`` first; each model
keeps the modules it was built with), a model is built from each with the same scenario, seed
and size, and the models are stepped alternately, one month each, the order reversed every
month, adding up each one's process CPU time. What the machine does to one month it does to
the other's next to it.

It also says whether the trees computed the same numbers: the household arrays and the
monthly table of each model are hashed at the end (a speed change is meant to leave them as
they were).

``--config`` and ``--households`` take several values: every configuration at every size,
one after the other, then a table of the median changes. A change that helps at the size it
was made for can cost at another (a BCC round planned at once helped 1,000,000 households with
their institutions in proportion and cost 100,000 with the default scenario's 2.8%), so a
change is best measured at every size of the benchmark.

Usage, from the repository root (the tree before a change unpacked beside it)::

    mkdir /tmp/before && git archive HEAD~2 | tar -x -C /tmp/before
    .venv/bin/python benchmarks/ab_trees.py /tmp/before . --config default \
        --households 100000 --runs 2
    # the benchmark's configurations at its two sizes
    .venv/bin/python benchmarks/ab_trees.py /tmp/before . --config default full \
        --households 10000 100000 --runs 3
"""

from __future__ import annotations

import hashlib
import importlib
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import arguments as cli  # benchmarks/ is on sys.path
import bench_step


def source_tree(text: str) -> Path:
    """An argparse type: a folder holding a sanisim package (``sanisim/__init__.py``)."""
    import argparse

    path = Path(text).resolve()
    if not (path / "sanisim" / "__init__.py").is_file():
        raise argparse.ArgumentTypeError(f"{text}: no sanisim/__init__.py there; allowed: the "
                                         "root of a sanisim source tree")
    return path


def _ours(name: str) -> bool:
    return name == "sanisim" or name.startswith("sanisim.")


@contextmanager
def imported(tree: Path):
    """``sanisim`` of ``tree`` importable (first on ``sys.path``, no other ``sanisim`` loaded)
    for the block; afterwards the modules loaded before it are back as they were."""
    saved = {k: v for k, v in sys.modules.items() if _ours(k)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        yield
    finally:
        sys.path.remove(str(tree))
        for name in [k for k in sys.modules if _ours(k)]:
            del sys.modules[name]
        sys.modules.update(saved)


def build(tree: Path, config: str, households: int, seed: int, proportional: bool = False):
    """A model of ``config`` from ``tree``'s own package and scenarios (the scenario as
    ``bench_step.py`` makes it, with the tree's ``sanisim.scenario``; ``proportional``: with
    its institutions ``bench_step.in_proportion`` to ``households``)."""
    with imported(tree):
        model_module = importlib.import_module("sanisim.model")
        if not Path(model_module.__file__).is_relative_to(tree):  # pragma: no cover
            raise RuntimeError(f"sanisim came from {model_module.__file__}, not {tree}")
        scenario = bench_step._scenario(config, households, None, None)
        if proportional:
            scenario = bench_step.in_proportion(scenario, households)
        return model_module.SanitationModel(scenario, seed=seed, households=households,
                                            household_agents=False,
                                            bundle=bench_step.BUNDLES[config])


def fingerprint(model) -> str:
    """A hash of the household arrays and the monthly table."""
    import numpy as np

    digest = hashlib.sha256()
    hh = model.households
    for name in sorted(vars(hh)):
        value = getattr(hh, name)
        if isinstance(value, np.ndarray):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value).tobytes())
    digest.update(model.monthly_table().to_csv().encode())
    return digest.hexdigest()[:16]


def alternate(models: list, months: int) -> list[float]:
    """CPU seconds of each model's steps, stepped one month each in turn (the order reversed
    every month)."""
    spent = [0.0] * len(models)
    for month in range(months):
        order = range(len(models)) if month % 2 == 0 else range(len(models) - 1, -1, -1)
        for i in order:
            start = time.process_time()
            models[i].step()
            spent[i] += time.process_time() - start
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(prog="ab_trees.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=source_tree,
                        help="two or more sanisim source trees (the first is the reference)")
    parser.add_argument("--config", choices=tuple(bench_step.BUNDLES), default=["default"],
                        nargs="+", help="bass, default (baseline bundle) or full "
                                        "(full_package); several: each in turn")
    parser.add_argument("--households", type=cli.household_count, default=[100_000],
                        nargs="+", help="households; several: each in turn")
    parser.add_argument("--months", type=cli.month_count, default=120)
    parser.add_argument("--runs", type=cli.at_least(1), default=2,
                        help="independent pairs of models (fresh builds), each reported")
    parser.add_argument("--seed", type=cli.seed, default=1)
    parser.add_argument("--institutions", choices=bench_step.INSTITUTIONS, default="as-is",
                        help="the scenario's institutions as they are, or everything that "
                             "grows with a district scaled to --households "
                             "(Scenario.scaled)")
    args = parser.parse_args(argv)
    if len(args.trees) < 2:
        parser.error("trees: got one; allowed: two or more sanisim source trees")
    if "bass" in args.config and args.institutions != "as-is":
        parser.error("--institutions: the bass configuration has none; allowed: as-is")

    summary = []
    for config in dict.fromkeys(args.config):
        for n in dict.fromkeys(args.households):
            medians = compare(args, config, n)
            summary.append((config, n, medians))
    if len(summary) > 1:
        print("\nmedian change against the first tree (CPU time):")
        for config, n, medians in summary:
            print(f"  {config:8s} {n:>10,}  " + ", ".join(f"{m:+.1f}%" for m in medians))


def compare(args, config: str, n: int) -> list[float]:
    """One configuration at one size: ``args.runs`` pairs (or sets) of models stepped in
    turn, each run reported; the median change of each tree against the first."""
    months = args.months
    proportional = args.institutions == "in-proportion"
    print(f"{config}, {n:,} households, institutions {args.institutions}, {months} "
          f"months, seed {args.seed}; CPU ns per household-month, stepped in turn in one "
          "process")
    changes = []
    for run in range(1, args.runs + 1):
        models = [build(tree, config, n, args.seed, proportional) for tree in args.trees]
        spent = alternate(models, months)
        ns = [s / months / n * 1e9 for s in spent]
        prints = [fingerprint(m) for m in models]
        changes.append([100 * (x / ns[0] - 1) for x in ns[1:]])
        cells = "  ".join(f"{x:8.2f}" + (f" ({c:+.1f}%)" if i else "")
                          for i, (x, c) in enumerate(zip(ns, [0.0] + changes[-1], strict=True)))
        same = "same numbers" if len(set(prints)) == 1 else "NUMBERS DIFFER: " + " ".join(prints)
        print(f"run {run}: {cells}   {same}")
        del models
    medians = [statistics.median(c[i] for c in changes) for i in range(len(changes[0]))]
    if args.runs > 1:
        print("median change against the first tree: "
              + ", ".join(f"{m:+.1f}%" for m in medians))
    return medians


if __name__ == "__main__":
    main()
