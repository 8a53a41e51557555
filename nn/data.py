"""Small datasets and data utilities for training networks on NumPy arrays.

Everything here works on plain ``numpy.ndarray`` objects and needs only NumPy
and the standard library:

* loaders for two classic datasets shipped with the package:
  :func:`load_iris` (Fisher's iris, 150 x 4, 3 classes) and
  :func:`load_digits` (UCI 8x8 handwritten digits, 1,797 x 64, 10 classes);
* seedable 2-D toy problems: :func:`make_moons`, :func:`make_circles`,
  :func:`make_spirals` and :func:`make_quadrants`;
* preparation helpers: :func:`train_test_split` (stratified by default),
  :class:`Standardizer`, :func:`one_hot` and :func:`batches`;
* :func:`accuracy` for evaluating predictions, scores or probabilities.

Randomness: every function that draws random numbers takes ``seed``, which may
be ``None`` (fresh, unpredictable entropy), a non-negative ``int`` (the same
int always gives the same result) or a ``numpy.random.Generator`` (which is
used and advanced, so passing one generator to successive calls gives
different but reproducible results).

Labels are ``int64`` class indices ``0 .. k-1`` and features are ``float64``
unless stated otherwise.
"""

from __future__ import annotations

import csv
import functools
import gzip
import math
import numbers
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = [
    "IRIS_FEATURES",
    "IRIS_CLASSES",
    "DIGITS_FEATURES",
    "DIGITS_CLASSES",
    "load_iris",
    "load_digits",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_quadrants",
    "train_test_split",
    "Standardizer",
    "one_hot",
    "batches",
    "accuracy",
]

_DATA_DIR = Path(__file__).resolve().parent / "datasets"

IRIS_FEATURES: tuple[str, ...] = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)
"""Names of the four iris features, in column order."""

IRIS_CLASSES: tuple[str, ...] = ("setosa", "versicolor", "virginica")
"""Names of the three iris species; label ``i`` is ``IRIS_CLASSES[i]``."""

DIGITS_FEATURES: tuple[str, ...] = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
"""Names of the 64 digit pixels in row-major order (``pixel_<row>_<col>``)."""

DIGITS_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
"""Names of the ten digit classes; label ``i`` is the digit ``i``."""

_IRIS_FILE = "iris.csv"
_IRIS_ROWS = 150
_DIGITS_FILE = "digits.csv.gz"
_DIGITS_ROWS = 1797


# ---------------------------------------------------------------------------
# argument checking
# ---------------------------------------------------------------------------


def _named(function):
    """Prefix the errors of a public function's checks with its name (`batches:
    batch_size must be >= 1, ...`), unless they name it already. The checks are shared
    helpers that do not know which function called them."""
    name = function.__qualname__

    @functools.wraps(function)
    def named(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (TypeError, ValueError) as error:
            if (type(error) not in (TypeError, ValueError) or str(error).startswith(name)
                    or getattr(error, "named", False)):  # (by an inner public function)
                raise
            named_error = type(error)(f"{name}: {error}")
            named_error.named = True
            raise named_error from None

    return named


# set by nn.manual_seed (this module imports nothing of its package, so it is told)
_seeded: np.random.Generator | None = None


def _rng(seed: object) -> np.random.Generator:
    """Turn a ``seed`` argument into a ``numpy.random.Generator``."""
    if seed is None:  # fresh entropy, or the generator nn.manual_seed set
        return _seeded if _seeded is not None else np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got seed={seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        "seed must be None, a non-negative int or a numpy.random.Generator, "
        f"got seed={seed!r} of type {type(seed).__name__}"
    )


def _check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int, checking it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int, got {name}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value}")
    return int(value)


def _check_flag(value: object, name: str) -> bool:
    """Return ``value`` as a bool, checking it is one: a truthy str such as "no" would
    otherwise do the opposite of what it says."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {name}={value!r} of type "
                        f"{type(value).__name__}")
    return bool(value)


def _check_real(value: object, name: str) -> float:
    """Return ``value`` as a finite float, checking it is a real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {name}={value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value}")
    return value


