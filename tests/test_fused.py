"""The fused LSTM op (ops/fused.py) against its composed twin, on every backend.

The composed layer here is built from primitives only (x_t @ W_ih^T + h @ W_hh^T + b,
split in four, sigmoid/tanh, c = f*c + i*g, h = o*tanh(c)), independent of tl.nn.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm import tape
from tinygrad_lstm.backends.numpy_backend import NumpyBackend
from tinygrad_lstm.tensor import apply
from conftest import CUPY_READY

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from numpy_lstm import lstm_backward, lstm_forward  # noqa: E402

NAMES = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")
SHAPES = [(1, 1, 1, 1), (4, 3, 5, 2), (6, 2, 3, 7), (3, 5, 8, 4)]  # (T, B, I, H)


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """The fused op, as tl.nn.LSTM(fused=True) calls it for one layer."""
    biases = () if b_ih is None else (b_ih, b_hh)
    return apply("lstm_layer", (x, h0, c0, w_ih, w_hh) + biases,
                 {"reverse": reverse, "input_grad": x.requires_grad})


def composed_layer(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    steps = x.shape[0]
    hs = [None] * steps
    for t in (reversed(range(steps)) if reverse else range(steps)):
        z = x[t] @ w_ih.T + h @ w_hh.T
        if b_ih is not None:
            z = z + b_ih + b_hh
        i, f, g, o = tl.split(z, 4, axis=1)
        c = tl.sigmoid(f) * c + tl.sigmoid(i) * tl.tanh(g)
        h = tl.sigmoid(o) * tl.tanh(c)
        hs[t] = h
    return tl.stack(hs), h, c


def arrays(shape, seed=0, layers=1):
    steps, batch, n_in, hidden = shape
    rng = np.random.default_rng(seed)
    out = {"x": rng.standard_normal((steps, batch, n_in))}
    for k in range(layers):
        size = n_in if k == 0 else hidden
        out[f"h0_{k}"] = rng.standard_normal((batch, hidden)) * 0.5
        out[f"c0_{k}"] = rng.standard_normal((batch, hidden)) * 0.5
        out[f"w_ih_{k}"] = rng.standard_normal((4 * hidden, size)) * 0.6
        out[f"w_hh_{k}"] = rng.standard_normal((4 * hidden, hidden)) * 0.6
        out[f"b_ih_{k}"] = rng.standard_normal(4 * hidden) * 0.3
        out[f"b_hh_{k}"] = rng.standard_normal(4 * hidden) * 0.3
    return out


def run(layer, leaves, layers, with_state, bias, reverse, seed=1):
    """A stack of `layers` layers; loss = sum(out * u) + sum(h_n * v) + sum(c_n * w)."""
    x = leaves["x"]
    loss = None
    rng = np.random.default_rng(seed)
    bk = x.backend
    for k in range(layers):
        if with_state:
            h0, c0 = leaves[f"h0_{k}"], leaves[f"c0_{k}"]
        else:
            h0 = c0 = tl.tensor(np.zeros(leaves[f"h0_{k}"].shape), backend=bk)
        biases = (leaves[f"b_ih_{k}"], leaves[f"b_hh_{k}"]) if bias else (None, None)
        x, h, c = layer(x, h0, c0, leaves[f"w_ih_{k}"], leaves[f"w_hh_{k}"], *biases, reverse=reverse)
        for t in (x, h, c):
            term = (t * tl.tensor(rng.standard_normal(t.shape), backend=bk)).sum()
            loss = term if loss is None else loss + term
    return x, loss


def grads_of(layer, data, backend, layers=1, with_state=True, bias=True, reverse=False, x_grad=True):
    leaves = {k: tl.tensor(v, requires_grad=(x_grad or k != "x"), backend=backend)
              for k, v in data.items()}
    out, loss = run(layer, leaves, layers, with_state, bias, reverse)
    loss.backward()
    grads = {k: t.grad.numpy() for k, t in leaves.items() if t.grad is not None}
    return out.numpy(), loss.item(), grads


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("with_state", [True, False], ids=["state", "zeros"])
def test_fused_equals_composed(backend, shape, with_state):
    data = arrays(shape)
    fused = grads_of(lstm_layer, data, backend, with_state=with_state)
    composed = grads_of(composed_layer, data, backend, with_state=with_state)
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fused[1], composed[1], rtol=1e-12, atol=1e-12)
    assert fused[2].keys() == composed[2].keys()
    for name in fused[2]:
        np.testing.assert_allclose(fused[2][name], composed[2][name], rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("options", [
    dict(layers=2), dict(layers=3, with_state=False), dict(layers=2, bias=False),
    dict(layers=2, reverse=True), dict(layers=1, x_grad=False), dict(layers=2, x_grad=False),
], ids=["2-layers", "3-layers-zeros", "no-bias", "reverse", "x-no-grad", "2-layers-x-no-grad"])
def test_fused_equals_composed_stacked(backend, options):
    data = arrays((5, 3, 4, 3), seed=2, layers=options["layers"])
    fused = grads_of(lstm_layer, data, backend, **options)
    composed = grads_of(composed_layer, data, backend, **options)
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-12, atol=1e-12)
    assert fused[2].keys() == composed[2].keys()
    for name in fused[2]:
        np.testing.assert_allclose(fused[2][name], composed[2][name], rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradcheck_fused_ops(backend, steps, reverse):
    data = arrays((steps, 2, 3, 2), seed=3)
    inputs = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], backend=backend) for n in NAMES]

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        return list(lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse))
    assert tl.gradcheck(fn, inputs)


class PortableBackend(NumpyBackend):
    """NumPy without the scan kernels: ops/fused.py's own loop, written against xp."""
    name = "numpy-xp"

    def __init__(self):
        super().__init__()
        self.fused = {}


