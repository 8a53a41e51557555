"""`autodiff.gradcheck`: passes right gradients, catches wrong ones with a useful report,
and leaves its inputs alone."""

from __future__ import annotations

import importlib
import math
import re

import numpy as np
import pytest

import autodiff
from autodiff import Function, GradcheckError, Tensor, Value, gradcheck, no_grad, ops


def leaf(data, dtype=np.float64, **kwargs) -> Tensor:
    return Tensor(np.asarray(data, dtype=dtype), requires_grad=True, **kwargs)


class ScaleWrongAt(Function):
    """2 x, with a backward that is wrong only at one flat position of the input"""

    position = 5

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        grad = 2 * grad_output
        grad.reshape(-1)[ScaleWrongAt.position] *= 1.5
        return grad


class WrongSin(ops.Op):
    """sin(x) whose rule says 2 cos(x): a primitive of the op table, for Values"""

    name = "wrong_sin"

    @staticmethod
    def forward(xp, x):
        return xp.sin(x)

    @staticmethod
    def backward(xp, g, out, x):
        return (2 * g * xp.cos(x),)


def test_a_right_gradient_passes_and_returns_true(rng):
    x = leaf(rng.standard_normal((2, 3)))
    w = leaf(rng.standard_normal(3))
    assert gradcheck(lambda x, w: (x * w).tanh().sum(), [x, w]) is True
    assert gradcheck(lambda x: x.exp(), x) is True  # one input need not be in a list


def test_a_wrong_gradient_raises_naming_input_index_and_both_numbers():
    x = leaf(np.arange(6.0).reshape(2, 3) + 1, label="weights")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [x])
    error = info.value
    assert error.input == 0
    assert error.index == (1, 2)  # flat position 5 of a (2, 3) array
    assert isinstance(error.index, tuple)
    assert error.analytic == pytest.approx(3.0)  # 2 * 1.5
    assert error.numeric == pytest.approx(2.0, rel=1e-8)
    assert error.difference == pytest.approx(1.0, rel=1e-7)
    message = str(error)
    for part in ["input 0", "(weights)", "index (1, 2)", "analytic 3", "numeric 2",
                 "difference 1"]:
        assert part in message, part


def test_the_failing_input_is_named_by_its_position():
    a, b = leaf([1.0, 2.0]), leaf(np.arange(6.0).reshape(2, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a.sum() + ScaleWrongAt.apply(b).sum(), [a, b])
    assert info.value.input == 1 and info.value.index == (1, 2)


def test_a_vector_output_is_checked_through_every_component(rng):
    # the wrong entry only shows in one output component; the random output weights
    # of gradcheck make it visible without reducing the output by hand
    x = leaf(rng.standard_normal(6))
    with pytest.raises(GradcheckError) as info:
        gradcheck(ScaleWrongAt.apply, [x])
    assert info.value.index == (5,)


def test_a_zero_dimensional_input_has_the_empty_index():
    x = leaf(0.3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: ScaleWrongAt.apply(a * np.ones(6)), [x])
    assert info.value.index == ()


def test_inputs_keep_their_data_and_grads(rng):
    data = rng.standard_normal((3, 4)).astype(np.float32)
    x = leaf(data.copy(), np.float32)
    y = leaf(rng.standard_normal(4))
    y.grad = np.full(4, 7.0)
    v = Value(0.25)
    v.grad = 3.0
    gradcheck(lambda x, y: (x * y).sin().sum(), [x, y])
    gradcheck(lambda v: (v * v).exp(), [v])
    np.testing.assert_array_equal(x.data, data)
    assert x.data.dtype == np.float32
    assert x.grad is None and not x.parents
    np.testing.assert_array_equal(y.grad, np.full(4, 7.0))
    assert v.data == 0.25 and v.grad == 3.0


def test_inputs_are_unchanged_even_when_the_check_fails():
    data = np.arange(6.0).reshape(2, 3)
    x = leaf(data.copy())
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [x])
    np.testing.assert_array_equal(x.data, data)
    assert x.grad is None


def test_float32_inputs_are_checked_in_float64():
    # in float32 a central difference with eps=1e-6 would be pure rounding noise
    x = leaf([0.5, 1.5, -0.7], np.float32)
    assert gradcheck(lambda t: (t * t * t).sum(), [x], atol=1e-7, rtol=1e-6)


def test_values_are_checked_and_a_wrong_value_rule_is_caught():
    a, b = Value(0.4, label="a"), Value(-1.3)
    assert gradcheck(lambda a, b: (a * b + a.exp()).tanh() / (b * b + 1), [a, b])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a * b + WrongSin.apply(b), [a, b])
    assert info.value.input == 1 and info.value.index == ()
    assert info.value.analytic == pytest.approx(0.4 + 2 * np.cos(-1.3))
    assert info.value.numeric == pytest.approx(0.4 + np.cos(-1.3), rel=1e-8)
    assert a.data == 0.4 and a.grad == 0.0


def test_constants_pass_through_and_plain_floats_are_differentiated():
    seen = []

    def f(x, c, n, flag, name, arr):
        seen.append((type(c), n, flag, name))
        return (x * c).sum() * n + (arr * arr).sum() if flag else x.sum()

    c = Tensor([2.0, 3.0])  # no requires_grad: a constant
    arr = np.array([0.5, -1.0])  # a float array: differentiated
    assert gradcheck(f, [leaf([1.0, 2.0]), c, 3, True, "label", arr])
    assert all(s == (Tensor, 3, True, "label") for s in seen)
    assert c.grad is None
    with pytest.raises(GradcheckError):  # a float array input is really checked
        gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [np.arange(6.0)])


def test_a_step_too_large_for_the_curvature_fails_and_a_small_one_passes():
    x = leaf([1.0, 2.0])
    f = lambda t: (t**3).sum()  # noqa: E731  central error = eps^2 (f''' / 6) = eps^2
    with pytest.raises(GradcheckError):
        gradcheck(f, [x], eps=0.1, atol=1e-6, rtol=0.0)
    assert gradcheck(f, [x], eps=1e-5, atol=1e-6, rtol=0.0)


