"""Learning-rate schedules against torch.optim.lr_scheduler: the same lr, number for number."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lstm as tl

S = tl.optim.lr_scheduler

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1 + epoch))),
]


def _opts(torch, name="SGD", **kwargs):
    a = tl.tensor(np.ones(2), requires_grad=True)
    b = tl.tensor(np.ones(1), requires_grad=True)
    ta = torch.ones(2, dtype=torch.float64, requires_grad=True)
    tb = torch.ones(1, dtype=torch.float64, requires_grad=True)
    ours = getattr(tl.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.02}], lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)([{"params": [ta]}, {"params": [tb], "lr": 0.02}], lr=0.1, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=lambda c: str(c))
def test_lr_sequence_matches_torch_exactly(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _opts(torch)
    s_ours = getattr(S, name)(ours, **kwargs)
    s_theirs = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    seq_ours, seq_theirs = [s_ours.get_last_lr()], [s_theirs.get_last_lr()]
    for _ in range(25):                               # past T_max: the cosine rises again
        ours.step(), theirs.step()
        s_ours.step(), s_theirs.step()
        seq_ours.append(s_ours.get_last_lr())
        seq_theirs.append(s_theirs.get_last_lr())
    assert seq_ours == seq_theirs                     # exactly, not approximately
    assert [g["lr"] for g in ours.param_groups] == [g["lr"] for g in theirs.param_groups]
    assert [g["initial_lr"] for g in ours.param_groups] == [0.1, 0.02]


def test_cosine_follows_the_closed_form():
    opt = tl.optim.SGD([tl.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    sched = S.CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    for t in range(1, 11):
        sched.step()
        expected = 0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, abs=1e-12)


def test_scheduled_training_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _opts(torch, "Adam")
    s_ours, s_theirs = S.StepLR(ours, 2, 0.5), torch.optim.lr_scheduler.StepLR(theirs, 2, 0.5)
    ps = ours.params
    pt = [p for g in theirs.param_groups for p in g["params"]]
    for _ in range(6):
        ours.zero_grad(), theirs.zero_grad()
        ((ps[0] * ps[0]).sum() + (ps[1] * 3.0).sum()).backward()
        ((pt[0] * pt[0]).sum() + (pt[1] * 3.0).sum()).backward()
        ours.step(), theirs.step()
        s_ours.step(), s_theirs.step()
    for a, b in zip(ps, pt):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10)


def test_scheduler_state_dict_resumes():
    opt = tl.optim.SGD([tl.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    sched = S.CosineAnnealingLR(opt, T_max=8)
    for _ in range(3):
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    straight = []
    for _ in range(5):
        sched.step()
        straight.append(sched.get_last_lr())

    opt2 = tl.optim.SGD([tl.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    sched2 = S.CosineAnnealingLR(opt2, T_max=8)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    resumed = []
    for _ in range(5):
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == straight
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: expected the keys .* another scheduler"):
        S.StepLR(opt2, 2).load_state_dict(saved)


def test_lambda_state_dict_leaves_out_the_function():
    opt = tl.optim.SGD([tl.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    sched = S.LambdaLR(opt, lambda e: 0.5 ** e)
    sched.step()
    assert "lr_lambdas" not in sched.state_dict() and sched.get_last_lr() == [0.5]


@pytest.mark.parametrize("make,match", [
    (lambda o: S.StepLR(o, step_size=0), r"StepLR: step_size must be an int >= 1, got 0"),
    (lambda o: S.StepLR(o, step_size=2.5), r"StepLR: step_size must be an int >= 1, got 2.5"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), r"CosineAnnealingLR: T_max must be an int >= 1"),
    (lambda o: S.ExponentialLR(o, gamma=float("nan")), r"ExponentialLR: gamma must be a finite number"),
    (lambda o: S.LambdaLR(o, [lambda e: 1.0] * 2), r"LambdaLR: expected 1 lr_lambdas"),
    (lambda o: S.LambdaLR(o, 0.5), r"LambdaLR: lr_lambda must be a function"),
    (lambda o: S.StepLR("opt", 2), r"StepLR: expected a tl.optim optimizer, got str"),
    (lambda o: S.StepLR(o, 2, last_epoch=4), r"StepLR: param_groups\[0\] has no 'initial_lr'"),
    (lambda o: S.StepLR(o, 2).step(3), r"StepLR.step: takes no epoch"),
])
def test_bad_arguments_are_refused_clearly(make, match):
    opt = tl.optim.SGD([tl.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    with pytest.raises((ValueError, TypeError, KeyError), match=match):
        make(opt)
