"""Keep the engine small on purpose: print the line counts and hold them to a budget.

Run as a script (`make lines`) to see the table; the test fails when growth passes the
budget, so that growth is a decision, not an accident.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ["tinygrad_lstm/tensor.py", "tinygrad_lstm/tape.py", "tinygrad_lstm/autograd.py",
          "tinygrad_lstm/checks.py", "tinygrad_lstm/creation.py",
          "tinygrad_lstm/functions.py", "ops", "backends"]
ENGINE_BUDGET = 1600   # lines of code (no blanks, no comments) in engine + ops + backends
FILE_BUDGET = 400      # any single source file


def code_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines()
               if line.strip() and not line.strip().startswith("#"))


def engine_files() -> list[Path]:
    files = []
    for entry in ENGINE:
        path = ROOT / entry
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return files


def table() -> str:
    rows = [(str(p.relative_to(ROOT)), code_lines(p)) for p in engine_files()]
    rows.append(("engine total", sum(n for _, n in rows)))
    return "\n".join(f"{name:<36}{n:>6}" for name, n in rows)


def test_engine_stays_small():
    print("\n" + table())
    total = sum(code_lines(p) for p in engine_files())
    assert total <= ENGINE_BUDGET, f"engine is {total} lines (budget {ENGINE_BUDGET})"


def test_no_source_file_is_huge():
    big = [(str(p.relative_to(ROOT)), code_lines(p)) for p in sorted(ROOT.glob("tinygrad_lstm/**/*.py"))
           + sorted(ROOT.glob("ops/*.py")) + sorted(ROOT.glob("backends/*.py")) if code_lines(p) > FILE_BUDGET]
    assert not big, f"files over {FILE_BUDGET} lines: {big}"


if __name__ == "__main__":
    print(table())
