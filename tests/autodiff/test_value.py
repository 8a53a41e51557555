"""Value: every op's value, first and second derivative; API; errors; numerics."""

from __future__ import annotations

import importlib
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import GradcheckError, Value, grad, gradcheck

# --------------------------------------------------------------------------------------
# The op table: the function, its derivative and second derivative written by hand,
# and points to check at (negative, near zero where defined, large).
# --------------------------------------------------------------------------------------

UNARY = {
    "exp": (lambda x: x.exp(), math.exp, math.exp, math.exp, [-3.0, -1e-3, 0.5, 20.0]),
    "log": (lambda x: x.log(), math.log, lambda x: 1 / x, lambda x: -1 / x**2,
            [1e-3, 0.5, 3.0, 1e6]),
    "sqrt": (lambda x: x.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x),
             lambda x: -0.25 * x**-1.5, [1e-3, 0.5, 4.0, 1e6]),
    "tanh": (lambda x: x.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), [-3.0, -1e-3, 0.7, 5.0]),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x)),
                lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s),
                lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
                [-8.0, -1e-3, 0.7, 8.0]),
    "relu": (lambda x: x.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0),
             lambda x: 0.0, [-3.0, -1e-3, 1e-3, 100.0]),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda x: x if x > 0 else 0.1 * x,
                   lambda x: 1.0 if x > 0 else 0.1, lambda x: 0.0, [-3.0, -1e-3, 1e-3, 50.0]),
    "sin": (lambda x: x.sin(), math.sin, math.cos, lambda x: -math.sin(x),
            [-3.0, -1e-3, 0.7, 100.0]),
    "cos": (lambda x: x.cos(), math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x),
            [-3.0, -1e-3, 0.7, 100.0]),
    "abs": (lambda x: abs(x), abs, lambda x: math.copysign(1.0, x), lambda x: 0.0,
            [-3.0, -1e-3, 1e-3, 1e3]),
    "neg": (lambda x: -x, lambda x: -x, lambda x: -1.0, lambda x: 0.0, [-3.0, 0.0, 2.0]),
    "square": (lambda x: x**2, lambda x: x * x, lambda x: 2 * x, lambda x: 2.0,
               [-3.0, 0.0, 1e3]),
    "cube": (lambda x: x**3, lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x,
             [-2.0, 1e-3, 10.0]),
    "reciprocal": (lambda x: 1 / x, lambda x: 1 / x, lambda x: -1 / x**2,
                   lambda x: 2 / x**3, [-2.0, 1e-2, 7.0]),
    "rsub": (lambda x: 3 - x, lambda x: 3 - x, lambda x: -1.0, lambda x: 0.0, [-1.0, 2.0]),
    "two_pow_x": (lambda x: 2**x, lambda x: 2**x, lambda x: 2**x * math.log(2),
                  lambda x: 2**x * math.log(2) ** 2, [-3.0, 0.0, 10.0]),
    "pow_half": (lambda x: x**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x),
                 lambda x: -0.25 * x**-1.5, [0.01, 2.0, 1e4]),
    # step functions: derivative 0 between their steps (points 0.2 or more from them)
    "floor": (lambda x: x.floor(), math.floor, lambda x: 0.0, lambda x: 0.0,
              [-2.7, -0.3, 0.2, 1e3 + 0.5]),
    "ceil": (lambda x: x.ceil(), math.ceil, lambda x: 0.0, lambda x: 0.0,
             [-2.7, -0.3, 0.2, 1e3 + 0.5]),
    "round": (lambda x: x.round(), round, lambda x: 0.0, lambda x: 0.0,
              [-2.7, -0.3, 0.2, 1e3 + 0.25]),
    "sign": (lambda x: x.sign(), lambda x: math.copysign(1.0, x), lambda x: 0.0,
             lambda x: 0.0, [-2.7, -1e-3, 1e-3, 1e6]),
    "mod": (lambda x: x % 0.75, lambda x: x % 0.75, lambda x: 1.0, lambda x: 0.0,
            [-2.7, -0.3, 0.2, 1e3 + 0.1]),
    "rmod": (lambda x: 2.5 % x, lambda x: 2.5 % x, lambda x: -(2.5 // x), lambda x: 0.0,
             [-2.7, -0.3, 0.7, 1e3]),
    "floordiv": (lambda x: x // 0.75, lambda x: x // 0.75, lambda x: 0.0, lambda x: 0.0,
                 [-2.7, -0.3, 0.2, 1e3 + 0.1]),
}

CASES = [(name, x) for name, row in UNARY.items() for x in row[-1]]


