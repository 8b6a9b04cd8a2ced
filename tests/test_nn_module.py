"""Modules: registration, names and paths, scope tags on records, state dicts, modes,
seeding, dtypes and backends, Linear and Dropout, save/load."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm import tape


class Model(tl.nn.Module):
    def __init__(self, fused=True):
        super().__init__()
        self.lstm = tl.nn.LSTM(2, 3, bidirectional=True, fused=fused, dtype="float64")
        self.head = tl.nn.Linear(6, 1, dtype="float64")

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1])


class Outer(tl.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = Model()


def test_root_names_and_pytorch_keys():
    lstm = tl.nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    keys = [k for k, _ in lstm.named_parameters()]
    expected = [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
                for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert keys == expected
    assert lstm.path == "lstm"
    assert [p.name for p in lstm.parameters()] == [f"lstm.{k}" for k in expected]
    assert lstm.weight_ih_l1.shape == (12, 6) and lstm.weight_hh_l0.shape == (12, 3)


def test_attaching_renames_everything_below():
    model = Outer()
    keys = [k for k, _ in model.named_parameters()]
    assert keys[0] == "enc.lstm.weight_ih_l0" and keys[-1] == "enc.head.bias"
    assert model.enc.lstm.weight_hh_l0.name == "enc.lstm.weight_hh_l0"
    assert model.enc.lstm.path == "enc.lstm"
    assert [n for n, _ in model.named_modules()] == ["", "enc", "enc.lstm", "enc.head"]
    assert list(model.enc.state_dict())[0] == "lstm.weight_ih_l0"


def test_parameters_are_leaves_that_require_grad():
    for p in Model().parameters():
        assert isinstance(p, tl.nn.Parameter) and p.is_leaf and p.requires_grad


def _records(out):
    return tape.reachable([out._node])


@pytest.mark.parametrize("fused", [True, False])
def test_every_op_of_a_step_carries_its_scope_and_step(fused):
    model = Model(fused=fused)
    x = tl.tensor(np.random.default_rng(0).standard_normal((4, 2, 2)), requires_grad=True)
    records = _records(model(x))
    scopes = {r.scope for r in records}
    # "" is Model.forward's own out[-1]: a container you write adds no scope of its own
    assert scopes == {"", "lstm", "lstm.l0", "lstm.l0_reverse", "head"}
    for direction in ("lstm.l0", "lstm.l0_reverse"):
        per_step = {}
        for r in records:
            if r.scope == direction and r.step is not None:
                per_step.setdefault(r.step, Counter())[r.op] += 1
        if fused:  # one scan record per layer and direction, tagged so the renderer expands it
            scans = [r for r in records if r.scope == direction]
            assert [(r.op, r.tags.get("scan")) for r in scans] == [("lstm_layer", "lstm")]
            continue
        assert sorted(per_step) == [0, 1, 2, 3]
        core = Counter({"getitem": 1, "concat": 1, "matmul": 1, "add": 2, "split": 1,
                        "sigmoid": 3, "tanh": 2, "mul": 3})
        for t, ops in per_step.items():
            assert ops == core, (direction, t, ops)
    assert all(r.step is None for r in records if r.scope in ("", "lstm", "head"))


def test_a_cell_called_directly_uses_its_path_and_the_callers_step():
    cell = tl.nn.LSTMCell(2, 3, dtype="float64")
    x = tl.tensor(np.ones((1, 2)))
    with tl.scope(step=5):
        h, c = cell(x)
    assert {(r.scope, r.step) for r in _records(h)} == {("lstmcell", 5)}
    with tl.scope("decoder"):
        out, h_n = tl.nn.RNN(2, 3, dtype="float64")(tl.tensor(np.ones((2, 1, 2))))
    assert {r.scope for r in _records(h_n)} == {"decoder.rnn", "decoder.rnn.l0"}


def test_state_dict_roundtrip_and_errors_name_the_key():
    a, b = tl.nn.GRU(2, 3, num_layers=2), tl.nn.GRU(2, 3, num_layers=2)
    state = a.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    b.load_state_dict(state)
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    with pytest.raises(KeyError, match="missing key.*weight_hh_l1"):
        b.load_state_dict({k: v for k, v in state.items() if k != "weight_hh_l1"})
    with pytest.raises(KeyError, match="unexpected key.*weight_hh_l2"):
        b.load_state_dict({**state, "weight_hh_l2": state["weight_hh_l1"]})
    with pytest.raises(ValueError, match="'bias_ih_l1' has shape \\(4,\\).*\\(9,\\)"):
        b.load_state_dict({**state, "bias_ih_l1": np.zeros(4)})
    missing, unexpected = b.load_state_dict({"weight_ih_l0": state["weight_ih_l0"], "x": 1}, strict=False)
    assert "bias_hh_l1" in missing and unexpected == ["x"]


def test_load_state_dict_is_all_or_nothing():
    m = tl.nn.LSTM(2, 3)
    before = m.state_dict()
    bad = {k: v + 1.0 for k, v in before.items()}
    bad["bias_hh_l0"] = np.zeros(5)  # the last key is wrong: nothing may change
    with pytest.raises(ValueError):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_zero_grad_and_train_eval():
    model = Outer()
    x = tl.tensor(np.ones((3, 1, 2)))
    model.enc(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not any(m.training for _, m in model.named_modules())
    model.train()
    assert all(m.training for _, m in model.named_modules())


def test_seeding_is_reproducible_and_follows_pytorch_bounds():
    tl.manual_seed(3)
    a = tl.nn.LSTM(2, 16)
    tl.manual_seed(3)
    b = tl.nn.LSTM(2, 16)
    c = tl.nn.LSTM(2, 16)
    d = tl.nn.LSTM(2, 16, generator=np.random.default_rng(3))
    e = tl.nn.LSTM(2, 16, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight_hh_l0.numpy(), b.weight_hh_l0.numpy())
    assert not np.array_equal(b.weight_hh_l0.numpy(), c.weight_hh_l0.numpy())
    np.testing.assert_array_equal(d.weight_hh_l0.numpy(), e.weight_hh_l0.numpy())
    w = a.weight_hh_l0.numpy()
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24   # U(-1/sqrt(16), 1/sqrt(16))
    lin = tl.nn.Linear(100, 3, generator=np.random.default_rng(0)).weight.numpy()
    assert np.abs(lin).max() <= 0.1 and np.abs(lin).max() > 0.09


def test_forget_bias_sets_the_total_forget_bias():
    m = tl.nn.LSTM(2, 3, num_layers=2, bidirectional=True, forget_bias=1.0)
    for k in ("l0", "l1", "l0_reverse", "l1_reverse"):
        total = getattr(m, f"bias_ih_{k}").numpy() + getattr(m, f"bias_hh_{k}").numpy()
        np.testing.assert_allclose(total[3:6], 1.0)
    cell = tl.nn.LSTMCell(2, 3, forget_bias=2.0)
    np.testing.assert_allclose(cell.bias_ih.numpy()[3:6], 2.0)
    np.testing.assert_allclose(cell.bias_hh.numpy()[3:6], 0.0)


def test_dtype_and_backend(backend):
    m = tl.nn.LSTM(2, 3, dtype="float64", backend=backend)
    bk = tl.get_backend(backend)
    assert all(p.backend is bk and bk.dtype_name(p.dtype) == "float64" for p in m.parameters())
    default = tl.nn.GRU(2, 3, backend=backend).weight_ih_l0
    assert bk.dtype_name(default.dtype) == "float32"
    x = tl.tensor(np.ones((3, 2, 2)), dtype="float64", backend=backend)
    out, (h, c) = m(x)
    assert out.backend is bk and out.shape == (3, 2, 3)
    out.sum().backward()
    assert m.weight_hh_l0.grad.backend is bk


def test_to_moves_parameters_and_keeps_names(backend):
    m = tl.nn.LSTM(2, 3).to(backend)
    assert m.weight_hh_l0.backend is tl.get_backend(backend)
    assert m.weight_hh_l0.name == "lstm.weight_hh_l0"
    assert isinstance(m.weight_hh_l0, tl.nn.Parameter)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(4, 3).double()
    ours = tl.nn.Linear(4, 3, dtype="float64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    xs, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xs) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-12)


def test_dropout_module():
    drop = tl.nn.Dropout(0.25, generator=np.random.default_rng(0))
    x = tl.tensor(np.ones((200, 50)), dtype="float64")
    y = drop(x).numpy()
    assert set(np.unique(y)) == {0.0, 1.0 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(drop.eval()(x).numpy(), x.numpy())


def test_save_and_load_npz(tmp_path):
    a, b = tl.nn.LSTM(2, 3, num_layers=2), tl.nn.LSTM(2, 3, num_layers=2)
    path = tmp_path / "model.npz"
    tl.save(a, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    arrays = tl.load(path, into=b)
    assert set(arrays) == set(a.state_dict())
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, a.state_dict()[k])


def test_load_never_unpickles_and_is_all_or_nothing(tmp_path):
    pickled = tmp_path / "evil.npz"
    np.savez(pickled, weight_ih_l0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        tl.load(pickled)
    m = tl.nn.LSTM(2, 3)
    before = m.state_dict()
    wrong = tmp_path / "wrong.npz"
    tl.save({**{k: v + 1 for k, v in before.items()}, "bias_hh_l0": np.zeros(2)}, wrong)
    with pytest.raises(ValueError, match="bias_hh_l0"):
        tl.load(wrong, into=m)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
