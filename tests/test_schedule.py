"""The step schedule is data (sim/schedule.py): both chunk runners call their phase kernels in
exactly the order of ``PHASES``.  The runners' source is read with ``ast`` (no Numba, no GPU), so
a runner that adds, drops or reorders a phase on its own fails here."""
import ast
import os

import pytest

from neurosim.sim import schedule as S

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPU_CHUNK = os.path.join(ROOT, "neurosim", "kernels", "cpu", "chunk.py")
CUDA_CHUNK = os.path.join(ROOT, "neurosim", "kernels", "cuda", "chunk.py")
CUDA_BACKEND = os.path.join(ROOT, "neurosim", "backends", "cuda.py")
CPU_BACKEND = os.path.join(ROOT, "neurosim", "backends", "cpu.py")


def _read(path):
    with open(path) as f:
        return f.read()


def _call_name(node):
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


def _calls(stmts, owned, names):
    """Phase-kernel calls of ``stmts`` in source order.  ``if owned:`` takes the branch of the
    CPU runner's threading mode; every other ``if`` contributes its body, then its ``else``."""
    out = []
    for st in stmts:
        if isinstance(st, ast.If):
            if isinstance(st.test, ast.Name) and st.test.id == "owned":
                out += _calls(st.body if owned else st.orelse, owned, names)
            else:
                out += _calls(st.body, owned, names) + _calls(st.orelse, owned, names)
        elif isinstance(st, (ast.For, ast.While)):
            out += _calls(st.body, owned, names) + _calls(st.orelse, owned, names)
        elif isinstance(st, ast.With):
            out += _calls(st.body, owned, names)
        else:
            found = [n for n in ast.walk(st) if isinstance(n, ast.Call) and _call_name(n) in names]
            out += [_call_name(n) for n in sorted(found, key=lambda n: (n.lineno, n.col_offset))]
    return out


def _function(source, name):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name} in the source")


def _imported_kernels(source):
    """Names a module imports from its sibling kernel modules (``from .x import ...``)."""
    return {a.asname or a.name for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.level == 1 for a in node.names}


def runner_order(source, runner):
    """The phase-kernel calls of one step of ``run_chunk`` in ``source``, in order."""
    # every kernel any phase names, plus whatever the runner imports from its kernel modules that
    # is not plumbing: a kernel called but missing from PHASES is caught too
    plumbing = {"n_jobs", "neuron_paths", "BLOCK", "N_WORK", "owned_ranges", "barrier", "atomic_load",
                "synapse_paths", "get_fp_control", "set_fp_control", "FLUSH_SUBNORMALS", "SYNC_STOP",
                "SYNC_SLOW", "SYNC_SLOW_LIMIT", "SYNC_COUNTS", "SYNC_STRIDE", "SLOW_WINDOW"}
    names = S.kernel_names() | (_imported_kernels(source) - plumbing)
    return tuple(_calls(_function(source, "run_chunk").body, runner == "cpu-owned", names))


@pytest.mark.parametrize("runner", ["cpu", "cpu-owned"])
def test_cpu_runner_follows_the_schedule(runner):
    assert runner_order(_read(CPU_CHUNK), runner) == S.order(runner)


def test_cuda_runner_follows_the_schedule():
    assert runner_order(_read(CUDA_CHUNK), "cuda") == S.order("cuda")


@pytest.mark.parametrize("path", [CUDA_BACKEND, CPU_BACKEND])
def test_backends_do_not_sequence_phases(path):
    """The backends call the chunk runner only, never a phase kernel of their own."""
    tree = ast.parse(_read(path))
    called = {_call_name(n) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not called & S.kernel_names()


def _swap(source, a, b):
    """``source`` with the first lines calling ``a(`` and ``b(`` swapped (indentation kept; both
    calls must fit on one line)."""
    lines = source.split("\n")
    ia = next(i for i, s in enumerate(lines) if s.strip().startswith(a + "("))
    ib = next(i for i, s in enumerate(lines) if s.strip().startswith(b + "("))
    ind_a = lines[ia][:len(lines[ia]) - len(lines[ia].lstrip())]
    ind_b = lines[ib][:len(lines[ib]) - len(lines[ib].lstrip())]
    lines[ia], lines[ib] = ind_a + lines[ib].lstrip(), ind_b + lines[ia].lstrip()
    return "\n".join(lines)


def test_a_reordered_dropped_or_added_phase_is_caught():
    """The check above fails on mutated copies of the runners' source."""
    cpu, cuda = _read(CPU_CHUNK), _read(CUDA_CHUNK)
    # reordered: plasticity before the saturating arrivals; sampling after the neuron update
    bad = _swap(cpu, "saturating_arrivals", "plasticity")
    assert bad != cpu and runner_order(bad, "cpu") != S.order("cpu")
    bad = _swap(cuda, "sample_state", "update_neurons")
    assert runner_order(bad, "cuda") != S.order("cuda")
    # the owned path swaps collection and propagation
    bad = _swap(cpu, "collect_owned", "propagate_owned")
    assert runner_order(bad, "cpu-owned") != S.order("cpu-owned")
    assert runner_order(bad, "cpu") == S.order("cpu")
    # dropped
    bad = cuda.replace("        plasticity(pops, st.syn, neurons, st.plast, step, info.plast)\n", "")
    assert bad != cuda and runner_order(bad, "cuda") != S.order("cuda")
    # added: a phase kernel called twice, and a new kernel imported and called
    bad = cpu.replace("                collect_spikes(neurons)\n",
                      "                collect_spikes(neurons)\n                collect_spikes(neurons)\n")
    assert bad != cpu and runner_order(bad, "cpu") != S.order("cpu")
    bad = cuda.replace("from .neurons import update_neurons\n",
                       "from .neurons import update_neurons, homeostasis\n")
    bad = bad.replace("        propagate(pops, st.syn, st.stp, st.rel, neurons, key, step)\n",
                      "        propagate(pops, st.syn, st.stp, st.rel, neurons, key, step)\n        homeostasis(pops, neurons)\n")
    assert runner_order(bad, "cuda") != S.order("cuda")


def test_schedule_is_plain_data():
    """sim/schedule.py imports no kernel (and so no Numba); names are unique."""
    tree = ast.parse(_read(S.__file__))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    mods = [n.module or "" for n in top if isinstance(n, ast.ImportFrom)] + \
           [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    assert not any("numba" in m or "kernels" in m for m in mods), mods
    assert len({p.name for p in S.PHASES}) == len(S.PHASES)


def test_schedule_summary():
    import neurosim as ns
    net = ns.Network(dt=0.1, seed=1)
    cell = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                      i_bias=200.0)
    a = net.population("a", 20, cell)
    net.connect(a, a, ns.fixed_probability(0.2), receptor=ns.AMPA(tau_decay=5.0, e_rev=0.0), weight=1.0)
    net.monitor(a, "spikes")
    before = net.schedule_summary()
    assert not before.built
    runs = {ph.name: r for ph, r, _ in before.rows}
    assert [ph.name for ph, _, _ in before.rows] == [p.name for p in S.PHASES]
    assert runs["neurons"] and runs["propagate"] and runs["record_spikes"]
    assert not runs["plasticity"] and not runs["sources"] and not runs["sample_state"]
    net.run(1.0)
    after = net.schedule_summary()
    assert after.built and [(p.name, r, d) for p, r, d in after.rows] == \
        [(p.name, r, d) for p, r, d in before.rows]
    text = str(after)
    assert "update_neurons" in text and "LEFT OUT" in text
    assert "collect_owned" in str(net.schedule_summary("cpu-owned"))
