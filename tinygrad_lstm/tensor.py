"""Tensor: an array, the backend it lives on, its gradient, and its place in the graph.

Contract.
- Every operator and function goes through `apply(op_name, tensors, params)`: it checks
  the inputs (Tensors, one backend, one dtype), runs the op's forward on the raw arrays,
  and, when grad mode is on and an input requires grad, records the op on the tape.
- Python numbers on either side of an operator become constants of the tensor's dtype;
  anything else must be wrapped with tl.tensor first.
- In-place methods (`add_`, `sub_`, `mul_`, `copy_`, `zero_`) are not recorded. They bump
  a version counter shared by every tensor viewing the same array, so a backward that
  saved the old values fails loudly; on a tensor computed from others that require grad
  (not a leaf), or with a value that requires grad, they are refused while recording, as
  the change would not reach the graph.
- Comparisons (==, !=) are elementwise and give bool tensors; hashing stays by identity.
"""
from __future__ import annotations

import numbers
import operator
import threading
import weakref
from typing import Any, Sequence

import numpy as np

from . import tape
from .backends import Backend, get_backend
from .explain import check_inputs, describe_dtype, explain
from .ops import OPS

_grad_lock = threading.Lock()   # .grad accumulation is a read-modify-write; threads share leaves


def apply(name: str, tensors: Sequence["Tensor"], params: dict | None = None):
    """Run the registered op `name` on tensors and record it when gradients are needed."""
    opdef, params = OPS[name], {} if params is None else params
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: input {i} is a {type(t).__name__}, not a Tensor; wrap "
                            f"it with tl.tensor(...) first")
    bk = check_inputs(name, tensors, opdef.float_only)
    arrays = [t.data for t in tensors]
    try:
        out, vjp = opdef.fn(bk, *arrays, **params)
    except Exception as error:   # the backend refused: say why in our words
        explain(name, arrays, params, error)
    outs = out if isinstance(out, tuple) else (out,)
    results = tuple([Tensor(o if bk.is_array(o) else bk.xp.asarray(o), bk) for o in outs])
    if opdef.view:      # the output shares the input's array: and so its version counter
        for r in results:
            r._version = tensors[0]._version
    if tape.is_grad_enabled() and any([t.requires_grad for t in tensors]):
        for r in results:
            r._node = tape.Node(r.data.shape, r.data.dtype, True, r._version)
        tags, anomaly = tape.current_tags(), tape.is_anomaly_enabled()
        if anomaly:
            tags = {**tags, "where": tape.creation_site()}
        rec = tape.Record(name, tuple([t._node or t._graph_node() for t in tensors]),
                          tuple([r._node for r in results]), vjp, params, tags, opdef.saves)
        for r in results if anomaly else ():
            tape.check_finite(r.data, rec, "the output")
    return results if isinstance(out, tuple) else results[0]


