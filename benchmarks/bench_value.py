"""The scalar engine, `autodiff.Value`, against micrograd.

Section 1: one full-batch training step of micrograd's own demo (an MLP(2, [16, 16, 1])
on 100 two-moons points, hinge loss plus L2). Section 2: a long chain of ops, for build
and backward speed per node and memory per node.
"""

from __future__ import annotations

import gc
import inspect
import random
import statistics
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
    peak_bytes,
    verdict,
)

MG = "micrograd"
OURS = "autodiff.Value"
OURS_MLP = "ours: nn.scalar.MLP"
OURS_VARIANT = "ours: MLP(fused={})"  # the non-default variant, for information
OURS_LOCAL = "ours: local MLP on Value"

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
    """micrograd's MLP and ours, all with the same initial weights.

    Returns (micrograd's model or None, {name: our model}). Ours is `nn.scalar.MLP` as it
    comes, plus its other `fused` setting for information (fused=False builds micrograd's
    graph node for node; fused=True sums each neuron in one add_n node); while nn.scalar
    is missing, LocalMLP stands in.
    """
    import autodiff

    random.seed(1)
    theirs = None
    if peers.micrograd() is not None:
        theirs = peers.micrograd()[1].MLP(2, list(SIZES))
    scalar = peers.nn_scalar()
    if scalar is not None:
        ours = {OURS_MLP: scalar.MLP(2, list(SIZES))}
        fused = inspect.signature(scalar.MLP).parameters.get("fused")
        if fused is not None:
            other = not fused.default
            ours[OURS_VARIANT.format(other)] = scalar.MLP(2, list(SIZES), fused=other)
    else:
        ours = {OURS_LOCAL: LocalMLP(autodiff.Value, 2, SIZES)}
    first = next(iter(ours.values())).parameters()
    source = theirs.parameters() if theirs is not None else first
    for name, model in ours.items():
        mine = model.parameters()
        if len(mine) != len(source):
            raise RuntimeError(f"{name} has {len(mine)} parameters, micrograd {len(source)}")
        for p, q in zip(mine, source, strict=True):
            p.data = float(q.data)
    return theirs, ours


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def section_mlp(budget: Budget) -> Report:
    import autodiff

    report = Report()
    X, Y = moons()
    theirs, ours = build_models()
    table = Table(
        "1. Scalar MLP step: micrograd's demo (MLP(2, [16, 16, 1]), 100 moons, hinge + L2)",
        ["engine", "time/step", "steps/s", "speed vs micrograd", "goal", "verdict",
         "GC off (info)"],
    )
    table.notes.append("one step = forward, zero grads, backward, SGD update, on all 100 "
                       "points.")
    cases = {name: demo_step(autodiff.Value, model, model.parameters(), X, Y)
             for name, model in ours.items()}

    # Correctness first: same weights, same data, so the same loss and gradients.
    if theirs is not None:
        mg_value = peers.micrograd()[0].Value
        mg_params = theirs.parameters()
        b = demo_loss(mg_value, theirs, mg_params, X, Y)
        theirs.zero_grad()
        b.backward()
        for name, model in ours.items():
            params = model.parameters()
            a = demo_loss(autodiff.Value, model, params, X, Y)
            model.zero_grad()
            a.backward()
            same = _same(a.data, b.data) and all(
                _same(p.grad, q.grad) for p, q in zip(params, mg_params, strict=True))
            table.notes.append(
                f"{name}: checked first, loss and all gradients equal micrograd's (rel. 1e-9)"
                if same else f"{name}: GRADIENTS DIFFER from micrograd's; its time compares "
                "different work")
            del a
        cases = {MG: demo_step(mg_value, theirs, mg_params, X, Y), **cases}
        # Drop the checked graphs: long-lived objects would make the collector's full
        # collections rarer during the timing (see README: the heap matters).
        del b
    else:
        table.notes.append("micrograd not installed: gradients not cross-checked")

    step_budget = Budget(repeats=budget.repeats, block_seconds=budget.block_seconds * 2,
                         warmup=1, max_calls=50)
    times = compare(cases, step_budget)
    quiet = compare(cases, Budget(repeats=max(3, budget.repeats // 2),
                                  block_seconds=step_budget.block_seconds, warmup=0,
                                  max_calls=50), gc_on=False)
    ref = times.get(MG)
    if ref is None:
        table.add(MG, peers.NOT_INSTALLED, "-", "-", "", "", "-")
    else:
        table.add(MG, fmt_time(ref), f"{1 / ref:.1f}", "1.00x", "", "", fmt_time(quiet[MG]))
    for name in ours:
        ratio = ref / times[name] if ref else None
        ok = None if ratio is None else ratio >= 10
        if name != OURS_MLP and name != OURS_LOCAL:
            goal, shown = "(info)", f"({verdict(ok)})"
        else:
            goal, shown = ">= 10x", verdict(ok)
            report.goals.append(Goal("1", f"scalar MLP step >= 10x micrograd's steps/s ({name})",
                                     fmt_ratio(ratio), ok))
        table.add(name, fmt_time(times[name]), f"{1 / times[name]:.1f}", fmt_ratio(ratio),
                  goal, shown, fmt_time(quiet[name]))
    scalar = peers.nn_scalar()
    fused = inspect.signature(scalar.MLP).parameters.get("fused") if scalar else None
    if fused is not None:
        table.notes.append(f"{OURS_MLP} is the model as it comes (its default: "
                           f"fused={fused.default}).")
    if len(ours) > 1:
        table.notes.append("fused=True: each neuron's sum is one add_n node (a smaller graph "
                           "than micrograd's); fused=False: micrograd's graph node for node. "
                           "The goal is judged on nn.scalar.MLP as it comes; the other "
                           "setting is shown for information.")
    table.notes.append("GC off (information only, not the measure): the same step with the "
                       "garbage collector disabled, to show its share of each engine's time.")
    report.tables.append(table)
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


def chain_once(value_type, n: int, gc_on: bool = True) -> tuple[float, float]:
    """Seconds to build an n-op chain, and seconds to backpropagate through it."""
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
    return t1 - t0, t2 - t1


def chain_speeds(cases: list[tuple[object, int]], repeats: int,
                 gc_on: bool = True) -> list[tuple[float, float]]:
    """Median (build, backward) seconds of each (value type, n) case, the cases
    interleaved round-robin, `gc.collect()` before each run."""
    runs: list[list[tuple[float, float]]] = [[] for _ in cases]
    for _ in range(repeats):
        for i, (value_type, n) in enumerate(cases):
            gc.collect()
            runs[i].append(chain_once(value_type, n, gc_on))
    gc.collect()
    return [(statistics.median(b for b, _ in r), statistics.median(k for _, k in r))
            for r in runs]


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
                       "build + backward / ops (a separate, untimed run). Engines interleaved, "
                       f"median of {repeats} runs each.")
    cases = []  # (name, value type, ops)
    if peers.micrograd() is not None:
        cases.append((MG, peers.micrograd()[0].Value, n_micrograd))
        table.notes.append(f"micrograd runs at {n_micrograd:,} ops with the recursion "
                           "limit raised: its recursive sort cannot go much deeper.")
    else:
        table.add(MG, "-", peers.NOT_INSTALLED, *["-"] * 7)
    for n in sorted({n_micrograd, n_ours}):
        cases.append((OURS, autodiff.Value, n))
    specs = [(kind, n) for _, kind, n in cases]
    old_limit = sys.getrecursionlimit()
    # micrograd sorts the graph recursively: one Python frame per node in the chain.
    sys.setrecursionlimit(max(old_limit, 2 * n_micrograd + 1000))
    try:
        speeds = chain_speeds(specs, repeats)
        quiet = chain_speeds(specs, repeats, gc_on=False)
        memory = [chain_memory(kind, n) / n for kind, n in specs]
    finally:
        sys.setrecursionlimit(old_limit)
    rows = [(name, n, *speed, mem, q)
            for (name, _, n), speed, mem, q in zip(cases, speeds, memory, quiet, strict=True)]
    mg_build = mg_back = mg_mem = None
    ours = {}
    for name, n, build, back, mem, _ in rows:
        if name == MG:
            mg_build, mg_back, mg_mem = build, back, mem
        else:
            ours[n] = (build, back, mem)

    for name, n, build, back, mem, quiet in rows:
        build_ratio = (mg_build / n_micrograd) / (build / n) if mg_build else None
        back_ratio = (mg_back / n_micrograd) / (back / n) if mg_back else None
        table.add(name, f"{n:,}", fmt_time(build), fmt_rate(n / build), fmt_time(back),
                  fmt_rate(n / back), f"{mem:.0f}", fmt_ratio(build_ratio),
                  fmt_ratio(back_ratio), f"{fmt_time(quiet[0])}, {fmt_time(quiet[1])}")
    table.notes.append("vs mg: nodes per second relative to micrograd's (higher is better). "
                       "GC off: the same runs with the collector disabled, to show its share.")

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
