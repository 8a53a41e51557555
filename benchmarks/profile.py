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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("case", choices=[*CASES, "memory-big64", *SPLITS])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.case == "memory-big64":
        print(memory_after_backward(args.top))
    elif args.case in SPLITS:
        print(split_time(args.case))
    else:
        print(profile_time(args.case, args.steps, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
