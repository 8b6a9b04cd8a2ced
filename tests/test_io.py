"""Hostile files and arguments for tl.save / tl.load / load_state_dict / read_config:
all-or-nothing loads, bounded archives, atomic saves that follow no planted link."""
from __future__ import annotations

import io as stdio
import json
import os
import stat
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm import io


def lstm(seed=0, dtype="float32", **kw):
    tl.manual_seed(seed)
    return tl.nn.LSTM(2, 3, num_layers=2, dtype=dtype, **kw)


def snapshot(module):
    """Everything a load could change: the Parameter objects, their values, dtypes, grads."""
    return [(name, p, p.numpy(), p.dtype, None if p.grad is None else p.grad.numpy())
            for name, p in module.named_parameters()]


def assert_unchanged(module, before):
    now = list(module.named_parameters())
    assert [n for n, _ in now] == [b[0] for b in before]
    for (name, p), (_, q, value, dtype, grad) in zip(now, before):
        assert p is q, name
        assert p.dtype == dtype and np.array_equal(p.numpy(), value, equal_nan=True), name
        assert (p.grad is None) == (grad is None), name
        if grad is not None:
            assert np.array_equal(p.grad.numpy(), grad), name


def with_grads(module):
    x = tl.tensor(np.ones((4, 1, 2), dtype=module.weight_ih_l0.numpy().dtype))
    module(x)[0].sum().backward()
    return module


# ---- loads are all or nothing ----------------------------------------------------------
LAST = "bias_hh_l1"   # the last entry: a partial load would already have changed the rest


def _bad(kind):
    shape = (12,)
    return {
        "numeric text": np.array(["0.5"] * 12),
        "bytes": np.array([b"1"] * 12),
        "datetime64": np.arange(12).astype("datetime64[s]"),
        "timedelta64": np.arange(12).astype("timedelta64[s]"),
        "structured": np.zeros(shape, dtype=[("w", "f4")]),
        "complex": np.ones(shape, dtype=complex),
        "bool": np.ones(shape, dtype=bool),
        "overflow 1e300": np.full(shape, 1e300),
        "overflow -1e39": np.full(shape, -1e39),
        "int beyond 2**24": np.full(shape, 2**24 + 1, dtype=np.int64),
        "uint64 max": np.full(shape, 2**64 - 1, dtype=np.uint64),
        "wrong shape": np.zeros((4, 3), dtype="float32"),
    }[kind]


BAD = ["numeric text", "bytes", "datetime64", "timedelta64", "structured", "complex", "bool",
       "overflow 1e300", "overflow -1e39", "int beyond 2**24", "uint64 max", "wrong shape"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_last_entry_in_memory_changes_nothing_and_names_the_key(kind):
    model = with_grads(lstm())
    before = snapshot(model)
    state = lstm(seed=1).state_dict()         # different values everywhere
    state[LAST] = _bad(kind)
    with pytest.raises(ValueError, match=f"LSTM.load_state_dict: key '{LAST}'") as info:
        model.load_state_dict(state)
    assert_unchanged(model, before)
    assert any(word in str(info.value) for word in ("convert", "pass", "rescale", "built", "check", "take"))


@pytest.mark.parametrize("kind", BAD)
def test_bad_last_entry_in_a_file_changes_nothing_and_names_key_and_file(kind, tmp_path):
    model = with_grads(lstm())
    before = snapshot(model)
    state = lstm(seed=1).state_dict()
    state[LAST] = _bad(kind)
    path = tmp_path / "bad.npz"
    tl.save(state, path)
    with pytest.raises(ValueError) as info:
        tl.load(path, into=model)
    assert f"key '{LAST}' in {path}" in str(info.value)
    assert_unchanged(model, before)


def test_object_and_ragged_values_are_refused_in_memory():
    model = lstm()
    before = snapshot(model)
    state = lstm(seed=1).state_dict()
    state[LAST] = np.array([object()] * 12)
    with pytest.raises(ValueError, match=r"key 'bias_hh_l1' has dtype object \(Python objects\)"):
        model.load_state_dict(state)
    state[LAST] = [[1.0], [1.0, 2.0]]
    with pytest.raises(TypeError, match="key 'bias_hh_l1' is not an array"):
        model.load_state_dict(state)
    with pytest.raises(TypeError, match="expected a dict of arrays"):
        model.load_state_dict([("bias_hh_l1", np.zeros(12))])
    assert_unchanged(model, before)


def test_missing_and_unexpected_keys_name_the_key_and_the_file(tmp_path):
    model = lstm()
    before = snapshot(model)
    state = lstm(seed=1).state_dict()
    del state["weight_hh_l1"]
    tl.save(state, tmp_path / "missing.npz")
    with pytest.raises(KeyError, match=r"missing key\(s\) \['weight_hh_l1'\] in .*missing.npz"):
        tl.load(tmp_path / "missing.npz", into=model)
    tl.save({**lstm(seed=1).state_dict(), "extra": np.zeros(1)}, tmp_path / "extra.npz")
    with pytest.raises(KeyError, match=r"unexpected key\(s\) \['extra'\] in .*extra.npz"):
        tl.load(tmp_path / "extra.npz", into=model)
    assert_unchanged(model, before)


def test_accepted_casts(tmp_path):
    """Rounding float64 -> float32, small integers, float16 and byte-swapped arrays load;
    NaN and inf already in the file load as they are (as in PyTorch)."""
    model = lstm()
    source = lstm(seed=1, dtype="float64").state_dict()
    source["weight_ih_l0"] = np.arange(24, dtype=np.int64).reshape(12, 2) - 2**24
    source["bias_ih_l0"] = np.linspace(-1, 1, 12).astype(np.float16)
    source["bias_hh_l0"] = np.linspace(-1, 1, 12).astype(">f8")
    source["bias_ih_l1"] = np.array([np.nan, np.inf, -np.inf] + [1e-300] * 9)
    tl.save(source, tmp_path / "ok.npz")
    tl.load(tmp_path / "ok.npz", into=model)
    for name, p in model.named_parameters():
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), source[name].astype("float32"), err_msg=name)
    assert model.weight_ih_l0.numpy()[0, 0] == -(2**24)   # exact


