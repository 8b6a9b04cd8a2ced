"""The command line: `tinygrad-lstm demo` (and, as they land, train/render/gradflow/bench)."""
from __future__ import annotations

import argparse
import sys

import numpy as np

import tinygrad_lstm as tl


def quick_bptt(steps: int = 20, batch: int = 4, inputs: int = 3, hidden: int = 8,
               seed: int = 0) -> None:
    """An LSTM cell written out from the primitive ops, unrolled, and trained by BPTT."""
    rng = np.random.default_rng(seed)
    H = hidden
    W = tl.tensor(rng.standard_normal((inputs + H, 4 * H)) * 0.3, requires_grad=True)
    b = tl.tensor(np.zeros(4 * H), requires_grad=True)
    V = tl.tensor(rng.standard_normal((H, 1)) * 0.3, requires_grad=True)
    xs = tl.tensor(rng.standard_normal((steps, batch, inputs)))
    target = tl.tensor(np.asarray(xs.numpy()[:, :, 0].sum(axis=0, keepdims=True).T))
    for it in range(30):
        h = tl.tensor(np.zeros((batch, H)))
        c = tl.tensor(np.zeros((batch, H)))
        for t in range(steps):
            gates = tl.concat([xs[t], h], axis=1) @ W + b
            i, f, g, o = tl.split(gates, 4, axis=1)
            c = tl.sigmoid(f) * c + tl.sigmoid(i) * tl.tanh(g)
            h = tl.sigmoid(o) * tl.tanh(c)
        loss = ((h @ V - target) ** 2).mean()
        for p in (W, b, V):
            p.grad = None
        loss.backward()
        norms = {name: float(np.linalg.norm(p.grad.numpy())) for name, p in
                 (("W", W), ("b", b), ("V", V))}
        if it % 5 == 0 or it == 29:
            print(f"iter {it:2d}  loss {loss.item():.4f}  |dW| {norms['W']:.4f}  "
                  f"|db| {norms['b']:.4f}  |dV| {norms['V']:.4f}")
        with tl.no_grad():
            for p in (W, b, V):
                p.sub_(0.05 * p.grad.data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tinygrad-lstm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="a short end-to-end BPTT run")
    args = parser.parse_args(argv)
    if args.command == "demo":
        quick_bptt()
    return 0


if __name__ == "__main__":
    sys.exit(main())
