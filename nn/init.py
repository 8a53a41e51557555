"""Seedable parameter initialisation.

Every function that draws random numbers takes `seed`: None (fresh entropy, or, after
`manual_seed(n)`, the draws of one generator seeded with n), a non-negative int (the
same int always gives the same numbers) or a `numpy.random.Generator` (used and
advanced, so one generator passed to successive calls gives different but reproducible
draws, which is how `MLP` seeds its layers). PyTorch's `generator=` keyword is taken
too, as a `numpy.random.Generator` (a torch.Generator cannot draw NumPy's numbers).

The functions are named, take their arguments and draw from the distributions as those
of `torch.nn.init` do (`uniform_`, `normal_`, `trunc_normal_`, `constant_`, `ones_`,
`zeros_`, `eye_`, `dirac_`, `xavier_uniform_`, `xavier_normal_`, `kaiming_uniform_`,
`kaiming_normal_`, `orthogonal_`, `sparse_`, `calculate_gain`), so that a model's
initialisation ports line by line; they add `seed`, `kaiming_*`'s `fan=` (a fan of your
own) and `uniform_`'s older keywords `low=` and `high=`. Random fills need a float
tensor and leave it as it was when they refuse their arguments.
"""

from __future__ import annotations

import math
import numbers
import os
import random
import warnings

import numpy as np

from autodiff import Tensor, no_grad

__all__ = [
    "generator",
    "manual_seed",
    "calculate_gain",
    "fan_in",
    "fan_out",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "trunc_normal_",
    "orthogonal_",
    "eye_",
    "dirac_",
    "sparse_",
]

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


class _Omitted(float):
    """A default that shows as its number (in help() and signatures) but is told apart
    from the same number passed, so that `uniform_` knows whether `a` was given
    alongside `low=` (the same argument twice)."""

    __slots__ = ()


_A_OMITTED, _B_OMITTED = _Omitted(0.0), _Omitted(1.0)


def _rng(seed, gen, who: str) -> np.random.Generator:
    """The Generator for `seed`, or for `gen`, PyTorch's `generator=` keyword, which may
    be a `numpy.random.Generator` (a torch.Generator cannot draw NumPy's numbers)."""
    if gen is None:
        return generator(seed, who)
    if seed is not None:
        raise TypeError(f"{who}: give seed or generator, not both (generator= is "
                        "PyTorch's name; here it takes what seed takes as a Generator)")
    if not isinstance(gen, np.random.Generator):
        kind = f"{type(gen).__module__}.{type(gen).__qualname__}"
        raise TypeError(f"{who}: generator must be a numpy.random.Generator, got {kind}; "
                        "pass seed= (None, an int or a numpy.random.Generator) instead")
    return gen


def _alias(value, omitted: _Omitted, old, name: str, old_name: str, who: str):
    """`value`, or `old` (the older keyword spelling of the same argument) if given."""
    if old is None:
        return value
    if value is not omitted:
        raise TypeError(f"{who}: got both {name} and {old_name}, which are one argument "
                        f"({old_name}= is the older spelling of {name}=); give one")
    return old


def uniform_(tensor: Tensor, a: float = _A_OMITTED, b: float = _B_OMITTED, seed=None, *,
             generator=None, low=None, high=None) -> Tensor:
    """Fill `tensor` in place with draws from U(a, b), a <= x < b; returns it. Named as
    `torch.nn.init.uniform_` (a=0, b=1 by default).

    Args:
        tensor: a float Tensor (an empty one is left as it is).
        a, b: the low and high ends (the errors call them low and high); real numbers:
            Python's, NumPy's, or 0-d real arrays or Tensors. `a == b` fills with a.
        seed: see the module docstring.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.
        low, high: keywords kept from this function's first version, the same as a and
            b (give one spelling of each).

    Raises:
        TypeError: the tensor is not a float Tensor (draws would be truncated), `low`
            or `high` is not a real number, both `a` and `low` (or `b` and `high`) are
            given, or `generator` is not a numpy Generator.
        ValueError: `low` or `high` is not finite (or too large for a float), or
            `low > high`, or the draws do not fit the tensor's dtype. Every error names
            uniform_.
    """
    who = "uniform_"
    # the ends as the call named them (a and b, or low and high), for the messages
    old_spelling = low is not None or high is not None  # (an omitted end follows it)
    a_name = "low" if old_spelling and a is _A_OMITTED else "a"
    b_name = "high" if old_spelling and b is _B_OMITTED else "b"
    b_default = b is _B_OMITTED and high is None
    low = _alias(a, _A_OMITTED, low, "a", "low", who)
    high = _alias(b, _B_OMITTED, high, "b", "high", who)
    _check_float_tensor(tensor, who)
    low, high = _finite(low, a_name, who), _finite(high, b_name, who)
    if b_default and not low <= high:
        raise ValueError(f"{who}: needs {a_name} <= {b_name}, got {a_name}={low!r}, "
                         f"{b_name}=1.0 ({b_name}'s default: give {b_name} too)")
    return _uniform(tensor, low, high, _rng(seed, generator, who), who, (a_name, b_name))


