"""nn.init spelled and scaled as torch.nn.init (QA round 24: `uniform_(w, a=, b=)`,
`kaiming_uniform_(w, nonlinearity='relu')`, `mode='fan_out'` and `xavier_uniform_` were
bare "unexpected keyword argument" or missing-attribute errors)."""

import inspect
import math
import re

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn import init

SQRT2 = math.sqrt(2.0)
# a conv kernel (out, in, h, w): fan_in = 32 * 9 = 288, fan_out = 64 * 9 = 576, so a
# formula that swaps the fans, or forgets the kernel's field, gives another spread
KERNEL = (64, 32, 3, 3)
FAN_IN, FAN_OUT = 288, 576


def empty(shape=KERNEL, dtype=np.float64):
    return Tensor(np.full(shape, 7.0, dtype=dtype), requires_grad=True)


def check_uniform(data, bound):
    """Draws of U(-bound, bound): inside it, reaching its ends, of std bound / sqrt(3)."""
    assert -bound <= data.min() < -0.999 * bound
    assert 0.999 * bound < data.max() < bound
    assert abs(data.std() / (bound / math.sqrt(3.0)) - 1) < 0.01
    assert abs(data.mean()) < 0.01 * bound


def check_normal(data, std, mean=0.0):
    """Draws of N(mean, std^2): their std within 1%, and untruncated (past 4 std)."""
    assert abs(data.std() / std - 1) < 0.01
    assert abs(data.mean() - mean) < 0.01 * std
    assert np.abs(data - mean).max() > 4 * std


# ---- calculate_gain ------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity, gain", [
    ("linear", 1.0), ("conv1d", 1.0), ("conv2d", 1.0), ("conv3d", 1.0),
    ("conv_transpose1d", 1.0), ("conv_transpose2d", 1.0), ("conv_transpose3d", 1.0),
    ("sigmoid", 1.0), ("tanh", 5.0 / 3.0), ("relu", SQRT2), ("selu", 0.75),
    ("leaky_relu", math.sqrt(2.0 / (1.0 + 0.01**2))),  # the default slope, 0.01
])
def test_calculate_gain_by_hand(nonlinearity, gain):
    assert init.calculate_gain(nonlinearity) == pytest.approx(gain, rel=1e-12)
    assert isinstance(init.calculate_gain(nonlinearity), float)


def test_calculate_gain_of_a_leaky_relu_uses_its_slope_and_the_others_ignore_it():
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", 0) == pytest.approx(SQRT2)
    assert init.calculate_gain("leaky_relu", -1) == pytest.approx(1.0)  # |slope| 1: linear
    assert init.calculate_gain("leaky_relu", np.array(0.2)) == init.calculate_gain(
        "leaky_relu", 0.2)
    assert init.calculate_gain("relu", 0.2) == pytest.approx(SQRT2)  # (as in PyTorch)


@pytest.mark.parametrize("nonlinearity", ["linear", "conv1d", "conv2d", "conv3d",
                                          "conv_transpose1d", "conv_transpose2d",
                                          "conv_transpose3d", "sigmoid", "tanh", "relu",
                                          "leaky_relu", "selu"])
@pytest.mark.parametrize("param", [None, 0.2, -3.0, 0])
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: init.calculate_gain("softmax"), ValueError,
     "^calculate_gain: unsupported nonlinearity 'softmax'; one of 'linear'"),
    (lambda: init.calculate_gain("ReLU"), ValueError,
     "^calculate_gain: unsupported nonlinearity 'ReLU'"),
    (lambda: init.calculate_gain(nn.ReLU()), TypeError,
     "^calculate_gain: nonlinearity must be a str"),
    (lambda: init.calculate_gain("leaky_relu", True), TypeError,
     "^calculate_gain: param must be a real number, got bool"),
    (lambda: init.calculate_gain("leaky_relu", "0.2"), TypeError,
     "^calculate_gain: param must be a real number, got str"),
    (lambda: init.calculate_gain("leaky_relu", float("nan")), ValueError,
     "^calculate_gain: param must be finite"),
], ids=["unknown", "case", "a module", "bool slope", "str slope", "nan slope"])
def test_calculate_gain_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- fans ---------------------------------------------------------------------------

def test_fan_out_counts_the_outputs_and_the_kernel_field():
    assert init.fan_out(Tensor(np.empty(KERNEL))) == FAN_OUT
    assert init.fan_in(Tensor(np.empty(KERNEL))) == FAN_IN
    assert init.fan_out(Tensor(np.empty((4, 9)))) == 4
    with pytest.raises(ValueError, match=r"^fan_out: needs a tensor of 2 or more "
                                         r"dimensions.*got shape \(6,\)"):
        init.fan_out(Tensor(np.empty(6)))


# ---- uniform_ and normal_ ------------------------------------------------------------

def test_uniform_takes_torchs_a_and_b_with_their_defaults():
    t = init.uniform_(empty((500, 400)), seed=0)  # U(0, 1)
    assert t.data.min() >= 0 and t.data.max() < 1
    assert abs(t.data.mean() - 0.5) < 0.005 and abs(t.data.std() - math.sqrt(1 / 12)) < 0.003
    u = init.uniform_(empty((500, 400)), a=-0.1, b=0.1, seed=1)
    check_uniform(u.data, 0.1)
    # the same draws however a and b are spelled: positionally, a=/b=, low=/high=
    spellings = [init.uniform_(empty((3, 4)), -2.0, 3.0, seed=5),
                 init.uniform_(empty((3, 4)), a=-2.0, b=3.0, seed=5),
                 init.uniform_(empty((3, 4)), low=-2.0, high=3.0, seed=5),
                 init.uniform_(empty((3, 4)), -2.0, high=3.0, seed=5)]
    for other in spellings[1:]:
        np.testing.assert_array_equal(other.data, spellings[0].data)


