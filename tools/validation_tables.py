"""Print the markdown tables of docs/validation.md section 2 from a joint fit's results.

    python tools/validation_tables.py results/joint_joint

Posterior summary (weighted median and 90% interval of every parameter against its uniform
prior; "narrowed" = the 90% interval covers less than 60% of the prior range), the
generations, and the posterior-predictive table (fitted and held-out targets).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sanisim.evidence import joint  # noqa: E402

JOINT_FILE = Path(__file__).resolve().parents[1] / "experiments" / "joint_calibration.toml"


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(np.searchsorted(cumulative, q), values.size - 1)])


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "results/joint_joint")
    spec = joint.load(JOINT_FILE)
    post = pd.read_csv(out / "posterior.csv")
    w = post["weight"].to_numpy(float)
    print(f"effective sample size {w.sum() ** 2 / (w ** 2).sum():.1f} of {len(w)} particles\n")
    print("| parameter | prior | posterior median | 90% interval | narrowed? |")
    print("|---|---|---:|---:|---|")
    for p in spec.parameters:
        v = post[p.key].to_numpy(float)
        lo, med, hi = (weighted_quantile(v, w, q) for q in (0.05, 0.5, 0.95))
        share = (hi - lo) / (p.high - p.low)
        print(f"| `{p.key}` | {p.low:g} – {p.high:g} | {med:.3g} | {lo:.3g} – {hi:.3g} | "
              f"{'yes' if share < 0.6 else 'no'} ({share:.0%} of the prior) |")
    gens = pd.read_csv(out / "generations.csv")
    print("\n| generation | epsilon | particles | simulated | acceptance | wall time, s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for g in gens.itertuples():
        print(f"| {g.generation} | {g.epsilon:.3g} | {g.particles} | {g.samples} | "
              f"{g.acceptance_rate:.0%} | {g.walltime_s:.0f} |")
    table = pd.read_csv(out / "predictive.csv")
    print("\n| setting | target | role | published (95%) | posterior predictive mean (95%) "
          "| inside? |")
    print("|---|---|---|---:|---:|---|")
    for r in table.itertuples():
        print(f"| {r.setting} | `{r.target}` | {r.role} | {r.published:.3g} "
              f"({r.published_low:.3g} – {r.published_high:.3g}) | {r.predictive_mean:.3g} "
              f"({r.predictive_q025:.3g} – {r.predictive_q975:.3g}) | "
              f"{'yes' if r.inside else '**no**'} |")
    print("\n" + joint.predictive_summary(table))


if __name__ == "__main__":
    main()
