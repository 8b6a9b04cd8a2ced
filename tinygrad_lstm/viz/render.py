"""Turning DOT into pictures, with or without a system Graphviz.

When a `dot` executable is on PATH it does the layout (through the `graphviz` package);
otherwise pygraphviz does it in-process with the Graphviz libraries its wheel bundles, so
`pip install tinygrad-lstm[viz]` is enough on a fresh machine. The graph objects that
`tl.viz.draw` returns use the same route for `pipe()` and for Jupyter's inline SVG (and
show the explorer of their view as HTML, next to it).
"""
from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import sys
from functools import lru_cache

EXTRA = "pip install 'tinygrad-lstm[viz]'"
FORMATS = ("svg", "png", "pdf")
# Graphviz's layout time grows much faster than the graph: a loop of a few hundred ops with
# no step scopes can take minutes and gigabytes. Layouts run in a child process stopped
# after LAYOUT_TIMEOUT seconds, and graphs past MAX_LAYOUT_NODES are refused at once.
LAYOUT_TIMEOUT = 30.0
MAX_LAYOUT_NODES = 5000
WAY_OUT = ("If it comes from a loop you wrote, put each step under `with tl.scope(step=t):` "
           "so that only the first and last steps are drawn (max_steps, 8 by default) and the "
           "rest become one node; with max_steps='all', pass a number instead; or save the "
           "graph as .dot text, which needs no layout.")


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


def layout(source: str, fmt: str, engine: str = "dot",
           timeout: float | None = LAYOUT_TIMEOUT) -> bytes:
    """`source` laid out by `engine` and rendered as `fmt` bytes (svg, png or pdf).

    Refuses graphs of more than MAX_LAYOUT_NODES nodes, and stops a layout that runs past
    `timeout` seconds (None waits for ever), raising TimeoutError with the way out."""
    if fmt not in FORMATS:
        raise ValueError(f"viz: cannot render format {fmt!r}; use one of {', '.join(FORMATS)}")
    nodes = len(re.findall(r"^\s*n\d+ \[", source, flags=re.M))
    size = f"{nodes} nodes, {source.count(' -> ')} edges"
    if timeout is not None and nodes > MAX_LAYOUT_NODES:
        raise TimeoutError(f"viz: this picture has {size}, more than Graphviz lays out in "
                           f"reasonable time (the limit is {MAX_LAYOUT_NODES} nodes; "
                           f"timeout=None lifts it). {WAY_OUT}")
    try:
        exe = shutil.which(engine)
        if exe is not None:
            return _run_executable(exe, source, fmt, timeout)
        try:
            import pygraphviz  # noqa: F401
        except ImportError as err:
            raise VizUnavailable(
                f"viz: rendering needs Graphviz, and found neither a '{engine}' executable on "
                f"PATH nor the pygraphviz package (whose wheel bundles the layout engine). "
                f"Install the viz extra: {EXTRA} (or save the graph as .dot text, which needs "
                f"neither)") from err
        return _run_pygraphviz(source, fmt, engine, timeout)
    except (TimeoutError, subprocess.TimeoutExpired):
        raise TimeoutError(f"viz: Graphviz did not finish laying out this picture ({size}) "
                           f"within {timeout:g} s, and was stopped. {WAY_OUT} Or pass "
                           f"timeout=None (or a larger number) to wait for it.") from None


def _run_executable(exe: str, source: str, fmt: str, timeout: float | None) -> bytes:
    done = subprocess.run([exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                          timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"viz: {exe} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def _draw(send, source: str, fmt: str, engine: str) -> None:
    """In the child: lay out and send (True, bytes), or (False, the error)."""
    try:
        import pygraphviz
        send.send((True, pygraphviz.AGraph(string=source).draw(format=fmt, prog=engine)))
    except Exception as err:   # sent back to be raised in the parent
        send.send((False, f"{type(err).__name__}: {err}"))


def _run_pygraphviz(source: str, fmt: str, engine: str, timeout: float | None) -> bytes:
    """pygraphviz lays out in-process, where it cannot be interrupted: with a timeout, it
    runs in a forked child that is killed when the time is up (on Linux; elsewhere forking
    a process that has threads is not safe, so it runs here, bounded only by the node
    limit, and a system Graphviz executable, always run with the timeout, is the cure)."""
    if timeout is None or not sys.platform.startswith("linux"):   # fork is safe on Linux
        import pygraphviz
        return pygraphviz.AGraph(string=source).draw(format=fmt, prog=engine)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_draw, args=(send, source, fmt, engine), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise TimeoutError
        ok, result = receive.recv()
    except EOFError:
        ok, result = False, "the layout process died (out of memory?)"
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if not ok:
        raise RuntimeError(f"viz: Graphviz could not lay out this graph: {result}")
    return result


@lru_cache(maxsize=1)
def graph_class():
    """graphviz.Digraph, but piping (and so Jupyter display) works without a system dot."""
    graphviz = require_graphviz()

    class UnrolledGraph(graphviz.Digraph):
        """The unrolled graph as a `graphviz.Digraph`; `.source` is its DOT text. Its
        layouts (pipe(), Jupyter's display) stop after `layout_timeout` seconds."""

        layout_timeout = LAYOUT_TIMEOUT

        def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None,
                 quiet=False, *, engine=None, encoding=None):
            engine = engine or self.engine
            if renderer or formatter or neato_no_op:
                return super().pipe(format, renderer, formatter, neato_no_op, quiet,
                                    engine=engine, encoding=encoding)
            data = layout(self.source, format or self.format, engine, self.layout_timeout)
            return data.decode(encoding) if encoding else data

        def _repr_svg_(self) -> str:
            return self.pipe(format="svg", encoding="utf-8")

        def _repr_html_(self) -> str | None:
            """Jupyter shows the explorer of this view (None, so the SVG, once the
            outputs it was drawn from are gone, or for a graph past NOTEBOOK_RECORDS)."""
            from .explorer import NOTEBOOK_RECORDS, explore_graph
            page = explore_graph(self, NOTEBOOK_RECORDS)
            return None if page is None else page._repr_html_()

    return UnrolledGraph
