"""``neurosim.pynn`` as a PyNN user meets it: units, get/set, initialize, reset, errors, setup's
keywords and the star import, each checked against a closed form, plain numpy or PyNN's own
random draws (never against the backend itself).  Recording and threads: test_pynn_recording.py.

PyNN units throughout: ms, mV, nF (cm), nA (currents, current weights), µS (conductances and
conductance weights).  Times follow NEST: a spike is reported at the end of its step, a delay
``d`` after it the synaptic variable jumps, and a current switched on at ``start`` first moves
``v`` at ``start + dt``."""
import math

import numpy as np
import pytest

pytest.importorskip("pyNN")
import neurosim.pynn as sim  # noqa: E402
from pyNN import errors  # noqa: E402
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402
from pyNN.standardmodels.cells import HH_cond_exp  # noqa: E402  (a standard type neurosim.pynn lacks)

from neurosim.errors import SpecError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

DT = 0.1


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(timestep=DT)
    yield
    sim.end()


def signal(pop, name, segment=0):
    """(times ms, values (n_samples, n_cells)) of a recorded variable."""
    sig = pop.get_data().segments[segment].filter(name=name)[0]
    return np.asarray(sig.times, float), np.asarray(sig.magnitude, float)


def spikes(pop, segment=-1):
    return [np.asarray(st.magnitude, float) for st in pop.get_data().segments[segment].spiketrains]


def relax(t, t0, v0, v_inf, tau):
    """Membrane relaxing from ``v0`` at ``t0`` towards ``v_inf`` (mV) with time constant ``tau`` (ms)."""
    return v_inf + (v0 - v_inf) * np.exp(-(t - t0) / tau)


def psp(t, arrival, w_na, cm_nf, tau_m, tau_s):
    """Membrane deflection (mV) of an exponential current ``w_na`` (nA) arriving at ``arrival`` (ms)."""
    s = np.clip(t - arrival, 0.0, None)
    return w_na / cm_nf * tau_s * tau_m / (tau_m - tau_s) * (np.exp(-s / tau_m) - np.exp(-s / tau_s))


# ---------------------------------------------------------------------------------- units
def test_cond_exp_first_spike_at_closed_form_time():
    cm, tau_m, i_offset, v_rest, v_th = 0.25, 10.0, 0.3, -65.0, -55.0   # nF, ms, nA, mV, mV
    p = sim.Population(1, sim.IF_cond_exp(cm=cm, tau_m=tau_m, i_offset=i_offset, tau_refrac=0.0,
                                          v_rest=v_rest, v_reset=v_rest, v_thresh=v_th))
    p.record("spikes")
    sim.run(30.0)
    g_leak = cm / tau_m                                      # µS
    v_inf = v_rest + i_offset / g_leak                       # nA / µS = mV
    t_star = tau_m * math.log((v_inf - v_rest) / (v_inf - v_th))
    first = spikes(p)[0][0]
    assert first == pytest.approx(math.ceil(t_star / DT) * DT, abs=1e-9)   # the end of the crossing step


