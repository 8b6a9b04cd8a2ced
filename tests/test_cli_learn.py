"""The trace, truncation and exercise commands: tiny runs write what they say, bad
arguments are refused in one line (exit 2), and `exercise check` exits 0 only on a pass."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli as run

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", ["trace", "truncation", "exercise"])
def test_help(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0 and out.startswith(f"usage: tinygrad-lstm {command}")
    assert command in run(["--help"], capsys)[1]


def test_trace_writes_its_plots_and_the_recording(tmp_path, capsys):
    code, out, err = run(["trace", "--seq-len", "12", "--hidden", "4", "--out", "t"], capsys)
    assert code == 0, err
    for name in ("gates", "saturation", "memory", "lags"):
        assert (tmp_path / "t" / f"{name}.png").exists()
        assert (tmp_path / "t" / f"{name}.json").exists()
    recording = json.loads((tmp_path / "t" / "trace.json").read_text())
    assert recording["kind"] == "lstm" and recording["steps"] == 12
    assert len(recording["layers"]["l0"]["f"][0]) == 4
    lags = json.loads((tmp_path / "t" / "lags.json").read_text())["series"]
    assert set(lags) == {"rnn", "gru", "lstm"} and lags["rnn"][0] == 1.0
    assert "memory horizon" in out and "||dh_T/dh_t||" in out


def test_trace_of_an_rnn_has_no_gate_plots(tmp_path, capsys):
    code, _, err = run(["trace", "--model", "rnn", "--seq-len", "6", "--hidden", "3",
                        "--out", "r"], capsys)
    assert code == 0, err
    assert (tmp_path / "r" / "gates.png").exists()
    assert not (tmp_path / "r" / "saturation.png").exists()
    assert not (tmp_path / "r" / "memory.png").exists()


def test_truncation_draws_and_measures(tmp_path, capsys):
    pytest.importorskip("graphviz")
    code, out, err = run(["truncation", "--seq-len", "10", "--hidden", "4", "--ks", "2", "5",
                          "10", "--graph", "6", "2", "4", "--out", "tr"], capsys)
    assert code == 0, err
    assert (tmp_path / "tr" / "truncation-error.png").exists()
    svg = (tmp_path / "tr" / "truncation-graph.svg").read_text()
    assert "cut" in svg and "#d62728" in svg
    series = json.loads((tmp_path / "tr" / "truncation-error.json").read_text())["series"]
    assert series["rnn k"] == [2, 5, 10] and series["lstm cosine"][-1] == pytest.approx(1.0)
    assert "rnn cosine" in out and "lstm error" in out


@pytest.mark.parametrize("argv,words", [
    (["truncation", "--k1", "3", "--ks", "4"], "multiple of it"),
    (["truncation", "--seq-len", "5", "--ks", "9"], "longer than --seq-len"),
    (["truncation", "--graph", "8", "3", "4"], "K2 must be a multiple of K1"),
    (["trace", "--seq-len", "1"], "--seq-len"),
    (["trace", "--model", "transformer"], "invalid choice"),
    (["exercise", "check", "0"], "must be an integer"),
    (["exercise", "check", "9"], "no exercise 9"),
    (["exercise", "check", "1", "--dir", "nowhere"], "is not a folder"),
    (["exercise"], "required"),
])
def test_bad_arguments_are_refused_in_one_line(argv, words, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


def test_exercise_list_and_check(capsys):
    code, out, _ = run(["exercise", "list"], capsys)
    assert code == 0 and out.startswith("1. the VJPs") and "5. truncated BPTT" in out
    code, out, _ = run(["exercise", "check", "2", "--dir", str(ROOT / "examples" / "exercises")],
                       capsys)
    assert code == 1 and "todo  rnn_forward" in out
    code, out, _ = run(["exercise", "check", "2", "--dir", str(ROOT / "tests" / "exercise_solutions")],
                       capsys)
    assert code == 0 and "passed. Next: exercise 3" in out
