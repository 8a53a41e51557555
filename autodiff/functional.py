"""Functional differentiation: `grad`, `value_and_grad`, `jacobian`, `hessian`, `vjp`;
and `gradients`, PyTorch's `autograd.grad`, on a graph already built.

They take a function and return a function, as in JAX. Arguments may be numbers,
arrays, Values or Tensors. Given numbers or arrays, they return numbers or arrays.
Given nodes, they differentiate with `create_graph=True` and return nodes, which is
what lets them compose: `grad(grad(f))(x)` is the second derivative.

They record `f`'s graph even when called under `no_grad()`, as torch.func does; there
the backward pass itself is not recorded, and the results are plain.
"""

from __future__ import annotations

import functools
import numbers
import reprlib
import threading

import numpy as np

from . import ops
from .graph import Node, check_flag, enable_grad, is_grad_enabled
from .graph import backward as _backward
from .tensor import Tensor, stack
from .value import Value

__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "vjp", "gradients"]


def _argnums_tuple(argnums, n_args: int, name: str) -> tuple[int, ...]:
    if not (isinstance(argnums, int) or isinstance(argnums, (tuple, list)) and all(
            isinstance(i, int) for i in argnums)) or isinstance(argnums, bool):
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got "
                        f"{type(argnums).__name__} {argnums!r}")
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise ValueError(f"{name}: argnums is empty")
    for i in nums:
        if not isinstance(i, int) or not -n_args <= i < n_args:
            raise ValueError(
                f"{name}: argnums {argnums!r} does not fit a call with {n_args} "
                "positional arguments"
            )
    nums = tuple(i % n_args for i in nums)
    if len(set(nums)) < len(nums):  # (the second variable would cut off the first)
        raise ValueError(f"{name}: argnums {argnums!r} names an argument twice; each "
                         "may appear once")
    return nums


def _as_input(x, name: str, scalar: bool = True):
    """The node to differentiate with respect to: a new leaf holding `x`'s value, or,
    for a node of the caller's graph (under grad mode), a new node joined to it. Not
    `x` itself: f may also use x directly (closed over), and only its uses of the
    variable count (grad(lambda y: x * y)(x) is x, not 2x, as in JAX and torch.func).
    A number is a Value when `scalar`, else a 0-d Tensor."""
    if isinstance(x, Node):
        if x.requires_grad and is_grad_enabled():
            node = ops.Identity.apply(x)
            node.label = x.label
            return node
        if isinstance(x, Value):
            return Value(x.data, label=x.label)
        return Tensor(x.data, requires_grad=True, label=x.label)
    if isinstance(x, numbers.Real) and not isinstance(x, np.ndarray):
        return Value(x) if scalar else Tensor(float(x), requires_grad=True)
    array = np.asarray(x)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype.kind != "f":
        raise TypeError(f"{name}: cannot differentiate with respect to {type(x).__name__} "
                        f"of dtype {array.dtype}")
    return Tensor(array, requires_grad=True)


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (np.ndarray, Node))


def _plain_gradients(grads: list, inputs: list, from_number: list[bool]) -> list:
    """Gradient nodes as the caller's kinds: arrays of the inputs' shapes, and a number
    for an argument given as a number (made a 0-d Tensor beside arrays)."""
    out = []
    for g, node, number in zip(grads, inputs, from_number, strict=True):
        g = _plain(g)
        if number:
            g = float(g)
        elif isinstance(node, Tensor):
            g = np.asarray(g).reshape(node.shape)
        out.append(g)
    return out


def _zeros_like(node):
    return 0.0 if isinstance(node, Value) else np.zeros_like(node.data)


