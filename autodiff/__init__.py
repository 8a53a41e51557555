"""autodiff: reverse-mode automatic differentiation to learn backpropagation with.

Two kinds of node share one graph core and one backward engine:

- `Value`: a scalar over a Python float (micrograd-style), small enough to draw;
- `Tensor`: an n-dimensional NumPy array with broadcasting.

Plus `no_grad`, user-defined ops (`Function`), functional differentiation (`grad`,
`value_and_grad`, `jacobian`, `hessian`, `vjp`, and `gradients` on a graph already
built), gradient checking (`gradcheck`) and drawings of any graph (`draw_graph`).
"""

from .debug import AnomalyError, FaultReport, detect_anomaly, locate_fault
from .derivation import Derivation, derivation
from .function import Context, Function
from .functional import grad, gradients, hessian, jacobian, value_and_grad, vjp
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .graph import enable_grad, is_grad_enabled, no_grad
from .ops import ShapeError, add_n, weighted_sum
from .steps import BackwardStep, backward_frames, backward_steps, draw_step, step_slider
from .tensor import Tensor, concatenate, cross_entropy, linear, nll_loss, stack, sum_to, where
from .value import Value
from .viz import GraphvizNotFoundError, draw_graph, save_graph

cat = concatenate  # PyTorch's name

__all__ = [
    "Value",
    "Tensor",
    "concatenate",
    "cat",
    "stack",
    "where",
    "linear",
    "nll_loss",
    "cross_entropy",
    "add_n",
    "weighted_sum",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "Function",
    "Context",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "vjp",
    "gradients",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "numerical_grad",
    "sum_to",
    "ShapeError",
    "draw_graph",
    "save_graph",
    "GraphvizNotFoundError",
    "backward_steps",
    "BackwardStep",
    "draw_step",
    "backward_frames",
    "step_slider",
    "detect_anomaly",
    "AnomalyError",
    "locate_fault",
    "FaultReport",
    "derivation",
    "Derivation",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    # the names of micrograd's and PyTorch's drawing helpers, pointing to ours
    if name in ("draw_dot", "make_dot"):
        raise AttributeError(f"module 'autodiff' has no attribute {name!r}; "
                             "autodiff.draw_graph(node) draws the graph of any Value or "
                             "Tensor (micrograd's draw_dot)")
    raise AttributeError(f"module 'autodiff' has no attribute {name!r}")