def test_uniform_refuses_an_argument_spelled_twice():
    t = empty((2, 2))
    with pytest.raises(TypeError, match="^uniform_: got both a and low, which are one "
                                        "argument"):
        init.uniform_(t, 0.0, low=-1.0)  # (a given as 0.0, its default, still counts)
    with pytest.raises(TypeError, match="^uniform_: got both b and high"):
        init.uniform_(t, b=2.0, high=1.0)
    np.testing.assert_array_equal(t.data, 7.0)


def test_normal_draws_with_the_mean_and_std_given():
    check_normal(init.normal_(empty((500, 400)), seed=0).data, 1.0)  # N(0, 1)
    check_normal(init.normal_(empty((500, 400)), mean=3.0, std=0.02, seed=0).data, 0.02,
                 mean=3.0)
    t = init.normal_(empty((3,)), 2.5, 0.0, seed=0)  # std 0 fills with the mean
    np.testing.assert_array_equal(t.data, 2.5)


# ---- xavier --------------------------------------------------------------------------

@pytest.mark.parametrize("gain", [1.0, 5.0 / 3.0])
def test_xavier_uniform_bound(gain):
    t = init.xavier_uniform_(empty(), gain=gain, seed=0)
    check_uniform(t.data, gain * math.sqrt(6.0 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("gain", [1.0, SQRT2])
def test_xavier_normal_std(gain):
    t = init.xavier_normal_(empty(), gain, seed=0)
    check_normal(t.data, gain * math.sqrt(2.0 / (FAN_IN + FAN_OUT)))


def test_xavier_of_a_matrix_and_a_zero_gain():
    t = init.xavier_uniform_(empty((600, 300)), seed=0)
    check_uniform(t.data, math.sqrt(6.0 / 900))
    np.testing.assert_array_equal(init.xavier_normal_(empty((3, 2)), gain=0, seed=0).data,
                                  0.0)


# ---- kaiming -------------------------------------------------------------------------

@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize("nonlinearity, a, gain", [
    ("leaky_relu", 0.0, SQRT2),  # the default: a=0 is a ReLU
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),  # Linear's
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("relu", 0.0, SQRT2),
    ("relu", 0.5, SQRT2),  # a is the leaky ReLU's; relu ignores it, as in PyTorch
    ("tanh", 0.0, 5 / 3),
    ("linear", 0.0, 1.0),
    ("selu", 0.0, 0.75),
])
def test_kaiming_bound_and_std_by_hand(mode, fan, nonlinearity, a, gain):
    u = init.kaiming_uniform_(empty(), a=a, mode=mode, nonlinearity=nonlinearity, seed=0)
    check_uniform(u.data, gain * math.sqrt(3.0 / fan))
    n = init.kaiming_normal_(empty(), a, mode, nonlinearity, seed=0)
    check_normal(n.data, gain / math.sqrt(fan))


KAIMING_ARGS = [{}, {"mode": "fan_out"}, {"nonlinearity": "relu"},
                {"a": 0.3, "mode": "fan_out"}, {"nonlinearity": "tanh"}]


@pytest.mark.parametrize("fill, kwargs", [
    *[(name, kwargs) for name in ("kaiming_uniform_", "kaiming_normal_")
      for kwargs in KAIMING_ARGS],
    *[(name, kwargs) for name in ("xavier_uniform_", "xavier_normal_")
      for kwargs in ({}, {"gain": 2.0})],
], ids=lambda x: x if isinstance(x, str) else ",".join(f"{k}={v}" for k, v in x.items()))
def test_spread_matches_torchs_on_the_same_shape(fill, kwargs):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn.init, fill)(torch.empty(KERNEL, dtype=torch.float64),
                                          **kwargs).numpy()
    ours = getattr(init, fill)(empty(), **kwargs, seed=0).data
    assert abs(ours.std() / theirs.std() - 1) < 0.02
    if fill.endswith("uniform_"):  # the same bound
        assert abs(np.abs(ours).max() / np.abs(theirs).max() - 1) < 0.002


def test_kaiming_keeps_fan_as_an_override_and_a_vectors_fan_in():
    t = init.kaiming_uniform_(empty((100, 40)), a=0.0, fan=400, seed=0)
    check_uniform(t.data, SQRT2 * math.sqrt(3.0 / 400))
    t = init.kaiming_normal_(empty((500, 200)), nonlinearity="relu", fan=10, seed=0)
    check_normal(t.data, SQRT2 / math.sqrt(10))
    v = init.kaiming_uniform_(empty((4000,)), seed=0)  # PyTorch refuses a vector
    check_uniform(v.data, SQRT2 * math.sqrt(3.0 / 4000))


def test_linear_draws_as_before():
    # Linear calls kaiming_uniform_(w, a=sqrt(5)) and uniform_(b, -bound, bound): the
    # same draws as the formula gave before these functions took PyTorch's arguments
    layer = nn.Linear(4, 3, seed=0)
    rng = np.random.default_rng(0)
    bound = math.sqrt(2.0 / (1.0 + math.sqrt(5) ** 2)) * math.sqrt(3.0 / 4)
    np.testing.assert_array_equal(layer.weight.data, rng.uniform(-bound, bound, (3, 4)))
    np.testing.assert_array_equal(layer.bias.data, rng.uniform(-0.5, 0.5, 3))


