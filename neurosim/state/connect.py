"""Draw the synapses of a connector: returns (pre, post) arrays sorted by pre, then post; ``post``
is int64 (the build narrows it to ``Synapses.post``'s dtype, :func:`index_types`, once the weights and
delays that may depend on (pre, post) are drawn), ``pre`` is int32 when the presynaptic population
has fewer than 2**31 neurons (:func:`index_dtype`), else int64; ``pre`` is not kept: the block's
row pointer gives it (:func:`pre_indices`).

Drawing happens once at build time, in compiled code, from a seed derived from the
network seed and the projection's position, so it does not depend on threads.  Nothing of
size n_pre x n_post is held (but for all_to_all), and the row order comes from counting, not
from sorting: the peak memory of a draw is about the size of its result.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import SpecError
from ..spec.connectors import Connector


def index_dtype(n: int):
    """The dtype of ``pre`` indices into a population of ``n`` neurons."""
    return np.int32 if n < 2 ** 31 else np.int64


@njit(cache=True)
def _bernoulli_rows(n_pre, n_post, p, skip_diagonal, seed, pre_t):
    np.random.seed(seed)
    cap = max(16, int(n_pre * n_post * p * 1.1 + 10 * np.sqrt(n_pre * n_post * p + 1) + 16))
    pre = np.empty(cap, pre_t.dtype)
    post = np.empty(cap, np.int64)
    k = 0
    if p <= 0.0:
        return pre[:0], post[:0]
    log_q = np.log1p(-p) if p < 1.0 else -np.inf
    for i in range(n_pre):
        j = -1
        while True:
            if p >= 1.0:
                j += 1
            else:
                u = np.random.random()
                while u <= 0.0:
                    u = np.random.random()
                j += 1 + int(np.floor(np.log(u) / log_q))
            if j >= n_post:
                break
            if skip_diagonal and j == i:
                continue
            if k == cap:
                cap2 = cap * 2
                pre2 = np.empty(cap2, pre_t.dtype)
                post2 = np.empty(cap2, np.int64)
                for q in range(cap):   # element loops: a slice copy compiles a shape check with
                    pre2[q] = pre[q]      # string formatting (~1.6 s of a first run)
                    post2[q] = post[q]
                pre, post, cap = pre2, post2, cap2
            pre[k] = i
            post[k] = j
            k += 1
    return pre[:k], post[:k]


@njit(cache=True)
def _columns(counts, n_cols, skip_diagonal, multapses, seed, cols):
    """Row ``r`` gets ``counts[r]`` columns drawn uniformly (not ``r`` itself when
    ``skip_diagonal``; distinct unless ``multapses``), written to ``cols`` (length sum(counts))
    row after row, ascending within a row.  The rows are ``np.repeat(arange, counts)``."""
    np.random.seed(seed)
    mark = np.zeros(n_cols, np.bool_)
    k = 0
    for r in range(counts.shape[0]):
        cnt = counts[r]
        m = 0
        while m < cnt:
            c = np.random.randint(0, n_cols)
            if skip_diagonal and c == r:
                continue
            if not multapses:
                if mark[c]:
                    continue
                mark[c] = True
            cols[k + m] = c
            m += 1
        seg = cols[k:k + cnt]
        seg.sort()            # in place (a view): no per-row copy
        if not multapses:
            for q in range(cnt):
                mark[seg[q]] = False
        k += cnt


@njit(cache=True)
def _by_column(row_counts, cols, col_ptr, rows_out):
    """Counting sort of pairs given row after row (``row_counts`` per row, their columns in
    ``cols``) into column order: ``rows_out[col_ptr[c]:col_ptr[c + 1]]`` gets the rows of column
    ``c``, ascending (stable), as a lexsort by (col, row) would."""
    nxt = col_ptr[:-1].copy()
    k = 0
    for r in range(row_counts.shape[0]):
        for _ in range(row_counts[r]):
            c = cols[k]
            rows_out[nxt[c]] = r
            nxt[c] += 1
            k += 1


def _pairs(counts, n_cols, skip_diagonal, multapses, seed, row_t, col_t):
    """(rows, cols) of the pairs drawn by :func:`_columns`, sorted by row, then column."""
    counts = np.asarray(counts, np.int64)
    cols = np.empty(int(counts.sum()), col_t)
    _columns(counts, n_cols, skip_diagonal, multapses, seed, cols)
    return np.repeat(np.arange(counts.size, dtype=row_t), counts), cols


def _fixed_count(n_rows, n_cols, n, skip_diagonal, multapses, seed, row_t=np.int64, col_t=np.int64):
    """For each row r draw n column indices (distinct unless multapses), excluding r itself
    when skip_diagonal.  Returns (row, col) sorted by row then col."""
    return _pairs(np.full(n_rows, n, np.int64), n_cols, skip_diagonal, multapses, seed, row_t, col_t)


def _total_number(n_rows, n_cols, n, skip_diagonal, multapses, seed, row_t=np.int64, col_t=np.int64):
    """``n`` (row, col) pairs drawn uniformly from the ``n_rows x n_cols`` pairs (the diagonal
    excluded when ``skip_diagonal``: every row then has ``n_cols - 1`` valid columns), independently
    when ``multapses``, else distinct.  The rows' counts are drawn first -- multinomial, or
    multivariate hypergeometric without multapses (numpy's O(n_rows) marginals method) -- then each
    row's columns, so nothing of size n_rows x n_cols is held and the pairs come out sorted."""
    rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, 1])))
    per_row = n_cols - (1 if skip_diagonal else 0)
    if multapses:
        counts = rng.multinomial(n, np.full(n_rows, 1.0 / n_rows))
    else:
        counts = rng.multivariate_hypergeometric(np.full(n_rows, per_row, np.int64), n, method="marginals")
    return _pairs(counts, n_cols, skip_diagonal, multapses, seed, row_t, col_t)


