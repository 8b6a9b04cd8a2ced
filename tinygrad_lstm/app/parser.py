"""The command line's parser: every command, option, range and default in one place (the
ranges are checked by the types in checks.py; what needs more than one option, by the
commands in cli.py)."""
from __future__ import annotations

import argparse

from . import checks
from .checks import float_in, int_in

DESCRIPTION = ("tinygrad-lstm: train recurrent nets, sample text, watch gradients flow back "
               "in time, draw unrolled graphs, run the benchmarks, or the demo that does a "
               "little of everything.")
TASK_DEFAULTS = {"adding": dict(seq_len=50, hidden=32), "copy": dict(seq_len=20, hidden=64),
                 "text": dict(seq_len=64, hidden=128)}
GRADFLOW_FORGET_BIAS = 3.0


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is reported in one line (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _common(p: argparse.ArgumentParser, seed: bool = True, memory: bool = True) -> None:
    p.add_argument("--backend", choices=("numpy", "cupy"), default="numpy",
                   help="array backend; cupy needs a CUDA GPU and the cuda12/cuda13 extra "
                        "(default: numpy)")
    if seed:
        p.add_argument("--seed", type=int_in(0, 2 ** 63 - 1), default=0,
                       help="random seed (default: 0)")
    if memory:
        p.add_argument("--max-memory", type=float_in(0, 1024, low_open=True), metavar="GIB",
                       default=checks.DEFAULT_MAX_MEMORY_GIB,
                       help="refuse a run estimated to need more memory than this many GiB "
                            f"(default: {checks.DEFAULT_MAX_MEMORY_GIB:g})")


def _sizes(p: argparse.ArgumentParser, hidden: int | None, layers: bool = True) -> None:
    if hidden is not None:
        p.add_argument("--hidden", type=int_in(1, 100_000), default=hidden,
                       help=f"hidden size (default: {hidden})")
    if layers:
        p.add_argument("--layers", type=int_in(1, 100), default=1,
                       help="stacked recurrent layers (default: 1)")


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a recurrent net on a task, with a loss-curve plot",
                       description="Train an RNN, LSTM or GRU with a linear readout (Adam, "
                                   "gradients clipped to norm 1) and plot its loss. The text "
                                   "task trains on the first 90% of the text and reports the "
                                   "loss on the last 10%, which it never trains on.")
    p.add_argument("task", choices=checks.TASKS, help="adding problem, copy task, or next "
                   "character of a text")
    p.add_argument("--model", choices=checks.KINDS, default="lstm", help="(default: lstm)")
    p.add_argument("--seq-len", type=int_in(1, 100_000), help="sequence length (copy: the "
                   "delay); default: " + ", ".join(f"{t} {d['seq_len']}"
                                                   for t, d in TASK_DEFAULTS.items()))
    p.add_argument("--hidden", type=int_in(1, 100_000), help="hidden size; default: " +
                   ", ".join(f"{t} {d['hidden']}" for t, d in TASK_DEFAULTS.items()))
    _sizes(p, None)
    p.add_argument("--steps", type=int_in(1, 10_000_000), default=500,
                   help="updates (default: 500)")
    p.add_argument("--batch", type=int_in(1, 1_000_000), default=32,
                   help="sequences per update (default: 32)")
    p.add_argument("--lr", type=float_in(0, 1, low_open=True), default=1e-2,
                   help="Adam's learning rate, in (0, 1] (default: 0.01)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True), default=None,
                   help="LSTM: the forget gates' bias at init, e.g. 1 to start them open "
                        "(default: none, PyTorch's random biases)")
    p.add_argument("--text", metavar="FILE", help="text task: train on FILE (UTF-8) instead "
                   "of the bundled corpus (default: the bundled corpus)")
    p.add_argument("--save", metavar="CKPT.npz", help="save the trained model, for `sample` "
                   "(default: not saved)")
    p.add_argument("--plot", metavar="PNG", help="loss-curve plot, .png, .svg or .pdf "
                   "(default: loss-TASK-MODEL.png)")
    _common(p)


def _add_sample(sub) -> None:
    p = sub.add_parser("sample", help="generate text from a saved character model",
                       description="Generate text from a model saved by `train text --save`, "
                                   "printing each character as it is drawn.")
    p.add_argument("checkpoint", help="a .npz written by `tinygrad-lstm train text --save`")
    p.add_argument("--length", type=int_in(0, 100_000_000), default=300,
                   help="characters to generate after the prime (default: 300)")
    p.add_argument("--prime", default="The ", help="text to start from (default: 'The ')")
    p.add_argument("--temperature", type=float_in(0.01, 100), default=0.8,
                   help="in [0.01, 100]: below 1 is more conservative, above 1 more "
                        "adventurous (default: 0.8)")
    _common(p)


def _add_gradflow(sub) -> None:
    p = sub.add_parser("gradflow", help="plot ||dL/dh_t|| against t: vanishing gradients",
                       description="On the adding problem, measure the gradient that reaches "
                                   "each earlier hidden state, for each model, at "
                                   "initialisation or after --train-steps updates.")
    p.add_argument("--models", nargs="+", choices=checks.KINDS, default=["rnn", "lstm"],
                   help="(default: rnn lstm)")
    p.add_argument("--seq-len", type=int_in(2, 100_000), default=100,
                   help="steps (default: 100)")
    _sizes(p, 32)
    p.add_argument("--batch", type=int_in(1, 100_000), default=16,
                   help="sequences the gradient is averaged over (default: 16)")
    p.add_argument("--train-steps", type=int_in(0, 1_000_000), default=0,
                   help="train each model this many updates first (default: 0, at init)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True),
                   default=GRADFLOW_FORGET_BIAS,
                   help="the LSTM's forget-gate bias at init. Gates biased open let the cell "
                        "state carry the gradient back through many steps (the carousel); "
                        "'none' keeps PyTorch's random biases, under which it fades almost "
                        f"as fast as the RNN's (default: {GRADFLOW_FORGET_BIAS:g})")
    p.add_argument("-o", "--output", default="gradflow.png", metavar="PNG",
                   help=".png, .svg or .pdf (default: gradflow.png)")
    _common(p)


