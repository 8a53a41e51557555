"""Gradient checking: autograd's gradient against central finite differences in float64."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functional import _call, _check_callable, _graph_nodes, gradients
from .graph import Node, check_flag, enable_grad, no_grad
from .graph import backward as _backward
from .tensor import Tensor
from .value import Value

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_grad"]


class GradcheckError(AssertionError):
    """Autograd and finite differences disagree.

    Attributes:
        input: position of the input in `inputs`.
        index: index into that input (a tuple; () for a scalar).
        output: position of the output among f's outputs (0 when f returns one).
        output_index: index into that output (() for a scalar output).
        analytic: the autograd derivative of that output element by that input element.
        numeric: the central-difference derivative.
        difference: analytic - numeric.
    """

    def __init__(self, message: str, *, input: int, index: tuple, analytic: float,
                 numeric: float, output: int = 0, output_index: tuple = ()) -> None:
        super().__init__(message)
        self.input = input
        self.index = index
        self.output = output
        self.output_index = output_index
        self.analytic = analytic
        self.numeric = numeric
        self.difference = analytic - numeric
        self.fault = None  # with gradcheck(locate=True): the FaultReport


# The most entries of an output-by-input Jacobian checked one by one (80 MB in float64);
# past it, or when the outputs outnumber the inputs' elements by far (one backward pass
# per output element would then cost more than the finite differences, and each pass
# costs about as much as the outputs are large: 1,024 outputs of a small function take
# a tenth of a second, 4,096 a few seconds), the outputs are first reduced to one
# weighted sum, unless gradcheck is asked for every entry (`full=True`).
MAX_JACOBIAN_ENTRIES = 10_000_000
MIN_OUTPUTS_CHECKED_ONE_BY_ONE = 1024


def _float64_leaf(x, floats: str | None):
    """A float64 copy of an input to differentiate, or None for a constant. `floats`
    says what a float becomes: "value" (a scalar check: no Tensor or array among the
    inputs), "tensor" (a 0-d Tensor, beside arrays that are all constants, so that it
    combines with them) or None (a constant, beside a differentiable Tensor or float
    array: a slope, an exponent, a scale, as in PyTorch's gradcheck)."""
    if isinstance(x, Value):
        return Value(x.data, label=x.label)
    if isinstance(x, Tensor):
        if not x.requires_grad:
            return None
        return Tensor(x.data.astype(np.float64), requires_grad=True, label=x.label)
    if (floats is not None and isinstance(x, numbers.Real)
            and not isinstance(x, (numbers.Integral, np.bool_))):  # (ints are constants)
        return Value(float(x)) if floats == "value" else Tensor(float(x), requires_grad=True)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor(x.astype(np.float64), requires_grad=True)
    return None


def _float64_leaves(inputs) -> list:
    """The float64 copy of each input to differentiate (None for a constant)."""
    if any((isinstance(x, Tensor) and x.requires_grad)
           or (isinstance(x, np.ndarray) and x.dtype.kind == "f") for x in inputs):
        floats = None
    elif any(isinstance(x, (Tensor, np.ndarray)) for x in inputs) and not any(
            isinstance(x, Value) for x in inputs):  # (beside a Value, a float is one too)
        floats = "tensor"
    else:
        floats = "value"
    return [_float64_leaf(x, floats) for x in inputs]


def gradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int | np.random.Generator | None = 0, locate: bool = False,
              full: bool = False, raise_exception: bool = True) -> bool:
    """Check the gradient autograd computes for `f` at `inputs` by central differences.

    Every Value, Tensor with requires_grad and float array among `inputs` is checked
    (as a float64 copy: the inputs themselves are left unchanged), and so are floats
    unless such a Tensor or float array is among the inputs (a float is a Value, or a
    0-d Tensor beside arrays); others are passed through as constants: ints, integer
    arrays, Tensors that do not require grad, and floats beside a Tensor that requires
    grad or a float array (a slope, an exponent, a scale, as in PyTorch's gradcheck; to
    check one, pass it as np.array(x)). f must
    compute from its arguments: a checked
    tensor read from elsewhere (a closure) instead of its argument raises ValueError.

    Each entry of the Jacobian is checked on its own, as PyTorch's gradcheck does: one
    backward per output element gives autograd's row, central differences of f per
    input element give the numeric column. (Past 10^7 Jacobian entries, or with
    more than 1,024 output elements and twice as many as the inputs have, the outputs
    are first reduced to one sum with fixed random weights of magnitude 1 to 2 and
    random signs, which costs one backward pass; an error in one output's derivative
    that is small beside rtol times the sum's derivative may then pass. `full=True`
    checks every entry whatever it costs.) Then one backward
    with random output weights must give the same weighted sum of the rows: a backward
    that does not multiply by its incoming gradient fails there, even for a scalar
    output.

    Args:
        f: a function of the inputs returning a Value or a Tensor, or a tuple of them.
        inputs: a sequence of the arguments of f (a single non-sequence is one argument).
        eps: the finite-difference step.
        atol, rtol: an entry passes when |analytic - numeric| <= atol + rtol * |numeric|.
        seed: the seed of the random output weights, as `numpy.random.default_rng`
            takes it: a non-negative int, None (fresh randomness) or a Generator
            (drawn from).
        locate: on failure, also check each op of f's graph on its own
            (`autodiff.locate_fault`) and add the table naming the first wrong rule to
            the error (as its `.fault`).
        full: check every entry of the Jacobian on its own, never a weighted sum of
            the outputs: one backward per output element, however many.
        raise_exception: False: return False instead of raising GradcheckError (as
            PyTorch's gradcheck takes it: `assert not gradcheck(..., raise_exception=
            False)` in a test that a wrong rule fails). Other errors still raise.

    The finite differences are only as good as f's arithmetic: if f computes in
    float32 (an `nn` layer casts its input to its weights' dtype), they are wrong by a
    few percent at the default eps, and the error says so. Check a float64 copy of
    the model, or pass eps=1e-3 and looser tolerances. The cost is two evaluations of f
    per input element plus one backward per output element: about 30 s for 10^5
    input elements of a small network.

    Returns:
        True when every entry passes (False when one fails, with raise_exception=False).

    Raises:
        GradcheckError: at the first entry that fails, naming the input, the index, the
            output element (when f has more than one), both derivatives and their
            difference.
        TypeError: nothing to differentiate, f returns something else than nodes, or
            an argument of the wrong type.
        ValueError: f reads a checked input from elsewhere than its arguments; eps,
            atol or rtol is negative, nan or infinite (or eps 0), seed negative; or eps
            so small against an input element x that x + eps == x or x - eps == x.
    """
    __tracebackhide__ = True  # pytest: a failure points at the test's line, not in here
    _check_settings("gradcheck", f, eps, atol, rtol, seed)
    locate = check_flag(locate, "gradcheck", "locate")
    full = check_flag(full, "gradcheck", "full")
    raise_exception = check_flag(raise_exception, "gradcheck", "raise_exception")
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    try:
        return _check_jacobian(_Names("gradcheck"), f, inputs, eps, atol, rtol, seed,
                               locate, full)
    except GradcheckError:
        if raise_exception:
            raise
        return False


