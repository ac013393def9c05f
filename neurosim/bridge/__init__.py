"""Bridge from rate-coded training to spiking networks (imports no kernels, backends or sim).

* :mod:`~neurosim.bridge.rates` - steady-state rate of the simulator's LIF neuron (continuous,
  exact on the time grid, and the smooth soft LIF of Hunsberger & Eliasmith 2015)
* :mod:`~neurosim.bridge.model` - :class:`RateModel`, a feed-forward network of LIF rate units
  trained by backprop (Adam, minibatches) on the ANN baseline's data split
* :mod:`~neurosim.bridge.convert` - :func:`to_network`: the trained weights and biases as a
  :class:`~neurosim.network.Network` of LIF neurons with Poisson or current input
* :mod:`~neurosim.bridge.evaluate` - :func:`evaluate`: accuracy against simulated time, spikes
  and synaptic operations per image, wall time
"""
from .rates import (lif_rate, lif_rate_grid, lif_isi_grid, soft_lif_rate, soft_lif_rate_and_grad,
                    lif_current_for_rate, lif_current_for_rate_grid, rheobase, max_rate)
from .model import RateModel, train_rate_model, RATE_MODEL_DEFAULTS, default_neuron
from .convert import to_network, ConvertedNetwork, synaptic_weights, ENCODINGS
from .evaluate import Evaluation, evaluate, latency, record_raster

__all__ = ["lif_rate", "lif_rate_grid", "lif_isi_grid", "soft_lif_rate", "soft_lif_rate_and_grad",
           "lif_current_for_rate", "lif_current_for_rate_grid", "rheobase", "max_rate",
           "RateModel", "train_rate_model", "RATE_MODEL_DEFAULTS", "default_neuron",
           "to_network", "ConvertedNetwork", "synaptic_weights", "ENCODINGS",
           "Evaluation", "evaluate", "latency", "record_raster"]
