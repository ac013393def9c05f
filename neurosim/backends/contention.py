"""Whether other processes hold the cores: the OS's answer, for the threaded CPU backend.

The chunk runner ends a chunk early when its thread 0 keeps waiting for the others at the
barriers (kernels/cpu/sync.py).  Long waits have two causes that look alike from inside the
kernel: a partner thread that is runnable but has no core (more busy threads than cores: each
wait then costs a scheduler time slice, and one thread is faster), and stalls that come from
outside the guest's scheduler (interrupts, the hypervisor: measured on this project's KVM machine,
tens of microseconds about twenty times a second, and now and then a burst), which one thread
would suffer as well.  Linux counts, per thread, the time spent runnable but waiting for a core
(``/proc/thread-self/schedstat``, second field, ns; Documentation/scheduler/sched-stats.rst), so
the backend asks it: only a run-queue wait of at least ``RUN_QUEUE_SHARE`` of the threads' time,
and of at least ``RUN_QUEUE_MIN_NS`` in all, is oversubscription.  Where the OS does not say (no such file), the long waits are taken to mean
oversubscription, as before.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

RUN_QUEUE_SHARE = 0.05   # share of the threads' time spent waiting for a core that counts as oversubscribed
RUN_QUEUE_MIN_NS = 5_000_000   # ... and at least this much in all (ns): on a quiet machine a thread is
                               # now and then kept off its core once, for up to ~1.2 ms (measured here);
                               # a chunk ended by 20 long waits on busy cores waits 20 time slices
_SCHEDSTAT = "/proc/thread-self/schedstat"


def change(start: Optional[Tuple[int, int]], end: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
    """``end - start`` of two :func:`thread_cpu_and_wait_ns` readings (``None`` if either is)."""
    if start is None or end is None:
        return None
    return end[0] - start[0], end[1] - start[1]


def thread_cpu_and_wait_ns() -> Optional[Tuple[int, int]]:
    """The calling thread's time on a core and time runnable but waiting for one, both in ns
    since the thread started (Linux schedstat); ``None`` where the OS does not report them."""
    try:
        with open(_SCHEDSTAT) as f:
            fields = f.read().split()
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def oversubscribed(readings: Sequence[Optional[Tuple[int, int]]]) -> bool:
    """Whether threads with these :func:`thread_cpu_and_wait_ns` readings (the change of each
    thread's reading over a chunk) were kept from their cores by other work: their run-queue wait
    is at least ``RUN_QUEUE_SHARE`` of their time on a core plus that wait, and at least
    ``RUN_QUEUE_MIN_NS``.  ``True`` when a reading is missing: where the OS does not say, long
    waits are read as oversubscription (the rule before the OS was asked), since one thread on a
    busy machine costs at most the threads' gain, while threads on a busy machine may cost a time
    slice per step."""
    if not readings or any(r is None for r in readings):
        return True
    on_cpu = sum(r[0] for r in readings)
    waiting = sum(r[1] for r in readings)
    total = on_cpu + waiting
    return waiting >= max(RUN_QUEUE_SHARE * total, RUN_QUEUE_MIN_NS)
