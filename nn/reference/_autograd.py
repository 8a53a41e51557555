"""The autograd side of every comparison: the same cost, built from ``autodiff.Tensor``.

Only the public Tensor API is used (``Tensor(..., requires_grad=True)``, ``@``,
arithmetic, ``.sum()``, ``.mean()``, the elementwise activations, ``.softmax(axis)``,
``.log()``, ``.backward()`` and ``.grad``); no ``nn`` modules. ``autodiff`` is imported
when first needed, so ``import nn.reference`` works on its own.
"""

from __future__ import annotations

import numpy as np

from ._common import ColumnSpec


def _autodiff():
    import autodiff

    return autodiff


def _activate(Z, name: str, slope: float):
    if name == "relu":
        return Z.relu()
    if name == "sigmoid":
        return Z.sigmoid()
    if name == "leaky_relu":
        return Z.leaky_relu(slope)
    if name == "softmax":
        return Z.softmax(axis=0)  # column-major: one example per column
    raise ValueError(f"unknown activation {name!r}")


def cost_tensor(spec: ColumnSpec, X, Y, Ws, bs):
    """Build the cost of ``spec`` on column-major data as a one-element Tensor.

    ``X`` may be an array or a Tensor; ``Ws`` and ``bs`` are lists of Tensors.
    """
    ad = _autodiff()
    Yt = ad.Tensor(np.asarray(Y, dtype=np.float64))
    A = X
    for W, b, act in zip(Ws, bs, spec.activations, strict=True):
        A = _activate(W @ A + b, act, spec.slope)
    m = Yt.shape[1]
    if spec.loss == "bce":
        cost = -(Yt * A.log() + (1.0 - Yt) * (1.0 - A).log()).sum() / m
    elif spec.loss == "cce":
        cost = -(Yt * A.log()).sum() / m
    elif spec.loss == "mse":
        diff = A - Yt
        cost = (diff * diff).mean()
    else:
        raise ValueError(f"unknown loss {spec.loss!r}")
    if spec.l2:
        penalty = None
        for W in Ws:
            term = (W * W).sum()
            penalty = term if penalty is None else penalty + term
        cost = cost + penalty * (spec.l2 / (2.0 * m))
    return cost


def gradients(spec: ColumnSpec, X, Y) -> tuple[float, dict]:
    """Cost value and ``{'W1': .., 'b1': .., ..., 'X': ..}`` from ``autodiff``."""
    ad = _autodiff()
    Xt = ad.Tensor(np.array(X, dtype=np.float64), requires_grad=True)
    Ws = [ad.Tensor(W.astype(np.float64, copy=True), requires_grad=True) for W in spec.weights]
    bs = [ad.Tensor(b.astype(np.float64, copy=True), requires_grad=True) for b in spec.biases]
    cost = cost_tensor(spec, Xt, Y, Ws, bs)
    cost.backward()
    grads = {}
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        grads[f"W{l}"] = np.array(W.grad, dtype=np.float64)
        grads[f"b{l}"] = np.array(b.grad, dtype=np.float64)
    grads["X"] = np.array(Xt.grad, dtype=np.float64)
    return float(np.asarray(cost.data).reshape(-1)[0]), grads


def sgd_step(spec: ColumnSpec, X, Y, lr: float) -> ColumnSpec:
    """One step of plain SGD (``p <- p - lr * grad``) with autograd's gradients."""
    _, g = gradients(spec, X, Y)
    new = spec.copy()
    for l in range(len(spec)):
        new.weights[l] = spec.weights[l] - lr * g[f"W{l + 1}"]
        new.biases[l] = spec.biases[l] - lr * g[f"b{l + 1}"]
    return new
