"""Every public parameter takes quantities of brian2, ``quantities`` (python-quantities, Neo's)
and ``pint`` (issue 15, item 4).

For each parameter and library: a quantity of the right dimension, written in a *different*
unit of that dimension (seconds for a parameter in ms, kHz for one in Hz, ...), gives the same
network as the plain number in neurosim's unit -- the two networks' specs (``to_spec``) are
compared, or the two networks are run and their spikes compared -- and a quantity of the wrong
dimension is a SpecError naming the parameter and the unit it expects.  The conversion factors
are the SI prefixes (1 s = 1000 ms, 1 kHz = 1000 Hz, 1 uS = 1000 nS, ...), not values read back
from neurosim.
"""

import math

import numpy as np
import pytest

import neurosim as ns

b2 = pytest.importorskip("brian2")
pq = pytest.importorskip("quantities")
pint = pytest.importorskip("pint")
UREG = pint.UnitRegistry()

LIBS = ("brian2", "quantities", "pint")
REL = 1e-12   # a conversion factor is one multiplication: a rounding or two

# documented unit -> (the unit of the same dimension the test writes the quantity in, spelled for
# quantities/pint, the brian2 unit name and power, and how many documented units one such unit is)
OTHER = {
    "ms": ("s", ("second", 1), 1e3),
    "mV": ("V", ("volt", 1), 1e3),
    "nS": ("uS", ("usiemens", 1), 1e3),
    "pF": ("nF", ("nfarad", 1), 1e3),
    "pA": ("nA", ("nA", 1), 1e3),
    "Hz": ("kHz", ("kHz", 1), 1e3),
    "1/ms": ("1/s", ("second", -1), 1e-3),
    "MOhm": ("kohm", ("kohm", 1), 1e-3),
    "mM": ("uM", ("umolar", 1), 1e-3),
    "uM": ("mM", ("mmolar", 1), 1e3),
    "1/uM": ("1/mM", ("mmolar", -1), 1e-3),
    "dimensionless": ("percent", None, 1e-2),
    "degrees": ("rad", None, 180.0 / math.pi),
}


def quantity(lib, value, unit):
    """``value`` (in the documented ``unit``) as a ``lib`` quantity in another unit of its dimension."""
    spelled, (b2name, power), per = OTHER[unit][0], OTHER[unit][1] or (None, 0), OTHER[unit][2]
    mag = np.asarray(value, dtype=float) / per
    if mag.ndim == 0:
        mag = float(mag)
    if lib == "brian2":
        if b2name is None:   # brian2 has no percent nor angles: a ratio of two times (its value)
            return (np.asarray(value, dtype=float) * 1e3) * b2.ms / b2.second
        return mag * getattr(b2, b2name) ** power
    if lib == "quantities":
        return pq.Quantity(mag, spelled)
    return UREG.Quantity(mag, spelled)


def wrong(lib, value, unit):
    """``value`` as a ``lib`` quantity of a dimension ``unit`` does not have (mV, or ms for mV)."""
    spelled = "ms" if unit == "mV" else "mV"
    if lib == "brian2":
        return value * getattr(b2, spelled)
    if lib == "quantities":
        return pq.Quantity(value, spelled)
    return UREG.Quantity(value, spelled)


