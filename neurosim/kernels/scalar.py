"""The scalar maths of the kernels, written once as plain Python and compiled by each backend.

Every function here is an ordinary Python function on scalars (and, for the schedule look-ups,
on the state's named tuples of arrays).  Nothing here imports Numba: each backend compiles the
whole set with :func:`compile_all`, the CPU with ``@kernel(inline="always")``
(kernels/cpu/maths.py) and CUDA with ``cuda.jit(device=True, inline=True)``
(kernels/cuda/maths.py), so a function that calls another one here calls that backend's compiled
twin.  The CPU and the GPU kernels therefore run the same operations in the same order; under
Numba's CUDA simulator the device functions run as this Python and match the CPU bit for bit.

``math`` rather than ``numpy`` functions: Numba lowers ``math.exp`` and ``np.exp`` (likewise
``log1p``, ``sqrt``, ``cos``, ``floor``) of a float64 to the same LLVM call on the CPU, and the
CUDA target and its simulator take ``math``.

Contents: the vectorisable exp (see kernels/cpu/fastexp.py), the counter-based generator and its
uniform and binomial draws, the Mg2+ block (Jahr & Stevens 1990), saturating NMDA gating
(Wang 2002), STDP weight updates with soft bounds (Gütig et al. 2003) and triplet amplitudes
(Pfister & Gerstner 2006), trace jumps, dopamine-gated eligibility (Izhikevich 2007),
modulator gains, the schedule-table look-ups of the inputs and the values state monitors sample.
"""
import math
import types

import numpy as np

from ..spec.receptors import MG_K, MG_VOLTAGE_SLOPE
from ..state.arrays import RULE_PAIR, VAR_V, VAR_W_ADAPT, VAR_G, VAR_THETA
from ..state.sources import RENEWAL_GAMMA

# ----------------------------------------------------------------------------- exp
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01   # high bits of ln 2 (the low 32 bits of its mantissa are 0)
LN2_LO = 1.90821492927058770002e-10   # ln 2 - LN2_HI
SHIFT = 6755399441055744.0            # 1.5 * 2**52: (y + SHIFT) - SHIFT rounds y half to even
X_MIN = -708.0
X_MAX = 709.0
C2 = 1.0 / 2.0
C3 = 1.0 / 6.0
C4 = 1.0 / 24.0
C5 = 1.0 / 120.0
C6 = 1.0 / 720.0
C7 = 1.0 / 5040.0
C8 = 1.0 / 40320.0
C9 = 1.0 / 362880.0
C10 = 1.0 / 3628800.0
C11 = 1.0 / 39916800.0
C12 = 1.0 / 479001600.0
C13 = 1.0 / 6227020800.0


def exp_poly(r):
    """exp(r) for |r| <= ln2/2: its Taylor series to degree 13 (truncation error < 4e-18
    relative) by Horner's rule.  The core of :func:`exp_scalar` and of the CPU's ``exp_block``."""
    p = C13
    p = p * r + C12
    p = p * r + C11
    p = p * r + C10
    p = p * r + C9
    p = p * r + C8
    p = p * r + C7
    p = p * r + C6
    p = p * r + C5
    p = p * r + C4
    p = p * r + C3
    p = p * r + C2
    p = p * r + 1.0
    return p * r + 1.0


def exp_scalar(x):
    """exp(x) in plain IEEE arithmetic: Cody-Waite reduction and a degree-13 Taylor polynomial
    (kernels/cpu/fastexp.py explains it; ``exp_block`` there is its vectorised form)."""
    if x != x:
        return x
    if x < X_MIN:
        return 0.0
    if x > X_MAX:
        return math.inf
    nf = (x * LOG2E + SHIFT) - SHIFT
    return math.ldexp(exp_poly((x - nf * LN2_HI) - nf * LN2_LO), int(nf))


# ----------------------------------------------------------------------------- random numbers
# Counter-based: every draw is a pure function of (key, stream, step, index), three rounds of the
# SplitMix64 finaliser (Steele, Lea & Flood 2014) over the counter words, so the same seed gives
# the same draws in any order, on any number of threads and on the GPU.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
INV53 = 1.0 / 9007199254740992.0      # 2**-53

