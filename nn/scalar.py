"""Networks of scalar `Value`s, micrograd-style: small enough to draw, node by node.

`Neuron`, `Layer` and `MLP` take micrograd's arguments and defaults: a neuron has one
weight per input, drawn from U(-1, 1), and a bias starting at 0; hidden layers use ReLU
and the last layer is linear. A neuron computes `b + sum(w_i * x_i)` as one
`weighted_sum` node by default, a smaller and faster graph; with `fused=False` it makes
micrograd's separate products and additions, so that `autodiff.draw_graph` shows every
multiply.

Randomness: `seed=None` draws from Python's global `random` module as micrograd does,
so `random.seed(1337)` before `MLP(2, [16, 16, 1])` gives micrograd's demo network; an
int or a `numpy.random.Generator` gives a reproducible network of its own.

They are `nn.Module`s, so `parameters()`, `named_parameters()` (`layers.0.neurons.3.w.1`),
`zero_grad()` (grads back to 0.0), `state_dict()` and the optimizers of `nn.optim` work
on them as on Tensor networks, with one difference. A Value carries no version stamp
(one on every Value would slow this engine down), so a weight changed between a
forward pass and its `backward()`, by `opt.step()`, `load_state_dict()` or
`w.data = ...`, is not detected: backward then mixes the new weights with the old
forward values and gives wrong gradients without an error, where a Tensor network
raises. Keep the order forward, backward, step, and make a new forward pass after a
step.
"""

from __future__ import annotations

import numbers
import random
from operator import mul

import numpy as np

from autodiff import Value, weighted_sum
from autodiff.graph import Scope, _grad_mode, check_flag

from .init import generator
from .module import Module, positive_int

__all__ = ["Neuron", "Layer", "MLP"]




def _uniform(n: int, seed) -> list[float]:
    """n draws from U(-1, 1): Python's `random` for seed None (as micrograd), else NumPy."""
    if seed is None:
        return [random.uniform(-1, 1) for _ in range(n)]
    return generator(seed, "Neuron").uniform(-1.0, 1.0, n).tolist()


def _inputs(x, n: int, module: Module) -> list:
    """The inputs as a list of Values or floats, checked to be `n` long."""
    if type(x) is not list:
        if isinstance(x, np.ndarray):
            if x.ndim > 1:  # rows of a batch would be counted as its inputs
                raise ValueError(f"{module._label()}: expected one sample, {n} numbers, "
                                 f"got an array of shape {x.shape} (a network over "
                                 "Values takes one sample per call)")
            x = x.tolist() if x.ndim else [x.item()]
        elif isinstance(x, (Value, numbers.Real)):
            x = [x]
        elif isinstance(x, (dict, str, bytes)) or not hasattr(x, "__iter__"):
            # (a dict or a str would iterate over keys or characters)
            raise TypeError(f"{module._label()}: expects its inputs as a list, a tuple or "
                            f"an array of numbers or Values, got {type(x).__name__}")
        else:
            x = list(x)
    if len(x) != n:
        raise ValueError(f"{module._label()}: expected {n} inputs, got {len(x)}")
    return x


class Neuron(Module):
    """One neuron: relu(sum_i w_i * x_i + b), or without the relu when `nonlin=False`.

    Args:
        n_inputs: the number of inputs (and weights), >= 1.
        nonlin: apply ReLU (True, micrograd's default) or stay linear.
        seed: None (Python's `random`, as micrograd), an int or a Generator.
        fused: compute b + sum_i w_i x_i as one `autodiff.weighted_sum` node (the
            default: the same numbers, about 8 times fewer nodes on micrograd's demo,
            several times faster), or, with False, as micrograd's products and chain
            of `+` nodes.

    Attributes:
        w: the weights, a list of Values (initially uniform in [-1, 1]).
        b: the bias, a Value (initially 0).

    Raises:
        TypeError, ValueError: a bad `n_inputs`, a flag that is not True or False; when
            called, the wrong number of inputs.
    """

    def __init__(self, n_inputs: int, nonlin: bool = True, seed=None,
                 fused: bool = True) -> None:
        super().__init__()
        n_inputs = positive_int(n_inputs, "n_inputs", "Neuron")
        self.nonlin = check_flag(nonlin, "Neuron", "nonlin")  # (before any draw)
        self.fused = check_flag(fused, "Neuron", "fused")
        self.w = [Value(v) for v in _uniform(n_inputs, seed)]
        self.b = Value(0.0)

    def forward(self, x) -> Value:
        """The neuron's output for one sample `x` (a list of n_inputs Values or numbers)."""
        x = _inputs(x, len(self.w), self)
        # b + w_1 * x_1 + w_2 * x_2 + ...: one weighted_sum node, or micrograd's graph of
        # one node per product and per addition. (`map` with operator.mul is the
        # generator `(wi * xi for ...)` without its frame: a quarter faster.)
        try:
            if self.fused:
                act = weighted_sum(self.w, x, self.b)
            else:
                act = sum(map(mul, self.w, x), self.b)
        except TypeError:  # checked only on failure: this runs for every neuron
            kinds = sorted({type(xi).__name__ for xi in x})
            if "Tensor" in kinds:
                raise TypeError(f"{self._label()}: networks over Values take numbers or "
                                "Values, not Tensors (nn.MLP is the network over Tensors)"
                                ) from None
            raise TypeError(f"{self._label()}: expected one sample, {len(self.w)} numbers "
                            f"or Values, got a {type(x).__name__} of {', '.join(kinds)} "
                            "(a network over Values takes one sample per call)") from None
        return act.relu() if self.nonlin else act

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)} inputs, {'relu' if self.nonlin else 'linear'})"

    _label = __repr__


