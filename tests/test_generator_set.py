"""``Population.set(times=..., ids=...)`` of a spike generator (handles.py ``_set_spikes``,
sim/changes.py ``write_generators``).

* between runs: the new spikes from the current step on are emitted, those before it are not, and
  the spikes of the old list still to come are dropped; a target neuron's membrane trace equals,
  bit for bit, that of a network built from the start with the effective list (old spikes before
  "now" + new spikes from "now");
* before the first run it simply replaces the spikes;
* bad input (unequal lengths, negative times, ids out of range, a source twice in one step) raises
  SpecError naming the population and leaves the old spikes in place (in the running network and
  in its description, which a reset replays);
* ``Network.reset()`` afterwards replays the whole new list from t = 0.
"""
import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
T1, T2 = 20.0, 20.0                     # ms: first run, second run
OLD = ([3.0, 8.0, 15.0, 25.0, 33.0], [0, 1, 0, 1, 0])                  # (times ms, ids)
NEW = ([5.0, 19.9, 20.0, 22.0, 30.0, 36.5], [1, 0, 1, 0, 1, 0])       # 5.0 and 19.9 are past at T1


def effective(t_now):
    """The spikes a generator emits when its OLD list is replaced by NEW at ``t_now`` (ms)."""
    k_now = round(t_now / DT)
    old = [(t, i) for t, i in zip(*OLD) if round(t / DT) < k_now]
    new = [(t, i) for t, i in zip(*NEW) if round(t / DT) >= k_now]
    times, ids = zip(*(old + new))
    return list(times), list(ids)


def network(times, ids):
    """Two generator sources onto one LIFCurr neuron (below threshold: v is a sum of PSPs)."""
    net = ns.Network(dt=DT, seed=1)
    gen = net.spike_generator("gen", 2, times, ids)
    post = net.population("post", 1, ns.LIFCurr(tau_m=10.0, c_m=200.0, v_th=0.0))
    net.connect(gen, post, ns.all_to_all(), receptor=ns.Receptor("exc", tau_decay=2.0), weight=150.0, delay=1.0)
    mons = {"gen": net.monitor(gen, "spikes"), "v": net.monitor(post, "v")}
    return net, gen, mons


def emitted(mon):
    return sorted(zip(np.rint(np.asarray(mon.t) / DT).astype(int).tolist(), np.asarray(mon.i).tolist()))


def steps_of(times, ids):
    return sorted(zip(np.rint(np.asarray(times) / DT).astype(int).tolist(), list(ids)))


def test_set_between_runs_emits_future_spikes_only():
    net, gen, mons = network(*OLD)
    net.run(T1)
    gen.set(times=NEW[0], ids=NEW[1])
    net.run(T2)
    eff = effective(T1)
    assert emitted(mons["gen"]) == steps_of(*eff)
    assert (round(20.0 / DT), 1) in emitted(mons["gen"]) and (round(19.9 / DT), 0) not in emitted(mons["gen"])
    ref, _, ref_mons = network(*eff)
    ref.run(T1 + T2)
    assert emitted(ref_mons["gen"]) == steps_of(*eff)
    v, v_ref = np.asarray(mons["v"].v), np.asarray(ref_mons["v"].v)
    assert v.shape == v_ref.shape and np.ptp(v) > 1.0
    np.testing.assert_array_equal(v, v_ref)
    # and not the trace of the unchanged network
    old, _, old_mons = network(*OLD)
    old.run(T1 + T2)
    assert not np.array_equal(np.asarray(old_mons["v"].v), v)


def test_set_before_the_first_run_replaces_the_spikes():
    net, gen, mons = network(*OLD)
    gen.set(times=NEW[0], ids=NEW[1])
    net.run(T1 + T2)
    assert emitted(mons["gen"]) == steps_of(*NEW)
    ref, _, ref_mons = network(*NEW)
    ref.run(T1 + T2)
    np.testing.assert_array_equal(np.asarray(mons["v"].v), np.asarray(ref_mons["v"].v))


@pytest.mark.parametrize("times, ids, match", [
    ([1.0, 2.0], [0], "equal length"),
    ([-1.0, 25.0], [0, 1], "finite and >= 0"),
    ([25.0, 26.0], [0, 2], r"ids must be integers in \[0, 1\]"),
    ([25.0, 25.02], [1, 1], "twice in one time step"),
])
def test_bad_spikes_raise_and_keep_the_old_ones(times, ids, match):
    net, gen, mons = network(*OLD)
    net.run(T1)
    with pytest.raises(SpecError, match=match) as err:
        gen.set(times=times, ids=ids)
    assert "'gen'" in str(err.value)
    net.run(T2)
    assert emitted(mons["gen"]) == steps_of(*OLD)
    net.reset()                                  # the description kept the old spikes too
    net.run(T1 + T2)
    assert emitted(mons["gen"]) == steps_of(*OLD)


def test_missing_arguments_raise():
    net, gen, _ = network(*OLD)
    with pytest.raises(SpecError, match="'gen'.*times=.*ids="):
        gen.set(times=[1.0])
    with pytest.raises(SpecError, match="'gen'"):
        gen.set(times=[1.0], ids=[0], rate=5.0)


def test_reset_replays_the_new_spikes():
    net, gen, mons = network(*OLD)
    net.run(T1)
    gen.set(times=NEW[0], ids=NEW[1])
    net.run(T2)
    net.reset()
    net.run(T1 + T2)
    assert emitted(mons["gen"]) == steps_of(*NEW)
    ref, _, ref_mons = network(*NEW)
    ref.run(T1 + T2)
    np.testing.assert_array_equal(np.asarray(mons["v"].v), np.asarray(ref_mons["v"].v))
