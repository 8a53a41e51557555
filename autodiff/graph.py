"""The graph core shared by `Value` and `Tensor`: the node, grad mode, and the one backward engine.

A node is the output of an op. It remembers the op (`_op`), the op's inputs (`_parents`:
nodes, or plain numbers and arrays that were constants) and the op's keyword parameters
(`_ctx`). That is all the engine needs: every op's derivative rule reads the forward
values straight from the graph, so nothing else is saved per node.

`backward` sorts the graph iteratively (no recursion, so any depth works) and applies
each op's rule once per node, in reverse topological order, accumulating the
contributions that reach a node before passing its total on. Rules run on plain floats
and arrays, so first-order backward records nothing; with `create_graph=True` the same
rules run on nodes and the backward pass becomes a graph of its own (higher order).
Only once every rule has run does backward write `.grad` and free the graph, so one that
fails part-way changes nothing.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import weakref
from contextlib import ContextDecorator

import numpy as np

__all__ = [
    "Node",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "backward",
    "toposort",
    "Tracer",
    "set_tracer",
    "Scope",
    "scope",
    "push_scope",
    "pop_scope",
]


# --------------------------------------------------------------------------------------
# Grad mode and tracing: thread-local, so one thread's `no_grad` never silences another's
# graph.
# --------------------------------------------------------------------------------------


class _GradMode(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.saved: list[bool] = []
        self.tracer: Tracer | None = None
        self.scope: Scope | None = None


_grad_mode = _GradMode()


class Tracer:
    """Watches the graph being built and backpropagated (in this thread).

    Debugging tools (anomaly detection, step-through backward) subclass it and install
    it with `set_tracer`. The hot paths only test `tracer is None`.
    """

    def on_create(self, node: Node, op=None) -> None:
        """Called for every node an op creates, recorded in a graph or not; `op` is the
        op that made it (which an unrecorded node, under no_grad, does not keep)."""

    def on_backward(self, node: Node, grad, sent: list) -> None:
        """Called as backward finishes `node`: `grad` is its total incoming gradient,
        `sent` the (parent, gradient) pairs it passed on, in the parents' shapes."""


class Scope:
    """A named region of code (an `nn` module's forward) that nodes remember being made in.

    Drawings group the nodes of one scope into a cluster; scopes nest as modules do.
    """

    __slots__ = ("_label", "owner", "parent")

    def __init__(self, label, owner: object = None, parent: Scope | None = None):
        self._label = label  # a str, or a function giving one (read only when drawn)
        self.owner = owner
        self.parent = parent

    @property
    def label(self) -> str:
        label = self._label
        return label if isinstance(label, str) else label()

    def path(self) -> list[Scope]:
        """This scope and its ancestors, outermost first."""
        chain, scope = [], self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        return chain[::-1]

    def __repr__(self) -> str:
        return " / ".join(s.label for s in self.path())


class scope(ContextDecorator):
    """Nodes created inside `with scope(label, owner):` remember that scope (`node.scope`).

    `nn.Module.__call__` opens one per module call, so drawings can cluster by module.
    """

    def __init__(self, label: str, owner: object = None) -> None:
        self.label = label
        self.owner = owner

    def __enter__(self) -> Scope:
        return push_scope(self.label, self.owner)

    def __exit__(self, *exc: object) -> None:
        _grad_mode.scope = _grad_mode.scope.parent


def push_scope(label, owner: object = None) -> Scope:
    """Open a scope without a `with` block (for hot paths such as `Module.__call__`);
    close it with `pop_scope(returned_scope)`. `label` may be a function giving the
    label, called only if a drawing asks for it."""
    current = Scope(label, owner, _grad_mode.scope)
    _grad_mode.scope = current
    return current


def pop_scope(scope: Scope) -> None:
    """Close `scope` (and any left open inside it)."""
    _grad_mode.scope = scope.parent


def set_tracer(tracer: Tracer | None) -> Tracer | None:
    """Install `tracer` for this thread (None removes it); returns the previous one."""
    previous = _grad_mode.tracer
    _grad_mode.tracer = tracer
    return previous


def is_grad_enabled() -> bool:
    """True unless called inside `no_grad()` (in this thread)."""
    return _grad_mode.enabled


