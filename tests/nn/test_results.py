"""What the networks reach on the data sets, with fixed seeds; and the Tensor and scalar
networks computing the same thing."""

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn.data import (
    Standardizer,
    accuracy,
    load_digits,
    load_iris,
    make_moons,
    make_quadrants,
    train_test_split,
)


def standardized_split(X, y, test_size, seed):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=seed)
    scaler = Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def train_classifier(sizes, X, y, epochs, lr, seed, batch_size=None):
    model = nn.MLP(sizes, seed=seed)
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=lr), X, y,
           epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iris(seed):
    """Standardized iris, stratified 75/25 split: >= 95% of the 38 test flowers."""
    X_train, X_test, y_train, y_test = standardized_split(*load_iris(), 0.25, seed=3)
    assert len(X_test) == 38 and sorted(np.bincount(y_test)) == [12, 13, 13]  # stratified
    model = train_classifier([4, 16, 3], X_train, y_train, epochs=150, lr=0.01, seed=seed)
    assert accuracy(model(X_test).data, y_test) >= 0.95


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadrants(seed):
    """The four-quadrant problem (class: x * y > 0), no margin: >= 97% on held-out points."""
    X, y = make_quadrants(1000, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=seed)
    model = train_classifier([2, 16, 16, 2], X_train, y_train, epochs=400, lr=0.01,
                             seed=seed)
    assert accuracy(model(X_test).data, y_test) >= 0.97


def test_digits():
    """8x8 digits, 80/20 split, mini-batches of 64: >= 95% of the 360 test digits."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = standardized_split(X, y, 0.2, seed=0)
    assert len(X_test) == 360
    model = train_classifier([64, 64, 10], X_train, y_train, epochs=15, lr=0.003, seed=0,
                             batch_size=64)
    assert accuracy(model(X_test).data, y_test) >= 0.95


def moons_pm1(seed):
    X, y = make_moons(100, noise=0.1, seed=seed)
    return X, 2 * y - 1  # labels -1 / +1 for the hinge loss


@pytest.mark.slow
def test_micrograd_demo_reaches_full_training_accuracy():
    """micrograd's demo: MLP(2, [16, 16, 1]) of Values on 100 two-moons points, hinge loss
    plus 1e-4 * sum(p^2), full-batch SGD with lr = 1.0 - 0.9 k / 100 for up to 100 steps.
    Stops as soon as every training point is classified right (step 29 with these seeds;
    micrograd's demo runs on to 100), to keep the test short; for the same reason each
    neuron sums in one add_n node (`fused=True`: the same numbers as micrograd's chain of
    `+`, see test_scalar.py, at half the time)."""
    X, y = moons_pm1(seed=3)
    model = nn.scalar.MLP(2, [16, 16, 1], seed=3, fused=True)
    params = model.parameters()
    opt = nn.optim.SGD(params, lr=1.0)
    hinge = nn.HingeLoss()
    rows = X.tolist()
    for k in range(100):
        scores = [model(x) for x in rows]
        train_accuracy = accuracy(np.array([s.data for s in scores]), y)
        if train_accuracy == 1.0:
            break
        loss = hinge(scores, y) + nn.l2_penalty(params, lam=2e-4)  # 1e-4 * sum(p^2)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / 100
        opt.step()
    assert train_accuracy == 1.0


def copy_into_scalar(tensor_mlp, scalar_mlp):
    """Give the scalar network the Tensor network's weights: neuron j of layer i gets row
    j of layers[i].weight and entry j of layers[i].bias."""
    for layer, scalar_layer in zip(tensor_mlp.layers, scalar_mlp.layers, strict=True):
        for j, neuron in enumerate(scalar_layer.neurons):
            for k, w in enumerate(neuron.w):
                w.data = float(layer.weight.data[j, k])
            neuron.b.data = float(layer.bias.data[j])


def scalar_grads_as_arrays(scalar_mlp):
    """The scalar network's grads laid out as the Tensor network's parameters."""
    grads = []
    for scalar_layer in scalar_mlp.layers:
        grads.append(np.array([[w.grad for w in n.w] for n in scalar_layer.neurons]))
        grads.append(np.array([n.b.grad for n in scalar_layer.neurons]))
    return grads


def test_tensor_and_scalar_networks_agree():
    """The same network, written with Tensors (nn.MLP) and with Values (nn.scalar.MLP),
    gives the same loss and gradients on the same data and weights, and the same weights
    after three SGD steps with momentum."""
    X, y = moons_pm1(seed=0)
    tensor_mlp = nn.MLP([2, 16, 16, 1], seed=0)
    scalar_mlp = nn.scalar.MLP(2, [16, 16, 1], seed=1)
    copy_into_scalar(tensor_mlp, scalar_mlp)
    tensor_opt = nn.optim.SGD(tensor_mlp.parameters(), lr=0.5, momentum=0.9)
    scalar_opt = nn.optim.SGD(scalar_mlp.parameters(), lr=0.5, momentum=0.9)
    hinge, rows = nn.HingeLoss(), X.tolist()
    for _ in range(3):
        tensor_loss = hinge(tensor_mlp(Tensor(X)), y) + nn.l2_penalty(
            tensor_mlp.parameters(), lam=2e-4)
        scalar_loss = hinge([scalar_mlp(x) for x in rows], y) + nn.l2_penalty(
            scalar_mlp.parameters(), lam=2e-4)
        assert abs(tensor_loss.item() - scalar_loss.data) < 1e-12
        for opt, loss in ((tensor_opt, tensor_loss), (scalar_opt, scalar_loss)):
            opt.zero_grad()
            loss.backward()
        tensor_grads = [p.grad for p in tensor_mlp.parameters()]
        for tg, sg in zip(tensor_grads, scalar_grads_as_arrays(scalar_mlp),
                          strict=True):
            assert tg.shape == sg.shape
            np.testing.assert_allclose(sg, tg, rtol=0, atol=1e-12)
        assert max(np.abs(g).max() for g in tensor_grads) > 0.01  # not trivially zero
        tensor_opt.step()
        scalar_opt.step()
    check = nn.scalar.MLP(2, [16, 16, 1], seed=2)
    copy_into_scalar(tensor_mlp, check)  # the Tensor network's weights after 3 steps
    np.testing.assert_allclose([p.data for p in scalar_mlp.parameters()],
                               [p.data for p in check.parameters()], rtol=0, atol=1e-12)
