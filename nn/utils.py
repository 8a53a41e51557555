"""Training helpers with PyTorch's names (`torch.nn.utils`): `clip_grad_norm_`.

Use between `loss.backward()` and `optimizer.step()`::

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from autodiff import Tensor, Value, no_grad

from .module import Module

__all__ = ["clip_grad_norm_"]


def _real(value: object, name: str, who: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a real number, got {type(value).__name__}: "
                        f"{value!r}")
    return float(value)


def _parameters(parameters, who: str) -> list:
    """The parameters as a list: a Module's, a single one in a list, or an iterable's."""
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, (Tensor, Value)):
        return [parameters]  # (a Tensor iterated would give its rows)
    if isinstance(parameters, (str, bytes, Mapping)) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"{who}: parameters must be a Module, a parameter or an iterable of "
                        f"them such as model.parameters(), got {type(parameters).__name__}")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, (Tensor, Value)):
            hint = (" (a (name, parameter) pair: pass model.parameters())"
                    if isinstance(p, tuple) else "")
            raise TypeError(f"{who}: parameter {i} is a {type(p).__name__}, not a Tensor or "
                            f"a Value{hint}")
    return params


@no_grad()
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                     error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of `parameters` in place so that their total norm is at most
    `max_norm`, as `torch.nn.utils.clip_grad_norm_` does.

    The total norm is the `norm_type`-norm of all the gradients taken as one vector
    (the norm of the per-parameter norms; the largest |g| for `norm_type=inf`). When it
    exceeds `max_norm`, every gradient is multiplied by max_norm / (total + 1e-6)
    (PyTorch's guard against dividing by 0); otherwise they are left as they are.
    Parameters whose `.grad` is None are skipped. A gradient is replaced by its scaled
    copy, not written into (the array backward gave may be read-only); an integer one
    (set by hand) by a float64 copy. Every gradient is checked before any is scaled.

    Args:
        parameters: a Module, a parameter, or an iterable of parameters (Tensors or
            the Values of `nn.scalar` networks), such as `model.parameters()`.
        max_norm: the largest total norm allowed, >= 0.
        norm_type: p of the p-norm, > 0, or `math.inf`.
        error_if_nonfinite: raise if the total norm is nan or inf (otherwise the
            gradients become nan, as in PyTorch).

    Returns:
        The total norm before clipping, as a 0-d float64 Tensor (`.item()` gives the
        number).

    Raises:
        TypeError: `parameters` holds something other than Tensors and Values, a
            `.grad` is not real numbers (complex, str), or `max_norm` or `norm_type` is
            not a real number.
        ValueError: `max_norm` is negative or nan, or `norm_type` is not > 0.
        RuntimeError: the total norm is not finite and `error_if_nonfinite` is True.
    """
    who = "clip_grad_norm_"
    params = _parameters(parameters, who)
    max_norm = _real(max_norm, "max_norm", who)
    norm_type = _real(norm_type, "norm_type", who)
    if not max_norm >= 0:
        raise ValueError(f"{who}: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"{who}: norm_type must be > 0 (or math.inf), got {norm_type}")
    with_grads, arrays = [], []
    for i, p in enumerate(params):  # every grad checked before any is scaled
        g = p.grad
        if g is None:
            continue
        # an array (or a list), a Tensor (after backward(create_graph=True)) or a
        # Value's number
        array = np.asarray(g.data if isinstance(g, Tensor) else g)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{who}: parameter {i}'s .grad has dtype {array.dtype}, not "
                            "real numbers; no gradient was scaled")
        with_grads.append(p)
        arrays.append(np.abs(array, dtype=np.float64))
    if not arrays:
        total = 0.0
    elif norm_type == math.inf:  # (np.max, not max(): a nan after the first is kept)
        total = float(np.max([a.max(initial=0.0) for a in arrays]))
    else:  # the norm of all the gradients as one vector
        total = float(sum(np.sum(a**norm_type) for a in arrays) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{who}: the total norm of order {norm_type} of the gradients "
                           f"is {total}, so they cannot be clipped; pass "
                           "error_if_nonfinite=False to go on (the gradients become nan)")
    coefficient = max_norm / (total + 1e-6)
    if coefficient >= 1.0:  # (nan goes on, and makes the gradients nan, as in torch)
        return Tensor(np.float64(total))
    for p in with_grads:
        g = p.grad
        if isinstance(g, (Tensor, numbers.Number)):  # after backward(create_graph=True),
            p.grad = g * coefficient  # or a Value's number
        else:  # in its own float dtype (a float32 one stays float32); an int one (set by
            # hand) becomes float64, as the scaled values are fractions
            g = np.asarray(g)
            p.grad = np.multiply(g, coefficient,
                                 dtype=g.dtype if g.dtype.kind == "f" else np.float64)
    return Tensor(np.float64(total))