def test_portable_loop_equals_composed():
    tl.register_backend("numpy-xp", PortableBackend)
    data = arrays((4, 3, 5, 2), layers=2)
    fused = grads_of(lstm_layer, data, "numpy-xp", layers=2, reverse=True)
    composed = grads_of(composed_layer, data, "numpy", layers=2, reverse=True)
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-12, atol=1e-12)
    for name in composed[2]:
        np.testing.assert_allclose(fused[2][name], composed[2][name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_gradcheck_rejects_a_wrong_step_vjp(monkeypatch):
    """The check above has teeth: a slightly wrong gate derivative is caught."""
    from tinygrad_lstm.ops import fused

    right = fused.cell_backward

    def wrong(xp, a, c_prev, tanh_c, dh, dc, dz):
        dc_prev = right(xp, a, c_prev, tanh_c, dh, dc, dz)
        dz *= 1.001
        return dc_prev
    monkeypatch.setattr(fused, "cell_backward", wrong)
    tl.register_backend("numpy-xp", PortableBackend)   # the loop of ops/fused.py, no kernels
    data = arrays((2, 2, 3, 2), seed=4)
    inputs = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], backend="numpy-xp") for n in NAMES]
    with pytest.raises(tl.GradcheckError):
        tl.gradcheck(lambda *a: list(lstm_layer(*a)), inputs)


def test_one_record_per_layer_drawn_as_one_box_per_step():
    data = arrays((4, 2, 3, 5))
    leaves = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], requires_grad=True) for n in NAMES]
    with tl.scope("lstm"), tl.scope(scan="lstm"):
        out, h, c = lstm_layer(*leaves)
    records = tape.reachable([out._node, c._node])
    assert [r.op for r in records] == ["lstm_layer"]
    assert records[0].scope == "lstm" and "steps=4" in tl.format_tape(out)
    from tinygrad_lstm.viz.collect import collect
    g = collect([out, c])
    cells = [r for r in g.records if r.op == "lstm_cell"]
    assert [r.step for r in cells] == [0, 1, 2, 3] and g.names[0] == ("h", "c")


def test_retain_graph_and_partial_use(backend):
    """A second backward starts a fresh dZ buffer; steps after the used output add nothing."""
    data = arrays((5, 2, 3, 4), seed=5)
    results = []
    for layer in (lstm_layer, composed_layer):
        leaves = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], requires_grad=True,
                            backend=backend) for n in NAMES]
        out, _, _ = layer(*leaves)
        loss = (out[1] * out[1]).sum()     # only steps 0 and 1 reach the loss
        loss.backward(retain_graph=True)
        loss.backward()
        results.append([t.grad.numpy() for t in leaves])
    for name, f, c in zip(NAMES, *results):
        np.testing.assert_allclose(f, c, rtol=1e-10, atol=1e-12, err_msg=name)


