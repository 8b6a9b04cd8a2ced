"""tinygrad-lstm: train recurrent nets, sample text, watch gradients flow back in time,
draw unrolled graphs, run the benchmarks, or the demo that does a little of everything."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from . import experiments as ex
from .plots import require
from tinygrad_lstm.viz import VizUnavailable

TASK_DEFAULTS = {"adding": dict(seq_len=50, hidden=32), "copy": dict(seq_len=20, hidden=64),
                 "text": dict(seq_len=64, hidden=128)}


class UsageError(Exception):
    """A bad argument found after parsing: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is reported in one line (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def natural_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _common(p: argparse.ArgumentParser, seed: bool = True) -> None:
    p.add_argument("--backend", choices=("numpy", "cupy"), default="numpy",
                   help="array backend (cupy needs a CUDA GPU and the cuda12/cuda13 extra)")
    if seed:
        p.add_argument("--seed", type=natural_int, default=0, help="random seed (default 0)")


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a recurrent net on a task, with a loss-curve plot",
                       description="Train an RNN, LSTM or GRU with a linear readout (Adam, "
                                   "gradients clipped to norm 1) and plot its loss.")
    p.add_argument("task", choices=ex.TASKS, help="adding problem, copy task, or next character")
    p.add_argument("--model", choices=ex.KINDS, default="lstm")
    p.add_argument("--seq-len", type=positive_int, help="sequence length (copy: the delay); "
                   "default " + ", ".join(f"{t} {d['seq_len']}" for t, d in TASK_DEFAULTS.items()))
    p.add_argument("--hidden", type=positive_int, help="hidden size; default " +
                   ", ".join(f"{t} {d['hidden']}" for t, d in TASK_DEFAULTS.items()))
    p.add_argument("--layers", type=positive_int, default=1)
    p.add_argument("--steps", type=positive_int, default=500, help="updates (default 500)")
    p.add_argument("--batch", type=positive_int, default=32, help="batch size (default 32)")
    p.add_argument("--lr", type=positive_float, default=1e-2, help="Adam's learning rate (1e-2)")
    p.add_argument("--text", metavar="FILE", help="text task: train on FILE instead of the "
                   "bundled corpus")
    p.add_argument("--save", metavar="CKPT.npz", help="save the trained model (for `sample`)")
    p.add_argument("--plot", metavar="PNG", help="loss-curve plot (default loss-TASK-MODEL.png)")
    _common(p)


def _add_sample(sub) -> None:
    p = sub.add_parser("sample", help="generate text from a saved character model",
                       description="Generate text from a model saved by `train text --save`.")
    p.add_argument("checkpoint", help="a .npz written by `tinygrad-lstm train text --save`")
    p.add_argument("--length", type=positive_int, default=300, help="characters (default 300)")
    p.add_argument("--prime", default="The ", help="text to start from (default 'The ')")
    p.add_argument("--temperature", type=positive_float, default=0.8,
                   help="below 1 is more conservative, above 1 more adventurous (default 0.8)")
    _common(p)


def _add_gradflow(sub) -> None:
    p = sub.add_parser("gradflow", help="plot ||dL/dh_t|| against t: vanishing gradients",
                       description="On the adding problem, measure the gradient that reaches "
                                   "each earlier hidden state, for each model, at "
                                   "initialisation or after --train-steps updates.")
    p.add_argument("--models", nargs="+", choices=ex.KINDS, default=["rnn", "lstm"])
    p.add_argument("--seq-len", type=positive_int, default=100)
    p.add_argument("--hidden", type=positive_int, default=32)
    p.add_argument("--layers", type=positive_int, default=1)
    p.add_argument("--batch", type=positive_int, default=16)
    p.add_argument("--train-steps", type=natural_int, default=0,
                   help="train each model this many updates first (default 0: at init)")
    p.add_argument("--forget-bias", type=float, help="LSTM forget-gate bias at init")
    p.add_argument("-o", "--output", default="gradflow.png", metavar="PNG")
    _common(p)


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="time the LSTM paths against references "
                                     "(benchmarks/bench_lstm.py)",
                       description="Run benchmarks/bench_lstm.py from a source checkout; "
                                   "arguments after `--` go to the script.")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="train an LSTM and an RNN on the adding problem and draw "
                                    "what happened (well under a minute on 2 cores)",
                       description="Train an LSTM and a vanilla RNN on the adding problem, "
                                   "then write graphs, plots and a report to --out.")
    p.add_argument("--out", default="demo-out", help="output folder (default ./demo-out)")
    p.add_argument("--quick", action="store_true", help="a tiny configuration, seconds long")
    p.add_argument("--steps", type=positive_int, help="training updates per model")
    _common(p)


