"""Truncated BPTT made visible: which steps each update's gradient reaches, where the graph
is cut, and how far the truncated gradient is from the full one.

    tl.viz.truncation_graph(8, k1=2, k2=4)         # a graphviz.Digraph: one row per update
    schedule(8, k1=2, k2=4)                         # the same facts as data
    errors(model, x, ks=[1, 2, 5, 10, 50])          # cosine and relative error against full BPTT

Everything here is measured on the engine, not drawn from a formula: `schedule` runs
`tl.nn.utils.truncated_bptt` on a small composed LSTM whose input at step t is the number
t, and for every update collects the steps whose records its backward pass can reach
(`tape.reachable` from that update's loss). The cut is the edge into the earliest of
them: the state that arrives there was detached, so the gradient stops.

`errors` holds the weights fixed and adds up the gradients of every update (the optimizer
it hands to truncated_bptt never steps), so the only difference from full BPTT is the
truncation itself. The loss is linear in every step's output, sum_t <u_t, out_t> with a
fixed random u, so every step's output matters equally.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import tape
from ..functions import tensor
from .render import graph_class

STATE_EDGE = {"h": ("#1a1a1a", 1.6), "c": ("#2166ac", 2.6)}
CUT = {"color": "#d62728", "style": "dashed", "penwidth": "2.2"}


class HoldWeights:
    """An optimizer that never steps or clears: the gradients of every update add up."""

    def __init__(self, params: list) -> None:
        self.params = params

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


def projection_loss(out, u):
    """sum_t <u_t, out_t>: every step's output counts, through fixed random weights u."""
    return (out * u).sum()


def gradient(model: Any, x, k1: int, k2: int | None = None, seed: int = 0) -> np.ndarray:
    """The gradient of sum_t <u_t, out_t> (u fixed by `seed`) with respect to every
    parameter, flattened into one float64 vector, as BPTT(k1, k2) computes it with the
    weights held fixed. k1 = k2 = len(x) is full BPTT."""
    from ..nn.utils import truncated_bptt       # (the drawing half of viz never imports nn)
    time_axis = 1 if getattr(model, "batch_first", False) and x.ndim == 3 else 0
    with tape.no_grad():
        out, _ = model(x)
    rng = np.random.default_rng(seed)
    u = tensor(rng.standard_normal(out.shape), dtype=out.dtype, backend=out.backend)
    params = list(model.parameters())
    model.zero_grad()
    truncated_bptt(model, x, u, projection_loss, HoldWeights(params), k1, k2, time_axis=time_axis)
    flat = [np.zeros(p.shape) if p.grad is None else p.grad.numpy().astype(np.float64)
            for p in params]
    model.zero_grad()
    return np.concatenate([g.ravel() for g in flat])


def errors(model: Any, x, ks: Sequence[int], k1: int | None = None, seed: int = 0) -> dict:
    """For each k in ks: truncated against full BPTT, {"k", "cosine", "relative"} with
    relative = ||g_k - g|| / ||g||. With k1=None each k is BPTT(k, k) (the sequence in
    chunks of k); with k1 given each k is k2 in BPTT(k1, k2) (k a multiple of k1)."""
    steps = x.shape[1 if getattr(model, "batch_first", False) and x.ndim == 3 else 0]
    full = gradient(model, x, steps, steps, seed)
    result: dict = {"k": [], "cosine": [], "relative": []}
    for k in ks:
        g = gradient(model, x, k if k1 is None else k1, k, seed)
        scale = float(np.linalg.norm(full))
        cosine = float(g @ full / (np.linalg.norm(g) * scale)) if np.linalg.norm(g) > 0 else 0.0
        result["k"].append(int(k))
        result["cosine"].append(cosine)
        result["relative"].append(float(np.linalg.norm(g - full) / scale))
    return result


