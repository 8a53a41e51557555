"""`Module`: the base of every network part. It finds its parameters by itself.

A module's parameters are the leaf Tensors with `requires_grad=True`, and those frozen
since (requires_grad turned off, as for fine-tuning: they stay in `parameters()` and
`state_dict()`, as in PyTorch, and optimizers leave them be), and, for the scalar
networks of `nn.scalar`, the leaf `Value`s, held in its attributes, directly or
inside lists, tuples and dicts, and those of the sub-modules held the same way. Nothing
has to be registered: assigning `self.weight = Tensor(..., requires_grad=True)` or
`self.layers = [Linear(2, 3), Linear(3, 1)]` in `__init__` is enough. The names are
the attribute paths, dotted: `layers.0.weight`.

Only leaf nodes count, so an output cached on the module (`self.last = out`), which is
the result of an op, is never mistaken for a parameter.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np

from autodiff import Tensor, Value
from autodiff.graph import Scope, _grad_mode, check_flag, mark_changed
from autodiff.tensor import device_kind

__all__ = ["Module", "IncompatibleKeys"]

# Arguments of PyTorch's modules that have no counterpart here, named as such when given
# (a user with PyTorch habits otherwise reads "unexpected keyword argument" as a typo).
PYTORCH_ONLY = frozenset({"inplace", "label_smoothing", "weight", "ignore_index",
                          "pos_weight", "size_average", "reduce", "device"})


def unexpected_arguments(who: str, args: tuple, kwargs: dict, takes: str) -> TypeError:
    """The TypeError for arguments a module's constructor does not take, naming the
    module `who`, the arguments and what it does take (`takes`)."""
    return TypeError(f"{who}() got {_given(args, kwargs)}; {who} takes {takes}")


def _where_defined(method) -> str:
    """`Class.method` for a method, of whichever class defines it (a subclass may have
    inherited it), without the enclosing function of a class made in one."""
    return ".".join(method.__qualname__.split(".")[-2:])


def _given(args: tuple, kwargs: dict) -> str:
    """Arguments a constructor does not take, in words."""
    if kwargs:
        name = next(iter(kwargs))
        why = (" (a PyTorch argument, not supported here)" if name in PYTORCH_ONLY
               else "")
        return f"an unexpected keyword argument {name!r}{why}"
    return f"{len(args)} unexpected positional argument{'s' * (len(args) > 1)}"


_CPU_ONLY = "parameters here live on the CPU only (NumPy arrays)"


def _dtype_of(target) -> np.dtype | None:
    """A NumPy dtype for `target` (a NumPy dtype or type, "float32", or a torch dtype
    such as torch.float32), or None when it names none."""
    if target is None:  # (np.dtype(None) is float64)
        return None
    for candidate in (target, str(target).removeprefix("torch.")):
        try:
            return np.dtype(candidate)
        except TypeError:
            continue
    return None


def _tensor_class(x: object) -> type | None:
    """The class named like a tensor among those of `x` (torch.Tensor for a
    torch.nn.Parameter), if `x` is another library's tensor, else None."""
    if type(x) is np.ndarray or isinstance(x, (Tensor, Value)):  # (the common cases,
        return None  # asked on every step's input and labels: no walk of the classes)
    return next((c for c in type(x).__mro__ if c.__name__.endswith("Tensor")), None)


def foreign_tensor(x: object) -> bool:
    """Whether `x` is another library's tensor (a torch.Tensor or Parameter, a
    TensorFlow EagerTensor): a class of it is named like one, but it is not autodiff's."""
    return _tensor_class(x) is not None


def as_array(x, what: str, who: str) -> np.ndarray:
    """`x` (a Tensor's data, an array, a list, another library's tensor NumPy can read)
    as an array; a ragged list or an unreadable foreign tensor is an error that names
    `who` (the module) and `what` (its argument)."""
    try:
        return np.asarray(x.data if isinstance(x, Tensor) else x)
    except ValueError as error:  # a ragged list
        raise ValueError(f"{who}: cannot make an array of the {what}: {error}") from None
    except (TypeError, RuntimeError):
        if foreign_tensor(x):  # (NumPy reads a torch tensor only if it requires no grad)
            raise foreign_tensor_error(x, who, what) from None
        raise


def foreign_tensor_error(x: object, who: str, what: str = "input") -> TypeError:
    """The TypeError for another library's tensor given as `what` to `who`: its full
    type name (`torch.Tensor`, where the bare name would read as autodiff's) and how to
    convert it."""
    base = _tensor_class(x) or type(x)
    name = f"{base.__module__.split('.')[0]}.{base.__name__}"
    if type(x) is not base:
        name += f" ({type(x).__name__})"
    convert = ".detach().numpy()" if hasattr(x, "detach") else ".numpy()"
    return TypeError(f"{who}: the {what} is a {name}, not an autodiff Tensor; convert it "
                     f"to an array with x{convert} (or wrap that in autodiff.Tensor)")


