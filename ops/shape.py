"""Ops that move entries without changing them: reshape, transpose, getitem, concat,
stack and split. Their VJPs move the cotangent back the same way."""
from __future__ import annotations

from . import op


@op("reshape", float_only=False, view=True, saves="nothing")
def reshape(bk, x, *, shape):
    """x viewed with a new shape;  dx = g reshaped back"""
    return bk.xp.reshape(x, shape), lambda g: (bk.xp.reshape(g, x.shape),)


@op("transpose", float_only=False, view=True, saves="nothing")
def transpose(bk, x, *, axes=None):
    """x with its axes permuted (reversed by default);  dx = g with the inverse permutation"""
    axes = tuple(reversed(range(x.ndim))) if axes is None else axes
    inverse = tuple(sorted(range(len(axes)), key=lambda k: axes[k] % x.ndim))
    return bk.xp.permute_dims(x, axes), lambda g: (bk.xp.permute_dims(g, inverse),)


def is_basic(index) -> bool:
    """Ints, slices, None and ... only (no integer arrays)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


@op("getitem", float_only=False, view=True, saves="nothing")
def getitem(bk, x, *, index):
    """x[index] (ints, slices, None, ..., integer arrays);  dx = g scattered back, repeats add up"""
    xp = bk.xp
    if not is_basic(index):
        return bk.gather(x, index), lambda g: (bk.scatter_add(tuple(x.shape), index, g),)
    items = index if isinstance(index, tuple) else (index,)
    if Ellipsis not in items:
        items += (Ellipsis,)    # the array API wants every axis indexed, or a ...
    target = tuple(i for i in items if i is not None)   # where g lands: new axes dropped
    out = x[items]

    def vjp(g):
        dx = xp.zeros(x.shape, dtype=g.dtype)
        dx[target] = xp.reshape(g, x[target].shape)
        return (dx,)
    return out, vjp


@op("concat", float_only=False, saves="nothing")
def concat(bk, *xs, axis=0):
    """concat(xs, axis);  dx_i = g sliced back to x_i's span along axis"""
    out = bk.xp.concat(list(xs), axis=axis)
    axis %= out.ndim
    lead = (slice(None),) * axis
    spans, start = [], 0
    for x in xs:
        spans.append(lead + (slice(start, start + x.shape[axis]), Ellipsis))
        start += x.shape[axis]
    return out, lambda g: tuple(g[span] for span in spans)


@op("stack", float_only=False, saves="nothing")
def stack(bk, *xs, axis=0):
    """stack(xs, axis): a new axis;  dx_i = g[..., i, ...] along that axis"""
    out = bk.xp.stack(list(xs), axis=axis)
    lead = (slice(None),) * (axis % out.ndim)
    return out, lambda g: tuple(g[lead + (i, Ellipsis)] for i in range(len(xs)))


def split_bounds(size: int, sections) -> list[tuple[int, int]]:
    """numpy.split's rule: an int must divide the axis; a list gives the cut points."""
    if isinstance(sections, int):
        if sections <= 0 or size % sections:
            raise ValueError(f"{sections} sections do not divide {size}")
        step = size // sections
        return [(i * step, (i + 1) * step) for i in range(sections)]
    cuts = [min(max(c if c >= 0 else size + c, 0), size) for c in sections]
    edges = [0] + cuts + [size]
    return [(lo, max(lo, hi)) for lo, hi in zip(edges[:-1], edges[1:])]


@op("split", float_only=False, view=True, saves="nothing")
def split(bk, x, *, sections, axis=0):
    """split(x, sections, axis) as numpy.split;  dx = concat of the pieces' cotangents (zeros where none)"""
    xp = bk.xp
    axis %= x.ndim
    lead = (slice(None),) * axis
    outs = tuple(x[lead + (slice(lo, hi), Ellipsis)] for lo, hi in split_bounds(x.shape[axis], sections))

    def vjp(*gs):
        pieces = [g if g is not None else xp.zeros(o.shape, dtype=x.dtype) for g, o in zip(gs, outs)]
        return (xp.concat(pieces, axis=axis),)
    return outs, vjp