# ---- seeds and generator= ------------------------------------------------------------

CALLS = {
    "uniform_": lambda t, **k: init.uniform_(t, -1.0, 2.0, **k),
    "normal_": lambda t, **k: init.normal_(t, 1.0, 2.0, **k),
    "xavier_uniform_": lambda t, **k: init.xavier_uniform_(t, **k),
    "xavier_normal_": lambda t, **k: init.xavier_normal_(t, **k),
    "kaiming_uniform_": lambda t, **k: init.kaiming_uniform_(t, nonlinearity="relu", **k),
    "kaiming_normal_": lambda t, **k: init.kaiming_normal_(t, mode="fan_out", **k),
    "trunc_normal_": lambda t, **k: init.trunc_normal_(t, 0.5, 2.0, -1.0, 3.0, **k),
    "orthogonal_": lambda t, **k: init.orthogonal_(t, 2.0, **k),
    "sparse_": lambda t, **k: init.sparse_(t, 0.5, **k),
}


@pytest.mark.parametrize("name", CALLS)
def test_seeds_reproduce_and_a_generator_advances(name):
    call = CALLS[name]
    first, again = call(empty((5, 4)), seed=3), call(empty((5, 4)), seed=3)
    np.testing.assert_array_equal(first.data, again.data)
    assert not np.array_equal(first.data, call(empty((5, 4)), seed=4).data)
    gen = np.random.default_rng(3)
    np.testing.assert_array_equal(call(empty((5, 4)), seed=gen).data, first.data)
    assert not np.array_equal(call(empty((5, 4)), seed=gen).data, first.data)
    # PyTorch's keyword, given a numpy Generator, is the same as seed=
    np.testing.assert_array_equal(
        call(empty((5, 4)), generator=np.random.default_rng(3)).data, first.data)


class Generator:  # named as torch's is
    pass


@pytest.mark.parametrize("name", CALLS)
def test_generator_must_be_numpys_and_not_given_with_seed(name):
    call, t = CALLS[name], empty((2, 3))
    with pytest.raises(TypeError, match=f"^{name}: generator must be a "
                                        r"numpy.random.Generator, got .*Generator; pass "
                                        "seed="):
        call(t, generator=Generator())
    with pytest.raises(TypeError, match=f"^{name}: give seed or generator, not both"):
        call(t, seed=0, generator=np.random.default_rng(0))
    with pytest.raises(ValueError, match=f"^{name}: seed must be a non-negative int"):
        call(t, seed=-2)
    np.testing.assert_array_equal(t.data, 7.0)


def test_a_torch_generator_is_refused_naming_seed():
    torch = pytest.importorskip("torch")
    t = empty((2, 3))
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator, "
                                        r"got torch.*Generator; pass seed="):
        init.xavier_uniform_(t, generator=torch.Generator())
    np.testing.assert_array_equal(t.data, 7.0)


# ---- errors leave the tensor (and the generator) as they were -------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda t, g: init.kaiming_uniform_(t, mode="fan_avg", seed=g), ValueError,
     "^kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got 'fan_avg'"),
    (lambda t, g: init.kaiming_normal_(t, 0, 400, seed=g), TypeError,
     r"^kaiming_normal_: mode must be 'fan_in' or 'fan_out', got int: 400 \(fan is the "
     "keyword fan=\\)"),
    (lambda t, g: init.kaiming_uniform_(t, nonlinearity="gelu", seed=g), ValueError,
     "^kaiming_uniform_: unsupported nonlinearity 'gelu'; one of"),
    (lambda t, g: init.kaiming_normal_(t, nonlinearity=None, seed=g), TypeError,
     "^kaiming_normal_: nonlinearity must be a str"),
    (lambda t, g: init.kaiming_uniform_(t, mode="fan_out", fan=3, seed=g), TypeError,
     "^kaiming_uniform_: give fan= or mode='fan_out', not both"),
    (lambda t, g: init.kaiming_normal_(t, fan=0, seed=g), ValueError,
     "^kaiming_normal_: fan must be a finite number > 0, got 0"),
    (lambda t, g: init.kaiming_normal_(t, a="x", seed=g), TypeError,
     "^kaiming_normal_: a must be a real number"),
    (lambda t, g: init.kaiming_normal_(t, a=1e200, seed=g), ValueError,
     r"^kaiming_normal_: a=1e\+200 and fan=3 give the std 0.0, which cannot be drawn"),
    (lambda t, g: init.normal_(t, 0.0, -1.0, seed=g), ValueError,
     "^normal_: std must be >= 0, got std=-1.0"),
    (lambda t, g: init.normal_(t, float("nan"), seed=g), ValueError,
     "^normal_: mean must be finite, got mean=nan"),
    (lambda t, g: init.normal_(t, std="1", seed=g), TypeError,
     "^normal_: std must be a real number, got str"),
    (lambda t, g: init.xavier_uniform_(t, gain=-1.0, seed=g), ValueError,
     "^xavier_uniform_: gain must be >= 0, got gain=-1.0"),
    (lambda t, g: init.xavier_normal_(t, gain=float("inf"), seed=g), ValueError,
     "^xavier_normal_: gain must be finite"),
    (lambda t, g: init.xavier_uniform_(t, gain=1e308, seed=g), ValueError,
     "^xavier_uniform_: gain=1e\\+308 gives the bound .*, too large to draw from"),
    (lambda t, g: init.uniform_(t, 2.0, 1.0, seed=g), ValueError,
     "^uniform_: needs a <= b, got a=2.0, b=1.0$"),
    (lambda t, g: init.uniform_(t, a=np.inf, seed=g), ValueError,
     "^uniform_: a must be finite"),
    (lambda t, g: init.trunc_normal_(t, std=0, seed=g), ValueError,
     "^trunc_normal_: std must be > 0, got std=0.0"),
    (lambda t, g: init.trunc_normal_(t, 0.0, 1.0, 2.0, -2.0, seed=g), ValueError,
     "^trunc_normal_: needs a <= b, got a=2.0, b=-2.0"),
    (lambda t, g: init.trunc_normal_(t, a=np.inf, seed=g), ValueError,
     "^trunc_normal_: a must be finite or -inf, got a=inf"),
    (lambda t, g: init.trunc_normal_(t, b=float("nan"), seed=g), ValueError,
     "^trunc_normal_: b must be finite or inf, got b=nan"),
    (lambda t, g: init.trunc_normal_(t, mean=np.inf, seed=g), ValueError,
     "^trunc_normal_: mean must be finite"),
    (lambda t, g: init.trunc_normal_(t, a="-2", seed=g), TypeError,
     "^trunc_normal_: a must be a real number, got str"),
    (lambda t, g: init.orthogonal_(t, gain=float("nan"), seed=g), ValueError,
     "^orthogonal_: gain must be finite"),
    (lambda t, g: init.orthogonal_(t, gain=None, seed=g), TypeError,
     "^orthogonal_: gain must be a real number, got NoneType"),
    (lambda t, g: init.sparse_(t, 1.5, seed=g), ValueError,
     r"^sparse_: sparsity must be in \[0, 1\], got sparsity=1.5"),
    (lambda t, g: init.sparse_(t, -0.5, seed=g), ValueError,
     r"^sparse_: sparsity must be in \[0, 1\], got sparsity=-0.5"),
    (lambda t, g: init.sparse_(t, float("nan"), seed=g), ValueError,
     "^sparse_: sparsity must be finite"),
    (lambda t, g: init.sparse_(t, 0.5, std=-0.1, seed=g), ValueError,
     "^sparse_: std must be >= 0, got std=-0.1"),
], ids=["bad mode", "fan as mode", "bad nonlinearity", "nonlinearity None",
        "fan and fan_out", "fan 0", "a str", "a huge", "negative std", "nan mean",
        "std str", "negative gain", "infinite gain", "huge gain", "a > b", "a inf",
        "trunc std 0", "trunc a > b", "trunc a inf", "trunc b nan", "trunc mean inf",
        "trunc a str", "orthogonal gain nan", "orthogonal gain None", "sparsity > 1",
        "sparsity < 0", "sparsity nan", "sparse negative std"])
