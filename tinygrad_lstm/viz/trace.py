"""Record what a recurrent layer does at every step: its gates and states, per unit.

    tr = tl.viz.trace(lstm, x)           # an RNN, LSTM or GRU from tl.nn, any backend
    tr["f"]                              # forget gate of layer 0, NumPy (steps, batch, hidden)
    tr.at(3)                             # {"i": [...], "f": [...], ..., "h": [...]} at t=3
    tr.forget_product()                  # how much of c_0 is left in c_t, per unit
    lag_norms(lstm, x)                   # ||dh_T/dh_t|| for every t, by tl.grad

The recorder runs the model's own composed step functions (nn/cells.py: rnn_step,
lstm_step, gru_step) with the model's weights, layer by layer and direction by direction,
so h and c are exactly what a composed model computes (a fused LSTM agrees to rounding).
The gates are read off with the very ops those steps apply (concat, matmul, split, then
sigmoid or tanh), in the same order, so they are the cell's own numbers, bit for bit; the
tests check c == f * c_prev + i * g exactly. Dropout between layers is not applied (as in
eval mode): a trace shows the network, not one draw of its noise.

Data for other tools (the HTML explorer): `as_dict(batch)` is plain JSON-ready lists,
keyed by the same scope strings and steps the tape's records carry ("lstm.l0", t=3).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import tape
from ..functions import concat, sigmoid, split, stack, tanh
from ..tensor import Tensor

# The drawing half of viz never imports nn; the recorder needs nn's step functions, so
# they are imported where a recording starts (`_probe`, `kind_of`).

ROLES = {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h"), "rnn": ("h",)}
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ()}
SQUASH = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "r": "sigmoid", "z": "sigmoid",
          "g": "tanh", "n": "tanh"}


def kind_of(model: Any) -> str:
    """"rnn", "lstm" or "gru" for a tl.nn recurrent layer; anything else is refused."""
    from ..nn.recurrent import GRU, LSTM, RNN
    for cls, name in ((LSTM, "lstm"), (GRU, "gru"), (RNN, "rnn")):
        if isinstance(model, cls):
            return name
    raise TypeError(f"trace: expects a tl.nn.RNN, LSTM or GRU, got {type(model).__name__}")


def _probe(kind: str, nonlinearity: str | None):
    """A step function for the kind: (x_t, state) -> (new state, {role: tensor})."""
    from ..nn import cells
    if kind == "lstm":
        return _lstm_probe(cells)
    if kind == "gru":
        return _gru_probe(cells)
    return _rnn_probe(cells, nonlinearity)


def _lstm_probe(cells):
    def make(w_ih, w_hh, b_ih, b_hh):
        return _lstm_step_probe(cells, cells.joined(w_ih, w_hh), cells.joined_bias(b_ih, b_hh))
    return make


def _lstm_step_probe(cells, w, b):
    def step(x, state):
        h, c = state
        z = concat([x, h], axis=-1) @ w          # lstm_step's own first lines
        if b is not None:
            z = z + b
        i, f, g, o = split(z, 4, axis=-1)
        gates = {"i": sigmoid(i), "f": sigmoid(f), "g": tanh(g), "o": sigmoid(o)}
        h, c = cells.lstm_step(x, h, c, w, b)
        return (h, c), {**gates, "c": c, "h": h}
    return step


def _gru_probe(cells):
    def make(w_ih, w_hh, b_ih, b_hh):
        return _gru_step_probe(cells, w_ih.T, w_hh.T, b_ih, b_hh)
    return make


def _gru_step_probe(cells, w_ih_t, w_hh_t, b_ih, b_hh):
    def step(x, state):
        gi, gh = x @ w_ih_t, state[0] @ w_hh_t     # gru_step's own first lines
        if b_ih is not None:
            gi, gh = gi + b_ih, gh + b_hh
        i_r, i_z, i_n = split(gi, 3, axis=-1)
        h_r, h_z, h_n = split(gh, 3, axis=-1)
        r = sigmoid(i_r + h_r)
        gates = {"r": r, "z": sigmoid(i_z + h_z), "n": tanh(i_n + r * h_n)}
        h = cells.gru_step(x, state[0], w_ih_t, w_hh_t, b_ih, b_hh)
        return (h,), {**gates, "h": h}
    return step


def _rnn_probe(cells, nonlinearity):
    def make(w_ih, w_hh, b_ih, b_hh):
        w, b = cells.joined(w_ih, w_hh), cells.joined_bias(b_ih, b_hh)

        def step(x, state):
            h = cells.rnn_step(x, state[0], w, b, nonlinearity)
            return (h,), {"h": h}
        return step
    return make


def run_steps(model: Any, x: Tensor, state: Any = None) -> tuple[str, list[dict], Tensor]:
    """Run `model` on x step by step; returns its kind, one entry per layer and direction
    {"name": "l0", "scope": "lstm.l0", "steps": [{role: Tensor} for t in time order]},
    and the last layer's output (L, N, D*H) as the model returns it when batched."""
    kind = kind_of(model)
    probe = _probe(kind, getattr(model, "nonlinearity", None))
    x, batched = model._check_input(x)
    states = model._initial_states(x, state, batched)
    runs, steps = [], x.shape[0]
    for layer in range(model.num_layers):
        outs = []
        for d, sfx in enumerate(model._suffixes()):
            step = probe(*model._weights(layer, sfx))
            s, recorded = states[layer * model.num_directions + d], [None] * steps
            for t in (range(steps - 1, -1, -1) if d == 1 else range(steps)):
                s, recorded[t] = step(x[t], s)
            name = f"l{layer}{sfx}"
            runs.append({"name": name, "scope": f"{model.path}.{name}", "steps": recorded})
            outs.append(stack([r["h"] for r in recorded], axis=0))
        x = outs[0] if len(outs) == 1 else concat(outs, axis=2)
    return kind, runs, x