def test_tolerances_are_respected():
    x = leaf(np.arange(6.0))
    ScaleWrongAt.position = 0  # wrong by 50% at x[0]
    try:
        with pytest.raises(GradcheckError):
            gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [x], rtol=0.4)
        assert gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [x], rtol=0.6)
        assert gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [x], atol=1.01, rtol=0.0)
    finally:
        ScaleWrongAt.position = 5


def test_nothing_to_differentiate_or_no_node_returned_raise_type_error():
    with pytest.raises(TypeError, match="none of the inputs"):
        gradcheck(lambda c, n, s: c * n, [Tensor([1.0]), 3, "x"])  # an int is a constant
    with pytest.raises(TypeError, match="must return a Value or a Tensor"):
        gradcheck(lambda x: 3.0, [leaf([1.0])])


def test_an_input_the_output_ignores_has_zero_gradient():
    assert gradcheck(lambda a, b: (a * 2).sum(), [leaf([1.0, 2.0]), leaf([3.0])])


def test_gradcheck_works_under_no_grad():
    with no_grad():
        assert gradcheck(lambda t: (t * t).sum(), [leaf([1.0, 2.0])])
        with pytest.raises(GradcheckError, match=r"index \(5,\): analytic 3, numeric 2"):
            gradcheck(lambda t: ScaleWrongAt.apply(t).sum(), [leaf(np.ones(6))])


@pytest.mark.parametrize("x", [Value(2.0), leaf(2.0), leaf([1.0, -2.0, 3.0])],
                         ids=["Value", "0-d Tensor", "vector"])
def test_a_function_returning_its_input_itself_passes(x):
    # The output is then a leaf, whose gradient is the seed (it used to be taken as 0).
    assert gradcheck(lambda t: t, [x])
    if isinstance(x, Value):  # a piecewise function on its identity branch
        assert gradcheck(lambda t: t if t.data > 0 else 0.1 * t, [x])


BAD_SETTINGS = [
    ({"eps": 0}, ValueError, "eps must be a finite number > 0, got eps=0"),
    ({"eps": float("nan")}, ValueError, "eps must be a finite number > 0, got eps=nan"),
    ({"eps": float("inf")}, ValueError, "eps must be a finite number > 0, got eps=inf"),
    ({"eps": "1e-6"}, TypeError, "eps must be a number, got eps='1e-6' of type str"),
    ({"atol": -1}, ValueError, "atol must be a finite number >= 0, got atol=-1"),
    ({"rtol": -0.1}, ValueError, "rtol must be a finite number >= 0, got rtol=-0.1"),
    # an infinite tolerance would pass any gradient
    ({"rtol": float("inf")}, ValueError, "rtol must be a finite number >= 0, got rtol=inf"),
    # what numpy.random.default_rng refuses, and a bool
    ({"seed": -1}, ValueError, "seed must be None, a non-negative int or a "
                               "numpy.random.Generator, got seed=-1 of type int"),
    ({"seed": 1.5}, TypeError, "seed must be None, a non-negative int or a "
                               "numpy.random.Generator, got seed=1.5 of type float"),
    ({"seed": "3"}, TypeError, "seed must be None, a non-negative int or a "
                               "numpy.random.Generator, got seed='3' of type str"),
    ({"seed": True}, TypeError, "seed must be None, a non-negative int or a "
                                "numpy.random.Generator, got seed=True of type bool"),
]


@pytest.mark.parametrize(("setting", "error", "message"), BAD_SETTINGS)
@pytest.mark.parametrize("who", ["gradcheck", "locate_fault"])
def test_bad_settings_raise_naming_the_function_the_argument_and_its_value(
        who, setting, error, message):
    # (locate_fault used to let gradcheck refuse them, as "gradcheck: ...", and seed=-1
    # reached NumPy: "expected non-negative integer")
    check = getattr(autodiff, who)
    calls = []

    def f(t):
        calls.append(t)
        return (t * t).sum()

    with pytest.raises(error, match=f"^{who}: {re.escape(message)}"):
        check(f, [leaf([1.0, 2.0])], **setting)
    assert not calls  # refused before f ran


@pytest.mark.parametrize("seed", [None, np.random.default_rng(1), np.int64(3), 2**70],
                         ids=["None", "Generator", "np.int64", "big int"])
@pytest.mark.parametrize("who", ["gradcheck", "locate_fault"])
def test_a_seed_is_what_numpy_random_default_rng_takes(who, seed):
    # 66b339a refused None and a Generator ("seed must be a non-negative int, got
    # NoneType"), which went to default_rng before, as nn's seed arguments take them
    result = getattr(autodiff, who)(lambda t: (t * t).sum(), [leaf([1.0, 2.0])], seed=seed)
    assert result is True if who == "gradcheck" else result.ok


def test_a_generator_seed_gives_the_draws_of_its_state():
    # a backward that ignores its incoming gradient fails the check with random output
    # weights, whose numbers come from the seed: a Generator in the state default_rng(7)
    # makes gives those of seed=7
    def message(seed):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(SumOfSquaresIgnoringGradOutput.apply, [leaf([1.0, -2.0, 4.0])],
                      seed=seed)
        return str(caught.value)

    assert message(np.random.default_rng(7)) == message(7) != message(8)


@pytest.mark.parametrize("who", ["gradcheck", "locate_fault", "numerical_grad"])
def test_an_f_that_is_not_a_function_is_named(who):
    # it was "'int' object is not callable", naming no function
    with pytest.raises(TypeError, match=f"^{who}: f must be a function, got int"):
        getattr(autodiff, who)(5, np.ones(2))


@pytest.mark.parametrize("setting", [{"locate": "yes"}, {"locate": 1}, {"full": "no"},
                                     {"full": None}])
