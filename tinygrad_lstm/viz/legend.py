"""The legend: one row for every colour, width and dash that the picture uses."""
from __future__ import annotations

import math

from .grads import COOL, WARM, shade
from .labels import (CELL_FILL, CELL_PATH, CONST_FILL, ELEMENTWISE, FILLS, FUSED_FILL,
                     NONLINEAR, PARAM_FILL, REDUCTION, SHAPE_OPS_FILL, SMALL)
from .picture import Picture

LINE = "\u2014" * 3            # a line sample, drawn in the edge's colour
DASHES = "\u2013 \u2013 \u2013"
EDGE_ROWS = {   # kind -> what an edge of that kind means
    "cstate": "c: the cell state, step to step (the carousel; thickest)",
    "state": "h: the hidden state, step to step (thick)",
    "data": "a tensor, from op to op",
    "param": "a parameter into its layer's first step; every step uses it",
    "shared": "one tensor made before the steps, read by each",
    "gather": "every step into one op",
    "const": "a constant",
}
FILL_ROWS = [   # (fill, which items, meaning)
    (PARAM_FILL, "param", "parameter (drawn once; its gradient sums over the steps)"),
    (CELL_FILL, "cell", "one time step of a layer"),
    (FUSED_FILL, "fused", "one step of a fused layer: one op"),
    (FILLS["matmul"], "matmul", "matrix product"),
    (NONLINEAR, "nonlinear", "sigmoid, tanh ...: gates are named (sigmoid \u2192 f)"),
    (ELEMENTWISE, "elementwise", "elementwise add, mul ..."),
    (REDUCTION, "reduction", "sum, mean ..."),
    (SHAPE_OPS_FILL, "shape", "concat, stack, split ...: moves data"),
    (CONST_FILL, "const", "constant input"),
]


def _row(sample: str, text: str, colour: str = "#000000", fill: str | None = None) -> str:
    bg = f' BGCOLOR="{fill}"' if fill else ""
    return (f'<TR><TD{bg}><FONT COLOR="{colour}">{sample}</FONT></TD>'
            f'<TD ALIGN="LEFT">{text}</TD></TR>')


def _fill_kind(pic: Picture, item) -> str | None:
    if item.kind in ("param", "cell", "fused", "const"):
        return item.kind
    if item.kind != "op":
        return None
    fill = FILLS.get(pic.g.records[item.record].op, SHAPE_OPS_FILL)
    return {FILLS["matmul"]: "matmul", NONLINEAR: "nonlinear", ELEMENTWISE: "elementwise",
            REDUCTION: "reduction", SHAPE_OPS_FILL: "shape"}[fill]


def legend_label(pic: Picture, scale: tuple | None) -> str:
    """An HTML-like label explaining what `pic` draws (and the gradient scale, if any)."""
    kinds = {edge.kind for edge in pic.edges.values()}
    fills = {_fill_kind(pic, item) for item in pic.items.values()}
    rows = []
    if scale is None:
        colours = {"cstate": CELL_PATH, "state": "#1a1a1a", "param": "#8e7cc3",
                   "const": "#a6a6a6", "shared": "#8c8c8c", "gather": "#8c8c8c", "data": "#595959"}
        texts = dict(EDGE_ROWS)
        if not pic.g.steps:
            texts["param"] = "a parameter"
        rows += [_row(LINE, text, colours[kind]) for kind, text in texts.items() if kind in kinds]
    else:
        rows.append(_row(LINE, "gradient norm |dL/d tensor|: an edge's colour and width, "
                         "a node's fill (log scale)", shade(0.7)))
        if "cstate" in kinds:
            rows.append(_row(LINE, "blue: the cell-state path c", shade(0.7, COOL)))
        rows.append(_row(LINE, "pale and thin: no gradient reached it", "#d0d0d0"))
    if any(item.kind == "elided" for item in pic.items.values()):
        rows.append(_row(DASHES, "into or out of the elided steps", "#595959"))
    if any(item.cpath for item in pic.items.values()):
        rows.append(_row("op", "blue border: on the cell-state path", CELL_PATH))
    if any(key[2] == key[0] for key in pic.edges):
        rows.append(_row("loop", "the state fed back: once per step", "#1a1a1a"))
    if scale is not None:           # fills show the gradient; only these keep their own
        fills &= {"param", "const"}
    fill_rows = FILL_ROWS if pic.g.steps else [(PARAM_FILL, "param", "parameter")] + FILL_ROWS[1:]
    rows += [_row(" ", text, fill=fill) for fill, kind, text in fill_rows if kind in fills]
    if any(item.root for item in pic.items.values()):
        rows.append(_row("[ ]", "double border: an output drawn"))
    if any(key[0] == "s" for key in pic.clusters):
        rows.append(_row("t=3", "white box: one time step", "#595959"))
    if any(key[0] == "m" for key in pic.clusters):
        rows.append(_row("lstm", "grey box: a module (the scope its ops ran in)", "#595959"))
    table = ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="2">'
             + "".join(rows) + "</TABLE>")
    if scale is not None:
        table = ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0"><TR><TD>' + table
                 + "</TD></TR><TR><TD>" + _scale(*scale, "cstate" in kinds) + "</TD></TR></TABLE>")
    return f'<<FONT POINT-SIZE="{SMALL}">{table}</FONT>>'


def _scale(top: float, decades: float, cell_state: bool) -> str:
    """The colour scale from the largest norm down `decades` orders of magnitude."""
    cells = []
    for k in range(int(decades), -1, -1):
        exponent = math.floor(math.log10(top)) - (decades - k) if top > 0 else 0
        cells.append(f'<TD BGCOLOR="{shade(k / decades, WARM)}">1e{exponent:.0f}</TD>')
    rows = ["<TR>" + "".join(cells) + "</TR>"]
    if cell_state:
        rows.append("<TR>" + "".join(f'<TD BGCOLOR="{shade(k / decades, COOL)}"> </TD>'
                                     for k in range(int(decades), -1, -1)) + "</TR>")
    return ('<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
            + "".join(rows) + "</TABLE>")
