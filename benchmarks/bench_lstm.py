"""LSTM forward+backward, side by side: the fused and composed engine paths, a hand-written
NumPy LSTM, PyTorch's nn.LSTM and HIPS autograd (when installed).

    python benchmarks/bench_lstm.py                              # all sizes (make bench)
    python benchmarks/bench_lstm.py --sizes tiny,small --repeats 5
    python benchmarks/bench_lstm.py --gpu                        # adds CuPy and cuDNN rows

Every size runs one layer, float32, loss = sum of all outputs, with the gradients of the
parameters (the input needs none). Implementations are timed round robin, one call each
per round, so that load from other processes spreads evenly; medians are reported, with
ratios to PyTorch measured in the same run. Also printed: GFLOP/s (matmul FLOPs of
forward+backward) against a plain NumPy matmul timed in the same run, the activations
each implementation keeps per time step for its backward pass (tracemalloc) against the
gates-and-states floor, and the tape's overhead per recorded op.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_lstm  # noqa: E402
import tinygrad_lstm as tl  # noqa: E402
from tinygrad_lstm.ops import OPS  # noqa: E402

SIZES = {  # name: (T, B, I, H), default rounds, timed calls per block
    "tiny": ((50, 1, 8, 32), 9, 5),
    "small": ((100, 16, 64, 128), 7, 3),
    "medium": ((100, 32, 128, 256), 5, 2),
    "large": ((50, 64, 512, 1024), 3, 1),
}
PARAMS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


torch = autograd = None   # imported in main(), after the tape overhead is measured: a
                          # heap holding torch's objects makes every garbage collection slower


# ---- the implementations: each setup returns a function doing forward + backward -------
def make_weights(size, seed=0):
    _, _, n_in, hidden = size
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden)
    shapes = ((4 * hidden, n_in), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,))
    weights = {k: rng.uniform(-bound, bound, s).astype(np.float32) for k, s in zip(PARAMS, shapes)}
    x = rng.standard_normal(size[:3]).astype(np.float32)
    return weights, x


def setup_engine(size, weights, x, fused, backend="numpy"):
    model = tl.nn.LSTM(size[2], size[3], fused=fused, backend=backend)
    model.load_state_dict(weights)
    xt = tl.tensor(x, backend=backend)

    def run():
        model.zero_grad()
        out, _ = model(xt)
        out.sum().backward()
        return out
    return run


def setup_numpy(size, weights, x):
    steps, batch, _, hidden = size
    zeros = np.zeros((batch, hidden), dtype=np.float32)
    args = [weights[k] for k in PARAMS]

    def run():
        out, cache = numpy_lstm.lstm_forward(x, zeros, zeros, *args)
        numpy_lstm.lstm_backward(np.ones_like(out), cache, need_dx=False)
        return cache
    return run


def setup_torch(size, weights, x, device="cpu"):
    model = torch.nn.LSTM(size[2], size[3]).to(device)
    with torch.no_grad():
        for k in PARAMS:
            getattr(model, k).copy_(torch.from_numpy(weights[k]))
    xt = torch.from_numpy(x).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def run():
        model.zero_grad(set_to_none=True)
        out, _ = model(xt)
        out.sum().backward()
        sync()
    return run


def setup_autograd(size, weights, x):
    anp = autograd.numpy
    steps, batch, _, hidden = size

    def sigmoid(z):
        return 0.5 * anp.tanh(0.5 * z) + 0.5

    def loss(params):
        w_ih, w_hh, b_ih, b_hh = params
        h = c = np.zeros((batch, hidden), dtype=np.float32)
        total = 0.0
        for t in range(steps):
            z = anp.dot(x[t], w_ih.T) + anp.dot(h, w_hh.T) + b_ih + b_hh
            i, f = sigmoid(z[:, :hidden]), sigmoid(z[:, hidden:2 * hidden])
            g, o = anp.tanh(z[:, 2 * hidden:3 * hidden]), sigmoid(z[:, 3 * hidden:])
            c = f * c + i * g
            h = o * anp.tanh(c)
            total = total + anp.sum(h)
        return total
    gradient = autograd.grad(loss)
    params = [weights[k] for k in PARAMS]
    return lambda: gradient(params)


def numba_ready() -> bool:
    import importlib.util
    return "numba" in tl.available_backends() and \
        all(importlib.util.find_spec(m) is not None for m in ("numba", "scipy"))


def implementations(size, weights, x, gpu):
    impls = {
        "fused": setup_engine(size, weights, x, fused=True),
        "composed": setup_engine(size, weights, x, fused=False),
        "numpy": setup_numpy(size, weights, x),
    }
    if numba_ready():
        impls["fused-numba"] = setup_engine(size, weights, x, fused=True, backend="numba")
    if torch is not None:
        impls["torch"] = setup_torch(size, weights, x)
    if autograd is not None:
        impls["autograd"] = setup_autograd(size, weights, x)
    if gpu:
        cupy = optional("cupy")
        if cupy is not None and cupy.cuda.is_available():
            for name, fused in (("fused-cupy", True), ("composed-cupy", False)):
                run = setup_engine(size, weights, x, fused=fused, backend="cupy")
                impls[name] = lambda run=run: (run(), cupy.cuda.Device().synchronize())
        if torch is not None and torch.cuda.is_available():
            impls["torch-cuda"] = setup_torch(size, weights, x, device="cuda")
    return impls


# ---- measurements --------------------------------------------------------------------
def time_round_robin(impls: dict, rounds: int, block: int) -> dict[str, float]:
    """Median seconds per call. Every round runs each implementation for a block of
    `block` timed calls after one untimed call, so that load from other processes spreads
    evenly over the implementations while each one runs warm (PyTorch's thread pool, for
    one, is slow to wake after sitting idle while the others run)."""
    times: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(rounds):
        for name, run in impls.items():
            run()
            for _ in range(block):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def matmul_flops(size) -> float:
    """Matmul FLOPs of forward+backward (no dx): 2*T*B*4H*(I+H) forward, twice that
    plus the dh products backward."""
    steps, batch, n_in, hidden = size
    return 2.0 * steps * batch * 4 * hidden * (2 * n_in + 3 * hidden)


def numpy_matmul_gflops(n: int = 1024, rounds: int = 7) -> float:
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    b = a.T.copy()
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(rounds))
    return 2.0 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def saved_bytes(setup, size, weights, x) -> float:
    """Bytes still allocated after the forward pass (what backward will read), per time
    step. For the engine paths that is the graph and the output; for the NumPy reference,
    its cache."""
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        keep = setup()
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / size[0], keep
    finally:
        tracemalloc.stop()


def memory_rows(size, weights, x) -> dict[str, float]:
    """Saved bytes per step for the implementations whose arrays tracemalloc sees."""
    steps, batch, n_in, hidden = size
    zeros = np.zeros((batch, hidden), dtype=np.float32)
    rows = {}
    for name, fused in (("fused", True), ("composed", False)):
        model = tl.nn.LSTM(n_in, hidden, fused=fused)
        model.load_state_dict(weights)
        xt = tl.tensor(x)
        rows[name], _ = saved_bytes(lambda: model(xt)[0], size, weights, x)
    args = [weights[k] for k in PARAMS]
    rows["numpy"], _ = saved_bytes(lambda: numpy_lstm.lstm_forward(x, zeros, zeros, *args),
                                   size, weights, x)
    return rows


def tape_overhead(n: int = 3000, rounds: int = 15) -> tuple[list, list]:
    """(engine, raw): CPU microseconds per op, forward+backward, [min, median] over rounds, for a
    chain of mul/add/tanh on 4-element arrays; raw calls the same op functions and VJPs
    with no tensors and no tape. CPU time (process_time) rather than wall time, so that
    other processes on the machine do not count; the work is single-threaded Python."""
    bk = tl.get_backend("numpy")
    w0, b0 = np.full(4, 0.5), np.full(4, 0.1)

    def engine():
        x = tl.tensor(np.ones(4), requires_grad=True)
        w, b = tl.tensor(w0), tl.tensor(b0)
        y = x
        for _ in range(n // 3):
            y = tl.tanh(y * w + b)
        y.sum().backward()

    def raw():
        y, vjps = np.ones(4), []
        for _ in range(n // 3):
            for name, other in (("mul", w0), ("add", b0), ("tanh", None)):
                y, vjp = OPS[name].fn(bk, y, other) if other is not None else OPS[name].fn(bk, y)
                vjps.append(vjp)
        g = np.ones(4)
        for vjp in reversed(vjps):
            g = vjp(g)[0]
    per_op = {}
    for name, fn in (("engine", engine), ("raw", raw)):
        fn()
        samples = []
        for _ in range(rounds):
            start = time.process_time()
            fn()
            samples.append(time.process_time() - start)
        per_op[name] = [f(samples) / n * 1e6 for f in (min, statistics.median)]
    return per_op["engine"], per_op["raw"]


# ---- report --------------------------------------------------------------------------
TARGETS = {  # name: {size: max ratio to torch} (issue 14, 2 threads)
    "fused": {"tiny": 1.5, "small": 1.3, "medium": 1.15, "large": 1.6},
    "fused-numba": {"tiny": 1.5, "small": 1.3, "medium": 1.15, "large": 1.6},
    "composed": {"tiny": 8.0, "small": 3.0, "medium": 2.0, "large": 2.0},
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [f"{cpu}, {os.cpu_count()} cores", f"Python {platform.python_version()}",
             f"NumPy {np.__version__}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    if autograd is not None:
        parts.append("HIPS autograd")
    return ", ".join(parts)


def check_targets(results: dict) -> list[str]:
    lines = []
    for name, limits in TARGETS.items():
        for size, limit in limits.items():
            if size in results and {"torch", name} <= results[size]["times"].keys():
                ratio = results[size]["times"][name] / results[size]["times"]["torch"]
                lines.append(f"{name} at {size}: {ratio:.2f}x torch (target <= {limit}x) "
                             f"{'met' if ratio <= limit else 'NOT met'}")
    for size, res in results.items():
        if "memory" in res:
            floor = res["floor"]
            ratio = res["memory"]["fused"] / floor
            lines.append(f"fused saved memory at {size}: {ratio:.2f}x the floor (target <= 1.5x) "
                         f"{'met' if ratio <= 1.5 else 'NOT met'}")
    return lines


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def build_parser(prog=None, parser_class=argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options, shared by `python benchmarks/bench_lstm.py` and `tinygrad-lstm bench`."""
    summary = " ".join(__doc__.split("\n\n")[0].split())
    parser = parser_class(prog=prog, description=summary)
    sizes = ", ".join(f"{name} {size}" for name, (size, _, _) in SIZES.items())
    parser.add_argument("--sizes", default=",".join(SIZES), metavar="NAMES",
                        help=f"comma-separated sizes, from {sizes}, each (steps T, batch B, "
                             f"inputs I, hidden H) (default: all)")
    parser.add_argument("--repeats", type=positive, default=None, metavar="N",
                        help="rounds per size, each timing a block of calls (default: " +
                             ", ".join(f"{name} {rounds}" for name, (_, rounds, _) in SIZES.items())
                             + ")")
    parser.add_argument("--gpu", action="store_true",
                        help="add CuPy and PyTorch CUDA rows (default: off)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the tracemalloc pass that measures saved memory (default: off)")
    parser.add_argument("--threads", type=positive, default=None, metavar="N",
                        help="cap NumPy's BLAS (threadpoolctl) and torch at N threads "
                             "(default: as the environment says)")
    return parser


