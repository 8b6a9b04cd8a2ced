"""Truncation made visible: the schedule read off the tape follows the BPTT(k1, k2) rule,
the drawn graph cuts exactly those edges, and the truncated gradient is the sum of the
chunks' gradients, equal to full BPTT when k covers the sequence."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.viz import truncation


@pytest.mark.parametrize("steps,k1,k2", [(8, 2, 2), (8, 2, 4), (7, 3, 3), (9, 2, 6), (5, 5, 5)])
def test_schedule_read_off_the_tape_follows_the_rule(steps, k1, k2):
    plan = truncation.schedule(steps, k1, k2)
    assert [u["loss"] for u in plan] == [(lo, min(lo + k1, steps)) for lo in range(0, steps, k1)]
    for update in plan:
        lo, hi = update["loss"]
        first = max(0, hi - k2) if hi % k1 == 0 else max(0, lo + k1 - k2)
        assert update["reached"] == list(range(first, hi))
        assert update["ran"] == (first, hi)
        assert update["cut"] == (first or None)


def test_graph_draws_the_cut_edges_dashed_and_red():
    pytest.importorskip("graphviz")
    source = tl.viz.truncation_graph(8, 2, 4).source
    cut = re.findall(r"(u\d+t\d+) -> (u\d+t\d+) \[[^\]]*style=dashed", source)
    assert sorted(cut) == sorted([("u2t1", "u2t2")] * 2 + [("u3t3", "u3t4")] * 2)   # h and c
    assert source.count("style=dashed") == 4 and "#d62728" in source
    rnn = tl.viz.truncation_graph(6, 3, kind="rnn").source
    assert re.findall(r"(u\d+t\d+) -> (u\d+t\d+) \[[^\]]*style=dashed", rnn) == [("u1t2", "u1t3")]
    assert "L_5" in rnn and "update 2: loss of t=3..5, gradient back to t=3" in rnn
    with pytest.raises(ValueError, match="kind must be"):
        tl.viz.truncation_graph(6, 3, kind="transformer")


def _model(kind="rnn"):
    cls = {"rnn": tl.nn.RNN, "lstm": tl.nn.LSTM, "gru": tl.nn.GRU}[kind]
    return cls(3, 4, dtype="float64", generator=np.random.default_rng(0))


def _x(steps=9):
    return tl.tensor(np.random.default_rng(1).standard_normal((steps, 2, 3)))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_truncated_gradient_is_the_sum_of_the_chunks(kind):
    model, x = _model(kind), _x()
    got = truncation.gradient(model, x, 4, seed=3)
    with tl.no_grad():
        out, _ = model(x)
    u = tl.tensor(np.random.default_rng(3).standard_normal(out.shape))
    model.zero_grad()
    state = None
    for lo in range(0, 9, 4):
        out, state = model(x[lo:lo + 4], state)
        (out * u[lo:lo + 4]).sum().backward()
        state = tl.nn.utils.detach_state(state)
    want = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert all(p.grad is None for p in _model(kind).parameters())


def test_errors_against_full_bptt():
    model, x = _model("lstm"), _x()
    e = truncation.errors(model, x, [1, 3, 9])
    assert e["k"] == [1, 3, 9]
    assert e["cosine"][-1] == pytest.approx(1.0) and e["relative"][-1] < 1e-12
    assert e["relative"][0] > e["relative"][-1] and -1 <= min(e["cosine"]) <= 1
    k2 = truncation.errors(model, x, [3, 6, 9], k1=3)
    assert k2["relative"][-1] < 1e-12 and k2["relative"][0] == pytest.approx(e["relative"][1])
    batch_first = tl.nn.LSTM(3, 4, dtype="float64", batch_first=True,
                             generator=np.random.default_rng(0))
    chunks = truncation.errors(batch_first, x.transpose(1, 0, 2), [3, 9])   # cut along time
    assert chunks["relative"][0] > 1e-3 and chunks["relative"][1] < 1e-12
