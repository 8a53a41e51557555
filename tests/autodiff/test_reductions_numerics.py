"""Reductions and powers at edge values (QA round 13's findings).

- mean sums integers and bools in float64 and float16 in float32, as np.mean (an int64
  sum wrapped round, a float16 one overflowed where the mean fits); float32 and float64
  as before, the sum times 1/n.
- norm squares float16 in float32, and takes again in float64 a float32 norm whose
  squares overflowed (past 1.8e19) or underflowed (below 1e-19); so does std, the norm
  of the deviations.
- var and std ops compute in float64 for float32 and in float32 for float16, as PyTorch
  accumulates them; the result keeps the input's float dtype.
- x ** y at bases of 0, nan and -inf: d/dy, and -inf to a fractional power.
- a one-sided clip's missing bound, for NumPy's dtype (bool tensors included).

A gradient that changed is checked against central differences of the same function in
float64 (NumPy's, at the points the narrower dtype holds). Mean, Var and Std are applied
as ops here, as Tensor's mean, var and std are to call them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, gradcheck, ops


def leaf(data, dtype) -> Tensor:
    return Tensor(np.asarray(data, dtype=dtype), requires_grad=True)


def central_differences(f, x, h) -> np.ndarray:
    """The gradient of f (float64 array -> number) at x, by central differences with
    step h, in float64."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def mean(x, axis=None, keepdims=False):
    return ops.Mean.apply(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, ddof=0, keepdims=False):
    return ops.Var.apply(x, axis=axis, ddof=ddof, keepdims=keepdims)


def std(x, axis=None, ddof=0, keepdims=False):
    return ops.Std.apply(x, axis=axis, ddof=ddof, keepdims=keepdims)


# Six nanosecond timestamps one second apart: their int64 sum passes 2**63.
TIMESTAMPS = np.arange(6, dtype=np.int64) * 10**9 + 1_767_225_600 * 10**9


# --------------------------------------------------------------------------------------
# mean
# --------------------------------------------------------------------------------------


def test_the_mean_of_int64_and_uint64_does_not_wrap_round():
    # the sum stayed int64 and wrapped: [2**62, 2**62] gave -4.6e18, uint64 [2**63,
    # 2**63] gave 0, and six timestamps a negative mean
    for data in (np.array([2**62, 2**62]), np.array([2**63, 2**63], np.uint64), TIMESTAMPS,
                 TIMESTAMPS.reshape(2, 3)):
        result = mean(Tensor(data))
        assert result.dtype == np.float64
        np.testing.assert_array_equal(result.data, np.mean(data))
    np.testing.assert_array_equal(mean(Tensor(TIMESTAMPS.reshape(2, 3)), axis=1).data,
                                  np.mean(TIMESTAMPS.reshape(2, 3), axis=1))
    assert mean(Tensor(np.array([2**62, 2**62]))).item() == 2.0**62


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32])
def test_the_mean_of_bools_and_small_ints_is_numpys(dtype):
    data = np.array([[1, 0, 1], [1, 1, 0]], dtype)
    for axis in (None, 0, 1, (0, 1)):
        result = mean(Tensor(data), axis=axis, keepdims=True)
        expected = np.mean(data, axis=axis, keepdims=True)
        assert result.dtype == expected.dtype == np.float64
        np.testing.assert_array_equal(result.data, expected)


def test_the_mean_of_float16_sums_in_float32_as_numpy_and_torch():
    # the float16 sum overflowed past 65504: the mean of 100 values of 1000 was inf
    for data in (np.full(100, 1000.0), np.array([60000.0, 60000.0]),
                 np.full((4, 50), 1000.0)):
        x = leaf(data, np.float16)
        result = mean(x)
        assert result.dtype == np.float16
        np.testing.assert_array_equal(result.data, np.mean(data.astype(np.float16)))
        assert math.isfinite(result.item())
        result.backward()
        assert x.grad.dtype == np.float16  # 1/n, as the float64 mean's
        exact = central_differences(np.mean, data, 1.0)
        np.testing.assert_allclose(x.grad, exact, rtol=1e-3)
    x = leaf(np.full((4, 50), 1000.0), np.float16)
    rows = mean(x, axis=1)
    np.testing.assert_array_equal(rows.data, np.full(4, 1000.0, np.float16))
    rows.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 50), 1 / 50), rtol=1e-3)


