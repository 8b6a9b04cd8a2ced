"""Exercise 4: the backward pass of a whole LSTM layer, by hand (what the fused op does).

`lstm_forward` below runs one layer over all steps in NumPy and saves what the backward
pass needs, as the engine's fused `lstm_layer` op does (ops/fused.py). Your job is
`lstm_backward`: the same loop, in reverse.

Walk the steps from the last to the first. At step t, with a = the saved gates i, f, g,
o (activated), c_prev = c_{t-1} (c0 at the first step), c = c_t and tanh(c):
    dh, arriving at h_t:  d_out[t] from the loss, plus what step t+1 sent back
                          (at the last step: d_out[T-1] + d_hn)
    dc, arriving at c_t:  what step t+1 sent back (at the last step: d_cn)
    dc  += dh * o * (1 - tanh(c)^2)
    dz_i = dc * g * i * (1 - i)        dz_f = dc * c_prev * f * (1 - f)
    dz_g = dc * i * (1 - g^2)          dz_o = dh * tanh(c) * o * (1 - o)
    sent back to step t-1:  dh = dz @ W_hh  (dz = [dz_i, dz_f, dz_g, dz_o], (B, 4H)),
                            dc = dc * f
The weights are used at every step, so their gradients are sums over the steps of each
step's dz times what that step read (x_t for W_ih, h_{t-1} for W_hh, 1 for b).

    tinygrad-lstm exercise check 4

compares every gradient with the engine's fused op, gate by gate.
"""
import numpy as np


def sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def lstm_forward(x, h0, c0, W_ih, W_hh, b):
    """x (T, B, I), h0 and c0 (B, H), W_ih (4H, I), W_hh (4H, H), b (4H,), gate order
    i, f, g, o as in PyTorch. Returns out (T, B, H), h_n, c_n and `saved`."""
    steps, hidden = x.shape[0], W_hh.shape[1]
    gates, cs, tanh_cs, hs = [], [], [], []
    h, c = h0, c0
    for t in range(steps):
        z = x[t] @ W_ih.T + h @ W_hh.T + b
        i, f, o = sigmoid(z[:, :hidden]), sigmoid(z[:, hidden:2 * hidden]), sigmoid(z[:, 3 * hidden:])
        g = np.tanh(z[:, 2 * hidden:3 * hidden])
        c = f * c + i * g
        h = o * np.tanh(c)
        gates.append(np.concatenate([i, f, g, o], axis=1))
        cs.append(c)
        tanh_cs.append(np.tanh(c))
        hs.append(h)
    saved = {"gates": np.stack(gates), "cs": np.stack(cs), "tanh_cs": np.stack(tanh_cs),
             "hs": np.stack(hs)}
    return np.stack(hs), h, c, saved


def lstm_backward(x, h0, c0, W_ih, W_hh, b, saved, d_out, d_hn, d_cn):
    """d_out (T, B, H) is dL/d out (every step's h, straight from the loss); d_hn and
    d_cn (B, H) are dL/dh_n and dL/dc_n.

    Return (dx, dh0, dc0, dW_ih, dW_hh, db), each shaped like the thing it is the
    gradient of."""
    raise NotImplementedError
