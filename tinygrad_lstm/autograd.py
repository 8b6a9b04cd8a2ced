"""The user-facing entry points to the backward pass: Tensor.backward and tl.grad."""
from __future__ import annotations

from typing import Any, Sequence

from . import tape
from .tensor import Tensor


def _seed(out: Tensor, grad: Any, who: str):
    if not out.requires_grad:
        raise RuntimeError(f"{who}: the output does not require grad (none of its inputs "
                           f"requires grad, or it was computed under tl.no_grad()); create "
                           f"inputs with requires_grad=True")
    bk = out.backend
    if grad is None:
        if out.size != 1:
            raise RuntimeError(f"{who}: the output has shape {out.shape}; backward without a "
                               f"gradient needs a scalar. Reduce it first (e.g. out.sum() or "
                               f"out.mean()) or pass grad= with shape {out.shape}")
        return bk.xp.ones_like(out.data)
    g = grad.data if isinstance(grad, Tensor) else bk.asarray(grad, dtype=out.data.dtype)
    if tuple(g.shape) != out.shape:
        raise ValueError(f"{who}: grad has shape {tuple(g.shape)} but the output has shape "
                         f"{out.shape}; they must match")
    return g


def backward(out: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate the gradient of `out` into the .grad of every leaf that requires grad."""
    g = _seed(out, grad, "backward")
    tape.backward([(out._node, g)], out.backend, retain_graph=retain_graph)


def grad(out: Tensor, inputs: Sequence[Tensor] | Tensor, grad_output: Any = None,
         retain_graph: bool = False, allow_unused: bool = False) -> list[Tensor]:
    """Gradients of `out` with respect to each of `inputs` (leaves or intermediate tensors),
    returned rather than accumulated into .grad.

    An input that `out` does not depend on is an error, unless allow_unused=True, which
    gives zeros for it.
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad, so it has no gradient; "
                               f"create it with requires_grad=True")
    g = _seed(out, grad_output, "grad")
    nodes = [t._node for t in inputs]
    found = tape.backward([(out._node, g)], out.backend, retain_graph=retain_graph, targets=nodes)
    result = []
    for i, (t, node) in enumerate(zip(inputs, nodes)):
        if node in found:
            result.append(Tensor(found[node], t.backend))
        elif allow_unused:
            result.append(Tensor(t.backend.xp.zeros_like(t.data), t.backend))
        else:
            raise RuntimeError(f"grad: the output does not depend on input {i} (shape {t.shape}); "
                               f"pass allow_unused=True to get zeros for it")
    return result
