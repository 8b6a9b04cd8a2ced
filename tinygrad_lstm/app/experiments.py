"""Training runs shared by the command line, the demo and the docs.

A recurrent layer with a linear readout (`SequenceModel`), the three tasks it trains on
(`make_task`), the training loop (`train`), the gradient that reaches each earlier hidden
state (`gradient_flow`), text generation (`sample`), and checkpoints that remember how to
rebuild their model (`save_checkpoint`, `load_checkpoint`). Everything here needs NumPy
only; the command line adds progress bars (tqdm) and plots (matplotlib).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

import tinygrad_lstm as tl
from tinygrad_lstm import nn, optim, tasks
from tinygrad_lstm.nn import functional as F

from .checks import KINDS, TASKS, check_config

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CONFIG_FIELDS = {"task": str, "model": str, "seq_len": int, "hidden": int, "layers": int,
                 "input_size": int, "output_size": int}


class SequenceModel(nn.Module):
    """A recurrent layer stack (`self.rnn`, `self.lstm` or `self.gru`) and a linear readout
    `self.head` applied at every step: out (L, N, output_size)."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int,
                 num_layers: int = 1, *, forget_bias: float | None = None, fused: bool = True,
                 dtype: Any = "float32", backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"SequenceModel: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        opts = dict(dtype=dtype, backend=backend, generator=generator)
        extra = dict(fused=fused, forget_bias=forget_bias) if kind == "lstm" else {}
        self.kind = kind
        setattr(self, kind, LAYERS[kind](input_size, hidden_size, num_layers, **extra, **opts))
        self.head = nn.Linear(hidden_size, output_size, **opts)

    @property
    def recurrent(self) -> nn.Module:
        return getattr(self, self.kind)

    def forward(self, x: tl.Tensor, state: Any = None) -> tuple[tl.Tensor, Any]:
        out, state = self.recurrent(x, state)
        return self.head(out), state


def copy_model(model: SequenceModel, dtype: Any = "float32", fused: bool = True,
               backend: Any = None) -> SequenceModel:
    """The same weights in a new model: float64 (to measure gradients too small for
    float32), or with the LSTM composed from primitives (fused=False), or elsewhere."""
    layer = model.recurrent
    twin = SequenceModel(model.kind, layer.input_size, layer.hidden_size,
                         model.head.out_features, layer.num_layers, fused=fused, dtype=dtype,
                         backend=backend)
    twin.load_state_dict(model.state_dict())
    return twin


def graph_loss(kind: str, steps: int, layers: int = 1, hidden: int = 8, seed: int = 0,
               fused: bool = False, backend: Any = None, inputs: int = 3,
               batch: int = 2) -> tuple[tl.Tensor, SequenceModel]:
    """What `tinygrad-lstm render` draws: a SequenceModel at initialisation run on random
    inputs, and the squared error of its readout at the last step, recorded on the tape;
    and the model (keep it: the parameters' .grad lives on it)."""
    rng = np.random.default_rng(seed)
    model = SequenceModel(kind, inputs, hidden, 1, layers, fused=fused, backend=backend,
                          generator=rng)
    x = tl.tensor(rng.standard_normal((steps, batch, inputs)).astype("float32"), backend=backend)
    out, _ = model.recurrent(x)
    target = tl.tensor(np.ones((batch, 1), dtype="float32"), backend=backend)
    return ((model.head(out[-1]) - target) ** 2).mean(), model


@dataclass
class Task:
    """What a training run needs to know about its data."""

    name: str
    seq_len: int
    input_size: int
    output_size: int
    baseline: float                  # the loss of a model that remembers nothing
    batch: Callable[..., tuple]      # batch(batch_size, generator, backend) -> (x, y)
    loss: Callable[[tl.Tensor, Any], tl.Tensor]   # loss(outputs (L, N, out), y) -> scalar
    info: dict = field(default_factory=dict)  # what a checkpoint must keep (the vocabulary)
    # batches from data never trained on, where fresh draws from `batch` could repeat it
    held_out: Callable[..., tuple] | None = None


def _sequence_ce(out: tl.Tensor, y: tl.Tensor) -> tl.Tensor:
    steps, batch, classes = out.shape
    return F.cross_entropy(out.reshape(steps * batch, classes), y.reshape(steps * batch))


