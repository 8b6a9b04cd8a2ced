"""The GPU backend: CuPy arrays, matmuls on cuBLAS, optional elementwise kernels.

CuPy is optional: this module imports it only when the backend is first asked for, and
says which extra to install when it is missing.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _import_cupy():
    try:
        import cupy
    except ImportError as err:  # pragma: no cover - depends on the machine
        raise ImportError(
            "the 'cupy' backend needs CuPy: pip install 'tinygrad-lstm[cuda12]' "
            "(or [cuda13], matching your CUDA driver)") from err
    return cupy


class _Namespace:
    """cupy, with the array-API names our ops use filled in where an older CuPy lacks them."""

    def __init__(self, cupy: Any) -> None:
        self._cupy = cupy
        if not hasattr(cupy, "concat"):
            self.concat = lambda arrays, axis=0: cupy.concatenate(arrays, axis=axis)
        if not hasattr(cupy, "permute_dims"):
            self.permute_dims = cupy.transpose
        if not hasattr(cupy, "astype"):
            self.astype = lambda x, dtype: x.astype(dtype)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cupy, name)


class CupyBackend:
    name = "cupy"

    def __init__(self) -> None:
        cupy = _import_cupy()
        self.cupy = cupy
        self.xp = _Namespace(cupy)
        self.fused: dict[str, Any] = {}

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        return self.cupy.asarray(data, dtype=None if dtype is None else self.dtype(dtype))

    def to_numpy(self, array: Any) -> np.ndarray:
        return self.cupy.asnumpy(array)

    def dtype(self, name: Any) -> np.dtype:
        return np.dtype(name)

    def is_floating(self, dtype: Any) -> bool:
        return np.issubdtype(dtype, np.floating)

    def dtype_name(self, dtype: Any) -> str:
        return np.dtype(dtype).name

    def is_array(self, obj: Any) -> bool:
        return isinstance(obj, self.cupy.ndarray)

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        out = self.cupy.zeros(shape, dtype=values.dtype)
        self.cupy.add.at(out, index, values)
        return out

    def normal(self, rng: np.random.Generator, shape, dtype, std: float = 1.0) -> Any:
        return self.cupy.asarray((rng.standard_normal(shape) * std).astype(dtype))

    def uniform(self, rng: np.random.Generator, shape, dtype, low: float, high: float) -> Any:
        return self.cupy.asarray(rng.uniform(low, high, size=shape).astype(dtype))
