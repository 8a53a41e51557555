"""`autodiff.Function`: user-defined ops with a forward and a backward on NumPy arrays."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autodiff
from autodiff import Function, GradcheckError, Tensor, Value, gradcheck


def leaf(data) -> Tensor:
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=True)


class Cube(Function):
    """x ** 3"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):  # d/dx = 3 x^2
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


class WrongCube(Function):
    """x ** 3 with the derivative of x ** 2 by mistake"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x


class ScaledAdd(Function):
    """x + alpha * y (alpha a plain number argument), broadcasting"""

    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        return x + alpha * y

    @staticmethod
    def backward(ctx, grad_output):  # broadcast-shaped grads: the engine reduces them
        return grad_output, ctx.alpha * grad_output, None


def test_a_correct_user_op_computes_its_value_and_passes_gradcheck(rng):
    x = leaf(rng.uniform(-2, 2, (3, 4)))
    y = Cube.apply(x)
    np.testing.assert_allclose(y.data, x.data**3)
    assert y.op == "Cube" and y.requires_grad and y.parents == (x,)
    assert gradcheck(Cube.apply, [x], atol=1e-7, rtol=1e-6)


def test_a_user_op_inside_a_larger_expression(rng):
    x = leaf(rng.uniform(-2, 2, (2, 3)))
    w = leaf(rng.uniform(-2, 2, (3,)))
    assert gradcheck(lambda x, w: (Cube.apply(x * w) + x).tanh(), [x, w])
    (Cube.apply(x) * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, 6.0 * x.data**2)


def test_gradcheck_catches_a_wrong_backward_and_names_index_and_both_numbers():
    x = leaf([[0.5, 2.0], [1.5, -1.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongCube.apply(t).sum(), [x])
    error = info.value
    # the first entry checked is [0, 0]: analytic 2 * 0.5 = 1, numeric 3 * 0.25 = 0.75
    assert error.input == 0 and error.index == (0, 0)
    assert error.analytic == pytest.approx(1.0)
    assert error.numeric == pytest.approx(0.75, rel=1e-8)
    assert error.difference == pytest.approx(0.25, rel=1e-7)
    message = str(error)
    assert "input 0" in message and "(0, 0)" in message
    assert "analytic 1" in message and "numeric 0.75" in message


def test_arguments_that_are_not_tensors_are_constants_and_grads_are_reduced(rng):
    x = leaf(rng.standard_normal((2, 3)))
    y = leaf(rng.standard_normal((3,)))  # broadcast against x
    out = ScaledAdd.apply(x, y, 0.5)
    np.testing.assert_allclose(out.data, x.data + 0.5 * y.data)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    np.testing.assert_array_equal(y.grad, np.full(3, 1.0))  # 0.5 per row, two rows
    assert gradcheck(lambda a, b: ScaledAdd.apply(a, b, -2.0), [x, y])


def test_needs_input_grad_tells_which_inputs_want_a_gradient():
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b * c

        @staticmethod
        def backward(ctx, grad_output):
            seen.append(ctx.needs_input_grad)
            return tuple(grad_output if need else None for need in ctx.needs_input_grad)

    a, b = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    Record.apply(a, b, np.ones(2)).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]


class TwoForOne(Function):
    """2 x, whose backward returns two gradients for its one input"""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


def test_backward_returning_the_wrong_number_of_gradients_raises_clearly():
    with pytest.raises(ValueError, match="TwoForOne.backward returned 2 gradients for 1 input$"):
        TwoForOne.apply(leaf([1.0, 2.0])).sum().backward()


def test_backward_returning_a_gradient_of_the_wrong_shape_raises_naming_the_shapes():
    class Flat(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad_output):
            return np.ones(5)

    with pytest.raises(ValueError, match=re.escape("shape (5,) for input 0 of shape (2, 3)")):
        Flat.apply(leaf(np.ones((2, 3)))).backward()


def test_a_backward_returning_tensors_gives_array_grads_all_the_way_up():
    # PyTorch habit: saving the input as a Tensor makes backward's result a Tensor. It
    # counts as its array, so no .grad upstream turns into a Tensor.
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(Tensor(x))
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    w = leaf([[1.0, -2.0]])
    Square.apply(w @ np.array([[3.0], [1.0]])).sum().backward()
    assert type(w.grad) is np.ndarray
    np.testing.assert_array_equal(w.grad, [[6.0, 2.0]])  # 2 (w x) x, w x = 1
    assert gradcheck(lambda t: Square.apply(t).sum(), [leaf([0.5, -1.5])])


@pytest.mark.parametrize("returned", ["tuple", "None", "str", "list", "dict"])
def test_a_forward_with_other_than_one_output_raises_naming_the_function(returned):
    # (a list was stacked into one array and a dict made an object Tensor, silently)
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            outputs = {"tuple": (x * 2, x * 3), "None": None, "str": "hi",
                       "list": [x * 2, x * 3], "dict": {"a": x}}
            return outputs[returned]

        @staticmethod
        def backward(ctx, g1, g2):
            return 2 * g1 + 3 * g2

    what = {"None": "None", "list": "a list of arrays"}.get(returned, f"a {returned}")
    with pytest.raises(TypeError, match=f"Split.forward returned {what}: a Function has one"):
        Split.apply(leaf([1.0, 2.0]))


def test_a_failed_backward_leaves_other_graphs_usable():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return np.ones(7)

    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError):
        Broken.apply(x).sum().backward()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_a_backward_that_fails_midway_changes_no_grad_and_frees_nothing():
    class FailsOnce(Function):
        calls = 0

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 3

        @staticmethod
        def backward(ctx, grad_output):
            FailsOnce.calls += 1
            if FailsOnce.calls == 1:
                raise ValueError("not this time")
            return grad_output * 3

    # w's rule runs before FailsOnce's (w's node is nearer the loss), so a half-done
    # backward would have written w.grad and the grads of the nodes after it
    x, w = leaf([1.0, 2.0]), leaf([5.0, 7.0])
    w.grad = np.array([10.0, 10.0])  # from an earlier backward: must stay as it is
    hidden = FailsOnce.apply(x)
    loss = (hidden * w).sum()
    with pytest.raises(ValueError, match="not this time"):
        loss.backward()
    assert x.grad is None and hidden.grad is None and loss.grad is None
    np.testing.assert_array_equal(w.grad, [10.0, 10.0])
    loss.backward()  # the graph was not freed by the failed attempt
    np.testing.assert_array_equal(x.grad, [15.0, 21.0])
    np.testing.assert_array_equal(w.grad, [13.0, 16.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()  # the successful one did free it


def test_saved_tensors_after_the_buffers_were_released_raises():
    contexts = []

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            contexts.append(ctx)
            ctx.save_for_backward(x, x * 2)
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    x = leaf([1.0, 2.0])
    y = Keep.apply(x).sum()
    (ctx,) = contexts
    assert len(ctx.saved_tensors) == 2
    y.backward(retain_graph=True)
    assert len(ctx.saved_tensors) == 2  # still there
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        _ = ctx.saved_tensors
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_a_function_records_no_graph_under_no_grad_and_none_without_grad_inputs():
    with autodiff.no_grad():
        y = Cube.apply(leaf([2.0]))
    assert not y.requires_grad and y.op == ""
    z = Cube.apply(Tensor([2.0]))
    assert not z.requires_grad
    np.testing.assert_array_equal(z.data, [8.0])


def test_a_function_keeps_float32():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = Cube.apply(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])


def test_functions_work_under_functional_grad_and_create_graph():
    data = np.array([1.0, -2.0])
    np.testing.assert_allclose(autodiff.grad(lambda t: Cube.apply(t).sum())(data),
                               3 * data**2)
    x = leaf(data)
    Cube.apply(x).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor)
    np.testing.assert_allclose(x.grad.data, 3 * data**2)


def test_a_second_derivative_through_a_function_raises_naming_it():
    # backward works on arrays, so d(x.grad)/dx through it is unknown: an error, as for a
    # PyTorch Function marked once_differentiable, never a silent zero.
    x = leaf([1.0, -2.0])
    Cube.apply(x).sum().backward(create_graph=True)
    assert x.grad.op == "Cube.backward"
    first = x.grad.data.copy()
    with pytest.raises(RuntimeError, match=r"Cube\.backward.*once_differentiable"):
        x.grad.sum().backward()
    np.testing.assert_array_equal(x.grad.data, first)  # nothing written by the failure
    with pytest.raises(RuntimeError, match=r"Cube\.backward"):
        autodiff.grad(autodiff.grad(lambda t: Cube.apply(t).sum()))(np.array(2.0))
    with pytest.raises(RuntimeError, match=r"Cube\.backward"):
        autodiff.hessian(lambda t: Cube.apply(t).sum())(np.array([1.0, 2.0]))


def test_a_second_derivative_that_does_not_pass_through_a_function_works():
    a, b = leaf([1.5]), leaf([2.0])
    (Cube.apply(a) + b**3).sum().backward(create_graph=True)
    np.testing.assert_allclose(a.grad.data, [3 * 1.5**2])
    b_grad = b.grad  # 3 b^2, recorded; its derivative 6 b adds to b.grad
    b_grad.sum().backward()
    np.testing.assert_allclose(b.grad.data, [3 * 2.0**2 + 6 * 2.0])


def test_apply_needs_a_tensor_and_rejects_values():
    with pytest.raises(TypeError, match="Tensor"):
        Cube.apply(np.ones(2))
    with pytest.raises(TypeError, match="Value"):
        Cube.apply(Value(2.0))
    # grad makes a Value of a number; the message says how to get a Tensor instead
    with pytest.raises(TypeError, match=r"np\.array\(x\)"):
        autodiff.grad(lambda t: Cube.apply(t).sum())(2.0)
    assert autodiff.grad(lambda t: Cube.apply(t).sum())(np.array(2.0)) == 12.0


def test_a_function_without_forward_or_backward_says_so_at_apply():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    class NoForward(Function):
        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    # A forward-only Function works until something differentiates it (as in PyTorch).
    y = NoBackward.apply(leaf([1.0]))
    np.testing.assert_array_equal(y.data, [2.0])
    with pytest.raises(TypeError, match=re.escape("NoBackward must define @staticmethod "
                                                  "backward(ctx, grad_output)")):
        y.sum().backward()
    with pytest.raises(TypeError, match="NoForward must define @staticmethod forward"):
        NoForward.apply(leaf([1.0]))


def test_a_forward_returning_a_list_of_numbers_is_one_array():
    class Halves(Function):
        @staticmethod
        def forward(ctx, x):
            return [v / 2 for v in x]

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output / 2

    x = leaf([2.0, 4.0])
    y = Halves.apply(x)
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])


def test_a_backward_returning_something_else_than_an_array_names_its_type():
    class Text(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return "g"

    with pytest.raises(TypeError, match="Text.backward returned a str for input 0"):
        Text.apply(leaf([1.0, 2.0])).sum().backward()


# -- Arguments and outputs that are not float arrays; the backward contract -------------


class SumOver(Function):
    """x summed over `axis` (None, an int or a tuple), `how` "sum" or "mean"."""

    @staticmethod
    def forward(ctx, x, axis, how="sum"):
        ctx.shape, ctx.axis, ctx.how = x.shape, axis, how
        seen_arguments.append((axis, how))
        total = x.sum(axis=axis)
        return total if how == "sum" else total / (x.size / np.size(total))

    @staticmethod
    def backward(ctx, grad_output):
        axes = tuple(range(len(ctx.shape))) if ctx.axis is None else ctx.axis
        g = np.expand_dims(grad_output, axes)
        if ctx.how == "mean":
            g = g / (np.prod(ctx.shape) / np.size(grad_output))
        return np.broadcast_to(g, ctx.shape).copy(), None, None


seen_arguments: list = []


@pytest.mark.parametrize("axis", [None, 1, (0, 1), (0, 2)])
@pytest.mark.parametrize("how", ["sum", "mean"])
def test_other_arguments_reach_forward_as_they_are(axis, how, rng):
    seen_arguments.clear()
    x = leaf(rng.standard_normal((2, 3, 2)))
    out = SumOver.apply(x, axis, how)
    assert seen_arguments == [(axis, how)]  # a tuple stays a tuple, None stays None
    expected = x.data.sum(axis=axis) if how == "sum" else x.data.mean(axis=axis)
    np.testing.assert_allclose(out.data, expected)
    assert gradcheck(lambda t: SumOver.apply(t, axis, how), [x])


class ArgMax(Function):
    """The index of each row's largest entry: an int output, with no backward."""

    @staticmethod
    def forward(ctx, x):
        return x.argmax(axis=1)


