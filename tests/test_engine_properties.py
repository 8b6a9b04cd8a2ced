"""Property-based and reference tests of the engine: broadcasting, reductions, indexing,
random op compositions, all against gradcheck and (when installed) PyTorch autograd."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lstm as tl

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)  # same examples every run


def _arrays(shapes, seed, positive=False):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, s) if positive else rng.standard_normal(s) for s in shapes]


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       st.sampled_from(sorted(BINARY)), st.integers(0, 2**16))
def test_broadcasting_binary_ops(shapes, name, seed):
    fn, ref = BINARY[name]
    a, b = _arrays(shapes.input_shapes, seed, positive=True)
    out = fn(tl.tensor(a), tl.tensor(b))
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12)
    assert tl.gradcheck(fn, [tl.tensor(a), tl.tensor(b)])


@st.composite
def shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axes = draw(st.none() | st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True).map(tuple))
    return shape, axes, draw(st.booleans())


@SETTINGS
@given(shape_and_axes(), st.sampled_from(["sum", "mean", "max"]), st.integers(0, 2**16))
def test_reductions(spec, name, seed):
    shape, axes, keepdims = spec
    (x,) = _arrays([shape], seed)
    out = getattr(tl.tensor(x), name)(axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), getattr(np, name)(x, axis=axes, keepdims=keepdims), rtol=1e-12)
    assert tl.gradcheck(lambda t: getattr(t, name)(axis=axes, keepdims=keepdims), [tl.tensor(x)])


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data())
def test_integer_array_indexing_accumulates(shape, data):
    idx = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    x = np.random.default_rng(len(idx)).standard_normal(shape)
    t = tl.tensor(x, requires_grad=True)
    weights = np.arange(1.0, len(idx) + 1).reshape((-1,) + (1,) * (len(shape) - 1))
    (t[idx] * tl.tensor(weights)).sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, np.array(idx), np.broadcast_to(weights, (len(idx),) + shape[1:]))
    np.testing.assert_allclose(t.grad.numpy(), expected)


# ---- random compositions ---------------------------------------------------------------
class Ours:
    """The vocabulary of the random programs, in this engine."""
    tanh, sigmoid, exp, log = staticmethod(tl.tanh), staticmethod(tl.sigmoid), staticmethod(tl.exp), staticmethod(tl.log)
    split = staticmethod(lambda h: tl.split(h, [1], axis=1))
    concat = staticmethod(lambda hs: tl.concat(hs, axis=1))
    stack_sum = staticmethod(lambda hs: tl.stack(hs).sum(axis=0))
    mean0 = staticmethod(lambda h: h.mean(axis=0, keepdims=True))
    max1 = staticmethod(lambda h: h.max(axis=1, keepdims=True))
    flip = staticmethod(lambda h: h[::-1] + 0.0)
    transpose2 = staticmethod(lambda h: h.T.T)


def torch_vocabulary(torch):
    class Theirs:
        tanh, sigmoid, exp, log = torch.tanh, torch.sigmoid, torch.exp, torch.log
        split = staticmethod(lambda h: torch.split(h, [1, h.shape[1] - 1], dim=1))
        concat = staticmethod(lambda hs: torch.cat(hs, dim=1))
        stack_sum = staticmethod(lambda hs: torch.stack(hs).sum(dim=0))
        mean0 = staticmethod(lambda h: h.mean(dim=0, keepdim=True))
        max1 = staticmethod(lambda h: h.max(dim=1, keepdim=True).values)
        flip = staticmethod(lambda h: torch.flip(h, [0]) + 0.0)
        transpose2 = staticmethod(lambda h: h.T.T)
    return Theirs


def random_program(seed: int):
    """A random chain mixing unary ops, matmuls, concat/split, broadcasting and reductions,
    written once against a vocabulary `ns` so the same program runs here and in PyTorch."""
    rng = np.random.default_rng(seed)
    steps = [(int(c), int(u)) for c, u in zip(rng.integers(0, 6, size=6), rng.integers(0, 8, size=6))]

    def program(ns, x, w):
        unary = [ns.tanh, ns.sigmoid, lambda h: h * h, lambda h: -h, lambda h: ns.exp(h * 0.5),
                 lambda h: ns.log(h * h + 1.0), ns.transpose2, ns.flip]
        h = x
        for c, u in steps:
            if c == 0:
                h = unary[u](h)
            elif c == 1:
                h = ns.tanh(h @ w)
            elif c == 2:
                a, b = ns.split(h)
                h = ns.concat([b, a])
            elif c == 3:
                h = h * ns.mean0(h)
            elif c == 4:
                h = h - ns.max1(h)
            else:
                h = ns.stack_sum([h, ns.sigmoid(h)])
        return h
    return program


def _program_inputs(seed):
    rng = np.random.default_rng(100 + seed)
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 4)) * 0.5


@pytest.mark.parametrize("seed", range(12))
def test_random_compositions_gradcheck(seed):
    x, w = _program_inputs(seed)
    program = random_program(seed)
    assert tl.gradcheck(lambda a, b: program(Ours, a, b), [tl.tensor(x), tl.tensor(w)])


@pytest.mark.parametrize("seed", range(12))
def test_random_compositions_against_torch(seed):
    torch = pytest.importorskip("torch")
    x, w = _program_inputs(seed)
    program = random_program(seed)
    mine = [tl.tensor(x, requires_grad=True), tl.tensor(w, requires_grad=True)]
    ref = [torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)]
    out, rout = program(Ours, *mine), program(torch_vocabulary(torch), *ref)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    (out * tl.tensor(weights)).sum().backward()
    (rout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.numpy(), rout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for m, r in zip(mine, ref):
        if r.grad is None:          # the program never used this input
            assert m.grad is None
            continue
        np.testing.assert_allclose(m.grad.numpy(), r.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---- PyTorch autograd as an independent reference ----------------------------------------
def test_lstm_step_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    W, b = rng.standard_normal((7, 16)) * 0.4, rng.standard_normal(16) * 0.1

    def ours(x, h, c, W, b):
        i, f, g, o = tl.split(tl.concat([x, h], axis=1) @ W + b, 4, axis=1)
        c2 = tl.sigmoid(f) * c + tl.sigmoid(i) * tl.tanh(g)
        return (tl.sigmoid(o) * tl.tanh(c2)).sum() + (c2 * c2).mean()

    def theirs(x, h, c, W, b):
        i, f, g, o = torch.split(torch.cat([x, h], 1) @ W + b, 4, 1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return (torch.sigmoid(o) * torch.tanh(c2)).sum() + (c2 * c2).mean()

    arrays = [x, h, c, W, b]
    mine = [tl.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, rout = ours(*mine), theirs(*ref)
    out.backward()
    rout.backward()
    np.testing.assert_allclose(out.item(), rout.item(), rtol=1e-12)
    for m, r in zip(mine, ref):
        np.testing.assert_allclose(m.grad.numpy(), r.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_indexing_and_reductions_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((4, 5))
    idx = [0, 3, 3, 1]
    mine = tl.tensor(x, requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)
    out = (mine[idx][:, 1:4] ** 3).sum(axis=1).mean() + (mine.max(axis=0) ** 2).sum()
    rout = (ref[idx][:, 1:4] ** 3).sum(dim=1).mean() + (ref.max(dim=0).values ** 2).sum()
    out.backward()
    rout.backward()
    np.testing.assert_allclose(out.item(), rout.item(), rtol=1e-12)
    np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=1e-10)