@pytest.mark.parametrize(("name", "x"), CASES)
def test_unary_value_and_derivatives(name, x):
    f, value, d1, d2, _ = UNARY[name]
    assert f(Value(x)).data == pytest.approx(value(x), rel=1e-12, abs=1e-300)
    # first derivative: backward against the analytic derivative
    v = Value(x)
    f(v).backward()
    assert v.grad == pytest.approx(d1(x), rel=1e-10, abs=1e-12)
    # ... and against central differences
    assert gradcheck(f, (x,), eps=1e-6 * max(1.0, abs(x)), atol=1e-6, rtol=1e-5)
    # second derivative, by differentiating the derivative
    assert grad(grad(f))(x) == pytest.approx(d2(x), rel=1e-9, abs=1e-9)


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    "pow": (lambda a, b: a**b, lambda a, b: (b * a ** (b - 1), a**b * math.log(a))),
}
# the steps of % and // (a / b whole) are away from the points (a / b = -0.75, 0.12, 14.6)
STEPPED = {
    "mod": (lambda a, b: a % b, lambda a, b: (1.0, -(a // b))),
    "floordiv": (lambda a, b: a // b, lambda a, b: (0.0, 0.0)),
}


@pytest.mark.parametrize("name", sorted(BINARY) + sorted(STEPPED))
@pytest.mark.parametrize(("a", "b"), [(1.5, -2.0), (0.3, 2.5), (7.3, 0.5)])
def test_binary_with_values_and_numbers_on_either_side(name, a, b):
    f, partials = BINARY.get(name) or STEPPED[name]
    da, db = partials(a, b)
    x, y = Value(a), Value(b)
    f(x, y).backward()
    assert (x.grad, y.grad) == (pytest.approx(da, rel=1e-12), pytest.approx(db, rel=1e-12))
    # a number on the left or on the right is a constant
    x = Value(a)
    out = f(x, b)
    out.backward()
    assert out.data == pytest.approx(f(a, b)) and x.grad == pytest.approx(da, rel=1e-12)
    y = Value(b)
    out = f(a, y)
    out.backward()
    assert out.data == pytest.approx(f(a, b)) and y.grad == pytest.approx(db, rel=1e-12)
    assert gradcheck(f, (a, b))


def test_mixed_second_partials_of_x_times_y():
    dfdx = grad(lambda x, y: x * y, argnums=0)
    assert grad(dfdx, argnums=1)(3.0, 5.0) == pytest.approx(1.0)
    assert grad(dfdx, argnums=0)(3.0, 5.0) == pytest.approx(0.0)
    f = lambda x, y: x**2 * y.sin()  # noqa: E731
    d2_dxdy = grad(grad(f, argnums=0), argnums=1)(1.5, 0.4)
    assert d2_dxdy == pytest.approx(2 * 1.5 * math.cos(0.4), rel=1e-12)


def test_second_derivative_of_exp_sin():
    f = lambda x: x.sin().exp()  # noqa: E731
    for x in (-2.0, 0.0, 0.3, 4.0):
        expected = math.exp(math.sin(x)) * (math.cos(x) ** 2 - math.sin(x))
        assert grad(grad(f))(x) == pytest.approx(expected, rel=1e-12)


def test_third_derivative_of_a_cube():
    assert grad(grad(grad(lambda x: x**3)))(2.0) == pytest.approx(6.0)


# --------------------------------------------------------------------------------------
# The API: attributes, repr, labels, op names, comparisons, hashing
# --------------------------------------------------------------------------------------


def test_attributes_labels_and_op_names():
    a = Value(2, label="a")
    assert (a.data, a.grad, a.label, a.op) == (2.0, 0.0, "a", "")
    assert type(a.data) is float
    ops = {
        "+": a + 1, "-": a - 1, "*": a * 2, "/": a / 2, "**": a**2, "neg": -a,
        "abs": abs(a), "exp": a.exp(), "log": a.log(), "sqrt": a.sqrt(),
        "tanh": a.tanh(), "sigmoid": a.sigmoid(), "relu": a.relu(),
        "leaky_relu": a.leaky_relu(), "sin": a.sin(), "cos": a.cos(),
    }
    for name, node in ops.items():
        assert node.op == name
        assert isinstance(node, Value) and type(node.data) is float


def test_format_spec_formats_the_data_and_there_is_no_float_conversion():
    v = Value(2.5, label="v")
    assert f"{v:.2f}" == "2.50" and f"{v:>5}" == "  2.5"
    assert f"{v}" == repr(v)
    # math.exp(v) must not quietly drop out of the graph with a float; float(v) says
    # where the number is (it was Python's bare "must be a string or a real number")
    for call in (math.exp, float):
        with pytest.raises(TypeError, match=r"^float\(\) of a Value is refused: its number "
                                            r"is v.data \(or v.item\(\)\), here 2.5; "
                                            r"math's functions .* use its ops"):
            call(v)


def test_repr_is_readable():
    a = Value(2.0, label="a")
    b = a * 3
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(b) == "Value(data=6.0, grad=0.0, op='*')"


def test_comparisons_compare_data_and_hash_is_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a != b
    assert a < 1.5 and 2.5 > b and a == 1.0 and 1.0 == a
    assert Value(3.0) == Value(3.0)
    assert len({Value(3.0), Value(3.0)}) == 2  # equal data, two distinct nodes
    assert isinstance(a < b, bool)


@pytest.mark.parametrize("bad", ["a", None, [1], (1.0,), np.array([1.0]), 1 + 2j, {}])
def test_non_numbers_raise_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_numpy_scalars_and_ints_are_accepted():
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(3)).data == 3.0
    assert Value(True).data == 1.0


def test_operators_with_unsupported_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1] * Value(2.0)


# --------------------------------------------------------------------------------------
# backward: accumulation, twice, reuse, zero_grad
# --------------------------------------------------------------------------------------


def _expression():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return a, b, g


def test_micrograd_sanity_expression_matches_hand_values():
    # The expression of micrograd's own test, whose values PyTorch gives as
    # g = 24.70408163265306, dg/da = 138.83381924198252, dg/db = 645.5772594752186.
    a, b, g = _expression()
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad == pytest.approx(645.5772594752186, rel=1e-12)


def _all_nodes(root):
    seen, stack = {id(root): root}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return list(seen.values())


def test_backward_twice_doubles_every_grad_exactly_intermediates_included():
    a, b, g = _expression()
    g.backward()
    first = {id(n): n.grad for n in _all_nodes(g)}
    g.backward()
    for node in _all_nodes(g):
        assert node.grad == 2 * first[id(node)]


def test_zero_grad_resets_the_whole_graph():
    a, b, g = _expression()
    g.backward()
    g.zero_grad()
    assert all(n.grad == 0.0 for n in _all_nodes(g))
    g.backward()
    assert a.grad == pytest.approx(138.83381924198252)


def test_a_node_used_many_times_counts_every_use():
    x = Value(1.5)
    total = x
    for _ in range(999):
        total = total + x
    total.backward()
    assert x.grad == 1000.0
    y = Value(0.5)
    (y * y * y).backward()  # d/dy y^3 = 3 y^2
    assert y.grad == pytest.approx(0.75)


def test_a_node_used_twice_in_one_op():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    x = Value(3.0)
    (x + x).backward()
    assert x.grad == 2.0


def test_gradient_of_a_leaf_with_itself_is_one():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0


def test_add_n_is_one_node_with_the_same_value_and_grads():
    xs = [Value(float(i)) for i in range(10)]
    total = autodiff.add_n([x * x for x in xs] + [1.0])
    assert total.op == "add_n"
    assert total.data == sum(float(i) ** 2 for i in range(10)) + 1.0
    total.backward()
    assert [x.grad for x in xs] == [2.0 * i for i in range(10)]
    with pytest.raises(ValueError, match="add_n"):
        autodiff.add_n([])


# --------------------------------------------------------------------------------------
# Numerics and domains
# --------------------------------------------------------------------------------------


def test_saturating_functions_stay_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, f, expected, slope in [
            (1000.0, Value.tanh, 1.0, 0.0),
            (-1000.0, Value.tanh, -1.0, 0.0),
            (-1000.0, Value.sigmoid, 0.0, 0.0),
            (1000.0, Value.sigmoid, 1.0, 0.0),
            (-745.0, Value.exp, math.exp(-745.0), math.exp(-745.0)),
        ]:
            v = Value(x)
            out = f(v)
            out.backward()
            assert out.data == expected
            assert math.isfinite(v.grad) and v.grad == pytest.approx(slope)
        # sigmoid far out keeps its relative precision (no 1 - 1 cancellation)
        assert Value(-30.0).sigmoid().data == pytest.approx(math.exp(-30.0), rel=1e-12)


def test_exp_overflow_raises_a_clear_overflow_error():
    with pytest.raises(OverflowError, match=r"exp.*1000"):
        Value(1000.0).exp()
    assert math.isfinite(Value(709.0).exp().data)


@pytest.mark.parametrize(("f", "x", "pattern"), [
    (Value.log, 0.0, r"log.*0\.0"),
    (Value.log, -2.0, r"log.*-2\.0"),
    (Value.sqrt, -1.0, r"sqrt.*-1\.0"),
    (lambda v: v**0.5, -4.0, r"pow.*-4\.0"),
    (Value.sin, math.inf, r"sin.*inf"),  # math.sin's own message names no op
    (Value.cos, -math.inf, r"cos.*-inf"),
])
def test_out_of_domain_raises_value_error_naming_op_and_value(f, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        f(Value(x))


def test_division_by_zero_raises_naming_the_op():
    with pytest.raises(ZeroDivisionError, match="/"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


def test_no_numpy_warnings_anywhere_in_value_ops():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Value(0.5)
        y = (x.exp() + x.log() + x.sqrt() + x.tanh() + x.sigmoid() + x.sin() + x.cos()
             + abs(x) + x.relu() + x.leaky_relu() + 2**x + x**x)
        y.backward()
        assert math.isfinite(x.grad)


# --------------------------------------------------------------------------------------
# Random expression trees: hypothesis builds them, gradcheck checks them
# --------------------------------------------------------------------------------------

_SAFE_UNARY = [
    lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v.sin(), lambda v: v.cos(),
    lambda v: (v * 0.1).exp(), lambda v: (v * v + 1).log(), lambda v: (v * v + 1).sqrt(),
    lambda v: -v, lambda v: v * 0.5,
]
_SAFE_BINARY = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
    lambda a, b: a / (b * b + 1), lambda a, b: (a * a + 1) ** (b.tanh()),
]


@st.composite
def expressions(draw, depth=4):
    """A random program over three inputs: a list of (kind, op index, operand indices)."""
    steps = []
    n_nodes = 3
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(_SAFE_UNARY) - 1)),
                          (draw(st.integers(0, n_nodes - 1)),)))
        else:
            steps.append(("b", draw(st.integers(0, len(_SAFE_BINARY) - 1)),
                          (draw(st.integers(0, n_nodes - 1)),
                           draw(st.integers(0, n_nodes - 1)))))
        n_nodes += 1
    return steps