def test_curr_exp_v_under_dc_source_closed_form():
    cm, tau_m, v_rest, amp, start, stop = 0.5, 10.0, -65.0, 0.4, 20.0, 60.0
    p = sim.Population(2, sim.IF_curr_exp(cm=cm, tau_m=tau_m, v_rest=v_rest, v_thresh=-40.0))
    p.initialize(v=v_rest)
    sim.DCSource(amplitude=amp, start=start, stop=stop).inject_into(p[[1]])
    p.record("v")
    sim.run(100.0)
    t, v = signal(p, "v")
    v_inf = v_rest + amp * tau_m / cm                        # R = tau_m / cm (MΩ), nA * MΩ = mV
    v_stop = relax(stop, start, v_rest, v_inf, tau_m)
    expected = np.where(t <= start, v_rest, np.where(t <= stop, relax(t, start, v_rest, v_inf, tau_m),
                                                     relax(t, stop, v_stop, v_rest, tau_m)))
    np.testing.assert_allclose(v[:, 1], expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(v[:, 0], v_rest)           # not injected
    k = int(round(start / DT))
    assert v[k, 1] == v_rest and v[k + 1, 1] > v_rest        # first moved at start + dt


def test_conductance_weight_in_microsiemens():
    w, tau_e, t_spike, delay = 0.012, 3.0, 10.0, 1.5         # µS, ms, ms, ms
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[t_spike]))
    p = sim.Population(1, sim.IF_cond_exp(tau_syn_E=tau_e))
    sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=w, delay=delay),
                   receptor_type="excitatory")
    p.record("gsyn_exc")
    sim.run(30.0)
    t, g = signal(p, "gsyn_exc")
    arrival = t_spike + delay
    expected = np.where(t >= arrival - 1e-9, w * np.exp(-(t - arrival) / tau_e), 0.0)
    np.testing.assert_allclose(g[:, 0], expected, rtol=1e-12, atol=1e-15)


def test_eif_adaptation_jump_b_in_nanoamperes():
    b = 0.05                                                  # nA
    p = sim.Population(1, sim.EIF_cond_exp_isfa_ista(a=0.0, b=b, i_offset=1.0, tau_w=100.0))
    p.record(["w", "spikes"])
    sim.run(20.0)
    t, w = signal(p, "w")
    t_sp = spikes(p)[0][0]
    k = int(np.argmin(np.abs(t - t_sp)))
    assert np.all(w[:k, 0] == 0.0)
    assert w[k, 0] == pytest.approx(b, rel=1e-12)


# ---------------------------------------------------------------------------------- get / set
def test_get_returns_what_was_set():
    p = sim.Population(5, sim.IF_cond_exp())
    p.set(tau_m=12.5)
    assert p.get("tau_m") == 12.5
    cm = np.array([0.2, 0.25, 0.3, 0.35, 0.4])
    p.set(cm=cm)
    np.testing.assert_array_equal(p.get("cm"), cm)
    p.set(v_thresh=RandomDistribution("uniform", (-55.0, -50.0), rng=NumpyRNG(seed=3)))
    np.testing.assert_array_equal(p.get("v_thresh"),
                                  RandomDistribution("uniform", (-55.0, -50.0), rng=NumpyRNG(seed=3)).next(5))
    p[1:3].set(i_offset=0.1)
    np.testing.assert_array_equal(p.get("i_offset"), [0.0, 0.1, 0.1, 0.0, 0.0])
    assert p[1:3].get("i_offset") == 0.1
    p[[0, 4]].set(tau_refrac=[4.0, 3.0])
    np.testing.assert_array_equal(p.get("tau_refrac"), [4.0, 0.1, 0.1, 0.1, 3.0])
    np.testing.assert_array_equal(p.get("cm"), cm)           # untouched by the later calls


def test_set_between_runs_changes_the_slope_from_the_next_step():
    cm, tau_m, v_rest, i1, i2, t1 = 1.0, 20.0, -65.0, 0.2, 0.6, 50.0
    p = sim.Population(1, sim.IF_curr_exp(cm=cm, tau_m=tau_m, v_rest=v_rest, i_offset=i1, v_thresh=-40.0))
    p.initialize(v=v_rest)
    p.record("v")
    sim.run(t1)
    p.set(i_offset=i2)
    sim.run(50.0)
    t, v = signal(p, "v")
    r = tau_m / cm
    v1 = relax(t1, 0.0, v_rest, v_rest + r * i1, tau_m)
    expected = np.where(t <= t1, relax(t, 0.0, v_rest, v_rest + r * i1, tau_m),
                        relax(t, t1, v1, v_rest + r * i2, tau_m))
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-9)


