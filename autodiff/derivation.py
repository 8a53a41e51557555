"""The chain rule written out, numbers filled in: `derivation(root, leaf)`.

For a small graph of Values, d(root)/d(leaf) is the sum, over every path from the leaf
up to the root, of the product of the local derivatives along the path. `derivation`
writes that sum for a handout, as Markdown or LaTeX: the forward values (and those of
the inputs held fixed that the formulas name), each local
derivative named (dc/da = b = -3.0000) and evaluated, each path's product, and the
total, which equals `leaf.grad` after `root.backward()` (from zero grads).
"""

from __future__ import annotations

import math

from . import backends
from .graph import Node
from .value import Value
from .viz import _collect, _constant, _num, _whole

__all__ = ["derivation", "Derivation"]


class Derivation(str):
    """The text of a derivation (a str), with its numbers attached.

    Attributes:
        total: d(root)/d(leaf), the sum of the path products.
        paths: one list per path, from the root down to the leaf, of
            (child, parent, local derivative) triples.
        format: "markdown" or "latex".
    """

    total: float
    paths: list
    format: str

    def _repr_markdown_(self) -> str | None:
        return str(self) if self.format == "markdown" else None

    def _repr_latex_(self) -> str | None:
        return str(self) if self.format == "latex" else None


# Per op: how the result is written, and its derivative with respect to each input.
# {0}, {1}: the inputs; {c}: the result; {slope}: leaky_relu's parameter. A derivative
# list shorter than the inputs repeats its last entry (add_n).
_TEXT = {
    "+": ("{0} + {1}", ["1", "1"]),
    "add_n": (None, ["1"]),
    "-": ("{0} - {1}", ["1", "-1"]),
    "*": ("{0} · {1}", ["{1}", "{0}"]),
    "/": ("{0} / {1}", ["1/{1}", "-{0}/{1}²"]),
    "**": ("{0}^{1}", ["{1} · {0}^({1} - 1)", "{c} · ln {0}"]),
    "neg": ("-{0}", ["-1"]),
    "exp": ("exp({0})", ["exp({0})"]),
    "log": ("ln({0})", ["1/{0}"]),
    "sqrt": ("√{0}", ["1/(2√{0})"]),
    "abs": ("|{0}|", ["sign({0})"]),
    "tanh": ("tanh({0})", ["1 - {c}²"]),
    "sigmoid": ("σ({0})", ["{c} · (1 - {c})"]),
    "relu": ("relu({0})", ["[{0} > 0]"]),
    "leaky_relu": ("leaky_relu({0})", ["1 if {0} > 0 else {slope}"]),
    "sin": ("sin({0})", ["cos({0})"]),
    "cos": ("cos({0})", ["-sin({0})"]),
}

_LATEX = {
    "+": ("{0} + {1}", ["1", "1"]),
    "add_n": (None, ["1"]),
    "-": ("{0} - {1}", ["1", "-1"]),
    "*": (r"{0} \cdot {1}", ["{1}", "{0}"]),
    "/": (r"\frac{{{0}}}{{{1}}}", [r"\frac{{1}}{{{1}}}", r"-\frac{{{0}}}{{{1}^2}}"]),
    "**": ("{0}^{{{1}}}", [r"{1} \, {0}^{{{1} - 1}}", r"{c} \, \ln {0}"]),
    "neg": ("-{0}", ["-1"]),
    "exp": ("e^{{{0}}}", ["e^{{{0}}}"]),
    "log": (r"\ln {0}", [r"\frac{{1}}{{{0}}}"]),
    "sqrt": (r"\sqrt{{{0}}}", [r"\frac{{1}}{{2\sqrt{{{0}}}}}"]),
    "abs": (r"\lvert {0} \rvert", [r"\operatorname{{sign}}({0})"]),
    "tanh": (r"\tanh({0})", ["1 - {c}^2"]),
    "sigmoid": (r"\sigma({0})", [r"{c}\,(1 - {c})"]),
    "relu": (r"\operatorname{{relu}}({0})", [r"[{0} > 0]"]),
    "leaky_relu": (r"\operatorname{{leaky\_relu}}({0})",
                   [r"\begin{{cases}}1 & {0} > 0\\ {slope} & \text{{else}}\end{{cases}}"]),
    "sin": (r"\sin({0})", [r"\cos({0})"]),
    "cos": (r"\cos({0})", [r"-\sin({0})"]),
}


