"""Every primitive op: its forward and its derivative rule, side by side.

An op is a class with two static methods:

    forward(xp, *inputs, **params) -> output
    backward(xp, g, out, *inputs, **params) -> one gradient per input (None: none)

`xp` is the numeric namespace (see `backends.py`): Python floats for Value, NumPy for
Tensor, and the graph itself when backward runs with `create_graph=True`, in which
case `g`, `out` and the inputs are nodes and each rule records the ops it uses, so the
derivative can be differentiated again. A rule that needs to know which inputs want a
gradient (to skip costly work) sets `needs_input_grad = True` and receives `needs`.

Adding an op means adding one class here and a one-line method on Value or Tensor.
The engine reduces every gradient back to its input's shape (broadcasting) after the
rule runs, so rules return gradients of the broadcast shape.

Composite functions that need no rule of their own (`stack`, say) live on Value and
Tensor as one-liners; `x - y` and `mean` have rules, for speed (and mean's, to sum
integers and float16 in a wider dtype).
"""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from . import backends
from .backends import ARRAY, GRAPH, SCALAR
from .graph import Node

__all__ = ["Op", "ShapeError"]


class ShapeError(ValueError):
    """Inputs whose shapes do not fit the op; the message names the op and the shapes."""


class Op:
    """Base of all primitive ops. See the module docstring for the protocol."""

    name = ""
    is_function = False  # True for user-defined `autodiff.Function`s
    needs_input_grad = False
    # Neither of the two above: backward's short path can call the rule directly.
    plain = True
    # True where backward reads `out`, the op's own result, so that changing the result
    # in place would make the gradient wrong (backward's in-place check asks).
    reads_output = False
    # The positions of the inputs whose values backward reads (None: all of them, as
    # for a user's Function). A change in place to any other input cannot make the
    # gradient wrong, so backward's in-place check lets it pass (x - running_mean, with
    # the mean updated under no_grad), as PyTorch checks only what an op saved.
    reads_inputs: tuple[int, ...] | None = None
    # For products: an input whose value backward reads only for the gradients of the
    # inputs listed (x of x * w, only for w's). Where none of those needs a gradient
    # (x * w with x a constant, a first layer's weight), a change to it is harmless,
    # and PyTorch, which then saves no copy of it, lets it pass too.
    reads_only_for: dict[int, tuple[int, ...]] | None = None
    # True where forward may return a view of its first input's memory (a reshape, a
    # slice): a change in place through the one is a change to the other, even where
    # the graph does not link them (a view made under no_grad).
    makes_view = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.plain = not (cls.is_function or cls.needs_input_grad)

    @staticmethod
    def forward(xp, *inputs, **params):
        raise NotImplementedError

    @staticmethod
    def backward(xp, g, out, *inputs, **params):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on nodes (and constants), recording it in the graph."""
        if inputs and isinstance(inputs[0], Node):  # most calls (x.op(...)): no loop
            return inputs[0]._record(cls, inputs, params)
        for x in inputs:
            if isinstance(x, Node):
                return x._record(cls, inputs, params)
        raise TypeError(f"{cls.name}: needs a Value or a Tensor among its inputs")


# ======================================================================================
# Arithmetic (broadcasting for Tensors)
# ======================================================================================


class Add(Op):
    """x + y"""

    name = "+"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, y):
        return x + y

    @staticmethod
    def backward(xp, g, out, x, y):  # d/dx = d/dy = 1
        return g, g


class AddN(Op):
    """x1 + x2 + ... + xn as one node (a neuron's weighted sum, a sum of losses)"""

    name = "add_n"
    reads_inputs = ()

    @staticmethod
    def forward(xp, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total

    @staticmethod
    def backward(xp, g, out, *xs):  # d/dxi = 1
        return (g,) * len(xs)


def add_n(terms):
    """The sum of many Values (or Tensors) as one node instead of a chain of `+`.

    `sum(terms)` gives the same number but makes len(terms) nodes; one node draws
    more readably and backpropagates faster. Numbers among the terms are constants.
    ValueError for no terms (there is no node to make).
    """
    terms = _sequence(terms, "add_n", "terms")
    if not terms:
        raise ValueError("add_n: needs at least one term")
    if not any(isinstance(t, Node) for t in terms):
        return sum(terms[1:], terms[0])
    return AddN.apply(*terms)


def _sequence(items, who: str, name: str) -> tuple:
    """`items` as a tuple, or TypeError naming `who` and the argument: a str is a
    sequence of characters, and an int is none."""
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{who}: {name} must be a sequence of Values, Tensors or numbers, "
                        f"got {type(items).__name__} {items!r:.40}")
    return tuple(items)


class WeightedSum(Op):
    """b + w1 x1 + ... + wn xn as one node (a neuron before its activation).

    Its inputs are (b, w1, ..., wn, x1, ..., xn). One node with 2n + 1 inputs instead of
    n products and a sum: a scalar network has several times fewer nodes to build, sort
    and backpropagate through (8 times fewer on micrograd's demo, 8,114 against 65,614).
    """

    name = "weighted_sum"

    @staticmethod
    def forward(xp, b, *weights_then_inputs):
        # b + w1 x1 + w2 x2 + ..., loops in C. (On floats, Python 3.12's sum()
        # compensates the rounding, so it may differ from a chain of + nodes in the
        # last bits; functools.reduce would keep the chain's bits at twice the cost.)
        n = len(weights_then_inputs) // 2
        return sum(map(operator.mul, weights_then_inputs[:n], weights_then_inputs[n:]), b)

    @staticmethod
    def backward(xp, g, out, b, *weights_then_inputs):  # d/dwi = xi, d/dxi = wi, d/db = 1
        n = len(weights_then_inputs) // 2
        scaled = [g * v for v in weights_then_inputs]  # g w1.. g wn, g x1.. g xn
        return (g, *scaled[n:], *scaled[:n])


def weighted_sum(weights, inputs, bias=0.0):
    """`bias + sum(w * x for w, x in zip(weights, inputs))` as one node.

    Args:
        weights, inputs: sequences of equal length of Values (or Tensors) and numbers.
        bias: a Value, Tensor or number.

    Raises:
        ValueError: the sequences differ in length or are empty.
    """
    if type(weights) is not list:  # (a neuron's own weights: a list, on every call)
        weights = _sequence(weights, "weighted_sum", "weights")
    if type(inputs) is not list:
        inputs = _sequence(inputs, "weighted_sum", "inputs")
    if len(weights) != len(inputs) or not weights:
        raise ValueError(f"weighted_sum: needs as many weights as inputs (at least one), "
                         f"got {len(weights)} weights and {len(inputs)} inputs")
    return WeightedSum.apply(bias, *weights, *inputs)


class Sub(Op):
    """x - y"""

    name = "-"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, y):
        return x - y

    @staticmethod
    def backward(xp, g, out, x, y):  # d/dx = 1, d/dy = -1
        return g, -g


