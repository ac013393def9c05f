"""CUDA backend parity with the CPU backend: spikes exactly equal for deterministic inputs,
v (and other state) within float tolerance.  Runs under Numba's CUDA simulator on every
machine (a subprocess with NUMBA_ENABLE_CUDASIM=1), and natively when a GPU is present."""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _run_cases(tmp_path, simulator: bool):
    out = tmp_path / ("sim.npz" if simulator else "gpu.npz")
    env = dict(os.environ)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    else:
        env.pop("NUMBA_ENABLE_CUDASIM", None)
    proc = subprocess.run([sys.executable, os.path.join(HERE, "cuda_parity_cases.py"), str(out)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(out))


def _check(data, v_tol):
    names = sorted({k.split("/")[0] for k in data})
    assert names == ["batch_inputs", "coba_nmda", "cuba"]
    for name in names:
        keys = sorted({k.split("/", 2)[2] for k in data if k.startswith(name + "/")})
        n_spikes = 0
        for key in keys:
            cpu = data[f"{name}/cpu/{key}"]
            gpu = data[f"{name}/cuda/{key}"]
            if key.endswith("_spikes"):
                np.testing.assert_array_equal(gpu, cpu, err_msg=f"{name}: {key}")
                n_spikes += cpu.shape[1]
            else:
                assert gpu.shape == cpu.shape
                np.testing.assert_allclose(gpu, cpu, rtol=0, atol=v_tol, err_msg=f"{name}: {key}")
        assert n_spikes > 5, f"{name}: too few spikes for a meaningful comparison ({n_spikes})"


@pytest.mark.slow
def test_cuda_simulator_matches_cpu(tmp_path):
    pytest.importorskip("numba.cuda")
    _check(_run_cases(tmp_path, simulator=True), v_tol=1e-9)


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