def _plain(x):
    """A node's data as the caller's kind of number: float, or ndarray."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Tensor):
        return x.data
    return x


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(_plain(x))


def _brief(x) -> str:
    return f"of shape {x.shape}" if isinstance(x, np.ndarray) else f"{x!r:.40}"


def _check_scalar(out, name: str) -> None:
    if isinstance(out, Value) or (isinstance(out, Tensor) and out.size == 1):
        return
    what = f"a Tensor of shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
    raise TypeError(f"{name}: the function must return a scalar (a Value or a one-element "
                    f"Tensor), got {what}")


class _MadeLeaves(threading.local):
    # The inputs of the functional calls running in this thread (made by them, or
    # nodes their callers passed in), outermost call's first: an inner call's result
    # that depends on them belongs to the enclosing differentiation (the x in
    # grad(lambda x: grad(lambda y: x * y)(3.0))(2.0)).
    def __init__(self) -> None:
        self.leaves: list[Node] = []
        # For each functional call running (outermost first), whether a functional
        # call inside it returned a plain result (a number or an array: a derivative
        # that is constant, as the 2 of grad(grad(x ** 2))). A call whose f returns a
        # plain result takes it as a constant then (f may have done arithmetic on it),
        # and refuses it otherwise: it is then most often a graph cut off by .item().
        self.plain_inside: list[bool] = []


_made = _MadeLeaves()


def _prepare(args: tuple, kwargs: dict, argnums, name: str, scalars_as_tensors: bool):
    """Replace `args[argnums]` by the nodes to differentiate with respect to.

    Returns the new args, those nodes, the ids of the outside nodes (the nodes the
    caller passed in and the leaves enclosing functional calls made: a result that
    depends on one of them must stay a node; any other result is returned plain), and
    for each node whether its argument was a number.
    """
    nums = _argnums_tuple(argnums, len(args), name)
    outside = {id(leaf) for leaf in _made.leaves}
    outside.update(id(a) for a in (*args, *kwargs.values())
                   if isinstance(a, Node) and a.requires_grad)
    # a number beside Tensors or arrays is a 0-d Tensor, so that they combine
    scalar = not any(isinstance(a, (Tensor, np.ndarray)) for a in (*args, *kwargs.values()))
    args_given, args = args, list(args)
    inputs = []
    for i in nums:
        node = _as_input(args[i], name, scalar)
        if scalars_as_tensors and isinstance(node, Value):
            node = Tensor(node.data, requires_grad=True)
        args[i] = node
        inputs.append(node)
        # inner functional calls must keep results that depend on it as nodes, be it
        # made here or passed in by the caller
        _made.leaves.append(node)
    return args, inputs, outside, [_is_number(a) for a in (args_given[i] for i in nums)]


def _functional_call(call):
    """Forget the leaves a functional call made when it returns or raises; keep, while
    it runs, whether a call inside it returned a constant derivative."""

    @functools.wraps(call)
    def wrapper(*args, **kwargs):
        depth = len(_made.leaves)
        _made.plain_inside.append(False)
        try:
            return call(*args, **kwargs)
        finally:
            del _made.leaves[depth:]
            _made.plain_inside.pop()

    return wrapper


def _note_constant(derivative, given) -> None:
    """Tell the enclosing call (if any) that this one returned a derivative that is a
    plain number or array, with respect to a node it was given (the enclosing call's
    variable, or a node computed from it): a constant derivative, with which f there
    may compute. (An inner call at a fixed point, or a plain value or aux, does not
    count: f cutting its graph with .item() beside one is still refused.)"""
    if (len(_made.plain_inside) > 1 and _holds_plain(derivative)
            and any(isinstance(a, Node) and a.requires_grad for a in given)):
        _made.plain_inside[-2] = True


def _holds_plain(result) -> bool:
    """Whether a functional call's result holds a number or an array (tuples opened)."""
    if isinstance(result, tuple):
        return any(_holds_plain(item) for item in result)
    return _is_plain(result)


def _is_plain(x) -> bool:
    return isinstance(x, (numbers.Number, np.ndarray)) and not isinstance(x, Node)


def _refuse_plain(out, name: str) -> None:
    """Refuse a number or array f returned, unless a functional call inside f returned
    a constant derivative (see `_note_constant`), which f may have computed with."""
    if (isinstance(out, np.ndarray) and out.dtype == object
            and any(isinstance(item, Node) for item in out.flat)):
        # a Value times an array: NumPy made one Value per element
        raise TypeError(
            f"{name}: the function returned a NumPy array of Values (a Value combined "
            "with an array makes one per element), which is not one node to "
            "differentiate: give the number as np.array(x), a 0-d Tensor, to compute "
            "with arrays")
    if _is_plain(out) and not (_made.plain_inside and _made.plain_inside[-1]):
        # Most often f ended in .item(), float() or .numpy(): its gradient, taken as a
        # constant's, would be zeros, silently (PyTorch's torch.func refuses it too).
        raise TypeError(
            f"{name}: the function returned a plain {type(out).__name__} "
            f"({_brief(out)}), which records no graph, so its derivative cannot be "
            "taken: return the Value or Tensor itself, not .item(), float(), .data or "
            ".numpy() of it. (A function that does not use the variable is a constant: "
            "return Value(c) or Tensor(c); arguments outside argnums reach f as they "
            "were given, and record nothing.)")


