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

    def gather(self, array: Any, index: Any) -> Any:
        return array[index]

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        out = self.cupy.zeros(shape, dtype=values.dtype)
        self.cupy.add.at(out, index, values)
        return out

    def normal(self, rng: np.random.Generator, shape, dtype, std: float = 1.0) -> Any:
        return self.cupy.asarray((rng.standard_normal(shape) * std).astype(dtype))

    def uniform(self, rng: np.random.Generator, shape, dtype, low: float, high: float) -> Any:
        return self.cupy.asarray(rng.uniform(low, high, size=shape).astype(dtype))


# ---- fused LSTM gate math (ops/fused.py lstm_layer uses these when present) ---------------
# One thread per (batch row b, hidden unit j) reads that unit's four gate pre-activations at
# flat offsets k, k+H, k+2H, k+3H of a C-ordered (B, 4H) array (gate order i, f, g, o).
# The same formulas as ops/fused.py cell_forward and cell_backward; sigmoid(z) is computed
# as 0.5*tanh(z/2)+0.5, which cannot overflow.
_CELL_FORWARD = """
    const ptrdiff_t b = i / H, j = i - b * H, k = b * 4 * H + j;
    const T gi = tanh(z[k] * (T)0.5) * (T)0.5 + (T)0.5;
    const T gf = tanh(z[k + H] * (T)0.5) * (T)0.5 + (T)0.5;
    const T gg = tanh(z[k + 2 * H]);
    const T go = tanh(z[k + 3 * H] * (T)0.5) * (T)0.5 + (T)0.5;
    a[k] = gi; a[k + H] = gf; a[k + 2 * H] = gg; a[k + 3 * H] = go;
    c = gf * c_prev + gi * gg;
    tanh_c = tanh(c);
    h = go * tanh_c;
"""
_CELL_BACKWARD = """
    const ptrdiff_t b = i / H, j = i - b * H, k = b * 4 * H + j;
    const T gi = a[k], gf = a[k + H], gg = a[k + 2 * H], go = a[k + 3 * H];
    const T dc_total = dh * go * ((T)1 - tanh_c * tanh_c) + dc;
    dz[k] = dc_total * gg * gi * ((T)1 - gi);
    dz[k + H] = dc_total * c_prev * gf * ((T)1 - gf);
    dz[k + 2 * H] = dc_total * gi * ((T)1 - gg * gg);
    dz[k + 3 * H] = dh * tanh_c * go * ((T)1 - go);
    dc_prev = dc_total * gf;
"""


def _lstm_kernels(cupy: Any) -> dict[str, Any]:
    """The LSTM cell's gate math as one elementwise kernel launch forward and one backward,
    with the signatures of ops/fused.py's cell_forward and cell_backward (minus xp).

    lstm_cell_forward(z, c_prev, a, c, tanh_c, h): writes the activated gates into a
        (B, 4H, C-ordered) and c, tanh(c), h (B, H).
    lstm_cell_backward(a, c_prev, tanh_c, dh, dc, dz) -> dc_prev: writes the gate
        pre-activations' cotangent into dz (B, 4H, C-ordered).
    Kernels compile on first use, once per dtype; nothing here touches the device.
    """
    forward = cupy.ElementwiseKernel(
        "raw T z, T c_prev, int64 H", "raw T a, T c, T tanh_c, T h",
        _CELL_FORWARD, "tinygrad_lstm_cell_forward")
    backward = cupy.ElementwiseKernel(
        "raw T a, T c_prev, T tanh_c, T dh, T dc, int64 H", "raw T dz, T dc_prev",
        _CELL_BACKWARD, "tinygrad_lstm_cell_backward")

    def cell_forward(z, c_prev, a, c, tanh_c, h):
        forward(cupy.ascontiguousarray(z), c_prev, c_prev.shape[-1], a, c, tanh_c, h)

    def cell_backward(a, c_prev, tanh_c, dh, dc, dz):
        dc_prev = cupy.empty(c_prev.shape, dtype=c_prev.dtype)
        backward(a, c_prev, tanh_c, dh, dc, c_prev.shape[-1], dz, dc_prev)
        return dc_prev
    return {"lstm_cell_forward": cell_forward, "lstm_cell_backward": cell_backward}
