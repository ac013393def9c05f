"""Lays out Tsodyks-Markram short-term plasticity (spec/short_term.py) as
:class:`~neurosim.state.arrays.ShortTerm`; called by :func:`~neurosim.state.build.build_state`.

Each receptor block of a projection with ``short_term`` gets its own state columns (a
``"glutamate"`` projection: one copy for AMPA, one for NMDA; with ``states=3`` and ``tau_psc``
None each takes its receptor's ``tau_decay``), initialised to the rule's ``u0``, ``x0`` (``y0``) in
every trial."""
from __future__ import annotations

import numpy as np

from . import arrays as A


def build_short_term(net, layout, n_proj, batch, dt) -> A.ShortTerm:
    proj_row = np.full(n_proj, -1, np.int64)
    rows = []   # (states, syn_off, col_off, n, U, tau_rec, tau_facil, tau_psc, u0, x0, y0)
    n_col = 0
    for q in net.projections:
        rule = getattr(q, "short_term", None)
        if rule is None:
            continue
        for rec, off, n_syn, blk, _pre in layout.proj_blocks[q.index]:
            proj_row[blk] = len(rows)
            rows.append((rule.states, off, n_col, n_syn, rule.U, rule.tau_rec, rule.tau_facil,
                         rule.psc_time(rec) if rule.states == 3 else 0.0, rule.initial_u, rule.x0, rule.y0))
            n_col += n_syn
    i64 = lambda k: np.asarray([r[k] for r in rows], np.int64)  # noqa: E731
    f64 = lambda k: np.asarray([r[k] for r in rows], np.float64)  # noqa: E731
    u = np.zeros((batch, n_col))
    x = np.zeros((batch, n_col))
    any3 = any(r[0] == 3 for r in rows)
    y = np.zeros((batch, n_col if any3 else 0))
    last = np.zeros((batch, n_col), np.int64)
    for states, _off, c0, n, *_, u0, x0, y0 in rows:
        u[:, c0:c0 + n] = u0
        x[:, c0:c0 + n] = x0
        if states == 3:
            y[:, c0:c0 + n] = y0
        else:
            last[:, c0:c0 + n] = -1   # no previous spike: the first one transmits w u0 x0
    return A.ShortTerm(proj_row=proj_row, states=i64(0), syn_off=i64(1), col_off=i64(2), U=f64(4), tau_rec=f64(5),
                       tau_facil=f64(6), tau_psc=f64(7), dt=np.asarray([dt], np.float64), u=u, x=x, y=y, last=last)