class _Writer:
    """Names and number formats of one output format."""

    def __init__(self, latex: bool, names: dict[int, str]):
        self.latex = latex
        self.names = names
        self.table = _LATEX if latex else _TEXT

    def name(self, node: Node) -> str:
        return self.names[id(node)]

    def number(self, x: float, wrap: bool = False, constant: bool = False) -> str:
        """`x` in 4 decimals (or e-notation); with `wrap`, in parentheses where a sign or
        a power of 10 would misread, and without trailing zeros where that is `x`
        exactly (0.5, 1): zeros kept say the number was rounded (0.99999 is 1.0000, not
        1). A `constant` of the graph is written as the drawings write it (0.99999)."""
        if self.latex and not math.isfinite(x):
            text = r"\text{nan}" if math.isnan(x) else (r"\infty" if x > 0 else r"-\infty")
            return f"({text})" if wrap and x < 0 else text
        text = _constant(x) if constant else _num(x)
        rounded = text.endswith("…")
        text = text.removesuffix("…")
        if wrap and "." in text and "e" not in text:
            short = text.rstrip("0").rstrip(".")
            text = short if float(short) == x or rounded else text
        if self.latex and "e" in text:
            mantissa, exponent = text.split("e")
            text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
        if rounded:
            text += r"\ldots" if self.latex else "…"
        return f"({text})" if wrap and (x < 0 or "times" in text) else text

    def operand(self, x) -> str:
        if isinstance(x, Node):
            return self.name(x)
        return self.number(float(x), wrap=True, constant=True)

    def partial(self, top: Node, bottom: Node) -> str:
        if self.latex:
            return rf"\frac{{\partial {self.name(top)}}}{{\partial {self.name(bottom)}}}"
        return f"∂{self.name(top)}/∂{self.name(bottom)}"

    def definition(self, node: Node) -> str | None:
        """`a · b` for the node made by a * b (None when the op is not in the table)."""
        entry = self.table.get(node.op)
        operands = [self.operand(p) for p in node._parents]
        if node.op == "add_n":
            return " + ".join(operands)
        if node.op == "weighted_sum":  # b + w1 x1 + ... + wn xn, inputs (b, w..., x...)
            n = (len(operands) - 1) // 2
            times = r" \cdot " if self.latex else " · "
            return " + ".join([operands[0]] + [f"{operands[1 + i]}{times}{operands[1 + n + i]}"
                                                for i in range(n)])
        if entry is None or entry[0] is None:
            return None
        return entry[0].format(*operands, c=self.name(node), **self._params(node))

    def local(self, node: Node, parent: Node) -> str | None:
        """The formula of d(node)/d(parent), summed over the positions parent is at."""
        if node.op == "weighted_sum":  # d/db = 1, d/dwi = xi, d/dxi = wi
            operands = [self.operand(p) for p in node._parents]
            n = (len(operands) - 1) // 2
            partner = [None] + list(range(1 + n, 1 + 2 * n)) + list(range(1, 1 + n))
            return " + ".join("1" if i == 0 else operands[partner[i]]
                              for i, p in enumerate(node._parents) if p is parent)
        entry = self.table.get(node.op)
        if entry is None:
            return None
        operands = [self.operand(p) for p in node._parents]
        terms = []
        for i, p in enumerate(node._parents):
            if p is parent:
                rules = entry[1]
                template = rules[min(i, len(rules) - 1)]
                terms.append(template.format(*operands, c=self.name(node),
                                             **self._params(node)))
        return " + ".join(terms)

    def _params(self, node: Node) -> dict:
        ctx = node._ctx if isinstance(node._ctx, dict) else {}
        return {k: self.number(v) if isinstance(v, float) else v for k, v in ctx.items()}


