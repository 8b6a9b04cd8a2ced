"""Plots for the command line, the demo and the docs (matplotlib, imported only when a plot
is made, through its object-oriented API: no pyplot, no global state).

Each plot also writes the numbers it drew next to itself (`loss.png` -> `loss.json`), so a
run can be compared or re-plotted without matplotlib, and the docs' tests can check the
committed figures against what the code makes now.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Mapping, Sequence

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


def progress_bar(total: int, desc: str):
    """A tqdm progress bar counting training steps."""
    tqdm = require("tqdm")
    return tqdm.tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, leave=True)


# The Graphviz inside pygraphviz's wheel comes with its own, older fontconfig. Reading the
# system's newer font configuration, it warns once per process about elements it does not
# know, e.g. `Fontconfig warning: "/usr/share/fontconfig/conf.avail/05-reset-dirs-sample.conf",
# line 6: unknown element "reset-dirs"`: noise about the machine's set-up, not about the
# graph. Only that warning, and only for the system's own configuration files, is dropped.
FONTCONFIG_NOISE = re.compile(r'Fontconfig warning: "(/etc/fonts|/usr/share/fontconfig)/'
                              r'[^"]*", line \d+: unknown element "[^"]*"\n?')


@contextlib.contextmanager
def quiet_fontconfig() -> Iterator[None]:
    """Run a graph render with the bundled fontconfig's warning about the system's font
    configuration removed. It is written by C code straight to file descriptor 2, so the
    descriptor is caught for the duration and everything else on it is passed on after."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:                          # no descriptor 2 (a detached process)
        yield
        return
    caught = tempfile.TemporaryFile()
    os.dup2(caught.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        caught.seek(0)
        text = FONTCONFIG_NOISE.sub("", caught.read().decode(errors="replace"))
        caught.close()
        if text:
            sys.stderr.write(text)
            sys.stderr.flush()


def _figure(width: float = 7.0, height: float = 4.0):
    require("matplotlib")
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.add_subplot()


def _colours(names) -> list[str]:
    """rnn red, lstm blue, gru green; anything else (or a second lstm) its own colour."""
    spare = iter(["#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f"])
    used, out = set(), []
    for name in names:
        colour = next((c for key, c in COLOURS.items() if name.lower().startswith(key)), None)
        if colour is None or colour in used:
            colour = next(spare)
        used.add(colour)
        out.append(colour)
    return out


def _save(fig, path: str | Path, series: Mapping[str, Sequence[float]], **info) -> Path:
    """Write the figure and, beside it, its data as JSON (6 significant digits, NaN as null)."""
    path = Path(path)
    fig.savefig(path)
    data = {name: [None if not np.isfinite(v) else float(f"{v:.6g}") for v in np.asarray(values, float)]
            for name, values in series.items()}
    lines = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in info.items()]
    lines += [' "series": {'] + [f"  {json.dumps(name)}: {json.dumps(values)}," for name, values in data.items()]
    lines[-1] = lines[-1].rstrip(",")
    path.with_suffix(".json").write_text("{\n" + "\n".join(lines) + "\n }\n}\n")
    return path


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
    for colour, (name, losses) in zip(_colours(curves), curves.items()):
        steps = np.arange(1, len(losses) + 1)
        ax.plot(steps, losses, color=colour, alpha=0.25, linewidth=0.8)
        window = max(1, len(losses) // 40)
        ax.plot(steps, moving_average(losses, window), color=colour, linewidth=2, label=name)
    if baseline is not None:
        ax.axhline(baseline, color="0.4", linestyle="--", linewidth=1,
                   label=f"{baseline_label} ({baseline:.3g})")
    ax.set(yscale="log", xlabel="update", ylabel=ylabel, title=title)
    values = np.concatenate([np.asarray(v, float) for v in curves.values()] or [[1.0]])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() < 10 * values.min():   # under a decade: plain numbers
        from matplotlib.ticker import FormatStrFormatter
        ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path, curves, baseline=baseline)


def gradient_flow(flows: Mapping[str, np.ndarray], path: str | Path,
                  title: str = "gradient reaching each step", ylabel: str = "||dL/dh_t||",
                  by_lag: bool = False, floor: float | None = None) -> Path:
    """Gradient norms per step for each model, on a log scale. The last entry of each array
    is the step the loss is computed at. by_lag=True puts on the x axis the number of steps
    between each h_t and the loss instead of t. `floor` cuts the y axis off below."""
    fig, ax = _figure()
    for colour, (name, norms) in zip(_colours(flows), flows.items()):
        norms = np.asarray(norms, dtype=np.float64)
        shown = np.where(norms > 0, norms, np.nan)   # an exact 0 has no place on a log axis
        steps = np.arange(len(norms))
        xs = (len(norms) - 1 - steps) if by_lag else steps
        ax.plot(xs, shown, color=colour, linewidth=2, label=name)
    if by_lag:
        ax.set(xlabel="lag: steps between h_t and the loss")
    else:
        ax.set(xlabel="time step t (the loss is computed after the last step)")
    ax.set(yscale="log", ylabel=ylabel, title=title)
    if floor is not None:
        ax.set_ylim(bottom=floor)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path, flows, by_lag=by_lag)
