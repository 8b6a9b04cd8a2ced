"""Primitive ops: each one a forward and its vector-Jacobian product, side by side.

An op is a plain function `op(bk, *arrays, **params) -> (out, vjp)`: `bk` is the backend
(its array namespace is `bk.xp`), `arrays` are backend arrays, and `vjp(g)` maps the
cotangent of `out` to one cotangent per array input (None where an input has none).
Ops that return several outputs (split) return a tuple and receive a list of cotangents,
with None for outputs that received no gradient.

`@op(name)` registers a function in OPS under `name`; that name is what the tape, the
renderer and the tests see. Ops know nothing of Tensor or the tape.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class OpDef:
    name: str
    fn: Callable[..., Any]
    float_only: bool      # inputs must be floating point (everything differentiable)
    multi_output: bool    # forward returns a tuple of arrays
    formula: str          # one line, for docs and the tape printout


OPS: dict[str, OpDef] = {}


def op(name: str, *, float_only: bool = True, multi_output: bool = False):
    """Register `fn` as the primitive op `name`; its docstring's first line is the formula."""
    def register(fn):
        formula = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        OPS[name] = OpDef(name, fn, float_only, multi_output, formula)
        return fn
    return register


def broadcast_shapes(op_name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcasting rule on shapes alone; a clear error when shapes do not broadcast."""
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(tuple(s)) for s in shapes)
            raise ValueError(
                f"{op_name}: shapes {listed} do not broadcast (axis {axis} has sizes "
                f"{sorted(sizes)}); sizes must match or be 1. Reshape one operand, "
                f"e.g. x.reshape(...) or index with None to add an axis")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def unbroadcast(xp, g, shape: tuple[int, ...]):
    """Sum the cotangent `g` over the axes that broadcasting added or stretched, to `shape`.

    Every binary VJP leaves through here: this is the one place broadcasting is undone.
    """
    if tuple(g.shape) == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = xp.sum(g, axis=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and g.shape[i] != 1)
    if stretched:
        g = xp.sum(g, axis=stretched, keepdims=True)
    return g


def normalize_axis(op_name: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{op_name}: axis {axis} is out of range for an array of {ndim} dimensions")
    return axis % max(ndim, 1)


from . import elementwise, linalg, reduce, shape, fused  # noqa: E402,F401  (register the ops)
