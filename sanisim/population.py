"""Synthetic households: scenario parameters in, household arrays out.

Households are rows of a structure of arrays (:class:`Households`). They are sorted by
community, so each RT, RW and village is a contiguous block of rows; the network builders
rely on that.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import ndtri

from sanisim.draws import stable_order
from sanisim.ladder import N_RUNGS, RUNG_COLUMNS

FACTORS: tuple[str, ...] = ("risk", "attitude", "norm", "ability", "self_regulation")



@dataclass
class Households:
    """Household state, one numpy array per attribute, indexed by household row."""

    rt: np.ndarray  # int32 community (RT) index
    rw: np.ndarray  # int32 RW index
    village: np.ndarray  # int32 kelurahan/desa index
    income: np.ndarray  # float64 rupiah per month
    savings: np.ndarray  # float64 rupiah
    poor: np.ndarray  # bool, income below the poverty line
    quintile: np.ndarray  # int8 income quintile, 0 = poorest
    female: np.ndarray  # bool, decision maker is a woman
    rung: np.ndarray  # int8, 0..4
    risk: np.ndarray  # float32 index 0-1, current
    attitude: np.ndarray
    norm: np.ndarray
    ability: np.ndarray
    self_regulation: np.ndarray
    base_risk: np.ndarray  # float32 baseline the current value relaxes to
    base_attitude: np.ndarray
    base_norm: np.ndarray
    base_ability: np.ndarray
    base_self_regulation: np.ndarray
    intent: np.ndarray  # int16 months the decision to build still lasts (0: none)
    applying: np.ndarray  # bool, loan application waiting
    referred: np.ndarray  # bool, referred to credit by a sanitarian
    build_left: np.ndarray  # int16 months to completion (-1: not building)
    build_target: np.ndarray  # int8 rung reached when building completes
    repair_due: np.ndarray  # bool, own toilet failed (rebuild costs the repair share)
    last_emptied: np.ndarray  # int16 month the septic tank was last emptied
    subsidised: np.ndarray  # bool, hardware received as a grant
    connected: np.ndarray  # bool, connected to a communal treatment plant (no desludging lapse)
    queued: np.ndarray  # bool, ordered from a builder, waiting for capacity (build_left is set)
    loan_coop: np.ndarray  # int16 cooperative holding the loan (-1: none)
    loan_principal: np.ndarray  # float64 rupiah outstanding
    loan_installment: np.ndarray  # float64 rupiah per month
    loan_missed: np.ndarray  # int16 consecutive missed payments
    defaulted: np.ndarray  # bool, had a loan written off (no new credit)
    # --- use, ownership, sharing, willingness to pay (sanisim.mechanisms) ---------------
    in_use: np.ndarray  # bool, uses the facility it has (rung >= 1); false: practises OD
    owned: np.ndarray  # int8 own facility physically present, working or not: 0, 1 pit, 3 toilet
    ever_owned: np.ndarray  # bool, has owned a facility at some time since the start
    host: np.ndarray  # int32 row of the household whose toilet this one shares (-1: none)
    wtp: np.ndarray  # float64 rupiah, willingness to pay for an own improved toilet
    landless: np.ndarray  # bool, no land of its own to build on (an eligibility group)
    failed_month: np.ndarray  # int16 month the own toilet last failed (-1: never)
    pressed: np.ndarray  # bool, the current decision was pressed by the community (plan, sanction)
    pit_toilet: np.ndarray  # bool, the own toilet is a pour-flush toilet on a pit (no tank)
    build_pit: np.ndarray  # bool, the toilet being built is a pit toilet

    @property
    def n(self) -> int:
        return self.rung.shape[0]

    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def rung_shares(self) -> np.ndarray:
        return np.bincount(self.rung, minlength=N_RUNGS) / self.n


def _block_sizes(total: int, blocks: int, rng: np.random.Generator, shape: float = 8.0
                 ) -> np.ndarray:
    """Split ``total`` units into ``blocks`` blocks of at least one, gamma-varied sizes."""
    blocks = max(1, min(blocks, total))
    weights = rng.gamma(shape, 1.0, blocks)
    return 1 + rng.multinomial(total - blocks, weights / weights.sum())


def places(params, rng: np.random.Generator, n: int | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each household's RT, RW and village (int32, rows in RT order): the population's
    first draws from ``rng``. :func:`synthesise` continues from there, so the network (which
    needs only RTs and RWs) can be built while the rest of the population is drawn."""
    return _communities(int(n or params["population.households"]), params, rng)


def _communities(n: int, params, rng: np.random.Generator):
    rt_sizes = _block_sizes(n, round(n / params["population.rt_size"]), rng)
    n_rt = rt_sizes.size
    rw_sizes = _block_sizes(n_rt, round(n_rt / params["population.rt_per_rw"]), rng)
    village_sizes = _block_sizes(rw_sizes.size,
                                 round(rw_sizes.size / params["population.rw_per_village"]), rng)
    rt = np.repeat(np.arange(n_rt, dtype=np.int32), rt_sizes)
    rw_of_rt = np.repeat(np.arange(rw_sizes.size, dtype=np.int32), rw_sizes)
    village_of_rw = np.repeat(np.arange(village_sizes.size, dtype=np.int32), village_sizes)
    rw = rw_of_rt[rt]
    return rt, rw, village_of_rw[rw]


