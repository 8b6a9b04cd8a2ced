"""The optimizer base class: parameter groups, per-parameter state, and its state_dict.

As in torch.optim: `param_groups` is a list of dicts, each with its own 'params' and
hyper-parameters (changing group['lr'] changes the next step); `state` maps a parameter
to its dict of buffers (raw backend arrays the optimizer owns, never a gradient's array).
A state_dict is plain data, parameters named by their position, arrays as NumPy copies,
so resuming from it gives the same trajectory as never having stopped.
"""
from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor

# torch.optim options this package does not implement: a saved group that switches one on
# is refused; one that leaves it off (False or None) loads.
_TORCH_ONLY = ("amsgrad", "maximize", "capturable", "differentiable", "fused", "foreach",
               "decoupled_weight_decay")


def _describe(p: Any) -> str:
    if not isinstance(p, Tensor):
        hint = "; pass model.parameters(), not named_parameters()" if isinstance(p, tuple) else ""
        return f"{type(p).__name__}{hint}"
    if not p.requires_grad:
        return "a Tensor with requires_grad=False; create it with requires_grad=True"
    return "a Tensor computed by an op (not a leaf); optimize the leaves it came from"


class Optimizer:
    """Base class of the optimizers: param_groups, per-parameter state, saving and resuming.

    A subclass passes its defaults (hyper-parameters by name) and defines `_update(p, grad,
    state, group)` for one parameter and `_check(group)` for its hyper-parameters' ranges.
    """

    _state_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        who = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            raise TypeError(f"{who}: params must be an iterable of Tensors or of dicts (parameter "
                            f"groups), got a single {type(params).__name__}; wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{who}: parameters must come in an ordered collection (a set's order "
                            f"changes between runs); pass a list")
        params = list(params)
        if not params:
            raise ValueError(f"{who}: got an empty parameter list; pass model.parameters() of a "
                             f"module that has parameters")
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    @property
    def params(self) -> list[Tensor]:
        """Every parameter of every group, in order."""
        return [p for group in self.param_groups for p in group["params"]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones from the defaults)."""
        who = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{who}: a parameter group must be a dict with a 'params' entry, got "
                            f"{type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{who}: parameters must come in an ordered collection (a set's order "
                            f"changes between runs); pass a list")
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise TypeError(f"{who}: parameter {i} must be a leaf Tensor with "
                                f"requires_grad=True, got {_describe(p)}")
        seen: set[int] = set()
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(f"{who}: parameter {i} appears twice in one group; it would be "
                                 f"stepped twice per step(). Pass each parameter once (e.g. "
                                 f"list(dict.fromkeys(params)))")
            seen.add(id(p))
        if any(id(p) in seen for p in self.params):
            raise ValueError(f"{who}: some parameters appear in more than one parameter group; "
                             f"put each parameter in exactly one group")
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: dict[str, Any]) -> None:
        """Refuse hyper-parameters out of range (each subclass checks its own)."""
        _at_least_zero(type(self).__name__, "lr", group["lr"])

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (set .grad to None, or fill it with zeros)."""
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.data, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- saving and resuming ----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state as plain data: {'state': {index: buffers}, 'param_groups': [...]}, as torch.optim.

        Parameters are named by their position across the groups; arrays are NumPy copies."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: {k: p.backend.to_numpy(v) if p.backend.is_array(v) else v
                                for k, v in s.items()}
                 for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict() (ours, or torch.optim's with tensors as arrays); all or nothing.

        Every group and buffer is checked (counts, keys, shapes) before anything changes;
        arrays are copied onto each parameter's backend and dtype."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{who}: expected a dict with 'state' and 'param_groups' (what "
                             f"optimizer.state_dict() returns), got {_keys_of(state_dict)}")
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(f"{who}: the saved state has {len(saved)} parameter group(s), this "
                             f"optimizer has {len(self.param_groups)}")
        groups, ids = [], {}
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            if not isinstance(theirs, dict) or not isinstance(theirs.get("params"), list):
                raise ValueError(f"{who}: saved group {i} must be a dict with a 'params' list of "
                                 f"parameter indices, got {_keys_of(theirs)}")
            if len(theirs["params"]) != len(mine["params"]):
                raise ValueError(f"{who}: saved group {i} has {len(theirs['params'])} parameters, "
                                 f"this optimizer's has {len(mine['params'])}; build the optimizer "
                                 f"over the same parameters it was saved with")
            ids.update(zip(theirs["params"], mine["params"]))
            groups.append(self._load_group(who, i, theirs, mine["params"]))
        state = {}
        for key, buffers in state_dict["state"].items():
            if key not in ids:
                raise ValueError(f"{who}: the saved state has an entry for parameter {key!r}, which "
                                 f"no saved group lists (groups list {sorted(ids, key=str)})")
            state[ids[key]] = self._load_buffers(who, key, buffers, ids[key])
        self.param_groups[:] = groups
        self.state = state

    def _load_group(self, who: str, i: int, saved: dict[str, Any], params: list[Tensor]) -> dict:
        group = {}
        for key, value in saved.items():
            if key in _TORCH_ONLY and key not in self.defaults:
                if value not in (None, False):
                    raise ValueError(f"{who}: saved group {i} sets {key}={value!r}, which "
                                     f"{type(self).__name__} does not implement")
            elif key != "params":
                group[key] = copy.deepcopy(value)
        missing = [k for k in self.defaults if k not in group]
        if missing:
            raise ValueError(f"{who}: saved group {i} lacks {missing}; was it saved by another "
                             f"kind of optimizer?")
        group["params"] = params
        self._check(group)
        return group

    def _load_buffers(self, who: str, key: Any, buffers: Any, p: Tensor) -> dict[str, Any]:
        if not isinstance(buffers, dict):
            raise ValueError(f"{who}: the state of parameter {key!r} must be a dict, got "
                             f"{type(buffers).__name__}")
        present = {k for k, v in buffers.items() if v is not None}
        if present and present != set(self._state_keys):
            raise ValueError(f"{who}: the state of parameter {key!r} has {sorted(present)}; "
                             f"{type(self).__name__} keeps {sorted(self._state_keys)}")
        out: dict[str, Any] = {}
        for name in sorted(present):
            value = buffers[name]
            out[name] = (_load_count(who, key, name, value) if name == "step"
                         else _load_array(who, key, name, value, p))
        return out


def _keys_of(obj: Any) -> str:
    return f"keys {sorted(map(str, obj))}" if isinstance(obj, dict) else type(obj).__name__


def _load_count(who: str, key: Any, name: str, value: Any) -> int:
    count = float(np.asarray(value))
    if not (count >= 0 and count == int(count)):
        raise ValueError(f"{who}: parameter {key!r}'s '{name}' must be a whole number >= 0, got {value!r}")
    return int(count)


def _load_array(who: str, key: Any, name: str, value: Any, p: Tensor) -> Any:
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{who}: parameter {key!r}'s '{name}' must hold real numbers, got dtype "
                         f"{array.dtype}")
    if array.shape != p.shape:
        raise ValueError(f"{who}: parameter {key!r}'s '{name}' has shape {array.shape} but the "
                         f"parameter has shape {p.shape}; were the groups built in the same order?")
    name_of_dtype = p.backend.dtype_name(p.dtype)
    return p.backend.asarray(np.array(array, dtype=name_of_dtype), dtype=name_of_dtype)


def _at_least_zero(who: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0 \
            or math.isinf(value):
        raise ValueError(f"{who}: {name} must be a finite number >= 0, got {value!r}")
