"""The public functions of the engine: tl.tensor, the primitive ops as functions of
tensors (the operator forms live on Tensor), and tl.grad."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import tape
from .backends import Backend, get_backend
from .tensor import Tensor, _ints, apply


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           backend: str | Backend | None = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (NumPy input keeps its dtype; Python floats become float32, ints int64)."""
    bk = get_backend(backend)
    if isinstance(data, Tensor):
        data = data.numpy()
    if bk.is_array(data) and not isinstance(data, np.ndarray):   # already on the device
        array = bk.xp.asarray(data, copy=True) if dtype is None else bk.xp.astype(data, bk.dtype(dtype))
        return Tensor(array, bk, requires_grad)
    probe = np.asarray(data)
    if probe.dtype == object or probe.dtype.kind in "USVMmc" or probe.dtype.names:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data (NumPy "
                        f"infers dtype {probe.dtype}); pass real numbers of one shape")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        if probe.dtype.kind == "f" and _has_huge_ints(data, probe):
            raise TypeError("tensor: integers beyond the int64 range; pass dtype='float64' to "
                            "store them as floats")
        dtype = {"f": "float32", "i": "int64", "u": "int64"}.get(probe.dtype.kind, probe.dtype)
    array = bk.asarray(np.array(probe, copy=True), dtype=dtype)
    return Tensor(array, bk, requires_grad)


def _has_huge_ints(data: Any, probe: np.ndarray) -> bool:
    """Python ints past int64 make NumPy infer float64 for the lot (checked only then)."""
    if not probe.size or float(np.max(np.abs(probe))) < 2.0 ** 63:
        return False
    return any(isinstance(v, int) and not isinstance(v, bool)
               for v in np.asarray(data, dtype=object).ravel())


def _tensors(name: str, tensors: Sequence[Tensor]) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expects a list or tuple of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor, got an empty list")
    return tuple(tensors)


def concat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return apply("concat", _tensors("concat", tensors), {"axis": axis})


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join equally shaped tensors along a new axis."""
    return apply("stack", _tensors("stack", tensors), {"axis": axis})


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split as numpy.split: an int must divide the axis evenly; a list gives cut indices."""
    if isinstance(indices_or_sections, (list, tuple)):
        sections = _ints(indices_or_sections, "split", "cut indices")
    else:
        sections = _ints((indices_or_sections,), "split", "sections")[0]
    return list(apply("split", (x,), {"sections": sections, "axis": _ints((axis,), "split", "axis")[0]}))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b, with NumPy's rules for 1-D operands and batch axes."""
    return apply("matmul", (a, b))


def mul(a: Tensor, b: Tensor) -> Tensor:
    """a * b, elementwise (broadcasting as NumPy does)."""
    return apply("mul", (a, b))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise."""
    return apply("sigmoid", (x,))


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return apply("tanh", (x,))


def exp(x: Tensor) -> Tensor:
    """exp(x), elementwise."""
    return apply("exp", (x,))


def log(x: Tensor) -> Tensor:
    """Natural logarithm, elementwise."""
    return apply("log", (x,))


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return apply("relu", (x,))


def grad(out: Tensor, inputs: Sequence[Tensor] | Tensor, grad_output: Any = None,
         retain_graph: bool = False, allow_unused: bool = False) -> list[Tensor]:
    """Gradients of `out` with respect to each of `inputs` (leaves or intermediate tensors),
    returned rather than accumulated into .grad.

    An input that `out` does not depend on is an error, unless allow_unused=True, which
    gives zeros for it.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad, so it has no gradient; "
                               f"create it with requires_grad=True")
    if not isinstance(out, Tensor):
        raise TypeError(f"grad: the output must be a Tensor, got {type(out).__name__}")
    wanted = {t._node for t in inputs}
    found: dict = {}

    def catch(rec, out_cots, in_cots):   # an intermediate input's cotangent, as it passes
        for ref, g in zip(rec.outputs, out_cots):
            if g is not None and ref() in wanted:
                found[ref()] = g

    with tape.observe(catch):
        leaves = tape.backward([(out._node, out._seed_cotangent(grad_output, "grad"))], retain_graph)
    found.update({node: g for node, g in leaves.items() if node in wanted})
    result = []
    for i, t in enumerate(inputs):
        if t._node in found:
            result.append(Tensor(t.backend.xp.astype(found[t._node], t.data.dtype), t.backend))
        elif allow_unused:
            result.append(Tensor(t.backend.xp.zeros_like(t.data), t.backend))
        else:
            raise RuntimeError(f"grad: the output does not depend on input {i} (shape {t.shape}); "
                               f"pass allow_unused=True to get zeros for it")
    return result