def test_a_float16_mean_squared_error_is_finite():
    # every reduction="mean" loss took the mean in float16: 1000 errors of 10 gave inf
    errors = leaf(np.full(1000, 10.0), np.float16)
    loss = mean(errors * errors)
    assert loss.dtype == np.float16 and loss.item() == 100.0
    loss.backward()
    np.testing.assert_allclose(errors.grad, np.full(1000, 2 * 10 / 1000), rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_mean_of_float32_and_float64_is_the_sum_times_one_over_n_as_before(dtype):
    # (their mean is on every training step: unchanged, to the bit, and no slower)
    data = np.random.default_rng(3).standard_normal((7, 5)).astype(dtype)
    for axis in (None, 0, 1, (0, 1)):
        result = mean(Tensor(data), axis=axis)
        n = data.size if axis in (None, (0, 1)) else data.shape[axis]
        assert result.dtype == dtype
        np.testing.assert_array_equal(result.data, data.sum(axis=axis) * (1.0 / n))


def test_the_mean_over_no_elements_raises():
    with pytest.raises(ValueError, match=r"mean: no elements to average over axis 0 of "
                                         r"shape \(0, 3\)"):
        mean(Tensor(np.zeros((0, 3))), axis=0)


# --------------------------------------------------------------------------------------
# norm
# --------------------------------------------------------------------------------------


def test_a_float16_norm_squares_in_float32_as_torch():
    # float16's squares overflowed past 256 and vanished below 2.4e-4: norm([300, 300])
    # was inf and norm([1e-4, 1e-4]) 0, each with the gradient 0
    for data in ([300.0, 300.0, -200.0], [1e-4, 1e-4], [[300.0, 300.0], [1e-4, -1e-4]]):
        x = leaf(data, np.float16)
        at = x.data.astype(np.float64)  # the points float16 holds
        result = x.norm()
        assert result.dtype == np.float16
        assert result.item() == np.float16(np.linalg.norm(at))
        result.backward()
        assert x.grad.dtype == np.float16
        exact = central_differences(np.linalg.norm, at, 1e-3 * np.abs(at).min())
        np.testing.assert_allclose(x.grad, exact, rtol=2e-3, atol=2**-24)  # (subnormals)
    rows = Tensor(np.array([[300.0, 300.0], [1e-4, -1e-4]], np.float16)).norm(axis=1)
    np.testing.assert_allclose(rows.data, [424.26, 1.4142e-4], rtol=1e-3)


OVERFLOWING = [3e19, -2e19, 1e19, 5e19]  # squares past float32's 3.4e38
UNDERFLOWING = [3e-23, -2e-23, 1e-23, 5e-23]  # squares below its smallest subnormal


@pytest.mark.parametrize("data", [OVERFLOWING, UNDERFLOWING])
def test_a_float32_norm_whose_squares_overflow_or_underflow_is_taken_in_float64(data):
    # was inf (the gradient 0) or 0 (the gradient x itself, 1e-23)
    x = leaf(data, np.float32)
    at = x.data.astype(np.float64)
    result = x.norm()
    assert result.dtype == np.float32
    assert result.item() == np.float32(np.linalg.norm(at))
    result.backward()
    assert x.grad.dtype == np.float32
    exact = central_differences(np.linalg.norm, at, 1e-6 * np.abs(at).min())
    np.testing.assert_allclose(x.grad, exact, rtol=1e-6)


def test_a_float32_norm_over_an_axis_redoes_only_the_slices_that_lost_their_squares():
    rows = np.array([[3.0, 4.0, 0.0, 1.0], OVERFLOWING, UNDERFLOWING, [0.0] * 4,
                     [1e-20, 0.0, 0.0, 0.0], [np.nan, 1.0, 0.0, 0.0],
                     [np.inf, 1.0, 0.0, 0.0]], np.float32)
    x = Tensor(rows, requires_grad=True)
    result = x.norm(axis=1, keepdims=True)
    assert result.dtype == np.float32
    # an ordinary row as float32 computes it (the fast path), the others as float64 would
    assert result.data[0, 0] == np.sqrt((rows[0] * rows[0]).sum())
    wide = np.linalg.norm(rows.astype(np.float64), axis=1, keepdims=True)
    np.testing.assert_array_equal(result.data[1:], wide[1:].astype(np.float32))
    assert np.isnan(result.data[5, 0]) and result.data[6, 0] == np.inf
    x = Tensor(rows[:5], requires_grad=True)  # (the gradient at nan and inf is nan)
    x.norm(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad[:3], rows[:3] / wide[:3], rtol=1e-6)
    np.testing.assert_array_equal(x.grad[3], 0.0)  # a zero norm's subgradient
    np.testing.assert_array_equal(x.grad[4], [1.0, 0.0, 0.0, 0.0])


def test_float32_and_float16_std_through_the_norm_are_finite_where_torch_is():
    # std is the norm of the scaled deviations: as the norm's, its value was inf or 0
    # and its gradient 0 or 1e-24 (the QA report's cases, with torch's values)
    cases = [
        ([1e20, -1e20, 1.0, 0.0], np.float32, 7.071068e19, [0.35355338, -0.35355338]),
        ([1e-23, 1e-23, 0.0, 0.0], np.float32, 5e-24, [0.25, 0.25, -0.25, -0.25]),
        ([300.0, -300.0], np.float16, 300.0, [0.5, -0.5]),
    ]
    for data, dtype, value, grad in cases:
        x = leaf(data, dtype)
        result = x.std()
        assert result.dtype == dtype
        np.testing.assert_allclose(result.item(), value, rtol=1e-6)
        result.backward()
        np.testing.assert_allclose(x.grad[:len(grad)], grad, rtol=1e-6)


def test_the_float64_and_ordinary_float32_norm_are_unchanged():
    data = np.random.default_rng(5).standard_normal((6, 4))
    for dtype in (np.float64, np.float32):
        a = data.astype(dtype)
        np.testing.assert_array_equal(Tensor(a).norm(axis=0).data,
                                      np.sqrt((a * a).sum(axis=0)))
        assert gradcheck(lambda t: t.norm(axis=1), [leaf(data, np.float64)])


# --------------------------------------------------------------------------------------
# var and std
# --------------------------------------------------------------------------------------


def test_var_and_std_of_int64_timestamps_are_numpys():
    # the mean wrapped round: our std of six timestamps a second apart was 3.1e18
    for op, numpy_op in ((var, np.var), (std, np.std)):
        for ddof in (0, 1):
            result = op(Tensor(TIMESTAMPS), ddof=ddof)
            assert result.dtype == np.float64
            np.testing.assert_array_equal(result.data, numpy_op(TIMESTAMPS, ddof=ddof))
    assert std(Tensor(TIMESTAMPS)).item() == pytest.approx(1.707825127659933e9, rel=1e-15)


@pytest.mark.parametrize("shape, axis", [((5,), None), ((3, 4), 1), ((3, 4), 0),
                                         ((2, 3, 4), (0, 2)), ((3, 4), -1)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_float64_var_and_std_are_numpys_to_the_bit(shape, axis, ddof):
    data = np.random.default_rng(11).standard_normal(shape) * 10 + 3
    for keepdims in (False, True):
        np.testing.assert_array_equal(
            var(Tensor(data), axis, ddof, keepdims).data,
            np.var(data, axis=axis, ddof=ddof, keepdims=keepdims))
        np.testing.assert_array_equal(
            std(Tensor(data), axis, ddof, keepdims).data,
            np.std(data, axis=axis, ddof=ddof, keepdims=keepdims))


def _weighted(numpy_op, weights, **kwargs):
    return lambda a: float((numpy_op(a, **kwargs) * weights).sum())


@pytest.mark.parametrize("data", [OVERFLOWING + [-4e19], UNDERFLOWING + [-4e-23],
                                  [[1e20, -1e20, 1.0, 0.0], [3e19, 0.0, -3e19, 1e-3]]])
@pytest.mark.parametrize("name", ["var", "std"])
def test_float32_var_and_std_are_taken_in_float64(data, name):
    op, numpy_op = {"var": (var, np.var), "std": (std, np.std)}[name]
    x = leaf(data, np.float32)
    at = x.data.astype(np.float64)
    axis = -1 if at.ndim == 2 else None
    if name == "var" and np.abs(at).max() > 1e19:  # the variance is past float32's max
        with pytest.warns(RuntimeWarning, match="overflow"):
            assert np.isinf(op(x, axis=axis).data).all()
        return
    result = op(x, axis=axis)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result.data,
                                  numpy_op(at, axis=axis).astype(np.float32))
    assert np.isfinite(result.data).all()
    weights = np.random.default_rng(2).uniform(0.5, 1.5, np.shape(result.data))
    (result * weights.astype(np.float32)).sum().backward()
    assert x.grad.dtype == np.float32
    scale = np.abs(at).max()
    exact = central_differences(_weighted(numpy_op, weights, axis=axis), at, 1e-7 * scale)
    np.testing.assert_allclose(x.grad, exact, rtol=1e-5, atol=1e-7 * np.abs(exact).max())


def test_a_float32_std_of_mixed_magnitudes_gives_the_small_entries_their_gradient():
    # (x_i - mean) / (n std) for 1 and 0 of [1e20, -1e20, 1, 0], as torch gives them
    x = leaf([1e20, -1e20, 1.0, 0.0], np.float32)
    std(x).backward()
    n_std = 4 * np.std(x.data.astype(np.float64))
    np.testing.assert_allclose(x.grad, (x.data - 0.25) / n_std, rtol=1e-6)


def test_float32_var_of_many_tiny_deviations_keeps_its_digits():
    # squared in float32 after the division by sqrt(n), as before, these were subnormal
    data = (np.random.default_rng(4).choice([-1.0, 1.0], 10_000) * 1e-18).astype(np.float32)
    exact = np.var(data.astype(np.float64))
    assert var(Tensor(data)).item() == pytest.approx(exact, rel=1e-7)
    assert std(Tensor(data)).item() == pytest.approx(math.sqrt(exact), rel=1e-7)


def test_float16_var_and_std_are_taken_in_float32():
    # the scaled deviations' float16 squares vanished: the variance of 10,000 values of
    # +-0.01 was 0, not 1e-4; and a deviation past 65504 overflowed though std fits
    data = np.random.default_rng(6).choice([-1.0, 1.0], 10_000) * 0.01
    x = leaf(data, np.float16)
    at = x.data.astype(np.float64)
    result = var(x)
    assert result.dtype == np.float16
    assert result.item() == np.float16(np.var(at))
    assert result.item() == pytest.approx(1e-4, rel=1e-2)
    result.backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad, 2 * (at - at.mean()) / at.size, rtol=1e-3,
                               atol=2**-24)  # (float16's subnormals)
    wide = leaf([65504.0, -65504.0, -65504.0], np.float16)
    at = wide.data.astype(np.float64)
    result = std(wide)
    assert result.item() == np.float16(np.std(at))
    result.backward()
    assert np.isfinite(wide.grad).all()
    exact = central_differences(np.std, at, 1.0)
    np.testing.assert_allclose(wide.grad, exact, rtol=2e-3)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis, ddof", [(None, 0), (1, 1), ((0, 1), 0), (0, 0)])
def test_var_and_std_ops_pass_gradcheck_and_their_hessian_is_right(name, axis, ddof):
    op = {"var": var, "std": std}[name]
    data = np.random.default_rng(9).standard_normal((3, 4))
    assert gradcheck(lambda t: op(t, axis, ddof), [leaf(data, np.float64)],
                     eps=1e-6, atol=1e-7, rtol=1e-6)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, np.shape(
        op(Tensor(data), axis, ddof).data))

    def loss(t):
        return (op(t, axis, ddof) * weights).sum()

    hessian = autodiff.hessian(loss)(data)
    gradient = autodiff.grad(loss)
    numeric = np.stack([central_differences(lambda a, i=i: gradient(a).flat[i], data, 1e-5)
                        for i in range(data.size)]).reshape(hessian.shape)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-8)


