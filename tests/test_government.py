"""The district government as an actor (``mechanisms.government``, sanisim.government):
budgets per source on a yearly cycle, political commitment and staff, local government in
the field. Paired seeds: the same population and network in both arms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanisim.cli import main
from sanisim.government import RULES, SOURCES, column_key
from sanisim.model import SanitationModel
from sanisim.scenario import SCENARIO_DIR, load

SEEDS = (0, 1, 2, 3)

#: Triggering delivered by local government from its own sources, with budgets that bind.
TRIGGERING = """
[mechanisms]
government = true

[government.allocation]
APBD = 400_000_000.0

[strategies.demand_creation]
budget = inf                     # no budget of its own: the sources pay
sources = ["DAK", "APBD"]
"""


def scenario(tmp_path, text: str, name: str = "government_variant", base: str = "default"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "{(SCENARIO_DIR / f"{base}.toml").as_posix()}"\n'
                    f'name = "{name}"\n{text}')
    return load(str(path))


def run(scenario, seed: int, bundle: str = "baseline", months: int = 36,
        households: int | None = None, check: bool = False) -> SanitationModel:
    model = SanitationModel(scenario, seed=seed, bundle=bundle, households=households,
                            household_agents=False)
    for _ in range(months):
        model.step()
        if check:
            model.government.check()
    return model


def paired(a, b):
    diff = np.asarray(b, float) - np.asarray(a, float)
    return diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size)


def last(model: SanitationModel, column: str = "basic_or_better") -> float:
    return float(model.monthly_table()[column].iloc[-1])


def test_commitment_raises_staff_and_budgets_and_thereby_the_outcome(tmp_path):
    base = scenario(tmp_path, TRIGGERING)
    low = [run(base.with_params({"government.commitment": 0.2}), s, "demand_creation")
           for s in SEEDS]
    high = [run(base.with_params({"government.commitment": 0.9}), s, "demand_creation")
            for s in SEEDS]
    for a, b in zip(low, high, strict=True):
        ta, tb = a.monthly_table(), b.monthly_table()
        assert tb.government_staff.iloc[-1] > ta.government_staff.iloc[-1]
        assert tb.government_allocated_apbd.iloc[-1] > ta.government_allocated_apbd.iloc[-1]
        assert tb.government_allocated_dak.iloc[-1] == ta.government_allocated_dak.iloc[-1]
        assert tb.sanitarian_visits.sum() > ta.sanitarian_visits.sum()
        assert tb.demand_creation_sessions.sum() > ta.demand_creation_sessions.sum()
    mean, se = paired([last(m) for m in low], [last(m) for m in high])
    assert mean > 0 and mean > 3 * se, f"commitment gain {mean:.4f} (se {se:.4f})"


def test_strong_field_capacity_delivers_more_than_weak(tmp_path):
    base = scenario(tmp_path, TRIGGERING).with_params({"government.allocation.APBD": 1.5e9})
    weak = [run(base.with_params({"government.field_capacity": 0.2}), s, "demand_creation")
            for s in SEEDS]
    strong = [run(base.with_params({"government.field_capacity": 0.8}), s, "demand_creation")
              for s in SEEDS]
    for a, b in zip(weak, strong, strict=True):
        assert b.monthly_table().demand_creation_attendees.sum() > \
            a.monthly_table().demand_creation_attendees.sum()
        assert list(b.sanitarians)[0].capacity > list(a.sanitarians)[0].capacity
    mean, se = paired([last(m) for m in weak], [last(m) for m in strong])
    assert mean > 0 and mean > 3 * se, f"field capacity gain {mean:.4f} (se {se:.4f})"


def test_switched_off_the_government_changes_nothing_and_adds_no_column(tmp_path):
    """Off, sources and government parameters are inert: the monthly table is the one of
    the default scenario (whose model is the stored regression baseline's)."""
    inert = scenario(tmp_path, TRIGGERING.replace("government = true", "government = false")
                     + "\n[government]\ncommitment = 1.0\nfield_capacity = 0.0\n")
    default = load("default")
    for bundle in ("baseline", "demand_creation"):
        a = run(default, 5, bundle, 14, 1500).monthly_table()
        b = run(inert, 5, bundle, 14, 1500)
        assert b.government is None
        pd.testing.assert_frame_equal(a, b.monthly_table())
        assert not any(c.startswith("government_") for c in b.monthly_table().columns)


def test_budgets_never_exceeded_and_books_balance_every_month():
    """Tangerang's package crosses budget years with sources that lapse (APBD, DAK) and one
    that carries (BAZNAS); the invariants are checked after every month."""
    model = run(load("tangerang"), 2, "district_package", 30, 3000, check=True)
    government, table = model.government, model.monthly_table()
    years = pd.DataFrame(government.years)
    money = years.allocated + years.carried_in
    assert (years.spent <= money * (1 + 1e-9)).all()
    closed = years[years.year < government.year]
    assert np.allclose(closed.spent + closed.lapsed + closed.carried_out,
                       closed.allocated + closed.carried_in, rtol=1e-9)
    # lapsing sources carry nothing; carrying sources lapse nothing
    for source in SOURCES:
        rows = closed[closed.source == source]
        assert (rows.carried_out if not RULES[source].carries_over else rows.lapsed).eq(0).all()
    baznas = years[years.source == "BAZNAS"]
    assert baznas.carried_in.iloc[1] == pytest.approx(baznas.carried_out.iloc[0])
    # the monthly table's spending per source is the government's books
    for source in SOURCES:
        booked = sum(v for (s, _), v in government.books.items() if s == source)
        assert table[f"government_spent_{column_key(source)}"].sum() == pytest.approx(booked)
    # the model's ledger: government money outside the government's books is the
    # sanitarians' visits and programmes that name no source
    outside = model.totals[("government", "sanitarian_visits")] + sum(
        s.spent for s in model.strategies if s.funder == "government" and s.government is None)
    on_books = sum(v for (s, _), v in government.books.items()
                   if RULES[s].account == "government")
    assert table.spending_government.sum() == pytest.approx(on_books + outside)
    zakat = [s for s in model.strategies if s.name == "zakat"][0]
    assert table.spending_donors.sum() == pytest.approx(zakat.spent)
    assert government.books[("BAZNAS", "hardware_grants")] == pytest.approx(
        zakat.spent - zakat.own_spent - sum(v for (s, i), v in government.books.items()
                                            if s == "BAZNAS" and i != "hardware_grants"))
    assert table.government_unfunded.sum() == 0


def test_binding_budgets_stop_spending_at_what_the_sources_hold(tmp_path):
    tight = scenario(tmp_path, TRIGGERING.replace("400_000_000.0",
                                                  "250_000_000.0\nDAK = 0.0"))
    model = run(tight, 1, "demand_creation", 26, 1500, check=True)
    table = model.monthly_table()
    years = pd.DataFrame(model.government.years)
    apbd = years[years.source == "APBD"]
    assert (apbd.spent <= apbd.allocated + 1e-3).all()
    assert apbd.spent.iloc[0] > 0.99 * apbd.allocated.iloc[0]  # the year's money ran out
    assert table.demand_creation_sessions.iloc[1:12].min() == 0  # ... and sessions stopped
    assert (table.government_spent_dak == 0).all()


def test_an_election_changes_allocations_and_staff_from_the_next_budget_year(tmp_path):
    elected = scenario(tmp_path, TRIGGERING + "\n[government]\ncommitment = 0.2\n"
                       "commitment_month = 7\ncommitment_after = 0.9\n")
    table = run(elected, 0, "baseline", 14, 800).monthly_table()
    assert table.government_commitment.iloc[6] == 0.2 and table.government_commitment.iloc[7] == 0.9
    assert table.government_staff.iloc[12] == 3 and table.government_staff.iloc[13] == 6
    assert table.government_allocated_apbd.iloc[13] == pytest.approx(
        table.government_allocated_apbd.iloc[12] * 1.4 / 0.7)


@pytest.mark.parametrize(("text", "key"), [
    ("[mechanisms]\ngovernment = true\n[government]\ncommitment = 1.5\n",
     "government.commitment"),
    ("[government]\nfeild_capacity = 0.5\n", "government.feild_capacity"),
    ("[government.allocation]\nAPBD = -1.0\n", "government.allocation.APBD"),
    ('[strategies.bcc]\nsources = ["APDB"]\n', "strategies.bcc.sources"),
    ('[strategies.bcc]\nsources = "APBD"\n', "strategies.bcc.sources"),
], ids=["commitment-range", "unknown-key", "negative-allocation", "unknown-source",
        "not-a-list"])
def test_bad_government_input_is_one_line_and_exit_2(tmp_path, capsys, text, key):
    path = tmp_path / "bad_government.toml"
    path.write_text(f'extends = "{(SCENARIO_DIR / "default.toml").as_posix()}"\n'
                    f'name = "bad_government"\n{text}')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and key in err, err
    assert "Traceback" not in err
