"""Loss functions as modules, and the L2 penalty.

Each loss is called as `loss_fn(input, target)`: `input` is what the network produced
(a Tensor; `MSELoss` and `HingeLoss` also take a list of `Value`s from the scalar
networks), `target` an array, a list or a Tensor. By default the losses of the samples
are averaged (`reduction="mean"`); `"sum"` adds them and `"none"` returns them one per
element (per sample for `CrossEntropyLoss`). The mean of an empty batch raises
ValueError, where PyTorch gives nan.

Shapes must match, except that (n, 1) and (n,) are taken to mean the same n numbers
(a one-output network against a vector of labels); anything else that would broadcast
silently, such as (n, 1) against (1, n), raises instead.

The loss has the input's float dtype when the target is an array or a list (cast to it,
so a float32 network's loss stays float32). A Tensor target takes part in NumPy's
promotion as any operand does (it may require grad): a float64 one lifts a float32
input's loss to float64. Labels never do: class labels, and HingeLoss's -1 and +1.

PyTorch's constructor arguments that have no counterpart here are taken by name at
their defaults, which change nothing (`weight=None`, `pos_weight=None`,
`ignore_index=-100`, `label_smoothing=0.0`, `size_average=None`, `reduce=None`, each
where PyTorch's loss of the same name has it); another value is named as unsupported.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from autodiff import Tensor, Value
from autodiff.ops import CrossEntropy, Op
from autodiff.tensor import check_labels

from .module import Module, as_array, unexpected_arguments

__all__ = ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss",
           "l2_penalty"]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """A loss with a `reduction`: "mean" (the default), "sum" or "none"."""

    #: the keyword arguments of PyTorch's loss of this name that have no counterpart
    #: here, with their defaults, which change nothing: taken at those values
    _pytorch_defaults: dict = {"size_average": None, "reduce": None}

    def __init__(self, reduction: str = "mean", *args, **kwargs) -> None:
        kwargs = {name: value for name, value in kwargs.items()
                  if not self._pytorch_default(name, value)}
        for name, value in kwargs.items():
            if name in self._pytorch_defaults:
                raise TypeError(f"{type(self).__name__}: {name}={value!r} is a PyTorch "
                                "argument that is not supported here (only its default, "
                                f"{name}={self._pytorch_defaults[name]!r}, is taken)")
        if args or kwargs:  # (Python's error would name _Loss, not CrossEntropyLoss)
            raise unexpected_arguments(type(self).__name__, args, kwargs,
                                       "only reduction ('mean', 'sum' or 'none')")
        super().__init__()
        if not isinstance(reduction, str):  # (an array would fail `in` with NumPy's words)
            plain = reduction is None or isinstance(reduction, numbers.Number)
            given = repr(reduction) if plain else f"an object of type {type(reduction).__name__}"
            weights = ""
            # PyTorch's loss of this name takes class weights first: an array, likely
            if "weight" in self._pytorch_defaults and not plain:
                weights = ("; PyTorch's first argument, class weights (weight), is not "
                           "supported here")
            raise TypeError(f"{type(self).__name__}: reduction (the first argument) must "
                            f"be one of {list(_REDUCTIONS)}, got {given}{weights}")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{list(_REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction

    def _pytorch_default(self, name: str, value) -> bool:
        """Whether `name=value` is PyTorch's argument at its default (weight=None...)."""
        if name not in self._pytorch_defaults:
            return False
        default = self._pytorch_defaults[name]
        if default is None:
            return value is None
        return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                and value == default)

    def _reduce(self, losses):
        if self.reduction == "mean":
            if losses.size == 0:
                raise ValueError(f"{type(self).__name__}: the input is empty, and a mean of "
                                 "no losses is undefined (use reduction='sum' for 0)")
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses

    def _reduce_values(self, losses: list):
        if self.reduction == "none":
            return losses
        total = sum(losses[1:], losses[0])
        return total * (1.0 / len(losses)) if self.reduction == "mean" else total

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


def _as_tensor(x, what: str, who: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    array = as_array(x, what, who)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {what} must be a Tensor or a numeric array, got "
                        f"{type(x).__name__} of dtype {array.dtype}")
    return Tensor(array)


def _float_target(target, who: str, dtype=np.float64):
    """A target as a float array of `dtype` (a constant), or a float Tensor (kept as it
    is, for its graph)."""
    if isinstance(target, Tensor):
        return target if target.dtype.kind == "f" else Tensor(target.data.astype(dtype))
    array = as_array(target, "target", who)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: target must be a Tensor or a numeric array, got "
                        f"{type(target).__name__} of dtype {array.dtype}")
    return array.astype(dtype, copy=False)


