"""Step-through backward: watch backpropagation visit the graph one node at a time.

`backward_steps(root)` runs the real backward engine with a `Tracer` installed, so the
steps come in exactly the order `backward()` uses; each step is a node, the total
gradient that reached it, and the contributions it sent to its parents. By default it
runs backward's functional path, which writes no `.grad` at all (pass
`accumulate=True` to add into `.grad` as `backward()` does).

`draw_step(root, k)` draws the graph as it stands after k steps; `backward_frames`
gives every frame; `step_slider` shows them under an ipywidgets slider.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from . import viz
from .graph import Node, Tracer, check_flag, is_released, set_tracer
from .graph import backward as _backward
from .tensor import Tensor
from .value import Value

__all__ = ["BackwardStep", "backward_steps", "draw_step", "backward_frames", "step_slider"]


# eq=False: equal when the same step (identity), as nodes are; the generated __eq__
# compared the fields, which for a Tensor's arrays raises NumPy's ambiguous-truth error
# (so `==`, `in` and list.index did)
@dataclass(eq=False)
class BackwardStep:
    """One node finished by backward.

    Attributes:
        index: the position in backward's order, from 1 (the root).
        node: the node.
        grad: the total gradient that reached it: d(root)/d(node), what `.grad` gets.
        sent: (parent, gradient) pairs it passed on through its op's rule, in the
            parents' shapes (a parent used twice appears twice). Empty for a leaf.
    """

    index: int
    node: Node
    grad: object
    sent: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"step {self.index}: {self.describe()}"

    def describe(self) -> str:
        """The step in words: the node, its gradient, and what it sends."""
        node = self.node
        what = _name(node)
        if node.label:
            what += f" (op {node.op})" if node.op else " (leaf)"
        text = f"{what}, grad {_text(self.grad)}"
        if self.sent:
            text += "; sends " + ", ".join(f"{_name(p)} += {_text(g)}" for p, g in self.sent)
        return text


def _name(node: Node) -> str:
    """A node's label, or its op in brackets: `a`, `[*]`, `[leaf]`."""
    return str(node.label) if node.label else f"[{node.op or 'leaf'}]"


def _text(g) -> str:
    if isinstance(g, float):
        return viz._num(g)
    return viz._summary(g)


def _copy(g):
    if isinstance(g, Node):  # create_graph: keep the node's current value
        g = g.data
    if isinstance(g, np.ndarray):
        return g.copy()
    return g


class _Recorder(Tracer):
    def __init__(self, previous: Tracer | None):
        self.previous = previous
        self.steps: list[BackwardStep] = []

    def on_create(self, node, op=None):
        if self.previous is not None:
            self.previous.on_create(node, op)

    def on_backward(self, node, grad, sent):
        self.steps.append(BackwardStep(len(self.steps) + 1, node, _copy(grad),
                                       [(p, _copy(g)) for p, g in sent]))
        if self.previous is not None:
            self.previous.on_backward(node, grad, sent)


def _seed(root: Node, gradient):
    if isinstance(root, Value):
        if gradient is None:
            return 1.0
        number = gradient.data if isinstance(gradient, Value) else gradient
        if not isinstance(number, numbers.Real):
            raise TypeError(f"backward_steps: gradient of a Value must be a number, got "
                            f"{type(gradient).__name__}")
        return float(number)
    if not isinstance(root, Tensor):
        raise TypeError(f"backward_steps: root must be a Value or a Tensor, got "
                        f"{type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError("backward_steps: this tensor does not require grad, so it has "
                           "no graph")
    if gradient is None:
        if root.size != 1:
            raise RuntimeError(f"backward_steps: gradient can be omitted only for a "
                               f"one-element tensor, this one has shape {root.shape}")
        return np.ones_like(root.data)
    seed = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
    if seed.shape != root.shape:
        raise ValueError(f"backward_steps: gradient has shape {seed.shape} but the tensor "
                         f"has shape {root.shape}")
    return seed.astype(root.dtype, copy=False)