def main(argv=None, prog=None, parser_class=argparse.ArgumentParser) -> int:
    parser = build_parser(prog, parser_class)
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")

    start_load = load()
    engine_us, raw_us = tape_overhead()
    gc.disable()
    try:
        quiet_us, quiet_raw_us = tape_overhead()
    finally:
        gc.enable()
    global torch, autograd
    torch, autograd = optional("torch"), optional("autograd")
    if args.threads:
        limit_threads(args.threads)
    print(f"machine: {machine()}")
    print(f"load average at start: {start_load}")
    peak = numpy_matmul_gflops()
    print(f"NumPy float32 matmul (1024^3), same run: {peak:.0f} GFLOP/s")
    print(f"tape overhead per recorded op, forward+backward, CPU time, min (median) of rounds: "
          f"{engine_us[0] - raw_us[0]:.2f} ({engine_us[1] - raw_us[1]:.2f}) us; with the "
          f"garbage collector off {quiet_us[0] - quiet_raw_us[0]:.2f} "
          f"({quiet_us[1] - quiet_raw_us[1]:.2f}) us. Engine {engine_us[0]:.2f} us/op in all, "
          f"of which the op functions and VJPs {raw_us[0]:.2f}")
    results = {}
    for name in sizes:
        size, default_rounds, block = SIZES[name]
        weights, x = make_weights(size)
        impls = implementations(size, weights, x, args.gpu)
        times = time_round_robin(impls, args.repeats or default_rounds, block)
        res = {"times": times}
        steps, batch, _, hidden = size
        res["floor"] = batch * 6 * hidden * 4    # gates (4H) and states h, c (2H), float32
        if not args.no_memory:
            res["memory"] = memory_rows(size, weights, x)
        results[name] = res
        print_size(name, size, res, peak)
    print(f"\nload average at end: {load()}\n")
    print_summary(results, peak)
    print()
    for line in check_targets(results):
        print(line)
    return 0


