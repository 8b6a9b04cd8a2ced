"""`tinygrad-lstm demo`: an LSTM and a vanilla RNN learn the adding problem, then the run
is drawn: unrolled graphs, the gradient reaching each time step, loss curves, a report.

Everything lands in one folder (./demo-out by default):
    lstm-cell.svg       the trained LSTM unrolled, one node per time step (cell view),
                        edges shaded by the gradient they carried
    lstm-ops.svg        the same LSTM run on three steps, every primitive op drawn (op view)
    rnn-ops.svg         the RNN run on three steps (op view)
    lstm-explorer.html  the trained LSTM in the explorer: every view, pan and zoom, and the
                        backward pass step by step (open it in a browser)
    gradient-flow.png   ||dL/dh_t|| against t for both models: vanishing gradients
    loss-curves.png     training loss of both models
    report.txt          the configuration, the timings and the final errors
Each plot's numbers are saved beside it (gradient-flow.json, loss-curves.json).
"""
from __future__ import annotations

import math
import textwrap
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

import tinygrad_lstm as tl

from . import experiments as ex
from . import plots

FULL_STEPS = 1500   # with seeds 0-3 the LSTM gets below 0.02 within 400-750 updates


@dataclass(frozen=True)
class DemoConfig:
    seq_len: int = 50       # steps per sequence of the adding problem
    hidden: int = 32
    batch: int = 64
    steps: int = FULL_STEPS  # updates per model
    lr: float = 1e-2
    eval_batch: int = 1000
    graph_steps: int = 3    # steps drawn in the op views
    # The LSTM's forget gates start biased open (sigmoid(1) = 0.73), as Jozefowicz et al.
    # (2015) recommend: from the first update the cell state carries memory and gradient
    # back through many steps. The RNN has no such gate.
    forget_bias: float | None = 1.0


QUICK = DemoConfig(seq_len=10, hidden=8, batch=16, steps=20, eval_batch=64, graph_steps=2)


def _draw(model: ex.SequenceModel, x, y, path: Path, view: str, grads: bool, title: str) -> Path:
    """Run `model` on x with recording on and render the graph behind its loss."""
    out, _ = model(x)
    loss = ex.make_task("adding", x.shape[0]).loss(out, y)
    # the explorer also summarises every gate and state, from a trace of the same run
    values = {"values": tl.viz.trace(model.recurrent, x)} if path.suffix == ".html" else {}
    tl.viz.render(loss, path, view=view, grads=grads, title=title, **values)
    return path


def train_models(cfg: DemoConfig, task, backend: str, seed: int) -> tuple[dict, dict, dict]:
    """An LSTM (forget gates biased by cfg.forget_bias) and a vanilla RNN, trained alike with
    a progress bar: the models, their loss curves and their training times, by kind."""
    models, losses, seconds = {}, {}, {}
    for kind in ("lstm", "rnn"):
        gen = np.random.default_rng(seed)
        model = ex.SequenceModel(kind, 2, cfg.hidden, 1, backend=backend, generator=gen,
                                 forget_bias=cfg.forget_bias if kind == "lstm" else None)
        start = time.perf_counter()
        with plots.progress_bar(cfg.steps, f"{kind:>4} on adding (T={cfg.seq_len})") as bar:
            losses[kind] = ex.train(model, task, cfg.steps, cfg.lr, cfg.batch, gen, backend, bar=bar)
        seconds[kind] = time.perf_counter() - start
        models[kind] = model
    return models, losses, seconds


def run_demo(out: str | Path = "demo-out", quick: bool = False, steps: int | None = None,
             backend: str = "numpy", seed: int = 0, echo: Callable[[str], None] = print,
             forget_bias: float | None = DemoConfig.forget_bias) -> dict[str, Path]:
    """Train, measure, draw and report; returns the files written, by name."""
    cfg = replace(QUICK if quick else DemoConfig(), forget_bias=forget_bias)
    cfg = replace(cfg, steps=steps) if steps else cfg
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = ex.make_task("adding", cfg.seq_len)
    intro = (f"The adding problem: {cfg.seq_len} steps of (value, marker); the target is the "
             f"sum of the two marked values. Predicting the mean scores MSE "
             f"{task.baseline:.4f}. Training an LSTM and a vanilla RNN, {cfg.steps} updates "
             f"each ({backend}). {forget_gate_note(cfg.forget_bias)}")
    echo(textwrap.fill(intro, 88))
    models, losses, seconds = train_models(cfg, task, backend, seed)
    errors = {}
    held_out = np.random.default_rng(seed + 1)
    x_eval, y_eval = task.batch(cfg.eval_batch, held_out, backend)
    for kind, model in models.items():
        with tl.no_grad():
            errors[kind] = task.loss(model(x_eval)[0], y_eval).item()

    echo("Measuring the gradient that reaches each time step ...")
    x, y = task.batch(16, held_out, backend)
    flows = {kind: ex.gradient_flow(ex.copy_model(model, "float64", backend=backend),
                                    x.double(), y.double())["h"]
             for kind, model in models.items()}   # float64: an RNN's gradient underflows float32

    echo("Drawing the unrolled graphs ...")
    files: dict[str, Path] = {}
    skipped = ""
    try:
        with plots.quiet_fontconfig():
            files.update(draw_graphs(models, x, y, out, cfg, backend))
    except ImportError as err:   # no graphviz: everything else still works
        skipped = f"graphs skipped: {err}"
        echo(skipped)
    files["gradient-flow"] = plots.gradient_flow(
        flows, out / "gradient-flow.png",
        title=f"gradient reaching each step after training (adding problem, T={cfg.seq_len})")
    files["loss-curves"] = plots.loss_curves(
        losses, out / "loss-curves.png", task.baseline, "predict the mean",
        title=f"training loss on the adding problem, T={cfg.seq_len}", ylabel="MSE")
    files["report"] = out / "report.txt"
    files["report"].write_text(report(cfg, backend, models, seconds, errors, flows,
                                      task.baseline, files, skipped))
    echo(files["report"].read_text())
    return files


