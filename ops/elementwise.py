"""Elementwise ops. Binary ones broadcast as NumPy does and undo it in `unbroadcast`."""
from __future__ import annotations

from . import broadcast_shapes, op, unbroadcast


def _binary_shapes(name, x, y):
    """Refuse shapes that do not broadcast (equal shapes and scalars, the common cases, pass at once)."""
    if x.shape != y.shape and y.ndim and x.ndim:
        broadcast_shapes(name, tuple(x.shape), tuple(y.shape))


@op("add")
def add(bk, x, y):
    """x + y;  dx = g, dy = g"""
    _binary_shapes("add", x, y)
    xp = bk.xp
    return x + y, lambda g: (unbroadcast(xp, g, x.shape), unbroadcast(xp, g, y.shape))


@op("sub")
def sub(bk, x, y):
    """x - y;  dx = g, dy = -g"""
    _binary_shapes("sub", x, y)
    xp = bk.xp
    return x - y, lambda g: (unbroadcast(xp, g, x.shape), unbroadcast(xp, -g, y.shape))


@op("mul")
def mul(bk, x, y):
    """x * y;  dx = g*y, dy = g*x"""
    _binary_shapes("mul", x, y)
    xp = bk.xp
    return x * y, lambda g: (unbroadcast(xp, g * y, x.shape), unbroadcast(xp, g * x, y.shape))


@op("div")
def div(bk, x, y):
    """x / y;  dx = g/y, dy = -g*out/y"""
    _binary_shapes("div", x, y)
    xp = bk.xp
    out = x / y

    def vjp(g):
        gx = g / y
        return unbroadcast(xp, gx, x.shape), unbroadcast(xp, -gx * out, y.shape)
    return out, vjp


@op("neg")
def neg(bk, x):
    """-x;  dx = -g"""
    return -x, lambda g: (-g,)


@op("pow")
def pow_(bk, x, *, exponent: float):
    """x ** p (p a Python number);  dx = g * p * x**(p-1)"""
    p = exponent
    out = x ** p
    if p == 2:
        return out, lambda g: (g * (2.0 * x),)
    return out, lambda g: (g * (p * x ** (p - 1)),)


@op("exp")
def exp(bk, x):
    """exp(x);  dx = g*out"""
    out = bk.xp.exp(x)
    return out, lambda g: (g * out,)


@op("log")
def log(bk, x):
    """log(x);  dx = g/x"""
    return bk.xp.log(x), lambda g: (g / x,)


@op("sigmoid")
def sigmoid(bk, x):
    """1/(1+exp(-x)), computed as 0.5*tanh(0.5x)+0.5 so it never overflows;  dx = g*out*(1-out)"""
    out = 0.5 * bk.xp.tanh(0.5 * x) + 0.5
    return out, lambda g: (g * out * (1.0 - out),)


@op("tanh")
def tanh(bk, x):
    """tanh(x);  dx = g*(1-out^2)"""
    out = bk.xp.tanh(x)
    return out, lambda g: (g * (1.0 - out * out),)


@op("relu")
def relu(bk, x):
    """max(x, 0);  dx = g where x > 0, else 0"""
    xp = bk.xp
    out = xp.maximum(x, 0.0)
    return out, lambda g: (xp.where(x > 0, g, 0.0),)
