"""Recurrent layers RNN, LSTM and GRU with PyTorch's arguments, shapes and parameter names.

    out, h_n = rnn(x, h0)            out, (h_n, c_n) = lstm(x, (h0, c0))
    x: (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in)
    out: (L, N, D*H);  h_n, c_n: (num_layers*D, N, H)   (D = 2 when bidirectional)

One set of weights per layer and direction is reused at every step: backpropagation
through time is reverse-mode autodiff over the unrolled loop below. Layer k runs under
`tl.scope(module="l{k}")` ("l{k}_reverse" for the backward direction) and each step under
`tl.scope(step=t)`, t being the time index of the input the step reads, so every record
of a step (slice, concat, matmul, split, gates, products) carries its step.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import tape
from ..functions import concat, stack
from ..tensor import Tensor, apply
from . import init
from .cells import gru_step, joined, joined_bias, lstm_step, rnn_step, set_forget_bias
from .checks import check_features, check_like_params, check_rank, check_tensor, state_or_zeros
from .functional import dropout
from .module import Module
from .utils import unroll

State = tuple  # (h,) for RNN and GRU, (h, c) for LSTM: one entry per state tensor


def _rnn_layer(x, state, w_ih, w_hh, b_ih, b_hh, reverse, nonlinearity):
    w, b = joined(w_ih, w_hh), joined_bias(b_ih, b_hh)
    return unroll(lambda xt, s: (rnn_step(xt, s[0], w, b, nonlinearity),), x, state, reverse)


def _gru_layer(x, state, w_ih, w_hh, b_ih, b_hh, reverse):
    w_ih_t, w_hh_t = w_ih.T, w_hh.T
    return unroll(lambda xt, s: (gru_step(xt, s[0], w_ih_t, w_hh_t, b_ih, b_hh),), x, state, reverse)


def _lstm_layer_composed(x, state, w_ih, w_hh, b_ih, b_hh, reverse):
    """Every step composed from primitives, exactly the cell of the docs (what they draw)."""
    w, b = joined(w_ih, w_hh), joined_bias(b_ih, b_hh)
    return unroll(lambda xt, s: lstm_step(xt, s[0], s[1], w, b), x, state, reverse)


def _lstm_layer_fused(x, state, w_ih, w_hh, b_ih, b_hh, reverse):
    """The fast path: the whole layer as one `lstm_layer` op (ops/fused.py), a scan over the
    steps. Same numbers and gradients as the composed path; the renderer draws it as one
    box per step, reading the tags set here."""
    biases = () if b_ih is None else (b_ih, b_hh)
    params = {"reverse": reverse, "input_grad": x.requires_grad}
    with tape.scope(scan="lstm"):
        out, h, c = apply("lstm_layer", (x, state[0], state[1], w_ih, w_hh) + biases, params)
    return out, (h, c)


@functools.lru_cache(maxsize=None)
def _names(layer: int, sfx: str) -> tuple[str, ...]:
    """PyTorch's parameter names of one layer and direction, made once."""
    return tuple(f"{name}_l{layer}{sfx}" for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, shape checks,
    initial states, the loop over layers with dropout between them, and the output shapes."""

    _scoped = True
    _gates = 1
    _state_names: tuple[str, ...] = ("h0",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 dtype: Any = "float32", backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        who = type(self).__name__
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{who}: input_size, hidden_size and num_layers must be positive, "
                             f"got {input_size}, {hidden_size}, {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{who}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        self.generator = generator  # also draws the dropout masks
        opts = dict(dtype=dtype, backend=backend, generator=generator)
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size * self.num_directions
            for sfx in self._suffixes():
                init.recurrent_weights(self, self._gates, size, hidden_size, bias, f"_l{layer}{sfx}", **opts)

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, layer: int, sfx: str) -> tuple:
        """(W_ih, W_hh, b_ih, b_hh) of one layer and direction (None for missing biases)."""
        return tuple(self._parameters.get(name) for name in _names(layer, sfx))

    def extra_repr(self) -> str:
        extra = [f"{self.input_size}, {self.hidden_size}"]
        for key, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                             ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, key) != default:
                extra.append(f"{key}={getattr(self, key)}")
        return ", ".join(extra)

    # ---- the computation -------------------------------------------------------------
    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """(output, h_n) for RNN and GRU, (output, (h_n, c_n)) for LSTM; see the module doc."""
        x, batched = self._check_input(x)
        states = self._initial_states(x, state, batched)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(self._suffixes()):
                with tape.scope(module=f"l{layer}{sfx}"):
                    out, final = self._layer(x, states[layer * self.num_directions + d],
                                             self._weights(layer, sfx), reverse=d == 1)
                outs.append(out)
                finals.append(final)
            x = outs[0] if len(outs) == 1 else concat(outs, axis=2)
            if layer < self.num_layers - 1:
                x = dropout(x, self.dropout, self.training, self.generator)
        return self._pack(x, finals, batched)

    def _layer(self, x: Tensor, state: State, weights: tuple, reverse: bool) -> tuple[Tensor, State]:
        raise NotImplementedError

    def _check_input(self, x: Any) -> tuple[Tensor, bool]:
        """x as time-major (L, N, H_in), and whether it was batched."""
        who = type(self).__name__
        check_tensor(who, "input", x)
        layout = "(batch, seq_len, input_size)" if self.batch_first else "(seq_len, batch, input_size)"
        check_rank(who, "input", x, {3: layout, 2: "(seq_len, input_size) for one sequence"})
        check_features(who, "input", x, self.input_size, "input_size")
        check_like_params(who, "input", x, self.weight_ih_l0)
        time_axis = 1 if (self.batch_first and x.ndim == 3) else 0
        if x.shape[time_axis] == 0:
            raise ValueError(f"{who}: the input sequence is empty (shape {x.shape}); pass at least one step")
        if x.ndim == 2:
            return x.reshape(x.shape[0], 1, self.input_size), False
        return (x.transpose(1, 0, 2) if self.batch_first else x), True

    def _given_states(self, state: Any) -> tuple:
        return (state,)

    def _initial_states(self, x: Tensor, state: Any, batched: bool) -> list[State]:
        """One State per (layer, direction), from the given tensors or zeros."""
        who, count = type(self).__name__, self.num_layers * self.num_directions
        shape = (count, x.shape[1], self.hidden_size)
        layout = "(num_layers * num_directions, batch, hidden_size)" if batched else \
            "(num_layers * num_directions, hidden_size) for unbatched input"
        full = [state_or_zeros(who, name, s, shape, batched, layout, self.weight_ih_l0)
                for s, name in zip(self._given_states(state), self._state_names)]
        return [tuple(s[k] for s in full) for k in range(count)]

    def _pack(self, out: Tensor, finals: list[State], batched: bool):
        finals_stacked = [stack([f[i] for f in finals], axis=0) for i in range(len(finals[0]))]
        if not batched:
            out = out.reshape(out.shape[0], out.shape[2])
            finals_stacked = [f.reshape(f.shape[0], f.shape[2]) for f in finals_stacked]
        elif self.batch_first:
            out = out.transpose(1, 0, 2)
        return out, (finals_stacked[0] if len(finals_stacked) == 1 else tuple(finals_stacked))


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), per layer."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, **kwargs: Any) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, **kwargs)
        self.nonlinearity = nonlinearity

    def _layer(self, x, state, weights, reverse):
        return _rnn_layer(x, state, *weights, reverse, self.nonlinearity)


class LSTM(RNNBase):
    """LSTM layers (the cell's equations are in `cells.lstm_step`); state is (h, c).

    fused=True takes the fast path (`_lstm_layer_fused`), fused=False composes every step
    from primitives (`_lstm_layer_composed`, what the docs draw); both give the same
    numbers. forget_bias=v sets every forget gate's total bias to v at init."""

    _gates = 4
    _state_names = ("h0", "c0")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 fused: bool = True, forget_bias: float | None = None, **kwargs: Any) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, **kwargs)
        self.fused = fused
        if forget_bias is not None:
            if not bias:
                raise ValueError("LSTM: forget_bias needs bias=True")
            for layer in range(num_layers):
                for sfx in self._suffixes():
                    _, _, b_ih, b_hh = self._weights(layer, sfx)
                    set_forget_bias(b_ih, b_hh, hidden_size, forget_bias)

    def _given_states(self, state: Any) -> tuple:
        if state is None:
            return None, None
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError(f"LSTM: state must be a tuple (h0, c0) or None, got "
                            f"{type(state).__name__}")
        return tuple(state)

    def _layer(self, x, state, weights, reverse):
        layer = _lstm_layer_fused if self.fused else _lstm_layer_composed
        return layer(x, state, *weights, reverse)


class GRU(RNNBase):
    """GRU layers (the cell's equations are in `cells.gru_step`), gate order r, z, n."""

    _gates = 3

    def _layer(self, x, state, weights, reverse):
        return _gru_layer(x, state, *weights, reverse)
