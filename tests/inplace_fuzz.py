"""A random-program fuzz of in-place changes, views, detached aliases and casts, run on
our engine, on PyTorch, and on a PyTorch reference written without any in-place op.

A program starts from leaves that require grad and applies random ops (elementwise,
binary with broadcasting, matmul, reductions, casts there and back), views (slices, .T,
reshape, split), detached aliases, integer-array copies, and in-place changes (mul_,
add_, sub_, zero_, copy_) of any tensor or view, under no_grad or while recording. Then
a weighted sum of everything is differentiated.

Three runs of the same program:
- ours: tinygrad_lstm (the program is generated while it runs, so its facts decide
  which results alias which);
- torch: the same calls in PyTorch;
- reference: PyTorch with every in-place change replaced by an out-of-place jump of the
  values that passes the gradient through unchanged, applied to every alias of the
  changed array. That is what an unrecorded in-place change means: the tensors keep their
  place in the graph, later ops see the new values, and each op differentiates at the
  values it saw. Where PyTorch runs the program without error and records no in-place
  op, it must agree with the reference (checked: the reference is itself tested).

Outcomes: both raise; both agree with the reference; ours refuses where PyTorch computes
(an in-place change of a recorded tensor, which PyTorch records and we refuse; or a
version check stricter than PyTorch's); PyTorch refuses where ours agrees with the
reference. Anything else, ours finishing with values or gradients that differ from the
reference, is a silent wrong answer.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch

import tinygrad_lstm as tl

UNARY = ("tanh", "sigmoid", "exp", "logsq", "relu", "neg", "pow2", "pow3", "cast")
BINARY = ("add", "sub", "mul", "div")
METHODS = ("mul_", "add_", "sub_", "zero_", "copy_", "copy_tensor")


@dataclass
class Entry:
    shape: tuple
    group: int           # entries of one group share memory (a base and its views)
    path: tuple          # view steps from the group's base
    grad: bool           # carries gradient (not a detached alias)


@dataclass
class Program:
    leaves: list
    steps: list = field(default_factory=list)
    weights: list = field(default_factory=list)


# ---- the ops, written once for both engines ------------------------------------------
def unary(lib, name, x):
    if name == "tanh":
        return lib.tanh(x)
    if name == "sigmoid":
        return lib.sigmoid(x)
    if name == "exp":
        return lib.exp(x * 0.5)
    if name == "logsq":
        return lib.log(x * x + 1.0)
    if name == "relu":
        return lib.relu(x)
    if name == "neg":
        return -x
    if name == "pow2":
        return x ** 2
    if name == "pow3":
        return x ** 3
    return x.float().double()     # a cast there and back


def binary(name, x, y):
    if name == "add":
        return x + y
    if name == "sub":
        return x - y
    if name == "mul":
        return x * y
    return x / (y * y + 1.0)


def view(lib, kind, x, arg):
    if kind == "rows":
        return x[0:arg]
    if kind == "cols":
        return x[:, arg:]
    if kind == "T":
        return x.T
    if kind == "reshape":
        return x.reshape(arg)
    if kind == "split":          # the first piece of a split along axis 0 at `arg`
        return tl.split(x, [arg], axis=0)[0] if lib is tl else torch.split(x, [arg, x.shape[0] - arg])[0]
    raise ValueError(kind)


def reduce(name, x, axis):
    if name == "max":
        return x.max(axis=axis, keepdims=True) if isinstance(x, tl.Tensor) else x.amax(dim=axis, keepdim=True)
    if isinstance(x, tl.Tensor):
        return getattr(x, name)(axis=axis, keepdims=True)
    return getattr(x, name)(dim=axis, keepdim=True)


def edit(x, method, value):
    """An in-place change, the same call in both engines."""
    if method == "zero_":
        return x.zero_()
    if method == "copy_tensor":
        return x.copy_(value)
    if method == "copy_":
        return x.fill_(value) if isinstance(x, torch.Tensor) else x.copy_(value)
    return getattr(x, method)(value)


# ---- generating (while running ours) ---------------------------------------------------
def _pick(rng, pool, ok=lambda e: True):
    choices = [k for k, e in enumerate(pool) if ok(e)]
    return int(rng.choice(choices)) if choices else None


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def generate_and_run_ours(rng, n_steps):
    """Make a program and run it on our engine step by step. Returns (program, outcome),
    outcome being ("raised", step, error) or ("ok", values, grads)."""
    shapes = [(2, 3), (2, 3), (3,)]
    leaves = [rng.uniform(-1.5, 1.5, size=s) for s in shapes]
    prog = Program(leaves)
    ours = [tl.tensor(v, requires_grad=True, dtype="float64") for v in leaves]
    pool = [Entry(tuple(s), k, (), True) for k, s in enumerate(shapes)]
    groups = len(pool)
    try:
        for _ in range(n_steps):
            kind = rng.choice(["unary", "binary", "binary", "matmul", "reduce", "view", "view",
                               "detach", "index", "edit", "edit", "edit"])
            i = _pick(rng, pool)
            e = pool[i]
            if kind == "unary":
                step = ("unary", str(rng.choice(UNARY)), i)
            elif kind == "binary":
                j = _pick(rng, pool, lambda f: _broadcasts(e.shape, f.shape))
                step = ("binary", str(rng.choice(BINARY)), i, j)
            elif kind == "matmul":
                j = _pick(rng, pool, lambda f: len(f.shape) == 2 and f.shape[1] == e.shape[-1])
                if len(e.shape) != 2 or j is None:
                    continue
                step = ("matmul", i, j)
            elif kind == "reduce":
                step = ("reduce", str(rng.choice(["sum", "mean", "max"])), i, int(rng.integers(len(e.shape))))
            elif kind == "view":
                options = []
                if len(e.shape) == 2:
                    options += [("rows", max(1, e.shape[0] - 1)), ("T", None)]
                    if e.shape[1] > 1:
                        options.append(("cols", 1))
                    if e.shape[0] > 1:
                        options.append(("split", 1))
                if ours[i].data.flags.c_contiguous:
                    options.append(("reshape", (-1,) if len(e.shape) == 2 else (1, e.shape[0])))
                if not options:
                    continue
                v, arg = options[int(rng.integers(len(options)))]
                step = ("view", v, i, arg)
            elif kind == "detach":
                step = ("detach", i)
            elif kind == "index":
                if e.shape[0] < 2:
                    continue
                step = ("index", i)
            else:
                method = str(rng.choice(METHODS))
                j = None
                if method == "copy_tensor":   # from another array: PyTorch's copy_ between
                    # overlapping views of one array promises no result (NumPy copies first)
                    j = _pick(rng, pool, lambda f: f.shape == e.shape and f.group != e.group)
                    if j is None:
                        continue
                step = ("edit", method, i, float(rng.uniform(0.5, 1.5)), j,
                        bool(rng.random() < 0.75))     # True: under no_grad
            prog.steps.append(step)
            out = run_step(tl, ours, step)
            if out is not None:
                entry = describe(step, pool, ours, out, groups)
                if entry.group == groups:
                    groups += 1
                pool.append(entry)
                ours.append(out)
        prog.weights = [rng.uniform(0.5, 1.5, size=e.shape) for e in pool]
        loss = final_loss(tl, ours, prog.weights)
        loss.backward()
    except (RuntimeError, TypeError, ValueError) as error:
        return prog, pool, ("raised", len(prog.steps), error)
    values = [t.numpy() for t in ours]
    grads = [None if t.grad is None else t.grad.numpy() for t in ours[:len(leaves)]]
    return prog, pool, ("ok", values, grads)


def describe(step, pool, ours, out, groups) -> Entry:
    """The pool entry for a step's result; aliasing is read off our arrays."""
    shape = tuple(out.shape)
    if step[0] == "view":
        base = pool[step[2]]
        if np.shares_memory(out.data, ours[step[2]].data):
            return Entry(shape, base.group, base.path + ((step[1], step[3]),), base.grad)
    if step[0] == "detach":
        base = pool[step[1]]
        return Entry(shape, base.group, base.path, False)
    return Entry(shape, groups, (), True)