class Mul(Op):
    """x * y"""

    name = "*"
    reads_inputs = (0, 1)
    reads_only_for = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(xp, x, y):
        return x * y

    @staticmethod
    def backward(xp, g, out, x, y):  # d/dx = y, d/dy = x
        return g * y, g * x


class Div(Op):
    """x / y"""

    name = "/"
    reads_inputs = (1,)
    reads_output = True

    @staticmethod
    def forward(xp, x, y):
        return xp.div(x, y)

    @staticmethod
    def backward(xp, g, out, x, y):  # d/dx = 1/y, d/dy = -x/y^2 = -out/y
        gx = xp.div(g, y)
        return gx, -gx * out


class Remainder(Op):
    """x % y, with the sign of y (Python's, NumPy's and torch.remainder's)"""

    name = "%"
    reads_inputs = (0, 1)
    reads_only_for = {0: (1,), 1: (1,)}  # (both read for y's gradient alone)

    @staticmethod
    def forward(xp, x, y):
        return xp.remainder(x, y)

    @staticmethod
    def backward(xp, g, out, x, y):  # x % y = x - floor(x / y) y: d/dx = 1, d/dy = -floor(x / y)
        # (the quotient is a constant: its own derivative is 0 wherever it has one)
        return g, -g * xp.floor_divide(xp.constant(x), xp.constant(y))


class FloorDivide(Op):
    """x // y, floor(x / y): a step function, whose derivative is 0 wherever it has
    one, and is taken as 0 at the steps (PyTorch's floor_divide has none)"""

    name = "//"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, y):
        return xp.floor_divide(x, y)

    @staticmethod
    def backward(xp, g, out, x, y):
        return xp.zeros_like(g), xp.zeros_like(g)


class Pow(Op):
    """x ** y"""

    name = "**"
    reads_inputs = (0, 1)
    reads_output = True
    needs_input_grad = True

    @staticmethod
    def forward(xp, x, y):
        return xp.pow(x, y)

    @staticmethod
    def backward(xp, g, out, x, y, needs=(True, True)):
        # d/dx = y x^(y-1), which is 0 where y = 0 (as in PyTorch). At x = 0 and y = 0,
        # x^(y-1) is taken as x^1, since x^-1 would make 0 * inf = nan; only there, so
        # that elsewhere the rule's own derivative in y, x^(y-1) (1 + y log x), holds.
        # (So with an array of exponents, y = 0 still gives nan where x^-1 or g is not
        # finite, at a nan or subnormal x: selecting 0 there would make that derivative
        # 0 at every y = 0, as PyTorch's masked rule does, where it is 1/x.)
        # d/dy = x^y log x, asked for only when y is a node, since log x is undefined
        # for the negative bases that integer exponents allow.
        # Both in the result's dtype first: an unsigned exponent's 0 - 1 would wrap round
        # to 255, and a float32 exponent (or base) would round the derivative of a
        # float64 result to float32.
        x, y = _as_dtype_of(out, x), _as_dtype_of(out, y)
        if not needs[0]:
            gx = None
        elif isinstance(y, (int, float, np.number)):  # x ** 2 and the like: one exponent
            if y != 0:
                gx = g * y * xp.pow(x, y - 1)
            else:  # 0, even where g is infinite, as in PyTorch: selected, not g * 0
                gx = xp.where(False, g, 0.0)  # (g's shape, without g's values)
        else:  # an array of exponents (NumPy or a node)
            at_zero = (xp.constant(x) == 0) & (xp.constant(y) == 0)
            gx = g * y * xp.pow(x, xp.where(at_zero, 1, y - 1))
        gy = None
        if needs[1]:
            # At x = 0, x^y is 0 for every y > 0, so d/dy is 0 there (as in PyTorch),
            # where x^y log x would be 0 * -inf: log is taken of 1 instead. For y < 0,
            # x^y is inf and x^y log x tends to -inf as x -> 0+: -inf, as in PyTorch
            # (inf * log 1 gave nan, which poisons every sum it enters). At x < 0,
            # x^y (an integer y) has no derivative in y over the reals: nan, as in
            # PyTorch, rather than an error that would lose d/dx too. A nan x keeps its
            # log, nan, as in PyTorch: nan^0 is 1, but its derivative in y is undefined
            # (log 1 gave 0, which hid the nan).
            base = xp.constant(x)
            log_x = xp.log(xp.where(base <= 0, 1.0, x))
            pole = (base == 0) & (xp.constant(y) < 0)  # (a bool on Values: 0 ** -inf)
            if pole if isinstance(pole, bool) else pole.any():
                log_x = xp.where(pole, -math.inf, log_x)
            gy = g * out * xp.where(base < 0, math.nan, log_x)
        return gx, gy