def _add_bench(sub) -> None:
    sub.add_parser("bench", add_help=False,
                   help="time the LSTM paths against references (source checkout only; "
                        "`tinygrad-lstm bench --help` lists its options)")


def _add_demo(sub) -> None:
    from .demo import FULL_STEPS, DemoConfig
    p = sub.add_parser("demo", help="train an LSTM and an RNN on the adding problem and draw "
                                    "what happened",
                       description="Train an LSTM and a vanilla RNN on the adding problem, "
                                   "then write graphs, plots and a report to --out.")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--quick", action="store_true", help="a tiny configuration, seconds long "
                   "(default: off)")
    p.add_argument("--steps", type=int_in(1, 1_000_000), help="training updates per model "
                   f"(default: {FULL_STEPS}, with --quick 20)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True),
                   default=DemoConfig.forget_bias,
                   help="the LSTM's forget-gate bias at init: open gates let it carry "
                        "memory (and gradient) from the start; 'none' keeps PyTorch's "
                        f"random biases (default: {DemoConfig.forget_bias:g})")
    _common(p, memory=False)


def _add_render(sub) -> None:
    p = sub.add_parser("render", help="draw the unrolled graph of an RNN, LSTM or GRU",
                       description="Unroll a tl.nn model over --steps steps and draw the graph "
                                   "behind its loss; -o's suffix picks .svg, .png, .pdf, .dot "
                                   "or .html. No system Graphviz needed (the viz extra).")
    p.add_argument("model", choices=checks.KINDS)
    p.add_argument("--steps", type=int_in(1, 100_000), default=6,
                   help="time steps (default: 6)")
    _sizes(p, 8)
    p.add_argument("--view", choices=("op", "cell", "layer"), default="cell",
                   help="(default: cell)")
    p.add_argument("--grads", action="store_true",
                   help="run backward and colour by gradient norm (default: off)")
    p.add_argument("--max-steps", type=int_in(1, 200), help="steps drawn before the middle "
                   "ones collapse into one node (default: 8)")
    p.add_argument("--fused", action="store_true",
                   help="LSTM: draw the fused path (default: off, composed cells)")
    p.add_argument("-o", "--output", metavar="FILE", help="(default: MODEL-VIEW.svg)")
    _common(p)


def _add_paper(sub) -> None:
    p = sub.add_parser("paper", help="Hochreiter & Schmidhuber 1997's tasks, with the paper's "
                                     "stopping rules and tests",
                       description="Train on one of the 1997 LSTM paper's tasks until its "
                                   "stopping rule holds (or --max-sequences), then count "
                                   "errors on its test set: adding (--seq-len T: 100, 500, "
                                   "1000), reber (the embedded Reber grammar), order (the "
                                   "temporal order problem, --symbols 2 or 3), longlag (the "
                                   "noise-free long-lag task, --seq-len p).")
    p.add_argument("task", choices=("adding", "reber", "order", "longlag"))
    p.add_argument("--model", choices=checks.KINDS, default="lstm", help="(default: lstm)")
    p.add_argument("--seq-len", type=int_in(2, 100_000), help="adding: the minimal length T "
                   "(at least 20); longlag: the lag p (default: 100 for both)")
    p.add_argument("--symbols", type=int, choices=(2, 3), default=2,
                   help="order: relevant symbols, 2 (Task 6a) or 3 (Task 6b) (default: 2)")
    p.add_argument("--hidden", type=int_in(1, 100_000), help="hidden size (default: 16; "
                   "longlag 32)")
    p.add_argument("--batch", type=int_in(1, 100_000), help="sequences per update (default: "
                   "32; reber 16)")
    p.add_argument("--lr", type=float_in(0, 1, low_open=True), help="Adam's learning rate "
                   "(default: 0.01)")
    p.add_argument("--max-sequences", type=int_in(1, 100_000_000), default=100_000,
                   help="give up after this many training sequences (default: 100000)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True), default=5.0,
                   help="LSTM: the forget gates' bias at init; 5 starts them open, as the 1997 "
                        "cell (no forget gate) keeps its state; 'none': PyTorch's random "
                        "biases (default: 5)")
    p.add_argument("--input-bias", type=float_in(-20, 20, none=True), default=-3.0,
                   help="LSTM: the input gates' bias at init; -3 starts them closed, the "
                        "paper's remedy for state drift; 'none': PyTorch's random biases "
                        "(default: -3)")
    _common(p)


def build_parser(bench: bool = True) -> Parser:
    """The parser of every command; `bench` only where its script is (a source checkout)."""
    parser = Parser(prog="tinygrad-lstm", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    _add_train(sub)
    _add_sample(sub)
    _add_gradflow(sub)
    if bench:
        _add_bench(sub)
    _add_demo(sub)
    _add_render(sub)
    from .learn import add_parsers
    add_parsers(sub, _common)
    _add_paper(sub)
    return parser
