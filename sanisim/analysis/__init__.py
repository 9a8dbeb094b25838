"""Analysis of results: tidy summaries, paired comparisons, and the decisions they inform.

- :mod:`sanisim.analysis.summaries`: per-arm summaries of a results store (replicates, run
  metrics, intervals);
- :mod:`sanisim.analysis.paired`: paired differences from the baseline arm;
- :mod:`sanisim.analysis.decisions`: time to target, cost per additional household, equity,
  ODF communities, loan funds;
- :mod:`sanisim.analysis.sweeps`: outcomes against each swept parameter (grid, LHS);
- :mod:`sanisim.analysis.outcomes`: paired model runs of strategy arms against the baseline
  arm, and the strategy ranking;
- :mod:`sanisim.analysis.economics`: cost-effectiveness in words (never a negative ratio),
  effects per Rp billion of public money, costs per budget and year;
- :mod:`sanisim.analysis.uncertainty`: P(A beats B), P(target by year), acceptability curves
  over posterior draws x seeds;
- :mod:`sanisim.analysis.discovery`: where the advice flips (PRIM boxes in plain words).

Every name of the former module ``sanisim.analysis`` is still importable from here.
"""

from sanisim.analysis.decisions import (
    COST_MEASURES,
    LOAN_METRICS,
    ODF_METRICS,
    costs,
    efficient_frontier,
    equity,
    loan_fund,
    odf,
    time_to_target,
)
from sanisim.analysis.paired import paired_differences, paired_metrics, paired_runs
from sanisim.analysis.summaries import (
    BASELINE,
    BOOTSTRAP_SAMPLES,
    COST_FUNDERS,
    EQUITY_GROUPS,
    FUNDERS,
    LADDER_MEASURES,
    SUMMARY_COLUMNS,
    TARGETS,
    Target,
    arm_labels,
    arms,
    bootstrap_ratio,
    bundle_order,
    censored_quantile,
    default_measures,
    describe,
    describe_long,
    design_keys,
    finished_runs,
    interval_holds,
    ladder_end,
    pair_keys,
    posterior_draws,
    replicate_summary,
    run_metrics,
    summarise_metrics,
    t_interval,
)
from sanisim.analysis.sweeps import (
    SWEEP_OUTCOMES,
    outcome_range,
    sweep_table,
    swept_parameters,
)
from sanisim.runs.replicates import results_from_runs, run_comparison

__all__ = [
    "BASELINE", "BOOTSTRAP_SAMPLES", "COST_FUNDERS", "COST_MEASURES", "EQUITY_GROUPS", "FUNDERS",
    "LADDER_MEASURES", "LOAN_METRICS", "ODF_METRICS", "SUMMARY_COLUMNS", "TARGETS", "Target",
    "arm_labels", "arms", "bootstrap_ratio", "bundle_order", "censored_quantile", "costs",
    "default_measures", "describe", "describe_long", "design_keys", "efficient_frontier",
    "equity", "finished_runs", "interval_holds", "ladder_end", "loan_fund", "odf", "pair_keys",
    "paired_differences", "paired_metrics", "paired_runs", "posterior_draws",
    "replicate_summary", "results_from_runs", "run_comparison", "run_metrics",
    "summarise_metrics", "SWEEP_OUTCOMES", "outcome_range", "swept_parameters",
    "sweep_table", "t_interval", "time_to_target",
]