def test_a_float64_variance_gradient_stays_exact_at_a_large_offset():
    # the deviations are centred again in backward, which cancels the rounding of the
    # mean (torch's relative error is 8e-10 here)
    rng = np.random.default_rng(1)
    for offset in (1e5, 1e7):
        data = offset + rng.standard_normal(50)
        x = leaf(data, np.float64)
        var(x).backward()
        exact = np.asarray(2 * (data.astype(np.longdouble) - data.astype(np.longdouble)
                                .mean()) / data.size, np.float64)
        assert np.abs(x.grad - exact).max() <= 1e-12 * np.abs(exact).max()


def test_var_and_std_ops_check_ddof():
    x = Tensor([1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match=r"var: 3 element\(s\) over axis None of shape "
                                         r"\(3,\) leave no degree of freedom with ddof=3"):
        var(x, ddof=3)
    for bad in (-1, True, 1.0):
        with pytest.raises(ValueError, match=f"std: ddof must be an int >= 0, got {bad}"):
            std(x, ddof=bad)


def test_std_ops_gradient_is_zero_where_the_variance_is_zero():
    for dtype in (np.float64, np.float32, np.float16):
        x = leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]], dtype)
        std(x, axis=1).sum().backward()
        np.testing.assert_array_equal(x.grad[0], 0.0)
        assert np.isfinite(x.grad).all() and x.grad.dtype == dtype


