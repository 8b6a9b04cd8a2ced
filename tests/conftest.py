"""Shared fixtures: the backends every op and module test runs on."""
from __future__ import annotations

import importlib.util

import pytest

import tinygrad_lstm as tl


def _cupy_ready() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def _strict_ready() -> bool:
    return importlib.util.find_spec("array_api_strict") is not None


if _strict_ready():
    from strict_backend import StrictBackend
    tl.register_backend("strict", StrictBackend)

def _numba_ready() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("numba", "scipy"))


BACKENDS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("numba", id="numba", marks=pytest.mark.skipif(
        not _numba_ready(), reason="numba (the [numba] extra) is not installed")),
    pytest.param("strict", id="strict", marks=pytest.mark.skipif(
        not _strict_ready(), reason="array-api-strict is not installed")),
    pytest.param("cupy", id="cupy", marks=[pytest.mark.gpu, pytest.mark.skipif(
        not _cupy_ready(), reason="CuPy with a CUDA device is not available")]),
]

CUPY_READY = _cupy_ready()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, stdout, stderr)."""
    from tinygrad_lstm.app import cli
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err
