"""Optimizers (SGD, Adam, AdamW) and learning-rate schedules, as torch.optim defines them.

Each step updates the parameters in place (`p.sub_`, `p.mul_`), which bumps their version
counters: a graph built before the step can no longer be backpropagated, and says so.
State (momentum buffers, Adam moments) lives as raw backend arrays the optimizer owns.

    opt = tl.optim.Adam(model.parameters(), lr=1e-3)
    opt.param_groups[0]["lr"] = 1e-4             # takes effect at the next step
    checkpoint = opt.state_dict()                # ... later: opt.load_state_dict(checkpoint)
    sched = tl.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
