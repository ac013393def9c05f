"""Closed-loop callbacks (:meth:`Network.every`) and how a network spec records them.

A callback is Python code, not data, so it cannot be stored in a spec.  Instead
:meth:`Network.to_spec` records that it existed -- ``spec["callbacks"] = [{"name": ...,
"interval": ms}, ...]`` -- and :meth:`Network.from_spec` refuses such a spec unless each
callback is passed back by name, ``Network.from_spec(spec, callbacks={name: fn})``: rerunning
a closed-loop model without its loop (a reward schedule, a controller) would silently give a
different result.  A callback's name is the ``name`` given to :meth:`Network.every`, by
default the function's ``__qualname__`` (``"build.<locals>.deliver"`` for a nested function).
"""
from __future__ import annotations

from .errors import SpecError
from .spec.timegrid import period_steps


def callback_name(callback) -> str:
    """The default name of a callback: its ``__qualname__`` (or its type's, for an object)."""
    return getattr(callback, "__qualname__", None) or type(callback).__qualname__


def add_callback(net, interval: float, callback, name=None) -> str:
    """Register ``callback(net)`` to run every ``interval`` ms (see :meth:`Network.every`);
    returns its name.  Names are unique within a network."""
    steps = period_steps("every: interval", interval, net.dt)
    if not callable(callback):
        raise SpecError(f"every: callback must be callable, got {callback!r}")
    name = callback_name(callback) if name is None else name
    if not isinstance(name, str) or not name:
        raise SpecError(f"every: name must be a non-empty string, got {name!r}")
    if name in net._callback_names:
        raise SpecError(f"every: a callback named {name!r} is already registered; give this one another "
                        "name with every(interval, callback, name=...)")
    net._controllers.append([steps, callback])
    net._callback_names.append(name)
    return name


def callback_specs(net) -> list:
    """``[{"name": str, "interval": ms}, ...]``: the callbacks of ``net`` in registration order."""
    return [{"name": name, "interval": steps * net.dt}
            for name, (steps, _) in zip(net._callback_names, net._controllers)]


def attach_callbacks(net, recorded, given) -> None:
    """Give the network rebuilt from a spec the callbacks the spec records (``recorded``), taken
    by name from ``given`` (a dict name -> callable); every recorded name must be given and no
    other.  Raises SpecError naming the callbacks to pass back."""
    recorded = list(recorded or [])
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise SpecError(f"from_spec: callbacks must be a dict {{name: function}}, got {type(given).__name__}")
    names = [d["name"] for d in recorded]
    listing = ", ".join(f"{d['name']!r} (every {d['interval']:g} ms)" for d in recorded)
    missing = [n for n in names if n not in given]
    if missing:
        example = ", ".join(f"{n!r}: fn" for n in names)
        raise SpecError(f"from_spec: the network had {len(names)} callback(s) (net.every), which are code and not "
                        f"stored in the spec: {listing}; missing: {', '.join(map(repr, missing))}. Pass them back: "
                        f"Network.from_spec(spec, callbacks={{{example}}})")
    extra = [n for n in given if n not in names]
    if extra:
        raise SpecError(f"from_spec: callbacks {', '.join(map(repr, extra))} are not in the spec; it records "
                        f"{listing or 'no callbacks'}")
    for d in recorded:
        add_callback(net, d["interval"], given[d["name"]], d["name"])
