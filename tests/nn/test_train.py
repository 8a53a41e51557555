"""nn.fit: the history it returns, reproducibility, progress output, validation, errors."""

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn.data import make_moons


def setup(model_seed=0, epochs=30, **kwargs):
    X, y = make_moons(80, noise=0.1, seed=1)
    model = nn.MLP([2, 8, 2], seed=model_seed)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs,
                     progress=False, **kwargs)
    return model, history, X, y


def test_history_has_one_entry_per_epoch_and_the_loss_falls():
    model, history, X, y = setup(epochs=40)
    assert list(history) == ["loss", "accuracy"]
    assert len(history["loss"]) == len(history["accuracy"]) == 40
    assert history["loss"][-1] < history["loss"][0] / 2
    assert history["accuracy"][-1] > 0.8
    # full batch: the recorded loss is the loss of the model before each step
    before = nn.CrossEntropyLoss()(model(X), y).item()
    assert before < history["loss"][-1]


def test_full_batch_first_epoch_is_the_initial_loss():
    X, y = make_moons(50, noise=0.1, seed=3)
    model = nn.MLP([2, 4, 2], seed=0)
    initial = nn.CrossEntropyLoss()(model(X), y).item()
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                     X, y, epochs=1, progress=False)
    assert history["loss"] == [pytest.approx(initial, rel=1e-14)]


def test_minibatches_are_reproducible_with_a_seed():
    _, a, _, _ = setup(epochs=5, batch_size=16, seed=0)
    _, b, _, _ = setup(epochs=5, batch_size=16, seed=0)
    assert a == b
    X, y = make_moons(80, noise=0.1, seed=1)
    model = nn.MLP([2, 8, 2], seed=0)
    c = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05), X, y,
               epochs=5, batch_size=16, seed=1, progress=False)
    assert c["loss"] != a["loss"]  # another shuffling order


def test_validation_metric_none_and_penalty():
    X, y = make_moons(60, noise=0.1, seed=1)
    Xv, yv = make_moons(30, noise=0.1, seed=2)
    model = nn.MLP([2, 8, 2], seed=0)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
                     X, y, epochs=3, X_val=Xv, y_val=yv, progress=False)
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history["val_loss"][-1] == pytest.approx(nn.CrossEntropyLoss()(model(Xv), yv).item())
    assert history["val_accuracy"][-1] == nn.data.accuracy(model(Xv).data, yv)
    assert model.training  # back in training mode after validating

    reg = nn.MLP([2, 8, 1], seed=0)
    plain = nn.MLP([2, 8, 1], seed=0)
    for model, penalty in ((reg, lambda m: nn.l2_penalty(m, 50.0, len(X))), (plain, None)):
        history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.05), X,
                         y.astype(float), epochs=20, metric=None, penalty=penalty,
                         progress=False)
        assert list(history) == ["loss"]
    norm = sum(float((p.data**2).sum()) for n, p in reg.named_parameters() if "weight" in n)
    plain_norm = sum(float((p.data**2).sum()) for n, p in plain.named_parameters()
                     if "weight" in n)
    assert norm < plain_norm  # the penalty shrank the weights


def _train_with(penalty, model_seed=0):
    X, y = make_moons(40, noise=0.1, seed=1)
    model = nn.MLP([2, 4, 2], seed=model_seed)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                     X, y, epochs=2, batch_size=16, seed=0, progress=False, penalty=penalty)
    return history, [p.data for p in model.parameters()]


