"""Layers on Tensors: `Linear`, `Dropout`, `Sequential` and the multi-layer perceptron
`MLP`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from autodiff import Tensor, Value, linear
from autodiff.graph import check_flag

from . import init
from .activations import _node, get_activation
from .module import Module, as_array, positive_int, unexpected_arguments

__all__ = ["Linear", "Dropout", "Sequential", "MLP"]


def _as_input(x, layer: Module, dtype: np.dtype) -> Tensor:
    """`x` as a Tensor of `dtype`: arrays and lists become constant Tensors of it, and a
    Tensor of another dtype goes through `astype`, which keeps its gradient path (its
    .grad comes back in its own dtype)."""
    if isinstance(x, Tensor) and x.data.dtype == dtype:
        return x
    who = layer._label()  # built only here, off the path of Tensor inputs
    if dtype.kind != "f":
        # (a weight whose .data was set by hand to integers: the input, cast to them,
        # would be cut to integers)
        raise TypeError(f"{who}: its weight holds {dtype} data, not floats (was its "
                        ".data set to an integer array? give it floats, e.g. "
                        "layer.weight.data = np.asarray(w, dtype=float))")
    if isinstance(x, Tensor):
        return x.astype(dtype)
    if isinstance(x, Value):
        raise TypeError(f"{who}: got a Value; Tensor layers take Tensors or arrays (the "
                        "scalar networks of nn.scalar take Values)")
    array = as_array(x, "input", who)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected a Tensor or a numeric array, got "
                        f"{type(x).__name__} of dtype {array.dtype}")
    return Tensor(array.astype(dtype, copy=False))


def _float_dtype(dtype, who: str) -> np.dtype:
    """`dtype` as a NumPy float dtype, or a TypeError naming `who`."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # NumPy's "data type 'banana' not understood" names nothing
        raise TypeError(f"{who}: dtype must be a float dtype such as np.float32, got "
                        f"{dtype!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"{who}: dtype must be a float dtype, got {dtype}")
    return dtype


class Linear(Module):
    """A fully connected layer: y = x @ weight.T + bias.

    The parameters are initialised as PyTorch does (Kaiming-uniform with a = sqrt(5)):
    weight and bias are both drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)),
    the weight first.

    Args:
        in_features: the width of the input, >= 1.
        out_features: the width of the output, >= 1.
        bias: whether to add a learned bias.
        dtype: the parameters' float dtype.
        seed: None (fresh entropy), an int (the same int gives the same layer every
            time) or a `numpy.random.Generator` (used and advanced).
        rng: another name for `seed`.

    Attributes:
        weight: Tensor of shape (out_features, in_features).
        bias: Tensor of shape (out_features,), or None.

    Input (batch, in_features) (or (in_features,), or (..., in_features)); output
    (batch, out_features) (matching).

    The input is cast to the weight's dtype, as in Keras and Flax (PyTorch refuses a
    mismatch): a float32 layer given float64, int or bool data computes in float32,
    rather than in float64 by NumPy's promotion. A Tensor input is cast with
    `astype`, so one that requires grad keeps its gradient path and gets its `.grad`
    in its own dtype.

    Raises:
        TypeError: a size is not an int, `bias` is not True or False, or `dtype` is not
            a float dtype.
        ValueError: a size is < 1. When called: the input's last axis is not
            `in_features` wide (the message names the layer and both shapes).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=np.float64, seed=None, *, rng=None, **unknown) -> None:
        super().__init__()
        who = "Linear"
        if unknown:  # (Python's error would not say that device= is PyTorch's)
            raise unexpected_arguments(who, (), unknown, "in_features, out_features, "
                                       "bias, dtype, seed and rng")
        self.in_features = positive_int(in_features, "in_features", who)
        self.out_features = positive_int(out_features, "out_features", who)
        bias = check_flag(bias, who, "bias")
        dtype = _float_dtype(dtype, who)
        if seed is not None and rng is not None:
            raise TypeError(f"{who}: give seed or rng, not both")
        generator = init.generator(seed if rng is None else rng, who)
        self.weight = Tensor(np.empty((self.out_features, self.in_features), dtype=dtype),
                             requires_grad=True, label="weight")
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), seed=generator)
        if bias:
            self.bias = Tensor(np.empty(self.out_features, dtype=dtype), requires_grad=True,
                               label="bias")
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound, seed=generator)
        else:
            self.bias = None

    def forward(self, x) -> Tensor:
        # Cast to the weight's dtype, as Keras and Flax do (PyTorch refuses the mismatch):
        # NumPy would promote a float32 layer's product with float64 data (every nn.data
        # set) to float64, silently, at twice the cost.
        x = _as_input(x, self, self.weight.data.dtype)
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self._label()}: expected input of shape (batch, "
                             f"{self.in_features}), got {x.shape}")
        return linear(x, self.weight, self.bias)

    def _label(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Dropout(Module):
    """Zero each element with probability `p` in training mode, scaling the rest by
    1 / (1 - p) ("inverted dropout", as PyTorch), so the expected output is the input.

    In evaluation mode (`model.eval()`), and for p = 0, it is the identity: a Tensor
    input is returned itself (an array as a constant Tensor). A fresh mask is drawn on
    every call, from the module's own generator; the gradient is the mask times
    1 / (1 - p), so a dropped element gets none.

    Args:
        p: the probability of dropping an element, in [0, 1).
        seed: None (fresh entropy), an int (the same int gives the same masks, call
            after call, every time) or a `numpy.random.Generator` (used and advanced),
            as for `Linear`.

    Raises:
        TypeError: `p` is not a real number.
        ValueError: `p` is outside [0, 1) (p = 1 would drop everything).
    """

    def __init__(self, p: float = 0.5, seed=None, **unknown) -> None:
        super().__init__()
        if unknown:  # (Python's error would not say that inplace= is PyTorch's)
            raise unexpected_arguments("Dropout", (), unknown, "p and seed")
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a real number, got {type(p).__name__}: "
                            f"{p!r}")
        if not 0 <= p < 1:  # (NaN fails too)
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}"
                             + (" (p=1 would drop every element)" if p == 1 else ""))
        self.p = float(p)
        # seed=None: each call draws from nn's generator then (nn.manual_seed's, if
        # set since, as torch.manual_seed resets every dropout's masks)
        self._generator = None if seed is None else init.generator(seed, "Dropout")

    def forward(self, x):
        x = _node(x, "Dropout")
        if not self.training or self.p == 0.0:
            return x
        shape = x.data.shape if isinstance(x, Tensor) else ()
        dtype = x.data.dtype if isinstance(x, Tensor) and x.dtype.kind == "f" else None
        rng = self._generator if self._generator is not None else init.generator(None)
        keep = rng.random(shape) >= self.p
        # a constant factor: the gradient is the same mask, scaled alike
        scale = np.asarray(keep / (1.0 - self.p), dtype=dtype)
        return x * (scale if isinstance(x, Tensor) else float(scale))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after the other: `Sequential(a, b, c)(x) == c(b(a(x)))`.

    Parameters are named by position, as in PyTorch: `0.weight`, `2.bias`. A slice
    keeps the positions' names (`model[1:]` of three modules has members `1` and `2`),
    so its state_dict's keys are those of the whole model, and `append` names the new
    member one past the largest name.

    Args:
        *modules: the modules (or plain functions of one argument), in order.

    Raises:
        TypeError: an argument is neither a Module nor callable.
    """

    def __init__(self, *modules) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if isinstance(m, type):
                raise TypeError(f"Sequential: argument {i} is the class {m.__name__}, not a "
                                f"module; write {m.__name__}(...)")
            if not callable(m):
                raise TypeError(f"Sequential: argument {i} is not a Module or a function, "
                                f"got {type(m).__name__}")
        self._modules = list(modules)
        self._names = [str(i) for i in range(len(modules))]  # a slice keeps other ones

    def forward(self, x):
        for module in self._modules:
            x = module(x)
        return x

    def append(self, module) -> Sequential:
        """Add a module at the end; returns self."""
        if isinstance(module, type):
            raise TypeError(f"Sequential.append: got the class {module.__name__}; pass an "
                            f"instance, such as {module.__name__}()")
        if not callable(module):
            raise TypeError(f"Sequential.append: expected a Module, got "
                            f"{type(module).__name__}")
        # The largest name, kept with the number of names it was read from, so a run of
        # appends does not reread every name, while a copy sharing the list (copy.copy)
        # or a Sequential without it (one pickled before) reads them again.
        names = self._names
        kept = self.__dict__.get("_largest_name")
        largest = kept[1] if kept is not None and kept[0] == len(names) else max(
            map(int, names), default=-1)
        names.append(str(largest + 1))
        self._modules.append(module)
        self._largest_name = (len(names), largest + 1)
        return self

    def __getitem__(self, index):
        """The member at position `index`, or for a slice a Sequential of the members
        that keeps their names."""
        if isinstance(index, slice):
            part = Sequential(*self._modules[index])
            part._names = self._names[index]
            return part
        try:
            return self._modules[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for a Sequential "
                             f"of {len(self._modules)} modules") from None

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def _named_members(self):
        for name, module in zip(self._names, self._modules, strict=True):
            if isinstance(module, Module):
                yield name, module
        # and what a subclass adds as attributes (a temperature, an extra head)
        for name, member in super()._named_members():
            if name != "_modules" and not name.startswith("_modules."):
                yield name, member

    def _repr_members(self):
        extra = [(name, m) for name, m in super()._repr_members()
                 if name not in ("_modules", "_names", "_largest_name")]
        return list(zip(self._names, self._modules, strict=True)) + extra


class MLP(Module):
    """A multi-layer perceptron: Linear layers with an activation between them.

    `MLP([2, 16, 16, 1])` is Linear(2, 16), activation, Linear(16, 16), activation,
    Linear(16, 1), then `output_activation` if one is given. For classification with
    `CrossEntropyLoss`, leave the output as logits (no "softmax").

    Args:
        sizes: the widths, input first, output last; at least two ints >= 1.
        activation: the hidden activation: "relu", "leaky_relu", "tanh", "sigmoid" or a
            Module.
        output_activation: None (a linear output), one of the names above, "softmax",
            or a Module.
        seed: None, an int or a `numpy.random.Generator`; one generator initialises the
            layers in order, so an int gives the same network every time.
        dtype: the parameters' float dtype; inputs are cast to it (see `Linear`).
        bias: whether the layers have biases.

    Attributes:
        layers: the Linear layers (parameter names `layers.0.weight`, ...).
        activation, output_activation: the activation modules (output_activation may be
            None).

    Raises:
        TypeError, ValueError: bad sizes or an unknown activation name (listing the
            known ones).
    """

    def __init__(self, sizes: Sequence[int], activation="relu", output_activation=None,
                 seed=None, dtype=np.float64, bias: bool = True) -> None:
        super().__init__()
        if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
            sizes = sizes.tolist()  # widths computed with NumPy
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"MLP: sizes must be a list of ints such as [2, 16, 1], got "
                            f"{type(sizes).__name__}")
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output width, got "
                             f"{list(sizes)}")
        sizes = [positive_int(n, f"sizes[{i}]", "MLP") for i, n in enumerate(sizes)]
        bias = check_flag(bias, "MLP", "bias")
        dtype = _float_dtype(dtype, "MLP")
        hidden = get_activation(activation, output=False, who="MLP")
        if hidden is None:
            raise ValueError("MLP: activation cannot be None (hidden layers need one; use "
                             "a single Linear for a linear model)")
        output = get_activation(output_activation, output=True, who="MLP")
        generator = init.generator(seed, "MLP")
        self.sizes = sizes
        self.layers = [
            Linear(n_in, n_out, bias=bias, dtype=dtype, seed=generator)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False)
        ]
        self.activation = hidden
        self.output_activation = output

    def forward(self, x) -> Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = self.activation(x)
        if self.output_activation is not None:
            x = self.output_activation(x)
        return x

    def _label(self) -> str:
        return f"MLP({' -> '.join(map(str, self.sizes))})"

    def extra_repr(self) -> str:
        return "sizes=" + str(self.sizes)