def _dtype(t: Tensor):
    return t.dtype if t.dtype.kind == "f" else np.dtype(np.float64)


def _match(input: Tensor, target, who: str):
    """`target` with the shape of `input`: equal shapes, or (n, 1) against (n,)."""
    shape, tshape = input.shape, np.shape(target.data if isinstance(target, Tensor) else target)
    if tshape == shape:
        return target
    if shape[-1:] == (1,) and shape[:-1] == tshape or tshape[-1:] == (1,) and tshape[:-1] == shape:
        return target.reshape(shape)  # (n, 1) against (n,), either way round
    raise ValueError(f"{who}: input of shape {shape} and target of shape {tshape} differ; "
                     "give the target the input's shape")


def _is_values(x) -> bool:
    """A Value, or a list of them (or of rows of them: a scalar network's outputs)."""
    while isinstance(x, (list, tuple)) and len(x) > 0:
        x = x[0]
    return isinstance(x, Value)


def _check_integer_probabilities(target, given: tuple, who: str) -> None:
    """Refuse integer targets of the logits' shape that are not one-hot rows: class
    labels, most likely, read as probabilities. (Logits squeezed to (n,), with n labels,
    are one sample of n classes: the loss came out as a number, wrong, with no error.)"""
    array = as_array(target, "target", who)
    if array.dtype.kind not in "biu":
        return  # probabilities are floats
    shape, tshape = given
    one_hot = (array.size == 0 or (np.isin(array, (0, 1)).all()
                                   and (array.reshape(-1, shape[-1]).sum(axis=1) == 1).all()))
    if len(shape) == 1:
        raise ValueError(
            f"{who}: logits of shape {shape} are one sample of {shape[0]} classes, whose "
            f"target is one class label (shape ()) or {shape[0]} probabilities (floats); "
            f"got integers of shape {tshape}. For {shape[0]} samples, give logits of "
            f"shape ({shape[0]}, classes) (a single score per sample needs BCELoss on "
            "its sigmoid)")
    if not one_hot:
        raise ValueError(
            f"{who}: a target of the logits' shape {shape} is probabilities per class, "
            f"but this one is integers that are not one-hot rows (class labels?); "
            f"labels have shape {shape[:-1]}, probabilities are floats")


def _value_pairs(input, target, who: str) -> list[tuple[Value, float]]:
    """(prediction, target) pairs for a Value or a list of Values."""
    values = [input] if isinstance(input, Value) else list(input)
    if any(isinstance(v, (list, tuple)) for v in values):
        raise TypeError(f"{who}: takes a Tensor, or a list of Values (one number per "
                        "sample), got a list of lists of Values (the outputs of an "
                        "nn.scalar network with several outputs?); flatten both, as "
                        "[v for row in outputs for v in row] and np.ravel(target)")
    targets = as_array(target, "target", who).astype(np.float64, copy=False).reshape(-1)
    if len(targets) != len(values):
        raise ValueError(f"{who}: {len(values)} predictions (Values) but {len(targets)} "
                         "targets")
    return list(zip(values, targets.tolist(), strict=True))


class MSELoss(_Loss):
    """Mean squared error: mean((input - target)^2) over all elements.

    Args:
        reduction: "mean", "sum" or "none".

    Raises:
        ValueError: the shapes of input and target differ (beyond (n, 1) vs (n,)).
    """

    def forward(self, input, target):
        who = "MSELoss"
        if _is_values(input):
            return self._reduce_values([(v - t) ** 2 for v, t in _value_pairs(input, target,
                                                                               who)])
        input = _as_tensor(input, "input", who)
        target = _match(input, _float_target(target, who, _dtype(input)), who)
        diff = input - target
        return self._reduce(diff * diff)


_LOG_FLOOR = -100.0  # PyTorch's clamp of BCE's logs
_SMALLEST_LOGGED = math.exp(_LOG_FLOOR)  # below this, the log is clamped


