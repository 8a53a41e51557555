"""Optimizers: `SGD`, `Adam` and `AdamW`, updating exactly as `torch.optim` does.

An optimizer holds a list of parameters. After `loss.backward()`, `step()` updates
each parameter's data in place from its `.grad` (under `autodiff.no_grad()`, so the
update is not part of any graph); `zero_grad()` clears the grads for the next step::

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for X, y in batches:
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()

Parameters may be Tensors (their arrays are updated in place) or the `Value`s of the
scalar networks (their floats are replaced; a graph over Values made before a step is
not refused afterwards, see `nn.scalar`). A Tensor whose `.grad` is None is skipped.
The learning rate is the attribute `lr`, which may be changed between steps (a schedule);
a setting set so is checked as the constructor checks it.
"""

from __future__ import annotations

import math
import numbers
import operator
import sys
from collections.abc import Iterator, Mapping, MutableMapping

import numpy as np

from autodiff import Tensor, Value, no_grad
from autodiff.graph import check_flag, mark_changed

from .module import Module, clear_grads

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


def _number(value: object, name: str, who: str, low: float = 0.0,
            high: float = math.inf, high_open: bool = False) -> float:
    """A real number in [low, high] (or [low, high)), as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a real number, got {type(value).__name__}: "
                        f"{value!r}")
    value = float(value)
    too_high = value >= high if high_open else value > high
    if not (value >= low) or too_high:  # `not >=` also catches NaN
        bracket = ")" if high_open else "]"
        raise ValueError(f"{who}: {name} must be in [{low}, {high}{bracket}, got {value}")
    return value


def _setting(name: str, check) -> property:
    """The setting `name` as a property: a value set (by the constructor, a schedule's
    `opt.lr = ...`, `param_groups` or `load_state_dict`) is checked and normalised by
    `check(optimizer, value)` and kept as `_name`, which the updates read. A bad value
    fails where it is set, and step() neither checks the settings nor pays for a
    property on each read."""
    private = "_" + name

    def set_checked(self, value) -> None:
        object.__setattr__(self, private, check(self, value))

    return property(operator.attrgetter(private), set_checked,
                    doc=f"The setting {name}, checked as the constructor checks it.")


def _real_setting(name: str, **bounds) -> property:
    """A setting that is a real number (in [0, inf] unless `bounds` say otherwise)."""
    return _setting(name, lambda opt, value: _number(value, name, type(opt).__name__,
                                                     **bounds))


_FIXED_PARAMETERS = ("an optimizer's params cannot be changed: its state (momentum, "
                     "moments) is made for the parameters it was given; make a new "
                     "optimizer over all of them")


class _Parameters(tuple):
    """An optimizer's `params`: a tuple, as its state is made for the parameters it was
    given; a list's ways of changing it say what to do instead."""

    __slots__ = ()

    def append(self, *_) -> None:
        raise TypeError(_FIXED_PARAMETERS)

    extend = insert = remove = pop = clear = append


def _named(item: object) -> bool:
    """Whether `item` is a (name, parameter) pair, as `Module.named_parameters()` yields."""
    return (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            and isinstance(item[1], (Tensor, Value)))


_NO_GROUPS = ("parameter groups are not supported: pass one list of parameters, such as "
              "model.parameters() (and make one optimizer per learning rate)")