def _run_program(steps, *inputs):
    nodes = list(inputs)
    for kind, i, operands in steps:
        args = [nodes[j] for j in operands]
        nodes.append(_SAFE_UNARY[i](*args) if kind == "u" else _SAFE_BINARY[i](*args))
    return autodiff.add_n(nodes[3:])  # every intermediate result reaches the output


@settings(max_examples=60, deadline=None)
@given(expressions(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_random_expression_trees_pass_gradcheck(steps, xs):
    assert gradcheck(lambda a, b, c: _run_program(steps, a, b, c), xs, atol=1e-5, rtol=1e-4)


# --------------------------------------------------------------------------------------
# gradcheck itself
# --------------------------------------------------------------------------------------


class _WrongCube(autodiff.ops.Op):
    """x**3 with a deliberately wrong derivative (2x^2 instead of 3x^2)."""

    name = "wrong_cube"

    @staticmethod
    def forward(xp, x):
        return x * x * x

    @staticmethod
    def backward(xp, g, out, x):
        return (g * 2 * x * x,)


def test_gradcheck_catches_a_wrong_rule_and_names_input_index_and_numbers():
    f = lambda a, b: _WrongCube.apply(a) + b  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (Value(2.0, label="a"), Value(1.0)))
    error = info.value
    assert error.input == 0 and error.index == ()
    assert error.analytic == pytest.approx(8.0) and error.numeric == pytest.approx(12.0)
    assert error.difference == pytest.approx(-4.0)
    message = str(error)
    assert "input 0 (a)" in message and "8" in message and "12" in message


def test_gradcheck_leaves_inputs_unchanged():
    a = Value(2.0)
    a.grad = 0.25
    assert gradcheck(lambda x: x.exp() * x, (a,))
    assert (a.data, a.grad) == (2.0, 0.25)


# --------------------------------------------------------------------------------------
# Optional: agreement with PyTorch
# --------------------------------------------------------------------------------------


def test_agrees_with_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    x, y = Value(0.7), Value(-1.3)
    z = (x * y).tanh() + (x**2).exp() * y.sigmoid() - (x / (y * y + 1)).log().relu() + x**y.abs()
    z.backward()
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    tz = ((tx * ty).tanh() + (tx**2).exp() * ty.sigmoid()
          - (tx / (ty * ty + 1)).log().relu() + tx ** ty.abs())
    tz.backward()
    assert z.data == pytest.approx(tz.item(), rel=1e-12)
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)
    assert y.grad == pytest.approx(ty.grad.item(), rel=1e-12)


