"""nn.scalar: micrograd-style Neuron, Layer and MLP over Values."""

import random

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Value, gradcheck
from nn.scalar import MLP, Layer, Neuron


def test_neuron_defaults_and_output():
    n = Neuron(3, seed=0)
    assert len(n.w) == 3 and all(isinstance(w, Value) for w in n.w)
    assert all(-1 <= w.data <= 1 for w in n.w) and n.b.data == 0.0  # as micrograd
    n.w[0].data, n.w[1].data, n.w[2].data, n.b.data = 0.5, -1.0, 2.0, 0.25
    assert n([1.0, 2.0, 3.0]).data == 0.5 - 2.0 + 6.0 + 0.25
    assert n([1.0, 2.0, -3.0]).data == 0.0  # relu
    linear = Neuron(1, nonlin=False, seed=0)
    linear.w[0].data = 2.0
    assert linear([-3.0]).data == -6.0
    assert n.parameters() == [*n.w, n.b]


def _ops_of(out):
    ops, stack, seen = [], [out], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        ops.append(node.op)
        stack.extend(node.parents)
    return sorted(op for op in ops if op)


def test_neuron_graph_is_elementwise():
    x = [Value(1.0), Value(2.0), Value(3.0), Value(4.0)]
    # by default one weighted_sum node (b + sum w_i x_i)
    assert _ops_of(Neuron(4, seed=0)(x)) == ["relu", "weighted_sum"]
    # micrograd's graph: a chain of + nodes
    assert _ops_of(Neuron(4, seed=0, fused=False)(x)) == ["*"] * 4 + ["+"] * 4 + ["relu"]


def test_neuron_gradcheck():
    n = Neuron(3, nonlin=False, seed=1)

    def f(*args):
        return n(args)

    assert gradcheck(f, [0.3, -1.2, 2.0])

    def through_weights(w0, w1, b):
        n.w[0], n.w[1], n.b = w0, w1, b
        return n([1.5, -0.5, 2.0])

    assert gradcheck(through_weights, [Value(0.2), Value(-0.7), Value(0.1)])


def test_layer_returns_a_value_for_one_output_and_a_list_otherwise():
    one = Layer(2, 1, seed=0)
    assert isinstance(one([1.0, 2.0]), Value)
    many = Layer(2, 3, seed=0)
    out = many([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert len(many.parameters()) == 9
    assert all(n.nonlin for n in many.neurons)
    assert not any(n.nonlin for n in Layer(2, 2, nonlin=False, seed=0).neurons)


def test_mlp_structure_names_and_repr():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1  # 337
    assert [layer.neurons[0].nonlin for layer in model.layers] == [True, True, False]
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert repr(model) == (
        "MLP(\n"
        "  (layers): [\n"
        "    (0): Layer(2 -> 16, relu)\n"
        "    (1): Layer(16 -> 16, relu)\n"
        "    (2): Layer(16 -> 1, linear)\n"
        "  ]\n"
        ")"
    )
    assert repr(Neuron(3, nonlin=False)) == "Neuron(3 inputs, linear)"
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    assert isinstance(MLP(2, [3, 2], seed=0)([1.0, 1.0]), list)


def test_mlp_forward_matches_numpy():
    model = MLP(3, [4, 2], seed=5)
    x = [0.3, -1.0, 2.0]
    h = np.array(x)
    for i, layer in enumerate(model.layers):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        h = W @ h + b
        if i == 0:
            h = np.maximum(h, 0)
    np.testing.assert_allclose([v.data for v in model(x)], h, rtol=1e-14)
    np.testing.assert_allclose([v.data for v in model(np.array(x))], h, rtol=1e-14)


def test_seeds():
    a, b = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(2, [4, 1], seed=4)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    # seed=None draws from Python's random module, as micrograd does
    random.seed(11)
    d = MLP(2, [4, 1])
    random.seed(11)
    e = MLP(2, [4, 1])
    assert [p.data for p in d.parameters()] == [p.data for p in e.parameters()]
    random.seed(11)
    assert d.layers[0].neurons[0].w[0].data == random.uniform(-1, 1)


def test_same_network_as_micrograd_for_the_same_random_seed():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.5, -1.0], [2.0, 0.1]):
        assert ours(x).data == pytest.approx(theirs(x).data, rel=1e-14)


