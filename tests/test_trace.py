"""tl.viz.trace records the composed cell's own numbers (bit for bit), on every backend,
for fused and composed models, any number of layers and directions; lag_norms is the
Jacobian the engine computes; the plots write what they drew."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.viz import time_plots
from tinygrad_lstm.viz.trace import ROLES

LAYERS = {"rnn": tl.nn.RNN, "gru": tl.nn.GRU, "lstm": tl.nn.LSTM}
SHAPES = [(1, False), (2, True)]       # (num_layers, bidirectional)


def make(kind: str, backend="numpy", dtype="float32", **kwargs):
    return LAYERS[kind](3, 4, dtype=dtype, backend=backend,
                        generator=np.random.default_rng(1), **kwargs)


def data(shape=(6, 2, 3), backend="numpy", dtype="float32", seed=0):
    return tl.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype, backend=backend)


def previous(values: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step read (zeros before the first step of its direction)."""
    zero = np.zeros_like(values[:1])
    return np.concatenate([values[1:], zero]) if reverse else np.concatenate([zero, values[:-1]])


@pytest.mark.parametrize("layers,bidirectional", SHAPES)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_trace_equals_the_composed_model_exactly(kind, layers, bidirectional, backend):
    options = {"fused": False} if kind == "lstm" else {}
    model = make(kind, backend, num_layers=layers, bidirectional=bidirectional, **options)
    x = data(backend=backend)
    tr = tl.viz.trace(model, x)
    out, _ = model(x)
    assert np.array_equal(tr.output, out.numpy())
    assert tr.kind == kind and tr.roles == ROLES[kind]
    assert len(tr.layers) == layers * (2 if bidirectional else 1)
    for name in tr.layers:
        for role in tr.roles:
            assert tr.get(role, name).shape == (6, 2, 4)
        assert tr.scopes[name] == f"{kind}.{name}"


@pytest.mark.parametrize("layers,bidirectional", SHAPES)
def test_lstm_gates_are_the_cells_own(layers, bidirectional, backend):
    """c == f * c_prev + i * g and h == o * tanh(c), exactly: the recorded gates are the
    numbers the cell multiplied, for a fused model too."""
    model = make("lstm", backend, num_layers=layers, bidirectional=bidirectional, fused=True)
    x = data(backend=backend)
    tr = tl.viz.trace(model, x)
    bk = tl.get_backend(backend)
    for name in tr.layers:
        i, f, g, o, c, h = (tr.get(r, name) for r in "ifgoch")
        assert np.array_equal(c, f * previous(c, name.endswith("_reverse")) + i * g)
        tanh_c = bk.to_numpy(bk.xp.tanh(bk.asarray(c, dtype="float32")))
        assert np.array_equal(h, o * tanh_c)
        assert 0 <= f.min() and f.max() <= 1 and -1 <= g.min() and g.max() <= 1
    out, _ = model(x)                                  # the fused scan, same numbers to rounding
    np.testing.assert_allclose(tr.output, out.numpy(), rtol=1e-5, atol=1e-6)


def test_gru_gates_are_the_cells_own(backend):
    model = make("gru", backend)
    tr = tl.viz.trace(model, data(backend=backend))
    r, z, n, h = (tr[k] for k in "rznh")
    assert np.array_equal(h, (1.0 - z) * n + z * previous(h, False))
    assert 0 <= r.min() and r.max() <= 1


def test_trace_takes_the_models_input_forms():
    model = make("lstm", batch_first=True)
    x = data((2, 6, 3))
    tr = tl.viz.trace(model, x)
    out, _ = model(x)
    np.testing.assert_allclose(tr.output.transpose(1, 0, 2), out.numpy(), rtol=1e-5, atol=1e-6)
    single = tl.viz.trace(make("gru"), data((6, 3)))
    assert single["h"].shape == (6, 1, 4)
    with pytest.raises(TypeError, match="tl.nn.RNN, LSTM or GRU"):
        tl.viz.trace(tl.nn.Linear(3, 4), x)
    with pytest.raises(KeyError, match="no 'f'"):
        tl.viz.trace(make("gru"), data())["f"]


def test_trace_with_a_given_state_and_json_form():
    model = make("lstm")
    h0 = tl.tensor(np.full((1, 2, 4), 0.5, np.float32))
    c0 = tl.tensor(np.full((1, 2, 4), -0.5, np.float32))
    tr = tl.viz.trace(model, data(), (h0, c0))
    out, _ = model(data(), (h0, c0))
    np.testing.assert_allclose(tr.output, out.numpy(), rtol=1e-5, atol=1e-6)
    doc = json.loads(json.dumps(tr.as_dict(batch=1)))
    assert doc["kind"] == "lstm" and doc["steps"] == 6 and doc["hidden"] == 4
    assert doc["layers"]["l0"]["scope"] == "lstm.l0"
    assert doc["layers"]["l0"]["f"][3] == tr["f"][3, 1].tolist() == tr.at(3, batch=1)["f"]


