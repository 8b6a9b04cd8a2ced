"""DOT text for a Picture: nested clusters (module, then time step), nodes, then edges.

Lines are formatted here and appended to the graph's body directly (the `graphviz`
package's per-call quoting is the slow part on 100,000-step graphs). Node ids are n0, n1,
... in the Picture's order, cluster names come from scopes and steps, and attributes keep a
fixed order, so identical runs give byte-identical text.
"""
from __future__ import annotations

import re

from .grads import COOL, DECADES, WARM, level, shade
from .labels import HTML, node_attrs
from .legend import legend_label
from .picture import Picture

GRAPH = {"rankdir": "LR", "fontname": "Helvetica", "fontsize": "12", "nodesep": "0.18",
         "ranksep": "0.3", "labeljust": "l"}
NODE = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "10",
        "color": "#595959", "margin": "0.08,0.04", "height": "0.3"}
EDGE = {"color": "#595959", "arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9"}
EDGES = {   # kind -> (colour, pen width) outside the gradient view
    "data": ("#595959", 1.0), "const": ("#a6a6a6", 0.8), "param": ("#8e7cc3", 1.2),
    "shared": ("#8c8c8c", 1.0), "gather": ("#8c8c8c", 1.0), "state": ("#1a1a1a", 1.8), "cstate": ("#2166ac", 2.8),
}
CLUSTERS = {"m": {"style": "rounded,filled", "fillcolor": "#f5f5f5", "color": "#bdbdbd",
                  "fontsize": "12"},
            "s": {"style": "rounded,filled", "fillcolor": "#ffffff", "color": "#969696",
                  "fontsize": "11"}}


def quote(text: str) -> str:
    """A DOT string: an HTML-like label built by labels.py as is, anything else quoted
    (so a scope named "<b>x</b>" shows those characters and cannot inject DOT)."""
    if isinstance(text, HTML):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def attr_list(attrs: dict[str, str]) -> str:
    return " ".join(f"{k}={quote(v if isinstance(v, str) else str(v))}" for k, v in attrs.items())


def _cluster_name(key: tuple, used: set[str]) -> str:
    if key[0] == "m":
        base = "cluster_" + re.sub(r"\W", "_", key[1])
    else:
        scope = re.sub(r"\W", "_", key[1])
        base = "cluster_" + (f"{scope}_" if scope else "") + f"t{key[2]}"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def _tree(pic: Picture, ids: dict[tuple, str]):
    """Children clusters and items of every cluster (None is the top level), in order."""
    children: dict = {None: []}
    members: dict = {None: []}
    for key, item in pic.items.items():
        parent = None
        for cluster in item.cluster:
            if cluster not in children:
                children[cluster], members[cluster] = [], []
                children[parent].append(cluster)
            parent = cluster
        members[parent].append(key)
    return children, members


def _lane(pic: Picture, item) -> str | None:
    """The recurrent state an op makes or first reads at its step (h, c), if any."""
    g, i = pic.g, item.record
    scope = item.scope
    exits, entries = pic.roles.exits.get(scope, {}), pic.roles.entries.get(scope, {})
    for k in range(len(g.records[i].avals)):
        if (g.ordinals[i], k) in exits:
            return exits[(g.ordinals[i], k)]
    for pos in range(len(g.sources[i])):
        if (g.ordinals[i], pos) in entries:
            return entries[(g.ordinals[i], pos)]
    return None


def _group(pic: Picture, item) -> str | None:
    """Nodes in one group are kept on a straight line: the cells of a layer; in the op
    view the ops that carry each recurrent state from step to step (its lane: c through
    f * c and the add, h from the op that makes it to the one that reads it next)."""
    if item.kind in ("cell", "elided"):
        return item.scope or "steps"
    if item.kind in ("op", "fused") and item.step is not None:
        lane = "c" if item.cpath else _lane(pic, item)
        return f"{item.scope}/{lane}" if lane else None
    return None


