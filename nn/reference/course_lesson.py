"""Reference backprop for the course lesson "Backward Propagation" (seed 002), in NumPy.

Layout and names follow the lesson: column-major (``A_prev`` is ``(features, examples)``),
``LinearLayer`` with ``W`` of shape ``(n_out, n_in)`` and ``b`` of shape ``(n_out, 1)``,
keeping ``A_prev`` and ``Z_curr`` from its forward pass; activation objects with
``forward`` and ``backward``; a ``NeuralNet`` whose ``fit`` runs forward, seeds
``dA_curr`` from the categorical cross-entropy and walks the layers in reverse, each
layer updating its own ``W`` and ``b`` inside ``backward``; training on iris.

As in the Rust series, ``dA`` and ``dZ`` are gradients of the *summed* loss (the seed
is ``-Y/A``) and ``1/m`` enters only in ``dW_curr`` and ``db_curr``; that is a
convention, and the parameter gradients it produces are the gradients of the mean
cross-entropy. The input gradient of the mean cost is therefore ``dA_prev / m``.

The lesson's own ``backward`` bodies are wrong in several ways; they are kept, runnable,
as the ``*_as_written`` methods (see ERRATA.md):

* ``SigmoidActivation.derivative_as_written``: ``A*(1-A)``, the local derivative only,
  used by the layer as if it were ``dZ`` (the upstream ``dA`` is never multiplied in);
* ``SigmoidActivation.backward_as_written``: the layer passes ``Z_curr`` where that
  formula needs the sigmoid's output ``A``, giving ``Z*(1-Z)``;
* ``ReLUActivation.derivative_as_written``: keeps the positive entries *themselves*
  (times ``self.a``) instead of the 0/1 step;
* ``NeuralNet.fit_as_written``: seeds backprop with the loss value instead of its
  derivative.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import layout
from ._common import ColumnSpec, ReferenceNetwork

DOCUMENT = "002_700d0f0963832cdc.txt: Backward Propagation (course lesson)"


def _sigmoid(Z):
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ---- activations -----------------------------------------------------------------------


class SigmoidActivation:
    name = "sigmoid"

    def forward(self, Z):
        return _sigmoid(Z)

    def backward(self, dA, Z):
        """dZ = dA * sigma'(Z), with sigma'(Z) = A (1 - A) and A = sigma(Z)."""
        A = _sigmoid(Z)
        return dA * A * (1.0 - A)

    @staticmethod
    def derivative_as_written(A):
        """The lesson's body, ``A*(1-A)``: sigma' expressed through the output ``A``.

        Right as a local derivative, but the layer stores it as ``dZ_curr``, so the upstream
        ``dA_curr`` is never multiplied in (ERRATUM C1).
        """
        return A * (1.0 - A)

    def backward_as_written(self, dA, Z):
        """What ``LinearLayer.backward`` gets: it hands over ``Z_curr`` and the body reads
        that as ``A`` (ERRATUM C2), and ``dA`` is ignored (ERRATUM C1): ``Z*(1-Z)``."""
        return self.derivative_as_written(Z)


class ReLUActivation:
    name = "relu"

    def forward(self, Z):
        return np.maximum(Z, 0.0)

    def backward(self, dA, Z):
        """dZ = dA * 1[Z > 0]."""
        return dA * (np.asarray(Z) > 0)

    @staticmethod
    def derivative_as_written(A, a: float = 1.0):
        """The lesson's body: copy ``A``, zero the entries ``<= 0``, multiply by ``self.a``.

        That is ``max(A, 0) * a``, the activation's *value* (scaled), not the 0/1 step that
        is its derivative (ERRATUM C3). ``self.a`` is never defined in the lesson; ``a``
        stands for it (1 by default).
        """
        return np.where(np.asarray(A) > 0, A, 0.0) * a

    def backward_as_written(self, dA, Z, a: float = 1.0):
        """What ``LinearLayer.backward`` gets: the body applied to ``Z_curr``, ``dA`` unused."""
        return self.derivative_as_written(Z, a)


class SoftMaxActivation:
    """Softmax down each column (one example per column)."""

    name = "softmax"

    def forward(self, Z):
        Z = np.asarray(Z, dtype=np.float64)
        e = np.exp(Z - Z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def backward(self, dA, Z):
        """dZ = J^T dA column by column, with J = diag(s) - s s^T (symmetric).

        Written out, ``(diag(s) - s s^T) dA = s * (dA - s . dA)`` for each column.
        """
        S = self.forward(Z)
        return S * (dA - (S * dA).sum(axis=0, keepdims=True))

    def backward_as_written(self, dA, Z):
        # The lesson gives no softmax backward; the correct one stands in for it.
        return self.backward(dA, Z)


# ---- loss ------------------------------------------------------------------------------


def categorical_crossentropy(Y, A) -> float:
    """Mean over the ``m`` columns of ``-sum_k Y[k] log A[k]`` (Y one-hot columns)."""
    m = Y.shape[1]
    return float(-(Y * np.log(A)).sum() / m)


def categorical_crossentropy_backward(Y, A):
    """The seed ``dA = -Y / A``: the derivative of the summed loss (``m`` times that of
    the mean), matching the ``/ m`` in ``LinearLayer.backward``."""
    return -Y / A


def seed_as_written(Y, A):
    """ERRATUM C4: ``fit`` seeds with ``categorical_crossentropy(y, X)``, the loss *value*.

    A scalar where ``dLoss/dA`` belongs (broadcast here to ``A``'s shape). Through a
    softmax output it yields zero, up to rounding (about 1e-16 or less in float64): every
    column of the softmax Jacobian sums to zero, so a constant upstream gradient has no
    effect.
    """
    return np.full_like(A, categorical_crossentropy(Y, A))


# ---- layers and network ----------------------------------------------------------------


class LinearLayer:
    def __init__(self, n_in: int, n_out: int, activation, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        self.W = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
        self.b = rng.normal(0.0, 0.1, size=(n_out, 1))
        self.activation = activation
        self.A_prev = self.Z_curr = self.A_curr = None
        self.dW_curr = self.db_curr = None

    def forward(self, A_prev):
        self.A_prev = A_prev
        self.Z_curr = self.W @ A_prev + self.b
        self.A_curr = self.activation.forward(self.Z_curr)
        return self.A_curr

    def backward(self, dA_curr, lr: float = 0.001):
        """Corrected lesson ``backward``: gradients from the old ``W``, then the update.

        dZ_curr = dA_curr * g'(Z_curr)
        dW_curr = dZ_curr A_prev^T / m
        db_curr = (row sums of dZ_curr) / m
        dA_prev = W^T dZ_curr          (computed before W changes)
        """
        m = self.A_prev.shape[1]
        dZ_curr = self.activation.backward(dA_curr, self.Z_curr)
        return self._finish(dZ_curr, m, lr)

    def backward_as_written(self, dA_curr, lr: float = 0.001):
        """The lesson's ``backward`` with its activations' bodies as written."""
        m = self.A_prev.shape[1]
        dZ_curr = self.activation.backward_as_written(dA_curr, self.Z_curr)
        return self._finish(dZ_curr, m, lr)

    def _finish(self, dZ_curr, m, lr):
        self.dW_curr = (dZ_curr @ self.A_prev.T) / m
        self.db_curr = dZ_curr.sum(axis=1, keepdims=True) / m
        dA_prev = self.W.T @ dZ_curr
        self.W = self.W - lr * self.dW_curr
        self.b = self.b - lr * self.db_curr
        return dA_prev


class NeuralNet(ReferenceNetwork):
    document = DOCUMENT

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def fit(self, X, Y, lr: float = 0.001, epoch: int = 1) -> list[float]:
        """Full-batch training, column-major ``X`` and one-hot ``Y`` columns.

        Returns the loss before each epoch.
        """
        losses = []
        for _ in range(epoch):
            A = self.forward(X)
            losses.append(categorical_crossentropy(Y, A))
            dA_curr = categorical_crossentropy_backward(Y, A)
            for layer in reversed(self.layers):
                dA_curr = layer.backward(dA_curr, lr=lr)
        return losses

    def fit_as_written(self, X, Y, lr: float = 0.001, epoch: int = 1) -> list[float]:
        """ERRATUM C4: the seed is ``categorical_crossentropy(y, X)``, the loss value, so a
        scalar stands where ``dLoss/dA`` belongs. (Layers still use the corrected
        activation derivatives here, to isolate this one mistake.)"""
        losses = []
        for _ in range(epoch):
            A = self.forward(X)
            losses.append(categorical_crossentropy(Y, A))
            dA_curr = seed_as_written(Y, A)
            for layer in reversed(self.layers):
                dA_curr = layer.backward(dA_curr, lr=lr)
        return losses

    def predict(self, X):
        return np.argmax(self.forward(X), axis=0)

    def gradients(self, X, Y, seed=categorical_crossentropy_backward):
        """``[(dW_curr, db_curr), ...]`` per layer and ``dA_prev`` of the first layer,
        from one backward pass with ``lr=0`` (nothing changes). ``seed(Y, A)`` makes the
        first ``dA_curr``; pass :func:`seed_as_written` to see erratum C4."""
        A = self.forward(X)
        dA_curr = seed(Y, A)
        for layer in reversed(self.layers):
            dA_curr = layer.backward(dA_curr, lr=0.0)
        return [(layer.dW_curr, layer.db_curr) for layer in self.layers], dA_curr

    def gradients_as_written(self, X, Y):
        """Like :meth:`gradients`, with every layer's ``backward_as_written``."""
        A = self.forward(X)
        dA_curr = categorical_crossentropy_backward(Y, A)
        for layer in reversed(self.layers):
            dA_curr = layer.backward_as_written(dA_curr, lr=0.0)
        return [(layer.dW_curr, layer.db_curr) for layer in self.layers], dA_curr

    # ---- the comparison interface ----------------------------------------------------

    def column_spec(self) -> ColumnSpec:
        names = [layer.activation.name for layer in self.layers]
        if names[-1] != "softmax" or "softmax" in names[:-1]:
            raise ValueError("the comparison expects softmax on the last layer only")
        return ColumnSpec(
            weights=[layer.W.copy() for layer in self.layers],
            biases=[layer.b.copy() for layer in self.layers],
            activations=names,
            loss="cce",
        )

    def load_column_spec(self, spec: ColumnSpec) -> None:
        for layer, W, b in zip(self.layers, spec.weights, spec.biases, strict=True):
            layer.W, layer.b = W.copy(), b.copy()

    def data_to_columns(self, X, Y):
        return np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)

    def hand_gradients(self, X, Y) -> dict:
        X, Y = self.data_to_columns(X, Y)
        per_layer, dA0 = self.gradients(X, Y)
        out = {}
        for i, (dW, db) in enumerate(per_layer):
            out[f"layers[{i}].W"] = dW
            out[f"layers[{i}].b"] = db
        out["X"] = dA0 / X.shape[1]  # dA0 is m * d(cost)/dX (summed-loss convention)
        return out

    def gradients_from_columns(self, grads: dict) -> dict:
        out = {}
        for i in range(len(self.layers)):
            out[f"layers[{i}].W"] = grads[f"W{i + 1}"]
            out[f"layers[{i}].b"] = grads[f"b{i + 1}"]
        out["X"] = grads["X"]
        return out


