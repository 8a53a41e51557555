"""The notebooks' output sanitizer (notebooks/nbval_sanitize.cfg), as nbval reads it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from autodiff import Value, draw_graph

nbval_plugin = pytest.importorskip("nbval.plugin")

CONFIG = Path(__file__).resolve().parent.parent / "notebooks" / "nbval_sanitize.cfg"


def _patterns() -> list[tuple[str, str]]:
    return nbval_plugin.get_sanitize_patterns(CONFIG.read_text())


def _sanitized(text: str) -> str:
    for regex, replace in _patterns():
        text = re.sub(regex, replace, text)
    return text


def test_every_section_of_the_sanitizer_is_read_by_nbval():
    # nbval reads "regex: ...\nreplace: ..." pairs only where "replace: " has its space:
    # an empty "replace:" drops its pair without a word
    sections = re.findall(r"^\[", CONFIG.read_text(), flags=re.MULTILINE)
    assert len(_patterns()) == len(sections)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_a_drawing_is_compared_by_its_labels_in_order():
    # the notebooks' saved drawings are checked by their text, so a stale label (a
    # number drawn another way) fails the notebook's test, while coordinates do not
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + 0.99999
    c.label = "c"
    svg = draw_graph(c).pipe(format="svg").decode()
    sanitized = _sanitized(svg)
    assert sanitized.startswith("SVG-DRAWING|") and "<" not in sanitized
    labels = re.findall(r"\|([^|]*)\|", sanitized)
    assert labels == ["a", "data 2.0000", "grad 0.0000", "*", "b", "data &#45;3.0000",
                      "grad 0.0000", "data &#45;6.0000", "grad 0.0000", "+", "c",
                      "data &#45;5.0000", "grad 0.0000", "0.99999"]
