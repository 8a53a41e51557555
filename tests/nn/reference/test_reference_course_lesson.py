"""The course lesson's hand-written backprop (nn.reference.course_lesson) against autograd
and central finite differences, float64; training on iris."""

from __future__ import annotations

import numpy as np
import pytest

from nn.reference import _autograd as ag
from nn.reference import compare_gradients, layout
from nn.reference import course_lesson as cl

EXACT = 1e-10
FD_TOL = 1e-6


def random_net_and_data(seed, sizes=(4, 6, 5, 3), m=9):
    rng = np.random.default_rng(seed)
    acts = [cl.ReLUActivation() for _ in sizes[1:-1]] + [cl.SoftMaxActivation()]
    net = cl.NeuralNet(
        [
            cl.LinearLayer(a, b, act, rng)
            for a, b, act in zip(sizes[:-1], sizes[1:], acts, strict=True)
        ]
    )
    X = rng.normal(size=(sizes[0], m))
    Y = layout.one_hot(rng.integers(0, sizes[-1], m), sizes[-1], layout="columns")
    return net, X, Y


@pytest.mark.parametrize(
    "seed,sizes,m",
    [
        (0, (4, 6, 5, 3), 9),
        (1, (4, 10, 5, 3), 30),
        (2, (2, 3), 4),
        (3, (5, 4, 4, 4, 2), 6),
    ],
)
def test_every_gradient_matches_autograd(seed, sizes, m, same_as_autograd):
    net, X, Y = random_net_and_data(seed, sizes, m)
    hand = net.hand_gradients(X, Y)
    _, auto = ag.gradients(net.column_spec(), X, Y)
    auto = net.gradients_from_columns(auto)
    same_as_autograd(hand, auto)


def test_every_gradient_matches_finite_differences(fd, reldiff):
    net, X, Y = random_net_and_data(4)

    def cost():
        return cl.categorical_crossentropy(Y, net.forward(X))

    hand = net.hand_gradients(X, Y)
    for i, layer in enumerate(net.layers):
        assert reldiff(hand[f"layers[{i}].W"], fd(cost, layer.W)) <= FD_TOL
        assert reldiff(hand[f"layers[{i}].b"], fd(cost, layer.b)) <= FD_TOL
    assert reldiff(hand["X"], fd(cost, X)) <= FD_TOL


def test_gradients_leave_the_weights_unchanged():
    net, X, Y = random_net_and_data(5)
    before = [layer.W.copy() for layer in net.layers]
    net.hand_gradients(X, Y)
    for layer, W in zip(net.layers, before, strict=True):
        assert np.array_equal(layer.W, W)


@pytest.mark.parametrize(
    "activation,op",
    [
        (cl.SigmoidActivation(), lambda Z: Z.sigmoid()),
        (cl.ReLUActivation(), lambda Z: Z.relu()),
        (cl.SoftMaxActivation(), lambda Z: Z.softmax(axis=0)),
    ],
)
def test_activation_backward_is_the_vector_jacobian_product(activation, op, vjp, num_vjp, reldiff):
    rng = np.random.default_rng(6)
    Z, dA = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    dZ = activation.backward(dA, Z)
    assert reldiff(dZ, vjp(op, Z, dA)) <= EXACT
    assert reldiff(dZ, num_vjp(activation.forward, Z, dA)) <= FD_TOL


def test_n_steps_of_hand_updates_match_autograd_sgd(reldiff):
    epochs, lr = 20, 0.2
    net, X, Y = cl.example(seed=1, m=30)
    spec = net.column_spec()
    start = spec.copy()
    losses = net.fit(X, Y, lr=lr, epoch=epochs)
    for _ in range(epochs):
        spec = ag.sgd_step(spec, X, Y, lr)
    end = net.column_spec()
    for l in range(len(spec)):
        assert reldiff(end.weights[l], spec.weights[l]) <= EXACT
        assert reldiff(end.biases[l], spec.biases[l]) <= EXACT
        assert reldiff(end.weights[l], start.weights[l]) > 1e-3
    assert losses[-1] < losses[0]


def test_iris_loads_in_the_lesson_layout():
    data, target, names = cl.load_iris()
    assert data.shape == (150, 4) and len(names) == 3
    assert np.bincount(target).tolist() == [50, 50, 50]
    X_train, Y_train, X_test, Y_test = cl.iris_columns()
    assert X_train.shape[0] == 4 and Y_train.shape[0] == 3
    assert X_train.shape[1] + X_test.shape[1] == 150 and X_test.shape[1] == 38
    assert np.allclose(Y_train.sum(axis=0), 1.0)
    assert np.allclose(X_train.mean(axis=1), 0.0, atol=1e-12)


def test_training_on_iris_reaches_good_test_accuracy():
    _, losses, accuracy = cl.train_on_iris(epochs=300, lr=0.5, seed=0)
    assert losses[-1] < 0.25 * losses[0]
    assert accuracy >= 0.9


def test_compare_gradients_table_is_all_ok():
    net, X, Y = cl.example(seed=2)
    table = compare_gradients(net, X, Y)
    assert table.ok and len(table) == 7
