"""Save and load parameters as .npz: plain arrays keyed by parameter name, never pickles.

    tl.save(model, "model.npz")                  # or a dict name -> array/Tensor
    tl.save(model, "run.npz", config={...})      # plus a JSON config entry
    state = tl.load("model.npz")                 # dict of NumPy arrays
    tl.load("model.npz", into=model)             # checks every entry, then copies
    config = read_config(state, "run.npz", fields={"hidden": int})

Saving writes a fresh temporary file in the target's folder (created exclusively, so no
planted file or link is ever opened) and renames it over the target: a crash never leaves
half a file, and a symlink at the target is replaced, not followed.

Loading refuses, before inflating anything, an archive whose entries declare more than
`max_bytes` (1 GiB unless raised): the zip headers and each array's .npy header give the
sizes without reading data. Object (pickled) entries are refused, never unpickled.

Loading into a module is all or nothing: every key, shape, dtype and value is checked
before any parameter changes. A parameter takes real floating-point values, or integers it
holds exactly; text, bool, complex, dates and records are refused, and so is a value that
would overflow to inf in the parameter's dtype. Float64 into float32 rounds (as PyTorch's
copy does). NaN and inf stored in the file load as they are (PyTorch accepts them too, and
a diverged model is worth inspecting); a cast never creates one.
"""
from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import tape
from .tensor import Tensor

MAX_BYTES = 1 << 30   # default limit on what an archive may inflate to


class StateDictError(KeyError):
    """A missing or unexpected key in load_state_dict (a KeyError with a readable message)."""

    def __str__(self) -> str:
        return str(self.args[0])


# ---- saving ---------------------------------------------------------------------------
def _arrays(obj: Any, config: Mapping | None) -> dict[str, np.ndarray]:
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    out = {}
    for key, value in obj.items():
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(f"save: entry '{key}' is not a numeric array (dtype object)")
        out[str(key)] = array
    if config is not None:
        if "config" in out:
            raise ValueError("save: the arrays already hold an entry 'config'; pass the "
                             "config once, either as that entry or as config=")
        out["config"] = _config_entry(config)
    return out


def _config_entry(config: Mapping) -> np.ndarray:
    if not isinstance(config, Mapping):
        raise TypeError(f"save: config must be a dict, got {type(config).__name__}")
    for key, value in config.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ValueError(f"save: config key '{key}' holds {value!r}, which JSON cannot "
                             f"store ({err}); use numbers, strings, lists or dicts") from None
    return np.array(json.dumps(dict(config), sort_keys=True))


