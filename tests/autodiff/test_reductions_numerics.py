"""Reductions and powers at edge values (QA round 13's findings).

- mean sums integers and bools in float64 and float16 in float32, as np.mean (an int64
  sum wrapped round, a float16 one overflowed where the mean fits); float32 and float64
  as before, the sum times 1/n.

A gradient that changed is checked against central differences of the same function in
float64 (NumPy's, at the points the narrower dtype holds). Mean is applied as an op
here, as Tensor's mean is to call it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autodiff import Tensor, ops


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