def _add_render(sub) -> None:
    p = sub.add_parser("render", help="draw the unrolled graph of an RNN, LSTM or GRU",
                       description="Unroll a tl.nn model over --steps steps and draw the graph "
                                   "behind its loss; -o's suffix picks .svg, .png, .pdf or .dot. "
                                   "No system Graphviz needed (the viz extra).")
    p.add_argument("model", choices=("rnn", "lstm", "gru"))
    p.add_argument("--steps", type=positive_int, default=6, help="time steps (default 6)")
    p.add_argument("--layers", type=positive_int, default=1)
    p.add_argument("--hidden", type=positive_int, default=8, help="hidden size (default 8)")
    p.add_argument("--view", choices=("op", "cell", "layer"), default="cell")
    p.add_argument("--grads", action="store_true", help="run backward and colour by gradient norm")
    p.add_argument("--max-steps", type=positive_int, help="steps drawn before the middle ones "
                   "collapse into one node (default 8)")
    p.add_argument("--fused", action="store_true", help="LSTM: the fused path (lstm_step nodes)")
    p.add_argument("-o", "--output", metavar="FILE", help="default MODEL-VIEW.svg")
    _common(p)


def build_parser() -> Parser:
    parser = Parser(prog="tinygrad-lstm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    _add_train(sub)
    _add_sample(sub)
    _add_gradflow(sub)
    _add_bench(sub)
    _add_demo(sub)
    _add_render(sub)
    return parser


def check_backend(name: str) -> None:
    """Build the backend up front, so that a missing CuPy or GPU is a one-line usage error
    (the backend itself says which of the two is missing)."""
    if name != "cupy":
        return
    from tinygrad_lstm import get_backend
    try:
        get_backend("cupy")
    except Exception as err:  # ImportError, no CUDA device, or CUDA's own driver error
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UsageError(f"--backend cupy is not available here ({reason}); use --backend "
                         f"numpy") from err


def _bar(total: int, desc: str):
    tqdm = require("tqdm")
    return tqdm.tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, leave=True)


def _suffix(path: str | None, allowed: tuple[str, ...], flag: str) -> None:
    if path is not None and Path(path).suffix.lower() not in allowed:
        raise UsageError(f"{flag} must end with {' or '.join(allowed)}, got {path!r}")


def cmd_train(args) -> int:
    defaults = TASK_DEFAULTS[args.task]
    seq_len = args.seq_len or defaults["seq_len"]
    hidden = args.hidden or defaults["hidden"]
    if args.text and args.task != "text":
        raise UsageError(f"--text is only for the text task, not {args.task!r}")
    if args.task == "adding" and seq_len < 2:
        raise UsageError("--seq-len must be at least 2 for the adding problem")
    _suffix(args.save, (".npz",), "--save")
    plot = args.plot or f"loss-{args.task}-{args.model}.png"
    _suffix(plot, (".png", ".svg", ".pdf"), "--plot")
    text = None
    if args.text:
        try:
            text = Path(args.text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"--text: cannot read {args.text!r} ({err})") from err
    task = ex.make_task(args.task, seq_len, text)
    config = dict(task=args.task, model=args.model, seq_len=seq_len, hidden=hidden,
                  layers=args.layers, input_size=task.input_size,
                  output_size=task.output_size, **task.info)
    gen = np.random.default_rng(args.seed)
    model = ex.build_model(config, args.backend, gen)
    with _bar(args.steps, f"{args.model} on {args.task}") as bar:
        losses = ex.train(model, task, args.steps, args.lr, args.batch, gen, args.backend, bar=bar)
    final = ex.evaluate(model, task, 256, gen, args.backend)
    from . import plots
    plots.loss_curves({args.model: losses}, plot, task.baseline,
                      title=f"{args.model} on the {args.task} task, length {seq_len}")
    print(f"loss on a fresh batch {final:.4f} (a model with no memory scores "
          f"{task.baseline:.4f})")
    print(f"loss curve: {plot}")
    if args.save:
        ex.save_checkpoint(args.save, model, config)
        print(f"model: {args.save}")
    return 0


