"""Tests for nn.data: shipped datasets, generators and data-preparation helpers."""

import ast
import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import data
from nn.data import accuracy, batches, train_test_split

GENERATORS = [data.make_moons, data.make_circles, data.make_spirals, data.make_quadrants]


# ---------------------------------------------------------------------------
# module hygiene
# ---------------------------------------------------------------------------


def test_module_imports_only_numpy_and_stdlib():
    tree = ast.parse(Path(data.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "nn.data must not import from its own package"
            roots.add(node.module.split(".")[0])
    outside = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    assert outside == {"numpy"}


def test_public_functions_have_structured_docstrings():
    for name in data.__all__:
        obj = getattr(data, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            assert doc.strip(), name
            for section in ("Args:", "Returns:"):
                assert section in doc, f"{name} lacks {section}"


# ---------------------------------------------------------------------------
# shipped datasets
# ---------------------------------------------------------------------------


def test_dataset_files_sit_next_to_the_module():
    folder = Path(data.__file__).parent / "datasets"
    assert (folder / "iris.csv").is_file()
    digits = folder / "digits.csv.gz"
    assert digits.read_bytes()[:2] == b"\x1f\x8b"  # gzip magic number
    with gzip.open(digits, "rt") as f:
        assert f.readline().rstrip("\n").split(",")[-1] == "digit"
    assert "Fisher" in (folder / "README.md").read_text(encoding="utf-8")


def test_load_iris_shapes_dtypes_and_classes():
    X, y = data.load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    # rows are in the original order: 50 of each species in turn
    assert (y == np.repeat([0, 1, 2], 50)).all()
    # known column sums of Fisher's data (cm, one decimal)
    np.testing.assert_allclose(X.sum(axis=0), [876.5, 458.6, 563.7, 179.9])
    assert X.min() == pytest.approx(0.1) and X.max() == pytest.approx(7.9)
    # Fisher's values for samples 35 and 38, which the UCI copy got wrong
    np.testing.assert_allclose(X[34], [4.9, 3.1, 1.5, 0.2])
    np.testing.assert_allclose(X[37], [4.9, 3.6, 1.4, 0.1])


def test_load_iris_names_and_fresh_copies():
    X, y, features, classes = data.load_iris(return_names=True)
    assert features == data.IRIS_FEATURES and len(features) == 4
    assert classes == data.IRIS_CLASSES == ("setosa", "versicolor", "virginica")
    X[:] = -1.0
    y[:] = 7
    X2, y2 = data.load_iris()
    assert X2.min() > 0 and y2.max() == 2
    X2[:] = -1.0
    y2[:] = 7
    X3, y3, _, _ = data.load_iris(return_names=True)
    assert X3.min() > 0 and y3.max() == 2
    D, t = data.load_digits()
    D[:] = -1.0
    t[:] = 99
    assert data.load_digits()[0].min() == 0.0 and data.load_digits()[1].max() == 9


def test_load_digits_shapes_counts_and_range():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    counts = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert np.bincount(y, minlength=10).tolist() == counts
    assert X.min() == 0.0 and X.max() == 16.0
    assert (X == np.round(X)).all()
    assert X.sum() == 561718.0
    # first image of the UCI test set is a zero
    assert y[0] == 0 and X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_load_digits_images_and_names():
    flat, y = data.load_digits()
    images, y2, features, classes = data.load_digits(return_names=True, flatten=False)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), flat)
    np.testing.assert_array_equal(y, y2)
    assert len(features) == 64 and features[9] == "pixel_1_1"
    assert classes == tuple("0123456789")


# ---------------------------------------------------------------------------
# generators
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_shapes_and_dtypes(make):
    X, y = make(37, seed=3)
    assert X.shape == (37, 2) and X.dtype == np.float64
    assert y.shape == (37,) and y.dtype == np.int64
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(50, seed=7)
    X2, y2 = make(50, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(50, seed=8)
    assert not np.allclose(X1, X3)
    # a Generator is accepted; equal states give equal data, and it advances
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    Xa, _ = make(50, seed=rng_a)
    Xb, _ = make(50, seed=rng_b)
    np.testing.assert_array_equal(Xa, Xb)
    Xc, _ = make(50, seed=rng_a)
    assert not np.allclose(Xa, Xc)


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_rows_are_shuffled(make):
    _, y = make(200, seed=0)
    assert np.count_nonzero(np.diff(y)) > 20  # classes are mixed, not in blocks


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles])
def test_two_class_generators_are_balanced(make):
    for n in (10, 11):
        _, y = make(n, seed=0)
        assert set(y.tolist()) == {0, 1}
        assert np.bincount(y).tolist() == [(n + 1) // 2, n // 2]


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(200, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()
    # noise moves points off the curves
    Xn, yn = data.make_moons(200, noise=0.2, seed=1)
    assert np.abs(np.hypot(Xn[yn == 0, 0], Xn[yn == 0, 1]) - 1.0).max() > 0.05


def test_circles_radii():
    X, y = data.make_circles(100, noise=0.0, factor=0.3, seed=2)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_spirals_arms_and_geometry():
    n, k, turns = 301, 4, 0.5
    X, y = data.make_spirals(n, k=k, noise=0.0, turns=turns, seed=4)
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() <= 1.0
    # the angle of each point is the one its arm prescribes for its radius
    expected = 2 * np.pi * (y / k + turns * r)
    diff = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    assert np.abs(diff[r > 1e-6]).max() < 1e-8


def test_quadrant_labels_match_sign_of_product():
    X, y = data.make_quadrants(500, seed=6)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    assert np.abs(X).max() <= 1.0
    # all four quadrants are populated and both classes appear
    quadrant = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0)
    assert set(quadrant.tolist()) == {0, 1, 2, 3}
    assert 150 < y.sum() < 350


def test_quadrant_margin_empties_the_bands():
    X, y = data.make_quadrants(400, margin=0.25, seed=6)
    assert np.abs(X).min() >= 0.25
    np.testing.assert_array_equal(y, X[:, 0] * X[:, 1] > 0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: data.make_moons(0), "n"),
        (lambda: data.make_moons(-5), "n"),
        (lambda: data.make_moons(10, noise=-0.1), "noise"),
        (lambda: data.make_moons(10, noise=float("nan")), "noise"),
        (lambda: data.make_circles(10, factor=1.0), "factor"),
        (lambda: data.make_spirals(10, k=1), "k"),
        (lambda: data.make_spirals(10, turns=0), "turns"),
        (lambda: data.make_quadrants(10, margin=1.0), "margin"),
        (lambda: data.make_moons(10, seed=-1), "seed"),
    ],
)
def test_generator_value_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: data.make_moons(10.0), "n"),
        (lambda: data.make_moons(True), "n"),
        (lambda: data.make_circles(10, noise="a"), "noise"),
        (lambda: data.make_quadrants(10, seed="x"), "seed"),
        (lambda: data.make_spirals(10, seed=1.5), "seed"),
    ],
)
def test_generator_type_errors_name_the_argument(call, name):
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        call()


