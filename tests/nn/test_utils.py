"""nn.utils.clip_grad_norm_: the total norm and the scaled gradients, by hand (and PyTorch)."""

import math

import numpy as np
import pytest

import nn
from autodiff import Tensor, Value


def with_grad(values, grad, dtype=np.float64):
    p = Tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    p.grad = np.asarray(grad, dtype=dtype)
    return p


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before():
    a, b = with_grad([0.0, 0.0], [3.0, 0.0]), with_grad([[1.0]], [[4.0]])
    skipped = Tensor(np.zeros(3), requires_grad=True)  # no grad: left out of the norm
    total = nn.utils.clip_grad_norm_([a, skipped, b], max_norm=1.0)
    assert isinstance(total, Tensor) and total.shape == () and total.item() == 5.0
    scale = 1.0 / (5.0 + 1e-6)  # PyTorch's max_norm / (total + 1e-6)
    np.testing.assert_allclose(a.grad, [3.0 * scale, 0.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [[4.0 * scale]], rtol=1e-15)
    assert skipped.grad is None


def test_clip_grad_norm_leaves_small_gradients_as_they_are():
    p = with_grad([1.0, 2.0], [0.3, 0.4])
    g = p.grad
    assert nn.utils.clip_grad_norm_([p], max_norm=1.0).item() == pytest.approx(0.5)
    assert p.grad is g


@pytest.mark.parametrize(("norm_type", "total"), [
    (1.0, 3.0 + 4.0 + 2.0),
    (math.inf, 4.0),
    (3.0, (27.0 + 64.0 + 8.0) ** (1 / 3)),
])
def test_clip_grad_norm_of_other_orders(norm_type, total):
    a, b = with_grad([0.0, 0.0], [3.0, -4.0]), with_grad([0.0], [2.0])
    assert nn.utils.clip_grad_norm_([a, b], 2.0, norm_type=norm_type).item() == (
        pytest.approx(total, rel=1e-14))
    np.testing.assert_allclose(b.grad, [2.0 * 2.0 / (total + 1e-6)], rtol=1e-14)


def test_clip_grad_norm_takes_a_module_a_parameter_and_values():
    model = nn.Linear(2, 1, seed=0)
    model(np.array([[30.0, -40.0]])).sum().backward()
    expected = math.sqrt(30.0**2 + 40.0**2 + 1.0)  # weight's grad is x, bias's is 1
    assert nn.utils.clip_grad_norm_(model, 1.0).item() == pytest.approx(expected)
    single = with_grad([0.0, 0.0], [6.0, 8.0])
    assert nn.utils.clip_grad_norm_(single, 5.0).item() == 10.0
    np.testing.assert_allclose(single.grad, [3.0, 4.0], rtol=1e-6)
    v, w = Value(1.0), Value(2.0)
    v.grad, w.grad = 3.0, 4.0
    assert nn.utils.clip_grad_norm_([v, w], 1.0).item() == 5.0
    assert v.grad == pytest.approx(0.6, rel=1e-6) and isinstance(v.grad, float)


def test_clip_grad_norm_keeps_float32_and_read_only_gradients():
    p = with_grad([0.0, 0.0], [30.0, 40.0], dtype=np.float32)
    p.grad.setflags(write=False)  # as a broadcast gradient may be
    nn.utils.clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_of_no_gradients_is_0():
    p = Tensor(np.zeros(2), requires_grad=True)
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0
    assert p.grad is None


def test_clip_grad_norm_non_finite():
    p = with_grad([0.0, 0.0], [np.nan, 1.0])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 "
                                           r"of the gradients is nan"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.nan, 1.0])  # unchanged
    nn.utils.clip_grad_norm_([p], 1.0)
    assert np.isnan(p.grad).all()  # as in PyTorch


def test_clip_grad_norm_of_order_inf_sees_a_nan_in_any_parameter():
    # max() over the parameters dropped a nan after the first: a total of 2, no error
    # with error_if_nonfinite=True, and the first gradient scaled (QA round 19)
    a, b = with_grad([0.0, 0.0], [1.0, 2.0]), with_grad([0.0], [np.nan])
    with pytest.raises(RuntimeError, match="of order inf of the gradients is nan"):
        nn.utils.clip_grad_norm_([a, b], 1.0, norm_type=math.inf, error_if_nonfinite=True)
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    assert math.isnan(nn.utils.clip_grad_norm_([a, b], 1.0, norm_type=math.inf).item())


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda p: nn.utils.clip_grad_norm_([p], -1.0), ValueError, "max_norm must be >= 0"),
    (lambda p: nn.utils.clip_grad_norm_([p], "1"), TypeError,
     "max_norm must be a real number, got str"),
    (lambda p: nn.utils.clip_grad_norm_([p], 1.0, norm_type=0), ValueError,
     "norm_type must be > 0"),
    (lambda p: nn.utils.clip_grad_norm_([np.ones(2)], 1.0), TypeError,
     "parameter 0 is a ndarray, not a Tensor or a Value"),
    (lambda p: nn.utils.clip_grad_norm_([("w", p)], 1.0), TypeError,
     r"parameter 0 is a tuple, .*\(a \(name, parameter\) pair: pass model.parameters"),
    (lambda p: nn.utils.clip_grad_norm_(3, 1.0), TypeError,
     "parameters must be a Module, a parameter or an iterable"),
])
def test_clip_grad_norm_names_a_bad_argument(call, error, message):
    p = with_grad([0.0, 0.0], [3.0, 4.0])
    with pytest.raises(error, match=f"clip_grad_norm_: {message}"):
        call(p)
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=(4, 3)) * 5, rng.normal(size=3), rng.normal(size=(2, 4))]
    for norm_type in (2.0, 1.0, math.inf, 3.0):
        ours = [with_grad(np.zeros_like(g), g) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
                  for g in grads]
        for t, g in zip(theirs, grads, strict=True):
            t.grad = torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type=norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type=norm_type)
        assert total.item() == pytest.approx(expected.item(), rel=1e-14)
        for p, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-14)


def test_clip_grad_norm_scales_integer_gradients_into_floats():
    # An int .grad (set by hand, which backward and the optimizers take) failed in NumPy
    # after the gradients before it were scaled
    a, b = with_grad([0.0], [3.0]), Tensor(np.zeros(1), requires_grad=True)
    b.grad = np.array([4])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad, [0.6], rtol=1e-6)
    np.testing.assert_allclose(b.grad, [0.8], rtol=1e-6)
    assert b.grad.dtype == np.float64


def test_clip_grad_norm_checks_every_gradient_before_scaling_any():
    a, b = with_grad([0.0], [3.0]), Tensor(np.zeros(1), requires_grad=True)
    b.grad = np.array([4 + 0j])
    with pytest.raises(TypeError, match=r"clip_grad_norm_: parameter 1's \.grad has dtype "
                                        r"complex128, not real numbers; no gradient was "
                                        "scaled"):
        nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    np.testing.assert_array_equal(a.grad, [3.0])