def test_float32_matches_float64_closely(backend):
    data = arrays((6, 3, 4, 5), seed=6)
    outs = []
    for dtype in ("float32", "float64"):
        leaves = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], dtype=dtype,
                            requires_grad=True, backend=backend) for n in NAMES]
        out, _, _ = lstm_layer(*leaves)
        out.sum().backward()
        assert out.dtype == leaves[0].dtype and leaves[3].grad.dtype == leaves[3].dtype
        outs.append((out.numpy(), leaves[4].grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-4, atol=1e-4)


def test_the_op_holds_no_state_between_calls():
    """Two layers built from one set of weights run and differentiate independently."""
    data = arrays((3, 2, 2, 3), seed=13)
    leaves = [tl.tensor(data[f"{n}_0"] if n != "x" else data["x"], requires_grad=True) for n in NAMES]
    first, _, _ = lstm_layer(*leaves)
    second, _, _ = lstm_layer(*leaves, reverse=True)
    (second.sum() * 2.0).backward()
    g_second = leaves[4].grad.numpy()
    leaves[4].grad = None
    first.sum().backward()
    fresh = [tl.tensor(t.numpy(), requires_grad=True) for t in leaves]
    alone, _, _ = lstm_layer(*fresh)
    alone.sum().backward()
    expected = fresh[4].grad.numpy()
    np.testing.assert_allclose(leaves[4].grad.numpy(), expected, rtol=1e-12)
    assert not np.allclose(g_second, 2 * expected)


def test_hand_written_numpy_reference_agrees():
    """The benchmark's yardstick computes the same LSTM as the engine."""
    data = arrays((5, 3, 4, 6), seed=7)
    args = [data[f"{n}_0"] if n != "x" else data["x"] for n in NAMES]
    out, cache = lstm_forward(*args)
    d_out = np.random.default_rng(8).standard_normal(out.shape)
    grads = lstm_backward(d_out, cache)
    leaves = [tl.tensor(a, requires_grad=True) for a in args]
    ref, _, _ = composed_layer(*leaves)
    (ref * tl.tensor(d_out)).sum().backward()
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-12, atol=1e-12)
    for name, leaf in zip(NAMES, leaves):
        np.testing.assert_allclose(grads[name], leaf.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("options", [
    dict(num_layers=2), dict(num_layers=2, bidirectional=True), dict(batch_first=True),
    dict(bias=False, num_layers=2), dict(bidirectional=True, batch_first=True),
], ids=["2-layers", "bidirectional", "batch-first", "no-bias", "bi-batch-first"])
@pytest.mark.parametrize("with_state", [True, False], ids=["state", "zeros"])
def test_nn_lstm_fused_equals_composed(backend, options, with_state):
    """tl.nn.LSTM(fused=True) runs the fused ops and matches fused=False exactly."""
    rng = np.random.default_rng(9)
    lstm = {f: tl.nn.LSTM(3, 4, fused=f, dtype="float64", backend=backend, **options)
            for f in (True, False)}
    lstm[False].load_state_dict(lstm[True].state_dict())
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    x = rng.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3))
    h0, c0 = rng.standard_normal((2, layers, 2, 4))
    results = {}
    for fused, model in lstm.items():
        xt = tl.tensor(x, requires_grad=True, backend=backend)
        state = tuple(tl.tensor(s, requires_grad=True, backend=backend) for s in (h0, c0))
        out, (h_n, c_n) = model(xt, state if with_state else None)
        weights = np.random.default_rng(10)     # the same loss weights for both models
        u = [tl.tensor(weights.standard_normal(t.shape), backend=backend) for t in (out, h_n, c_n)]
        ((out * u[0]).sum() + (h_n * u[1]).sum() + (c_n * u[2]).sum()).backward()
        ops = {r.op for r in tape.reachable([out._node])}
        assert ("lstm_layer" in ops) == fused
        grads = [xt.grad] + ([s.grad for s in state] if with_state else [])
        grads += [p.grad for _, p in model.named_parameters()]
        results[fused] = [out.numpy(), h_n.numpy(), c_n.numpy()] + [g.numpy() for g in grads]
    for f, c in zip(results[True], results[False]):
        np.testing.assert_allclose(f, c, rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
@pytest.mark.skipif(not CUPY_READY, reason="CuPy with a CUDA device is not available")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cupy_gate_kernels_match_the_xp_gate_math(dtype):
    """The CuPy elementwise kernels compute what ops/fused.py computes with xp calls."""
    import cupy
    from tinygrad_lstm.ops import fused

    bk = tl.get_backend("cupy")
    rng = np.random.default_rng(11)
    batch, hidden = 3, 5
    z = cupy.asarray(rng.standard_normal((batch, 4 * hidden)).astype(dtype))
    c_prev, dh, dc = (cupy.asarray(rng.standard_normal((batch, hidden)).astype(dtype)) for _ in range(3))
    expected = [cupy.empty((batch, 4 * hidden), dtype)] + [cupy.empty((batch, hidden), dtype) for _ in range(3)]
    got = [cupy.empty_like(e) for e in expected]
    fused.cell_forward(bk.xp, z, c_prev, *expected)
    bk.fused["lstm_cell_forward"](z, c_prev, *got)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for e, g in zip(expected, got):
        np.testing.assert_allclose(cupy.asnumpy(g), cupy.asnumpy(e), rtol=tol, atol=tol)
    a, _, tanh_c, _ = expected
    dz_expected, dz = cupy.empty_like(a), cupy.empty_like(a)
    dc_expected = fused.cell_backward(bk.xp, a, c_prev, tanh_c, dh, dc, dz_expected)
    dc_got = bk.fused["lstm_cell_backward"](a, c_prev, tanh_c, dh, dc, dz)
    np.testing.assert_allclose(cupy.asnumpy(dz), cupy.asnumpy(dz_expected), rtol=tol, atol=tol)
    np.testing.assert_allclose(cupy.asnumpy(dc_got), cupy.asnumpy(dc_expected), rtol=tol, atol=tol)


def test_kernel_path_of_the_fused_op_without_a_gpu():
    """The op's branch for backend kernels (CuPy's), run with stand-in kernels that keep
    the kernels' contract on NumPy: outputs and dz are written into the given slots."""
    from tinygrad_lstm.backends.numpy_backend import NumpyBackend
    from tinygrad_lstm.ops import fused

    calls = []

    class KernelBackend(NumpyBackend):
        name = "numpy-kernels"

        def __init__(self):
            super().__init__()

            def forward(*args):
                calls.append("forward")
                fused.cell_forward(np, *args)

            def backward(*args):
                calls.append("backward")
                return fused.cell_backward(np, *args)
            self.fused = {"lstm_cell_forward": forward, "lstm_cell_backward": backward}

    tl.register_backend("numpy-kernels", KernelBackend)
    data = arrays((4, 2, 3, 5), seed=12)
    fused_run = grads_of(lstm_layer, data, "numpy-kernels", layers=1)
    composed = grads_of(composed_layer, data, "numpy", layers=1)
    assert calls.count("forward") == 4 and calls.count("backward") == 4
    np.testing.assert_allclose(fused_run[0], composed[0], rtol=1e-12, atol=1e-12)
    for name in composed[2]:
        np.testing.assert_allclose(fused_run[2][name], composed[2][name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_shape_errors_name_the_shapes():
    data = arrays((3, 2, 4, 5))
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = (tl.tensor(data[f"{n}_0"] if n != "x" else data["x"])
                                         for n in NAMES)
    with pytest.raises(ValueError, match=r"W_hh \(4H, H\)"):
        lstm_layer(x, h0, c0, w_ih, w_hh[:12], b_ih, b_hh)
    with pytest.raises(ValueError, match=r"biases \(4H,\)"):
        lstm_layer(x, h0, c0, w_ih, w_hh, b_ih[:4], b_hh)
