"""Pieces shared by the four reference modules: the canonical description of a network
that the autograd side consumes, and the small interface every reference network offers
to :func:`nn.reference.compare_gradients`.

The canonical description is column-major (see :mod:`nn.reference.layout`): weights
``(out, in)``, biases ``(out, 1)``, data ``(features, examples)``. Canonical gradient names
are ``W1 .. WL``, ``b1 .. bL`` (layers counted from 1, as in the Rust series) and ``X`` for
the gradient with respect to the network input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "softmax", "leaky_relu")
LOSSES = ("bce", "cce", "mse")


@dataclass
class ColumnSpec:
    """A fully connected network in column-major layout, enough to rebuild its cost.

    ``loss`` is one of

    * ``"bce"``: ``-(1/m) sum(Y log A + (1 - Y) log(1 - A))`` over all entries;
    * ``"cce"``: ``-(1/m) sum(Y log A)`` over all entries (A are probabilities);
    * ``"mse"``: the mean of ``(A - Y)**2`` over all entries;

    with ``m`` the number of columns (examples). ``l2`` adds
    ``l2 / (2 m) * sum_l ||W_l||_F**2`` to the cost (0 means no such term).
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[str]
    loss: str
    slope: float = 0.01
    l2: float = 0.0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.weights) == len(self.biases) == len(self.activations)):
            raise ValueError("weights, biases and activations must have the same length")
        for a in self.activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}")
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if W.ndim != 2 or b.shape != (W.shape[0], 1):
                raise ValueError(
                    f"layer {i + 1}: weight {W.shape} and bias {b.shape} "
                    "are not (out, in) and (out, 1)"
                )

    def copy(self) -> ColumnSpec:
        return ColumnSpec(
            [W.copy() for W in self.weights],
            [b.copy() for b in self.biases],
            list(self.activations),
            self.loss,
            self.slope,
            self.l2,
            dict(self.extra),
        )

    def __len__(self) -> int:
        return len(self.weights)


def canonical_names(n_layers: int) -> list[str]:
    """``['W1', 'b1', 'W2', 'b2', ..., 'X']``: the order rows appear in a comparison table."""
    names = []
    for l in range(1, n_layers + 1):
        names += [f"W{l}", f"b{l}"]
    return names + ["X"]


def max_relative_difference(a, b) -> float:
    """``max|a - b|`` divided by the larger of ``max|a|`` and ``max|b|``.

    Scaling by the array's largest entry (rather than entry by entry) keeps exact zeros,
    such as the gradient of a ReLU unit that is off for every example, from turning a
    rounding-level difference into a huge "relative" one. Two all-zero arrays differ by 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(a - b))) / scale


class ReferenceNetwork:
    """What :func:`nn.reference.compare_gradients` needs from a document's network.

    Subclasses implement:

    * ``column_spec()``: the current parameters as a :class:`ColumnSpec` (converted with
      :mod:`nn.reference.layout` where the document is row-major);
    * ``data_to_columns(X, Y)``: the data as ``(features, examples)`` arrays;
    * ``hand_gradients(X, Y)``: the document's hand-written backward pass, returned as a
      dict ``{display name: gradient}`` in the document's own layout, with the cost's
      gradient for every parameter and for the input;
    * ``gradients_from_columns(grads)``: canonical (column-major, ``W1 .. X``) gradients
      -> the same dict keys and layout as ``hand_gradients``.
    """

    document = ""  # file name and title of the source document

    def column_spec(self) -> ColumnSpec:  # pragma: no cover - interface
        raise NotImplementedError

    def data_to_columns(self, X, Y):  # pragma: no cover - interface
        raise NotImplementedError

    def hand_gradients(self, X, Y) -> dict:  # pragma: no cover - interface
        raise NotImplementedError

    def gradients_from_columns(self, grads: dict) -> dict:  # pragma: no cover - interface
        raise NotImplementedError
