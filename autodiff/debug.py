"""Finding what went wrong: anomaly detection and locating a wrong derivative rule.

- `detect_anomaly()`: a context manager under which every node remembers the line of
  user code that made it, and a NaN or an infinity appearing in forward or backward
  raises `AnomalyError` naming the op, the node and that line.
- `locate_fault(f, inputs)`: when `gradcheck` fails on a composite function, check each
  op of its graph on its own (its backward rule against central differences of its
  forward, at that node's inputs) and report the first op whose rule disagrees.
"""

from __future__ import annotations

import linecache
import math
import os
import re
import sys
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from . import backends
from .function import Context
from .gradcheck import GradcheckError, _check_settings, _check_steps, _float64_leaves, gradcheck
from .graph import Node, Tracer, check_flag, enable_grad, mode_wrapper, no_grad, set_tracer
from .tensor import _function_argument
from .value import Value
from .viz import _nonfinite

__all__ = ["detect_anomaly", "AnomalyError", "Site", "locate_fault", "FaultReport",
           "OpCheck"]


# ======================================================================================
# Anomaly detection
# ======================================================================================


@dataclass(frozen=True)
class Site:
    """A line of user code: where a node was made."""

    filename: str
    lineno: int
    function: str
    line: str

    def __str__(self) -> str:
        text = f"{self.filename}:{self.lineno} in {self.function}"
        return f"{text}: {self.line}" if self.line else text


class AnomalyError(RuntimeError):
    """A NaN or an infinity appeared under `detect_anomaly()`.

    Attributes:
        phase: "forward" (an op's result) or "backward" (a gradient).
        op: the op's name ("" for a leaf).
        node: the node whose result, or whose op's gradient, went bad.
        label: the node's label.
        shape: its shape (() for a Value).
        site: the `Site` of user code that made the node (None if unknown).
    """

    def __init__(self, message: str, *, phase: str, node: Node, site: Site | None,
                 op: str | None = None):
        super().__init__(message)
        self.phase = phase
        self.node = node
        self.op = node.op if op is None else op  # (an unrecorded node keeps no op)
        self.label = node.label
        self.shape = tuple(np.shape(node.data))
        self.site = site


def _library_dirs() -> tuple[str, ...]:
    """Folders whose frames are the library's, not the user's: autodiff/ and nn/."""
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = {here, os.path.join(os.path.dirname(here), "nn")}
    nn = sys.modules.get("nn")
    if nn is not None and getattr(nn, "__file__", None):
        dirs.add(os.path.dirname(os.path.abspath(nn.__file__)))
    return tuple(d + os.sep for d in dirs)


def _user_site(skip: tuple[str, ...]) -> Site | None:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(skip) and not filename.endswith(
                os.sep + "contextlib.py"):
            line = linecache.getline(filename, frame.f_lineno).strip()
            return Site(_short_path(filename), frame.f_lineno, frame.f_code.co_name, line)
        frame = frame.f_back
    return None


_NOTEBOOK_CELL = re.compile(r"ipykernel_\d+[/\\]\d+\.py$")


def _short_path(filename: str) -> str:
    """The path relative to the working directory when it is inside it; "<cell>" for a
    Jupyter cell (whose temporary file name means nothing to a reader)."""
    if _NOTEBOOK_CELL.search(filename):
        return "<cell>"
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive (Windows)
        return filename
    return filename if relative.startswith("..") else relative


def _bad(x) -> str:
    """'' when x (a number, array or node) is all finite, else 'nan' or 'inf'."""
    found = _nonfinite(x)
    return "" if not found else ("nan" if "nan" in found else "inf")


def _shape(node: Node) -> str:
    shape = tuple(np.shape(node.data))
    return "a scalar" if isinstance(node, Value) else f"shape {shape}"


def _who(node: Node) -> str:
    name = f"'{node.label}'" if node.label else "(no label)"
    return f"node {name}, {_shape(node)}"


class _NodeRef(weakref.ref):
    """A weak reference to a node that knows the node's id (gone once the node is)."""

    __slots__ = ("key",)