def test_wrong_number_of_inputs_and_bad_sizes():
    with pytest.raises(ValueError, match=r"MLP\(2 -> 3 -> 1\): expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Layer\(2 -> 3, relu\): expected 2 inputs, got 1"):
        Layer(2, 3, seed=0)([1.0])
    with pytest.raises(ValueError, match=r"Neuron\(2 inputs, relu\): expected 2 inputs"):
        Neuron(2, seed=0)(1.0)
    with pytest.raises(ValueError, match="n_inputs must be >= 1"):
        Neuron(0)
    with pytest.raises(TypeError, match="sizes must be a non-empty list"):
        MLP(2, 3)
    assert len(MLP(2, np.array([3, 1]), seed=0).parameters()) == 13  # an array of sizes
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        MLP(2, [3, 0])


def test_inputs_of_any_sequence_or_numpy_kind_and_clear_errors_for_the_rest():
    model = MLP(2, [3, 1], seed=0)
    reference = model([0.1, 0.2]).data
    for x in ((0.1, 0.2), np.array([0.1, 0.2]), [Value(0.1), 0.2]):
        assert model(x).data == reference
    # float32 samples are computed in float, as fused=False's operators do
    as_float32 = [np.float32(0.1), np.float32(0.2)]
    plain = MLP(2, [3, 1], seed=0, fused=False)
    assert type(model(as_float32).data) is float
    assert model(as_float32).data == plain(as_float32).data
    one = MLP(1, [2, 1], seed=0)
    assert one(np.array(0.5)).data == one([0.5]).data  # a 0-d array is one input
    for bad in ({"a": 1.0, "b": 2.0}, None, "ab"):
        with pytest.raises(TypeError, match=r"MLP\(2 -> 3 -> 1\): expects its inputs as a "
                                            f"list.*got {type(bad).__name__}"):
            model(bad)


def test_zero_grad_and_optimizer():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_scalar_mlp_learns_a_toy_set():
    X, y = nn.data.make_moons(24, noise=0.05, seed=2)
    labels = 2 * y - 1
    model = MLP(2, [8, 8, 1], seed=1)
    opt = nn.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    hinge = nn.HingeLoss()
    rows = X.tolist()
    first = None
    for _ in range(60):
        scores = [model(x) for x in rows]
        loss = hinge(scores, labels)
        first = loss.data if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    scores = [model(x).data for x in rows]
    assert loss.data < first / 4
    assert nn.data.accuracy(np.array(scores), labels) >= 0.95


def test_fused_neurons_compute_the_same_in_one_add_n_node():
    chained, fused = MLP(3, [4, 1], seed=0, fused=False), MLP(3, [4, 1], seed=0)
    x = [0.5, -1.5, 2.0]
    a, b = chained(x), fused(x)
    assert b.data == pytest.approx(a.data, rel=1e-14)
    a.backward()
    b.backward()
    for p, q in zip(chained.parameters(), fused.parameters(), strict=True):
        assert q.grad == pytest.approx(p.grad, rel=1e-14, abs=1e-15)
    assert b.op == "weighted_sum" and a.op == "+"  # the linear output neuron's sum
    assert len(b._parents) == 1 + 4 + 4  # its bias, four weights and four inputs


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("batch", [[[1.0, 2.0], [3.0, 4.0]], ["a", "b"]], ids=["rows", "str"])
def test_a_batch_or_non_numbers_name_the_neuron_and_say_one_sample(fused, batch):
    model = MLP(2, [3, 1], seed=0, fused=fused)
    with pytest.raises(TypeError, match=r"Neuron\(2 inputs, relu\): expected one sample, 2 "
                                        r"numbers or Values, got a list of (list|str)"):
        model(batch)


