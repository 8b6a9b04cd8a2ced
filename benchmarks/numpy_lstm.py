"""A hand-written LSTM forward and backward in plain NumPy: the yardstick for the engine.

No tape, no tensors: preallocated buffers, in-place ufuncs (`out=`), the input projection
of all time steps in one matmul and the weight gradients in one matmul per sequence. This
is roughly the best a NumPy program can do, so the engine's fused path is measured
against it. Shapes and the gate order (i, f, g, o) follow torch.nn.LSTM (one layer, one
direction, batch second):

    x (T, B, I), h0 and c0 (B, H), w_ih (4H, I), w_hh (4H, H), b_ih and b_hh (4H,)

    out, cache = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    grads = lstm_backward(d_out, cache)      # dict: x, h0, c0, w_ih, w_hh, b_ih, b_hh

Sigmoid is computed as 0.5*tanh(0.5*z)+0.5 so that one tanh call covers all four gates.
"""
from __future__ import annotations

import numpy as np


def _gate_constants(hidden: int, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column constants over the 4H gate columns: sigmoid columns (i, f, o) get 0.5,
    the tanh column (g) gets 1 (scale) and 0 (shift)."""
    scale = np.full(4 * hidden, 0.5, dtype=dtype)
    scale[2 * hidden:3 * hidden] = 1.0
    shift = np.where(scale == 0.5, 0.5, 0.0).astype(dtype)
    tanh_cols = np.where(scale == 0.5, 0.0, 1.0).astype(dtype)
    return scale, shift, tanh_cols


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """All hidden states (T, B, H) and what the backward pass needs."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    scale, shift, _ = _gate_constants(hidden, x.dtype)
    gates = (x.reshape(steps * batch, -1) @ w_ih.T).reshape(steps, batch, 4 * hidden)
    gates += b_ih + b_hh
    hs = np.empty((steps + 1, batch, hidden), dtype=x.dtype)   # h0, h1, ..., hT
    cs = np.empty((steps + 1, batch, hidden), dtype=x.dtype)   # c0, c1, ..., cT
    tanh_cs = np.empty((steps, batch, hidden), dtype=x.dtype)
    hs[0], cs[0] = h0, c0
    w_hh_t = np.ascontiguousarray(w_hh.T)   # BLAS is much faster on it than on a .T view
    rec = np.empty((batch, 4 * hidden), dtype=x.dtype)
    ig = np.empty((batch, hidden), dtype=x.dtype)
    H = hidden
    for t in range(steps):
        z = gates[t]                      # becomes the activated gates, in place
        np.matmul(hs[t], w_hh_t, out=rec)
        z += rec
        z *= scale
        np.tanh(z, out=z)
        z *= scale
        z += shift
        i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)
        np.multiply(i, g, out=ig)
        c += ig
        np.tanh(c, out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])
    cache = (x, w_ih, w_hh, gates, hs, cs, tanh_cs)
    return hs[1:], cache


def lstm_backward(d_out, cache, need_dx: bool = True) -> dict:
    """Gradients of sum(d_out * out) with respect to every input of lstm_forward."""
    x, w_ih, w_hh, gates, hs, cs, tanh_cs = cache
    steps, batch, _ = x.shape
    H = w_hh.shape[1]
    _, _, tanh_cols = _gate_constants(H, x.dtype)
    d_gates = np.empty_like(gates)
    dh = np.zeros((batch, H), dtype=x.dtype)
    dc = np.zeros((batch, H), dtype=x.dtype)
    tmp = np.empty((batch, H), dtype=x.dtype)
    slope = np.empty((batch, 4 * H), dtype=x.dtype)
    slope2 = np.empty((batch, 4 * H), dtype=x.dtype)
    for t in reversed(range(steps)):
        a = gates[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        tc = tanh_cs[t]
        dz = d_gates[t]
        dh += d_out[t]
        np.multiply(dh, tc, out=dz[:, 3 * H:])          # d o
        np.multiply(tc, tc, out=tmp)                     # dc += dh * o * (1 - tc^2)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        np.multiply(dc, g, out=dz[:, :H])                # d i
        np.multiply(dc, cs[t], out=dz[:, H:2 * H])       # d f
        np.multiply(dc, i, out=dz[:, 2 * H:3 * H])       # d g
        # through the nonlinearities: sigmoid' = a(1-a), tanh' = (1-a)(1+a)
        np.subtract(1.0, a, out=slope)
        np.add(a, tanh_cols, out=slope2)
        slope *= slope2
        dz *= slope
        dc *= f
        np.matmul(dz, w_hh, out=dh)
    flat = d_gates.reshape(steps * batch, 4 * H)
    db = flat.sum(axis=0)
    grads = {
        "w_ih": flat.T @ x.reshape(steps * batch, -1),
        "w_hh": flat.T @ hs[:-1].reshape(steps * batch, H),
        "b_ih": db, "b_hh": db.copy(), "h0": dh, "c0": dc,
        "x": (flat @ w_ih).reshape(x.shape) if need_dx else None,
    }
    return grads
