"""Activation functions as modules: `ReLU LeakyReLU Sigmoid Tanh Softmax` (and `Identity`).

Each one calls the Tensor method of the same name, so the graph shows one node per
activation. They have no parameters. Arrays and numbers are turned into Tensors; Tensors
and Values pass through as they are (the elementwise ones work on a `Value` too).
"""

from __future__ import annotations

import numbers

import numpy as np

from autodiff import Tensor, Value

from .module import Module, foreign_tensor, foreign_tensor_error

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Identity", "get_activation"]


def _node(x, who: str):
    """`x` as a Tensor or Value; arrays and numbers become constant Tensors."""
    if isinstance(x, (Tensor, Value)):
        return x
    if isinstance(x, (np.ndarray, np.generic, numbers.Real, list, tuple)):
        return Tensor(x)
    if foreign_tensor(x):  # read as an array if NumPy can (a torch tensor without grad)
        try:
            return Tensor(np.asarray(x))
        except (TypeError, RuntimeError):  # "got Tensor" would read as autodiff's own
            raise foreign_tensor_error(x, who) from None
    raise TypeError(f"{who}: expected a Tensor (or an array), got {type(x).__name__}")


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x):
        return _node(x, "ReLU").relu()


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x, elementwise.

    Args:
        negative_slope: the slope for x <= 0 (PyTorch's default 0.01).

    Raises:
        TypeError: `negative_slope` is not a real number.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"LeakyReLU(negative_slope) must be a real number, got "
                            f"{type(negative_slope).__name__}")
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return _node(x, "LeakyReLU").leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, x):
        return _node(x, "Sigmoid").sigmoid()


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return _node(x, "Tanh").tanh()


class Identity(Module):
    """x unchanged (a placeholder where an activation is optional)."""

    def forward(self, x):
        return x


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `axis`, computed without overflow.

    For training a classifier, prefer feeding the logits (no Softmax) to
    `CrossEntropyLoss`, which applies log_softmax itself, more stably.

    Args:
        axis: the axis whose entries sum to 1 (the last one by default, the classes of a
            (batch, classes) input).
        dim: PyTorch's name for `axis` (`Softmax(dim=1)`); give one of the two.

    Raises:
        TypeError: `axis` is not an int, or both `axis` and `dim` are given.
        ValueError: the input has no such axis (raised when called).
    """

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        name = "axis"
        if dim is not None:
            if axis is not None:
                raise TypeError(f"Softmax: give axis or dim (PyTorch's name for it), not "
                                f"both; got axis={axis!r} and dim={dim!r}")
            axis, name = dim, "dim"
        elif axis is None:  # (None, not -1, is the default: so that a -1 given is seen)
            axis = -1
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Softmax({name}) must be an int, got {type(axis).__name__}")
        self.axis = int(axis)

    def forward(self, x):
        x = _node(x, "Softmax")
        if not isinstance(x, Tensor):
            raise TypeError("Softmax: needs a Tensor (a softmax over a single Value is 1)")
        if not -max(x.ndim, 1) <= self.axis < max(x.ndim, 1):  # a 0-d one: 0 or -1
            raise ValueError(f"Softmax(axis={self.axis}): input of shape {x.shape} has no "
                             f"axis {self.axis}")
        return x.softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


_HIDDEN = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid}
_OUTPUT = {**_HIDDEN, "softmax": Softmax}


def get_activation(name, output: bool = False, who: str = "get_activation") -> Module | None:
    """The activation module called `name`.

    Args:
        name: "relu", "leaky_relu", "tanh", "sigmoid", "softmax" (only with `output`),
            None (no activation: returns None), or a Module (returned as it is).
        output: whether it is for the output layer, where "softmax" is allowed.
        who: the caller, named in errors.

    Raises:
        ValueError: an unknown name; the message lists the known ones.
        TypeError: `name` is neither a str, None nor a Module (a Module class is named
            as such: write ReLU(), not ReLU).
    """
    if name is None or isinstance(name, Module):
        return name
    if isinstance(name, type):  # PyTorch's habit: activation=nn.ReLU
        qualified = ("nn." if name.__module__.split(".")[0] == "nn" else "") + name.__name__
        raise TypeError(f"{who}: the activation is the class {name.__name__}, not a "
                        f"module; write {qualified}() (or give its name, such as 'relu')")
    if not isinstance(name, str):
        raise TypeError(f"{who}: an activation is a name (str), a Module or None, got "
                        f"{type(name).__name__}")
    table = _OUTPUT if output else _HIDDEN
    if name not in table:
        where = "output_activation" if output else "activation"
        hint = " ('softmax' is only for the output layer)" if name == "softmax" else ""
        raise ValueError(f"{who}: unknown {where} {name!r}{hint}; choose one of "
                         f"{sorted(table)}")
    return table[name]()
