"""kernels/cpu/fastexp.py: the vectorisable exp used by the membrane and Mg2+-block kernels.

Checked against numpy's exp (glibc, correctly rounded to within 1 ulp): at most 2 ulp apart over
the whole finite range, and the scalar form (also compiled for CUDA) equals the block form bit
for bit, so results do not depend on which loop iteration is vectorised."""
import numpy as np
import pytest

from neurosim.kernels.cpu.fastexp import exp_block, exp_scalar, exp_scalar_py, X_MAX, X_MIN


def _block(x):
    y = np.array(x, dtype=np.float64, copy=True)
    exp_block(y, np.empty(y.size, np.int64), y.size)
    return y


@pytest.mark.parametrize("lo,hi", [(X_MIN, X_MAX), (-1.0, 0.0), (-0.05, 0.0), (-20.0, 20.0), (-1e-9, 1e-9)])
def test_within_two_ulp_of_numpy(lo, hi):
    x = np.random.default_rng(7).uniform(lo, hi, 200_000)
    y = _block(x)
    ref = np.exp(x)
    ulp = np.abs(y - ref) / np.spacing(ref)
    assert ulp.max() <= 2.0, (lo, hi, ulp.max())
    assert ulp.mean() < 0.25


def test_exact_points_and_limits():
    x = np.array([0.0, -0.0, 1.0, -1.0, np.log(2.0), X_MIN, X_MAX, X_MIN - 1e-6, X_MAX + 1e-6, -1e4, 1e4,
                  -np.inf, np.inf, np.nan])
    y = _block(x)
    assert y[0] == 1.0 and y[1] == 1.0
    np.testing.assert_allclose(y[2:7], np.exp(x[2:7]), rtol=4.5e-16)
    assert y[7] == 0.0 and y[9] == 0.0 and y[11] == 0.0
    assert np.isinf(y[8]) and np.isinf(y[10]) and np.isinf(y[12])
    assert np.isnan(y[13])


def test_scalar_equals_block_bit_for_bit():
    x = np.concatenate([np.random.default_rng(3).uniform(-30.0, 5.0, 3000), [X_MIN - 1, X_MAX + 1, 0.0]])
    y = _block(x)
    s = np.array([exp_scalar(v) for v in x])
    p = np.array([exp_scalar_py(v) for v in x])   # the body the CUDA device function is built from
    np.testing.assert_array_equal(s, y)
    np.testing.assert_array_equal(p, y)
