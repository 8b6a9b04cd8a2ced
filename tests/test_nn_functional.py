"""Losses against PyTorch (values and gradients), stability at magnitude 1000, dropout,
and clip_grad_norm_."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lstm as tl

F = tl.nn.functional


def _both(fn_ours, fn_torch, arrays, extra=()):
    torch = pytest.importorskip("torch")
    ours = [tl.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_s, out_t = fn_ours(*ours), fn_torch(*theirs)
    out_s.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(out_s.numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
    return out_s


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_losses_match_torch(reduction, scale):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)) * scale
    target = rng.standard_normal((5, 4))
    classes = np.array([0, 3, 1, 1, 2])
    probs = rng.uniform(size=(5, 4))
    _both(lambda p, t: F.mse_loss(p, t, reduction), lambda p, t: tf.mse_loss(p, t, reduction=reduction),
          [logits, target])
    out = _both(lambda z: F.cross_entropy(z, classes, reduction),
                lambda z: tf.cross_entropy(z, torch.tensor(classes), reduction=reduction), [logits])
    assert np.isfinite(out.numpy()).all()
    out = _both(lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction),
                lambda z, y: tf.binary_cross_entropy_with_logits(z, y, reduction=reduction),
                [logits, probs])
    assert np.isfinite(out.numpy()).all()


def test_losses_stay_finite_at_magnitude_1000_without_torch():
    z = tl.tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]]), requires_grad=True)
    ce = F.cross_entropy(z, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(ce.numpy(), [2000.0, 0.0])
    bce = F.binary_cross_entropy_with_logits(z, np.ones((2, 3)), reduction="none")
    np.testing.assert_allclose(bce.numpy(), [[0.0, 1000.0, math.log(2)], [1000.0, 1000.0, 0.0]])
    (ce.sum() + bce.sum()).backward()
    assert np.isfinite(z.grad.numpy()).all()


def test_cross_entropy_unbatched_and_target_tensor():
    z = tl.tensor(np.array([2.0, 1.0, 0.1]), dtype="float64")
    expected = -np.log(np.exp(2.0) / np.exp([2.0, 1.0, 0.1]).sum())
    np.testing.assert_allclose(F.cross_entropy(z, 0).item(), expected)
    zz = tl.tensor(np.stack([z.numpy(), z.numpy()]))
    np.testing.assert_allclose(F.cross_entropy(zz, tl.tensor(np.array([0, 0]))).item(), expected)


def test_dropout_function_scales_and_is_off_in_eval():
    x = tl.tensor(np.ones((1000,)), dtype="float64")
    y = F.dropout(x, 0.5, training=True, generator=np.random.default_rng(0)).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and abs(y.mean() - 1.0) < 0.1
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="p must be in"):
        F.dropout(x, 1.0)


def _with_grads(grads):
    params = []
    for g in grads:
        p = tl.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = tl.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_and_clips():
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    params = _with_grads(grads)
    norm = tl.nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert norm == pytest.approx(5.0)
    total = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params))
    assert total == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    untouched = _with_grads(grads)
    assert tl.nn.utils.clip_grad_norm_(untouched, max_norm=10.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(untouched[1].grad.numpy(), grads[1])
    assert tl.nn.utils.clip_grad_norm_(_with_grads(grads), 1.0, norm_type=math.inf) == 4.0


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours = _with_grads(grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    n_ours = tl.nn.utils.clip_grad_norm_(ours, 0.5)
    n_theirs = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert n_ours == pytest.approx(float(n_theirs), rel=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_error_if_nonfinite():
    params = _with_grads([np.array([1.0, np.nan])])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total 2.0-norm of the gradients is nan"):
        tl.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):   # inf * 0 in the scaled gradient, as in PyTorch
        assert tl.nn.utils.clip_grad_norm_(_with_grads([np.array([np.inf])]), 1.0) == math.inf


def test_clip_does_not_touch_a_shared_gradient_array_twice():
    a = tl.tensor(np.ones(2), requires_grad=True)
    b = tl.tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()        # the add VJP may hand both leaves the same array
    tl.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_allclose(np.sqrt((a.grad.numpy() ** 2).sum() * 2), 1.0, rtol=1e-5)


# ---- softmax, log_softmax, cross_entropy memory, clip_grad_value_ ----------------------
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5,), -1), ((4, 6), -1), ((4, 6), 0), ((2, 3, 5), 1),
                                       ((2, 3, 5), -3)])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_softmax_matches_torch(fn, shape, dim, scale):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape) + dim)
    x = rng.standard_normal(shape) * scale
    cotangent = rng.standard_normal(shape)
    out = _both(lambda z: getattr(F, fn)(z, dim=dim) * tl.tensor(cotangent),
                lambda z: getattr(torch.nn.functional, fn)(z, dim=dim) * torch.tensor(cotangent), [x])
    assert np.isfinite(out.numpy()).all()


def test_softmax_defaults_to_the_last_axis_and_takes_axis():
    x = tl.tensor(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    p = F.softmax(x).numpy()
    np.testing.assert_allclose(p.sum(axis=-1), [1.0, 1.0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    np.testing.assert_array_equal(F.log_softmax(x, axis=0).numpy(), F.log_softmax(x, dim=0).numpy())


def test_softmax_gradient_passes_gradcheck():
    x = tl.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    w = tl.tensor(np.random.default_rng(1).standard_normal((3, 4)))
    tl.gradcheck(lambda z: (F.softmax(z, dim=1) * w).sum(), [x])
    tl.gradcheck(lambda z: (F.log_softmax(z, dim=0) * w).sum(), [x])


@pytest.mark.parametrize("call,match", [
    (lambda x: F.softmax(x, dim=2), r"softmax: dim must be an int in \[-2, 1\] for a tensor of shape \(2, 3\), got 2"),
    (lambda x: F.log_softmax(x, dim=1.0), r"log_softmax: dim must be an int .* got 1.0"),
    (lambda x: F.softmax(x, dim=0, axis=1), r"softmax: got dim=0 and axis=1; they are the same argument"),
    (lambda x: F.softmax(x.numpy()), r"softmax: input must be a Tensor, got ndarray"),
])
def test_softmax_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(tl.tensor(np.ones((2, 3))))


def test_cross_entropy_memory_is_linear_in_classes():
    """200,000 classes: a one-hot eye(C) would ask for 320 GB; picking by index needs a
    few (N, C) arrays. Values and gradient against the closed form."""
    import tracemalloc
    batch, classes = 4, 200_000
    rng = np.random.default_rng(0)
    z = tl.tensor(rng.standard_normal((batch, classes)), requires_grad=True)
    targets = np.array([0, 199_999, 5, 5])
    tracemalloc.start()
    loss = F.cross_entropy(z, targets)
    loss.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_array = batch * classes * 8
    assert peak < 12 * one_array, f"peak {peak / 2**20:.0f} MiB for (N, C) arrays of {one_array / 2**20:.1f} MiB"
    x = z.numpy()
    logp = x - x.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    assert loss.item() == pytest.approx(-logp[np.arange(batch), targets].mean(), rel=1e-12)
    expected = np.exp(logp)
    np.add.at(expected, (np.arange(batch), targets), -1.0)
    np.testing.assert_allclose(z.grad.numpy(), expected / batch, rtol=1e-10, atol=1e-15)


def test_cross_entropy_repeated_targets_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits, classes = rng.standard_normal((6, 3)), np.array([2, 2, 2, 0, 0, 1])
    for reduction in ("mean", "sum", "none"):
        _both(lambda z: F.cross_entropy(z, classes, reduction),
              lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(classes), reduction=reduction),
              [logits])
    _both(lambda z: F.cross_entropy(z, 1, "none"),
          lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(1), reduction="none"), [logits[0]])


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal((3, 4)) * 2, np.array([np.nan, -5.0, 0.1])]
    ours = _with_grads(grads) + [tl.tensor(np.ones(2), requires_grad=True)]   # last: no grad
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    assert tl.nn.utils.clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert ours[2].grad is None
    single = _with_grads([np.array([3.0, -3.0])])[0]
    tl.nn.utils.clip_grad_value_(single, 1)
    np.testing.assert_array_equal(single.grad.numpy(), [1.0, -1.0])


@pytest.mark.parametrize("value", [-1.0, float("nan"), "1", None])
def test_clip_grad_value_refuses_bad_values(value):
    with pytest.raises(ValueError, match=r"clip_grad_value_: clip_value must be a number >= 0"):
        tl.nn.utils.clip_grad_value_(_with_grads([np.ones(2)]), value)


def test_clip_grad_value_keeps_dtype_and_shared_arrays(backend):
    a = tl.tensor(np.full(2, 3.0), dtype="float32", requires_grad=True, backend=backend)
    b = tl.tensor(np.full(2, 3.0), dtype="float32", requires_grad=True, backend=backend)
    ((a + b) * 2.0).sum().backward()
    tl.nn.utils.clip_grad_value_([a, b], 1.5)
    for p in (a, b):
        assert p.grad.backend.dtype_name(p.grad.dtype) == "float32"
        np.testing.assert_array_equal(p.grad.numpy(), [1.5, 1.5])


def test_softmax_and_cross_entropy_on_backend(backend):
    x = tl.tensor(np.array([[1.0, 2.0, 3.0], [3.0, 0.0, 0.0]]), dtype="float32", requires_grad=True,
                  backend=backend)
    p = F.softmax(x)
    assert p.backend is tl.get_backend(backend) and p.backend.dtype_name(p.dtype) == "float32"
    np.testing.assert_allclose(p.numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)
    F.cross_entropy(x, np.array([2, 0])).backward()
    np.testing.assert_allclose(x.grad.numpy(), (p.numpy() - np.eye(3)[[2, 0]]) / 2, rtol=1e-5, atol=1e-7)
