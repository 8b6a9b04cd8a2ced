"""Labels and styles of the drawn nodes: the text a reader sees and the colours around it."""
from __future__ import annotations

from html import escape

from ..printing import format_params
from .grads import COOL, WARM, level, shade, tint
from .picture import Item, Picture

NONLINEAR, ELEMENTWISE, REDUCTION = "#c7e9c0", "#fff2b3", "#fbd3cf"
FILLS = {
    "matmul": "#c6dbef",
    "sigmoid": NONLINEAR, "tanh": NONLINEAR, "relu": NONLINEAR, "exp": NONLINEAR, "log": NONLINEAR,
    "add": ELEMENTWISE, "sub": ELEMENTWISE, "mul": ELEMENTWISE, "div": ELEMENTWISE,
    "neg": ELEMENTWISE, "pow": ELEMENTWISE,
    "sum": REDUCTION, "mean": REDUCTION, "max": REDUCTION,
}
SHAPE_OPS_FILL = "#e7e7e7"     # concat, split, stack, getitem, reshape, transpose
FUSED_FILL = "#fdae6b"
PARAM_FILL = "#ffe08a"
CONST_FILL = "#f2f2f2"
CELL_FILL = "#e5f5e0"
CELL_PATH = "#2166ac"
SMALL = "9"                    # the smallest text drawn (constants, port names, legend)


class HTML(str):
    """A label in Graphviz's HTML-like syntax (<...>), built here from escaped text. Only
    labels of this type are written unquoted; any other text, a user's scope name or
    title included, is quoted and shows literally."""


def shape_text(shapes) -> str:
    """(4, 8), or 4 x (4, 8) when an op returns several tensors of one shape."""
    shapes = [tuple(s) for s in shapes]
    if len(shapes) > 1 and len(set(shapes)) == 1:
        return f"{len(shapes)} x {shapes[0]}"
    return " ".join(str(s) for s in shapes)


def grad_text(value: float | None) -> str:
    return "grad -" if value is None else f"grad {value:.1e}"


def node_attrs(pic: Picture, item: Item, scale: tuple | None) -> dict[str, str]:
    """The DOT attributes of one item; `scale` is (largest norm, decades) for gradients."""
    kind = item.kind
    if kind in ("op", "fused"):
        attrs = _op_attrs(pic, item)
    elif kind == "param":
        node = pic.g.leaves[item.leaf]
        attrs = {"label": f"{node.name or 'param'}\n{node.shape}", "shape": "box",
                 "style": "filled", "fillcolor": PARAM_FILL}
    elif kind == "const":
        node = pic.g.leaves[item.leaf]
        shape = item.shapes.get("x", node.shape)        # x[t] of a fused layer's x
        attrs = {"label": f"{node.name or item.tag or 'const'}\n{shape}", "shape": "ellipse",
                 "style": "filled", "fillcolor": CONST_FILL, "fontsize": SMALL, "color": "#9e9e9e"}
    elif kind == "cell" or (kind == "elided" and pic.view == "cell"):
        return {"label": _cell_label(pic, item, scale), "shape": "plain", "style": "solid"}
    elif kind == "inputs":
        tags = list(item.ins)
        xs = [t for t in tags if t.startswith("x_")]
        lines = ["inputs"] + ([f"{xs[0]} ... {xs[-1]}" if len(xs) > 1 else xs[0]] if xs else [])
        others = [t for t in tags if not t.startswith("x_")]
        lines += [", ".join(others)] if others else []
        attrs = {"label": "\n".join(lines), "shape": "ellipse", "style": "filled",
                 "fillcolor": CONST_FILL, "fontsize": SMALL, "color": "#9e9e9e"}
    elif kind == "elided":
        hidden = pic.plan[item.scope]
        lines = [f"t={hidden.first} ... t={hidden.last}",
                 f"{len(hidden.steps)} steps elided, {item.ops} ops"]
        attrs = {"label": "\n".join(lines), "shape": "box",
                 "style": "rounded,dashed,filled", "fillcolor": "#fafafa", "color": "#737373"}
    else:
        steps = len(pic.g.steps.get(item.scope, ()))
        lines = [item.scope, f"{steps} steps, {item.ops} ops" if steps else f"{item.ops} ops"]
        if item.gates:
            lines.append("gates " + " ".join(item.gates))
        attrs = {"label": "\n".join(lines), "shape": "box", "style": "rounded,filled",
                 "fillcolor": CELL_FILL}
    if scale is not None:
        _shade_node(item, attrs, scale)
    if item.root:
        attrs["peripheries"] = "2"
    return attrs


def _op_attrs(pic: Picture, item: Item) -> dict[str, str]:
    """op -> its output's name (sigmoid -> f), parameters, what weights it reads, shape."""
    rec = pic.g.records[item.record]
    names = [n for n in pic.g.names[item.record] if n]
    first = rec.op + (" (scalar)" if item.scalar else "")
    if item.kind == "fused":
        first = f"{rec.op} (fused)"
    elif len(names) == 1 and len(rec.avals) == 1:
        first += f" \u2192 {names[0]}"
    lines = [first]
    if item.gates and item.kind == "fused":
        lines.append("gates " + " ".join(item.gates))
    params = format_params(rec)
    if params:
        lines.append(params)
    if item.uses:
        lines.append("uses " + ", ".join(item.uses))
    lines.append(shape_text([shape for shape, _ in rec.avals]))
    if item.kind == "fused":
        attrs = {"shape": "box3d", "style": "filled", "fillcolor": FUSED_FILL}
    else:
        attrs = {"fillcolor": FILLS.get(rec.op, SHAPE_OPS_FILL)}
    attrs = {"label": "\n".join(lines), **attrs}
    if item.cpath:
        attrs.update(color=CELL_PATH, penwidth="2")
    return attrs