def _as_dtype_of(out, a):
    """Array or Tensor `a` in `out`'s dtype; numbers and Values as they are."""
    dtype = getattr(out, "dtype", None)
    if dtype is None or getattr(a, "dtype", dtype) == dtype or not hasattr(a, "astype"):
        return a
    return a.astype(dtype)


class Neg(Op):
    """-x"""

    name = "neg"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x):
        return -x

    @staticmethod
    def backward(xp, g, out, x):
        return (-g,)


# ======================================================================================
# Elementwise functions
# ======================================================================================


class Exp(Op):
    """exp(x)"""

    name = "exp"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x):
        return xp.exp(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = exp(x) = out
        return (g * out,)


class Log(Op):
    """log(x), natural"""

    name = "log"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x):
        return xp.log(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = 1/x
        return (xp.div(g, x),)


class Sqrt(Op):
    """sqrt(x)"""

    name = "sqrt"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x):
        return xp.sqrt(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = 1 / (2 sqrt(x))
        return (xp.div(g, 2 * out),)


class Abs(Op):
    """|x|"""

    name = "abs"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x):
        return xp.abs(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = sign(x), taken as 0 at 0 and at nan (PyTorch's)
        return (g * xp.sign(x),)


class _Steps(Op):
    """The step functions below: their derivative is 0 wherever it exists, and is taken
    as 0 at the steps too, as in PyTorch (a gradient of zeros, not none)."""

    reads_inputs = ()

    @staticmethod
    def backward(xp, g, out, x, **params):
        return (xp.zeros_like(g),)


class Floor(_Steps):
    """floor(x), the largest whole number <= x; derivative 0"""

    name = "floor"

    @staticmethod
    def forward(xp, x):
        return xp.floor(x)


class Ceil(_Steps):
    """ceil(x), the smallest whole number >= x; derivative 0"""

    name = "ceil"

    @staticmethod
    def forward(xp, x):
        return xp.ceil(x)


class Round(_Steps):
    """x rounded to the nearest whole number (or multiple of 10 ** -decimals), halves to
    even (as NumPy and PyTorch); derivative 0"""

    name = "round"

    @staticmethod
    def forward(xp, x, decimals=0):
        return xp.round(x) if decimals == 0 else np.round(x, decimals)


class Sign(_Steps):
    """-1, 0 or 1 by the sign of x, and 0 at nan (as PyTorch's); derivative 0"""

    name = "sign"

    @staticmethod
    def forward(xp, x):
        return xp.sign(x)


class Tanh(Op):
    """tanh(x)"""

    name = "tanh"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x):
        return xp.tanh(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = 1 - tanh(x)^2
        return (g * (1 - out * out),)


class Sigmoid(Op):
    """sigmoid(x) = 1 / (1 + exp(-x))"""

    name = "sigmoid"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x):
        return xp.sigmoid(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = s (1 - s)
        return (g * out * (1 - out),)


class Relu(Op):
    """max(x, 0)"""

    name = "relu"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x):
        return xp.relu(x)

    @staticmethod
    def backward(xp, g, out, x):
        # d/dx = 1 where x > 0, else 0 (0 at 0); read off the output, as PyTorch does, so
        # that a nan passes its gradient on (out is nan there, and nan != 0). Selected,
        # not multiplied: an inf or nan g stops where x <= 0, as in PyTorch.
        return (xp.select(xp.constant(out) != 0, g),)


class LeakyRelu(Op):
    """x where x > 0, else slope * x"""

    name = "leaky_relu"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x, slope=0.01):
        return xp.where(x > 0, x, x * slope)

    @staticmethod
    def backward(xp, g, out, x, slope=0.01):  # d/dx = 1 where x > 0, else slope
        return (xp.where(xp.constant(x) > 0, g, g * slope),)

    @staticmethod
    def slope(value) -> float:
        """The `slope` parameter as a float, or TypeError naming it (Values and Tensors
        alike)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"leaky_relu: slope must be a real number, got "
                            f"{type(value).__name__}")
        return float(value)


class Sin(Op):
    """sin(x)"""

    name = "sin"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x):
        return xp.sin(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = cos(x)
        return (g * xp.cos(x),)


class Cos(Op):
    """cos(x)"""

    name = "cos"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x):
        return xp.cos(x)

    @staticmethod
    def backward(xp, g, out, x):  # d/dx = -sin(x)
        return (-g * xp.sin(x),)


class Clip(Op):
    """x limited to [lo, hi], as np.clip and torch.clamp. The bounds are inputs (numbers,
    arrays or Tensors, which then take gradients too; -inf and inf for none)."""

    name = "clip"
    reads_inputs = (0, 1, 2)
    needs_input_grad = True  # constant bounds, the usual case, need no masks of their own

    @staticmethod
    def forward(xp, x, lo, hi):
        return np.minimum(np.maximum(x, lo), hi)  # nan anywhere gives nan, as in torch

    @staticmethod
    def backward(xp, g, out, x, lo, hi, needs=(True, True, True)):
        # Each element's gradient goes to whichever input it came from, with PyTorch's
        # masks: x inside the bounds (on them included), hi above it or wherever the
        # bounds cross (hi < lo: out is hi), lo below x otherwise. A nan sends none.
        x, lo, hi = xp.constant(x), xp.constant(lo), xp.constant(hi)
        to_x = (x >= lo) & (x <= hi) if needs[0] else None
        to_lo = (x < lo) & (lo < hi) if needs[1] else None
        to_hi = (x > hi) | (hi < lo) if needs[2] else None
        return tuple(None if mask is None else xp.select(mask, g)
                     for mask in (to_x, to_lo, to_hi))


def clip_bounds(dtype, lo, hi) -> tuple:
    """(lo, hi) for a clip of a tensor of `dtype`, a missing bound (None) made the
    widest value of the dtype np.clip gives with None: NumPy's result dtype for `dtype`
    and the other bound. So the bound changes no value and no dtype: a bool tensor and
    a Python int give int64, two bools stay bool and an int tensor and a Python int
    keep the tensor's dtype, where -inf or inf would lift them to float64; an int8
    tensor clipped below at an int64 1000 gives 1000 (its own limit 127 clipped it).
    A limit wider than `dtype` is a NumPy scalar of the result's dtype, since clip
    meets it first (a Python int of int64's range does not fit an int8 tensor, and a
    Python -inf would lift a float32 result to float64). ValueError where both are
    missing."""
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    if lo is not None and hi is not None:
        return lo, hi
    given = hi if lo is None else lo
    if not isinstance(given, (numbers.Number, np.generic)):  # a Tensor, an array, a list
        dtype_of = getattr(given, "dtype", None)
        given = dtype_of if dtype_of is not None else np.asarray(given).dtype
    try:  # (a Python number counts as NumPy 2 weighs it: weakly)
        result = np.result_type(dtype, given)
    except (TypeError, ValueError):  # clip then names what is wrong with the bound
        result = np.dtype(np.float64)
    if result.kind == "b":
        widest = (False, True)
    elif result.kind in "iu":
        limits = np.iinfo(result)
        widest = (int(limits.min), int(limits.max))
    else:
        widest = (-math.inf, math.inf)
    if result != dtype:
        widest = tuple(result.type(w) for w in widest)
    return (widest[0], hi) if lo is None else (lo, widest[1])


class Where(Op):
    """a where cond else b (cond is a constant boolean array)"""

    name = "where"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, cond, a, b):
        return xp.where(cond, a, b)

    @staticmethod
    def backward(xp, g, out, cond, a, b):
        return None, xp.select(cond, g), xp.select(np.logical_not(cond), g)


class Identity(Op):
    """x itself, as a node of its own: the variable a functional call (grad, jacobian)
    differentiates with respect to when its caller passes a node, so that f's other
    uses of that node (closed over) are not counted as uses of the variable"""

    name = "identity"
    reads_inputs = ()
    makes_view = True

    @staticmethod
    def forward(xp, x):
        return x

    @staticmethod
    def backward(xp, g, out, x):
        return (g,)


class Clone(Identity):
    """a copy of x (PyTorch's clone): the identity, in memory of its own"""

    name = "clone"

    @staticmethod
    def forward(xp, x):
        return x.copy()


class AsType(Op):
    """x converted to another float dtype"""

    name = "astype"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(xp, g, out, x, dtype):
        return (g.astype(x.dtype),)


# ======================================================================================
# Linear algebra
# ======================================================================================


def _matmul_shapes_error(a: tuple, b: tuple) -> str | None:
    """Why numpy.matmul rejects shapes a @ b, in the user's terms, or None if it won't."""
    if len(a) == 0 or len(b) == 0:
        return "matmul needs at least 1-D operands, got a 0-D (scalar) one"
    k_a = a[-1]
    k_b = b[-2] if len(b) > 1 else b[0]
    if k_a != k_b:
        return f"inner dimensions {k_a} and {k_b} differ"
    try:
        np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        return f"batch dimensions {a[:-2]} and {b[:-2]} do not broadcast"
    return None


class MatMul(Op):
    """x @ y, as numpy.matmul: 1-D, 2-D and batched (broadcast batch dimensions)"""

    name = "@"
    reads_inputs = (0, 1)
    reads_only_for = {0: (1,), 1: (0,)}
    needs_input_grad = True

    @staticmethod
    def forward(xp, x, y):
        why = _matmul_shapes_error(np.shape(x), np.shape(y))
        if why:
            raise ShapeError(f"matmul: {np.shape(x)} @ {np.shape(y)}: {why}")
        return x @ y

    @staticmethod
    def backward(xp, g, out, x, y, needs=(True, True)):
        # For matrices: dx = g y^T, dy = x^T g. A 1-D x is a row (1, k) and a 1-D y a
        # column (k, 1) while computing, as numpy.matmul treats them; the engine then
        # sums the batch dimensions a broadcast operand was stretched over.
        x_vec, y_vec = x.ndim == 1, y.ndim == 1
        x2 = x.reshape(1, -1) if x_vec else x
        y2 = y.reshape(-1, 1) if y_vec else y
        if x_vec and y_vec:
            g2 = g.reshape(1, 1)
        elif x_vec:
            g2 = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        elif y_vec:
            g2 = g.reshape(g.shape + (1,))
        else:
            g2 = g
        gx = gy = None
        if needs[0]:
            gx = g2 @ y2.mT
            if x_vec:
                gx = gx.reshape(gx.shape[:-2] + gx.shape[-1:])
        if needs[1]:
            gy = x2.mT @ g2
            if y_vec:
                gy = gy.reshape(gy.shape[:-1])
        return gx, gy


class Linear(Op):
    """x @ w.T + b, the affine map of nn.Linear (w of shape (out, in)); b may be None.

    One op rather than transpose, matmul and add: its backward computes dw = g^T x
    directly in w's layout, as hand-written backprop does, instead of the gradient of
    w.T followed by a transposed copy.
    """

    name = "linear"
    reads_inputs = (0, 1)
    reads_only_for = {0: (1,), 1: (0,)}
    needs_input_grad = True

    @staticmethod
    def forward(xp, x, w, b=None):
        x, w = np.asarray(x), np.asarray(w)
        if w.ndim != 2:
            raise ShapeError(f"linear: the weight must be a matrix (out, in), got shape "
                             f"{w.shape}")
        if x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise ShapeError(f"linear: input of shape {x.shape} does not fit a weight "
                             f"of shape {w.shape} (needs input (..., {w.shape[1]}))")
        if b is not None and not _broadcasts_to(np.shape(b), (w.shape[0],)):
            raise ShapeError(f"linear: bias of shape {np.shape(b)} does not fit a weight of "
                             f"shape {w.shape} (needs a bias of shape ({w.shape[0]},))")
        out = x @ w.T
        if b is None:
            return out
        if type(b) is np.ndarray and b.dtype == out.dtype:
            out += b  # out is freshly made here, so adding in place is safe
            return out
        return out + b  # NumPy's promotion: a float64 bias lifts a float32 product

    @staticmethod
    def backward(xp, g, out, x, w, b=None, needs=(True, True, True)):
        # dx = g w; dw = g^T x and db = the sum of g, both over every sample (and
        # every leading batch axis, hence the reshapes to 2-D).
        gx = g @ w if needs[0] else None
        g2 = g if g.ndim == 2 else g.reshape(_rows(g.shape), g.shape[-1])
        gw = g2.T @ (x if x.ndim == 2 else x.reshape(_rows(x.shape), x.shape[-1])) \
            if needs[1] else None
        if b is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if needs[2] else None)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if shape == target:  # most calls, without np.broadcast_shapes (1 us: a layer's step)
        return True
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _rows(shape: tuple) -> int:
    """The number of rows of `shape` seen as a matrix (..., n): -1 cannot say it when
    n is 0."""
    return math.prod(shape[:-1])


