"""Shared helpers for the reference-backprop tests: our own central finite differences,
a relative-difference measure, and autograd vector-Jacobian products through the Tensor
API. Exposed as fixtures so the tests import nothing from this directory by path."""

from __future__ import annotations

import numpy as np
import pytest


def central_difference(f, array, eps: float = 1e-6) -> np.ndarray:
    """d f / d array by central differences, entry by entry; ``array`` is restored."""
    array = np.asarray(array)
    grad = np.zeros(array.shape, dtype=np.float64)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = float(array[idx])
        array[idx] = old + eps
        up = float(f())
        array[idx] = old - eps
        down = float(f())
        array[idx] = old
        grad[idx] = (up - down) / (2.0 * eps)
    return grad


def rel(a, b) -> float:
    """max|a - b| / max(max|a|, max|b|); inf when the shapes differ."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0.0 else float(np.max(np.abs(a - b)) / scale)


def autograd_vjp(op, Z, dA) -> np.ndarray:
    """Autograd's ``d/dZ sum(op(Z) * dA)`` (the vector-Jacobian product) with Tensors."""
    import autodiff

    Zt = autodiff.Tensor(np.array(Z, dtype=np.float64), requires_grad=True)
    out = (op(Zt) * autodiff.Tensor(np.asarray(dA, dtype=np.float64))).sum()
    out.backward()
    return np.array(Zt.grad, dtype=np.float64)


def numeric_vjp(f, Z, dA, eps: float = 1e-6) -> np.ndarray:
    """Central-difference ``d/dZ sum(f(Z) * dA)`` for a NumPy function ``f``."""
    Z = np.array(Z, dtype=np.float64)
    return central_difference(lambda: float(np.sum(f(Z) * dA)), Z, eps)


@pytest.fixture
def fd():
    return central_difference


@pytest.fixture
def reldiff():
    return rel


@pytest.fixture
def vjp():
    return autograd_vjp


@pytest.fixture
def num_vjp():
    return numeric_vjp


@pytest.fixture
def same_as_autograd(reldiff):
    """Check that hand-written gradients equal autograd's, name by name: the same names
    and shapes, relative difference at most 1e-10, and none of them trivially zero."""

    def check(hand: dict, auto: dict) -> None:
        assert set(hand) == set(auto)
        for name in auto:
            assert hand[name].shape == auto[name].shape, name
            assert reldiff(hand[name], auto[name]) <= 1e-10, name
            assert np.linalg.norm(auto[name]) > 0, name

    return check
