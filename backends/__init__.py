"""Array backends: the array namespace an op computes with, and little else.

Contract. A backend is a small object with
  name                     "numpy", "cupy", ...
  xp                       the array namespace ops are written against (array-API names:
                           concat, permute_dims, astype, matmul, tanh, ...)
  asarray(data, dtype)     a backend array from Python/NumPy data
  to_numpy(array)          a NumPy copy of a backend array
  dtype(name)              the backend's dtype object for "float32", "float64", "int64", ...
  is_floating(dtype)       whether a dtype is a real floating type
  dtype_name(dtype)        the canonical name of a dtype ("float32")
  scatter_add(shape, index, values)
                           zeros(shape) with `values` added at `index` (repeated indices add up)
  normal/uniform(rng, shape, dtype, ...)
                           random arrays drawn from a numpy.random.Generator, so that a seed
                           gives the same numbers on every backend
  fused                    a dict of optional fused kernels, by op name

Backends know nothing of ops or tensors. Nothing is chosen at import time: a backend is
built the first time it is asked for by name, so several can live in one process.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np


class Backend(Protocol):
    name: str
    xp: Any
    fused: dict[str, Any]

    def asarray(self, data: Any, dtype: Any = None) -> Any: ...
    def to_numpy(self, array: Any) -> np.ndarray: ...
    def dtype(self, name: Any) -> Any: ...
    def is_floating(self, dtype: Any) -> bool: ...
    def dtype_name(self, dtype: Any) -> str: ...
    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any: ...
    def is_array(self, obj: Any) -> bool: ...


_FACTORIES: dict[str, Callable[[], Backend]] = {}
_INSTANCES: dict[str, Backend] = {}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make `factory()` available as backend `name` (built lazily, once)."""
    _FACTORIES[name] = factory
    _INSTANCES.pop(name, None)


def get_backend(name: str | Backend | None = None) -> Backend:
    """The backend called `name` ("numpy" when None); a Backend object passes through."""
    if name is None:
        name = "numpy"
    if not isinstance(name, str):
        return name
    if name not in _INSTANCES:
        if name not in _FACTORIES:
            known = ", ".join(sorted(_FACTORIES))
            raise ValueError(f"unknown backend {name!r}; known backends: {known}")
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]


def available_backends() -> list[str]:
    """Names of the registered backends (whether or not their library imports here)."""
    return sorted(_FACTORIES)


def _numpy_factory() -> Backend:
    from .numpy_backend import NumpyBackend
    return NumpyBackend()


def _cupy_factory() -> Backend:
    from .cupy_backend import CupyBackend
    return CupyBackend()


register_backend("numpy", _numpy_factory)
register_backend("cupy", _cupy_factory)
