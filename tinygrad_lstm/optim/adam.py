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
        self._vectors: dict[tuple, tuple] = {}   # the moments of a group, laid end to end

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
        """One parameter's step (the formula above); step() runs it on a whole group at once."""
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

    # ---- the same step for all parameters of a group at once -----------------------------
    # Why: per parameter the step is ~14 array calls of ~1 us each, whatever the size; an
    # LSTM with a linear head has 6 parameters, so ~85 calls per update. Laid end to end in
    # one vector (the moments kept there between steps, each parameter's state a view into
    # it), the arithmetic is ~12 calls for the whole group, plus one subtraction per
    # parameter. Same operations in the same order per entry, so the same bits as _update.
    # Measured (CPU time, 2-vCPU EPYC, that model's 6 float32 parameters): 69 us a step
    # per parameter, 43 us as one vector.
    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if self._one_vector(params):
                self._update_group(params, group)
            else:                                    # mixed dtypes, backends or step counts
                for p in params:
                    self._update(p, p.grad.data, self.state.setdefault(p, {}), group)
        return loss

    def _one_vector(self, params: list[Tensor]) -> bool:
        if not params:
            return False
        first = params[0]
        step = self.state.get(first, {}).get("step", 0)
        return all(p.backend is first.backend and p.dtype == first.dtype and
                   self.state.get(p, {}).get("step", 0) == step for p in params)

    def _moments(self, params: list[Tensor]) -> tuple[Any, Any]:
        """The group's moments as two vectors, each parameter's state a view into them; made
        again (from the state, or zeros) when the state changed since (a load, a new group)."""
        key = tuple(id(p) for p in params)
        if key in self._vectors:
            m, v, m_views, v_views = self._vectors[key]
            if all(self.state[p].get("exp_avg") is mp and self.state[p].get("exp_avg_sq") is vp
                   for p, mp, vp in zip(params, m_views, v_views)):
                return m, v
        xp = params[0].backend.xp
        vectors = []
        for name in ("exp_avg", "exp_avg_sq"):
            pieces = [self.state.get(p, {}).get(name) for p in params]
            pieces = [xp.zeros_like(p.data) if a is None else a for p, a in zip(params, pieces)]
            vectors.append(xp.concat([xp.reshape(a, (-1,)) for a in pieces]))
        m, v = vectors
        m_views, v_views = _views(xp, m, params), _views(xp, v, params)
        for p, mp, vp in zip(params, m_views, v_views):
            state = self.state.setdefault(p, {})
            state.update(step=state.get("step", 0), exp_avg=mp, exp_avg_sq=vp)
        self._vectors = {key: (m, v, m_views, v_views)}
        return m, v

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        xp = params[0].backend.xp
        b1, b2 = group["betas"]
        m, v = self._moments(params)
        grad = xp.concat([xp.reshape(self._decay(p, p.grad.data, group), (-1,)) for p in params])
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * (grad * grad)
        step = self.state[params[0]]["step"] + 1
        denom = xp.sqrt(v) / math.sqrt(1.0 - b2 ** step) + group["eps"]
        update = (group["lr"] / (1.0 - b1 ** step)) * m / denom
        for p, u in zip(params, _views(xp, update, params)):
            self.state[p]["step"] = step
            p.sub_(u)


def _views(xp, vector: Any, params: list[Tensor]) -> list[Any]:
    """Consecutive pieces of `vector`, shaped like each parameter (views, not copies)."""
    out, start = [], 0
    for p in params:
        shape = p.data.shape
        out.append(xp.reshape(vector[start:start + math.prod(shape)], shape))
        start += math.prod(shape)
    return out


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