def _call(f, args, kwargs, inputs, name: str):
    """f(*args, **kwargs), a clash of a Value made of a number with Tensors explained."""
    try:
        return f(*args, **kwargs)
    except TypeError as error:
        text = str(error)
        if ("combine a" in text and "Value" in text and "Tensor" in text
                and "differentiated as a Value" not in text  # (said by an inner call)
                and any(isinstance(x, Value) for x in inputs)):
            raise TypeError(f"{name}: a number argument is differentiated as a Value (the "
                            f"scalar engine), and f combines it with Tensors ({error}); "
                            "pass it as np.array(x) to make it a 0-d Tensor") from error
        raise
    except AttributeError as error:
        # x.exp() on an argument outside argnums: it reaches f as it was given, an
        # array or a number, where with argnums naming it f got a Tensor or a Value
        method = getattr(error, "name", None)
        kind = type(getattr(error, "obj", None))
        raw = [i for i, a in enumerate(args) if type(a) is kind and not isinstance(a, Node)]
        if raw and kind in (np.ndarray, float, int) and (hasattr(Tensor, str(method))
                                                         or hasattr(Value, str(method))):
            raise AttributeError(
                f"{error} ({name}: arguments outside argnums reach f as they were given, "
                f"and argument {raw[0]} is a plain {kind.__name__}: pass it as Tensor(a) "
                f"(or Value(x)) to call .{method}() on it)") from error
        raise


def _check_callable(f, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name}: f must be a function, got {type(f).__name__} "
                        f"{reprlib.repr(f)}")


def _records_backward(outside: set[int]) -> bool:
    """Whether the backward pass must be recorded: when the caller's grad mode is on and
    there is an outside node (an argument that requires grad, or the input of an
    enclosing functional call) that the results could depend on. Without one, the
    results are returned plain, and recording would only cost time and memory."""
    return bool(outside) and is_grad_enabled()


def _number_seed(gradient) -> float:
    """A Value output's `gradient=`: a real number (or a one-element array of one)."""
    given = np.asarray(_plain(gradient))
    if given.size != 1 or given.dtype.kind not in "fiu":
        raise TypeError(f"gradients: the output is a Value, so gradient must be one real "
                        f"number, got {type(gradient).__name__} {gradient!r}")
    return float(given.reshape(()))


def _graph_nodes(roots):
    """The nodes that require grad in the graphs of `roots` (roots included), each once,
    as they are found."""
    stack = [r for r in roots if isinstance(r, Node) and r.requires_grad]
    seen = {id(r) for r in stack}
    while stack:
        node = stack.pop()
        yield node
        for parent in node._parents:
            if isinstance(parent, Node) and parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)


def _reaches(roots, targets: set[int]) -> bool:
    """Whether the graph of any of `roots` contains a node whose id is in `targets`."""
    return bool(targets) and any(id(node) in targets for node in _graph_nodes(roots))


def value_and_grad(f, argnums=0, has_aux: bool = False):
    """A function returning `(f(*args), gradient of f)` with respect to `args[argnums]`.

    `f` must return a scalar: a Value or a one-element Tensor. With `argnums` a tuple,
    the gradient is a tuple in the same order. The results are plain numbers/arrays,
    unless they depend on a node the caller passed in (a Value, or a Tensor with
    requires_grad) or on the input of an enclosing `grad`: then they are nodes, so that
    they can be differentiated again.

    With `has_aux=True` (as in JAX and torch.func), f returns `(scalar, aux)`: aux is
    anything else f computed (predictions, a dict of metrics), returned as it is, and
    the result is `((value, aux), gradient)`.
    """
    return _value_and_grad(f, argnums, "value_and_grad", has_aux)


