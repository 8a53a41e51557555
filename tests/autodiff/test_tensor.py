"""Tensor behaviour around the gradients: dtypes, operands of other kinds, matmul shapes,
ties, repeated indices, stability, retain_graph, errors, repr, `.grad` ownership and
no_grad. Per-op gradients are checked by the table in test_ops.py."""

from __future__ import annotations

import decimal
import fractions
import math
import re
import warnings

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, gradcheck, linear, no_grad


def leaf(data, dtype=np.float64, **kwargs) -> Tensor:
    return Tensor(np.asarray(data, dtype=dtype), requires_grad=True, **kwargs)


# --------------------------------------------------------------------------------------
# Construction and dtypes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [3, 2.5, [1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], (1, 2)])
def test_python_numbers_and_lists_become_float64(data):
    t = Tensor(data)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float32,
                                   np.float64])
def test_numpy_arrays_keep_their_dtype(dtype):
    assert Tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert Tensor(np.zeros((), dtype=dtype)[()]).dtype == dtype  # a NumPy scalar


def test_dtype_argument_converts():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2), dtype=np.int64).dtype == np.int64


@pytest.mark.parametrize("data", [
    np.array([1, 2, 3]),
    np.array([True, False]),
    np.array([1.0, "a"], dtype=object),
    np.array(3, dtype=np.int32),
])
def test_requires_grad_on_non_float_data_raises_type_error(data):
    with pytest.raises(TypeError, match=re.escape(str(data.dtype))):
        Tensor(data, requires_grad=True)


def test_requires_grad_on_an_int_dtype_argument_raises_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1.0, 2.0], dtype=np.int64, requires_grad=True)


FLOAT32_WITH_NUMBERS = {
    "x + 1": lambda x: x + 1,
    "2.5 * x": lambda x: 2.5 * x,
    "x / 3": lambda x: x / 3,
    "3 / x": lambda x: 3 / x,
    "1 - x": lambda x: 1 - x,
    "x ** 2": lambda x: x**2,
    "x ** 0.5": lambda x: x**0.5,
    "2.0 ** x": lambda x: 2.0**x,
    "where with a number": lambda x: autodiff.where(np.array([True, False, True]), x, 0.5),
    "clip": lambda x: x.clip(0.6, 1.2),
    "leaky_relu": lambda x: (x - 1).leaky_relu(0.1),
    "mean": lambda x: x.mean(),
    "x * np.float32(2)": lambda x: x * np.float32(2),
    "logsumexp": lambda x: x.logsumexp(),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_WITH_NUMBERS))
def test_float32_with_python_numbers_stays_float32_forward_and_backward(name):
    x = leaf([0.5, 1.0, 1.5], np.float32)
    y = FLOAT32_WITH_NUMBERS[name](x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert y.grad.dtype == np.float32


MIXED = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "@": lambda a, b: a @ b.T,
    "where": lambda a, b: autodiff.where(np.array([True, False, True]), a, b),
    "concatenate": lambda a, b: autodiff.concatenate([a, b], axis=-1),
    "add_n": lambda a, b: autodiff.add_n([a, b, a]),
}


@pytest.mark.parametrize("name", sorted(MIXED))
@pytest.mark.parametrize(("dtype_a", "dtype_b"), [(np.float32, np.float64),
                                                   (np.float64, np.float32),
                                                   (np.float32, np.float16)])
def test_mixed_dtypes_follow_numpy_promotion_and_grads_keep_input_dtypes(name, dtype_a,
                                                                          dtype_b):
    a_data = np.array([[0.5, 1.0, 1.5], [1.0, 2.0, 0.7]])
    b_data = np.array([[1.5, 0.5, 1.0], [0.25, 1.0, 2.0]])
    a, b = leaf(a_data, dtype_a), leaf(b_data, dtype_b)
    out = MIXED[name](a, b)
    # the same expression on plain arrays (where, concatenate and add_n accept them too)
    plain = np.asarray(MIXED[name](a_data.astype(dtype_a), b_data.astype(dtype_b)))
    assert out.dtype == plain.dtype == np.result_type(dtype_a, dtype_b)
    np.testing.assert_allclose(out.data, plain, rtol=1e-6)
    out.sum().backward()
    assert a.grad.dtype == dtype_a and b.grad.dtype == dtype_b
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


def test_float32_grads_are_close_to_float64_grads():
    data = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]])
    grads = {}
    for dtype in (np.float32, np.float64):
        x = leaf(data, dtype)
        ((x * 2.0).tanh() @ np.ones((3, 2), dtype)).softmax().log().sum().backward()
        grads[dtype] = x.grad
    assert grads[np.float32].dtype == np.float32
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-5, atol=1e-6)


def test_astype_between_floats_is_differentiable_and_keeps_each_dtype():
    x = leaf([1.0, 2.0, 3.0], np.float32)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad and y.op == "astype"
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    assert x.astype(np.float32) is x  # the same dtype: nothing to record


def test_astype_to_int_or_bool_gives_a_constant():
    x = leaf([1.5, 2.0, -3.0])
    for dtype in (np.int64, np.bool_):
        y = x.astype(dtype)
        assert y.dtype == dtype
        assert not y.requires_grad and y.op == ""


# --------------------------------------------------------------------------------------
# Arrays and NumPy scalars as operands
# --------------------------------------------------------------------------------------

LEFT_OPERANDS = {
    "ndarray + Tensor": (lambda c, t: c + t, lambda c: np.ones(3)),
    "ndarray - Tensor": (lambda c, t: c - t, lambda c: -np.ones(3)),
    "ndarray * Tensor": (lambda c, t: c * t, lambda c: c),
    "ndarray / Tensor": (lambda c, t: c / t, None),
    "ndarray ** Tensor": (lambda c, t: c**t, None),
    "np.float64 * Tensor": (lambda c, t: np.float64(2.5) * t, lambda c: np.full(3, 2.5)),
    "np.float32 + Tensor": (lambda c, t: np.float32(1.5) + t, lambda c: np.ones(3)),
    "ndarray @ Tensor": (lambda c, t: np.ones((2, 3)) @ t, lambda c: np.full(3, 2.0)),
}


@pytest.mark.parametrize("name", sorted(LEFT_OPERANDS))
def test_arrays_and_numpy_scalars_on_the_left_give_tensors(name):
    fn, expected_grad = LEFT_OPERANDS[name]
    c = np.array([0.5, 2.0, 1.5])
    t = leaf([1.0, 2.0, 3.0])
    out = fn(c, t)
    assert type(out) is Tensor
    assert out.requires_grad
    np.testing.assert_allclose(out.data, fn(c, t.data))
    out.sum().backward()
    if expected_grad is not None:
        np.testing.assert_allclose(t.grad, expected_grad(c))
    assert autodiff.gradcheck(lambda x: fn(c, x), [t])


@pytest.mark.parametrize("other", [None, "x", object(), Value(2.0), np.array(["a", "b"])],
                         ids=["None", "str", "object", "Value", "str array"])
def test_an_operand_that_is_not_numbers_raises_type_error_naming_the_op(other):
    # (None used to reach NumPy: "unsupported operand type(s) for +: 'float' and
    # 'NoneType'", a str a UFuncTypeError, and where() made an object tensor)
    a = leaf(np.ones((2, 3)))
    name = type(other).__name__
    for op, do in [("+", lambda: a + other), ("*", lambda: other * a),
                   ("where", lambda: autodiff.where(a.data > 0, a, other))]:
        # (a Value on the left names itself first)
        pattern = (f"{re.escape(op)}: cannot combine a (Tensor with a {name}|Value with a "
                   "Tensor)")
        with pytest.raises(TypeError, match=pattern):
            do()
    assert a.grad is None


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda a: a.sum(axis=1.0), TypeError, "sum: axis must be an int, a tuple of ints or "
                                           "None, got float 1.0"),
    (lambda a: a.max(axis="1"), TypeError, "max: axis must be an int"),
    (lambda a: a.softmax(axis=True), TypeError, "softmax: axis must be an int"),
    (lambda a: a.min(axis=-5), np.exceptions.AxisError, "min: axis -5 is out of bounds"),
    (lambda a: autodiff.concatenate(a, a), TypeError, r"pass the tensors as one list: "
                                                      r"concatenate\(\[a, b\]\)"),
    (lambda a: autodiff.stack(a, a), TypeError, r"stack\(\[a, b\]\)"),
    (lambda a: autodiff.stack([a, a], axis=1.0), TypeError, "stack: axis must be an int"),
    (lambda a: autodiff.linear(a, leaf(np.ones((4, 3))), leaf(np.ones(3))), ValueError,
     r"linear: bias of shape \(3,\) does not fit a weight of shape \(4, 3\)"),
    (lambda a: autodiff.linear(a, leaf(np.ones(3))), ValueError,
     r"linear: the weight must be a matrix \(out, in\), got shape \(3,\)"),
    (lambda a: (a * 2).backward("ones"), TypeError,
     "backward: gradient must be real numbers.*got str"),
    (lambda a: (a * 2).backward(np.ones((2, 3), complex)), TypeError, "dtype complex128"),
    (lambda a: a.reshape(3.0, 2), TypeError, r"reshape: the shape must be ints"),
    (lambda a: a.reshape(None), TypeError, r"reshape: the shape must be ints"),
    (lambda a: a.clip("a", 1), TypeError, r"^clip: "),  # NumPy's own TypeErrors, named
    (lambda a: a.sum(keepdims="yes"), TypeError, r"^sum: "),
    (lambda a: a < np.ones(4), ValueError, r"^<: cannot compare shapes \(2, 3\) and \(4,\)"),
    (lambda a: a >= "x", TypeError, "^>=: cannot compare a Tensor with a str"),
], ids=["sum-float-axis", "max-str-axis", "softmax-bool-axis", "min-named", "concatenate",
        "stack", "stack-axis", "linear-bias", "linear-weight", "backward-str",
        "backward-complex", "reshape-float", "reshape-None", "clip-str", "sum-keepdims",
        "compare-shapes", "compare-str"])
def test_bad_arguments_are_named_in_the_users_terms(call, error, message):
    a = leaf(np.ones((2, 3)))
    with pytest.raises(error, match=message):
        call(a)
    assert a.grad is None


def test_numpys_own_errors_on_operands_name_the_op():
    # these reached the user as NumPy's bare message
    small = Tensor(np.array([1, 2], np.int8))
    with pytest.raises(OverflowError, match=r"^\+: on shapes \(2,\) and \(\): Python "
                                            r"integer 1000 out of bounds for int8"):
        small + 1000
    with pytest.raises(OverflowError, match=r"^\*: on shapes"):
        Tensor(np.array([1, 2], np.uint8)) * -2
    with pytest.raises(ValueError, match=r"^\*: cannot make an array of the list operand: "
                                         r".*inhomogeneous"):
        leaf(np.ones(2)) * [[1, 2], [3]]
    with pytest.raises(TypeError, match=r"^astype: data type 'foo' not understood"):
        leaf(np.ones(2)).astype("foo")


def test_a_tensor_of_a_value_is_refused():
    with pytest.raises(TypeError, match=re.escape("cannot make a Tensor of a Value (use its "
                                                  "number: Tensor(value.data))")):
        Tensor(Value(1.0))


def test_an_array_operand_is_a_constant_and_its_dtype_promotes():
    t = leaf([1.0, 2.0], np.float32)
    out = t * np.array([2.0, 3.0])  # float64 array: NumPy promotes to float64
    assert out.dtype == np.float64
    out.sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, [2.0, 3.0])


# --------------------------------------------------------------------------------------
# matmul
# --------------------------------------------------------------------------------------

MATMUL_CASES = [
    ((4,), (4,), ()),
    ((4,), (4, 2), (2,)),
    ((3, 4), (4,), (3,)),
    ((3, 4), (4, 2), (3, 2)),
    ((2, 1, 3, 4), (5, 4, 2), (2, 5, 3, 2)),
    ((4,), (5, 4, 2), (5, 2)),
    ((5, 3, 4), (4,), (5, 3)),
]


@pytest.mark.parametrize(("sa", "sb", "sout"), MATMUL_CASES)
def test_matmul_shapes_values_and_gradients_follow_numpy_matmul(sa, sb, sout, rng):
    a_data, b_data = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = leaf(a_data), leaf(b_data)
    out = a @ b
    assert out.shape == sout
    np.testing.assert_allclose(out.data, np.matmul(a_data, b_data), rtol=1e-13)
    g = rng.standard_normal(sout)
    out.backward(g)
    # a @ b is linear in each operand, so d sum(g * (a @ b)) / d a[i] = sum(g * (e_i @ b))
    # exactly, with e_i the i-th basis array: a reference that shares no code with autodiff
    np.testing.assert_allclose(a.grad, linear_grad(lambda e: np.matmul(e, b_data), sa, g),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, linear_grad(lambda e: np.matmul(a_data, e), sb, g),
                               rtol=1e-12, atol=1e-12)


def linear_grad(f, shape, g):
    grad = np.zeros(shape)
    for index in np.ndindex(shape):
        e = np.zeros(shape)
        e[index] = 1.0
        grad[index] = np.sum(g * f(e))
    return grad


def test_matmul_shape_mismatch_message_names_both_shapes_and_the_inner_dimensions():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    assert str(info.value) == "matmul: (3, 4) @ (5, 2): inner dimensions 4 and 5 differ"
    assert isinstance(info.value, autodiff.ShapeError)


@pytest.mark.parametrize(("sa", "sb", "pattern"), [
    ((3,), (4,), "matmul: (3,) @ (4,): inner dimensions 3 and 4 differ"),
    ((2, 3, 4), (3, 4, 5), "batch dimensions (2,) and (3,) do not broadcast"),
    ((), (2, 3), "at least 1-D"),
])
def test_other_matmul_mismatches_explain_themselves(sa, sb, pattern):
    with pytest.raises(autodiff.ShapeError, match=re.escape(pattern)):
        leaf(np.ones(sa)) @ Tensor(np.ones(sb))


# --------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, -3)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_values_and_shapes_match_numpy(name, axis, keepdims, rng):
    data = rng.standard_normal((2, 3, 4))
    out = getattr(leaf(data), name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(data, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)


# At ties, max and min split the gradient evenly between the tied entries, so the
# gradient still sums to the incoming one and is symmetric in them (one of the valid
# subgradients; PyTorch's full `max()` does the same).
@pytest.mark.parametrize(("data", "axis", "expected_max", "expected_min"), [
    ([1.0, 3.0, 3.0, 2.0], None, [0, 0.5, 0.5, 0], [1, 0, 0, 0]),
    ([2.0, 2.0, 2.0, 2.0], None, [0.25] * 4, [0.25] * 4),
    ([[1.0, 5.0, 5.0], [4.0, 4.0, 4.0]], 1,
     [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]),
    ([[1.0, 5.0], [1.0, 2.0], [0.0, 5.0]], 0,
     [[0.5, 0.5], [0.5, 0], [0, 0.5]], [[0, 0], [0, 1], [1, 0]]),
])
def test_max_and_min_split_the_gradient_evenly_at_ties(data, axis, expected_max,
                                                       expected_min):
    for name, expected in (("max", expected_max), ("min", expected_min)):
        for keepdims in (False, True):
            x = leaf(data)
            getattr(x, name)(axis=axis, keepdims=keepdims).sum().backward()
            np.testing.assert_allclose(x.grad, expected, rtol=1e-15, err_msg=name)


def test_a_tie_split_scales_with_the_incoming_gradient():
    x = leaf([[3.0, 1.0, 3.0], [0.0, 2.0, 2.0]])
    x.max(axis=1).backward(np.array([4.0, -2.0]))
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0, 2.0], [0.0, -1.0, -1.0]])


