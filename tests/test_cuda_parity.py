"""CUDA backend parity with the CPU backend: spikes exactly equal for deterministic inputs,
v, weights and other state (plasticity, neuromodulators included) within float tolerance.  Runs under Numba's CUDA simulator on every
machine (a subprocess with NUMBA_ENABLE_CUDASIM=1), and natively when a GPU is present."""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cuda_parity_cases import CASES, DURATION  # noqa: E402


def _run_cases(tmp_path, simulator: bool, workers: int = 1):
    """Run every case of cuda_parity_cases.py in ``workers`` concurrent subprocesses (the CUDA
    simulator interprets each kernel launch in Python: two processes use CI's two cores)."""
    env = dict(os.environ)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    else:
        env.pop("NUMBA_ENABLE_CUDASIM", None)
    names = sorted(CASES, key=lambda n: -DURATION[n])
    groups = [names[k::workers] for k in range(workers)]
    procs = []
    for k, group in enumerate(groups):
        out = tmp_path / f"{'sim' if simulator else 'gpu'}{k}.npz"
        procs.append((out, subprocess.Popen([sys.executable, os.path.join(HERE, "cuda_parity_cases.py"), str(out),
                                             *group], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True)))
    data = {}
    for out, proc in procs:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        data.update(np.load(out))
    return data


def _check(data, v_tol):
    names = sorted({k.split("/")[0] for k in data})
    # every case of cuda_parity_cases.py ran (none silently dropped)
    assert names == sorted(CASES), (names, sorted(CASES))
    for name in names:
        keys = sorted({k.split("/", 2)[2] for k in data if k.startswith(name + "/")})
        n_spikes = 0
        for key in keys:
            cpu = data[f"{name}/cpu/{key}"]
            gpu = data[f"{name}/cuda/{key}"]
            if key.endswith("_spikes"):
                np.testing.assert_array_equal(gpu, cpu, err_msg=f"{name}: {key}")
                n_spikes += cpu.shape[1]
            elif key.startswith(("plast_spk", "neurons_")):   # spike history (ascending) and flags
                np.testing.assert_array_equal(gpu, cpu, err_msg=f"{name}: {key}")
            else:
                assert gpu.shape == cpu.shape
                np.testing.assert_allclose(gpu, cpu, rtol=0, atol=v_tol, err_msg=f"{name}: {key}")
        assert n_spikes > 5, f"{name}: too few spikes for a meaningful comparison ({n_spikes})"


@pytest.mark.slow
def test_cuda_simulator_matches_cpu(tmp_path):
    pytest.importorskip("numba.cuda")
    _check(_run_cases(tmp_path, simulator=True, workers=2), v_tol=1e-9)


def _gpu_present():
    try:
        from numba import cuda
        return bool(cuda.is_available()) and not os.environ.get("NUMBA_ENABLE_CUDASIM")
    except Exception:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _gpu_present(), reason="no CUDA GPU on this machine (the simulator test covers parity)")
def test_native_gpu_matches_cpu(tmp_path):
    # native atomics change the summation order: allow float rounding differences in v
    _check(_run_cases(tmp_path, simulator=False), v_tol=1e-6)


_STORE_SNIPPET = r"""
import numpy as np
from numba import cuda
from neurosim.state import arrays as A
from neurosim.kernels.cuda.plasticity import _store, STORE_THREADS
rng = np.random.default_rng(5)
batch, nt, H = 3, 40, 4
counts = [3, STORE_THREADS, 29]          # rank sort, rank sort (full block), flags + prefix sum
lst = np.zeros((batch, nt), np.int64)
for b, n in enumerate(counts):
    lst[b, :n] = rng.permutation(nt)[:n]
z = lambda *s: np.zeros(s)
neu = A.NeuronState(v=z(batch, nt), w_adapt=z(batch, nt), last_spike=np.zeros((batch, nt), np.int64), i_bias=z(nt),
                    i_ext=z(batch, nt), g_decay=z(batch, 1), g_rise=z(batch, 1), ring=z(batch, 2, 1),
                    spiked=np.zeros((batch, nt), np.uint8), spike_list=lst, spike_count=np.array(counts, np.int64),
                    g_leak=z(nt), v_rest=z(nt), v_th=z(nt), v_reset=z(nt), ref_steps=np.zeros(nt, np.int64),
                    a_adapt=z(nt), b_adapt=z(nt), decay_w=z(nt), decay_m=z(nt), dt_c_m=z(nt), prop_d=z(1), prop_r=z(1),
                    v_t=z(nt), delta_t=z(nt), dt_tau_w=z(nt), theta=z(batch, nt), theta_plus=z(nt), decay_theta=z(nt))
d_neu = A.NeuronState(*[cuda.to_device(a) for a in neu])
spk = cuda.to_device(np.full((batch, H, nt), -7, np.int64))
spk_n = cuda.to_device(np.zeros((batch, H), np.int64))
_store[batch, STORE_THREADS](d_neu, spk, spk_n, 2)
spk, spk_n = spk.copy_to_host(), spk_n.copy_to_host()
for b, n in enumerate(counts):
    assert spk_n[b, 2] == n, (b, spk_n)
    assert np.array_equal(spk[b, 2, :n], np.sort(lst[b, :n])), (b, spk[b, 2])
    assert (spk[b, 2, n:] == -7).all() and (spk[b, [0, 1, 3]] == -7).all()
assert not d_neu.spiked.copy_to_host().any()
print("OK")
"""


@pytest.mark.slow
def test_cuda_spike_history_is_sorted_under_simulator():
    """The GPU's spike list is in atomic-append order; the plasticity phase stores it ascending
    (as the CPU does) by a rank sort or, for long lists, the spiked flags and a prefix sum."""
    pytest.importorskip("numba.cuda")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", _STORE_SNIPPET], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
