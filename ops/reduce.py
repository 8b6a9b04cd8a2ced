"""Reductions over axes: sum, mean, and max (the shift inside a stable log-softmax)."""
from __future__ import annotations

from . import op


def _axes(axis, ndim) -> tuple[int, ...]:
    """The reduced axes as non-negative ints (all of them for axis=None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _expand(xp, g, shape, axes):
    """Broadcast a reduced cotangent back over the reduced axes."""
    kept = tuple(1 if i in axes else size for i, size in enumerate(shape))
    return xp.broadcast_to(xp.reshape(g, kept), tuple(shape))


@op("sum", saves="nothing")
def sum_over(bk, x, *, axis=None, keepdims=False):
    """sum of x over axis;  dx = g broadcast back over the summed axes"""
    out = bk.xp.sum(x, axis=axis, keepdims=keepdims)   # the backend checks the axes first
    axes = _axes(axis, x.ndim)
    return out, lambda g: (_expand(bk.xp, g, x.shape, axes),)


@op("mean", saves="nothing")
def mean_over(bk, x, *, axis=None, keepdims=False):
    """mean of x over axis;  dx = g/n broadcast back, n = number of averaged entries"""
    total = bk.xp.sum(x, axis=axis, keepdims=keepdims)
    axes = _axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    out = total / count
    return out, lambda g: (_expand(bk.xp, g, x.shape, axes) / count,)


@op("max")
def max_over(bk, x, *, axis=None, keepdims=False):
    """max of x over axis;  dx = g shared equally among the entries that attain the max"""
    xp = bk.xp
    out = xp.max(x, axis=axis, keepdims=keepdims)
    axes = _axes(axis, x.ndim)

    def vjp(g):
        hit = xp.astype(x == _expand(xp, out, x.shape, axes), x.dtype)
        return (_expand(xp, g, x.shape, axes) * hit / xp.sum(hit, axis=axes, keepdims=True),)
    return out, vjp