def draw(conn: Connector, n_pre: int, n_post: int, same_population: bool, seed: int, post_t=np.int64):
    """Return (pre, post) arrays (see the module docstring for their dtypes; ``post`` of
    ``post_t``, drawn straight into it where the rule allows) and the index order applied to
    from_arrays data."""
    pre, post, perm = _draw(conn, n_pre, n_post, same_population, seed, post_t)
    return pre, (post if post.dtype == post_t else post.astype(post_t)), perm


def _draw(conn, n_pre, n_post, same_population, seed, post_t):
    skip = same_population and not conn.allow_autapses
    rule = conn.rule
    pre_t = index_dtype(n_pre)
    if rule == "all_to_all":
        pre = np.repeat(np.arange(n_pre, dtype=pre_t), n_post)
        post = np.tile(np.arange(n_post, dtype=post_t), n_pre)
        if skip:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post, None
    if rule == "one_to_one":
        if n_pre != n_post:
            raise SpecError(f"one_to_one needs populations of equal size, got {n_pre} and {n_post}")
        return np.arange(n_pre, dtype=pre_t), np.arange(n_pre, dtype=post_t), None
    if rule == "fixed_probability":
        pre, post = _bernoulli_rows(n_pre, n_post, conn.p, skip, seed, np.zeros(0, pre_t))
        return pre.copy(), post.copy(), None   # views of the over-allocated buffers: keep only the pairs
    if rule == "fixed_indegree":
        avail = n_pre - (1 if skip else 0)
        if not conn.allow_multapses and conn.n > avail:
            raise SpecError(f"fixed_indegree.n must be <= {avail} (the number of possible sources) "
                            f"without multapses, got {conn.n}")
        counts = np.full(n_post, conn.n, np.int64)
        cols = np.empty(n_post * conn.n, np.int64)
        _columns(counts, n_pre, skip, conn.allow_multapses, seed, cols)
        col_counts = np.bincount(cols, minlength=n_pre)
        ptr = np.zeros(n_pre + 1, np.int64)
        np.cumsum(col_counts, out=ptr[1:])
        post = np.empty(cols.size, post_t)
        _by_column(counts, cols, ptr, post)     # sorted by pre, then post (counting, not lexsort)
        del cols
        return np.repeat(np.arange(n_pre, dtype=pre_t), col_counts), post, None
    if rule == "fixed_outdegree":
        avail = n_post - (1 if skip else 0)
        if not conn.allow_multapses and conn.n > avail:
            raise SpecError(f"fixed_outdegree.n must be <= {avail} (the number of possible targets) "
                            f"without multapses, got {conn.n}")
        pre, post = _fixed_count(n_pre, n_post, conn.n, skip, conn.allow_multapses, seed, pre_t, post_t)
        return pre, post, None
    if rule == "fixed_total_number":
        possible = n_pre * (n_post - 1) if skip else n_pre * n_post
        if not conn.allow_multapses and conn.n > possible:
            raise SpecError(f"fixed_total_number.n must be <= {possible} (the number of possible (pre, post) pairs) "
                            f"without multapses, got {conn.n}")
        if possible == 0:
            raise SpecError(f"fixed_total_number: no (pre, post) pair is possible between populations of {n_pre} "
                            f"and {n_post} neurons without autapses")
        pre, post = _total_number(n_pre, n_post, conn.n, skip, conn.allow_multapses, seed, pre_t, post_t)
        return pre, post, None
    if rule == "from_arrays":
        pre, post = conn.pre, conn.post
        if pre.size:
            if pre.min() < 0 or pre.max() >= n_pre:
                raise SpecError(f"from_arrays.pre indices must be in [0, {n_pre - 1}], got "
                                f"[{pre.min()}, {pre.max()}]")
            if post.min() < 0 or post.max() >= n_post:
                raise SpecError(f"from_arrays.post indices must be in [0, {n_post - 1}], got "
                                f"[{post.min()}, {post.max()}]")
        order = np.lexsort((post, pre))
        return pre[order].astype(pre_t), post[order], order
    raise SpecError(f"unknown connector rule {rule!r}; allowed: all_to_all, one_to_one, fixed_probability, "
                    "fixed_indegree, fixed_outdegree, fixed_total_number, from_arrays")


