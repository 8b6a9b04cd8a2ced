"""The tasks: shapes, the stated baselines, reproducibility, and the shipped corpus."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.tasks import CharDataset


def test_adding_problem_structure_and_mean_baseline():
    x, y = tl.tasks.adding_problem(4000, 100, generator=np.random.default_rng(0))
    assert x.shape == (100, 4000, 2) and y.shape == (4000, 1)
    values, markers = x.numpy()[..., 0], x.numpy()[..., 1]
    assert (markers.sum(axis=0) == 2).all()
    assert (markers[:50].sum(axis=0) == 1).all() and (markers[50:].sum(axis=0) == 1).all()
    np.testing.assert_allclose((values * markers).sum(axis=0), y.numpy()[:, 0], rtol=1e-6)
    baseline = float(((y.numpy() - 1.0) ** 2).mean())
    assert baseline == pytest.approx(1 / 6, abs=0.01)          # predicting the mean: ~0.17
    xb, _ = tl.tasks.adding_problem(3, 10, batch_first=True, dtype="float64")
    assert xb.shape == (3, 10, 2) and xb.dtype == np.float64


def test_tasks_are_reproducible_from_a_seed():
    a = tl.tasks.adding_problem(5, 20, generator=np.random.default_rng(7))[0].numpy()
    b = tl.tasks.adding_problem(5, 20, generator=np.random.default_rng(7))[0].numpy()
    np.testing.assert_array_equal(a, b)
    tl.manual_seed(1)
    c = tl.tasks.copy_task(3)[1].numpy()
    tl.manual_seed(1)
    np.testing.assert_array_equal(c, tl.tasks.copy_task(3)[1].numpy())


def test_copy_task_layout():
    x, y = tl.tasks.copy_task(6, length=5, delay=20, n_symbols=4, generator=np.random.default_rng(0))
    assert x.shape == (30, 6, 6) and y.shape == (30, 6)
    inputs = x.numpy().argmax(axis=-1)
    targets = y.numpy()
    np.testing.assert_array_equal(targets[25:], inputs[:5])       # the symbols come back
    assert (targets[:25] == 0).all() and (inputs[24] == 5).all()  # blank, then the delimiter
    assert (inputs[5:24] == 0).all() and (inputs[25:] == 0).all()
    assert ((inputs[:5] >= 1) & (inputs[:5] <= 4)).all()
    assert tl.tasks.copy_task_baseline(5, 20, 4) == pytest.approx(5 * np.log(4) / 30)
    xb, yb = tl.tasks.copy_task(2, length=3, delay=4, batch_first=True)
    assert xb.shape == (2, 10, 10) and yb.shape == (2, 10)


def test_char_dataset_on_the_shipped_corpus():
    assert "fables" in tl.tasks.corpus_names()
    text = tl.tasks.load_corpus()
    assert len(text) > 3000
    data = CharDataset(text, seq_len=16)
    assert data.decode(data.encode("the river")) == "the river"
    x, y = data.batch(5, generator=np.random.default_rng(0))
    assert x.shape == (16, 5, data.vocab_size) and y.shape == (16, 5)
    idx = x.numpy().argmax(axis=-1)
    np.testing.assert_array_equal(idx[1:], y.numpy()[:-1])        # targets are the next characters
    with pytest.raises(ValueError, match="no corpus"):
        tl.tasks.load_corpus("missing")


def test_char_dataset_from_any_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcabcabd", encoding="utf-8")
    data = CharDataset.from_file(path, seq_len=3)
    assert data.vocab == ["a", "b", "c", "d"] and len(data) == 6
    with pytest.raises(ValueError, match="not in the vocabulary"):
        data.encode("z")
    with pytest.raises(ValueError, match="fewer than seq_len"):
        CharDataset("ab", seq_len=5)


def test_a_char_lstm_learns_on_the_corpus():
    """A few Adam steps of next-character prediction bring the loss well below log(vocab)."""
    data = CharDataset(tl.tasks.load_corpus(), seq_len=20)
    gen = np.random.default_rng(0)
    lstm = tl.nn.LSTM(data.vocab_size, 32, generator=gen)
    head = tl.nn.Linear(32, data.vocab_size, generator=gen)
    opt = tl.optim.Adam(lstm.parameters() + head.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        x, y = data.batch(16, generator=gen)
        out, _ = lstm(x)
        loss = tl.nn.functional.cross_entropy(head(out).reshape(-1, data.vocab_size),
                                              y.numpy().reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 0.9 * np.log(data.vocab_size)
    assert np.mean(losses[-5:]) < 0.75 * losses[0]
