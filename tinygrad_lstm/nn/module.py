"""Module and Parameter: named, trainable weights and the tree of modules that owns them.

Paths and names.
- A module's `path` is its dotted attribute path from the root module ("encoder.lstm").
  A root (a module not attached to a parent) takes its class name in lower case
  ("lstm" for a bare `tl.nn.LSTM`), so its records and parameters are still labelled.
- `named_parameters()` and `state_dict()` use keys relative to the module they are called
  on, exactly as PyTorch does ("weight_ih_l0" on a bare LSTM, "lstm.weight_ih_l0" on a
  model holding it as `self.lstm`), so state dicts move between the two unchanged.
- Each parameter's `.name` (the label on its tape node, shown by the tape printout and the
  renderer) is `<module path>.<attribute>`: "lstm.weight_hh_l0". Attaching a module to a
  parent renames everything below it.
- Built-in modules (`_scoped = True`) run their forward under `tl.scope(module=path)`, so
  their records carry the path. A container you write yourself adds no scope of its own:
  the modules inside it tag their records with their full paths.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

import numpy as np

from .. import io, tape
from ..backends import get_backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad, registered by the module it is assigned to."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None, backend: Any = None) -> None:
        if isinstance(data, Tensor):
            dtype = dtype or data.backend.dtype_name(data.dtype)
            backend = backend or data.backend
            data = data.numpy()
        bk = get_backend(backend)
        if not (bk.is_array(data) and dtype is None):   # a backend array is adopted as is
            data = np.asarray(data)
            if dtype is None:
                dtype = data.dtype.name if data.dtype.kind == "f" else "float32"
            data = bk.asarray(np.array(data, dtype=dtype))
        super().__init__(data, bk, requires_grad=True)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


class Module:
    """Base class: assign Parameters and Modules as attributes and they are registered."""

    _scoped = False  # built-in modules set True: their records carry their path

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_prefix", "")
        object.__setattr__(self, "training", True)

    # ---- registration and names ------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attributes")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            value.name = f"{self.path}.{name}"
        elif isinstance(value, Module):
            self._modules[name] = value
            value._rename(f"{self._prefix}.{name}" if self._prefix else name)
        object.__setattr__(self, name, value)

    @property
    def path(self) -> str:
        """Dotted path from the root; a root's is its class name in lower case."""
        return self._prefix or type(self).__name__.lower()

    def _rename(self, prefix: str) -> None:
        stack = [(self, prefix)]
        while stack:
            module, pre = stack.pop()
            object.__setattr__(module, "_prefix", pre)
            for pname, p in module._parameters.items():
                p.name = f"{pre}.{pname}"
            stack.extend((child, f"{pre}.{cname}") for cname, child in module._modules.items())

    def named_modules(self) -> Iterator[tuple[str, "Module"]]:
        """(relative name, module) for this module ("") and every module below it, in order."""
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{c}" if name else c, m) for c, m in module._modules.items()]
            stack.extend(reversed(children))

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(key, parameter) pairs with PyTorch's keys; a shared parameter appears once."""
        seen: set[int] = set()
        for mname, module in self.named_modules():
            for pname, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and the modules below it, in order."""
        return [p for _, p in self.named_parameters()]

    # ---- state ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter as a NumPy copy, keyed as named_parameters()."""
        return {name: p.numpy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> tuple[list, list]:
        """Copy arrays (NumPy, or anything np.asarray takes) into the parameters.

        All or nothing: every key, shape, dtype and value is checked before any parameter
        changes (see tinygrad_lstm.io: real floats, or integers the dtype holds exactly;
        nothing that would overflow to inf). Returns (missing keys, unexpected keys); with
        strict=True either one is an error.
        """
        own = dict(self.named_parameters())
        ready, missing, unexpected = io.check_state(own, state, strict,
                                                    f"{type(self).__name__}.load_state_dict")
        io.assign(own, ready)
        return missing, unexpected

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (set .grad to None)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active) for this module and everything below it."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Evaluation mode (dropout off)."""
        return self.train(False)

    def to(self, backend: Any) -> "Module":
        """Move every parameter to another backend ("numpy", "cupy"); returns self.
        The parameters become new tensors: build the optimizer after moving."""
        for _, module in self.named_modules():
            for pname, p in list(module._parameters.items()):
                setattr(module, pname, Parameter(p, backend=backend))
        return self

    # ---- calling --------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every module defines its own (calling the module runs it)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = tape.scope(module=self.path) if self._scoped else contextlib.nullcontext()
        with context:
            return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr() (none by default)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + ("\n)" if len(lines) > 1 else ")")