def _value_and_grad(f, argnums, name: str, has_aux: bool = False):
    """`value_and_grad`, its errors naming `name` (the public function called)."""
    _check_callable(f, name)
    has_aux = check_flag(has_aux, name, "has_aux")

    @_functional_call
    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        given = (*args, *kwargs.values())
        args, inputs, outside, from_number = _prepare(args, kwargs, argnums, name, False)
        create = _records_backward(outside)
        with enable_grad():  # f's graph is needed even when called under no_grad()
            out = _call(f, args, kwargs, inputs, name)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"{name}: with has_aux=True, f must return a pair "
                                f"(scalar, aux), got {type(out).__name__}")
            out, aux = out
        _refuse_plain(out, name)
        if isinstance(out, numbers.Real):  # an inner call's constant derivative
            out = Value(out)
        _check_scalar(out, name)
        seed = 1.0 if isinstance(out, Value) else np.ones_like(out.data)
        # retained: f may close over a graph built outside it, which must stay usable.
        # (None for an input f does not depend on.)
        grads = _backward(out, seed, retain_graph=True, create_graph=create, inputs=inputs)
        grads = [_zeros_like(node) if g is None else g
                 for node, g in zip(inputs, grads, strict=True)]
        keep_nodes = create and _reaches([out, *grads], outside)
        if not keep_nodes:
            grads = _plain_gradients(grads, inputs, from_number)
        value = out if keep_nodes else _plain(out)
        gradient = grads[0] if isinstance(argnums, int) else tuple(grads)
        _note_constant(gradient, given)
        return ((value, aux) if has_aux else value), gradient

    return value_and_grad_f


def grad(f, argnums=0, has_aux: bool = False):
    """A function computing the gradient of scalar-valued `f` w.r.t. `args[argnums]`.

    With `has_aux=True`, f returns `(scalar, aux)` and the result is `(gradient, aux)`
    (see `value_and_grad`).

    Example::

        >>> d2 = grad(grad(lambda x: x ** 3))
        >>> d2(2.0)              # 6 x
        12.0
    """
    return _grad(f, argnums, "grad", has_aux)


def _grad(f, argnums, name: str, has_aux: bool = False):
    vg = _value_and_grad(f, argnums, name, has_aux)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        value, gradient = vg(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


def jacobian(f, argnums=0):
    """A function computing the Jacobian of `f` (arrays in, an array out).

    The result has shape `out.shape + x.shape`: entry [i..., j...] is d out[i] / d x[j].
    Computed by one backward pass per output element. `argnums` chooses the argument
    (an int) or arguments (a tuple of ints, giving a tuple of Jacobians), as for `grad`.

    The result is an array, 0-d for a number in and a number out (`jacobian(f)(2.0)` is
    `array(4.)` where `grad(f)(2.0)` is `4.0`), or a Tensor node when the arguments
    require grad under grad mode, so that it can be differentiated again. A Value
    that is a leaf (`Value(2.0)`) is taken as a 0-d Tensor of its number, so that f may
    combine it with Tensors (f of a scalar may be a vector); the result is then plain,
    not part of the Value's graph. For a Value node of the result, pass a Value that
    is an op's result, or use `grad` (a Jacobian of a scalar function is its gradient).
    Such a Value differentiated beside array arguments is refused: as a Tensor it would
    leave its graph (give its number as an array then).

    f is taken to be pure, as torch.func and JAX take it: numbers differentiated beside
    such a Value that is not differentiated are tried as 0-d Tensors, and where f
    combines them with that Value instead, f is called again with them as Values. So in
    that case only, what f does besides returning its result (counting its calls, say)
    happens twice.
    """
    return _jacobian(f, argnums, "jacobian")


def _in_a_graph(x) -> bool:
    """Whether `x` is a Value of a graph: an op's result, or the variable of an enclosing
    functional call."""
    return isinstance(x, Value) and (x._op is not None
                                     or any(x is leaf for leaf in _made.leaves))


def _jacobian(f, argnums, name: str):
    """`jacobian`, its errors naming `name` (the public function called)."""
    _check_callable(f, name)

    @_functional_call
    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), name)
        given = (*args, *kwargs.values())
        numbers_only = all(isinstance(args[i], (Value, numbers.Real)) for i in nums)
        if numbers_only and any(_in_a_graph(args[i]) for i in nums):
            # a Value of a graph (an op's result, or the variable of an enclosing grad:
            # hessian(f)(x) inside grad), alone or beside numbers: as a 0-d Tensor it
            # would be cut off its graph
            return _by_grad(f, argnums, name, args, kwargs)
        for i in nums:
            if _in_a_graph(args[i]):  # (beside an array, it cannot be a Value)
                raise TypeError(
                    f"{name}: argument {i} is a Value of a graph (an op's result, or the "
                    "variable of an enclosing grad), differentiated beside arrays: as a "
                    "Tensor it would leave its graph, and its derivatives would be lost; "
                    "give the numbers as arrays throughout (grad(g)(np.array(x)) for an "
                    "enclosing grad)")
        if not (numbers_only and any(_in_a_graph(a) for a in given)):
            return _by_tensors(f, argnums, name, args, kwargs)
        # Numbers differentiated beside a graph Value that is not: as 0-d Tensors, so
        # that f may combine them with Tensors (a vector function of a number), or, where
        # f combines them with that Value instead (hessian(f, argnums=1)(x, c) inside
        # grad, f a scalar function of both), as Values
        depth = len(_made.leaves)
        try:
            return _by_tensors(f, argnums, name, args, kwargs)
        except TypeError as error:
            text = str(error)
            if ("cannot combine a Value with a Tensor" not in text
                    and "cannot combine a Tensor with a Value" not in text):
                raise
        del _made.leaves[depth:]  # (what the first try noted is forgotten)
        _made.plain_inside[-1] = False
        return _by_grad(f, argnums, name, args, kwargs)

    return jacobian_f


