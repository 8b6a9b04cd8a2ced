"""Save and load parameters as .npz: plain arrays keyed by parameter name, never pickles.

    tl.save(model, "model.npz")            # or a dict name -> array/Tensor
    state = tl.load("model.npz")           # dict of NumPy arrays
    tl.load("model.npz", into=model)       # checks every key and shape, then copies

Saving writes a temporary file next to the target and renames it into place, so a crash
never leaves half a file; loading into a module changes nothing unless every key and shape
matches (Module.load_state_dict checks everything first).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .tensor import Tensor


def _arrays(obj: Any) -> dict[str, np.ndarray]:
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    out = {}
    for key, value in obj.items():
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"save: entry '{key}' is not a numeric array (dtype object)")
        out[str(key)] = array
    return out


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a module's state_dict (or a dict of arrays) to `path` as .npz."""
    arrays = _arrays(obj)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _invalid(path: Path, err: Exception, pickled: str) -> ValueError:
    """The error for an unusable file; `pickled` says what unpickling would have meant."""
    if isinstance(err, ValueError) and "pickle" in str(err):
        return ValueError(f"load: {path} is not a valid parameter file: {pickled}, which is "
                          f"never done; save parameters with tl.save")
    return ValueError(f"load: {path} is not a valid parameter file ({type(err).__name__}: {err})")


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every array of the archive, or a ValueError that says why the file is unusable.
    Pickled (object) entries are refused, never executed."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as err:  # truncated or corrupted: zip, header or format errors
        raise _invalid(path, err, "it is not an .npz archive, and reading it would mean "
                                  "unpickling it") from err
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} is not a valid parameter file (a single array, not "
                         f"an .npz archive of named arrays)")
    with archive:
        try:
            return {key: archive[key] for key in archive.files}
        except Exception as err:
            raise _invalid(path, err, "it holds pickled (object) entries, and reading them "
                                      "would mean unpickling them") from err


def load(path: str | os.PathLike, into: Any = None, strict: bool = True) -> dict[str, np.ndarray]:
    """Read a .npz written by `save` (allow_pickle=False); with `into=module`, load it there.

    A truncated, corrupted or pickled file raises ValueError and executes nothing; a load
    into a module changes nothing unless every key and shape matches."""
    arrays = _read(Path(path))
    if into is not None:
        into.load_state_dict(arrays, strict=strict)
    return arrays
