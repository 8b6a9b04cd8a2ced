"""gradcheck: compare every VJP behind a function with float64 central differences.

Small problems are checked entry by entry: the analytic Jacobian (one backward per output
entry, or per random output projection u when the output is large) against numeric
derivatives from perturbing each input entry. Large inputs are probed along random
directions v instead (u.J.v). The worst disagreement is reported with where it was found.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import tape
from .tensor import Tensor

FULL_OUTPUT = 32      # outputs up to this size get the full Jacobian (one-hot projections)
FULL_INPUT = 1024     # inputs up to this size are perturbed entry by entry
DIRECTIONS = 6        # random directions for a larger input
PROJECTIONS = 3       # random output projections for a larger output


class GradcheckError(AssertionError):
    """Raised by gradcheck, with the worst entry in the message."""


def _as_outputs(result) -> list[Tensor]:
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _flat_index(shape: tuple[int, ...], j: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(j, shape)) if shape else ()


def _projections(outs: list[Tensor], rng: np.random.Generator) -> list[list[np.ndarray]]:
    total = sum(o.size for o in outs)
    if total <= FULL_OUTPUT:
        us = []
        for k, o in enumerate(outs):
            for j in range(o.size):
                u = [np.zeros(p.shape) for p in outs]
                u[k].reshape(-1)[j] = 1.0
                us.append(u)
        return us
    return [[rng.standard_normal(o.shape) for o in outs] for _ in range(PROJECTIONS)]


def _evaluate(fn, leaves: list[Tensor]) -> list[np.ndarray]:
    with tape.no_grad():
        return [o.numpy() for o in _as_outputs(fn(*leaves))]


def _numeric_columns(fn, leaves, i, directions, eps):
    """For each direction d (an array shaped like input i): the output change along d."""
    bk = leaves[i].backend
    base = leaves[i].data
    cols = []
    for d in directions:
        step = bk.asarray(d * eps, dtype=base.dtype)
        plus = list(leaves)
        plus[i] = Tensor(base + step, bk)
        minus = list(leaves)
        minus[i] = Tensor(base - step, bk)
        cols.append([(p - m) / (2 * eps) for p, m in zip(_evaluate(fn, plus), _evaluate(fn, minus))])
    return cols


def _float64_leaves(inputs: Sequence[Tensor]) -> list[Tensor]:
    leaves = []
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}; pass Tensors")
        if not x.backend.is_floating(x.dtype):
            raise TypeError(f"gradcheck: input {i} is not floating point")
        leaves.append(Tensor(x.backend.xp.astype(x.data, x.backend.dtype("float64")),
                             x.backend, requires_grad=True))
    return leaves


def _directions(leaf: Tensor, rng: np.random.Generator) -> tuple[bool, list[np.ndarray]]:
    """One-hot directions for a small input (entry by entry), random ones for a large one."""
    if leaf.size > FULL_INPUT:
        return False, [rng.standard_normal(leaf.shape) for _ in range(DIRECTIONS)]
    directions = [np.zeros(leaf.shape) for _ in range(leaf.size)]
    for j, d in enumerate(directions):
        d.reshape(-1)[j] = 1.0
    return True, directions


def _analytic(outs: list[Tensor], u: list[np.ndarray], leaf: Tensor) -> np.ndarray:
    """u . J for one input, by one backward pass (the graph is kept for the next u)."""
    roots = [(o._node, o.backend.asarray(uk, dtype=o.data.dtype))
             for o, uk in zip(outs, u) if o.requires_grad]
    g = tape.backward(roots, retain_graph=True).get(leaf._node)
    return np.zeros(leaf.shape) if g is None else leaf.backend.to_numpy(g)


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check the gradients of `fn(*inputs)` in float64; raise GradcheckError on a mismatch.

    Inputs are copied to float64 leaves on their own backend. Returns True when every
    compared entry satisfies |analytic - numeric| <= atol + rtol * |numeric|.
    (rtol defaults to 1e-4 rather than 1e-3: float64 central differences are accurate to
    about 1e-9 here, and a VJP that is off by 0.1% must fail.)
    """
    rng = np.random.default_rng(seed)
    leaves = _float64_leaves(inputs)
    outs = _as_outputs(fn(*leaves))
    if not any(o.requires_grad for o in outs):
        raise GradcheckError("gradcheck: no output depends on the inputs")
    projections = _projections(outs, rng)
    worst = (0.0,)
    for i, leaf in enumerate(leaves):
        full, directions = _directions(leaf, rng)
        columns = _numeric_columns(fn, leaves, i, directions, eps)
        for p, u in enumerate(projections):
            analytic = _analytic(outs, u, leaf)
            for j, (d, col) in enumerate(zip(directions, columns)):
                a = float(np.sum(analytic * d))
                n = float(sum(np.sum(uk * ck) for uk, ck in zip(u, col)))
                excess = abs(a - n) / (atol + rtol * abs(n))
                if excess > worst[0]:
                    where = f"index {_flat_index(leaf.shape, j)}" if full else f"random direction {j}"
                    worst = (excess, i, where, p, a, n)
    if worst[0] > 1.0:
        _, i, where, p, a, n = worst
        raise GradcheckError(
            f"gradcheck: gradient mismatch for input {i} at {where} (output projection {p}): "
            f"analytic {a:.10g}, numeric {n:.10g}, |difference| {abs(a - n):.3g} > "
            f"tolerance {atol + rtol * abs(n):.3g} (atol={atol}, rtol={rtol})")
    return True
