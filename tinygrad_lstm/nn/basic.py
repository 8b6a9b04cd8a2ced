"""Linear and Dropout: the modules around a recurrent layer (a readout, regularisation)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import init
from .checks import check_features, check_like_params, check_tensor
from .functional import dropout, linear
from .module import Module


class Linear(Module):
    """y = x @ W^T + b, W of shape (out_features, in_features); PyTorch's init
    U(-1/sqrt(in_features), 1/sqrt(in_features)) for W and b."""

    _scoped = True

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = "float32", backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: in_features and out_features must be positive, got "
                             f"{in_features} and {out_features}")
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        opts = dict(dtype=dtype, backend=backend, generator=generator)
        self.weight = init.uniform((out_features, in_features), bound, **opts)
        self.bias = init.uniform((out_features,), bound, **opts) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        check_tensor("Linear", "input", x)
        if x.ndim == 0:
            raise ValueError("Linear: input must have at least one axis (..., in_features), got a scalar")
        check_features("Linear", "input", x, self.in_features, "in_features")
        check_like_params("Linear", "input", x, self.weight)
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}" + \
            ("" if self.bias is not None else ", bias=False")


class Dropout(Module):
    """Zero entries with probability p during training (scaling the rest by 1/(1-p));
    the identity in eval mode."""

    _scoped = True

    def __init__(self, p: float = 0.5, *, dtype: Any = None, backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        # dtype and backend are accepted as by every module; dropout follows its input's.
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p, self.generator = p, generator

    def forward(self, x: Tensor) -> Tensor:
        return dropout(check_tensor("Dropout", "input", x), self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
