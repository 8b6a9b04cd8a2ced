"""Hochreiter & Schmidhuber (1997), reproduced: train a model on one of the paper's tasks
until the paper's own stopping rule holds, then count its errors on the paper's test set.

    result = run_paper("adding", "lstm", seq_len=100)
    print(report(result))

The tasks and their criteria are in tinygrad_lstm.tasks.paper1997. What differs from the
paper: Adam on minibatches with gradients clipped to norm 1 (the paper: plain gradient
steps after every sequence, with its own truncated gradient), PyTorch's LSTM (forget gate
included, its bias set open) and a softmax readout for the tasks with one-hot targets.
Sequences are counted the paper's way: every training sequence the model has seen.
"""
from __future__ import annotations

import collections
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import tinygrad_lstm as tl
from tinygrad_lstm import optim
from tinygrad_lstm.nn import functional as F
from tinygrad_lstm.tasks import paper1997 as P

from .experiments import SequenceModel

PAPER_TASKS = ("adding", "reber", "order", "longlag")
# What the paper reports for its LSTM (means over 10 to 30 trials): training sequences until
# its stopping rule held, and errors on its test set.
PAPER_RESULTS = {
    ("adding", 100): "74,000 sequences; 1 of 2,560 test sequences wrong",
    ("adding", 500): "209,000 sequences; 0 of 2,560 wrong",
    ("adding", 1000): "853,000 sequences; 1 of 2,560 wrong",
    ("reber", 0): "8,440 to 39,740 sequences (by architecture and learning rate); 97-100% of trials",
    ("order", 2): "31,390 sequences; 1 of 2,560 wrong",
    ("order", 3): "571,100 sequences; 2 of 2,560 wrong",
    ("longlag", 100): "5,040 sequences; 100% of trials (RTRL and BPTT: 0%)",
}
DEFAULTS = {"adding": dict(seq_len=100, hidden=16, batch=32, lr=0.01),
            "reber": dict(seq_len=0, hidden=16, batch=16, lr=0.01),
            "order": dict(seq_len=2, hidden=16, batch=32, lr=0.01),
            "longlag": dict(seq_len=100, hidden=32, batch=32, lr=0.01)}
# The LSTM starts as the paper's does: the 1997 cell has no forget gate (it keeps its state
# unless told otherwise), so the forget gates start open, f = sigmoid(5) ~ 0.993; and its
# input gates start closed (the paper: biases -2, -4, -6 for its blocks), so that the cells
# do not fill up with whatever comes before the inputs worth storing ("state drift").
FORGET_BIAS = 5.0
INPUT_BIAS = -3.0
WINDOW = 2000          # the stopping rule looks at this many most recent training sequences


@dataclass
class PaperTask:
    """One task of the paper: how to draw data, score outputs and stop."""

    name: str
    size: int                         # T for adding, p for longlag, 2 or 3 symbols for order
    input_size: int
    output_size: int
    draw: Callable[..., tuple]        # draw(n, generator, backend) -> batch (x first)
    loss: Callable[[tl.Tensor, tuple], tl.Tensor]
    correct: Callable[[tl.Tensor, tuple], np.ndarray]   # the paper's criterion, per sequence
    error: Callable[[tl.Tensor, tuple], np.ndarray]     # squared error per sequence
    max_error: float                  # the stopping rule's bound on the mean error
    test_size: int
    test_lengths: tuple[int, int] | None = None         # lengths drawn for each test sequence
    fixed: dict = field(default_factory=dict)           # reber: the training and test strings


def _last_probs(out: tl.Tensor) -> np.ndarray:
    with tl.no_grad():
        return F.softmax(out[-1]).numpy()


def _order(relevant: int) -> PaperTask:
    classes = 2 ** relevant

    def draw(n, gen, bk, length=None):
        return P.temporal_order(n, relevant, length=length, generator=gen, backend=bk)

    def sq_error(out, batch):
        return ((_last_probs(out) - np.eye(classes)[batch[1].numpy()]) ** 2).mean(axis=-1)
    return PaperTask("order", relevant, 8, classes, draw,
                     lambda out, b: F.cross_entropy(out[-1], b[1]),
                     lambda out, b: P.temporal_order_correct(_last_probs(out), b[1].numpy()),
                     sq_error, 0.1, 2560, (100, 110))