class _Names:
    """How a check names itself, its inputs and its outputs' entries in its errors:
    gradcheck's names; gradgradcheck's say which first derivative an output is."""

    def __init__(self, who: str) -> None:
        self.who = who

    def input(self, i: int) -> str:
        return f"input {i}"

    def output(self, k: int, index: tuple, n_outputs: int) -> tuple[str, int, tuple]:
        """The text naming output k's element `index`, and the (output, index) the
        error reports."""
        if n_outputs == 1:
            return (f" (output index {index})" if index else ""), 0, index
        return f" (output {k}, index {index})", k, index


def _run_on_copies(names: _Names, f, inputs, eps) -> tuple[list, list, list[int], list]:
    """f run once, with its graph, on float64 copies of the inputs to check: (the copies,
    None for a constant; f's arguments; the positions checked; f's outputs). Raises,
    naming `names.who`, for nothing to check, an eps lost at an input, f returning other
    than nodes, or f reading an input from a closure."""
    who = names.who
    leaves = _float64_leaves(inputs)
    args = [leaf if leaf is not None else x for leaf, x in zip(leaves, inputs, strict=True)]
    checked = [i for i, leaf in enumerate(leaves) if leaf is not None]
    if not checked:
        raise TypeError(f"{who}: none of the inputs is differentiable (a Value, a Tensor "
                        "with requires_grad=True, a float or a float array)")
    for i in checked:
        _check_step(np.asarray(leaves[i].data), eps, who, names.input(i))
    # the Values made of numbers: f combining one with a Tensor is explained, as by grad
    from_numbers = [leaves[i] for i in checked if isinstance(leaves[i], Value)
                    and not isinstance(inputs[i], Value)]
    before = [np.array(leaves[i].data) for i in checked]  # (copies)
    with enable_grad():  # the analytic gradient needs f's graph, even under no_grad()
        outs = _outputs(_call(f, args, {}, from_numbers, who), who)
    for i, data in zip(checked, before, strict=True):
        if not np.array_equal(np.asarray(leaves[i].data), data, equal_nan=True):
            # (else the finite differences, each from a changed point, read as f
            # giving other values at the same point: "random or keeping state?")
            raise ValueError(f"{who}: f changed {names.input(i)} in place (its data "
                             "differs after one call of f): f, and a Function's forward, "
                             "must not write into their arguments (write y = x * 2, not "
                             "x *= 2; copy an array before changing it)")
    _refuse_closures(outs, inputs, checked, who)
    return leaves, args, checked, outs