# ======================================================================================
# Reductions
# ======================================================================================


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes.

    A 0-d tensor has no axes, but 0 and -1 are accepted for it, as in PyTorch (so that
    `softmax()`'s default axis works on it): its axes are then ().
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got "
                        f"{type(axis).__name__} {axis!r}")
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for a tensor of {ndim} dimensions"
            )
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(normalized)) if ndim else ()


def _kept_shape(shape: tuple, axis) -> tuple:
    """`shape` after a reduction over `axis` with keepdims=True."""
    axes = normalize_axes(axis, len(shape), "reduce")
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    """sum of x over axis"""

    name = "sum"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(xp, g, out, x, axis=None, keepdims=False):  # every element: 1
        if not keepdims and axis is not None:  # (a total broadcasts as it is)
            g = g.reshape(_kept_shape(x.shape, axis))
        return (xp.broadcast_to(g, x.shape),)


def _count(shape: tuple, axis) -> int:
    """How many elements a reduction over `axis` takes for each of its results."""
    return math.prod(shape[a] for a in normalize_axes(axis, len(shape), "reduce"))


class Mean(Op):
    """mean of x over axis, as np.mean: integers and bools are summed in float64 and
    float16 in float32 (their own sum wraps round past 9.2e18, or overflows past 65504,
    where the mean fits); other floats in their own dtype"""

    name = "mean"
    reads_inputs = ()

    @staticmethod
    def forward(xp, x, axis=None, keepdims=False):
        count = _count(x.shape, axis)
        if count == 0:
            raise ValueError(f"mean: no elements to average over axis {axis} of shape "
                             f"{x.shape}")
        if x.dtype.kind in "fc" and x.dtype != np.float16:
            # float32 and float64 take every training step's loss: the sum times 1/n,
            # as sum() * (1 / n) gave it before mean had a rule, to the bit
            return x.sum(axis=axis, keepdims=keepdims) * (1.0 / count)
        wide = np.float32 if x.dtype == np.float16 else np.float64
        mean = np.true_divide(x.sum(axis=axis, keepdims=keepdims, dtype=wide), count)
        return mean.astype(x.dtype) if x.dtype == np.float16 else mean  # (np.mean's bits)

    @staticmethod
    def backward(xp, g, out, x, axis=None, keepdims=False):  # every element: 1/n
        if not keepdims and axis is not None:  # (a total broadcasts as it is)
            g = g.reshape(_kept_shape(x.shape, axis))
        return (xp.broadcast_to(g * (1.0 / _count(x.shape, axis)), x.shape),)


