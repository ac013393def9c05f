"""A rate model of LIF neurons, trained by backprop, whose weights run unchanged in the simulator.

Each hidden unit is a simulator neuron (a :class:`~neurosim.spec.neurons.LIFCurr`) described by
its steady-state rate (:mod:`neurosim.bridge.rates`).  Layer ``l`` (``a_0 = x``, the pixel
intensities in [0, 1]) computes

    u_l = W_l a_{l-1} + b_l                  (dimensionless)
    I_l = current_scale * u_l                (pA: the neuron's input current)
    a_l = r(I_l) / max_rate                  (r in Hz from the LIF rate function)

``max_rate`` (Hz) normalises rates to O(1) values, and the default ``current_scale =
max_rate c_m (v_th - v_reset) / 1000`` (pA) makes ``a(u)`` rise with slope 1 far above the
rheobase, like a ReLU, until the refractory period saturates it at ``1000 / (t_ref max_rate)``.
Hidden biases start at the rheobase (``u = I_th / current_scale``), where a ReLU with zero bias
would start.  Training uses the soft LIF (Hunsberger & Eliasmith 2015) with smoothing current
``gamma`` (pA); evaluation uses the hard LIF rate (``mode="lif"``), or the exact on-grid staircase
(``mode="grid"``).  With ``dt`` set, the refractory period of the continuous rate is
``t_ref - dt/2`` (the average effect of testing the threshold once per step, see ``rates``).

The output layer (``output``):

* ``"linear"`` (default): ``logits = W_L a_{L-1} + b_L``.  In the spiking network this is a
  population of non-spiking integrators whose membrane potential accumulates the weighted spikes
  of the last hidden layer (a linear readout of spike counts).
* ``"lif"``: LIF output units too, ``logits = output_gain * a_L``; the spiking network reads out
  their spike counts.

Loss: softmax cross-entropy.  Training is :meth:`neurosim.baselines.mlp.MLP.fit` (Adam, Kingma &
Ba 2015; minibatches, cosine schedule, dropout) with this class's :meth:`loss_and_grads`, on the
same train/validation split as the ANN baseline (:func:`train_rate_model`).  Models are saved as
``.npz`` (no pickles).  Optional Gaussian ``noise`` on the hidden activations during training
(in units of ``a``) makes the model robust to spike-count variability (Hunsberger & Eliasmith
2015).

This module imports no simulator code (see DESIGN.md); it uses the neuron spec only for its
parameters.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..baselines.mlp import MLP, prepare_inputs, _log_softmax, read_model_npz, write_npz_atomic
from ..spec.neurons import LIFCurr, neuron_from_dict
from .rates import lif_params, lif_rate, lif_rate_grid, soft_lif_rate_and_grad

__all__ = ["RateModel", "train_rate_model", "RATE_MODEL_DEFAULTS", "default_neuron"]

_FORMAT = "neurosim.bridge.RateModel"
_FORMAT_VERSION = 1


def default_neuron() -> LIFCurr:
    """The bridge's neuron: the simulator's default ``LIFCurr`` (NEST ``iaf_psc_exp``: tau_m 10 ms,
    c_m 250 pF, v_rest = v_reset = -70 mV, v_th = -55 mV, t_ref 2 ms)."""
    return LIFCurr()


class RateModel(MLP):
    """Feed-forward rate model whose hidden (and optionally output) units are LIF neurons.

    Parameters
    ----------
    sizes : layer widths, input first, classes last, e.g. ``(784, 800, 10)``
    neuron : the ``LIFCurr`` of every spiking unit (default :func:`default_neuron`)
    max_rate : rate normalisation (Hz): ``a = r / max_rate``
    current_scale : pA per unit of ``u`` (default ``max_rate c_m (v_th - v_reset) / 1000``)
    gamma : soft-LIF smoothing current (pA) used in training (default ``0.05 * I_gap``, with
        ``I_gap = c_m (v_th - v_reset) / tau_m``)
    dt : simulation step (ms) the model is meant for; the rate function then uses the
        effective refractory period ``t_ref - dt/2`` (None: continuous time)
    output : ``"linear"`` or ``"lif"`` (see the module docstring)
    output_gain : logits per unit of output activation for ``output="lif"``
    noise : standard deviation of Gaussian noise added to hidden activations in training
    train_mode : ``"soft"``: train the soft-LIF network (exact gradients); ``"surrogate"``: the
        forward pass uses the hard LIF rate (the function the spiking network realises) and the
        backward pass the soft-LIF derivative
    seed, dtype : as :class:`~neurosim.baselines.mlp.MLP`
    """

    def __init__(self, sizes=(784, 800, 10), neuron=None, max_rate: float = 200.0, current_scale=None,
                 gamma=None, dt=None, output: str = "linear", output_gain: float = 5.0, noise: float = 0.0,
                 train_mode: str = "soft", seed: int = 0, dtype=np.float32):
        super().__init__(sizes, seed=seed, dtype=dtype)
        self.neuron = default_neuron() if neuron is None else neuron
        if not isinstance(self.neuron, LIFCurr):
            raise TypeError(f"neuron must be a LIFCurr, got {type(self.neuron).__name__}")
        p = lif_params(self.neuron)
        self.max_rate = float(max_rate)
        if not self.max_rate > 0:
            raise ValueError(f"max_rate must be > 0 Hz, got {max_rate}")
        self.current_scale = float(self.max_rate * p.c_m * (p.v_th - p.v_reset) / 1000.0
                                   if current_scale is None else current_scale)
        self.gamma = float(0.05 * p.i_gap if gamma is None else gamma)
        self.dt = None if dt is None else float(dt)
        if output not in ("linear", "lif"):
            raise ValueError(f"output must be 'linear' or 'lif', got {output!r}")
        self.output = output
        self.output_gain = float(output_gain)
        self.noise = float(noise)
        if train_mode not in ("soft", "surrogate"):
            raise ValueError(f"train_mode must be 'soft' or 'surrogate', got {train_mode!r}")
        self.train_mode = train_mode
        u_th = p.i_th / self.current_scale
        n_spiking = self.n_layers - (1 if output == "linear" else 0)
        for l in range(n_spiking):
            self.biases[l][...] = u_th

    # ----------------------------------------------------------------------------- units
    @property
    def params(self):
        return lif_params(self.neuron)

    @property
    def n_spiking_layers(self) -> int:
        """Layers made of LIF neurons (hidden layers, plus the output for ``output="lif"``)."""
        return self.n_layers - (1 if self.output == "linear" else 0)

    def currents(self, u):
        """Input current (pA) for pre-activations ``u``."""
        return np.asarray(u) * self.current_scale

    def activation(self, u, mode: str = "lif"):
        """``a = r(current_scale u) / max_rate`` with ``mode`` ``"lif"`` (hard, continuous, with the
        ``dt`` correction), ``"soft"`` (soft LIF) or ``"grid"`` (exact on-grid rate, needs ``dt``)."""
        i = self.currents(u)
        if mode == "soft":
            r = soft_lif_rate_and_grad(i, self.neuron, self.gamma, self.dt)[0]
        elif mode == "lif":
            r = lif_rate(i, self.neuron, self.dt)
        elif mode == "grid":
            if self.dt is None:
                raise ValueError("mode='grid' needs the model's dt")
            r = lif_rate_grid(i, self.neuron, self.dt)
        else:
            raise ValueError(f"mode must be 'lif', 'soft' or 'grid', got {mode!r}")
        return (r / self.max_rate).astype(self.dtype, copy=False)

    def _act_and_grad(self, u):
        i = self.currents(u)
        r, dr = soft_lif_rate_and_grad(i, self.neuron, self.gamma, self.dt)
        if self.train_mode == "surrogate":
            r = lif_rate(i, self.neuron, self.dt)
        k = self.dtype.type(1.0 / self.max_rate)
        return (r * k).astype(self.dtype, copy=False), (dr * (self.current_scale / self.max_rate)).astype(
            self.dtype, copy=False)

    # ------------------------------------------------------------------------- inference
    def forward(self, x, mode: str = "lif"):
        """All layers' activations for inputs ``x``: a list ``[a_0, ..., a_{L-1}, logits]``
        (``a_l`` normalised rates of hidden layer ``l``; for ``output="lif"`` the output
        rates are ``logits / output_gain``)."""
        x = prepare_inputs(x, self.dtype)
        outs = [x]
        h = x
        L = self.n_layers
        for l in range(L):
            z = h @ self.weights[l]
            z += self.biases[l]
            if l < L - 1 or self.output == "lif":
                h = self.activation(z, mode)
                if l == L - 1:
                    h = h * self.dtype.type(self.output_gain)
            else:
                h = z
            outs.append(h)
        return outs

    def logits(self, x, batch_size: int = 10000, mode: str = "lif") -> np.ndarray:
        """Pre-softmax outputs ``(n, n_classes)`` with the hard LIF rate (``mode="lif"``)."""
        x = prepare_inputs(x, self.dtype)
        out = np.empty((x.shape[0], self.sizes[-1]), dtype=self.dtype)
        for s in range(0, x.shape[0], batch_size):
            out[s:s + batch_size] = self.forward(x[s:s + batch_size], mode)[-1]
        return out

    def predict(self, x, mode: str = "lif") -> np.ndarray:
        return np.argmax(self.logits(x, mode=mode), axis=1)

    def accuracy(self, x, y, mode: str = "lif") -> float:
        return float(np.mean(self.predict(x, mode=mode) == np.asarray(y)))

    def hidden_rates(self, x, mode: str = "lif"):
        """Rates (Hz) of every spiking layer for inputs ``x``: a list of ``(n, size)`` arrays."""
        outs = self.forward(x, mode)
        rates = [a * self.max_rate for a in outs[1:1 + self.n_layers - 1]]
        if self.output == "lif":
            rates.append(outs[-1] / self.output_gain * self.max_rate)
        return rates

    # ------------------------------------------------------------------------ training
    def loss_and_grads(self, x, y, dropout_in: float = 0.0, dropout_hidden: float = 0.0, rng=None):
        """Mean softmax cross-entropy and its gradients (soft-LIF units), as ``MLP.loss_and_grads``.

        Dropout is inverted (kept units scaled by ``1/(1-p)``); the training ``noise`` is added
        to the hidden activations after the nonlinearity and before dropout."""
        x = prepare_inputs(x, self.dtype)
        y = np.asarray(y, dtype=np.int64)
        n = x.shape[0]
        rng = self.rng if rng is None else rng
        L = self.n_layers
        dt_ = self.dtype

        def drop(h, p):
            if p <= 0.0:
                return h, None
            mask = (rng.random(h.shape, dtype=dt_) >= p).astype(dt_) * dt_.type(1.0 / (1.0 - p))
            return h * mask, mask

        acts, masks, grads = [], [], []
        h, m = drop(x, dropout_in)
        for l in range(L):
            acts.append(h)
            masks.append(m)
            z = h @ self.weights[l]
            z += self.biases[l]
            if l < L - 1 or self.output == "lif":
                a, g = self._act_and_grad(z)
                if l == L - 1:
                    gain = dt_.type(self.output_gain)
                    h, g = a * gain, g * gain
                    grads.append(g)
                    continue
                if self.noise > 0:
                    a = a + rng.standard_normal(a.shape, dtype=dt_) * dt_.type(self.noise)
                grads.append(g)
                h, m = drop(a, dropout_hidden)
            else:
                grads.append(None)
                h = z
        logp = _log_softmax(h.astype(np.float64))
        loss = float(-logp[np.arange(n), y].mean())
        delta = np.exp(logp)
        delta[np.arange(n), y] -= 1.0
        delta = (delta / n).astype(dt_)
        gw, gb = [None] * L, [None] * L
        for l in range(L - 1, -1, -1):
            if grads[l] is not None:
                delta = delta * grads[l]
            gw[l] = acts[l].T @ delta
            gb[l] = delta.sum(axis=0)
            if l > 0:
                delta = delta @ self.weights[l].T
                if masks[l] is not None:
                    delta = delta * masks[l]
        return loss, gw, gb

    # ------------------------------------------------------------------------ save/load
    def config(self) -> dict:
        return {"format": _FORMAT, "version": _FORMAT_VERSION, "sizes": list(self.sizes),
                "dtype": self.dtype.name, "seed": self.seed if isinstance(self.seed, int) else None,
                "neuron": self.neuron.to_dict(), "max_rate": self.max_rate,
                "current_scale": self.current_scale, "gamma": self.gamma, "dt": self.dt,
                "output": self.output, "output_gain": self.output_gain, "noise": self.noise,
                "train_mode": self.train_mode}

    def save(self, path, extra: dict | None = None) -> Path:
        """Write the model as ``.npz`` (no pickles), atomically; ``extra`` (JSON-able) is stored too."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta = self.config()
        if extra:
            meta["extra"] = extra
        arrays = {"meta": np.array(json.dumps(meta))}
        for l in range(self.n_layers):
            arrays[f"W{l}"] = self.weights[l]
            arrays[f"b{l}"] = self.biases[l]
        return write_npz_atomic(path, arrays)

    @classmethod
    def load(cls, path) -> "RateModel":
        """Read a model written by :meth:`save` (its ``extra`` dict is in ``model.extra``)."""
        meta, arrays = read_model_npz(path, _FORMAT, _FORMAT_VERSION, "RateModel")
        model = cls(tuple(meta["sizes"]), neuron=neuron_from_dict(meta["neuron"]),
                    max_rate=meta["max_rate"], current_scale=meta["current_scale"], gamma=meta["gamma"],
                    dt=meta["dt"], output=meta["output"], output_gain=meta["output_gain"],
                    noise=meta.get("noise", 0.0), train_mode=meta.get("train_mode", "soft"),
                    seed=meta.get("seed") or 0, dtype=np.dtype(meta["dtype"]))
        model.set_layers(arrays, path)
        model.extra = meta.get("extra", {})
        return model


