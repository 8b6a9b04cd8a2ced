"""The fused LSTM's step loop compiled with numba: the whole scan in one call each way.

Optional (pip install 'tinygrad-lstm[numba]'): the "numba" backend, NumPy arrays with
these kernels, is there only when numba imports. The math is ops/fused.py's cell_forward
and cell_backward written per entry, so that float64 results match the composed cell to
rounding (the fused tests run on this backend too). Two differences, both measured:
sigmoid(z) is 1/(1+exp(-z)) and tanh(z) is 2/(1+exp(-2z))-1, because a compiled exp costs
2-4 ns an entry and a compiled tanh 10 ns (at H = 16 the scalar tanh alone was 26 us of a
43 us step). Neither overflows into a NaN: exp(-z) = inf gives exactly 0, the limit.

Why a kernel at all: per time step a NumPy LSTM makes some 30 library calls on small
arrays, each about a microsecond however little it computes. Here a step is one BLAS call
(the recurrent product: np.dot, which numba hands to SciPy's BLAS) and one compiled loop
over the gates, and all T steps are a single call from Python.
Arrays must be C-contiguous; `one` is 1 in the arrays' dtype (keeps float32 in float32).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from . import numpy_kernels


@numba.njit(cache=True)
def scan_forward(gates, h0, c0, w_hh_t, cs, tanh_cs, hs, reverse, one):   # pragma: no cover
    """gates (T, B, 4H) holds the input projections and becomes the activated gates."""
    steps, batch, four_h = gates.shape
    hidden = four_h // 4
    two = one + one
    rec = np.empty((batch, four_h), dtype=gates.dtype)
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        before = t + 1 if reverse else t - 1
        h_prev = h0 if s == 0 else hs[before]
        c_prev = c0 if s == 0 else cs[before]
        np.dot(h_prev, w_hh_t, rec)
        a = gates[t]
        for b in range(batch):
            for j in range(hidden):
                i = one / (one + math.exp(-(a[b, j] + rec[b, j])))
                f = one / (one + math.exp(-(a[b, hidden + j] + rec[b, hidden + j])))
                g = two / (one + math.exp(-two * (a[b, 2 * hidden + j] + rec[b, 2 * hidden + j]))) - one
                o = one / (one + math.exp(-(a[b, 3 * hidden + j] + rec[b, 3 * hidden + j])))
                a[b, j], a[b, hidden + j], a[b, 2 * hidden + j], a[b, 3 * hidden + j] = i, f, g, o
                c = f * c_prev[b, j] + i * g
                tanh_c = two / (one + math.exp(-two * c)) - one
                cs[t, b, j], tanh_cs[t, b, j], hs[t, b, j] = c, tanh_c, o * tanh_c


@numba.njit(cache=True)
def scan_backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse, one):   # pragma: no cover
    """dz (T, B, 4H) filled from the last step back; dh and dc hold the cotangents arriving
    at the last step's h and c and end as those of h0 and c0. g_out is (T, B, H), or
    (0, 0, 0) when the output got no cotangent."""
    steps, batch, four_h = gates.shape
    hidden = four_h // 4
    has_out = g_out.shape[0] > 0
    for s in range(steps):
        t = s if reverse else steps - 1 - s
        before = t + 1 if reverse else t - 1
        c_prev = c0 if s == steps - 1 else cs[before]
        a, d = gates[t], dz[t]
        for b in range(batch):
            for j in range(hidden):
                i, f, g, o = a[b, j], a[b, hidden + j], a[b, 2 * hidden + j], a[b, 3 * hidden + j]
                dh_bj = dh[b, j] + g_out[t, b, j] if has_out else dh[b, j]
                tanh_c = tanh_cs[t, b, j]
                dc_bj = dc[b, j] + dh_bj * o * (one - tanh_c * tanh_c)
                d[b, j] = dc_bj * g * i * (one - i)
                d[b, hidden + j] = dc_bj * c_prev[b, j] * f * (one - f)
                d[b, 2 * hidden + j] = dc_bj * i * (one - g * g)
                d[b, 3 * hidden + j] = dh_bj * tanh_c * o * (one - o)
                dc[b, j] = dc_bj * f
        np.dot(d, w_hh, dh)


def _c(array):
    return np.ascontiguousarray(array)


# Past about a thousand gate units per step (batch * hidden) NumPy's vectorised tanh, at
# under 1 ns an entry, beats the compiled scalar exp, and the per-call overhead this kernel
# saves no longer matters: measured CPU time per forward+backward, one thread, (T, B, I, H)
# = (100, 16, 64, 128): NumPy scan 18.1 ms, this one 20.4 ms; at (500, 32, 2, 16) this one
# is 1.7x faster, at (50, 1, 8, 32) 3.7x. So larger steps go to backends/numpy_kernels.py.
COMPILED_UP_TO = 1024


def _forward(gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse) -> None:
    if h0.size > COMPILED_UP_TO:
        return numpy_kernels.scan_forward(gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse)
    scan_forward(gates, _c(h0), _c(c0), _c(w_hh.T), cs, tanh_cs, hs, reverse, gates.dtype.type(1))


def _backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse):
    if c0.size > COMPILED_UP_TO:
        return numpy_kernels.scan_backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse)
    g_out = np.empty((0, 0, 0), gates.dtype) if g_out is None else _c(g_out)
    dh, dc = np.array(dh, order="C", copy=True), np.array(dc, order="C", copy=True)
    scan_backward(gates, cs, tanh_cs, _c(c0), _c(w_hh), g_out, dh, dc, dz, reverse,
                  gates.dtype.type(1))
    return dh, dc


KERNELS = {"lstm_scan_forward": _forward, "lstm_scan_backward": _backward}
