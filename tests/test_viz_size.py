"""Pictures sized for reading: shown at most 800 px wide (the docs' content width), the
smallest label of the default view of each of five graphs is at least 8 px tall, and each
multi-step picture still shows at least three steps.

Measured from the rendered SVG: the picture is shown at its natural width (1 pt = 4/3 px)
or shrunk to 800 px when wider; every text's font size (in viewBox units, times the SVG's
own scale) is scaled the same way. Run as a script to print the numbers:
    python tests/test_viz_size.py
"""
from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_lstm as tl
from viz_examples import nn_loss

pytest.importorskip("graphviz")
pytest.importorskip("pygraphviz")

SVG = "{http://www.w3.org/2000/svg}"
WIDTH_PX = 800
SMALLEST_PX = 8.0


def lstm_50_cell_grads():
    """The demo's headline, drawn as the demo draws it: an LSTM (composed, hidden 32) and a
    readout at every step on the adding problem, 50 steps, two sequences, in cell view
    shaded by gradient norm, with its title."""
    from tinygrad_lstm.app import experiments as ex
    rng = np.random.default_rng(0)
    model = ex.SequenceModel("lstm", 2, 32, 1, forget_bias=1.0, fused=False, generator=rng)
    task = ex.make_task("adding", 50)
    x, y = task.batch(2, rng, "numpy")
    loss = task.loss(model(x)[0], y)
    title = "trained LSTM, cell view, 50 steps (middle steps elided), shaded by gradient norm"
    return loss, dict(view="cell", grads=True, title=title), model


GRAPHS = {
    "50-step LSTM, cell view, gradients": lstm_50_cell_grads,
    "5-step LSTM, op view": lambda: (nn_loss("lstm", steps=5)[0], dict(view="op"), None),
    "2-layer LSTM, cell view": lambda: (nn_loss("lstm", steps=12, layers=2)[0], dict(view="cell"), None),
    "5-step GRU, op view": lambda: (nn_loss("gru", steps=5)[0], dict(view="op"), None),
    "5-step RNN, op view": lambda: (nn_loss("rnn", steps=5)[0], dict(view="op"), None),
}


def measure(svg: str, width_px: int = WIDTH_PX) -> dict:
    """The SVG's size (pt), the width it is shown at, the smallest label there (px), and
    the steps whose labels (t=3) it shows."""
    root = ET.fromstring(svg)
    box = [float(v) for v in root.get("viewBox").split()]
    natural_px = float(root.get("width").removesuffix("pt")) * 96 / 72
    shown = min(width_px, natural_px)
    group = root.find(f"{SVG}g")
    m = re.search(r"scale\(([\d.]+)", group.get("transform", "")) if group is not None else None
    scale = (float(m.group(1)) if m else 1.0) * shown / box[2]
    texts = [t for t in root.iter(f"{SVG}text") if (t.text or "").strip()]
    steps = {int(m.group(1)) for t in texts if (m := re.fullmatch(r"t=(\d+)", t.text.strip()))}
    return {"width": box[2], "height": box[3], "shown": shown,
            "smallest": min(float(t.get("font-size")) for t in texts) * scale, "steps": steps}


def rendered(name: str) -> dict:
    loss, options, _keep = GRAPHS[name]()
    svg = tl.viz.layout(tl.viz.draw(loss, **options).source, "svg").decode("utf-8")
    return measure(svg)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_default_view_is_readable_at_800_px(name):
    size = rendered(name)
    assert size["smallest"] >= SMALLEST_PX, (name, size)
    assert len(size["steps"]) >= 3, (name, size)


def test_measure_scales_fonts_to_the_width_shown():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="1600pt" height="100pt" '
           'viewBox="0.00 0.00 1600.00 100.00"><g transform="scale(1 1)">'
           '<text font-size="10.00">t=1</text><text font-size="20.00">big</text></g></svg>')
    size = measure(svg)
    assert size["shown"] == 800 and size["smallest"] == pytest.approx(5.0) and size["steps"] == {1}
    narrow = svg.replace('width="1600pt"', 'width="300pt"')
    assert measure(narrow)["smallest"] == pytest.approx(10.0 * 400 / 1600)


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    for graph in GRAPHS:
        s = rendered(graph)
        print(f"{graph:38s} {s['width']:6.0f} x {s['height']:5.0f} pt, shown {s['shown']:4.0f} px "
              f"wide: smallest label {s['smallest']:4.1f} px, {len(s['steps'])} steps")
