"""nn.Module: finding and naming parameters, zero_grad, state_dict, train/eval, repr."""

import random

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor, Value


def param(*shape, fill=1.0):
    return Tensor(np.full(shape, fill), requires_grad=True)


class Leafy(nn.Module):
    """Parameters held every way a module can hold them."""

    def __init__(self):
        super().__init__()
        self.direct = param(2)
        self.in_list = [param(1), param(3)]
        self.in_tuple = (param(2, 2),)
        self.in_dict = {"a": param(4), "b": nn.Linear(2, 1, seed=0)}
        self.child = nn.Linear(3, 2, seed=1)
        self.constant = Tensor(np.ones(5))  # requires_grad=False: not a parameter
        self.number = 3

    def forward(self, x):
        return x


def test_parameters_are_found_in_attributes_lists_tuples_dicts_and_children():
    m = Leafy()
    names = [name for name, _ in m.named_parameters()]
    assert names == [
        "direct",
        "in_list.0",
        "in_list.1",
        "in_tuple.0",
        "in_dict.a",
        "in_dict.b.weight",
        "in_dict.b.bias",
        "child.weight",
        "child.bias",
    ]
    params = m.parameters()
    assert params[0] is m.direct and params[-1] is m.child.bias
    assert all(p.requires_grad for p in params)


def test_a_shared_parameter_is_listed_once_under_its_first_name():
    m = Leafy()
    m.alias = m.direct
    m.again = m.child  # the same module twice
    names = [name for name, _ in m.named_parameters()]
    assert names.count("direct") == 1 and "alias" not in names
    assert not any(name.startswith("again.") for name in names)
    assert len(m.parameters()) == len({id(p) for p in m.parameters()}) == 9


def test_a_cached_output_is_not_a_parameter():
    m = nn.Linear(2, 3, seed=0)
    m.last = m(np.ones((1, 2)))  # requires grad, but the result of an op
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]


def test_a_reference_cycle_does_not_loop():
    parent = nn.Sequential(nn.Linear(2, 2, seed=0))
    parent[0].owner = parent
    assert len(parent.parameters()) == 2
    assert len(list(parent.modules())) == 2


def test_nested_names_are_dotted_paths():
    model = nn.MLP([2, 3, 1], seed=0)
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"
    ]
    wrapper = nn.Sequential(model, nn.Sigmoid())
    assert [n for n, _ in wrapper.named_parameters()][0] == "0.layers.0.weight"
    assert [n for n, _ in model.named_modules()] == ["", "layers.0", "layers.1",
                                                     "activation"]