STREAM_POISSON = 1 << 32              # + p: the Poisson population p
STREAM_DRIVE = 2 << 32                # + d: the Poisson drive d
STREAM_RENEWAL = 13 << 32             # + p: the renewal (gamma, dead-time) source population p
STREAM_NOISE = 14 << 32               # + c: the noise current c
STREAM_RELEASE = 15 << 32             # stochastic release (spec/release.py): index b * n_syn + synapse
DRAWS_PER_SOURCE = 1 << 16            # counter indices reserved per source and step (renewal draws)
BINOMIAL_NORMAL_MEAN = 100.0          # above this mean, binomial draws use the normal approximation


def mix64(z):
    """The SplitMix64 finaliser of a uint64 (Steele, Lea & Flood 2014)."""
    z = z + GOLDEN
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


def step_base(key, stream, step):
    """The part of a draw that depends on (key, stream, step) only; see :func:`uniform_at`."""
    x = mix64(np.uint64(key) ^ mix64(np.uint64(stream)))
    return mix64(x ^ np.uint64(step))


def uniform_at(base, index):
    """``uniform(key, stream, step, index)`` from ``base = step_base(key, stream, step)``."""
    x = mix64(base ^ np.uint64(index))
    return float(x >> S11) * INV53


def uniform(key, stream, step, index):
    """A float64 in [0, 1) for the counter (key, stream, step, index) (all integers >= 0)."""
    return uniform_at(step_base(key, stream, step), index)


def binomial_p0(n, p):
    """P(k = 0) = (1 - p)**n of Binomial(n, p), 0 < p < 1: the start of the CDF inversion in
    :func:`binomial_at` (the same for every draw with the same n and p)."""
    return math.exp(n * math.log1p(-p))


def binomial_at(base, index, n, p, p0):
    """Binomial(n, p) by CDF inversion of one counter-based uniform (exact); for a mean above
    100 a normal approximation from two uniforms (Box-Muller), rounded and clipped to [0, n].
    ``base = step_base(key, stream, step)``, ``p0 = binomial_p0(n, p)`` (ignored when p is 0 or 1):
    both are shared by the draws of one stream and step, so callers may compute them once."""
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    mean = n * p
    if mean > BINOMIAL_NORMAL_MEAN:
        u1 = uniform_at(base, 2 * index)
        u2 = uniform_at(base, 2 * index + 1)
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        k = int(math.floor(mean + z * math.sqrt(mean * (1.0 - p)) + 0.5))
        return min(max(k, 0), n)
    u = uniform_at(base, 2 * index)
    q = 1.0 - p
    f = p0
    cdf = f
    r = p / q
    k = 0
    while u > cdf and k < n:
        f *= r * (n - k) / (k + 1.0)
        k += 1
        cdf += f
    return k


def binomial(key, stream, step, index, n, p):
    """Binomial(n, p) for the counter (key, stream, step, index): :func:`binomial_at` with its
    shared parts computed here (``p0`` only where the inversion can use it)."""
    p0 = 0.0
    if 0.0 < p < 1.0 and n * p <= BINOMIAL_NORMAL_MEAN:
        p0 = binomial_p0(n, p)
    return binomial_at(step_base(key, stream, step), index, n, p, p0)


