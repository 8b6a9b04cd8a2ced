"""Initialisation: PyTorch's defaults, drawn from a NumPy Generator on any backend.

Recurrent cells and layers, and Linear, draw every weight and bias from
U(-1/sqrt(k), 1/sqrt(k)), k = hidden_size (recurrent) or in_features (Linear), as
PyTorch does. The numbers come from `generator` (or the default one, see
`tl.manual_seed`), drawn in NumPy and moved to the backend, so a seed gives the same
weights everywhere (though not PyTorch's own numbers: load a state_dict for that).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..backends import get_backend
from .module import Parameter


def uniform(shape: tuple[int, ...], bound: float, *, dtype: Any = "float32", backend: Any = None,
            generator: np.random.Generator | None = None) -> Parameter:
    """A Parameter of `shape` drawn from U(-bound, bound)."""
    bk = get_backend(backend)
    return Parameter(bk.uniform(random.resolve(generator), tuple(shape), np.dtype(dtype).name,
                                -bound, bound), backend=bk)


def bound_for(size: int) -> float:
    """1/sqrt(size): PyTorch's bound for recurrent weights (size = hidden_size)."""
    return 1.0 / math.sqrt(size) if size > 0 else 0.0


def recurrent_weights(module: Any, gates: int, input_size: int, hidden_size: int, bias: bool,
                      suffix: str = "", **opts: Any) -> None:
    """Give `module` PyTorch's weight_ih{suffix} (G*H, input_size), weight_hh{suffix} (G*H, H)
    and, with bias, bias_ih{suffix} and bias_hh{suffix} (G*H,), all from U(-1/sqrt(H), 1/sqrt(H))."""
    rows, bound = gates * hidden_size, bound_for(hidden_size)
    setattr(module, f"weight_ih{suffix}", uniform((rows, input_size), bound, **opts))
    setattr(module, f"weight_hh{suffix}", uniform((rows, hidden_size), bound, **opts))
    for name in ("bias_ih", "bias_hh"):
        setattr(module, f"{name}{suffix}", uniform((rows,), bound, **opts) if bias else None)