def draw_graphs(models: dict, x, y, out: Path, cfg: DemoConfig, backend: str) -> dict[str, Path]:
    """The LSTM in cell view (every step, the middle ones elided, shaded by gradient), the
    last few steps of the LSTM and of the RNN in op view; two sequences of the batch."""
    short = slice(cfg.seq_len - cfg.graph_steps, None)
    composed = ex.copy_model(models["lstm"], fused=False, backend=backend)   # every step's
    return {                                                                 # gradient shows
        "lstm-cell": _draw(composed, x[:, :2], y[:2], out / "lstm-cell.svg", "cell", True,
                           f"trained LSTM, cell view, {cfg.seq_len} steps (middle steps "
                           f"elided), shaded by gradient norm"),
        "lstm-ops": _draw(composed, x[short, :2], y[:2],
                          out / "lstm-ops.svg", "op", False,
                          f"trained LSTM, op view, run on {cfg.graph_steps} steps"),
        "rnn-ops": _draw(models["rnn"], x[short, :2], y[:2], out / "rnn-ops.svg", "op", False,
                         f"trained RNN, op view, run on {cfg.graph_steps} steps"),
        "lstm-explorer": _draw(composed, x[:, :2], y[:2], out / "lstm-explorer.html", "cell",
                               True, f"trained LSTM, {cfg.seq_len} steps: step through "
                                     f"the backward pass"),
    }


def forget_gate_note(bias: float | None, width: int = 0) -> str:
    """A sentence on the LSTM's forget-gate bias (--forget-bias), wrapped at `width`."""
    if bias is None:
        text = "The LSTM's forget gates start with PyTorch's random biases (--forget-bias none)."
    else:
        gate = 1.0 / (1.0 + math.exp(-bias))
        text = (f"The LSTM's forget gates start with bias {bias:g} (--forget-bias), so each "
                f"keeps about {gate:.0%} of the cell state per step at first: the more it keeps, the "
                f"further back memory and gradient reach.")
    return textwrap.fill(text, width) if width else text


def report(cfg: DemoConfig, backend: str, models: dict, seconds: dict, errors: dict,
           flows: dict, baseline: float, files: dict[str, Path], skipped: str = "") -> str:
    lines = ["tinygrad-lstm demo: the adding problem", "",
             f"Sequences of {cfg.seq_len} steps, each step a value from U(0, 1) and a marker; the",
             "target is the sum of the two marked values. Predicting the mean scores an MSE of",
             f"{baseline:.4f}. Adam (lr {cfg.lr}), batches of {cfg.batch}, gradients clipped to "
             f"norm 1, {backend} backend.", *forget_gate_note(cfg.forget_bias, 88).split("\n"),
             "",
             f"{'model':<6}{'hidden':>7}{'params':>8}{'updates':>9}{'time':>9}"
             f"{'held-out MSE':>14}{'grad ratio':>12}"]
    for kind, model in models.items():
        params = sum(p.size for p in model.parameters())
        ratio = flows[kind][0] / flows[kind][-1]
        lines.append(f"{kind:<6}{cfg.hidden:>7}{params:>8}{cfg.steps:>9}{seconds[kind]:>8.1f}s"
                     f"{errors[kind]:>14.4f}{ratio:>12.1e}")
    lines += ["", f"held-out MSE: on {cfg.eval_batch} fresh sequences.",
              f"grad ratio: ||dL/dh_0|| / ||dL/dh_{cfg.seq_len - 1}||, how much of the gradient at "
              f"the last step", "reaches the first one (after training).", "", "Files:"]
    lines += [f"  {path}" for path in files.values()]
    lines += [f"  ({skipped})"] if skipped else []
    return "\n".join(lines) + "\n"
