"""The graph core: depth, sorting, no_grad and its threads, tracing, scopes."""

from __future__ import annotations

import copy
import pickle
import sys
import threading

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, enable_grad, is_grad_enabled, no_grad
from autodiff.graph import Tracer, scope, set_tracer, toposort


def test_a_chain_of_a_million_ops_backpropagates_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    y.backward()
    assert x.grad == pytest.approx(1.000001**1_000_000, rel=1e-9)


def test_builtin_sum_of_a_million_values_backpropagates():
    xs = [Value(1.0) for _ in range(1_000_000)]
    total = sum(xs)
    total.backward()
    assert total.data == 1_000_000.0
    assert xs[0].grad == 1.0 and xs[-1].grad == 1.0


def test_deep_tensor_chain():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    y.sum().backward()
    assert np.array_equal(x.grad, [1.0, 1.0])


def test_toposort_puts_every_node_after_its_parents_on_diamonds():
    # a -> b, a -> c, b -> c: the case that breaks sorts that mark nodes on push
    a = Value(1.0)
    b = a * 2
    c = a + b
    d = c * b
    order = toposort(d)
    for node in order:
        node._pending = None  # toposort leaves marks for backward to clear
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert len(order) == 4


def test_diamond_gradients():
    a = Value(3.0)
    b = a * 2  # 6
    c = a + b  # 9
    d = c * b  # 54;  dd/da = b * dc/da + c * db/da = 6 * 3 + 9 * 2
    d.backward()
    assert a.grad == 36.0


def test_a_graph_only_partly_requiring_grad():
    w = Tensor(np.array([2.0]), requires_grad=True)
    x = Tensor(np.array([3.0]))  # a constant
    y = (w * x + x * x).sum()
    y.backward()
    assert np.array_equal(w.grad, [3.0])
    assert x.grad is None


# --------------------------------------------------------------------------------------
# no_grad
# --------------------------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores():
    a = Value(2.0)
    assert autodiff.is_grad_enabled()
    with no_grad():
        assert not autodiff.is_grad_enabled()
        b = a * 3
        with autodiff.enable_grad():
            c = a * 4
        d = a * 5
    assert autodiff.is_grad_enabled()
    assert b.op == "" and b.parents == () and d.parents == ()
    assert c.op == "*" and c.parents == (a,)
    t = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        u = t * 2
    assert not u.requires_grad and u.op == ""


def test_no_grad_as_a_decorator_and_nested():
    @no_grad()
    def step(v):
        assert not autodiff.is_grad_enabled()
        with no_grad():
            pass
        assert not autodiff.is_grad_enabled()
        return v * 2

    result = step(Value(1.0))
    assert result.op == "" and autodiff.is_grad_enabled()


def test_no_grad_and_enable_grad_decorate_without_parentheses_too():
    # as in PyTorch: `@no_grad` gave "no_grad() takes no arguments"
    @no_grad
    def evaluate(v):
        """Evaluate."""
        assert not autodiff.is_grad_enabled()

        @autodiff.enable_grad
        def inner():
            return autodiff.is_grad_enabled()

        return v * 2, inner()

    result, inner_enabled = evaluate(Value(1.0))
    assert result.op == "" and inner_enabled and autodiff.is_grad_enabled()
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "Evaluate."
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments, got int 3"):
        no_grad(3)


def test_no_grad_and_enable_grad_hold_while_a_decorated_generator_runs():
    # The wrapper returned the generator object before its body ran, so the body ran
    # in the caller's mode: a no_grad generator recorded a graph (PyTorch wraps them)
    seen = []

    @no_grad()
    def predictions(n):
        for i in range(n):
            seen.append(is_grad_enabled())
            reply = yield Value(2.0) * i
            seen.append(reply)
        return "done"

    gen = predictions(2)
    first = next(gen)
    assert first.op == "" and is_grad_enabled()  # a constant; the caller's mode back
    assert gen.send("r").op == ""
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == "done" and seen == [False, "r", False, None]

    @enable_grad
    def recorded():
        yield Value(2.0) * 3
    with no_grad():
        assert [v.op for v in recorded()] == ["*"] and not is_grad_enabled()

    def handles():
        try:
            yield 1
        except KeyError:
            yield is_grad_enabled()  # the thrown error reaches the body, in the mode
    gen = no_grad()(handles)()
    next(gen)
    assert gen.throw(KeyError("k")) is False and is_grad_enabled()
    gen.close()
    assert is_grad_enabled() and predictions.__name__ == "predictions"


def test_no_grad_is_thread_local():
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def silent():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["silent"] = (Value(1.0) * 2).op

    def recording():
        inside.wait(5)
        seen["recording_enabled"] = autodiff.is_grad_enabled()
        seen["recording"] = (Value(1.0) * 2).op
        release.set()

    threads = [threading.Thread(target=silent), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"silent": "", "recording_enabled": True, "recording": "*"}