def test_a_tensor_sample_says_to_use_values():
    from autodiff import Tensor

    with pytest.raises(TypeError, match=r"take numbers or Values, not Tensors \(nn.MLP"):
        MLP(2, [3, 1], seed=0)(Tensor(np.array([1.0, 2.0])))


def test_each_neurons_nodes_remember_its_call_inside_its_layer():
    # (Layer calls its neurons without Module.__call__, for speed: the scopes must be
    # the same as with it)
    model = nn.scalar.MLP(2, [3, 1], seed=0)
    out = model([Value(1.0), Value(2.0)])
    neuron = model.layers[1].neurons[0]
    assert out.scope.owner is neuron and out.scope.label == "Neuron(3 inputs, linear)"
    assert out.scope.parent.owner is model.layers[1]
    assert out.scope.parent.parent.owner is model
    first = model.layers[0].neurons[2]
    hidden = [n for n in autodiff.viz._collect(out) if n.scope is not None
              and n.scope.owner is first]
    assert hidden and all(n.scope.parent.owner is model.layers[0] for n in hidden)
    from autodiff.graph import _grad_mode
    assert _grad_mode.scope is None  # restored


def test_an_int_seed_draws_every_weight_from_one_stream():
    # SC06 (each neuron of a Layer reseeded with the int), SC10 (each layer of an MLP)
    layer = Layer(3, 4, seed=0)
    rows = [[w.data for w in n.w] for n in layer.neurons]
    assert len({tuple(r) for r in rows}) == 4  # no two neurons alike
    np.testing.assert_array_equal(sum(rows, []),
                                  np.random.default_rng(0).uniform(-1.0, 1.0, 12))
    model = MLP(3, [3, 3, 1], seed=0)
    drawn = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    np.testing.assert_array_equal(drawn,
                                  np.random.default_rng(0).uniform(-1.0, 1.0, len(drawn)))
    assert [n.w[0].data for n in model.layers[0].neurons] != \
           [n.w[0].data for n in model.layers[1].neurons]


def test_seed_errors_name_the_network_and_a_batch_is_not_taken_for_inputs():
    # the seed's errors named no network, and a (5, 2) batch read as "got 5 inputs"
    for make, who in ((lambda: nn.scalar.MLP(2, [1], seed=-1), "MLP"),
                      (lambda: nn.scalar.Layer(2, 1, seed=-1), "Layer"),
                      (lambda: nn.scalar.Neuron(2, seed=-1), "Neuron")):
        with pytest.raises(ValueError, match=rf"^{who}: seed must be a non-negative int"):
            make()
    model = nn.scalar.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"^MLP\(2 -> 4 -> 1\): expected one sample, 2 "
                                         r"numbers, got an array of shape \(5, 2\) \(a "
                                         r"network over Values takes one sample per call\)"):
        model(np.zeros((5, 2)))
    assert model(np.zeros(2)).data == model([0.0, 0.0]).data


def test_a_step_between_forward_and_backward_goes_undetected_as_documented():
    # Values carry no version stamp (Tensors do, and raise): backward after a step
    # silently uses the new weights, so the docstring must say so, not promise that the
    # optimizers work "as on Tensor networks"
    model = MLP(2, [3, 1], seed=0)
    x = [1.0, -2.0]
    model(x).backward()
    true_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    out = model(x)
    for p in model.parameters():
        p.grad = 1.0
    nn.optim.SGD(model, lr=0.5).step()
    model.zero_grad()
    out.backward()  # no error
    assert [p.grad for p in model.parameters()] != true_grads
    doc = " ".join(nn.scalar.__doc__.split())
    assert "a weight changed between a forward pass and its `backward()`" in doc
    assert "is not detected" in doc and "wrong gradients without an error" in doc