class Max(Op):
    """max of x over axis"""

    name = "max"
    reads_inputs = (0,)
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=None, keepdims=False):
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(xp, g, out, x, axis=None, keepdims=False):
        # The gradient goes to the maxima; at ties it is split evenly between them
        # (as NumPy-based peers do), so it still sums to g. A nan is the maximum of its
        # slice, as in NumPy's forward and PyTorch's max (nan == nan is False).
        kept = _kept_shape(x.shape, axis)
        values, top = xp.constant(x), xp.constant(out).reshape(kept)
        is_max = values == top
        if np.isnan(top).any():
            is_max |= np.isnan(values) & np.isnan(top)
        share = is_max / is_max.sum(axis=axis, keepdims=True)
        return (g.reshape(kept) * share.astype(x.dtype, copy=False),)


class Min(Max):
    """min of x over axis: the gradient goes to the minima, as Max's to the maxima (its
    rule reads only which elements equal the result). Not -max(-x): negation wraps
    around for unsigned ints and the smallest int64, and NumPy refuses it for bool."""

    name = "min"

    @staticmethod
    def forward(xp, x, axis=None, keepdims=False):
        return x.min(axis=axis, keepdims=keepdims)


# float32's smallest normal number. n squares below it (subnormal) are off by up to
# n * 2^-150 in all, within float32's rounding (2^-24) of a sum of at least n times it.
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def _float32_lost(squares, size: int):
    """None where float32 sums of squares (each of size / squares.size elements) are
    all finite and too large to have lost digits to squares that underflowed; else
    where they are not, as a mask (a nan among them: its float64 sum is nan too)."""
    if squares.size == 0:
        return None
    floor = _FLOAT32_TINY * (size // squares.size)
    if squares.ndim == 0:  # (a whole tensor's norm: one number, compared as a float)
        return None if floor <= float(squares) < math.inf else True
    if floor <= squares.min() and squares.max() < math.inf:  # (a nan fails the min)
        return None
    return ~((squares >= floor) & (squares < math.inf))


class Norm(Op):
    """the Euclidean norm sqrt(sum(x^2)) over axis (of all elements by default)"""

    name = "norm"
    reads_inputs = (0,)
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=None, keepdims=False):
        if x.dtype.kind not in "fc":  # in float64, as np.linalg.norm: a sum of squares
            x = x.astype(np.float64)  # of int8s would overflow float16 (floats' choice)
        elif x.dtype == np.float16:
            # squared in float32, as PyTorch accumulates a float16 norm: float16's
            # squares overflow past 256 and vanish below 2.4e-4, where the norm fits
            return Norm.forward(xp, x.astype(np.float32), axis, keepdims).astype(x.dtype)
        if x.dtype != np.float32:
            return np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))
        # float32's squares overflow past 1.8e19 and lose digits below 1.1e-19, where
        # the norm itself fits float32: it came out inf or 0, and its gradient x / norm
        # 0 or far too large (so did std's, the norm of the deviations, where PyTorch,
        # which squares them in float64, is right). Those norms are taken again in
        # float64. Only those: the check costs a comparison (and ignoring the
        # overflow 1 us), where squaring every float32 norm in float64 costs 1.6 times.
        with np.errstate(over="ignore"):  # (no warning for a norm that fits)
            squares = (x * x).sum(axis=axis, keepdims=keepdims)
        norm = np.sqrt(squares)
        lost = _float32_lost(squares, x.size)
        if lost is not None:
            wide = np.sqrt(np.square(x, dtype=np.float64).sum(axis=axis, keepdims=keepdims))
            norm = np.where(lost, wide.astype(np.float32), norm)
        return norm

    @staticmethod
    def backward(xp, g, out, x, axis=None, keepdims=False):
        # d/dx = x / norm. At a norm of 0 that is 0/0: there every x is 0, and the
        # derivative taken is 0, the subgradient PyTorch takes (sqrt(sum(x^2)) written
        # out would give nan)
        kept = _kept_shape(x.shape, axis)
        return (g.reshape(kept) * _ratio_or_zero(xp, x, out.reshape(kept)),)


