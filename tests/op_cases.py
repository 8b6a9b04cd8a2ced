"""The op table: every registered op with shapes (broadcast variants included), a NumPy
reference forward, and the function of tensors that exercises it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import tinygrad_lstm as tl


@dataclass
class OpCase:
    op: str
    fn: Callable             # tensors -> tensor (or list of tensors)
    ref: Callable            # numpy arrays -> array (or list of arrays)
    shapes: list[tuple]
    positive: bool = False   # draw inputs from [0.5, 2] (log, fractional powers, division)
    name: str = ""
    ints: list = field(default_factory=list)  # unused placeholder for non-float inputs

    @property
    def id(self) -> str:
        return self.name or f"{self.op}-" + "-".join("x".join(map(str, s)) or "scalar" for s in self.shapes)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


CASES: list[OpCase] = [
    OpCase("add", lambda a, b: a + b, np.add, [(3, 4), (3, 4)]),
    OpCase("add", lambda a, b: a + b, np.add, [(2, 3, 4), (4,)]),
    OpCase("add", lambda a, b: a + b, np.add, [(3, 1), (1, 4)]),
    OpCase("add", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)], name="add-scalar-left"),
    OpCase("sub", lambda a, b: a - b, np.subtract, [(3, 4), (4,)]),
    OpCase("sub", lambda a: 1.0 - a, lambda a: 1.0 - a, [(2, 3)], name="sub-scalar-left"),
    OpCase("mul", lambda a, b: a * b, np.multiply, [(3, 4), (3, 4)]),
    OpCase("mul", lambda a, b: a * b, np.multiply, [(2, 1, 4), (3, 1)]),
    OpCase("mul", lambda a: a * 3.0, lambda a: a * 3.0, [(5,)], name="mul-scalar-right"),
    OpCase("div", lambda a, b: a / b, np.divide, [(3, 4), (4,)], positive=True),
    OpCase("div", lambda a: 2.0 / a, lambda a: 2.0 / a, [(3,)], positive=True, name="div-scalar-left"),
    OpCase("neg", lambda a: -a, np.negative, [(3, 4)]),
    OpCase("pow", lambda a: a ** 2, lambda a: a ** 2, [(3, 4)]),
    OpCase("pow", lambda a: a ** 3, lambda a: a ** 3, [(4,)], name="pow-3"),
    OpCase("pow", lambda a: a ** 0.5, np.sqrt, [(3, 4)], positive=True, name="pow-half"),
    OpCase("pow", lambda a: a ** -1.5, lambda a: a ** -1.5, [(2, 3)], positive=True, name="pow-neg"),
    OpCase("exp", tl.exp, np.exp, [(3, 4)]),
    OpCase("log", tl.log, np.log, [(3, 4)], positive=True),
    OpCase("sigmoid", tl.sigmoid, _sigmoid, [(3, 4)]),
    OpCase("tanh", tl.tanh, np.tanh, [(3, 4)]),
    OpCase("astype", lambda a: a.astype("float64"), lambda a: a.astype("float64"), [(3, 4)]),
    OpCase("relu", tl.relu, lambda a: np.maximum(a, 0), [(3, 4)]),
    OpCase("matmul", tl.matmul, np.matmul, [(3, 4), (4, 5)]),
    OpCase("matmul", tl.matmul, np.matmul, [(2, 3, 4), (4, 5)]),
    OpCase("matmul", tl.matmul, np.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    OpCase("matmul", tl.matmul, np.matmul, [(4,), (4, 3)]),
    OpCase("matmul", tl.matmul, np.matmul, [(3, 4), (4,)]),
    OpCase("matmul", tl.matmul, np.matmul, [(4,), (4,)]),
    OpCase("sum", lambda a: a.sum(), np.sum, [(3, 4)]),
    OpCase("sum", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), [(3, 4, 2)], name="sum-axis1"),
    OpCase("sum", lambda a: a.sum(axis=(0, 2), keepdims=True),
           lambda a: a.sum(axis=(0, 2), keepdims=True), [(3, 4, 2)], name="sum-keepdims"),
    OpCase("mean", lambda a: a.mean(), np.mean, [(3, 4)]),
    OpCase("mean", lambda a: a.mean(axis=-1, keepdims=True),
           lambda a: a.mean(axis=-1, keepdims=True), [(3, 4)], name="mean-axis-keepdims"),
    OpCase("max", lambda a: a.max(axis=1), lambda a: a.max(axis=1), [(3, 5)]),
    OpCase("max", lambda a: a.max(axis=-1, keepdims=True),
           lambda a: a.max(axis=-1, keepdims=True), [(2, 3, 4)], name="max-keepdims"),
    OpCase("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [(3, 4)]),
    OpCase("reshape", lambda a: a.reshape(-1), lambda a: a.reshape(-1), [(2, 3, 2)], name="reshape-flat"),
    OpCase("transpose", lambda a: a.T, lambda a: a.T, [(3, 4)]),
    OpCase("transpose", lambda a: a.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0),
           [(2, 3, 4)], name="transpose-perm"),
    OpCase("getitem", lambda a: a[1], lambda a: a[1], [(3, 4)]),
    OpCase("getitem", lambda a: a[:, 1:3], lambda a: a[:, 1:3], [(3, 4)], name="getitem-slice"),
    OpCase("getitem", lambda a: a[..., -1], lambda a: a[..., -1], [(2, 3, 4)], name="getitem-ellipsis"),
    OpCase("getitem", lambda a: a[None, ::2], lambda a: a[None, ::2], [(5, 2)], name="getitem-newaxis-step"),
    OpCase("getitem", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [(3, 4)], name="getitem-repeat-rows"),
    OpCase("getitem", lambda a: a[:, [3, 3, 1]], lambda a: a[:, [3, 3, 1]], [(2, 4)], name="getitem-repeat-cols"),
    OpCase("getitem", lambda a: a[np.array([0, 1, 1]), np.array([2, 0, 0])],
           lambda a: a[np.array([0, 1, 1]), np.array([2, 0, 0])], [(2, 3)], name="getitem-pairs"),
    OpCase("concat", lambda a, b: tl.concat([a, b], axis=1),
           lambda a, b: np.concatenate([a, b], axis=1), [(3, 2), (3, 4)]),
    OpCase("concat", lambda a, b, c: tl.concat([a, b, c]),
           lambda a, b, c: np.concatenate([a, b, c]), [(1, 3), (2, 3), (1, 3)], name="concat-three"),
    OpCase("stack", lambda a, b: tl.stack([a, b]), lambda a, b: np.stack([a, b]), [(3, 2), (3, 2)]),
    OpCase("stack", lambda a, b: tl.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1),
           [(3, 2), (3, 2)], name="stack-last"),
    OpCase("split", lambda a: tl.split(a, 2, axis=1), lambda a: np.split(a, 2, axis=1), [(3, 4)]),
    OpCase("split", lambda a: tl.split(a, [1, 3]), lambda a: np.split(a, [1, 3]), [(5, 2)], name="split-cuts"),
    OpCase("split", lambda a: tl.split(a, 4)[1:3], lambda a: np.split(a, 4)[1:3], [(8,)], name="split-unused"),
]
