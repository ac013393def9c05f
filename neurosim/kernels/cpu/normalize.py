"""Synaptic weight normalisation between runs (``Projection.normalize``, sim/changes.py): the
incoming weights of each postsynaptic neuron rescaled to a fixed sum, in two compiled passes
over a projection's synapses instead of numpy's bincount / gather / clip / cast temporaries.

The arithmetic is numpy's, operation for operation (float64 sums in synapse order, one division
per neuron, one product per synapse, then the clip and the cast to the weights' dtype), so the
weights are bit-identical to the numpy formulation (tests/test_normalize.py checks them against
it)."""
import numpy as np

from .jit import kernel


@kernel(python=True)
def normalisation_factors(w, off, n_syn, post, n_post, total, factors):
    """``factors[b, j] = total / sum of w[b, synapses onto j]`` over the ``n_syn`` synapses from
    ``off`` (``post``: their postsynaptic neurons), 1 where the sum is 0."""
    for b in range(w.shape[0]):
        for j in range(n_post):          # the sums first, in place (the kernels allocate nothing)
            factors[b, j] = 0.0
        for k in range(n_syn):
            factors[b, post[k]] += np.float64(w[b, off + k])
        for j in range(n_post):
            s = factors[b, j]
            factors[b, j] = total / s if s != 0.0 else 1.0


@kernel(python=True)
def scale_weights(w, off, n_syn, post, factors, clip, w_min, w_max):
    """``w[b, off + k] *= factors[b, post[k]]`` in float64, clipped to [w_min, w_max] when
    ``clip``, stored in the weights' dtype."""
    for b in range(w.shape[0]):
        for k in range(n_syn):
            x = np.float64(w[b, off + k]) * factors[b, post[k]]
            if clip:
                x = min(max(x, w_min), w_max)
            w[b, off + k] = x