class _AnomalyTracer(Tracer):
    def __init__(self, previous: Tracer | None, check_forward: bool):
        self.previous = previous
        self.check_forward = check_forward
        # id -> (weak reference, site): weak, so that a graph the user drops is freed
        # as it would be without the tracer; the reference also tells a node from a
        # later one that reuses its id.
        self.sites: dict[int, tuple[_NodeRef, Site | None]] = {}
        self.skip = _library_dirs()

    def site(self, node: Node) -> Site | None:
        entry = self.sites.get(id(node))
        return entry[1] if entry is not None and entry[0]() is node else None

    def on_create(self, node, op=None):
        ref = _NodeRef(node, self._forget)
        ref.key = id(node)
        self.sites[ref.key] = (ref, _user_site(self.skip))
        if self.previous is not None:
            self.previous.on_create(node, op)
        if self.check_forward:
            bad = _bad(node.data)
            if bad:
                self._forward_error(node, bad, op.name if op is not None else node.op)

    def _forget(self, ref: _NodeRef) -> None:
        entry = self.sites.get(ref.key)
        if entry is not None and entry[0] is ref:
            del self.sites[ref.key]

    def _forward_error(self, node: Node, bad: str, op: str) -> None:
        site = self.site(node)
        text = (f"detect_anomaly: forward of op '{op}' produced {bad} in its result "
                f"({_who(node)})")
        for i, parent in enumerate(node._parents):
            parent_bad = _bad(parent)
            if parent_bad:
                if not isinstance(parent, Node):
                    kind = "a constant"
                else:
                    kind = f"op '{parent.op}'" if parent.op else "a leaf"
                    kind += f" '{parent.label}'" if parent.label else ""
                text += f"; its input {i} ({kind}) already contained {parent_bad}"
                break
        raise AnomalyError(text + _made_at(site), phase="forward", node=node, site=site,
                           op=op)

    def on_backward(self, node, grad, sent):
        if self.previous is not None:
            self.previous.on_backward(node, grad, sent)
        bad = _bad(grad)
        if bad:
            # Each contribution was checked where it was sent, so this is the seed, or
            # finite contributions whose sum overflowed.
            site = self.site(node)
            what = f"op '{node.op}'" if node.op else "a leaf"
            raise AnomalyError(
                f"detect_anomaly: the total gradient reaching {what} ({_who(node)}) "
                f"contains {bad}: the seed given to backward, or a sum of finite "
                f"contributions that overflowed{_made_at(site)}",
                phase="backward", node=node, site=site)
        for parent, g in sent:
            bad = _bad(g)
            if bad:
                site = self.site(node)
                index = next(i for i, p in enumerate(node._parents) if p is parent)
                raise AnomalyError(
                    f"detect_anomaly: backward of op '{node.op}' produced {bad} in the "
                    f"gradient for its input {index} ({_who(parent)}) from a finite "
                    f"gradient; the op's result is {_who(node)}{_made_at(site)}",
                    phase="backward", node=node, site=site)


def _made_at(site: Site | None) -> str:
    return f"\n  made at {site}" if site is not None else "\n  made at an unknown line"


class detect_anomaly:
    """Context manager (and decorator) that catches NaN and infinity where they appear.

    Inside it, in this thread, every node remembers the line of your code that made it
    (the first frame outside autodiff/ and nn/), and:

    - forward: an op whose result holds NaN or inf raises `AnomalyError` naming the op,
      the node's label and shape, and that line (and which input was already bad);
    - backward: an op's rule that turns a finite gradient into NaN or inf raises
      `AnomalyError` the same way, for the node whose rule it was.

    It slows every op down (a stack walk and a finiteness check per node), so use it
    to hunt a bug, not for training. `check_forward=False` checks backward only, as
    PyTorch's anomaly mode does.

    As a decorator (`@detect_anomaly()`), it holds while the function runs; for a
    generator function, while its body runs, each time the generator is resumed.

    Example::

        with autodiff.detect_anomaly():
            loss = model(x).log().sum()     # AnomalyError: forward of op 'log' ...
            loss.backward()
    """

    def __init__(self, check_forward: bool = True) -> None:
        if callable(check_forward):  # the function decorated by `@detect_anomaly`
            raise TypeError(f"detect_anomaly: got {check_forward!r} as check_forward; as a "
                            "decorator, write @detect_anomaly() (with parentheses)")
        self.check_forward = check_flag(check_forward, "detect_anomaly", "check_forward")
        self._local = threading.local()

    def __enter__(self) -> detect_anomaly:
        stack = self._local.__dict__.setdefault("stack", [])
        tracer = _AnomalyTracer(None, self.check_forward)
        # NumPy's own warnings would fire (or, under warnings-as-errors, raise) before
        # the check can name the op and the line; the check reports these cases itself.
        errstate = np.errstate(divide="ignore", invalid="ignore", over="ignore")
        errstate.__enter__()
        tracer.previous = set_tracer(tracer)
        stack.append((tracer, errstate))
        return self

    def __exit__(self, *exc: object) -> None:
        tracer, errstate = self._local.stack.pop()
        set_tracer(tracer.previous)
        errstate.__exit__(*exc)
        tracer.sites.clear()

    def __call__(self, func):
        # (contextlib's ContextDecorator would leave the mode as soon as a generator
        # function returned its generator, before any of the body ran)
        return mode_wrapper(func, self.__enter__, lambda _: self.__exit__(None, None, None))

    def site(self, node: Node) -> Site | None:
        """Where `node` was made, if it was made inside this block (still open)."""
        stack = getattr(self._local, "stack", [])
        return stack[-1][0].site(node) if stack else None