def test_a_bad_argument_names_the_function_and_changes_nothing(call, error, message):
    t, gen = empty((2, 3)), np.random.default_rng(0)
    state = gen.bit_generator.state
    with pytest.raises(error, match=message):
        call(t, gen)
    np.testing.assert_array_equal(t.data, 7.0)
    assert gen.bit_generator.state == state


@pytest.mark.parametrize("call, message", [
    (lambda t: init.xavier_uniform_(t), "^xavier_uniform_: needs a tensor of 2 or more "
                                        r"dimensions, \(out, in, ...\), to count fan_in and "
                                        r"fan_out, got shape \(5,\)"),
    (lambda t: init.xavier_normal_(t), "^xavier_normal_: needs a tensor of 2 or more"),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out"),
     "^kaiming_uniform_: mode='fan_out' needs a tensor of 2 or more dimensions, "
     r"\(out, in, ...\), got shape \(5,\); pass fan="),
], ids=["xavier_uniform_", "xavier_normal_", "kaiming fan_out"])
def test_the_fans_of_a_vector_are_refused_as_torch_does(call, message):
    t = empty((5,))
    with pytest.raises(ValueError, match=message):
        call(t)
    np.testing.assert_array_equal(t.data, 7.0)


@pytest.mark.parametrize("dtype, call, message", [
    (np.float64, lambda t: init.normal_(t, 1e308, 1e308, seed=0),
     "^normal_: mean=1e\\+308, std=1e\\+308 gives draws too large for a float64 tensor"),
    (np.float32, lambda t: init.uniform_(t, -1e300, 1e300, seed=0),
     "^uniform_: a=-1e\\+300, b=1e\\+300 gives draws too large for a float32"),
    (np.float32, lambda t: init.normal_(t, 0.0, 1e300, seed=0),
     "^normal_: .* gives draws too large for a float32"),
    (np.float64, lambda t: init.trunc_normal_(t, 0.0, 1e308, -np.inf, np.inf, seed=0),
     "^trunc_normal_: mean=0.0, std=1e\\+308 gives draws too large for a float64"),
    (np.float32, lambda t: init.trunc_normal_(t, 0.0, 1e300, -1e300, 1e300, seed=0),
     "^trunc_normal_: .* gives draws too large for a float32"),
    (np.float32, lambda t: init.orthogonal_(t, 1e300, seed=0),
     "^orthogonal_: gain=1e\\+300 gives draws too large for a float32"),
    (np.float32, lambda t: init.sparse_(t, 0.5, 1e300, seed=0),
     "^sparse_: std=1e\\+300 gives draws too large for a float32"),
], ids=["float64 normal", "float32 uniform", "float32 normal", "float64 trunc_normal",
        "float32 trunc_normal", "float32 orthogonal", "float32 sparse"])
def test_draws_that_overflow_the_dtype_are_refused(dtype, call, message):
    # NumPy filled inf (with a RuntimeWarning for float32)
    t = Tensor(np.full((50, 50), 7.0, dtype=dtype))
    with pytest.raises(ValueError, match=message):
        call(t)
    np.testing.assert_array_equal(t.data, 7.0)


