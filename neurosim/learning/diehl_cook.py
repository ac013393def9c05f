"""Unsupervised STDP learning of digits after Diehl & Cook (2015), "Unsupervised learning of digit
recognition using spike-timing-dependent plasticity", Front. Comput. Neurosci. 9:99.

784 Poisson inputs (one per pixel; a pixel of value ``p`` in 0..255 fires at ``p / 255 * input_rate``
Hz, ``input_rate`` 63.75 Hz: the paper's "pixel / 4") drive ``N`` excitatory conductance-based LIF
cells through all-to-all plastic synapses (:meth:`~neurosim.TripletSTDP.diehl_cook2015`, the rule of
the authors' public code; initial weights uniform in [0.003, 0.303] nS, their code's
``(rand + 0.01) * 0.3``; delays uniform in [0, ``input_delay``] ms); each excitatory cell excites one
inhibitory cell (10.4 nS), which inhibits every *other* excitatory cell (17 nS): soft winner-take-all.
Excitatory cells have an adaptive threshold (``theta_plus`` 0.05 mV per spike, ``tau_theta`` 1e7 ms).

Cells (paper, Methods; conductances relative to a 1 nS leak):

* excitatory: v_rest -65 mV, v_reset -65 mV, v_th -52 mV (+ theta), t_ref 5 ms, tau_m 100 ms
  (c_m 100 pF, g_leak 1 nS), E_exc 0 mV (tau 1 ms), E_inh -100 mV (tau 2 ms);
* inhibitory: v_rest -60 mV, v_reset -45 mV, v_th -40 mV, t_ref 2 ms, tau_m 10 ms (c_m 10 pF),
  E_exc 0 mV (tau 1 ms), E_inh -85 mV (tau 2 ms, unused: nothing inhibits them).

Training (:meth:`DiehlCook.train`): before every presentation the incoming weights of each excitatory
cell are rescaled to sum to 78 nS (:meth:`~neurosim.network.Projection.normalize`); each image is shown
for 350 ms; when the excitatory cells fire fewer than 5 spikes in all, the image is shown again with
the white-pixel rate raised by ``rate_increase`` (31.875 Hz: their code's intensity + 1, the paper's
"increased by 32 Hz").  Between presentations the paper lets the network rest for 150 ms without
input (``rest``); by default (``simulate_rest=False``) :meth:`~neurosim.network.Network.reset_state`
clears the dynamic state instead (v back to v_rest, conductances and STDP traces to 0, weights kept)
and theta is multiplied by ``exp(-rest / tau_theta)``, its decay during the rest.  That matches the
rest up to the fraction ``exp(-150/100) = 22 %`` of the membrane's distance from rest that survives
150 ms (the conductances, 1-2 ms, and traces, 20-40 ms, are gone after it; the excitatory cells are
silent without input).  ``simulate_rest=True`` simulates the rest (input off for ``rest`` ms).

After training, weights and thresholds are frozen (:meth:`DiehlCook.freeze`: a second network without
plasticity, theta fixed, many images side by side on the batch axis); every excitatory cell is
labelled with the class to which it responded most on average (:func:`assign_labels`), and an image
is classified as the class whose labelled cells fire most on average (:func:`classify`).

Differences from the authors' code (facts about it: github.com/peter-u-diehl/stdp-mnist, Brian 1):
its threshold is written ``v > theta - 20 mV + v_th`` with theta starting at 20 mV (here theta
starts at 0 with v_th -52 mV: the same threshold, except that their 20 mV offset also decays with
tau_theta, by 1 - exp(-t/1e7 ms), < 1 mV in 1e6 ms); its refractoriness timer advances at 0.1 ms
per ms, so excitatory cells cannot fire for 50 ms after a spike though their membrane integrates
again after 5 ms (not expressible here: ``t_ref_e`` clamps v; the paper's 5 ms is the default);
its initial membrane potentials are 40 mV below rest (here: at rest, which the reset returns to).
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from ..errors import SpecError

N_INPUT = 784

#: The model's parameters and their defaults (units in :class:`DiehlCook`).
DEFAULTS = dict(n_excitatory=100, dt=0.5, input_rate=63.75, rate_increase=31.875, present=350.0, rest=150.0,
                simulate_rest=False, min_spikes=5, max_repeats=10, norm_total=78.0, w_init=(0.003, 0.303), input_delay=10.0,
                w_ei=10.4, w_ie=17.0, t_ref_e=5.0, theta_plus=0.05, tau_theta=1e7)


def _check(name, value, low, high, unit, low_open=False):
    v = float(value)
    if not (math.isfinite(v) and (v > low if low_open else v >= low) and v <= high):
        raise SpecError(f"DiehlCook: {name} must be in {'(' if low_open else '['}{low}, {high}] {unit}, got {value!r}")
    return v


def _images(images, what="images"):
    x = np.asarray(images)
    if x.ndim == 3:
        x = x.reshape(x.shape[0], -1)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != N_INPUT:
        raise SpecError(f"DiehlCook: {what} must have 784 pixels each (shape (n, 28, 28) or (n, 784)), got shape "
                        f"{np.asarray(images).shape}")
    return x.astype(np.float64)


def build_network(n_excitatory: int, *, seed: int = 1, dt: float = 0.5, batch: int = 1, weights=None, theta=None,
                  delays=None, plastic: bool = True, input_delay: float = 10.0, w_init=(0.003, 0.303),
                  w_ei: float = 10.4, w_ie: float = 17.0, t_ref_e: float = 5.0, theta_plus: float = 0.05,
                  tau_theta: float = 1e7):
    """The network of Diehl & Cook (2015) as a :class:`~neurosim.Network`; returns
    ``(net, inputs, exc, input_projection, exc_spike_monitor)``.

    ``weights``: (784, N) input weights (nS; default uniform in ``w_init``); ``delays``: (784, N) input
    delays (ms; default uniform in [0, ``input_delay``], ``input_delay = 0``: one step); ``theta``: (N,)
    initial adaptive thresholds (mV, default 0); ``plastic=False`` leaves the input weights static and
    freezes theta (``theta_plus = 0``, ``tau_theta = inf``), for testing."""
    import neurosim as ns
    n = int(n_excitatory)
    net = ns.Network(dt=dt, seed=seed, batch=batch)
    x = net.poisson("input", N_INPUT, 0.0)
    frozen = dict(theta_plus=0.0, tau_theta=math.inf)
    exc = net.population("exc", n, ns.LIFCond(
        c_m=100.0, g_leak=1.0, v_rest=-65.0, v_reset=-65.0, v_th=-52.0, t_ref=t_ref_e, v_init=-65.0,
        **(dict(theta_plus=theta_plus, tau_theta=tau_theta) if plastic else frozen)))
    inh = net.population("inh", n, ns.LIFCond(c_m=10.0, g_leak=1.0, v_rest=-60.0, v_reset=-45.0, v_th=-40.0,
                                              t_ref=2.0, v_init=-60.0))
    if theta is not None:
        exc.initialize(theta=np.asarray(theta, dtype=np.float64))
    ampa = ns.Receptor("exc", tau_decay=1.0, e_rev=0.0)
    if delays is None:
        delays = ns.Uniform(0.0, input_delay) if input_delay > 0 else dt
    w = ns.Uniform(*w_init) if weights is None else np.asarray(weights, dtype=np.float64)
    xe = net.connect(x, exc, ns.all_to_all(), receptor=ampa, weight=w, delay=delays, name="input_exc",
                     plasticity=ns.TripletSTDP.diehl_cook2015() if plastic else None)
    net.connect(exc, inh, ns.one_to_one(), receptor=ampa, weight=w_ei, name="exc_inh")
    pre, post = np.nonzero(~np.eye(n, dtype=bool))
    net.connect(inh, exc, ns.from_arrays(pre, post), receptor=ns.Receptor("inh", tau_decay=2.0, e_rev=-100.0),
                weight=w_ie, name="inh_exc")
    mon = net.monitor(exc, "spikes")
    return net, x, exc, xe, mon


class DiehlCook:
    """The learner: a plastic network trained image by image (batch 1).

    Parameters
    ----------
    n_excitatory : number of excitatory (and of inhibitory) cells, >= 1
    seed : seed of the initial weights, delays and Poisson input
    dt : time step (ms; the authors' code: 0.5)
    input_rate : rate of a white pixel (Hz; 63.75 = 255 / 4)
    rate_increase : added to the white-pixel rate at each repeat of an image (Hz)
    present : presentation time of an image (ms)
    rest : rest after each presentation (ms, input off; the paper: 150)
    simulate_rest : simulate the rest (True), or ``reset_state`` and decay theta by exp(-rest/tau_theta)
    min_spikes : an image is shown again (stronger) while the excitatory cells fire fewer spikes
    max_repeats : at most this many repeats (the authors' code: no limit)
    norm_total : summed input weight of each excitatory cell, restored before each presentation (nS)
    w_init : (low, high) of the uniform initial input weights (nS, within [0, 1])
    input_delay : input delays uniform in [0, input_delay] ms (0: one step, much faster)
    w_ei, w_ie : excitatory-to-inhibitory and inhibitory-to-excitatory weights (nS)
    t_ref_e : refractory period of the excitatory cells (ms)
    theta_plus : adaptive-threshold increment per spike (mV)
    tau_theta : its decay time constant (ms)
    """

    def __init__(self, n_excitatory: int = 100, seed: int = 1, **params):
        unknown = sorted(set(params) - set(DEFAULTS))
        if unknown:
            raise SpecError(f"DiehlCook: unknown parameter(s) {unknown}; known: {sorted(DEFAULTS)}")
        p = dict(DEFAULTS, n_excitatory=n_excitatory, **params)
        if isinstance(p["n_excitatory"], bool) or int(p["n_excitatory"]) != p["n_excitatory"] or p["n_excitatory"] < 1:
            raise SpecError(f"DiehlCook: n_excitatory must be an integer >= 1, got {n_excitatory!r}")
        for key, lo, hi, unit in (("input_rate", 0, 1e4, "Hz"), ("rate_increase", 0, 1e4, "Hz"),
                                  ("rest", 0, 1e6, "ms"), ("norm_total", 0, 1e6, "nS"),
                                  ("input_delay", 0, 1e3, "ms")):
            p[key] = _check(key, p[key], lo, hi, unit)
        p["present"] = _check("present", p["present"], 0, 1e6, "ms", low_open=True)
        for key in ("min_spikes", "max_repeats"):
            if isinstance(p[key], bool) or int(p[key]) != p[key] or p[key] < 0:
                raise SpecError(f"DiehlCook: {key} must be an integer >= 0, got {p[key]!r}")
        self.params = p
        self.n = int(p["n_excitatory"])
        self.seed = int(seed)
        self.net, self._input, self._exc, self._proj, self._mon = build_network(
            self.n, seed=self.seed, dt=p["dt"], input_delay=p["input_delay"], w_init=tuple(p["w_init"]),
            w_ei=p["w_ei"], w_ie=p["w_ie"], t_ref_e=p["t_ref_e"], theta_plus=p["theta_plus"],
            tau_theta=p["tau_theta"])
        self.net.build()
        self.images_seen = 0      # presentations of distinct images
        self.presentations = 0    # including repeats
        self.timing = dict(normalize=0.0, set_rates=0.0, run=0.0, reset=0.0)   # wall seconds per phase

    # ------------------------------------------------------------------ state
    @property
    def weights(self) -> np.ndarray:
        """The input weights now, (784, N) nS."""
        return self._proj.get("weight", format="array")

    @property
    def delays(self) -> np.ndarray:
        """The input delays, (784, N) ms."""
        return self._proj.get("delay", format="array")

    @property
    def theta(self) -> np.ndarray:
        """The adaptive thresholds now, (N,) mV."""
        return np.asarray(self._exc.get("theta"), dtype=np.float64).reshape(-1)

    # ------------------------------------------------------------------ training
    def present(self, image) -> tuple[np.ndarray, int]:
        """Show one image (784 pixels, 0..255) with learning on, repeating it with a higher rate while
        the excitatory cells fire fewer than ``min_spikes``; returns (spike counts of the last
        presentation, shape (N,), number of repeats)."""
        import time
        p = self.params
        img = np.asarray(image)
        pix = _images(img.reshape(1, -1) if img.size == N_INPUT else img, "image")[0] / 255.0
        repeats = 0
        while True:
            t0 = time.perf_counter()
            self._proj.normalize(p["norm_total"])
            t1 = time.perf_counter()
            self._input.set(rate=pix * (p["input_rate"] + repeats * p["rate_increase"]))
            t2 = time.perf_counter()
            start = self.net.t
            self.net.run(p["present"], progress=False, result=False)
            i, _, _ = self._mon.since(start)
            counts = np.bincount(i, minlength=self.n)
            t3 = time.perf_counter()
            self._between()
            t4 = time.perf_counter()
            for key, dt_ in (("normalize", t1 - t0), ("set_rates", t2 - t1), ("run", t3 - t2), ("reset", t4 - t3)):
                self.timing[key] += dt_
            self.presentations += 1
            if counts.sum() >= p["min_spikes"] or repeats >= p["max_repeats"]:
                self.images_seen += 1
                return counts, repeats
            repeats += 1

    def _between(self):
        p = self.params
        if p["simulate_rest"]:
            if p["rest"] > 0:
                self._input.set(rate=0.0)
                self.net.run(p["rest"], progress=False, result=False)
            return
        self.net.reset_state()
        if p["rest"] > 0 and math.isfinite(p["tau_theta"]):
            self._exc.set(theta=self.theta * math.exp(-p["rest"] / p["tau_theta"]))

    def train(self, images, callback: Optional[Callable[[int, np.ndarray], None]] = None) -> np.ndarray:
        """Present ``images`` ((n, 28, 28) or (n, 784), 0..255) in order with learning on; returns the
        spike counts of each image's last presentation, shape (n, N).  ``callback(k, counts)`` is called
        after image ``k``."""
        x = _images(images)
        out = np.zeros((x.shape[0], self.n), np.int64)
        for k in range(x.shape[0]):
            out[k], _ = self.present(x[k])
            if callback is not None:
                callback(k, out[k])
        return out

    # ------------------------------------------------------------------ testing
    def freeze(self, batch: int = 100, seed: Optional[int] = None) -> "Frozen":
        """A copy with the current weights, delays and thresholds, plasticity off and theta fixed,
        running ``batch`` images side by side (:class:`Frozen`)."""
        return Frozen(self, batch, self.seed + 1 if seed is None else seed)


class Frozen:
    """A trained network with plasticity off and thresholds fixed; :meth:`respond` runs many images
    on the batch axis (one image per trial)."""

    def __init__(self, learner: DiehlCook, batch: int = 100, seed: int = 2):
        if isinstance(batch, bool) or int(batch) != batch or batch < 1:
            raise SpecError(f"Frozen: batch must be an integer >= 1, got {batch!r}")
        p = learner.params
        self.params, self.n, self.batch = p, learner.n, int(batch)
        self.net, self._input, self._exc, self._proj, self._mon = build_network(
            learner.n, seed=seed, dt=p["dt"], batch=self.batch, weights=learner.weights, delays=learner.delays,
            theta=learner.theta, plastic=False, w_ei=p["w_ei"], w_ie=p["w_ie"], t_ref_e=p["t_ref_e"])
        self._rates = {name: self.net.monitor(name, "rate") for name in ("input", "exc", "inh")}
        #: spikes per image of each population ("input", "exc", "inh") over the last :meth:`respond`,
        #: every presentation of an image counted (repeats included)
        self.spikes_per_image: dict = {}
        self.net.build()

    def respond(self, images, callback: Optional[Callable[[int], None]] = None) -> np.ndarray:
        """Spike counts (n, N) of the excitatory cells for each image, from its last presentation (images
        with fewer than ``min_spikes`` spikes are shown again with a higher rate, as in training)."""
        x = _images(images) / 255.0
        p, B = self.params, self.batch
        out = np.zeros((x.shape[0], self.n), np.int64)
        steps0 = {name: m.counts.size for name, m in self._rates.items()}
        for first in range(0, x.shape[0], B):
            pix = np.zeros((B, N_INPUT))
            m = min(B, x.shape[0] - first)
            pix[:m] = x[first:first + m]
            todo = np.zeros(B, bool)
            todo[:m] = True
            for repeat in range(int(p["max_repeats"]) + 1):
                rate = pix * (p["input_rate"] + repeat * p["rate_increase"])
                rate[~todo] = 0.0
                self._input.set(rate=rate)
                start = self.net.t
                self.net.run(p["present"], progress=False, result=False)
                i, _, tr = self._mon.since(start)
                counts = np.zeros((B, self.n), np.int64)
                np.add.at(counts, (tr, i), 1)
                out[first:first + m][todo[:m]] = counts[:m][todo[:m]]
                self.net.reset_state()
                todo &= counts.sum(axis=1) < p["min_spikes"]
                if not todo.any():
                    break
            if callback is not None:
                callback(first + m)
        self.spikes_per_image = {name: float(m.counts[steps0[name]:].sum()) / max(1, x.shape[0])
                                 for name, m in self._rates.items()}
        return out


def assign_labels(counts, labels, n_classes: int = 10) -> np.ndarray:
    """Label of each excitatory cell: the class with the highest mean spike count over the images of
    that class (``counts`` (n, N), ``labels`` (n,)); -1 for a cell that never fired (Diehl & Cook 2015)."""
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if counts.ndim != 2 or labels.shape != (counts.shape[0],):
        raise SpecError(f"assign_labels: counts must be (n, N) and labels (n,), got {counts.shape} and {labels.shape}")
    mean = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        sel = labels == c
        if sel.any():
            mean[c] = counts[sel].mean(axis=0)
    out = np.argmax(mean, axis=0)
    out[mean.max(axis=0) <= 0] = -1
    return out


def classify(counts, assignments, n_classes: int = 10) -> np.ndarray:
    """Predicted class of each image: the class whose labelled cells fire most on average
    (``counts`` (n, N), ``assignments`` (N,) from :func:`assign_labels`); classes with no cell score 0."""
    counts = np.asarray(counts, dtype=np.float64)
    a = np.asarray(assignments)
    score = np.zeros((counts.shape[0], n_classes))
    for c in range(n_classes):
        sel = a == c
        if sel.any():
            score[:, c] = counts[:, sel].mean(axis=1)
    return np.argmax(score, axis=1)
