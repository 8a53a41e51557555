"""Reference backprop for "Deep Neural Network from Scratch in Rust - Part 4 - Loss Function
and Back Propagation" (seeds 000 and 001, two copies of one article), in NumPy.

Layout and names follow the article so the two can be read side by side:

* column-major: ``x`` is ``(features, examples)``, ``W{l}`` is ``(n_l, n_{l-1})``,
  ``b{l}`` is ``(n_l, 1)``; parameters and gradients live in dicts keyed ``"W1"``,
  ``"db2"`` and so on, as the article's ``HashMap<String, Array2<f32>>``;
* ``L`` layers: ReLU on layers ``1 .. L-1``, sigmoid on layer ``L``;
* the cost is binary cross-entropy averaged over the ``m`` examples;
* ``linear_backward`` scales ``dW`` and ``db`` by ``1/m`` and returns
  ``dA_prev = W^T dZ``;
* each forward step keeps a ``LinearCache`` (``a, w, b``) and an ``ActivationCache``
  (``z``) under the layer's number.

We compute in float64 where the article uses f32.

A convention to keep in mind (unusual, not wrong): the backward pass is seeded with
``dAL = -(Y/AL - (1-Y)/(1-AL))``, the derivative of the *summed* loss ``m * cost``.
So every ``dA`` and ``dZ`` it carries is ``m`` times the derivative of the cost, and the
``1/m`` is applied only when ``dW`` and ``db`` are formed; those come out exactly right.
The gradient of the cost with respect to the input is therefore ``grads["dA0"] / m``.

What the article gets wrong lives in the ``*_as_written`` functions (see ERRATA.md):

* ``update_parameters_as_written``: the weight update adds ``(lambda/m) W``, an L2 term
  that the cost never contains;
* ``DeepNeuralNetwork.backward_as_written``: stores ``dA_prev`` (the gradient for layer
  ``l-1``) under the key ``"dA{l}"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import ColumnSpec, ReferenceNetwork

DOCUMENT = (
    "000_699985e65e498973.txt / 001_4b2e95c89f7eb594.txt: "
    "Deep Neural Network from Scratch in Rust - Part 4 - "
    "Loss Function and Back Propagation"
)


# ---- caches ----------------------------------------------------------------------------


@dataclass
class LinearCache:
    """What a layer's linear step remembers: its input ``a`` and its ``w``, ``b``."""

    a: np.ndarray
    w: np.ndarray
    b: np.ndarray


@dataclass
class ActivationCache:
    """What a layer's activation step remembers: its input ``z``."""

    z: np.ndarray


# ---- activations and their derivatives -------------------------------------------------


def sigmoid(z):
    # Split by sign so that exp never overflows (the project turns warnings into errors).
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid_prime(z):
    """d sigmoid / dz = sigmoid(z) (1 - sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu_prime(z):
    """1 where z > 0, else 0 (0 at z == 0, as in the article)."""
    return (np.asarray(z) > 0).astype(np.float64)


def sigmoid_backward(da, activation_cache: ActivationCache):
    """dZ = dA * sigmoid'(Z)."""
    return da * sigmoid_prime(activation_cache.z)


def relu_backward(da, activation_cache: ActivationCache):
    """dZ = dA * relu'(Z)."""
    return da * relu_prime(activation_cache.z)


# ---- one layer forward and backward ----------------------------------------------------


def linear_forward(a, w, b):
    """Z = W A + b, remembering (A, W, b)."""
    z = w @ a + b
    return z, LinearCache(a=a, w=w, b=b)


def linear_forward_activation(a_prev, w, b, activation: str):
    z, linear_cache = linear_forward(a_prev, w, b)
    if activation == "sigmoid":
        a_next = sigmoid(z)
    elif activation == "relu":
        a_next = relu(z)
    else:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    return a_next, (linear_cache, ActivationCache(z=z))


def linear_backward(dz, linear_cache: LinearCache):
    """Given dZ of this layer, return (dA_prev, dW, db).

    ``m`` is the number of examples (columns of ``a_prev``):

        dW      = (1/m) dZ A_prev^T
        db      = (1/m) * (row sums of dZ), kept as a column (n_l, 1)
        dA_prev = W^T dZ
    """
    a_prev, w = linear_cache.a, linear_cache.w
    m = a_prev.shape[1]
    dw = (dz @ a_prev.T) / m
    db = dz.sum(axis=1, keepdims=True) / m
    da_prev = w.T @ dz
    return da_prev, dw, db


def linear_backward_activation(da, cache, activation: str):
    """Activation backward (dA -> dZ), then linear backward (dZ -> dA_prev, dW, db)."""
    linear_cache, activation_cache = cache
    if activation == "sigmoid":
        dz = sigmoid_backward(da, activation_cache)
    elif activation == "relu":
        dz = relu_backward(da, activation_cache)
    else:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    return linear_backward(dz, linear_cache)


# ---- the update ------------------------------------------------------------------------