def test_one_decorated_function_used_by_two_threads_at_once():
    barrier = threading.Barrier(2)
    states = []

    @no_grad()
    def work():
        barrier.wait(5)  # both threads inside the decorator at the same time
        states.append(autodiff.is_grad_enabled())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert states == [False, False]
    assert autodiff.is_grad_enabled()


def test_backward_from_two_threads_on_a_shared_parameter():
    w = Value(2.0)
    errors = []

    def work():
        try:
            for _ in range(200):
                (w * w * 3).backward()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert w.grad == pytest.approx(400 * 12.0)


# --------------------------------------------------------------------------------------
# Tracing hooks and scopes (used by the debugging tools)
# --------------------------------------------------------------------------------------


class _Recorder(Tracer):
    def __init__(self):
        self.created, self.visited = [], []

    def on_create(self, node, op=None):
        self.created.append(node.op)

    def on_backward(self, node, grad, sent):
        self.visited.append((node.label or node.op, grad, [(p.label, g) for p, g in sent]))


def test_tracer_sees_creation_and_backward_in_order():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    recorder = _Recorder()
    previous = set_tracer(recorder)
    try:
        c = a * b
        c.label = "c"
        d = c + a
        d.label = "d"
        d.backward()
    finally:
        set_tracer(previous)
    assert recorder.created == ["*", "+"]
    assert [v[0] for v in recorder.visited] == ["d", "c", "b", "a"]
    assert recorder.visited[0] == ("d", 1.0, [("c", 1.0), ("a", 1.0)])
    assert recorder.visited[1] == ("c", 1.0, [("a", 3.0), ("b", 2.0)])
    # the contributions add up to the final grads
    assert a.grad == 1.0 + 3.0 and b.grad == 2.0


def test_a_tracer_that_stops_backward_leaves_every_grad_as_it_was():
    class StopAtTheLeaf(Tracer):
        def on_backward(self, node, grad, sent):
            if node.label == "a":
                raise KeyboardInterrupt  # as if the user pressed Ctrl-C in a debugger

    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    b.grad = 1.5
    c = a * b + b
    previous = set_tracer(StopAtTheLeaf())
    try:
        with pytest.raises(KeyboardInterrupt):
            c.backward()
    finally:
        set_tracer(previous)
    assert (a.grad, b.grad, c.grad) == (0.0, 1.5, 0.0)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (3.0, 1.5 + 3.0, 1.0)


def test_a_grad_of_the_wrong_shape_raises_before_any_grad_is_written():
    w, x = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    x.grad = np.zeros(2)  # set by hand, to the wrong shape
    y = (x * w).sum()
    with pytest.raises(ValueError, match=r"shape \(3,\) to the \.grad of shape \(2,\)"):
        y.backward()
    assert w.grad is None and y.grad is None  # written before x's in the old commit
    x.grad = None
    y.backward()  # the graph was not freed either, and counts once
    np.testing.assert_array_equal(w.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


def test_a_value_grad_that_is_not_a_number_raises_and_writes_nothing():
    a, b = Value(1.0), Value(2.0)
    out = a * b + a
    b.grad = None  # as one might in PyTorch
    with pytest.raises(TypeError, match="a Value's .grad must be a number"):
        out.backward()
    assert (a.grad, out.grad) == (0.0, 0.0)
    b.grad = 0.0
    out.backward()
    assert (a.grad, b.grad, out.grad) == (3.0, 1.0, 1.0)


def test_backward_stopping_at_an_intermediate_node_leaves_its_graph_usable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    (dh,) = autodiff.graph.backward((h * h).sum(), np.ones(()), retain_graph=False,
                                    create_graph=False, inputs=[h])
    np.testing.assert_array_equal(dh, [6.0, 12.0])
    h.sum().backward()  # the stop was not passed through, so h's own op was not freed
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_nodes_remember_their_scope():
    a = Value(1.0)
    with scope("outer") as outer:
        b = a * 2
        with scope("inner"):
            c = b + 1
    d = c * 3
    assert a.scope is None and d.scope is None
    assert b.scope is outer
    assert [s.label for s in c.scope.path()] == ["outer", "inner"]



def test_backward_with_create_graph_records_even_under_no_grad():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x ** 3).sum()
    with no_grad():
        y.backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad  # d/dx = 3 x^2, a graph
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, [12.0])


def _engine_functions():
    graph = sys.modules["autodiff.graph"]  # (autodiff.graph is not the module)
    return {f.__code__ for f in (graph.toposort, graph.backward, graph._on_paths_to,
                                 graph._run, graph._commit, graph._write)}


def _interrupted(run, point: int) -> bool:
    """Run `run()` with a KeyboardInterrupt raised at the `point`-th line the backward
    engine executes (as Ctrl-C may land there); True if it landed before the end."""
    watched, seen = _engine_functions(), [0]

    def trace(frame, event, arg):
        if frame.f_code not in watched:
            return None

        def line(frame, event, arg):
            if event == "line":
                seen[0] += 1
                if seen[0] == point:
                    raise KeyboardInterrupt
            return line
        return line

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        run()
        return False
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(previous)