def schedule(steps: int, k1: int, k2: int | None = None) -> list[dict]:
    """One entry per update of BPTT(k1, k2) over `steps` steps: {"loss": (lo, hi), the steps
    whose outputs are in its loss; "ran": (a, hi), the steps its forward pass ran;
    "reached": sorted steps its backward reached; "cut": the step the gradient stops
    before (None when it reaches the initial state)}. Measured on the engine's tape."""
    from ..nn.recurrent import LSTM
    from ..nn.utils import truncated_bptt
    model = LSTM(1, 1, dtype="float64", fused=False, generator=np.random.default_rng(0))
    x = tensor(np.arange(steps, dtype=np.float64).reshape(steps, 1, 1))
    updates: list[dict] = []
    ran: list[int] = []

    def probe(chunk, state):
        start = int(round(float(chunk.numpy()[0, 0, 0])))    # the input is its own time
        ran.extend(range(start, start + chunk.shape[0]))
        with tape.scope(offset=start):
            return model(chunk, state)

    def loss(out, target):
        lo = int(round(float(target.numpy()[0, 0, 0])))
        total = out.sum()
        records = tape.reachable([total._node])
        reached = sorted({rec.tags["offset"] + rec.step for rec in records
                          if "offset" in rec.tags and rec.step is not None})
        updates.append({"loss": (lo, lo + out.shape[0]), "ran": (min(ran), max(ran) + 1),
                        "reached": reached, "cut": reached[0] if reached[0] > 0 else None})
        ran.clear()
        return total

    truncated_bptt(probe, x, x, loss, HoldWeights(list(model.parameters())), k1, k2)
    return updates


def truncation_graph(steps: int, k1: int, k2: int | None = None, kind: str = "lstm",
                     title: str | None = None):
    """The unrolled graph of BPTT(k1, k2) as a `graphviz.Digraph`, one row per update:
    a box per time step, the state edges between them (h, and c for an LSTM), the loss
    terms of the update, and the edge where the gradient stops drawn cut (red, dashed).
    Steps the update's backward reaches are filled; steps before them only carried their
    state forward. Render it with tl.viz.render(graph, "tbptt.svg")."""
    if kind not in ("rnn", "gru", "lstm"):
        raise ValueError(f"truncation_graph: kind must be 'rnn', 'gru' or 'lstm', got {kind!r}")
    k2 = k1 if k2 is None else k2
    plan = schedule(steps, k1, k2)
    states = ("h", "c") if kind == "lstm" else ("h",)
    Graph = graph_class()
    label = title or (f"{kind.upper()}, {steps} steps, truncated BPTT with k1={k1}, k2={k2}\n"
                      f"orange steps are reached by the update's gradient, red dashes are where it is "
                      f"cut (the state was detached)")
    g = Graph(name="truncation", graph_attr={"rankdir": "LR", "fontname": "Helvetica",
              "fontsize": "12", "label": label, "labelloc": "t", "nodesep": "0.12",
              "ranksep": "0.28", "newrank": "true"},
              node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                         "fontsize": "10", "height": "0.3", "color": "#595959"},
              edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9"})
    for n, update in reversed(list(enumerate(plan))):   # (LR stacks the last-made row on top)
        lo, hi = update["loss"]
        reached = set(update["reached"])
        with g.subgraph(name=f"cluster_u{n}") as row:
            row.attr(label=f"update {n + 1}: loss of t={lo}..{hi - 1}, gradient back to "
                           f"t={min(reached)}", style="rounded", color="#bdbdbd", fontsize="11")
            for t in range(hi):
                fill = "#fdd0a2" if t in reached else "#f0f0f0"
                font = "#000000" if t in reached else "#969696"
                row.node(f"u{n}t{t}", f"t={t}", fillcolor=fill, fontcolor=font,
                         color="#595959" if t in reached else "#bdbdbd", group=f"t{t}")
            for t in range(lo, hi):
                row.node(f"u{n}L{t}", f"L_{t}", shape="ellipse", fillcolor="#fbd3cf",
                         fontsize="9", height="0.25")
                row.edge(f"u{n}t{t}", f"u{n}L{t}", color="#8c8c8c")
        for t in range(1, hi):
            for s in states:
                colour, width = STATE_EDGE[s]
                attrs = {"color": colour, "penwidth": str(width)}
                if t == update["cut"]:
                    attrs = {**CUT, "label": "cut" if s == states[0] else "", "fontcolor": CUT["color"]}
                elif t not in reached:
                    attrs = {"color": "#bdbdbd", "penwidth": "1.0", "style": "dotted"}
                g.edge(f"u{n}t{t - 1}", f"u{n}t{t}", **attrs)
    for t in range(steps):          # step t of every row, and its loss terms, in one column
        same = [f"u{n}t{t}" for n, u in enumerate(plan) if t < u["loss"][1]]
        same += [f"u{n}L{t}" for n, u in enumerate(plan) if u["loss"][0] <= t < u["loss"][1]]
        g.body.append("\t{rank=same " + " ".join(same) + "}\n")
    return g
