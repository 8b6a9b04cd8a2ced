"""Functions of tensors used by the modules and for training: linear, dropout, losses.

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


def log_softmax(logits: Tensor, axis: int = -1) -> Tensor:
    """z - max(z) - log(sum(exp(z - max(z)))): shifting by the max keeps exp from
    overflowing. The shift is a constant (detached): the result does not depend on it."""
    with tape.no_grad():
        shift = logits.max(axis=axis, keepdims=True)
    shifted = logits - shift
    return shifted - log(exp(shifted).sum(axis=axis, keepdims=True))


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[target], for logits (N, C) or (C,) and integer class targets
    (N,) or (); the log-softmax is the stable one above."""
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
    one_hot = _as_target("cross_entropy", np.eye(classes)[index], logits)
    picked = (log_softmax(logits) * one_hot).sum(axis=-1)
    return _reduce("cross_entropy", -picked, reduction)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1-y) log(1 - sigmoid(x))), computed stably as
    max(x, 0) - x*y + log(1 + exp(-|x|))."""
    targets = _as_target("binary_cross_entropy_with_logits", targets, logits)
    _same_shape("binary_cross_entropy_with_logits", logits, targets)
    magnitude = relu(logits) + relu(-logits)
    loss = relu(logits) - logits * targets + log(1.0 + exp(-magnitude))
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)
