"""Optimizers against torch.optim, step by step in float64, and their in-place contract."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.03, weight_decay=0.5)),
]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((6, 3))


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=lambda c: str(c))
def test_optimizer_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    w0, b0, x = _problem()
    ours = [tl.tensor(w0, requires_grad=True), tl.tensor(b0, requires_grad=True)]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt_s = getattr(tl.optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs)
    xs, xt = tl.tensor(x), torch.tensor(x)
    for _ in range(5):
        opt_s.zero_grad()
        opt_t.zero_grad()
        (tl.tanh(xs @ ours[0] + ours[1]) ** 2).sum().backward()
        (torch.tanh(xt @ theirs[0] + theirs[1]) ** 2).sum().backward()
        opt_s.step()
        opt_t.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(ours[0].numpy() - w0).max() > 1e-3   # it moved


def test_step_is_in_place_and_bumps_versions():
    lin = tl.nn.Linear(3, 1, dtype="float64")
    weight = lin.weight
    opt = tl.optim.SGD(lin.parameters(), lr=0.5)
    x = tl.tensor(np.ones((2, 3)))
    loss = lin(x).sum()
    loss.backward()
    before = weight.numpy()
    opt.step()
    assert lin.weight is weight                      # same object, new values
    np.testing.assert_allclose(weight.numpy(), before - 0.5 * weight.grad.numpy())
    y = lin(x).sum()
    opt.step()                                       # modify after the forward pass
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_zero_grad_and_parameters_without_grad():
    a = tl.tensor(np.ones(2), requires_grad=True)
    b = tl.tensor(np.ones(2), requires_grad=True)
    opt = tl.optim.Adam([a, b], lr=0.1)
    (a * 2.0).sum().backward()
    opt.step()                                       # b has no gradient: left alone
    np.testing.assert_array_equal(b.numpy(), np.ones(2))
    assert a.numpy()[0] < 1.0
    opt.zero_grad()
    assert a.grad is None


def test_optimizer_on_backend(backend):
    m = tl.nn.LSTM(2, 3, backend=backend)
    opt = tl.optim.AdamW(m.parameters(), lr=0.1)
    out, _ = m(tl.tensor(np.ones((2, 1, 2)), dtype="float32", backend=backend))
    out.sum().backward()
    before = m.weight_hh_l0.numpy()
    opt.step()
    assert m.weight_hh_l0.backend is tl.get_backend(backend)
    assert m.weight_hh_l0.backend.dtype_name(m.weight_hh_l0.dtype) == "float32"
    assert not np.array_equal(before, m.weight_hh_l0.numpy())


# ---- param_groups, state_dict, safety ------------------------------------------------
def _loss(params, x):
    return (tl.tanh(x @ params[0] + params[1]) ** 2).sum()


def _torch_loss(params, x):
    import torch
    return (torch.tanh(x @ params[0] + params[1]) ** 2).sum()


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("Adam", dict(lr=0.01, betas=(0.8, 0.9)))])
def test_param_groups_own_hyper_parameters_and_lr_changes_take_effect(name, kwargs):
    torch = pytest.importorskip("torch")
    w0, b0, x = _problem(1)
    ours = [tl.tensor(w0, requires_grad=True), tl.tensor(b0, requires_grad=True)]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt_s = getattr(tl.optim, name)([{"params": [ours[0]]}, {"params": ours[1], "lr": 0.003}], **kwargs)
    opt_t = getattr(torch.optim, name)([{"params": [theirs[0]]}, {"params": theirs[1], "lr": 0.003}], **kwargs)
    assert [len(g["params"]) for g in opt_s.param_groups] == [1, 1]
    assert opt_s.param_groups[1]["lr"] == 0.003 and opt_s.param_groups[0]["lr"] == kwargs["lr"]
    shared = set(opt_t.param_groups[0]) & set(opt_s.param_groups[0])
    assert shared == set(opt_s.param_groups[0])          # every key we keep, torch keeps too
    xs, xt = tl.tensor(x), torch.tensor(x)
    for step in range(6):
        if step == 3:
            for opt in (opt_s, opt_t):
                opt.param_groups[0]["lr"] *= 0.1
        opt_s.zero_grad(), opt_t.zero_grad()
        _loss(ours, xs).backward(), _torch_loss(theirs, xt).backward()
        opt_s.step(), opt_t.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_lr_zero_in_a_group_freezes_it():
    a, b = tl.tensor([1.0, 2.0], requires_grad=True), tl.tensor([3.0], requires_grad=True)
    opt = tl.optim.SGD([a, b], lr=0.5)
    opt.param_groups[0]["lr"] = 0.0
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def _train(opt, params, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, x).backward()
        opt.step()


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=lambda c: str(c))
def test_resume_from_state_dict_gives_the_same_trajectory(name, kwargs):
    w0, b0, x = _problem(2)
    x = tl.tensor(x)
    straight = [tl.tensor(w0, requires_grad=True), tl.tensor(b0, requires_grad=True)]
    _train(getattr(tl.optim, name)(straight, **kwargs), straight, x, 6)

    first = [tl.tensor(w0, requires_grad=True), tl.tensor(b0, requires_grad=True)]
    opt = getattr(tl.optim, name)(first, **kwargs)
    _train(opt, first, x, 3)
    saved = opt.state_dict()
    weights = [p.numpy() for p in first]
    _train(opt, first, x, 2)                      # the saved dict must not follow these steps
    resumed = [tl.tensor(w, requires_grad=True) for w in weights]
    opt2 = getattr(tl.optim, name)(resumed, **kwargs)
    opt2.load_state_dict(saved)
    _train(opt2, resumed, x, 3)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_is_a_copy_both_ways():
    p = tl.tensor(np.ones(3), requires_grad=True)
    opt = tl.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"} and saved["param_groups"][0]["params"] == [0]
    buf = saved["state"][0]["momentum_buffer"]
    assert isinstance(buf, np.ndarray)
    buf[...] = 100.0                                  # editing the saved dict changes nothing
    assert np.all(opt.state[p]["momentum_buffer"] == 2.0)
    opt.load_state_dict(saved)
    buf[...] = -1.0                                   # nor after loading it
    assert np.all(opt.state[p]["momentum_buffer"] == 100.0)
    saved["param_groups"][0]["lr"] = 7.0
    assert opt.param_groups[0]["lr"] == 0.1


def test_load_torch_state_dict_and_continue_like_torch():
    torch = pytest.importorskip("torch")
    w0, b0, x = _problem(3)
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt_t = torch.optim.Adam(theirs, lr=0.05, weight_decay=0.1)
    for _ in range(3):
        opt_t.zero_grad()
        _torch_loss(theirs, torch.tensor(x)).backward()
        opt_t.step()
    saved = opt_t.state_dict()
    as_arrays = {"param_groups": saved["param_groups"],
                 "state": {k: {n: v.numpy() for n, v in s.items()} for k, s in saved["state"].items()}}
    ours = [tl.tensor(p.detach().numpy(), requires_grad=True) for p in theirs]
    opt_s = tl.optim.Adam(ours, lr=1.0)
    opt_s.load_state_dict(as_arrays)
    assert opt_s.param_groups[0]["lr"] == 0.05 and opt_s.param_groups[0]["weight_decay"] == 0.1
    assert "amsgrad" not in opt_s.param_groups[0]     # switched-off torch options are dropped
    for _ in range(3):
        opt_t.zero_grad()
        _torch_loss(theirs, torch.tensor(x)).backward()
        opt_t.step()
    _train(opt_s, ours, tl.tensor(x), 3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert set(opt_s.state_dict()["state"][0]) == set(saved["state"][0])


def _stepped(name="Adam", **kwargs):
    params = [tl.tensor(np.ones((2, 3)), requires_grad=True), tl.tensor(np.ones(3), requires_grad=True)]
    opt = getattr(tl.optim, name)(params, lr=0.1, **kwargs)
    (params[0].sum() + (params[1] * params[1]).sum()).backward()
    opt.step()
    return opt, params


def test_load_state_dict_refuses_mismatches_and_changes_nothing():
    opt, params = _stepped()
    good = opt.state_dict()
    before = opt.state_dict()

    def refuses(saved, match):
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict(saved)
        after = opt.state_dict()
        assert after["param_groups"] == before["param_groups"]
        for k in before["state"]:
            for n in ("exp_avg", "exp_avg_sq"):
                np.testing.assert_array_equal(after["state"][k][n], before["state"][k][n])

    refuses({"state": {}}, r"Adam.load_state_dict: expected a dict with 'state' and 'param_groups'")
    refuses(dict(good, param_groups=good["param_groups"] * 2),
            r"the saved state has 2 parameter group\(s\), this optimizer has 1")
    refuses(dict(good, param_groups=[dict(good["param_groups"][0], params=[0])]),
            r"saved group 0 has 1 parameters, this optimizer's has 2")
    swapped = {"state": {0: good["state"][1], 1: good["state"][0]}, "param_groups": good["param_groups"]}
    refuses(swapped, r"parameter 0's 'exp_avg' has shape \(3,\) but the parameter has shape \(2, 3\)")
    refuses(dict(good, state={**good["state"], 5: {}}), r"an entry for parameter 5, which no saved group lists")
    partial = {0: {"exp_avg": good["state"][0]["exp_avg"]}, 1: good["state"][1]}
    refuses(dict(good, state=partial), r"the state of parameter 0 has \['exp_avg'\]; Adam keeps")
    refuses(dict(good, param_groups=[dict(good["param_groups"][0], amsgrad=True)]),
            r"saved group 0 sets amsgrad=True, which Adam does not implement")
    sgd, _ = _stepped("SGD", momentum=0.9)
    refuses(sgd.state_dict(), r"saved group 0 lacks \['betas', 'eps'\]")
    text = {0: dict(good["state"][0], exp_avg=np.full((2, 3), "x")), 1: good["state"][1]}
    refuses(dict(good, state=text), r"parameter 0's 'exp_avg' must hold real numbers")


def test_momentum_buffer_owns_its_array():
    """p.grad.zero_() after step() must not wipe the momentum (it aliased the gradient)."""
    torch = pytest.importorskip("torch")
    ours = tl.tensor(np.array([1.0, -2.0]), requires_grad=True)
    theirs = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt_s = tl.optim.SGD([ours], lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD([theirs], lr=0.1, momentum=0.9)
    for _ in range(4):
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        opt_s.step(), opt_t.step()
        ours.grad.zero_()                            # zero_grad(set_to_none=False), in place
        theirs.grad.zero_()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(opt_s.state[ours]["momentum_buffer"],
                               opt_t.state[theirs]["momentum_buffer"].numpy(), rtol=1e-12)


def test_zero_grad_set_to_none_false_keeps_zeroed_gradients():
    p = tl.tensor(np.ones(2), requires_grad=True)
    opt = tl.optim.SGD([p], lr=0.1)
    (p * 3.0).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


def test_duplicate_parameters_are_refused():
    """torch warns for a repeat inside one group (and steps it twice) and raises across
    groups; both are refused here, since a repeat is never what the user meant."""
    p = tl.tensor(np.ones(2), requires_grad=True)
    q = tl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: parameter 2 appears twice in one group"):
        tl.optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: some parameters appear in more than one parameter group"):
        tl.optim.Adam([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    torch = pytest.importorskip("torch")
    t = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        torch.optim.SGD([t, t], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        torch.optim.SGD([{"params": [t]}, {"params": [t]}], lr=0.1)


@pytest.mark.parametrize("make,match", [
    (lambda p: tl.optim.SGD(p, lr=-0.1), r"SGD: lr must be a finite number >= 0, got -0.1"),
    (lambda p: tl.optim.SGD(p, lr=float("nan")), r"SGD: lr must be a finite number >= 0, got nan"),
    (lambda p: tl.optim.SGD(p, lr=0.1, momentum=-1), r"SGD: momentum must be a finite number >= 0"),
    (lambda p: tl.optim.Adam(p, betas=(0.9, 1.0)), r"Adam: betas must be two numbers in \[0, 1\)"),
    (lambda p: tl.optim.Adam(p, eps=-1e-8), r"Adam: eps must be a finite number >= 0"),
    (lambda p: tl.optim.AdamW([{"params": p, "weight_decay": -1}]), r"AdamW: weight_decay must be"),
    (lambda p: tl.optim.SGD(p[0], lr=0.1), r"SGD: params must be an iterable of Tensors or of dicts"),
    (lambda p: tl.optim.SGD(set(p), lr=0.1), r"SGD: parameters must come in an ordered collection"),
    (lambda p: tl.optim.SGD([("w", p[0])], lr=0.1), r"got tuple; pass model.parameters\(\), not named_parameters"),
    (lambda p: tl.optim.SGD([p[0] * 2], lr=0.1), r"parameter 0 must be a leaf .*computed by an op \(not a leaf\)"),
])
def test_bad_arguments_are_refused_clearly(make, match):
    params = [tl.tensor(np.ones(2), requires_grad=True)]
    with pytest.raises((ValueError, TypeError), match=match):
        make(params)


def test_step_closure_and_params_property():
    p = tl.tensor(np.ones(2), requires_grad=True)
    q = tl.tensor(np.ones(1), requires_grad=True)
    opt = tl.optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.5)
    assert opt.params == [p, q]

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 2.0
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])