def limit_threads(threads: int) -> None:
    """NumPy's BLAS (and SciPy's, which the numba kernels call) through threadpoolctl, torch
    through set_num_threads. Loads SciPy's BLAS first, so the numba kernels' is capped too."""
    if numba_ready():
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        sys.exit("--threads needs threadpoolctl (pip install threadpoolctl, or make reference)")
    threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def print_summary(results: dict, peak: float) -> None:
    """One markdown table of medians (ms) and ratios to torch, as in docs/benchmarks.md;
    and, per size, the time the matmul work alone takes at the NumPy rate measured above
    (no NumPy implementation can beat it)."""
    names = list(next(iter(results.values()))["times"])
    print("| size | " + " | ".join(names) + " | matmul work at NumPy peak |")
    print("|---" * (len(names) + 2) + "|")
    for size, res in results.items():
        times, base = res["times"], res["times"].get("torch")
        cells = [f"{times[n] * 1e3:.3g} ms" + (f" ({times[n] / base:.2f}x)" if base else "")
                 for n in names]
        floor_ms = matmul_flops(SIZES[size][0]) / (peak * 1e9) * 1e3
        print(f"| {size} | " + " | ".join(cells) + f" | {floor_ms:.3g} ms |")


def print_size(name, size, res, peak) -> None:
    times, flops = res["times"], matmul_flops(size)
    base = times.get("torch")
    print(f"\n{name} (T, B, I, H) = {size}   matmul work {flops / 1e9:.3f} GFLOP")
    print(f"  {'':<14}{'median ms':>10}{'x torch':>9}{'GFLOP/s':>9}{'% numpy mm':>11}"
          f"{'saved B/step':>14}{'x floor':>8}")
    for impl, seconds in times.items():
        ratio = f"{seconds / base:.2f}" if base else "-"
        gflops = flops / seconds / 1e9
        mem = res.get("memory", {}).get(impl)
        mem_text = (f"{mem:>14.0f}{mem / res['floor']:>8.2f}") if mem is not None else f"{'-':>14}{'-':>8}"
        print(f"  {impl:<14}{seconds * 1e3:>10.3f}{ratio:>9}{gflops:>9.1f}{100 * gflops / peak:>10.0f}%"
              f"{mem_text}")
    print(f"  floor (gates + h + c, float32): {res['floor']} B/step")


if __name__ == "__main__":
    sys.exit(main())
