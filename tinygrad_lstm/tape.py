"""The tape: what was recorded during the forward pass, and the backward pass over it.

Contract.
- Every op applied while recording is enabled to inputs of which at least one requires a
  gradient appends a Record: the op name, its ordered input Nodes, weak references to its
  output Nodes, the VJP closure, its parameters, and the scope tags (module path, time
  step) active when it ran.
- A Node stands for one tensor in the graph. It holds no array, only the Record that made
  it (None for a leaf), a version counter bumped by in-place updates, and for leaves a weak
  reference back to the tensor whose .grad it fills.
- References point from outputs to inputs only, so a graph is freed by reference counting
  the moment its outputs are dropped, whether or not backward ran. Nothing global grows.
- backward collects the records reachable from the roots with an explicit stack, sorts
  them by recording order, and walks them in reverse with a dict of accumulated
  cotangents: no recursion, fan-out summed.
- Recording state (grad mode, scope, anomaly mode) lives in context variables, so it is
  per thread and per task.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import operator
import traceback
import weakref
from typing import Any, Callable, Iterator

_grad_enabled = contextvars.ContextVar("tinygrad_lstm_grad_enabled", default=True)
_scope = contextvars.ContextVar("tinygrad_lstm_scope", default=("", None))
_anomaly = contextvars.ContextVar("tinygrad_lstm_anomaly", default=False)
_sequence = itertools.count()  # recording order; only ever compared, never stored globally


class Node:
    """One tensor's place in the graph (no data: arrays live in tensors and VJP closures)."""

    __slots__ = ("record", "index", "version", "requires_grad", "leaf", "name", "shape",
                 "dtype", "__weakref__")

    def __init__(self, shape, dtype, requires_grad: bool, record: "Record | None" = None,
                 index: int = 0) -> None:
        self.record = record
        self.index = index
        self.version = 0
        self.requires_grad = requires_grad
        self.leaf: "weakref.ref | None" = None
        self.name: str | None = None
        self.shape = tuple(shape)
        self.dtype = dtype


class Record:
    """One line of the tape: out = op(inputs), with the VJP that reverses it.

    Fields: seq (recording order), op, inputs (Nodes), outputs (weak refs to Nodes), vjp
    (None once freed), params, scope, step, versions (of the inputs when recorded),
    out_shapes, out_dtype, multi_output, where (creation traceback, in anomaly mode) and
    grad_norms (filled when backward tracks norms). A slotted class: one is made per op,
    and a per-instance dict would be one more object for the garbage collector to scan.
    """

    __slots__ = ("seq", "op", "inputs", "outputs", "vjp", "params", "scope", "step",
                 "versions", "out_shapes", "out_dtype", "multi_output", "where",
                 "grad_norms", "__weakref__")

    def __init__(self, seq: int, op: str, inputs: tuple, outputs: tuple,
                 vjp: Callable[[Any], Any] | None, params: Any, scope: str, step: int | None,
                 versions: tuple, out_shapes: tuple, out_dtype: Any,
                 multi_output: bool = False) -> None:
        self.seq, self.op, self.inputs, self.outputs, self.vjp = seq, op, inputs, outputs, vjp
        self.params, self.scope, self.step, self.versions = params, scope, step, versions
        self.out_shapes, self.out_dtype, self.multi_output = out_shapes, out_dtype, multi_output
        self.where: str | None = None
        self.grad_norms: list[float] | None = None

    def __repr__(self) -> str:
        return f"Record({self.seq}, {self.op!r}, scope={self.scope!r}, step={self.step})"


def is_grad_enabled() -> bool:
    return _grad_enabled.get()


@contextlib.contextmanager
def _set(var: contextvars.ContextVar, value) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def no_grad():
    """Context manager: ops inside record nothing and produce tensors that need no grad."""
    return _set(_grad_enabled, False)


def enable_grad():
    """Context manager: turn recording back on inside a no_grad block."""
    return _set(_grad_enabled, True)


def detect_anomaly():
    """Context manager: raise as soon as a NaN or Inf appears in forward or backward,
    naming the op, its scope and the line that created it."""
    return _set(_anomaly, True)


def is_anomaly_enabled() -> bool:
    return _anomaly.get()


def scope(module: str | None = None, step: int | None = None) -> contextlib.AbstractContextManager[None]:
    """Tag the records made inside with a module path and/or a time step (for the renderer
    and the tape printout). `module` nests: scope("lstm") then scope("l0") gives "lstm.l0"."""
    return _Scope(module, step)


class _Scope:
    """scope()'s context manager: a small class, as a generator-based one costs ~2 us a
    step in a recurrent loop."""

    __slots__ = ("module", "step", "token")

    def __init__(self, module: str | None, step: int | None) -> None:
        self.module, self.step = module, step

    def __enter__(self) -> None:
        path, old_step = _scope.get()
        if self.module:
            path = f"{path}.{self.module}" if path else self.module
        self.token = _scope.set((path, old_step if self.step is None else self.step))

    def __exit__(self, *exc) -> None:
        _scope.reset(self.token)


def current_scope() -> tuple[str, int | None]:
    return _scope.get()


def record(op: str, inputs: tuple[Node, ...], outputs: tuple[Node, ...], vjp, params: dict,
           multi_output: bool) -> Record:
    """Append one record; the output nodes point at it (never the other way round)."""
    path, step = _scope.get()
    if multi_output:
        refs, shapes = tuple([weakref.ref(n) for n in outputs]), tuple([n.shape for n in outputs])
    else:
        refs, shapes = (weakref.ref(outputs[0]),), (outputs[0].shape,)
    rec = Record(next(_sequence), op, inputs, refs, vjp, params, path, step,
                 tuple([n.version for n in inputs]), shapes, outputs[0].dtype, multi_output)
    if _anomaly.get():
        rec.where = "".join(traceback.format_stack(limit=12)[:-3])
    for i, node in enumerate(outputs):
        node.record, node.index = rec, i
    return rec


