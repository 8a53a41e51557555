"""Seedable parameter initialisation.

Every function that draws random numbers takes `seed`: None (fresh entropy, or, after
`manual_seed(n)`, the draws of one generator seeded with n), a non-negative int (the
same int always gives the same numbers) or a `numpy.random.Generator` (used and
advanced, so one generator passed to successive calls gives different but reproducible
draws, which is how `MLP` seeds its layers). PyTorch's `generator=` keyword is taken
too, as a `numpy.random.Generator` (a torch.Generator cannot draw NumPy's numbers).

The functions are named, take their arguments and draw from the distributions as those
of `torch.nn.init` do (`uniform_`, `normal_`, `constant_`, `ones_`, `zeros_`,
`xavier_uniform_`, `xavier_normal_`, `kaiming_uniform_`, `kaiming_normal_`,
`calculate_gain`), so that a model's initialisation ports line by line; they add `seed`,
`kaiming_*`'s `fan=` (a fan of your own) and `uniform_`'s older keywords `low=` and
`high=`. Random fills need a float tensor and leave it as it was when they refuse their
arguments.
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
    low = _alias(a, _A_OMITTED, low, "a", "low", who)
    high = _alias(b, _B_OMITTED, high, "b", "high", who)
    _check_float_tensor(tensor, who)
    return _uniform(tensor, low, high, _rng(seed, generator, who), who)


def _uniform(tensor: Tensor, low, high, seed, who: str) -> Tensor:
    """`uniform_`, its errors naming `who` (the function the user called)."""
    _check_float_tensor(tensor, who)
    low, high = _finite(low, "low", who), _finite(high, "high", who)
    if not low <= high:
        raise ValueError(f"{who}: needs low <= high, got low={low!r}, high={high!r}")
    if not math.isfinite(high - low):  # NumPy cannot draw from a wider range
        raise ValueError(f"{who}: the range from low={low!r} to high={high!r} is too wide "
                         "to draw from (high - low overflows)")
    draws = generator(seed, who).uniform(low, high, tensor.shape)
    _fill_draws(tensor, draws, who, f"low={low!r}, high={high!r}")
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
