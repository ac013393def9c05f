"""What a model script offers: its parameters (``neurosim run MODEL --help``) and its own
default figure (drawn by ``neurosim run``).

A model script's ``build`` docstring documents its parameters in a ``Parameters`` block, one
``name: description (unit)`` line each (several names may share a line, ``a, b: ...``; deeper
indented lines continue the previous one)::

    def build(seed=1, n=4000, w_e=6.0):
        \"\"\"The COBA network.

        Parameters
        ----------
        n: number of neurons
        w_e: excitatory weight (nS)
        \"\"\"

A script may also name its default figure: ``FIGURE = "weights"`` (any ``neurosim plot`` kind:
raster, rates, traces, weights, isi, cv) or a function ``figure(result) -> Figure``.
"""
from __future__ import annotations

import inspect
import os
import re

_LINE = re.compile(r"^(\s*)([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*:\s+(\S.*)$")


def parameter_docs(build) -> dict:
    """{parameter: description} parsed from the ``Parameters`` block of ``build``'s docstring
    (the whole docstring when it has no such block)."""
    doc = inspect.getdoc(build) or ""
    lines = doc.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == "Parameters":
            lines = [ln for ln in lines[k + 1:] if not set(ln.strip()) <= {"-"} or not ln.strip()]
            break
    out, last, indent = {}, None, 0
    for line in lines:
        m = _LINE.match(line)
        if m and (last is None or len(m.group(1)) <= indent):
            indent = len(m.group(1))
            last = [n.strip() for n in m.group(2).split(",")]
            for n in last:
                out[n] = m.group(3).strip()
        elif last is not None and line.strip() and len(line) - len(line.lstrip()) > indent:
            for n in last:
                out[n] += " " + line.strip()
        elif not line.strip():
            last = None
    return out


def _type_name(build, name, default) -> str:
    ann = inspect.signature(build).parameters.get(name)
    ann = None if ann is None or ann.annotation is inspect.Parameter.empty else ann.annotation
    if ann is not None:
        return ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return "optional" if default is None else type(default).__name__


def parameter_help(mod) -> str:
    """The parameter table of a loaded model script: name, type, default and the description
    (with its unit) from the ``build`` docstring; then the default duration."""
    docs = parameter_docs(mod.build)
    name = os.path.basename(getattr(mod, "__neurosim_path__", mod.__name__))
    rows = [(k, _type_name(mod.build, k, v), repr(v) if isinstance(v, str) else str(v), docs.get(k, "(undocumented)"))
            for k, v in mod.DEFAULTS.items()]
    w = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in enumerate(("name", "type", "default"))]
    lines = [f"parameters of {name} (override with --set NAME=VALUE):",
             f"  {'name':<{w[0]}}  {'type':<{w[1]}}  {'default':<{w[2]}}  description"]
    lines += [f"  {a:<{w[0]}}  {b:<{w[1]}}  {c:<{w[2]}}  {d}" for a, b, c, d in rows]
    lines.append(f"default duration: {float(mod.DURATION):.10g} ms (--duration MS)")
    fig = getattr(mod, "FIGURE", None)
    if callable(getattr(mod, "figure", None)) or fig:
        what = "figure(result)" if callable(getattr(mod, "figure", None)) else f"FIGURE = {fig!r}"
        lines.append(f"figure: the script's {what} (neurosim run writes it as <out>.png, the raster as "
                     "<out>_raster.png)")
    return "\n".join(lines)


def model_figure(mod, result, path):
    """The model script's own figure of ``result`` (saved at ``path``), or None when the script
    names none: ``figure(result)`` is called, ``FIGURE = "<kind>"`` is drawn as
    ``neurosim plot <kind> path`` would.  A script's failing figure raises a NeurosimError."""
    from .errors import NeurosimError
    fn, kind = getattr(mod, "figure", None), getattr(mod, "FIGURE", None)
    name = os.path.basename(getattr(mod, "__neurosim_path__", mod.__name__))
    if callable(fn):
        try:
            fig = fn(result)
        except NeurosimError:
            raise
        except Exception as exc:
            if os.environ.get("NEUROSIM_TRACEBACK"):
                raise
            raise NeurosimError(f"model {name}: figure(result) failed: {type(exc).__name__}: {exc}") from exc
        if not hasattr(fig, "savefig"):
            raise NeurosimError(f"model {name}: figure(result) must return a matplotlib Figure, got "
                                f"{type(fig).__name__}")
        return fig
    if kind:
        from .cli import PLOT_KINDS, make_plot
        if kind not in PLOT_KINDS:
            raise NeurosimError(f"model {name}: FIGURE = {kind!r} is not a plot kind; choose from "
                                f"{', '.join(PLOT_KINDS)}")
        return make_plot(kind, path)
    return None
