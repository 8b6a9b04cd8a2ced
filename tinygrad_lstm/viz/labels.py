"""Labels and styles of the drawn nodes: the text a reader sees and the colours around it."""
from __future__ import annotations

from html import escape

from ..printing import format_params
from .grads import COOL, WARM, level, shade, tint
from .views import Item, Picture

FILLS = {
    "matmul": "#c6dbef",
    "sigmoid": "#c7e9c0", "tanh": "#c7e9c0", "relu": "#c7e9c0", "exp": "#c7e9c0", "log": "#c7e9c0",
    "add": "#fff2b3", "sub": "#fff2b3", "mul": "#fff2b3", "div": "#fff2b3", "neg": "#fff2b3",
    "pow": "#fff2b3",
    "sum": "#fbd3cf", "mean": "#fbd3cf", "max": "#fbd3cf",
}
SHAPE_OPS_FILL = "#e7e7e7"     # concat, split, stack, getitem, reshape, transpose
FUSED_FILL = "#fdae6b"
PARAM_FILL = "#ffe08a"
CELL_FILL = "#e5f5e0"
CELL_PATH = "#2166ac"


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
        lines = [node.name or "param", str(node.shape)]
        attrs = {"label": "\n".join(lines), "shape": "box", "style": "filled",
                 "fillcolor": PARAM_FILL}
    elif kind == "const":
        node = pic.g.leaves[item.leaf]
        attrs = {"label": f"{node.name or item.tag or 'const'}\n{node.shape}", "shape": "ellipse",
                 "style": "filled", "fillcolor": "#f2f2f2", "fontsize": "9", "color": "#9e9e9e"}
    elif kind == "cell":
        return {"label": _cell_label(pic, item, scale), "shape": "plain", "style": "solid"}
    elif kind == "inputs":
        tags = list(item.ins)
        xs = [t for t in tags if t.startswith("x_")]
        lines = ["inputs"] + ([f"{xs[0]} ... {xs[-1]}" if len(xs) > 1 else xs[0]] if xs else [])
        others = [t for t in tags if not t.startswith("x_")]
        lines += [", ".join(others)] if others else []
        attrs = {"label": "\n".join(lines), "shape": "ellipse", "style": "filled",
                 "fillcolor": "#f2f2f2", "fontsize": "9", "color": "#9e9e9e"}
    elif kind == "elided":
        hidden = pic.plan[item.scope]
        lines = [f"t={hidden.first} ... t={hidden.last}",
                 f"{len(hidden.steps)} steps elided, {item.ops} ops"]
        attrs = {"label": "\n".join(lines), "shape": "box",
                 "style": "rounded,dashed,filled", "fillcolor": "#fafafa", "color": "#737373"}
    else:
        steps = len(pic.g.steps.get(item.scope, ()))
        lines = [item.scope, f"{steps} steps, {item.ops} ops" if steps else f"{item.ops} ops"]
        attrs = {"label": "\n".join(lines), "shape": "box", "style": "rounded,filled",
                 "fillcolor": CELL_FILL}
    if scale is not None:
        _shade_node(item, attrs, scale)
    if item.root:
        attrs["peripheries"] = "2"
    return attrs


def _op_attrs(pic: Picture, item: Item) -> dict[str, str]:
    rec = pic.g.records[item.record]
    lines = [rec.op + (" (scalar)" if item.scalar else "")]
    if item.kind == "fused":
        lines.append("[fused]")
    params = format_params(rec)
    if params:
        lines.append(params)
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


def _cell_label(pic: Picture, item: Item, scale: tuple | None) -> str:
    """An HTML-like table: inputs before the step and outputs after it, along the flow of
    time (left and right of it with rankdir LR, above and below with TB)."""
    title = [f"t={item.step}"]
    title.append(f"{item.fused} [fused]" if item.fused else f"{item.ops} ops")
    body = CELL_FILL
    if scale is not None:
        title.append(grad_text(item.norm))
        value = level(item.norm, *scale)
        body = "#ffffff" if value is None else tint(shade(value))
    middle = (f'<TD BORDER="1" PORT="body" BGCOLOR="{body}" CELLPADDING="6">'
              + "<BR/>".join(escape(t) for t in title) + "</TD>")
    across = pic.rankdir in ("LR", "RL")
    sides = []
    for ports, outgoing in ((item.ins, False), (item.outs, True)):
        cells = []
        for port, text in ports.items():
            colour = "#ffffff"
            if outgoing and scale is not None and port in item.out_norms:
                value = level(item.out_norms[port], *scale)
                colour = tint(shade(value, COOL if port.startswith("o_c") else WARM), 0.45)
                text = f"{text}  {item.out_norms[port]:.0e}"
            cells.append(f'<TD PORT="{port}" BGCOLOR="{colour}">{escape(text)}</TD>')
        inner = "".join(f"<TR>{c}</TR>" for c in cells) if across else f"<TR>{''.join(cells)}</TR>"
        sides.append('<TD><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                     + inner + "</TABLE></TD>" if cells else "")
    if across:
        rows = "<TR>" + sides[0] + middle + sides[1] + "</TR>"
    else:
        rows = "".join(f"<TR>{part}</TR>" for part in (sides[0], middle, sides[1]) if part)
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">' + rows + "</TABLE>>"
