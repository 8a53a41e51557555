"""`Value`: a scalar node over a Python float, micrograd-style, on the shared graph core."""

from __future__ import annotations

import numbers

import numpy as np

from . import ops
from .backends import GRAPH, SCALAR
from .graph import Elsewhere, Node, _grad_mode
from .graph import backward as _backward

__all__ = ["Value"]


def _as_float(x: object) -> float | None:
    """A real number as a float; None if `x` is not one. OverflowError, naming the
    number, for an int beyond the largest float."""
    if type(x) is float:
        return x
    if isinstance(x, (numbers.Real, np.bool_)):  # int, bool, NumPy's scalars
        try:
            return float(x)
        except OverflowError:
            if not isinstance(x, numbers.Integral):
                raise
            # (str() of an int past 4,300 digits raises: the size from its bits instead)
            raise OverflowError(f"an int of about 10^{int(x.bit_length() * 0.30103)} is "
                                "larger than the largest float (about 1.8e308)") from None
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return float(x)  # a 0-d array: a number, as a NumPy scalar is
    return None


class Value(Node):
    """A scalar that remembers how it was computed, so its derivatives can be.

    Args:
        data: a real number (int, float, or a NumPy scalar); stored as a float.
        label: a name shown in reprs and drawings.

    Raises:
        TypeError: `data` is not a real number (a string, None, a list, an array...).

    Arithmetic stays in the real numbers, and an op outside its domain raises at once,
    naming the op and its operands, where a Tensor (NumPy) would give inf or nan:
    ValueError for log(x <= 0), sqrt(x < 0) and a negative number to a fractional power;
    ZeroDivisionError for x / 0 and 0 ** negative; OverflowError when the result of
    exp, ** or / exceeds the largest float. `+ - *` follow float arithmetic instead, as
    micrograd's do: inf past the largest float.

    Backward computes each derivative with the same arithmetic, so it raises where that
    does, naming the op and its inputs: where a derivative is infinite (sqrt's and
    x ** 0.5's at 0: ZeroDivisionError) or too large for a float (log's at 1e-320:
    OverflowError). A derivative that overflows in a product is inf, as the product is
    (d/dy of x / y is -x/y**2: -inf at x = 1, y = 1e-200). The derivative in y of
    x ** y at a negative x does not exist over the reals: it is nan, as in PyTorch,
    rather than an error that would lose d/dx too.

    Example::

        >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        >>> c = a * b + a.exp()
        >>> c.backward()
        >>> a.grad, b.grad          # dc/da = b + exp(a), dc/db = a
        (4.38905609893065, 2.0)
    """

    __slots__ = ()
    _math = SCALAR
    _graph_math = GRAPH
    requires_grad = _requires_grad = True  # every Value takes part in differentiation
    _grad_is_number = True

    def __init__(self, data: float, label: str = "") -> None:
        value = _as_float(data)
        if value is None:
            raise TypeError(
                f"Value(data) needs a real number (int or float), got "
                f"{type(data).__name__}: {data!r}"
            )
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}")
        self.data = value
        self.grad = 0.0
        self.label = label
        self._op = None
        self._parents = ()
        self._ctx = None
        self._pending = None
        self._scope = _grad_mode.scope

    # -- recording ----------------------------------------------------------------------

    def _record(self, op, inputs, params):
        # (a comprehension: weighted_sum nodes have dozens of inputs)
        try:
            data = [x.data if type(x) is Value else _constant(op, x) for x in inputs]
        except _NotPlain:  # a NumPy scalar, say: every constant becomes a float first,
            # also in the inputs backward reads, or float32 would spread to the grads
            inputs = tuple(x if type(x) is Value else _number(op, x) for x in inputs)
            data = [x.data if type(x) is Value else x for x in inputs]
        try:
            result = op.forward(SCALAR, *data, **params)
        except TypeError:
            _refuse_assigned_data(op, inputs)
            raise
        return _result(op, inputs, result, params or None)

    # -- arithmetic: a Value or a number on either side -----------------------------------

    def __add__(self, other):  # self + other
        return _binary(ops.Add, self, other)

    def __radd__(self, other):  # other + self
        return _binary(ops.Add, other, self)

    def __sub__(self, other):  # self - other
        return _binary(ops.Sub, self, other)

    def __rsub__(self, other):  # other - self
        return _binary(ops.Sub, other, self)

    def __mul__(self, other):  # self * other
        return _binary(ops.Mul, self, other)

    def __rmul__(self, other):  # other * self
        return _binary(ops.Mul, other, self)

    def __truediv__(self, other):  # self / other
        return _binary(ops.Div, self, other)

    def __rtruediv__(self, other):  # other / self
        return _binary(ops.Div, other, self)

    def __pow__(self, other):  # self ** other
        return _binary(ops.Pow, self, other)

    def __rpow__(self, other):  # other ** self
        return _binary(ops.Pow, other, self)

    def __mod__(self, other):  # self % other
        return _binary(ops.Remainder, self, other)

    def __rmod__(self, other):  # other % self
        return _binary(ops.Remainder, other, self)

    def __floordiv__(self, other):  # self // other
        return _binary(ops.FloorDivide, self, other)

    def __rfloordiv__(self, other):  # other // self
        return _binary(ops.FloorDivide, other, self)

    def __neg__(self):  # -self
        return _unary(ops.Neg, self)

    def __abs__(self):  # |self|
        return _unary(ops.Abs, self)

    def __pos__(self):
        return self

    # -- functions ------------------------------------------------------------------------

    def exp(self) -> Value:
        """e ** self. OverflowError when the result exceeds the largest float."""
        return _unary(ops.Exp, self)

    def log(self) -> Value:
        """The natural logarithm. ValueError for self <= 0 (a Tensor gives -inf or nan)."""
        return _unary(ops.Log, self)

    def sqrt(self) -> Value:
        """The square root. ValueError for self < 0 (a Tensor gives nan)."""
        return _unary(ops.Sqrt, self)

    def abs(self) -> Value:
        """|self|; its derivative at 0 is taken as 0."""
        return _unary(ops.Abs, self)

    def tanh(self) -> Value:
        """The hyperbolic tangent; derivative 1 - tanh(x)**2."""
        return _unary(ops.Tanh, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), computed without overflow; derivative s (1 - s)."""
        return _unary(ops.Sigmoid, self)

    def relu(self) -> Value:
        """max(self, 0); its derivative at 0 is taken as 0."""
        return _unary(ops.Relu, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self where self > 0, else slope * self (slope a real number)."""
        return self._record(ops.LeakyRelu, (self,), {"slope": ops.LeakyRelu.slope(slope)})

    def sin(self) -> Value:
        """The sine; derivative cos."""
        return _unary(ops.Sin, self)

    def cos(self) -> Value:
        """The cosine; derivative -sin."""
        return _unary(ops.Cos, self)

    def floor(self) -> Value:
        """The largest whole number <= self, as a float; derivative 0."""
        return _unary(ops.Floor, self)

    def ceil(self) -> Value:
        """The smallest whole number >= self, as a float; derivative 0."""
        return _unary(ops.Ceil, self)

    def round(self) -> Value:
        """The nearest whole number, halves to even (Python's round), as a float;
        derivative 0."""
        return _unary(ops.Round, self)

    def sign(self) -> Value:
        """-1.0, 0.0 or 1.0 by the sign of self (0.0 at nan); derivative 0."""
        return _unary(ops.Sign, self)

    # -- comparisons on .data; identity hashing -------------------------------------------

    def __lt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data < other

    def __le__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data <= other

    def __gt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data > other

    def __ge__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data >= other

    def __eq__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data == other

    def __ne__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data != other

    __hash__ = Node.__hash__

    # -- differentiation ------------------------------------------------------------------

    def backward(self, **options) -> None:
        """Add d(self)/d(node) to `.grad` of every node self depends on, self included.

        Each call adds once, so calling it twice doubles every grad. Works on graphs
        of any depth. It takes no options: the graph is always kept (micrograd's
        rule), and derivatives of derivatives come from `autodiff.grad`.
        """
        if options:
            raise TypeError(f"Value.backward() takes no arguments, got "
                            f"{', '.join(options)}: a Value's graph is always kept, and "
                            "higher derivatives come from autodiff.grad (grad(grad(f)))")
        _backward(self, 1.0, retain_graph=True, create_graph=False)

    def _added_grad(self, g, owned):
        return self.grad + g

    def zero_grad(self) -> None:
        """Set `.grad` to 0.0 on this node and every node it was computed from."""
        stack, seen = [self], {id(self)}
        while stack:
            node = stack.pop()
            node.grad = 0.0
            for parent in node._parents:
                if isinstance(parent, Value) and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}" for name, value in (("label", self.label), ("op", self.op))
            if value
        )
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __bool__(self) -> bool:
        # `if v:` tests the number, as for a Tensor, a PyTorch tensor or a float (an
        # object's default would make Value(0.0) true)
        return self.data != 0

    def item(self) -> float:
        """The number, as PyTorch's and a Tensor's `item()` give it (outside the graph)."""
        return self.data

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}" formats `.data` (no __float__ needed)
        if spec:
            return format(self.data, spec)
        return super().__format__(spec)

    def __float__(self):
        # Refused, with the way out: a float conversion would let math.exp(v) quietly
        # give a float outside the graph (a constant to every gradient after it).
        raise TypeError(f"float() of a Value is refused: its number is v.data (or "
                        f"v.item()), here {self.data!r}; math's functions of a Value "
                        f"would leave the graph: use its ops (v.exp(), v.tanh(), v ** 0.5)")