@pytest.mark.parametrize("kind", ["Value", "Tensor", "grad"])
def test_ctrl_c_at_any_point_of_backward_leaves_no_node_marked(kind):
    # A KeyboardInterrupt can land between any two lines of the engine. Whatever it
    # interrupts (the sort, a rule, the commit), no node may keep backward's mark:
    # a marked parameter would be skipped by every later backward, silently.
    if kind == "Tensor":
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
        y = ((x * w).tanh() * x + w).sum()
    else:
        x, w = Value(1.0), Value(0.5)
        y = (x * w).tanh() * x + w
    if kind == "grad":
        def run():
            autodiff.grad(lambda x, w: (x * w).tanh() * x + w, argnums=(0, 1))(x, w)
    elif kind == "Tensor":
        def run():
            y.backward(retain_graph=True)
    else:
        run = y.backward  # a Value graph is always kept (micrograd's rule)
    nodes = autodiff.viz._collect(y) + [x, w]
    point = 0
    while _interrupted(run, point := point + 1):  # one line later each time, to the end
        marked = [n for n in nodes if n._pending is not None]
        assert not marked, f"interrupted at line {point}: {len(marked)} nodes still marked"
    assert point > 20  # the walk went through the engine
    x.grad = w.grad = None if kind == "Tensor" else 0.0
    if kind != "grad":
        y.backward()
        assert x.grad is not None and np.all(np.asarray(x.grad) != 0)


def test_ctrl_c_at_any_point_of_backward_gives_all_or_nothing():
    # Interrupted before the writes, no .grad has changed; interrupted during them, the
    # writes are finished: never a half-written backward that a retry would count twice.
    def graph():
        w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
        b = Tensor(np.array([0.1, 0.2]), requires_grad=True)
        hidden = (w * np.array([1.0, 2.0]) + b).tanh()
        return w, b, hidden, (hidden * hidden).sum()

    *leaves, loss = graph()
    loss.backward()
    expected = [t.grad for t in leaves]
    point, interrupted = 0, True
    while interrupted:
        point += 1
        *leaves, loss = graph()
        interrupted = _interrupted(loss.backward, point)
        if all(t.grad is None for t in leaves):  # nothing: the graph is as it was
            loss.backward()
        for t, want in zip(leaves, expected, strict=True):  # all, once
            np.testing.assert_array_equal(t.grad, want, err_msg=f"interrupt at {point}")
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            loss.backward()  # and the buffers were released once
    assert point > 20


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_graph_that_backward_freed_still_says_retain_graph(how):
    import copy
    import pickle

    x = Tensor(np.array([0.5]), requires_grad=True)
    loss = x.tanh() * x  # ops without parameters, whose freed state is the marker itself
    loss.backward()
    copied = copy.deepcopy(loss) if how == "deepcopy" else pickle.loads(pickle.dumps(loss))
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        copied.backward()


def test_create_graph_records_the_sum_into_an_existing_grad_even_under_no_grad():
    # kills: _commit moved out of enable_grad() in backward's create_graph branch
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x ** 3).sum()
    with no_grad():
        y.backward(create_graph=True, retain_graph=True)
        y.backward(create_graph=True)  # x.grad = 12 + 12, a sum that must be recorded
    assert x.grad.requires_grad and x.grad.op == "+"
    g = x.grad
    x.grad = None
    g.sum().backward()  # d/dx of 2 * 3x^2 = 12x
    np.testing.assert_allclose(x.grad, [24.0])


def _changes_between_forward_and_backward():
    """(name, change) pairs: ways to change w in place after the loss was computed."""
    def update(w):
        with no_grad():
            w -= 0.1

    def assign(w):
        with no_grad():
            w[0] = 5.0

    return [("in-place operator", update), ("item assignment", assign)]


@pytest.mark.parametrize("name, change", _changes_between_forward_and_backward())
def test_a_tensor_changed_in_place_after_the_loss_was_computed_is_detected(name, change):
    # PyTorch's version counters: the op saved w, so backward would use the new values
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)
    loss = (w * x).sum()
    change(w)
    with pytest.raises(RuntimeError, match=r"a tensor of shape \(3,\) that op '\*' uses was "
                                           r"changed in place after the op ran"):
        loss.backward()
    assert w.grad is None and x.grad is None  # nothing written
    (w * x).sum().backward()  # computed again: fine
    np.testing.assert_array_equal(x.grad, w.data)


def test_changes_that_no_graph_needs_raise_nothing():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    other = Tensor(np.zeros(2))
    loss = (w * w).sum()
    with no_grad():
        other += 1  # not in loss's graph
    loss.backward()
    with no_grad():
        w -= 0.1 * w.grad  # after backward: the usual update
    (w * w).sum().backward()  # a new graph of the new values
    np.testing.assert_allclose(w.grad, 2 * np.array([1.0, 2.0]) + 2 * np.array([0.8, 1.6]))


@pytest.mark.parametrize("name, change", _changes_between_forward_and_backward())
def test_a_change_between_an_op_and_the_loss_computed_from_it_is_detected(name, change):
    # the loss is made after the change, but the op '*' before it saved the old w
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)
    y = w * x
    change(w)
    loss = y.sum()
    with pytest.raises(RuntimeError, match=r"op '\*' uses was changed in place"):
        loss.backward()
    assert w.grad is None and x.grad is None and y.grad is None  # nothing written


