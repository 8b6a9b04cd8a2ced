"""SGD with momentum, dampening, weight decay and Nesterov momentum, as torch.optim.SGD."""
from __future__ import annotations

from typing import Any, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, _at_least_zero


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as torch.optim.SGD.

    g = grad + weight_decay * p;  buf = momentum * buf + (1 - dampening) * g (buf = a copy
    of g at the first step);  d = g + momentum * buf if nesterov else buf;  p -= lr * d.
    """

    _state_keys = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check(self, group: dict[str, Any]) -> None:
        who = type(self).__name__
        for name in ("lr", "momentum", "weight_decay"):
            _at_least_zero(who, name, group[name])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{who}: nesterov needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p, grad, state, group):
        momentum, dampening = group["momentum"], group["dampening"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        if momentum:
            if "momentum_buffer" not in state:
                # A new array: the buffer must not alias the gradient, which the user may
                # zero in place (p.grad.zero_()) before the next step.
                buf = p.backend.xp.zeros_like(grad)
                buf[...] = grad
            else:
                buf = momentum * state["momentum_buffer"] + (1.0 - dampening) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.sub_(group["lr"] * grad)
