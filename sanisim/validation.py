"""Out-of-sample checks: the calibrated model against published figures it was not fitted to.

Each check takes the East Java calibration (``scenarios/east_java_calibrated.toml``: its
behaviour, affordability and implementer parameters), changes only what the other study's
setting fixes (population, starting ladder, the programme delivered; every change is listed in
``docs/validation.md``) and compares the model's answer with the published one:

* ``slippage`` — Odagiri et al. (2017): 14.5% (95% CI 11.6-17.3) of households in verified
  open-defecation-free villages in rural Indonesia had slipped two years after verification.
  The model: the RA programme district-wide for 24 months; households of RTs that are ODF at
  month 24; the share whose rung is lower at month 48.
* ``credit`` — BenYishay, Fraker, Guiteras et al. (2017), Cambodia: a group loan offer raised
  latrine purchases among non-owners from 12% to 50%. The model: a village-randomised trial
  (30 villages, one cooperative each, no toilet loans before), sales visits in both arms and
  open loan offers (12 months at 2.8% a month) in the treated arm; built within 6 months among
  households without a toilet.
* ``madhya_pradesh`` — Patil et al. (2014), India's Total Sanitation Campaign: improved
  sanitation 22% (control) vs 41% after 21 months, +19 pp (95% CI 12-26). The model: an
  80-village trial, a campaign arm (triggering, visits, marketing at the RA intensity) and a
  campaign + hardware grants for poor households arm; own improved toilet at month 21.

``python -m sanisim.validation --workers 2`` runs them and prints the table of
``docs/validation.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanisim.ladder import Rung
from sanisim.scenario import Scenario
from sanisim.trial import Arm, TrialDesign, run_trial

CALIBRATED = "east_java_calibrated"


def variant(base: Scenario, name: str, params: Mapping[str, Any],
            strategies: Mapping[str, Mapping[str, Any]] | None = None,
            bundles: Mapping[str, list[str]] | None = None) -> Scenario:
    """``base`` with some parameters changed and strategies / bundles added (validated)."""
    from sanisim.scenario import _set_nested, from_dict

    data = base.to_dict()
    data["name"] = name
    for key, value in params.items():
        _set_nested(data, key, value)
    data.setdefault("strategies", {}).update({k: dict(v) for k, v in (strategies or {}).items()})
    data["bundles"].update(bundles or {})
    return from_dict(data, source=f"<validation: {name}>",
                     path=Path(base.path) if base.path else None)


def _calibrated() -> Scenario:
    from sanisim.scenario import load

    return load(CALIBRATED)


# --------------------------------------------------------------------------- slippage


def slippage_job(plain: Mapping[str, Any], seed: int, bundle: str, verified: int,
                 follow_up: int) -> dict[str, float]:
    """One replicate: households of RTs that are ODF at ``verified``, rung ``follow_up`` later."""
    from sanisim.model import SanitationModel
    from sanisim.scenario import from_dict

    scenario = from_dict(plain, source="<validation>")
    model = SanitationModel(scenario, seed=seed, bundle=bundle, household_agents=False)
    model.run(verified)
    hh = model.households
    in_odf = model.odf[hh.rt]
    rung_then = hh.rung.copy()
    odf_rts = np.flatnonzero(model.odf)
    model.run(follow_up)
    slipped = in_odf & (hh.rung < rung_then)
    rt_open = np.bincount(hh.rt, weights=hh.rung == Rung.OPEN_DEFECATION, minlength=model.n_rt)
    return {"households": float(in_odf.sum()), "slipped": float(slipped.sum()),
            "to_open_defecation": float((in_odf & (hh.rung == Rung.OPEN_DEFECATION)).sum()),
            "odf_rts": float(odf_rts.size),
            "rts_not_odf_later": float((rt_open[odf_rts] > 0).sum())}


def check_slippage(executor: Executor, replicates: int = 8, seed: int = 2017) -> dict[str, Any]:
    from sanisim.experiment import run_seed

    scenario = _calibrated()
    plain = scenario.to_dict()
    jobs = [executor.submit(slippage_job, plain, run_seed(seed, r), "ra", 24, 24)
            for r in range(replicates)]
    rows = pd.DataFrame([job.result() for job in jobs])
    share = rows["slipped"] / rows["households"]
    back_to_open = rows["to_open_defecation"].sum() / rows["households"].sum()
    rts_lost = rows["rts_not_odf_later"].sum() / rows["odf_rts"].sum()
    return {
        "check": "slippage", "source": "Odagiri et al. 2017 (NTT, Indonesia)",
        "measure": "households of ODF communities slipped 2 years after verification",
        "published": 0.145, "published_low": 0.116, "published_high": 0.173,
        "simulated": float(rows["slipped"].sum() / rows["households"].sum()),
        "simulated_low": float(share.quantile(0.025)),
        "simulated_high": float(share.quantile(0.975)),
        "detail": (f"{rows['odf_rts'].mean():.0f} ODF RTs ({rows['households'].mean():.0f} "
                   f"households) per replicate at month 24; of them {back_to_open:.1%} back at "
                   f"open defecation, and {rts_lost:.0%} of the RTs no longer ODF at month 48"),
    }


# --------------------------------------------------------------------------- credit


def credit_design() -> TrialDesign:
    villages = 65
    scenario = variant(_calibrated(), "cambodia_credit", {
        "population.households": 3000, "population.rt_size": 23,
        "population.rt_per_rw": 2, "population.rw_per_village": 1,
        "population.start_shares.open_defecation": 0.6,
        "population.start_shares.unimproved": 0.1, "population.start_shares.limited": 0.05,
        "population.start_shares.basic": 0.25, "population.start_shares.safely_managed": 0.0,
        "cooperatives.count": villages,  # one lender per village: credit arms stay apart
        "cooperatives.min_income": 1e9,  # no toilet loan before the study's product
        "cooperatives.fund": 50_000_000.0,
    }, strategies={
        "sales": {"type": "bcc", "start": 1, "end": 6, "cadres": 30, "visits_per_cadre": 60,
                  "sanitarian_extra_visits": 0, "targeting": "random", "revisit_after": 600,
                  "follow_up_after": 1, "refer_to_credit": True},
        "loans": {"type": "microcredit", "start": 1, "end": 6, "channel": "open",
                  "offers_per_month": 1000, "min_income": 0.0, "max_loan": 1e8,
                  "tenor_months": 12, "monthly_interest": 0.028, "extra_processing": 1000},
    }, bundles={"sales": ["sales"], "sales_and_loans": ["sales", "loans"]})
    return TrialDesign("cambodia_credit", scenario,
                       (Arm("control", "sales", 0.5), Arm("credit", "sales_and_loans", 0.5)),
                       unit="village", clusters=30, survey_month=6, survey_per_cluster=46,
                       population="without_toilet", seed=2012, source="<validation: credit>")


def check_credit(executor: Executor, replicates: int = 8) -> list[dict[str, Any]]:
    summary = run_trial(credit_design(), replicates=replicates, executor=executor).summary
    summary = summary.set_index("estimate")
    source = "BenYishay et al. 2017 (Cambodia)"
    return [
        _row("credit", source, "built/bought within the sales window, non-owners, control",
             0.12, math.nan, math.nan, summary.loc["control_mean"]),
        _row("credit", source, "effect of a loan offer on the same (pp)", 0.38, math.nan,
             math.nan, summary.loc["itt"]),
    ]


def _row(check: str, source: str, measure: str, published: float, low: float, high: float,
         estimate: pd.Series, detail: str = "") -> dict[str, Any]:
    return {"check": check, "source": source, "measure": measure, "published": published,
            "published_low": low, "published_high": high, "simulated": estimate["mean"],
            "simulated_low": estimate["q025"], "simulated_high": estimate["q975"],
            "detail": detail or (f"trial of this design: power {estimate['power']:.0%}, mean SE "
                                 f"{estimate['mean_se']:.3f}")}


# --------------------------------------------------------------------------- Madhya Pradesh


def madhya_pradesh_design() -> TrialDesign:
    base = _calibrated()
    campaign = ["ra_triggering", "ra_bcc", "ra_marketing"]
    scenario = variant(base, "madhya_pradesh_tsc", {
        "population.households": 8000, "population.rt_size": 25,
        "population.rt_per_rw": 2, "population.rw_per_village": 2,
        "population.poverty_rate": 0.4,
        "population.start_shares.open_defecation": 0.75,
        "population.start_shares.unimproved": 0.05, "population.start_shares.limited": 0.02,
        "population.start_shares.basic": 0.17, "population.start_shares.safely_managed": 0.01,
    }, strategies={
        "bpl_grants": {"type": "subsidy", "start": 1, "end": 21, "poor_only": True,
                       "targeting": "lottery", "grants_per_month": 25, "with_bcc": False},
    }, bundles={"campaign": campaign, "campaign_and_grants": [*campaign, "bpl_grants"]})
    return TrialDesign("madhya_pradesh", scenario,
                       (Arm("control", "baseline", 0.5), Arm("campaign", "campaign", 0.25),
                        Arm("grants", "campaign_and_grants", 0.25)),
                       unit="village", clusters=80, survey_month=21, survey_per_cluster=38,
                       population="all", seed=2009, outcome="basic_or_better",
                       source="<validation: madhya_pradesh>")


def check_madhya_pradesh(executor: Executor, replicates: int = 8) -> list[dict[str, Any]]:
    summary = run_trial(madhya_pradesh_design(), replicates=replicates,
                        executor=executor).summary.set_index("estimate")
    source = "Patil et al. 2014 (Madhya Pradesh)"
    return [
        _row("madhya_pradesh", source, "improved sanitation at 21 months, control", 0.22,
             math.nan, math.nan, summary.loc["control_mean"]),
        _row("madhya_pradesh", source, "effect: campaign only (pp)", 0.19, 0.12, 0.26,
             summary.loc["effect:campaign"]),
        _row("madhya_pradesh", source, "effect: campaign + grants for poor households (pp)",
             0.19, 0.12, 0.26, summary.loc["effect:grants"]),
    ]


# --------------------------------------------------------------------------- all


def run_checks(executor: Executor, replicates: int = 8) -> pd.DataFrame:
    rows = [check_slippage(executor, replicates)]
    rows += check_credit(executor, replicates)
    rows += check_madhya_pradesh(executor, replicates)
    table = pd.DataFrame(rows)
    inside = (table["simulated"] >= table["published_low"]) & (
        table["simulated"] <= table["published_high"])
    table["verdict"] = np.where(table["published_low"].isna(),
                                np.where((table["simulated"] - table["published"]).abs()
                                         <= 0.25 * table["published"].abs(), "close", "miss"),
                                np.where(inside, "within CI", "miss"))
    return table


def markdown(table: pd.DataFrame) -> str:
    lines = ["| check | measure | published | model (2.5-97.5% over replicates) | verdict |",
             "|---|---|---|---|---|"]
    for row in table.itertuples():
        published = f"{row.published:.3f}"
        if not math.isnan(row.published_low):
            published += f" [{row.published_low:.3f}, {row.published_high:.3f}]"
        lines.append(f"| {row.source} | {row.measure} | {published} | {row.simulated:.3f} "
                     f"[{row.simulated_low:.3f}, {row.simulated_high:.3f}] | {row.verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from sanisim.executors import open_executor

    parser = argparse.ArgumentParser(prog="python -m sanisim.validation",
                                     description="Out-of-sample checks of the calibrated model.")
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default="results/validation")
    args = parser.parse_args(argv)
    with open_executor("processes", args.workers) as handle:
        table = run_checks(handle.executor, args.replicates)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "out_of_sample.csv", index=False)
    print(markdown(table))
    for row in table.itertuples():
        print(f"- {row.check}: {row.detail}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
