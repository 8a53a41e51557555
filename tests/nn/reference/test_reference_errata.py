"""One test per erratum listed in ERRATA.md (test names start with its id, e.g. R1).

Each runs the document's equation as written and shows it disagreeing with autograd and
with central finite differences, then runs the corrected equation beside it and shows it
agreeing with both. The tests at the end pin down conventions that look odd but are
right (ERRATA.md lists them separately, not as errata).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from nn.reference import _autograd as ag
from nn.reference import book_chapter as bc
from nn.reference import course_lesson as cl
from nn.reference import layout
from nn.reference import numpy_derivation as nd
from nn.reference import rust_series as rs

EXACT = 1e-10  # corrected vs autograd
FD_TOL = 1e-6  # corrected vs central differences
WRONG = 1e-2  # as written must miss both by more than this

ERRATA_MD = Path(__file__).resolve().parents[3] / "ERRATA.md"


def check(as_written, corrected, autograd, numeric, rel):
    assert rel(as_written, autograd) > WRONG
    assert rel(as_written, numeric) > WRONG
    assert rel(corrected, autograd) <= EXACT
    assert rel(corrected, numeric) <= FD_TOL


# ---- Rust series -----------------------------------------------------------------------


def test_R1_update_adds_an_l2_term_the_cost_never_had(fd, reldiff):
    lambd, lr = 3.0, 0.1
    net, x, y = rs.example(seed=0, m=20)
    m = x.shape[1]
    params = net.parameters
    al, caches = net.forward(x)
    grads = net.backward(al, y, caches)
    written = rs.update_parameters_as_written(params, grads, m, lr, lambd)
    fixed = rs.update_parameters(params, grads, lr)
    _, auto = ag.gradients(net.column_spec(), x, y)

    def article_cost():
        return rs.cost(net.forward(x)[0], y)

    for l in range(1, net.num_of_layers + 1):
        W = params[f"W{l}"]
        step_written = (W - written[f"W{l}"]) / lr  # the gradient the update really uses
        step_fixed = (W - fixed[f"W{l}"]) / lr
        check(step_written, step_fixed, auto[f"W{l}"], fd(article_cost, W), reldiff)
        # biases were never affected
        assert reldiff((params[f"b{l}"] - written[f"b{l}"]) / lr, auto[f"b{l}"]) <= 1e-9

    # The as-written update is exact gradient descent on the L2-regularized cost instead.
    spec = net.column_spec()
    spec.l2 = lambd
    _, auto_l2 = ag.gradients(spec, x, y)

    def cost_l2():
        return rs.cost_l2(net.forward(x)[0], y, net.parameters, lambd)

    for l in range(1, net.num_of_layers + 1):
        W = params[f"W{l}"]
        step_written = (W - written[f"W{l}"]) / lr
        assert reldiff(step_written, auto_l2[f"W{l}"]) <= 1e-9
        assert reldiff(step_written, fd(cost_l2, W)) <= FD_TOL


def _rust_activation_grads(net, x, y):
    """Autograd's d(cost)/dA_l for l = 0..L, with the activations as Tensors."""
    import autodiff

    A = [autodiff.Tensor(x.copy(), requires_grad=True)]
    for l in range(1, net.num_of_layers + 1):
        W = autodiff.Tensor(net.parameters[f"W{l}"].copy())
        b = autodiff.Tensor(net.parameters[f"b{l}"].copy())
        Z = W @ A[-1] + b
        A.append(Z.sigmoid() if l == net.num_of_layers else Z.relu())
    Y = autodiff.Tensor(y)
    m = x.shape[1]
    cost = -(Y * A[-1].log() + (1.0 - Y) * (1.0 - A[-1]).log()).sum() / m
    cost.backward()
    return [np.array(a.grad) for a in A], [np.array(a.data) for a in A]


def _rust_cost_from(net, a, l, y):
    """The article's cost as a function of the activation A_l (layers l+1 .. L)."""
    L = net.num_of_layers
    for k in range(l + 1, L + 1):
        z = net.parameters[f"W{k}"] @ a + net.parameters[f"b{k}"]
        a = rs.sigmoid(z) if k == L else rs.relu(z)
    return rs.cost(a, y)


