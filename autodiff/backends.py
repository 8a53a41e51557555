"""The three namespaces an op's rules run on: `xp` in `ops.py`.

An op's forward and backward are written once, against a small namespace `xp`
(`xp.exp`, `xp.where`, ...) plus Python operators. The same rule then runs on:

- `SCALAR`: Python floats, for `Value`. Errors are raised, never hidden: an input
  outside an op's domain raises ValueError (ZeroDivisionError for a division by zero),
  a result of exp, ** or / out of float range OverflowError, each naming the op and the
  value. `+ - *` follow float arithmetic (inf past the largest float), as micrograd's.
- `ARRAY`: NumPy arrays, for `Tensor`. NumPy's semantics (inf and nan propagate).
- `GRAPH`: nodes, for backward with `create_graph=True`: each function records an op,
  so the backward pass is itself a graph that can be differentiated again.

Forward always runs on plain data (SCALAR or ARRAY); only backward uses GRAPH.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

__all__ = ["SCALAR", "ARRAY", "GRAPH", "sum_to"]


# --------------------------------------------------------------------------------------
# Python floats (Value)
# --------------------------------------------------------------------------------------


def _scalar_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is larger than the largest float") from None


def _scalar_log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log: log({x!r}) is undefined; log needs x > 0")
    return math.log(x)


def _scalar_sqrt(x: float) -> float:
    if x < 0:
        raise ValueError(f"sqrt: sqrt({x!r}) is undefined; sqrt needs x >= 0")
    return math.sqrt(x)


def _scalar_sigmoid(x: float) -> float:
    # exp of a non-positive number only, so it neither overflows nor loses precision.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _finite_only(function, name: str):
    """`function` (math.sin, math.cos), its error at an infinite x naming the op."""

    def checked(x: float) -> float:
        try:
            return function(x)
        except ValueError:
            raise ValueError(f"{name}: {name}({x!r}) is undefined; {name} needs a finite "
                             "x") from None

    return checked


def _scalar_pow(x: float, y: float) -> float:
    if x == -_INF and math.isfinite(y) and y != math.floor(y):
        # C's pow gives inf or 0 here (as if -inf were even), where every finite
        # negative base raises below: no real number, however large the base
        raise _not_real(x, y)
    try:
        return math.pow(x, y)
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {y!r} is larger than the largest float") from None
    except ValueError:
        if x == 0:
            raise ZeroDivisionError(f"pow: {x!r} ** {y!r} divides by zero") from None
        raise _not_real(x, y) from None


def _not_real(x: float, y: float) -> ValueError:
    return ValueError(f"pow: {x!r} ** {y!r} is not a real number (a negative base needs "
                      "an integer exponent)")


def _scalar_div(x: float, y: float) -> float:
    if y == 0:
        raise ZeroDivisionError(f"/: {x!r} / {y!r} divides by zero")
    quotient = x / y
    # Python's float division gives inf past the largest float where x * y ** -1 would
    # raise in the power: said, as for **, unless an input was infinite already
    if (quotient == _INF or quotient == -_INF) and math.isfinite(x) and math.isfinite(y):
        raise OverflowError(f"/: {x!r} / {y!r} is larger than the largest float")
    return quotient


_INF = math.inf


def _scalar_sign(x: float) -> float:
    return (x > 0) - (x < 0)


def _scalar_relu(x: float) -> float:
    return x if x > 0 or x != x else 0.0  # nan stays nan, as in NumPy


def _whole_or_infinite(function, name: str):
    """`function` (math.floor, math.ceil, round) as a float, inf and nan as they are, and
    a 0 with x's sign, as NumPy's (Python's go through ints, which have neither)."""

    def stepped(x: float) -> float:
        if not math.isfinite(x):
            return x
        whole = float(function(x))
        return whole if whole else math.copysign(0.0, x)

    stepped.__name__ = name
    return stepped


def _scalar_remainder(x: float, y: float) -> float:
    if y == 0:
        raise ZeroDivisionError(f"%: {x!r} % {y!r} divides by zero")
    return x % y


def _scalar_floor_divide(x: float, y: float) -> float:
    if y == 0:
        raise ZeroDivisionError(f"//: {x!r} // {y!r} divides by zero")
    return x // y


def _scalar_where(cond: bool, a: float, b: float) -> float:
    return a if cond else b


def _scalar_select(mask: bool, g: float) -> float:
    return g if mask else 0.0


def _identity(x):
    return x


SCALAR = SimpleNamespace(
    name="scalar",
    exp=_scalar_exp,
    log=_scalar_log,
    sqrt=_scalar_sqrt,
    tanh=math.tanh,
    sigmoid=_scalar_sigmoid,
    relu=_scalar_relu,
    sin=_finite_only(math.sin, "sin"),
    cos=_finite_only(math.cos, "cos"),
    abs=abs,
    sign=_scalar_sign,
    floor=_whole_or_infinite(math.floor, "floor"),
    ceil=_whole_or_infinite(math.ceil, "ceil"),
    round=_whole_or_infinite(round, "round"),  # (half to even, as NumPy's and PyTorch's)
    remainder=_scalar_remainder,
    floor_divide=_scalar_floor_divide,
    zeros_like=lambda g: 0.0,
    pow=_scalar_pow,
    div=_scalar_div,
    where=_scalar_where,
    select=_scalar_select,
    constant=_identity,
)


# --------------------------------------------------------------------------------------
# NumPy arrays (Tensor)
# --------------------------------------------------------------------------------------


def floats(x: np.ndarray) -> np.ndarray:
    """`x` if it holds floats; integers and bools as the floats NumPy's exp turns them
    into (uint8 as float16, int64 as float64). For the rules that subtract before they
    exponentiate (sigmoid, the softmax family): unsigned ints would wrap around."""
    if x.dtype.kind in "fc":
        return x
    return x.astype(np.result_type(x.dtype, np.float16))


def _array_pow(x, y):
    """np.power(x, y), but nan for -inf to a fractional power (y not a whole number).

    C's pow, which NumPy's follows, gives inf (y > 0) or 0 (y < 0) there, as if -inf
    were an even number; over the reals a negative base has no fractional power, however
    large it is: nan, as at every finite negative base (PyTorch's too at ** 0.5 and
    ** -0.5, though not at ** 1.5, where it gives C's inf). (NumPy takes
    float32's and float64's ** 0.5 as sqrt, nan already, but not float16's, nor ** -0.5:
    the derivative of ** 0.5 came out 0.) Looked at only for a fractional exponent, so
    x ** 2 pays nothing; x ** 1.5 pays x's min, a tenth of the power's time or less.
    """
    result = np.power(x, y)
    if type(y) is int or not _maybe_fractional(y):
        return result
    lowest = (x.min() if x.size else 0.0) if isinstance(x, np.ndarray) else x
    if lowest == -np.inf or lowest != lowest:  # (a nan among x hides a -inf from min)
        at = np.equal(x, -np.inf) & (np.trunc(y) != y)  # (inf is whole, as 2.0**60)
        if at.any():
            result = np.where(at, np.nan, result)
    return result


def _maybe_fractional(y) -> bool:
    """False where `y` is surely a whole number (or an array of integers)."""
    if isinstance(y, float):  # (np.float64 too)
        return not y.is_integer() and y - y == 0  # (inf: whole; nan: no matter)
    dtype = getattr(y, "dtype", None)
    return dtype is not None and dtype.kind == "f"


def _array_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; the two branches are the two stable forms of 1/(1+e^-x).
    x = floats(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def max_kept(x: np.ndarray, axis) -> np.ndarray:
    """`x.max(axis=axis, keepdims=True)`: the shift that keeps exp from overflowing in
    softmax and its kin."""
    if x.ndim == 2 and axis in (1, -1) and x.shape[1]:
        # The rows of a matrix of logits: NumPy's max along a short last axis costs
        # about twice what argmax and a gather do, and this runs on every training step.
        return x[np.arange(x.shape[0]), x.argmax(axis=1)].reshape(-1, 1)
    if x.size == 0:  # no element to shift by (max has no identity): 0, of the kept shape
        return x.sum(axis=axis, keepdims=True)
    return x.max(axis=axis, keepdims=True)


def _array_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # Shifted by the max, so exp never overflows; the division is in place on a fresh array.
    x = floats(x)
    e = np.exp(x - max_kept(x, axis))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def sum_to(g, shape: tuple[int, ...]):
    """Sum a broadcast gradient back to `shape` (arrays or Tensors alike).

    Broadcasting prepends axes and stretches axes of size 1; the gradient of a
    broadcast is the sum over exactly those axes.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


def _array_broadcast_to(g, shape: tuple[int, ...]) -> np.ndarray:
    """`g` stretched to `shape` (the gradient of a sum), as an array of its own.

    Not np.broadcast_to's view: the gradient becomes some tensor's `.grad`, which must
    own its memory, so the view would be copied anyway; and filling a new array costs a
    tenth of making the view.
    """
    g = np.asarray(g)
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def _is_basic_index(index) -> bool:
    """True if `index` selects without integer or boolean arrays (no repeats possible)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts
    )


def _array_scatter_add(g: np.ndarray, index, shape: tuple[int, ...],
                       unique: bool = False) -> np.ndarray:
    """Zeros of `shape` with `g` added at `index`; repeated indices accumulate.

    With `unique`, the caller promises no index repeats.
    """
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    if unique or _is_basic_index(index):  # no repeats: plain assignment is much faster
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


# From this many elements on, selecting bit by bit beats np.where: measured on float32
# and float64, the two cross between 2,000 and 8,000 elements (np.where slows fourfold
# past about 8,000 on a mask of mixed signs); below, np.where's one call costs less.
_SELECT_BY_BITS = 4096
_SAME_WIDTH_INTS = {2: np.int16, 4: np.int32, 8: np.int64}


def _array_sign(x):
    """-1, 0 or 1 by the sign of each element, and 0 at nan (as `(x > 0) - (x < 0)` is on
    Values, and PyTorch's sgn): abs passes no gradient from a nan, on either kind."""
    sign = np.sign(x)
    return np.where(sign == sign, sign, 0) if sign.dtype.kind == "f" else sign


def _array_select(mask, g):
    """`g` where `mask` holds, else 0: the gradient of a relu, a clip or a where.

    Chosen, never multiplied by the mask: an inf or nan in `g` where the mask fails gives
    0 (inf * 0 would be nan), as in PyTorch, and as on Values and recorded backward.
    """
    try:
        small = g.size < _SELECT_BY_BITS  # (checked first: relu's, on every step)
    except AttributeError:  # a Python number
        small = True
    if small:
        return np.where(mask, g, 0.0)
    ints = _SAME_WIDTH_INTS.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if ints is None or getattr(mask, "shape", None) != g.shape or mask.dtype != bool:
        return np.where(mask, g, 0.0)
    # The mask as integers of g's width: -1 (all bits set) where it holds, 0 elsewhere;
    # ANDed with g's bits, it keeps g or gives +0.0. One array made, as by a multiply,
    # and made as floats: a view of ints would be copied again to become a `.grad`.
    selected = np.empty(g.shape, g.dtype)
    bits = selected.view(ints)
    np.negative(mask.view(np.int8), out=bits)
    np.bitwise_and(bits, g.view(ints), out=bits)
    return selected


ARRAY = SimpleNamespace(
    name="array",
    exp=np.exp,
    log=np.log,
    sqrt=np.sqrt,
    tanh=np.tanh,
    sigmoid=_array_sigmoid,
    relu=lambda x: np.maximum(x, 0),
    softmax=_array_softmax,
    sin=np.sin,
    cos=np.cos,
    abs=np.abs,
    sign=_array_sign,
    floor=np.floor,
    ceil=np.ceil,
    round=np.round,
    remainder=np.remainder,
    floor_divide=np.floor_divide,
    zeros_like=np.zeros_like,
    pow=_array_pow,
    div=np.divide,
    where=np.where,
    select=_array_select,
    constant=_identity,
    broadcast_to=_array_broadcast_to,
    scatter_add=_array_scatter_add,
)


# --------------------------------------------------------------------------------------
# Graph nodes (backward with create_graph=True); filled in by ops.py, which defines the
# ops these functions record.
# --------------------------------------------------------------------------------------

GRAPH = SimpleNamespace(name="graph")