def test_projection_set_weight_between_runs_scales_the_next_psp():
    cm, tau_m, tau_s, v_rest, d = 1.0, 10.0, 2.0, -65.0, 1.0
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 60.0]))
    p = sim.Population(1, sim.IF_curr_exp(cm=cm, tau_m=tau_m, tau_syn_E=tau_s, v_rest=v_rest))
    p.initialize(v=v_rest)
    prj = sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=d))
    p.record("v")
    sim.run(50.0)
    prj.set(weight=1.5)
    np.testing.assert_array_equal(prj.get("weight", format="array"), [[1.5]])
    sim.run(50.0)
    t, v = signal(p, "v")
    expected = v_rest + psp(t, 10.0 + d, 0.5, cm, tau_m, tau_s) + psp(t, 60.0 + d, 1.5, cm, tau_m, tau_s)
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-9)


def test_initialize_with_a_seeded_random_distribution():
    p = sim.Population(7, sim.IF_cond_exp())
    p.initialize(v=RandomDistribution("uniform", (-70.0, -60.0), rng=NumpyRNG(seed=1)))
    p.record("v")
    sim.run(1.0)
    _, v = signal(p, "v")
    np.testing.assert_array_equal(v[0], RandomDistribution("uniform", (-70.0, -60.0), rng=NumpyRNG(seed=1)).next(7))


# ---------------------------------------------------------------------------------- reset
def _driven(n=20):
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=80.0))
    p = sim.Population(n, sim.IF_cond_exp())
    sim.Projection(noise, p, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=4)),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    return noise, p


def test_reset_repeats_the_run():
    _, p = _driven()
    p.record(["spikes", "v"])
    sim.run(100.0)
    sim.reset()
    sim.run(100.0)
    blk = p.get_data()
    assert len(blk.segments) == 2
    a, b = spikes(p, 0), spikes(p, 1)
    assert sum(map(len, a)) > 10
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(signal(p, "v", 0)[1], signal(p, "v", 1)[1])


def _plastic(noise, p):
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.05,
                                                                 A_minus=0.06),
                             weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.03),
                             weight=0.015, delay=1.0)
    return sim.Projection(noise, p, sim.AllToAllConnector(), stdp)


def _weights(prj):
    return np.array(prj.get("weight", format="list", with_address=False), dtype=float)


def test_reset_keeps_stdp_weights_and_takes_new_structure():
    plastic = _plastic(*_driven())
    sim.run(200.0)
    w_200 = _weights(plastic)                     # what the same network has learnt by 200 ms
    sim.setup(timestep=DT)
    noise, p = _driven()
    plastic = _plastic(noise, p)
    w0 = _weights(plastic)
    sim.run(100.0)
    w_100 = _weights(plastic)
    sim.run(100.0)                                # learns on; not read back before the reset
    with pytest.raises(SpecError, match=r"reset\(\)"):
        sim.Projection(noise, p, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01))
    sim.reset()
    # new structure after reset (the network is laid out again): a silent spike array -> cells
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0], [12.0]]))
    q = sim.Population(2, sim.IF_curr_exp(tau_refrac=2.0))
    sim.Projection(src, q, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.0, delay=1.0))
    q.record("spikes")
    sim.run(0.0)
    w_reset = _weights(plastic)
    assert np.max(np.abs(w_100 - w0)) > 1e-3 and np.max(np.abs(w_200 - w_100)) > 1e-3   # it learnt
    np.testing.assert_array_equal(w_reset, w_200)
    sim.run(50.0)
    assert sum(map(len, spikes(q))) == 0                      # weight 0: the new projection exists but is silent
    assert np.max(np.abs(_weights(plastic) - w_200)) > 1e-3


