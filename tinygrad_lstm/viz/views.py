"""Views: what each record and leaf is drawn as, where, and the edges between them.

- op view: one node per record; cell view: one node per (scope, step); layer view: one node
  per scope. Records with no step (a loss, a head) stay op nodes in the first two views.
- Steps elided by `collect.elision` all map to one node per scope.
- Leaves: parameters (leaves that require grad) are drawn once, in the innermost cluster
  that holds every use but never inside a step; constants sit with their users, except
  that scalar constants are folded into their op's label and constants into a cell are
  named by the cell's input port (x_3, h_init).
Edges between the same two nodes (and ports) are merged, keeping a count and the largest
gradient norm. One loop over the records builds it all.
"""
from __future__ import annotations

from .collect import Elided, Unrolled, elision
from .roles import Roles, find_roles, is_fused

VIEWS = ("op", "cell", "layer")
STRENGTH = {"const": 0, "param": 1, "shared": 2, "gather": 2, "data": 2, "state": 3, "cstate": 4}


class Item:
    """One drawn node."""

    __slots__ = ("key", "kind", "cluster", "ops", "record", "leaf", "scope", "step", "ins",
                 "outs", "norm", "low", "out_norms", "cpath", "root", "scalar", "fused", "tag")

    def __init__(self, key: tuple, kind: str, cluster: tuple, scope: str = "",
                 step: int | None = None) -> None:
        self.key, self.kind, self.cluster, self.scope, self.step = key, kind, cluster, scope, step
        self.ops, self.record, self.leaf = 0, None, None
        self.ins: dict[str, str] = {}
        self.outs: dict[str, str] = {}
        self.out_norms: dict[str, float] = {}
        self.norm: float | None = None
        self.low: float | None = None
        self.cpath = self.root = self.scalar = False
        self.fused: str | None = None   # the fused op inside a cell, if any
        self.tag = ""                   # a constant's role: x_3, h_init, ...

    def add_norm(self, value: float | None) -> None:
        if value is None:
            return
        self.norm = value if self.norm is None else max(self.norm, value)
        if value > 0:
            self.low = value if self.low is None else min(self.low, value)


class Picture:
    """Items, merged edges and clusters of one view, in a deterministic order."""

    def __init__(self, g: Unrolled, view: str, plan: dict[str, Elided], roles: Roles) -> None:
        self.g, self.view, self.plan, self.roles = g, view, plan, roles
        self.items: dict[tuple, Item] = {}
        self.edges: dict[tuple, list] = {}     # (src, src_port, dst, dst_port) -> [kind, norm, count]
        self.clusters: dict[tuple, str] = {}   # cluster key -> label, in order of appearance
        self.param_norms: dict[int, float] = {}
        self.derived: set[int] = set()
        self.alias: dict[int, tuple] = {}       # getitem record -> the source it really reads
        self.hidden: set[int] = set()           # stacks drawn as direct edges instead

    def chain(self, scope: str) -> tuple:
        """The module clusters around a scope: "lstm.l0" -> ("m","lstm"), ("m","lstm.l0")."""
        parts = scope.split(".") if scope else []
        keys = tuple(("m", ".".join(parts[:k + 1])) for k in range(len(parts)))
        for key in keys:
            self.clusters.setdefault(key, key[1])
        return keys

    def step_cluster(self, scope: str, step: int) -> tuple:
        key = ("s", scope, step)
        self.clusters.setdefault(key, f"t={step}")
        return self.chain(scope) + (key,)

    def record_item(self, i: int) -> Item:
        scope, step = self.g.groups[i]
        hidden = self.plan.get(scope)
        if step is not None and hidden is not None and step in hidden.steps:
            key, kind, cluster = ("e", scope), "elided", self.chain(scope)
        elif self.view == "cell" and step is not None:
            key, kind, cluster = ("c", scope, step), "cell", self.step_cluster(scope, step)
        elif self.view == "layer" and scope:
            key, kind, cluster = ("L", scope), "layer", self.chain(scope)[:-1]
        else:
            op = self.g.records[i].op
            kind = "fused" if is_fused(op) else "op"
            cluster = self.step_cluster(scope, step) if step is not None else self.chain(scope)
            key = ("r", i)
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = Item(key, kind, cluster, scope, step)
            item.record = i
        item.ops += 1
        if kind == "cell" and is_fused(self.g.records[i].op):
            item.fused = self.g.records[i].op
        return item

    def leaf_item(self, j: int, cluster: tuple, tag: str = "") -> Item:
        key = ("l", j)
        item = self.items.get(key)
        node = self.g.leaves[j]
        if node.requires_grad and cluster and cluster[-1][0] == "s":
            cluster = cluster[:-1]          # parameters never sit inside a time step
        if item is None:
            item = self.items[key] = Item(key, "param" if node.requires_grad else "const", cluster)
            item.leaf, item.tag = j, tag
            item.norm = self.param_norms.get(j)
        else:
            common = 0
            while common < min(len(item.cluster), len(cluster)) and item.cluster[common] == cluster[common]:
                common += 1
            item.cluster = item.cluster[:common]
        return item

    def add_edge(self, src: Item, src_port, dst: Item, dst_port, kind: str, norm) -> None:
        key = (src.key, src_port, dst.key, dst_port)
        edge = self.edges.get(key)
        if edge is None:
            self.edges[key] = [kind, norm, 1]
            return
        if STRENGTH[kind] > STRENGTH[edge[0]]:
            edge[0] = kind
        if norm is not None:
            edge[1] = norm if edge[1] is None else max(edge[1], norm)
        edge[2] += 1


