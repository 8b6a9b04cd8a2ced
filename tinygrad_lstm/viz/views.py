"""Views: what each record and leaf is drawn as, where, and the edges between them.

- op view: one node per record (bookkeeping left out unless asked for, see passes.py);
  cell view: one node per (scope, step); rolled view: one node per scope, its recurrent
  edges drawn as loops; layer view: one node per scope. Records with no step (a loss, a
  head) stay op nodes in every view but the layer view.
- Steps elided by `collect.elision` all map to one node per scope.
- Parameters are drawn once, in the innermost cluster that holds their uses but never in
  a step. Their edge goes into the first step only (every later step names them instead,
  so no curve crosses the picture once per step). Constants sit with their users, scalar
  constants are folded into their op's label, and constants into a cell are named by the
  cell's input port (x_3, h_init).
Edges between the same two nodes (and ports) are merged, keeping a count and the largest
gradient norm. An edge's kind decides how it is drawn: "state" (h from step to step),
"cstate" (the cell-state path), "param" (a parameter into a step), "shared" (one tensor
made outside the steps and read by each), "gather" (every step into one node), "const"
and "data". One loop over the records builds it all.
"""
from __future__ import annotations

from .collect import Unrolled, elision
from .passes import bookkeeping, symbol
from .picture import Item, Picture
from .roles import find_roles, is_fused

VIEWS = ("op", "cell", "rolled", "layer")


def build(g: Unrolled, view: str, max_steps: float, rec_norms=None, param_norms=None,
          show_bookkeeping: bool = False) -> Picture:
    """Lay out `g` as `view`; `rec_norms[i]` are record i's output-cotangent norms (or None)."""
    if view not in VIEWS:
        raise ValueError(f"viz: view must be one of {', '.join(VIEWS)}, got {view!r}")
    plan = elision(g.steps, max_steps) if view in ("op", "cell") else {}
    book = bookkeeping(g, show_bookkeeping and view == "op")
    pic = Picture(g, view, plan, find_roles(g, plan), book)
    pic.param_norms = dict(param_norms or {})
    for i, (scope, step) in enumerate(g.groups):
        if step is not None:
            pic.counterpart.setdefault((scope, step, g.ordinals[i]), i)
    items = [None if i in book.hidden else pic.record_item(i) for i in range(len(g.records))]
    for i, item in enumerate(items):
        if item is None:
            continue
        norms = rec_norms[i] if rec_norms is not None and rec_norms[i] is not None else None
        if norms:
            item.add_norm(max(norms))
        if i in pic.roles.cell_path and item.kind in ("op", "fused"):
            item.cpath = True
    for src in g.roots:
        src = book.resolve(src)
        if src[0] == "r" and items[src[1]] is not None:
            items[src[1]].root = True
    pending: list[tuple] = []
    for i, row in enumerate(g.sources):
        if items[i] is not None:
            _edges_into(pic, items, i, row, rec_norms, pending)
    for j, dst, kind in pending:   # constants whose only users were elided: dropped
        if ("l", j) in pic.items:
            pic.add_edge(pic.items[("l", j)], None, dst, None, kind, None)
    _finish(pic)
    return pic


def _finish(pic: Picture) -> None:
    """A "gather" from a single step is plain data; and every cell shows each state
    leaving it, read or not, and what the layer outputs (h_t), so all cells of a layer
    have the same shape and their lanes line up."""
    gathered: dict[tuple, int] = {}
    for key, edge in pic.edges.items():
        if edge.kind == "gather":
            gathered[key[2]] = gathered.get(key[2], 0) + 1
    for key, edge in pic.edges.items():
        if edge.kind == "gather" and gathered[key[2]] == 1:
            edge.kind = "data"
    for item in pic.items.values():
        if item.kind == "cell" and item.step is not None:
            for role in pic.roles.exits.get(item.scope, {}).values():
                item.outs.setdefault("o_" + role, f"{role}_{item.step}")
                if not role.startswith("c"):
                    item.outs.setdefault("up_" + role, f"{role}_{item.step}")


def _edges_into(pic: Picture, items: list, i: int, row, rec_norms, pending) -> None:
    dst = items[i]
    for pos, src in enumerate(row):
        src = pic.book.resolve(src)
        if src[0] == "l":
            _leaf_edge(pic, dst, i, pos, src[1], pending)
        elif src[1] in pic.book.derived:
            _param_use(pic, dst, i, src)
        elif items[src[1]] is not dst or (pic.view == "rolled" and pic.g.groups[src[1]] != pic.g.groups[i]):
            _record_edge(pic, items[src[1]], dst, i, pos, src, rec_norms)