def _ratio_or_zero(xp, x, s):
    """x / s, and 0 where s is 0 (where norm's and std's derivatives are 0/0, and are
    taken as 0). The 0 is a constant branch of `where`, not x / 1, so that the second
    derivative there is 0 too, as abs's at 0 (a norm of one element is its abs), where
    x / 1 gave 1 / 1."""
    nonzero = xp.constant(s) != 0
    return xp.where(nonzero, xp.div(x, xp.where(nonzero, s, 1.0)), 0.0)


def degrees_of_freedom(op: str, shape: tuple, axis, ddof) -> int:
    """n - ddof for var or std over `axis` of `shape`, or ValueError naming `op`: ddof
    must be an int >= 0 that leaves at least one (NumPy and PyTorch give nan)."""
    if isinstance(ddof, (bool, np.bool_)):  # PyTorch's var(dim, unbiased), by position
        raise ValueError(f"{op}: ddof must be an int >= 0, got {ddof!r} (the argument after "
                         f"the axis is NumPy's ddof here, not PyTorch's unbiased: write "
                         f"{op}(axis, ddof=1) or {op}(axis, unbiased=True))")
    if not isinstance(ddof, (int, np.integer)) or ddof < 0:
        raise ValueError(f"{op}: ddof must be an int >= 0, got {ddof!r}")
    count = _count(shape, axis)
    if count - ddof <= 0:
        raise ValueError(f"{op}: {count} element(s) over axis {axis} of shape {shape} "
                         f"leave no degree of freedom with ddof={ddof} (NumPy and "
                         "PyTorch give nan)")
    return count - int(ddof)


def _deviations(x, axis):
    """x - mean(x) over `axis` (kept), on arrays or nodes, in the dtype var and std work
    in: float64 for float32, whose squares overflow past 1.8e19 and vanish below 1e-19
    where PyTorch, which accumulates them in float64, stays finite (var and std are not
    on a training step's path, so no fallback is worth its code); float32 for float16,
    as PyTorch; float64 for integers and bools, as NumPy. The mean is np.var's, the sum
    divided by n, so that float64's var and std are NumPy's to the bit."""
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    elif x.dtype == np.float32 or x.dtype.kind in "biu":
        x = x.astype(np.float64)
    return x - x.sum(axis=axis, keepdims=True) / _count(x.shape, axis)


def _centred(x, axis):
    """The deviations of x for a gradient. In x's own dtype (float64) they are centred
    once more: their mean is 0 but for the rounding of x's mean, which this cancels (as
    the graph of mean, subtraction and squares did when var was built of them), so that
    the gradient stays exact to the rounding of each deviation at a large offset, where
    PyTorch's loses digits (8e-10 relative at an offset of 1e7). Computed wider than
    x, they need no second pass: the mean's rounding is far below x's precision, and
    the second pass would add the rounding of the largest deviations to the smallest
    (a float32 std of [1e20, -1e20, 1, 0] gave 2.2e-21 for 1's gradient, not 2.65e-21)."""
    d = _deviations(x, axis)
    if d.dtype != x.dtype:
        return d
    return d - d.sum(axis=axis, keepdims=True) / _count(x.shape, axis)


def _wide_variance(op: str, x, axis, ddof, keepdims):
    """np.var of x, in the wider dtype of its deviations (see _deviations)."""
    freedom = degrees_of_freedom(op, x.shape, axis, ddof)
    d = _deviations(x, axis)
    return (d * d).sum(axis=axis, keepdims=keepdims) / freedom


def _in_dtype(a, dtype):
    """Array or node `a` as `dtype` (a gradient back in its input's dtype)."""
    return a if a.dtype == dtype else a.astype(dtype)


