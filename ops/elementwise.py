"""Elementwise ops. Binary ones broadcast as NumPy does and undo it in `unbroadcast`."""
from __future__ import annotations

from . import op, unbroadcast


@op("add", saves="nothing")
def add(bk, x, y):
    """x + y;  dx = g, dy = g"""
    return x + y, lambda g: (unbroadcast(bk.xp, g, x.shape), unbroadcast(bk.xp, g, y.shape))


@op("sub", saves="nothing")
def sub(bk, x, y):
    """x - y;  dx = g, dy = -g"""
    return x - y, lambda g: (unbroadcast(bk.xp, g, x.shape), unbroadcast(bk.xp, -g, y.shape))


@op("mul", saves="inputs")
def mul(bk, x, y):
    """x * y;  dx = g*y, dy = g*x"""
    return x * y, lambda g: (unbroadcast(bk.xp, g * y, x.shape), unbroadcast(bk.xp, g * x, y.shape))


@op("div")
def div(bk, x, y):
    """x / y;  dx = g/y, dy = -g*out/y"""
    out = x / y

    def vjp(g):
        gx = g / y
        return unbroadcast(bk.xp, gx, x.shape), unbroadcast(bk.xp, -gx * out, y.shape)
    return out, vjp


@op("neg", saves="nothing")
def neg(bk, x):
    """-x;  dx = -g"""
    return -x, lambda g: (-g,)


@op("pow", saves="inputs")
def power(bk, x, *, exponent: float):
    """x ** p (p a Python number);  dx = g * p * x**(p-1), and 0 when p = 0"""
    p = exponent
    if p == 0:
        return bk.xp.ones_like(x), lambda g: (g * 0.0,)
    return x ** p, lambda g: (g * (p * x ** (p - 1)),)


@op("exp", saves="output")
def exp(bk, x):
    """exp(x);  dx = g*out"""
    out = bk.xp.exp(x)
    return out, lambda g: (g * out,)


@op("log", saves="inputs")
def log(bk, x):
    """log(x);  dx = g/x"""
    return bk.xp.log(x), lambda g: (g / x,)


@op("sigmoid", saves="output")
def sigmoid(bk, x):
    """1/(1+exp(-x)), computed as 0.5*tanh(0.5x)+0.5 so it never overflows;  dx = g*out*(1-out)"""
    out = 0.5 * bk.xp.tanh(0.5 * x) + 0.5
    return out, lambda g: (g * out * (1.0 - out),)


@op("tanh", saves="output")
def tanh(bk, x):
    """tanh(x);  dx = g*(1-out^2)"""
    out = bk.xp.tanh(x)
    return out, lambda g: (g * (1.0 - out * out),)


@op("relu", saves="inputs")
def relu(bk, x):
    """max(x, 0);  dx = g where x > 0, else 0"""
    out = bk.xp.maximum(x, 0.0)
    return out, lambda g: (bk.xp.where(x > 0, g, 0.0),)


@op("astype", float_only=False, saves="nothing")
def astype(bk, x, *, dtype):
    """x converted to dtype;  dx = g converted back to x's dtype"""
    return bk.xp.astype(x, dtype), lambda g: (bk.xp.astype(g, x.dtype),)
