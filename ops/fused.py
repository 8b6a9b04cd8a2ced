"""Fused LSTM ops: a whole layer in one record per time step plus one per sequence.

The composed LSTM records about fifteen primitive ops per time step and, going back,
accumulates each weight gradient in T skinny matmuls plus T additions. These two ops
compute the same values and exactly the same gradients with far fewer array calls.
`tinygrad_lstm.fused.lstm_layer` drives them; the tape of one layer reads

    gates  = lstm_sequence(x, W_ih, W_hh, b_ih, b_hh)        one record per sequence
    h1, c1 = lstm_step(gates, h0, c0, W_hh, t=0)             one record per time step
    h2, c2 = lstm_step(gates, h1, c1, W_hh, t=1)
    ...

with one `LSTMState` (scratch shared by the records of one layer call) in their params.

Forward. lstm_sequence projects the input of every time step in one matmul,
gates = x @ W_ih^T + b_ih + b_hh, of shape (T, B, 4H). lstm_step t adds h @ W_hh^T to
gates[t] and does the gate math: i, f, o = sigmoid, g = tanh, c = f*c + i*g,
h = o*tanh(c). Sigmoid is 0.5*tanh(z/2) + 0.5; the state keeps a copy of W_hh^T (and
lstm_sequence uses W_ih, b) with the i, f and o rows halved, so one tanh call covers all
four gates. A backend may supply the gate math as kernels in `bk.fused` (CuPy does: one
launch forward, one backward); otherwise it is written once here against `xp`.

Backward, and the one weight-gradient matmul per sequence. Backward runs the records in
reverse: every step first, then lstm_sequence, which was recorded before them. Step t
writes dz_t, the cotangent of its gate pre-activations, into the state's (T, B, 4H)
buffer and returns dh_{t-1} = dz_t @ W_hh and dc_{t-1}. It returns no cotangent for
`gates`, except the step run first in forward (so last in backward): it hands the whole,
now complete, buffer over as the cotangent of `gates`. lstm_sequence then sees every dz
at once and computes, over all T*B rows,

    dx = dZ @ W_ih,   dW_ih = dZ^T x,   dW_hh = dZ^T [h_0 .. h_{T-1}],   db = sum of dZ

(dW_hh through lstm_sequence is why lstm_step returns None for its W_hh input, which it
lists so that graphs show the weight feeding every step). The buffer starts at zeros,
so a step whose outputs never reach the loss contributes nothing, and a fresh one is
taken for each backward pass (retain_graph works).

Memory. Each step keeps its activated gates (4H per batch row), c and tanh(c); the state
keeps h_{t-1} for the dW_hh product; the scaled W_hh^T copy is dropped after the last
step. With the stacked output that is 8H per row and step against a floor of 6H (gates,
h and c): see docs/benchmarks.md for the measured figures.
"""
from __future__ import annotations

from . import op


class LSTMState:
    """Per-sequence scratch shared by one lstm_sequence record and its lstm_step records."""

    def __init__(self, reverse: bool = False, x_grad: bool = True) -> None:
        self.reverse = reverse      # steps run from t = T-1 down to 0
        self.x_grad = x_grad        # whether to compute dx (False when x needs no grad)
        self.next_t = None          # the time step expected next (checked by lstm_step)

    def __repr__(self) -> str:      # deterministic: it shows up in tape printouts
        return "reverse" if self.reverse else "forward"

    def start(self, bk, w_hh, gates_shape: tuple, dtype) -> None:
        xp, steps, hidden = bk.xp, gates_shape[0], w_hh.shape[1]
        self.hidden, self.steps, self.w_hh = hidden, steps, w_hh
        self.shape, self.dtype = gates_shape, dtype
        self.kernels = bk.fused.get("lstm_gates_forward"), bk.fused.get("lstm_gates_backward")
        # Constants as (1, 4H) and 0-d arrays: NumPy takes ~0.7 us to broadcast a (4H,)
        # vector or a Python float against a (1, 4H) array, ~0.25 us for these.
        scale = xp.full((1, 4 * hidden), 0.5, dtype=dtype)   # i, f, o: halved; g: kept
        scale[:, 2 * hidden:3 * hidden] = 1.0
        self.scale, self.shift = scale, 1.0 - scale                  # shift: 0.5 on i, f, o
        self.g_column = 2.0 * scale - 1.0                            # 1 on g, 0 elsewhere
        self.one = xp.asarray(1.0, dtype=dtype)
        # A C-ordered W_hh^T (not a transposed view): BLAS is markedly faster on it for
        # the small-batch product of every step.
        self.w_t = xp.empty((hidden, 4 * hidden), dtype=dtype)
        self.w_t[...] = xp.permute_dims(w_hh, (1, 0)) * scale
        self.h_prev = [None] * steps   # h_{t-1} for each t, for the single dW_hh matmul
        self.d_gates = None            # dZ, allocated by the first step to run backward
        self.start_t = self.next_t = steps - 1 if self.reverse else 0

    def advance(self, t: int) -> bool:
        """Check that step t is the next one; return whether it is the first of the sequence."""
        if t != self.next_t:
            raise ValueError(f"lstm_step: expected time step {self.next_t}, got {t}; the steps "
                             f"of one sequence run once each, in order")
        self.next_t = t - 1 if self.reverse else t + 1
        if self.next_t in (-1, self.steps):   # the last step: backward needs W_hh, not
            self.w_t = None                    # its scaled copy (the caller holds it now)
        return t == self.start_t

    def stacked_h_prev(self, xp, like):
        """[h_0 .. h_{T-1}] as one (T, B, H) array (zeros for steps that never ran)."""
        return xp.stack([h if h is not None else xp.zeros_like(like) for h in self.h_prev])


