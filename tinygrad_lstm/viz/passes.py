"""Bookkeeping: the records that move tensors around without computing anything a reader
of the cell's equations looks for, and what each of them passes through.

- A layer stacks its steps' h and whoever reads them back with out[t] (the next layer,
  the head reading out[-1]) reads step t's h: drawn as an edge from step t.
- A split of the gates hands each gate op a slice of one tensor: drawn as an edge from
  what was split, into the gate op, which names its gate.
- Records outside the steps computed from parameters alone that only move data (the
  concat and transpose of W_ih and W_hh, head.weight.T) or that a layer prepares once for
  its steps (b_ih + b_hh) are the parameters themselves to a reader: their uses are drawn
  as uses of the parameters they were made from, named [W_ih|W_hh].T or b_ih+b_hh.
Drawn with bookkeeping=True, every record is drawn as it was recorded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .collect import Source, Unrolled

MOVES = frozenset({"concat", "transpose", "reshape", "getitem", "stack"})   # compute nothing


@dataclass
class Bookkeeping:
    """Which records are not drawn, and where the tensors they made really come from."""

    through: dict[tuple, Source] = field(default_factory=dict)   # (record, output) -> source
    hidden: set[int] = field(default_factory=set)
    derived: dict[int, str] = field(default_factory=dict)  # parameter-only record -> its name

    def resolve(self, src: Source) -> Source:
        """The source a reader should see for `src`: through any hidden records."""
        while src[0] == "r" and (src[1], src[2]) in self.through:
            src = self.through[(src[1], src[2])]
        return src


def symbol(name: str | None) -> str:
    """A parameter's name as in the equations: lstm.weight_ih_l0 -> W_ih, head.bias -> b."""
    if not name:
        return "param"
    short = re.sub(r"_l\d+(_reverse)?$", "", name.rsplit(".", 1)[-1])
    for long, letter in (("weight", "W"), ("bias", "b")):
        if short == long or short.startswith(long + "_"):
            return letter + short[len(long):]
    return short


def _derived_name(op: str, parts: list[str]) -> str:
    if op == "concat":
        return "[" + "|".join(parts) + "]"
    if op == "transpose" and len(parts) == 1:
        return parts[0] + ".T"
    if op == "add":
        return "+".join(parts)
    return f"{op}({', '.join(parts)})"


def derived_parameters(g: Unrolled) -> dict[int, str]:
    """Records outside any step computed from parameters alone, with a name for each."""
    derived: dict[int, str] = {}
    for i, row in enumerate(g.sources):
        if g.groups[i][1] is not None:
            continue
        parts = []
        for src in row:
            if src[0] == "l" and g.leaves[src[1]].requires_grad:
                parts.append(symbol(g.leaves[src[1]].name))
            elif src[0] == "r" and src[1] in derived:
                parts.append(derived[src[1]])
            else:
                break
        else:
            derived[i] = _derived_name(g.records[i].op, parts)
    return derived


def bookkeeping(g: Unrolled, show: bool) -> Bookkeeping:
    """What to leave out of a picture (nothing when `show`; stacks read back step by step
    are always drawn as the steps they hold, except in the op view with show=True)."""
    book = Bookkeeping()
    if show:
        return book
    derived = derived_parameters(g)
    prepared = _prepared_for_steps(g, derived)
    for i, name in derived.items():       # in recording order: what i reads is decided
        if (g.records[i].op in MOVES or i in prepared) and all(
                src[0] == "l" or src[1] in book.derived for src in g.sources[i]):
            book.derived[i] = name
    uses: dict[int, int] = {}
    read_back: dict[int, int] = {}
    for i, row in enumerate(g.sources):
        for src in row:
            if src[0] == "r":
                uses[src[1]] = uses.get(src[1], 0) + 1
        rec = g.records[i]
        if i in book.derived and (rec.op in MOVES or i in prepared):
            book.hidden.add(i)
        elif rec.op == "split":
            book.hidden.add(i)
            book.through.update({(i, k): row[0] for k in range(len(rec.avals))})
        elif rec.op == "getitem" and row[0][0] == "r" and _reads_one_step(g, i, row[0][1]):
            stacked = g.sources[row[0][1]]
            book.hidden.add(i)
            book.through[(i, 0)] = stacked[rec.params["index"] % len(stacked)]
            read_back[row[0][1]] = read_back.get(row[0][1], 0) + 1
    roots = {src[1] for src in g.roots if src[0] == "r"}
    # a stack nothing drawn reads (read back step by step, or read by a fused layer above
    # whose steps read its entries directly)
    book.hidden.update(p for p, rec in enumerate(g.records) if rec.op == "stack" and p not in roots
                       and uses.get(p, 0) == read_back.get(p, 0))
    return book


def _prepared_for_steps(g: Unrolled, derived: dict[int, str]) -> set[int]:
    """Derived records that steps read (directly or through other derived records): the
    weights a layer prepares once for its loop."""
    read_by: dict[int, set[int]] = {}
    for i, row in enumerate(g.sources):
        for src in row:
            if src[0] == "r" and src[1] in derived:
                read_by.setdefault(src[1], set()).add(i)
    prepared: set[int] = set()
    for i in sorted(derived, reverse=True):      # users come after what they read
        if any(g.groups[u][1] is not None or u in prepared for u in read_by.get(i, ())):
            prepared.add(i)
    return prepared


def _reads_one_step(g: Unrolled, i: int, p: int) -> bool:
    """getitem i reads one whole entry of stack p (stacked along axis 0)."""
    index, stacked = g.records[i].params.get("index"), g.records[p]
    if stacked.op != "stack" or type(index) is not int:
        return False
    count = len(g.sources[p])
    return stacked.params.get("axis", 0) in (0, -len(stacked.avals[0][0])) and -count <= index < count
