"""The explorer: one self-contained HTML file to pan, zoom and step through a graph.

    tl.viz.render(loss, "graph.html")      # or: ex = tl.viz.explore(loss); ex.save("graph.html")

The page holds everything inline (style, script, the SVG of every view, the data as JSON):
no network, no server, it opens from file://. It shows each node's op, formula, shapes,
dtype, scope, step, gradient norm, a value summary where a value is known (parameters,
the drawn outputs, and gates and states given a `tl.viz.trace`: nodes hold no arrays) and
the line that created it where the forward pass ran under `tl.detect_anomaly()`. Its
controls walk the tape forward, or backward in reverse recording order, showing the
cotangent that arrives at each record and each shared weight's gradient growing term by
term (backward_steps.py). Long graphs stay small: middle steps are elided in the pictures
and stepped through a time step at a time (explorer_table.py), and per-term gradient
values are kept only while they fit TERM_BUDGET (their norms always are).
"""
from __future__ import annotations

import html
import json
import re
import weakref
from pathlib import Path

from .. import tape
from ..ops import OPS
from . import explorer_table as table
from .backward_steps import missing_vjps, trace_backward
from .collect import collect, elision, flatten_outputs
from .views import VIEWS

ASSETS = Path(__file__).parent
TERM_BUDGET = 1_000_000     # bytes of per-term gradient values a page keeps (else none)
EXPANDED = {"op": 16}       # steps drawn when expanded: the op view's layout grows fast
EXPANDED_DEFAULT = 32
NOTEBOOK_RECORDS = 100_000  # beyond, a notebook shows the SVG alone (the page would take
                            # minutes and tens of MB); render(out, "x.html") still writes it


def _node_maps(g, keys: list[tuple]) -> tuple[list[int], list[int], list[str]]:
    """Which drawn node (its position, so its SVG title n<k>) shows each row and each leaf."""
    where = {key: k for k, key in enumerate(keys)}
    rows = []
    for i, (scope, step) in enumerate(g.groups):
        probes = [("r", i), ("c", scope, step), ("e", scope)] if step is not None else [("r", i)]
        probes.append(("L", scope))
        rows.append(next((where[p] for p in probes if p in where), -1))
    leaves = [where.get(("l", j), -1) for j in range(len(g.leaves))]
    return rows, leaves, [str(key[0]) for key in keys]


def _svg(graph) -> str:
    from .render import layout
    text = layout(graph.source, "svg", graph.engine).decode("utf-8")
    text = text[text.index("<svg"):]                       # no XML prolog inside HTML
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.I)


def _pictures(g, outs, views, max_steps, grads, draw_options) -> tuple[list[dict], list[str]]:
    from . import _max_steps, draw
    pictures, svgs = [], []
    for view in views:
        levels = [("", max_steps)]
        for label, steps in levels:
            graph = draw(outs, view=view, grads=grads, max_steps=steps, **draw_options)
            keys = list(graph._items)
            if label == "" and any(key[0] == "e" for key in keys):
                wider = EXPANDED.get(view, EXPANDED_DEFAULT)
                if wider > _max_steps(steps):
                    levels.append(("expanded", wider))
            rows, leaves, kinds = _node_maps(g, keys)
            pictures.append({"view": view, "level": label, "svg": len(svgs), "rows": rows,
                             "leaves": leaves, "kinds": kinds})
            svgs.append(_svg(graph))
    return pictures, svgs


