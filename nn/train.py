"""`fit`: a small training loop for Tensor networks, returning a history to plot."""

from __future__ import annotations

import numbers

import numpy as np

from autodiff import Tensor, Value, no_grad
from autodiff.graph import check_flag

from .data import accuracy, batches
from .init import generator
from .losses import BCELoss, BCEWithLogitsLoss
from .module import Module

__all__ = ["fit"]


def _check_count(what: str, value, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"fit: {what} must be an int{' or None' if allow_none else ''}, "
                        f"got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"fit: {what} must be >= 1, got {value}")


def _samples(what: str, data) -> np.ndarray:
    """`data` as an array with one entry per sample, or raise naming it."""
    try:
        array = np.asarray(data.data if isinstance(data, Tensor) else data)
    except ValueError as error:  # a ragged list
        raise ValueError(f"fit: cannot make an array of {what}: {error}") from None
    if array.ndim == 0:
        raise ValueError(f"fit: {what} must be an array with one entry per sample, got "
                         f"{type(data).__name__} {data!r}")
    if len(array) == 0:
        raise ValueError(f"fit: {what} has no samples")
    return array


def _inputs(what: str, array: np.ndarray) -> np.ndarray:
    """The inputs `array` (X or X_val) checked to hold real numbers; an object array
    (a table's column of numbers) as float64. Its None would become nan in the model,
    and be blamed on the weights."""
    kind = array.dtype.kind
    if kind in "biuf":
        return array
    if kind == "O":
        try:
            numbers = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"fit: {what} holds values that are not numbers: {error}"
                            ) from None
        missing = np.equal(array, None)
        if missing.any():
            place = _place(tuple(int(i) for i in np.argwhere(missing)[0]))
            raise ValueError(f"fit: {what} has a missing value, None (first at {place}); "
                             "drop or fill those samples before training")
        return numbers
    if kind in "US":
        raise TypeError(f"fit: {what} holds strings (dtype {array.dtype}), not numbers; "
                        f"convert it with {what}.astype(float) if they are numbers written "
                        "out")
    raise TypeError(f"fit: {what} must hold real numbers, got dtype {array.dtype}")


def _check_finite(what: str, array: np.ndarray) -> None:
    """Raise naming `what` and the first sample where `array` holds nan or inf: training
    on it would give nan everywhere, and the first check to fail (the metric's, say)
    would blame something else."""
    place = _first_non_finite(array)
    if place is not None:
        raise ValueError(f"fit: {what} has nan or inf (first at {place}); drop or fill "
                         "those samples before training")


def _first_non_finite(array: np.ndarray) -> str | None:
    """Where `array` first holds nan or inf, and what ("row 5, column 0: nan"), or None."""
    if array.dtype.kind not in "fc":  # ints and bools are always finite
        return None
    finite = np.isfinite(array)
    if finite.all():
        return None
    where = tuple(int(i) for i in np.argwhere(~finite)[0])
    return f"{_place(where)}: {array[where].item()!r}"


def _place(where: tuple[int, ...]) -> str:
    """An index in words: "row 5", "row 5, column 0" or "index (5, 0, 3)"."""
    if len(where) == 1:
        return f"row {where[0]}"
    if len(where) == 2:
        return f"row {where[0]}, column {where[1]}"
    return f"index {where}"


def _signed_accuracy(predictions, labels) -> float:
    """`accuracy` of scores whose decision boundary is 0 (+-1 labels): a score above 0
    predicts +1. Scores of several columns (class scores) have no threshold: `accuracy`
    as it is."""
    if np.ndim(predictions) == 2 and np.shape(predictions)[1] > 1:
        return accuracy(predictions, labels)
    return accuracy(predictions, labels, threshold=0.0)


_signed_accuracy.__name__ = "accuracy"


def _binary_accuracy(threshold: float):
    """`accuracy` for the outputs of a binary cross-entropy, whose columns are binary
    decisions of their own (one label, or several labels per sample): the fraction of
    labels right, an output above `threshold` predicting 1. The argmax of a row, as for
    class scores, would compare multi-label rows such as [1, 1] as one class. Soft
    targets (probabilities, as label smoothing's 0.1 and 0.9) stand for the label they
    are nearer to: a target above 0.5 is a 1."""
    def binary_accuracy(outputs, labels) -> float:
        outputs, labels = np.asarray(outputs), np.asarray(labels)
        if labels.dtype.kind == "f" and ((labels >= 0) & (labels <= 1)).all():
            labels = (labels > 0.5).astype(np.int64)
        if outputs.ndim == 2 and outputs.shape == labels.shape:
            outputs, labels = outputs.reshape(-1), labels.reshape(-1)
        return accuracy(outputs, labels, threshold=threshold)

    binary_accuracy.__name__ = "accuracy"
    return binary_accuracy