def _by_grad(f, argnums, name: str, args, kwargs):
    """The Jacobian of f of Values (and numbers): f of them is a Value, whose Jacobian is
    its gradient, kept in the Values' graph."""
    gradient = _value_and_grad(f, argnums, name)(*args, **kwargs)[1]
    _note_constant(gradient, (*args, *kwargs.values()))
    return gradient


def _by_tensors(f, argnums, name: str, args, kwargs):
    """The Jacobian of f with the differentiated arguments as Tensors (numbers as 0-d
    ones): one backward pass per output element."""
    given = (*args, *kwargs.values())
    args, inputs, outside, _ = _prepare(args, kwargs, argnums, name, True)
    create = _records_backward(outside)
    with enable_grad():
        out = _call(f, args, kwargs, inputs, name)
    _refuse_plain(out, name)
    if not isinstance(out, (Tensor, Value, numbers.Real, np.ndarray)):
        raise TypeError(f"{name}: the function must return a Tensor (or a Value), got "
                        f"{type(out).__name__}; to return several, autodiff.stack them")
    if not isinstance(out, Tensor):
        out = Tensor(out.data if isinstance(out, Value) else out)
    rows = [[] for _ in inputs]
    for k in range(out.size):
        seed = np.zeros(out.size, dtype=out.dtype)
        seed[k] = 1
        seed = seed.reshape(out.shape)
        grads = _backward(out, Tensor(seed) if create else seed, retain_graph=True,
                          create_graph=create, inputs=inputs)
        for row, node, g in zip(rows, inputs, grads, strict=True):
            row.append(Tensor(np.zeros(node.shape, dtype=node.dtype)) if g is None else g)
    keep_nodes = create and _reaches([g for row in rows for g in row], outside)
    jacobians = []
    for row, node in zip(rows, inputs, strict=True):
        shape = out.shape + node.shape
        if not row:  # an empty output: an empty Jacobian
            jacobians.append(np.zeros(shape, dtype=node.dtype))
        elif keep_nodes:
            jacobians.append(stack([_as_tensor(g) for g in row]).reshape(shape))
        else:
            jacobians.append(np.stack([np.asarray(_plain(g)) for g in row]).reshape(shape))
    result = jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    _note_constant(result, given)
    return result


def hessian(f, argnums: int = 0):
    """A function computing the Hessian of scalar-valued `f` (shape `x.shape * 2`) with
    respect to its argument number `argnums` (one int).

    The Jacobian of f's gradient, returned as `jacobian` returns it: an array (0-d for a
    number), a node when the argument requires grad, and plain for a leaf Value (use
    `grad(grad(f))` for a Value node of a scalar's second derivative).
    """
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise TypeError(f"hessian: argnums must be one int (the Hessian with respect to "
                        f"one argument), got {argnums!r}; concatenate the arguments into "
                        "one array for a joint Hessian")
    return _jacobian(_grad(f, argnums, "hessian"), argnums, "hessian")