@pytest.mark.parametrize("shape", [(2, 0), (0, 3), (0,)])
def test_the_softmax_family_over_an_empty_axis_gives_what_pytorch_gives(shape):
    # softmax and log_softmax: empty; logsumexp: the log of an empty sum, -inf. No error
    # (max over nothing has no identity) and no warning (the suite turns them to errors).
    reduced = shape[:-1]
    for name in ("softmax", "log_softmax", "logsumexp"):
        x = leaf(np.zeros(shape))
        y = getattr(x, name)(axis=-1)
        expected = np.full(reduced, -np.inf) if name == "logsumexp" else np.zeros(shape)
        np.testing.assert_array_equal(y.data, expected, err_msg=name)
        y.sum().backward()
        assert x.grad.shape == shape


def test_a_0d_tensor_takes_axis_0_or_minus_1_as_in_pytorch():
    # So that softmax()'s default axis works on it. Its one value is the whole reduction.
    for name in ("sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax"):
        for axis in (0, -1, (0,), (-1,)):
            x = leaf(2.0)
            y = getattr(x, name)(axis=axis)
            expected = {"softmax": 1.0, "log_softmax": 0.0}.get(name, 2.0)
            assert y.shape == () and y.item() == expected, (name, axis)
            y.backward()
            assert x.grad == (0.0 if name in ("softmax", "log_softmax") else 1.0)
    with pytest.raises(np.exceptions.AxisError, match="axis 1 is out of bounds"):
        leaf(2.0).sum(axis=1)
    with pytest.raises(ValueError, match="repeated axis"):
        leaf(2.0).sum(axis=(0, -1))
    with pytest.raises(ValueError, match="0-d tensors have no axis"):
        autodiff.concatenate([leaf(1.0), leaf(2.0)])


@pytest.mark.parametrize(("x_shape", "w_shape"), [((4, 3, 3), (0, 3)), ((0,), (2, 0)),
                                                  ((2, 0), (3, 0)), ((5, 0, 2), (4, 2))])
def test_linear_with_an_empty_axis_gives_gradients_of_the_input_shapes(x_shape, w_shape):
    x, w, b = leaf(np.ones(x_shape)), leaf(np.ones(w_shape)), leaf(np.ones(w_shape[0]))
    out = autodiff.linear(x, w, b)
    assert out.shape == x_shape[:-1] + w_shape[:1]
    out.sum().backward()
    assert (x.grad.shape, w.grad.shape, b.grad.shape) == (x_shape, w_shape, w_shape[:1])
    # every input and weight is 1: each weight's gradient counts the rows, each input's
    # the outputs
    np.testing.assert_array_equal(w.grad, np.full(w_shape, np.prod(x_shape[:-1])))
    np.testing.assert_array_equal(x.grad, np.full(x_shape, w_shape[0]))


def test_a_bad_axis_raises_before_any_node_is_made():
    x = leaf(np.ones((2, 3)))
    for reduce in (x.sum, x.mean, x.max, x.min, x.logsumexp, x.softmax, x.log_softmax):
        with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
            reduce(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        x.sum(axis=(1, -1))


# --------------------------------------------------------------------------------------
# Indexing
# --------------------------------------------------------------------------------------


def test_repeated_integer_indices_accumulate():
    x = leaf([10.0, 20.0, 30.0, 40.0])
    y = x[[0, 0, 2, 0]]
    np.testing.assert_array_equal(y.data, [10.0, 10.0, 30.0, 10.0])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0, 0.0])


def test_repeated_index_pairs_accumulate_in_two_dimensions():
    x = leaf(np.zeros((3, 3)))
    # the pairs (0, 1), (2, 1), (0, 1), (0, 2): (0, 1) twice
    x[np.array([0, 2, 0, 0]), np.array([1, 1, 1, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 2, 1], [0, 0, 0], [0, 1, 0]])


def test_repeated_rows_accumulate_and_an_int_tensor_works_as_an_index():
    x = leaf(np.arange(6.0).reshape(3, 2))
    index = Tensor(np.array([[2, 2], [0, 2]]))  # int labels, as from a data set
    y = x[index]
    assert y.shape == (2, 2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [3, 3]])


def test_boolean_mask_gradient_lands_on_the_selected_entries():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    mask = x.data > 0
    (x[mask] * np.array([5.0, 6.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[5.0, 0.0], [0.0, 6.0]])


# --------------------------------------------------------------------------------------
# Numerical stability
# --------------------------------------------------------------------------------------

LARGE = np.array([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -999.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_softmax_family_is_finite_for_inputs_of_magnitude_1000(dtype, sign):
    data = (sign * LARGE).astype(dtype)
    shifted = data.astype(np.float64) - data.astype(np.float64).max(-1, keepdims=True)
    expected_softmax = np.exp(shifted) / np.exp(shifted).sum(-1, keepdims=True)
    for name in ("softmax", "log_softmax", "logsumexp"):
        x = leaf(data, dtype)
        out = getattr(x, name)(-1)  # RuntimeWarnings are errors in this suite
        assert np.all(np.isfinite(out.data)), name
        (out * np.arange(1.0, out.size + 1).reshape(out.shape)).sum().backward()
        assert np.all(np.isfinite(x.grad)), name
        assert x.grad.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(leaf(data, dtype).softmax().data, expected_softmax,
                               rtol=rtol, atol=1e-30)
    expected_lse = data.astype(np.float64).max(-1) + np.log(np.exp(shifted).sum(-1))
    np.testing.assert_allclose(leaf(data, dtype).logsumexp().data, expected_lse, rtol=rtol)
    x = leaf(data, dtype)
    x.logsumexp().sum().backward()  # d logsumexp = softmax = exp(x - logsumexp)
    # in float32 a logsumexp near 1000 is rounded to its ulp, 6e-5, hence the looser rtol
    np.testing.assert_allclose(x.grad, expected_softmax, rtol=max(rtol, 1e-4), atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cross_entropy_is_finite_for_logits_of_magnitude_1000(dtype, sign):
    data = (sign * LARGE).astype(dtype)
    labels = np.array([2, 0])
    fused, two_ops = leaf(data, dtype), leaf(data, dtype)
    loss = autodiff.cross_entropy(fused, labels)
    reference = autodiff.nll_loss(two_ops.log_softmax(axis=1), labels)
    loss.backward()
    reference.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(fused.grad))
    assert loss.dtype == dtype and fused.grad.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(loss.data, reference.data, rtol=rtol)
    np.testing.assert_allclose(fused.grad, two_ops.grad, rtol=rtol, atol=1e-7)


def test_a_zero_exponent_has_zero_gradient_even_at_a_zero_base():
    x = leaf([0.0, 2.0, -1.5])
    (x**0).sum().backward()  # 0 * x^-1 would be nan (and warn) at x = 0
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    y = leaf([0.0, 3.0])
    (y**1 + y**2).sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 7.0])


def test_an_array_of_exponents_with_zeros_has_zero_gradient_there_at_a_zero_base():
    # Polynomial features 1 + x + x^2: d/dx of x^0 is 0 also at x = 0 (PyTorch: [1, 3]),
    # not 0 * 0^-1 = nan; for an array, a NumPy scalar or a Tensor of exponents alike.
    x = leaf([0.0, 1.0])
    (x.reshape(-1, 1) ** np.arange(3)).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 3.0])
    for zero in (np.int64(0), np.float32(0), np.array(0.0), Tensor(0.0)):
        z = leaf([0.0])
        (z**zero).sum().backward()
        np.testing.assert_array_equal(z.grad, [0.0], err_msg=repr(zero))
    base, exponent = leaf([0.0, 2.0], np.float32), leaf([0.0, 3.0], np.float32)
    (base**exponent).sum().backward()
    np.testing.assert_array_equal(base.grad, np.array([0.0, 12.0], np.float32))
    assert base.grad.dtype == np.float32
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)], rtol=1e-6)
    assert gradcheck(lambda t: (t.reshape(-1, 1) ** np.arange(3)).sum(), [leaf([0.0, 0.5])])
    # and its own derivative: d2/dx2 of x^0 + x^3 at (0, 2) is (0, 12)
    hess = autodiff.hessian(lambda t: (t ** np.array([0.0, 3.0])).sum())(np.array([0.0, 2.0]))
    np.testing.assert_array_equal(hess, [[0.0, 0.0], [0.0, 12.0]])


def test_the_exponent_derivative_of_the_base_gradient_holds_at_a_zero_exponent():
    # d/dy (y x^(y-1)) = x^(y-1) (1 + y log x): 0.5 at (x, y) = (2, 0). Masking the
    # exponent wherever y = 0 (not only where x = 0 too) made it x = 2.
    x, y = leaf([2.0, 3.0]), leaf([0.0, 0.5])
    (x**y).sum().backward(create_graph=True)
    gx = x.grad
    x.grad = y.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(y.grad, (x.data ** (y.data - 1)) * (1 + y.data * np.log(x.data)),
                               rtol=1e-12)
    mixed = autodiff.grad(autodiff.grad(lambda a, b: a**b, argnums=0), argnums=1)
    assert mixed(2.0, 0.0) == pytest.approx(0.5, rel=1e-12)  # Values alike
    assert mixed(2.0, 1e-9) == pytest.approx(0.5, rel=1e-6)  # and continuous there


def test_a_zero_base_has_zero_exponent_gradient():
    # 0 ** y is 0 for every y > 0, so d/dy is 0 there (as PyTorch gives); x^y log x
    # would be 0 * -inf = nan. Also for Values, whose log(0) would raise.
    base = Tensor([0.0, 2.0, 0.0])  # a constant: d/dbase at 0 ** 0.5 is infinite
    exponent = leaf([2.0, 3.0, 0.5])
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0), 0.0])
    assert gradcheck(lambda t: (Tensor([0.0, 2.0]) ** t).sum(), [leaf([2.0, 3.0])])
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_sigmoid_and_tanh_saturate_without_overflow():
    x = leaf([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    s = x.sigmoid()
    np.testing.assert_allclose(s.data, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0])
    (s + x.tanh()).sum().backward()
    assert np.all(np.isfinite(x.grad))


# --------------------------------------------------------------------------------------
# retain_graph
# --------------------------------------------------------------------------------------


def make_graph():
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([0.5, -1.0, 2.0])
    h = (a * b).exp()
    loss = (h * a).sum()
    return a, b, h, loss


def test_a_second_backward_without_retain_graph_raises_and_says_what_to_pass():
    a, _, _, loss = make_graph()
    loss.backward()
    first = a.grad.copy()
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        loss.backward()
    np.testing.assert_array_equal(a.grad, first)  # the failed call added nothing


def test_with_retain_graph_a_second_backward_exactly_doubles_every_grad():
    a, b, h, loss = make_graph()
    loss.backward(retain_graph=True)
    first = [t.grad.copy() for t in (a, b, h, loss)]
    loss.backward()
    for t, g in zip((a, b, h, loss), first, strict=True):
        np.testing.assert_array_equal(t.grad, 2 * g)


def test_a_new_graph_over_the_same_leaves_works_after_the_old_one_was_freed():
    a, b, _, loss = make_graph()
    loss.backward()
    (a * b).sum().backward()
    np.testing.assert_allclose(b.grad, a.data**2 * np.exp(a.data * b.data) + a.data)


def test_create_graph_retains_the_graph_by_default():
    a, _, _, loss = make_graph()
    loss.backward(create_graph=True)
    loss.backward()  # no error: create_graph implies retain_graph


# --------------------------------------------------------------------------------------
# Errors, and no half-built graph after one
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_a_broadcasting_mismatch_names_the_op_and_both_shapes(op):
    a = leaf(np.ones((2, 3)))
    b = Tensor(np.ones(4))
    with pytest.raises(ValueError) as info:
        {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__,
         "**": a.__pow__}[op](b)
    message = str(info.value)
    assert message.startswith(f"{op}: ")
    assert "(2, 3)" in message and "(4,)" in message


def test_backward_on_a_many_element_tensor_needs_a_gradient():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(RuntimeError, match=r"one-element.*\(2, 3\)"):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape_names_both_shapes():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(ValueError, match=re.escape("(3,)") + ".*" + re.escape("(2, 3)")):
        y.backward(np.ones(3))
    with pytest.raises(ValueError, match=re.escape("(3, 2)")):
        y.backward(Tensor(np.ones((3, 2))))


def test_backward_on_a_tensor_outside_any_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()


def test_a_one_element_tensor_of_any_shape_needs_no_gradient():
    x = leaf([[2.0]])
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


LOSS_ERRORS = [  # (labels, reduction, error type, message pattern) on scores of shape (2, 3)
    ([0, 3], "mean", ValueError, r"label 3 is out of range for 3 classes \(labels must be in "
                                 r"0\.\.2\)"),
    ([-1, 0], "mean", ValueError, "label -1 is out of range"),
    ([0, 1, 2], "mean", ValueError, r"of shape \(n, k\) and n labels, got \(2, 3\) and "
                                    r"labels of shape \(3,\)"),
    ([0.0, 1.0], "mean", TypeError, "labels must be integers, got dtype float64"),
    ([0, 1], "average", ValueError, "reduction must be 'mean', 'sum' or 'none', got 'average'"),
]


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("labels, reduction, error, pattern", LOSS_ERRORS)
def test_bad_labels_or_reduction_name_the_loss_and_build_nothing(loss, labels, reduction,
                                                                 error, pattern):
    scores = leaf(np.zeros((2, 3)))
    with pytest.raises(error, match=f"^{loss}: .*{pattern}"):
        getattr(autodiff, loss)(scores, np.array(labels), reduction)
    with pytest.raises(ValueError, match=f"^{loss}: needs .* of shape \\(n, k\\)"):
        getattr(autodiff, loss)(leaf(np.zeros(3)), np.array([0]))
    (scores * 1.0).sum().backward()
    np.testing.assert_array_equal(scores.grad, np.ones((2, 3)))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", ">i4", ">i8", "<i8"])
def test_a_negative_label_of_any_integer_dtype_and_byte_order_is_out_of_range(dtype):
    # the range check reads the labels as unsigned: a negative one is then too large
    labels = np.array([1, -1], dtype=dtype)
    with pytest.raises(ValueError, match="cross_entropy: label -1 is out of range"):
        autodiff.cross_entropy(leaf(np.zeros((2, 3))), labels)
    assert autodiff.cross_entropy(leaf(np.zeros((2, 3))), np.abs(labels)).item() > 0


FAILING_OPS = {
    "matmul": lambda h: h @ Tensor(np.ones((5, 2))),
    "broadcast": lambda h: h + np.ones(4),
    "reshape": lambda h: h.reshape(4, 2),
    "getitem": lambda h: h[7],
    "axis": lambda h: h.sum(axis=5),
    "concatenate": lambda h: autodiff.concatenate([h, Tensor(np.ones((2, 4)))]),
    "stack": lambda h: autodiff.stack([h, h.T]),
    "transpose": lambda h: h.transpose(0, 0),
}


@pytest.mark.parametrize("name", sorted(FAILING_OPS))
def test_a_failed_op_leaves_no_half_built_graph(name):
    a = leaf(np.arange(6.0).reshape(2, 3))
    h = a * 2.0
    with pytest.raises((ValueError, IndexError)):
        FAILING_OPS[name](h)
    assert a.grad is None and h.grad is None
    assert h.parents == (a,) and h.op == "*"
    (h * h).sum().backward()  # nothing from the failed op takes part
    np.testing.assert_array_equal(a.grad, 8.0 * a.data)


# --------------------------------------------------------------------------------------
# repr
# --------------------------------------------------------------------------------------


def test_a_one_element_tensor_converts_and_formats_as_its_number():
    loss = leaf([[2.5]]) * 1.0
    assert float(loss) == 2.5 and int(leaf([3.7])) == 3
    assert f"{loss:.3f}" == "2.500" and f"{Tensor(np.float32(0.25)):>6}" == "  0.25"
    assert f"{loss}" == str(loss)  # no format spec: the repr
    with pytest.raises(ValueError, match="one-element"):
        float(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="format"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_iterating_gives_the_rows_in_the_graph_and_a_0d_tensor_refuses():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="0-d"):
        list(Tensor(2.0))  # as NumPy and PyTorch; it used to be silently empty


def test_repr_of_a_small_float64_leaf_is_just_its_data():
    assert repr(Tensor([1.0, 2.5])) == "Tensor([1. , 2.5])"


def test_repr_shows_requires_grad_op_and_label():
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    assert repr(x) == "Tensor([1., 2.], requires_grad=True, label='x')"
    y = x * 2
    y.label = "y"
    assert repr(y) == "Tensor([2., 4.], requires_grad=True, op='*', label='y')"


def test_repr_shows_dtype_when_not_float64():
    assert repr(Tensor(np.array([1.0, 2.0], dtype=np.float32))) == \
        "Tensor([1., 2.], dtype=float32)"
    assert "dtype=int64" in repr(Tensor(np.array([1, 2])))


def test_repr_abbreviates_large_data_and_shows_the_shape():
    text = repr(Tensor(np.arange(1000.0).reshape(10, 100), requires_grad=True))
    assert "..." in text and "shape=(10, 100)" in text and "requires_grad=True" in text
    assert len(text) < 600
    assert "shape=" not in repr(Tensor(np.arange(6.0)))


# --------------------------------------------------------------------------------------
# .grad: on every tensor that requires grad, owning its memory
# --------------------------------------------------------------------------------------


def test_intermediate_tensors_hold_their_grads():
    a = leaf([1.0, 2.0])
    b = a * 3.0
    c = b.exp()
    d = c.sum()
    d.backward()
    np.testing.assert_allclose(c.grad, [1.0, 1.0])
    np.testing.assert_allclose(b.grad, np.exp(b.data))
    np.testing.assert_allclose(a.grad, 3.0 * np.exp(b.data))
    assert d.grad == 1.0


@pytest.mark.parametrize("make", [
    lambda a, b: ((a + b).sum(), None),
    lambda a, b: (a + b, np.ones(2)),  # the seed itself reaches both leaves
    lambda a, b: ((a + b) * 1.0, np.ones(2)),  # one fresh array reaches both leaves
    lambda a, b: (autodiff.add_n([a, b, a]), np.ones(2)),
    lambda a, b: (autodiff.where(np.array([True, False]), a + b, a), np.ones(2)),
])
def test_no_two_tensors_share_one_grad_array(make):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    out, gradient = make(a, b)
    out.backward(gradient)
    grads = {"a": a.grad.copy(), "b": b.grad.copy(), "out": out.grad.copy()}
    a.grad += 1
    np.testing.assert_array_equal(b.grad, grads["b"])
    np.testing.assert_array_equal(out.grad, grads["out"])
    out.grad *= 10
    np.testing.assert_array_equal(b.grad, grads["b"])
    np.testing.assert_array_equal(a.grad, grads["a"] + 1)


@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(3, 2).sum(),
    lambda x: x.T.sum(),
    lambda x: x[0].sum() + x[1].sum(),
    lambda x: x.sum(),
    lambda x: autodiff.concatenate([x, x]).sum(),
    lambda x: autodiff.add_n([x, x]).sum(),
    lambda x: (x + 0.0).sum(),
])
def test_grads_own_their_memory_and_are_writable(fn):
    x = leaf(np.arange(6.0).reshape(2, 3))
    fn(x).backward()
    assert x.grad.flags.owndata and x.grad.flags.writeable
    before = x.grad.copy()
    x.grad += 1  # updating a grad in place must not fail nor touch anything else
    np.testing.assert_array_equal(x.grad, before + 1)
    # with create_graph, .grad is a Tensor whose array is its own too (a sum's gradient
    # is a broadcast of one number: a read-only view, before it was copied)
    y = leaf(np.arange(6.0).reshape(2, 3))
    fn(y).backward(create_graph=True)
    assert y.grad.data.flags.owndata and y.grad.data.flags.writeable
    y.grad.data += 1
    np.testing.assert_array_equal(y.grad.data, before + 1)


