"""Write docs/api.md from the docstrings of the public API (run by `make docs`).

    python docs/gen_api.py            # rewrite docs/api.md
    python docs/gen_api.py --check    # exit 1 if docs/api.md is out of date
    python docs/gen_api.py --missing  # list public names without a one-line summary

What is public is read from the package as it is, not from a list kept here: a module's
`__all__`, or else every function and class defined in it (or its submodules) whose name
does not start with an underscore; for each class, the methods and properties it defines;
for Tensor, also its Python operators.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("api.md")
PREFIX = ("tinygrad_lstm", "tl")          # written as users write it: import tinygrad_lstm as tl
MODULES = ["tinygrad_lstm", "tinygrad_lstm.nn", "tinygrad_lstm.nn.functional",
           "tinygrad_lstm.nn.utils", "tinygrad_lstm.optim", "tinygrad_lstm.tasks",
           "tinygrad_lstm.viz"]
# Python's operator methods, as the expression a user writes.
OPERATORS = {
    "__add__": "a + b", "__radd__": "b + a", "__sub__": "a - b", "__rsub__": "b - a",
    "__mul__": "a * b", "__rmul__": "b * a", "__truediv__": "a / b", "__rtruediv__": "b / a",
    "__pow__": "a ** b", "__rpow__": "b ** a", "__matmul__": "a @ b", "__rmatmul__": "b @ a",
    "__neg__": "-a", "__pos__": "+a", "__abs__": "abs(a)", "__getitem__": "a[index]",
    "__setitem__": "a[index] = b", "__len__": "len(a)", "__iter__": "iter(a)",
    "__lt__": "a < b", "__le__": "a <= b", "__gt__": "a > b", "__ge__": "a >= b",
    "__eq__": "a == b", "__ne__": "a != b", "__bool__": "bool(a)", "__float__": "float(a)",
    "__int__": "int(a)", "__array__": "numpy.asarray(a)", "__repr__": "repr(a)",
    "__iadd__": "a += b", "__isub__": "a -= b", "__imul__": "a *= b",
}


def public_name(module_name: str) -> str:
    return module_name.replace(PREFIX[0], PREFIX[1], 1)


def _paragraphs(obj) -> tuple[str, str]:
    """obj's docstring (inherited ones count) as (summary, rest): the summary is the first
    paragraph, its lines joined, as PEP 257 lets a summary sentence wrap."""
    doc = (inspect.getdoc(obj) or "").strip()
    head, _, rest = doc.partition("\n\n")
    return " ".join(line.strip() for line in head.splitlines()), rest.strip("\n")


def summary(obj) -> str:
    """The summary of obj's docstring, or ''."""
    return _paragraphs(obj)[0]


def _defined_under(obj, module_name: str) -> bool:
    owner = getattr(obj, "__module__", None) or ""
    return owner == module_name or owner.startswith(module_name + ".")


def public_members(module) -> list[tuple[str, object]]:
    """(name, object) for every public function and class of `module`."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")
                 and (inspect.isclass(getattr(module, n)) or inspect.isroutine(getattr(module, n)))
                 and _defined_under(getattr(module, n), module.__name__)]
    members = [(n, getattr(module, n)) for n in names]
    return [(n, obj) for n, obj in members if not inspect.ismodule(obj)]


def class_members(cls) -> list[tuple[str, object, str]]:
    """(name, member, kind) for the public methods and properties `cls` itself defines,
    and, for Tensor, the ones its package base classes define."""
    owners = [c for c in cls.__mro__ if c.__module__.startswith(PREFIX[0])]
    owners = owners if cls.__name__ == "Tensor" else owners[:1]
    found: dict[str, tuple[object, str]] = {}
    for owner in reversed(owners):             # the most derived definition wins
        for name, member in vars(owner).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property):
                found[name] = (member, "property")
            elif isinstance(member, (staticmethod, classmethod)):
                found[name] = (member.__func__, "method")
            elif inspect.isfunction(member):
                found[name] = (getattr(cls, name), "method")
            elif type(member).__name__ == "member_descriptor":       # a __slots__ field
                found[name] = (member, "attribute")
    return [(name, member, kind) for name, (member, kind) in sorted(found.items())]


def operators(cls) -> list[tuple[str, str, object]]:
    """(expression, dunder name, method) for each operator that cls's package code defines."""
    owners = [c for c in cls.__mro__ if c.__module__.startswith(PREFIX[0])]
    defined = {name for owner in owners for name in vars(owner)}
    return [(expr, name, getattr(cls, name)) for name, expr in OPERATORS.items()
            if name in defined and callable(getattr(cls, name, None))]


class _Text(str):
    """A string that shows unquoted in a signature (postponed annotations are strings)."""

    def __repr__(self) -> str:
        return str(self)


def _annotation(text: str) -> _Text:
    return _Text(text.replace("'", "").replace('"', ""))     # forward references unquoted