def cmd_sample(args) -> int:
    _suffix(args.checkpoint, (".npz",), "checkpoint")
    if not Path(args.checkpoint).is_file():
        raise UsageError(f"no checkpoint at {args.checkpoint!r}; make one with "
                         f"`tinygrad-lstm train text --save {args.checkpoint}`")
    model, config = ex.load_checkpoint(args.checkpoint, args.backend)
    if config.get("task") != "text":
        raise UsageError(f"{args.checkpoint} holds a model of the {config.get('task')!r} task; "
                         f"sample needs one trained with `tinygrad-lstm train text`")
    unknown = sorted(set(args.prime) - set(config["vocab"]))
    if not args.prime or unknown:
        raise UsageError(f"--prime must be non-empty text the model knows; unknown characters: "
                         f"{''.join(unknown)!r}")
    print(ex.sample(model, config["vocab"], args.prime, args.length, args.temperature,
                    np.random.default_rng(args.seed)))
    return 0


def cmd_gradflow(args) -> int:
    _suffix(args.output, (".png", ".svg", ".pdf"), "--output")
    if args.seq_len < 2:
        raise UsageError("--seq-len must be at least 2 for the adding problem")
    if args.forget_bias is not None and "lstm" not in args.models:
        raise UsageError("--forget-bias applies to the lstm model; add lstm to --models")
    task = ex.make_task("adding", args.seq_len)
    flows = {}
    for kind in dict.fromkeys(args.models):
        gen = np.random.default_rng(args.seed)
        model = ex.SequenceModel(kind, 2, args.hidden, 1, args.layers, generator=gen,
                                 backend=args.backend,
                                 forget_bias=args.forget_bias if kind == "lstm" else None)
        if args.train_steps:
            with _bar(args.train_steps, f"training {kind}") as bar:
                ex.train(model, task, args.train_steps, 1e-2, 32, gen, args.backend, bar=bar)
        x, y = task.batch(args.batch, gen, args.backend)
        model = ex.copy_model(model, "float64", backend=args.backend)  # tiny norms stay > 0
        flows[kind] = ex.gradient_flow(model, x.double(), y.double())["h"]
    when = f"after {args.train_steps} updates" if args.train_steps else "at initialisation"
    print(f"||dL/dh_t|| on the adding problem, length {args.seq_len}, {when}")
    lags = [lag for lag in (1, 10, 100, 1000, 10000) if lag < args.seq_len - 1]
    lags.append(args.seq_len - 1)                           # back to the first step
    print("steps before the loss " + "".join(f"{lag:>12}" for lag in lags))
    for kind, norms in flows.items():
        print(f"{kind:<22}" + "".join(f"{norms[-1 - lag]:>12.3e}" for lag in lags))
    from . import plots
    plots.gradient_flow(flows, args.output,
                        title=f"gradient reaching each step {when} (adding problem)")
    print(f"plot: {args.output}")
    return 0


def find_bench_script() -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        script = root / "benchmarks" / "bench_lstm.py"
        if script.is_file():
            return script
    return None


def cmd_bench(args) -> int:
    script = find_bench_script()
    if script is None:
        raise UsageError("the benchmarks ship with the source tree, not the installed package; "
                         "run this from a checkout that has benchmarks/bench_lstm.py")
    rest = args.args[1:] if args.args[:1] == ["--"] else args.args
    return subprocess.call([sys.executable, str(script), *rest])


def cmd_demo(args) -> int:
    from .demo import run_demo
    run_demo(out=args.out, quick=args.quick, steps=args.steps, backend=args.backend,
             seed=args.seed)
    return 0


def cmd_render(args) -> int:
    import tinygrad_lstm as tl
    loss, _model = ex.graph_loss(args.model, steps=args.steps, layers=args.layers,
                              hidden=args.hidden, seed=args.seed, fused=args.fused,
                              backend=args.backend)
    if args.grads:
        with tl.tape.track_grad_norms():
            loss.backward()
    path = args.output or f"{args.model}-{args.view}.svg"
    print(tl.viz.render(loss, path, view=args.view, grads=args.grads, max_steps=args.max_steps))
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "gradflow": cmd_gradflow,
            "bench": cmd_bench, "demo": cmd_demo, "render": cmd_render}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_backend(getattr(args, "backend", "numpy"))
        return COMMANDS[args.command](args)
    except UsageError as err:
        parser.exit(2, f"{parser.prog} {args.command}: error: {err}\n")
    except (ImportError, OSError, ValueError, VizUnavailable) as err:
        parser.exit(1, f"{parser.prog} {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