def test_a_gradient_passed_to_backward_is_copied_not_aliased():
    x = leaf([1.0, 2.0])
    y = x * 2
    seed = np.array([1.0, 1.0])
    y.backward(seed)
    seed += 100
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_grads_accumulate_across_graphs_until_zero_grad():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    y = x * 4
    y.zero_grad()
    assert x.grad is None and y.grad is None


def test_a_tensor_without_requires_grad_gets_no_grad():
    w = leaf([1.0, 2.0])
    x = Tensor([3.0, 4.0])
    (w * x).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


# --------------------------------------------------------------------------------------
# no_grad
# --------------------------------------------------------------------------------------


def test_no_grad_records_no_graph():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = (x * 2).exp().sum()
        assert not autodiff.is_grad_enabled()
    assert autodiff.is_grad_enabled()
    assert not y.requires_grad and y.op == "" and y.parents == ()
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_as_a_decorator():
    @no_grad()
    def step(x):
        return x * 2

    x = leaf([1.0, 2.0])
    assert not step(x).requires_grad
    assert (x * 2).requires_grad  # restored after the call


def test_no_grad_restores_grad_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert autodiff.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = leaf([1.0])
    with no_grad(), autodiff.enable_grad():
        assert (x * 2).requires_grad


# --------------------------------------------------------------------------------------
# Small API
# --------------------------------------------------------------------------------------


def test_attributes_and_conversions():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    assert (x.shape, x.ndim, x.size, len(x), x.label, x.op) == ((2, 3), 2, 6, 2, "x", "")
    assert x.T.shape == (3, 2) and x.flatten().shape == (6,)
    v = Tensor([1.0, 2.0])
    assert v.T is v  # a 1-D transpose is itself
    assert np.asarray(x) is x.data and x.numpy() is x.data
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor(2.5).item(), float)
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    d = (x * 2).detach()
    assert not d.requires_grad and d.op == "" and d.parents == ()
    np.testing.assert_array_equal(d.data, 2 * x.data)


def test_comparisons_return_plain_boolean_arrays():
    x = Tensor([1.0, 2.0, 3.0])
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                             (x >= 2, [0, 1, 1]), (x == Tensor([1.0, 0.0, 3.0]), [1, 0, 1]),
                             (x != 2, [1, 0, 1])]:
        assert type(result) is np.ndarray and result.dtype == bool
        np.testing.assert_array_equal(result, np.array(expected, dtype=bool))
    assert len({x, Tensor([1.0, 2.0, 3.0])}) == 2  # hashing is by identity


def test_reshape_and_transpose_accept_tuples_arguments_and_minus_one():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.reshape(4, -1).shape == x.reshape((4, 6)).shape == (4, 6)
    assert x.transpose(2, 0, 1).shape == x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(-1, 0, 1).shape == (4, 2, 3)
    np.testing.assert_array_equal(x.transpose(-1, 0, 1).data, x.data.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="permutation"):
        x.transpose(0, 1, 3)


def test_stack_and_concatenate_and_where_values():
    a, b = Tensor([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(autodiff.stack([a, b], axis=1).data, [[1, 3], [2, 4]])
    np.testing.assert_array_equal(autodiff.concatenate([a, b]).data, [1, 2, 3, 4])
    np.testing.assert_array_equal(autodiff.where(a.data > 1, a, 0.0).data, [0.0, 2.0])
    with pytest.raises(ValueError, match="one shape"):
        autodiff.stack([a, Tensor([1.0])])


def test_a_grad_of_the_wrong_shape_set_by_hand_is_named_and_the_next_backward_works():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    w.grad = np.ones(5)
    with pytest.raises(ValueError, match=re.escape("gradient of shape (2,) to the .grad of "
                                                   "shape (5,) of the tensor of shape (2,)")):
        (x * w).sum().backward()
    x.grad = w.grad = None
    (x * w).sum().backward()  # the failed backward left no marks on the shared leaves
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])


def test_linear_takes_a_bias_that_broadcasts():
    x, w, b = leaf(np.ones((4, 2))), leaf(np.ones((3, 2))), leaf(np.zeros(1))
    out = autodiff.linear(x, w, b)
    assert out.shape == (4, 3)
    out.sum().backward()
    np.testing.assert_array_equal(b.grad, [12.0])


# -- From mutation testing ---------------------------------------------------------------


def test_the_mean_over_no_elements_is_a_value_error():
    with pytest.raises(ValueError, match="mean: no elements"):
        Tensor(np.zeros((0, 3))).mean(axis=0)


def test_a_list_of_bools_becomes_float64():
    assert Tensor([True, False]).dtype == np.float64
    assert Tensor(True).dtype == np.float64



def test_a_tensor_that_requires_grad_owns_its_data():
    # optimizers update it in place: it must not write into the caller's array (or
    # into another model made from the same array)
    w0 = np.ones(3)
    a, b = Tensor(w0, requires_grad=True), Tensor(w0, requires_grad=True)
    a.data -= 0.5
    np.testing.assert_array_equal(w0, 1.0)
    np.testing.assert_array_equal(b.data, 1.0)
    with pytest.warns(UserWarning, match="out of the graph"):  # (as torch.tensor(t))
        c = Tensor(a, requires_grad=True)
    assert not np.shares_memory(c.data, a.data)
    constant = Tensor(w0)  # a constant shares, as np.asarray does
    assert np.shares_memory(constant.data, w0)


# -- In-place operators and item assignment (PyTorch's rules) ----------------------------


def test_the_manual_sgd_loop_updates_the_parameters_in_place():
    rng = np.random.default_rng(0)
    X, w_true = rng.standard_normal((20, 3)), np.array([1.0, -2.0, 0.5])
    w = Tensor(np.zeros(3), requires_grad=True)
    params = [w]
    for _ in range(200):
        loss = ((Tensor(X) @ w - X @ w_true) ** 2).mean()
        w.grad = None
        loss.backward()
        with no_grad():
            for p in params:
                p -= 0.1 * p.grad  # the loop variable: rebinding it would change nothing
    assert params[0] is w
    np.testing.assert_allclose(w.data, w_true, atol=1e-6)
    assert w.requires_grad and w.op == ""


def test_in_place_on_a_leaf_that_requires_grad_raises_under_grad_mode():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for update in (lambda t: t.__isub__(1.0), lambda t: t.__imul__(2.0)):
        with pytest.raises(RuntimeError, match="on a leaf tensor that requires grad.*no_grad"):
            update(w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_power_in_place_is_in_place_as_the_other_operators_are():
    # **= had no in-place method: Python rebound the name, so `p **= 2` under no_grad
    # left the parameter as it was, and on a leaf that requires grad it did not raise
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    alias = w
    with pytest.raises(RuntimeError, match=r"^\*\*= on a leaf tensor that requires grad"):
        w **= 2
    with no_grad():
        alias **= 2
    assert alias is w
    np.testing.assert_array_equal(w.data, [1.0, 4.0, 9.0])
    h = w * 1.0
    h **= 3  # a graph node: a new node, as for the others
    h.sum().backward()
    np.testing.assert_allclose(w.grad, 3 * w.data ** 2)


def test_in_place_names_the_operator_and_blames_shapes_only_when_they_do_not_fit():
    # "cannot update shape (3,) in place with shape ()" for an int to a negative power
    t = Tensor(np.arange(1, 4))
    with no_grad(), pytest.raises(ValueError, match=r"^\*\*=: Integers to negative integer"):
        t **= -1
    assert autodiff.grad(lambda x: (x * x, 1), has_aux=np.True_)(2.0) == (4.0, 1)


def test_in_place_on_read_only_data_says_so():
    # the message blamed the shapes: "cannot update shape (3,) in place with shape ()"
    t = Tensor(np.broadcast_to(np.ones(3), (2, 3)))
    with no_grad(), pytest.raises(ValueError, match=r"^\+=: this tensor's data is "
                                                    "read-only .* make a copy first"):
        t += 1
    np.testing.assert_array_equal(t.data, np.ones((2, 3)))


def test_in_place_on_a_graph_node_makes_a_new_node_with_right_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    kept = h
    h *= 2  # h's data is what exp's rule reads: it must not change
    assert kept is not h and h.op == "*"
    h.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, 2.0]))


def test_in_place_under_no_grad_changes_the_data_as_numpy_would():
    t = Tensor([1.0, 2.0])
    alias = t
    with no_grad():
        alias += 1
        alias /= Tensor([2.0, 3.0])
        assert alias is t
        np.testing.assert_allclose(t.data, [1.0, 1.0])
        f32 = Tensor(np.ones(2, np.float32))
        f32 *= 3.0
        assert f32.dtype == np.float32
        with pytest.raises(TypeError, match=r"^/=: Cannot cast"):
            Tensor(np.arange(3)).__itruediv__(2)
        with pytest.raises(ValueError, match=r"-=: cannot update shape \(2,\) in place "
                                             r"with shape \(3,\)"):
            t -= np.ones(3)


def test_in_place_on_a_constant_changes_it_and_a_graph_that_saved_it_refuses():
    # a tensor outside the graph changes in place, as in NumPy and PyTorch: an alias sees
    # it, and a loop `for t in ts: t += 1` changes them (it rebound the name, silently,
    # QA round 21). w * c saved c for w's gradient: the change makes that backward
    # raise, as PyTorch's version counters do, rather than compute with the new data
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([10.0, 20.0])
    y = (w * c).sum()
    alias = c
    c += 1
    assert c is alias
    np.testing.assert_array_equal(alias.data, [11.0, 21.0])
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()
    counts = [Tensor([0.0]), Tensor([5.0])]
    for t in counts:
        t += 1
    assert [t.item() for t in counts] == [1.0, 6.0]
    c = Tensor([1.0])
    c += w[:1]  # a constant plus a parameter: a new node, recorded
    assert c.op == "+" and c.requires_grad


def test_item_assignment_writes_a_constant_and_a_tensor_that_requires_grad_under_no_grad():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    x[x > 2] = 0  # a constant (a mask, a target): written in grad mode too, as in PyTorch
    with no_grad():
        x[0, Tensor(np.array([0, 1]))] = Tensor([7.0, 8.0])
    np.testing.assert_array_equal(x.data, [[7, 8, 2], [0, 0, 0]])
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad, and item assignment is not "
                                           "recorded.*where"):
        w[0] = 5.0
    with no_grad():
        w[0] = 5.0
    np.testing.assert_array_equal(w.data, [5, 1, 1])


@pytest.mark.parametrize("make, operand", [
    (lambda x: x * (1 + 2j), r"\(1\+2j\)"),
    (lambda x: x + np.ones(3, complex), r"an array of shape \(3,\) of dtype complex128"),
    (lambda x: Tensor(np.ones(3, complex)) * x, "a Tensor of dtype complex128"),
    (lambda x: linear(x.reshape(1, 3), Tensor(np.ones((2, 3))), np.ones(2, complex)),
     r"an array of shape \(2,\) of dtype complex128"),
])
def test_a_complex_operand_of_a_tensor_that_requires_grad_is_refused(make, operand):
    # backward cast the complex gradients to real with only a ComplexWarning: for
    # d/dx |(1+2j) x| it gave [-1.34, 1.34, -1.34] where PyTorch gives [2.24, -2.24, 2.24]
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    with pytest.raises(TypeError, match="a complex result .* from an input that requires "
                                        "grad: autodiff differentiates real numbers only "
                                        rf"\(a complex operand: {operand}"):
        make(x)
    assert (Tensor(np.ones(3)) * (1 + 2j)).dtype == np.complex128  # constants: NumPy's


