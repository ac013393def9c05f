"""A multilayer perceptron in plain numpy: the ANN baseline for the SNN comparison.

ReLU hidden layers, a softmax output with cross-entropy loss, minibatch training with Adam
(Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR), He initialisation
(He, Zhang, Ren & Sun 2015, "Delving Deep into Rectifiers", ICCV), optional inverted dropout
(Srivastava et al. 2014), optional decoupled weight decay (Loshchilov & Hutter 2019) and a
learning-rate schedule.  All randomness comes from one seeded ``numpy.random.Generator``.
Models are saved as ``.npz`` (no pickles).

:func:`train_mnist_mlp` trains the reference MNIST model with documented default
hyperparameters on the split shared with the bridge (the last 5000 training images held out for
validation; no data augmentation).

This module imports no simulator code (see DESIGN.md).
"""
from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..logs import progress_line

LOG = logging.getLogger(__name__)

__all__ = ["MLP", "train_mnist_mlp", "prepare_inputs", "MNIST_MLP_DEFAULTS"]

_FORMAT = "neurosim.baselines.MLP"
_FORMAT_VERSION = 1


def prepare_inputs(x, dtype=np.float32) -> np.ndarray:
    """Flatten to ``(n, features)`` and cast; uint8 images (0..255) are scaled to [0, 1]."""
    dtype = np.dtype(dtype)
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[None, :]
    a = a.reshape(a.shape[0], -1)
    if a.dtype == np.uint8:
        return a.astype(dtype) * dtype.type(1.0 / 255.0)
    return np.ascontiguousarray(a, dtype=dtype)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def write_npz_atomic(path, arrays: dict):
    """Write ``arrays`` to the .npz file ``path`` through a temporary file and a rename, so an
    interrupted write never leaves a half-written file (no pickles: plain arrays only)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return path


class MLP:
    """Fully connected network ``sizes[0] -> ... -> sizes[-1]`` with ReLU hidden layers.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, number of classes last, e.g. ``(784, 800, 800, 10)``.
    seed : int
        Seed of the ``numpy.random.Generator`` used for initialisation, shuffling and dropout.
    dtype : numpy dtype
        float32 (default, fast matmuls) or float64 (gradient checks).

    Weights use He initialisation, ``W ~ N(0, 2 / fan_in)`` (He et al. 2015), biases zero.
    ``weights[l]`` has shape ``(sizes[l], sizes[l+1])``: a row per presynaptic unit, as in a
    projection from layer ``l`` to ``l+1``.
    """

    def __init__(self, sizes=(784, 800, 800, 10), seed: int = 0, dtype=np.float32):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list >= 2 positive layer widths, got {sizes}")
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.weights = []
        self.biases = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w = self.rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)
            self.weights.append(w.astype(self.dtype))
            self.biases.append(np.zeros(n_out, dtype=self.dtype))

    # ----------------------------------------------------------------------------- inference
    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def n_params(self) -> int:
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    @property
    def macs_per_inference(self) -> int:
        """Multiply-accumulates for one input: ``sum(sizes[l] * sizes[l+1])`` (dense matmuls;
        bias additions, ReLUs and the softmax are not counted)."""
        return int(sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:])))

    def logits(self, x, batch_size: int = 10000) -> np.ndarray:
        """Pre-softmax outputs ``(n, n_classes)`` (no dropout)."""
        x = prepare_inputs(x, self.dtype)
        out = np.empty((x.shape[0], self.sizes[-1]), dtype=self.dtype)
        for s in range(0, x.shape[0], batch_size):
            h = x[s:s + batch_size]
            for l, (w, b) in enumerate(zip(self.weights, self.biases)):
                h = h @ w
                h += b
                if l < self.n_layers - 1:
                    np.maximum(h, 0, out=h)
            out[s:s + batch_size] = h
        return out

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``."""
        return np.exp(_log_softmax(self.logits(x).astype(np.float64)))

    def predict(self, x) -> np.ndarray:
        """Predicted class labels ``(n,)`` (int64)."""
        return np.argmax(self.logits(x), axis=1)

    def accuracy(self, x, y) -> float:
        """Fraction of ``x`` classified as ``y``."""
        y = np.asarray(y)
        return float(np.mean(self.predict(x) == y))

    # ----------------------------------------------------------------------- loss, gradients
    def loss_and_grads(self, x, y, dropout_in: float = 0.0, dropout_hidden: float = 0.0,
                       rng=None):
        """Mean softmax cross-entropy over the batch and its gradients by backprop.

        Returns ``(loss, grads_w, grads_b)`` with the shapes of ``weights`` and ``biases``.
        Dropout (inverted: kept units scaled by ``1/(1-p)``) is applied to the input with
        probability ``dropout_in`` and to each hidden layer with ``dropout_hidden``.
        """
        x = prepare_inputs(x, self.dtype)
        y = np.asarray(y, dtype=np.int64)
        n = x.shape[0]
        rng = self.rng if rng is None else rng
        L = self.n_layers

        def drop(h, p):
            if p <= 0.0:
                return h, None
            mask = rng.random(h.shape, dtype=self.dtype) >= p
            mask = mask.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - p))
            return h * mask, mask

        acts = []       # inputs to each layer (after dropout)
        masks = []      # dropout masks applied to those inputs
        h, m = drop(x, dropout_in)
        for l in range(L):
            acts.append(h)
            masks.append(m)
            z = h @ self.weights[l]
            z += self.biases[l]
            if l < L - 1:
                np.maximum(z, 0, out=z)
                h, m = drop(z, dropout_hidden)
            else:
                h = z
        logp = _log_softmax(h.astype(np.float64))
        loss = float(-logp[np.arange(n), y].mean())
        delta = np.exp(logp)
        delta[np.arange(n), y] -= 1.0
        delta = (delta / n).astype(self.dtype)
        gw = [None] * L
        gb = [None] * L
        for l in range(L - 1, -1, -1):
            a = acts[l]
            gw[l] = a.T @ delta
            gb[l] = delta.sum(axis=0)
            if l > 0:
                delta = delta @ self.weights[l].T
                if masks[l] is not None:
                    delta *= masks[l]
                # ReLU derivative. Where the mask dropped a unit delta is already 0; elsewhere
                # the (scaled) activation a is > 0 exactly where the pre-activation was.
                delta *= a > 0
        return loss, gw, gb

    # ------------------------------------------------------------------------------ training
    def fit(self, x, y, epochs: int = 10, batch_size: int = 128, lr: float = 1e-3,
            x_val=None, y_val=None, *, lr_schedule: str = "cosine", lr_min: float = 0.0,
            warmup_epochs: float = 0.0, beta1: float = 0.9, beta2: float = 0.999,
            eps: float = 1e-8, weight_decay: float = 0.0, dropout_in: float = 0.0,
            dropout_hidden: float = 0.0, restore_best: bool = False, verbose: bool = False,
            time_limit: float | None = None) -> dict:
        """Train with Adam (Kingma & Ba 2015) on shuffled minibatches.

        Parameters
        ----------
        x, y : arrays
            Training inputs (uint8 images are scaled to [0, 1]) and integer labels.
        epochs, batch_size : int
        lr : float
            Peak Adam step size.
        x_val, y_val : arrays, optional
            Validation set, evaluated after every epoch.
        lr_schedule : {"cosine", "constant", "exponential"}
            Per-step schedule from ``lr`` to ``lr_min`` (cosine), fixed, or ``lr * 0.1**t`` with
            ``t`` the fraction of training done (exponential, ending at lr/10).
        warmup_epochs : float
            Linear warm-up of the step size over this many epochs.
        beta1, beta2, eps : float
            Adam moments' decay rates and the denominator's epsilon.
        weight_decay : float
            Decoupled weight decay (Loshchilov & Hutter 2019) on weights, not biases:
            ``W -= lr_t * weight_decay * W`` each step.
        dropout_in, dropout_hidden : float
            Dropout probabilities for the input and the hidden layers.
        restore_best : bool
            Keep the weights of the epoch with the best validation accuracy.
        verbose : bool
            Print one line per epoch on stdout; without it the line is a DEBUG record of the
            logger ``neurosim.baselines.mlp``.
        time_limit : float, optional
            Stop after the epoch during which this many seconds have passed.

        Returns
        -------
        history dict: ``train_loss`` (mean over each epoch's minibatches, with dropout),
        ``val_accuracy``, ``lr`` (at the end of each epoch), ``epoch_time`` per epoch (s),
        ``wall_time`` (s, total), ``best_epoch``.
        """
        x = prepare_inputs(x, self.dtype)
        y = np.asarray(y, dtype=np.int64)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]} labels")
        if x.shape[1] != self.sizes[0]:
            raise ValueError(f"inputs have {x.shape[1]} features, the network expects {self.sizes[0]}")
        if y.min() < 0 or y.max() >= self.sizes[-1]:
            raise ValueError(f"labels must lie in [0, {self.sizes[-1]}), got {y.min()}..{y.max()}")
        has_val = x_val is not None and y_val is not None
        if has_val:
            x_val = prepare_inputs(x_val, self.dtype)
            y_val = np.asarray(y_val)
        n = x.shape[0]
        steps_per_epoch = max(1, math.ceil(n / batch_size))
        total_steps = epochs * steps_per_epoch
        warmup_steps = warmup_epochs * steps_per_epoch

        def lr_at(step):  # step counted from 0
            t = step / max(1, total_steps)
            if lr_schedule == "cosine":
                rate = lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * t))
            elif lr_schedule == "exponential":
                rate = lr * 0.1 ** t
            elif lr_schedule == "constant":
                rate = lr
            else:
                raise ValueError(f"lr_schedule must be 'cosine', 'exponential' or 'constant', "
                                 f"got {lr_schedule!r}")
            if warmup_steps > 0 and step < warmup_steps:
                rate *= (step + 1) / warmup_steps
            return rate

        lr_at(0)  # validates lr_schedule before any work
        params = self.weights + self.biases
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        buf = [np.empty_like(p) for p in params]
        hist = {"train_loss": [], "val_accuracy": [], "lr": [],
                "epoch_time": [], "wall_time": 0.0, "best_epoch": None}
        best = (-1.0, None)
        step = 0
        t_start = time.perf_counter()
        for epoch in range(epochs):
            t_ep = time.perf_counter()
            order = self.rng.permutation(n)
            loss_sum = 0.0
            for s in range(0, n, batch_size):
                idx = order[s:s + batch_size]
                loss, gw, gb = self.loss_and_grads(x[idx], y[idx], dropout_in, dropout_hidden)
                loss_sum += loss * len(idx)
                step += 1
                rate = lr_at(step - 1)
                # Adam with bias correction folded into the step size (Kingma & Ba 2015, Alg. 1)
                a_t = rate * math.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step)
                for i, g in enumerate(gw + gb):
                    p, mi, vi, tmp = params[i], m[i], v[i], buf[i]
                    # in place, no temporaries: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
                    mi *= beta1
                    np.multiply(g, 1.0 - beta1, out=tmp)
                    mi += tmp
                    vi *= beta2
                    np.multiply(g, g, out=tmp)
                    tmp *= 1.0 - beta2
                    vi += tmp
                    if weight_decay and i < self.n_layers:
                        p *= 1.0 - rate * weight_decay
                    # p -= a_t m / (sqrt(v) + eps_hat), eps_hat = eps * sqrt(1 - b2^t) as in
                    # Kingma & Ba's "more efficient" form of Algorithm 1
                    np.sqrt(vi, out=tmp)
                    tmp += eps * math.sqrt(1.0 - beta2 ** step)
                    np.divide(mi, tmp, out=tmp)
                    tmp *= a_t
                    p -= tmp
            hist["train_loss"].append(loss_sum / n)
            hist["lr"].append(lr_at(step - 1))
            if has_val:
                acc = self.accuracy(x_val, y_val)
                hist["val_accuracy"].append(acc)
                if restore_best and acc > best[0]:
                    best = (acc, ([w.copy() for w in self.weights], [b.copy() for b in self.biases]))
                    hist["best_epoch"] = epoch
            hist["epoch_time"].append(time.perf_counter() - t_ep)
            va = f"  val_acc {hist['val_accuracy'][-1]:.4f}" if has_val else ""
            progress_line(LOG, verbose, f"epoch {epoch + 1:3d}/{epochs}  loss {hist['train_loss'][-1]:.4f}{va}  "
                          f"lr {hist['lr'][-1]:.2e}  {hist['epoch_time'][-1]:.1f} s")
            if time_limit is not None and time.perf_counter() - t_start > time_limit:
                break
        if restore_best and best[1] is not None:
            ws, bs = best[1]
            for l in range(self.n_layers):
                self.weights[l][...] = ws[l]
                self.biases[l][...] = bs[l]
        hist["wall_time"] = time.perf_counter() - t_start
        return hist

    # ------------------------------------------------------------------------------ save/load
    def save(self, path) -> Path:
        """Write the model as ``.npz`` (no pickles), atomically (temporary file + rename)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta = {"format": _FORMAT, "version": _FORMAT_VERSION, "sizes": list(self.sizes),
                "dtype": self.dtype.name, "seed": self.seed if isinstance(self.seed, int) else None}
        arrays = {"meta": np.array(json.dumps(meta))}
        for l in range(self.n_layers):
            arrays[f"W{l}"] = self.weights[l]
            arrays[f"b{l}"] = self.biases[l]
        return write_npz_atomic(path, arrays)

    @classmethod
    def load(cls, path) -> "MLP":
        """Read a model written by :meth:`save`."""
        meta, arrays = read_model_npz(path, _FORMAT, _FORMAT_VERSION, "MLP")
        model = cls(tuple(meta["sizes"]), seed=meta.get("seed") or 0, dtype=np.dtype(meta["dtype"]))
        model.set_layers(arrays, path)
        return model

    def set_layers(self, arrays: dict, path="arrays"):
        """Take weights ``W<l>`` and biases ``b<l>`` from ``arrays``, checking their shapes."""
        for l in range(self.n_layers):
            w, b = arrays[f"W{l}"], arrays[f"b{l}"]
            if w.shape != self.weights[l].shape or b.shape != self.biases[l].shape:
                raise ValueError(f"{path}: layer {l} has shapes {w.shape}, {b.shape}; "
                                 f"expected {self.weights[l].shape}, {self.biases[l].shape}")
            self.weights[l] = w.astype(self.dtype)
            self.biases[l] = b.astype(self.dtype)


def read_model_npz(path, fmt: str, version: int, kind: str):
    """(meta dict, {name: array}) of a model .npz written with :func:`write_npz_atomic`; checks
    the format name and that the file's version is not newer than ``version``."""
    with np.load(path, allow_pickle=False) as f:
        if "meta" not in f.files:
            raise ValueError(f"{path}: not a neurosim {kind} file (no 'meta' entry)")
        meta = json.loads(str(f["meta"]))
        if meta.get("format") != fmt:
            raise ValueError(f"{path}: not a neurosim {kind} file (format {meta.get('format')!r})")
        if meta.get("version", 0) > version:
            raise ValueError(f"{path}: {kind} file version {meta['version']} is newer than "
                             f"this neurosim reads ({version})")
        arrays = {k: f[k] for k in f.files if k != "meta"}
    return meta, arrays