# ---------------------------------------------------------------------------
# train_test_split
# ---------------------------------------------------------------------------


def test_split_is_a_partition_with_pairs_kept():
    n = 150
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n) % 3
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_te) == 38 and len(X_tr) == 112
    rows = np.concatenate([X_tr[:, 0], X_te[:, 0]]) // 2
    assert sorted(rows.astype(int).tolist()) == list(range(n))
    # every row still carries its own label
    np.testing.assert_array_equal(y_tr, (X_tr[:, 0] // 2).astype(int) % 3)
    np.testing.assert_array_equal(y_te, (X_te[:, 0] // 2).astype(int) % 3)
    assert X_tr.dtype == X.dtype and y_te.dtype == y.dtype


def test_split_stratifies_iris():
    X, y = data.load_iris()
    _, _, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, seed=1)
    assert np.bincount(y_te).tolist() == [10, 10, 10]
    assert np.bincount(y_tr).tolist() == [40, 40, 40]


def test_split_stratifies_imbalanced_classes():
    y = np.array([0] * 90 + [1] * 10 + [2] * 20)
    X = np.zeros((len(y), 3))
    outcomes = set()
    for seed in range(20):
        _, _, y_tr, y_te = data.train_test_split(X, y, test_size=0.25, seed=seed)
        # 30 test samples: ideal shares 22.5, 2.5 and 5; the half goes to one of the tied classes
        outcomes.add(tuple(np.bincount(y_te).tolist()))
        np.testing.assert_array_equal(np.bincount(y_tr) + np.bincount(y_te), [90, 10, 20])
    assert outcomes == {(23, 2, 5), (22, 3, 5)}
    # exact proportions when they divide evenly
    _, _, _, y_te = data.train_test_split(X, y, test_size=0.5, seed=0)
    assert np.bincount(y_te).tolist() == [45, 5, 10]


def test_split_without_stratify_can_unbalance_classes():
    y = np.array([0] * 50 + [1] * 50)
    X = np.arange(100)
    counts = set()
    for seed in range(20):
        _, _, _, y_te = data.train_test_split(X, y, test_size=0.2, stratify=False, seed=seed)
        assert len(y_te) == 20
        counts.add(int(y_te.sum()))
    assert len(counts) > 1  # random split, not balanced by construction


def test_split_determinism_and_seed_dependence():
    X, y = data.load_iris()
    a = data.train_test_split(X, y, seed=11)
    b = data.train_test_split(X, y, seed=11)
    c = data.train_test_split(X, y, seed=12)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_split_size_is_not_fooled_by_float_rounding():
    assert 0.07 * 100 > 7  # 7.000000000000001 in binary floating point
    y = np.arange(100) % 2
    _, X_te, _, _ = data.train_test_split(np.arange(100), y, test_size=0.07, seed=0)
    assert len(X_te) == 7


def test_split_stratifies_one_hot_labels():
    y = np.repeat([0, 1], [30, 10])
    Y = data.one_hot(y)
    _, _, _, Y_te = data.train_test_split(np.zeros((40, 1)), Y, test_size=0.5, seed=3)
    assert Y_te.sum(axis=0).tolist() == [15.0, 5.0]


@pytest.mark.parametrize("bad", [0, 0.0, 1, 1.0, -0.2, 1.5])
def test_split_rejects_test_size_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"test_size.*" + str(bad).replace(".", r"\.")):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=bad)


def test_split_errors():
    with pytest.raises(ValueError, match=r"len\(X\)=10.*len\(y\)=9"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(TypeError, match="test_size"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size="0.2")
    with pytest.raises(ValueError, match="test_size"):  # nothing left to train on
        data.train_test_split(np.zeros((2, 2)), np.zeros(2), test_size=0.9)


# ---------------------------------------------------------------------------
# Standardizer
# ---------------------------------------------------------------------------


def test_standardizer_fitted_on_train_applied_to_test():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[3.0, -7.0, 100.0], scale=[0.5, 4.0, 20.0], size=(80, 3))
    X_tr, X_te = X[:60], X[60:]
    scaler = data.Standardizer().fit(X_tr)
    Z_tr = scaler.transform(X_tr)
    np.testing.assert_allclose(Z_tr.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_tr.std(axis=0), 1.0)
    # the test set uses the training statistics, not its own
    expected = (X_te - X_tr.mean(axis=0)) / X_tr.std(axis=0)
    np.testing.assert_allclose(scaler.transform(X_te), expected)
    assert not np.allclose(scaler.transform(X_te).mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X_te)), X_te)
    np.testing.assert_allclose(data.Standardizer().fit_transform(X_tr), Z_tr)