def test_flags_must_be_bools(setting):
    # full="no" checked every entry, as full=True does; locate="no" located the fault
    ((name, value),) = setting.items()
    with pytest.raises(TypeError, match=f"^gradcheck: {name} must be True or False, got "
                                        f"{name}={re.escape(repr(value))}"):
        gradcheck(lambda t: (t * t).sum(), [leaf([1.0, 2.0])], **setting)
    assert gradcheck(lambda t: (t * t).sum(), [leaf([1.0, 2.0])], full=np.True_,
                     locate=np.False_)


# -- Each Jacobian entry on its own, and backward's use of its incoming gradient --------


class SumOfSquaresIgnoringGradOutput(Function):
    """sum(x^2), whose backward forgets to multiply by grad_output: right alone, wrong
    as soon as anything follows it (3 * op(x) would get the gradient of op(x))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * x).sum()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x


class SquareWithHalfTheGradient(Function):
    """x^2, with a backward giving x instead of 2x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x


def test_a_backward_that_ignores_its_incoming_gradient_fails_for_a_scalar_output():
    x = leaf([1.0, -2.0, 4.0])
    with pytest.raises(GradcheckError, match=r"input 0, index \(0,\): with the output's "
                                             r"gradient scaled by -?\d.*grad_output") as info:
        gradcheck(SumOfSquaresIgnoringGradOutput.apply, [x])
    assert info.value.analytic == pytest.approx(2.0)  # what backward gave
    assert abs(info.value.numeric) > 3  # 2 x scaled by a weight of magnitude >= 1.5


def test_an_error_in_a_small_output_is_not_hidden_by_a_large_one():
    # [1e5 x, x^2] with d(x^2)/dx taken as x: one weighted sum of both outputs would
    # hide it within rtol of the large one's derivative
    def f(x):
        return autodiff.concatenate([x * 1e5, SquareWithHalfTheGradient.apply(x)])

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [leaf([0.7])])
    error = info.value
    assert (error.input, error.index, error.output, error.output_index) == (0, (0,), 0, (1,))
    assert error.analytic == pytest.approx(0.7) and error.numeric == pytest.approx(1.4)
    assert "(output index (1,))" in str(error)


@pytest.mark.parametrize(("f", "x"), [
    (lambda a: a.exp(), [0.5, 20.0]),
    (lambda a: a * a, [0.3, 3e4]),
])
def test_outputs_of_very_different_sizes_do_not_fail_a_right_gradient(f, x):
    # the rounding error of the largest output stays in its own entries
    assert gradcheck(f, [leaf(x)])