def _default(value) -> _Text:
    text = repr(value)
    if " at 0x" in text:                       # an object's address: not stable, not useful
        text = f"<{type(value).__name__}>"
    return _Text(text)


def signature(obj) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    params = []
    for p in sig.parameters.values():
        changes = {}
        if isinstance(p.annotation, str):
            changes["annotation"] = _annotation(p.annotation)
        if p.default is not p.empty:
            changes["default"] = _default(p.default)
        params.append(p.replace(**changes))
    ret = sig.return_annotation
    ret = _annotation(ret) if isinstance(ret, str) else ret
    text = str(sig.replace(parameters=params, return_annotation=ret))
    return text.replace(" -> None", "")


def _escape(text: str) -> str:
    """Markdown-safe prose: `code spans` kept, and *, <, $ outside them shown literally."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else
                   part.replace("\\", "\\\\").replace("*", "\\*").replace("<", "&lt;")
                   .replace("$", "\\$").replace("_", "\\_")
                   for part in parts)


def _body(obj) -> list[str]:
    head, rest = _paragraphs(obj)
    out = [_escape(head) if head else "*(no docstring)*", ""]
    if rest.strip():                     # as written: docstrings hold formulas and tables
        out += ["```text", rest, "```", ""]
    return out


def _member_line(name: str, member, kind: str) -> str:
    sig = signature(member) if kind == "method" else ""
    text = summary(member)
    return f"- `{name}{sig}` ({kind}): {_escape(text) if text else '*(no docstring)*'}"


def _entry(qualified: str, obj) -> list[str]:
    kind = "class" if inspect.isclass(obj) else "function"
    lines = [f"### `{qualified}`", "", f"*{kind}* `{qualified.rsplit('.', 1)[-1]}{signature(obj)}`",
             ""] + _body(obj)
    if inspect.isclass(obj) and obj.__name__ == "Tensor":
        lines += ["Its operators, methods and properties: [the Tensor class](#the-tensor-class).", ""]
    elif inspect.isclass(obj):
        members = class_members(obj)
        if members:
            lines += [_member_line(n, m, k) for n, m, k in members] + [""]
    return lines


def _tensor_section(tensor_cls) -> list[str]:
    out = ["## The Tensor class", "", _escape(summary(tensor_cls)), "",
           "### Operators", "", "| expression | method | what it does |", "|---|---|---|"]
    for expr, name, method in operators(tensor_cls):
        text = summary(method)
        out.append(f"| `{expr}` | `{name}` | {_escape(text) if text else '*(no docstring)*'} |")
    out += ["", "### Methods, properties and attributes", ""]
    out += [_member_line(n, m, k) for n, m, k in class_members(tensor_cls)]
    return out + [""]


def sections() -> list[tuple[str, object, list[tuple[str, object]]]]:
    """(module name, module, public members) for each documented module that imports."""
    found = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found.append((name, module, public_members(module)))
    return found


def missing() -> list[str]:
    """Every public name, Tensor operator and class member without a one-line summary."""
    import tinygrad_lstm as tl
    gaps = []
    for module_name, _, members in sections():
        for name, obj in members:
            if not (inspect.isclass(obj) or callable(obj)):
                continue
            qualified = f"{public_name(module_name)}.{name}"
            if not summary(obj):
                gaps.append(qualified)
            if inspect.isclass(obj) and obj is not tl.Tensor:
                gaps += [f"{qualified}.{n}" for n, m, _ in class_members(obj) if not summary(m)]
    gaps += [f"tl.Tensor.{n}" for n, m, _ in class_members(tl.Tensor) if not summary(m)]
    gaps += [f"tl.Tensor.{name} ({expr})" for expr, name, m in operators(tl.Tensor)
             if not summary(m)]
    return sorted(set(gaps))


def render() -> str:
    import tinygrad_lstm as tl
    out = ["# API reference", "",
           "Generated from the docstrings by `docs/gen_api.py` (`make docs`); do not edit by "
           "hand. Names are written as used after `import tinygrad_lstm as tl`.", ""]
    for module_name, module, members in sections():
        shown = [(n, obj) for n, obj in members if inspect.isclass(obj) or callable(obj)]
        if not shown:
            continue
        out += [f"## `{public_name(module_name)}`", "", _escape(summary(module)), ""]
        others = [n for n, obj in members if not (inspect.isclass(obj) or callable(obj))]
        for name, obj in shown:
            out += _entry(f"{public_name(module_name)}.{name}", obj)
        if others:
            out += ["Also: " + ", ".join(f"`{n}`" for n in others), ""]
    out += _tensor_section(tl.Tensor)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    if "--missing" in sys.argv:
        gaps = missing()
        print("\n".join(gaps) if gaps else "every public name has a summary")
        sys.exit(1 if gaps else 0)
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.exists() and TARGET.read_text() == text else 1)
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