def make_task(name: str, seq_len: int, text: str | None = None) -> Task:
    """adding: the adding problem over seq_len steps (MSE on the last step's output);
    copy: repeat 10 symbols after a blank delay of seq_len steps (cross-entropy per step);
    text: next character of `text` (default: the bundled corpus), windows of seq_len,
    trained on the first 90% of the text; the last 10% is held out (`Task.held_out`)."""
    if name == "adding":
        return Task("adding", seq_len, 2, 1, 1.0 / 6.0,
                    lambda n, gen, bk: tasks.adding_problem(n, seq_len, generator=gen, backend=bk),
                    lambda out, y: F.mse_loss(out[-1], y))
    if name == "copy":
        length, symbols = 10, 8
        return Task("copy", seq_len, symbols + 2, symbols + 2,
                    tasks.copy_task_baseline(length, seq_len, symbols),
                    lambda n, gen, bk: tasks.copy_task(n, length, seq_len, symbols,
                                                       generator=gen, backend=bk),
                    _sequence_ce)
    if name == "text":
        return _text_task(tasks.load_corpus() if text is None else text, seq_len)
    raise ValueError(f"make_task: task must be one of {', '.join(TASKS)}, got {name!r}")


HELD_OUT = 0.1   # the share of a text kept out of training, to measure the loss on


def text_split(length: int, seq_len: int) -> int | None:
    """Where a text of `length` characters is cut into training and held-out parts: the
    held-out part is the last tenth, or one window (seq_len + 1 characters) if that is
    longer. None when either part would hold no window."""
    held = max(math.ceil(HELD_OUT * length), seq_len + 1)
    cut = length - held
    return cut if cut >= seq_len + 1 else None


def _text_task(text: str, seq_len: int) -> Task:
    cut = text_split(len(text), seq_len)
    if cut is None:
        raise ValueError(f"make_task: the text has {len(text)} characters, too few for "
                         f"windows of {seq_len + 1} in both its training part and its held-out "
                         f"last tenth; use a longer text or a shorter seq_len")
    data = tasks.CharDataset(text, seq_len)       # the vocabulary of the whole text
    held = copy.copy(data)
    data.data, held.data = data.data[:cut], data.data[cut:]
    counts = np.bincount(data.data, minlength=data.vocab_size) / len(data.data)
    unigram = float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum())
    return Task("text", seq_len, data.vocab_size, data.vocab_size, unigram,
                lambda n, gen, bk: data.batch(n, generator=gen, backend=bk),
                _sequence_ce, {"vocab": "".join(data.vocab)},
                held_out=lambda n, gen, bk: held.batch(n, generator=gen, backend=bk))


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass


def train(model: nn.Module, task: Task, steps: int, lr: float = 1e-2, batch_size: int = 32,
          generator: np.random.Generator | None = None, backend: Any = None,
          max_norm: float | None = 1.0, bar: Any = None) -> list[float]:
    """Adam on fresh batches for `steps` updates, gradients clipped to `max_norm`; returns
    the loss of every update. `bar` (a tqdm bar, say) is told about each step. A loss that
    is not finite stops the run with a ValueError (a diverged run never ends as a success)."""
    bar = bar or _NoBar()
    opt = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        x, y = task.batch(batch_size, generator, backend)
        out, _ = model(x)
        loss = task.loss(out, y)
        if not math.isfinite(loss.item()):
            raise ValueError(f"training diverged: the loss is {loss.item()} at update "
                             f"{step + 1}; try a smaller learning rate")
        opt.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        opt.step()
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix_str(f"loss {losses[-1]:.4f}", refresh=False)
    return losses


def evaluate(model: nn.Module, task: Task, batch_size: int = 512,
             generator: np.random.Generator | None = None, backend: Any = None) -> float:
    """The task's loss on one batch it was not trained on (fresh sequences, or windows of
    held-out text), without recording anything."""
    draw = task.held_out or task.batch
    with tl.no_grad():
        x, y = draw(batch_size, generator, backend)
        out, _ = model(x)
        return task.loss(out, y).item()