def test_R2_dA_keys_are_shifted_by_one_layer(fd, reldiff):
    # equal hidden widths: the mislabelled "dA2" even has A2's shape, only its values
    # are another layer's ("dA1" holds the input's gradient, of another shape)
    rng = np.random.default_rng(3)
    net = rs.DeepNeuralNetwork([3, 4, 4, 1], seed=3)
    x = rng.normal(size=(3, 10))
    y = (rng.random((1, 10)) > 0.5).astype(np.float64)
    m = x.shape[1]
    al, caches = net.forward(x)
    written = net.backward_as_written(al, y, caches)
    fixed = net.backward(al, y, caches)
    auto_dA, acts = _rust_activation_grads(net, x, y)
    for l in (1, 2):  # the hidden activations
        a = acts[l].copy()
        numeric = fd(lambda a=a, l=l: _rust_cost_from(net, a, l, y), a)
        # the key says "dA{l}"; with the summed-loss convention it should be m dJ/dA_l
        check(written[f"dA{l}"] / m, fixed[f"dA{l}"] / m, auto_dA[l], numeric, reldiff)
    assert written["dA3"].shape != acts[3].shape  # "dA3" is not even shaped like A3


# ---- course lesson ---------------------------------------------------------------------


def _z_and_da(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(4, 6)), rng.normal(size=(4, 6))


def test_C1_sigmoid_backward_returns_the_local_derivative_only(vjp, num_vjp, reldiff):
    Z, dA = _z_and_da(10)
    sig = cl.SigmoidActivation()
    A = sig.forward(Z)
    as_written = sig.derivative_as_written(A)  # used by the layer as dZ_curr
    corrected = dA * sig.derivative_as_written(A)  # chain rule: times dA
    check(
        as_written,
        corrected,
        vjp(lambda T: T.sigmoid(), Z, dA),
        num_vjp(sig.forward, Z, dA),
        reldiff,
    )
    assert reldiff(corrected, sig.backward(dA, Z)) <= EXACT


def test_C2_layer_passes_Z_where_the_derivative_needs_A(vjp, num_vjp, reldiff):
    Z, dA = _z_and_da(11)
    sig = cl.SigmoidActivation()
    # the layer's backward as written hands it Z, so it returns Z (1 - Z) (and drops dA,
    # erratum C1, so dA is multiplied in here to isolate C2)
    np.testing.assert_array_equal(sig.backward_as_written(dA, Z), Z * (1 - Z))
    as_written = dA * sig.backward_as_written(dA, Z)
    corrected = dA * sig.derivative_as_written(sig.forward(Z))  # A (1 - A)
    check(
        as_written,
        corrected,
        vjp(lambda T: T.sigmoid(), Z, dA),
        num_vjp(sig.forward, Z, dA),
        reldiff,
    )


def test_C3_relu_backward_returns_the_value_not_the_step(vjp, num_vjp, reldiff):
    Z, dA = _z_and_da(12)
    relu = cl.ReLUActivation()
    as_written = dA * relu.derivative_as_written(Z)  # max(Z, 0) * a, a = 1
    corrected = dA * (Z > 0)
    check(
        as_written, corrected, vjp(lambda T: T.relu(), Z, dA), num_vjp(relu.forward, Z, dA), reldiff
    )
    # the same with the output A in place of Z: the mask is the same, the values are not 1
    assert reldiff(dA * relu.derivative_as_written(relu.forward(Z)), corrected) > WRONG


def test_C1_C2_C3_as_written_layers_give_wrong_network_gradients(fd, reldiff):
    """The lesson's LinearLayer with its activations' bodies, on a ReLU and a sigmoid net."""
    for hidden in (cl.ReLUActivation(), cl.SigmoidActivation()):
        rng = np.random.default_rng(13)
        net = cl.NeuralNet(
            [cl.LinearLayer(4, 5, hidden, rng), cl.LinearLayer(5, 3, cl.SoftMaxActivation(), rng)]
        )
        X = rng.normal(size=(4, 8))
        Y = layout.one_hot(rng.integers(0, 3, 8), 3, layout="columns")
        written, _ = net.gradients_as_written(X, Y)
        fixed, _ = net.gradients(X, Y)
        _, auto = ag.gradients(net.column_spec(), X, Y)
        W0 = net.layers[0].W
        numeric = fd(lambda net=net, X=X, Y=Y: cl.categorical_crossentropy(Y, net.forward(X)), W0)
        check(written[0][0], fixed[0][0], auto["W1"], numeric, reldiff)