def _is_parameter(x: object) -> bool:
    """A leaf node that takes part in differentiation, or did until it was frozen."""
    if isinstance(x, Tensor):
        return x._op is None and (x.requires_grad or getattr(x, "_frozen", False))
    return isinstance(x, Value) and x._op is None


def _unpack(name: str, value: object) -> Iterator[tuple[str, object]]:
    """(dotted name, item) for each Module or parameter in `value`, containers opened."""
    if isinstance(value, Module) or _is_parameter(value):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _unpack(f"{name}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unpack(f"{name}.{key}", item)


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` returns, as PyTorch's does: the parameter names the
    state lacked and the state's keys that name no parameter (both empty after a
    strict load, which refuses either)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # PyTorch's words
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class Module:
    """Base class of layers, activations, losses and whole networks.

    Subclasses set their parameters and sub-modules as attributes in `__init__` and
    define `forward`; calling the module runs `forward`. Everything else (listing and
    naming parameters, zeroing grads, saving and loading state, train/eval mode, the
    repr) works from the attributes.

    Attributes:
        training: True in training mode (the default), False after `eval()`.

    Example::

        class TwoLayer(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(2, 8, seed=0)
                self.out = nn.Linear(8, 1, seed=1)

            def forward(self, x):
                return self.out(self.hidden(x).tanh())

        [name for name, _ in TwoLayer().named_parameters()]
        # ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training = True  # a class default, so subclasses that skip super().__init__() work

    def __init__(self, *args, **kwargs) -> None:
        # Modules without a constructor of their own (ReLU, Tanh) land here with
        # PyTorch's arguments (ReLU(inplace=True)); Python's error would name Module.
        if args or kwargs:
            cls = type(self)
            if cls.__init__ is not Module.__init__:  # a class of the user's, whose own
                # __init__ passed them on: super().__init__(...) is what to change
                raise TypeError(f"Module.__init__() got {_given(args, kwargs)} from "
                                f"{_where_defined(cls.__init__)}; it takes none: call "
                                "super().__init__() without arguments")
            raise unexpected_arguments(cls.__name__, args, kwargs, "no arguments")
        self.training = True

    def forward(self, *args, **kwargs):
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        """Run `forward`. The nodes it creates remember this call (`node.scope`), so
        `autodiff.draw_graph` can box them by module."""
        # autodiff.graph.push_scope and pop_scope, inlined: a model calls this once per
        # layer on every step. The label is a method, called only if a drawing asks.
        mode = _grad_mode
        outer = mode.scope
        mode.scope = Scope(self._label, self, outer)
        try:
            return self.forward(*args, **kwargs)
        finally:
            mode.scope = outer  # also closes any scope left open inside

    def _label(self) -> str:
        """A short name for drawings and errors: the class name, or more (`Linear(4 ->
        10)`) where subclasses say so."""
        return type(self).__name__

    # -- structure --------------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        # `model.weight = model.weight - lr * grad` (under no_grad) or `= w.detach()`
        # would silently drop the parameter from parameters(): training then stalls
        # with no error. PyTorch refuses it too.
        # An array or a number there would stay in forward as a constant: refused too.
        # None is allowed, as in PyTorch (a Linear without its bias, say).
        if (value is not None and not _is_parameter(value)
                and _is_parameter(self.__dict__.get(name))):
            if isinstance(value, (Tensor, Value)):
                why = ("that is the result of an op" if value._op is not None
                       else "that does not require grad")
            else:
                why = "(a constant)"
            raise TypeError(
                f"{type(self).__name__}: cannot replace the parameter '{name}' by a "
                f"{type(value).__name__} {why}, which would drop it from "
                f"parameters(); update it in place (self.{name}.data -= lr * "
                f"self.{name}.grad, or self.{name}.data[...] = new values) or assign a "
                f"leaf with requires_grad=True")
        if isinstance(value, (set, frozenset)) and any(
                isinstance(item, Module) or _is_parameter(item) for item in value):
            # parameters() does not open a set (which has no order to name its members
            # by), so they would be silently left out of training and saving
            raise TypeError(
                f"{type(self).__name__}: the {type(value).__name__} assigned to '{name}' "
                "holds modules or parameters, which parameters() would not find in a "
                "set; keep them in a list, tuple or dict (or an nn.Sequential)")
        object.__setattr__(self, name, value)

    def _named_members(self) -> Iterator[tuple[str, object]]:
        """The direct members: (name, Module or parameter), in attribute order.

        Containers such as `Sequential` override this to name their members themselves.
        """
        for name, value in vars(self).items():
            if name != "training":
                yield from _unpack(name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, with their names (`layers.0` for one in a list)."""
        for name, member in self._named_members():
            if isinstance(member, Module):
                yield name, member

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`) and every module inside it, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, object]]:
        """Every parameter, once, with its dotted name (`layers.0.weight`), each name
        after `prefix` and a dot when a prefix is given.

        A parameter shared by two modules is listed once, under its first name. Each
        module's own parameters come before those of its sub-modules (as in PyTorch),
        each group in attribute order.
        """
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, member in module._named_members():
                if isinstance(member, Module) or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def parameters(self) -> list:
        """The parameters (Tensors with requires_grad, frozen ones included, or Values),
        each once."""
        return [p for _, p in self.named_parameters()]

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or thaw (True) every parameter's Tensor; returns self (PyTorch's).

        Frozen parameters get no gradient, and optimizers leave them as they are, but
        they stay parameters: in `parameters()`, `state_dict()` and saved files.
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.requires_grad_: expected a bool, got "
                            f"{type(requires_grad).__name__}")
        params = self.parameters()
        if any(isinstance(p, Value) for p in params):
            raise TypeError(f"{type(self).__name__}.requires_grad_: its parameters are "
                            "Values, which always take part in differentiation and cannot "
                            "be frozen (leave them out of the optimizer instead)")
        for p in params:
            p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter before the next backward().

        A Tensor's `.grad` becomes None (or zeros with `set_to_none=False`), as in
        PyTorch; a Value's `.grad` becomes 0.0.
        """
        clear_grads(self.parameters(), set_to_none)

    # -- modes ------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (`mode=False`: evaluation) here and in every sub-module.

        Returns:
            self, so `model.train()` can be chained.
        """
        if isinstance(mode, np.bool_):
            mode = bool(mode)
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train(mode): mode must be a bool, got "
                            f"{type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode here and in every sub-module (same as `train(False)`)."""
        return self.train(False)

    # -- devices (PyTorch's names: there is only the CPU) ----------------------------

    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False,
           memory_format=None) -> Module:
        """Self, for PyTorch's `model.to("cpu")`, `to(torch.device("cpu"))`,
        `to(device=...)` and `to(dtype)` of the dtype the parameters have already:
        every tensor is on the CPU. A GPU (its name or index) raises ValueError; another
        dtype, TypeError (make the model with `dtype=`, as `nn.Linear(..., dtype=
        np.float32)`). non_blocking, copy and memory_format change nothing here."""
        who = f"{type(self).__name__}.to"
        for target in (*args, *(t for t in (device, dtype) if t is not None)):
            kind = device_kind(target)
            if kind == "cpu":
                continue
            if kind is not None:
                raise ValueError(f"{who}({target!r}): {_CPU_ONLY}")
            wanted = _dtype_of(target)
            if wanted is None:
                raise TypeError(f"{who}({target!r}): expected 'cpu' or a dtype")
            dtypes = {p.dtype for p in self.parameters() if isinstance(p, Tensor)}
            if dtypes and dtypes != {wanted}:
                raise TypeError(f"{who}({target!r}): the parameters are "
                                f"{', '.join(sorted(map(str, dtypes)))}, and a model does not "
                                "change dtype here: make it with dtype= (its layers take it)")
        return self

    def double(self) -> Module:
        """Self if the parameters are float64 (PyTorch's `model.double()`); see `to`."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Self if the parameters are float32 (PyTorch's `model.float()`); see `to`."""
        return self.to(np.float32)

    def cpu(self) -> Module:
        """Self: every parameter is on the CPU (PyTorch's `model.cpu()`)."""
        return self

    def cuda(self, device=None) -> Module:
        """Refused: there is no GPU here (PyTorch's `model.cuda()`)."""
        raise ValueError(f"{type(self).__name__}.cuda(): {_CPU_ONLY}; leave the call out, "
                         "or use .to('cpu')")

    # -- state ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters' arrays, keyed as in `named_parameters()`.

        A Value's entry is a 0-d float64 array. The copies do not change when the
        module trains on.
        """
        return {name: np.array(p.data, copy=True) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping, strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of `state` into the parameters, after checking all of them.

        Every key, shape and dtype, and that each parameter's array can be written, is
        checked before anything is written, so on any mismatch the module is left
        exactly as it was.

        Args:
            state: a mapping from parameter names (as in `named_parameters()`) to arrays
                (or Tensors, or numbers for 0-d parameters).
            strict: with False, missing and unexpected keys are ignored (shapes and
                dtypes of the keys present are still checked), and returned.

        Returns:
            A named tuple `(missing_keys, unexpected_keys)`, two lists, as PyTorch's:
            the parameters `state` had no entry for (left as they were), and the keys
            of `state` that name no parameter (not loaded). Both are empty after a
            strict load. Its repr is `<All keys matched successfully>` when nothing
            was missing or unexpected.

        Raises:
            TypeError: `state` is not a mapping, or `strict` is not True or False.
            ValueError: keys are missing or unexpected, a value has the wrong shape or a
                dtype that cannot be cast to the parameter's (complex, str, object...),
                or a parameter's .data cannot be written in place (a read-only
                array). The message names every offending key.
        """
        who = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}.load_state_dict: expected a dict of arrays, got "
                            f"{type(state).__name__}")
        strict = check_flag(strict, f"{who}.load_state_dict", "strict")
        params = dict(self.named_parameters())
        problems = []
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if strict:
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
        arrays = {}
        for key, param in params.items():
            if key not in state:
                continue
            value = state[key]
            if foreign_tensor(value) and callable(getattr(value, "detach", None)):
                # a torch model's named_parameters(): NumPy cannot read a tensor that
                # requires grad, and the values are all that is wanted
                value = value.detach()
            try:
                array = np.asarray(value.data if isinstance(value, (Tensor, Value))
                                   else value)
            except ValueError:  # a ragged list, say
                problems.append(f"'{key}' is not an array (ragged nested lists?)")
                continue
            except (TypeError, RuntimeError) as error:  # a tensor on a GPU, say
                problems.append(f"'{key}' is a {type(value).__name__} that NumPy cannot "
                                f"read ({error}); give it as a NumPy array (for a torch "
                                "tensor: .detach().cpu().numpy())")
                continue
            data = param.data  # (written in place: it must be a writable array)
            if isinstance(param, Tensor) and not (isinstance(data, np.ndarray)
                                                  and data.flags.writeable):
                what = ("a read-only array (a memmap opened read-only, or a broadcast "
                        "view?)" if isinstance(data, np.ndarray)
                        else f"a {type(data).__name__}, not an array")
                problems.append(f"'{key}': the parameter's .data is {what}, which cannot "
                                "be written in place; give it a writable one first "
                                "(p.data = np.array(p.data))")
                continue
            shape = np.shape(data)
            target = np.dtype(np.float64) if isinstance(param, Value) else data.dtype
            if array.shape != shape:
                problems.append(f"'{key}' has shape {array.shape} but the parameter has "
                                f"shape {shape}")
            elif array.dtype.kind not in "biuf" or not np.can_cast(
                array.dtype, target, casting="same_kind"
            ):
                problems.append(f"'{key}' has dtype {array.dtype}, which cannot be cast to "
                                f"the parameter's {target}")
            else:
                arrays[key] = array
        if problems:
            raise ValueError(f"{who}.load_state_dict: nothing was loaded: "
                             + "; ".join(problems))
        for key, array in arrays.items():
            param = params[key]
            if isinstance(param, Value):
                param.data = float(array)
            else:
                param.data[...] = array
                mark_changed(param)
        return IncompatibleKeys(missing, unexpected)

    # -- repr -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The module's own settings, shown inside its repr; subclasses override it."""
        return ""

    def _repr_members(self) -> list[tuple[str, object]]:
        """The attributes the repr looks through for sub-modules."""
        return [(name, value) for name, value in vars(self).items() if name != "training"]

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, value in self._repr_members():
            text = _member_repr(value)
            if text is not None:
                lines.append(f"({name}): {text}")
        return _block(f"{type(self).__name__}(", lines, ")")