# ---- iris ------------------------------------------------------------------------------

IRIS_CSV = Path(__file__).resolve().parent.parent / "datasets" / "iris.csv"


def load_iris(path=IRIS_CSV):
    """``(data, target, names)``: data ``(150, 4)`` rows as in the CSV, integer targets."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    body = [r for r in rows[1:] if r]
    names = sorted({r[-1] for r in body})
    data = np.array([[float(v) for v in r[:-1]] for r in body], dtype=np.float64)
    target = np.array([names.index(r[-1]) for r in body], dtype=np.int64)
    return data, target, names


def iris_columns(test_size: float = 0.25, seed: int = 42):
    """Shuffle, split, standardize with the training statistics, and turn into the
    lesson's layout: ``X`` ``(4, m)`` and one-hot ``Y`` ``(3, m)`` for train and test."""
    data, target, names = load_iris()
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(target))
    n_test = int(round(test_size * len(target)))
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    mean = data[train_idx].mean(axis=0)
    std = data[train_idx].std(axis=0)
    standardized = (data - mean) / std
    k = len(names)
    return (
        layout.examples_to_columns(standardized[train_idx]),
        layout.one_hot(target[train_idx], k, layout="columns"),
        layout.examples_to_columns(standardized[test_idx]),
        layout.one_hot(target[test_idx], k, layout="columns"),
    )


def build_net(seed: int = 0) -> NeuralNet:
    """The lesson's network: 4 -> 10 (ReLU) -> 5 (ReLU) -> 3 (softmax)."""
    rng = np.random.default_rng(seed)
    return NeuralNet(
        [
            LinearLayer(4, 10, activation=ReLUActivation(), rng=rng),
            LinearLayer(10, 5, activation=ReLUActivation(), rng=rng),
            LinearLayer(5, 3, activation=SoftMaxActivation(), rng=rng),
        ]
    )


def train_on_iris(epochs: int = 300, lr: float = 0.5, seed: int = 0):
    """Train the lesson's network on iris; returns ``(net, train losses, test accuracy)``."""
    X_train, Y_train, X_test, Y_test = iris_columns()
    net = build_net(seed)
    losses = net.fit(X_train, Y_train, lr=lr, epoch=epochs)
    accuracy = float(np.mean(net.predict(X_test) == np.argmax(Y_test, axis=0)))
    return net, losses, accuracy


def example(seed: int = 0, m: int = 24):
    """The lesson's network on ``m`` iris training examples: ``(net, X, Y)``."""
    X_train, Y_train, _, _ = iris_columns()
    return build_net(seed), X_train[:, :m], Y_train[:, :m]