def test_item_assignment_of_a_value_that_requires_grad_is_refused_in_grad_mode():
    # buf[0:2] = p * 3 copied the numbers: (buf * buf).sum() then gave p no gradient
    # through buf, silently (p.grad [2, 4] where [20, 40] is right)
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    buf = Tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"the value requires grad.*gradient would be lost"):
        buf[0:2] = p * 3.0
    np.testing.assert_array_equal(buf.data, np.zeros(3))
    buf[0:2] = (p * 3.0).detach()  # the numbers, on purpose
    with no_grad():
        buf[2] = p[0]
    np.testing.assert_array_equal(buf.data, [3.0, 6.0, 1.0])


def test_item_assignment_to_a_constant_a_graph_saved_makes_that_graph_refuse_backward():
    w = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.array([1.0, 2.0, 3.0]))
    loss = (w * c).sum()
    c[0] = 5.0
    with pytest.raises(RuntimeError, match="changed in place after the op ran"):
        loss.backward()


@pytest.mark.parametrize("value", [np.array(["9", "oops", "7"]), np.array([9, "x", 7], object),
                                   [5.0, None, 1.0], 10**400, 1 + 2j, "abc"])
def test_item_assignment_of_what_is_not_real_numbers_writes_nothing(value):
    # NumPy cast and wrote "9" before failing at "oops", and the write was not stamped:
    # a graph built before then backpropagated through [9, 2, 3] without an error
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    loss = (x * x).sum()
    version = x._version
    with no_grad(), pytest.raises(TypeError, match=r"^x\[\.\.\.\] = \.\.\.: cannot assign "
                                                    r".* dtype .*must be real numbers"):
        x[...] = value
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    assert x._version == version
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


# -- PyTorch spellings -------------------------------------------------------------------


def test_transpose_of_a_matrix_in_its_own_order_warns_pointing_at_swapaxes():
    # NumPy's identity permutation (the contract), which PyTorch's transpose(0, 1) is not
    m = Tensor(np.arange(6.0).reshape(2, 3))
    for axes in [(0, 1), (-2, -1)]:
        with pytest.warns(UserWarning, match=r"use swapaxes\(0, 1\) or \.T"):
            same = m.transpose(*axes)
        np.testing.assert_array_equal(same.data, m.data)
    np.testing.assert_array_equal(m.swapaxes(0, 1).data, m.data.T)
    np.testing.assert_array_equal(m.swapaxes(-1, -2).data, m.data.T)
    assert m.swapaxes(1, 1) is m
    np.testing.assert_array_equal(m.permute(1, 0).data, m.data.T)
    np.testing.assert_array_equal(m.permute(0, 1).data, m.data)  # the identity, as in torch
    with pytest.raises(ValueError, match=r"permute: axes \(0, 0\) are not a permutation"):
        m.permute(0, 0)
    with pytest.raises(ValueError, match="swapaxes: axis 2 is out of range"):
        m.swapaxes(0, 2)


def test_argmax_and_argmin_are_int_constants():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), requires_grad=True)
    best = x.argmax(axis=1)
    assert best.dtype.kind == "i" and not best.requires_grad
    np.testing.assert_array_equal(best.data, [1, 0])
    np.testing.assert_array_equal(x.argmin(1).data, [0, 1])
    assert x.argmax().item() == 3
    assert x.argmax(1, keepdims=True).shape == (2, 1)
    assert ((x.argmax(1) == np.array([1, 2])).mean()) == 0.5  # the accuracy idiom


def test_dim_and_keepdim_are_other_names_for_axis_and_keepdims():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(x.sum(dim=0).data, x.sum(axis=0).data)
    assert x.mean(dim=1, keepdim=True).shape == (2, 1)
    assert x.sum(0, keepdim=True).shape == (1, 3)
    np.testing.assert_array_equal(x.softmax(dim=0).data, x.softmax(axis=0).data)
    np.testing.assert_array_equal(x.log_softmax(dim=0).data, x.log_softmax(0).data)
    assert x.logsumexp(dim=0, keepdim=True).shape == (1, 3)
    assert autodiff.cat([x, x], dim=1).shape == (2, 6)
    assert autodiff.stack([x, x], dim=2).shape == (2, 3, 2)
    with pytest.raises(TypeError, match="sum: give axis or dim, not both"):
        x.sum(0, dim=1)
    with pytest.raises(TypeError, match=r"max\(dim=...\) is PyTorch's, which returns "
                                        r"\(values, indices\).*argmax"):
        x.max(dim=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'axes'"):
        x.min(axes=1)


@pytest.mark.parametrize("op", ["var", "std"])
def test_pytorchs_correction_and_unbiased_are_ddof(op):
    # x.var(unbiased=True) and x.var(correction=1), PyTorch's spellings of ddof=1, gave
    # Python's bare "unexpected keyword argument" (QA round 27)
    x = Tensor(np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]]), requires_grad=True)
    f = getattr(x, op)
    for kwargs, ddof in [({"unbiased": True}, 1), ({"unbiased": False}, 0),
                         ({"correction": 2}, 2), ({"correction": 0}, 0)]:
        np.testing.assert_array_equal(f(dim=1, **kwargs).data, f(1, ddof=ddof).data)
    np.testing.assert_array_equal(f(unbiased=True).data, getattr(x.data, op)(ddof=1))
    with pytest.raises(TypeError, match=f"^{op}: give correction or unbiased, not both"):
        f(correction=1, unbiased=True)
    with pytest.raises(TypeError, match=f"^{op}: give ddof or PyTorch's correction"):
        f(ddof=1, correction=1)
    with pytest.raises(TypeError, match="unbiased"):
        f(unbiased="yes")
    # torch takes correction=1.0 and True (QA round 28: "ddof must be an int", a name
    # the call did not use), and a fraction, which is refused here by its own name
    np.testing.assert_array_equal(f(correction=1.0).data, f(ddof=1).data)
    np.testing.assert_array_equal(f(correction=True).data, f(ddof=1).data)
    with pytest.raises(ValueError, match=f"^{op}: correction must be a whole number >= 0 "
                                         "here"):
        f(correction=0.5)
    # torch's var(dim, unbiased) by position: the second argument is ddof here
    with pytest.raises(ValueError, match=rf"^{op}: ddof must be an int >= 0, got True "
                                         r"\(the argument after the axis is NumPy's ddof "
                                         rf"here, not PyTorch's unbiased: write {op}\(axis, "
                                         r"ddof=1\)"):
        f(0, True)
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.tensor(x.data), op)
    np.testing.assert_allclose(f(0, unbiased=False).data, theirs(0, unbiased=False).numpy(),
                               rtol=1e-15)
    np.testing.assert_allclose(f(correction=1).data, theirs(correction=1).numpy(),
                               rtol=1e-15)


def test_shape_helpers_of_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 1, 3), requires_grad=True)
    assert x.size == 6 and x.size(0) == 2 and x.size(-1) == 3 and x.size() == (2, 1, 3)
    assert x.numel() == 6 and x.dim() == 3
    assert x.view(-1).shape == (6,) and x.view(2, 3).shape == (2, 3)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.squeeze(0) is x  # not of length 1: left as it is, as in PyTorch
    assert x.unsqueeze(0).shape == (1, 2, 1, 3) and x.unsqueeze(-1).shape == (2, 1, 3, 1)
    with pytest.raises(ValueError, match="unsqueeze: axis 5 is out of range"):
        x.unsqueeze(5)


def test_conversions_and_small_aliases():
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    assert x.float().dtype == np.float32 and x.double() is x and x.to("cpu") is x
    assert x.cpu() is x and x.to(np.float32).dtype == np.float32
    assert x.tolist() == [[1.0, -2.0], [3.0, 0.5]]
    np.testing.assert_array_equal(x.clamp(min=0).data, [[1, 0], [3, 0.5]])
    np.testing.assert_array_equal(x.clip(max=1).data, [[1, -2], [1, 0.5]])
    np.testing.assert_array_equal(x.clamp(0, max=1).data, [[1, 0], [1, 0.5]])
    with pytest.raises(TypeError, match="give the lower bound once"):
        x.clip(0, min=1)
    np.testing.assert_array_equal(x.pow(2).data, x.data ** 2)
    np.testing.assert_array_equal(x.matmul(x).data, x.data @ x.data)
    copy = x.clone()
    assert copy.op == "clone" and not np.shares_memory(copy.data, x.data)
    t = Tensor(np.zeros(2)).requires_grad_()
    assert t.requires_grad
    with pytest.raises(TypeError, match="requires_grad: needs floating-point data"):
        Tensor(np.arange(2)).requires_grad_()


def test_missing_pytorch_names_point_to_ours():
    x = Tensor([1.0, 2.0])
    with pytest.raises(AttributeError, match="'grad_fn'; x.op names the op"):
        _ = x.grad_fn
    with pytest.raises(AttributeError, match="'zero_'; set x.data"):
        x.zero_()
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'nope'$"):
        _ = x.nope
    assert not hasattr(x, "_repr_html_")


def test_requires_grad_set_as_an_attribute_is_checked():
    ints = Tensor(np.arange(3))
    with pytest.raises(TypeError, match="requires_grad: needs floating-point data, got "
                                        "dtype int64"):
        ints.requires_grad = True  # its gradients would be truncated to ints
    assert not ints.requires_grad
    x = Tensor([1.0, 2.0])
    x.requires_grad = True
    (x * 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])
    y = x * 2
    with pytest.raises(RuntimeError, match="only a leaf's flag can change"):
        y.requires_grad = False
    x.requires_grad = False
    assert not (x * 2).requires_grad


def test_flatten_from_an_axis_as_pytorch_does():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4) and x.flatten(-2).shape == (2, 12)
    assert Tensor(3.0).flatten().shape == (1,)
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)
    assert gradcheck(lambda t: t.flatten(1).sum(axis=1), [x])


def test_numpy_reductions_of_a_tensor_are_its_own():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    total = np.sum(x)
    assert isinstance(total, Tensor) and total.item() == 15.0 and total.requires_grad
    assert np.mean(x, axis=0).shape == (3,)
    with pytest.raises(TypeError, match=r"np.sum with these arguments has no Tensor op"):
        np.sum(x, dtype=np.float32)
    with pytest.raises(TypeError, match="unexpected keyword argument 'initial'"):
        x.sum(initial=1.0)
    for reduce, expected in ((np.max, 5.0), (np.min, 0.0), (np.amax, 5.0)):
        out = reduce(x)
        assert isinstance(out, Tensor) and out.item() == expected and out.requires_grad
    assert np.max(x, axis=1).shape == (2,)


def test_numpy_functions_with_a_tensor_op_run_it_and_stay_in_the_graph():
    # np.concatenate, np.reshape, np.clip, np.where, np.dot, np.linalg.norm gave plain
    # arrays through __array__, so (np.concatenate([a, b]) * w).sum() gave a and b no
    # gradient, silently; np.std and np.var raised about a dtype= never given
    a = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    (np.concatenate([a, b]) * w).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])
    cases = [
        (lambda: np.stack([a, b], axis=1), lambda: np.stack([a.data, b.data], axis=1)),
        (lambda: np.reshape(a, (2, 1)), lambda: a.data.reshape(2, 1)),
        (lambda: np.clip(a, -1, 0.5), lambda: np.clip(a.data, -1, 0.5)),
        (lambda: np.where(a.data > 0, a, b), lambda: np.where(a.data > 0, a.data, b.data)),
        (lambda: np.dot(a, b), lambda: a.data @ b.data),
        (lambda: np.linalg.norm(a), lambda: np.linalg.norm(a.data)),
        (lambda: np.std(a), lambda: np.std(a.data)),
        (lambda: np.var(b, ddof=1), lambda: np.var(b.data, ddof=1)),
        (lambda: np.transpose(np.expand_dims(a, 0)), lambda: a.data[None].T),
        (lambda: np.ravel(np.squeeze(np.broadcast_to(a, (1, 2)))), lambda: a.data),
    ]
    for numpy_call, expected in cases:
        out = numpy_call()
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, expected())
    assert gradcheck(lambda x, y: np.linalg.norm(np.concatenate([x, y])), [a, b])
    c = Tensor(np.ones(2))
    assert isinstance(np.concatenate([c, c]), Tensor)  # a constant: the same op


def test_numpy_functions_keep_numpy_semantics_where_the_tensor_op_differs():
    # found by a review of the mapping: np.linalg.norm(M, 2) gave the Frobenius norm (NumPy:
    # the largest singular value), np.concatenate(axis=None) joined along axis 0, np.sum(a=t)
    # raised IndexError, and NumPy-only arguments on constants raised about <lambda>()
    m = np.array([[3.0, 0.0], [4.0, 5.0]])
    assert np.linalg.norm(Tensor(m), 2) == pytest.approx(np.linalg.norm(m, 2))
    with pytest.raises(TypeError, match="^np.linalg.norm with these arguments has no Tensor op"):
        np.linalg.norm(Tensor(m, requires_grad=True), 2)
    v = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    assert np.linalg.norm(v, 2).item() == 5.0 and np.linalg.norm(v).requires_grad
    assert np.linalg.norm(Tensor(m, requires_grad=True), "fro").item() == pytest.approx(
        np.linalg.norm(m, "fro"))
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    joined = np.concatenate([t, t], axis=None)
    assert joined.shape == (12,) and joined.requires_grad
    assert np.sum(a=t).requires_grad and np.mean(a=t, axis=0).shape == (3,)
    c = Tensor(np.arange(6.0).reshape(2, 3))
    for numpy_call in (lambda x: np.reshape(x, (3, 2), order="F"),
                       lambda x: np.ravel(x, order="F"), lambda x: np.expand_dims(x, (0, 1)),
                       lambda x: np.concatenate([x, x], dtype=np.float32),
                       lambda x: np.var(x, correction=1), lambda x: np.concatenate(x),
                       lambda x: np.linalg.norm(x, 1), lambda x: np.clip(x, None, None)):
        np.testing.assert_array_equal(numpy_call(c), numpy_call(c.data))
    with pytest.raises(ValueError, match="cannot select an axis to squeeze"):  # NumPy's
        np.squeeze(t, axis=1)
    np.testing.assert_array_equal(np.sum(c, 0, None, None, False, 5.0), [8.0, 10.0, 12.0])
    with pytest.raises(TypeError, match="^np.sum with these arguments has no Tensor op"):
        np.sum(t, 0, None, None, False, 5.0)  # initial, positionally: named, not <lambda>
    with pytest.raises(TypeError, match="^np.hstack of a Tensor that requires grad"):
        np.hstack([t, t])  # (NumPy calls np.atleast_1d inside: the message named that)


