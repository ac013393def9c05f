"""The LIFCurr current propagator near tau_syn = tau_m (issue 11, defect 12).

``psc_propagator(dt, tau_m, c_m, tau_x)`` is the exact one-step change of v per pA of a current
``I0 exp(-t/tau_x)`` (Rotter & Diesmann 1999).  Its textbook form
``tau_m tau_x / (c_m (tau_x - tau_m)) (exp(-dt/tau_x) - exp(-dt/tau_m))`` cancels as
``tau_x -> tau_m``: against 50-digit arithmetic (mpmath) it was off by 8.5e-4 at a relative gap
of 1e-11 and 6.7e-7 at 1e-8 (just outside the old 1e-12 switch to the limit form).
"""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim.state.build import psc_propagator

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 50


def exact(dt, tau_m, c_m, tau_x):
    """50-digit value of the propagator for the given float64 arguments."""
    dt, tau_m, c_m, tau_x = (mpmath.mpf(x) for x in (dt, tau_m, c_m, tau_x))
    if tau_x == tau_m:
        return dt / c_m * mpmath.exp(-dt / tau_m)
    return tau_m * tau_x / (tau_x - tau_m) / c_m * (mpmath.exp(-dt / tau_x) - mpmath.exp(-dt / tau_m))


def rel_err(dt, tau_m, c_m, tau_x):
    want = exact(dt, tau_m, c_m, tau_x)
    return float(abs(mpmath.mpf(psc_propagator(dt, tau_m, c_m, tau_x)) - want) / want)


SMALL_GAPS = [0.0] + [s * m * 10.0 ** e for e in range(-16, -3) for m in (1, 2, 5) for s in (1, -1)] + [1e-3, -1e-3]


@pytest.mark.parametrize("dt,tau_m", [(0.1, 10.0), (0.01, 20.0), (1.0, 3.0), (0.1, 0.5)])
def test_near_tau_m_no_cancellation(dt, tau_m):
    # relative gaps 0 .. 1e-3: the expm1 form, measured <= 3.1e-16 (the old one: up to 0.11)
    worst = max(rel_err(dt, tau_m, 250.0, tau_m * (1 + g)) for g in SMALL_GAPS)
    assert worst <= 1e-15


def test_all_gaps_within_1e13():
    # across the switch at |a| = dt |1/tau_m - 1/tau_x| = 1e-3 and beyond: the difference form
    # loses about 1e-16/|a|, so at most ~1.1e-13 there (measured 1.06e-13 on a random sweep)
    worst = 0.0
    for dt, tau_m in [(0.1, 10.0), (0.025, 7.0), (1.0, 20.0)]:
        for a in np.concatenate([np.geomspace(5e-4, 0.5, 60), -np.geomspace(5e-4, 0.5, 60)]):
            inv = 1.0 / tau_m - a / dt
            if inv > 0:
                worst = max(worst, rel_err(dt, tau_m, 250.0, 1.0 / inv))
    for tau_x in (0.1, 1.0, 5.0, 15.0, 100.0, 1e4):
        worst = max(worst, rel_err(0.1, 10.0, 250.0, tau_x))
    assert worst <= 2e-13


def test_far_from_tau_m_gives_the_previous_bits():
    # |a| >= 1e-3 keeps the previous expression exactly, so ordinary models stay bit-identical
    for dt, tau_m, tau_x in [(0.1, 20.0, 5.0), (0.1, 20.0, 10.0), (0.1, 20.0, 0.1), (1.0, 20.0, 2.0), (0.1, 10.0, 1.0)]:
        old = (1.0 / 250.0) * tau_m * tau_x / (tau_x - tau_m) * (math.exp(-dt / tau_x) - math.exp(-dt / tau_m))
        assert psc_propagator(dt, tau_m, 250.0, tau_x) == old


def test_psp_with_tau_syn_next_to_tau_m_matches_closed_form():
    """End to end: one spike through an ExpCurrent whose tau_decay is tau_m (1 + 1e-11); the
    sampled v is the exact PSP w tau_m tau_s / (c_m (tau_s - tau_m)) (e^(-t/tau_s) - e^(-t/tau_m))."""
    dt, tau_m, c_m, w = 0.1, 10.0, 250.0, 100.0
    tau_s = tau_m * (1 + 1e-11)
    net = ns.Network(dt=dt, seed=0)
    gen = net.spike_generator("gen", 1, [0.0], [0])
    pop = net.population("p", 1, ns.LIFCurr(tau_m=tau_m, c_m=c_m, v_rest=0.0, v_th=45.0))
    net.connect(gen, pop, receptor=ns.ExpCurrent(tau_decay=tau_s, name="I_s"), weight=w, delay=dt)
    mon = net.monitor(pop, "v")
    net.run(30.0)
    u = mon.v[:, 0]              # v_rest = 0; sample j is the start of step j; the current arrives in step 1
    W, TM, TS, CM, DT = (mpmath.mpf(x) for x in (w, tau_m, tau_s, c_m, dt))
    want = np.array([float(W * TM * TS / ((TS - TM) * CM) * (mpmath.exp(-(j - 1) * DT / TS)
                                                              - mpmath.exp(-(j - 1) * DT / TM)))
                     for j in range(1, u.size)])
    assert u[0] == 0.0 and want.max() > 1.0
    err = np.abs(u[1:] - want) / want.max()
    assert err.max() <= 2e-14    # measured 2.7e-15 after 300 steps (before the fix: 8.5e-4)