def run_step(lib, ts, step):
    """Apply one step to the list of tensors `ts` (ours or torch's); returns the new one."""
    kind = step[0]
    if kind == "unary":
        return unary(lib, step[1], ts[step[2]])
    if kind == "binary":
        return binary(step[1], ts[step[2]], ts[step[3]])
    if kind == "matmul":
        return ts[step[1]] @ ts[step[2]].T
    if kind == "reduce":
        return reduce(step[1], ts[step[2]], step[3])
    if kind == "view":
        return view(lib, step[1], ts[step[2]], step[3])
    if kind == "detach":
        return ts[step[1]].detach()
    if kind == "index":
        index = [1, 0] if lib is tl else torch.tensor([1, 0])
        return ts[step[1]][index]
    _, method, i, value, j, quiet = step
    other = ts[j] if j is not None else value
    if quiet:
        with (tl.no_grad() if lib is tl else torch.no_grad()):
            edit(ts[i], method, other)
    else:
        edit(ts[i], method, other)
    return None


def final_loss(lib, ts, weights):
    total = None
    for t, w in zip(ts, weights):
        w = lib.tensor(w, dtype="float64") if lib is tl else torch.tensor(w)
        term = (t * w).sum()
        total = term if total is None else total + term
    return total


# ---- PyTorch, and the reference -----------------------------------------------------------
def run_torch(prog, upto=None):
    """PyTorch on the program; returns ("raised", error) or ("ok", values, grads)."""
    leaves = [torch.tensor(v, requires_grad=True) for v in prog.leaves]
    ts = list(leaves)
    steps = prog.steps if upto is None else prog.steps[:upto]
    try:
        for step in steps:
            out = run_step(torch, ts, step)
            if out is not None:
                ts.append(out)
        weights = prog.weights or [np.ones(tuple(t.shape)) for t in ts]
        final_loss(torch, ts, weights).backward()
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        return ("raised", error)
    return ("ok", [t.detach().numpy().copy() for t in ts],
            [None if t.grad is None else t.grad.numpy() for t in leaves])


