"""Drawings of computation graphs: `draw_graph(root)` returns a `graphviz.Digraph`.

The drawing follows micrograd's: every node is a box (label, data, grad) and every op
a small oval between its inputs and its result. On top of that:

- nodes made inside an `nn` module's forward (`node.scope`) are grouped into labelled
  clusters, nested as the module calls nest; `collapse=` draws chosen module calls as
  one box each;
- a graph of more than `max_nodes` nodes is folded: chains of `+` (or `*`) whose links
  feed nothing else become one op, inputs of one op that have the same structure are
  drawn once with a count (`×16`), and if that is not enough only the nodes nearest the
  root are kept. A caption says what was left out;
- the inputs of an op whose order matters (`-`, `/`, `**`, `@`, `where`...) are
  labelled 1st, 2nd... in argument order (`+`, `*` and `add_n` are left unlabelled);
- a Tensor changed in place after the graph used it (by an optimizer's step) is marked:
  the values computed from it are from before the change;
- `color_grads=True` shades nodes by |grad| on a log scale; NaN and infinity are
  marked with a red border and a note.

Drawing only reads the graph: no node, grad or buffer is changed. The `graphviz`
package is imported when a drawing is made, never at `import autodiff`, and rendering
needs the Graphviz `dot` program (see `GraphvizNotFoundError`).
"""

from __future__ import annotations

import html
import inspect
import math
import operator
import os
from collections.abc import Iterable

import numpy as np

from .graph import Node, Scope, check_flag

__all__ = ["draw_graph", "save_graph", "GraphvizNotFoundError"]

DEFAULT_MAX_NODES = 150

INSTALL_HINT = (
    "Install the Graphviz programs (the Python package `graphviz` alone is not enough): "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/"
)


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs the Graphviz `dot` program, and it is not on PATH.

    The drawing itself is fine: its DOT source is still available as `.source`.
    """


# Ops whose chains (x + y + z built as (x + y) + z) fold into one n-ary op, and whose
# inputs may be grouped when they look alike: their inputs' order does not matter.
_CHAIN_OPS = frozenset({"+", "*"})
# Ops whose look-alike inputs a folded drawing may show once with a count. For
# weighted_sum the inputs are pairs (w_i, x_i) in any order, so alike weights and alike
# inputs group as well.
_UNORDERED_OPS = frozenset({"+", "*", "add_n", "weighted_sum"})

# Light yellow to dark red (ColorBrewer's YlOrRd), for |grad| on a log scale.
_HEAT = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c",
         "#b10026"]
_CLUSTER_FILLS = ["#f3f7fd", "#e6eefa", "#d9e5f6", "#ccdcf2"]
_BAD = "#d62728"  # border and note of a node holding NaN or infinity


# ======================================================================================
# Public functions
# ======================================================================================


def draw_graph(
    root: Node,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    fold: bool = True,
    paths_from: Iterable[Node] | Node | None = None,
    clusters: bool = True,
    collapse=None,
    color_grads: bool = False,
    constants: bool = True,
    title: str | None = None,
    format: str = "svg",
):
    """A drawing of the graph that computed `root` (a Value or a Tensor).

    It renders inline in Jupyter; `.source` is the DOT text, `.render()` / `.pipe()`
    write or return SVG, PNG, PDF... (see `save_graph`). `.stats` tells what was drawn.

    Args:
        root: the Value or Tensor whose graph to draw.
        rankdir: "LR" (left to right, the default) or "TB" (top to bottom).
        max_nodes: the node budget (module boxes count; op ovals and constants do
            not). Past it the graph is folded (see `fold`) and then cut to the
            `max_nodes` nodes nearest the root. None: no budget.
        fold: fold repeated structure when over budget: `+`/`*` chains become one op,
            and an op's inputs that have the same structure are drawn once with `×N`
            (nodes you labelled are only grouped with nodes of the same label).
        paths_from: nodes (parameters, say), or an nn module (its parameters): draw
            only the nodes on paths from them to the root; the other inputs of the ops
            on those paths are counted, not drawn.
        clusters: group nodes made inside an nn module's forward into labelled,
            nested boxes (a module's parameters go in its box when it was called once).
        collapse: module calls to draw as one box each: True (every one), a label
            ("Linear(4 -> 10)"), a class name ("Linear"), a module class or object,
            a function `scope -> bool`, or a list of these.
        color_grads: shade nodes by |grad| (Tensors: the norm), log scale, pale to red
            (one mid-scale colour when every |grad| is the same).
        constants: draw the numbers and arrays that ops took as constants.
        title: a line at the top of the caption.
        format: the default output format of `.render()` and `.pipe()`.

    Each node's box shows its label, data and grad. Before `backward()` a Value's
    grad is 0.0, as in micrograd, so its box says "grad 0.0000" (a Tensor's says
    "grad None"); `draw_step` draws backward step by step, with the gradients not yet
    reached as "grad ?". An op's inputs, when their order matters, are labelled 1st,
    2nd... (for a - b, a is 1st), and `×N` on an edge means N look-alike inputs.

    Returns:
        a `graphviz.Digraph`.

    Raises:
        TypeError: `root` is not a Value or a Tensor, or an option of the wrong type.
        ValueError: a bad option value (an unknown format, a collapse label that names
            no module call of the graph, an empty `paths_from`), or `paths_from` nodes
            that `root` does not depend on.
    """
    return _draw(root, _Options(
        rankdir=rankdir, max_nodes=max_nodes, fold=fold, paths_from=paths_from,
        clusters=clusters, collapse=collapse, color_grads=color_grads,
        constants=constants, title=title, format=format,
    ))


def save_graph(root: Node, path: str | os.PathLike, **options) -> str:
    """Draw the graph of `root` and write it to `path`; returns the path.

    The format comes from the extension: .svg, .png, .pdf (or any other Graphviz
    output format), or .dot / .gv for the DOT source, which needs no Graphviz program.
    `options` are those of `draw_graph`.

    Raises:
        TypeError: path is not a str or os.PathLike; an option of the wrong type.
        ValueError: the path has no extension, or one that is not a Graphviz format.
        GraphvizNotFoundError: an image format was asked for and `dot` is missing.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"save_graph: path must be a file name (a str or os.PathLike) such "
                        f"as 'graph.svg', got {type(path).__name__} {path!r}") from None
    if not isinstance(path, str):  # bytes: the name is decoded as the file system does
        path = os.fsdecode(path)
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if not extension:
        raise ValueError(f"save_graph: {path!r} has no extension to tell the format "
                         "(.svg, .png, .pdf, .dot)")
    if extension not in ("dot", "gv") and not _known_format(extension):
        raise ValueError(f"save_graph: {path!r} ends in .{extension}, which is not a "
                         "Graphviz output format (try .svg, .png or .pdf, or .dot for the "
                         "DOT source)")
    drawing = _draw(root, _Options("save_graph", **options))
    if extension in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as file:
            file.write(drawing.source)
        return path
    data = drawing.pipe(format=extension)
    with open(path, "wb") as file:
        file.write(data)
    return path


# ======================================================================================
# The Digraph subclass: made when first needed, so graphviz is imported lazily
# ======================================================================================

_drawing_class = None


def __getattr__(name: str):
    # `Drawing` subclasses graphviz.Digraph, so it is made when first asked for; found
    # here by its name, it can be pickled (and unpickled in a fresh process) as a
    # class defined at module level can.
    if name == "Drawing":
        return _drawing_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _new_digraph(**kwargs):
    return _drawing_type()(**kwargs)


