"""Keep the engine small on purpose: print the line counts and hold them to a budget.

Run as a script (`make lines`) to see the table; the tests fail when growth passes the
budget, so that growth is a decision, not an accident. Counted: non-blank lines that are
not comments or docstrings. The engine is every file of its
layers, found by globbing: tape and tensor (with the functions and error wording beside
them), ops/ and backends/. Fused kernels (ops/fused.py, the CUDA source in the CuPy
backend, the NumPy and numba LSTM scans) are counted apart: a learner can skip them.
"""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ["tinygrad_lstm/tape.py", "tinygrad_lstm/tensor.py", "tinygrad_lstm/functions.py",
          "tinygrad_lstm/explain.py", "ops/*.py", "backends/*.py"]
FUSED = {"ops/fused.py", "backends/cupy_backend.py", "backends/numpy_kernels.py",
         "backends/numba_kernels.py"}
ENGINE_BUDGET = 1025   # "about a thousand" (STYLE 1): non-blank, non-comment, non-docstring lines, fused kernels apart
FILE_BUDGET = 400      # any single source file
LOOP_BUDGET = 25       # the body of tape.backward


def code_lines(path: Path) -> int:
    """Non-blank lines that are neither comments nor docstrings (documentation is free)."""
    source = path.read_text()
    docs: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and \
                isinstance(body[0].value.value, str):
            docs.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for k, line in enumerate(source.splitlines(), start=1)
               if line.strip() and not line.strip().startswith("#") and k not in docs)


def engine_files() -> list[Path]:
    return sorted({p for pattern in ENGINE for p in ROOT.glob(pattern)})


def table() -> str:
    rows = [(str(p.relative_to(ROOT)), code_lines(p)) for p in engine_files()]
    core = sum(n for name, n in rows if name not in FUSED)
    fused = sum(n for name, n in rows if name in FUSED)
    rows += [("engine (fused kernels apart)", core), ("fused kernels", fused)]
    return "\n".join(f"{name:<36}{n:>6}" for name, n in rows)


def test_engine_stays_small():
    print("\n" + table())
    total = sum(code_lines(p) for p in engine_files() if str(p.relative_to(ROOT)) not in FUSED)
    assert total <= ENGINE_BUDGET, f"engine is {total} lines (budget {ENGINE_BUDGET})"


def test_backward_is_one_short_loop():
    from tinygrad_lstm import tape
    source = inspect.getsource(tape.backward)
    body = [line for line in source.splitlines()[1:] if line.strip() and not line.strip().startswith("#")]
    assert len(body) <= LOOP_BUDGET, f"tape.backward is {len(body)} lines (budget {LOOP_BUDGET})"
    assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "backward"
                   for n in ast.walk(ast.parse(inspect.getsource(tape))))   # no recursion


def test_no_source_file_is_huge():
    files = sorted(ROOT.glob("tinygrad_lstm/**/*.py")) + sorted(ROOT.glob("ops/*.py")) + \
        sorted(ROOT.glob("backends/*.py"))
    big = [(str(p.relative_to(ROOT)), code_lines(p)) for p in files if code_lines(p) > FILE_BUDGET]
    assert not big, f"files over {FILE_BUDGET} lines: {big}"


if __name__ == "__main__":
    print(table())