def test_a_penalty_of_shape_1_trains_as_the_0_d_one():
    # The up-front check took a (1,) penalty, which then failed after the first step
    # (float() of the (1,) loss), the weights already changed: it is now taken as 0-d
    X, _ = make_moons(40, noise=0.1, seed=1)
    scalar, scalar_weights = _train_with(lambda m: nn.l2_penalty(m, 0.1, len(X)))
    one, one_weights = _train_with(lambda m: nn.l2_penalty(m, 0.1, len(X)).reshape(1, 1))
    assert one == scalar
    for a, b in zip(one_weights, scalar_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_loss_of_shape_1_trains_as_the_0_d_one():
    # the docstring asks loss_fn for a one-element Tensor, but one of shape (1,) failed
    # the up-front check with NumPy's "only 0-dimensional arrays can be converted to
    # Python scalars"
    X, y = make_moons(40, noise=0.1, seed=1)
    runs = []
    for loss_fn in (nn.CrossEntropyLoss(), lambda o, t: nn.CrossEntropyLoss()(o, t).reshape(1)):
        model = nn.MLP([2, 4, 2], seed=0)
        history = nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.1), X, y,
                         epochs=2, batch_size=16, seed=0, progress=False, X_val=X, y_val=y)
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("penalty", [lambda m: 0.0, lambda m: np.float64(0.0),
                                     lambda m: 0, lambda m: np.array(0.0)],
                         ids=["float", "np.float64", "int", "0-d array"])
def test_a_penalty_that_is_a_plain_number_is_added_as_a_constant(penalty):
    # refused since the up-front check ("must return a one-element Tensor"); it trained
    # before, and adds nothing to the gradients
    plain, plain_weights = _train_with(None)
    constant, weights = _train_with(penalty)
    assert constant == plain
    for a, b in zip(weights, plain_weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("penalty, error, message", [
    (lambda m: True, TypeError, "one-element Tensor or a real number .*got bool"),
    (lambda m: 1j, TypeError, "one-element Tensor or a real number .*got complex"),
    (lambda m: None, TypeError, "one-element Tensor or a real number .*got NoneType"),
    (lambda m: np.zeros(1), TypeError, "one-element Tensor or a real number .*got ndarray"),
    (lambda m: nn.l2_penalty(m, 0.1).reshape(1) * np.ones(2), ValueError,
     r"one-element Tensor \(or a number\) .*got shape \(2,\)"),
    (lambda m: Tensor(np.array(True)), TypeError,
     "real number to add to the loss, got a Tensor of dtype bool"),
], ids=["bool", "complex", "None", "(1,) array", "(2,) Tensor", "bool Tensor"])
def test_a_penalty_that_is_not_one_real_number_is_refused_before_any_step(
        penalty, error, message):
    model = nn.MLP([2, 2], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=r"^fit: penalty\(model\) must return a " + message):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
               np.ones((10, 2)), np.zeros(10, dtype=int), epochs=2, progress=False,
               penalty=penalty)
    for a, p in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.data)


def test_progress_false_prints_nothing(capfd):
    setup(epochs=3)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bar_is_shown(capfd):
    pytest.importorskip("tqdm")
    X, y = make_moons(20, seed=0)
    model = nn.MLP([2, 4, 2], seed=0)
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), X, y,
           epochs=3)
    out, err = capfd.readouterr()
    assert "3/3" in out + err