def _metric_name(metric) -> str:
    return getattr(metric, "__name__", type(metric).__name__)


# Rows of X per forward pass when fit evaluates the model on a whole data set: the
# activations of all of MNIST's 60,000 rows at once would take hundreds of MB.
_EVALUATION_ROWS = 4096


def _outputs(model, X) -> np.ndarray:
    """The model's outputs on X, without a graph, in eval mode, a block of rows at a
    time."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            blocks = [model(Tensor(X[start:start + _EVALUATION_ROWS])).data
                      for start in range(0, max(len(X), 1), _EVALUATION_ROWS)]
    finally:
        model.train(was_training)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _evaluate(model, loss_fn, X, y, metric):
    """(loss, metric) of the model on (X, y), without a graph, in eval mode."""
    out = _outputs(model, X)
    with no_grad():  # (for a loss that uses the model's parameters, too)
        loss = loss_fn(Tensor(out), y)
    if not isinstance(loss, Tensor):
        raise TypeError(f"fit: loss_fn must return a Tensor, got {type(loss).__name__}")
    if loss.size != 1:
        raise ValueError(f"fit: loss_fn must return one number (a one-element Tensor) to "
                         f"backward from, got shape {loss.shape} for outputs of shape "
                         f"{out.shape} (a loss with reduction='none'?)")
    loss = float(loss.data.item())  # (a one-element loss of any shape)
    return loss, (None if metric is None else _score(metric, _metric_name(metric), out, y))


def _check_penalty(penalty, model) -> None:
    """Try `penalty(model)` once, without a graph: what it returns is added to each
    batch's loss (by `_with_penalty`), and must be one real number: a one-element
    Tensor, or a plain number (a constant, which adds nothing to the gradients)."""
    with no_grad():
        value = penalty(model)
    if isinstance(value, Tensor):
        if value.size != 1:
            raise ValueError(f"fit: penalty(model) must return a one-element Tensor (or a "
                             f"number) to add to the loss, got shape {value.shape} (sum "
                             f"it?)")
        if value.dtype.kind not in "iuf":
            raise TypeError(f"fit: penalty(model) must return a real number to add to the "
                            f"loss, got a Tensor of dtype {value.dtype}")
    elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        pass  # (a number, as NumPy returns some)
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"fit: penalty(model) must return a one-element Tensor or a real "
                        f"number to add to the loss, got {type(value).__name__}")


def _with_penalty(loss, value):
    """`loss + value`, a one-element Tensor `value` taken as 0-d: a (1,) penalty would
    make the loss (1,), which backward takes but the history's float() does not."""
    if isinstance(value, Tensor) and value.ndim:
        value = value.reshape(())
    return loss + value


def _score(metric, name: str, outputs: np.ndarray, targets: np.ndarray) -> float:
    try:
        return float(metric(outputs, targets))
    except (TypeError, ValueError) as error:
        place = _first_non_finite(outputs)
        if place is not None:  # not the metric's fault: metric=None would hide it
            raise ValueError(f"fit: the model's outputs hold nan or inf (first at "
                             f"{place}), so the metric {name} cannot be computed; are "
                             f"the weights finite, or did training diverge (a smaller "
                             f"learning rate)?") from error
        raise type(error)(f"fit: the metric {name} failed on outputs of shape "
                          f"{outputs.shape} and targets of shape {targets.shape} (pass "
                          f"metric=None when there is none, e.g. for regression): {error}"
                          ) from error


