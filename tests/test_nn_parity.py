"""PyTorch parity in float64: outputs, final states and every gradient (input, initial
states, all parameters) of RNN/LSTM/GRU layers and cells, with PyTorch's weights loaded
through load_state_dict as NumPy arrays."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

torch = pytest.importorskip("torch")

TOL = 1e-10

# (name, our class, torch class, extra kwargs for both, extra kwargs for ours only)
LAYERS = [
    ("rnn-tanh", tl.nn.RNN, "RNN", {"nonlinearity": "tanh"}, {}),
    ("rnn-relu", tl.nn.RNN, "RNN", {"nonlinearity": "relu"}, {}),
    ("lstm-fused", tl.nn.LSTM, "LSTM", {}, {"fused": True}),
    ("lstm-composed", tl.nn.LSTM, "LSTM", {}, {"fused": False}),
    ("gru", tl.nn.GRU, "GRU", {}, {}),
]

# (seq_len, batch, num_layers, batch_first, bidirectional); batch None = unbatched 2-D input
SHAPES = [
    (1, 1, 1, False, False),
    (4, 3, 1, False, False),
    (7, 2, 2, True, False),
    (5, 4, 3, False, True),
    (3, 5, 2, True, True),
    (6, None, 2, False, True),
]


def _torch_state(module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def _projections(rng, shapes):
    return [rng.standard_normal(s) for s in shapes]


def _run_pair(ours, theirs, x, states, rng):
    """Forward both, backprop the same random projection of every output, return
    (our tensors, torch tensors) for outputs, states, and the leaves' gradients."""
    xs = tl.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ss = [tl.tensor(s, requires_grad=True) for s in states]
    st = [torch.tensor(s, requires_grad=True) for s in states]
    lstm = isinstance(ours, (tl.nn.LSTM, tl.nn.LSTMCell))
    wrap = (lambda s: tuple(s)) if lstm else (lambda s: s[0])
    out_s = ours(xs, wrap(ss) if ss else None)
    out_t = theirs(xt, wrap(st) if st else None)
    flat_s, flat_t = _flatten(out_s), _flatten(out_t)
    weights = _projections(rng, [tuple(o.shape) for o in flat_t])
    loss_s = sum(((o * tl.tensor(w)).sum() for o, w in zip(flat_s, weights)), tl.tensor(0.0, dtype="float64"))
    loss_t = sum((o * torch.tensor(w)).sum() for o, w in zip(flat_t, weights))
    loss_s.backward()
    loss_t.backward()
    return flat_s, flat_t, [xs] + ss, [xt] + st


def _flatten(out):
    if isinstance(out, tuple):
        return [t for item in out for t in _flatten(item)]
    return [out]


def _max_error(ours, theirs, leaves_s, leaves_t):
    errors = []
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        errors.append(np.abs(o.numpy() - t.detach().numpy()).max())
    for a, b in zip(leaves_s, leaves_t):
        errors.append(np.abs(a.grad.numpy() - b.grad.numpy()).max())
    return max(errors)


def _compare_params(ours, theirs):
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(mine[name].grad.numpy(), p.grad.numpy(), atol=TOL, rtol=0,
                                   err_msg=f"gradient of {name}")
    assert set(mine) == {n for n, _ in theirs.named_parameters()}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "L{}-N{}-layers{}-bf{}-bi{}".format(*s))
@pytest.mark.parametrize("layer", LAYERS, ids=lambda c: c[0])
def test_layer_matches_torch(layer, shape):
    name, ours_cls, torch_name, both, mine = layer
    seq_len, batch, num_layers, batch_first, bidirectional = shape
    input_size, hidden = 3, 5
    torch.manual_seed(len(name) + seq_len)
    kwargs = dict(num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional, **both)
    theirs = getattr(torch.nn, torch_name)(input_size, hidden, **kwargs).double()
    ours = ours_cls(input_size, hidden, dtype="float64", **kwargs, **mine)
    ours.load_state_dict(_torch_state(theirs))
    rng = np.random.default_rng(seq_len * 10 + num_layers)
    if batch is None:
        x_shape, s_shape = (seq_len, input_size), (num_layers * (1 + bidirectional), hidden)
    else:
        x_shape = (batch, seq_len, input_size) if batch_first else (seq_len, batch, input_size)
        s_shape = (num_layers * (1 + bidirectional), batch, hidden)
    count = 2 if torch_name == "LSTM" else 1
    states = [rng.standard_normal(s_shape) for _ in range(count)]
    flat_s, flat_t, leaves_s, leaves_t = _run_pair(ours, theirs, rng.standard_normal(x_shape), states, rng)
    assert _max_error(flat_s, flat_t, leaves_s, leaves_t) < TOL
    _compare_params(ours, theirs)


