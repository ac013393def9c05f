"""Turn images into inputs for a spiking network: Poisson rates (Hz) or constant currents (pA).

Intensities are first brought to [0, 1] (:func:`to_unit_interval`: uint8 images are divided by
255), flattened to ``(n_images, n_pixels)``, and then mapped linearly::

    rate    = min_rate    + intensity * (max_rate - min_rate)            [Hz]
    current = min_current + intensity * (max_current - min_current)      [pA]

The rates feed Poisson sources (a source fires in a step ``dt`` with probability
``rate * dt``, ``dt`` in ms so the step probability is ``rate * dt / 1000``); the currents feed
current injections.  The results have shape ``(n_images, n_pixels)``, which is the
``(batch, n)`` layout of a batch of trials, one image per trial.

This module imports no simulator code (see DESIGN.md).
"""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from .. import units as u

__all__ = ["to_unit_interval", "poisson_rates", "constant_currents", "spike_probability"]


def to_unit_interval(images) -> np.ndarray:
    """Return float64 intensities in [0, 1], flattened to ``(n_images, n_pixels)``.

    ``images`` is ``(n, h, w)``, ``(n, n_pixels)`` or one flat image ``(n_pixels,)`` (which
    becomes ``(1, n_pixels)``); pass a single ``(h, w)`` image as ``img[None]``.  uint8 input is divided by 255; float input must already lie in [0, 1]
    (a SpecError says so otherwise, for example when 0..255 floats are passed).
    """
    a = np.asarray(images)
    if a.ndim == 0:
        raise SpecError("images: expected an array of images, got a scalar")
    if a.ndim == 1:
        a = a[None, :]
    a = a.reshape(a.shape[0], -1)
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if a.dtype.kind not in "fiub":
        raise SpecError(f"images: expected a numeric array, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.size and (np.nanmin(a) < 0.0 or np.nanmax(a) > 1.0):
        raise SpecError(
            f"images: intensities must lie in [0, 1] (got {np.nanmin(a):g}..{np.nanmax(a):g}); "
            f"pass uint8 images or divide 0..255 values by 255")
    if np.isnan(a).any():
        raise SpecError("images: contains NaN")
    return a


def _check_range(name: str, lo: float, hi: float, unit: str, limit: float) -> None:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise SpecError(f"{name}: must be finite, got {lo}..{hi} {unit}")
    if lo < 0 and unit == "Hz":
        raise SpecError(f"min_rate: must be >= 0 Hz, got {lo} Hz")
    if hi < lo:
        raise SpecError(f"{name}: max ({hi} {unit}) must be >= min ({lo} {unit})")
    if max(abs(lo), abs(hi)) > limit:
        raise SpecError(
            f"{name}: {max(abs(lo), abs(hi)):g} {unit} is far outside the physiological range "
            f"(|value| <= {limit:g} {unit}); values are plain numbers in {unit}, e.g. "
            + ("max_rate=100.0 for 100 Hz (not 100*units.Hz, which is 0.1: neurosim.units is per ms)"
               if unit == "Hz" else f"500.0 for 500 {unit}"))


def poisson_rates(images, max_rate: float = 100.0, min_rate: float = 0.0) -> np.ndarray:
    """Poisson firing rates in Hz, linear in pixel intensity.

    Rates are plain numbers in Hz (``max_rate=100.0``), not multiples of ``units.Hz``, which is
    coherent with ms (``100*units.Hz == 0.1``; see :mod:`neurosim.units`).

    Parameters
    ----------
    images : array
        uint8 (0..255) or float in [0, 1]; ``(n, h, w)`` or ``(n, n_pixels)``.
    max_rate : float, Hz
        Rate of a white pixel (intensity 1). Default 100 Hz; must be <= 1000 Hz.
    min_rate : float, Hz
        Rate of a black pixel (intensity 0). Default 0 Hz.

    Returns
    -------
    float64 array ``(n, n_pixels)`` of rates in Hz.
    """
    min_rate = float(u.to_float(min_rate, "poisson_rates: min_rate", "Hz"))
    max_rate = float(u.to_float(max_rate, "poisson_rates: max_rate", "Hz"))
    _check_range("poisson_rates", min_rate, max_rate, "Hz", 1000.0)
    x = to_unit_interval(images)
    return min_rate + x * (max_rate - min_rate)


def spike_probability(rates, dt: float) -> np.ndarray:
    """Probability that a Poisson source at ``rates`` (Hz) fires in one step of ``dt`` ms.

    ``1 - exp(-rate*dt)``, which is ``rate*dt/1000`` for small values.
    """
    r = np.asarray(u.to_float(rates, "spike_probability: rates", "Hz"), dtype=np.float64)
    dt = u.to_float(dt, "spike_probability: dt", "ms")
    if dt <= 0:
        raise SpecError(f"dt: must be > 0 ms, got {dt}")
    return -np.expm1(-r * (dt / u.second))


def constant_currents(images, max_current: float = 500.0 * u.pA,
                      min_current: float = 0.0 * u.pA) -> np.ndarray:
    """Constant input currents in pA, linear in pixel intensity.

    Parameters
    ----------
    images : array
        uint8 (0..255) or float in [0, 1]; ``(n, h, w)`` or ``(n, n_pixels)``.
    max_current : float, pA
        Current for a white pixel (intensity 1). Default 500 pA; |value| <= 100 nA.
    min_current : float, pA
        Current for a black pixel (intensity 0). Default 0 pA (may be negative).

    Returns
    -------
    float64 array ``(n, n_pixels)`` of currents in pA.
    """
    min_current = float(u.to_float(min_current, "constant_currents: min_current", "pA"))
    max_current = float(u.to_float(max_current, "constant_currents: max_current", "pA"))
    _check_range("constant_currents", min_current, max_current, "pA", 100.0 * u.nA)
    x = to_unit_interval(images)
    return min_current + x * (max_current - min_current)
