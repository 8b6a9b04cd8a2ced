"""Matrix multiplication, with NumPy's rules for 1-D operands and batch broadcasting."""
from __future__ import annotations

from . import op, unbroadcast


def _as_matrices(xp, a, b):
    """1-D operands promoted to matrices as NumPy does: a row on the left, a column on the right."""
    a2 = xp.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = xp.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    return a2, b2


def _swap_last(xp, a):
    return xp.permute_dims(a, tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))


@op("matmul", saves="inputs")
def matmul(bk, a, b):
    """a @ b;  da = g @ b^T, db = a^T @ g (summed over broadcast batch axes)"""
    xp = bk.xp
    out = xp.matmul(a, b)
    a2, b2 = _as_matrices(xp, a, b)
    shape2 = tuple(out.shape) + ((1,) if b.ndim == 1 else ())   # out with the 1-D axes kept
    if a.ndim == 1:
        shape2 = shape2[:-1] + (1,) + shape2[-1:]

    def vjp(g):
        g2 = xp.reshape(g, shape2)
        ga = unbroadcast(xp, xp.matmul(g2, _swap_last(xp, b2)), tuple(a2.shape))
        gb = unbroadcast(xp, xp.matmul(_swap_last(xp, a2), g2), tuple(b2.shape))
        return xp.reshape(ga, tuple(a.shape)), xp.reshape(gb, tuple(b.shape))
    return out, vjp
