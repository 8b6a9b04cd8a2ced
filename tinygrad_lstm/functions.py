"""The primitive ops as functions of tensors (the operator forms live on Tensor)."""
from __future__ import annotations

from typing import Sequence

from .tensor import Tensor, apply


def _tensors(name: str, tensors: Sequence[Tensor]) -> tuple[Tensor, ...]:
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor, got an empty list")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: item {i} is a {type(t).__name__}, not a Tensor; "
                            f"wrap it with tl.tensor(...)")
    return tensors


def concat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return apply("concat", _tensors("concat", tensors), {"axis": axis})


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join equally shaped tensors along a new axis."""
    return apply("stack", _tensors("stack", tensors), {"axis": axis})


def split(x: Tensor, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """Split as numpy.split: an int must divide the axis evenly; a list gives cut indices."""
    sections = indices_or_sections
    if not isinstance(sections, int):
        sections = tuple(int(s) for s in sections)
    return list(apply("split", (x,), {"sections": sections, "axis": axis}))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return apply("matmul", (a, b))


def sigmoid(x: Tensor) -> Tensor:
    return apply("sigmoid", (x,))


def tanh(x: Tensor) -> Tensor:
    return apply("tanh", (x,))


def exp(x: Tensor) -> Tensor:
    return apply("exp", (x,))


def log(x: Tensor) -> Tensor:
    return apply("log", (x,))


def relu(x: Tensor) -> Tensor:
    return apply("relu", (x,))


def mul(a: Tensor, b: Tensor) -> Tensor:
    return a * b