class RoundToInt(Function):
    """x rounded to int codes, with a straight-through backward."""

    @staticmethod
    def forward(ctx, x):
        return np.round(x).astype(np.int64)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_an_int_output_does_not_require_grad_as_in_pytorch():
    x = leaf([[0.1, 0.9, 0.3], [0.5, 0.2, 0.4]])
    index = ArgMax.apply(x)
    assert index.dtype == np.int64 and not index.requires_grad and index.op == ""
    # used beside the differentiable path, the forward-only op is never asked for a rule
    (x.max(axis=1) * index).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [0, 0, 0]])
    assert gradcheck(lambda t: t.max(axis=1) * ArgMax.apply(t), [x])
    # no int gradient reaches a straight-through rule (0.3 would have become 0)
    codes = RoundToInt.apply(leaf([0.4, 1.6]))
    assert not codes.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        (codes * 0.3).sum().backward()


def test_a_gradient_that_is_not_real_names_the_function_and_input():
    for bad, dtype in [(lambda g: g.astype(str), "<U"), (lambda g: g * 1j, "complex128")]:
        class NotReal(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad_output, bad=bad):
                return bad(grad_output)

        with pytest.raises(TypeError, match=f"NotReal.backward returned a gradient of dtype "
                                            f"{dtype}.* for input 0; gradients are real"):
            NotReal.apply(leaf([1.0, 2.0])).sum().backward()


