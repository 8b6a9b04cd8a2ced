"""Recurrent cells composed from the primitive ops, and the step functions the layers share.

Gate order, PyTorch's, written down once: the 4H rows of an LSTM weight are the input gate
i, the forget gate f, the cell candidate g and the output gate o; the 3H rows of a GRU
weight are the reset gate r, the update gate z and the new state n.

Parameters are stored as PyTorch stores them, weight_ih (G*H, input_size), weight_hh
(G*H, H), bias_ih and bias_hh (G*H,), so state dicts carry over. The LSTM and RNN steps
still read as one matmul over concat([x, h]): with W = [W_ih | W_hh]^T and b = b_ih + b_hh,
    concat([x, h]) @ W + b  ==  x @ W_ih^T + b_ih + h @ W_hh^T + b_hh.
`joined` builds W once per call (a concat and a transpose), not once per step. The GRU
needs the two products apart (r multiplies only the h part of n), so it keeps the pair.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import tape
from ..functions import concat, relu, sigmoid, split, tanh
from ..tensor import Tensor
from . import init
from .checks import check_features, check_like_params, check_rank, check_tensor, state_or_zeros
from .module import Module

LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")


def joined(w_ih: Tensor, w_hh: Tensor) -> Tensor:
    """W = [W_ih | W_hh]^T, shape (input_size + H, G*H)."""
    return concat([w_ih, w_hh], axis=1).T


def joined_bias(b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    """b = b_ih + b_hh (None without biases)."""
    return None if b_ih is None else b_ih + b_hh


def name(**tensors: Tensor) -> None:
    """Give tensors their role in the cell (i, f, g, o; r, z, n; h, c): the tape printout
    and the renderer read these names."""
    for role, t in tensors.items():
        if t.requires_grad:
            t.name = role


def rnn_step(x: Tensor, h: Tensor, w: Tensor, b: Tensor | None, nonlinearity: str = "tanh") -> Tensor:
    """h' = tanh(concat([x, h]) @ W + b)   (or relu)"""
    z = concat([x, h], axis=-1) @ w
    if b is not None:
        z = z + b
    h = tanh(z) if nonlinearity == "tanh" else relu(z)
    name(h=h)
    return h


def lstm_step(x: Tensor, h: Tensor, c: Tensor, w: Tensor, b: Tensor | None) -> tuple[Tensor, Tensor]:
    """One LSTM step:
        i, f, g, o = split(concat([x, h]) @ W + b, 4)
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o);  g = tanh(g)
        c' = f * c + i * g
        h' = o * tanh(c')
    """
    z = concat([x, h], axis=-1) @ w
    if b is not None:
        z = z + b
    i, f, g, o = split(z, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    c = f * c + i * g
    h = o * tanh(c)
    name(i=i, f=f, g=g, o=o, c=c, h=h)
    return h, c


def gru_step(x: Tensor, h: Tensor, w_ih_t: Tensor, w_hh_t: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None) -> Tensor:
    """One GRU step (weights transposed: W_ih^T, W_hh^T):
        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h
    """
    gi, gh = x @ w_ih_t, h @ w_hh_t
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    i_r, i_z, i_n = split(gi, 3, axis=-1)
    h_r, h_z, h_n = split(gh, 3, axis=-1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    h = (1.0 - z) * n + z * h
    name(r=r, z=z, n=n, h=h)
    return h


def set_forget_bias(b_ih: Tensor, b_hh: Tensor, hidden_size: int, value: float) -> None:
    """Make the forget gate's total bias b_if + b_hf equal `value` (b_if = value, b_hf = 0)."""
    for b, v in ((b_ih, value), (b_hh, 0.0)):
        array = b.numpy()
        array[hidden_size:2 * hidden_size] = v
        with tape.no_grad():
            b.copy_(b.backend.asarray(array, dtype=b.backend.dtype_name(b.dtype)))


class CellBase(Module):
    """Weights of a cell with `_gates` gates, PyTorch's init, and input/state checks."""

    _scoped = True
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 dtype: Any = "float32", backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}: input_size and hidden_size must be positive, "
                             f"got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        init.recurrent_weights(self, self._gates, input_size, hidden_size, bias,
                               dtype=dtype, backend=backend, generator=generator)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _prepare(self, x: Any, states: tuple, names: tuple[str, ...]) -> tuple[Tensor, list, bool]:
        """Check x (batch, input_size) or (input_size,) and the states; give 2-D versions,
        zeros for missing states, and whether the input was batched."""
        who = type(self).__name__
        check_tensor(who, "input", x)
        check_rank(who, "input", x, {2: "(batch, input_size)", 1: "(input_size,)"})
        check_features(who, "input", x, self.input_size, "input_size")
        check_like_params(who, "input", x, self.weight_ih)
        batched = x.ndim == 2
        x = x if batched else x.reshape(1, self.input_size)
        shape = (x.shape[0], self.hidden_size)
        layout = "(batch, hidden_size)" if batched else "(hidden_size,)"
        out = [state_or_zeros(who, name, state, shape, batched, layout, self.weight_ih)
               for state, name in zip(states, names)]
        return x, out, batched

    def _finish(self, states: list[Tensor], batched: bool):
        return states if batched else [s.reshape(self.hidden_size) for s in states]


def _pair(who: str, state: Any) -> tuple:
    if state is None:
        return None, None
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise TypeError(f"{who}: state must be a tuple (h, c) or None, got {type(state).__name__}")
    return tuple(state)


class RNNCell(CellBase):
    """Elman cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (nonlinearity 'tanh' or 'relu')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", **kwargs: Any) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        """h' for input x (batch, input_size) or (input_size,) and state h (zeros when None)."""
        x, (h,), batched = self._prepare(x, (h,), ("h",))
        w, b = joined(self.weight_ih, self.weight_hh), joined_bias(self.bias_ih, self.bias_hh)
        return self._finish([rnn_step(x, h, w, b, self.nonlinearity)], batched)[0]


class LSTMCell(CellBase):
    """LSTM cell (equations in `lstm_step`). forget_bias=v sets the forget gate's total
    bias to v at init (b_if = v, b_hf = 0): with v = 1 the cell starts out remembering."""

    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 forget_bias: float | None = None, **kwargs: Any) -> None:
        super().__init__(input_size, hidden_size, bias, **kwargs)
        if forget_bias is not None:
            if not bias:
                raise ValueError("LSTMCell: forget_bias needs bias=True")
            set_forget_bias(self.bias_ih, self.bias_hh, hidden_size, forget_bias)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """(h', c') for input x and state (h, c) (zeros when None)."""
        x, (h, c), batched = self._prepare(x, _pair("LSTMCell", state), ("h", "c"))
        w, b = joined(self.weight_ih, self.weight_hh), joined_bias(self.bias_ih, self.bias_hh)
        h, c = self._finish(list(lstm_step(x, h, c, w, b)), batched)
        return h, c


class GRUCell(CellBase):
    """GRU cell (equations in `gru_step`), gate order r, z, n."""

    _gates = 3

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        """h' for input x and state h (zeros when None)."""
        x, (h,), batched = self._prepare(x, (h,), ("h",))
        h = gru_step(x, h, self.weight_ih.T, self.weight_hh.T, self.bias_ih, self.bias_hh)
        return self._finish([h], batched)[0]
