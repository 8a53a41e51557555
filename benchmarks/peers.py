"""The peer libraries, each optional: a missing one shows as "not installed".

- micrograd (PyPI `micrograd`, Karpathy's scalar engine): the scalar peer.
- HIPS autograd (PyPI `autograd`): NumPy-based reverse mode, the tensor peer closest
  to this project in design.
- PyTorch (PyPI `torch`, CPU, eager mode): the industrial reference.

`make bench` installs micrograd and autograd (the `bench` extra); PyTorch is large,
so it is used when present and reported "not installed" otherwise.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from types import ModuleType

from . import THREADS

NOT_INSTALLED = "not installed"


def _load(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


micrograd_engine = _load("micrograd.engine")
micrograd_nn = _load("micrograd.nn")
hips = _load("autograd")
hips_np = _load("autograd.numpy") if hips else None
torch = _load("torch")

if torch is not None:
    torch.set_num_threads(THREADS)
    try:
        torch.set_num_interop_threads(THREADS)
    except RuntimeError:  # only allowed before torch starts any parallel work
        pass


def versions() -> dict[str, str]:
    """Name -> installed version, or "not installed"."""
    import numpy

    found = {
        "numpy": numpy.__version__,
        "autodiff": _version("autodiff") or "source tree",
        "micrograd": _version("micrograd") if micrograd_engine else None,
        "autograd (HIPS)": _version("autograd") if hips else None,
        "torch": torch.__version__ if torch is not None else None,
    }
    return {name: v or NOT_INSTALLED for name, v in found.items()}


def nn_modules() -> ModuleType | None:
    """Our `nn` package with its modules, or None while it is not written yet."""
    nn = _load("nn")
    if nn is None or not all(hasattr(nn, n) for n in ("MLP", "CrossEntropyLoss")):
        return None
    if _load("nn.optim") is None:
        return None
    return nn


def nn_scalar() -> ModuleType | None:
    """Our `nn.scalar` (scalar MLP over Values), or None while it is not written yet."""
    module = _load("nn.scalar")
    return module if module is not None and hasattr(module, "MLP") else None
