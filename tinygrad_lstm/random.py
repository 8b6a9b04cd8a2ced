"""Random numbers for initialisation, dropout and the tasks: NumPy Generators.

Every module, dropout mask and task generator takes `generator=` (a numpy.random.Generator).
Without one they draw from the default generator, which `tl.manual_seed(seed)` replaces.
Like PyTorch's, the default generator starts from a fixed seed, so an unseeded script
still gives the same numbers on every run; it is created the first time it is asked for.
Arrays are drawn in NumPy and then moved to the backend, so a seed gives the same
numbers on NumPy and CuPy.
"""
from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0
_default: np.random.Generator | None = None


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to `seed` and return it."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def default_generator() -> np.random.Generator:
    """The generator used when no `generator=` is passed."""
    global _default
    if _default is None:
        _default = np.random.default_rng(DEFAULT_SEED)
    return _default


def resolve(generator: np.random.Generator | None) -> np.random.Generator:
    """`generator` itself, or the default generator when it is None."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(generator).__name__}")
    return generator
