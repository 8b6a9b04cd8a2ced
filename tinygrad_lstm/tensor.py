"""Tensor: an array, the backend it lives on, its gradient, and its place in the graph.

Contract.
- `tl.tensor(data, requires_grad=False, dtype=None, backend=None)` (in creation.py)
  copies `data`. NumPy input keeps its dtype; Python floats become float32 and Python ints
  int64. Only floating tensors can require a gradient.
- Every operator and function goes through `apply(op_name, tensors, params)`: it checks
  that the inputs share one backend and one dtype, runs the op's forward on the raw
  arrays, and, when grad mode is on and an input requires grad, records the op on the tape.
- Python scalars on either side of an operator become constants of the tensor's dtype.
- In-place methods (`add_`, `sub_`, `mul_`, `copy_`, `zero_`) run without recording and
  bump the tensor's version, so a backward that needs the old values fails loudly.
"""
from __future__ import annotations

import numbers
import weakref
from types import MappingProxyType
from typing import Any, Sequence

import numpy as np

from . import tape
from .backends import Backend, get_backend
from .checks import check_inputs, describe_dtype
from .ops import OPS


# apply runs once per op: the names it needs are bound here rather than looked up each time.
_NO_PARAMS = MappingProxyType({})  # shared by every op without parameters (read-only)
_grad_enabled, _anomaly = tape._grad_enabled, tape._anomaly
_new_tensor = object.__new__
_Node = tape.Node


def apply(name: str, tensors: Sequence["Tensor"], params: dict | None = None):
    """Run the registered op `name` on tensors and record it when gradients are needed."""
    opdef = OPS[name]
    params = params or _NO_PARAMS
    bk = check_inputs(name, tensors, opdef.float_only)
    out, vjp = opdef.fn(bk, *[t.data for t in tensors], **params)
    needs = False
    if _grad_enabled.get():
        for t in tensors:
            if t._requires_grad:
                needs = True
                break
    if opdef.multi_output:
        results = tuple([_wrap(o, bk, needs) for o in out])
    else:
        results = (_wrap(out, bk, needs),)
    if needs:
        rec = tape.record(name, tuple([t._node or t._ensure_node() for t in tensors]),
                          tuple([r._node for r in results]), vjp, params, opdef.multi_output)
        if _anomaly.get():
            for r in results:
                tape._check_finite(bk, r.data, rec, "the output")
    return results if opdef.multi_output else results[0]


def _wrap(data: Any, bk: Backend, needs_grad: bool) -> "Tensor":
    """A new non-leaf tensor around an op's output."""
    if not bk.is_array(data):
        data = bk.xp.asarray(data)  # NumPy reductions to 0-d give scalars, not arrays
    t = _new_tensor(Tensor)
    t.data, t.backend, t.grad, t._requires_grad, t._aliases = data, bk, None, needs_grad, None
    t._node = _Node(data.shape, data.dtype, True) if needs_grad else None
    return t