def test_C4_fit_seeds_backprop_with_the_loss_value(fd, reldiff):
    net, X, Y = cl.example(seed=14)
    written, _ = net.gradients(X, Y, seed=cl.seed_as_written)
    fixed, _ = net.gradients(X, Y)
    _, auto = ag.gradients(net.column_spec(), X, Y)

    def cost():
        return cl.categorical_crossentropy(Y, net.forward(X))

    for i, layer in enumerate(net.layers):
        check(written[i][0], fixed[i][0], auto[f"W{i + 1}"], fd(cost, layer.W), reldiff)
        # through the softmax a constant seed gives (up to rounding) no gradient at all
        assert np.max(np.abs(written[i][0])) <= 1e-12 * np.max(np.abs(fixed[i][0])) + 1e-15
    # so the as-written fit does not move the weights
    W_before = [layer.W.copy() for layer in net.layers]
    net.fit_as_written(X, Y, lr=0.5, epoch=3)
    for layer, W in zip(net.layers, W_before, strict=True):
        assert reldiff(layer.W, W) <= 1e-12


# ---- NumPy derivation ------------------------------------------------------------------


def _square_net(seed, width=3, n=4):
    rng = np.random.default_rng(seed)
    net = nd.NeuralNetwork(
        [nd.Layer(width, width, nd.LeakyReLU(0.1), rng) for _ in range(n)], nd.MSELoss(), 0.01
    )
    return net, rng.normal(size=(width, 1)), rng.normal(size=(width, 1))


def _lists(net):
    """The per-layer lists the article's equations index: weights, biases, activations
    and their derivatives."""
    per_layer = [(L._W, L._b, L.act_function.f, L.act_function.df) for L in net._layers]
    return tuple(map(list, zip(*per_layer, strict=True)))


def _nd_autograd(net, x, t):
    _, auto = ag.gradients(net.column_spec(), x, t)
    return auto


def test_N1_notices_multiply_x_W_instead_of_W_x(fd, reldiff):
    net, x, t = _square_net(22)
    xs, dxs, _, dbs = net.backward(x, t)
    auto = _nd_autograd(net, x, t)
    Ws, bs, _, dfs = _lists(net)
    k = 1  # a layer where W x and W^T x differ in sign somewhere (asserted below)
    with pytest.raises(ValueError):  # literally, x W does not exist for a column x
        nd.pre_activation_as_written(Ws[k], xs[k], bs[k])
    y_written = nd.pre_activation_as_written(Ws[k], xs[k], bs[k], x_as_row=True)
    y_code = Ws[k] @ xs[k] + bs[k]
    assert np.any(np.sign(y_written) != np.sign(y_code))  # the slopes picked differ
    db_written = dfs[k](y_written) * dxs[k + 1]
    db_fixed = dfs[k](y_code) * dxs[k + 1]
    numeric = fd(lambda: net.loss(net.forward_pass(x), t), net._layers[k]._b)
    check(db_written, db_fixed, auto[f"b{k + 1}"], numeric, reldiff)
    assert reldiff(db_fixed, dbs[k]) <= EXACT


def test_N2_unrolled_steps_use_f_and_the_loss_derivative_of_an_inner_layer(fd, reldiff):
    net, x, t = _square_net(21)
    n = len(net._layers)
    xs, dxs, dWs, dbs = net.backward(x, t)
    auto = _nd_autograd(net, x, t)
    Ws, bs, fs, dfs = _lists(net)
    dL = net._loss_function.dloss

    def loss():
        return net.loss(net.forward_pass(x), t)

    for k in (n - 3, 0):
        _, dW_written, db_written = nd.unrolled_step_as_written(k, xs, t, Ws, bs, fs, dL)
        y = Ws[k] @ xs[k] + bs[k]
        db_fixed = dfs[k](y) * dxs[k + 1]
        dW_fixed = db_fixed @ xs[k].T
        check(db_written, db_fixed, auto[f"b{k + 1}"], fd(loss, net._layers[k]._b), reldiff)
        check(dW_written, dW_fixed, auto[f"W{k + 1}"], fd(loss, net._layers[k]._W), reldiff)
        # wrong twice over: each half of the correction alone still gives wrong numbers
        _, _, db_df_only = nd.unrolled_step_as_written(k, xs, t, Ws, bs, dfs, dL)
        db_propagated_only = fs[k](y) * dxs[k + 1]
        for half_fixed in (db_df_only, db_propagated_only):
            assert reldiff(half_fixed, auto[f"b{k + 1}"]) > WRONG