def test_an_output_reused_after_an_optimizer_step_is_detected():
    # the GAN pitfall: D's output serves two losses, and D's step comes between them
    nn = pytest.importorskip("nn")
    critic = nn.Linear(3, 1, seed=0)
    optimizer = nn.optim.SGD(critic.parameters(), lr=0.1)
    fake = Tensor(np.ones((2, 3)), requires_grad=True)
    out = critic(fake)
    out.sum().backward(retain_graph=True)
    optimizer.step()
    first = fake.grad.copy()
    with pytest.raises(RuntimeError, match=r"a tensor 'weight' of shape \(1, 3\) that op "
                                           r"'linear' \(in Linear\(3 -> 1\)\) uses"):
        (2 * out).sum().backward()
    np.testing.assert_array_equal(fake.grad, first)  # nothing added


def test_a_constant_input_changed_before_the_loss_is_detected():
    # a batch buffer refilled in place: the product saved it for w's gradient
    batch = Tensor(np.array([[1.0, 2.0]]))
    w = Tensor(np.array([[0.5], [0.5]]), requires_grad=True)
    hidden = batch @ w
    with no_grad():
        batch[0, 0] = 10.0
    with pytest.raises(RuntimeError, match=r"shape \(1, 2\) that op '@' uses"):
        hidden.sum().backward()


def test_a_change_outside_the_graph_after_its_ops_ran_raises_nothing():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    other = Tensor(np.zeros(2), requires_grad=True)
    y = w * w
    with no_grad():
        other += 1  # after y's op, but y does not use it
    (y * 3).sum().backward()
    np.testing.assert_allclose(w.grad, 6 * w.data)


@pytest.mark.parametrize("op, reads_it", [
    (lambda t: t.exp(), True), (lambda t: t.tanh(), True), (lambda t: t.relu(), True),
    (lambda t: t * 3.0, False), (lambda t: t.sin(), False),
], ids=["exp", "tanh", "relu", "mul", "sin"])
def test_an_ops_own_result_changed_in_place_is_detected_where_its_backward_reads_it(
        op, reads_it):
    # exp's derivative is its result: changed, it would give the new numbers
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = op(x)
    expected = autodiff.grad(lambda t: (op(t) * 2).sum())(x.data)
    with no_grad():
        y[0] = 7.0
    loss = (y * 2).sum()
    if reads_it:
        with pytest.raises(RuntimeError, match=r"the result of op '\w+' \(shape \(3,\)\), "
                                               r"which its backward reads, was changed"):
            loss.backward()
        assert x.grad is None
    else:  # the rule reads only x: the gradient is still right, as in PyTorch
        loss.backward()
        np.testing.assert_allclose(x.grad, expected)


def test_a_function_that_saved_its_result_is_checked_for_changes_to_it():
    class SavesResult(autodiff.Function):
        @staticmethod
        def forward(ctx, a):
            out = np.exp(a)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return out * g

    class SavesInput(autodiff.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = SavesResult.apply(x)
    with no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="the result of op 'SavesResult'"):
        y.sum().backward()
    y = SavesInput.apply(x)
    with no_grad():
        y += 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_a_change_to_an_input_stays_seen_when_the_result_is_changed_after_it():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = w * x
    with no_grad():
        w -= 1.0  # after '*' ran: its gradient for x would use the new w
        y += 0.0  # then the result itself, which '*' does not read
    with pytest.raises(RuntimeError, match=r"shape \(2,\) that op '\*' uses"):
        y.sum().backward()


@pytest.mark.parametrize("view", [lambda w: w[:2], lambda w: w.reshape(3, 1)[1:]],
                         ids=["slice", "slice of a reshape"])
def test_a_change_through_a_view_is_a_change_to_the_tensor_it_views(view):
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = Tensor(np.array([1.0, 1.0, 1.0]), requires_grad=True)
    loss = (w * x).sum()
    seen = view(w)
    with no_grad():
        seen[0] = 100.0  # writes into w's data
    assert 100.0 in w.data
    with pytest.raises(RuntimeError, match=r"shape \(3,\) that op '\*' uses"):
        loss.backward()


UNLINKED_VIEWS = {  # views the graph does not link to the tensor they view
    "slice under no_grad": lambda w: _under_no_grad(lambda: w[0:2]),
    "reshape under no_grad": lambda w: _under_no_grad(lambda: w.reshape(2, 2)),
    "slice of a slice under no_grad": lambda w: _under_no_grad(lambda: w[1:][:2]),
    "unsqueeze under no_grad": lambda w: _under_no_grad(lambda: w.unsqueeze(0)[0]),
    "detach": lambda w: w.detach(),
    "slice of detach": lambda w: w.detach()[1:3],
    "Tensor(w)": lambda w: Tensor(w),
    # kills mut6-O22 (Transpose not marked as making a view)
    "transpose under no_grad": lambda w: _under_no_grad(lambda: w.reshape(2, 2).T),
}


