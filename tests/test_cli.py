"""The command line: every subcommand runs on a tiny configuration, and every bad argument
exits non-zero with a one-line reason."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lstm.app import cli
from tinygrad_lstm.app import experiments as ex

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from conftest import CUPY_READY  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--steps", "3", "--batch", "4"]


def run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_help_lists_every_command(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in ("train", "sample", "gradflow", "render", "bench", "demo"):
        assert command in out


@pytest.mark.parametrize("command", ["train", "sample", "gradflow", "render", "bench", "demo"])
def test_each_command_has_help(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0 and "usage: tinygrad-lstm" in out


BAD = [
    ([], "required"),
    (["fly"], "invalid choice"),
    (["train"], "required: task"),
    (["train", "poetry"], "invalid choice"),
    (["train", "adding", "--steps", "0"], "--steps: must be a positive integer, got '0'"),
    (["train", "adding", "--steps", "-3"], "positive integer"),
    (["train", "adding", "--steps", "many"], "positive integer"),
    (["train", "adding", "--lr", "fast"], "--lr: must be a positive number"),
    (["train", "adding", "--lr", "-0.1"], "positive number"),
    (["train", "adding", "--lr", "nan"], "positive number"),
    (["train", "adding", "--model", "transformer"], "invalid choice"),
    (["train", "adding", "--hidden", "0"], "positive integer"),
    (["train", "adding", "--seed", "-1"], "integer >= 0"),
    (["train", "adding", "--backend", "tpu"], "invalid choice"),
    (["train", "adding", "--seq-len", "1"], "at least 2"),
    (["train", "adding", "--save", "model.pt"], "--save must end with .npz"),
    (["train", "adding", "--plot", "loss.txt"], "--plot must end with"),
    (["train", "adding", "--text", "story.txt"], "only for the text task"),
    (["train", "text", "--text", "no-such-file.txt"], "cannot read"),
    (["sample", "missing.npz"], "no checkpoint at 'missing.npz'"),
    (["sample", "notes.txt"], "must end with .npz"),
    (["sample", "missing.npz", "--temperature", "0"], "positive number"),
    (["gradflow", "--models", "lstm", "cnn"], "invalid choice"),
    (["gradflow", "--models", "rnn", "--forget-bias", "1"], "add lstm to --models"),
    (["gradflow", "-o", "flow.txt"], "--output must end with"),
    (["gradflow", "--seq-len", "1"], "at least 2"),
    (["render", "transformer"], "invalid choice"),
    (["render", "lstm", "--steps", "0"], "positive integer"),
    (["render", "lstm", "--view", "3d"], "invalid choice"),
    (["render", "rnn", "--steps", "2", "-o", "graph.txt"], "cannot tell the format"),
    (["demo", "--steps", "0"], "positive integer"),
    (["demo", "--unknown"], "unrecognized arguments"),
]


@pytest.mark.parametrize("argv, reason", BAD, ids=[" ".join(a) or "(none)" for a, _ in BAD])
def test_bad_arguments_exit_with_one_line(argv, reason, capsys):
    code, out, err = run(argv, capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tinygrad-lstm") and "error:" in lines[0]
    assert reason in lines[0]


@pytest.mark.skipif(CUPY_READY, reason="a GPU is here, so --backend cupy is valid")
@pytest.mark.parametrize("command", [["demo", "--quick"], ["train", "adding"], ["gradflow"]])
def test_cupy_without_a_gpu_is_a_clear_error(command, capsys):
    code, _, err = run(command + ["--backend", "cupy"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "--backend cupy is not available" in err


def test_console_script_reports_in_one_line():
    """The real entry point (a fresh interpreter), not just main()."""
    result = subprocess.run([sys.executable, "-m", "tinygrad_lstm.app.cli", "train", "adding",
                             "--steps", "zero"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("tinygrad-lstm train: error: argument --steps: must be a "
                                     "positive integer, got 'zero'")


def test_train_adding_writes_plot_and_checkpoint(in_tmp, capsys):
    code, out, err = run(["train", "adding", "--seq-len", "6", "--hidden", "4", *TINY,
                          "--save", "adding.npz"], capsys)
    assert code == 0, err
    assert "loss on a fresh batch" in out and "loss-adding-lstm.png" in out
    assert (in_tmp / "loss-adding-lstm.png").stat().st_size > 1000
    model, config = ex.load_checkpoint(in_tmp / "adding.npz")
    assert config["task"] == "adding" and config["hidden"] == 4 and model.kind == "lstm"
    assert "loss" in err   # the progress bar shows the loss


@pytest.mark.parametrize("model", ["rnn", "gru"])
def test_train_copy_other_models_and_layers(model, capsys):
    code, out, err = run(["train", "copy", "--model", model, "--layers", "2", "--seq-len", "3",
                          "--hidden", "4", *TINY, "--plot", "copy.svg"], capsys)
    assert code == 0, err
    assert Path("copy.svg").read_text().lstrip().startswith("<?xml")


def test_train_text_then_sample(in_tmp, capsys):
    code, _, err = run(["train", "text", "--seq-len", "8", "--hidden", "8", *TINY,
                        "--save", "chars.npz"], capsys)
    assert code == 0, err
    code, out, err = run(["sample", "chars.npz", "--length", "40", "--prime", "The "], capsys)
    assert code == 0, err
    text = out.rstrip("\n")
    assert text.startswith("The ") and len(text) == 44
    again = run(["sample", "chars.npz", "--length", "40"], capsys)[1]
    assert again == out      # seeded: the same text twice
    code, _, err = run(["sample", "chars.npz", "--prime", "\u2603"], capsys)
    assert code == 2 and "unknown characters" in err


def test_train_text_on_own_file(in_tmp, capsys):
    (in_tmp / "tiny.txt").write_text("abracadabra " * 20)
    code, out, err = run(["train", "text", "--text", "tiny.txt", "--seq-len", "5", "--hidden",
                          "4", *TINY, "--save", "abra.npz"], capsys)
    assert code == 0, err
    _, config = ex.load_checkpoint("abra.npz")
    assert config["vocab"] == " abcdr"


def test_sample_refuses_a_model_of_another_task(capsys):
    run(["train", "adding", "--seq-len", "4", "--hidden", "4", *TINY, "--save", "a.npz"], capsys)
    code, _, err = run(["sample", "a.npz"], capsys)
    assert code == 2 and "'adding' task" in err


def test_sample_refuses_a_plain_npz(capsys):
    np.savez("plain.npz", w=np.zeros(3))
    code, _, err = run(["sample", "plain.npz"], capsys)
    assert code == 1 and "not a checkpoint" in err


def test_gradflow_prints_table_and_plots(capsys):
    code, out, err = run(["gradflow", "--models", "rnn", "lstm", "gru", "--seq-len", "12",
                          "--hidden", "4", "--batch", "2", "-o", "flow.png"], capsys)
    assert code == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:5]}
    assert set(rows) == {"rnn", "lstm", "gru"} and all(len(v) == 3 for v in rows.values())
    assert Path("flow.png").stat().st_size > 1000


def test_gradflow_after_training(capsys):
    code, out, err = run(["gradflow", "--models", "lstm", "--seq-len", "6", "--hidden", "4",
                          "--train-steps", "2", "--forget-bias", "1.0"], capsys)
    assert code == 0, err
    assert "after 2 updates" in out


def test_bench_runs_the_script_with_its_arguments(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda argv: calls.append(argv) or 0)
    assert run(["bench", "--", "--sizes", "tiny"], capsys)[0] == 0
    assert calls[0][1] == str(ROOT / "benchmarks" / "bench_lstm.py")
    assert calls[0][2:] == ["--sizes", "tiny"]


def test_bench_outside_a_checkout_says_so(monkeypatch, capsys):
    monkeypatch.setattr(cli, "find_bench_script", lambda: None)
    code, _, err = run(["bench"], capsys)
    assert code == 2 and "source tree" in err


def test_missing_cli_extra_names_it(monkeypatch, capsys):
    """Without tqdm/matplotlib the command says which extra to install."""
    import builtins
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    code, _, err = run(["train", "adding", "--seq-len", "4", "--steps", "1"], capsys)
    assert code == 1 and "tinygrad-lstm[cli]" in err


def test_package_imports_without_cli_extras():
    code = ("import sys; sys.modules['tqdm'] = None; sys.modules['matplotlib'] = None; "
            "import tinygrad_lstm as tl, tinygrad_lstm.app.cli, tinygrad_lstm.app.demo, "
            "tinygrad_lstm.app.experiments; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