class Trace:
    """Gates and states of every step and unit, as NumPy arrays (steps, batch, hidden).

    trace["f"] (layer 0) or trace.get("f", "l1_reverse"); roles: LSTM i f g o c h, GRU
    r z n h, RNN h. `output` is the last layer's output (steps, batch, D*hidden)."""

    def __init__(self, kind: str, runs: list[dict], output: np.ndarray) -> None:
        self.kind, self.roles, self.gates = kind, ROLES[kind], GATES[kind]
        self.layers = [run["name"] for run in runs]
        self.scopes = {run["name"]: run["scope"] for run in runs}
        self.data = {run["name"]: {role: np.stack([step[role].numpy() for step in run["steps"]])
                                   for role in self.roles} for run in runs}
        self.output = output
        self.steps, self.batch, self.hidden = self.data[self.layers[0]]["h"].shape

    def __getitem__(self, role: str) -> np.ndarray:
        return self.get(role)

    def get(self, role: str, layer: str = "l0") -> np.ndarray:
        """One role's values in one layer (and direction), NumPy (steps, batch, hidden)."""
        if layer not in self.data:
            raise KeyError(f"trace: no layer {layer!r}; this trace has {', '.join(self.layers)}")
        if role not in self.roles:
            raise KeyError(f"trace: a {self.kind.upper()} has no {role!r}; its roles are "
                           f"{', '.join(self.roles)}")
        return self.data[layer][role]

    def at(self, step: int, layer: str = "l0", batch: int = 0) -> dict[str, list[float]]:
        """Every role's values at one step, one float per unit."""
        return {role: self.get(role, layer)[step, batch].tolist() for role in self.roles}

    def as_dict(self, batch: int = 0) -> dict:
        """Plain lists for JSON: {"kind", "roles", "steps", "hidden", "layers": {name:
        {"scope": "lstm.l0", role: [[unit values] for each step]}}}. A step of the
        rendered graph (records tagged scope "lstm.l0", step t) is layers[name][role][t]."""
        layers = {name: {"scope": self.scopes[name],
                         **{role: self.data[name][role][:, batch].tolist() for role in self.roles}}
                  for name in self.layers}
        return {"kind": self.kind, "roles": list(self.roles), "steps": self.steps,
                "hidden": self.hidden, "layers": layers}

    def saturation(self, layer: str = "l0", margin: float = 0.05) -> dict[str, np.ndarray]:
        """Per gate and step, the fraction of units (over the batch) that are saturated:
        a sigmoid gate within `margin` of 0 or 1, a tanh within `margin` of -1 or 1.
        There its derivative is nearly 0, so little gradient passes through it."""
        out = {}
        for gate in self.gates:
            a = self.get(gate, layer)
            low = 0.0 if SQUASH[gate] == "sigmoid" else -1.0
            out[gate] = np.mean((a < low + margin) | (a > 1.0 - margin), axis=(1, 2))
        return out

    def forget_product(self, layer: str = "l0", start: int = 0) -> np.ndarray:
        """prod of f_s for s = start+1 .. t, per step t >= start and unit (LSTM): the share
        of c_start that survives in c_t along the cell-state path (c_t = f_t c_{t-1} + ...).
        Shape (steps - start, batch, hidden); the first row is 1."""
        if self.kind != "lstm":
            raise ValueError(f"trace: forget gates are an LSTM's; this is a {self.kind.upper()}")
        f = self.get("f", layer)[start + 1:].astype(np.float64)
        return np.concatenate([np.ones((1,) + f.shape[1:]), np.cumprod(f, axis=0)])

    def memory_horizon(self, layer: str = "l0", start: int = 0, keep: float = 1 / math.e) -> np.ndarray:
        """Per (batch, unit): steps after `start` until less than `keep` of c_start is left
        (the forget product drops below it); units that keep more to the end get the
        number of steps they were watched for, a lower bound."""
        product = self.forget_product(layer, start)
        below = product < keep
        return np.where(below.any(axis=0), below.argmax(axis=0), product.shape[0] - 1)


