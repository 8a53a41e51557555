"""Reference backprop for "Neural networks fundamentals with Python - backpropagation"
(seed 003), in NumPy.

Layout and names follow the article: one sample at a time as a column vector ``x`` of
shape ``(ins, 1)``; a ``Layer`` holds ``_W`` ``(outs, ins)``, ``_b`` ``(outs, 1)`` and
``act_function`` (with ``f`` and its derivative ``df``); a ``NeuralNetwork`` holds
``_layers`` and ``_loss_function`` (with ``loss`` and its derivative ``dloss``).
The backward pass fills ``dxs``, ``dWs`` and ``dbs``, where ``dxs[i]`` is the gradient
for ``xs[i]`` and ``dWs[i]``, ``dbs[i]`` those for layer ``i``; ``train`` does the
backward loop and the SGD update in one sweep, as in the article.

``LeakyReLU`` and ``MSELoss`` come from the previous article of the series, which this
one builds on but does not repeat; we use what that article defines: ``f(x) = max(x,
a x)`` with ``a = 0.1``, ``df(x) = max(1[x > 0], a)``, the loss ``mean((v - t)^2)`` and
``dloss = 2 (v - t) / v.size``.

The article's mistakes are kept, runnable, for the tests (see ERRATA.md):

* :func:`pre_activation_as_written`: the mathematical notices write ``y = x W + b``,
  the product in the wrong order for column vectors (their chain-rule products are in
  row order too; ERRATA.md gives the column-order fix);
* :func:`unrolled_step_as_written`: the steps written for layers ``n-3`` and ``0`` use
  the activation ``f`` instead of ``df`` and the loss derivative of an inner activation,
  ``dL(xs[k+1], t)``, instead of the propagated ``dxs[k+1]``;
* :func:`backward_loop_as_written`: the generic loop multiplies by ``f(y)`` instead of
  ``df(y)``, and builds its lists from the last layer to the first.
"""

from __future__ import annotations

import numpy as np

from ._common import ColumnSpec, ReferenceNetwork

DOCUMENT = (
    "003_d5177f0920b71ff2.txt: Neural networks fundamentals with Python - "
    "backpropagation (derivation of backpropagation with NumPy)"
)


class LeakyReLU:
    def __init__(self, leaky_param: float = 0.1):
        self.leaky_param = leaky_param

    def f(self, x):
        return np.maximum(x, self.leaky_param * x)

    def df(self, x):
        return np.maximum(np.asarray(x) > 0, self.leaky_param).astype(np.float64)


class MSELoss:
    def loss(self, values, target) -> float:
        return float(np.mean((values - target) ** 2))

    def dloss(self, values, target):
        return 2.0 * (values - target) / values.size


