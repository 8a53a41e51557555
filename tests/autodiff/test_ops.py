"""Every Tensor op on a set of shapes, in one table, checked three ways.

1. `gradcheck`: the gradient autograd computes equals central differences in float64.
2. The same gradient comes out of every way of running backward: `.backward()` (rules
   on arrays), `.backward(create_graph=True)` (rules on Tensors, recording the
   backward pass) and `autodiff.grad` (rules on Tensors, a plain-array seed); and
   every tensor that requires grad, intermediate ones included, then holds a `.grad`
   of its own shape and dtype.
3. float32 inputs give a float32 result and float32 gradients, close to float64's.

Inputs are drawn away from kinks and domain edges (|x| >= 0.3 for abs and relu, no
ties for max and min, positive bases for log, sqrt and real powers), so central
differences are exact to ~1e-9 and the tolerances can be tight. Hypothesis adds random
broadcastable shapes for the arithmetic operators and for `@`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff
from autodiff import Tensor, Value, gradcheck, gradgradcheck
from autodiff.ops import normalize_axes

# Central differences in float64 with eps=1e-6 are good to ~1e-9 on these inputs.
TOLERANCE = {"eps": 1e-6, "atol": 1e-7, "rtol": 1e-6}


# --------------------------------------------------------------------------------------
# Input makers: (rng, shape) -> a float64 array
# --------------------------------------------------------------------------------------


def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def positive(rng, shape):  # log, sqrt, real powers, bases of tensor exponents
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):  # abs, relu, leaky_relu, denominators: |x| in [0.3, 2]
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """No two entries closer than 4/size (max and min without ties), either sign."""
    n = math.prod(shape)
    values = np.linspace(-2.0, 2.0, n) if n > 1 else np.array([0.7])
    return rng.permutation(values).reshape(shape)


def away_from_half(rng, shape):  # clip(-0.5, 0.5): no entry within 0.1 of a bound
    x = rng.uniform(-2.0, 2.0, shape)
    for bound in (-0.5, 0.5):
        near = np.abs(x - bound) < 0.1
        x = np.where(near, x + 0.25 * np.sign(x - bound + 1e-12), x)
    return x


def off_steps(rng, shape):
    """floor, ceil, round and the dividends of % and //: every entry at least 0.15 from
    a whole number and from a half (their steps), either sign."""
    whole = rng.integers(-3, 3, shape)
    return whole + rng.choice([0.2, 0.3, 0.7, 0.8], shape) + rng.uniform(-0.05, 0.05, shape)


def divisor(rng, shape):
    """Divisors of % and //: +-0.5 or +-1, give or take 1%, so that an off_steps dividend
    divided by one stays 0.07 or more from a whole number (a step of the quotient)."""
    size = rng.choice([0.5, 1.0], shape) * rng.uniform(0.99, 1.01, shape)
    return size * rng.choice([-1.0, 1.0], shape)


# Constants the table's functions close over (fixed, so every run sees the same ones).
_constants = np.random.default_rng(7)
COND_23 = _constants.random((2, 3)) > 0.5
COND_3 = np.array([True, False, True])
MASK_45 = _constants.random((4, 5)) > 0.4
ROWS_4 = np.array([True, False, True, True])
ARRAY_3 = _constants.uniform(-2, 2, 3)
ARRAY_13 = _constants.uniform(-2, 2, (1, 3))
ARRAY_23 = _constants.uniform(-2, 2, (2, 3))


@dataclass(frozen=True)
class Case:
    """One row of the table: `fn` of Tensors, and how to make each input."""

    id: str
    fn: Callable
    inputs: tuple  # of (maker, shape)
    gradcheck: dict = field(default_factory=dict)  # overrides of TOLERANCE
    keeps_float32: bool = True  # False when a float64 constant promotes the result

    def arrays(self, rng) -> list[np.ndarray]:
        return [np.asarray(make(rng, shape), dtype=np.float64) for make, shape in self.inputs]


CASES: list[Case] = []


def case(id, fn, *inputs, **options):
    CASES.append(Case(id, fn, tuple(inputs), **options))


def shape_id(*shapes) -> str:
    return ",".join("()" if s == () else "x".join(map(str, s)) for s in shapes)


# -- arithmetic: every broadcast pattern ---------------------------------------------

BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((1, 4), (4,)),
    ((4,), (1, 4)),
    ((2, 1), (1, 3)),
    ((2, 3), ()),
    ((), (2, 3)),
    ((4, 2, 3), (2, 1)),
    ((2, 1, 3), (4, 1)),
]

BINARY = {
    "add": (lambda x, y: x + y, anywhere, anywhere),
    "sub": (lambda x, y: x - y, anywhere, anywhere),
    "mul": (lambda x, y: x * y, anywhere, anywhere),
    "div": (lambda x, y: x / y, anywhere, nonzero),
    "pow": (lambda x, y: x**y, positive, anywhere),  # a tensor exponent
    "mod": (lambda x, y: x % y, off_steps, divisor),
    "floordiv": (lambda x, y: x // y, off_steps, divisor),
}
for name, (fn, left, right) in BINARY.items():
    for a, b in BINARY_SHAPES:
        case(f"{name}-{shape_id(a, b)}", fn, (left, a), (right, b))

# A number or an array on either side (the reflected operators), and number exponents.
WITH_CONSTANTS = {
    "add-number": (lambda x: x + 2.5, anywhere),
    "radd-number": (lambda x: 2.5 + x, anywhere),
    "sub-number": (lambda x: x - 1.5, anywhere),
    "rsub-number": (lambda x: 1.5 - x, anywhere),
    "mul-number": (lambda x: x * -1.5, anywhere),
    "rmul-number": (lambda x: -1.5 * x, anywhere),
    "div-number": (lambda x: x / 4.0, anywhere),
    "rdiv-number": (lambda x: 3.0 / x, nonzero),
    "pow-0": (lambda x: x**0, anywhere),
    "pow-1": (lambda x: x**1, anywhere),
    "pow-2": (lambda x: x**2, anywhere),
    "pow-3-negative-bases": (lambda x: x**3, anywhere),
    "pow-int-minus-1": (lambda x: x**-1, nonzero),
    "pow-0.5": (lambda x: x**0.5, positive),
    "pow-2.5": (lambda x: x**2.5, positive),
    "pow-minus-1.5": (lambda x: x**-1.5, positive),
    "rpow-number-base": (lambda x: 2.0**x, anywhere),
    "mod-number": (lambda x: x % 0.5, off_steps),
    "rmod-number": (lambda x: 1.75 % x, divisor),
    "floordiv-number": (lambda x: x // 0.5, off_steps),
    "rfloordiv-number": (lambda x: 1.75 // x, divisor),
    "neg": (lambda x: -x, anywhere),
}
for name, (fn, make) in WITH_CONSTANTS.items():
    for shape in [(), (3,), (2, 3)]:
        case(f"{name}-{shape_id(shape)}", fn, (make, shape))

for name, fn in {
    "add-array-left": lambda x: ARRAY_3 + x,
    "sub-array-left": lambda x: ARRAY_3 - x,
    "mul-array-right": lambda x: x * ARRAY_13,
    "div-array-left": lambda x: ARRAY_23 / x,
    "rpow-array-base": lambda x: np.abs(ARRAY_3) ** x,
}.items():
    case(f"{name}-2x3", fn, (nonzero, (2, 3)), keeps_float32=False)


def _in_place(update):
    def fn(x, y):
        z = x * 1.0  # not a leaf, so in grad mode `z += y` rebinds z (the README's rule)
        z = update(z, y)
        return z
    return fn


# `+=` and its kin outside no_grad(): each must keep both operands' gradients
IN_PLACE = {"iadd": (operator.iadd, anywhere), "isub": (operator.isub, anywhere),
            "imul": (operator.imul, anywhere), "itruediv": (operator.itruediv, nonzero),
            "ipow": (operator.ipow, anywhere)}
for name, (update, right) in IN_PLACE.items():
    left = positive if name == "ipow" else anywhere
    for a, b in [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ())]:
        case(f"{name}-{shape_id(a, b)}", _in_place(update), (left, a), (right, b))
case("imatmul-3x4,4x4", _in_place(operator.imatmul), (anywhere, (3, 4)), (anywhere, (4, 4)))

case("exponent-only-requires-grad", lambda y: Tensor(np.full((2, 3), 1.5)) ** y,
     (anywhere, (2, 3)), keeps_float32=False)
case("one-tensor-both-sides", lambda x: x * x - x / (x * x + 1.0), (anywhere, (2, 3)))

# -- elementwise functions ----------------------------------------------------------

UNARY_SHAPES = [(), (3,), (2, 3), (1, 4), (2, 3, 4)]
UNARY = {
    "abs-method": (lambda x: x.abs(), nonzero),
    "abs-builtin": (lambda x: abs(x), nonzero),
    "exp": (lambda x: x.exp(), anywhere),
    "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive),
    "tanh": (lambda x: x.tanh(), anywhere),
    "sigmoid": (lambda x: x.sigmoid(), anywhere),
    "relu": (lambda x: x.relu(), nonzero),
    "leaky_relu": (lambda x: x.leaky_relu(), nonzero),
    "leaky_relu-0.2": (lambda x: x.leaky_relu(0.2), nonzero),
    "sin": (lambda x: x.sin(), anywhere),
    "cos": (lambda x: x.cos(), anywhere),
    "floor": (lambda x: x.floor(), off_steps),
    "ceil": (lambda x: x.ceil(), off_steps),
    "round": (lambda x: x.round(), off_steps),
    "sign": (lambda x: x.sign(), nonzero),
    "clip": (lambda x: x.clip(-0.5, 0.5), away_from_half),
    "clip-lo-only": (lambda x: x.clip(lo=0.5), away_from_half),
    "clip-hi-only": (lambda x: x.clip(hi=-0.5), away_from_half),
}
for name, (fn, make) in UNARY.items():
    for shape in UNARY_SHAPES:
        case(f"{name}-{shape_id(shape)}", fn, (make, shape))


def bounds(rng, shape):  # a tensor bound of clip: -0.5 or 0.5 wobbled, rows broadcast
    return rng.choice([-0.5, 0.5], shape) + rng.uniform(-0.05, 0.05, shape)


# tensor bounds are differentiable too (torch.clamp's); x stays 0.1 away from +-0.5
case("clip-tensor-bounds", lambda x, lo, hi: x.clip(lo, hi),
     (away_from_half, (2, 3)), (bounds, (3,)), (bounds, (2, 1)))
case("clamp-tensor-min", lambda x, lo: x.clamp(min=lo), (away_from_half, (2, 3)),
     (bounds, (2, 3)))

# -- reductions ----------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
    "mean": lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
    "max": lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
    "min": lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims),
    "norm": lambda x, axis, keepdims: x.norm(axis=axis, keepdims=keepdims),
    "var": lambda x, axis, keepdims: x.var(axis=axis, keepdims=keepdims),
}
REDUCTION_AXES = [
    ((2, 3, 4), None),
    ((2, 3, 4), 0),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, 0)),
    ((), None),
    ((5,), None),
    ((5,), 0),
    ((5,), -1),
    ((1, 4), 0),
    ((1, 4), 1),
]
for name, fn in REDUCTIONS.items():
    for shape, axis in REDUCTION_AXES:
        for keepdims in (False, True):
            case(
                f"{name}-{shape_id(shape)}-axis={axis}-keepdims={keepdims}",
                lambda x, fn=fn, axis=axis, keepdims=keepdims: fn(x, axis, keepdims),
                (distinct, shape),
            )

# the standard deviation (and ddof=1) over slices of two or more: over one element the
# variance is 0, where std's gradient is nan (as in PyTorch) and ddof=1 has no freedom
for shape, axis in REDUCTION_AXES:
    if shape and math.prod(shape[a] for a in normalize_axes(axis, len(shape), "")) > 1:
        for keepdims in (False, True):
            suffix = f"{shape_id(shape)}-axis={axis}-keepdims={keepdims}"
            case(f"std-{suffix}",
                 lambda x, axis=axis, keepdims=keepdims: x.std(axis, keepdims=keepdims),
                 (distinct, shape))
            case(f"var-ddof=1-{suffix}",
                 lambda x, axis=axis, keepdims=keepdims: x.var(axis, 1, keepdims),
                 (distinct, shape))

# the ops Mean, Var and Std, applied directly (test_reductions_numerics.py checks how
# they accumulate): every axis, as the methods above
OPS_REDUCTIONS = {
    "mean-op": lambda x, axis, keepdims: autodiff.ops.Mean.apply(x, axis=axis,
                                                                 keepdims=keepdims),
    "var-op": lambda x, axis, keepdims: autodiff.ops.Var.apply(x, axis=axis,
                                                               keepdims=keepdims),
}
for name, fn in OPS_REDUCTIONS.items():
    for shape, axis in REDUCTION_AXES:
        for keepdims in (False, True):
            case(f"{name}-{shape_id(shape)}-axis={axis}-keepdims={keepdims}",
                 lambda x, fn=fn, axis=axis, keepdims=keepdims: fn(x, axis, keepdims),
                 (distinct, shape))
for shape, axis in REDUCTION_AXES:
    if shape and math.prod(shape[a] for a in normalize_axes(axis, len(shape), "")) > 1:
        for keepdims in (False, True):
            suffix = f"{shape_id(shape)}-axis={axis}-keepdims={keepdims}"
            for ddof in (0, 1):
                case(f"std-op-ddof={ddof}-{suffix}",
                     lambda x, axis=axis, keepdims=keepdims, ddof=ddof: autodiff.ops.Std.apply(
                         x, axis=axis, ddof=ddof, keepdims=keepdims),
                     (distinct, shape))
            case(f"var-op-ddof=1-{suffix}",
                 lambda x, axis=axis, keepdims=keepdims: autodiff.ops.Var.apply(
                     x, axis=axis, ddof=1, keepdims=keepdims),
                 (distinct, shape))

# -- matmul: numpy.matmul's 1-D, 2-D and batched cases ------------------------------

MATMUL_SHAPES = [
    ((4,), (4,)),  # 1-D @ 1-D: a dot product, 0-d result
    ((4,), (4, 2)),  # 1-D @ 2-D
    ((3, 4), (4,)),  # 2-D @ 1-D
    ((3, 4), (4, 2)),
    ((1, 4), (4, 1)),
    ((5, 3, 4), (4, 2)),  # batched @ matrix: the matrix is shared by the batch
    ((3, 4), (5, 4, 2)),
    ((5, 3, 4), (5, 4, 2)),
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dimensions
    ((4,), (5, 4, 2)),  # 1-D with batched
    ((5, 3, 4), (4,)),
]
for a, b in MATMUL_SHAPES:
    case(f"matmul-{shape_id(a, b)}", lambda x, y: x @ y, (anywhere, a), (anywhere, b))
case("matmul-array-left", lambda y: ARRAY_23 @ y, (anywhere, (3, 2)), keeps_float32=False)
# empty inner or batch dimensions: zero gradients of the right shapes, a zero product
case("matmul-empty-inner-3x0,0x2", lambda x, y: x @ y, (anywhere, (3, 0)), (anywhere, (0, 2)))
case("linear-empty-batch", lambda x, w, b: autodiff.linear(x, w, b), (anywhere, (0, 3)),
     (anywhere, (2, 3)), (anywhere, (2,)))
case("sum-over-an-empty-axis", lambda x: x.sum(axis=1), (anywhere, (3, 0)))
case("matmul-with-own-transpose", lambda x: x @ x.T, (anywhere, (3, 4)))

# -- softmax family: several axes -----------------------------------------------------

for shape, axis in [((4,), -1), ((2, 3), -1), ((2, 3), 0), ((2, 3, 4), 1), ((2, 3, 4), -1),
                    ((2, 3), None), ((2, 3, 4), (0, 2))]:
    sid = f"{shape_id(shape)}-axis={axis}"
    case(f"softmax-{sid}", lambda x, axis=axis: x.softmax(axis), (anywhere, shape))
    case(f"log_softmax-{sid}", lambda x, axis=axis: x.log_softmax(axis), (anywhere, shape))
    for keepdims in (False, True):
        case(f"logsumexp-{sid}-keepdims={keepdims}",
             lambda x, axis=axis, keepdims=keepdims: x.logsumexp(axis, keepdims),
             (anywhere, shape))

# -- shapes ----------------------------------------------------------------------------

SHAPE_OPS = {
    "reshape-args": lambda x: x.reshape(4, 6),
    "reshape-tuple-minus-1": lambda x: x.reshape((3, -1)),
    "reshape-to-1-D": lambda x: x.reshape(-1),
    "flatten": lambda x: x.flatten(),
    "transpose-reversed": lambda x: x.transpose(),
    "transpose-args": lambda x: x.transpose(1, 0, 2),
    "transpose-tuple": lambda x: x.transpose((2, 0, 1)),
    "transpose-negative-axes": lambda x: x.transpose(-1, 0, 1),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "swapaxes": lambda x: x.swapaxes(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze-nothing": lambda x: x.squeeze(),
    "clone": lambda x: x.clone(),
    "identity": lambda x: autodiff.ops.Identity.apply(x),  # functional calls' variable
}
for name, fn in SHAPE_OPS.items():
    case(f"{name}-2x3x4", fn, (anywhere, (2, 3, 4)))
case("T-matrix", lambda x: x.T, (anywhere, (2, 3)))
case("flatten-axes-1-to-2", lambda x: x.flatten(1, 2), (anywhere, (2, 3, 4)))
case("flatten-axes-0-to-minus-2", lambda x: x.flatten(0, -2), (anywhere, (2, 3, 4)))
case("squeeze-axes-tuple", lambda x: x.squeeze((0, 2)), (anywhere, (1, 3, 1)))
case("squeeze-dim", lambda x: x.squeeze(dim=2), (anywhere, (1, 3, 1)))
case("broadcast_to", lambda x: x.broadcast_to((2, 4, 3)), (anywhere, (4, 1)))
case("expand-minus-1", lambda x: x.expand(2, -1, 3), (anywhere, (4, 1)))
case("reshape-scalar-to-1x1", lambda x: x.reshape(1, 1), (anywhere, ()))

# -- indexing ------------------------------------------------------------------------

INDEXES = {
    "int": 1,
    "negative-int": -1,
    "slice": slice(1, 3),
    "reversed-step": slice(None, None, -2),
    "column": (slice(None), 1),
    "None": None,
    "Ellipsis": (Ellipsis, 1),
    "int-Ellipsis-None": (1, Ellipsis, None),
    "boolean-mask": MASK_45,
    "boolean-rows": ROWS_4,
    "repeated-ints": [0, 0, 2, 0],
    "int-array-2-D": np.array([[0, 1], [1, 1]]),
    "repeated-pairs": (np.array([0, 2, 0]), np.array([1, 1, 1])),
    "array-and-slice": (np.array([3, 3]), slice(1, 4)),
    "empty-list": [],
    "empty-list-and-slice": ([], slice(None)),
}
for name, index in INDEXES.items():
    case(f"getitem-{name}", lambda x, index=index: x[index], (anywhere, (4, 5)))
case("getitem-scalar-of-vector", lambda x: x[2], (anywhere, (3,)))

# -- several tensors -------------------------------------------------------------------

case("concatenate-axis0", lambda a, b: autodiff.concatenate([a, b]),
     (anywhere, (2, 3)), (anywhere, (4, 3)))
case("concatenate-axis1", lambda a, b: autodiff.concatenate([a, b], axis=1),
     (anywhere, (2, 3)), (anywhere, (2, 1)))
case("concatenate-axis-1-three", lambda a, b, c: autodiff.concatenate([a, b, c], axis=-1),
     (anywhere, (2, 2, 1)), (anywhere, (2, 2, 3)), (anywhere, (2, 2, 2)))
case("concatenate-with-constant", lambda a, b: autodiff.concatenate([a, ARRAY_13, b]),
     (anywhere, (2, 3)), (anywhere, (1, 3)), keeps_float32=False)
case("concatenate-same-tensor-twice", lambda a: autodiff.concatenate([a, a * 2.0]),
     (anywhere, (2, 3)))
for axis in (0, 1, -1):
    case(f"stack-axis={axis}", lambda a, b, c, axis=axis: autodiff.stack([a, b, c], axis),
         (anywhere, (2, 3)), (anywhere, (2, 3)), (anywhere, (2, 3)))
case("stack-vectors-with-constant", lambda a: autodiff.stack([a, ARRAY_3, a]),
     (anywhere, (3,)), keeps_float32=False)
case("where", lambda a, b: autodiff.where(COND_23, a, b), (anywhere, (2, 3)), (anywhere, (2, 3)))
case("where-broadcast", lambda a, b: autodiff.where(COND_3, a, b),
     (anywhere, (2, 1)), (anywhere, (1, 3)))
case("where-number-left", lambda b: autodiff.where(COND_23, 0.5, b), (anywhere, (2, 3)))
case("where-number-right", lambda a: autodiff.where(COND_3, a, -1.0), (anywhere, (2, 3)))
case("where-condition-a-tensor", lambda a, b: autodiff.where(Tensor(COND_23), a, b),
     (anywhere, (2, 3)), (anywhere, (3,)))
case("add_n", lambda a, b, c: autodiff.add_n([a, b, 2.0, c]),
     (anywhere, (2, 3)), (anywhere, (3,)), (anywhere, ()))
case("add_n-repeated-term", lambda a: autodiff.add_n([a, a, a * a]), (anywhere, (2, 3)))
for reduction in ("mean", "sum", "none"):
    case(f"nll-{reduction}", lambda x, r=reduction: autodiff.nll_loss(
        x.log_softmax(axis=1), np.array([2, 0, 2, 1]), r), (anywhere, (4, 3)))
    case(f"cross_entropy-{reduction}", lambda x, r=reduction: autodiff.cross_entropy(
        x, np.array([2, 0, 2, 1]), r), (anywhere, (4, 3)))
case("cross_entropy-one-sample-of-one-class", lambda x: autodiff.cross_entropy(
    x * 2.0, [0]), (anywhere, (1, 1)))
case("weighted_sum-broadcast", lambda b, w1, w2, x1: autodiff.weighted_sum([w1, w2], [x1, 0.5], b),
     (anywhere, (3,)), (anywhere, (2, 3)), (anywhere, ()), (anywhere, (2, 1)))
case("linear-matrix", lambda x, w, b: autodiff.linear(x, w, b), (anywhere, (4, 3)),
     (anywhere, (2, 3)), (anywhere, (2,)))
case("linear-no-bias-vector-input", lambda x, w: autodiff.linear(x, w), (anywhere, (3,)),
     (anywhere, (2, 3)))
case("linear-batched", lambda x, w, b: autodiff.linear(x, w, b).tanh(), (anywhere, (2, 4, 3)),
     (anywhere, (5, 3)), (anywhere, (5,)))
# float32 resolution needs a coarse step; the function is linear in x, so the central
# difference stays exact apart from that rounding: an ulp of float32 near 3 |x| <= 12 is
# 9.5e-7, so each entry's difference quotient may be off by 2 ulp / (2 eps) ~ 1e-4
# (and by rtol of its size where gradgradcheck squares it: derivatives up to ~30).
case("astype-float32-and-back", lambda x: x.astype(np.float32).astype(np.float64) * 3.0,
     (anywhere, (2, 3)), gradcheck={"eps": 1e-2, "atol": 1e-4, "rtol": 1e-5},
     keeps_float32=False)

# -- composites: ops meeting in one graph ----------------------------------------------

case("layer", lambda x, w, b: (x @ w + b).tanh(),
     (anywhere, (5, 3)), (anywhere, (3, 4)), (anywhere, (4,)))
case("cross-entropy", lambda z: -(z.log_softmax(-1)[np.arange(3), [0, 2, 1]]).mean(),
     (anywhere, (3, 4)))
case("normalize", lambda x: (x - x.mean(0)) / ((x - x.mean(0)) ** 2).mean(0).sqrt(),
     (anywhere, (5, 3)))
case("softmax-by-hand", lambda x: (x - x.max(-1, keepdims=True)).exp()
     / (x - x.max(-1, keepdims=True)).exp().sum(-1, keepdims=True), (distinct, (2, 4)))

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


def leaves(arrays, dtype=np.float64) -> list[Tensor]:
    return [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]


def weights_for(out: Tensor, rng) -> np.ndarray:
    """Fixed random output weights: a scalar loss whose gradient checks the whole VJP."""
    return rng.standard_normal(out.shape).astype(out.dtype)


def nodes_requiring_grad(root: Tensor) -> list[Tensor]:
    found, stack, seen = [], [root], {id(root)}
    while stack:
        node = stack.pop()
        found.append(node)
        for parent in node.parents:
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return found


@pytest.mark.parametrize("c", CASE_PARAMS)
def test_gradcheck(c: Case, rng):
    inputs = leaves(c.arrays(rng))
    assert gradcheck(c.fn, inputs, **{**TOLERANCE, **c.gradcheck})


@pytest.mark.parametrize("c", CASE_PARAMS)
def test_every_way_of_running_backward_agrees(c: Case, rng):
    arrays = c.arrays(rng)
    inputs = leaves(arrays)
    out = c.fn(*inputs)
    w = weights_for(out, rng)
    loss = (out * w).sum()
    loss.backward(retain_graph=True)
    plain = [t.grad.copy() for t in inputs]

    # every tensor that requires grad holds a .grad of its own shape and dtype
    for node in nodes_requiring_grad(loss):
        assert node.grad is not None, node
        assert node.grad.shape == node.shape and node.grad.dtype == node.dtype

    for t in inputs:
        t.grad = None
    loss.backward(create_graph=True)
    for t, expected in zip(inputs, plain, strict=True):
        assert isinstance(t.grad, Tensor)
        np.testing.assert_allclose(t.grad.data, expected, rtol=1e-12, atol=1e-12)

    functional = autodiff.grad(lambda *xs: (c.fn(*xs) * w).sum(),
                               argnums=tuple(range(len(arrays))))(*arrays)
    for g, expected in zip(functional, plain, strict=True):
        assert isinstance(g, np.ndarray)
        np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASE_PARAMS)
def test_gradgradcheck(c: Case, rng):
    # Second derivatives, entry by entry. The op's result is squared, so the recorded
    # backward must carry both the op's rule and how that rule depends on the inputs
    # and on its incoming gradient: an op checked last in a graph shows only the first.
    def squared(*inputs):
        out = c.fn(*inputs)
        return out * out

    assert gradgradcheck(squared, leaves(c.arrays(rng)), **{**TOLERANCE, **c.gradcheck})


@pytest.mark.parametrize("c", [p for p in CASE_PARAMS if p.values[0].keeps_float32])
def test_float32_stays_float32(c: Case, rng):
    arrays = c.arrays(rng)
    inputs32 = leaves(arrays, np.float32)
    out32 = c.fn(*inputs32)
    assert out32.dtype == np.float32
    w = weights_for(out32, rng)
    (out32 * w).sum().backward()

    inputs64 = leaves(arrays)
    out64 = c.fn(*inputs64)
    (out64 * w.astype(np.float64)).sum().backward()
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-4, atol=1e-5)
    for t32, t64 in zip(inputs32, inputs64, strict=True):
        assert t32.grad.dtype == np.float32
        np.testing.assert_allclose(t32.grad, t64.grad, rtol=1e-3, atol=1e-4)


def test_the_table_covers_every_tensor_op():
    covered = " ".join(c.id for c in CASES)
    for op in ["add", "sub", "mul", "div", "pow", "rpow", "neg", "matmul", "abs", "exp",
               "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "sin", "cos",
               "clip", "sum", "mean", "max", "min", "reshape", "transpose", "T", "flatten",
               "getitem", "concatenate", "stack", "where", "softmax", "log_softmax",
               "logsumexp", "astype", "add_n", "weighted_sum", "linear", "nll",
               "cross_entropy", "norm", "var", "std", "iadd", "isub", "imul", "itruediv",
               "ipow", "imatmul", "mod", "rmod", "floordiv", "rfloordiv", "floor",
               "ceil", "round", "sign"]:
        assert f"{op}-" in covered, op
    for shape in ["()", "3", "2x3", "1x4", "2x3x4"]:
        assert any(c.id.endswith(f"-{shape}") for c in CASES), shape


# --------------------------------------------------------------------------------------
# Random broadcastable shapes (hypothesis)
# --------------------------------------------------------------------------------------

ARITHMETIC = {name: BINARY[name] for name in ["add", "sub", "mul", "div", "pow", "mod",
                                              "floordiv"]}


@pytest.mark.parametrize("name", sorted(ARITHMETIC))  # (sampled, sub got 2 of 50 draws)
@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                             min_side=0, max_side=3),
    swap=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_arithmetic_on_random_broadcastable_shapes(name, shapes, swap, seed):
    fn, left, right = ARITHMETIC[name]
    rng = np.random.default_rng(seed)
    x, y = left(rng, shapes.input_shapes[0]), right(rng, shapes.input_shapes[1])
    out = fn(Tensor(x), Tensor(y))
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, fn(x, y), rtol=1e-15)
    assert gradcheck(fn, leaves([x, y]), **TOLERANCE)
    if swap:  # a Tensor on one side only: the other is a plain array constant
        assert gradcheck(lambda t: fn(x, t), leaves([y]), **TOLERANCE)
    else:
        assert gradcheck(lambda t: fn(t, y), leaves([x]), **TOLERANCE)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                             max_side=3),
    seed=st.integers(0, 2**16),
)
def test_matmul_on_random_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (anywhere(rng, s) for s in shapes.input_shapes)
    out = Tensor(x) @ Tensor(y)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, x @ y, rtol=1e-13)
    assert gradcheck(lambda a, b: a @ b, leaves([x, y]), **TOLERANCE)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=8, deadline=None, derandomize=True)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
       seed=st.integers(0, 2**16))
def test_elementwise_functions_on_random_shapes(name, shape, seed):
    fn, make = UNARY[name]
    x = make(np.random.default_rng(seed), shape)
    out = fn(Tensor(x))
    assert out.shape == shape
    assert gradcheck(fn, leaves([x]), **TOLERANCE)


def _reduced_count(shape, axis) -> int:
    return math.prod(shape[a] for a in normalize_axes(axis, len(shape), "")) \
        if axis is not None else math.prod(shape)


AXIS_OPS = {
    **REDUCTIONS,
    "std": lambda x, axis, keepdims: x.std(axis, keepdims=keepdims),
    "var-ddof=1": lambda x, axis, keepdims: x.var(axis, 1, keepdims),
    "logsumexp": lambda x, axis, keepdims: x.logsumexp(axis, keepdims),
    "softmax": lambda x, axis, keepdims: x.softmax(axis),
    "log_softmax": lambda x, axis, keepdims: x.log_softmax(axis),
}


@pytest.mark.parametrize("name", sorted(AXIS_OPS))
@settings(max_examples=12, deadline=None, derandomize=True)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_reductions_and_the_softmax_family_on_random_shapes_and_axes(name, data, seed):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
                      label="shape")
    ndim = len(shape)
    axes = st.none()
    if ndim:
        axes |= st.integers(-ndim, ndim - 1) | hnp.valid_tuple_axes(ndim, min_size=1)
    axis, keepdims = data.draw(axes, label="axis"), data.draw(st.booleans(), label="keepdims")
    # std has no derivative over one element (its variance is 0), ddof=1 no freedom there
    assume(name not in ("std", "var-ddof=1") or _reduced_count(shape, axis) > 1)
    fn = AXIS_OPS[name]
    x = distinct(np.random.default_rng(seed), shape)
    assert gradcheck(lambda t: fn(t, axis, keepdims), leaves([x]), **TOLERANCE)


# -- Boundary points (from mutation testing: each of these survived a changed rule) ----


def test_the_mixed_second_derivative_of_pow_at_zero_base_and_exponent_is_symmetric():
    # d/dy (d/dx x**y) at x = y = 0 (array exponents): the rule takes x^(y-1) as x^1
    # there, so the mixed partial is 0, as d/dx (d/dy x**y) is
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([0.0, 3.0]), requires_grad=True)
    gx = autodiff.grad(lambda a, b: (a ** b).sum(), argnums=(0, 1))(x, y)[0]
    gx.sum().backward()
    # at index 1: d/dy (y x^(y-1)) = x^(y-1) (1 + y log x) = 4 (1 + 3 log 2)
    np.testing.assert_allclose(y.grad, [0.0, 4 * (1 + 3 * math.log(2))])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8])
@pytest.mark.parametrize("base_dtype", [np.float64, np.float32])
def test_pow_with_a_small_int_exponent_array_computes_its_derivative_in_floats(
        dtype, base_dtype):
    # y - 1 was computed in the exponent's dtype: 0 - 1 wrapped round to 255 (uint8)
    # and -128 - 1 to 127 (int8), and d/dx came out nan or wrong
    low = np.iinfo(dtype).min
    y = np.array([0, 0, 2, low], dtype)
    x = Tensor(np.array([20.0, 1.5, 3.0, 1.25], base_dtype), requires_grad=True)
    (x ** y).sum().backward()
    exact = y.astype(np.float64) * np.float64(1.25) ** (float(low) - 1)
    assert x.grad.dtype == base_dtype
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 6.0, exact[3]], rtol=1e-6)


def test_pow_of_mixed_float_dtypes_differentiates_in_the_results_dtype():
    # a float32 exponent of a float64 base: the result is float64, and its derivative
    # was rounded to float32 through y - 1 (3e-7 relative); log of a float32 base, the
    # same for d/dy
    x = Tensor(np.array([123.0, 1e6]), requires_grad=True)
    y32 = np.float32(0.1)
    (x ** y32).sum().backward()
    y64 = np.float64(y32)
    np.testing.assert_allclose(x.grad, y64 * x.data ** (y64 - 1), rtol=1e-15)
    (x ** Tensor(np.full(2, y32))).sum().backward()  # the array branch, the same
    np.testing.assert_allclose(x.grad, 2 * y64 * x.data ** (y64 - 1), rtol=1e-15)
    base32 = np.array([3.7, 250.3], np.float32)
    y = Tensor(np.array([1.5, 2.5]), requires_grad=True)
    (Tensor(base32) ** y).sum().backward()
    b64 = base32.astype(np.float64)
    np.testing.assert_allclose(y.grad, b64 ** y.data * np.log(b64), rtol=1e-15)


@pytest.mark.parametrize("lo, hi", [(1.0, None), (None, 2.0), (1.0, 2.0)])
def test_clips_gradient_is_one_on_its_bounds(lo, hi):
    # as torch.clamp: the bounds themselves are inside (x >= lo, x <= hi)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.clip(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_a_one_sided_clip_keeps_an_int_tensors_dtype(dtype):
    # the missing bound was -inf or inf, which lifted ints to float64 where np.clip and
    # torch.clamp keep them: clamped labels then failed in cross_entropy
    data = np.array([0, 3, 7], dtype)
    for clipped, expected in ((Tensor(data).clip(1), np.clip(data, 1, None)),
                              (Tensor(data).clamp(max=5), np.clip(data, None, 5)),
                              (Tensor(data).clip(None, 2), np.clip(data, None, 2))):
        assert clipped.dtype == dtype
        np.testing.assert_array_equal(clipped.data, expected)
    labels = Tensor(np.array([-1, 1, 2])).clamp(min=0)
    logits = Tensor(np.zeros((3, 3)), requires_grad=True)
    assert autodiff.cross_entropy(logits, labels).item() == pytest.approx(math.log(3))


def test_abs_passes_no_gradient_from_a_nan_on_either_kind():
    # np.sign(nan) is nan: a Tensor's abs gave nan where a Value's gives 0, as PyTorch's
    for dtype in (np.float64, np.float32):
        x = Tensor(np.array([np.nan, -2.0, 0.0, 3.0], dtype), requires_grad=True)
        x.abs().sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, -1.0, 0.0, 1.0])
        assert x.grad.dtype == dtype
    x = Tensor(np.array(np.nan), requires_grad=True)
    x.abs().backward()
    assert x.grad == 0.0
    v = Value(math.nan)
    abs(v).backward()
    assert v.grad == 0.0


def test_leaky_relus_gradient_at_zero_is_the_slope():
    # as torch: x > 0 is false at 0
    x = Tensor([0.0], requires_grad=True)
    x.leaky_relu(0.2).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.2])
    v = Value(0.0)
    v.leaky_relu(0.2).backward()
    assert v.grad == 0.2


def test_a_weighted_sum_of_nothing_raises():
    with pytest.raises(ValueError, match="weighted_sum"):
        autodiff.weighted_sum([], [], Value(1.0))


def test_logsumexp_of_infinite_rows():
    x = Tensor(np.array([[-np.inf, -np.inf], [0.0, 0.0]]))
    np.testing.assert_array_equal(x.logsumexp(axis=1).data, [-np.inf, math.log(2.0)])
    np.testing.assert_array_equal(Tensor([np.inf, 1.0]).logsumexp().data, np.inf)


def _backward_reads_output(op: type) -> bool:
    import ast
    import inspect
    import textwrap

    function = ast.parse(textwrap.dedent(inspect.getsource(op.backward))).body[0]
    return any(isinstance(node, ast.Name) and node.id == "out"
               for statement in function.body for node in ast.walk(statement))


def test_every_op_that_reads_its_result_in_backward_says_so():
    # backward's in-place check trusts `reads_output`; a new op that reads `out` without
    # setting it would let a change to its result go unseen
    ops = [op for op in vars(autodiff.ops).values()
           if isinstance(op, type) and issubclass(op, autodiff.ops.Op)
           and "backward" in vars(op) and op is not autodiff.ops.Op]
    assert len(ops) > 30
    wrong = [op.__name__ for op in ops if op.reads_output != _backward_reads_output(op)]
    assert not wrong
    assert autodiff.ops.Exp.reads_output and not autodiff.ops.Mul.reads_output


# Positional parameters of backward that are an op's parameters, not its inputs.
_PARAMETERS = {"dtype", "shape", "index", "unique", "axis", "axes", "keepdims", "slope",
               "reduction", "needs", "ddof"}
_SHAPE_ONLY = {"shape", "ndim", "dtype", "size"}


def _backward_reads_inputs(op: type) -> tuple[list[str], set[str]]:
    """(backward's input names in order, the names whose values it reads): a name read
    only as `x.shape` (or ndim, dtype, size), `len(x)` or `x is None` is not read."""
    import ast
    import inspect
    import textwrap

    params = list(inspect.signature(op.backward).parameters.values())[3:]
    names = [p.name for p in params if p.name not in _PARAMETERS]
    tree = ast.parse(textwrap.dedent(inspect.getsource(op.backward)))
    up = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    read = set()
    for node in ast.walk(tree.body[0]):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            parent = up.get(node)
            if isinstance(parent, ast.Attribute) and parent.attr in _SHAPE_ONLY:
                continue
            if isinstance(parent, ast.Call) and getattr(parent.func, "id", "") == "len":
                continue
            if isinstance(parent, ast.Compare) and all(
                    isinstance(o, (ast.Is, ast.IsNot)) for o in parent.ops):
                continue  # (`b is None`: whether there is one, not its values)
            read.add(node.id)
    return names, read & set(names)


# inputs iterated for their shapes only (`for x in xs: x.shape`), which the reading of
# the source above cannot tell from a read of their values
_READ_FOR_SHAPES = {"Concatenate": {"xs"}}


def test_every_op_says_which_inputs_its_backward_reads():
    # backward's in-place check trusts `reads_inputs`: an input read but not listed
    # would let a change to it go unseen (a silently wrong gradient); one listed but
    # not read would raise for a harmless change (x - running_mean, the mean updated)
    ops = [op for op in vars(autodiff.ops).values()
           if isinstance(op, type) and issubclass(op, autodiff.ops.Op)
           and op is not autodiff.ops.Op and not op.is_function]
    wrong = []
    for op in ops:
        names, read = _backward_reads_inputs(op)
        read -= _READ_FOR_SHAPES.get(op.__name__, set())
        if op.reads_inputs is None:  # every input, as for a Function: always safe
            continue
        varargs = inspect_varargs(op)
        declared = {varargs if varargs and i >= names.index(varargs) else names[i]
                    for i in op.reads_inputs}
        if declared != read:
            wrong.append((op.__name__, sorted(declared), sorted(read)))
    assert not wrong
    assert autodiff.ops.Linear.reads_inputs == (0, 1)  # the bias's value is never read
    assert autodiff.Function.reads_inputs is None  # a user's: all inputs


def inspect_varargs(op: type) -> str | None:
    import inspect

    for p in inspect.signature(op.backward).parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return p.name
    return None


def test_an_op_given_no_node_raises_type_error_naming_it():
    # kills O02 (Op.apply returning None when no input is a Value or a Tensor)
    with pytest.raises(TypeError, match="weighted_sum: needs a Value or a Tensor"):
        autodiff.weighted_sum([1.0, 2.0], [3.0, 4.0], 0.5)
    with pytest.raises(TypeError, match="linear: needs a Value or a Tensor"):
        autodiff.linear(np.ones((2, 3)), np.ones((4, 3)))


@pytest.mark.parametrize("op", [autodiff.ops.CrossEntropy, autodiff.ops.NLLLoss])
def test_the_loss_ops_refuse_an_unknown_reduction_themselves(op):
    # the public functions check it, but the ops are reachable too, and took any unknown
    # name as "sum"
    scores = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=f"^{op.name}: reduction must be 'mean', 'sum' or "
                                         "'none', got 'batchmean'"):
        op.apply(scores, np.array([0, 2]), reduction="batchmean")