def _apply_path(x, path):
    for kind, arg in path:
        x = view(torch, kind, x, arg)
    return x


def _jump(old, new):
    """The values of `new` exactly (old - old is 0), the gradient passed on to `old`."""
    return new.detach().clone() + (old - old.detach())


def run_reference(prog, pool):
    """PyTorch without in-place ops: each change becomes a jump of the values of every
    alias of the changed array, through which the gradient passes unchanged."""
    leaves = [torch.tensor(v, requires_grad=True) for v in prog.leaves]
    ts = list(leaves)
    bases = {k: t for k, t in enumerate(leaves)}          # group -> its base tensor now
    for step in prog.steps:
        if step[0] != "edit":
            out = run_step(torch, ts, step)
            entry = pool[len(ts)]
            if entry.path == () and entry.grad and entry.group not in bases:
                bases[entry.group] = out
            ts.append(out)
            continue
        _, method, i, value, j, _ = step
        entry = pool[i]
        other = ts[j].detach().clone() if j is not None else value
        new_base = bases[entry.group].detach().clone()
        with torch.no_grad():
            edit(_apply_path(new_base, entry.path), method, other)
        bases[entry.group] = _jump(bases[entry.group], new_base)
        for k, e in enumerate(pool[:len(ts)]):
            if e.group == entry.group:
                new_value = _apply_path(new_base, e.path)
                ts[k] = _jump(ts[k], new_value) if e.grad else new_value.clone()
    final_loss(torch, ts, prog.weights).backward()
    return ([t.detach().numpy().copy() for t in ts],
            [None if t.grad is None else t.grad.numpy() for t in leaves])


def _same(a, b) -> bool:
    if a is None or b is None:
        return (a is None or not np.any(a)) and (b is None or not np.any(b))
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)


def _agree(x, y) -> bool:
    return len(x[0]) == len(y[0]) and all(_same(a, b) for a, b in zip(x[0], y[0])) \
        and all(_same(a, b) for a, b in zip(x[1], y[1]))


def fuzz(n_programs: int, seed: int = 0, n_steps: int = 10) -> tuple[Counter, list]:
    """Run n_programs random programs; returns the outcome counts and the silent wrong
    answers (and reference/PyTorch disagreements) as (seed index, program, detail)."""
    counts: Counter = Counter()
    bad = []
    for k in range(n_programs):
        rng = np.random.default_rng([seed, k])
        prog, pool, (status, *rest) = generate_and_run_ours(rng, n_steps)
        if status == "raised":
            step, error = rest
            theirs = run_torch(prog, upto=step)
            counts["both raise" if theirs[0] == "raised" else "ours refuses, torch computes"] += 1
            continue
        ref = run_reference(prog, pool)
        ours = tuple(rest)
        if not _agree(ours, ref):
            counts["SILENT WRONG"] += 1
            bad.append((k, prog, "ours differs from the reference"))
            continue
        theirs = run_torch(prog)
        if theirs[0] == "raised":
            counts["torch raises, ours right"] += 1
        elif not _agree(theirs[1:], ref):
            counts["reference differs from torch"] += 1
            bad.append((k, prog, "the reference differs from PyTorch"))
        else:
            counts["both agree"] += 1
    return counts, bad


if __name__ == "__main__":
    import sys
    import time
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    start = time.perf_counter()
    counts, bad = fuzz(n, seed=seed, n_steps=steps)
    print(f"{n} programs in {time.perf_counter() - start:.1f} s: {dict(counts)}")
    for k, prog, what in bad[:5]:
        print(k, what, prog.steps)