def test_1e300_loads_into_float64(tmp_path):
    model = lstm(dtype="float64")
    state = dict(model.state_dict(), bias_hh_l1=np.full(12, 1e300))
    model.load_state_dict(state)
    assert model.bias_hh_l1.numpy()[0] == 1e300


def test_tensor_values_load():
    model, other = lstm(), lstm(seed=1)
    model.load_state_dict(dict(other.named_parameters()))
    for (_, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


# ---- archives: bounded before inflating -----------------------------------------------
def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """crc32(a + b) from crc32(a), crc32(b) and len(b) (zlib's crc32_combine, GF(2) matrices)."""
    def times(mat, vec):
        out, i = 0, 0
        while vec:
            if vec & 1:
                out ^= mat[i]
            vec, i = vec >> 1, i + 1
        return out

    def square(mat):
        return [times(mat, mat[n]) for n in range(32)]

    odd = [0xEDB88320] + [1 << n for n in range(31)]   # one zero bit
    even = square(odd)                                 # two
    odd = square(even)                                 # four
    while len2:
        even = square(odd)
        if len2 & 1:
            crc1 = times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = square(even)
        if len2 & 1:
            crc1 = times(odd, crc1)
        len2 >>= 1
    return crc1 ^ crc2


def zip_bomb(path, mebibytes: int, name="weight_ih_l0.npy"):
    """A real, valid .npz: one float32 array of `mebibytes` MiB of zeros, deflated.
    Built in milliseconds: after a full flush, deflate encodes each MiB of zeros as the same
    ~1 KB block, and the CRC of the zeros comes from crc32_combine, not from 2 GiB of data."""
    header = stdio.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (mebibytes << 18,)})
    header = header.getvalue()
    chunk = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) == block
    data = head + block * mebibytes + c.flush()
    zeros_crc, n = zlib.crc32(chunk), 1 << 20
    while n < mebibytes << 20:
        zeros_crc, n = _crc32_combine(zeros_crc, zeros_crc, n), 2 * n
    assert n == mebibytes << 20, "mebibytes must be a power of two"
    crc = _crc32_combine(zlib.crc32(header), zeros_crc, n)
    size = len(header) + n
    raw = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, crc, len(data), size,
                        len(raw), 0) + raw
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 33, crc, len(data),
                          size, len(raw), 0, 0, 0, 0, 0, 0) + raw
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


def test_zip_bomb_builder_makes_a_valid_npz(tmp_path):
    path = zip_bomb(tmp_path / "small.npz", 8)
    assert path.stat().st_size < 16 * 1024
    with np.load(path) as archive:           # NumPy inflates it and checks the CRC
        w = archive["weight_ih_l0"]
    assert w.shape == (8 << 18,) and not w.any()
    assert tl.load(path)["weight_ih_l0"].shape == (8 << 18,)


