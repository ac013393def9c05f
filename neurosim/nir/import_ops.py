"""The linear NIR nodes (Affine, Linear, Scale, Flatten, Conv2d) as sparse matrices (numpy only).

A matrix is a :class:`Coo`: ``rows`` (output index), ``cols`` (input index), ``vals`` and its
shape; inputs and outputs are flattened in C order (NIR shapes carry no batch axis).  A chain of
linear nodes between two populations is composed into one matrix (:func:`compose`), which the
importer hands to :func:`neurosim.from_arrays` as explicit ``pre``/``post``/``w`` arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError


@dataclass
class Coo:
    """Sparse (n_out, n_in) matrix: entry ``k`` is ``vals[k]`` at (``rows[k]``, ``cols[k]``)."""
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_out: int
    n_in: int


def identity(n: int) -> Coo:
    i = np.arange(n, dtype=np.int64)
    return Coo(i, i.copy(), np.ones(n), n, n)


def dense(w: np.ndarray) -> Coo:
    """The Coo of a dense (n_out, n_in) matrix (every entry, zeros included)."""
    w = np.asarray(w, dtype=np.float64)
    r, c = np.indices(w.shape)
    return Coo(r.reshape(-1), c.reshape(-1), w.reshape(-1).copy(), w.shape[0], w.shape[1])


def diagonal(s: np.ndarray) -> Coo:
    s = np.asarray(s, dtype=np.float64).reshape(-1)
    c = identity(s.size)
    c.vals = s.copy()
    return c


def compose(b: Coo, a: Coo) -> Coo:
    """The product ``b @ a`` (first ``a``, then ``b``), duplicates summed."""
    if b.n_in != a.n_out:
        raise SpecError(f"cannot chain a ({a.n_out} x {a.n_in}) map into a ({b.n_out} x {b.n_in}) map")
    order = np.argsort(a.rows, kind="stable")
    a_rows, a_cols, a_vals = a.rows[order], a.cols[order], a.vals[order]
    counts = np.bincount(a_rows, minlength=a.n_out)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rep = counts[b.cols]
    total = int(rep.sum())
    ib = np.repeat(np.arange(b.rows.size), rep)
    offset = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
    ia = starts[b.cols][ib] + offset
    rows, cols = b.rows[ib], a_cols[ia]
    vals = b.vals[ib] * a_vals[ia]
    key = rows * np.int64(a.n_in) + cols
    uniq, inv = np.unique(key, return_inverse=True)
    summed = np.bincount(inv.reshape(-1), weights=vals, minlength=uniq.size)
    return Coo(uniq // a.n_in, uniq % a.n_in, summed, b.n_out, a.n_in)


def flatten_shape(shape: tuple, start_dim: int, end_dim: int, where: str) -> tuple:
    """Shape after NIR's Flatten(start_dim, end_dim) (dims of the shape without batch axis)."""
    nd = len(shape)
    if nd == 0:
        return shape
    s, e = int(start_dim), int(end_dim)
    s, e = s + nd if s < 0 else s, e + nd if e < 0 else e
    if not (0 <= s <= e < nd):
        raise SpecError(f"{where}: start_dim {start_dim} / end_dim {end_dim} do not fit an input of shape {shape}")
    return tuple(shape[:s]) + (int(np.prod(shape[s:e + 1])),) + tuple(shape[e + 1:])


def _pair(x, what: str, where: str) -> tuple:
    a = np.asarray(x).reshape(-1)
    if a.size == 1:
        a = np.repeat(a, 2)
    if a.size != 2:
        raise SpecError(f"{where}: {what} must be one integer or two, got {x!r}")
    return int(a[0]), int(a[1])


