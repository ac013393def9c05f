"""Diehl & Cook (2015), Unsupervised learning of digit recognition using spike-timing-dependent
plasticity, Front. Comput. Neurosci. 9:99.

784 Poisson inputs (a pixel ``p`` of 0..255 fires at ``p / 4`` Hz: 63.75 Hz for white) project
all-to-all onto ``n_excitatory`` conductance-based LIF cells with adaptive thresholds through
plastic synapses (the STDP rule of the authors' public code, :meth:`neurosim.TripletSTDP.diehl_cook2015`;
initial weights uniform in [0.003, 0.303] nS, delays uniform in [0, 10] ms); each excitatory cell
drives one inhibitory cell (10.4 nS), which inhibits all other excitatory cells (17 nS).  Learning
(``learn``): each image is shown for 350 ms after each cell's input weights are rescaled to sum to
78 nS, again at a rate 32 Hz higher while the excitatory cells fire fewer than 5 spikes; between
images the state is reset (``Network.reset_state``) instead of simulating the paper's 150 ms rest
(theta decays as during the rest; ``simulate_rest=True`` simulates it).  Then weights and
thresholds are frozen, each cell is labelled with the digit it responds to most, and a test image
is classified as the digit whose cells respond most on average.  The paper reports 87 % with 400
cells (3 epochs) and 95 % with 6,400; the parameters, their sources and the differences from the
authors' code are in :mod:`neurosim.learning.diehl_cook`.

``python models/diehl_cook2015.py`` (or ``neurosim run``) shows one training image (``image``) to
the untrained network for 350 ms (a single presentation, learning on).  Training and testing are
loops over images in Python: ``learn(n_train=1000, n_test=1000)`` here (returns the accuracy and the
learner), or the full benchmark ``benchmarks/stdp_mnist.py``.  MNIST comes from ``$NEUROSIM_DATA/mnist``
or is downloaded (:func:`neurosim.data.load_mnist`).

Units: ms, mV, nS, Hz.
"""
import numpy as np

import neurosim as ns

DEFAULTS = dict(n_excitatory=100, image=0, input_rate=63.75, input_delay=10.0, w_ei=10.4, w_ie=17.0, t_ref_e=5.0,
                theta_plus=0.05, tau_theta=1e7, dt=0.5)
DURATION = 350.0  # ms: one presentation


def build(seed: int = 1, n_excitatory: int = 100, image: int = 0, input_rate: float = 63.75, input_delay: float = 10.0,
          w_ei: float = 10.4, w_ie: float = 17.0, t_ref_e: float = 5.0, theta_plus: float = 0.05,
          tau_theta: float = 1e7, dt: float = 0.5) -> ns.Network:
    """The untrained network with training image ``image`` as its input.  Monitors: spikes of the
    excitatory cells (and the input weights at the start and end of the run).

    Parameters
    ----------
    n_excitatory: number of excitatory cells (as many inhibitory cells)
    image: index of the MNIST training image shown
    input_rate: rate of a white pixel (Hz)
    input_delay: input delays uniform in [0, input_delay] (ms)
    w_ei: excitatory-to-inhibitory weight (nS)
    w_ie: inhibitory-to-excitatory weight (nS)
    t_ref_e: refractory period of the excitatory cells (ms)
    theta_plus: adaptive-threshold increment per spike (mV)
    tau_theta: adaptive-threshold decay time constant (ms)
    dt: time step (ms)
    """
    from neurosim.data import load_mnist
    from neurosim.learning import build_network
    net, inputs, _, proj, _ = build_network(int(n_excitatory), seed=seed, dt=dt, input_delay=input_delay, w_ei=w_ei,
                                            w_ie=w_ie, t_ref_e=t_ref_e, theta_plus=theta_plus, tau_theta=tau_theta)
    pixels = load_mnist().train_images[int(image)].reshape(-1).astype(np.float64)
    inputs.set(rate=pixels / 255.0 * input_rate)
    net.monitor(proj, "weights", every=DURATION)
    return net


def learn(n_train: int = 1000, n_test: int = 1000, n_excitatory: int = 100, seed: int = 1, batch: int = 100,
          **params) -> dict:
    """Train on the first ``n_train`` MNIST training images, label the cells by their responses to
    those images (weights frozen), classify the first ``n_test`` test images; ``params`` go to
    :class:`neurosim.learning.DiehlCook`.  Returns ``{"accuracy", "learner", "assignments"}``."""
    from neurosim.data import load_mnist
    from neurosim.learning import DiehlCook, assign_labels, classify
    data = load_mnist()
    learner = DiehlCook(n_excitatory, seed=seed, **params)
    learner.train(data.train_images[:n_train])
    frozen = learner.freeze(batch=batch)
    labels = assign_labels(frozen.respond(data.train_images[:n_train]), data.train_labels[:n_train])
    predicted = classify(frozen.respond(data.test_images[:n_test]), labels)
    return dict(accuracy=float(np.mean(predicted == data.test_labels[:n_test])), learner=learner, assignments=labels)


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
