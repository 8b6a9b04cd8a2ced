"""The data the explorer's page steps through, as compact JSON-ready lists.

Page rows are the graph's rows (records, a fused scan's parts), except that the records of
a step that no picture draws (the middle of a long sequence) become one page row per step,
and the backward events inside it one event: stepping through them goes a time step at a
time, and the page stays small. Strings (op names, shapes, source lines) are stored once.
"""
from __future__ import annotations

import base64

import numpy as np

from ..printing import format_params
from .backward_steps import Trace
from .collect import Unrolled

GRID_LIMIT = 4096           # a weight's gradient values are kept up to this many entries
MERGED = "step"             # the op of a page row standing for a whole elided step


def short(x: float) -> float:
    return float(f"{x:.4g}")


def summary(array) -> str:
    a = np.asarray(array, dtype=np.float64)
    if a.size == 0:
        return "empty"
    if a.size == 1:
        return f"value {a.reshape(())[()]:.4g}"
    return f"min {a.min():.3g}, mean {a.mean():.3g}, max {a.max():.3g}, std {a.std():.3g}"


class Strings:
    """One table of strings; everything else refers to them by index (the page stays small
    when 1,000 steps repeat the same op names, shapes and source lines)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text) -> int:
        if text is None or text == "":
            return -1
        return self.index.setdefault(str(text), len(self.index))

    def table(self) -> list[str]:
        return list(self.index)


def page_rows(g: Unrolled, hidden: dict[str, frozenset]) -> tuple[list[int], list[list[int]]]:
    """disp[i]: the page row of row i; members[d]: the rows of page row d. A run of rows of
    one step in `hidden` (scope -> steps) becomes one page row."""
    disp: list[int] = []
    members: list[list[int]] = []
    last = None
    for i, (scope, step) in enumerate(g.groups):
        hide = step is not None and step in hidden.get(scope, ())
        if hide and last == (scope, step):
            members[-1].append(i)
        else:
            members.append([i])
        disp.append(len(members) - 1)
        last = (scope, step) if hide else None
    return disp, members


def row_table(g: Unrolled, members: list[list[int]], s: Strings) -> list[int]:
    """Eight ints per page row: op, scope, step, shapes, dtype, output names, params, where."""
    flat: list[int] = []
    for rows in members:
        rec = g.records[rows[0]]
        step = rec.tags.get("step")
        head = [s(rec.tags.get("scope")), -1 if step is None else step]
        dtype = s(rec.avals[0][1] if rec.avals else "")
        if len(rows) > 1:
            counts: dict[str, int] = {}
            for i in rows:
                counts[g.records[i].op] = counts.get(g.records[i].op, 0) + 1
            ops = ", ".join(op + (f" x{n}" if n > 1 else "") for op, n in counts.items())
            flat += [s(MERGED)] + head + [-1, dtype, -1, s(f"{len(rows)} records: {ops}"), -1]
            continue
        tape_rec = getattr(rec, "part_of", rec)
        names = g.names[rows[0]]
        flat += [s(rec.op)] + head + [
            s(" ".join(str(tuple(shape)) for shape, _ in rec.avals)), dtype,
            s(", ".join(n or "-" for n in names) if any(names) else ""),
            s(format_params(tape_rec) if tape_rec is rec else f"step of {tape_rec.op}"),
            s(rec.tags.get("where"))]
    return flat


def sources(g: Unrolled, disp: list[int], members: list[list[int]]) -> list[list[int]]:
    """Per page row, where its inputs come from: a page row (>= 0) or leaf j (as -1 - j)."""
    out = []
    for d, rows in enumerate(members):
        found: list[int] = []
        for i in rows:
            for src in g.sources[i]:
                ref = disp[src[1]] if src[0] == "r" else -1 - src[1]
                if ref != d and (len(rows) == 1 or ref not in found):
                    found.append(ref)
        out.append(found)
    return out


def events(trace: Trace, disp: list[int], members: list[list[int]]) -> tuple[list, list[int]]:
    """The backward pass on page rows; the VJPs run inside one merged row become one event
    (with the largest cotangent norm that reached them). Returns them and, per event of the
    trace, its page event."""
    out: list[list] = []
    remap: list[int] = []
    for first, count, outs, ins in trace.events:
        d0, d1 = disp[first], disp[first + count - 1]
        if d0 == d1 and len(members[d0]) > 1:
            top = max(outs, default=0.0)
            if out and out[-1][0] == d0 and out[-1][1] == 1 and not out[-1][3]:
                out[-1][2] = [max(out[-1][2][0], short(top))]
            else:
                out.append([d0, 1, [short(top)], []])
        else:
            out.append([d0, d1 - d0 + 1, [short(x) for x in outs], [short(x) for x in ins]])
        remap.append(len(out) - 1)
    return out, remap


def leaf_table(g: Unrolled, s: Strings) -> list[list]:
    out = []
    for node in g.leaves:
        tensor = node.leaf() if node.leaf is not None else None
        value = summary(tensor.numpy()) if tensor is not None else ""
        out.append([s(node.name), s(str(node.shape)), s(node.dtype), int(node.requires_grad),
                    s(value)])
    return out


def weights(g: Unrolled, trace: Trace, remap: list[int]) -> list[dict]:
    """Per parameter: its terms (page event, |term|, |sum so far|), the final gradient, and
    the terms' values when all of them fit the page's budget."""
    out = []
    for j, terms in trace.terms.items():
        node = g.leaves[j]
        final = trace.grads.get(j)
        size = int(np.prod(node.shape)) if node.shape else 1
        entry = {"leaf": j, "name": node.name or f"param {j}", "shape": list(node.shape),
                 "terms": [[remap[e], short(a), short(b)] for e, a, b in terms],
                 "norm": None if final is None else float(np.linalg.norm(final)),
                 "final": None, "values": None}
        if final is not None and size <= GRID_LIMIT:
            entry["final"] = [float(v) for v in np.asarray(final, np.float64).ravel()]
            if trace.values is not None and trace.values[j]:
                entry["values"] = base64.b64encode(np.concatenate(
                    [v.ravel() for v in trace.values[j]]).tobytes()).decode()
        out.append(entry)
    return out


def traced_values(g: Unrolled, members: list[list[int]], traced, s: Strings) -> dict[int, int]:
    """Value summaries of the gates and states a `tl.viz.trace` recorded, by page row: a
    record whose outputs are named (i, f, g, o, c, h, ...) at a scope and step the trace
    covers shows the values of those outputs, over the batch and units."""
    if traced is None:
        return {}
    layers = {traced.scopes[name]: name for name in traced.layers}
    out = {}
    for d, rows in enumerate(members):
        scope, step = g.groups[rows[0]]
        if len(rows) > 1 or step is None or scope not in layers:
            continue
        parts = [f"{role}: {summary(traced.get(role, layers[scope])[step])}"
                 for role in g.names[rows[0]] if role in traced.roles]
        if parts:
            out[d] = s("\n".join(parts))
    return out