def conv2d_geometry(node, in_shape: tuple, where: str) -> dict:
    """Stride, dilation, padding (top, left) and the output shape of a NIR Conv2d on an input of
    shape (C_in, H, W).  ``padding="same"`` pads as PyTorch does: ``d (k - 1)`` in total, the
    smaller half before (stride 1 only)."""
    w = np.asarray(node.weight)
    if w.ndim != 4:
        raise SpecError(f"{where}: weight must have shape (C_out, C_in/groups, kH, kW), got {w.shape}")
    if len(in_shape) != 3:
        raise SpecError(f"{where}: the input must have shape (C, H, W), got {in_shape}")
    c_out, c_in_g, kh, kw = w.shape
    groups = int(node.groups)
    c_in, h, wd = in_shape
    if groups < 1 or c_out % groups or c_in != c_in_g * groups:
        raise SpecError(f"{where}: groups = {groups} does not fit C_out = {c_out}, C_in = {c_in} and weight "
                        f"shape {w.shape} (needs C_in = groups * weight.shape[1] and C_out % groups == 0)")
    stride = _pair(node.stride, "stride", where)
    dil = _pair(node.dilation, "dilation", where)
    if min(stride + dil) < 1:
        raise SpecError(f"{where}: stride and dilation must be >= 1, got {stride}, {dil}")
    pad = node.padding
    if isinstance(pad, (bytes, np.bytes_)):
        pad = pad.decode()
    if isinstance(pad, str):
        if pad == "valid":
            pad = (0, 0)
        elif pad == "same":
            if stride != (1, 1):
                raise SpecError(f"{where}: padding 'same' needs stride 1, got {stride}")
            pad = (dil[0] * (kh - 1) // 2, dil[1] * (kw - 1) // 2)
        else:
            raise SpecError(f"{where}: padding must be 'same', 'valid' or integers, got {pad!r}")
        same = node.padding in ("same", b"same")
    else:
        pad = _pair(pad, "padding", where)
        same = False
    if same:
        ho, wo = h, wd
    else:
        ho = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    if ho < 1 or wo < 1:
        raise SpecError(f"{where}: the kernel {kh}x{kw} does not fit the input {h}x{wd} (output {ho}x{wo})")
    return dict(stride=stride, dilation=dil, pad=pad, out_shape=(c_out, ho, wo), groups=groups)


def conv2d(node, in_shape: tuple, where: str) -> tuple:
    """(Coo, bias (n_out,), out_shape) of a NIR Conv2d on an input of shape (C_in, H, W): every
    (input pixel, output pixel) pair the kernel links, with its weight (cross-correlation, as
    ``torch.nn.functional.conv2d``)."""
    g = conv2d_geometry(node, in_shape, where)
    w = np.asarray(node.weight, dtype=np.float64)
    c_out, c_in_g, kh, kw = w.shape
    c_in, h, wd = in_shape
    _, ho, wo = g["out_shape"]
    (sy, sx), (dy, dx), (py, px) = g["stride"], g["dilation"], g["pad"]
    per_group = c_out // g["groups"]
    co = np.arange(c_out)[:, None, None, None]
    cl = np.arange(c_in_g)[None, :, None, None]
    oy = np.arange(ho)[None, None, :, None]
    ox = np.arange(wo)[None, None, None, :]
    ci = (co // per_group) * c_in_g + cl
    rows, cols, vals = [], [], []
    for ky in range(kh):
        for kx in range(kw):
            iy = oy * sy - py + ky * dy
            ix = ox * sx - px + kx * dx
            ok = np.broadcast_to((iy >= 0) & (iy < h) & (ix >= 0) & (ix < wd), (c_out, c_in_g, ho, wo))
            post = np.broadcast_to((co * ho + oy) * wo + ox, ok.shape)
            pre = np.broadcast_to((ci * h + iy) * wd + ix, ok.shape)
            val = np.broadcast_to(w[:, :, ky, kx][:, :, None, None], ok.shape)
            rows.append(post[ok]); cols.append(pre[ok]); vals.append(val[ok])
    m = Coo(np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64),
            np.concatenate(vals), c_out * ho * wo, c_in * h * wd)
    bias = getattr(node, "bias", None)
    b = np.zeros(c_out) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    if b.size == 1:
        b = np.full(c_out, float(b[0]))
    if b.size != c_out:
        raise SpecError(f"{where}: bias must have C_out = {c_out} values, got {b.size}")
    return m, np.repeat(b, ho * wo), g["out_shape"]
