"""Exercise 2: an RNN step and backpropagation through time, by hand (NumPy, no tape).

The network: for t = 0 .. T-1,

    h_t = tanh(x_t @ W_x + h_{t-1} @ W_h + b)          (h_{-1} = h0)

x is (T, B, I), h0 is (B, H), W_x is (I, H), W_h is (H, H), b is (H,).

The loss L depends on every h_t. `dhs[t]` is the part of dL/dh_t that comes straight
from the loss at step t; the rest of dL/dh_t arrives from step t+1, through h_{t+1}.
Walk the steps backwards, carrying that second part along: that is all BPTT is.

Do not import tinygrad_lstm here: this one is by hand. Check with

    tinygrad-lstm exercise check 2

which runs the same network in the engine and compares your gradients with tl.grad's.
"""
import numpy as np


def rnn_forward(x, h0, W_x, W_h, b):
    """Return hs, shape (T, B, H): every h_t in order."""
    raise NotImplementedError


def rnn_backward(x, h0, W_x, W_h, b, hs, dhs):
    """hs from rnn_forward; dhs (T, B, H) as described above.

    Return (dx, dh0, dW_x, dW_h, db), each shaped like the thing it is the gradient of.
    Remember that W_x, W_h and b are used at every step: their gradients add up."""
    raise NotImplementedError