def _under_no_grad(make):
    with no_grad():
        return make()


@pytest.mark.filterwarnings("ignore:Tensor\\(t\\) of a tensor t that requires grad")
@pytest.mark.parametrize("name", list(UNLINKED_VIEWS))
def test_a_change_through_a_view_outside_the_graph_is_seen(name):
    # the view was made where no graph records it, so only the views' link to the
    # memory they share can tell; backward gave [4, 6, 6, 8] for [2, 4, 6, 8] (PyTorch
    # raises, its views sharing one version counter)
    w = Tensor(np.arange(4.0) + 1, requires_grad=True)
    loss = (w * w).sum()
    view = UNLINKED_VIEWS[name](w)
    with no_grad():
        view += 1.0
    assert not np.array_equal(w.data, np.arange(4.0) + 1)  # it did write into w
    with pytest.raises(RuntimeError, match=r"shape \(4,\) that op '\*' uses"):
        loss.backward()


def test_a_change_to_a_tensor_is_seen_through_its_views_and_their_siblings():
    # the op used a view (made under no_grad, or a constant's slice); the change went
    # through the tensor viewed, or through another view of it
    for change in ("base", "sibling"):
        w = Tensor(np.arange(4.0) + 1, requires_grad=True)
        x = Tensor(np.arange(4.0))  # a constant: its slices are never recorded
        head, other = x[:2], x.reshape(2, 2)
        loss = (w[:2] * head).sum()
        with no_grad():
            if change == "base":
                x += 10.0
            else:
                other[0, 1] = 100.0
        with pytest.raises(RuntimeError, match=r"shape \(2,\) that op '\*' uses"):
            loss.backward()


def test_a_change_to_a_tensor_is_seen_through_a_broadcast_of_it():
    # kills mut6-O23 (BroadcastTo not marked as making a view): the op used a broadcast
    # of a constant (never recorded), and the constant changed after it ran
    w = Tensor(np.arange(4.0).reshape(2, 2) + 1, requires_grad=True)
    x = Tensor(np.array([1.0, 2.0]))
    loss = (w * x.broadcast_to((2, 2))).sum()
    with no_grad():
        x += 10.0
    with pytest.raises(RuntimeError, match=r"shape \(2, 2\) that op '\*' uses"):
        loss.backward()


def test_a_view_whose_tensor_is_unchanged_passes_after_another_change():
    # kills mut6-T04 (a view's tensor taken as changed at the very clock the op was
    # made): a change elsewhere makes backward compare every op with its inputs, and
    # the view's tensor, unchanged since before the op, must not count as changed
    w = Tensor(np.arange(4.0) + 1, requires_grad=True)
    x = Tensor(np.arange(4.0) + 1)
    seen = x.reshape(2, 2)  # a view of a constant: linked to x by its memory alone
    loss = (w.reshape(2, 2) * seen).sum()
    other = Tensor(np.zeros(2))
    with no_grad():
        other[0] = 1.0  # moves the clock
    loss.backward()
    np.testing.assert_allclose(w.grad, x.data)


def test_a_change_to_an_input_whose_values_backward_never_reads_raises_nothing():
    # as PyTorch, which checks only what an op saved: x - c needs no value of c, x * c
    # needs c's (for x's gradient); the first raised too
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.zeros(3))
    shifted = (x - c).sum() + (x + c).sum() + c.reshape(3, 1)[1:].sum() * 0.0
    scaled = (x * c).sum()
    with no_grad():
        c += 1.0
    shifted.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match=r"op '\*' uses"):
        scaled.backward()


def test_a_module_that_updates_a_running_mean_in_forward_trains():
    # a centring layer (BatchNorm's running mean, in small): fit raised at its first step
    import nn

    class Centre(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.mean = Tensor(np.zeros(n))  # a buffer, not a parameter

        def forward(self, x):
            out = x - self.mean
            with no_grad():
                self.mean *= 0.9
                self.mean += 0.1 * x.data.mean(axis=0)
            return out

    X = np.random.default_rng(0).normal(size=(32, 3))
    y = (X.sum(axis=1) > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 4, seed=0), Centre(4), nn.Linear(4, 2, seed=1))
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                     X, y, epochs=2, batch_size=8, progress=False)
    assert len(history["loss"]) == 2 and not np.allclose(model[1].mean.data, 0.0)


