"""tl.nn.Embedding and nn.functional.embedding against torch: lookups, the scattered
gradient (repeated ids add up), padding_idx, initialisation, and errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl


def _pair(torch, padding_idx=None, rows=7, dim=3):
    ours = tl.nn.Embedding(rows, dim, padding_idx=padding_idx, dtype="float64")
    theirs = torch.nn.Embedding(rows, dim, padding_idx=padding_idx, dtype=torch.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("shape", [(5,), (2, 4), ()])
def test_embedding_matches_torch(padding_idx, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, padding_idx)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]
    rng = np.random.default_rng(sum(shape))
    ids = rng.integers(0, 7, size=shape)
    if ids.size:
        ids.flat[0] = ids.flat[-1] = 6            # a repeated id, and the padding row when -1
        ids.flat[len(ids.flat) // 2] = 2
    cotangent = rng.standard_normal(shape + (3,))
    out_s = ours(tl.tensor(ids, dtype="int64"))
    out_t = theirs(torch.tensor(ids))
    np.testing.assert_array_equal(out_s.numpy(), out_t.detach().numpy())
    (out_s * tl.tensor(cotangent)).sum().backward()
    (out_t * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-15)
    if padding_idx is not None:
        assert not ours.weight.grad.numpy()[padding_idx % 7].any()


def test_padding_row_starts_at_zero_and_keeps_its_value():
    emb = tl.nn.Embedding(5, 4, padding_idx=0, generator=np.random.default_rng(0))
    assert not emb.weight.numpy()[0].any() and emb.weight.numpy()[1:].all()
    emb.weight.data[0] = 3.0                     # a user-set padding vector is returned as is
    np.testing.assert_array_equal(emb(np.array([0, 0])).numpy(), np.full((2, 4), 3.0))


def test_init_is_standard_normal_and_seeded():
    w = tl.nn.Embedding(1000, 50, generator=np.random.default_rng(0)).weight.numpy()
    assert w.dtype == np.float32 and w.shape == (1000, 50)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1.0) < 0.01
    again = tl.nn.Embedding(1000, 50, generator=np.random.default_rng(0)).weight.numpy()
    np.testing.assert_array_equal(w, again)


def test_trains_with_an_lstm_on_token_ids():
    tl.manual_seed(0)
    emb, lstm, head = tl.nn.Embedding(5, 8), tl.nn.LSTM(8, 16), tl.nn.Linear(16, 5)
    opt = tl.optim.Adam(emb.parameters() + lstm.parameters() + head.parameters(), lr=0.05)
    ids = np.array([[0, 1, 2, 3, 4, 0, 1, 2]]).T          # (seq_len, batch=1)
    losses = []
    for _ in range(40):
        out, _ = lstm(emb(ids[:-1]))
        loss = tl.nn.functional.cross_entropy(head(out).reshape(-1, 5), ids[1:, 0])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_embedding_on_backend(backend):
    emb = tl.nn.Embedding(4, 2, backend=backend)
    out = emb(tl.tensor(np.array([[1, 3], [3, 3]]), dtype="int64", backend=backend))
    assert out.shape == (2, 2, 2) and out.backend is tl.get_backend(backend)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 1, 0, 3])


@pytest.mark.parametrize("call,error,match", [
    (lambda e: e(np.array([0.0, 1.0])), TypeError, r"embedding: indices must be integers, got dtype float64"),
    (lambda e: e(np.array([0, 7])), IndexError, r"embedding: index 7 is out of range for 7 embeddings; indices must lie in \[0, 7\)"),
    (lambda e: e(np.array([-1])), IndexError, r"embedding: index -1 is out of range"),
    (lambda e: tl.nn.Embedding(0, 3), ValueError, r"Embedding: num_embeddings must be a positive int, got 0"),
    (lambda e: tl.nn.Embedding(4, 2.5), ValueError, r"Embedding: embedding_dim must be a positive int, got 2.5"),
    (lambda e: tl.nn.Embedding(4, 2, padding_idx=4), ValueError, r"Embedding: padding_idx must be an int in \[-4, 4\)"),
    (lambda e: tl.nn.functional.embedding(np.array([0]), np.ones((2, 2))), TypeError, r"embedding: weight must be a 2-D Tensor"),
])
def test_errors_name_the_value_and_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call(tl.nn.Embedding(7, 3))


def test_repr_and_state_dict_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, padding_idx=1)
    assert repr(ours).startswith("Embedding(7, 3, padding_idx=1")
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(theirs.weight.detach().numpy(), ours.weight.numpy())