def test_custom_metric_name():
    def error_rate(outputs, targets):
        return 1.0 - nn.data.accuracy(outputs, targets)

    _, history, _, _ = setup(epochs=2, metric=error_rate)
    assert list(history) == ["loss", "error_rate"]
    assert 0.0 <= history["error_rate"][0] <= 1.0


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
        ({"epochs": 2.0}, TypeError, "epochs must be an int, got float 2.0"),
        ({"epochs": 2, "batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"epochs": 2, "batch_size": "4"}, TypeError, "batch_size must be an int or None"),
        ({"epochs": 2, "X_val": np.zeros((2, 2))}, ValueError, "both X_val and y_val"),
        ({"epochs": 2, "X_val": np.zeros((2, 2)), "y_val": np.zeros(3, dtype=int)},
         ValueError, "X_val has 2 samples but y_val has 3"),
        ({"epochs": 2, "X_val": np.zeros((2, 3)), "y_val": np.zeros(2, dtype=int)},
         ValueError, r"Linear\(2 -> 2\): expected input of shape \(batch, 2\)"),
        ({"epochs": 2, "y": np.zeros(3)}, ValueError, r"X has 10 samples \(shape \(10, 2\)\)"),
        ({"epochs": 2, "X": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)}, ValueError,
         "X has no samples"),
        ({"epochs": 2, "X": 3.0}, ValueError, "X must be an array with one entry per sample"),
        ({"epochs": 2, "model": "mlp"}, TypeError, "model must be an nn.Module"),
        ({"epochs": 2, "loss_fn": nn.CrossEntropyLoss}, TypeError,
         "loss_fn is the class CrossEntropyLoss; pass an instance"),
        ({"epochs": 2, "optimizer": nn.optim.SGD}, TypeError, "optimizer is the class SGD"),
        ({"epochs": 2, "optimizer": nn.optim.SGD(nn.MLP([2, 2]).parameters(), lr=0.1)},
         ValueError, "the optimizer holds none of the model's parameters"),
        ({"epochs": 2, "metric": "accuracy"}, TypeError, "metric must be a function"),
        ({"epochs": 2, "optimizer": "sgd"}, TypeError,
         "optimizer must have zero_grad\\(\\) and step\\(\\).*got str"),
        ({"epochs": 2, "optimizer": None}, TypeError, "optimizer must have .*got NoneType"),
        # a truthy str showed a progress bar
        ({"epochs": 2, "progress": "no"}, TypeError,
         "fit: progress must be True or False, got progress='no'"),
        # the penalty was first called at the first step, after zero_grad and a forward
        # pass: "'str' object is not callable", or backward's "gradient can be omitted
        # only for a one-element tensor"
        ({"epochs": 2, "penalty": "l2"}, TypeError,
         "fit: penalty must be a function model -> Tensor.*got str"),
        ({"epochs": 2, "penalty": nn.MSELoss}, TypeError, "fit: penalty is the class MSELoss"),
        ({"epochs": 2, "penalty": lambda m: m.layers[0].weight * 0.01}, ValueError,
         r"fit: penalty\(model\) must return a one-element Tensor .*got shape \(2, 2\)"),
        ({"epochs": 2, "penalty": lambda m: "l2"}, TypeError,
         r"fit: penalty\(model\) must return a one-element Tensor .*got str"),
        # None in an object array became nan in the model, blamed on diverged weights
        ({"epochs": 2, "X": np.array([[1.0, 2.0]] * 3 + [[1.0, None]] + [[0.0, 1.0]] * 6,
                                     dtype=object)},
         ValueError, r"fit: X has a missing value, None \(first at row 3, column 1\)"),
        ({"epochs": 2, "X_val": np.array([[None, 1.0], [1.0, 1.0]], dtype=object),
          "y_val": np.zeros(2, dtype=int)},
         ValueError, r"fit: X_val has a missing value, None \(first at row 0, column 0\)"),
        ({"epochs": 2, "X": np.array([[1.0, "a"]] * 10, dtype=object)}, TypeError,
         "fit: X holds values that are not numbers: could not convert string to float"),
        # strings: "astype: on shapes (10, 2): could not convert string to float"
        ({"epochs": 2, "X": np.full((10, 2), "1.5x")}, TypeError,
         r"fit: X holds strings \(dtype <U4\), not numbers"),
        ({"epochs": 2, "X": np.ones((10, 2)) * 1j}, TypeError,
         "fit: X must hold real numbers, got dtype complex128"),
        ({"epochs": 2, "X": [[1.0, 2.0], [3.0]] * 5}, ValueError,
         "fit: cannot make an array of X"),
    ],
)
def test_bad_arguments_raise_before_any_step(kwargs, error, fragment):
    model = nn.MLP([2, 2], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    args = {"model": model, "loss_fn": nn.CrossEntropyLoss(),
            "optimizer": nn.optim.SGD(model.parameters(), lr=0.1),
            "X": np.ones((10, 2)), "y": np.zeros(10, dtype=int), "progress": False}
    args.update(kwargs)
    with pytest.raises(error, match=fragment):
        nn.fit(**args)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(),
                                                         strict=True))


