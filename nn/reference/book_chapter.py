"""Reference backprop for the "from scratch" book's chapter on backpropagation (seed 004,
"Chapter 9 of nnfs book"), in NumPy.

Layout and names follow the book: row-major, ``inputs`` of shape ``(samples,
features)``; a dense layer keeps ``weights`` ``(n_inputs, n_neurons)`` and ``biases``
``(1, n_neurons)``; every object stores ``output`` in ``forward`` and ``dinputs`` (and
``dweights``, ``dbiases``) in ``backward(dvalues)``; gradients flow as ``dvalues``.
Careful: both loss classes' ``backward(dvalues, y_true)`` take the softmax *output*
(the predictions) under that name, not an upstream gradient; chaining the fused class
like the others, with a gradient, gives wrong numbers.

* ``Activation_ReLU.backward``: copy ``dvalues``, zero where the input was ``<= 0``;
* ``Activation_Softmax.backward``: per sample, the Jacobian ``diag(s) - s s^T`` times
  that sample's ``dvalues``;
* ``Loss_CategoricalCrossentropy.backward``: ``-y_true / dvalues``, divided by the
  number of samples;
* ``Activation_Softmax_Loss_CategoricalCrossentropy.backward``: the two fused,
  ``(softmax - one_hot) / samples``.

The chapter's excerpt names but does not list the dense layer and the optimizer;
``Layer_Dense`` and ``Optimizer_SGD`` here follow the book's conventions (``dweights =
inputs^T dvalues``, ``dbiases`` the column sums, ``dinputs = dvalues weights^T``; plain
``-learning_rate * gradient`` steps).

We found no erratum in this chapter's equations; the one thing worth knowing is that
the loss clips predictions to ``[1e-7, 1 - 1e-7]`` in ``forward`` while ``backward``
differentiates the unclipped ``-log``; the two agree whenever no prediction is clipped.
"""

from __future__ import annotations

import numpy as np

from . import layout
from ._common import ColumnSpec, ReferenceNetwork

DOCUMENT = "004_0306db915272ed9e.txt: Chapter 9 of the nnfs book (backpropagation)"


# ---- one neuron, by hand ---------------------------------------------------------------


def single_neuron(x, w, b, dvalue: float = 1.0) -> dict:
    """The chapter's single ReLU neuron, forward and backward, with plain floats.

    Forward: ``z = sum_i x[i] w[i] + b``, ``y = max(z, 0)``. Backward with ``dvalue``
    coming from above: ``drelu_dz = dvalue * (1 if y > 0 else 0)``, then
    ``dx[i] = drelu_dz * w[i]``, ``dw[i] = drelu_dz * x[i]``, ``db = drelu_dz``.
    """
    xw = [xi * wi for xi, wi in zip(x, w, strict=True)]
    z = sum(xw) + b
    y = max(z, 0.0)
    relu_deriv = 1.0 if y > 0 else 0.0
    drelu_dz = dvalue * relu_deriv
    return {
        "xw": xw,
        "z": z,
        "y": y,
        "dx": [drelu_dz * wi for wi in w],
        "dw": [drelu_dz * xi for xi in x],
        "db": drelu_dz,
    }


# ---- layers ----------------------------------------------------------------------------


class Layer_Dense:
    def __init__(self, n_inputs: int, n_neurons: int, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        self.weights = rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_neurons))
        self.biases = rng.normal(0.0, 0.1, size=(1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        """Pass ``dvalues`` through where the input was positive, 0 elsewhere."""
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.0)


class Activation_Softmax:
    def forward(self, inputs):
        self.inputs = inputs
        # each row shifted by its max first, so that exp cannot overflow
        exps = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = exps / exps.sum(axis=1, keepdims=True)

    def backward(self, dvalues):
        """Row by row: ``dinputs[i] = (diag(s_i) - s_i s_i^T) dvalues[i]``."""
        rows = []
        for probs, upstream in zip(self.output, dvalues, strict=True):
            jacobian = np.diag(probs) - np.outer(probs, probs)
            rows.append(jacobian @ upstream)
        self.dinputs = np.array(rows).reshape(np.shape(dvalues))


# ---- losses ----------------------------------------------------------------------------


def _as_one_hot_rows(y_true, n_classes: int):
    y_true = np.asarray(y_true)
    if y_true.ndim == 1:
        return layout.one_hot(y_true, n_classes, layout="rows")
    return y_true.astype(np.float64)


class Loss:
    def calculate(self, output, y) -> float:
        return float(np.mean(self.forward(output, y)))


class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        """Per-sample ``-log`` of the predicted probability of the right class, with the
        predictions clipped to ``[1e-7, 1 - 1e-7]``; sparse or one-hot labels."""
        kept_from_0_and_1 = np.clip(y_pred, 1e-7, 1 - 1e-7)  # log(0) would be -inf
        on_label = kept_from_0_and_1 * _as_one_hot_rows(y_true, y_pred.shape[1])
        return -np.log(on_label.sum(axis=1))

    def backward(self, dvalues, y_true):
        """``dinputs = -y_true / dvalues / samples`` (the mean over samples);
        ``dvalues`` is the predictions, as in the book."""
        samples, labels = dvalues.shape
        y_true = _as_one_hot_rows(y_true, labels)
        self.dinputs = -y_true / dvalues / samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true) -> float:
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        """``dinputs = (softmax output - one_hot(y)) / samples``.

        ``dvalues`` is the softmax *output* (``self.output``), as in the book, not a
        gradient from above.
        """
        samples, labels = dvalues.shape
        targets = _as_one_hot_rows(y_true, labels)
        self.dinputs = (dvalues - targets) / samples