@pytest.mark.parametrize("name", CALLS)
def test_random_fills_need_a_float_tensor(name):
    t = Tensor(np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(TypeError, match=f"^{name}: needs a float tensor, got dtype int64"):
        CALLS[name](t, seed=0)
    assert not t.data.any()
    with pytest.raises(TypeError, match=f"^{name}: fills a Tensor in place, got ndarray"):
        CALLS[name](np.zeros((3, 3)), seed=0)


# ---- zero-element tensors, as in PyTorch ---------------------------------------------

@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 2, 3)])
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_",
                                  "xavier_normal_", "trunc_normal_", "orthogonal_"])
def test_an_empty_tensor_is_left_without_a_warning(shape, name, recwarn):
    t = Tensor(np.empty(shape))
    assert CALLS[name](t, seed=0) is t
    assert not recwarn.list  # ((0, 0) was a ZeroDivisionError in torch's xavier)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_of_an_empty_tensor_warns_as_torch_does(name):
    t = Tensor(np.empty((0, 3)))
    with pytest.warns(UserWarning, match=f"^{name}: initializing a zero-element tensor "
                                         "is a no-op"):
        assert CALLS[name](t, seed=0) is t


# ---- constant_, ones_, zeros_ --------------------------------------------------------

def test_constant_ones_and_zeros_fill_any_dtype():
    np.testing.assert_array_equal(init.constant_(empty((2, 3)), 0.25).data, 0.25)
    np.testing.assert_array_equal(init.constant_(empty((2,)), -np.inf).data, -np.inf)
    assert np.isnan(init.constant_(empty((2,)), float("nan")).data).all()
    np.testing.assert_array_equal(init.constant_(empty((2,)), Tensor(3.0)).data, 3.0)
    ints = Tensor(np.zeros(3, dtype=np.int8))
    np.testing.assert_array_equal(init.constant_(ints, 5.0).data, 5)
    assert init.constant_(ints, 5.0).dtype == np.int8
    np.testing.assert_array_equal(init.ones_(ints).data, 1)
    np.testing.assert_array_equal(init.zeros_(ints).data, 0)
    mask = Tensor(np.zeros(3, dtype=bool))
    np.testing.assert_array_equal(init.constant_(mask, True).data, True)
    np.testing.assert_array_equal(init.ones_(empty((2, 2))).data, 1.0)
    t = empty((2, 2))
    assert init.ones_(t) is t and init.constant_(t, 2) is t


@pytest.mark.parametrize("tensor, val, error, message", [
    (np.zeros(3, dtype=np.int8), 0.5, ValueError,
     "^constant_: a tensor of dtype int8 cannot hold val=0.5"),
    (np.zeros(3, dtype=np.int8), 300, ValueError,
     "^constant_: a tensor of dtype int8 cannot hold val=300"),
    (np.zeros(3, dtype=np.uint8), -1, ValueError, "^constant_: .*uint8 cannot hold val=-1"),
    (np.zeros(3, dtype=np.int64), float("nan"), ValueError,
     "^constant_: .*int64 cannot hold val=nan"),
    (np.zeros(3, dtype=np.int64), 2**70, ValueError, "^constant_: .*int64 cannot hold"),
    (np.zeros(3, dtype=bool), 2, ValueError, "^constant_: .*bool cannot hold val=2"),
    (np.zeros(3, dtype=np.float32), 1e300, ValueError,
     "^constant_: a tensor of dtype float32 cannot hold val=1e\\+300"),
    (np.zeros(3), 10**400, ValueError, "^constant_: a tensor of dtype float64 cannot hold"),
    (np.zeros(3), "1", TypeError, "^constant_: val must be a real number, got str"),
    (np.zeros(3), np.ones(2), TypeError,
     r"^constant_: val must be a real number, got ndarray of shape \(2,\)"),
])
def test_constant_refuses_a_value_the_tensor_cannot_hold(tensor, val, error, message):
    t = Tensor(tensor)
    with pytest.raises(error, match=message):
        init.constant_(t, val)
    assert not t.data.any()


@pytest.mark.parametrize("fill", [
    lambda w: init.constant_(w, 0.5), lambda w: init.ones_(w),
    lambda w: init.normal_(w, seed=0), lambda w: init.xavier_uniform_(w, seed=0),
    lambda w: init.xavier_normal_(w, seed=0), lambda w: init.kaiming_normal_(w, seed=0),
    lambda w: init.uniform_(w, a=-1, b=1, seed=0),
    lambda w: init.trunc_normal_(w, seed=0), lambda w: init.orthogonal_(w, seed=0),
    lambda w: init.eye_(w), lambda w: init.sparse_(w, 0.5, seed=0),
], ids=["constant_", "ones_", "normal_", "xavier_uniform_", "xavier_normal_",
        "kaiming_normal_", "uniform_ a b", "trunc_normal_", "orthogonal_", "eye_",
        "sparse_"])
def test_the_new_fills_stamp_the_tensor_so_a_stale_graph_refuses_to_backward(fill):
    model = nn.MLP([3, 4, 2], seed=0)
    out = model(np.ones((2, 3))).sum()
    fill(model.layers[1].weight)
    with pytest.raises(RuntimeError, match="changed in place"):
        out.backward()


def test_all_names_torchs_functions():
    for name in ["uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
                 "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                 "calculate_gain", "fan_in", "fan_out", "trunc_normal_", "orthogonal_",
                 "eye_", "dirac_", "sparse_"]:
        assert name in init.__all__ and callable(getattr(init, name))


