"""Draw the synapses of a connector: returns (pre, post) int64 arrays sorted by pre, then post.

Drawing happens once at build time, in compiled code, from a seed derived from the
network seed and the projection's position, so it does not depend on threads.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import SpecError
from ..spec.connectors import Connector


@njit(cache=True)
def _bernoulli_rows(n_pre, n_post, p, skip_diagonal, seed):
    np.random.seed(seed)
    cap = max(16, int(n_pre * n_post * p * 1.1 + 10 * np.sqrt(n_pre * n_post * p + 1) + 16))
    pre = np.empty(cap, np.int64)
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
                pre2 = np.empty(cap2, np.int64)
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
def _columns(counts, n_cols, skip_diagonal, multapses, seed):
    """Row ``r`` gets ``counts[r]`` columns drawn uniformly (not ``r`` itself when
    ``skip_diagonal``; distinct unless ``multapses``).  Returns (row, col) sorted by row, then col."""
    np.random.seed(seed)
    n = 0
    for r in range(counts.shape[0]):
        n += counts[r]
    rows = np.empty(n, np.int64)
    cols = np.empty(n, np.int64)
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
        seg = np.sort(cols[k:k + cnt])
        for q in range(cnt):
            rows[k + q] = r
            cols[k + q] = seg[q]
            mark[seg[q]] = False
        k += cnt
    return rows, cols


def _fixed_count(n_rows, n_cols, n, skip_diagonal, multapses, seed):
    """For each row r draw n column indices (distinct unless multapses), excluding r itself
    when skip_diagonal.  Returns (row, col) sorted by row then col."""
    return _columns(np.full(n_rows, n, np.int64), n_cols, skip_diagonal, multapses, seed)


def _total_number(n_rows, n_cols, n, skip_diagonal, multapses, seed):
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
    return _columns(np.asarray(counts, np.int64), n_cols, skip_diagonal, multapses, seed)


def draw(conn: Connector, n_pre: int, n_post: int, same_population: bool, seed: int):
    """Return (pre, post) int64 arrays and the index order applied to from_arrays data."""
    skip = same_population and not conn.allow_autapses
    rule = conn.rule
    if rule == "all_to_all":
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if skip:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post, None
    if rule == "one_to_one":
        if n_pre != n_post:
            raise SpecError(f"one_to_one needs populations of equal size, got {n_pre} and {n_post}")
        idx = np.arange(n_pre, dtype=np.int64)
        return idx, idx.copy(), None
    if rule == "fixed_probability":
        pre, post = _bernoulli_rows(n_pre, n_post, conn.p, skip, seed)
        return pre, post, None
    if rule == "fixed_indegree":
        avail = n_pre - (1 if skip else 0)
        if not conn.allow_multapses and conn.n > avail:
            raise SpecError(f"fixed_indegree.n must be <= {avail} (the number of possible sources) "
                            f"without multapses, got {conn.n}")
        post, pre = _fixed_count(n_post, n_pre, conn.n, skip, conn.allow_multapses, seed)
        order = np.lexsort((post, pre))
        return pre[order], post[order], None
    if rule == "fixed_outdegree":
        avail = n_post - (1 if skip else 0)
        if not conn.allow_multapses and conn.n > avail:
            raise SpecError(f"fixed_outdegree.n must be <= {avail} (the number of possible targets) "
                            f"without multapses, got {conn.n}")
        pre, post = _fixed_count(n_pre, n_post, conn.n, skip, conn.allow_multapses, seed)
        return pre, post, None
    if rule == "fixed_total_number":
        possible = n_pre * (n_post - 1) if skip else n_pre * n_post
        if not conn.allow_multapses and conn.n > possible:
            raise SpecError(f"fixed_total_number.n must be <= {possible} (the number of possible (pre, post) pairs) "
                            f"without multapses, got {conn.n}")
        if possible == 0:
            raise SpecError(f"fixed_total_number: no (pre, post) pair is possible between populations of {n_pre} "
                            f"and {n_post} neurons without autapses")
        pre, post = _total_number(n_pre, n_post, conn.n, skip, conn.allow_multapses, seed)
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
        return pre[order], post[order], order
    raise SpecError(f"unknown connector rule {rule!r}; allowed: all_to_all, one_to_one, fixed_probability, "
                    "fixed_indegree, fixed_outdegree, fixed_total_number, from_arrays")