class Optimizer:
    """Base class: holds the parameters and a per-parameter state.

    Args:
        params: the parameters to update: an iterable of Tensors with requires_grad (or
            of Values), e.g. `model.parameters()`; or (name, parameter) pairs, as
            `model.named_parameters()` gives them (recent torch.optim takes those too);
            or a Module (its parameters). A frozen parameter (requires_grad turned
            off) is taken, as in PyTorch, and left as it is until it requires grad
            again, even if it still has a `.grad` from before it was frozen (which
            PyTorch's optimizers would apply).

    Raises:
        ValueError: no parameters, or a Tensor that is not a leaf (the result of an op)
            or does not require grad.
        TypeError: a parameter that is neither a Tensor nor a Value, or not floating
            point.
    """

    def __init__(self, params) -> None:
        who = type(self).__name__
        if isinstance(params, Module):
            params = params.parameters()
        if isinstance(params, (Tensor, Value)):
            raise TypeError(f"{who}: params must be an iterable of parameters, got a single "
                            f"{type(params).__name__}; wrap it in a list")
        if isinstance(params, Mapping):  # (iterated, it would give its keys)
            raise TypeError(f"{who}: params is a dict; {_NO_GROUPS}")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{who}: params must be an iterable of parameters such as "
                            f"model.parameters(), got {type(params).__name__}") from None
        if params and all(_named(p) for p in params):
            # model.named_parameters(), which recent torch.optim takes too; the names
            # are not needed: the state is kept by position
            params = [p for _, p in params]
        unique, seen = [], set()
        for i, p in enumerate(params):
            if isinstance(p, Tensor):
                if p.dtype.kind != "f":
                    raise TypeError(f"{who}: parameter {i} has dtype {p.dtype}; only float "
                                    "Tensors can be optimized")
                if not (p.requires_grad or getattr(p, "_frozen", False)):
                    raise ValueError(f"{who}: parameter {i} (shape {p.shape}) does not "
                                     "require grad, so it would never be updated")
                if p._op is not None:
                    raise ValueError(f"{who}: parameter {i} (shape {p.shape}) is not a leaf "
                                     f"but the result of '{p.op}'; optimize the tensors it "
                                     "was computed from")
            elif isinstance(p, dict):
                raise TypeError(f"{who}: parameter {i} is a dict; {_NO_GROUPS}")
            elif _named(p):
                raise TypeError(f"{who}: parameter {i} is a (name, parameter) pair "
                                f"({p[0]!r}, ...) but others are not; give all as "
                                "model.named_parameters() gives them, or none (pass "
                                "model.parameters())")
            elif not isinstance(p, Value):
                raise TypeError(f"{who}: parameter {i} is a {type(p).__name__}, not a Tensor "
                                "or a Value")
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError(f"{who}: got an empty parameter list (did the model define its "
                             "parameters as attributes?)")
        self._params = _Parameters(unique)
        self.state: dict[int, dict] = {id(p): {} for p in unique}
        self.steps = 0
        # per parameter, the shape its state was last checked to fit (see
        # _gradients_fitting_states); None: to be checked
        self._fits: list[tuple | None] = [None] * len(unique)

    @property
    def params(self) -> tuple:
        """The parameters, in the order given (a tuple: the state is made for them)."""
        return self._params

    @params.setter
    def params(self, value) -> None:  # (opt.params += (p,) too)
        raise TypeError(_FIXED_PARAMETERS)

    # `state` is keyed by id(p), and a copy's parameters have new ids: a copy or a pickle
    # (of a model with its optimizer, say) carries the state by position instead.
    def __getstate__(self) -> dict:
        fields = self.__dict__.copy()
        fields["state"] = [self.state[id(p)] for p in self.params]
        return fields

    def __setstate__(self, fields: dict) -> None:
        by_position = fields.pop("state")
        for name in [n for n in fields if isinstance(getattr(type(self), n, None), property)]:
            fields["_" + name] = fields.pop(name)  # saved before it was a property
        if "_lr" in fields and "lr" not in fields and not hasattr(type(self), "lr"):
            # For a while (7c5569e..5f006af) lr was a property of Optimizer itself, so a
            # subclass's `self.lr = lr` was pickled as `_lr`; a subclass without an lr of
            # its own gets it back as `lr`. (Copied, not renamed: a subclass may keep an
            # `_lr` of its own.)
            fields["lr"] = fields["_lr"]
        fields["_params"] = _Parameters(fields["_params"])  # (a list in older pickles)
        self.__dict__.update(fields)
        self.state = {id(p): state for p, state in zip(self.params, by_position, strict=True)}
        self._fits = [None] * len(self.params)  # (checked again: one saved before had none)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (None for Tensors, or zeros with
        `set_to_none=False`; 0.0 for Values)."""
        clear_grads(self.params, set_to_none)

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, once.

        Raises:
            ValueError, TypeError: a `.grad` of another shape than its parameter, or not
                a real float (array), or not a number for a Value; a parameter whose
                array is read-only, or whose state (momentum buffer, Adam's moments) no
                longer has its shape (its .data was replaced since: make a new
                optimizer). Every gradient and state is checked first, so nothing
                (parameters, optimizer state, step counts) is changed then.
        """
        grads = self._gradients_fitting_states()
        self.steps += 1
        states = self.state
        for p, g in zip(self.params, grads, strict=True):
            if g is None:
                continue
            if isinstance(p, Value):
                p.data = float(p.data - self._step(p.data, g, states[id(p)]))
            else:
                self._update(p.data, g, states[id(p)])
                mark_changed(p)  # (a graph made before the step may no longer backward)

    def _gradients(self) -> list:
        """Each parameter's gradient as the update takes it (None: no update), every
        one checked before any parameter is updated."""
        grads = []
        tensor, array = Tensor, np.ndarray
        for i, p in enumerate(self.params):
            # the common case inline (this runs on every step), the rest in _checked_grad
            g = p.grad
            if type(g) is array and type(p) is tensor and type(p.data) is array:
                data = p.data
                if (g.shape == data.shape and g.dtype is data.dtype and p._requires_grad
                        and data.flags.writeable):
                    grads.append(g)
                    continue
            grads.append(self._checked_grad(i, p))
        return grads

    def _gradients_fitting_states(self) -> list:
        """`_gradients`, with each parameter's state checked to fit it before anything is
        updated: a parameter whose .data was replaced by an array of another shape (or
        reshaped) after its state (a momentum buffer, Adam's moments) was made would
        otherwise fail in its update, after the parameters before it were updated and
        the step counted.

        The check is nearly free on the common path: `_fits[i]` is the shape parameter
        i's state was last found to fit (None: not known), and a parameter whose data
        still has that shape needs no look at its state. Only shapes are compared (not
        ids of arrays, which a freed array's successor may reuse). On an
        nn.MLP([2, 16, 16, 2]) (6 parameters) this costs 0.16 us per step over
        `_gradients`, where a separate pass over the states cost 1.7 us.
        """
        name = self._shaped_state
        if name is None:  # no state of the parameters' shape
            return self._gradients()
        fits, params = self._fits, self.params
        if len(fits) != len(params):  # (params changed by hand)
            fits = self._fits = [None] * len(params)
        grads = []
        tensor, array = Tensor, np.ndarray
        for i, p in enumerate(params):
            # the common case inline, as in _gradients, the rest in _checked_state
            g = p.grad
            if type(g) is array and type(p) is tensor and type(p.data) is array:
                data = p.data
                shape = data.shape
                if (g.shape == shape == fits[i] and g.dtype is data.dtype and p._requires_grad
                        and data.flags.writeable):
                    grads.append(g)
                    continue
            elif g is None or (type(g) is float and type(p) is not tensor):  # a Value's
                grads.append(g)  # (there may be many), or none
                continue
            grads.append(self._checked_state(i, p, name))
        return grads

    def _checked_state(self, i: int, p, name: str):
        """Parameter `i`'s gradient (see `_checked_grad`), after checking that its state
        `name` (if it has one yet) has the gradient's shape; then `_fits[i]` records it.
        (The update keeps that shape, or makes the state with it.)"""
        g = self._checked_grad(i, p)
        if type(g) is np.ndarray:  # (None: no update; a number: a Value's)
            value = self.state[id(p)].get(name)
            if value is not None and value.shape != g.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i} has shape {g.shape} "
                    f"but its state '{name}' has shape {value.shape}: was the "
                    "parameter resized (its .data replaced) after the optimizer made "
                    "its state? Make a new optimizer for the resized model; nothing "
                    "was updated")
            self._fits[i] = g.shape
        return g

    def _checked_grad(self, i: int, p):
        """Parameter `i`'s gradient as the update takes it (None: no update), or raise."""
        g = p.grad
        if type(g) in (int, float) and g == 0 and isinstance(p, Tensor):
            return None  # micrograd's `p.grad = 0`, taken as no gradient, as by backward
        if type(g) is float or g is None:  # a Value's, checked fast: there may be many
            return g
        if isinstance(p, Tensor) and not p.requires_grad:  # frozen: left as it is, even
            return None  # with a .grad from before it was frozen
        if type(g) is Tensor:  # after backward(create_graph=True)
            g = g.data
        if isinstance(p, Value):
            if isinstance(g, (int, float, np.number)) and not isinstance(g, (bool, complex)):
                return g
            if np.size(g) == 1 and np.asarray(g).dtype.kind in "fiu":
                return float(np.asarray(g).item())  # a one-element array
            raise TypeError(f"{type(self).__name__}.step: parameter {i} is a Value, so its "
                            f".grad must be a number, got {type(g).__name__}; nothing was "
                            "updated")
        if type(p.data) is not np.ndarray or p.data.dtype.kind != "f":
            what = (f"dtype {p.data.dtype}" if type(p.data) is np.ndarray
                    else f"a {type(p.data).__name__}")  # (a memmap, say)
            raise TypeError(f"{type(self).__name__}.step: parameter {i}'s .data is "
                            f"{what}, not a float array (was .data set by hand? give it "
                            "floats, e.g. p.data = np.array(w, dtype=float)); nothing "
                            "was updated")
        if not p.data.flags.writeable:  # (np.broadcast_to's view, say)
            raise ValueError(f"{type(self).__name__}.step: parameter {i}'s .data is a "
                             "read-only array, which cannot be updated in place; give it a "
                             "writable copy (p.data = np.array(p.data)); nothing was "
                             "updated")
        g = np.asarray(g)
        if g.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}.step: parameter {i} has shape "
                             f"{p.data.shape} but its .grad has shape {g.shape}; nothing "
                             "was updated")
        if g.dtype.kind not in "fiu":
            raise TypeError(f"{type(self).__name__}.step: parameter {i}'s .grad has dtype "
                            f"{g.dtype}, not a real number type; nothing was updated")
        return g

    def _step(self, x, g, state: dict):
        """What to subtract from a parameter `x` (array or float) with gradient `g`."""
        raise NotImplementedError

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict) -> None:
        """Update the array `x` in place (no second copy of the parameter at the peak)."""
        x -= self._step(x, g, state)

    # -- checkpoints ----------------------------------------------------------------

    #: the names of the per-parameter state a subclass keeps (SGD: its momentum buffer)
    _state_names: tuple[str, ...] = ()
    #: the name of a state array of the parameter's shape (all such arrays are made and
    #: loaded together, so one tells whether they fit), or None
    _shaped_state: str | None = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimizer's state as a flat dict of arrays (copies), which `nn.save`
        writes: its `kind` (the class name), `steps`, each setting (`settings.lr`...)
        and each parameter's state by its position in `params`
        (`state.0.momentum_buffer`, `state.3.exp_avg`...); and, once a learning-rate
        scheduler was made, `initial_lr`, the lr before any scheduler changed it (it
        is in PyTorch's param_groups too, and LambdaLR starts from it).

        Save it beside the model's to resume training where it stopped: Adam's moments
        and step counts, or SGD's momentum, would otherwise start again from zero.
        """
        out = {"kind": np.array(type(self).__name__), "steps": np.array(self.steps)}
        for key, value in self._settings().items():
            out[f"settings.{key}"] = np.array(value)
        if getattr(self, "initial_lr", None) is not None:  # (the first scheduler's)
            out["initial_lr"] = np.array(self.initial_lr)
        for i, p in enumerate(self.params):
            for name, value in self.state[id(p)].items():
                out[f"state.{i}.{name}"] = np.array(value, copy=True)
        return out

    def load_state_dict(self, state: Mapping) -> None:
        """Restore what `state_dict` gave (of an optimizer of the same kind over
        parameters of the same shapes), after checking all of it: on any mismatch the
        optimizer is left as it was. `steps` and every setting must be there; the
        per-parameter state is replaced by what is given (none: starting afresh), and
        so is `initial_lr` (none: removed, as PyTorch's param_groups are replaced). A
        state of another kind (`kind`: an AdamW's given to an Adam) is refused; one
        without `kind` (saved before it was recorded) is taken as this kind's.

        Raises:
            TypeError: `state` is not a mapping.
            ValueError: keys that this optimizer does not have, or values of the wrong
                shape or type (a setting of another type than the optimizer's own: a
                bool for nesterov, numbers for the rest); the message names every
                offending key.
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: expected a dict of arrays, got {type(state).__name__}")
        settings = self._settings()
        problems, new_settings = [], {}
        new_state: dict[int, dict] = {id(p): {} for p in self.params}
        steps = self.steps
        initial_lr = None
        given_names: dict[int, set] = {}
        for key, value in state.items():
            array = np.asarray(value)
            parts = str(key).split(".")
            if parts == ["kind"]:
                # Adam and AdamW share every key, but not what weight_decay does
                if array.shape != () or str(array) != type(self).__name__:
                    problems.append(f"the state is of {array} (its 'kind'), not of "
                                    f"{type(self).__name__}: its settings would mean "
                                    "other updates here")
            elif parts == ["initial_lr"]:
                if (array.shape != () or array.dtype.kind not in "iuf"
                        or not 0 <= array < math.inf):
                    problems.append(f"'initial_lr' must be a learning rate (a number >= 0 "
                                    f"and finite), got {value!r}")
                else:
                    initial_lr = float(array)
            elif parts == ["steps"]:
                if array.shape != () or array.dtype.kind not in "iu" or int(array) < 0:
                    problems.append(f"'steps' must be an int >= 0, got {value!r}")
                else:
                    steps = int(array)
            elif len(parts) == 2 and parts[0] == "settings" and parts[1] in settings:
                current = settings[parts[1]]
                # of the setting's own type: cast, nesterov=0.5 would become True and
                # weight_decay=True 1.0
                flag = isinstance(current, bool)
                if np.shape(current) != array.shape:
                    problems.append(f"'{key}' has shape {array.shape}, not that of "
                                    f"{current!r}")
                elif array.dtype.kind not in ("b" if flag else "iuf"):
                    problems.append(f"'{key}' must be "
                                    f"{'True or False' if flag else 'a real number'}, got "
                                    f"{array.tolist()!r} of dtype {array.dtype}")
                else:
                    new_settings[parts[1]] = _like(current, array)
            elif (len(parts) == 3 and parts[0] == "state" and parts[1].isdigit()
                  and int(parts[1]) < len(self.params) and parts[2] in self._state_names):
                p = self.params[int(parts[1])]
                name = parts[2]
                given_names.setdefault(id(p), set()).add(name)
                shape = () if name == "step" else np.shape(p.data)
                if array.shape != shape or array.dtype.kind not in "iuf":
                    problems.append(f"'{key}' has shape {array.shape} and dtype "
                                    f"{array.dtype}; parameter {parts[1]} needs numbers "
                                    f"of shape {shape}")
                elif not np.isfinite(array).all() or (
                        name in ("step", "exp_avg_sq") and (array < 0).any()) or (
                        name == "step" and array != np.round(array)):
                    problems.append(f"'{key}' holds values no optimizer could have made "
                                    "(negative, fractional steps, or not finite)")
                elif name == "step":
                    new_state[id(p)][name] = int(array)
                elif isinstance(p, Value):
                    new_state[id(p)][name] = float(array)
                else:
                    new_state[id(p)][name] = array.astype(p.dtype, copy=True)
            else:
                problems.append(f"unexpected key '{key}'")
        given = {str(key) for key in state}  # (a refused setting is not also missing)
        missing = [f"settings.{name}" for name in settings if f"settings.{name}" not in given]
        if "steps" not in state:
            missing.insert(0, "steps")
        for i, p in enumerate(self.params):  # a parameter's state comes whole or not at all
            names = given_names.get(id(p), set())
            if names and names != set(self._state_names):
                missing.extend(f"state.{i}.{n}" for n in self._state_names if n not in names)
        if missing:
            problems.append(f"missing keys {missing}")
        if not problems:
            # the settings checked by setting them, on a blank optimizer and in their own
            # order (on this one, momentum=0 set before nesterov=False would be refused)
            checked = object.__new__(type(self))
            try:
                for name in settings:
                    setattr(checked, name, new_settings[name])
            except (TypeError, ValueError) as error:
                problems.append(str(error))
        if problems:
            raise ValueError(f"{who}: {'; '.join(problems)}; nothing was loaded")
        self.steps = steps
        self.state = new_state
        self._fits = [None] * len(self.params)  # the loaded states are checked again
        vars(self).update(vars(checked))
        if initial_lr is not None:
            self.initial_lr = initial_lr
        else:
            vars(self).pop("initial_lr", None)

    @property
    def param_groups(self) -> list[ParamGroup]:
        """PyTorch's view of the settings: one group, a dict-like view of `params` and
        the settings (`lr`...), so `for g in opt.param_groups: g["lr"] = 0.01` (a
        schedule written for torch.optim) sets `opt.lr`. Values set through it are
        checked as the constructor checks them. There is one group only: parameter
        groups with settings of their own are not supported (make one optimizer per
        learning rate). Once a learning-rate scheduler was made, the group also has
        PyTorch's `initial_lr` (the optimizer's attribute `initial_lr`)."""
        return [ParamGroup(self)]

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self._settings().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def _settings(self) -> dict:
        return {"lr": self.lr}


class ParamGroup(MutableMapping):
    """`optimizer.param_groups[0]`: a live view of an optimizer's `params` and settings
    (its attributes, which `state_dict` saves), not a copy; see
    `Optimizer.param_groups`."""

    def __init__(self, optimizer: Optimizer) -> None:
        self._optimizer = optimizer

    def _keys(self) -> list[str]:
        initial = ["initial_lr"] if self._has_initial_lr() else []
        return ["params", *self._optimizer._settings(), *initial]

    def _has_initial_lr(self) -> bool:
        return getattr(self._optimizer, "initial_lr", None) is not None

    def __getitem__(self, key: str):
        if key == "params":
            return self._optimizer.params
        if key == "initial_lr" and self._has_initial_lr():
            return self._optimizer.initial_lr
        if key not in self._optimizer._settings():
            raise KeyError(f"{type(self._optimizer).__name__}.param_groups[0] has no "
                           f"{key!r}; its keys are {self._keys()}")
        return getattr(self._optimizer, key)

    def __setitem__(self, key: str, value) -> None:
        opt = self._optimizer
        who = f"{type(opt).__name__}.param_groups[0]"
        settings = opt._settings()
        if key == "params":
            raise TypeError(f"{who}: its params cannot be replaced; make a new optimizer "
                            "for other parameters")
        if key == "initial_lr":  # (PyTorch's schedulers and code written for them set it)
            opt.initial_lr = _number(value, key, who, high=math.inf, high_open=True)
            return
        if key not in settings:
            raise KeyError(f"{who}: cannot set {key!r}, which is not a setting of "
                           f"{type(opt).__name__}; the settings are {list(settings)}")
        setattr(opt, key, value)  # (checked as the constructor checks it)

    def __delitem__(self, key: str) -> None:
        who = f"{type(self._optimizer).__name__}.param_groups[0]"
        if key == "initial_lr":  # (the next scheduler records the lr it finds)
            if not self._has_initial_lr():
                raise KeyError(f"{who} has no 'initial_lr' (no scheduler recorded one)")
            del self._optimizer.initial_lr
            return
        raise TypeError(f"{who}: its keys cannot be deleted (only 'initial_lr', the "
                        f"first lr a scheduler recorded), not {key!r}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return repr({key: (f"<{len(value)} parameters>" if key == "params" else value)
                     for key, value in self.items()})


def _like(current, array: np.ndarray):
    """A loaded setting as the Python type of the `current` one (bool, float, tuple)."""
    if isinstance(current, bool):
        return bool(array)
    if isinstance(current, tuple):
        return tuple(float(v) for v in array)
    return float(array)


# The block size of the updates of large parameters. Measured on a 2-core Xeon (2 MiB of
# L2 cache per core): a (256, 784) float64 SGD update takes 115 us in 256 KiB blocks
# against 210 us at once; a (1024, 1024) one 610 us against 1,160 us; float32 gains less
# (43 against 49 us).
_BLOCK_BYTES = 256 * 1024


def _blocks(*arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """The arrays (of one shape, C-contiguous) cut into matching flat views of about
    `_BLOCK_BYTES` each: one block for small arrays.

    An update written with whole arrays makes temporaries as large as the parameter:
    past a few hundred KiB they are memory fresh from the operating system, and they
    push the parameter and its gradient out of the cache. Block by block, the
    temporaries are small and reused while they are still in the cache.
    """
    flat = [a.reshape(-1) for a in arrays]  # views, as the arrays are contiguous
    size, block = flat[0].size, max(1, _BLOCK_BYTES // arrays[0].itemsize)
    return [tuple(a[start:start + block] for a in flat) for start in range(0, size, block)]


def _blockable(x: np.ndarray, *others) -> bool:
    """Whether `others` are arrays that `x` can be updated against block by block."""
    return x.flags.c_contiguous and all(
        isinstance(a, np.ndarray) and a.shape == x.shape and a.dtype == x.dtype
        and a.flags.c_contiguous for a in others)


def subtract_scaled(x: np.ndarray, scale: float, g: np.ndarray) -> None:
    """`x -= scale * g` in place, with the same result, in blocks for large arrays (see
    `_blocks`)."""
    if x.nbytes <= _BLOCK_BYTES or not _blockable(x, g):
        x -= scale * g
        return
    for x_block, g_block in _blocks(x, g):
        x_block -= scale * g_block


# torch.optim's arguments that have no counterpart here, with the values that change
# nothing: each one's default, and for foreach and fused (PyTorch's choice between
# implementations of the same update: there is one here) any flag. A port that writes
# them out (amsgrad=False, foreach=True) runs as it is; another value is named as
# unsupported, not as a typo. Flags may be given as 0 and 1, as PyTorch reads them.
_PYTORCH_ONLY = {"dampening": (0,), "amsgrad": (False,), "maximize": (False,),
                 "foreach": (None, False, True), "capturable": (False,),
                 "differentiable": (False,), "fused": (None, False, True)}


def _as_flag(value):
    """A bool, NumPy bool, 0 or 1 as a bool; anything else as it is."""
    if isinstance(value, (bool, np.bool_)) or (
            isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    return value


def _take_pytorch_only(who: str, given: dict, own: tuple[str, ...], takes: str) -> None:
    """Accept PyTorch's arguments `own` (those of the optimizer `who`) at the values that
    change nothing; raise TypeError for another value of them, or for any other
    keyword."""
    for name, value in given.items():
        if name not in own:
            raise TypeError(f"{who}() got an unexpected keyword argument {name!r}; {who} "
                            f"takes {takes}")
        taken = _PYTORCH_ONLY[name]
        if name == "dampening":
            if (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                    and value == 0):
                continue
        else:
            flag = _as_flag(value)
            if (flag is None or isinstance(flag, bool)) and flag in taken:
                continue
        values = (f"its default, {name}={taken[0]!r}," if len(taken) == 1 else
                  f"{name}=" + ", ".join(map(repr, taken[:-1])) + f" or {taken[-1]!r}")
        raise TypeError(f"{who}: {name}={value!r} is a PyTorch argument that is not "
                        f"supported here (only {values} is taken)")


def _take_decoupled_weight_decay(value, weight_decay) -> None:
    """Adam's `decoupled_weight_decay` (PyTorch's): False, or True with no decay (either
    changes nothing); True with a decay is AdamW's update, and named so."""
    flag = _as_flag(value)
    if flag is False or (flag is True and isinstance(weight_decay, numbers.Real)
                         and not isinstance(weight_decay, (bool, np.bool_))
                         and weight_decay == 0):
        return
    if flag is True:
        raise TypeError(f"Adam: decoupled_weight_decay=True is AdamW's update: use "
                        f"nn.optim.AdamW(params, ..., weight_decay={weight_decay!r}) (AdamW's "
                        "default weight_decay is 0.01, not Adam's 0)")
    raise TypeError(f"Adam: decoupled_weight_decay must be True or False, got "
                    f"{type(value).__name__}: {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    Per parameter x with gradient g (as torch.optim.SGD, with no dampening)::

        g = g + weight_decay * x
        b = g                     on the first step, then b = momentum * b + g
        g = g + momentum * b      with nesterov, else g = b      (when momentum > 0)
        x = x - lr * g

    A large parameter is updated block by block, and the momentum buffer
    (`state[id(p)]["momentum_buffer"]`) in place: the numbers of the formulas above, in
    about half the time.

    Args:
        params: see `Optimizer`.
        lr: the learning rate, >= 0.
        momentum: the momentum factor, >= 0.
        weight_decay: the L2 factor added to the gradient, >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0): True or False, or a NumPy
            bool, as every flag.
        dampening, maximize, differentiable: PyTorch's, taken only at their defaults
            (0, False, False), which change nothing; foreach and fused (PyTorch's choice
            of implementation) as None or a flag (a bool, 0 or 1).

    The fourth argument taken by position is `weight_decay`, where torch.optim.SGD's is
    `dampening`: name it in code written for both.

    Raises:
        TypeError, ValueError: see `Optimizer`; a setting of the wrong type or out of
            range (naming it).
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, **pytorch_only) -> None:
        _take_pytorch_only(type(self).__name__, pytorch_only,
                           ("dampening", "maximize", "foreach", "differentiable", "fused"),
                           "params, lr, momentum, weight_decay and nesterov")
        # (each checked as it is set: see _setting; nesterov after the momentum it needs)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.nesterov = nesterov
        super().__init__(params)

    def _checked_momentum(self, value) -> float:
        value = _number(value, "momentum", type(self).__name__)
        if value == 0 and getattr(self, "_nesterov", False):
            raise ValueError(f"{type(self).__name__}: momentum=0 with nesterov=True, which "
                             "needs a momentum > 0; set nesterov to False first")
        return value

    def _checked_nesterov(self, value) -> bool:
        if (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                and not float(value).is_integer()):
            # SGD(params, 0.1, 0.9, 0.0, 5e-4): PyTorch's order (dampening 4th)
            raise TypeError(f"{type(self).__name__}: nesterov must be True or False, got "
                            f"nesterov={value!r}; if the numbers were given by position: "
                            "here the arguments are (params, lr, momentum, weight_decay, "
                            "nesterov), where torch.optim.SGD has dampening before "
                            "weight_decay: name them")
        value = check_flag(value, type(self).__name__, "nesterov")
        if value and not getattr(self, "_momentum", 0.0):
            raise ValueError(f"{type(self).__name__}: nesterov=True needs a momentum > 0")
        return value

    # (properties of the library's optimizers, not of the base class: a subclass of
    # Optimizer keeps its lr as it likes, a property of its own or None)
    lr = _real_setting("lr")
    momentum = _setting("momentum", _checked_momentum)
    weight_decay = _real_setting("weight_decay")
    nesterov = _setting("nesterov", _checked_nesterov)

    @no_grad()
    def step(self) -> None:
        if self.momentum or self.weight_decay or type(self) is not SGD:
            Optimizer.step(self)  # (a subclass may define its own _step)
            return
        # Plain SGD, the common case of the training step, without the per-parameter
        # state lookups and calls of the general loop: x -= lr * g.
        grads = self._gradients()
        self.steps += 1
        lr = self.lr
        for p, g in zip(self.params, grads, strict=True):
            if g is None:
                continue
            x = p.data
            if isinstance(p, Value):
                p.data = float(x - lr * g)
                continue
            if x.nbytes > _BLOCK_BYTES:
                subtract_scaled(x, lr, g)
            else:
                x -= lr * g
            mark_changed(p)

    step.__doc__ = Optimizer.step.__doc__

    def _update(self, x, g, state):
        if type(self)._step is not SGD._step:  # a subclass's own rule: no shortcut
            super()._update(x, g, state)
            return
        if not (self.momentum or self.weight_decay):  # (step takes this case itself)
            subtract_scaled(x, self.lr, g)
            return
        # With momentum or decay: `_step`'s arithmetic, operation for operation, block
        # by block for a large parameter, the momentum buffer updated in place.
        if x.nbytes <= _BLOCK_BYTES:
            super()._update(x, g, state)
            return
        buffer = state.get("momentum_buffer") if self.momentum else None
        first = self.momentum and buffer is None
        if first and _blockable(x, g):
            buffer = np.empty_like(x)
        arrays = (x, g, buffer) if self.momentum else (x, g)
        if not _blockable(*arrays):
            super()._update(x, g, state)
            return
        if self.momentum:
            state["momentum_buffer"] = buffer
        for x_b, g_b, *b_b in _blocks(*arrays):
            if self.weight_decay:
                g_b = g_b + self.weight_decay * x_b
            if self.momentum:
                (b_b,) = b_b
                if first:
                    b_b[...] = g_b
                else:
                    b_b *= self.momentum
                    b_b += g_b
                g_b = g_b + self.momentum * b_b if self.nesterov else b_b
            x_b -= self.lr * g_b

    def _step(self, x, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:  # the first step: b = g (a copy, so later edits of .grad
                b = np.copy(g) if isinstance(g, np.ndarray) else g  # cannot reach it)
            else:
                b = self.momentum * b + g
            state["momentum_buffer"] = b
            g = g + self.momentum * b if self.nesterov else b
        return self.lr * g

    _state_names = ("momentum_buffer",)
    _shaped_state = "momentum_buffer"

    def _settings(self):
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running averages of the gradient and its square.

    Per parameter x with gradient g, at step t = 1, 2, ... (as torch.optim.Adam)::

        g = g + weight_decay * x                  (L2, added to the gradient)
        m = beta1 * m + (1 - beta1) * g           (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g^2
        x = x - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    m and v (`state[id(p)]["exp_avg"]` and `["exp_avg_sq"]`) are updated in place, and a
    large parameter block by block; the numbers are those of the formulas above.

    Args:
        params: see `Optimizer`.
        lr: the learning rate, >= 0.
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: the L2 factor added to the gradient, >= 0.
        amsgrad, maximize, capturable, differentiable: PyTorch's, taken only at their
            defaults (False), which change nothing; foreach and fused (PyTorch's choice
            of implementation) as None or a flag (a bool, 0 or 1); for Adam,
            decoupled_weight_decay=False, or True with weight_decay=0 (with a decay it
            is `AdamW`'s update: use AdamW).

    Raises:
        TypeError, ValueError: see `Optimizer`; a setting of the wrong type or out of
            range (naming it).
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, **pytorch_only) -> None:
        decoupled = (pytorch_only.pop("decoupled_weight_decay", False)
                     if not self._decoupled else False)  # (Adam's; AdamW has none)
        _take_pytorch_only(type(self).__name__, pytorch_only,
                           ("amsgrad", "maximize", "foreach", "capturable",
                            "differentiable", "fused"),
                           "params, lr, betas, eps and weight_decay")
        # (each checked as it is set: see _setting)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        _take_decoupled_weight_decay(decoupled, self.weight_decay)
        super().__init__(params)

    def _checked_betas(self, betas) -> tuple[float, float]:
        who = type(self).__name__
        if isinstance(betas, np.ndarray) and betas.shape == (2,):
            betas = tuple(betas.tolist())
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{who}: betas must be a pair (beta1, beta2), got {betas!r}")
        return (_number(betas[0], "betas[0]", who, high=1.0, high_open=True),
                _number(betas[1], "betas[1]", who, high=1.0, high_open=True))

    lr = _real_setting("lr")
    betas = _setting("betas", _checked_betas)
    eps = _real_setting("eps")
    weight_decay = _real_setting("weight_decay")

    def _update(self, x, g, state):
        # `_step`'s arithmetic, operation for operation (so bit for bit the same), in
        # place on the moment arrays and block by block: a (256, 784) float64 step takes
        # 860 us instead of 1,990 (float32: 360 instead of 580). Arrays of other layouts
        # or dtypes take `_step`.
        m, v = state.get("exp_avg"), state.get("exp_avg_sq")
        if m is None and _blockable(x, g):  # the first step: both moments start at 0
            m, v = np.zeros_like(x), np.zeros_like(x)
        if not _blockable(x, g, m, v):
            super()._update(x, g, state)
            return
        beta1, beta2 = self.betas
        t = state["step"] = state.get("step", 0) + 1
        state["exp_avg"], state["exp_avg_sq"] = m, v
        step_size = self.lr / (1 - beta1**t)
        correction = math.sqrt(1 - beta2**t)
        l2 = self.weight_decay if not self._decoupled else 0.0
        decay = self.lr * self.weight_decay if self._decoupled else 0.0
        for x_b, g_b, m_b, v_b in _blocks(x, g, m, v):
            if l2:
                g_b = g_b + l2 * x_b
            m_b *= beta1
            m_b += (1 - beta1) * g_b
            v_b *= beta2
            square = (1 - beta2) * g_b
            square *= g_b
            v_b += square
            denom = np.sqrt(v_b)
            denom /= correction
            denom += self.eps
            step = m_b / denom
            step *= step_size
            if decay:
                shrink = decay * x_b
                shrink += step
                step = shrink
            x_b -= step

    def _step(self, x, g, state):
        beta1, beta2 = self.betas
        decay = 0.0
        if self.weight_decay:
            if self._decoupled:  # AdamW: shrink the weights, apart from the gradient
                decay = self.lr * self.weight_decay * x
            else:
                g = g + self.weight_decay * x
        t = state["step"] = state.get("step", 0) + 1
        m = state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * g * g
        # in torch's order of operations, so the results agree to the last bit or so
        step_size = self.lr / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
        return decay + step_size * (m / denom)

    _state_names = ("step", "exp_avg", "exp_avg_sq")
    _shaped_state = "exp_avg"

    def _settings(self):
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    """Adam with decoupled weight decay (as torch.optim.AdamW).

    The same as `Adam`, except that the decay is not added to the gradient: each step
    first shrinks the weights, x = x - lr * weight_decay * x, then takes Adam's step.

    Args:
        params, lr, betas, eps: as for `Adam`.
        weight_decay: the decoupled decay factor, >= 0 (PyTorch's default 0.01).
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, **pytorch_only) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         **pytorch_only)


# The schedulers, reachable as `nn.optim.lr_scheduler`, as in PyTorch. nn.optim is a
# module, not a package, so `from nn.optim.lr_scheduler import StepLR` finds them only
# because they are registered in sys.modules under that name too (were nn.optim made a
# package, nn/lr_scheduler.py would move into it and this would go). They are imported at
# the end, not with the other imports, because nn/lr_scheduler.py imports Optimizer from
# this module, which must be defined by then.
from . import lr_scheduler  # noqa: E402

sys.modules[f"{__name__}.lr_scheduler"] = lr_scheduler
