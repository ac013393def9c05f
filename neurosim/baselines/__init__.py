"""ANN baselines for the SNN comparison (plain numpy; imports no simulator code)."""
from .mlp import MLP, train_mnist_mlp, MNIST_MLP_DEFAULTS

__all__ = ["MLP", "train_mnist_mlp", "MNIST_MLP_DEFAULTS"]
