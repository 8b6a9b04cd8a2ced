"""Tensor, tape and backward: dtypes, fan-out, graph lifetime, grad modes, the printout."""
from __future__ import annotations

import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.ops import OPS, OpDef


def leaf(shape, seed=0, dtype="float64"):
    return tl.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


# ---- creation and dtypes ---------------------------------------------------------------
def test_dtype_rules():
    assert tl.tensor(np.zeros(3)).dtype == np.float64
    assert tl.tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert tl.tensor(1.5).dtype == np.float32
    assert tl.tensor([1.0, 2]).dtype == np.float32
    assert tl.tensor([1, 2]).dtype == np.int64
    assert tl.tensor([1, 2], dtype="float64").dtype == np.float64


def test_tensor_copies_its_input():
    data = np.ones(3)
    t = tl.tensor(data)
    data[0] = 5.0
    assert t.numpy()[0] == 1.0


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tl.tensor([1, 2, 3], requires_grad=True)


def test_object_data_is_refused():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        tl.tensor(["a", "b"])
    with pytest.raises(TypeError, match="dtype object"):
        tl.tensor(np.array([1, None], dtype=object))


# ---- backward ------------------------------------------------------------------------
def test_fan_out_is_summed():
    x = leaf((3,))
    (x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
    x.grad = None
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)


def test_diamond():
    x = leaf((2, 3))
    y = tl.tanh(x)
    z = (y * tl.sigmoid(y) + y.exp()).sum()
    z.backward()
    t = np.tanh(x.numpy())
    s = 1 / (1 + np.exp(-t))
    dz_dy = s + t * s * (1 - s) + np.exp(t)
    np.testing.assert_allclose(x.grad.numpy(), dz_dy * (1 - t ** 2), rtol=1e-12)
    assert tl.gradcheck(lambda x: (tl.tanh(x) * tl.sigmoid(tl.tanh(x)) + tl.tanh(x).exp()).sum(), [x])


def test_gradients_accumulate_on_leaves():
    x = leaf((3,))
    for _ in range(2):
        (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0)


def test_second_backward_through_freed_graph_raises():
    x = leaf((3,))
    y = tl.tanh(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf((3,))
    y = tl.tanh(x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_non_scalar_needs_a_gradient():
    x = leaf((2, 3))
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*needs a scalar"):
        y.backward()
    y.backward(grad=np.ones((2, 3)))
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_grad_returns_without_touching_dot_grad():
    x, w = leaf((2, 3)), leaf((3, 4), 1)
    h = x @ w
    out = tl.tanh(h).sum()
    gx, gh = tl.grad(out, [x, h])
    assert x.grad is None
    dh = 1 - np.tanh(h.numpy()) ** 2
    np.testing.assert_allclose(gh.numpy(), dh, rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), dh @ w.numpy().T, rtol=1e-12)


def test_grad_of_unused_input():
    x, unused = leaf((3,)), leaf((2,), 1)
    out = (x * x).sum()
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        tl.grad(out, [x, unused], retain_graph=True)
    gx, gu = tl.grad(out, [x, unused], allow_unused=True)
    np.testing.assert_allclose(gu.numpy(), 0.0)
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy())


def test_no_grad_and_detach_cut_the_graph():
    x = leaf((3,))
    with tl.no_grad():
        y = x * 2.0
        with tl.enable_grad():
            z = x * 3.0
    assert not y.requires_grad and z.requires_grad
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        (d * 2.0).sum().backward()


def test_graph_is_freed_when_outputs_are_dropped():
    gc.collect()
    gc.disable()  # prove that reference counting alone frees it: no cycles
    try:
        x, w = leaf((4, 5)), leaf((5, 3), 1)
        y = tl.tanh(x @ w)
        rec = weakref.ref(y._node.record)
        first = weakref.ref(y._node.record.inputs[0].record)
        del y
        assert rec() is None and first() is None
        y = tl.tanh(x @ w).sum()
        rec = weakref.ref(y._node.record)
        y.backward()
        del y
        assert rec() is None
    finally:
        gc.enable()


def test_long_chain_without_recursion():
    assert sys.getrecursionlimit() <= 10_000
    x = tl.tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(150_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0)
    ref = weakref.ref(y._node.record)
    del y  # freeing 150,000 records must not overflow the stack either
    assert ref() is None