# --------------------------------------------------------------------------------------
# x ** y at edge bases
# --------------------------------------------------------------------------------------
# The gradients changed here are at bases of 0, nan and -inf, where x ** y is not finite
# or not defined; central differences have no value there, so the expected values are
# the limits (and torch's).


def test_d_dy_of_zero_to_a_negative_power_is_minus_inf_as_torch():
    # x^y log x tends to -inf as x -> 0+ (y < 0); the rule took log 1 and gave inf * 0
    # = nan. For y >= 0 it stays 0, as in torch
    base = np.array([0.0, 0.0, -0.0, -0.0, 0.0, 0.0])
    exponent = np.array([-1.0, -2.5, -2.5, -1.0, 0.0, 2.0])
    expected = [-np.inf, -np.inf, -np.inf, np.inf, 0.0, 0.0]  # torch's; -0.0 ** -1 = -inf
    y = leaf(exponent, np.float64)
    with np.errstate(divide="ignore"):  # (0 ** -1 is inf: NumPy's warning)
        (Tensor(base) ** y).backward(np.ones(6))  # (a sum of inf and -inf is nan)
        np.testing.assert_array_equal(y.grad, expected)
        y.grad = None
        (Tensor(base) ** y).backward(np.ones(6), create_graph=True)
        np.testing.assert_array_equal(y.grad.data, expected)
        y = leaf([-1.0, 2.0], np.float32)
        (0.0 ** y).sum().backward()  # a number for a base
    np.testing.assert_array_equal(y.grad, [-np.inf, 0.0])
    assert y.grad.dtype == np.float32
    for zero in (0.0, -0.0):  # on Values, 0 ** -inf is inf (0 ** -1 raises)
        v, w = Value(zero), Value(-math.inf)
        (v ** w).backward()
        assert w.grad == -math.inf


