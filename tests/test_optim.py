"""Optimizers against torch.optim, step by step in float64, and their in-place contract."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.03, weight_decay=0.5)),
]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((6, 3))


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=lambda c: str(c))
def test_optimizer_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    w0, b0, x = _problem()
    ours = [tl.tensor(w0, requires_grad=True), tl.tensor(b0, requires_grad=True)]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt_s = getattr(tl.optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs)
    xs, xt = tl.tensor(x), torch.tensor(x)
    for _ in range(5):
        opt_s.zero_grad()
        opt_t.zero_grad()
        (tl.tanh(xs @ ours[0] + ours[1]) ** 2).sum().backward()
        (torch.tanh(xt @ theirs[0] + theirs[1]) ** 2).sum().backward()
        opt_s.step()
        opt_t.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(ours[0].numpy() - w0).max() > 1e-3   # it moved


def test_step_is_in_place_and_bumps_versions():
    lin = tl.nn.Linear(3, 1, dtype="float64")
    weight = lin.weight
    opt = tl.optim.SGD(lin.parameters(), lr=0.5)
    x = tl.tensor(np.ones((2, 3)))
    loss = lin(x).sum()
    loss.backward()
    before = weight.numpy()
    opt.step()
    assert lin.weight is weight                      # same object, new values
    np.testing.assert_allclose(weight.numpy(), before - 0.5 * weight.grad.numpy())
    y = lin(x).sum()
    opt.step()                                       # modify after the forward pass
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_zero_grad_and_parameters_without_grad():
    a = tl.tensor(np.ones(2), requires_grad=True)
    b = tl.tensor(np.ones(2), requires_grad=True)
    opt = tl.optim.Adam([a, b], lr=0.1)
    (a * 2.0).sum().backward()
    opt.step()                                       # b has no gradient: left alone
    np.testing.assert_array_equal(b.numpy(), np.ones(2))
    assert a.numpy()[0] < 1.0
    opt.zero_grad()
    assert a.grad is None


def test_optimizer_on_backend(backend):
    m = tl.nn.LSTM(2, 3, backend=backend)
    opt = tl.optim.AdamW(m.parameters(), lr=0.1)
    out, _ = m(tl.tensor(np.ones((2, 1, 2)), dtype="float32", backend=backend))
    out.sum().backward()
    before = m.weight_hh_l0.numpy()
    opt.step()
    assert m.weight_hh_l0.backend is tl.get_backend(backend)
    assert m.weight_hh_l0.backend.dtype_name(m.weight_hh_l0.dtype) == "float32"
    assert not np.array_equal(before, m.weight_hh_l0.numpy())
