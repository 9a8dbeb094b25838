"""Sensitivity analysis: known answers through the sample -> evaluate -> analyse path, the
model evaluated through the batch engine (resumable), the problem made from the records."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line

from sanisim.cli import main
from sanisim.errors import InputError
from sanisim.evidence import sensitivity
from sanisim.parameters import BY_KEY
from sanisim.runs.executors import open_executor

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    """Ishigami & Homma (1990): sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3."""
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices() -> dict[str, tuple[float, float]]:
    """Analytic first-order and total indices (S1, ST) per variable."""
    v1 = 0.5 * (1 + B * math.pi ** 4 / 5) ** 2
    v2 = A ** 2 / 8
    v13 = B ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"x1": (v1 / total, (v1 + v13) / total), "x2": (v2 / total, v2 / total),
            "x3": (0.0, v13 / total)}


ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_ishigami_sobol_indices_match_the_known_values(backend):
    values = sensitivity.sample(ISHIGAMI, "sobol", 2048, seed=1)
    with open_executor(backend, 2) as handle:
        outputs = sensitivity.evaluate_function(ishigami, values, handle.executor, chunk=2048)
    np.testing.assert_allclose(outputs, ishigami(values))  # order kept across chunks
    indices = sensitivity.analyse(ISHIGAMI, "sobol", values, outputs, seed=2)
    table = indices.set_index(["parameter", "index"])
    report = indices.to_string()
    for name, (s1, st) in ishigami_indices().items():
        for index, known in (("S1", s1), ("ST", st)):
            value, conf = table.loc[(name, index), ["value", "conf"]]
            # within SALib's 95% interval (a small floor for intervals that collapse near 0)
            assert abs(value - known) <= max(conf, 0.01), f"{name} {index}: {known}\n{report}"


def test_morris_on_a_linear_function_gives_exact_elementary_effects():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [-1, 1]]}
    coefficients = np.array([2.0, -1.0, 0.0])
    values = sensitivity.sample(problem, "morris", 12, seed=3)
    with open_executor("serial") as handle:
        outputs = sensitivity.evaluate_function(_Linear(coefficients), values, handle.executor,
                                                chunk=7)
    table = sensitivity.analyse(problem, "morris", values, outputs).set_index(
        ["parameter", "index"])["value"]
    ranges = np.array([1.0, 2.0, 2.0])
    for name, expected in zip("abc", np.abs(coefficients) * ranges, strict=True):
        assert table[(name, "mu_star")] == pytest.approx(expected)
        assert table[(name, "sigma")] == pytest.approx(0.0, abs=1e-12)
    assert table[("b", "mu")] == pytest.approx(-2.0)


class _Linear:
    def __init__(self, coefficients: np.ndarray) -> None:
        self.coefficients = coefficients

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self.coefficients


def test_problem_is_generated_from_the_parameter_records():
    keys = ["behaviour.p_innovation", "behaviour.w_norm", "sanitarians.count"]
    problem = sensitivity.problem(keys, {"sanitarians.count": (0, 20)})
    assert problem["names"] == keys
    record = BY_KEY["behaviour.w_norm"]
    assert problem["bounds"][1] == [record.low, record.high]
    assert json.loads(json.dumps(problem)) == problem  # plain data
    with pytest.raises(InputError, match="only numeric"):
        sensitivity.problem(["behaviour.p_innovation", "network.kind"])
    with pytest.raises(InputError, match="inside the recorded range"):
        sensitivity.problem(keys, {"behaviour.w_norm": (-1.0, 2.0)})
    with pytest.raises(InputError, match="did you mean 'behaviour.w_norm'"):
        sensitivity.problem(["behaviour.w_nrom", "behaviour.w_risk"])
    with pytest.raises(InputError, match="fixed by the design"):
        sensitivity.problem(["population.households", "behaviour.w_risk"])


SA_FILE = """
[sensitivity]
name = "tiny"
scenario = "default"
method = "morris"
samples = 3
seed = 9
replicates = 1
months = 12
households = 400
bundles = ["baseline", "bcc"]
outcome = "basic_or_better_end"
parameters = ["behaviour.p_innovation", "behaviour.w_attitude", "sanitarians.count"]

[sensitivity.bounds]
"behaviour.p_innovation" = [0.001, 0.02]
"behaviour.w_attitude" = [0.0, 2.0]
"sanitarians.count" = [0, 8]
"""


def test_model_sensitivity_runs_in_three_steps_through_the_batch_engine(tmp_path, capsys):
    path = tmp_path / "sa.toml"
    path.write_text(SA_FILE)
    out = tmp_path / "sa"
    common = ["--out", str(out), "--workers", "2"]
    assert main(["sensitivity", str(path), "--step", "sample", *common]) == 0
    sample = pd.read_csv(out / "sample.csv")
    assert len(sample) == 3 * 4 and list(sample.columns) == [
        "behaviour.p_innovation", "behaviour.w_attitude", "sanitarians.count"]
    assert sample["sanitarians.count"].dtype.kind == "i"
    assert main(["sensitivity", str(path), "--step", "evaluate", *common]) == 0
    outputs = pd.read_csv(out / "outputs.csv")
    assert len(outputs) == len(sample)
    difference = "basic_or_better_end:bcc-baseline"
    np.testing.assert_allclose(outputs[difference], outputs["basic_or_better_end:bcc"]
                               - outputs["basic_or_better_end:baseline"])
    # resumable: the store is complete, a second evaluation runs nothing new
    spec = sensitivity.load(path)
    again = sensitivity.step_evaluate(spec, out, resume=True, backend="serial")
    pd.testing.assert_frame_equal(again, outputs)
    assert main(["sensitivity", str(path), "--step", "analyse", "--out", str(out)]) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["output"]) == set(spec.outputs())
    assert (out / "morris.png").stat().st_size > 0
    ranking = pd.read_csv(out / "ranking.csv")
    assert set(ranking["difference"]) == {difference}
    assert "mu_star" in capsys.readouterr().out
    # more spontaneous adoption moves the level of adoption more than anything else here
    level = indices[(indices["output"] == "basic_or_better_end:baseline")
                    & (indices["index"] == "mu_star")].set_index("parameter")["value"]
    assert level.idxmax() == "behaviour.p_innovation"


def test_sensitivity_file_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "sa.toml"
    path.write_text(SA_FILE.replace('method = "morris"', 'method = "sobol"'))
    with pytest.raises(InputError, match="power of 2"):
        sensitivity.load(path)
    path.write_text(SA_FILE.replace('"baseline", "bcc"', '"nothing", "bcc"'))
    assert main(["sensitivity", str(path)]) == 2
    assert_one_line(capsys.readouterr().err, "nothing")
    out = tmp_path / "empty"
    path.write_text(SA_FILE)
    assert main(["sensitivity", str(path), "--step", "analyse", "--out", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, "sample step")


def test_unknown_outcome_is_refused_before_anything_runs(tmp_path, capsys):
    from sanisim.cli import main

    bad = tmp_path / "bad_outcome.toml"
    bad.write_text('[sensitivity]\nname = "bad"\nscenario = "default"\n'
                   'parameters = ["behaviour.q_imitation", "behaviour.p_innovation"]\n'
                   'outcome = "basic_or_beter_end"\n')
    assert main(["sensitivity", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "sensitivity.outcome" in err and "did you mean 'basic_or_better_end'" in err
    assert not list(tmp_path.rglob("sample.csv")), "nothing may be sampled or run"