def test_gradcheck_locate_names_the_wrong_op_in_a_composite():
    f = lambda a: (_WrongCube.apply(a.tanh()) * 2).exp()  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (Value(0.4),), locate=True)
    report = info.value.fault
    assert report is not None and report.fault.op == "wrong_cube"
    assert "wrong_cube" in str(info.value)


def test_numerical_grad_of_plain_numpy_and_of_numbers():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    g = autodiff.numerical_grad(lambda w: (w**3).sum(), x)
    assert np.allclose(g, 3 * x**2, rtol=1e-7) and np.array_equal(x, before)
    assert autodiff.numerical_grad(math.sin, 0.3) == pytest.approx(math.cos(0.3), rel=1e-9)
    # autodiff code returning a Value works too
    assert autodiff.numerical_grad(lambda v: Value(v).exp(), 1.0) == pytest.approx(math.e, rel=1e-8)


def test_many_input_ops_compute_in_float_with_numpy_constants_and_name_bad_ones():
    # weighted_sum and add_n (nn.scalar's fused neuron) take NumPy scalars as the other
    # operators do: as floats, so float32 constants make neither float32 data nor grads
    w = Value(1.0)
    out = autodiff.weighted_sum([w], [np.float32(0.1)], bias=np.float32(0.5))
    assert type(out.data) is float and out.data == (w * np.float32(0.1) + 0.5).data
    out.backward()
    assert type(w.grad) is float and w.grad == float(np.float32(0.1))
    total = autodiff.add_n([w, np.float32(0.1), np.int64(2), True])
    assert type(total.data) is float and total.data == 1.0 + float(np.float32(0.1)) + 3.0
    for bad, shown in (("a", "str 'a'"), (None, "NoneType"), ([1, 2], "list"),
                       (np.ones(2), "ndarray")):
        with pytest.raises(TypeError, match=f"^add_n: needs Values and real numbers, got "
                                            f"{re.escape(shown)}"):
            autodiff.add_n([w, bad])


