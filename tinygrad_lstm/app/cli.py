"""The `tinygrad-lstm` commands (the options are in parser.py). Each command checks
everything it was given before it starts work (checks.py); `main` turns any refusal or
failure the input can cause into one line on stderr and exit status 2."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

import tinygrad_lstm as tl

from . import checks, learn, parser
from . import experiments as ex
from .checks import UsageError, check_memory, check_output
from .parser import GRADFLOW_FORGET_BIAS, TASK_DEFAULTS, Parser
from .plots import progress_bar, quiet_fontconfig

PLOTS = (".png", ".svg", ".pdf")
TEXT_BYTES_PER_CHAR = 40      # the text, its codes and the list they are made from
SOURCE_ROOT = Path(__file__).resolve().parents[2]   # a source checkout's root, if this is one


def build_parser() -> Parser:
    return parser.build_parser(bench=find_bench_script() is not None)


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


def _read_text(path: str, limit_gib: float) -> str:
    """The UTF-8 text of a regular file, its size checked against the memory limit first
    (read with a cap, so that a file growing meanwhile cannot get past it)."""
    if not Path(path).is_file():
        what = "a folder" if Path(path).is_dir() else "not a regular file"
        reason = "it does not exist" if not Path(path).exists() else f"it is {what}"
        raise UsageError(f"--text: cannot read {path!r} ({reason})")
    cap = int(limit_gib * checks.GIB / TEXT_BYTES_PER_CHAR)
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as err:
        raise UsageError(f"--text: cannot read {path!r} ({err.strerror or err})") from err
    check_memory(len(data) * TEXT_BYTES_PER_CHAR, limit_gib,
                 f"--text {path!r} ({len(data):,}{'+' if len(data) > cap else ''} bytes)",
                 "use a shorter text or raise --max-memory")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
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
    plot = f"loss-{args.task}-{args.model}.png" if args.plot is None else args.plot
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
    with progress_bar(args.steps, f"{args.model} on {args.task}") as bar:
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
            with progress_bar(args.train_steps, f"training {kind}") as bar:
                ex.train(model, task, args.train_steps, 1e-2, 32, gen, args.backend, bar=bar)
        x, y = task.batch(args.batch, gen, args.backend)
        model = ex.copy_model(model, "float64", backend=args.backend)  # tiny norms stay > 0
        flows[kind] = ex.gradient_flow(model, x.double(), y.double())["h"]
    when = f"after {args.train_steps} updates" if args.train_steps else "at initialisation"
    bias = "none" if args.forget_bias is None else f"{args.forget_bias:g}"
    lstm = f", LSTM forget-gate bias {bias}" if "lstm" in models else ""
    print(f"||dL/dh_t|| on the adding problem, length {args.seq_len}, {when}{lstm}"
          f"{' (--forget-bias)' if lstm else ''}")
    lags = [lag for lag in (1, 10, 100, 1000, 10000) if lag < args.seq_len - 1]
    lags.append(args.seq_len - 1)                           # back to the first step
    print("steps before the loss " + "".join(f"{lag:>12}" for lag in lags))
    for kind, norms in flows.items():
        print(f"{kind:<22}" + "".join(f"{norms[-1 - lag]:>12.3e}" for lag in lags))
    from . import plots
    plots.gradient_flow(flows, args.output,
                        title=f"gradient reaching each step {when} (adding problem{lstm})")
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
    if args.grads and not path.lower().endswith(".html"):   # the explorer runs its own
        with tl.viz.track_grad_norms():
            loss.backward()
    with quiet_fontconfig():
        written = tl.viz.render(loss, path, view=args.view, grads=args.grads,
                                max_steps=args.max_steps)
    print(written)
    return 0


def cmd_paper(args) -> int:
    from .paper import DEFAULTS, FORGET_BIAS, INPUT_BIAS, describe, report, run_paper
    if (args.forget_bias, args.input_bias) != (FORGET_BIAS, INPUT_BIAS) and args.model != "lstm":
        raise UsageError(f"--forget-bias and --input-bias apply to --model lstm, not "
                         f"{args.model}")
    size = args.symbols if args.task == "order" else args.seq_len
    if args.task == "order" and args.seq_len:
        raise UsageError("--seq-len is for adding and longlag; order takes --symbols")
    if args.task == "adding" and size is not None and size < 20:
        raise UsageError("--seq-len must be at least 20 for the paper's adding problem")
    opts = {**DEFAULTS[args.task], **{k: v for k, v in dict(
        seq_len=size, hidden=args.hidden, batch=args.batch).items() if v}}
    steps = {"adding": opts["seq_len"] * 11 // 10, "longlag": opts["seq_len"],
             "order": 110, "reber": 60}[args.task]
    width = opts["seq_len"] + 1 if args.task == "longlag" else 8
    need = checks.run_bytes(args.model, width, opts["hidden"], width, 1, steps,
                            max(opts["batch"], 500))
    check_memory(need, args.max_memory, f"{args.task} with --seq-len {opts['seq_len']}, "
                 f"--hidden {opts['hidden']}", "make one of them smaller or raise --max-memory")
    print(f"{describe(args.task, opts['seq_len'])}: training {args.model} until the paper's "
          f"stopping rule holds (at most {args.max_sequences:,} sequences)", flush=True)
    result = run_paper(args.task, args.model, seq_len=size, hidden=args.hidden,
                       batch=args.batch, lr=args.lr, max_sequences=args.max_sequences,
                       seed=args.seed, backend=args.backend, forget_bias=args.forget_bias,
                       input_bias=args.input_bias, log=lambda line: print(line, flush=True))
    print(report(result))
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "gradflow": cmd_gradflow,
            "demo": cmd_demo, "render": cmd_render, "paper": cmd_paper}
COMMANDS.update(learn.COMMANDS)     # trace, truncation, exercise
# What a run can raise that is the input's fault or the machine's, not a bug: one line each.
EXPECTED = (UsageError, ValueError, TypeError, OSError, ImportError, MemoryError,
            tl.viz.VizUnavailable)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return f"{type(err).__name__}: {text}" if isinstance(err, MemoryError) else text


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 when it worked. A refusal or failure prints one line on stderr
    and raises SystemExit(2) (130 on Ctrl-C), as argparse does for a bad option."""
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
        sys.exit(2)                        # as argparse does for a bad option
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write(f"\n{prog} {command}: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    sys.exit(main())
