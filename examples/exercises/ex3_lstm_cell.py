"""Exercise 3: an LSTM cell from the five ops, on the engine's tape.

    z = concat([x, h]) @ W + b                (W is (I + H, 4H), b is (4H,))
    i, f, g, o = the four column blocks of z, in that order (H columns each)
    i, f, o = sigmoid(i), sigmoid(f), sigmoid(o);   g = tanh(g)
    c_new = f * c + i * g
    h_new = o * tanh(c_new)

Inputs are tl.Tensors: x (B, I), h and c (B, H). Use tl.concat, @, tl.sigmoid, tl.tanh
and * (and + for the bias, slicing such as z[:, :H] for the blocks). No NumPy inside:
the gradient has to flow through the tape.

    tinygrad-lstm exercise check 3

compares your cell's outputs and the gradients the tape gives for all five inputs with
the library's own cell, and runs tl.gradcheck on yours.
"""
import tinygrad_lstm as tl


def lstm_cell(x, h, c, W, b):
    """Return (h_new, c_new)."""
    raise NotImplementedError
