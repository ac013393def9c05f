"""Time on the dt grid, one rule (issue 11, defect 6; neurosim/spec/timegrid.py).

Durations, scalar delays, monitor periods, ``every`` intervals, schedule times and dendritic
delays must be multiples of dt (else a SpecError names the value and the two nearest valid
ones, before anything runs); per-synapse delays (arrays, distributions) and spike-generator
times are data and round to the nearest step, halves up (Brian2's spike queue); the
refractory period follows Brian2's truncation, checked here against Brian2 itself.
"""
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import neurosim as ns

DT = 0.1


def _refused(action, *patterns):
    net = ns.Network(dt=DT, seed=0)
    rx = "(?s)^" + "".join(f"(?=.*{p})" for p in patterns)
    with pytest.raises(ns.SpecError, match=rx):
        action(net)
    assert net.t == 0.0


def test_duration_off_grid_is_refused_not_rounded():
    # before: run(0.25) simulated 2 steps (0.2 ms, Python's round-half-even) without a word
    _refused(lambda net: (net.population("a", 1), net.run(0.25)),
             r"duration 0\.25 ms is not a multiple of dt = 0\.1 ms; use 0\.2 or 0\.3")
    _refused(lambda net: (net.population("a", 1), net.run(0.35)), r"duration 0\.35 ms", r"use 0\.3 or 0\.4")
    _refused(lambda net: (net.population("a", 1), net.run(0.04)), r"duration 0\.04 ms", r"use 0\.1$")
    net = ns.Network(dt=DT, seed=0)
    net.population("a", 1)
    net.run(0.3)                                 # 0.3/0.1 = 2.9999999999999996: on the grid
    net.run(0.1 + 1e-12)                         # 1e-11 relative off: float noise, accepted
    assert net._sim.step == 4


def test_scalar_delay_off_grid_is_refused_array_delays_round_half_up():
    def connect(delay):
        def f(net):
            a, b = net.population("a", 2), net.population("b", 2)
            net.connect(a, b, ns.one_to_one(), delay=delay)
            net.run(DT)
        return f
    _refused(connect(0.25), r"projection 'a_to_b': delay 0\.25 ms is not a multiple of dt = 0\.1 ms; use 0\.2 or 0\.3")
    _refused(connect(1.04), r"delay 1\.04 ms", r"use 1\.0 or 1\.1")
    # per-synapse values are data: nearest step, halves up (Brian2's (int)(delay/dt + 0.5))
    net = ns.Network(dt=DT, seed=0)
    a, b = net.population("a", 2), net.population("b", 2)
    p = net.connect(a, b, ns.one_to_one(), delay=np.array([0.25, 0.14]))
    np.testing.assert_array_equal(np.rint(net.connections(p)["delay"] / DT), [3, 1])


def test_periods_and_schedule_times_off_grid_are_refused():
    def pop(net):
        return net.population("a", 2)
    _refused(lambda net: net.monitor(pop(net), "v", every=0.25), r"monitor: every 0\.25 ms", r"use 0\.2 or 0\.3")
    _refused(lambda net: net.every(0.25, lambda n: None), r"every: interval 0\.25 ms", r"use 0\.2 or 0\.3")
    _refused(lambda net: net.inject(pop(net), ns.steps([0.0, 0.25], [1.0, 2.0])),
             r"inject: amplitude: schedule time 0\.25 ms is not a multiple of dt = 0\.1 ms; use 0\.2 or 0\.3",
             r"entry 1 of 2")
    _refused(lambda net: net.poisson("s", 2, ns.timed_array(np.ones((3, 2)), dt=0.15)),
             r"poisson 's': rate: schedule time 0\.15 ms", r"use 0\.1 or 0\.2")
    _refused(lambda net: net.poisson_drive(pop(net), "AMPA", 3, ns.steps([0.05], [5.0]), 1.0),
             r"poisson_drive: rate.*schedule time 0\.05 ms", r"use 0\.0 or 0\.1")

    def dendritic(net):
        a, b = net.population("a", 2), net.population("b", 2)
        net.connect(a, b, receptor="AMPA", weight=0.5, plasticity=ns.STDP(w_max=1.0, dendritic_delay=0.25))
        net.run(1.0)
    _refused(dendritic, r"projection 'a_to_b': STDP\.dendritic_delay 0\.25 ms", r"use 0\.2 or 0\.3")