# Characters that Markdown or LaTeX would read as markup, and how to write them
_MARKDOWN_SPECIAL = "\\`*_{}[]<>#|$"
_LATEX_SPECIAL = {"\\": r"\backslash ", "_": r"\_", "{": r"\{", "}": r"\}", "&": r"\&",
                  "#": r"\#", "%": r"\%", "$": r"\$", "^": r"\hat{}", "~": r"\sim "}


def _names(nodes: list[Node], latex: bool) -> dict[int, str]:
    """A symbol per node: its label, else u1, u2... in forward order. Nodes that share
    a label are told apart by primes (w, w', w''...), so that `w · w` of two different
    w's cannot read as a square."""
    names, used, counter = {}, {str(n.label) for n in nodes if n.label}, 0
    taken: set[str] = set()  # the names given so far
    for node in nodes:
        label = " ".join(str(node.label).split()) if node.label else ""  # one line
        if not label:
            counter += 1
            while f"u{counter}" in used:
                counter += 1
            names[id(node)] = f"u_{{{counter}}}" if latex else f"u{counter}"
            continue
        if latex:
            escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in label)
            name, prime = (escaped if len(label) == 1 else rf"\mathrm{{{escaped}}}"), "'"
        else:
            name = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in label)
            if any(ch in label for ch in " +-*/·^()"):  # x1*w1 + x2*w2: one symbol
                name = f"({name})"
            prime = "′"
        while name in taken:  # another node already has it (a label w, or w')
            name += prime
        taken.add(name)
        names[id(node)] = name
    return names


def _local_value(node: Node, parent: Node) -> float:
    """d(node)/d(parent) at the forward values, by the op's own backward rule."""
    op = node._op
    data = [p.data if isinstance(p, Node) else p for p in node._parents]
    params = node._ctx if isinstance(node._ctx, dict) else {}
    try:
        if op.needs_input_grad:
            needs = tuple(p is parent for p in node._parents)
            grads = op.backward(backends.SCALAR, 1.0, node.data, *data, needs=needs,
                                **params)
        else:
            grads = op.backward(backends.SCALAR, 1.0, node.data, *data, **params)
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"derivation: the local derivative of op '{op.name}' at "
                          f"{node!r}: {error}") from None
    return math.fsum(float(g) for p, g in zip(node._parents, grads, strict=False) if p is parent)