def test_d_dy_at_a_nan_base_is_nan_not_zero():
    # nan ** 0 is 1, but its derivative in y is undefined: 0 hid the nan
    y = leaf([0.0, -0.0, 2.0], np.float64)
    out = Tensor(np.full(3, np.nan)) ** y
    np.testing.assert_array_equal(out.data[:2], [1.0, 1.0])
    out.sum().backward()
    assert np.isnan(y.grad).all()
    v, w = Value(math.nan), Value(0.0)
    (v ** w).backward()
    assert math.isnan(w.grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("exponent", [0.5, -0.5, 1.5, -2.5, 0.3])
def test_minus_inf_to_a_fractional_power_is_nan_with_a_nan_gradient(dtype, exponent):
    # C's pow (and NumPy's, but for float32's and float64's ** 0.5, taken as sqrt) gave
    # inf or 0 there, and the derivative 0: a negative base has no fractional power
    x = leaf([-np.inf, 4.0], dtype)
    with np.errstate(invalid="ignore"):
        out = x ** exponent
        out.sum().backward()
    assert out.dtype == dtype and np.isnan(out.data[0]) and np.isnan(x.grad[0])
    np.testing.assert_allclose(out.data[1], 4.0 ** exponent, rtol=1e-3)
    np.testing.assert_allclose(x.grad[1], exponent * 4.0 ** (exponent - 1), rtol=1e-3)


def test_minus_inf_beside_a_nan_or_in_an_empty_base():
    # (a nan hides -inf from the min that looks for it)
    with np.errstate(invalid="ignore"):
        out = Tensor([np.nan, -np.inf, 4.0]) ** 1.5
        assert np.isnan(out.data[:2]).all() and out.data[2] == 8.0
        assert (Tensor(np.zeros((0, 2))) ** 1.5).shape == (0, 2)


def test_minus_inf_to_a_whole_power_keeps_its_value():
    x = leaf([-np.inf, -np.inf, -np.inf, -np.inf], np.float64)
    exponents = np.array([2.0, 3.0, -1.0, np.inf])
    out = x ** Tensor(exponents)
    np.testing.assert_array_equal(out.data, [np.inf, -np.inf, -0.0, np.inf])
    np.testing.assert_array_equal((Tensor([-np.inf]) ** 2).data, [np.inf])
    with np.errstate(invalid="ignore"):
        mixed = Tensor([-np.inf, -np.inf]) ** Tensor([0.5, 2.0])  # an array of exponents
    assert np.isnan(mixed.data[0]) and mixed.data[1] == np.inf


def test_a_value_of_minus_inf_to_a_fractional_power_raises_as_documented():
    # Value's docstring: ValueError for a negative number to a fractional power; C's
    # pow returned inf (and 0 for -0.5), where Value(-1.0) ** 0.5 raised
    for exponent in (0.5, -0.5, 1.5):
        with pytest.raises(ValueError, match=r"pow: -inf \*\* .* is not a real number"):
            Value(-math.inf) ** exponent
    with pytest.raises(ValueError, match="is not a real number"):
        Value(-math.inf) ** Value(0.5)
    assert (Value(-math.inf) ** 2).data == math.inf
    assert (Value(-math.inf) ** 3).data == -math.inf
    assert (Value(-math.inf) ** -1).data == 0.0


# --------------------------------------------------------------------------------------
# one-sided clip: the missing bound
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int64, np.float16,
                                   np.float32, np.float64])