def _param_leaves(pic: Picture, src) -> list[int]:
    """The parameter leaves behind a parameter or a record derived from parameters alone."""
    found, todo = [], [src]
    while todo:
        s = todo.pop()
        if s[0] == "l":
            found.append(s[1])
        else:
            todo.extend(reversed(pic.g.sources[s[1]]))
    return found


def _param_use(pic: Picture, dst: Item, i: int, src) -> None:
    """A parameter (or one derived from parameters) read by record i: named in the reader's
    label, and drawn as an edge only into the first step of a layer (or outside steps)."""
    g = pic.g
    name = symbol(g.leaves[src[1]].name) if src[0] == "l" else pic.book.derived[src[1]]
    if name not in dst.uses:
        dst.uses.append(name)
    if dst.kind == "elided" or dst.step not in (None, pic.first_step(dst.scope)):
        return
    port = "params" if dst.kind == "cell" else None     # a corner of the cell, beside its body
    for j in _param_leaves(pic, src):      # drawn once: the edge shows the whole gradient
        pic.add_edge(pic.leaf_item(j, dst.cluster), None, dst, port, "param",
                     pic.param_norms.get(j))


def _with_shape(pic: Picture, item: Item, label: str, shape) -> str:
    """The first step drawn (and a rolled cell) also says what shapes come in."""
    first = item.step is not None and item.step == pic.first_step(item.scope)
    if (first or pic.view == "rolled") and shape is not None:
        item.shapes.setdefault(label.split("_", 1)[0], tuple(shape))
    return label


def _leaf_edge(pic: Picture, dst: Item, i: int, pos: int, j: int, pending) -> None:
    g = pic.g
    node = g.leaves[j]
    if node.requires_grad:
        _param_use(pic, dst, i, ("l", j))
        return
    if node.shape == ():
        dst.scalar = True
        return
    scope, step = g.groups[i]
    entry = pic.roles.entry(scope, (g.ordinals[i], pos)) if step is not None else None
    kind = ("cstate" if entry[0] == "c" else "state") if entry else "const"
    tag = node.name or (f"{entry}_init" if entry else _stands_for(pic, i, pos))
    fused_x = is_fused(g.records[i]) and pos == 0 and len(node.shape) == 3
    if dst.kind in ("cell", "layer"):
        parts = [] if node.name or entry else _parts(pic, i, pos)[1]
        for role, label, shape in parts or [(entry, tag, node.shape)]:
            if dst.kind == "layer":     # a layer's constants: one node
                key = ("in", dst.scope)
                inputs = pic.items.get(key) or pic.items.setdefault(
                    key, Item(key, "inputs", dst.cluster, dst.scope))
                inputs.ins[label or "const"] = ""
                pic.add_edge(inputs, None, dst, None, "const", None)
                continue
            if pic.view == "rolled":
                label = f"{role}_t-1" if role else "x_t"
            # (a fused layer reads all of x; its step t reads x[t])
            _in_port(dst, role, _with_shape(pic, dst, label, shape[1:] if fused_x else shape))
    elif dst.kind == "elided":
        pending.append((j, dst, kind))
    elif fused_x and step is not None:      # x[t] of a fused layer, beside its step
        key = ("lx", j, step)
        item = pic.items.get(key) or pic.items.setdefault(
            key, Item(key, "const", dst.cluster, scope, step, leaf=j, tag=f"x_{step}"))
        item.shapes["x"] = node.shape[1:]
        pic.add_edge(item, None, dst, None, kind, None)
    else:
        pic.add_edge(pic.leaf_item(j, dst.cluster, tag), None, dst, None, kind, None)


