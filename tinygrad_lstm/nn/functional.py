"""Functions of tensors used by the modules and for training: linear, dropout, embedding,
softmax, losses.

All are compositions of the primitive ops, so their gradients come from the ops' VJPs.
Losses take `reduction` = "mean" (default), "sum" or "none", as PyTorch does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import random, tape
from ..functions import exp, log, relu
from ..tensor import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W^T + b, with W of shape (out_features, in_features)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def dropout(x: Tensor, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1-p) (identity when not
    training or p == 0). The mask is drawn in NumPy from `generator`."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    keep = random.resolve(generator).random(x.shape) >= p
    name = x.backend.dtype_name(x.dtype)
    mask = x.backend.asarray((keep / (1.0 - p)).astype(name), dtype=name)
    return x * Tensor(mask, x.backend)


def _padding_index(who: str, padding_idx: Any, rows: int) -> int | None:
    """padding_idx as a row number in [0, rows) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
            or not -rows <= padding_idx < rows:
        raise ValueError(f"{who}: padding_idx must be an int in [{-rows}, {rows}) for {rows} "
                         f"embeddings, or None; got {padding_idx!r}")
    return int(padding_idx) % rows


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """The rows of weight (num_embeddings, embedding_dim) picked by integer indices: out[...] = weight[input[...]].

    The gradient of the pick scatters back with accumulation (an index used twice gets
    both cotangents). The row at padding_idx gets no gradient, as in torch."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        got = weight.shape if isinstance(weight, Tensor) else type(weight).__name__
        raise TypeError(f"embedding: weight must be a 2-D Tensor (num_embeddings, embedding_dim), "
                        f"got {got}")
    index = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    rows = weight.shape[0]
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}; build "
                        f"them with tl.tensor(ids, dtype='int64')")
    if index.size and (index.min() < 0 or index.max() >= rows):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings; "
                         f"indices must lie in [0, {rows})")
    padding_idx = _padding_index("embedding", padding_idx, rows)
    # Row ids (..., 1) against column ids (dim,): both axes by integer arrays, which the
    # array API allows everywhere (a mix of an index array and a slice it does not).
    out = weight[index.astype(np.int64)[..., None], np.arange(weight.shape[1])]
    if padding_idx is None or not (index == padding_idx).any():
        return out
    # Same values, but the padding positions reach weight only through a detached copy.
    keep = _as_target("embedding", (index != padding_idx)[..., None], out)
    return out * keep + out.detach() * (1.0 - keep)


def _as_target(who: str, target: Any, like: Tensor, dtype: Any = None) -> Tensor:
    if isinstance(target, Tensor):
        return target
    name = dtype or like.backend.dtype_name(like.dtype)
    return Tensor(like.backend.asarray(np.asarray(target), dtype=name), like.backend)


def _reduce(who: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(who: str, pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{who}: prediction has shape {pred.shape} but target has shape "
                         f"{target.shape}; they must match (no broadcasting), e.g. reshape the "
                         f"target to {pred.shape}")


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((pred - target)^2)."""
    target = _as_target("mse_loss", target, pred)
    _same_shape("mse_loss", pred, target)
    diff = pred - target
    return _reduce("mse_loss", diff * diff, reduction)


def _softmax_axis(who: str, x: Any, dim: int | None, axis: int | None) -> int | None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: input must be a Tensor, got {type(x).__name__}; wrap it with "
                        f"tl.tensor(...)")
    if axis is not None and dim is not None and axis != dim:
        raise ValueError(f"{who}: got dim={dim} and axis={axis}; they are the same argument, "
                         f"pass one")
    chosen = axis if dim is None else dim
    chosen = -1 if chosen is None else chosen
    if isinstance(chosen, bool) or not isinstance(chosen, (int, np.integer)) \
            or not -max(x.ndim, 1) <= chosen < max(x.ndim, 1):
        raise ValueError(f"{who}: dim must be an int in [{-max(x.ndim, 1)}, {max(x.ndim, 1) - 1}] "
                         f"for a tensor of shape {x.shape}, got {chosen!r}")
    return int(chosen) if x.ndim else None


def _shifted(x: Tensor, axis: int | None) -> Tensor:
    # Subtracting the max keeps exp from overflowing. The shift is a constant (computed
    # without the tape): softmax does not depend on it, so no gradient flows through it.
    with tape.no_grad():
        shift = x.max(axis=axis, keepdims=True)
    return x - shift


def log_softmax(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log(softmax(x)) along dim, computed stably as z - log(sum(exp(z))) with z = x - max(x).

    dim defaults to the last axis (-1); `axis` is accepted as NumPy's name for it."""
    axis = _softmax_axis("log_softmax", input, dim, axis)
    shifted = _shifted(input, axis)
    return shifted - log(exp(shifted).sum(axis=axis, keepdims=True))


def softmax(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, computed stably from z = x - max(x) (no overflow).

    dim defaults to the last axis (-1); `axis` is accepted as NumPy's name for it."""
    axis = _softmax_axis("softmax", input, dim, axis)
    e = exp(_shifted(input, axis))
    return e / e.sum(axis=axis, keepdims=True)


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[target], for logits (N, C) or (C,) and integer class targets (N,) or ().

    The target entries are picked by indexing (memory O(N x C), no one-hot matrix); the
    gradient of the pick scatters back into the picked places."""
    if not isinstance(logits, Tensor):
        raise TypeError(f"cross_entropy: logits must be a Tensor, got {type(logits).__name__}; "
                        f"wrap them with tl.tensor(...)")
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must be (N, C) or (C,), got shape {logits.shape}; "
                         f"flatten time and batch first, e.g. logits.reshape(-1, C)")
    index = targets.numpy() if isinstance(targets, Tensor) else np.asarray(targets)
    if index.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {index.dtype}")
    if index.shape != logits.shape[:-1]:
        raise ValueError(f"cross_entropy: logits of shape {logits.shape} need targets of shape "
                         f"{logits.shape[:-1]}, got {index.shape}")
    classes = logits.shape[-1]
    if index.size and (index.min() < 0 or index.max() >= classes):
        raise ValueError(f"cross_entropy: targets must lie in [0, {classes}), got values from "
                         f"{index.min()} to {index.max()}")
    logp = log_softmax(logits)
    picked = logp[int(index)] if logits.ndim == 1 else logp[np.arange(len(index)), index]
    return _reduce("cross_entropy", -picked, reduction)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1-y) log(1 - sigmoid(x))), computed stably as
    max(x, 0) - x*y + log(1 + exp(-|x|))."""
    targets = _as_target("binary_cross_entropy_with_logits", targets, logits)
    _same_shape("binary_cross_entropy_with_logits", logits, targets)
    magnitude = relu(logits) + relu(-logits)
    loss = relu(logits) - logits * targets + log(1.0 + exp(-magnitude))
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)
