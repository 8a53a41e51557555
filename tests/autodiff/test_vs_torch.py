"""Optional cross-check: composite expressions give PyTorch's float64 values and grads.

Skipped when torch is not installed; it is never needed to use or test the library.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
from autodiff import Tensor

torch = pytest.importorskip("torch")


def run_both(expression, arrays):
    """Evaluate `expression(lib, *inputs)` in autodiff and in torch (float64), backprop
    fixed random output weights, and return both results and both sets of grads."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = expression(OURS, *ours)
    ref = expression(TORCH, *theirs)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * weights).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    return out.data, ref.detach().numpy(), [t.grad for t in ours], \
        [t.grad.numpy() for t in theirs]


class OURS:
    """The few functions whose spelling differs between the two libraries."""

    concatenate = staticmethod(autodiff.concatenate)
    stack = staticmethod(autodiff.stack)
    where = staticmethod(autodiff.where)

    @staticmethod
    def max(x, axis):
        return x.max(axis=axis)

    @staticmethod
    def sum(x, axis, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def logsumexp(x, axis):
        return x.logsumexp(axis)

    @staticmethod
    def leaky_relu(x, slope):
        return x.leaky_relu(slope)

    @staticmethod
    def clip(x, lo, hi):
        return x.clip(lo, hi)

    @staticmethod
    def norm(x, axis):
        return x.norm(2, axis)

    @staticmethod
    def std(x, axis, ddof):
        return x.std(axis, ddof)


class TORCH:
    @staticmethod
    def concatenate(xs, axis=0):
        return torch.cat(xs, dim=axis)

    @staticmethod
    def stack(xs, axis=0):
        return torch.stack(xs, dim=axis)

    @staticmethod
    def where(cond, a, b):
        return torch.where(torch.as_tensor(cond), a, b)

    @staticmethod
    def max(x, axis):
        return x.amax(dim=axis)

    @staticmethod
    def sum(x, axis, keepdims=False):
        return x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def logsumexp(x, axis):
        return torch.logsumexp(x, dim=axis)

    @staticmethod
    def leaky_relu(x, slope):
        return torch.nn.functional.leaky_relu(x, slope)

    @staticmethod
    def clip(x, lo, hi):
        return x.clamp(lo, hi)

    @staticmethod
    def norm(x, axis):
        return x.norm(dim=axis)

    @staticmethod
    def std(x, axis, ddof):
        return x.std(dim=axis, correction=ddof)


COND = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, True]])

EXPRESSIONS = {
    "mlp-cross-entropy": (
        lambda lib, x, w1, b1, w2: -(
            ((x @ w1 + b1).tanh() @ w2).log_softmax(-1)[np.arange(4), np.array([0, 2, 1, 2])]
        ).mean(),
        [(4, 3), (3, 5), (5,), (5, 3)],
    ),
    "broadcast-reductions": (
        lambda lib, a, b, c: lib.max(a * b + c, 1) / lib.sum((a - c) ** 2, (0, 1), True).sqrt(),
        [(2, 3, 4), (3, 1), (4,)],
    ),
    "batched-matmul-softmax": (
        lambda lib, q, k: (q @ k.mT * 0.5).softmax(-1),
        [(2, 3, 4), (2, 5, 4)],
    ),
    "matmul-broadcast-batch-and-vector": (
        lambda lib, a, b, v: (a @ b) @ v + (v @ b.sum(0).mT)[:3],
        [(2, 1, 3, 4), (5, 4, 4), (4,)],
    ),
    "elementwise-zoo": (
        lambda lib, x, y: lib.leaky_relu(x, 0.1) * y.sigmoid() + (x * y).sin().abs()
        + lib.clip(x, -0.5, 0.5) * y.exp() - (y * y + 1).log() + x.cos().relu(),
        [(3, 4), (3, 4)],
    ),
    "indexing-and-joining": (
        lambda lib, x, y: lib.concatenate([x[np.array([0, 0, 2])], lib.stack([y, y * 2])],
                                          axis=0)[:, 1:] * x[None, 1, :2],
        [(3, 3), (3,)],
    ),
    "norm-and-std": (
        lambda lib, x, y: lib.norm(x * y, 1) * lib.std(x, 0, 1).sum()
        + lib.norm(y, None) / lib.std(y - x, (0, 1), 0),
        [(3, 4), (3, 4)],
    ),
    "steps-and-remainders": (  # (torch differentiates neither // nor number % tensor)
        lambda lib, x, y: (x % (y + 3)) * y + (x * 3).floor() * y + (y * 2).ceil() * x
        + y.sign() * x + (x * 5).round() * y,
        [(3, 4), (3, 4)],
    ),
    "where-logsumexp-pow": (
        lambda lib, x, y: lib.logsumexp(lib.where(COND, x, y * 3), 0)
        + (y**2).mean() + (x * x + 1) ** 0.75,
        [(3, 4), (3, 4)],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_values_and_grads_equal_pytorch_float64(name):
    expression, shapes = EXPRESSIONS[name]
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    out, ref, grads, ref_grads = run_both(expression, arrays)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    for g, r in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


def test_max_at_ties_splits_like_torch_amax():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    ours.max(axis=1).sum().backward()
    theirs.amax(dim=1).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())


def test_hessian_vector_products_equal_pytorch():
    rng = np.random.default_rng(2)
    x0, v = rng.standard_normal(5), rng.standard_normal(5)
    a = rng.standard_normal((5, 5))

    def f(x, lib_matmul):
        return (lib_matmul(x, a) * x).tanh().sum() + x.softmax(-1).log().sum() * 0.1

    x = Tensor(x0, requires_grad=True)
    f(x, lambda p, q: p @ q).backward(create_graph=True)
    g = x.grad
    x.grad = None
    (g * v).sum().backward()

    t = torch.tensor(x0, requires_grad=True)
    (tg,) = torch.autograd.grad(f(t, lambda p, q: p @ torch.tensor(q)), t, create_graph=True)
    (hv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), t)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, hv.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x, lo, hi", [
    ([0.0, 1.0, 2.0, 3.0], [np.nan, 1.0, 1.0, 1.0], [2.0, 2.0, np.nan, 2.0]),  # nan bounds
    ([np.nan, -1.0, 5.0, 1.0], [0.0, 0.0, 0.0, 1.0], [2.0, 2.0, 2.0, 1.0]),  # nan x, lo == hi
    ([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [0.0, 0.0, 0.0]),  # crossed bounds: hi wins
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),  # ties: x's gradient
])
def test_clamp_with_tensor_bounds_equals_torch_at_nans_ties_and_crossed_bounds(x, lo, hi):
    def clamp(lib, x, lo, hi):
        return x.clamp(lo, hi)

    out, ref, grads, ref_grads = run_both(clamp, [np.array(x), np.array(lo), np.array(hi)])
    np.testing.assert_array_equal(out, ref)
    for ours, theirs in zip(grads, ref_grads, strict=True):
        np.testing.assert_array_equal(ours, theirs)