def trace(model: Any, x: Tensor, state: Any = None) -> Trace:
    """Run `model` (tl.nn.RNN, LSTM or GRU; fused or composed; any backend) on x and keep
    its gates and states at every step; see the module docstring."""
    with tape.no_grad():
        kind, runs, out = run_steps(model, x, state)
    output = out.numpy()
    return Trace(kind, runs, output)


def lag_norms(model: Any, x: Tensor, state: Any = None, of: str = "h", norm: str = "spectral",
              layer: str = "l0") -> np.ndarray:
    """||d s_T / d s_t|| for every step t (s = h, or c for an LSTM), computed by the engine:
    one tl.grad per unit of s_T, through the recorded steps. The norm is the spectral norm
    of each sequence's (hidden x hidden) Jacobian ("spectral") or its Frobenius norm over
    sqrt(hidden) ("fro"; 1 for the identity), averaged over the batch. Entry t is for step t;
    the last entry (t = T-1, lag 0) is 1. For a reverse direction T-1 is its first step."""
    if of not in ("h", "c") or (of == "c" and kind_of(model) != "lstm"):
        raise ValueError(f"lag_norms: of must be 'h' (or 'c' for an LSTM), got {of!r}")
    if norm not in ("spectral", "fro"):
        raise ValueError(f"lag_norms: norm must be 'spectral' or 'fro', got {norm!r}")
    x = Tensor(x.data, x.backend, requires_grad=True)   # so every step's state is in a graph
    with tape.enable_grad():
        _, runs, _ = run_steps(model, x, state)
    run = next((r for r in runs if r["name"] == layer), None)
    if run is None:
        raise KeyError(f"lag_norms: no layer {layer!r}; there are {', '.join(r['name'] for r in runs)}")
    states = [step[of] for step in run["steps"]]
    if layer.endswith("_reverse"):
        states = states[::-1]
    last = states[-1]
    hidden = last.shape[-1]
    rows = []                                 # rows[j][t]: d s_T[:, j] / d s_t, (batch, hidden)
    for j in range(hidden):
        grads = tape_grad(last[:, j].sum(), states)
        rows.append([g.numpy().astype(np.float64) for g in grads])
    norms = []
    for t in range(len(states)):
        jac = np.stack([rows[j][t] for j in range(hidden)], axis=1)    # (batch, out j, in)
        if norm == "spectral":
            per = np.linalg.norm(jac, ord=2, axis=(1, 2))
        else:
            per = np.sqrt(np.sum(jac * jac, axis=(1, 2)) / hidden)
        norms.append(float(np.mean(per)))
    return np.asarray(norms)


def tape_grad(out: Tensor, inputs: list[Tensor]) -> list[Tensor]:
    """tl.grad keeping the graph (one call per unit) and zeros for steps out of reach."""
    from ..functions import grad
    return grad(out, inputs, retain_graph=True, allow_unused=True)
