"""Training loops, side by side with PyTorch: the adding problem at long sequence lengths
and a character model, each a fixed number of Adam updates with gradient clipping.

    python benchmarks/bench_train.py                  # every task, 1 and 2 threads (make bench)
    python benchmarks/bench_train.py --quick          # fewer updates, for a look
    python benchmarks/bench_train.py --tasks adding500 --threads 1

Each model starts from the same weights as its PyTorch twin (copied through state_dict)
and trains on the same batches, made in NumPy before the clock starts. One update is
forward, loss, backward, clip_grad_norm_(1.0) and Adam's step. The implementations take
turns, a block of updates each, so that load from other processes spreads over all of
them; the totals and their ratios to PyTorch come from the same run. The final losses are
printed beside the times: same weights and batches give the same loss, to float32 rounding.

Threads: every thread count runs in a child process of its own, with the BLAS thread pools
(NumPy's OpenBLAS, through threadpoolctl when installed and through the environment in any
case) and torch.set_num_threads at that count. Also printed: the tape's cost per recorded
op, forward and backward, for the composed path (what the docs draw).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TASKS = {  # name: (kind, T, B, H, updates, updates with --quick)
    "adding100": ("adding", 100, 32, 16, 40, 10),
    "adding500": ("adding", 500, 32, 16, 16, 4),
    "adding1000": ("adding", 1000, 32, 16, 8, 2),
    "char": ("char", 100, 32, 128, 24, 6),
}
BLOCK = {"adding100": 10, "adding500": 4, "adding1000": 2, "char": 6}   # updates per turn
LR, MAX_NORM = 0.01, 1.0


# ---- the data: made once in NumPy, handed to both frameworks --------------------------
def batches(kind: str, steps: int, batch: int, count: int, seed: int = 0):
    """`count` (x, y) pairs of NumPy arrays, and the input and output sizes."""
    import tinygrad_lstm as tl
    rng = np.random.default_rng(seed)
    if kind == "adding":
        pairs = []
        for _ in range(count):
            x, y = tl.tasks.adding_problem(batch, steps, generator=rng)
            pairs.append((x.numpy(), y.numpy()))
        return pairs, 2, 1
    data = tl.tasks.CharDataset(tl.tasks.load_corpus(), steps)
    pairs = []
    for _ in range(count):
        x, y = data.batch(batch, generator=rng)
        pairs.append((x.numpy(), y.numpy()))
    return pairs, data.vocab_size, data.vocab_size


# ---- the engine's model and loop ------------------------------------------------------
def engine_trainer(kind, n_in, hidden, n_out, fused, seed=0, backend="numpy"):
    """(weights as a state_dict, one_update(x, y) -> loss)."""
    import tinygrad_lstm as tl
    F = tl.nn.functional

    class Model(tl.nn.Module):
        def __init__(self):
            super().__init__()
            gen = np.random.default_rng(seed)
            self.lstm = tl.nn.LSTM(n_in, hidden, fused=fused, generator=gen, backend=backend)
            self.head = tl.nn.Linear(hidden, n_out, generator=gen, backend=backend)

        def forward(self, x):
            out, _ = self.lstm(x)
            if kind == "adding":
                return self.head(out[-1])
            return self.head(out.reshape(-1, hidden))

    model = Model()
    params = list(model.parameters())
    opt = tl.optim.Adam(params, lr=LR)

    def update(x, y):
        pred = model(x)
        loss = F.mse_loss(pred, y) if kind == "adding" else F.cross_entropy(pred, y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        tl.nn.utils.clip_grad_norm_(params, MAX_NORM)
        opt.step()
        return loss
    return model, update, lambda a: tl.tensor(a, backend=backend)


def torch_trainer(kind, n_in, hidden, n_out, weights, device="cpu"):
    import torch

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(n_in, hidden)
            self.head = torch.nn.Linear(hidden, n_out)

        def forward(self, x):
            out, _ = self.lstm(x)
            if kind == "adding":
                return self.head(out[-1])
            return self.head(out.reshape(-1, hidden))

    model = Model()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    model.to(device)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=LR)
    mse, xent = torch.nn.functional.mse_loss, torch.nn.functional.cross_entropy

    def update(x, y):
        pred = model(x)
        loss = mse(pred, y) if kind == "adding" else xent(pred, y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, MAX_NORM)
        opt.step()
        return loss
    return update, lambda a: torch.from_numpy(a).to(device)


def implementations(kind, n_in, hidden, n_out, include_composed, gpu=False):
    """name -> (update, convert): every implementation starts from the same weights."""
    import tinygrad_lstm as tl
    model, fused_update, convert = engine_trainer(kind, n_in, hidden, n_out, fused=True)
    weights = model.state_dict()
    impls = {"fused": (fused_update, convert)}
    if numba_ready():
        numba_model, update, to_numba = engine_trainer(kind, n_in, hidden, n_out, fused=True,
                                                       backend="numba")
        numba_model.load_state_dict(weights)
        impls["fused-numba"] = (update, to_numba)
    if include_composed:
        composed, update, _ = engine_trainer(kind, n_in, hidden, n_out, fused=False)
        composed.load_state_dict(weights)
        impls["composed"] = (update, convert)
    try:
        impls["torch"] = torch_trainer(kind, n_in, hidden, n_out, weights)
    except ImportError:
        pass
    if gpu and not gpu_ready():
        print("  --gpu: no CuPy with a CUDA device, or no CUDA torch; GPU rows left out",
              file=sys.stderr)
    elif gpu:    # CuPy and cuDNN rows; the loss's .item() in the timing loop syncs the device
        cupy_model, update, to_cupy = engine_trainer(kind, n_in, hidden, n_out, fused=True,
                                                     backend="cupy")
        cupy_model.load_state_dict(weights)
        impls["fused-cupy"] = (update, to_cupy)
        impls["torch-cuda"] = torch_trainer(kind, n_in, hidden, n_out, weights, device="cuda")
    del tl
    return impls


def gpu_ready() -> bool:
    try:
        import cupy
        import torch
        return bool(cupy.cuda.is_available()) and torch.cuda.is_available()
    except Exception:
        return False


def numba_ready() -> bool:
    import importlib.util
    import tinygrad_lstm as tl
    return "numba" in tl.available_backends() and \
        all(importlib.util.find_spec(m) is not None for m in ("numba", "scipy"))


def time_task(name: str, quick: bool, composed: bool, gpu: bool = False) -> dict:
    kind, steps, batch, hidden, updates, quick_updates = TASKS[name]
    count = quick_updates if quick else updates
    data, n_in, n_out = batches(kind, steps, batch, count)
    impls = implementations(kind, n_in, hidden, n_out, composed, gpu)
    inputs = {n: [(conv(x), conv(y)) for x, y in data] for n, (_, conv) in impls.items()}
    for n, (update, _) in impls.items():      # one untimed update each (warm caches, pools)
        update(*inputs[n][0])
    # restart from the same weights after the warm-up: rebuild, so every run is count updates
    impls = implementations(kind, n_in, hidden, n_out, composed, gpu)
    totals = {n: 0.0 for n in impls}
    cpu = {n: 0.0 for n in impls}
    losses = {n: None for n in impls}
    block = max(1, min(BLOCK[name], count))
    for first in range(0, count, block):
        for n, (update, _) in impls.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for x, y in inputs[n][first:first + block]:
                loss = update(x, y)
            losses[n] = float(loss.item())
            totals[n] += time.perf_counter() - start
            cpu[n] += time.process_time() - start_cpu
    return {"updates": count, "seconds": totals, "cpu": cpu, "loss": losses,
            "per_step_us": {n: s / count / steps * 1e6 for n, s in totals.items()}}


# ---- one thread count, in this process --------------------------------------------------
def limit_threads(threads: int):
    """Cap NumPy's BLAS and torch at `threads`; returns a note of how."""
    how = [f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '?')}"]
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=threads, user_api="blas")
        how.append("threadpoolctl")
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(threads)
        how.append(f"torch {torch.get_num_threads()}")
    except ImportError:
        pass
    return ", ".join(how)