def test_numpy_functions_without_a_tensor_op_refuse_a_tensor_that_requires_grad():
    a = Tensor(np.array([2.0, 1.0]), requires_grad=True)
    for numpy_call, name in [(np.sort, "np.sort"), (np.cumsum, "np.cumsum"),
                             (np.fix, "np.fix")]:
        with pytest.raises(TypeError, match=f"^{name} of a Tensor that requires grad gives "
                                            "a plain array, which no gradient can pass"):
            numpy_call(a)
    with no_grad():  # no graph is asked for: the values, as for a constant
        np.testing.assert_array_equal(np.sort(a), [1.0, 2.0])
    np.testing.assert_array_equal(np.sort(Tensor(np.array([2.0, 1.0]))), [1.0, 2.0])
    # what gives no floats cannot be mistaken for a differentiable result: kept
    assert np.allclose(a, [2.0, 1.0]) and np.argmax(a) == 0 and np.shape(a) == (2,)
    np.testing.assert_array_equal(np.isclose(a, 2.0), [True, False])
    out = np.zeros(())
    with pytest.raises(TypeError, match="^np.sum with these arguments has no Tensor op"):
        np.sum(a, out=out)
    assert out == 0.0  # refused before NumPy wrote into it
    out = np.zeros(2)
    with pytest.raises(TypeError, match="^np.cumsum with these arguments has no Tensor op"):
        np.cumsum(a, out=out)  # (a function without an op: the same)
    np.testing.assert_array_equal(out, [0.0, 0.0])


_UFUNCS_WITH_OPS = [
    (np.exp, lambda t: t.exp()), (np.log, lambda t: t.log()),
    (np.sqrt, lambda t: t.sqrt()), (np.tanh, lambda t: t.tanh()),
    (np.sin, lambda t: t.sin()), (np.cos, lambda t: t.cos()),
    (np.abs, lambda t: t.abs()), (np.negative, lambda t: -t), (np.positive, lambda t: +t),
    (np.square, lambda t: t * t), (np.floor, lambda t: t.floor()),
    (np.ceil, lambda t: t.ceil()), (np.rint, lambda t: t.round()),
    (np.sign, lambda t: t.sign()),  # (refused as an op-less function before)
]


@pytest.mark.parametrize("ufunc, method", _UFUNCS_WITH_OPS,
                         ids=[u.__name__ for u, _ in _UFUNCS_WITH_OPS])
def test_numpy_ufuncs_with_a_tensor_op_run_it_and_stay_in_the_graph(ufunc, method):
    # np.exp(t) gave NumPy's "operand 'Tensor' does not support ufuncs", even for a
    # tensor outside any graph (learner audit, QA round 18)
    x = leaf([0.3, 1.2, 2.2])  # (away from the steps of floor, ceil and rint)
    y = ufunc(x)
    assert isinstance(y, Tensor) and y.requires_grad and y.op == method(x).op
    np.testing.assert_array_equal(y.data, method(x).data)
    assert gradcheck(lambda t: ufunc(t).sum(), [x])
    assert isinstance(ufunc(Tensor([0.5, 1.0])), Tensor)
    assert ufunc(Tensor(np.float32(0.5))).dtype == np.float32


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.true_divide,
                                   np.power, np.matmul, np.maximum, np.minimum,
                                   np.remainder, np.floor_divide])
@pytest.mark.parametrize("order", ["tensor first", "array first"])
def test_numpy_binary_ufuncs_run_the_tensor_op_with_either_operand_first(ufunc, order):
    # (no quotient of the two, either way round, is whole: a step of % and //)
    t, a = leaf([[0.5, 1.5], [2.0, 0.7]]), np.array([[1.2, 0.35], [0.45, 2.5]])
    args = (t, a) if order == "tensor first" else (a, t)
    y = ufunc(*args)
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose(y.data, ufunc(*(np.asarray(x) for x in args)), rtol=1e-15)
    assert gradcheck(lambda x: ufunc(*((x, a) if order == "tensor first" else (a, x))).sum(),
                     [t])


def test_numpy_maximum_and_minimum_split_the_gradient_of_a_tie_evenly():
    x = leaf([1.0, -2.0, 3.0])
    np.maximum(x, np.array([0.0, -2.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.5, 0.0])
    x.grad = None
    np.minimum(x, np.array([0.0, -2.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 1.0])


def test_an_array_plus_equals_a_tensor_writes_into_the_array_as_numpy_does():
    # `array += t` is np.add(array, t, out=array): it wrote nothing and made `array` a
    # Tensor, so np.add(buf, t, out=buf) left buf unchanged (QA round 19). Now out= is
    # NumPy's: written for a tensor outside any graph, refused for one in it.
    total = np.zeros(2)
    total += Tensor([1.0, 2.0])
    assert type(total) is np.ndarray
    np.testing.assert_array_equal(total, [1.0, 2.0])
    w = leaf([1.0, 2.0])
    buf = np.zeros(2)
    for write in (lambda: np.add(buf, w, out=buf), lambda: np.add(w, buf, out=buf)):
        with pytest.raises(TypeError, match=r"^np\.add into an array \(out=, or `array \+= "
                                            r"t`\) of a Tensor that requires grad.*array = "
                                            r"array \+ t"):
            write()
    with pytest.raises(TypeError, match="np.add into an array"):
        buf += w
    np.testing.assert_array_equal(buf, [0.0, 0.0])
    total = buf + w  # the graph's way
    total.sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_numpy_maximum_keeps_a_float32_tensor_float32_beside_a_python_number():
    # a Python number was made a float64 0-d Tensor, which NumPy 2 does not take as a
    # weak scalar: float64 results (QA round 19)
    t = leaf([1.0, -2.0], dtype=np.float32)
    for result in (np.maximum(t, 0), np.minimum(0.5, t), np.maximum(t, np.float32(0))):
        assert result.dtype == np.float32
    assert np.maximum(t, np.zeros(2)).dtype == np.float64  # an array: NumPy promotes


def test_numpy_ufuncs_without_a_tensor_op_refuse_a_tensor_that_requires_grad():
    x = leaf([1.5, -2.5])
    for call, name in [(np.trunc, "np.trunc"), (np.cbrt, "np.cbrt"),
                       (np.add.reduce, "np.add.reduce"), (np.add.accumulate,
                                                          "np.add.accumulate")]:
        with pytest.raises(TypeError, match=f"^{re.escape(name)} of a Tensor that requires "
                                            "grad gives a plain array"):
            call(x)
    np.testing.assert_array_equal(np.trunc(x.detach()), [1.0, -2.0])
    np.testing.assert_array_equal(np.greater(x, 0), [True, False])  # no floats: kept
    out = np.zeros(2)
    with pytest.raises(TypeError, match="^np.exp into an array"):
        np.exp(x, out=out)
    np.testing.assert_array_equal(out, [0.0, 0.0])  # refused before NumPy wrote into it
    assert np.exp(x.detach(), out=out) is out
    np.testing.assert_allclose(out, np.exp([1.5, -2.5]))
    with pytest.raises(TypeError, match="^np.exp of a Tensor that requires grad"):
        np.exp(x, dtype=np.float64)  # (a keyword the op does not take)


@pytest.mark.parametrize("cond, described", [
    (np.array([0.2, 0.9]), r"an array of shape \(2,\) of dtype float64"),
    ("abc", "a str of dtype <U3"), (None, "a NoneType of dtype object"),
    (Tensor(np.array([1, 0])), r"an array of shape \(2,\) of dtype int64"),
])
def test_where_takes_a_boolean_condition_only(cond, described):
    # NumPy's truthiness picked a wherever a probability was not 0, a for any str, b
    # for None, silently; PyTorch refuses them
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.zeros(2))
    with pytest.raises(TypeError, match=f"^where: cond must be booleans .*got {described}"):
        autodiff.where(cond, a, b)
    np.testing.assert_array_equal(autodiff.where(np.array([True, False]), a, b).data, [1, 0])
    np.testing.assert_array_equal(autodiff.where(True, a, 0.0).data, [1, 1])


def test_sum_to_refuses_a_shape_the_gradient_cannot_come_from():
    # it returned shape (2, 1) for (3, 1), and g itself for (4, 3) and "ab"
    g = np.ones((2, 3))
    np.testing.assert_array_equal(autodiff.sum_to(g, (1, 3)), [[2.0, 2.0, 2.0]])
    assert autodiff.sum_to(g, ()) == 6.0 and autodiff.sum_to(g, 3).shape == (3,)
    for shape in [(3, 1), (4, 3), (2, 3, 1)]:
        with pytest.raises(ValueError, match=rf"^sum_to: a gradient of shape \(2, 3\) "
                                             rf"cannot be summed to shape {re.escape(str(shape))}"):
            autodiff.sum_to(g, shape)
    with pytest.raises(TypeError, match="^sum_to: shape must be a tuple of sizes"):
        autodiff.sum_to(g, "ab")


@pytest.mark.parametrize("data, what", [
    (None, "NoneType"), ("1.5", "str"), ((x for x in [1.0]), "generator"),
    ({1.0, 2.0}, "set"), ({"a": 1}, "dict"), ([1.0, None], "list holding a NoneType"),
    ([1.0, "a"], "list holding a str"), (b"ab", "bytes"),
])
def test_python_data_that_is_not_numbers_is_refused(data, what):
    # it became an object or str tensor that failed in some later op
    with pytest.raises(TypeError, match=f"^Tensor: the data must be numbers .*got {what}"):
        Tensor(data)


def test_python_data_is_checked_with_a_dtype_too_and_decimals_are_numbers():
    # with a dtype NumPy read None as nan and parsed text; a Decimal was refused
    for data in ([None], ["1"]):
        with pytest.raises(TypeError, match="^Tensor: the data must be numbers"):
            Tensor(data, dtype=np.float64)
    assert Tensor([decimal.Decimal("0.5")]).item() == 0.5
    assert Tensor([2**60], dtype=np.int64).data[0] == 2**60  # exact, not through a float


def test_python_ints_past_int64_become_float64_as_other_python_ints_do():
    # 2**70 gave an object tensor, against the contract's float64 for Python numbers
    assert Tensor(2**70).dtype == np.float64 and Tensor(2**70).item() == 2.0**70
    np.testing.assert_array_equal(Tensor([1, 2**70]).data, [1.0, 2.0**70])
    with pytest.raises(OverflowError, match="larger than the largest float"):
        Tensor(10**400)
    assert Tensor(np.array(["a"])).dtype.kind == "U"  # an array keeps its dtype


@pytest.mark.parametrize("call, error, message", [
    # int() truncated float axes; -2 was taken as a size
    (lambda t: t.permute(1.5, 0), TypeError, r"^permute: axes must be ints, got \(1.5, 0\)"),
    (lambda t: t.transpose("a", "b"), TypeError, "^transpose: axes must be ints"),
    (lambda t: t.reshape(-2, 3), ValueError, r"^reshape: sizes must be >= 0, with at most "
                                             r"one -1 .*got \(-2, 3\)"),
    (lambda t: t.reshape(-1, -1), ValueError, "^reshape: sizes must be >= 0, with at most"),
    # bare Python and NumPy messages, or another problem named
    (lambda t: t.size(5), IndexError, r"^size: axis 5 is out of range for shape \(2, 3\)"),
    (lambda t: t.size("a"), TypeError, "^size: the axis must be an int, got 'a'"),
    (lambda t: t.unsqueeze(1.0), TypeError, "^unsqueeze: the axis must be an int, got 1.0"),
    (lambda t: t.swapaxes(0.0, 1), TypeError, "^swapaxes: an axis must be an int, got 0.0"),
    (lambda t: t == np.ones(4), ValueError, r"^==: cannot compare shapes \(2, 3\) and \(4,\)"),
    (lambda t: t != np.ones(4), ValueError, r"^!=: cannot compare shapes"),
    (lambda t: Tensor(1.0, dtype="banana"), TypeError, "^Tensor: dtype 'banana' is not a "
                                                      "NumPy dtype"),
    (lambda t: autodiff.concatenate(5), TypeError, "^concatenate: expected a list of "
                                                   "tensors, got int 5"),
    (lambda t: autodiff.stack([t, "x"]), TypeError, "^stack: item 1 is a str, not a Tensor"),
])
def test_shape_and_argument_errors_name_the_call_and_the_argument(call, error, message):
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(error, match=message):
        call(t)


def test_in_asks_whether_any_element_equals_as_in_pytorch():
    # it iterated over the rows: NumPy's "truth value is ambiguous" for a matrix
    t = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    assert 2.0 in t and 5.0 not in t and Tensor([3.0]) in t
    with pytest.raises(ValueError, match=r"^in: cannot compare shapes \(2, 2\) and \(3,\)"):
        _ = np.ones(3) in t


@pytest.mark.parametrize("bad", ["abc", {"a": 1}, None])
def test_backward_names_a_grad_set_by_hand_to_what_is_not_numbers(bad):
    # a str .grad was reported as "the .grad of shape ()", a problem of shapes
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).sum()
    if bad is None:  # None is the empty .grad: the gradient is taken
        y.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
        return
    x.grad = bad
    with pytest.raises(TypeError, match=rf"^backward: the \.grad of the tensor of shape \(3,\) "
                                        rf"is a {type(bad).__name__}, not numbers"):
        y.backward()
    assert x.grad is bad
    x.grad = None
    y.backward()  # nothing was freed
    s = Tensor(2.0, requires_grad=True)
    s.grad = 1.5  # a number of the tensor's shape () is taken, as before
    (s * 3).backward()
    assert s.grad == 4.5


@pytest.mark.parametrize("reduce", ["sum", "mean", "var", "std", "norm", "max", "min",
                                    "logsumexp", "argmax", "argmin"])
def test_keepdims_must_be_a_bool(reduce):
    # keepdims="no" gave NumPy's "'str' object cannot be interpreted as an integer"
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=f"^{reduce}: keepdims must be True or False, got "
                                        "keepdims='no'"):
        getattr(t, reduce)(axis=0, keepdims="no")
    assert getattr(t, reduce)(axis=0, keepdims=np.True_).shape == (1, 3)


def test_the_numpy_array_protocol_copies_as_numpy_2_says():
    t = Tensor(np.arange(3.0))
    assert np.asarray(t) is t.data and np.asarray(t, copy=False) is t.data
    assert np.asarray(t, dtype=np.float64, copy=False) is t.data
    assert not np.shares_memory(np.array(t, copy=True), t.data)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32  # copy=None: converts
    with pytest.raises(ValueError, match="float64 cannot become an array of dtype float32 "
                                         "without a copy"):
        np.asarray(t, dtype=np.float32, copy=False)


@pytest.mark.parametrize("bias, dtype", [(np.zeros(2), np.float64),
                                         (np.zeros(2, dtype=np.int64), np.float64),
                                         (np.zeros(2, dtype=np.float32), np.float32),
                                         (0.5, np.float32)])
def test_linear_promotes_as_its_formula_does(bias, dtype):
    x = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 4), dtype=np.float32), requires_grad=True)
    out = autodiff.linear(x, w, bias)
    assert out.dtype == dtype == (x @ w.T + bias).dtype
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
    ints = autodiff.linear(np.ones((3, 4), dtype=int), Tensor(np.ones((2, 4))),
                           np.full(2, 0.5))  # int input, float bias: no casting error
    np.testing.assert_array_equal(ints.data, 4.5)


def test_pytorch_shape_spellings_and_their_errors():
    x = Tensor(np.ones((1, 3, 1)), requires_grad=True)
    assert x.squeeze((0, 2)).shape == (3,) and x.squeeze(dim=2).shape == (1, 3)
    assert x.squeeze(1).shape == (1, 3, 1)  # not of length 1: stays, as in PyTorch
    assert x.unsqueeze(dim=0).shape == (1, 1, 3, 1)
    assert x.expand(2, -1, 4).shape == (2, 3, 4)
    assert x.broadcast_to((2, 1, 3, 5)).shape == (2, 1, 3, 5)
    with pytest.raises(TypeError, match="unsqueeze: give axis or dim, not both"):
        x.unsqueeze(0, dim=0)
    with pytest.raises(ValueError, match=r"broadcast_to: shape \(1, 3, 1\) cannot be "
                                         r"broadcast to \(2, 2\)"):
        x.broadcast_to((2, 2))
    with pytest.raises(ValueError, match=r"mT: needs at least 2 axes.*\(3,\)"):
        _ = Tensor(np.ones(3)).mT
    with pytest.raises(ValueError, match=r"use swapaxes\(-2, -1\)"):
        Tensor(np.ones((2, 3, 4))).transpose(-2, -1)