#: Default hyperparameters of :func:`train_mnist_mlp`.
MNIST_MLP_DEFAULTS = dict(
    sizes=(784, 800, 800, 10),
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


def train_mnist_mlp(data, seed: int = 0, *, verbose: bool = False, **overrides):
    """Train the reference MNIST MLP (no data augmentation) and return ``(model, history)``.

    ``data`` is a :class:`neurosim.data.MNIST` (or a mapping with ``train_images``,
    ``train_labels``, ``test_images``, ``test_labels``).  The last ``n_val`` training images are
    held out for validation (the split shared with the bridge); the model trains on the rest.

    Defaults (:data:`MNIST_MLP_DEFAULTS`): 784-800-800-10 ReLU, He initialisation
    (He et al. 2015), Adam (Kingma & Ba 2015) with peak step size 1e-3 and a cosine decay to 0
    over 20 epochs, minibatches of 128, dropout 0.2 on the input and 0.4 on the hidden layers,
    no weight decay, float32.  Any of these can be overridden by keyword.

    ``history`` is :meth:`MLP.fit`'s dict plus ``test_accuracy``, ``hyperparameters``,
    ``macs_per_inference`` and ``n_train`` / ``n_val``.
    """
    hp = dict(MNIST_MLP_DEFAULTS)
    unknown = set(overrides) - set(hp) - {"beta1", "beta2", "eps", "restore_best", "time_limit"}
    if unknown:
        raise TypeError(f"unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(hp)}")
    hp.update(overrides)
    n_val = hp.pop("n_val")
    sizes = hp.pop("sizes")
    x, y = data["train_images"], data["train_labels"]
    cut = len(x) - n_val
    x_tr, y_tr = x[:cut], y[:cut]
    x_val, y_val = (x[cut:], y[cut:]) if n_val > 0 else (None, None)
    model = MLP(sizes, seed=seed)
    hist = model.fit(x_tr, y_tr, x_val=x_val, y_val=y_val, verbose=verbose, **hp)
    hist["test_accuracy"] = model.accuracy(data["test_images"], data["test_labels"])
    hist["hyperparameters"] = dict(MNIST_MLP_DEFAULTS, **overrides, seed=seed)
    hist["macs_per_inference"] = model.macs_per_inference
    hist["n_train"], hist["n_val"] = cut, n_val
    return model, hist