@pytest.mark.parametrize("layer", LAYERS, ids=lambda c: c[0])
def test_layer_default_zero_state_and_no_bias_match_torch(layer):
    name, ours_cls, torch_name, both, mine = layer
    torch.manual_seed(3)
    theirs = getattr(torch.nn, torch_name)(4, 6, num_layers=2, bias=False, **both).double()
    ours = ours_cls(4, 6, num_layers=2, bias=False, dtype="float64", **both, **mine)
    ours.load_state_dict(_torch_state(theirs))
    assert not any("bias" in k for k, _ in ours.named_parameters())
    x = np.random.default_rng(0).standard_normal((5, 2, 4))
    flat_s, flat_t, leaves_s, leaves_t = _run_pair(ours, theirs, x, [], np.random.default_rng(1))
    assert _max_error(flat_s, flat_t, leaves_s, leaves_t) < TOL
    _compare_params(ours, theirs)


CELLS = [
    ("rnncell-tanh", tl.nn.RNNCell, "RNNCell", {"nonlinearity": "tanh"}, 1),
    ("rnncell-relu", tl.nn.RNNCell, "RNNCell", {"nonlinearity": "relu"}, 1),
    ("lstmcell", tl.nn.LSTMCell, "LSTMCell", {}, 2),
    ("grucell", tl.nn.GRUCell, "GRUCell", {}, 1),
]


@pytest.mark.parametrize("batch", [1, 4, None], ids=["N1", "N4", "unbatched"])
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c[0])
def test_cell_matches_torch(cell, batch):
    name, ours_cls, torch_name, kwargs, count = cell
    torch.manual_seed(7)
    theirs = getattr(torch.nn, torch_name)(3, 4, **kwargs).double()
    ours = ours_cls(3, 4, dtype="float64", **kwargs)
    ours.load_state_dict(_torch_state(theirs))
    rng = np.random.default_rng(11)
    x_shape, s_shape = ((batch, 3), (batch, 4)) if batch else ((3,), (4,))
    states = [rng.standard_normal(s_shape) for _ in range(count)]
    flat_s, flat_t, leaves_s, leaves_t = _run_pair(ours, theirs, rng.standard_normal(x_shape), states, rng)
    assert _max_error(flat_s, flat_t, leaves_s, leaves_t) < TOL
    _compare_params(ours, theirs)


def test_cell_run_over_time_matches_the_layer():
    """LSTMCell unrolled by hand gives the one-layer LSTM's outputs and gradients."""
    layer = tl.nn.LSTM(3, 4, dtype="float64", fused=False)
    cell = tl.nn.LSTMCell(3, 4, dtype="float64")
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = tl.tensor(np.random.default_rng(0).standard_normal((6, 2, 3)))
    out_layer, (h, c) = layer(x)
    out_cell, (h2, c2) = tl.nn.utils.unroll(cell, x)
    np.testing.assert_allclose(out_cell.numpy(), out_layer.numpy(), atol=1e-14)
    np.testing.assert_allclose(c2.numpy(), c.numpy()[0], atol=1e-14)
    out_layer.sum().backward()
    out_cell.sum().backward()
    np.testing.assert_allclose(cell.weight_hh.grad.numpy(), layer.weight_hh_l0.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_fused_and_composed_paths_agree(bidirectional):
    rng = np.random.default_rng(5)
    fused = tl.nn.LSTM(3, 4, num_layers=2, bidirectional=bidirectional, dtype="float64", fused=True)
    composed = tl.nn.LSTM(3, 4, num_layers=2, bidirectional=bidirectional, dtype="float64", fused=False)
    composed.load_state_dict(fused.state_dict())
    x = rng.standard_normal((5, 2, 3))
    outs = []
    for m in (fused, composed):
        xt = tl.tensor(x, requires_grad=True)
        out, (h, c) = m(xt)
        (out.sum() + (h * c).sum()).backward()
        outs.append((out.numpy(), xt.grad.numpy(), [p.grad.numpy() for p in m.parameters()]))
    np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1e-13)
    np.testing.assert_allclose(outs[0][1], outs[1][1], atol=1e-12)
    for a, b in zip(outs[0][2], outs[1][2]):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_dropout_between_layers_is_active_in_train_and_off_in_eval():
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 8, num_layers=2, dropout=0.5).double().eval()
    ours = tl.nn.LSTM(3, 8, num_layers=2, dropout=0.5, dtype="float64",
                      generator=np.random.default_rng(0))
    ours.load_state_dict(_torch_state(theirs))
    x = np.random.default_rng(1).standard_normal((4, 2, 3))
    ours.eval()
    out_eval, _ = ours(tl.tensor(x))
    np.testing.assert_allclose(out_eval.numpy(), theirs(torch.tensor(x))[0].detach().numpy(), atol=TOL)
    ours.train()
    train_a, _ = ours(tl.tensor(x))
    train_b, _ = ours(tl.tensor(x))
    assert np.abs(train_a.numpy() - out_eval.numpy()).max() > 1e-3
    assert np.abs(train_a.numpy() - train_b.numpy()).max() > 1e-3   # a fresh mask each call
    single = tl.nn.LSTM(3, 8, num_layers=1, dropout=0.5, dtype="float64")
    single.load_state_dict({k: v for k, v in ours.state_dict().items() if k.endswith("l0")})
    np.testing.assert_allclose(single(tl.tensor(x))[0].numpy(), single.eval()(tl.tensor(x))[0].numpy())
