"""Hand-written gradients next to autograd's, as a per-parameter table.

    from nn.reference import rust_series, print_comparison
    net, X, Y = rust_series.example()
    table = print_comparison(net, X, Y)       # prints, and returns the comparison

Any network from the four reference modules works: the network hands over its
hand-written gradients (in its document's layout) and a column-major description of
itself; autograd differentiates the same cost, and its gradients are converted back to
the document's layout with :mod:`nn.reference.layout` before comparing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _autograd
from ._common import ReferenceNetwork, max_relative_difference

DEFAULT_TOL = 1e-10


@dataclass
class Row:
    parameter: str
    shape: tuple
    hand_norm: float
    autograd_norm: float
    max_rel_diff: float
    verdict: str


class GradientComparison:
    """The rows of one comparison; ``str()`` gives the table, ``ok`` is True when every
    row agrees within ``tol``."""

    def __init__(self, title: str, rows: list[Row], tol: float, cost: float):
        self.title = title
        self.rows = rows
        self.tol = tol
        self.cost = cost

    @property
    def ok(self) -> bool:
        return all(r.verdict == "ok" for r in self.rows)

    @property
    def max_rel_diff(self) -> float:
        return max(r.max_rel_diff for r in self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        header = ("parameter", "shape", "|hand grad|", "|autograd|", "max rel diff", "verdict")
        body = [
            (
                r.parameter,
                "x".join(str(d) for d in r.shape),
                f"{r.hand_norm:.6e}",
                f"{r.autograd_norm:.6e}",
                f"{r.max_rel_diff:.2e}",
                r.verdict,
            )
            for r in self.rows
        ]
        widths = [max(len(str(line[i])) for line in [header] + body) for i in range(6)]

        def fmt(line):
            return "  ".join(
                str(v).ljust(w) if i in (0, 1, 5) else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )

        rule = "-" * len(fmt(header))
        summary = (
            f"all {len(self.rows)} gradients agree within {self.tol:.0e}"
            if self.ok
            else f"{sum(r.verdict != 'ok' for r in self.rows)} of {len(self.rows)} "
            f"gradients differ by more than {self.tol:.0e}"
        )
        return "\n".join(
            [self.title, f"cost = {self.cost:.12g}", rule, fmt(header), rule]
            + [fmt(line) for line in body]
            + [rule, summary]
        )

    __repr__ = __str__


def autograd_gradients(network: ReferenceNetwork, X, Y) -> tuple[float, dict]:
    """Autograd's gradients of the network's cost, in the document's layout and names."""
    Xc, Yc = network.data_to_columns(X, Y)
    cost, grads = _autograd.gradients(network.column_spec(), Xc, Yc)
    return cost, network.gradients_from_columns(grads)


def compare_gradients(
    network: ReferenceNetwork, X, Y, tol: float = DEFAULT_TOL, hand: dict | None = None
) -> GradientComparison:
    """Compare the document's hand-written gradients with autograd's, parameter by parameter.

    ``hand`` may be given to compare some other set of gradients (for instance from an
    ``*_as_written`` variant) in the same names and layout.
    """
    hand = network.hand_gradients(X, Y) if hand is None else hand
    cost, auto = autograd_gradients(network, X, Y)
    rows = []
    for name, a in auto.items():
        h = np.asarray(hand[name], dtype=np.float64)
        rel = max_relative_difference(h, a)
        rows.append(
            Row(
                name,
                tuple(np.shape(a)),
                float(np.linalg.norm(h)),
                float(np.linalg.norm(a)),
                rel,
                "ok" if rel <= tol else "MISMATCH",
            )
        )
    title = f"{type(network).__name__} ({network.document})"
    return GradientComparison(title, rows, tol, cost)


def print_comparison(
    network: ReferenceNetwork, X, Y, tol: float = DEFAULT_TOL, hand: dict | None = None
) -> GradientComparison:
    """:func:`compare_gradients`, printed; returns the comparison."""
    result = compare_gradients(network, X, Y, tol, hand)
    print(result)
    return result


def _examples(seed: int):
    from . import book_chapter, course_lesson, numpy_derivation, rust_series

    return {
        "rust_series": rust_series.example(seed),
        "course_lesson": course_lesson.example(seed),
        "numpy_derivation": numpy_derivation.example(seed),
        "book_chapter": book_chapter.example(seed),
    }


def demo(document: str = "all", seed: int = 0) -> list[GradientComparison]:
    """Build each document's small seeded example and print its table.

    ``document`` is ``"rust_series"``, ``"course_lesson"``, ``"numpy_derivation"``,
    ``"book_chapter"`` or ``"all"``. Returns the comparisons.
    """
    examples = _examples(seed)
    if document != "all":
        if document not in examples:
            raise ValueError(f"document must be one of {sorted(examples)} or 'all'")
        examples = {document: examples[document]}
    results = []
    for i, (net, X, Y) in enumerate(examples.values()):
        if i:
            print()
        results.append(print_comparison(net, X, Y))
    return results
