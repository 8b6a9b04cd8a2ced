"""Plots for the command line, the demo and the docs (matplotlib, imported only when a plot
is made, through its object-oriented API: no pyplot, no global state)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

EXTRA = "pip install 'tinygrad-lstm[cli]'"
COLOURS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}


def require(module: str):
    """Import an optional dependency of the command line, or say which extra provides it."""
    try:
        return __import__(module)
    except ImportError as err:
        raise ImportError(f"this needs {module}, which comes with the command-line extra: "
                          f"{EXTRA}") from err


def _figure(width: float = 7.0, height: float = 4.0):
    require("matplotlib")
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.add_subplot()


def _colour(name: str, k: int) -> str:
    for key, colour in COLOURS.items():
        if name.lower().startswith(key):
            return colour
    return f"C{k + 3}"


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of each run of `window` values (shorter at the start)."""
    v = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.concatenate([[0.0], v]))
    lo = np.maximum(np.arange(1, len(v) + 1) - window, 0)
    return (sums[1:] - sums[lo]) / (np.arange(1, len(v) + 1) - lo)


def loss_curves(curves: Mapping[str, Sequence[float]], path: str | Path,
                baseline: float | None = None, baseline_label: str = "no memory",
                title: str = "training loss", ylabel: str = "loss") -> Path:
    """Each run's loss per update (faint) and its moving average, on a log scale."""
    fig, ax = _figure()
    for k, (name, losses) in enumerate(curves.items()):
        colour = _colour(name, k)
        steps = np.arange(1, len(losses) + 1)
        ax.plot(steps, losses, color=colour, alpha=0.25, linewidth=0.8)
        window = max(1, len(losses) // 40)
        ax.plot(steps, moving_average(losses, window), color=colour, linewidth=2, label=name)
    if baseline is not None:
        ax.axhline(baseline, color="0.4", linestyle="--", linewidth=1,
                   label=f"{baseline_label} ({baseline:.3g})")
    ax.set(yscale="log", xlabel="update", ylabel=ylabel, title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path)
    return Path(path)


def gradient_flow(flows: Mapping[str, np.ndarray], path: str | Path,
                  title: str = "gradient reaching each step",
                  ylabel: str = "||dL/dh_t||") -> Path:
    """||dL/dh_t|| against t for each model on a log scale; the loss sits at the last step."""
    fig, ax = _figure()
    for k, (name, norms) in enumerate(flows.items()):
        norms = np.asarray(norms, dtype=np.float64)
        shown = np.where(norms > 0, norms, np.nan)   # an exact 0 has no place on a log axis
        style = "--" if "c_t" in name or "(init" in name else "-"
        ax.plot(np.arange(len(norms)), shown, style, color=_colour(name, k), linewidth=2,
                label=name)
    ax.set(yscale="log", xlabel="time step t (the loss is computed after the last step)",
           ylabel=ylabel, title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path)
    return Path(path)