def _check_jacobian(names: _Names, f, inputs, eps, atol, rtol, seed, locate: bool,
                    full: bool) -> bool:
    """gradcheck's check, by whichever check calls it (`names`)."""
    __tracebackhide__ = True
    who = names.who
    leaves, args, checked, outs = _run_on_copies(names, f, inputs, eps)
    targets = [leaves[i] for i in checked]
    rng = np.random.default_rng(seed)
    size = sum(int(np.size(_data(o))) for o in outs)
    n_inputs = sum(int(np.size(t.data)) for t in targets)
    projection = None
    if not full and (size * n_inputs > MAX_JACOBIAN_ENTRIES
                     or size > max(2 * n_inputs, MIN_OUTPUTS_CHECKED_ONE_BY_ONE)):
        # Weights of magnitude 1 to 2: a weight near 0 would hide that output's errors
        # (normal weights let a wrong sign pass on 8 of 1,100 outputs)
        projection = [rng.uniform(1.0, 2.0, np.shape(_data(o)))
                      * rng.choice([-1.0, 1.0], np.shape(_data(o))) for o in outs]
        with enable_grad():
            outs = [_projected(outs, projection)]

    def evaluate() -> np.ndarray:
        """f's outputs at the leaves' current data, as one flat float64 vector."""
        with no_grad():  # (then f may give plain arrays: grad(g)(x) does)
            result = f(*args)
            results = list(result) if isinstance(result, (tuple, list)) else [result]
            if projection is not None:
                results = [_projected(results, projection)]
        return np.concatenate([np.asarray(_data(o), dtype=np.float64).reshape(-1)
                               for o in results])

    rows = _jacobian_rows(outs, targets)  # per target: (outputs, *target.shape)
    places = [(k, index) for k, o in enumerate(outs) for index in np.ndindex(np.shape(_data(o)))]

    def where(row: int) -> tuple[str, int, tuple]:
        if projection is not None:
            return (f" (of the outputs' weighted sum: {who}(..., full=True) checks "
                    "each output element and names the wrong one)"), 0, ()
        return names.output(*places[row], len(outs))

    for i, leaf, jacobian in zip(checked, targets, rows, strict=True):
        name = names.input(i) + (f" ({leaf.label})" if leaf.label else "")
        for index in np.ndindex(np.shape(leaf.data)):
            numeric = _central_difference(leaf, index, eps, evaluate,
                                          f"{name}, index {index}", who)
            analytic = jacobian[(slice(None), *index)]
            bad = np.flatnonzero(~(np.abs(analytic - numeric)
                                   <= atol + rtol * np.abs(numeric)))
            if bad.size:
                row = int(bad[0])
                a, n = float(analytic[row]), float(numeric[row])
                where_text, k, out_index = where(row)
                error = GradcheckError(
                    f"{who}: {name}, index {index}{where_text}: analytic "
                    f"{a:.10g}, numeric {n:.10g}, difference {a - n:.3g} (atol={atol}, "
                    f"rtol={rtol}, eps={eps})"
                    f"{_why_numeric_may_be_off(a, n, eps, outs, evaluate)}",
                    input=i, index=index, analytic=a, numeric=n, output=k,
                    output_index=out_index,
                )
                _locate(error, locate, f, inputs, eps, atol, rtol, seed)
                raise error
    _check_linear(names, outs, targets, checked, rows, rng, atol, rtol, locate,
                  (f, inputs, eps, atol, rtol, seed))
    return True


def gradgradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  seed: int | np.random.Generator | None = 0, full: bool = False,
                  raise_exception: bool = True) -> bool:
    """Check the second derivatives autograd computes for `f` at `inputs`, as PyTorch's
    gradgradcheck does: `gradcheck` of f's first derivatives, recorded with
    `create_graph=True`, against central differences of those first derivatives.

    f's outputs are first reduced to one sum, each element weighted by a fixed random
    number (drawn from `seed`, of magnitude 1 to 2; 1 when f returns a single number),
    so that f may return any shape. The weights are inputs of the check too, as the
    incoming gradient is an input of each backward rule. The check's function maps
    (inputs, weights) to the gradient of that sum by each checked input, and each entry
    of its Jacobian is checked: by an input, the weighted Hessian; by a weight, f's
    first derivative. A backward rule that is right for the first derivative but
    records it wrongly (treating an input, its output or its incoming gradient as a
    constant) fails here where gradcheck passes. Check with gradcheck first: the
    differences here are of the first derivatives.

    Args:
        f, inputs, eps, atol, rtol, seed, full, raise_exception: as for `gradcheck`
            (the same inputs are checked, the same are passed through as constants).
            Past 10^7 entries, the first derivatives are reduced to one weighted sum
            unless `full=True`.

    Returns:
        True when every second derivative passes.

    Raises:
        GradcheckError: at the first entry that fails, naming what it is the derivative
            of (which first derivative, d(f)/d(input j, index J)) and by what (an input
            i or an output's weight, and its index), both values and their difference.
            Its `input` and `index` are the "by" (an `input` of len(inputs) + k is output
            k's weight); its `output` and `output_index` are j and J (0 and () when the
            first derivatives were reduced to a sum, or when the check of how backward
            scales its incoming gradient fails).
        TypeError, ValueError: as for `gradcheck`.
    """
    __tracebackhide__ = True
    _check_settings("gradgradcheck", f, eps, atol, rtol, seed)
    full = check_flag(full, "gradgradcheck", "full")
    raise_exception = check_flag(raise_exception, "gradgradcheck", "raise_exception")
    try:
        return _check_second_derivatives(f, inputs, eps, atol, rtol, seed, full)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _check_second_derivatives(f, inputs, eps, atol, rtol, seed, full: bool) -> bool:
    """gradgradcheck's check, its settings checked."""
    __tracebackhide__ = True
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    # f once, for the shapes of its outputs (and the checks of its arguments)
    leaves, _, checked, outs = _run_on_copies(_Names("gradgradcheck"), f, inputs, eps)
    # (never near 0, where a weight would hide a wrong second derivative under atol;
    # 1 for a single number, as gradcheck's, so that the errors show f's own derivatives)
    rng = np.random.default_rng(seed)
    single = len(outs) == 1 and np.size(_data(outs[0])) == 1
    weights = []  # (nodes, so the check takes them as inputs whatever the other inputs)
    for out in outs:
        shape = np.shape(_data(out))
        w = np.ones(shape) if single else (rng.uniform(1.0, 2.0, shape)
                                           * rng.choice([-1.0, 1.0], shape))
        weights.append(Value(float(w)) if isinstance(out, Value)
                       else Tensor(w, requires_grad=True))
    n = len(inputs)

    def first_derivatives(*xs_and_weights):
        xs, ws = xs_and_weights[:n], xs_and_weights[n:]
        targets = [xs[i] for i in checked]
        grads = [None] * len(targets)
        with enable_grad():  # (the check runs this under no_grad() for its differences)
            # Values' and Tensors' weighted outputs are summed apart (a Value and a
            # Tensor do not add); each input gets its gradient from its own kind
            outputs = _outputs(f(*xs), "gradgradcheck")
            for kind in (Value, Tensor):
                terms = [(o, w) for o, w in zip(outputs, ws, strict=True)
                         if isinstance(o, kind)]
                if terms:
                    total = _projected(*map(list, zip(*terms, strict=True)))
                    for j, g in enumerate(gradients(total, targets, create_graph=True,
                                                    allow_unused=True)):
                        if g is not None:
                            grads[j] = g if grads[j] is None else grads[j] + g
        # (an input the sum does not reach has a zero gradient: a constant, whose
        # numeric derivative must be 0 too)
        return tuple(_zero_like(t) if g is None else g
                     for t, g in zip(targets, grads, strict=True))

    names = _SecondDerivativeNames(leaves, checked, n, len(outs), weighted=not single)
    # A float checked here is given as the node it was made (beside the weights, which
    # require grad, it would otherwise be taken as a constant)
    given = [leaves[i] if i in checked and isinstance(x, numbers.Real) else x
             for i, x in enumerate(inputs)]
    return _check_jacobian(names, first_derivatives, given + weights, eps, atol, rtol,
                           seed, False, full)


