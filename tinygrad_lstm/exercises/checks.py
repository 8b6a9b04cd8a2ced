"""The checks of the five exercises: each part runs the learner's function and the engine
on the same random float64 inputs and compares them (grading.compare says what is off).
Where a wrong answer matches a known mistake (gradient not carried back through h, gate
blocks in another order, state never detached), the message names the mistake."""
from __future__ import annotations

import itertools

import numpy as np

from .. import nn, tape
from ..functions import concat, grad, matmul, mul, sigmoid, stack, tanh, tensor
from ..gradcheck import GradcheckError, gradcheck
from ..tensor import Tensor, apply
from .grading import TIME, Wrong, call, compare, compare_all, matches


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _leaves(*arrays: np.ndarray) -> list[Tensor]:
    return [tensor(a, requires_grad=True, dtype="float64") for a in arrays]


def _engine_vjp(fn, arrays, g) -> tuple[np.ndarray, list[np.ndarray]]:
    """The engine's output and its VJP of g, by tl.grad."""
    leaves = _leaves(*arrays)
    out = fn(*leaves)
    return out.numpy(), [t.numpy() for t in grad(out, leaves, grad_output=g)]


def _pair(got, name: str, count: int) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != count:
        raise Wrong(f"{name} should return {count} gradients (a tuple), got "
                    f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
    return tuple(got)


# ---- exercise 1: VJPs ------------------------------------------------------------------
def _unary(module, name, op, rng):
    x = rng.standard_normal((3, 5)) * 2
    g = rng.standard_normal((3, 5))
    out, (dx,) = _engine_vjp(op, [x], g)
    compare(f"{name}: dx", call(getattr(module, name), name, x.copy(), out.copy(), g.copy()), dx)


def vjp_parts(module) -> list:
    rng = _rng(1)

    def mul_part():
        x, y, g = (rng.standard_normal((3, 4)) for _ in range(3))
        out, want = _engine_vjp(mul, [x, y], g)
        got = _pair(call(module.mul_vjp, "mul_vjp", x.copy(), y.copy(), out, g.copy()), "mul_vjp", 2)
        compare_all("mul_vjp", ("dx", "dy"), got, want, (None, None))

    def matmul_part():
        a, b, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
        out, want = _engine_vjp(matmul, [a, b], g)
        got = _pair(call(module.matmul_vjp, "matmul_vjp", a.copy(), b.copy(), out, g.copy()),
                    "matmul_vjp", 2)
        compare_all("matmul_vjp", ("da", "db"), got, want, (None, None))

    def concat_part():
        for axis, shapes in ((1, [(2, 3), (2, 1), (2, 4)]), (0, [(1, 3), (2, 3)])):
            xs = [rng.standard_normal(s) for s in shapes]
            g = rng.standard_normal(np.concatenate(xs, axis=axis).shape)
            out, want = _engine_vjp(lambda *ts: concat(list(ts), axis=axis), xs, g)
            got = call(module.concat_vjp, "concat_vjp", [x.copy() for x in xs], out, g.copy(), axis)
            if not isinstance(got, (list, tuple)) or len(got) != len(xs):
                raise Wrong(f"concat_vjp should return a list with one gradient per input "
                            f"({len(xs)} here), got {type(got).__name__}")
            for k, (mine, theirs) in enumerate(zip(got, want)):
                compare(f"concat_vjp (axis={axis}): the gradient of xs[{k}]", mine, theirs)

    return [("mul_vjp", mul_part), ("matmul_vjp", matmul_part),
            ("sigmoid_vjp", lambda: _unary(module, "sigmoid_vjp", sigmoid, rng)),
            ("tanh_vjp", lambda: _unary(module, "tanh_vjp", tanh, rng)),
            ("concat_vjp", concat_part)]


# ---- exercise 2: RNN and BPTT by hand --------------------------------------------------
RNN_NAMES = ("dx", "dh0", "dW_x", "dW_h", "db")


def _rnn_problem(seed=2, steps=6, batch=2, n_in=3, hidden=4):
    rng = _rng(seed)
    return [rng.standard_normal((steps, batch, n_in)), rng.standard_normal((batch, hidden)) * 0.5,
            rng.standard_normal((n_in, hidden)) * 0.6, rng.standard_normal((hidden, hidden)) * 0.6,
            rng.standard_normal(hidden) * 0.2], rng.standard_normal((steps, batch, hidden))


def rnn_engine(x, h0, w_x, w_h, b, carry: bool = True) -> Tensor:
    """hs of the exercise's RNN on the tape; carry=False cuts h between steps."""
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = tanh(x[t] @ w_x + (h if carry else h.detach()) @ w_h + b)
        hs.append(h)
    return stack(hs, axis=0)


def _rnn_grads(arrays, dhs, carry=True) -> tuple[np.ndarray, list[np.ndarray]]:
    leaves = _leaves(*arrays)
    hs = rnn_engine(*leaves, carry=carry)
    grads = grad((hs * tensor(dhs, dtype="float64")).sum(), leaves, allow_unused=True)
    return hs.numpy(), [t.numpy() for t in grads]


def rnn_parts(module) -> list:
    arrays, dhs = _rnn_problem()
    hs, want = _rnn_grads(arrays, dhs)

    def forward():
        compare("rnn_forward: hs", call(module.rnn_forward, "rnn_forward", *[a.copy() for a in arrays]),
                hs, TIME)

    def backward():
        got = _pair(call(module.rnn_backward, "rnn_backward", *[a.copy() for a in arrays],
                         hs.copy(), dhs.copy()), "rnn_backward", 5)
        _, cut = _rnn_grads(arrays, dhs, carry=False)
        if not matches(got[3], want[3]) and matches(got[3], cut[3]):
            raise Wrong("rnn_backward: dW_h is what you get when no gradient flows from h_t "
                        "back into h_{t-1}: the dh of step t-1 is dhs[t-1] plus what step t "
                        "sends back, (dh_t * (1 - h_t^2)) @ W_h.T")
        compare_all("rnn_backward", RNN_NAMES, got, want, (TIME, None, None, None, None))

    return [("rnn_forward", forward), ("rnn_backward", backward)]


# ---- exercise 3: the LSTM cell from the five ops ---------------------------------------
def _cell_problem(seed=3, batch=2, n_in=3, hidden=4):
    rng = _rng(seed)
    return [rng.standard_normal((batch, n_in)), rng.standard_normal((batch, hidden)) * 0.5,
            rng.standard_normal((batch, hidden)), rng.standard_normal((n_in + hidden, 4 * hidden)) * 0.5,
            rng.standard_normal(4 * hidden) * 0.3]


def _permuted(w: np.ndarray, order: tuple, hidden: int) -> np.ndarray:
    return np.concatenate([w[..., k * hidden:(k + 1) * hidden] for k in order], axis=-1)


def _gate_order_hint(h_new: np.ndarray, arrays: list, hidden: int) -> str:
    x, h, c, w, b = arrays
    for order in itertools.permutations(range(4)):
        if order == (0, 1, 2, 3):
            continue
        with tape.no_grad():
            want, _ = nn.cells.lstm_step(*(tensor(a, dtype="float64") for a in (x, h, c)),
                                         tensor(_permuted(w, order, hidden)),
                                         tensor(_permuted(b, order, hidden)))
        if matches(h_new, want.numpy()):
            read = ", ".join("ifgo"[k] for k in np.argsort(order))
            return (f" It is the cell you get reading the four blocks of z as {read}: the "
                    f"columns of W are the gates i, f, g, o, in that order.")
    return ""


def lstm_cell_parts(module) -> list:
    arrays = _cell_problem()
    hidden = arrays[1].shape[1]
    names = ("dx", "dh", "dc", "dW", "db")

    def run(fn, leaves):
        result = call(fn, "lstm_cell", *leaves)
        if not isinstance(result, (tuple, list)) or len(result) != 2 or \
                not all(isinstance(r, Tensor) for r in result):
            raise Wrong("lstm_cell should return two Tensors, (h_new, c_new)")
        return result

    def values():
        with tape.no_grad():
            want_h, want_c = nn.cells.lstm_step(*(tensor(a, dtype="float64") for a in arrays))
        got_h, got_c = run(module.lstm_cell, [tensor(a, dtype="float64") for a in arrays])
        try:
            compare("lstm_cell: c_new", got_c.numpy(), want_c.numpy(), 1, hidden)
            compare("lstm_cell: h_new", got_h.numpy(), want_h.numpy(), 1, hidden)
        except Wrong as err:
            raise Wrong(str(err) + _gate_order_hint(got_h.numpy(), arrays, hidden)) from None

    def gradients():
        rng = _rng(4)
        gh, gc = rng.standard_normal(arrays[1].shape), rng.standard_normal(arrays[2].shape)
        mine = _leaves(*arrays)
        h_new, c_new = run(module.lstm_cell, mine)
        if not (h_new.requires_grad and c_new.requires_grad):
            raise Wrong("lstm_cell's outputs are not on the tape (they need no gradient): "
                        "compute them with the engine's ops on the Tensors, not with NumPy")
        loss = (h_new * tensor(gh) + c_new * tensor(gc)).sum()
        got = grad(loss, mine, allow_unused=True)
        theirs = _leaves(*arrays)
        ref_h, ref_c = nn.cells.lstm_step(*theirs)
        want = grad((ref_h * tensor(gh) + ref_c * tensor(gc)).sum(), theirs)
        compare_all("lstm_cell: the tape's", names, [t.numpy() for t in got],
                    [t.numpy() for t in want], (None, None, None, 1, 0), hidden)

    def check_gradcheck():
        try:
            gradcheck(lambda *ts: run(module.lstm_cell, ts), [tensor(a) for a in arrays])
        except GradcheckError as err:
            raise Wrong(f"tl.gradcheck disagrees with your cell's gradients: {err}") from None

    return [("lstm_cell values", values), ("lstm_cell gradients", gradients),
            ("lstm_cell gradcheck", check_gradcheck)]


# ---- exercise 4: the fused LSTM backward by hand --------------------------------------
LAYER_NAMES = ("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db")


def _layer_problem(seed=5, steps=5, batch=2, n_in=3, hidden=4):
    rng = _rng(seed)
    arrays = [rng.standard_normal((steps, batch, n_in)), rng.standard_normal((batch, hidden)) * 0.5,
              rng.standard_normal((batch, hidden)), rng.standard_normal((4 * hidden, n_in)) * 0.5,
              rng.standard_normal((4 * hidden, hidden)) * 0.5, rng.standard_normal(4 * hidden) * 0.3]
    cots = [rng.standard_normal((steps, batch, hidden)), rng.standard_normal((batch, hidden)),
            rng.standard_normal((batch, hidden))]
    return arrays, cots


def fused_engine(arrays, cots) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The engine's lstm_layer op (b as b_ih, zeros as b_hh): outputs and gradients."""
    leaves = _leaves(*arrays)
    zeros = tensor(np.zeros_like(arrays[5]), dtype="float64")
    outs = apply("lstm_layer", tuple(leaves) + (zeros,), {"reverse": False, "input_grad": True})
    loss = sum(((o * tensor(g)).sum() for o, g in zip(outs, cots)), start=tensor(0.0, dtype="float64"))
    return [o.numpy() for o in outs], [t.numpy() for t in grad(loss, leaves)]


def lstm_backward_parts(module) -> list:
    arrays, cots = _layer_problem()
    hidden = arrays[1].shape[1]
    outs, want = fused_engine(arrays, cots)

    def forward():
        got = call(module.lstm_forward, "lstm_forward", *[a.copy() for a in arrays])
        for label, mine, theirs, axis in zip(("out", "h_n", "c_n"), got[:3], outs, (TIME, None, None)):
            compare(f"lstm_forward (given, not to be changed): {label}", mine, theirs, axis)

    def backward():
        saved = call(module.lstm_forward, "lstm_forward", *[a.copy() for a in arrays])[3]
        got = _pair(call(module.lstm_backward, "lstm_backward", *[a.copy() for a in arrays],
                         saved, *[g.copy() for g in cots]), "lstm_backward", 6)
        order = (3, 4, 5, 0, 1, 2)      # the weights first: their rows name the gate
        compare_all("lstm_backward", [LAYER_NAMES[k] for k in order], [got[k] for k in order],
                    [want[k] for k in order], (0, 0, 0, TIME, None, None), hidden)

    return [("lstm_forward", forward), ("lstm_backward", backward)]


# ---- exercise 5: truncated BPTT ---------------------------------------------------------
def _models(kind: str):
    cls = {"lstm": nn.LSTM, "rnn": nn.RNN}[kind]
    return [cls(3, 4, dtype="float64", generator=_rng(6)) for _ in range(2)]


def _grads(model) -> dict[str, np.ndarray]:
    return {name: (np.zeros(p.shape) if p.grad is None else p.grad.numpy())
            for name, p in model.named_parameters()}


def reference_truncated(model, x, u, k) -> dict[str, np.ndarray]:
    """The library's truncated_bptt with the weights held (see viz.truncation)."""
    from ..viz.truncation import HoldWeights, projection_loss
    model.zero_grad()
    nn.utils.truncated_bptt(model, x, u, projection_loss, HoldWeights(list(model.parameters())), k)
    return _grads(model)


def _same(got: dict, ref: dict) -> bool:
    return all(matches(got[name], ref[name]) for name in got)


def _mistake(got: dict, model, x, u, k) -> str:
    """Name the usual mistakes when the learner's gradients are exactly one of them."""
    steps, last = x.shape[0], (x.shape[0] - 1) // k * k
    if _same(got, reference_truncated(model, x, u, steps)):
        return (" They are the full BPTT gradient: the state is never detached, so every "
                "backward runs back to the start.")
    for mistake in ("zero state", "zeroed grads"):
        model.zero_grad()
        state = None
        for lo in range(0, steps, k):
            if mistake == "zeroed grads" and lo == last:
                model.zero_grad()
            out, state = model(x[lo:lo + k], None if mistake == "zero state" else state)
            (out * u[lo:lo + k]).sum().backward()
            state = nn.utils.detach_state(state)
        if _same(got, _grads(model)):
            return (" They are what chunks that each start from a zero state give: carry the "
                    "previous chunk's (detached) state into the next one."
                    if mistake == "zero state" else
                    " Only the last chunk's gradient is left: do not zero the gradients "
                    "between chunks.")
    return ""


def truncated_parts(module) -> list:
    rng = _rng(7)
    x = tensor(rng.standard_normal((11, 2, 3)), dtype="float64")
    u = tensor(rng.standard_normal((11, 2, 4)), dtype="float64")

    def part(kind: str, k: int):
        def run():
            mine, ref = _models(kind)
            want = reference_truncated(ref, x, u, k)
            mine.zero_grad()
            try:
                call(module.truncated_backward, "truncated_backward", mine, x, u, k)
            except Wrong as err:
                if "a second time" in str(err):
                    raise Wrong(f"{err} In truncated BPTT this means a chunk's backward ran on "
                                f"into the chunk before it, whose graph the previous backward "
                                f"had freed: detach the state between chunks "
                                f"(tl.nn.utils.detach_state)") from None
                raise
            got = _grads(mine)
            if all(not np.any(v) for v in got.values()):
                raise Wrong("truncated_backward left no gradient in the parameters: call "
                            "backward on each chunk's loss")
            try:
                for name in want:
                    hidden = 4 if kind == "lstm" else None
                    compare(f"truncated_backward ({kind.upper()}, k={k}): {name}.grad",
                            got[name], want[name], 0, hidden)
            except Wrong as err:
                raise Wrong(str(err) + _mistake(got, ref, x, u, k)) from None
        return run

    return [(f"truncated_backward {kind.upper()} k={k}", part(kind, k))
            for kind, k in (("rnn", 4), ("lstm", 4), ("lstm", 1), ("lstm", 11))]
