"""Character-level language modelling on any text, with a small corpus shipped offline."""
from __future__ import annotations

import os
from importlib import resources
from typing import Any

import numpy as np

from .. import random
from ..backends import get_backend
from ..tensor import Tensor


def corpus_names() -> list[str]:
    """The corpora shipped in tinygrad_lstm/data ("fables": original short fables, ~4 kB)."""
    folder = resources.files("tinygrad_lstm") / "data"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".txt"))


def load_corpus(name: str = "fables") -> str:
    """The text of a shipped corpus."""
    if name not in corpus_names():
        raise ValueError(f"load_corpus: no corpus {name!r}; available: {corpus_names()}")
    return (resources.files("tinygrad_lstm") / "data" / f"{name}.txt").read_text(encoding="utf-8")


class CharDataset:
    """Windows of `seq_len` characters; the target of each character is the next one.

        data = CharDataset(tl.tasks.load_corpus(), seq_len=64)
        x, y = data.batch(32)       # x one-hot (64, 32, vocab), y int64 (64, 32)
    """

    def __init__(self, text: str, seq_len: int) -> None:
        if seq_len < 1:
            raise ValueError(f"CharDataset: seq_len must be >= 1, got {seq_len}")
        if len(text) < seq_len + 1:
            raise ValueError(f"CharDataset: the text has {len(text)} characters, fewer than "
                             f"seq_len + 1 = {seq_len + 1}; use a longer text or a shorter seq_len")
        self.seq_len = seq_len
        self.vocab = sorted(set(text))
        self._index = {ch: i for i, ch in enumerate(self.vocab)}
        self.data = self.encode(text)

    @classmethod
    def from_file(cls, path: str | os.PathLike, seq_len: int, encoding: str = "utf-8") -> "CharDataset":
        """A dataset of the text in a file."""
        with open(path, encoding=encoding) as f:
            return cls(f.read(), seq_len)

    @property
    def vocab_size(self) -> int:
        """The number of distinct characters."""
        return len(self.vocab)

    def __len__(self) -> int:
        """Number of distinct windows."""
        return len(self.data) - self.seq_len

    def encode(self, text: str) -> np.ndarray:
        """Character indices of `text` (every character must be in the vocabulary)."""
        unknown = sorted(set(text) - set(self._index))
        if unknown:
            raise ValueError(f"CharDataset.encode: characters not in the vocabulary: {unknown}")
        return np.array([self._index[ch] for ch in text], dtype=np.int64)

    def decode(self, indices: Any) -> str:
        """The text that character indices stand for."""
        return "".join(self.vocab[int(i)] for i in np.asarray(indices).reshape(-1))

    def one_hot(self, indices: np.ndarray, dtype: Any = "float32", backend: Any = None) -> Tensor:
        """One-hot rows (..., vocab_size) for character indices."""
        bk = get_backend(backend)
        return Tensor(bk.asarray(np.eye(self.vocab_size, dtype=dtype)[indices]), bk)

    def batch(self, batch_size: int, generator: np.random.Generator | None = None,
              dtype: Any = "float32", backend: Any = None) -> tuple[Tensor, Tensor]:
        """Random windows: x one-hot (seq_len, batch, vocab), y int64 (seq_len, batch)."""
        starts = random.resolve(generator).integers(0, len(self), size=batch_size)
        offsets = np.arange(self.seq_len)[:, None]
        idx = self.data[starts[None, :] + offsets]
        nxt = self.data[starts[None, :] + offsets + 1]
        bk = get_backend(backend)
        return self.one_hot(idx, dtype, bk), Tensor(bk.asarray(nxt, dtype="int64"), bk)