def derivation(root: Value, leaf: Value, format: str = "markdown",
               max_paths: int = 64) -> Derivation:
    """d(root)/d(leaf) by the chain rule, written out with the numbers filled in.

    Args:
        root: the Value at the top (a loss, say).
        leaf: the Value to differentiate with respect to (any node root depends on).
        format: "markdown" (plain-text math, readable anywhere) or "latex" (align*
            environments for a handout).
        max_paths: refuse graphs with more paths than this from leaf to root (a
            derivation of thousands of terms helps nobody).

    Returns:
        a `Derivation`: the text (a str), with `.total` (equal to `leaf.grad` after
        `root.backward()` from zero grads) and `.paths`.

    Raises:
        TypeError: root or leaf is not a Value.
        ValueError: root does not depend on leaf; too many paths; an unknown format.
    """
    if not isinstance(root, Value) or not isinstance(leaf, Value):
        raise TypeError(f"derivation: root and leaf must be Values, got "
                        f"{type(root).__name__} and {type(leaf).__name__}")
    if format not in ("markdown", "latex"):
        raise ValueError(f"derivation: format must be 'markdown' or 'latex', got {format!r}")
    max_paths = _whole(max_paths, "derivation: max_paths", "an int")
    nodes = _collect(root)
    # Nodes that depend on leaf (leaf included): the only ones on its paths to root.
    on_path: set[int] = {id(leaf)}
    for node in nodes:
        if any(isinstance(p, Node) and id(p) in on_path for p in node._parents):
            on_path.add(id(node))
    if id(root) not in on_path:
        raise ValueError("derivation: root does not depend on leaf")
    count: dict[int, int] = {}
    for node in nodes:
        if id(node) == id(leaf):
            count[id(node)] = 1
        elif id(node) in on_path:
            parents = {id(p): p for p in node._parents if isinstance(p, Node)}
            count[id(node)] = sum(count.get(pid, 0) for pid in parents)
    if count[id(root)] > max_paths:
        raise ValueError(f"derivation: {count[id(root)]} paths lead from leaf to root, more "
                         f"than max_paths={max_paths}; choose a smaller graph")

    # Every path, root first, as (child, parent, local derivative) steps. The walk keeps
    # each path so far as a linked list (step, rest): copying it at every node would
    # cost the square of a long chain's length.
    local: dict[tuple[int, int], float] = {}
    paths: list[list] = []
    stack: list[tuple[Node, tuple | None]] = [(root, None)]
    while stack:
        node, steps = stack.pop()
        if node is leaf:
            path = []
            while steps is not None:
                step, steps = steps
                path.append(step)
            paths.append(path[::-1])
            continue
        distinct = []
        for p in node._parents:
            if isinstance(p, Node) and id(p) in on_path and all(p is not q for q in distinct):
                distinct.append(p)
        for parent in reversed(distinct):
            key = (id(node), id(parent))
            if key not in local:
                local[key] = _local_value(node, parent)
            stack.append((parent, ((node, parent, local[key]), steps)))
    products = [math.prod(value for _, _, value in steps) for steps in paths]
    total = math.fsum(products)

    latex = format == "latex"
    w = _Writer(latex, _names(nodes, latex))
    text = (_latex if latex else _markdown)(root, leaf, nodes, on_path, paths, products,
                                            total, w)
    result = Derivation(text)
    result.total = total
    result.paths = paths
    result.format = format
    return result


def _edges_in_order(paths: list) -> list[tuple[Node, Node, float]]:
    """Each (child, parent, value) once, from the root downwards."""
    seen, edges = set(), []
    for steps in paths:
        for child, parent, value in steps:
            if (id(child), id(parent)) not in seen:
                seen.add((id(child), id(parent)))
                edges.append((child, parent, value))
    return edges


def _factors(steps: list, w: _Writer, times: str, wrap: bool = False) -> str:
    """The numbers of one path's factors: `(-2) · 1 · (-3)`, or one number alone (in
    parentheses if negative and `wrap`, as a term of a sum)."""
    if not steps:
        return "1"
    if len(steps) == 1:
        return w.number(steps[0][2], wrap=wrap)
    return times.join(w.number(v, wrap=True) for _, _, v in steps)


def _held_fixed(nodes, on_path, leaf) -> list[Node]:
    """The nodes that the formulas name without depending on leaf (a weight beside it,
    b ** 2 of another input): their values, in forward order, make each line
    evaluable."""
    named = {id(p): p for node in nodes if id(node) in on_path and node is not leaf
             for p in node._parents if isinstance(p, Node) and id(p) not in on_path}
    return [node for node in nodes if id(node) in named]