class _SecondDerivativeNames(_Names):
    """gradgradcheck's names: an input of the check past f's inputs is an output's
    weight, and an output of the check is f's first derivative by a checked input."""

    def __init__(self, leaves, checked, n_inputs, n_outputs, weighted: bool) -> None:
        super().__init__("gradgradcheck")
        self.leaves, self.checked = leaves, checked
        self.n_inputs, self.n_outputs, self.weighted = n_inputs, n_outputs, weighted

    def input(self, i: int) -> str:
        if i < self.n_inputs:
            return f"input {i}"
        k = i - self.n_inputs
        return "the weight of f's output" if self.n_outputs == 1 else f"the weight of output {k}"

    def output(self, k: int, index: tuple, n_outputs: int) -> tuple[str, int, tuple]:
        by = self.checked[k]
        label = self.leaves[by].label
        name = f"input {by} ({label})" if label else f"input {by}"
        if self.weighted:  # the numbers are those of the weighted sum, not of f's own
            return (f", of d(w * f)/d({name}, index {index}) (w: the check's fixed "
                    f"random weights of f's outputs, summed with them)"), by, index
        return f", of d(f)/d({name}, index {index})", by, index


def _zero_like(leaf):
    """A zero derivative of a leaf's shape, as a constant node."""
    return Value(0.0) if isinstance(leaf, Value) else Tensor(np.zeros(leaf.shape))


def _check_settings(who: str, f, eps, atol, rtol, seed) -> None:
    """Refuse, naming `who`, the arguments of gradcheck and locate_fault that would
    fail later with a message of NumPy's, or make the check say nothing (a nan or
    infinite tolerance passes everything)."""
    _check_callable(f, who)
    _check_number(eps, who, "eps", positive=True)
    _check_number(atol, who, "atol")
    _check_number(rtol, who, "rtol")
    _check_seed(seed, who)


def _check_seed(seed, who: str) -> None:
    """Refuse, naming `who` and the value, a seed that `numpy.random.default_rng` would
    refuse (a negative int, a float, a str...), and a bool (a flag passed by mistake).
    None, a non-negative int and a Generator are taken, as nn's seed arguments take them
    (and the rest default_rng takes: a SeedSequence, a BitGenerator, a list of ints)."""
    wanted = "None, a non-negative int or a numpy.random.Generator"
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{who}: seed must be {wanted}, got seed={seed!r} of type "
                        f"{type(seed).__name__}")
    if seed is None or isinstance(seed, np.random.Generator):
        return
    try:
        np.random.default_rng(seed)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{who}: seed must be {wanted}, got seed={seed!r} of type "
                          f"{type(seed).__name__} (numpy.random.default_rng: {error})"
                          ) from None