def build(g: Unrolled, view: str, max_steps: float, rec_norms=None, param_norms=None) -> Picture:
    """Lay out `g` as `view`; `rec_norms[i]` are record i's output-cotangent norms (or None)."""
    if view not in VIEWS:
        raise ValueError(f"viz: view must be one of {', '.join(VIEWS)}, got {view!r}")
    plan = elision(g.steps, max_steps) if view != "layer" else {}
    pic = Picture(g, view, plan, find_roles(g))
    pic.param_norms = dict(param_norms or {})
    if view != "op":
        pic.alias, pic.hidden = _see_through(g)
    items = [None if i in pic.hidden else pic.record_item(i) for i in range(len(g.records))]
    for i, item in enumerate(items):
        if item is None:
            continue
        norms = rec_norms[i] if rec_norms is not None and rec_norms[i] is not None else None
        if norms:
            item.add_norm(max(norms))
        if i in pic.roles.cell_path and item.kind in ("op", "fused"):
            item.cpath = True
    for src in g.roots:
        items[src[1]].root = True
    pic.derived = _derived_parameters(g)
    pending: list[tuple] = []
    for i, row in enumerate(g.sources):
        if items[i] is not None:
            _edges_into(pic, items, i, [pic.alias.get(i, row[0])] + row[1:] if row else row,
                        rec_norms, pending)
    for j, dst, dst_port, kind in pending:   # constants whose only users were elided: dropped
        if ("l", j) in pic.items:
            pic.add_edge(pic.items[("l", j)], None, dst, dst_port, kind, None)
    return pic


def _see_through(g: Unrolled) -> tuple[dict[int, tuple], set[int]]:
    """A layer stacks every step's h and the next layer reads it back with x[t]: in the
    cell and layer views, draw that as an edge from step t to step t, not through the stack.
    Returns getitem -> the stacked input it reads, and the stacks left with no other use."""
    alias: dict[int, tuple] = {}
    uses: dict[int, int] = {}
    for i, row in enumerate(g.sources):
        for src in row:
            if src[0] == "r":
                uses[src[1]] = uses.get(src[1], 0) + 1
        rec = g.records[i]
        if rec.op != "getitem" or row[0][0] != "r" or type(rec.params.get("index")) is not int:
            continue
        stacked = g.records[row[0][1]]
        count = len(stacked.inputs)
        if stacked.op == "stack" and stacked.params.get("axis", 0) in (0, -len(stacked.out_shapes[0])):
            if -count <= rec.params["index"] < count:
                alias[i] = g.sources[row[0][1]][rec.params["index"] % count]
    read: dict[int, int] = {}
    for i in alias:
        read[g.sources[i][0][1]] = read.get(g.sources[i][0][1], 0) + 1
    roots = {src[1] for src in g.roots}
    hidden = {p for p, n in read.items() if n == uses[p] and p not in roots}
    return alias, hidden


