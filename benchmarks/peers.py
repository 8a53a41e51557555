"""The peer libraries, each optional: a missing one shows as "not installed".

- micrograd (PyPI `micrograd`, Karpathy's scalar engine): the scalar peer.
- HIPS autograd (PyPI `autograd`): NumPy-based reverse mode, the tensor peer closest
  to this project in design.
- PyTorch (PyPI `torch`, CPU, eager mode): the industrial reference.

`make bench` installs all three. Each is imported only when a section first needs it:
importing PyTorch adds about 150,000 objects to the heap, which makes Python's garbage
collector run its full collections less often and would flatter every GC-heavy engine
(both scalar ones) if it happened before the scalar sections.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
from types import ModuleType

from . import THREADS

NOT_INSTALLED = "not installed"


def _load(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except Exception:  # missing, or (our own nn, while being written) broken
        return None


def installed(module: str) -> bool:
    """Whether `module` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def micrograd() -> tuple[ModuleType, ModuleType] | None:
    """(micrograd.engine, micrograd.nn), or None."""
    engine, nn = _load("micrograd.engine"), _load("micrograd.nn")
    return (engine, nn) if engine is not None and nn is not None else None


@functools.cache
def hips() -> tuple[ModuleType, ModuleType] | None:
    """(autograd, autograd.numpy) of HIPS autograd, or None."""
    autograd = _load("autograd")
    return (autograd, _load("autograd.numpy")) if autograd is not None else None


@functools.cache
def torch() -> ModuleType | None:
    """PyTorch, set to the benchmark's thread count, or None."""
    module = _load("torch")
    if module is not None:
        module.set_num_threads(THREADS)
        try:
            module.set_num_interop_threads(THREADS)
        except RuntimeError:  # only allowed before torch starts any parallel work
            pass
    return module


def versions() -> dict[str, str]:
    """Name -> installed version, or "not installed" (imports nothing)."""
    import numpy

    found = {
        "numpy": numpy.__version__,
        "autodiff": _version("autodiff") or "source tree",
        "micrograd": _version("micrograd") if installed("micrograd") else None,
        "autograd (HIPS)": _version("autograd") if installed("autograd") else None,
        "torch": _version("torch") if installed("torch") else None,
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
