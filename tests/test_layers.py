"""The package's folders show its layers, and imports point down only.

    app       tinygrad_lstm/app: cli, demo, experiments, plots (argparse, tqdm live here)
    library   nn, optim, viz, tasks, io, gradcheck, printing, random
    tensor    tensor, functions, explain
    tape      tape
    ops       ops/ (tinygrad_lstm.ops)
    backends  backends/ (tinygrad_lstm.backends)

A module may import its own layer and the layers below it; the package root (which
gathers the public names) may import anything. Checked on the source, by AST.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"tinygrad_lstm": "tinygrad_lstm", "ops": "tinygrad_lstm.ops",
           "backends": "tinygrad_lstm.backends"}
LAYERS = ["backends", "ops", "tape", "tensor", "library", "app"]
TENSOR = {"tensor", "functions", "explain"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    parts[0] = FOLDERS[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tinygrad_lstm" or len(parts) == 1:
        return None
    head = parts[1]
    if head in ("backends", "ops", "tape", "app"):
        return head
    return "tensor" if head in TENSOR else "library"


def imports_of(path: Path, name: str) -> set[str]:
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def sources() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]


def test_every_import_points_down():
    wrong = []
    for path in sources():
        name = module_name(path)
        mine = layer_of(name)
        if mine is None:
            continue
        for target in imports_of(path, name):
            theirs = layer_of(target)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(mine):
                wrong.append(f"{name} ({mine}) imports {target} ({theirs})")
    assert not wrong, "imports pointing up:\n" + "\n".join(sorted(set(wrong)))


def test_argparse_and_tqdm_only_in_the_application():
    for path in sources():
        name = module_name(path)
        if layer_of(name) == "app":
            continue
        heavy = {t for t in imports_of(path, name) if t.split(".")[0] in ("argparse", "tqdm")}
        assert not heavy, f"{name} imports {heavy}"


def test_an_uninstalled_source_tree_says_to_install(tmp_path):
    for folder in FOLDERS:
        subprocess.run(["cp", "-r", str(ROOT / folder), str(tmp_path / folder)], check=True)
    result = subprocess.run([sys.executable, "-S", "-c", "import tinygrad_lstm"], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "pip install -e ." in result.stderr.strip().splitlines()[-1]
