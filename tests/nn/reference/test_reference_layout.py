"""nn.reference.layout: the column-major <-> row-major conversions."""

from __future__ import annotations

import numpy as np
import pytest

from nn.reference import book_chapter as bc
from nn.reference import layout


def test_data_round_trip_and_orientation():
    rng = np.random.default_rng(0)
    X_rows = rng.normal(size=(5, 3))  # 5 samples, 3 features
    X_cols = layout.examples_to_columns(X_rows)
    assert X_cols.shape == (3, 5)
    assert np.array_equal(X_cols[:, 2], X_rows[2])  # sample 2 is column 2
    assert np.array_equal(layout.examples_to_rows(X_cols), X_rows)


def test_layer_conversion_preserves_the_forward_pass():
    rng = np.random.default_rng(1)
    X_rows = rng.normal(size=(6, 4))
    W_rows, b_rows = rng.normal(size=(4, 3)), rng.normal(size=(1, 3))  # book: (in, out)
    W_cols, b_cols = layout.layer_to_columns(W_rows, b_rows)
    assert W_cols.shape == (3, 4) and b_cols.shape == (3, 1)
    Z_rows = X_rows @ W_rows + b_rows
    Z_cols = W_cols @ layout.examples_to_columns(X_rows) + b_cols
    assert np.allclose(layout.examples_to_rows(Z_cols), Z_rows, rtol=0, atol=1e-14)
    W_back, b_back = layout.layer_to_rows(W_cols, b_cols)
    assert np.array_equal(W_back, W_rows) and np.array_equal(b_back, b_rows)


def test_conversions_copy():
    W = np.arange(6.0).reshape(2, 3)
    out = layout.weight_to_rows(W)
    out[0, 0] = 100.0
    assert W[0, 0] == 0.0


def test_bias_flat_round_trip():
    b = np.array([[1.0], [2.0], [3.0]])
    flat = layout.bias_to_flat(b)
    assert flat.shape == (3,)
    assert np.array_equal(layout.bias_from_flat(flat), b)


@pytest.mark.parametrize(
    "fn,arg",
    [
        (layout.bias_to_columns, np.zeros((3, 1))),  # already a column
        (layout.bias_to_rows, np.zeros((1, 3))),  # already a row
        (layout.bias_to_flat, np.zeros((1, 3))),
        (layout.bias_from_flat, np.zeros((3, 1))),
        (layout.examples_to_columns, np.zeros(4)),  # 1-D data
        (layout.weight_to_rows, np.zeros((2, 2, 2))),
    ],
)
def test_wrong_shapes_raise(fn, arg):
    with pytest.raises(ValueError):
        fn(arg)


def test_layer_with_mismatched_bias_raises():
    with pytest.raises(ValueError):
        layout.layer_to_columns(np.zeros((4, 3)), np.zeros((1, 2)))
    with pytest.raises(ValueError):
        layout.layer_to_rows(np.zeros((3, 4)), np.zeros((2, 1)))


def test_one_hot_in_both_layouts():
    y = np.array([2, 0, 1, 2])
    rows = layout.one_hot(y, 3)
    cols = layout.one_hot(y, 3, layout="columns")
    assert rows.shape == (4, 3) and cols.shape == (3, 4)
    assert np.array_equal(np.argmax(rows, axis=1), y)
    assert np.array_equal(np.argmax(cols, axis=0), y)
    assert rows.dtype == np.float64 and rows.sum() == 4
    with pytest.raises(ValueError):
        layout.one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError):
        layout.one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError):
        layout.one_hot(y, 3, layout="diagonal")


def test_book_network_round_trips_through_the_column_spec():
    net, X, y = bc.example(seed=2)
    spec = net.column_spec()
    assert [W.shape for W in spec.weights] == [(8, 2), (3, 8)]
    other = bc.BookNetwork([2, 8, 3], seed=99)
    other.load_column_spec(spec)
    for a, b in zip(net.dense, other.dense, strict=True):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.biases, b.biases)
    # the column-major forward on the converted spec gives the book's probabilities
    net.forward(X, y)
    A = layout.examples_to_columns(X)
    for W, b, act in zip(spec.weights, spec.biases, spec.activations, strict=True):
        Z = W @ A + b
        if act == "relu":
            A = np.maximum(Z, 0)
        else:
            E = np.exp(Z - Z.max(axis=0))
            A = E / E.sum(axis=0)
    assert np.allclose(layout.examples_to_rows(A), net.loss_activation.output, rtol=0, atol=1e-14)
