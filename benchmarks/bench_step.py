"""Speed and memory of sanisim's monthly step, against an idiomatic Mesa model of the Bass rule.

For each configuration and size this script starts a fresh Python process (so the peak
resident memory it reports belongs to that configuration alone) which

* builds the synthetic population and the network (timed on their own), then the whole
  :class:`~sanisim.model.SanitationModel` without household view agents, then the
  ``Household`` Mesa agents (timed separately: one Python object per household);
* runs ``model.step()`` (the real step, every phase) for the requested months, timing each
  month, and reports nanoseconds per household-month;
* with ``--setup N``: times ``SanitationModel(...)`` at N households in fresh processes with
  the household view agents made eagerly (``household_agents=True``) and lazily (the default:
  on first use), the first ``model.household_agents()`` after it, and the peak RSS of each;
* reports the household and network arrays in bytes per household, and the process's peak
  resident set size (``resource.getrusage``; includes the interpreter and libraries, whose
  share is given as "baseline RSS") and optionally the ``tracemalloc`` peak.

Configurations: ``default`` (the registry defaults: every mechanism on, routine sanitarians
and two cooperatives, community network) and ``bass`` (``bass_only_scenario`` on the
community network: hazard ``p + q * share of adopted neighbours``, nothing else). ``mesa`` is
the one-agent-at-a-time Mesa model of ``benchmarks/mesa_bass.py`` on the *same* network as
sanisim's Bass-only model of that size and seed; its ratio to sanisim is taken over the same
first months of the same Bass process.

Usage::

    python benchmarks/bench_step.py                       # full run (several minutes)
    python benchmarks/bench_step.py --quick               # 10,000 and 100,000, 24 months
    python benchmarks/bench_step.py --sizes 100000 --months 120 --mesa-sizes 100000 \\
        --json results/bench.json
    python benchmarks/bench_step.py --sizes --mesa-sizes --setup 1000000 --repeats 3
                                                          # setup only: agents eager vs lazy
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from machine_info import cpu_name  # benchmarks/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
CONFIGS = ("default", "bass")


# ------------------------------------------------------------------------------ worker side


def _rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mib() -> float:
    """Resident set size of this process now, MiB (Linux ``/proc/self/statm``; else peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return _rss_mib()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _scenario(config: str, households: int, p: float | None, q: float | None):
    from sanisim.scenario import bass_only_scenario, default_scenario

    base = default_scenario()
    if config == "default":
        return base
    return bass_only_scenario(base["behaviour.p_innovation"] if p is None else p,
                              base["behaviour.q_imitation"] if q is None else q,
                              households=households, network="community")


def _time_population_network(scenario, households: int, seed: int) -> tuple[float, float]:
    """Seconds to synthesise the population and to build the network, as the model does."""
    from sanisim import network as networks
    from sanisim.population import synthesise
    from sanisim.streams import Streams

    streams = Streams(seed)
    start = time.perf_counter()
    hh = synthesise(scenario.params, streams["population"], households)
    mid = time.perf_counter()
    networks.build(scenario.params, hh.rt, hh.rw, streams["network"], scenario.path)
    return mid - start, time.perf_counter() - mid


def run_sanisim(config: str, households: int, months: int, seed: int, agents: bool,
                p: float | None, q: float | None, window: int) -> dict:
    import numpy as np

    from sanisim.agents import Household
    from sanisim.model import SanitationModel

    baseline = _rss_mib()
    scenario = _scenario(config, households, p, q)
    population_s, network_s = _time_population_network(scenario, households, seed)
    gc.collect()

    start = time.perf_counter()
    model = SanitationModel(scenario, seed=seed, households=households, household_agents=False)
    build_s = time.perf_counter() - start
    rss_before_agents = _rss_mib()
    agents_s = None
    if agents:  # exactly what household_agents=True does in SanitationModel.__init__
        start = time.perf_counter()
        for row in range(model.households.n):
            Household(model, row)
        agents_s = time.perf_counter() - start

    month_s, cpu_s = [], 0.0
    for _ in range(months):
        start, cpu = time.perf_counter(), time.process_time()
        model.step()
        month_s.append(time.perf_counter() - start)
        cpu_s += time.process_time() - cpu
    month_s = np.array(month_s)
    n = model.households.n
    hh_bytes, net_bytes = model.households.nbytes(), model.network.nbytes()
    return {
        "model": "sanisim", "config": config, "households": n, "months": months, "seed": seed,
        "household_agents": agents,
        "p": model.params["behaviour.p_innovation"], "q": model.params["behaviour.q_imitation"],
        "population_s": population_s, "network_s": network_s,
        "population_network_s": population_s + network_s,
        "model_build_s": build_s, "agents_s": agents_s,
        "step_s_total": float(month_s.sum()),
        "ns_per_household_month": float(month_s.sum() / (n * months) * 1e9),
        "cpu_ns_per_household_month": cpu_s / (n * months) * 1e9,
        "ns_per_household_month_median_month": float(np.median(month_s) / n * 1e9),
        "window_months": min(window, months),
        "ns_per_household_month_window": float(month_s[:window].sum()
                                               / (n * min(window, months)) * 1e9),
        "households_nbytes": hh_bytes, "network_nbytes": net_bytes,
        "bytes_per_household": (hh_bytes + net_bytes) / n,
        "edges": model.network.n_edges,
        "final_adopted_share": float(model.current["basic_or_better"]),
        "baseline_rss_mib": baseline, "peak_rss_before_agents_mib": rss_before_agents,
        "peak_rss_mib": _rss_mib(),
    }


def run_setup(config: str, households: int, seed: int, when: str) -> dict:
    """Seconds and peak memory of ``SanitationModel(...)`` with its household agents made
    ``when`` ("eager": at construction, ``household_agents=True``; "lazy": the default, on
    first use), then of the first ``model.household_agents()`` (nothing when eager)."""
    from sanisim.model import SanitationModel

    baseline = _rss_mib()
    scenario = _scenario(config, households, None, None)
    gc.collect()
    start = time.perf_counter()
    model = SanitationModel(scenario, seed=seed, households=households,
                            household_agents=True if when == "eager" else "lazy")
    build_s = time.perf_counter() - start
    rss_built, rss_now_built = _rss_mib(), _rss_now_mib()
    start = time.perf_counter()
    count = len(model.household_agents())
    first_use_s = time.perf_counter() - start
    return {"model": "setup", "config": config, "households": households, "seed": seed,
            "when": when, "setup_s": build_s, "first_use_s": first_use_s, "agents": count,
            "baseline_rss_mib": baseline, "peak_rss_after_setup_mib": rss_built,
            "rss_after_setup_mib": rss_now_built, "rss_after_first_use_mib": _rss_now_mib(),
            "peak_rss_mib": _rss_mib()}


def setup_table(results: list[dict]) -> str:
    """Model construction with household agents made eagerly and lazily (fresh processes)."""
    lines = ["| households | household agents | setup (s) | first `household_agents()` (s) "
             "| RSS after setup (MiB) | RSS after first use (MiB) | peak RSS after setup (MiB) "
             "| peak RSS after first use (MiB) | baseline RSS (MiB) |",
             "|--:|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        lines.append(f"| {r['households']:,} | {r['when']} | {r['setup_s']:.2f} | "
                     f"{r['first_use_s']:.2f} | {r['rss_after_setup_mib']:,.0f} | "
                     f"{r['rss_after_first_use_mib']:,.0f} | "
                     f"{r['peak_rss_after_setup_mib']:,.0f} | "
                     f"{r['peak_rss_mib']:,.0f} | {r['baseline_rss_mib']:,.0f} |")
    return "\n".join(lines)


def run_phases(config: str, households: int, months: int, seed: int, p: float | None,
               q: float | None) -> dict:
    """Time each phase of the real ``model.step()`` (phase methods wrapped with a timer)."""
    from sanisim.model import STEP_ORDER, SanitationModel

    scenario = _scenario(config, households, p, q)
    model = SanitationModel(scenario, seed=seed, households=households, household_agents=False)
    spent = dict.fromkeys(STEP_ORDER, 0.0)

    def timed(phase, method):
        def wrapper():
            start = time.perf_counter()
            method()
            spent[phase] += time.perf_counter() - start
        return wrapper

    for phase in STEP_ORDER:
        setattr(model, f"_{phase}", timed(phase, getattr(model, f"_{phase}")))
    start = time.perf_counter()
    for _ in range(months):
        model.step()
    total = time.perf_counter() - start
    scale = 1e9 / (households * months)
    phases = {phase: seconds * scale for phase, seconds in spent.items()}
    phases["(step loop, strategy hooks)"] = (total - sum(spent.values())) * scale
    return {"model": "phases", "config": config, "households": households, "months": months,
            "ns_per_household_month": total * scale, "phases": phases}


def run_mesa(households: int, months: int, seed: int, p: float | None,
             q: float | None) -> dict:
    sys.path.insert(0, str(HERE))
    from mesa_bass import MesaBass, graph_from_sanisim

    from sanisim.model import SanitationModel

    baseline = _rss_mib()
    scenario = _scenario("bass", households, p, q)
    network = SanitationModel(scenario, seed=seed, households=households,
                              household_agents=False).network
    p_, q_ = scenario["behaviour.p_innovation"], scenario["behaviour.q_imitation"]
    start = time.perf_counter()
    graph = graph_from_sanisim(network)
    graph_s = time.perf_counter() - start
    del network
    gc.collect()
    start = time.perf_counter()
    model = MesaBass(graph, p_, q_, seed=seed)
    build_s = time.perf_counter() - start
    month_s, cpu_s = [], 0.0
    for _ in range(months):
        start, cpu = time.perf_counter(), time.process_time()
        model.step()
        month_s.append(time.perf_counter() - start)
        cpu_s += time.process_time() - cpu
    total = sum(month_s)
    return {
        "model": "mesa", "config": "bass", "households": households, "months": months,
        "seed": seed, "p": p_, "q": q_,
        "graph_s": graph_s, "model_build_s": build_s,
        "step_s_total": total,
        "ns_per_household_month": total / (households * months) * 1e9,
        "cpu_ns_per_household_month": cpu_s / (households * months) * 1e9,
        "final_adopted_share": model.adopted_share(),
        "baseline_rss_mib": baseline, "peak_rss_mib": _rss_mib(),
    }


def worker(args: argparse.Namespace) -> None:
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    if args.worker == "setup":
        result = run_setup("default", args.households, args.seed, args.when)
    elif args.worker == "mesa":
        result = run_mesa(args.households, args.months, args.seed, args.p, args.q)
    elif args.worker.startswith("phases-"):
        result = run_phases(args.worker.removeprefix("phases-"), args.households, args.months,
                            args.seed, args.p, args.q)
    else:
        result = run_sanisim(args.worker, args.households, args.months, args.seed,
                             args.agents, args.p, args.q, args.window)
    if args.tracemalloc:
        result["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        result["timings_under_tracemalloc"] = True
    print(json.dumps(result))


# ------------------------------------------------------------------------------ driver side


def spawn(kind: str, households: int, months: int, args: argparse.Namespace,
          agents: bool = True, tracemalloc: bool = False, when: str | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind,
           "--households", str(households), "--months", str(months), "--seed", str(args.seed),
           "--window", str(args.mesa_months)]
    if when is not None:
        cmd += ["--when", when]
    if kind not in ("mesa", "setup") and agents:
        cmd.append("--agents")
    if tracemalloc:
        cmd.append("--tracemalloc")
    for name in ("p", "q"):
        if getattr(args, name) is not None:
            cmd += [f"--{name}", str(getattr(args, name))]
    label = (f"{kind}{'-' + when if when else ''} n={households:,} months={months}"
             + (" (tracemalloc)" if tracemalloc else ""))
    print(f"  running {label} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker failed: {label}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"    {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return result


def machine() -> dict:
    import mesa
    import networkx
    import numpy
    import scipy

    cpu = cpu_name()
    try:
        mem_kib = next(int(line.split()[1]) for line in
                       Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal"))
        ram = f"{mem_kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram": ram,
            "python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "mesa": mesa.__version__,
            "networkx": networkx.__version__, "platform": platform.platform()}


def _fmt(value, spec: str = ",.1f", missing: str = "–") -> str:
    return missing if value is None else format(value, spec)


def markdown(results: list[dict], info: dict, args: argparse.Namespace) -> str:
    load = info.get("load_average_before")
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM; Python "
        f"{info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, mesa {info['mesa']}"
        + (f"; load average at start {load[0]:.2f}." if load else "."),
        "",
        "| model | households | months | ns / household-month | CPU ns / household-month "
        "| population + network (s) | model build (s) | household agents (s) "
        "| bytes / household (arrays) | peak RSS (MiB) | peak RSS before agents (MiB) "
        "| baseline RSS (MiB) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    names = {"default": "sanisim, default scenario", "bass": "sanisim, Bass-only",
             "mesa": "Mesa, one agent at a time (Bass)"}
    for r in results:
        name = names[r["config"] if r["model"] == "sanisim" else "mesa"]
        if r["model"] == "sanisim":
            pn, build, agents = r["population_network_s"], r["model_build_s"], r["agents_s"]
            bytes_hh = _fmt(r["bytes_per_household"], ",.0f")
        else:
            pn, build, agents = None, r["graph_s"] + r["model_build_s"], None
            bytes_hh = "–"
        lines.append(
            f"| {name} | {r['households']:,} | {r['months']} | "
            f"{_fmt(r['ns_per_household_month'])} | {_fmt(r['cpu_ns_per_household_month'])} | "
            f"{_fmt(pn, '.2f')} | {_fmt(build, '.2f')} | {_fmt(agents, '.2f')} | {bytes_hh} | "
            f"{_fmt(r['peak_rss_mib'], ',.0f')} | "
            f"{_fmt(r.get('peak_rss_before_agents_mib'), ',.0f')} | "
            f"{_fmt(r['baseline_rss_mib'], ',.0f')} |")
    traced = [r for r in results if "tracemalloc_peak_mib" in r]
    if traced:
        lines += ["", "tracemalloc peak (separate runs, numpy and Python allocations):", ""]
        lines += [f"- {names[r['config']]}, {r['households']:,} households, {r['months']} months: "
                  f"{r['tracemalloc_peak_mib']:,.0f} MiB" for r in traced]
    lines += ["", *ratio_lines(results, args)]
    return "\n".join(lines)


def phase_table(phases: list[dict]) -> str:
    """Nanoseconds per household-month spent in each phase of the step."""
    names = {"default": "default scenario", "bass": "Bass-only"}
    head = " | ".join(f"{names[r['config']]}, {r['households']:,} (ns)" for r in phases)
    lines = [f"| phase | {head} |", "|---|" + "--:|" * len(phases)]
    for phase in phases[0]["phases"]:
        cells = " | ".join(f"{r['phases'][phase]:.1f}" for r in phases)
        lines.append(f"| {phase} | {cells} |")
    total = " | ".join(f"**{r['ns_per_household_month']:.1f}**" for r in phases)
    lines.append(f"| **whole step** | {total} |")
    return "\n".join(lines)


def ratio_lines(results: list[dict], args: argparse.Namespace) -> list[str]:
    out = []
    for m in (r for r in results if r["model"] == "mesa"):
        s = next((r for r in results if r["model"] == "sanisim" and r["config"] == "bass"
                  and r["households"] == m["households"]), None)
        if s is None:
            continue
        window = s["ns_per_household_month_window"]
        out.append(
            f"Mesa / sanisim Bass-only at {m['households']:,} households: "
            f"{m['ns_per_household_month'] / window:,.0f}x over the same first "
            f"{s['window_months']} months ({m['ns_per_household_month']:,.0f} vs "
            f"{window:.1f} ns per household-month); "
            f"{m['ns_per_household_month'] / s['ns_per_household_month']:,.0f}x against "
            f"sanisim's {s['months']}-month mean.")
    return out


def targets(results: list[dict]) -> list[str]:
    """The acceptance targets of issue 2, checked on this run."""
    def find(model, config, n):
        return next((r for r in results if r["model"] == model and r["config"] == config
                     and r["households"] == n), None)

    out = []
    bass, full, mesa = (find("sanisim", "bass", 100_000), find("sanisim", "default", 100_000),
                        find("mesa", "bass", 100_000))
    if bass:
        v = bass["ns_per_household_month"]
        out.append(f"Bass-only at 100,000: {v:.1f} ns <= 30: {'met' if v <= 30 else 'MISSED'}")
    if bass and mesa:
        ratio = mesa["ns_per_household_month"] / bass["ns_per_household_month_window"]
        out.append(f"Mesa / Bass-only at 100,000: {ratio:,.0f}x >= 100: "
                   f"{'met' if ratio >= 100 else 'MISSED'}")
    if full:
        v = full["ns_per_household_month"]
        out.append(f"default at 100,000: {v:.1f} ns <= 150: {'met' if v <= 150 else 'MISSED'}")
        v = full["population_network_s"]
        out.append(f"population + network at 100,000: {v:.2f} s < 5: "
                   f"{'met' if v < 5 else 'MISSED'}")
        v = full["peak_rss_mib"]
        out.append(f"peak RSS, default with household agents, 100,000: {v:,.0f} MiB < 1024: "
                   f"{'met' if v < 1024 else 'MISSED'}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Nanoseconds per household-month, build time and peak memory of sanisim, "
                    "and the ratio to an idiomatic one-agent-at-a-time Mesa model.")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                        help="household counts for sanisim (default: 10k 100k 1M)")
    parser.add_argument("--months", type=int, default=120, help="months per sanisim run")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--mesa-sizes", type=int, nargs="*", default=[10_000, 100_000],
                        help="household counts for the Mesa model (none: skip it)")
    parser.add_argument("--mesa-months", type=int, default=12,
                        help="months per Mesa run; the ratio uses sanisim's same first months")
    parser.add_argument("--no-agents-above", type=int, default=None, metavar="N",
                        help="skip creating Household view agents for sizes above N")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also run each sanisim configuration once under tracemalloc "
                             "(separate processes; their timings are not used)")
    parser.add_argument("--phases", type=int, default=None, metavar="N",
                        help="also time each phase of the step at N households (separate runs)")
    parser.add_argument("--setup", type=int, nargs="*", default=[], metavar="N",
                        help="also time model construction at N households with the household "
                             "agents made eagerly and lazily (fresh processes, default scenario)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run each timing this many times (fresh processes) and keep the "
                             "fastest, to discount interference from other load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--p", type=float, default=None,
                        help="Bass p for the Bass-only and Mesa runs (default: scenario default)")
    parser.add_argument("--q", type=float, default=None,
                        help="Bass q for the Bass-only and Mesa runs (default: scenario default)")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 and 100,000 households, 24 months (a smoke run)")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")
    # worker mode (internal)
    parser.add_argument("--when", choices=("eager", "lazy"), help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=(*CONFIGS, "mesa", "setup",
                                             *(f"phases-{c}" for c in CONFIGS)),
                        help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--agents", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--window", type=int, default=12, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args)
        return
    if args.quick:
        args.sizes, args.months = [10_000, 100_000], 24

    info = machine()
    info["load_average_before"] = os.getloadavg()

    def fastest(kind: str, n: int, months: int, **kw) -> dict:
        runs = [spawn(kind, n, months, args, **kw) for _ in range(max(1, args.repeats))]
        best = min(runs, key=lambda r: r["step_s_total"])
        best["repeats_ns_per_household_month"] = [r["ns_per_household_month"] for r in runs]
        return best

    results = []
    for n in args.sizes:
        agents = args.no_agents_above is None or n <= args.no_agents_above
        for config in args.configs:
            results.append(fastest(config, n, args.months, agents=agents))
            if args.tracemalloc:
                results.append(spawn(config, n, args.months, args, agents=agents,
                                     tracemalloc=True))
    for n in args.mesa_sizes:
        results.append(fastest("mesa", n, args.mesa_months))
    phases = ([min((spawn(f"phases-{config}", args.phases, args.months, args)
                    for _ in range(max(1, args.repeats))),
                   key=lambda r: r["ns_per_household_month"]) for config in args.configs]
              if args.phases else [])
    setups = [min((spawn("setup", n, 0, args, when=when) for _ in range(max(1, args.repeats))),
                  key=lambda r: r["setup_s"])
              for n in args.setup for when in ("eager", "lazy")]
    info["load_average_after"] = os.getloadavg()
    timed = [r for r in results if not r.get("timings_under_tracemalloc")]
    for r in results:
        if r.get("timings_under_tracemalloc"):
            twin = next(t for t in timed if t["model"] == r["model"]
                        and t["config"] == r["config"] and t["households"] == r["households"])
            twin["tracemalloc_peak_mib"] = r["tracemalloc_peak_mib"]

    command = "python benchmarks/bench_step.py " + " ".join(sys.argv[1:] if argv is None
                                                            else argv)
    print(f"`{command.strip()}`\n")
    print(markdown(timed, info, args))
    if phases:
        print("\n" + phase_table(phases))
    if setups:
        print("\n" + setup_table(setups))
    checks = targets(timed)
    if checks:
        print("\nTargets (issue 2):\n")
        print("\n".join(f"- {line}" for line in checks))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"command": command, "machine": info,
                                         "results": timed, "phases": phases,
                                         "setup": setups,
                                         "targets": checks}, indent=2))


if __name__ == "__main__":
    main()