def test_N3_generic_loop_multiplies_by_f_instead_of_df(fd, reldiff):
    net, x, t = nd.example(seed=22)  # the demo's 2 -> 4 -> 4 -> 3 network
    xs = net.forward_pass_xs(x)
    Ws, bs, fs, dfs = _lists(net)
    dL = net._loss_function.dloss
    _, dWs_written, _ = nd.backward_loop_as_written(xs, t, Ws, bs, fs, dL)
    _, dWs_fixed, _ = nd.backward_loop_as_written(xs, t, Ws, bs, dfs, dL)
    auto = _nd_autograd(net, x, t)

    def loss():
        return net.loss(net.forward_pass(x), t)

    n = len(net._layers)
    for i in range(n):
        j = n - 1 - i  # undo the loop's reversed order (N4) to isolate this erratum
        check(dWs_written[j], dWs_fixed[j], auto[f"W{i + 1}"], fd(loss, net._layers[i]._W), reldiff)


def test_N4_loop_lists_run_from_the_last_layer_to_the_first(fd, reldiff):
    net, x, t = _square_net(23)  # equal widths: same shapes, other layers
    xs = net.forward_pass_xs(x)
    Ws, bs, _, dfs = _lists(net)
    dL = net._loss_function.dloss
    dxs, dWs, dbs = nd.backward_loop_as_written(xs, t, Ws, bs, dfs, dL)  # df: N3 fixed
    auto = _nd_autograd(net, x, t)

    def loss():
        return net.loss(net.forward_pass(x), t)

    n = len(net._layers)
    for i in (0, n - 1):  # the definition: dWs[i] belongs to net._layers[i]
        numeric = fd(loss, net._layers[i]._W)
        check(dWs[i], dWs[n - 1 - i], auto[f"W{i + 1}"], numeric, reldiff)
    check(dxs[0], dxs[n], auto["X"], fd(loss, x), reldiff)  # dxs[0] should be for xs[0]


# ---- the list in ERRATA.md matches these tests -----------------------------------------


def test_every_listed_erratum_has_a_test_and_vice_versa():
    text = ERRATA_MD.read_text(encoding="utf-8")
    listed = set(re.findall(r"^### ([A-Z]\d+)\b", text, flags=re.M))
    tested = set()
    for name in globals():
        tested.update(re.findall(r"(?:^test_|_)([A-Z]\d+)(?=_)", name))
    assert listed, "ERRATA.md lists no errata"
    assert listed == tested
    for doc in (
        "000_699985e65e498973.txt",
        "001_4b2e95c89f7eb594.txt",
        "002_700d0f0963832cdc.txt",
        "003_d5177f0920b71ff2.txt",
        "004_0306db915272ed9e.txt",
    ):
        assert doc in text


# ---- conventions that are unusual but right (ERRATA.md, "not errata") -------------------


def test_convention_summed_loss_dA_with_mean_dW(reldiff):
    """Rust series and course lesson: dA, dZ are derivatives of m * cost; dW, db of cost."""
    net, x, y = rs.example(seed=30, m=12)
    al, caches = net.forward(x)
    grads = net.backward(al, y, caches)
    _, auto = ag.gradients(net.column_spec(), x, y)
    assert reldiff(grads["dA0"], 12 * auto["X"]) <= EXACT
    assert reldiff(grads["dW1"], auto["W1"]) <= EXACT


def test_convention_book_loss_clips_forward_but_not_backward(fd):
    """Clipped predictions: the forward loss is flat there, the backward still returns
    -1/(p N). Harmless for predictions inside [1e-7, 1 - 1e-7], where both agree."""
    loss = bc.Loss_CategoricalCrossentropy()
    P = np.array([[1e-9, 0.5, 0.5 - 1e-9], [0.2, 0.3, 0.5]])
    y = np.array([0, 1])
    loss.backward(P, y)
    numeric = fd(lambda: loss.calculate(P, y), P, eps=1e-10)
    assert numeric[0, 0] == 0.0 and loss.dinputs[0, 0] < -1e8
    assert abs(numeric[1, 1] - loss.dinputs[1, 1]) <= 1e-5 * abs(loss.dinputs[1, 1])