def reachable(roots: list[Node]) -> list[Record]:
    """The records that `roots` depend on, in recording order (found with an explicit stack)."""
    seen: set[Record] = set()   # records hash by identity (eq=False)
    found: list[Record] = []
    stack = [n.record for n in roots if n.record is not None]
    while stack:
        rec = stack.pop()
        if rec in seen:
            continue
        seen.add(rec)
        found.append(rec)
        stack.extend([n.record for n in rec.inputs
                      if n.record is not None and n.requires_grad and n.record not in seen])
    found.sort(key=_by_seq)
    return found


_by_seq = operator.attrgetter("seq")


_track_norms = contextvars.ContextVar("tinygrad_lstm_track_norms", default=False)


def track_grad_norms():
    """Context manager: backward passes inside store each record's output-cotangent norms
    in `record.grad_norms` (what the renderer's gradient view draws)."""
    return _set(_track_norms, True)


def describe(rec: Record) -> str:
    """'matmul [lstm.l0 t=3]': an op and where it ran, for error messages."""
    tag = rec.scope or ""
    if rec.step is not None:
        tag = f"{tag} t={rec.step}".strip()
    return f"'{rec.op}'" + (f" [{tag}]" if tag else "")


def _check_versions(rec: Record) -> None:
    for i, (node, seen) in enumerate(zip(rec.inputs, rec.versions)):
        if node.version != seen:
            raise RuntimeError(
                f"backward: input {i} (shape {node.shape}) of op {describe(rec)} was modified "
                f"in place after the forward pass used it (version {seen} -> {node.version}), "
                f"so its gradient would be wrong. Call backward before updating it in place "
                f"(e.g. before optimizer.step()), or run the forward pass again.")


def _run_vjp(rec: Record, cots: list, bk) -> tuple:
    if rec.vjp is None:
        raise RuntimeError(
            f"backward: trying to backward through the graph a second time (op {describe(rec)}); "
            f"its saved arrays were freed by the first backward. Pass retain_graph=True to the "
            f"first backward (or to tl.grad) if you need to go through the graph again.")
    for node, seen in zip(rec.inputs, rec.versions):
        if node.version != seen:
            _check_versions(rec)   # raises, naming the input
    if rec.multi_output:
        return rec.vjp(cots)
    return rec.vjp(cots[0])


def _check_finite(bk, array, rec: Record, what: str) -> None:
    if not bool(bk.xp.all(bk.xp.isfinite(array))):
        where = f"\nthe op was created at:\n{rec.where}" if rec.where else ""
        raise FloatingPointError(
            f"detect_anomaly: {what} of op {describe(rec)} contains NaN or Inf{where}")


def _take_output_cotangents(rec: Record, cot: dict, wanted: set, found: dict) -> list | None:
    """Pop the finished cotangents of a record's outputs (None where an output got none);
    None when no output got any. A cotangent asked for by tl.grad is kept in `found`."""
    cots, live = [], False
    for ref in rec.outputs:
        node = ref()
        g = cot.pop(node, None) if node is not None else None
        if g is not None:
            live = True
            if wanted and node in wanted:
                found[node] = g
        cots.append(g)
    return cots if live else None


def _fill_leaf_grads(cot: dict) -> None:
    for node, g in cot.items():
        tensor = node.leaf() if node.leaf is not None else None
        if tensor is not None and node.record is None:
            # A fresh array: cotangents may be read-only broadcast views (sum's VJP) or one
            # array handed to two inputs (add's VJP); a .grad must be the leaf's own.
            tensor._accumulate_grad(g * 1 if tensor.grad is None else g)


def backward(roots: list[tuple[Node, Any]], bk, retain_graph: bool = False,
             targets: list[Node] | None = None) -> dict[Node, Any]:
    """Reverse-mode sweep from `roots` (node, cotangent) pairs.

    Returns the accumulated cotangents of `targets` (when given); otherwise adds the
    cotangents of leaves that require grad into their tensors' .grad.
    """
    records = reachable([n for n, _ in roots])
    cot: dict[Node, Any] = {}
    for node, g in roots:
        cot[node] = g if node not in cot else cot[node] + g
    wanted = set(targets or ())
    found: dict[Node, Any] = {}
    anomaly, norms = _anomaly.get(), _track_norms.get()
    owned: set[Node] = set()   # nodes whose cotangent is a sum made here (e.g. a weight's)
    for rec in reversed(records):
        cots = _take_output_cotangents(rec, cot, wanted, found)
        if cots is None:
            continue
        if norms:
            rec.grad_norms = [float(bk.xp.sqrt(bk.xp.sum(g * g))) if g is not None else 0.0
                              for g in cots]
        in_cots = _run_vjp(rec, cots, bk)
        if not retain_graph:
            rec.vjp = None
        for node, g in zip(rec.inputs, in_cots):
            if g is None or not node.requires_grad:
                continue
            if anomaly:
                _check_finite(bk, g, rec, f"the gradient for input of shape {node.shape}")
            prev = cot.get(node)
            if prev is None:
                cot[node] = g
            elif node in owned:   # a sum this loop made and nothing else holds: add in place
                prev += g
                cot[node] = prev  # (the same array; a new object only for a NumPy scalar)
            else:
                cot[node] = prev + g
                owned.add(node)
    if targets is not None:
        for node in targets:
            if node in cot:
                found[node] = cot[node]
        return found
    _fill_leaf_grads(cot)
    return {}
