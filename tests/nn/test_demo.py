"""`make demo` (nn.demo): it runs, reports agreement, and writes the files it names."""

import shutil
from types import SimpleNamespace

import pytest

from nn import demo


def test_demo_runs_and_writes_the_files_it_prints(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert demo.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "All gradients agree." in printed
    expected = ["graph.dot", "loss_curve.png"]
    if shutil.which("dot"):
        expected += ["graph.svg", "graph.png"]
    for name in expected:
        path = tmp_path / name
        assert path.stat().st_size > 0, name
        assert str(path) in printed, name
    assert "digraph" in (tmp_path / "graph.dot").read_text()


@pytest.mark.parametrize(
    ("accuracy", "gradients_ok", "passed", "named", "not_named"),
    [
        (0.95, True, True, [], ["DISAGREE", "BELOW"]),
        (0.50, True, False, ["All gradients agree.", "BELOW 90%"], ["DISAGREE"]),
        (0.95, False, False, ["GRADIENTS DISAGREE", "at least 90%"], ["All gradients", "BELOW"]),
        (0.50, False, False, ["GRADIENTS DISAGREE", "BELOW 90%"], ["All gradients"]),
        (0.8996, True, False, ["89.9% IS BELOW 90%"], ["90.0%"]),  # (rounded down)
    ],
)
def test_demo_summary_names_what_failed(accuracy, gradients_ok, passed, named, not_named):
    comparisons = [SimpleNamespace(ok=True), SimpleNamespace(ok=gradients_ok)]
    ok, closing = demo.summary(accuracy, comparisons)
    assert ok is passed
    for text in named:
        assert text in closing
    for text in not_named:
        assert text not in closing
