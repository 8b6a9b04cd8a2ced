"""The fused LSTM: one op for a whole layer, a scan over the time steps.

    out, h_n, c_n = lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, reverse=False)

x is (T, B, I), h0 and c0 are (B, H), the weights as in torch.nn.LSTM (gate order i, f, g,
o). It computes exactly what the composed cell computes step by step (tests prove the two
equal in float64, values and every gradient), with far fewer array calls:

Forward. The input projection of every step is one matmul, Zx = x W_ih^T + b_ih + b_hh.
Then, for each step t (from T-1 down to 0 with reverse=True):
    z = Zx[t, ...] + h W_hh^T
    i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c = f * c + i * g;  h = o * tanh(c)
The activated gates, c and tanh(c) of every step go into preallocated (T, B, .) arrays:
that is all the VJP keeps (7H numbers per batch row and step against a floor of 6H).

Backward (the VJP) runs the same loop in reverse. With dh and dc the cotangents arriving
at a step's h and c:
    dc += dh * o * (1 - tanh(c)^2)
    dz = [dc * g * i(1-i),  dc * c_prev * f(1-f),  dc * i * (1-g^2),  dh * tanh(c) * o(1-o)]
    dh_prev = dz W_hh + (cotangent of out[t-1]),   dc_prev = dc * f
Every dz goes into one (T, B, 4H) array dZ, and the weights' gradients, sums over all
steps, are then one matmul each over all T*B rows:
    dx = dZ W_ih,  dW_ih = dZ^T x,  dW_hh = dZ^T [h_0 .. h_{T-1}],  db = sum of dZ
A backend may supply the per-step gate math as kernels in `bk.fused` (CuPy does: one
launch forward, one backward); otherwise it is written once here against `xp`.
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


@op("lstm_layer")
def lstm_layer(bk, x, h0, c0, w_ih, w_hh, *biases, reverse=False, input_grad=True):
    """(out, h_n, c_n) of one LSTM layer over all steps of x;  VJP: the same loop, backwards"""
    xp = bk.xp
    steps, batch, n_in = x.shape
    hidden = w_hh.shape[1]
    zx = xp.reshape(xp.matmul(xp.reshape(x, (steps * batch, n_in)), xp.permute_dims(w_ih, (1, 0))),
                    (steps, batch, 4 * hidden))
    for b in biases:
        zx = zx + b
    w_hh_t = xp.permute_dims(w_hh, (1, 0))
    gates = xp.empty((steps, batch, 4 * hidden), dtype=x.dtype)
    cs, tanh_cs, hs = (xp.empty((steps, batch, hidden), dtype=x.dtype) for _ in range(3))
    forward = bk.fused.get("lstm_cell_forward")
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    h, c = h0, c0
    for t in order:
        z = zx[t, ...] + xp.matmul(h, w_hh_t)
        if forward is not None:
            forward(z, c, gates[t, ...], cs[t, ...], tanh_cs[t, ...], hs[t, ...])
        else:
            cell_forward(xp, z, c, gates[t, ...], cs[t, ...], tanh_cs[t, ...], hs[t, ...])
        h, c = hs[t, ...], cs[t, ...]

    def previous(states, first, t):
        """The state a step read: the one of the step before it, or the initial one."""
        before = t + 1 if reverse else t - 1
        return first if before in (-1, steps) else states[before, ...]

    def vjp(g_out, g_h, g_c):
        backward = bk.fused.get("lstm_cell_backward")
        d_z = xp.empty((steps, batch, 4 * hidden), dtype=x.dtype)
        dh = xp.zeros_like(h0) if g_h is None else g_h
        dc = xp.zeros_like(c0) if g_c is None else g_c
        for t in reversed(order):
            if g_out is not None:
                dh = dh + g_out[t, ...]
            c_prev = previous(cs, c0, t)
            if backward is not None:
                dc = backward(gates[t, ...], c_prev, tanh_cs[t, ...], dh, dc, d_z[t, ...])
            else:
                dc = cell_backward(xp, gates[t, ...], c_prev, tanh_cs[t, ...], dh, dc, d_z[t, ...])
            dh = xp.matmul(d_z[t, ...], w_hh)
        rows = xp.reshape(d_z, (steps * batch, 4 * hidden))
        rows_t = xp.permute_dims(rows, (1, 0))
        h_prev = xp.stack([previous(hs, h0, t) for t in range(steps)])
        dx = xp.reshape(xp.matmul(rows, w_ih), x.shape) if input_grad else None
        d_w_ih = xp.matmul(rows_t, xp.reshape(x, (steps * batch, n_in)))
        d_w_hh = xp.matmul(rows_t, xp.reshape(h_prev, (steps * batch, hidden)))
        d_b = xp.sum(rows, axis=0)
        return (dx, dh, dc, d_w_ih, d_w_hh) + (d_b,) * len(biases)
    return (hs, h + 0.0, c + 0.0), vjp   # h_n and c_n as copies, not views into out and the saved c