def test_bool_of_a_value_tests_its_number_as_for_a_tensor():
    assert not Value(0.0) and Value(-2.0) and not autodiff.Tensor(0.0)
    assert [bool(Value(x)) for x in (0.0, 1e-300, float("nan"))] == [False, True, True]


def test_weighted_sum_is_one_node_equal_to_its_products_and_sums():
    w = [Value(0.5), Value(-1.5), Value(2.0)]
    x = [Value(1.0), 3.0, Value(-0.25)]
    b = Value(0.1)
    out = autodiff.weighted_sum(w, x, b)
    assert out.op == "weighted_sum" and len(out.parents) == 1 + 3 + 2
    assert out.data == pytest.approx(0.1 + 0.5 * 1.0 - 1.5 * 3.0 + 2.0 * -0.25)
    out.backward()
    assert [v.grad for v in w] == [1.0, 3.0, -0.25]
    assert (x[0].grad, x[2].grad, b.grad) == (0.5, 2.0, 1.0)
    assert gradcheck(lambda b, w0, w1, x0: autodiff.weighted_sum([w0, w1], [x0, 2.0], b).tanh(),
                     (0.3, -0.7, 1.1, 0.4))
    # second derivative: d2/dw2 tanh(w*w + 2w) against the analytic value
    f = lambda w: autodiff.weighted_sum([w, w], [w, 2.0]).tanh()  # noqa: E731
    u, du = 0.3**2 + 0.6, 2 * 0.3 + 2
    t = math.tanh(u)
    expected = -2 * t * (1 - t**2) * du**2 + (1 - t**2) * 2
    assert grad(grad(f))(0.3) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="weighted_sum"):
        autodiff.weighted_sum([Value(1.0)], [1.0, 2.0])


# -- Boundary points (from mutation testing) ---------------------------------------------


def test_abs_of_zero_has_zero_gradient_and_sqrt_of_zero_is_zero():
    v = Value(0.0)
    abs(v).backward()
    assert v.grad == 0.0
    assert Value(0.0).sqrt().data == 0.0


def test_relu_of_nan_is_nan_as_for_tensors():
    assert math.isnan(Value(float("nan")).relu().data)
    assert np.isnan(autodiff.Tensor([np.nan]).relu().data[0])


@pytest.mark.parametrize("make", [
    lambda x: (x.relu() * 1e200) * 1e200,  # an infinite gradient reaches relu at x < 0
    lambda x: Value(-2.0) ** x.relu(),  # d/dy of a negative base is nan; relu blocks it
    lambda x: ((x + 3.0) ** 0) * 1e200 * 1e200,  # d/dx of x ** 0 is 0, whatever g is
])
def test_a_zero_derivative_stops_an_infinite_or_nan_gradient_as_in_pytorch(make):
    x = Value(-1.0)
    make(x).backward()
    assert x.grad == 0.0
    # and when backward is recorded (grad of a Value runs it with create_graph)
    assert autodiff.grad(make)(Value(-1.0)) == 0.0


def test_zero_to_a_negative_power_is_a_zero_division():
    with pytest.raises(ZeroDivisionError, match="pow"):
        Value(0.0) ** -1.0


def test_less_or_equal_includes_equality():
    assert Value(1.0) <= 1.0
    assert Value(1.0) <= Value(1.0)
    assert 1.0 >= Value(1.0)  # reflected to Value.__le__


def test_a_negative_base_with_a_value_exponent_gives_nan_for_the_exponent_only():
    # x^y at x < 0 has no derivative in y over the reals (nan, as in PyTorch); d/dx stays
    a, b = Value(-2.0), Value(2.0)
    (a ** b).backward()
    assert a.grad == -4.0 and math.isnan(b.grad)
    x = autodiff.Tensor([-2.0, 3.0], requires_grad=True)
    y = autodiff.Tensor([2.0, 2.0], requires_grad=True)
    (x ** y).sum().backward()  # and no RuntimeWarning from the log of -2
    np.testing.assert_array_equal(x.grad, [-4.0, 6.0])
    assert np.isnan(y.grad[0]) and y.grad[1] == pytest.approx(9 * math.log(3))