@pytest.mark.parametrize("bound", [0, 1, True, False, 0.5, np.float32(0.5),
                                   np.array(1000, np.int64), np.array(1, np.int8)])
@pytest.mark.parametrize("side", ["lo", "hi"])
def test_a_missing_clip_bound_gives_numpys_dtype_and_values(dtype, bound, side):
    # a bool tensor's missing bound was -inf or inf, which lifted it to float64 where
    # np.clip(b, 0, None) gives int64; an int8 tensor's was 127, which clipped at 127 a
    # lower bound of int64 1000 that np.clip keeps
    data = np.array([0, 1, 1, 0, 1], dtype)
    if data.dtype.kind == "f":
        data = np.array([-2.5, 0.0, 0.75, 3.0, 1000.5], dtype)
    lo, hi = (bound, None) if side == "lo" else (None, bound)
    expected = np.clip(data, lo, hi)
    clipped = ops.Clip.apply(Tensor(data), *ops.clip_bounds(data.dtype, lo, hi))
    assert clipped.dtype == expected.dtype
    np.testing.assert_array_equal(clipped.data, expected)


def test_clip_bounds_with_both_bounds_or_none():
    assert ops.clip_bounds(np.dtype(bool), 0, 1) == (0, 1)
    with pytest.raises(ValueError, match="clip: give at least one of lo and hi"):
        ops.clip_bounds(np.dtype(np.float32), None, None)
    lo, hi = ops.clip_bounds(np.dtype(np.float32), Tensor([0.5, 1.0]), None)
    assert hi == math.inf


# --------------------------------------------------------------------------------------
# Tensor's methods call the ops
# --------------------------------------------------------------------------------------


def test_tensor_mean_of_int64_and_float16_uses_the_op():
    assert Tensor(np.array([2**62, 2**62])).mean().item() == 2.0**62
    assert Tensor(np.full(100, 1000.0, np.float16)).mean().item() == 1000.0


def test_tensor_var_and_std_use_the_ops():
    np.testing.assert_array_equal(Tensor(TIMESTAMPS).std().data, np.std(TIMESTAMPS))
    data = np.random.default_rng(6).choice([-1.0, 1.0], 10_000) * 0.01
    assert Tensor(data.astype(np.float16)).var().item() == pytest.approx(1e-4, rel=1e-2)


def test_tensor_clip_of_a_bool_tensor_uses_clip_bounds():
    assert Tensor(np.array([True, False])).clip(0).dtype == np.int64


def test_a_float32_norm_redoes_the_slice_whose_squares_overflow():
    # one row's squares overflow float32 (9e38 > 3.4e38), the other's do not: the rows
    # are redone in float64, so row 0 is 5e19, not inf, and its gradient x / norm
    x = leaf([[3e19, 4e19], [3.0, 4.0]], np.float32)
    n = x.norm(axis=1)
    n.sum().backward()
    np.testing.assert_allclose(n.data, [5e19, 5.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [[0.6, 0.8], [0.6, 0.8]], rtol=1e-6)


@pytest.mark.parametrize("scale, n", [(1e-20, 1000), (2e-21, 10**5)])
def test_a_float32_norm_of_many_subnormal_squares_keeps_float32_precision(scale, n):
    # each square (1e-40, 4e-42) is subnormal in float32 and keeps few digits; their sum
    # passes float32's smallest normal number only because there are many of them, and
    # is still redone in float64 (the floor scales with the elements per sum)
    data = np.full(n, scale, dtype=np.float32)
    x = leaf(data, np.float32)
    y = x.norm()
    y.backward()
    exact = np.sqrt(np.square(data.astype(np.float64)).sum())
    assert abs(float(y.data) - exact) / exact < 1e-6
    np.testing.assert_allclose(x.grad[:3], data[:3] / exact, rtol=1e-6)