def test_the_reported_numbers_are_the_derivatives_of_one_output_element():
    x = leaf([0.5, 1.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: autodiff.concatenate([a.exp(), SquareWithHalfTheGradient.apply(a)]),
                  [x])
    error = info.value
    assert error.output_index == (2,) and error.index == (0,)
    assert error.analytic == pytest.approx(0.5)  # the wrong rule: x
    assert error.numeric == pytest.approx(1.0, rel=1e-6)  # d(x^2)/dx = 2x


def test_several_outputs_are_checked_and_named_by_position():
    x = leaf([0.5, -1.0])
    assert gradcheck(lambda a: (a.exp(), a.sin()), [x])
    with pytest.raises(GradcheckError, match=r"\(output 1, index \(0,\)\)") as info:
        gradcheck(lambda a: (a.exp(), SquareWithHalfTheGradient.apply(a)), [x])
    assert info.value.output == 1 and info.value.output_index == (0,)
    with pytest.raises(TypeError, match="got tuple holding a float"):
        gradcheck(lambda a: (a.exp(), 3.0), [x])


def test_a_checked_input_read_from_a_closure_raises():
    W = leaf([[1.0, 2.0], [3.0, -1.0]])
    x = np.array([[0.5, -0.2]])
    with pytest.raises(ValueError, match="f computed from input 0 itself, not from the "
                                         "argument"):
        gradcheck(lambda _W: (Tensor(x) @ W).tanh().sum(), [W])
    assert gradcheck(lambda W_: (Tensor(x) @ W_).tanh().sum(), [W])  # the right way
    v = Value(0.3)
    with pytest.raises(ValueError, match="input 0 itself"):
        gradcheck(lambda _v: v.exp(), [v])


def test_a_float_beside_tensors_is_a_constant_as_in_pytorch():
    # It was a 0-d Tensor and checked: a Function rightly giving None for a float
    # hyperparameter failed, x ** 3.0 failed with nan at x < 0, and leaky_relu(x, s)
    # got a Tensor for its slope (test-writer audit, QA round 18)
    x = leaf([0.2, -0.4])
    assert gradcheck(lambda t, scale: (t * scale).tanh().sum(), [x, 2.0])
    assert gradcheck(lambda t, scale: (t * scale).tanh().sum(), [x, np.float64(2.0)])
    seen = []
    gradcheck(lambda t, scale: seen.append(scale) or (t * scale).sum(), [x, 2.0])
    assert all(type(s) is float and s == 2.0 for s in seen)  # passed as it was given
    assert gradcheck(lambda t, n: (t ** n).sum(), [x, 3.0])
    assert gradcheck(lambda t, slope: t.leaky_relu(slope).sum(), [x, 0.1])
    assert gradcheck(lambda a, b: a * b + a.sin(), [0.5, 1.5])  # floats alone: Values
    with pytest.raises(GradcheckError, match="input 1"):  # ... whose gradients are checked
        gradcheck(lambda a, b: a * b.data, [0.5, 1.5])


def test_past_the_entry_limit_outputs_are_reduced_to_one_weighted_sum(monkeypatch):
    module = importlib.import_module("autodiff.gradcheck")  # (autodiff.gradcheck: the function)
    monkeypatch.setattr(module, "MAX_JACOBIAN_ENTRIES", 1)
    x = leaf(np.arange(6.0).reshape(2, 3) + 1)
    assert gradcheck(lambda a: (a * a, a.sin()), [x])
    with pytest.raises(GradcheckError, match=r"index \(1, 2\) \(of the outputs' weighted "
                                             r"sum: gradcheck\(\.\.\., full=True\) checks "
                                             r"each output element and names the wrong one\)"):
        gradcheck(lambda a: ScaleWrongAt.apply(a), [x])
    # full=True: every entry on its own, whatever the limit, so the output is named
    with pytest.raises(GradcheckError, match=r"index \(1, 2\) \(output index \(1, 2\)\)"):
        gradcheck(lambda a: ScaleWrongAt.apply(a), [x], full=True)
    with pytest.raises(TypeError, match="gradcheck: full must be True or False, got full=1"):
        gradcheck(lambda a: a * 2, [x], full=1)


class FlipsRowZero(Function):
    """A @ x, with a backward whose sign is wrong for output 0 (a small row of A)"""

    A = None

    @staticmethod
    def forward(ctx, x):
        return FlipsRowZero.A @ x

    @staticmethod
    def backward(ctx, grad_output):
        grad = grad_output.copy()
        grad[0] = -grad[0]
        return FlipsRowZero.A.T @ grad


@pytest.mark.parametrize("outputs", [256, 257, 1024])
def test_a_wrong_small_output_is_caught_up_to_1024_outputs(outputs):
    # past 256 outputs (and twice the inputs), the outputs were reduced to one weighted
    # sum, in which a wrong sign on a small output hid within rtol: torch catches it
    A = np.random.default_rng(0).normal(size=(outputs, 10))
    A[0] *= 0.02
    FlipsRowZero.A = A
    x = leaf(np.random.default_rng(1).normal(size=10))
    with pytest.raises(GradcheckError, match=r"\(output index \(0,\)\)"):
        gradcheck(FlipsRowZero.apply, [x])


class Float32Square(Function):
    """x ** 2 computed in float32, with the right rule"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.astype(np.float32) ** 2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


def test_a_function_computing_in_float32_fails_with_a_note_saying_so():
    # the central differences of a float32 computation are off by a few percent at the
    # default eps: a correct rule failed with two numbers and nothing to say why
    x = leaf([0.7, -1.2, 1.9])
    with pytest.raises(GradcheckError, match=r"\. Note: f computes in float32 \(an nn layer "
                                             r"casts its input to its weights' dtype, for "
                                             r"one\), where central differences at "
                                             r"eps=1e-06 are off by about 1e-2"):
        gradcheck(Float32Square.apply, [x])
    assert gradcheck(Float32Square.apply, [x], eps=1e-3, atol=1e-3, rtol=1e-2)
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float32, seed=0), nn.Tanh())
    with pytest.raises(GradcheckError, match="Note: f computes in float32"):
        gradcheck(lambda a: model(a).sum(), [leaf(np.ones((2, 3)))])
    with pytest.raises(GradcheckError) as wrong64:  # a float64 failure has no such note
        gradcheck(lambda a: ScaleWrongAt.apply(a), [leaf(np.ones((2, 3)))])
    assert "Note" not in str(wrong64.value)


def test_a_step_out_of_fs_domain_or_a_random_f_is_explained():
    with pytest.raises(GradcheckError, match=r"numeric nan.*\. f is nan or inf a step of "
                                             r"eps from the point: the point is within eps "
                                             r"of where f is undefined"):
        with np.errstate(invalid="ignore"):
            gradcheck(lambda a: a.log(), [leaf([5e-7])])
    rng = np.random.default_rng(0)
    with pytest.raises(GradcheckError, match=r"Note: f gave other values at the same point "
                                             r"on other calls \(random"):
        gradcheck(lambda a: (a * (rng.random(a.shape) > 0.5)).sum(), [leaf(np.ones(50))])


def test_a_number_input_that_f_combines_with_a_tensor_is_explained():
    c = Tensor(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"^gradcheck: a number argument is differentiated "
                                        r"as a Value .*pass it as np\.array\(x\)"):
        gradcheck(lambda a: (a * c).sum(), [0.5])
    assert gradcheck(lambda a: (a * c).sum(), [np.array(0.5)])
    with pytest.raises(TypeError, match=r"^\*: cannot combine a Value with a Tensor"):
        gradcheck(lambda a: (a * c).sum(), [Value(0.5)])  # a Value given: not explained


def test_gradcheck_is_hidden_from_pytest_tracebacks():
    # a failing check printed gradcheck's whole source under the test's line
    source = importlib.import_module("autodiff.gradcheck")
    for function in (source.gradcheck, source._check_linear):
        assert "__tracebackhide__" in function.__code__.co_varnames


@pytest.mark.parametrize(("eps", "error", "message"), [
    (0, ValueError, "eps must be a finite number > 0, got eps=0"),  # ZeroDivisionError
    (-1e-6, ValueError, "eps must be a finite number > 0, got eps=-1e-06"),
    (float("nan"), ValueError, "eps must be a finite number > 0, got eps=nan"),  # nan
    (float("inf"), ValueError, "eps must be a finite number > 0, got eps=inf"),
    ("a", TypeError, "eps must be a number, got eps='a' of type str"),  # NumPy's error
    (True, TypeError, "eps must be a number, got eps=True of type bool"),
])
def test_numerical_grad_refuses_a_bad_eps_as_gradcheck_does(eps, error, message):
    with pytest.raises(error, match=f"^numerical_grad: {re.escape(message)}"):
        autodiff.numerical_grad(lambda w: (w ** 2).sum(), np.array([1.0, 2.0]), eps=eps)


def test_a_step_lost_in_rounding_is_refused():
    # x + eps == x: the difference quotient was a silent 0 ([0, 0] at eps=1e-30)
    f = lambda w: (w ** 2).sum()  # noqa: E731
    with pytest.raises(ValueError, match=r"^numerical_grad: eps=1e-30 is too small for x, "
                                         r"index \(0,\), which is 1: x \+ eps == x in "
                                         r"float64.*\(eps=1e-06\)"):
        autodiff.numerical_grad(f, np.array([1.0, 2.0]), eps=1e-30)
    with pytest.raises(ValueError, match=r"^numerical_grad: eps=1e-06 is too small for x, "
                                         r"which is 1e\+13"):
        autodiff.numerical_grad(lambda w: w * w, 1e13)
    big = leaf([1.0, 1e13])
    for who in ("gradcheck", "locate_fault"):
        with pytest.raises(ValueError, match=rf"^{who}: eps=1e-06 is too small for input "
                                             r"1, index \(1,\), which is 1e\+13"):
            getattr(autodiff, who)(lambda c, a: (a * a).sum(), [2, big])
    # nan and inf steps stay where they are (f says what it makes of them)
    assert np.isnan(autodiff.numerical_grad(f, np.array([1.0, np.inf]))[1])
    # the eps suggested works
    assert autodiff.numerical_grad(f, np.array([1e13]), eps=1e7) == pytest.approx(2e13)


@pytest.mark.parametrize("x", [None, "1.5", [1.0, None], 1 + 2j])
def test_numerical_grad_refuses_an_x_that_is_not_numbers(x):
    # None and "1.5" were converted (to nan and 1.5), Value gave NumPy's error
    with pytest.raises(TypeError, match=r"^numerical_grad: x must be a float or an array "
                                        r"of numbers, got "):
        autodiff.numerical_grad(lambda w: w, x)


def test_numerical_grad_refuses_an_f_of_many_values():
    # it returned the gradient of their sum without a word
    with pytest.raises(TypeError, match=r"^numerical_grad: f must return a number, got an "
                                        r"output of shape \(2,\)"):
        autodiff.numerical_grad(lambda w: w ** 2, np.array([1.0, 2.0]))
    assert autodiff.numerical_grad(lambda w: Tensor(w).sum() * 1.0, np.ones(2)) == \
        pytest.approx([1.0, 1.0])



def test_a_graph_cut_from_its_input_fails():
    # f depends on x numerically, but its graph does not reach x (detach): analytic 0,
    # numeric 2x
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: (t.detach() ** 2).sum(), [leaf([1.0, 2.0])])
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: Value(v.data) ** 2, [Value(1.5)])


class OffBy(Function):
    """x, with a backward off by `offset` (an absolute error)"""

    offset = 5e-5

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output + OffBy.offset


def test_an_absolute_error_just_above_atol_fails():
    x = leaf([0.0])
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: OffBy.apply(a).sum(), [x], atol=1e-5, rtol=0.0)
    assert gradcheck(lambda a: OffBy.apply(a).sum(), [x], atol=1e-4, rtol=0.0)


def test_many_outputs_of_few_inputs_cost_one_backward_pass(monkeypatch):
    # one pass per output element would cost the square of the output's size
    module = importlib.import_module("autodiff.gradcheck")
    calls = []
    real = module._backward
    monkeypatch.setattr(module, "_backward",
                        lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    scale = leaf(1.5)
    assert gradcheck(lambda s: (s * np.linspace(0, 1, 5000)).tanh(), [scale])
    assert len(calls) == 2  # the weighted sum's row, and its linearity check
    calls.clear()
    assert gradcheck(lambda s: s * np.ones(3), [scale])  # few outputs: one by one
    assert len(calls) == 3 + 1


def _linear_op_wrong_in_one_output(matrix, row, factor):
    class Linear(Function):
        @staticmethod
        def forward(ctx, x):
            return matrix @ x

        @staticmethod
        def backward(ctx, g):
            wrong = matrix.copy()
            wrong[row] *= factor
            return wrong.T @ g

    return Linear


def test_the_weighted_sum_of_many_outputs_hides_no_output_with_a_wrong_sign():
    # Its weights were standard normal: one near 0 hid that output, and a derivative
    # of the wrong sign (or of 0) passed for 8 (17) of 1,100 outputs, 52 and 11 among
    # them (QA round 18). Weights of magnitude 1 to 2 let none through.
    matrix = np.random.default_rng(1).normal(size=(1100, 4))
    x = leaf([0.1, -0.3, 0.7, 1.2])
    rows = [52, 11, *np.random.default_rng(2).choice(1100, 60, replace=False)]
    for factor in (-1.0, 0.0):
        for row in rows:
            op = _linear_op_wrong_in_one_output(matrix, row, factor)
            with pytest.raises(GradcheckError, match="of the outputs' weighted sum"):
                gradcheck(op.apply, [x])


class DoubleWithNanGradient(Function):
    """2 x, whose backward gives nan"""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * np.nan


class BroadcastSumWrong(Function):
    """x.sum() repeated in 3 outputs, whose backward is 1.5 times too large: every
    output element is wrong for every input element"""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return np.full(3, x.sum())

    @staticmethod
    def backward(ctx, grad_output):
        return np.full(ctx.shape, 1.5 * grad_output.sum())


class DoubleNanForANegativeGradient(Function):
    """2 x, whose backward is right for a positive incoming gradient and nan for a
    negative one (2 sqrt(g) sqrt(g))"""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        with np.errstate(invalid="ignore"):
            return 2 * np.sqrt(grad_output) * np.sqrt(grad_output)


def test_a_nan_gradient_fails():
    # kills G14 (the entry test written as `difference > tolerance`, which nan passes)
    with pytest.raises(GradcheckError, match="analytic nan") as info:
        gradcheck(DoubleWithNanGradient.apply, [leaf([1.0, 2.0])])
    assert np.isnan(info.value.analytic) and info.value.numeric == pytest.approx(2.0)


def test_a_nan_gradient_for_a_scaled_incoming_gradient_fails():
    # kills G28 (the scaling test written as `difference > tolerance`, which nan
    # passes): one-hot gradients of 1 give the right rows, the random output weights
    # (some negative) give nan
    with pytest.raises(GradcheckError, match="grad_output"):
        gradcheck(DoubleNanForANegativeGradient.apply, [leaf([1.0, 2.0, 3.0, 4.0])])


def test_the_first_wrong_output_element_is_reported():
    # kills G15 (the last failing output element was reported)
    with pytest.raises(GradcheckError, match=r"index \(0,\) \(output index \(0,\)\)") as info:
        gradcheck(BroadcastSumWrong.apply, [leaf([1.0, 2.0])])
    assert info.value.output_index == (0,) and info.value.index == (0,)


def test_the_failing_input_is_named_by_its_position_among_all_inputs():
    # kills G19 (the position among the checked inputs only: a constant before the
    # failing input shifted it)
    c, b = Tensor([1.0, 2.0]), leaf(np.arange(6.0))  # c: a constant (no requires_grad)
    with pytest.raises(GradcheckError, match="input 1,") as info:
        gradcheck(lambda c, b: (c.sum() * ScaleWrongAt.apply(b)).sum(), [c, b])
    assert info.value.input == 1 and info.value.index == (5,)


def test_a_float_beside_an_array_is_a_0d_tensor():
    # kills G05 (only Tensors made a float a 0-d Tensor: beside a plain array it was a
    # Value, which f cannot combine with the array's Tensor)
    assert gradcheck(lambda x, s: (x * s).sum(), [np.array([1.0, 2.0]), 0.5]) is True


def test_numerical_grad_of_a_number_is_a_float():
    # kills G24 (a 0-d array came back)
    g = autodiff.numerical_grad(lambda t: t ** 3, 2.0)
    assert type(g) is float and g == pytest.approx(12.0)


def test_locate_adds_the_fault_table_to_the_message_for_both_kinds_of_failure():
    # kills G31 (the table was not added to the message) and G33 (no fault located when
    # the scaling test fails)
    with pytest.raises(GradcheckError, match="First wrong rule") as info:
        gradcheck(lambda a: ScaleWrongAt.apply(a).sum(), [leaf(np.arange(6.0))], locate=True)
    assert info.value.fault is not None and info.value.fault.fault.op == "ScaleWrongAt"
    # the report's "Whole function:" line said the message's first line again
    assert "Whole function" not in str(info.value)
    assert str(info.value).count("analytic 3, numeric 2.0") == 1
    with pytest.raises(GradcheckError, match="grad_output") as info:
        gradcheck(DoubleNanForANegativeGradient.apply, [leaf([1.0, 2.0, 3.0, 4.0])],
                  locate=True)
    assert info.value.fault is not None
    assert "DoubleNanForANegativeGradient" in str(info.value)


def test_f_failing_a_step_from_the_point_is_reported_as_the_steps_failure():
    # log is defined at the point (1e-9) but not at the point - eps: the error was
    # log's own, as if gradcheck's point were outside f's domain
    x = Value(0.3, label="x")
    with pytest.raises(ValueError, match=r"^gradcheck: f failed at input 0 \(x\), index \(\) "
                                         r"moved by -1e-06 from 0\.3 .*log needs x > 0\. "
                                         r"The point is within eps of where f is undefined"):
        gradcheck(lambda v: (v - 0.3 + 1e-9).log(), [x])
    assert x.data == 0.3  # left as it was
    assert gradcheck(lambda v: (v - 0.3 + 1e-9).log(), [x], eps=1e-10, rtol=1e-2)


# -- gradgradcheck ------------------------------------------------------------------------


@pytest.mark.parametrize("f, inputs", [
    (lambda x, y: (x * y).tanh(), [leaf([0.3, -0.7, 1.2]), leaf([[0.5], [1.5]])]),
    (lambda a, b: a * b.sin() / (a + 2.0), [Value(0.3), Value(1.1)]),
    (lambda a, b: a ** b, [0.8, 1.3]),  # floats become Values
    (lambda x: (x * 2.0, x.exp()), [leaf([0.1, 0.2])]),  # two outputs, one linear
    (lambda x, n: x ** n, [leaf([0.5, 1.5]), 3]),  # an int is a constant
    (lambda x, y: x * 2.0, [leaf([1.0, 2.0]), leaf([3.0])]),  # y unused: zero Hessian
])
def test_gradgradcheck_passes_right_second_derivatives(f, inputs):
    assert autodiff.gradgradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-6)


def _output_read_as_a_constant(xp, g, out, x):
    # exp's rule with its output taken out of the graph: the first derivative is right,
    # the recorded one has lost that it depends on x
    return (g * (out.data if isinstance(out, Tensor) else out),)


def _incoming_gradient_as_a_constant(xp, g, out, x):
    return ((g.data if isinstance(g, Tensor) else g) * (1 - out * out),)


@pytest.mark.parametrize("op, rule, f, by, of", [
    # exp's output as a constant: d2/dx0 dx0 of exp(x y) loses its exp(x y) y^2 term
    (ops.Exp, _output_read_as_a_constant, lambda x, y: (x * y).exp(),
     r"input 0 \(x\), index \(0,\)", r"input 0 \(x\), index \(0,\)"),
    # tanh's incoming gradient as a constant, tanh inside a square: d2/dx0 dx0 wrong
    (ops.Tanh, _incoming_gradient_as_a_constant, lambda x, y: (x * y).tanh() ** 2,
     r"input 0 \(x\), index \(0,\)", r"input 0 \(x\), index \(0,\)"),
    # the same with tanh last: only the derivative by the output's weight (the
    # incoming gradient of tanh's rule, an input of the check as in PyTorch) shows it
    (ops.Tanh, _incoming_gradient_as_a_constant, lambda x, y: (x * y).tanh(),
     r"the weight of f's output, index \(0,\)", r"input 0 \(x\), index \(0,\)"),
])
def test_gradgradcheck_catches_a_rule_recorded_wrongly_that_gradcheck_passes(
        monkeypatch, op, rule, f, by, of):
    monkeypatch.setattr(op, "backward", staticmethod(rule))
    x, y = leaf([0.3, -0.7], label="x"), leaf([0.5, 2.0])
    assert gradcheck(f, [x, y])
    with pytest.raises(GradcheckError, match=rf"^gradgradcheck: {by}, of d\(w \* f\)/d\({of}\) "
                                             r"\(w: .*\): analytic -?[\d.]+, numeric "
                                             r"-?[\d.]+") as caught:
        autodiff.gradgradcheck(f, [x, y])
    error = caught.value
    assert error.analytic != pytest.approx(error.numeric, rel=1e-3)
    assert (error.output, error.output_index) == (0, (0,))
    assert error.input == (0 if by.startswith("input") else 2) and error.index == (0,)


def test_gradgradcheck_weights_never_hide_a_wrong_second_derivative(monkeypatch):
    # a random weight near 0 scaled the wrong entry under atol (seed 117 drew 3.8e-5)
    monkeypatch.setattr(ops.Exp, "backward", staticmethod(_output_read_as_a_constant))
    x = leaf([0.3, 0.6])
    for seed in range(200):
        with pytest.raises(GradcheckError):
            autodiff.gradgradcheck(lambda x: x.exp() * 0.01, [x], seed=seed)
    # a single number is weighted by 1: the error shows f's own second derivative
    with pytest.raises(GradcheckError, match=r"analytic 0, numeric 0\.013498588"):  # e^0.3/100
        autodiff.gradgradcheck(lambda x: x.exp().sum() * 0.01, [leaf([0.3])])


def test_gradgradcheck_refuses_f_reading_an_input_from_a_closure():
    x = leaf([0.5, 1.0])
    with pytest.raises(ValueError, match=r"^gradgradcheck: f computed from input 0 itself"):
        autodiff.gradgradcheck(lambda unused: (x * x).sum(), [x])


def test_gradgradcheck_names_itself_where_the_shared_check_fails(monkeypatch):
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^gradgradcheck: eps=1e-30 is too small"):
        autodiff.gradgradcheck(lambda x: x * x, [x], eps=1e-30)
    with pytest.raises(TypeError, match=r"^gradgradcheck: f must return a Value or a Tensor"):
        autodiff.gradgradcheck(lambda x: 3, [x])
    with pytest.raises(TypeError, match=r"^gradgradcheck: f returned an empty tuple"):
        autodiff.gradgradcheck(lambda x: (), [x])
    with pytest.raises(ValueError, match=r"^gradgradcheck: f failed at input 0, index \(\) "
                                         r"moved by -0.001"):
        autodiff.gradgradcheck(lambda v: v.log(), [Value(1e-3)], eps=1e-3)  # log(0) raises
    # past the entry limit, the first derivatives are reduced to a weighted sum: said so
    module = importlib.import_module("autodiff.gradcheck")
    monkeypatch.setattr(module, "MAX_JACOBIAN_ENTRIES", 1)
    monkeypatch.setattr(ops.Exp, "backward", staticmethod(_output_read_as_a_constant))
    with pytest.raises(GradcheckError, match=r"of the outputs' weighted sum: "
                                             r"gradgradcheck\(\.\.\., full=True\)"):
        autodiff.gradgradcheck(lambda x: x.exp(), [x])
    with pytest.raises(GradcheckError, match=r"of d\(w \* f\)/d\(input 0, index \(0,\)\) "
                                             r"\(w: the check's fixed random weights"):
        autodiff.gradgradcheck(lambda x: x.exp(), [x], full=True)


def test_gradgradcheck_names_itself_for_bad_arguments():
    x = leaf([0.5, 1.0])
    with pytest.raises(ValueError, match=r"gradgradcheck: eps must be a finite number > 0"):
        autodiff.gradgradcheck(lambda x: x * x, [x], eps=0.0)
    with pytest.raises(TypeError, match="gradgradcheck: none of the inputs is differentiable"):
        autodiff.gradgradcheck(lambda n: Tensor([1.0]) * n, [3])


def test_a_step_lost_below_the_point_is_refused_and_named():
    # -1 + 6e-17 differs from -1 but -1 - 6e-17 does not: the difference quotient was
    # (f(x + eps) - f(x)) / (2 eps), half the slope, with no error
    with pytest.raises(ValueError, match=r"^numerical_grad: eps=6e-17 is too small for x, "
                                         r"which is -1: x - eps == x in float64"):
        autodiff.numerical_grad(lambda v: v, -1.0, eps=6e-17)
    with pytest.raises(ValueError, match=r"^gradcheck: .*x - eps == x"):
        gradcheck(lambda v: v * 1.0, [np.array([-1.0])], eps=6e-17)


def test_a_difference_equal_to_the_tolerance_passes():
    # 2x at 1 with a power-of-two step: both derivatives are exactly 2, so atol=rtol=0
    assert gradcheck(lambda x: x * 2.0, [np.array([1.0])], eps=2.0**-20, atol=0.0, rtol=0.0)


def test_a_function_undefined_at_the_point_itself_is_not_said_to_be_so_a_step_away():
    with pytest.raises(GradcheckError) as caught, np.errstate(invalid="ignore"):
        gradcheck(lambda x: x**0.5, [np.array([-1.0])])  # nan at -1 itself
    assert "analytic nan, numeric nan" in str(caught.value)
    assert "a step of eps from the point" not in str(caught.value)


class _Spread(Function):
    """out[k] = A[k] x[k // 200]: 10 inputs, 2,000 outputs (so gradcheck checks a random
    weighting of the outputs), with a backward that reverses grad_output"""

    scale = np.linspace(1.0, 2.0, 2000)

    @staticmethod
    def forward(ctx, x):
        return np.repeat(x, 200) * _Spread.scale

    @staticmethod
    def backward(ctx, grad):
        return (grad[::-1] * _Spread.scale).reshape(10, 200).sum(axis=1)


def test_a_backward_that_permutes_its_incoming_gradient_fails_a_weighted_check():
    # weights of all ones would let a permuted grad_output pass: they must be random
    with pytest.raises(GradcheckError, match="weighted sum"):
        gradcheck(_Spread.apply, [leaf(np.arange(1.0, 11.0))])



def test_gradgradcheck_takes_values_beside_arrays_and_outputs_of_both_kinds():
    # the weights of Value outputs are Values: a Tensor or an array among the inputs
    # made them 0-d Tensors, which a Value output could not be multiplied by
    v, x = Value(0.7), leaf([0.5, -1.0])
    assert autodiff.gradgradcheck(lambda a, t: a * a * a, [v, x])
    assert autodiff.gradgradcheck(lambda a, t: a * a * a, [v, np.ones(2)])
    assert autodiff.gradgradcheck(lambda a, t: (a * a * a, (t**3).sum()), [v, x])
    # a too small eps is named where it is too small: here only at the check's weight
    with pytest.raises(ValueError, match=r"^gradgradcheck: eps=1e-20 is too small for the "
                                         r"weight of f's output, which is 1"):
        autodiff.gradgradcheck(lambda a: a**3, [Value(0.0)], eps=1e-20)



def test_locate_on_a_function_of_several_outputs_keeps_the_verdict_and_finds_the_rule():
    # locate_fault takes one output: its TypeError replaced the GradcheckError, and the
    # failing entry was lost (QA round 18)
    x = leaf([0.5, -1.0])
    f = lambda a: (a.exp(), SquareWithHalfTheGradient.apply(a))  # noqa: E731
    with pytest.raises(GradcheckError, match=r"^gradcheck: input 0, index .*output 1.*"
                                             r"analytic") as info:
        gradcheck(f, [x], locate=True)
    assert info.value.fault is not None
    assert "First wrong rule: op 'SquareWithHalfTheGradient'" in str(info.value)


def test_locate_that_cannot_run_keeps_the_verdict():
    x = leaf([0.5, -1.0])
    with pytest.raises(GradcheckError, match=r"locate=True: locate_fault could not run"):
        gradcheck(lambda a: (a.exp(), SquareWithHalfTheGradient.apply(a), Value(2.0)), [x],
                  locate=True)


def test_raise_exception_false_returns_false_for_a_wrong_gradient():
    # PyTorch's keyword, with which ported tests assert that a wrong rule fails
    x = leaf([0.5, -1.0])
    assert gradcheck(SquareWithHalfTheGradient.apply, [x], raise_exception=False) is False
    assert gradcheck(lambda a: a * a, [x], raise_exception=False) is True
    # (x^3 with a derivative recorded as a constant: its second derivative is lost)
    surrogate = lambda a: (a * a * a).detach() + 3 * (a * a).detach() * (a - a.detach())  # noqa: E731
    assert gradcheck(lambda a: surrogate(a).sum(), [x])
    assert autodiff.gradgradcheck(lambda a: surrogate(a).sum(), [x],
                                  raise_exception=False) is False
    assert autodiff.gradgradcheck(lambda a: (a * a * a).sum(), [x], raise_exception=False)
    with pytest.raises(ValueError, match="eps"):  # other errors raise still
        gradcheck(lambda a: a * a, [x], eps=-1.0, raise_exception=False)
    with pytest.raises(TypeError, match="raise_exception"):
        gradcheck(lambda a: a * a, [x], raise_exception="no")


class DoublesItsInputInPlace(Function):
    """2 x, written into x"""

    @staticmethod
    def forward(ctx, x):
        x *= 2
        return x

    @staticmethod
    def backward(ctx, g):
        return 2 * g


def test_a_function_that_changes_its_input_in_place_is_named_so():
    # It was diagnosed as "random, as a dropout mask, or keeping state?"
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^gradcheck: f changed input 0 in place \(its data "
                                         r"differs after one call of f\)"):
        gradcheck(DoublesItsInputInPlace.apply, [x])
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])  # a copy was changed, not x


def test_a_nan_under_detect_anomaly_at_a_moved_point_says_it_is_the_step():
    # detect_anomaly's error replaced gradcheck's explanation that the nan is f's a
    # step of eps from the point, not at it
    x = leaf([5e-7, 1.0])
    with autodiff.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(autodiff.AnomalyError, match=r"^gradcheck: f failed at input 0, "
                                                        r"index \(0,\) moved by -1e-06 from "
                                                        r"5e-07 \(the finite difference's "
                                                        r"step\): detect_anomaly: forward"):
            gradcheck(lambda t: t.log(), [x])


def test_numerical_grad_gives_f_a_tensor_or_a_value_when_x_is_one():
    x = leaf([0.5, 1.0])
    np.testing.assert_allclose(autodiff.numerical_grad(lambda t: t.tanh().sum(), x),
                               1 - np.tanh([0.5, 1.0]) ** 2, rtol=1e-8)
    assert autodiff.numerical_grad(lambda v: v.tanh(), Value(0.5)) == pytest.approx(
        1 - math.tanh(0.5) ** 2, rel=1e-8)
    np.testing.assert_array_equal(x.data, [0.5, 1.0])


def test_a_float_beside_integer_labels_only_is_checked():
    # An int array is a constant, so the float is the only variable: it was taken as a
    # constant too, and the check said none of the inputs is differentiable (QA round 19)
    labels = np.array([0, 1, 1])
    f = lambda s, y: ((s * 2.0) ** 3 * Tensor(y.astype(float))).sum()  # noqa: E731
    assert gradcheck(f, [0.5, labels])
    assert autodiff.gradgradcheck(f, [0.5, labels])
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda s, y: f(s, y).detach() * 1.0 + s * 0.0, [0.5, labels])


def test_a_float_beside_a_value_and_integer_labels_is_a_value():
    # it became a 0-d Tensor, which the Value could not multiply (QA round 20)
    xs = [1.0, 2.0, 3.0]
    f = lambda v, s, idx: sum(v * s * xs[i] for i in idx)  # noqa: E731
    assert gradcheck(f, (Value(0.7), 1.5, np.array([0, 2])))
    assert autodiff.gradgradcheck(f, (Value(0.7), 1.5, np.array([0, 2])))
