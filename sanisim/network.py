"""Social networks between households, kept as sparse adjacency (CSR).

All builders are vectorised (no per-household Python loop), so a 100,000-household network
takes well under a second. Neighbour effects are sparse matrix-vector products.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sanisim.errors import InputError
from sanisim.rowblocks import ranges


class SocialNetwork:
    """Undirected, unweighted household network.

    ``adjacency`` is a symmetric CSR matrix with unit entries, or ``None`` for the complete
    graph, whose neighbour sums are computed in O(n) without storing n^2 edges.
    """

    def __init__(self, n: int, adjacency: sp.csr_matrix | None, kind: str) -> None:
        self.n = n
        self.kind = kind
        self.adjacency = adjacency
        if adjacency is None:
            self.degree = np.full(n, n - 1, dtype=np.float32)
        else:
            self.degree = np.diff(adjacency.indptr).astype(np.float32)
        self._inv_degree = np.divide(1.0, self.degree, out=np.zeros(n, np.float32),
                                     where=self.degree > 0)

    @property
    def n_edges(self) -> int:
        if self.adjacency is None:
            return self.n * (self.n - 1) // 2
        return int(self.adjacency.nnz // 2)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each household's neighbours."""
        if self.adjacency is None:
            return values.sum(dtype=np.float64).astype(values.dtype) - values
        return self.adjacency @ values

    def neighbour_share(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over each household's neighbours (0 for isolates)."""
        return self.share_from_sum(self.neighbour_sum(values))

    def share_from_sum(self, sums: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Neighbour sums turned into neighbour means (0 for isolates); with ``rows``,
        ``sums`` are those rows' sums."""
        return sums * (self._inv_degree if rows is None else self._inv_degree[rows])

    def neighbours(self, row: int) -> np.ndarray:
        if self.adjacency is None:
            return np.delete(np.arange(self.n), row)
        a = self.adjacency
        return a.indices[a.indptr[row]:a.indptr[row + 1]]

    def to_networkx(self):
        """A networkx graph (for drawing small networks; O(edges) Python objects)."""
        if self.adjacency is None:
            return nx.complete_graph(self.n)
        graph = nx.from_scipy_sparse_array(self.adjacency)
        return graph

    def nbytes(self) -> int:
        a = self.adjacency
        own = self.degree.nbytes + self._inv_degree.nbytes
        return own if a is None else own + a.data.nbytes + a.indices.nbytes + a.indptr.nbytes

    def neighbours_of(self, rows: np.ndarray) -> np.ndarray:
        """All neighbours of ``rows``, concatenated (with repeats), for sparse adjacency."""
        a = self.adjacency
        starts = a.indptr[rows]
        return self.neighbours_at(starts, a.indptr[rows + 1] - starts)

    def neighbours_at(self, starts: np.ndarray, degrees: np.ndarray) -> np.ndarray:
        """The neighbours of rows whose ties start at ``starts`` in the adjacency's indices
        (``indptr[rows]``) and number ``degrees``, concatenated."""
        # position of each neighbour in indices: its row's start plus its offset in the row
        return self.adjacency.indices[ranges(starts, degrees)]


#: What a changed row adds to each neighbour's sum: -1 when it fell (False), +1 when it rose.
_STEP = np.array([-1.0, 1.0], np.float32)


class NeighbourCount:
    """Neighbour sums of a 0/1 indicator, kept up to date from the rows that changed.

    ``update(indicator)`` returns what ``network.neighbour_sum(indicator)`` returns (the
    same float32 values: sums of ones are exact), but costs O(n) cheap array passes plus
    O(changed rows x degree) instead of a sparse matrix-vector product over every edge. When
    many rows changed (or the graph is complete) it falls back to the full product.
    """

    #: Recompute in full when the changed rows hold more than this share of all edge ends.
    FULL_SHARE = 0.125

    def __init__(self, network: SocialNetwork) -> None:
        self.network = network
        self.state: np.ndarray | None = None  # the indicator the counts belong to
        self.counts: np.ndarray | None = None  # float32 neighbour sums of ``state``
        #: Rows whose sums the last update changed (with repeats), or None: counted afresh.
        self.touched: np.ndarray | None = None

    def update(self, indicator: np.ndarray) -> np.ndarray:
        """Neighbour sums (float32) of a boolean ``indicator`` over the network."""
        net = self.network
        if net.adjacency is None or self.state is None:
            return self._full(indicator)
        changed = (indicator != self.state).nonzero()[0]
        if changed.size == 0:
            self.touched = changed
            return self.counts
        ends = net.adjacency.indptr
        starts = ends[changed]
        degrees = ends[changed + 1] - starts
        if degrees.sum() > self.FULL_SHARE * ends[-1]:
            return self._full(indicator)
        up = indicator[changed]
        # the neighbours of every changed row at once, each counted +1 from a row that rose
        # and -1 from one that fell: sums of ones, exact in any order, so one scatter for both
        touched = net.neighbours_at(starts, degrees)
        np.add.at(self.counts, touched, _STEP[up.view(np.uint8)].repeat(degrees))
        self.state[changed] = up
        self.touched = touched
        return self.counts

    def _full(self, indicator: np.ndarray) -> np.ndarray:
        self.touched = None
        self.state = indicator.copy()
        self.counts = self.network.neighbour_sum(indicator.astype(np.float32))
        return self.counts


def _index_type(n: int) -> type:
    """The integer type of household indices: 32 bits while they fit (the pairs and the CSR
    build then move half the bytes; scipy keeps 32-bit indices for such a matrix anyway)."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _from_pairs(n: int, src: np.ndarray, dst: np.ndarray, kind: str) -> SocialNetwork:
    index = _index_type(n)
    src, dst = src.astype(index, copy=False), dst.astype(index, copy=False)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    matrix = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return SocialNetwork(n, matrix, kind)


def _partners_within(blocks: np.ndarray, stubs: np.ndarray, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """For each stub of household i, a uniform partner in i's block (blocks are contiguous)."""
    n = blocks.size
    index = _index_type(n)
    sizes = np.bincount(blocks)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(index)
    src = np.repeat(np.arange(n, dtype=index), stubs)
    block = blocks[src]
    dst = starts[block] + (rng.random(src.size) * sizes[block]).astype(index)
    return src, dst


def community(rt: np.ndarray, rw: np.ndarray, rt_degree: float, rw_degree: float,
              long_degree: float, rng: np.random.Generator) -> SocialNetwork:
    """Dense ties within an RT, sparser ties within an RW, a few long ties.

    Each household originates Poisson(degree / 2) ties of each kind, so mean degrees are
    close to the given ones (less the rare duplicates and self-pairs, which are dropped).
    """
    n = rt.size
    pairs = [
        _partners_within(rt, rng.poisson(rt_degree / 2.0, n), rng),
        _partners_within(rw, rng.poisson(rw_degree / 2.0, n), rng),
        _partners_within(np.zeros(n, np.int32), rng.poisson(long_degree / 2.0, n), rng),
    ]
    src = np.concatenate([p[0] for p in pairs])
    dst = np.concatenate([p[1] for p in pairs])
    return _from_pairs(n, src, dst, "community")


def watts_strogatz(n: int, mean_degree: float, rewire: float, rng: np.random.Generator
                   ) -> SocialNetwork:
    """Ring lattice of even degree ~ mean_degree, each edge's far end rewired with prob."""
    half = max(1, int(round(mean_degree / 2)))
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    moved = rng.random(src.size) < rewire
    dst = np.where(moved, rng.integers(0, n, src.size), dst)
    return _from_pairs(n, src, dst, "watts_strogatz")


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> SocialNetwork:
    """G(n, p) with p = mean_degree / (n - 1), drawn as a binomial number of random pairs."""
    p = min(1.0, mean_degree / max(n - 1, 1))
    m = rng.binomial(n * (n - 1) // 2, p)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    return _from_pairs(n, src, dst, "erdos_renyi")


def complete(n: int) -> SocialNetwork:
    return SocialNetwork(n, None, "complete")


def from_edgelist(path: Path, n: int, source: str) -> SocialNetwork:
    """Edges from a text file of 0-based household index pairs (whitespace or comma)."""
    key = "network.edgelist"
    if not path.is_file():
        raise InputError(source, key, f"edge-list file {str(path)!r} not found")
    try:
        text = path.read_text().replace(",", " ")
        rows = [line.split() for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
        if any(len(row) != 2 for row in rows):
            raise ValueError("a line does not hold exactly two fields")
        edges = np.array(rows, dtype=np.int64).reshape(-1, 2)
    except UnicodeDecodeError:
        raise InputError(source, key, f"{path}: not a UTF-8 text file") from None
    except ValueError:
        raise InputError(source, key, f"{path}: each line must hold two household indices"
                         ) from None
    except OSError as err:
        raise InputError(source, key, f"{path}: cannot read file ({err.strerror})") from None
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise InputError(source, key, f"{path}: indices must be in [0, {n - 1}] for "
                         f"{n} households")
    return _from_pairs(n, edges[:, 0], edges[:, 1], "edgelist")


def build(params, rt: np.ndarray, rw: np.ndarray, rng: np.random.Generator,
          scenario_path: str | None = None) -> SocialNetwork:
    """The network a scenario asks for."""
    kind = params["network.kind"]
    n = rt.size
    if kind == "community":
        return community(rt, rw, params["network.rt_degree"], params["network.rw_degree"],
                         params["network.long_degree"], rng)
    if kind == "watts_strogatz":
        return watts_strogatz(n, params["network.mean_degree"], params["network.rewire"], rng)
    if kind == "erdos_renyi":
        return erdos_renyi(n, params["network.mean_degree"], rng)
    if kind == "complete":
        return complete(n)
    base = Path(scenario_path).parent if scenario_path else Path(".")
    source = scenario_path or "<scenario>"
    if not params["network.edgelist"]:
        raise InputError(source, "network.edgelist", "kind 'edgelist' needs a file path")
    return from_edgelist(base / params["network.edgelist"], n, source)