def test_a_gradient_for_an_argument_that_has_none_raises_and_extra_nones_are_allowed():
    class GradForAxis(Function):
        @staticmethod
        def forward(ctx, x, axis):
            return x.sum(axis=axis)

        @staticmethod
        def backward(ctx, grad_output):
            g = np.ones((2, 2)) * grad_output
            return g, g  # the second is for `axis`

    with pytest.raises(ValueError, match=r"GradForAxis.backward returned a gradient for "
                                         r"input 1, a tuple, which has none; return None"):
        GradForAxis.apply(leaf(np.ones((2, 2))), (0, 1)).backward()

    class ExtraNones(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return 2 * grad_output, None, None

    x = leaf([1.0, 2.0])
    ExtraNones.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_list_argument_reaches_forward_as_an_array():
    seen = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factors):
            seen.append(type(factors))
            ctx.factors = factors
            return x * factors

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.factors, grad_output  # a gradient for the constant

    x = leaf([1.0, 2.0])
    Scale.apply(x, [3.0, 4.0]).sum().backward()
    assert seen == [np.ndarray]
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_ctx_attributes_are_the_users_own_even_the_names_the_engine_could_use():
    # the engine keeps its own record of the inputs; the user may set any attribute
    class Sum0(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.input_shapes = x.shape  # a name a user may well pick
            ctx.needs_input_grad = True  # (overwritten: the engine reads its own)
            return x.sum(axis=0)

        @staticmethod
        def backward(ctx, grad_output):
            return np.broadcast_to(grad_output, ctx.input_shapes)

    x = leaf(np.ones((3, 4)))
    Sum0.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 4)))


