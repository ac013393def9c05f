"""The small traced result that the export tests (Neo, NWB) write and read back: two trials of 20
conductance-based cells driven by Poisson inputs, spikes and v / g_AMPA of three cells sampled
every PERIOD ms."""
import neurosim as ns

BATCH = 2
PERIOD = 0.5  # ms, state sampling period
TRACED = [0, 3, 5]


def traced_result(duration: float, drive: str, n_drive: int, record_drive: bool = False):
    """Run the network for ``duration`` ms with ``n_drive`` Poisson sources (20 Hz) named ``drive``."""
    net = ns.Network(dt=0.1, seed=3, batch=BATCH)
    exc = net.population("exc", 20, ns.LIFCond())
    source = net.poisson(drive, n_drive, 20.0)
    net.connect(source, exc, ns.fixed_probability(0.3), receptor="AMPA", weight=6.0)
    net.monitor(exc, "spikes")
    if record_drive:
        net.monitor(source, "spikes")
    net.monitor(exc, ["v", "g_AMPA"], indices=TRACED, every=PERIOD)
    return net.run(duration)
