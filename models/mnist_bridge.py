"""MNIST digits classified by a spiking network converted from a LIF rate model.

A feed-forward network (784 inputs, ``hidden`` LIF neurons, 10 readout units) is trained as a
*rate model* whose hidden units use the steady-state firing rate of the simulator's own
current-based LIF neuron (``LIFCurr()``: NEST ``iaf_psc_exp`` parameters, tau_m 10 ms, 250 pF,
15 mV from rest to threshold, t_ref 2 ms), with the smooth "soft LIF" rate for gradients
(Hunsberger & Eliasmith 2015, "Spiking deep networks with LIF neurons", arXiv:1510.08829).
Its weights and biases then run unchanged as synaptic weights (current-based exponential
synapses, 1 ms) and bias currents of LIF neurons, driven by rate-coded images, in the spirit of
the conversion of Diehl et al. (2015), "Fast-classifying, high-accuracy spiking deep networks
through weight and threshold balancing", IJCNN; no weight normalisation is needed because the
rate model already uses the neurons' real rate function.  ``n_images`` test images run side by
side as the trials of one batch.

Encodings (``encoding``): ``"poisson"`` (white pixel = ``input_rate`` Hz Poisson trains),
``"current"`` (784 input LIF neurons driven by constant currents, firing regularly at
``input_rate * intensity``), ``"analog"`` (the first layer's rate-model current injected
directly).  The readout population "output" integrates the hidden spikes without firing; its
membrane potential is the running class score (argmax = prediction).

The rate model is read from ``model_path`` if given (for instance the benchmark's
``benchmarks/results/cache/rate_model.npz``), else from the user cache, else trained on the
spot (784-``hidden``-10, ``epochs`` epochs on ``n_train`` images: about a minute on 2 cores)
and cached.  MNIST comes from ``$NEUROSIM_DATA/mnist`` or is downloaded
(:func:`neurosim.data.load_mnist`).

Run: ``python models/mnist_bridge.py`` (100 images, 100 ms) or
``neurosim run models/mnist_bridge.py --set encoding='current' --set n_images=500``.
Accuracy of a result: ``mnist_bridge.accuracy(result, n_images=100, first=0)``; the full
comparison with an ANN is ``benchmarks/mnist_snn_vs_mlp.py``.
"""
import hashlib
import json
import os
from pathlib import Path

import numpy as np

import neurosim as ns

DEFAULTS = dict(n_images=100, first=0, encoding="poisson", hidden=300, epochs=2, n_train=20000,
                input_rate=200.0, tau_syn=1.0, dt=1.0, model_path="")
DURATION = 100.0  # ms


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neurosim" / "bridge"


def rate_model(hidden: int = 300, epochs: int = 2, n_train: int = 20000, dt: float = 1.0, model_path: str = ""):
    """The rate model: loaded from ``model_path``, from the cache, or trained and cached."""
    from neurosim.bridge.model import RateModel
    if model_path:
        return RateModel.load(model_path)
    key = json.dumps(dict(hidden=hidden, epochs=epochs, n_train=n_train, dt=dt, v=1), sort_keys=True)
    path = _cache_dir() / f"mnist_bridge_{hashlib.sha1(key.encode()).hexdigest()[:10]}.npz"
    if path.exists():
        return RateModel.load(path)
    from neurosim.data import load_mnist
    data = load_mnist()
    n_train = min(int(n_train), len(data.train_labels) - 5000)      # the last 5000 are validation
    model = RateModel((784, int(hidden), 10), dt=dt, seed=0)
    model.fit(data.train_images[:n_train], data.train_labels[:n_train], epochs=int(epochs), batch_size=128,
              lr=2e-3, dropout_in=0.1, dropout_hidden=0.3)
    model.save(path, extra={"key": key})
    return model


def mnist_test_images(n_images: int = 100, first: int = 0):
    """(images, labels) of MNIST test images ``first .. first + n_images - 1``."""
    from neurosim.data import load_mnist
    data = load_mnist()
    sl = slice(int(first), int(first) + int(n_images))
    return data.test_images[sl], data.test_labels[sl]


def build(seed: int = 1, n_images: int = 100, first: int = 0, encoding: str = "poisson", hidden: int = 300,
          epochs: int = 2, n_train: int = 20000, input_rate: float = 200.0, tau_syn: float = 1.0, dt: float = 1.0,
          model_path: str = "") -> ns.Network:
    """The converted network for test images ``first .. first + n_images - 1`` (one per trial).
    Monitors: spikes of every population, the output's membrane potential every step.

    Parameters
    ----------
    n_images: number of test images, one per trial (batch row)
    first: index of the first test image
    encoding: input encoding: "poisson", "current" or "analog"
    hidden: hidden units of the rate model trained when none is cached
    epochs: training epochs of that rate model
    n_train: training images of that rate model
    input_rate: rate of a white pixel (Hz)
    tau_syn: synaptic time constant (ms)
    dt: time step (ms)
    model_path: a saved RateModel to use instead of training one ("" : none)
    """
    from neurosim.bridge.convert import to_network
    model = rate_model(hidden, epochs, n_train, dt, model_path)
    images, _ = mnist_test_images(n_images, first)
    conv = to_network(model, images, encoding, dt=dt, input_rate=input_rate, tau_syn=tau_syn, seed=seed,
                      record_spikes="all", record_rates=False)
    return conv.net


def accuracy(result, n_images: int = 100, first: int = 0) -> float:
    """Fraction of the images classified correctly at the end of ``result`` (argmax of the
    readout's membrane potential at its last sample)."""
    v = result.states[("output", "v")].values[-1]            # (n_trials, 10)
    _, labels = mnist_test_images(n_images, first)
    return float(np.mean(np.argmax(v, axis=1) == labels[:v.shape[0]]))


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