@njit(cache=True)
def rows_sorted(row_ptr, post):
    """True when ``post`` ascends within every CSR row of ``row_ptr`` (no temporaries)."""
    for r in range(row_ptr.shape[0] - 1):
        for k in range(row_ptr[r] + 1, row_ptr[r + 1]):
            if post[k] < post[k - 1]:
                return False
    return True


@njit(cache=True)
def rows_are_ranges(row_ptr, post, n_post):
    """True when every CSR row of ``row_ptr`` holds exactly ``0, 1, ..., n_post - 1`` in order
    (an all-to-all block: its targets are contiguous slots; no temporaries)."""
    for r in range(row_ptr.shape[0] - 1):
        k0 = row_ptr[r]
        if row_ptr[r + 1] - k0 != n_post:
            return False
        for j in range(n_post):
            if post[k0 + j] != j:
                return False
    return True


def pre_indices(row_ptr) -> np.ndarray:
    """The presynaptic (local) index of every synapse of a block from its row pointer
    (``n_pre + 1`` offsets): int64, built on demand -- the state does not store it."""
    rp = np.asarray(row_ptr, np.int64)
    return np.repeat(np.arange(rp.size - 1, dtype=np.int64), np.diff(rp))


def index_types(max_post: int, max_delay_steps: int):
    """(dtype of ``Synapses.post``, dtype of ``Synapses.delay``): the narrowest unsigned integers
    that hold local post indices below ``max_post`` and delays up to ``max_delay_steps`` steps
    (uint16 / uint32, int64 beyond 2**32 post neurons; uint8 / uint16 / uint32 delays)."""
    post_t = np.uint16 if max_post <= 1 << 16 else np.uint32 if max_post <= 1 << 32 else np.int64
    delay_t = np.uint8 if max_delay_steps < 1 << 8 else np.uint16 if max_delay_steps < 1 << 16 else np.uint32
    return post_t, delay_t
