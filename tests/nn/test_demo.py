"""`make demo` (nn.demo): it runs, reports agreement, and writes the files it names."""

import shutil

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
