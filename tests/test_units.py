"""neurosim.units is one coherent system (ms, mV, nS, pF, pA) and rates stay plain Hz
(issue 11, defect 11).

The identities are physics (1 MOhm x 1 pA = 1 uV, 1 nS x 1 mV = 1 pA, ...), not values read back
from the code; where a product is not exactly representable in binary floating point the
comparison allows one rounding (rel 1e-15).
"""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim import units as u

EPS = 1e-15     # one or two roundings of a float64 product


@pytest.mark.parametrize("lhs,rhs", [
    (1 / u.second, u.Hz),                 # a frequency is 1/time
    (u.second * u.Hz, 1.0),
    (u.kHz, 1 / u.ms),
    (u.Mohm * u.pA, 1e-3 * u.mV),         # 1e6 Ohm x 1e-12 A = 1e-6 V
    (u.Gohm * u.pA, u.mV),
    (u.ohm * u.amp, u.volt),
    (u.Mohm * u.nS, 1e-3),                # 1e6 Ohm x 1e-9 S
    (u.ohm * u.siemens, 1.0),
    (u.kohm * u.uS, 1e-3),
    (u.nS * u.mV, u.pA),
    (u.siemens * u.volt, u.amp),
    (u.pF * u.mV / u.ms, u.pA),
    (u.farad * u.volt / u.second, u.amp),
    (u.farad * u.ohm, u.second),          # RC is a time
    (u.nF * u.Mohm, u.ms),                # 1e-9 F x 1e6 Ohm = 1e-3 s
    (u.volt / u.amp, u.ohm),
    (u.mV / u.nA, u.Mohm),
])
def test_units_are_coherent(lhs, rhs):
    assert math.isclose(lhs, rhs, rel_tol=EPS, abs_tol=0.0), (lhs, rhs)


def test_r_m_gives_the_capacitance_in_pF():
    # tau_m = R C: 10 ms / 40 MOhm = 250 pF (before the fix: 0.25)
    m = ns.LIFCurr(tau_m=10.0, r_m=40.0)
    assert m.c_m == pytest.approx(250.0, rel=EPS)
    assert m.g_leak == pytest.approx(25.0, rel=EPS)          # 1/R = 1/(40 MOhm) = 25 nS
    # the same through the constants: C = tau / R in the coherent system
    assert m.c_m == pytest.approx((10.0 * u.ms) / (40.0 * u.Mohm) / u.pF, rel=EPS)


def test_rates_are_plain_hz():
    from neurosim.data import poisson_rates
    img = np.array([[0, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(poisson_rates(img), [[0.0, 100.0]])    # default: 100 Hz
    # a coherent frequency (per ms) becomes an API rate with / units.Hz
    assert (1.0 / (50.0 * u.ms)) / u.Hz == pytest.approx(20.0, rel=EPS)


def test_brian2_quantities_convert_into_the_documented_unit():
    b2 = pytest.importorskip("brian2")
    from neurosim.units import to_float
    # into the coherent units by dimension ...
    assert to_float(-60 * b2.mV) == pytest.approx(-60.0, rel=EPS)
    assert to_float(200 * b2.pF) == pytest.approx(200.0, rel=EPS)
    assert to_float(10 * b2.nS) == pytest.approx(10.0, rel=EPS)
    assert to_float(5 * b2.Hz) == pytest.approx(5 * u.Hz, rel=EPS)
    assert to_float(40 * b2.Mohm) == pytest.approx(40 * u.Mohm, rel=EPS)
    # ... or into the unit a parameter documents (API rates in Hz, r_m in MOhm, alpha in 1/ms)
    assert to_float(5 * b2.Hz, "rate", "Hz") == pytest.approx(5.0, rel=EPS)
    assert ns.LIFCurr(tau_m=10 * b2.ms, r_m=40 * b2.Mohm).c_m == pytest.approx(250.0, rel=EPS)
    assert ns.LIFCond(c_m=0.2 * b2.nF, v_rest=-0.06 * b2.volt).c_m == pytest.approx(200.0, rel=EPS)
    assert ns.NMDA(saturating=True, alpha=0.5 / b2.ms).alpha == pytest.approx(0.5, rel=EPS)
    net = ns.Network(dt=0.1, seed=0)
    src = net.poisson("s", 4, 10 * b2.kHz)                     # 10 kHz = one spike per step at 0.1 ms
    mon = net.monitor(src, "spikes")
    net.run(1.0)
    assert mon.i.size == 4 * 10
    with pytest.raises(ns.SpecError, match=r"LIFCurr\.tau_m: expected a quantity in ms, got a brian2 quantity in volt"):
        ns.LIFCurr(tau_m=10 * b2.mV)