class Layer:
    def __init__(self, ins: int, outs: int, act_function, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        self.ins, self.outs = ins, outs
        self.act_function = act_function
        self._W = rng.normal(0.0, 1.0 / np.sqrt(ins), size=(outs, ins))
        self._b = rng.normal(0.0, 0.1, size=(outs, 1))

    def forward_pass(self, x):
        return self.act_function.f(self._W @ x + self._b)


class NeuralNetwork(ReferenceNetwork):
    document = DOCUMENT

    def __init__(self, layers, loss_function, learning_rate: float = 0.001):
        self._layers = list(layers)
        self._loss_function = loss_function
        self.lr = learning_rate
        widths = [(layer.ins, layer.outs) for layer in self._layers]
        for i in range(1, len(widths)):
            if widths[i][0] != widths[i - 1][1]:
                raise ValueError(f"layer {i} takes {widths[i][0]} inputs but layer {i - 1} "
                                 f"gives {widths[i - 1][1]} outputs")

    def forward_pass(self, x):
        return self.forward_pass_xs(x)[-1]

    def forward_pass_xs(self, x):
        """The article's intermediate version: ``xs = [x, x1, ..., xn]``, each layer's
        input and then the output."""
        activations = [x]
        for layer in self._layers:
            activations.append(layer.forward_pass(activations[-1]))
        return activations

    def loss(self, values, target) -> float:
        return self._loss_function.loss(values, target)

    def backward(self, x, t):
        """``(xs, dxs, dWs, dbs)`` for one sample, every list indexed like the article's
        definitions: ``dxs[i]`` for ``xs[i]`` (``i = 0 .. n``), ``dWs[i]``/``dbs[i]`` for
        ``_layers[i]``.

            dxs[n] = dL(xs[n], t)
            y      = W_i xs[i] + b_i
            dbs[i] = df_i(y) * dxs[i+1]
            dxs[i] = W_i^T dbs[i]
            dWs[i] = dbs[i] xs[i]^T
        """
        _check_column(x)
        xs = self.forward_pass_xs(x)
        n = len(self._layers)
        dL = self._loss_function.dloss
        dxs = [None] * (n + 1)
        dWs = [None] * n
        dbs = [None] * n
        dxs[n] = dL(xs[n], t)
        for i in range(n - 1, -1, -1):
            layer = self._layers[i]
            y = layer._W @ xs[i] + layer._b
            dbs[i] = layer.act_function.df(y) * dxs[i + 1]
            dxs[i] = layer._W.T @ dbs[i]
            dWs[i] = dbs[i] @ xs[i].T
        return xs, dxs, dWs, dbs

    def train(self, x, t):
        """The article's final ``train``: derivatives and SGD update in one reverse sweep.

        ``dx`` for the next layer down is computed with ``_W`` *before* it is updated.
        """
        _check_column(x)
        *inputs, output = self.forward_pass_xs(x)
        upstream = self._loss_function.dloss(output, t)  # d loss / d output
        for k in reversed(range(len(self._layers))):
            layer, below = self._layers[k], inputs[k]
            delta = layer.act_function.df(layer._W @ below + layer._b) * upstream
            upstream = layer._W.T @ delta  # with W as it was before this step
            layer._W = layer._W - self.lr * (delta @ below.T)
            layer._b = layer._b - self.lr * delta

    # ---- the comparison interface ----------------------------------------------------

    def column_spec(self) -> ColumnSpec:
        slopes = {layer.act_function.leaky_param for layer in self._layers}
        if len(slopes) != 1 or not isinstance(self._loss_function, MSELoss):
            raise ValueError("the comparison expects LeakyReLU layers (one slope) and MSELoss")
        return ColumnSpec(
            weights=[layer._W.copy() for layer in self._layers],
            biases=[layer._b.copy() for layer in self._layers],
            activations=["leaky_relu"] * len(self._layers),
            loss="mse",
            slope=slopes.pop(),
        )

    def load_column_spec(self, spec: ColumnSpec) -> None:
        for layer, W, b in zip(self._layers, spec.weights, spec.biases, strict=True):
            layer._W, layer._b = W.copy(), b.copy()

    def data_to_columns(self, X, Y):
        return np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)

    def hand_gradients(self, X, Y) -> dict:
        x, t = self.data_to_columns(X, Y)
        _, dxs, dWs, dbs = self.backward(x, t)
        out = {}
        for i in range(len(self._layers)):
            out[f"Ws[{i}]"] = dWs[i]
            out[f"bs[{i}]"] = dbs[i]
        out["xs[0]"] = dxs[0]
        return out

    def gradients_from_columns(self, grads: dict) -> dict:
        out = {}
        for i in range(len(self._layers)):
            out[f"Ws[{i}]"] = grads[f"W{i + 1}"]
            out[f"bs[{i}]"] = grads[f"b{i + 1}"]
        out["xs[0]"] = grads["X"]
        return out


def _check_column(x) -> None:
    if np.ndim(x) != 2 or np.shape(x)[1] != 1:
        raise ValueError(f"the article works on one sample, a column (ins, 1); got {np.shape(x)}")


# ---- the article's equations as written ------------------------------------------------


def pre_activation_as_written(W, x, b, x_as_row: bool = False):
    """The notices' ``y = x W + b`` (ERRATUM N1).

    Literally (``x_as_row=False``), ``x @ W`` with a column ``x`` ``(ins, 1)`` and ``W``
    ``(outs, ins)`` is undefined unless ``outs == 1``, and NumPy raises ``ValueError``.
    For a layer with more than one output, the only reading under which ``x W``
    type-checks is ``x`` as a row, ``x^T W``
    (``x_as_row=True``); that needs a square ``W`` and yields ``W^T x`` (returned as a
    column), which is not the forward pass the code computes.
    """
    x = np.asarray(x)
    if x_as_row:
        return (x.T @ np.asarray(W)).T + b
    return x @ np.asarray(W) + b


