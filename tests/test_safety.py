"""Numerical and in-place safety of the engine: anomaly detection, version counters,
overflow-free sigmoid."""
from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import tinygrad_lstm as tl


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_finite_and_warning_free_at_magnitude_1000(dtype):
    x = tl.tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = tl.sigmoid(x)
        y.sum().backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(y.numpy()[[0, 2, 4]], [0.0, 0.5, 1.0])


def test_detect_anomaly_in_forward_names_op_scope_and_origin():
    x = tl.tensor(np.array([1.0, -1.0]), requires_grad=True)
    with tl.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tl.scope("lstm.l0", step=4), pytest.raises(FloatingPointError) as info:
            tl.log(x)  # log(-1) is NaN
    message = str(info.value)
    assert "'log' [lstm.l0 t=4]" in message and "NaN or Inf" in message
    assert "test_safety.py" in message  # where the op was created


def test_detect_anomaly_in_backward():
    x = tl.tensor(np.array([0.0, 4.0]), requires_grad=True)
    with tl.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = (x ** 0.5).sum()     # finite forward, infinite slope at 0
        with pytest.raises(FloatingPointError, match="gradient .* of op 'pow'"):
            y.backward()


def test_no_anomaly_check_by_default():
    x = tl.tensor(np.array([-1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(tl.log(x).item())


def test_in_place_update_before_backward_is_caught():
    w = tl.tensor(np.ones((3, 2)), requires_grad=True)
    x = tl.tensor(np.ones((4, 3)))
    loss = tl.tanh(x @ w).sum()
    w.sub_(0.1)  # e.g. an optimizer step before backward
    with pytest.raises(RuntimeError, match=r"input 1 .*'matmul' was modified in place.*version 0 -> 1"):
        loss.backward()


def test_in_place_update_after_backward_is_fine():
    w = tl.tensor(np.ones((3, 2)), requires_grad=True)
    loss = tl.tanh(tl.tensor(np.ones((4, 3))) @ w).sum()
    loss.backward()
    before = w.grad.numpy()
    w.sub_(0.1 * w.grad.data)
    loss = tl.tanh(tl.tensor(np.ones((4, 3))) @ w).sum()
    w.grad = None
    loss.backward()
    assert not np.allclose(before, w.grad.numpy())


def test_in_place_methods_update_values():
    a = tl.tensor(np.ones(3))
    a.add_(1.0).mul_(3.0).sub_(tl.tensor(np.ones(3)))
    np.testing.assert_array_equal(a.numpy(), [5.0, 5.0, 5.0])
    a.copy_(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"copy_: source of shape \(2,\)"):
        a.copy_(np.ones(2))
    a.zero_()
    assert not a.numpy().any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_softmax_and_losses_finite_and_warning_free_at_magnitude_1000(dtype):
    F = tl.nn.functional
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], dtype=dtype)
    z = tl.tensor(logits, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logp = F.log_softmax(z, axis=-1)
        ce = F.cross_entropy(z, np.array([1, 2]))
        bce = F.binary_cross_entropy_with_logits(z, tl.tensor(np.ones((2, 3), dtype=dtype)))
        (logp.sum() * 1e-3 + ce + bce).backward()
    for value in (logp.numpy(), ce.numpy(), bce.numpy(), z.grad.numpy()):
        assert np.all(np.isfinite(value)) and value.dtype == np.dtype(dtype)
    np.testing.assert_allclose(logp.numpy()[0], [0.0, -2000.0, -1000.0], rtol=1e-6)
    np.testing.assert_allclose(ce.item(), 1000.0, rtol=1e-6)  # mean of 2000 and 0


def test_in_place_change_through_a_detached_alias_is_caught():
    w = tl.tensor(np.ones((3, 2)), requires_grad=True)
    x = tl.tensor(np.ones((4, 3)), requires_grad=True)
    loss = (x @ w).sum()          # saves w for x's gradient
    w.detach().mul_(2.0)          # same array, changed behind the graph's back
    with pytest.raises(RuntimeError, match="'matmul' was modified in place"):
        loss.backward()


def test_in_place_change_of_the_original_is_caught_through_its_detached_alias():
    w = tl.tensor(np.ones((3, 2)), requires_grad=True)
    d = w.detach()
    x = tl.tensor(np.ones((4, 3)), requires_grad=True)
    loss = (x @ d).sum()          # saves d (the same array as w)
    w.sub_(0.1)
    with pytest.raises(RuntimeError, match="'matmul' was modified in place"):
        loss.backward()


def test_repeated_detach_holds_no_memory():
    """Detached aliases share the source's version counter; discarding them must not leave
    anything behind on the source (whatever the bookkeeping looks like inside)."""
    w = tl.tensor(np.ones(3), requires_grad=True)
    w.detach()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            w.detach()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 4096, f"1000 discarded detaches left {held} bytes behind"
