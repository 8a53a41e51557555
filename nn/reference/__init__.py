"""Hand-written backpropagation from four teaching documents, checked against autograd.

One module per document, each following that document's layout and names:

* :mod:`nn.reference.rust_series`: the Rust deep-network series, part 4 (column-major,
  ReLU/sigmoid, binary cross-entropy, ``linear_backward``, the update with ``lambda``);
* :mod:`nn.reference.course_lesson`: the course lesson on backward propagation
  (column-major ``LinearLayer``, ReLU/sigmoid/softmax, categorical cross-entropy, iris);
* :mod:`nn.reference.numpy_derivation`: the derivation of backpropagation with NumPy
  (per-sample columns, ``xs``/``dxs``/``dWs``/``dbs``, LeakyReLU, MSE, quadrants demo);
* :mod:`nn.reference.book_chapter`: the "from scratch" book's chapter (row-major, ReLU,
  softmax Jacobian, cross-entropy, fused softmax + cross-entropy).

Each module's main path is the correct equations; where the document is wrong, its
version is kept beside as ``*_as_written`` (listed in ERRATA.md at the repository root).
:mod:`nn.reference.layout` converts between the column- and row-major conventions, and
:func:`compare_gradients` / :func:`print_comparison` put any of these networks' gradients
next to autograd's; :func:`demo` prints the tables for small seeded examples.
"""

from . import book_chapter, course_lesson, layout, numpy_derivation, rust_series
from ._common import ColumnSpec, ReferenceNetwork, max_relative_difference
from .compare import (
    GradientComparison,
    autograd_gradients,
    compare_gradients,
    demo,
    print_comparison,
)

__all__ = [
    "book_chapter",
    "course_lesson",
    "layout",
    "numpy_derivation",
    "rust_series",
    "ColumnSpec",
    "ReferenceNetwork",
    "GradientComparison",
    "autograd_gradients",
    "compare_gradients",
    "demo",
    "max_relative_difference",
    "print_comparison",
]
