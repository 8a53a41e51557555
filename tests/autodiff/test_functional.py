"""Functional differentiation and higher order: `grad`, `value_and_grad`, `jacobian`,
`hessian`, and `backward(create_graph=True)` followed by differentiating `.grad`."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, grad, hessian, jacobian, no_grad, value_and_grad, vjp


def leaf(data) -> Tensor:
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=True)


def data_of(x):
    """A node's value (results over node arguments are nodes); anything else as is."""
    return x.data if isinstance(x, (Value, Tensor)) else x


def numeric_jacobian(plain, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d plain(x) / d x by central differences, shape plain(x).shape + x.shape, for a
    function `plain` of arrays returning arrays."""
    out_shape = np.shape(plain(x))
    jac = np.zeros(out_shape + x.shape)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        jac[(Ellipsis,) + index] = (plain(up) - plain(down)) / (2 * eps)
    return jac


# --------------------------------------------------------------------------------------
# Second derivatives of every elementwise op, three ways
# --------------------------------------------------------------------------------------

LN2 = math.log(2.0)


def _sig(x):
    return 1 / (1 + math.exp(-x))


# name: (f on a node, f', f'', points)
ELEMENTWISE = {
    "exp": (lambda x: x.exp(), math.exp, math.exp, [-0.8, 0.7]),
    "log": (lambda x: x.log(), lambda x: 1 / x, lambda x: -1 / x**2, [0.7, 1.6]),
    "sqrt": (lambda x: x.sqrt(), lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5,
             [0.7, 1.6]),
    "tanh": (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), [-0.8, 0.7]),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: _sig(x) * (1 - _sig(x)),
                lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)), [-0.8, 0.7]),
    "sin": (lambda x: x.sin(), math.cos, lambda x: -math.sin(x), [-0.8, 0.7]),
    "cos": (lambda x: x.cos(), lambda x: -math.sin(x), lambda x: -math.cos(x), [-0.8, 0.7]),
    "relu": (lambda x: x.relu() * x, lambda x: 2 * x * (x > 0), lambda x: 2.0 * (x > 0),
             [-0.8, 0.7]),  # relu(x) * x: x^2 on the right, 0 on the left
    "leaky_relu": (lambda x: x.leaky_relu(0.1) * x, lambda x: 2 * x * (1 if x > 0 else 0.1),
                   lambda x: 2 * (1 if x > 0 else 0.1), [-0.8, 0.7]),
    "abs": (lambda x: abs(x) * x, lambda x: 2 * abs(x), lambda x: 2 * math.copysign(1, x),
            [-0.8, 0.7]),
    "neg": (lambda x: -(x * x), lambda x: -2 * x, lambda x: -2.0, [-0.8, 0.7]),
    "mul": (lambda x: x * x * x, lambda x: 3 * x**2, lambda x: 6 * x, [-0.8, 0.7]),
    "pow-3": (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, [-0.8, 0.7]),
    "pow-2.5": (lambda x: x**2.5, lambda x: 2.5 * x**1.5, lambda x: 3.75 * x**0.5,
                [0.7, 1.6]),
    "pow-minus-1": (lambda x: x**-1, lambda x: -(x**-2), lambda x: 2 * x**-3, [-0.8, 0.7]),
    "rpow": (lambda x: 2.0**x, lambda x: 2**x * LN2, lambda x: 2**x * LN2**2, [-0.8, 0.7]),
    "self-power": (lambda x: x**x, lambda x: x**x * (math.log(x) + 1),
                   lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x), [0.7, 1.6]),
    "div": (lambda x: 1.0 / x, lambda x: -(x**-2), lambda x: 2 * x**-3, [-0.8, 0.7]),
    "div-by-self-plus-one": (lambda x: x / (x + 1.0), lambda x: 1 / (x + 1) ** 2,
                             lambda x: -2 / (x + 1) ** 3, [0.7, 1.6]),
    "sub": (lambda x: (1.0 - x) * (x - 2.0), lambda x: 3 - 2 * x, lambda x: -2.0,
            [-0.8, 0.7]),
}
SECOND_ORDER_CASES = [pytest.param(name, x, id=f"{name}-{x}")
                      for name, (_, _, _, points) in ELEMENTWISE.items() for x in points]


@pytest.mark.parametrize(("name", "x"), SECOND_ORDER_CASES)
def test_grad_of_grad_over_numbers_uses_values(name, x):
    f, d1, d2, _ = ELEMENTWISE[name]
    assert grad(f)(x) == pytest.approx(d1(x), rel=1e-12, abs=1e-12)
    second = grad(grad(f))(x)
    assert isinstance(second, float)
    assert second == pytest.approx(d2(x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize(("name", "x"), SECOND_ORDER_CASES)
def test_grad_of_grad_over_one_element_arrays_uses_tensors(name, x, shape):
    f, d1, d2, _ = ELEMENTWISE[name]
    fs = lambda t: f(t).sum()  # noqa: E731
    point = np.full(shape, x)
    first = grad(fs)(point)
    assert isinstance(first, np.ndarray) and first.shape == shape
    np.testing.assert_allclose(first, d1(x), rtol=1e-12, atol=1e-12)
    second = grad(lambda t: grad(fs)(t).sum())(point)
    assert isinstance(second, np.ndarray) and second.shape == shape
    np.testing.assert_allclose(second, d2(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_backward_with_create_graph_then_differentiating_the_grad(name):
    f, d1, d2, points = ELEMENTWISE[name]
    x = leaf(points)
    f(x).sum().backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Tensor) and first.requires_grad
    np.testing.assert_allclose(first.data, [d1(p) for p in points], rtol=1e-12)
    x.grad = None
    first.sum().backward()  # elementwise: the Hessian is diagonal
    np.testing.assert_allclose(x.grad, [d2(p) for p in points], rtol=1e-12, atol=1e-12)


def test_a_third_derivative():
    assert grad(grad(grad(lambda x: x**4)))(1.5) == pytest.approx(24 * 1.5)
    third = grad(grad(grad(lambda t: (t**4).sum())))(np.array(1.5))
    np.testing.assert_allclose(third, 24 * 1.5)


# --------------------------------------------------------------------------------------
# Hessians
# --------------------------------------------------------------------------------------

A = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0], [2.0, 0.0, 1.5]])  # not symmetric
X0 = np.array([0.3, -1.2, 2.0])


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    H = hessian(lambda x: x @ A @ x)(X0)
    np.testing.assert_allclose(H, A + A.T, rtol=1e-14)


def test_hessian_of_a_quadratic_form_row_by_row_with_create_graph():
    x = leaf(X0)
    (x @ A @ x).backward(create_graph=True)
    g = x.grad
    np.testing.assert_allclose(g.data, (A + A.T) @ X0)
    rows = []
    for i in range(3):
        x.grad = None
        g[i].backward(retain_graph=True)
        rows.append(x.grad)
    np.testing.assert_allclose(np.stack(rows), A + A.T, rtol=1e-14)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_hessian_of_logsumexp_is_diag_p_minus_p_p_transpose(scale):
    x0 = scale * np.array([0.5, -1.0, 0.2, 0.0])
    p = np.exp(x0 - x0.max()) / np.exp(x0 - x0.max()).sum()
    H = hessian(lambda x: x.logsumexp())(x0)
    assert np.all(np.isfinite(H))
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hessian_of_cross_entropy_is_the_logsumexp_hessian_of_each_sample(reduction):
    # loss = sum_i w (logsumexp(x_i) - x_i[label_i]): the picked term is linear, so each
    # sample's block is w (diag(p_i) - p_i p_i^T), w = 1/n for the mean
    x0 = np.array([[0.5, -1.0, 0.2], [1000.0, 999.0, -1000.0]])
    labels = np.array([2, 0])
    H = hessian(lambda x: autodiff.cross_entropy(x.reshape(2, 3), labels, reduction))(
        x0.ravel())
    weight = 0.5 if reduction == "mean" else 1.0
    p = np.exp(x0 - x0.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = np.zeros((6, 6))
    for i in range(2):
        expected[3 * i:3 * i + 3, 3 * i:3 * i + 3] = weight * (np.diag(p[i])
                                                                - np.outer(p[i], p[i]))
    np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-300)


def _assert_hessian_is_finite_differences_of_the_gradient(f, x0) -> None:
    H = hessian(f)(x0)
    numeric = numeric_jacobian(grad(f), x0)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", [
    lambda x: (x.reshape(2, 3) @ np.ones((3, 2))).tanh().sum(),
    lambda x: x.softmax().log().mean() + (x * x).max(),
    lambda x: (x[np.array([0, 0, 5])] * x[1:4]).sum() + x.sigmoid().sum(),
], ids=["tanh-matmul", "log-softmax-max", "getitem-sigmoid"])
def test_hessian_matches_finite_differences_of_the_gradient(f, rng):
    x0 = rng.uniform(-1, 1, 6)
    _assert_hessian_is_finite_differences_of_the_gradient(f, x0)


# --------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------

W = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 1.0]])


@pytest.mark.parametrize(("f", "x0"), [
    (lambda x: x.softmax(), np.array([0.2, -1.0, 1.5])),
    (lambda x: W @ x.tanh(), np.array([0.2, -1.0, 1.5])),
    (lambda x: x.reshape(2, 3).T * 2.0, np.arange(6.0) / 3),
    (lambda x: x[::-1] * x, np.array([0.2, -1.0, 1.5, 0.7])),
    (lambda x: autodiff.stack([x.sum(), (x * x).sum(), x.max()]), np.array([0.2, -1.0, 1.5])),
    (lambda x: x.exp(), np.array(0.4)),
    (lambda x: x, np.array([1.0, 2.0, 3.0])),  # the identity: a leaf as the output
], ids=["softmax", "affine-tanh", "matrix-transpose", "reversed-product", "stacked",
        "scalar", "identity"])
def test_jacobian_matches_finite_differences(f, x0):
    J = jacobian(f)(x0)

    def plain(a):
        with no_grad():
            return f(Tensor(a)).data

    numeric = numeric_jacobian(plain, x0)
    assert J.shape == numeric.shape
    np.testing.assert_allclose(J, numeric, rtol=1e-7, atol=1e-8)


def test_jacobian_of_softmax_is_diag_s_minus_s_s_transpose():
    x0 = np.array([0.2, -1.0, 1.5])
    s = np.exp(x0) / np.exp(x0).sum()
    np.testing.assert_allclose(jacobian(lambda x: x.softmax())(x0),
                               np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


def test_jacobian_with_several_argnums():
    x0, y0 = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    jx, jy = jacobian(lambda x, y: x * y + x, argnums=(0, 1))(x0, y0)
    np.testing.assert_array_equal(jx, np.diag(y0 + 1))
    np.testing.assert_array_equal(jy, np.diag(x0))


# --------------------------------------------------------------------------------------
# grad and value_and_grad: argnums over numbers, arrays, Values and Tensors
# --------------------------------------------------------------------------------------


def f_xy(x, y):  # x y^2 + sin x: d/dx = y^2 + cos x, d/dy = 2 x y
    return x * y * y + x.sin() if isinstance(x, Value) else (x * y * y + x.sin()).sum()


def test_grad_over_numbers_with_argnums_int_and_tuple():
    def f(x, y):  # x y^2 + x^3: d/dx = y^2 + 3 x^2, d/dy = 2 x y
        return x * y * y + x**3

    x, y = 0.5, -2.0
    assert grad(f)(x, y) == pytest.approx(y * y + 3 * x * x)
    assert grad(f, argnums=1)(x, y) == pytest.approx(2 * x * y)
    assert grad(f, argnums=-1)(x, y) == pytest.approx(2 * x * y)
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    assert isinstance(gx, float) and isinstance(gy, float)
    assert (gx, gy) == (pytest.approx(y * y + 3 * x * x), pytest.approx(2 * x * y))
    value, (gy2, gx2) = value_and_grad(f, argnums=(1, 0))(x, y)
    assert isinstance(value, float) and value == pytest.approx(x * y * y + x**3)
    assert (gx2, gy2) == (gx, gy)


def test_grad_over_arrays_with_argnums_int_and_tuple():
    x, y = np.array([0.5, 1.0, -1.0]), np.array([2.0, -2.0, 0.5])
    gx = grad(f_xy)(x, y)
    assert isinstance(gx, np.ndarray) and gx.shape == x.shape
    np.testing.assert_allclose(gx, y * y + np.cos(x))
    value, (gx, gy) = value_and_grad(f_xy, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(value, np.sum(x * y * y + np.sin(x)))
    np.testing.assert_allclose(gy, 2 * x * y)
    assert isinstance(gy, np.ndarray)


def test_grad_over_values_gives_nodes_with_the_right_values_and_leaves_grad_alone():
    x, y = Value(0.5), Value(-2.0)
    value, (gx, gy) = value_and_grad(f_xy, argnums=(0, 1))(x, y)
    assert data_of(value) == pytest.approx(0.5 * 4 + math.sin(0.5))
    assert data_of(gx) == pytest.approx(4 + math.cos(0.5))
    assert data_of(gy) == pytest.approx(-2.0)
    assert x.grad == 0.0 and y.grad == 0.0


def test_grad_over_tensors_with_and_without_requires_grad():
    x_data, y_data = np.array([0.5, 1.0]), np.array([2.0, -2.0])
    # tensors outside any graph: plain arrays back
    gx, gy = grad(f_xy, argnums=(0, 1))(Tensor(x_data), Tensor(y_data))
    assert isinstance(gx, np.ndarray) and isinstance(gy, np.ndarray)
    np.testing.assert_allclose(gx, y_data**2 + np.cos(x_data))
    np.testing.assert_allclose(gy, 2 * x_data * y_data)
    # a tensor that requires grad: the results depend on it, so they are nodes
    x, y = leaf(x_data), Tensor(y_data)
    gx, gy = grad(f_xy, argnums=(0, 1))(x, y)
    assert isinstance(gy, Tensor) and gy.requires_grad
    np.testing.assert_allclose(data_of(gx), y_data**2 + np.cos(x_data))
    np.testing.assert_allclose(data_of(gy), 2 * x_data * y_data)
    assert x.grad is None and y.grad is None  # functional grad touches no .grad


def test_grad_over_a_mix_of_kinds():
    def f(a, w, b):  # a 0-d array, an array and a Tensor
        return ((w * a + b) ** 2).sum()

    a, w, b = np.array(1.5), np.array([1.0, -2.0]), Tensor([0.5, 0.25])
    ga, gw, gb = grad(f, argnums=(0, 1, 2))(a, w, b)
    r = w * a + b.data
    assert ga == pytest.approx(np.sum(2 * r * w))
    np.testing.assert_allclose(gw, 2 * r * a)
    np.testing.assert_allclose(gb, 2 * r)


def test_ints_are_differentiated_as_floats():
    assert grad(lambda x: x * x)(3) == 6.0
    np.testing.assert_array_equal(grad(lambda x: (x * x).sum())(np.array([1, 2])), [2.0, 4.0])


def test_a_function_that_ignores_its_input_has_zero_gradient():
    assert grad(lambda x: Value(3.0))(2.0) == 0.0
    g = grad(lambda x, y: (Tensor(y) * 2).sum())(np.ones((2, 3)), np.ones(2))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def _item(out):
    return out.item()


def _numpy(out):
    return out.numpy()


def _data(out):
    return out.data


@pytest.mark.parametrize(("kind", "cut"), [
    ("tensor", _item), ("tensor", float), ("tensor", _numpy), ("tensor", _data),
    ("value", _item), ("value", _data),  # (a Value has neither __float__ nor numpy())
], ids=lambda x: getattr(x, "__name__", x))
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacobian"])
def test_a_function_ending_in_item_or_float_is_refused(cut, kind, transform):
    # Its gradient came back as zeros, silently (the answer for a constant): a loss
    # function ending in .item(), for printing, stalled training with no error.
    x = 3.0 if kind == "value" else np.array([1.0, 2.0])
    if kind == "value" and transform == "jacobian":
        x = np.array(3.0)
    f = {"grad": grad, "value_and_grad": value_and_grad, "jacobian": jacobian}[transform]
    with pytest.raises(TypeError, match=f"^{transform}: the function returned a plain "
                                        r"\w+ \(.*\), which records no graph.*\.item\(\)"):
        f(lambda v: cut((v * v).sum() if kind == "tensor" else v * v))(x)


def test_a_constant_derivative_is_still_differentiated_to_zero():
    # The inner grad of a linear function returns a plain number (it depends on no
    # variable): the enclosing call takes it as a constant, not as a cut graph.
    assert grad(grad(lambda x: 3 * x))(2.0) == 0.0
    assert grad(grad(grad(lambda x: x ** 2)))(2.0) == 0.0  # d3/dx3 x^2
    assert value_and_grad(grad(lambda x: 5 * x))(1.0) == (5.0, 0.0)
    np.testing.assert_array_equal(hessian(lambda x: (x * 3).sum())(np.ones(2)),
                                  np.zeros((2, 2)))
    np.testing.assert_array_equal(jacobian(grad(lambda x: (x * 3).sum()))(np.ones(2)),
                                  np.zeros((2, 2)))
    # ... also when f computes with it (QA round 19: 2 * an inner grad was refused)
    assert grad(lambda x: 2 * grad(lambda y: 3.0 * y)(x))(1.0) == 0.0
    assert grad(lambda x: grad(lambda y: 3.0 * y)(x) + grad(lambda y: 2.0 * y)(x))(1.0) == 0
    np.testing.assert_array_equal(
        jacobian(lambda x: 2 * jacobian(lambda y: y * 3.0)(x))(np.ones(2)), np.zeros((2, 2, 2)))
    assert grad(lambda x: vjp(lambda y: y * 3.0, x)[1](1.0)[0] * 2)(1.0) == 0.0
    assert vjp(lambda x: grad(lambda y: 3.0 * y)(x), 1.0)[1](1.0) == (0.0,)
    # an inner call that returned only nodes does not excuse a cut graph
    with pytest.raises(TypeError, match="grad: the function returned a plain float"):
        grad(lambda x: (grad(lambda y: y ** 2)(x) * x).item())(2.0)
    with pytest.raises(TypeError, match="vjp: the function returned a plain float"):
        vjp(lambda x: (x * x).item(), 3.0)


def test_a_mixed_partial_through_a_closure_is_a_plain_number():
    # d/dx d/dy (x y^2) = 2 y, at x = 2, y = 3
    mixed = grad(lambda x: grad(lambda y: x * y * y)(3.0))(2.0)
    assert isinstance(mixed, float) and mixed == 6.0
    mixed = grad(lambda x: grad(lambda y: (x * y * y).sum())(np.array(3.0)).sum())(
        np.array(2.0))
    assert isinstance(mixed, np.ndarray) and mixed == 6.0


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match=r"scalar.*shape \(2,\)"):
        grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(ValueError, match="argnums"):
        grad(lambda x: x * 2, argnums=1)(1.0)
    with pytest.raises(TypeError, match="cannot differentiate"):
        grad(lambda s: s)(np.array(["a"]))


def test_the_transforms_differentiate_under_no_grad_and_return_plain_results():
    # f's graph is recorded even when the caller is in no_grad() (as torch.func does);
    # the caller's mode decides only whether the backward pass is recorded too.
    f = lambda a: (a * a * a).sum()  # noqa: E731
    x = np.array([1.0, 2.0])
    with no_grad():
        np.testing.assert_array_equal(grad(f)(x), 3 * x**2)
        value, g = value_and_grad(f)(x)
        assert value == 9.0 and isinstance(g, np.ndarray)
        np.testing.assert_array_equal(jacobian(lambda a: a * a)(x), np.diag(2 * x))
        np.testing.assert_array_equal(hessian(f)(x), np.diag(6 * x))
        assert grad(grad(lambda t: t**3))(2.0) == 12.0
        assert not autodiff.is_grad_enabled()
    assert autodiff.is_grad_enabled()


def test_a_graph_the_function_closes_over_stays_usable():
    # grad's own backward runs through it (to reach nothing it needs), so it must not
    # release it, whatever the grad mode.
    w = leaf([1.0, 2.0, 3.0])
    h = w * 2
    np.testing.assert_array_equal(grad(lambda x: (x * h).sum())(np.ones(3)), h.data)
    with no_grad():
        np.testing.assert_array_equal(grad(lambda x: (x * h).sum())(np.ones(3)), h.data)
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])


def test_on_plain_arguments_the_backward_pass_is_not_recorded():
    # The results are plain then, so a recorded backward pass would be thrown away: only
    # f's own forward makes nodes. With a node argument, backward is recorded.
    from autodiff.graph import Tracer, set_tracer

    class Count(Tracer):
        made = 0

        def on_create(self, node, op=None):
            Count.made += 1

    f = lambda a: (a * a).tanh().sum()  # noqa: E731
    previous = set_tracer(Count())
    try:
        jacobian(lambda a: (a * a).tanh())(np.ones(4))
        assert Count.made == 2  # the product and the tanh
        Count.made = 0
        grad(f)(np.ones(4))
        assert Count.made == 3
        Count.made = 0
        g = grad(f)(leaf(np.ones(4)))
        assert Count.made > 3 and isinstance(g, Tensor)
    finally:
        set_tracer(previous)


@pytest.mark.parametrize("returned", [None, "text", [1.0, 2.0], (1.0,)])
def test_jacobian_of_a_function_returning_no_tensor_raises(returned):
    # It used to give zeros, silently: the answer for a constant.
    with pytest.raises(TypeError, match=f"jacobian: the function must return a Tensor.*got "
                                        f"{type(returned).__name__}"):
        jacobian(lambda x: returned)(np.ones(2))


def test_bad_functions_and_argnums_raise_type_error():
    with pytest.raises(TypeError, match="grad: f must be a function, got float 3.0$"):
        grad(3.0)
    with pytest.raises(TypeError, match="jacobian: f must be a function, got NoneType"):
        jacobian(None)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints, got "
                                        "float 0.0"):
        grad(lambda x: x * x, argnums=0.0)(2.0)


def test_errors_name_the_transform_called():
    with pytest.raises(TypeError, match=r"^hessian: the function must return a scalar"):
        hessian(lambda x: x * 2)(np.ones(2))
    with pytest.raises(ValueError, match=r"^hessian: argnums 3 does not fit"):
        hessian(lambda x: (x * x).sum(), argnums=3)(np.ones(2))
    with pytest.raises(TypeError, match=r"^value_and_grad: f must be a function"):
        value_and_grad(3)


def test_a_nested_grad_sees_the_node_the_outer_call_was_given():
    # d/dw of d/dx (w x^2) at x = 3 is 2 x = 6, whether w is given as a number or as a
    # Value (the inner grad used to return a plain number there, so the outer saw 0).
    f = lambda w: grad(lambda x: w * x * x)(3.0)  # noqa: E731
    assert grad(f)(2.0) == 6.0
    result = grad(f)(Value(2.0))
    assert data_of(result) == 6.0
    t = grad(lambda w: grad(lambda x: (w * x * x).sum())(np.ones(2)).sum())(leaf([2.0, 1.0]))
    np.testing.assert_array_equal(data_of(t), [2.0, 2.0])


# -- What the results are (from mutation testing) ----------------------------------------


def test_the_gradient_of_a_sum_is_a_writable_array_of_its_own():
    g = grad(lambda x: x.sum())(np.zeros((2, 3)))
    g[0, 0] = 5.0  # a read-only broadcast view would raise here
    assert g[1, 1] == 1.0 and g.sum() == 10.0


def test_an_inner_grad_independent_of_the_outer_input_is_a_plain_number():
    seen = []

    def f(x):
        inner = grad(lambda y: y ** 2)(3.0)
        seen.append(inner)
        return x * inner

    assert grad(f)(2.0) == 6.0
    assert type(seen[0]) is float


def test_results_are_plain_under_no_grad():
    with no_grad():
        g = grad(lambda x: x ** 3)(Value(2.0))
    assert type(g) is float and g == 12.0


# -- The variable is the argument, not the caller's node (no perturbation confusion) ----


def test_a_node_argument_that_f_also_closes_over_counts_only_through_the_argument():
    # as in JAX and torch.func: d/dy (x + y) is 1 even where y's value is x's node
    f = lambda x: x * grad(lambda y: x + y)(x)  # noqa: E731
    assert grad(f)(1.0) == 1.0
    assert float(grad(f)(np.array(1.0))) == 1.0
    x = Value(3.0)
    assert grad(lambda y: x + y)(x) == 1.0
    t = Tensor([3.0, 4.0], requires_grad=True)
    np.testing.assert_array_equal(np.asarray(grad(lambda y: (t * y).sum())(t).data), [3, 4])
    np.testing.assert_array_equal(np.asarray(jacobian(lambda y: t * y)(t).data),
                                  np.diag([3.0, 4.0]))
    # the result stays joined to the caller's node: d/dt of t * t's gradient in y
    g = grad(lambda y: (t * y).sum())(t)
    g.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0])


def test_jacobian_and_hessian_of_a_value_stay_in_the_callers_graph():
    cube = lambda y: y ** 3  # noqa: E731  (f'' = 6 y)
    assert grad(lambda x: hessian(cube)(x) * x)(2.0) == 24.0  # d/dx 6 x^2 = 12 x
    assert grad(lambda x: jacobian(cube)(x))(2.0) == 12.0
    a = Value(2.0)
    b = a * 3
    j = jacobian(lambda x: x * x)(b)  # 2 b, a node joined to a
    assert isinstance(j, Value) and j.data == 12.0
    j.backward()
    assert a.grad == 6.0


def test_a_number_beside_arrays_is_a_0d_tensor_and_its_gradient_a_number():
    x = np.array([1.0, 2.0, 3.0])
    f = lambda v, s: ((v * s) ** 2).sum()  # noqa: E731
    gv, gs = grad(f, argnums=(0, 1))(x, 2.0)
    np.testing.assert_allclose(gv, 8 * x)
    assert type(gs) is float and gs == 56.0
    assert grad(f, argnums=1)(x, 2.0) == 56.0
    with pytest.raises(TypeError, match="number argument is differentiated as a Value.*"
                                        r"np\.array\(x\)"):
        grad(lambda s: (Tensor(x) * s).exp().sum())(0.5)
    assert float(grad(lambda s: (Tensor(x) * s).sum())(np.array(0.5))) == 6.0


def test_empty_jacobians_and_a_hessian_of_several_arguments():
    assert jacobian(lambda x: x * 2)(np.zeros(0)).shape == (0, 0)
    assert jacobian(lambda x: x[:0])(np.ones(3)).shape == (0, 3)
    assert hessian(lambda x: (x ** 2).sum())(np.zeros(0)).shape == (0, 0)
    with pytest.raises(TypeError, match="hessian: argnums must be one int"):
        hessian(lambda x, y: (x * y).sum(), argnums=(0, 1))


def test_has_aux_returns_what_else_f_computed():
    def loss(w, x):
        predictions = x @ w
        return ((predictions - 1.0) ** 2).mean(), {"predictions": predictions}

    w, x = np.array([0.5, -0.5]), np.array([[1.0, 2.0], [3.0, 4.0]])
    g, aux = grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(g, grad(lambda w_, x_: loss(w_, x_)[0])(w, x))
    np.testing.assert_allclose(np.asarray(aux["predictions"].data), x @ w)
    (value, aux2), g2 = value_and_grad(loss, has_aux=True)(w, x)
    assert value == pytest.approx(((x @ w - 1) ** 2).mean()) and "predictions" in aux2
    np.testing.assert_allclose(g2, g)
    assert grad(lambda v: (v * v, "note"), has_aux=True)(3.0) == (6.0, "note")
    with pytest.raises(TypeError, match=r"has_aux=True, f must return a pair \(scalar, "
                                        r"aux\), got Tensor"):
        grad(lambda v: (v * v).sum(), has_aux=True)(w)
    with pytest.raises(TypeError, match="^grad: has_aux must be True or False"):
        grad(lambda v: v, has_aux="yes")


def test_vjp_is_v_transposed_times_the_jacobian():
    rng = np.random.default_rng(0)
    x, w, v = rng.random((3, 2)), rng.random((2, 4)), rng.random((3, 4))
    f = lambda x_, w_: (x_ @ w_).tanh()  # noqa: E731
    out, vjp_fn = autodiff.vjp(f, x, w)
    np.testing.assert_allclose(out, np.tanh(x @ w))
    jx, jw = jacobian(f, argnums=(0, 1))(x, w)
    gx, gw = vjp_fn(v)
    np.testing.assert_allclose(gx, np.tensordot(v, jx, axes=2))
    np.testing.assert_allclose(gw, np.tensordot(v, jw, axes=2))
    np.testing.assert_allclose(vjp_fn(2 * v)[0], 2 * gx)  # one backward per call
    with pytest.raises(ValueError, match=r"vjp: v has shape \(3,\) but f's output has "
                                         r"shape \(3, 4\)"):
        vjp_fn(np.ones(3))
    value, fn = autodiff.vjp(lambda a: a.exp(), 1.0)  # a number: a Value, and numbers back
    assert value == pytest.approx(math.e) and fn(2.0) == (pytest.approx(2 * math.e),)
    with pytest.raises(TypeError, match="vjp: give f's arguments"):
        autodiff.vjp(lambda a: a)
    with pytest.raises(TypeError, match="vjp: f must return a Value or a Tensor, got str"):
        autodiff.vjp(lambda a: "no", 1.0)
    # inside grad it stays differentiable: d/dx of (v d(x y)/dy) at v = 1 is 1
    assert grad(lambda s: autodiff.vjp(lambda y: s * y, 2.0)[1](1.0)[0])(3.0) == 1.0


@pytest.mark.parametrize("v, dtype", [(np.array([1, None], object), "object"),
                                      (np.array([1j, 1.0]), "complex128"), ("ab", "<U2")])
def test_vjp_refuses_a_cotangent_that_is_not_real_numbers(v, dtype):
    # None became a nan gradient and a complex v lost its imaginary part, silently
    _, vjp_fn = autodiff.vjp(lambda x: x * 2.0, np.ones(2))
    with pytest.raises(TypeError, match=f"^vjp: v must be real numbers, got .* of dtype {dtype}"):
        vjp_fn(v)
    np.testing.assert_array_equal(vjp_fn(np.array([1, 2]))[0], [2.0, 4.0])


def test_vjp_keeps_a_node_cotangent_and_jacobian_takes_a_leaf_value_as_a_tensor():
    # d/dv of v * d(y^2)/dy at y = 2 is 4; d/dx of x * 2x at x = 2 is 4x = 8
    assert grad(lambda v: autodiff.vjp(lambda y: y * y, 2.0)[1](v)[0])(1.0) == 4.0
    assert grad(lambda x: autodiff.vjp(lambda y: y * y, x)[1](x)[0])(2.0) == 8.0
    c = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(jacobian(lambda x: x * c)(Value(2.0)), [1.0, 2.0])


def test_the_mixing_hint_comes_whichever_side_the_tensor_is_on():
    x = Tensor([1.0, 2.0])
    for f in (lambda s: (x * s).sum(), lambda s: (s * x).sum(), lambda s: (s.exp() + x).sum()):
        with pytest.raises(TypeError, match=r"pass it as np\.array\(x\)"):
            grad(f)(0.5)


def test_grad_runs_only_the_paths_to_its_argument():
    # f closes over a graph that an earlier backward freed: the paths to x do not pass
    # through it, so grad needs none of its buffers (and spends no time on them)
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    h = (w * 3).exp().log()  # a graph of its own
    h.sum().backward()  # frees it
    g = grad(lambda x: (x * h).sum())(np.ones((2, 2)))
    np.testing.assert_allclose(g, np.full((2, 2), 3.0))
    calls = []

    class Counted(autodiff.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g_out):
            calls.append(1)
            return 2 * g_out

    side = Counted.apply(Tensor(np.ones(2), requires_grad=True))  # off the path to x
    assert float(grad(lambda x: (x * x).sum() + side.sum())(np.array(1.0))) == 2.0
    assert calls == []


LABELS = np.array([2, 0])
WEIGHTS_23 = np.array([[1.0, -2.0, 0.5], [0.3, 2.0, 1.0]])


# Second derivatives through the ops the Hessian tests above do not reach: each gradient
# rule must record its dependence on every input (and on the incoming gradient, which
# depends on x when the loss is not the last op).
@pytest.mark.parametrize("f", [
    lambda v: autodiff.linear(v[:6].reshape(2, 3), v[6:12].reshape(2, 3), v[12:14]).tanh().sum(),
    lambda v: (v[:6].reshape(2, 3).log_softmax(axis=1) * WEIGHTS_23).sum(),
    lambda v: autodiff.nll_loss(v[:6].reshape(2, 3).log_softmax(axis=1), LABELS) ** 2,
    lambda v: autodiff.cross_entropy(v[:6].reshape(2, 3), LABELS) ** 2,
], ids=["linear-tanh", "log_softmax", "nll-squared", "cross_entropy-squared"])
def test_hessians_through_linear_log_softmax_and_the_losses_match_finite_differences(f, rng):
    # kills L06, L07 (linear's dx, dw with the other input as a constant), S15
    # (log_softmax's rule with exp(out) as a constant), NL4 and CE5 (the losses' rules
    # with the incoming gradient as a constant)
    x0 = rng.uniform(-1, 1, 14)
    _assert_hessian_is_finite_differences_of_the_gradient(f, x0)


def test_the_hessian_of_a_function_of_a_gradient_through_repeated_indices():
    # kills I04 (ScatterAdd's rule, the derivative of getitem's rule, with g as a
    # constant): f's gradient is a scatter-add, h squares it, so h's Hessian
    # differentiates ScatterAdd's rule with a g that depends on x
    def f(s):
        return (s[np.array([0, 0, 2])] ** 3).sum()  # 2 s0^3 + s2^3

    def h(s):
        return (grad(f)(s) ** 2).sum()  # (6 s0^2)^2 + (3 s2^2)^2 = 36 s0^4 + 9 s2^4

    x0 = np.array([1.5, -0.5, 2.0])
    np.testing.assert_allclose(hessian(h)(x0), np.diag([432 * 1.5**2, 0.0, 108 * 2.0**2]),
                               rtol=1e-12)


def test_a_function_returning_an_outside_graph_leaves_that_graph_usable():
    # kills G17 (no early return when the root reaches none of the inputs): the root,
    # a graph f closes over, must not stay marked, or its own backward later does nothing
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = (w * 2).sum()
    np.testing.assert_array_equal(grad(lambda x: h)(np.ones(3)), np.zeros(3))
    h.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])
    a = Value(2.0)
    v = a * 3
    assert grad(lambda x: v)(1.0) == 0.0
    v.backward()
    assert a.grad == 3.0


def test_argnums_may_not_be_a_bool_or_empty():
    # kills F01 (True, an int to Python, taken as argnums=1), F02 (() accepted: no
    # gradient at all), F37 (hessian's own bool check: the message says "one int")
    f = lambda x, y: x * y * y  # noqa: E731
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints, got "
                                        "bool True"):
        grad(f, argnums=True)(1.0, 2.0)
    with pytest.raises(ValueError, match="grad: argnums is empty"):
        grad(f, argnums=())(1.0, 2.0)
    with pytest.raises(TypeError, match="hessian: argnums must be one int"):
        hessian(lambda x: x * x, argnums=True)


def test_an_argument_named_twice_in_argnums_is_refused():
    # it gave (0.0, 9.0) for x * y ** 2 at (2, 3): the second variable for x cut the
    # first off its graph (torch.func refuses repeats too); -2 and 0 are the same here
    f = lambda x, y: x * y ** 2  # noqa: E731
    for transform, argnums, args in [
        (grad, (0, 0), (2.0, 3.0)),
        (value_and_grad, (1, -1), (2.0, 3.0)),
        (jacobian, (0, -2), (np.array([2.0]), np.array([3.0]))),
    ]:
        with pytest.raises(ValueError, match=r"argnums \(.*\) names an argument twice"):
            transform(f, argnums=argnums)(*args)


def test_argnums_as_a_one_element_tuple_gives_a_one_element_tuple():
    # kills F28 (a tuple of one gave the gradient itself, as for an int)
    f = lambda x, y: x * y * y  # noqa: E731
    assert grad(f, argnums=(0,))(1.0, 2.0) == (4.0,)
    g = grad(f, argnums=[1])(1.0, 2.0)
    assert isinstance(g, tuple) and g == (4.0,)


def test_has_aux_needs_exactly_a_pair():
    # kills F23 (any tuple accepted: a triple failed with a bare unpacking ValueError)
    with pytest.raises(TypeError, match=r"has_aux=True, f must return a pair \(scalar, "
                                        r"aux\), got tuple"):
        grad(lambda v: (v * v, "a", "b"), has_aux=True)(3.0)


def test_value_and_grad_of_a_node_returns_the_value_as_a_node():
    # kills F27 (the value was always plain, cut off the caller's graph)
    x = Value(2.0, label="x")
    value, g = value_and_grad(lambda a: a * a * a)(x)
    assert isinstance(value, Value) and value.data == 8.0
    assert isinstance(g, Value) and g.data == 12.0
    value.backward()  # the value stays differentiable: d(x^3)/dx
    assert x.grad == 12.0


def test_jacobian_independent_of_a_node_argument_is_a_plain_array():
    # kills F36 (a Jacobian that depends on no outside node came back as a Tensor), as
    # grad's test_an_inner_grad_independent_of_the_outer_input_is_a_plain_number does
    J = jacobian(lambda a: a * 2.0)(leaf([1.0, 2.0]))
    assert type(J) is np.ndarray
    np.testing.assert_array_equal(J, 2 * np.eye(2))
    J = jacobian(lambda a: a * a)(leaf([1.0, 2.0]))  # depends on it: a node
    assert isinstance(J, Tensor)


def test_vjp_results_are_nodes_only_when_they_depend_on_a_node_argument():
    # kills F43 (a vector-Jacobian product independent of the primal node came back as
    # a Tensor) and F44 (f's value was always plain, cut off the caller's graph)
    x = leaf([1.0, 2.0])
    out, fn = autodiff.vjp(lambda a: a * a, x)
    assert isinstance(out, Tensor) and out.requires_grad
    (g,) = fn(np.ones(2))
    assert isinstance(g, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    out, fn = autodiff.vjp(lambda a: a * 3.0, x)
    (g,) = fn(np.ones(2))
    assert type(g) is np.ndarray
    np.testing.assert_array_equal(g, [3.0, 3.0])


def test_under_no_grad_a_tensor_argument_is_differentiated_and_results_are_plain():
    # kills F06 (a node argument joined to the caller's graph by an op under no_grad:
    # the op records nothing, so f did not depend on the variable) and F20 (the backward
    # pass recorded under no_grad: results that depend on a node argument not
    # differentiated came back as nodes)
    x = leaf([1.0, 2.0])
    with autodiff.no_grad():
        g = grad(lambda a: (a * a).sum())(x)
        assert type(g) is np.ndarray
        np.testing.assert_array_equal(g, [2.0, 4.0])
        g = grad(lambda a, w: a * w * a)(2.0, Value(3.0))
        assert type(g) is float and g == 12.0


def test_the_zero_gradient_of_an_unused_value_argument_is_a_number():
    # kills F13 (a 0-d array for a Value's zero gradient)
    g = grad(lambda a, b: a * 3.0, argnums=1)(Value(1.0), Value(2.0))
    assert type(g) is float and g == 0.0


def test_jacobian_of_a_graph_value_beside_an_array_is_refused_not_cut_off():
    # kills F31 (one graph Value among the arguments sent the call down the Value path,
    # which needs a scalar output). Made a 0-d Tensor, the Value left its graph: plain
    # Jacobians, and inside grad a derivative of 12 for 24 (QA round 21)
    x = Value(2.0) * 1.0  # a Value of a graph
    with pytest.raises(TypeError, match="argument 0 is a Value of a graph .* beside arrays"):
        jacobian(lambda a, b: a * b, argnums=(0, 1))(x, np.array([1.0, 2.0]))
    b = np.array([1.0, 2.0])

    def outer(x):  # x * d/da sum(a^2 b) = x * 2 x sum(b) = 6 x^2
        return x * jacobian(lambda a, bb: (a * a * bb).sum(), argnums=(0, 1))(x, b)[0]

    with pytest.raises(TypeError, match="grad\\(g\\)\\(np.array\\(x\\)\\)"):
        grad(outer)(2.0)
    assert float(grad(outer)(np.array(2.0))) == 24.0  # (as arrays throughout)
    ja, jb = jacobian(lambda a, b: a * b, argnums=(0, 1))(np.array(2.0), b)
    np.testing.assert_array_equal(ja, [1.0, 2.0])
    np.testing.assert_array_equal(jb, 2.0 * np.eye(2))


def test_hessian_by_a_number_beside_a_graph_value_stays_in_its_graph():
    # the number became a 0-d Tensor beside the Value: "cannot combine a Value with a
    # Tensor" (QA round 21); d/dx of d2/dc2 (x^3 c^2) = 6 x^2 at 1.5, as torch.func
    def f(a, c):
        return a ** 3 * c ** 2

    assert grad(lambda x: hessian(f, argnums=1)(x, 2.0))(1.5) == pytest.approx(13.5)
    h = hessian(f, argnums=1)(Value(1.5) * 1.0, 2.0)
    assert isinstance(h, Value) and h.data == pytest.approx(6.75)


def test_jacobian_of_a_number_beside_an_enclosing_grads_value_it_does_not_differentiate():
    # f combines the number with Tensors (a vector of it): a 0-d Tensor, as before; it
    # was made a Value because the other argument is one (QA round 22)
    def outer(v):
        jac = jacobian(lambda c, w: c * Tensor(np.array([1.0, 2.0])) * 2.0)(2.0, v)
        return v * jac.sum()  # d/dv = 6

    assert grad(outer)(3.0) == pytest.approx(6.0)
    # and where f combines the number with that Value, it is a Value (hessian inside grad)
    assert grad(lambda x: hessian(lambda a, c: a ** 3 * c ** 2, argnums=1)(x, 2.0))(1.5) \
        == pytest.approx(13.5)


def test_errors_for_arguments_outside_argnums_and_arrays_of_values_say_so():
    a0, b0 = np.array([0.3, 0.5]), np.array([1.0, 2.0])
    with pytest.raises(AttributeError, match="argument 0 is a plain ndarray: pass it as "
                                             "Tensor"):
        grad(lambda a, b: (a.exp() * b).sum(), argnums=1)(a0, b0)
    with pytest.raises(AttributeError, match="^'numpy.ndarray' object has no attribute "
                                             "'nope'$"):  # (no method of a Tensor either)
        grad(lambda a, b: (a.nope() * b).sum(), argnums=1)(a0, b0)
    with pytest.raises(TypeError, match="does not use the variable is a constant"):
        grad(lambda a, b: (a * 2).sum(), argnums=1)(a0, b0)
    # a Value times an array is an array of Values, not "a plain ndarray"
    with pytest.raises(TypeError, match="returned a NumPy array of Values"):
        grad(lambda x: jacobian(lambda a: a * b0)(x).sum())(2.0)
    # said once, not wrapped again by the enclosing call
    with pytest.raises(TypeError) as raised:
        grad(lambda x: autodiff.vjp(lambda a: a * Tensor(b0), x)[1](np.ones(2))[0])(2.0)
    assert str(raised.value).count("differentiated as a Value") == 1


def test_vjp_fn_called_under_no_grad_with_a_node_cotangent_gives_plain_results():
    # kills F41 (a node cotangent was kept as a node under no_grad too: the products
    # came back as nodes of a graph recorded there)
    out, fn = autodiff.vjp(lambda a: a * a, np.array([1.0, 2.0]))
    with autodiff.no_grad():
        (g,) = fn(Tensor(np.ones(2), requires_grad=True))
    assert type(g) is np.ndarray
    np.testing.assert_array_equal(g, [2.0, 4.0])
    out, fn = autodiff.vjp(lambda a: a * a, 3.0)
    with autodiff.no_grad():
        assert fn(Value(1.0)) == (6.0,) and type(fn(Value(1.0))[0]) is float


def test_jacobian_of_a_graph_value_beside_a_number_stays_in_the_graph():
    # the number made the call take the Tensor path, which cut the Value off the
    # enclosing grad's graph: "must return a scalar, got ndarray"
    def d_da(s):
        return jacobian(lambda a, b: a * a * b, argnums=(0, 1))(s, 3.0)[0]  # 2 a b

    def d_db(s):
        return jacobian(lambda a, b: a * a * b, argnums=(0, 1))(s, 3.0)[1]  # a^2

    assert grad(d_da)(2.0) == pytest.approx(6.0)
    assert grad(d_db)(2.0) == pytest.approx(4.0)


def test_gradients_returns_the_gradients_and_leaves_every_grad_as_it_was():
    # PyTorch's torch.autograd.grad: nothing is added to .grad (a gradient penalty
    # taken with backward(create_graph=True) would add to every parameter's)
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    x = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = (w * x).sum() ** 2  # 2 (w . x) w, 2 (w . x) x
    dw, dx = autodiff.gradients(out, [w, x], retain_graph=True)
    np.testing.assert_allclose(dw, 2 * -5.0 * x.data)
    np.testing.assert_allclose(dx, 2 * -5.0 * w.data)
    assert w.grad is None and x.grad is None and out.grad is None
    (only,) = autodiff.gradients(out, x)  # one node: a tuple of one, as in PyTorch
    np.testing.assert_allclose(only, dx)
    a, b = Value(2.0), Value(3.0)
    assert autodiff.gradients(a * b + a, (a, b)) == (4.0, 2.0) and a.grad == 0.0


def test_gradients_takes_pytorchs_grad_outputs():
    # torch.autograd.grad's name for the output's gradient (QA round 27: an unexpected
    # keyword argument before)
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = w * w
    (by_name,) = autodiff.gradients(y, w, grad_outputs=np.array([1.0, 10.0]),
                                    retain_graph=True)
    np.testing.assert_array_equal(by_name, [2.0, -40.0])
    (as_a_list,) = autodiff.gradients(y, w, grad_outputs=[np.array([1.0, 10.0])],
                                      retain_graph=True)  # (PyTorch's: one per output)
    np.testing.assert_array_equal(as_a_list, [2.0, -40.0])
    (both_lists,) = autodiff.gradients([y], [w], grad_outputs=[np.array([1.0, 10.0])],
                                       retain_graph=True)  # (QA round 30: "got list")
    np.testing.assert_array_equal(both_lists, [2.0, -40.0])
    with pytest.raises(TypeError, match=r"^gradients: takes one output, got a list of 2; "
                                        r"for several, differentiate one sum of them"):
        autodiff.gradients([y, y], [w])
    with pytest.raises(TypeError, match="the list of outputs is empty"):
        autodiff.gradients([], [w])
    # QA round 31: torch's positional grad_outputs with a list of outputs; a number or
    # None for a one-element output; a Value seed for create_graph
    (positional,) = autodiff.gradients([y], [w], [np.array([1.0, 10.0])], retain_graph=True)
    np.testing.assert_array_equal(positional, [2.0, -40.0])
    total = (w * w).sum()
    (by_number,) = autodiff.gradients([total], w, grad_outputs=[3.0], retain_graph=True)
    (by_none,) = autodiff.gradients([total], w, grad_outputs=[None])
    np.testing.assert_array_equal(by_number, [6.0, -12.0])
    np.testing.assert_array_equal(by_none, [2.0, -4.0])
    first = (w * w)[:1]  # (shape (1,): [3.0] is its gradient as a list)
    np.testing.assert_array_equal(autodiff.gradients(first, w, grad_outputs=[3.0])[0],
                                  [6.0, 0.0])
    v = Value(3.0)
    (dv,) = autodiff.gradients([v * v], [v], grad_outputs=[Value(2.0)], create_graph=True)
    assert isinstance(dv, Value) and dv.data == 12.0
    with pytest.raises(TypeError, match="give gradient or PyTorch's grad_outputs, not both"):
        autodiff.gradients(y, w, np.ones(2), grad_outputs=np.ones(2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_of_a_0d_tensor_is_an_array_of_its_dtype_as_its_grad_is(dtype):
    # x * x on 0-d arrays gives a NumPy scalar, which was returned as it was
    x = Tensor(np.array(3.0, dtype=dtype), requires_grad=True)
    (g,) = autodiff.gradients(x * x, x)
    assert type(g) is np.ndarray and g.shape == () and g.dtype == dtype and g == 6.0
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == dtype


def test_gradients_with_create_graph_is_a_gradient_penalty():
    # the WGAN-GP pattern: the norm of d critic / d input, differentiated again with
    # respect to the critic's weights, against the hand-derived value
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    critic = (x @ w).tanh().sum()
    (dx,) = autodiff.gradients(critic, x, create_graph=True)
    assert isinstance(dx, Tensor) and dx.requires_grad and w.grad is None
    penalty = ((dx ** 2).sum(axis=1) - 1.0) ** 2
    penalty.sum().backward()
    # dx[i] = (1 - t_i^2) w with t = tanh(x w): penalty_i = ((1 - t_i^2)^2 |w|^2 - 1)^2

    def total(v):
        t = np.tanh(x.data @ v)
        return (((1 - t ** 2) ** 2 * (v @ v) - 1) ** 2).sum()

    numeric = np.array([(total(w.data + e) - total(w.data - e)) / 2e-6
                        for e in np.eye(3) * 1e-6])
    np.testing.assert_allclose(w.grad, numeric, rtol=1e-6)


def test_gradients_refuses_what_it_cannot_differentiate_before_freeing_anything():
    x = Tensor(np.ones(3), requires_grad=True)
    unused = Tensor(np.ones(3), requires_grad=True)
    out = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="input 1 is not used to compute the output"):
        autodiff.gradients(out, [x, unused])
    dx, none = autodiff.gradients(out, [x, unused], allow_unused=True)  # graph intact
    np.testing.assert_array_equal(dx, [2.0, 2.0, 2.0])
    assert none is None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        autodiff.gradients(out, x)  # the call before freed the buffers, as backward does
    with pytest.raises(RuntimeError, match="gradients: gradient can be omitted only"):
        autodiff.gradients(x * 2.0, x)
    with pytest.raises(TypeError, match="output must be a Value or a Tensor, got function"):
        autodiff.gradients(lambda t: t, x)
    with pytest.raises(TypeError, match=r"input 0 is a ndarray, not a Value or a Tensor"):
        autodiff.gradients(out, [np.ones(3)])


def test_gradients_of_a_value_takes_one_value_a_gradient_and_create_graph():
    # kills mut6-F13 (only a Tensor taken as a single input: a Value was iterated),
    # mut6-F08 (a Value output's gradient= ignored) and mut6-F10 (a Value output's graph
    # freed by the first call, though a Value's graph is always kept, as by
    # Value.backward)
    a, b = Value(2.0), Value(3.0)
    out = a * a * b  # d/da = 2ab = 12, d/db = a^2 = 4
    assert autodiff.gradients(out, a) == (12.0,)
    assert autodiff.gradients(out, [a, b], gradient=0.5) == (6.0, 2.0)
    (da,) = autodiff.gradients(out, a, create_graph=True)
    assert isinstance(da, Value) and da.data == 12.0
    assert autodiff.gradients(da, [a, b]) == (6.0, 4.0)  # d(2ab)/da = 2b, /db = 2a
    assert a.grad == 0.0 and b.grad == 0.0


def test_gradients_of_a_value_keeps_a_value_gradient_in_its_graph():
    # with create_graph, a Value given as gradient= was taken as its number, so the
    # gradients did not depend on it: d/dv came out None (or "input 0 is not used")
    a, v = Value(2.0), Value(3.0)
    (g,) = autodiff.gradients(a * a, a, gradient=v, create_graph=True)  # 2 a v
    assert isinstance(g, Value) and g.data == 12.0 and g is not v
    assert autodiff.gradients(g, [v, a]) == (4.0, 6.0)  # as torch.autograd.grad
    (plain,) = autodiff.gradients(a * a, a, gradient=v)  # without: a number
    assert plain == 12.0 and isinstance(plain, float)


def test_gradients_refuses_no_inputs_and_an_input_without_a_gradient():
    # kills mut6-F06 (an empty list of inputs accepted) and mut6-F03 (a constant taken
    # as part of the graph: it requires no grad, so it has no gradient to give)
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.full(3, 2.0))
    out = (x * c).sum()
    with pytest.raises(TypeError, match="gradients: inputs is empty"):
        autodiff.gradients(out, [])
    for allow_unused in (False, True):  # as in PyTorch, either way
        with pytest.raises(RuntimeError, match="input 1 does not require grad"):
            autodiff.gradients(out, [x, c], allow_unused=allow_unused)
    (dx,) = autodiff.gradients(out, [x])
    np.testing.assert_array_equal(dx, [2.0, 2.0, 2.0])


def test_gradients_errors_about_the_output_are_named_gradients():
    # kills mut6-T38, mut6-T39 (the output's checks, shared with Tensor.backward, named
    # backward in gradients' errors)
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="^gradients: this tensor does not require grad"):
        autodiff.gradients(Tensor(np.ones(3)).sum(), x)
    with pytest.raises(ValueError, match=r"^gradients: gradient has shape \(3,\) but the "
                                         r"tensor has shape \(\)"):
        autodiff.gradients((x * 2.0).sum(), x, gradient=np.ones(3))
    with pytest.raises(ValueError, match=r"^backward: gradient has shape \(3,\)"):
        (x * 2.0).sum().backward(gradient=np.ones(3))


def test_gradients_walks_a_node_used_many_times_once():
    # kills mut6-F04 (the check of which inputs are used visited a node once per path:
    # 2^60 paths here, as in 60 residual blocks, y = f(y) + y). In a thread, so that
    # such a walk fails the test instead of hanging it
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(60):
        y = y * 0.5 + y * 0.5  # y again, through two paths
    results = []
    worker = threading.Thread(target=lambda: results.append(
        autodiff.gradients(y.sum(), x)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert results, "gradients() did not return within 20 s"
    np.testing.assert_allclose(results[0][0], [1.0])



def test_gradients_of_an_input_computed_from_another_are_whole():
    # backward stopped at every input, so the path from z to x through y was lost:
    # (x^2 + ...) gave d/dx of the explicit use only, and x got None behind h
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    dx, dy = autodiff.gradients((y * x).sum(), [x, y])  # z = sum(x^3), with y = x^2
    np.testing.assert_allclose(dx, 3 * x.data ** 2)
    np.testing.assert_allclose(dy, x.data)
    h = x * 3.0
    dx, dh = autodiff.gradients((h ** 2).sum(), [x, h])
    np.testing.assert_allclose(dx, 18 * x.data)
    np.testing.assert_allclose(dh, 6 * x.data)
    a = Value(2.0)
    b = a * a
    assert autodiff.gradients(b * a, [a, b]) == (12.0, 2.0)
    t = Tensor(np.array([0.5]), requires_grad=True)
    e = t.exp()
    dt, _ = autodiff.gradients((e * t).sum(), [t, e], create_graph=True)
    np.testing.assert_allclose(dt.data, 1.5 * np.exp(0.5))  # (x + 1) e^x


def test_gradients_names_an_input_that_does_not_require_grad_and_a_bad_value_gradient():
    x = Tensor(np.ones(2), requires_grad=True)
    frozen = Tensor(np.ones(2), requires_grad=True).requires_grad_(False)
    out = (x * frozen).sum()
    for allow_unused in (False, True):  # PyTorch refuses it either way
        with pytest.raises(RuntimeError, match="input 1 does not require grad"):
            autodiff.gradients(out, [x, frozen], allow_unused=allow_unused)
    a = Value(2.0)
    with pytest.raises(TypeError, match=r"gradient must be one real number, got list"):
        autodiff.gradients(a * a, a, gradient=[1.0, 2.0])
    assert autodiff.gradients(a * a, a, gradient=np.array([2.0])) == (8.0,)


def test_hessian_by_a_later_argument_differentiates_by_it_twice():
    # d2/dy2 of x y^2 is 2x = 4 at (2, 3); the mixed partial d2/dxdy would be 2y = 6
    assert hessian(lambda x, y: x * y**2, argnums=1)(2.0, 3.0) == pytest.approx(4.0)
    A = np.array([[1.0, 2.0], [0.5, -1.0]])
    H = hessian(lambda x, y: y @ A @ y + (x * y).sum(), argnums=1)(np.ones(2), np.zeros(2))
    np.testing.assert_allclose(H, A + A.T)


def test_a_cut_graph_beside_an_unrelated_inner_call_is_still_refused():
    # Any plain inner result excused a plain output (QA round 20): an inner grad at a
    # fixed point, or a plain aux, let .item() give zeros again. Only a derivative
    # with respect to a node the inner call was given counts as a constant.
    def h(y):
        return (y * y).sum()

    def at_a_fixed_point(x):
        return ((x - grad(h)(np.ones(2))) ** 2).sum().item()

    def plain_aux(x):
        value, _ = value_and_grad(lambda y: ((y * x).sum(), 3.0), has_aux=True)(np.ones(2))
        return float(value[0])

    for f in (at_a_fixed_point, plain_aux):
        with pytest.raises(TypeError, match="grad: the function returned a plain float"):
            grad(f)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="vjp: the function returned a plain float"):
        vjp(at_a_fixed_point, np.array([1.0, 2.0]))


def test_second_derivatives_of_norm_and_std_where_they_are_zero_are_zero_as_abs():
    # Their first derivatives there are 0/0, taken as 0; the second ones were those of
    # x / 1 (an identity matrix for the norm, (I - 1/n) / n for std), where abs, the
    # norm of one element, has 0
    assert hessian(lambda x: x.norm())(np.zeros(1)).tolist() == [[0.0]]
    assert hessian(lambda x: x.abs().sum())(np.zeros(1)).tolist() == [[0.0]]
    np.testing.assert_array_equal(hessian(lambda x: x.norm())(np.zeros(3)), np.zeros((3, 3)))
    np.testing.assert_array_equal(hessian(lambda x: x.std())(np.ones(3)), np.zeros((3, 3)))
    # a slice at zero leaves the others' second derivatives as they were
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, -2.0]])
    h = hessian(lambda x: x.norm(axis=1).sum())(x).reshape(6, 6)
    np.testing.assert_array_equal(h[:3], np.zeros((3, 6)))
    np.testing.assert_allclose(h[3:, 3:], (9 * np.eye(3) - np.outer(x[1], x[1])) / 27)
    y = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    h = hessian(lambda y: y.std(axis=1).sum())(y).reshape(6, 6)
    np.testing.assert_array_equal(h[:3], np.zeros((3, 6)))
    np.testing.assert_allclose(h[3:, 3:], hessian(lambda r: r.std())(y[1]))
