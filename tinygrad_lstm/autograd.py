"""tl.grad: the backward pass as a function that returns gradients (Tensor.backward
accumulates them into .grad instead)."""
from __future__ import annotations

from typing import Any, Sequence

from . import tape
from .tensor import Tensor


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
    g = out._seed_cotangent(grad_output, "grad")
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
