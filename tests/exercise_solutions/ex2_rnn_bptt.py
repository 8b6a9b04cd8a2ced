"""Reference for exercise 2, by hand."""
import numpy as np


def rnn_forward(x, h0, W_x, W_h, b):
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W_x + h @ W_h + b)
        hs.append(h)
    return np.stack(hs)


def rnn_backward(x, h0, W_x, W_h, b, hs, dhs):
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        dz = (dhs[t] + dh_next) * (1.0 - hs[t] ** 2)
        h_prev = hs[t - 1] if t > 0 else h0
        dx[t] = dz @ W_x.T
        dW_x += x[t].T @ dz
        dW_h += h_prev.T @ dz
        db += dz.sum(axis=0)
        dh_next = dz @ W_h.T
    return dx, dh_next, dW_x, dW_h, db