def same(a, b, path="spec"):
    """``a`` and ``b`` equal, numbers within REL."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, a, b)
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)) and not (a and isinstance(a[0], (int, float))):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, (int, float, np.ndarray, list, tuple)) and not isinstance(a, bool):
        np.testing.assert_allclose(np.asarray(b, dtype=float), np.asarray(a, dtype=float), rtol=REL, atol=0,
                                   err_msg=path)
    else:
        assert a == b, (path, a, b)


def spec_of(build):
    net = ns.Network(dt=0.1, seed=3)
    build(net)
    return net.to_spec()


def two_pops(net, model=None, post_model=None):
    a = net.population("a", 3, model)
    b = net.population("b", 2, post_model)
    return a, b


# (name in the error, documented unit, plain value, build: value -> something to compare)
CASES = [
    ("dt", "ms", 0.05, lambda x: ns.Network(dt=x).dt),
    ("c_m", "pF", 250.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(c_m=x)))),
    ("g_leak", "nS", 12.5, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(g_leak=x)))),
    ("v_th", "mV", -52.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(v_th=x)))),
    ("t_ref", "ms", 2.5, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(t_ref=x)))),
    ("i_bias", "pA", [30.0, -20.0], lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(i_bias=x)))),
    ("b", "pA", 40.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(b=x)))),
    ("tau_m", "ms", 15.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCurr(tau_m=x)))),
    ("r_m", "MOhm", 40.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCurr(r_m=x)))),
    ("delta_t", "mV", 2.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.AdEx(delta_t=x)))),
    ("v_init", "mV", -61.0, lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(v_init=x)))),
    ("tau_decay", "ms", 7.0, lambda x: ns.AMPA(tau_decay=x).tau_decay),
    ("e_rev", "mV", -80.0, lambda x: ns.GABA_A(e_rev=x).e_rev),
    ("mg", "mM", 1.5, lambda x: ns.NMDA(mg=x).mg),
    ("alpha", "1/ms", 0.5, lambda x: ns.NMDA(saturating=True, alpha=x).alpha),
    ("weight", "nS", 3.0, lambda x: spec_of(lambda n: n.connect(*two_pops(n), weight=x))),
    ("weight", "pA", -40.0, lambda x: spec_of(lambda n: n.connect(*two_pops(n, ns.LIFCurr(), ns.LIFCurr()),
                                                                 receptor=ns.ExpCurrent(), weight=x))),
    ("delay", "ms", 1.5, lambda x: spec_of(lambda n: n.connect(*two_pops(n), delay=x))),
    ("nmda_ratio", "dimensionless", 0.5,
     lambda x: spec_of(lambda n: n.connect(*two_pops(n), receptor="glutamate", nmda_ratio=x))),
    ("release_probability", "dimensionless", 0.25,
     lambda x: spec_of(lambda n: n.connect(*two_pops(n), release_probability=x))),
    ("p", "dimensionless", 0.3, lambda x: ns.fixed_probability(x).to_dict()),
    ("w", "nS", [1.0, 2.0], lambda x: ns.from_arrays([0, 1], [1, 0], w=x).to_dict()),
    ("rate", "Hz", 12.0, lambda x: spec_of(lambda n: n.poisson("p", 3, x))),
    ("rate", "Hz", [5.0, 7.0], lambda x: spec_of(lambda n: n.poisson("p", 2, ns.steps([0.0, 5.0], x)))),
    ("times", "ms", [0.0, 5.0], lambda x: spec_of(lambda n: n.poisson("p", 2, ns.steps(x, [5.0, 7.0])))),
    ("rate", "Hz", [5.0, 7.0], lambda x: spec_of(lambda n: n.poisson("p", 1, ns.timed_array(x, 1.0)))),
    ("dt", "ms", 2.0, lambda x: spec_of(lambda n: n.poisson("p", 1, ns.timed_array([5.0, 7.0], x)))),
    ("rate", "Hz", 20.0, lambda x: spec_of(lambda n: n.poisson_drive(n.population("a", 2), "AMPA", 10, x, 1.0))),
    ("weight", "nS", 0.5, lambda x: spec_of(lambda n: n.poisson_drive(n.population("a", 2), "AMPA", 10, 5.0, x))),
    ("amplitude", "pA", 100.0, lambda x: spec_of(lambda n: n.inject(n.population("a", 2), x))),
    ("frequency", "Hz", 8.0, lambda x: spec_of(lambda n: n.inject_ac(n.population("a", 2), 10.0, x))),
    ("phase", "degrees", 90.0, lambda x: spec_of(lambda n: n.inject_ac(n.population("a", 2), 10.0, 5.0, phase=x))),
    ("start", "ms", 10.0, lambda x: spec_of(lambda n: n.inject_ac(n.population("a", 2), 10.0, 5.0, start=x))),
    ("std", "pA", 10.0, lambda x: spec_of(lambda n: n.inject_noise(n.population("a", 2), 0.0, x, 1.0))),
    ("dt_noise", "ms", 2.0, lambda x: spec_of(lambda n: n.inject_noise(n.population("a", 2), 0.0, 1.0, x))),
    ("rate", "Hz", 15.0, lambda x: spec_of(lambda n: n.gamma_source("g", 2, 3.0, x))),
    ("dead_time", "ms", 2.0, lambda x: spec_of(lambda n: n.poisson_refractory("g", 2, 10.0, x))),
    ("times", "ms", [1.0, 2.5], lambda x: spec_of(lambda n: n.spike_generator("s", 2, x, [0, 1]))),
    ("every", "ms", 0.5, lambda x: spec_of(lambda n: n.monitor(n.population("a", 2), "v", every=x))),
    ("interval", "ms", 5.0, lambda x: spec_of(lambda n: (n.population("a", 1), n.every(x, print, "cb")))),
    ("tau_plus", "ms", 16.8, lambda x: ns.STDP(tau_plus=x).to_dict()),
    ("w_max", "nS", 5.0, lambda x: ns.STDP(w_max=x).to_dict()),
    ("tau_rec", "ms", 500.0, lambda x: ns.TsodyksMarkram(tau_rec=x).to_dict()),
    ("U", "dimensionless", 0.4, lambda x: ns.TsodyksMarkram(U=x).to_dict()),
    ("tau", "ms", 150.0, lambda x: ns.Dopamine(tau=x).to_dict()),
    ("baseline", "uM", 0.02, lambda x: ns.Dopamine(baseline=x).to_dict()),
    ("per_spike", "uM", 0.3,
     lambda x: spec_of(lambda n: n.modulator(ns.Dopamine(), source=n.population("a", 1), per_spike=x))),
    ("k", "1/uM", 0.8, lambda x: spec_of(lambda n: n.modulate(n.modulator(ns.Acetylcholine()),
                                                                 n.population("a", 1), "b", x))),
    ("v_init", "mV", -70.0,
     lambda x: spec_of(lambda n: n.population("a", 2, ns.LIFCond(v_init=ns.Uniform(x, quantity_like(x, -50.0)))))),
    ("weight", "nS", 2.0,
     lambda x: spec_of(lambda n: n.connect(*two_pops(n), weight=ns.Normal(x, quantity_like(x, 0.5))))),
    ("delay", "ms", 2.0,
     lambda x: spec_of(lambda n: n.connect(*two_pops(n), delay=ns.LogNormal(x, quantity_like(x, 0.5))))),
    ("tau_m", "ms", 12.0, lambda x: spec_of(lambda n: n.population("a", 2).set(tau_m=x))),
    ("v_th", "mV", [-50.0, -52.0], lambda x: spec_of(lambda n: n.population("a", 2).set(v_th=x))),
    ("rate", "Hz", 9.0, lambda x: spec_of(lambda n: n.poisson("p", 2, 1.0).set(rate=x))),
    ("times", "ms", [1.0, 3.0], lambda x: spec_of(lambda n: n.spike_generator("s", 2, [], []).set(times=x,
                                                                                                ids=[0, 1]))),
    ("v", "mV", -62.0, lambda x: spec_of(lambda n: n.population("a", 2).initialize(v=x))),
    ("weight", "nS", 4.0, lambda x: spec_of(lambda n: n.connect(*two_pops(n)).set(weight=x))),
    ("release_probability", "dimensionless", 0.5,
     lambda x: spec_of(lambda n: n.connect(*two_pops(n), release_probability=0.1).set(release_probability=x))),
    ("amount", "uM", 0.7, lambda x: (lambda n: (n.modulator(ns.Dopamine()), n.reward(x), n._pending[0][1])[-1])(
        ns.Network())),
    ("max_rate", "Hz", 50.0, lambda x: __import__("neurosim.data", fromlist=["poisson_rates"]).poisson_rates(
        np.array([[0, 255]], dtype=np.uint8), max_rate=x)),
]

_CURRENT = {}


def quantity_like(x, value):
    """``value`` in the same library and documented unit as ``x`` (the case's first argument)."""
    lib, unit = _CURRENT.get("lib"), _CURRENT.get("unit")
    return value if lib is None else quantity(lib, value, unit)


def _ids():
    seen = {}
    out = []
    for name, unit, _, _ in CASES:
        key = f"{name}[{unit}]"
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return out


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_right_dimension_gives_the_plain_number_network(case, lib):
    name, unit, value, build = case
    _CURRENT.clear()
    plain = build(value)
    _CURRENT.update(lib=lib, unit=unit)
    try:
        converted = build(quantity(lib, value, unit))
    finally:
        _CURRENT.clear()
    same(plain, converted)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_wrong_dimension_names_the_parameter_and_unit(case, lib):
    name, unit, value, build = case
    _CURRENT.update(lib=lib, unit="ms" if unit == "mV" else "mV")
    try:
        with pytest.raises(ns.SpecError) as err:
            build(wrong(lib, value, unit))
    finally:
        _CURRENT.clear()
    msg = str(err.value)
    assert name in msg and (unit if unit != "dimensionless" else "dimensionless") in msg, msg


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("unit,low,high", [("MOhm", 30.0, 50.0), ("Hz", 5.0, 20.0), ("uM", 0.1, 0.4)])
def test_a_distribution_of_quantities_is_rescaled_into_the_parameters_unit(lib, unit, low, high):
    """Distributions do not know their parameter: quantities are kept in the coherent unit of their
    dimension (GOhm, 1/ms, mM) until the parameter's unit (MOhm, Hz, uM) is known."""
    from neurosim.spec.distributions import in_unit
    got = in_unit(ns.Normal(quantity(lib, low, unit), quantity(lib, high - low, unit), low=quantity(lib, low, unit)),
                  "p", unit)
    want = ns.Normal(low, high - low, low=low)
    same([want.mu, want.sigma, want.low], [got.mu, got.sigma, got.low])
    assert got.high is None and got.redraw


def test_a_quantities_delay_array_in_seconds_is_milliseconds():
    """``delay=[2]*pq.s`` (an ndarray subclass) was taken as 2 ms before issue 15: it is 2000 ms."""
    net = ns.Network(dt=0.1)
    a = net.spike_generator("a", 1, [0.0], [0])
    b = net.population("b", 1)
    proj = net.connect(a, b, delay=[2] * pq.s)
    np.testing.assert_array_equal(net.connections(proj)["delay"], [2000.0])
    with pytest.raises(ns.SpecError, match=r"delay: expected a quantity in ms, got a quantities quantity in mV"):
        net2 = ns.Network(dt=0.1)
        net2.connect(net2.population("a", 1), net2.population("b", 1), delay=[2] * pq.mV)


def _spikes(lib):
    """A small network given in plain numbers (lib None) or in ``lib`` quantities, run 60 ms."""
    q = (lambda v, unit: v) if lib is None else (lambda v, unit: quantity(lib, v, unit))
    net = ns.Network(dt=q(0.1, "ms"), seed=5)
    src = net.spike_generator("src", 2, q([1.0, 2.0, 10.0, 30.0], "ms"), [0, 1, 0, 1])
    drive = net.poisson("drive", 20, q(200.0, "Hz"))
    post = net.population("post", 3, ns.LIFCond(c_m=q(200.0, "pF"), g_leak=q(10.0, "nS"), v_th=q(-52.0, "mV"),
                                                 t_ref=q(2.0, "ms"), v_init=q(-60.0, "mV")))
    ampa = ns.AMPA(tau_decay=q(5.0, "ms"))
    net.connect(src, post, receptor=ampa, weight=q(30.0, "nS"), delay=q(1.5, "ms"))
    net.connect(drive, post, ns.fixed_probability(q(0.5, "dimensionless")), receptor=ampa, weight=q(2.0, "nS"))
    net.inject(post, q([50.0, 0.0, 100.0], "pA"))
    mon = net.monitor(post, "spikes")
    net.run(q(60.0, "ms"))
    return mon.i.copy(), mon.t.copy()


@pytest.mark.parametrize("lib", LIBS)
def test_a_network_in_quantities_spikes_as_the_plain_one(lib):
    i0, t0 = _spikes(None)
    assert i0.size > 5   # the comparison means something
    i1, t1 = _spikes(lib)
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_allclose(t1, t0, rtol=1e-12, atol=0)


@pytest.mark.parametrize("lib", LIBS)
def test_the_weight_unit_follows_the_receptor(lib):
    """A conductance-based receptor takes nS, a current-based one pA: the other is refused."""
    net = ns.Network()
    a, b = net.population("a", 2), net.population("b", 2)
    with pytest.raises(ns.SpecError, match=r"weight: expected a quantity in nS, got"):
        net.connect(a, b, receptor="AMPA", weight=quantity(lib, 3.0, "pA"))
    c, d = net.population("c", 2, ns.LIFCurr()), net.population("d", 2, ns.LIFCurr())
    with pytest.raises(ns.SpecError, match=r"weight: expected a quantity in pA, got"):
        net.connect(c, d, receptor=ns.ExpCurrent(), weight=quantity(lib, 3.0, "nS"))
    proj = net.connect(c, d, receptor=ns.ExpCurrent(), weight=quantity(lib, -3.0, "pA"))
    with pytest.raises(ns.SpecError, match=r"weight: expected a quantity in pA, got"):
        proj.set(weight=quantity(lib, 1.0, "nS"))
