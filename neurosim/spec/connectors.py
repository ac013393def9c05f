"""Connection rules (PyNN names).  A connector only describes; ``state/connect.py`` draws
the actual (pre, post) pairs at build time from the network's seed.

* :func:`all_to_all` - every (pre, post) pair
* :func:`one_to_one` - pre i -> post i (equal sizes)
* :func:`fixed_probability` - independent Bernoulli(p) per pair (Brian2's ``p=``, PyNN's
  FixedProbabilityConnector)
* :func:`fixed_indegree` - each post neuron receives ``n`` synapses from distinct (or, with
  ``allow_multapses``, independently drawn) pre neurons
* :func:`fixed_outdegree` - each pre neuron sends ``n`` synapses
* :func:`fixed_total_number` - ``n`` synapses in all, each a (pre, post) pair drawn uniformly
  (NEST's ``fixed_total_number``, PyNN's FixedTotalNumberConnector)
* :func:`from_arrays` - explicit ``pre`` and ``post`` indices, optional per-synapse ``w`` and ``delay``

``allow_autapses`` (default True) only matters when a population projects onto itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import validate as V


@dataclass(frozen=True)
class Connector:
    rule: str
    p: float = 0.0
    n: int = 0
    allow_autapses: bool = True
    allow_multapses: bool = False
    pre: Optional[Any] = None
    post: Optional[Any] = None
    w: Optional[Any] = None
    delay: Optional[Any] = None

    def to_dict(self):
        d = {"rule": self.rule, "p": self.p, "n": self.n, "allow_autapses": self.allow_autapses,
             "allow_multapses": self.allow_multapses}
        for k in ("pre", "post", "w", "delay"):
            v = getattr(self, k)
            if v is not None:
                d[k] = np.asarray(v)   # arrays stay arrays (spec/network.json_default writes JSON)
        return d

    def __eq__(self, other):  # arrays make the dataclass __eq__ ambiguous
        return self is other

    def __hash__(self):
        return id(self)


def connector_from_dict(d):
    d = dict(d)
    for k in ("pre", "post"):
        if k in d:
            d[k] = np.asarray(d[k], dtype=np.int64)
    for k in ("w", "delay"):
        if k in d:
            d[k] = np.asarray(d[k], dtype=np.float64)
    return Connector(**d)


def all_to_all(allow_autapses: bool = True) -> Connector:
    """Connect every pre neuron to every post neuron."""
    return Connector("all_to_all", allow_autapses=bool(allow_autapses))


def one_to_one() -> Connector:
    """Connect pre i to post i; both populations must have the same size."""
    return Connector("one_to_one")


def fixed_probability(p: float, allow_autapses: bool = True) -> Connector:
    """Each (pre, post) pair is connected independently with probability ``p`` in [0, 1]."""
    p = V.in_range("fixed_probability.p", p, 0.0, 1.0, "dimensionless")
    return Connector("fixed_probability", p=p, allow_autapses=bool(allow_autapses))


def fixed_indegree(n: int, allow_autapses: bool = True, allow_multapses: bool = False) -> Connector:
    """Each post neuron receives exactly ``n`` synapses (``n`` >= 1)."""
    n = V.positive_int("fixed_indegree.n", n)
    return Connector("fixed_indegree", n=n, allow_autapses=bool(allow_autapses),
                     allow_multapses=bool(allow_multapses))


def fixed_outdegree(n: int, allow_autapses: bool = True, allow_multapses: bool = False) -> Connector:
    """Each pre neuron makes exactly ``n`` synapses (``n`` >= 1)."""
    n = V.positive_int("fixed_outdegree.n", n)
    return Connector("fixed_outdegree", n=n, allow_autapses=bool(allow_autapses),
                     allow_multapses=bool(allow_multapses))


def fixed_total_number(n: int, allow_autapses: bool = True, allow_multapses: bool = True) -> Connector:
    """Exactly ``n`` synapses (``n`` >= 1) between the two populations, each (pre, post) pair drawn
    uniformly from all pairs (autapses excluded unless ``allow_autapses``): with ``allow_multapses``
    (the default, as NEST's ``fixed_total_number`` and the Potjans & Diesmann 2014 microcircuit)
    independently, so one pair may be drawn twice; without, ``n`` distinct pairs."""
    n = V.positive_int("fixed_total_number.n", n)
    return Connector("fixed_total_number", n=n, allow_autapses=bool(allow_autapses),
                     allow_multapses=bool(allow_multapses))


def from_arrays(pre, post, w=None, delay=None) -> Connector:
    """Explicit synapses: ``pre[k] -> post[k]``; optional per-synapse weights ``w`` (nS or pA)
    and delays ``delay`` (ms) override the projection's ``weight`` and ``delay``."""
    pre = np.asarray(pre)
    post = np.asarray(post)
    if pre.ndim != 1 or post.ndim != 1 or pre.shape != post.shape:
        raise V.SpecError(f"from_arrays: pre and post must be 1-D arrays of equal length, got shapes "
                          f"{pre.shape} and {post.shape}")
    if pre.size and not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
        raise V.SpecError("from_arrays: pre and post must be integer index arrays")
    pre = pre.astype(np.int64)
    post = post.astype(np.int64)
    if w is not None:
        w = V.finite_array("from_arrays.w", w, shape=pre.shape, unit="nS or pA")
    if delay is not None:
        delay = V.finite_array("from_arrays.delay", delay, shape=pre.shape, unit="ms")
    return Connector("from_arrays", pre=pre, post=post, w=w, delay=delay)