def _derived_parameters(g: Unrolled) -> set[int]:
    """Records outside any step computed from parameters alone (a transpose, the concat
    of W_ih and W_hh, b_ih + b_hh): what they feed to every step is still the weights."""
    derived: set[int] = set()
    for i, row in enumerate(g.sources):
        if g.groups[i][1] is None and all(
                (src[0] == "l" and g.leaves[src[1]].requires_grad) or (src[0] == "r" and src[1] in derived)
                for src in row):
            derived.add(i)
    return derived


def _edges_into(pic: Picture, items: list[Item], i: int, row, rec_norms, pending) -> None:
    g, roles = pic.g, pic.roles
    dst = items[i]
    scope, step = g.groups[i]
    for pos, src in enumerate(row):
        entry = roles.entry(scope, (g.ordinals[i], pos)) if step is not None else None
        dst_port = None
        if src[0] == "l":
            node = g.leaves[src[1]]
            if not node.requires_grad and node.shape == ():
                dst.scalar = True
                continue
            kind = "param" if node.requires_grad else "const"
            if kind == "const" and entry:
                kind = "cstate" if entry[0] == "c" else "state"
            tag = f"{entry}_init" if entry else (f"x_{step}" if step is not None else "")
            if dst.kind == "cell":
                if kind != "param":
                    _in_port(dst, entry, tag)   # a constant into a cell is its port's label
                    continue
                dst_port = "body"
            if dst.kind == "elided" and kind != "param":
                pending.append((src[1], dst, dst_port, kind))
                continue
            norms = rec_norms[i] if rec_norms is not None else None
            norm = max(norms) if kind == "param" and norms else None
            pic.add_edge(pic.leaf_item(src[1], dst.cluster, tag), None, dst, dst_port, kind, norm)
            continue
        p, k = src[1], src[2]
        origin = items[p]
        if origin is dst:
            continue
        src_scope, src_step = g.groups[p]
        role = None
        if src_scope == scope and None not in (src_step, step) and src_step != step:
            role = roles.exit(scope, (g.ordinals[p], k))
        if role:
            kind = "cstate" if role[0] == "c" else "state"
        elif p in roles.cell_path and i in roles.cell_path and g.groups[p] == g.groups[i]:
            kind = "cstate"
        elif p in pic.derived:
            kind = "param"
        elif origin.step is None and origin.kind in ("op", "fused") and (
                dst.step is not None or dst.kind == "elided"):
            kind = "shared"             # one tensor made outside the steps, read by each
        elif dst.step is None and dst.kind in ("op", "fused") and (
                origin.step is not None or origin.kind == "elided"):
            kind = "gather"             # e.g. the stack of every step's h
        else:
            kind = "data"
        src_port = None
        if origin.kind in ("op", "fused") and g.records[p].multi_output:
            src_port = f"#{k}"          # no port: keeps the outputs' edges apart, and labels them
        if origin.kind == "cell":
            out_role = roles.exit(src_scope, (g.ordinals[p], k)) or "out"
            src_port = "o_" + out_role
            origin.outs.setdefault(src_port, f"{out_role}_{src_step}")
        if dst.kind == "cell":
            dst_port = "body" if kind == "param" else _in_port(
                dst, entry, f"{entry}_{src_step}" if entry else f"x_{step}")
        norms = rec_norms[p] if rec_norms is not None else None
        norm = norms[k] if norms else None
        if origin.kind == "cell" and norm is not None:
            origin.out_norms[src_port] = max(norm, origin.out_norms.get(src_port, 0.0))
        pic.add_edge(origin, src_port, dst, dst_port, kind, norm)


def _in_port(item: Item, role: str | None, label: str) -> str:
    port = "i_" + (role or "x")
    item.ins.setdefault(port, label)
    return port