def _lines(pic: Picture, ids: dict[tuple, str], scale: tuple | None) -> list[str]:
    children, members = _tree(pic, ids)
    first_user: dict[tuple, tuple] = {}
    for src, _, dst, _ in pic.edges:
        if src[0] in ("l", "lx") and pic.items[src].kind == "const":
            first_user.setdefault(src, dst)
    used: set[str] = set()
    out: list[str] = []
    stack: list = [("enter", None, 0)]
    while stack:
        action, cluster, depth = stack.pop()
        pad = "\t" * (depth + 1)
        if action == "leave":
            out.append("\t" * depth + "}\n")
            continue
        # A module cluster holding nothing but one cluster adds a frame and no information.
        inner = children[cluster]
        skip = cluster is not None and cluster[0] == "m" and not members[cluster] and len(inner) == 1
        if cluster is not None and not skip:
            out.append("\t" * depth + f"subgraph {_cluster_name(cluster, used)} {{\n")
            attrs = {"label": pic.clusters[cluster], **CLUSTERS[cluster[0]]}
            out.append(f"{pad}graph [{attr_list(attrs)}]\n")
        elif skip:
            depth -= 1
            pad = "\t" * (depth + 1)
        for key in members[cluster]:
            attrs = node_attrs(pic, pic.items[key], scale)
            group = _group(pic, pic.items[key])
            if group:
                attrs["group"] = group
            out.append(f"{pad}{ids[key]} [{attr_list(attrs)}]\n")
            if cluster is not None and cluster[0] == "s" and key in first_user:
                # A constant beside its user: ranked before it, it would drag the step's
                # cluster into the previous step's ranks and stack the steps diagonally.
                out.append(f"{pad}{{rank=same {ids[key]} {ids[first_user[key]]}}}\n")
        if cluster is not None and not skip:
            stack.append(("leave", cluster, depth))
        for child in reversed(inner):
            stack.append(("enter", child, depth + 1))
    return out


def _output_name(pic: Picture, key: tuple, k: int) -> str:
    """An op's outputs by their names (h, c) where they have one; others by index."""
    name = pic.g.names[pic.items[key].record][k]
    return name or str(k)


def _last_gathers(pic: Picture) -> dict:
    """Edges gathering every step into one node (a stack of all h_t) would pull each step
    towards it; only the one from the step that ran last ranks the node, after them all."""
    last: dict = {}
    for key, edge in pic.edges.items():
        latest = last.get(key[2])
        if edge.kind == "gather" and (latest is None or pic.items[key[0]].record > pic.items[latest[0]].record):
            last[key[2]] = key
    return last


def _edge_style(kind: str, norm, scale: tuple | None) -> tuple[str, float]:
    """Colour and width of an edge; in the gradient view they follow the gradient's norm."""
    colour, width = EDGES[kind]
    if scale is None or kind == "const":
        return colour, width
    value = level(norm, *scale)
    if value is None:
        return "#d0d0d0", 0.6
    return shade(value, COOL if kind == "cstate" else WARM), 0.6 + 3.4 * value


def _compass(port: str, across: bool) -> str:
    """Where a cell's port sits: state in before the step and out after it (left and right
    when time runs across, top and bottom when it runs down); x in from below (or the
    left), what leaves the layer out of the top (or the right)."""
    if port == "params":     # the corner before the step, away from the state's loops
        return "w" if across else "n"
    if port == "i_x":
        return "s" if across else "w"
    prefix = port.split("_", 1)[0]
    if prefix == "up":
        return "n" if across else "e"
    return {"i": "w", "o": "e"}[prefix] if across else {"i": "n", "o": "s"}[prefix]


