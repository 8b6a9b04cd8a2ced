"""The fused LSTM: one op for a whole layer, a scan over the time steps.

    out, h_n, c_n = lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, reverse=False)

x is (T, B, I), h0 and c0 are (B, H), the weights as in torch.nn.LSTM (gate order i, f, g,
o). It computes exactly what the composed cell computes step by step (tests prove the two
equal in float64, values and every gradient), with far fewer array calls:

Forward. The input projection of every step is one matmul, Zx = x W_ih^T + b_ih + b_hh,
into a fresh (T, B, 4H) array that each step then overwrites with its activated gates.
For each step t (from T-1 down to 0 with reverse=True):
    z = Zx[t, ...] + h W_hh^T
    i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c = f * c + i * g;  h = o * tanh(c)
The activated gates, c and tanh(c) of every step go into preallocated (T, B, .) arrays:
with the output h, that is all the VJP keeps (7H numbers per batch row and step against a
floor of 6H).

Backward (the VJP) runs the same loop in reverse. With dh and dc the cotangents arriving
at a step's h and c:
    dc += dh * o * (1 - tanh(c)^2)
    dz = [dc * g * i(1-i),  dc * c_prev * f(1-f),  dc * i * (1-g^2),  dh * tanh(c) * o(1-o)]
    dh_prev = dz W_hh + (cotangent of out[t-1]),   dc_prev = dc * f
Every dz goes into one (T, B, 4H) array dZ, and the weights' gradients, sums over all
steps, are then one matmul each over all T*B rows:
    dx = dZ W_ih,  dW_ih = dZ^T x,  dW_hh = dZ^T [h_0 .. h_{T-1}],  db = sum of dZ
The loops below (scan_forward, scan_backward) are the readable version, written once
against `xp`. A backend may supply faster ones in `bk.fused`: the per-step gate math
("lstm_cell_forward"/"lstm_cell_backward": CuPy, one kernel launch each), or the whole
loop ("lstm_scan_forward"/"lstm_scan_backward": NumPy with in-place ufuncs in
backends/numpy_kernels.py, numba compiled in backends/numba_kernels.py, where the
contract is written down). The tests prove every one equal to the composed cell.
"""
from __future__ import annotations

from . import op


def split4(a, hidden: int):
    """Views of the i, f, g, o columns of a (B, 4H) array."""
    return a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:3 * hidden], a[:, 3 * hidden:]


def cell_forward(xp, z, c_prev, a, c, tanh_c, h) -> None:
    """One step's gate math from the pre-activations z (B, 4H), into a, c, tanh_c and h."""
    hidden = c.shape[-1]
    zi, zf, zg, zo = split4(z, hidden)
    i, f, g, o = split4(a, hidden)
    i[...] = 0.5 * xp.tanh(0.5 * zi) + 0.5      # sigmoid, in a form that cannot overflow
    f[...] = 0.5 * xp.tanh(0.5 * zf) + 0.5
    g[...] = xp.tanh(zg)
    o[...] = 0.5 * xp.tanh(0.5 * zo) + 0.5
    c[...] = f * c_prev + i * g
    tanh_c[...] = xp.tanh(c)
    h[...] = o * tanh_c


def cell_backward(xp, a, c_prev, tanh_c, dh, dc, dz):
    """One step's VJP: dz (B, 4H) written in place from dh and dc; returns dc_prev."""
    hidden = c_prev.shape[-1]
    i, f, g, o = split4(a, hidden)
    dz_i, dz_f, dz_g, dz_o = split4(dz, hidden)
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    dz_i[...] = dc * g * i * (1.0 - i)
    dz_f[...] = dc * c_prev * f * (1.0 - f)
    dz_g[...] = dc * i * (1.0 - g * g)
    dz_o[...] = dh * tanh_c * o * (1.0 - o)
    return dc * f