def test_the_arguments_are_torchs_with_its_defaults():
    # torch's parameters, in order and with the same defaults, then seed; its generator=
    # is a keyword here (a numpy Generator)
    torch = pytest.importorskip("torch")
    for name in init.__all__:
        if not hasattr(torch.nn.init, name):
            continue
        theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
        ours = inspect.signature(getattr(init, name)).parameters
        positional = [p for p in theirs.values() if p.name != "generator"]
        assert [(p.name, p.default) for p in positional] == [
            (p.name, p.default) for p in list(ours.values())[:len(positional)]], name
        if "generator" in theirs:
            assert list(ours)[len(positional)] == "seed", name
            assert ours["generator"].kind is inspect.Parameter.KEYWORD_ONLY, name


# ---- trunc_normal_ -------------------------------------------------------------------

def normal_mass(lo, hi):
    """P(lo <= Z <= hi) for Z ~ N(0, 1), accurate in either tail."""
    erfc, root2 = math.erfc, math.sqrt(2.0)
    if lo >= 0:
        return (erfc(lo / root2) - erfc(hi / root2)) / 2
    if hi <= 0:
        return (erfc(-hi / root2) - erfc(-lo / root2)) / 2
    return 1 - (erfc(-lo / root2) + erfc(hi / root2)) / 2


def truncated_normal_law(mean, std, a, b):
    """The mean, the std and the CDF of N(mean, std^2) truncated to [a, b], by formula."""
    alpha, beta = (a - mean) / std, (b - mean) / std

    def density(x):
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0

    def x_density(x):
        return x * density(x) if math.isfinite(x) else 0.0

    mass = normal_mass(alpha, beta)
    shift = (density(alpha) - density(beta)) / mass
    spread = 1 + (x_density(alpha) - x_density(beta)) / mass - shift**2

    def cdf(x):
        return normal_mass(alpha, min(max((x - mean) / std, alpha), beta)) / mass

    return mean + std * shift, std * math.sqrt(spread), cdf


# (mean, std, a, b), drawn by each of the ways trunc_normal_ has: normal draws with
# those outside redrawn (the first four), uniform draws kept by the density (an
# interval holding the mean, or narrow in a tail) and exponential ones (wide, far in
# one tail, on the right or mirrored to the left)
TRUNCATIONS = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (1.0, 3.0, -np.inf, 2.0),
               (0.0, 1.0, -1.0, np.inf), (0.0, 1.0, -0.3, 0.4), (1.0, 2.0, 2.0, 4.0),
               (-1.0, 0.5, 0.5, 0.6), (0.0, 1.0, 3.0, np.inf), (0.0, 1.0, -8.0, -4.0),
               (5.0, 0.25, 0.0, 0.5), (0.0, 1.0, 20.0, 25.0)]


@pytest.mark.parametrize("mean, std, a, b", TRUNCATIONS)
def test_trunc_normal_draws_from_the_truncated_normal(mean, std, a, b):
    n = 200_000
    x = init.trunc_normal_(empty((400, 500)), mean, std, a, b, seed=0).data.ravel()
    assert a <= x.min() and x.max() <= b
    law_mean, law_std, cdf = truncated_normal_law(mean, std, a, b)
    assert abs(x.mean() - law_mean) < 0.01 * law_std
    assert abs(x.std() / law_std - 1) < 0.01
    # the empirical CDF against the law's (a KS distance: 0.0044 is exceeded by chance
    # once in 1000 runs for n draws)
    x.sort()
    grid = np.linspace(max(a, law_mean - 4 * law_std), min(b, law_mean + 4 * law_std), 41)
    empirical = np.searchsorted(x, grid, side="right") / n
    assert np.abs(empirical - [cdf(g) for g in grid]).max() < 0.006


@pytest.mark.parametrize("mean, std, a, b", TRUNCATIONS[:7])
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")  # (torch's, for [0.5, 0.6])
def test_trunc_normal_draws_as_torchs_do(mean, std, a, b):
    torch = pytest.importorskip("torch")
    n = 200_000
    theirs = torch.nn.init.trunc_normal_(torch.empty(n, dtype=torch.float64), mean, std,
                                         a, b, generator=torch.Generator().manual_seed(0))
    theirs = np.sort(theirs.numpy())
    ours = np.sort(init.trunc_normal_(empty((n,)), mean, std, a, b, seed=0).data)
    low, high = max(a, theirs[0]), min(b, theirs[-1])
    grid = np.linspace(low, high, 41)
    distance = np.abs(np.searchsorted(ours, grid, side="right")
                      - np.searchsorted(theirs, grid, side="right")).max() / n
    assert distance < 0.01  # (0.0062 is exceeded by chance once in 1000 runs)


def test_trunc_normal_keeps_a_float32_tensor_inside_the_bounds():
    # 0.7 is 0.699999988 in float32: rounding the draws would put many below a
    t = Tensor(np.full((300, 300), 7.0, dtype=np.float32), requires_grad=True)
    init.trunc_normal_(t, a=0.7, b=0.70001, seed=0)
    assert t.dtype == np.float32
    assert t.data.astype(np.float64).min() >= 0.7
    assert t.data.astype(np.float64).max() <= 0.70001
    assert np.unique(t.data).size > 50


def test_trunc_normal_with_a_equal_to_b():
    np.testing.assert_array_equal(init.trunc_normal_(empty((3,)), 0.0, 1.0, 0.7, 0.7).data,
                                  0.7)
    t = Tensor(np.full(3, 7.0, dtype=np.float32))
    with pytest.raises(ValueError, match=r"^trunc_normal_: no float32 number lies in "
                                         r"\[a, b\], a=0.7, b=0.7"):
        init.trunc_normal_(t, 0.0, 1.0, 0.7, 0.7)
    np.testing.assert_array_equal(t.data, 7.0)


