"""The tape as text: a Wengert list, one line per record, numbered in recording order.

    v0 = x                  (2, 3) float64   leaf, requires grad
    v2 = matmul(v0, v1)     (2, 4) float64   [lstm.l0 t=3]
"""
from __future__ import annotations

from . import tape
from .tensor import Tensor


def _format_index(index) -> str:
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for item in items:
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            parts.append(text + (f":{item.step}" if item.step is not None else ""))
        elif item is None:
            parts.append("None")
        elif item is Ellipsis:
            parts.append("...")
        elif hasattr(item, "shape"):
            parts.append(f"<int array {tuple(item.shape)}>")
        else:
            parts.append(str(item))
    return "[" + ", ".join(parts) + "]"


def format_params(rec: tape.Record) -> str:
    """The op's non-array parameters, as call arguments."""
    parts = [f"steps={rec.avals[0][0][0]}"] if rec.tags.get("scan") else []
    for key, value in rec.params.items():
        if key == "input_grad":      # bookkeeping of the fused layer, not a choice of the user
            continue
        if key == "index":
            parts.append(_format_index(value))
        elif key in ("exponent", "sections"):
            parts.append(f"{value:g}" if isinstance(value, float) else str(value))
        elif value is not None and value is not False:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def _dtype_name(dtype) -> str:
    return str(dtype).rsplit(".", 1)[-1]  # "float32" from NumPy, CuPy or strict namespaces


def tape_lines(out: Tensor | list[Tensor]) -> list[str]:
    """The Wengert list of the records behind `out` (one string per line)."""
    outs = out if isinstance(out, (list, tuple)) else [out]
    roots = [t._node for t in outs if t._node is not None]
    records = tape.reachable(roots)
    names: dict[int, str] = {}
    rows: list[tuple[str, str, str]] = []

    def name_of(node: tape.Node) -> str:
        if id(node) not in names:
            names[id(node)] = f"v{len(names)}"
            label = node.name or ("input" if node.requires_grad else "const")
            note = "leaf, requires grad" if node.requires_grad else "constant"
            rows.append((f"{names[id(node)]} = {label}",
                         f"{node.shape} {_dtype_name(node.dtype)}", note))
        return names[id(node)]

    for rec in records:
        args = [name_of(n) for n in rec.inputs]
        extra = format_params(rec)
        call = f"{rec.op}({', '.join(args + ([extra] if extra else []))})"
        lhs = []
        for k, ref in enumerate(rec.outputs):
            node = ref()
            key = id(node) if node is not None else ("gone", rec.seq, k)
            names[key] = f"v{len(names)}"
            lhs.append(names[key])
        tag = rec.scope + (f" t={rec.step}" if rec.step is not None else "")
        shapes = " ".join(str(shape) for shape, _ in rec.avals)
        rows.append((f"{', '.join(lhs)} = {call}", f"{shapes} {_dtype_name(rec.avals[0][1])}",
                     f"[{tag.strip()}]" if tag.strip() else ""))
    width = max((len(r[0]) for r in rows), default=0)
    mid = max((len(r[1]) for r in rows), default=0)
    return [f"{a:<{width}}  {b:<{mid}}  {c}".rstrip() for a, b, c in rows]


def format_tape(out: Tensor | list[Tensor]) -> str:
    """The Wengert list behind `out` as one string."""
    return "\n".join(tape_lines(out))


def print_tape(out: Tensor | list[Tensor]) -> None:
    """Print the Wengert list behind `out` (see format_tape)."""
    print(format_tape(out))
