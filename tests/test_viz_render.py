"""Real pictures from the renderer, with no `dot` on PATH (pygraphviz's bundled layout
engine does the work), through a `dot` executable when there is one, inline SVG for
Jupyter, the error when neither is available, and the `render` command line."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

import tinygrad_lstm as tl
from tinygrad_lstm import viz
from tinygrad_lstm.app.cli import main as cli_main
from viz_examples import nn_loss, unroll

pytest.importorskip("graphviz")
pytest.importorskip("pygraphviz")

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """PATH without any Graphviz executable."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    import shutil
    assert shutil.which("dot") is None


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()            # raises on invalid XML
    assert root.tag == f"{SVG}svg"
    return [t.text for t in root.iter(f"{SVG}text") if t.text]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_svg_without_system_graphviz(no_dot, tmp_path):
    loss, _ = unroll("lstm", steps=12, layers=2)
    path = tmp_path / "lstm.svg"
    assert viz.render(loss, path, view="cell") == path
    texts = svg_texts(path)
    assert "lstm.weight_l0" in texts and "lstm.l1" in texts
    assert {"t=0", "t=3", "t=8", "t=11"} <= set(texts)
    assert "t=4 ... t=7" in texts                 # the elided middle
    assert "t=5" not in texts


def test_png_and_pdf_without_system_graphviz(no_dot, tmp_path):
    loss, _ = nn_loss("lstm", steps=3)
    png = viz.render(loss, str(tmp_path / "lstm.png"), view="op", grads=True)
    assert isinstance(png, str)
    data = open(png, "rb").read()
    width, height = png_size(data)
    assert len(data) > 20_000 and width > 300 and height > 1000    # time runs down
    pdf = (tmp_path / "lstm.pdf")
    viz.render(loss, pdf, view="layer")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2_000


def test_dot_text_needs_no_graphviz_at_all(no_dot, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    loss, _ = unroll("rnn", steps=3)
    graph = viz.draw(loss)
    viz.render(graph, tmp_path / "rnn.dot")
    viz.render(graph, tmp_path / "rnn.gv")
    assert (tmp_path / "rnn.dot").read_text() == graph.source == (tmp_path / "rnn.gv").read_text()


def test_a_clear_error_names_the_extra_when_nothing_can_lay_out(no_dot, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    loss, _ = unroll("rnn", steps=3)
    with pytest.raises(viz.VizUnavailable, match=r"tinygrad-lstm\[viz\]") as info:
        viz.render(loss, tmp_path / "rnn.svg")
    assert isinstance(info.value, ImportError)       # an optional dependency is missing
    assert "'dot' executable" in str(info.value) and "pygraphviz" in str(info.value)
    assert not (tmp_path / "rnn.svg").exists()


def test_unknown_suffix_is_refused(tmp_path):
    loss, _ = unroll("rnn", steps=2)
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf(,| or) \.dot"):
        viz.render(loss, tmp_path / "rnn.jpeg")


def test_jupyter_gets_inline_svg_without_system_graphviz(no_dot):
    loss, _ = unroll("gru", steps=3)
    graph = viz.draw(loss, view="cell")
    assert graph.__class__.__mro__[1].__name__ == "Digraph"
    bundle = graph._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "<svg" in graph._repr_svg_()
    assert graph.pipe(format="png")[:4] == b"\x89PNG"


def test_a_dot_executable_on_path_is_used(tmp_path, monkeypatch):
    """A stand-in `dot` (laying out with pygraphviz, and signing its output) shows that the
    executable is preferred when there is one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys, pygraphviz
        fmt = next(a[2:] for a in sys.argv if a.startswith("-T"))
        data = pygraphviz.AGraph(string=sys.stdin.read()).draw(format=fmt, prog="dot")
        sys.stdout.buffer.write(data + (b"<!-- via the dot executable -->" if fmt == "svg" else b""))
        """))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    loss, _ = unroll("rnn", steps=3)
    viz.render(loss, tmp_path / "rnn.svg")
    assert (tmp_path / "rnn.svg").read_text().endswith("<!-- via the dot executable -->")
    assert viz.draw(loss)._repr_svg_().endswith("<!-- via the dot executable -->")


def test_cli_render(no_dot, tmp_path, capsys):
    out = tmp_path / "out.svg"
    assert cli_main(["render", "lstm", "--steps", "12", "--layers", "2", "--view", "cell",
                     "--grads", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    texts = svg_texts(out)
    assert "lstm.weight_hh_l1" in texts and "t=4 ... t=7" in texts
    assert any(t.startswith("gradient norm") for t in texts)
    png = tmp_path / "gru.png"
    assert cli_main(["render", "gru", "--steps", "3", "--view", "op", "-o", str(png)]) == 0
    png_size(png.read_bytes())
    dot = tmp_path / "lstm.dot"
    assert cli_main(["render", "lstm", "--steps", "20", "--fused", "--max-steps", "4",
                     "--view", "op", "-o", str(dot)]) == 0
    assert dot.read_text().count('"lstm_cell (fused)\\n') == 4


def test_cli_render_as_a_program(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tinygrad_lstm.app.cli", "render", "rnn",
                             "--steps", "4", "--view", "layer", "-o", str(tmp_path / "rnn.svg")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    svg_texts(tmp_path / "rnn.svg")
    bad = subprocess.run([sys.executable, "-m", "tinygrad_lstm.app.cli", "render", "rnn", "--view",
                          "cells"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    assert tl.viz is viz


def test_the_viz_package_and_extra_are_declared():
    import tomllib
    from pathlib import Path
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "tinygrad_lstm.viz" in project["tool"]["setuptools"]["packages"]
    extra = " ".join(project["project"]["optional-dependencies"]["viz"])
    assert "graphviz" in extra and "pygraphviz" in extra
