"""The Rust series' hand-written backprop (nn.reference.rust_series) against autograd and
central finite differences, float64."""

from __future__ import annotations

import numpy as np
import pytest

from nn.reference import _autograd as ag
from nn.reference import compare_gradients, rust_series

EXACT = 1e-10  # hand-written vs autograd
FD_TOL = 1e-6  # either vs central differences


def numeric_gradients(net, x, y, fd):
    """Central differences of the article's cost for every parameter and the input."""

    def cost():
        al, _ = net.forward(x)
        return net.cost(al, y)

    out = {}
    for l in range(1, net.num_of_layers + 1):
        out[f"W{l}"] = fd(cost, net.parameters[f"W{l}"])
        out[f"b{l}"] = fd(cost, net.parameters[f"b{l}"])
    out["X"] = fd(cost, x)
    return out


@pytest.mark.parametrize(
    "layer_dims,m,seed",
    [
        ([2, 5, 4, 1], 40, 0),
        ([3, 6, 1], 7, 1),
        ([4, 3, 3, 2, 1], 16, 2),
        ([2, 1], 5, 3),
    ],
)
def test_every_gradient_matches_autograd(layer_dims, m, seed, reldiff):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(layer_dims[0], m))
    y = (rng.random((1, m)) > 0.5).astype(np.float64)
    net = rust_series.DeepNeuralNetwork(layer_dims, seed=seed)
    hand = net.hand_gradients(x, y)
    _, auto = ag.gradients(net.column_spec(), x, y)
    assert set(hand) == set(auto)
    for name in auto:
        assert hand[name].shape == auto[name].shape, name
        assert reldiff(hand[name], auto[name]) <= EXACT, name
        assert np.linalg.norm(auto[name]) > 0, name  # a real comparison, not 0 == 0


def test_every_gradient_matches_finite_differences(fd, reldiff):
    net, x, y = rust_series.example(seed=4, m=12)
    hand = net.hand_gradients(x, y)
    num = numeric_gradients(net, x, y, fd)
    for name in num:
        assert reldiff(hand[name], num[name]) <= FD_TOL, name


def test_linear_backward_shapes_and_factors(reldiff):
    rng = np.random.default_rng(5)
    a_prev, w, b = rng.normal(size=(3, 8)), rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
    z, cache = rust_series.linear_forward(a_prev, w, b)
    dz = rng.normal(size=z.shape)
    da_prev, dw, db = rust_series.linear_backward(dz, cache)
    assert da_prev.shape == a_prev.shape and dw.shape == w.shape and db.shape == b.shape
    # d/dW of mean_j <dz_j, z_j> is dW; of sum_j it is dA_prev (no 1/m there).
    import autodiff

    A = autodiff.Tensor(a_prev.copy(), requires_grad=True)
    W = autodiff.Tensor(w.copy(), requires_grad=True)
    B = autodiff.Tensor(b.copy(), requires_grad=True)
    ((W @ A + B) * autodiff.Tensor(dz)).sum().backward()
    m = a_prev.shape[1]
    assert reldiff(dw, W.grad / m) <= EXACT
    assert reldiff(db, B.grad / m) <= EXACT
    assert reldiff(da_prev, A.grad) <= EXACT


def test_summed_loss_convention_for_dA(reldiff):
    """dA0 = W1^T dZ1 is m times the cost's input gradient: a convention, kept as is."""
    net, x, y = rust_series.example(seed=6, m=9)
    al, caches = net.forward(x)
    grads = net.backward(al, y, caches)
    _, auto = ag.gradients(net.column_spec(), x, y)
    assert reldiff(grads["dA0"], x.shape[1] * auto["X"]) <= EXACT
    assert reldiff(grads["dA0"], auto["X"]) > 0.5  # so it is *not* the cost's gradient


def test_cost_is_binary_cross_entropy_for_one_output(reldiff):
    net, x, y = rust_series.example(seed=7, m=11)
    al, _ = net.forward(x)
    spec = net.column_spec()
    value, _ = ag.gradients(spec, x, y)
    assert abs(net.cost(al, y) - value) <= EXACT * abs(value)
    assert abs(rust_series.cost(al, y) - rust_series.cost_elementwise(al, y)) <= 1e-12


def test_cost_dot_form_only_fits_one_output_row():
    """With two output rows the article's dot products pair every row with every row,
    so the dot-form cost stops being the cross-entropy; the article only uses one row."""
    rng = np.random.default_rng(8)
    al = rng.uniform(0.1, 0.9, size=(2, 6))
    y = (rng.random((2, 6)) > 0.5).astype(np.float64)
    assert abs(rust_series.cost(al, y) - rust_series.cost_elementwise(al, y)) > 1e-2


def test_n_steps_of_hand_updates_match_autograd_sgd(reldiff):
    steps, lr = 25, 0.3
    net, x, y = rust_series.example(seed=9, m=20)
    spec = net.column_spec()
    costs = net.fit(x, y, steps, learning_rate=lr)
    for _ in range(steps):
        spec = ag.sgd_step(spec, x, y, lr)
    end = net.column_spec()
    for l in range(len(spec)):
        assert reldiff(end.weights[l], spec.weights[l]) <= EXACT
        assert reldiff(end.biases[l], spec.biases[l]) <= EXACT
    assert costs[-1] < costs[0]
    assert reldiff(end.weights[0], rust_series.example(seed=9, m=20)[0].parameters["W1"]) > 1e-3


def test_training_learns_the_small_data_set():
    net, x, y = rust_series.example(seed=0)
    costs = net.fit(x, y, 400)
    assert costs[-1] < 0.5 * costs[0]
    assert np.mean(net.predict(x) == y) >= 0.9


def test_compare_gradients_table_is_all_ok():
    net, x, y = rust_series.example(seed=1)
    table = compare_gradients(net, x, y)
    assert table.ok
    assert [r.parameter for r in table] == ["W1", "b1", "W2", "b2", "W3", "b3", "X"]
