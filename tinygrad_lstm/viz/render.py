"""Turning DOT into pictures, with or without a system Graphviz.

When a `dot` executable is on PATH it does the layout (through the `graphviz` package);
otherwise pygraphviz does it in-process with the Graphviz libraries its wheel bundles, so
`pip install tinygrad-lstm[viz]` is enough on a fresh machine. The graph objects that
`tl.viz.draw` returns use the same route for `pipe()` and for Jupyter's inline SVG (and
show the explorer of their view as HTML, next to it).
"""
from __future__ import annotations

import shutil
from functools import lru_cache

EXTRA = "pip install 'tinygrad-lstm[viz]'"
FORMATS = ("svg", "png", "pdf")


class VizUnavailable(ImportError):
    """Neither a Graphviz executable nor pygraphviz is available to lay the graph out (an
    ImportError: what is missing is an optional dependency, the viz extra)."""


def require_graphviz():
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(f"tl.viz needs the 'graphviz' Python package to build graphs; "
                          f"install the viz extra: {EXTRA}") from err
    return graphviz


def layout(source: str, fmt: str, engine: str = "dot") -> bytes:
    """`source` laid out by `engine` and rendered as `fmt` bytes (svg, png or pdf)."""
    if fmt not in FORMATS:
        raise ValueError(f"viz: cannot render format {fmt!r}; use one of {', '.join(FORMATS)}")
    exe = shutil.which(engine)
    if exe is not None:
        return require_graphviz().pipe(engine, fmt, source.encode("utf-8"))
    try:
        import pygraphviz
    except ImportError as err:
        raise VizUnavailable(
            f"viz: rendering needs Graphviz, and found neither a '{engine}' executable on "
            f"PATH nor the pygraphviz package (whose wheel bundles the layout engine). "
            f"Install the viz extra: {EXTRA} (or save the graph as .dot text, which needs "
            f"neither)") from err
    return pygraphviz.AGraph(string=source).draw(format=fmt, prog=engine)


@lru_cache(maxsize=1)
def graph_class():
    """graphviz.Digraph, but piping (and so Jupyter display) works without a system dot."""
    graphviz = require_graphviz()

    class UnrolledGraph(graphviz.Digraph):
        """The unrolled graph as a `graphviz.Digraph`; `.source` is its DOT text."""

        def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None,
                 quiet=False, *, engine=None, encoding=None):
            engine = engine or self.engine
            if shutil.which(engine) is not None or renderer or formatter or neato_no_op:
                return super().pipe(format, renderer, formatter, neato_no_op, quiet,
                                    engine=engine, encoding=encoding)
            data = layout(self.source, format or self.format, engine)
            return data.decode(encoding) if encoding else data

        def _repr_svg_(self) -> str:
            return self.pipe(format="svg", encoding="utf-8")

        def _repr_html_(self) -> str | None:
            """Jupyter shows the explorer of this view (None, so the SVG, once the
            outputs it was drawn from are gone)."""
            from .explorer import explore_graph
            page = explore_graph(self)
            return None if page is None else page._repr_html_()

    return UnrolledGraph
