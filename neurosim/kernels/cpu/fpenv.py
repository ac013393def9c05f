"""The floating-point environment of the compiled time loop: subnormal numbers flushed to zero.

A quantity that decays exponentially and receives nothing (a receptor of a silent population,
the NMDA rise variable of a silent cell, a plasticity trace) falls below the smallest normal
double (2.2e-308) after ~709 time constants -- 3.5 s for a 5 ms receptor -- and then never
reaches 0: ``g * exp(-dt/tau)`` rounds back to the same subnormal.  Arithmetic on subnormals
is microcoded on x86 (about 100 cycles an operation), and one subnormal lane slows a whole
vector operation, so a silent 4000-neuron network ran 7.7 times slower after 8 s (measured:
72 ms -> 550 ms per simulated second).  ``run_chunk`` therefore sets the FTZ and DAZ bits of
the SSE control register (MXCSR) for the duration of a chunk, on each thread that runs one, and
restores the caller's value at the end: subnormal results and inputs become 0.  Only values
below 2.2e-308 (nS, mV, ...) change, so no spike does; numpy code outside the chunk keeps the
IEEE default.  On other architectures these functions do nothing (return 0).
"""
import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
FLUSH_SUBNORMALS = 0x8040   # MXCSR bits FTZ (15) and DAZ (6)


def _mxcsr(builder, name, slot):
    """Call the LLVM intrinsic ``name`` (stmxcsr or ldmxcsr) on the 32-bit stack slot ``slot``."""
    i8p = ir.IntType(8).as_pointer()
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p]), name)
    builder.call(fn, [builder.bitcast(slot, i8p)])


@intrinsic
def get_fp_control(typingctx):
    """The MXCSR register (x86), else 0."""
    sig = types.int64()

    def codegen(context, builder, sig, args):
        if not _X86:
            return context.get_constant(types.int64, 0)
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.zext(builder.load(slot), ir.IntType(64))
    return sig, codegen


@intrinsic
def set_fp_control(typingctx, value):
    """Load ``value`` into the MXCSR register (x86); nothing elsewhere."""
    if not (isinstance(value, types.Integer) and value.bitwidth == 64):
        return None
    sig = types.void(value)

    def codegen(context, builder, sig, args):
        if _X86:
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(builder.trunc(args[0], ir.IntType(32)), slot)
            _mxcsr(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()
    return sig, codegen
