"""Truncated BPTT: the graph is cut between chunks (detach idiom), and truncated_bptt's
updates carry exactly the gradients of their k2-step windows."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

F = tl.nn.functional


class Recorder:
    """An optimizer that records the gradients it is asked to apply, and applies none."""

    def __init__(self, params):
        self.params = list(params)
        self.grads = []

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.grads.append([p.grad.numpy() for p in self.params])


def _data(steps=12, seed=0):
    rng = np.random.default_rng(seed)
    return (tl.tensor(rng.standard_normal((steps, 2, 3)), dtype="float64"),
            tl.tensor(rng.standard_normal((steps, 2, 4)), dtype="float64"))


def _lstm():
    return tl.nn.LSTM(3, 4, dtype="float64", generator=np.random.default_rng(1))


def _grads(model, loss):
    model.zero_grad()
    loss.backward()
    return [p.grad.numpy() for p in model.parameters()]


def test_detach_cuts_the_graph_between_chunks():
    model, (x, y) = _lstm(), _data()
    _, state = model(x[:6])
    detached = tl.nn.utils.detach_state(state)
    out, _ = model(x[6:], detached)
    cut = _grads(model, F.mse_loss(out, y[6:]))
    # the same chunk run alone from the same (constant) starting state
    fresh = tuple(tl.tensor(s.numpy()) for s in state)
    alone = _grads(model, F.mse_loss(model(x[6:], fresh)[0], y[6:]))
    for a, b in zip(cut, alone):
        np.testing.assert_allclose(a, b, atol=1e-14)
    # without detaching, the gradient also flows into the first chunk: it differs
    _, state = model(x[:6])
    through = _grads(model, F.mse_loss(model(x[6:], state)[0], y[6:]))
    assert max(np.abs(a - b).max() for a, b in zip(through, cut)) > 1e-6


def test_k1_equal_k2_is_the_chunked_idiom():
    model, (x, y) = _lstm(), _data()
    rec = Recorder(model.parameters())
    losses, final = tl.nn.utils.truncated_bptt(model, x, y, F.mse_loss, rec, k1=4)
    assert len(losses) == len(rec.grads) == 3
    state = None
    for j, lo in enumerate(range(0, 12, 4)):
        out, state = model(x[lo:lo + 4], state)
        loss = F.mse_loss(out, y[lo:lo + 4])
        assert loss.item() == pytest.approx(losses[j], rel=1e-12)
        for a, b in zip(_grads(model, loss), rec.grads[j]):
            np.testing.assert_allclose(a, b, atol=1e-14)
        state = tl.nn.utils.detach_state(state)
    for a, b in zip(final, state):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-14)


def test_k2_longer_than_k1_backpropagates_through_the_window():
    model, (x, y) = _lstm(), _data()
    rec = Recorder(model.parameters())
    tl.nn.utils.truncated_bptt(model, x, y, F.mse_loss, rec, k1=3, k2=6)
    with tl.no_grad():   # weights never change (Recorder), so the carried states are these
        starts = [None] + [model(x[:t])[1] for t in (3, 6, 9)]
    for j in range(4):
        lo = 3 * j
        first = max(0, lo - 3)
        state = None if starts[first // 3] is None else tuple(tl.tensor(s.numpy()) for s in starts[first // 3])
        out, _ = model(x[first:lo + 3], state)
        loss = F.mse_loss(out[lo - first:], y[lo:lo + 3])   # loss on the newest k1 steps only
        for a, b in zip(_grads(model, loss), rec.grads[j]):
            np.testing.assert_allclose(a, b, atol=1e-13)


def test_one_chunk_is_full_bptt_and_training_reduces_the_loss():
    model, (x, y) = _lstm(), _data()
    rec = Recorder(model.parameters())
    tl.nn.utils.truncated_bptt(model, x, y, F.mse_loss, rec, k1=12)
    full = _grads(model, F.mse_loss(model(x)[0], y))
    for a, b in zip(full, rec.grads[0]):
        np.testing.assert_allclose(a, b, atol=1e-14)
    opt = tl.optim.Adam(model.parameters(), lr=0.05)
    first, _ = tl.nn.utils.truncated_bptt(model, x, y, F.mse_loss, opt, k1=4, k2=8, max_norm=1.0)
    for _ in range(10):
        last, _ = tl.nn.utils.truncated_bptt(model, x, y, F.mse_loss, opt, k1=4, k2=8, max_norm=1.0)
    assert sum(last) < 0.8 * sum(first)


def test_batch_first_and_argument_errors():
    model = tl.nn.LSTM(3, 4, batch_first=True, dtype="float64")
    x, y = _data()
    xb, yb = x.transpose(1, 0, 2), y.transpose(1, 0, 2)
    rec = Recorder(model.parameters())
    losses, (h, c) = tl.nn.utils.truncated_bptt(model, xb, yb, F.mse_loss, rec, k1=5, time_axis=1)
    assert len(losses) == 3 and h.shape == (1, 2, 4)       # chunks of 5, 5 and 2 steps
    with pytest.raises(ValueError, match="k2 a multiple of k1"):
        tl.nn.utils.truncated_bptt(model, xb, yb, F.mse_loss, rec, k1=4, k2=6, time_axis=1)