class _BinaryCrossEntropy(Op):
    """-(y log p + (1 - y) log(1 - p)), with each log clamped at -100 as PyTorch does,
    so p = 0 and p = 1 give finite losses and gradients.

    An op rather than an autodiff.Function, so that its rule runs on Tensors under
    create_graph=True and the loss can be differentiated twice (a Hessian, say).
    """

    name = "binary_cross_entropy"
    needs_input_grad = True

    @staticmethod
    def forward(xp, p, y):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        return -(y * log_p + (1 - y) * log_q)

    @staticmethod
    def backward(xp, g, out, p, y, needs=(True, True)):
        # d/dp = (p - y) / (p (1 - p)), the denominator kept >= 1e-12 as PyTorch does;
        # d/dy = log(1 - p) - log(p), each log clamped as in forward
        gp = gy = None
        if needs[0]:
            spread = p * (1 - p)
            gp = g * (p - y) / xp.where(xp.constant(spread) > 1e-12, spread, 1e-12)
        if needs[1]:
            gy = g * (_clamped_log(xp, 1 - p) - _clamped_log(xp, p))
        return gp, gy


def _clamped_log(xp, a):
    """max(log a, -100) for a in [0, 1], without taking the log of 0."""
    logged = xp.constant(a) >= _SMALLEST_LOGGED
    return xp.where(logged, xp.log(xp.where(logged, a, 1.0)), _LOG_FLOOR)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities: mean(-(y log p + (1 - y) log(1 - p))).

    The input must be probabilities in [0, 1] (the output of a sigmoid). Each log is
    clamped at -100, as in PyTorch, so p = 0 or p = 1 gives a finite loss (100 for a
    certain wrong answer) and a finite gradient. The gradient with respect to a target
    that requires grad (a learned one, as in distillation) is that of the clamped logs,
    at most 100 in size, where PyTorch's is that of the logs themselves (infinite at
    p = 0 or 1).

    Args:
        reduction: "mean", "sum" or "none".

    Raises:
        ValueError: an input is outside [0, 1] or NaN (naming the value), a target is
            outside [0, 1], or the shapes differ.
    """

    _pytorch_defaults = {"size_average": None, "reduce": None, "weight": None}

    def forward(self, input, target):
        who = "BCELoss"
        input, target = _binary_inputs(input, target, who,
                                       "-(y * p.log() + (1 - y) * (1 - p).log())")
        p = input.data
        bad = ~((p >= 0) & (p <= 1))
        if bad.any():
            raise ValueError(f"{who}: input must hold probabilities in [0, 1] (the output of "
                             f"a sigmoid), got {p[bad].flat[0].item()!r}; for logits apply "
                             ".sigmoid() first")
        return self._reduce(_BinaryCrossEntropy.apply(input, target))


def _binary_inputs(input, target, who: str, for_values: str) -> tuple:
    """A binary loss's input as a float Tensor and its target matched to it, the target
    checked to be in [0, 1]; `for_values` is the loss written out, for Values."""
    if _is_values(input):
        raise TypeError(f"{who}: works on Tensors; for Values write the loss out, "
                        f"{for_values}")
    input = _as_tensor(input, "input", who)
    if input.dtype.kind != "f":
        input = Tensor(input.data.astype(np.float64))
    target = _match(input, _float_target(target, who, input.dtype), who)
    t = target.data if isinstance(target, Tensor) else target
    if not np.all((t >= 0) & (t <= 1)):
        raise ValueError(f"{who}: targets must be in [0, 1], got "
                         f"{t[~((t >= 0) & (t <= 1))].flat[0].item()!r}")
    return input, target


class _BinaryCrossEntropyWithLogits(Op):
    """-(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), written as
    max(x, 0) - x y + log(1 + exp(-|x|)), which no logit overflows.

    One op, as `_BinaryCrossEntropy`: composed of relu and abs, its derivative at x = 0
    would be that of their subgradients (-y), not sigmoid(0) - y.
    """

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(xp, x, y):
        infinite = np.isinf(x)
        if not infinite.any():
            return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
        # max(x, 0) - x y is inf - inf at an infinite logit (nan): it is |x| times 1 - y
        # for x > 0 and y for x < 0, so 0 where the label is the one the logit is sure
        # of (-log sigmoid(inf)), and inf elsewhere
        with np.errstate(invalid="ignore"):
            loss = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
        at_infinity = np.where(np.where(x > 0, 1 - y, y) == 0, 0.0, np.inf)
        return np.where(infinite, at_infinity, loss).astype(loss.dtype, copy=False)

    @staticmethod
    def backward(xp, g, out, x, y):  # d/dx = sigmoid(x) - y; d/dy = -x
        return g * (xp.sigmoid(x) - y), -(g * x)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits: BCELoss of sigmoid(input), computed stably.

    The loss of a logit x with target y is max(x, 0) - x y + log(1 + exp(-|x|)), finite
    for logits of any size, and its gradient is sigmoid(x) - y, which keeps its size
    where a saturated sigmoid followed by `BCELoss` would pass almost nothing back. Feed
    it the raw score of the last Linear layer (no sigmoid). An infinite logit gives the
    loss's limit: 0 for the label it is sure of, inf for the other (PyTorch gives nan
    for the first).

    Args:
        reduction: "mean", "sum" or "none".

    Raises:
        ValueError: a target outside [0, 1], or shapes that differ (beyond (n, 1) vs
            (n,)).
        TypeError: Values as input (write the loss out for them).
    """

    _pytorch_defaults = {"size_average": None, "reduce": None, "weight": None,
                         "pos_weight": None}

    def forward(self, input, target):
        input, target = _binary_inputs(
            input, target, "BCEWithLogitsLoss",
            "-(y * s.log() + (1 - y) * (1 - s).log()) with s = x.sigmoid()")
        return self._reduce(_BinaryCrossEntropyWithLogits.apply(input, target))


