"""The committed figures in docs/img are what the pages' code makes now.

`make docs` runs every page that draws (docs/gen_figures.py). Here the same pages run
into a scratch folder and the results are compared with the committed files:

- SVG graphs by content, not bytes: the nodes, edges and clusters, their labels, colours
  and line widths. Coordinates are left out on purpose: they come from the Graphviz
  layout engine (a system `dot` or the one bundled with pygraphviz), whose version can
  move every node by a pixel without the graph changing.
- Plots by the numbers behind them (the .json each plot writes beside its .png), to
  within the 6 significant digits stored; PNG bytes depend on the matplotlib version and
  its fonts, so they are only required to exist.
"""
from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pygraphviz")

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
SVG = "{http://www.w3.org/2000/svg}"


def _gen_figures():
    spec = importlib.util.spec_from_file_location("gen_figures", ROOT / "docs" / "gen_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("figures")
    _gen_figures().make_figures(work)
    return work / "img"


def svg_content(path: Path) -> list[tuple]:
    """Every node, edge and cluster of a Graphviz SVG: its title, texts and styling."""
    items = []
    for group in ET.parse(path).getroot().iter(f"{SVG}g"):
        kind = group.get("class")
        if kind not in ("node", "edge", "cluster"):
            continue
        title = group.findtext(f"{SVG}title")
        texts = tuple(t.text or "" for t in group.iter(f"{SVG}text"))
        style = tuple(sorted((el.get("fill"), el.get("stroke"), el.get("stroke-width"))
                             for el in group.iter() if el.tag != f"{SVG}text"
                             and (el.get("fill") or el.get("stroke"))))
        items.append((kind, title, texts, style))
    return sorted(items, key=repr)


def plot_data(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_figure_is_made_and_committed(made):
    committed = sorted(p.name for p in IMG.iterdir())
    produced = sorted(p.name for p in made.iterdir())
    assert produced == committed, "docs/img differs from what the pages make: run `make docs`"


def test_graphs_match(made):
    for new in sorted(made.glob("*.svg")):
        old = IMG / new.name
        assert old.exists(), f"{new.name} is not committed: run `make docs`"
        assert svg_content(old) == svg_content(new), f"{new.name} is stale: run `make docs`"


def test_plots_match(made):
    plots = sorted(made.glob("*.json"))
    assert plots, "no plot data was made"
    for new in plots:
        assert new.with_suffix(".png").exists() and (IMG / new.with_suffix(".png").name).exists()
        old, fresh = plot_data(IMG / new.name), plot_data(new)
        assert old.keys() == fresh.keys() and old["series"].keys() == fresh["series"].keys()
        for name, values in fresh["series"].items():
            a = np.array(old["series"][name], dtype=float)   # null (NaN) stays NaN
            b = np.array(values, dtype=float)
            np.testing.assert_allclose(a, b, rtol=2e-5, equal_nan=True,
                                       err_msg=f"{new.name}: series {name!r} is stale")


def test_fingerprint_ignores_layout_but_not_labels(made, tmp_path):
    """The comparison itself: moving nodes is not a change, relabelling one is."""
    svg = next(made.glob("*.svg")).read_text()
    moved = tmp_path / "moved.svg"
    moved.write_text(svg.replace(' x="', ' x="1'))
    assert svg_content(moved) == svg_content(next(made.glob("*.svg")))
    relabelled = tmp_path / "relabelled.svg"
    relabelled.write_text(svg.replace(">matmul<", ">matmal<", 1).replace(">t=0<", ">t=9<", 1))
    assert svg_content(relabelled) != svg_content(next(made.glob("*.svg")))
