"""The package's architecture, checked on the source (``ast``, nothing is imported):

* layering: a module never imports (at module level or inside a function) a module of a higher
  layer (:data:`LAYERS`);
* no import cycles between the top-level modules and packages of ``neurosim`` through
  module-level imports.  With the layering, an import inside a function can close a cycle only
  within one layer, as ``Result.save`` does with :mod:`neurosim.io` (which reads and writes
  Results) and ``modelhelp`` does with ``cli`` (plot kinds);
* no module over :data:`MAX_LINES` lines.
"""
from __future__ import annotations

import ast
import pathlib


PKG = pathlib.Path(__file__).resolve().parents[1] / "neurosim"
MAX_LINES = 500

#: Layer of each top-level module or package of neurosim (its name after ``neurosim.``; ``""``
#: is the package's own ``__init__``).  A module may import modules of its own layer or lower.
LAYERS = {
    # 0 base, usable by all: errors, unit conversion, version, atomic writes, Ctrl-C handling, logging
    "errors": 0, "units": 0, "_version": 0, "atomic": 0, "interrupts": 0, "logs": 0,
    # ... and the MPI world of a run under mpiexec (launcher environment, mpi4py loaded lazily)
    "parallel": 0,
    # 1 what a model is: neurons, receptors, connectors, inputs, plasticity, monitors (no arrays)
    "spec": 1,
    # 2 the simulation state: arrays laid out from a spec (build, connectivity, recording layout)
    "state": 2,
    # 3 the compiled per-step code that reads and writes the state
    "kernels": 3,
    # 4 CPU / CUDA backends that own a state and run kernels on it
    "backends": 4,
    # 5 what a run recorded and its files: the Result containers and their HDF5 reader/writer
    #   (they use nothing of the simulator; ``Result.save`` reaches io inside a function)
    "result": 5, "io": 5,
    # 6 running: the time loop, schedule, recorders, streaming, the memory check before a build
    "sim": 6, "memory": 6,
    # 7 the user-facing model object and its helpers
    "network": 7, "network_inputs": 7, "network_modulation": 7, "network_files": 7, "handles": 7, "callbacks": 7,
    "repr": 7,
    # 8 applications on top: the package namespace, CLI, plots, bridge to ANNs, data sets
    "": 8, "__main__": 8, "cli": 8, "cli_export": 8, "modelhelp": 8, "outputs": 8, "plots": 8, "bridge": 8,
    "baselines": 8, "data": 8, "learning": 8,
    # the PyNN backend: an adapter at the edge, on the public API and the layers below
    "pynn": 8,
    # NIR import/export: an adapter at the edge like pynn (nir imported inside functions)
    "nir": 8,
}



def _modules():
    """{dotted module name: path} of every module of the package."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = ("neurosim",) + path.relative_to(PKG).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _unit(module: str) -> str:
    """Top-level module or package of a dotted neurosim module name (``""`` for the package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(module: str, path: pathlib.Path):
    """(imported neurosim module, line, inside a function) of every import in a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(base + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                # ``from pkg import sub`` imports the module pkg.sub when there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in child.names]
            for t in targets:
                if t == "neurosim" or t.startswith("neurosim."):
                    found.append((t, child.lineno, in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


def test_every_module_has_a_layer():
    missing = sorted({_unit(m) for m in MODULES} - set(LAYERS))
    assert not missing, f"give these top-level modules of neurosim a layer in LAYERS: {missing}"
    stale = sorted(set(LAYERS) - {_unit(m) for m in MODULES})
    assert not stale, f"LAYERS names modules that no longer exist: {stale}"


def test_no_import_from_a_higher_layer():
    bad = []
    for module, path in MODULES.items():
        src = _unit(module)
        for target, line, in_function in imports(module, path):
            dst = _unit(target)
            if LAYERS.get(dst, 0) > LAYERS.get(src, 0):
                where = "inside a function" if in_function else "at module level"
                bad.append(f"{path.relative_to(PKG.parent)}:{line} imports {target} {where} "
                           f"(layer {LAYERS[src]} {src or 'neurosim'} -> layer {LAYERS[dst]} {dst or 'neurosim'})")
    assert not bad, "imports from a higher layer:\n" + "\n".join(dict.fromkeys(bad))


def _cycles(edges):
    """The strongly connected components with more than one node of a {node: set(nodes)} graph."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def test_no_module_level_import_cycles():
    edges, where = {}, {}
    for module, path in MODULES.items():
        src = _unit(module)
        for target, line, in_function in imports(module, path):
            dst = _unit(target)
            if not in_function and dst != src:
                edges.setdefault(src, set()).add(dst)
                where.setdefault((src, dst), f"{path.relative_to(PKG.parent)}:{line}")
    cycles = _cycles(edges)
    detail = [" <-> ".join(c) + ": " + ", ".join(f"{a}->{b} at {w}" for (a, b), w in sorted(where.items())
                                                 if a in c and b in c) for c in cycles]
    assert not cycles, "module-level import cycles between top-level modules:\n" + "\n".join(detail)


def _line_counts():
    return {str(p.relative_to(PKG)): len(p.read_text().splitlines()) for p in MODULES.values()}


def test_no_long_modules():
    counts = _line_counts()
    new = {k: n for k, n in counts.items() if n > MAX_LINES}
    assert not new, f"modules over {MAX_LINES} lines (split them): {new}"


def test_the_checks_see_violations():
    """The checks above find what they look for (guards against a scan that sees nothing)."""
    found = {(_unit(t), f) for t, _, f in imports("neurosim.network", MODULES["neurosim.network"])}
    assert ("spec", False) in found and ("sim", True) in found
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
