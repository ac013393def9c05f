"""kernels/scalar.py: the scalar maths written once, compiled by each backend.

The plain Python (what the CUDA simulator runs) and a CPU compilation of the same source give the
same bits; every function of the module is in ``FUNCTIONS`` (so both backends compile it)."""
import inspect
import math

import numpy as np
import pytest
from numba import njit

from neurosim.kernels import scalar
from neurosim.kernels.cpu import maths as cpu_maths
from neurosim.state.arrays import RULE_PAIR, RULE_TRIPLET


def test_every_function_is_compiled_by_the_backends():
    own = {n for n, f in vars(scalar).items()
           if inspect.isfunction(f) and f.__module__ == scalar.__name__ and n != "compile_all"}
    assert own == set(scalar.FUNCTIONS)
    for name in scalar.FUNCTIONS:
        assert hasattr(cpu_maths, name)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # uint64 wrap-around (SplitMix64)
def test_compiled_equals_plain_python_bit_for_bit():
    jit = scalar.compile_all(njit)   # Python-callable CPU copies of the same source

    def same(name, *args):
        a = getattr(scalar, name)(*args)
        b = getattr(jit, name)(*args)
        assert type(a)(b) == a or (a != a and b != b), (name, args, a, b)
        if isinstance(a, float):
            assert np.float64(a).tobytes() == np.float64(b).tobytes(), (name, args, a, b)

    for x in (-750.0, -3.3, -1e-3, 0.0, 0.7, 1.0, 50.0, 800.0):
        same("exp_scalar", x)
    base = scalar.step_base(12345, scalar.STREAM_DRIVE + 3, 77)
    assert base == jit.step_base(12345, scalar.STREAM_DRIVE + 3, 77)
    for i in range(20):
        same("uniform", 12345, scalar.STREAM_POISSON + 1, 5, i)
        for n, p in ((10, 0.2), (50, 0.01), (1000, 0.3), (3, 0.0), (3, 1.0)):
            same("binomial", 99, scalar.STREAM_DRIVE, i, i, n, p)
    for v in (-80.0, -55.5, 0.0, 20.0):
        same("mg_block_denominator", v, 1.0)
    same("nmda_gating_step", 0.3, 1.7, 0.5, 1.0 / 100.0, 0.1)
    for w in (0.0, 0.2, 0.99, 1.0, 1.3):
        for mu in (0.0, 0.4, 1.0):
            for rule in (RULE_PAIR, RULE_TRIPLET):
                same("potentiate", rule, w, 0.7, 0.01, 0.0, 1.0, mu)
                same("depress", rule, w, 0.7, 0.012, 0.0, 1.0, mu)
    same("triplet_amplitude", 5e-3, 6e-3, 0.8, 0.99)
    same("eligibility_decay", 1e-299, 0.5)
    same("eligibility_decay", 0.25, 0.9)
    same("modulator_gain", -2.0, 0.1, 0.7)
    same("dopamine_factor", 2.0, 0.3, 0.05, 0.01, 0.1)


def test_mg_block_matches_jahr_stevens():
    """1 / (1 + [Mg]/3.57 exp(-0.062 v)) (Jahr & Stevens 1990) at a few potentials."""
    for v in (-70.0, -40.0, 0.0):
        ref = 1.0 + 1.0 / 3.57 * math.exp(-0.062 * v)
        assert abs(scalar.mg_block_denominator(v, 1.0) - ref) < 1e-12 * ref
