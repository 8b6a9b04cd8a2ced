"""Array backends: the array namespace an op computes with, and little else.

Contract: a backend is a small object that satisfies the `Backend` protocol below (every
member listed there, nothing more is assumed). Backends know nothing of ops or tensors.
Nothing is chosen at import time: a backend is built the first time it is asked for by
name, so several can live in one process.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np


class Backend(Protocol):
    name: str            # "numpy", "cupy", ...
    xp: Any              # the array namespace ops are written against (array-API names:
                         # concat, permute_dims, astype, matmul, tanh, ...)
    fused: dict[str, Callable[..., Any]]   # optional kernels by name (see ops/fused.py)

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """A backend array from Python or NumPy data."""

    def to_numpy(self, array: Any) -> np.ndarray:
        """A NumPy copy of a backend array."""

    def is_array(self, obj: Any) -> bool:
        """Whether obj is this backend's array type."""

    def dtype(self, name: Any) -> Any:
        """The backend's dtype for "float32", "float64", "int64", ..."""

    def is_floating(self, dtype: Any) -> bool:
        """Whether dtype is a real floating type."""

    def dtype_name(self, dtype: Any) -> str:
        """The canonical name of a dtype ("float32")."""

    def gather(self, array: Any, index: Any) -> Any:
        """array[index] for an index holding integer arrays."""

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        """zeros(shape) with values added at index (repeated indices add up)."""

    def normal(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any,
               std: float = 1.0) -> Any:
        """Normal numbers drawn from a NumPy generator (one seed, the same numbers everywhere)."""

    def uniform(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any,
                low: float, high: float) -> Any:
        """Uniform numbers in [low, high) drawn from a NumPy generator."""


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


def _numba_factory() -> Backend:
    from .numpy_backend import NumbaBackend
    return NumbaBackend()


def _cupy_factory() -> Backend:
    from .cupy_backend import CupyBackend
    return CupyBackend()


register_backend("numpy", _numpy_factory)
register_backend("numba", _numba_factory)
register_backend("cupy", _cupy_factory)
