"""The fused LSTM's step loop for NumPy arrays: in-place ufuncs into preallocated buffers.

ops/fused.py writes the loop once against the array API (the readable version, and the
one that runs on backends without `out=`, such as array-api-strict). NumPy can do the
same steps with no temporary arrays: every ufunc writes into a buffer made once per call,
and the sigmoid's inner factor 1/2 is folded into the weights once per call, so a step is
11 library calls forward and 16 backward, the count of the hand-written NumPy LSTM in
benchmarks/numpy_lstm.py. Measured on 2-vCPU EPYC, H = 16, B = 32, one thread: the
portable loop 87 us per step forward and backward, this one 48 us (docs/benchmarks.md).

Contract (shared with backends/numba_kernels.py; ops/fused.py calls these when a backend
lists them in `bk.fused`):
    lstm_scan_forward(gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse) -> None
        gates (T, B, 4H) holds x W_ih^T + biases and becomes the activated gates i, f, g, o;
        cs, tanh_cs, hs (T, B, H) are filled.
    lstm_scan_backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse) -> (dh, dc)
        dz (T, B, 4H) is filled with the gate pre-activations' cotangents; g_out (T, B, H)
        or None; dh and dc (B, H) arrive for the last step's h and c, may be overwritten,
        and come back as the cotangents of h0 and c0.
"""
from __future__ import annotations

import numpy as np


def _gate_columns(hidden: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Over the 4H gate columns (i, f, g, o): 1/2 for the sigmoid ones and 1 for g, and
    1/2 and 0, so that sigmoid(z) = scale*tanh(scale*z) + shift and tanh(z) too."""
    scale = np.full(4 * hidden, 0.5, dtype=dtype)
    scale[2 * hidden:3 * hidden] = 1.0
    shift = np.where(scale == 0.5, 0.5, 0.0).astype(dtype)
    return scale, shift


def _order(steps: int, reverse: bool) -> tuple[range, int]:
    return (range(steps - 1, -1, -1), 1) if reverse else (range(steps), -1)


def scan_forward(gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse) -> None:
    steps, batch, four_h = gates.shape
    H = four_h // 4
    scale, shift = _gate_columns(H, gates.dtype)
    gates *= scale                                     # once for all steps
    w_hh_t = np.ascontiguousarray(w_hh.T) * scale      # BLAS is faster on a contiguous copy
    rec = np.empty((batch, four_h), dtype=gates.dtype)
    ig = np.empty((batch, H), dtype=gates.dtype)
    order, back = _order(steps, reverse)
    h_prev, c_prev = h0, c0
    for t in order:
        z = gates[t]
        np.matmul(h_prev, w_hh_t, out=rec)
        z += rec
        np.tanh(z, out=z)
        z *= scale
        z += shift
        c, h = cs[t], hs[t]
        np.multiply(z[:, H:2 * H], c_prev, out=c)      # f * c_prev
        np.multiply(z[:, :H], z[:, 2 * H:3 * H], out=ig)   # i * g
        c += ig
        np.tanh(c, out=tanh_cs[t])
        np.multiply(z[:, 3 * H:], tanh_cs[t], out=h)   # o * tanh(c)
        h_prev, c_prev = h, c


def scan_backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse):
    steps, batch, four_h = gates.shape
    H = four_h // 4
    scale, _ = _gate_columns(H, gates.dtype)
    g_column = np.where(scale == 0.5, 0.0, 1.0).astype(gates.dtype)
    dh, dc = np.array(dh, copy=True), np.array(dc, copy=True)    # ours to overwrite
    tmp = np.empty((batch, H), dtype=gates.dtype)
    slope = np.empty((batch, four_h), dtype=gates.dtype)
    slope2 = np.empty((batch, four_h), dtype=gates.dtype)
    order, back = _order(steps, reverse)
    for t in reversed(order):
        a, d, tanh_c = gates[t], dz[t], tanh_cs[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c_prev = c0 if t + back in (-1, steps) else cs[t + back]
        if g_out is not None:
            dh += g_out[t]
        np.multiply(dh, tanh_c, out=d[:, 3 * H:])      # d o (before o's slope)
        np.multiply(tanh_c, tanh_c, out=tmp)           # dc += dh * o * (1 - tanh(c)^2)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        np.multiply(dc, g, out=d[:, :H])               # d i
        np.multiply(dc, c_prev, out=d[:, H:2 * H])     # d f
        np.multiply(dc, i, out=d[:, 2 * H:3 * H])      # d g
        np.subtract(1.0, a, out=slope)                 # sigmoid' = a(1-a), tanh' = (1-a)(1+a)
        np.add(a, g_column, out=slope2)
        slope *= slope2
        d *= slope
        dc *= f
        np.matmul(d, w_hh, out=dh)
    return dh, dc


KERNELS = {"lstm_scan_forward": scan_forward, "lstm_scan_backward": scan_backward}