def income_median(params) -> float:
    """Median income that puts ``poverty_rate`` of households below the poverty line."""
    z = ndtri(params["population.poverty_rate"])
    return float(params["population.poverty_line"] * np.exp(-params["population.income_sigma"] * z))


def _starting_rungs(log_income: np.ndarray, rt: np.ndarray, shares: np.ndarray,
                    rng: np.random.Generator, community_sd: float, noise_sd: float
                    ) -> np.ndarray:
    """Assign rungs by exact shares; richer households and better-off RTs sit higher."""
    n = log_income.size
    z = (log_income - log_income.mean()) / max(log_income.std(), 1e-12)
    latent = z + community_sd * rng.standard_normal(rt.max() + 1)[rt] \
        + noise_sd * rng.standard_normal(n)
    counts = np.floor(shares * n).astype(np.int64)
    counts[np.argsort(-(shares * n - counts))[: n - counts.sum()]] += 1  # largest remainders
    rung = np.empty(n, dtype=np.int8)
    rung[stable_order(latent)] = np.repeat(np.arange(N_RUNGS, dtype=np.int8), counts)
    return rung


def _beta(mean: float, concentration: float, size: int, rng: np.random.Generator) -> np.ndarray:
    mean = float(np.clip(mean, 1e-3, 1 - 1e-3))
    return rng.beta(mean * concentration, (1 - mean) * concentration, size).astype(np.float32)


def synthesise(params, rng: np.random.Generator, n: int | None = None,
               placed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Households:
    """Build the synthetic population of a scenario (``n`` overrides the household count).

    ``placed``: the households' :func:`places`, already drawn from ``rng`` (the same
    population as drawing them here).
    """
    rt, rw, village = places(params, rng, n) if placed is None else placed
    n = rt.size

    sigma = params["population.income_sigma"]
    log_income = np.log(income_median(params)) + sigma * rng.standard_normal(n)
    income = np.exp(log_income)
    # each household's rank: the inverse of the stable sorting permutation (what a second
    # stable argsort of it gives, by a scatter instead of a sort)
    ranks = np.empty(n, np.intp)
    ranks[stable_order(income)] = np.arange(n)
    quintile = (ranks * 5 // n).astype(np.int8)
    settled = income * params["population.savings_rate"] / params["population.savings_drawdown"]
    savings = settled * rng.gamma(2.0, 0.5, n)
    female = rng.random(n) < params["population.female_decision_share"]

    shares = np.array([params[f"population.start_shares.{r}"] for r in RUNG_COLUMNS])
    rung = _starting_rungs(log_income, rt, shares, rng, params["population.community_effect_sd"],
                           params["population.rung_noise_sd"])

    concentration = params["factors.concentration"]
    base = {f: _beta(params[f"factors.{f}"], concentration, n, rng) for f in FACTORS}
    base["risk"] = np.clip(base["risk"] + np.float32(params["factors.female_risk_shift"]) * female,
                           0, 1).astype(np.float32)

    interval = params["desludging.interval_months"]
    last_emptied = np.where(
        rung == 4, -rng.integers(0, interval, n), -interval - rng.integers(1, 2 * interval + 1, n)
    ).astype(np.int16)

    zeros_f = np.zeros(n)
    return Households(
        rt=rt, rw=rw, village=village, income=income, savings=savings,
        poor=income < params["population.poverty_line"], quintile=quintile, female=female,
        rung=rung,
        **{f: base[f].copy() for f in FACTORS},
        **{f"base_{f}": base[f] for f in FACTORS},
        intent=np.zeros(n, np.int16), applying=np.zeros(n, bool), referred=np.zeros(n, bool),
        build_left=np.full(n, -1, np.int16), build_target=np.zeros(n, np.int8),
        repair_due=np.zeros(n, bool), last_emptied=last_emptied,
        subsidised=np.zeros(n, bool), connected=np.zeros(n, bool), queued=np.zeros(n, bool),
        loan_coop=np.full(n, -1, np.int16),
        loan_principal=zeros_f.copy(), loan_installment=zeros_f.copy(),
        loan_missed=np.zeros(n, np.int16), defaulted=np.zeros(n, bool),
        in_use=rung >= 1, owned=owned_facility(rung), ever_owned=owned_facility(rung) > 0,
        host=np.full(n, -1, np.int32), wtp=np.full(n, np.inf), landless=np.zeros(n, bool),
        failed_month=np.full(n, -1, np.int16), pressed=np.zeros(n, bool),
        pit_toilet=_starting_pit_toilets(rung, income, params["population.start_pit_toilets"]),
        build_pit=np.zeros(n, bool),
    )


def _starting_pit_toilets(rung: np.ndarray, income: np.ndarray, share: float) -> np.ndarray:
    """Which starting toilets at basic are pour-flush pit toilets (no tank): ``share`` of
    them, the poorest owners' (no random draw, so a share of 0 changes nothing)."""
    pit = np.zeros(rung.size, bool)
    basic = np.flatnonzero(rung == 3)
    count = int(round(share * basic.size))
    if count:
        pit[basic[np.argsort(income[basic], kind="stable")[:count]]] = True
    return pit


def owned_facility(rung: np.ndarray) -> np.ndarray:
    """The own facility a rung implies: 0 none (open defecation, sharing), 1 pit, 3 toilet."""
    return np.select([rung == 1, rung >= 3], [1, 3], 0).astype(np.int8)