def test_standardizer_constant_feature_and_dtypes():
    X = np.array([[1, 5], [3, 5], [5, 5]])  # integer input, constant column
    Z = data.Standardizer().fit_transform(X)
    assert Z.dtype == np.float64
    np.testing.assert_array_equal(Z[:, 1], 0.0)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0)
    Z32 = data.Standardizer().fit_transform(X.astype(np.float32))
    assert Z32.dtype == np.float32


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="fit"):
        data.Standardizer().transform(np.zeros((2, 2)))
    scaler = data.Standardizer().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        scaler.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        data.Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="at least one sample"):
        data.Standardizer().fit(np.zeros((0, 3)))


# ---------------------------------------------------------------------------
# one_hot
# ---------------------------------------------------------------------------


def test_one_hot_round_trips_with_argmax():
    y = np.random.default_rng(1).integers(0, 7, size=200)
    Y = data.one_hot(y)
    assert Y.dtype == np.float64 and Y.shape == (200, int(y.max()) + 1)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)


def test_one_hot_num_classes_and_values():
    Y = data.one_hot([2, 0], num_classes=4)
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(data.one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert data.one_hot(np.array([[0, 1], [1, 1]])).shape == (2, 2, 2)


@pytest.mark.parametrize(
    "labels, num_classes, shown",
    [
        ([0, 3, 1], 3, "3"),
        ([0, -1], None, "-1"),
        ([0.0, 1.5], None, "1.5"),
        (["a", "b"], None, "'a'"),
        ([0.0, float("nan")], None, "nan"),
    ],
)
def test_one_hot_rejects_bad_labels_naming_them(labels, num_classes, shown):
    with pytest.raises(ValueError, match=rf"label {shown}"):
        data.one_hot(labels, num_classes=num_classes)


def test_one_hot_without_num_classes_blames_a_negative_label_not_a_class_count():
    # the count comes from max(y), which the user never gave: it is not in the message
    with pytest.raises(ValueError, match="^one_hot: label -1 is negative") as caught:
        data.one_hot([-1])
    assert "num_classes" not in str(caught.value)


def test_one_hot_rejects_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        data.one_hot([0], num_classes=0)
    with pytest.raises(TypeError, match="num_classes"):
        data.one_hot([0], num_classes=2.0)


# ---------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------


def test_batches_cover_every_sample_once_per_epoch():
    n = 150
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 3))
    y = np.arange(n)
    out = list(data.batches(X, y, batch_size=32, seed=0))
    assert [len(xb) for xb, _ in out] == [32, 32, 32, 32, 22]
    seen = np.concatenate([yb for _, yb in out])
    assert sorted(seen.tolist()) == list(range(n))
    assert not np.array_equal(seen, np.arange(n))  # shuffled
    for xb, yb in out:
        np.testing.assert_array_equal(xb[:, 0], yb)  # rows stay paired


