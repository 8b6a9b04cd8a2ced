"""Two readings of the records that make the pictures say what the model means.

- see_through: a layer stacks its steps' h and the next layer reads them back one step at
  a time with x[t]; the cell and layer views draw step t -> step t directly.
- derived_parameters: records outside the steps computed from parameters alone (the
  transposed, concatenated W_ih and W_hh; b_ih + b_hh) still carry the weights to each
  step, so their edges are drawn as parameter edges.
"""
from __future__ import annotations

from .collect import Unrolled


def see_through(g: Unrolled) -> tuple[dict[int, tuple], set[int]]:
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
        if stacked.op == "stack" and stacked.params.get("axis", 0) in (0, -len(stacked.avals[0][0])):
            if -count <= rec.params["index"] < count:
                alias[i] = g.sources[row[0][1]][rec.params["index"] % count]
    read: dict[int, int] = {}
    for i in alias:
        read[g.sources[i][0][1]] = read.get(g.sources[i][0][1], 0) + 1
    roots = {src[1] for src in g.roots}
    hidden = {p for p, n in read.items() if n == uses[p] and p not in roots}
    return alias, hidden


def derived_parameters(g: Unrolled) -> set[int]:
    """Records outside any step computed from parameters alone (a transpose, the concat
    of W_ih and W_hh, b_ih + b_hh): what they feed to every step is still the weights."""
    derived: set[int] = set()
    for i, row in enumerate(g.sources):
        if g.groups[i][1] is None and all(
                (src[0] == "l" and g.leaves[src[1]].requires_grad) or (src[0] == "r" and src[1] in derived)
                for src in row):
            derived.add(i)
    return derived
