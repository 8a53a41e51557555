"""`Tensor`: an n-dimensional node over a NumPy array, on the same graph core as Value."""

from __future__ import annotations

import decimal
import functools
import inspect
import math
import numbers
import operator
import reprlib
import warnings

import numpy as np

from . import backends, ops
from .backends import ARRAY, GRAPH
from .graph import Elsewhere, Node, _changes, _grad_mode, check_flag, mark_changed
from .graph import backward as _backward

__all__ = ["Tensor", "concatenate", "stack", "where", "linear", "nll_loss", "cross_entropy",
           "sum_to"]


def _constant(x, op):
    """An operand that is not a Tensor, as ops see it: numbers stay Python numbers
    (so float32 stays float32, NumPy 2's rule), everything else becomes an array."""
    if type(x) is float or type(x) is int:  # most constants (y * 2.0): checked first
        return x
    given = x
    if isinstance(x, Node):
        raise TypeError(f"{op.name}: cannot combine a Tensor with a {type(x).__name__}")
    if isinstance(x, (np.ndarray, np.generic, bool)):
        pass
    elif isinstance(x, numbers.Number):  # (the ABC after the common kinds: slowest)
        # a Fraction, a Decimal: NumPy would make an object tensor of it
        if isinstance(x, complex):
            return x
        if not isinstance(x, numbers.Real):
            raise TypeError(f"{op.name}: cannot combine a Tensor with a "
                            f"{type(x).__name__}: convert it to a float first")
        return int(x) if isinstance(x, numbers.Integral) else float(x)
    else:
        if (isinstance(x, (list, tuple)) and _grad_mode.enabled
                and _holds_tensor_requiring_grad(x)):
            raise TypeError(f"{op.name}: a {type(x).__name__} holding a Tensor that "
                            "requires grad: NumPy would copy its numbers out of the graph, "
                            "and no gradient would reach it; join the tensors in the graph "
                            "with autodiff.stack([...]) first")
        try:
            x = np.asarray(x)
        except ValueError as error:  # a ragged list: NumPy's message names no op
            raise ValueError(f"{op.name}: cannot make an array of the "
                             f"{type(given).__name__} operand: {error}") from None
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "OUSV":
        # None, a str, an object: NumPy would fail later, or make an object tensor
        what = type(given).__name__
        if isinstance(given, (np.ndarray, np.generic)):
            what += f" of dtype {given.dtype}"
        raise TypeError(f"{op.name}: cannot combine a Tensor with a {what}")
    return x


def _warn_copied_out(what: str) -> None:
    # PyTorch's torch.tensor(t) warns alike: inside grad(f), Tensor(x) of f's argument
    # gave a gradient of zeros, with nothing said
    warnings.warn(f"{what} is a new leaf, out of the graph: no gradient reaches the "
                  "tensor through it. Use the tensor itself (autodiff.stack([...]) for a "
                  "list) to stay in the graph, or .detach() to take its numbers",
                  UserWarning, stacklevel=3)


def _holds_tensor_requiring_grad(items) -> bool:
    """Whether a list or tuple (nested) holds a Tensor that requires grad, whose numbers
    NumPy would copy out (through __array__) where the graph cannot follow. (Asked in
    grad mode only: under no_grad() no gradient is lost.)"""
    for item in items:
        if isinstance(item, Tensor):
            if item._requires_grad:
                return True
        elif isinstance(item, (list, tuple)) and _holds_tensor_requiring_grad(item):
            return True
    return False


def _check_unchanged(order: list) -> None:
    """RuntimeError if a tensor whose values an op of `order` (a sorted graph) reads in
    its backward (an input, `Op.reads_inputs`, or the op's own result, `reads_output`)
    was changed in place after the op ran: the op's backward would compute with the
    new data."""
    # A tensor carries the clock's value when it was made (`_made`) and when it was last
    # changed (`_version`). If no op was made before the last change, nothing can have
    # changed under any of them: one pass over the ops, on every backward. Otherwise
    # each op is compared with its inputs and with its own result.
    now = _changes[0]
    for node in order:
        if node._made != now and node._op is not None:
            break
    else:
        return
    for node in reversed(order):  # nearest the root first, where backward would fail
        op = node._op
        if op is None:
            continue
        made, reads, parents = node._made, op.reads_inputs, node._parents
        where = f" (in {node._scope!r})" if node._scope is not None else ""
        for i, parent in enumerate(parents):
            if (isinstance(parent, Tensor) and _changed_since(parent, made)
                    and (reads is None or i in reads)  # (an input backward reads)
                    and _read_for_a_gradient(op, i, parents)):
                name = f" '{parent.label}'" if parent.label else ""
                raise RuntimeError(
                    f"backward: a tensor{name} of shape {parent.shape} that op '{op.name}'"
                    f"{where} uses was {_CHANGED}")
        if _changed_since(node, made) and _reads_output(node):
            raise RuntimeError(f"backward: the result of op '{op.name}'{where} (shape "
                               f"{node.shape}), which its backward reads, was {_CHANGED}")


def _read_for_a_gradient(op, i: int, parents: tuple) -> bool:
    """Whether backward reads input `i`'s value for a gradient it computes: not where
    `Op.reads_only_for` lists the inputs it is read for and none of them needs one."""
    only_for = op.reads_only_for
    if only_for is None or i not in only_for:
        return True
    return any(j < len(parents) and isinstance(parents[j], Node) and parents[j].requires_grad
               for j in only_for[i])


class _Memory:
    """The memory a tensor shares with its views, and the clock's value when any of them
    last changed it in place: PyTorch's version counter, which views share. It keeps
    the array, not the tensors, so that a view (`loss.detach()`, kept in a history of
    losses) does not keep the graph of the tensor it views alive."""

    __slots__ = ("array", "changed")

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.changed = -1  # never, yet

    def stamp(self, data: np.ndarray, now: int) -> None:
        """Record a change made `now` through a tensor whose data is `data`, if that
        still lies in this memory (not after `.data = ...` gave it its own)."""
        if np.may_share_memory(data, self.array):
            self.changed = now


def _memory_of(tensor: Tensor) -> _Memory:
    """The memory `tensor` shares with its views (made now if it had none): a view of a
    view shares the first one's, so one stamp there covers them all."""
    memory = tensor._memory
    if memory is None or not _still_shares(tensor, memory):  # (a new record after
        memory = tensor._memory = _Memory(tensor.data)  # `.data = ...` gave new memory)
    return memory


def _views(array: np.ndarray, other: np.ndarray) -> bool:
    """Whether `array` is `other` or a view into its memory (a fancy index's result,
    new memory, is told apart without NumPy's overlap test)."""
    return array is other or (array.base is not None and np.may_share_memory(array, other))


def _changed_since(tensor: Tensor, made: int) -> bool:
    """Whether `tensor`'s data changed in place after the clock read `made`: through
    `tensor` itself, or through any tensor that shares its memory."""
    memory = tensor._memory
    return tensor._version > made or (memory is not None and memory.changed > made
                                      and _still_shares(tensor, memory))


def _still_shares(tensor: Tensor, memory: _Memory) -> bool:
    """Whether `tensor`'s data still lies in `memory`: it may have been given new data
    since the view was made (`.data = ...`, a copy on requires_grad_())."""
    return np.may_share_memory(tensor.data, memory.array)


def _mark_changed_in_place(tensor: Tensor) -> None:
    """Stamp `tensor` as changed in place (and with it the memory it shares with its
    views), and the inputs of the slices and reshapes it came from, whose data changed
    too."""
    mark_changed(tensor)
    now, stack = tensor._version, [tensor]
    while stack:  # (a leaf has no parents: for a parameter, the walk ends at once)
        node = stack.pop()
        for parent in node._parents:
            if (isinstance(parent, Tensor) and parent._version != now
                    and np.may_share_memory(parent.data, node.data)):
                parent._version = now
                stack.append(parent)


_CHANGED = ("changed in place after the op ran (e.g. under no_grad() or through a view of "
            "it, by an optimizer's step, load_state_dict, an nn.init function or item "
            "assignment), so its gradient would be wrong. Change it after backward(), or "
            "compute the loss again")


def _reads_output(node: Tensor) -> bool:
    """Whether the backward of `node`'s op reads `node`'s data."""
    op = node._op
    if not op.is_function:
        return op.reads_output
    # a Function's backward reads what its forward saved: the output itself, or a view
    saved = getattr(node._ctx, "_saved", ())
    return any(isinstance(a, np.ndarray) and np.may_share_memory(a, node.data)
               for a in saved)


def _function_argument(x, op):
    """A non-Tensor argument of a Function as its forward gets it: a list as an array,
    anything else (a number, None, a tuple of axes...) as it is."""
    if not isinstance(x, list):
        return x
    try:
        return np.asarray(x)
    except ValueError as error:
        raise ValueError(f"{op.name}: cannot make an array of a list argument: "
                         f"{error}") from None


def _compared(symbol: str, compare, a, b):
    """`compare(a, b)` (the arrays of an ordering comparison), its errors naming it."""
    try:
        return compare(a, b)
    except ValueError as error:
        raise ValueError(f"{symbol}: cannot compare shapes {np.shape(a)} and "
                         f"{np.shape(b)}: {error}") from None
    except TypeError:
        raise TypeError(f"{symbol}: cannot compare a Tensor with a "
                        f"{type(b).__name__}") from None


def _shapes(data: list) -> str:
    return " and ".join(str(np.shape(d)) for d in data)


class _LastAxisDefault(int):
    """-1, the default axis of softmax and its kin, told apart from a -1 the caller
    gives, so that softmax(-1, dim=0) is refused rather than taken as dim=0."""

    def __repr__(self) -> str:
        return "-1"


_LAST_AXIS = _LastAxisDefault(-1)


class _FirstAxisDefault(int):
    """0, the default axis of concatenate and stack, told apart from a 0 the caller
    gives, so that concatenate(ts, 0, dim=1) is refused rather than taken as dim=1."""

    def __repr__(self) -> str:
        return "0"


_FIRST_AXIS = _FirstAxisDefault(0)