def test_batches_order_follows_the_seed():
    X, y = np.arange(40), np.arange(40)

    def order(**kw):
        return np.concatenate([yb for _, yb in data.batches(X, y, 8, **kw)])

    np.testing.assert_array_equal(order(seed=3), order(seed=3))
    assert not np.array_equal(order(seed=3), order(seed=4))
    np.testing.assert_array_equal(order(shuffle=False), np.arange(40))
    rng = np.random.default_rng(0)
    epoch1, epoch2 = order(seed=rng), order(seed=rng)
    assert not np.array_equal(epoch1, epoch2)
    assert sorted(epoch2.tolist()) == list(range(40))


def test_batches_drop_last_and_big_batch():
    X, y = np.arange(10), np.arange(10)
    assert [len(b) for b, _ in data.batches(X, y, 4, seed=0, drop_last=True)] == [4, 4]
    assert [len(b) for b, _ in data.batches(X, y, 4, seed=0)] == [4, 4, 2]
    assert [len(b) for b, _ in data.batches(X, y, 64, shuffle=False)] == [10]


def test_batches_check_arguments_when_called():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match=r"batch_size.*0"):
        data.batches(X, y, 0)  # no iteration needed
    with pytest.raises(ValueError, match="batch_size"):
        data.batches(X, y, -3)
    with pytest.raises(TypeError, match="batch_size"):
        data.batches(X, y, 2.5)
    with pytest.raises(ValueError, match=r"len\(X\)=10.*len\(y\)=8"):
        data.batches(X, y[:8], 2)
    with pytest.raises(TypeError, match="seed"):
        data.batches(X, y, 2, seed="abc")