def test_zero_grad_clears_every_grad():
    model = nn.MLP([2, 4, 1], seed=0)
    model(np.ones((3, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(np.ones((3, 2))).sum().backward()
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad.shape == p.shape and not p.grad.any()


def test_call_runs_forward_and_the_base_forward_says_what_is_missing():
    class Double(nn.Module):
        def forward(self, x, scale=1):
            return 2 * x * scale

    assert Double()(3, scale=5) == 30
    with pytest.raises(NotImplementedError, match="Bare does not define forward"):
        type("Bare", (nn.Module,), {})()(1)


def test_a_module_without_super_init_still_works():
    class NoInit(nn.Module):
        def __init__(self):
            self.w = param(2)

    m = NoInit()
    assert m.training is True and m.parameters() == [m.w]
    assert m.eval().training is False


def test_state_dict_holds_copies():
    model = nn.Linear(2, 3, seed=0)
    state = model.state_dict()
    assert list(state) == ["weight", "bias"]
    np.testing.assert_array_equal(state["weight"], model.weight.data)
    state["weight"][...] = 7.0
    assert not np.any(model.weight.data == 7.0)
    model.bias.data[...] = -1.0
    assert not np.any(state["bias"] == -1.0)


def test_load_state_dict_round_trip_copies_in_place():
    a, b = nn.MLP([3, 5, 2], seed=0), nn.MLP([3, 5, 2], seed=1)
    weight_array = b.layers[0].weight.data
    b.load_state_dict(a.state_dict())
    assert b.layers[0].weight.data is weight_array  # the same arrays, now holding a's values
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def _unchanged_after(model, state, *fragments):
    before = model.state_dict()
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    for fragment in fragments:
        assert fragment in str(info.value)
    after = model.state_dict()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    model = nn.MLP([2, 3, 1], seed=0)
    good = {k: np.zeros_like(v) for k, v in model.state_dict().items()}

    missing = dict(good)
    del missing["layers.1.bias"]
    _unchanged_after(model, missing, "missing keys ['layers.1.bias']")

    extra = dict(good, **{"layers.2.weight": np.zeros((1, 1))})
    _unchanged_after(model, extra, "unexpected keys ['layers.2.weight']")

    wrong = dict(good, **{"layers.0.weight": np.zeros((2, 3))})
    _unchanged_after(model, wrong, "'layers.0.weight' has shape (2, 3)", "shape (3, 2)")

    complex_ = dict(good, **{"layers.0.bias": np.zeros(3, dtype=complex)})
    _unchanged_after(model, complex_, "'layers.0.bias' has dtype complex128")

    strings = dict(good, **{"layers.0.bias": np.array(["a", "b", "c"])})
    _unchanged_after(model, strings, "'layers.0.bias'")

    several = dict(wrong)
    del several["layers.1.bias"]
    _unchanged_after(model, several, "missing keys", "'layers.0.weight' has shape")


def test_load_state_dict_accepts_ints_and_other_float_widths_and_strict_false():
    model = nn.Linear(2, 1, seed=0)
    model.load_state_dict({"weight": np.array([[1, 2]]), "bias": np.float32([0.5])})
    np.testing.assert_array_equal(model.weight.data, [[1.0, 2.0]])
    assert model.weight.dtype == np.float64 and model.bias.data[0] == 0.5
    model.load_state_dict({"bias": np.array([3.0]), "other": np.zeros(2)}, strict=False)
    assert model.bias.data[0] == 3.0 and model.weight.data[0, 1] == 2.0
    with pytest.raises(ValueError, match="'bias' has shape"):
        model.load_state_dict({"bias": np.zeros(2)}, strict=False)
    with pytest.raises(TypeError, match="dict of arrays"):
        model.load_state_dict([("bias", np.zeros(1))])


def test_load_state_dict_returns_the_missing_and_unexpected_keys():
    # it returned None, so a strict=False load that matched nothing (a typo in every
    # key) could not be told from a good one; PyTorch returns the two lists
    model = nn.MLP([2, 3, 1], seed=0)
    state = model.state_dict()
    result = model.load_state_dict(state)
    assert result == ([], []) and result.missing_keys == [] == result.unexpected_keys
    assert repr(result) == "<All keys matched successfully>"  # as PyTorch prints it

    partial = {"layers.0.bias": np.zeros(3), "layer.1.bias": np.zeros(1)}  # one typo
    result = model.load_state_dict(partial, strict=False)
    missing, unexpected = result  # a tuple, unpacked as PyTorch's is
    assert missing == ["layers.0.weight", "layers.1.weight", "layers.1.bias"]
    assert unexpected == ["layer.1.bias"]
    assert repr(result) == ("IncompatibleKeys(missing_keys=['layers.0.weight', "
                            "'layers.1.weight', 'layers.1.bias'], "
                            "unexpected_keys=['layer.1.bias'])")
    np.testing.assert_array_equal(model.layers[0].bias.data, 0.0)  # the key present loaded
    np.testing.assert_array_equal(model.layers[1].bias.data, state["layers.1.bias"])


def test_load_state_dict_with_only_unexpected_keys_does_not_say_all_matched():
    # kills mut6-N19 (the repr read "<All keys matched successfully>" whenever no key
    # was missing, though a key of the state named no parameter)
    model = nn.MLP([2, 3, 1], seed=0)
    state = {**model.state_dict(), "extra.weight": np.zeros(2)}
    result = model.load_state_dict(state, strict=False)
    assert result == ([], ["extra.weight"])
    assert repr(result) == "IncompatibleKeys(missing_keys=[], unexpected_keys=['extra.weight'])"


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.MLP([2, 3, 1], seed=0), nn.Sigmoid())
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    modules = list(model.modules())
    assert len(modules) == 6  # Sequential, MLP, 2 Linear, ReLU, Sigmoid
    assert not any(m.training for m in modules)
    model.train()
    assert all(m.training for m in modules)
    with pytest.raises(TypeError, match="mode must be a bool"):
        model.train("no")


def test_repr_shows_the_structure():
    model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.LeakyReLU(0.1), nn.Softmax())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.1)\n"
        "  (2): Softmax(axis=-1)\n"
        ")"
    )
    assert repr(nn.MLP([2, 8, 1], activation="tanh", seed=0)) == (
        "MLP(\n"
        "  sizes=[2, 8, 1]\n"
        "  (layers): [\n"
        "    (0): Linear(in_features=2, out_features=8, bias=True)\n"
        "    (1): Linear(in_features=8, out_features=1, bias=True)\n"
        "  ]\n"
        "  (activation): Tanh()\n"
        ")"
    )
    assert repr(nn.ReLU()) == "ReLU()"


