"""LSTM variants for teaching, each a cell composed from the primitive ops.

- LSTMCell(..., forget_bias=1.0) (in cells.py): the standard cell with its forget gate
  biased open at init, so that early in training c_t carries c_{t-1} forward
  (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015).
- PeepholeLSTMCell: the gates also look at the cell state (Gers & Schmidhuber 2000).
- OriginalLSTMCell: the 1997 cell of Hochreiter & Schmidhuber, with no forget gate:
  c_t = c_{t-1} + i*g. Its cell state can only accumulate, which is why the forget gate
  was added: on long streams c grows without bound and tanh(c) saturates.

All keep PyTorch's layout (weight_ih, weight_hh, bias_ih, bias_hh with the gates stacked in
the order given) and run over a sequence with `tl.nn.utils.unroll(cell, x)`.
"""
from __future__ import annotations

from typing import Any

from ..functions import concat, sigmoid, split, tanh
from ..tensor import Tensor
from . import init
from .cells import CellBase, _pair, joined, joined_bias


class PeepholeLSTMCell(CellBase):
    """LSTM with diagonal peephole connections (gate order i, f, g, o):
        i = sigmoid(W_i [x, h] + b_i + w_ci * c)
        f = sigmoid(W_f [x, h] + b_f + w_cf * c)
        g = tanh(W_g [x, h] + b_g)
        c' = f * c + i * g
        o = sigmoid(W_o [x, h] + b_o + w_co * c')      (the output gate sees the new cell)
        h' = o * tanh(c')
    weight_ci, weight_cf, weight_co have shape (H,) and start from U(-1/sqrt(H), 1/sqrt(H))."""

    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, **kwargs: Any) -> None:
        super().__init__(input_size, hidden_size, bias, **kwargs)
        opts = {k: v for k, v in kwargs.items() if k in ("dtype", "backend", "generator")}
        bound = init.bound_for(hidden_size)
        self.weight_ci = init.uniform((hidden_size,), bound, **opts)
        self.weight_cf = init.uniform((hidden_size,), bound, **opts)
        self.weight_co = init.uniform((hidden_size,), bound, **opts)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """(h', c') for input x and state (h, c) (zeros when None)."""
        x, (h, c), batched = self._prepare(x, _pair("PeepholeLSTMCell", state), ("h", "c"))
        z = concat([x, h], axis=-1) @ joined(self.weight_ih, self.weight_hh)
        if self.bias:
            z = z + joined_bias(self.bias_ih, self.bias_hh)
        zi, zf, zg, zo = split(z, 4, axis=-1)
        i = sigmoid(zi + self.weight_ci * c)
        f = sigmoid(zf + self.weight_cf * c)
        c = f * c + i * tanh(zg)
        o = sigmoid(zo + self.weight_co * c)
        h = o * tanh(c)
        h, c = self._finish([h, c], batched)
        return h, c


class OriginalLSTMCell(CellBase):
    """The 1997 LSTM cell, without a forget gate (gate order i, g, o):
        i = sigmoid(W_i [x, h] + b_i)
        g = tanh(W_g [x, h] + b_g)
        o = sigmoid(W_o [x, h] + b_o)
        c' = c + i * g                 (no f: the error carousel keeps c exactly)
        h' = o * tanh(c')
    (The 1997 paper squashed with scaled logistic functions; tanh is used here, as in
    later LSTMs, so that only the missing forget gate differs from LSTMCell.)"""

    _gates = 3

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """(h', c') for input x and state (h, c) (zeros when None)."""
        x, (h, c), batched = self._prepare(x, _pair("OriginalLSTMCell", state), ("h", "c"))
        z = concat([x, h], axis=-1) @ joined(self.weight_ih, self.weight_hh)
        if self.bias:
            z = z + joined_bias(self.bias_ih, self.bias_hh)
        zi, zg, zo = split(z, 3, axis=-1)
        i, g, o = sigmoid(zi), tanh(zg), sigmoid(zo)
        c = c + i * g
        h = o * tanh(c)
        h, c = self._finish([h, c], batched)
        return h, c
