"""Clear errors: each names the module, what was expected, what arrived, and the fix."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

F = tl.nn.functional


def _x(*shape, dtype="float32"):
    return tl.tensor(np.zeros(shape), dtype=dtype)


@pytest.mark.parametrize("cls", [tl.nn.RNN, tl.nn.LSTM, tl.nn.GRU])
def test_layer_input_rank_and_features(cls):
    m = cls(4, 3)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: input must be 3-D \(seq_len, batch, "
                                         r"input_size\) or 2-D .* got 4-D with shape \(2, 2, 2, 4\)"):
        m(_x(2, 2, 2, 4))
    with pytest.raises(ValueError, match=r"input has 5 features .* input_size=4; build it with "
                                         r"input_size=5"):
        m(_x(3, 2, 5))
    with pytest.raises(ValueError, match=r"\(batch, seq_len, input_size\)"):
        cls(4, 3, batch_first=True)(_x(4))
    with pytest.raises(ValueError, match="sequence is empty"):
        m(_x(0, 2, 4))
    with pytest.raises(TypeError, match="must be a Tensor"):
        m(np.zeros((3, 2, 4)))


def test_initial_state_shapes_are_exact():
    m = tl.nn.LSTM(4, 3, num_layers=2)
    x = _x(5, 6, 4)
    ok = _x(2, 6, 3)
    with pytest.raises(ValueError, match=r"LSTM: h0 has shape \(2, 1, 3\) but \(2, 6, 3\) = "
                                         r"\(num_layers \* num_directions, batch, hidden_size\).*"
                                         r"not broadcast"):
        m(x, (_x(2, 1, 3), ok))
    with pytest.raises(ValueError, match=r"LSTM: c0 has shape \(1, 6, 3\)"):
        m(x, (ok, _x(1, 6, 3)))
    with pytest.raises(TypeError, match=r"LSTM: state must be a tuple \(h0, c0\)"):
        m(x, ok)
    with pytest.raises(ValueError, match=r"GRU: h0 has shape \(2, 3\) but \(2, 6, 3\)"):
        tl.nn.GRU(4, 3, num_layers=2)(x, _x(2, 3))
    unbatched = tl.nn.RNN(4, 3, bidirectional=True)
    with pytest.raises(ValueError, match=r"RNN: h0 has shape \(2, 1, 3\) but \(2, 3\) = .*unbatched"):
        unbatched(_x(5, 4), _x(2, 1, 3))


@pytest.mark.parametrize("cls", [tl.nn.RNNCell, tl.nn.LSTMCell, tl.nn.GRUCell])
def test_cell_errors(cls):
    cell = cls(4, 3)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: input must be 2-D \(batch, input_size\)"):
        cell(_x(2, 2, 4))
    with pytest.raises(ValueError, match="input has 2 features"):
        cell(_x(5, 2))
    state = _x(1, 3)
    with pytest.raises(ValueError, match=r"h has shape \(1, 3\) but \(5, 3\).*not broadcast"):
        cell(_x(5, 4), (state, _x(5, 3)) if cls is tl.nn.LSTMCell else state)


def test_dtype_and_backend_mismatch_name_both():
    m = tl.nn.LSTM(4, 3)   # float32
    with pytest.raises(TypeError, match=r"LSTM: input has dtype float64 but the parameters are "
                                        r"float32.*dtype='float64'"):
        m(_x(2, 1, 4, dtype="float64"))
    with pytest.raises(TypeError, match="Linear: input has dtype float64"):
        tl.nn.Linear(4, 2)(_x(3, 4, dtype="float64"))


def test_constructor_arguments():
    with pytest.raises(ValueError, match="dropout must be in"):
        tl.nn.LSTM(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        tl.nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="must be positive"):
        tl.nn.GRU(0, 3)
    with pytest.raises(ValueError, match="forget_bias needs bias=True"):
        tl.nn.LSTM(2, 3, bias=False, forget_bias=1.0)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        tl.nn.LSTM(2, 3, generator=0)


def test_module_needs_super_init():
    class Broken(tl.nn.Module):
        def __init__(self):
            self.w = tl.nn.Parameter(np.zeros(3))
    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_optimizer_errors():
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        tl.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        tl.optim.Adam(iter(()), lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 must be a leaf Tensor with requires_grad"):
        tl.optim.SGD([tl.tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="nesterov needs momentum"):
        tl.optim.SGD(tl.nn.Linear(2, 2).parameters(), lr=0.1, nesterov=True)


def test_loss_errors():
    pred = _x(4, 1)
    with pytest.raises(ValueError, match=r"mse_loss: prediction has shape \(4, 1\) but target has "
                                         r"shape \(4,\); they must match"):
        F.mse_loss(pred, _x(4))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: prediction has shape"):
        F.binary_cross_entropy_with_logits(pred, _x(1, 4))
    with pytest.raises(ValueError, match=r"cross_entropy: logits of shape \(4, 3\) need targets of "
                                         r"shape \(4,\), got \(4, 1\)"):
        F.cross_entropy(_x(4, 3), np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\)"):
        F.cross_entropy(_x(2, 3), np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(_x(2, 3), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.mse_loss(pred, pred, reduction="avg")