def _markdown(root, leaf, nodes, on_path, paths, products, total, w) -> str:
    r, x = w.name(root), w.name(leaf)
    lines = [f"### d{r}/d{x} by the chain rule", ""]
    fixed = _held_fixed(nodes, on_path, leaf)
    if fixed:
        lines += [f"Held fixed (they do not depend on {x}): "
                  + ", ".join(f"{w.name(n)} = {w.number(n.data)}" for n in fixed) + ".", ""]
    lines += [f"Forward pass (the nodes between {x} and {r}):", ""]
    lines.append(f"- {x} = {w.number(leaf.data)}")
    for node in nodes:
        if id(node) in on_path and node is not leaf:
            definition = w.definition(node)
            body = f"{definition} = " if definition else f"{node.op}(...) = "
            lines.append(f"- {w.name(node)} = {body}{w.number(node.data)}")
    lines += ["", "Local derivatives, each evaluated at the forward values:", ""]
    for child, parent, value in _edges_in_order(paths):
        formula = w.local(child, parent)
        middle = f"{formula} = " if formula else ""
        lines.append(f"- {w.partial(child, parent)} = {middle}{w.number(value)}")
    lines += ["", f"Paths from {x} up to {r} (multiply along each path, then add the "
              "paths):", ""]
    for i, (steps, product) in enumerate(zip(paths, products, strict=True), 1):
        route = " → ".join([x] + [w.name(c) for c, _, _ in reversed(steps)])
        factors = " · ".join(w.partial(c, p) for c, p, _ in steps) or "1"
        numbers = _factors(steps, w, " · ")
        # a path of one factor (or none) is its own product: "= 3.0000" once, not twice
        result = f" = {w.number(product)}" if len(steps) > 1 else ""
        lines.append(f"{i}. {route}: {factors} = {numbers}{result}")
    sum_text = " + ".join(w.number(p, wrap=True) for p in products)
    lines += ["", f"**d{r}/d{x} = {sum_text} = {w.number(total)}**"
              if len(products) > 1 else f"**d{r}/d{x} = {w.number(total)}**", ""]
    return "\n".join(lines)


def _latex(root, leaf, nodes, on_path, paths, products, total, w) -> str:
    r, x = w.name(root), w.name(leaf)
    lines = [r"\begin{align*}"]
    fixed = _held_fixed(nodes, on_path, leaf)
    if fixed:
        lines.append(r"% Held fixed (not depending on the leaf)")
        lines += [rf"{w.name(n)} &= {w.number(n.data)} \\" for n in fixed]
    lines += [r"% Forward pass", rf"{x} &= {w.number(leaf.data)} \\"]
    for node in nodes:
        if id(node) in on_path and node is not leaf:
            definition = w.definition(node)
            op = node.op.replace("_", r"\_")
            body = f"{definition} = " if definition else rf"\operatorname{{{op}}}(\dots) = "
            lines.append(rf"{w.name(node)} &= {body}{w.number(node.data)} \\")
    lines[-1] = lines[-1].removesuffix(r" \\")
    lines += [r"\end{align*}", r"\begin{align*}", r"% Local derivatives"]
    for child, parent, value in _edges_in_order(paths):
        formula = w.local(child, parent)
        middle = f"{formula} = " if formula else ""
        lines.append(rf"{w.partial(child, parent)} &= {middle}{w.number(value)} \\")
    lines[-1] = lines[-1].removesuffix(r" \\")
    lines += [r"\end{align*}", r"\begin{align*}",
              r"% Chain rule: sum over paths of products"]
    factors = " + ".join(r"\,".join(w.partial(c, p) for c, p, _ in steps) or "1"
                         for steps in paths)
    numbers = " + ".join(_factors(steps, w, r" \cdot ", wrap=len(paths) > 1) for steps in paths)
    # the total derivative d, as in the Markdown, from the partials ∂ of each path
    lines.append(rf"\frac{{d {r}}}{{d {x}}} &= {factors} \\")
    if len(paths) > 1 or any(len(steps) > 1 for steps in paths):
        lines.append(rf"&= {numbers} \\")  # (one factor, or none, is the total itself)
    lines.append(rf"&= {w.number(total)}")
    lines.append(r"\end{align*}")
    return "\n".join(lines)