def _write_npz(f: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """An uncompressed .npz as np.savez writes it, but with fixed timestamps, so the same
    arrays always give the same bytes."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _create_temp(path: Path) -> tuple[int, str]:
    """A new file beside `path`. O_EXCL never opens an existing file or follows a link
    planted under the name; a random name makes such a plant pointless. (mkstemp would do,
    but its files are private, mode 0600, and a saved model should get the usual mode.)"""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file beside {path}")


def _save_error(path: Path, err: OSError) -> OSError:
    """The error for a failed save, naming the user's path (never the temporary one)."""
    reason = err.strerror or str(err)
    if isinstance(err, FileNotFoundError):
        hint = f"the folder {path.parent} does not exist; create it first"
    elif isinstance(err, IsADirectoryError) or path.is_dir():
        hint = f"it is a folder; give a file name such as {path / 'model.npz'}"
    elif isinstance(err, PermissionError):
        hint = "choose a folder you can write to"
    else:
        hint = "check the path and the free disk space"
    new = type(err)(f"save: cannot write {path} ({reason}): {hint}")
    new.errno = err.errno
    return new


def save(obj: Any, path: str | os.PathLike, config: Mapping | None = None) -> None:
    """Write a module's state_dict (or a dict of arrays) to `path` as .npz, atomically.

    `config` (a JSON-able dict, e.g. how to rebuild the model) is stored as entry 'config';
    read it back with `read_config`. The same arrays always give the same bytes."""
    arrays = _arrays(obj, config)
    path = Path(path)
    if path.is_dir():
        raise _save_error(path, IsADirectoryError(errno.EISDIR, "Is a directory"))
    try:
        fd, tmp = _create_temp(path)
    except OSError as err:
        raise _save_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod") and _regular(path):   # replacing: keep its mode
                os.fchmod(f.fileno(), stat.S_IMODE(os.stat(path).st_mode))
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise _save_error(path, err) from None
        raise


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# ---- reading --------------------------------------------------------------------------
def _invalid(path: Path, why: str) -> ValueError:
    return ValueError(f"load: {path} is not a valid parameter file: {why}")


def _size(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def _too_big(path: Path, declared: int, max_bytes: int) -> ValueError:
    return ValueError(f"load: {path} declares {_size(declared)} ({declared} bytes) when "
                      f"unpacked, over the limit of {_size(max_bytes)}; nothing was read. If "
                      f"you trust the file, raise the limit: tl.load(..., max_bytes={declared})")


def _open_archive(path: Path) -> zipfile.ZipFile:
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        raise _invalid(path, "it holds a single array (.npy), not an .npz archive of named "
                             "arrays; save parameters with tl.save")
    if magic[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise _invalid(path, "it is not an .npz archive; a file that is neither .npz nor "
                             ".npy could only be read by unpickling it, which is never done")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise _invalid(path, f"the archive is damaged or truncated ({err}); "
                                   f"save the model again") from None


def _check_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, key: str) -> None:
    """Refuse an entry whose .npy header declares object data or more bytes than the entry
    holds, reading only the header (numpy refuses one over 10,000 bytes)."""
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f".npy format version {version} is not supported")
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(member)
            offset = member.tell()
    except Exception as err:  # zip, zlib, header parsing or encryption errors
        raise _invalid(path, f"entry '{key}' is damaged or has no array header ({err})") from None
    if dtype.hasobject:
        raise _invalid(path, f"entry '{key}' holds pickled (object) data, and reading it "
                             f"would mean unpickling it, which is never done")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != info.file_size - offset:
        raise _invalid(path, f"entry '{key}' declares shape {shape} of {dtype} "
                             f"({nbytes} bytes) but holds {info.file_size - offset} bytes")


def _entries(archive: zipfile.ZipFile, path: Path, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Each entry's key and zip record, after checking the declared sizes against the limit."""
    infos = archive.infolist()
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise _too_big(path, declared, max_bytes)
    entries = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise _invalid(path, f"member '{info.filename}' is not an array (.npy)")
        key = info.filename[:-len(".npy")]
        if key in entries:
            raise _invalid(path, f"entry '{key}' appears twice")
        entries[key] = info
    for key, info in entries.items():
        _check_header(archive, info, path, key)
    return entries


def _read(path: Path, max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of the archive, or a ValueError that says why the file is unusable."""
    with _open_archive(path) as archive:
        entries = _entries(archive, path, max_bytes)
        arrays = {}
        for key, info in entries.items():
            try:
                with archive.open(info) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
            except Exception as err:  # a bad CRC, a truncated deflate stream
                raise _invalid(path, f"entry '{key}' is damaged ({err}); save the model "
                                     f"again") from None
        return arrays


def load(path: str | os.PathLike, into: Any = None, strict: bool = True,
         max_bytes: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """Read a .npz written by `save`; with `into=module`, load it there (all or nothing).

    A truncated, corrupted or pickled file raises ValueError and executes nothing; so does
    an archive declaring more than `max_bytes` unpacked (1 GiB by default), before anything
    is inflated. Into a module, every key, shape, dtype and value is checked first."""
    path = Path(path)
    arrays = _read(path, max_bytes)
    if into is not None:
        params = dict(into.named_parameters())
        ready, _, _ = check_state(params, arrays, strict, f"load into {type(into).__name__}",
                                  source=str(path))
        assign(params, ready)
    return arrays


# ---- checking a state against the parameters ----------------------------------------
_REFUSED = {  # dtype kind -> (what it is, the fix)
    "b": ("bool", "convert it with .astype('float32') if 0/1 weights are meant"),
    "c": ("complex", "take .real if the imaginary part is meant to be zero"),
    "U": ("text", "numbers written as text are not converted; convert them with "
                  ".astype('float32') before loading"),
    "S": ("bytes", "convert them with .astype('float32') before loading"),
    "M": ("dates", "this is not a weight; check which array was saved under this key"),
    "m": ("durations", "this is not a weight; check which array was saved under this key"),
    "V": ("structured records", "pass the field that holds the weights, e.g. value['w']"),
    "O": ("Python objects", "pass a numeric array"),
}


def _cast(value: Any, param: Tensor, where: str) -> Any:
    """`value` as an array of the parameter's dtype and backend, or an error that starts
    with `where` (who is loading, the key, the file)."""
    try:
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{where} is not an array ({err}); pass a NumPy array") from None
    if array.shape != param.shape:
        raise ValueError(f"{where} has shape {array.shape} but the parameter has shape "
                         f"{param.shape}; was the module built with the same sizes?")
    target = np.dtype(param.backend.dtype_name(param.dtype))
    kind = array.dtype.kind
    if kind not in "iuf":
        what, fix = _REFUSED.get(kind, (str(array.dtype), "pass real floating-point values"))
        raise ValueError(f"{where} has dtype {array.dtype} ({what}) but the parameter takes "
                         f"real {target} values; {fix}")
    if kind in "iu" and array.size:
        exact = 2 ** (np.finfo(target).nmant + 1)
        worst = max(abs(int(array.max())), abs(int(array.min())))
        if worst > exact:
            raise ValueError(f"{where} holds the integer {worst}, which {target} cannot hold "
                             f"exactly (only up to 2**{exact.bit_length() - 1}); convert "
                             f"deliberately with .astype('{target}') or build the module with "
                             f"dtype='float64'")
    with np.errstate(over="ignore", invalid="ignore"):
        out = array.astype(target, copy=False)
    if kind == "f":
        created = np.isinf(out) & np.isfinite(array)
        if created.any():
            raise ValueError(f"{where} holds {array[created].flat[0]:.4g}, which overflows "
                             f"{target} (largest {np.finfo(target).max:.4g}) and would become "
                             f"inf; rescale it or build the module with dtype='float64'")
    return param.backend.asarray(out)


def check_state(params: Mapping[str, Tensor], state: Mapping[str, Any], strict: bool = True,
                who: str = "load_state_dict", source: str | None = None
                ) -> tuple[dict[str, Any], list, list]:
    """Every entry of `state` checked against `params` and converted, ready for `assign`:
    (arrays, missing keys, unexpected keys). Raises, naming the key, `source` (the file) and
    the fix, on the first problem; nothing is changed either way."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{who}: expected a dict of arrays (a state_dict), got "
                        f"{type(state).__name__}")
    src = f" in {source}" if source else ""
    missing = [k for k in params if k not in state]
    unexpected = [k for k in state if k not in params]
    if strict and missing:
        raise StateDictError(f"{who}: missing key(s) {missing}{src}; the module expects "
                             f"{list(params)}. Pass strict=False to load a subset")
    if strict and unexpected:
        raise StateDictError(f"{who}: unexpected key(s) {unexpected}{src}; the module has "
                             f"{list(params)}. Check the layer names or pass strict=False")
    ready = {key: _cast(state[key], p, f"{who}: key '{key}'{src}")
             for key, p in params.items() if key in state}
    return ready, missing, unexpected


def assign(params: Mapping[str, Tensor], ready: Mapping[str, Any]) -> None:
    """Copy arrays from `check_state` into the parameters (same shape, dtype and backend)."""
    with tape.no_grad():
        for key, array in ready.items():
            params[key].copy_(array)


# ---- a JSON config stored in a checkpoint -------------------------------------------
_KIND = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
         list: "a list", dict: "an object"}


def _json_kind(value: Any) -> str:
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return _KIND[kind]
    return "null"


def _fits(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def read_config(arrays: Mapping[str, Any], source: str | os.PathLike,
                fields: Mapping[str, type] | None = None, key: str = "config") -> dict:
    """The JSON object stored as entry `key` of a loaded archive (see `save(config=)`).

    `fields` maps required config keys to int, float (finite), str, bool, list or dict;
    a missing key or a wrong type raises ValueError naming `source`, the key and the fix.
    Ranges are the caller's to check."""
    if key not in arrays:
        raise ValueError(f"{source} has no '{key}' entry, so it is not a checkpoint saved "
                         f"with a config; use the file the training run saved")
    entry = np.asarray(arrays[key])
    if entry.shape != () or entry.dtype.kind != "U":
        raise ValueError(f"entry '{key}' of {source} must be JSON text, but it is an array "
                         f"of dtype {entry.dtype} and shape {entry.shape}; save it again")
    try:
        config = json.loads(str(entry))
    except json.JSONDecodeError as err:
        raise ValueError(f"entry '{key}' of {source} is not valid JSON ({err.msg} at line "
                         f"{err.lineno} column {err.colno}); the file is damaged or was "
                         f"edited: save the model again") from None
    if not isinstance(config, dict):
        raise ValueError(f"entry '{key}' of {source} must be a JSON object (name: value), "
                         f"but it is {_json_kind(config)}; save the model again")
    for name, kind in (fields or {}).items():
        if name not in config:
            raise ValueError(f"{key} of {source} lacks key '{name}' ({_KIND[kind]}); save "
                             f"the model again with this version")
        if not _fits(config[name], kind):
            raise ValueError(f"{key} key '{name}' in {source} is "
                             f"{json.dumps(config[name])[:40]} ({_json_kind(config[name])}) "
                             f"but must be {_KIND[kind]}"
                             f"{' (finite)' if kind is float else ''}; fix the value or save "
                             f"the model again")
    return config
