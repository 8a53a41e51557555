"""Learning-rate schedules for `nn.optim`'s optimizers, as `torch.optim.lr_scheduler`.

A scheduler sets `optimizer.lr` for epoch 0 when it is made, and for the next epoch on
each `step()`, which is called after the optimizer's step (once per epoch, or per batch
for a per-batch schedule)::

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)        # opt.step() uses opt.lr
        scheduler.step()                   # 0.1 for epochs 0-29, 0.01 for 30-59...

**The base lr.** As in PyTorch, the first scheduler made on an optimizer records the
optimizer's lr as `optimizer.initial_lr` (PyTorch's param_groups' 'initial_lr'; saved by
the optimizer's `state_dict`), and every scheduler's `base_lrs` is that first lr. A
`LambdaLR` made again on the same optimizer (a notebook cell run twice, a second phase
of training) starts from it, not from the lr the first scheduler left. The five others
start from the lr they find (`start_lrs`, below), as PyTorch's do: a cell that makes
`LinearLR(opt, start_factor=0.1)` run twice starts the second warm-up from the first
one's 0.1 x lr, and warms up to 0.1 x lr only. Make the optimizer in the same cell as
its scheduler (or set `opt.lr` back first).

**Closed forms.** Each lr is computed from `last_epoch` in closed form. PyTorch's
`StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR` and `LinearLR` (chainable
forms) multiply the optimizer's current lr instead, from the lr it had when the
scheduler was made; here that lr is `start_lrs`, and the numbers are PyTorch's as long as
nothing else changes the lr. (It is also `base_lrs` for a first scheduler. After T_max,
a `CosineAnnealingLR` rises towards `base_lrs`, the first lr, as PyTorch's does.) So these
five refuse to step after the lr was changed behind their back (by hand, or by a second
scheduler stepped on the same optimizer, which PyTorch would chain) rather than silently
give other numbers than PyTorch. `LambdaLR` overwrites such changes, as in PyTorch.
An optimizer subclass whose `lr` property computes its value (a warm-up of its own, say)
is seen as changed whenever that value is not the one the scheduler set.

**Warm-up, then decay.** Two schedulers stepped together, which PyTorch chains, are
refused (and there is no `SequentialLR` or `ChainedScheduler`); either of these works::

    # one LambdaLR with both parts: 5 epochs of linear warm-up, then x0.5 every 30
    scheduler = LambdaLR(opt, lambda e: (e + 1) / 5 if e < 5 else 0.5 ** ((e - 5) // 30))

    # or a second scheduler, made when the warm-up has ended: it starts from the lr
    # the warm-up reached (the numbers of PyTorch's SequentialLR of the two, with
    # milestones=[5])
    scheduler = LinearLR(opt, start_factor=0.1, total_iters=5)
    for epoch in range(100):
        if epoch == 5:
            scheduler = CosineAnnealingLR(opt, T_max=95)
        train_one_epoch(model, opt)
        scheduler.step()

**Resuming.** Make the optimizer and the schedulers as before, then load their
state_dicts. A scheduler's state holds the optimizer's lr when it was saved
(`optimizer_lr`), and its `load_state_dict` sets it again (PyTorch's does not), so the
order of the loads does not matter, and for the lr neither does loading the
optimizer's state or not (load it for its momentum or moments too, to continue with the
same weights); with two schedulers (a warm-up, then a decay), the states saved together agree on
it, whichever order the schedulers were made or loaded in. States saved at different
times do not agree: the one loaded last sets the lr (loading an older state goes back to
its lr), so save and load the states of one checkpoint together. Make every scheduler
that was in use at the checkpoint, and load its state: a scheduler made after the loads,
and not loaded, starts its schedule again at epoch 0, and sets the lr of that epoch.

**Order of the calls.** `scheduler.step()` comes after `optimizer.step()`. Called before
the optimizer's first step (PyTorch's order before 1.1), it warns, as PyTorch's does: the
schedule's first lr would never be used.

An optimizer here has one lr (no parameter groups), so `base_lrs` and `get_last_lr()`
are one-element lists, as PyTorch's are for one group.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from autodiff import Tensor

from .optim import SGD, Optimizer

# The optimizers' step methods that count their calls in `steps`, which tells a
# scheduler whether the optimizer has stepped since it was made
_COUNTING_STEPS = frozenset({Optimizer.step, SGD.step})

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


def _whole(value, who: str, name: str) -> int:
    """An int, or a float that is a whole number (PyTorch takes T_max=4.0), as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not float(value).is_integer()):
        raise TypeError(f"{who}: {name} must be an int, got {type(value).__name__}: "
                        f"{value!r}")
    return int(value)


