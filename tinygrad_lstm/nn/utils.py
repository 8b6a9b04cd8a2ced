"""Training helpers: gradient clipping (by norm or by value), cutting the graph between
chunks, running a cell over a sequence, and truncated BPTT."""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

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


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], as torch.nn.utils.clip_grad_value_.

    Parameters without a gradient are skipped; NaN entries stay NaN. Gradients are replaced,
    not modified in place (two leaves may share one gradient array)."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real) or not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value!r}; "
                         f"gradients are clamped into [-clip_value, clip_value]")
    for p in _with_grads(parameters):
        xp, g = p.backend.xp, p.grad.data
        bound = p.backend.asarray(clip_value, dtype=p.backend.dtype_name(g.dtype))
        p.grad = Tensor(xp.minimum(xp.maximum(g, -bound), bound), p.backend)


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


def unroll(cell: Any, x: Tensor, state: Any = None, reverse: bool = False) -> tuple[Tensor, Any]:
    """Run `cell(x[t], state)` over the time axis 0 of x (from the last step back when
    `reverse`), each step under tl.scope(step=t). Returns the stacked h of every step, in
    time order, and the final state (any cell: RNNCell, LSTMCell, the variants; the
    recurrent layers run their steps through here too)."""
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"unroll: x must be (seq_len, batch, input_size) or (seq_len, input_size) "
                         f"with seq_len > 0, got shape {x.shape}")
    steps = x.shape[0]
    hs: list[Any] = [None] * steps
    for t in (reversed(range(steps)) if reverse else range(steps)):
        with tape.scope(step=t):
            state = cell(x[t], state)
        hs[t] = state[0] if isinstance(state, tuple) else state
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


# ---- truncated backpropagation through time ----------------------------------------
# Truncated backpropagation through time over one long sequence.
#
# BPTT(k1, k2): every k1 steps, update the weights with gradients that flow back at most
# k2 steps (Williams & Peng 1990). The loss of an update covers the k1 newest steps; the
# k2 - k1 steps before them are run again from their saved (detached) starting state so
# that the gradient can flow through them. With k1 == k2 this is the usual idiom, the
# sequence cut into chunks with the state detached between them:
#
#     state = None
#     for x, y in chunks:
#         out, state = model(x, state)
#         loss = loss_fn(out, y)
#         optimizer.zero_grad(); loss.backward(); optimizer.step()
#         state = tl.nn.utils.detach_state(state)   # the next backward stops here


def _time_slice(data: Any, lo: int, hi: int, axis: int) -> Any:
    return data[(slice(None),) * axis + (slice(lo, hi),)]


def truncated_bptt(model: Callable, inputs: Tensor, targets: Any, loss_fn: Callable,
                   optimizer: Any, k1: int, k2: int | None = None, state: Any = None,
                   time_axis: int = 0, max_norm: float | None = None) -> tuple[list[float], Any]:
    """Train on one long sequence with BPTT(k1, k2); returns (loss of each update, final state).

    model(x_chunk, state) -> (outputs, state), e.g. an LSTM; loss_fn(outputs, targets_chunk)
    -> scalar; optimizer has zero_grad(), step() (and .params when max_norm clips).
    k2 (default k1) must be a multiple of k1. time_axis is 1 for batch-first data.
    """
    k2 = k1 if k2 is None else k2
    if k1 < 1 or k2 < k1 or k2 % k1:
        raise ValueError(f"truncated_bptt: need 1 <= k1 <= k2 with k2 a multiple of k1, got "
                         f"k1={k1}, k2={k2}")
    steps = inputs.shape[time_axis]
    chunks = [(lo, min(lo + k1, steps)) for lo in range(0, steps, k1)]
    back = k2 // k1                           # chunks one backward pass goes through
    saved = {0: detach_state(state)}          # detached state at each chunk start
    losses = []
    for j, (lo, hi) in enumerate(chunks):
        first = max(0, j - back + 1)
        s = saved[chunks[first][0]]
        for a, b in chunks[first:j + 1]:
            out, s = model(_time_slice(inputs, a, b, time_axis), s)
            saved.setdefault(b, detach_state(s))
        loss = loss_fn(out, _time_slice(targets, lo, hi, time_axis))
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            clip_grad_norm_(optimizer.params, max_norm)
        optimizer.step()
        losses.append(loss.item())
        if first == j - back + 1:              # no later window starts this far back
            del saved[chunks[first][0]]
    return losses, saved[steps]