def child(args) -> None:
    note = limit_threads(args.threads)
    results = {"threads": args.threads, "how": note, "tasks": {}}
    for name in args.tasks:
        results["tasks"][name] = time_task(name, args.quick, composed=args.composed, gpu=args.gpu)
        print(f"  [{args.threads} thread(s)] {name} done", file=sys.stderr, flush=True)
    print(json.dumps(results))


def run_child(threads: int, args) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--child", "--threads", str(threads),
           "--tasks", ",".join(args.tasks)] + (["--quick"] if args.quick else []) + \
        (["--composed"] if args.composed else []) + (["--gpu"] if args.gpu else [])
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- report --------------------------------------------------------------------------
TARGETS = {"adding500": 1.5, "adding1000": 1.5, "char": 1.3}   # fused vs torch, 1 thread


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def baseline(name: str) -> str:
    """What a column is compared with: PyTorch on the same device."""
    return "torch-cuda" if name.endswith("cupy") else "torch"


def report(runs: list[dict]) -> list[str]:
    """A markdown table of total seconds (wall) and ratios to PyTorch, then per task the
    ratios in CPU time (process_time: what the process itself used, so less sensitive to
    other jobs; with 2 threads it adds up both), final losses and time per step."""
    lines = []
    order = ("fused", "fused-numba", "composed", "torch", "fused-cupy", "torch-cuda")
    names = [n for n in order if any(n in t["seconds"] for r in runs for t in r["tasks"].values())]
    lines.append("| task (T, B, H) | threads | updates | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 3) + "|")
    for name in runs[0]["tasks"]:
        _, steps, batch, hidden, *_ = TASKS[name]
        for run in runs:
            res = run["tasks"][name]
            cells = []
            for n in names:
                seconds, base = res["seconds"].get(n), res["seconds"].get(baseline(n))
                if seconds is None:
                    cells.append("-")
                elif base and n != baseline(n):
                    cells.append(f"{seconds:.2f} s ({seconds / base:.2f}x)")
                else:
                    cells.append(f"{seconds:.2f} s")
            lines.append(f"| {name} ({steps}, {batch}, {hidden}) | {run['threads']} | "
                         f"{res['updates']} | " + " | ".join(cells) + " |")
    lines.append("")
    for run in runs:
        for name, res in run["tasks"].items():
            cpu = ", ".join(f"{n} {res['cpu'][n] / res['cpu'][baseline(n)]:.2f}x"
                            for n in res["cpu"] if n != baseline(n) and baseline(n) in res["cpu"])
            losses = ", ".join(f"{n} {v:.6f}" for n, v in res["loss"].items())
            per_step = ", ".join(f"{n} {v:.1f}" for n, v in res["per_step_us"].items())
            lines.append(f"{run['threads']} thread(s) {name}: CPU time vs torch {cpu}; final "
                         f"loss {losses}; us per time step (forward, backward, update) {per_step}")
    lines.append("")
    for run in runs:
        if run["threads"] != 1:
            continue
        for name, limit in TARGETS.items():
            res = run["tasks"].get(name)
            if not res or "torch" not in res["seconds"]:
                continue
            for n in ("fused", "fused-numba"):
                if n in res["seconds"]:
                    ratio = res["seconds"][n] / res["seconds"]["torch"]
                    lines.append(f"{n}, 1 thread, {name}: {ratio:.2f}x torch (target <= "
                                 f"{limit}x) {'met' if ratio <= limit else 'NOT met'}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--tasks", default=",".join(TASKS), metavar="NAMES",
                        help=f"comma-separated, from {', '.join(TASKS)} (default: all)")
    parser.add_argument("--threads", default="1,2", metavar="N[,N]",
                        help="thread counts, each in a child process (default: 1,2)")
    parser.add_argument("--quick", action="store_true", help="a quarter of the updates")
    parser.add_argument("--composed", action="store_true",
                        help="add the composed path (slow at long sequences)")
    parser.add_argument("--gpu", action="store_true",
                        help="add the CuPy fused path and PyTorch on CUDA (cuDNN)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in args.tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    if args.child:
        args.threads = int(args.threads)
        child(args)
        return 0
    print(f"load average at start: {load()}")
    runs = [run_child(int(n), args) for n in args.threads.split(",")]
    print(f"load average at end: {load()}\n")
    for line in report(runs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