def _int_from(low: int):
    """A check of an int (or a whole float) >= low."""
    def check(value, who: str, name: str) -> int:
        value = _whole(value, who, name)
        if value < low:
            raise ValueError(f"{who}: {name} must be >= {low}, got {value}")
        return value
    return check


_gamma = _in(0.0)  # (0 too, as PyTorch: the lr drops to 0)
_learning_rate = _in(0.0)
_count = _int_from(1)
_epoch = _int_from(0)


def _milestones(value, who: str, name: str) -> list[int]:
    """Epochs >= 0 in any order (a list, a set...), kept sorted. A repeated one is kept
    twice, so it decays twice, as PyTorch counts milestones."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{who}: {name} must be a list of epochs (ints), got "
                        f"{type(value).__name__}: {value!r}")
    value = list(value)
    try:
        epochs = sorted(_whole(m, who, name) for m in value)
    except TypeError:
        raise TypeError(f"{who}: {name} must be a list of epochs (ints), got "
                        f"{value!r}") from None
    if epochs and epochs[0] < 0:
        raise ValueError(f"{who}: {name} must be epochs >= 0, got {value}")
    return epochs


def _one_lr(value, who: str, name: str, element: str | None = None) -> list[float]:
    """A one-element list of learning rates (`base_lrs`, `get_lr()`'s result); `element`
    names its element in messages (`name[0]` unless given)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != 1:
        raise ValueError(f"{who}: {name} must be a list of one learning rate (an "
                         f"optimizer here has one), got {value!r}")
    return [_learning_rate(value[0], who, element or f"{name}[0]")]


# The attributes that state_dict does not save as a subclass's own
_KEPT_APART = frozenset({"optimizer", "lr_lambdas", "last_epoch", "base_lrs", "start_lrs",
                         "_last_lr", "_steps_at_start"})


def _as_attribute(value, current, who: str, name: str):
    """A subclass attribute's value as a state gave it (a copy), back in the type of the
    `current` one where a file changed it: nn.load_state gives arrays for numbers,
    strings and lists. A file that changed the types of a list's or a tuple's elements
    (NumPy keeps one type per array: ('warm', 5) became strings) is refused."""
    if not isinstance(value, np.ndarray) or isinstance(current, np.ndarray):
        return copy.deepcopy(value)
    if value.ndim == 0:
        return value.item()
    restored = value.tolist()
    if isinstance(current, (list, tuple)):
        restored = type(current)(restored) if type(current) in (list, tuple) else restored
        if len(restored) == len(current):  # (element by element)
            changed = any(_kind(new) is not _kind(old)
                          for new, old in zip(restored, current, strict=True))
        else:  # (a list that grew: each element of a kind the current one holds)
            kinds = {_kind(item) for item in current}
            changed = bool(kinds) and any(_kind(item) not in kinds for item in restored)
        if changed:
            raise ValueError(
                f"{who}: the attribute {name!r} came back from the file as {restored!r}, "
                f"whose elements are not of the types of {current!r} (a file keeps one "
                "type per array): save a state with such an attribute with pickle")
    return restored


def _kind(value) -> type:
    """The Python type a value has, or stands for (a NumPy number: int, float or bool),
    which a file keeps (or not) in an array."""
    if isinstance(value, np.generic):
        return type(value.item())
    return type(value)


class LRScheduler:
    """Base class: sets `optimizer.lr` to `get_lr()[0]` for each epoch.

    A subclass defines `get_lr()`: the lr for epoch `self.last_epoch`, as a one-element
    list, from `self.base_lrs` (as a subclass of PyTorch's LRScheduler does; its
    `super().__init__(optimizer, last_epoch)` works here too). Set the subclass's own
    attributes before calling `super().__init__`, which sets the lr of epoch 0.

    Args:
        optimizer: an `nn.optim` optimizer, with a number as its `lr`.
        last_epoch: -1 (PyTorch's default: a new schedule). Other values, which PyTorch
            uses to resume, are refused: load the scheduler's `state_dict` instead.

    Attributes:
        optimizer: the optimizer whose `lr` is set.
        base_lrs: [the optimizer's first lr]: its `initial_lr`, which the first
            scheduler made on it records (see the module doc).
        start_lrs: [the optimizer's lr when this scheduler was made], from which the
            chainable schedules go (as PyTorch's multiply the current lr).
        base_lrs and start_lrs are the same for the first scheduler of an optimizer.
        last_epoch: the epoch whose lr is set: 0 after the constructor, +1 per `step()`.

    Raises:
        TypeError: `optimizer` is not an `nn.optim` optimizer, or its lr (or
            `initial_lr`) is not a number.
        ValueError: `last_epoch` is not -1; a setting out of range.
        A failed constructor changes nothing (the optimizer's lr and `initial_lr`).
    """

    #: the settings, with their checks: made by the constructor, saved by state_dict
    _checks: dict[str, Callable] = {}
    #: whether PyTorch's form multiplies the optimizer's current lr (see the module doc)
    _chainable = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, **settings) -> None:
        who = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: optimizer must be an nn.optim optimizer (SGD, Adam, "
                            f"AdamW...), got {type(optimizer).__name__}")
        if isinstance(last_epoch, (bool, np.bool_)) or last_epoch != -1:
            raise ValueError(
                f"{who}: last_epoch={last_epoch!r} is not supported, only -1 (a new "
                "schedule): to resume a schedule, make the scheduler with last_epoch=-1 "
                "and load its saved state with scheduler.load_state_dict(state)")
        checked = {name: self._checks[name](value, who, name)
                   for name, value in settings.items()}
        lr = _learning_rate(optimizer.lr, who, "the optimizer's lr")
        first = getattr(optimizer, "initial_lr", None)
        initial = lr if first is None else _learning_rate(first, who,
                                                          "the optimizer's initial_lr")
        vars(self).update(checked)
        self.optimizer = optimizer
        self.base_lrs = [initial]
        self.start_lrs = [lr]
        self.last_epoch = -1
        self._last_lr = [lr]
        self.step()  # to epoch 0 (refused, say by a bad lr_lambda: nothing changed yet)
        if first is None:  # recorded once, by the first scheduler (PyTorch's setdefault)
            optimizer.initial_lr = initial
        self._steps_at_start = getattr(optimizer, "steps", None)

    def get_lr(self) -> list[float]:
        """The lr for epoch `last_epoch`, as a one-element list."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """[the lr this scheduler set last], as PyTorch's (one element per group)."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Go to the next epoch: `last_epoch += 1`, and set `optimizer.lr` to its lr.

        `step(epoch)`, PyTorch's deprecated form, goes to `epoch` instead (an int >= 0):
        its lr is the same closed form. (PyTorch's closed forms all start from
        `base_lrs`, so its numbers differ for a chainable scheduler made after another
        one changed the lr.) Prefer `step()`.

        Raises:
            RuntimeError: (a chainable schedule) the optimizer's lr is no longer the one
                this scheduler set: see the module doc.
            ValueError, TypeError: `get_lr()` gave no learning rate (>= 0 and finite;
                one that overflows is named so), or the optimizer refused it.
                Either way nothing is changed.
        """
        who = f"{type(self).__name__}.step"
        # (last_epoch 0 is the first step after the constructor's: one warning at most)
        early = self.last_epoch == 0 and self._before_training()
        epoch = self.last_epoch + 1 if epoch is None else _epoch(epoch, who, "epoch")
        if self._chainable and self.optimizer.lr != self._last_lr[0]:
            raise RuntimeError(
                f"{who}: the optimizer's lr is {self.optimizer.lr}, not the "
                f"{self._last_lr[0]} this scheduler set for epoch {self.last_epoch}: it "
                "was changed outside the scheduler (by hand, by another scheduler, or by "
                "loading the optimizer's state_dict without the scheduler's, or one saved "
                "at another time than the scheduler's: the state loaded last sets the lr). "
                "To resume, make the scheduler before loading the optimizer's state, and "
                "load the scheduler's state of the same checkpoint too (which sets the lr). "
                "This scheduler computes each "
                "lr in closed form, where PyTorch's would continue from the changed lr; "
                "make a new scheduler to start from it. Nothing was changed")
        previous, self.last_epoch = self.last_epoch, epoch
        try:
            try:
                lr = self.get_lr()
            except OverflowError as error:  # (a float power: ExponentialLR's, say)
                # (a float power's args are (errno, text): the text alone)
                reason = error.args[-1] if error.args else "overflow"
                raise ValueError(f"{who}: the lr for epoch {epoch} is too large for a "
                                 f"float ({reason}); nothing was changed") from error
            lr = _one_lr(lr, who, "get_lr()", f"the lr for epoch {epoch}")
            self.optimizer.lr = lr[0]  # (in the try: a setter of a subclass may refuse)
        except BaseException:
            self.last_epoch = previous
            raise
        self._last_lr = lr
        if early:  # (PyTorch's warning: its order before 1.1 skipped the first lr)
            warnings.warn(f"{who}() was called before the optimizer's first step() since "
                          "the scheduler was made: the schedule's first lr was never used. "
                          "Call scheduler.step() after optimizer.step() (once per epoch)",
                          UserWarning, stacklevel=2)

    def _before_training(self) -> bool:
        """Whether the optimizer has taken no step since this scheduler was made, as
        far as its step count tells: an optimizer of the library's, or a subclass that
        keeps its step (which counts); not one with a step() of its own."""
        optimizer = self.optimizer
        counts = getattr(type(optimizer), "step", None) in _COUNTING_STEPS
        return counts and getattr(optimizer, "steps", None) == self._steps_at_start

    # -- checkpoints ----------------------------------------------------------------

    def state_dict(self) -> dict:
        """`last_epoch`, `base_lrs`, `start_lrs`, the last lr this scheduler set
        (`_last_lr`), the optimizer's lr now (`optimizer_lr`: see the module doc), the
        settings, and copies of a subclass's own attributes (a count that its `get_lr`
        keeps, say), as PyTorch's state_dict holds every attribute but the optimizer
        (and, here, LambdaLR's function). Save it with the optimizer's, and load both
        to resume. Through `nn.save` files, a subclass's attributes must be numbers,
        strings, or lists or tuples of one type of them (a file holds arrays); save a
        state with others (None, dicts) with pickle."""
        state = {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                 "start_lrs": list(self.start_lrs), "_last_lr": list(self._last_lr)}
        lr = getattr(self.optimizer, "lr", None)
        if isinstance(lr, numbers.Real) and not isinstance(lr, (bool, np.bool_)):
            state["optimizer_lr"] = float(lr)
        for name in self._checks:
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, list) else value
        for name in self._own_attributes():
            try:
                state[name] = copy.deepcopy(getattr(self, name))
            except (TypeError, copy.Error) as error:  # (a lock, say)
                raise TypeError(f"{type(self).__name__}.state_dict: the attribute {name!r} "
                                f"cannot be copied ({error}); keep it out of the "
                                "scheduler (a class attribute, or made again by "
                                "__init__)") from error
        return state

    def _own_attributes(self) -> list[str]:
        """The attributes a subclass added, which state_dict saves as they are."""
        return [name for name in vars(self)
                if name not in _KEPT_APART and name not in self._checks]

    def _may_add(self, key) -> bool:
        """Whether a state's `key` that is no attribute yet may become one: in a
        subclass of the user's (which may make attributes after its constructor), a
        name that is not the base class's nor a method's."""
        return (type(self).__module__ != __name__ and isinstance(key, str)
                and key not in _KEPT_APART and not key.startswith("__")
                and not hasattr(type(self), key))

    def load_state_dict(self, state: Mapping) -> None:
        """Restore what `state_dict` gave (also as arrays, as `nn.load_state` reads a
        file `nn.save` wrote), after checking all of it: on any problem nothing is
        loaded. Also sets the optimizer's lr to the one it had when the state was saved
        (`optimizer_lr`; PyTorch's does not), so the optimizer's state may be loaded
        before or after this one, or not at all, and the next epoch still trains with
        the right lr. A subclass's own attributes are restored too, as copies (values
        read from a file in their own types again); one the state does not hold keeps
        its value, and a subclass's key that is no attribute yet is set as one, as
        PyTorch's load does. A state without `start_lrs` or `optimizer_lr` (saved
        before they were kept) starts from its `base_lrs`, and sets the lr to its
        `_last_lr`, as it then did.

        Raises:
            TypeError: `state` is not a mapping.
            ValueError: missing or unexpected keys, or bad values (all named).
            The optimizer's lr setter's own errors (of a subclass). Nothing is loaded.
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: expected a dict, got {type(state).__name__}")
        checks = {"last_epoch": _epoch, "base_lrs": _one_lr, "start_lrs": _one_lr,
                  "_last_lr": _one_lr, "optimizer_lr": _learning_rate, **self._checks}
        optional = ("start_lrs", "optimizer_lr")
        own = self._own_attributes()
        problems, loaded = [], {}
        for key, value in state.items():
            if key in own or (key not in checks and self._may_add(key)):
                try:
                    loaded[key] = _as_attribute(value, getattr(self, key, None), who, key)
                except ValueError as error:
                    problems.append(str(error).removeprefix(f"{who}: "))
                except (TypeError, copy.Error) as error:  # (deepcopy's: a lock, say)
                    problems.append(f"the attribute {key!r} cannot be copied ({error})")
                continue
            if key not in checks:
                problems.append(f"unexpected key {key!r}")
                continue
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()  # (as nn.load_state gives a number)
            try:
                loaded[key] = checks[key](value, who, key)
            except (TypeError, ValueError) as error:
                problems.append(str(error).removeprefix(f"{who}: "))
        missing = [key for key in checks if key not in state and key not in optional]
        if missing:
            problems.append(f"missing keys {missing}")
        if problems:
            raise ValueError(f"{who}: {'; '.join(problems)}; nothing was loaded")
        loaded.setdefault("start_lrs", list(loaded["base_lrs"]))
        lr = loaded.pop("optimizer_lr", loaded["_last_lr"][0])
        self.optimizer.lr = lr  # (first: a setter may refuse it)
        vars(self).update(loaded)

    def __setstate__(self, fields: dict) -> None:
        # a scheduler pickled before start_lrs was kept started from its base_lrs
        fields.setdefault("start_lrs", list(fields.get("base_lrs", ())))
        fields.setdefault("_steps_at_start", None)
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        settings = "".join(f", {name}={getattr(self, name)!r}" for name in self._checks)
        return (f"{type(self).__name__}({type(self.optimizer).__name__}{settings}, "
                f"last_epoch={self.last_epoch}, lr={self._last_lr[0]})")


