"""nn.reference.compare_gradients / print_comparison / demo."""

from __future__ import annotations

import numpy as np
import pytest

import nn.reference as ref
from nn.reference import __main__ as cli
from nn.reference import course_lesson as cl
from nn.reference import max_relative_difference


def test_table_columns_and_values(capsys):
    net, X, Y = ref.rust_series.example(seed=0)
    result = ref.print_comparison(net, X, Y)
    out = capsys.readouterr().out
    for heading in ("parameter", "shape", "|hand grad|", "|autograd|", "max rel diff", "verdict"):
        assert heading in out
    assert "W1" in out and "5x2" in out and "all 7 gradients agree" in out
    assert result.ok and str(result) in out
    row = result.rows[0]
    assert row.shape == (5, 2)
    assert abs(row.hand_norm - np.linalg.norm(net.hand_gradients(X, Y)["W1"])) <= 1e-15


def test_a_wrong_gradient_is_flagged():
    """The as-written course-lesson layers (wrong activation derivatives) get MISMATCH."""
    net, X, Y = cl.example(seed=0)
    per_layer, dA0 = net.gradients_as_written(X, Y)
    hand = {}
    for i, (dW, db) in enumerate(per_layer):
        hand[f"layers[{i}].W"], hand[f"layers[{i}].b"] = dW, db
    hand["X"] = dA0 / X.shape[1]
    result = ref.compare_gradients(net, X, Y, hand=hand)
    assert not result.ok
    verdicts = {r.parameter: r.verdict for r in result}
    assert verdicts["layers[0].W"] == "MISMATCH"
    assert "differ by more than" in str(result)


def test_max_relative_difference():
    a = np.array([1.0, 0.0, -2.0])
    assert max_relative_difference(a, a) == 0.0
    assert max_relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert max_relative_difference(a, a + np.array([0.0, 0.2, 0.0])) == pytest.approx(0.1)
    assert max_relative_difference(a, np.zeros(2)) == float("inf")


@pytest.mark.parametrize(
    "document", ["rust_series", "course_lesson", "numpy_derivation", "book_chapter"]
)
def test_demo_each_document(document, capsys):
    (result,) = ref.demo(document, seed=1)
    assert result.ok
    assert result.title.split(" ")[0] in capsys.readouterr().out


def test_demo_all_and_command_line(capsys):
    results = ref.demo()
    assert len(results) == 4 and all(r.ok for r in results)
    capsys.readouterr()
    assert cli.main(["rust_series", "--seed", "2"]) == 0
    assert "DeepNeuralNetwork" in capsys.readouterr().out
    with pytest.raises(ValueError):
        ref.demo("no_such_document")
