"""Errors that explain: every message about bad input to an op is worded here.

The ops hold only the math and let the backend raise. `check_inputs` runs before every op
(one backend, one dtype, floating point where the op differentiates: a few comparisons in
the common case); `explain` runs only when an op's forward has raised, and turns the
backend's message into one that names the op, the shapes, and the fix.
"""
from __future__ import annotations

from typing import Any, NoReturn, Sequence

from .ops.shape import split_bounds


def describe_dtype(t: Any) -> str:
    return t.backend.dtype_name(t.data.dtype)


def check_inputs(name: str, tensors: Sequence[Any], float_only: bool) -> Any:
    """The inputs' shared backend; raises when backends or dtypes differ, or when a
    differentiable op gets integers."""
    bk, dtype = tensors[0].backend, tensors[0].data.dtype
    for t in tensors:
        if t.backend is not bk:
            raise TypeError(f"{name}: inputs live on different backends, '{bk.name}' and "
                            f"'{t.backend.name}'; move one with .to('{bk.name}') first")
        if t.data.dtype != dtype:
            _dtype_error(name, tensors, float_only)
    if float_only and not bk.is_floating(dtype):   # (one dtype for all, checked above)
        _dtype_error(name, tensors, float_only)
    return bk


def _dtype_error(name: str, tensors: Sequence[Any], float_only: bool) -> NoReturn:
    for t in tensors:
        if float_only and not t.backend.is_floating(t.data.dtype):
            raise TypeError(f"{name}: needs floating-point input, got {describe_dtype(t)} of "
                            f"shape {t.shape}; convert with .float() or create it with "
                            f"dtype='float32'")
        if t.data.dtype != tensors[0].data.dtype:
            raise TypeError(f"{name}: inputs have different dtypes, {describe_dtype(tensors[0])} "
                            f"and {describe_dtype(t)}; convert one with .float() (float32) "
                            f"or .double() (float64)")
    raise AssertionError("unreachable")


def _broadcast(name: str, shapes: list[tuple]) -> None:
    ndim = max(len(s) for s in shapes)
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(s) for s in shapes)
            raise ValueError(f"{name}: shapes {listed} do not broadcast (axis {axis} has sizes "
                             f"{sorted(sizes)}); sizes must match or be 1. Reshape one operand, "
                             f"e.g. x.reshape(...) or index with None to add an axis")


def _matmul(a: tuple, b: tuple) -> None:
    if not a or not b:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a} "
                         f"and {b}; use * to scale by a scalar")
    k = b[0] if len(b) == 1 else b[-2]
    if a[-1] != k:
        raise ValueError(
            f"matmul: inner sizes differ: {a} @ {b} pairs {a[-1]} columns with {k} rows; the "
            f"last axis of the left operand must equal the "
            f"{'first' if len(b) == 1 else 'second-to-last'} axis of the right (transpose one with .T?)")
    _broadcast("matmul", [a[:-2], b[:-2]])


def _axis(name: str, axis: Any, ndim: int) -> None:
    for a in (axis if isinstance(axis, (tuple, list)) else (axis,)):
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {a!r}")
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a is not None):
            raise ValueError(f"{name}: axis {a} is out of range for an array of {ndim} dimensions")
    if isinstance(axis, (tuple, list)) and len({a % max(ndim, 1) for a in axis}) != len(axis):
        raise ValueError(f"{name}: repeated axis in {axis}")


def _index(shape: tuple, index: Any) -> None:
    items = index if isinstance(index, tuple) else (index,)
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consuming > len(shape):
        raise IndexError(f"getitem: too many indices ({consuming}) for a tensor of shape {shape}")
    axis = 0
    for item in items:
        if item is Ellipsis:
            axis += len(shape) - consuming
            continue
        if item is None:
            continue
        if isinstance(item, int) or hasattr(item, "shape"):
            values = [item] if isinstance(item, int) else [int(v) for v in _flat(item)]
            for v in values:
                if not -shape[axis] <= v < shape[axis]:
                    raise IndexError(f"getitem: index {v} is out of range for axis {axis} of "
                                     f"size {shape[axis]} (tensor shape {shape})")
        axis += 1