def _check_retained(root: Node, who: str) -> None:
    """Raise now, naming `who`, if an earlier backward freed the graph's buffers (the
    engine would raise only as the steps are asked for, naming backward)."""
    for node in viz._collect(root):
        if node._op is not None and is_released(node._ctx):
            raise RuntimeError(
                f"{who}: an earlier backward() freed the buffers of this graph (op "
                f"'{node.op}'); call backward(retain_graph=True) the first time, or "
                f"step through the graph before its backward()")


def _record(root: Node, gradient=None, accumulate: bool = False,
            seed=None) -> list[BackwardStep]:
    seed = _seed(root, gradient) if seed is None else seed
    recorder = _Recorder(None)
    recorder.previous = set_tracer(recorder)
    try:
        if accumulate:
            # backward() itself: adds to .grad; a Tensor's buffers are freed unless
            # retain_graph would keep them, exactly as root.backward() does.
            if isinstance(root, Value):
                root.backward()
            else:
                root.backward(gradient)
        else:
            # `inputs=[]`: the functional path. Same sort, same order, same rules, but
            # no `.grad` is written, and retain_graph keeps the graph usable.
            _backward(root, seed, retain_graph=True, create_graph=False, inputs=[])
    finally:
        set_tracer(recorder.previous)
    return recorder.steps


def backward_steps(root: Node, gradient=None, *, accumulate: bool = False
                   ) -> Iterator[BackwardStep]:
    """The nodes backward visits, in its order, with the gradients each one sends.

    The real backward engine runs (when the first step is asked for) with a tracer
    that records each node as backward finishes it, so the order is backward's own.
    The arguments are checked at the call.

    Args:
        root: the Value or Tensor to backpropagate from.
        gradient: d(root)/d(root); omit it for a Value or a one-element Tensor.
        accumulate: False (the default) runs backward's functional path, which leaves
            every `.grad` as it was and keeps the graph's buffers (so `root.backward()`
            still works afterwards). True runs `root.backward(gradient)` itself, which
            adds the gradients into `.grad` as usual.

    Yields:
        `BackwardStep`s. The `grad` of each step is what backward adds to that node's
        `.grad`; a step's `sent` gradients, summed per parent over all steps (plus the
        seed at the root), give each parent's `grad`.
    """
    # here, so that bad arguments raise at the call
    accumulate = check_flag(accumulate, "backward_steps", "accumulate")
    seed = _seed(root, gradient)
    _check_retained(root, "backward_steps")
    return _steps(root, gradient, accumulate, seed)


def _steps(root, gradient, accumulate, seed) -> Iterator[BackwardStep]:
    yield from _record(root, gradient, accumulate, seed)


# ======================================================================================
# Drawings of one step
# ======================================================================================

_DONE, _CURRENT, _PARTIAL, _SENT = "#d8f0d2", "#ffb347", "#fff3b0", "#c0392b"


class _StepOverlay(viz._Overlay):
    """The graph after `k` steps: finished nodes show their gradient, the node of step
    k is highlighted with what it sends, nodes partway through show the partial sum."""

    def __init__(self, steps: list[BackwardStep], k: int, seed):
        self.steps, self.k = steps, k
        self.total = {id(s.node): s.grad for s in steps[:k]}
        self.partial: dict[int, object] = {}
        if steps:
            self.partial[id(steps[0].node)] = seed
        for step in steps[:k]:
            for parent, g in step.sent:
                key = id(parent)
                self.partial[key] = g if key not in self.partial else self.partial[key] + g
        self.in_backward = {id(s.node) for s in steps}
        self.current = steps[k - 1] if k >= 1 else None
        self.receives: dict[int, list] = {}
        if self.current is not None:
            for parent, g in self.current.sent:
                self.receives.setdefault(id(parent), []).append(g)

    def focus(self):  # the step shown: its node and the inputs it sends to
        if self.current is None:
            return []
        return [self.current.node, *(parent for parent, _ in self.current.sent)]

    def grad(self, node):
        key = id(node)
        if key in self.total:
            return self.total[key], None
        if key in self.partial:
            return self.partial[key], "so far"
        if key in self.in_backward:
            return None, "?"
        return None, None  # not part of backward (a Tensor without requires_grad)

    def fill(self, node):
        key = id(node)
        if self.current is not None and key == id(self.current.node):
            return _CURRENT
        if key in self.total:
            return _DONE
        if key in self.partial:
            return _PARTIAL
        return "white"

    def bold(self, node):
        return self.current is not None and node is self.current.node

    def edge(self, source, node, position):
        if self.current is not None and node is self.current.node and (
                id(source) in self.receives):
            return _SENT
        return None

    def note(self, node):
        received = self.receives.get(id(node))
        if not received:
            return None
        return "receives " + ", ".join(f"+= {_text(g)}" for g in received), _SENT

    def caption(self):
        n = len(self.steps)
        if self.current is None:
            head = f"Backward, before step 1 of {n}: the root holds the seed gradient"
        else:
            head = f"Backward step {self.k} of {n}: {self.current.describe()}"
        return [head, "green: finished; orange: this step, sending along the red edges; "
                      "yellow: partial sum so far; white: not reached yet"]


