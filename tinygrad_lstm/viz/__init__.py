"""Pictures of the unrolled graph: time steps as clusters, shared weights drawn once.

    import tinygrad_lstm as tl
    g = tl.viz.draw(loss)                         # a graphviz.Digraph (inline SVG in Jupyter)
    tl.viz.draw(loss, view="cell", grads=True)    # one node per step, coloured by gradient
    tl.viz.render(loss, "lstm.svg")               # .svg .png .pdf .dot; no system Graphviz needed
    tl.viz.render(loss, "lstm.html")              # the explorer: pan, zoom, step through backward
    print(tl.viz.tape_text(loss))                 # the same records as a Wengert list

The records carry where each op ran (`tl.scope(module=..., step=...)`): every time step of
every layer becomes its own box inside the layer's cluster, one below the other; gates and
states are named by the tensors' names (nn names them); parameters are drawn once, outside
the steps, with one edge into the first step, and every step names them. Views: op, cell,
rolled, layer. See docs/rendering.md.
"""
from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path

from .collect import collect, flatten_outputs
from .dot import EDGE, NODE, dot_body
from .explorer import Explorer, explore, explore_graph, keep_outputs
from .grads import DECADES, gradient_norms, track_grad_norms
from .render import FORMATS, LAYOUT_TIMEOUT, VizUnavailable, graph_class, layout, require_graphviz
from .roles import is_fused
from .text import tape_text
from .trace import Trace, lag_norms, trace
from .truncation import truncation_graph
from .views import VIEWS, build

DEFAULT_MAX_STEPS = 8

__all__ = ["draw", "render", "explore", "Explorer",
           "tape_text", "track_grad_norms", "layout", "VizUnavailable",
           "is_fused", "DEFAULT_MAX_STEPS", "VIEWS", "trace", "Trace", "lag_norms",
           "truncation_graph"]


@contextlib.contextmanager
def _gc_paused():
    """Building the tables allocates millions of small tuples that live until the end; the
    cyclic collector would rescan the whole recorded graph again and again (5x the time
    on 100,000 steps). Nothing here makes cycles, so it is paused, then restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _max_steps(value) -> float:
    if value is None:
        return DEFAULT_MAX_STEPS
    if value == "all" or value == float("inf"):
        return float("inf")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"viz: max_steps must be a positive int, 'all' or None (the default, "
                         f"{DEFAULT_MAX_STEPS}); got {value!r}")
    return value


def _check_decades(value) -> None:
    """The gradient scale spans `decades` orders of magnitude: a number in (0, 50]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 50:
        raise ValueError(f"viz: decades must be a number greater than 0 and at most 50 (the "
                         f"orders of magnitude the gradient colours span; default {DECADES}), "
                         f"got {value!r}")


def draw(output, view: str = "op", grads: bool = False, max_steps: int | str | None = None,
         *, rankdir: str | None = None, title: str | None = None, decades: float = DECADES,
         bookkeeping: bool = False):
    """The recorded graph behind `output` (a Tensor or a list/tuple of them) as a
    `graphviz.Digraph`.

    view: "op" (every op that computes, with output shapes and gate names), "cell" (one
        node per time step of each layer, with x_t, h_{t-1}, c_{t-1} in and h_t, c_t out),
        "rolled" (each layer's cell once, its state fed back in a loop marked with the
        number of steps) or "layer" (one node per layer).
    grads: colour and weight edges and nodes by gradient norm, with the cell-state path
        in blue. The norms come from a backward run inside `tl.viz.track_grad_norms()`;
        without one, the renderer runs its own backward (seeded with ones, .grad untouched).
        The scale is logarithmic: the largest norm drawn is darkest, and `decades` orders
        of magnitude below it (default 8) is the palest.
    rankdir: "LR" (time runs left to right) or "TB" (down the page). By default, LR for
        the rolled and layer views, TB for the op and cell views, so that a picture shown
        800 px wide keeps readable labels.
    bookkeeping: also draw, in the op view, the ops that only move data or prepare the
        weights (stack, getitem, split, the concat and transpose of W_ih and W_hh).
    title: a caption above the picture.
    max_steps: when a layer has more steps, only the first and last max_steps/2 are drawn
        and the rest become one node "t=4 ... t=9995". None means 8; "all" draws every step.
    """
    limit = _max_steps(max_steps)
    _check_decades(decades)
    outs = flatten_outputs(output)
    with _gc_paused():
        g = collect(outs)
        rec_norms = param_norms = None
        if grads:
            rec_norms, param_norms = gradient_norms(g, [t for t in outs if t._node is not None])
        pic = build(g, view, limit, rec_norms, param_norms, bookkeeping)
        graph_attr, body = dot_body(pic, grads, rankdir, decades)
    if title:
        graph_attr.update(label=title, labelloc="t")
    Graph = graph_class()
    graph = Graph(name="unrolled", graph_attr=graph_attr, node_attr=dict(NODE),
                  edge_attr=dict(EDGE), body=body)
    graph._items = tuple(pic.items)     # DOT node n<k> is item k: the explorer's map
    keep_outputs(graph, outs, dict(views=(view,), max_steps=max_steps, grads=grads,
                                   rankdir=rankdir, title=title, decades=decades))
    return graph


def render(output, path: str | os.PathLike, view: str = "op", grads: bool = False,
           max_steps: int | str | None = None, *, timeout: float | None = LAYOUT_TIMEOUT,
           **options):
    """Draw `output` (or take a graph `draw` returned) and write it to `path`; the suffix
    picks the format: .svg, .png, .pdf, or .dot/.gv for the DOT text, or .html for the
    explorer (every view, to pan, zoom and step through; see explore()). Returns `path`.

    Graphviz's layout is stopped after `timeout` seconds (None: no limit), with a
    TimeoutError that says how to draw a smaller picture."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS + ("dot", "gv", "html"):
        raise ValueError(f"viz.render: cannot tell the format from {str(path)!r}; end the "
                         f"path with .svg, .png, .pdf, .dot or .html")
    graphviz = require_graphviz()
    if fmt == "html":
        page = explore_graph(output) if isinstance(output, graphviz.Digraph) else explore(
            output, max_steps=max_steps, grads=grads, view=view, **options)
        if page is None:
            raise ValueError("viz.render: this graph's outputs are gone; to write the "
                             "explorer, pass the tensor itself: render(loss, 'graph.html')")
        page.save(target)
        return path
    if isinstance(output, graphviz.Digraph):
        graph = output
    else:
        graph = draw(output, view=view, grads=grads, max_steps=max_steps, **options)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        target.write_text(graph.source, encoding="utf-8")
    else:
        target.write_bytes(layout(graph.source, fmt, graph.engine, timeout))
    return path
