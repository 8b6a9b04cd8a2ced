"""Random programs with in-place changes, views, detached aliases and casts, against
PyTorch: both raise, or ours agrees with the reference (values and gradients). The
generator and the reference are in inplace_fuzz.py; `python tests/inplace_fuzz.py N SEED
STEPS` runs a larger batch and prints the outcome counts."""
from __future__ import annotations

import dataclasses
import warnings

import pytest

pytest.importorskip("torch")

from inplace_fuzz import fuzz  # noqa: E402  (tests/ is on the path under pytest)

from tinygrad_lstm.ops import OPS  # noqa: E402

PROGRAMS = 300     # about 3 s


def test_no_silent_wrong_answer_in_random_in_place_programs():
    counts, bad = fuzz(PROGRAMS, seed=0)
    print(f"\n{PROGRAMS} programs: {dict(counts)}")
    assert not bad, [(k, what, prog.steps) for k, prog, what in bad[:3]]
    assert sum(counts.values()) == PROGRAMS
    # the programs reach every outcome that is allowed
    for outcome in ("both raise", "both agree", "torch raises, ours right",
                    "ours refuses, torch computes"):
        assert counts[outcome] >= 10, counts


def test_the_fuzz_finds_a_version_check_that_is_missing(monkeypatch):
    # mul's VJP reads both inputs; claim it reads nothing and in-place changes of them
    # must show up as silent wrong answers: the fuzz can see what it is looking for.
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(OPS["mul"], saves="nothing"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        counts, bad = fuzz(200, seed=0)
    assert counts["SILENT WRONG"] > 0 and bad
