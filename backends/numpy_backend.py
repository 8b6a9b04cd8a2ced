"""The default backend: NumPy arrays on the CPU."""
from __future__ import annotations

from typing import Any

import numpy as np


class NumpyDtypes:
    """Dtypes as NumPy spells them (CuPy uses the same dtype objects)."""

    def dtype(self, name: Any) -> np.dtype:
        return np.dtype(name)

    def is_floating(self, dtype: Any) -> bool:
        return np.dtype(dtype).kind == "f"

    def dtype_name(self, dtype: Any) -> str:
        return np.dtype(dtype).name


class NumpyBackend(NumpyDtypes):
    name = "numpy"

    def __init__(self) -> None:
        from .numpy_kernels import KERNELS
        self.xp = np
        self.fused: dict[str, Any] = dict(KERNELS)   # the LSTM scan with in-place ufuncs

    def asarray(self, data: Any, dtype: Any = None) -> np.ndarray:
        return np.asarray(data, dtype=None if dtype is None else self.dtype(dtype))

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.array(array, copy=True)

    def is_array(self, obj: Any) -> bool:
        return isinstance(obj, np.ndarray)

    def gather(self, array: Any, index: Any) -> np.ndarray:
        return array[index]

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> np.ndarray:
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, index, values)
        return out

    def normal(self, rng: np.random.Generator, shape, dtype, std: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(dtype)

    def uniform(self, rng: np.random.Generator, shape, dtype, low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, size=shape).astype(dtype)


class NumbaBackend(NumpyBackend):
    """NumPy arrays, with the LSTM scan compiled by numba (pip install 'tinygrad-lstm[numba]')."""
    name = "numba"

    def __init__(self) -> None:
        super().__init__()
        try:
            from .numba_kernels import KERNELS
        except ImportError as err:
            raise ImportError("the 'numba' backend needs numba and SciPy (its BLAS): pip install "
                              "'tinygrad-lstm[numba]'; backend='numpy' needs neither") from err
        self.fused = dict(KERNELS)