def _drawing_type():
    global _drawing_class
    if _drawing_class is None:
        import graphviz

        class Drawing(graphviz.Digraph):
            """A `graphviz.Digraph` whose rendering errors say how to install Graphviz.

            `stats` counts what the caption says: `nodes` in the graph, `drawn` boxes
            (`drawn_nodes` of them nodes, the rest module boxes), and where they apply
            the nodes left out: `collapsed` (module calls, nodes inside them),
            `chained`, `folded` (look-alikes), `off_path`, `cut`; the module boxes not
            drawn, `folded_boxes` and `cut_boxes`; `nonfinite` nodes; and `changed`,
            the nodes drawn that were changed in place after an op of the graph used
            them. The nodes drawn, inside boxes and left out add up to `nodes`.

            Without Graphviz's `dot`, Jupyter shows the install hint as the cell's
            output (a text), rather than the traceback of a failed display.
            """

            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self.stats: dict = {}  # (a class attribute would be one dict for all)

            def copy(self):
                # graphviz's copy makes a new Drawing from the DOT statements only
                result = super().copy()
                result.stats = dict(self.stats)
                return result

            def __repr__(self) -> str:  # stable: no memory address
                drawn = self.stats.get("drawn_nodes")
                total = self.stats.get("nodes")
                if drawn is None:
                    return "<Drawing>"
                boxes = self.stats["drawn"] - drawn
                also = f" and {boxes} module box{'es' * (boxes != 1)}" if boxes else ""
                return f"<Drawing: {drawn} of {total} nodes drawn{also}>"

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                # IPython shows an exception raised here as a traceback through
                # graphviz and this file, some 125 lines before the message; a
                # missing `dot` is an expected situation, so the cell shows the
                # message alone, as its text output.
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except GraphvizNotFoundError as error:
                    text = str(error)
                    return {"text/plain": text[0].upper() + text[1:]}

            def pipe(self, *args, **kwargs):
                try:
                    return super().pipe(*args, **kwargs)
                except graphviz.ExecutableNotFound as error:
                    raise _not_found(error) from error
                except graphviz.CalledProcessError as error:
                    raise _dot_failed(error) from error

            def render(self, *args, **kwargs):
                try:
                    return super().render(*args, **kwargs)
                except graphviz.ExecutableNotFound as error:
                    raise _not_found(error) from error
                except graphviz.CalledProcessError as error:
                    raise _dot_failed(error) from error

        Drawing.__module__, Drawing.__qualname__ = __name__, "Drawing"
        _drawing_class = Drawing
    return _drawing_class


def _not_found(error: Exception) -> GraphvizNotFoundError:
    return GraphvizNotFoundError(
        f"cannot render the drawing: {error}. {INSTALL_HINT}. The DOT source is still "
        "available as `.source` (or save_graph(root, 'graph.dot'))."
    )


def _dot_failed(error) -> RuntimeError:
    said = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else (
        error.stderr or "")
    said = " ".join(said.split())
    return RuntimeError(
        f"Graphviz's dot could not render the drawing (it said: {said or 'nothing'}). "
        "The DOT source it was given is `.source` (or save_graph(root, 'graph.dot')).")


def _known_format(format: str) -> bool:
    """Whether Graphviz can render to `format` (checked before a drawing is made, so
    that the error can name the argument rather than list every format)."""
    import graphviz

    return format.lower() in graphviz.FORMATS


