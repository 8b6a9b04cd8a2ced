"""Primitive ops: each one a forward and its vector-Jacobian product, side by side.

An op is a pure function `op(bk, *arrays, **params) -> (out, vjp)`. `bk` is the backend
(its array namespace is `bk.xp`), `arrays` are backend arrays, and `out` is one array or a
tuple of arrays. `vjp(*cotangents)` takes one cotangent per output (None for an output
that received no gradient) and returns one cotangent per array input (None where an input
has none). Ops hold only the math: the errors that explain bad inputs live in explain.py.

`@op(name)` registers a function in OPS under `name`; that name is what the tape, the
renderer and the tests see. Ops know nothing of Tensor or the tape.

`saves=` says which arrays the VJP reads: "inputs", "output", "all" (the default, the safe
choice) or "nothing" (add, sub, neg, sums, casts and the ops that move entries need only
shapes). Backward refuses when one of those was changed in place after the op ran; an
array the VJP does not read may change freely. Claiming too little gives silently wrong
gradients: tests/test_inplace_fuzz.py looks for exactly that.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class OpDef:
    name: str
    fn: Callable[..., Any]
    float_only: bool   # inputs must be floating point (everything differentiable)
    view: bool         # the output may share memory with the first input
    formula: str       # the docstring's first line, for docs and the API page
    saves: str = "all"  # what the VJP reads: "inputs", "output", "all" or "nothing"
                        # (backward refuses if one of those changed in place since)


OPS: dict[str, OpDef] = {}


def op(name: str, *, float_only: bool = True, view: bool = False, saves: str = "all"):
    """Register `fn` as the primitive op `name`; its docstring's first line is the formula.
    `saves` names the arrays its VJP reads (so only their in-place changes matter)."""
    def register(fn):
        formula = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        OPS[name] = OpDef(name, fn, float_only, view, formula, saves)
        return fn
    return register


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


from . import elementwise, linalg, reduce, shape, fused  # noqa: E402,F401  (register the ops)
