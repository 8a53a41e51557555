"""Measuring and reporting: timers, peak memory, tables, goals.

Timing rules, shared by every section:

- `time.perf_counter`, warm-up calls first, then several repeats; the reported figure
  is the median of the repeats (each repeat is a block of back-to-back calls, divided
  by the number of calls).
- The engines compared in one table are interleaved round-robin (repeat 1 of every
  engine, then repeat 2 of every engine, ...), so a slow drift of the machine (another
  process, CPU clock) hits all of them alike instead of whichever ran last.
- The garbage collector stays ON while timing, as users run their code. Between two
  timed blocks (never inside one) `gc.collect()` clears what the previous block left,
  so each block starts from the same clean heap.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass
class Budget:
    """How hard to measure: full run or --quick."""

    repeats: int = 7  # timed blocks per engine (the median is reported)
    block_seconds: float = 0.15  # aim for blocks about this long
    warmup: int = 3  # untimed calls before the first block
    max_calls: int = 2000  # never more calls than this in one block


def time_call(fn: Callable[[], object], calls: int, gc_on: bool = True) -> float:
    """Seconds per call of `fn`, over one block of `calls` back-to-back calls.

    `gc_on=False` switches the garbage collector off for the block: only for figures
    labelled as such, which show how much of a time the collector takes.
    """
    if not gc_on:
        gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    finally:
        gc.enable()


def page_faults() -> int | None:
    """Minor page faults of this process so far (None where the OS does not say).

    A fault is memory the allocator took fresh from the operating system and touched
    for the first time: glibc gives freed heap memory back once enough of it lies free,
    so a step that allocates large arrays may pay for pages anew on every call, or never,
    depending on what ran before in the process.
    """
    if sys.platform == "win32":
        return None
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def compare(cases: dict[str, Callable[[], object]], budget: Budget,
            gc_on: bool = True, faults: dict[str, float] | None = None) -> dict[str, float]:
    """Median seconds per call of each case, measured interleaved round-robin.

    Each case gets `budget.warmup` untimed calls, then a block length chosen so that one
    block lasts about `budget.block_seconds`, then `budget.repeats` timed blocks. Given a
    `faults` dict, fills it with each case's minor page faults per call (median block),
    where the OS counts them.
    """
    calls: dict[str, int] = {}
    for name, fn in cases.items():
        for _ in range(budget.warmup):
            fn()
        gc.collect()
        once = time_call(fn, 1)
        calls[name] = max(1, min(budget.max_calls, int(budget.block_seconds / max(once, 1e-9))))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    faulted: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(budget.repeats):
        for name, fn in cases.items():
            gc.collect()
            before = page_faults()
            samples[name].append(time_call(fn, calls[name], gc_on))
            if before is not None:
                faulted[name].append((page_faults() - before) / calls[name])
    gc.collect()
    if faults is not None:
        faults.update({name: statistics.median(n) for name, n in faulted.items() if n})
    return {name: statistics.median(times) for name, times in samples.items()}


# --------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes allocated (per tracemalloc) above the starting point while `fn` runs.

    Counts Python objects and NumPy's arrays (NumPy reports its buffers to tracemalloc);
    not memory that PyTorch's allocator takes. Whatever `fn` returns is dropped before
    the measurement ends, but its size was part of the peak.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    gc.collect()
    return peak - base


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    """A duration with a unit that keeps 3 significant digits readable."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def fmt_rate(per_second: float | None) -> str:
    if per_second is None:
        return "-"
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M/s"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.0f} k/s"
    return f"{per_second:.1f} /s"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.2f} MiB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KiB"
    return f"{n:.0f} B"


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


# --------------------------------------------------------------------------------------
# Tables and goals
# --------------------------------------------------------------------------------------


@dataclass
class Goal:
    """One measured goal and whether it was met (None: could not be measured)."""

    section: str
    text: str
    measured: str
    ok: bool | None


@dataclass
class Table:
    """A titled text table with notes under it."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left: tuple[int, ...] = (0,)  # the columns aligned left (the others align right)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        widths = [len(h) for h in self.header]
        for row in self.rows:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))

        def line(cells: list[str]) -> str:
            parts = [c.ljust(w) if i in self.left else c.rjust(w)
                     for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            return "  ".join(parts).rstrip()

        rule = "-" * len(line(self.header))
        out = [self.title, "=" * len(self.title), line(self.header), rule]
        out += [line(r) for r in self.rows]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)


@dataclass
class Report:
    """What one section hands back: its tables and its goals."""

    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
