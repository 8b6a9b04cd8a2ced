"""tinygrad-lstm: train recurrent nets, sample text, watch gradients flow back in time,
draw unrolled graphs, run the benchmarks, or the demo that does a little of everything."""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

import tinygrad_lstm as tl

from . import checks
from . import experiments as ex
from .checks import UsageError, check_memory, check_output, float_in, int_in
from .plots import quiet_fontconfig, require

TASK_DEFAULTS = {"adding": dict(seq_len=50, hidden=32), "copy": dict(seq_len=20, hidden=64),
                 "text": dict(seq_len=64, hidden=128)}
PLOTS = (".png", ".svg", ".pdf")
GRADFLOW_FORGET_BIAS = 3.0
TEXT_BYTES_PER_CHAR = 40      # the text, its codes and the list they are made from
SOURCE_ROOT = Path(__file__).resolve().parents[2]   # a source checkout's root, if this is one


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
                                   "task trains on the first 90%% of the text and reports the "
                                   "loss on the last 10%%, which it never trains on.")
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


def build_parser() -> Parser:
    parser = Parser(prog="tinygrad-lstm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    _add_train(sub)
    _add_sample(sub)
    _add_gradflow(sub)
    if find_bench_script() is not None:
        _add_bench(sub)
    _add_demo(sub)
    _add_render(sub)
    return parser


def check_backend(name: str) -> None:
    """Build the backend up front, so that a missing CuPy or GPU is a one-line usage error
    (the backend itself says which of the two is missing)."""
    if name != "cupy":
        return
    try:
        tl.get_backend("cupy")
    except Exception as err:  # ImportError, no CUDA device, or CUDA's own driver error
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UsageError(f"--backend cupy is not available here ({reason}); use --backend "
                         f"numpy") from err


def _bar(total: int, desc: str):
    tqdm = require("tqdm")
    return tqdm.tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, leave=True)


def _read_text(path: str, limit_gib: float) -> str:
    try:
        size = Path(path).stat().st_size
    except OSError as err:
        raise UsageError(f"--text: cannot read {path!r} ({err.strerror or err})") from err
    check_memory(size * TEXT_BYTES_PER_CHAR, limit_gib, f"--text {path!r} ({size:,} bytes)",
                 "use a shorter text or raise --max-memory")
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--text: cannot read {path!r} as UTF-8 text ({err})") from err


def _train_task(args, seq_len: int):
    """The task, its checks done first: a text long enough to hold out a tenth."""
    if args.forget_bias is not None and args.model != "lstm":
        raise UsageError(f"--forget-bias applies to --model lstm, not {args.model}")
    if args.text and args.task != "text":
        raise UsageError(f"--text is only for the text task, not {args.task!r}")
    if args.task == "adding" and seq_len < 2:
        raise UsageError("--seq-len must be at least 2 for the adding problem")
    text = _read_text(args.text, args.max_memory) if args.text else None
    if args.task == "text":
        corpus = text if text is not None else tl.tasks.load_corpus()
        if ex.text_split(len(corpus), seq_len) is None:
            source = f"--text {args.text!r}" if args.text else "the bundled corpus"
            raise UsageError(f"{source} has {len(corpus):,} characters, too few for windows of "
                             f"--seq-len {seq_len} + 1 in both the training part and the "
                             f"held-out last tenth; use a longer text or a shorter --seq-len")
    return ex.make_task(args.task, seq_len, text)


def cmd_train(args) -> int:
    defaults = TASK_DEFAULTS[args.task]
    seq_len = args.seq_len or defaults["seq_len"]
    hidden = args.hidden or defaults["hidden"]
    plot = args.plot or f"loss-{args.task}-{args.model}.png"
    check_output(args.save, (".npz",), "--save")
    check_output(plot, PLOTS, "--plot")
    task = _train_task(args, seq_len)
    config = dict(task=args.task, model=args.model, seq_len=seq_len, hidden=hidden,
                  layers=args.layers, input_size=task.input_size,
                  output_size=task.output_size, **task.info)
    need = checks.run_bytes(args.model, task.input_size, hidden, task.output_size,
                            args.layers, seq_len, max(args.batch, 256))
    check_memory(need, args.max_memory, f"training with --batch {args.batch}, --seq-len "
                 f"{seq_len}, --hidden {hidden}, --layers {args.layers}",
                 "make one of them smaller or raise --max-memory")
    gen = np.random.default_rng(args.seed)
    model = ex.build_model(config, args.backend, gen, forget_bias=args.forget_bias)
    with _bar(args.steps, f"{args.model} on {args.task}") as bar:
        losses = ex.train(model, task, args.steps, args.lr, args.batch, gen, args.backend, bar=bar)
    final = ex.evaluate(model, task, 256, np.random.default_rng(args.seed + 1), args.backend)
    if args.save:                          # the model first: a plot that fails cannot lose it
        ex.save_checkpoint(args.save, model, config)
    from . import plots
    plots.loss_curves({args.model: losses}, plot, task.baseline,
                      title=f"{args.model} on the {args.task} task, length {seq_len}")
    where = ("held-out text (the last tenth, never trained on)" if task.held_out
             else "a fresh batch")
    print(f"loss on {where}: {final:.4f} (a model with no memory scores {task.baseline:.4f})")
    print(f"loss curve: {plot}")
    if args.save:
        print(f"model: {args.save}")
    return 0


