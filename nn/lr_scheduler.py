"""Learning-rate schedules for `nn.optim`'s optimizers, as `torch.optim.lr_scheduler`.

A scheduler sets `optimizer.lr` for epoch 0 when it is made, and for the next epoch on
each `step()`, which is called after the optimizer's step (once per epoch, or per batch
for a per-batch schedule)::

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)        # opt.step() uses opt.lr
        scheduler.step()                   # 0.1 for epochs 0-29, 0.01 for 30-59...

Each lr is computed from `base_lrs` (the optimizer's lr when the scheduler was made) and
`last_epoch` in closed form. These are the numbers of PyTorch's own (chainable) forms,
which multiply the optimizer's current lr instead, as long as nothing else changes the
lr: so `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR` and `LinearLR`
refuse to step after the lr was changed behind their back (by hand, or by a second
scheduler on the same optimizer, which PyTorch would chain), rather than silently give
other numbers than PyTorch. `LambdaLR` overwrites such changes, as in PyTorch.

An optimizer here has one lr (no parameter groups), so `base_lrs` and `get_last_lr()`
are one-element lists, as PyTorch's are for one group.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Callable, Mapping

import numpy as np

from .optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR", "LinearLR"]


# -- checks of the settings: each takes (value, who, name), returns the value kept -------

def _real(value, who: str, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a real number, got "
                        f"{type(value).__name__}: {value!r}")
    return float(value)


def _in(low: float, high: float = math.inf, low_open: bool = False):
    """A check of a finite real number in [low, high] (or (low, high] with `low_open`)."""
    def check(value, who: str, name: str) -> float:
        value = _real(value, who, name)
        if not ((value > low if low_open else value >= low)  # (`not` also refuses NaN)
                and value <= high and value < math.inf):
            bound = (f"{'>' if low_open else '>='} {low:g} and finite" if high == math.inf
                     else f"in {'(' if low_open else '['}{low:g}, {high:g}]")
            raise ValueError(f"{who}: {name} must be {bound}, got {value}")
        return value
    return check


def _int_from(low: int):
    """A check of an int >= low."""
    def check(value, who: str, name: str) -> int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{who}: {name} must be an int, got {type(value).__name__}: "
                            f"{value!r}")
        if value < low:
            raise ValueError(f"{who}: {name} must be >= {low}, got {value}")
        return int(value)
    return check


_gamma = _in(0.0, low_open=True)
_learning_rate = _in(0.0)
_count = _int_from(1)
_epoch = _int_from(0)


def _milestones(value, who: str, name: str) -> list[int]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple, range)) or not all(
            isinstance(m, numbers.Integral) and not isinstance(m, (bool, np.bool_))
            for m in value):
        raise TypeError(f"{who}: {name} must be a list of ints (epochs), got {value!r}")
    value = [int(m) for m in value]
    # (PyTorch documents them as increasing, and would count a repeated one twice)
    if value != sorted(set(value)) or (value and value[0] < 0):  # (strictly increasing)
        raise ValueError(f"{who}: {name} must be increasing epochs >= 0, got {value}")
    return value


def _one_lr(value, who: str, name: str) -> list[float]:
    """A one-element list of learning rates (`base_lrs`, `get_lr()`'s result)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != 1:
        raise ValueError(f"{who}: {name} must be a list of one learning rate (an "
                         f"optimizer here has one), got {value!r}")
    return [_learning_rate(value[0], who, f"{name}[0]")]


class LRScheduler:
    """Base class: sets `optimizer.lr` to `get_lr()[0]` for each epoch.

    A subclass defines `get_lr()`: the lr for epoch `self.last_epoch`, as a one-element
    list, from `self.base_lrs` (as a subclass of PyTorch's LRScheduler does).

    Attributes:
        optimizer: the optimizer whose `lr` is set.
        base_lrs: [the optimizer's lr when the scheduler was made].
        last_epoch: the epoch whose lr is set: 0 after the constructor, +1 per `step()`.

    Raises:
        TypeError: `optimizer` is not an `nn.optim` optimizer.
    """

    #: the settings, with their checks: made by the constructor, saved by state_dict
    _checks: dict[str, Callable] = {}
    #: whether PyTorch's form multiplies the optimizer's current lr (see the module doc)
    _chainable = False

    def __init__(self, optimizer: Optimizer, **settings) -> None:
        who = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: optimizer must be an nn.optim optimizer (SGD, Adam, "
                            f"AdamW...), got {type(optimizer).__name__}")
        for name, value in settings.items():
            setattr(self, name, self._checks[name](value, who, name))
        self.optimizer = optimizer
        self.base_lrs = [optimizer.lr]
        self.last_epoch = -1
        self._last_lr = [optimizer.lr]
        self.step()  # to epoch 0 (refused, say by a bad lr_lambda: nothing changed yet)

    def get_lr(self) -> list[float]:
        """The lr for epoch `last_epoch`, as a one-element list."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """[the lr this scheduler set last], as PyTorch's (one element per group)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Go to the next epoch: `last_epoch += 1`, and set `optimizer.lr` to its lr.

        Raises:
            RuntimeError: (a chainable schedule) the optimizer's lr is no longer the one
                this scheduler set: see the module doc.
            ValueError, TypeError: `get_lr()` gave no learning rate (>= 0 and finite).
                Either way nothing is changed.
        """
        who = f"{type(self).__name__}.step"
        if self._chainable and self.optimizer.lr != self._last_lr[0]:
            raise RuntimeError(
                f"{who}: the optimizer's lr is {self.optimizer.lr}, not the "
                f"{self._last_lr[0]} this scheduler set for epoch {self.last_epoch}: it "
                "was changed outside the scheduler (by hand, by another scheduler, or by "
                "loading only one of the optimizer's and the scheduler's state_dicts). "
                "This scheduler computes each lr from base_lrs, where PyTorch's would "
                "continue from the changed lr; make a new scheduler to start from it. "
                "Nothing was changed")
        self.last_epoch += 1
        try:
            lr = _one_lr(self.get_lr(), who, "get_lr()")
        except BaseException:
            self.last_epoch -= 1
            raise
        self.optimizer.lr = lr[0]
        self._last_lr = lr

    # -- checkpoints ----------------------------------------------------------------

    def state_dict(self) -> dict:
        """`last_epoch`, `base_lrs`, the last lr (`_last_lr`) and the settings (as
        PyTorch's state_dict, without the optimizer). Save it with the optimizer's, and
        load both to resume: the optimizer's holds the lr in use."""
        state = {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                 "_last_lr": list(self._last_lr)}
        for name in self._checks:
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, list) else value
        return state

    def load_state_dict(self, state: Mapping) -> None:
        """Restore what `state_dict` gave (also as arrays, as `nn.load_state` reads a
        file `nn.save` wrote), after checking all of it: on any problem nothing is
        loaded. The optimizer's lr is not set (as in PyTorch): load its state too.

        Raises:
            TypeError: `state` is not a mapping.
            ValueError: missing or unexpected keys, or bad values (all named).
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: expected a dict, got {type(state).__name__}")
        checks = {"last_epoch": _epoch, "base_lrs": _one_lr, "_last_lr": _one_lr,
                  **self._checks}
        problems, loaded = [], {}
        for key, value in state.items():
            if key not in checks:
                problems.append(f"unexpected key {key!r}")
                continue
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()  # (as nn.load_state gives a number)
            try:
                loaded[key] = checks[key](value, who, key)
            except (TypeError, ValueError) as error:
                problems.append(str(error).removeprefix(f"{who}: "))
        missing = [key for key in checks if key not in state]
        if missing:
            problems.append(f"missing keys {missing}")
        if problems:
            raise ValueError(f"{who}: {'; '.join(problems)}; nothing was loaded")
        vars(self).update(loaded)

    def __repr__(self) -> str:
        settings = "".join(f", {name}={getattr(self, name)!r}" for name in self._checks)
        return (f"{type(self).__name__}({type(self.optimizer).__name__}{settings}, "
                f"last_epoch={self.last_epoch}, lr={self._last_lr[0]})")


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): decay by `gamma` every `step_size`
    epochs.

    Args:
        optimizer: an `nn.optim` optimizer.
        step_size: the epochs between decays, an int >= 1.
        gamma: the factor, a positive number.

    Example::

        >>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
        >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
        >>> for _ in range(4):
        ...     scheduler.step()
        ...     print(opt.lr)
        0.1
        0.05
        0.05
        0.025
    """

    _checks = {"step_size": _count, "gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    def get_lr(self) -> list[float]:
        return [self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (the number of milestones <= epoch): decay by `gamma` at
    each milestone.

    Args:
        optimizer: an `nn.optim` optimizer.
        milestones: increasing epochs (ints >= 0).
        gamma: the factor, a positive number.

    Example::

        >>> scheduler = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
        >>> # lr: base_lr for epochs 0-29, base_lr / 10 for 30-79, base_lr / 100 after
    """

    _checks = {"milestones": _milestones, "gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1) -> None:
        super().__init__(optimizer, milestones=milestones, gamma=gamma)

    def get_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [self.base_lrs[0] * self.gamma ** passed]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    Args:
        optimizer: an `nn.optim` optimizer.
        gamma: the factor per epoch, a positive number.

    Example::

        >>> scheduler = ExponentialLR(opt, gamma=0.9)  # lr: 0.1, 0.09, 0.081...
    """

    _checks = {"gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, gamma=gamma)

    def get_lr(self) -> list[float]:
        return [self.base_lrs[0] * self.gamma ** self.last_epoch]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: from
    base_lr down to eta_min over T_max epochs (and, past T_max, back up and down again,
    as PyTorch's: set T_max to the number of epochs).

    Args:
        optimizer: an `nn.optim` optimizer.
        T_max: the epochs of the half period, an int >= 1.
        eta_min: the lowest lr, >= 0.

    Example::

        >>> scheduler = CosineAnnealingLR(opt, T_max=100)  # lr 0.1 -> 0 in 100 epochs
    """

    _checks = {"T_max": _count, "eta_min": _learning_rate}
    _chainable = True

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, T_max=T_max, eta_min=eta_min)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (self.base_lrs[0] - self.eta_min) * cosine]


class LinearLR(LRScheduler):
    """lr = base_lr * factor, the factor going linearly from `start_factor` at epoch 0
    to `end_factor` at epoch `total_iters`, and staying there (a warm-up, typically).

    Args:
        optimizer: an `nn.optim` optimizer.
        start_factor: the factor at epoch 0, in (0, 1].
        end_factor: the factor from epoch `total_iters` on, in [0, 1].
        total_iters: the epochs to go from one to the other, an int >= 1.

    Example::

        >>> scheduler = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> # lr: 0.25, 0.5, 0.75, then 1.0 times base_lr
    """

    _checks = {"start_factor": _in(0.0, 1.0, low_open=True), "end_factor": _in(0.0, 1.0),
               "total_iters": _count}
    _chainable = True

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5) -> None:
        super().__init__(optimizer, start_factor=start_factor, end_factor=end_factor,
                         total_iters=total_iters)

    def get_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [self.base_lrs[0] * factor]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), for any function of the epoch.

    The function is not saved by `state_dict` (it is code, as PyTorch does not save a
    function either): make the scheduler with the same `lr_lambda`, then load.

    Args:
        optimizer: an `nn.optim` optimizer.
        lr_lambda: a function of the epoch (an int) returning a real factor; or a
            one-element list of one (PyTorch's list for one parameter group).

    Raises:
        TypeError: `lr_lambda` is not callable, or returns no real number.
        ValueError: a factor that makes the lr negative or not finite. (The epoch-0
            factor is checked by the constructor, each next one by `step()`, before
            anything changes.)

    Example::

        >>> scheduler = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if isinstance(lr_lambda, (list, tuple)) and len(lr_lambda) == 1:
            (lr_lambda,) = lr_lambda
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got "
                            f"{type(lr_lambda).__name__}: {lr_lambda!r}")
        self.lr_lambdas = [lr_lambda]  # (PyTorch's name: one per parameter group)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        factor = self.lr_lambdas[0](self.last_epoch)
        if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, numbers.Real):
            raise TypeError(f"LambdaLR: lr_lambda({self.last_epoch}) returned "
                            f"{type(factor).__name__}: {factor!r}, not a number")
        lr = self.base_lrs[0] * float(factor)
        if not (0 <= lr < math.inf):
            raise ValueError(f"LambdaLR: lr_lambda({self.last_epoch}) returned {factor}, "
                             f"which makes the lr {lr}; it must be >= 0 and finite")
        return [lr]