def test_saturation_and_the_memory_horizon():
    model = make("lstm", forget_bias=6.0)
    tr = tl.viz.trace(model, data((30, 2, 3)))
    product = tr.forget_product()
    assert product.shape == (30, 2, 4) and np.all(product[0] == 1.0)
    np.testing.assert_allclose(product[5], np.prod(tr["f"][1:6].astype(np.float64), axis=0))
    assert np.all(np.diff(product, axis=0) <= 0)
    assert tr.saturation()["f"].mean() > 0.5                   # f = sigmoid(~6) > 0.95
    horizon = tr.memory_horizon()
    assert horizon.shape == (2, 4) and np.all(horizon > 5)
    forgetful = tl.viz.trace(make("lstm", forget_bias=-6.0), data((30, 2, 3)))
    assert np.all(forgetful.memory_horizon() <= 2)
    with pytest.raises(ValueError, match="LSTM"):
        tl.viz.trace(make("gru"), data()).forget_product()


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_lag_norms_are_the_engines_jacobian(kind):
    """Against a Jacobian built column by column with tl.grad on the model's own layer
    (an RNN's h_t is reachable from the stacked output only through h_T's chain)."""
    model = make(kind, dtype="float64")
    x = data((5, 1, 3), dtype="float64")
    norms = tl.viz.lag_norms(model, x)
    assert norms.shape == (5,) and norms[-1] == pytest.approx(1.0)
    fro = tl.viz.lag_norms(model, x, norm="fro")
    assert fro[-1] == pytest.approx(1.0)
    # finite differences on h_1: run steps 2..4 from a perturbed h_1
    from tinygrad_lstm.viz.trace import run_steps
    tr = tl.viz.trace(model, x)
    h1 = tr["h"][1, 0]
    state = (tl.tensor(h1.reshape(1, 1, 4)),) + ((tl.tensor(tr["c"][1, 0].reshape(1, 1, 4)),)
                                                 if kind == "lstm" else ())
    rest = x[2:]
    eps, jac = 1e-6, np.zeros((4, 4))
    for j in range(4):
        d = np.zeros(4)
        d[j] = eps
        ends = []
        for sign in (1, -1):
            s = (tl.tensor((h1 + sign * d).reshape(1, 1, 4)),) + state[1:]
            _, _, out = run_steps(model, rest, s if kind == "lstm" else s[0])
            ends.append(out.numpy()[-1, 0])
        jac[:, j] = (ends[0] - ends[1]) / (2 * eps)
    assert norms[1] == pytest.approx(np.linalg.norm(jac, 2), rel=1e-5)


def test_lag_norms_show_the_rnn_forgetting_and_the_lstm_remembering():
    x = data((40, 1, 3), dtype="float64")
    opts = dict(dtype="float64", generator=np.random.default_rng(1))
    rnn = tl.viz.lag_norms(tl.nn.RNN(3, 16, **opts), x)
    lstm = tl.nn.LSTM(3, 16, forget_bias=3.0, **opts)
    assert rnn[0] < 1e-6 < 1e-2 < tl.viz.lag_norms(lstm, x)[0]
    assert tl.viz.lag_norms(lstm, x, of="c")[0] > 0.1
    with pytest.raises(ValueError, match="of must be"):
        tl.viz.lag_norms(make("gru", dtype="float64"), x, of="c")


def test_plots_write_the_numbers_they_drew(tmp_path):
    pytest.importorskip("matplotlib")
    tr = tl.viz.trace(make("lstm", forget_bias=2.0), data((12, 2, 3)))
    for name, draw in (("heat", time_plots.heatmaps), ("sat", time_plots.saturation),
                       ("mem", time_plots.memory)):
        path = draw(tr, tmp_path / f"{name}.png")
        assert path.exists() and path.with_suffix(".json").exists()
    heat = json.loads((tmp_path / "heat.json").read_text())
    assert list(heat["series"]) == list("ifgoch")
    assert len(heat["series"]["f"]) == 4 * 12
    norms = {"rnn": np.array([1e-3, 0.1, 1.0]), "lstm": np.array([0.5, 0.8, 1.0])}
    time_plots.lag_norms(norms, tmp_path / "lags.png")
    lags = json.loads((tmp_path / "lags.json").read_text())["series"]
    assert lags["rnn"] == [1.0, 0.1, 0.001]              # by lag: 0 first
    with pytest.raises(ValueError, match="no gates"):
        time_plots.saturation(tl.viz.trace(make("rnn"), data()), tmp_path / "x.png")
