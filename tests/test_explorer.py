"""The explorer (tl.viz.render(out, "graph.html")): one self-contained page whose backward
pass adds each weight's gradient up term by term to exactly the engine's .grad; opened in
a real browser (the system's chromium, driven by playwright) where one is installed."""
from __future__ import annotations

import base64
import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pygraphviz")

import tinygrad_lstm as tl  # noqa: E402
from tinygrad_lstm.app import experiments as ex  # noqa: E402
from tinygrad_lstm.app.cli import main as cli_main  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def terms(weight: dict) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(weight["values"]), dtype=np.float32)
    return values.reshape(len(weight["terms"]), *weight["shape"])


def lstm_page(tmp_path, steps=3, fused=False, name="graph.html"):
    loss, model = ex.graph_loss("lstm", steps=steps, fused=fused)
    path = tl.viz.render(loss, tmp_path / name)
    loss.backward()
    return Path(path), dict(model.named_parameters())


def test_the_page_is_one_self_contained_file(tmp_path):
    path, _ = lstm_page(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") >= 4   # every view
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]*\bsrc=|@import|url\(", text)
    # the only addresses are XML namespaces, which nothing fetches
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_the_same_run_gives_the_same_bytes(tmp_path):
    first, _ = lstm_page(tmp_path, name="a.html")
    second, _ = lstm_page(tmp_path, name="b.html")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("fused", [False, True], ids=["composed", "fused"])
def test_each_weight_is_the_sum_of_its_terms(tmp_path, fused):
    path, params = lstm_page(tmp_path, steps=4, fused=fused)
    data = page_data(path)
    assert data["events"] and not data["note"]
    for weight in data["weights"]:
        grad = params[weight["name"]].grad.numpy()
        np.testing.assert_allclose(np.reshape(weight["final"], grad.shape), grad, rtol=1e-6)
        np.testing.assert_allclose(terms(weight).sum(axis=0), grad, rtol=1e-5, atol=1e-7)
    counts = {w["name"]: len(w["terms"]) for w in data["weights"]}
    # composed: one term per step (BPTT's sum over time); fused: the scan's VJP sums inside
    assert counts["lstm.weight_hh_l0"] == (1 if fused else 4)
    assert counts["head.weight"] == 1


def test_a_loop_written_by_hand_gets_one_term_per_step(tmp_path):
    x = tl.tensor(np.arange(6.0).reshape(2, 3) / 6, requires_grad=True)
    w = tl.tensor(np.eye(3) / 2, requires_grad=True)
    h = x
    for t in range(3):
        with tl.scope(step=t):
            h = tl.tanh(h @ w)
    data = page_data(Path(tl.viz.render(h.sum(), tmp_path / "loop.html")))
    terms = data["weights"][1]["terms"]
    steps = [data["rows"][8 * data["events"][event][0] + 2] for event, _, _ in terms]
    assert steps == [2, 1, 0]                # backward meets the last use first
    h.sum().backward()
    assert np.isclose(terms[-1][2], np.linalg.norm(w.grad.numpy()), rtol=1e-3)


def test_a_graph_already_backpropagated_shows_forward_and_says_why(tmp_path):
    loss, _ = ex.graph_loss("rnn", steps=2)
    loss.backward()
    data = page_data(Path(tl.viz.render(loss, tmp_path / "rnn.html")))
    assert not data["events"] and "before calling backward" in data["note"]


def test_jupyter_shows_the_explorer_of_the_drawn_view(tmp_path, monkeypatch):
    loss, _ = ex.graph_loss("gru", steps=2)
    graph = tl.viz.draw(loss, view="cell")
    shown = graph._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;svg" in shown
    assert "<svg" in graph._repr_svg_()
    pictures = page_data(Path(tl.viz.render(graph, tmp_path / "g.html")))["pictures"]
    assert [p["view"] for p in pictures] == ["cell"]      # the drawn view, as drawn
    monkeypatch.setattr(tl.viz.explorer, "NOTEBOOK_RECORDS", 10)
    assert graph._repr_html_() is None       # too big for a notebook: the SVG alone
    monkeypatch.undo()
    del loss
    assert graph._repr_html_() is None       # outputs gone: the SVG alone is shown
    with pytest.raises(ValueError, match="pass the tensor itself"):
        tl.viz.render(graph, tmp_path / "gone.html")


def test_cli_writes_the_explorer(tmp_path, capsys):
    out = tmp_path / "lstm.html"
    assert cli_main(["render", "lstm", "--steps", "3", "--grads", "-o", str(out)]) == 0
    assert page_data(out)["events"]


@pytest.fixture(scope="module")
def long_page(tmp_path_factory):
    """A 1,000-step LSTM's explorer (made once: the size and the browser test share it)."""
    return lstm_page(tmp_path_factory.mktemp("long"), steps=1000, name="long.html")


def test_a_1000_step_lstm_stays_under_5_mb(long_page):
    path, _ = long_page
    assert path.stat().st_size < 5_000_000
    data = page_data(path)
    # the steps no picture draws are stepped through one time step at a time
    merged = [k for k in range(0, len(data["rows"]), 8) if data["strings"][data["rows"][k]] == "step"]
    assert len(merged) == 1000 - 32
    assert 1000 < len(data["events"]) < 2000
    w_hh = next(w for w in data["weights"] if w["name"] == "lstm.weight_hh_l0")
    assert len(w_hh["terms"]) == 1000 and w_hh["values"] is None     # norms only, past 1 MB


def test_gates_and_states_show_the_values_a_trace_kept(tmp_path):
    lstm = tl.nn.LSTM(2, 3, fused=False, generator=np.random.default_rng(0))
    x = tl.tensor(np.random.default_rng(1).standard_normal((4, 2, 2)).astype("float32"))
    loss = lstm(x)[0].sum()
    data = page_data(Path(tl.viz.render(loss, tmp_path / "values.html",
                                        values=tl.viz.trace(lstm, x))))
    shown = [data["strings"][k] for k in data["values"].values()]
    f0 = tl.viz.trace(lstm, x).get("f")[0]
    assert f"f: min {f0.min():.3g}, mean {f0.mean():.3g}" in shown[1]
    assert sum(text.startswith("h: ") for text in shown) == 4       # one h per step


def test_source_lines_are_shown_where_anomaly_mode_kept_them(tmp_path):
    lstm = tl.nn.LSTM(2, 3, fused=False, generator=np.random.default_rng(0))
    x = tl.tensor(np.ones((2, 1, 2), dtype="float32"))
    with tl.detect_anomaly():
        loss = lstm(x)[0].sum()
    data = page_data(Path(tl.viz.render(loss, tmp_path / "where.html")))
    wheres = {data["strings"][k] for k in data["rows"][7::8] if k >= 0}
    assert wheres and all("test_explorer.py" in w for w in wheres)


# ---- in a browser --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                   "(pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    with sync_api.sync_playwright() as play:
        try:
            chromium = play.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as err:     # a browser that cannot start here is a skip, with why
            pytest.skip(f"chromium did not start: {str(err).splitlines()[0]}")
        yield chromium
        chromium.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    start = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.explorerReady === true", timeout=10_000)
    return page, errors, time.perf_counter() - start


def shown_gradient(page, name: str, shape) -> np.ndarray:
    cells = page.locator(f'table.grid[data-name="{name}"] td')
    return np.array([float(v) for v in cells.evaluate_all(
        "cells => cells.map(c => c.dataset.value)")]).reshape(shape)


def test_stepping_through_backward_ends_at_the_engines_grad(browser, tmp_path):
    path, params = lstm_page(tmp_path, steps=3)
    page, errors, _ = open_page(browser, path)
    total = len(page_data(path)["events"])
    page.click("#next")                 # the button, then the key, one record at a time
    for _ in range(total - 1):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#pos").startswith(f"backward: {total} / {total}")
    for name in ("lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_hh_l0", "head.weight"):
        grad = params[name].grad.numpy()
        np.testing.assert_allclose(shown_gradient(page, name, grad.shape), grad,
                                   rtol=1e-5, atol=1e-7)
    assert "3 of 3 terms added" in page.inner_text("#weights")
    page.click("#views button[data-view=cell]")
    page.click("#mode-forward")
    for _ in range(20):          # the first records prepare the weights, drawn in no node
        page.click("#next")
        if page.locator("svg .node.current").count():
            break
    assert page.locator("svg .node.current").count() == 1
    assert "computes" in page.inner_text("#event")
    assert errors == []


def test_a_1000_step_lstm_opens_in_under_2_s(browser, long_page):
    path, params = long_page
    page, errors, seconds = open_page(browser, path)
    assert seconds < 2.0, f"the 1,000-step explorer took {seconds:.2f} s to open"
    page.click("#next-step")
    page.click("#end")
    grad = params["lstm.weight_hh_l0"].grad.numpy()
    np.testing.assert_allclose(shown_gradient(page, "lstm.weight_hh_l0", grad.shape), grad,
                               rtol=1e-5, atol=1e-7)
    page.click("#expand")
    assert page.locator("svg .node").count() > 0
    assert errors == []


def test_the_notebook_display_runs_in_its_iframe(browser, tmp_path):
    loss, _ = ex.graph_loss("lstm", steps=3)
    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body>" + tl.viz.draw(loss, view="cell")._repr_html_()
                    + "</body></html>", encoding="utf-8")
    frame, errors = open_page_frame(browser, host)
    frame.click("#next")
    assert frame.locator("svg .node.current").count() == 1 and errors == []


def open_page_frame(browser, path: Path):
    """A page holding the explorer in an iframe, as Jupyter shows it: the explorer's frame."""
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(path.resolve().as_uri())
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_function("window.explorerReady === true", timeout=10_000)
    return frame, errors
