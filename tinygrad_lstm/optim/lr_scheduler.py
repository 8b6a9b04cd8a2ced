"""Learning-rate schedules that set each parameter group's 'lr', as torch.optim.lr_scheduler.

    opt = tl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = tl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        train_one_epoch(model, opt)        # ... opt.step() ...
        sched.step()                       # after the optimizer's step, as in PyTorch

The formulas are torch's own (including its recursive forms), so the sequence of learning
rates is the same number for number. Building a scheduler records each group's starting
rate as group['initial_lr'] and counts that as epoch 0.
"""
from __future__ import annotations

import copy
import math
import numbers
from collections import Counter
from typing import Any, Callable, Iterable

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR"]


class LRScheduler:
    """Base class: step() advances last_epoch and sets every group's lr from get_lr()."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        who = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: expected a tl.optim optimizer, got {type(optimizer).__name__}")
        if not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"{who}: last_epoch must be an int >= -1 (-1 starts fresh), got "
                             f"{last_epoch!r}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{who}: param_groups[{i}] has no 'initial_lr', so last_epoch="
                               f"{last_epoch} cannot resume; load the optimizer's state_dict "
                               f"first, or use scheduler.load_state_dict() instead")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch `last_epoch` (each subclass's formula)."""
        raise NotImplementedError

    def step(self, epoch: None = None) -> None:
        """Advance one epoch and write the new learning rates into the optimizer's groups."""
        if epoch is not None:
            raise TypeError(f"{type(self).__name__}.step: takes no epoch (PyTorch deprecated "
                            f"step(epoch)); call step() once per epoch, or load_state_dict() "
                            f"to jump")
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, copied (as torch's schedulers save themselves)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what state_dict() returned; refuses a dict from another kind of scheduler."""
        mine = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != mine:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys "
                             f"{sorted(mine)}, got {got}; was it saved from another scheduler?")
        self.__dict__.update(copy.deepcopy(state_dict))

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


def _check_number(who: str, name: str, value: Any, low: float, integer: bool = False) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not value >= low \
            or math.isinf(value):
        what = "an int" if integer else "a finite number"
        raise ValueError(f"{who}: {name} must be {what} >= {low}, got {value!r}")


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); one function for all groups or a list, one per group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter "
                                 f"group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError("LambdaLR: lr_lambda must be a function of the epoch (or a list of them)")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """base_lr * lr_lambda(last_epoch) for each group."""
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer and the functions (which cannot be copied)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                if k not in ("optimizer", "lr_lambdas")}


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_number("StepLR", "step_size", step_size, 1, integer=True)
        _check_number("StepLR", "gamma", gamma, 0)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr, times gamma at every nonzero multiple of step_size."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each epoch listed in milestones."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            _check_number("MultiStepLR", "each milestone", m, 0, integer=True)
        _check_number("MultiStepLR", "gamma", gamma, 0)
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr, times gamma (once per repeat) when last_epoch is a milestone."""
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._group_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_number("ExponentialLR", "gamma", gamma, 0)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times gamma (unchanged at the first epoch)."""
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Anneal the lr along a half cosine from base_lr to eta_min over T_max epochs (SGDR without restarts).

    lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, computed with
    torch's recursive form so that the numbers agree exactly; past T_max it rises again.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_number("CosineAnnealingLR", "T_max", T_max, 1, integer=True)
        _check_number("CosineAnnealingLR", "eta_min", eta_min, 0)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next lr from the current one (torch's recursion)."""
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._group_lrs()
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._group_lrs())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - low) + low for lr in self._group_lrs()]
