"""Linear, Dropout and Embedding: the modules around a recurrent layer (a readout,
regularisation, and token ids in)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..backends import get_backend
from ..tensor import Tensor
from . import init
from .checks import check_features, check_like_params, check_tensor
from .functional import _padding_index, dropout, embedding, linear
from .module import Module, Parameter


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
        """x @ weight^T + bias, for x of shape (..., in_features)."""
        check_tensor("Linear", "input", x)
        if x.ndim == 0:
            raise ValueError("Linear: input must have at least one axis (..., in_features), got a scalar")
        check_features("Linear", "input", x, self.in_features, "in_features")
        check_like_params("Linear", "input", x, self.weight)
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The sizes shown by repr(module)."""
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
        """x with entries zeroed at random in training mode; x itself in eval mode."""
        return dropout(check_tensor("Dropout", "input", x), self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        """The drop probability shown by repr(module)."""
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table of num_embeddings vectors of size embedding_dim, indexed by integer ids.

    weight (num_embeddings, embedding_dim) is drawn from N(0, 1) as in PyTorch; the row at
    padding_idx (if given) starts at zero and gets no gradient. Input: integer ids of any
    shape (a Tensor or an array); output: that shape + (embedding_dim,).
    """

    _scoped = True

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 dtype: Any = "float32", backend: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {value!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_index("Embedding", padding_idx, self.num_embeddings)
        bk = get_backend(backend)
        table = bk.to_numpy(bk.normal(random.resolve(generator), (num_embeddings, embedding_dim),
                                      np.dtype(dtype).name))
        if self.padding_idx is not None:
            table[self.padding_idx] = 0.0
        self.weight = Parameter(table, dtype=np.dtype(dtype).name, backend=bk)

    def forward(self, input: Any) -> Tensor:
        """The rows of weight picked by the integer ids in input: shape input.shape + (embedding_dim,)."""
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        """The sizes (and padding_idx) shown by repr(module)."""
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