def test_derivation_tells_apart_nodes_that_share_a_label_and_escapes_labels():
    w_a, w_b = Value(2.0, label="w"), Value(3.0, label="w")
    y = w_a * w_b
    y.label = "y"
    text = autodiff.derivation(y, w_a)
    assert "y = w · w′ = 6.0000" in text and "∂y/∂w = w′ = 3.0000" in text
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    h = x1 * w1
    h.label = "x1*w1"
    o = h.tanh()
    o.label = "o"
    md = autodiff.derivation(o, w1)
    assert r"∂(x1\*w1)/∂w1" in md  # one symbol, and no Markdown emphasis
    for label in ["a&b", "#1", "50%", "$x", "x^2", "~", "x_1"]:
        v = Value(0.5, label=label)
        out = v * 2
        out.label = "out"
        tex = autodiff.derivation(out, v, format="latex")
        body = tex.replace("\\&", "").replace("\\#", "").replace("\\%", "").replace(
            "\\$", "").replace("\\_", "")
        assert not any(ch in body.replace("&=", "").replace("% ", "") for ch in "&#$_"), tex
    big = Value(float("inf"), label="a")
    assert r"a &= \infty" in autodiff.derivation(big * 2, big, format="latex")


def test_derivation_writes_a_weighted_sum_and_names_the_op_of_a_failing_derivative():
    b, w1, w2 = Value(0.5, label="b"), Value(2.0, label="w1"), Value(-1.0, label="w2")
    x1, x2 = Value(3.0, label="x1"), Value(4.0, label="x2")
    y = autodiff.weighted_sum([w1, w2], [x1, x2], b)
    y.label = "y"
    text = autodiff.derivation(y, w2)
    assert "y = b + w1 · x1 + w2 · x2 = 2.5000" in text
    assert "∂y/∂w2 = x2 = 4.0000" in text
    assert "∂y/∂x1 = w1" in autodiff.derivation(y, x1)
    assert "\\cdot" in autodiff.derivation(y, x1, format="latex")
    z = Value(0.0, label="z")
    with pytest.raises(ZeroDivisionError, match="derivation: the local derivative of op "
                                                "'sqrt'"):
        autodiff.derivation(z.sqrt(), z)


@pytest.mark.parametrize("slope", ["x", None, Value(0.1), True])
def test_a_bad_leaky_relu_slope_is_named(slope):
    with pytest.raises(TypeError, match="leaky_relu: slope must be a real number"):
        Value(1.0).leaky_relu(slope)
    with pytest.raises(TypeError, match="leaky_relu: slope must be a real number"):
        autodiff.Tensor([1.0]).leaky_relu(slope)


def test_derivation_names_stay_distinct_whatever_the_labels():
    a, b = Value(2.0, label="w'"), Value(3.0, label="w")
    c = Value(4.0, label="w")
    y = a * b * c
    y.label = "y"
    module = importlib.import_module("autodiff.derivation")  # (autodiff.derivation: the function)
    for latex in (False, True):
        names = module._names(autodiff.viz._collect(y), latex)
        assert len(set(names.values())) == len(names)
    v = Value(1.0, label="a\nb")
    text = autodiff.derivation(v * 2, v)
    assert "a b" in text and "a\nb" not in text
    dollar = Value(1.0, label="$x")
    assert r"\$x" in autodiff.derivation(dollar * 2, dollar)


def test_construction_and_backward_errors_say_what_to_do():
    assert Value(np.True_).data == 1.0  # a NumPy bool, as a Python bool
    with pytest.raises(OverflowError, match="an int of about 10\\^400 is larger than the "
                                            "largest float"):
        Value(10**400)
    with pytest.raises(TypeError, match=r"takes no arguments, got create_graph.*"
                                        r"autodiff.grad"):
        Value(1.0).backward(create_graph=True)


def test_an_int_beyond_the_largest_float_gives_its_size_without_the_sign():
    # kills: len(str(abs(x))) -> len(str(x))
    for n, shown in ((10**400, 400), (-10**400, 400), (10**5000, 5000)):
        # (10**5000 has more digits than str() of an int may make)
        with pytest.raises(OverflowError, match=rf"^an int of about 10\^{shown} is"):
            Value(n)
        with pytest.raises(OverflowError, match=rf"^an int of about 10\^{shown} is"):
            autodiff.add_n([Value(1.0), n])  # a constant among many terms, the same


def test_numpy_float64_constants_give_float_data_and_grads():
    # kills: _constant accepting float/int subclasses (np.float64 is a float subclass)
    w = Value(1.0)
    total = autodiff.add_n([w, np.float64(0.5)])
    assert type(total.data) is float and total.data == 1.5
    out = autodiff.weighted_sum([w], [np.float64(0.25)], bias=np.float64(0.5))
    assert type(out.data) is float
    out.backward()
    assert type(w.grad) is float and w.grad == 0.25


def test_relu_of_nan_passes_its_gradient_on_as_in_pytorch():
    # kills: Relu's scalar rule testing out > 0 instead of out != 0
    x = Value(float("nan"))
    x.relu().backward()
    assert x.grad == 1.0  # torch.tensor(nan).relu() backward gives 1


def test_a_quotients_gradient_does_not_square_the_denominator():
    # kills O10 (d/dy written -x / y**2): y**2 underflows to 0 here, while -out / y,
    # the rule's form, is -1e100 (the true value)
    x, y = Value(1e-300), Value(1e-200)
    (x / y).backward()
    assert x.grad == pytest.approx(1e200)
    assert y.grad == pytest.approx(-1e100)