# ======================================================================================
# Locating a wrong derivative rule
# ======================================================================================


@dataclass(eq=False)  # identity, as BackwardStep: its node may be a Tensor
class OpCheck:
    """One op's rule checked at one node: the worst element of its inputs.

    Attributes:
        position: the node's place in forward order (0-based, ops only counted).
        node: the node the op made.
        op: the op's name.
        input: which input of the op the worst disagreement is in (None: all agree).
        index: the element of that input (a tuple).
        analytic: the op's backward rule (a vector-Jacobian product with fixed random
            output weights).
        numeric: central differences of the op's forward.
        error: |analytic - numeric| / max(|analytic|, |numeric|, atol).
        ok: whether |analytic - numeric| <= atol + rtol * |numeric| everywhere.
        unjudged: elements where the op's forward has no derivative to compare with (a
            kink, such as relu at 0 or a tie of max, or a step outside its domain).
    """

    position: int
    node: Node
    op: str
    input: int | None
    index: tuple
    analytic: float
    numeric: float
    error: float
    ok: bool
    unjudged: int = 0

    @property
    def name(self) -> str:
        node = self.node
        shape = "" if isinstance(node, Value) else f" {tuple(node.data.shape)}"
        return (f"'{node.label}'" if node.label else f"#{self.position + 1}") + shape


