"""Matrix multiplication, with NumPy's rules for 1-D operands and batch broadcasting."""
from __future__ import annotations

from . import broadcast_shapes, op, unbroadcast


def _swap_last(xp, a):
    axes = tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)
    return xp.permute_dims(a, axes)


@op("matmul")
def matmul(bk, a, b):
    """a @ b;  da = g @ b^T, db = a^T @ g (summed over broadcast batch axes)"""
    xp = bk.xp
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}; use * to scale by a scalar")
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        k = b.shape[0 if b.ndim == 1 else -2]
        raise ValueError(
            f"matmul: inner sizes differ: {tuple(a.shape)} @ {tuple(b.shape)} pairs "
            f"{a.shape[-1]} columns with {k} rows; the last axis of the left operand must "
            f"equal the {'first' if b.ndim == 1 else 'second-to-last'} axis of the right "
            f"(transpose one with .T?)")
    # Promote 1-D operands to matrices as NumPy does, and drop the added axis afterwards.
    a2 = xp.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = xp.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    broadcast_shapes("matmul", tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    out2 = xp.matmul(a2, b2)
    out = out2
    if a.ndim == 1:
        out = xp.reshape(out, tuple(out.shape[:-2]) + (out.shape[-1],))
    if b.ndim == 1:
        out = xp.reshape(out, tuple(out.shape[:-1]))

    def vjp(g):
        g2 = xp.reshape(g, tuple(out2.shape))
        ga = unbroadcast(xp, xp.matmul(g2, _swap_last(xp, b2)), tuple(a2.shape))
        gb = unbroadcast(xp, xp.matmul(_swap_last(xp, a2), g2), tuple(b2.shape))
        return xp.reshape(ga, tuple(a.shape)), xp.reshape(gb, tuple(b.shape))
    return out, vjp