def test_a_quotient_past_the_largest_float_raises_as_a_power_does():
    # Python's float division gives inf there, where x * y ** -1 (micrograd's division)
    # raises in the power
    for make in (lambda: Value(1e300) / Value(1e-300), lambda: Value(1e300) / 1e-300,
                 lambda: 1e300 / Value(1e-300), lambda: Value(-1e300) / 1e-300):
        with pytest.raises(OverflowError, match=r"^/: -?1e\+300 / 1e-300 is larger than "
                                                r"the largest float$"):
            make()
    assert (Value(math.inf) / 2).data == math.inf  # infinite already: float arithmetic
    assert (Value(1.0) / math.inf).data == 0.0
    # a derivative that overflows in a product is inf, as the product is (documented)
    x, y = Value(1.0), Value(1e-200)
    (x / y).backward()
    assert x.grad == pytest.approx(1e200) and y.grad == -math.inf


def test_sqrt_of_zero_backward_raises_the_named_division_by_zero():
    # kills E03 (the rule's xp.div replaced by Python's /): the error names the op and
    # the values, as every SCALAR error does
    with pytest.raises(ZeroDivisionError, match=r"sqrt.*1\.0 / 0\.0 divides by zero"):
        Value(0.0).sqrt().backward()


@pytest.mark.parametrize("make, error, message", [
    (lambda: Value(0.0).sqrt() * Value(3.0), ZeroDivisionError,
     r"^backward of 'sqrt' at 0\.0: the derivative is infinite there \(computing it: "
     r"/: 3\.0 / 0\.0 divides by zero\)$"),
    (lambda: Value(0.0) ** 0.5, ZeroDivisionError,
     r"^backward of '\*\*' at 0\.0, 0\.5: the derivative is infinite there"),
    (lambda: Value(1e-300) ** -1, OverflowError,
     r"^backward of '\*\*' at 1e-300, -1\.0: the derivative is larger than the largest "
     r"float there"),
    # log's derivative 1/x went to inf in Python's division, where ** raised
    (lambda: Value(1e-320).log(), OverflowError,
     r"^backward of 'log' at 1e-320: the derivative is larger than the largest float "
     r"there \(computing it: /: 1\.0 / 1e-320 is larger than the largest float\)$"),
    (lambda: Value(1e-200).tanh() / Value(1e-200) * 1e150, OverflowError,
     r"^backward of '/' at 1e-200, 1e-200: the derivative is larger than the largest "
     r"float there"),
])
def test_a_value_backward_error_says_the_derivative_is_infinite_at_the_inputs(
        make, error, message):
    # it quoted the rule's own arithmetic only ("backward of 'sqrt': /: 3.0 / 0.0 divides
    # by zero"), in which 3.0 is the incoming gradient
    with pytest.raises(error, match=message):
        make().backward()


def test_a_value_label_that_is_not_a_str_raises_type_error():
    # kills V03 (the label check dropped), as for a Tensor's label
    with pytest.raises(TypeError, match=r"Value\(label\) must be a str, got int"):
        Value(1.0, label=3)
    assert Value(1.0, label="w").label == "w"


def test_ordering_comparisons_at_equality():
    # kills V15 (`>=` computed as `>`): the boundary of each ordering comparison
    a, b = Value(2.0), Value(2.0)
    assert a >= b and a <= b and not a > b and not a < b
    assert a >= 2 and 2 <= a and a <= 2.0 and not a > 2
    assert not Value(1.0) >= 2 and Value(3.0) >= 2


def test_a_0d_array_is_a_number_and_numpy_applies_a_value_to_each_element_of_an_array():
    v = Value(2.0)
    assert (v * np.array(3.0)).data == 6.0 and (np.array(3.0) * v).data == 6.0
    assert (np.float32(2.0) ** v).data == 4.0 and np.sum([v, v]).data == 4.0
    # NumPy's object loops call the Values' own methods: a vectorised scalar layer, and
    # np.exp of a Value, stay in the graph
    layer = np.array([Value(1.0), Value(-1.0)]) * v
    assert [u.data for u in layer] == [2.0, -2.0] and np.exp(v).op == "exp"
    np.testing.assert_array_equal(np.array([1.0, 2.0, 3.0]) == v, [False, True, False])


@pytest.mark.parametrize("call, name", [
    (lambda: autodiff.add_n(5), "add_n: terms"), (lambda: autodiff.add_n("ab"), "add_n: terms"),
    (lambda: autodiff.weighted_sum(5, [1.0]), "weighted_sum: weights"),
    (lambda: autodiff.weighted_sum([Value(1.0)], 5), "weighted_sum: inputs"),
])
def test_add_n_and_weighted_sum_name_an_argument_that_is_not_a_sequence(call, name):
    # "'int' object is not iterable", or for a str "sum() can't sum strings"
    with pytest.raises(TypeError, match=f"^{name} must be a sequence of Values"):
        call()


