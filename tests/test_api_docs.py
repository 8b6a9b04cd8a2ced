"""The API reference covers the whole public API, and every public name explains itself.

docs/gen_api.py finds the public names itself (a module's __all__, or what it defines),
so a new function, class, method, property or Tensor operator joins the reference, and
this test, without a list to update here."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_one_line_summary():
    gaps = _generator().missing()
    assert not gaps, ("these public names have no docstring summary (the reference would "
                      "say '(no docstring)'):\n  " + "\n  ".join(gaps))


def test_reference_covers_modules_tensor_operators_and_methods():
    text = _generator().render()
    for heading in ("## `tl`", "## `tl.nn`", "## `tl.nn.functional`", "## `tl.optim`",
                    "## `tl.viz`", "## `tl.tasks`", "## The Tensor class"):
        assert heading in text, heading
    for name in ("`tl.tensor`", "`tl.nn.LSTM`", "`tl.nn.functional.mse_loss`",
                 "`tl.optim.Adam`", "`tl.viz.render`", "`tl.tasks.adding_problem`",
                 "`a @ b`", "`a[index]`", "`backward(", "`numpy("):
        assert name in text, name


def test_string_defaults_are_quoted_and_addresses_hidden():
    gen = _generator()

    def f(view: str = "op", n: "int" = 3, obj=object()) -> "Tensor":
        """A function."""

    assert gen.signature(f) == "(view: str = 'op', n: int = 3, obj=<object>) -> Tensor"


def test_api_reference_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_api.py"), "--check"])
    assert result.returncode == 0, "docs/api.md is stale: run `make docs`"
