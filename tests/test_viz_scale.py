"""Long sequences: 100,000 steps to DOT under the default recursion limit, 10,000 steps to
a readable picture, and drawing every step of a long run."""
from __future__ import annotations

import gc
import re
import sys
import time

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm import viz

pytest.importorskip("graphviz")

DEFAULT_RECURSION_LIMIT = 1000


def rnn_loss(steps: int):
    """h_t = tanh(h_{t-1} W + x_t) for `steps` steps: three records a step. Built with the
    cyclic collector paused (it would rescan the growing graph over and over)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        W = tl.tensor(np.eye(2) * 0.5, requires_grad=True)
        W.name = "rnn.weight_hh_l0"
        x = tl.tensor(np.ones((1, 2)))
        h = tl.tensor(np.zeros((1, 2)))
        with tl.scope("rnn"), tl.scope("l0"):
            for t in range(steps):
                with tl.scope(step=t):
                    h = tl.tanh(h @ W + x)
        return (h * h).sum(), W
    finally:
        if was_enabled:
            gc.enable()


@pytest.fixture(scope="module")
def long_run():
    return rnn_loss(100_000)


@pytest.fixture
def default_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize("view", ["op", "cell", "layer"])
def test_100k_steps_to_dot_under_the_default_recursion_limit(long_run, view, default_recursion_limit):
    loss, _ = long_run
    start = time.perf_counter()
    source = viz.draw(loss, view=view).source
    seconds = time.perf_counter() - start
    print(f"\n100,000 steps, {view} view: {seconds:.2f} s, {len(source)} bytes of DOT")
    assert len(source) < 20_000
    if view != "layer":
        assert "t=4 ... t=99995" in source and "99992 steps elided" in source
        pattern = r"subgraph cluster_rnn_l0_t(\d+) \{" if view == "op" else r">t=(\d+)<"
        steps = sorted(int(t) for t in re.findall(pattern, source))
        assert steps == [0, 1, 2, 3, 99996, 99997, 99998, 99999]
        assert source.count('label="rnn.weight_hh_l0\\n(2, 2)"') == 1
    else:
        assert "rnn.l0\\n100000 steps, 300000 ops" in source


@pytest.fixture(scope="module")
def run_20k():
    return rnn_loss(20_000)


def test_gradient_view_of_20k_steps(run_20k, default_recursion_limit):
    loss, W = run_20k
    start = time.perf_counter()
    source = viz.draw(loss, view="cell", grads=True).source
    print(f"\n20,000 steps, cell view with gradients: {time.perf_counter() - start:.2f} s")
    assert "legend" in source and "grad 1.0e+00" in source
    assert W.grad is None                         # the renderer's own backward leaves .grad alone


def test_every_step_of_20k_steps(run_20k, default_recursion_limit):
    loss, _ = run_20k
    start = time.perf_counter()
    source = viz.draw(loss, view="cell", max_steps="all").source
    print(f"\n20,000 steps, every one drawn: {time.perf_counter() - start:.2f} s, "
          f"{len(source) >> 20} MiB of DOT")
    assert len(re.findall(r">t=\d+<", source)) == 20_000
    assert len(re.findall(r"PORT=\"o_h\"", source)) == 20_000
    assert source.count(":o_h:s -> ") == 19_999   # h_t into the next step
    assert source.count(":up_h:e -> ") == 1       # and the last one out, into the loss


def test_10k_steps_render_readably(tmp_path):
    pytest.importorskip("pygraphviz")
    loss, _ = rnn_loss(10_000)
    path = viz.render(loss, tmp_path / "rnn.svg", view="cell")
    text = path.read_text()
    assert "t=4 ... t=9995" in text and "9992 steps elided" in text
    assert text.count("<g id=\"clust") < 20
