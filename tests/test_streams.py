"""The seed policy (sanisim.streams): declared stream names, one replicate-seed rule."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sanisim import streams
from sanisim.streams import (
    RUN_STREAMS,
    SEED_STREAMS,
    Streams,
    replicate_seed,
    replicate_seeds,
    seed_stream,
)

PACKAGE = Path(streams.__file__).resolve().parent


def test_replicate_seed_is_the_spawned_child_of_the_base_seed():
    children = np.random.SeedSequence(2026).spawn(4)
    assert replicate_seeds(2026, 4) == [int(c.generate_state(1)[0]) for c in children]
    assert replicate_seed(2026, 3) == int(np.random.SeedSequence(
        2026, spawn_key=(3,)).generate_state(1)[0])
    assert len(set(replicate_seeds(0, 50))) == 50
    with pytest.raises(ValueError):
        replicate_seed(0, -1)


def test_every_place_that_derives_replicate_seeds_uses_the_one_rule():
    from sanisim.evidence import trial
    from sanisim.runs import experiment

    assert [experiment.run_seed(7, r) for r in range(3)] == replicate_seeds(7, 3)
    design = SimpleNamespace(seed=7, replicates=3)  # the fields replicate_seeds reads
    assert trial.replicate_seeds(design) == replicate_seeds(7, 3)


def test_undeclared_run_stream_is_refused_and_strategy_streams_are_allowed():
    run = Streams(5)
    with pytest.raises(KeyError, match="undeclared random stream 'adopton'"):
        run["adopton"]
    with pytest.raises(KeyError):
        run["strategy:"]
    assert run.strategy("bcc v2") is run["strategy:bcc v2"]
    # the derivation of a declared stream is unchanged: SeedSequence(seed, (crc32(name),))
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        5, spawn_key=(zlib.crc32(b"adoption"),)))).random(3)
    assert np.array_equal(run["adoption"].random(3), expected)


def test_every_stream_name_in_the_package_is_declared():
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"streams\[\"([^\"]+)\"\]", path.read_text()))
        used |= set(re.findall(r"seed_stream\([^,]+, \"([^\"]+)\"\)", path.read_text()))
    assert used, "the scan found no stream names"
    undeclared = sorted(n for n in used if n not in RUN_STREAMS and n not in SEED_STREAMS)
    assert not undeclared, f"declare these in sanisim.streams: {undeclared}"


def test_seed_streams_are_declared_and_never_a_replicate_seed_sequence():
    with pytest.raises(KeyError, match="undeclared seed stream"):
        seed_stream(1, "sanisim.experiment.lsh")
    # two-entry spawn keys: the Latin hypercube and posterior draws keep their numbers
    for name in ("sanisim.experiment.lhs", "sanisim.posterior.draws"):
        old = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            9, spawn_key=(zlib.crc32(name.encode()), 0))))
        assert np.array_equal(seed_stream(9, name).random(4), old.random(4))
    # a stream of the base seed never equals the sequence of a replicate of that seed
    first = {name: seed_stream(9, name).random() for name in SEED_STREAMS}
    assert len(set(first.values())) == len(SEED_STREAMS)
    for r in range(10):
        replicate = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            9, spawn_key=(r,)))).random()
        assert replicate not in first.values()