def _uniform(tensor: Tensor, low, high, seed, who: str,
             names: tuple[str, str] = ("low", "high")) -> Tensor:
    """`uniform_`, its errors naming `who` (the function the user called) and the ends
    by `names` (as that function's caller named them)."""
    _check_float_tensor(tensor, who)
    a, b = names
    low, high = _finite(low, a, who), _finite(high, b, who)
    if not low <= high:
        raise ValueError(f"{who}: needs {a} <= {b}, got {a}={low!r}, {b}={high!r}")
    if not math.isfinite(high - low):  # NumPy cannot draw from a wider range
        raise ValueError(f"{who}: the range from {a}={low!r} to {b}={high!r} is too wide "
                         f"to draw from ({b} - {a} overflows)")
    draws = generator(seed, who).uniform(low, high, tensor.shape)
    _fill_draws(tensor, draws, who, f"{a}={low!r}, {b}={high!r}")
    return tensor


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, seed=None, *,
            generator=None) -> Tensor:
    """Fill `tensor` in place with draws from N(mean, std^2); returns it. Named as
    `torch.nn.init.normal_`.

    Args:
        tensor: a float Tensor (an empty one is left as it is).
        mean: finite; std: finite and >= 0 (0 fills with mean). Real numbers: Python's,
            NumPy's, or 0-d real arrays or Tensors.
        seed: see the module docstring.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    Raises:
        TypeError: the tensor is not a float Tensor, `mean` or `std` is not a real
            number, or `generator` is not a numpy Generator.
        ValueError: `mean` or `std` is not finite, `std < 0`, or draws do not fit the
            tensor's dtype. Every error names normal_.
    """
    who = "normal_"
    _check_float_tensor(tensor, who)
    return _normal(tensor, mean, std, _rng(seed, generator, who), who)


def _normal(tensor: Tensor, mean, std, seed, who: str) -> Tensor:
    """`normal_`, its errors naming `who`."""
    _check_float_tensor(tensor, who)
    mean, std = _finite(mean, "mean", who), _finite(std, "std", who)
    if std < 0:
        raise ValueError(f"{who}: std must be >= 0, got std={std!r}")
    draws = generator(seed, who).normal(mean, std, tensor.shape)
    _fill_draws(tensor, draws, who, f"mean={mean!r}, std={std!r}")
    return tensor


def _fill_draws(tensor: Tensor, draws, who: str, what: str) -> None:
    """`_fill` with float64 draws, refusing (and leaving the tensor) if any is infinite
    in the tensor's dtype (N(1e308, 1e308), or U(-1e300, 1e300) in a float32 tensor),
    where NumPy would fill inf, with at most a RuntimeWarning."""
    with np.errstate(over="ignore"):
        draws = np.asarray(draws).astype(tensor.dtype, copy=False)
    if not np.isfinite(draws).all():
        raise ValueError(f"{who}: {what} gives draws too large for a {tensor.dtype} "
                         "tensor")
    _fill(tensor, draws)


