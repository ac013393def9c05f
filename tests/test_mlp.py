"""ANN baseline MLP: backprop vs finite differences, learning a non-linear problem, I/O."""
import numpy as np
import pytest

from neurosim.baselines.mlp import MLP, MNIST_MLP_DEFAULTS, train_mnist_mlp


def _numeric_grad(model, param, loss_fn, eps=1e-6):
    g = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        old = param[idx]
        param[idx] = old + eps
        lp = loss_fn()
        param[idx] = old - eps
        lm = loss_fn()
        param[idx] = old
        g[idx] = (lp - lm) / (2 * eps)
    return g


@pytest.mark.parametrize("dropout", [(0.0, 0.0), (0.3, 0.5)])
def test_backprop_matches_finite_differences(dropout):
    model = MLP((6, 9, 7, 4), seed=3, dtype=np.float64)
    rng = np.random.default_rng(0)
    # non-zero biases so that every ReLU regime is exercised
    for b in model.biases:
        b[:] = rng.normal(0, 0.3, b.shape)
    x = rng.normal(size=(11, 6))
    y = rng.integers(0, 4, 11)

    def run():  # the same dropout masks in every evaluation
        return model.loss_and_grads(x, y, *dropout, rng=np.random.default_rng(42))

    loss, gw, gb = run()
    assert np.isfinite(loss) and loss > 0
    for analytic, param in zip(gw + gb, model.weights + model.biases):
        numeric = _numeric_grad(model, param, lambda: run()[0])
        denom = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
        rel = np.abs(analytic - numeric) / denom
        assert rel.max() < 1e-5, rel.max()
        assert np.abs(numeric).max() > 1e-4  # the check is not vacuous


def _spirals(n, rng, noise=0.05):
    """Two interleaved spirals (2 classes), one and a half turns each."""
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    label = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    angle = t + np.pi * label
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    x += rng.normal(0, noise, x.shape)
    return x, label


def test_learns_spirals_beyond_a_linear_classifier():
    rng = np.random.default_rng(0)
    x, y = _spirals(2000, rng)
    xt, yt = _spirals(1000, rng)
    common = dict(epochs=60, batch_size=32, lr=1e-2, lr_schedule="cosine")
    linear = MLP((2, 2), seed=0, dtype=np.float64)          # softmax regression
    linear.fit(x, y, **common)
    mlp = MLP((2, 64, 64, 2), seed=0, dtype=np.float64)
    hist = mlp.fit(x, y, x_val=xt, y_val=yt, **common)
    acc_lin, acc_mlp = linear.accuracy(xt, yt), mlp.accuracy(xt, yt)
    assert acc_lin < 0.75, acc_lin
    assert acc_mlp > 0.95, (acc_mlp, acc_lin)
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    assert len(hist["val_accuracy"]) == 60 and hist["val_accuracy"][-1] == acc_mlp


def test_seeded_and_deterministic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    kw = dict(epochs=3, batch_size=16, dropout_in=0.1, dropout_hidden=0.2)
    a, b, c = MLP((5, 16, 2), seed=7), MLP((5, 16, 2), seed=7), MLP((5, 16, 2), seed=8)
    for m in (a, b, c):
        m.fit(x, y, **kw)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_he_initialisation_scale():
    m = MLP((784, 800, 800, 10), seed=0)
    for w, n_in in zip(m.weights, (784, 800, 800)):
        assert abs(w.std() - np.sqrt(2.0 / n_in)) < 0.05 * np.sqrt(2.0 / n_in)
    assert all(w.dtype == np.float32 for w in m.weights)
    assert m.macs_per_inference == 784 * 800 + 800 * 800 + 800 * 10
    assert m.n_params == 784 * 800 + 800 + 800 * 800 + 800 + 8010


def test_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(2)
    m = MLP((8, 5, 3), seed=1)
    m.fit(rng.normal(size=(50, 8)), rng.integers(0, 3, 50), epochs=1, batch_size=10)
    path = m.save(tmp_path / "model")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as f:  # no pickles inside
        assert {"meta", "W0", "b0", "W1", "b1"} <= set(f.files)
    m2 = MLP.load(path)
    assert m2.sizes == m.sizes
    xt = rng.normal(size=(20, 8))
    np.testing.assert_array_equal(m2.logits(xt), m.logits(xt))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a neurosim MLP"):
        MLP.load(tmp_path / "other.npz")


def test_uint8_images_are_scaled():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (4, 2, 3), dtype=np.uint8)
    m = MLP((6, 4, 2), seed=0)
    np.testing.assert_allclose(m.logits(img), m.logits(img.reshape(4, 6) / 255.0), rtol=1e-5)


def test_train_mnist_mlp_api_on_tiny_fake_data():
    rng = np.random.default_rng(4)
    data = {"train_images": rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
            "train_labels": rng.integers(0, 10, 300).astype(np.uint8),
            "test_images": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, 50).astype(np.uint8)}
    model, hist = train_mnist_mlp(data, seed=0, sizes=(784, 16, 10), epochs=2, n_val=100)
    assert hist["n_train"] == 200 and hist["n_val"] == 100
    assert len(hist["train_loss"]) == 2 and len(hist["val_accuracy"]) == 2
    assert 0.0 <= hist["test_accuracy"] <= 1.0 and hist["wall_time"] > 0
    assert hist["hyperparameters"]["sizes"] == (784, 16, 10)
    assert MNIST_MLP_DEFAULTS["sizes"] == (784, 800, 800, 10)
    with pytest.raises(TypeError, match="unknown hyperparameter"):
        train_mnist_mlp(data, learning_rate=0.1)