# ---------------------------------------------------------------------------
# accuracy
# ---------------------------------------------------------------------------


def test_accuracy_with_class_indices():
    assert data.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    assert data.accuracy(np.array([[1], [0]]), [1, 1]) == 0.5
    assert isinstance(data.accuracy([1], [1]), float)


def test_accuracy_with_multiclass_scores_uses_argmax():
    scores = np.array([[2.0, 1.0, 0.0], [0.1, 0.3, 0.2], [-1.0, -2.0, 5.0], [0.0, 9.0, 1.0]])
    assert data.accuracy(scores, [0, 1, 2, 2]) == 0.75
    one_hot_labels = data.one_hot([0, 1, 2, 2])
    assert data.accuracy(scores, one_hot_labels) == 0.75


def test_accuracy_with_binary_scores():
    probs = np.array([0.9, 0.2, 0.6, 0.4, 0.5])
    labels = np.array([1, 0, 0, 0, 1])
    assert data.accuracy(probs, labels) == 0.6  # 0.5 is not > 0.5, so predicts 0
    assert data.accuracy(probs[:, None], labels) == 0.6
    logits = np.array([2.0, -1.0, 0.3, -0.2, 0.1])
    assert data.accuracy(logits, labels, threshold=0.0) == 0.8
    # -1/+1 labels (hinge loss): sign of the score
    margins = np.array([0.7, -0.1, 0.2, -3.0])
    assert data.accuracy(margins, [1, -1, -1, -1]) == 0.75
    assert data.accuracy(margins, [1, -1, -1, -1], threshold=0.5) == 1.0


def test_accuracy_errors():
    with pytest.raises(ValueError, match="3 predictions and 2 labels"):
        data.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="zero samples"):
        data.accuracy([], [])
    with pytest.raises(ValueError, match="classes"):
        data.accuracy(np.array([0.0, 1.0, 2.0]), [0, 1, 2])
    with pytest.raises(ValueError, match="NaN"):
        data.accuracy(np.array([[np.nan, 1.0]]), [0])
    with pytest.raises(ValueError, match="label 0.5"):
        data.accuracy([0, 1], [0, 0.5])


@pytest.mark.parametrize("predictions, labels, threshold, message", [
    # each was accepted: a label no column can predict counted as a wrong guess, and
    # the threshold was ignored
    (np.array([[0.9, 0.1], [0.2, 0.8]]), [0, 7], None,
     r"accuracy: label 7 is out of range for predictions of 2 columns \(classes\): "
     r"labels must be in 0..1"),
    (np.array([[0.9, 0.1], [0.2, 0.8]]), [0, 2], None,  # k itself: labels numbered 1..k
     "accuracy: label 2 is out of range for predictions of 2 columns"),
    (np.array([[0.9, 0.1], [0.2, 0.8]]), [-1, 1], None,
     "accuracy: label -1 is out of range for predictions of 2 columns"),
    (np.array([[0.9, 0.1], [0.2, 0.8]]), np.eye(3)[[0, 2]], None,
     r"accuracy: labels are one-hot rows of 3 classes but predictions have 2 columns"),
    (np.array([[0.9, 0.1], [0.2, 0.8]]), [0, 1], 0.95,
     r"accuracy: threshold=0.95 applies to binary scores of shape \(n,\) or \(n, 1\); "
     r"predictions of shape \(2, 2\) are read by the argmax"),
    (np.array([0, 1]), [0, 1], 0.5,
     r"accuracy: threshold=0.5 applies to float scores, but the predictions are class "
     r"indices \(dtype int64\)"),
], ids=["label 7", "label k", "label -1", "one-hot width", "threshold of (n, k)",
        "threshold of indices"])
def test_accuracy_refuses_labels_and_thresholds_that_do_not_fit_the_predictions(
        predictions, labels, threshold, message):
    with pytest.raises(ValueError, match=message):
        data.accuracy(predictions, labels, threshold=threshold)


