"""Gradient norms for the gradient view, and the colour scale that shows them.

Where the norms come from, in order:
1. a backward run inside `with tl.viz.track_grad_norms():` kept, through the tape's one
   hook, the norms of each record's output cotangents; parameters' norms are their `.grad`;
2. otherwise, if the graph still holds its VJPs (no backward has run through it), the
   renderer runs one itself with retain_graph=True, seeded with ones (the gradient of
   `output.sum()`), and leaves every `.grad` untouched.

The scale is logarithmic and relative to the largest norm drawn: the darkest colour is the
largest, the palest is `decades` orders of magnitude below it or less.
"""
from __future__ import annotations

import contextlib
import math
import weakref
from typing import Iterator

import numpy as np

from .. import tape
from ..tensor import Tensor
from .collect import Unrolled

DECADES = 8
WARM = ("#d4d4d4", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")   # h path and everything else
COOL = ("#cfdcea", "#9ecae1", "#4292c6", "#08519c", "#08306b")   # the cell-state path

# record -> its output cotangents' norms, from backward passes run under track_grad_norms.
# Weak keys: an entry goes when its graph is freed.
_kept: "weakref.WeakKeyDictionary[tape.Record, list]" = weakref.WeakKeyDictionary()


def _norm(array) -> float:
    """sqrt(sum(g^2)) in the array's own namespace (NumPy, CuPy, ...)."""
    namespace = getattr(array, "__array_namespace__", None)
    xp = namespace() if namespace is not None else np
    return float(xp.sqrt(xp.sum(array * array)))


def _keep_norms(store: dict):
    def hook(rec, out_cots, in_cots):
        store[rec] = [0.0 if g is None else _norm(g) for g in out_cots]
    return hook


@contextlib.contextmanager
def track_grad_norms() -> Iterator[None]:
    """Context manager: backward passes inside keep each record's output-cotangent norms
    (what the renderer's gradient view draws), observed through the tape's hook."""
    with tape.observe(_keep_norms(_kept)):
        yield


def gradient_norms(g: Unrolled, outputs: list[Tensor]) -> tuple[list, dict[int, float]]:
    """Per record its output-cotangent norms (None where no gradient reached it), and per
    parameter leaf position the norm of its gradient."""
    params = {j: node for j, node in enumerate(g.leaves) if node.requires_grad}
    if any(getattr(rec, "part_of", rec) in _kept for rec in g.records):
        param_norms = {}
        for j, node in params.items():
            tensor = node.leaf() if node.leaf is not None else None
            if tensor is not None and tensor.grad is not None:
                param_norms[j] = float(np.linalg.norm(tensor.grad.numpy()))
        return _per_row(g, _kept), param_norms
    if any(rec.vjp is None for rec in g.records):
        raise RuntimeError(
            "viz: grads=True needs gradient norms, but a backward pass already ran through "
            "this graph without recording them. Run it inside `with tl.viz.track_grad_norms(): "
            "loss.backward()`, or draw before calling backward (the renderer then runs its "
            "own backward without touching .grad)")
    own: dict = {}
    roots = [(t._node, t.backend.xp.ones_like(t.data)) for t in outputs]
    with tape.observe(_keep_norms(own)):
        leaves = tape.backward(roots, retain_graph=True)
    param_norms = {j: _norm(leaves[node]) for j, node in params.items() if node in leaves}
    return _per_row(g, own), param_norms


def _per_row(g: Unrolled, norms: dict) -> list:
    """Norms per row of g; a fused scan's parts show the norms of the outputs they stand
    for (its inner cotangents stay inside its VJP: draw fused=False to see every step's)."""
    rows = []
    for rec in g.records:
        part_of = getattr(rec, "part_of", None)
        if part_of is None:
            rows.append(norms.get(rec))
            continue
        outer = norms.get(part_of)
        rows.append(None if outer is None or rec.stands_for is None
                    else [outer[k] for k in rec.stands_for])
    return rows


def level(norm: float | None, top: float, decades: float = DECADES) -> float | None:
    """0 (vanished: `decades` orders below `top` or less) .. 1 (the largest norm)."""
    if norm is None:
        return None
    if norm <= 0 or top <= 0:
        return 0.0
    return min(1.0, max(0.0, 1.0 + math.log10(norm / top) / decades))


def shade(value: float, palette=WARM) -> str:
    """The palette's colour at `value` in [0, 1], linearly between its stops."""
    x = value * (len(palette) - 1)
    k = min(int(x), len(palette) - 2)
    a, b = palette[k], palette[k + 1]
    mix = [round(int(a[n:n + 2], 16) * (k + 1 - x) + int(b[n:n + 2], 16) * (x - k)) for n in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def tint(colour: str, amount: float = 0.55) -> str:
    """`colour` mixed with white (node fills stay light so their labels stay readable)."""
    rgb = [int(colour[n:n + 2], 16) for n in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)
