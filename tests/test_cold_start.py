"""The first run: it says when it compiles, compiles only the kernels the network uses, and a
second run loads them from the cache without a word.

One cold process (an empty NUMBA_CACHE_DIR) runs a small conductance-based E/I network and lists
the kernels Numba compiled (``numba:compile`` events); a second process with the same cache must
compile nothing.  A network with plasticity, Poisson sources and a state monitor, run after them
in the same cache, must compile those phases and nothing it compiled before."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurosim as ns
from neurosim.kernels.cpu.chunk import chunk_args
from neurosim.state.build import build_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent('''
    import json, logging, sys
    from numba.core import event
    rec = event.RecordingListener()
    event.register("numba:compile", rec)
    import neurosim as ns
    # the compile notice is an INFO record of the "neurosim" logger: shown as `neurosim run` shows it
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("neurosim: %(message)s"))
    logging.getLogger("neurosim").addHandler(handler)
    logging.getLogger("neurosim").setLevel(logging.INFO)
    net = ns.Network(dt=0.1, seed=3)
    cell = ns.LIFCond(i_bias=200.0, v_init=ns.Uniform(-60.0, -50.0))
    e = net.population("e", 400, cell)
    i = net.population("i", 100, cell)
    net.connect(e, [e, i], ns.fixed_probability(0.05), receptor=ns.AMPA(tau_decay=5.0), weight=6.0)
    net.connect(i, [e, i], ns.fixed_probability(0.05), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0), weight=67.0)
    net.monitor(e, "spikes")
    if sys.argv[1] == "rich":
        src = net.poisson("src", 50, rate=20.0)
        net.connect(src, e, ns.fixed_probability(0.1), receptor=ns.AMPA(tau_decay=5.0), weight=2.0,
                    plasticity=ns.STDP(w_max=10.0))
        net.monitor(e, "v", indices=[0, 1])
    res = net.run(50.0)
    names = sorted({ev.data["dispatcher"].py_func.__name__ for ts, ev in rec.buffer
                    if ev.is_start and ev.data["dispatcher"].py_func.__module__.startswith("neurosim")})
    counts = {}
    for ts, ev in rec.buffer:
        if ev.is_start and ev.data["dispatcher"].py_func.__module__.startswith("neurosim"):
            counts[ev.data["dispatcher"].py_func.__name__] = counts.get(ev.data["dispatcher"].py_func.__name__, 0) + 1
    print("RESULT " + json.dumps({"compiled": names, "counts": counts, "compile_s": res.meta.get("compile_s"),
                                  "spikes": int(res.spikes["e"].num_spikes)}))
''')


def _run(kind, cache, tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, kind], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][0]
    return json.loads(line[len("RESULT "):]), proc.stderr


@pytest.mark.slow
def test_cold_run_says_it_compiles_only_what_the_network_uses(tmp_path):
    cache = tmp_path / "numba-cache"
    cold, err = _run("plain", cache, tmp_path)
    assert cold["spikes"] > 0
    # said before compiling, and how long it took after
    lines = [ln for ln in err.splitlines() if ln.startswith("neurosim:")]
    assert len(lines) == 2 and "compiling kernels" in lines[0] and "compiled in" in lines[1], err
    assert cold["compile_s"] is not None and cold["compile_s"] > 0
    compiled = set(cold["compiled"])
    assert {"run_chunk", "update_neurons", "_cond_block_fused", "propagate_owned"} <= compiled
    # phases and neuron updates this network does not have are not compiled
    unused = {"plasticity", "saturating_step", "saturating_arrivals", "poisson_drive", "source_spikes",
              "inject_currents", "advance_tables", "sample_state", "_cond_block", "_curr_block", "_curr_block_fused"}
    assert not compiled & unused, compiled & unused
    # each kernel compiled once (no second signature for the same call, e.g. a literal 0); the
    # implementations of type-dispatched helpers (``_ov_*``: scalar or per-neuron parameters) are
    # compiled once per argument type
    assert {k: n for k, n in cold["counts"].items() if n != 1 and not k.startswith("_ov_")} == {}
    warm, err = _run("plain", cache, tmp_path)
    assert warm["compiled"] == [] and warm["compile_s"] is None and "neurosim:" not in err
    assert warm["spikes"] == cold["spikes"]
    # a network with more phases compiles them, and of what the first one compiled only run_chunk
    rich, err = _run("rich", cache, tmp_path)
    assert {"plasticity", "source_spikes", "sample_state"} <= set(rich["compiled"])
    assert set(rich["compiled"]) & compiled == {"run_chunk"}, set(rich["compiled"]) & compiled


def _net(kinds):
    net = ns.Network(dt=0.1, seed=1)
    pops = []
    for k, kind in enumerate(kinds):
        cell = ns.LIFCond() if kind.startswith("cond") else ns.LIFCurr()
        p = net.population(f"p{k}", 10, cell)
        pops.append(p)
        if kind.endswith("fused"):       # two plain receptors: the fused update
            ra = ns.AMPA(tau_decay=5.0) if kind.startswith("cond") else ns.ExpCurrent(tau_decay=5.0, name="exc")
            rb = ns.GABA_A(tau_decay=10.0) if kind.startswith("cond") else ns.ExpCurrent(tau_decay=10.0, name="inh")
            net.connect(p, p, ns.fixed_probability(0.5), receptor=ra, weight=1.0)
            net.connect(p, p, ns.fixed_probability(0.5), receptor=rb, weight=1.0)
        else:                            # one receptor with a rise time: the general update
            r = (ns.NMDA() if kind.startswith("cond") else
                 ns.ExpCurrent(tau_decay=5.0, name="slow", tau_rise=1.0))
            net.connect(p, p, ns.all_to_all(), receptor=r, weight=1.0, delay=0.5)
    return net


@pytest.mark.parametrize("kinds", [["cond_fused"], ["curr_fused"], ["cond"], ["curr"],
                                   ["cond", "curr_fused"], ["cond_fused", "cond", "curr", "curr_fused"]])
def test_markers_name_exactly_the_updates_and_paths_in_use(kinds):
    """chunk_args marks the neuron updates the populations take (cond, cond_fused, curr,
    curr_fused) and the propagation paths their projections take; every unmarked one is absent."""
    st, _ = build_state(_net(kinds))
    args = chunk_args(st)
    use_cond, use_cond_fused, use_curr, use_curr_fused, use_per_neuron, use_adex, use_theta, use_ring, use_dense, \
        use_rise, use_unsorted = args[-11:]
    assert use_adex is None                       # no AdEx population: its update is not compiled in
    assert use_theta is None                      # no adaptive threshold: its update is not compiled in
    assert (use_cond is True) == ("cond" in kinds)
    assert (use_cond_fused is True) == ("cond_fused" in kinds)
    assert (use_curr is True) == ("curr" in kinds)
    assert (use_curr_fused is True) == ("curr_fused" in kinds)
    general = any(k in ("cond", "curr") for k in kinds)
    assert (use_ring is True) == general          # delay 0.5 ms: through the ring buffer
    assert (use_dense is True) == general         # all_to_all rows
    assert (use_rise is True) == general
    assert use_unsorted is None                   # connectors give ascending rows
    assert use_per_neuron is None                 # every population uniform: the scalar updates only
    for m in args[-15:]:
        assert m is True or m is None
    # parts of the state no phase reads are not passed
    pops, chans, neurons, syn, tables, inputs, rec, plast, sat = args[:9]
    assert tables is None and inputs is None and plast is None and sat is None
    assert neurons is st.neurons and np.shares_memory(neurons.v, st.neurons.v)
