"""The input checks every op runs before its forward: one backend, one dtype, and floating
point where the op differentiates. The common case passes in a few comparisons; anything
odd is explained by an error that names the op, the backends or dtypes, and the fix."""
from __future__ import annotations

from typing import Any, Sequence

from .backends import Backend


def describe_dtype(t: Any) -> str:
    return t.backend.dtype_name(t.data.dtype)


_FLOATING: dict = {}  # memo of backend.is_floating(dtype): NumPy's answer costs ~1 us a call


def check_inputs(name: str, tensors: Sequence[Any], float_only: bool) -> Backend:
    bk = tensors[0].backend
    first = tensors[0].data.dtype
    for t in tensors:   # the common case, checked fast; anything odd is explained below
        if t.backend is not bk or (t.data.dtype is not first and t.data.dtype != first):
            _explain_inputs(name, tensors, float_only)
    if float_only:
        floating = _FLOATING.get((bk.name, first))
        if floating is None:
            floating = _FLOATING[(bk.name, first)] = bool(bk.is_floating(first))
        if not floating:
            _explain_inputs(name, tensors, float_only)
    return bk


def _explain_inputs(name: str, tensors: Sequence[Any], float_only: bool) -> None:
    """Raise the error that says what is wrong with the inputs of op `name`."""
    bk = tensors[0].backend
    for t in tensors[1:]:
        if t.backend is not bk:
            raise TypeError(f"{name}: inputs live on different backends, '{bk.name}' and "
                            f"'{t.backend.name}'; move one with .to('{bk.name}') first")
    first = tensors[0].data.dtype
    for t in tensors:
        if float_only and not bk.is_floating(t.data.dtype):
            raise TypeError(f"{name}: needs floating-point input, got {describe_dtype(t)} of "
                            f"shape {t.shape}; convert with .float() or create it with "
                            f"dtype='float32'")
        if t.data.dtype != first:
            raise TypeError(f"{name}: inputs have different dtypes, {describe_dtype(tensors[0])} "
                            f"and {describe_dtype(t)}; convert one with .float() (float32) "
                            f"or .double() (float64)")
