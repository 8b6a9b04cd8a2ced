"""Optimizers: SGD (momentum, weight decay, Nesterov), Adam and AdamW, as PyTorch defines them.

Each step updates the parameters in place (`p.sub_`, `p.mul_`), which bumps their version
counters: a graph built before the step can no longer be backpropagated, and says so.
State (momentum buffers, Adam moments) lives as raw backend arrays next to each parameter.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from .tensor import Tensor


class Optimizer:
    """Holds the parameters; subclasses define `_update(p, grad, state)`."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        who = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list; pass model.parameters() of a "
                             f"module that has parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise TypeError(f"{who}: parameter {i} must be a leaf Tensor with "
                                f"requires_grad=True, got {type(p).__name__}")
        if lr < 0:
            raise ValueError(f"{who}: learning rate must be >= 0, got {lr}")
        self.lr = lr
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set .grad to None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self._update(p, p.grad.data, state)

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """g = grad + weight_decay * p;  buf = momentum * buf + (1 - dampening) * g (buf = g at
    the first step);  d = g + momentum * buf if nesterov else buf;  p -= lr * d."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def _update(self, p, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if self.momentum:
            if "momentum_buffer" not in state:
                buf = grad   # never modified in place, so sharing the gradient's array is safe
            else:
                buf = self.momentum * state["momentum_buffer"] + (1.0 - self.dampening) * grad
            state["momentum_buffer"] = buf
            grad = grad + self.momentum * buf if self.nesterov else buf
        p.sub_(self.lr * grad)


class Adam(Optimizer):
    """m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr * m_hat / (sqrt(v_hat) + eps),
    with m_hat = m / (1-b1^t), v_hat = v / (1-b2^t). weight_decay adds weight_decay * p
    to g (L2, as torch.optim.Adam)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _decay(self, p: Tensor, grad: Any) -> Any:
        return grad + self.weight_decay * p.data if self.weight_decay else grad

    def _update(self, p, grad, state):
        grad = self._decay(p, grad)
        b1, b2 = self.betas
        if not state:
            xp = p.backend.xp
            state.update(step=0, m=xp.zeros_like(p.data), v=xp.zeros_like(p.data))
        state["step"] += 1
        state["m"] = b1 * state["m"] + (1.0 - b1) * grad
        state["v"] = b2 * state["v"] + (1.0 - b2) * (grad * grad)
        correction1 = 1.0 - b1 ** state["step"]
        correction2 = 1.0 - b2 ** state["step"]
        denom = p.backend.xp.sqrt(state["v"]) / math.sqrt(correction2) + self.eps
        p.sub_((self.lr / correction1) * state["m"] / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then the Adam step."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def _decay(self, p: Tensor, grad: Any) -> Any:
        if self.weight_decay:
            p.mul_(1.0 - self.lr * self.weight_decay)
        return grad
