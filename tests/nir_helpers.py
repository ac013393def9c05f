"""snnTorch side of the NIR tests: a small MNIST network trained on the CPU, its own simulation,
and the input spike trains both simulators receive (one Bernoulli draw, fixed seed)."""
import numpy as np

SEED = 0
T_STEPS = 20            # time steps per test image (snnTorch's dt = 1e-4 s: 2 ms of NIR time)
TRAIN_STEPS = 10        # time steps per training image (half the cost; evaluation at T_STEPS)
N_TRAIN = 3000          # training images (one epoch)
N_HIDDEN = 100
BETA_HIDDEN, BETA_OUT = 0.9, 0.8
THRESHOLD = 1.0


def bernoulli_spikes(images, steps=T_STEPS, seed=SEED):
    """(steps, n, 784) float32 0/1 spikes: pixel intensity (0..1) as the firing probability per step."""
    x = np.asarray(images, np.float32).reshape(len(images), -1) / 255.0
    rng = np.random.default_rng(seed)
    return (rng.random((steps,) + x.shape, dtype=np.float32) < x[None]).astype(np.float32)


def leaky(n, beta, output=False):
    """snn.Leaky with per-neuron beta and threshold (so that export_to_nir writes per-neuron
    parameters) and reset to zero (neurosim resets to v_reset; snnTorch's default subtracts)."""
    import torch
    import snntorch as snn
    return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.full((n,), THRESHOLD), init_hidden=True,
                     reset_mechanism="zero", output=output)


def build_net():
    import torch
    torch.manual_seed(SEED)
    return torch.nn.Sequential(torch.nn.Linear(784, N_HIDDEN), leaky(N_HIDDEN, BETA_HIDDEN),
                               torch.nn.Linear(N_HIDDEN, 10), leaky(10, BETA_OUT, output=True))


def run_snntorch(net, spikes):
    """Output spike counts (n, 10) of snnTorch's own simulation of ``spikes`` (steps, n, 784)."""
    import torch
    from snntorch import utils
    utils.reset(net)
    counts = 0
    with torch.no_grad():
        for t in range(spikes.shape[0]):
            spk, _ = net(torch.from_numpy(spikes[t]))
            counts = counts + spk
    return counts.numpy()


def train(images, labels, epochs=1, batch=100, lr=5e-3):
    """Train on ``images`` (uint8) for ``epochs`` with cross-entropy on the output spike counts
    (surrogate gradients, Adam); fresh Bernoulli spikes per batch from a fixed seed."""
    import torch
    torch.set_num_threads(2)
    net = build_net()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    from snntorch import utils
    rng = np.random.default_rng(SEED + 1)
    x_all = np.asarray(images, np.float32).reshape(len(images), -1) / 255.0
    y_all = torch.from_numpy(np.asarray(labels, np.int64))
    for _ in range(epochs):
        order = rng.permutation(len(images))
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            x = torch.from_numpy((rng.random((TRAIN_STEPS, idx.size, 784), dtype=np.float32) < x_all[idx][None])
                                 .astype(np.float32))
            utils.reset(net)
            counts = 0
            for t in range(TRAIN_STEPS):
                spk, _ = net(x[t])
                counts = counts + spk
            loss = torch.nn.functional.cross_entropy(counts, y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net