class Var(Op):
    """the variance over axis: the sum of the squared deviations from the mean divided
    by n - ddof, as np.var (in a wider dtype for float16 and float32, see _deviations;
    the result in x's float dtype, float64 for integers)"""

    name = "var"
    reads_inputs = (0,)

    @staticmethod
    def forward(xp, x, axis=None, ddof=0, keepdims=False):
        var = _wide_variance("var", x, axis, ddof, keepdims)
        return var.astype(x.dtype) if x.dtype.kind == "f" else var

    @staticmethod
    def backward(xp, g, out, x, axis=None, ddof=0, keepdims=False):
        # d/dx = 2 (x - mean) / (n - ddof), in var's wider dtype (a float16 deviation
        # overflows past 65504), then in x's
        freedom = degrees_of_freedom("var", x.shape, axis, ddof)
        scale = g.reshape(_kept_shape(x.shape, axis)) * (2.0 / freedom)  # (one per slice)
        return (_in_dtype(_centred(x, axis) * scale, x.dtype),)


class Std(Op):
    """the standard deviation over axis, as np.std: the square root of var's variance,
    taken in var's wider dtype (a float32 std of 7e19 fits where its variance does not)"""

    name = "std"
    reads_inputs = (0,)
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=None, ddof=0, keepdims=False):
        std = np.sqrt(_wide_variance("std", x, axis, ddof, keepdims))
        return std.astype(x.dtype) if x.dtype.kind == "f" else std

    @staticmethod
    def backward(xp, g, out, x, axis=None, ddof=0, keepdims=False):
        # d/dx = (x - mean) / ((n - ddof) std), in var's wider dtype. Where std is 0,
        # every deviation is 0, and the derivative taken is 0, as in PyTorch (the
        # square root of var would give 0 * inf = nan), as for norm at 0.
        freedom = degrees_of_freedom("std", x.shape, axis, ddof)
        kept = _kept_shape(x.shape, axis)
        d = _centred(x, axis)
        std = _in_dtype(out.reshape(kept), d.dtype)
        scale = g.reshape(kept) * (1.0 / freedom)  # (one per slice)
        return (_in_dtype(_ratio_or_zero(xp, d, std) * scale, x.dtype),)


class LogSumExp(Op):
    """log(sum(exp(x))) over axis, shifted by the max so large inputs stay finite"""

    name = "logsumexp"
    reads_inputs = (0,)
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=-1, keepdims=False):
        x = backends.floats(x)
        shift = backends.max_kept(x, axis)
        shift = np.where(np.isfinite(shift), shift, 0)
        total = np.exp(x - shift).sum(axis=axis, keepdims=True)
        with np.errstate(divide="ignore"):  # a sum of nothing (or of exp(-inf)): -inf
            out = np.log(total) + shift
        return out if keepdims else np.squeeze(out, axis=axis)

    @staticmethod
    def backward(xp, g, out, x, axis=-1, keepdims=False):  # d/dx = softmax(x)
        kept = _kept_shape(x.shape, axis)
        return (g.reshape(kept) * xp.exp(x - out.reshape(kept)),)


class LogSoftmax(Op):
    """x - logsumexp(x) over axis"""

    name = "log_softmax"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=-1):
        x = backends.floats(x)
        shifted = x - backends.max_kept(x, axis)
        if shifted.size == 0:  # (log of an empty sum would warn)
            return shifted
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(xp, g, out, x, axis=-1):  # J^T g = g - softmax * sum(g)
        return (g - xp.exp(out) * g.sum(axis=axis, keepdims=True),)


class Softmax(Op):
    """exp(x) / sum(exp(x)) over axis"""

    name = "softmax"
    reads_inputs = ()
    reads_output = True

    @staticmethod
    def forward(xp, x, axis=-1):
        return ARRAY.softmax(x, axis)

    @staticmethod
    def backward(xp, g, out, x, axis=-1):  # J^T g = s * (g - sum(g * s))
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