class Tensor(Node):
    """An array that remembers how it was computed, so its gradients can be.

    Args:
        data: anything `numpy.asarray` accepts. Python numbers and lists of them
            become float64; NumPy arrays keep their dtype (int labels stay int).
        requires_grad: whether backward() should compute a gradient for it. Such a
            tensor gets a copy of an array it is given; a constant shares it (as
            torch.as_tensor), so an in-place operator on it writes into the array.
        dtype: convert the data to this dtype.
        label: a name shown in reprs and drawings.

    Raises:
        TypeError: `requires_grad=True` on data that is not floating point.
    """

    # (`_frozen`, set only once a leaf's requires_grad is turned off, is read with a
    # default: a parameter frozen for fine-tuning, which nn still counts as one)
    __slots__ = ("_requires_grad", "_version", "_made", "_memory", "_frozen")
    _math = ARRAY
    _graph_math = GRAPH
    _check_before_backward = staticmethod(_check_unchanged)

    def __init__(self, data, requires_grad: bool = False, dtype=None, label: str = "") -> None:
        requires_grad = check_flag(requires_grad, "Tensor", "requires_grad")
        source = None
        if isinstance(data, Tensor):
            source, data = data, data.data
            if source._requires_grad and _grad_mode.enabled:
                _warn_copied_out("Tensor(t) of a tensor t that requires grad")
        elif (isinstance(data, (list, tuple)) and _grad_mode.enabled
              and _holds_tensor_requiring_grad(data)):  # (as for Tensor(t))
            _warn_copied_out("Tensor([...]) of a list holding a tensor that requires grad")
        elif isinstance(data, Node):
            raise TypeError(f"Tensor: cannot make a Tensor of a {type(data).__name__} "
                            f"(use its number: Tensor({type(data).__name__.lower()}.data))")
        from_python = not isinstance(data, (np.ndarray, np.generic))
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError:
                raise TypeError(f"Tensor: dtype {dtype!r} is not a NumPy dtype (np.float64, "
                                "np.float32, 'float32', ...)") from None
        try:
            # Python data is read as NumPy reads it, then checked to be numbers (with a
            # dtype too: NumPy would read None as nan and parse text)
            array = np.asarray(data, dtype=None if from_python else dtype)
        except ValueError as error:  # a ragged list, or text for a number dtype
            raise ValueError(f"Tensor: cannot make an array of the data: {error}") from None
        if from_python:
            if dtype is None and array.dtype.kind in "biuOUSV":
                array = _python_numbers(data, array)
            elif dtype is not None:
                if array.dtype.kind in "OUSV":  # (ints past int64's range, or not numbers)
                    _python_numbers(data, array)  # (raises for what is not numbers)
                    array = np.asarray(data, dtype=dtype)
                else:
                    array = array.astype(dtype, copy=False)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor(requires_grad=True) needs floating-point data, got dtype "
                f"{array.dtype}; convert it first, e.g. Tensor(x, dtype=np.float64, "
                "requires_grad=True)"
            )
        if not isinstance(label, str):
            raise TypeError(f"Tensor(label) must be a str, got {type(label).__name__}")
        if requires_grad and not from_python and np.may_share_memory(array, data):
            # A leaf that requires grad is a parameter that optimizers update in place:
            # it owns its memory, as torch.tensor's does, so that training it never
            # writes into the caller's array (or into another model made from it).
            array = array.copy()
        self.data = array
        self.grad = None
        self.label = label
        self._requires_grad = requires_grad
        self._op = None
        self._parents = ()
        self._ctx = None
        self._pending = None
        self._scope = _grad_mode.scope
        self._version = self._made = _changes[0]
        # Tensor(t) without a copy shares t's memory: a view of t, for the in-place check
        self._memory = _memory_of(source) if source is not None and array is data else None

    # -- recording ----------------------------------------------------------------------

    def _record(self, op, inputs, params, ctx=None):
        """Run `op` forward on the inputs' data and, if any input requires grad (and grad
        mode is on), record the result as a node. `ctx` is a Function's context."""
        data = []
        requires_grad = converted = False
        for x in inputs:
            if isinstance(x, Tensor):
                array = x.data
                if type(array) is not np.ndarray:  # .data assigned by hand
                    _refuse_assigned_data(x, op)
                data.append(array)
                requires_grad = requires_grad or x._requires_grad
            elif ctx is None:
                constant = _constant(x, op)
                data.append(constant)
                converted = converted or constant is not x
            else:
                data.append(_function_argument(x, op))
        try:
            if ctx is None:
                result = op.forward(ARRAY, *data, **params)
            else:
                ctx.needs_input_grad = tuple(
                    isinstance(x, Tensor) and x.requires_grad for x in inputs
                )
                ctx._input_shapes = tuple(np.shape(d) for d in data)
                result = op.forward(ctx, *data)
                if not (isinstance(result, (np.ndarray, np.generic, numbers.Number))
                        or (type(result) is list
                            and not any(isinstance(r, np.ndarray) for r in result))):
                    # (a list of numbers is one array; a list of arrays, several
                    # outputs, was stacked into one, and a dict made an object array)
                    what = ("None" if result is None else "a list of arrays"
                            if type(result) is list else f"a {type(result).__name__}")
                    raise TypeError(f"{op.name}.forward returned {what}: a Function has "
                                    "one output, an array (write one Function per output)")
                if np.asarray(result).dtype.kind not in "fc":
                    # an index or a count (argmax, say): not differentiable, as in
                    # PyTorch, so no gradient is asked of backward for it
                    requires_grad = False
        except ops.ShapeError:
            raise
        except (ValueError, IndexError, OverflowError) as error:
            # (OverflowError: a Python int out of an int tensor's range, int8 + 1000)
            if str(error).startswith(f"{op.name}: "):  # already named (ours)
                raise
            raise type(error)(f"{op.name}: on shapes {_shapes(data)}: {error}") from None
        except TypeError as error:  # NumPy's (a str parameter, say) or a Function's
            if str(error).startswith(op.name):  # already named (ours)
                raise
            raise TypeError(f"{op.name}: {error}") from None
        out = Tensor.__new__(Tensor)
        out.data = result if type(result) is np.ndarray else np.asarray(result)
        out.grad = None
        out.label = ""
        out._pending = None
        out._scope = _grad_mode.scope
        out._version = out._made = _changes[0]
        out._memory = None
        if op.makes_view:
            first = inputs[0]
            if isinstance(first, Tensor) and _views(out.data, first.data):
                out._memory = _memory_of(first)
        elif ctx is not None:  # a user's Function may return a view of any input
            for x in inputs:
                if isinstance(x, Tensor) and _views(out.data, x.data):
                    out._memory = _memory_of(x)
                    break
        if requires_grad and _grad_mode.enabled:
            kind = out.data.dtype.kind
            if kind in "biu":
                # from an input that requires grad yet holds integers: its .data was
                # assigned by hand (Tensor(...) refuses such a tensor), and its gradient
                # would be integers
                raise TypeError(f"{op.name}: an integer result ({out.data.dtype}) on "
                                f"shapes {_shapes(data)} from an input that requires "
                                "grad: was its .data set to an integer array? give it "
                                "floats, e.g. x.data = x.data.astype(float)")
            if kind == "c":
                # backward would cast complex gradients to real, dropping their imaginary
                # parts: wrong numbers, with only a warning
                raise TypeError(f"{op.name}: a complex result on shapes {_shapes(data)} "
                                "from an input that requires grad: autodiff "
                                "differentiates real numbers only (a complex operand: "
                                f"{_complex_operand(inputs, data)})")
            out._requires_grad = True
            out._op = op
            # (a constant as the rules saw it: a list operand as its array, for backward)
            out._parents = inputs if not converted else tuple(
                x if isinstance(x, Tensor) else d for x, d in zip(inputs, data, strict=True))
            out._ctx = ctx if ctx is not None else (params or None)
        else:
            out._requires_grad = False
            out._op = None
            out._parents = ()
            out._ctx = None
        if _grad_mode.tracer is not None:
            _grad_mode.tracer.on_create(out, op)
        return out

    # -- attributes -----------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether backward computes a gradient for this tensor. It may be set on a
        leaf of float data (as `requires_grad_()` does); a tensor an op made requires
        grad when an input does. A leaf that required grad and is set to False is a
        frozen parameter: `nn` modules still count it as theirs (in `parameters()` and
        `state_dict()`), and optimizers leave it as it is until it requires grad again.
        Backward reads the flag when it runs: a parameter thawed between the forward
        pass and backward() gets a gradient from that pass (PyTorch's decides at the
        forward pass), so thaw before the forward pass."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):  # ("no" would be true)
            raise TypeError(f"requires_grad: expected a bool, got {type(value).__name__} "
                            f"{value!r}")
        value = bool(value)
        if value and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: needs floating-point data, got dtype "
                            f"{self.data.dtype}; convert it first, e.g. "
                            "x.astype(np.float64)")
        if not value and self._op is not None:
            raise RuntimeError("requires_grad = False: only a leaf's flag can change (use "
                               "detach() for a tensor out of the graph)")
        if value and not self._requires_grad and not getattr(self, "_frozen", False):
            # now a parameter, which optimizers update in place: memory of its own, as
            # Tensor(data, requires_grad=True) gets (the data may be the caller's array)
            self.data = self.data.copy()
            self._memory = None  # (memory of its own: no longer a view)
        if value != self._requires_grad and self._op is None:
            self._frozen = not value  # (a parameter frozen, or thawed)
        self._requires_grad = value

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the data, a tuple of ints."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements (NumPy's meaning); `x.size(0)` also works, giving
        PyTorch's meaning: the length of axis 0 (`x.size()`: the shape)."""
        return _Size(self.data.size, self.data.shape)

    def numel(self) -> int:
        """The number of elements (PyTorch's name for `size`)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes (PyTorch's name for `ndim`)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the data (float64 unless made otherwise)."""
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self):
        """The tensors `self[0]`, `self[1]`, ... along the first axis (recorded as ops)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    # A one-element tensor converts to a Python number, as in PyTorch (no gradient
    # flows through the number: it is a constant from then on).
    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}" formats the number of a one-element tensor, as in PyTorch.
        if spec and self.data.size == 1:
            return format(self.data.item(), spec)
        return super().__format__(spec)

    def __array__(self, dtype=None, copy=None):
        # NumPy 2's protocol: copy=True always copies, copy=False never does (and must
        # raise where a dtype change needs one), None copies only for a new dtype
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        if dtype is None or np.dtype(dtype) == self.data.dtype:
            return self.data
        if copy is False:
            raise ValueError(f"a Tensor of dtype {self.data.dtype} cannot become an array "
                             f"of dtype {np.dtype(dtype)} without a copy (copy=False)")
        return self.data.astype(dtype)

    def __array_function__(self, func, types, args, kwargs):
        # NumPy functions given a Tensor. Those with a Tensor op run it, so they stay in
        # the graph (np.concatenate([a, b]) is autodiff.concatenate); the rest run on
        # the arrays, and their result is plain. A plain result of floats made from a
        # tensor that requires grad is refused: no gradient could pass through it, and
        # the tensor would silently get none (PyTorch refuses such calls too).
        as_op = _NUMPY_AS_OPS.get(func)
        if as_op is not None:
            op, first = as_op
            if not args and first in kwargs:  # np.sum(a=t)
                kwargs = dict(kwargs)
                args = (kwargs.pop(first),)
            result = op(*args, **kwargs) if args and _binds(op, args, kwargs) else _NOT_AN_OP
            if result is not _NOT_AN_OP:
                return result
        needs_grad = _grad_mode.enabled and _requires_grad_in((args, kwargs))
        name = f"{func.__module__}.{func.__name__}".replace("numpy.", "np.", 1)
        no_op = (f"{name} with these arguments has no Tensor op, so of a Tensor that "
                 "requires grad it would give a plain array, which no gradient can pass "
                 f"through: {_NO_GRADIENT_HINT}")
        if needs_grad and kwargs.get("out") is not None:
            raise TypeError(no_op)  # before NumPy writes into out
        result = func(*_unwrapped(args), **_unwrapped(kwargs))  # NumPy's, on the arrays
        if needs_grad and _holds_plain_floats(result):
            raise TypeError(no_op if as_op is not None else
                            f"{name} of a Tensor that requires grad gives a plain array, "
                            "which no gradient can pass through (the tensor would get "
                            f"none): {_NO_GRADIENT_HINT}")
        return result

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy's ufuncs given a Tensor: `ndarray + Tensor`, `np.float64 * Tensor` and
        # `np.exp(t)` among them. Those a Tensor op computes run it, so the result stays
        # in the graph; the rest run on the arrays, as __array_function__'s do.
        operator = _UFUNC_OPS.get(ufunc) if method == "__call__" and not kwargs else None
        if operator is not None:
            return operator(*inputs)
        # (out= included: `array += t` writes into the array, as NumPy's own, which
        # no gradient can pass through; `array = array + t` stays in the graph)
        out = kwargs.get("out")
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        if out is not None and any(isinstance(o, Tensor) for o in out):
            # (NumPy would write into its .data, unseen by the check of in-place changes
            # that keeps a graph which saved it from a wrong gradient)
            raise TypeError(f"{name} with out= a Tensor: write into t.data[...] under "
                            "no_grad, or take the op's result as a new tensor")
        needs_grad = _grad_mode.enabled and _requires_grad_in((inputs, kwargs))
        refusal = (f"{name} of a Tensor that requires grad gives a plain array, which no "
                   f"gradient can pass through (the tensor would get none): "
                   f"{_NO_GRADIENT_HINT}")
        if needs_grad and out is not None:  # (raised before NumPy writes into out)
            raise TypeError(f"{name} into an array (out=, or `array += t`) of a Tensor "
                            "that requires grad: no gradient can pass through the array; "
                            "write array = array + t, a Tensor in the graph")
        result = getattr(ufunc, method)(*_unwrapped(inputs), **_unwrapped(kwargs))
        if needs_grad and _holds_plain_floats(result):
            raise TypeError(refusal)
        return result

    # -- arithmetic: NumPy broadcasting, a Tensor, array or number on either side ---------

    def __add__(self, other):  # self + other
        return ops.Add.apply(self, other)

    def __radd__(self, other):  # other + self
        return ops.Add.apply(other, self)

    def __sub__(self, other):  # self - other
        return ops.Sub.apply(self, other)

    def __rsub__(self, other):  # other - self
        return ops.Sub.apply(other, self)

    def __mul__(self, other):  # self * other
        return ops.Mul.apply(self, other)

    def __rmul__(self, other):  # other * self
        return ops.Mul.apply(other, self)

    def __truediv__(self, other):  # self / other
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other):  # other / self
        return ops.Div.apply(other, self)

    def __pow__(self, other):  # self ** other
        return ops.Pow.apply(self, other)

    def __rpow__(self, other):  # other ** self
        return ops.Pow.apply(other, self)

    def __mod__(self, other):  # self % other
        return ops.Remainder.apply(self, other)

    def __rmod__(self, other):  # other % self
        return ops.Remainder.apply(other, self)

    def __floordiv__(self, other):  # self // other
        return ops.FloorDivide.apply(self, other)

    def __rfloordiv__(self, other):  # other // self
        return ops.FloorDivide.apply(other, self)

    def __matmul__(self, other):  # self @ other
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):  # other @ self
        return ops.MatMul.apply(other, self)

    def __neg__(self):  # -self
        return ops.Neg.apply(self)

    def __abs__(self):  # |self|
        return ops.Abs.apply(self)

    def __pos__(self):
        return self

    # -- in place: x += y, x -= y, x *= y, x /= y, x **= y -------------------------------
    #
    # Without them Python would rebind the name to a new tensor, and the manual update
    # `with no_grad(): for p in params: p -= lr * p.grad` would silently change nothing.
    # Under no_grad(), and for a tensor outside the graph (neither it nor the operand
    # requires grad), the data changes in place, as NumPy's and PyTorch's do: an alias
    # sees it, and `for t in ts: t += 1` changes them. The change is stamped
    # (mark_changed), so that a graph that saved the old data refuses to backward
    # through the new. Under grad mode a leaf that requires grad refuses (its gradient
    # would describe other data), as in PyTorch, and a node of a graph, or a constant
    # given an operand that requires grad, gives a new node (a graph may have saved its
    # data, and a node's op cannot change).

    def __iadd__(self, other):
        return self._in_place(other, ops.Add, np.add, "+=")

    def __isub__(self, other):
        return self._in_place(other, ops.Sub, np.subtract, "-=")

    def __imul__(self, other):
        return self._in_place(other, ops.Mul, np.multiply, "*=")

    def __itruediv__(self, other):
        return self._in_place(other, ops.Div, np.true_divide, "/=")

    def __ipow__(self, other):
        return self._in_place(other, ops.Pow, np.power, "**=")

    def _in_place(self, other, op, ufunc, symbol: str) -> Tensor:
        if _grad_mode.enabled and (self._requires_grad or _requires_grad_in(other)):
            if self._requires_grad and self._op is None:
                raise RuntimeError(
                    f"{symbol} on a leaf tensor that requires grad: its gradient would "
                    "describe other data. Update a parameter under autodiff.no_grad() "
                    f"(with no_grad(): w {symbol} ...), or through w.data")
            # a new tensor, so that recorded data stays as it was, but with self's shape
            # and dtype, as the change in place would have
            result = op.apply(self, other)
            if result.shape != self.shape:
                raise ValueError(f"{symbol}: cannot update shape {self.shape} with shape "
                                 f"{np.shape(_data(other))}: the result has shape "
                                 f"{result.shape}")
            if result.dtype != self.dtype:
                if self.dtype.kind != "f" and result.dtype.kind == "f":
                    raise TypeError(f"{symbol}: the result is {result.dtype}, which "
                                    f"cannot be stored in this {self.dtype} tensor")
                result = result.astype(self.dtype)
            return result
        if not self.data.flags.writeable:
            raise ValueError(f"{symbol}: this tensor's data is read-only (a broadcast view, "
                             "or an array marked so), so it cannot change in place; make "
                             "a copy first (Tensor(np.array(t.data)))")
        try:
            operand = other.data if isinstance(other, Tensor) else _constant(other, op)
            ufunc(self.data, operand, out=self.data, casting="same_kind")
            _mark_changed_in_place(self)
        except TypeError as error:  # NumPy's casting error: float into an int tensor
            raise TypeError(f"{symbol}: {error}") from None
        except ValueError as error:
            if ops._broadcasts_to(np.shape(_data(other)), self.shape):  # not the shapes
                raise ValueError(f"{symbol}: {error}") from None
            raise ValueError(f"{symbol}: cannot update shape {self.shape} in place with "
                             f"shape {np.shape(_data(other))}: {error}") from None
        return self

    def __setitem__(self, index, value) -> None:
        """`x[index] = value` writes into the data: always into a tensor that does not
        require grad (building a mask or a target), and under no_grad() into one that
        does (see the in-place operators); to change a tensor that requires grad within
        a graph, compute `where(mask, value, x)` instead. In grad mode a value that
        requires grad is refused: the write takes its numbers, not its gradient. A graph
        that saved x's data before the write refuses to backpropagate through it."""
        if _grad_mode.enabled:
            if self._requires_grad:
                raise RuntimeError(
                    "x[...] = ...: x requires grad, and item assignment is not recorded in "
                    "a graph; compute the new tensor instead (autodiff.where(mask, value, "
                    "x)), or assign under autodiff.no_grad() to change the data")
            if isinstance(value, Tensor) and value._requires_grad:
                raise RuntimeError(
                    "x[...] = value: the value requires grad, and item assignment is not "
                    "recorded in a graph, so its gradient would be lost; build the tensor "
                    "with autodiff.where or concatenate instead, or assign value.detach() "
                    "to take its numbers")
        value = _data(value)
        given = np.asarray(value) if not isinstance(value, np.ndarray) else value
        if given.dtype.kind not in "biuf":  # checked before NumPy writes any of it
            raise TypeError(f"x[...] = ...: cannot assign {_described(value)} of dtype "
                            f"{given.dtype} into a tensor of dtype {self.dtype}: the values "
                            "must be real numbers")
        try:
            self.data[_index(index)] = given
        except (ValueError, TypeError, IndexError) as error:
            raise type(error)(f"x[...] = ...: cannot assign {_described(value)} into a "
                              f"tensor of shape {self.shape} and dtype {self.dtype} at "
                              f"index {index!r}: {error}") from None
        _mark_changed_in_place(self)

    # -- elementwise functions ------------------------------------------------------------

    def exp(self) -> Tensor:
        """Elementwise e ** x (inf where it overflows, as in NumPy)."""
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm (-inf at 0, nan below 0, as in NumPy)."""
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root (nan below 0, as in NumPy)."""
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """Elementwise |x|; its derivative at 0 is taken as 0."""
        return ops.Abs.apply(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent; derivative 1 - tanh(x)**2."""
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """Elementwise 1 / (1 + e ** -x), computed without overflow."""
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0); its derivative at 0 is taken as 0."""
        return ops.Relu.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """Elementwise x where x > 0, else slope * x (slope a real number)."""
        return ops.LeakyRelu.apply(self, slope=ops.LeakyRelu.slope(slope))

    def sin(self) -> Tensor:
        """Elementwise sine."""
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        """Elementwise cosine."""
        return ops.Cos.apply(self)

    def floor(self) -> Tensor:
        """Elementwise floor: the largest whole number <= x; derivative 0."""
        return ops.Floor.apply(self)

    def ceil(self) -> Tensor:
        """Elementwise ceiling: the smallest whole number >= x; derivative 0."""
        return ops.Ceil.apply(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Elementwise nearest whole number (or multiple of 10 ** -decimals), halves to
        even (as np.round and PyTorch); derivative 0."""
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise TypeError(f"round: decimals must be an int, got {decimals!r}")
        return ops.Round.apply(self, decimals=int(decimals))

    def remainder(self, other) -> Tensor:
        """self % other (PyTorch's name)."""
        return ops.Remainder.apply(self, other)

    def floor_divide(self, other) -> Tensor:
        """self // other (PyTorch's name)."""
        return ops.FloorDivide.apply(self, other)

    def sign(self) -> Tensor:
        """Elementwise -1, 0 or 1 by the sign, and 0 at nan (as PyTorch); derivative 0."""
        return ops.Sign.apply(self)

    def clip(self, lo=None, hi=None, *, min=None, max=None) -> Tensor:  # noqa: A002
        """Limit to [lo, hi] (or `min=`, `max=`, NumPy 2's and PyTorch's names); the
        gradient is 1 inside the bounds, on them included, and 0 outside. Bounds that
        are Tensors take the gradient of the elements clamped to them, as in PyTorch."""
        if min is not None:
            if lo is not None:
                raise TypeError("clip: give the lower bound once (lo or min)")
            lo = min
        if max is not None:
            if hi is not None:
                raise TypeError("clip: give the upper bound once (hi or max)")
            hi = max
        # a missing bound: the widest value that changes neither values nor dtype
        lo, hi = ops.clip_bounds(self.dtype, lo, hi)
        return ops.Clip.apply(self, lo, hi)

    clamp = clip  # PyTorch's name

    def pow(self, exponent) -> Tensor:
        """self ** exponent (PyTorch's name)."""
        return ops.Pow.apply(self, exponent)

    def matmul(self, other) -> Tensor:
        """self @ other (PyTorch's and NumPy's name)."""
        return ops.MatMul.apply(self, other)

    def clone(self) -> Tensor:
        """A copy with memory of its own, in the graph (the gradient passes through)."""
        return ops.Clone.apply(self)

    def astype(self, dtype) -> Tensor:
        """A copy converted to `dtype` (differentiable between float dtypes); self
        itself when it already has that dtype, as PyTorch's `.to(dtype)` does."""
        try:
            dtype = np.dtype(dtype)
        except TypeError as error:
            raise TypeError(f"astype: {error}") from None
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":  # no gradient through a cast to int or bool: a constant
            return Tensor(self.data.astype(dtype), label=self.label)
        return ops.AsType.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        """As float32 (PyTorch's `.float()`); self if it already is."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """As float64 (PyTorch's `.double()`); self if it already is."""
        return self.astype(np.float64)

    def to(self, target=None, *, dtype=None) -> Tensor:
        """`astype(target)` for a dtype; "cpu" (the only device) gives self."""
        if dtype is not None:
            target = dtype
        device = device_kind(target)
        if device == "cpu":
            return self
        if device is not None:
            raise ValueError(f"to({target!r}): tensors here live on the CPU only")
        return self.astype(target)

    def cpu(self) -> Tensor:
        """Self: every tensor is on the CPU (so `x.detach().cpu().numpy()` works)."""
        return self

    def tolist(self):
        """The data as nested Python lists (a number for a 0-d tensor)."""
        return self.data.tolist()

    def _slots(self) -> dict:
        return {name: getattr(self, name) for cls in type(self).__mro__
                for name in getattr(cls, "__slots__", ())
                if name != "__weakref__" and hasattr(self, name)}

    def __getstate__(self):
        # (pickle and deepcopy) a copy's data is memory of its own, so it takes no link
        # to the memory it shared with other tensors (nor keeps that array alive)
        slots = self._slots()
        slots["_memory"] = None
        return getattr(self, "__dict__", None) or None, slots  # (a subclass's attributes)

    def __setstate__(self, state) -> None:
        attributes, slots = state
        for name, value in (*(attributes or {}).items(), *slots.items()):
            setattr(self, name, value)
        # The clock's readings may come from another process, whose clock ran further:
        # this one catches up, so that ops made from now on count as after them (else
        # the tensor would look changed after every one), while the readings keep a
        # change made before the copy, in a copied graph, seen.
        _changes[0] = max(_changes[0], self._version, self._made)

    def __copy__(self) -> Tensor:
        # A shallow copy shares the data: a view of it, for the in-place check. Not its
        # .grad, which users edit in place (clipping a copy's would clip the original's).
        copy = type(self).__new__(type(self))
        for name, value in (*getattr(self, "__dict__", {}).items(), *self._slots().items()):
            setattr(copy, name, value)
        copy._memory = _memory_of(self)
        if type(self.grad) is np.ndarray:
            copy.grad = self.grad.copy()
        return copy

    def retain_grad(self) -> None:
        """Nothing to do (PyTorch's, for an intermediate tensor): every tensor that
        requires grad keeps its `.grad` after backward()."""

    @property
    def device(self) -> str:
        """"cpu": every tensor's data is a NumPy array (PyTorch's attribute)."""
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        """False: every tensor is on the CPU (PyTorch's attribute)."""
        return False

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place and return self (PyTorch's)."""
        self.requires_grad = requires_grad  # (which refuses what is not a bool)
        return self

    # -- reductions -----------------------------------------------------------------------

    # NumPy's axis and keepdims name them; PyTorch's dim and keepdim are taken too.

    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """The sum over `axis`: None (every element), an int (negatives count from the
        end) or a tuple of ints; `keepdims` keeps the summed axes with length 1.
        PyTorch's `dim=` and `keepdim=` are the same arguments. The gradient sends each
        element the gradient of its sum."""
        keepdims = check_flag(keepdims, "sum", "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("sum", axis, keepdims, dim, keepdim)
        return ops.Sum.apply(self, axis=_axis(axis, self.ndim, "sum"), keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """The mean over `axis` (as for `sum`: None, an int or a tuple; `keepdims`, or
        PyTorch's `dim=`/`keepdim=`). The mean over no elements raises ValueError."""
        keepdims = check_flag(keepdims, "mean", "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("mean", axis, keepdims, dim, keepdim)
        return ops.Mean.apply(self, axis=_axis(axis, self.ndim, "mean"), keepdims=keepdims)

    def var(self, axis=None, ddof: int = 0, keepdims: bool = False, *, dim=None,
            keepdim=None, correction=None, unbiased=None) -> Tensor:
        """The variance over `axis`: the sum of the squared deviations divided by
        n - ddof, as NumPy's var (ddof=0). PyTorch's default divides by n - 1: pass
        ddof=1 for it. PyTorch's `correction=k` (ddof=k) and `unbiased=True` (ddof=1)
        or `False` (ddof=0) are taken too, with `dim=` and `keepdim=`. Where n - ddof
        <= 0 it raises ValueError (NumPy and PyTorch give nan, with a warning)."""
        keepdims = check_flag(keepdims, "var", "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("var", axis, keepdims, dim, keepdim)
        if correction is not None or unbiased is not None:
            ddof = _pytorch_ddof("var", ddof, correction, unbiased)
        return ops.Var.apply(self, axis=_axis(axis, self.ndim, "var"), ddof=ddof,
                             keepdims=keepdims)

    def std(self, axis=None, ddof: int = 0, keepdims: bool = False, *, dim=None,
            keepdim=None, correction=None, unbiased=None) -> Tensor:
        """The standard deviation over `axis` (NumPy's ddof=0; PyTorch's default is
        ddof=1; its `correction=` and `unbiased=` are taken, as for `var`), as the norm
        of the scaled deviations: where the variance is 0, its gradient is 0, as in
        PyTorch (sqrt of the variance would give nan)."""
        keepdims = check_flag(keepdims, "std", "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("std", axis, keepdims, dim, keepdim)
        if correction is not None or unbiased is not None:
            ddof = _pytorch_ddof("std", ddof, correction, unbiased)
        return ops.Std.apply(self, axis=_axis(axis, self.ndim, "std"), ddof=ddof,
                             keepdims=keepdims)

    def norm(self, p=2, axis=None, keepdims: bool = False, *, dim=None,
             keepdim=None) -> Tensor:
        """The Euclidean norm sqrt(sum(x^2)) over `axis` (all elements by default: the
        Frobenius norm of a matrix), as PyTorch's `norm(p, dim, keepdim)` and NumPy's
        `linalg.norm(x, ord, axis, keepdims)`, whose order of arguments it takes. Its
        gradient x / norm is taken as 0 where the norm is 0, as in PyTorch. Only the
        2-norm: p is 2, "fro" or None."""
        keepdims = check_flag(keepdims, "norm", "keepdims")
        if p is not None and p != "fro" and not (isinstance(p, (int, float)) and p == 2):
            raise ValueError(f"norm: only the 2-norm (p=2) is here, got p={p!r}; for "
                             "p=1, write x.abs().sum(axis)")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("norm", axis, keepdims, dim, keepdim)
        axes = ops.normalize_axes(axis, self.ndim, "norm")
        return ops.Norm.apply(self, axis=axes if axis is not None else None,
                              keepdims=keepdims)

    def max(self, axis=None, keepdims: bool = False, **torch_names) -> Tensor:
        """Maximum over `axis`. At ties the gradient is split evenly between the maxima;
        a nan is the maximum of its slice, as in NumPy, and gets the gradient. The values
        only, as NumPy's max: `argmax(axis)` gives the indices."""
        keepdims = check_flag(keepdims, "max", "keepdims")
        if torch_names:
            keepdims = _refuse_values_and_indices("max", keepdims, torch_names)
        return ops.Max.apply(self, axis=_axis(axis, self.ndim, "max"), keepdims=keepdims)

    def min(self, axis=None, keepdims: bool = False, **torch_names) -> Tensor:
        """Minimum over `axis`. At ties the gradient is split evenly between the minima;
        a nan is the minimum of its slice, as in NumPy, and gets the gradient. The values
        only, as NumPy's min: `argmin(axis)` gives the indices."""
        keepdims = check_flag(keepdims, "min", "keepdims")
        if torch_names:
            keepdims = _refuse_values_and_indices("min", keepdims, torch_names)
        return ops.Min.apply(self, axis=_axis(axis, self.ndim, "min"), keepdims=keepdims)

    def argmax(self, axis=None, keepdims: bool = False, *, dim=None,
               keepdim=None) -> Tensor:
        """The index of the largest element (over `axis`, or of the flattened tensor),
        as an int tensor: a constant, with no gradient."""
        return self._arg("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims: bool = False, *, dim=None,
               keepdim=None) -> Tensor:
        """The index of the smallest element, as `argmax`."""
        return self._arg("argmin", axis, keepdims, dim, keepdim)

    def _arg(self, name: str, axis, keepdims, dim, keepdim) -> Tensor:
        keepdims = check_flag(keepdims, name, "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names(name, axis, keepdims, dim, keepdim)
        index = getattr(self.data, name)  # ndarray.argmax or .argmin
        return Tensor(index(axis=_axis(axis, self.ndim, name), keepdims=keepdims))

    def logsumexp(self, axis=_LAST_AXIS, keepdims: bool = False, *, dim=None,
                  keepdim=None) -> Tensor:
        """log(sum(exp(x))) over `axis`, finite for inputs of any magnitude."""
        keepdims = check_flag(keepdims, "logsumexp", "keepdims")
        if dim is not None or keepdim is not None:
            axis, keepdims = _numpy_names("logsumexp", axis, keepdims, dim, keepdim,
                                          _LAST_AXIS)
        return ops.LogSumExp.apply(
            self, axis=_axis(axis, self.ndim, "logsumexp"), keepdims=keepdims
        )

    def log_softmax(self, axis: int = _LAST_AXIS, *, dim=None) -> Tensor:
        """x - logsumexp(x) over `axis`, finite for inputs of any magnitude."""
        if dim is not None:
            axis, _ = _numpy_names("log_softmax", axis, False, dim, None, _LAST_AXIS)
        return ops.LogSoftmax.apply(self, axis=_axis(axis, self.ndim, "log_softmax"))

    def softmax(self, axis: int = _LAST_AXIS, *, dim=None) -> Tensor:
        """exp(x) / sum(exp(x)) over `axis`, computed without overflow."""
        if dim is not None:
            axis, _ = _numpy_names("softmax", axis, False, dim, None, _LAST_AXIS)
        return ops.Softmax.apply(self, axis=_axis(axis, self.ndim, "softmax"))

    # -- shapes and indexing --------------------------------------------------------------

    def reshape(self, *shape) -> Tensor:
        """Reshape; `shape` may be given as a tuple or as arguments, -1 allowed."""
        if len(shape) == 1 and hasattr(shape[0], "__iter__"):
            shape = tuple(shape[0])
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                   for n in shape):
            raise TypeError(f"reshape: the shape must be ints (or one tuple of them), got "
                            f"{shape!r}")
        if any(n < -1 for n in shape) or sum(n == -1 for n in shape) > 1:
            raise ValueError(f"reshape: sizes must be >= 0, with at most one -1 (the size "
                             f"that fits), got {tuple(shape)}")
        if tuple(shape) == self.shape:
            return self
        return ops.Reshape.apply(self, shape=tuple(shape))

    # PyTorch's name: a new node, whose data shares x's memory where NumPy reshapes
    # without a copy (always, for contiguous x), so writes through it reach x
    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """The axes from `start_dim` to `end_dim` (all, by default) merged into one, as
        PyTorch's flatten (`x.flatten(1)`: one row per sample)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (ops.normalize_axes(a, self.ndim, "flatten")[0]
                      for a in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}"
                             f" in shape {self.shape}")
        merged = math.prod(self.shape[start:end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """A new axis of length 1 at `axis` (NumPy's expand_dims; PyTorch's `dim=`)."""
        axis, _ = _numpy_names("unsqueeze", axis, False, dim, None)
        if axis is None:
            raise TypeError("unsqueeze: give the axis (axis= or PyTorch's dim=)")
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"unsqueeze: the axis must be an int, got {axis!r}")
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis!r} is out of range for shape "
                             f"{self.shape}")
        axis = int(axis) + self.ndim + 1 if axis < 0 else int(axis)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, axis=None, *, dim=None) -> Tensor:
        """Without the axes of length 1, or only those of `axis` (an int or a tuple;
        PyTorch's `dim=`), each of which stays if longer, as in PyTorch."""
        axis, _ = _numpy_names("squeeze", axis, False, dim, None)
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        gone = {a for a in ops.normalize_axes(axis, self.ndim, "squeeze")
                if self.shape[a] == 1}
        if not gone:
            return self
        return self.reshape(tuple(n for a, n in enumerate(self.shape) if a not in gone))

    def broadcast_to(self, shape) -> Tensor:
        """Stretched to `shape` by NumPy's broadcasting rules (its gradient sums back)."""
        shape = tuple(shape) if np.iterable(shape) else (shape,)  # (an array too)
        try:
            fits = np.broadcast_shapes(self.shape, shape) == shape
        except (ValueError, TypeError):
            fits = False
        if not fits:
            raise ValueError(f"broadcast_to: shape {self.shape} cannot be broadcast to "
                             f"{shape}")
        return ops.BroadcastTo.apply(self, shape=shape)

    def expand(self, *sizes) -> Tensor:
        """PyTorch's `broadcast_to`: `x.expand(3, -1)`, where -1 keeps an axis's size."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if not sizes and self.ndim:  # (PyTorch's needs the sizes; () keeps a 0-d tensor)
            raise TypeError(f"expand: give the sizes, one per axis of shape {self.shape} "
                            "or more (-1 keeps an axis)")
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (a NumPy permutation); with none, reverse them."""
        return self._permuted(axes, "transpose")

    def permute(self, *axes) -> Tensor:
        """PyTorch's name for a permutation of the axes (`transpose(*axes)`)."""
        return self._permuted(axes, "permute")

    def _permuted(self, axes: tuple, who: str) -> Tensor:
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = axes[0]
        if not axes:
            return ops.Transpose.apply(self, axes=None)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                   for a in axes):  # (int() would take 1.5 for 1)
            raise TypeError(f"{who}: axes must be ints, got {tuple(axes)!r}")
        # Negative axes made non-negative: backward inverts the permutation by argsort.
        given, axes = axes, tuple(int(a) + self.ndim if a < 0 else int(a) for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            hint = ""
            if len(axes) == 2 and self.ndim > 2:  # PyTorch's transpose(dim0, dim1)
                hint = (f" (to swap two axes, as PyTorch's transpose does, use "
                        f"swapaxes{tuple(given)})")
            raise ValueError(f"{who}: axes {tuple(given)} are not a permutation of the "
                             f"{self.ndim} axes of shape {self.shape}{hint}")
        if who == "transpose" and self.ndim == 2 and axes == (0, 1):
            # NumPy's identity permutation, which the contract keeps; but PyTorch's
            # transpose(0, 1) swaps, so k.transpose(-2, -1) would silently not transpose
            # (permute(0, 1) is the identity in both)
            warnings.warn(f"transpose{tuple(given)} leaves a matrix as it is (NumPy's "
                          "permutation: the axes in their own order); to swap two axes as "
                          "PyTorch's transpose(dim0, dim1) does, use swapaxes(0, 1) or .T",
                          stacklevel=3)
        return ops.Transpose.apply(self, axes=axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """The two axes exchanged (PyTorch's `transpose(dim0, dim1)`)."""
        axes = list(range(self.ndim))
        for a in (axis1, axis2):
            if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
                raise TypeError(f"swapaxes: an axis must be an int, got {a!r}")
            if not -self.ndim <= a < self.ndim:
                raise ValueError(f"swapaxes: axis {a!r} is out of range for shape "
                                 f"{self.shape}")
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        if axes == sorted(axes):
            return self
        return ops.Transpose.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:
        """The axes reversed (for a matrix, its transpose)."""
        return self if self.ndim < 2 else ops.Transpose.apply(self, axes=None)

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of transposed matrices)."""
        if self.ndim < 2:
            raise ValueError(f"mT: needs at least 2 axes (a matrix, or a batch of them), "
                             f"got shape {self.shape}")
        axes = tuple(range(self.ndim - 2)) + (self.ndim - 1, self.ndim - 2)
        return ops.Transpose.apply(self, axes=axes)

    def __getitem__(self, index) -> Tensor:
        """Basic and integer-array indexing; repeated indices accumulate gradient."""
        return ops.GetItem.apply(self, index=_index(index))

    # -- comparisons: plain boolean arrays -------------------------------------------------

    def __lt__(self, other):
        return _compared("<", operator.lt, self.data, _data(other))

    def __le__(self, other):
        return _compared("<=", operator.le, self.data, _data(other))

    def __gt__(self, other):
        return _compared(">", operator.gt, self.data, _data(other))

    def __ge__(self, other):
        return _compared(">=", operator.ge, self.data, _data(other))

    def __eq__(self, other):
        return _compared("==", operator.eq, self.data, _data(other))

    def __ne__(self, other):
        return _compared("!=", operator.ne, self.data, _data(other))

    __hash__ = Node.__hash__

    def __contains__(self, item) -> bool:
        # `x in t`: whether any element equals x, as in PyTorch (without it, Python
        # iterated over the rows: an error for a matrix, a getitem node per element)
        return bool(_compared("in", operator.eq, self.data, _data(item)).any())

    def __bool__(self) -> bool:
        return bool(self.data)

    # -- differentiation ------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Add d(self)/d(t) to `t.grad` for every tensor t with requires_grad that self
        depends on, intermediate ones included.

        Args:
            gradient: d(loss)/d(self), the same shape as self; may be omitted only when
                self has one element (it is then 1).
            retain_graph: keep the buffers saved for backward, so that backward can run
                through this graph again. Defaults to `create_graph`.
            create_graph: record the backward pass itself, so that `.grad` is a Tensor
                that can be differentiated again.

        What `retain_graph=False` frees is what the ops kept for backward (a Function's
        saved arrays). The graph itself stays reachable from self, so that it can be
        drawn with its gradients: in a training loop, drop the loss (`del loss`, or
        reassign it before the next forward) to free the activations with it. With
        `create_graph=True`, each tensor's `.grad`, intermediate ones included, is a
        node whose graph leads back to that tensor: a cycle, which only Python's
        garbage collector frees, not the moment the loss is dropped. Setting the
        parameters' `.grad` to None does not break the intermediates' cycles;
        `loss.zero_grad()` does, for the whole graph. In a loop, prefer
        `autodiff.gradients(loss, params, create_graph=True)`, which returns the
        gradients and stores none (PyTorch recommends `torch.autograd.grad` likewise).

        Raises:
            RuntimeError: self does not require grad; `gradient` omitted for a tensor of
                more than one element; the graph was freed by an earlier backward; a
                tensor that an op of the graph used was changed in place after the op
                ran (under no_grad() or through a view of it, by an optimizer's step,
                item assignment, load_state_dict or an nn.init function; not through
                `.data`).
            ValueError: `gradient` has the wrong shape.
        """
        create_graph = check_flag(create_graph, "backward", "create_graph")
        seed = self._seed(gradient, create_graph, "backward")
        if retain_graph is None:
            retain_graph = create_graph
        retain_graph = check_flag(retain_graph, "backward", "retain_graph")
        _backward(self, seed, retain_graph=retain_graph, create_graph=create_graph)

    def _seed(self, gradient, create_graph: bool, who: str):
        """d(self)/d(self) for a backward pass from self: `gradient` checked, as an
        array of self's dtype (a Tensor node with `create_graph`)."""
        if not self.requires_grad:
            raise RuntimeError(
                f"{who}: this tensor does not require grad, so it has no graph "
                "(create the inputs with requires_grad=True, outside no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"{who}: gradient can be omitted only for a one-element tensor, "
                    f"but this one has shape {self.shape}; reduce it first (e.g. "
                    ".sum() or .mean()) or pass gradient= an array of that shape"
                )
            # not np.ones_like: a third of its cost, on every training step's backward
            seed = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if seed.dtype.kind not in "fiu":
                raise TypeError(f"{who}: gradient must be real numbers (an array or a "
                                f"Tensor), got {type(gradient).__name__} of dtype "
                                f"{seed.dtype}")
            if seed.shape != self.shape:
                raise ValueError(
                    f"{who}: gradient has shape {seed.shape} but the tensor has shape "
                    f"{self.shape}"
                )
            seed = seed.astype(self.dtype)  # a copy: self.grad must not alias the caller's
        if create_graph:
            # a node of its own (the caller's stays theirs, as in PyTorch), in self's
            # dtype, that still depends on `gradient`: .grad may be differentiated in it
            seed = (gradient.astype(self.dtype) * 1.0 if isinstance(gradient, Tensor)
                    else Tensor(seed))
        return seed

    def _added_grad(self, g, owned: set[int]):
        # A gradient array may be shared (a rule can pass its input on to two parents)
        # or be a view; a `.grad` must own its memory, since users update it in place.
        grad = self.grad
        if grad is None or (type(grad) in (int, float) and grad == 0):
            # (a number 0: micrograd's `p.grad = 0`, which resets a Value's, as none)
            if type(g) is np.ndarray:
                if g.base is not None or id(g) in owned:
                    g = g.copy()
            elif type(g) is Tensor:  # create_graph: the grad is a node
                if g.data.base is not None or id(g) in owned:
                    g = g * 1.0  # a node (and array) of its own, so in-place edits stay local
            else:
                g = np.array(g)  # a number or an array-like, as an array of its own
            owned.add(id(g))
            return g
        if (type(grad) is not np.ndarray and not isinstance(grad, Tensor)
                and np.asarray(grad).dtype.kind not in "biuf"):
            raise TypeError(f"backward: the .grad of {self._named()} is a "
                            f"{type(grad).__name__}, not numbers, so the gradient "
                            "cannot be added to it (was .grad set by hand? set it to None)")
        if np.shape(grad) != np.shape(g):
            raise ValueError(f"backward: cannot add a gradient of shape {np.shape(g)} to "
                             f"the .grad of shape {np.shape(grad)} of {self._named()} "
                             "(was .grad set by hand? set it to None)")
        return grad + g

    def _named(self) -> str:
        """This tensor in an error message: its label if it has one, and its shape."""
        label = f" '{self.label}'" if self.label else ""
        return f"the tensor{label} of shape {self.shape}"

    @staticmethod
    def _fit_grad(g, parent: Tensor):
        """Reduce a gradient of the broadcast shape to `parent`'s shape and dtype."""
        data = parent.data
        if type(g) is np.ndarray and g.shape == data.shape and g.dtype == data.dtype:
            return g  # most gradients: checked in one line, as this runs once per edge
        if isinstance(g, (int, float)):  # a rule on 0-d plain values may give a Python one
            g = np.asarray(g)
        if g.shape != data.shape:
            g = backends.sum_to(g, data.shape)
        if g.dtype != data.dtype:
            if data.dtype.kind not in "fc":
                # An integer .data assigned by hand to a tensor that requires grad
                # (Tensor(...) refuses one): its gradient, cast, would be truncated.
                raise TypeError(
                    f"backward: {parent._named()} requires grad but holds {data.dtype} "
                    "data (was .data set to an integer array? its gradient would be cut "
                    f"to integers): give it floats, e.g. x.data = x.data.astype(float)")
            g = g.astype(data.dtype)
        return g

    def detach(self) -> Tensor:
        """The same data (not a copy) as a new tensor outside any graph."""
        detached = Tensor(self.data, label=self.label)  # (Tensor(self) would warn)
        detached._memory = _memory_of(self)  # a view of self, for the in-place check
        return detached

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a "
                             f"Python number, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (not a copy)."""
        return self.data

    def zero_grad(self) -> None:
        """Set `.grad` to None on this tensor and every tensor it was computed from."""
        stack, seen = [self], {id(self)}
        while stack:
            node = stack.pop()
            node.grad = None
            for parent in node._parents:
                if isinstance(parent, Tensor) and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, threshold=20,
                               edgeitems=3, prefix="Tensor(")
        parts = [body]
        if self.data.size > 20 or (self.data.size == 0 and self.ndim != 1):
            parts.append(f"shape={self.shape}")  # (an empty array prints as [] whatever it is)
        if self.dtype != np.float64:
            parts.append(f"dtype={self.dtype}")
        if self.requires_grad:
            parts.append("requires_grad=True")
        if self._op is not None:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Tensor({', '.join(parts)})"


# -- helpers ---------------------------------------------------------------------------


def _data(x):
    return x.data if isinstance(x, Node) else x


# PyTorch names a Tensor lacks, and what to write here instead
_ELSEWHERE = {
    "grad_fn": "x.op names the op that made x, and x.parents its inputs",
    "zero_": "set x.data[...] = 0 (or x.grad = None for a gradient)",
    "fill_": "set x.data[...] = value",
    "copy_": "set x.data[...] = other",
    "add_": "x += y (under no_grad for a parameter)",
    "sub_": "x -= y (under no_grad for a parameter)",
    "mul_": "x *= y (under no_grad for a parameter)",
    "detach_": "use x.detach(), a new tensor out of the graph",
    "long": "x.astype(np.int64) (a constant: no gradient)",
    "int": "x.astype(np.int64) (a constant: no gradient)",
    "bool": "x.data != 0, or x.astype(bool) (a constant)",
    "mm": "x @ y", "mv": "x @ v", "dot": "x @ y", "bmm": "x @ y (batched)",
    "neg": "-x", "square": "x ** 2", "reciprocal": "1 / x",
    "expand_as": "x.broadcast_to(other.shape)",
    "repeat": "autodiff.concatenate([x] * n, axis=...)",
    "masked_fill": "autodiff.where(mask, value, x)",
    "gather": "x[np.arange(n), index] (integer-array indexing)",
    "cuda": "nothing: every tensor is on the CPU",
}


for _name, _hint in _ELSEWHERE.items():  # (pointers where they are read)
    setattr(Tensor, _name, Elsewhere("Tensor", _name, _hint))


class _Size(int):
    """A tensor's number of elements, also callable as PyTorch's `size()`: `x.size(0)`
    is the length of axis 0 and `x.size()` the shape."""

    def __new__(cls, n: int, shape: tuple):
        size = super().__new__(cls, n)
        size.shape = shape
        return size

    def __call__(self, axis=None, *, dim=None):
        axis, _ = _numpy_names("size", axis, False, dim, None)
        if axis is None:
            return self.shape
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"size: the axis must be an int, got {axis!r}")
        if not -len(self.shape) <= axis < len(self.shape):
            raise IndexError(f"size: axis {axis} is out of range for shape {self.shape}")
        return self.shape[axis]

    def __reduce__(self):  # copied and pickled as the plain int it stands for
        return int, (int(self),)


# np.<function> of Tensors. Where NumPy's arguments have a Tensor op, the op runs and
# the result stays in the graph; otherwise (order='F', out=, dtype=, a spectral norm,
# ...) the handler answers _NOT_AN_OP and NumPy's own function runs on the arrays.

_NOT_AN_OP = object()
_NO_GRADIENT_HINT = ("use Tensor ops (np.concatenate, np.stack, np.where, np.clip, np.reshape, "
                     "np.sum and a few more run them), or take the values on purpose with "
                     "np.asarray(t) or t.detach()")


def _is_flag(value) -> bool:
    return isinstance(value, (bool, np.bool_)) or (isinstance(value, int) and value in (0, 1))


def _np_reduction(method: str):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, **numpy_only):
        if (not isinstance(a, Tensor) or dtype is not None or out is not None or numpy_only
                or not _is_flag(keepdims)):
            return _NOT_AN_OP
        return getattr(a, method)(axis, bool(keepdims))
    return reduce


def _np_extremum(method: str):
    def extremum(a, axis=None, out=None, keepdims=False, **numpy_only):
        if not isinstance(a, Tensor) or out is not None or numpy_only or not _is_flag(keepdims):
            return _NOT_AN_OP
        return getattr(a, method)(axis, bool(keepdims))
    return extremum


def _np_spread(method: str):
    def spread(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **numpy_only):
        if (not isinstance(a, Tensor) or dtype is not None or out is not None or numpy_only
                or not _is_flag(keepdims) or isinstance(ddof, bool)
                or not isinstance(ddof, (int, np.integer))):
            return _NOT_AN_OP
        return getattr(a, method)(axis, ddof, bool(keepdims))
    return spread


def _np_clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None,  # noqa: A002
             **numpy_only):
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if not isinstance(a, Tensor) or out is not None or numpy_only or lo is hi is None:
        return _NOT_AN_OP
    return a.clip(lo, hi)


def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if not isinstance(a, Tensor) or order != "C" or copy is not None or shape is None:
        return _NOT_AN_OP
    return a.reshape(shape)


def _np_squeeze(a, axis=None):
    if not isinstance(a, Tensor):
        return _NOT_AN_OP
    if axis is not None:  # NumPy refuses an axis longer than 1, where Tensor's leaves it
        axes = ops.normalize_axes(axis, a.ndim, "squeeze")
        if any(a.shape[i] != 1 for i in axes):
            return _NOT_AN_OP
    return a.squeeze(axis)


def _np_norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    # Tensor.norm is the 2-norm of the elements: NumPy's for ord None, for ord 2 over one
    # axis and for 'fro' over two (ord 2 over two axes is the largest singular value)
    if not isinstance(x, Tensor) or not _is_flag(keepdims):
        return _NOT_AN_OP
    over = x.ndim if axis is None else 1 if isinstance(axis, (int, np.integer)) else len(axis)
    if not (ord is None or (isinstance(ord, str) and ord == "fro" and over == 2)
            or (not isinstance(ord, str) and ord == 2 and over == 1)):
        return _NOT_AN_OP
    return x.norm(None, axis, bool(keepdims))


def _np_join(join):
    def joined(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
        if (isinstance(arrays, (Tensor, np.ndarray)) or out is not None or dtype is not None
                or casting != "same_kind"):
            return _NOT_AN_OP  # (an array's rows, a cast, an output array: NumPy's)
        return join(arrays, axis)
    return joined


def _np_where(condition, *x_y):
    if len(x_y) != 2:  # np.where(cond): the indices where it holds, as NumPy gives them
        return _NOT_AN_OP
    # NumPy's reading of the condition (any number not 0 is true), asked for by name
    return where(np.asarray(_data(condition)).astype(bool), *x_y)


def _np_dot(a, b, out=None):
    if out is not None or np.ndim(_data(a)) > 2 or np.ndim(_data(b)) > 2:
        return _NOT_AN_OP
    if np.ndim(_data(a)) == 0 or np.ndim(_data(b)) == 0:
        return a * b
    return ops.MatMul.apply(a, b)


def _method(name: str, numpy_defaults: dict):
    """np.<name>(a, ...) as a.<name>(...), when its NumPy-only arguments are defaults."""
    def call(a, *args, **kwargs):
        # Identity, not ==: NumPy passes on its defaults (None, False) as those very
        # objects, and `out == None` would compare an array elementwise
        if not isinstance(a, Tensor) or any(kwargs.pop(k, v) is not v
                                            for k, v in numpy_defaults.items()):
            return _NOT_AN_OP
        return getattr(a, name)(*args, **kwargs)
    return call


# np.<function>: (its Tensor op, the name of its first parameter, for np.sum(a=t))
def _binary_operator(forward: str, reflected: str):
    def run(a, b):
        return getattr(a, forward)(b) if isinstance(a, Tensor) else getattr(b, reflected)(a)
    return run


def _even_max(a, b):
    """Elementwise maximum whose gradient, where a and b tie, is split evenly between
    them (as np.maximum's derivative in HIPS autograd)."""
    return _even_pick(a, b, np.greater)


def _even_min(a, b):
    return _even_pick(a, b, np.less)


def _even_pick(a, b, wins):
    """a where `wins(a, b)`, b where `wins(b, a)`, their mean where they tie. A Python
    number stays one, so that NumPy 2's rules keep a float32 tensor float32."""
    x, y = _values_of(a), _values_of(b)
    return where(wins(x, y), a, where(wins(y, x), b, a * 0.5 + b * 0.5))  # (no overflow)


def _values_of(x):
    return x.data if isinstance(x, Tensor) else x


# NumPy ufuncs a Tensor op computes (see Tensor.__array_ufunc__)
_UFUNC_OPS = {
    np.add: _binary_operator("__add__", "__radd__"),
    np.subtract: _binary_operator("__sub__", "__rsub__"),
    np.multiply: _binary_operator("__mul__", "__rmul__"),
    np.true_divide: _binary_operator("__truediv__", "__rtruediv__"),
    np.power: _binary_operator("__pow__", "__rpow__"),
    np.matmul: _binary_operator("__matmul__", "__rmatmul__"),
    np.maximum: _even_max,
    np.minimum: _even_min,
    np.remainder: _binary_operator("__mod__", "__rmod__"),
    np.floor_divide: _binary_operator("__floordiv__", "__rfloordiv__"),
    np.floor: lambda a: a.floor(),
    np.ceil: lambda a: a.ceil(),
    np.rint: lambda a: a.round(),
    np.sign: lambda a: a.sign(),
    np.negative: lambda a: -a,
    np.positive: lambda a: +a,
    np.absolute: lambda a: a.abs(),
    np.exp: lambda a: a.exp(),
    np.log: lambda a: a.log(),
    np.sqrt: lambda a: a.sqrt(),
    np.tanh: lambda a: a.tanh(),
    np.sin: lambda a: a.sin(),
    np.cos: lambda a: a.cos(),
    np.square: lambda a: a * a,
}


_NUMPY_AS_OPS = {
    np.sum: (_np_reduction("sum"), "a"),
    np.mean: (_np_reduction("mean"), "a"),
    np.max: (_np_extremum("max"), "a"),
    np.amax: (_np_extremum("max"), "a"),
    np.min: (_np_extremum("min"), "a"),
    np.amin: (_np_extremum("min"), "a"),
    np.var: (_np_spread("var"), "a"),
    np.std: (_np_spread("std"), "a"),
    np.clip: (_np_clip, "a"),
    np.round: (_method("round", {"out": None}), "a"),
    np.around: (_method("round", {"out": None}), "a"),
    np.reshape: (_np_reshape, "a"),
    np.transpose: (_method("transpose", {}), "a"),
    np.swapaxes: (_method("swapaxes", {}), "a"),
    np.squeeze: (_np_squeeze, "a"),
    np.expand_dims: (lambda a, axis: _NOT_AN_OP if not isinstance(a, Tensor)
                     or isinstance(axis, (tuple, list)) else a.unsqueeze(axis), "a"),
    np.ravel: (lambda a, order="C": a.flatten() if isinstance(a, Tensor) and order == "C"
               else _NOT_AN_OP, "a"),
    np.broadcast_to: (_method("broadcast_to", {"subok": False}), "array"),
    np.linalg.norm: (_np_norm, "x"),
    np.concatenate: (_np_join(lambda arrays, axis: concatenate(arrays, axis)), "arrays"),
    np.stack: (_np_join(lambda arrays, axis: stack(arrays, axis)), "arrays"),
    np.where: (_np_where, "condition"),
    np.dot: (_np_dot, "a"),
}


@functools.cache
def _signature(op) -> inspect.Signature:
    return inspect.signature(op)


def _binds(op, args, kwargs) -> bool:
    """Whether NumPy's arguments fit the op's parameters (NumPy's own, given
    positionally to the end, such as np.sum's initial, do not: NumPy's function runs)."""
    try:
        _signature(op).bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _unwrapped(x):
    """NumPy's arguments with each Tensor (in lists, tuples and dicts too) its array."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrapped(item) for item in x)
    if isinstance(x, dict):
        return {key: _unwrapped(value) for key, value in x.items()}
    return x


def _holds_plain_floats(result) -> bool:
    """Whether a NumPy function's result holds floats outside any graph."""
    if isinstance(result, (np.ndarray, np.generic)):
        return result.dtype.kind in "fc"
    if isinstance(result, (list, tuple)):
        return any(_holds_plain_floats(r) for r in result)
    return isinstance(result, (float, complex))


def _requires_grad_in(args) -> bool:
    """Whether NumPy's arguments (lists, tuples, dicts of them) hold a Tensor that
    requires grad."""
    stack = [args]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            if item._requires_grad:
                return True
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def _numpy_names(op: str, axis, keepdims, dim, keepdim, default_axis=None):
    """(axis, keepdims) from PyTorch's `dim` and `keepdim`, given instead of them."""
    if dim is not None:
        if axis is not default_axis:  # (the default itself: not given)
            raise TypeError(f"{op}: give axis or dim, not both")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise TypeError(f"{op}: give keepdims or keepdim, not both")
        keepdims = keepdim
    return axis, keepdims


def device_kind(target) -> str | None:
    """What PyTorch's `.to(target)` reads `target` as a device: "cpu" for the CPU (here
    the only one: "cpu", "cpu:0", torch.device("cpu")), "gpu" for another device (a
    "cuda"/"mps"/"xpu"/"meta" name or a GPU's index), None for no device (a dtype)."""
    name = getattr(target, "type", target)  # (a torch.device's type)
    if isinstance(name, str):
        base, _, index = name.partition(":")
        if base == "cpu" and (not index or index.isdigit()):
            return "cpu"
        if base in ("cuda", "mps", "xpu", "meta"):
            return "gpu"
    elif isinstance(name, int) and not isinstance(name, bool):
        return "gpu"
    return None


def _pytorch_ddof(op: str, ddof, correction, unbiased) -> int:
    """ddof from PyTorch's `correction` (the same number) or `unbiased` (True: 1, False:
    0), given instead of it."""
    if correction is not None and unbiased is not None:
        raise TypeError(f"{op}: give correction or unbiased, not both")
    if ddof != 0:
        raise TypeError(f"{op}: give ddof or PyTorch's "
                        f"{'correction' if correction is not None else 'unbiased'}, "
                        "not both")
    if unbiased is not None:
        return int(check_flag(unbiased, op, "unbiased"))
    if isinstance(correction, (bool, np.bool_)):
        return int(correction)
    if isinstance(correction, (float, np.floating)) and float(correction).is_integer():
        return int(correction)
    if not isinstance(correction, (int, np.integer)) or correction < 0:
        raise ValueError(f"{op}: correction must be a whole number >= 0 here (the ddof), "
                         f"got {correction!r}")
    return correction


def _refuse_values_and_indices(op: str, keepdims: bool, names: dict) -> bool:
    """`keepdims`, or PyTorch's keepdim= given for it, for max and min; refuse PyTorch's
    dim= by explaining it."""
    if "dim" in names:
        raise TypeError(f"{op}(dim=...) is PyTorch's, which returns (values, indices); here "
                        f"{op}(axis) returns the values, as NumPy's does, and "
                        f"arg{op}(axis) the indices")
    if "keepdim" in names:
        keepdims = bool(names.pop("keepdim"))
    if names:
        raise TypeError(f"{op}() got an unexpected keyword argument {next(iter(names))!r}")
    return keepdims


def _axis(axis, ndim: int, op: str):
    """Validate `axis` now, so that a bad one raises before any node is made."""
    if axis is None:
        return None
    axes = ops.normalize_axes(axis, ndim, op)
    if not ndim:  # 0 or -1 on a 0-d tensor: its one value
        return None
    return axes[0] if isinstance(axis, (int, np.integer)) else axes


def _python_numbers(data, array: np.ndarray) -> np.ndarray:
    """Python data (numbers and lists of them) as a float64 array, the contract's rule;
    what is not numbers (None, a str, a generator, a set) is refused here, rather than
    kept as an object array that fails in some later op."""
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind == "O":
        odd = [x for x in array.flat if not isinstance(x, (numbers.Real, decimal.Decimal))][:1]
        if not odd:  # ints past int64's range: floats, as other ints are
            try:
                return array.astype(np.float64)
            except OverflowError:
                raise OverflowError("Tensor: an int in the data is larger than the largest "
                                    "float (about 1.8e308)") from None
        odd = type(odd[0]).__name__
    else:
        odd = "str" if array.dtype.kind == "U" else "bytes"
    what = type(data).__name__
    if what != odd:
        what += f" holding a {odd}"
    raise TypeError(f"Tensor: the data must be numbers (or lists of them), got {what}"
                    + (" (a generator: make a list of it first)"
                       if inspect.isgenerator(data) else ""))


def _complex_operand(inputs, data) -> str:
    """The first complex operand of an op, as the user gave it."""
    for given, array in zip(inputs, data, strict=True):
        if np.asarray(array).dtype.kind == "c":
            if isinstance(given, (complex, np.generic)):
                return repr(given)
            return f"{_described(given)} of dtype {np.asarray(array).dtype}"
    return "none given; the op made it"


def _refuse_assigned_data(x: Tensor, op) -> None:
    """Raise for a tensor whose `.data` is not an array (a list or a Value assigned to
    it): NumPy would take a list as a sequence (`[3.0, 4.0] * 2` repeats it)."""
    data = x.data
    kind = (f"a {type(data).__module__}.{type(data).__name__}"
            if isinstance(data, np.ndarray) else _described(data))
    who = f"the tensor '{x.label}'" if x.label else "a tensor"
    raise TypeError(f"{op.name}: the .data of {who} is {kind}, not a "
                    "numpy.ndarray (was .data assigned by hand? assign an array: "
                    "x.data = np.asarray(...))")


def _described(value) -> str:
    """A value the user gave, by its shape (an array) or its type (anything else)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _index(index):
    """An index with Tensors replaced by their data and lists by arrays."""
    if isinstance(index, tuple):
        return tuple(_index_part(p) for p in index)
    return _index_part(index)


def _index_part(part):
    if isinstance(part, Tensor):
        if part.dtype.kind == "f" and part.ndim:
            # Tensor([0, 2]) is float64 (the contract for Python numbers), and NumPy's
            # error would not say why
            raise IndexError(f"an index Tensor holds {part.dtype} (Tensor of a list of "
                             "Python numbers is float64); index with np.array([...]), a "
                             "list, or Tensor(..., dtype=np.int64)")
        return part.data
    if isinstance(part, list):
        # an empty list selects nothing (NumPy would make it a float array and refuse)
        return np.asarray(part) if part else np.zeros(0, dtype=np.intp)
    return part


# -- functions of several tensors ------------------------------------------------------


def _tensor_list(tensors, who: str) -> list:
    """The tensors (or arrays) given to concatenate or stack, as a list, checked."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{who}: pass the tensors as one list: {who}([a, b])")
    if isinstance(tensors, (str, bytes)) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{who}: expected a list of tensors, got {type(tensors).__name__} "
                        f"{reprlib.repr(tensors)}")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if (isinstance(t, (list, tuple)) and _grad_mode.enabled
                and _holds_tensor_requiring_grad(t)):
            raise TypeError(f"{who}: item {i} is a {type(t).__name__} holding a Tensor that "
                            "requires grad, whose numbers NumPy would copy out of the "
                            f"graph; make it one tensor with autodiff.stack first")
        if not isinstance(t, Tensor) and np.asarray(t).dtype.kind not in "biufc":
            raise TypeError(f"{who}: item {i} is {_described(t)}, not a Tensor or an "
                            "array of numbers")
    return tensors


def concatenate(tensors, axis: int = _FIRST_AXIS, *, dim=None) -> Tensor:
    """Join tensors (or arrays) along an existing axis (PyTorch's `cat`; `dim` is
    another name for `axis`); with axis None, flattened, one after the other (NumPy's)."""
    if dim is not None:
        axis, _ = _numpy_names("concatenate", axis, False, dim, None, _FIRST_AXIS)
    tensors = _tensor_list(tensors, "concatenate")
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    if axis is None:
        tensors = [t.reshape(-1) if isinstance(t, Tensor) else np.reshape(t, -1)
                   for t in tensors]
        axis = 0
    if not any(isinstance(t, Tensor) for t in tensors):
        return Tensor(np.concatenate([np.asarray(t) for t in tensors], axis=axis))
    ndim = np.ndim(_data(tensors[0]))
    if ndim == 0:
        raise ValueError("concatenate: 0-d tensors have no axis to join along (stack them)")
    return ops.Concatenate.apply(*tensors, axis=_one_axis(axis, ndim, "concatenate"))


def _one_axis(axis, ndim: int, op: str) -> int:
    """The one axis that joins tensors, normalised: a tuple is refused, as NumPy and
    PyTorch refuse it (its first axis after sorting was taken, silently)."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        wanted = "an int or None" if op == "concatenate" else "an int"
        raise TypeError(f"{op}: axis must be {wanted}, got {type(axis).__name__} {axis!r}")
    return ops.normalize_axes(axis, ndim, op)[0]


def stack(tensors, axis: int = _FIRST_AXIS, *, dim=None) -> Tensor:
    """Join tensors (or arrays) of one shape along a new axis (`dim` is another name
    for `axis`)."""
    if dim is not None:
        axis, _ = _numpy_names("stack", axis, False, dim, None, _FIRST_AXIS)
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {np.shape(_data(t)) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    shape = shapes.pop()
    axis = _one_axis(axis, len(shape) + 1, "stack")
    new_shape = shape[:axis] + (1,) + shape[axis:]
    return concatenate(
        [t.reshape(new_shape) if isinstance(t, Tensor) else np.reshape(t, new_shape)
         for t in tensors],
        axis=axis,
    )


def linear(x, weight, bias=None) -> Tensor:
    """`x @ weight.T + bias` as one op (the layer nn.Linear computes).

    Args:
        x: input of shape (..., in).
        weight: shape (out, in).
        bias: shape (out,), or None.
    """
    if bias is None:
        return ops.Linear.apply(x, weight)
    return ops.Linear.apply(x, weight, bias)


def nll_loss(log_probs, labels, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of integer `labels` under `log_probs` (n, k), as one op.

    `nll_loss(x.log_softmax(axis=1), labels)` is the cross-entropy of logits x (which
    `cross_entropy(x, labels)` computes as one op).

    Args:
        log_probs: a (n, k) Tensor of log-probabilities.
        labels: n integer class labels in 0..k-1 (array, list or Tensor).
        reduction: "mean" over the batch, "sum", or "none" (one loss per sample).

    Raises:
        ValueError: a label out of range, a wrong shape, or an unknown reduction.
        TypeError: labels that are not integers.
    """
    log_probs = _as_tensor(log_probs, "nll_loss", "log_probs")
    labels = _checked_labels("nll_loss", "log_probs", log_probs, labels, reduction)
    return ops.NLLLoss.apply(log_probs, labels, reduction=reduction)


def cross_entropy(logits, labels, reduction: str = "mean") -> Tensor:
    """The cross-entropy of `logits` (n, k) at integer `labels`, as one op.

    The same loss as `nll_loss(logits.log_softmax(axis=1), labels)`, with one node
    instead of two: its derivative is the textbook (softmax(logits) - onehot(labels)) / n
    (for "mean"). Finite for logits of any magnitude.

    Args:
        logits: a (n, k) Tensor of raw scores (not probabilities).
        labels: n integer class labels in 0..k-1 (array, list or Tensor).
        reduction: "mean" over the batch, "sum", or "none" (one loss per sample).

    Raises:
        ValueError: a label out of range, a wrong shape, or an unknown reduction.
        TypeError: labels that are not integers.
    """
    logits = _as_tensor(logits, "cross_entropy", "logits")
    labels = _checked_labels("cross_entropy", "logits", logits, labels, reduction)
    return ops.CrossEntropy.apply(logits, labels, reduction=reduction)


def _as_tensor(x, who: str, what: str) -> Tensor:
    """`x` as a Tensor: arrays and lists become constants, as the other ops take them."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"{who}: {what} must be a Tensor (or an array), got a "
                        f"{type(x).__name__}")
    return Tensor(x)


def _checked_labels(who: str, what: str, scores, labels, reduction: str) -> np.ndarray:
    """`labels` as an integer array, after checking them, the (n, k) `scores` they
    index and `reduction`; the errors name `who` and call the scores `what`."""
    labels = np.asarray(_data(labels))
    shape = np.shape(_data(scores))
    if len(shape) != 2 or labels.shape != shape[:1]:
        raise ValueError(f"{who}: needs {what} of shape (n, k) and n labels, got "
                         f"{shape} and labels of shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{who}: labels must be integers, got dtype {labels.dtype}")
    check_labels(labels, shape[1], who)
    ops._check_reduction(who, reduction)
    if reduction == "mean" and not len(labels):
        raise ValueError(f"{who}: no samples, and a mean of no losses is undefined (use "
                         "reduction='sum' for 0)")
    return labels


_UNSIGNED = {np.dtype(t): np.dtype(t.replace("i", "u")) for t in ("=i1", "=i2", "=i4", "=i8")}


def check_labels(labels: np.ndarray, n_classes: int, who: str) -> None:
    """Raise ValueError naming the first of the integer `labels` (or whole floats) outside
    0..n_classes-1."""
    # One reduction, as this runs on every training step: seen as unsigned (the same
    # bytes), a negative label is larger than any class count. The culprit is looked
    # for only when there is one.
    unsigned = labels
    if labels.dtype.kind == "i":
        # the same byte order (a dtype from a string costs more than the reduction)
        unsigned = labels.view(_UNSIGNED.get(labels.dtype)
                               or labels.dtype.str.replace("i", "u"))
    elif labels.dtype.kind == "f":  # whole floats (nn's losses take them), before a cast
        unsigned = np.where(labels < 0, np.inf, labels)
    if labels.size and unsigned.max() >= n_classes:
        if n_classes == 0:
            raise ValueError(f"{who}: the scores have 0 classes (0 columns), so no label "
                             "can be in range")
        bad = labels[(labels < 0) | (labels >= n_classes)].flat[0]
        raise ValueError(f"{who}: label {bad} is out of range for {n_classes} classes "
                         f"(labels must be in 0..{n_classes - 1})")


def sum_to(g, shape) -> np.ndarray | Tensor:
    """Sum a broadcast gradient `g` (an array or a Tensor) back to `shape`, the shape it
    was broadcast from: the rule by which every op's gradient reaches its input's shape.

    Broadcasting prepends axes and stretches axes of size 1; the gradient of a
    broadcast is the sum over exactly those axes.

    Raises:
        ValueError: `shape` does not broadcast to g's shape, so g cannot come from it.
        TypeError: `shape` is not a tuple of ints.
    """
    given = shape
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
            for n in shape):
        raise TypeError(f"sum_to: shape must be a tuple of sizes >= 0, got {given!r}")
    shape = tuple(int(n) for n in shape)
    if not isinstance(g, Tensor):
        g = np.asarray(g)
    if not ops._broadcasts_to(shape, g.shape):
        raise ValueError(f"sum_to: a gradient of shape {g.shape} cannot be summed to shape "
                         f"{shape}, which does not broadcast to {g.shape}")
    return backends.sum_to(g, shape)


def where(cond, a, b) -> Tensor:
    """Elementwise `a if cond else b`; a or b may be numbers. No gradient flows to cond,
    which must hold booleans (a mask such as `x > 0`), as in PyTorch: NumPy's reading of
    any number as true where it is not 0 would take probabilities p for `p > 0`."""
    given, cond = cond, np.asarray(_data(cond))
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be booleans (a mask such as x > 0), got "
                        f"{_described(_data(given))} of dtype {cond.dtype}; for NumPy's "
                        "reading of numbers, write cond != 0")
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        return Tensor(np.where(cond, a, b))
    return ops.Where.apply(cond, a, b)