class Optimizer_SGD:
    def __init__(self, learning_rate: float = 1.0):
        self.learning_rate = learning_rate

    def update_params(self, layer: Layer_Dense) -> None:
        layer.weights = layer.weights - self.learning_rate * layer.dweights
        layer.biases = layer.biases - self.learning_rate * layer.dbiases


# ---- a small network in the book's style -----------------------------------------------


class BookNetwork(ReferenceNetwork):
    """``Layer_Dense -> Activation_ReLU -> ... -> Layer_Dense -> softmax + CCE``.

    ``sizes = [n_inputs, hidden..., n_classes]``. ``backward(y, fused=True)`` uses the
    fused softmax/cross-entropy step; ``fused=False`` goes through the loss's backward and
    the softmax Jacobian separately. Both give the same gradients.
    """

    document = DOCUMENT

    def __init__(self, sizes, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.dense = [Layer_Dense(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.relus = [Activation_ReLU() for _ in self.dense[:-1]]
        self.loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()

    def _scores(self, X):
        inputs = X
        for dense, relu in zip(self.dense, self.relus + [None], strict=True):
            dense.forward(inputs)
            inputs = dense.output
            if relu is not None:
                relu.forward(inputs)
                inputs = relu.output
        return inputs

    def forward(self, X, y) -> float:
        return self.loss_activation.forward(self._scores(X), y)

    def backward(self, y, fused: bool = True):
        la = self.loss_activation
        if fused:
            la.backward(la.output, y)
            dvalues = la.dinputs
        else:
            la.loss.backward(la.output, y)
            la.activation.backward(la.loss.dinputs)
            dvalues = la.activation.dinputs
        relus_from_the_top = [None] + list(reversed(self.relus))
        for dense, relu in zip(reversed(self.dense), relus_from_the_top, strict=True):
            if relu is not None:
                relu.backward(dvalues)
                dvalues = relu.dinputs
            dense.backward(dvalues)
            dvalues = dense.dinputs
        return dvalues

    def train_step(self, X, y, optimizer: Optimizer_SGD, fused: bool = True) -> float:
        loss = self.forward(X, y)
        self.backward(y, fused)
        for dense in self.dense:
            optimizer.update_params(dense)
        return loss

    def predict(self, X):
        return np.argmax(self._scores(X), axis=1)  # softmax keeps the order of the scores

    # ---- the comparison interface ----------------------------------------------------

    def column_spec(self) -> ColumnSpec:
        weights, biases = [], []
        for dense in self.dense:
            W, b = layout.layer_to_columns(dense.weights, dense.biases)
            weights.append(W)
            biases.append(b)
        return ColumnSpec(
            weights, biases, ["relu"] * (len(self.dense) - 1) + ["softmax"], loss="cce"
        )

    def load_column_spec(self, spec: ColumnSpec) -> None:
        for dense, W, b in zip(self.dense, spec.weights, spec.biases, strict=True):
            dense.weights, dense.biases = layout.layer_to_rows(W, b)

    def data_to_columns(self, X, y):
        n_classes = self.dense[-1].weights.shape[1]
        return (
            layout.examples_to_columns(np.asarray(X, dtype=np.float64)),
            layout.examples_to_columns(_as_one_hot_rows(y, n_classes)),
        )

    def hand_gradients(self, X, y, fused: bool = True) -> dict:
        self.forward(np.asarray(X, dtype=np.float64), y)
        dinputs = self.backward(y, fused)
        out = {}
        for i, dense in enumerate(self.dense, start=1):
            out[f"dense{i}.weights"] = dense.dweights
            out[f"dense{i}.biases"] = dense.dbiases
        out["X"] = dinputs
        return out

    def gradients_from_columns(self, grads: dict) -> dict:
        out = {}
        for i in range(1, len(self.dense) + 1):
            out[f"dense{i}.weights"], out[f"dense{i}.biases"] = layout.layer_to_rows(
                grads[f"W{i}"], grads[f"b{i}"]
            )
        out["X"] = layout.examples_to_rows(grads["X"])
        return out


def spiral_data(samples: int, classes: int, seed: int = 0):
    """The book's spiral data set (seeded): ``X`` ``(samples*classes, 2)``, integer ``y``."""
    rng = np.random.default_rng(seed)
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    for k in range(classes):
        ix = range(samples * k, samples * (k + 1))
        r = np.linspace(0.0, 1.0, samples)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, samples) + rng.normal(0.0, 0.2, samples)
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = k
    return X, y


def example(seed: int = 0, samples: int = 10, classes: int = 3):
    """A 2 -> 8 -> 3 network on a small spiral: ``(net, X, y)``."""
    X, y = spiral_data(samples, classes, seed)
    return BookNetwork([2, 8, classes], seed), X, y