def test_regression_with_the_default_metric_gives_a_hint_and_scalar_models_are_refused():
    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    y = 3 * X + 0.5
    model = nn.MLP([1, 4, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.layers[0].weight.data.copy()
    with pytest.raises(ValueError, match="metric accuracy failed.*pass metric=None"):
        nn.fit(model, nn.MSELoss(), opt, X, y, epochs=1, progress=False)
    # found by the trial before training, not after an epoch had changed the weights
    np.testing.assert_array_equal(model.layers[0].weight.data, before)
    history = nn.fit(model, nn.MSELoss(), opt, X, y, epochs=50, metric=None, progress=False)
    assert history["loss"][-1] < history["loss"][0] / 10
    scalar = nn.scalar.MLP(1, [4, 1], seed=0)
    with pytest.raises(TypeError, match="trains Tensor networks"):
        nn.fit(scalar, nn.MSELoss(), nn.optim.SGD(scalar.parameters(), lr=0.1), X, y,
               epochs=1, progress=False)


def test_a_batch_graph_is_freed_before_the_next_batch_runs():
    # fit must not hold the previous batch's output (and so its whole graph, with the
    # activations) while the next batch's forward runs.
    import weakref

    X, y = make_moons(64, noise=0.1, seed=0)
    model = nn.MLP([2, 8, 1], seed=0)
    previous = []
    mse = nn.MSELoss()

    def loss_fn(out, target):
        if previous:  # the last batch's output: gone by now
            assert previous[-1]() is None
        previous.append(weakref.ref(out))
        return mse(out, target)

    nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.1), X, y.astype(float),
           epochs=2, batch_size=16, metric=None)
    assert len(previous) == 1 + 8  # the check before training, then 4 batches an epoch


def test_a_loss_over_the_whole_batch_is_not_tried_on_a_slice():
    # A loss that weighs the samples with a full-batch array worked, and must keep working
    # (a check before training on 8 samples broke it).
    X, y = make_moons(64, noise=0.1, seed=0)
    weights = np.linspace(0.5, 1.5, len(X))
    per_sample = nn.CrossEntropyLoss(reduction="none")
    model = nn.MLP([2, 8, 2], seed=0)
    history = nn.fit(model, lambda out, t: (per_sample(out, t) * weights).mean(),
                     nn.optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2,
                     progress=False, metric=None)
    assert len(history["loss"]) == 2



def test_accuracy_of_signed_labels_uses_threshold_zero_for_every_figure():
    # a hinge model: +-1 labels in training; a validation set that holds only +1s would
    # be read by accuracy alone as 0/1 labels with threshold 0.5
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    model = nn.Linear(1, 1, seed=0)
    model.weight.data[...] = 0.1
    model.bias.data[...] = 0.0
    X_val, y_val = np.array([[1.0], [2.0], [3.0]]), np.ones(3)  # scores 0.1, 0.2, 0.3
    history = nn.fit(model, nn.HingeLoss(), nn.optim.SGD(model, lr=0.0), X, y, epochs=1,
                     progress=False, X_val=X_val, y_val=y_val)
    assert history["val_accuracy"] == [1.0]
    # scores 0, 0.1, 0.2, 0.3 predict -1, +1, +1, +1 against -1, -1, +1, +1
    assert history["accuracy"] == [0.75]


