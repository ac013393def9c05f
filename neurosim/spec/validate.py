"""Parameter checks shared by the spec dataclasses.

Every check raises :class:`~neurosim.errors.SpecError` with the parameter name, the value
received, its unit and the allowed range, so that bad input is refused before a run.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import SpecError
from ..units import to_float


def number(name: str, value, unit: str = "") -> float:
    """Return ``value`` as a finite float or raise SpecError (a brian2 Quantity is converted
    into ``unit``, see :func:`neurosim.units.to_float`)."""
    value = to_float(value, name, unit)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise SpecError(f"{name} must be a number{_u(unit)}, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise SpecError(f"{name} must be finite{_u(unit)}, got {value!r}")
    return value


def positive(name: str, value, unit: str = "", hint: str = "") -> float:
    value = number(name, value, unit)
    if value <= 0:
        raise SpecError(f"{name} must be > 0{_u(unit)}, got {value!r}{hint}")
    return value


def non_negative(name: str, value, unit: str = "") -> float:
    value = number(name, value, unit)
    if value < 0:
        raise SpecError(f"{name} must be >= 0{_u(unit)}, got {value!r}")
    return value


def in_range(name: str, value, low: float, high: float, unit: str = "", hint: str = "") -> float:
    value = number(name, value, unit)
    if not (low <= value <= high):
        raise SpecError(f"{name} must be in [{low:g}, {high:g}]{_u(unit)}, got {value!r}{hint}")
    return value


def physiological(name: str, value, low: float, high: float, unit: str) -> float:
    """A finite number inside a broad physiological window; outside it the message
    suggests the likely unit mistake (for example volts given where mV are expected)."""
    value = number(name, value, unit)
    if not (low <= value <= high):
        hint = ""
        if unit == "mV" and abs(value) < 1 and value != 0:
            hint = f" (did you give volts? {value} V = {value * 1000:g} mV)"
        elif unit == "ms" and value < low and value > 0:
            hint = f" (did you give seconds? {value} s = {value * 1000:g} ms)"
        raise SpecError(f"{name} must be in [{low:g}, {high:g}] {unit}, got {value!r}{hint}")
    return value


def positive_int(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise SpecError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise SpecError(f"{name} must be a positive integer (>= 1), got {value!r}")
    return int(value)


def finite_array(name: str, value, shape=None, unit: str = "") -> np.ndarray:
    arr = np.asarray(to_float(value, name, unit), dtype=np.float64)
    if shape is not None and arr.shape != tuple(shape):
        raise SpecError(f"{name} must have shape {tuple(shape)}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} must contain only finite values{_u(unit)}, {first_bad(arr)}")
    return arr


def first_bad(arr) -> str:
    """'got nan at index (3,)' for the first non-finite entry of ``arr``."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 0:
        return f"got {float(arr)!r}"
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size == 0:
        return "all finite"
    idx = tuple(int(i) for i in bad[0])
    return f"got {arr[idx]!r} at index {idx if len(idx) != 1 else idx[0]}"


def _u(unit: str) -> str:
    return f" ({unit})" if unit else ""