def vjp(f, *primals):
    """`(f(*primals), vjp_fn)`, as in JAX and torch.func: `vjp_fn(v)` is the
    vector-Jacobian product v^T J for each primal, a tuple in their order (one backward
    pass per call, with `v` as the gradient of f's output).

    Example::

        >>> out, vjp_fn = vjp(lambda x: x * x, np.array([1.0, 2.0]))
        >>> vjp_fn(np.array([1.0, 10.0]))
        (array([ 2., 40.]),)

    Raises:
        TypeError: f is not callable, no primals, or f returns something else than a
            Value or a Tensor.
        ValueError: (from vjp_fn) a `v` of another shape than f's output.
    """
    _check_callable(f, "vjp")
    if not primals:
        raise TypeError("vjp: give f's arguments after f: vjp(f, x, ...)")
    return _vjp(f, *primals)


@_functional_call
def _vjp(f, *primals):
    args, inputs, outside, from_number = _prepare(primals, {}, tuple(range(len(primals))),
                                                  "vjp", False)
    create = _records_backward(outside)
    with enable_grad():
        out = _call(f, args, {}, inputs, "vjp")
    _refuse_plain(out, "vjp")
    if _is_plain(out):  # an inner call's constant derivative, or computed from one
        out = Value(float(out)) if isinstance(out, numbers.Real) else Tensor(out)
    if not isinstance(out, (Tensor, Value)):
        raise TypeError(f"vjp: f must return a Value or a Tensor, got {type(out).__name__}")

    @_functional_call  # (its results may be an enclosing call's constant derivatives)
    def vjp_fn(v):
        given = np.asarray(_plain(v))
        if given.dtype.kind not in "biuf":  # object (None: nan) or complex (cut to real)
            raise TypeError(f"vjp: v must be real numbers, got {type(v).__name__} of "
                            f"dtype {given.dtype}")
        if given.shape != np.shape(out.data):
            raise ValueError(f"vjp: v has shape {given.shape} but f's output has shape "
                             f"{np.shape(out.data)}")
        # a node v (of an enclosing grad, say) is kept: the products depend on it too
        v_node = isinstance(v, Node) and v.requires_grad and is_grad_enabled()
        record = create or v_node
        if v_node and isinstance(v, type(out)):
            seed = v
        elif isinstance(out, Value):
            seed = Value(float(given)) if record else float(given)
        else:
            seed = given.astype(out.dtype)
            seed = Tensor(seed) if record else seed
        grads = _backward(out, seed, retain_graph=True, create_graph=record, inputs=inputs)
        grads = [_zeros_like(node) if g is None else g
                 for node, g in zip(inputs, grads, strict=True)]
        if record and _reaches(grads, outside | ({id(v)} if v_node else set())):
            return tuple(grads)
        plain = tuple(_plain_gradients(grads, inputs, from_number))
        _note_constant(plain, primals)
        return plain

    value = out if create and _reaches([out], outside) else _plain(out)
    return value, vjp_fn


def _one_gradient(item, output) -> bool:
    """Whether `item`, the one element of a sequence given as grad_outputs, is the
    output's whole gradient (an array of any library, a node, None, or a number for a
    Value or a 0-d Tensor), not a list's number for a (1,)-shaped output."""
    if hasattr(item, "shape") or item is None or isinstance(item, Node):
        return True
    return isinstance(item, numbers.Number) and (isinstance(output, Value)
                                                 or output.shape == ())


