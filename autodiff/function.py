"""User-defined ops: subclass `Function` with a forward and a backward on NumPy arrays."""

from __future__ import annotations

import numpy as np

from .graph import Node
from .ops import Op
from .tensor import Tensor

__all__ = ["Function", "Context"]


class Context:
    """What a Function's forward leaves for its backward.

    `save_for_backward(*arrays)` stores arrays; `saved_tensors` returns them. Any other
    attribute may be set freely (`ctx.axis = axis`). `needs_input_grad` tells, per
    input, whether backward must compute its gradient.
    """

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._released = False
        self.needs_input_grad: tuple[bool, ...] = ()
        self.input_shapes: tuple[tuple[int, ...], ...] = ()

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward. Call it at most once, from inside forward."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(
                "saved_tensors: these buffers were freed by an earlier backward(); "
                "pass retain_graph=True to keep them"
            )
        return self._saved

    def _release(self) -> None:
        self._saved = ()
        self._released = True


class Function(Op):
    """A user-defined differentiable op on Tensors.

    Subclass it with two static methods working on NumPy arrays::

        class Cube(autodiff.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * 3 * x ** 2    # one gradient per input

        y = Cube.apply(t)

    `backward` returns one gradient per input of forward (a tuple when there are
    several), None for an input that needs none, each of its input's shape. Check it
    with `autodiff.gradcheck`. Under `create_graph=True` the gradient a Function returns
    is a constant: differentiating through its backward again gives zero.
    """

    is_function = True

    @classmethod
    def apply(cls, *inputs):
        """Run the op on Tensors (arrays and numbers are constants)."""
        for x in inputs:
            if isinstance(x, Node) and not isinstance(x, Tensor):
                raise TypeError(f"{cls.__name__}.apply: Functions work on Tensors, got a "
                                f"{type(x).__name__}")
        for x in inputs:
            if isinstance(x, Tensor):
                return x._record(cls, inputs, {}, Context())
        raise TypeError(f"{cls.__name__}.apply: needs at least one Tensor among its inputs")

    @classmethod
    def _vjp(cls, ctx: Context, g, create_graph: bool):
        if create_graph and isinstance(g, Node):  # functional.grad seeds a plain array
            g = g.data
        grads = cls.backward(ctx, g)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        n_inputs = len(ctx.needs_input_grad)
        if len(grads) != n_inputs:
            raise ValueError(
                f"{cls.__name__}.backward returned {len(grads)} gradients for "
                f"{n_inputs} inputs"
            )
        for i, (gi, shape) in enumerate(zip(grads, ctx.input_shapes, strict=True)):
            if gi is not None:
                _check_shape(cls.__name__, i, gi, shape)
        if create_graph:
            grads = tuple(None if gi is None else Tensor(gi) for gi in grads)
        return grads

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__


def _check_shape(name: str, i: int, grad: np.ndarray, shape: tuple) -> None:
    """A gradient must have its input's shape, or one the input was broadcast to."""
    try:
        fits = np.broadcast_shapes(np.shape(grad), shape) == np.shape(grad)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name}.backward returned a gradient of shape {np.shape(grad)} for input {i} "
            f"of shape {shape}"
        )
