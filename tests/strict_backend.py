"""A test backend on array-api-strict: a namespace that refuses anything outside the
array API standard, so an op that reaches for NumPy (or a NumPy-only idiom) fails here."""
from __future__ import annotations

from typing import Any

import numpy as np

_NAMES = ("float32", "float64", "int32", "int64", "bool")


class StrictBackend:
    name = "strict"

    def __init__(self) -> None:
        import array_api_strict
        self.xp = array_api_strict
        self.fused: dict[str, Any] = {}
        self._array_type = type(array_api_strict.asarray(0.0))

    def dtype(self, name: Any) -> Any:
        if isinstance(name, (str, np.dtype, type)):
            return getattr(self.xp, np.dtype(name).name)
        for candidate in _NAMES:
            if name == getattr(self.xp, candidate):
                return name
        raise TypeError(f"strict backend: unsupported dtype {name!r}")

    def dtype_name(self, dtype: Any) -> str:
        return next(n for n in _NAMES if dtype == getattr(self.xp, n))

    def is_floating(self, dtype: Any) -> bool:
        return self.xp.isdtype(dtype, "real floating")

    def is_array(self, obj: Any) -> bool:
        return isinstance(obj, self._array_type)

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        if isinstance(data, np.ndarray) and dtype is None:
            dtype = data.dtype.name
        return self.xp.asarray(data, dtype=None if dtype is None else self.dtype(dtype))

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.array(np.from_dlpack(array), copy=True)

    def gather(self, array, index):
        # Integer-array indexing beyond the standard, done in NumPy as CuPy does it on the device.
        items = index if isinstance(index, tuple) else (index,)
        items = tuple(self.to_numpy(i) if self.is_array(i) else i for i in items)
        return self.asarray(self.to_numpy(array)[items])

    def scatter_add(self, shape, index, values):
        # The backend's own kernel: done in NumPy, as CuPy's would be done on the device.
        items = index if isinstance(index, tuple) else (index,)
        items = tuple(self.to_numpy(i) if self.is_array(i) else i for i in items)
        out = np.zeros(shape, dtype=self.dtype_name(values.dtype))
        np.add.at(out, items, self.to_numpy(values))
        return self.asarray(out)

    def normal(self, rng, shape, dtype, std: float = 1.0):
        return self.asarray((rng.standard_normal(shape) * std).astype(self.dtype_name(self.dtype(dtype))))

    def uniform(self, rng, shape, dtype, low: float, high: float):
        return self.asarray(rng.uniform(low, high, size=shape).astype(self.dtype_name(self.dtype(dtype))))
