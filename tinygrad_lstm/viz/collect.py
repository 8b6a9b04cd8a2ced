"""The records behind some outputs, as flat tables the views are built from.

Everything here is one pass over the list `tape.reachable` returns (recording order, found
with an explicit stack), so a graph of 100,000 time steps is walked without recursion.
Positions in that list are the only identities used later: node ids in the DOT text come
from them, never from id() or the tape's global sequence numbers, so two identical runs
draw byte-identical graphs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import tape
from ..tensor import Tensor

# An input's source: ("r", record position, output index) or ("l", leaf position).
Source = tuple


@dataclass
class Unrolled:
    """The recorded graph behind some outputs, in recording order."""

    records: list[tape.Record]
    sources: list[list[Source]]            # per record, one Source per input
    leaves: list[tape.Node]                # in order of first use
    groups: list[tuple[str, int | None]]   # per record: (scope, step)
    ordinals: list[tuple[str, int]]        # per record: (op, how many such ops came before
                                           # it in its group), the same at every step
    roots: list[Source]                    # the outputs drawn
    steps: dict[str, list[int]] = field(default_factory=dict)  # scope -> its steps, sorted

    def producer_group(self, src: Source) -> tuple[str, int | None] | None:
        return self.groups[src[1]] if src[0] == "r" else None


def flatten_outputs(output) -> list[Tensor]:
    """A Tensor, or (nested) lists and tuples of them as nn modules return, flattened."""
    found, pending = [], [output]
    while pending:
        item = pending.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            pending.extend(reversed(item))
        elif item is not None:
            raise TypeError(f"viz: expected a Tensor or a list/tuple of Tensors to draw, "
                            f"got {type(item).__name__}")
    return found


def collect(output) -> Unrolled:
    """Tabulate the records that the tensor(s) in `output` depend on."""
    outs = [t for t in flatten_outputs(output) if t._node is not None and t._node.record is not None]
    if not outs:
        raise ValueError("viz: nothing was recorded behind this output. Only ops on tensors "
                         "that require grad are recorded: create the inputs or parameters "
                         "with requires_grad=True, and do not run the forward pass under "
                         "tl.no_grad()")
    records = tape.reachable([t._node for t in outs])
    position = {id(rec): i for i, rec in enumerate(records)}
    leaf_position: dict[int, int] = {}
    leaves: list[tape.Node] = []
    sources: list[list[Source]] = []
    groups: list[tuple[str, int | None]] = []
    ordinals: list[int] = []
    seen_ops: dict[tuple, int] = {}
    steps: dict[str, set[int]] = {}
    for rec in records:
        row = []
        for node in rec.inputs:
            p = position.get(id(node.record)) if node.record is not None else None
            if p is not None:
                row.append(("r", p, node.index))
                continue
            j = leaf_position.get(id(node))
            if j is None:
                j = leaf_position[id(node)] = len(leaves)
                leaves.append(node)
            row.append(("l", j))
        sources.append(row)
        scope, step, op = rec.scope, rec.step, rec.op
        count = seen_ops.get((scope, step, op), 0)
        seen_ops[(scope, step, op)] = count + 1
        groups.append((scope, step))
        ordinals.append((op, count))
        if step is not None:
            steps.setdefault(scope, set()).add(step)
    roots = [("r", position[id(t._node.record)], t._node.index) for t in outs]
    return Unrolled(records, sources, leaves, groups, ordinals, roots,
                    {scope: sorted(s) for scope, s in steps.items()})


@dataclass(frozen=True)
class Elided:
    """The middle steps of one scope, drawn as a single node."""

    first: int
    last: int
    steps: frozenset[int]


def elision(steps: dict[str, list[int]], max_steps: float) -> dict[str, Elided]:
    """Per scope with more than `max_steps` steps: keep the first half and the last half
    of `max_steps` (the first one more when odd) and elide the steps in between."""
    plan = {}
    for scope, seq in steps.items():
        if len(seq) <= max_steps:
            continue
        head = (int(max_steps) + 1) // 2
        tail = int(max_steps) - head
        hidden = seq[head:len(seq) - tail]
        plan[scope] = Elided(hidden[0], hidden[-1], frozenset(hidden))
    return plan
