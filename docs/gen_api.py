"""Write docs/api.md from the docstrings of the public API (run by `make docs`).

    python docs/gen_api.py          # rewrite docs/api.md
    python docs/gen_api.py --check  # exit 1 if docs/api.md is out of date
"""
from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("api.md")
SECTIONS = [  # (module, title); a module's __all__ decides what is listed
    ("tinygrad_lstm", "tinygrad_lstm"),
    ("tinygrad_lstm.nn", "tinygrad_lstm.nn"),
    ("tinygrad_lstm.nn.functional", "tinygrad_lstm.nn.functional"),
    ("tinygrad_lstm.nn.utils", "tinygrad_lstm.nn.utils"),
    ("tinygrad_lstm.optim", "tinygrad_lstm.optim"),
    ("tinygrad_lstm.tasks", "tinygrad_lstm.tasks"),
    ("tinygrad_lstm.viz", "tinygrad_lstm.viz"),
]
SKIP = {"backends", "ops", "tape", "nn", "optim", "tasks", "viz", "io", "random"}


def _signature(obj) -> str:
    try:
        text = str(inspect.signature(obj)).replace("'", "").replace('"', "")
        return text.replace(" -> None", "")
    except (TypeError, ValueError):
        return ""


def _doc(obj) -> str:
    return inspect.cleandoc(obj.__doc__) if obj.__doc__ else "(no docstring)"


def _entry(name: str, obj) -> list[str]:
    kind = "class" if inspect.isclass(obj) else "function"
    lines = [f"### `{name}{_signature(obj)}`", "", f"*{kind}*", "", _doc(obj), ""]
    if inspect.isclass(obj):
        for attr, member in sorted(vars(obj).items()):
            if attr.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
                continue
            target = member.fget if isinstance(member, property) else member
            if target is None or not target.__doc__:
                continue
            sig = "" if isinstance(member, property) else _signature(member)
            first = inspect.cleandoc(target.__doc__).splitlines()[0]
            lines.append(f"- `{attr}{sig}`: {first}")
        lines.append("")
    return lines


def render() -> str:
    out = ["# API reference", "",
           "Generated from the docstrings by `docs/gen_api.py` (`make docs`); do not edit by hand.", ""]
    for module_name, title in SECTIONS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        names = [n for n in getattr(module, "__all__", []) if n not in SKIP]
        if not names:
            continue
        out += [f"## {title}", "", _doc(module).splitlines()[0], ""]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj) or callable(obj):
                out += _entry(name, obj)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.exists() and TARGET.read_text() == text else 1)
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