@op("lstm_sequence")
def lstm_sequence(bk, x, w_ih, w_hh, *biases, state: LSTMState):
    """x @ W_ih^T + b for every step at once;  dx = dZ W_ih, dW_ih = dZ^T x, dW_hh = dZ^T h_prev, db = sum dZ"""
    xp = bk.xp
    rows4 = 4 * w_hh.shape[1]
    if (x.ndim != 3 or tuple(w_ih.shape) != (rows4, x.shape[2]) or w_hh.shape[0] != rows4
            or any(tuple(b.shape) != (rows4,) for b in biases)):
        raise ValueError(f"lstm_sequence: expected x (T, B, I), W_ih (4H, I), W_hh (4H, H) and "
                         f"biases (4H,); got {tuple(x.shape)}, {tuple(w_ih.shape)}, "
                         f"{tuple(w_hh.shape)} and {[tuple(b.shape) for b in biases]}")
    steps, batch, n_in = x.shape
    state.start(bk, w_hh, (steps, batch, w_ih.shape[0]), x.dtype)
    rows = xp.reshape(x, (steps * batch, n_in))
    gates = xp.matmul(rows, xp.permute_dims(w_ih * xp.reshape(state.scale, (-1, 1)), (1, 0)))
    for b in biases:
        gates += b * state.scale[0, :]
    gates = xp.reshape(gates, (steps, batch, w_ih.shape[0]))

    def vjp(g):
        dz = xp.reshape(g, (steps * batch, w_ih.shape[0]))
        dz_t = xp.permute_dims(dz, (1, 0))
        h_prev = xp.reshape(state.stacked_h_prev(xp, state.h_prev[state.start_t]),
                            (steps * batch, w_hh.shape[1]))
        dx = xp.reshape(xp.matmul(dz, w_ih), tuple(x.shape)) if state.x_grad else None
        # b_ih and b_hh get the same array: the tape never writes into a cotangent it did
        # not make, and gives every leaf a .grad of its own.
        dbs = (xp.sum(dz, axis=0),) * len(biases)
        return (dx, xp.matmul(dz_t, rows), xp.matmul(dz_t, h_prev)) + dbs
    return gates, vjp


def _split4(a, hidden: int):
    """Views of the i, f, g, o columns of a (B, 4H) array."""
    return a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:3 * hidden], a[:, 3 * hidden:]


def _gates_forward(xp, state, x_part, rec, c_prev):
    """The gate math of one step: activated gates [i, f, g, o], c, tanh(c) and h.
    rec (h_prev @ W_hh^T, made for this step) is overwritten."""
    rec += x_part           # rec is this step's own h @ W_hh^T, free to overwrite
    a = xp.tanh(rec)
    a *= state.scale
    a += state.shift
    i, f, g, o = _split4(a, state.hidden)
    c = f * c_prev
    c += i * g
    tanh_c = xp.tanh(c)
    return a, c, tanh_c, o * tanh_c


def _gates_backward(xp, state, a, c_prev, tanh_c, gh, gc):
    """dz (the gate pre-activations' cotangent) and dc_prev from the cotangents gh, gc."""
    i, f, g, o = _split4(a, state.hidden)
    dc = gh * o
    dc *= state.one - tanh_c * tanh_c
    if gc is not None:
        dc += gc
    # [di, df, dg, do] = [dc*g, dc*c_prev, dc*i, gh*tanh_c], as one product of two concats
    dz = xp.concat([dc, dc, dc, gh], axis=1)
    dz *= xp.concat([g, c_prev, i, tanh_c], axis=1)
    # sigmoid' = a (1 - a) on i, f, o and tanh' = (1 - a)(1 + a) on g, in one expression
    dz *= (state.one - a) * (a + state.g_column)
    return dz, dc * f


@op("lstm_step", multi_output=True)
def lstm_step(bk, gates, h_prev, c_prev, w_hh, *, t: int, state: LSTMState):
    """(h, c) = LSTM cell at step t on gates[t] + h_prev W_hh^T;  hand-derived VJP, dz into the state"""
    xp = bk.xp
    w_t = state.w_t
    first = state.advance(t)
    state.h_prev[t] = h_prev
    rec = xp.matmul(h_prev, w_t)
    forward, backward = state.kernels
    if forward is not None:
        a, c, tanh_c, h = forward(gates[t, ...], rec, c_prev)
    else:
        a, c, tanh_c, h = _gates_forward(xp, state, gates[t, ...], rec, c_prev)

    def vjp(cots):
        gh, gc = cots            # gc is None when nothing used c (the last c of a sequence)
        if gh is None:
            gh = xp.zeros_like(c)
        if state.d_gates is None:
            state.d_gates = xp.zeros(state.shape, dtype=state.dtype)
        if backward is not None:   # writes dz straight into the buffer
            dz = state.d_gates[t, ...]
            dc_prev = backward(a, c_prev, tanh_c, gh, xp.zeros_like(c) if gc is None else gc, dz)
        else:
            dz, dc_prev = _gates_backward(xp, state, a, c_prev, tanh_c, gh, gc)
            state.d_gates[t, ...] = dz
        d_gates = None
        if first:   # the last step to run backward: hand the complete dZ over, start afresh
            d_gates, state.d_gates = state.d_gates, None
        return d_gates, xp.matmul(dz, state.w_hh), dc_prev, None
    return (h, c), vjp
