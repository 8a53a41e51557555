"""The NumPy derivation's hand-written backprop (nn.reference.numpy_derivation) against
autograd and central finite differences, float64; the article's train step and demos."""

from __future__ import annotations

import numpy as np
import pytest

from nn.reference import _autograd as ag
from nn.reference import compare_gradients
from nn.reference import numpy_derivation as nd

EXACT = 1e-10
FD_TOL = 1e-6


def net_and_sample(seed, sizes=(2, 4, 4, 3), slope=0.1):
    rng = np.random.default_rng(seed)
    layers = [
        nd.Layer(a, b, nd.LeakyReLU(slope), rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    net = nd.NeuralNetwork(layers, nd.MSELoss(), 0.01)
    return net, rng.normal(size=(sizes[0], 1)), rng.normal(size=(sizes[-1], 1))


@pytest.mark.parametrize(
    "seed,sizes,slope",
    [
        (0, (2, 4, 4, 3), 0.1),
        (1, (2, 3, 2), 0.1),
        (2, (5, 7, 1), 0.3),
        (3, (3, 3, 3, 3, 3), 0.05),
    ],
)
def test_every_gradient_matches_autograd(seed, sizes, slope, same_as_autograd):
    net, x, t = net_and_sample(seed, sizes, slope)
    hand = net.hand_gradients(x, t)
    _, auto = ag.gradients(net.column_spec(), x, t)
    auto = net.gradients_from_columns(auto)
    same_as_autograd(hand, auto)


def test_every_gradient_matches_finite_differences(fd, reldiff):
    net, x, t = net_and_sample(4)

    def loss():
        return net.loss(net.forward_pass(x), t)

    _, dxs, dWs, dbs = net.backward(x, t)
    for i, layer in enumerate(net._layers):
        assert reldiff(dWs[i], fd(loss, layer._W)) <= FD_TOL
        assert reldiff(dbs[i], fd(loss, layer._b)) <= FD_TOL
    assert reldiff(dxs[0], fd(loss, x)) <= FD_TOL


def test_dxs_are_indexed_like_xs(reldiff, fd):
    """dxs[i] is the loss's gradient with respect to xs[i] (checked for the hidden ones)."""
    net, x, t = net_and_sample(5)
    xs, dxs, _, _ = net.backward(x, t)
    n = len(net._layers)
    for i in range(1, n + 1):
        xi = xs[i].copy()

        def loss_from(i=i, xi=xi):
            out = xi
            for layer in net._layers[i:]:
                out = layer.forward_pass(out)
            return net.loss(out, t)

        assert dxs[i].shape == xs[i].shape
        assert reldiff(dxs[i], fd(loss_from, xi)) <= FD_TOL


def test_leaky_relu_and_mse_derivatives(vjp, num_vjp, reldiff):
    rng = np.random.default_rng(6)
    Z, dA = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    act = nd.LeakyReLU(0.1)
    assert reldiff(act.df(Z) * dA, vjp(lambda T: T.leaky_relu(0.1), Z, dA)) <= EXACT
    v, t = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    num = num_vjp(lambda vv: nd.MSELoss().loss(vv, t), v, 1.0)
    assert reldiff(nd.MSELoss().dloss(v, t), num) <= FD_TOL


def test_n_train_steps_match_autograd_sgd(reldiff):
    steps = 40
    net, _, _ = net_and_sample(7)
    rng = np.random.default_rng(70)
    samples = [(rng.normal(size=(2, 1)), rng.normal(size=(3, 1))) for _ in range(steps)]
    spec = net.column_spec()
    start = spec.copy()
    for x, t in samples:
        net.train(x, t)
        spec = ag.sgd_step(spec, x, t, net.lr)
    end = net.column_spec()
    for l in range(len(spec)):
        assert reldiff(end.weights[l], spec.weights[l]) <= EXACT
        assert reldiff(end.biases[l], spec.biases[l]) <= EXACT
        assert reldiff(end.weights[l], start.weights[l]) > 1e-4


def test_train_only_accepts_one_column():
    net, _, _ = net_and_sample(8)
    with pytest.raises(ValueError):
        net.train(np.zeros((2, 3)), np.zeros((3, 3)))


def test_zero_output_demo_loss_drops():
    net = nd.build_zero_net(learning_rate=0.01, seed=1)
    rng = np.random.default_rng(11)
    t = np.zeros((3, 1))
    probe = [rng.normal(size=(2, 1)) for _ in range(100)]

    def total():
        return sum(net.loss(net.forward_pass(x), t) for x in probe)

    before = total()
    for _ in range(3000):
        net.train(rng.normal(size=(2, 1)), t)
    assert total() < 0.1 * before


def test_four_quadrant_demo_learns():
    data, ts = nd.quadrant_data(50, seed=3)
    assert np.array_equal(ts[0] == 1, data[0] * data[1] > 0)
    before, after, _ = nd.quadrants_demo(N=20_000, test_to=1000, seed=0)
    assert after >= 850 and after > before + 200


def test_compare_gradients_table_is_all_ok():
    net, x, t = nd.example(seed=3)
    table = compare_gradients(net, x, t)
    assert table.ok
    assert [r.parameter for r in table][-1] == "xs[0]"
