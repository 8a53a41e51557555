"""The book chapter's hand-written backprop (nn.reference.book_chapter, row-major) against
autograd and central finite differences, float64."""

from __future__ import annotations

import numpy as np
import pytest

from nn.reference import _autograd as ag
from nn.reference import book_chapter as bc
from nn.reference import compare_gradients, layout

EXACT = 1e-10
FD_TOL = 1e-6


@pytest.mark.parametrize(
    "x,w,b",
    [
        ([1.0, -2.0, 3.0], [-3.0, -1.0, 2.0], 1.0),  # the chapter's neuron: z > 0
        ([0.5, 1.5, -1.0], [-2.0, 0.3, 0.7], 0.2),  # z < 0: the ReLU blocks everything
    ],
)
def test_single_neuron_backward_matches_autograd(x, w, b, reldiff):
    import autodiff

    res = bc.single_neuron(x, w, b, dvalue=1.0)
    X = autodiff.Tensor(np.array(x), requires_grad=True)
    W = autodiff.Tensor(np.array(w), requires_grad=True)
    B = autodiff.Tensor(np.array(b), requires_grad=True)
    y = ((X * W).sum() + B).relu()
    y.backward()
    assert abs(res["y"] - float(y.data)) <= 1e-12
    assert reldiff(res["dx"], X.grad) <= EXACT
    assert reldiff(res["dw"], W.grad) <= EXACT
    assert reldiff(res["db"], B.grad) <= EXACT


def test_relu_and_softmax_backward_are_vector_jacobian_products(vjp, num_vjp, reldiff):
    rng = np.random.default_rng(0)
    Z, dv = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    relu = bc.Activation_ReLU()
    relu.forward(Z)
    relu.backward(dv)
    assert reldiff(relu.dinputs, vjp(lambda T: T.relu(), Z, dv)) <= EXACT
    soft = bc.Activation_Softmax()
    soft.forward(Z)
    soft.backward(dv)
    assert reldiff(soft.dinputs, vjp(lambda T: T.softmax(axis=1), Z, dv)) <= EXACT

    def softmax(z):
        s = bc.Activation_Softmax()
        s.forward(z)
        return s.output

    assert reldiff(soft.dinputs, num_vjp(softmax, Z, dv)) <= FD_TOL


@pytest.mark.parametrize("sparse", [True, False])
def test_loss_backward_and_fused_backward(sparse, vjp, reldiff):
    import autodiff

    rng = np.random.default_rng(1)
    Z = rng.normal(size=(7, 3))
    y = rng.integers(0, 3, 7)
    Y = layout.one_hot(y, 3)
    labels = y if sparse else Y
    soft = bc.Activation_Softmax()
    soft.forward(Z)
    P = soft.output
    loss = bc.Loss_CategoricalCrossentropy()
    loss.backward(P, labels)
    Pt = autodiff.Tensor(P.copy(), requires_grad=True)
    (-(autodiff.Tensor(Y) * Pt.log()).sum() / 7).backward()
    assert reldiff(loss.dinputs, Pt.grad) <= EXACT
    fused = bc.Activation_Softmax_Loss_CategoricalCrossentropy()
    value = fused.forward(Z, labels)
    fused.backward(fused.output, labels)
    Zt = autodiff.Tensor(Z.copy(), requires_grad=True)
    cost = -(autodiff.Tensor(Y) * Zt.softmax(axis=1).log()).sum() / 7
    cost.backward()
    assert abs(value - float(cost.data)) <= 1e-12 * abs(value)
    assert reldiff(fused.dinputs, Zt.grad) <= EXACT
    # the separate path (loss backward, then the Jacobian) equals the fused one
    soft.backward(loss.dinputs)
    assert reldiff(soft.dinputs, fused.dinputs) <= EXACT


@pytest.mark.parametrize(
    "sizes,fused,seed",
    [
        ([2, 8, 3], True, 0),
        ([2, 8, 3], False, 0),
        ([4, 6, 5, 3], True, 1),
        ([3, 4], False, 2),
    ],
)
def test_every_gradient_matches_autograd(sizes, fused, seed, same_as_autograd):
    rng = np.random.default_rng(seed)
    net = bc.BookNetwork(sizes, seed)
    X = rng.normal(size=(11, sizes[0]))
    y = rng.integers(0, sizes[-1], 11)
    hand = net.hand_gradients(X, y, fused=fused)
    Xc, Yc = net.data_to_columns(X, y)
    _, auto = ag.gradients(net.column_spec(), Xc, Yc)
    auto = net.gradients_from_columns(auto)
    same_as_autograd(hand, auto)


def test_every_gradient_matches_finite_differences(fd, reldiff):
    net, X, y = bc.example(seed=3, samples=4)

    def loss():
        return net.forward(X, y)

    hand = net.hand_gradients(X, y)
    for i, dense in enumerate(net.dense, start=1):
        assert reldiff(hand[f"dense{i}.weights"], fd(loss, dense.weights)) <= FD_TOL
        assert reldiff(hand[f"dense{i}.biases"], fd(loss, dense.biases)) <= FD_TOL
    assert reldiff(hand["X"], fd(loss, X)) <= FD_TOL


def test_n_sgd_steps_match_autograd_sgd(reldiff):
    steps, lr = 30, 0.5
    net, X, y = bc.example(seed=4, samples=15)
    optimizer = bc.Optimizer_SGD(lr)
    spec = net.column_spec()
    start = [d.weights.copy() for d in net.dense]
    losses = [net.train_step(X, y, optimizer) for _ in range(steps)]
    Xc, Yc = net.data_to_columns(X, y)
    for _ in range(steps):
        spec = ag.sgd_step(spec, Xc, Yc, lr)
    reference = bc.BookNetwork([2, 8, 3])
    reference.load_column_spec(spec)  # autograd's end point, back in the book's layout
    for dense, ref, w0 in zip(net.dense, reference.dense, start, strict=True):
        assert reldiff(dense.weights, ref.weights) <= EXACT
        assert reldiff(dense.biases, ref.biases) <= EXACT
        assert reldiff(dense.weights, w0) > 1e-3
    assert losses[-1] < losses[0]


def test_compare_gradients_table_is_all_ok():
    net, X, y = bc.example(seed=5)
    table = compare_gradients(net, X, y)
    assert table.ok
    assert [r.parameter for r in table] == [
        "dense1.weights",
        "dense1.biases",
        "dense2.weights",
        "dense2.biases",
        "X",
    ]
