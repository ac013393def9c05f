"""The vectorisable exp of the CPU membrane kernels against numpy's exp."""
import numpy as np
from numba import njit

from neurosim.kernels.cpu.fastexp import fast_exp


@njit
def _apply(x, out):
    for i in range(x.size):
        out[i] = fast_exp(x[i])


def test_fast_exp_matches_numpy_within_two_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-708.0, 709.0, 200001), rng.uniform(-10, 10, 200000),
                        rng.uniform(-1e-3, 1e-3, 10000), [0.0, -0.0, 1.0, -1.0]])
    out = np.empty_like(x)
    _apply(x, out)
    ref = np.exp(x)
    rel = np.abs(out - ref) / ref
    assert rel.max() < 5e-16          # about 2 ulp
    assert out[-4] == 1.0 and out[-3] == 1.0


def test_fast_exp_clamps_extremes():
    x = np.array([-1e4, 1e4])
    out = np.empty_like(x)
    _apply(x, out)
    assert 0.0 < out[0] < 1e-300 and np.isfinite(out[1]) and out[1] > 1e307