def test_a_float_index_tensor_says_why_it_cannot_index():
    x = Tensor(np.arange(6.0))
    with pytest.raises(IndexError, match="an index Tensor holds float64.*np.array"):
        x[Tensor([0, 2])]
    np.testing.assert_array_equal(x[Tensor(np.array([0, 2]))].data, [0, 2])
    np.testing.assert_array_equal(x[Tensor(x.data > 3)].data, [4, 5])


def test_more_pytorch_spellings_and_the_size_object():
    import copy
    import pickle

    x = Tensor(np.array([[1.0, 5.0], [7.0, 0.0]]), requires_grad=True)
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    assert x.argmin(dim=0, keepdim=True).shape == (1, 2)
    assert x.size(dim=0) == 2
    assert pickle.loads(pickle.dumps(x.size)) == 4 and copy.deepcopy(x.size) == 4
    assert x.to(dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match=r"to\('cuda'\): tensors here live on the CPU"):
        x.to("cuda")


def test_switching_requires_grad_on_gives_the_tensor_its_own_memory():
    w0 = np.ones(3)
    w = Tensor(w0).requires_grad_()  # Tensor(w0) shares w0; a parameter must not
    with no_grad():
        w -= 1.0
    np.testing.assert_array_equal(w0, 1.0)
    v = Tensor(w0)
    v.requires_grad = True
    assert not np.shares_memory(v.data, w0)


def test_thawing_a_frozen_parameter_keeps_its_memory():
    # kills mut6-T11 (a thaw copied the data as a first switch on does): a parameter
    # frozen and thawed is the same parameter, whose views still see it
    w = Tensor(np.ones(3), requires_grad=True)
    data = w.data
    w.requires_grad = False
    w.requires_grad = True
    assert w.data is data


def test_small_spellings_edge_cases():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="size: give axis or dim, not both"):
        x.size(1, dim=0)
    assert x.to("cpu:0") is x
    from fractions import Fraction
    np.testing.assert_allclose(Tensor([-2.0]).leaky_relu(Fraction(1, 4)).data, [-0.5])

    class Scale(autodiff.Function):
        @staticmethod
        def forward(ctx, t, factors):
            return t * factors

    with pytest.raises(ValueError, match="Scale: cannot make an array of a list argument"):
        Scale.apply(Tensor([1.0, 2.0]), [[1.0], [1.0, 2.0]])


def test_in_place_under_grad_mode_keeps_shape_and_dtype_as_in_place_would():
    t = Tensor(np.ones(2, np.float32))
    w = Tensor([1.0, 2.0], requires_grad=True)  # float64
    t += w
    assert t.dtype == np.float32 and t.requires_grad  # a new tensor, of t's dtype
    t.sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])
    u = Tensor(np.ones(2))
    with pytest.raises(ValueError, match=r"\+=: cannot update shape \(2,\) with shape "
                                         r"\(3, 2\)"):
        u += Tensor(np.ones((3, 2)), requires_grad=True)
    i = Tensor(np.arange(2))
    with pytest.raises(TypeError, match="/=: the result is float64, which cannot be "
                                        "stored in this int64 tensor"):
        i /= w
    # neither requiring grad: in place, with NumPy's rules and the same messages as
    # under no_grad()
    with pytest.raises(ValueError, match=r"\+=: cannot update shape \(2,\) in place "
                                         r"with shape \(3, 2\)"):
        u += np.ones((3, 2))
    with pytest.raises(TypeError, match=r"^/=: Cannot cast"):
        i /= 2


def test_softmax_and_kin_refuse_an_axis_and_a_dim_together():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    for method in (x.softmax, x.log_softmax, x.logsumexp):
        with pytest.raises(TypeError, match="give axis or dim, not both"):
            method(-1, dim=0)
        np.testing.assert_allclose(method(dim=0).data, method(0).data)
        np.testing.assert_allclose(method().data, method(-1).data)


def test_unsqueeze_without_an_axis_and_squeeze_with_two_say_so():
    # (unsqueeze has no default axis; squeeze must not silently prefer one of two)
    with pytest.raises(TypeError, match="give the axis"):
        Tensor([1.0]).unsqueeze()
    with pytest.raises(TypeError, match="squeeze: give axis or dim, not both"):
        Tensor(np.ones((1, 1))).squeeze(0, dim=1)


def test_broadcast_to_takes_an_int_and_refuses_a_float_size_with_valueerror():
    # kills: an int shape not wrapped in a tuple; only ValueError caught from NumPy
    assert Tensor([1.0]).broadcast_to(3).shape == (3,)
    assert Tensor([1.0]).broadcast_to(np.array([2, 3])).shape == (2, 3)  # as NumPy's
    with pytest.raises(ValueError, match="cannot be broadcast to"):
        Tensor([1.0]).broadcast_to((2.5,))


def test_expand_takes_one_tuple_and_refuses_minus_one_in_a_new_leading_axis():
    # kills: expand ignoring a single tuple; -1 in a new axis taking some other size
    x = Tensor([1.0, 2.0, 3.0])
    assert x.expand((2, 3)).shape == (2, 3)
    with pytest.raises(ValueError):  # PyTorch: -1 "isn't allowed in a leading" axis
        x.expand(-1, 3)
    with pytest.raises(TypeError, match=r"expand: give the sizes, one per axis of shape "
                                        r"\(3,\)"):
        x.expand()


@pytest.mark.parametrize("which, bound, out, x_grad, bound_grad", [
    ("min", [1.0, 0.0, 5.0], [1.0, 2.0, 5.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
    ("max", [1.0, 2.0, 4.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]),
])
def test_clamp_with_a_tensor_bound_gives_ties_to_x(which, bound, out, x_grad, bound_grad):
    # (PyTorch's rule; test_vs_torch compares more cases when torch is installed)
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor(bound, requires_grad=True)
    y = x.clamp(**{which: b})
    np.testing.assert_array_equal(y.data, out)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, x_grad)
    np.testing.assert_array_equal(b.grad, bound_grad)
    crossed = x.clamp(min=Tensor([5.0, 5.0, 5.0]), max=Tensor([0.0, 0.0, 0.0]))
    np.testing.assert_array_equal(crossed.data, 0.0)  # hi wins, as np.clip, torch.clamp


def test_max_and_min_take_pytorchs_keepdim_for_keepdims_but_refuse_its_dim():
    # keepdim alone was refused with a message about dim, which was not given; sum and
    # mean take it
    x = Tensor([[1.0, 5.0], [3.0, 2.0]])
    np.testing.assert_array_equal(x.max(axis=1, keepdim=True).data, [[5.0], [3.0]])
    np.testing.assert_array_equal(x.min(0, keepdim=True).data, [[1.0, 2.0]])
    assert x.max(keepdim=False).shape == ()
    with pytest.raises(TypeError, match=r"min\(dim=...\) is PyTorch's, which returns"):
        x.min(dim=1, keepdim=True)


def test_a_size_1_axis_broadcast_against_an_empty_axis_gets_a_zero_gradient():
    # kills B17 (sum_to: `!= 1` -> `> 1`): (1,) + (0,) is (0,), so x's gradient is a sum
    # over nothing, 0, of x's own shape (as in PyTorch)
    x, y = leaf([1.0]), leaf(np.zeros(0))
    (x + y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0])
    assert y.grad.shape == (0,)
    x = leaf([[1.0], [2.0]])
    (x * Tensor(np.zeros((2, 0)))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0], [0.0]])


def test_leaky_relu_with_a_negative_slope_takes_the_slope_left_of_zero():
    # kills E19 (mask read off out instead of x): with slope < 0, x < 0 gives out > 0
    x = leaf([-2.0, 3.0])
    x.leaky_relu(-0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [-0.5, 1.0])
    v = Value(-2.0)
    v.leaky_relu(-0.5).backward()
    assert v.grad == -0.5


def test_clip_with_equal_tensor_bounds_sends_the_gradient_as_torch_clamp_does():
    # kills C04 (`lo < hi` -> `lo <= hi`) and C06 (`hi < lo` -> `hi <= lo`): with
    # lo == hi, x on them keeps its gradient, x above sends it to hi, and x below sends
    # it nowhere (torch.clamp's masks: lo needs lo < hi, hi needs x > hi or hi < lo)
    x = leaf([0.0, 1.0, 2.0])
    lo, hi = leaf([1.0, 1.0, 1.0]), leaf([1.0, 1.0, 1.0])
    out = x.clip(lo, hi)
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(lo.grad, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad, [0.0, 0.0, 1.0])


def test_clip_of_nan_sends_no_gradient():
    # kills C09 (to_x written as "not below lo and not above hi"): nan is neither, but
    # is not inside the bounds either; torch.clamp's gradient there is 0
    x = leaf([np.nan, 0.5])
    x.clip(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_clip_and_where_stop_an_infinite_gradient_where_they_chose_the_other_input():
    # kills C08 (clip: `where(mask, g, 0)` -> `g * mask`) and W01 (where: b's gradient
    # as `g - where(cond, g, 0)`): sqrt'(0) is inf, and where the output did not come
    # from an input, that input's gradient is a selected 0, as in PyTorch (not inf * 0
    # or inf - inf, which are nan)
    with np.errstate(divide="ignore"):  # sqrt's own derivative at 0
        x = leaf([-1.0, 0.25])
        x.clip(0.0, 1.0).sqrt().sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 1.0])
        a, b = leaf([0.0, 4.0]), leaf([1.0, 9.0])
        autodiff.where(np.array([True, False]), a, b).sqrt().sum().backward()
    np.testing.assert_array_equal(a.grad, [np.inf, 0.0])
    np.testing.assert_allclose(b.grad, [0.0, 1 / 6], rtol=1e-15)


SELECTING_OPS = {
    "relu": lambda x: x.relu(),
    "clip": lambda x: x.clip(0.0, 10.0),
    "where": lambda x: autodiff.where(x.data > 0, x, 0.0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [6, 6000])  # below and above the size where the
@pytest.mark.parametrize("name", list(SELECTING_OPS))  # selection changes method
def test_relu_clip_and_where_stop_an_infinite_gradient_at_any_size_and_dtype(
        name, size, dtype):
    # sqrt'(0) is inf: where the op did not pass x on (x <= 0), x's gradient is a
    # selected 0, as in PyTorch and on Values, not inf * 0 = nan; first-order backward
    # and recorded backward (create_graph) agree
    select = SELECTING_OPS[name]
    data = np.resize(np.array([-1.0, 0.25, -2.0, 0.5, -3.0, 4.0], dtype=dtype), size)
    x = leaf(data, dtype=dtype)
    with np.errstate(divide="ignore"):
        select(x).sqrt().sum().backward()
        expected = np.where(data > 0, 0.5 / np.sqrt(np.abs(data)), 0.0)
        assert x.grad.dtype == dtype
        np.testing.assert_allclose(x.grad, expected.astype(dtype), rtol=1e-6)
        recorded = leaf(data, dtype=dtype)
        select(recorded).sqrt().sum().backward(create_graph=True)
    np.testing.assert_array_equal(recorded.grad.data, x.grad)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [10, 4094, 4096, 20000])
def test_the_array_selection_is_np_where_bit_for_bit(size, dtype):
    # the gradients of relu, clip and where: g where the mask holds, else +0.0, chosen
    # (bit by bit on large arrays), never multiplied: inf, nan and -0.0 come through
    # unchanged where the mask holds, and give +0.0 where it does not
    from autodiff.backends import ARRAY

    rng = np.random.default_rng(size)
    g = rng.standard_normal(size).astype(dtype)
    g[rng.integers(0, size, size // 5)] = rng.choice([np.inf, -np.inf, np.nan, -0.0])
    mask = rng.standard_normal(size) > 0
    for g_view, mask_view in [
        (g, mask),
        (g[::-1], mask[::-1]),  # strided
        (np.broadcast_to(g[:1], g.shape), mask),  # a sum's gradient: stride 0
        (g.reshape(-1, 2)[:, 0], mask.reshape(-1, 2)[:, 1]),
    ]:
        selected = ARRAY.select(mask_view, g_view)
        expected = np.where(mask_view, g_view, dtype(0))
        assert selected.dtype == dtype and selected.shape == g_view.shape
        assert selected.tobytes() == expected.tobytes()  # -0.0 and nan bits included
        assert not np.shares_memory(selected, g)  # it becomes a .grad: its own memory,
        assert selected.base is None  # not a view, which backward would copy again
    # a mask that broadcasts against g (where's condition) falls back to np.where
    small_mask = np.array([True, False])
    wide = np.resize(g, (size, 2))
    np.testing.assert_array_equal(ARRAY.select(small_mask, wide), np.where(small_mask, wide, 0))


def test_a_numpy_zero_exponent_stops_an_infinite_gradient_as_a_python_zero_does():
    # kills P02 (np.number exponents sent to the array-exponent branch): x ** 0 has
    # derivative 0, selected even where the incoming gradient is inf or nan
    for zero in (0.0, np.float64(0.0), np.float32(0.0)):
        x = leaf([0.0, 2.0])
        (x ** zero).backward(gradient=np.array([np.inf, np.nan]))
        np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_matmul_with_a_0d_operand_on_either_side_is_a_shape_error():
    # kills M01 (only the left operand checked for 0-d): the right one raised an
    # IndexError from the shape check itself
    for a, b in [(Tensor(2.0), Tensor([1.0, 2.0])), (Tensor([1.0, 2.0]), Tensor(2.0))]:
        with pytest.raises(autodiff.ShapeError, match="0-D"):
            a @ b


def test_linear_of_a_0d_input_is_a_shape_error():
    # kills L02 (`x.ndim == 0` test dropped): the check itself raised an IndexError
    with pytest.raises(autodiff.ShapeError, match=re.escape("input of shape ()")):
        autodiff.linear(Tensor(1.0), Tensor(np.ones((2, 1))))


def test_an_axis_tuple_refuses_bools_and_an_axis_list_works_as_pytorchs_dims():
    # kills N02 (bools accepted inside a tuple) and N06 (lists refused)
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    with pytest.raises(TypeError, match="axis must be"):
        x.sum(axis=(0, True))
    with pytest.raises(TypeError, match="axis must be"):
        x.max(axis=(False,))
    np.testing.assert_array_equal(x.sum(axis=[0, 2]).data, x.data.sum(axis=(0, 2)))
    x.max(axis=[2, 1]).sum().backward()
    assert x.grad.sum() == 2.0


def test_cross_entropy_and_nll_loss_take_arrays_as_constants_as_other_ops_do():
    # an array gave "nll: needs a Value or a Tensor among its inputs", naming an op
    # the user never called
    assert autodiff.cross_entropy(np.zeros((2, 3)), [0, 1]).item() == pytest.approx(np.log(3))
    assert autodiff.nll_loss([[-1.0, -2.0]], [1]).item() == 2.0
    with pytest.raises(TypeError, match="^cross_entropy: logits must be a Tensor .*got a Value"):
        autodiff.cross_entropy(Value(1.0), [0])


def test_cross_entropy_of_no_samples_and_no_classes_sums_to_zero():
    # kills CE1 (max_kept replaced by logits.max): NumPy's max has no identity, so a
    # (0, 0) batch raised; PyTorch gives 0
    logits = leaf(np.zeros((0, 0)))
    loss = autodiff.cross_entropy(logits, np.zeros(0, dtype=np.int64), "sum")
    assert loss.item() == 0.0
    loss.backward()
    assert logits.grad.shape == (0, 0)


def test_max_and_min_send_the_gradient_to_a_nan_which_is_the_maximum_of_its_slice():
    # nan == nan is False: the maxima mask was empty there, and 0 / 0 made every
    # gradient of the slice nan; PyTorch's max gives it to the nan
    x = leaf([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    x = leaf([np.nan, 2.0, np.nan])
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])  # two nans: a tie


def test_a_second_backward_through_ops_with_parameters_only_raises_too():
    # kills G09 (is_released: the ReleasedParams that an op with parameters keeps after
    # backward no longer counts as freed): every op here has parameters (axis), and a
    # second backward must raise as for any freed graph, not run silently
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    loss = x.sum(axis=0).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        loss.backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))  # added once


