"""Section 5: the fixed cost of one op, forward plus backward, on tiny tensors.

A chain of 100 elementwise ops (`y * 1.0001`, `y + 0.1`, `tanh(y)`, repeated) on a 1x1
and an 8x8 input, then `sum()` and backward to the input. On arrays this small the
arithmetic is nearly free, so the time is the engine's bookkeeping per op: making the
node, dispatching the op, and applying its rule in backward.
"""

from __future__ import annotations

import numpy as np

from . import peers
from .harness import Budget, Goal, Report, Table, compare, verdict

N_OPS = 100
SHAPES = [(1, 1), (8, 8)]
GOAL_US = 8.0

REF = "NumPy by hand"
OURS = "ours (Tensor)"
HIPS = "HIPS autograd"
TORCH = "PyTorch"
ENGINES = [REF, OURS, HIPS, TORCH]


def _chain(y, tanh):
    for i in range(N_OPS):
        kind = i % 3
        if kind == 0:
            y = y * 1.0001
        elif kind == 1:
            y = y + 0.1
        else:
            y = tanh(y)
    return y


def numpy_by_hand(x0: np.ndarray) -> np.ndarray:
    """d sum(chain(x)) / dx with the backward pass written out."""
    tanh_outputs = []
    y = x0
    for i in range(N_OPS):
        kind = i % 3
        if kind == 0:
            y = y * 1.0001
        elif kind == 1:
            y = y + 0.1
        else:
            y = np.tanh(y)
            tanh_outputs.append(y)
    g = np.ones_like(y)
    for i in reversed(range(N_OPS)):
        kind = i % 3
        if kind == 0:
            g = g * 1.0001
        elif kind == 2:
            t = tanh_outputs.pop()
            g = g * (1 - t * t)
    return g


def ours(x0: np.ndarray) -> np.ndarray:
    from autodiff import Tensor

    x = Tensor(x0, requires_grad=True)
    _chain(x, Tensor.tanh).sum().backward()
    return x.grad


def hips_function():
    autograd, anp = peers.hips()
    gradient = autograd.grad(lambda x: anp.sum(_chain(x, anp.tanh)))
    return gradient


def torch_function():
    torch = peers.torch()

    def run(x0: np.ndarray) -> np.ndarray:
        x = torch.tensor(x0, requires_grad=True)
        _chain(x, torch.tanh).sum().backward()
        return x.grad

    return run


def section_overhead(budget: Budget) -> Report:
    report = Report()
    table = Table(
        f"5. Per-op overhead: chain of {N_OPS} elementwise ops + sum, forward + backward, "
        "microseconds per op",
        ["shape", *ENGINES, "goal (ours)", "verdict"],
    )
    functions = {REF: numpy_by_hand, OURS: ours}
    missing = {}
    if peers.hips() is not None:
        functions[HIPS] = hips_function()
    else:
        missing[HIPS] = peers.NOT_INSTALLED
    if peers.torch() is not None:
        functions[TORCH] = torch_function()
    else:
        missing[TORCH] = peers.NOT_INSTALLED

    for shape in SHAPES:
        x0 = np.random.default_rng(0).uniform(-1, 1, shape)
        expected = numpy_by_hand(x0)
        cases = {}
        for name, fn in functions.items():
            got = np.asarray(fn(x0))
            if np.allclose(got, expected, rtol=1e-10, atol=1e-12):
                cases[name] = lambda fn=fn, x0=x0: fn(x0)
            else:
                missing[name] = "WRONG gradient"
        times = compare(cases, budget)
        per_op = {name: t / (N_OPS + 1) * 1e6 for name, t in times.items()}
        cells = [f"{per_op[n]:.2f}" if n in per_op else missing[n] for n in ENGINES]
        mine = per_op.get(OURS)
        ok = None if mine is None else mine <= GOAL_US
        table.add(f"{shape[0]}x{shape[1]}", *cells, f"<= {GOAL_US:g} us", verdict(ok))
        report.goals.append(Goal("5", f"per-op overhead on {shape[0]}x{shape[1]} <= {GOAL_US:g} us",
                                 "-" if mine is None else f"{mine:.2f} us", ok))
    table.notes.append(f"per op = time of one whole run (leaf, {N_OPS} ops, sum, backward) / "
                       f"{N_OPS + 1}; float64. Gradients checked against the hand-written "
                       "backward first.")
    table.notes.append("NumPy by hand: the same chain with its derivative written out, no "
                       "graph: the floor the array work alone costs.")
    report.tables.append(table)
    return report
