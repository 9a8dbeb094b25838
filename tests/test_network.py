"""Social networks: degrees, symmetry, community structure, edge lists, build time."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import assert_one_line, small_model

from sanisim import network as networks
from sanisim.errors import InputError
from sanisim.model import SanitationModel
from sanisim.population import synthesise
from sanisim.scenario import default_scenario, load


def _population(n: int, seed: int = 1):
    return synthesise(default_scenario().params, np.random.default_rng(seed), n)


def _assert_simple_undirected(net: networks.SocialNetwork) -> None:
    a = net.adjacency
    assert sp.issparse(a) and a.format == "csr"
    assert a.shape == (net.n, net.n)
    assert (a != a.T).nnz == 0, "adjacency is not symmetric"
    assert a.diagonal().sum() == 0, "self loops"
    assert np.all(a.data == 1.0), "ties are unweighted (no multi-edges)"
    np.testing.assert_array_equal(net.degree, np.diff(a.indptr))
    assert net.n_edges * 2 == a.nnz


@pytest.fixture(scope="module")
def community_net():
    hh = _population(20_000)
    net = networks.community(hh.rt, hh.rw, 6.0, 2.0, 1.0, np.random.default_rng(7))
    return hh, net


def test_community_network_is_simple_and_undirected(community_net):
    _, net = community_net
    _assert_simple_undirected(net)


def test_community_network_mean_degree_close_to_requested(community_net):
    _, net = community_net
    target = 6.0 + 2.0 + 1.0
    mean = float(net.degree.mean())
    assert abs(mean - target) <= 0.15 * target, f"mean degree {mean:.2f}, asked for {target}"


def test_community_network_ties_mostly_inside_rt_and_rw(community_net):
    hh, net = community_net
    a = net.adjacency.tocoo()
    same_rt = float((hh.rt[a.row] == hh.rt[a.col]).mean())
    same_rw = float((hh.rw[a.row] == hh.rw[a.col]).mean())
    assert same_rt > 0.5, f"only {same_rt:.0%} of ties inside the RT"
    assert same_rw > same_rt
    assert same_rw < 1.0, "no long ties at all"
    # an RT holds ~40 of 20,000 households: random wiring would put ~0.2% of ties inside it
    assert same_rt > 100 * (np.bincount(hh.rt) ** 2).sum() / hh.n ** 2


def test_community_network_degree_components_follow_parameters():
    hh = _population(10_000)
    only_rt = networks.community(hh.rt, hh.rw, 6.0, 0.0, 0.0, np.random.default_rng(1))
    a = only_rt.adjacency.tocoo()
    assert np.all(hh.rt[a.row] == hh.rt[a.col]), "rt-only network has ties across RTs"
    none = networks.community(hh.rt, hh.rw, 0.0, 0.0, 0.0, np.random.default_rng(1))
    assert none.n_edges == 0
    np.testing.assert_array_equal(none.neighbour_share(np.ones(hh.n, np.float32)), 0.0)


@pytest.mark.parametrize("mean_degree", [4.0, 8.0, 20.0])
def test_watts_strogatz_mean_degree(mean_degree):
    net = networks.watts_strogatz(5000, mean_degree, 0.1, np.random.default_rng(3))
    _assert_simple_undirected(net)
    assert abs(net.degree.mean() - mean_degree) <= 0.05 * mean_degree


def test_watts_strogatz_without_rewiring_is_a_ring_lattice():
    net = networks.watts_strogatz(100, 4.0, 0.0, np.random.default_rng(3))
    np.testing.assert_array_equal(net.degree, 4)
    np.testing.assert_array_equal(np.sort(net.neighbours(0)), [1, 2, 98, 99])


@pytest.mark.parametrize("mean_degree", [2.0, 8.0, 30.0])
def test_erdos_renyi_mean_degree(mean_degree):
    net = networks.erdos_renyi(5000, mean_degree, np.random.default_rng(4))
    _assert_simple_undirected(net)
    assert abs(net.degree.mean() - mean_degree) <= 0.05 * mean_degree
    # G(n, p): degrees are close to Poisson, variance about equal to the mean
    assert 0.8 < net.degree.var() / net.degree.mean() < 1.2


def test_complete_graph_neighbour_share_excludes_self():
    n = 301
    net = networks.complete(n)
    values = (np.random.default_rng(5).random(n) < 0.37).astype(np.float32)
    expected = (values.sum() - values) / (n - 1)
    np.testing.assert_allclose(net.neighbour_share(values), expected, rtol=1e-6)
    assert net.n_edges == n * (n - 1) // 2
    np.testing.assert_array_equal(net.degree, n - 1)
    assert net.neighbours(3).size == n - 1 and 3 not in net.neighbours(3)


def test_sparse_neighbour_share_matches_explicit_mean():
    net = networks.erdos_renyi(500, 6.0, np.random.default_rng(6))
    values = np.random.default_rng(7).random(500).astype(np.float32)
    share = net.neighbour_share(values)
    for row in (0, 17, 250, 499):
        nb = net.neighbours(row)
        expected = values[nb].mean() if nb.size else 0.0
        assert share[row] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind", ["community", "erdos_renyi", "complete"])
def test_incremental_neighbour_count_equals_full_product(kind):
    """NeighbourCount.update gives exactly neighbour_sum, whether few or many rows change;
    when it updated from the changed rows, the rows it touched are their neighbours, each
    once per changed neighbour (rising and falling)."""
    rng = np.random.default_rng(12)
    n = 3000
    if kind == "community":
        hh = _population(n)
        net = networks.community(hh.rt, hh.rw, 6.0, 2.0, 1.0, rng)
    elif kind == "erdos_renyi":
        net = networks.erdos_renyi(n, 8.0, rng)
    else:
        net = networks.complete(n)
    counter = networks.NeighbourCount(net)
    state = rng.random(n) < 0.1
    incremental = 0  # updates made from the changed rows
    for flips in (0, 1, 5, 40, 0, 300, 2000, 3, 1500, 7):  # below and above the full-recount share
        rows = rng.choice(n, flips, replace=False)
        state = state.copy()
        state[rows] = ~state[rows]
        got = counter.update(state)
        expected = net.neighbour_sum(state.astype(np.float32))
        np.testing.assert_array_equal(got, expected, err_msg=f"after flipping {flips} rows")
        if counter.touched is not None:  # updated from the changed rows
            incremental += flips > 0
            changed = np.sort(rows)
            np.testing.assert_array_equal(np.sort(counter.touched),
                                          np.sort(net.neighbours_of(changed)))
        np.testing.assert_allclose(net.share_from_sum(got), net.neighbour_share(
            state.astype(np.float32)), rtol=1e-6)
    # a sparse network updates from the changed rows when few change (a complete one counts
    # afresh every time)
    assert (incremental > 0) == (net.adjacency is not None)


def test_neighbours_of_concatenates_rows():
    net = networks.erdos_renyi(400, 5.0, np.random.default_rng(13))
    rows = np.array([3, 0, 399, 3, 200])
    expected = np.concatenate([net.neighbours(r) for r in rows])
    np.testing.assert_array_equal(net.neighbours_of(rows), expected)
    assert net.neighbours_of(np.array([], dtype=np.int64)).size == 0


# --------------------------------------------------------------------------- edge lists


def test_edgelist_file_loads(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("# household pairs\n0 1\n1,2\n\n2 3\n3 0\n0 1\n")
    net = networks.from_edgelist(path, 5, "s.toml")
    _assert_simple_undirected(net)
    assert net.n_edges == 4  # the repeated 0-1 tie counts once
    np.testing.assert_array_equal(net.degree, [2, 2, 2, 2, 0])


@pytest.mark.parametrize(("text", "what"), [
    ("0 1\n1 5\n", "[0, 4]"),  # index beyond the household count
    ("0 1\n-1 2\n", "[0, 4]"),  # negative index
    ("0 1\n1 x\n", "two household indices"),
    ("0 1\n2\n", "two household indices"),
    ("0 1 2\n3 4 0\n", "two household indices"),  # three fields per line
    ("0 1.5\n", "two household indices"),
], ids=["too-large", "negative", "not-a-number", "one-field", "three-fields", "float"])
def test_edgelist_errors(tmp_path, text, what):
    path = tmp_path / "edges.txt"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        networks.from_edgelist(path, 5, "s.toml")
    assert_one_line(str(info.value), "s.toml", "network.edgelist", what)


def test_edgelist_scenario_path_is_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "ties.csv").write_text("\n".join(f"{i},{(i + 1) % 20}" for i in range(20)))
    scenario_path = tmp_path / "ring.toml"
    scenario_path.write_text('[population]\nhouseholds = 20\nrt_size = 5\n'
                             '[network]\nkind = "edgelist"\nedgelist = "ties.csv"\n')
    model = SanitationModel(load(scenario_path), seed=1)
    np.testing.assert_array_equal(model.network.degree, 2)
    model.run(3)


def test_edgelist_scenario_errors_name_the_scenario_file(tmp_path):
    scenario_path = tmp_path / "ring.toml"
    scenario_path.write_text('[population]\nhouseholds = 20\n'
                             '[network]\nkind = "edgelist"\nedgelist = "missing.txt"\n')
    with pytest.raises(InputError) as info:
        SanitationModel(load(scenario_path), seed=1)
    assert_one_line(str(info.value), str(scenario_path), "network.edgelist", "missing.txt")

    scenario_path.write_text('[population]\nhouseholds = 20\n[network]\nkind = "edgelist"\n')
    with pytest.raises(InputError) as info:
        SanitationModel(load(scenario_path), seed=1)
    assert_one_line(str(info.value), str(scenario_path), "network.edgelist")


# --------------------------------------------------------------------------- in the model


@pytest.mark.parametrize("kind", ["community", "watts_strogatz", "erdos_renyi", "complete"])
def test_model_builds_each_network_kind(kind):
    model = small_model(households=600, **{"network.kind": kind})
    assert model.network.kind == kind
    assert model.network.n == 600
    if kind != "complete":
        _assert_simple_undirected(model.network)
    model.run(2)


def test_network_is_reproducible_from_the_seed():
    a, b, c = (small_model(seed=s, households=1000).network.adjacency for s in (3, 3, 4))
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


def test_community_network_for_100k_households_builds_in_seconds():
    """Smoke check (not a benchmark): population plus network for 100,000 households."""
    start = time.perf_counter()
    hh = _population(100_000)
    net = networks.community(hh.rt, hh.rw, 6.0, 2.0, 1.0, np.random.default_rng(2))
    elapsed = time.perf_counter() - start
    assert net.n == 100_000
    assert elapsed < 5.0, f"population + network took {elapsed:.1f} s"


@pytest.mark.parametrize("kind", ["community", "watts_strogatz"])
def test_network_built_alongside_the_population_is_the_same(monkeypatch, kind):
    """From ALONGSIDE_FROM households the network is built on a second thread while the
    population is drawn: the households and ties are those of one after the other."""
    from dataclasses import fields

    from sanisim import model as model_module
    from sanisim.streams import Streams

    params = default_scenario().with_params({"network.kind": kind}).params
    streams = Streams(11)  # by hand: the population, then the network
    hh = synthesise(params, streams["population"], 4_000)
    net = networks.build(params, hh.rt, hh.rw, streams["network"])
    for alongside_from in (10**9, 0):  # never on a thread; always
        monkeypatch.setattr(model_module, "ALONGSIDE_FROM", alongside_from)
        built_hh, built_net = model_module.households_and_network(params, Streams(11), 4_000)
        for field in fields(hh):
            np.testing.assert_array_equal(getattr(built_hh, field.name),
                                          getattr(hh, field.name), err_msg=field.name)
        assert (built_net.adjacency != net.adjacency).nnz == 0


def test_network_error_on_the_second_thread_reaches_the_caller(monkeypatch, tmp_path):
    from sanisim import model as model_module
    from sanisim.streams import Streams

    monkeypatch.setattr(model_module, "ALONGSIDE_FROM", 0)
    params = default_scenario().with_params({"network.kind": "edgelist",
                                             "network.edgelist": "missing.txt"}).params
    with pytest.raises(InputError, match="network.edgelist"):
        model_module.households_and_network(params, Streams(1), 500,
                                            str(tmp_path / "scenario.toml"))
