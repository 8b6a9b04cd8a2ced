"""Synthetic long-time-lag problems in the style of Hochreiter & Schmidhuber (1997).

Both return time-major tensors (seq_len, batch, features) unless batch_first=True, drawn
from `generator` (or the default generator, see tl.manual_seed).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..backends import get_backend
from ..tensor import Tensor


def _to_tensor(array: np.ndarray, dtype: Any, backend: Any) -> Tensor:
    bk = get_backend(backend)
    return Tensor(bk.asarray(array.astype(dtype), dtype=np.dtype(dtype).name), bk)


def adding_problem(batch_size: int, seq_len: int, *, generator: np.random.Generator | None = None,
                   dtype: Any = "float32", backend: Any = None,
                   batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """The adding problem: x has two channels per step, a value from U(0, 1) and a marker
    that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere.
    The target is the sum of the two marked values, shape (batch, 1).

    Predicting the mean, 1, scores an MSE of Var(u1 + u2) = 1/6 ~ 0.167; solving it means
    carrying a value across up to seq_len steps."""
    if seq_len < 2 or batch_size < 1:
        raise ValueError(f"adding_problem: need seq_len >= 2 and batch_size >= 1, got "
                         f"{seq_len} and {batch_size}")
    rng = random.resolve(generator)
    values = rng.uniform(0.0, 1.0, size=(seq_len, batch_size))
    half = seq_len // 2
    first = rng.integers(0, half, size=batch_size)
    second = rng.integers(half, seq_len, size=batch_size)
    markers = np.zeros((seq_len, batch_size))
    columns = np.arange(batch_size)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[first, columns] + values[second, columns])[:, None]
    if batch_first:
        x = x.transpose(1, 0, 2)
    return _to_tensor(x, dtype, backend), _to_tensor(y, dtype, backend)


def copy_task(batch_size: int, length: int = 10, delay: int = 50, n_symbols: int = 8, *,
              generator: np.random.Generator | None = None, dtype: Any = "float32",
              backend: Any = None, batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """The copy (memory) task. Classes: 0 blank, 1..n_symbols symbols, n_symbols+1 the
    delimiter. The input shows `length` random symbols, then blanks, with the delimiter
    on the last step of the delay, then `length` blanks; the target is blank until the
    delimiter has passed, then the symbols again.

        x: one-hot (length + delay + length, batch, n_symbols + 2)
        y: int64 class indices (length + delay + length, batch)
    """
    if length < 1 or delay < 1 or n_symbols < 1:
        raise ValueError(f"copy_task: length, delay and n_symbols must be >= 1, got "
                         f"{length}, {delay}, {n_symbols}")
    rng = random.resolve(generator)
    total, classes = 2 * length + delay, n_symbols + 2
    symbols = rng.integers(1, n_symbols + 1, size=(length, batch_size))
    inputs = np.zeros((total, batch_size), dtype=np.int64)
    inputs[:length] = symbols
    inputs[length + delay - 1] = n_symbols + 1
    targets = np.zeros((total, batch_size), dtype=np.int64)
    targets[length + delay:] = symbols
    x = np.eye(classes)[inputs]
    if batch_first:
        x, targets = x.transpose(1, 0, 2), targets.T
    bk = get_backend(backend)
    return _to_tensor(x, dtype, backend), Tensor(bk.asarray(np.ascontiguousarray(targets), dtype="int64"), bk)


def copy_task_baseline(length: int = 10, delay: int = 50, n_symbols: int = 8) -> float:
    """Mean cross-entropy of a model with no memory: blanks right, symbols guessed uniformly,
    length * log(n_symbols) / (2 * length + delay)."""
    return length * math.log(n_symbols) / (2 * length + delay)
