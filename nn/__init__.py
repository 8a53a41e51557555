"""nn: neural networks on the autodiff engines.

- Tensor networks: `Module`, `Linear`, `Dropout`, `Sequential`, `MLP`, the activation
  modules `ReLU LeakyReLU Sigmoid Tanh Softmax Identity`;
- losses `MSELoss BCELoss BCEWithLogitsLoss CrossEntropyLoss HingeLoss`, and
  `l2_penalty`;
- `nn.optim` (`SGD`, `Adam`, `AdamW`; learning-rate schedules in `nn.optim.lr_scheduler`),
  `nn.init`, `nn.utils` (`clip_grad_norm_`),
  `fit` (a small training loop), `save` / `load` / `load_state` (NumPy .npz files,
  never pickles);
- `nn.scalar`: micrograd-style `Neuron`, `Layer`, `MLP` over `autodiff.Value`;
- `nn.data`: data sets and data utilities; `nn.reference`: the teaching documents'
  hand-written backpropagation, checked against autograd.
"""

from . import data, init, optim, scalar, utils
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .init import manual_seed
from .layers import MLP, Dropout, Linear, Sequential
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    MSELoss,
    l2_penalty,
)
from .module import Module
from .serialization import load, load_state, save
from .train import fit

__all__ = [
    "Module",
    "Linear",
    "Dropout",
    "Sequential",
    "MLP",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Identity",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "l2_penalty",
    "fit",
    "manual_seed",
    "save",
    "load",
    "load_state",
    "data",
    "init",
    "optim",
    "scalar",
    "utils",
    "reference",
]

# Imported last, so that the reference networks may use anything above.
from . import reference  # noqa: E402
