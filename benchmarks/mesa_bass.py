"""The network Bass rule written the idiomatic Mesa way: one Python agent per household.

This is the comparison model of ``bench_step.py``. Each household is a
:class:`mesa.discrete_space.FixedAgent` on a cell of Mesa's discrete-space
:class:`~mesa.discrete_space.Network`, built from the *same* graph as sanisim's (sanisim's
CSR adjacency converted with ``networkx.from_scipy_sparse_array``; ``layout=None`` so no
spring layout is computed). One month is the textbook synchronous update:

* ``model.agents.shuffle_do("step")``: every household not yet adopted reads its neighbours'
  adoption state, computes its own hazard ``p + q * share_of_adopted_neighbours`` and draws
  with the model's ``rng``, storing its *next* state;
* ``model.agents.do("advance")``: every household applies its next state.

Updating in place during the shuffle would let early adopters of a month influence later
households in the same month, which is not the discrete Bass rule and runs ahead of it.

Run it directly for a small check against sanisim's Bass-only configuration::

    python benchmarks/mesa_bass.py --households 10000 --months 36 --seeds 10
"""

from __future__ import annotations

import time

import arguments as cli  # benchmarks/ is on sys.path
import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import FixedAgent, Network


class BassHousehold(FixedAgent):
    """A household that adopts with monthly probability ``p + q * share adopted``."""

    def __init__(self, model: MesaBass, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self.next_adopted = False

    def step(self) -> None:
        if self.adopted:
            self.next_adopted = True
            return
        neighbours = list(self.cell.neighborhood.agents)
        share = (sum(1 for other in neighbours if other.adopted) / len(neighbours)
                 if neighbours else 0.0)
        hazard = self.model.p + self.model.q * share
        self.next_adopted = self.model.rng.random() < hazard

    def advance(self) -> None:
        self.adopted = self.next_adopted


class MesaBass(mesa.Model):
    """Discrete Bass diffusion on a network, one Mesa agent per household.

    Args:
        graph: a networkx graph whose nodes are 0..n-1 (one household per node).
        p: innovation (external influence) per month.
        q: imitation (share of adopted neighbours) per month.
        seed: seed of the model's random number generator.
    """

    def __init__(self, graph: nx.Graph, p: float, q: float, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.p = p
        self.q = q
        self.grid = Network(graph, layout=None, random=self.random)
        self.households = [BassHousehold(self, self.grid[node]) for node in graph.nodes]

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.agents.do("advance")

    def adopted_share(self) -> float:
        return sum(1 for a in self.agents if a.adopted) / len(self.agents)

    def adopted(self) -> np.ndarray:
        """Adoption state by node, in the graph's node order."""
        return np.array([a.adopted for a in self.households], dtype=bool)


def graph_from_sanisim(network) -> nx.Graph:
    """The networkx graph of a sanisim :class:`~sanisim.network.SocialNetwork`."""
    if network.adjacency is None:
        return nx.complete_graph(network.n)
    return nx.from_scipy_sparse_array(network.adjacency)


def sanisim_bass_model(households: int, p: float, q: float, seed: int,
                       network: str = "community", household_agents: bool = False):
    """sanisim's Bass-only configuration (its network is the one the Mesa model copies)."""
    from sanisim.model import SanitationModel
    from sanisim.scenario import bass_only_scenario

    scenario = bass_only_scenario(p, q, households=households, network=network)
    return SanitationModel(scenario, seed=seed, households=households,
                           household_agents=household_agents)


def expected_adopters(network, adopted: np.ndarray, p: float, q: float) -> tuple[float, float]:
    """Mean and variance of next month's new adopters under the rule, given this month's state.

    Computed independently of both models: float64 neighbour shares from the adjacency.
    """
    if network.adjacency is None:
        sums = adopted.sum() - adopted.astype(float)
        degree = np.full(adopted.size, adopted.size - 1.0)
    else:
        sums = network.adjacency.astype(float) @ adopted.astype(float)
        degree = np.diff(network.adjacency.indptr).astype(float)
    share = np.divide(sums, degree, out=np.zeros_like(sums), where=degree > 0)
    hazard = np.where(adopted, 0.0, np.minimum(1.0, p + q * share))
    return float(hazard.sum()), float((hazard * (1 - hazard)).sum())


def compare(households: int, months: int, seeds: int, p: float, q: float) -> dict:
    """sanisim's Bass-only model and the Mesa model on the same networks, in distribution.

    Each seed builds one sanisim network; the Mesa model runs on that very graph with its own
    random draws, so the two agree in distribution, not draw by draw. Two checks:

    * mean adopted-share curves over seeds, and their difference with its standard error;
    * for each model, new adopters each month minus their expectation under the rule given
      the previous month's state, summed over months and seeds, as a z-score (a model that
      follows the synchronous network Bass rule gives |z| < 2 in 95% of checks).
    """
    from sanisim.ladder import Rung
    from sanisim.streams import replicate_seed

    curves = {"sanisim": np.zeros((seeds, months + 1)), "mesa": np.zeros((seeds, months + 1))}
    excess = {"sanisim": [0.0, 0.0], "mesa": [0.0, 0.0]}  # realised - expected, variance
    for seed in range(seeds):
        model = sanisim_bass_model(households, p, q, seed)
        network = model.network
        # the Mesa model's own seed, derived from (never typed beside) the replicate's
        mesa_model = MesaBass(graph_from_sanisim(network), p, q, seed=replicate_seed(seed, 0))
        states = {"sanisim": lambda m=model: m.households.rung >= Rung.BASIC,
                  "mesa": mesa_model.adopted}
        steps = {"sanisim": model.step, "mesa": mesa_model.step}
        for name in curves:
            state = states[name]()
            curves[name][seed, 0] = state.mean()
            for month in range(1, months + 1):
                mean, var = expected_adopters(network, state, p, q)
                before = int(state.sum())
                steps[name]()
                state = states[name]()
                curves[name][seed, month] = state.mean()
                excess[name][0] += int(state.sum()) - before - mean
                excess[name][1] += var
    diff = curves["sanisim"] - curves["mesa"]
    mean_diff = diff.mean(axis=0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(seeds) if seeds > 1 else np.zeros(months + 1)
    worst = int(np.argmax(np.abs(mean_diff)))
    return {
        "households": households, "months": months, "seeds": seeds, "p": p, "q": q,
        "sanisim_mean": curves["sanisim"].mean(axis=0).tolist(),
        "mesa_mean": curves["mesa"].mean(axis=0).tolist(),
        "max_abs_mean_diff": float(abs(mean_diff[worst])),
        "month_of_max_diff": worst,
        "se_of_diff_at_that_month": float(se[worst]),
        "max_abs_z": float(np.max(np.abs(mean_diff[1:]) / np.maximum(se[1:], 1e-12))),
        **{f"{name}_rule_z": float(dev / np.sqrt(var)) if var > 0 else 0.0
           for name, (dev, var) in excess.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = cli.Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=cli.household_count, default=10_000)
    parser.add_argument("--months", type=cli.month_count, default=36)
    parser.add_argument("--seeds", type=cli.at_least(2, 10_000), default=10)
    parser.add_argument("--p", type=cli.p_innovation, default=0.01)
    parser.add_argument("--q", type=cli.q_imitation, default=0.3)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = compare(args.households, args.months, args.seeds, args.p, args.q)
    print(f"{args.seeds} seeds, {args.households:,} households, p={args.p}, q={args.q}")
    print("month  sanisim  mesa")
    for month in range(0, args.months + 1, max(1, args.months // 12)):
        print(f"{month:5d}  {result['sanisim_mean'][month]:.4f}   "
              f"{result['mesa_mean'][month]:.4f}")
    print(f"largest |mean difference| {result['max_abs_mean_diff']:.4f} at month "
          f"{result['month_of_max_diff']} (standard error {result['se_of_diff_at_that_month']:.4f})"
          f"; largest |z| over months {result['max_abs_z']:.2f}")
    print(f"new adopters minus their expectation under the rule (z): sanisim "
          f"{result['sanisim_rule_z']:+.2f}, Mesa {result['mesa_rule_z']:+.2f}")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
