"""draw_graph / save_graph: what the DOT source says, folding, clusters, rendering."""

import html
import math
import random
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, add_n, draw_graph, save_graph
from autodiff.graph import scope

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the Graphviz `dot` program is not installed")


def micrograd_example():
    a, b, c, f = (Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"),
                  Value(-2.0, label="f"))
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L, (a, b, c, d, e, f)


def node_lines(source):
    return [line for line in source.splitlines() if "[label=" in line]


def html_text(label):
    """An HTML label's text as drawn: lines joined by newlines, entities decoded."""
    return html.unescape(label.replace("<BR/>", "\n")).replace("\u2060", "")


# An HTML label of escaped text and line breaks (an op's or a constant's)
TEXT_LABEL = r"label=<((?:[^<>]|<BR/>)*)>"


def op_labels(source):
    """The op ovals' labels, in order, as drawn."""
    return [html_text(t) for t in re.findall(rf"n\d+_op \[{TEXT_LABEL}", source)]


def const_labels(source):
    """The constants' labels, in order, as drawn."""
    return [html_text(t) for t in re.findall(rf"n\d+_c\d+ \[{TEXT_LABEL}", source)]


def snapshot(root):
    nodes = autodiff.viz._collect(root)
    return [(id(n), n.data if isinstance(n.data, float) else n.data.copy(),
             n.grad if not isinstance(n.grad, np.ndarray) else n.grad.copy(), n._pending,
             n._ctx, n.label) for n in nodes]


def same(a, b):
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, np.ndarray):
                assert np.array_equal(u, v)
            else:
                assert u is v or u == v


# -- Value graphs ----------------------------------------------------------------------


def test_value_nodes_show_label_data_and_grad_and_ops_sit_between():
    L, (a, b, c, d, e, f) = micrograd_example()
    source = draw_graph(L).source
    for name, data, grad in [("a", "2.0000", "6.0000"), ("b", "-3.0000", "-4.0000"),
                             ("e", "-6.0000", "-2.0000"), ("L", "-8.0000", "1.0000")]:
        line = next(x for x in node_lines(source) if f"<B>{name}</B>" in x)
        assert f"data {data}" in line and f"grad {grad}" in line
    assert sorted(op_labels(source)) == ["*", "*", "+"]
    # 7 boxes + 3 op ovals; each op: its two inputs -> op -> result
    assert len(node_lines(source)) == 10
    assert source.count("->") == 9
    assert "rankdir=LR" in source


def test_drawing_reads_the_graph_only():
    L, _ = micrograd_example()
    before = snapshot(L)
    draw_graph(L, color_grads=True, max_nodes=2)
    autodiff.draw_step(L, 2)
    same(before, snapshot(L))


def test_constants_rankdir_and_title():
    x = Value(3.0, label="x")
    y = 2 * x + 1
    source = draw_graph(y, rankdir="TB", title="my graph").source
    assert "rankdir=TB" in source
    assert const_labels(source) == ["2", "1"]
    assert "my graph" in source
    assert const_labels(draw_graph(y, constants=False).source) == []


def test_a_constant_is_drawn_short_only_when_the_short_form_is_that_number():
    # Rounded to 4 decimals and stripped of zeros, x * 0.99999 + 1.00004 was drawn
    # x * 1 + 1: an identity, to the eye.
    x = Value(2.0, label="x")

    def constants(y):
        return const_labels(draw_graph(y).source)

    assert constants(x * 0.99999 + 1.00004) == ["0.99999", "1.00004"]
    assert constants(x * 1.0000001) == ["1.0000001"]
    # too long to draw in full (18 digits): rounded, and marked as rounded
    assert constants(x * (1 / 3)) == ["0.3333…"]
    assert constants(x * 0.12345678) == ["0.1235…"]
    assert constants(x * 2.0 + 0.5) == ["2", "0.5"]  # short forms that are exact stay
    assert constants(x * 1e-4) == ["1.000e-04"]
    assert constants(x * 123456.0) == ["123456"]
    t = Tensor(np.ones(2), requires_grad=True)
    assert constants(t * np.float32(0.1)) == ["0.1"]  # exact in float32, its precision
    # kills mut6-V37 (the zeros of an e-notation's exponent stripped: 1.000e+1) and
    # mut6-V43 (an unsigned NumPy int drawn as NumPy writes it, not as the number)
    assert constants(x * 1e10) == ["1.000e+10"]
    assert constants(t * np.uint8(3)) == ["3"]


def test_import_autodiff_does_not_import_graphviz():
    code = "import sys, autodiff; assert 'graphviz' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_arguments():
    with pytest.raises(TypeError, match="Value or a Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(Value(1.0), max_nodes=0)
    with pytest.raises(ValueError, match="paths_from"):
        draw_graph(Value(1.0) * 2, paths_from=[Value(3.0)])


# -- Tensor graphs ---------------------------------------------------------------------


def tensor_graph():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)), label="x")
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True, label="W")
    b = Tensor(np.array([0.5, -1.0, 2.0, 0.0]), requires_grad=True, label="b")
    loss = ((x @ W.T + b).relu() ** 2).mean()
    loss.label = "loss"
    loss.backward()
    return loss, x, W, b


def test_tensor_nodes_show_shape_dtype_and_summaries():
    loss, x, W, b = tensor_graph()
    source = draw_graph(loss).source
    lines = node_lines(source)
    w_line = next(line for line in lines if "<B>W</B>" in line)
    assert "(4, 3) float64" in w_line
    assert f"data norm {np.linalg.norm(W.data):.4f}" in w_line
    assert f"grad norm {np.linalg.norm(W.grad):.4f}" in w_line
    b_line = next(line for line in lines if "<B>b</B>" in line)  # tiny: the values
    assert "(4,) float64" in b_line and "data [0.5000, -1.0000, 2.0000, 0.0000]" in b_line
    x_line = next(line for line in lines if "<B>x</B>" in line)
    assert "grad None" in x_line  # no requires_grad
    for op in ("@", "transpose", "+", "relu", "**", "mean"):
        assert op in op_labels(source)
    assert "() float64" in next(line for line in lines if "<B>loss</B>" in line)


def test_op_parameters_are_shown():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    source = draw_graph(t.sum(axis=1)).source
    assert "axis=1" in source


# -- clusters --------------------------------------------------------------------------


class Lin:
    """A stand-in for nn.Linear that opens a scope as nn.Module.__call__ will."""

    def __init__(self, n_in, n_out, rng):
        self.weight = Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True,
                             label="weight")
        self.bias = Tensor(np.zeros(n_out), requires_grad=True, label="bias")
        self.name = f"Linear({n_in} -> {n_out})"

    def parameters(self):
        return [self.weight, self.bias]

    def __call__(self, x):
        with scope(self.name, self):
            return x @ self.weight.T + self.bias


class Net:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.l1, self.l2 = Lin(4, 8, rng), Lin(8, 3, rng)

    def parameters(self):
        return self.l1.parameters() + self.l2.parameters()

    def __call__(self, x):
        with scope("Net", self):
            return self.l2(self.l1(x).tanh())


def scoped_loss():
    net = Net()
    x = Tensor(np.random.default_rng(1).standard_normal((5, 4)), label="x")
    loss = (net(x) ** 2).mean()
    loss.backward()
    return loss, net


def label_text(label: str) -> str:
    """The text a Graphviz HTML label `<...>` of text only shows (lines joined by \\n)."""
    assert label.startswith("<") and label.endswith(">"), label
    return html.unescape(label[1:-1].replace("<BR/>", "\n")).replace("\u2060", "")


def collapsed_boxes(source: str) -> list[str]:
    """The texts of the collapsed module boxes of DOT source."""
    return [label_text(label) for label in
            re.findall(r'\[label=(<[^\n]*?>) color="#4a6fa5"', source)]


def clusters(source):
    """{cluster label: (depth, text of the cluster)} from DOT source."""
    found = {}
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("subgraph cluster_"):
            depth = len(line) - len(line.lstrip("\t"))
            label = label_text(re.search(r"label=(<.*?>) \w+=", lines[i + 1]).group(1))
            body = []
            for later in lines[i + 1:]:
                if later.startswith("\t" * depth + "}"):
                    break
                body.append(later)
            found[label] = (depth, "\n".join(body))
    return found