def unrolled_step_as_written(k: int, xs, t, Ws, bs, fs, dL):
    """The article's step for layers ``n-3`` and ``0`` (ERRATUM N2), for layer ``k``::

        y = W_k xs[k] + b_k
        dbs[k] = f_k(y) * dL(xs[k+1], t)       # should be df_k(y) * dxs[k+1]
        dxs[k] = W_k^T dbs[k]
        dWs[k] = dbs[k] xs[k]^T

    ``dL(xs[k+1], t)`` needs ``xs[k+1]`` to have the target's shape, so this only runs
    when the layer widths equal the output width.
    """
    y = Ws[k] @ xs[k] + bs[k]
    db = fs[k](y) * dL(xs[k + 1], t)
    dx = Ws[k].T @ db
    dW = db @ xs[k].T
    return dx, dW, db


def backward_loop_as_written(xs, t, Ws, bs, fs, dL):
    """The article's generic loop (ERRATUM N3 and N4), returned as it builds them.

    It zips in ``fs`` and multiplies by ``f(y)`` where the chain rule needs ``df(y)``;
    and it appends from the last layer to the first, so ``dWs[0]`` belongs to the last
    layer and ``dxs[0]`` to ``xs[n]``. Passing the derivatives as ``fs`` isolates N4.
    """
    n = len(Ws)
    upstream = dL(xs[n], t)
    dxs, dWs, dbs = [upstream], [], []
    for k in range(n - 1, -1, -1):  # last layer first, appending as it goes
        pre = Ws[k] @ xs[k] + bs[k]
        db = fs[k](pre) * upstream  # f where df belongs (N3)
        upstream = Ws[k].T @ db
        dbs.append(db)
        dWs.append(db @ xs[k].T)
        dxs.append(upstream)
    return dxs, dWs, dbs


# ---- the four-quadrant demo ------------------------------------------------------------


def quadrant_data(N: int, seed: int = 0):
    """``N`` points uniform in ``[-2, 2]^2`` as columns ``(2, N)`` and targets ``(2, N)``:
    ``ts[0] = 1`` where ``x * y > 0`` (first and third quadrants), ``ts[1] = 1 - ts[0]``."""
    rng = np.random.default_rng(seed)
    data = rng.uniform(-2.0, 2.0, size=(2, N))
    same_sign = (data[0] * data[1] > 0).astype(np.float64)  # quadrants I and III
    return data, np.stack([same_sign, 1.0 - same_sign])


def build_quadrant_net(learning_rate: float = 0.05, seed: int = 0) -> NeuralNetwork:
    """The demo's network: 2 -> 3 -> 2, LeakyReLU, MSE."""
    rng = np.random.default_rng(seed)
    return NeuralNetwork(
        [Layer(2, 3, LeakyReLU(), rng), Layer(3, 2, LeakyReLU(), rng)], MSELoss(), learning_rate
    )


def assess(net: NeuralNetwork, data, ts) -> int:
    """How many columns the network's largest output puts in the right class."""
    correct = 0
    for i in range(data.shape[1]):
        guess = int(np.argmax(net.forward_pass(data[:, i : i + 1]).ravel()))
        correct += int(ts[guess, i] == 1)
    return correct


def quadrants_demo(
    N: int = 20_000, test_to: int = 1000, learning_rate: float = 0.05, seed: int = 0
):
    """Assess on the first ``test_to`` points, train one step per remaining point,
    assess again; returns ``(correct before, correct after, net)``."""
    data, ts = quadrant_data(N, seed)
    net = build_quadrant_net(learning_rate, seed)
    held_out = data[:, :test_to], ts[:, :test_to]
    before = assess(net, *held_out)
    for column in range(test_to, N):  # one SGD step per training point, in order
        net.train(data[:, [column]], ts[:, [column]])
    return before, assess(net, *held_out), net


def build_zero_net(learning_rate: float = 0.001, seed: int = 0) -> NeuralNetwork:
    """The first demo's network (2 -> 4 -> 4 -> 3, LeakyReLU, MSE) that should learn
    to output zeros."""
    rng = np.random.default_rng(seed)
    return NeuralNetwork(
        [
            Layer(2, 4, LeakyReLU(), rng),
            Layer(4, 4, LeakyReLU(), rng),
            Layer(4, 3, LeakyReLU(), rng),
        ],
        MSELoss(),
        learning_rate,
    )


def example(seed: int = 0):
    """The first demo's network and one sample: ``(net, x, t)`` (a nonzero target, so
    every gradient is exercised)."""
    rng = np.random.default_rng(seed + 1)
    net = build_zero_net(seed=seed)
    x = rng.normal(size=(2, 1))
    t = rng.normal(size=(3, 1))
    return net, x, t
