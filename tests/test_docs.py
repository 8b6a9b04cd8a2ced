"""Every ```python block in docs/*.md and the README runs, top to bottom, one namespace
per page. A ```text block right after a python block is what that block prints.
A page that needs an optional package says so in a comment, `<!-- requires: torch -->`,
and is skipped where that package is not installed."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```\n(?:\n*```text\n(.*?)^```)?", re.S | re.M)
REQUIRES = re.compile(r"<!-- requires: ([\w., ]+) -->")


def blocks(page: Path) -> list[tuple[str, str]]:
    return BLOCK.findall(page.read_text())


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_doc_code_runs(page, tmp_path, monkeypatch):
    for found in REQUIRES.findall(page.read_text()):
        for module in found.replace(",", " ").split():
            pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)  # files a page writes land in a scratch folder
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for number, (code, expected) in enumerate(blocks(page), start=1):
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)
        except Exception as err:  # name the page and block, keep the traceback
            raise AssertionError(f"{page.name}, code block {number} failed: {err!r}") from err
        if expected:
            got = [line.rstrip() for line in printed.getvalue().strip().splitlines()]
            assert got == [line.rstrip() for line in expected.strip().splitlines()], \
                f"{page.name}, code block {number} prints something else than the page shows"
