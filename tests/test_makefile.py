"""`make` rebuilds the virtual environment whenever it cannot be trusted (missing, half-built,
broken, or a stamp left over from a venv that lost a package), and only then. Checked with
`make -n` (print the plan, run nothing) against throwaway venv paths."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def plan(venv: Path) -> str:
    result = subprocess.run(["make", "-n", "venv", f"VENV={venv}"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_missing_venv_is_created_and_filled(tmp_path):
    out = plan(tmp_path / "venv")
    assert "-m venv" in out and 'install --quiet -e ".[viz,cli,dev]"' in out
    assert "setuptools>=77" in out            # a fresh Python's old setuptools is upgraded


def test_a_stamp_without_a_working_python_is_not_trusted(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(tmp_path / "gone")      # its Python was removed
    (venv / ".installed-stamp").touch()
    out = plan(venv)
    assert not (venv / ".installed-stamp").exists()
    assert "rm -rf" in out and "-m venv" in out


def test_a_stamp_on_a_venv_missing_the_package_is_not_trusted(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / ".installed-stamp").touch()       # a stamp, but nothing installed behind it
    out = plan(venv)
    assert not (venv / ".installed-stamp").exists()
    assert 'install --quiet -e ".[viz,cli,dev]"' in out


def test_the_working_venv_passes_the_health_check():
    """The venv running this suite is healthy, so the check keeps its stamp (it would be
    rebuilt only if pyproject.toml changed since)."""
    stamp = ROOT / ".venv" / ".installed-stamp"
    if not stamp.exists() or Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("the suite is not running from this checkout's .venv")
    plan(ROOT / ".venv")
    assert stamp.exists()
