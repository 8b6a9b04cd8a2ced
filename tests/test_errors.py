"""Bad input gets an error that teaches: the type, the op, the sizes, the fix.
One test per case; each asserts the exception type and the key words of its message."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl


def t(*shape, dtype="float64", grad=False):
    return tl.tensor(np.ones(shape, dtype=dtype), requires_grad=grad)


def test_matmul_inner_sizes():
    with pytest.raises(ValueError, match=r"matmul: inner sizes differ: \(2, 3\) @ \(4, 5\).*transpose"):
        t(2, 3) @ t(4, 5)


def test_concat_mismatched_shapes():
    with pytest.raises(ValueError, match=r"concat: tensor 1 has shape \(3, 4\) but tensor 0 has \(2, 4\).*axis 1"):
        tl.concat([t(2, 4), t(3, 4)], axis=1)


def test_concat_empty_list():
    with pytest.raises(ValueError, match="concat: needs at least one tensor"):
        tl.concat([])


def test_elementwise_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(4,\) do not broadcast"):
        t(2, 3) * t(4)


def test_getitem_out_of_range():
    with pytest.raises(IndexError, match=r"index 7 is out of range for axis 1 of size 3"):
        t(2, 3)[:, 7]


def test_getitem_array_out_of_range():
    with pytest.raises(IndexError, match=r"index 5 is out of range for axis 0 of size 2"):
        t(2, 3)[[0, 5]]


def test_split_that_does_not_divide():
    with pytest.raises(ValueError, match=r"split: 4 sections do not divide axis 1 of size 6"):
        tl.split(t(2, 6), 4, axis=1)


def test_integer_data_where_floats_are_needed():
    with pytest.raises(TypeError, match="tanh: needs floating-point input, got int64.*float"):
        tl.tanh(tl.tensor([1, 2]))


def test_object_data():
    with pytest.raises(TypeError, match="cannot make a tensor from"):
        tl.tensor([{"a": 1}])


def test_requires_grad_on_integer_tensor():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients.*int64"):
        tl.tensor(np.arange(3), requires_grad=True)


def test_backward_of_non_scalar_without_gradient():
    with pytest.raises(RuntimeError, match=r"output has shape \(2, 2\).*scalar.*sum\(\)"):
        (t(2, 2, grad=True) * 2.0).backward()


def test_second_backward_through_freed_graph():
    y = tl.tanh(t(2, grad=True)).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*'sum'.*retain_graph=True"):
        y.backward()


def test_grad_of_an_input_the_output_does_not_use():
    x, other = t(2, grad=True), t(3, grad=True)
    with pytest.raises(RuntimeError, match=r"does not depend on input 1 \(shape \(3,\)\).*allow_unused=True"):
        tl.grad((x * x).sum(), [x, other])


def test_mixing_dtypes():
    with pytest.raises(TypeError, match="add: inputs have different dtypes, float64 and float32"):
        t(2) + t(2, dtype="float32")


def test_mixing_backends():
    pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match="different backends, 'numpy' and 'strict'.*to\\('numpy'\\)"):
        t(2) + t(2).to("strict")


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'tpu'; known backends: .*numpy"):
        tl.tensor([1.0], backend="tpu")


def test_reshape_to_the_wrong_size():
    with pytest.raises(ValueError, match=r"cannot reshape an array of shape \(2, 3\) \(6 entries\) into \(4, 2\)"):
        t(2, 3).reshape(4, 2)


def test_pow_with_a_tensor_exponent():
    with pytest.raises(TypeError, match="exponent must be a Python number"):
        t(2) ** t(2)


def test_operator_with_a_raw_array():
    with pytest.raises(TypeError, match=r"wrap arrays with tl.tensor"):
        t(2) + np.ones(2)


# ---- nn: recurrent inputs and states, state dicts, optimizers, losses -----------------
def f32(*shape):
    return tl.tensor(np.ones(shape, dtype="float32"))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_input_of_wrong_rank(cls):
    layer = getattr(tl.nn, cls)(3, 4)
    with pytest.raises(ValueError, match=rf"{cls}: input must be 3-D .* got 4-D with shape \(2, 3, 4, 5\)"):
        layer(f32(2, 3, 4, 5))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_input_of_wrong_feature_size(cls):
    layer = getattr(tl.nn, cls)(3, 4)
    with pytest.raises(ValueError, match=rf"{cls}: input has 7 features .* input_size=3"):
        layer(f32(5, 2, 7))


def test_initial_state_of_wrong_shape():
    with pytest.raises(ValueError, match=r"LSTM: h0 has shape \(1, 2, 5\) but \(1, 2, 4\)"):
        tl.nn.LSTM(3, 4)(f32(5, 2, 3), (f32(1, 2, 5), f32(1, 2, 4)))


def test_initial_state_batch_of_one_is_not_broadcast():
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 1, 4\) but \(1, 2, 4\).*not broadcast"):
        tl.nn.LSTM(3, 4)(f32(5, 2, 3), (f32(1, 1, 4), f32(1, 2, 4)))


def test_cell_state_batch_of_one_is_not_broadcast():
    with pytest.raises(ValueError, match=r"LSTMCell: h has shape \(1, 4\) but \(2, 4\).*not broadcast"):
        tl.nn.LSTMCell(3, 4)(f32(2, 3), (f32(1, 4), f32(2, 4)))


def test_load_state_dict_missing_key():
    lstm = tl.nn.LSTM(3, 4)
    state = lstm.state_dict()
    del state["bias_hh_l0"]
    with pytest.raises(KeyError, match=r"missing key\(s\) \['bias_hh_l0'\]"):
        lstm.load_state_dict(state)


def test_load_state_dict_unexpected_key():
    lstm = tl.nn.LSTM(3, 4)
    state = dict(lstm.state_dict(), extra=np.zeros(1))
    with pytest.raises(KeyError, match=r"unexpected key\(s\) \['extra'\]"):
        lstm.load_state_dict(state)


def test_load_state_dict_wrong_shape_names_the_key():
    lstm = tl.nn.LSTM(3, 4)
    state = dict(lstm.state_dict(), weight_hh_l0=np.zeros((3, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"'weight_hh_l0' has shape \(3, 3\) but the parameter has shape \(16, 4\)"):
        lstm.load_state_dict(state)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_optimizer_without_parameters(name):
    with pytest.raises(ValueError, match=f"{name}: got an empty parameter list"):
        getattr(tl.optim, name)([], lr=0.1)


def test_loss_with_mismatched_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: prediction has shape \(3, 1\) but target has shape \(3,\)"):
        tl.nn.functional.mse_loss(t(3, 1), t(3))


def test_cross_entropy_with_mismatched_targets():
    with pytest.raises(ValueError, match=r"cross_entropy: logits of shape \(3, 4\) need targets of shape \(3,\), got \(2,\)"):
        tl.nn.functional.cross_entropy(t(3, 4), tl.tensor(np.array([0, 1])))


def test_cupy_backend_without_cupy_or_without_a_device(monkeypatch):
    """Either way the message says what is missing; nothing fails later inside CuPy."""
    import sys
    import types
    from tinygrad_lstm.backends.cupy_backend import CupyBackend
    monkeypatch.setitem(sys.modules, "cupy", None)          # not installed
    with pytest.raises(ImportError, match=r"needs CuPy: pip install 'tinygrad-lstm\[cuda12\]'"):
        CupyBackend()
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: False))
    monkeypatch.setitem(sys.modules, "cupy", fake)          # installed, no GPU
    with pytest.raises(RuntimeError, match="needs a CUDA device.*backend='numpy'"):
        CupyBackend()