def test_value_parameters_of_scalar_modules_save_and_load():
    a, b = nn.scalar.MLP(2, [3, 1], seed=0), nn.scalar.MLP(2, [3, 1], seed=1)
    state = a.state_dict()
    assert state["layers.0.neurons.0.w.1"].shape == ()
    assert len(state) == len(a.parameters()) == 3 * 3 + 4
    b.load_state_dict(state)
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert all(isinstance(p.data, float) for p in b.parameters())
    assert b([0.5, -1.0]).data == a([0.5, -1.0]).data


def test_scalar_zero_grad_resets_values_to_zero():
    model = nn.scalar.Neuron(3, seed=0)
    model([1.0, 2.0, 3.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 and isinstance(p, Value) for p in model.parameters())


def test_calls_open_a_scope_that_nodes_remember():
    model = nn.MLP([2, 3, 1], seed=0)
    out = model(np.ones((4, 2)))
    # out = linear(h, W, b), made in the last Linear's call, inside the MLP's call
    assert [s.label for s in out.scope.path()] == ["MLP(2 -> 3 -> 1)", "Linear(3 -> 1)"]
    assert out.scope.owner is model.layers[1] and out.scope.parent.owner is model
    assert out.op == "linear"
    hidden = out._parents[0]  # h = relu(...), made in the ReLU's call
    assert hidden.op == "relu"
    assert [s.label for s in hidden.scope.path()] == ["MLP(2 -> 3 -> 1)", "ReLU"]
    neuron = nn.scalar.MLP(2, [2, 1], seed=0)([1.0, 2.0])
    assert [s.label for s in neuron.scope.path()] == [
        "MLP(2 -> 2 -> 1)", "Layer(2 -> 1, linear)", "Neuron(2 inputs, linear)"]
    assert nn.Linear(2, 1, seed=0).weight.scope is None  # made outside any call


def test_import_nn_reaches_the_subpackages():
    import nn as package

    for name in ("optim", "scalar", "data", "init", "reference"):
        assert hasattr(package, name), name
    for name in package.__all__:
        assert hasattr(package, name), name



class Scaled(nn.Sequential):
    """A Sequential with a learned temperature and an extra head of its own."""

    def __init__(self):
        super().__init__(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
        self.temperature = Tensor(1.0, requires_grad=True)
        self.extra = nn.Linear(2, 2, seed=2)

    def forward(self, x):
        return self.extra(super().forward(x)) / self.temperature


def test_a_sequential_subclass_lists_what_it_adds():
    model = Scaled()
    names = [name for name, _ in model.named_parameters()]
    assert sorted(names) == sorted(["0.weight", "0.bias", "2.weight", "2.bias",
                                    "temperature", "extra.weight", "extra.bias"])
    assert "temperature" in model.state_dict()
    model.eval()
    assert not model.extra.training
    assert "(extra): Linear" in repr(model)
    model(np.ones((1, 2))).sum().backward()
    assert model.temperature.grad is not None


def test_replacing_a_parameter_by_a_non_parameter_raises():
    layer = nn.Linear(2, 2, seed=0)
    before = layer.weight
    layer(np.ones((1, 2))).sum().backward()
    with pytest.raises(TypeError, match=r"Linear: cannot replace the parameter 'weight' by a "
                                        r"Tensor that does not require grad.*\.data -= lr"):
        with autodiff.no_grad():
            layer.weight = layer.weight - 0.1 * layer.weight.grad
    with pytest.raises(TypeError, match="that is the result of an op"):
        layer.weight = layer.weight * 2
    assert layer.weight is before and len(layer.parameters()) == 2
    # an array or a number would stay in forward as a constant, dropped from training
    for constant in (np.zeros((2, 2)), 0.5):
        with pytest.raises(TypeError, match=rf"'weight' by a {type(constant).__name__} "
                                            r"\(a constant\)"):
            layer.weight = constant
    neuron = nn.scalar.Neuron(2, seed=0)
    with pytest.raises(TypeError, match=r"Neuron: cannot replace the parameter 'b' by a "
                                        r"float \(a constant\)"):
        neuron.b = 0.5
    assert layer.weight is before and len(neuron.parameters()) == 3
    layer.weight = Tensor(np.zeros((2, 2)), requires_grad=True)  # a new parameter: fine
    layer.bias = None  # and no bias at all
    assert len(layer.parameters()) == 1
    layer.note = Tensor([1.0])  # a constant under a new name: fine


def test_device_moves_of_pytorch_keep_the_model_on_the_cpu():
    # model.to("cpu") and model.cuda() were bare AttributeErrors, where a Tensor's
    # explain (QA round 30)
    model = nn.MLP([2, 3, 1], seed=0)
    assert model.to("cpu") is model and model.cpu() is model and model.to("cpu:0") is model
    with pytest.raises(ValueError, match=r"^MLP.to\('cuda'\): parameters here live on the "
                                         r"CPU only"):
        model.to("cuda")
    with pytest.raises(ValueError, match=r"^MLP.cuda\(\): parameters here live on the CPU"):
        model.cuda()
    with pytest.raises(TypeError, match=r"^MLP.to\(<class 'numpy.float32'>\): the "
                                        r"parameters are float64, and a model does not "
                                        r"change dtype here: make it with dtype="):
        model.to(np.float32)
    # PyTorch's other forms (QA round 31): a dtype the model has, keywords, flags
    assert model.to("cpu", np.float64, non_blocking=True) is model
    assert model.to(device="cpu", dtype="float64") is model and model.double() is model
    with pytest.raises(TypeError, match="the parameters are float64"):
        model.float()
    for gpu in (0, "meta", "cuda:1"):
        with pytest.raises(ValueError, match="live on the CPU only"):
            model.to(gpu)
    for unknown in ("CPU", "cpu:abc", None):
        with pytest.raises(TypeError, match="expected 'cpu' or a dtype"):
            model.to(unknown)
    torch = pytest.importorskip("torch")
    assert model.to(torch.device("cpu"), torch.float64) is model
    with pytest.raises(ValueError, match="live on the CPU only"):
        model.to(torch.device("cuda"))


def test_train_takes_a_numpy_bool():
    model = nn.MLP([2, 2])
    assert model.train(np.bool_(False)).training is False
    assert model.train(np.True_).training is True


def test_a_ragged_list_in_load_state_dict_is_named_and_loads_nothing():
    layer = nn.Linear(2, 1, seed=0)
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match="nothing was loaded: 'weight' is not an array"):
        layer.load_state_dict({"weight": [[1.0], [1.0, 2.0]], "bias": [0.0]})
    np.testing.assert_array_equal(layer.weight.data, before)


def test_sequential_append_refuses_a_class_as_its_constructor_does():
    model = nn.Sequential(nn.Linear(2, 2, seed=0))
    with pytest.raises(TypeError, match=r"got the class ReLU; pass an instance, such as "
                                        r"ReLU\(\)"):
        model.append(nn.ReLU)
    assert len(model) == 1


def test_load_state_dict_refuses_floats_for_an_int_parameter():
    # MO09: the same_kind cast check (a parameter whose .data was replaced by ints)
    layer = nn.Linear(2, 1, seed=0)
    weight = layer.weight.data.copy()
    layer.bias.data = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="'bias' has dtype float64, which cannot be cast "
                                         "to the parameter's int64"):
        layer.load_state_dict({"weight": np.ones((1, 2)), "bias": np.array([0.5])})
    np.testing.assert_array_equal(layer.weight.data, weight)  # nothing was loaded
    assert layer.bias.data[0] == 0


