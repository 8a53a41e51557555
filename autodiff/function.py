"""User-defined ops: subclass `Function` with a forward and a backward on NumPy arrays."""

from __future__ import annotations

import inspect

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

    The saved arrays are the forward's own, not copies. An input changed in place after
    the op ran (`x -= 1` under no_grad, an optimizer's step) makes a backward through
    the op raise, as PyTorch's version counters do, and so does a change to the op's
    result if backward saved it; a change through `x.data` is not seen, and backward
    then uses the new values. The same holds for the built-in ops.
    """

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._released = False
        self.needs_input_grad: tuple[bool, ...] = ()
        self._input_shapes: tuple[tuple[int, ...], ...] = ()  # the engine's, not public

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
    several), None for an input that needs none, each of its input's shape (an array;
    a Tensor counts as its array), or of a shape the input was broadcast to, which is
    summed back. `forward` returns one array. Check it with `autodiff.gradcheck`.

    `forward` gets the inputs' own arrays: it must not change them in place (`x += 1`),
    which would change the user's tensor and the point gradcheck differences at. Compute
    a new array (`x + 1`) instead; PyTorch's `mark_dirty` has no counterpart here.

    As backward works on arrays, it can be differentiated only once (a PyTorch Function
    marked `once_differentiable`): under `create_graph=True` its gradients are Tensors
    with the right values, and a second derivative that would have to pass through them
    raises RuntimeError, rather than silently taking them as constants. Write the op
    with Tensor operations to get its second derivatives.
    """

    is_function = True

    @classmethod
    def apply(cls, *inputs, **named):
        """Run the op on Tensors. Other arguments (arrays, numbers, None, a tuple of
        axes, a str...) are constants, passed to forward as they are. An output that is
        not a float array (an index from argmax, say) does not require grad.

        Arguments may also be named, by forward's parameter names (as PyTorch's apply
        takes them): they are passed by position, those between left out taking
        forward's defaults, and backward returns a gradient (or None) for each."""
        if cls.forward is Op.forward:
            raise TypeError(f"{cls.__name__} must define @staticmethod "
                            "forward(ctx, *inputs)")
        if named:
            inputs = _by_position(cls, inputs, named)
        for x in inputs:
            if isinstance(x, Node) and not isinstance(x, Tensor):
                raise TypeError(f"{cls.__name__}.apply: Functions work on Tensors, got a "
                                f"{type(x).__name__} (autodiff.grad and its kin make a "
                                "Value of a Python number: pass np.array(x) for a Tensor)")
        for x in inputs:
            if isinstance(x, Tensor):
                return x._record(cls, inputs, {}, Context())
        raise TypeError(f"{cls.__name__}.apply: needs at least one Tensor among its inputs")

    @classmethod
    def _vjp(cls, ctx: Context, g, create_graph: bool, parents: tuple = ()):
        if cls.backward is Op.backward:  # (a forward-only Function is fine until here)
            raise TypeError(f"{cls.__name__} must define @staticmethod "
                            "backward(ctx, grad_output) to be differentiated")
        g_node = g
        if create_graph and isinstance(g, Node):  # functional.grad seeds a plain array
            g = g.data
        grads = cls.backward(ctx, g)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        # A Tensor returned (PyTorch habit, or saved inputs wrapped) counts as its array:
        # `.grad` and the rules upstream work on arrays.
        grads = [gi.data if isinstance(gi, Tensor) else gi for gi in grads]
        n_inputs = len(ctx._input_shapes)
        if len(grads) > n_inputs and all(gi is None for gi in grads[n_inputs:]):
            grads = grads[:n_inputs]  # extra Nones are allowed, as in PyTorch
        if len(grads) != n_inputs:
            raise ValueError(
                f"{cls.__name__}.backward returned {len(grads)} gradient"
                f"{'s' * (len(grads) != 1)} for {n_inputs} input{'s' * (n_inputs != 1)}"
            )
        for i, (gi, shape) in enumerate(zip(grads, ctx._input_shapes, strict=True)):
            if gi is None:
                continue
            if not isinstance(gi, (np.ndarray, np.generic, int, float)):
                raise TypeError(f"{cls.__name__}.backward returned a {type(gi).__name__} "
                                f"for input {i}; gradients are arrays (or None)")
            if np.asarray(gi).dtype.kind not in "fiu":
                raise TypeError(f"{cls.__name__}.backward returned a gradient of dtype "
                                f"{np.asarray(gi).dtype} for input {i}; gradients are real "
                                "numbers")
            if parents and not _differentiable_argument(parents[i]):
                raise ValueError(
                    f"{cls.__name__}.backward returned a gradient for input {i}, a "
                    f"{type(parents[i]).__name__}, which has none; return None for it "
                    "(only Tensors, arrays and numbers take gradients)")
            _check_shape(cls.__name__, i, gi, shape)
        # A `.grad` owns its memory (Tensor._added_grad copies views and shared arrays),
        # and backward may return an array it saved, or its input itself, which no such
        # test can tell from a fresh one: copied, so that updating the gradient leaves
        # that array alone.
        grads = [gi.copy() if isinstance(gi, np.ndarray) else gi for gi in grads]
        if create_graph:
            # Each gradient depends on the inputs and on the incoming gradient; recorded
            # so, a second backward reaches the op below and says why it cannot go on.
            sources = [p for p in (*parents, g_node) if isinstance(p, Node)]
            grads = tuple(None if gi is None else cls._gradient_op.apply(gi, *sources)
                          for gi in grads)
        return grads

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        cls._gradient_op = type(f"{cls.__name__}Gradient", (_OnceDifferentiable,),
                                {"name": f"{cls.__name__}.backward"})


class _OnceDifferentiable(Op):
    """A gradient that a Function's backward computed on arrays, recorded under
    create_graph=True as depending on the Function's inputs and incoming gradient.

    Its value is that gradient; its derivative is unknown, so backward through it raises.
    """

    name = "Function.backward"

    @staticmethod
    def forward(xp, grad, *sources):
        return grad

    @classmethod
    def apply(cls, grad, *sources):
        if not sources:  # nothing it depends on requires grad: a constant will do
            return Tensor(grad)
        return super().apply(grad, *sources)

    @classmethod
    def backward(cls, xp, g, out, grad, *sources):
        raise RuntimeError(
            f"backward through {cls.name}: a Function's backward works on NumPy arrays, "
            "so its result cannot be differentiated again (like a PyTorch Function "
            "marked once_differentiable). Write the op with Tensor operations to get "
            "its second derivatives."
        )


def _by_position(cls, inputs: tuple, named: dict) -> tuple:
    """apply's arguments, the named ones put in forward's positions."""
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]  # (ctx)
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    try:
        bound = inspect.signature(cls.forward).bind(None, *inputs, **named).arguments
    except TypeError as error:
        raise TypeError(f"{cls.__name__}.apply: {error}") from None
    given = [i for i, p in enumerate(parameters) if p.name in bound]
    result = []
    for p in parameters[:given[-1] + 1]:
        if p.kind not in kinds:
            raise TypeError(f"{cls.__name__}.apply: forward's parameter '{p.name}' is "
                            f"{'*' if p.kind is p.VAR_POSITIONAL else 'keyword-only'}, and "
                            "apply passes named arguments by position: name none of them "
                            "after it")
        result.append(bound[p.name] if p.name in bound else p.default)
    return tuple(result)


def _differentiable_argument(x) -> bool:
    """Whether a gradient may be returned for forward's argument `x` (and ignored for a
    constant): a Tensor, an array (a list is one) or a number, but not None, a str, a
    tuple of axes..."""
    return isinstance(x, (Tensor, np.ndarray, np.generic, int, float, list)) and not (
        isinstance(x, bool))


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