def check_flag(value: object, who: str, name: str) -> bool:
    """`value` as a bool, checked to be one: a truthy str such as "no" would otherwise
    do the opposite of what it says. Errors name the function `who` and argument `name`."""
    if value is True or value is False:  # most calls
        return value
    if not isinstance(value, np.bool_):
        raise TypeError(f"{who}: {name} must be True or False, got {name}={value!r} of "
                        f"type {type(value).__name__}")
    return bool(value)


def mode_wrapper(func, enter, leave):
    """`func` wrapped so that `enter()` runs before its body and `leave(enter's result)`
    after it, also around each resumption of a generator function's body (which runs
    only when the generator is iterated, long after the call that made it returned)."""
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator_in_mode(*args, **kwargs):
            gen = func(*args, **kwargs)  # (runs none of the body yet)
            # Drive the generator by hand: each resumption runs in the mode, and the
            # caller's code between two items runs in its own.
            resume, value = gen.send, None
            while True:
                token = enter()
                try:
                    item = resume(value)
                except StopIteration as stop:
                    return stop.value
                finally:
                    leave(token)
                try:
                    value = yield item
                    resume = gen.send
                except GeneratorExit:
                    token = enter()
                    try:
                        gen.close()
                    finally:
                        leave(token)
                    raise
                except BaseException as error:  # thrown in: the body gets it, in the mode
                    resume, value = gen.throw, error

        return generator_in_mode

    @functools.wraps(func)
    def in_mode(*args, **kwargs):
        token = enter()
        try:
            return func(*args, **kwargs)
        finally:
            leave(token)

    return in_mode


class _SetGradMode:
    # In a `with`, the previous state goes on a per-thread stack rather than on `self`,
    # so one instance may be entered in several threads, or nested.
    _enabled: bool

    def __new__(cls, func=None):
        # `@no_grad` without parentheses, as PyTorch allows: the class is called with
        # the function, and gives the decorated function rather than a mode
        if func is None:  # (the usual call, `with no_grad():`, kept cheap)
            return object.__new__(cls)
        mode = object.__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments, got "
                            f"{type(func).__name__} {func!r} (as a decorator: "
                            f"@{cls.__name__} or @{cls.__name__}())")
        return mode(func)

    def __enter__(self) -> None:
        _grad_mode.saved.append(_grad_mode.enabled)
        _grad_mode.enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = _grad_mode.saved.pop()

    def __call__(self, func):
        # As a decorator, the previous state lives in the wrapper's frame: cheaper than a
        # `with`, and an optimizer's step() pays it on every call.
        enabled = self._enabled
        if inspect.isgeneratorfunction(func):  # the mode holds while its body runs
            def enter():
                previous = _grad_mode.enabled
                _grad_mode.enabled = enabled
                return previous

            def leave(previous):
                _grad_mode.enabled = previous

            return mode_wrapper(func, enter, leave)

        @functools.wraps(func)
        def in_grad_mode(*args, **kwargs):
            mode = _grad_mode
            previous = mode.enabled
            mode.enabled = enabled
            try:
                return func(*args, **kwargs)
            finally:
                mode.enabled = previous

        return in_grad_mode


class no_grad(_SetGradMode):
    """Context manager and decorator under which ops record no graph (in this thread).

    Example::

        with autodiff.no_grad():
            w.data -= lr * w.grad        # not part of any graph

        @autodiff.no_grad          # or @autodiff.no_grad()
        def evaluate(model, x): ...
    """

    _enabled = False


class enable_grad(_SetGradMode):
    """Undo `no_grad` inside its block (context manager and decorator)."""

    _enabled = True


# --------------------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------------------

# States of `Node._pending` during one backward call. Outside backward it is None.
_VISITING = object()  # the sort has entered the node but not finished it
_NO_GRAD = object()  # sorted; no gradient has reached it yet
_DONE = object()  # backward without `.grad` writes has used and dropped its gradient

class _Released:
    """The one `RELEASED` marker, which stays itself through copy and pickle (a plain
    object() would come back as another object, and a copied graph would no longer be
    recognized as freed)."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "RELEASED"  # by name: copy and pickle give back the module's own marker

    def __repr__(self) -> str:
        return "<released>"


# `_ctx` of a node whose backward buffers were freed (backward without retain_graph).
RELEASED = _Released()


class ReleasedParams(dict):
    """`_ctx` of a built-in op's node after a backward without retain_graph: the op's
    parameters (axis, slope, shape...), kept so that drawings and debugging tools can
    still show them, while a second backward raises as for `RELEASED`."""

    __slots__ = ()


def is_released(ctx) -> bool:
    """Whether `ctx` is a node's backward state that an earlier backward freed."""
    return ctx is RELEASED or type(ctx) is ReleasedParams