def test_create_graph_with_retain_graph_false_frees_the_graph():
    # kills G20 (create_graph's backward always retains): retain_graph=False given
    # explicitly frees the graph, as in PyTorch, also when the backward is recorded
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward(create_graph=True, retain_graph=False)
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        loss.backward()


def test_a_label_that_is_not_a_str_raises_type_error():
    # kills T08 (the label check dropped): a label is drawn and shown in reprs and in
    # errors, so it must be a str
    with pytest.raises(TypeError, match=r"Tensor\(label\) must be a str, got int"):
        Tensor([1.0], label=3)


def test_requires_grad_is_stored_as_a_bool_and_must_be_one():
    # kills T09 (the flag stored as given): requires_grad is True or False, as the
    # setter makes it; a truthy str such as "False" made a tensor that requires grad
    assert Tensor([1.0], requires_grad=np.True_).requires_grad is True
    for flag in ("False", 1, 0, None):
        with pytest.raises(TypeError, match=f"^Tensor: requires_grad must be True or False, "
                                            f"got requires_grad={flag!r}"):
            Tensor([1.0], requires_grad=flag)


@pytest.mark.parametrize("call, name", [
    (lambda y: y.backward(retain_graph="no"), "backward: retain_graph"),
    (lambda y: y.backward(create_graph="no"), "backward: create_graph"),
    (lambda y: autodiff.gradients(y, y._parents[0], retain_graph="no"), "gradients: retain_graph"),
    (lambda y: autodiff.gradients(y, y._parents[0], allow_unused=1), "gradients: allow_unused"),
])
def test_backward_flags_must_be_bools(call, name):
    # "no" is truthy: retain_graph="no" kept the graph, create_graph="no" recorded it
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(TypeError, match=f"^{name} must be True or False"):
        call(y)
    y.backward()  # nothing was freed or written
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_item_assignment_with_a_float_index_tensor_says_why():
    # kills T37 (item assignment indexes with the index as given): x[index] = v takes
    # the same index conversion as x[index], so a float Tensor of positions gets the
    # error that says it is float64 and how to make an int one
    x = Tensor(np.zeros(3))
    with no_grad(), pytest.raises(IndexError, match="an index Tensor holds float64"):
        x[Tensor([0.0, 2.0])] = 1.0
    with no_grad():
        x[Tensor(np.array([0, 2]))] = 1.0
        x[[]] = 5.0  # an empty list selects nothing
    np.testing.assert_array_equal(x.data, [1.0, 0.0, 1.0])


def test_clip_without_any_bound_raises():
    # kills T46 (the check dropped): clip() with no bound is a mistake, not the identity
    x = leaf([1.0, -2.0])
    for call in (lambda: x.clip(), lambda: x.clamp(), lambda: x.clip(None, None)):
        with pytest.raises(ValueError, match="clip: give at least one of lo and hi"):
            call()


def test_reshape_refuses_bools_as_sizes():
    # kills T56 (the bool test dropped): True is not a size, as in the type check of
    # every other shape argument (NumPy would take it as 1)
    with pytest.raises(TypeError, match="reshape: the shape must be ints"):
        Tensor(5.0).reshape(True)
    with pytest.raises(TypeError, match="reshape: the shape must be ints"):
        Tensor(np.ones((2, 1))).reshape(2, True)


def test_unsqueeze_takes_every_axis_pytorch_takes():
    # kills T60 (the lowest axis, -ndim - 1, refused): the new axis may go anywhere in
    # -ndim-1..ndim, as in PyTorch and np.expand_dims
    x = leaf([1.0, 2.0, 3.0])
    assert x.unsqueeze(-2).shape == (1, 3)
    assert x.unsqueeze(-1).shape == (3, 1)
    assert x.unsqueeze(1).shape == (3, 1)
    with pytest.raises(ValueError, match="out of range"):
        x.unsqueeze(-3)
    with pytest.raises(ValueError, match="out of range"):
        x.unsqueeze(2)


def test_broadcast_to_refuses_a_shape_that_would_shrink_the_tensor():
    # kills T64 (any shape that broadcasts with x's accepted): (3,) and (1,) broadcast
    # together, to (3,), but (3,) cannot be broadcast *to* (1,); and a 0-d tensor can be
    # broadcast to () (itself)
    x = leaf([1.0, 2.0, 3.0])
    for shape in [(1,), (), (2, 1)]:
        with pytest.raises(ValueError, match=re.escape(
                f"broadcast_to: shape (3,) cannot be broadcast to {shape}")):
            x.broadcast_to(shape)
    s = leaf(2.0)
    y = s.broadcast_to(())
    assert y.shape == ()
    y.backward()
    assert s.grad == 1.0


def test_permute_of_a_matrix_in_its_own_order_does_not_warn():
    # kills T68 (the warning also for permute): permute(0, 1) is the identity in
    # PyTorch too, so only transpose(0, 1) warns
    import warnings

    x = leaf(np.arange(6.0).reshape(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.permute(0, 1).shape == (2, 3)
    with pytest.warns(UserWarning, match="swapaxes"):
        x.transpose(0, 1)


def test_backward_refuses_a_boolean_gradient():
    # kills T74 (bool taken as a number): a mask passed as gradient= is a mistake
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(TypeError, match="backward: gradient must be real numbers"):
        y.backward(np.array([True, False]))


def test_create_graph_differentiates_through_a_gradient_tensor_that_requires_grad():
    # kills T78 (the gradient= Tensor replaced by a constant copy): with create_graph,
    # x.grad = 2 x v depends on v too (the double-backward trick for a vjp's transpose),
    # so its derivative reaches v
    x, v = leaf([3.0, 4.0]), leaf([1.0, 2.0])
    (x * x).backward(v, create_graph=True)
    np.testing.assert_array_equal(x.grad.data, [6.0, 16.0])
    x.grad.sum().backward()
    np.testing.assert_array_equal(v.grad, [6.0, 8.0])  # d/dv of sum(2 x v) = 2 x


def test_the_grad_of_a_0d_float32_tensor_is_an_array_of_its_own():
    # kills T83 (a gradient that is a NumPy scalar kept as it is): rules on 0-d float32
    # arrays give np.float32 scalars, and .grad must still be a writable 0-d array
    x = leaf(2.0, dtype=np.float32)
    (x * 3.0).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32
    assert x.grad == 3.0
    x.grad[...] = 0.0  # writable in place, as optimizers and zeroing expect
    assert x.grad == 0.0


def test_zero_grad_reaches_every_tensor_of_the_graph():
    # kills T88 (only the direct parents cleared): "every tensor it was computed from"
    x = leaf([1.0, 2.0])
    h = x * 2
    loss = (h.exp() * 3).sum()
    loss.backward()
    assert x.grad is not None and h.grad is not None
    loss.zero_grad()
    assert x.grad is None and h.grad is None and loss.grad is None


def test_repr_gives_the_shape_only_when_numpy_shortens_the_data():
    # kills T89 (`size > 20` -> `>= 20`): 20 elements are printed in full (NumPy's
    # threshold), so the shape is not added; from 21 on the data is elided
    assert "shape=" not in repr(Tensor(np.zeros(20)))
    assert "shape=(21,)" in repr(Tensor(np.zeros(21)))


def test_keepdims_and_keepdim_together_raise():
    # kills T93 (the check dropped): NumPy's and PyTorch's names for one argument
    x = leaf(np.ones((2, 3)))
    with pytest.raises(TypeError, match="sum: give keepdims or keepdim, not both"):
        x.sum(0, keepdims=True, keepdim=True)


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_scores_that_are_not_a_matrix_are_refused_even_when_n_matches(loss):
    # kills T103 (only the labels' length checked): scores of shape (3,) with 3 labels,
    # or (2, 3, 4) with 2, are not (n, k)
    for shape, labels in [((3,), [0, 1, 2]), ((2, 3, 4), [0, 1])]:
        with pytest.raises(ValueError, match=f"^{loss}: needs .* of shape \\(n, k\\)"):
            getattr(autodiff, loss)(leaf(np.zeros(shape)), np.array(labels))


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_boolean_labels_are_refused(loss):
    # kills T104 (bool taken as an integer dtype): a mask is not a class label
    with pytest.raises(TypeError, match=f"^{loss}: labels must be integers, got dtype bool"):
        getattr(autodiff, loss)(leaf(np.zeros((2, 3))), np.array([True, False]))


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_loss_argument_checks_for_no_classes_no_samples_and_other_reductions(loss):
    # kills T108 (no own message for 0 classes), T109 (a reduction name more let
    # through: the ops take any name but "mean" and "none" as "sum", silently) and
    # T110 (a mean over no samples not refused: nan)
    f = getattr(autodiff, loss)
    with pytest.raises(ValueError, match=re.escape(
            f"{loss}: the scores have 0 classes (0 columns), so no label can be in range")):
        f(leaf(np.zeros((2, 0))), np.array([0, 0]))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got "
                                         "'batchmean'"):
        f(leaf(np.zeros((2, 3))), np.array([0, 1]), "batchmean")
    with pytest.raises(ValueError, match=f"^{loss}: no samples, and a mean of no losses"):
        f(leaf(np.zeros((0, 3))), np.zeros(0, dtype=np.int64))
    assert f(leaf(np.zeros((0, 3))), np.zeros(0, dtype=np.int64), "sum").item() == 0.0


def test_a_gradient_tensor_under_create_graph_becomes_a_grad_of_its_own_in_the_roots_dtype():
    # the root's .grad was the caller's Tensor itself (editing one edited the other) and
    # kept its dtype; PyTorch copies it
    x = leaf([1.0, 2.0])
    given = Tensor([1.0, 1.0])
    x.backward(given, create_graph=True)
    assert x.grad is not given
    x.grad.data *= 5
    np.testing.assert_array_equal(given.data, [1.0, 1.0])
    y = leaf([1.0, 2.0], dtype=np.float32) * 3
    y.backward(Tensor(np.array([1, 1])), create_graph=True)
    assert y.grad.dtype == np.float32


@pytest.mark.parametrize("data", [
    np.array([[0, 5], [7, 1]], dtype=np.uint8),  # -x wraps around for unsigned ints
    np.array([[np.iinfo(np.int64).min, 0], [3, -2]]),  # and for the smallest int64
    np.array([[True, False], [True, True]]),  # and NumPy refuses -x for bool
    np.array([[2.0, -1.0], [np.nan, 4.0]]),
])
def test_min_is_numpys_min_for_every_dtype(data):
    t = Tensor(data)
    for axis in (None, 0, 1):
        result = t.min(axis)
        expected = data.min(axis=axis)
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result.data, expected)


def test_min_of_an_empty_axis_is_named_min():
    with pytest.raises(ValueError, match=r"^min: on shapes \(2, 0\)"):
        Tensor(np.zeros((2, 0))).min(1)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64, np.bool_])
def test_sigmoid_and_the_softmax_family_of_integers_compute_in_floats(dtype):
    # they subtract before they exponentiate: in unsigned ints that wrapped around
    # (sigmoid of 5 gave 0, softmax nan); now in the floats NumPy's exp would give
    data = np.array([[0, 5], [7, 1]]).astype(dtype)
    t, exact = Tensor(data), data.astype(np.float64)
    floats = np.exp(data).dtype  # float16 for uint8 and bool, float32 for int16, ...
    shifted = exact - exact.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1)) + exact.max(axis=1)
    for result, expected in [
        (t.sigmoid(), 1 / (1 + np.exp(-exact))),
        (t.softmax(), np.exp(exact - lse[:, None])),
        (t.log_softmax(), exact - lse[:, None]),
        (t.logsumexp(), lse),
        (autodiff.cross_entropy(t, np.array([0, 1]), reduction="none"),
         lse - exact[[0, 1], [0, 1]]),
    ]:
        assert result.dtype == floats
        np.testing.assert_allclose(result.data, expected, rtol=2e-3,
                                   atol=2e-3 if floats == np.float16 else 0)


def test_item_assignment_errors_name_the_tensor_and_the_value_and_change_nothing():
    w = Tensor(np.zeros((3, 4)), label="w")
    version = w._version
    cases = [
        (0, np.ones(3), ValueError, r"an array of shape \(3,\) into a tensor of shape \(3, 4\)"),
        (5, 1.0, IndexError, r"a float into a tensor of shape \(3, 4\).*index 5"),
        (0, "abc", TypeError, "a str of dtype <U3 into a tensor of dtype float64"),
    ]
    start = r"^x\[\.\.\.\] = \.\.\.: cannot assign "
    for index, value, error, message in cases:
        with no_grad(), pytest.raises(error, match=start + message):
            w[index] = value
    np.testing.assert_array_equal(w.data, np.zeros((3, 4)))
    assert w._version == version


@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 3), (0, 0)])
def test_the_repr_of_an_empty_tensor_shows_its_shape(shape):
    assert repr(Tensor(np.zeros(shape))) == f"Tensor([], shape={shape})"
    assert repr(Tensor(np.zeros(0))) == "Tensor([])"  # 1-D: [] says it all


def test_pytorch_names_with_nothing_to_do_do_nothing():
    # retain_grad and device raised AttributeError though their message said that
    # there was nothing to do
    x = Tensor(np.ones(2), requires_grad=True)
    h = x * 2.0
    assert h.retain_grad() is None
    h.sum().backward()
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])
    assert x.device == "cpu" and x.is_cuda is False
    assert Value(2.5).item() == 2.5 and type(Value(3).item()) is float


def test_norm_has_a_zero_gradient_where_it_is_zero_as_in_pytorch():
    # sqrt(sum(x^2)) written out gives nan there (0/0); the norm's own rule gives 0
    x = leaf([[0.0, 0.0], [3.0, 4.0]])
    x.norm(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [0.6, 0.8]])
    y = leaf([[0.0, 0.0], [3.0, 4.0]])
    with np.errstate(invalid="ignore", divide="ignore"):
        (y ** 2).sum(axis=1).sqrt().sum().backward()
    assert np.isnan(y.grad[0]).all()
    assert x.norm(dim=1, keepdim=True).shape == (2, 1)  # PyTorch's names
    assert x.norm("fro").item() == 5.0 and x.norm(None).item() == 5.0
    # p first, as PyTorch's norm(p, dim) and NumPy's linalg.norm(x, ord, axis): x.norm(1)
    # took 1 for the axis, and gave the rows' 2-norms where PyTorch gives the L1 norm
    np.testing.assert_array_equal(x.norm(2, 1).data, [0.0, 5.0])
    with pytest.raises(ValueError, match=r"norm: only the 2-norm \(p=2\) is here, got p=1"):
        x.norm(1)


