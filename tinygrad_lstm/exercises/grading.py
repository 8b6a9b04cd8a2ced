"""Comparing a learner's arrays with the engine's, and saying what is wrong in words.

A check raises `Wrong` with a message a learner can act on: which function, which
output (by the name the exercise gives it, e.g. "dW_h"), where (the index, and for LSTM
weights which gate and unit the row belongs to) and by how much.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Callable

import numpy as np

ATOL, RTOL = 1e-7, 1e-6     # float64 throughout: a right answer agrees to rounding
GATES = {4: ("i", "f", "g", "o"), 3: ("r", "z", "n")}


class Wrong(AssertionError):
    """A check failed; the message says what to fix."""


class NotWritten(Wrong):
    """The function still raises NotImplementedError."""


def call(fn: Callable, name: str, *args: Any) -> Any:
    """fn(*args), with a stub's NotImplementedError and any crash turned into words."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotWritten(f"write {name} (it still raises NotImplementedError)") from None
    except Wrong:
        raise
    except Exception as err:
        raise Wrong(f"{name} raised {type(err).__name__}: {err}") from err


def where(index: tuple, shape: tuple, gate_axis: int | None, hidden: int | None) -> str:
    """'at index (5, 1)', plus 'gate f of unit 1' when the axis holds gates, or 'step
    t=3' when a negative gate_axis (-1 - axis) marks a time axis."""
    text = f"at index {tuple(int(i) for i in index)}" if index else "(a scalar)"
    if gate_axis is not None and gate_axis < 0:
        return text + f" (step t={int(index[-1 - gate_axis])})"
    if gate_axis is not None and hidden and shape[gate_axis] % hidden == 0:
        count = shape[gate_axis] // hidden
        names = GATES.get(count)
        if names:
            row = int(index[gate_axis])
            text += f" (row {row}: gate {names[row // hidden]} of unit {row % hidden})"
    return text


TIME = -1      # gate_axis=TIME: axis 0 is time


def compare(what: str, got: Any, want: np.ndarray, gate_axis: int | None = None,
            hidden: int | None = None, atol: float = ATOL, rtol: float = RTOL) -> None:
    """Raise Wrong unless `got` has want's shape and agrees entry by entry; gate_axis
    (with hidden) names the gate of a wrong row, TIME names the step."""
    if got is None:
        raise Wrong(f"{what} is None; return an array of shape {want.shape}")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise Wrong(f"{what} is not an array of numbers ({type(got).__name__}): {err}") from None
    if got.shape != want.shape:
        hint = " (it has the shape of its transpose)" if got.shape == want.shape[::-1] else ""
        raise Wrong(f"{what} has shape {got.shape}, it should have shape {want.shape}{hint}")
    if not np.all(np.isfinite(got)):
        index = np.unravel_index(int(np.argmax(~np.isfinite(got))), got.shape)
        raise Wrong(f"{what} has {got[index]} {where(index, want.shape, gate_axis, hidden)}")
    off = np.abs(got - want) > atol + rtol * np.abs(want)
    if off.any():
        index = np.unravel_index(int(np.argmax(np.abs(got - want) * off)), got.shape)
        count = int(off.sum())
        many = "every entry is" if count == off.size else f"{count} of {off.size} entries are"
        scale = float(np.abs(want).max()) or 1.0
        raise Wrong(f"{what} is wrong {where(index, want.shape, gate_axis, hidden)}: you give "
                    f"{got[index]:.6g}, the engine gives {want[index]:.6g} (off by "
                    f"{abs(got[index] - want[index]):.3g}; {many} off, the largest entry is "
                    f"{scale:.3g})")


def compare_all(what: str, labels, gots, wants, axes, hidden: int | None = None) -> None:
    """compare() each (label, got, want, axis) in order; the first mistake is described,
    the others named after it."""
    errors = []
    for label, got, want, axis in zip(labels, gots, wants, axes):
        try:
            compare(f"{what}: {label}", got, want, axis, hidden)
        except Wrong as err:
            errors.append((label, str(err)))
    if errors:
        others = [label for label, _ in errors[1:]]
        raise Wrong(errors[0][1] + (f". Also wrong: {', '.join(others)}" if others else ""))


def matches(got: Any, want: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=RTOL, atol=ATOL))


BY_HAND_ALLOWED = ("tinygrad_lstm.ops", "tinygrad_lstm.backends")   # pure math, no tape


def tape_imports(path: Path) -> list[str]:
    """The modules of tinygrad_lstm a file imports, other than its pure-math layers
    (ops, backends): what an exercise done by hand may not use."""
    found = []
    try:
        tree = ast.parse(path.read_text())
    except SyntaxError:
        return []                   # load() reports it, with the line
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        found += [n for n in names if n.split(".")[0] == "tinygrad_lstm"
                  and not n.startswith(BY_HAND_ALLOWED)]
    return found
