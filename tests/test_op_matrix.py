"""Every op x every backend: forward against NumPy, gradients by float64 gradcheck."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lstm as tl
from op_cases import CASES, OpCase
from tinygrad_lstm.ops import OPS

ROOT = Path(__file__).resolve().parents[1]
FUSED = {"lstm_layer"}  # proven against its composed twin in test_fused


def _inputs(case: OpCase, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if case.positive:
        return [rng.uniform(0.5, 2.0, size=s) for s in case.shapes]
    return [rng.standard_normal(s) for s in case.shapes]


def test_every_registered_op_has_a_case():
    covered = {c.op for c in CASES} | FUSED
    missing = sorted(set(OPS) - covered)
    assert not missing, f"ops with no case in tests/op_cases.py: {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_matches_numpy(case: OpCase, backend: str):
    arrays = _inputs(case)
    tensors = [tl.tensor(a, backend=backend) for a in arrays]
    out = case.fn(*tensors)
    ref = case.ref(*arrays)
    outs, refs = (out, ref) if isinstance(out, list) else ([out], [ref])
    assert len(outs) == len(refs)
    bk = tl.get_backend(backend)
    for o, r in zip(outs, refs):
        assert bk.is_array(o.data), f"{case.op} returned {type(o.data).__name__}, not a {backend} array"
        assert o.shape == r.shape
        np.testing.assert_allclose(o.numpy(), r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradcheck(case: OpCase, backend: str):
    tensors = [tl.tensor(a, backend=backend) for a in _inputs(case, seed=1)]
    assert tl.gradcheck(case.fn, tensors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradients_stay_on_the_backend(case: OpCase, backend: str):
    tensors = [tl.tensor(a, backend=backend, requires_grad=True) for a in _inputs(case)]
    out = case.fn(*tensors)
    outs = out if isinstance(out, list) else [out]
    total = outs[0].sum()
    for o in outs[1:]:
        total = total + o.sum()
    total.backward()
    bk = tl.get_backend(backend)
    for t in tensors:
        assert t.grad is not None and bk.is_array(t.grad.data)
        assert t.grad.shape == t.shape


def test_ops_never_import_numpy():
    """Ops compute only through the backend's namespace; not even an import of numpy."""
    for path in sorted((ROOT / "ops").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] in {"numpy", "cupy"} for n in names), \
                f"{path.name} imports {names}"