def _frames_setup(root, gradient, who: str):
    seed = _seed(root, gradient)
    _check_retained(root, who)
    return _record(root, gradient, accumulate=False, seed=seed), seed


def draw_step(root: Node, k: int, *, gradient=None, **options):
    """The drawing of `root`'s graph after the first `k` steps of backward.

    k = 0 shows the seed at the root; k = the number of steps shows every gradient.
    The node finished at step k is orange, the edges to its parents are red, and each
    parent's box notes what it receives (`receives += ...`). `.grad` is left unchanged
    (see `backward_steps`). `options` are those of `draw_graph`.

    The node of step k, its inputs and its path to the root are always drawn, past
    `max_nodes` if need be (the caption says by how much): on a chain thousands of
    nodes deep, a step far from the root draws thousands of nodes, which Graphviz takes
    long to lay out: step through a smaller graph to show a chain's steps.

    Raises:
        TypeError: k is not an int.
        IndexError: k is outside 0..number of steps.
    """
    k = viz._whole(k, "draw_step: k", "an int (a step number)")
    opts = viz._Options("draw_step", **options)
    steps, seed = _frames_setup(root, gradient, "draw_step")
    if not 0 <= k <= len(steps):
        raise IndexError(f"draw_step: k must be in 0..{len(steps)} (the number of "
                         f"backward steps), got {k}")
    return viz._draw(root, opts, _StepOverlay(steps, k, seed))


def backward_frames(root: Node, *, gradient=None, **options) -> list:
    """Every `draw_step` drawing of `root`'s graph: frames 0..number of steps.

    That is n + 1 drawings of the whole graph for n steps, so the time grows as n
    squared (seconds at a few hundred nodes): for a larger graph draw the frames wanted
    with `draw_step`, or browse them with `step_slider`, which draws each on demand.
    """
    opts = viz._Options("backward_frames", **options)
    steps, seed = _frames_setup(root, gradient, "backward_frames")
    return [viz._draw(root, opts, _StepOverlay(steps, k, seed))
            for k in range(len(steps) + 1)]


def step_slider(root: Node, *, gradient=None, **options):
    """An ipywidgets slider over the frames of `draw_step` (for notebooks): backward is
    recorded once, and the frame of the step chosen is drawn when it is shown.

    Raises:
        ImportError: ipywidgets is not installed; `draw_step(root, k)` and
            `backward_frames(root)` need no widgets.
    """
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            "step_slider needs ipywidgets (pip install ipywidgets); without it, use "
            "draw_step(root, k) or backward_frames(root), which return plain drawings"
        ) from None
    from IPython.display import display

    opts = viz._Options("step_slider", **options)
    steps, seed = _frames_setup(root, gradient, "step_slider")

    def show(step: int) -> None:
        # displayed, not returned: interactive shows a return value only when asked to
        display(viz._draw(root, opts, _StepOverlay(steps, step, seed)))

    slider = ipywidgets.IntSlider(value=0, min=0, max=len(steps), description="step",
                                  continuous_update=False)
    return ipywidgets.interactive(show, step=slider)
