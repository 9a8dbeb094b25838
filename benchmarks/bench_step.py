"""Speed of sanisim's monthly step beside a bare numpy floor and an idiomatic Mesa model.

In one run, in interleaved rounds (every configuration and size once per round, each in a
fresh Python process, so that other load on the machine falls on all of them alike), it
measures nanoseconds per household-month at each size (default 10,000 / 100,000 / 1,000,000
households x 120 months) of

* ``floor``: the bare network Bass model of ``floor_bass.py`` (plain numpy + scipy.sparse: a
  CSR product of the adoption vector, one float32 uniform per household, a comparison) on
  the same community network as sanisim's, the reference every ratio is taken against;
* ``bass``: sanisim's Bass-only configuration (``bass_only_scenario`` on the community
  network; every phase still runs);
* ``default``: the default scenario (``scenarios/default.toml``, baseline bundle);
* ``full``: the default scenario with the ``full_package`` bundle (every strategy of it);

and prints each beside its ratio to the floor of the same size, the 10,000 / 100,000 ratio
per household, and optionally

* ``--phases N``: each phase of the real ``model.step()`` and the strategy hooks after it,
  timed at N households;
* the one-agent-at-a-time Mesa model of ``mesa_bass.py`` (``--mesa-sizes``, by default
  10,000 households for the same 120 months), on the same network, and its ratio;
* Starsim's infection module of ``starsim_si.py`` (``--starsim-sizes``, by default 10,000 and
  100,000 agents for the same 120 months; the ``bench`` extra), on the same network, and its
  ratio;
* ``--end-to-end N``: one whole full_package run of N households (default 1,000,000) as one
  process: wall seconds from the process's start (interpreter and imports included) to the
  monthly table, and its peak resident memory;
* ``--setup N``: ``SanitationModel(...)`` with the household view agents made eagerly and
  lazily, and their first use;
* ``--tracemalloc``: the ``tracemalloc`` peak of each sanisim configuration.

Usage::

    python benchmarks/bench_step.py --repeats 3 --phases 100000 --json results/bench.json
    python benchmarks/bench_step.py --quick               # 10,000 and 100,000, 24 months
    python benchmarks/bench_step.py --sizes --mesa-sizes --end-to-end --setup 1000000
                                                          # setup only: agents eager vs lazy
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import arguments as cli  # benchmarks/ is on sys.path
from machine_info import cpu_name  # is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
#: sanisim configurations; "floor" (benchmarks/floor_bass.py) is the reference beside them.
CONFIGS = ("floor", "bass", "default", "full")
#: The bundle each sanisim configuration runs (scenarios/default.toml).
BUNDLES = {"bass": "baseline", "default": "baseline", "full": "full_package"}
#: The values of ``--institutions`` (``sanisim.scenario.INSTITUTIONS``, written out: the
#: driver imports no source tree).
INSTITUTIONS = ("as-is", "in-proportion")
#: ``--institutions`` of this process (the driver passes it to its workers).
institutions = "as-is"


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


def in_proportion(scenario, households: int):
    """``scenario`` scaled from its own district size (``population.households``) to
    ``households`` with its institutions in proportion (``Scenario.scaled``: the default
    scenario's 4 sanitarians, 2 cooperatives, 4 entrepreneurs, 20 cadres and its budgets for
    10,000 households become 40, 20, 40, 200 and ten times the budgets for 100,000).
    ``--households`` alone leaves them as they are, so a larger district has as many
    institutions as a small one."""
    if not hasattr(scenario, "scaled"):  # a source tree from before Scenario.scaled
        print("--institutions: in-proportion needs Scenario.scaled, which a source tree "
              "does not have; allowed: as-is, or trees that both have it", file=sys.stderr)
        raise SystemExit(2)
    return scenario.scaled(households)


def _scenario(config: str, households: int, p: float | None, q: float | None):
    """The scenario of a configuration: ``scenarios/default.toml`` for "default" and "full"
    (run with its baseline and full_package bundles; with ``--institutions in-proportion``,
    :func:`in_proportion` to ``households``), ``bass_only_scenario`` on the community
    network for "bass" and "floor" (the floor runs on the same network)."""
    from sanisim.scenario import bass_only_scenario, load

    base = load("default")
    if config in ("default", "full"):
        return in_proportion(base, households) if institutions == "in-proportion" else base
    return bass_only_scenario(base["behaviour.p_innovation"] if p is None else p,
                              base["behaviour.q_imitation"] if q is None else q,
                              households=households, network="community")


def _time_population_network(scenario, households: int, seed: int) -> tuple[float, float]:
    """Seconds to synthesise the population and to build the network, each alone (the
    model builds the network alongside the population's draws from
    ``sanisim.model.ALONGSIDE_FROM`` households: the same numbers, less time)."""
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
    model = SanitationModel(scenario, seed=seed, households=households, household_agents=False,
                            bundle=BUNDLES[config])
    build_s = time.perf_counter() - start
    rss_before_agents = _rss_mib()
    agents_s = None
    if agents:  # exactly what household_agents=True does in SanitationModel.__init__
        start = time.perf_counter()
        for row in range(model.households.n):
            Household(model, row)
        agents_s = time.perf_counter() - start

    month_s, cpu_s = timed_months(model.step, months)
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


def timed_months(step, months: int):
    """Call ``step`` once per month: the wall seconds of each month (an array) and the
    process CPU seconds of all of them."""
    import numpy as np

    month_s, cpu_s = [], 0.0
    for _ in range(months):
        start, cpu = time.perf_counter(), time.process_time()
        step()
        month_s.append(time.perf_counter() - start)
        cpu_s += time.process_time() - cpu
    return np.array(month_s), cpu_s


def _bass_network(households: int, seed: int, p: float | None, q: float | None):
    """The Bass-only scenario and sanisim's network of this size and seed, built exactly as
    the model builds them (population, then network, from the run's own streams): what the
    floor, the Mesa model and Starsim run on."""
    from sanisim.model import households_and_network
    from sanisim.streams import Streams

    scenario = _scenario("bass", households, p, q)
    _, network = households_and_network(scenario.params, Streams(seed), households,
                                        scenario.path)
    return scenario, network


def run_floor(households: int, months: int, seed: int, p: float | None,
              q: float | None) -> dict:
    """The bare numpy + scipy.sparse Bass model (``floor_bass.py``) on sanisim's network of
    this size and seed (the Bass-only configuration's, built exactly as the model does)."""
    from floor_bass import FloorBass

    baseline = _rss_mib()
    scenario, network = _bass_network(households, seed, p, q)
    p_, q_ = scenario["behaviour.p_innovation"], scenario["behaviour.q_imitation"]
    model = FloorBass(network.adjacency, p_, q_, seed)
    del network
    gc.collect()
    month_s, cpu_s = timed_months(model.step, months)
    n = model.n
    return {
        "model": "floor", "config": "floor", "households": n, "months": months, "seed": seed,
        "p": p_, "q": q_, "step_s_total": float(month_s.sum()),
        "ns_per_household_month": float(month_s.sum() / (n * months) * 1e9),
        "cpu_ns_per_household_month": cpu_s / (n * months) * 1e9,
        "final_adopted_share": model.adopted_share(),
        "baseline_rss_mib": baseline, "peak_rss_mib": _rss_mib(),
    }


def run_end_to_end(config: str, households: int, months: int, seed: int,
                   started: float) -> dict:
    """One whole run in this process: imports, model, every month, the monthly table.

    ``started`` is the driver's ``time.time()`` just before it started this process, so the
    wall time includes the interpreter's start and every import.
    """
    import_start = time.perf_counter()
    from sanisim.model import SanitationModel

    imports_s = time.perf_counter() - import_start
    scenario = _scenario(config, households, None, None)
    start = time.perf_counter()
    model = SanitationModel(scenario, seed=seed, households=households, bundle=BUNDLES[config])
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    model.run(months)
    run_s = time.perf_counter() - start
    start = time.perf_counter()
    table = model.monthly_table()
    table_s = time.perf_counter() - start
    return {"model": "end-to-end", "config": config, "households": households,
            "months": months, "seed": seed, "imports_s": imports_s, "model_build_s": build_s,
            "run_s": run_s, "table_s": table_s, "rows": len(table),
            "final_adopted_share": float(model.current["basic_or_better"]),
            "wall_s": time.time() - started, "cpu_s": time.process_time(),
            "peak_rss_mib": _rss_mib()}


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
    model = SanitationModel(scenario, seed=seed, households=households, household_agents=False,
                            bundle=BUNDLES[config])
    spent = dict.fromkeys(STEP_ORDER, 0.0)
    hooks = dict.fromkeys((f"{phase}: strategies" for phase in STEP_ORDER), 0.0)

    def timed(into, key, method):
        def wrapper(*args):
            start = time.perf_counter()
            method(*args)
            into[key] += time.perf_counter() - start
        return wrapper

    for phase in STEP_ORDER:
        setattr(model, f"_{phase}", timed(spent, phase, getattr(model, f"_{phase}")))
        for strategy in model.strategies:  # the hooks that run after the phase
            hook = getattr(strategy, f"on_{phase}", None)
            if hook is not None:
                setattr(strategy, f"on_{phase}", timed(hooks, f"{phase}: strategies", hook))
    start = time.perf_counter()
    for _ in range(months):
        model.step()
    total = time.perf_counter() - start
    scale = 1e9 / (households * months)
    phases = {}
    for phase in STEP_ORDER:
        phases[phase] = spent[phase] * scale
        phases[f"{phase}: strategies"] = hooks[f"{phase}: strategies"] * scale
    phases["(step loop)"] = (total - sum(spent.values()) - sum(hooks.values())) * scale
    return {"model": "phases", "config": config, "households": households, "months": months,
            "ns_per_household_month": total * scale, "phases": phases}


def run_mesa(households: int, months: int, seed: int, p: float | None,
             q: float | None) -> dict:
    sys.path.insert(0, str(HERE))
    from mesa_bass import MesaBass, graph_from_sanisim


    baseline = _rss_mib()
    scenario, network = _bass_network(households, seed, p, q)
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


def run_starsim(households: int, months: int, seed: int, q: float | None) -> dict:
    sys.path.insert(0, str(HERE))
    from starsim_si import run

    baseline = _rss_mib()
    scenario, network = _bass_network(households, seed, None, q)
    r = run(network.adjacency, months, scenario["behaviour.q_imitation"], STARSIM_INIT_PREV,
            seed)
    return {"model": "starsim", "config": "si", "households": households, "months": r["steps"],
            "seed": seed, "q": scenario["behaviour.q_imitation"], "beta": r["beta"],
            "compile_s": r["compile_s"], "model_build_s": r["build_s"],
            "step_s_total": r["step_s_total"],
            "ns_per_household_month": r["ns_per_agent_step"],
            "cpu_ns_per_household_month": r["cpu_ns_per_agent_step"],
            "final_adopted_share": r["infected_share"][-1],
            "baseline_rss_mib": baseline, "peak_rss_mib": _rss_mib()}


def worker(args: argparse.Namespace) -> None:
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    if args.worker == "floor":
        result = run_floor(args.households, args.months, args.seed, args.p, args.q)
    elif args.worker.startswith("e2e-"):
        result = run_end_to_end(args.worker.removeprefix("e2e-"), args.households,
                                args.months, args.seed, args.started)
    elif args.worker == "setup":
        result = run_setup("default", args.households, args.seed, args.when)
    elif args.worker == "mesa":
        result = run_mesa(args.households, args.months, args.seed, args.p, args.q)
    elif args.worker == "starsim":
        result = run_starsim(args.households, args.months, args.seed, args.q)
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
    if kind in BUNDLES and agents:
        cmd.append("--agents")
    if kind.startswith("e2e-"):
        cmd += ["--started", repr(time.time())]
    if tracemalloc:
        cmd.append("--tracemalloc")
    for name in ("p", "q"):
        if getattr(args, name) is not None:
            cmd += [f"--{name}", str(getattr(args, name))]
    cmd += ["--institutions", args.institutions]
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
    import scipy

    cpu = cpu_name()
    try:
        mem_kib = next(int(line.split()[1]) for line in
                       Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal"))
        ram = f"{mem_kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    from sanisim.provenance import numeric_platform

    return {"cpu": cpu, "cores": os.cpu_count(), "ram": ram,
            "python": platform.python_version(),
            # numpy and its vector code on this CPU: the ratios to the floor move with it
            # (docs/performance-log.md, "On an AVX2 machine")
            **numeric_platform(),
            "scipy": scipy.__version__, "mesa": mesa.__version__,
            "networkx": networkx.__version__, "platform": platform.platform()}


def _fmt(value, spec: str = ",.1f", missing: str = "–") -> str:
    return missing if value is None else format(value, spec)


NAMES = {"floor": "bare numpy floor", "bass": "sanisim, Bass-only",
         "default": "sanisim, default scenario", "full": "sanisim, full_package",
         "mesa": "Mesa, one agent at a time (Bass)",
         "starsim": "Starsim, one infection module (SI)"}
#: The models run beside sanisim's configurations: (model, config) of their results.
OTHERS = (("mesa", "bass"), ("starsim", "si"))
#: Share of Starsim's agents infected at the start (starsim_si.py).
STARSIM_INIT_PREV = 0.01


def _name(r: dict) -> str:
    return NAMES[r["model"]] if r["model"] in ("mesa", "starsim") else NAMES[r["config"]]


def _find(results: list[dict], model: str, config: str, n: int) -> dict | None:
    return next((r for r in results if r["model"] == model and r["config"] == config
                 and r["households"] == n), None)


def side_by_side(results: list[dict], rounds: list[list[dict]], sizes: list[int],
                 configs: list[str], key: str = "ns_per_household_month") -> str:
    """ns per household-month (``key``: wall or CPU time) of each configuration at each size,
    and its ratio to the floor of the same size (fastest of the interleaved rounds; the
    median of the per-round ratios in brackets when there was more than one round)."""
    head = " | ".join(f"{n:,}" for n in sizes)
    lines = [f"| configuration | {head} |", "|---|" + "--:|" * len(sizes)]
    for config in configs:
        cells = []
        for n in sizes:
            model = "floor" if config == "floor" else "sanisim"
            r, floor = _find(results, model, config, n), _find(results, "floor", "floor", n)
            if r is None:
                cells.append("–")
                continue
            cell = f"{r[key]:,.1f}"
            if floor is not None and config != "floor":
                cell += f" ({r[key] / floor[key]:.2f}x"
                per_round = [_find(rnd, model, config, n)[key]
                             / _find(rnd, "floor", "floor", n)[key]
                             for rnd in rounds if _find(rnd, model, config, n)
                             and _find(rnd, "floor", "floor", n)]
                if len(per_round) > 1:
                    cell += f"; rounds {statistics.median(per_round):.2f}x"
                cell += ")"
            cells.append(cell)
        lines.append(f"| {NAMES[config]} | {' | '.join(cells)} |")
    for model, config in OTHERS:  # the comparison models, where they ran at these sizes
        found = [_find(results, model, config, n) for n in sizes]
        if not any(found):
            continue
        cells = []
        for n, r in zip(sizes, found, strict=True):
            floor = _find(results, "floor", "floor", n)
            cells.append("–" if r is None else f"{r[key]:,.1f}" + (
                f" ({r[key] / floor[key]:.2f}x)" if floor and r["months"] == floor["months"]
                else ""))
        lines.append(f"| {NAMES[model]} | {' | '.join(cells)} |")
    return "\n".join(lines)


def markdown(results: list[dict], info: dict) -> str:
    load = info.get("load_average_before")
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM; Python "
        f"{info['python']}, numpy {info['numpy']} (SIMD: "
        f"{', '.join(info.get('numpy_simd') or ['none found'])}), scipy {info['scipy']}, "
        f"mesa {info['mesa']}"
        + (f"; load average at start {load[0]:.2f}." if load else "."),
        "",
        "| model | households | months | ns / household-month | CPU ns / household-month "
        "| population + network (s) | model build (s) | household agents (s) "
        "| bytes / household (arrays) | peak RSS (MiB) | baseline RSS (MiB) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        name = _name(r)
        if r["model"] == "sanisim":
            pn, build, agents = r["population_network_s"], r["model_build_s"], r["agents_s"]
            bytes_hh = _fmt(r["bytes_per_household"], ",.0f")
        elif r["model"] == "mesa":
            pn, build, agents, bytes_hh = None, r["graph_s"] + r["model_build_s"], None, "–"
        elif r["model"] == "starsim":
            pn, build, agents, bytes_hh = None, r["model_build_s"], None, "–"
        else:
            pn = build = agents = None
            bytes_hh = "–"
        lines.append(
            f"| {name} | {r['households']:,} | {r['months']} | "
            f"{_fmt(r['ns_per_household_month'])} | {_fmt(r['cpu_ns_per_household_month'])} | "
            f"{_fmt(pn, '.2f')} | {_fmt(build, '.2f')} | {_fmt(agents, '.2f')} | {bytes_hh} | "
            f"{_fmt(r['peak_rss_mib'], ',.0f')} | {_fmt(r['baseline_rss_mib'], ',.0f')} |")
    traced = [r for r in results if "tracemalloc_peak_mib" in r]
    if traced:
        lines += ["", "tracemalloc peak (separate runs, numpy and Python allocations):", ""]
        lines += [f"- {NAMES[r['config']]}, {r['households']:,} households, {r['months']} "
                  f"months: {r['tracemalloc_peak_mib']:,.0f} MiB" for r in traced]
    return "\n".join(lines)


def phase_table(phases: list[dict]) -> str:
    """Nanoseconds per household-month spent in each phase of the step (and in the strategy
    hooks that run after it); rows that are zero in every configuration are left out."""
    head = " | ".join(f"{NAMES[r['config']]}, {r['households']:,} (ns)" for r in phases)
    lines = [f"| phase | {head} |", "|---|" + "--:|" * len(phases)]
    for phase in phases[0]["phases"]:
        values = [r["phases"][phase] for r in phases]
        if phase.endswith(": strategies") and max(values) < 0.05:
            continue
        lines.append(f"| {phase} | {' | '.join(f'{v:.1f}' for v in values)} |")
    total = " | ".join(f"**{r['ns_per_household_month']:.1f}**" for r in phases)
    lines.append(f"| **whole step** | {total} |")
    return "\n".join(lines)


def fixed_cost_table(phases: list[dict]) -> str:
    """Each phase's cost per month split into a fixed part and a part per household, from
    the two smallest and largest sizes timed (``t(n) = fixed + n * per_household``)."""
    sizes = sorted({r["households"] for r in phases})
    if len(sizes) < 2:
        return ""
    small, large = sizes[0], sizes[-1]
    configs = [r["config"] for r in phases if r["households"] == small]
    head = " | ".join(f"{NAMES[c]}: fixed (µs / month) | per household (ns)" for c in configs)
    lines = [f"| phase | {head} |", "|---|" + "--:|--:|" * len(configs)]
    rows = {}
    for config in configs:
        a = next(r for r in phases if r["config"] == config and r["households"] == small)
        b = next(r for r in phases if r["config"] == config and r["households"] == large)
        for phase in a["phases"]:
            ta = a["phases"][phase] * small * 1e-9  # seconds per month
            tb = b["phases"][phase] * large * 1e-9
            per = (tb - ta) / (large - small)
            rows.setdefault(phase, []).append(((ta - per * small) * 1e6, per * 1e9))
        ta, tb = (r["ns_per_household_month"] * r["households"] * 1e-9 for r in (a, b))
        per = (tb - ta) / (large - small)
        rows.setdefault("**whole step**", []).append(((ta - per * small) * 1e6, per * 1e9))
    for phase, cells in rows.items():
        if all(abs(f) < 5 and abs(p) < 0.05 for f, p in cells) and phase != "**whole step**":
            continue
        lines.append(f"| {phase} | " + " | ".join(f"{f:,.0f} | {p:.1f}" for f, p in cells)
                     + " |")
    return (f"Fixed cost per month and cost per household, from {small:,} and {large:,} "
            "households:\n\n" + "\n".join(lines))


def ratio_lines(results: list[dict], sizes: list[int], configs: list[str]) -> list[str]:
    out = []
    scaled = [(NAMES[config], "households per household-month", "sanisim", config)
              for config in configs if config != "floor"]
    scaled.append((NAMES["starsim"], "agents per agent-month", "starsim", "si"))
    for name, per, model, config in scaled:
        small, large = (_find(results, model, config, n) for n in (10_000, 100_000))
        if small and large:
            out.append(f"{name}: 10,000 / 100,000 {per}: "
                       f"{small['ns_per_household_month'] / large['ns_per_household_month']:.2f}x"
                       f" ({small['step_s_total'] / small['months'] * 1e3:.2f} ms against "
                       f"{large['step_s_total'] / large['months'] * 1e3:.2f} ms per month)")
    for m in (r for r in results if r["model"] == "mesa"):
        s = _find(results, "sanisim", "bass", m["households"])
        if s is None:
            continue
        window = s["ns_per_household_month_window"]
        same = m["months"] == s["months"]
        out.append(
            f"Mesa / sanisim Bass-only at {m['households']:,} households: "
            f"{m['ns_per_household_month'] / window:,.0f}x over the same "
            f"{'' if same else 'first '}{s['window_months']} months "
            f"({m['ns_per_household_month']:,.0f} vs {window:.1f} ns per household-month)"
            + ("" if same else f"; {m['ns_per_household_month'] / s['ns_per_household_month']:,.0f}"
               f"x against sanisim's {s['months']}-month mean") + ".")
        floor = _find(results, "floor", "floor", m["households"])
        if floor and same:
            ratio = m["ns_per_household_month"] / floor["ns_per_household_month"]
            out.append(f"Mesa / bare floor at {m['households']:,} households, {m['months']} "
                       f"months: {ratio:,.0f}x.")
    return out


def end_to_end_lines(runs: list[dict]) -> list[str]:
    return [f"{NAMES[r['config']]}, {r['households']:,} households x {r['months']} months, "
            f"one process end to end: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU "
            f"(imports {r['imports_s']:.1f} s, "
            f"model {r['model_build_s']:.1f} s, months {r['run_s']:.1f} s, monthly table "
            f"{r['table_s']:.2f} s), peak RSS {r['peak_rss_mib']:,.0f} MiB" for r in runs]


def targets(results: list[dict], ends: list[dict]) -> list[str]:
    """The acceptance targets of issue 16, checked on this run."""
    out = []
    for config, limit in (("full", 3.0), ("default", 2.5)):
        r, floor = _find(results, "sanisim", config, 100_000), _find(results, "floor", "floor",
                                                                     100_000)
        if r and floor:
            ratio = r["ns_per_household_month"] / floor["ns_per_household_month"]
            out.append(f"{NAMES[config]} at 100,000 / floor: {ratio:.2f}x <= {limit}x: "
                       f"{'met' if ratio <= limit else 'MISSED'}")
        starsim = _find(results, "starsim", "si", 100_000)
        if r and floor and starsim:  # for scale, not a target: one compiled module's ratio
            ns = "ns_per_household_month"
            out.append(f"  (beside it: {r[ns] / starsim[ns]:.2f}x Starsim's one infection "
                       f"module, which is {starsim[ns] / floor[ns]:.2f}x the floor)")
    for config in ("full", "default"):
        small, large = (_find(results, "sanisim", config, n) for n in (10_000, 100_000))
        if small and large:
            ratio = small["ns_per_household_month"] / large["ns_per_household_month"]
            out.append(f"{NAMES[config]}, 10,000 / 100,000 per household: {ratio:.2f}x <= 1.5x: "
                       f"{'met' if ratio <= 1.5 else 'MISSED'}")
    for r in ends:
        if r["config"] == "full" and r["households"] >= 1_000_000:
            ok = r["wall_s"] < 15 and r["peak_rss_mib"] < 1024
            out.append(f"full_package, 1,000,000 x {r['months']} end to end: {r['wall_s']:.1f} s "
                       f"< 15 s and {r['peak_rss_mib']:,.0f} MiB < 1024 MiB: "
                       f"{'met' if ok else 'MISSED'}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(
        description="Nanoseconds per household-month of sanisim beside a bare numpy + "
                    "scipy.sparse Bass floor and an idiomatic one-agent-at-a-time Mesa model.")
    parser.add_argument("--sizes", type=cli.household_count, nargs="*",
                        default=[10_000, 100_000, 1_000_000],
                        help="household counts (default: 10k 100k 1M)")
    parser.add_argument("--months", type=cli.month_count, default=120, help="months per run")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS),
                        help="floor (bare numpy), bass, default, full (full_package)")
    parser.add_argument("--mesa-sizes", type=cli.household_count, nargs="*", default=[10_000],
                        help="household counts for the Mesa model (none: skip it)")
    parser.add_argument("--mesa-months", type=cli.month_count, default=None,
                        help="months per Mesa run (default: --months); the ratio uses "
                             "sanisim's same first months")
    parser.add_argument("--starsim-sizes", type=cli.household_count, nargs="*",
                        default=[10_000, 100_000],
                        help="agent counts for Starsim's infection module (starsim_si.py, the "
                             "bench extra; none: skip it)")
    parser.add_argument("--no-agents-above", type=cli.at_least(0), default=0, metavar="N",
                        help="create the Household view agents before timing for sizes up "
                             "to N (default 0: never, as a batch run does)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also run each sanisim configuration once under tracemalloc "
                             "(separate processes; their timings are not used)")
    parser.add_argument("--phases", type=cli.household_count, nargs="*", default=[], metavar="N",
                        help="also time each phase of the step at N households (separate "
                             "runs; several N: the fixed cost per month of each phase too)")
    parser.add_argument("--end-to-end", type=cli.household_count, nargs="*", default=[1_000_000],
                        metavar="N",
                        help="one whole full_package run of N households in one process "
                             "(wall seconds from process start, peak RSS); none: skip")
    parser.add_argument("--setup", type=cli.household_count, nargs="*", default=[], metavar="N",
                        help="also time model construction at N households with the household "
                             "agents made eagerly and lazily (fresh processes, default scenario)")
    parser.add_argument("--repeats", type=cli.at_least(1, 100), default=1,
                        help="interleaved rounds: each round runs every configuration and size "
                             "once (fresh processes); the fastest of each is kept")
    parser.add_argument("--seed", type=cli.seed, default=1)
    parser.add_argument("--p", type=cli.p_innovation, default=None,
                        help="Bass p for the floor, Bass-only and Mesa runs (default: scenario)")
    parser.add_argument("--q", type=cli.q_imitation, default=None,
                        help="Bass q for the floor, Bass-only and Mesa runs (default: scenario)")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 and 100,000 households, 24 months, no end-to-end run")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")
    parser.add_argument("--institutions", choices=INSTITUTIONS, default="as-is",
                        help="the default scenario's institutions as they are at every size, "
                             "or everything that grows with a district scaled with the "
                             "households (Scenario.scaled: 40 sanitarians, 20 cooperatives, "
                             "40 entrepreneurs, 200 cadres and ten times the budgets at "
                             "100,000); the bass configuration and the floor have none")
    # worker mode (internal)
    parser.add_argument("--when", choices=("eager", "lazy"), help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=(*CONFIGS, "mesa", "starsim", "setup",
                                             *(f"phases-{c}" for c in BUNDLES),
                                             *(f"e2e-{c}" for c in BUNDLES)),
                        help=argparse.SUPPRESS)
    parser.add_argument("--households", type=cli.household_count, help=argparse.SUPPRESS)
    parser.add_argument("--agents", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--window", type=cli.at_least(1, 1200), default=12, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    parser.output_file(args.json, "--json")
    global institutions
    institutions = args.institutions

    if args.worker:
        worker(args)
        return
    if args.quick:
        args.sizes, args.months, args.end_to_end = [10_000, 100_000], 24, []
    if args.mesa_months is None:
        args.mesa_months = args.months
    if args.starsim_sizes and importlib.util.find_spec("starsim") is None:
        print("Starsim is not installed (pip install -e '.[bench]'): its runs are left out.",
              file=sys.stderr)
        args.starsim_sizes = []

    info = machine()
    info["load_average_before"] = os.getloadavg()
    info["institutions"] = args.institutions

    # interleaved rounds: every configuration and size once per round, so that other load on
    # the machine falls on all of them alike; the ratios come from the same rounds
    rounds: list[list[dict]] = []
    for _ in range(max(1, args.repeats)):
        this = []
        for n in args.sizes:
            for config in args.configs:
                this.append(spawn(config, n, args.months, args,
                                  agents=config in BUNDLES and n <= args.no_agents_above))
        for n in args.mesa_sizes:
            this.append(spawn("mesa", n, args.mesa_months, args))
        for n in args.starsim_sizes:
            this.append(spawn("starsim", n, args.months, args))
        rounds.append(this)
    results = []
    for first in rounds[0]:
        runs = [next(r for r in rnd if r["model"] == first["model"]
                     and r["config"] == first["config"]
                     and r["households"] == first["households"]) for rnd in rounds]
        best = dict(min(runs, key=lambda r: r["step_s_total"]))
        best["repeats_ns_per_household_month"] = [r["ns_per_household_month"] for r in runs]
        results.append(best)
    if args.tracemalloc:
        for n in args.sizes:
            for config in (c for c in args.configs if c in BUNDLES):
                traced = spawn(config, n, args.months, args, agents=False, tracemalloc=True)
                _find(results, "sanisim", config, n)["tracemalloc_peak_mib"] = \
                    traced["tracemalloc_peak_mib"]
    phases = [min((spawn(f"phases-{config}", n, args.months, args)
                   for _ in range(max(1, args.repeats))),
                  key=lambda r: r["ns_per_household_month"])
              for n in args.phases for config in args.configs if config in BUNDLES]
    ends = [min((spawn("e2e-full", n, args.months, args) for _ in range(max(1, args.repeats))),
                key=lambda r: r["wall_s"]) for n in args.end_to_end]
    setups = [min((spawn("setup", n, 0, args, when=when) for _ in range(max(1, args.repeats))),
                  key=lambda r: r["setup_s"])
              for n in args.setup for when in ("eager", "lazy")]
    info["load_average_after"] = os.getloadavg()

    command = "python benchmarks/bench_step.py " + " ".join(sys.argv[1:] if argv is None
                                                            else argv)
    print(f"`{command.strip()}`\n")
    print("ns per household-month (ratio to the bare floor of the same size):\n")
    print(side_by_side(results, rounds, args.sizes, args.configs))
    print("\nThe same runs in process CPU time (less disturbed by other load on the machine):\n")
    print(side_by_side(results, rounds, args.sizes, args.configs,
                       "cpu_ns_per_household_month"))
    print("\n" + markdown(results, info))
    ratios = ratio_lines(results, args.sizes, args.configs)
    if ratios:
        print("\n" + "\n".join(f"- {line}" for line in ratios))
    if phases:
        print("\n" + phase_table(phases))
        fixed = fixed_cost_table(phases)
        if fixed:
            print("\n" + fixed)
    if ends:
        print("\n" + "\n".join(f"- {line}" for line in end_to_end_lines(ends)))
    if setups:
        print("\n" + setup_table(setups))
    checks = targets(results, ends)
    if checks:
        print("\nTargets (issue 16"
              + ("; institutions in proportion" if args.institutions != "as-is" else "")
              + "):\n")
        print("\n".join(f"- {line}" for line in checks))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"command": command, "machine": info,
                                         "results": results, "rounds": rounds,
                                         "phases": phases, "end_to_end": ends,
                                         "setup": setups, "targets": checks}, indent=2))


if __name__ == "__main__":
    main()
