"""A PyNN script with composed point neurons (PyNN's PointNeuron: a LIF neuron with three named
current-based exponential receptors of different time constants), driven through each receptor
by its own SpikeSourceArray, below threshold and then firing; returns the membrane traces, the
receptors' currents and the spikes (run by tests/test_pynn_models_nest.py through
neurosim.pynn and, in a fresh process, pyNN.nest: NEST's iaf_psc_exp_multisynapse)."""
import importlib

import numpy as np


def run(backend: str) -> dict:
    sim = importlib.import_module(backend)
    sim.setup(timestep=0.1, min_delay=0.1, **({"spike_precision": "on_grid"} if "nest" in backend else {}))
    celltype = sim.PointNeuron(sim.LIF(tau_m=10.0, v_rest=-60.0, v_thresh=-52.0, tau_refrac=2.0, cm=0.5),
                               AMPA=sim.CurrExpPostSynapticResponse(tau_syn=1.0),
                               NMDA=sim.CurrExpPostSynapticResponse(tau_syn=20.0),
                               GABAA=sim.CurrExpPostSynapticResponse(tau_syn=1.5))
    cells = sim.Population(2, celltype, initial_values={"v": -60.0})
    trains = [np.arange(10.0, 300.0, 23.0), np.arange(15.0, 300.0, 41.0), np.arange(20.0, 300.0, 17.0)]
    weights = {"AMPA": 0.6, "NMDA": 0.08, "GABAA": -0.5}
    for (name, w), times in zip(weights.items(), trains):
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[float(t) for t in np.round(times, 1)]))
        sim.Projection(src, cells[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=w, delay=1.0),
                       receptor_type=name)
        sim.Projection(src, cells[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=5.0 * w, delay=1.5),
                       receptor_type=name)
    cells.record(["v", "spikes"])
    sim.run(300.0)
    seg = cells.get_data().segments[0]
    out = {"v": np.asarray(seg.filter(name="v")[0], dtype=float),
           "spikes": [np.asarray(s.magnitude) for s in seg.spiketrains],
           "tau_m": float(np.asarray(cells.get("tau_m")).reshape(-1)[0]),
           "nmda_tau": float(np.asarray(cells.get("NMDA.tau_syn")).reshape(-1)[0])}
    sim.end()
    return out