@pytest.mark.filterwarnings("ignore:Tensor\\(t\\) of a tensor t that requires grad")
def test_a_view_given_memory_of_its_own_is_no_longer_linked():
    # w.detach().requires_grad_() copies the data (a parameter owns its memory), and
    # `.data = ...` replaces it: a change to w then raised for w2's graph
    for make in (lambda w: w.detach().requires_grad_(True),
                 lambda w: Tensor(w).requires_grad_(True)):
        w = Tensor(np.ones(3), requires_grad=True)
        w2 = make(w)
        loss = (w2 * w2).sum()
        with no_grad():
            w -= 1.0
        np.testing.assert_array_equal(w2.data, np.ones(3))
        loss.backward()
        np.testing.assert_array_equal(w2.grad, [2.0, 2.0, 2.0])
    # a constant view whose .data was replaced: x's gradient reads it, and it is intact
    w, x = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    scale = w.detach()
    scale.data = scale.data * 2.0
    loss = (x * scale).sum()
    with no_grad():
        w -= 1.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_views_that_no_longer_share_memory_are_not_linked():
    # a fancy index copies; an astype of another dtype copies; a change to either
    # leaves the graph's tensors as they were, so backward raises nothing
    w = Tensor(np.arange(4.0) + 1, requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        copied = w[[0, 1]]
        copied += 1.0
        assert copied._memory is None
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * (np.arange(4.0) + 1))


def test_a_tensor_made_of_another_in_a_new_dtype_is_not_linked_to_it():
    # kills mut6-T07 (Tensor(t, dtype=...) linked to t though the dtype made it a copy):
    # a change to t then leaves the copy, which the graph used, as it was
    t = Tensor(np.arange(4.0) + 1)
    w = Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    copy = Tensor(t, dtype=np.float32)
    assert not np.shares_memory(copy.data, t.data)
    loss = (w * copy).sum()
    with no_grad():
        t += 1.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0, 4.0])


def test_a_change_to_a_result_that_is_not_a_view_leaves_its_inputs_unstamped():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * w).sum()
    copy_of_w = w * 1.0  # new memory
    with no_grad():
        copy_of_w[0] = 5.0
    loss.backward()  # w itself did not change
    np.testing.assert_allclose(w.grad, [2.0, 4.0])


def test_a_vjp_called_after_a_change_is_detected():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out, vjp_fn = autodiff.vjp(lambda x: x * w, np.array([3.0, 4.0]))
    np.testing.assert_allclose(vjp_fn(np.ones(2))[0], [1.0, 2.0])
    with no_grad():
        w[0] = 5.0
    with pytest.raises(RuntimeError, match="changed in place after the op ran"):
        vjp_fn(np.ones(2))


def test_a_decorated_function_restores_the_mode_it_was_called_in():
    # kills G06 (the decorator's `finally` sets grad mode on instead of restoring it):
    # a no_grad function called inside no_grad() must leave grad mode off, and an
    # enable_grad function called there too
    @no_grad()
    def evaluate():
        return autodiff.is_grad_enabled()

    @autodiff.enable_grad()
    def record():
        return autodiff.is_grad_enabled()

    with no_grad():
        assert evaluate() is False
        assert not autodiff.is_grad_enabled()
        assert record() is True
        assert not autodiff.is_grad_enabled()
        a = Value(2.0) * 3
    assert a.op == "" and autodiff.is_grad_enabled()


def test_a_decorated_function_keeps_its_name_and_docstring():
    # kills G07 (functools.wraps dropped): no_grad()/enable_grad() as decorators must
    # keep the function's name, docstring and __wrapped__ (tracebacks, docs, pickling)
    def evaluate(model):
        """Evaluate the model."""
        return model

    for mode in (no_grad(), autodiff.enable_grad()):
        wrapped = mode(evaluate)
        assert wrapped.__name__ == "evaluate"
        assert wrapped.__doc__ == "Evaluate the model."
        assert wrapped.__wrapped__ is evaluate


def test_toposort_treats_nodes_in_stop_at_as_leaves():
    # kills G10 (stop_at ignored by the sort): the nodes behind a stop node are not
    # sorted (a functional call never walks the graph behind its inputs)
    x = Value(1.0)
    y = x * 2
    z = y * 3
    order = toposort(z, frozenset({id(y)}))
    for node in order:
        node._pending = None  # toposort leaves marks for backward to clear
    assert [id(n) for n in order] == [id(y), id(z)]  # not x


def test_a_change_through_a_view_a_function_returned_is_seen():
    # built-in ops that return views say so (makes_view); a user's Function may too,
    # and a change through its view, made under no_grad, went unseen
    class Head(autodiff.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2]  # a view of x

        @staticmethod
        def backward(ctx, grad_output):
            return np.concatenate([grad_output, np.zeros(1)])

    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        head = Head.apply(w)
        head += 10.0  # writes into w
    with pytest.raises(RuntimeError, match=r"shape \(3,\) that op '\*' uses"):
        loss.backward()


def test_a_view_keeps_neither_the_graph_nor_the_tensor_it_views_alive():
    # `history.append(loss.detach())`: the detached loss linked to the loss itself, so
    # each step's activations and gradients stayed alive, and pickled with it
    import gc
    import pickle
    import weakref

    x = Tensor(np.ones((300, 300)), requires_grad=True)
    hidden = x * 2.0
    loss = (hidden * hidden).sum()
    loss.backward()
    kept, watch = loss.detach(), weakref.ref(hidden)
    with no_grad():
        corner = hidden[:1, :1]  # a view of one element of an intermediate tensor
    del hidden, loss
    gc.collect()
    assert watch() is None  # neither view keeps the intermediate tensor (nor its graph)
    assert len(pickle.dumps(kept)) < 1000 and len(pickle.dumps(corner)) < 1000
    copied = pickle.loads(pickle.dumps(Tensor(np.ones(3)).reshape(3, 1)))
    assert copied._memory is None and copied.shape == (3, 1)


