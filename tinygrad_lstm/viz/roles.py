"""Which tensors are recurrent state (h, c), and which ops carry the cell state.

Nothing here knows the cell's equations. A recurrent layer records the same ops in the
same order at every step, so a record's *ordinal*, (op, how many records of that op came
before it in its (scope, step) group), identifies it across steps, even when the first
step records fewer ops (a concat of constants is not recorded). A tensor produced at one step and consumed at
another step of the same scope is recurrent state; the pair (producer ordinal, output
index) names it at every step, and (consumer ordinal, input position) names where it
enters, which also recognises the initial state at the first step.

Naming: a state takes the name its tensor carries (nn names h and c, and a fused layer's
steps name theirs; a user's `tensor.name` counts too). An unnamed state, as in a loop
written by hand, is called "h" when the next step mixes it through a matmul (or a concat
or stack into one), else "c": a state only scaled and added to elementwise is a cell
state, the LSTM's constant error carousel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .collect import Elided, Unrolled

MIXING = frozenset({"matmul", "concat", "stack"})
# The gates inside one step of a fused scan, by its "scan" tag (PyTorch's order, as nn).
SCAN_GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def is_fused(rec) -> bool:
    """A step of a fused layer (drawn as one node): a part of a scan record."""
    return getattr(rec, "fused", False)


def gates_of(rec, names: tuple, states: dict) -> tuple:
    """The named tensors a record computes inside a step, other than the recurrent states
    (nn names its gates i, f, g, o or r, z, n; a user's names count too); for a step of a
    fused scan, the gates its "scan" tag stands for."""
    part_of = getattr(rec, "part_of", None)
    if part_of is not None:
        return SCAN_GATES.get(part_of.tags.get("scan"), ()) if rec.fused else ()
    taken = set(states.values())
    return tuple(n for n in names if n and n not in taken)


@dataclass
class Roles:
    """Per scope: state names by exit signature and by entry signature."""

    exits: dict[str, dict[tuple, str]] = field(default_factory=dict)
    entries: dict[str, dict[tuple, str]] = field(default_factory=dict)
    cell_path: set[int] = field(default_factory=set)   # records on the cell-state path

    def exit(self, scope: str, sig: tuple) -> str | None:
        return self.exits.get(scope, {}).get(sig)

    def entry(self, scope: str, sig: tuple) -> str | None:
        return self.entries.get(scope, {}).get(sig)


def _name_states(g: Unrolled, found: dict[tuple, tuple[str, set[str]]]) -> dict:
    names: dict[tuple, str] = {}
    taken: dict[str, int] = {}
    for sig in found:                     # in order of first appearance
        name, consumer_ops = found[sig]
        base = name or ("h" if consumer_ops & MIXING or "lstm_cell" in consumer_ops else "c")
        taken[base] = taken.get(base, 0) + 1
        names[sig] = base if taken[base] == 1 else f"{base}{taken[base]}"
    return names


def find_roles(g: Unrolled, plan: dict[str, Elided] | None = None) -> Roles:
    """Learn the recurrent states of every scope from the edges that cross steps. Steps
    elided by `plan` are skipped (but the first, which reads the last one drawn)."""
    plan = plan or {}
    found: dict[str, dict[tuple, tuple[str, set[str]]]] = {}
    feeds: dict[str, dict[tuple, tuple]] = {}
    for i, row in enumerate(g.sources):
        scope, step = g.groups[i]
        if step is None or _hidden(plan, scope, step, boundary=True):
            continue
        for pos, src in enumerate(row):
            if src[0] != "r" or g.groups[src[1]][0] != scope:
                continue
            src_step = g.groups[src[1]][1]
            if src_step is None or src_step == step:
                continue
            sig = (g.ordinals[src[1]], src[2])
            entry = found.setdefault(scope, {}).setdefault(sig, (g.names[src[1]][src[2]], set()))
            entry[1].add(g.records[i].op)
            feeds.setdefault(scope, {})[(g.ordinals[i], pos)] = sig
    roles = Roles()
    for scope, states in found.items():
        names = _name_states(g, states)
        roles.exits[scope] = names
        roles.entries[scope] = {entry: names[sig] for entry, sig in feeds[scope].items()}
    roles.cell_path = _cell_path(g, roles, plan)
    return roles


def _hidden(plan: dict[str, Elided], scope: str, step: int, boundary: bool = False) -> bool:
    hidden = plan.get(scope)
    return hidden is not None and step in hidden.steps and not (boundary and step == hidden.first)


def _cell_path(g: Unrolled, roles: Roles, plan: dict[str, Elided]) -> set[int]:
    """Records between a cell-state input and the cell-state output of their own step:
    for a composed LSTM, f*c_prev and the add that makes c_t."""
    c_in = {s: {sig for sig, r in e.items() if r.startswith("c")} for s, e in roles.entries.items()}
    c_out = {s: {sig[0] for sig, r in e.items() if r.startswith("c")} for s, e in roles.exits.items()}
    downstream: set[int] = set()
    for i, row in enumerate(g.sources):
        scope, step = g.groups[i]
        if step is None or not c_in.get(scope) or _hidden(plan, scope, step):
            continue
        if any((g.ordinals[i], pos) in c_in[scope] or (src[0] == "r" and src[1] in downstream
                                                         and g.groups[src[1]] == g.groups[i])
               for pos, src in enumerate(row)):
            downstream.add(i)
    path: set[int] = set()
    wanted: set[int] = set()
    for i in range(len(g.records) - 1, -1, -1):
        if i not in downstream:
            continue
        if i in wanted or g.ordinals[i] in c_out.get(g.groups[i][0], ()):
            path.add(i)
            wanted.update(src[1] for src in g.sources[i] if src[0] == "r" and src[1] in downstream
                          and g.groups[src[1]] == g.groups[i])
    return path
