"""Thread synchronisation for the multi-threaded chunk runner (kernels/cpu/chunk.py).

Numba has no atomics on the CPU, so the two used here are LLVM instructions emitted through
``numba.extending.intrinsic`` (sequentially consistent, so each is also a full memory fence on
every target): a fetch-and-add and a load, both on one int64 element of an array.

``barrier`` is a generation barrier for ``n_threads`` threads over a ``sync`` array of int64 (arrival counter and generation on separate cache lines): the last thread to
arrive resets the counter and advances the generation; the others spin until the generation
moves, and after ``sync[SYNC_SPIN_LIMIT]`` polls give their core away with ``sched_yield``
between polls, so that a thread descheduled by a busy machine is not starved by its spinning
partner.  Everything a thread wrote before the barrier is visible to every thread after it.

Thread 0 counts its waits that outlast the spin limit; more than ``sync[SYNC_SLOW_LIMIT]`` of them
within ``SLOW_WINDOW`` steps end the chunk early (chunk.py), and the backend then asks the OS
whether the threads were kept waiting for a core (backends/cpu.py).  The limits live in the sync
array (read-only while a chunk runs) so that the backend and the tests can set them.

Measured on this project's 2-core KVM machine (issue 16, COBA N=64000, 0.2 ms steps, nothing
else running): a poll takes ~0.3 ns, so the default 200000 polls are ~60 us.  Thread 0 waits that
long about 20 times a second without any other process wanting a core -- 60-110 us stalls every
~50 ms, a few of 1-2.5 ms a second, and now and then a burst of ten within 3 ms -- while its
partner's run-queue wait (Linux ``schedstat``) stays near zero: the stalls come from outside the
guest's scheduler, and a burst alone used to exceed the limit and send half the two-thread runs
to one thread.
"""
import sys

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .jit import kernel

SYNC_ARRIVED = 0     # threads arrived at the current barrier
SYNC_GENERATION = 8  # barriers completed (one cache line further)
SYNC_STOP = 16       # step at which thread 0 asks everyone to stop (-1: run on)
SYNC_SPIN_LIMIT = 17  # polls before a waiting thread yields its core, and before thread 0 counts a wait slow
SYNC_SLOW_LIMIT = 18  # slow waits within SLOW_WINDOW steps after which thread 0 ends the chunk
SYNC_SLOW = 24       # barriers of the current window (SLOW_WINDOW) at which thread 0 waited past SPIN_LIMIT
SYNC_COUNTS = 32     # per-thread spike counts, SYNC_STRIDE apart (one cache line each)
SYNC_STRIDE = 8
SPIN_LIMIT = 200000  # default of sync[SYNC_SPIN_LIMIT]: polls (~60 us here) before yielding the core
SLOW_LIMIT = 20      # default of sync[SYNC_SLOW_LIMIT] (backends/cpu.py)
SLOW_WINDOW = 256    # steps over which slow barriers are counted (thread 0 clears the count): a busy
                     # machine makes most steps slow, while on a quiet one the odd OS interruption
                     # (measured: ~0.5 % of barriers in a 0.2 ms step of COBA N=64000) must not add up
                     # over a long chunk to a false alarm
_HAS_SCHED_YIELD = sys.platform != "win32"


@intrinsic
def atomic_add(typingctx, arr, idx, val):
    """``arr[idx] += val`` atomically; returns the old value (int64 arrays)."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.intp, types.int64)

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")
    return sig, codegen


@intrinsic
def atomic_load(typingctx, arr, idx):
    """``arr[idx]`` read atomically (int64 arrays), never cached in a register."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.intp)

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        return builder.load_atomic(ptr, "seq_cst", 8)
    return sig, codegen


@intrinsic
def yield_cpu(typingctx):
    """``sched_yield()`` from the C library (POSIX); nothing where it does not exist."""
    sig = types.void()

    def codegen(context, builder, sig, args):
        if _HAS_SCHED_YIELD:
            fnty = ir.FunctionType(ir.IntType(32), [])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "sched_yield")
            builder.call(fn, [])
        return context.get_dummy_value()
    return sig, codegen


@kernel
def barrier(sync, n_threads, tid):
    """Wait until all ``n_threads`` threads have called ``barrier`` (no-op for one thread).
    Thread 0 counts the waits that outlast ``sync[SYNC_SPIN_LIMIT]`` polls in ``sync[SYNC_SLOW]``:
    on a machine with more busy threads than cores a descheduled partner costs a scheduler time
    slice per step, and the caller then goes on with one thread."""
    if n_threads <= 1:
        return
    gen = atomic_load(sync, SYNC_GENERATION)
    if atomic_add(sync, SYNC_ARRIVED, 1) == n_threads - 1:
        atomic_add(sync, SYNC_ARRIVED, -n_threads)
        atomic_add(sync, SYNC_GENERATION, 1)
    else:
        polls = 0
        spin_limit = sync[SYNC_SPIN_LIMIT]
        while atomic_load(sync, SYNC_GENERATION) == gen:
            polls += 1
            if polls > spin_limit:
                if polls == spin_limit + 1 and tid == 0:
                    sync[SYNC_SLOW] += 1
                yield_cpu()


def new_sync(n_threads, spin_limit=SPIN_LIMIT, slow_limit=SLOW_LIMIT):
    """A fresh ``sync`` array for ``n_threads`` threads (host side), with the spin limit (polls)
    and the slow-wait limit (waits per SLOW_WINDOW steps) the chunk is to use."""
    s = np.zeros(SYNC_COUNTS + SYNC_STRIDE * max(1, n_threads), np.int64)
    s[SYNC_STOP] = -1
    s[SYNC_SPIN_LIMIT] = spin_limit
    s[SYNC_SLOW_LIMIT] = slow_limit
    return s
