"""Everything the command line checks before it starts work: argument types and ranges,
output paths, a rough estimate of the memory a run needs against a limit, and the config
stored in a checkpoint. A failed check is a UsageError: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

KINDS = ("rnn", "lstm", "gru")
TASKS = ("adding", "copy", "text")
GIB = 2 ** 30
DEFAULT_MAX_MEMORY_GIB = 4.0


class UsageError(Exception):
    """A bad argument or input file, found before any work starts."""


# ---- argument types (argparse reports their errors as "argument --x: <message>") -------
def int_in(low: int, high: int):
    """An argparse type: a plain decimal integer from low to high."""
    def parse(text: str) -> int:
        if not re.fullmatch(r"\+?[0-9]+", text.strip()) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low:,} to {high:,}, "
                                             f"got {text!r}")
        return int(text)
    parse.__name__ = "integer"
    return parse


def float_in(low: float, high: float, low_open: bool = False, none: bool = False):
    """An argparse type: a finite number in [low, high] ((low, high] with low_open);
    with none=True the word "none" gives None."""
    bracket = "(" if low_open else "["

    def parse(text: str) -> float | None:
        if none and text.strip().lower() == "none":
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        above = value > low if low_open else value >= low
        if not (math.isfinite(value) and above and value <= high):
            also = ' or "none"' if none else ""
            raise argparse.ArgumentTypeError(f"must be a finite number in {bracket}{low:g}, "
                                             f"{high:g}]{also}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


# ---- output paths: checked before training, so that a bad path never costs a run --------
def _probe(folder: Path) -> str | None:
    """Why a new file cannot be created in `folder`, or None when it can (tried for real:
    permission bits do not tell the whole story, e.g. for root or a read-only mount)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as err:
        return err.strerror or type(err).__name__


def check_output(path: str | None, suffixes: tuple[str, ...], flag: str) -> None:
    """`path` will be written: it ends with one of `suffixes`, is not a folder, and its
    folder exists and takes new files."""
    if path is None:
        return
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} must end with {' or '.join(suffixes)}, got {path!r}")
    if target.is_dir():
        raise UsageError(f"{flag}: {path!r} is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{flag}: the folder {str(folder)!r} does not exist; create it first")
    reason = _probe(folder)
    if reason:
        raise UsageError(f"{flag}: cannot write to the folder {str(folder)!r} ({reason})")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{flag}: {path!r} exists and cannot be overwritten")


def check_output_folder(path: str, flag: str) -> None:
    """A folder that will be created if needed and filled with files."""
    if not path.strip():
        raise UsageError(f"{flag} needs a folder name, got {path!r}")
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag}: {path!r} exists and is not a folder")
    existing = next(p for p in [folder, *folder.parents] if p.exists())
    if not existing.is_dir():
        raise UsageError(f"{flag}: {str(existing)!r} is a file, so {path!r} cannot be made")
    reason = _probe(existing)
    if reason:
        raise UsageError(f"{flag}: cannot write to {str(existing)!r} ({reason})")


# ---- memory: a rough estimate, measured against real runs (see check_memory) ------------
# Numbers kept per time step, per sequence and per unit of the hidden size while backward
# waits, by model, and bytes of tape bookkeeping per step and layer. Measured peaks on the
# NumPy backend (float32, one layer, T=200, batch 256, H=256) were 12.7 (lstm), 4.9 (rnn)
# and 21 (gru) numbers, and about 10 KB per step (RNN, T=5000); the figures below round up.
SAVED_PER_UNIT = {"rnn": 6, "lstm": 16, "gru": 24}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TAPE_BYTES_PER_STEP = 16_000


def parameter_count(kind: str, inputs: int, hidden: int, outputs: int, layers: int) -> int:
    """The recurrent stack's weights and biases plus a linear readout."""
    count = 0
    for k in range(layers):
        count += GATES[kind] * hidden * ((inputs if k == 0 else hidden) + hidden + 2)
    return count + (hidden + 1) * outputs


def run_bytes(kind: str, inputs: int, hidden: int, outputs: int, layers: int, steps: int,
              batch: int, itemsize: int = 4, training: bool = True) -> int:
    """Rough peak memory of one forward and backward over `steps` steps: the activations the
    tape keeps, the parameters (with gradients and Adam's two moments when training)."""
    per_sequence = steps * (layers * SAVED_PER_UNIT[kind] * hidden + inputs + 3 * outputs)
    params = parameter_count(kind, inputs, hidden, outputs, layers) * (4 if training else 2)
    return itemsize * (batch * per_sequence + params) + steps * layers * TAPE_BYTES_PER_STEP


def model_bytes(kind: str, inputs: int, hidden: int, outputs: int, layers: int) -> int:
    """Building a model: float64 random draws cast to float32, one parameter at a time at
    worst, so about 4 bytes a parameter plus the largest draw."""
    count = parameter_count(kind, inputs, hidden, outputs, layers)
    largest = GATES[kind] * hidden * max(inputs, hidden)
    return 4 * count + 12 * largest


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    while n >= 1024 and len(units) > 1:
        n, units = n / 1024, units[1:]
    return f"{n:.3g} {units[0]}"


def check_memory(need: int, limit_gib: float, what: str, fix: str) -> None:
    """Refuse a run estimated to need more than --max-memory, before allocating anything."""
    if need > limit_gib * GIB:
        raise UsageError(f"{what} would need about {format_bytes(need)} of memory, over the "
                         f"--max-memory limit of {limit_gib:g} GiB; {fix}")


# ---- checkpoint configs -------------------------------------------------------------------
CONFIG_INTS = {"hidden": 1_000_000, "layers": 100, "input_size": 1_000_000,
               "output_size": 1_000_000, "seq_len": 1_000_000}


def check_config(config: Any, source: str) -> dict:
    """The config a checkpoint stores, checked key by key: its task and model are known
    names, its sizes are integers in range (not "8", not 4.5), and a text model's
    vocabulary matches its input and output sizes."""
    def bad(message: str) -> UsageError:
        return UsageError(f"{source}: the checkpoint's config {message}; it was not written "
                          f"by `tinygrad-lstm train --save`, or was changed since")
    if not isinstance(config, dict):
        raise bad(f"is a {type(config).__name__}, not a mapping of settings")
    for key, choices in (("task", TASKS), ("model", KINDS)):
        if key not in config:
            raise bad(f"has no {key!r} entry")
        if config[key] not in choices:
            raise bad(f"has {key}={config[key]!r}; expected one of {', '.join(choices)}")
    for key, high in CONFIG_INTS.items():
        if key not in config:
            raise bad(f"has no {key!r} entry")
        value = config[key]
        if type(value) is not int:
            raise bad(f"has {key}={value!r}, which is not an integer")
        if not 1 <= value <= high:
            raise bad(f"has {key}={value}, outside 1 to {high:,}")
    if config["task"] == "text":
        vocab = config.get("vocab")
        if not isinstance(vocab, str) or len(set(vocab)) != len(vocab) or not vocab:
            raise bad("has no 'vocab' entry of distinct characters")
        if not len(vocab) == config["input_size"] == config["output_size"]:
            raise bad(f"has a vocabulary of {len(vocab)} characters but input_size="
                      f"{config['input_size']} and output_size={config['output_size']}")
    return config