def test_a_gradient_returned_from_saved_data_is_copied_into_grad():
    # .grad is the user's to update in place; it must not be the op's own constant
    class TimesConstant(Function):
        @staticmethod
        def forward(ctx, x, c):
            ctx.c = c
            return x * c

        @staticmethod
        def backward(ctx, grad_output):
            return ctx.c, None  # right for a grad_output of ones: returned as it is

    c = np.array([1.0, 2.0, 3.0])
    x = leaf(np.zeros(3))
    TimesConstant.apply(x, c).sum().backward()
    x.grad *= 0.5
    np.testing.assert_array_equal(c, [1.0, 2.0, 3.0])


def test_locate_fault_reruns_a_function_with_its_list_argument_as_an_array():
    class WrongScale(Function):
        @staticmethod
        def forward(ctx, x, factors):
            ctx.factors = factors
            return x * factors.reshape(1, -1)

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.factors * 2, None  # twice too large

    x = leaf(np.ones((2, 3)))
    report = autodiff.locate_fault(lambda x: WrongScale.apply(x, [1.0, 2.0, 3.0]).sum(), [x])
    assert report.fault is not None and report.fault.op == "WrongScale"


def test_a_second_backward_through_a_function_that_saves_nothing_raises():
    # kills: the commit releasing a Function's Context without marking the node RELEASED
    # (a rule that reads no saved tensor would then run again and count twice)
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Double.apply(x)
    y.backward(np.ones(2))
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_saved_array_changed_in_place_before_backward_is_detected():
    x = leaf([1.0, 2.0, 3.0])
    loss = Cube.apply(x).sum()  # Cube saves x's array for its backward
    with autodiff.no_grad():
        x -= 1.0
    with pytest.raises(RuntimeError, match="op 'Cube' uses was changed in place"):
        loss.backward()