def test_a_2mb_file_inflating_to_2gib_is_refused_fast_with_little_memory(tmp_path):
    path = zip_bomb(tmp_path / "bomb.npz", 2048)
    assert path.stat().st_size < 2.5e6
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].file_size > 2**31
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            tl.load(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "over the limit of 1.00 GiB" in message and "max_bytes=" in message
    assert str(path) in message
    assert elapsed < 0.25, f"refusal took {elapsed:.3f} s"
    assert peak < 256 * 1024, f"refusal traced {peak} bytes"


def test_max_bytes_raises_and_lowers_the_limit(tmp_path):
    path = tmp_path / "three.npz"
    tl.save({"w": np.zeros(3 << 18, dtype="float32")}, path)      # 3 MiB
    assert tl.load(path)["w"].size == 3 << 18
    with pytest.raises(ValueError, match="over the limit of 1.0 MiB.*max_bytes=3145"):
        tl.load(path, max_bytes=1 << 20)
    assert tl.load(path, max_bytes=4 << 20)["w"].size == 3 << 18


def test_many_entries_are_counted_together(tmp_path):
    path = tmp_path / "many.npz"
    tl.save({f"w{i}": np.zeros(1 << 16, dtype="float32") for i in range(8)}, path)  # 8 x 256 KiB
    with pytest.raises(ValueError, match="declares 2.0 MiB"):
        tl.load(path, max_bytes=(1 << 21) - 1)
    assert len(tl.load(path, max_bytes=3 << 20)) == 8


def _npz_with(tmp_path, members):
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def _npy_header(shape, descr="<f4"):
    buf = stdio.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def test_an_npy_header_larger_than_its_entry_is_refused_before_allocating(tmp_path):
    path = _npz_with(tmp_path, [("w.npy", _npy_header((1 << 40,)) + bytes(16))])
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"entry 'w' declares shape \(1099511627776,\)"):
            tl.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024


@pytest.mark.parametrize("members, message", [
    ([("w.npy", _npy_header((2,), "|O") + bytes(16))], "pickled"),
    ([("notes.txt", b"hello")], "member 'notes.txt' is not an array"),
    ([("w.npy", b"\x93NUMPY\x09\x00junk")], "entry 'w' is damaged or has no array header"),
])
def test_malformed_archives_name_the_entry(tmp_path, members, message):
    with pytest.raises(ValueError, match=message):
        tl.load(_npz_with(tmp_path, members))


def test_an_entry_stored_twice_is_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _npz_with(tmp_path, [("w.npy", _npy_header((1,)) + bytes(4))] * 2)
    with pytest.raises(ValueError, match="entry 'w' appears twice"):
        tl.load(path)


def test_a_bad_crc_is_reported_not_returned(tmp_path):
    path = tmp_path / "m.npz"
    tl.save({"w": np.arange(64, dtype="float32")}, path)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF                       # inside the array's bytes (stored, not deflated)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="entry 'w' is damaged.*CRC"):
        tl.load(path)


def test_a_single_npy_file_is_not_a_parameter_file(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        tl.load(tmp_path / "w.npy")


# ---- saves: atomic, no link followed --------------------------------------------------
def test_same_arrays_same_bytes_and_numpy_reads_them(tmp_path, monkeypatch):
    model = lstm()
    monkeypatch.setattr(time, "time", lambda: 1.0e9)      # np.savez would stamp these times
    tl.save(model, tmp_path / "a.npz")
    monkeypatch.setattr(time, "time", lambda: 1.5e9)
    tl.save(model, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as archive:
        assert archive.files == list(model.state_dict())


def test_a_symlink_planted_at_the_old_tmp_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "model.npz"
    planted = tmp_path / "model.npz.tmp"
    planted.symlink_to(victim)
    tl.save(lstm(), target)
    assert victim.read_text() == "precious"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)
    assert tl.load(target).keys() == lstm().state_dict().keys()


def test_a_symlink_planted_at_the_chosen_temp_name_is_not_followed(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["planted", "planted", "fresh"])
    monkeypatch.setattr(io.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".model.npz.planted.tmp").symlink_to(victim)
    tl.save(lstm(), tmp_path / "model.npz")
    assert victim.read_text() == "precious"
    assert (tmp_path / ".model.npz.planted.tmp").is_symlink()
    assert not (tmp_path / ".model.npz.fresh.tmp").exists()
    assert "weight_ih_l0" in tl.load(tmp_path / "model.npz")


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "model.npz").symlink_to(victim)
    tl.save(lstm(), tmp_path / "model.npz")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "model.npz").is_symlink()


def test_a_failed_save_names_the_users_path_removes_the_temp_and_keeps_the_old_file(
        tmp_path, monkeypatch):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old model")

    def full_disk(f, arrays):
        f.write(b"partial")
        raise OSError(28, "No space left on device", str(tmp_path / ".model.npz.x.tmp"))

    monkeypatch.setattr(io, "_write_npz", full_disk)
    with pytest.raises(OSError) as info:
        tl.save(lstm(), target)
    message = str(info.value)
    assert f"cannot write {target} (No space left on device)" in message
    assert ".tmp" not in message and info.value.errno == 28
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    assert target.read_bytes() == b"old model"


