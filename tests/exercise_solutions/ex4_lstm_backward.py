"""Reference for exercise 4, by hand: the stub's forward, and its backward."""
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
    steps, hidden = x.shape[0], W_hh.shape[1]
    gates, cs, tanh_cs, hs = saved["gates"], saved["cs"], saved["tanh_cs"], saved["hs"]
    dz = np.zeros(gates.shape)
    dh, dc = d_hn.copy(), d_cn.copy()
    for t in reversed(range(steps)):
        dh = dh + d_out[t]
        i, f, g, o = (gates[t][:, k * hidden:(k + 1) * hidden] for k in range(4))
        c_prev = cs[t - 1] if t > 0 else c0
        dc = dc + dh * o * (1.0 - tanh_cs[t] ** 2)
        dz[t] = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                dc * i * (1 - g * g), dh * tanh_cs[t] * o * (1 - o)], axis=1)
        dh = dz[t] @ W_hh
        dc = dc * f
    h_prev = np.concatenate([h0[None], hs[:-1]])
    dx = dz @ W_ih
    dW_ih = np.einsum("tbg,tbi->gi", dz, x)
    dW_hh = np.einsum("tbg,tbh->gh", dz, h_prev)
    return dx, dh, dc, dW_ih, dW_hh, dz.sum(axis=(0, 1))
