"""examples/bptt_walkthrough.ipynb: current with docs pages 2-4, and runs top to bottom
in a fresh kernel with its graphs drawn inline."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("pygraphviz")

ROOT = Path(__file__).resolve().parents[1]


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebook",
                                                  ROOT / "examples" / "build_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sources(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def test_notebook_is_valid_nbformat():
    """What Jupyter checks on open: the schema (markdown cells carry no outputs) and ids."""
    committed = nbformat.read(ROOT / "examples" / "bptt_walkthrough.ipynb", as_version=4)
    nbformat.validate(committed)
    assert not [cell.id for cell in committed.cells
                if cell.cell_type != "code" and "outputs" in cell]


def test_notebook_is_built_from_the_current_docs():
    committed = nbformat.read(ROOT / "examples" / "bptt_walkthrough.ipynb", as_version=4)
    assert _sources(committed) == _sources(_builder().build()), \
        "the notebook is stale: run `make docs` (examples/build_notebook.py --execute)"


def test_notebook_runs_top_to_bottom(tmp_path):
    builder = _builder()
    nb = builder.execute(builder.build(), tmp_path)
    nbformat.validate(nb)                    # still valid with its outputs
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    graphs = [out for out in outputs if "image/svg+xml" in out.get("data", {})]
    assert len(graphs) >= 4, "the graphs should be drawn inline"
    assert all("<svg" in out["data"]["image/svg+xml"] for out in graphs)
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "v2 = mul(v0, v1)" in printed                  # the tape of page 2
    assert "100000 of 100000 predictions right" in printed   # 5,000 steps, page 4