def _shade_node(item: Item, attrs: dict[str, str], scale: tuple) -> None:
    """Gradient view: fill by the norm, and print it."""
    if item.kind == "elided":
        if not attrs["label"].startswith("<"):
            low = "-" if item.low is None else f"{item.low:.1e}"
            high = "-" if item.norm is None else f"{item.norm:.1e}"
            attrs["label"] += f"\ngrad {low} .. {high}"
        return
    if item.kind in ("const", "inputs"):
        return
    attrs["label"] += "\n" + grad_text(item.norm)
    value = level(item.norm, *scale)
    palette = COOL if item.cpath else WARM
    attrs["fillcolor"] = "#ffffff" if value is None else tint(shade(value, palette))
    if item.kind == "param":
        attrs["fillcolor"] = PARAM_FILL


def _state_order(port: str) -> tuple:
    """The cell state's lane first (the carousel), then h, then anything else."""
    role = port.split("_", 1)[1]
    return (0 if role.startswith("c") else 1 if role.startswith("h") else 2, port)


def _port_cells(item: Item, ports: dict, scale, small: bool = True) -> list[str]:
    cells = []
    for port in sorted(ports, key=_state_order):
        text, colour = ports[port], "#ffffff"
        if scale is not None and port in item.out_norms:
            value = level(item.out_norms[port], *scale)
            colour = tint(shade(value, COOL if port[port.index("_") + 1] == "c" else WARM), 0.45)
            text = f"{text}  {item.out_norms[port]:.0e}"
        cells.append(f'<TD PORT="{port}" BGCOLOR="{colour}">{escape(text)}</TD>')
    return cells


def _side(cells: list[str], vertical: bool) -> str:
    """One side of a cell: its ports in a column or a row (or an empty placeholder, so that
    every cell of a layer has the same shape and the state lanes stay straight)."""
    if not cells:
        return '<TD> </TD>'
    inner = "".join(f"<TR>{c}</TR>" for c in cells) if vertical else f"<TR>{''.join(cells)}</TR>"
    return ('<TD><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            + inner + "</TABLE></TD>")


def _cell_title(pic: Picture, item: Item, scale) -> tuple[list[str], str]:
    if item.kind == "elided":
        hidden = pic.plan[item.scope]
        title = [f"t={hidden.first} ... t={hidden.last}", f"{len(hidden.steps)} steps elided"]
        if scale is not None:
            low = "-" if item.low is None else f"{item.low:.0e}"
            high = "-" if item.norm is None else f"{item.norm:.0e}"
            title.append(f"grad {low} .. {high}")
        return title, "#fafafa"
    if item.step is None:
        steps = pic.g.steps.get(item.scope, [])
        title = [f"t = {steps[0]} ... {steps[-1]}", f"{len(steps)} steps"]
    else:
        title = [f"t={item.step}"]
    if item.gates:
        title.append("gates " + " ".join(item.gates))
    by_shape: dict = {}
    for name, shape in item.shapes.items():
        by_shape.setdefault(shape, []).append(name)
    title += [f"{', '.join(names)}: {shape}" for shape, names in by_shape.items()]
    body = CELL_FILL
    if scale is not None:
        title.append(grad_text(item.norm))
        value = level(item.norm, *scale)
        body = "#ffffff" if value is None else tint(shade(value))
    return title, body


def _cell_label(pic: Picture, item: Item, scale: tuple | None) -> str:
    """An HTML-like table, the textbook's cell: the recurrent state comes in on one side
    and leaves on the other (c on its own lane, h beside it), x_t enters from below (LR)
    or the left (TB), and what leaves the layer goes out the opposite side."""
    title, body = _cell_title(pic, item, scale)
    style = ' STYLE="dashed"' if item.kind == "elided" else ""
    middle = (f'<TD BORDER="1"{style} PORT="body" BGCOLOR="{body}" CELLPADDING="5">'
              + "<BR/>".join(escape(t) for t in title) + "</TD>")
    state_in = {p: t for p, t in item.ins.items() if p != "i_x"}
    inputs = {p: t for p, t in item.ins.items() if p == "i_x"}
    state_out = {p: t for p, t in item.outs.items() if p.startswith("o_")}
    outputs = {p: t for p, t in item.outs.items() if p.startswith("up_")}
    across = pic.rankdir in ("LR", "RL")
    cells = [_port_cells(item, ports, scale) for ports in (state_in, inputs, state_out, outputs)]
    corner = '<TD PORT="params"> </TD>'     # where the layer's parameters come in
    if across:   # time runs left to right: outputs above, x below
        rows = [f'<TD> </TD>{_side(cells[3], False)}<TD> </TD>',
                _side(cells[0], True) + middle + _side(cells[2], True),
                f'{corner}{_side(cells[1], False)}<TD> </TD>']
    else:        # time runs down: x from the left, outputs to the right
        rows = [f'<TD> </TD>{_side(cells[0], False)}{corner}',
                _side(cells[1], True) + middle + _side(cells[3], True),
                f'<TD> </TD>{_side(cells[2], False)}<TD> </TD>']
    return HTML('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                + "".join(f"<TR>{r}</TR>" for r in rows) + "</TABLE>>")