def test_trunc_normal_far_in_a_tail_is_quick_and_exact():
    # PyTorch's uniform proposals on [a, b] keep about one draw in a * (b - a) here (in
    # 90 000 for b = 600), and it fails for b = inf
    x = init.trunc_normal_(empty((100_000,)), 0.0, 1.0, 300.0, np.inf, seed=0).data
    assert x.min() >= 300.0
    # the excess over a is nearly Exp(a): mean and std 1 / a
    assert abs((x - 300.0).mean() * 300.0 - 1) < 0.02
    assert abs((x - 300.0).std() * 300.0 - 1) < 0.02


# ---- orthogonal_ ---------------------------------------------------------------------

def gram(w, rows):
    """W W^T or W^T W, whichever is the smaller, of the matrix (rows, rest) of w."""
    flat = np.asarray(w, dtype=np.float64).reshape(rows, -1)
    return flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (4, 4), (1, 6), (6, 1),
                                   (2, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.5, -1.0])
def test_orthogonal_is_orthogonal_times_the_gain_as_torchs(shape, gain):
    torch = pytest.importorskip("torch")
    t = init.orthogonal_(empty(shape), gain, seed=0)
    size = min(shape[0], math.prod(shape[1:]))
    np.testing.assert_allclose(gram(t.data, shape[0]), gain**2 * np.eye(size), atol=1e-12)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain)
    np.testing.assert_allclose(gram(theirs.numpy(), shape[0]), gram(t.data, shape[0]),
                               atol=1e-12)
    # the gain scales the same draws (a negative one negates them, as in PyTorch)
    np.testing.assert_allclose(t.data, gain * init.orthogonal_(empty(shape), seed=0).data,
                               rtol=1e-15)
    f32 = init.orthogonal_(Tensor(np.empty(shape, dtype=np.float32)), gain, seed=0)
    assert f32.dtype == np.float32
    np.testing.assert_allclose(gram(f32.data, shape[0]), gain**2 * np.eye(size),
                               atol=1e-6)


def test_orthogonal_is_uniformly_distributed():
    # a uniform (Haar) orthogonal 3 x 3 has each column uniform on the sphere, so each
    # entry uniform on [-1, 1] (Archimedes); without the sign correction, NumPy's QR
    # gives a negative W[0, 0] every time
    gen = np.random.default_rng(0)
    draws = np.stack([init.orthogonal_(empty((3, 3)), seed=gen).data
                      for _ in range(4000)])
    grid = np.linspace(-1, 1, 21)
    for i, j in np.ndindex(3, 3):
        entries = np.sort(draws[:, i, j])
        empirical = np.searchsorted(entries, grid, side="right") / len(entries)
        assert np.abs(empirical - (grid + 1) / 2).max() < 0.04, (i, j)


def test_orthogonal_of_fewer_than_2_dimensions_is_refused_as_torch_does():
    for shape in [(5,), ()]:
        t = empty(shape)
        with pytest.raises(ValueError, match=r"^orthogonal_: needs a tensor of 2 or more "
                                             rf"dimensions, got shape {re.escape(str(shape))}"):
            init.orthogonal_(t, seed=0)
        np.testing.assert_array_equal(t.data, 7.0)


# ---- eye_ and dirac_ -----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 1), (0, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_eye_is_torchs(shape, dtype):
    torch = pytest.importorskip("torch")
    t = Tensor(np.full(shape, 7, dtype=dtype))
    assert init.eye_(t) is t and t.dtype == dtype
    theirs = torch.nn.init.eye_(torch.full(shape, 7, dtype=getattr(
        torch, np.dtype(dtype).name))).numpy()
    np.testing.assert_array_equal(t.data, theirs)
    np.testing.assert_array_equal(t.data, np.eye(*shape))


@pytest.mark.parametrize("shape, groups", [
    ((4, 2, 3), 1), ((3, 16, 5, 5), 1), ((6, 4, 3, 3, 3), 2), ((6, 4, 3), 3),
    ((4, 6, 2, 2), 2), ((8, 2, 4, 1), 4), ((2, 5, 3, 3), 1),
])
def test_dirac_is_torchs(shape, groups):
    torch = pytest.importorskip("torch")
    t = empty(shape)
    assert init.dirac_(t, groups) is t
    theirs = torch.nn.init.dirac_(torch.empty(shape, dtype=torch.float64), groups)
    np.testing.assert_array_equal(t.data, theirs.numpy())
    ints = init.dirac_(Tensor(np.full(shape, 7, dtype=np.int32)), groups=groups)
    assert ints.dtype == np.int32
    np.testing.assert_array_equal(ints.data, theirs.numpy())


def test_dirac_passes_the_channels_through():
    # a 3 x 3 convolution (cross-correlation, padded) with the kernel is the identity on
    # the first min(out, in) channels, and 0 on the others
    kernel = init.dirac_(empty((4, 3, 3, 3))).data
    x = np.random.default_rng(0).normal(size=(3, 6, 7))
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((4, 6, 7))
    for di, dj in np.ndindex(3, 3):
        out += np.einsum("oc,chw->ohw", kernel[:, :, di, dj],
                         padded[:, di:di + 6, dj:dj + 7])
    np.testing.assert_array_equal(out[:3], x)
    np.testing.assert_array_equal(out[3], 0.0)