@pytest.mark.parametrize(("call", "message"), [
    (lambda X, y: data.batches(X, y, 0), "^batches: batch_size must be >= 1"),
    (lambda X, y: data.train_test_split(X, y, test_size=3), "^train_test_split: test_size"),
    (lambda X, y: data.make_moons(10, seed=-1), "^make_moons: seed must be"),
    (lambda X, y: data.Standardizer().fit_transform(np.array([[np.nan]])),
     "^Standardizer.fit: X contains NaN"),  # named once, by the call that checked it
])
def test_errors_of_the_shared_checks_name_the_public_function(call, message):
    X, y = data.make_moons(20, seed=0)
    with pytest.raises(ValueError, match=message):
        call(X, y)



@pytest.mark.parametrize("value", [0.1, 0.7, 37.2, 1000.1, -3.3, 0.5, 0.0])
def test_a_constant_column_maps_to_zero_even_when_its_std_is_rounding_error(value):
    # np.std of a column of 0.1s is about 1e-17, not 0
    X = np.column_stack([np.full(7, value), np.arange(7.0)])
    scaler = data.Standardizer().fit(X)
    assert scaler.std[0] == 1.0
    np.testing.assert_allclose(scaler.transform(X)[:, 0], 0.0, atol=1e-12)
    assert abs(scaler.transform([[value + 0.1, 0.0]])[0, 0] - 0.1) < 1e-9
    # a real spread, however small against the values, is kept
    spread = data.Standardizer().fit(np.array([[1e6], [1e6 + 1e-3]]))
    assert spread.std[0] == pytest.approx(5e-4, rel=1e-6)


def test_stratified_test_part_is_shuffled_too():
    # DA16: the test part is not left grouped by class
    X, y = np.arange(100), np.repeat([0, 1], 50)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(y_test) == 25 and abs(int((y_test == 0).sum()) - int((y_test == 1).sum())) == 1
    assert np.any(np.diff(y_test) < 0)  # a 1 before a 0 somewhere
    assert np.array_equal(y_test, y[X_test])


def test_batches_keep_a_last_batch_of_one_sample():
    # DA25
    X, y = np.arange(5), np.arange(5)
    parts = list(batches(X, y, 2, shuffle=False))
    assert [len(xb) for xb, _ in parts] == [2, 2, 1]
    assert [yb.tolist() for _, yb in parts] == [[0, 1], [2, 3], [4]]
    assert [len(xb) for xb, _ in batches(X, y, 1, shuffle=False)] == [1] * 5


def test_float_scores_against_only_positive_labels_are_probabilities():
    # DA29: labels that are all 1 are 0/1 labels (threshold 0.5), not -1/+1 ones
    assert accuracy(np.array([0.3, 0.7]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([-0.3, 0.7]), np.array([1, -1])) == 0.0


@pytest.mark.parametrize("call, name", [
    (lambda: list(batches(np.arange(6), np.arange(6), 3, shuffle="no", seed=0)), "shuffle"),
    (lambda: list(batches(np.arange(6), np.arange(6), 4, drop_last=1)), "drop_last"),
    (lambda: data.load_iris(return_names="no"), "return_names"),
    (lambda: data.load_digits(flatten=0), "flatten"),
    (lambda: train_test_split(np.arange(8), np.arange(8) % 2, stratify="yes"), "stratify"),
])
def test_a_flag_that_is_not_a_bool_is_refused(call, name):
    # shuffle="no" shuffled and return_names="no" returned the names: any truthy object
    # was taken for True, while counts refused bools
    with pytest.raises(TypeError, match=rf"{name} must be True or False, got {name}="):
        call()
    assert len(data.load_iris(return_names=np.True_)) == 4


def test_one_hot_of_no_labels_has_no_columns():
    # as documented: k is the largest label + 1, and no label gives k = 0 (not 1)
    assert data.one_hot(np.array([], dtype=np.int64)).shape == (0, 0)
    assert data.one_hot(np.array([], dtype=np.int64), num_classes=3).shape == (0, 3)
