"""The fused LSTM layer: one record per time step plus one per sequence (see ops/fused.py).

    out, h_n, c_n = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh)

x is (T, B, I), h0 and c0 are (B, H), weights as in torch.nn.LSTM (gate order i, f, g, o).
It computes what the composed cell computes step by step, with the same gradients; tests
prove the two equal. Each step runs under `tl.scope(step=t)`, as the composed layer does.
"""
from __future__ import annotations

from . import tape
from .functions import stack
from .ops.fused import LSTMState
from .tensor import Tensor, apply


def lstm_layer(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
               b_ih: Tensor | None = None, b_hh: Tensor | None = None,
               reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a whole sequence: all hidden states (T, B, H), and the last h, c.

    With reverse=True the steps run from t = T-1 down to 0 (the backward direction of a
    bidirectional layer); the output stays in time order.
    """
    state = LSTMState(reverse=reverse, x_grad=x.requires_grad)
    biases = tuple(b for b in (b_ih, b_hh) if b is not None)
    gates = apply("lstm_sequence", (x, w_ih, w_hh) + biases, {"state": state})
    steps = x.shape[0]
    hs: list = [None] * steps
    h, c = h0, c0
    for t in (reversed(range(steps)) if reverse else range(steps)):
        with tape.scope(step=t):
            h, c = apply("lstm_step", (gates, h, c, w_hh), {"t": t, "state": state})
        hs[t] = h
    return stack(hs), h, c
