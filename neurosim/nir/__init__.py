"""NIR (Neuromorphic Intermediate Representation, nir 1.0) import and export.

``from_nir(graph, dt)`` builds a :class:`~neurosim.Network` from a ``nir.NIRGraph`` or a NIR HDF5
file; ``to_nir(net)`` writes a network as a NIR graph.  The ``nir`` package is imported only
inside these functions (optional extra).

Mapping in short (docs/nir.md has the derivation and the conventions):

=============================  ==============================================================
NIR node                       neurosim
=============================  ==============================================================
Input                          spike generator population (``net.nir.set_input(spikes)``)
LIF, CubaLIF, IF               ``LIFCurr`` population, ``g_leak`` = 1 nS, 1 NIR volt = 1 mV,
                               ``t_ref`` = 0; synapses ``Delta`` (LIF, IF) or ``ExpCurrent``
                               (CubaLIF, ``tau_syn``); IF: ``tau_m`` = 1e8 ms
LI, CubaLI                     ``LIFCurr`` with ``v_th`` = 50 mV (out of reach), read out as ``v``
Affine, Linear, Scale,         one projection per path between two populations, explicit
Flatten, Conv2d, Delay         ``from_arrays(pre, post, w, delay)``; biases -> injected currents
Output                         spike monitor (and ``v``) of the population feeding it
=============================  ==============================================================

A spike has area ``dt`` (ms here, seconds in NIR); times in NIR are seconds, in neurosim ms.
``integration="euler"`` reproduces the forward-Euler recursion of snnTorch step for step.
"""


def from_nir(*args, **kwargs):
    """See :func:`neurosim.nir.importer.from_nir`."""
    from .importer import from_nir as f
    return f(*args, **kwargs)


def to_nir(*args, **kwargs):
    """See :func:`neurosim.nir.exporter.to_nir` (written by the export side)."""
    from .exporter import to_nir as f
    return f(*args, **kwargs)


__all__ = ["from_nir", "to_nir"]