def _class_labels(target, n_classes: int, who: str) -> np.ndarray:
    """Integer class labels as an int64 array, each checked against `n_classes`."""
    labels = as_array(target, "target", who)
    if labels.dtype.kind == "f":
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            raise ValueError(f"{who}: class labels must be integers, got "
                             f"{labels[~whole].flat[0].item()!r}")
    elif labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{who}: class labels must be integers, got dtype {labels.dtype}")
    # checked in their own dtype: a label past int64's range (1e20, a uint64's 2**63)
    # would be named as the cast made it
    check_labels(labels, n_classes, who)
    return labels.astype(np.int64, copy=False)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits: mean over the batch of -log softmax(logits)[label].

    Computed through `log_softmax` (for class labels, as the one op
    `autodiff.cross_entropy`, whose derivative is (softmax - onehot) / n), so it is
    finite for logits of any size. Feed it the raw scores of the last Linear layer, not
    probabilities.

    The target is either integer class labels of shape (n,) (each in 0..k-1), or
    probabilities (one-hot rows, or soft labels) of the logits' shape (n, k), for which
    the loss of a sample is -sum_j target_j log softmax(logits)_j.

    Args:
        reduction: "mean" (over the batch), "sum" or "none" (one loss per sample).

    Raises:
        ValueError: logits that are not (n, k) (or (k,) for one sample), a target of
            another shape, a label out of range (naming the label and the number of
            classes), or float labels that are not whole numbers (whole ones, such as
            labels a data file stored as floats, are taken as classes).
        TypeError: labels that are neither integers nor floats.
    """

    _pytorch_defaults = {"size_average": None, "reduce": None, "weight": None,
                         "ignore_index": -100, "label_smoothing": 0.0}

    def forward(self, input, target):
        who = "CrossEntropyLoss"
        if _is_values(input):
            raise TypeError(f"{who}: works on Tensors of logits, not Values")
        logits = _as_tensor(input, "input", who)
        if logits.dtype.kind != "f":
            logits = Tensor(logits.data.astype(np.float64))
        if logits.ndim not in (1, 2):
            raise ValueError(f"{who}: expected logits of shape (batch, classes), got "
                             f"{logits.shape}")
        tshape = as_array(target, "target", who).shape
        given = (logits.shape, tshape)
        single = logits.ndim == 1
        if single:
            logits = logits.reshape(1, -1)
            tshape = (1,) + tshape
            target = (target.reshape(tshape) if isinstance(target, Tensor)
                      else np.reshape(target, tshape))
        n, k = logits.shape
        if tshape == (n, k):
            _check_integer_probabilities(target, given, who)
            probs = _float_target(target, who, logits.dtype)
            losses = -(logits.log_softmax(axis=1) * probs).sum(axis=1)
        elif tshape == (n,):
            labels = _class_labels(target, k, who)
            if self.reduction == "mean" and n == 0:
                raise ValueError(f"{who}: the input is empty, and a mean of no losses is "
                                 "undefined (use reduction='sum' for 0)")
            # the labels are checked above, so the op itself, not cross_entropy's checks
            loss = CrossEntropy.apply(logits, labels, reduction=self.reduction)
            return loss.reshape(()) if single and self.reduction == "none" else loss
        else:
            shape, tshape = given
            raise ValueError(f"{who}: logits of shape {shape} need class labels of shape "
                             f"{shape[:-1]} or probabilities of shape {shape}, got a target "
                             f"of shape {tshape}")
        if single and self.reduction == "none":
            return losses.reshape(())
        return self._reduce(losses)


class HingeLoss(_Loss):
    """The hinge loss of scores against +-1 labels: mean(max(0, 1 - y * s)).

    The loss micrograd's demo trains its two-moons classifier with: a sample costs
    nothing once it is on the right side with a margin of 1. Takes a Tensor of scores
    or a list of `Value`s (one per sample, from an `nn.scalar` network).

    Args:
        reduction: "mean", "sum" or "none".

    Raises:
        ValueError: a label other than -1 or +1 (0/1 labels become +-1 with 2*y - 1), or
            shapes that differ.
    """

    _pytorch_defaults: dict = {}  # (PyTorch has no HingeLoss)

    def forward(self, input, target):
        who = "HingeLoss"
        labels = as_array(target, "target", who)
        if labels.dtype.kind not in "biuf":
            raise TypeError(f"{who}: labels must be numbers (-1 or +1), got dtype "
                            f"{labels.dtype}")
        bad = (labels != 1) & (labels != -1)
        if bad.any():
            label = labels[bad].flat[0].item()
            raise ValueError(f"{who}: labels must be -1 or +1, got {label!r}; convert 0/1 "
                             "labels with 2 * y - 1")
        if _is_values(input):
            pairs = _value_pairs(input, labels, who)
            return self._reduce_values([(1 - y * s).relu() for s, y in pairs])
        scores = _as_tensor(input, "input", who)
        labels = _match(scores, labels.astype(scores.dtype if scores.dtype.kind == "f"
                                              else np.float64), who)
        return self._reduce((1 - labels * scores).relu())


def l2_penalty(params, lam: float, m: int = 1):
    """The L2 (weight-decay) term of a cost: lam / (2 m) * sum of ||W||^2.

    Add it to the loss before backward(); its gradient is (lam / m) W for each weight,
    the regularised update of the Rust deep-network series (`nn.reference.rust_series`
    keeps that document's version). `lam / (2m)` is the convention when the cost is an
    average over `m` samples; with m=1 it is (lam / 2) * sum W^2.

    Args:
        params: a Module, whose weights are penalised and whose biases are not (names
            ending in "bias" or "b"), or an iterable of parameters (Tensors or Values),
            all of which are penalised, or a single parameter.
        lam: lambda, a finite number >= 0.
        m: the number of training samples, >= 1.

    Returns:
        A Tensor of shape () for Tensor parameters, a Value for Values.

    Raises:
        TypeError: `lam` or `m` of the wrong type, `params` neither a Module nor an
            iterable of parameters, or parameters that are neither Tensors nor Values.
        ValueError: `lam` negative, nan or infinite, or `m < 1`.
    """
    who = "l2_penalty"
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real):
        raise TypeError(f"{who}: lam must be a real number, got {type(lam).__name__}: "
                        f"{lam!r}")
    if not 0 <= lam < math.inf:  # (nan fails both; it would turn every weight to nan)
        raise ValueError(f"{who}: lam must be a finite number >= 0, got {lam}")
    if isinstance(m, bool) or not isinstance(m, numbers.Integral):
        raise TypeError(f"{who}: m must be an int (the number of samples), got "
                        f"{type(m).__name__}")
    if m < 1:
        raise ValueError(f"{who}: m must be >= 1, got {m}")
    if isinstance(params, Module):
        weights = [p for name, p in params.named_parameters() if not _is_bias(name)]
    elif isinstance(params, (Tensor, Value)):
        weights = [params]  # (a Tensor iterated would give its rows, a 0-d one nothing)
    elif isinstance(params, (str, bytes, Mapping)) or not hasattr(params, "__iter__"):
        raise TypeError(f"{who}: params must be a Module, a parameter or a list of them "
                        f"such as model.parameters(), got {type(params).__name__}")
    else:
        weights = list(params)
    scale = float(lam) / (2.0 * int(m))
    if weights and all(isinstance(p, Value) for p in weights):
        return sum((p * p for p in weights[1:]), weights[0] * weights[0]) * scale
    total = None
    for p in weights:
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: parameters must all be Tensors or all be Values, got "
                            f"{type(p).__name__}")
        square = (p * p).sum()
        total = square if total is None else total + square
    return Tensor(0.0) if total is None else total * scale


def _is_bias(name: str) -> bool:
    """Whether a dotted parameter name names a bias ("layers.0.bias", "neurons.3.b")."""
    parts = [part for part in name.split(".") if not part.isdigit()]
    return bool(parts) and parts[-1] in ("bias", "b")
