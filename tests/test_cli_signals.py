"""Ctrl-C and SIGTERM during ``neurosim run`` (issue 11): whenever the signal comes, the command
either completes (exit 0, the complete new file) or stops with exit 130 (SIGINT) / 143 (SIGTERM),
the older file at ``--out`` byte for byte as it was and no temporary file left -- also when the
``KeyboardInterrupt`` was swallowed by a callback (``Exception ignored in ...``)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim import cli

REPO = Path(__file__).resolve().parents[1]
COBA = str(REPO / "models" / "coba.py")
RUN = ["run", COBA, "--set", "n=400", "--no-plot"]
STOPPED = {signal.SIGINT: (130, -signal.SIGINT), signal.SIGTERM: (143, -signal.SIGTERM)}


def _leftovers(d):
    return sorted(n for n in os.listdir(d) if n.endswith(".tmp") or ".tmp." in n)


def _start(d, *args):
    """``neurosim run ...`` through the console script, as a user runs it.  (A signal that comes
    while Python still imports neurosim, before the handlers are installed, kills the process:
    return code -2 or -15, which a shell shows as 130 or 143.)"""
    exe = Path(sys.executable).with_name("neurosim")
    return subprocess.Popen([str(exe), *RUN, *args], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, MPLBACKEND="Agg"), preexec_fn=_default_sigint)


def _default_sigint():
    """As in a terminal: a test run in the background (SIGINT ignored) would pass that on, and
    neurosim keeps a signal ignored by its parent ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_signals_at_any_time_leave_the_old_file_or_a_complete_new_one(tmp_path):
    """SIGINT and SIGTERM sent at delays spread over a whole run (imports, build, the run, the
    final write and rename, exit), more densely near its end.  The first delay, 0.3 s, is past
    Python's own start-up (about 0.1 s here): a Ctrl-C while Python runs ``site`` ends it with
    status 1 before any neurosim code runs."""
    d = tmp_path
    old = _start(d, "--duration", "50", "--out", "x.h5")       # also compiles the kernels when cold
    assert old.wait(timeout=600) == 0, old.stderr.read()
    t0 = time.perf_counter()
    ref = _start(d, "--duration", "10000", "--out", "ref.h5")
    assert ref.wait(timeout=600) == 0, ref.stderr.read()
    t_full = time.perf_counter() - t0
    expected = ns.load(d / "ref.h5")
    n_expected = {p: s.times.size for p, s in expected.spikes.items()}
    old_bytes = (d / "x.h5").read_bytes()

    delays = list(np.linspace(0.3, t_full * 0.7, 6)) + list(np.linspace(t_full * 0.72, t_full * 1.05, 10))
    outcomes = []
    for k, delay in enumerate(delays):
        sig = (signal.SIGINT, signal.SIGTERM)[k % 2]
        proc = _start(d, "--duration", "10000", "--out", "x.h5")
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=600)
        rc = proc.returncode
        where = f"{sig.name} after {delay:.2f} s of {t_full:.2f} s: exit {rc}, stderr {err[-500:]!r}"
        assert _leftovers(d) == [], where
        if rc == 0:
            new = ns.load(d / "x.h5")
            assert new.meta["duration"] == 10000.0, where
            assert {p: s.times.size for p, s in new.spikes.items()} == n_expected, where
            old_bytes = (d / "x.h5").read_bytes()            # the file to keep from now on
        else:
            assert rc in STOPPED[sig], where
            assert (d / "x.h5").read_bytes() == old_bytes, where
        outcomes.append((sig, rc))
        print(f"{sig.name:7s} at {delay:5.2f} s of {t_full:.2f} s -> exit {rc}")
    # both handlers were exercised (a run is long enough to be stopped after start-up)
    assert (signal.SIGINT, 130) in outcomes and (signal.SIGTERM, 143) in outcomes, outcomes


class _Swallowed:
    """Delivers SIGINT from inside ``__del__``: Python reports it to ``sys.unraisablehook``
    ("Exception ignored in ...") and the KeyboardInterrupt is lost, as when Ctrl-C lands in a
    weakref or ctypes callback (Numba's compiler runs such callbacks)."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


@pytest.mark.parametrize("where", ["during the run", "after the run"])
def test_a_swallowed_interrupt_still_stops_the_run(tmp_path, monkeypatch, capsys, where):
    out = tmp_path / "x.h5"
    out.write_bytes(b"an older result")
    ignored = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: ignored.append(u.exc_type))
    if where == "during the run":               # inside the run, before a chunk of spikes is written
        from neurosim.sim.streaming import SpikeStreamer
        owner, name = SpikeStreamer, "add_chunk"
    else:                                       # between the run and the saving of its result
        owner, name = cli, "run_model"
    real = getattr(owner, name)

    def swallow_then_call(*args, **kwargs):
        _Swallowed()                            # collected at once: its __del__'s KeyboardInterrupt is lost
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, name, swallow_then_call)
    handler = signal.getsignal(signal.SIGINT)
    rc = cli.main([*RUN, "--duration", "200", "--out", str(out)])
    err = capsys.readouterr().err
    assert KeyboardInterrupt in ignored                     # it was swallowed...
    assert rc == 130, err                                   # ...and still honoured
    assert err.strip().splitlines()[-1] == "error: interrupted"
    assert out.read_bytes() == b"an older result"
    assert _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is handler       # the handlers are restored


def test_handlers_keep_ignored_signals_and_can_outlive_a_finished_command():
    from neurosim import interrupts
    before = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)              # as under nohup
        with interrupts.handled():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) is not before[signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is before[signal.SIGINT]
        with interrupts.handled(ignore_after_finish=True):         # the console script, result in place
            interrupts.finished()
            signal.raise_signal(signal.SIGINT)                      # recorded, not raised
            assert interrupts.requested() == signal.SIGINT
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN    # ignored while the process exits
        assert interrupts.requested() is None                       # nothing carries over
    finally:
        for s, h in before.items():
            signal.signal(s, h)
