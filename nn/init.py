"""Seedable parameter initialisation.

Every function that draws random numbers takes `seed`: None (fresh entropy, or, after
`manual_seed(n)`, the draws of one generator seeded with n), a non-negative int (the
same int always gives the same numbers) or a `numpy.random.Generator` (used and
advanced, so one generator passed to successive calls gives different but reproducible
draws, which is how `MLP` seeds its layers).
"""

from __future__ import annotations

import math
import numbers
import os
import random
import warnings

import numpy as np

from autodiff import Tensor, no_grad

__all__ = ["generator", "manual_seed", "uniform_", "zeros_", "kaiming_uniform_", "fan_in"]

# The generator every seed=None draws from after manual_seed(), None before it; then
# they draw from one seeded with fresh entropy when this module was loaded
_seeded: np.random.Generator | None = None
_fresh = np.random.default_rng()


def _fresh_after_fork() -> None:
    # a forked worker (a multiprocessing Pool) would draw what its siblings draw: the
    # same unseeded weights and dropout masks in each
    global _fresh
    _fresh = np.random.default_rng()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_after_fork)


def manual_seed(seed: int) -> None:
    """Make every later draw with `seed=None` reproducible, as `torch.manual_seed` does:
    layers' weights, dropout masks, `fit`'s shuffling, data splits and sets (one
    generator, seeded with `seed`, that they all draw from in turn), and the weights of
    `nn.scalar` networks (Python's `random`, which they draw from, is seeded too).

    Raises:
        TypeError: `seed` is not an int.
        ValueError: `seed` is negative.
    """
    global _seeded
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed: seed must be a non-negative int, got "
                        f"{type(seed).__name__}: {seed!r}")
    _seeded = generator(seed, "manual_seed")  # (checks it: an int >= 0)
    random.seed(int(seed))
    from . import data  # (the data sets draw from the same generator)

    data._seeded = _seeded


def generator(seed=None, who: str = "") -> np.random.Generator:
    """The `numpy.random.Generator` that `seed` stands for.

    Args:
        seed: None, a non-negative int, or a Generator (returned as it is).
        who: the caller's name, which the errors begin with ("fit: seed must...").

    Raises:
        TypeError: `seed` is of another type (a float, a str, a bool...).
        ValueError: `seed` is a negative int.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return _seeded if _seeded is not None else _fresh
    prefix = f"{who}: " if who else ""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{prefix}seed must be None, a non-negative int or a numpy.random.Generator, "
            f"got {type(seed).__name__}: {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"{prefix}seed must be a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))


def fan_in(tensor: Tensor) -> int:
    """The number of inputs each output of a weight sees: `shape[1]` for (out, in),
    times the size of any further axes (a convolution kernel's (out, in, h, w) sees
    in * h * w, as in PyTorch); `shape[0]` for a vector.

    Raises:
        ValueError: a 0-d tensor has no fan-in.
    """
    if tensor.ndim == 0:
        raise ValueError("fan_in: a 0-d tensor has no fan-in")
    return math.prod(tensor.shape[1:]) if tensor.ndim > 1 else tensor.shape[0]


def uniform_(tensor: Tensor, low: float, high: float, seed=None) -> Tensor:
    """Fill `tensor` in place with draws from U(low, high); returns it. `seed`: None,
    an int or a `numpy.random.Generator`.

    `low` and `high` are real numbers: Python's, NumPy's, or 0-d real arrays or Tensors.

    Raises:
        TypeError: the tensor is not a float Tensor (draws would be truncated), or
            `low` or `high` is not a real number.
        ValueError: `low` or `high` is not finite (or too large for a float), or
            `low > high`. Every error names uniform_.
    """
    return _uniform(tensor, low, high, seed, "uniform_")


def _uniform(tensor: Tensor, low, high, seed, who: str) -> Tensor:
    """`uniform_`, its errors naming `who` (the function the user called)."""
    _check_float_tensor(tensor, who)
    low, high = _finite(low, "low", who), _finite(high, "high", who)
    if not low <= high:
        raise ValueError(f"{who}: needs low <= high, got low={low!r}, high={high!r}")
    if not math.isfinite(high - low):  # NumPy cannot draw from a wider range
        raise ValueError(f"{who}: the range from low={low!r} to high={high!r} is too wide "
                         "to draw from (high - low overflows)")
    _fill(tensor, generator(seed, who).uniform(low, high, tensor.shape))
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with zeros in place; returns it."""
    _check_tensor(tensor, "zeros_")
    _fill(tensor, 0)
    return tensor