def test_spike_generator_times_round_half_up():
    net = ns.Network(dt=DT, seed=0)
    g = net.spike_generator("g", 3, [0.25, 0.14, 0.35], [0, 1, 2])
    mon = net.monitor(g, "spikes")
    net.run(1.0)
    got = dict(zip(mon.i.tolist(), np.rint(mon.t / DT).astype(int).tolist()))
    assert got == {0: 3, 1: 1, 2: 4}


# ------------------------------------------------------------------ refractory: Brian2's rule
def _brian2_isi_and_clamp(t_ref):
    """Spike steps and v (sampled at the start of each step) of one Brian2 LIF neuron with
    refractory=t_ref ms, driven so that it crosses threshold in the second step it integrates
    (from -70 mV towards v_inf = +930 mV: +9.95 mV after one step, +19.8 mV after two)."""
    b2 = pytest.importorskip("brian2")
    old_target = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            b2.start_scope()
            g = b2.NeuronGroup(1, "dv/dt = (-70*mV - v)/(10*ms) + 25000*pA/(250*pF) : volt (unless refractory)",
                               threshold="v > -55*mV", reset="v = -70*mV", refractory=t_ref * b2.ms,
                               method="exact", dt=DT * b2.ms)
            g.v = -70 * b2.mV
            sp = b2.SpikeMonitor(g)
            st = b2.StateMonitor(g, "v", record=0, dt=DT * b2.ms)
            b2.run(8.0 * b2.ms)
        steps = np.rint(np.asarray(sp.t / b2.ms) / DT).astype(int)
        v = np.asarray(st.v[0] / b2.mV)
    finally:
        b2.prefs.codegen.target = old_target
    return steps, v


def _neurosim_isi_and_clamp(t_ref):
    net = ns.Network(dt=DT, seed=0)
    p = net.population("p", 1, ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0, v_reset=-70.0,
                                          t_ref=t_ref, i_bias=25000.0))
    sp, st = net.monitor(p, "spikes"), net.monitor(p, "v")
    net.run(8.0)
    return np.rint(sp.t / DT).astype(int), st.v[:, 0]


def _held_steps(spike_steps, v, v_reset):
    """Steps after each spike (sampled at the start of steps k+1, k+2, ...) in which v stays at v_reset."""
    out = []
    for k in spike_steps[:-1]:
        n = 0
        while v[k + 1 + n] == v_reset and k + 1 + n < v.size - 1:
            n += 1
        out.append(n)
    return out


@pytest.mark.brian2
@pytest.mark.parametrize("t_ref", [2.05, 2.0, 2.15, 0.37, 0.05])
def test_refractory_steps_match_brian2(t_ref):
    b_steps, b_v = _brian2_isi_and_clamp(t_ref)
    n_steps, n_v = _neurosim_isi_and_clamp(t_ref)
    assert b_steps.size >= 3
    np.testing.assert_array_equal(n_steps, b_steps)
    assert _held_steps(n_steps, n_v, -70.0) == _held_steps(b_steps, b_v, -70.0)
    # Brian2 truncates to n_ref = int((t_ref + 1e-3 dt)/dt) steps (at least one); the neuron then
    # needs two integration steps to reach threshold
    n_ref = math.floor(Fraction(repr(t_ref)) / Fraction(repr(DT)) + Fraction(1, 1000))
    assert np.all(np.diff(b_steps) == max(n_ref, 1) + 1)