def _whole(value, who: str, wanted: str) -> int:
    """`value` as an int (NumPy ints included, bools not), or TypeError naming `who`."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who} must be {wanted}, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{who} must be {wanted}, got {type(value).__name__}") from None


# ======================================================================================
# Options
# ======================================================================================


class _Options:
    """The options of draw_graph, checked. `who` is the function the user called with
    them (draw_step and the others take draw_graph's options), for the errors."""

    def __init__(self, who="draw_graph", /, *, rankdir="LR", max_nodes=DEFAULT_MAX_NODES,
                 fold=True, paths_from=None, clusters=True, collapse=None,
                 color_grads=False, constants=True, title=None, format="svg", **unknown):
        if unknown:  # (Python's message would name _Options.__init__)
            known = [p.name for p in inspect.signature(_Options).parameters.values()
                     if p.kind is p.KEYWORD_ONLY]
            raise TypeError(f"{who}: unknown option {next(iter(unknown))!r} (the options "
                            f"are draw_graph's: {', '.join(known)})")
        if rankdir not in ("LR", "TB", "RL", "BT"):
            raise ValueError(f"{who}: rankdir must be 'LR' or 'TB' (or 'RL', 'BT'), "
                             f"got {rankdir!r}")
        if max_nodes is not None:
            max_nodes = _whole(max_nodes, f"{who}: max_nodes", "a positive int or None")
            if max_nodes < 1:
                raise ValueError(f"{who}: max_nodes must be a positive int or None, "
                                 f"got {max_nodes!r}")
        if hasattr(paths_from, "parameters") and callable(paths_from.parameters):
            paths_from = paths_from.parameters()  # an nn module: paths from its parameters
        if isinstance(paths_from, Node):
            paths_from = [paths_from]
        if paths_from is not None:
            try:
                paths_from = list(paths_from)
            except TypeError:
                raise TypeError(f"{who}: paths_from must be a Value or Tensor, a list "
                                f"of them or an nn module, got {type(paths_from).__name__}"
                                ) from None
            if not paths_from:
                raise ValueError(f"{who}: paths_from is empty (None draws the whole "
                                 "graph)")
            for p in paths_from:
                if not isinstance(p, Node):
                    raise TypeError(f"{who}: paths_from must hold Values or Tensors, "
                                    f"got {type(p).__name__}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"{who}: title must be a str, got {type(title).__name__}")
        if not isinstance(format, str):
            raise TypeError(f"{who}: format must be a str such as 'svg', got "
                            f"{type(format).__name__}")
        if not _known_format(format):
            raise ValueError(f"{who}: format {format!r} is not a Graphviz output "
                             "format (try 'svg', 'png' or 'pdf')")
        self.who = who
        self.rankdir = rankdir
        self.max_nodes = max_nodes
        self.fold = check_flag(fold, who, "fold")
        self.paths_from = paths_from
        self.clusters = check_flag(clusters, who, "clusters")
        self.collapse = _collapse_predicate(collapse, who)
        self.color_grads = check_flag(color_grads, who, "color_grads")
        self.constants = check_flag(constants, who, "constants")
        self.title = title
        self.format = format



def _collapse_predicate(collapse, who: str):
    """`collapse=` as a function Scope -> bool, or None for no collapsing."""
    if isinstance(collapse, np.bool_):
        collapse = bool(collapse)
    if collapse is None or collapse is False:
        return None
    if collapse is True:
        return _Collapse([lambda s: True], who)
    items = [collapse] if isinstance(collapse, (str, type)) or not isinstance(
        collapse, (list, tuple, set, frozenset)) else list(collapse)
    tests = []
    for item in items:
        if item is True or isinstance(item, np.bool_) and item:
            tests.append(lambda s: True)
        elif isinstance(item, str):
            tests.append(_NamedCollapse(item))
        elif isinstance(item, type):
            tests.append(lambda s, cls=item: isinstance(s.owner, cls))
        elif isinstance(item, Scope):
            tests.append(lambda s, scope=item: s is scope)
        elif callable(getattr(item, "parameters", None)):  # a module object
            tests.append(lambda s, owner=item: s.owner is owner)
        elif callable(item):  # a function, a functools.partial, a callable object
            tests.append(item)
        else:
            raise TypeError(f"{who}: collapse takes True, a label, a class (or its "
                            f"name), a module, a function or a list of these, got "
                            f"{item!r}")
    return _Collapse(tests, who)


class _Collapse:
    """`collapse=` as a test Scope -> bool. `check_labels` raises for a label given that
    no module call of the drawn graph answers to (a typo, most likely)."""

    def __init__(self, tests: list, who: str) -> None:
        self.tests = tests
        self.who = who  # the function called, for the error

    def __call__(self, scope: Scope) -> bool:
        return any(test(scope) for test in self.tests)

    def check_labels(self, scopes: Iterable[Scope]) -> None:
        named = [t for t in self.tests if type(t) is _NamedCollapse]
        if not named:
            return
        scopes = list(scopes)
        for test in named:
            if not any(test(s) for s in scopes):
                calls = sorted({s.label for s in scopes})
                known = (f"its module calls: {', '.join(calls)}" if calls
                         else "it has no module calls")
                raise ValueError(f"{self.who}: collapse={test.name!r} names no module call "
                                 f"of this graph ({known})")


class _NamedCollapse:
    """A collapse label: a module call's label ("Linear(4 -> 10)"), its start
    ("Linear") or its module's class name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, s: Scope) -> bool:
        name = self.name
        return (s.label == name or s.label.split("(")[0].strip() == name
                or type(s.owner).__name__ == name)


# ======================================================================================
# The graph as drawn: units (a node, or a collapsed module call) and their inputs
# ======================================================================================


class _Const:
    """A constant input of an op (a number or an array)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Unit:
    """One box of the drawing: a graph node, or a module call drawn collapsed (`box`).

    Its edges, (input, count) pairs, come in three stages, each worked out when first
    needed (see `_Folding`): `raw`, the inputs; `merged`, once the +/* chains ending in
    it are merged into it; `edges`, as drawn.
    """

    __slots__ = ("node", "box", "scope", "inputs", "members", "outputs", "raw", "merged",
                 "edges", "hidden", "chained", "alike", "sig", "name")

    def __init__(self, node, box=None, scope=None):
        self.node = node  # the Node, or None for a collapsed module call
        self.box = box  # the Scope drawn collapsed
        self.scope = scope  # the Scope whose cluster this unit is drawn in
        self.inputs: list | None = None  # units and _Consts, in the op's argument order
        self.members = 1  # nodes this unit stands for
        self.outputs: dict[int, Node] = {}  # a box's nodes used outside it, by id
        self.raw: list | None = None  # None: not worked out yet (nor the next two)
        self.merged: list | None = None
        self.edges: list | None = None
        self.hidden = 0  # inputs left out of the drawing
        self.chained = 0  # chain links merged into this op
        self.alike = 1  # drawn once for this many look-alikes
        self.sig = -1
        self.name = ""


_FINISH = object()  # on a depth-first stack: the entry below it has all its inputs done


def _collect(root: Node) -> list[Node]:
    """Every node `root` depends on (itself included), each after its parents."""
    return _walk(root)[0]


def _walk(root: Node) -> tuple[list[Node], set[int]]:
    """Every node `root` depends on, each after its parents, and the ids of the nodes
    used more than once (by two ops, or twice by one).

    Iterative depth-first search, so graphs of any depth work; unlike the engine's sort
    it marks nothing on the nodes. Every use of a node but the first finds it done.
    The stack holds nodes and `_FINISH` marks rather than (node, state) pairs: a tuple
    per node kept Python's garbage collector running, and its full collections go over
    every node, so the walk took two to three times as long on two million nodes.
    """
    done: set[int] = set()
    shared: set[int] = set()
    order: list[Node] = []
    stack: list = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is _FINISH:
            order.append(pop())
            continue
        key = id(node)
        if key in done:
            shared.add(key)
            continue
        done.add(key)
        push(node)
        push(_FINISH)
        for parent in reversed(node._parents):
            if isinstance(parent, Node):
                if id(parent) in done:
                    shared.add(id(parent))
                else:
                    push(parent)
    return order, shared


def _all_scopes(nodes: list[Node]) -> dict[int, Scope]:
    """The scopes the nodes were made in, and their enclosing scopes, by id."""
    scopes: dict[int, Scope] = {}
    for node in nodes:
        scope = node._scope
        while scope is not None and id(scope) not in scopes:
            scopes[id(scope)] = scope
            scope = scope.parent
    return scopes


def _owner_parameters(owner, cache: dict) -> set[int]:
    key = id(owner)
    if key not in cache:
        ids: set[int] = set()
        parameters = getattr(owner, "parameters", None)
        if callable(parameters):
            try:
                ids = {id(p) for p in parameters()}
            except Exception:  # an owner that is not a module: nothing claimed
                ids = set()
        cache[key] = ids
    return cache[key]


def _placements(nodes: list[Node]) -> dict[int, Scope]:
    """Leaves made outside any forward that are the parameters of one module call.

    A Linear's weight is made in __init__, so it has no scope of its own; it is drawn
    inside the box of the innermost module call whose module owns it, unless that
    module was called more than once in this graph (then it stays outside).
    """
    scopes = _all_scopes(nodes)
    if not scopes:
        return {}
    cache: dict = {}
    best: dict[int, tuple[int, Scope | None]] = {}  # leaf id -> (depth, scope or None)
    for scope in scopes.values():
        if scope.owner is None:
            continue
        depth = len(scope.path())
        for pid in _owner_parameters(scope.owner, cache):
            have = best.get(pid)
            if have is None or depth > have[0]:
                best[pid] = (depth, scope)
            elif depth == have[0] and have[1] is not scope:
                best[pid] = (depth, None)  # two calls at the same depth: ambiguous
    placed = {
        id(node): best[id(node)][1]
        for node in nodes
        if node._op is None and node._scope is None and best.get(id(node), (0, None))[1]
    }
    # A parameter also used outside its module's call stays outside the box: drawn
    # inside, a collapsed box would both feed and use that outside op (a cycle).
    for node in nodes:
        for p in node._parents:
            scope = placed.get(id(p)) if isinstance(p, Node) else None
            if scope is not None and not _within(node._scope, scope):
                del placed[id(p)]
    return placed


def _within(scope: Scope | None, outer: Scope) -> bool:
    """Whether `scope` is `outer` or nested in it."""
    while scope is not None:
        if scope is outer:
            return True
        scope = scope.parent
    return False


class _Units:
    """The units of the drawing: one per node, but one for all the nodes of a module
    call drawn collapsed (a box).

    A node's unit, and its list of inputs, are made when first asked for, so that a
    drawing of a huge graph cut to the nodes nearest the root makes only those. Boxes
    are made at once, with every other unit: a box's inputs and outputs are those of
    all its nodes.
    """

    def __init__(self, root: Node, nodes: list[Node], opts: _Options) -> None:
        self.placed = _placements(nodes) if (opts.clusters or opts.collapse) else {}
        self.unit_of: dict[int, _Unit] = {}
        if opts.collapse is not None:
            self._make_all(root, nodes, opts.collapse)

    def of(self, node: Node) -> _Unit:
        unit = self.unit_of.get(id(node))
        if unit is None:
            scope = self.placed.get(id(node), node._scope)
            unit = self.unit_of[id(node)] = _Unit(node, scope=scope)
        return unit

    def inputs(self, unit: _Unit) -> list:
        if unit.inputs is None:  # (a box's are made with it)
            unit.inputs = [self.of(p) if isinstance(p, Node) else _Const(p)
                           for p in unit.node._parents]
        return unit.inputs

    def raw(self, unit: _Unit) -> list:
        """The unit's first stage of edges: each input once, as (input, 1)."""
        if unit.raw is None:
            unit.raw = [(source, 1) for source in self.inputs(unit)]
        return unit.raw

    def _make_all(self, root: Node, nodes: list[Node], collapse) -> None:
        box_cache: dict[int, Scope | None] = {}

        def box_of(scope):
            if scope is None:
                return None
            key = id(scope)
            if key not in box_cache:
                box_cache[key] = next((s for s in scope.path() if collapse(s)), None)
            return box_cache[key]

        boxes: dict[int, _Unit] = {}
        for node in nodes:
            box = box_of(self.placed.get(id(node), node._scope))
            if box is None:
                self.of(node)
            else:
                unit = boxes.get(id(box))
                if unit is None:
                    unit = boxes[id(box)] = _Unit(None, box=box, scope=box.parent)
                    unit.members = 0
                    unit.inputs = []
                unit.members += 1
                self.unit_of[id(node)] = unit
        box_inputs: dict[int, set[int]] = {}
        for node in nodes:
            unit = self.unit_of[id(node)]
            if unit.node is node:
                self.inputs(unit)
                for p in node._parents:
                    if isinstance(p, Node):
                        _note_output(self.unit_of[id(p)], p)
            else:
                seen = box_inputs.setdefault(id(unit), set())
                for p in node._parents:
                    if isinstance(p, Node):
                        source = self.unit_of[id(p)]
                        if source is not unit and id(source) not in seen:
                            seen.add(id(source))
                            unit.inputs.append(source)
                            _note_output(source, p)
        _note_output(self.unit_of[id(root)], root)


def _note_output(unit: _Unit, node: Node) -> None:
    if unit.node is None:
        unit.outputs.setdefault(id(node), node)


def _units_topo(root: _Unit, inputs_of) -> list[_Unit]:
    """The units reachable from `root` through `inputs_of(unit)`, inputs first."""
    done: set[int] = set()
    order: list[_Unit] = []
    stack: list = [root]
    while stack:
        unit = stack.pop()
        if unit is _FINISH:
            order.append(stack.pop())
            continue
        if id(unit) in done:
            continue
        done.add(id(unit))
        stack.append(unit)
        stack.append(_FINISH)
        for source in reversed(inputs_of(unit)):
            if type(source) is _Unit and id(source) not in done:
                stack.append(source)
    return order


def _edge_sources(unit: _Unit) -> list:
    return [source for source, _ in unit.edges]


# ======================================================================================
# Fitting a graph to the budget: paths, chains, look-alikes, cut
# ======================================================================================


def _keep_paths(order: list[_Unit], starts: set[int]) -> list[_Unit]:
    """The units on paths from units in `starts` to the root (the last unit). Their
    inputs off those paths are dropped from their `raw` edges and counted."""
    keep: set[int] = set()
    for unit in order:  # inputs first, so a unit's inputs are decided before it
        if id(unit) in starts or any(
            type(s) is _Unit and id(s) in keep for s, _ in unit.raw
        ):
            keep.add(id(unit))
    order = [u for u in order if id(u) in keep]
    for unit in order:
        unit.raw = _edges_within(unit, unit.raw, keep)
    return order


def _edges_within(unit: _Unit, edges: list, keep: set[int]) -> list:
    """`edges` of `unit` without those from units not in `keep`, which are counted in
    its `hidden` (so that the drawing can say what it left out)."""
    within = []
    for source, count in edges:
        if type(source) is _Const or id(source) in keep:
            within.append((source, count))
        else:
            unit.hidden += count
    return within


def _shared_nodes(order: list[_Unit]) -> set[int]:
    """The ids of the nodes whose units have more than one edge out (within `order`)."""
    uses: dict[int, int] = {}
    for unit in order:
        for source, count in unit.raw:
            if type(source) is _Unit:
                uses[id(source)] = uses.get(id(source), 0) + count
    return {id(u.node) for u in order if u.node is not None and uses.get(id(u), 0) > 1}


def _op_name(unit: _Unit) -> str:
    return unit.node.op if unit.node is not None else ""


class _Folding:
    """Each unit's edges as drawn, `edges(unit)`, worked out when first asked for.

    With `fold`, chains of `+` (or `*`) are merged into one op (`merged`), and inputs of
    one op that have the same structure are drawn once with their count, which takes
    the whole structure of those inputs (`signature`). Without it, a unit's edges are
    its inputs. Asked from the root outwards, as far as the cut, the work is what is
    drawn and what was compared to draw it, however large the graph.

    `examined` holds the ids of the units whose merged edges were worked out, and
    `merged_away` counts the links merged into them. `groups` says which unit an op's
    edge stands for several look-alikes with (see `_mark_alike`).
    """

    def __init__(self, units: _Units, shared: set[int], *, fold: bool,
                 shown: set[int] = frozenset(), unique: set[int] = frozenset()) -> None:
        self.units = units
        self.shared = shared  # ids of the nodes used more than once: never merged away
        self.fold = fold
        self.shown = shown  # ids of units the user asked to see: never merged away
        self.unique = unique  # ids of units never drawn as one of several look-alikes
        self.structures: dict[tuple, int] = {}  # a structure -> its signature
        self.groups: dict[int, list] = {}  # unit id -> [(unit drawn, look-alikes)]
        self.examined: set[int] = set()
        self.merged_away = 0

    def merged(self, unit: _Unit) -> list:
        """Fold x + y + z (built as (x + y) + z) into one `+` with three inputs.

        A link is merged into the op that uses it when it is the same op (`+` or `*`),
        feeds nothing else, sits in the same cluster and has the same kind and shape, and
        is neither labelled nor in `shown`. Its inputs take its place, in order.
        """
        if unit.merged is None:
            self.examined.add(id(unit))
            op = _op_name(unit)
            unit.merged = (self._chain_inputs(unit, op) if self.fold and op in _CHAIN_OPS
                           else self.units.raw(unit))
        return unit.merged

    def _chain_inputs(self, unit: _Unit, op: str) -> list:
        # A stack of the links being read, not recursion: sum() of n Values is a chain
        # of n links.
        edges = []
        reading = [iter(self.units.raw(unit))]
        while reading:
            for source, count in reading[-1]:
                if self._is_link(source, unit, op):
                    unit.hidden += source.hidden
                    unit.chained += 1
                    self.merged_away += 1
                    reading.append(iter(self.units.raw(source)))
                    break
                edges.append((source, count))
            else:
                reading.pop()
        return edges

    def _is_link(self, source, unit: _Unit, op: str) -> bool:
        # (Every link of a chain has the op, cluster and kind of its end, `unit`.)
        return (type(source) is _Unit and _op_name(source) == op
                and id(source.node) not in self.shared and source.scope is unit.scope
                and _kind(source.node) == _kind(unit.node)
                and not source.node.label and id(source) not in self.shown)

    def signature(self, unit: _Unit) -> int:
        """A number for the unit's structure (op, params, shape, scope label, and its
        merged inputs' structures): look-alikes have equal numbers. The units in
        `unique` get numbers of their own."""
        stack = [unit]
        while stack:
            top = stack[-1]
            if top.sig >= 0:
                stack.pop()
                continue
            edges = self.merged(top)
            unsigned = [s for s, _ in edges if type(s) is _Unit and s.sig < 0]
            if unsigned:  # theirs first; `top` is met again when they are done
                stack.extend(unsigned)
                continue
            stack.pop()
            inputs = tuple((s.sig if type(s) is _Unit else -1, count) for s, count in edges)
            top.sig = self.structures.setdefault((self._head(top), inputs, top.hidden),
                                                 len(self.structures))
        return unit.sig

    def _head(self, unit: _Unit) -> tuple:
        if id(unit) in self.unique:
            return ("unique", id(unit))
        if unit.node is None:
            return ("module", unit.box.label, unit.members)
        node = unit.node
        # The label is part of the structure: a node the user labelled is never hidden
        # behind an unlabelled (or differently labelled) look-alike, and neither is
        # anything computed from it. Equal labels may still group (every nn layer's
        # "weight"): the box drawn shows that label.
        return (node.op, _params_key(node), _kind(node), node.label,
                node._scope.label if node._scope is not None else None)

    def edges(self, unit: _Unit) -> list:
        """The unit's edges as drawn: its merged edges, with look-alike inputs drawn
        once with their count.

        Only for ops whose inputs' order does not matter (`+`, `*`, `add_n`,
        `weighted_sum`, a module box); equal constants are grouped too.
        """
        if unit.edges is None:
            edges = self.merged(unit)
            # Two inputs stay as they are (w * x must not become "x2"); three or more, as
            # a merged chain or a module box has, are grouped.
            if self.fold and len(edges) > 2 and (
                    unit.node is None or _op_name(unit) in _UNORDERED_OPS):
                edges = self._grouped(unit, edges)
            unit.edges = edges
        return unit.edges

    def _grouped(self, unit: _Unit, edges: list) -> list:
        groups: dict[object, list] = {}  # key -> [drawn source, count, ids of units]
        # A weighted sum's bias (its first input) is added, not a factor: never alike
        # its weights or inputs, so it keeps an edge, and the role label b, of its own.
        bias = _op_name(unit) == "weighted_sum"
        for i, (source, count) in enumerate(edges):
            if bias and i == 0:
                key = ("bias",)
            else:
                key = (("unit", self.signature(source)) if type(source) is _Unit
                       else _const_key(source))
            if key in groups:
                groups[key][1] += count
                groups[key][2].add(id(source))
            else:
                groups[key] = [source, count, {id(source)}]
        # one node used n times is drawn with its xn edge, but is not "alike"
        self.groups[id(unit)] = [(source, len(members)) for source, _, members
                                 in groups.values()
                                 if type(source) is _Unit and len(members) > 1]
        return [(source, count) for source, count, _ in groups.values()]


def _kind(node: Node) -> tuple:
    data = node.data
    if isinstance(data, np.ndarray):
        return (data.shape, data.dtype.str)
    return ()


def _params_key(node: Node) -> tuple:
    """An op's parameters in full, hashable: ops alike only if their parameters are."""
    ctx = node._ctx
    if not isinstance(ctx, dict):
        return ()
    return tuple(sorted((k, _param_key(v)) for k, v in ctx.items()))


def _param_key(value) -> object:
    if isinstance(value, np.ndarray):  # small arrays (an index, say) by their values
        return ("array", value.shape, value.dtype.str,
                value.tobytes() if value.size <= 64 else id(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *map(_param_key, value))
    if isinstance(value, slice):  # (not hashable before Python 3.12)
        return ("slice", value.start, value.stop, value.step)
    return (type(value).__name__, repr(value))


def _const_key(const: _Const) -> tuple:
    value = const.value
    if isinstance(value, (int, float)):
        return ("number", value)
    return ("object", id(value))


class _Nearest:
    """The units reachable from the root through their drawn edges, nearest first
    (breadth first): `found`, searched only as far as asked."""

    def __init__(self, root: _Unit, edges_of) -> None:
        self.edges_of = edges_of
        self.found = [root]
        self.via: dict[int, _Unit | None] = {id(root): None}  # child towards the root
        self.searched = 0  # the units of `found` whose inputs were searched

    def get(self, i: int) -> _Unit | None:
        """The unit i-th nearest the root (the root is 0th); None if there are fewer."""
        while i >= len(self.found) and self.searched < len(self.found):
            self._search_next()
        return self.found[i] if i < len(self.found) else None

    def find(self, ids: set[int]) -> None:
        """Search until the units of `ids` are found, or every unit is."""
        while not ids <= self.via.keys() and self.searched < len(self.found):
            self._search_next()

    def search_only(self, ids: set[int]) -> None:
        """Search the rest through the units of `ids`, passing the others by."""
        while self.searched < len(self.found):
            if id(self.found[self.searched]) in ids:
                self._search_next()
            else:
                self.searched += 1

    def _search_next(self) -> None:
        unit = self.found[self.searched]
        self.searched += 1
        for source, _ in self.edges_of(unit):
            if type(source) is _Unit and id(source) not in self.via:
                self.via[id(source)] = unit
                self.found.append(source)


def _mark_alike(root: _Unit, groups: dict[int, list]) -> None:
    """Mark the units drawn once for several look-alikes with their count (`alike`).

    A unit that stands for look-alikes at two ops takes the count of the first op met
    going depth first from the root, the last input first.
    """
    reached = {id(root)}
    stack = [root]
    while stack:
        unit = stack.pop()
        for source, count in groups.get(id(unit), ()):
            if source.alike == 1:
                source.alike = count
        for source, _ in unit.edges:
            if type(source) is _Unit and id(source) not in reached:
                reached.add(id(source))
                stack.append(source)


def _cut(nearest: _Nearest, budget: int | None, focus: set[int]) -> set[int]:
    """The ids of the `budget` units nearest the root (None: of all of them).

    The units in `focus` are kept whatever their distance, with one shortest path from
    each to the root, so that the drawing stays connected; they come out of the budget
    first, and the nearest of the others fill what is left of it.
    """
    keep = {id(nearest.get(0))}
    nearest.find(focus)
    for key in focus & nearest.via.keys():
        while key not in keep:  # up to the root, which is kept
            keep.add(key)
            key = id(nearest.via[key])
    i = 0
    while budget is None or len(keep) < budget:  # (a prefix of `found` is connected)
        unit = nearest.get(i)
        if unit is None:
            break
        keep.add(id(unit))
        i += 1
    return keep


def _plan(root: Node, opts: _Options, focus_nodes: Iterable[Node] = ()):
    """The units to draw, inputs first, and what was left out (for the caption).

    `focus_nodes` (the step-through drawings' current node and its inputs) survive the
    budget: they are neither merged into a chain, nor drawn as a look-alike, nor cut.

    Past one walk over the graph (which counts its nodes), the drawing is worked out
    from the root outwards, as far as the cut: a node past it is looked at only when
    it is compared with drawn ones to fold look-alikes. So the caption of a cut drawing
    counts the merged chains and repeated structure among the nodes looked at, and the
    other nodes left out as farthest from the root. (A graph drawn whole, folded or
    not, has all its nodes looked at.)
    """
    nodes, shared = _walk(root)
    stats = {"nodes": len(nodes)}
    if opts.collapse is not None:
        opts.collapse.check_labels(_all_scopes(nodes).values())
    units = _Units(root, nodes, opts)
    root_unit = units.of(root)
    focus_nodes = list(focus_nodes)
    in_graph = {id(n) for n in nodes} if focus_nodes else set()
    focus = {id(units.of(n)) for n in focus_nodes if id(n) in in_graph}
    starts: set[int] = set()
    n_units = len(nodes)
    box_ids: set[int] = set()
    if opts.collapse is not None or opts.paths_from is not None:
        # Options about the whole graph: every unit is made.
        order = _units_topo(root_unit, units.inputs)
        for unit in order:
            units.raw(unit)
        boxes = [u for u in order if u.node is None]
        if boxes:
            stats["collapsed"] = (len(boxes), sum(u.members for u in boxes))
            box_ids = {id(u) for u in boxes}
        if opts.paths_from is not None:
            starts = {id(units.unit_of[id(p)]) for p in opts.paths_from
                      if id(p) in units.unit_of}
            if not starts:
                raise ValueError(f"{opts.who}: root does not depend on any of the "
                                 "paths_from nodes")
            before = len(order)
            order = _keep_paths(order, starts)
            stats["off_path"] = before - len(order)
        shared = _shared_nodes(order)  # (a use by an op off the paths does not count)
        n_units = len(order)

    over = opts.max_nodes is not None and n_units > opts.max_nodes
    folding = _Folding(units, shared, fold=over and opts.fold, shown=starts | focus,
                       unique=focus)
    nearest = _Nearest(root_unit, folding.edges)
    keep = _cut(nearest, opts.max_nodes if over else None, focus)
    kept = [unit for unit in nearest.found if id(unit) in keep]
    for unit in kept:
        folding.edges(unit)
    left = n_units - len(keep)
    if folding.fold:
        # Whatever was compared to fold is searched too (its edges cost nothing more):
        # what the root cannot reach once look-alikes are grouped was folded.
        nearest.search_only(folding.examined)
        stats["chained"] = folding.merged_away
        folded = folding.examined.difference(nearest.via)
        left -= stats["chained"] + len(folded)
        # Module boxes are units, not nodes: their members count as inside the boxes
        # (stats["collapsed"]), so the look-alike and cut counts are of nodes only.
        stats["folded"] = len(folded) - len(folded & box_ids)
        if box_ids:
            stats["folded_boxes"] = len(folded & box_ids)
    for unit in kept:
        unit.edges = _edges_within(unit, unit.edges, keep)
    _mark_alike(root_unit, folding.groups)
    order = _units_topo(root_unit, _edge_sources)
    stats["drawn"] = len(order)
    stats["drawn_nodes"] = sum(1 for u in order if u.node is not None)
    if box_ids:
        stats["cut_boxes"] = (len(box_ids) - (stats["drawn"] - stats["drawn_nodes"])
                              - stats.get("folded_boxes", 0))
        left -= stats["cut_boxes"]
    if left:
        stats["cut"] = left
    return order, root_unit, stats


# ======================================================================================
# Text: numbers and summaries
# ======================================================================================


def _num(x: float) -> str:
    """A number as micrograd shows it (4 decimals), or in e-notation when far from 1."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _short(value, limit: int = 32) -> str:
    """A parameter's value in a few characters (arrays by their shape)."""
    if isinstance(value, np.ndarray):
        return f"array{_shape(value.shape)}"
    if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
        text = "(" + ", ".join(_short(v, limit) for v in value) + ")"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _index_text(index, limit: int = 32) -> str:
    """An index as it is written in code: `[:, 0:2]`, `[..., None, ::2]`, `[array(3,)]`."""
    parts = index if isinstance(index, tuple) else (index,)
    text = "[" + ", ".join(map(_index_part, parts)) + "]"
    return text if len(text) <= limit else text[: limit - 4] + "...]"


def _index_part(part) -> str:
    if isinstance(part, slice):
        text = ("" if part.start is None else str(part.start)) + ":" + (
            "" if part.stop is None else str(part.stop))
        return text if part.step is None else f"{text}:{part.step}"
    if part is Ellipsis:
        return "..."
    if isinstance(part, np.ndarray):
        kind = "mask" if part.dtype == bool else "array"
        return f"{kind}{_shape(part.shape)}"
    return _short(part, 16)


def _as_array(x) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, Node):
        x = x.data
    return np.asarray(x)


def _nonfinite(x) -> str:
    """'' if every element of x is finite, else what is not: 'nan', '2 inf'..."""
    if x is None:
        return ""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return "" if math.isfinite(x) else ("nan" if math.isnan(x) else "inf")
    array = np.asarray(x)
    if array.dtype.kind not in "fc":
        return ""
    finite = np.isfinite(array)
    if finite.all():
        return ""
    if array.ndim == 0:
        return "nan" if np.isnan(array) else "inf"
    n_nan = int(np.isnan(array).sum())
    n_inf = array.size - int(finite.sum()) - n_nan
    return ", ".join(f"{n} {what}" for n, what in ((n_nan, "nan"), (n_inf, "inf")) if n)


def _magnitude(grad) -> float | None:
    """|grad| for a number, the norm for an array; None when there is none."""
    if grad is None:
        return None
    if isinstance(grad, Node):
        grad = grad.data
    if isinstance(grad, float):
        return abs(grad)
    array = np.asarray(grad)
    if array.dtype.kind not in "fc":
        return None
    return _norm(array)


def _norm(array: np.ndarray) -> float:
    """The Euclidean norm of a float or complex array, without the overflow of squaring
    in its own dtype (float16 overflows from 256, float64 from 1e154): in float64,
    scaled by the largest magnitude."""
    with np.errstate(all="ignore"):
        magnitudes = np.abs(array.ravel()).astype(np.float64, copy=False)
        if magnitudes.size == 0:
            return 0.0
        largest = float(magnitudes.max())
        if largest == 0 or not math.isfinite(largest):
            return largest  # 0, inf or nan: the norm is that too
        return largest * float(np.sqrt(np.sum(np.square(magnitudes / largest))))


def _summary(x, tiny: int = 4) -> str:
    """A short text for an array: its values when it has at most `tiny`, else its norm."""
    array = _as_array(x)
    if array.size <= tiny:
        if array.ndim == 0:
            return _element(array[()])
        flat = ", ".join(map(_element, array.ravel()))
        return f"[{flat}]" if array.ndim == 1 else f"[{flat}] as {_shape(array.shape)}"
    if array.dtype.kind not in "fc":
        return f"{array.dtype} values"
    text = f"norm {_num(_norm(array))}"
    bad = _nonfinite(array)
    return f"{text} ({bad})" if bad else text


def _element(v) -> str:
    """One element of an array: a float as `_num` shows it, others as they are."""
    if isinstance(v, (float, np.floating)):
        return _num(v)
    if isinstance(v, (complex, np.complexfloating)):
        return f"{_num(v.real)}{'-' if v.imag < 0 else '+'}{_num(abs(v.imag))}j"
    return str(v.item() if isinstance(v, np.generic) else v)


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if len(shape) != 1 else f"({shape[0]},)"


def _box_output(node: Node) -> str:
    """A line of a collapsed module box for one of its outputs: its label, and its
    value when it is one number (a loss), else its shape and dtype."""
    name = f" {node.label}:" if node.label else ""
    data = node.data
    if isinstance(data, np.ndarray) and data.ndim == 0:
        return f"out{name} {_brief(node)}, data {_summary(data)}"
    return f"out{name} {_brief(node)}"


def _brief(node: Node) -> str:
    """A node's value in a few characters: its shape and dtype, or its number."""
    if isinstance(node.data, np.ndarray):
        return f"{_shape(node.data.shape)} {node.data.dtype}"
    return _num(node.data)


# ======================================================================================
# DOT output
# ======================================================================================


def _heat(magnitude: float | None, scale) -> tuple[str, str]:
    """(fill colour, font colour) for a gradient magnitude on the drawing's log scale."""
    if magnitude is None or scale is None or magnitude == 0 or not math.isfinite(magnitude):
        return "#ffffff", "#000000"
    lo, hi = scale
    t = 0.5 if hi <= lo else (math.log10(magnitude) - lo) / (hi - lo)
    i = min(len(_HEAT) - 1, max(0, round(t * (len(_HEAT) - 1))))
    return _HEAT[i], ("#ffffff" if i >= len(_HEAT) - 2 else "#000000")


def _heat_scale(order: list[_Unit], grad_of) -> tuple[float, float] | None:
    logs = []
    for unit in order:
        if unit.node is not None:
            m = _magnitude(grad_of(unit.node))
            if m is not None and m > 0 and math.isfinite(m):
                logs.append(math.log10(m))
    return (min(logs), max(logs)) if logs else None


def _escape(text: str) -> str:
    """`text` for a Graphviz HTML label: &, <, >, quotes, a backslash (Graphviz reads
    \\N in any label as the node's name, \\G as the graph's, even written as an entity:
    an invisible word joiner after it keeps it a backslash), and a leading ] (Graphviz's
    parser, 2.43 at least, fails on a text that starts with it, as a label "]")."""
    text = html.escape(text).replace("\\", "\\&#8288;")
    return "&#93;" + text[1:] if text.startswith("]") else text


def _text_label(text: str) -> str:
    """`text` (lines) as a Graphviz HTML label that shows it as it is: a plain label
    would read `<x>` as HTML, fail on `<a&b>` and replace `\\N` with the node's name.
    For module, op and constant labels (a constant's repr may be `<Mode.FAST: 1>`);
    node boxes escape their cells too."""
    return f"<{_lines(str(text))}>"


def _lines(text: str) -> str:
    """`text` escaped for an HTML label, its newlines as line breaks (Graphviz drops a
    newline in HTML text, running the lines together)."""
    return "<BR/>".join(_escape(line) for line in text.split("\n"))


def _cell(text: str, *, bold=False, color=None, size=None) -> str:
    """One table cell; the font is the node's unless a colour or size is given."""
    body = _lines(str(text))  # str(): a label set by hand may be a number
    if bold:
        body = f"<B>{body}</B>"
    font = []
    if color and color != "#000000":
        font.append(f'COLOR="{color}"')
    if size:
        font.append(f'POINT-SIZE="{size}"')
    if font:
        body = f"<FONT {' '.join(font)}>{body}</FONT>"
    return f"<TD>{body}</TD>"


class _Overlay:
    """How a drawing shows gradients; the step-through drawings replace it."""

    def grad(self, node: Node):
        """(gradient to show, a word before it or None)."""
        return node.grad, None

    def fill(self, node: Node) -> str | None:
        return None

    def bold(self, node: Node) -> bool:
        return False

    def edge(self, source: Node, node: Node, position: int) -> str | None:
        """A colour for the edge from input `source` (at `position`) into `node`'s op."""
        return None

    def note(self, node: Node) -> tuple[str, str] | None:
        """(text, colour) of an extra line in the node's box."""
        return None

    def caption(self) -> list[str]:
        return []

    def focus(self) -> list[Node]:
        """Nodes that must stay in a drawing cut to its node budget."""
        return []


def _node_label(unit: _Unit, overlay: _Overlay, scale, font, *,
                changed: bool = False) -> tuple[str, bool]:
    """The HTML label of a node's box, and whether it holds NaN or infinity."""
    node = unit.node
    grad, word = overlay.grad(node)
    bad_data, bad_grad = _nonfinite(node.data), _nonfinite(grad)
    fill = overlay.fill(node)
    ink = "#000000"
    if fill is None and scale is not None:
        fill, ink = _heat(_magnitude(grad), scale)
    grad_word = f"grad {word}" if word else "grad"
    if grad is None:
        grad_text = grad_word if word else "grad None"
    elif isinstance(node.data, np.ndarray):
        grad_text = f"{grad_word} {_summary(grad)}"
    else:
        grad_text = f"{grad_word} {_num(_as_float(grad))}"
    if isinstance(node.data, np.ndarray):
        head = f"{_shape(node.data.shape)} {node.data.dtype}"
        rows = [_cell(node.label, bold=True, color=ink)] if node.label else []
        rows.append(_cell(head, color=ink))
        rows.append(_cell(f"data {_summary(node.data)}", color=ink))
        rows.append(_cell(grad_text, color=ink if grad is not None else "#888888"))
        rows = [f"<TR>{r}</TR>" for r in rows]
    else:
        cells = [_cell(node.label, bold=True, color=ink)] if node.label else []
        cells.append(_cell(f"data {_num(node.data)}", color=ink))
        cells.append(_cell(grad_text, color=ink))
        rows = ["<TR>" + "".join(cells) + "</TR>"]
        width = len(cells)
    span = "" if isinstance(node.data, np.ndarray) else f' COLSPAN="{width}"'
    notes = []
    if unit.alike > 1:
        notes.append((f"1 of {unit.alike} alike, drawn once", "#555555"))
    if changed:
        notes.append((_CHANGED_NOTE, _CHANGED_INK))
    for what, bad in (("data", bad_data), ("grad", bad_grad)):
        if bad:
            notes.append((f"! {what} has {bad}", _BAD))
    extra = overlay.note(node)
    if extra:
        notes.append(extra)
    for text, color in notes:
        rows.append(f"<TR><TD{span}><FONT COLOR=\"{color}\" POINT-SIZE=\"{font - 2}\">"
                    f"{_lines(text)}</FONT></TD></TR>")
    bad = bool(bad_data or bad_grad)
    border = 3 if bad else (2 if overlay.bold(node) else 1)
    color = f' COLOR="{_BAD}"' if bad else ""
    bg = f' BGCOLOR="{fill or "white"}"'
    table = (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
             f'COLUMNS="*" ROWS="*"{color}{bg}>{"".join(rows)}</TABLE>>')
    return table, bad


def _as_float(x) -> float:
    if isinstance(x, Node):
        x = x.data
    return float(np.asarray(x).reshape(-1)[0]) if not isinstance(x, float) else x


def _op_label(unit: _Unit) -> str:
    node = unit.node
    name = node.op
    lines = [name]
    if isinstance(node._ctx, dict):
        for key, value in node._ctx.items():
            if value is not None and value is not False:  # defaults say nothing
                text = _index_text(value) if key == "index" else _short(value, 28)
                lines.append(f"{key}={text}")
    if unit.chained:
        lines.append(f"(chain of {unit.chained + 1})")
    return "\n".join(lines)


def _const_label(value) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return _summary(value)  # (4 fixed decimals, as node boxes: "[1.0000, 2.0000]")
        return f"const {_shape(value.shape)} {value.dtype}"
    if isinstance(value, np.generic) and value.dtype.kind in "biu":
        value = value.item()  # np.int64(3) is drawn as 3, as a Python 3 is
    if isinstance(value, (float, np.floating)):
        return _constant(value)
    return _short(value, 20)


def _constant(value: float | np.floating) -> str:
    """A constant number in short (`_num`'s, trailing zeros dropped: 2, 0.5, 1.000e-04)
    when that is the number exactly; else in the shortest form that is, when that is
    short too (0.99999, 1.0000001); else the short form marked as rounded (0.3333…).

    Dropping the zeros makes the short form read as exact: 0.99999 rounded to "1" would
    draw `x * 0.99999` as an identity. A node box keeps micrograd's 4 fixed decimals
    ("data 1.0000"), whose zeros say that the number was rounded.
    """
    short = _num(value)
    if "e" not in short:
        short = short.rstrip("0").rstrip(".")
    exact = type(value)  # float, or a NumPy float: np.float32(0.1) is exactly "0.1"
    if exact(short) == value:
        return short
    text = str(value)  # the shortest text that reads back as `value`, in its own type
    text = text[:-2] if text.endswith(".0") else text
    return text if len(text) <= _EXACT_CONSTANT_WIDTH else short + "…"


# The longest exact constant drawn in full (1.0000001); longer ones (1/3's 18 digits)
# are drawn rounded, with an ellipsis that says so.
_EXACT_CONSTANT_WIDTH = 9


def _caption(stats: dict, opts: _Options, scale, bad: int, extra: list[str],
             changed: int = 0) -> list[str]:
    lines = []
    if opts.title:
        lines.extend(opts.title.split("\n"))
    lines.extend(extra)
    n, drawn = stats["nodes"], stats["drawn_nodes"]
    left = []
    if "collapsed" in stats:
        calls, members = stats["collapsed"]
        folded, cut = stats.get("folded_boxes", 0), stats.get("cut_boxes", 0)
        if folded or cut:  # not every box is drawn: say which are not
            hidden = [f"{calls - folded - cut:,} drawn"]
            hidden += [f"{folded:,} alike folded into them"] if folded else []
            hidden += [f"{cut:,} cut"] if cut else []
            left.append(f"{calls:,} module calls collapsed into boxes ({members:,} nodes "
                        f"inside; of the boxes {', '.join(hidden)})")
        else:
            left.append(f"{calls:,} module call{'s' * (calls != 1)} drawn as "
                        f"{'boxes' if calls != 1 else 'a box'} "
                        f"({members:,} nodes inside)")
    if stats.get("off_path"):
        left.append(f"{stats['off_path']:,} nodes off the paths from the chosen nodes")
    if stats.get("chained"):
        left.append(f"{stats['chained']:,} links of +/* chains merged into their ops")
    if stats.get("folded"):
        left.append(f"{stats['folded']:,} nodes in repeated structure "
                    "(drawn once, marked ×N)")
    if stats.get("cut"):
        over = stats["drawn"] - opts.max_nodes
        left.append(f"{stats['cut']:,} nodes farthest from the root "
                    f"(budget max_nodes={opts.max_nodes}"
                    + (f", exceeded by {over} to keep the highlighted nodes and their "
                       "path to the root)" if over > 0 else ")"))
    if left or drawn != n:
        boxes = stats["drawn"] - drawn
        also = f" (and {boxes:,} module box{'es' * (boxes != 1)})" if boxes else ""
        lines.append(f"Graph of {n:,} nodes; {drawn:,} drawn{also}. Left out:")
        lines.extend(f"  - {item}" for item in left)
    if scale is not None:
        lo, hi = scale
        if hi > lo:
            lines.append(f"Colour: |grad| on a log scale, pale {10 ** lo:.2g} to dark red "
                         f"{10 ** hi:.2g} (white: zero or none)")
        else:  # (one colour for all: mid-scale, as neither small nor large)
            lines.append(f"Colour: every |grad| is {10 ** lo:.2g}, so one colour "
                         "(white: zero or none)")
    if bad:
        lines.append(f"Red border: {bad} node{'s' * (bad != 1)} with NaN or infinity")
    if changed:
        they, them = ("it was", "it") if changed == 1 else ("they were", "them")
        lines.append(f"{changed} node{'s' * (changed != 1)} marked '{_CHANGED_NOTE}': "
                     f"{they} changed in place (by an optimizer's step, say) after this "
                     f"graph was computed, so the values computed from {them} are from "
                     "before the change")
    return lines


# The note on a Tensor changed in place after an op of the graph used it
_CHANGED_NOTE = "changed in place after use"
_CHANGED_INK = "#b35900"


def _draw(root: Node, opts: _Options, overlay: _Overlay | None = None):
    if not isinstance(root, Node):
        raise TypeError(f"{opts.who}: root must be a Value or a Tensor, got "
                        f"{type(root).__name__}")
    overlay = overlay or _Overlay()
    order, root_unit, stats = _plan(root, opts, overlay.focus())
    font = 11
    dot = _new_digraph(format=opts.format)
    dot.attr(rankdir=opts.rankdir, fontname="Helvetica", nodesep="0.25", ranksep="0.35")
    dot.attr("node", fontname="Helvetica", fontsize=str(font))
    dot.attr("edge", fontname="Helvetica", fontsize=str(font - 2), color="#555555",
             arrowsize="0.7")
    scale = _heat_scale(order, lambda n: overlay.grad(n)[0]) if opts.color_grads else None
    changed = _changed_after_use(order)

    for i, unit in enumerate(order):
        unit.name = f"n{i}"

    # Statements per cluster: {id(scope) or None: [(kind, args)]}
    placed: dict[int | None, list] = {}
    scopes: dict[int, Scope] = {}

    def put(scope, statement):
        if not opts.clusters:
            scope = None
        placed.setdefault(id(scope) if scope is not None else None, []).append(statement)
        while scope is not None and id(scope) not in scopes:
            scopes[id(scope)] = scope
            scope = scope.parent

    edges = []
    bad_nodes = 0
    for unit in order:
        name = unit.name
        if unit.node is None:  # a collapsed module call
            shown = list(unit.outputs.values())[:3]
            inside = f"({unit.members} node{'s' * (unit.members != 1)} inside)"
            label = "\n".join([unit.box.label] + [_box_output(out) for out in shown]
                               + [inside])
            put(unit.scope, ("node", name, dict(
                label=_text_label(label), shape="box", style="rounded,filled",
                fillcolor="#dbe8f7",
                color="#4a6fa5", penwidth="1.5")))
            target = name
        else:
            label, bad = _node_label(unit, overlay, scale, font,
                                     changed=id(unit.node) in changed)
            bad_nodes += bad
            # height=width=0: without them dot keeps its minimum node size (0.5in
            # tall), taller than a one-row table, and clips the edges at that
            # invisible box, so arrows started 8pt away from the box drawn
            attrs = dict(label=label, shape="none", margin="0", height="0", width="0")
            put(unit.scope, ("node", name, attrs))
            target = name
            if unit.node._op is not None:
                op_name = f"{name}_op"
                # ordering=in: dot keeps the inputs in argument order, a above b for
                # a - b (without it, about one in four such pairs came out reversed)
                put(unit.scope, ("node", op_name, dict(
                    label=_text_label(_op_label(unit)), shape="ellipse", style="filled",
                    fillcolor="#eeeeee", color="#999999", fontsize=str(font),
                    margin="0.04,0.02", height="0.3", ordering="in")))
                edges.append((op_name, name, dict(weight=_NODE_EDGE_WEIGHT)))
                target = op_name
        positions = _input_positions(unit)
        roles = _input_roles(unit)
        for (source, count), position in zip(unit.edges, positions, strict=True):
            attrs = {}
            if count > 1:
                attrs.update(label=f"×{count}", penwidth="2.2", fontcolor="#1f4e9c",
                             fontsize=str(font))
            elif roles is not None and position >= 0:  # which input is which
                # An order label is an xlabel, placed after layout. A plain label is
                # laid out as a node of its own, and with it dot drew a fifth of the
                # a - b pairs with b above a (against a few without). A weighted sum's
                # many inputs meet at one oval, where xlabels would crowd.
                key = "label" if _op_name(unit) == "weighted_sum" else "xlabel"
                attrs.update({key: roles[position], "fontcolor": "#555555"})
            if type(source) is _Const:
                if not opts.constants:
                    continue
                const_name = f"{name}_c{len(edges)}"
                put(unit.scope, ("node", const_name, dict(
                    label=_text_label(_const_label(source.value)), shape="none",
                    margin="0.02", height="0", width="0",  # (as boxes: see above)
                    fontcolor="#666666", fontsize=str(font - 1))))
                attrs.update(style="dashed", color="#999999")
                edges.append((const_name, target, attrs))
            else:
                if unit.node is not None and source.node is not None and position >= 0:
                    text = overlay.edge(source.node, unit.node, position)
                    if text:
                        attrs.update(color=text, penwidth="2.2")
                attrs.update(weight=_NODE_EDGE_WEIGHT)
                edges.append((source.name, target, attrs))
        if unit.hidden:
            more = f"{name}_more"
            put(unit.scope, ("node", more, dict(
                label=f"{unit.hidden:,} more input{'s' * (unit.hidden != 1)}",
                shape="none", margin="0.02", height="0", width="0",
                fontcolor="#888888", fontsize=str(font - 1))))
            edges.append((more, target, dict(style="dotted", color="#999999")))

    def emit(graph, key):
        for _, name, attrs in placed.get(key, []):
            graph.node(name, **attrs)
        for child in children.get(key, []):
            depth = len(child.path())
            with graph.subgraph(name=f"cluster_{cluster_ids[id(child)]}") as sub:
                sub.attr(label=_text_label(child.label), style="rounded,filled",
                         fillcolor=_CLUSTER_FILLS[(depth - 1) % len(_CLUSTER_FILLS)],
                         color="#7a96c2", fontname="Helvetica", fontsize=str(font),
                         labeljust="l")
                emit(sub, id(child))

    children: dict[int | None, list[Scope]] = {}
    cluster_ids: dict[int, int] = {}
    for scope in scopes.values():
        parent = id(scope.parent) if scope.parent is not None else None
        children.setdefault(parent, []).append(scope)
        cluster_ids[id(scope)] = len(cluster_ids)
    emit(dot, None)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)

    lines = _caption(stats, opts, scale, bad_nodes, overlay.caption(), len(changed))
    if lines:
        body = "".join(f'{_escape(line)}<BR ALIGN="LEFT"/>' for line in lines)
        dot.attr(label=f'<<FONT POINT-SIZE="{font}">{body}</FONT>>', labelloc="b",
                 labeljust="l")
    stats["nonfinite"] = bad_nodes
    if changed:
        stats["changed"] = len(changed)
    dot.stats = stats
    return dot


# The weight of the edges between node boxes and op ovals, against 1 for a constant's
# or a note's: dot then keeps a chain of nodes straight and puts the constants beside
# it. With equal weights each op sat between its input and its constant, half a row
# lower at each step, and a chain like y = tanh(1.0001 * y) became a staircase whose
# height grew with its length (2128pt tall for 150 nodes, against 157pt).
_NODE_EDGE_WEIGHT = "10"

# Ops whose inputs can be swapped without changing the result: their edges are left
# unlabelled, to keep drawings clean. (weighted_sum's inputs have roles of their own.)
_COMMUTATIVE_OPS = frozenset({"+", "*", "add_n"})


def _input_roles(unit: _Unit) -> list[str] | None:
    """The edge labels of an op's inputs, or None for none.

    An op whose inputs' order matters (`-`, `/`, `**`, `@`, `where`, `concatenate`,
    `clip`, a Function's...) has them labelled in argument order: 1st, 2nd, 3rd...
    (for a - b: a is 1st, b 2nd; for x ** 2: x is 1st). Layout alone cannot show the
    order: no placement of a and b reads right for both b - a and a / b. Ordinals do
    not read as variable names (as a, b, x, y would) or as counts (×16).
    """
    op = _op_name(unit)
    if op == "weighted_sum":
        return _weighted_sum_roles(len(unit.inputs))
    if not op or op in _COMMUTATIVE_OPS or len(unit.inputs) < 2:
        return None
    return [_ordinal(i + 1) for i in range(len(unit.inputs))]


def _ordinal(n: int) -> str:
    last = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{last}"


def _changed_after_use(order: list[_Unit]) -> set[int]:
    """The ids of the Tensors drawn whose data changed in place after an op of the
    graph used them (an optimizer's step after backward, say): their boxes show the
    new data, but every value computed from them was computed from the old.

    Only Tensors carry a version count (Values do not), and only the ops drawn are
    asked: an input of a +/* chain link merged away is not.
    """
    from .tensor import Tensor, _changed_since  # (tensor imports the graph, as we do)

    drawn = {id(u.node) for u in order if u.node is not None}
    changed: set[int] = set()
    for unit in order:
        node = unit.node
        if not isinstance(node, Tensor) or node._op is None:
            continue
        for parent in node._parents:
            if (isinstance(parent, Tensor) and id(parent) in drawn
                    and id(parent) not in changed and _changed_since(parent, node._made)):
                changed.add(id(parent))
    return changed


def _weighted_sum_roles(n_inputs: int) -> list[str]:
    """The edge labels of a weighted_sum's inputs (b, w1..wn, x1..xn), with subscripts
    so that x₂ (an input) does not read as x2 (a count of look-alikes)."""
    n = (n_inputs - 1) // 2
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    return (["b"] + [f"w{i}".translate(sub) for i in range(1, n + 1)]
            + [f"x{i}".translate(sub) for i in range(1, n + 1)])


def _input_positions(unit: _Unit) -> list[int]:
    """The argument position of each drawn edge of a node unit (-1 if not one-to-one;
    a grouped weighted sum's bias, kept apart by `_Folding._grouped`, still 0)."""
    edges = unit.edges
    if unit.node is None or unit.chained:
        return [-1] * len(edges)
    if len(edges) == len(unit.inputs):
        return list(range(len(edges)))
    if (_op_name(unit) == "weighted_sum" and edges and unit.inputs
            and edges[0][0] is unit.inputs[0]):
        return [0] + [-1] * (len(edges) - 1)
    return [-1] * len(edges)

