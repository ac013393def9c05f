"""A PyNN script with Tsodyks-Markram synapses (PyNN's TsodyksMarkramSynapse: the three-state model of
Tsodyks, Uziel & Markram 2000 whose tau_psc is the target's synaptic time constant), a depressing
and a facilitating one onto two IF_curr_exp cells held below threshold; returns the membrane
traces (run by tests/test_pynn_models_nest.py through neurosim.pynn and, in a fresh process, pyNN.nest)."""
import importlib

import numpy as np


def run(backend: str) -> np.ndarray:
    sim = importlib.import_module(backend)
    sim.setup(timestep=0.1, min_delay=0.1, **({"spike_precision": "on_grid"} if "nest" in backend else {}))
    times = [float(t) for t in np.round(np.arange(10.0, 200.0, 12.5), 1)] + [300.0]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(2, sim.IF_curr_exp(tau_syn_E=3.0, v_thresh=0.0))
    sim.Projection(src, cells[0:1], sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(U=0.5, tau_rec=200.0, tau_facil=0.0, weight=1.0, delay=1.0))
    sim.Projection(src, cells[1:2], sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(U=0.1, tau_rec=50.0, tau_facil=300.0, weight=1.0, delay=1.0))
    cells.record("v")
    sim.run(400.0)
    v = np.asarray(cells.get_data().segments[0].analogsignals[0], dtype=float)
    sim.end()
    return v