def constant_(tensor: Tensor, val) -> Tensor:
    """Fill `tensor` in place with `val`; returns it. As `torch.nn.init.constant_`, of
    any dtype; unlike it, a value the dtype cannot hold is refused (0.5 or 300 for an
    int8 tensor: NumPy would store 0 or 44) rather than converted.

    `val` is a real number or a bool: Python's, NumPy's, or a 0-d array or Tensor of one.
    A float tensor takes any, inf and nan included.

    Raises:
        TypeError: `tensor` is not a Tensor, or `val` is not a real number or a bool.
        ValueError: the tensor's dtype cannot hold `val`. Every error names constant_.
    """
    who = "constant_"
    _check_tensor(tensor, who)
    number = val.data if isinstance(val, Tensor) else val
    if isinstance(number, np.ndarray) and number.ndim == 0 and number.dtype.kind in "biuf":
        number = number[()]
    if not isinstance(number, (bool, np.bool_, numbers.Real)):
        shape = f" of shape {val.shape}" if isinstance(val, (Tensor, np.ndarray)) else ""
        raise TypeError(f"{who}: val must be a real number, got {type(val).__name__}"
                        f"{shape}: {val!r}")
    try:
        with np.errstate(all="ignore"):  # (judged below)
            held = np.array(number).astype(tensor.dtype)
    except (OverflowError, TypeError, ValueError):  # an int past float's or int64's range
        held = None
    if tensor.dtype.kind == "f":  # (rounded is fine; overflowed to inf is not)
        fits = held is not None and (not np.isinf(held) or math.isinf(number))
    else:  # the value itself, not a truncation or a wrap-around
        fits = held is not None and held.item() == number
    if not fits:
        raise ValueError(f"{who}: a tensor of dtype {tensor.dtype} cannot hold "
                         f"val={number!r}")
    _fill(tensor, held)
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with ones in place (of any dtype); returns it."""
    _check_tensor(tensor, "ones_")
    _fill(tensor, 1)
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


def fan_out(tensor: Tensor) -> int:
    """The number of outputs each input of a weight feeds: `shape[0]` for (out, in),
    times the size of any further axes (a convolution kernel's (out, in, h, w) feeds
    out * h * w, as in PyTorch).

    Raises:
        ValueError: a tensor of fewer than 2 dimensions (no output axis to count).
    """
    return _fans(tensor, "fan_out")[1]


def _fans(tensor: Tensor, who: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a tensor of 2 or more dimensions, as PyTorch counts them;
    ValueError naming `who` for fewer (PyTorch refuses those too)."""
    if tensor.ndim < 2:
        raise ValueError(f"{who}: needs a tensor of 2 or more dimensions, (out, in, ...), "
                         f"to count fan_in and fan_out, got shape {tensor.shape}")
    field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * field, tensor.shape[0] * field


