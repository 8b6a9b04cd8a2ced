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