# -- the fast paths the operators use ---------------------------------------------------


def _data_of(x: object) -> float | None:
    return x.data if type(x) is Value else _as_float(x)


class _NotPlain(Exception):
    """A constant that is not a Python float or int (see Value._record)."""


def _constant(op, x):
    """A non-Value input of an op, if it is a Python float or an int a float can hold
    (most constants)."""
    if type(x) is float or (type(x) is int and -_LARGEST < x < _LARGEST):
        return x
    raise _NotPlain


_LARGEST = 2**1024  # ints from here on overflow a float: _number says so


def _number(op, x) -> float:
    """A non-Value input of an op as a float; anything but a real number refused."""
    if isinstance(x, Node):
        raise TypeError(f"{op.name}: cannot combine a Value with a {type(x).__name__}")
    value = _as_float(x)
    if value is None:
        raise TypeError(f"{op.name}: needs Values and real numbers, got "
                        f"{type(x).__name__} {x!r:.40}")
    return value


def _result(op, parents: tuple, data: float, ctx) -> Value:
    if type(data) is not float:
        data = _plain_result(op, parents, data)
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._pending = None
    mode = _grad_mode
    out._scope = mode.scope
    if mode.enabled:
        out._op = op
        out._parents = parents
        out._ctx = ctx
    else:
        out._op = None
        out._parents = ()
        out._ctx = None
    if mode.tracer is not None:
        mode.tracer.on_create(out, op)
    return out