def _check_noise(noise: object) -> float:
    noise = _check_real(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got noise={noise}")
    return noise


def _check_xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Convert ``X`` and ``y`` to arrays with the same (non-zero) first dimension."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0:
        raise ValueError(
            f"X must have at least one dimension (one row per sample), got a scalar {X!r}"
        )
    if y.ndim == 0:
        raise ValueError(
            f"y must have at least one dimension (one label per sample), got a scalar {y!r}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples, got len(X)={len(X)} and len(y)={len(y)}"
        )
    return X, y


def _finish(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle generated samples and give them the documented dtypes."""
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order].astype(np.int64)


# ---------------------------------------------------------------------------
# shipped datasets
# ---------------------------------------------------------------------------


@functools.cache
def _read_iris() -> tuple[np.ndarray, np.ndarray]:
    path = _DATA_DIR / _IRIS_FILE
    with open(path, newline="", encoding="ascii") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if len(header) != 5 or len(body) != _IRIS_ROWS:
        raise RuntimeError(
            f"{path} is damaged: expected a header and {_IRIS_ROWS} rows of 5 fields"
        )
    index = {name: i for i, name in enumerate(IRIS_CLASSES)}
    X = np.array([[float(v) for v in row[:4]] for row in body], dtype=np.float64)
    y = np.array([index[row[4]] for row in body], dtype=np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@functools.cache
def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    path = _DATA_DIR / _DIGITS_FILE
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.int64)
    if table.shape != (_DIGITS_ROWS, 65):
        raise RuntimeError(
            f"{path} is damaged: expected shape ({_DIGITS_ROWS}, 65), got {table.shape}"
        )
    X = table[:, :64].astype(np.float64)
    y = np.ascontiguousarray(table[:, 64])
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@_named
def load_iris(return_names: bool = False):
    """Load Fisher's iris dataset (150 flowers, 4 measurements, 3 species).

    The data are the 150 samples of Fisher (1936), as distributed by the UCI
    Machine Learning Repository (with the two values the UCI copy got wrong
    corrected to Fisher's paper); see ``nn/datasets/README.md``. Rows are in
    the original order: 50 setosa, then 50 versicolor, then 50 virginica.

    Args:
        return_names: also return the feature and class names.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(150, 4)`` in centimetres (columns
        as in :data:`IRIS_FEATURES`), ``y`` int64 of shape ``(150,)`` with
        values 0, 1, 2 (names in :data:`IRIS_CLASSES`). With
        ``return_names=True``, ``(X, y, feature_names, class_names)`` where the
        names are tuples of str. The arrays are fresh copies, safe to modify.

    Raises:
        TypeError: a flag that is not True or False.
        RuntimeError: if the shipped data file is damaged.
    """
    return_names = _check_flag(return_names, "return_names")
    X, y = _read_iris()
    if return_names:
        return X.copy(), y.copy(), IRIS_FEATURES, IRIS_CLASSES
    return X.copy(), y.copy()


@_named
def load_digits(return_names: bool = False, flatten: bool = True):
    """Load the UCI 8x8 handwritten digits (1,797 images, 10 classes).

    This is the test set of the UCI "Optical Recognition of Handwritten
    Digits" data (Alpaydin & Kaynak, 1998): 32x32 bitmaps divided into 4x4
    blocks, each pixel counting the ink in its block, so values are integers
    0..16 (stored as float64; divide by 16 to scale them into [0, 1]).

    Args:
        return_names: also return the feature and class names.
        flatten: if True, ``X`` has shape ``(1797, 64)`` (pixels in row-major
            order); if False, ``(1797, 8, 8)`` images.

    Returns:
        ``(X, y)``: ``X`` float64 as described under ``flatten``, ``y`` int64
        of shape ``(1797,)`` holding the digit 0..9. With
        ``return_names=True``, ``(X, y, feature_names, class_names)`` where
        the names are :data:`DIGITS_FEATURES` and :data:`DIGITS_CLASSES`.
        The arrays are fresh copies, safe to modify.

    Raises:
        TypeError: a flag that is not True or False.
        RuntimeError: if the shipped data file is damaged.
    """
    return_names = _check_flag(return_names, "return_names")
    flatten = _check_flag(flatten, "flatten")
    X, y = _read_digits()
    X = X.copy() if flatten else X.reshape(-1, 8, 8).copy()
    if return_names:
        return X, y.copy(), DIGITS_FEATURES, DIGITS_CLASSES
    return X, y.copy()


# ---------------------------------------------------------------------------
# generated datasets
# ---------------------------------------------------------------------------


@_named
def make_moons(n: int = 100, noise: float = 0.0, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Generate two interleaving half circles ("two moons") in the plane.

    Class 0 lies on the upper half of the unit circle centred at (0, 0);
    class 1 on the lower half of the unit circle centred at (1, 0.5). Angles
    are drawn uniformly, then Gaussian noise is added. Class 0 gets
    ``ceil(n / 2)`` points and class 1 ``floor(n / 2)``; rows are shuffled.

    Args:
        n: number of points, >= 1.
        noise: standard deviation of the Gaussian noise added to each
            coordinate, >= 0.
        seed: None, a non-negative int or a ``numpy.random.Generator``.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(n, 2)``, ``y`` int64 of shape
        ``(n,)`` with values 0 and 1.

    Raises:
        TypeError: if ``n`` is not an int, ``noise`` not a real number or
            ``seed`` of an unsupported type.
        ValueError: if ``n < 1``, ``noise < 0`` or ``seed`` is negative.
    """
    n = _check_int(n, "n", 1)
    noise = _check_noise(noise)
    rng = _rng(seed)
    n0 = (n + 1) // 2
    n1 = n - n0
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _finish(X, y, rng)


@_named
def make_circles(
    n: int = 100, noise: float = 0.0, factor: float = 0.5, seed=None
) -> tuple[np.ndarray, np.ndarray]:
    """Generate two concentric circles in the plane.

    Class 0 lies on the circle of radius 1, class 1 on the circle of radius
    ``factor``; both centred at the origin, angles drawn uniformly, then
    Gaussian noise is added. Class 0 gets ``ceil(n / 2)`` points and class 1
    ``floor(n / 2)``; rows are shuffled.

    Args:
        n: number of points, >= 1.
        noise: standard deviation of the Gaussian noise added to each
            coordinate, >= 0.
        factor: radius of the inner circle, in (0, 1).
        seed: None, a non-negative int or a ``numpy.random.Generator``.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(n, 2)``, ``y`` int64 of shape
        ``(n,)`` with values 0 (outer) and 1 (inner).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``noise < 0``, ``factor`` is outside
            (0, 1) or ``seed`` is negative.
    """
    n = _check_int(n, "n", 1)
    noise = _check_noise(noise)
    factor = _check_real(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got factor={factor}")
    rng = _rng(seed)
    n0 = (n + 1) // 2
    n1 = n - n0
    angles = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = np.concatenate([np.ones(n0), np.full(n1, factor)])
    X = radius[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    X = X + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _finish(X, y, rng)


@_named
def make_spirals(
    n: int = 300, k: int = 3, noise: float = 0.0, turns: float = 0.75, seed=None
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``k`` interleaved spiral arms in the plane, one class per arm.

    Arm ``j`` is the curve ``r * (cos a, sin a)`` with ``a = 2*pi*j/k +
    2*pi*turns*r`` for a radius ``r`` drawn uniformly from [0, 1]; Gaussian
    noise is then added. The ``n`` points are split between the arms as evenly
    as possible (the first ``n % k`` arms get one more); rows are shuffled.

    Args:
        n: number of points, >= 1.
        k: number of arms, which is the number of classes, >= 2.
        noise: standard deviation of the Gaussian noise added to each
            coordinate, >= 0.
        turns: how many full turns each arm makes from the centre to radius 1,
            > 0.
        seed: None, a non-negative int or a ``numpy.random.Generator``.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(n, 2)``, ``y`` int64 of shape
        ``(n,)`` with values ``0 .. k-1``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``k < 2``, ``noise < 0``, ``turns <= 0`` or
            ``seed`` is negative.
    """
    n = _check_int(n, "n", 1)
    k = _check_int(k, "k", 2)
    noise = _check_noise(noise)
    turns = _check_real(turns, "turns")
    if turns <= 0:
        raise ValueError(f"turns must be > 0, got turns={turns}")
    rng = _rng(seed)
    y = np.repeat(np.arange(k), [n // k + (j < n % k) for j in range(k)])
    r = rng.uniform(0.0, 1.0, n)
    angle = 2.0 * np.pi * (y / k + turns * r)
    X = r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X = X + noise * rng.standard_normal((n, 2))
    return _finish(X, y, rng)


@_named
def make_quadrants(n: int = 200, margin: float = 0.0, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Generate the four-quadrant ("XOR") problem: is ``x * y > 0``?

    Points are uniform on the square [-1, 1]^2, optionally leaving out a band
    of half-width ``margin`` around both axes (each coordinate is then
    uniform on [-1, -margin] U [margin, 1]). A point is class 1 when its
    coordinates have the same sign (first and third quadrants, ``x * y > 0``)
    and class 0 otherwise. No single straight line separates the classes.

    Args:
        n: number of points, >= 1.
        margin: half-width of the empty band around each axis, in [0, 1).
        seed: None, a non-negative int or a ``numpy.random.Generator``.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(n, 2)``, ``y`` int64 of shape
        ``(n,)`` equal to ``(X[:, 0] * X[:, 1] > 0)``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``margin`` is outside [0, 1) or ``seed`` is
            negative.
    """
    n = _check_int(n, "n", 1)
    margin = _check_real(margin, "margin")
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must be in [0, 1), got margin={margin}")
    rng = _rng(seed)
    sign = np.where(rng.random((n, 2)) < 0.5, -1.0, 1.0)
    X = sign * rng.uniform(margin, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return np.ascontiguousarray(X, dtype=np.float64), y


# ---------------------------------------------------------------------------
# preparing data
# ---------------------------------------------------------------------------


@_named
def train_test_split(X, y, test_size: float = 0.25, stratify: bool = True, seed=None):
    """Split samples at random into a training set and a test set.

    The test set gets ``ceil(test_size * n)`` of the ``n`` samples. With
    ``stratify=True`` each class (each distinct value of ``y``, or distinct
    row when ``y`` is 2-D such as one-hot labels) is split in the same
    proportion: class ``c`` with ``n_c`` samples gets ``n_c * n_test / n``
    test samples, rounded so the total is exact (largest remainders first,
    ties broken at random). Both parts are shuffled. So a class of a few
    samples may land in one part only, and a class of one sample always does
    (scikit-learn refuses those; here they split by the rule, so continuous
    targets, each value its own class, split too).

    Args:
        X: array-like of samples, first axis indexing samples.
        y: array-like of labels (or targets), same length as ``X``.
        test_size: fraction of the samples that go to the test set, in (0, 1).
        stratify: keep each class's proportion the same in both parts.
        seed: None, a non-negative int or a ``numpy.random.Generator``.

    Returns:
        ``(X_train, X_test, y_train, y_test)``: new arrays, dtypes kept.

    Raises:
        TypeError: if ``test_size`` is not a real number, ``stratify`` not a
            bool, or ``seed`` has an unsupported type.
        ValueError: if ``X`` and ``y`` differ in length, ``test_size`` is
            outside (0, 1), or the split would leave either part empty.
    """
    X, y = _check_xy(X, y)
    test_size = _check_real(test_size, "test_size")
    stratify = _check_flag(stratify, "stratify")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got test_size={test_size}")
    rng = _rng(seed)
    n = len(y)
    # round() first so 0.3 * 10 = 3.0000000000000004 counts as 3, not 4
    n_test = math.ceil(round(test_size * n, 9))
    if n_test < 1 or n - n_test < 1:
        raise ValueError(
            f"test_size={test_size} with {n} samples leaves "
            f"{n - n_test} for training and {n_test} for testing; both must be >= 1"
        )
    if stratify:
        keys = y.reshape(n, -1) if y.ndim > 1 else y
        _, inverse = np.unique(keys, axis=0 if y.ndim > 1 else None, return_inverse=True)
        inverse = inverse.reshape(-1)
        counts = np.bincount(inverse)
        # exact integer largest-remainder apportionment of n_test over classes
        share, remainder = np.divmod(counts * n_test, n)
        missing = n_test - int(share.sum())
        order = np.lexsort((rng.random(len(counts)), -remainder))
        share[order[:missing]] += 1
        test_parts, train_parts = [], []
        for c, t in enumerate(share):
            members = rng.permutation(np.flatnonzero(inverse == c))
            test_parts.append(members[:t])
            train_parts.append(members[t:])
        test_idx = rng.permutation(np.concatenate(test_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    else:
        perm = rng.permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


class Standardizer:
    """Rescale features to mean 0 and standard deviation 1, fitted on training data.

    Fit it on the training set only, then apply the same shift and scale to
    the test set, so no information from the test set leaks into training::

        scaler = Standardizer().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    Statistics are taken over the first axis (one per feature). A feature that
    is constant in the training data (standard deviation 0, or only rounding
    error, such as the always-blank corner pixels of the digits or a column of
    0.1s) gets scale 1, so it maps to 0 instead of dividing by (nearly) zero.

    Attributes:
        mean: per-feature mean (float64 array), None before :meth:`fit`.
        std: per-feature population standard deviation with zeros replaced by
            1 (float64 array), None before :meth:`fit`.
    """

    def __init__(self) -> None:
        """Create an unfitted standardizer."""
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    @staticmethod
    def _as_float(X, name: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 0 or X.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must be a numeric array with one row per sample, "
                f"got shape {X.shape} and dtype {X.dtype}"
            )
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return X

    @_named
    def fit(self, X) -> Standardizer:
        """Compute the per-feature mean and standard deviation of ``X``.

        Args:
            X: numeric array-like of shape ``(n, ...)`` with ``n >= 1``.

        Returns:
            self, so that ``Standardizer().fit(X)`` can be chained.

        Raises:
            ValueError: if ``X`` is not numeric, is empty or contains NaN/inf.
        """
        X = self._as_float(X)
        if len(X) == 0:
            raise ValueError(f"X must contain at least one sample, got shape {X.shape}")
        X = X.astype(np.float64)
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        # A column of one value such as 0.1 has a std of rounding error (1e-17, not 0):
        # kept as the scale, it would blow a test value of 0.2 up to 5e14. A spread
        # within rounding of the values themselves counts as none (scikit-learn's rule).
        rounding = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(self.mean), 1e-300)
        self.std = np.where(std > rounding * np.sqrt(len(X)), std, 1.0)
        return self

    @_named
    def transform(self, X) -> np.ndarray:
        """Apply ``(X - mean) / std`` with the fitted statistics.

        Args:
            X: numeric array-like with the same feature shape as the data
                passed to :meth:`fit`.

        Returns:
            A new array; float32 input stays float32, anything else becomes
            float64.

        Raises:
            RuntimeError: if called before :meth:`fit`.
            ValueError: if the feature shape differs from the fitted one or
                ``X`` is not numeric.
        """
        X = self._check_fitted(X)
        out = (X - self.mean) / self.std
        return out.astype(X.dtype if X.dtype.kind == "f" else np.float64, copy=False)

    @_named
    def fit_transform(self, X) -> np.ndarray:
        """Fit on ``X`` and return ``X`` standardized.

        Args:
            X: numeric array-like of shape ``(n, ...)``.

        Returns:
            The standardized array, as :meth:`transform` returns it.

        Raises:
            ValueError: as :meth:`fit`.
        """
        return self.fit(X).transform(X)

    @_named
    def inverse_transform(self, Z) -> np.ndarray:
        """Undo :meth:`transform`: return ``Z * std + mean``.

        Args:
            Z: standardized array-like with the fitted feature shape.

        Returns:
            A new array in the original units (float32 kept, else float64).

        Raises:
            RuntimeError: if called before :meth:`fit`.
            ValueError: if the feature shape differs from the fitted one.
        """
        Z = self._check_fitted(Z, "Z")
        out = Z * self.std + self.mean
        return out.astype(Z.dtype if Z.dtype.kind == "f" else np.float64, copy=False)

    def _check_fitted(self, X, name: str = "X") -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer is not fitted yet: call fit(X_train) first")
        X = self._as_float(X, name)
        if X.shape[1:] != self.mean.shape:
            raise ValueError(
                f"{name} has feature shape {X.shape[1:]} (full shape {X.shape}) but the "
                f"Standardizer was fitted on feature shape {self.mean.shape}"
            )
        return X

    def __repr__(self) -> str:
        if self.mean is None:
            return "Standardizer(unfitted)"
        return f"Standardizer(features={self.mean.shape})"


def _as_labels(values, name: str) -> np.ndarray:
    """Convert integer-valued labels (ints, bools, whole floats) to int64, naming a bad label."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr) > 2.0**62)
        if bad.any():
            label = arr[bad].flat[0].item()
            raise ValueError(f"{name} must hold integer class labels, got label {label!r}")
        return arr.astype(np.int64)
    if arr.size == 0:
        return arr.astype(np.int64)
    label = arr.flat[0]
    label = label.item() if isinstance(label, np.generic) else label
    raise ValueError(
        f"{name} must hold integer class labels, got label {label!r} (dtype {arr.dtype})"
    )


@_named
def one_hot(y, num_classes: int | None = None) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    ``one_hot(y).argmax(axis=-1)`` gives ``y`` back. Float labels are
    accepted only if they hold whole numbers (``2.0`` is class 2).

    Args:
        y: array-like of integer labels, any shape (usually ``(n,)``).
        num_classes: number of classes ``k``; None means ``max(y) + 1``
            (0 for an empty ``y``).

    Returns:
        float64 array of shape ``y.shape + (k,)`` with a single 1.0 per label.

    Raises:
        TypeError: if ``num_classes`` is not an int or None.
        ValueError: if ``num_classes < 1``, or a label is negative, not a
            whole number, or ``>= num_classes``; the message names the label.
    """
    labels = _as_labels(y, "y")
    if num_classes is None:
        k = int(labels.max()) + 1 if labels.size else 0
    else:
        k = _check_int(num_classes, "num_classes", 1)
    if labels.size:
        bad = (labels < 0) | (labels >= k)
        if bad.any():
            label = int(labels[bad].flat[0])
            if num_classes is None:  # k came from max(y); only a negative label is bad
                raise ValueError(f"label {label} is negative: labels must be 0 or more")
            raise ValueError(
                f"label {label} is out of range for num_classes={k}: labels must be in 0..{k - 1}"
            )
    out = np.zeros(labels.shape + (k,), dtype=np.float64)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


@_named
def batches(
    X, y, batch_size: int, shuffle: bool = True, seed=None, drop_last: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate once over ``(X, y)`` in mini-batches.

    Every sample appears in exactly one batch. The order is a fresh random
    permutation when ``shuffle`` is true: pass the same
    ``numpy.random.Generator`` every epoch to get a different, reproducible
    order each time (an int seed gives the same order on every call).
    Arguments are checked when ``batches`` is called, not when iteration
    starts.

    Args:
        X: array-like of samples, first axis indexing samples.
        y: array-like of labels or targets, same length as ``X``.
        batch_size: samples per batch, >= 1; the last batch may be smaller.
        shuffle: visit samples in random order (else in their stored order).
        seed: None, a non-negative int or a ``numpy.random.Generator``; used
            only when ``shuffle`` is true.
        drop_last: skip the last batch if it has fewer than ``batch_size``
            samples (kept by default).

    Returns:
        An iterator of ``(X_batch, y_batch)`` array pairs.

    Raises:
        TypeError: if ``batch_size`` is not an int, ``shuffle`` or ``drop_last``
            not a bool, or ``seed`` has an unsupported type.
        ValueError: if ``batch_size < 1`` or ``X`` and ``y`` differ in length.
    """
    X, y = _check_xy(X, y)
    batch_size = _check_int(batch_size, "batch_size", 1)
    shuffle, drop_last = _check_flag(shuffle, "shuffle"), _check_flag(drop_last, "drop_last")
    n = len(y)
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, stop, batch_size):
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]

    return generate()


@_named
def accuracy(predictions, labels, threshold: float | None = None) -> float:
    """Fraction of samples whose predicted class equals the true label.

    How ``predictions`` is read, by shape and dtype (``n`` samples):

    * shape ``(n, k)`` with ``k >= 2``: scores, logits or probabilities; the
      predicted class is the argmax of each row.
    * shape ``(n,)`` or ``(n, 1)`` with an integer or bool dtype: predicted
      class indices, compared with ``labels`` as they are.
    * shape ``(n,)`` or ``(n, 1)`` with a float dtype: scores for a binary
      problem. If the labels are -1/+1 (they contain -1 and only -1 or 1),
      the prediction is +1 when ``score > threshold`` (default 0, as for a
      hinge-loss margin) and -1 otherwise. Otherwise the labels must be 0/1
      and the prediction is 1 when ``score > threshold`` (default 0.5, as for
      a sigmoid probability; pass ``threshold=0`` for logits) and 0
      otherwise. Cast float class indices to int to compare them directly.

    ``labels`` are class indices of shape ``(n,)`` or ``(n, 1)``, or one-hot
    rows of shape ``(n, k)`` (argmax taken). Anything ``numpy.asarray``
    accepts works, including Tensors. Against ``(n, k)`` predictions, each
    label must be one of the ``k`` classes (one-hot rows ``k`` wide).

    Args:
        predictions: class indices, or scores as described above.
        labels: true class labels.
        threshold: decision threshold for 1-D float scores; None for the
            default described above. Only for such scores.

    Returns:
        The accuracy as a Python float in [0, 1].

    Raises:
        ValueError: if the numbers of samples differ or are 0, a score is NaN
            or infinite, a label is not a whole number, float 1-D scores
            are given with labels that are not 0/1 or -1/+1, a label is out of
            range for ``(n, k)`` predictions (or one-hot labels are of another
            width), or ``threshold`` is given for predictions it does not apply
            to (``(n, k)`` scores, class indices).
        TypeError: if ``threshold`` is not a real number or None.
    """
    pred = np.asarray(predictions)
    true = np.asarray(labels)
    one_hot_width = None
    if true.ndim == 2 and true.shape[1] >= 2:
        one_hot_width = true.shape[1]
        true = true.argmax(axis=1)
    elif true.ndim == 2 and true.shape[1] == 1:
        true = true[:, 0]
    if true.ndim != 1:
        raise ValueError(f"labels must have shape (n,), (n, 1) or (n, k), got shape {true.shape}")
    true = _as_labels(true, "labels")
    if pred.ndim == 0 or pred.ndim > 2:
        raise ValueError(
            f"predictions must have shape (n,), (n, 1) or (n, k), got shape {pred.shape}"
        )
    if len(pred) != len(true):
        raise ValueError(
            "predictions and labels must have the same number of samples, got "
            f"{len(pred)} predictions and {len(true)} labels"
        )
    if len(true) == 0:
        raise ValueError("accuracy of zero samples is undefined: predictions and labels are empty")
    if pred.dtype.kind not in "biuf":
        raise ValueError(f"predictions must be numeric, got dtype {pred.dtype}")
    if pred.dtype.kind == "f" and not np.all(np.isfinite(pred)):
        raise ValueError("predictions contain NaN or infinite values")
    if threshold is not None:
        threshold = _check_real(threshold, "threshold")

    if pred.ndim == 2 and pred.shape[1] >= 2:
        # k columns are k classes: a label they cannot predict (7 of 2 classes, or
        # one-hot rows of another width) means mismatched data, not a wrong guess
        k = pred.shape[1]
        if one_hot_width is not None and one_hot_width != k:
            raise ValueError(f"labels are one-hot rows of {one_hot_width} classes but "
                             f"predictions have {k} columns (classes)")
        outside = (true < 0) | (true >= k)
        if outside.any():
            raise ValueError(f"label {int(true[outside][0])} is out of range for "
                             f"predictions of {k} columns (classes): labels must be in "
                             f"0..{k - 1}")
        if threshold is not None:
            raise ValueError(f"threshold={threshold} applies to binary scores of shape "
                             f"(n,) or (n, 1); predictions of shape {pred.shape} are read "
                             "by the argmax of each row")
        guess = pred.argmax(axis=1)
    else:
        scores = pred.reshape(len(pred), -1)
        if scores.shape[1] != 1:
            raise ValueError(
                f"predictions must have shape (n,), (n, 1) or (n, k), got shape {pred.shape}"
            )
        scores = scores[:, 0]
        if scores.dtype.kind in "biu":
            if threshold is not None:
                raise ValueError(f"threshold={threshold} applies to float scores, but the "
                                 f"predictions are class indices (dtype {pred.dtype}); "
                                 "cast scores held as integers to float")
            guess = scores.astype(np.int64)
        else:
            values = set(np.unique(true).tolist())
            if -1 in values and values <= {-1, 1}:
                cut = 0.0 if threshold is None else threshold
                guess = np.where(scores > cut, 1, -1)
            elif values <= {0, 1}:
                cut = 0.5 if threshold is None else threshold
                guess = (scores > cut).astype(np.int64)
            else:
                raise ValueError(
                    "float predictions of shape (n,) are read as binary scores, but labels "
                    f"hold the classes {sorted(values)}; pass class indices as an int array "
                    "or scores of shape (n, k)"
                )
    return float(np.mean(guess == true))
