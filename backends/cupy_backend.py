"""The GPU backend: CuPy arrays, matmuls on cuBLAS, optional elementwise kernels.

CuPy is optional: this module imports it only when the backend is first asked for, and
says which extra to install when it is missing.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .numpy_backend import NumpyDtypes


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


class CupyBackend(NumpyDtypes):
    name = "cupy"

    def __init__(self) -> None:
        cupy = _import_cupy()
        if not cupy.cuda.is_available():
            raise RuntimeError("the 'cupy' backend needs a CUDA device, and CuPy finds none here "
                               "(cupy.cuda.is_available() is False); use backend='numpy'")
        self.cupy = cupy
        self.xp = _Namespace(cupy)
        self.fused: dict[str, Any] = _lstm_kernels(cupy)

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        return self.cupy.asarray(data, dtype=None if dtype is None else self.dtype(dtype))

    def to_numpy(self, array: Any) -> np.ndarray:
        return self.cupy.asnumpy(array)

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


# ---- fused LSTM gate math (used by ops/fused.py lstm_step when present) -----------------
# One thread per (batch row b, hidden unit j) reads that unit's four gates at flat offsets
# k, k+H, k+2H, k+3H of a C-ordered (B, 4H) array (gate order i, f, g, o). The i, f and o
# pre-activations arrive halved, so sigmoid is 0.5*tanh(z)+0.5 here (see ops/fused.py).
_GATES_FORWARD = """
    const ptrdiff_t b = i / H, j = i - b * H, k = b * 4 * H + j;
    const T gi = tanh(x[k] + r[k]) * (T)0.5 + (T)0.5;
    const T gf = tanh(x[k + H] + r[k + H]) * (T)0.5 + (T)0.5;
    const T gg = tanh(x[k + 2 * H] + r[k + 2 * H]);
    const T go = tanh(x[k + 3 * H] + r[k + 3 * H]) * (T)0.5 + (T)0.5;
    a[k] = gi; a[k + H] = gf; a[k + 2 * H] = gg; a[k + 3 * H] = go;
    c = gf * c_prev + gi * gg;
    tanh_c = tanh(c);
    h = go * tanh_c;
"""
_GATES_BACKWARD = """
    const ptrdiff_t b = i / H, j = i - b * H, k = b * 4 * H + j;
    const T gi = a[k], gf = a[k + H], gg = a[k + 2 * H], go = a[k + 3 * H];
    const T dc = gh * go * ((T)1 - tanh_c * tanh_c) + gc;
    dz[k] = dc * gg * gi * ((T)1 - gi);
    dz[k + H] = dc * c_prev * gf * ((T)1 - gf);
    dz[k + 2 * H] = dc * gi * ((T)1 - gg) * ((T)1 + gg);
    dz[k + 3 * H] = gh * tanh_c * go * ((T)1 - go);
    dc_prev = dc * gf;
"""


def _lstm_kernels(cupy: Any) -> dict[str, Any]:
    """The LSTM gate math as one elementwise kernel launch forward and one backward.

    lstm_gates_forward(x, r, c_prev) -> (a, c, tanh_c, h): x = gates[t] and r = h @ W_hh^T
        are (B, 4H); a holds the activated gates [i, f, g, o].
    lstm_gates_backward(a, c_prev, tanh_c, gh, gc, dz) -> dc_prev: writes the gate
        pre-activations' cotangent into dz (B, 4H, C-ordered), from those of h and c.
    Kernels compile on first use, once per dtype; nothing here touches the device.
    """
    forward = cupy.ElementwiseKernel(
        "raw T x, raw T r, T c_prev, int64 H", "raw T a, T c, T tanh_c, T h",
        _GATES_FORWARD, "tinygrad_lstm_gates_forward")
    backward = cupy.ElementwiseKernel(
        "raw T a, T c_prev, T tanh_c, T gh, T gc, int64 H", "raw T dz, T dc_prev",
        _GATES_BACKWARD, "tinygrad_lstm_gates_backward")

    def gates_forward(x, r, c_prev):
        a = cupy.empty(r.shape, dtype=r.dtype)
        c, tanh_c, h = (cupy.empty(c_prev.shape, dtype=c_prev.dtype) for _ in range(3))
        forward(cupy.ascontiguousarray(x), cupy.ascontiguousarray(r), c_prev, c_prev.shape[-1],
                a, c, tanh_c, h)
        return a, c, tanh_c, h

    def gates_backward(a, c_prev, tanh_c, gh, gc, dz):
        if not dz.flags.c_contiguous:
            raise ValueError("lstm_gates_backward: dz must be C-ordered")
        dc_prev = cupy.empty(c_prev.shape, dtype=c_prev.dtype)
        backward(a, c_prev, tanh_c, gh, gc, c_prev.shape[-1], dz, dc_prev)
        return dc_prev
    return {"lstm_gates_forward": gates_forward, "lstm_gates_backward": gates_backward}
