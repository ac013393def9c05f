"""Unit constants in neurosim's internal units, and brian2 Quantity -> float.

Internal units (the NEST/PyNN convention, as plain floats): time ms, voltage mV, conductance
nS, capacitance pF, current pA, concentration mM.  They form a coherent system and every
constant below is the value of its unit in it, so products and quotients of constants need no
extra factors::

    nS * mV == pA        pF * mV / ms == pA      Mohm * pA == 1e-3 * mV     Mohm * nS == 1e-3
    1 / second == Hz     second * Hz == 1        ohm * siemens == 1         farad * ohm == second

The coherent unit of resistance is mV/pA = GOhm (``Gohm = 1.0``, ``Mohm = 1e-3``), that of
frequency 1/ms = kHz (``kHz = 1.0``, ``Hz = 1e-3``).  ``20*ms`` and ``20.0`` mean the same thing;
``1*second`` is ``1000.0``.

**Rates are plain numbers in Hz.**  The API's rate parameters (``Network.poisson`` and
``poisson_drive`` rates, ``data.poisson_rates``' ``max_rate``/``min_rate``, rates in results)
take and give plain Hz, the NEST/PyNN convention: write ``rate=10.0`` for 10 Hz, not
``rate=10*units.Hz`` (that is 0.01, i.e. 0.01 Hz).  A coherent frequency ``f`` computed from
these constants (in 1/ms) is passed as ``f / units.Hz``: ``(1 / (50*ms)) / Hz == 20.0``.
Likewise ``LIFCurr.r_m`` is a plain number in MOhm (``R / Mohm`` for a coherent resistance R).

brian2 Quantities are converted at the API boundary with :func:`to_float`, into the unit the
parameter documents: ``rate=10*brian2.Hz`` gives 10.0 (Hz), ``r_m=40*brian2.Mohm`` 40.0 (MOhm),
``alpha=0.5/brian2.ms`` 0.5 (1/ms), ``tau_m=20*brian2.ms`` 20.0 (ms); a quantity whose
parameter names no such unit goes to the coherent unit of its dimensions (a frequency to 1/ms,
a resistance to GOhm), so ``to_float(q) == q / brian2.<unit> * units.<unit>`` for every constant
here.
"""
from __future__ import annotations

import numbers

import numpy as np

# time (ms)
ms = 1.0
msecond = ms
us = 1e-3
second = 1000.0
# voltage (mV)
mV = 1.0
volt = 1000.0
uV = 1e-3
# conductance (nS)
nS = 1.0
pS = 1e-3
uS = 1000.0
siemens = 1e9
# capacitance (pF)
pF = 1.0
nF = 1000.0
farad = 1e12
# current (pA)
pA = 1.0
nA = 1000.0
amp = 1e12
# resistance (mV/pA = GOhm)
ohm = 1e-9
kohm = 1e-6
Mohm = 1e-3
Gohm = 1.0
# frequency (1/ms = kHz); the API's rate parameters are plain Hz (see above)
Hz = 1e-3
kHz = 1.0
# concentration (mM)
mM = 1.0
uM = 1e-3

# brian2 SI unit -> its value in the coherent internal units
_COHERENT = {"second": second, "volt": volt, "siemens": siemens, "farad": farad, "amp": amp,
             "hertz": Hz, "ohm": ohm, "mmolar": mM}
# units that parameters document -> (brian2 SI unit of the dimension, value of that SI unit in it)
_DOCUMENTED = {"ms": ("second", 1e3), "mV": ("volt", 1e3), "nS": ("siemens", 1e9), "pF": ("farad", 1e12),
               "pA": ("amp", 1e12), "1/ms": ("hertz", 1e-3), "Hz": ("hertz", 1.0), "MOhm": ("ohm", 1e-6),
               "mM": ("mmolar", 1.0), "uM": ("mmolar", 1e3)}


def _si_unit(dim):
    import brian2
    for name in _COHERENT:
        if getattr(brian2, name).dim == dim:
            return name
    return None


def to_float(value, name: str = "value", unit: str = ""):
    """Convert a number, an array or a brian2 Quantity to neurosim's units.

    Plain numbers and arrays are returned unchanged (they are taken to be in the documented
    unit already).  A brian2 Quantity is converted into ``unit`` when that is one of ms, mV, nS,
    pF, pA, 1/ms, Hz, MOhm, mM, uM (a quantity of other dimensions is refused), else into the
    coherent unit of its dimensions (ms, mV, nS, pF, pA, 1/ms, GOhm, mM).
    """
    dim = getattr(value, "dim", None)
    if dim is None:
        if isinstance(value, numbers.Number):
            return float(value)
        return value
    from .errors import SpecError

    key = str(dim)
    if key in ("1", ""):
        return float(np.asarray(value)) if np.ndim(value) == 0 else np.asarray(value, dtype=float)
    si = _si_unit(dim)
    if si is None:
        raise SpecError(f"{name}: cannot convert a brian2 quantity with unit {key!r}; "
                        "allowed: time, voltage, conductance, capacitance, current, frequency, resistance, "
                        "concentration")
    want = _DOCUMENTED.get(unit)
    if want is not None and want[0] != si:
        raise SpecError(f"{name}: expected a quantity in {unit}, got a brian2 quantity in {si} ({key!r})")
    arr = np.asarray(value) * (want[1] if want is not None else _COHERENT[si])
    return float(arr) if arr.ndim == 0 else arr