def _check_number(value, who: str, name: str, positive: bool = False) -> None:
    """Raise unless `value` is a finite real number, > 0 if `positive`, else >= 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number, got {name}={value!r} of type "
                        f"{type(value).__name__}")
    if not (math.isfinite(value) and (value > 0 if positive else value >= 0)):
        raise ValueError(f"{who}: {name} must be a finite number "
                         f"{'> 0' if positive else '>= 0'}, got {name}={value!r}")


def _check_step(point: np.ndarray, eps: float, who: str, name: str) -> None:
    """Raise if a step of eps is lost in rounding at an element of `point` (float64):
    x + eps == x there (the central difference would be a silent 0 whatever f), or
    x - eps == x (it would be half the one-sided slope)."""
    with np.errstate(over="ignore"):
        lost = np.isfinite(point) & ((point + eps == point) | (point - eps == point))
    if lost.any():
        index = tuple(int(j) for j in np.argwhere(lost)[0])
        at = f"{name}, index {index}" if index else name
        x = float(point[index])
        side = "x + eps == x" if x + eps == x else "x - eps == x"  # (-1 - 6e-17 is -1)
        raise ValueError(
            f"{who}: eps={eps!r} is too small for {at}, which is {x:g}: {side} in "
            f"float64, so the finite difference there would be wrong; pass an eps of about "
            f"1e-6 * |x| (eps={1e-6 * abs(x):.1g})")


def _check_steps(leaves: list, eps: float, who: str) -> None:
    """`_check_step` at each input to differentiate (`leaves`: None for a constant)."""
    for i, leaf in enumerate(leaves):
        if leaf is not None:
            _check_step(np.asarray(leaf.data), eps, who, f"input {i}")


def _why_numeric_may_be_off(analytic: float, numeric: float, eps: float, outs,
                            evaluate) -> str:
    """A note for the error when the finite difference itself is suspect: f stepped out
    of its domain, gives other values at the same point, or computes in less than
    float64."""
    if math.isfinite(analytic) and not math.isfinite(numeric):
        return (". f is nan or inf a step of eps from the point: the point is within eps "
                "of where f is undefined; pass a smaller eps, or check another point")
    first = evaluate()
    if any(not np.array_equal(first, evaluate(), equal_nan=True) for _ in range(3)):
        return (". Note: f gave other values at the same point on other calls (random, as "
                "a dropout mask, or keeping state?): finite differences need f to give "
                "the same values each time it is called")
    low = _lowest_float(outs)
    if low is not None:
        return (f". Note: f computes in {low} (an nn layer casts its input to its weights' "
                f"dtype, for one), where central differences at eps={eps} are off by "
                "about 1e-2: check a float64 copy of it, or pass eps=1e-3 and looser "
                "atol and rtol")
    return ""


def _lowest_float(outs) -> str | None:
    """The name of the narrowest float dtype below float64 in f's graph, or None."""
    narrowest = None
    for node in _graph_nodes(outs):
        dtype = getattr(node.data, "dtype", None)
        if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8 and (
                narrowest is None or dtype.itemsize < narrowest.itemsize):
            narrowest = dtype
    return None if narrowest is None else narrowest.name


def _outputs(result, who: str) -> list:
    """f's result as a list of its output nodes."""
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    for out in outs:
        if not isinstance(out, Node):
            what = type(result).__name__
            if isinstance(result, (tuple, list)):
                what += f" holding a {type(out).__name__}"
            raise TypeError(f"{who}: f must return a Value or a Tensor (or a tuple of "
                            f"them), got {what}")
    if not outs:
        raise TypeError(f"{who}: f returned an empty tuple")
    return outs


def _projected(outs: list, weights: list):
    """One node: the sum of the outputs, each weighted elementwise."""
    total = None
    for out, w in zip(outs, weights, strict=True):
        term = out * w
        if not isinstance(term, Value):
            term = term.sum()  # (a Tensor's, or an array's when f gives plain arrays)
        total = term if total is None else total + term
    return total