def update_parameters(params: dict, grads: dict, learning_rate: float) -> dict:
    """Gradient descent on the article's cost: ``W <- W - lr dW``, ``b <- b - lr db``.

    This is the corrected update: the cost has no regularization term, so the update
    has none either.
    """
    parameters = {k: v.copy() for k, v in params.items()}
    num_of_layers = sum(1 for k in params if k.startswith("W"))
    for l in range(1, num_of_layers + 1):
        parameters[f"W{l}"] = params[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        parameters[f"b{l}"] = params[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return parameters


def update_parameters_as_written(
    params: dict, grads: dict, m: float, learning_rate: float, lambd: float
) -> dict:
    """The article's update, ERRATUM: ``W <- W - lr (dW + (lambda/m) W)``.

    The extra ``(lambda/m) W`` is the derivative of ``lambda/(2m) sum ||W||^2``, a term
    the article's cost does not have. So for ``lambda != 0`` this is not gradient descent
    on the cost it computes; it is gradient descent on :func:`cost_l2`.
    """
    parameters = {k: v.copy() for k, v in params.items()}
    num_of_layers = sum(1 for k in params if k.startswith("W"))
    for l in range(1, num_of_layers + 1):
        w = params[f"W{l}"]
        parameters[f"W{l}"] = w - learning_rate * (grads[f"dW{l}"] + (lambd / m) * w)
        parameters[f"b{l}"] = params[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return parameters


# ---- costs -----------------------------------------------------------------------------


def cost(al, y) -> float:
    """Binary cross-entropy, in the article's dot-product form.

        cost = -(1/m) sum( Y . log(AL)^T + (1 - Y) . log(1 - AL)^T )

    With one output unit (``Y`` and ``AL`` of shape ``(1, m)``) each product is the
    ``(1, 1)`` sum over examples, so this is exactly the mean binary cross-entropy. (With
    several output rows the dot products would also pair row i of ``Y`` with row j of
    ``AL``; the article only ever has one output, so that is a limitation, not an error.)
    """
    al = np.asarray(al, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = y.shape[1]
    total = y @ np.log(al).T + (1.0 - y) @ np.log(1.0 - al).T
    return float(-(1.0 / m) * total.sum())


def cost_elementwise(al, y) -> float:
    """The mean binary cross-entropy written entry by entry (for any number of rows)."""
    al = np.asarray(al, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = y.shape[1]
    return float(-(y * np.log(al) + (1.0 - y) * np.log(1.0 - al)).sum() / m)


def cost_l2(al, y, parameters: dict, lambd: float) -> float:
    """``cost + lambda/(2m) sum_l ||W_l||_F^2``: the cost the as-written update descends."""
    m = np.asarray(y).shape[1]
    penalty = sum(float((w * w).sum()) for k, w in parameters.items() if k.startswith("W"))
    return cost(al, y) + lambd / (2.0 * m) * penalty


# ---- the network -----------------------------------------------------------------------


class DeepNeuralNetwork(ReferenceNetwork):
    """``layer_dims = [n_x, n_1, ..., n_L]``; ReLU hidden layers, sigmoid output.

    ``self.parameters`` holds ``W1, b1, ..., WL, bL``. ``lambd`` is the article's
    ``self.lambda`` (a Python keyword), used only by ``update_parameters_as_written``.
    """

    document = DOCUMENT

    def __init__(self, layer_dims, learning_rate: float = 0.01, lambd: float = 0.0, seed: int = 0):
        self.layer_dims = list(layer_dims)
        if len(self.layer_dims) < 2:
            raise ValueError("layer_dims needs at least an input and an output size")
        self.learning_rate = learning_rate
        self.lambd = lambd
        self.seed = seed
        self.parameters = self.initialize_parameters()

    @property
    def num_of_layers(self) -> int:
        return len(self.layer_dims) - 1

    def initialize_parameters(self) -> dict:
        """Seeded ``W{l}`` with entries of size about ``1/sqrt(n_{l-1})``, ``b{l}`` small."""
        rng = np.random.default_rng(self.seed)
        parameters = {}
        for l in range(1, len(self.layer_dims)):
            n_in, n_out = self.layer_dims[l - 1], self.layer_dims[l]
            parameters[f"W{l}"] = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
            parameters[f"b{l}"] = rng.normal(0.0, 0.1, size=(n_out, 1))
        return parameters

    def forward(self, x, parameters: dict | None = None):
        """Return ``AL`` and ``caches`` (``{"1": (LinearCache, ActivationCache), ...}``)."""
        parameters = self.parameters if parameters is None else parameters
        caches = {}
        a = np.asarray(x, dtype=np.float64)
        L = self.num_of_layers
        for l in range(1, L + 1):
            activation = "sigmoid" if l == L else "relu"
            a, caches[str(l)] = linear_forward_activation(
                a, parameters[f"W{l}"], parameters[f"b{l}"], activation
            )
        return a, caches

    def cost(self, al, y) -> float:
        return cost(al, y)

    def backward(self, al, y, caches: dict) -> dict:
        """Gradients ``dW{l}``, ``db{l}`` of the cost, and ``dA{l-1}`` for every layer.

        ``dA{l-1}`` is the gradient of the summed loss (``m * cost``) with respect to the
        input of layer ``l``; see the module docstring for that convention.
        """
        grads = {}
        L = self.num_of_layers
        dal = -(y / al - (1.0 - y) / (1.0 - al))
        da_prev, dw, db = linear_backward_activation(dal, caches[str(L)], "sigmoid")
        grads[f"dW{L}"], grads[f"db{L}"], grads[f"dA{L - 1}"] = dw, db, da_prev
        for l in range(L - 1, 0, -1):
            da_prev, dw, db = linear_backward_activation(da_prev, caches[str(l)], "relu")
            grads[f"dW{l}"], grads[f"db{l}"], grads[f"dA{l - 1}"] = dw, db, da_prev
        return grads

    def backward_as_written(self, al, y, caches: dict) -> dict:
        """The article's loop, ERRATUM in the keys: ``dA_prev`` of layer ``l`` (which is
        the gradient for ``A{l-1}``) is stored as ``"dA{l}"``. The numbers are the same as
        :meth:`backward`'s; only the labels are shifted by one layer."""
        grads = {}
        L = self.num_of_layers
        dal = -(y / al - (1.0 - y) / (1.0 - al))
        da_prev, dw, db = linear_backward_activation(dal, caches[str(L)], "sigmoid")
        grads[f"dW{L}"], grads[f"db{L}"], grads[f"dA{L}"] = dw, db, da_prev
        for l in range(L - 1, 0, -1):
            da_prev, dw, db = linear_backward_activation(da_prev, caches[str(l)], "relu")
            grads[f"dW{l}"], grads[f"db{l}"], grads[f"dA{l}"] = dw, db, da_prev
        return grads

    def update_parameters(self, params: dict, grads: dict, learning_rate: float) -> dict:
        return update_parameters(params, grads, learning_rate)

    def update_parameters_as_written(
        self, params: dict, grads: dict, m: float, learning_rate: float
    ) -> dict:
        return update_parameters_as_written(params, grads, m, learning_rate, self.lambd)

    def train_step(self, x, y, learning_rate: float | None = None) -> float:
        """Forward, cost, backward, corrected update; returns the cost before the step."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        al, caches = self.forward(x)
        c = self.cost(al, y)
        grads = self.backward(al, y, caches)
        self.parameters = self.update_parameters(self.parameters, grads, lr)
        return c

    def fit(self, x, y, iterations: int, learning_rate: float | None = None) -> list[float]:
        """Run ``iterations`` full-batch steps; returns the cost before each one."""
        return [self.train_step(x, y, learning_rate) for _ in range(iterations)]

    def predict(self, x):
        al, _ = self.forward(x)
        return (al > 0.5).astype(np.int64)

    # ---- the comparison interface ----------------------------------------------------

    def column_spec(self) -> ColumnSpec:
        L = self.num_of_layers
        return ColumnSpec(
            weights=[self.parameters[f"W{l}"].copy() for l in range(1, L + 1)],
            biases=[self.parameters[f"b{l}"].copy() for l in range(1, L + 1)],
            activations=["relu"] * (L - 1) + ["sigmoid"],
            loss="bce",
        )

    def load_column_spec(self, spec: ColumnSpec) -> None:
        for l in range(1, self.num_of_layers + 1):
            self.parameters[f"W{l}"] = spec.weights[l - 1].copy()
            self.parameters[f"b{l}"] = spec.biases[l - 1].copy()

    def data_to_columns(self, X, Y):
        return np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)

    def hand_gradients(self, X, Y) -> dict:
        X, Y = self.data_to_columns(X, Y)
        al, caches = self.forward(X)
        grads = self.backward(al, Y, caches)
        m = X.shape[1]
        out = {}
        for l in range(1, self.num_of_layers + 1):
            out[f"W{l}"] = grads[f"dW{l}"]
            out[f"b{l}"] = grads[f"db{l}"]
        out["X"] = grads["dA0"] / m  # dA0 is m * d(cost)/dX (summed-loss convention)
        return out

    def gradients_from_columns(self, grads: dict) -> dict:
        return dict(grads)


def make_moons_like(m: int = 40, seed: int = 0):
    """A small seeded binary data set, column-major: ``x`` (2, m) and ``y`` (1, m).

    Two noisy interleaved arcs, labelled 0 and 1.
    """
    rng = np.random.default_rng(seed)
    n0 = m // 2
    n1 = m - n0
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    arc0 = np.stack([np.cos(t0), np.sin(t0)])
    arc1 = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    x = np.concatenate([arc0, arc1], axis=1) + rng.normal(0.0, 0.1, size=(2, m))
    y = np.concatenate([np.zeros(n0), np.ones(n1)]).reshape(1, m)
    perm = rng.permutation(m)
    return x[:, perm], y[:, perm]


def example(seed: int = 0, m: int = 40, layer_dims=(2, 5, 4, 1)):
    """A small seeded network and data set: ``(network, x, y)``."""
    x, y = make_moons_like(m, seed)
    return DeepNeuralNetwork(list(layer_dims), learning_rate=0.5, seed=seed), x, y
