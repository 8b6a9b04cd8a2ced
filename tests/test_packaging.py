"""The package builds as one distribution: ops/ and backends/ land inside tinygrad_lstm."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(dest: Path) -> Path:
    """The files a build reads, copied, so no stale build/ folder of the checkout leaks in
    and the checkout gets none."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("tinygrad_lstm", "ops", "backends"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _build_requirements_met() -> bool:
    """Whether this environment already has what [build-system] asks for (name>=version)."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for requirement in requires:
        name, _, minimum = re.match(r"([\w.-]+)\s*(>=\s*([\w.]+))?", requirement).groups()
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            return False
        if minimum and _version(have) < _version(minimum):
            return False
    return True


def test_wheel_maps_ops_and_backends_inside_the_package(tmp_path):
    source = _source_copy(tmp_path / "src")
    # The environment's own backend when it is recent enough (fast, offline); otherwise pip
    # builds in isolation with the backend pyproject.toml names, as any user's pip would.
    flags = ["--no-build-isolation"] if _build_requirements_met() else []
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *flags, "-q",
         "-w", str(tmp_path), str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stderr[-2000:]}")
    assert "SetuptoolsDeprecationWarning" not in result.stderr, result.stderr  # e.g. license
    (wheel,) = tmp_path.glob("tinygrad_lstm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tinygrad_lstm/ops/__init__.py" in names
    assert "tinygrad_lstm/backends/numpy_backend.py" in names
    for sub in ("nn", "viz", "tasks"):   # every subpackage, and the bundled corpus
        assert f"tinygrad_lstm/{sub}/__init__.py" in names
    assert any(n.startswith("tinygrad_lstm/data/") and n.endswith(".txt") for n in names)
    tops = {n.split("/")[0] for n in names}
    assert "ops" not in tops and "backends" not in tops
    # A plain (non-editable) install of that wheel imports and computes.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import tinygrad_lstm as tl; "
            "import numpy as np; x = tl.tensor(np.ones(3), requires_grad=True); "
            "tl.tanh(x).sum().backward(); assert tl.__file__.startswith(sys.argv[1]); "
            "assert len(tl.tasks.load_corpus()) > 1000; "
            "out, (h, c) = tl.nn.LSTM(2, 3)(tl.tensor(np.ones((4, 1, 2), dtype='float32'))); "
            "print(tl.ops.__file__)")
    out = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert str(target) in out.stdout
