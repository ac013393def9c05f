"""Stochastic transmitter release: a per-synapse release probability ``p`` (dimensionless, in [0, 1]).

Pass ``release_probability=p`` to ``Network.connect``.  Each presynaptic spike is transmitted by
each synapse independently with probability ``p`` of that synapse (Bernoulli release; a failure
transmits nothing, a success transmits the full weight ``w``), so the mean increment per spike is
``p w``.  This is NEST's ``bernoulli_synapse`` (a static synapse whose spikes pass with
probability ``p_transmit``) and PyNN's ``SimpleStochasticSynapse(weight, delay, p)``.

The draw is made when the spike is sent (neurosim computes a spike's increment then): synapse
``k`` of trial ``b`` transmits the spike of step ``step`` iff

    uniform(key, STREAM_RELEASE, step, b * n_syn + k) < p[k]

with the counter-based generator of kernels/scalar.py (``key`` from the network seed, ``n_syn``
the number of synapses of the network, ``k`` the synapse's index in the projection's first
receptor block: the AMPA and NMDA synapses of one ``"glutamate"`` pair release together).  The
draws depend on (seed, step, trial, synapse) only: not on threads, nor on CPU vs CUDA.
``p = 1`` transmits every spike (bit for bit as without ``p``), ``p = 0`` none.

Not combined with a long-term plasticity rule (STDP: whether a failed release should still update
the weight is a modelling choice neurosim does not make for you), with Tsodyks-Markram short-term
plasticity (whose state would need the release outcome), nor with a saturating receptor (its gating
is kept per presynaptic neuron, not per synapse).
"""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from . import validate as V
from .distributions import Distribution, realise, in_unit
from ..units import to_float

NAME = "release_probability"


def plain_release(name, p):
    """``p`` as given with quantities converted (once, here): dimensionless ones to their value, a
    distribution of dimensionless quantities to plain numbers; others are a SpecError."""
    where = f"projection {name!r}: {NAME}"
    if p is None or isinstance(p, (str, bytes, bool, np.bool_)):
        return p
    if isinstance(p, Distribution):
        return in_unit(p, where, "dimensionless")
    return to_float(p, where, "dimensionless")


def check_release(name, p, pre_n, post_n, receptors, plasticity, short_term):
    """Refuse a release probability that does not fit projection ``name`` (``pre_n`` x ``post_n``
    neurons): not a number, array or distribution; a value outside [0, 1] or not finite; a matrix
    of another shape than (n_pre, n_post); together with plasticity, short_term or a saturating
    receptor.  None (every spike transmitted) is always accepted."""
    if p is None:
        return
    where = f"projection {name!r}: {NAME}"
    if plasticity is not None:
        raise SpecError(f"{where} (stochastic release) cannot be combined with a long-term plasticity rule; "
                        f"plasticity must be None, got {type(plasticity).__name__}")
    if short_term is not None:
        raise SpecError(f"{where} (stochastic release) cannot be combined with short_term (Tsodyks-Markram, whose "
                        f"own utilisation U is a release fraction); short_term must be None, got {short_term!r}")
    for rec, _ in receptors:
        if rec.saturating:
            raise SpecError(f"{where}: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept per "
                            f"presynaptic neuron and cannot release per synapse; {NAME} must be None")
    if isinstance(p, Distribution):
        return
    if isinstance(p, (str, bytes, bool, np.bool_)):
        raise SpecError(f"{where} must be a number, array or distribution in [0, 1] (dimensionless), got {p!r:.60}")
    arr = np.asarray(to_float(p, where, "dimensionless"))
    if arr.dtype.kind not in "iuf":
        raise SpecError(f"{where} must be a number, array or distribution in [0, 1] (dimensionless), got {p!r:.60}")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim > 2 or (arr.ndim == 2 and arr.shape != (pre_n, post_n)):
        raise SpecError(f"{where} must be a number, a distribution, one value per synapse or an (n_pre, n_post) = "
                        f"({pre_n}, {post_n}) matrix, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{where} must be in [0, 1] (dimensionless), {V.first_bad(arr)}")
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        bad = arr.min() if arr.min() < 0.0 else arr.max()
        raise SpecError(f"{where} must be in [0, 1] (dimensionless), got {bad!r}")


def synapse_release(q, pre, post, rng) -> np.ndarray:
    """The release probabilities (dimensionless) of projection ``q``'s synapses ``(pre, post)``
    (local indices, built order): ``q.release_probability`` realised (a number, one value per
    synapse, an (n_pre, n_post) matrix read at each synapse, or a distribution drawn from ``rng``
    and clipped into [0, 1]).  Used at build time and by ``Projection.set``."""
    return realise(f"projection {q.name!r}: {NAME}", q.release_probability, pre.size, rng, low=0.0, high=1.0,
                   unit="dimensionless", pairs=(pre, post, q.pre.n, q.post.n))
