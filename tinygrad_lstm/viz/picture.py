"""What a view draws: its nodes (Items), the merged edges between them, and the nested
clusters (module, then time step) they sit in, in a deterministic order. views.py fills
a Picture from the records; labels.py and dot.py write it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .collect import Elided, Unrolled
from .passes import Bookkeeping
from .roles import Roles, gates_of, is_fused

# When merged edges disagree, the most telling kind wins.
STRENGTH = {"const": 0, "param": 1, "shared": 2, "gather": 2, "data": 2, "state": 3, "cstate": 4}


@dataclass
class Item:
    """One drawn node. kind: "op", "fused" (a step of a fused layer), "cell", "elided",
    "layer", "param", "const" or "inputs" (a layer's constants, in the layer view)."""

    key: tuple
    kind: str
    cluster: tuple
    scope: str = ""
    step: int | None = None
    record: int | None = None          # the (first) record drawn by this node
    leaf: int | None = None            # the leaf drawn by a param or const node
    ops: int = 0                       # records inside (cells, layers, elided steps)
    ins: dict = field(default_factory=dict)     # cell ports: port -> label
    outs: dict = field(default_factory=dict)
    out_norms: dict = field(default_factory=dict)
    uses: list = field(default_factory=list)    # parameters read, by their symbols
    gates: list = field(default_factory=list)   # gate names computed inside a cell
    shapes: dict = field(default_factory=dict)  # a first cell's inputs: name -> shape
    norm: float | None = None
    low: float | None = None
    cpath: bool = False                # on the cell-state path
    root: bool = False                 # one of the outputs drawn
    scalar: bool = False               # a scalar constant folded into the label
    tag: str = ""                      # a constant's role: x_3, h_init, concat(x_0, h_init)

    def add_norm(self, value: float | None) -> None:
        if value is None:
            return
        self.norm = value if self.norm is None else max(self.norm, value)
        if value > 0:
            self.low = value if self.low is None else min(self.low, value)


@dataclass
class Edge:
    kind: str
    norm: float | None
    count: int = 1


class Picture:
    """Items, merged edges and clusters of one view, in a deterministic order."""

    def __init__(self, g: Unrolled, view: str, plan: dict[str, Elided], roles: Roles,
                 book: Bookkeeping) -> None:
        self.g, self.view, self.plan, self.roles, self.book = g, view, plan, roles, book
        self.items: dict[tuple, Item] = {}
        self.edges: dict[tuple, Edge] = {}     # (src, src_port, dst, dst_port) -> Edge
        self.clusters: dict[tuple, str] = {}   # cluster key -> label, in order of appearance
        self.param_norms: dict[int, float] = {}
        self._chains: dict = {}
        self.rankdir = "LR"
        self.counterpart: dict[tuple, int] = {}   # (scope, step, ordinal) -> record
        self._step_index: dict[str, dict[int, int]] = {}

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

    def step_index(self, scope: str, step: int) -> int:
        """Where `step` is in its scope's sorted steps."""
        index = self._step_index.get(scope)
        if index is None:
            index = self._step_index[scope] = {t: k for k, t in enumerate(self.g.steps[scope])}
        return index[step]

    def first_step(self, scope: str) -> int | None:
        steps = self.g.steps.get(scope)
        return steps[0] if steps else None

    def record_item(self, i: int) -> Item:
        scope, step = self.g.groups[i]
        hidden = self.plan.get(scope)
        rec = self.g.records[i]
        if step is not None and hidden is not None and step in hidden.steps:
            key, kind, cluster = ("e", scope), "elided", self.chain(scope)
        elif self.view == "cell" and step is not None:
            key, kind, cluster = ("c", scope, step), "cell", self.chain(scope)
        elif self.view == "rolled" and step is not None:
            # keyed like a layer: one node per scope (what the explorer looks records up by)
            key, kind, cluster, step = ("L", scope), "cell", self.chain(scope), None
        elif self.view == "layer" and scope:
            key, kind, cluster = ("L", scope), "layer", self.chain(scope)[:-1]
        else:
            kind = "fused" if is_fused(rec) else "op"
            cluster = self.step_cluster(scope, step) if step is not None else self.chain(scope)
            key = ("r", i)
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = Item(key, kind, cluster, scope, step, record=i)
        item.ops += 1
        if kind in ("cell", "fused", "layer"):
            for gate in gates_of(rec, self.g.names[i], self.roles.exits.get(scope, {})):
                if gate not in item.gates:
                    item.gates.append(gate)
        return item

    def leaf_item(self, j: int, cluster: tuple, tag: str = "") -> Item:
        key = ("l", j)
        item = self.items.get(key)
        node = self.g.leaves[j]
        if node.requires_grad and cluster and cluster[-1][0] == "s":
            cluster = cluster[:-1]          # parameters never sit inside a time step
        if item is None:
            item = self.items[key] = Item(key, "param" if node.requires_grad else "const",
                                          cluster, leaf=j, tag=tag)
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
            self.edges[key] = Edge(kind, norm)
            return
        if STRENGTH[kind] > STRENGTH[edge.kind]:
            edge.kind = kind
        if norm is not None:
            edge.norm = norm if edge.norm is None else max(edge.norm, norm)
        edge.count += 1
