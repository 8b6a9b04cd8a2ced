"""Plots of a recording over time: gate heatmaps, saturation, the memory horizon, the
Jacobian by lag, and truncated BPTT's error against full BPTT.

matplotlib is imported inside each function (the object-oriented API: no pyplot, no
global state). Each plot writes the numbers it drew beside itself (`gates.png` ->
`gates.json`, {"series": {name: [values]}}), so the docs' tests can compare figures by
their data and a run can be re-plotted without matplotlib.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .trace import Trace

COLOURS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}
GATE_COLOURS = {"i": "#2ca02c", "f": "#1f77b4", "g": "#ff7f0e", "o": "#9467bd",
                "r": "#d62728", "z": "#1f77b4", "n": "#ff7f0e"}
CMAPS = {"sigmoid": ("viridis", 0.0, 1.0), "tanh": ("RdBu_r", -1.0, 1.0)}


def _figure(width: float, height: float, rows: int = 1, cols: int = 1):
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install 'tinygrad-lstm[cli]'") from err
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def _save(fig, path, series: Mapping[str, Sequence[float]], **info) -> Path:
    """The figure, and beside it its data as JSON (6 significant digits, NaN as null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    data = {name: [None if not np.isfinite(v) else float(f"{v:.6g}")
                   for v in np.asarray(values, dtype=np.float64).ravel()]
            for name, values in series.items()}
    path.with_suffix(".json").write_text(json.dumps({**info, "series": data}, indent=1) + "\n")
    return path


def _colour(name: str, k: int) -> str:
    spare = ["#9467bd", "#ff7f0e", "#17becf", "#8c564b"]
    return next((c for key, c in COLOURS.items() if name.lower().startswith(key)), spare[k % 4])


def heatmaps(tr: Trace, path, layer: str = "l0", batch: int = 0,
             roles: Sequence[str] | None = None, title: str | None = None,
             marks: Sequence[int] = ()) -> Path:
    """One panel per role (gates, then c and h): units down, time across; `marks` draws a
    dotted line at those steps in every panel (e.g. where the input carries a signal)."""
    from .trace import SQUASH
    roles = list(roles or tr.roles)
    fig, axes = _figure(8.0, 1.0 + 1.05 * len(roles), len(roles), 1)
    series = {}
    for ax, role in zip(axes[:, 0], roles):
        values = tr.get(role, layer)[:, batch].T          # (hidden, steps)
        squash = SQUASH.get(role, "tanh")
        cmap, low, high = CMAPS[squash]
        if role == "c":                                   # c is not bounded: its own scale
            bound = max(float(np.abs(values).max()), 1e-12)
            low, high = -bound, bound
        image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=low, vmax=high,
                          interpolation="nearest")
        ax.set_ylabel(role, rotation=0, labelpad=12, fontsize=11)
        ax.set_yticks([])
        for step in marks:
            ax.axvline(step, color="#d62728", linestyle=":", linewidth=1.2)
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
        series[role] = values
    axes[-1, 0].set_xlabel("time step t")
    fig.suptitle(title or f"{tr.kind.upper()} {tr.scopes[layer]}: every unit at every step")
    return _save(fig, path, series, kind=tr.kind, layer=layer)


def saturation(tr: Trace, path, layer: str = "l0", margin: float = 0.05,
               title: str | None = None) -> Path:
    """Fraction of units whose gate is saturated (derivative near 0), per gate and step."""
    shares = tr.saturation(layer, margin)
    if not shares:
        raise ValueError("saturation: an RNN has no gates; trace an LSTM or a GRU")
    fig, axes = _figure(7.0, 3.6)
    ax = axes[0, 0]
    for gate, share in shares.items():
        ax.plot(np.arange(tr.steps), share, color=GATE_COLOURS[gate], linewidth=1.8, label=gate)
    ax.set(ylim=(-0.02, 1.02), xlabel="time step t", ylabel="share of units saturated",
           title=title or f"{tr.kind.upper()} gates within {margin:g} of their limits")
    ax.grid(True, alpha=0.3)
    ax.legend(ncol=len(shares))
    return _save(fig, path, shares, margin=margin)