def test_accuracy_of_logits_uses_threshold_zero():
    # BCEWithLogitsLoss is fed logits: a logit above 0 predicts 1; at the 0.5 of a
    # probability, logits 0.1 to 0.4 would all read as 0
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array([0.0, 1.0, 1.0, 1.0])
    model = nn.Linear(1, 1, seed=0)
    model.weight.data[...] = 0.1
    model.bias.data[...] = -0.15  # logits -0.05, 0.05, 0.15, 0.25
    history = nn.fit(model, nn.BCEWithLogitsLoss(), nn.optim.SGD(model, lr=0.0), X,
                     y[:, None], epochs=1, progress=False, X_val=X, y_val=y[:, None])
    assert history["accuracy"] == [1.0]
    assert history["val_accuracy"] == [1.0]
    # several columns of logits (multi-label) are labels of their own: the fraction
    # right (the argmax of a row read [1, 1] and [0, 0] rows as one class)
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    wide = nn.Linear(1, 2, seed=0)
    wide.weight.data[...] = [[0.1], [-0.1]]
    wide.bias.data[...] = [-0.15, 0.25]  # column 0: -0.05 0.05 0.15 0.25 -> 0 1 1 1
    history = nn.fit(wide, nn.BCEWithLogitsLoss(), nn.optim.SGD(wide, lr=0.0), X, Y,
                     epochs=1, progress=False)  # column 1: 0.15 0.05 -0.05 -0.15 -> 1 1 0 0
    assert history["accuracy"] == [5 / 8]  # 3 of 4 in column 0, 2 of 4 in column 1
    history = nn.fit(nn.Sequential(wide, nn.Sigmoid()), nn.BCELoss(),
                     nn.optim.SGD(wide, lr=0.0), X, Y, epochs=1, progress=False)
    assert history["accuracy"] == [5 / 8]  # the same decisions, at probability 0.5
    # probabilities keep the threshold 0.5
    model.bias.data[...] = 0.3  # sigmoid outputs between 0.6 and 0.67
    history = nn.fit(nn.Sequential(model, nn.Sigmoid()), nn.BCELoss(),
                     nn.optim.SGD(model, lr=0.0), X, y[:, None], epochs=1, progress=False)
    assert history["accuracy"] == [0.75]




def test_accuracy_of_soft_binary_targets_reads_each_target_as_its_nearer_label():
    # label smoothing's 0.1 and 0.9 stand for 0 and 1, in one column or several (several
    # columns were refused before training as labels that are not whole numbers)
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    Y = np.array([[0.1, 0.9], [0.9, 0.1], [0.9, 0.9], [0.1, 0.1]])
    wide = nn.Linear(1, 2, seed=0)
    wide.weight.data[...] = [[0.1], [-0.1]]
    wide.bias.data[...] = [-0.15, 0.25]  # decisions 0 1 1 1 and 1 1 0 0, as above
    history = nn.fit(wide, nn.BCEWithLogitsLoss(), nn.optim.SGD(wide, lr=0.0), X, Y,
                     epochs=1, progress=False, X_val=X, y_val=Y)
    assert history["accuracy"] == history["val_accuracy"] == [5 / 8]
    narrow = nn.Linear(1, 1, seed=0)
    narrow.weight.data[...] = 0.1
    narrow.bias.data[...] = -0.15
    history = nn.fit(narrow, nn.BCEWithLogitsLoss(), nn.optim.SGD(narrow, lr=0.0), X,
                     Y[:, :1], epochs=1, progress=False)
    assert history["accuracy"] == [0.75]  # column 0 alone: 3 of 4
def test_a_metric_named_like_the_loss_is_refused():
    def loss(outputs, targets):
        return 0.5

    X, y = make_moons(20, seed=0)
    model = nn.MLP([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match="metric's name 'loss' is taken"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1), X, y, epochs=1,
               progress=False, metric=loss)



def test_fit_refuses_an_optimizer_with_zero_grad_but_no_step():
    # kills: `and` -> `or` in fit's optimizer check
    class HalfOptimizer:
        def zero_grad(self):
            pass

    model = nn.Linear(2, 1, seed=0)
    with pytest.raises(TypeError, match=r"optimizer must have zero_grad\(\) and step\(\)"):
        nn.fit(model, nn.MSELoss(), HalfOptimizer(), np.ones((4, 2)), np.ones((4, 1)),
               epochs=1)