def _flat(array) -> list:
    try:
        return list(array.tolist()) if array.ndim else [array.tolist()]
    except AttributeError:   # a namespace without tolist: go through NumPy
        import numpy as np
        return np.asarray(array).ravel().tolist()


def _joined(name: str, shapes: list[tuple], axis: int) -> None:
    ref = shapes[0]
    if name == "concat":
        _axis(name, axis, len(ref))
    for i, s in enumerate(shapes[1:], start=1):
        if name == "stack" and s != ref:
            raise ValueError(f"stack: tensor {i} has shape {s} but tensor 0 has {ref}; "
                             f"stack needs equal shapes")
        if name == "concat" and (len(s) != len(ref) or any(
                a != b for k, (a, b) in enumerate(zip(s, ref)) if k != axis % len(ref))):
            listed = ", ".join(str(t) for t in shapes)
            raise ValueError(f"concat: tensor {i} has shape {s} but tensor 0 has {ref}; all "
                             f"sizes must match except along axis {axis % len(ref)} (shapes: {listed})")
    if name == "stack":
        _axis(name, axis, len(ref) + 1)


def _split(shape: tuple, sections: Any, axis: int) -> None:
    if not shape:
        raise ValueError("split: cannot split a 0-d tensor; it has no axis to split")
    _axis("split", axis, len(shape))
    size = shape[axis % len(shape)]
    try:
        split_bounds(size, sections)
    except ValueError:
        raise ValueError(f"split: {sections} sections do not divide axis {axis % len(shape)} "
                         f"of size {size} equally; pass a size that divides it or a list of "
                         f"cut indices such as [{size // 2}]") from None


def _reshape(shape: tuple, new: tuple) -> None:
    size = 1
    for s in shape:
        size *= s
    raise ValueError(f"reshape: cannot reshape an array of shape {shape} ({size} entries) "
                     f"into {new}")


def _lstm_layer(shapes: list[tuple]) -> None:
    x, h0, c0, w_ih, w_hh, *biases = shapes
    hidden = w_hh[1] if len(w_hh) == 2 else None
    ok = (len(x) == 3 and hidden is not None and w_ih == (4 * hidden, x[2])
          and w_hh == (4 * hidden, hidden) and h0 == c0 == (x[1], hidden)
          and all(b == (4 * hidden,) for b in biases))
    if not ok:
        raise ValueError(f"lstm_layer: expected x (T, B, I), h0 and c0 (B, H), W_ih (4H, I), "
                         f"W_hh (4H, H) and biases (4H,); got x {x}, h0 {h0}, c0 {c0}, "
                         f"W_ih {w_ih}, W_hh {w_hh}, biases {biases}")


def explain(name: str, arrays: Sequence[Any], params: dict, error: Exception) -> NoReturn:
    """Raise the error that says what was wrong with the inputs of op `name`, which raised
    `error`; when nothing specific is found, the backend's error with the op and shapes."""
    shapes = [tuple(a.shape) for a in arrays]
    if name in ("add", "sub", "mul", "div"):
        _broadcast(name, shapes)
    elif name == "matmul":
        _matmul(*shapes)
    elif name in ("sum", "mean", "max"):
        if params.get("axis") is not None:
            _axis(name, params["axis"], len(shapes[0]))
        if name == "max" and 0 in shapes[0]:
            raise ValueError(f"max: cannot take the max over an empty axis of shape {shapes[0]}")
    elif name == "transpose" and params.get("axes") is not None:
        axes = params["axes"]
        _axis("transpose", axes, len(shapes[0]))
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{len(shapes[0])} axes of shape {shapes[0]}")
    elif name == "getitem":
        _index(shapes[0], params["index"])
    elif name in ("concat", "stack"):
        _joined(name, shapes, params.get("axis", 0))
    elif name == "split":
        _split(shapes[0], params["sections"], params.get("axis", 0))
    elif name == "reshape":
        _reshape(shapes[0], params["shape"])
    elif name == "lstm_layer":
        _lstm_layer(shapes)
    listed = ", ".join(str(s) for s in shapes)
    kind = next((k for k in (IndexError, TypeError, ValueError) if isinstance(error, k)), RuntimeError)
    raise kind(f"{name}: failed on inputs of shape {listed}: {error}") from error