class FaultReport:
    """What `locate_fault` found: every op checked, and the first that is wrong.

    Attributes:
        checks: one `OpCheck` per op node, in forward order.
        fault: the first `OpCheck` that failed, or None.
        gradcheck_error: the `GradcheckError` of the whole function, or None if its
            gradient passed.
        ok: True when no op failed.

    `str(report)` is a table (node, op, analytic, numeric, relative error).
    """

    def __init__(self, checks: list[OpCheck], gradcheck_error: GradcheckError | None):
        self.checks = checks
        self.fault = next((c for c in checks if not c.ok), None)
        self.gradcheck_error = gradcheck_error

    @property
    def ok(self) -> bool:
        """True when every op's rule agrees with its forward."""
        return self.fault is None

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The table as strings: node, op, input[index], analytic, numeric, rel. error."""
        out = []
        for c in self.checks:
            where = "" if c.input is None else f"x{c.input}{list(c.index) if c.index else ''}"
            mark = "" if c.ok else ("  <-- first wrong rule" if c is self.fault else "  wrong")
            if c.unjudged:
                mark += f"  ({c.unjudged} at a kink, not judged)"
            out.append((c.name, c.op, where, f"{c.analytic:.6g}", f"{c.numeric:.6g}",
                        f"{c.error:.2e}{mark}"))
        return out

    def table(self, max_rows: int = 30) -> str:
        """The checks as a text table, one row per op (`rows()`); beyond `max_rows`,
        the rows around the fault. The relative error is |analytic - numeric| divided
        by the larger of the two: at most 1 for numbers of one sign, up to 2 when they
        differ in sign."""
        header = ("node", "op", "input", "analytic", "numeric", "rel. error")
        rows = self.rows()
        if len(rows) > max_rows:  # keep the fault and its neighbours in view
            at = self.checks.index(self.fault) if self.fault is not None else 0
            start = max(0, min(at - max_rows // 2, len(rows) - max_rows))
            shown = rows[start:start + max_rows]
            skipped = (start, len(rows) - start - len(shown))
        else:
            shown, skipped = rows, (0, 0)
        widths = [max(len(r[i]) for r in [header] + shown) for i in range(6)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        if skipped[0]:
            lines.append(f"... {skipped[0]} ops before")
        lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in shown)
        if skipped[1]:
            lines.append(f"... {skipped[1]} ops after")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text(whole_function=True)

    def _text(self, whole_function: bool) -> str:
        """The report; without the whole function's verdict where gradcheck, whose
        error leads with that verdict, attaches it."""
        if self.fault is None:
            head = f"All {len(self.checks)} op rules agree with their forward."
        else:
            f = self.fault
            head = (f"First wrong rule: op '{f.op}' at node {f.name} (op {f.position + 1} of "
                    f"{len(self.checks)} in forward order): input {f.input}, index "
                    f"{f.index}: analytic {f.analytic:.6g}, numeric {f.numeric:.6g}.")
        if whole_function:
            verdict = ("gradcheck passes." if self.gradcheck_error is None
                       else self.gradcheck_error)
            head += f"\nWhole function: {verdict}"
        return head + "\n" + self.table()

    def __repr__(self) -> str:
        if self.fault is None:
            return f"<FaultReport: {len(self.checks)} ops, all agree>"
        return f"<FaultReport: first wrong rule is op '{self.fault.op}' at {self.fault.name}>"


def locate_fault(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                 seed: int = 0) -> FaultReport:
    """Check every op of `f`'s graph on its own and report the first wrong rule.

    `f` is run once on float64 copies of `inputs` (as `gradcheck` does). Then for each
    op node, in forward order, its op's backward rule is applied to fixed random output
    weights and compared with central differences of its op's forward at that node's
    inputs, element by element. Leaves' data are left unchanged.

    Each element is moved on its own and the op rerun on whole arrays, so the cost grows
    as the square of the activations' size: a batch of 512 through a 32-wide layer takes
    seconds where gradcheck takes a tenth of one. Locate on a few samples: a wrong rule
    is wrong on them too.

    Args:
        f, inputs, eps, atol, rtol, seed: as for `gradcheck`.

    Returns:
        a `FaultReport`; `report.fault` is the first op whose rule disagrees (None if
        every rule agrees), `print(report)` shows the table.
    """
    # checked here, so that a bad argument is named as locate_fault's, not as the
    # gradcheck's it runs below
    _check_settings("locate_fault", f, eps, atol, rtol, seed)
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    leaves = _float64_leaves(inputs)
    _check_steps(leaves, eps, "locate_fault")
    args = [leaf if leaf is not None else x for leaf, x in zip(leaves, inputs, strict=True)]
    with enable_grad():  # the graph to check is needed even under no_grad()
        out = f(*args)
    if not isinstance(out, Node):
        raise TypeError(f"locate_fault: f must return a Value or a Tensor, got "
                        f"{type(out).__name__}")
    try:
        gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed)
        overall = None
    except GradcheckError as error:
        overall = error
    from .viz import _collect

    rng = np.random.default_rng(seed)
    checks = []
    for node in _collect(out):
        if node._op is None or not any(
                isinstance(p, Node) and p.requires_grad for p in node._parents):
            continue
        checks.append(_check_op(len(checks), node, rng, eps, atol, rtol))
    return FaultReport(checks, overall)


def _check_op(position, node, rng, eps, atol, rtol) -> OpCheck:
    op = node._op
    is_value = isinstance(node, Value)
    params = node._ctx if isinstance(node._ctx, dict) else {}
    # (as recorded: a Function's forward got a list argument as an array)
    data = [_f64(p.data if isinstance(p, Node)
                 else _function_argument(p, op) if op.is_function else p)
            for p in node._parents]
    needs = tuple(isinstance(p, Node) and p.requires_grad for p in node._parents)
    xp = backends.SCALAR if is_value else backends.ARRAY

    def forward(*xs):
        if op.is_function:
            return _f64(op.forward(_context(op, xs, needs), *xs))
        return _f64(op.forward(xp, *xs, **params))

    with no_grad():
        out = forward(*data)
        # (magnitude 1 to 2: a weight near 0 would hide an output element's error)
        weights = 1.0 if is_value else (rng.uniform(1.0, 2.0, np.shape(out))
                                        * rng.choice([-1.0, 1.0], np.shape(out)))
        if op.is_function:
            ctx = _context(op, data, needs)
            op.forward(ctx, *data)
            grads = op.backward(ctx, np.asarray(weights) if not is_value else weights)
            if not isinstance(grads, (tuple, list)):
                grads = (grads,)
        elif op.needs_input_grad:
            grads = op.backward(xp, weights, out, *data, needs=needs, **params)
        else:
            grads = op.backward(xp, weights, out, *data, **params)

    worst = None  # (excess over tolerance, input, index, analytic, numeric)
    unjudged = 0
    with np.errstate(all="ignore"):
        base = np.asarray(out, dtype=np.float64) * weights  # the weighted outputs
    for i, (x, need) in enumerate(zip(data, needs, strict=True)):
        if not need:
            continue
        g = grads[i] if i < len(grads) else None
        shape = np.shape(x)
        analytic = np.zeros(shape) if g is None else np.asarray(
            backends.sum_to(np.asarray(g, dtype=np.float64), shape)
            if np.shape(g) != shape else g, dtype=np.float64)
        for index in np.ndindex(shape):
            numeric, noise = _partial(forward, data, i, index, weights, eps, base, atol,
                                      rtol)
            if math.isnan(numeric):  # a kink, or a step left the op's domain: no verdict
                unjudged += 1
                continue
            a = float(analytic[index])
            # (noise: the rounding a difference quotient of these outputs may carry)
            excess = abs(a - numeric) - (atol + rtol * abs(numeric) + noise)
            if math.isnan(excess):  # a nan (or inf - inf) analytic value: the worst
                excess = math.inf
            if worst is None or excess > worst[0]:
                worst = (excess, i, index, a, numeric)
    if worst is None:
        return OpCheck(position, node, op.name, None, (), 0.0, 0.0, 0.0, True, unjudged)
    excess, i, index, a, numeric = worst
    error = abs(a - numeric) / max(abs(a), abs(numeric), atol)
    return OpCheck(position, node, op.name, i, index, a, numeric, error, excess <= 0,
                   unjudged)


def _context(op, xs, needs) -> Context:
    ctx = Context()
    ctx.needs_input_grad = needs
    ctx._input_shapes = tuple(np.shape(x) for x in xs)
    return ctx


def _f64(x):
    """Float data in float64 (so differences are precise); other data as it is."""
    if isinstance(x, float):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.dtype != np.float64:
        return x.astype(np.float64)
    return x


def _partial(forward, data, i, index, weights, eps, base, atol, rtol) -> tuple[float, float]:
    """d/dx_i[index] of sum(weights * forward(...)) by central differences; nan where
    there is none: a step leaves the op's domain, or the two one-sided differences
    disagree, as they do at a kink (relu at 0, a tie of max), where the central
    difference is the mean of two slopes, not a derivative.

    The outputs are differenced element by element before they are summed (`base`: the
    weighted outputs at the point), so a large output of large values does not drown
    the slopes in the rounding of its sum. A smooth op's one-sided slopes then differ
    by about eps times its curvature, plus the rounding of the elements that moved: far
    less than the tolerance of 10 * (atol + rtol * slope) used here.

    Returns (the derivative, the rounding it may carry)."""
    x = data[i]

    def at(delta) -> np.ndarray:
        xs = list(data)
        if isinstance(x, np.ndarray):
            moved = x.copy()
            moved[index] += delta
            xs[i] = moved
        else:
            xs[i] = x + delta
        with np.errstate(all="ignore"):
            return np.asarray(forward(*xs), dtype=np.float64) * weights

    try:
        up, down = at(eps), at(-eps)
    except (ValueError, ArithmeticError):  # a step left the op's domain (log of < 0)
        return float("nan"), 0.0
    with np.errstate(all="ignore"):
        moved = (up != base) | (down != base)
        noise = 2 * np.finfo(np.float64).eps * float(np.sum(np.abs(base[moved]))) / eps
        right = float(np.sum(up - base)) / eps
        left = float(np.sum(base - down)) / eps
        central = float(np.sum(up - down)) / (2 * eps)
    if not (math.isfinite(right) and math.isfinite(left)):
        return float("nan"), noise
    if abs(right - left) > 10 * (atol + rtol * max(abs(right), abs(left)) + noise):
        return float("nan"), noise
    return central, noise