class Tensor:
    """A backend array with autodiff bookkeeping. Create with `tl.tensor(...)`."""

    __slots__ = ("data", "backend", "grad", "_node", "_requires_grad", "_aliases", "__weakref__")
    __array_priority__ = 100  # numpy scalars on the left defer to our operators

    def __init__(self, data: Any, backend: Backend, requires_grad: bool = False) -> None:
        self.data = data
        self.backend = backend
        self.grad: Tensor | None = None
        self._aliases: list | None = None   # weak refs to the nodes of tensors sharing `data`
        self._node: tape.Node | None = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    def _ensure_node(self) -> tape.Node:
        if self._node is None:
            self._node = tape.Node(self.data.shape, self.data.dtype, self._requires_grad)
        return self._node

    # ---- autodiff state -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not self.backend.is_floating(self.data.dtype):
            raise TypeError(f"requires_grad: only floating-point tensors can require "
                            f"gradients, this one is {describe_dtype(self)}; create it with "
                            f"dtype='float32' or 'float64'")
        if self._node is not None and self._node.record is not None:
            raise RuntimeError("requires_grad: can only be changed on leaf tensors; "
                               "use .detach() to get a leaf")
        self._requires_grad = bool(value)
        node = self._ensure_node()
        node.requires_grad = bool(value)
        node.leaf = weakref.ref(self) if value else None

    @property
    def is_leaf(self) -> bool:
        return self._node is None or self._node.record is None

    @property
    def name(self) -> str | None:
        """Label of a leaf (parameters get their module names), used by the tape and renderer."""
        return self._node.name if self._node is not None else None

    @name.setter
    def name(self, value: str | None) -> None:
        self._ensure_node().name = value

    def _accumulate_grad(self, g: Any) -> None:
        if self.grad is None:
            self.grad = Tensor(g, self.backend)
        else:
            self.grad = Tensor(self.grad.data + g, self.backend)

    def backward(self, grad: "Tensor | Any | None" = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (self must be a scalar, or pass grad)."""
        g = self._seed_cotangent(grad, "backward")
        tape.backward([(self._node, g)], self.backend, retain_graph=retain_graph)

    def _seed_cotangent(self, grad: Any, who: str) -> Any:
        """The cotangent a backward pass starts from: 1 for a scalar, else `grad` checked."""
        if not self.requires_grad:
            raise RuntimeError(f"{who}: the output does not require grad (none of its inputs "
                               f"requires grad, or it was computed under tl.no_grad()); create "
                               f"inputs with requires_grad=True")
        bk = self.backend
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"{who}: the output has shape {self.shape}; backward without "
                                   f"a gradient needs a scalar. Reduce it first (e.g. out.sum() "
                                   f"or out.mean()) or pass grad= with shape {self.shape}")
            return bk.xp.ones_like(self.data)
        g = grad.data if isinstance(grad, Tensor) else bk.asarray(grad, dtype=self.data.dtype)
        if tuple(g.shape) != self.shape:
            raise ValueError(f"{who}: grad has shape {tuple(g.shape)} but the output has shape "
                             f"{self.shape}; they must match")
        return g

    def detach(self) -> "Tensor":
        """The same array as a new leaf that requires no grad (the graph is cut here).

        The two share a version counter, as they share the array: an in-place change
        through either one is caught by a backward that saved the other."""
        d = Tensor(self.data, self.backend)
        group = [ref for ref in (self._aliases or [weakref.ref(self._ensure_node())])
                 if ref() is not None]
        group.append(weakref.ref(d._ensure_node()))
        self._aliases = d._aliases = group
        return d

    # ---- array facts and conversion ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the data (from any backend)."""
        return self.backend.to_numpy(self.data)

    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"item: only one-element tensors convert to a Python number, "
                             f"this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def to(self, backend: str | Backend) -> "Tensor":
        """A copy on another backend ('numpy' or 'cupy'), a leaf with the same requires_grad."""
        target = get_backend(backend)
        if target is self.backend:
            return self
        if self.requires_grad and not self.is_leaf:
            raise RuntimeError("to(): only leaf tensors move between backends; move the "
                               "inputs and the model before computing with them")
        return Tensor(target.asarray(self.numpy()), target, self.requires_grad)

    def astype(self, dtype: Any) -> "Tensor":
        """A leaf copy with another dtype (not recorded)."""
        return Tensor(self.backend.xp.astype(self.data, self.backend.dtype(dtype)), self.backend,
                      self.requires_grad and self.backend.is_floating(self.backend.dtype(dtype)))

    def float(self) -> "Tensor":
        return self.astype("float32")

    def double(self) -> "Tensor":
        return self.astype("float64")

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.numpy(), precision=4, separator=", ", threshold=20)
        return f"tensor({body}, dtype={describe_dtype(self)}, backend={self.backend.name}{flag})"

    # ---- in-place updates (not recorded; they bump the version) ----------------------
    def _bump(self) -> "Tensor":
        if self._aliases is not None:       # every tensor sharing this array sees the change
            for ref in self._aliases:
                node = ref()
                if node is not None:
                    node.version += 1
        elif self._node is not None:
            self._node.version += 1
        return self

    def _other(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            return value.data
        if hasattr(value, "shape") and not self.backend.is_array(value):
            return self.backend.asarray(value, dtype=self.data.dtype)  # e.g. NumPy into CuPy
        return value

    def add_(self, value: Any) -> "Tensor":
        self.data += self._other(value)
        return self._bump()

    def sub_(self, value: Any) -> "Tensor":
        self.data -= self._other(value)
        return self._bump()

    def mul_(self, value: Any) -> "Tensor":
        self.data *= self._other(value)
        return self._bump()

    def copy_(self, value: Any) -> "Tensor":
        src = self._other(value)
        if tuple(getattr(src, "shape", ())) not in (self.shape, ()):
            raise ValueError(f"copy_: source of shape {tuple(src.shape)} does not match the "
                             f"destination's shape {self.shape}")
        self.data[...] = src
        return self._bump()

    def zero_(self) -> "Tensor":
        self.data[...] = 0
        return self._bump()

    # ---- operators ------------------------------------------------------------------
    def _lift(self, other: Any) -> "Tensor":
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) or (isinstance(other, np.generic) and other.ndim == 0):
            return Tensor(self.backend.asarray(other, dtype=self.data.dtype), self.backend)
        raise TypeError(f"cannot combine a Tensor with {type(other).__name__}; wrap arrays "
                        f"with tl.tensor(...) first")

    def __add__(self, o): return apply("add", (self, self._lift(o)))
    def __radd__(self, o): return apply("add", (self._lift(o), self))
    def __sub__(self, o): return apply("sub", (self, self._lift(o)))
    def __rsub__(self, o): return apply("sub", (self._lift(o), self))
    def __mul__(self, o): return apply("mul", (self, self._lift(o)))
    def __rmul__(self, o): return apply("mul", (self._lift(o), self))
    def __truediv__(self, o): return apply("div", (self, self._lift(o)))
    def __rtruediv__(self, o): return apply("div", (self._lift(o), self))
    def __matmul__(self, o): return apply("matmul", (self, o))
    def __rmatmul__(self, o): return apply("matmul", (self._lift(o), self))
    def __neg__(self): return apply("neg", (self,))

    def __pow__(self, exponent: Any) -> "Tensor":
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"pow: the exponent must be a Python number, got "
                            f"{type(exponent).__name__}; use tl.exp(y * tl.log(x)) for x ** y")
        return apply("pow", (self,), {"exponent": float(exponent)})

    def __getitem__(self, index: Any) -> "Tensor":
        return apply("getitem", (self,), {"index": _convert_index(self, index)})

    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        return apply("sum", (self,), {"axis": axis, "keepdims": keepdims})

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        return apply("mean", (self,), {"axis": axis, "keepdims": keepdims})

    def max(self, axis=None, keepdims: bool = False) -> "Tensor":
        return apply("max", (self,), {"axis": axis, "keepdims": keepdims})

    def reshape(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply("reshape", (self,), {"shape": tuple(int(s) for s in shape)})

    def transpose(self, *axes) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply("transpose", (self,), {"axes": tuple(axes) if axes else None})

    @property
    def T(self) -> "Tensor":
        return apply("transpose", (self,), {"axes": None})

    def sigmoid(self) -> "Tensor":
        return apply("sigmoid", (self,))

    def tanh(self) -> "Tensor":
        return apply("tanh", (self,))

    def exp(self) -> "Tensor":
        return apply("exp", (self,))

    def log(self) -> "Tensor":
        return apply("log", (self,))

    def relu(self) -> "Tensor":
        return apply("relu", (self,))


def _convert_index(t: Tensor, index: Any) -> Any:
    """Integer lists/arrays/tensors in an index become backend integer arrays; bools are refused."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.numpy()
        if isinstance(item, (list, np.ndarray)):
            arr = np.asarray(item)
            if arr.dtype.kind not in "iu":
                raise IndexError(f"getitem: index arrays must hold integers, got {arr.dtype}")
            out.append(t.backend.asarray(arr, dtype="int64"))
        elif isinstance(item, (bool, np.bool_)):
            raise IndexError("getitem: boolean indices are not supported; use integer indices")
        elif isinstance(item, numbers.Integral):
            out.append(int(item))
        else:
            out.append(item)
    return tuple(out) if isinstance(index, tuple) else out[0]
