"""The long-time-lag tasks of Hochreiter & Schmidhuber (1997), "Long Short-Term Memory",
Neural Computation 9(8), with the paper's own definitions and its tests of success.

    embedded_reber(n)              strings of the embedded Reber grammar (Experiment 1)
    encode_reber(strings)          -> x (L, N, 7), follow (L, N, 7), mask (L, N)
    long_lag(n, p)                 the noise-free long-lag task, Task 2a
    adding_1997(n, min_len)        the adding problem as the paper defines it (Experiment 4)
    temporal_order(n, relevant)    the temporal order problem, Tasks 6a (2) and 6b (3)

Each `*_correct` function applies the paper's criterion to a model's outputs (NumPy
arrays) and returns one bool per sequence. Tensors are time-major (L, N, features);
a task whose sequences vary in length draws one length per call (all the sequences of a
batch share it) unless `length` is given, so a test set is drawn as several batches.
`tl.tasks.adding_problem` is the simpler modern variant (values in [0, 1], target the
plain sum); `adding_1997` is the paper's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..backends import get_backend
from ..tensor import Tensor

REBER_SYMBOLS = "BTPSXVE"
# The Reber grammar as a graph: state -> the two (symbol, next state) choices, each taken
# with probability 0.5. The string starts with B in state 0 and ends with E from state 5.
_REBER = {0: (("T", 1), ("P", 2)), 1: (("S", 1), ("X", 3)), 2: (("T", 2), ("V", 4)),
          3: (("X", 2), ("S", 5)), 4: (("P", 3), ("V", 5))}
ORDER_SYMBOLS = "EBabcdXY"                     # inputs of the temporal order problem
ORDER_POSITIONS = {2: ((10, 20), (50, 60)),    # where the X/Y symbols go (first element = 1)
                   3: ((10, 20), (33, 43), (66, 76))}
ORDER_CLASSES = {2: "QRSU", 3: "QRSUVABC"}      # X=0, Y=1, read as a binary number

ADDING_TOLERANCE = 0.04     # |output - target| at the sequence end
ORDER_TOLERANCE = 0.3       # |output - target| of every output unit at the sequence end
LONG_LAG_TOLERANCE = 0.25   # |output - target| of every output unit at every step


def _tensor(array: np.ndarray, dtype: Any, backend: Any) -> Tensor:
    bk = get_backend(backend)
    return Tensor(bk.asarray(np.ascontiguousarray(array).astype(dtype),
                             dtype=np.dtype(dtype).name), bk)


def _one_hot(index: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[index]


def _inner_reber(rng: np.random.Generator) -> str:
    out, state = "B", 0
    while state != 5:
        symbol, state = _REBER[state][rng.integers(2)]
        out += symbol
    return out + "E"


def embedded_reber(n: int, *, generator: np.random.Generator | None = None) -> list[str]:
    """`n` strings of the embedded Reber grammar: B, then T or P, a Reber string, the same
    T or P again, then E (every choice with probability 0.5). Predicting the symbol before
    the last means remembering the second one across the whole inner string."""
    rng = random.resolve(generator)
    strings = []
    for _ in range(n):
        outer = "TP"[rng.integers(2)]
        strings.append("B" + outer + _inner_reber(rng) + outer + "E")
    return strings


def reber_follow(string: str) -> list[str]:
    """For each symbol of an embedded Reber string but the last, the symbols that may come
    next (the grammar's state is known from the symbols read so far)."""
    if len(string) < 9 or string[0] != "B" or string[1] not in "TP" or string[-2:] != string[1] + "E":
        raise ValueError(f"reber_follow: {string!r} is not an embedded Reber string")
    follow, state = ["TP", "B"], 0
    for symbol in string[3:-3]:
        options = dict(_REBER.get(state, ()))
        if symbol not in options:
            raise ValueError(f"reber_follow: {string!r} is not an embedded Reber string")
        follow.append("".join(s for s, _ in _REBER[state]))
        state = options[symbol]
    if state != 5:
        raise ValueError(f"reber_follow: {string!r} is not an embedded Reber string")
    return follow + ["E", string[1], "E"]


def encode_reber(strings: list[str], *, dtype: Any = "float32",
                 backend: Any = None) -> tuple[Tensor, Tensor, Tensor]:
    """x: one-hot symbols (L, N, 7), every symbol but the last; follow: 1 for each symbol
    that may come next (L, N, 7); mask: 1 where a string has a symbol, 0 in the padding
    after a shorter string ends (L, N). L is the longest string's length minus one."""
    index = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    steps = max(len(s) for s in strings) - 1
    x = np.zeros((steps, len(strings), 7))
    follow, mask = np.zeros_like(x), np.zeros((steps, len(strings)))
    for j, string in enumerate(strings):
        for t, (symbol, nxt) in enumerate(zip(string[:-1], reber_follow(string))):
            x[t, j, index[symbol]] = 1.0
            follow[t, j, [index[s] for s in nxt]] = 1.0
            mask[t, j] = 1.0
    return _tensor(x, dtype, backend), _tensor(follow, dtype, backend), _tensor(mask, dtype, backend)


def reber_correct(outputs: np.ndarray, follow: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The paper's criterion per string: at every step, the output units of the symbols that
    may come next are the most active ones (each above every other unit)."""
    allowed = follow > 0.5
    lowest_allowed = np.where(allowed, outputs, np.inf).min(axis=-1)
    highest_other = np.where(allowed, -np.inf, outputs).max(axis=-1)
    return ((lowest_allowed > highest_other) | (mask < 0.5)).all(axis=0)


def long_lag(batch_size: int, p: int = 100, *, generator: np.random.Generator | None = None,
             dtype: Any = "float32", backend: Any = None) -> tuple[Tensor, Tensor]:
    """Task 2a: p + 1 symbols a_1 .. a_{p-1}, x, y (class indices 0 .. p-2, p-1, p), and
    two sequences, (y, a_1, ..., a_{p-1}, y) and (x, a_1, ..., a_{p-1}, x), each drawn with
    probability 0.5. The net predicts every next symbol; the last one is the first one,
    p steps back.

        x: one-hot (p, N, p + 1), the first p symbols;  y: int64 (p, N), the next symbols
    """
    if p < 2 or batch_size < 1:
        raise ValueError(f"long_lag: need p >= 2 and batch_size >= 1, got {p} and {batch_size}")
    first = p - 1 + random.resolve(generator).integers(0, 2, size=batch_size)
    middle = np.repeat(np.arange(p - 1)[:, None], batch_size, axis=1)
    seq = np.concatenate([first[None], middle, first[None]])
    bk = get_backend(backend)
    return _tensor(_one_hot(seq[:-1], p + 1), dtype, backend), \
        Tensor(bk.asarray(np.ascontiguousarray(seq[1:]), dtype="int64"), bk)


def long_lag_correct(probs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Task 2a's criterion per sequence: every output unit within 0.25 of its target (1 for
    the next symbol, 0 for the others) at every step. probs (L, N, C), targets (L, N)."""
    error = np.abs(probs - _one_hot(targets, probs.shape[-1]))
    return error.max(axis=(0, 2)) < LONG_LAG_TOLERANCE


def _length(rng: np.random.Generator, low: int, high: int, length: int | None, who: str) -> int:
    if length is None:
        return int(rng.integers(low, high + 1))
    if not low <= length <= high:
        raise ValueError(f"{who}: length must lie in [{low}, {high}], got {length}")
    return length


def adding_1997(batch_size: int, min_len: int = 100, *, length: int | None = None,
                generator: np.random.Generator | None = None, dtype: Any = "float32",
                backend: Any = None) -> tuple[Tensor, Tensor]:
    """The adding problem as Hochreiter & Schmidhuber (1997) define it (Experiment 4).

    Each step is a pair (value from U(-1, 1), marker). The length is drawn from
    [T, T + T/10] (T = min_len). One of the first ten pairs is marked 1 (its value is X1),
    then one of the first T/2 - 1 pairs still unmarked (X2); the first and last pairs are
    marked -1 unless marked 1, all others 0; a marked first pair has its value set to 0.
    The target, at the end, is 0.5 + (X1 + X2) / 4, the sum scaled into [0, 1]; a sequence
    is processed correctly when the output is within 0.04 of it. The lag is >= T/2 steps.

        x: (L, N, 2);  y: (N, 1)
    """
    if min_len < 20 or batch_size < 1:
        raise ValueError(f"adding_1997: need min_len >= 20 (the first mark is one of the first "
                         f"ten pairs, the second one of the first min_len/2) and batch_size >= 1, "
                         f"got {min_len} and {batch_size}")
    rng = random.resolve(generator)
    steps = _length(rng, min_len, min_len + min_len // 10, length, "adding_1997")
    values = rng.uniform(-1.0, 1.0, size=(steps, batch_size))
    first = rng.integers(0, 10, size=batch_size)
    second = rng.integers(0, min_len // 2 - 1, size=batch_size)
    second += second >= first                     # skip the pair already marked
    markers = np.zeros((steps, batch_size))
    markers[[0, -1]] = -1.0
    columns = np.arange(batch_size)
    markers[first, columns] = markers[second, columns] = 1.0
    values[0, markers[0] == 1.0] = 0.0
    y = 0.5 + (values[first, columns] + values[second, columns]) / 4.0
    return _tensor(np.stack([values, markers], axis=-1), dtype, backend), \
        _tensor(y[:, None], dtype, backend)


def adding_1997_correct(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Processed correctly: |output - target| < 0.04 at the sequence end. Shapes (N, 1)."""
    return (np.abs(outputs - targets) < ADDING_TOLERANCE).all(axis=-1)


def temporal_order(batch_size: int, relevant: int = 2, *, length: int | None = None,
                   generator: np.random.Generator | None = None, dtype: Any = "float32",
                   backend: Any = None) -> tuple[Tensor, Tensor]:
    """The temporal order problem (Experiment 6): Task 6a with relevant=2, 6b with 3.

    A sequence of 100 to 110 symbols starts with E, ends with the trigger B, and is random
    a, b, c, d except at 2 (3) positions drawn from [10, 20], [50, 60] ([10, 20], [33, 43],
    [66, 76]; the first element is position 1), which hold X or Y. The class (Q, R, S, U;
    or Q, R, S, U, V, A, B, C) is the order of the Xs and Ys, read as a binary number with
    X = 0: X,X -> Q; X,Y -> R; Y,X -> S; Y,Y -> U.

        x: one-hot over "EBabcdXY" (L, N, 8);  y: int64 class (N,)
    """
    if relevant not in ORDER_POSITIONS or batch_size < 1:
        raise ValueError(f"temporal_order: relevant must be 2 or 3 and batch_size >= 1, got "
                         f"{relevant} and {batch_size}")
    rng = random.resolve(generator)
    steps = _length(rng, 100, 110, length, "temporal_order")
    seq = rng.integers(2, 6, size=(steps, batch_size))            # a, b, c, d
    seq[0], seq[-1] = 0, 1                                          # E ... B
    bits = rng.integers(0, 2, size=(relevant, batch_size))          # X = 0, Y = 1
    columns = np.arange(batch_size)
    for k, (low, high) in enumerate(ORDER_POSITIONS[relevant]):
        seq[rng.integers(low, high + 1, size=batch_size) - 1, columns] = 6 + bits[k]
    classes = (bits * (2 ** np.arange(relevant - 1, -1, -1))[:, None]).sum(axis=0)
    bk = get_backend(backend)
    return _tensor(_one_hot(seq, 8), dtype, backend), Tensor(bk.asarray(classes, dtype="int64"), bk)


def temporal_order_correct(probs: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Classified correctly: every output unit within 0.3 of its target (1 for the class,
    0 for the others) at the sequence end. probs (N, C), classes (N,)."""
    error = np.abs(probs - _one_hot(classes, probs.shape[-1]))
    return error.max(axis=-1) < ORDER_TOLERANCE
