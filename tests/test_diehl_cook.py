"""Diehl & Cook (2015) unsupervised STDP learning (neurosim.learning.diehl_cook): a small learning run
must classify held-out digits of three classes far above chance; weights stay in [0, w_max];
same seed, same weights; repeats, rest and labelling rules against their definitions."""
import math
import os

import numpy as np
import pytest

from neurosim.errors import SpecError
from neurosim.learning import DiehlCook, assign_labels, classify

CLASSES = (0, 1, 7)


def _mnist():
    from neurosim.data import load_mnist
    root = os.environ.get("NEUROSIM_DATA")
    if not root or not os.path.isdir(os.path.join(root, "mnist")):
        pytest.skip("MNIST not available (set NEUROSIM_DATA)")
    return load_mnist()


def _subset(images, labels, n, skip=0):
    sel = np.flatnonzero(np.isin(labels, CLASSES))[skip:skip + n]
    return images[sel], labels[sel]


def test_learns_three_digit_classes_far_above_chance():
    d = _mnist()
    x_train, _ = _subset(d.train_images, d.train_labels, 300)
    x_label, y_label = _subset(d.train_images, d.train_labels, 200, skip=300)
    x_test, y_test = _subset(d.test_images, d.test_labels, 300)
    learner = DiehlCook(30, seed=1)
    learner.train(x_train)
    w = learner.weights
    assert w.min() >= 0.0 and w.max() <= 1.0                       # hard bounds of the rule
    assert learner.theta.max() > 0.0                               # thresholds adapted
    frozen = learner.freeze(batch=100)
    labels = assign_labels(frozen.respond(x_label), y_label)
    assert set(labels[labels >= 0]) == set(CLASSES)                 # every class has cells
    t_before = frozen.net.t
    accuracy = np.mean(classify(frozen.respond(x_test), labels) == y_test)
    # spikes per image over every presentation of the test images (repeats included), against the
    # excitatory spike monitor
    i_exc, _, _ = frozen._mon.since(t_before)
    assert frozen.spikes_per_image["exc"] == i_exc.size / len(x_test)
    assert frozen.spikes_per_image["input"] > 0 and frozen.spikes_per_image["inh"] > 0
    assert accuracy >= 0.8, accuracy                               # chance: 1/3
    # testing changed neither the weights nor the thresholds
    np.testing.assert_array_equal(frozen._proj.get("weight", format="array"), w)
    np.testing.assert_array_equal(frozen._exc.get("theta"), np.broadcast_to(learner.theta, (100, 30)))


def test_same_seed_same_weights_other_seed_other_weights():
    d = _mnist()
    x, _ = _subset(d.train_images, d.train_labels, 4)
    runs = []
    for seed in (3, 3, 4):
        learner = DiehlCook(10, seed=seed, present=100.0)
        learner.train(x)
        runs.append((learner.weights, learner.theta))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[2][0])
    assert runs[0][0].min() >= 0.0 and runs[0][0].max() <= 1.0


def test_silent_image_is_repeated_max_repeats_times_with_normalised_weights():
    learner = DiehlCook(5, seed=1, present=20.0, max_repeats=3)
    counts, repeats = learner.present(np.zeros(784))
    assert repeats == 3 and learner.presentations == 4 and counts.sum() == 0
    # without spikes the weights are the normalised ones: each cell's inputs sum to 78 nS
    np.testing.assert_allclose(learner.weights.sum(axis=0), 78.0, rtol=1e-12)


def test_reset_state_decays_theta_as_the_rest_would():
    """theta after a presentation and a 150 ms rest = theta at the end of the presentation times
    exp(-150 / tau_theta), whether the rest is simulated (silent network) or replaced by reset_state."""
    d = _mnist()
    tau = 2000.0
    thetas = []
    for simulate in (True, False):
        learner = DiehlCook(10, seed=5, tau_theta=tau, present=100.0, simulate_rest=simulate, min_spikes=0)
        learner.params["rest"] = 0.0                  # first: no rest, to read theta at the end
        learner.present(d.train_images[0])
        before = learner.theta
        learner.params["rest"] = 150.0
        learner._between()
        thetas.append((before, learner.theta))
    np.testing.assert_array_equal(thetas[0][0], thetas[1][0])      # same presentation
    assert thetas[0][0].max() > 0.0
    for before, after in thetas:
        np.testing.assert_allclose(after, before * math.exp(-150.0 / tau), rtol=1e-9)


def test_labels_and_classification_follow_mean_responses():
    counts = np.array([[5, 0, 1, 0],
                       [3, 1, 0, 0],
                       [0, 4, 1, 0],
                       [1, 2, 3, 0]])
    labels = np.array([0, 0, 1, 2])
    # class means: 0 -> [4, .5, .5, 0], 1 -> [0, 4, 1, 0], 2 -> [1, 2, 3, 0]; cell 3 never fires
    np.testing.assert_array_equal(assign_labels(counts, labels, n_classes=3), [0, 1, 2, -1])
    # scores: class c = mean count of its cells
    test = np.array([[0, 0, 2, 9], [1, 3, 0, 0], [6, 0, 0, 0]])
    np.testing.assert_array_equal(classify(test, [0, 1, 2, -1], n_classes=3), [2, 1, 0])
    with pytest.raises(SpecError, match="labels"):
        assign_labels(counts, labels[:3])


@pytest.mark.parametrize("kw, match", [(dict(n_excitatory=0), "n_excitatory"), (dict(present=0.0), "present"),
                                       (dict(input_rate=-1.0), "input_rate"), (dict(max_repeats=1.5), "max_repeats"),
                                       (dict(tau=3.0), "unknown")])
def test_bad_parameters_are_named(kw, match):
    with pytest.raises(SpecError, match=match):
        DiehlCook(**kw)
