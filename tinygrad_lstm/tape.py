"""The tape: what was recorded during the forward pass, and the backward pass over it.

Contract.
- Every op applied while recording is on, to inputs of which at least one requires a
  gradient, appends a Record: out = op(*inputs, **params), with the VJP that reverses it
  and the tags (module path, time step) active when it ran.
- A Node stands for one tensor in the graph. It holds no array: the Record that made it
  (None for a leaf), a name, its shape and dtype, and for leaves a weak reference back to
  the tensor whose .grad it fills.
- References point from outputs to inputs only (a Record holds its outputs weakly), so a
  graph is freed by reference counting as soon as its outputs are dropped.
- backward collects the records reachable from the roots with an explicit stack, sorts
  them by recording order, and walks them in reverse with a dict of cotangents: no
  recursion, fan-out summed. Observers (anomaly mode, the renderer's gradient view,
  tl.grad's intermediate targets) see each step through one hook.
- Recording state (grad mode, tags, the hook) lives in context variables: per thread and
  per task.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import traceback
import weakref
from typing import Any, Callable, Iterator

_grad_enabled = contextvars.ContextVar("tinygrad_lstm_grad_enabled", default=True)
_tags = contextvars.ContextVar("tinygrad_lstm_tags", default={})
_hook = contextvars.ContextVar("tinygrad_lstm_hook", default=None)
_next_seq = itertools.count().__next__   # recording order, to sort records by


class Node:
    """One tensor's place in the graph (no data: arrays live in tensors and VJP closures).

    `version` is a one-item list shared by every tensor that shares the array (views,
    detach): in-place updates bump it, and backward checks it has not moved."""

    __slots__ = ("record", "index", "version", "requires_grad", "leaf", "name", "shape",
                 "dtype", "__weakref__")

    def __init__(self, shape, dtype, requires_grad: bool, version: list | None = None) -> None:
        self.record: Record | None = None
        self.index = 0                        # which output of its record
        self.version = version if version is not None else [0]
        self.requires_grad = requires_grad
        self.leaf: weakref.ref | None = None
        self.name: str | None = None          # a user's name, or a role nn gives (h, c, i, ...)
        self.shape = tuple(shape)
        self.dtype = dtype


class Record:
    """One line of the tape: outputs = op(*inputs, **params).

    outputs are weak references to Nodes (always a tuple, one per output), avals their
    (shape, dtype), kept for printing after an unused output is gone; vjp maps one
    cotangent per output to one per input and is dropped after backward; tags say where
    the op ran ({"scope": "lstm.l0", "step": 3}); saved holds (version counter, value when
    recorded) for each array the VJP reads (`saves`: "inputs",
    "output", "nothing" or "all"), so backward can tell if one changed in place since.
    """

    __slots__ = ("seq", "op", "inputs", "outputs", "avals", "vjp", "params", "tags", "saved",
                 "__weakref__")

    def __init__(self, op: str, inputs: tuple, outputs: tuple, vjp: Callable | None,
                 params: Any, tags: dict, saves: str = "all") -> None:
        self.seq = _next_seq()
        self.op, self.inputs, self.vjp, self.params, self.tags = op, inputs, vjp, params, tags
        self.outputs = tuple([weakref.ref(n) for n in outputs])
        self.avals = tuple([(n.shape, n.dtype) for n in outputs])
        read = inputs if saves == "inputs" else outputs if saves == "output" else \
            () if saves == "nothing" else inputs + outputs
        self.saved = tuple([(n.version, n.version[0]) for n in read])
        for k, node in enumerate(outputs):
            node.record, node.index = self, k

    @property
    def scope(self) -> str:
        return self.tags.get("scope", "")

    @property
    def step(self) -> int | None:
        return self.tags.get("step")

    def __repr__(self) -> str:
        return f"Record({self.seq}, {self.op!r}, {self.tags})"


# ---- recording state -----------------------------------------------------------------
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


def scope(module: str | None = None, step: int | None = None, **more: Any):
    """Tag the records made inside with a module path and/or a time step (for the renderer
    and the tape printout), and any further tags. `module` nests: scope("lstm") then
    scope("l0") gives "lstm.l0"."""
    tags = {**_tags.get(), **more}
    if module:
        tags["scope"] = f"{tags['scope']}.{module}" if tags.get("scope") else module
    if step is not None:
        tags["step"] = step
    return _set(_tags, tags)


def current_tags() -> dict:
    """The tags a record made now would get (shared, never modified: copy to change)."""
    return _tags.get()


def observe(hook: Callable[[Record, tuple, tuple], None]):
    """Context manager: backward passes inside call hook(record, output cotangents, input
    cotangents) after each record's VJP. Observers nest: an outer one keeps being called."""
    outer = _hook.get()
    if outer is None:
        return _set(_hook, hook)

    def both(rec, out_cots, in_cots):
        outer(rec, out_cots, in_cots)
        hook(rec, out_cots, in_cots)
    return _set(_hook, both)


def describe(rec: Record) -> str:
    """'matmul [lstm.l0 t=3]': an op and where it ran, for error messages."""
    tag = rec.scope + (f" t={rec.step}" if rec.step is not None else "")
    return f"'{rec.op}'" + (f" [{tag.strip()}]" if tag.strip() else "")