def test_scoped_nodes_form_nested_labelled_clusters():
    loss, net = scoped_loss()
    found = clusters(draw_graph(loss).source)
    assert set(found) == {"Net", "Linear(4 -> 8)", "Linear(8 -> 3)"}
    assert found["Net"][0] == 1 and found["Linear(4 -> 8)"][0] == 2
    assert "label=<Linear(4 -&gt; 8)>" in found["Net"][1]  # nested inside Net
    inner = found["Linear(4 -> 8)"][1]
    assert "<B>weight</B>" in inner and "<B>bias</B>" in inner  # its parameters
    assert "@" in op_labels(inner) and "transpose" in inner
    assert "tanh" not in inner and "tanh" in found["Net"][1]
    assert "clusters" not in draw_graph(loss, clusters=False).source
    assert "subgraph" not in draw_graph(loss, clusters=False).source


@pytest.mark.parametrize("collapse", ["Linear", "Linear(8 -> 3)", Lin, True])
def test_collapsed_module_calls_are_one_box(collapse):
    loss, net = scoped_loss()
    source = draw_graph(loss, collapse=collapse).source
    box = [text.split("\n", 1) for text in collapsed_boxes(source)
           if text.split("\n")[0] in ("Linear(8 -> 3)", "Net")]
    assert box, source
    assert "nodes inside" in box[0][1]
    if collapse is True:  # the outermost call: Net
        assert box[0][0] == "Net" and "<B>weight</B>" not in source
        assert "(and 1 module box)" in source
        assert "out (5, 3) float64" in box[0][1]
    else:
        assert "out (5, 3) float64" in box[0][1]
        assert source.count("<B>weight</B>") == (0 if collapse == "Linear" or
                                                 collapse is Lin else 1)
    assert "drawn as" in source  # the caption says so


@pytest.mark.parametrize("name", ["<x>", "<1 < 2>", "<a&b>", "x\\N y", "back\\slash \\G"])
def test_a_module_label_is_drawn_as_written(name):
    # module (cluster) and collapsed box labels went to Graphviz raw: <x> was read as
    # HTML (drawn x), <1 < 2> and <a&b> failed to render, \N became the node's name
    x = Tensor(np.ones(2), requires_grad=True)
    with scope(name, object()):
        y = (x * 2).sum()
    for collapse, texts in ((None, lambda s: list(clusters(s))),
                            (True, lambda s: [t.split("\n")[0] for t in collapsed_boxes(s)])):
        drawing = draw_graph(y, collapse=collapse)
        assert texts(drawing.source) == [name]
        if shutil.which("dot"):
            svg = drawing.pipe(format="svg").decode()
            shown = [html.unescape(t).replace("\u2060", "")
                     for t in re.findall(r">([^<]*)</text>", svg)]
            assert name in shown


def test_a_backslash_in_a_node_label_is_drawn_as_written():
    # Graphviz reads \N in a label as the node's name, even in an HTML label
    source = draw_graph(Value(2.0, label="a\\Nb") * 2).source
    assert "a\\\u2060N" not in source and "a\\&#8288;Nb" in source
    if shutil.which("dot"):
        svg = draw_graph(Value(2.0, label="a\\Nb") * 2).pipe(format="svg").decode()
        assert "a\\\u2060Nb" in svg


@pytest.mark.parametrize("max_nodes, fold", [(150, True), (4, True), (4, False),
                                             (2000, True)])
def test_a_captions_counts_add_up_to_the_graph_with_module_boxes(max_nodes, fold):
    # folded look-alike module boxes were counted as nodes in repeated structure (the
    # parts came to 547 of a 541-node graph) and as boxes drawn
    import nn

    rnd = random.Random(1337)
    model = nn.scalar.MLP(2, [16, 16, 1], seed=rnd.randrange(2**32))
    loss = sum((model(x) - 1.0) ** 2 for x in ([0.5, -0.3], [0.1, 0.9], [-0.7, 0.2]))
    drawing = draw_graph(loss, collapse="Layer", max_nodes=max_nodes, fold=fold)
    stats = drawing.stats
    calls, inside = stats["collapsed"]
    assert calls == 9
    parts = (stats["drawn_nodes"] + inside + stats.get("chained", 0)
             + stats.get("folded", 0) + stats.get("cut", 0))
    assert parts == stats["nodes"], stats
    boxes_drawn = stats["drawn"] - stats["drawn_nodes"]
    assert boxes_drawn + stats.get("folded_boxes", 0) + stats.get("cut_boxes", 0) == calls
    caption = html.unescape(drawing.source)
    if boxes_drawn < calls:
        assert f"of the boxes {boxes_drawn} drawn" in caption
        assert "9 module calls drawn as boxes" not in caption
    else:
        assert "9 module calls drawn as boxes (" in caption


def test_collapse_by_module_object():
    loss, net = scoped_loss()
    source = draw_graph(loss, collapse=[net.l1]).source
    assert [text.split("\n")[0] for text in collapsed_boxes(source)] == ["Linear(4 -> 8)"]
    assert "Linear(8 -> 3)" in clusters(source)


def test_nn_linear_end_to_end():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("nn.Linear is not there yet")
    layer = nn.Linear(4, 3)
    x = Tensor(np.ones((2, 4)))
    out = layer(x).sum()
    if out._parents[0].scope is None:
        pytest.skip("nn.Module.__call__ does not open a scope yet")
    out.backward()
    source = draw_graph(out).source
    (label,) = clusters(source)
    assert label.startswith("Linear")
    assert "<B>weight</B>" in clusters(source)[label][1]
    assert collapsed_boxes(draw_graph(out, collapse="Linear").source)[0].startswith(
        label + "\n")


# -- large graphs ----------------------------------------------------------------------


def micrograd_demo_loss(n=100):
    """micrograd's demo loss: MLP(2, [16, 16, 1]) on n points, hinge loss plus L2,
    built as micrograd builds it (sums as chains of +)."""
    rng = random.Random(0)
    sizes = [2, 16, 16, 1]
    layers = [[([Value(rng.uniform(-1, 1)) for _ in range(sizes[i])], Value(0.0), i < 2)
               for _ in range(sizes[i + 1])] for i in range(3)]
    params = [p for layer in layers for w, b, _ in layer for p in [*w, b]]
    losses = []
    for _ in range(n):
        h = [Value(rng.uniform(-2, 2)), Value(rng.uniform(-2, 2))]
        for layer in layers:
            sums = [sum((wi * xi for wi, xi in zip(w, h, strict=True)), b) for w, b, _ in layer]
            h = [s.relu() if nonlin else s for s, (_, _, nonlin) in zip(sums, layer, strict=True)]
        losses.append((1 + -rng.choice((-1.0, 1.0)) * h[0]).relu())
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    total.backward()
    return total, params


@pytest.fixture(scope="module")
def demo_loss():
    return micrograd_demo_loss()


def test_micrograd_demo_loss_is_folded_and_says_what_it_left_out(demo_loss):
    loss, params = demo_loss
    drawing = draw_graph(loss)
    stats = drawing.stats
    assert stats["nodes"] > 60_000
    assert stats["drawn"] <= autodiff.viz.DEFAULT_MAX_NODES
    source = drawing.source
    # the 100 per-sample losses, 16 neurons per layer, 337 squared parameters
    for count in ("×100", "×16", "×337"):
        assert f'label="{count}"' in source
    assert "1 of 100 alike, drawn once" in source
    assert "(chain of 100)" in source
    assert f"Graph of {stats['nodes']:,} nodes; {stats['drawn']:,} drawn" in source
    assert "chains merged" in source and "repeated structure" in source