class Explorer:
    """The explorer page of a graph: `.html` is its text, `.save(path)` writes it, and in
    Jupyter it displays inline (in an iframe, so its script and style stay its own)."""

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path) -> Path:
        """Write the page to `path` (UTF-8), making its folder if needed; returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # (no sandbox attribute: Chromium then leaves the transformed picture unpainted)
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width:100%;'
                f'height:640px;border:1px solid #ccc"></iframe>')


def explore(output, views=None, max_steps=None, grads: bool = False, *, view: str | None = None,
            values=None, **options) -> Explorer:
    """The explorer of the graph behind `output` (a Tensor or a list/tuple of them).

    views: the views to embed, in order (default: every one of tl.viz.VIEWS); each view
        with elided steps also gets an expanded picture. view: the one shown first.
    values: a `tl.viz.trace(model, x)` of the same run: the page then summarises the
        values of its gates and states too (the tape holds no arrays).
    max_steps, grads and the options (rankdir, title, ...) are draw()'s.
    The backward pass shown is the explorer's own (retain_graph, seeded with ones, .grad
    untouched); when a backward already freed the graph, the page shows the forward pass
    and says why the backward is missing.
    """
    outs = flatten_outputs(output)
    g = collect(outs)
    note, trace = "", None
    if missing_vjps(g):
        note = ("A backward pass already ran through this graph and freed it: make the "
                "explorer before calling backward (or call backward with retain_graph=True).")
    else:
        trace = trace_backward(g, [t for t in outs if t._node is not None], TERM_BUDGET)
    views = list(views or VIEWS)
    if view is not None:
        if view not in views:
            raise ValueError(f"viz.explore: view must be one of {', '.join(views)}, got {view!r}")
        views.insert(0, views.pop(views.index(view)))
    pictures, svgs = _pictures(g, outs, views, max_steps, grads, options)
    data = _data(g, outs, trace, values, pictures, max_steps)
    data.update(title=options.get("title") or "", note=note)
    return Explorer(_page(data, svgs, options.get("title")))


def _data(g, outs, trace, values, pictures, max_steps) -> dict:
    """What the page's script reads: page rows (the steps no picture draws merged, one per
    step), their sources, the leaves, the backward events and the weights' terms."""
    from . import _max_steps
    widest = max([_max_steps(max_steps), EXPANDED_DEFAULT, *EXPANDED.values()])
    disp, members = table.page_rows(g, {scope: plan.steps for scope, plan in
                                        elision(g.steps, widest).items()})
    for picture in pictures:
        picture["rows"] = [picture["rows"][rows[0]] for rows in members]
    strings = table.Strings()
    events, remap = table.events(trace, disp, members) if trace else ([], [])
    drawn = [t for t in outs if t._node is not None and t._node.record is not None]
    data = {
        "rows": table.row_table(g, members, strings),
        "src": table.sources(g, disp, members),
        "leaves": table.leaf_table(g, strings),
        "roots": {disp[src[1]]: table.summary(t.numpy()) for t, src in zip(drawn, g.roots)},
        "values": table.traced_values(g, members, values, strings),
        "formulas": {name: d.formula for name, d in OPS.items()},
        "pictures": pictures, "events": events,
        "weights": table.weights(g, trace, remap) if trace else [],
    }
    data["strings"] = strings.table()
    return data


def _page(data: dict, svgs: list[str], title: str | None) -> str:
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    blocks = "".join(f'<script type="text/plain" id="svg{k}">{svg}</script>\n'
                     for k, svg in enumerate(svgs))
    parts = {"title": html.escape(title or "tinygrad-lstm explorer"), "svgs": blocks,
             "data": payload, "style": (ASSETS / "explorer.css").read_text(encoding="utf-8"),
             "script": '"use strict";\n' + "".join((ASSETS / name).read_text(encoding="utf-8")
                                                   for name in ("explorer_panels.js", "explorer.js"))}
    template = (ASSETS / "explorer.html").read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)   # one pass


def keep_outputs(graph, outs: list, options: dict) -> None:
    """Let a graph from draw() show the explorer in Jupyter: weak references to what it
    was drawn from (a graph must not keep a whole recorded run alive)."""
    graph._explore = ([weakref.ref(t) for t in outs], options)


def explore_graph(graph, limit: float = float("inf")) -> Explorer | None:
    """The explorer of a graph draw() returned, or None when its outputs are gone (or
    when more than `limit` records are behind them)."""
    refs, options = getattr(graph, "_explore", (None, None))
    outs = [ref() for ref in refs or ()]
    if not outs or any(t is None for t in outs):
        return None
    if limit < float("inf") and len(tape.reachable(
            [t._node for t in outs if t._node is not None])) > limit:
        return None
    return explore(outs, **options)