@pytest.mark.filterwarnings("ignore:Tensor\\(t\\) of a tensor t that requires grad")
@pytest.mark.parametrize("reach", [
    lambda y: y.detach(),
    lambda y: Tensor(y),
    lambda y: _under_no_grad(lambda: y[0:2]),
])
@pytest.mark.parametrize("op", ["exp", "relu", "softmax", "tanh"])
def test_an_ops_own_result_changed_through_an_unrecorded_view_is_seen(op, reach):
    # exp's backward reads its result: a change to it through detach() (masking
    # probabilities, say) went unseen, and backward used the new values
    w = Tensor(np.array([0.1, 0.2, 0.3]), requires_grad=True)
    y = getattr(w, op)()
    view = reach(y)
    with no_grad():
        view[0] = 100.0
    with pytest.raises(RuntimeError, match=f"the result of op '{op}'"):
        y.sum().backward()


def test_a_view_made_after_data_was_replaced_shares_the_new_memory():
    # w.T before `w.data = ...` gave w a record of its old memory; views made after
    # joined that stale record, and a step's change to w went unseen
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    _ = w.T
    w.data = np.full((2, 2), 3.0)
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    loss = (x @ w.T).sum()
    with no_grad():
        w *= 2.0
    with pytest.raises(RuntimeError, match="changed in place after the op ran"):
        loss.backward()


def test_a_tensor_pickled_in_another_process_is_made_at_its_load(tmp_path):
    # the clock's readings were pickled with it: loaded in a fresh process, whose clock
    # starts again, it looked changed after every op, and any unrelated change in place
    # made backward raise
    import pickle
    import subprocess
    import sys

    w = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        for _ in range(50):
            w += 1.0
    path = tmp_path / "w.pkl"
    path.write_bytes(pickle.dumps(w))
    code = (
        "import pickle, sys, numpy as np, autodiff\n"
        f"w = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "y = (w * w).sum()\n"
        "other = autodiff.Tensor(np.zeros(2))\n"
        "with autodiff.no_grad():\n"
        "    other += 1.0\n"
        "y.backward()\n"
        "print(w.grad.tolist())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == str([102.0, 102.0, 102.0])


def test_a_factor_changed_where_only_a_constant_factors_gradient_reads_it_is_harmless():
    # w of w * c is read only for c's gradient: with c a constant (a first layer's input
    # data), a change to w cannot make w's own gradient wrong, and PyTorch, which then
    # saves no copy of w, lets it pass; it raised here
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))
    loss = (w * c).sum() + (c @ w)
    layer = autodiff.linear(Tensor(np.ones((2, 2))), w.reshape(1, 2)).sum()  # x @ w.T
    with no_grad():
        w += 10.0
    loss.backward()
    layer.backward()
    np.testing.assert_array_equal(w.grad, 2 * c.data + 2.0)  # c twice, and two rows of 1
    # where the other factor needs a gradient, w's value is read for it: refused
    v = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    for make in (lambda w: (w * v).sum(), lambda w: v @ w,
                 lambda w: autodiff.linear(v.reshape(1, 2), w.reshape(1, 2)).sum()):
        loss = make(w)
        with no_grad():
            w += 1.0
        with pytest.raises(RuntimeError, match="changed in place after the op ran"):
            loss.backward()


def test_a_shallow_copy_shares_the_data_but_not_the_grad_and_keeps_the_class():
    # copy.copy shared the .grad array (clipping the copy's gradient clipped the
    # original's) and made a subclass a plain Tensor
    import copy

    class Parameter(Tensor):
        pass

    p = Parameter(np.ones(2), requires_grad=True)
    (p * 3.0).sum().backward()
    c = copy.copy(p)
    assert type(c) is Parameter and c.data is p.data
    c.grad *= 0.5
    np.testing.assert_array_equal(p.grad, [3.0, 3.0])
    np.testing.assert_array_equal(c.grad, [1.5, 1.5])


@pytest.mark.parametrize("duplicate", [
    copy.deepcopy,
    *[lambda g, p=p: pickle.loads(pickle.dumps(g, protocol=p)) for p in (2, 5)],
], ids=["deepcopy", "pickle-2", "pickle-5"])
def test_copies_of_graphs_thousands_of_ops_deep_work_at_the_default_recursion_limit(duplicate):
    # copy and pickle recursed once per op into the parents: a micrograd-style sum of
    # 150 losses, or a model keeping its output, raised RecursionError
    assert sys.getrecursionlimit() <= 10_000
    xs = [Value(float(i)) for i in range(3_000)]
    total = sum((x * x for x in xs), Value(0.0))
    twin = duplicate(total)
    twin.backward()
    assert twin.data == total.data and twin.parents[1].parents[0].grad == 2 * 2_999.0
    assert xs[-1].grad == 0.0  # the copy's graph is its own
    w = Tensor(np.full(2, 0.5), requires_grad=True)
    y = w
    for _ in range(3_000):
        y = (y * 1.0001).tanh()
    twin = duplicate(y)
    twin.sum().backward()
    y.sum().backward()
    leaf = twin
    while leaf.parents:
        leaf = leaf.parents[0]
    np.testing.assert_allclose(leaf.grad, w.grad)