def scan_forward(bk, gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse) -> None:
    """The forward loop: gates (T, B, 4H) holds the input projections and becomes the
    activated gates; cs, tanh_cs and hs are filled, step by step."""
    xp, kernel = bk.xp, bk.fused.get("lstm_cell_forward")
    w_hh_t = xp.permute_dims(w_hh, (1, 0))
    h, c = h0, c0
    for t in order(gates.shape[0], reverse):
        z = gates[t, ...] + xp.matmul(h, w_hh_t)
        if kernel is not None:
            kernel(z, c, gates[t, ...], cs[t, ...], tanh_cs[t, ...], hs[t, ...])
        else:
            cell_forward(xp, z, c, gates[t, ...], cs[t, ...], tanh_cs[t, ...], hs[t, ...])
        h, c = hs[t, ...], cs[t, ...]


def scan_backward(bk, gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, dz, reverse):
    """The same loop backwards: fills dz (T, B, 4H); returns the cotangents of h0 and c0."""
    xp, kernel = bk.xp, bk.fused.get("lstm_cell_backward")
    steps = gates.shape[0]
    for t in reversed(order(steps, reverse)):
        if g_out is not None:
            dh = dh + g_out[t, ...]
        before = t + 1 if reverse else t - 1
        c_prev = c0 if before in (-1, steps) else cs[before, ...]
        if kernel is not None:
            dc = kernel(gates[t, ...], c_prev, tanh_cs[t, ...], dh, dc, dz[t, ...])
        else:
            dc = cell_backward(xp, gates[t, ...], c_prev, tanh_cs[t, ...], dh, dc, dz[t, ...])
        dh = xp.matmul(dz[t, ...], w_hh)
    return dh, dc


def order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


@op("lstm_layer")
def lstm_layer(bk, x, h0, c0, w_ih, w_hh, *biases, reverse=False, input_grad=True):
    """(out, h_n, c_n) of one LSTM layer over all steps of x;  VJP: the same loop, backwards"""
    xp = bk.xp
    steps, batch, n_in = x.shape
    hidden = w_hh.shape[1]
    rows = (steps * batch, 4 * hidden)
    gates = xp.matmul(xp.reshape(x, (steps * batch, n_in)), xp.permute_dims(w_ih, (1, 0)))
    if biases:
        gates += sum(biases[1:], biases[0])   # b_ih + b_hh first: one pass over the T*B rows
    gates = xp.reshape(gates, (steps, batch, 4 * hidden))      # a fresh array: ours to overwrite
    cs, tanh_cs, hs = (xp.empty((steps, batch, hidden), dtype=x.dtype) for _ in range(3))
    forward = bk.fused.get("lstm_scan_forward") or (lambda *a: scan_forward(bk, *a))
    forward(gates, h0, c0, w_hh, cs, tanh_cs, hs, reverse)
    last = 0 if reverse else steps - 1

    def vjp(g_out, g_h, g_c):
        backward = bk.fused.get("lstm_scan_backward") or (lambda *a: scan_backward(bk, *a))
        d_z = xp.empty((steps, batch, 4 * hidden), dtype=x.dtype)
        dh = xp.zeros_like(h0) if g_h is None else g_h
        dc = xp.zeros_like(c0) if g_c is None else g_c
        dh, dc = backward(gates, cs, tanh_cs, c0, w_hh, g_out, dh, dc, d_z, reverse)
        flat = xp.reshape(d_z, rows)
        flat_t = xp.permute_dims(flat, (1, 0))
        h0_row = xp.expand_dims(h0, axis=0)    # the h each step read: h0, then its predecessor's
        h_prev = xp.concat([hs[1:, ...], h0_row] if reverse else [h0_row, hs[:-1, ...]], axis=0)
        dx = xp.reshape(xp.matmul(flat, w_ih), x.shape) if input_grad else None
        d_w_ih = xp.matmul(flat_t, xp.reshape(x, (steps * batch, n_in)))
        d_w_hh = xp.matmul(flat_t, xp.reshape(h_prev, (steps * batch, hidden)))
        d_b = xp.sum(flat, axis=0)
        return (dx, dh, dc, d_w_ih, d_w_hh) + (d_b,) * len(biases)
    return (hs, hs[last, ...] + 0.0, cs[last, ...] + 0.0), vjp   # h_n, c_n: copies, not views
