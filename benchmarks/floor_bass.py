"""The bare floor: the network Bass rule in plain numpy + scipy.sparse, nothing else.

This is the reference every configuration of ``bench_step.py`` is divided by. It runs on the
*same* community network as sanisim (sanisim's CSR adjacency of that size and seed) and does,
each month, the least a network Bass model must do:

* the number of adopted neighbours of every household: one CSR matrix-vector product of the
  float32 adoption vector (``adjacency @ adopted``);
* the hazard ``p + q * sum / degree`` in float32;
* one float32 uniform per household (``numpy.random.Generator.random``) and a comparison;
* the new adopters joined to the adopted.

No phases, no records, no other state: a lower bound for any model that runs this rule on
this network, not a model of sanitation. Run directly, on a random graph of its own, it
prints its speed::

    python benchmarks/floor_bass.py --households 100000 --months 120
"""

from __future__ import annotations

import time

import arguments as cli  # benchmarks/ is on sys.path
import numpy as np
import scipy.sparse as sp


class FloorBass:
    """Discrete network Bass diffusion in numpy: ``adopt with p + q * share adopted``."""

    def __init__(self, adjacency: sp.csr_matrix, p: float, q: float, seed: int) -> None:
        self.adjacency = adjacency.tocsr().astype(np.float32)
        n = self.adjacency.shape[0]
        degree = np.diff(self.adjacency.indptr).astype(np.float32)
        self.q_over_degree = np.divide(np.float32(q), degree, out=np.zeros(n, np.float32),
                                       where=degree > 0)
        self.p = np.float32(p)
        self.rng = np.random.default_rng(seed)
        self.adopted = np.zeros(n, np.float32)
        self.n = n

    def step(self) -> None:
        hazard = self.adjacency @ self.adopted
        hazard *= self.q_over_degree
        hazard += self.p
        new = self.rng.random(self.n, np.float32) < hazard
        np.maximum(self.adopted, new, out=self.adopted)

    def adopted_share(self) -> float:
        return float(self.adopted.mean())


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=cli.household_count, default=100_000)
    parser.add_argument("--months", type=cli.month_count, default=120)
    parser.add_argument("--degree", type=cli.at_least(2, 1000), default=8,
                        help="ties per household (random graph)")
    parser.add_argument("--p", type=cli.p_innovation, default=0.004)
    parser.add_argument("--q", type=cli.q_imitation, default=0.03)
    parser.add_argument("--seed", type=cli.seed, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    n, k = args.households, args.degree
    rows = np.repeat(np.arange(n), k // 2)
    cols = rng.integers(0, n, rows.size)
    keep = rows != cols
    a = sp.coo_matrix((np.ones(keep.sum(), np.float32), (rows[keep], cols[keep])), (n, n))
    a = ((a + a.T) > 0).astype(np.float32).tocsr()
    model = FloorBass(a, args.p, args.q, args.seed)
    start = time.perf_counter()
    for _ in range(args.months):
        model.step()
    seconds = time.perf_counter() - start
    print(f"{n:,} households x {args.months} months: "
          f"{seconds / (n * args.months) * 1e9:.1f} ns per household-month; "
          f"adopted share {model.adopted_share():.3f}")


if __name__ == "__main__":
    main()