def fit(model: Module, loss_fn, optimizer, X, y, epochs: int, batch_size: int | None = None,
        seed=None, progress: bool = True, X_val=None, y_val=None, metric=accuracy,
        penalty=None) -> dict[str, list[float]]:
    """Train `model` on (X, y) for `epochs` passes; return the per-epoch history.

    Each step runs `optimizer.zero_grad()`, the loss of a batch (plus `penalty(model)`
    if given), `backward()` and `optimizer.step()`. With `batch_size`, the samples are
    shuffled each epoch (reproducibly, from `seed`); without, each epoch is one
    full-batch step.

    The training loss of an epoch is the average of its batch losses, weighted by batch
    size, and the training metric is computed from the outputs seen during the epoch
    (as Keras reports them: the weights change between batches). Validation figures are
    computed after the epoch, in eval mode and without a graph. The model trains in
    train mode and is left in the mode it had before the call.

    Args:
        model: a Module mapping a (batch, ...) Tensor to outputs.
        loss_fn: called as `loss_fn(outputs, targets)`, returning a one-element Tensor.
        optimizer: an `nn.optim` optimizer over the model's parameters.
        X, y: the training inputs and targets (arrays; the first axis indexes samples).
        epochs: the number of passes over the data, >= 1.
        batch_size: samples per step (the last batch may be smaller); None for full
            batches.
        seed: the shuffling seed: None, an int or a `numpy.random.Generator`.
        progress: show a tqdm progress bar (if tqdm is installed); with False nothing
            is printed.
        X_val, y_val: optional validation data, evaluated after each epoch.
        metric: `metric(outputs, targets) -> float`, recorded under its `__name__`
            (`accuracy` by default, for classifiers, at threshold 0 for the logits of
            `BCEWithLogitsLoss` and when y holds -1/+1 labels; for `BCELoss` and
            `BCEWithLogitsLoss`, the fraction of labels right, each column a binary
            decision and a soft target above 0.5 a 1); None for none (e.g.
            regression).
            Not named "loss" or "val_loss".
        penalty: optional `penalty(model) -> one-element Tensor` added to each batch's
            loss, such as `lambda m: nn.l2_penalty(m, lam, len(X))` (a one-element
            Tensor of any shape is added as 0-d; a plain real number as a constant).

    Returns:
        A dict of lists with one entry per epoch: "loss" (the penalty included), the
        metric's name (e.g. "accuracy"), and with validation data "val_loss" (the
        loss alone, without the penalty) and "val_<metric>".

    Everything is checked before the first step, so that a bad setting changes nothing:
    the arguments, X (numbers, no None) and float targets for nan and inf, the loss
    and the metric on the model's outputs for all of X (one forward pass without a
    graph, in eval mode), so that a bad target in any batch is found, the model and the
    loss on a batch of the size of the last, smaller batch (the same way), the penalty
    (once, without a graph), and the validation figures if that data is given. What
    fails only in train mode, or only on some batch of samples, fails during training,
    and leaves the model and optimizer as they were after the steps taken until then.

    Raises:
        TypeError: `model` is not a Module of Tensors (nn.scalar networks are not
            supported), a class where an instance is needed, an optimizer without
            zero_grad() and step(), a penalty that is not callable or returns neither
            a Tensor nor a real number, X or X_val not of numbers (strings, objects),
            or a setting of the wrong type.
        TypeError or ValueError: the metric fails on the model's outputs (its own
            error type, its message prefixed with the shapes and a hint), or the loss
            refuses the targets (its own error, such as a label out of range).
        ValueError: `epochs` or `batch_size` < 1, every parameter frozen, no samples,
            nan or inf in X, y, X_val or y_val, or None in X or X_val (naming the first
            place), X and y (or X_val and y_val) of different lengths, only one of X_val
            and y_val, an optimizer that holds none of the model's parameters, or a loss
            or penalty that is not one number.
        Whatever the model or the loss raises on all of X or on a batch of the last
            batch's size, before the first step.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    if any(isinstance(p, Value) for p in model.parameters()):
        raise TypeError("fit: trains Tensor networks; for an nn.scalar network write the "
                        "loop out (call the model on each sample)")
    for what, given in (("loss_fn", loss_fn), ("optimizer", optimizer), ("penalty", penalty)):
        if isinstance(given, type):
            raise TypeError(f"fit: {what} is the class {given.__name__}; pass an instance, "
                            f"such as {given.__name__}(...)")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    if not (callable(getattr(optimizer, "zero_grad", None))
            and callable(getattr(optimizer, "step", None))):
        raise TypeError(f"fit: optimizer must have zero_grad() and step() (an nn.optim "
                        f"optimizer such as SGD(model, lr=0.1)), got "
                        f"{type(optimizer).__name__}")
    if penalty is not None and not callable(penalty):
        raise TypeError(f"fit: penalty must be a function model -> Tensor, such as lambda m: "
                        f"nn.l2_penalty(m, 1e-3), or None, got {type(penalty).__name__}")
    if metric is not None and not callable(metric):
        raise TypeError(f"fit: metric must be a function (outputs, targets) -> float or "
                        f"None, got {type(metric).__name__}")
    if metric is not None and _metric_name(metric) in ("loss", "val_loss"):
        raise ValueError(f"fit: the metric's name {_metric_name(metric)!r} is taken by the "
                         "loss in the history; rename the function")
    params = model.parameters()
    if params and not any(getattr(p, "requires_grad", True) for p in params):
        raise ValueError("fit: every parameter of the model is frozen (requires_grad "
                         "False), so there is nothing to train; thaw some with "
                         "requires_grad_(True)")
    held = getattr(optimizer, "params", None)
    if held is not None and not {id(p) for p in held} & {id(p) for p in params}:
        raise ValueError("fit: the optimizer holds none of the model's parameters (was it "
                         "made for another model?)")
    _check_count("epochs", epochs, allow_none=False)
    _check_count("batch_size", batch_size, allow_none=True)
    progress = check_flag(progress, "fit", "progress")
    rng = generator(seed, "fit")  # (before the forward passes of the checks below)
    X, y = _inputs("X", _samples("X", X)), _samples("y", y)
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} samples (shape {X.shape}) but y has {len(y)} "
                         f"(shape {y.shape})")
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: give both X_val and y_val, or neither")
    validate = X_val is not None
    if validate:
        X_val, y_val = _inputs("X_val", _samples("X_val", X_val)), _samples("y_val", y_val)
        if len(X_val) != len(y_val):
            raise ValueError(f"fit: X_val has {len(X_val)} samples but y_val has "
                             f"{len(y_val)}")
    _check_finite("X", X)
    _check_finite("y", y)
    if validate:
        _check_finite("X_val", X_val)
        _check_finite("y_val", y_val)
    if metric is accuracy and isinstance(loss_fn, (BCEWithLogitsLoss, BCELoss)):
        # Logits decide at 0, not at a probability's 0.5; and each column is a label
        metric = _binary_accuracy(0.0 if isinstance(loss_fn, BCEWithLogitsLoss) else 0.5)
    elif metric is accuracy and y.dtype.kind in "iuf" and (y == -1).any():
        # +-1 labels (a hinge loss) decide at 0, for every figure, also for a validation
        # set that happens to hold only +1s, which accuracy alone would read as 0/1 labels
        metric = _signed_accuracy
    # What could fail during training is tried first, on the same data, so that it
    # fails before any step has changed the weights: the loss and the metric on the
    # outputs for all of X (a target the loss refuses, such as a label out of range,
    # may sit in any batch), the model and the loss on a batch of the last batch's
    # size, the penalty, and the validation figures.
    _evaluate(model, loss_fn, X, y, metric)
    last = len(X) % batch_size if batch_size is not None and batch_size < len(X) else 0
    if last:
        # The last batch of each epoch is smaller: a model or loss that fails on that
        # size (a statistic over the batch that needs two samples) would fail after the
        # steps of the batches before it. Any `last` samples will do: one forward pass
        # of fewer than batch_size rows, without a graph.
        try:
            _evaluate(model, loss_fn, X[:last], y[:last], None)
        except Exception as error:
            if hasattr(error, "add_note"):  # (Python 3.11+)
                error.add_note(f"(fit tried the model and the loss on {last} samples, the "
                               f"size of the last batch of each epoch: {len(X)} samples in "
                               f"batches of {batch_size})")
            raise
    if penalty is not None:
        _check_penalty(penalty, model)
    if validate:
        _evaluate(model, loss_fn, X_val, y_val, metric)
    name = None if metric is None else _metric_name(metric)
    history: dict[str, list[float]] = {"loss": []}
    if name is not None:
        history[name] = []
    if validate:
        history["val_loss"] = []
        if name is not None:
            history["val_" + name] = []

    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # the progress bar is optional
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=epochs, desc="fit", unit="epoch")

    was_training = model.training
    model.train()
    try:
        for _ in range(epochs):
            if batch_size is None:
                parts = [(X, y)]
            else:
                parts = batches(X, y, batch_size, shuffle=True, seed=rng)
            total, outputs, targets = 0.0, [], []
            for Xb, yb in parts:
                optimizer.zero_grad()
                out = model(Tensor(Xb))
                loss = loss_fn(out, yb)
                if penalty is not None:
                    loss = _with_penalty(loss, penalty(model))
                loss.backward()
                optimizer.step()
                total += float(loss.data.item()) * len(Xb)
                if name is not None:
                    outputs.append(out.data)
                    targets.append(yb)
                # Let this batch's graph go now: held until the next batch's forward
                # is done, it would double the activations in memory at that point.
                out = loss = None
            history["loss"].append(total / len(X))
            if name is not None:
                history[name].append(_score(metric, name, np.concatenate(outputs),
                                            np.concatenate(targets)))
            if validate:
                val_loss, val_metric = _evaluate(model, loss_fn, X_val, y_val, metric)
                history["val_loss"].append(val_loss)
                if name is not None:
                    history["val_" + name].append(val_metric)
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.items()},
                                refresh=False)
                bar.update(1)
    finally:
        model.train(was_training)  # the mode the caller left it in
        if bar is not None:
            bar.close()
    return history
