"""tinygrad_lstm: a small tape-based autodiff engine for learning and running BPTT.

    import tinygrad_lstm as tl
    x = tl.tensor([[1.0, 2.0]], requires_grad=True)
    y = tl.tanh(x @ x.T).sum()
    y.backward(); x.grad
"""
import importlib.util

if importlib.util.find_spec("tinygrad_lstm.backends") is None:   # a source tree never installed
    raise ImportError("tinygrad_lstm is not installed: its ops/ and backends/ folders become "
                      "tinygrad_lstm.ops and tinygrad_lstm.backends when installed. Run "
                      "`pip install -e .` in the repository root (or `make test`).")
from . import backends, ops, tape  # noqa: E402
from .backends import available_backends, get_backend, register_backend
from .functions import concat, exp, grad, log, matmul, mul, relu, sigmoid, split, stack, tanh, tensor
from .gradcheck import GradcheckError, gradcheck
from .printing import format_tape, print_tape
from .tape import detect_anomaly, enable_grad, no_grad, scope
from .tensor import Tensor
from . import io, nn, optim, random, tasks  # noqa: E402  (built on the engine above)
from . import viz  # noqa: E402  (graphviz is imported only when a graph is drawn)
from .io import load, save
from .random import manual_seed

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "grad", "no_grad", "enable_grad", "detect_anomaly", "scope",
    "concat", "stack", "split", "matmul", "sigmoid", "tanh", "exp", "log", "relu", "mul",
    "gradcheck", "GradcheckError", "format_tape", "print_tape", "get_backend",
    "register_backend", "available_backends", "backends", "ops", "tape",
    "nn", "optim", "tasks", "io", "random", "manual_seed", "save", "load", "viz",
]
