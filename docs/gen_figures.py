"""Make the figures in docs/img by running the pages that draw them (run by `make docs`).

The pictures are made by the code shown on the pages: every page whose ```python blocks
mention `img/` has its blocks run in order, in one namespace, from a working folder in
which they write `img/<name>.svg` (graphs, through tl.viz) or `img/<name>.png` plus
`img/<name>.json` (plots, through tinygrad_lstm.app.plots, which saves the numbers it drew
beside each plot). Blocks after the last one that mentions `img/` are not run: they draw
nothing. Files in img/ that no page makes any more are reported, not deleted.

    python docs/gen_figures.py              # rewrite docs/img
    python docs/gen_figures.py OUT          # write OUT/img instead (what the tests compare)
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BLOCK = re.compile(r"^```python\n(.*?)^```\n", re.S | re.M)


def figure_blocks(page: Path) -> list[str]:
    """The page's code blocks up to the last one that writes into img/."""
    code = BLOCK.findall(page.read_text())
    drawing = [i for i, block in enumerate(code) if "img/" in block]
    return code[:drawing[-1] + 1] if drawing else []


def run_page(page: Path, workdir: Path) -> None:
    namespace: dict = {"__name__": f"figures_{page.stem}"}
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        for number, code in enumerate(figure_blocks(page), start=1):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)
    finally:
        os.chdir(previous)


def figure_pages() -> list[Path]:
    return [page for page in sorted(DOCS.glob("*.md")) if figure_blocks(page)]


def make_figures(workdir: Path = DOCS) -> list[Path]:
    """Run the figure pages from `workdir`; returns the files now in workdir/img."""
    (workdir / "img").mkdir(parents=True, exist_ok=True)
    for page in figure_pages():
        run_page(page, workdir)
    return sorted((workdir / "img").iterdir())


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DOCS
    started = time.time()
    made = [p for p in make_figures(target) if p.stat().st_mtime >= started - 1]
    for path in made:
        print(f"wrote {path}")
    for path in sorted(set((target / "img").iterdir()) - set(made)):
        print(f"stale (no page makes it): {path}")