def _check_tensor(tensor, who: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{who}: fills a Tensor in place, got {type(tensor).__name__}")


def _check_float_tensor(tensor, who: str) -> None:
    _check_tensor(tensor, who)
    if tensor.dtype.kind != "f":
        raise TypeError(f"{who}: needs a float tensor, got dtype {tensor.dtype}")


def _real(value, name: str, who: str) -> float:
    """`value` as a float: a real number (not a bool), or a 0-d array or Tensor of one,
    taken as the number it holds (as a Value takes a 0-d array). TypeError for anything
    else, ValueError for a number too large for a float; both name `who` and `name`."""
    number = value.data if isinstance(value, Tensor) else value
    if isinstance(number, np.ndarray) and number.ndim == 0 and number.dtype.kind in "iuf":
        number = number[()]  # (a NumPy scalar)
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        shape = f" of shape {value.shape}" if isinstance(value, (Tensor, np.ndarray)) else ""
        raise TypeError(f"{who}: {name} must be a real number, got "
                        f"{type(value).__name__}{shape}: {value!r}")
    try:
        return float(number)
    except OverflowError:  # an int (or a Fraction) past float's range
        size = f": an int of {number.bit_length()} bits" if isinstance(number, int) else ""
        raise ValueError(f"{who}: {name} must be finite, got a number too large for a "
                         f"float{size}") from None


def _finite(value, name: str, who: str) -> float:
    """`value` as a finite float (see `_real`); TypeError or ValueError naming `who` and
    `name`."""
    value = _real(value, name, who)
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} must be finite, got {name}={value}")
    return value


def _fill(tensor: Tensor, values) -> None:
    """Write `values` into `tensor` as item assignment does, which stamps the change (and
    that of any tensor it is a view of), so that a graph made with the old values refuses
    to backward instead of silently using the new ones, as PyTorch's version counters
    do. Under no_grad, since a parameter is a leaf that requires grad."""
    with no_grad():
        tensor[...] = values


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, fan: int | None = None,
                     seed=None) -> Tensor:
    """He initialisation for a layer followed by a leaky ReLU of slope `a`, in place.

    Draws from U(-bound, bound) with bound = gain * sqrt(3 / fan), gain = sqrt(2 / (1 + a^2)),
    so the variance is gain^2 / fan. `Linear` uses a = sqrt(5), PyTorch's default, for
    which the bound simplifies to 1 / sqrt(fan_in).

    Args:
        tensor: the weight, of shape (out, in).
        a: the negative slope the gain is computed for (finite).
        fan: the fan to scale by (finite, > 0); defaults to `fan_in(tensor)`.
        seed: see the module docstring.

    `a` and `fan` are real numbers: Python's, NumPy's, or 0-d real arrays or Tensors.

    Raises:
        TypeError: `tensor` is not a float Tensor, or `a` or `fan` is not a real number.
        ValueError: `a` is not finite, `fan` is not a finite number > 0, or a 0-d
            tensor without `fan` (it has no fan-in). Every error names kaiming_uniform_.
    """
    who = "kaiming_uniform_"
    _check_float_tensor(tensor, who)
    a = _finite(a, "a", who)
    if fan is not None:
        given, fan = fan, _real(fan, "fan", who)
        if not 0 < fan < math.inf:
            raise ValueError(f"{who}: fan must be a finite number > 0, got {given!r}")
    rng = generator(seed, who)
    if tensor.size == 0:  # nothing to draw (and no fan to scale by), as in PyTorch
        warnings.warn(f"{who}: initializing a zero-element tensor is a no-op", stacklevel=2)
        return tensor
    if fan is None and tensor.ndim == 0:
        raise ValueError(f"{who}: a 0-d tensor has no fan-in; pass fan=")
    fan = fan_in(tensor) if fan is None else fan
    gain = math.sqrt(2.0 / (1.0 + a * a))
    bound = gain * math.sqrt(3.0 / fan)
    if not 0 < bound < math.inf:  # over- or underflowed: U(-0, 0) would fill zeros
        raise ValueError(f"{who}: a={a!r} and fan={fan!r} give the bound {bound}, which "
                         "cannot be drawn from")
    return _uniform(tensor, -bound, bound, rng, who)
