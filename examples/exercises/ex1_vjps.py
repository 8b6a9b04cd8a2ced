"""Exercise 1: the vector-Jacobian products (VJPs) of the five ops an LSTM is made of.

Reverse-mode autodiff needs, for every op out = f(inputs), one function: given g, the
gradient of the loss with respect to out (same shape as out), return the gradient of the
loss with respect to each input (same shape as that input). That is g times the Jacobian
of f, without ever building the Jacobian.

Every function below gets the op's inputs, its output `out` (free to reuse), and `g`.
All are NumPy float64 arrays. Fill them in, in order, then check your work:

    tinygrad-lstm exercise check 1

The check runs each op in the engine and compares your answer with the engine's, entry
by entry. (The engine's own VJPs are in ops/elementwise.py, ops/linalg.py and
ops/shape.py: try first, look after.)
"""
import numpy as np


def mul_vjp(x, y, out, g):
    """out = x * y, elementwise (x and y have the same shape). Return (dx, dy)."""
    raise NotImplementedError


def matmul_vjp(a, b, out, g):
    """out = a @ b, with a of shape (n, k) and b of shape (k, m). Return (da, db)."""
    raise NotImplementedError


def sigmoid_vjp(x, out, g):
    """out = 1 / (1 + exp(-x)). Return dx. (Hint: write the derivative with out.)"""
    raise NotImplementedError


def tanh_vjp(x, out, g):
    """out = tanh(x). Return dx, again from out."""
    raise NotImplementedError


def concat_vjp(xs, out, g, axis):
    """out = np.concatenate(xs, axis). Return a list: one gradient per array in xs."""
    raise NotImplementedError