def _edge_lines(pic: Picture, ids: dict[tuple, str], scale: tuple | None, rankdir: str) -> list[str]:
    out = []
    across = rankdir in ("LR", "RL")
    last_gather = _last_gathers(pic)
    steps = {scope: len(seq) for scope, seq in pic.g.steps.items()}
    looped: set = set()
    for (src, src_port, dst, dst_port), edge in pic.edges.items():
        slot = src_port[1:] if src_port and src_port[0] == "#" else None
        tail, head = ids[src], ids[dst]
        if src_port and slot is None:
            tail += f":{src_port}:{_compass(src_port, across)}"
        if dst_port:
            head += f":{dst_port}:{_compass(dst_port, across)}"
        colour, width = _edge_style(edge.kind, edge.norm, scale)
        attrs: dict[str, str] = {}
        if colour != EDGE["color"]:
            attrs["color"] = colour
        if width != 1.0:
            attrs["penwidth"] = f"{width:.2f}"
        if edge.kind == "param":
            attrs["arrowsize"] = "0.5"
        if slot is not None:
            attrs["taillabel"] = _output_name(pic, src, int(slot))
            attrs["labelfontcolor"] = "#525252"
        if edge.kind == "gather" and last_gather[dst] != (src, src_port, dst, dst_port):
            attrs["constraint"] = "false"
        if src == dst and src not in looped:   # the rolled view's loops: one says how often
            looped.add(src)
            attrs["label"] = f"x{steps.get(pic.items[src].scope, 0)} steps"
        if edge.kind not in ("state", "cstate") and pic.items[src].kind in ("cell", "elided") \
                and pic.items[dst].kind in ("cell", "elided") and pic.items[src].scope != pic.items[dst].scope:
            attrs["constraint"] = "false"   # between layers: keep the layers' rows side by side
        origin, target = pic.items[src], pic.items[dst]
        leaves_steps = origin.step is not None and target.step is None and target.kind in ("op", "fused")
        other_module = edge.kind != "param" and origin.cluster[:1] != target.cluster[:1] and \
            origin.cluster and target.cluster
        if leaves_steps or other_module:
            # leave the ranks of the steps (or of another module) first: what reads them
            # sits below, not beside them, and the picture stays narrow
            attrs["minlen"] = "2"
        if "e" in (src[0], dst[0]):
            attrs["style"] = "dashed"      # (no "x9992" labels: they would bend the layout)
        out.append(f"\t{tail} -> {head}" + (f" [{attr_list(attrs)}]" if attrs else "") + "\n")
    return out


def _param_columns(pic: Picture, ids: dict[tuple, str]) -> list[str]:
    """With time running down, a layer's parameters in a row would make the picture wide:
    invisible edges stack them in a column instead."""
    lines, last = [], {}
    for key, item in pic.items.items():
        if item.kind == "param":
            if item.cluster in last:
                lines.append(f"\t{ids[last[item.cluster]]} -> {ids[key]} [style=invis]\n")
            last[item.cluster] = key
    return lines


def choose_rankdir(pic: Picture) -> str:
    """Time runs left to right in the rolled and layer views (a few nodes); down the page
    in the op and cell views. Measured: five LSTM steps in a row make a cell view 1,500 pt
    wide, whose 9 pt labels shrink to 5 px at the docs' 800 px; in a column it is 350 pt
    wide and every label keeps its size."""
    return "LR" if pic.view in ("rolled", "layer") else "TB"


def dot_body(pic: Picture, grads: bool, rankdir: str | None = None,
             decades: float = DECADES) -> tuple[dict, list[str]]:
    """The graph attributes and the body lines of `pic` drawn as DOT."""
    ids = {key: f"n{k}" for k, key in enumerate(pic.items)}
    pic.rankdir = rankdir or choose_rankdir(pic)
    scale = None
    if grads:
        values = [item.norm for item in pic.items.values() if item.norm is not None]
        values += [edge.norm for edge in pic.edges.values() if edge.norm is not None]
        scale = (max(values, default=0.0), decades)
    body = _lines(pic, ids, scale) + _edge_lines(pic, ids, scale, pic.rankdir)
    if pic.rankdir in ("TB", "BT"):
        body += _param_columns(pic, ids)
    body.append(f"\tlegend [label={legend_label(pic, scale)} shape=plain style=solid]\n")
    if pic.rankdir in ("TB", "BT"):   # below everything, not beside the last rank
        body += [f"\t{ids[key]} -> legend [style=invis]\n" for key, item in pic.items.items()
                 if item.root]
    attrs = {**GRAPH, "rankdir": pic.rankdir}
    if pic.view == "op":
        attrs["ordering"] = "out"   # the gates in recording order (i, f, g, o) at every step
    return attrs, body
