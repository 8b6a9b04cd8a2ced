"""The tape as text (the Wengert list), from the same records the pictures are drawn from."""
from __future__ import annotations

from ..printing import tape_lines
from .collect import collect, flatten_outputs
from .grads import gradient_norms


def tape_text(output, grads: bool = False) -> str:
    """One line per recorded op, in recording order, as `tl.format_tape` prints it.

    With grads=True each op's line ends with the norms of the gradients that reached its
    outputs (see `tl.viz.draw` for where the norms come from).
    """
    outs = flatten_outputs(output)
    lines = tape_lines(outs)
    if not grads:
        return "\n".join(lines)
    g = collect(outs)
    rec_norms, _ = gradient_norms(g, [t for t in outs if t._node is not None])
    rows, row, seen = [], 0, set()          # (line, its grad text or None for a leaf)
    for i, sources in enumerate(g.sources):
        for src in sources:                 # leaves get their line where first used
            if src[0] == "l" and src[1] not in seen:
                seen.add(src[1])
                rows.append((lines[row], None))
                row += 1
        norms = rec_norms[i]
        rows.append((lines[row], "grad -" if norms is None else
                     "grad " + ", ".join(f"{n:.2e}" for n in norms)))
        row += 1
    width = max((len(line.rstrip()) for line, text in rows if text), default=0)
    return "\n".join([line if text is None else f"{line.rstrip():<{width}}  {text}"
                      for line, text in rows] + lines[row:])