def memory(tr: Trace, path, layer: str = "l0", batch: int = 0, start: int = 0,
           title: str | None = None) -> Path:
    """The running product of forget gates after `start`, one line per unit (log scale):
    how much of c_start is still in c_t. The dotted line is 1/e; where a unit crosses it
    is its memory horizon."""
    product = tr.forget_product(layer, start)[:, batch]      # (steps, hidden)
    steps = np.arange(start, start + product.shape[0])
    fig, axes = _figure(7.0, 4.0)
    ax = axes[0, 0]
    floor = 1e-30
    for unit in range(product.shape[1]):
        ax.plot(steps, np.maximum(product[:, unit], floor), color="#1f77b4", alpha=0.35, linewidth=1)
    median = np.median(product, axis=1)
    ax.plot(steps, np.maximum(median, floor), color="#08306b", linewidth=2.4, label="median unit")
    ax.axhline(np.exp(-1.0), color="0.3", linestyle=":", linewidth=1, label="1/e")
    horizon = tr.memory_horizon(layer, start)[batch]
    ax.set(yscale="log", xlabel="time step t", ylabel=f"prod f_s, s = {start + 1}..t",
           title=title or f"memory horizon: median {np.median(horizon):.0f} steps "
                          f"(units: {horizon.min()}..{horizon.max()})")
    low = max(float(product[product > 0].min()) if np.any(product > 0) else floor, floor)
    ax.set_ylim(bottom=max(low / 2, floor), top=1.5)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path, {"median": median, "horizon": horizon}, start=start)


def lag_norms(norms: Mapping[str, np.ndarray], path, ylabel: str = "||dh_T / dh_t||",
              title: str = "how much of h_t still reaches h_T") -> Path:
    """Each model's Jacobian norm by lag T - t, on a log scale (entry t of each array is
    step t; the last entry is lag 0)."""
    fig, axes = _figure(7.0, 4.0)
    ax = axes[0, 0]
    for k, (name, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=np.float64)
        lags = np.arange(len(values))[::-1]
        ax.plot(lags, np.where(values > 0, values, np.nan), color=_colour(name, k),
                linewidth=2, label=name)
    ax.set(yscale="log", xlabel="lag T - t (steps between h_t and h_T)", ylabel=ylabel, title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path, {name: np.asarray(v)[::-1] for name, v in norms.items()})


def truncation_error(errors: Mapping[str, Mapping[str, Sequence[float]]], path,
                     title: str = "truncated BPTT against full BPTT") -> Path:
    """Two panels against the truncation length k: the cosine between the truncated and
    the full gradient, and their relative difference ||g_k - g|| / ||g||. `errors` maps a
    model name to {"k": [...], "cosine": [...], "relative": [...]} (truncation.errors)."""
    fig, axes = _figure(9.0, 3.8, 1, 2)
    left, right = axes[0]
    series = {}
    for n, (name, e) in enumerate(errors.items()):
        colour = _colour(name, n)
        left.plot(e["k"], e["cosine"], color=colour, marker="o", markersize=3.5, label=name)
        right.plot(e["k"], e["relative"], color=colour, marker="o", markersize=3.5, label=name)
        series.update({f"{name} k": e["k"], f"{name} cosine": e["cosine"],
                       f"{name} relative": e["relative"]})
    left.set(xlabel="truncation k (steps the gradient flows back)", ylabel="cosine(g_k, g_full)",
             ylim=(min(-0.05, left.get_ylim()[0]), 1.05))
    right.set(xlabel="truncation k (k = the sequence's length is full BPTT)",
              ylabel="||g_k - g_full|| / ||g_full||")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return _save(fig, path, series)
