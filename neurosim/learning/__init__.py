"""Learning procedures built on the public API (imports no kernels, backends or sim).

* :mod:`~neurosim.learning.diehl_cook` - unsupervised STDP learning of digits after Diehl & Cook
  (2015): :class:`DiehlCook` (training image by image), :class:`Frozen` (testing on the batch axis),
  :func:`assign_labels`, :func:`classify`
"""
from .diehl_cook import DiehlCook, Frozen, assign_labels, classify, build_network, DEFAULTS

__all__ = ["DiehlCook", "Frozen", "assign_labels", "classify", "build_network", "DEFAULTS"]