def normal_at(base, index):
    """A standard normal from the uniforms at ``index`` and ``index + 1`` (Box-Muller, cosine
    branch; 1 - u in (0, 1] keeps the logarithm finite)."""
    u1 = uniform_at(base, index)
    u2 = uniform_at(base, index + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def gamma_at(base, index, shape):
    """Gamma(shape, 1) for any shape > 0 from the uniforms at ``index``, ``index + 1``, ...
    (Marsaglia & Tsang 2000, ACM TOMS 26:363: squeeze-free rejection from a cubed normal, 3
    uniforms a try, ~1.05 tries on average for shape >= 1; shape < 1 as Gamma(shape + 1) U^(1/shape)).
    Returns (value, next unused index)."""
    a = shape if shape >= 1.0 else shape + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    v = 1.0
    while True:
        x = normal_at(base, index)
        u = uniform_at(base, index + 2)
        index += 3
        v = 1.0 + c * x
        if v > 0.0:
            v = v * v * v
            if math.log(1.0 - u) < 0.5 * x * x + d - d * v + d * math.log(v):
                break
    g = d * v
    if shape < 1.0:
        g *= math.exp(math.log(1.0 - uniform_at(base, index)) / shape)
        index += 1
    return g, index


def renewal_isi(base, index, kind, shape, scale, dead):
    """One inter-event interval (steps) of a renewal source: Gamma(shape) * scale (kind
    RENEWAL_GAMMA, scale = 1/beta) or dead + Exp(mean scale) (dead time).  Returns (isi, next index)."""
    if kind == RENEWAL_GAMMA:
        g, index = gamma_at(base, index, shape)
        return g * scale, index
    return dead - scale * math.log(1.0 - uniform_at(base, index)), index + 1


def renewal_first(base, index, kind, shape, scale, dead):
    """The time (steps) from the start to the first event of a stationary renewal source: the
    equilibrium forward-recurrence time, density (1 - F(x)) / mean ISI: U * Gamma(shape + 1) * scale
    for the gamma process; for dead + Exp(scale), uniform on [0, dead) with probability
    dead / (dead + scale), else dead + Exp(scale).  Returns (time, next index)."""
    if kind == RENEWAL_GAMMA:
        g, index = gamma_at(base, index, shape + 1.0)
        return uniform_at(base, index) * g * scale, index + 1
    u = uniform_at(base, index)
    if u * (dead + scale) < dead:
        return uniform_at(base, index + 1) * dead, index + 2
    return dead - scale * math.log(1.0 - uniform_at(base, index + 1)), index + 2


def ac_value(offset, amplitude, omega, phase, step, dt):
    """``offset + amplitude sin(omega t + phase)`` at the start of step ``step`` (t = step*dt ms,
    omega rad/ms, phase rad): the sinusoidal current (pA) of that step."""
    return offset + amplitude * math.sin(omega * (step * dt) + phase)


# ----------------------------------------------------------------------------- receptors
# Mg2+ block of the NMDA receptor (Jahr & Stevens 1990): B(v) = 1 / (1 + [Mg2+]/MG_K exp(-MG_VOLTAGE_SLOPE v)),
# MG_K = 3.57 mM, MG_VOLTAGE_SLOPE = 0.062 per mV (defined with the receptor model, spec/receptors.py)


def mg_block_denominator(v, mg):
    """``1 / B(v)`` of the Mg2+ block (Jahr & Stevens 1990) at membrane potential ``v`` (mV) and
    [Mg2+] ``mg`` (mM): the conductance is divided by it."""
    return 1.0 + mg * (1.0 / MG_K) * exp_scalar(-MG_VOLTAGE_SLOPE * v)


def nmda_gating_step(s, x, alpha, k_decay, dt):
    """One step of the saturating NMDA gating ``ds/dt = -s k_decay + alpha x (1 - s)`` (Wang 2002)
    by exponential Euler with ``x`` frozen (exact for frozen ``x``): ``s_inf + (s - s_inf) exp(-dt rate)``,
    ``rate = k_decay + alpha x``, ``s_inf = alpha x / rate``."""
    ax = alpha * x
    rate = k_decay + ax
    s_inf = ax / rate
    return s_inf + (s - s_inf) * exp_scalar(-dt * rate)


# ----------------------------------------------------------------------------- plasticity
TINY = 1e-300   # eligibility below this is flushed to 0 (avoids denormal arithmetic)


def soft_bound(u, mu):
    """``u**mu`` for ``u`` > 0 (0 for ``u <= 0``): the soft-bound weight dependence of
    Gütig et al. (2003), ``u`` the weight's distance to the bound it moves towards."""
    if u <= 0.0:
        return 0.0
    if mu == 1.0:
        return u
    return u ** mu


def soft_bound_plus(w, w_min, w_max, mu):
    """Potentiation weight dependence ``(1 - u)**mu``, ``u = (w - w_min)/(w_max - w_min)``
    (Gütig et al. 2003; ``mu = 0`` additive, ``mu = 1`` multiplicative)."""
    if mu == 0.0:
        return 1.0
    return soft_bound((w_max - w) / (w_max - w_min), mu)


def soft_bound_minus(w, w_min, w_max, mu):
    """Depression weight dependence ``u**mu``, ``u = (w - w_min)/(w_max - w_min)`` (Gütig et al. 2003)."""
    if mu == 0.0:
        return 1.0
    return soft_bound((w - w_min) / (w_max - w_min), mu)


def clip(w, lo, hi):
    """``w`` clipped to [lo, hi]: the hard weight bounds."""
    if w < lo:
        return lo
    if w > hi:
        return hi
    return w


def potentiate(rule, w, x, amp, w_min, w_max, mu):
    """A post spike's update of a weight ``w`` seeing pre trace ``x``: pair STDP with the soft
    bound (Gütig et al. 2003) or triplet STDP (Pfister & Gerstner 2006, additive), clipped."""
    if rule == RULE_PAIR:
        w += amp * w_max * x * soft_bound_plus(w, w_min, w_max, mu)
        return clip(w, w_min, w_max)
    return clip(w + w_max * x * amp, w_min, w_max)


def depress(rule, w, y, amp, w_min, w_max, mu):
    """A pre spike's update of a weight ``w`` seeing post trace ``y`` (see :func:`potentiate`)."""
    if rule == RULE_PAIR:
        w -= amp * w_max * y * soft_bound_minus(w, w_min, w_max, mu)
        return clip(w, w_min, w_max)
    return clip(w - w_max * y * amp, w_min, w_max)


def triplet_amplitude(a2, a3, r, dec):
    """``A2 + A3 r`` of triplet STDP (Pfister & Gerstner 2006), ``r`` the slow trace of the
    spiking side just before its spike (``r`` one step back times its one-step decay ``dec``)."""
    return a2 + a3 * r * dec


def trace_jump(v, nearest):
    """A trace at a spike of its neuron: set to 1 (nearest-spike) or incremented (all-to-all)."""
    if nearest:
        return 1.0
    return v + 1.0


def dopamine_factor(w_max, conc, int_cd, base, int_c):
    """``w_max`` times the integral over one step of c(t) [DA](t) per unit of ``c`` (Izhikevich
    2007: dw/dt = c [DA], exact): ``int_cd`` for the phasic ``conc``, ``int_c`` for the tonic ``base``."""
    return w_max * (conc * int_cd + base * int_c)


def eligibility_decay(c, dec):
    """The eligibility ``c`` decayed by one step, flushed to 0 below ``TINY``."""
    c *= dec
    if -TINY < c < TINY:
        c = 0.0
    return c


def modulator_gain(k, base, conc):
    """The gain ``max(0, 1 + k [M])`` of a modulator effect, [M] = tonic ``base`` + phasic ``conc``."""
    f = 1.0 + k * (base + conc)
    if f < 0.0:
        f = 0.0
    return f


# ----------------------------------------------------------------------------- schedules
def advanced_pointer(tables, t, step):
    """Schedule ``t``'s pointer moved on to its last change point at or before ``step``."""
    ptr = tables.ptr[t]
    kn = tables.k_n[t]
    off = tables.k_off[t]
    while ptr + 1 < kn and tables.steps[off + ptr + 1] <= step:
        ptr += 1
    return ptr


def table_value(tables, t, b, j):
    """The current value of schedule ``t`` for trial ``b`` and column ``j`` (0 before its first change)."""
    k = tables.ptr[t]
    if k < 0:
        return 0.0
    nb = tables.nb[t]
    width = tables.width[t]
    row = b if nb > 1 else 0
    col = j if width > 1 else 0
    return tables.vals[tables.v_off[t] + (k * nb + row) * width + col]


# ----------------------------------------------------------------------------- state monitors
def sample_index(step, first, every):
    """Which sample of a monitor recording every ``every`` steps from step ``first`` falls at
    ``step``; -1 when none does."""
    if step < first or (step - first) % every != 0:
        return -1
    return (step - first) // every


def monitor_value(rec, chans, neurons, c, step):
    """The start-of-step value (after this step's arrivals) of monitor column ``c``.  A conductance
    includes this step's pending arrivals (they add equally to both components of a rise/decay
    receptor, so only a single-exponential one changes; an alpha receptor's ``g`` does not change:
    they enter its ``h``).  A delta receptor's value is the jump of ``v`` (mV) arriving this step."""
    var = rec.col_var[c]
    idx = rec.col_index[c]
    b = rec.col_trial[c]
    if var == VAR_V:
        return neurons.v[b, idx]
    if var == VAR_W_ADAPT:
        return neurons.w_adapt[b, idx]
    if var == VAR_THETA:
        return neurons.theta[b, idx]
    if var == VAR_G:
        ch = rec.col_chan[c]
        if chans.couple[ch] > 0.0:     # alpha: g itself (arrivals enter h, not g)
            return neurons.g_decay[b, idx]
        x = neurons.g_decay[b, idx] - neurons.g_rise[b, idx]
        if not chans.has_rise[ch]:
            x += neurons.ring[b, step % neurons.ring.shape[1], idx] * chans.norm[ch]
        return x
    return neurons.i_ext[b, idx]     # VAR_I_EXT


def expm1_ratio(c):
    """expm1(c)/c for c <= 0, 1 at c = 0."""
    if c > -1e-300:
        return 1.0
    return math.expm1(c) / c


def tm2_factors(h, tau_rec, tau_facil):
    """Two-state Tsodyks-Markram (NEST tsodyks2_synapse): the decay factors over the ``h`` ms since
    the synapse's previous spike, (exp(-h/tau_rec), exp(-h/tau_facil) or 0 without facilitation)."""
    return math.exp(-h / tau_rec), (math.exp(-h / tau_facil) if tau_facil > 0.0 else 0.0)


def tm2_spike(x, u, big_u, e_rec, d_fac):
    """(x, u) after a spike of a two-state synapse (NEST's order: x first, from the previous u);
    the spike transmits ``w x u`` of the new values."""
    return 1.0 + (x - x * u - 1.0) * e_rec, big_u + u * (1.0 - big_u) * d_fac


def tm3_factors(h, tau_psc, tau_rec, tau_facil):
    """Three-state Tsodyks, Uziel & Markram (2000) model: the exact propagators of (y, z = 1 - x - y,
    u) over ``h`` ms, (p_yy, p_xz, p_xy, p_uu); p_xy is written so that it stays exact when tau_psc
    is close to or equal to tau_rec."""
    p_yy = math.exp(-h / tau_psc)
    p_zz = math.exp(-h / tau_rec)
    p_xz = -math.expm1(-h / tau_rec)
    p_xy = -math.expm1(-h / tau_psc) - (h / tau_psc) * max(p_yy, p_zz) * expm1_ratio(
        -h * abs(1.0 / tau_psc - 1.0 / tau_rec))
    p_uu = math.exp(-h / tau_facil) if tau_facil > 0.0 else 0.0
    return p_yy, p_xz, p_xy, p_uu


def tm3_spike(x, y, u, big_u, p_yy, p_xz, p_xy, p_uu):
    """(x, y, u, delta) of a three-state synapse propagated by :func:`tm3_factors` and then hit by
    a spike: u += U (1 - u), delta = u x moves from x to y; the spike transmits ``w delta``."""
    z = 1.0 - x - y
    x = x + p_xy * y + p_xz * z
    y = y * p_yy
    u = u * p_uu
    u = u + big_u * (1.0 - u)
    delta = u * x
    return x - delta, y + delta, u, delta


FUNCTIONS = ("exp_poly", "exp_scalar", "mix64", "step_base", "uniform_at", "uniform", "binomial_p0", "binomial_at",
             "binomial", "mg_block_denominator", "nmda_gating_step", "soft_bound", "soft_bound_plus",
             "soft_bound_minus", "clip", "potentiate", "depress", "triplet_amplitude", "trace_jump",
             "dopamine_factor", "eligibility_decay", "modulator_gain", "advanced_pointer", "table_value",
             "sample_index", "monitor_value", "normal_at", "gamma_at", "renewal_isi", "renewal_first", "ac_value",
             "expm1_ratio", "tm2_factors", "tm2_spike", "tm3_factors", "tm3_spike")


def compile_all(wrap, special=None):
    """Every function of ``FUNCTIONS`` compiled by ``wrap`` (a decorator), as a namespace;
    ``special`` maps a name to the decorator to use for it instead.

    Each is a copy of the plain function whose global names resolve in a dictionary shared by the
    copies, where the other functions are their compiled copies: the compiled functions call each
    other, and each plain function is compiled once per backend."""
    special = special or {}
    scope = dict(globals())
    out = {}
    for name in FUNCTIONS:
        f = globals()[name]
        twin = types.FunctionType(f.__code__, scope, f.__name__, f.__defaults__, f.__closure__)
        twin.__qualname__ = f.__qualname__
        twin.__module__ = f.__module__
        twin.__doc__ = f.__doc__
        out[name] = scope[name] = special.get(name, wrap)(twin)
    return types.SimpleNamespace(**out)