def _frozen_first_layer(seed=0) -> nn.MLP:
    model = nn.MLP([3, 4, 2], seed=seed)
    model.layers[0].weight.requires_grad_(False)
    model.layers[0].bias.requires_grad = False
    return model


def test_frozen_parameters_stay_parameters_and_in_the_state_dict(tmp_path):
    # freezing dropped them from named_parameters, state_dict and saved files, so a
    # checkpoint of a partly frozen model silently lacked them (PyTorch keeps them)
    model = _frozen_first_layer()
    names = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [name for name, _ in model.named_parameters()] == names
    assert len(model.parameters()) == 4 and list(model.state_dict()) == names
    nn.save(model, tmp_path / "frozen.npz")
    other = nn.MLP([3, 4, 2], seed=99)
    nn.load(other, tmp_path / "frozen.npz")  # strict: every key is there
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(other(x).data, model(x).data)
    # and a whole checkpoint loads into a model frozen first
    _frozen_first_layer(seed=7).load_state_dict(nn.MLP([3, 4, 2], seed=1).state_dict())


def test_a_tensor_that_never_required_grad_is_not_a_parameter():
    class WithConstant(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Tensor(np.ones(3))  # a constant, never trained
            self.weight = Tensor(np.ones(3), requires_grad=True)

    assert [name for name, _ in WithConstant().named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="does not require grad"):
        nn.optim.SGD([WithConstant().scale], lr=0.1)


@pytest.mark.parametrize("make", [
    lambda params: nn.optim.SGD(params, lr=0.1),
    lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda params: nn.optim.Adam(params, lr=0.1),
])
def test_optimizers_leave_frozen_parameters_as_they_are_until_thawed(make):
    model = nn.MLP([3, 4, 2], seed=0)
    x = np.random.default_rng(1).normal(size=(5, 3))
    model(x).sum().backward()  # every parameter has a .grad
    model.layers[0].requires_grad_(False)  # frozen with a .grad from before
    optimizer = make(model.parameters())  # frozen ones accepted, as in PyTorch
    frozen = model.layers[0].weight.data.copy()
    trained = model.layers[1].weight.data.copy()
    optimizer.step()
    np.testing.assert_array_equal(model.layers[0].weight.data, frozen)
    assert not np.array_equal(model.layers[1].weight.data, trained)
    model.layers[0].requires_grad_(True)  # thawed: updated again
    optimizer.step()
    assert not np.array_equal(model.layers[0].weight.data, frozen)


def test_module_requires_grad_freezes_and_thaws_every_parameter():
    model = nn.MLP([3, 4, 2], seed=0)
    assert model.layers[0].requires_grad_(False) is model.layers[0]
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    model(x).sum().backward()
    assert model.layers[0].weight.grad is None and x.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(TypeError, match="requires_grad_: expected a bool, got str"):
        model.requires_grad_("no")


def test_module_requires_grad_refuses_the_values_of_a_scalar_network():
    # kills mut6-N24 (every parameter's flag set, a Value's too, whose requires_grad
    # is read-only: AttributeError); it did nothing, silently, and now says why
    net = nn.scalar.MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match="MLP.requires_grad_: its parameters are Values"):
        net.requires_grad_(False)
    assert all(isinstance(p, Value) and p.requires_grad for p in net.parameters())