def clear_grads(params, set_to_none: bool = True) -> None:
    """Reset each parameter's `.grad`: None for Tensors (zeros with `set_to_none=False`),
    0.0 for Values."""
    set_to_none = check_flag(set_to_none, "zero_grad", "set_to_none")
    for p in params:
        if isinstance(p, Value):
            p.grad = 0.0
        elif set_to_none or p.grad is None:
            p.grad = None
        else:
            p.grad = np.zeros_like(p.data)


def positive_int(value: object, name: str, who: str) -> int:
    """`value` as an int >= 1; TypeError or ValueError naming `who` and `name` if not."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {name} must be an int, got {type(value).__name__}: "
                        f"{value!r}")
    if value < 1:
        raise ValueError(f"{who}: {name} must be >= 1, got {value}")
    return int(value)


def _member_repr(value: object) -> str | None:
    """The repr of an attribute if it is or holds modules, else None."""
    if isinstance(value, Module):
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        lines = []
        for key, item in items:
            text = _member_repr(item)
            if text is not None:
                lines.append(f"({key}): {text}")
        if lines:
            opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
            return _block(opening, lines, closing)
    return None


def _block(opening: str, lines: list[str], closing: str) -> str:
    """`opening` + one line, or the lines indented by two spaces under it."""
    if not lines:
        return opening + closing
    if len(lines) == 1 and "\n" not in lines[0] and not lines[0].startswith("("):
        return opening + lines[0] + closing
    body = "\n".join("  " + line.replace("\n", "\n  ") for line in lines)
    return f"{opening}\n{body}\n{closing}"