def gradients(output, inputs, gradient=None, *, retain_graph: bool | None = None,
              create_graph: bool = False, allow_unused: bool = False,
              grad_outputs=None) -> tuple:
    """d(output)/d(input) for each of `inputs`, returned rather than added to any
    `.grad` (every `.grad` stays as it was): PyTorch's `torch.autograd.grad`, for a graph
    already built. With `create_graph=True` the gradients are nodes that can be
    differentiated again, as for a gradient penalty::

        >>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        >>> (dx,) = gradients((x ** 3).sum(), x, create_graph=True)
        >>> dx
        Tensor([ 3., 12.], requires_grad=True, op='*')
        >>> (dx ** 2).sum().backward()   # d/dx sum((3x^2)^2) = 36 x^3
        >>> x.grad
        array([ 36., 288.])

    Args:
        output: a Value or a Tensor that requires grad (or a list of one, as PyTorch's
            sequence of outputs).
        inputs: a node, or a sequence of nodes, that `output` was computed from.
        gradient: d(loss)/d(output), as for `Tensor.backward`; may be omitted for a
            one-element output. PyTorch's name for it, `grad_outputs=`, is taken too.
        retain_graph: keep the graph's buffers for another backward (defaults to
            `create_graph`).
        create_graph: record this backward pass, so that the gradients are nodes.
        allow_unused: give None for an input that `output` does not depend on, rather
            than raise.

    Returns:
        A tuple with one gradient per input (arrays or numbers; nodes with
        `create_graph`), in the inputs' shapes.

    Unlike `grad`, which differentiates with respect to fresh copies of its arguments,
    each input's gradient here is whole: through another input too, where one was
    computed from the other.

    Raises:
        TypeError: `output` or an input is not a Value or a Tensor, or a `gradient` of
            the wrong kind.
        RuntimeError: `output` or an input does not require grad, an input is not used
            to compute it (without `allow_unused`), or as for `Tensor.backward`.
    """
    as_sequence = isinstance(output, (list, tuple))  # (PyTorch's form)
    if grad_outputs is not None:
        if gradient is not None:
            raise TypeError("gradients: give gradient or PyTorch's grad_outputs, not both")
        gradient, as_sequence = grad_outputs, True
    create_graph = check_flag(create_graph, "gradients", "create_graph")
    allow_unused = check_flag(allow_unused, "gradients", "allow_unused")
    if retain_graph is not None:
        retain_graph = check_flag(retain_graph, "gradients", "retain_graph")
    if isinstance(output, (list, tuple)):  # PyTorch's outputs are a sequence
        if not output:
            raise TypeError("gradients: the list of outputs is empty")
        if len(output) != 1:
            raise TypeError(f"gradients: takes one output, got a {type(output).__name__} of "
                            f"{len(output)}; for several, differentiate one sum of them, "
                            "gradients(sum((o * g).sum() for o, g in zip(outputs, "
                            "grad_outputs)), inputs)")
        (output,) = output
    if not isinstance(output, (Tensor, Value)):
        raise TypeError(f"gradients: output must be a Value or a Tensor, got "
                        f"{type(output).__name__} (for a function, use autodiff.grad)")
    if (as_sequence and isinstance(gradient, (list, tuple)) and len(gradient) == 1
            and _one_gradient(gradient[0], output)):
        # PyTorch's grad_outputs is a sequence, one per output: [g] for the one here
        (gradient,) = gradient
    given = inputs
    inputs = [inputs] if isinstance(inputs, Node) else list(inputs)
    if not inputs:
        raise TypeError("gradients: inputs is empty")
    for i, node in enumerate(inputs):
        if not isinstance(node, (Tensor, Value)):
            raise TypeError(f"gradients: input {i} is a {type(node).__name__}, not a Value "
                            f"or a Tensor (inputs: {type(given).__name__})")
        if not node.requires_grad:
            raise RuntimeError(f"gradients: input {i} does not require grad, so it has no "
                               "gradient (a constant, or a frozen parameter)")
    if isinstance(output, Tensor):
        seed = output._seed(gradient, create_graph, "gradients")
        if retain_graph is None:
            retain_graph = create_graph
    else:  # a Value's graph is always kept, as by Value.backward
        if create_graph and isinstance(gradient, Value):
            # a node of its own that still depends on the given Value, as a Tensor's
            # seed does: the gradients are then differentiable in it too
            seed = gradient * 1.0
        else:
            seed = 1.0 if gradient is None else _number_seed(gradient)
            if create_graph:
                seed = Value(seed)
        retain_graph = True
    if not allow_unused:  # checked first: backward would free the graph's buffers
        used = {id(node) for node in _graph_nodes([output])}
        for i, node in enumerate(inputs):
            if id(node) not in used:
                raise RuntimeError(f"gradients: input {i} is not used to compute the output "
                                   "(pass allow_unused=True to get None for it)")
    grads = _backward(output, seed, retain_graph=retain_graph, create_graph=create_graph,
                      inputs=inputs, through_inputs=True)
    # A rule on 0-d arrays gives NumPy scalars (np.float64); a Tensor's gradient is an
    # array, as its .grad is.
    return tuple(np.asarray(g) if isinstance(g, np.generic) and isinstance(node, Tensor)
                 else g for g, node in zip(grads, inputs, strict=True))