class Elsewhere:
    """A name another library uses (micrograd's `_prev`, PyTorch's `grad_fn`) that this
    one spells otherwise: reading it raises the AttributeError of a missing attribute,
    with a pointer to ours. Not a property: a subclass's instances may still set it."""

    def __init__(self, kind: str, name: str, hint: str) -> None:
        self.kind, self.name, self.hint = kind, name, hint
        self.__doc__ = f"Not here: {hint}."

    def __get__(self, node, owner=None):
        if node is None:  # (the class's own attribute: help() and the like)
            return self
        raise AttributeError(f"{self.kind!r} object has no attribute {self.name!r}; "
                             f"{self.hint}")


class Node:
    """One node of a computation graph; `Value` and `Tensor` are its two kinds.

    Attributes:
        data: the forward value (a float for Value, an ndarray for Tensor).
        grad: the accumulated gradient of whatever `backward()` was called on.
        label: a name for drawings and reprs.
    """

    # `_pending` holds the gradient flowing into the node during one backward call and
    # doubles as the sort's visit mark, so backward needs no per-node dict or set.
    # __weakref__: debugging tools (detect_anomaly) keep notes on nodes without keeping
    # the nodes, and so their graphs and arrays, alive.
    __slots__ = ("data", "grad", "label", "_op", "_parents", "_ctx", "_pending", "_scope",
                 "__weakref__")

    #: kind-specific hooks, set by Value and Tensor
    _math: object  # the numeric namespace the op rules run on in first-order backward
    requires_grad: bool
    _requires_grad: bool  # the same, read without a property call where it is hot

    @property
    def op(self) -> str:
        """The name of the op that made this node ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def scope(self) -> Scope | None:
        """The innermost `scope` (e.g. an nn module's call) this node was made in."""
        return self._scope

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def parents(self) -> tuple[Node, ...]:
        """The nodes this one was computed from (constants left out)."""
        return tuple(p for p in self._parents if isinstance(p, Node))

    # Kind-specific parts of backward; see Value and Tensor.
    _grad_is_number = False  # Value: `.grad + g` is all accumulation takes
    # Called with the sorted graph before any rule runs, and may raise to stop backward
    # (Tensor: the test for in-place changes since the ops ran); None: nothing to check.
    _check_before_backward = None

    def _added_grad(self, g: object, owned: set[int]) -> object:
        """What `.grad` becomes when `g` is added to it (not written here)."""
        raise NotImplementedError

    _fit_grad = None  # Tensor: reduce a broadcast gradient to the parent's shape/dtype

    # Copies and pickles of graphs of any depth. Python's own copy and pickle recurse
    # once per node into the nodes its state holds (its parents; its .grad, itself a
    # node of the backward graph after backward(create_graph=True)), and exceeded the
    # recursion limit about 100 ops deep (a micrograd-style sum of 150 losses, a model
    # keeping its output). Here the nodes connected to the one met first are made empty
    # first, all of them, and only then given their states, which so find every node
    # they hold already made.

    def __copy__(self) -> Node:
        # the same parents, data and gradient, as a new node (not a walk of the graph)
        func, args, state, *_ = object.__reduce_ex__(self, 4)
        twin = func(*args)
        _set_state(twin, state)
        return twin

    def __deepcopy__(self, memo: dict) -> Node:
        nodes = _connected(self, memo)
        for node in nodes:  # every twin first, empty, so that no state recurses into one
            func, args, *_ = object.__reduce_ex__(node, 4)
            memo[id(node)] = func(*args)
        for node in nodes:
            state = object.__reduce_ex__(node, 4)[2]
            _set_state(memo[id(node)], copy.deepcopy(state, memo))
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        func, args, state, *rest = object.__reduce_ex__(self, protocol)
        claimed = _claimed()
        if id(self) in claimed:  # made empty here; its state comes with the first node's
            return func, args
        # The first node met: every node connected to it not yet claimed is pickled
        # empty in its arguments, and their states in its own, after them.
        others = [n for n in _connected(self, claimed) if n is not self]
        ids = [id(n) for n in others]
        claimed.update(ids)
        claimed.add(id(self))
        states = [(n, object.__reduce_ex__(n, protocol)[2]) for n in others]
        return (_made_after, (func, args, others, _Unclaim(ids + [id(self)])),
                (state, states), None, None, _set_states)


class _Claimed(threading.local):
    def __init__(self) -> None:
        self.ids: set[int] = set()  # nodes being pickled empty, their states to follow


_claims = _Claimed()


def _claimed() -> set[int]:
    return _claims.ids


class _Unclaim:
    """Pickled after the empty nodes it follows (a pickle made them, so later mentions
    find them), it releases their claims; as does its collection, should pickling fail
    before it."""

    __slots__ = ("ids", "__weakref__")

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        weakref.finalize(self, _unclaim, ids)

    def __reduce__(self):
        _unclaim(self.ids)
        return int, ()  # unpickled as 0, which _made_after ignores


def _unclaim(ids: list[int]) -> None:
    _claimed().difference_update(ids)


def _made_after(func, args, others, end):
    """Unpickling: the first node met, made (empty) once the others were."""
    return func(*args)


def _set_states(node: Node, states) -> None:
    """Unpickling: the first node's state, and those of the nodes made with it."""
    own, others = states
    for other, state in others:
        _set_state(other, state)
    _set_state(node, own)


def _set_state(node: Node, state) -> None:
    if hasattr(node, "__setstate__"):
        node.__setstate__(state)
        return
    # object's own rule: (instance dict or None, slot values or None)
    dict_state, slot_state = state if isinstance(state, tuple) else (state, None)
    for table in (dict_state, slot_state):
        for name, value in (table or {}).items():
            setattr(node, name, value)


def _connected(root: Node, skip) -> list[Node]:
    """The nodes reachable from `root` (root included) through parents and through
    gradients that are nodes, except those whose id is in `skip`."""
    found, stack = {id(root): root}, [root]
    while stack:
        node = stack.pop()
        grad = node.grad
        for other in (*node._parents, grad) if isinstance(grad, Node) else node._parents:
            if isinstance(other, Node) and id(other) not in found and id(other) not in skip:
                found[id(other)] = other
                stack.append(other)
    return list(found.values())


# --------------------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------------------


_NOWHERE: frozenset[int] = frozenset()  # no node to stop at


def toposort(root: Node, stop_at: frozenset[int] = _NOWHERE,
             order: list[Node] | None = None) -> list[Node]:
    """Nodes reachable from `root` that require grad, each after all of its parents
    (appended to `order`, if given, and returned).

    Iterative depth-first search: a node is finished only after every parent it pushed
    is finished; a leaf, having no parents, is finished as soon as it is found, without
    going on the stack. A node may sit on the stack more than once (once per child that
    found it unvisited); the later copies are skipped. Nodes whose id is in `stop_at`
    are treated as leaves. Marks nodes' `_pending` as `_NO_GRAD`: the caller must reset
    it, for every node of `order`. If the sort itself is interrupted (Ctrl-C), it resets
    the nodes it had not put in `order` yet, so that the caller's reset of `order`
    leaves no mark behind: a marked node would be skipped by every later backward.
    """
    if order is None:
        order = []
    stack = [root]
    # locals for the names used once per node (a measurable share of backward's time)
    append, push, pop = order.append, stack.append, stack.pop
    visiting, sorted_, node_type = _VISITING, _NO_GRAD, Node
    try:
        while stack:
            node = stack[-1]
            state = node._pending
            if state is None:
                node._pending = visiting
                if not stop_at or id(node) not in stop_at:
                    # reversed, so that backward visits sibling leaves in argument order
                    for parent in reversed(node._parents):
                        if (
                            isinstance(parent, node_type)
                            and parent._pending is None
                            and parent._requires_grad
                        ):
                            if parent._op is None:  # a leaf: finished at once
                                append(parent)  # (in order before marked: see above)
                                parent._pending = sorted_
                            else:
                                push(parent)
            else:
                if state is visiting:
                    node._pending = sorted_
                    append(node)
                pop()  # (after: a marked node is always on the stack or in order)
    except BaseException:
        for node in stack:  # marked by this sort (a node is pushed only unmarked)
            node._pending = None
        raise
    return order


# --------------------------------------------------------------------------------------
# The backward engine
# --------------------------------------------------------------------------------------

# In-place changes to tensors (under no_grad(), an optimizer's step, a state load) are
# stamped on one clock, and each tensor carries the clock's value when it was made and
# when it last changed: backward can then tell that a tensor an op used has changed
# since the op ran, which would make its gradient silently wrong (PyTorch's version
# counters).
_changes = [0]


def mark_changed(tensor) -> None:
    """Stamp `tensor` as changed in place just now, and the memory it shares with its
    views (a Tensor's `_memory`), whose data changed too."""
    _changes[0] += 1
    tensor._version = _changes[0]
    memory = getattr(tensor, "_memory", None)
    if memory is not None:
        memory.stamp(tensor.data, _changes[0])


# One backward at a time: `_pending` lives on the nodes, and two threads may share them
# (a model's parameters). Re-entrant, since a rule under create_graph may build graphs.
_engine_lock = threading.RLock()


def backward(
    root: Node,
    seed: object,
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: list[Node] | None = None,
    through_inputs: bool = False,
) -> list[object] | None:
    """Backpropagate `seed` (d root / d root) through the graph of `root`.

    Without `inputs`, adds each node's gradient to its `.grad` (intermediate nodes
    included) and returns None. With `inputs`, touches no `.grad`, stops at those nodes
    and returns their gradients (None where no path leads to them); with
    `through_inputs`, it goes on through an input to the inputs it was computed from,
    so that each one's gradient is whole (PyTorch's autograd.grad).

    With `create_graph`, the rules run on nodes under grad mode, so the gradients are
    nodes that can be differentiated again; otherwise they run on plain data.
    Without `retain_graph`, each node's backward state is released afterwards, and a
    second backward through it raises RuntimeError.

    All or nothing: `.grad` and the graph change only once every rule has run, so a rule
    that raises (or a tracer that stops backward) leaves them as they were. An interrupt
    (Ctrl-C) before the writes leaves them as they were too; one during the writes lets
    them finish before it is raised.

    Before any rule runs, the root's kind may check the sorted graph and raise (a
    Tensor's test for in-place changes).
    """
    stop_at = frozenset(map(id, inputs)) if inputs is not None else _NOWHERE
    results: dict[int, object] = {}
    with _engine_lock:
        order: list[Node] = []
        try:
            toposort(root, _NOWHERE if through_inputs else stop_at, order)
            if inputs:  # (backward_steps passes none: every node, no .grad written)
                order = _on_paths_to(order, stop_at)
                if not order:  # root reaches none of the inputs
                    return [None] * len(inputs)
            check = root._check_before_backward
            if check is not None:
                check(order)
            if create_graph:
                with enable_grad():  # .grad's sums must be recorded too
                    _run(order, root, seed, True, inputs, stop_at, results, through_inputs)
                    _commit(order, inputs is None, retain_graph)
            else:
                _run(order, root, seed, False, inputs, stop_at, results, through_inputs)
                _commit(order, inputs is None, retain_graph)
        except BaseException:
            # From the sort or a rule, nothing was written yet, so clearing the marks
            # undoes it all; from _commit (a `.grad` the user set to a wrong shape), the
            # marks must go anyway. A node left marked would be skipped by every later
            # backward, so this also runs for Ctrl-C.
            for node in order:
                node._pending = None
            raise
    if inputs is None:
        return None
    return [results.get(id(node)) for node in inputs]


def _on_paths_to(order: list, stop_at: frozenset) -> list:
    """The nodes of `order` (parents first) from which a path leads to a node in
    `stop_at`; the others are unmarked, so backward neither runs their rules nor sends
    them gradients. A functional call (grad, jacobian, vjp) then costs the paths to its
    inputs only, not the whole of a graph its function closes over, which an earlier
    backward may also have freed."""
    leads: set[int] = set(stop_at)
    kept = []
    for node in order:
        if id(node) in leads or any(id(p) in leads for p in node._parents
                                    if isinstance(p, Node)):
            leads.add(id(node))
            kept.append(node)
        else:
            node._pending = None
    return kept


def _run(order, root, seed, create_graph, inputs, stop_at, results, through_inputs=False):
    """Apply the chain rule over `order`, children first. Each node's total gradient
    stays in its `_pending` for `_commit` (or, with `inputs`, goes to `results`)."""
    # The loop below runs once per node of every backward, so it keeps globals in
    # locals and takes a short path for the common case (a built-in op without
    # parameters, first order, no tracer): Python pays for every lookup here.
    root._pending = seed
    write_grads = inputs is None
    tracer = _grad_mode.tracer
    no_grad, done, node_type, data_of = _NO_GRAD, _DONE, Node, _data_of
    for node in reversed(order):
        # The children of a node come before it here, so no gradient reaches it later:
        # its `_pending` is final. Only its parents' `_pending` is read from now on.
        g = node._pending
        if g is no_grad:
            continue
        if not write_grads:
            if id(node) in stop_at:
                results[id(node)] = g
                if not through_inputs:  # treated as a leaf: backward does not pass through
                    node._pending = no_grad
                    continue
            node._pending = done  # nothing keeps g: free it now rather than at the end
        op = node._op
        if op is None:
            if tracer is not None:
                tracer.on_backward(node, g, [])
            continue
        ctx = node._ctx
        parents = node._parents
        try:
            if ctx is None and op.plain and not create_graph:
                if len(parents) == 2:  # most nodes: _data_of, unrolled once more
                    a, b = parents
                    grads = op.backward(node._math, g, node.data,
                                        a.data if isinstance(a, node_type) else a,
                                        b.data if isinstance(b, node_type) else b)
                else:
                    grads = op.backward(node._math, g, node.data, *data_of(parents))
            else:
                if is_released(ctx):
                    raise RuntimeError(_second_backward_message(op, node, root))
                grads = _rule(op, node, g, ctx, parents, create_graph)
        except (ArithmeticError, ValueError) as error:
            raise _in_backward_of(op, error, node) from error
        # Pass each input its share: add it to the input's `_pending`, after `fit` (a
        # Tensor's reduction of a broadcast gradient) where the kind has one.
        fit = node._fit_grad
        if tracer is None and len(parents) == 2 and len(grads) == 2:
            # most nodes: the loop below unrolled for two inputs, which takes a quarter
            # off a Value node's backward (no zip object, no loop)
            a, b = parents
            ga, gb = grads
            if ga is not None and isinstance(a, node_type):
                pending = a._pending
                if pending is not None:  # else a constant or outside this backward
                    if fit is not None:
                        ga = fit(ga, a)
                    a._pending = ga if pending is no_grad else pending + ga
            if gb is not None and isinstance(b, node_type):
                pending = b._pending
                if pending is not None:
                    if fit is not None:
                        gb = fit(gb, b)
                    b._pending = gb if pending is no_grad else pending + gb
        elif tracer is None and len(parents) == 1 and len(grads) == 1:  # and for one
            (a,), (ga,) = parents, grads
            if ga is not None and isinstance(a, node_type):
                pending = a._pending
                if pending is not None:
                    if fit is not None:
                        ga = fit(ga, a)
                    a._pending = ga if pending is no_grad else pending + ga
        elif tracer is None:
            for parent, pg in zip(parents, grads, strict=True):
                if pg is not None and isinstance(parent, node_type):
                    pending = parent._pending
                    if pending is not None:
                        if fit is not None:
                            pg = fit(pg, parent)
                        parent._pending = pg if pending is no_grad else pending + pg
        else:  # the same, telling the tracer what went where
            sent = []
            for parent, pg in zip(parents, grads, strict=True):
                if pg is not None and isinstance(parent, node_type):
                    pending = parent._pending
                    if pending is not None:
                        if fit is not None:
                            pg = fit(pg, parent)
                        sent.append((parent, pg))
                        parent._pending = pg if pending is no_grad else pending + pg
            tracer.on_backward(node, g, sent)


def _commit(order, write_grads, retain_graph):
    """After every rule has run: add each node's total gradient to its `.grad`, free
    what backward needed (a second pass then raises) unless retained, clear the marks.

    In two passes, so that a `.grad` that cannot take its gradient (one set by hand to
    another shape) raises before anything is written: the first computes every new
    `.grad` into `_pending`, the second only assigns.
    """
    no_grad = _NO_GRAD
    # (A node whose `_pending` is still no_grad was not reached: backward did not pass
    # through it.)
    if write_grads and order and order[0]._grad_is_number:  # Values: kinds never mix
        try:
            for node in order:
                g = node._pending
                if g is not no_grad:
                    node._pending = node.grad + g
        except TypeError:
            raise TypeError(f"backward: cannot add the gradient {g!r} to the .grad "
                            f"{node.grad!r} of {node!r}: a Value's .grad must be a "
                            "number (zero_grad() sets it to 0.0)") from None
    elif write_grads:
        owned: set[int] = set()  # ids of gradient arrays already kept for some `.grad`
        for node in order:
            g = node._pending
            if g is not no_grad:
                node._pending = node._added_grad(g, owned)
    try:
        _write(order, write_grads, retain_graph)
    except BaseException:
        # Interrupted (Ctrl-C) halfway through the writes: finish them, so that the
        # backward is done whole rather than half (a retry would count some twice).
        _write(order, write_grads, retain_graph)
        raise


def _write(order, write_grads, retain_graph):
    """The second pass of `_commit`: each node's `.grad`, then its buffers released,
    then its mark cleared, in that order, so that running it again after an interrupt
    finishes exactly the nodes that were not done."""
    no_grad, released = _NO_GRAD, RELEASED
    for node in order:
        g = node._pending
        if g is None:  # done by an interrupted first run
            continue
        if g is not no_grad:
            if write_grads:
                node.grad = g
            if not retain_graph and node._op is not None:
                ctx = node._ctx
                if ctx is None:
                    node._ctx = released
                elif type(ctx) is dict:  # parameters, not buffers: kept for drawings
                    node._ctx = ReleasedParams(ctx)
                elif ctx is not released and type(ctx) is not ReleasedParams:
                    ctx._release()  # a Function's Context
                    node._ctx = released
        node._pending = None


def _rule(op, node, g, ctx, parents, create_graph):
    """Apply `op`'s derivative rule at `node` (the general case of `_run`)."""
    if op.is_function:  # a user-defined autodiff.Function
        return op._vjp(ctx, g, create_graph, parents)
    if create_graph:
        xp, out, args = node._graph_math, node, parents
    else:
        xp, out, args = node._math, node.data, _data_of(parents)
    if op.needs_input_grad:
        needs = [isinstance(p, Node) and p._pending is not None for p in parents]
        return op.backward(xp, g, out, *args, needs=needs, **(ctx or {}))
    if ctx is None:
        return op.backward(xp, g, out, *args)
    return op.backward(xp, g, out, *args, **ctx)


def _in_backward_of(op, error: Exception, node: Node) -> Exception:
    """`error` again, its message saying which op's derivative raised it, and, for a
    Value's arithmetic error, at which inputs and what it means there."""
    message = f"backward of '{op.name}': {error}"
    if node._grad_is_number and isinstance(error, (ZeroDivisionError, OverflowError)):
        # (the forward ran, so the failed step is the derivative's own: sqrt's at 0, or
        # x ** 0.5's, divides by zero)
        at = ", ".join(repr(p.data if isinstance(p, Node) else p) for p in node._parents)
        meaning = ("infinite" if isinstance(error, ZeroDivisionError)
                   else "larger than the largest float")
        message = (f"backward of '{op.name}' at {at}: the derivative is {meaning} there "
                   f"(computing it: {error})")
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor wants more than a message
        return error


def _second_backward_message(op, node: Node, root: Node) -> str:
    """Why backward met a node an earlier backward freed, and what to do."""
    message = (f"backward through the graph a second time: the buffers of op "
               f"'{op.name}' were freed by the first backward(). Pass retain_graph=True "
               "to the first backward() to keep them.")
    if node is root or is_released(root._ctx):
        return message  # the same graph twice
    # A new graph on top of a freed one: most often a parameter rebound to an op's
    # result in a training loop, where retain_graph=True would make every backward
    # walk all the steps before it.
    return message + (
        " But if the freed part comes from an earlier training step (after "
        "`w = w - lr * w.grad`, w is that op's result, no longer a leaf, and each "
        "step's graph hangs on the ones before), update in place instead: `with "
        "autodiff.no_grad(): w -= lr * w.grad`, or start the next step from "
        "`w = w.detach()` with `w.requires_grad = True`.")


def _data_of(parents: tuple) -> tuple | list:
    """The forward values of an op's inputs (constants are their own values)."""
    # Unrolled for the one- and two-input ops that make up most nodes: this runs once
    # per node of every backward, and a list comprehension costs twice as much.
    if len(parents) == 2:
        a, b = parents
        return (a.data if isinstance(a, Node) else a, b.data if isinstance(b, Node) else b)
    if len(parents) == 1:
        a = parents[0]
        return (a.data if isinstance(a, Node) else a,)
    return [p.data if isinstance(p, Node) else p for p in parents]
