"""Virtual trials: randomise strategy arms inside one simulated district, survey, estimate.

A trial file (TOML; every key, the outcomes and the estimate names in ``docs/trials.md``) names
a scenario, the arms (each a strategy bundle of the scenario, a share of the clusters and
optionally a household lottery and an eligibility group), the randomisation unit
(``household``, ``rt``, ``rw`` or ``village``), the survey rounds, the outcomes and how many
households per cluster the survey interviews::

    [trial]
    name = "east_java"
    scenario = "east_java_trial"     # shipped name, or a path relative to this file
    seed = 2008                      # replicate r runs with run_seed(seed, r)
    replicates = 40
    unit = "village"                 # household | rt | rw | village
    clusters = 160                   # clusters enrolled (0: every cluster of the district)
    survey_month = 24                # or survey_months = [12, 48]; the baseline is month 0
    survey_per_cluster = 13          # households interviewed per cluster (0: all)
    population = "all"               # all | without_toilet (at baseline)
    outcome = "built"                # or outcomes = ["built", "open_defecation", ...]
    eligible = "all"                 # who in treated clusters can be reached (ELIGIBILITY)

    [arms.control]                   # the first arm is the comparison arm
    bundle = "baseline"
    share = 0.5
    [arms.ra]
    bundle = "ra"
    share = 0.25
    lottery = 0.75                   # share of eligible households the arm's strategies reach

Every strategy of an arm's bundle runs in the one model with its *reach* set to the households
of that arm's clusters that are eligible and won the arm's lottery
(:class:`sanisim.strategies.Strategy`), so arms share the population, the network, the
sanitarians and the cooperatives, and neighbours in other arms or unreached neighbours in the
same cluster can influence each other (spillovers), as in a real trial.

**Outcomes** (:data:`OUTCOMES`, after Cameron, Olivia & Shah 2019 for ``built``, Patil et al.
2014 for ``basic_or_better``, Guiteras, Levinsohn & Mobarak 2015 for ``any_own_latrine`` and
``open_defecation``) are 0/1 per household, computed from ``model.households`` at each survey
round. The model runs once, to the last round; the same panel of households is interviewed at
every round.

**Estimates** (:func:`estimate`), each by OLS of the 0/1 outcome on a treatment indicator with
standard errors clustered by randomisation unit (statsmodels; t with G - 1 degrees of
freedom), per outcome and round: ``control_mean``; ``itt`` (every treated arm pooled against
control); ``effect:<arm>``; the eligibility group (``itt:eligible``), the reached households
(``itt:reached``: eligible lottery winners), the subgroups of ``households.poor``
(``itt:poor``, ``effect:<arm>:non_poor``, ...); ``spillover`` (control households with a network
tie into a treated cluster against those without) and ``spillover_within`` (households of
treated clusters the arm did not reach against control households of the same eligibility
group). Point-estimate dicts name the first outcome at the first round by the short name
(``itt``) and every estimate as ``"<estimate>|<outcome>@<month>"`` (``"itt|built@24"``).
Over replicates (:func:`run_trial`) each estimate's distribution, its mean standard error and
the trial's power (share of replicates with p < 0.05) are reported, beside the *census* value
(the same contrast over every household of the enrolled clusters, no sampling).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanisim.draws import run_ranks
from sanisim.errors import InputError, check_keys, did_you_mean, main_table
from sanisim.inputs import (
    MAX_REPLICATES,
    check_size,
    choice,
    integer,
    read_toml,
    recorded,
    resolve_scenario,
)
from sanisim.ladder import Rung
from sanisim.model import SanitationModel
from sanisim.outputs import default_folder, output_folder, writing
from sanisim.parameters import BY_KEY
from sanisim.runs.cli_options import add_executor_options, replicates
from sanisim.runs.executors import chosen_backend, open_executor
from sanisim.runs.points import record_of as record_of  # re-exported (its old home)
from sanisim.runs.points import scenario_at
from sanisim.runs.replicates import run_all
from sanisim.runs.run import git_commit, package_version
from sanisim.scenario import Scenario
from sanisim.scenario import load as load_scenario
from sanisim.strategies.base import STRATEGY_TYPES, Strategy
from sanisim.streams import replicate_seed

UNITS = ("household", "rt", "rw", "village")
POPULATIONS = ("all", "without_toilet")
TRIAL_KEYS = ("name", "description", "scenario", "seed", "replicates", "households", "unit",
              "clusters", "survey_month", "survey_months", "survey_per_cluster", "population",
              "outcome", "outcomes", "eligible")
ARM_KEYS = ("bundle", "share", "lottery", "eligible", "targeted")
SUBGROUPS = {True: "poor", False: "non_poor"}
ALPHA = 0.05


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Baseline:
    """Household state at the baseline (month 0) that outcomes and eligibility refer to."""

    rung: np.ndarray  # int8 rung per household at month 0

    @classmethod
    def of(cls, model: SanitationModel) -> Baseline:
        return cls(model.households.rung.copy())


#: An outcome: 0/1 (bool) per household from the model at a survey round, the baseline
#: snapshot and the build observer.
Outcome = Callable[["SanitationModel", Baseline, "BuildObserver"], np.ndarray]


def _built(model: SanitationModel, baseline: Baseline, observer: BuildObserver) -> np.ndarray:
    return observer.built | ((baseline.rung < Rung.BASIC) & (model.households.rung >= Rung.BASIC))


def _own_improved(model: SanitationModel, baseline: Baseline, observer: BuildObserver
                  ) -> np.ndarray:
    return model.households.rung >= Rung.BASIC


#: Survey outcomes by name (adding one is one line). Each is true for a household when:
OUTCOMES: dict[str, Outcome] = {
    # it completed an own facility at basic or better since baseline, or its rung rose from
    # below basic to basic or better (e.g. a communal connection) (Cameron et al. 2019)
    "built": _built,
    "built_since_baseline": _built,  # alias of built
    # it has an own improved toilet (rung basic or safely managed) at the survey
    "basic_or_better": _own_improved,
    "own_improved": _own_improved,  # same value, the name of Guiteras et al. 2015
    # it practises open defecation: rung 0, or it does not use the facility it has
    "open_defecation": lambda m, b, o: (m.households.rung == Rung.OPEN_DEFECATION)
    | ~m.households.in_use,
    # it owns a latrine of any kind (pit or toilet), working or not
    "any_own_latrine": lambda m, b, o: m.households.owned >= 1,
    # it owns a latrine that is not waiting for repair
    "functioning": lambda m, b, o: (m.households.owned >= 1) & ~m.households.repair_due,
    # it uses a facility (own or shared) at rung unimproved or better
    "in_use": lambda m, b, o: m.households.in_use & (m.households.rung >= Rung.UNIMPROVED),
    # it has owned a facility at some time since baseline (or built one since baseline)
    "ever_owned": lambda m, b, o: m.households.ever_owned | _built(m, b, o),
}


#: Eligibility groups: which households of a treated cluster an arm's strategies can reach,
#: from (poor, landless, rung at baseline) per household.
ELIGIBILITY: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "all": lambda poor, landless, rung0: np.ones(np.shape(poor), bool),
    "poor": lambda poor, landless, rung0: np.asarray(poor, bool),
    "non_poor": lambda poor, landless, rung0: ~np.asarray(poor, bool),
    "landless": lambda poor, landless, rung0: np.asarray(landless, bool),
    "without_toilet": lambda poor, landless, rung0: np.asarray(rung0) < Rung.BASIC,
}


# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Arm:
    """One arm: a strategy bundle of the scenario and its share of the enrolled clusters.

    ``lottery`` is the share of the eligible households of the arm's clusters that its
    strategies reach (drawn by lottery within each cluster); ``eligible`` the arm's eligibility
    group (None: the trial's); ``targeted`` the strategies of the bundle both apply to (None:
    all; the others reach every household of the arm's clusters).
    """

    name: str
    bundle: str
    share: float
    lottery: float = 1.0
    eligible: str | None = None
    targeted: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TrialDesign:
    """A validated virtual trial (see the module docs and ``docs/trials.md``).

    ``survey_months`` (several rounds), when not empty, replaces ``survey_month``;
    ``outcomes``, when not empty, replaces ``outcome``.
    """

    name: str
    scenario: Scenario
    arms: tuple[Arm, ...]
    unit: str = "village"
    clusters: int = 0
    survey_month: int = 24
    survey_per_cluster: int = 0
    population: str = "all"
    seed: int = 0
    replicates: int = 20
    households: int | None = None
    description: str = ""
    source: str = "<trial>"
    path: str | None = field(default=None, compare=False)
    outcome: str = "built"
    survey_months: tuple[int, ...] = ()
    outcomes: tuple[str, ...] = ()
    eligible: str = "all"

    @property
    def control(self) -> str:
        return self.arms[0].name

    @property
    def treated(self) -> tuple[str, ...]:
        return tuple(arm.name for arm in self.arms[1:])

    @property
    def rounds(self) -> tuple[int, ...]:
        """Survey months, in order (the first round names the short estimates)."""
        return tuple(self.survey_months) or (self.survey_month,)

    @property
    def outcome_names(self) -> tuple[str, ...]:
        """Outcomes, in order (the first names the short estimates)."""
        return tuple(self.outcomes) or (self.outcome,)

    def group_of(self, arm: Arm) -> str:
        """The eligibility group of an arm (its own, or the trial's)."""
        return arm.eligible or self.eligible

    def restricted(self, arm: Arm) -> bool:
        """Whether the arm's strategies leave some households of its clusters unreached."""
        return self.group_of(arm) != "all" or arm.lottery < 1.0

    def with_scenario(self, scenario: Scenario) -> TrialDesign:
        return replace(self, scenario=scenario)


# --------------------------------------------------------------------------- the model side


class BuildObserver(Strategy):
    """Marks households whose own facility at basic or better is completed (no draws, no cost).

    The model's construction phase stamps ``households.last_emptied`` with the month of every
    septic tank it completes; nothing else stamps it before the desludging phase, so right after
    construction the stamp identifies this month's completions.
    """

    def __init__(self) -> None:
        super().__init__("trial_observer", {"start": 1, "end": 10**9, "budget": 0.0,
                                            "funder": "government"})
        self.built: np.ndarray | None = None

    def setup(self, model: SanitationModel) -> None:
        super().setup(model)
        self.built = np.zeros(model.households.n, bool)

    def on_construction(self, model: SanitationModel) -> None:
        hh = model.households
        done = np.flatnonzero(hh.last_emptied == model.month)
        self.built[done[hh.rung[done] >= Rung.BASIC]] = True


def cluster_ids(model: SanitationModel, unit: str) -> np.ndarray:
    hh = model.households
    return {"household": np.arange(hh.n), "rt": hh.rt, "rw": hh.rw,
            "village": hh.village}[unit]


def assignment(model: SanitationModel, design: TrialDesign) -> tuple[np.ndarray, np.ndarray]:
    """Arm index per household (-1: cluster not enrolled) and cluster id per household.

    Clusters are enrolled at random (all of them when ``design.clusters`` is 0) and split among
    the arms in fixed numbers (shares, largest remainders) by a random permutation, both from
    the model's stream ``trial:assignment``; cached on the model.
    """
    cached = model.__dict__.get("_trial_assignment")
    if cached is not None:
        return cached
    ids = cluster_ids(model, design.unit)
    n_clusters = int(ids.max()) + 1
    rng = model.streams["trial:assignment"]
    if design.clusters > n_clusters:
        raise InputError(design.source, "trial.clusters", (
            f"{design.clusters} clusters asked for, but the simulated district has only "
            f"{n_clusters} {design.unit} units; raise population.households or lower the "
            f"unit sizes (population.rt_size, rt_per_rw, rw_per_village)"))
    enrolled = (np.arange(n_clusters) if design.clusters == 0
                else np.sort(rng.choice(n_clusters, design.clusters, replace=False)))
    shares = np.array([arm.share for arm in design.arms])
    counts = _largest_remainder(shares, enrolled.size)
    arm_of_cluster = np.full(n_clusters, -1, np.int16)
    arm_of_cluster[enrolled[rng.permutation(enrolled.size)]] = np.repeat(
        np.arange(len(design.arms), dtype=np.int16), counts)
    cached = (arm_of_cluster[ids], ids)
    model.__dict__["_trial_assignment"] = cached
    return cached


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    exact = shares / shares.sum() * total
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def lottery(model: SanitationModel, design: TrialDesign) -> tuple[np.ndarray, np.ndarray]:
    """Per household: eligible under its arm's group (at baseline), and lottery winner.

    In each cluster of an arm with ``lottery`` l < 1, floor(l * E + u) of its E eligible
    households win (u uniform per cluster, so the expected share is exactly l), drawn from the
    model's stream ``trial:lottery`` after the cluster assignment; the stream is not drawn when
    every lottery is 1. Households of arms without a lottery all win. Cached on the model (the
    first call, at the strategies' set-up, sees the baseline).
    """
    cached = model.__dict__.get("_trial_lottery")
    if cached is not None:
        return cached
    arm, cluster = assignment(model, design)
    hh = model.households
    eligible = np.zeros(hh.n, bool)
    winner = np.ones(hh.n, bool)
    for index, spec in enumerate(design.arms):
        members = arm == index
        in_group = ELIGIBILITY[design.group_of(spec)](hh.poor, hh.landless, hh.rung)
        eligible[members] = in_group[members]
    if any(spec.lottery < 1.0 for spec in design.arms):
        rng = model.streams["trial:lottery"]
        for index, spec in enumerate(design.arms):
            if spec.lottery < 1.0:
                rows = np.flatnonzero((arm == index) & eligible)
                winner[rows] = _draw_winners(cluster[rows], spec.lottery, rng)
    cached = (eligible, winner)
    model.__dict__["_trial_lottery"] = cached
    return cached


def _draw_winners(cluster: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Winners among households (their cluster ids): floor(share * size + u) per cluster."""
    keys = rng.random(cluster.size)
    winner = np.zeros(cluster.size, bool)
    if cluster.size == 0:
        return winner
    order, rank, sizes = _rank_within(cluster, keys)
    quota = np.floor(share * sizes + rng.random(sizes.size)).astype(np.int64)
    winner[order[rank < np.repeat(quota, sizes)]] = True
    return winner


def _rank_within(cluster: np.ndarray, keys: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by cluster then key, each row's rank in its cluster, and cluster sizes."""
    order = np.lexsort((keys, cluster))
    rank = run_ranks(cluster[order])
    sizes = np.diff(np.r_[(rank == 0).nonzero()[0], order.size])
    return order, rank, sizes


def reach(model: SanitationModel, design: TrialDesign, index: int) -> np.ndarray:
    """Households an arm's strategies reach: in its clusters, eligible and lottery winners."""
    arm, _ = assignment(model, design)
    eligible, winner = lottery(model, design)
    return (arm == index) & eligible & winner


def arm_strategies(design: TrialDesign, scenario: Scenario
                   ) -> list[tuple[int, Strategy]]:
    """The strategies of every arm, each with its reach rule: :func:`reach` for the arm's
    targeted strategies (all by default), every household of the arm's clusters for the
    others."""
    names = [n for arm in design.arms for n in scenario.bundles[arm.bundle]]
    shared = {n for n in names if names.count(n) > 1}
    built = []
    for index, arm in enumerate(design.arms):
        for name in scenario.bundles[arm.bundle]:
            config = scenario.strategies[name]
            instance = f"{arm.name}.{name}" if name in shared else name
            strategy = STRATEGY_TYPES[config["type"]](instance, config)
            targeted = arm.targeted is None or name in arm.targeted
            strategy.reach_rule = _arm_rule(design, index, targeted)
            built.append((index, strategy))
    return built


def _arm_rule(design: TrialDesign, index: int, targeted: bool = True
              ) -> Callable[[SanitationModel], np.ndarray]:
    def rule(model: SanitationModel) -> np.ndarray:
        if not targeted:
            return assignment(model, design)[0] == index
        return reach(model, design, index)
    return rule


def simulate(design: TrialDesign, seed: int, point: Mapping[str, Any] | None = None,
             strategies: Sequence[tuple[int, Strategy]] = ()) -> pd.DataFrame:
    """Run the trial's district once, to the last round; return the survey frame.

    One row per household of the survey population in an enrolled cluster and survey round:
    ``row``, ``cluster``, ``arm`` (name), ``month`` (the round), ``poor``, ``landless``,
    ``quintile``, ``female``, ``rung_baseline``, ``rung_survey``, ``eligible`` (under its arm's
    group), ``winner`` (of its arm's lottery), ``reached`` (by its arm's strategies),
    ``exposed`` (a control household with a network tie into a treated cluster), ``sampled``
    (in the survey panel, the same households at every round) and one 0/1 column per
    :data:`OUTCOMES` name. ``strategies`` adds strategy objects, each with the index of the arm
    whose households it reaches (custom or test strategies).
    """
    scenario = scenario_at(design.scenario, point or {}, design.source)
    own = [s for _, s in arm_strategies(design, scenario)]
    for index, strategy in strategies:
        strategy.reach_rule = _arm_rule(design, index)
    observer = BuildObserver()
    model = SanitationModel(scenario, seed=seed, households=design.households,
                            strategies=[*own, *(s for _, s in strategies), observer],
                            household_agents=False)
    arm, cluster = assignment(model, design)
    eligible, winner = lottery(model, design)
    hh = model.households
    baseline = Baseline.of(model)
    treated = (arm > 0).astype(np.float32)
    exposed = (model.network.neighbour_sum(treated) > 0) & (arm == 0)
    keep = arm >= 0
    if design.population == "without_toilet":
        keep &= baseline.rung < Rung.BASIC
    rows = np.flatnonzero(keep)
    sampled = _survey_sample(rows, cluster[rows], design.survey_per_cluster,
                             model.streams["trial:survey"])
    names = np.array([a.name for a in design.arms], dtype=object)
    fixed = {"row": rows, "cluster": cluster[rows], "arm": names[arm[rows]],
             "poor": hh.poor[rows], "landless": hh.landless[rows],
             "quintile": hh.quintile[rows], "female": hh.female[rows],
             "rung_baseline": baseline.rung[rows], "eligible": eligible[rows],
             "winner": winner[rows], "reached": (eligible & winner)[rows],
             "exposed": exposed[rows], "sampled": sampled}
    frames = []
    for month in design.rounds:
        model.run(month - model.month)
        values: dict[Outcome, np.ndarray] = {}
        for outcome in OUTCOMES.values():
            if outcome not in values:
                values[outcome] = np.asarray(outcome(model, baseline, observer), bool)[rows]
        frames.append(pd.DataFrame({
            **fixed, "month": np.full(rows.size, month, np.int32),
            "rung_survey": hh.rung[rows].copy(),
            **{name: values[outcome].astype(np.float64) for name, outcome in OUTCOMES.items()},
        }))
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _survey_sample(rows: np.ndarray, cluster: np.ndarray, per_cluster: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Up to ``per_cluster`` rows drawn at random within each cluster (all when 0)."""
    keys = rng.random(rows.size)
    if per_cluster <= 0:
        return np.ones(rows.size, bool)
    order, rank, _ = _rank_within(cluster, keys)
    sampled = np.zeros(rows.size, bool)
    sampled[order[rank < per_cluster]] = True
    return sampled


# --------------------------------------------------------------------------- estimation


@dataclass(frozen=True)
class Contrast:
    """One estimate: which survey rows enter and which of them count as treated.

    ``kind``: ``mean`` (the control mean), ``spillover`` (control households with a tie into a
    treated cluster against those without) or ``diff`` (households of ``arms`` against control
    households, both within ``poor`` (None: everyone) and the eligibility ``group``).
    ``treated_rows`` picks the treated side: ``all`` households of the group, ``reached`` by
    the arm, ``unreached`` (lottery losers and ineligible households; control households of
    every group, with the group as a covariate), ``losers`` (eligible, not reached) or
    ``ineligible`` (both sides outside the group).
    """

    name: str
    kind: str = "diff"
    arms: tuple[str, ...] = ()
    poor: bool | None = None
    group: str = "all"
    treated_rows: str = "all"


def contrasts(design: TrialDesign) -> list[Contrast]:
    """The estimates a design reports, in order (names depend on the design only)."""
    arms = design.arms[1:]
    treated = design.treated
    several = len(arms) > 1
    out = [Contrast("control_mean", "mean"), Contrast("itt", arms=treated)]
    if several:
        out += [Contrast(f"effect:{a}", arms=(a,)) for a in treated]
    groups = {design.group_of(a) for a in arms} - {"all"}
    pooled = None if len(groups) > 1 else (groups.pop() if groups else "all")
    with_lottery = any(a.lottery < 1.0 for a in arms)
    if pooled not in (None, "all"):
        out.append(Contrast("itt:eligible", arms=treated, group=pooled))
    if several:
        out += [Contrast(f"effect:{a.name}:eligible", arms=(a.name,), group=design.group_of(a))
                for a in arms if design.group_of(a) != "all"]
    if pooled is not None and with_lottery:
        out.append(Contrast("itt:reached", arms=treated, group=pooled, treated_rows="reached"))
    if several:
        out += [Contrast(f"effect:{a.name}:reached", arms=(a.name,), group=design.group_of(a),
                         treated_rows="reached") for a in arms if a.lottery < 1.0]
    for poor, label in SUBGROUPS.items():
        out.append(Contrast(f"itt:{label}", arms=treated, poor=poor))
        if several:
            out += [Contrast(f"effect:{a}:{label}", arms=(a,), poor=poor) for a in treated]
    out.append(Contrast("spillover", "spillover"))
    if pooled is not None and any(design.restricted(a) for a in arms):
        out.append(Contrast("spillover_within", arms=treated, group=pooled,
                            treated_rows="unreached"))
        if with_lottery and pooled != "all":
            out += [Contrast(f"spillover_within:{rows}", arms=treated, group=pooled,
                             treated_rows=rows) for rows in ("losers", "ineligible")]
    if several:
        out += [Contrast(f"spillover_within:{a.name}", arms=(a.name,), group=design.group_of(a),
                         treated_rows="unreached") for a in arms if design.restricted(a)]
    return out


def estimate_key(name: str, outcome: str, month: int) -> str:
    """The full name of an estimate: ``"<estimate>|<outcome>@<month>"``."""
    return f"{name}|{outcome}@{month}"


def estimate_names(design: TrialDesign) -> tuple[str, ...]:
    """Every key of :func:`point_estimates` for this design (short names first)."""
    short = [c.name for c in contrasts(design)]
    return (*short, *(estimate_key(name, outcome, month) for outcome in design.outcome_names
                      for month in design.rounds for name in short))


def split_estimate_key(design: TrialDesign, key: str) -> tuple[str, str, int]:
    """(estimate, outcome, month) of a name of :func:`estimate_names` (a short name is the
    first outcome at the first round)."""
    name, _, rest = key.partition("|")
    if not rest:
        return name, design.outcome_names[0], design.rounds[0]
    outcome, _, month = rest.rpartition("@")
    return name, outcome, int(month) if month.isdigit() else -1


def _rounds(frame: pd.DataFrame, design: TrialDesign) -> Iterator[tuple[int, pd.DataFrame]]:
    """(month, rows of that round); a frame without ``month`` is the first round."""
    if "month" not in frame.columns:
        yield design.rounds[0], frame
        return
    month = frame["month"].to_numpy()
    for value in design.rounds:
        yield value, frame[month == value]


def _rows(contrast: Contrast, part: pd.DataFrame, design: TrialDesign
          ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(rows that enter, treated indicator on them or None, covariate on them or None)."""
    arm = part["arm"].to_numpy()
    control = arm == design.control
    if contrast.kind == "mean":
        return control, None, None
    if contrast.kind == "spillover":
        return control, part["exposed"].to_numpy()[control], None
    treated = np.isin(arm, contrast.arms)
    every = np.ones(arm.size, bool)
    base = every if contrast.poor is None else part["poor"].to_numpy() == contrast.poor
    in_group = every if contrast.group == "all" else ELIGIBILITY[contrast.group](
        part["poor"].to_numpy(), part["landless"].to_numpy(), part["rung_baseline"].to_numpy())
    reached = every if contrast.treated_rows == "all" else part["reached"].to_numpy()
    covariate = None
    match contrast.treated_rows:
        case "all":
            on, off = treated & in_group, control & in_group
        case "reached":
            on, off = treated & reached & in_group, control & in_group
        case "unreached":
            on, off = treated & ~reached, control
            covariate = None if contrast.group == "all" else in_group
        case "losers":
            on, off = treated & ~reached & in_group, control & in_group
        case "ineligible":
            on, off = treated & ~reached & ~in_group, control & ~in_group
        case other:  # pragma: no cover
            raise ValueError(f"unknown treated rows {other!r}")
    rows = base & (on | off)
    if covariate is not None:
        covariate = covariate[rows]
        if covariate.all() or not covariate.any():
            covariate = None  # constant in these rows: a plain difference in means
    return rows, on[rows], covariate


def _point(y: np.ndarray, indicator: np.ndarray | None, covariate: np.ndarray | None) -> float:
    if indicator is None:
        return _mean(y)
    if covariate is None:
        return _mean(y[indicator]) - _mean(y[~indicator])
    exog = np.column_stack([np.ones(y.size), indicator, covariate]).astype(float)
    if indicator.all() or not indicator.any() or np.linalg.matrix_rank(exog) < 3:
        return math.nan
    return float(np.linalg.lstsq(exog, y, rcond=None)[0][1])


def point_estimates(frame: pd.DataFrame, design: TrialDesign) -> dict[str, float]:
    """The estimates' point values, without standard errors (keys: :func:`estimate_names`).

    Equal to the OLS coefficients of :func:`estimate` (differences in means, or the
    group-adjusted contrast for ``spillover_within``); fast, for calibration and census values.
    """
    specs = contrasts(design)
    short: dict[str, float] = {}
    full: dict[str, float] = {}
    for outcome in design.outcome_names:
        for month, part in _rounds(frame, design):
            y = part[outcome].to_numpy(float)
            for contrast in specs:
                rows, indicator, covariate = _rows(contrast, part, design)
                full[estimate_key(contrast.name, outcome, month)] = _point(
                    y[rows], indicator, covariate)
            if not short:  # the first outcome at the first round: short names too
                short = {c.name: full[estimate_key(c.name, outcome, month)] for c in specs}
    return {**short, **full}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def estimate(frame: pd.DataFrame, design: TrialDesign) -> pd.DataFrame:
    """The trial's estimates from a survey frame, as the trial papers report them.

    One row per estimate, outcome and round: ``estimate`` (short name), ``outcome``,
    ``month``, ``value``, ``se`` (clustered by the randomisation unit), ``ci_low``, ``ci_high``
    (95%), ``p``, ``n`` (households) and ``clusters``. Each is an OLS of the 0/1 outcome on a
    constant and a treatment indicator in the contrast's rows (with the eligibility group as a
    covariate for ``spillover_within`` when both groups enter; statsmodels, cluster-robust
    covariance, t with G - 1 degrees of freedom).
    """
    specs = contrasts(design)
    out = []
    for outcome in design.outcome_names:
        for month, part in _rounds(frame, design):
            y = part[outcome].to_numpy(float)
            cluster = part["cluster"].to_numpy()
            for contrast in specs:
                rows, indicator, covariate = _rows(contrast, part, design)
                row = _ols(contrast.name, y[rows], indicator, cluster[rows], covariate)
                out.append({"estimate": row.pop("estimate"), "outcome": outcome,
                            "month": int(month), **row})
    return pd.DataFrame(out)


def _ols(name: str, y: np.ndarray, indicator: np.ndarray | None,
         groups: np.ndarray, covariate: np.ndarray | None = None) -> dict[str, Any]:
    """Coefficient of ``indicator`` (or the constant) with cluster-robust inference."""
    import statsmodels.api as sm

    row: dict[str, Any] = {"estimate": name, "value": math.nan, "se": math.nan,
                           "ci_low": math.nan, "ci_high": math.nan, "p": math.nan,
                           "n": int(y.size), "clusters": int(np.unique(groups).size)}
    if indicator is None:
        exog = np.ones((y.size, 1))
    else:
        columns = [np.ones(y.size), indicator.astype(float)]
        if covariate is not None:
            columns.append(covariate.astype(float))
        exog = np.column_stack(columns)
        if indicator.all() or not indicator.any():
            return row  # no contrast in these rows
        if covariate is not None and np.linalg.matrix_rank(exog) < exog.shape[1]:
            return row  # treatment and group coincide: no comparison within a group
    if y.size < 2 or row["clusters"] < 2:
        return row
    _, codes = np.unique(groups, return_inverse=True)
    with warnings.catch_warnings():  # a subgroup without variation has a zero (or -0) variance
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(y, exog).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        k = 0 if indicator is None else 1
        low, high = fit.conf_int(ALPHA)[k]
        se = float(fit.bse[k])
    if not math.isfinite(se):
        se = low = high = math.nan
    row.update(value=float(fit.params[k]), se=se, ci_low=float(low), ci_high=float(high),
               p=float(fit.pvalues[k]) if se > 0 else math.nan)
    return row


# --------------------------------------------------------------------------- replicates


def replicate_job(design: TrialDesign, replicate: int, seed: int,
                  point: Mapping[str, Any] | None, with_se: bool) -> dict[str, Any]:
    """One replicate, on a worker: census point estimates and (optionally) the sampled ones."""
    frame = simulate(design, seed, point)
    census = point_estimates(frame, design)
    result: dict[str, Any] = {"replicate": replicate, "seed": seed, "census": census,
                              "sampled_households": int(frame["sampled"].sum())}
    if with_se:
        table = estimate(frame[frame["sampled"]], design)
        result["estimates"] = table.to_dict("records")
    return result


@dataclass
class TrialResult:
    """Estimates of every replicate (long table) and their summary over replicates."""

    design: TrialDesign
    estimates: pd.DataFrame
    summary: pd.DataFrame


def replicate_seeds(design: TrialDesign, replicates: int | None = None) -> list[int]:
    return [replicate_seed(design.seed, r) for r in range(replicates or design.replicates)]


def run_replicates(design: TrialDesign, executor: Executor, *, replicates: int | None = None,
                   point: Mapping[str, Any] | None = None, with_se: bool = True,
                   each: Callable[[dict[str, Any]], None] | None = None
                   ) -> list[dict[str, Any]]:
    """Submit every replicate to ``executor`` and return their results in replicate order
    (``each`` sees every result as it comes in, in that order)."""
    point = dict(point or {})
    return run_all(replicate_job, [(design, r, seed, point, with_se) for r, seed
                                   in enumerate(replicate_seeds(design, replicates))], executor,
                   each)


def estimate_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``estimates.csv`` of one replicate's result (its estimates with the census
    value of the same contrast)."""
    census = result["census"]
    return [{"replicate": result["replicate"], "seed": result["seed"], **row,
             "census": census.get(estimate_key(row["estimate"], row["outcome"], row["month"]),
                                  math.nan)}
            for row in result["estimates"]]


class PartialTable:
    """A CSV file that grows by a few rows at a time (a long verb's results as they come in),
    so that a failure at the end loses nothing already done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] | None = None
        path.unlink(missing_ok=True)

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        frame = pd.DataFrame(list(rows))
        if self.columns is None:
            self.columns = list(frame.columns)
        with writing(self.path):
            frame.reindex(columns=self.columns).to_csv(
                self.path, mode="a", header=not self.path.exists(), index=False)

    def done(self) -> None:
        """The complete table has been written elsewhere: remove the partial one."""
        self.path.unlink(missing_ok=True)


def run_trial(design: TrialDesign, *, replicates: int | None = None,
              point: Mapping[str, Any] | None = None, executor: Executor | None = None,
              backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None,
              partial: PartialTable | None = None) -> TrialResult:
    """Run the virtual trial over replicates and summarise its estimates.

    ``executor`` (any ``concurrent.futures`` executor) runs the replicates; without one, one is
    opened with :func:`sanisim.runs.executors.open_executor` (``backend``, ``workers``,
    ``scheduler``). ``point`` changes parameters (registry or ``strategies.NAME.KEY``).
    ``partial`` receives each replicate's estimates as soon as it is in.
    """
    each = None if partial is None else (lambda result: partial.add(estimate_rows(result)))
    if executor is None:
        with open_executor(backend, workers, scheduler) as handle:
            results = run_replicates(design, handle.executor, replicates=replicates,
                                     point=point, each=each)
    else:
        results = run_replicates(design, executor, replicates=replicates, point=point,
                                 each=each)
    estimates = pd.DataFrame([row for result in results for row in estimate_rows(result)])
    return TrialResult(design, estimates, summarise(estimates))


def summarise(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per estimate, outcome and round over replicates: mean, sd and 2.5-97.5% of the
    estimate, mean SE, power.

    ``census`` is the mean census value (the same contrast over every household of the
    enrolled clusters); ``coverage`` the share of replicates whose 95% interval holds it.
    """
    out = []
    for (name, outcome, month), group in estimates.groupby(["estimate", "outcome", "month"],
                                                           sort=False):
        value = group["value"].dropna()
        expected = float(group["census"].mean())
        covered = (group["ci_low"] <= expected) & (expected <= group["ci_high"])
        out.append({
            "estimate": name, "outcome": outcome, "month": int(month),
            "replicates": int(value.size),
            "mean": float(value.mean()) if value.size else math.nan,
            "sd": float(value.std(ddof=1)) if value.size > 1 else math.nan,
            "q025": float(value.quantile(0.025)) if value.size else math.nan,
            "q975": float(value.quantile(0.975)) if value.size else math.nan,
            "mean_se": float(group["se"].mean()),
            "power": float((group["p"] < ALPHA).mean()),
            "census": expected,
            "coverage": float(covered[group["value"].notna()].mean()) if value.size else math.nan,
            "households": float(group["n"].mean()),
            "clusters": float(group["clusters"].mean()),
        })
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- files


def _survey_months(table: Mapping[str, Any], source: str) -> tuple[int, tuple[int, ...]]:
    """(survey_month, survey_months) from ``survey_month`` or ``survey_months`` (not both)."""
    high = int(BY_KEY["run.months"].high)
    if "survey_month" in table and "survey_months" in table:
        raise InputError(source, "trial.survey_months", "give survey_month (one round) or "
                         "survey_months (several rounds), not both")
    if "survey_months" not in table:
        month = integer(table.get("survey_month", 24), source, "trial.survey_month", 1)
        if month > high:
            raise InputError(source, "trial.survey_month", f"got {month}; allowed: an "
                             f"integer in [1, {high}]")
        return month, ()
    rounds = table["survey_months"]
    if (not isinstance(rounds, list) or not rounds
            or any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= high
                   for m in rounds)
            or any(b <= a for a, b in zip(rounds, rounds[1:], strict=False))):
        raise InputError(source, "trial.survey_months", f"got {rounds!r}; allowed: a non-empty "
                         f"list of increasing integers in [1, {high}], e.g. [12, 48]")
    return rounds[-1], tuple(rounds)


def _outcomes(table: Mapping[str, Any], source: str) -> tuple[str, tuple[str, ...]]:
    """(outcome, outcomes) from ``outcome`` or ``outcomes`` (not both), names checked."""
    if "outcome" in table and "outcomes" in table:
        raise InputError(source, "trial.outcomes", "give outcome (one) or outcomes (a list), "
                         "not both")
    names = table.get("outcomes", [table.get("outcome", "built")])
    key = "trial.outcomes" if "outcomes" in table else "trial.outcome"
    if not isinstance(names, list) or not names:
        raise InputError(source, key, f"got {names!r}; allowed: a non-empty list of outcome "
                         f"names ({', '.join(OUTCOMES)})")
    for name in names:
        if not isinstance(name, str) or name not in OUTCOMES:
            hint = did_you_mean(name, OUTCOMES) if isinstance(name, str) else ""
            raise InputError(source, key, f"unknown outcome {name!r}{hint}; allowed: "
                             f"{', '.join(OUTCOMES)}")
    if len(set(names)) < len(names):
        raise InputError(source, key, f"got {names!r}; each outcome once")
    return names[0], (tuple(names) if "outcomes" in table else ())


def load(path: str | Path, scenario: str | Path | None = None) -> TrialDesign:
    """Read and validate a trial file (``scenario`` replaces the file's scenario)."""
    path = Path(path)
    return from_dict(read_toml(path), str(path), path.parent, scenario)


def from_dict(raw: Mapping[str, Any], source: str = "<trial>", base: Path | None = None,
              scenario_ref: str | Path | None = None) -> TrialDesign:
    """Validate trial data (``[trial]`` and ``[arms.NAME]`` tables) into a design."""
    table = main_table(raw, "trial", ("trial", "arms"), TRIAL_KEYS, ("name", "scenario"),
                       source)
    base = base or Path(".")
    ref = scenario_ref if scenario_ref is not None else table["scenario"]
    scenario = load_scenario(resolve_scenario(ref, base, source, "trial.scenario"))

    arms_table = raw.get("arms")
    if not isinstance(arms_table, dict) or len(arms_table) < 2:
        raise InputError(source, "arms", "needs at least two [arms.NAME] tables (the first is "
                         "the comparison arm), each with bundle and share")
    arms = []
    for name, arm in arms_table.items():
        where = f"arms.{name}."
        if not isinstance(arm, dict):
            raise InputError(source, f"arms.{name}", "must be a table with bundle and share")
        check_keys(arm, ARM_KEYS, source, where)
        bundle = arm.get("bundle")
        if not isinstance(bundle, str) or bundle not in scenario.bundles:
            hint = did_you_mean(bundle, scenario.bundles) if isinstance(bundle, str) else ""
            raise InputError(source, f"{where}bundle", f"got {bundle!r}{hint}; allowed: a "
                             f"bundle of scenario {scenario.name!r} "
                             f"({', '.join(scenario.bundles)})")
        share = arm.get("share")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise InputError(source, f"{where}share", f"got {share!r}; allowed: a number in "
                             "(0, 1]")
        draw = arm.get("lottery", 1.0)
        if isinstance(draw, bool) or not isinstance(draw, int | float) or not 0 < draw <= 1:
            raise InputError(source, f"{where}lottery", f"got {draw!r}; allowed: a number in "
                             "(0, 1], the share of eligible households reached (1: all)")
        group = choice(arm.get("eligible"), source, f"{where}eligible", tuple(ELIGIBILITY))
        targeted = arm.get("targeted")
        if targeted is not None:
            members = scenario.bundles[bundle]
            if not isinstance(targeted, list) or not targeted or any(
                    name not in members for name in targeted):
                wrong = next((n for n in targeted if n not in members), targeted) if isinstance(
                    targeted, list) and targeted else targeted
                raise InputError(source, f"{where}targeted", f"got {wrong!r}"
                                 f"{did_you_mean(wrong, members)}; allowed: a non-empty list of "
                                 f"strategies of bundle {bundle!r} ({', '.join(members)})")
            targeted = tuple(targeted)
        arms.append(Arm(name, bundle, float(share), float(draw), group, targeted))
    total = sum(a.share for a in arms)
    if abs(total - 1.0) > 1e-6:
        raise InputError(source, "arms", f"shares sum to {total:.6g}; they must sum to 1")

    survey_month, survey_months = _survey_months(table, source)
    outcome, outcomes = _outcomes(table, source)
    households = recorded(table.get("households"), source, "trial.households",
                          "population.households")
    size = households or int(scenario["population.households"])
    check_size(scenario, households, source, "trial.households" if households else
               "trial.scenario")
    design = TrialDesign(
        name=table["name"], scenario=scenario, arms=tuple(arms),
        unit=choice(table.get("unit", "village"), source, "trial.unit", UNITS),
        clusters=integer(table.get("clusters", 0), source, "trial.clusters", 0, size),
        survey_month=survey_month, survey_months=survey_months,
        survey_per_cluster=integer(table.get("survey_per_cluster", 0), source,
                                   "trial.survey_per_cluster", 0, size),
        population=choice(table.get("population", "all"), source, "trial.population",
                          POPULATIONS),
        seed=integer(table.get("seed", 0), source, "trial.seed", 0),
        replicates=integer(table.get("replicates", 20), source, "trial.replicates", 1,
                           MAX_REPLICATES),
        households=households,
        description=str(table.get("description", "")), source=source,
        path=source, outcome=outcome, outcomes=outcomes,
        eligible=choice(table.get("eligible", "all"), source, "trial.eligible",
                        tuple(ELIGIBILITY)))
    if design.unit == "household" and design.survey_per_cluster not in (0, 1):
        raise InputError(source, "trial.survey_per_cluster", "a household lottery interviews "
                         "each household once: use 0 or 1")
    return design


# --------------------------------------------------------------------------- command line


#: The estimates of the replicates done so far, while ``sanisim trial`` runs (removed when the
#: whole ``estimates.csv`` is written).
PARTIAL_ESTIMATES = "estimates.partial.csv"


def write_manifest(out: Path, design: TrialDesign, **fields: Any) -> Path:
    """``manifest.json`` beside a trial's (or a calibration's) tables: the file, its scenario
    and configuration hash, the seed, versions, commit and time."""
    scenario = design.scenario
    manifest = {
        "trial": design.name, "file": design.source, "seed": design.seed,
        "scenario": scenario.name, "scenario_path": scenario.path,
        "config_hash": scenario.config_hash, "households": design.households,
        **fields,
        "sanisim_version": package_version(), "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return path


def months_text(design: TrialDesign) -> str:
    rounds = design.rounds
    return (f"month {rounds[0]}" if len(rounds) == 1
            else f"months {', '.join(str(m) for m in rounds)}")


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as an aligned text table (for the command line); estimates carry their
    ``|outcome@month`` when the trial has more than one outcome or round."""
    several = "outcome" in summary and len(summary[["outcome", "month"]].drop_duplicates()) > 1
    labels = [estimate_key(r.estimate, r.outcome, r.month) if several else r.estimate
              for r in summary.itertuples()]
    width = max([26, *(len(label) + 2 for label in labels)])
    lines = [f"{'estimate':{width}}{'mean':>9}{'sd':>8}{'2.5%':>9}{'97.5%':>9}{'mean SE':>9}"
             f"{'power':>7}{'census':>9}{'cover':>7}"]
    for label, row in zip(labels, summary.itertuples(), strict=True):
        lines.append(f"{label:{width}}{row.mean:>+9.3f}{row.sd:>8.3f}{row.q025:>+9.3f}"
                     f"{row.q975:>+9.3f}{row.mean_se:>9.3f}{row.power:>7.0%}"
                     f"{row.census:>+9.3f}{row.coverage:>7.0%}")
    return "\n".join(lines)


def cmd_trial(args: argparse.Namespace) -> int:
    design = load(args.trial, args.scenario)
    replicates = args.replicates or design.replicates
    out = output_folder(Path(args.out) if args.out else default_folder(f"trial_{design.name}"))
    print(f"sanisim trial: {design.name}: {len(design.arms)} arms "
          f"({', '.join(a.name for a in design.arms)}) by {design.unit}, survey at "
          f"{months_text(design)}, {replicates} replicates -> {out}", flush=True)
    partial = PartialTable(out / PARTIAL_ESTIMATES)
    result = run_trial(design, replicates=replicates,
                       backend=chosen_backend(args.backend, args.scheduler),
                       workers=args.workers, scheduler=args.scheduler, partial=partial)
    with writing(out):
        result.estimates.to_csv(out / "estimates.csv", index=False)
        result.summary.to_csv(out / "summary.csv", index=False)
        write_manifest(out, design, replicates=replicates)
    partial.done()
    print(format_summary(result.summary))
    print(f"(per-replicate estimates: {out / 'estimates.csv'}; summary: {out / 'summary.csv'})")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ``trial`` verb to the ``sanisim`` command."""
    parser = verbs.add_parser(
        "trial", help="run a virtual trial (randomised arms in one district) over replicates",
        description="Randomise strategy arms to clusters (or households) of one simulated "
                    "district, survey the outcome, estimate each arm's effect with "
                    "cluster-robust standard errors, and report the estimates' distribution "
                    "and the trial's power over replicates (see docs/trials.md).")
    parser.add_argument("trial", help="trial TOML file (e.g. experiments/east_java_trial.toml; "
                        "format: docs/trials.md)")
    parser.add_argument("--scenario", default=None,
                        help="run the trial on this scenario instead of the file's (e.g. a "
                             "calibrated one)")
    parser.add_argument("--replicates", type=replicates, default=None,
                        help="replicates (default: the file's)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="results folder (default results/trial_NAME)")
    add_executor_options(parser)
    parser.set_defaults(func=cmd_trial)
