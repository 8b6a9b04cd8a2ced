"""float64 gradcheck of every cell, every LSTM variant, the layers and the losses, with
respect to the input, the initial state and every parameter, on every backend."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.nn.utils import functional_call

F = tl.nn.functional


def _leaves(module, arrays, backend):
    names = [n for n, _ in module.named_parameters()]
    tensors = [tl.tensor(a, backend=backend) for a in arrays] + [p for p in module.parameters()]
    return names, tensors


def _check_module(module, arrays, backend, call):
    """gradcheck `call(module, *inputs)` as a function of the inputs and every parameter."""
    names, tensors = _leaves(module, arrays, backend)
    k = len(arrays)

    def fn(*leaves):
        params = dict(zip(names, leaves[k:]))
        return functional_call(module, params, *call(*leaves[:k]))
    assert tl.gradcheck(lambda *leaves: _outputs(fn(*leaves)), tensors)


def _outputs(out):
    if isinstance(out, tuple):
        return [t for item in out for t in _outputs(item)]
    return [out]


CELLS = {
    "rnncell-tanh": lambda bk: tl.nn.RNNCell(2, 3, dtype="float64", backend=bk),
    "rnncell-relu": lambda bk: tl.nn.RNNCell(2, 3, nonlinearity="relu", dtype="float64", backend=bk),
    "lstmcell": lambda bk: tl.nn.LSTMCell(2, 3, dtype="float64", backend=bk),
    "lstmcell-forget-bias": lambda bk: tl.nn.LSTMCell(2, 3, forget_bias=1.0, dtype="float64", backend=bk),
    "lstmcell-no-bias": lambda bk: tl.nn.LSTMCell(2, 3, bias=False, dtype="float64", backend=bk),
    "grucell": lambda bk: tl.nn.GRUCell(2, 3, dtype="float64", backend=bk),
    "peephole": lambda bk: tl.nn.PeepholeLSTMCell(2, 3, dtype="float64", backend=bk),
    "original-1997": lambda bk: tl.nn.OriginalLSTMCell(2, 3, dtype="float64", backend=bk),
}
PAIRED = {"lstmcell", "lstmcell-forget-bias", "lstmcell-no-bias", "peephole", "original-1997"}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cell_gradcheck(name, backend):
    rng = np.random.default_rng(0)
    cell = CELLS[name](backend)
    count = 2 if name in PAIRED else 1
    arrays = [rng.standard_normal((2, 2))] + [rng.standard_normal((2, 3)) for _ in range(count)]
    if count == 2:
        _check_module(cell, arrays, backend, lambda x, h, c: (x, (h, c)))
    else:
        _check_module(cell, arrays, backend, lambda x, h: (x, h))


@pytest.mark.parametrize("name", sorted(PAIRED))
def test_cell_gradcheck_over_several_steps(name, backend):
    """Through time: unrolled over 3 steps from zero state, the gradients still agree."""
    rng = np.random.default_rng(1)
    _check_module(_Unrolled(CELLS[name](backend)), [rng.standard_normal((3, 2, 2))], backend,
                  lambda x: (x,))


class _Unrolled(tl.nn.Module):
    """A cell run over time: the outputs of every step and the final state."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x):
        return tl.nn.utils.unroll(self.cell, x)


LAYERS = {
    "rnn": lambda bk: tl.nn.RNN(2, 3, num_layers=2, dtype="float64", backend=bk),
    "lstm-fused": lambda bk: tl.nn.LSTM(2, 3, num_layers=2, fused=True, dtype="float64", backend=bk),
    "lstm-composed-bi": lambda bk: tl.nn.LSTM(2, 2, bidirectional=True, fused=False, dtype="float64",
                                              backend=bk),
    "lstm-forget-bias": lambda bk: tl.nn.LSTM(2, 3, forget_bias=1.0, dtype="float64", backend=bk),
    "gru-batch-first": lambda bk: tl.nn.GRU(2, 3, batch_first=True, dtype="float64", backend=bk),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradcheck(name, backend):
    rng = np.random.default_rng(2)
    layer = LAYERS[name](backend)
    shape = (layer.num_layers * layer.num_directions, 2, layer.hidden_size)
    x_shape = (2, 3, 2) if layer.batch_first else (3, 2, 2)   # seq_len 3, batch 2
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(shape)]
    if isinstance(layer, tl.nn.LSTM):
        arrays.append(rng.standard_normal(shape))
        _check_module(layer, arrays, backend, lambda x, h, c: (x, (h, c)))
    else:
        _check_module(layer, arrays, backend, lambda x, h: (x, h))


def test_linear_gradcheck(backend):
    layer = tl.nn.Linear(3, 2, dtype="float64", backend=backend)
    _check_module(layer, [np.random.default_rng(3).standard_normal((4, 3))], backend, lambda x: (x,))


def test_loss_gradchecks(backend):
    rng = np.random.default_rng(4)
    pred = tl.tensor(rng.standard_normal((4, 3)), backend=backend)
    target = tl.tensor(rng.standard_normal((4, 3)), backend=backend)
    assert tl.gradcheck(F.mse_loss, [pred, target])
    classes = np.array([0, 2, 1, 2])
    assert tl.gradcheck(lambda z: F.cross_entropy(z, classes), [pred])
    assert tl.gradcheck(lambda z: F.cross_entropy(z, classes, reduction="none"), [pred])
    labels = tl.tensor(rng.uniform(size=(4, 3)), backend=backend)
    assert tl.gradcheck(F.binary_cross_entropy_with_logits, [pred, labels])


def test_gradcheck_catches_a_wrong_cell():
    """The check can fail: a cell whose gradient is cut somewhere is rejected."""
    cell = tl.nn.LSTMCell(2, 3, dtype="float64")
    rng = np.random.default_rng(5)
    x, h, c = (tl.tensor(rng.standard_normal(s)) for s in ((2, 2), (2, 3), (2, 3)))

    def wrong(x, h, c):
        h2, c2 = cell(x, (h.detach() * 1.0 + 0.0 * h, c))  # h's influence hidden from backward
        return [h2, c2]
    with pytest.raises(tl.GradcheckError):
        tl.gradcheck(wrong, [x, h, c])