class StepLR(LRScheduler):
    """lr = start_lr * gamma ** (epoch // step_size): decay by `gamma` every `step_size`
    epochs (start_lr: the optimizer's lr when the scheduler was made).

    Args:
        optimizer: an `nn.optim` optimizer.
        step_size: the epochs between decays, an int >= 1 (or a whole float).
        gamma: the factor, a number >= 0.
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Example::

        >>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
        >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
        >>> for _ in range(4):
        ...     opt.step()          # (an epoch's training, here without gradients)
        ...     scheduler.step()
        ...     print(opt.lr)
        0.1
        0.05
        0.05
        0.025
    """

    _checks = {"step_size": _count, "gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, step_size=step_size, gamma=gamma)

    def get_lr(self) -> list[float]:
        return [self.start_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)]


class MultiStepLR(LRScheduler):
    """lr = start_lr * gamma ** (the number of milestones <= epoch): decay by `gamma` at
    each milestone (start_lr: the optimizer's lr when the scheduler was made).

    Args:
        optimizer: an `nn.optim` optimizer.
        milestones: epochs (ints >= 0), in any order (a list, a set...); one given
            twice decays twice, as in PyTorch.
        gamma: the factor, a number >= 0.
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Example::

        >>> scheduler = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
        >>> # lr: base_lr for epochs 0-29, base_lr / 10 for 30-79, base_lr / 100 after
    """

    _checks = {"milestones": _milestones, "gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, milestones=milestones, gamma=gamma)

    def get_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)  # (repeats counted)
        return [self.start_lrs[0] * self.gamma ** passed]


