"""Gradient checking: autograd's gradient against central finite differences in float64."""

from __future__ import annotations

import numbers

import numpy as np

from .graph import Node, enable_grad, no_grad
from .graph import backward as _backward
from .tensor import Tensor
from .value import Value

__all__ = ["gradcheck", "GradcheckError", "numerical_grad"]


class GradcheckError(AssertionError):
    """Autograd and finite differences disagree.

    Attributes:
        input: position of the input in `inputs`.
        index: index into that input (a tuple; () for a scalar).
        analytic: the autograd derivative.
        numeric: the central-difference derivative.
        difference: analytic - numeric.
    """

    def __init__(self, message: str, *, input: int, index: tuple, analytic: float,
                 numeric: float) -> None:
        super().__init__(message)
        self.input = input
        self.index = index
        self.analytic = analytic
        self.numeric = numeric
        self.difference = analytic - numeric
        self.fault = None  # with gradcheck(locate=True): the FaultReport


def _float64_leaf(x):
    """A float64 copy of an input to differentiate, or None for a constant."""
    if isinstance(x, Value):
        return Value(x.data, label=x.label)
    if isinstance(x, Tensor):
        if not x.requires_grad:
            return None
        return Tensor(x.data.astype(np.float64), requires_grad=True, label=x.label)
    if isinstance(x, numbers.Real) and not isinstance(x, (numbers.Integral, np.bool_)):
        return Value(float(x))  # ints, like int arrays, are constants (counts, sizes...)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor(x.astype(np.float64), requires_grad=True)
    return None


def gradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, locate: bool = False) -> bool:
    """Check the gradient autograd computes for `f` at `inputs` by central differences.

    Every Value, Tensor with requires_grad, float and float array among `inputs` is
    checked (as a float64 copy: the inputs themselves are left unchanged); others are
    passed through as constants. A non-scalar output is reduced to a scalar with fixed
    random weights, which checks the whole vector-Jacobian product.

    Args:
        f: a function of the inputs returning a Value or a Tensor.
        inputs: a sequence of the arguments of f (a single non-sequence is one argument).
        eps: the finite-difference step.
        atol, rtol: an entry passes when |analytic - numeric| <= atol + rtol * |numeric|.
        seed: seed of the random output weights.
        locate: on failure, also check each op of f's graph on its own
            (`autodiff.locate_fault`) and add the table naming the first wrong rule to
            the error (as its `.fault`).

    Returns:
        True when every entry passes.

    Raises:
        GradcheckError: at the first entry that fails, naming the input, the index, both
            derivatives and their difference.
    """
    for name, value, smallest in (("eps", eps, "> 0"), ("atol", atol, ">= 0"),
                                  ("rtol", rtol, ">= 0")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"gradcheck: {name} must be a number, got "
                            f"{type(value).__name__}")
        if not (value > 0 if smallest == "> 0" else value >= 0):
            raise ValueError(f"gradcheck: {name} must be {smallest}, got {value}")
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    leaves = [_float64_leaf(x) for x in inputs]
    args = [leaf if leaf is not None else x for leaf, x in zip(leaves, inputs, strict=True)]
    checked = [i for i, leaf in enumerate(leaves) if leaf is not None]
    if not checked:
        raise TypeError("gradcheck: none of the inputs is differentiable (a Value, a Tensor "
                        "with requires_grad=True, a float or a float array)")

    weights = None

    def scalar_of(out):
        nonlocal weights
        if isinstance(out, Value) or np.ndim(_data(out)) == 0:
            return out
        if weights is None:
            weights = np.random.default_rng(seed).standard_normal(np.shape(_data(out)))
        return (out * weights).sum()

    with enable_grad():  # the analytic gradient needs f's graph, even under no_grad()
        out = scalar_of(f(*args))
    if not isinstance(out, Node):
        raise TypeError(f"gradcheck: f must return a Value or a Tensor, got "
                        f"{type(out).__name__}")
    targets = [leaves[i] for i in checked]
    # (f may return an input itself, a leaf: its gradient is then the seed)
    if out.requires_grad and (out._op is not None or any(out is t for t in targets)):
        seed_grad = 1.0 if isinstance(out, Value) else np.ones_like(out.data)
        analytic = _backward(out, seed_grad, retain_graph=True, create_graph=False,
                             inputs=targets)
    else:
        analytic = [None] * len(targets)

    def evaluate() -> float:
        with no_grad():
            return float(np.sum(_data(scalar_of(f(*args)))))

    for i, leaf, grad in zip(checked, targets, analytic, strict=True):
        for index in np.ndindex(np.shape(leaf.data)):
            numeric = _central_difference(leaf, index, eps, evaluate)
            a = 0.0 if grad is None else float(np.asarray(grad)[index])
            if not abs(a - numeric) <= atol + rtol * abs(numeric):
                name = f" ({leaf.label})" if leaf.label else ""
                error = GradcheckError(
                    f"gradcheck: input {i}{name}, index {index}: analytic {a:.10g}, "
                    f"numeric {numeric:.10g}, difference {a - numeric:.3g} "
                    f"(atol={atol}, rtol={rtol}, eps={eps})",
                    input=i, index=index, analytic=a, numeric=numeric,
                )
                if locate:
                    from .debug import locate_fault

                    error.fault = locate_fault(f, inputs, eps=eps, atol=atol, rtol=rtol,
                                               seed=seed)
                    error.args = (f"{error.args[0]}\n{error.fault}",)
                raise error
    return True


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray | float:
    """The gradient of scalar-valued `f` at `x` by central differences, in float64.

    `f` takes a float array (or a float) and returns a number: plain NumPy code (a
    document's cost function, say) or autodiff code alike. `x` is not changed.

    Example::

        >>> numerical_grad(lambda w: (w ** 2).sum(), np.array([1.0, -2.0]))
        array([ 2., -4.])
    """
    scalar = isinstance(x, numbers.Real)
    point = np.array(x, dtype=np.float64)  # a copy: x itself is never perturbed
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        up = float(np.sum(_data(f(float(point) if scalar else point))))
        point[index] = original - eps
        down = float(np.sum(_data(f(float(point) if scalar else point))))
        point[index] = original
        grad[index] = (up - down) / (2 * eps)
    return float(grad) if scalar else grad


def _central_difference(leaf, index: tuple, eps: float, evaluate) -> float:
    if isinstance(leaf, Value):
        original = leaf.data
        try:
            leaf.data = original + eps
            up = evaluate()
            leaf.data = original - eps
            down = evaluate()
        finally:
            leaf.data = original
    else:
        original = leaf.data[index]
        try:
            leaf.data[index] = original + eps
            up = evaluate()
            leaf.data[index] = original - eps
            down = evaluate()
        finally:
            leaf.data[index] = original
    return (up - down) / (2 * eps)


def _data(x):
    return x.data if isinstance(x, Node) else x
