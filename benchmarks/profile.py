"""Where our time and memory go, for the benchmarks whose goals are missed.

    python -m benchmarks.profile CASE [--steps N] [--top N]

CASE is one of:
  scalar-step    section 1: micrograd's demo step with nn.scalar.MLP
  scalar-chain   section 2: build + backward of a 200,000-op Value chain
  big32, big64   section 4: the 784-256-128-10 MLP step (raw Tensor ops)
  tiny           section 4: the 2-16-16-2 MLP step (raw Tensor ops)
  nn-big64, nn-tiny   the same with nn modules
  memory-big64   section 6: which lines hold the memory alive right after backward
  split-big32, split-big64, split-tiny   section 4 by phase: forward, backward and
                 update, hand-written NumPy against ours (Tensor ops), timed in place
  cold-tiny      the tiny MLP step with the caches emptied after every matrix product
                 (as the big MLP's products do), hand-written NumPy against ours
  floor-big32, floor-big64, floor-tiny   section 4's step by hand, ours, and a minimal
                 tape in Python (no checks), interleaved: the floor for any Python engine

Time: cProfile over N steps (GC on), listing the functions with the most own time
(tottime, NumPy's C functions included) and then our own functions (autodiff/, nn/) by
cumulative time. Note that cProfile adds a fixed cost per Python call, so it overstates
the share of small Python functions; use it to rank, and the benchmark to measure.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
import tracemalloc

import numpy as np

from . import bench_tensor, bench_value


def _scalar_step():
    import autodiff

    X, Y = bench_value.moons()
    _, models = bench_value.build_models()
    model = next(iter(models.values()))
    return bench_value.demo_step(autodiff.Value, model, model.parameters(), X, Y)


def _scalar_chain():
    import autodiff

    def run():
        c, d = bench_value.leaves(autodiff.Value)
        bench_value.build_chain(autodiff.Value, 200_000, c, d).backward()

    return run


def _mlp(config, engine_type):
    def make():
        params, x, y = bench_tensor.problem(config)
        return engine_type(params, x, y).step

    return make


CASES = {
    "scalar-step": (_scalar_step, 5),
    "scalar-chain": (_scalar_chain, 3),
    "big32": (_mlp(bench_tensor.BIG32, bench_tensor.OursEngine), 200),
    "big64": (_mlp(bench_tensor.BIG64, bench_tensor.OursEngine), 200),
    "tiny": (_mlp(bench_tensor.TINY64, bench_tensor.OursEngine), 3000),
    "nn-big64": (_mlp(bench_tensor.BIG64, bench_tensor.OursNNEngine), 200),
    "nn-tiny": (_mlp(bench_tensor.TINY64, bench_tensor.OursNNEngine), 3000),
}


def profile_time(case: str, steps: int | None, top: int) -> str:
    make, default_steps = CASES[case]
    step = make()
    step()  # warm up
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps or default_steps):
        step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    print(f"== {case}: {steps or default_steps} steps; functions by own time (tottime)", file=out)
    stats.sort_stats("tottime").print_stats(top)
    print(f"== {case}: our functions by cumulative time", file=out)
    ours = pstats.Stats(profiler, stream=out)
    ours.sort_stats("cumulative").print_stats(r"(autodiff|nn)[/\\]", top)
    return out.getvalue()


def memory_after_backward(top: int) -> str:
    """The allocation sites of what is alive right after backward, before the update."""
    params, x, y = bench_tensor.problem(bench_tensor.BIG64)
    engine = bench_tensor.OursEngine(params, x, y)
    engine.step()
    gc.collect()
    tracemalloc.start(8)
    base = tracemalloc.take_snapshot()
    loss = engine.loss()
    loss.backward()
    after = tracemalloc.take_snapshot()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    lines = [f"== memory-big64: alive after loss.backward() (peak so far {peak / 2**20:.2f} MiB),"
             " by allocation site"]
    for stat in after.compare_to(base, "traceback")[:top]:
        if stat.size_diff <= 0:
            continue
        # most recent call first: the line that allocated, then its callers
        frames = [f"{f.filename.split('/main/')[-1]}:{f.lineno}"
                  for f in reversed(stat.traceback)]
        lines.append(f"{stat.size_diff / 2**20:6.2f} MiB in {stat.count_diff:3d} blocks  "
                     + " <- ".join(frames[:4]))
    for p in engine.params:
        p.grad = None
    del loss
    return "\n".join(lines)


SPLITS = {"split-big32": bench_tensor.BIG32, "split-big64": bench_tensor.BIG64,
          "split-tiny": bench_tensor.TINY64}


def split_time(case: str, rounds: int = 25) -> str:
    """Forward, backward and update of one step, each timed where it runs in the step.

    A phase timed alone runs with warm caches; inside a step it follows large matrix
    products that have evicted the interpreter's working set, so Python costs more there.
    Timing the phases in place shows where the step's difference to NumPy lies.
    """
    config = SPLITS[case]
    params, x, y = bench_tensor.problem(config)
    reference = bench_tensor.NumpyEngine(params, x, y)
    ours = bench_tensor.OursEngine(params, x, y)
    clock = time.perf_counter

    def reference_step():
        t0 = clock()
        _, saved = reference.forward()
        t1 = clock()
        grads = reference.backward(saved)
        del saved  # freed before the update, as in the benchmark's step
        t2 = clock()
        reference.update(grads)
        return t1 - t0, t2 - t1, clock() - t2

    def our_step():
        t0 = clock()
        loss = ours.loss()
        t1 = clock()
        loss.backward()
        t2 = clock()
        ours.update()
        return t1 - t0, t2 - t1, clock() - t2

    steps = 30 if config is not bench_tensor.TINY64 else 500
    engines = (reference_step, our_step)
    for step in engines:
        step()  # warm up
    blocks = {step: [] for step in engines}
    for _ in range(rounds):  # interleaved, as the benchmark does
        for step in engines:
            totals = [0.0, 0.0, 0.0]
            for _ in range(steps):
                for i, seconds in enumerate(step()):
                    totals[i] += seconds
            blocks[step].append([t / steps for t in totals])
    ref, our = ([statistics.median(row[i] for row in blocks[step]) for i in range(3)]
                for step in engines)
    lines = [f"== {case}: {config.label}, median of {rounds} interleaved blocks of {steps} "
             "steps, microseconds",
             f"{'phase':10s} {'NumPy by hand':>14s} {'ours':>10s} {'ours - NumPy':>13s}"]
    for i, phase in enumerate(("forward", "backward", "update")):
        lines.append(f"{phase:10s} {ref[i] * 1e6:14.1f} {our[i] * 1e6:10.1f} "
                     f"{(our[i] - ref[i]) * 1e6:+13.1f}")
    lines.append(f"{'step':10s} {sum(ref) * 1e6:14.1f} {sum(our) * 1e6:10.1f} "
                 f"{(sum(our) - sum(ref)) * 1e6:+13.1f}   ({sum(our) / sum(ref):.3f}x)")
    return "\n".join(lines)


class _SweptNumpyEngine(bench_tensor.NumpyEngine):
    """The hand-written step with `sweep()` after each layer's matrix products.

    NumpyEngine's forward and backward line for line, plus the sweeps: a hook in the
    reference itself would add to the time the benchmark measures.
    """

    def __init__(self, params, x, y, sweep) -> None:
        super().__init__(params, x, y)
        self.sweep = sweep

    def forward(self):
        W, b, n = self.W, self.b, len(self.W)
        inputs, h = [self.x], self.x
        for i in range(n):
            h = h @ W[i].T + b[i]
            self.sweep()
            if i < n - 1:
                h = np.maximum(h, 0)
                inputs.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -logp[self.rows, self.y].mean(), (inputs, logp)

    def backward(self, saved):
        inputs, logp = saved
        W, n = self.W, len(self.W)
        g = np.exp(logp)
        g[self.rows, self.y] -= 1
        g *= 1.0 / len(self.y)
        grads = [None] * n
        for i in reversed(range(n)):
            grads[i] = (g.T @ inputs[i], g.sum(axis=0))
            if i > 0:
                g = g @ W[i]
                g *= inputs[i] > 0
            self.sweep()
        return grads


def cold_caches(mebibytes=(0, 1, 4, 8), steps: int = 2000) -> str:
    """How our per-step overhead grows when the caches are emptied between ops.

    In the big MLP each matrix product reads and writes megabytes, which pushes the
    interpreter's code and data out of the CPU caches; the Python that follows runs
    slower than it does in a loop of small steps. Here the tiny MLP's step gets the same
    treatment: after each layer's products, forward and backward, a buffer of the given
    size is read (6 sweeps per step in both engines, not timed). The difference between
    the two engines is the cost of our graph bookkeeping.
    """
    from autodiff import ops

    lines = [f"== cold-tiny: {bench_tensor.TINY64.label}, microseconds per step "
             "(sweeps not counted), median of 7 interleaved blocks",
             f"{'swept after each product':>25s} {'NumPy by hand':>14s} {'ours':>8s} "
             f"{'ours - NumPy':>13s}"]
    forward, backward = ops.Linear.forward, ops.Linear.backward
    try:
        for size in mebibytes:
            buffer = np.ones(size * 2**20 // 8)
            swept = [0]

            def sweep(buffer=buffer, swept=swept):
                t = time.perf_counter()
                buffer.sum()
                swept[0] += time.perf_counter() - t

            def swept_forward(*args, **kwargs):
                out = forward(*args, **kwargs)
                sweep()
                return out

            def swept_backward(*args, **kwargs):
                grads = backward(*args, **kwargs)
                sweep()
                return grads

            ops.Linear.forward = staticmethod(swept_forward)
            ops.Linear.backward = staticmethod(swept_backward)
            params, x, y = bench_tensor.problem(bench_tensor.TINY64)
            engines = {"ref": _SweptNumpyEngine(params, x, y, sweep),
                       "ours": bench_tensor.OursEngine(params, x, y)}
            blocks = {name: [] for name in engines}
            for engine in engines.values():
                for _ in range(50):
                    engine.step()
            for _ in range(7):
                for name, engine in engines.items():
                    swept[0] = 0.0
                    t = time.perf_counter()
                    for _ in range(steps // 7):
                        engine.step()
                    blocks[name].append((time.perf_counter() - t - swept[0]) / (steps // 7))
            ref, ours = (statistics.median(blocks[k]) * 1e6 for k in ("ref", "ours"))
            lines.append(f"{f'{size} MiB':>25s} {ref:14.1f} {ours:8.1f} {ours - ref:+13.1f}")
    finally:
        ops.Linear.forward, ops.Linear.backward = staticmethod(forward), staticmethod(backward)
    return "\n".join(lines)


class _Node:
    """A node of the minimal tape below: its value, its rule and its inputs."""

    __slots__ = ("data", "grad", "rule", "inputs")

    def __init__(self, data, rule=None, inputs=()) -> None:
        self.data, self.grad, self.rule, self.inputs = data, None, rule, inputs


class _MinimalTapeEngine:
    """The least a graph engine in Python can do for this step: a node per op, a
    topological sort, each rule called with its inputs' data. No checks of shapes,
    dtypes or labels, no grad mode, no intermediate `.grad`, no parameter objects.

    With `check_labels`, the one check ours makes on every step that the hand-written
    code does not: the labels' range (autodiff's own function, one reduction).
    """

    def __init__(self, params, x, y, check_labels=False) -> None:
        from autodiff.tensor import check_labels as check

        self.leaves = [(_Node(W.copy()), _Node(b.copy())) for W, b in params]
        self.x, self.y, self.rows = x, y, np.arange(len(y))
        self.lr, self.check = bench_tensor.LEARNING_RATE, check if check_labels else None

    @staticmethod
    def _linear(g, x, W, b):
        return (g @ W, g.T @ x, g.sum(axis=0))

    @staticmethod
    def _first_linear(g, x, W, b):  # the batch needs no gradient
        return (None, g.T @ x, g.sum(axis=0))

    @staticmethod
    def _relu(g, x):
        return (g * (x > 0),)

    def _loss_rule(self, g, logits):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[self.rows, self.y] -= 1
        p *= g / len(self.y)
        return (p,)

    def step(self):
        h = _Node(self.x)
        for i, (W, b) in enumerate(self.leaves):
            z = h.data @ W.data.T
            z += b.data
            h = _Node(z, self._linear if i else self._first_linear, (h, W, b))
            if i < len(self.leaves) - 1:
                h = _Node(np.maximum(z, 0), self._relu, (h,))
        if self.check is not None:
            self.check(self.y, h.data.shape[1], "tape")
        shifted = h.data - h.data.max(axis=1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=1))
        loss = _Node((lse - shifted[self.rows, self.y]).mean(), self._loss_rule, (h,))
        order, seen, stack = [], set(), [(loss, False)]
        while stack:  # depth-first, a node after its inputs
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((n, False) for n in node.inputs)
        loss.grad = 1.0
        for node in reversed(order):
            if node.rule is None:
                continue
            grads = node.rule(node.grad, *(n.data for n in node.inputs))
            for n, g in zip(node.inputs, grads, strict=True):
                if g is not None:
                    n.grad = g if n.grad is None else n.grad + g
        del order, stack, loss, h, z
        lr = self.lr
        for W, b in self.leaves:
            W.data -= lr * W.grad
            b.data -= lr * b.grad
            W.grad = b.grad = None


def floor(case: str, rounds: int = 25) -> str:
    """The hand-written step, ours (Tensor ops), and a minimal tape in Python with and
    without the label check, interleaved: how far the goal is from what any engine
    that records a graph in Python can do."""
    config = FLOORS[case]
    params, x, y = bench_tensor.problem(config)
    engines = {
        "NumPy by hand": bench_tensor.NumpyEngine(params, x, y),
        "ours (Tensor ops)": bench_tensor.OursEngine(params, x, y),
        "minimal tape": _MinimalTapeEngine(params, x, y),
        "minimal tape + label check": _MinimalTapeEngine(params, x, y, check_labels=True),
    }
    _check_tape(params, x, y)
    steps = 30 if config is not bench_tensor.TINY64 else 500
    for engine in engines.values():
        for _ in range(10):
            engine.step()
    blocks = {name: [] for name in engines}
    for _ in range(rounds):
        for name, engine in engines.items():
            t = time.perf_counter()
            for _ in range(steps):
                engine.step()
            blocks[name].append((time.perf_counter() - t) / steps)
    times = {name: statistics.median(b) for name, b in blocks.items()}
    ref = times["NumPy by hand"]
    lines = [f"== {case}: {config.label}, median of {rounds} interleaved blocks of {steps} "
             "steps",
             f"{'engine':28s} {'us/step':>9s} {'vs NumPy':>9s}"]
    lines += [f"{name:28s} {t * 1e6:9.1f} {t / ref:8.3f}x" for name, t in times.items()]
    return "\n".join(lines)


def _check_tape(params, x, y) -> None:
    """The tape's first step must update the weights as the hand-written one does."""
    reference, tape = bench_tensor.NumpyEngine(params, x, y), _MinimalTapeEngine(params, x, y)
    reference.step()
    tape.step()
    for W, (tW, tb), b in zip(reference.W, tape.leaves, reference.b, strict=True):
        tol = {"rtol": 1e-4, "atol": 1e-6} if W.dtype == np.float32 else {}
        if not (np.allclose(tW.data, W, **tol) and np.allclose(tb.data, b, **tol)):
            raise AssertionError("the minimal tape's step differs from the hand-written one")


FLOORS = {"floor-big32": bench_tensor.BIG32, "floor-big64": bench_tensor.BIG64,
          "floor-tiny": bench_tensor.TINY64}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("case", choices=[*CASES, "memory-big64", *SPLITS, "cold-tiny",
                                         *FLOORS])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.case == "memory-big64":
        print(memory_after_backward(args.top))
    elif args.case in SPLITS:
        print(split_time(args.case))
    elif args.case == "cold-tiny":
        print(cold_caches())
    elif args.case in FLOORS:
        print(floor(args.case))
    else:
        print(profile_time(args.case, args.steps, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
