"""`python -m benchmarks`: run every benchmark and print one table per section.

Options: --quick (smaller sizes, fewer repeats), --threads N (default 1, the same for
every engine), --only 1,2,... (some sections). See README.md beside this file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time

from . import NUMPY_WAS_PRELOADED, THREAD_VARIABLES, THREADS


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="autodiff against micrograd, hand-written NumPy, HIPS autograd and "
                    "PyTorch: speed as ratios measured in the same run, and peak memory.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and fewer repeats (about a minute)")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="threads for BLAS/OpenMP/PyTorch, the same for every engine "
                             "(default: BENCH_THREADS or 1)")
    parser.add_argument("--only", default="1,2,3,4,5,6",
                        help="comma-separated section numbers to run (default: all)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def machine_lines(threads: int) -> list[str]:
    from . import peers

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    lines = [
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{cpu}, {os.cpu_count()} cores",
        f"threads: {threads} for every engine ({', '.join(THREAD_VARIABLES[:3])} and "
        f"torch.set_num_threads)",
        "garbage collector: ON while timing, as users run code (gc.collect() between "
        "timed blocks only)",
        "timing: time.perf_counter, warm-up, engines interleaved round-robin, median of "
        "repeated blocks; each section in a fresh process",
        "versions: " + ", ".join(f"{k} {v}" for k, v in peers.versions().items()),
    ]
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        lines.append(f"load average at start (1, 5, 15 min): {load}; other work on the "
                     "machine adds noise, though interleaving spreads it over all engines")
    if NUMPY_WAS_PRELOADED:
        lines.append("WARNING: NumPy was imported before the thread count was set; its BLAS "
                     "may use another number of threads")
    return lines


SECTIONS = {
    1: "scalar MLP step vs micrograd",
    2: "scalar chain: speed and memory per node",
    3: "first-order vs create_graph backward",
    4: "tensor MLP training step",
    5: "per-op overhead",
    6: "peak memory of a training step",
}
GOALS_MARK = "@@goals@@ "


def run_section(number: int, quick: bool):
    """Run one section in this process and return its Report."""
    from . import bench_higher, bench_overhead, bench_tensor, bench_value
    from .harness import Budget

    if quick:
        budget = Budget(repeats=3, block_seconds=0.05, warmup=1)
        chain_ours, chain_micrograd, higher_repeats = 100_000, 20_000, 3
    else:
        budget = Budget()
        chain_ours, chain_micrograd, higher_repeats = 1_000_000, 100_000, 5
    if number == 1:
        return bench_value.section_mlp(budget)
    if number == 2:
        return bench_value.section_chain(budget, chain_ours, chain_micrograd)
    if number == 3:
        return bench_higher.section_higher(higher_repeats)
    if number == 4:
        return bench_tensor.section_mlp(budget)
    if number == 5:
        return bench_overhead.section_overhead(budget)
    if number == 6:
        return bench_tensor.section_memory()
    raise ValueError(f"no section {number}")


def child(number: int, quick: bool) -> int:
    """The body of a section's own process: print its tables, then its goals as JSON."""
    gc.enable()
    report = run_section(number, quick)
    for table in report.tables:
        print(table.render())
        print(flush=True)
    goals = [[g.section, g.text, g.measured, g.ok] for g in report.goals]
    print(GOALS_MARK + json.dumps(goals), flush=True)
    return 0


def run_isolated(number: int, quick: bool) -> list:
    """Run a section in a fresh Python process, echo its tables, return its goals.

    A fresh process per section keeps the sections independent: what one leaves behind
    (a large heap, a grown malloc arena, PyTorch's 150,000 objects) changes both the
    garbage collector's and the allocator's costs in the next.
    """
    from .harness import Goal

    command = [sys.executable, "-m", "benchmarks", "--child", str(number)]
    if quick:
        command.append("--quick")
    env = dict(os.environ, BENCH_THREADS=str(THREADS))
    goals: list = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        for line in process.stdout:
            if line.startswith(GOALS_MARK):
                goals = [Goal(*g) for g in json.loads(line[len(GOALS_MARK):])]
            else:
                print(line, end="", flush=True)
    if process.returncode != 0:
        print(f"section {number} ({SECTIONS[number]}) FAILED with exit code "
              f"{process.returncode}; its error is above\n", flush=True)
        goals.append(Goal(str(number), f"section {number} ran", "crashed", False))
    return goals


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.threads != THREADS:
        # The thread variables must be set before NumPy loads: start again with them.
        os.environ["BENCH_THREADS"] = str(args.threads)
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks", *sys.argv[1:]])
    if args.child is not None:
        return child(args.child, args.quick)

    from .harness import Table, verdict

    sections = sorted({int(s) for s in args.only.split(",") if s.strip()})
    unknown = [n for n in sections if n not in SECTIONS]
    if unknown:
        print(f"error: no section {unknown}; sections are {sorted(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    title = "autodiff benchmarks" + (" (--quick)" if args.quick else "")
    print(title)
    print("=" * len(title))
    for line in machine_lines(THREADS):
        print(line)
    print(flush=True)

    goals = []
    for number in sections:
        goals += run_isolated(number, args.quick)

    summary = Table("Summary of goals", ["section", "goal", "measured", "verdict"],
                    left=(0, 1))
    for g in goals:
        summary.add(g.section, g.text, g.measured, verdict(g.ok))
    passed = sum(g.ok is True for g in goals)
    missed = sum(g.ok is False for g in goals)
    summary.notes.append(f"{passed} PASS, {missed} MISS, {len(goals) - passed - missed} n/a; "
                         f"whole run {time.perf_counter() - started:.0f} s")
    print(summary.render(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