def test_a_copy_of_a_partly_frozen_model_keeps_its_frozen_parameters():
    import copy
    import pickle

    model = _frozen_first_layer()
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert list(other.state_dict()) == list(model.state_dict())
        assert not other.layers[0].weight.requires_grad


def test_freezing_refuses_what_cannot_be_frozen_and_fit_a_model_with_nothing_to_train():
    for freeze in (lambda t: t.requires_grad_("no"),
                   lambda t: setattr(t, "requires_grad", "no")):  # either spelling
        with pytest.raises(TypeError, match="requires_grad: expected a bool, got str 'no'"):
            freeze(Tensor(np.ones(2), requires_grad=True))
    with pytest.raises(TypeError, match="Values, which always take part"):
        _scalar_module().requires_grad_(False)  # (it did nothing, silently)
    model = nn.MLP([2, 3, 2], seed=0).requires_grad_(False)
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="every parameter of the model is frozen"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), X, y,
               epochs=1, progress=False)


def _scalar_module():
    class Scalar(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = Value(1.0)

    return Scalar()


@pytest.mark.parametrize("call, message", [
    (lambda: nn.Linear(2, 3, bias="no"), "Linear: bias must be True or False"),
    (lambda: nn.MLP([2, 3, 1], bias="no"), "MLP: bias must be True or False"),
    (lambda: nn.scalar.Neuron(2, nonlin="False"), "Neuron: nonlin must be True or False"),
    (lambda: nn.scalar.Neuron(2, fused=0), "Neuron: fused must be True or False"),
    (lambda: nn.scalar.Layer(2, 3, nonlin="False"), "Layer: nonlin must be True or False"),
    (lambda: nn.scalar.Layer(2, 3, fused=None), "Layer: fused must be True or False"),
    (lambda: nn.scalar.MLP(2, [3, 1], fused="no"), "MLP: fused must be True or False"),
], ids=["Linear bias", "MLP bias", "Neuron nonlin", "Neuron fused", "Layer nonlin",
        "Layer fused", "scalar MLP fused"])
def test_flags_refuse_truthy_values_that_are_not_bools(call, message):
    # a str such as "no" or "False" is truthy: it did the opposite of what it says
    # (Neuron(nonlin="False") made a ReLU neuron, Linear(bias="no") had a bias)
    state = random.getstate()  # (the scalar networks draw from it, as micrograd)
    with pytest.raises(TypeError, match=message):
        call()
    assert random.getstate() == state  # checked before any draw


def test_zero_grad_and_load_state_dict_refuse_a_flag_that_is_not_a_bool():
    model = nn.Linear(2, 1, seed=0)
    model(np.ones((1, 2))).sum().backward()
    grad = model.weight.grad.copy()
    # set_to_none="no" set the grads to None, the opposite of what it says
    for clear in (model.zero_grad, nn.optim.SGD(model, lr=0.1).zero_grad):
        with pytest.raises(TypeError, match="zero_grad: set_to_none must be True or False, "
                                            "got set_to_none='no'"):
            clear(set_to_none="no")
        np.testing.assert_array_equal(model.weight.grad, grad)
    before = model.weight.data.copy()
    with pytest.raises(TypeError, match="Linear.load_state_dict: strict must be True or "
                                        "False, got strict='no'"):
        model.load_state_dict({"weight": np.zeros((1, 2))}, strict="no")
    np.testing.assert_array_equal(model.weight.data, before)
    model.zero_grad(set_to_none=np.bool_(False))  # NumPy's bools are bools
    np.testing.assert_array_equal(model.weight.grad, 0.0)


def test_load_state_dict_takes_value_and_tensor_entries():
    # a state holding Values (a scalar parameter) or Tensors loads like one of arrays
    class Scalar(nn.Module):
        def __init__(self):
            super().__init__()
            self.v = Value(1.0)

    module = Scalar()
    module.load_state_dict({"v": Value(5.0)})
    assert module.v.data == 5.0
    layer = nn.Linear(2, 1, seed=0)
    layer.load_state_dict({k: Tensor(np.full(a.shape, 7.0)) for k, a in
                           layer.state_dict().items()})
    np.testing.assert_array_equal(layer.weight.data, [[7.0, 7.0]])


def test_load_state_dict_refuses_parameters_it_cannot_write_and_changes_nothing(tmp_path):
    # The check passed, then the write failed at the read-only bias (NumPy's bare
    # "assignment destination is read-only") after the weight was overwritten
    layer = nn.Linear(2, 2, seed=0)
    np.save(tmp_path / "bias.npy", layer.bias.data)
    layer.bias.data = np.load(tmp_path / "bias.npy", mmap_mode="r")
    before = layer.state_dict()
    with pytest.raises(ValueError, match=r"nothing was loaded: 'bias': the parameter's "
                                         r"\.data is a read-only array.*p\.data = "
                                         r"np\.array\(p\.data\)"):
        layer.load_state_dict({k: v + 1.0 for k, v in before.items()})
    np.testing.assert_array_equal(layer.weight.data, before["weight"])
    layer.bias.data = [0.0, 0.0]  # not an array: no in-place write either
    with pytest.raises(ValueError, match=r"'bias': the parameter's \.data is a list, not an "
                                         "array"):
        layer.load_state_dict({k: v + 1.0 for k, v in before.items()})
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


def test_modules_or_parameters_in_a_set_are_refused_when_assigned():
    # parameters() does not open sets: their members were silently never trained or saved
    class Heads(nn.Module):
        def __init__(self, heads):
            super().__init__()
            self.heads = heads

    for heads in ({nn.Linear(2, 1, seed=0)}, frozenset({param(2)})):
        with pytest.raises(TypeError, match=rf"Heads: the {type(heads).__name__} assigned "
                                            r"to 'heads' holds modules or parameters.*keep "
                                            r"them in a list, tuple or dict"):
            Heads(heads)
    assert Heads({"a", "b"}).heads == {"a", "b"}  # a set of anything else is kept
    assert Heads([nn.Linear(2, 1, seed=0)]).parameters()
