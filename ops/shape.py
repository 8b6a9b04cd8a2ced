"""Ops that move entries without changing them: reshape, transpose, getitem, concat,
stack and split. Their VJPs move the cotangent back the same way."""
from __future__ import annotations

from . import normalize_axis, op


@op("reshape", float_only=False)
def reshape(bk, x, *, shape):
    """x viewed with a new shape;  dx = g reshaped back"""
    size = 1
    for s in x.shape:
        size *= s
    known, unknown = 1, [i for i, s in enumerate(shape) if s == -1]
    for s in shape:
        known *= s if s != -1 else 1
    if len(unknown) > 1 or (unknown and (known == 0 or size % known)) or (not unknown and known != size):
        raise ValueError(f"reshape: cannot reshape an array of shape {tuple(x.shape)} "
                         f"({size} entries) into {tuple(shape)}")
    xp = bk.xp
    return xp.reshape(x, tuple(shape)), lambda g: (xp.reshape(g, tuple(x.shape)),)


@op("transpose", float_only=False)
def transpose(bk, x, *, axes=None):
    """x with its axes permuted (reversed by default);  dx = g with the inverse permutation"""
    xp = bk.xp
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(a % max(x.ndim, 1) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{x.ndim} axes of shape {tuple(x.shape)}")
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return xp.permute_dims(x, axes), lambda g: (xp.permute_dims(g, inverse),)


def _check_index(bk, x_shape, items) -> None:
    """Range-check the integer parts of an index, so a bad one fails naming the shape."""
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consuming > len(x_shape):
        raise IndexError(f"getitem: too many indices ({consuming}) for a tensor of shape "
                         f"{tuple(x_shape)}")
    axis = 0
    for item in items:
        if item is None:
            continue
        if item is Ellipsis:
            axis += len(x_shape) - consuming
            continue
        size = x_shape[axis]
        if isinstance(item, int):
            low = high = item
        elif isinstance(item, slice):
            axis += 1
            continue
        else:
            if item.size == 0:
                axis += 1
                continue
            low, high = int(bk.xp.min(item)), int(bk.xp.max(item))
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise IndexError(f"getitem: index {bad} is out of range for axis {axis} of size "
                             f"{size} (tensor shape {tuple(x_shape)})")
        axis += 1


def _take_axis(items, ndim):
    """The axis of the single integer array in an index like x[:, idx] (else None)."""
    arrays = [k for k, i in enumerate(items) if hasattr(i, "shape")]
    rest = [i for i in items if not hasattr(i, "shape")]
    full = all(i is Ellipsis or i == slice(None) for i in rest)
    if len(arrays) != 1 or not full or items[arrays[0]].ndim != 1:
        return None
    k = arrays[0]
    if any(i is Ellipsis for i in items[:k]):
        return ndim - (len(items) - k)
    return k


@op("getitem", float_only=False)
def getitem(bk, x, *, index):
    """x[index] (ints, slices, None, ..., integer arrays);  dx = g scattered back, repeats add up"""
    xp = bk.xp
    items = index if isinstance(index, tuple) else (index,)
    _check_index(bk, tuple(x.shape), items)
    if all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items):
        # Basic indexing; the trailing ... keeps strict array-API namespaces happy.
        basic = items if any(i is Ellipsis for i in items) else items + (Ellipsis,)
        target = tuple(i for i in basic if i is not None)  # where g lands, new axes dropped
        target_shape = tuple(x[target].shape)

        def vjp(g):
            dx = xp.zeros(tuple(x.shape), dtype=g.dtype)
            dx[target] = xp.reshape(g, target_shape)
            return (dx,)
        return x[basic], vjp
    axis = _take_axis(items, x.ndim)
    out = xp.take(x, items[[k for k, i in enumerate(items) if hasattr(i, "shape")][0]], axis=axis) \
        if axis is not None else x[index]
    return out, lambda g: (bk.scatter_add(tuple(x.shape), index, g),)


@op("concat", float_only=False)
def concat(bk, *xs, axis=0):
    """concat(xs, axis);  dx_i = g sliced back to x_i's span along axis"""
    xp = bk.xp
    ref = xs[0]
    axis = normalize_axis("concat", axis, ref.ndim)
    for i, x in enumerate(xs[1:], start=1):
        if x.ndim != ref.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, ref.shape)) if k != axis):
            shapes = ", ".join(str(tuple(t.shape)) for t in xs)
            raise ValueError(f"concat: tensor {i} has shape {tuple(x.shape)} but tensor 0 has "
                             f"{tuple(ref.shape)}; all sizes must match except along axis "
                             f"{axis} (shapes: {shapes})")
    out = xp.concat(list(xs), axis=axis)
    bounds, start = [], 0
    for x in xs:
        bounds.append((start, start + x.shape[axis]))
        start += x.shape[axis]
    lead = (slice(None),) * axis

    def vjp(g):
        return tuple(g[lead + (slice(lo, hi), ...)] for lo, hi in bounds)
    return out, vjp


@op("stack", float_only=False)
def stack(bk, *xs, axis=0):
    """stack(xs, axis): a new axis;  dx_i = g[..., i, ...] along that axis"""
    xp = bk.xp
    ref = xs[0]
    for i, x in enumerate(xs[1:], start=1):
        if tuple(x.shape) != tuple(ref.shape):
            raise ValueError(f"stack: tensor {i} has shape {tuple(x.shape)} but tensor 0 has "
                             f"{tuple(ref.shape)}; stack needs equal shapes")
    axis = normalize_axis("stack", axis, ref.ndim + 1)
    out = xp.stack(list(xs), axis=axis)
    lead = (slice(None),) * axis
    return out, lambda g: tuple(g[lead + (i, ...)] for i in range(len(xs)))


def split_bounds(size: int, sections, axis: int) -> list[tuple[int, int]]:
    """numpy.split's rule: an int must divide the axis; a list gives the cut points."""
    if isinstance(sections, int):
        if sections <= 0 or size % sections:
            raise ValueError(f"split: {sections} sections do not divide axis {axis} of size "
                             f"{size} equally; pass a size that divides it or a list of cut "
                             f"indices such as [{size // 2}]")
        step = size // sections
        return [(i * step, (i + 1) * step) for i in range(sections)]
    cuts = [min(max(int(c) if c >= 0 else size + int(c), 0), size) for c in sections]
    edges = [0] + cuts + [size]
    return [(lo, max(lo, hi)) for lo, hi in zip(edges[:-1], edges[1:])]


@op("split", float_only=False, multi_output=True)
def split(bk, x, *, sections, axis=0):
    """split(x, sections, axis) as numpy.split;  dx = concat of the pieces' cotangents (zeros where none)"""
    xp = bk.xp
    axis = normalize_axis("split", axis, x.ndim)
    bounds = split_bounds(x.shape[axis], sections, axis)
    lead = (slice(None),) * axis
    outs = tuple(x[lead + (slice(lo, hi), ...)] for lo, hi in bounds)

    def vjp(gs):
        pieces = [g if g is not None else xp.zeros(tuple(o.shape), dtype=x.dtype)
                  for g, o in zip(gs, outs)]
        return (xp.concat(pieces, axis=axis),)
    return outs, vjp
