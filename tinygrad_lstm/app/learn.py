"""The commands for looking inside and learning by doing: `trace` (gates and states over
time, the memory horizon, the Jacobian by lag), `truncation` (truncated BPTT drawn and
measured) and `exercise` (list the graded exercises, check one). Their options are
declared here too, and added to the parser by parser.build_parser."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import tinygrad_lstm as tl

from . import checks
from . import experiments as ex
from .checks import UsageError, check_memory, check_output_folder, float_in, int_in
from .plots import progress_bar, quiet_fontconfig

SOURCE_ROOT = Path(__file__).resolve().parents[2]
STUBS = Path("examples") / "exercises"
TRACE_FORGET_BIAS = 3.0


# ---- options ----------------------------------------------------------------------------
def _add_trace(sub, common) -> None:
    p = sub.add_parser("trace", help="record gates and states at every step; plot them, the "
                                     "memory horizon and ||dh_T/dh_t|| by lag",
                       description="Run an RNN, a GRU and an LSTM (same size, same input: one "
                                   "sequence of the adding problem) and write to --out: the "
                                   "chosen model's gates and states over time, their "
                                   "saturation, the LSTM's forget-gate product (its memory "
                                   "horizon), ||dh_T/dh_t|| by lag for all three, and the "
                                   "recording as JSON.")
    p.add_argument("--model", choices=checks.KINDS, default="lstm",
                   help="the model whose gates are drawn (default: lstm)")
    p.add_argument("--seq-len", type=int_in(2, 5000), default=60, help="steps (default: 60)")
    p.add_argument("--hidden", type=int_in(1, 512), default=16, help="hidden size (default: 16)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True), default=TRACE_FORGET_BIAS,
                   help="the LSTM's forget-gate bias at init; 'none' keeps PyTorch's random "
                        f"biases (default: {TRACE_FORGET_BIAS:g})")
    p.add_argument("--train-steps", type=int_in(0, 100_000), default=0,
                   help="train each model on the adding problem this many updates first "
                        "(default: 0, at initialisation)")
    p.add_argument("--out", default="trace-out", help="output folder (default: trace-out)")
    common(p)


def _add_truncation(sub, common) -> None:
    p = sub.add_parser("truncation", help="truncated BPTT: the cut graph, and the gradient's "
                                          "error against full BPTT as k grows",
                       description="Draw the unrolled graph of BPTT(k1, k2) with the cut edges "
                                   "marked, and measure, for an RNN and an LSTM on the same "
                                   "sequence, how far the truncated gradient is from the full "
                                   "one (cosine and relative norm) for each truncation length.")
    p.add_argument("--seq-len", type=int_in(2, 2000), default=40, help="steps (default: 40)")
    p.add_argument("--ks", type=int_in(1, 2000), nargs="+",
                   help="truncation lengths to measure (default: 1 2 5 10 20 and --seq-len; "
                        "with --k1, multiples of it)")
    p.add_argument("--k1", type=int_in(1, 2000),
                   help="measure BPTT(k1, k) for each k in --ks instead of BPTT(k, k) "
                        "(default: none)")
    p.add_argument("--hidden", type=int_in(1, 256), default=16, help="hidden size (default: 16)")
    p.add_argument("--forget-bias", type=float_in(-20, 20, none=True), default=TRACE_FORGET_BIAS,
                   help=f"the LSTM's forget-gate bias (default: {TRACE_FORGET_BIAS:g})")
    p.add_argument("--graph", type=int_in(1, 64), nargs=3, metavar=("STEPS", "K1", "K2"),
                   default=[8, 2, 4], help="the drawn example (default: 8 2 4)")
    p.add_argument("--out", default="truncation-out", help="output folder (default: truncation-out)")
    common(p)


def _add_exercise(sub) -> None:
    p = sub.add_parser("exercise", help="graded exercises: list them, or check one",
                       description="Graded exercises, from the VJPs of five ops to truncated "
                                   "BPTT. Fill in a stub in examples/exercises/, then check it: "
                                   "the check compares your answer with the engine and says "
                                   "what is wrong, where and by how much.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION",
                               parser_class=type(p))
    actions.add_parser("list", help="the exercises, in order",
                       description="List the exercises and where their stubs are.")
    check = actions.add_parser("check", help="check one exercise",
                               description="Check exercise N (exit status 0 when it passes, 1 "
                                           "when a part is wrong or not written yet).")
    check.add_argument("number", type=int_in(1, 99), help="the exercise's number")
    check.add_argument("--dir", help="the folder holding your exercise files (default: "
                                     "examples/exercises here, else the source checkout's)")


def add_parsers(sub, common) -> None:
    """Add the trace, truncation and exercise commands; `common(p)` adds the shared options."""
    _add_trace(sub, common)
    _add_truncation(sub, common)
    _add_exercise(sub)


# ---- trace ------------------------------------------------------------------------------
def _models(args, kinds, dtype="float32"):
    gen = np.random.default_rng(args.seed)
    models = {}
    for kind in kinds:
        bias = args.forget_bias if kind == "lstm" else None
        models[kind] = ex.SequenceModel(kind, 2, args.hidden, 1, forget_bias=bias, dtype=dtype,
                                        generator=np.random.default_rng(args.seed),
                                        backend=args.backend)
    return models, gen


def cmd_trace(args) -> int:
    check_output_folder(args.out, "--out")
    for kind in checks.KINDS:
        need = checks.run_bytes(kind, 2, args.hidden, 1, 1, args.seq_len, 32 if args.train_steps
                                else 1, itemsize=8) * 2
        check_memory(need, args.max_memory, f"--seq-len {args.seq_len} and --hidden "
                     f"{args.hidden}", "make one of them smaller or raise --max-memory")
    task = ex.make_task("adding", args.seq_len)
    models, gen = _models(args, checks.KINDS)
    if args.train_steps:
        for kind, model in models.items():
            with progress_bar(args.train_steps, f"training {kind}") as bar:
                ex.train(model, task, args.train_steps, 1e-2, 32, gen, args.backend, bar=bar)
    x, _ = task.batch(1, np.random.default_rng(args.seed + 1), args.backend)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tinygrad_lstm.viz import time_plots
    tr = tl.viz.trace(models[args.model].recurrent, x)
    written = [time_plots.heatmaps(tr, out / "gates.png")]
    if tr.gates:
        written.append(time_plots.saturation(tr, out / "saturation.png"))
    if tr.kind == "lstm":
        written.append(time_plots.memory(tr, out / "memory.png"))
        print(f"LSTM memory horizon (steps until less than 1/e of c_0 is left), per unit: "
              f"median {np.median(tr.memory_horizon()):.0f}, "
              f"{tr.memory_horizon().min()} to {tr.memory_horizon().max()}")
    (out / "trace.json").write_text(json.dumps(tr.as_dict()) + "\n")
    written.append(out / "trace.json")
    norms = {}
    for kind, model in models.items():
        twin = ex.copy_model(model, "float64", fused=False, backend=args.backend)
        norms[kind] = tl.viz.lag_norms(twin.recurrent, x.double())
    when = f"after {args.train_steps} updates" if args.train_steps else "at initialisation"
    written.append(time_plots.lag_norms(norms, out / "lags.png",
                                        title=f"||dh_T/dh_t|| by lag, adding problem, {when}"))
    _print_lags(norms, args.seq_len)
    for path in written:
        print(path)
    return 0


def _print_lags(norms: dict, steps: int) -> None:
    lags = [lag for lag in (1, 10, 100, 1000) if lag < steps - 1] + [steps - 1]
    print("||dh_T/dh_t|| (spectral norm) at lag " + "".join(f"{lag:>11}" for lag in lags))
    for kind, values in norms.items():
        print(f"{kind:<35}" + "".join(f"{values[-1 - lag]:>11.3e}" for lag in lags))


# ---- truncation -------------------------------------------------------------------------
def cmd_truncation(args) -> int:
    check_output_folder(args.out, "--out")
    steps, k1 = args.seq_len, args.k1
    ks = args.ks or ([k for k in (1, 2, 5, 10, 20) if k < steps] + [steps] if k1 is None else
                     [k for k in range(k1, steps + k1, k1)])
    ks = sorted(set(ks))
    if k1 is not None and any(k % k1 or k < k1 for k in ks):
        raise UsageError(f"--ks: with --k1 {k1} every k must be a multiple of it, got "
                         f"{' '.join(map(str, ks))}")
    if max(ks) > steps + (k1 or 0):
        raise UsageError(f"--ks: a truncation longer than --seq-len {steps} is full BPTT; "
                         f"got {max(ks)}")
    g_steps, g_k1, g_k2 = args.graph
    if g_k2 < g_k1 or g_k2 % g_k1:
        raise UsageError(f"--graph: K2 must be a multiple of K1, got K1={g_k1}, K2={g_k2}")
    task = ex.make_task("adding", steps)
    x, _ = task.batch(4, np.random.default_rng(args.seed + 1), args.backend)
    models, _ = _models(args, ("rnn", "lstm"), dtype="float64")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tinygrad_lstm.viz import time_plots, truncation
    results = {kind: truncation.errors(m.recurrent, x.double(), ks, k1=k1, seed=args.seed)
               for kind, m in models.items()}
    name = "BPTT(k, k)" if k1 is None else f"BPTT({k1}, k)"
    plot = time_plots.truncation_error(results, out / "truncation-error.png",
                                       title=f"{name} against full BPTT, {steps} steps, hidden "
                                             f"{args.hidden} (adding-problem inputs)")
    graph = truncation.truncation_graph(g_steps, g_k1, g_k2)
    with quiet_fontconfig():
        svg = tl.viz.render(graph, out / "truncation-graph.svg")
    print(f"{name} against full BPTT: cosine, and relative error ||g_k - g|| / ||g||")
    print(f"{'':<12}" + "".join(f"{'k=' + str(k):>11}" for k in ks))
    for kind, e in results.items():
        print(f"{kind + ' cosine':<12}" + "".join(f"{v:>11.4f}" for v in e["cosine"]))
        print(f"{kind + ' error':<12}" + "".join(f"{v:>11.2e}" for v in e["relative"]))
    print(plot)
    print(svg)
    return 0


# ---- exercises --------------------------------------------------------------------------
def stub_folder(given: str | None) -> Path:
    if given is not None:
        if not Path(given).is_dir():
            raise UsageError(f"--dir: {given!r} is not a folder")
        return Path(given)
    for folder in (STUBS, SOURCE_ROOT / STUBS):
        if folder.is_dir():
            return folder
    raise UsageError("no examples/exercises folder here or in a source checkout; pass --dir "
                     "with the folder that holds your exercise files")


def cmd_exercise(args) -> int:
    from tinygrad_lstm import exercises
    if args.action == "list":
        folder = stub_folder(None) if (STUBS.is_dir() or (SOURCE_ROOT / STUBS).is_dir()) else None
        for e in exercises.EXERCISES:
            print(f"{e.number}. {e.title}   ({e.stem}.py)")
        if folder is not None:
            print(f"stubs: {folder}; check one with `tinygrad-lstm exercise check N`")
        return 0
    try:
        exercises.get(args.number)
    except ValueError as err:
        raise UsageError(str(err)) from None
    result = exercises.check(args.number, stub_folder(args.dir))
    print(result.report())
    return 0 if result.passed else 1


COMMANDS = {"trace": cmd_trace, "truncation": cmd_truncation, "exercise": cmd_exercise}