def _parts(pic: Picture, i: int, pos: int) -> tuple[str, list[tuple]]:
    """A constant into record i at a step may stand for a record the next step computes
    from constants and states (at step 0, concat(x_0, h_init) is not recorded: both are
    constants). Returns that record's op and its inputs as (state role or None, name,
    shape), or ("", [])."""
    g = pic.g
    scope, step = g.groups[i]
    steps = g.steps.get(scope, [])
    k = pic.step_index(scope, step)
    later = pic.counterpart.get((scope, steps[k + 1], g.ordinals[i])) if k + 1 < len(steps) else None
    if later is None:
        return "", []
    src = pic.book.resolve(g.sources[later][pos])
    if src[0] != "r" or g.groups[src[1]] != g.groups[later]:
        return "", []
    parts = []
    for p, inner in enumerate(g.sources[src[1]]):
        role = pic.roles.entry(scope, (g.ordinals[src[1]], p))
        if role:
            name = f"{role}_init" if k == 0 else f"{role}_{steps[k - 1]}"
        elif inner[0] == "l" and not g.leaves[inner[1]].requires_grad:
            name = f"x_{step}"
        else:
            return "", []
        shape = g.leaves[inner[1]].shape if inner[0] == "l" else g.records[inner[1]].avals[inner[2]][0]
        parts.append((role, name, shape))
    return g.records[src[1]].op, parts


def _stands_for(pic: Picture, i: int, pos: int) -> str:
    """A name for a constant into record i at a step: x_3, or concat(x_0, h_init)."""
    g = pic.g
    if g.groups[i][1] is None:
        return ""
    op, parts = _parts(pic, i, pos)
    if not parts:
        return f"x_{g.groups[i][1]}"
    return f"{op}({', '.join(name for _, name, _ in parts)})"


def _edge_kind(pic: Picture, origin: Item, dst: Item, i: int, p: int, k: int) -> str:
    """What an edge from record p's output k into record i carries: recurrent state (h or
    the cell state c), a tensor shared by all steps, a gather, or plain data."""
    g, roles = pic.g, pic.roles
    scope, step = g.groups[i]
    src_scope, src_step = g.groups[p]
    role = None
    if src_scope == scope and None not in (src_step, step) and src_step != step:
        role = roles.exit(scope, (g.ordinals[p], k))
    if role:
        return "cstate" if role[0] == "c" else "state"
    if p in roles.cell_path and i in roles.cell_path and g.groups[p] == g.groups[i]:
        return "cstate"
    if origin.step is None and origin.kind in ("op", "fused") and (
            dst.step is not None or dst.kind == "elided"):
        return "shared"             # one tensor made outside the steps, read by each
    if dst.step is None and dst.kind in ("op", "fused") and (
            origin.step is not None or origin.kind == "elided"):
        return "gather"             # e.g. the stack of every step's h
    return "data"


def _has_ports(pic: Picture, item: Item) -> bool:
    """Cells, and elided steps in the cell view, have a port per state in and out."""
    return item.kind == "cell" or (item.kind == "elided" and pic.view == "cell")


def _record_edge(pic: Picture, origin: Item, dst: Item, i: int, pos: int, src, rec_norms) -> None:
    g, roles = pic.g, pic.roles
    p, k = src[1], src[2]
    scope, step = g.groups[i]
    src_scope, src_step = g.groups[p]
    kind = _edge_kind(pic, origin, dst, i, p, k)
    src_port = dst_port = None
    if origin.kind in ("op", "fused") and len(g.records[p].avals) > 1:
        src_port = f"#{k}"          # no port: keeps the outputs' edges apart, and labels them
    if _has_ports(pic, origin) and (origin.kind == "cell" or kind in ("state", "cstate")):
        role = roles.exit(src_scope, (g.ordinals[p], k)) or "out"
        # recurrent state leaves towards the next step; anything else out of the side
        src_port = ("o_" if kind in ("state", "cstate") else "up_") + role
        when = "t" if pic.view == "rolled" else src_step
        origin.outs.setdefault(src_port, role if origin.kind == "elided" else f"{role}_{when}")
    entry = roles.entry(scope, (g.ordinals[i], pos))
    if _has_ports(pic, dst) and (dst.kind == "cell" or entry):
        if dst.kind == "elided":
            label = entry or "x"
        elif pic.view == "rolled":
            label = f"{entry}_t-1" if entry else "x_t"
        else:
            label = f"{entry}_{src_step}" if entry else f"x_{step}"
        dst_port = _in_port(dst, entry, _with_shape(pic, dst, label, g.records[p].avals[k][0]))
    norms = rec_norms[p] if rec_norms is not None else None
    norm = norms[k] if norms else None
    if src_port and norm is not None and _has_ports(pic, origin):
        origin.out_norms[src_port] = max(norm, origin.out_norms.get(src_port, 0.0))
    pic.add_edge(origin, src_port, dst, dst_port, kind, norm)


def _in_port(item: Item, role: str | None, label: str) -> str:
    port = "i_" + (role or "x")
    item.ins.setdefault(port, label)
    return port