def test_an_interrupted_save_removes_the_temp(tmp_path, monkeypatch):
    def interrupted(f, arrays):
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "_write_npz", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tl.save(lstm(), tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where, error, hint", [
    ("missing/model.npz", FileNotFoundError, "does not exist; create it first"),
    ("", IsADirectoryError, "it is a folder"),
])
def test_save_errors_name_the_path_and_the_fix(tmp_path, where, error, hint):
    path = tmp_path / where if where else tmp_path
    with pytest.raises(error) as info:
        tl.save(lstm(), path)
    assert f"cannot write {path}" in str(info.value) and hint in str(info.value)
    assert ".tmp" not in str(info.value)


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        tl.save(lstm(), tmp_path / "new.npz")
        (tmp_path / "private.npz").write_bytes(b"")
        os.chmod(tmp_path / "private.npz", 0o600)
        tl.save(lstm(), tmp_path / "private.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "private.npz").st_mode) == 0o600


# ---- a JSON config inside a checkpoint ------------------------------------------------
FIELDS = {"model": str, "hidden": int, "lr": float, "vocab": list}


def test_config_round_trip(tmp_path):
    config = {"model": "lstm", "hidden": 8, "lr": 0.01, "vocab": ["a", "b"]}
    tl.save(lstm(), tmp_path / "run.npz", config=config)
    arrays = tl.load(tmp_path / "run.npz")
    assert io.read_config(arrays, tmp_path / "run.npz", FIELDS) == config


def _with_config(tmp_path, text):
    path = tmp_path / "run.npz"
    tl.save({"config": np.array(text)}, path)
    return tl.load(path), path


@pytest.mark.parametrize("text, message", [
    ('{"model": "lstm", "hidden": ', r"entry 'config' of .*run.npz is not valid JSON \(Expecting value at line 1 column 29\)"),
    ('["lstm", 8]', r"entry 'config' of .*run.npz must be a JSON object .* it is a list"),
    ('{"model": "lstm", "lr": 0.1, "vocab": []}', r"config of .*run.npz lacks key 'hidden' \(an integer\)"),
    ('{"model": "lstm", "hidden": "8", "lr": 0.1, "vocab": []}', r"config key 'hidden' in .*run.npz is \"8\" \(a string\) but must be an integer"),
    ('{"model": "lstm", "hidden": 4.5, "lr": 0.1, "vocab": []}', r"key 'hidden' .* is 4.5 \(a number\) but must be an integer"),
    ('{"model": "lstm", "hidden": true, "lr": 0.1, "vocab": []}', r"key 'hidden' .* is true \(true or false\)"),
    ('{"model": "lstm", "hidden": 8, "lr": NaN, "vocab": []}', r"key 'lr' .* is NaN .* must be a number \(finite\)"),
    ('{"model": 3, "hidden": 8, "lr": 0.1, "vocab": []}', r"key 'model' .* is 3 \(an integer\) but must be a string"),
])
def test_broken_configs_name_the_file_and_the_key(tmp_path, text, message):
    arrays, path = _with_config(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        io.read_config(arrays, path, FIELDS)


def test_a_config_that_is_not_text_or_absent(tmp_path):
    path = tmp_path / "run.npz"
    tl.save({"config": np.zeros(3)}, path)
    with pytest.raises(ValueError, match=r"entry 'config' of .*run.npz must be JSON text"):
        io.read_config(tl.load(path), path)
    tl.save(lstm(), path)
    with pytest.raises(ValueError, match=r"run.npz has no 'config' entry"):
        io.read_config(tl.load(path), path)


def test_saving_a_config_json_cannot_hold_names_the_key(tmp_path):
    with pytest.raises(ValueError, match="config key 'lr' holds nan"):
        tl.save(lstm(), tmp_path / "run.npz", config={"lr": float("nan")})
    with pytest.raises(ValueError, match="config key 'shape' holds"):
        tl.save(lstm(), tmp_path / "run.npz", config={"shape": np.zeros(2)})
    assert list(tmp_path.iterdir()) == []


def test_loads_on_every_backend_are_all_or_nothing(backend, tmp_path):
    """The checks run on NumPy copies; the parameters move only once every entry is ready."""
    model = lstm(backend=backend)
    before = snapshot(model)
    state = lstm(seed=1).state_dict()
    state[LAST] = np.full(12, 1e300)
    with pytest.raises(ValueError, match="would become inf"):
        model.load_state_dict(state)
    assert_unchanged(model, before)
    tl.save(lstm(seed=1), tmp_path / "m.npz")
    tl.load(tmp_path / "m.npz", into=model)
    for name, p in model.named_parameters():
        assert p.backend.name == backend
        np.testing.assert_array_equal(p.numpy(), lstm(seed=1).state_dict()[name])