class Tensor:
    """A backend array with autodiff bookkeeping. Create with `tl.tensor(...)`."""

    __slots__ = {"data": "the backend array holding the values",
                 "backend": "the Backend the array lives on (numpy, cupy, ...)",
                 "_grad": None, "_node": None, "_version": None, "__weakref__": None}
    __array_priority__ = 100   # NumPy scalars on the left defer to our operators

    def __init__(self, data: Any, backend: Backend, requires_grad: bool = False) -> None:
        self.data = data
        self.backend = backend
        self._grad: Tensor | None = None
        self._node: tape.Node | None = None   # made when the tensor enters a graph
        self._version = [0]                   # shared with views of the same array
        if requires_grad:
            self.requires_grad = True

    def _graph_node(self) -> tape.Node:
        if self._node is None:
            self._node = tape.Node(self.data.shape, self.data.dtype, False, self._version)
        return self._node

    # ---- autodiff state -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether backward fills this tensor's .grad (settable on leaves)."""
        return self._node is not None and self._node.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not self.backend.is_floating(self.data.dtype):
            raise TypeError(f"requires_grad: only floating-point tensors can require "
                            f"gradients, this one is {describe_dtype(self)}; create it with "
                            f"dtype='float32' or 'float64'")
        if not self.is_leaf:
            raise RuntimeError("requires_grad: can only be changed on leaf tensors; "
                               "use .detach() to get a leaf")
        node = self._graph_node()
        node.requires_grad = bool(value)
        node.leaf = weakref.ref(self) if value else None

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op made (inputs, parameters, detached tensors)."""
        return self._node is None or self._node.record is None

    @property
    def name(self) -> str | None:
        """A label for the tape printout and the renderer (parameters get their module names)."""
        return self._node.name if self._node is not None else None

    @name.setter
    def name(self, value: str | None) -> None:
        self._graph_node().name = value

    @property
    def grad(self) -> "Tensor | None":
        """d(loss)/d(self), filled by backward on leaves that require grad."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None and (not isinstance(value, Tensor) or value.shape != self.shape
                                  or value.backend is not self.backend):
            got = f"a Tensor of shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
            raise TypeError(f"grad: must be None or a Tensor of shape {self.shape} on backend "
                            f"'{self.backend.name}', got {got}")
        self._grad = value

    def _accumulate_grad(self, g: Any) -> None:
        g = self.backend.xp.astype(g, self.data.dtype)   # a fresh array of the leaf's dtype
        with _grad_lock:
            self._grad = Tensor(g if self._grad is None else self._grad.data + g, self.backend)

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (self must be a scalar, or pass grad)."""
        cots = tape.backward([(self._node, self._seed_cotangent(grad, "backward"))], retain_graph)
        for node, g in cots.items():
            leaf = node.leaf() if node.leaf is not None else None
            if leaf is not None:
                leaf._accumulate_grad(g)

    def _seed_cotangent(self, grad: Any, who: str) -> Any:
        """The cotangent a backward pass starts from: 1 for a scalar, else `grad` checked."""
        if not self.requires_grad:
            raise RuntimeError(f"{who}: the output does not require grad (none of its inputs "
                               f"requires grad, or it was computed under tl.no_grad()); create "
                               f"inputs with requires_grad=True")
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"{who}: the output has shape {self.shape}; backward without "
                                   f"a gradient needs a scalar. Reduce it first (e.g. out.sum() "
                                   f"or out.mean()) or pass grad= with shape {self.shape}")
            return self.backend.xp.ones_like(self.data)
        if isinstance(grad, Tensor):
            grad = grad.numpy()
        try:
            g = np.asarray(grad)
            if g.dtype.kind not in "biuf":   # None, text, objects: not a gradient
                raise TypeError(f"got {g.dtype} entries")
            g = g.astype(describe_dtype(self))
        except (TypeError, ValueError) as error:
            raise TypeError(f"{who}: grad must hold real numbers of shape {self.shape}: {error}") from None
        if g.shape != self.shape:
            raise ValueError(f"{who}: grad has shape {g.shape} but the output has shape "
                             f"{self.shape}; they must match")
        return self.backend.asarray(g, dtype=describe_dtype(self))

    def detach(self) -> "Tensor":
        """The same array as a new leaf that requires no grad (the graph is cut here). The
        two share a version counter: an in-place change through either one is caught."""
        d = Tensor(self.data, self.backend)
        d._version = self._version
        return d

    # ---- array facts and conversion ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return tuple(self.data.shape)

    @property
    def dtype(self):
        """The array's dtype."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of entries."""
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        """len(a): the size of the first axis."""
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        """iter(a): the tensors a[0], a[1], ... (recorded like any index)."""
        if not self.shape:
            raise TypeError("iteration over a 0-d tensor; use .item()")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        """bool(a) of a one-element tensor."""
        if self.size != 1:
            raise RuntimeError(f"bool() of a tensor of shape {self.shape} is ambiguous; use "
                               f"(t != 0).any()-style NumPy logic on t.numpy()")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """numpy.asarray(a): a NumPy copy."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the data (from any backend)."""
        return self.backend.to_numpy(self.data)

    def item(self) -> float:
        """The single number a one-element tensor holds."""
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
        """The tensor converted to `dtype`; differentiable between floating dtypes."""
        target = self.backend.dtype(dtype)
        if not self.backend.is_floating(target):
            with tape.no_grad():
                return apply("astype", (self,), {"dtype": target})
        return apply("astype", (self,), {"dtype": target})

    def float(self) -> "Tensor":
        """astype('float32')."""
        return self.astype("float32")

    def double(self) -> "Tensor":
        """astype('float64')."""
        return self.astype("float64")

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the largest entry (over all entries when dim is None), as int64; not differentiable."""
        xp = self.backend.xp
        if dim is None:
            out = xp.argmax(xp.reshape(self.data, (-1,)))
            out = xp.reshape(out, (1,) * self.ndim) if keepdim else out
        else:
            out = xp.argmax(self.data, axis=dim, keepdims=keepdim)
        return Tensor(xp.astype(xp.asarray(out), self.backend.dtype("int64")), self.backend)

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.numpy(), precision=4, separator=", ", threshold=20)
        return f"tensor({body}, dtype={describe_dtype(self)}, backend={self.backend.name}{flag})"

    # ---- in-place updates (not recorded; they bump the version) ----------------------
    def _in_place(self, op: str, value: Any) -> "Tensor":
        if tape.is_grad_enabled() and ((self.requires_grad and not self.is_leaf) or
                                       (isinstance(value, Tensor) and value.requires_grad)):
            raise RuntimeError(f"{op}: in-place changes are not recorded, and this tensor was "
                               f"computed from tensors that require grad (or the value "
                               f"requires grad), so the gradient would be wrong; write "
                               f"t = t * ... (a new tensor) instead, or run it under tl.no_grad()")
        if isinstance(value, Tensor):
            value = value.data
        elif hasattr(value, "shape") and not self.backend.is_array(value):
            value = self.backend.asarray(value, dtype=self.data.dtype)   # e.g. NumPy into CuPy
        if op == "copy_" and tuple(getattr(value, "shape", ())) not in (self.shape, ()):
            raise ValueError(f"copy_: source of shape {tuple(value.shape)} does not match the "
                             f"destination's shape {self.shape}")
        if op == "add_":
            self.data += value
        elif op == "sub_":
            self.data -= value
        elif op == "mul_":
            self.data *= value
        else:
            self.data[...] = value
        self._version[0] += 1
        return self

    def add_(self, value: Any) -> "Tensor":
        """self += value, in place."""
        return self._in_place("add_", value)

    def sub_(self, value: Any) -> "Tensor":
        """self -= value, in place."""
        return self._in_place("sub_", value)

    def mul_(self, value: Any) -> "Tensor":
        """self *= value, in place."""
        return self._in_place("mul_", value)

    def copy_(self, value: Any) -> "Tensor":
        """Overwrite every entry with value's, in place."""
        return self._in_place("copy_", value)

    def zero_(self) -> "Tensor":
        """Set every entry to 0, in place."""
        return self._in_place("zero_", 0)

    # ---- operators ------------------------------------------------------------------
    def _lift(self, other: Any, op: str) -> "Tensor":
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) or (isinstance(other, np.generic) and other.ndim == 0):
            return Tensor(self.backend.asarray(other, dtype=self.data.dtype), self.backend)
        raise TypeError(f"{op}: cannot combine a Tensor with {type(other).__name__}; wrap arrays "
                        f"with tl.tensor(...) first")

    def _binary(op: str, doc: str, swapped: bool = False):   # noqa: N805 (makes methods)
        def method(self, other):
            other = self._lift(other, op)
            return apply(op, (other, self) if swapped else (self, other))
        method.__doc__ = doc
        return method

    __add__, __radd__ = _binary("add", "a + b"), _binary("add", "b + a", swapped=True)
    __sub__, __rsub__ = _binary("sub", "a - b"), _binary("sub", "b - a", swapped=True)
    __mul__, __rmul__ = _binary("mul", "a * b"), _binary("mul", "b * a", swapped=True)
    __truediv__, __rtruediv__ = _binary("div", "a / b"), _binary("div", "b / a", swapped=True)
    __matmul__, __rmatmul__ = _binary("matmul", "a @ b"), _binary("matmul", "b @ a", swapped=True)

    def __neg__(self) -> "Tensor":
        """-a"""
        return apply("neg", (self,))

    # Comparisons are elementwise, as in NumPy and PyTorch: a bool tensor, not recorded.
    __hash__ = object.__hash__   # still hashable by identity (optimizers key state by parameter)

    def _compare(self, other: Any, fn) -> "Tensor":
        if not isinstance(other, (Tensor, numbers.Number, np.generic)):
            return NotImplemented
        other = self._lift(other, "compare")
        if other.backend is not self.backend:
            check_inputs("compare", (self, other), False)   # raises, naming both backends
        return Tensor(self.backend.xp.asarray(fn(self.data, other.data)), self.backend)

    def __eq__(self, other: Any) -> "Tensor":
        """a == b, elementwise: a bool tensor (not recorded)."""
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> "Tensor":
        """a != b, elementwise: a bool tensor (not recorded)."""
        return self._compare(other, operator.ne)

    def __pow__(self, exponent: Any) -> "Tensor":
        """a ** p for a Python number p."""
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"pow: the exponent must be a Python number, got "
                            f"{type(exponent).__name__}; use tl.exp(y * tl.log(x)) for x ** y")
        return apply("pow", (self,), {"exponent": float(exponent)})

    def __getitem__(self, index: Any) -> "Tensor":
        """a[index]: ints, slices, None, ... and integer arrays, as in NumPy."""
        return apply("getitem", (self,), {"index": _convert_index(self, index)})

    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        """Sum over `axis` (all axes when None)."""
        return apply("sum", (self,), {"axis": _axis_param(axis, "sum"), "keepdims": keepdims})

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        """Mean over `axis` (all axes when None)."""
        return apply("mean", (self,), {"axis": _axis_param(axis, "mean"), "keepdims": keepdims})

    def max(self, axis=None, keepdims: bool = False) -> "Tensor":
        """Largest entry over `axis`; ties share the gradient equally."""
        return apply("max", (self,), {"axis": _axis_param(axis, "max"), "keepdims": keepdims})

    def reshape(self, *shape) -> "Tensor":
        """The same entries in a new shape (one size may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply("reshape", (self,), {"shape": _ints(shape, "reshape", "shape")})

    def transpose(self, *axes) -> "Tensor":
        """Axes permuted (reversed when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply("transpose", (self,), {"axes": _ints(axes, "transpose", "axes") if axes else None})

    @property
    def T(self) -> "Tensor":
        """Axes reversed (the transpose of a matrix)."""
        return apply("transpose", (self,), {"axes": None})

    def sigmoid(self) -> "Tensor":
        """tl.sigmoid(self)."""
        return apply("sigmoid", (self,))

    def tanh(self) -> "Tensor":
        """tl.tanh(self)."""
        return apply("tanh", (self,))

    def exp(self) -> "Tensor":
        """tl.exp(self)."""
        return apply("exp", (self,))

    def log(self) -> "Tensor":
        """tl.log(self)."""
        return apply("log", (self,))

    def relu(self) -> "Tensor":
        """tl.relu(self)."""
        return apply("relu", (self,))


def _ints(values: Sequence[Any], op: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        bad = next(v for v in values if not hasattr(v, "__index__"))
        raise TypeError(f"{op}: {what} must be integers, got {type(bad).__name__} {bad!r}") from None


def _axis_param(axis: Any, op: str) -> Any:
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return _ints(axis, op, "axis")
    return _ints((axis,), op, "axis")[0]


def _convert_index(t: Tensor, index: Any) -> Any:
    """Integer lists/arrays/tensors in an index become backend integer arrays; floats and
    bools are refused."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.numpy()
        if isinstance(item, (list, np.ndarray)):
            arr = np.array(item)   # a copy: the VJP scatters with it later
            if arr.size == 0:
                arr = arr.astype(np.int64)
            if arr.dtype.kind not in "iu":
                raise IndexError(f"getitem: index arrays must hold integers, got {arr.dtype}")
            out.append(t.backend.asarray(arr, dtype="int64"))
        elif isinstance(item, (bool, np.bool_)):
            raise IndexError("getitem: boolean indices are not supported; use integer indices")
        elif isinstance(item, numbers.Integral):
            out.append(int(item))
        elif item is None or item is Ellipsis or isinstance(item, slice):
            out.append(item)
        else:
            raise IndexError(f"getitem: cannot index with {type(item).__name__} {item!r}; use "
                             f"ints, slices, None, ... or integer arrays")
    return tuple(out) if isinstance(index, tuple) else out[0]