def test_std_has_a_zero_gradient_where_the_variance_is_zero_as_in_pytorch():
    # var(...).sqrt() gave nan there (sqrt'(0) times 0)
    for ddof in (0, 1):
        x = leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]])
        x.std(axis=1, ddof=ddof).sum().backward()
        np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
        assert np.isfinite(x.grad).all()


def test_var_refuses_a_ddof_that_leaves_no_degree_of_freedom():
    x = leaf([1.0, 2.0, 4.0])
    assert x.var().item() == pytest.approx(14 / 9) and x.var(ddof=1).item() == pytest.approx(7 / 3)
    with pytest.raises(ValueError, match=r"var: 3 element\(s\) .* with ddof=3"):
        x.var(ddof=3)
    with pytest.raises(ValueError, match="ddof must be an int >= 0, got -1"):
        x.std(ddof=-1)


def test_var_and_std_check_ddof_and_keep_dims_as_asked():
    # kills mut6-T21 (True taken as ddof=1), mut6-T23 (the deviations taken from the
    # mean of all elements, whatever the axis), mut6-T24 (keepdim ignored with
    # PyTorch's dim) and mut6-T26 (std dropped keepdims)
    x = leaf([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    with pytest.raises(ValueError, match="ddof must be an int >= 0, got True"):
        x.var(ddof=True)
    with pytest.raises(ValueError, match=r"var: 2 element\(s\) over axis 0 .* ddof=2"):
        x.var(axis=0, ddof=2)
    assert x.var(dim=1, keepdim=True).shape == (2, 1)
    assert x.std(axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_allclose(x.std(dim=0, keepdim=True).data, [[0.5, 1.0, 0.5]])


def test_the_norm_of_small_unsigned_ints_does_not_wrap_around():
    # kills mut6-O10 (the norm squared in the input's dtype: 200 ** 2 wraps in uint8)
    t = Tensor(np.array([200, 100], dtype=np.uint8))
    assert t.norm().item() == pytest.approx(np.sqrt(50_000), rel=1e-3)


def test_the_norm_of_small_ints_is_taken_in_float64_as_numpys():
    # int8 went to float16 (exp's choice of floats), whose sum of squares overflowed:
    # ten 100s gave inf
    for data in (np.full(10, 100, dtype=np.int8), np.full(100, 255, dtype=np.uint8)):
        result = Tensor(data).norm()
        assert result.dtype == np.float64
        assert result.item() == pytest.approx(np.linalg.norm(data), rel=1e-12)


def test_create_graph_cycles_are_broken_by_zero_grad_and_gradients_makes_none():
    # the docstring said `x.grad = None` breaks create_graph's cycles: it does not for
    # the intermediates, whose .grad nodes lead back to them; the two ways it names
    # instead free the graph by reference counting alone
    import gc
    import weakref

    def intermediate_alive_after(finish) -> bool:
        x = Tensor(np.ones(3), requires_grad=True)
        h = (x * x).tanh()
        alive = weakref.ref(h)
        loss = (h * 2).sum()
        finish(loss, x)
        del h, loss
        return alive() is not None

    def zero(loss, x):
        loss.backward(create_graph=True)
        loss.zero_grad()

    def functional(loss, x):
        (g,) = autodiff.gradients(loss, x, create_graph=True)
        assert g.requires_grad

    enabled = gc.isenabled()
    gc.disable()  # freed by reference counting alone, or not at all
    try:
        assert not intermediate_alive_after(zero)
        assert not intermediate_alive_after(functional)
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def test_a_change_through_an_add_n_of_one_tensor_is_a_change_of_that_tensor():
    # add_n([x]) returns x's own array: a change through it under no_grad changes x,
    # which the graph of z read, so z's backward must refuse (it gave [22, 24])
    x = leaf([1.0, 2.0])
    z = (x ** 2).sum()
    v = autodiff.add_n([x])
    assert np.shares_memory(v.data, x.data)
    with no_grad():
        v += 10.0
    with pytest.raises(RuntimeError, match="in place"):
        z.backward()


def test_a_view_given_an_array_of_its_own_no_longer_changes_its_base():
    # v was a view of x; after `v.data = ...` a change of v leaves x alone, and z's
    # backward through x must not refuse
    x = leaf([1.0, 2.0])
    z = (x ** 2).sum()
    v = x.reshape(2, 1)
    v.data = np.zeros((2, 1))
    with no_grad():
        v += 1.0
    z.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


@pytest.mark.parametrize("slope, expected", [(-1.0, [-0.0, 0.0]), (np.nan, [np.nan, np.nan])])
def test_leaky_relu_at_zero_multiplies_by_the_slope_as_torch_does(slope, expected):
    # at 0 and -0 the result is slope * x: the sign of zero flips with a negative slope,
    # and a nan slope gives nan (torch: [-0.0, 0.0] and [nan, nan])
    out = Tensor([0.0, -0.0]).leaky_relu(slope).data
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
    value = autodiff.Value(0.0).leaky_relu(slope).data
    assert (math.isnan(value) and math.isnan(expected[0])) or (
        value == 0.0 and math.copysign(1, value) == math.copysign(1, expected[0]))


def test_reshaping_a_leaf_to_its_own_shape_is_still_the_leaf():
    # as a view of a leaf in torch, it refuses `+=` in grad mode (a new Reshape node
    # would have let `+=` rebind it silently)
    x = leaf(np.ones((2, 3)))
    y = x.reshape(2, 3)
    with pytest.raises(RuntimeError):
        y += 1.0
    np.testing.assert_array_equal(x.data, np.ones((2, 3)))


def test_reductions_record_their_axes_sorted():
    # drawings show the recorded axes: (2, 0) and (0, 2) are one reduction
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    for name in ("sum", "mean", "max", "var", "norm"):
        assert getattr(x, name)(axis=(2, 0))._ctx["axis"] == (0, 2), name


@pytest.mark.parametrize("join", [autodiff.concatenate, autodiff.stack])
def test_joins_take_one_axis(join):
    # a tuple was sorted and its first axis taken: concatenate(axis=(1, 0)) joined
    # along 0; NumPy and PyTorch refuse a tuple
    a, b = leaf(np.ones((2, 2))), leaf(np.zeros((2, 2)))
    with pytest.raises(TypeError, match=rf"{join.__name__}: axis must be an int.*got tuple "
                                        r"\(1, 0\)"):
        join([a, b], axis=(1, 0))
    with pytest.raises(TypeError, match="got bool True"):
        join([a, b], axis=True)
    assert join([a, b], axis=-1)._ctx["axis"] == (1 if join is autodiff.concatenate else 2)
    assert join([a, b], axis=np.int64(1))._ctx["axis"] == 1  # NumPy's ints are ints
    # an explicit 0 and PyTorch's dim: refused, not taken as dim (the default's 0 is not)
    with pytest.raises(TypeError, match=rf"{join.__name__}: give axis or dim, not both"):
        join([a, b], 0, dim=1)
    assert join([a, b], dim=1)._ctx["axis"] == 1


# -- .data and .grad set by hand ---------------------------------------------------------


def test_a_list_assigned_to_data_is_refused_by_the_next_op():
    # NumPy took the list as a sequence: w * 2 repeated it, [3, 4, 3, 4], silently
    w = leaf([1.0, 2.0], label="w")
    w.data = [3.0, 4.0]
    with pytest.raises(TypeError, match=r"^\*: the \.data of the tensor 'w' is a list, not "
                                        r"a numpy\.ndarray \(was \.data assigned by hand"):
        w * 2
    w.data = np.ma.array([3.0, 4.0])  # an ndarray subclass, with ops of its own
    with pytest.raises(TypeError, match=r"\.data of the tensor 'w' is a "
                                        r"numpy\.ma\.MaskedArray, not"):
        w * 2
    w.data = np.array([3.0, 4.0])
    np.testing.assert_array_equal((w * 2).data, [6.0, 8.0])


def test_integer_data_assigned_to_a_tensor_that_requires_grad_is_refused():
    # Tensor(int array, requires_grad=True) raises; by assignment the gradient came
    # back cut to integers: [1, 1] for d(1.5 w)/dw
    w = leaf([1.0, 2.0], label="w")
    w.data = np.array([1, 2])
    (w * 1.5).sum()  # a float result: its gradient, cast to w's dtype, is the harm
    with pytest.raises(TypeError, match=r"^backward: the tensor 'w' of shape \(2,\) "
                                        r"requires grad but holds int64 data"):
        (w * 1.5).sum().backward()
    assert w.grad is None
    with pytest.raises(TypeError, match=r"^\*: an integer result \(int64\) on shapes \(2,\) "
                                        r"and \(\) from an input that requires grad"):
        w * 2
    w.data = w.data.astype(float)
    (w * 1.5).sum().backward()
    np.testing.assert_array_equal(w.grad, [1.5, 1.5])


@pytest.mark.parametrize("zero", [0, 0.0])
def test_a_grad_set_to_the_number_zero_is_taken_as_no_gradient(zero):
    # micrograd's `p.grad = 0` resets a Value's; on a tensor it made the next
    # backward fail
    w = leaf([1.0, 2.0])
    w.grad = zero
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])
    assert type(w.grad) is np.ndarray


def test_a_grad_set_to_another_number_names_the_tensor_by_its_label():
    w = leaf([1.0, 2.0], label="bias")
    w.grad = 1.0
    with pytest.raises(ValueError, match=r"\.grad of shape \(\) of the tensor 'bias' of "
                                         r"shape \(2,\) \(was \.grad set by hand\? set it "
                                         "to None"):
        (w * 3).sum().backward()


def test_numpy_maximum_at_a_tie_of_the_largest_floats_does_not_overflow():
    # (a + b) / 2 at a tie overflowed to inf (QA round 20)
    top = np.finfo(np.float32).max
    t = leaf([top], dtype=np.float32)
    np.testing.assert_array_equal(np.maximum(t, top).data, [top])
    np.testing.assert_array_equal(np.minimum(t, top).data, [top])
    np.maximum(t, top).sum().backward()
    np.testing.assert_array_equal(t.grad, [0.5])


def test_a_ufunc_with_out_a_tensor_is_refused():
    # NumPy wrote into its .data unseen by the in-place check: a graph that saved it
    # then gave a wrong gradient (20 for 2) with no error (QA round 20)
    x, c = leaf([1.0, 1.0]), Tensor([1.0, 2.0])
    y = (x * c).sum()
    with pytest.raises(TypeError, match=r"^np\.multiply with out= a Tensor"):
        np.multiply(c, 10, out=c)
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_a_list_holding_a_tensor_that_requires_grad_is_refused_as_an_operand():
    # NumPy copied the tensors' numbers out through __array__: a and b got no gradient,
    # with nothing said (QA round 21); PyTorch refuses such an operand
    a, b, x = leaf(2.0), leaf(3.0), leaf([1.0, 1.0, 1.0])
    for make in (lambda: x * [a, b, a], lambda: x + (a, 1.0, [b][0]),
                 lambda: autodiff.where(np.array([True, False, True]), [a, b, a], x),
                 lambda: autodiff.concatenate([x, [a, b]]),
                 lambda: autodiff.concatenate([x, [[a], [b]]], axis=None)):
        with pytest.raises(TypeError, match="holding a Tensor that requires grad"):
            make()
    # stack joins them in the graph; constants in a list are numbers as before
    (x * autodiff.stack([a, b, a])).sum().backward()
    assert (a.grad, b.grad) == (2.0, 1.0)
    np.testing.assert_array_equal((x * [Tensor(2.0), 3.0, 1.0]).data, [2.0, 3.0, 1.0])


def test_tensor_of_a_tensor_that_requires_grad_warns_as_torch_tensor_does():
    # inside grad(f), Tensor(x) of f's argument gave a gradient of zeros silently
    with pytest.warns(UserWarning, match=r"Tensor\(t\) of a tensor t that requires grad"):
        g = autodiff.grad(lambda x: (Tensor(x) ** 2).sum())(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    with pytest.warns(UserWarning, match=r"Tensor\(\[\.\.\.\]\) of a list holding"):
        Tensor([leaf(1.0), 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Tensor(leaf([1.0]).detach())
        Tensor(Tensor([1.0]))
        with autodiff.no_grad():
            Tensor(leaf([1.0]))


@pytest.mark.parametrize("expression", [
    lambda t: t @ [1.0, 2.0, 3.0], lambda t: [1.0, 2.0] @ t, lambda t: t @ (1.0, 2.0, 3.0),
    lambda t: t ** [1.0, 2.0, 3.0], lambda t: [1.0, 2.0, 3.0] ** t,
    lambda t: autodiff.linear([[1.0, 2.0, 3.0]], t),
])
def test_a_list_operand_of_matmul_and_pow_reaches_backward_as_its_array(expression):
    # the graph kept the list itself, and backward failed in the rules ('list' object
    # has no attribute 'ndim') far from the cause
    t = leaf(np.array([[0.5, 1.5, 2.0], [1.0, 0.7, 1.2]]))
    assert gradcheck(lambda t: expression(t).sum(), [t])


def test_a_fraction_is_a_float_operand_and_a_decimal_is_refused():
    # a Fraction made an object tensor, whose backward blamed .data set by hand
    x = leaf([1.0, 2.0])
    y = x * fractions.Fraction(1, 2)
    assert y.dtype == np.float64
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])
    with pytest.raises(TypeError, match="^\\*: cannot combine a Tensor with a Decimal"):
        x * decimal.Decimal("0.5")
    assert (Tensor(np.array([True, False])) * True).dtype == np.bool_


def test_round_to_decimals_and_pytorchs_names_for_the_remainder_ops():
    t = leaf([1.234, -2.567, 2.5])
    np.testing.assert_array_equal(t.round(2).data, np.round(t.data, 2))
    np.testing.assert_array_equal(np.round(t, 1).data, np.round(t.data, 1))
    assert isinstance(np.around(t), Tensor) and np.around(t).requires_grad
    (t.round(2) + np.round(t, 1) + t).sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0, 1.0])  # (steps: derivative 0)
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        t.round(1.5)
    with pytest.raises(TypeError, match="np.round with these arguments has no Tensor op"):
        np.round(t, out=np.zeros(3))  # (out=, an array, was compared with None: an error)
    np.testing.assert_array_equal(t.remainder(2).data, (t % 2).data)
    np.testing.assert_array_equal(t.floor_divide(2).data, (t // 2).data)


def test_a_values_floor_ceil_and_round_keep_the_sign_of_zero_as_numpy():
    # Python's go through ints: ceil(-0.5) gave 0.0, where a Tensor's gives -0.0
    for x in (-0.5, -0.4, -0.0, 0.4, 0.0, 2.5, -2.5, -1e300):
        for name, numpy_op in (("floor", np.floor), ("ceil", np.ceil), ("round", np.round)):
            ours = getattr(Value(x), name)().data
            assert ours == numpy_op(x) and math.copysign(1, ours) == np.copysign(1, numpy_op(x))


def test_lists_holding_tensors_that_require_grad_are_numbers_under_no_grad():
    # no gradient is lost there: accepted without a warning, as Tensor(t) is
    w = leaf([1.0, 2.0])
    with no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal((Tensor([3.0, 4.0]) + [w[0], w[1]]).data, [4.0, 6.0])
        assert Tensor([w, w]).shape == (2, 2)
        assert autodiff.concatenate([w, [w[0]]]).shape == (3,)
