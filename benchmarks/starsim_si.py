"""The Starsim comparison: one infection module of Starsim on sanisim's community network.

Starsim (Cliff Kerr, Robyn Stuart, Romesh Abeysuriya, Paula Sanz-Leon, Jamie Cohen, Daniel
Klein; Institute for Disease Modeling, https://starsim.org) is a Python agent-based framework
for disease spread along contact networks: agents' states in arrays, transmission along the
network's edges compiled with numba. It is the closest established Python framework to
sanisim's design, so its cost per agent-month is the yardstick beside the bare floor
(``floor_bass.py``) and the one-agent-at-a-time Mesa model (``mesa_bass.py``).

The run: ``starsim.SIR`` as the only module, with an infection that outlasts the run (so it
is SI: adopted for good, as in the Bass rule), on the *same* edges as sanisim's network of
that size and seed (a static network, no partnership turnover), monthly steps. Starsim reads
``beta`` as a rate per tie: a susceptible agent with ``k`` infected neighbours is infected in a
month with probability ``1 - exp(-beta k)`` (``tests/test_bench.py`` checks this month by
month). With ``beta = q / mean degree`` that is about ``q x share of infected neighbours``, the
Bass imitation term, when few neighbours are infected; ``init_prev`` is infected at the start.
This is not the same rule as the Bass model (no innovation term ``p``, and per-edge rather
than per-share), so the curves differ in shape; it is one diffusion module on the same network,
the cost the issue's comparison asks for.

Starsim compiles its kernels with numba on first use (and caches them): three months of the
same simulation run first, so that the timing is of the steps, not of the compilation (which
the first run in a fresh environment pays once). Run directly it prints the cost and the
infected share::

    python benchmarks/starsim_si.py --households 100000 --months 120

It needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import os
import time

import arguments as cli  # benchmarks/ is on sys.path
import numpy as np
import scipy.sparse as sp

# Starsim rebuilds matplotlib's font cache on its first import unless told not to (and says so
# on standard output, which bench_step.py's workers answer on)
os.environ.setdefault("STARSIM_INSTALL_FONTS", "0")


def edges(adjacency: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Each undirected tie of a symmetric adjacency matrix once (``p1 < p2``)."""
    upper = sp.triu(adjacency, k=1).tocoo()
    return upper.row.astype(np.int64), upper.col.astype(np.int64)


def build(p1: np.ndarray, p2: np.ndarray, n: int, months: int, beta: float,
          init_prev: float, seed: int):
    """The Starsim simulation (not initialised): ``months`` monthly steps on the given ties."""
    import starsim as ss

    class StaticEdges(ss.Network):
        """Fixed ties given as two arrays of agent ids (one entry per tie)."""

        def __init__(self, first: np.ndarray, second: np.ndarray, **kwargs) -> None:
            super().__init__(**kwargs)
            self.first, self.second = first, second

        def init_post(self) -> None:
            super().init_post()
            self.append(dict(p1=self.first, p2=self.second, beta=np.ones(self.first.size)))

        def step(self) -> None:  # static: no ties formed or dissolved
            pass

    # ``dur`` months after the start gives months + 1 time points; every point is a step
    return ss.Sim(n_agents=n, start=ss.date(2000), dur=ss.months(max(months - 1, 0)),
                  dt=ss.month, networks=StaticEdges(p1, p2),
                  diseases=ss.SIR(beta=ss.permonth(beta), init_prev=init_prev,
                                  dur_inf=ss.years(1000)),
                  rand_seed=seed, verbose=0)


def warm_up(p1: np.ndarray, p2: np.ndarray, n: int, beta: float, init_prev: float,
            seed: int) -> float:
    """Run three months of the same simulation, so that every numba kernel the run uses is
    compiled (or loaded from numba's cache) before the timing; seconds taken. A smaller
    network leaves some kernels to be compiled inside the timed run (measured: 1.7 s more at
    10,000 agents in a fresh environment)."""
    start = time.perf_counter()
    build(p1, p2, n, 3, beta, init_prev, seed).run()
    return time.perf_counter() - start


def run(adjacency: sp.csr_matrix, months: int, q: float, init_prev: float,
        seed: int) -> dict:
    """Build, initialise and run the simulation on ``adjacency``; timings and results."""
    n = adjacency.shape[0]
    p1, p2 = edges(adjacency)
    mean_degree = 2 * p1.size / n
    beta = q / mean_degree
    compile_s = warm_up(p1, p2, n, beta, init_prev, seed)
    start = time.perf_counter()
    sim = build(p1, p2, n, months, beta, init_prev, seed)
    sim.init()
    build_s = time.perf_counter() - start
    steps = int(sim.t.npts)
    start, cpu = time.perf_counter(), time.process_time()
    sim.run()
    step_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    share = np.asarray(sim.results.sir.prevalence, float)
    return {"agents": n, "steps": steps, "ties": int(p1.size), "beta": beta,
            "compile_s": compile_s, "build_s": build_s, "step_s_total": step_s,
            "cpu_s_total": cpu_s, "ns_per_agent_step": step_s / (n * steps) * 1e9,
            "cpu_ns_per_agent_step": cpu_s / (n * steps) * 1e9,
            "infected_share": share.tolist()}


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=cli.household_count, default=100_000)
    parser.add_argument("--months", type=cli.month_count, default=120)
    parser.add_argument("--q", type=cli.q_imitation, default=0.03, help="imitation (per month)")
    parser.add_argument("--init-prev", type=cli.share, default=0.01)
    parser.add_argument("--seed", type=cli.seed, default=1)
    args = parser.parse_args(argv)
    from mesa_bass import sanisim_bass_model  # beside this file, on sys.path as a script

    # the Bass-only configuration's network (p plays no part in it)
    network = sanisim_bass_model(args.households, 0.004, args.q, args.seed).network
    r = run(network.adjacency, args.months, args.q, args.init_prev, args.seed)
    print(f"{r['agents']:,} agents x {r['steps']} months on {r['ties']:,} ties: "
          f"{r['ns_per_agent_step']:.1f} ns per agent-month (warm-up {r['compile_s']:.1f} s, "
          f"build {r['build_s']:.2f} s); infected share {r['infected_share'][0]:.3f} -> "
          f"{r['infected_share'][-1]:.3f}")


if __name__ == "__main__":
    main()
