"""Unit constants in neurosim's internal units, and quantities of unit libraries -> float.

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

Quantities of the unit libraries brian2, ``quantities`` (python-quantities, used by Neo) and
``pint`` are converted at the API boundary with :func:`to_float`, into the unit the parameter
documents (neither library is imported until such a quantity arrives): ``rate=10*brian2.Hz`` gives 10.0 (Hz), ``r_m=40*brian2.Mohm`` 40.0 (MOhm),
``alpha=0.5/brian2.ms`` 0.5 (1/ms), ``tau_m=20*brian2.ms`` 20.0 (ms); a quantity whose
parameter names no such unit goes to the coherent unit of its dimensions (a frequency to 1/ms,
a resistance to GOhm), so ``to_float(q) == q / brian2.<unit> * units.<unit>`` for every constant
here.  The same holds for ``quantities`` (``delay=[2]*pq.s`` is 2000.0 ms) and ``pint``
(``rate=10*ureg.Hz`` is 10.0 Hz).  A quantity of the wrong dimension is a SpecError naming the
parameter and the unit it expects; a dimensionless quantity (``ms/s``) counts as its value.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple

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
# units that parameters document, as brian2 names them: (unit name, power)
_BRIAN2 = {"ms": ("ms", 1), "mV": ("mV", 1), "nS": ("nS", 1), "pF": ("pF", 1), "pA": ("pA", 1), "1/ms": ("ms", -1),
           "Hz": ("Hz", 1), "MOhm": ("Mohm", 1), "mM": ("mmolar", 1), "uM": ("umolar", 1), "1/uM": ("umolar", -1)}
# ... and as `quantities` and `pint` spell them (both parse these strings)
_SPELLING = {"ms": "ms", "mV": "mV", "nS": "nS", "pF": "pF", "pA": "pA", "1/ms": "1/ms", "Hz": "Hz",
             "MOhm": "megaohm", "mM": "mM", "uM": "uM", "1/uM": "1/uM"}
# the coherent unit of each dimension (a parameter that names no documented unit)
_COHERENT_SPELLING = ("ms", "mV", "nS", "pF", "pA", "1/ms", "mV/pA", "mM")
# unit texts of parameters that are pure numbers: a quantity must be dimensionless
DIMENSIONLESS = frozenset({"dimensionless", "1", "fraction of w_max", "degrees"})


def _si_unit(dim):
    import brian2
    for name in _COHERENT:
        if getattr(brian2, name).dim == dim:
            return name
    return None


def library(value):
    """Which unit library ``value`` is a quantity of: ``"brian2"``, ``"quantities"``, ``"pint"``
    or None (a plain number, array or anything else).  Duck-typed: imports neither library."""
    if getattr(value, "dim", None) is not None and hasattr(value, "has_same_dimensions"):
        return "brian2"
    if not hasattr(value, "dimensionality"):
        return None
    if hasattr(value, "rescale") and hasattr(value, "simplified"):
        return "quantities"
    if hasattr(value, "to") and hasattr(value, "magnitude") and hasattr(value, "units"):
        return "pint"
    return None


def has_quantity(seq) -> bool:
    """Whether a (nested) list or tuple holds a quantity; one pass over its element types."""
    types = {type(x) for x in seq}
    for t in types:
        if t in (list, tuple):
            if any(has_quantity(x) for x in seq if type(x) in (list, tuple)):
                return True
        elif library(next(x for x in seq if type(x) is t)) is not None:
            return True
    return False


def _targets(unit: str):
    """The documented units a parameter of unit text ``unit`` accepts (``"nS or pA"``: both), or
    None when it names none of them."""
    names = [u.strip() for u in unit.split(" or ")] if unit else []
    return names if names and all(n in _SPELLING for n in names) else None


def _spelled(value, lib) -> str:
    if lib == "quantities":
        return str(value.dimensionality)
    try:
        return f"{value.units:~}"
    except (TypeError, ValueError):   # a pint unit without a short symbol
        return str(value.units)


def _pure(unit: str) -> str:
    return "an angle in degrees or a dimensionless number" if unit == "degrees" else "a dimensionless number"


def _out(arr):
    arr = np.asarray(arr, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


_COHERENT_LABEL = {"second": "ms", "volt": "mV", "siemens": "nS", "farad": "pF", "amp": "pA", "hertz": "1/ms",
                   "ohm": "GOhm", "mmolar": "mM", "mV/pA": "GOhm"}
_NOT_CONVERTIBLE = ("allowed: time, voltage, conductance, capacitance, current, frequency, resistance, "
                    "concentration")


def _convert_foreign(value, lib, name, unit):
    """A `quantities` or `pint` quantity in ``unit``: (number or array, the unit it is in)."""
    from .errors import SpecError

    def conv(spelling):
        try:
            q = value.rescale(spelling) if lib == "quantities" else value.to(spelling)
        except Exception:   # noqa: BLE001  (each library raises its own dimensionality error)
            return None
        return _out(q.magnitude)

    got = _spelled(value, lib)
    if unit == "degrees" and any(a in got for a in ("deg", "rad", "turn", "arc")):   # an angle
        mag = conv("degree")
        if mag is not None:
            return mag, "degrees"
    mag = conv("dimensionless")
    if mag is not None:
        return mag, ""
    if unit in DIMENSIONLESS:
        raise SpecError(f"{name}: expected {_pure(unit)}, got a {lib} quantity in {got}")
    targets = _targets(unit)
    for t in (targets or _COHERENT_SPELLING):
        mag = conv(_SPELLING[t] if targets else t)
        if mag is not None:
            return mag, (t if targets else _COHERENT_LABEL.get(t, t))
    if targets:
        raise SpecError(f"{name}: expected a quantity in {unit}, got a {lib} quantity in {got}")
    raise SpecError(f"{name}: cannot convert a {lib} quantity in {got}; {_NOT_CONVERTIBLE}")


def _convert_brian2(value, name, unit):
    """A brian2 quantity in ``unit``: (number or array, the unit it is in)."""
    import brian2
    from .errors import SpecError
    dim = value.dim
    key = str(dim)
    if key in ("1", ""):
        return _out(np.asarray(value)), ""
    if unit in DIMENSIONLESS:
        raise SpecError(f"{name}: expected {_pure(unit)}, got a brian2 quantity in {key!r}")
    si = _si_unit(dim)
    targets = _targets(unit)
    for t in targets or ():
        uname, power = _BRIAN2[t]
        target = getattr(brian2, uname) ** power
        if brian2.have_same_dimensions(value, target):
            return _out(np.asarray(value / target)), t
    if targets:
        raise SpecError(f"{name}: expected a quantity in {unit}, got a brian2 quantity in {si or key} ({key!r})")
    if si is None:
        raise SpecError(f"{name}: cannot convert a brian2 quantity with unit {key!r}; {_NOT_CONVERTIBLE}")
    return _out(np.asarray(value) * _COHERENT[si]), _COHERENT_LABEL[si]


def convert(value: Any, name: str = "value", unit: str = "") -> Tuple[Any, Optional[str]]:
    """:func:`to_float` and the unit its result is in: ``unit`` (or the one of its alternatives
    the quantity matched), the coherent unit of the quantity's dimensions when ``unit`` names no
    documented unit, ``""`` for a dimensionless quantity, None for a value that was no quantity."""
    lib = library(value)
    if lib is None:
        if isinstance(value, numbers.Number):
            return float(value), None
        if isinstance(value, (list, tuple)) and value and has_quantity(value):
            parts = [convert(x, name, unit) for x in value]
            labels = {lab for _, lab in parts}
            if len(labels) > 1:
                from .errors import SpecError
                raise SpecError(f"{name}: mixes values in {sorted(str(x) for x in labels)}; give all of them in "
                                f"one unit{f' ({unit})' if unit else ''}")
            return _out([v for v, _ in parts]), labels.pop()
        return value, None
    if lib == "brian2":
        return _convert_brian2(value, name, unit)
    return _convert_foreign(value, lib, name, unit)


def to_float(value: Any, name: str = "value", unit: str = "") -> Any:
    """Convert a number, an array or a quantity (brian2, ``quantities``, ``pint``) to neurosim's units.

    Plain numbers become floats; arrays and anything else are returned unchanged (they are taken
    to be in the documented unit already).  A quantity is converted into ``unit`` when that is
    one of ms, mV, nS, pF, pA, 1/ms, Hz, MOhm, mM, uM, 1/uM or several of them joined by ``" or "``
    (``"nS or pA"``), and refused with a SpecError naming ``name`` and ``unit`` when its
    dimension differs; ``unit`` ``"dimensionless"`` takes only dimensionless quantities.  With
    any other ``unit`` a quantity goes to the coherent unit of its dimensions (ms, mV, nS, pF,
    pA, 1/ms, GOhm, mM).  A dimensionless quantity is its value.  A list or tuple holding
    quantities is converted element by element into an array.
    """
    return convert(value, name, unit)[0]


# a value in a coherent unit (first) -> the factor into a documented unit (second)
_RESCALE = {("ms", "ms"): 1.0, ("mV", "mV"): 1.0, ("nS", "nS"): 1.0, ("pF", "pF"): 1.0, ("pA", "pA"): 1.0,
            ("1/ms", "1/ms"): 1.0, ("1/ms", "Hz"): 1e3, ("GOhm", "MOhm"): 1e3, ("mM", "mM"): 1.0,
            ("mM", "uM"): 1e3, ("", "dimensionless"): 1.0}


def rescale_factor(have: str, name: str, unit: str) -> float:
    """The factor that takes numbers in the coherent unit ``have`` (a distribution's arguments
    given as quantities, see :func:`convert`) into the documented ``unit`` of parameter ``name``;
    a SpecError when the dimensions differ.  ``unit`` naming no documented unit: 1."""
    from .errors import SpecError
    if unit in DIMENSIONLESS:
        unit = "dimensionless"
    targets = ["dimensionless"] if unit == "dimensionless" else _targets(unit)
    if targets is None:
        return 1.0
    for t in targets:
        f = _RESCALE.get((have, t))
        if f is not None:
            return f
        if have == "" and t != "dimensionless":   # a dimensionless quantity: its value, as a plain number
            return 1.0
    raise SpecError(f"{name}: expected a quantity in {unit}, got a distribution of quantities in {have}")