def test_recording_state_is_per_thread():
    inside, seen = threading.Event(), {}
    release = threading.Event()

    def worker():
        with tl.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (leaf((2,)) * 2.0).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (leaf((2,)) * 2.0).requires_grad
    release.set()
    thread.join()
    assert seen == {"main": True, "worker": False}


# ---- errors that teach --------------------------------------------------------------
def test_mixing_dtypes_is_an_error():
    with pytest.raises(TypeError, match="float64 and float32"):
        leaf((2,)) + leaf((2,), dtype="float32")


def test_mixing_backends_is_an_error():
    pytest.importorskip("array_api_strict")
    a, b = leaf((2,)), leaf((2,)).to("strict")
    with pytest.raises(TypeError, match="'numpy' and 'strict'"):
        a * b


def test_to_moves_leaves_only():
    pytest.importorskip("array_api_strict")
    x = leaf((2, 2))
    moved = x.to("strict")
    assert moved.backend.name == "strict" and moved.requires_grad
    np.testing.assert_array_equal(moved.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="only leaf tensors move"):
        (x * 2.0).to("strict")


# ---- gradcheck is itself tested ------------------------------------------------------
def _tanh_with_vjp_scaled(scale):
    def bad(bk, x):
        out = bk.xp.tanh(x)
        return out, lambda g: (g * (1.0 - out * out) * scale,)
    return OpDef("tanh", bad, True, False, "tanh, wrong on purpose")


@pytest.mark.parametrize("scale", [1.001, 0.999])
def test_gradcheck_rejects_a_vjp_off_by_a_tenth_of_a_percent(monkeypatch, scale):
    monkeypatch.setitem(OPS, "tanh", _tanh_with_vjp_scaled(scale))
    x = leaf((3, 4))
    with pytest.raises(tl.GradcheckError, match=r"input 0 at index \(\d, \d\).*analytic"):
        tl.gradcheck(tl.tanh, [x])


def test_gradcheck_rejects_a_wrong_vjp_on_large_inputs(monkeypatch):
    monkeypatch.setitem(OPS, "tanh", _tanh_with_vjp_scaled(1.001))
    x = tl.tensor(np.random.default_rng(0).standard_normal((40, 40)) * 0.5)
    with pytest.raises(tl.GradcheckError, match="random direction"):
        tl.gradcheck(lambda x: tl.tanh(x), [x])


def test_gradcheck_accepts_correct_vjps_on_large_inputs():
    x = tl.tensor(np.random.default_rng(0).standard_normal((40, 40)) * 0.5)
    w = tl.tensor(np.random.default_rng(1).standard_normal((40, 8)))
    assert tl.gradcheck(lambda x, w: tl.sigmoid(tl.tanh(x) @ w), [x, w])


# ---- the tape printout ----------------------------------------------------------------
def test_tape_printout():
    x = leaf((2, 3))
    x.name = "x"
    w = leaf((3, 4), 1)
    w.name = "W"
    with tl.scope("lstm"), tl.scope("l0", step=3):
        h = tl.tanh(x @ w)
    out = (h * h).sum()
    assert tl.format_tape(out).splitlines() == [
        "v0 = x               (2, 3) float64  leaf, requires grad",
        "v1 = W               (3, 4) float64  leaf, requires grad",
        "v2 = matmul(v0, v1)  (2, 4) float64  [lstm.l0 t=3]",
        "v3 = tanh(v2)        (2, 4) float64  [lstm.l0 t=3]",
        "v4 = mul(v3, v3)     (2, 4) float64",
        "v5 = sum(v4)         () float64",
    ]


def test_tape_printout_is_deterministic():
    def run():
        x = leaf((2, 3))
        a, b, c = tl.split(x, 3, axis=1)
        return tl.format_tape((tl.concat([a, c], axis=1) * 2.0).sum())
    assert run() == run()
    assert "v1, v2, v3 = split(v0, 3, axis=1)" in run()


def test_leaves_never_share_a_gradient_array():
    a, b = leaf((3,)), leaf((3,), 1)
    (a + b).sum().backward()   # add's VJP hands the same cotangent to both inputs
    a.grad.mul_(10.0)
    np.testing.assert_allclose(b.grad.numpy(), 1.0)


def test_leaf_gradients_are_writable():
    x = leaf((2, 3))
    x.sum().backward()         # sum's VJP broadcasts the cotangent: a read-only view
    x.grad.add_(1.0)
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