class Layer(Module):
    """A layer of `n_outputs` neurons, each seeing all `n_inputs` inputs.

    Calling it on one sample returns a list of Values, or a single Value when
    `n_outputs == 1`.

    Args:
        n_inputs: the number of inputs, >= 1.
        n_outputs: the number of neurons, >= 1.
        seed: None (Python's `random`), an int or a Generator.
        nonlin, fused: passed to each `Neuron`.

    Attributes:
        neurons: the list of Neurons.
    """

    def __init__(self, n_inputs: int, n_outputs: int, seed=None, *, nonlin: bool = True,
                 fused: bool = True) -> None:
        super().__init__()
        n_inputs = positive_int(n_inputs, "n_inputs", "Layer")
        n_outputs = positive_int(n_outputs, "n_outputs", "Layer")
        nonlin = check_flag(nonlin, "Layer", "nonlin")
        fused = check_flag(fused, "Layer", "fused")
        rng = None if seed is None else generator(seed, "Layer")
        self.neurons = [Neuron(n_inputs, nonlin=nonlin, seed=rng, fused=fused)
                        for _ in range(n_outputs)]

    def forward(self, x):
        """The layer's outputs for one sample `x`."""
        x = _inputs(x, len(self.neurons[0].w), self)
        # Module.__call__ for each neuron, inlined (a network calls thousands per step):
        # each neuron's nodes still remember its call, for drawings.
        mode = _grad_mode
        outer = mode.scope
        try:
            out = []
            for n in self.neurons:
                mode.scope = Scope(n._label, n, outer)
                out.append(n.forward(x))
        finally:
            mode.scope = outer
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        n = self.neurons[0]
        return (f"Layer({len(n.w)} -> {len(self.neurons)}, "
                f"{'relu' if n.nonlin else 'linear'})")

    _label = __repr__


class MLP(Module):
    """A multi-layer perceptron of Values: ReLU layers, then a linear output layer.

    `MLP(2, [16, 16, 1])` maps 2 inputs through two hidden layers of 16 neurons to one
    output, as in micrograd's demo.

    Args:
        n_inputs: the number of inputs, >= 1.
        sizes: the number of neurons of each layer, the output layer last.
        seed: None (Python's `random`, as micrograd), an int or a Generator; one
            generator initialises the layers in order.
        fused: each neuron is one `weighted_sum` node (see `Neuron`).

    Attributes:
        layers: the list of Layers.

    Raises:
        TypeError, ValueError: bad sizes; when called, the wrong number of inputs.
    """

    def __init__(self, n_inputs: int, sizes, seed=None, fused: bool = True) -> None:
        super().__init__()
        n_inputs = positive_int(n_inputs, "n_inputs", "MLP")
        fused = check_flag(fused, "MLP", "fused")
        if isinstance(sizes, np.ndarray):
            sizes = sizes.tolist()  # (an array's truth value would be ambiguous below)
        if isinstance(sizes, numbers.Integral) or not hasattr(sizes, "__len__") or not sizes:
            raise TypeError(f"MLP: sizes must be a non-empty list of layer widths such as "
                            f"[16, 16, 1], got {sizes!r}")
        sizes = [positive_int(n, f"sizes[{i}]", "MLP") for i, n in enumerate(sizes)]
        widths = [n_inputs] + sizes
        rng = None if seed is None else generator(seed, "MLP")
        last = len(sizes) - 1
        self.layers = [
            Layer(widths[i], widths[i + 1], seed=rng, nonlin=i != last, fused=fused)
            for i in range(len(sizes))
        ]

    def forward(self, x):
        """The network's output for one sample `x`: a Value, or a list for several
        outputs."""
        x = _inputs(x, len(self.layers[0].neurons[0].w), self)
        for layer in self.layers:
            x = layer(x)
        return x

    def _label(self) -> str:
        widths = [len(self.layers[0].neurons[0].w)] + [len(l.neurons) for l in self.layers]
        return f"MLP({' -> '.join(map(str, widths))})"
