"""Truncated backpropagation through time over one long sequence.

BPTT(k1, k2): every k1 steps, update the weights with gradients that flow back at most
k2 steps (Williams & Peng 1990). The loss of an update covers the k1 newest steps; the
k2 - k1 steps before them are run again from their saved (detached) starting state so
that the gradient can flow through them. With k1 == k2 this is the usual idiom, the
sequence cut into chunks with the state detached between them:

    state = None
    for x, y in chunks:
        out, state = model(x, state)
        loss = loss_fn(out, y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        state = tl.nn.utils.detach_state(state)   # the next backward stops here
"""
from __future__ import annotations

from typing import Any, Callable

from ..tensor import Tensor


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
    from .utils import clip_grad_norm_, detach_state
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