# ---- anomaly mode: one observer of forward (in apply) and of backward ------------------
_anomaly = contextvars.ContextVar("tinygrad_lstm_anomaly", default=False)


def is_anomaly_enabled() -> bool:
    return _anomaly.get()


def check_finite(array, rec: Record, what: str) -> None:
    """Raise FloatingPointError, naming the op and where it was created, on NaN or Inf."""
    namespace = getattr(array, "__array_namespace__", None)
    if namespace is None:               # a NumPy scalar
        import numpy as xp
    else:
        xp = namespace()
    if not bool(xp.all(xp.isfinite(array))):
        where = rec.tags.get("where")
        raise FloatingPointError(f"detect_anomaly: {what} of op {describe(rec)} contains NaN "
                                 f"or Inf" + (f"\nthe op was created at:\n{where}" if where else ""))


def _anomaly_hook(rec: Record, out_cots: tuple, in_cots: tuple) -> None:
    for node, g in zip(rec.inputs, in_cots):
        if g is not None:
            check_finite(g, rec, f"the gradient for input of shape {node.shape}")


@contextlib.contextmanager
def detect_anomaly():
    """Context manager: raise as soon as a NaN or Inf appears in forward or backward,
    naming the op, its scope and the line that created it."""
    with _set(_anomaly, True), observe(_anomaly_hook):
        yield


def creation_site() -> str:
    """The user's lines that led to the op being recorded (kept in anomaly mode)."""
    return "".join(traceback.format_stack(limit=16)[:-2])   # without this frame and apply's


# ---- backward ------------------------------------------------------------------------
def reachable(roots: list[Node]) -> list[Record]:
    """The records that `roots` depend on, in recording order (found with an explicit stack)."""
    seen: set[Record] = set()
    stack = [n.record for n in roots if n.record is not None]
    while stack:
        rec = stack.pop()
        if rec not in seen:
            seen.add(rec)
            stack.extend([n.record for n in rec.inputs if n.record is not None and n.requires_grad])
    return sorted(seen, key=lambda rec: rec.seq)


def check_saved(records: list[Record]) -> None:
    """Refuse, before any VJP runs, if an array a VJP reads was changed in place since its
    record was made (checked up front, so a failed backward leaves the graph whole)."""
    for rec in reversed(records):
        for counter, seen in rec.saved:
            if counter[0] != seen:
                nodes = rec.inputs + tuple([ref() for ref in rec.outputs])
                k = next(k for k, n in enumerate(nodes) if n is not None and n.version is counter)
                what = f"input {k}" if k < len(rec.inputs) else f"output {k - len(rec.inputs)}"
                raise RuntimeError(
                    f"backward: {what} of op {describe(rec)} was modified in place after the "
                    f"forward pass used it (version {seen} -> {counter[0]}), and its gradient "
                    f"needs the old values. Call backward before updating it in place (e.g. "
                    f"before optimizer.step()), or run the forward pass again.")


def _run_vjp(rec: Record, out_cots: tuple) -> tuple:
    if rec.vjp is None:
        raise RuntimeError(
            f"backward: trying to backward through the graph a second time (op {describe(rec)}); "
            f"its saved arrays were freed by an earlier backward (finished, or stopped by an "
            f"error). Pass retain_graph=True to the first backward (or tl.grad) to go again.")
    return rec.vjp(*out_cots)


def backward(roots: list[tuple[Node, Any]], retain_graph: bool = False) -> dict[Node, Any]:
    """Reverse-mode sweep from (node, cotangent) pairs; returns the cotangents that reached
    nodes no record made (the leaves), by node."""
    cot: dict[Node, Any] = {}
    sums: set[Node] = set()   # nodes whose cotangent is a sum made here (see _add)
    for node, g in roots:
        _add(cot, sums, node, g)
    hook = _hook.get()
    records = reachable([node for node, _ in roots])
    check_saved(records)
    for rec in reversed(records):
        out_cots = tuple([cot.pop(ref(), None) for ref in rec.outputs])   # (a dead output: None)
        if all([g is None for g in out_cots]):
            continue
        in_cots = _run_vjp(rec, out_cots)
        if hook is not None:
            hook(rec, out_cots, in_cots)
        if not retain_graph:
            rec.vjp = None
        for node, g in zip(rec.inputs, in_cots):
            if g is not None and node.requires_grad:
                if node in cot:
                    _add(cot, sums, node, g)
                else:
                    cot[node] = g
    return cot


def _add(cot: dict, sums: set, node: Node, g: Any) -> None:
    """cot[node] += g. A VJP's arrays may be views or shared, so the first sum is a new
    array; it belongs to this sweep, and later terms add into it in place (a weight used
    at every step of a long sequence gets T additions, not T new arrays)."""
    if node not in cot:
        cot[node] = g
    elif node in sums:
        total = cot[node]
        total += g
        cot[node] = total       # (the same array; a new object only for a NumPy scalar)
    else:
        cot[node] = cot[node] + g
        sums.add(node)
