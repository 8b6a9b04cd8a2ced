"""The tasks of Hochreiter & Schmidhuber (1997): each generator's layout and statistics as
the paper defines them, each success criterion on outputs made to pass and to fail, and a
short end-to-end run in which an LSTM meets the paper's stopping rule."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.app import paper
from tinygrad_lstm.app.cli import main
from tinygrad_lstm.tasks import paper1997 as P


def rng(seed=0):
    return np.random.default_rng(seed)


def test_embedded_reber_strings_follow_the_grammar():
    strings = P.embedded_reber(2000, generator=rng())
    assert all(s[0] == "B" and s[-1] == "E" and s[1] in "TP" and s[-2] == s[1] for s in strings)
    assert all(s[2] == "B" and s[-3] == "E" and len(s) >= 9 for s in strings)
    assert 0.45 < np.mean([s[1] == "T" for s in strings]) < 0.55
    # the shortest inner strings, BTXSE and BPVVE, each have probability 1/8
    assert 0.22 < np.mean([len(s) == 9 for s in strings]) < 0.28
    assert P.reber_follow("BTBTSSXXTVVETE") == ["TP", "B", "TP", "SX", "SX", "SX", "XS", "TV",
                                                "TV", "PV", "E", "T", "E"]
    with pytest.raises(ValueError, match="not an embedded Reber string"):
        P.reber_follow("BTBTSSXXTVVEPE")      # the outer symbols differ
    with pytest.raises(ValueError, match="not an embedded Reber string"):
        P.reber_follow("BTBTTSXSETE")         # T cannot follow T at the start


def test_reber_encoding_and_criterion():
    strings = ["BTBPVVETE", "BPBTSSXXTVVEPE"]
    x, follow, mask = P.encode_reber(strings)
    assert x.shape == follow.shape == (13, 2, 7) and mask.shape == (13, 2)
    np.testing.assert_array_equal(mask.numpy().sum(axis=0), [8, 13])
    assert "".join(P.REBER_SYMBOLS[i] for i in x.numpy()[:8, 0].argmax(-1)) == "BTBPVVET"
    f = follow.numpy()
    assert f[-2, 1, P.REBER_SYMBOLS.index("P")] == 1 and f[-2, 1].sum() == 1   # remember P
    perfect = f * 2.0 - 1.0
    assert P.reber_correct(perfect, f, mask.numpy()).all()
    wrong = perfect.copy()
    wrong[-2, 1] = -perfect[-2, 1]                  # T predicted where only P may come
    np.testing.assert_array_equal(P.reber_correct(wrong, f, mask.numpy()), [True, False])
    padding_noise = perfect.copy()
    padding_noise[10:, 0] = 5.0                     # past the end of the short string: ignored
    assert P.reber_correct(padding_noise, f, mask.numpy()).all()


def test_adding_1997_layout_and_statistics():
    x, y = P.adding_1997(4000, 100, generator=rng())
    steps = x.shape[0]
    assert 100 <= steps <= 110 and x.shape == (steps, 4000, 2) and y.shape == (4000, 1)
    values, markers = x.numpy()[..., 0], x.numpy()[..., 1]
    assert values.min() >= -1 and values.max() <= 1
    marked = markers == 1.0
    assert (marked.sum(axis=0) == 2).all()
    first = marked.argmax(axis=0)
    second = steps - 1 - marked[::-1].argmax(axis=0)
    assert first.max() <= 9 and second.max() <= 49          # one of the first ten; first T/2
    assert (markers[-1] == -1).all()
    assert ((markers[0] == -1) | marked[0]).all()           # the first pair: -1 unless marked
    assert (values[0, marked[0]] == 0).all()                # a marked first pair counts 0
    assert set(np.unique(markers[1:-1])) <= {0.0, 1.0}
    np.testing.assert_allclose(0.5 + (values * marked).sum(axis=0) / 4, y.numpy()[:, 0], atol=1e-6)
    assert y.numpy().min() >= 0 and y.numpy().max() <= 1
    lengths = {P.adding_1997(1, 100, generator=rng(s))[0].shape[0] for s in range(200)}
    assert lengths == set(range(100, 111))
    assert P.adding_1997(3, 1000, length=1042)[0].shape == (1042, 3, 2)
    with pytest.raises(ValueError, match="length must lie in"):
        P.adding_1997(3, 100, length=120)
    with pytest.raises(ValueError, match="min_len >= 20"):
        P.adding_1997(3, 10)


def test_adding_1997_criterion():
    y = np.array([[0.5], [0.2], [0.9]])
    np.testing.assert_array_equal(P.adding_1997_correct(y + [[0.039], [-0.039], [0.041]], y),
                                  [True, True, False])


@pytest.mark.parametrize("relevant", [2, 3])
def test_temporal_order_layout_and_classes(relevant):
    x, y = P.temporal_order(3000, relevant, generator=rng())
    steps = x.shape[0]
    assert 100 <= steps <= 110 and x.shape == (steps, 3000, 8) and y.shape == (3000,)
    seq = x.numpy().argmax(axis=-1)
    assert (x.numpy().sum(axis=-1) == 1).all()
    assert (seq[0] == 0).all() and (seq[-1] == 1).all()           # E ... B
    relevant_at = seq >= 6
    assert (relevant_at.sum(axis=0) == relevant).all()
    for k, (low, high) in enumerate(P.ORDER_POSITIONS[relevant]):
        where = np.sort(np.nonzero(relevant_at.T)[1].reshape(3000, relevant), axis=1)[:, k] + 1
        assert where.min() == low and where.max() == high
    bits = seq.T[relevant_at.T].reshape(3000, relevant) - 6       # X = 0, Y = 1, in order
    np.testing.assert_array_equal(bits @ (2 ** np.arange(relevant - 1, -1, -1)), y.numpy())
    counts = np.bincount(y.numpy(), minlength=2 ** relevant) / 3000
    assert counts.min() > 0.5 / 2 ** relevant
    assert ((seq[1:-1] >= 2) | relevant_at[1:-1]).all()           # a..d everywhere else


def test_temporal_order_criterion():
    probs = np.array([[0.75, 0.1, 0.1, 0.05], [0.6, 0.4, 0.0, 0.0], [0.1, 0.1, 0.1, 0.7]])
    np.testing.assert_array_equal(P.temporal_order_correct(probs, np.array([0, 0, 0])),
                                  [True, False, False])


def test_long_lag_layout_and_criterion():
    x, y = P.long_lag(500, 10, generator=rng())
    assert x.shape == (10, 500, 11) and y.shape == (10, 500)
    seq = x.numpy().argmax(axis=-1)
    assert set(seq[0]) == {9, 10}                                 # x or y first
    assert 0.4 < (seq[0] == 9).mean() < 0.6
    np.testing.assert_array_equal(seq[1:], np.repeat(np.arange(9)[:, None], 500, axis=1))
    np.testing.assert_array_equal(y.numpy()[-1], seq[0])          # the last is the first
    np.testing.assert_array_equal(y.numpy()[:-1], seq[1:])
    probs = np.eye(11)[y.numpy()] * 0.8 + 0.02
    assert P.long_lag_correct(probs, y.numpy()).all()
    probs[-1, 0] = 1.0 / 11                                       # unsure of the last symbol
    assert not P.long_lag_correct(probs, y.numpy())[0] and P.long_lag_correct(probs, y.numpy())[1:].all()


def test_tasks_are_reproducible_from_a_seed():
    for draw in (lambda g: P.adding_1997(4, 40, generator=g)[0],
                 lambda g: P.temporal_order(4, 3, generator=g)[0],
                 lambda g: P.encode_reber(P.embedded_reber(4, generator=g))[0]):
        np.testing.assert_array_equal(draw(rng(3)).numpy(), draw(rng(3)).numpy())


def test_an_lstm_meets_the_stopping_rule_on_a_short_long_lag_task():
    result = paper.run_paper("longlag", "lstm", seq_len=10, hidden=32, lr=0.01,
                             max_sequences=20_000, seed=0)
    assert result.solved and result.test_wrong == 0 and result.test_size == 10_000
    assert result.sequences < 20_000


def test_paper_command_reports_the_run(capsys):
    assert main(["paper", "longlag", "--seq-len", "5", "--hidden", "8", "--lr", "0.05",
                 "--max-sequences", "64"]) == 0
    out = capsys.readouterr().out
    assert "noise-free long lag, p = 5" in out and "training sequences" in out
    assert "the paper's LSTM" in out and "of 10,000 sequences wrong" in out
    for wrong, says in ((["order", "--seq-len", "5"], "order takes --symbols"),
                        (["adding", "--seq-len", "10"], "at least 20")):
        with pytest.raises(SystemExit) as exit_:
            main(["paper", *wrong])
        assert exit_.value.code == 2 and says in capsys.readouterr().err
