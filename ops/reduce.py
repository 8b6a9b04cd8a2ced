"""Reductions over axes: sum, mean, and max (the shift inside a stable log-softmax)."""
from __future__ import annotations

from . import normalize_axis, op


def _axes(name, axis, ndim) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axes = tuple(sorted(normalize_axis(name, a, ndim) for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return axes


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _expand(xp, g, shape, axes):
    """Broadcast a reduced cotangent back over the reduced axes."""
    return xp.broadcast_to(xp.reshape(g, _kept_shape(shape, axes)), tuple(shape))


@op("sum")
def sum_(bk, x, *, axis=None, keepdims=False):
    """sum of x over axis;  dx = g broadcast back over the summed axes"""
    xp = bk.xp
    axes = _axes("sum", axis, x.ndim)
    out = xp.sum(x, axis=axes, keepdims=keepdims)
    return out, lambda g: (_expand(xp, g, x.shape, axes),)


@op("mean")
def mean(bk, x, *, axis=None, keepdims=False):
    """mean of x over axis;  dx = g/n broadcast back, n = number of averaged entries"""
    xp = bk.xp
    axes = _axes("mean", axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis of shape {tuple(x.shape)}")
    out = xp.sum(x, axis=axes, keepdims=keepdims) / count
    return out, lambda g: (_expand(xp, g, x.shape, axes) / count,)


@op("max")
def max_(bk, x, *, axis=None, keepdims=False):
    """max of x over axis;  dx = g shared equally among the entries that attain the max"""
    xp = bk.xp
    axes = _axes("max", axis, x.ndim)
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"max: cannot take the max over an empty axis of shape {tuple(x.shape)}")
    out = xp.max(x, axis=axes, keepdims=keepdims)

    def vjp(g):
        kept = xp.reshape(out, _kept_shape(x.shape, axes))
        hit = xp.astype(x == kept, x.dtype)
        ties = xp.sum(hit, axis=axes, keepdims=True)
        return (_expand(xp, g, x.shape, axes) * hit / ties,)
    return out, vjp