def test_the_epoch_loss_weights_a_short_last_batch_by_its_size():
    # TR01: with lr=0 the weights never change, so the size-weighted mean of the batch
    # losses is exactly the loss on all the data
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    model = nn.Linear(2, 1, seed=0)
    history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model, lr=0.0), X, y, epochs=1,
                     batch_size=2, seed=0, progress=False, metric=None)
    full = nn.MSELoss()(model(X), y).item()
    assert history["loss"][0] == pytest.approx(full, rel=1e-12)


def test_each_epoch_is_shuffled_anew_and_reproducibly():
    # TR03: an int seed gives a different order each epoch, the same ones every run
    def orders(seed):
        seen = []

        def loss_fn(out, target):
            seen.append(np.asarray(target).ravel().tolist())
            return nn.MSELoss()(out, target)

        model = nn.Linear(1, 1, seed=0)
        X = np.arange(8.0).reshape(8, 1)
        nn.fit(model, loss_fn, nn.optim.SGD(model, lr=0.0), X, X.copy(), epochs=3,
               batch_size=8, seed=seed, progress=False, metric=None)
        assert seen[0] == X.ravel().tolist()  # the check before training, on all of X
        return seen[1:]

    first = orders(0)
    assert len(first) == 3 and len({tuple(o) for o in first}) == 3
    assert orders(0) == first