def _plain_result(op, parents: tuple, data) -> float:
    """An op's result that is not a float, as one: a NumPy or int number (from a .data
    set by hand to one) is converted; anything else comes from a .data set by hand to
    what is not a number, and is refused."""
    if isinstance(data, (numbers.Real, np.number)) and not isinstance(data, (bool, Node)):
        return float(data)
    _refuse_assigned_data(op, parents)
    raise TypeError(f"{op.name}: its result is a {type(data).__name__}, not a number")


def _refuse_assigned_data(op, parents: tuple) -> None:
    """Raise if an input's .data is not a real number (it was set by hand): a Value
    there would nest the graph inside .data, and training would go on, wrong."""
    for x in parents:
        if type(x) is Value and (isinstance(x.data, (bool, Node))
                                 or not isinstance(x.data, (numbers.Real, np.number))):
            who = f"Value '{x.label}'" if x.label else "a Value"
            hint = (" (`p.data -= lr * p`, where p.grad was meant, puts a Value there)"
                    if isinstance(x.data, Value) else "")
            raise TypeError(f"{op.name}: the .data of {who} is a {type(x.data).__name__}, "
                            f"not a number: was it set by hand?{hint} A Value's .data "
                            "is a float")


def _unary(op, x: Value) -> Value:
    try:
        data = op.forward(SCALAR, x.data)
    except TypeError:
        _refuse_assigned_data(op, (x,))
        raise
    return _result(op, (x,), data, None)


def _binary(op, x, y):
    """`op` on two operands, at least one a Value; NotImplemented for non-numbers."""
    if type(x) is Value:
        xd = x.data
    else:
        xd = x = _as_float(x)
        if x is None:  # Python then tries the other side: a Tensor's, which explains; an
            return NotImplemented  # array's, which applies the Value to each element
    if type(y) is Value:
        yd = y.data
    else:
        yd = y = _as_float(y)
        if y is None:
            return NotImplemented
    try:
        data = op.forward(SCALAR, xd, yd)
    except TypeError:
        _refuse_assigned_data(op, (x, y))
        raise
    return _result(op, (x, y), data, None)


# micrograd's private names, pointing to ours where they are read
_MICROGRAD_NAMES = {
    "_prev": "a Value's inputs are v.parents (micrograd's _prev, here a tuple)",
    "_backward": "each op's derivative is the backward rule beside its forward in "
                 "autodiff/ops.py (v.op names the op), and v.backward() runs them all",
}
for _name, _hint in _MICROGRAD_NAMES.items():
    setattr(Value, _name, Elsewhere("Value", _name, _hint))