@needs_dot
def test_micrograd_demo_loss_renders(demo_loss, tmp_path):
    save_graph(demo_loss[0], tmp_path / "demo.svg")
    assert (tmp_path / "demo.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("nesting", ["left", "right", "mixed"])
def test_chains_merge_whichever_side_the_link_is_on(nesting):
    # x * (y * (z * ...)) has its link on the right, (... * y) * z on the left; every
    # leaf ends up an input of the one op, however long the chain.
    n = 3000 if nesting != "mixed" else 4
    leaves = [Value(1.0 + i / n) for i in range(n)]
    if nesting == "mixed":
        a, b, c, d = leaves
        out = (a * (b * c)) * d
    else:
        out = leaves[0]
        for leaf in leaves[1:]:
            out = leaf * out if nesting == "right" else out * leaf
    drawing = draw_graph(out, max_nodes=3)
    assert drawing.stats["chained"] == n - 2
    assert f"(chain of {n - 1})" in drawing.source
    assert f'label="×{n}"' in drawing.source  # the n leaves, alike, drawn once


def test_paths_from_keeps_only_paths_to_the_root(demo_loss):
    loss, params = demo_loss
    # The output neuron's bias reaches the loss through each of the 100 samples' output.
    whole = draw_graph(loss, paths_from=params[-1], max_nodes=None)
    assert whole.stats["drawn"] == whole.stats["nodes"] - whole.stats["off_path"] < 2100
    assert "1 more input" in whole.source  # the other inputs are counted, not drawn
    drawing = draw_graph(loss, paths_from=params[-1])  # then folded to the budget
    assert drawing.stats["drawn"] < 20 and "×100" in drawing.source
    assert "off the paths" in drawing.source


def test_sibling_look_alikes_fold_with_a_count():
    x = Tensor(np.ones(3), requires_grad=True, label="x")
    terms = [(x * float(i)).tanh().sum() for i in range(200)]
    drawing = draw_graph(add_n(terms), max_nodes=20)
    assert 'label="×200"' in drawing.source
    assert drawing.stats["drawn"] <= 20
    assert drawing.stats["folded"] == 200 * 3 - 3


def test_without_repetition_the_nodes_nearest_the_root_are_kept():
    v = Value(0.5, label="start")
    for _ in range(300):
        v = v.sin()
    drawing = draw_graph(v, max_nodes=25)
    assert drawing.stats["drawn"] == 25
    assert drawing.stats["cut"] == 301 - 25
    assert "farthest from the root" in drawing.source
    assert "1 more input" in drawing.source
    assert "<B>start</B>" not in drawing.source
    assert draw_graph(v, max_nodes=None).stats["drawn"] == 301


def test_a_huge_graph_is_worked_out_only_as_far_as_the_cut(monkeypatch):
    # Every node was made a box of the drawing and folded before the cut kept 150: a
    # chain of 2,000,001 nodes took 39 s to draw (its backward: 1.2 s). Counted, not
    # timed: the boxes made are those drawn and the inputs they were found through.
    made = 0
    make = autodiff.viz._Unit.__init__

    def counting(unit, *args, **kwargs):
        nonlocal made
        made += 1
        make(unit, *args, **kwargs)

    monkeypatch.setattr(autodiff.viz._Unit, "__init__", counting)
    y = Value(1.0, label="x")
    for _ in range(10_000):
        y = y * 1.0000001 + 0.0
    drawing = draw_graph(y)
    assert drawing.stats["nodes"] == 20_001 and drawing.stats["drawn"] == 150
    assert drawing.stats["cut"] == 20_001 - 150
    assert made <= 2 * 150


def test_chains_and_look_alikes_past_the_cut_are_counted_as_farthest_from_the_root():
    # Past the cut nothing is looked at (so that the cost is what is drawn): a merged
    # chain there is not in the drawing, and the caption no longer says it was merged.
    start = sum(Value(float(i)) for i in range(1000))  # a chain of 1,000 `+`
    v = start
    for _ in range(300):
        v = v.sin()
    drawing = draw_graph(v, max_nodes=25)
    assert drawing.stats["chained"] == 0 and drawing.stats["folded"] == 0
    assert drawing.stats["cut"] == drawing.stats["nodes"] - 25 == 2300 - 25
    assert "chains merged" not in drawing.source
    assert "repeated structure" not in drawing.source


def test_a_node_is_called_alike_only_for_a_count_the_drawing_shows():
    # x, y and z look alike at the add_n, which is cut: x, drawn for the root's use of
    # it, said "1 of 3 alike, drawn once" with no x3 edge in sight.
    x, y, z = Value(1.0, label="x"), Value(2.0, label="y"), Value(3.0, label="z")
    far = add_n([x, y, z])
    for _ in range(20):
        far = far.sin()
    drawing = draw_graph(x.sin() * far, max_nodes=5)
    assert "<B>x</B>" in drawing.source and "add_n" not in drawing.source
    assert "alike" not in drawing.source


# -- gradients as colour; NaN and infinity -----------------------------------------------


def test_gradient_heat_scale():
    L, _ = micrograd_example()
    source = draw_graph(L, color_grads=True).source
    # |grad| from 1 (e, d, c, f...) to 6 (a): a darkest, L (grad 1) lightest
    a_line = next(x for x in node_lines(source) if "<B>a</B>" in x)
    L_line = next(x for x in node_lines(source) if "<B>L</B>" in x)
    assert 'BGCOLOR="#b10026"' in a_line and 'BGCOLOR="#ffffcc"' in L_line
    assert "log scale" in source


def test_nan_and_inf_are_marked():
    a = Value(float("nan"), label="a")
    y = a * 2.0
    t = Tensor(np.array([1.0, np.inf, 3.0, np.nan, 5.0]), requires_grad=True, label="t")
    source = draw_graph(y).source
    line = next(x for x in node_lines(source) if "<B>a</B>" in x)
    assert 'COLOR="#d62728"' in line and "! data has nan" in line
    assert "Red border: 2 nodes" in source
    t_source = draw_graph(t.sum()).source
    assert "! data has 1 nan, 1 inf" in t_source


# -- output ----------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("ext, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"),
                                        ("pdf", b"%PDF")])
def test_save_graph_formats(tmp_path, ext, magic):
    L, _ = micrograd_example()
    path = save_graph(L, tmp_path / f"g.{ext}")
    assert open(path, "rb").read().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"g.{ext}"]  # no stray files


@needs_dot
def test_svg_has_the_labels_and_jupyter_gets_svg(tmp_path):
    loss, _, _, _ = tensor_graph()
    drawing = draw_graph(loss)
    svg = drawing.pipe(format="svg").decode()
    assert "(4, 3) float64" in svg and "transpose" in svg
    bundle = drawing._repr_mimebundle_()
    assert "image/svg+xml" in bundle


