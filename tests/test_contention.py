"""The threaded CPU backend goes to one thread only under real oversubscription (issue 16, item 5).

Long waits at the barriers end a chunk early (kernels/cpu/sync.py); the backend then asks the OS
(Linux schedstat, backends/contention.py) whether its threads were kept waiting for a core.
These tests put the real OS in both situations: busy processes on every core, and none; with
long waits forced on a quiet machine, the threads must stay, and the spikes must not change.
"""
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from neurosim.backends.contention import oversubscribed, thread_cpu_and_wait_ns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_schedstat = pytest.mark.skipif(thread_cpu_and_wait_ns() is None,
                                     reason="the OS reports no per-thread run-queue wait (Linux schedstat)")


def _hogs(n):
    """``n`` processes that keep a core busy each, until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def _spin_thread_reading(seconds):
    """A fresh thread spins for ``seconds`` of wall time and reads its own schedstat."""
    out = []

    def spin():
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            pass
        out.append(thread_cpu_and_wait_ns())
    th = threading.Thread(target=spin)
    th.start()
    th.join()
    return out[0]


@needs_schedstat
def test_the_os_reports_a_thread_kept_from_its_core():
    """A busy thread alone gets a core (no run-queue wait to speak of); beside a busy process on
    every core and one more, it waits for a core a good part of the time."""
    quiet = _spin_thread_reading(0.3)
    assert not oversubscribed([quiet]), quiet
    hogs = _hogs((os.cpu_count() or 1) + 1)
    try:
        time.sleep(0.2)     # the hogs are running
        busy = _spin_thread_reading(0.6)
    finally:
        for h in hogs:
            h.kill()
    assert oversubscribed([busy]), busy
    assert busy[1] > 0.2 * (busy[0] + busy[1]), busy


def test_missing_readings_count_as_oversubscribed():
    """Where the OS does not say, long waits keep their old meaning (one thread)."""
    assert oversubscribed([None])
    assert oversubscribed([(10**9, 0), None])
    assert not oversubscribed([(10**9, 10**6)])             # 0.1 %
    assert oversubscribed([(10**9, 10**8)])                 # 9 %
    assert not oversubscribed([(10**6, 2 * 10**6)])         # 67 %, but 2 ms: one preemption, not a busy core


CHILD = textwrap.dedent('''
    import hashlib, importlib.util, json, sys
    import numpy as np
    spec = importlib.util.spec_from_file_location("coba", sys.argv[1] + "/models/coba.py")
    coba = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coba)
    net = coba.build(seed=3, n=16000, p=0.005)
    net.build()
    backend = net.simulation.backend
    if sys.argv[2] == "forced":         # every wait counts as long, 30 of them end a chunk
        backend.spin_limit, backend.slow_limit = 0, 30
    res = net.run(float(sys.argv[3]), progress=False)
    t = np.concatenate([res.spikes[p].times for p in ("exc", "inh")])
    i = np.concatenate([res.spikes[p].node_ids for p in ("exc", "inh")])
    print(json.dumps({"threaded": backend.threaded_chunks, "slow": backend.slow_chunks,
                      "contended": backend.contended_chunks, "went_solo": backend._solo_until > 0, "threads_min": res.meta["threads_min"],
                      "n_spikes": int(t.size), "spikes_hash": hashlib.sha256(t.tobytes() + i.tobytes()).hexdigest()}))
''')


def _child(mode, duration, threads=2):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    r = subprocess.run([sys.executable, "-c", CHILD, ROOT, mode, str(duration)], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@needs_schedstat
def test_long_waits_on_a_quiet_machine_keep_the_threads():
    """Every barrier wait forced to count as long: chunks end early again and again, the OS says
    nobody took the cores, so the backend never goes to one thread for contention (a last chunk of
    fewer than 20 steps still runs on one) -- and the spikes are those of one thread."""
    one = _child("plain", 300.0, threads=1)
    forced = _child("forced", 300.0)
    assert forced["slow"] >= 5, forced             # the early ends happened (and were checked)
    assert forced["contended"] == 0 and not forced["went_solo"], forced
    assert forced["n_spikes"] > 1000 and forced["spikes_hash"] == one["spikes_hash"], (forced, one)


@pytest.mark.slow
@needs_schedstat
def test_oversubscribed_threads_go_to_one_thread():
    """Two more busy processes than cores: the threads wait for cores, the OS says so, and the
    backend goes on with one thread (``threads_min`` 1); the spikes stay those of one thread."""
    one = _child("plain", 300.0, threads=1)
    hogs = _hogs((os.cpu_count() or 1) + 2)
    try:
        busy = _child("plain", 300.0)
    finally:
        for h in hogs:
            h.kill()
    assert busy["threaded"] >= 1 and busy["contended"] >= 1, busy
    assert busy["threads_min"] == 1 and busy["went_solo"], busy
    assert busy["spikes_hash"] == one["spikes_hash"], (busy, one)
