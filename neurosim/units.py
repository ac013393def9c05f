"""Unit constants in neurosim's internal units (the NEST/PyNN convention, as plain floats).

Internal units: time ms, voltage mV, conductance nS, capacitance pF, current pA,
rate Hz, concentration mM.  They are consistent: nS*mV = pA and pF*mV/ms = pA.

``20*ms`` and ``20.0`` mean the same thing; ``1*second`` is ``1000.0``.  Brian2
Quantities are converted at the API boundary with :func:`to_float`.
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
# resistance (MOhm = mV/nA)
Mohm = 1.0
# rate (Hz)
Hz = 1.0
kHz = 1000.0
# concentration (mM)
mM = 1.0
uM = 1e-3

_BRIAN_DIM_TO_SCALE = {
    # (brian2 dimension string) -> factor from SI to internal unit
    "s": 1e3,
    "V": 1e3,
    "S": 1e9,
    "F": 1e12,
    "A": 1e12,
    "Hz": 1.0,
    "Ohm": 1e-6,
    "m^-3 mol": 1.0,  # mol/m^3 == mM
    "mol m^-3": 1.0,
}


def to_float(value, name: str = "value"):
    """Convert a number, an array or a brian2 Quantity to neurosim's internal units.

    Plain numbers and arrays are returned unchanged (they are taken to be in the
    internal unit already).  A brian2 Quantity is converted from SI into ms, mV, nS,
    pF, pA, Hz or mM according to its dimensions.
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
    if key not in _BRIAN_DIM_TO_SCALE:
        raise SpecError(f"{name}: cannot convert a brian2 quantity with unit {key!r}; "
                        "allowed: time, voltage, conductance, capacitance, current, rate, concentration")
    arr = np.asarray(value) * _BRIAN_DIM_TO_SCALE[key]
    return float(arr) if arr.ndim == 0 else arr