class ExponentialLR(LRScheduler):
    """lr = start_lr * gamma ** epoch (start_lr: the optimizer's lr when the scheduler
    was made).

    Args:
        optimizer: an `nn.optim` optimizer.
        gamma: the factor per epoch, a number >= 0. (With gamma > 1, a step whose lr
            would overflow a float is refused, naming the epoch; PyTorch's gives inf.)
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Example::

        >>> scheduler = ExponentialLR(opt, gamma=0.9)  # lr: 0.1, 0.09, 0.081...
    """

    _checks = {"gamma": _gamma}
    _chainable = True

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, gamma=gamma)

    def get_lr(self) -> list[float]:
        return [self.start_lrs[0] * self.gamma ** self.last_epoch]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: from lr0
    down to eta_min over T_max epochs (and, past T_max, back up and down again, as
    PyTorch's: set T_max to the number of epochs).

    lr0 is the optimizer's lr when the scheduler was made (`start_lrs`) up to T_max, and
    its first lr (`base_lrs`) after: PyTorch's rises towards that one. The two differ only
    for a scheduler made after another one changed the lr.

    Args:
        optimizer: an `nn.optim` optimizer.
        T_max: the epochs of the half period, an int >= 1 (or a whole float).
        eta_min: the lowest lr, >= 0.
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Example::

        >>> scheduler = CosineAnnealingLR(opt, T_max=100)  # lr 0.1 -> 0 in 100 epochs
    """

    _checks = {"T_max": _count, "eta_min": _learning_rate}
    _chainable = True

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, T_max=T_max, eta_min=eta_min)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        top = self.start_lrs[0] if self.last_epoch <= self.T_max else self.base_lrs[0]
        return [self.eta_min + (top - self.eta_min) * cosine]


class LinearLR(LRScheduler):
    """lr = start_lr * factor, the factor going linearly from `start_factor` at epoch 0
    to `end_factor` at epoch `total_iters`, and staying there (a warm-up, typically;
    start_lr: the optimizer's lr when the scheduler was made).

    Args:
        optimizer: an `nn.optim` optimizer.
        start_factor: the factor at epoch 0, in (0, 1].
        end_factor: the factor from epoch `total_iters` on, in [0, 1].
        total_iters: the epochs to go from one to the other, an int >= 1 (or a whole
            float).
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Example::

        >>> scheduler = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> # lr: 0.25, 0.5, 0.75, then 1.0 times base_lr
    """

    _checks = {"start_factor": _in(0.0, 1.0, low_open=True), "end_factor": _in(0.0, 1.0),
               "total_iters": _count}
    _chainable = True

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, start_factor=start_factor,
                         end_factor=end_factor, total_iters=total_iters)

    def get_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [self.start_lrs[0] * factor]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), for any function of the epoch (base_lr: the
    optimizer's first lr, its `initial_lr`, as in PyTorch, even for a LambdaLR made
    again or made after the lr was set by hand; to start from the lr the optimizer has
    now, remove that record first: `del opt.param_groups[0]["initial_lr"]`, or
    PyTorch's `opt.param_groups[0].pop("initial_lr")`).

    The function is not saved by `state_dict` (it is code, as PyTorch does not save a
    function either): make the scheduler with the same `lr_lambda`, then load.

    Args:
        optimizer: an `nn.optim` optimizer.
        lr_lambda: a function of the epoch (an int) returning a real factor (a number,
            or a 0-d array or tensor of one); or a one-element list of one (PyTorch's
            list for one parameter group).
        last_epoch: -1, as PyTorch's default (see `LRScheduler`).

    Raises:
        TypeError: `lr_lambda` is not callable, or returns no real number.
        ValueError: a factor that makes the lr negative or not finite. (The epoch-0
            factor is checked by the constructor, each next one by `step()`, before
            anything changes.)

    Example::

        >>> scheduler = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float],
                 last_epoch: int = -1) -> None:
        if isinstance(lr_lambda, (list, tuple)) and len(lr_lambda) == 1:
            (lr_lambda,) = lr_lambda
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got "
                            f"{type(lr_lambda).__name__}: {lr_lambda!r}")
        self.lr_lambdas = [lr_lambda]  # (PyTorch's name: one per parameter group)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.lr_lambdas[0](self.last_epoch)
        # a 0-d array (as np.array(x) gives) or tensor: the number it holds
        array = factor.data if isinstance(factor, Tensor) else factor
        if (getattr(array, "shape", None) == () and not isinstance(array, numbers.Number)
                and np.asarray(array).dtype.kind in "iuf"):
            factor = np.asarray(array).item()
        if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, numbers.Real):
            raise TypeError(f"LambdaLR: lr_lambda({self.last_epoch}) returned "
                            f"{type(factor).__name__}: {factor!r}, not a number")
        lr = self.base_lrs[0] * float(factor)
        if not (0 <= lr < math.inf):
            raise ValueError(f"LambdaLR: lr_lambda({self.last_epoch}) returned {factor}, "
                             f"which makes the lr {lr}; it must be >= 0 and finite")
        return [lr]
