"""Training helpers: gradient clipping, cutting the graph between chunks, running a cell
over a sequence, and truncated BPTT (in tbptt.py, re-exported here)."""
from __future__ import annotations

import math
from typing import Any, Iterable

from .. import tape
from ..functions import stack
from ..tensor import Tensor


def _with_grads(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale the gradients so that their total norm (all gradients as one vector) is at
    most max_norm; returns the norm before clipping, as a float.

    With error_if_nonfinite=True a NaN or infinite norm raises instead of spreading NaNs
    into every gradient. Gradients are replaced, not modified in place (two leaves may
    share one gradient array)."""
    params = _with_grads(parameters)
    if not params:
        return 0.0
    norms = []
    for p in params:
        xp, g = p.backend.xp, p.grad.data
        norms.append(float(xp.max(xp.abs(g))) if math.isinf(norm_type) else
                     float(xp.sum(xp.abs(g) ** norm_type)))
    total = max(norms) if math.isinf(norm_type) else sum(norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is "
                           f"{total}, so clipping cannot make them finite; look for the op that "
                           f"overflowed (tl.detect_anomaly()) or pass error_if_nonfinite=False")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = Tensor(p.grad.data * p.backend.asarray(coef, dtype=p.grad.dtype), p.backend)
    return total


def detach_state(state: Any) -> Any:
    """The same state (a tensor, a tuple such as (h, c), or None) cut from the graph.

    The idiom of truncated BPTT: carry the values into the next chunk, but not the graph,
    so the next backward stops here:
        out, state = lstm(chunk, state)
        loss.backward(); optimizer.step()
        state = detach_state(state)
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def unroll(cell: Any, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
    """Run `cell(x[t], state)` over the time axis 0 of x, each step under tl.scope(step=t).
    Returns the stacked h of every step and the final state (any cell: RNNCell, LSTMCell,
    the variants)."""
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"unroll: x must be (seq_len, batch, input_size) or (seq_len, input_size) "
                         f"with seq_len > 0, got shape {x.shape}")
    hs = []
    for t in range(x.shape[0]):
        with tape.scope(step=t):
            state = cell(x[t], state)
        hs.append(state[0] if isinstance(state, tuple) else state)
    return stack(hs, axis=0), state


def functional_call(module: Any, tensors: dict[str, Tensor], *args: Any, **kwargs: Any) -> Any:
    """Call `module(*args)` with some parameters replaced by the given tensors (keys as in
    named_parameters()); the module is left as it was. This makes a module a function of
    its weights, e.g. for tl.gradcheck(lambda x, w: functional_call(m, {"weight": w}, x), ...)."""
    saved = []
    try:
        for key, value in tensors.items():
            *path, attr = key.split(".")
            owner = module
            for part in path:
                owner = owner._modules[part]
            if attr not in owner._parameters:
                raise KeyError(f"functional_call: {type(module).__name__} has no parameter '{key}'")
            saved.append((owner, attr, owner._parameters[attr]))
            object.__setattr__(owner, attr, value)
        return module(*args, **kwargs)
    finally:
        for owner, attr, original in reversed(saved):
            object.__setattr__(owner, attr, original)


from .tbptt import truncated_bptt  # noqa: E402,F401