class _Recorder(nn.Module):
    """A Linear that records its training flag at each call."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2, seed=0)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.inner(x)


def test_fit_trains_in_training_mode_and_evaluates_in_eval_mode():
    # TR04 (no eval() for the figures without a graph), TR05 (a model left in eval mode
    # would be trained in eval mode)
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    model = _Recorder().eval()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1), X, y, epochs=1,
           progress=False, X_val=X, y_val=y)
    # the metric check and the validation check before the step, the step, validation
    assert model.modes == [False, False, True, False]
    # left in the mode it had (it was left in train mode, which its caller had not asked)
    assert not model.training
    model.train()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1), X, y, epochs=1,
           progress=False)
    assert model.training


def test_the_training_metric_is_that_of_the_outputs_seen_during_the_epoch():
    # TR07: as Keras reports it, not recomputed after the epoch's steps
    model = nn.Linear(1, 2, seed=0)
    model.weight.data[...] = [[1.0], [-1.0]]
    model.bias.data[...] = 0.0

    class Flip:  # an optimizer whose step flips the predictions
        def zero_grad(self):
            model.zero_grad()

        def step(self):
            model.weight.data *= -1.0

    X, y = np.ones((4, 1)), np.zeros(4, dtype=np.int64)
    history = nn.fit(model, nn.CrossEntropyLoss(), Flip(), X, y, epochs=1, progress=False)
    assert history["accuracy"] == [1.0]  # class 0 before the step (class 1 after it)


def test_a_metric_named_val_loss_is_refused():
    # TR14
    def val_loss(outputs, targets):
        return 0.0

    model = nn.Linear(2, 1, seed=0)
    with pytest.raises(ValueError, match="'val_loss' is taken by the loss"):
        nn.fit(model, nn.MSELoss(), nn.optim.SGD(model, lr=0.1), np.ones((3, 2)), np.ones(3),
               epochs=1, progress=False, metric=val_loss)


def test_val_loss_is_recorded_without_a_metric():
    # TR17: regression (metric=None) still gets the real validation loss
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    X_val, y_val = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    model = nn.Linear(2, 1, seed=0)
    history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model, lr=0.0), X, y, epochs=1,
                     progress=False, metric=None, X_val=X_val, y_val=y_val)
    assert sorted(history) == ["loss", "val_loss"]
    assert history["val_loss"][0] == pytest.approx(nn.MSELoss()(model(X_val), y_val).item(),
                                                   rel=1e-12)
    assert history["val_loss"][0] > 0


@pytest.mark.parametrize("batch_size", [16, None])
def test_a_bad_label_in_a_late_batch_is_found_before_any_step(batch_size):
    # the batches before the one holding the label were trained on, although fit
    # promises that a bad setting changes nothing
    X, y = nn.data.load_iris()
    y = y.copy()
    y[-1] = 3  # 3 classes: 0, 1, 2
    model = nn.MLP([4, 16, 3], seed=0)
    before = model.state_dict()
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    opt_before = opt.state_dict()
    with pytest.raises(ValueError, match="CrossEntropyLoss: label 3 is out of range for 3 "
                                         "classes"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=1, batch_size=batch_size,
               metric=None, seed=0, progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert opt.steps == 0
    assert opt.state_dict().keys() == opt_before.keys()
    assert all(np.array_equal(opt_before[k], v) for k, v in opt.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_a_loss_that_is_not_one_number_is_refused_before_training():
    model = nn.MLP([2, 2], seed=0)
    args = (nn.optim.SGD(model.parameters(), lr=0.1), np.ones((4, 2)), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"loss_fn must return one number .*got shape "
                                         r"\(4,\) for outputs of shape \(4, 2\)"):
        nn.fit(model, nn.CrossEntropyLoss(reduction="none"), *args, epochs=1,
               progress=False)
    with pytest.raises(TypeError, match="loss_fn must return a Tensor, got float"):
        nn.fit(model, lambda out, t: 0.5, *args, epochs=1, progress=False)


@pytest.mark.parametrize("where, bad, message", [
    ("X", (5, 0), "X has nan or inf (first at row 5, column 0: nan)"),
    ("y", (7,), "y has nan or inf (first at row 7: inf)"),
    ("X_val", (2, 1), "X_val has nan or inf (first at row 2, column 1: -inf)"),
    ("y_val", (0,), "y_val has nan or inf (first at row 0: nan)"),
])
def test_nan_or_inf_in_the_data_is_named_before_training(where, bad, message):
    # nan in X was reported as "the metric accuracy failed ... (pass metric=None ...)",
    # a hint that, followed, trained on nan in silence
    X, y = make_moons(20, noise=0.1, seed=1)
    data = {"X": X, "y": y.astype(float), "X_val": X[:10].copy(),
            "y_val": y[:10].astype(float)}
    data[where][bad] = {"X": np.nan, "y": np.inf, "X_val": -np.inf, "y_val": np.nan}[where]
    model = nn.MLP([2, 4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError) as info:
        nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), epochs=1,
               metric=None, progress=False, **data)
    assert str(info.value) == f"fit: {message}; drop or fill those samples before training"
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_nan_in_a_batch_of_images_is_named_by_its_index():
    X = np.zeros((4, 2, 3))
    X[2, 1, 0] = np.nan
    model = nn.Sequential(lambda x: x.reshape(len(x.data), 6), nn.Linear(6, 2, seed=0))
    with pytest.raises(ValueError, match=r"X has nan or inf \(first at index \(2, 1, 0\)"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
               X, np.zeros(4, int), epochs=1, progress=False)


def test_nan_outputs_are_not_blamed_on_the_metric():
    # the metric's failure said "pass metric=None", which would train on nan in silence
    X, y = make_moons(20, noise=0.1, seed=1)
    model = nn.MLP([2, 4, 2], seed=0)
    model.layers[1].bias.data[1] = np.nan
    with pytest.raises(ValueError, match=r"^fit: the model's outputs hold nan or inf \(first "
                                         r"at row 0, column 1: nan\), so the metric "
                                         "accuracy cannot be computed; are the weights "
                                         "finite"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), X, y,
               epochs=1, progress=False)


def test_fit_evaluates_a_large_data_set_a_block_of_rows_at_a_time():
    # the checks before training, and each epoch's figures, ran the model on all of X
    # at once: every layer's activations for the whole data set in memory
    import nn.train as train

    seen = []

    class Recording(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(3, 2, seed=0)

        def forward(self, x):
            seen.append(len(x.data))
            return self.inner(x)

    X = np.random.default_rng(0).normal(size=(train._EVALUATION_ROWS * 2 + 5, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    model = Recording()
    whole = model.inner(X).data
    np.testing.assert_array_equal(train._outputs(model, X), whole)
    assert max(seen) == train._EVALUATION_ROWS and sum(seen) == len(X)
    seen.clear()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), X, y,
           epochs=1, batch_size=len(X), progress=False)
    assert max(seen) == len(X)  # training batches are as asked; evaluation is in blocks
    assert sorted(set(seen)) == [5, train._EVALUATION_ROWS, len(X)]


def test_a_bad_seed_is_named_by_fit_before_any_forward_pass():
    # it lacked the "fit:" of every other argument error, and came after forward passes
    # over all of X
    model = _Recorder()
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"^fit: seed must be a non-negative int, got -3"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1), X, y, epochs=1,
               seed=-3, progress=False)
    assert model.modes == []  # never called


def test_an_object_array_of_numbers_trains_as_floats():
    X, y = make_moons(40, noise=0.1, seed=0)
    histories = []
    for data in (X, X.astype(object)):
        model = nn.MLP([2, 4, 2], seed=0)
        histories.append(nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1),
                                data, y, epochs=3, batch_size=8, seed=0, progress=False))
    assert histories[0] == histories[1]


class _BatchStandardize(nn.Module):
    """Standardizes each batch with the sample deviation, which needs two samples."""

    def forward(self, x):
        return (x - x.mean(axis=0)) / (x.std(axis=0, ddof=1) + 1e-5)


def test_a_model_that_fails_on_the_last_smaller_batch_fails_before_any_step():
    # 21 samples in batches of 10: the last batch has one sample, on which the model
    # raises; fit raised there after two steps, and the history was lost
    model = nn.Sequential(_BatchStandardize(), nn.Linear(3, 2, seed=0))
    opt = nn.optim.SGD(model, lr=0.1, momentum=0.9)
    X = np.random.default_rng(0).standard_normal((21, 3))
    y = (X[:, 0] > 0).astype(int)
    before = model[1].weight.data.copy()
    with pytest.raises(ValueError) as caught:
        nn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=3, batch_size=10,
               progress=False)
    np.testing.assert_array_equal(model[1].weight.data, before)
    assert opt.steps == 0
    if hasattr(caught.value, "add_note"):
        assert "the size of the last batch of each epoch: 21 samples in batches of 10" in (
            "".join(caught.value.__notes__))
    # 20 samples in batches of 10 have no smaller batch: training runs
    nn.fit(model, nn.CrossEntropyLoss(), opt, X[:20], y[:20], epochs=1, batch_size=10,
           progress=False)
    assert opt.steps == 2


def test_fit_evaluates_every_row_when_it_evaluates_in_blocks(monkeypatch):
    # fit evaluates the model on validation data a block of rows at a time; 9 rows in
    # blocks of 4 end with a block of one row, which must be evaluated too
    import nn.train

    monkeypatch.setattr(nn.train, "_EVALUATION_ROWS", 4)
    X, y = make_moons(9, noise=0.1, seed=0)
    model = nn.MLP([2, 4, 2], seed=0)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model, lr=0.1), X, y,
                     epochs=1, progress=False, X_val=X, y_val=y)
    whole = model(X).data  # after the epoch, as the validation figures are
    assert history["val_loss"][-1] == pytest.approx(
        nn.CrossEntropyLoss()(whole, y).item(), rel=1e-12)
    assert history["val_accuracy"][-1] == nn.data.accuracy(whole, y)
