"""Test support for the renderer: small recurrent graphs unrolled by hand from the
primitive ops (independent of tl.nn), scoped as tl.nn scopes them (layer "l{k}" inside the model's path, one `tl.scope(step=t)` per step), to draw
and to test the renderer with. Each returns the loss and what holds the parameters
(named leaves; keep them, their .grad lives there).

    loss, params = unroll("lstm", steps=6)
    tl.viz.render(loss, "lstm.svg", view="cell", grads=True)

`nn_loss` builds the same kind of loss from tl.nn's layers instead, as users would.
"""
from __future__ import annotations

import numpy as np

import tinygrad_lstm as tl

KINDS = ("rnn", "lstm", "gru")
LAYERS = {"rnn": tl.nn.RNN, "lstm": tl.nn.LSTM, "gru": tl.nn.GRU}


class LastStepModel(tl.nn.Module):
    """A tl.nn recurrent layer (`self.rnn`, `self.lstm` or `self.gru`) and a linear readout
    `self.head` of its last step: out (N, output_size)."""

    def __init__(self, kind: str, inputs: int, hidden: int, outputs: int, layers: int = 1,
                 *, fused: bool = False, forget_bias: float | None = None, backend=None,
                 generator=None) -> None:
        super().__init__()
        opts = dict(backend=backend, generator=generator)
        extra = dict(fused=fused, forget_bias=forget_bias) if kind == "lstm" else {}
        self.kind = kind
        setattr(self, kind, LAYERS[kind](inputs, hidden, layers, **extra, **opts))
        self.head = tl.nn.Linear(hidden, outputs, **opts)

    def forward(self, x):
        out, _ = getattr(self, self.kind)(x)
        return self.head(out[-1])


def nn_loss(kind: str = "lstm", steps: int = 6, layers: int = 1, batch: int = 2, inputs: int = 3,
            hidden: int = 8, seed: int = 0, fused: bool = False, forget_bias: float | None = None,
            backend=None):
    """The loss of a tl.nn recurrent layer (composed LSTM steps unless fused=True) and a
    linear readout of its last step, at initialisation, recorded on the tape for drawing;
    and the model (keep it: the parameters' .grad lives on it)."""
    rng = np.random.default_rng(seed)
    model = LastStepModel(kind, inputs, hidden, 1, layers, forget_bias=forget_bias,
                          fused=fused, backend=backend, generator=rng)
    x = tl.tensor(rng.standard_normal((steps, batch, inputs)).astype("float32"), backend=backend)
    target = tl.tensor(np.ones((batch, 1), dtype="float32"), backend=backend)
    return ((model(x) - target) ** 2).mean(), model


def _param(rng, name: str, shape, scale: float, offset: float = 0.0):
    p = tl.tensor(rng.standard_normal(shape) * scale + offset, requires_grad=True)
    p.name = name
    return p


def rnn_step(x, h, W, b):
    """h_t = tanh([x_t, h_{t-1}] W + b)"""
    return tl.tanh(tl.concat([x, h], axis=1) @ W + b)


def lstm_step(x, h, c, W, b):
    """The gates from one matmul over [x_t, h_{t-1}], split i, f, g, o (PyTorch's order)."""
    i, f, g, o = tl.split(tl.concat([x, h], axis=1) @ W + b, 4, axis=1)
    c = tl.sigmoid(f) * c + tl.sigmoid(i) * tl.tanh(g)
    return tl.sigmoid(o) * tl.tanh(c), c


def gru_step(x, h, W_rz, b_rz, W_n, b_n):
    """r, z from [x, h]; n = tanh([x, r*h] W_n + b_n); h_t = (1 - z) * n + z * h."""
    r, z = tl.split(tl.sigmoid(tl.concat([x, h], axis=1) @ W_rz + b_rz), 2, axis=1)
    n = tl.tanh(tl.concat([x, r * h], axis=1) @ W_n + b_n)
    return (1.0 - z) * n + z * h


def unroll(kind: str = "lstm", steps: int = 4, layers: int = 1, batch: int = 2, inputs: int = 3,
           hidden: int = 4, seed: int = 0, forget_bias: float = 1.0, scale: float = 0.5):
    """The loss of a `layers`-deep recurrent net over `steps` steps, recorded on the tape,
    and its parameters by name."""
    if kind not in KINDS:
        raise ValueError(f"unroll: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    rng = np.random.default_rng(seed)
    H = hidden
    xs = [tl.tensor(rng.standard_normal((batch, inputs))) for _ in range(steps)]
    named = {}
    with tl.scope(kind):
        for k in range(layers):
            size = (inputs if k == 0 else H) + H
            s = scale / np.sqrt(size)
            if kind == "rnn":
                params = [_param(rng, f"{kind}.weight_l{k}", (size, H), s),
                          _param(rng, f"{kind}.bias_l{k}", (H,), 0.0)]
            elif kind == "lstm":
                bias = np.zeros(4 * H)
                bias[H:2 * H] = forget_bias
                params = [_param(rng, f"{kind}.weight_l{k}", (size, 4 * H), s),
                          _param(rng, f"{kind}.bias_l{k}", (4 * H,), 0.0)]
                params[1].data[...] = bias
            else:
                params = [_param(rng, f"{kind}.weight_rz_l{k}", (size, 2 * H), s),
                          _param(rng, f"{kind}.bias_rz_l{k}", (2 * H,), 0.0),
                          _param(rng, f"{kind}.weight_n_l{k}", (size, H), s),
                          _param(rng, f"{kind}.bias_n_l{k}", (H,), 0.0)]
            named.update((p.name, p) for p in params)
            xs = _layer(kind, k, xs, params, batch, H)
    V = named["head.weight"] = _param(rng, "head.weight", (H, 1), 1.0 / np.sqrt(H))
    target = tl.tensor(np.ones((batch, 1)))
    return ((xs[-1] @ V - target) ** 2).mean(), named


def _layer(kind: str, k: int, xs, params, batch: int, H: int):
    h = tl.tensor(np.zeros((batch, H)))
    c = tl.tensor(np.zeros((batch, H)))
    out = []
    with tl.scope(f"l{k}"):
        for t, x in enumerate(xs):
            with tl.scope(step=t):
                if kind == "rnn":
                    h = rnn_step(x, h, *params)
                elif kind == "lstm":
                    h, c = lstm_step(x, h, c, *params)
                else:
                    h = gru_step(x, h, *params)
            out.append(h)
    return out
