"""The command line: every subcommand runs on a tiny configuration; every bad argument,
output path or checkpoint is refused before work starts, in one line on stderr with exit
status 2 and no traceback; the application alone imports argparse and tqdm."""
from __future__ import annotations

import ast
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.app import cli, plots
from tinygrad_lstm.app import experiments as ex

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from conftest import CUPY_READY, run_cli as run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--steps", "3", "--batch", "4"]
COMMANDS = ("train", "sample", "gradflow", "render", "bench", "demo")


def refused(argv, capsys) -> str:
    """Run argv, check it fails the way every refusal must, and return the one line."""
    code, _, err = run(argv, capsys)
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tinygrad-lstm") and "error:" in lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- help ------------------------------------------------------------------------------
def test_help_lists_every_command(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0 and "usage: tinygrad-lstm " + command in out


def _options(parser):
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            yield action
        for sub in getattr(action, "choices", None) or {}:
            if isinstance(action.choices, dict):
                yield from _options(action.choices[sub])


def test_every_option_shows_its_default():
    options = list(_options(cli.build_parser()))
    assert len(options) > 30
    for action in options:
        assert "default" in (action.help or ""), action.option_strings


@pytest.mark.parametrize("command", COMMANDS)
def test_help_text_has_no_unformatted_percent(command, capsys):
    assert "%%" not in run([command, "--help"], capsys)[1]


def test_bench_help_is_complete_and_shows_defaults(capsys):
    code, out, _ = run(["bench", "--help"], capsys)
    assert code == 0
    assert out.startswith("usage: tinygrad-lstm bench")
    for option in ("--sizes", "--repeats", "--gpu", "--no-memory"):
        assert option in out
    assert out.count("default") >= 4
    description = out.split("\n\n")[1]
    assert description.rstrip().endswith(".")          # not cut off mid-sentence


# ---- bad arguments ---------------------------------------------------------------------
BAD = [
    ([], "required"),
    (["fly"], "invalid choice"),
    (["train"], "required: task"),
    (["train", "poetry"], "invalid choice"),
    (["train", "adding", "--steps", "0"], "--steps: must be an integer from 1 to"),
    (["train", "adding", "--steps", "-3"], "--steps: must be an integer"),
    (["train", "adding", "--steps", "many"], "--steps: must be an integer"),
    (["train", "adding", "--seq-len", "8.0"], "--seq-len: must be an integer"),
    (["train", "adding", "--hidden", "4.5"], "--hidden: must be an integer"),
    (["train", "adding", "--lr", "fast"], "--lr: must be a finite number in (0, 1]"),
    (["train", "adding", "--lr", "-0.1"], "--lr: must be a finite number"),
    (["train", "adding", "--lr", "nan"], "--lr: must be a finite number"),
    (["train", "adding", "--lr", "1e308"], "--lr: must be a finite number"),
    (["train", "adding", "--lr", "inf"], "--lr: must be a finite number"),
    (["train", "adding", "--model", "transformer"], "invalid choice"),
    (["train", "adding", "--hidden", "0"], "--hidden: must be an integer from 1"),
    (["train", "adding", "--seed", "-1"], "--seed: must be an integer from 0"),
    (["train", "adding", "--backend", "tpu"], "invalid choice"),
    (["train", "adding", "--seq-len", "1"], "at least 2"),
    (["train", "adding", "--batch", "1000000000"], "--batch: must be an integer from 1 to"),
    (["train", "adding", "--batch", "1000000"], "--max-memory limit of 4 GiB"),
    (["train", "adding", "--hidden", "100000"], "--max-memory limit"),
    (["train", "adding", "--max-memory", "0"], "--max-memory: must be a finite number"),
    (["train", "adding", "--forget-bias", "nan"], "--forget-bias: must be a finite number"),
    (["train", "adding", "--model", "gru", "--forget-bias", "1"], "--model lstm"),
    (["train", "adding", "--save", "model.pt"], "--save must end with .npz"),
    (["train", "adding", "--plot", "loss.txt"], "--plot must end with"),
    (["train", "adding", "--plot", "no/such/folder/loss.png"], "--plot: the folder"),
    (["train", "adding", "--save", "no-folder/m.npz"], "--save: the folder 'no-folder'"),
    (["train", "adding", "--text", "story.txt"], "only for the text task"),
    (["train", "text", "--text", "no-such-file.txt"], "--text: cannot read"),
    (["train", "text", "--seq-len", "5000"], "too few for windows of --seq-len 5000"),
    (["train", "text", "--text", "/dev/zero"], "--text: cannot read '/dev/zero' (it is not a "
                                               "regular file)"),
    (["train", "text", "--text", ".", "--steps", "1"], "(it is a folder)"),
    (["train", "adding", "--plot", ""], "--plot must end with"),
    (["demo", "--out", ""], "--out needs a folder name"),
    (["sample", "missing.npz"], "no checkpoint at 'missing.npz'"),
    (["sample", "notes.txt"], "must end with .npz"),
    (["sample", "missing.npz", "--temperature", "0"], "--temperature: must be a finite number"),
    (["sample", "missing.npz", "--length", "-1"], "--length: must be an integer"),
    (["gradflow", "--models", "lstm", "cnn"], "invalid choice"),
    (["gradflow", "--models", "rnn", "--forget-bias", "1"], "add lstm to --models"),
    (["gradflow", "--forget-bias", "nan"], "--forget-bias: must be a finite number"),
    (["gradflow", "--forget-bias", "1e308"], "--forget-bias: must be a finite number"),
    (["gradflow", "-o", "flow.txt"], "--output must end with"),
    (["gradflow", "--seq-len", "1"], "--seq-len: must be an integer from 2"),
    (["gradflow", "--seq-len", "100000", "--batch", "1000"], "--max-memory limit"),
    (["render", "transformer"], "invalid choice"),
    (["render", "lstm", "--steps", "0"], "--steps: must be an integer"),
    (["render", "lstm", "--view", "3d"], "invalid choice"),
    (["render", "lstm", "--steps", "100000", "--hidden", "10000"], "--max-memory limit"),
    (["render", "rnn", "--steps", "2", "-o", "graph.txt"], "--output must end with"),
    (["demo", "--steps", "0"], "--steps: must be an integer"),
    (["demo", "--forget-bias", "inf"], "--forget-bias: must be a finite number"),
    (["demo", "--unknown"], "unrecognized arguments"),
    (["bench", "--sizes", "huge"], "unknown size"),
    (["bench", "--repeats", "0"], "--repeats: must be a positive integer"),
]


@pytest.mark.parametrize("argv, reason", BAD, ids=[" ".join(a) or "(none)" for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(argv, reason, capsys):
    assert reason in refused(argv, capsys)


@pytest.mark.parametrize("argv", [["train", "adding", "--steps", "0"], ["sample", "x.npz"]])
def test_main_exits_2_for_any_refusal(argv, capsys):
    """Bad options (argparse) and refusals found later end the same way for callers."""
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2


def test_output_paths_are_checked_before_training(monkeypatch, in_tmp, capsys):
    monkeypatch.setattr(ex, "train", lambda *a, **k: pytest.fail("trained before checking"))
    (in_tmp / "a-file").write_text("")
    (in_tmp / "folder.png").mkdir()
    cases = [(["--plot", "a-file/loss.png"], "--plot: the folder 'a-file' does not exist"),
             (["--plot", "folder.png"], "--plot: 'folder.png' is a folder"),
             (["--save", "/proc/model.npz"], "--save: cannot write to the folder '/proc'")]
    for extra, reason in cases:
        assert reason in refused(["train", "adding", *extra], capsys)
    assert "--out: 'a-file' exists and is not a folder" in refused(
        ["demo", "--out", "a-file"], capsys)


def test_a_plot_that_fails_after_training_keeps_the_model(monkeypatch, in_tmp, capsys):
    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(plots, "loss_curves", broken)
    code, _, err = run(["train", "adding", "--seq-len", "4", "--hidden", "4", *TINY,
                        "--save", "kept.npz"], capsys)
    assert code == 2 and "Traceback" not in err      # after the progress bar, one line:
    assert err.strip().splitlines()[-1] == "tinygrad-lstm train: error: disk full"
    model, config = ex.load_checkpoint(in_tmp / "kept.npz")
    assert config["hidden"] == 4


def test_a_diverged_run_is_an_error_not_a_success(monkeypatch, capsys):
    task = ex.make_task("adding", 4)
    poisoned = ex.Task(**{**task.__dict__, "loss": lambda out, y: task.loss(out, y) * np.nan})
    monkeypatch.setattr(ex, "make_task", lambda *args: poisoned)
    code, _, err = run(["train", "adding", "--seq-len", "4", "--steps", "5"], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("tinygrad-lstm train: error: training diverged: "
                                            "the loss is nan at update 1; try a smaller "
                                            "learning rate")


def test_interrupt_is_one_line(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(ex, "train", interrupted)
    code, _, err = run(["train", "adding", "--steps", "1"], capsys)
    assert code == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == "tinygrad-lstm train: interrupted"


@pytest.mark.skipif(CUPY_READY, reason="a GPU is here, so --backend cupy is valid")
@pytest.mark.parametrize("command", [["demo", "--quick"], ["train", "adding"], ["gradflow"]])
def test_cupy_without_a_gpu_is_a_clear_error(command, capsys):
    assert "--backend cupy is not available" in refused(command + ["--backend", "cupy"], capsys)


def test_console_script_reports_in_one_line():
    """The real entry point (a fresh interpreter), not just main()."""
    result = subprocess.run([sys.executable, "-m", "tinygrad_lstm.app.cli", "train", "adding",
                             "--steps", "zero"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("tinygrad-lstm train: error: argument --steps: must be an "
                                     "integer from 1 to 10,000,000, got 'zero'")


def test_console_script_is_the_app_cli():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'tinygrad-lstm = "tinygrad_lstm.app.cli:main"' in text
    assert '"tinygrad_lstm.app"' in text


# ---- hostile checkpoints ---------------------------------------------------------------
GOOD = dict(task="text", model="lstm", seq_len=8, hidden=4, layers=1, input_size=3,
            output_size=3, vocab="abc")
CONFIGS = [
    ([1, 2, 3], "must be a JSON object"),
    ({k: v for k, v in GOOD.items() if k != "hidden"}, "'hidden'"),
    ({**GOOD, "hidden": "8"}, "'hidden'"),
    ({**GOOD, "layers": 4.5}, "'layers'"),
    ({**GOOD, "layers": True}, "'layers'"),
    ({**GOOD, "hidden": 0}, "hidden=0, outside 1 to"),
    ({**GOOD, "hidden": 10 ** 7}, "hidden=10000000, outside 1 to"),
    ({**GOOD, "hidden": 100_000}, "--max-memory limit"),
    ({**GOOD, "model": "transformer"}, "model='transformer'"),
    ({**GOOD, "task": ["text"]}, "task"),
    ({**GOOD, "vocab": "ab"}, "vocabulary of 2 characters"),
    ({**GOOD, "vocab": 7}, "'vocab'"),
]


@pytest.mark.parametrize("config, reason", CONFIGS, ids=[r for _, r in CONFIGS])
def test_hostile_checkpoint_configs_are_one_line(config, reason, capsys):
    np.savez("c.npz", config=np.array(json.dumps(config)))
    line = refused(["sample", "c.npz"], capsys)
    assert reason in line and "c.npz" in line


@pytest.mark.parametrize("content, reason", [
    (b"not a zip file at all", "c.npz"),
    (b"PK\x03\x04" + b"\0" * 40, "c.npz"),
])
def test_damaged_checkpoint_files_are_one_line(content, reason, capsys):
    Path("c.npz").write_bytes(content)
    assert reason in refused(["sample", "c.npz"], capsys)


def test_checkpoint_config_entry_of_the_wrong_kind(capsys):
    np.savez("c.npz", config=np.arange(3.0))
    assert "'config'" in refused(["sample", "c.npz"], capsys)
    np.savez("c.npz", config=np.array("{not json"))
    assert "JSON" in refused(["sample", "c.npz"], capsys)
    np.savez("c.npz", w=np.zeros(3))
    assert "no 'config' entry" in refused(["sample", "c.npz"], capsys)


def test_checkpoint_with_wrong_weights_is_one_line(capsys):
    np.savez("c.npz", config=np.array(json.dumps(GOOD)), **{"model.head.weight": np.zeros(2)})
    line = refused(["sample", "c.npz"], capsys)
    assert "c.npz" in line


# ---- the commands at work --------------------------------------------------------------
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
    code, out, err = run(["train", "text", "--seq-len", "8", "--hidden", "8", *TINY,
                          "--forget-bias", "1", "--save", "chars.npz"], capsys)
    assert code == 0, err
    assert "loss on held-out text (the last tenth, never trained on)" in out
    code, out, err = run(["sample", "chars.npz", "--length", "40", "--prime", "The "], capsys)
    assert code == 0, err
    text = out.rstrip("\n")
    assert text.startswith("The ") and len(text) == 44
    again = run(["sample", "chars.npz", "--length", "40"], capsys)[1]
    assert again == out      # seeded: the same text twice
    assert "unknown characters" in refused(["sample", "chars.npz", "--prime", "\u2603"], capsys)


def test_text_task_holds_out_its_last_tenth():
    text = "ab" * 450 + "cd" * 50                       # the last tenth alone has c and d
    task = ex.make_task("text", 5, text)
    gen = np.random.default_rng(0)
    vocab = task.info["vocab"]
    seen = lambda x: {vocab[i] for i in x.numpy().argmax(-1).ravel()}  # noqa: E731
    assert seen(task.batch(64, gen, None)[0]) == {"a", "b"}
    assert seen(task.held_out(64, gen, None)[0]) <= {"c", "d"}
    assert ex.text_split(len(text), 5) == 900
    assert ex.text_split(20, 9) == 10 and ex.text_split(19, 9) is None


def test_sample_streams_its_output(in_tmp, monkeypatch, capsys):
    run(["train", "text", "--seq-len", "8", "--hidden", "8", *TINY, "--save", "c.npz"], capsys)
    model, config = ex.load_checkpoint("c.npz")
    stream = ex.sample_stream(model, config["vocab"], "The ", 10 ** 9)
    first = list(itertools.islice(stream, 5))           # a billion asked, five taken
    assert first[0] == "The " and len("".join(first)) == 8
    x = tl.tensor([2.0], requires_grad=True)     # a paused stream leaves recording on
    (x * x).sum().backward()
    assert x.grad.numpy()[0] == 4.0

    flushes = []
    monkeypatch.setattr(sys.stdout, "flush", lambda: flushes.append(1))
    assert cli.main(["sample", "c.npz", "--length", "300"]) == 0
    assert len(flushes) >= 4          # written as it goes, not once at the end


def test_train_text_on_own_file(in_tmp, capsys):
    (in_tmp / "tiny.txt").write_text("abracadabra " * 20)
    code, out, err = run(["train", "text", "--text", "tiny.txt", "--seq-len", "5", "--hidden",
                          "4", *TINY, "--save", "abra.npz"], capsys)
    assert code == 0, err
    _, config = ex.load_checkpoint("abra.npz")
    assert config["vocab"] == " abcdr"
    Path("binary.txt").write_bytes(b"\xff\xfe\x00" * 100)
    assert "as UTF-8 text" in refused(["train", "text", "--text", "binary.txt"], capsys)
    Path("big.txt").write_text("abc" * 20_000)            # 60 kB against a 1 MiB limit
    line = refused(["train", "text", "--text", "big.txt", "--max-memory", "0.001"], capsys)
    assert "--text 'big.txt'" in line and "--max-memory limit of 0.001 GiB" in line


def test_sample_refuses_a_model_of_another_task(capsys):
    run(["train", "adding", "--seq-len", "4", "--hidden", "4", *TINY, "--save", "a.npz"], capsys)
    assert "'adding' task" in refused(["sample", "a.npz"], capsys)


def test_gradflow_prints_table_and_plots(capsys):
    code, out, err = run(["gradflow", "--models", "rnn", "lstm", "gru", "--seq-len", "12",
                          "--hidden", "4", "--batch", "2", "-o", "flow.png"], capsys)
    assert code == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:5]}
    assert set(rows) == {"rnn", "lstm", "gru"} and all(len(v) == 3 for v in rows.values())
    assert Path("flow.png").stat().st_size > 1000


def test_gradflow_defaults_show_the_lstm_gradient_surviving(capsys):
    """The README's `gradflow --models rnn lstm --seq-len 200`, defaults otherwise (a smaller
    batch, for time): the LSTM's gradient reaches the first step, the RNN's does not."""
    parser = cli.build_parser()
    assert parser.parse_args(["gradflow"]).forget_bias == cli.GRADFLOW_FORGET_BIAS == 3.0
    code, out, err = run(["gradflow", "--models", "rnn", "lstm", "--seq-len", "200",
                          "--batch", "4"], capsys)
    assert code == 0, err
    assert "LSTM forget-gate bias 3 (--forget-bias)" in out.splitlines()[0]
    first = {line.split()[0]: float(line.split()[-1]) for line in out.splitlines()[2:4]}
    assert first["lstm"] > 1e-5 and first["rnn"] < 1e-30
    code, out, _ = run(["gradflow", "--models", "lstm", "--seq-len", "200", "--batch", "4",
                        "--forget-bias", "none"], capsys)
    assert code == 0 and float(out.splitlines()[2].split()[-1]) < 1e-20


def test_gradflow_after_training(capsys):
    code, out, err = run(["gradflow", "--models", "lstm", "--seq-len", "6", "--hidden", "4",
                          "--train-steps", "2", "--forget-bias", "1.0"], capsys)
    assert code == 0, err
    assert "after 2 updates" in out


# ---- bench: the script of a source checkout, its options taken directly ------------------
FAKE_BENCH = '''
def main(argv=None, prog=None, parser_class=None):
    print("bench got", argv, prog)
    return 0
'''


def test_bench_runs_the_script_with_its_options(monkeypatch, in_tmp, capsys):
    assert cli.find_bench_script() == ROOT / "benchmarks" / "bench_lstm.py"
    fake = in_tmp / "bench_lstm.py"
    fake.write_text(FAKE_BENCH)
    monkeypatch.setattr(cli, "find_bench_script", lambda: fake)
    code, out, _ = run(["bench", "--sizes", "tiny", "--no-memory"], capsys)
    assert code == 0
    assert out.strip() == "bench got ['--sizes', 'tiny', '--no-memory'] tinygrad-lstm bench"


def test_bench_outside_a_checkout_is_not_offered(monkeypatch, capsys):
    monkeypatch.setattr(cli, "find_bench_script", lambda: None)
    assert not re.search(r"^ +bench ", run(["--help"], capsys)[1], re.M)
    assert "needs a source checkout" in refused(["bench"], capsys)


# ---- extras, fonts and the layering of imports -----------------------------------------
def test_missing_cli_extra_names_it(monkeypatch, capsys):
    """Without tqdm/matplotlib the command says which extra to install."""
    import builtins
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    assert "tinygrad-lstm[cli]" in refused(["train", "adding", "--seq-len", "4", "--steps", "1"],
                                            capsys)


def test_package_imports_without_cli_extras():
    code = ("import sys; sys.modules['tqdm'] = None; sys.modules['matplotlib'] = None; "
            "import tinygrad_lstm as tl, tinygrad_lstm.app.cli, tinygrad_lstm.app.demo, "
            "tinygrad_lstm.app.experiments; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


NOISE = (b'Fontconfig warning: "/usr/share/fontconfig/conf.avail/05-reset-dirs-sample.conf", '
         b'line 6: unknown element "reset-dirs"\n')


def test_fontconfig_noise_is_dropped_and_nothing_else(capfd):
    with plots.quiet_fontconfig():
        os.write(2, NOISE + b"a warning the user caused\n")
        os.write(2, NOISE.replace(b"/usr/share/fontconfig/conf.avail", b"/home/me"))
    err = capfd.readouterr().err
    assert "/usr/share/fontconfig" not in err
    assert "a warning the user caused" in err
    assert err.count("reset-dirs") == 2 and "/home/me" in err    # not the system's: kept


def test_render_prints_no_fontconfig_warning(tmp_path):
    pytest.importorskip("pygraphviz")
    result = subprocess.run([sys.executable, "-m", "tinygrad_lstm.app.cli", "render", "lstm",
                             "--steps", "3", "-o", str(tmp_path / "g.png")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Each imported top-level module name, and whether the import sits inside a function."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name.split(".")[0], in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module.split(".")[0], in_function))
            visit(child, inner)
    visit(ast.parse(path.read_text()), False)
    return found


def test_argparse_tqdm_and_matplotlib_stay_in_the_application():
    """argparse and tqdm only under tinygrad_lstm/app; matplotlib there, or inside a
    function of viz (imported lazily by its own plotting code)."""
    sources = [p for folder in ("tinygrad_lstm", "ops", "backends")
               for p in (ROOT / folder).rglob("*.py")]
    assert any(p.parts[-2] == "app" for p in sources)
    for path in sources:
        in_app = "app" in path.relative_to(ROOT).parts[:2]
        in_viz = "viz" in path.relative_to(ROOT).parts[:2]
        for name, in_function in _imports(path):
            if name in ("argparse", "tqdm"):
                assert in_app, f"{path.relative_to(ROOT)} imports {name}"
            if name == "matplotlib":
                assert in_app or (in_viz and in_function), f"{path.relative_to(ROOT)} imports {name}"
