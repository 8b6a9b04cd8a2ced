"""The demo: the quick configuration end to end, and the full command's wiring (the full
run takes about 50 s on two busy cores, so it is timed by hand, not here)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from tinygrad_lstm.app import cli, demo  # noqa: E402
from tinygrad_lstm.app import experiments as ex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = ("lstm-cell", "lstm-ops", "rnn-ops")


def _viz_ready() -> bool:
    try:
        from tinygrad_lstm import viz  # noqa: F401
        import graphviz  # noqa: F401
        import pygraphviz  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    printed = []
    files = demo.run_demo(out=out / "demo-out", quick=True, echo=printed.append)
    return out / "demo-out", files, "\n".join(printed)


def test_quick_demo_writes_plots_and_report(quick_run):
    out, files, printed = quick_run
    for name in ("gradient-flow", "loss-curves"):
        assert files[name] == out / f"{name}.png"
        assert files[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.txt").read_text()
    for kind in ("lstm", "rnn"):
        row = next(line for line in report.splitlines() if line.startswith(kind + " "))
        mse = float(row.split()[-2])
        assert 0.0 < mse < 1.0
    assert "Predicting the mean scores an MSE of\n0.1667" in report
    assert "forget gates start with bias 1 (--forget-bias)" in report   # said, not hidden
    assert "forget gates start with bias 1 (--forget-bias)" in " ".join(printed.split())
    for path in files.values():          # it prints where everything went
        assert str(path) in printed


@pytest.mark.skipif(not _viz_ready(), reason="tl.viz with graphviz and pygraphviz is needed")
def test_quick_demo_draws_the_graphs(quick_run):
    out, files, _ = quick_run
    for name in GRAPHS:
        root = ET.parse(out / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
    cell = (out / "lstm-cell.svg").read_text()
    assert "lstm.weight_hh_l0" in cell and "t=0" in cell
    ops = (out / "lstm-ops.svg").read_text()
    for op in ("concat", "matmul", "split", "sigmoid", "tanh", "mul"):
        assert op in ops
    assert "rnn.weight_hh_l0" in (out / "rnn-ops.svg").read_text()
    explorer = (out / "lstm-explorer.html").read_text()      # the explorer, beside the SVGs
    assert explorer.startswith("<!DOCTYPE html>") and "lstm.weight_hh_l0" in explorer


def test_demo_without_graphviz_still_reports(tmp_path, monkeypatch):
    def no_viz(*args, **kwargs):
        raise ImportError("tl.viz needs graphviz: pip install 'tinygrad-lstm[viz]'")
    monkeypatch.setattr(demo, "draw_graphs", no_viz)
    files = demo.run_demo(out=tmp_path, quick=True, echo=lambda text: None)
    assert "graphs skipped" in files["report"].read_text()
    assert not list(tmp_path.glob("*.svg"))


def test_gradient_flow_is_seeded_and_vanishes_in_the_rnn():
    """The measurement the demo plots: repeatable, and the RNN's gradient shrinks going back."""
    task = ex.make_task("adding", 30)

    def flow(kind):
        gen = np.random.default_rng(3)
        model = ex.SequenceModel(kind, 2, 8, 1, generator=gen, dtype="float64")
        x, y = task.batch(4, gen, None)
        x, y = x.double(), y.double()
        return ex.gradient_flow(model, x, y)
    rnn, again = flow("rnn"), flow("rnn")
    np.testing.assert_array_equal(rnn["h"], again["h"])
    assert rnn["h"][0] < 1e-3 * rnn["h"][-1]
    lstm = flow("lstm")
    assert set(lstm) == {"h", "c"} and np.isnan(lstm["c"][-1])


def test_full_demo_command_wiring(monkeypatch, capsys):
    """`tinygrad-lstm demo` (what `make demo` runs) reaches run_demo with the full defaults."""
    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda **kwargs: seen.update(kwargs))
    assert cli.main(["demo"]) == 0
    assert seen == dict(out="demo-out", quick=False, steps=None, backend="numpy", seed=0,
                        forget_bias=1.0)
    assert demo.DemoConfig().steps == demo.FULL_STEPS and demo.DemoConfig().seq_len == 50
    assert re.search(r"^demo: .*\n\t.*tinygrad-lstm demo$", (ROOT / "Makefile").read_text(), re.M)


def test_demo_flags_reach_the_run(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda **kwargs: seen.update(kwargs))
    cli.main(["demo", "--quick", "--out", str(tmp_path), "--steps", "7", "--seed", "2",
              "--forget-bias", "none"])
    assert seen == dict(out=str(tmp_path), quick=True, steps=7, backend="numpy", seed=2,
                        forget_bias=None)