def _check_reduction(op: str, reduction: str) -> None:
    """ValueError naming `op` unless `reduction` is one the losses know."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")


class NLLLoss(Op):
    """-log_probs[i, labels[i]] for each sample i, averaged ("mean"), summed ("sum") or
    not ("none"): the loss of log-probabilities (from log_softmax) at integer labels"""

    name = "nll"
    reads_inputs = (1,)

    @staticmethod
    def forward(xp, log_probs, labels, reduction="mean"):
        _check_reduction("nll", reduction)
        picked = log_probs[np.arange(len(labels)), labels]
        if reduction == "none":
            return -picked
        # negating the one total rather than every sample; sum / n is what mean() does
        total = picked.sum()
        return -(total / len(labels)) if reduction == "mean" else -total

    @staticmethod
    def backward(xp, g, out, log_probs, labels, reduction="mean"):
        # d/d log_probs[i, j] = -(weight of sample i) where j = labels[i], else 0
        # A reduced loss sends one number to every sample; the assignment in scatter_add
        # broadcasts it, so no per-sample copy is made.
        n = len(labels)
        weight = -g * (1.0 / n) if reduction == "mean" else -g
        index = (np.arange(n), labels)  # one entry per row: no index repeats
        return xp.scatter_add(weight, index, log_probs.shape, unique=True), None


class CrossEntropy(Op):
    """nll of log_softmax(logits) over axis 1, as one node: the cross-entropy of logits
    (n, k) at integer labels, reduced as NLLLoss is"""

    name = "cross_entropy"
    reads_inputs = (0, 1)

    @staticmethod
    def forward(xp, logits, labels, reduction="mean"):
        # -log_softmax(logits)[i, label i] = logsumexp(row i) - logits[i, label i], both
        # shifted by the row's max: the same numbers as NLLLoss of LogSoftmax, without
        # the (n, k) matrix of log-probabilities, since only n of them are read
        _check_reduction("cross_entropy", reduction)
        logits = backends.floats(logits)
        shifted = logits - backends.max_kept(logits, 1)  # each row's max is now 0
        picked = shifted[np.arange(len(labels)), labels]
        losses = np.log(np.exp(shifted).sum(axis=1)) - picked  # a sum >= exp(0) = 1
        if reduction == "none":
            return losses
        total = losses.sum()
        return total / len(labels) if reduction == "mean" else total

    @staticmethod
    def backward(xp, g, out, logits, labels, reduction="mean"):
        # The two rules above, chained and simplified: d/d logits[i] = w_i (softmax(logits
        # [i]) - onehot(labels[i])), w_i the weight of sample i (1/n of g for "mean").
        # The softmax is recomputed: a node keeps only its inputs and output.
        n = len(labels)
        weight = g * (1.0 / n) if reduction == "mean" else g
        row_weights = weight.reshape(-1, 1) if reduction == "none" else weight
        at_labels = xp.scatter_add(weight, (np.arange(n), labels), logits.shape, unique=True)
        return xp.softmax(logits, 1) * row_weights - at_labels, None


# ======================================================================================
# Shapes and indexing
# ======================================================================================


class Reshape(Op):
    """x with a new shape"""

    name = "reshape"
    reads_inputs = ()
    makes_view = True

    @staticmethod
    def forward(xp, x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(xp, g, out, x, shape):
        return (g.reshape(x.shape),)


class Transpose(Op):
    """x with its axes permuted (None: reversed)"""

    name = "transpose"
    reads_inputs = ()
    makes_view = True

    @staticmethod
    def forward(xp, x, axes=None):
        return x.transpose(axes)

    @staticmethod
    def backward(xp, g, out, x, axes=None):  # the inverse permutation
        return (g.transpose(None if axes is None else tuple(np.argsort(axes))),)


class BroadcastTo(Op):
    """x stretched to a broadcast shape"""

    name = "broadcast_to"
    reads_inputs = ()
    makes_view = True

    @staticmethod
    def forward(xp, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(xp, g, out, x, shape):
        return (backends.sum_to(g, x.shape),)


class GetItem(Op):
    """x[index]: basic and integer-array indexing; repeated indices accumulate"""

    name = "getitem"
    reads_inputs = ()
    makes_view = True

    @staticmethod
    def forward(xp, x, index):
        return x[index]

    @staticmethod
    def backward(xp, g, out, x, index):
        return (xp.scatter_add(g, index, x.shape),)


class ScatterAdd(Op):
    """zeros of `shape` with g added at `index` (the derivative of getitem); `unique`
    promises that no index repeats, so plain assignment does"""

    name = "scatter_add"
    reads_inputs = ()

    @staticmethod
    def forward(xp, g, index, shape, unique=False):
        return xp.scatter_add(g, index, shape, unique)

    @staticmethod
    def backward(xp, g, out, x, index, shape, unique=False):
        return (g[index],)


class Concatenate(Op):
    """inputs joined along axis"""

    name = "concatenate"
    reads_inputs = ()

    @staticmethod
    def forward(xp, *xs, axis=0):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(xp, g, out, *xs, axis=0):  # each input gets its own slice back
        axis %= g.ndim
        lead = (slice(None),) * axis
        grads, start = [], 0
        for x in xs:
            size = np.shape(xp.constant(x))[axis]
            grads.append(g[lead + (slice(start, start + size),)])
            start += size
        return grads


# ======================================================================================
# The graph namespace: each function records the op above that computes it.
# ======================================================================================


def _plain_namespace(args):
    return ARRAY if any(isinstance(a, np.ndarray) for a in args) else SCALAR


def _on_nodes(op, name: str):
    """`op` recorded in the graph when an argument is a node; on constants (the base of
    `2 ** x`, say) the plain function, since there is nothing to record."""

    def graph_function(*args):
        if any(isinstance(a, Node) for a in args):
            return op.apply(*args)
        return getattr(_plain_namespace(args), name)(*args)

    graph_function.__name__ = name
    return graph_function


def _node_sign(x):
    x = x.data if isinstance(x, Node) else x
    return _plain_namespace((x,)).sign(x)


def _node_floor_divide(x, y):  # (of constants only: the quotient in %'s derivative)
    return _plain_namespace((x, y)).floor_divide(x, y)


def _node_zeros_like(g):
    # a node, as every gradient under create_graph (zeros selected from g, which keeps
    # them 0 where g is inf or nan, as g * 0 would not)
    if isinstance(g, Node):
        return Where.apply(np.zeros(np.shape(g.data), dtype=bool), g, 0.0)
    return _plain_namespace((g,)).zeros_like(g)


def _node_constant(x):
    return x.data if isinstance(x, Node) else x


def _node_softmax(x, axis=-1):
    if isinstance(x, Node):
        return Softmax.apply(x, axis=axis)
    return ARRAY.softmax(x, axis)


def _node_where(cond, a, b):
    if isinstance(a, Node) or isinstance(b, Node):
        return Where.apply(cond, a, b)
    return _plain_namespace((cond, a, b)).where(cond, a, b)


def _node_select(mask, g):
    if isinstance(g, Node):
        return Where.apply(mask, g, 0.0)
    return _plain_namespace((mask, g)).select(mask, g)


# A first-order seed is a plain array beside nodes (see functional.grad), so the
# gradient reaching these may be a constant too.
def _node_broadcast_to(x, shape):
    if isinstance(x, Node):
        return BroadcastTo.apply(x, shape=shape)
    return ARRAY.broadcast_to(x, shape)


def _node_scatter_add(g, index, shape, unique=False):
    if isinstance(g, Node):
        return ScatterAdd.apply(g, index=index, shape=shape, unique=unique)
    return ARRAY.scatter_add(g, index, shape, unique)


vars(GRAPH).update(
    {name: _on_nodes(op, name) for name, op in [
        ("exp", Exp), ("log", Log), ("sqrt", Sqrt), ("tanh", Tanh), ("sigmoid", Sigmoid),
        ("sin", Sin), ("cos", Cos), ("abs", Abs), ("pow", Pow), ("div", Div),
    ]},
    sign=_node_sign,
    floor_divide=_node_floor_divide,
    zeros_like=_node_zeros_like,
    softmax=_node_softmax,
    where=_node_where,
    select=_node_select,
    constant=_node_constant,
    broadcast_to=_node_broadcast_to,
    scatter_add=_node_scatter_add,
)