def test_structure_after_reset_delivers():
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    sim.run(10.0)
    sim.reset()
    q = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1.0, v_thresh=-60.0, v_reset=-70.0, tau_refrac=20.0))
    sim.Projection(src, q, sim.AllToAllConnector(), sim.StaticSynapse(weight=10.0, delay=2.0))
    q.record("spikes")
    sim.run(20.0)
    t = np.arange(201) * DT
    crossing = t[np.argmax(-65.0 + psp(t, 7.0, 10.0, 1.0, 20.0, 1.0) >= -60.0)]
    np.testing.assert_allclose(spikes(q)[0], [crossing], rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------- bad input
def test_bad_input_raises_pynn_errors():
    tau = RandomDistribution("uniform", (2.0, 8.0), rng=NumpyRNG(seed=2))
    with pytest.raises(errors.InvalidParameterValueError, match="tau_syn_E"):   # one channel per cell: refused
        sim.Population(40, sim.IF_cond_exp(tau_syn_E=tau))
    for times in ([5.0, 3.0], [0.0, 4.0]):
        with pytest.raises(errors.InvalidParameterValueError, match="spike_times"):
            sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(1, sim.IF_cond_exp())
    with pytest.raises(errors.ConnectionError, match="delay"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=0.05))
    with pytest.raises(NotImplementedError, match="HH_cond_exp"):
        sim.Population(1, HH_cond_exp())


# ---------------------------------------------------------------------------------- setup / import
def test_setup_accepts_other_backends_keywords_and_seeds_poisson():
    def poisson_spikes(**kw):
        sim.setup(timestep=DT, **kw)
        src = sim.Population(10, sim.SpikeSourcePoisson(rate=100.0))
        src.record("spikes")
        sim.run(100.0)
        out = spikes(src)
        sim.end()
        return out
    a = poisson_spikes(threads=1, filename="x.h5", label="run", quit_on_end=False, verbosity="error", rng_seed=5)
    b = poisson_spikes(rng_seed=5)
    c = poisson_spikes(rng_seed=6)
    assert sum(map(len, a)) > 50
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_star_import_and_procedural_script(tmp_path):
    names = {}
    exec("from neurosim.pynn import *", names)
    for n in ("setup", "run", "end", "create", "connect", "record", "Population", "Projection", "IF_cond_exp",
              "FixedProbabilityConnector", "StaticSynapse", "DCSource", "NumpyRNG", "RandomDistribution"):
        assert n in names, n
    script = f"""
setup(timestep=0.1)
src = create(SpikeSourceArray, {{'spike_times': [2.0, 4.0]}}, n=2)
cells = create(IF_curr_exp, {{'tau_syn_E': 1.0, 'v_thresh': -60.0}}, n=3)
connect(src, cells, weight=20.0, delay=1.0, p=1.0)
record('spikes', cells, {str(tmp_path / 'out.pkl')!r})
run(10.0)
end()
"""
    exec(script, names)
    import neo
    blk = neo.get_io(str(tmp_path / "out.pkl")).read_block()
    sts = blk.segments[0].spiketrains
    assert len(sts) == 3 and all(len(st) >= 1 for st in sts)


def test_cells_with_different_synaptic_time_constants_behave_as_separate_populations():
    """One population whose cells have two tau_syn_E / e_rev_E values (two receptor channels, each
    cell's synapses on its own) gives the v and gsyn of two homogeneous populations, cell for cell."""
    times = [5.0, 7.5, 12.0, 30.0]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    mixed = sim.Population(4, sim.IF_cond_exp(tau_syn_E=[2.0, 6.0, 2.0, 6.0], e_rev_E=[0.0, -10.0, 0.0, -10.0]))
    fast = sim.Population(2, sim.IF_cond_exp(tau_syn_E=2.0, e_rev_E=0.0))
    slow = sim.Population(2, sim.IF_cond_exp(tau_syn_E=6.0, e_rev_E=-10.0))
    for pop in (mixed, fast, slow):
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.0))
        pop.record(["v", "gsyn_exc"])
    sim.run(50.0)
    for name in ("v", "gsyn_exc"):
        _, m = signal(mixed, name)
        _, f = signal(fast, name)
        _, s = signal(slow, name)
        assert np.ptp(f) > 0 and np.ptp(s) > 0
        np.testing.assert_array_equal(m[:, [0, 2]], f)
        np.testing.assert_array_equal(m[:, [1, 3]], s)