def test_a_value_error_in_backward_names_the_op_it_came_from():
    # kills G36 (the engine renames ArithmeticError only): a ValueError raised while an
    # op's backward runs says which op's backward it was, as a ZeroDivisionError does
    with pytest.raises(ValueError, match="^backward of 'TwoForOne': TwoForOne.backward "
                                         "returned 2 gradients"):
        TwoForOne.apply(leaf([1.0, 2.0])).sum().backward()


def test_a_zero_division_in_a_tensor_backward_is_not_read_as_an_infinite_derivative():
    # kills mut6-G04 (every ZeroDivisionError read as "the derivative is infinite there",
    # a Value's reading): on Tensors it is the rule's own error, named by its op only
    class Divides(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            raise ZeroDivisionError("a bug in the rule")

    with pytest.raises(ZeroDivisionError, match="^backward of 'Divides': a bug in the rule$"):
        Divides.apply(leaf([1.0, 2.0])).sum().backward()


@pytest.mark.parametrize("which", [0, 1])
def test_none_for_an_input_that_requires_grad_sends_it_nothing(which):
    # kills G40/G41 (the two-input fast path of backward passes a None gradient on):
    # None for an input that requires grad means no gradient from this op (as in
    # PyTorch), in either position of a two-input op
    class OneSided(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad_output):
            return (None, grad_output) if which == 0 else (grad_output, None)

    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    OneSided.apply(a, b).sum().backward()
    fed, starved = (b, a) if which == 0 else (a, b)
    assert starved.grad is None
    np.testing.assert_array_equal(fed.grad, [1.0, 1.0])
    # and when the input has a gradient from another path, that one is kept
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (OneSided.apply(a, b) + a * 3 + b * 3).sum().backward()
    np.testing.assert_array_equal((a, b)[which].grad, [3.0, 3.0])


def test_a_function_giving_a_bool_array_gives_a_constant():
    # kills T13 (only int outputs taken as not differentiable): a mask, like an index,
    # is not differentiable, so the output does not require grad (as in PyTorch)
    class Positive(Function):
        @staticmethod
        def forward(ctx, x):
            return x > 0

        @staticmethod
        def backward(ctx, grad_output):
            raise AssertionError("never asked for")

    out = Positive.apply(leaf([-1.0, 2.0]))
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.op == ""


def test_a_forward_error_already_named_is_not_named_twice():
    # kills T15 (every TypeError prefixed again): the message starts with the
    # Function's own name once
    class Nothing(Function):
        @staticmethod
        def forward(ctx, x):
            return None

    with pytest.raises(TypeError, match=r"^Nothing\.forward returned None: a Function has "
                                        "one output"):
        Nothing.apply(leaf([1.0]))


@pytest.mark.parametrize("number", [float, int])
def test_backward_may_return_a_python_number_for_a_0d_input(number):
    # kills T86 (Tensor._fit_grad no longer makes a Python number an array): a number is
    # an allowed gradient for a 0-d input, and .grad is then a float64 array
    class Triple(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad_output):
            return number(grad_output) * 3

    x = Tensor(np.array(2.0), requires_grad=True)
    Triple.apply(x).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64
    assert x.grad == 3.0


def test_backward_gets_an_array_also_under_create_graph():
    # kills F05 (the incoming gradient passed on as a node under create_graph): a
    # Function's backward works on NumPy arrays, whichever way backward is run
    seen = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            seen.append(type(grad_output))
            return grad_output.copy() * 2  # ndarray.copy: a Tensor has none

    x = leaf([1.0, 2.0])
    Scale.apply(x).sum().backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    assert seen == [np.ndarray]


def test_backward_may_return_its_gradients_as_a_list():
    # kills F06 (only a tuple taken as one gradient per input): a list is accepted too
    class AddList(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad_output):
            return [grad_output, 2 * grad_output]

    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    AddList.apply(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])


def test_a_gradient_that_is_not_real_numbers_includes_bool():
    # kills F11 (bool taken as a real dtype): a mask returned as a gradient is a mistake
    class MaskGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output > 0

    with pytest.raises(TypeError, match="MaskGrad.backward returned a gradient of dtype "
                                        "bool for input 0; gradients are real"):
        MaskGrad.apply(leaf([1.0, 2.0])).sum().backward()


def test_a_derivative_through_a_functions_incoming_gradient_raises_too():
    # kills F15 (the incoming gradient left out of what a recorded Function gradient
    # depends on): x.grad = Cube.backward(v) depends on the cotangent v as well, and its
    # derivative with respect to v is unknown: an error, never a silent zero
    x = leaf([1.0, 2.0])

    def x_grad_sum(v):
        Cube.apply(x).backward(v, create_graph=True)  # v: the Tensor grad() made
        return x.grad.sum()

    with pytest.raises(RuntimeError, match=r"Cube\.backward.*once_differentiable"):
        autodiff.grad(x_grad_sum)(np.array([1.0, 1.0]))