VALUE_FUNCTIONS = {
    # every Value op, the binary ones with both operands differentiated (mixed partials)
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "rsub-number": lambda a, b: 2.0 - a * b, "rdiv-number": lambda a, b: 3.0 / (a + b),
    "rpow-number": lambda a, b: 1.7 ** (a * b), "pow-number": lambda a, b: (a * b) ** 2.5,
    "neg": lambda a, b: -(a * b), "abs": lambda a, b: abs(a - b),
    "exp": lambda a, b: (a * b).exp(), "log": lambda a, b: (a * b).log(),
    "sqrt": lambda a, b: (a * b).sqrt(), "tanh": lambda a, b: (a * b).tanh(),
    "sigmoid": lambda a, b: (a * b).sigmoid(), "relu": lambda a, b: (a - b).relu(),
    "leaky_relu": lambda a, b: (b - a).leaky_relu(0.2), "sin": lambda a, b: (a * b).sin(),
    "cos": lambda a, b: (a * b).cos(),
    "weighted_sum": lambda a, b: autodiff.weighted_sum([a, b], [b, 2.0], a),
    "add_n": lambda a, b: autodiff.add_n([a, a * b, b]),
    "mod": lambda a, b: (a * b) % (b - a), "floordiv": lambda a, b: (a * b) // (b - a),
    "floor": lambda a, b: (a * b).floor() + a, "ceil": lambda a, b: (a * b).ceil() * b,
    "round": lambda a, b: (a * b).round() * b, "sign": lambda a, b: (a - b).sign() * a,
}


@pytest.mark.parametrize("name", sorted(VALUE_FUNCTIONS))
def test_every_value_op_passes_gradgradcheck_inside_a_nonlinear_function(name):
    # the op's result is squared, so each recorded rule must keep its dependence on its
    # inputs and on its incoming gradient; a = 0.8, b = 1.3: away from every kink
    fn = VALUE_FUNCTIONS[name]
    assert gradcheck(fn, [Value(0.8), Value(1.3)], eps=1e-6, atol=1e-7, rtol=1e-6)
    assert autodiff.gradgradcheck(lambda a, b: fn(a, b) * fn(a, b), [Value(0.8), Value(1.3)],
                                  eps=1e-6, atol=1e-7, rtol=1e-6)


# -- .data set by hand -------------------------------------------------------------------


@pytest.mark.parametrize("op", [
    lambda p: p * 2.0, lambda p: 2.0 - p, lambda p: p.tanh(), lambda p: p ** 2,
    lambda p: p.relu(), lambda p: autodiff.add_n([p, p]),
])
def test_a_value_put_in_data_by_a_typo_is_refused_by_the_next_op(op):
    # micrograd's update with p for p.grad, p.data -= lr * p, nested a Value in .data:
    # the ops went on, one level deeper each step, and training ran on, wrong
    p = Value(2.0, label="w")
    (p * 3.0).backward()
    p.data -= 0.1 * p
    with pytest.raises(TypeError, match=r"the \.data of Value 'w' is a Value, not a "
                                        r"number: was it set by hand\? \(`p\.data -= lr \* "
                                        r"p`, where p\.grad was meant"):
        op(p)


def test_data_set_by_hand_to_a_numpy_number_gives_float_results():
    p = Value(2.0)
    p.data = np.float32(3.0)
    assert type((p * 2).data) is float and (p * 2).data == 6.0
    assert type(p.exp().data) is float
    p.data = "3"
    with pytest.raises(TypeError, match=r"^\*: the \.data of a Value is a str, not a number"):
        p * 2.0
    with pytest.raises(TypeError, match=r"^exp: the \.data of a Value is a str"):
        p.exp()


def test_micrograds_names_point_to_ours():
    c = Value(2.0) * Value(3.0)
    with pytest.raises(AttributeError, match=r"no attribute '_prev'; a Value's inputs are "
                                             r"v\.parents"):
        _ = c._prev
    with pytest.raises(AttributeError, match=r"no attribute '_backward'; each op's "
                                             r"derivative is the backward rule"):
        _ = c._backward
    assert not hasattr(c, "_prev")  # still a missing attribute to hasattr and getattr
    with pytest.raises(AttributeError, match=r"has no attribute 'draw_dot'; "
                                             r"autodiff\.draw_graph\(node\)"):
        _ = autodiff.draw_dot
    with pytest.raises(AttributeError, match=r"^module 'autodiff' has no attribute 'nope'$"):
        _ = autodiff.nope


def test_a_subclass_may_set_the_names_that_point_elsewhere():
    # they were properties without a setter: a Value subclass porting micrograd code,
    # setting self._prev, failed (QA round 19)
    class Traced(Value):
        def __init__(self, data, children=()):
            super().__init__(data)
            self._prev = set(children)

    a = Traced(1.0)
    b = Traced(2.0, (a,))
    assert b._prev == {a}
    with pytest.raises(AttributeError, match="'Value' object has no attribute '_prev'"):
        _ = Value(1.0)._prev