#: Default hyperparameters of :func:`train_rate_model` (model and training).
RATE_MODEL_DEFAULTS = dict(
    sizes=(784, 800, 10),
    max_rate=200.0,
    gamma=None,
    dt=1.0,
    output="linear",
    output_gain=5.0,
    noise=0.0,
    train_mode="soft",
    epochs=20,
    batch_size=128,
    lr=1e-3,
    lr_schedule="cosine",
    lr_min=0.0,
    warmup_epochs=0.0,
    dropout_in=0.2,
    dropout_hidden=0.4,
    weight_decay=0.0,
    n_val=5000,
)

_MODEL_KEYS = ("sizes", "max_rate", "gamma", "dt", "output", "output_gain", "noise", "train_mode")


def train_rate_model(data, seed: int = 0, *, neuron=None, verbose: bool = False, **overrides):
    """Train the MNIST rate model and return ``(model, history)``.

    ``data`` is a :class:`neurosim.data.MNIST` (or a mapping with the four arrays).  The split is
    the ANN baseline's: the last ``n_val`` training images are held out for validation.  Defaults
    (:data:`RATE_MODEL_DEFAULTS`): 784-800-10 with LIF hidden units (:func:`default_neuron`,
    ``max_rate`` 200 Hz, rate function for ``dt`` = 1 ms) and a linear readout; Adam with peak
    step 1e-3 and cosine decay over 20 epochs, minibatches of 128, dropout 0.2 (input) and 0.4
    (hidden).  ``history`` is ``MLP.fit``'s dict plus ``test_accuracy`` (hard LIF rates),
    ``test_accuracy_soft``, ``hyperparameters`` and ``n_train`` / ``n_val``.
    """
    hp = dict(RATE_MODEL_DEFAULTS)
    unknown = set(overrides) - set(hp) - {"beta1", "beta2", "eps", "restore_best", "time_limit"}
    if unknown:
        raise TypeError(f"unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(hp)}")
    hp.update(overrides)
    n_val = hp.pop("n_val")
    mk = {k: hp.pop(k) for k in _MODEL_KEYS}
    x, y = data["train_images"], data["train_labels"]
    cut = len(x) - n_val
    x_tr, y_tr = x[:cut], y[:cut]
    x_val, y_val = (x[cut:], y[cut:]) if n_val > 0 else (None, None)
    model = RateModel(neuron=neuron, seed=seed, **mk)
    hist = model.fit(x_tr, y_tr, x_val=x_val, y_val=y_val, verbose=verbose, **hp)
    hist["test_accuracy"] = model.accuracy(data["test_images"], data["test_labels"])
    hist["test_accuracy_soft"] = model.accuracy(data["test_images"], data["test_labels"], mode="soft")
    hist["hyperparameters"] = dict(RATE_MODEL_DEFAULTS, **overrides, seed=seed,
                                   gamma=model.gamma, current_scale=model.current_scale)
    hist["hyperparameters"]["sizes"] = list(model.sizes)
    hist["n_train"], hist["n_val"] = cut, n_val
    return model, hist
