"""Learning: an LSTM solves the adding problem at T=100, and a vanilla RNN of the same size,
trained with the same budget, does not. Runs examples/adding_lstm_vs_rnn.py's training."""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "adding_lstm_vs_rnn.py"


def _example():
    spec = importlib.util.spec_from_file_location("adding_lstm_vs_rnn", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_lstm_solves_the_adding_problem_and_the_rnn_does_not():
    example = _example()
    budget = dict(seq_len=100, hidden=16, batch=64, iterations=1000, lr=0.03, seed=0)
    start = time.perf_counter()
    lstm = example.train("lstm", **budget)
    rnn = example.train("rnn", **budget)
    print(f"\nadding problem T=100: LSTM {lstm:.4f}, RNN {rnn:.4f} held-out MSE "
          f"({time.perf_counter() - start:.0f} s)")
    assert lstm < 0.01                 # solved (predicting the mean scores ~0.167)
    assert rnn > 0.1                   # the RNN is still near the mean
    assert rnn > 10 * lstm