def test_dot_source_is_saved_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` there
    L, _ = micrograd_example()
    path = save_graph(L, tmp_path / "g.dot")
    assert open(path).read() == draw_graph(L).source
    with pytest.raises(ValueError, match="extension"):
        save_graph(L, tmp_path / "g")


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    L, _ = micrograd_example()
    drawing = draw_graph(L)
    for render in (lambda: drawing.pipe(format="svg"),
                   lambda: drawing.render(outfile=tmp_path / "x.svg"),
                   lambda: save_graph(L, tmp_path / "x.png")):
        with pytest.raises(autodiff.GraphvizNotFoundError) as info:
            render()
        message = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz",
                     "https://graphviz.org/download/", ".source"):
            assert hint in message
    assert isinstance(info.value, RuntimeError)
    assert "digraph" in drawing.source


def test_summaries_of_numbers():
    from autodiff.viz import _num, _summary

    assert _num(2.0) == "2.0000" and _num(-1e-7) == "-1.000e-07"
    assert _num(math.inf) == "inf" and _num(math.nan) == "nan"
    assert _summary(np.arange(6.0)) == f"norm {np.linalg.norm(np.arange(6.0)):.4f}"
    assert _summary(np.array([[1.0, 2.0], [3.0, 4.0]])) == (
        "[1.0000, 2.0000, 3.0000, 4.0000] as (2, 2)")


def test_paths_from_a_module_means_its_parameters_and_title_must_be_a_str():
    import nn

    layer = nn.Linear(2, 2, seed=0)
    out = layer(np.ones((1, 2))).sum()
    by_module = draw_graph(out, paths_from=layer).stats
    assert by_module == draw_graph(out, paths_from=layer.parameters()).stats
    assert by_module["off_path"] == 1  # the input
    with pytest.raises(TypeError, match="title must be a str, got int"):
        draw_graph(out, title=5)


@pytest.mark.parametrize("collapse", [5, 2.5, [None]])
def test_a_collapse_option_that_names_nothing_raises(collapse):
    x = Value(1.0)
    with pytest.raises(TypeError, match="collapse takes True, a label"):
        draw_graph(x * 2, collapse=collapse)


def test_collapse_takes_true_inside_a_list():
    assert draw_graph(Value(1.0) * 2, collapse=[True]).stats["drawn"] == 2


# -- From the drawing audit: what a drawing shows after backward, folding, options ------


def test_the_norm_of_every_element_is_drawn_without_an_axis():
    # kills mut6-T28 (x.norm() recorded with the tuple of every axis, drawn
    # "axis=(0, 1)", where it was asked for none)
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    source = draw_graph(x.norm()).source
    assert op_labels(source) == ["norm"] and "axis" not in source
    assert op_labels(draw_graph(x.norm(axis=0)).source) == ["norm\naxis=(0,)"]


def test_op_parameters_are_still_drawn_after_backward():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    z = x.sum(axis=0).leaky_relu(0.2).clip(-1, 1).reshape(3, 1).sum()
    before = op_labels(draw_graph(z).source)
    z.backward()  # releases the graph's buffers (retain_graph=False)
    assert op_labels(draw_graph(z).source) == before
    assert any("axis=0" in label for label in before)
    assert any("slope=0.2" in label for label in before)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()  # still released


def test_ops_with_other_parameters_do_not_fold_as_alike_after_backward():
    x = Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    y = (x.sum(axis=0) + x.sum(axis=1) + x.sum(axis=0)).sum()
    y.backward()
    source = draw_graph(y, max_nodes=5).source
    assert "1 of 3 alike" not in source and "×3" not in source
    assert "1 of 2 alike" in source  # the two sums over axis 0
    assert "axis=0" in source and "axis=1" in source


def test_index_parameters_are_drawn_as_written_and_kept_apart():
    x = Tensor(np.arange(12.0).reshape(2, 6), requires_grad=True)
    y = (x[:, 0:2] + x[:, 2:4] + x[:, 4:6]).sum()
    labels = op_labels(draw_graph(y).source)
    for text in ("index=[:, 0:2]", "index=[:, 2:4]", "index=[:, 4:6]"):
        assert any(text in label for label in labels), labels
    assert "alike" not in draw_graph(y, max_nodes=2).source
    assert any("index=[..., None, ::2]" in label
               for label in op_labels(draw_graph(x[..., None, ::2].sum()).source))


def test_one_node_used_many_times_is_not_called_alike():
    a = Value(2.0, label="a")
    s = a + a + a + a
    v = (Value(1.0) * 2) * 3 * 4
    source = draw_graph(s * v, max_nodes=5).source
    assert 'label="×4"' in source
    assert "alike" not in source


def test_a_labelled_link_or_a_paths_from_node_is_not_merged_into_a_chain():
    xs = [Value(float(i)) for i in range(10)]
    partial = xs[0] + xs[1]
    partial.label = "partial"
    total = partial
    for x in xs[2:]:
        total = total + x
    total.label = "total"
    for options in ({}, {"paths_from": partial}):
        source = draw_graph(total, max_nodes=5, **options).source
        assert "<B>partial</B>" in source, options
    unlabelled = xs[0] + xs[1]
    total = unlabelled
    for x in xs[2:]:
        total = total + x
    assert draw_graph(total, max_nodes=5).stats["chained"] == 8  # the control


def test_norms_do_not_overflow_in_the_arrays_dtype():
    for data, shown in [(np.full(10, 300, np.float16), "norm 948.6833"),
                        (np.full(5, 1e20, np.float32), "norm 2.236e+20"),
                        (np.full(5, 1e200), "norm 2.236e+200")]:
        source = draw_graph(Tensor(data, label="t")).source
        assert shown in source, source
    assert autodiff.viz._norm(np.array([3.0, np.inf])) == math.inf
    assert math.isnan(autodiff.viz._norm(np.array([3.0, np.nan])))
    assert autodiff.viz._norm(np.zeros(3)) == 0.0


def test_a_parameter_used_outside_its_module_is_drawn_outside_its_box():
    import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3, seed=0)

        def forward(self, x):
            return self.lin(x).tanh()

    m = Block()
    x2 = Tensor(np.ones((2, 3))) @ m.lin.weight  # the weight, used before the call
    source = draw_graph(m(x2).sum(), collapse="Linear").source
    edges = set(re.findall(r"(n\d+(?:_op)?) -> (n\d+(?:_op)?)", source))
    graph: dict = {}
    for tail, head in edges:
        graph.setdefault(tail, set()).add(head)

    def reaches(start, goal):
        stack, seen = list(graph.get(start, ())), set()
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
        return False

    assert not any(reaches(node, node) for node in graph)  # no cycle
    assert "<B>weight</B>" in source  # drawn on its own, outside the box


def test_collapse_options_matching_nothing_or_of_other_kinds():
    import functools

    import nn

    model = nn.MLP([2, 3, 1])
    out = model(np.ones((4, 2))).sum()
    with pytest.raises(ValueError, match=r"collapse='linear' names no module call of this "
                                         r"graph \(its module calls: Linear\(2 -> 3\)"):
        draw_graph(out, collapse="linear")
    with pytest.raises(ValueError, match="it has no module calls"):
        draw_graph(Value(1.0) * 2, collapse="Linear")
    by_name = draw_graph(out, collapse="Linear").stats
    starts_with = functools.partial(lambda s, prefix: s.label.startswith(prefix),
                                    prefix="Linear")
    assert draw_graph(out, collapse=starts_with).stats == by_name
    assert draw_graph(out, collapse=np.True_).stats == draw_graph(out, collapse=True).stats
    assert draw_graph(out, collapse=np.False_).stats == draw_graph(out).stats
    with pytest.raises(TypeError, match="collapse takes True"):
        draw_graph(out, collapse={"Linear": 1})


def test_option_errors_name_the_option():
    out = Value(1.0) * 2
    with pytest.raises(TypeError, match="paths_from must be a Value or Tensor, a list"):
        draw_graph(out, paths_from=5)
    with pytest.raises(ValueError, match="paths_from is empty"):
        draw_graph(out, paths_from=[])
    assert draw_graph(out, max_nodes=np.int64(1)).stats["drawn"] == 1
    with pytest.raises(TypeError, match="max_nodes must be a positive int or None, got "
                                        "float"):
        draw_graph(out, max_nodes=2.0)
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_graph(out, max_nodes=0)
    with pytest.raises(ValueError, match="format 'txt' is not a Graphviz output format"):
        draw_graph(out, format="txt")
    with pytest.raises(TypeError, match="draw_step: k must be an int"):
        autodiff.draw_step(out, 1.5)


@pytest.mark.parametrize("name", ["fold", "clusters", "color_grads", "constants"])
@pytest.mark.parametrize("value", ["no", "False", 1, None])
def test_flag_options_must_be_bools(name, value):
    # any truthy object was taken as True: fold="no" folded, color_grads="no" coloured
    out = Value(1.0) * 2
    message = (f"{name} must be True or False, got {name}={re.escape(repr(value))} of type "
               f"{type(value).__name__}")
    with pytest.raises(TypeError, match=f"^draw_graph: {message}"):
        draw_graph(out, **{name: value})
    assert draw_graph(out, **{name: np.False_}).source == draw_graph(out, **{name: False}).source


def test_option_errors_name_the_function_called():
    # draw_step and the others take draw_graph's options, and named draw_graph (or, for
    # an unknown option, _Options.__init__)
    out = Value(1.0) * 2
    for who, draw in [("draw_step", lambda **o: autodiff.draw_step(out, 1, **o)),
                      ("backward_frames", lambda **o: autodiff.backward_frames(out, **o)),
                      ("save_graph", lambda **o: save_graph(out, "never.dot", **o))]:
        with pytest.raises(TypeError, match=f"^{who}: fold must be True or False, got "
                                            "fold='no'"):
            draw(fold="no")
        with pytest.raises(ValueError, match=f"^{who}: rankdir must be"):
            draw(rankdir="XY")
        with pytest.raises(TypeError, match=f"^{who}: unknown option 'colour_grads' \\(the "
                                            "options are draw_graph's: rankdir, max_nodes, "):
            draw(colour_grads=True)
    with pytest.raises(ValueError, match="^draw_step: root does not depend on any of the "
                                         "paths_from nodes"):
        autodiff.draw_step(out, 1, paths_from=Value(3.0))


@pytest.mark.parametrize("path", [None, 5, ["g.svg"]])
def test_save_graph_names_a_path_that_is_not_a_file_name(path, tmp_path):
    # it was the bare TypeError of os.fspath: "expected str, bytes or os.PathLike
    # object, not NoneType"
    with pytest.raises(TypeError, match=f"^save_graph: path must be a file name \\(a str "
                                        f"or os.PathLike\\) such as 'graph.svg', got "
                                        f"{type(path).__name__} {re.escape(repr(path))}$"):
        save_graph(Value(1.0) * 2, path)


def test_save_graph_takes_a_bytes_path(tmp_path):
    # (os.fspath keeps bytes, and the str extension test failed on them)
    path = save_graph(Value(1.0) * 2, bytes(tmp_path / "g.dot"))
    assert path == str(tmp_path / "g.dot") and "digraph" in open(path).read()


def test_save_graph_checks_the_extension_before_drawing(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("drew before checking the format")

    monkeypatch.setattr(autodiff.viz, "_draw", fail)
    with pytest.raises(ValueError, match=r"g.txt' ends in .txt, which is not a Graphviz "
                                         "output format"):
        save_graph(Value(1.0) * 2, tmp_path / "g.txt")


def test_a_number_label_set_by_hand_is_drawn():
    x = Value(2.0)
    x.label = 7
    y = x * 3
    assert "<B>7</B>" in draw_graph(y).source
    assert "7" in str(next(iter(autodiff.backward_steps(y))))
    autodiff.draw_step(y, 1)


@needs_dot
@pytest.mark.parametrize("label", ["]", "]]", "]x", "a]]>b", "w[0]"])
def test_labels_with_brackets_render(label):
    # Graphviz's HTML parser fails on a text that starts with "]"
    y = Value(1.0, label=label) * 2
    assert b"<svg" in draw_graph(y).pipe(format="svg")


def test_element_display_keeps_ints_bools_complex_and_numpy_constants():
    summary = autodiff.viz._summary
    assert summary(np.array(3)) == "3"
    assert summary(np.array(True)) == "True"
    assert summary(np.array(2**60)) == str(2**60)
    assert summary(np.array([1 + 2j])) == "[1.0000+2.0000j]"
    t = Tensor(np.ones(2), requires_grad=True)
    source = draw_graph(t * np.float32(2.5) + np.int64(3)).source
    assert "np.float32" not in source and "np.int64" not in source
    assert "2.5" in source


def test_drawing_repr_counts_nodes_and_boxes_apart():
    import nn

    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.ReLU())
    drawing = draw_graph(model(np.ones((1, 2))).sum(), collapse="Linear")
    stats = drawing.stats
    boxes = stats["drawn"] - stats["drawn_nodes"]
    assert boxes == 1
    assert repr(drawing) == (f"<Drawing: {stats['drawn_nodes']} of {stats['nodes']} nodes "
                             "drawn and 1 module box>")
    assert "(1 node inside)" in draw_graph(nn.ReLU()(Tensor(np.ones(2))),
                                           collapse=True).source


def test_each_drawing_and_each_copy_has_stats_of_its_own():
    # .copy() lost the stats (repr "<Drawing>"), and they fell back to one class-level
    # dict that every copy shared: writing to one copy's stats changed the next's
    x = Tensor([1.0, 2.0], requires_grad=True)
    drawing = draw_graph((x * x).sum())
    copy = drawing.copy()
    assert copy.stats == drawing.stats and repr(copy) == repr(drawing) != "<Drawing>"
    assert copy.source == drawing.source
    copy.stats["nodes"] = 99
    assert drawing.stats["nodes"] == 3 and drawing.copy().stats["nodes"] == 3
    blank = type(drawing)()  # a Drawing made without draw_graph
    assert blank.stats == {} and repr(blank) == "<Drawing>"
    blank.stats["nodes"] = 1
    assert type(drawing)().stats == {}


@needs_dot
def test_operands_are_laid_out_in_argument_order():
    # ordering=in on each op: a above b for a - b (dot reversed about a quarter of them)
    rnd = random.Random(1)
    reversed_pairs = pairs = 0
    for _ in range(40):
        pool = [Value(rnd.uniform(1, 2), label=f"v{i}") for i in range(4)]
        for k in range(6):
            a, b = rnd.sample(pool, 2)
            pool.append(a - b if rnd.random() < 0.5 else a / b)
            pool[-1].label = f"t{k}"
        drawing = draw_graph(pool[-1])
        plain = subprocess.run(["dot", "-Tplain"], input=drawing.source.encode(),
                               capture_output=True, check=True).stdout.decode()
        y = {f[1]: float(f[3]) for f in map(str.split, plain.splitlines())
             if f[0] == "node"}
        for op in re.findall(r"(n\d+_op) \[", drawing.source):
            inputs = re.findall(rf"(n\d+) -> {op}\b", drawing.source)
            if len(inputs) == 2 and inputs[0] != inputs[1]:
                pairs += 1
                reversed_pairs += y[inputs[0]] < y[inputs[1]]
    assert pairs > 100
    assert reversed_pairs <= 0.08 * pairs, (reversed_pairs, pairs)


def test_a_weighted_sums_edges_say_which_weight_goes_with_which_input():
    import nn

    neuron = nn.scalar.Neuron(3, seed=0)
    xs = [Value(float(i), label=f"in{i}") for i in range(3)]
    source = draw_graph(neuron(xs)).source
    labels = re.findall(r'-> n\d+_op \[label="?([^\s"]+)', source)
    assert labels == ["b", "w₁", "w₂", "w₃", "x₁", "x₂", "x₃"]
    edge_of = dict(re.findall(r'(n\d+) -> n\d+_op \[label="?([^\s"]+)', source))
    name_of = {label: name for name, label in re.findall(r'(n\d+) \[label=<.*?<B>(\w+)</B>',
                                                          source)}
    assert [edge_of[name_of[f"in{i}"]] for i in range(3)] == ["x₁", "x₂", "x₃"]


def test_a_label_starting_with_a_bracket_is_drawn_as_written():
    # kills: _escape keeping the "]" after its entity (drawn "]]x")
    source = draw_graph(Value(1.0, label="]x") * 2).source
    assert "&#93;x" in source and "&#93;]" not in source


def test_a_plain_cut_does_not_say_the_budget_was_exceeded():
    # kills: "exceeded by 0" when the drawing fits the budget exactly (over >= 0)
    y = Value(1.0)
    for _ in range(30):
        y = y * 2 + 1
    source = draw_graph(y, max_nodes=5).source
    assert "(budget max_nodes=5)" in source and "exceeded" not in source


def test_a_link_used_twice_is_not_merged_into_a_chain():
    # kills V13 (a link feeding two ops was merged into both)
    a, b, c, d = (Value(float(i), label=n) for i, n in enumerate("abcd", 1))
    s = a + b
    y = (s + c) * (s + d)
    drawing = draw_graph(y, max_nodes=5)
    assert drawing.stats["chained"] == 0 and "(chain of" not in drawing.source


def test_a_link_in_another_cluster_is_not_merged_into_a_chain():
    # kills V14 (a `+` made inside a module call merged into one outside it)
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    with scope("Inner"):
        s = a + b
    y = (s + c).tanh()
    drawing = draw_graph(y, max_nodes=4)
    assert drawing.stats["chained"] == 0 and "(chain of" not in drawing.source


def test_a_link_of_another_shape_is_not_merged_into_a_chain():
    # kills V15 (a broadcasting `+` merged with a link of another shape)
    x = Tensor(np.ones(3), requires_grad=True, label="x")
    y = Tensor(np.ones(3), requires_grad=True, label="y")
    w = Tensor(np.ones((2, 3)), requires_grad=True, label="w")
    out = ((x + y) + w).sum()
    drawing = draw_graph(out, max_nodes=4)
    assert drawing.stats["chained"] == 0 and "(chain of" not in drawing.source


def test_the_two_inputs_of_an_op_are_never_drawn_as_one_with_a_count():
    # kills V18 (look-alikes grouped among two inputs too: a * b drawn as "x2")
    a, b = Value(2.0), Value(3.0)  # (unlabelled: labelled nodes are never alike)
    p, q = a.tanh(), b.tanh()
    drawing = draw_graph(p * q, max_nodes=4)
    assert "×2" not in drawing.source and "alike" not in drawing.source


def test_equal_number_constants_of_a_chain_are_drawn_once_with_a_count():
    # kills V21 (constants grouped by identity: equal numbers made apart stayed apart)
    x = Value(0.5, label="x")
    v = x
    for _ in range(5):
        v = v + float("1.5")  # five equal floats, five objects
    drawing = draw_graph(v.tanh(), max_nodes=3)
    assert 'label="×5"' in drawing.source
    assert const_labels(drawing.source) == ["1.5"]


def test_an_unlabelled_paths_from_node_is_not_merged_into_a_chain():
    # kills V24 (only the step-through focus was kept out of chains, not paths_from)
    xs = [Value(float(i)) for i in range(10)]
    partial = xs[0] + xs[1]  # no label: only paths_from keeps it
    total = partial
    for x in xs[2:]:
        total = total + x
    drawing = draw_graph(total, max_nodes=3, paths_from=partial)
    assert drawing.stats["chained"] == 7  # the 8 links above it but the last
    assert drawing.stats["drawn"] == 2  # partial and the merged chain


def test_merged_links_are_not_counted_again_as_repeated_structure():
    # kills V25 (the links merged into chains counted among the folded nodes too)
    x = Value(0.5, label="x")
    v = x
    for _ in range(5):
        v = v + 1.5
    drawing = draw_graph(v.tanh(), max_nodes=3)
    assert drawing.stats["chained"] == 4 and drawing.stats["folded"] == 0
    assert "repeated structure" not in drawing.source


def test_fold_false_cuts_without_folding():
    # kills V26 (fold=False ignored)
    x = Value(0.5, label="x")
    v = x
    for _ in range(5):
        v = v + 1.5
    drawing = draw_graph(v.tanh(), max_nodes=3, fold=False)
    assert "chained" not in drawing.stats and "(chain of" not in drawing.source
    assert drawing.stats["cut"] == 4


def test_small_constant_arrays_are_drawn_by_their_values_large_ones_by_their_shape():
    # kills V46 (every constant array drawn by its shape)
    x = Tensor(np.ones(3), requires_grad=True)
    source = draw_graph((x * np.array([1.0, 2.0, 3.0])).sum() * np.arange(5.0)).source
    assert const_labels(source) == ["[1.0000, 2.0000, 3.0000]", "const (5,) float64"]


def test_grouped_weighted_sum_inputs_get_no_role_labels():
    # kills V53 (an edge of a folded weighted_sum, no longer one per argument, labelled
    # with the role of position -1, the last input's)
    import re

    import nn

    neuron = nn.scalar.Neuron(3, seed=0)
    xs = [Value(0.5).tanh(), Value(1.0), Value(2.0)]  # the first is not alike the rest
    source = draw_graph(neuron(xs), max_nodes=4).source
    labels = re.findall(r'-> n\d+_op \[label="?([^\s"]+)', source)
    # the five alike leaves (w1..w3, x2, x3) with no role (not "x₃"), and the bias, never
    # alike them (it is added, not a factor), with its own
    assert labels == ["b", "×5"]


def test_a_folded_weighted_sum_keeps_its_bias_apart_with_its_role():
    # the bias was grouped with the weights as one "x3" edge, drawn by the bias's box
    # (data 0), so it read as standing for the weights
    import nn

    neuron = nn.scalar.Neuron(2, seed=0)
    outs = [neuron([0.5, -0.3]), neuron([0.1, 0.9]), neuron([-0.7, 0.2])]
    loss = add_n([o * o for o in outs])
    loss.backward()
    source = draw_graph(loss, max_nodes=6).source
    edges = re.findall(r'(n\d+) -> (n\d+)_op(?: \[label="?([^\s"]+))?', source)
    into_sum = {tail: label for tail, head, label in edges
                if re.search(rf"{head}_op \[label=<weighted_sum>", source)}
    assert sorted(into_sum.values()) == ["b", "×2"]
    bias_box = next(tail for tail, label in into_sum.items() if label == "b")
    assert re.search(rf"{bias_box} \[label=<.*data 0\.0000", source)
    assert "1 of 2 alike" in source


def test_the_format_option_is_the_drawings_default_format():
    # kills V59 (format= checked, then ignored: always svg)
    assert draw_graph(Value(1.0) * 2, format="png").format == "png"


def test_a_link_used_twice_by_one_op_is_not_merged_into_a_chain():
    # kills mut6-V01 (a node pushed twice on the walk's stack, as the two inputs of
    # s + s, not counted as used twice: s was merged into the `+` that uses it twice)
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    s = a + b + c
    drawing = draw_graph((s + s).tanh(), max_nodes=2)
    assert drawing.stats["chained"] == 0 and "(chain of" not in drawing.source
    assert drawing.stats["cut"] == drawing.stats["nodes"] - 2


def test_a_chain_that_fits_the_budget_exactly_is_drawn_whole():
    # kills mut6-V26 (a graph of exactly max_nodes nodes taken as over the budget, and
    # its chain merged)
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    drawing = draw_graph(a + b + c, max_nodes=5)
    assert drawing.stats["drawn"] == drawing.stats["nodes"] == 5
    assert "chained" not in drawing.stats and "(chain of" not in drawing.source


def test_what_is_merged_folded_and_cut_adds_up_to_the_nodes_left_out():
    # kills mut6-V29 (the folded nodes counted as cut too) and mut6-V30 (a cut of 0
    # nodes put in the stats): every node is drawn, merged, folded or cut, once
    xs = [Value(float(i)) for i in range(8)]
    t = xs[0]
    for v in xs[1:]:
        t = t + v.tanh()  # a chain of 7 `+`, with 7 look-alike tanh inputs
    stats = draw_graph(t, max_nodes=4).stats
    assert "cut" not in stats
    assert stats["chained"] == 6 and stats["folded"] == 12 and stats["drawn"] == 4
    assert stats["chained"] + stats["folded"] + stats["drawn"] == stats["nodes"]
    a = Value(1.0)
    assert "cut" not in draw_graph(a.tanh() * 2.0).stats


def test_nodes_compared_but_not_alike_are_counted_as_cut_not_folded():
    # kills mut6-V48 (the nodes looked at to compare the add_n's inputs, past the cut,
    # counted as folded, though none of them is alike any other)
    p = Value(1.0, label="p")
    terms = []
    for i in range(5):
        v = p * float(i)
        for _ in range(i):  # a different depth each: no two terms alike
            v = v.sin()
        terms.append(v.tanh())
    stats = draw_graph(add_n(terms), max_nodes=5).stats
    assert stats["folded"] == 0 and stats["chained"] == 0
    assert stats["cut"] == stats["nodes"] - 5 == 17


def test_the_inputs_a_merged_link_left_out_are_counted_on_the_chain():
    # kills mut6-V08 (the off-path inputs of the links merged into a chain were not
    # added to the chain's count of inputs left out)
    xs = [Value(float(i)) for i in range(8)]
    t = xs[0]
    for v in xs[1:]:
        t = t + v.tanh()
    source = draw_graph(t, max_nodes=4, paths_from=[xs[1], xs[2]]).source
    assert 'label="6 more inputs"' in source


def test_an_input_cut_with_a_count_is_counted_that_many_times():
    # kills mut6-V32 (an edge left out counted once, whatever its count): the chain of
    # sum()'s six Values, folded into one edge x6 and cut, is six inputs left out
    vals = [Value(float(i)) for i in range(6)]
    total = sum(vals)
    source = draw_graph(total * total + total.tanh(), max_nodes=4).source
    assert 'label="6 more inputs"' in source


def test_a_module_box_groups_look_alike_inputs():
    # kills mut6-V13 (only unordered ops grouped their inputs, not module boxes)
    ins = [Value(float(i)).tanh() for i in range(3)]
    with scope("blk"):
        z = ins[0] * ins[1] * ins[2]
    drawing = draw_graph(z.sin(), collapse=True, max_nodes=3)
    assert drawing.stats["folded"] == 4  # two of the tanh, and their leaves
    assert 'label="×3"' in drawing.source


def test_boxes_of_one_label_but_of_other_sizes_are_not_alike():
    # kills mut6-V17 (a box's structure was its label alone, not its number of nodes)
    x = Value(1.0, label="x")
    outs = []
    for depth in (1, 2, 2):
        with scope("blk"):
            v = x
            for _ in range(depth):
                v = v.tanh()
        outs.append(v)
    stats = draw_graph(add_n(outs), collapse=True, max_nodes=3).stats
    # the second box of two nodes, alike the first of them (a box, not a node)
    assert stats["folded_boxes"] == 1 and stats["folded"] == 0
    assert stats["drawn_nodes"] == 1  # add_n; x is cut


def test_ops_that_left_out_other_numbers_of_inputs_are_not_alike():
    # kills mut6-V18 (the inputs left out off the paths not part of an op's structure)
    p = Value(1.0, label="p")
    cs = [Value(float(i)).exp() for i in range(5)]
    u1 = p + cs[0]  # one input off the paths from p
    u2 = (p + cs[1]) + cs[2]  # two, once the chain is merged
    u3 = (p + cs[3]) + cs[4]
    stats = draw_graph(add_n([u1.sin(), u2.sin(), u3.sin()]), paths_from=p,
                       max_nodes=4).stats
    assert stats["folded"] == 2  # u3 and its sin, alike u2's; u1's stay apart
    assert stats["cut"] == 2


def test_a_box_that_is_the_root_shows_its_output():
    # kills mut6-V44 (the root, made inside a module call drawn as a box, not noted as
    # one of the box's outputs)
    x = Value(1.0, label="x")
    with scope("blk"):
        y = x.tanh() + x.exp()
    assert "out 3.4799" in draw_graph(y, collapse=True).source


def test_an_input_used_twice_inside_a_box_is_one_edge_into_it():
    # kills mut6-V50 (a box's input listed once per use inside the box)
    x = Value(1.0, label="x")
    with scope("blk"):
        y = x.tanh() + x.exp()
    source = draw_graph(y * 2.0, collapse=True).source
    assert source.count("n0 -> n1") == 1


def test_a_node_alike_others_at_two_ops_takes_the_count_of_the_first_met():
    # kills mut6-V22 (the count of the last op met overwrote the first's): e0 stands
    # for 2 at B (the root's last input, met first) and for 3 at A
    e = [Value(float(i)).exp() for i in range(4)]  # (unlabelled, to be alike)
    a = add_n([e[0], e[1], e[2]])
    b = add_n([e[0], e[3], Value(9.0).tanh()])
    source = draw_graph(a * b, max_nodes=8).source
    assert "1 of 2 alike, drawn once" in source and "1 of 3 alike" not in source


# -- non-finite numbers in drawings (QA round 16's mutants of the tools) --------------


def test_drawings_tell_minus_inf_nan_and_a_bad_gradient_apart():
    y = Value(-1e300, label="x") * 1e300  # -inf
    assert "-inf" in draw_graph(y).source
    x = Tensor(np.array(-1.0), requires_grad=True, label="x")
    with np.errstate(invalid="ignore"):
        root = x.sqrt()  # a 0-d nan
    assert "data has nan" in draw_graph(root).source
    with pytest.raises(autodiff.AnomalyError, match="nan"), autodiff.detect_anomaly():
        with np.errstate(invalid="ignore"):
            x.sqrt()
    # a gradient gone bad while the data are fine
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="v")
    total = (v * 2.0).sum()
    total.backward()
    v.grad[0] = np.inf
    drawing = draw_graph(total)
    assert drawing.stats["nonfinite"] == 1
    assert "grad has 1 inf" in drawing.source


def test_save_graph_takes_an_upper_case_extension(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    a = Value(2.0, label="a")
    path = tmp_path / "g.SVG"
    save_graph(a * 3, str(path))
    assert b"<svg" in path.read_bytes()


def test_a_folded_chain_draws_each_constant_once_under_its_own_name():
    # a + 1 + 2 + 3 folded over budget: three constants, three DOT names (one name
    # would make Graphviz merge them into one node), none counted twice
    y = Value(1.0, label="a") + 1.0 + 2.0 + 3.0
    source = draw_graph(y, max_nodes=1).source
    constants = re.findall(r"^\s*(n\d+_c\d*) \[label=<(\S+)> ", source, re.M)
    assert sorted(label for _, label in constants) == ["1", "2", "3"]
    assert len({name for name, _ in constants}) == 3
    assert "×" not in source


def test_an_infinite_gradient_stays_off_the_colour_scale():
    x = Value(1.0, label="x")
    y = (x * 1e300) * 1e300  # dy/dx = inf; the other gradients are 1e300 and 1
    y.backward()
    source = draw_graph(y, color_grads=True).source
    assert "pale 1 to dark red 1e+300" in source
    assert "inf" not in re.search(r"Colour: [^<]*", source).group(0)


def test_folding_keeps_results_of_different_modules_apart():
    # A's two calls fold into one box drawn x2; B's look-alike result is B's own
    import nn

    class A(nn.Module):
        def forward(self, x):
            return x * 2.0

    class B(nn.Module):
        def forward(self, x):
            return x * 2.0

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a1, self.a2, self.b = A(), A(), B()

        def forward(self, x):
            return self.a1(x) + self.a2(x) + self.b(x)

    drawing = draw_graph(Net()(Tensor(np.ones(3), requires_grad=True, label="x")), max_nodes=3)
    assert sorted(re.findall(r"label=<([AB])>", drawing.source)) == ["A", "B"]
    assert re.findall(r'label="×(\d+)"', drawing.source) == ["2"]


def test_a_parameter_of_a_module_called_twice_is_drawn_outside_its_boxes():
    import nn

    class Gate(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = Tensor(np.ones(2), requires_grad=True, label="w")

        def forward(self, x, use):
            return x * self.w if use else x * 2.0

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.g = Gate()

        def forward(self, x):
            return self.g(x, False) + self.g(x, True)

    depth, where = 0, None
    for line in draw_graph(Net()(Tensor(np.ones(2), label="x")).sum()).source.splitlines():
        depth += "subgraph" in line
        depth -= line.strip() == "}"
        if ">w<" in line:
            where = depth
    assert where == 0  # not inside the second call's box


def test_the_colour_scale_of_gradients_reads_from_pale_to_dark():
    a = Value(0.01, label="a")
    y = a * 1000.0  # gradients 1 (y) and 1000 (a)
    y.backward()
    assert "pale 1 to dark red 1e+03" in draw_graph(y, color_grads=True).source
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = a + b  # every |grad| is 1: one magnitude, drawn mid-scale (not the darkest,
    y.backward()  # which reads as "the largest gradients here")
    source = draw_graph(y, color_grads=True).source
    assert set(re.findall(r'BGCOLOR="(#[0-9a-f]+)"', source)) == {"#fd8d3c"}
    assert "every |grad| is 1, so one colour" in source and "dark red" not in source


# -- From the drawing audit of round 18 (how drawings look and read) --------------------


def svg_gaps(svg):
    """The distance (pt) from the start of each edge leaving a node box to that box."""
    boxes, gaps = {}, {}
    pattern = r'<g id="(?:node|edge)\d+" class="(node|edge)">\s*<title>(.*?)</title>(.*?)</g>'
    for kind, title, body in re.findall(pattern, svg, re.S):
        if kind == "node":
            points = re.search(r'<polygon[^>]*points="([^"]*)"', body)
            if points and not title.endswith("_op"):
                xy = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
                xs, ys = [p[0] for p in xy], [p[1] for p in xy]
                boxes[title] = (min(xs), max(xs), min(ys), max(ys))
        else:
            tail = html.unescape(title).split("->")[0]
            if tail in boxes:
                x, y = map(float, re.search(r'd="M([-\d.]+),([-\d.]+)', body).groups())
                x0, x1, y0, y1 = boxes[tail]
                dx, dy = max(x0 - x, 0, x - x1), max(y0 - y, 0, y - y1)
                gaps[html.unescape(title)] = math.hypot(dx, dy)
    return gaps


def tanh_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def test_boxes_constants_and_notes_are_no_bigger_than_what_they_draw():
    # dot's minimum node size (0.75in x 0.5in) is taller than a one-row box: edges were
    # clipped at that invisible size and started 8pt away from the box drawn
    y = Value(3.0, label="c") * 2 + add_n([Value(float(i)) for i in range(9)])
    source = draw_graph(y, max_nodes=5, fold=False).source  # (cut: "7 more inputs")
    sized = [line for line in source.splitlines()
             if re.match(r"\s*n\d+(_c\d+|_more)? \[label=", line)]
    assert any("_c" in line for line in sized) and any("_more" in line for line in sized)
    for line in sized:
        assert "height=0" in line and "width=0" in line and "shape=none" in line, line


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_arrows_start_at_the_boxes_they_leave(rankdir):
    o = tanh_neuron()
    gaps = svg_gaps(draw_graph(o, rankdir=rankdir).pipe(format="svg").decode())
    assert len(gaps) == 9 and max(gaps.values()) < 1.0, gaps  # (8pt before)
    # a constant's edge starts at its text: "2" is some 6pt wide (27pt away before)
    c = Value(3.0, label="c")
    svg = draw_graph(2 * c).pipe(format="svg").decode()
    text_x = float(re.search(r'<title>n1_c1</title>\s*<text[^>]*x="([-\d.]+)"', svg)[1])
    edge_x = float(re.search(r'<title>n1_c1&#45;&gt;n1_op</title>\s*<path[^>]*d="M([-\d.]+)',
                             svg)[1])
    assert 0 < edge_x - text_x < 12


def order_labels(source):
    """[(op label, [(input's node name, its order label or "")])] of the ops drawn."""
    ops = dict(re.findall(rf"(n\d+_op) \[{TEXT_LABEL}", source))
    found: dict = {head: [] for head in ops}
    for tail, head, label in re.findall(r'(n\d+(?:_c\d+)?) -> (n\d+_op) \[(?:.*?xlabel="?'
                                        r'([^\s"]+))?', source):
        found[head].append((tail, label))
    return [(html_text(ops[head]), edges) for head, edges in found.items()]


def test_the_inputs_of_an_op_whose_order_matters_are_labelled_in_argument_order():
    # b - a and a / b need a and b in opposite places: no layout shows both orders
    a, b = Value(5.0, label="a"), Value(2.0, label="b")
    source = draw_graph((b - a) + a / b + a ** 2 + 2 ** b + a * b).source
    name = {label: n for n, label in re.findall(r"(n\d+) \[label=<.*?<B>(\w)</B>", source)}
    found = dict(order_labels(source))  # (one op of each kind but + and **)
    assert found["-"] == [(name["b"], "1st"), (name["a"], "2nd")]
    assert found["/"] == [(name["a"], "1st"), (name["b"], "2nd")]
    assert found["*"] == [(name["a"], ""), (name["b"], "")]  # commutative: unlabelled
    # a ** 2 and 2 ** b: a is the 1st input of one, b the 2nd of the other, the two
    # constants 2 the others
    powers = [edges for op, edges in order_labels(source) if op == "**"]
    assert [label for edges in powers for _, label in edges] == ["1st", "2nd"] * 2
    assert {(name["a"], "1st"), (name["b"], "2nd")} <= {e for edges in powers for e in edges}
    assert all(label == "" for op, edges in order_labels(source) if op == "+"
               for _, label in edges)


def test_tensor_ops_whose_order_matters_label_their_inputs():
    x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
    y = Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True, label="y")
    for made, op, count in [(x @ y, "@", 2), (autodiff.where(x.data > 0, x, y), "where", 3),
                            (autodiff.concatenate([x, y, x]), "concatenate\naxis=0", 3),
                            (x.clip(0, 1), "clip", 3)]:
        labels = [label for _, label in dict(order_labels(draw_graph(made).source))[op]]
        assert labels == ["1st", "2nd", "3rd"][:count], op
    for made, op in [(x + y, "+"), (x * y, "*"), (add_n([x, y, x]), "add_n")]:
        assert {label for _, label in dict(order_labels(draw_graph(made).source))[op]} == {""}
    assert [autodiff.viz._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]


def test_a_labelled_node_is_never_hidden_among_look_alikes():
    xs = [Value(float(i)) for i in range(200)]
    xs[57].label = "special"
    squares = [x * x for x in xs]
    loss = sum(squares)
    loss.label = "loss"
    source = draw_graph(loss).source
    assert "<B>special</B>" in source  # and so is its square, which depends on it
    assert 'label="×199"' in source and "1 of 199 alike" in source
    # nodes of one label still fold (every nn layer labels its parameters "weight"),
    # the box drawn showing that label
    ws = [Value(float(i), label="w") for i in range(200)]
    source = draw_graph(sum(w * w for w in ws)).source
    assert 'label="×200"' in source and source.count("<B>w</B>") == 1


def test_a_count_of_look_alikes_does_not_read_as_a_variable_name():
    # leaves labelled x0..x999 were drawn as one box x0 with an edge "x1000"
    vals = [Value(float(i)) for i in range(1000)]
    source = draw_graph(sum(vals)).source
    assert 'label="×1000"' in source and "marked ×N" in source
    assert not re.search(r'label="?x\d', source)


def test_a_chain_with_constants_is_weighted_to_stay_straight():
    # each op sat between its input and its constant, half a row lower at each step
    y = Value(0.5, label="x")
    for _ in range(30):
        y = (y * 1.0001).tanh()
    source = draw_graph(y).source
    node_edges = re.findall(r"^\s*n\d+(?:_op)? -> n\d+(?:_op)?\b.*$", source, re.M)
    const_edges = re.findall(r"^\s*n\d+_c\d+ -> .*$", source, re.M)
    assert len(node_edges) == 120 and len(const_edges) == 30
    assert all("weight=10" in edge for edge in node_edges)
    assert not any("weight" in edge for edge in const_edges)
    if shutil.which("dot"):  # 30 steps: as tall as one (it was 10 times taller)
        svg = draw_graph(y).pipe(format="svg").decode()
        assert float(re.search(r'<svg width="[^"]*" height="([\d.]+)pt"', svg)[1]) < 150


def test_newlines_in_labels_and_the_title_are_line_breaks():
    h = Value(0.5, label="hidden\nunit 1")
    t = Tensor(np.ones(2), requires_grad=True, label="input\nbatch")
    assert "<B>hidden<BR/>unit 1</B>" in draw_graph(h).source
    assert "<B>input<BR/>batch</B>" in draw_graph(t).source
    source = draw_graph(h * 2, title="Lecture 3\nFigure 2").source
    assert 'Lecture 3<BR ALIGN="LEFT"/>Figure 2<BR ALIGN="LEFT"/>' in source
    if shutil.which("dot"):
        svg = draw_graph(h * 2, title="Lecture 3\nFigure 2").pipe(format="svg").decode()
        texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
        assert {"Lecture 3", "Figure 2", "hidden", "unit 1"} <= set(texts)


class _PassMode(autodiff.Function):
    """2 x, with a constant argument that says nothing (its repr is what is drawn)."""

    @staticmethod
    def forward(ctx, x, mode):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return 2 * g, None


def test_constants_and_op_labels_are_drawn_as_typed():
    import enum

    class Mode(enum.Enum):
        FAST = 1

    class Tag:
        def __repr__(self):
            return "<R&D>"

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="x")
    for mode, drawn in [(Mode.FAST, "<Mode.FAST: 1>"), (Tag(), "<R&D>"),
                        ("a\\Nb", repr("a\\Nb"))]:
        drawing = draw_graph(_PassMode.apply(x, mode))
        assert const_labels(drawing.source) == [drawn]
        if shutil.which("dot"):  # <R&D> made dot fail; <Mode.FAST: 1> lost its brackets
            svg = drawing.pipe(format="svg").decode()
            texts = [html.unescape(t).replace("\u2060", "")
                     for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
            assert drawn in texts
    assert op_labels(draw_graph(_PassMode.apply(x, 1)).source) == ["_PassMode"]


@needs_dot
def test_a_dot_failure_is_a_clear_error():
    drawing = draw_graph(Value(1.0) * 2)
    drawing.body.append("\tbroken [label=<<B>unclosed>]\n")
    with pytest.raises(RuntimeError, match=r"Graphviz's dot could not render the "
                                           r"drawing \(it said: .*\)\..*`\.source`"):
        drawing.pipe(format="svg")


def test_a_tensor_changed_in_place_after_use_is_marked():
    import nn

    w = Tensor(np.array([2.0]), requires_grad=True, label="w")
    x = Tensor(np.array([3.0]), label="x")
    y = w * x
    loss = (y ** 2).sum()
    loss.backward()
    before = draw_graph(loss)
    assert "changed" not in before.source and "changed" not in before.stats
    nn.optim.SGD([w], lr=0.1).step()  # w is now -1.6; y still holds 2 * 3
    drawing = draw_graph(loss)
    w_line = next(line for line in node_lines(drawing.source) if "<B>w</B>" in line)
    x_line = next(line for line in node_lines(drawing.source) if "<B>x</B>" in line)
    assert "changed in place after use" in w_line and "changed" not in x_line
    assert drawing.stats["changed"] == 1
    assert ("1 node marked 'changed in place after use': it was changed in place (by an "
            "optimizer's step, say) after this graph was computed, so the values "
            "computed from it are from before the change") in html_text(drawing.source)


def test_a_drawing_pickles():
    import pickle

    drawing = draw_graph(tanh_neuron())
    again = pickle.loads(pickle.dumps(drawing))
    assert type(again) is type(drawing) and again.source == drawing.source
    assert again.stats == drawing.stats and repr(again) == repr(drawing)
    # and in a fresh process, where the class is made when unpickling asks for it
    code = ("import pickle, sys; d = pickle.loads(sys.stdin.buffer.read()); "
            "print(type(d).__name__, repr(d))")
    out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(drawing),
                         capture_output=True, check=True).stdout.decode()
    assert out.strip() == f"Drawing {drawing!r}"


def test_a_collapsed_box_shows_the_label_and_value_of_a_number_it_outputs():
    import nn

    x = Tensor(np.ones((2, 4)), label="x")
    loss = nn.CrossEntropyLoss()(nn.MLP([4, 3], seed=0)(x), np.array([0, 1]))
    loss.label = "loss"
    source = html_text(draw_graph(loss, collapse=True).source)
    assert f"out loss: () float64, data {loss.item():.4f}" in source
    assert "out (2, 3) float64" in source  # the MLP's output: a shape, no value


def test_jupyter_without_dot_shows_the_install_hint_not_a_traceback(tmp_path, monkeypatch,
                                                                    capsys):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` there
    drawing = draw_graph(Value(2.0, label="a") * 3)
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("Cannot render the drawing: ")
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert ".source" in bundle["text/plain"]
    data, _ = InteractiveShell.instance().display_formatter.format(drawing)
    assert data["text/plain"] == bundle["text/plain"] and "image/svg+xml" not in data
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