def _adding(min_len: int) -> PaperTask:
    def draw(n, gen, bk, length=None):
        return P.adding_1997(n, min_len, length=length, generator=gen, backend=bk)

    def sq_error(out, batch):
        return ((out[-1].numpy() - batch[1].numpy()) ** 2)[:, 0]
    return PaperTask("adding", min_len, 2, 1, draw,
                     lambda out, b: F.mse_loss(out[-1], b[1]),
                     lambda out, b: P.adding_1997_correct(out[-1].numpy(), b[1].numpy()),
                     sq_error, 0.01, 2560, (min_len, min_len + min_len // 10))


def _long_lag(p: int) -> PaperTask:
    def probs(out):
        with tl.no_grad():
            return F.softmax(out).numpy()

    def sq_error(out, batch):
        return ((probs(out) - np.eye(p + 1)[batch[1].numpy()]) ** 2).mean(axis=(0, 2))
    return PaperTask("longlag", p, p + 1, p + 1,
                     lambda n, gen, bk, length=None: P.long_lag(n, p, generator=gen, backend=bk),
                     lambda out, b: F.cross_entropy(out.reshape(-1, p + 1), b[1].reshape(-1)),
                     lambda out, b: P.long_lag_correct(probs(out), b[1].numpy()),
                     sq_error, 0.01, 10_000)


def _reber(generator: np.random.Generator) -> PaperTask:
    train = P.embedded_reber(256, generator=generator)   # the paper: 256 and 256, disjoint
    seen, test = set(train), []
    while len(test) < 256:
        test += [s for s in P.embedded_reber(256, generator=generator) if s not in seen]
    test = test[:256]

    def draw(n, gen, bk, length=None):
        return P.encode_reber([train[i] for i in gen.integers(0, len(train), size=n)], backend=bk)

    def loss(out, batch):
        _, follow, mask = batch
        each = F.binary_cross_entropy_with_logits(out, follow, reduction="none")
        return (each * mask.reshape(*mask.shape, 1)).sum() / (mask.sum() * 7.0)

    def correct(out, batch):
        return P.reber_correct(out.numpy(), batch[1].numpy(), batch[2].numpy())
    return PaperTask("reber", 0, 7, 7, draw, loss, correct, lambda out, b: np.zeros(0),
                     math.inf, 256, fixed={"train": train, "test": test})


def make_paper_task(name: str, size: int, generator: np.random.Generator) -> PaperTask:
    """The task `name` (one of PAPER_TASKS); `size` is T (adding), p (longlag) or the
    number of relevant symbols (order, 2 or 3); reber ignores it."""
    if name == "adding":
        return _adding(size)
    if name == "order":
        return _order(size)
    if name == "longlag":
        return _long_lag(size)
    if name == "reber":
        return _reber(generator)
    raise ValueError(f"make_paper_task: task must be one of {', '.join(PAPER_TASKS)}, got {name!r}")


@dataclass
class PaperResult:
    task: str
    size: int
    model: str
    hidden: int
    parameters: int
    solved: bool
    sequences: int            # training sequences seen when the stopping rule held (or at the cap)
    test_wrong: int
    test_size: int
    seconds: float

    def paper(self) -> str:
        return PAPER_RESULTS.get((self.task, self.size), "not reported")


def _test_batches(task: PaperTask, gen: np.random.Generator, backend: Any,
                  strings: list[str] | None = None, chunk: int = 500):
    """The test set, drawn batch by batch; sequences of different lengths in batches of
    one length each, with as many of each length as independent draws would give.
    reber: its fixed test strings, or `strings`."""
    if task.fixed:
        strings = task.fixed["test"] if strings is None else strings
        for start in range(0, len(strings), chunk):
            yield P.encode_reber(strings[start:start + chunk], backend=backend)
        return
    low, high = task.test_lengths or (None, None)
    lengths = gen.integers(low, high + 1, size=task.test_size) if low else [None]
    counts = collections.Counter(lengths) if low else {None: task.test_size}
    for length, count in sorted(counts.items(), key=lambda kv: kv[0] or 0):
        for start in range(0, count, chunk):
            yield task.draw(min(chunk, count - start), gen, backend, length=length)


def count_wrong(model: SequenceModel, task: PaperTask, gen: np.random.Generator,
                backend: Any = None, strings: list[str] | None = None) -> tuple[int, int]:
    """(sequences the paper's criterion rejects, sequences tested)."""
    wrong = total = 0
    with tl.no_grad():
        for batch in _test_batches(task, gen, backend, strings):
            ok = task.correct(outputs(model, batch[0]), batch)
            wrong, total = wrong + int((~ok).sum()), total + len(ok)
    return wrong, total


def outputs(model: SequenceModel, x: tl.Tensor) -> tl.Tensor:
    """The readout at every step, (L, N, out). The steps are stacked into one matrix
    before the readout: NumPy multiplies a stack of small matrices many times slower."""
    out, _ = model.recurrent(x)
    steps, n, hidden = out.shape
    y = model.head(out.reshape(steps * n, hidden))
    if getattr(model, "skip", None) is not None:     # longlag: inputs reach the outputs too
        y = y + model.skip(x.reshape(steps * n, x.shape[-1]))
    return y.reshape(steps, n, model.head.out_features)


def set_input_bias(layer: tl.nn.LSTM, value: float) -> None:
    """Bias every input gate of an LSTM layer to `value` at init (b_ii = value, b_hi = 0):
    the paper's remedy for state drift, gates that open only for inputs worth storing."""
    size = layer.hidden_size
    for bias, v in ((layer.bias_ih_l0, value), (layer.bias_hh_l0, 0.0)):
        array = bias.numpy().copy()
        array[:size] = v
        with tl.no_grad():
            bias.copy_(bias.backend.asarray(array, dtype=bias.backend.dtype_name(bias.dtype)))


def _stopped(task: PaperTask, recent: collections.deque, errors: collections.deque) -> bool:
    return len(recent) == WINDOW and all(recent) and float(np.mean(errors)) < task.max_error


def run_paper(name: str, kind: str = "lstm", *, seq_len: int | None = None,
              hidden: int | None = None, batch: int | None = None, lr: float | None = None,
              max_sequences: int = 100_000, seed: int = 0, backend: Any = None,
              forget_bias: float | None = FORGET_BIAS, input_bias: float | None = INPUT_BIAS,
              log: Callable[[str], None] | None = None, log_every: float = 10.0) -> PaperResult:
    """Train `kind` (rnn, lstm, gru) on a task of the paper until its stopping rule holds or
    `max_sequences` training sequences have been seen, then test it. Defaults per task in
    DEFAULTS; an LSTM's gate biases as FORGET_BIAS and INPUT_BIAS say (None: PyTorch's
    random biases); `log` (print, say) hears of progress every `log_every` seconds."""
    opts = {**DEFAULTS[name], **{k: v for k, v in dict(seq_len=seq_len, hidden=hidden,
                                                        batch=batch, lr=lr).items() if v}}
    gen = np.random.default_rng(seed)
    task = make_paper_task(name, opts["seq_len"], gen)
    model = SequenceModel(kind, task.input_size, opts["hidden"], task.output_size, generator=gen,
                          backend=backend, forget_bias=forget_bias if kind == "lstm" else None)
    if name == "longlag":   # the paper's net: "each layer has connections from all layers below"
        model.skip = tl.nn.Linear(task.input_size, task.output_size, bias=False, generator=gen,
                                  backend=backend)
    if kind == "lstm" and input_bias is not None:
        set_input_bias(model.recurrent, input_bias)
    opt = optim.Adam(model.parameters(), lr=opts["lr"])
    recent, errors = collections.deque(maxlen=WINDOW), collections.deque(maxlen=WINDOW)
    start = last_log = time.perf_counter()
    seen, solved = 0, False
    while seen < max_sequences and not solved:
        data = task.draw(opts["batch"], gen, backend)
        out = outputs(model, data[0])
        loss = task.loss(out, data)
        if not math.isfinite(loss.item()):
            raise ValueError(f"training diverged at {seen:,} sequences; try a smaller --lr")
        recent.extend(task.correct(out, data).tolist())
        errors.extend(task.error(out, data).tolist())
        opt.zero_grad()
        loss.backward()
        tl.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen += opts["batch"]
        if task.fixed:   # reber: solved when every training and test string is predicted right
            both = task.fixed["test"] + task.fixed["train"]
            solved = seen % (5 * opts["batch"]) == 0 and \
                count_wrong(model, task, gen, backend, both)[0] == 0
        else:
            solved = _stopped(task, recent, errors)
        if log and time.perf_counter() - last_log > log_every:
            last_log = time.perf_counter()
            log(f"  {seen:>9,} sequences  loss {loss.item():.4f}  recent correct "
                f"{sum(recent):,}/{len(recent):,}  {last_log - start:.0f} s")
    wrong, total = count_wrong(model, task, np.random.default_rng(seed + 1), backend)
    parameters = sum(int(np.prod(p.shape)) for p in model.parameters())
    return PaperResult(name, task.size, kind, opts["hidden"], parameters, solved, seen, wrong,
                       total, time.perf_counter() - start)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def describe(name: str, size: int) -> str:
    """The task in words, e.g. 'adding problem, T = 100'."""
    return {"adding": f"adding problem, T = {size}", "reber": "embedded Reber grammar",
            "order": f"temporal order, {size} symbols", "longlag": f"noise-free long lag, p = {size}"}[name]


def report(result: PaperResult) -> str:
    """What a run found, beside what the paper reports."""
    what = (f"solved after {result.sequences:,} training sequences" if result.solved else
            f"NOT solved within {result.sequences:,} training sequences")
    return "\n".join([
        f"{describe(result.task, result.size)}: {result.model}, hidden {result.hidden} "
        f"({result.parameters:,} parameters)",
        f"  {what}",
        f"  test: {result.test_wrong:,} of {result.test_size:,} sequences wrong",
        f"  wall time {_duration(result.seconds)}",
        f"  the paper's LSTM: {result.paper()}"])