def test_pickling_a_model_with_a_deep_output_keeps_one_graph_with_its_parameters():
    import nn

    model = nn.MLP([2, 3, 1])
    h = Tensor(np.ones((4, 2)))
    for _ in range(500):
        h = h * 1.0001
    model.last = model(h)  # reached first through the scope of every node: out of order
    loss = model.last.sum()
    for _ in range(500):
        loss = loss * 1.0
    model2, loss2 = pickle.loads(pickle.dumps((model, loss)))
    loss2.backward()
    loss.backward()
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        np.testing.assert_allclose(q.grad, p.grad)  # the copy's loss reaches its params
    assert not autodiff.graph._claimed()


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda g: pickle.loads(pickle.dumps(g))],
                         ids=["deepcopy", "pickle"])
def test_copies_of_a_deep_graph_whose_grads_are_nodes_work(duplicate):
    # after backward(create_graph=True) each .grad is a node of the backward graph, which
    # leads back into the forward one: copies recursed through the .grads about 100 deep
    w = Tensor(np.full(2, 0.5), requires_grad=True)
    h = w
    for _ in range(300):
        h = (h * 1.01).tanh()
    h.sum().backward(create_graph=True)
    twin = duplicate(h)
    assert isinstance(twin.grad, Tensor) and twin.grad is not h.grad
    np.testing.assert_array_equal(twin.grad.data, h.grad.data)
    assert not autodiff.graph._claimed()


class _Parameter(Tensor):  # (at module level: pickle finds classes by name)
    pass


class _Scalar(Value):
    pass


def test_copies_keep_a_subclass_and_its_attributes():
    # a Tensor subclass lost its own attributes (Tensor's state held its slots only)
    for leaf in (_Parameter(np.ones(2), requires_grad=True), _Scalar(2.0)):
        leaf.note = "layer 0"
        for duplicate in (copy.copy, copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))):
            twin = duplicate(leaf)
            assert type(twin) is type(leaf) and twin.note == "layer 0"


def test_a_pickle_that_fails_midway_releases_its_claims():
    class Keeps(autodiff.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.unpicklable = lambda: 0
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g

    y = Keeps.apply(Tensor(np.ones(2), requires_grad=True) * 2.0) * 3.0
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(y)
    import gc

    gc.collect()
    assert not autodiff.graph._claimed()


def test_copies_of_a_graph_keep_a_change_made_before_them_seen():
    # copy.copy shares the data (a view of it); deepcopy and pickle copy a graph whose
    # input changed after its op ran: each gave a silently wrong gradient
    import copy
    import pickle

    x = Tensor(np.ones(3), requires_grad=True)
    e = x.exp()
    shallow = copy.copy(e)
    with no_grad():
        e[...] = 0.0  # exp's backward reads its result, which the copy shares
    with pytest.raises(RuntimeError, match="the result of op 'exp'"):
        shallow.sum().backward()
    for duplicate in (copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))):
        c, w = Tensor(np.ones(3)), Tensor(np.full(3, 2.0), requires_grad=True)
        y = c * w
        with no_grad():
            c[...] = 5.0  # read for w's gradient, after '*' ran
        with pytest.raises(RuntimeError, match=r"op '\*' uses was changed"):
            duplicate(y).sum().backward()


def test_the_array_backends_scatter_add_accumulates_and_keeps_the_dtype():
    from autodiff.backends import ARRAY

    np.testing.assert_array_equal(ARRAY.scatter_add(np.ones(2), [0, 0], (3,)), [2, 0, 0])
    added = ARRAY.scatter_add(np.ones(2, np.float32), np.array([0, 0]), (3,))
    assert added.dtype == np.float32
    np.testing.assert_array_equal(added, [2, 0, 0])


def test_a_graph_on_top_of_a_freed_one_names_the_rebound_parameter_too():
    # `w = w - lr * w.grad` makes w an op's result: the third step's backward reaches
    # the first step's freed graph, and the message only said retain_graph=True, whose
    # advice makes every backward walk all the steps before it
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"retain_graph=True.*But if the freed part comes "
                                           r"from an earlier training step \(after `w = w - "
                                           r"lr \* w\.grad`.*no_grad\(\): w -= lr \* w\.grad"):
        for _ in range(3):
            loss = ((x @ w - 1.0) ** 2).sum()
            loss.backward()
            w = w - 0.1 * w.grad
    # the same graph twice: the message says only what applies
    y = Tensor(np.ones(2), requires_grad=True) * 2.0
    loss = y.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"Pass retain_graph=True to the first "
                                           r"backward\(\) to keep them\.$"):
        loss.backward()
