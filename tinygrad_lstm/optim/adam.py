"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW."""
from __future__ import annotations

import math
from typing import Any, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, _at_least_zero


class Adam(Optimizer):
    """Adam with bias-corrected moments and L2 weight decay, as torch.optim.Adam.

    g = grad + weight_decay * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
    p -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1-b1^t), v_hat = v / (1-b2^t).
    State per parameter (torch's names): step, exp_avg (m), exp_avg_sq (v).
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _check(self, group: dict[str, Any]) -> None:
        who = type(self).__name__
        for name in ("lr", "eps", "weight_decay"):
            _at_least_zero(who, name, group[name])
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{who}: betas must be two numbers in [0, 1), got {betas!r}")

    def _decay(self, p: Tensor, grad: Any, group: dict[str, Any]) -> Any:
        return grad + group["weight_decay"] * p.data if group["weight_decay"] else grad

    def _update(self, p, grad, state, group):
        grad = self._decay(p, grad, group)
        b1, b2 = group["betas"]
        if not state:
            xp = p.backend.xp
            state.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
        state["step"] += 1
        state["exp_avg"] = b1 * state["exp_avg"] + (1.0 - b1) * grad
        state["exp_avg_sq"] = b2 * state["exp_avg_sq"] + (1.0 - b2) * (grad * grad)
        correction1 = 1.0 - b1 ** state["step"]
        correction2 = 1.0 - b2 ** state["step"]
        denom = p.backend.xp.sqrt(state["exp_avg_sq"]) / math.sqrt(correction2) + group["eps"]
        p.sub_((group["lr"] / correction1) * state["exp_avg"] / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW: p *= 1 - lr * weight_decay, then Adam."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def _decay(self, p: Tensor, grad: Any, group: dict[str, Any]) -> Any:
        if group["weight_decay"]:
            p.mul_(1.0 - group["lr"] * group["weight_decay"])
        return grad
