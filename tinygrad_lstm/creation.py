"""tl.tensor: making a leaf tensor from Python or NumPy data."""
from __future__ import annotations

from typing import Any

import numpy as np

from .backends import Backend, get_backend
from .tensor import Tensor


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           backend: str | Backend | None = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (NumPy input keeps its dtype; Python floats become float32, ints int64)."""
    bk = get_backend(backend)
    if isinstance(data, Tensor):
        data = data.numpy()
    if dtype is None and not hasattr(data, "dtype"):
        probe = np.asarray(data)
        if probe.dtype == object or probe.dtype.kind in "USV":
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data "
                            f"(NumPy infers dtype {probe.dtype}); pass numbers of one shape")
        dtype = "float32" if probe.dtype.kind in "fc" else ("int64" if probe.dtype.kind in "iu" else probe.dtype)
    if getattr(data, "dtype", None) is not None and getattr(data.dtype, "kind", "f") in "OUSV":
        raise TypeError(f"tensor: data of dtype {data.dtype} cannot be a tensor; use numbers")
    if bk.is_array(data):
        array = bk.xp.asarray(data, copy=True) if dtype is None else bk.xp.astype(data, bk.dtype(dtype), copy=True)
    else:
        array = bk.asarray(np.array(data, copy=True) if isinstance(data, np.ndarray) else data, dtype=dtype)
    return Tensor(array, bk, requires_grad)
