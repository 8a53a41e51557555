"""The scalar engine, `autodiff.Value`, against micrograd.

Section 1: one full-batch training step of micrograd's own demo (an MLP(2, [16, 16, 1])
on 100 two-moons points, hinge loss plus L2). Section 2: a long chain of ops, for build
and backward speed per node and memory per node.
"""

from __future__ import annotations

import gc
import random
import sys
import time

from . import peers
from .harness import (
    Budget,
    Goal,
    Report,
    Table,
    compare,
    fmt_rate,
    fmt_ratio,
    fmt_time,
    median_of,
    peak_bytes,
    verdict,
)

MG = "micrograd"
OURS = "autodiff.Value"

# ======================================================================================
# 1. micrograd's demo step
# ======================================================================================

SIZES = [16, 16, 1]
N_POINTS = 100
LEARNING_RATE = 0.05
L2 = 1e-4


class LocalNeuron:
    """A neuron over autodiff.Value: relu(w . x + b), or linear for the output layer.

    Used only until `nn.scalar` exists; it makes the same graph micrograd's MLP makes.
    """

    def __init__(self, value_type, n_inputs: int, nonlinear: bool) -> None:
        self.w = [value_type(random.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = value_type(0.0)
        self.nonlinear = nonlinear

    def __call__(self, x):
        total = sum((w * xi for w, xi in zip(self.w, x, strict=True)), self.b)
        return total.relu() if self.nonlinear else total

    def parameters(self):
        return [*self.w, self.b]


class LocalMLP:
    """Layers of LocalNeurons; one output comes back as a Value, not a list."""

    def __init__(self, value_type, n_inputs: int, sizes: list[int]) -> None:
        fan_in = [n_inputs, *sizes]
        self.layers = [
            [LocalNeuron(value_type, fan_in[i], i < len(sizes) - 1) for _ in range(n)]
            for i, n in enumerate(sizes)
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


def moons(n: int = N_POINTS, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two-moons points as Python lists, labels mapped to -1 and +1."""
    from nn.data import make_moons

    X, y = make_moons(n, noise=0.1, seed=seed)
    return X.tolist(), [2.0 * label - 1.0 for label in y.tolist()]


def demo_loss(value_type, model, params, X, Y):
    """micrograd's demo loss: mean hinge loss plus L2 on every parameter."""
    scores = [model([value_type(a), value_type(b)]) for a, b in X]
    hinge = sum((1 - y * s).relu() for y, s in zip(Y, scores, strict=True)) * (1.0 / len(scores))
    return hinge + L2 * sum(p * p for p in params)


def demo_step(value_type, model, params, X, Y):
    """A function doing one full-batch SGD step: forward, zero grads, backward, update."""

    def step():
        loss = demo_loss(value_type, model, params, X, Y)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        return loss

    return step


def build_models():
    """micrograd's MLP and ours with the same initial weights; ours is `nn.scalar.MLP`
    when it exists, else LocalMLP. Returns (theirs or None, ours, which one)."""
    import autodiff

    random.seed(1)
    theirs = None
    if peers.micrograd() is not None:
        theirs = peers.micrograd()[1].MLP(2, list(SIZES))
    scalar = peers.nn_scalar()
    if scalar is not None:
        ours, kind = scalar.MLP(2, list(SIZES)), "nn.scalar.MLP"
    else:
        ours, kind = LocalMLP(autodiff.Value, 2, SIZES), "local MLP over Value (nn.scalar missing)"
    if theirs is not None:
        mine, other = ours.parameters(), theirs.parameters()
        if len(mine) != len(other):
            raise RuntimeError(f"{kind} has {len(mine)} parameters, micrograd {len(other)}")
        for p, q in zip(mine, other, strict=True):
            p.data = float(q.data)
    return theirs, ours, kind


def section_mlp(budget: Budget) -> Report:
    import autodiff

    report = Report()
    X, Y = moons()
    theirs, ours, kind = build_models()
    table = Table(
        "1. Scalar MLP step: micrograd's demo (MLP(2, [16, 16, 1]), 100 moons, hinge + L2)",
        ["engine", "time/step", "steps/s", "speed vs micrograd", "goal", "verdict",
         "GC off (info)"],
    )
    table.notes.append(f"ours: {kind}; one step = forward, zero grads, backward, SGD update.")
    our_params = ours.parameters()
    cases = {OURS: demo_step(autodiff.Value, ours, our_params, X, Y)}

    # Correctness first: same weights, same data, so the same loss and gradients.
    check = "micrograd not installed: gradients not cross-checked"
    if theirs is not None:
        mg_value = peers.micrograd()[0].Value
        mg_params = theirs.parameters()
        a = demo_loss(autodiff.Value, ours, our_params, X, Y)
        ours.zero_grad()
        a.backward()
        b = demo_loss(mg_value, theirs, mg_params, X, Y)
        theirs.zero_grad()
        b.backward()
        same = abs(a.data - b.data) <= 1e-9 * max(1.0, abs(b.data)) and all(
            abs(p.grad - q.grad) <= 1e-9 * max(1.0, abs(q.grad))
            for p, q in zip(our_params, mg_params, strict=True)
        )
        check = (
            "checked first: loss and all gradients equal micrograd's (rel. 1e-9)"
            if same else "GRADIENTS DIFFER from micrograd's: the timing compares different work"
        )
        cases = {MG: demo_step(mg_value, theirs, mg_params, X, Y), **cases}
        # Drop the checked graphs: long-lived objects would make the collector's full
        # collections rarer during the timing (see README: the heap matters).
        del a, b
    table.notes.append(check)

    step_budget = Budget(repeats=budget.repeats, block_seconds=budget.block_seconds * 2,
                         warmup=1, max_calls=50)
    times = compare(cases, step_budget)
    quiet = compare(cases, Budget(repeats=max(3, budget.repeats // 2),
                                  block_seconds=step_budget.block_seconds, warmup=0,
                                  max_calls=50), gc_on=False)
    ref = times.get(MG)
    if ref is None:
        table.add(MG, peers.NOT_INSTALLED, "-", "-", ">= 10x", "n/a", "-")
    else:
        table.add(MG, fmt_time(ref), f"{1 / ref:.1f}", "1.00x", "", "", fmt_time(quiet[MG]))
    ratio = ref / times[OURS] if ref else None
    ok = None if ratio is None else ratio >= 10
    table.add(OURS, fmt_time(times[OURS]), f"{1 / times[OURS]:.1f}", fmt_ratio(ratio),
              ">= 10x", verdict(ok), fmt_time(quiet[OURS]))
    table.notes.append("GC off (information only, not the measure): the same step with the "
                       "garbage collector disabled, to show its share of each engine's time.")
    report.tables.append(table)
    report.goals.append(Goal("1", "scalar MLP step >= 10x micrograd's steps/s",
                             fmt_ratio(ratio), ok))
    return report


# ======================================================================================
# 2. A long chain of ops
# ======================================================================================


def build_chain(value_type, n: int, c, d):
    """n ops alternating `y * c` and `y + d`, where c and d are leaf Values (the same
    graph in both engines: n op nodes plus three leaves)."""
    y = value_type(1.0)
    for _ in range(n // 2):
        y = y * c
        y = y + d
    return y


def leaves(value_type):
    return value_type(1.000001), value_type(1e-6)


def chain_speed(value_type, n: int, repeats: int, gc_on: bool = True) -> tuple[float, float]:
    """Median build seconds and backward seconds of an n-op chain."""
    build, back = [], []

    def once() -> float:
        c, d = leaves(value_type)
        if not gc_on:
            gc.disable()
        try:
            t0 = time.perf_counter()
            y = build_chain(value_type, n, c, d)
            t1 = time.perf_counter()
            y.backward()
            t2 = time.perf_counter()
        finally:
            gc.enable()
        build.append(t1 - t0)
        back.append(t2 - t1)
        return 0.0

    median_of(once, repeats)
    build.sort()
    back.sort()
    return build[len(build) // 2], back[len(back) // 2]


def chain_memory(value_type, n: int) -> int:
    """tracemalloc peak over build + backward of an n-op chain, in bytes."""

    def run():
        c, d = leaves(value_type)
        y = build_chain(value_type, n, c, d)
        y.backward()
        return y

    return peak_bytes(run)


def section_chain(budget: Budget, n_ours: int, n_micrograd: int) -> Report:
    import autodiff

    report = Report()
    repeats = max(3, budget.repeats // 2)
    table = Table(
        "2. Scalar chain: build and backward speed, memory per op node",
        ["engine", "ops", "build", "build nodes/s", "backward", "backward nodes/s",
         "peak bytes/op", "build vs mg", "backward vs mg", "GC off: build, backward (info)"],
    )
    table.notes.append("chain: y = y * c, then y = y + d, alternately (c, d leaf Values, "
                       "the same graph in both engines); memory = tracemalloc peak over "
                       "build + backward / ops (a separate, untimed run).")
    rows = []
    if peers.micrograd() is not None:
        mg_value = peers.micrograd()[0].Value
        old_limit = sys.getrecursionlimit()
        # micrograd sorts the graph recursively: one Python frame per node in the chain.
        sys.setrecursionlimit(max(old_limit, 2 * n_micrograd + 1000))
        try:
            mg_build, mg_back = chain_speed(mg_value, n_micrograd, repeats)
            quiet = chain_speed(mg_value, n_micrograd, 1, gc_on=False)
            mg_mem = chain_memory(mg_value, n_micrograd) / n_micrograd
        finally:
            sys.setrecursionlimit(old_limit)
        rows.append((MG, n_micrograd, mg_build, mg_back, mg_mem, quiet))
        table.notes.append(f"micrograd runs at {n_micrograd:,} ops with the recursion "
                           "limit raised: its recursive sort cannot go much deeper.")
    else:
        mg_build = mg_back = mg_mem = None
        table.add(MG, "-", peers.NOT_INSTALLED, *["-"] * 7)

    sizes = [n_ours] if n_ours == n_micrograd else [n_micrograd, n_ours]
    ours = {}
    for n in sizes:
        build, back = chain_speed(autodiff.Value, n, repeats)
        quiet = chain_speed(autodiff.Value, n, 1, gc_on=False)
        mem = chain_memory(autodiff.Value, n) / n
        ours[n] = (build, back, mem)
        rows.append((OURS, n, build, back, mem, quiet))

    for name, n, build, back, mem, quiet in rows:
        build_ratio = (mg_build / n_micrograd) / (build / n) if mg_build else None
        back_ratio = (mg_back / n_micrograd) / (back / n) if mg_back else None
        table.add(name, f"{n:,}", fmt_time(build), fmt_rate(n / build), fmt_time(back),
                  fmt_rate(n / back), f"{mem:.0f}", fmt_ratio(build_ratio),
                  fmt_ratio(back_ratio), f"{fmt_time(quiet[0])}, {fmt_time(quiet[1])}")
    table.notes.append("vs mg: nodes per second relative to micrograd's (higher is better). "
                       "GC off: one run with the collector disabled, to show its share.")

    build, back, mem = ours[n_ours]
    build_ratio = (mg_build / n_micrograd) / (build / n_ours) if mg_build else None
    back_ratio = (mg_back / n_micrograd) / (back / n_ours) if mg_back else None
    goals = [
        Goal("2", f"memory per op node <= 250 B (at {n_ours:,} ops; micrograd: "
             f"{'-' if mg_mem is None else f'{mg_mem:.0f}'} B)", f"{mem:.0f} B", mem <= 250),
        Goal("2", f"build nodes/s >= 2x micrograd (at {n_ours:,} ops)", fmt_ratio(build_ratio),
             None if build_ratio is None else build_ratio >= 2),
        Goal("2", f"backward nodes/s >= 2x micrograd (at {n_ours:,} ops)",
             fmt_ratio(back_ratio), None if back_ratio is None else back_ratio >= 2),
    ]
    goal_table = Table("2. goals", ["goal", "measured", "verdict"])
    for g in goals:
        goal_table.add(g.text, g.measured, verdict(g.ok))
    report.tables += [table, goal_table]
    report.goals += goals
    return report
