"""Build examples/bptt_walkthrough.ipynb from docs pages 2-4 (run by `make docs`).

The notebook is those pages, cell for cell: prose becomes markdown cells, each ```python
block a code cell. Graphs are shown inline instead of written to img/ (a
`tl.viz.render(out, "img/x.svg", ...)` line becomes `tl.viz.draw(out, ...)`, which
Jupyter displays as SVG), the printed output the page quotes is left for the notebook to
produce, and links to other pages point into docs/.

    python examples/build_notebook.py             # write the notebook, without outputs
    python examples/build_notebook.py --execute   # and run it top to bottom, keeping outputs
    make notebook                                 # open it in Jupyter
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["autodiff.md", "bptt.md", "shared-weights.md"]
TARGET = ROOT / "examples" / "bptt_walkthrough.ipynb"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
RENDER = re.compile(r'tl\.viz\.render\((.*?), "img/[^"]+"(.*)\)$', re.M)
INTRO = """# Backpropagation through time, step by step

This notebook walks through three pages of the tinygrad-lstm docs with the graphs drawn
inline: the tape and its backward pass ([docs/autodiff.md](../docs/autodiff.md)), BPTT on
an unrolled RNN ([docs/bptt.md](../docs/bptt.md)), and the weights every step shares
([docs/shared-weights.md](../docs/shared-weights.md)). It is built from those pages by
`examples/build_notebook.py` and runs top to bottom in the test suite."""


def code_cell(code: str) -> str:
    code = RENDER.sub(lambda m: f"tl.viz.draw({m.group(1)}{m.group(2)})", code)
    lines = [line for line in code.splitlines() if 'os.makedirs("img"' not in line]
    return "\n".join(lines).strip()


def markdown_cell(text: str) -> str:
    # a figure, or a figure linked to its full-size file: drawn inline above instead
    text = re.sub(r"^\[?!\[[^\]]*\]\(img/[^)]+\)(\]\(img/[^)]+\))?\n?", "", text, flags=re.M)
    text = re.sub(r"\]\((?!https?:)([\w-]+\.md)\)", r"](../docs/\1)", text)
    return text.strip()


def cells_of(page: Path) -> list:
    text, cells, at = page.read_text(), [], 0
    for match in FENCE.finditer(text):
        prose = markdown_cell(text[at:match.start()])
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        language, body = match.groups()
        if language == "python":
            cells.append(nbformat.v4.new_code_cell(code_cell(body)))
        elif language != "text":                       # printed output: the notebook makes it
            cells.append(nbformat.v4.new_markdown_cell(f"```{language}\n{body}```"))
        at = match.end()
    tail = markdown_cell(text[at:])
    if tail:
        cells.append(nbformat.v4.new_markdown_cell(tail))
    return cells


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(INTRO)]
    for name in PAGES:
        nb.cells += cells_of(ROOT / "docs" / name)
    for number, cell in enumerate(nb.cells):              # stable ids: diffs stay small
        cell["id"] = f"cell-{number:03d}"
    return nb


def execute(nb: nbformat.NotebookNode, workdir: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, from `workdir`; raises on the first error."""
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    for cell in nb.cells:      # a font-library warning some Graphviz builds print is noise
        if cell.cell_type == "code":   # only code cells have outputs in nbformat 4
            cell["outputs"] = [out for out in cell.outputs if not (
                out.get("name") == "stderr" and all(
                    line.startswith("Fontconfig warning") for line in out["text"].splitlines()))]
    return nb


if __name__ == "__main__":
    notebook = build()
    if "--execute" in sys.argv:
        notebook = execute(notebook, TARGET.parent)
    nbformat.validate(notebook)
    nbformat.write(notebook, TARGET)
    print(f"wrote {TARGET}")