# calculate_gain's nonlinearities: those whose gain is 1, then the others
_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")
_NONLINEARITIES = _LINEAR + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which to scale a weight's standard deviation so that the signal's
    spread is kept through `nonlinearity`, with PyTorch's values (`calculate_gain` of
    torch.nn.init):

    - 1 for 'linear', 'sigmoid' and the convolutions 'conv1d' 'conv2d' 'conv3d'
      'conv_transpose1d' 'conv_transpose2d' 'conv_transpose3d';
    - 5/3 for 'tanh'; sqrt(2) for 'relu'; 3/4 for 'selu';
    - sqrt(2 / (1 + s^2)) for 'leaky_relu' of negative slope s = `param` (0.01 if None).

    `param` is used by 'leaky_relu' only (ignored by the others, as in PyTorch); a real
    number: Python's, NumPy's, or a 0-d real array or Tensor.

    Raises:
        TypeError: `nonlinearity` is not a str, or `param` is not a real number.
        ValueError: `nonlinearity` is none of the above, or `param` is not finite.
    """
    return _gain(nonlinearity, param, "param", "calculate_gain")


def _gain(nonlinearity, slope, slope_name: str, who: str) -> float:
    """`calculate_gain`, its errors naming `who` and the slope `slope_name`."""
    if not isinstance(nonlinearity, str):
        raise TypeError(f"{who}: nonlinearity must be a str, one of "
                        f"{', '.join(map(repr, _NONLINEARITIES))}; got "
                        f"{type(nonlinearity).__name__}: {nonlinearity!r}")
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"{who}: unsupported nonlinearity {nonlinearity!r}; one of "
                         f"{', '.join(map(repr, _NONLINEARITIES))}")
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 0.75
    slope = 0.01 if slope is None else _finite(slope, slope_name, who)
    return math.sqrt(2.0 / (1.0 + slope * slope))  # (0 if slope * slope overflows)


def _nonnegative_gain(gain, who: str) -> float:
    gain = _finite(gain, "gain", who)
    if gain < 0:
        raise ValueError(f"{who}: gain must be >= 0, got gain={gain!r}")
    return gain


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, seed=None, *,
                    generator=None) -> Tensor:
    """Glorot initialisation, in place: draws from U(-bound, bound) with
    bound = gain * sqrt(6 / (fan_in + fan_out)), a variance of
    2 gain^2 / (fan_in + fan_out), as `torch.nn.init.xavier_uniform_`; returns it.

    Args:
        tensor: a float weight of 2 or more dimensions, (out, in, ...) (see `fan_in`
            and `fan_out`); a zero-element one is left as it is.
        gain: finite, >= 0; `calculate_gain(nonlinearity)` for the activation that
            follows.
        seed: see the module docstring.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    Raises:
        TypeError: the tensor is not a float Tensor, `gain` is not a real number, or
            `generator` is not a numpy Generator.
        ValueError: the tensor has fewer than 2 dimensions (as in PyTorch), or `gain`
            is negative, not finite, or too large to draw with. Every error names
            xavier_uniform_.
    """
    who = "xavier_uniform_"
    scale = _xavier_std(tensor, gain, who)
    rng = _rng(seed, generator, who)
    if tensor.size == 0:
        return tensor
    bound = math.sqrt(3.0) * scale
    if not math.isfinite(2.0 * bound):
        raise ValueError(f"{who}: gain={gain!r} gives the bound {bound}, too large to "
                         "draw from")
    return _uniform(tensor, -bound, bound, rng, who)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, seed=None, *,
                   generator=None) -> Tensor:
    """Glorot initialisation, in place: draws from N(0, std^2) with
    std = gain * sqrt(2 / (fan_in + fan_out)), as `torch.nn.init.xavier_normal_`;
    returns it. Arguments and errors as `xavier_uniform_`'s (naming xavier_normal_).
    """
    who = "xavier_normal_"
    std = _xavier_std(tensor, gain, who)
    rng = _rng(seed, generator, who)
    if tensor.size == 0:
        return tensor
    return _normal(tensor, 0.0, std, rng, who)


def _xavier_std(tensor: Tensor, gain, who: str) -> float:
    """gain * sqrt(2 / (fan_in + fan_out)) after checking the arguments (0 for a
    zero-element tensor)."""
    _check_float_tensor(tensor, who)
    gain = _nonnegative_gain(gain, who)
    fans = sum(_fans(tensor, who))
    return gain * math.sqrt(2.0 / fans) if fans else 0.0


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", seed=None, *, fan=None,
                     generator=None) -> Tensor:
    """He initialisation, in place: draws from U(-bound, bound) with
    bound = gain * sqrt(3 / fan), a variance of gain^2 / fan, as
    `torch.nn.init.kaiming_uniform_`; returns it.

    `gain = calculate_gain(nonlinearity, a)`: sqrt(2 / (1 + a^2)) for the default, a
    leaky ReLU of negative slope `a`. `Linear` uses a = sqrt(5), PyTorch's choice, for
    which the bound is 1 / sqrt(fan_in).

    Args:
        tensor: the float weight, (out, in, ...); a zero-element one is left as it is,
            with a warning, as in PyTorch.
        a: the leaky ReLU's negative slope (finite); other nonlinearities ignore it.
        mode: 'fan_in' (keeps the forward pass's spread) or 'fan_out' (the backward
            pass's); see `fan_in` and `fan_out`. Unlike PyTorch, 'fan_in' of a vector
            is its length (PyTorch refuses a tensor of fewer than 2 dimensions).
        nonlinearity: a name `calculate_gain` takes; PyTorch recommends 'relu' or
            'leaky_relu'.
        seed: see the module docstring.
        fan: this library's override of the fan (finite, > 0), in place of `mode`'s;
            a keyword.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    `a` and `fan` are real numbers: Python's, NumPy's, or 0-d real arrays or Tensors.

    Raises:
        TypeError: `tensor` is not a float Tensor, `a` or `fan` is not a real number,
            `mode` or `nonlinearity` is not a str, both `fan` and mode='fan_out' are
            given, or `generator` is not a numpy Generator.
        ValueError: `a` is not finite, `fan` is not a finite number > 0, an unknown
            `mode` or `nonlinearity`, a 0-d tensor without `fan`, mode='fan_out' for a
            tensor of fewer than 2 dimensions, or a bound that over- or underflows.
            Every error names kaiming_uniform_.
    """
    who = "kaiming_uniform_"
    found = _kaiming_std(tensor, a, mode, nonlinearity, fan, seed, generator, who)
    if found is None:
        return tensor
    gain, fan, rng, given = found
    bound = gain * math.sqrt(3.0 / fan)  # (3 / fan may overflow: refused below)
    if not 0 < bound < math.inf:  # over- or underflowed: U(-0, 0) would fill zeros
        raise ValueError(f"{who}: {given} give the bound {bound}, which cannot be "
                         "drawn from")
    return _uniform(tensor, -bound, bound, rng, who)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", seed=None, *, fan=None,
                    generator=None) -> Tensor:
    """He initialisation, in place: draws from N(0, std^2) with std = gain / sqrt(fan),
    as `torch.nn.init.kaiming_normal_`; returns it. Arguments and errors as
    `kaiming_uniform_`'s (naming kaiming_normal_).
    """
    who = "kaiming_normal_"
    found = _kaiming_std(tensor, a, mode, nonlinearity, fan, seed, generator, who)
    if found is None:
        return tensor
    gain, fan, rng, given = found
    std = gain / math.sqrt(fan)
    if not 0 < std < math.inf:
        raise ValueError(f"{who}: {given} give the std {std}, which cannot be drawn from")
    return _normal(tensor, 0.0, std, rng, who)


def _kaiming_std(tensor: Tensor, a, mode, nonlinearity, fan, seed, gen, who: str):
    """(gain, fan, the Generator, the arguments that set gain and fan in words) after
    checking every argument; None (after a warning) for a zero-element tensor."""
    _check_float_tensor(tensor, who)
    a = _finite(a, "a", who)
    if not isinstance(mode, str):
        hint = (" (fan is the keyword fan=)"
                if isinstance(mode, numbers.Real) and not isinstance(mode, bool) else "")
        raise TypeError(f"{who}: mode must be 'fan_in' or 'fan_out', got "
                        f"{type(mode).__name__}: {mode!r}{hint}")
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    gain = _gain(nonlinearity, a, "a", who)
    if fan is not None:
        given, fan = fan, _real(fan, "fan", who)
        if not 0 < fan < math.inf:
            raise ValueError(f"{who}: fan must be a finite number > 0, got {given!r}")
        if mode != "fan_in":
            raise TypeError(f"{who}: give fan= or mode={mode!r}, not both (fan= is "
                            "the fan itself)")
    rng = _rng(seed, gen, who)
    if tensor.size == 0:  # nothing to draw (and no fan to scale by), as in PyTorch
        warnings.warn(f"{who}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return None
    if fan is None and mode == "fan_in":
        if tensor.ndim == 0:
            raise ValueError(f"{who}: a 0-d tensor has no fan-in; pass fan=")
        fan = fan_in(tensor)
    elif fan is None:
        if tensor.ndim < 2:
            raise ValueError(f"{who}: mode='fan_out' needs a tensor of 2 or more "
                             f"dimensions, (out, in, ...), got shape {tensor.shape}; "
                             "pass fan=")
        fan = _fans(tensor, who)[1]
    source = f"a={a!r}" if nonlinearity == "leaky_relu" else f"nonlinearity={nonlinearity!r}"
    return gain, fan, rng, f"{source} and fan={fan!r}"


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, seed=None, *, generator=None) -> Tensor:
    """Fill `tensor` in place with draws from N(mean, std^2) truncated to [a, b] (the
    normal distribution conditioned on a <= x <= b), as `torch.nn.init.trunc_normal_`;
    returns it.

    The draws are exact wherever the interval lies: by redrawing normal draws outside
    [a, b] when that is likely to succeed (the interval holds more than 30% of the
    normal's mass), as PyTorch does; else by rejection from uniform draws on [a, b] (as
    PyTorch does too), or, for an interval far out in one tail, from exponential ones
    (Robert, 1995), which PyTorch lacks (it can loop for long there, and fails for an
    infinite bound). So unlike PyTorch there is no warning for a mean more than 2 std
    from [a, b]. Every value lies in [a, b] also after rounding to the tensor's dtype
    (a float32 tensor gets the float32 numbers nearest inside the bounds).

    Args:
        tensor: a float Tensor (an empty one is left as it is).
        mean: finite; std: finite and > 0. Real numbers, as `normal_` takes.
        a, b: the bounds, a <= b; a may be -inf and b inf (one-sided, or no truncation).
            a == b fills with a.
        seed: see the module docstring.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    Raises:
        TypeError: the tensor is not a float Tensor, an argument is not a real number,
            or `generator` is not a numpy Generator.
        ValueError: `mean` or `std` is not finite, `std <= 0` (PyTorch divides by it),
            `a` is nan or inf, `b` is nan or -inf, `a > b`, no number of the tensor's
            dtype lies in [a, b], or draws do not fit the dtype. Every error names
            trunc_normal_.
    """
    who = "trunc_normal_"
    _check_float_tensor(tensor, who)
    mean, std = _finite(mean, "mean", who), _finite(std, "std", who)
    if not std > 0:
        raise ValueError(f"{who}: std must be > 0, got std={std!r}")
    a, b = _real(a, "a", who), _real(b, "b", who)
    if math.isnan(a) or a == math.inf:
        raise ValueError(f"{who}: a must be finite or -inf, got a={a!r}")
    if math.isnan(b) or b == -math.inf:
        raise ValueError(f"{who}: b must be finite or inf, got b={b!r}")
    if not a <= b:
        raise ValueError(f"{who}: needs a <= b, got a={a!r}, b={b!r}")
    low, high = _dtype_bounds(a, b, tensor.dtype)
    if not low <= high:
        raise ValueError(f"{who}: no {tensor.dtype} number lies in [a, b], a={a!r}, "
                         f"b={b!r}")
    rng = _rng(seed, generator, who)
    if tensor.size == 0:
        return tensor
    alpha, beta = (a - mean) / std, (b - mean) / std  # (either may be infinite)
    if a == b:
        draws = np.full(tensor.shape, a)
    elif alpha == beta:  # [a, b] is too narrow for the density to change across it
        draws = rng.uniform(a, b, tensor.shape)
    else:
        z = _standard_truncated_normal(rng, alpha, beta, tensor.size)
        with np.errstate(over="ignore"):  # (an infinite draw is refused below)
            draws = (mean + std * z).reshape(tensor.shape)
        draws = np.clip(draws, a, b)  # (mean + std * z may round a last bit outside)
    with np.errstate(over="ignore"):
        draws = np.asarray(draws).astype(tensor.dtype, copy=False)
    if not np.isfinite(draws).all():
        raise ValueError(f"{who}: mean={mean!r}, std={std!r} gives draws too large for a "
                         f"{tensor.dtype} tensor")
    _fill(tensor, np.clip(draws, low, high))
    return tensor


def _dtype_bounds(a: float, b: float, dtype: np.dtype):
    """The least and the greatest numbers of `dtype` in [a, b] (the first greater than the
    second when there are none): a and b rounded to the dtype, then moved a step inward
    if the rounding took them outside."""
    with np.errstate(over="ignore"):
        low, high = np.array(a, dtype=dtype)[()], np.array(b, dtype=dtype)[()]
    if float(low) < a:  # (compared as Python floats: NumPy would compare in the dtype)
        low = np.nextafter(low, dtype.type(np.inf))
    if float(high) > b:
        high = np.nextafter(high, dtype.type(-np.inf))
    return low, high


def _standard_truncated_normal(rng: np.random.Generator, alpha: float, beta: float,
                               n: int) -> np.ndarray:
    """`n` draws of N(0, 1) conditioned on alpha <= z <= beta (alpha < beta, either may be
    infinite), each by rejection sampling, which is exact; the proposal is chosen so that
    at least about one in five is accepted, however far out [alpha, beta] lies."""
    mass = (math.erfc(alpha / math.sqrt(2.0)) - math.erfc(beta / math.sqrt(2.0))) / 2.0
    if mass <= 0.3 and beta <= 0:  # in the left tail: the right one's, mirrored
        return -_standard_truncated_normal(rng, -beta, -alpha, n)
    if mass > 0.3:
        def propose(k):  # normal draws, those outside the interval redrawn
            z = rng.standard_normal(k)
            return z, (alpha <= z) & (z <= beta)
    elif alpha <= 0 or beta - alpha <= 2.0 / alpha:
        # uniform draws on [alpha, beta], kept with probability density / its peak
        # (the interval is narrow here: < 0.85 wide if it holds 0, else < 2 / alpha)
        peak = max(alpha, 0.0)

        def propose(k):
            z = alpha + (beta - alpha) * rng.random(k)
            return z, rng.random(k) < np.exp(-0.5 * (z - peak) * (z + peak))
    else:
        # far out in the right tail, and wide: z = alpha + E / rate with E ~ Exp(1), kept
        # with probability exp(-(z - rate)^2 / 2) = exp(-((E - 1) / rate)^2 / 2) (Robert's
        # optimal rate, (alpha + sqrt(alpha^2 + 4)) / 2, written so as not to overflow),
        # and if z <= beta
        rate = alpha / 2.0 + math.hypot(alpha / 2.0, 1.0)

        def propose(k):
            e = rng.standard_exponential(k)
            keep = (e / rate <= beta - alpha) & (
                rng.random(k) < np.exp(-0.5 * ((e - 1.0) / rate) ** 2))
            return alpha + e / rate, keep

    out = np.empty(n)
    pending = np.arange(n)
    while pending.size:
        z, keep = propose(pending.size)
        out[pending[keep]] = z[keep]
        pending = pending[~keep]
    return out


def orthogonal_(tensor: Tensor, gain: float = 1, seed=None, *, generator=None) -> Tensor:
    """Fill `tensor` in place with a (semi-)orthogonal matrix times `gain`, as
    `torch.nn.init.orthogonal_` (Saxe et al., 2013); returns it.

    The tensor is seen as a matrix of (rows, cols) = (shape[0], the product of the other
    axes). As in PyTorch: a (rows, cols) matrix of N(0, 1) draws, transposed if
    rows < cols, is factored as QR; Q's columns are multiplied by the signs of R's
    diagonal (so that Q is uniformly distributed, Haar, rather than biased by the
    factorisation's sign convention), and Q is transposed back. So W @ W.T is
    gain^2 * I for rows <= cols, and W.T @ W is for rows >= cols. (Computed in float64,
    then rounded to the tensor's dtype.)

    Args:
        tensor: a float Tensor of 2 or more dimensions (a zero-element one is left as
            it is).
        gain: a finite real number (a negative one negates the matrix, as in PyTorch).
        seed: see the module docstring.
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    Raises:
        TypeError: the tensor is not a float Tensor, `gain` is not a real number, or
            `generator` is not a numpy Generator.
        ValueError: the tensor has fewer than 2 dimensions (as in PyTorch), `gain` is
            not finite, or the values do not fit the tensor's dtype. Every error names
            orthogonal_.
    """
    who = "orthogonal_"
    _check_float_tensor(tensor, who)
    if tensor.ndim < 2:
        raise ValueError(f"{who}: needs a tensor of 2 or more dimensions, got shape "
                         f"{tensor.shape}")
    gain = _finite(gain, "gain", who)
    rng = _rng(seed, generator, who)
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)  # (reduced: q has flat's shape)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # (a zero diagonal has probability 0)
    if rows < cols:
        q = q.T
    with np.errstate(over="ignore"):
        values = gain * q
    _fill_draws(tensor, values.reshape(tensor.shape), who, f"gain={gain!r}")
    return tensor


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D `tensor` in place with the identity matrix (ones on the main diagonal,
    zeros elsewhere; a non-square one as `numpy.eye(rows, cols)`), as
    `torch.nn.init.eye_`; of any dtype. Returns it.

    Raises:
        TypeError: `tensor` is not a Tensor.
        ValueError: the tensor is not 2-D (PyTorch refuses others too).
    """
    who = "eye_"
    _check_tensor(tensor, who)
    if tensor.ndim != 2:
        raise ValueError(f"{who}: needs a 2-D tensor, got shape {tensor.shape}")
    _fill(tensor, np.eye(*tensor.shape, dtype=tensor.dtype))
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a convolution kernel in place with the Dirac delta, as
    `torch.nn.init.dirac_`, so that the convolution passes its input channels through
    (as many as there are output channels); of any dtype. Returns it.

    The kernel is (out, in, *field) with a field of 1, 2 or 3 axes; its channels are
    split into `groups` groups of out / groups output channels, and in each the d-th
    output channel takes the d-th input channel, for d < min(out / groups, in): a one at
    the centre of the field (index size // 2 on each axis), zeros elsewhere.

    Raises:
        TypeError: `tensor` is not a Tensor, or `groups` is not an int.
        ValueError: the tensor is not 3-, 4- or 5-D (as in PyTorch), `groups` is not
            > 0, or shape[0] is not divisible by `groups` (as in PyTorch).
    """
    who = "dirac_"
    _check_tensor(tensor, who)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"{who}: needs a 3-, 4- or 5-D tensor (out, in, *field), got "
                         f"shape {tensor.shape}")
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"{who}: groups must be an int, got {type(groups).__name__}: "
                        f"{groups!r}")
    if groups <= 0:
        raise ValueError(f"{who}: groups must be > 0, got groups={groups}")
    out_channels, in_channels, *field = tensor.shape
    if out_channels % groups:
        raise ValueError(f"{who}: shape[0] = {out_channels} (the output channels) must "
                         f"be divisible by groups={groups}")
    per_group = out_channels // int(groups)
    channel = np.arange(min(per_group, in_channels))
    outs = (np.arange(int(groups))[:, None] * per_group + channel).ravel()
    values = np.zeros(tensor.shape, dtype=tensor.dtype)
    values[(outs, np.tile(channel, int(groups)), *(size // 2 for size in field))] = 1
    _fill(tensor, values)
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, seed=None, *,
            generator=None) -> Tensor:
    """Fill a 2-D `tensor` in place as a sparse matrix, as `torch.nn.init.sparse_`
    (Martens, 2010): draws from N(0, std^2), with ceil(sparsity * rows) of each
    column's set to zero, at rows chosen at random for each column; returns it.

    Args:
        tensor: a 2-D float Tensor (an empty one is left as it is).
        sparsity: the fraction of each column to zero, from 0 to 1 (PyTorch takes any
            number, zeroing everything past 1 and some rows for -1 or less).
            ceil(sparsity * rows) is as PyTorch counts it: 0.28 of 25 rows is 8 zeros,
            as 0.28 * 25 is 7.000000000000001 in floats.
        std: finite and >= 0. Real numbers, as `normal_` takes.
        seed: see the module docstring (it chooses the zeroed rows too; PyTorch's
            choice does not follow its generator).
        generator: PyTorch's keyword; a `numpy.random.Generator`, as seed would be.

    Raises:
        TypeError: the tensor is not a float Tensor, `sparsity` or `std` is not a real
            number, or `generator` is not a numpy Generator.
        ValueError: the tensor is not 2-D (as in PyTorch), `sparsity` is not in [0, 1],
            `std` is not finite or is negative, or draws do not fit the tensor's dtype.
            Every error names sparse_.
    """
    who = "sparse_"
    _check_float_tensor(tensor, who)
    if tensor.ndim != 2:
        raise ValueError(f"{who}: needs a 2-D tensor, got shape {tensor.shape}")
    sparsity = _finite(sparsity, "sparsity", who)
    if not 0 <= sparsity <= 1:
        raise ValueError(f"{who}: sparsity must be in [0, 1], got sparsity={sparsity!r}")
    std = _finite(std, "std", who)
    if std < 0:
        raise ValueError(f"{who}: std must be >= 0, got std={std!r}")
    rng = _rng(seed, generator, who)
    if tensor.size == 0:
        return tensor
    rows, cols = tensor.shape
    draws = rng.normal(0.0, std, (rows, cols))
    zeros = math.ceil(sparsity * rows)  # (<= rows: sparsity * rows rounds to <= rows)
    # the first `zeros` rows of a random order of the rows, for each column
    chosen = np.argsort(rng.random((rows, cols)), axis=0)[:zeros]
    draws[chosen, np.arange(cols)] = 0.0
    _fill_draws(tensor, draws, who, f"std={std!r}")
    return tensor