def gradient_flow(model: SequenceModel, x: tl.Tensor, y: tl.Tensor) -> dict[str, np.ndarray]:
    """||dL/dh_t|| for every step t, where L is the squared error of the readout at the last
    step (the adding problem's loss), for the top layer. For an LSTM also ||dL/dc_t||
    (NaN at the last step, where the layer's returned c_n feeds nothing).

    The layer is fed one step at a time and its state kept after each step, so that
    `tl.grad` can be asked for the gradient reaching each h_t: the total one, through
    every later step, which is what backpropagation through time computes."""
    layer, is_lstm = model.recurrent, model.kind == "lstm"
    state, hs, cs = None, [], []
    for t in range(x.shape[0]):
        with tl.scope(step=t):
            _, state = layer(x[t:t + 1], state)
        h, c = state if is_lstm else (state, None)
        hs.append(h)
        cs.extend([c] if is_lstm else [])
    loss = F.mse_loss(model.head(hs[-1][-1]), y)
    grads = tl.grad(loss, hs + cs, allow_unused=True)

    def norms(gs: list[tl.Tensor]) -> np.ndarray:
        return np.array([float(np.linalg.norm(g.numpy()[-1])) for g in gs])  # the top layer
    flow = {"h": norms(grads[:len(hs)])}
    if is_lstm:
        flow["c"] = norms(grads[len(hs):])
        flow["c"][-1] = np.nan
    return flow


def sample_stream(model: SequenceModel, vocab: str, prime: str, length: int,
                  temperature: float = 0.8,
                  generator: np.random.Generator | None = None) -> Iterator[str]:
    """`prime`, then `length` characters drawn one at a time from the model's softmax at
    `temperature`, each yielded as soon as it is drawn; the state is carried from each
    character to the next."""
    rng = generator or np.random.default_rng(0)
    unknown = sorted(set(prime) - set(vocab))
    if not prime or unknown:
        raise ValueError(f"sample: the prime text must be non-empty and use only characters "
                         f"the model was trained on; unknown: {unknown}")
    index = {ch: i for i, ch in enumerate(vocab)}
    weight = model.head.weight
    one_hot = np.zeros((1, 1, len(vocab)), dtype=weight.numpy().dtype)

    def step(i: int, state: Any) -> tuple[tl.Tensor, Any]:
        one_hot[...] = 0
        one_hot[0, 0, i] = 1
        with tl.no_grad():   # per step: a generator must not hold no_grad across its yields
            return model(tl.tensor(one_hot.copy(), backend=weight.backend), state)
    state = out = None
    for ch in prime:
        out, state = step(index[ch], state)
    yield prime
    for _ in range(length):
        logits = out.numpy()[-1, 0].astype(np.float64) / temperature
        p = np.exp(logits - logits.max())
        nxt = int(rng.choice(len(vocab), p=p / p.sum()))
        yield vocab[nxt]
        out, state = step(nxt, state)


def sample(model: SequenceModel, vocab: str, prime: str, length: int, temperature: float = 0.8,
           generator: np.random.Generator | None = None) -> str:
    """`prime` followed by `length` characters drawn by `sample_stream`, as one string."""
    return "".join(sample_stream(model, vocab, prime, length, temperature, generator))


def save_checkpoint(path: str | Path, model: SequenceModel, config: dict) -> None:
    """The parameters and a JSON `config` (how to rebuild the model) in one .npz."""
    tl.save({f"model.{k}": v for k, v in model.state_dict().items()}, path, config=config)


def read_checkpoint(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays of a checkpoint and its config, every config value checked (present,
    of the right type and in range: see checks.check_config) before anything is built."""
    arrays = tl.load(path)
    config = tl.io.read_config(arrays, path, CONFIG_FIELDS)
    return arrays, check_config(config, str(path))


def load_checkpoint(path: str | Path, backend: Any = None) -> tuple[SequenceModel, dict]:
    """The model and config that `save_checkpoint` wrote, every config value checked before
    the model is built."""
    arrays, config = read_checkpoint(path)
    model = build_model(config, backend)
    model.load_state_dict({k[len("model."):]: v for k, v in arrays.items()
                           if k.startswith("model.")})
    return model, config


def build_model(config: dict, backend: Any = None,
                generator: np.random.Generator | None = None,
                forget_bias: float | None = None) -> SequenceModel:
    """A SequenceModel from the config a training run records."""
    return SequenceModel(config["model"], config["input_size"], config["hidden"],
                         config["output_size"], config["layers"], backend=backend,
                         generator=generator, forget_bias=forget_bias)