def _load_text_model(args):
    path = args.checkpoint
    if Path(path).suffix.lower() != ".npz":
        raise UsageError(f"checkpoint must end with .npz, got {path!r}")
    if not Path(path).is_file():
        raise UsageError(f"no checkpoint at {path!r}; make one with "
                         f"`tinygrad-lstm train text --save {path}`")
    try:
        arrays, config = ex.read_checkpoint(path)
    except UsageError:
        raise
    except Exception as err:   # whatever a damaged or hostile file does to the reader
        message = str(err) if path in str(err) else f"cannot read the checkpoint {path!r}: {err}"
        raise UsageError(message) from err
    if config["task"] != "text":
        raise UsageError(f"{path} holds a model of the {config['task']!r} task; sample needs "
                         f"one trained with `tinygrad-lstm train text`")
    sizes = [config[k] for k in ("model", "input_size", "hidden", "output_size", "layers")]
    check_memory(checks.model_bytes(*sizes), args.max_memory,
                 f"{path}: the model its config describes (hidden={config['hidden']}, "
                 f"layers={config['layers']})", "it was not made by `train --save` here")
    model = ex.build_model(config, args.backend)
    try:
        model.load_state_dict({k[len("model."):]: v for k, v in arrays.items()
                               if k.startswith("model.")})
    except (ValueError, TypeError, KeyError) as err:
        raise UsageError(f"{path}: {err}") from err
    return model, config


def cmd_sample(args) -> int:
    model, config = _load_text_model(args)
    unknown = sorted(set(args.prime) - set(config["vocab"]))
    if not args.prime or unknown:
        raise UsageError(f"--prime must be non-empty text the model knows; unknown characters: "
                         f"{''.join(unknown)!r}")
    stream = ex.sample_stream(model, config["vocab"], args.prime, args.length,
                              args.temperature, np.random.default_rng(args.seed))
    for count, piece in enumerate(stream):
        sys.stdout.write(piece)
        if piece == "\n" or count % 64 == 0:
            sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def cmd_gradflow(args) -> int:
    check_output(args.output, PLOTS, "--output")
    models = list(dict.fromkeys(args.models))
    if "lstm" not in models and args.forget_bias != GRADFLOW_FORGET_BIAS:
        raise UsageError("--forget-bias applies to the lstm model; add lstm to --models")
    for kind in models:
        need = max(checks.run_bytes(kind, 2, args.hidden, 1, args.layers, args.seq_len,
                                    args.batch, itemsize=8, training=False) * 2,
                   checks.run_bytes(kind, 2, args.hidden, 1, args.layers, args.seq_len, 32)
                   if args.train_steps else 0)
        check_memory(need, args.max_memory, f"{kind} with --seq-len {args.seq_len}, --batch "
                     f"{args.batch}, --hidden {args.hidden}, --layers {args.layers}",
                     "make one of them smaller or raise --max-memory")
    task = ex.make_task("adding", args.seq_len)
    flows = {}
    for kind in models:
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
    bias = "none" if args.forget_bias is None else f"{args.forget_bias:g}"
    bias = f"; LSTM forget-gate bias {bias} (--forget-bias)" if "lstm" in models else ""
    print(f"||dL/dh_t|| on the adding problem, length {args.seq_len}, {when}{bias}")
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
    """benchmarks/bench_lstm.py of the source checkout this package runs from; an installed
    package has none (the benchmarks need the reference libraries and are not shipped)."""
    script = SOURCE_ROOT / "benchmarks" / "bench_lstm.py"
    return script if script.is_file() else None


def run_bench(argv: list[str]) -> int:
    """`tinygrad-lstm bench ARGS`: the script's own main, its options taken directly."""
    script = find_bench_script()
    if script is None:
        raise UsageError("bench needs a source checkout (benchmarks/bench_lstm.py is not "
                         "part of the installed package)")
    spec = importlib.util.spec_from_file_location("bench_lstm", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv, prog="tinygrad-lstm bench", parser_class=Parser)


def cmd_demo(args) -> int:
    from .demo import run_demo
    checks.check_output_folder(args.out, "--out")
    run_demo(out=args.out, quick=args.quick, steps=args.steps, backend=args.backend,
             seed=args.seed, forget_bias=args.forget_bias)
    return 0


def cmd_render(args) -> int:
    path = args.output or f"{args.model}-{args.view}.svg"
    check_output(path, (".svg", ".png", ".pdf", ".dot", ".html"), "--output")
    need = checks.run_bytes(args.model, 3, args.hidden, 1, args.layers, args.steps, 2)
    check_memory(2 * need, args.max_memory, f"--steps {args.steps}, --hidden {args.hidden}, "
                 f"--layers {args.layers}", "make one of them smaller or raise --max-memory")
    loss, _model = ex.graph_loss(args.model, steps=args.steps, layers=args.layers,
                                 hidden=args.hidden, seed=args.seed, fused=args.fused,
                                 backend=args.backend)
    if args.grads:
        with tl.viz.track_grad_norms():
            loss.backward()
    with quiet_fontconfig():
        written = tl.viz.render(loss, path, view=args.view, grads=args.grads,
                                max_steps=args.max_steps)
    print(written)
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "gradflow": cmd_gradflow,
            "demo": cmd_demo, "render": cmd_render}
# What a run can raise that is the input's fault or the machine's, not a bug: one line each.
EXPECTED = (UsageError, ValueError, TypeError, OSError, ImportError, MemoryError,
            tl.viz.VizUnavailable)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return f"{type(err).__name__}: {text}" if isinstance(err, MemoryError) else text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = "tinygrad-lstm"
    command = argv[0] if argv else None
    try:
        if command == "bench":             # its options are the script's own
            return run_bench(argv[1:])
        args = build_parser().parse_args(argv)
        check_backend(getattr(args, "backend", "numpy"))
        return COMMANDS[args.command](args)
    except BrokenPipeError:                # e.g. `tinygrad-lstm sample ... | head`
        return 0
    except EXPECTED as err:
        sys.stdout.flush()
        sys.stderr.write(f"{prog} {command}: error: {_one_line(err)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write(f"\n{prog} {command}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
