"""The backward pass, step by step, for the explorer: what each record received and sent,
and each shared weight's gradient as the sum of its terms, one per use.

The explorer runs its own backward (retain_graph=True, seeded with ones: the gradient of
`output.sum()`, which for a scalar loss is `loss.backward()`), observed through the tape's
one hook; no `.grad` is touched. A weight used at every step receives one term per step;
when it reaches the steps through records computed from the weights alone (the composed
LSTM's transposed concat of W_ih and W_hh), each term is carried back through those
records' VJPs, which are linear, so the terms of a leaf add up to exactly its gradient:
the sum over time steps that backpropagation through time is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import tape
from .collect import Unrolled


@dataclass
class Trace:
    """What the explorer shows of one backward pass over an Unrolled graph: per event (one
    VJP run) its rows and the norms of the cotangents in and out; per parameter leaf its
    terms as (event, |term|, |sum so far|), and the terms' values themselves while they
    fit in `budget` bytes (else None: a long sequence keeps the norms only)."""

    events: list[tuple[int, int, list[float], list[float]]]  # first row, rows, |out g|, |in g|
    terms: dict[int, list[tuple[int, float, float]]]
    values: dict[int, list[np.ndarray]] | None
    budget: int
    grads: dict[int, np.ndarray] = field(default_factory=dict)   # leaf position -> gradient
    sums: dict[int, np.ndarray] = field(default_factory=dict)    # leaf position -> sum so far

    def add(self, j: int, event: int, term) -> None:
        term = to_numpy(term)
        total = self.sums[j] = term.astype(np.float64) + self.sums.get(j, 0.0)
        self.terms[j].append((event, float(np.linalg.norm(term)), float(np.linalg.norm(total))))
        if self.values is not None:
            self.budget -= 4 * term.size
            if self.budget < 0:
                self.values = None
            else:
                self.values[j].append(term.astype(np.float32))


def to_numpy(array) -> np.ndarray:
    """A backend array (NumPy or CuPy) as a NumPy array."""
    return array.get() if hasattr(array, "get") else np.asarray(array)


def norm(array) -> float:
    """sqrt(sum(g^2)) in the array's own namespace (NumPy, CuPy, ...)."""
    namespace = getattr(array, "__array_namespace__", None)
    xp = namespace() if namespace is not None else np
    return float(xp.sqrt(xp.sum(array * array)))


def missing_vjps(g: Unrolled) -> bool:
    return any(getattr(rec, "part_of", rec).vjp is None for rec in g.records)


def _from_weights(g: Unrolled) -> set[int]:
    """Rows outside any time step computed from parameters alone (a transpose, a concat of
    W_ih and W_hh, b_ih + b_hh), but not the outputs themselves: their cotangents are
    carried on to the weights at each use. VJPs are linear in the cotangent, so that
    splits nothing wrongly."""
    roots = {src[1] for src in g.roots if src[0] == "r"}
    found: set[int] = set()
    for i, row in enumerate(g.sources):
        outside = i not in roots and g.groups[i][1] is None and not hasattr(g.records[i], "part_of")
        if outside and row and all((src[0] == "l" and g.leaves[src[1]].requires_grad)
                                   or (src[0] == "r" and src[1] in found) for src in row):
            found.add(i)
    return found


def trace_backward(g: Unrolled, outputs: list, budget: int = 1_000_000) -> Trace:
    """Run backward over `g` from `outputs` (Tensors), keeping every step the explorer shows
    (the terms' values up to `budget` bytes in all)."""
    rows: dict[int, list[int]] = {}         # id(tape record) -> its rows in g (a scan has many)
    for i, rec in enumerate(g.records):
        rows.setdefault(id(getattr(rec, "part_of", rec)), []).append(i)
    derived = {id(g.records[i]) for i in _from_weights(g)}
    position = {id(node): j for j, node in enumerate(g.leaves) if node.requires_grad}
    trace = Trace([], {j: [] for j in position.values()}, {j: [] for j in position.values()},
                  budget)

    def to_leaves(node, cot):
        """The leaves (and their terms) a cotangent at `node` ends in, through derived records."""
        pending = [(node, cot)]
        while pending:
            node, cot = pending.pop()
            if node.record is None:
                if id(node) in position:
                    yield position[id(node)], cot
                continue
            rec = node.record
            outs = [None] * len(rec.outputs)
            outs[node.index] = cot
            pending.extend((n, c) for n, c in zip(rec.inputs, rec.vjp(*outs))
                           if c is not None and n.requires_grad)

    def hook(rec, out_cots, in_cots):
        mine = rows[id(rec)]
        event = len(trace.events)
        trace.events.append((mine[0], len(mine), [0.0 if c is None else norm(c) for c in out_cots],
                             [0.0 if c is None else norm(c) for c in in_cots]))
        if id(rec) in derived:          # its terms were counted at each use
            return
        for node, cot in zip(rec.inputs, in_cots):
            if cot is None or not node.requires_grad:
                continue
            if node.record is None or id(node.record) in derived:
                for j, term in to_leaves(node, cot):
                    trace.add(j, event, term)

    roots = [(t._node, t.backend.xp.ones_like(t.data)) for t in outputs]
    with tape.observe(hook):
        leaves = tape.backward(roots, retain_graph=True)
    trace.grads = {position[id(node)]: to_numpy(cot) for node, cot in leaves.items()
                   if id(node) in position}
    return trace
