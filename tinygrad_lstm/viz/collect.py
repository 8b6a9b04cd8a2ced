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
    names: list[tuple] = field(default_factory=list)   # per record: its outputs' names (h, c, ...)

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


class ScanPart:
    """A stand-in record for one piece of a fused scan (a tape record tagged scan="lstm"):
    one per step, plus the stack of every step's h, so that the views draw a fused layer
    step by step as they draw the composed one. Only what the views read is here."""

    def __init__(self, op: str, n_inputs: int, avals: tuple, tags: dict, part_of: tape.Record,
                 outputs: tuple | None, fused: bool) -> None:
        self.op, self.params, self.avals = op, {}, avals
        self.tags = {k: v for k, v in tags.items() if k != "scan"}
        self.fused = fused          # a step of the scan (drawn as one fused node), or its stack
        self.inputs = (None,) * n_inputs
        self.part_of = part_of      # the tape record this stands for
        self.stands_for = outputs   # which of its outputs this part's outputs are (or None)

    scope, step = tape.Record.scope, tape.Record.step   # read from tags, as a record's are

    @property
    def vjp(self):
        return self.part_of.vjp


class _Table:
    """The growing tables of collect(): one row per (possibly stand-in) record."""

    def __init__(self) -> None:
        self.records, self.sources, self.groups, self.ordinals, self.names = [], [], [], [], []
        self.seen_ops: dict[tuple, int] = {}
        self.steps: dict[str, set[int]] = {}

    def add(self, rec, row: list, names: tuple) -> int:
        scope, step, op = rec.scope, rec.step, rec.op
        count = self.seen_ops.get((scope, step, op), 0)
        self.seen_ops[(scope, step, op)] = count + 1
        self.records.append(rec)
        self.sources.append(row)
        self.groups.append((scope, step))
        self.ordinals.append((op, count))
        self.names.append(names)
        if step is not None:
            self.steps.setdefault(scope, set()).add(step)
        return len(self.records) - 1


def _expand_lstm_scan(table: _Table, rec: tape.Record, row: list) -> dict[int, Source]:
    """Rows for a fused LSTM layer: one "lstm_cell" per step (x, h, c and the weights in,
    h and c out) and a "stack" of the steps' h. Returns where each output of `rec` now is."""
    x_src, h_src, c_src, *weights = row
    steps = rec.avals[0][0][0]
    state_shape = rec.avals[1][0]
    stacked = None
    if x_src[0] == "r" and table.records[x_src[1]].op == "stack" and \
            len(table.sources[x_src[1]]) == steps:
        stacked = table.sources[x_src[1]]   # a layer below: step t reads its step t directly
    order = range(steps - 1, -1, -1) if rec.params.get("reverse") else range(steps)
    hs: dict[int, Source] = {}
    for k, t in enumerate(order):
        last = k == steps - 1
        part = ScanPart("lstm_cell", 3 + len(weights), ((state_shape, rec.avals[1][1]),) * 2,
                        {**rec.tags, "step": t}, rec, (1, 2) if last else None, True)
        x_t = stacked[t] if stacked else x_src
        p = table.add(part, [x_t, h_src, c_src] + weights, ("h", "c"))
        h_src, c_src = ("r", p, 0), ("r", p, 1)
        hs[t] = h_src
    stack = ScanPart("stack", steps, rec.avals[:1], rec.tags, rec, (0,), False)
    p = table.add(stack, [hs[t] for t in range(steps)], (None,))
    return {0: ("r", p, 0), 1: h_src, 2: c_src}


def collect(output) -> Unrolled:
    """Tabulate the records that the tensor(s) in `output` depend on."""
    outs = [t for t in flatten_outputs(output) if t._node is not None and t._node.record is not None]
    if not outs:
        raise ValueError("viz: nothing was recorded behind this output. Only ops on tensors "
                         "that require grad are recorded: create the inputs or parameters "
                         "with requires_grad=True, and do not run the forward pass under "
                         "tl.no_grad()")
    table = _Table()
    placed: dict[int, dict[int, Source]] = {}   # id(record) -> output index -> Source
    leaf_position: dict[int, int] = {}
    leaves: list[tape.Node] = []
    for rec in tape.reachable([t._node for t in outs]):
        row = []
        for node in rec.inputs:
            if node.record is not None and id(node.record) in placed:
                row.append(placed[id(node.record)][node.index])
                continue
            j = leaf_position.get(id(node))
            if j is None:
                j = leaf_position[id(node)] = len(leaves)
                leaves.append(node)
            row.append(("l", j))
        if rec.tags.get("scan") == "lstm":
            placed[id(rec)] = _expand_lstm_scan(table, rec, row)
            continue
        names = tuple((ref() and ref().name) for ref in rec.outputs)
        p = table.add(rec, row, names)
        placed[id(rec)] = {k: ("r", p, k) for k in range(len(rec.outputs))}
    roots = [placed[id(t._node.record)][t._node.index] for t in outs]
    return Unrolled(table.records, table.sources, leaves, table.groups, table.ordinals, roots,
                    {scope: sorted(s) for scope, s in table.steps.items()}, table.names)


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
