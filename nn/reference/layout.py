"""Conversions between the two array layouts the documents use.

Column-major ("columns"): the Rust series, the course lesson and the NumPy derivation.

* data ``X``: ``(features, examples)``; one example is one column;
* weights ``W``: ``(out, in)``, so a layer computes ``Z = W @ A_prev + b``;
* biases ``b``: ``(out, 1)``, broadcast across the columns.

Row-major ("rows"): the "from scratch" book.

* data ``X``: ``(samples, features)``; one sample is one row;
* weights: ``(in, out)`` (the book's ``Layer_Dense`` keeps ``(n_inputs, n_neurons)``),
  so a layer computes ``Z = X @ W + b``;
* biases: ``(1, out)``, broadcast across the rows.

The two layouts hold the same numbers: ``W_columns == W_rows.T`` and so on. Every
function here is therefore a transpose, but a named and checked one, so that comparison
code says *what* it converts instead of sprinkling ``.T`` around. Each function checks
the shape it is given, so a bias passed where a weight was expected fails loudly.

The API's ``nn.Linear`` keeps ``weight`` as ``(out, in)`` (the column-major weight) and
``bias`` as a flat ``(out,)`` vector: :func:`bias_to_flat` / :func:`bias_from_flat`
cover that last difference.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "examples_to_columns",
    "examples_to_rows",
    "weight_to_columns",
    "weight_to_rows",
    "bias_to_columns",
    "bias_to_rows",
    "bias_to_flat",
    "bias_from_flat",
    "layer_to_columns",
    "layer_to_rows",
    "one_hot",
]


def _matrix(a, what: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array, got shape {arr.shape}")
    return arr


# ---- data ------------------------------------------------------------------------------


def examples_to_columns(X_rows) -> np.ndarray:
    """``(samples, features)`` -> ``(features, examples)``."""
    return _matrix(X_rows, "row-major data").T.copy()


def examples_to_rows(X_columns) -> np.ndarray:
    """``(features, examples)`` -> ``(samples, features)``."""
    return _matrix(X_columns, "column-major data").T.copy()


# ---- weights ---------------------------------------------------------------------------


def weight_to_columns(W_rows) -> np.ndarray:
    """Book weight ``(in, out)`` -> column-major weight ``(out, in)``."""
    return _matrix(W_rows, "row-major weight").T.copy()


def weight_to_rows(W_columns) -> np.ndarray:
    """Column-major weight ``(out, in)`` -> book weight ``(in, out)``."""
    return _matrix(W_columns, "column-major weight").T.copy()


# ---- biases ----------------------------------------------------------------------------


def bias_to_columns(b_rows) -> np.ndarray:
    """Row bias ``(1, out)`` -> column bias ``(out, 1)``."""
    b = _matrix(b_rows, "row-major bias")
    if b.shape[0] != 1:
        raise ValueError(f"a row-major bias has shape (1, out), got {b.shape}")
    return b.T.copy()


def bias_to_rows(b_columns) -> np.ndarray:
    """Column bias ``(out, 1)`` -> row bias ``(1, out)``."""
    b = _matrix(b_columns, "column-major bias")
    if b.shape[1] != 1:
        raise ValueError(f"a column-major bias has shape (out, 1), got {b.shape}")
    return b.T.copy()


def bias_to_flat(b_columns) -> np.ndarray:
    """Column bias ``(out, 1)`` -> flat ``(out,)`` (the API's ``nn.Linear.bias``)."""
    b = _matrix(b_columns, "column-major bias")
    if b.shape[1] != 1:
        raise ValueError(f"a column-major bias has shape (out, 1), got {b.shape}")
    return b[:, 0].copy()


def bias_from_flat(b_flat) -> np.ndarray:
    """Flat ``(out,)`` -> column bias ``(out, 1)``."""
    b = np.asarray(b_flat)
    if b.ndim != 1:
        raise ValueError(f"a flat bias must be 1-D, got shape {b.shape}")
    return b.reshape(-1, 1).copy()


# ---- whole layers ----------------------------------------------------------------------


def layer_to_columns(W_rows, b_rows) -> tuple[np.ndarray, np.ndarray]:
    """Book layer ``(W (in, out), b (1, out))`` -> ``(W (out, in), b (out, 1))``."""
    W, b = weight_to_columns(W_rows), bias_to_columns(b_rows)
    if W.shape[0] != b.shape[0]:
        raise ValueError(f"weight {W.shape} and bias {b.shape} disagree on the output size")
    return W, b


def layer_to_rows(W_columns, b_columns) -> tuple[np.ndarray, np.ndarray]:
    """Column-major layer ``(W (out, in), b (out, 1))`` -> ``(W (in, out), b (1, out))``."""
    W, b = weight_to_rows(W_columns), bias_to_rows(b_columns)
    if W.shape[1] != b.shape[1]:
        raise ValueError(f"weight {W.shape} and bias {b.shape} disagree on the output size")
    return W, b


# ---- labels ----------------------------------------------------------------------------


def one_hot(labels, n_classes: int | None = None, layout: str = "rows") -> np.ndarray:
    """Integer class labels -> float64 one-hot targets.

    ``layout="rows"`` gives ``(samples, classes)`` (the book), ``layout="columns"`` gives
    ``(classes, examples)`` (the course lesson).
    """
    y = np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got {y.dtype} {y.shape}")
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got {y.min()}..{y.max()}")
    Y = np.zeros((y.size, n_classes), dtype=np.float64)
    Y[np.arange(y.size), y] = 1.0
    if layout == "rows":
        return Y
    if layout == "columns":
        return examples_to_columns(Y)
    raise ValueError(f"layout must be 'rows' or 'columns', got {layout!r}")