def test_a_gradient_for_a_bool_argument_raises():
    # kills F17 (a bool taken as a number that takes gradients): a flag has no gradient
    class Scaled(Function):
        @staticmethod
        def forward(ctx, x, double):
            return x * (2 if double else 1)

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2, 0.0

    with pytest.raises(ValueError, match="Scaled.backward returned a gradient for input 1, "
                                         "a bool, which has none"):
        Scaled.apply(leaf([1.0, 2.0]), True).sum().backward()


def test_a_function_giving_no_gradient_to_an_ops_result_leaves_its_graph_unreached():
    # backward returns None for `a`, the result of an op: that op's node is sorted but
    # gets no gradient, and backward must pass over it (not call its rule with None)
    class Stop(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return None, grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = x * 2.0
    Stop.apply(y, w).sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])
    assert x.grad is None and y.grad is None


def test_a_gradient_that_only_broadcasts_to_its_input_is_refused():
    # (1, 3) for a (2, 3) input broadcasts but is not the input's gradient: .grad ended
    # up (1, 3)
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2.0

        @staticmethod
        def backward(ctx, grad):
            return 2.0 * grad[:1]

    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(1, 3\).*\(2, 3\)"):
        Bad.apply(a).sum().backward()


def test_too_few_gradients_are_named_and_saved_arrays_are_released():
    class Two(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad  # one gradient for two inputs

    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="Two.backward returned 1 gradient for 2 inputs"):
        Two.apply(a, b).sum().backward()

    import gc
    import weakref

    saved, contexts = [], []

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            e = np.exp(x)
            saved.append(weakref.ref(e))
            contexts.append(ctx)  # a context kept elsewhere (a debugger, a list)
            ctx.save_for_backward(e)
            return e.copy()  # (the result is kept by its node; the saved array is not)

        @staticmethod
        def backward(ctx, grad):
            (e,) = ctx.saved_tensors
            return grad * e

    y = Exp.apply(Tensor(np.ones(3), requires_grad=True)).sum()
    y.backward()  # without retain_graph: the saved arrays go, even from a kept context
    gc.collect()
    assert saved[0]() is None


def test_gradgradcheck_says_a_function_is_once_differentiable():
    # its backward works on arrays: gradcheck passes, gradgradcheck explains why it stops
    x = leaf([0.5, 1.0])
    assert gradcheck(Cube.apply, [x])
    with pytest.raises(RuntimeError, match="cannot be differentiated again"):
        autodiff.gradgradcheck(Cube.apply, [x])


class ScaleAndShift(Function):
    """k x + shift"""

    @staticmethod
    def forward(ctx, x, k=2.0, shift=0.0):
        ctx.k = k
        return x * k + shift

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None, None


def test_apply_takes_named_arguments_by_forwards_parameter_names():
    # PyTorch's apply takes them; here they raised TypeError (test-writer audit)
    x = leaf([1.0, 2.0])
    np.testing.assert_array_equal(ScaleAndShift.apply(x, k=3.0).data, [3.0, 6.0])
    np.testing.assert_array_equal(ScaleAndShift.apply(x, shift=1.0).data, [3.0, 5.0])  # k=2
    np.testing.assert_array_equal(ScaleAndShift.apply(x=x, shift=1.0, k=1.0).data, [2.0, 3.0])
    ScaleAndShift.apply(x, k=3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert gradcheck(lambda t: ScaleAndShift.apply(t, shift=0.5, k=-1.5), [leaf([0.3, 0.7])])
    with pytest.raises(TypeError, match=r"^ScaleAndShift\.apply: got an unexpected keyword "
                                        "argument 'q'"):
        ScaleAndShift.apply(x, q=1.0)


def test_apply_refuses_a_name_after_a_variadic_parameter():
    class Total(Function):
        @staticmethod
        def forward(ctx, *xs, scale=1.0):
            return sum(xs) * scale

        @staticmethod
        def backward(ctx, g):
            return g, g

    a, b = leaf([1.0]), leaf([2.0])
    np.testing.assert_array_equal(Total.apply(a, b).data, [3.0])
    with pytest.raises(TypeError, match=r"^Total\.apply: forward's parameter 'xs' is \*"):
        Total.apply(a, b, scale=2.0)