def _refuse_closures(outs: list, inputs, checked: list[int], who: str) -> None:
    """Raise if f's graph reaches a checked input itself rather than its copy: f read it
    from elsewhere (a closure), so perturbing the argument would check nothing."""
    originals = {id(inputs[i]): i for i in checked if isinstance(inputs[i], Node)}
    if not originals:
        return
    seen: set[int] = set()
    stack = list(outs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in originals:
            i = originals[id(node)]
            raise ValueError(
                f"{who}: f computed from input {i} itself, not from the argument it "
                f"was given (read from a closure?). {who} perturbs float64 copies "
                "passed as f's arguments, so f must compute from them, e.g. "
                f"{who}(lambda W: loss(W), [W]) with loss using its argument")
        stack.extend(p for p in node._parents if isinstance(p, Node))


def _jacobian_rows(outs: list, targets: list) -> list[np.ndarray]:
    """Autograd's Jacobian of the outputs (flattened, in order) by each target: one
    backward per output element."""
    size = sum(int(np.size(_data(o))) for o in outs)
    rows = [np.zeros((size, *np.shape(t.data))) for t in targets]
    row = 0
    for out in outs:
        # (None for a target the output does not reach; an output that is a target
        # itself gets the seed)
        for index in np.ndindex(np.shape(_data(out))):
            grads = _backward(out, _one_hot(out, index), retain_graph=True,
                              create_graph=False, inputs=targets)
            for jacobian, grad in zip(rows, grads, strict=True):
                if grad is not None:
                    jacobian[row] = np.asarray(_data(grad), dtype=np.float64)
            row += 1
    return rows


def _one_hot(out, index: tuple):
    if isinstance(out, Value):
        return 1.0
    seed = np.zeros_like(out.data)
    seed[index] = 1
    return seed


def _check_linear(names, outs, targets, checked, rows, rng, atol, rtol, locate,
                  locate_args):
    """One backward with random output weights must give the same weighted sum of the
    Jacobian's rows: a backward that ignores its incoming gradient fails here (with one
    scalar output, the rows alone are computed with a gradient of exactly 1)."""
    __tracebackhide__ = True
    # magnitudes in [1.5, 2.5], either sign: never near 1, the scale the rows were got at
    weights = [rng.uniform(1.5, 2.5, np.shape(_data(o))) * rng.choice([-1, 1], np.shape(_data(o)))
               for o in outs]
    flat = np.concatenate([w.reshape(-1) for w in weights])
    got = [np.zeros(np.shape(t.data)) for t in targets]
    for out, w in zip(outs, weights, strict=True):
        seed = float(w) if isinstance(out, Value) else w.astype(out.data.dtype)
        grads = _backward(out, seed, retain_graph=True, create_graph=False, inputs=targets)
        for total, grad in zip(got, grads, strict=True):
            if grad is not None:
                total += np.asarray(_data(grad), dtype=np.float64)
    for i, leaf, jacobian, total in zip(checked, targets, rows, got, strict=True):
        expected = np.tensordot(flat, jacobian, axes=1)
        bad = np.argwhere(~(np.abs(total - expected) <= atol + rtol * np.abs(expected)))
        if bad.size:
            index = tuple(int(j) for j in bad[0])
            a, e = float(total[index]), float(expected[index])
            label = f" ({leaf.label})" if leaf.label else ""
            weighted = (f"by {float(flat[0]):.4g}" if flat.size == 1
                        else "by random weights")
            error = GradcheckError(
                f"{names.who}: {names.input(i)}{label}, index {index}: with the output's "
                "gradient "
                f"scaled {weighted}, backward gives {a:.10g}, not {e:.10g}, the same "
                "scaling of the gradients it gives one output element at a time: does "
                "backward multiply by its incoming gradient (grad_output)? "
                f"(atol={atol}, rtol={rtol})",
                input=i, index=index, analytic=a, numeric=e,
            )
            _locate(error, locate, *locate_args)
            raise error


def _locate(error: GradcheckError, locate: bool, f, inputs, eps, atol, rtol, seed) -> None:
    if locate:
        from .debug import locate_fault

        try:
            error.fault = locate_fault(_one_output(f), inputs, eps=eps, atol=atol,
                                       rtol=rtol, seed=seed)
        except (TypeError, ValueError) as failure:
            # the check's own verdict must not be lost to the locating
            error.args = (f"{error.args[0]}\n(locate=True: locate_fault could not run: "
                          f"{failure})",)
            return
        error.args = (f"{error.args[0]}\n{error.fault._text(whole_function=False)}",)


def _one_output(f):
    """f, its several outputs (which locate_fault does not take) summed into one: the
    sum adds ops that are right by construction, and keeps every op of f's graph."""
    def summed(*args):
        out = f(*args)
        if not isinstance(out, (tuple, list)):
            return out
        parts = [o.sum() if isinstance(o, Tensor) else o for o in out]
        if all(isinstance(p, Value) for p in parts):
            return sum(parts[1:], parts[0])
        return sum((p if isinstance(p, Tensor) else Tensor(p) for p in parts[1:]),
                   parts[0] if isinstance(parts[0], Tensor) else Tensor(parts[0]))
    return summed


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray | float:
    """The gradient of scalar-valued `f` at `x` by central differences, in float64:
    (f(x + eps) - f(x - eps)) / (2 eps) for each element in turn.

    `f` takes a float array (or a float) and returns a number: plain NumPy code (a
    document's cost function, say) or autodiff code alike; given a Tensor (a Value) as
    `x`, f gets one too, a constant, so that it may use their methods. `x` is not
    changed.

    Example::

        >>> numerical_grad(lambda w: (w ** 2).sum(), np.array([1.0, -2.0]))
        array([ 2., -4.])

    Raises:
        TypeError: f is not a function, x is not numbers, or f returns more than one.
        ValueError: eps is not a finite number > 0, or so small against an element x
            that x + eps == x or x - eps == x (the difference would be 0, or half the
            slope).
    """
    _check_callable(f, "numerical_grad")
    _check_number(eps, "numerical_grad", "eps", positive=True)
    scalar = isinstance(x, (numbers.Real, Value))
    given = np.asarray(x.data if isinstance(x, Node) else x)
    if given.dtype.kind not in "fiu":  # (None and "1.5" would convert, to nan and 1.5)
        raise TypeError(f"numerical_grad: x must be a float or an array of numbers, got "
                        f"{type(x).__name__} of dtype {given.dtype}: {x!r}")
    point = np.array(given, dtype=np.float64)  # a copy: x itself is never perturbed
    _check_step(point, eps, "numerical_grad", "x")
    # f is given the kind of x: a Tensor (a constant one) or a Value for x of that kind,
    # so that f may use their methods
    kind = type(x) if isinstance(x, Node) else None

    def at_point() -> float:
        moved = float(point) if scalar else point
        value = _data(f(moved if kind is None else kind(moved)))
        if np.size(value) != 1:  # summing it would silently give the sum's gradient
            raise TypeError(f"numerical_grad: f must return a number, got an output of "
                            f"shape {np.shape(value)} (sum it for the sum's gradient; "
                            "autodiff.jacobian gives each element's)")
        return float(np.asarray(value).reshape(()))

    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        up = at_point()
        point[index] = original - eps
        down = at_point()
        point[index] = original
        grad[index] = (up - down) / (2 * eps)
    return float(grad) if scalar else grad


def _central_difference(leaf, index: tuple, eps: float, evaluate, name: str, who: str):
    """(f(x + eps) - f(x - eps)) / (2 eps) at one element of `leaf`, which is left as
    it was. `name` says which element, for the error where f fails at a moved point."""
    is_value = isinstance(leaf, Value)
    original = leaf.data if is_value else leaf.data[index]

    def at(step: float) -> np.ndarray:
        moved = original + step
        if is_value:
            leaf.data = moved
        else:
            leaf.data[index] = moved
        try:
            return evaluate()
        except (ArithmeticError, ValueError, _anomaly_error()) as error:
            # f is defined at the point but not at a step from it (log just above 0): the
            # error would otherwise read as f's own, at the point checked
            raise _at_moved_point(error, name, original, step, who) from error

    try:
        up, down = at(eps), at(-eps)
    finally:
        if is_value:
            leaf.data = original
        else:
            leaf.data[index] = original
    return (up - down) / (2 * eps)


def _anomaly_error() -> type:
    """detect_anomaly's error (there, a nan at a moved point is f's nan at it)."""
    from .debug import AnomalyError  # (debug imports this module)

    return AnomalyError


def _at_moved_point(error: Exception, name: str, original, step: float,
                    who: str) -> Exception:
    message = (f"{who}: f failed at {name} moved by {step:+g} from {float(original)!r} (the "
               f"finite difference's step): {error}. The point is within eps of where f "
               "is undefined; pass a smaller eps, or check another point")
    anomaly = _anomaly_error()
    if isinstance(error, anomaly):  # (its constructor wants the node it is about)
        return anomaly(message, phase=error.phase, node=error.node, site=error.site,
                       op=error.op)
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor wants more than a message
        return error


def _data(x):
    return x.data if isinstance(x, Node) else x
