"""Input checks shared by the modules: each error names the module, what was expected,
what arrived, and how to fix it. No silent broadcasting of states."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def check_tensor(who: str, what: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: {what} must be a Tensor, got {type(x).__name__}; wrap it "
                        f"with tl.tensor(...)")
    return x


def check_like_params(who: str, what: str, x: Tensor, param: Tensor) -> None:
    """The input lives on the parameters' backend and has their dtype."""
    if x.backend is not param.backend:
        raise TypeError(f"{who}: {what} is on backend '{x.backend.name}' but the parameters are "
                        f"on '{param.backend.name}'; move one with .to('{param.backend.name}') "
                        f"or module.to('{x.backend.name}')")
    if x.dtype != param.dtype:
        want, got = param.backend.dtype_name(param.dtype), x.backend.dtype_name(x.dtype)
        # Parameters are floating point: an integer input is converted, never matched.
        other = f" or build the module with dtype='{got}'" if x.backend.is_floating(x.dtype) else ""
        raise TypeError(f"{who}: {what} has dtype {got} but the parameters are {want}; "
                        f"convert the input (x.astype('{want}')){other}")


def check_rank(who: str, what: str, x: Tensor, ranks: dict[int, str]) -> None:
    """`ranks` maps each accepted number of dimensions to its layout, e.g. {3: "(L, N, H_in)"}."""
    if x.ndim not in ranks:
        accepted = " or ".join(f"{n}-D {layout}" for n, layout in ranks.items())
        raise ValueError(f"{who}: {what} must be {accepted}, got {x.ndim}-D with shape "
                         f"{x.shape}; reshape it")


def check_features(who: str, what: str, x: Tensor, expected: int, name: str) -> None:
    if x.shape[-1] != expected:
        raise ValueError(f"{who}: {what} has {x.shape[-1]} features (last axis of shape {x.shape}) "
                         f"but the module was built with {name}={expected}; build it with "
                         f"{name}={x.shape[-1]} or fix the data")


def check_state(who: str, what: str, state: Any, expected: tuple[int, ...], layout: str) -> Tensor:
    """An initial state must have exactly the expected shape: a batch of 1 is not broadcast."""
    check_tensor(who, what, state)
    if state.shape != tuple(expected):
        hint = ""
        if len(state.shape) == len(expected) and any(
                s == 1 and e != 1 for s, e in zip(state.shape, expected)):
            hint = " (a size-1 axis is not broadcast: repeat the state to the full size)"
        raise ValueError(f"{who}: {what} has shape {state.shape} but {tuple(expected)} = "
                         f"{layout} was expected{hint}")
    return state


def state_or_zeros(who: str, what: str, state: Any, shape: tuple[int, ...], batched: bool,
                   layout: str, like: Tensor) -> Tensor:
    """An initial state: zeros of `shape` when None, else checked to be exactly `shape`
    (without its batch axis, second from last, for unbatched input) on `like`'s backend
    and dtype, and returned with the batch axis."""
    if state is None:
        return Tensor(like.backend.xp.zeros(shape, dtype=like.dtype), like.backend)
    expected = shape if batched else shape[:-2] + shape[-1:]
    check_state(who, what, state, expected, layout)
    check_like_params(who, what, state, like)
    return state if batched else state.reshape(shape)
