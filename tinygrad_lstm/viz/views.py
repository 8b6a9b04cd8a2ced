"""Views: what each record and leaf is drawn as, where, and the edges between them.

- op view: one node per record; cell view: one node per (scope, step); layer view: one node
  per scope. Records with no step (a loss, a head) stay op nodes in the first two views.
- Steps elided by `collect.elision` all map to one node per scope.
- Leaves: parameters (leaves that require grad) are drawn once, in the innermost cluster
  that holds every use but never inside a step; constants sit with their users, except
  that scalar constants are folded into their op's label and constants into a cell are
  named by the cell's input port (x_3, h_init).
Edges between the same two nodes (and ports) are merged, keeping a count and the largest
gradient norm. An edge's kind decides how it is drawn: "state" (h from step to step),
"cstate" (the cell-state path), "param" (a parameter, or what is computed from parameters
alone, into a step), "shared" (one tensor made outside the steps and read by each),
"gather" (every step into one node, such as a stack), "const" and "data".
One loop over the records builds it all.
"""
from __future__ import annotations

from .collect import Elided, Unrolled, elision
from .passes import derived_parameters, see_through
from .roles import Roles, find_roles, is_fused

VIEWS = ("op", "cell", "layer")
# When merged edges disagree, the most telling kind wins.
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
        self._chains: dict = {}
        self.rankdir = "LR"
        self.derived: set[int] = set()
        self.alias: dict[int, tuple] = {}       # getitem record -> the source it really reads
        self.hidden: set[int] = set()           # stacks drawn as direct edges instead

    def chain(self, scope: str) -> tuple:
        """The module clusters around a scope: "lstm.l0" -> ("m","lstm"), ("m","lstm.l0")."""
        keys = self._chains.get(scope)
        if keys is None:
            parts = scope.split(".") if scope else []
            keys = self._chains[scope] = tuple(("m", ".".join(parts[:k + 1])) for k in range(len(parts)))
            for key in keys:
                self.clusters.setdefault(key, key[1])
        return keys

    def step_cluster(self, scope: str, step: int) -> tuple:
        key = ("s", scope, step)
        if key not in self.clusters:
            self.clusters[key] = f"t={step}"
            self._chains[key] = self.chain(scope) + (key,)
        return self._chains[key]

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
            kind = "fused" if is_fused(self.g.records[i]) else "op"
            cluster = self.step_cluster(scope, step) if step is not None else self.chain(scope)
            key = ("r", i)
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = Item(key, kind, cluster, scope, step)
            item.record = i
        item.ops += 1
        if kind == "cell" and is_fused(self.g.records[i]):
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
        elif cluster[:len(item.cluster)] != item.cluster:   # keep the common prefix
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
    pic = Picture(g, view, plan, find_roles(g, plan))
    pic.param_norms = dict(param_norms or {})
    if view != "op":
        pic.alias, pic.hidden = see_through(g)
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
    pic.derived = derived_parameters(g)
    pending: list[tuple] = []
    for i, row in enumerate(g.sources):
        if items[i] is not None:
            _edges_into(pic, items, i, [pic.alias[i]] + row[1:] if i in pic.alias else row,
                        rec_norms, pending)
    for j, dst, dst_port, kind in pending:   # constants whose only users were elided: dropped
        if ("l", j) in pic.items:
            pic.add_edge(pic.items[("l", j)], None, dst, dst_port, kind, None)
    return pic


def _edges_into(pic: Picture, items: list, i: int, row, rec_norms, pending) -> None:
    dst = items[i]
    for pos, src in enumerate(row):
        if src[0] == "l":
            _leaf_edge(pic, dst, i, pos, src[1], rec_norms, pending)
        elif items[src[1]] is not dst:          # inside one drawn node: nothing to draw
            _record_edge(pic, items[src[1]], dst, i, pos, src, rec_norms)


def _leaf_edge(pic: Picture, dst: Item, i: int, pos: int, j: int, rec_norms, pending) -> None:
    g = pic.g
    node = g.leaves[j]
    if not node.requires_grad and node.shape == ():
        dst.scalar = True
        return
    scope, step = g.groups[i]
    entry = pic.roles.entry(scope, (g.ordinals[i], pos)) if step is not None else None
    kind = "param" if node.requires_grad else "const"
    if kind == "const" and entry:
        kind = "cstate" if entry[0] == "c" else "state"
    tag = f"{entry}_init" if entry else (f"x_{step}" if step is not None else "")
    dst_port = None
    if dst.kind == "cell":
        if kind != "param":
            _in_port(dst, entry, tag)       # a constant into a cell is its port's label
            return
        dst_port = "body"
    if dst.kind == "elided" and kind != "param":
        pending.append((j, dst, dst_port, kind))
        return
    if dst.kind == "layer" and kind != "param":     # a layer's constants: one node
        key = ("in", dst.scope)
        inputs = pic.items.get(key) or pic.items.setdefault(key, Item(key, "inputs", dst.cluster, dst.scope))
        inputs.ins[tag or "const"] = ""
        pic.add_edge(inputs, None, dst, None, "const", None)
        return
    norms = rec_norms[i] if rec_norms is not None and kind == "param" else None
    pic.add_edge(pic.leaf_item(j, dst.cluster, tag), None, dst, dst_port, kind,
                 max(norms) if norms else None)


def _edge_kind(pic: Picture, origin: Item, dst: Item, i: int, p: int, k: int) -> str:
    """What an edge from record p's output k into record i carries: recurrent state (h or
    the cell state c), a parameter, a tensor shared by all steps, a gather, or plain data."""
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
    if p in pic.derived:
        return "param"
    if origin.step is None and origin.kind in ("op", "fused") and (
            dst.step is not None or dst.kind == "elided"):
        return "shared"             # one tensor made outside the steps, read by each
    if dst.step is None and dst.kind in ("op", "fused") and (
            origin.step is not None or origin.kind == "elided"):
        return "gather"             # e.g. the stack of every step's h
    return "data"


def _record_edge(pic: Picture, origin: Item, dst: Item, i: int, pos: int, src, rec_norms) -> None:
    g, roles = pic.g, pic.roles
    p, k = src[1], src[2]
    scope, step = g.groups[i]
    src_scope, src_step = g.groups[p]
    kind = _edge_kind(pic, origin, dst, i, p, k)
    src_port = dst_port = None
    if origin.kind in ("op", "fused") and len(g.records[p].avals) > 1:
        src_port = f"#{k}"          # no port: keeps the outputs' edges apart, and labels them
    if origin.kind == "cell":
        out_role = roles.exit(src_scope, (g.ordinals[p], k)) or "out"
        src_port = "o_" + out_role
        origin.outs.setdefault(src_port, f"{out_role}_{src_step}")
    if dst.kind == "cell":
        entry = roles.entry(scope, (g.ordinals[i], pos))
        dst_port = "body" if kind == "param" else _in_port(
            dst, entry, f"{entry}_{src_step}" if entry else f"x_{step}")
    if kind == "param":     # the weights' gradient from this use: what reaches its consumer
        norms = rec_norms[i] if rec_norms is not None else None
        norm = max(norms) if norms else None
    else:
        norms = rec_norms[p] if rec_norms is not None else None
        norm = norms[k] if norms else None
    if origin.kind == "cell" and norm is not None:
        origin.out_norms[src_port] = max(norm, origin.out_norms.get(src_port, 0.0))
    pic.add_edge(origin, src_port, dst, dst_port, kind, norm)


def _in_port(item: Item, role: str | None, label: str) -> str:
    port = "i_" + (role or "x")
    item.ins.setdefault(port, label)
    return port