@pytest.mark.parametrize("fill, shape, error, message", [
    ("eye_", (5,), ValueError, r"^eye_: needs a 2-D tensor, got shape \(5,\)"),
    ("eye_", (2, 2, 2), ValueError, r"^eye_: needs a 2-D tensor, got shape \(2, 2, 2\)"),
    ("dirac_", (2, 2), ValueError,
     r"^dirac_: needs a 3-, 4- or 5-D tensor \(out, in, \*field\), got shape \(2, 2\)"),
    ("dirac_", (1, 1, 1, 1, 1, 1), ValueError, "^dirac_: needs a 3-, 4- or 5-D tensor"),
    ("sparse_", (5,), ValueError, r"^sparse_: needs a 2-D tensor, got shape \(5,\)"),
    ("sparse_", (2, 3, 4), ValueError, r"^sparse_: needs a 2-D tensor, got shape"),
    ("orthogonal_", (5,), ValueError, "^orthogonal_: needs a tensor of 2 or more"),
    ("orthogonal_", (), ValueError, "^orthogonal_: needs a tensor of 2 or more"),
])
def test_shapes_torch_refuses_are_refused(fill, shape, error, message):
    torch = pytest.importorskip("torch")
    args = {"sparse_": (0.5,)}.get(fill, ())
    with pytest.raises(error):
        getattr(torch.nn.init, fill)(torch.empty(shape), *args)
    t = empty(shape)
    with pytest.raises(error, match=message):
        getattr(init, fill)(t, *args)
    np.testing.assert_array_equal(t.data, 7.0)


@pytest.mark.parametrize("groups, error, message", [
    (3, ValueError, r"^dirac_: shape\[0\] = 4 \(the output channels\) must be divisible "
                    "by groups=3"),
    (0, ValueError, "^dirac_: groups must be > 0, got groups=0"),
    (-1, ValueError, "^dirac_: groups must be > 0, got groups=-1"),
    (1.0, TypeError, "^dirac_: groups must be an int, got float: 1.0"),
    (True, TypeError, "^dirac_: groups must be an int, got bool: True"),
])
def test_dirac_refuses_bad_groups(groups, error, message):
    t = empty((4, 2, 3))
    with pytest.raises(error, match=message):
        init.dirac_(t, groups)
    np.testing.assert_array_equal(t.data, 7.0)


def test_eye_and_dirac_need_a_tensor():
    with pytest.raises(TypeError, match="^eye_: fills a Tensor in place, got ndarray"):
        init.eye_(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="^dirac_: fills a Tensor in place, got list"):
        init.dirac_([[[0.0]]])


# ---- sparse_ -------------------------------------------------------------------------

@pytest.mark.parametrize("shape, sparsity", [
    ((10, 6), 0.1), ((10, 6), 0.5), ((10, 6), 0.7), ((10, 6), 0.0), ((10, 6), 1.0),
    ((7, 3), 0.33), ((25, 4), 0.28),  # 0.28 * 25 is 7.000000000000001: 8 zeros
])
def test_sparse_zeroes_as_many_per_column_as_torch(shape, sparsity):
    torch = pytest.importorskip("torch")
    ours = init.sparse_(empty(shape), sparsity, seed=0).data
    theirs = torch.nn.init.sparse_(torch.empty(shape, dtype=torch.float64), sparsity)
    counts = (ours == 0).sum(axis=0)
    np.testing.assert_array_equal(counts, (theirs.numpy() == 0).sum(axis=0))
    np.testing.assert_array_equal(counts, math.ceil(sparsity * shape[0]))


def test_sparse_zeroes_random_rows_in_each_column():
    # 4 of 10 rows zeroed in each column: each row in about 40% of the columns
    t = init.sparse_(empty((10, 20_000)), 0.4, seed=0).data
    share = (t == 0).mean(axis=1)
    assert np.abs(share - 0.4).max() < 0.02


def test_sparse_draws_the_others_with_std():
    t = init.sparse_(empty((1000, 300)), 0.9, std=0.05, seed=0).data
    np.testing.assert_array_equal((t == 0).sum(axis=0), 900)
    kept = t[t != 0]
    assert abs(kept.std() / 0.05 - 1) < 0.03 and abs(kept.mean()) < 0.03 * 0.05
    default = init.sparse_(empty((1000, 300)), 0.5, seed=0).data
    assert abs(default[default != 0].std() / 0.01 - 1) < 0.03  # std=0.01, as torch's


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 2)])
def test_sparse_of_an_empty_tensor(shape):
    t = Tensor(np.empty(shape))
    assert init.sparse_(t, 0.5, seed=0) is t


# ---- the new fills on a parameter ----------------------------------------------------

@pytest.mark.parametrize("fill, shape", [
    (lambda t: init.trunc_normal_(t, seed=0), (3, 4)),
    (lambda t: init.orthogonal_(t, seed=0), (3, 4)),
    (lambda t: init.eye_(t), (3, 4)),
    (lambda t: init.dirac_(t), (3, 4, 3)),
    (lambda t: init.sparse_(t, 0.5, seed=0), (3, 4)),
], ids=["trunc_normal_", "orthogonal_", "eye_", "dirac_", "sparse_"])
def test_a_parameter_is_filled_in_place_without_a_graph(fill, shape):
    w = empty(shape)
    data = w.data
    assert fill(w) is w
    assert w.data is data and not (w.data == 7.0).all()
    assert w.requires_grad and w._parents == ()  # still a leaf: no op was recorded
    (w * 2.0).sum().backward()  # and trains as one
    np.testing.assert_array_equal(w.grad, 2.0)
