"""The graded exercises: every check passes on the library's own implementation (and on
a solution written by hand), fails on a wrong one, and says in words what is wrong:
which function, which gradient, where, by how much, and the usual mistake by name.
The reference solutions live here, in tests/exercise_solutions, not in the stubs."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tinygrad_lstm import exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "exercise_solutions"
STUBS = ROOT / "examples" / "exercises"


def variant(tmp_path: Path, number: int, *edits: tuple[str, str], text: str | None = None) -> Path:
    """A copy of the reference solution with `edits` (old, new) applied, or `text`."""
    stem = exercises.get(number).stem
    source = (SOLUTIONS / f"{stem}.py").read_text()
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / f"{stem}.py").write_text(text if text is not None else source)
    return tmp_path


def failures(result) -> dict[str, str]:
    return {name: message for name, status, message in result.parts if status == "wrong"}


@pytest.mark.parametrize("number", [e.number for e in exercises.EXERCISES])
def test_the_reference_solutions_pass(number):
    result = exercises.check(number, SOLUTIONS)
    assert result.passed, result.report()
    assert "passed" in result.report().splitlines()[-1]


@pytest.mark.parametrize("number", [e.number for e in exercises.EXERCISES])
def test_the_stubs_are_all_todo_and_hold_no_solution(number):
    result = exercises.check(number, STUBS)
    statuses = {status for _, status, _ in result.parts}
    assert "todo" in statuses and "wrong" not in statuses, result.report()
    stub = (STUBS / f"{exercises.get(number).stem}.py").read_text()
    assert stub.count("raise NotImplementedError") >= 1


def test_library_implementations_pass_exercises_4_and_5(tmp_path):
    """The fused op's own VJP, and tl.nn.utils.truncated_bptt, as the learner's answers."""
    stub = (STUBS / "ex4_lstm_backward.py").read_text()
    fused = stub.split("def lstm_backward")[0] + '''
from tinygrad_lstm.backends import get_backend
from tinygrad_lstm.ops import OPS


def lstm_backward(x, h0, c0, W_ih, W_hh, b, saved, d_out, d_hn, d_cn):
    _, vjp = OPS["lstm_layer"].fn(get_backend("numpy"), x, h0, c0, W_ih, W_hh, b, 0 * b)
    return vjp(d_out, d_hn, d_cn)[:6]
'''
    assert exercises.check(4, variant(tmp_path, 4, text=fused)).passed
    library = '''
from tinygrad_lstm.nn.utils import truncated_bptt


class Hold:
    def zero_grad(self):
        pass

    def step(self):
        pass


def truncated_backward(model, x, u, k):
    truncated_bptt(model, x, u, lambda out, v: (out * v).sum(), Hold(), k)
'''
    assert exercises.check(5, variant(tmp_path, 5, text=library)).passed


WRONG = [
    (1, [("return OPS[\"mul\"].fn(BK, x, y)[1](g)", "return g * x, g * y")],
     "mul_vjp", ["mul_vjp: dx is wrong at index", "you give", "the engine gives", "off by"]),
    (1, [("return OPS[\"matmul\"].fn(BK, a, b)[1](g)", "return g @ b.T, g.T @ a")],
     "matmul_vjp", ["matmul_vjp: db has shape (2, 4), it should have shape (4, 2)", "transpose"]),
    (1, [("return OPS[\"sigmoid\"].fn(BK, x)[1](g)[0]", "return g * out")],
     "sigmoid_vjp", ["sigmoid_vjp: dx is wrong", "every entry is off"]),
    (1, [("return OPS[\"tanh\"].fn(BK, x)[1](g)[0]", "return None")],
     "tanh_vjp", ["tanh_vjp: dx is None"]),
    (1, [("return list(OPS[\"concat\"].fn(BK, *xs, axis=axis)[1](g))",
          "return [g[:, :x.shape[1]] for x in xs]")],
     "concat_vjp", ["concat_vjp (axis=1): the gradient of xs[1] is wrong"]),
    (2, [("dz = (dhs[t] + dh_next) *", "dz = dhs[t] *")],
     "rnn_backward", ["dW_h is what you get when no gradient flows from h_t back into h_{t-1}"]),
    (2, [("db += dz.sum(axis=0)", "db = db + dz")],
     "rnn_backward", ["rnn_backward: db has shape (2, 4), it should have shape (4,)"]),
    (2, [("h = np.tanh(x[t] @ W_x + h @ W_h + b)", "h = np.tanh(x[t] @ W_x + h @ W_h)")],
     "rnn_forward", ["rnn_forward: hs is wrong at index (", "(step t="]),
    (4, [("dc = dc * f\n", "dc = dc\n")],
     "lstm_backward", ["lstm_backward: dW_ih is wrong", "(row", "Also wrong: dW_hh, db, dx, dh0, dc0"]),
    (4, [("dc * c_prev * f * (1 - f)", "dc * f * (1 - f)")],
     "lstm_backward", ["lstm_backward: dW_ih is wrong", "gate f of unit", "Also wrong: dW_hh"]),
    (5, [("state = tl.nn.utils.detach_state(state)", "pass")],
     "truncated_backward RNN k=4", ["a second time", "detach the state between chunks"]),
    (5, [("state = tl.nn.utils.detach_state(state)", "pass"), (".backward()", ".backward(retain_graph=True)")],
     "truncated_backward LSTM k=4", ["the full BPTT gradient: the state is never detached"]),
    (5, [("out, state = model(x[lo:lo + k], state)", "out, state = model(x[lo:lo + k], None)")],
     "truncated_backward LSTM k=4", ["chunks that each start from a zero state"]),
    (5, [("    state = None\n", "    state = None\n    params = list(model.parameters())\n"),
         ("(out * u[lo:lo + k]).sum().backward()",
          "model.zero_grad()\n        (out * u[lo:lo + k]).sum().backward()")],
     "truncated_backward LSTM k=4", ["Only the last chunk's gradient is left"]),
]


@pytest.mark.parametrize("number,edits,part,words", WRONG,
                         ids=[f"ex{w[0]}-{k}" for k, w in enumerate(WRONG)])
def test_a_wrong_answer_fails_and_says_what_is_wrong(tmp_path, number, edits, part, words):
    result = exercises.check(number, variant(tmp_path, number, *edits))
    assert not result.passed
    wrong = failures(result)
    assert part in wrong, result.report()
    for phrase in words:
        assert phrase in wrong[part], wrong[part]
    assert result.report().count("\n") >= len(result.parts)


def test_exercise_3_names_the_gate_order_and_a_tape_break(tmp_path):
    swapped = '''
import tinygrad_lstm as tl


def lstm_cell(x, h, c, W, b):
    H = h.shape[1]
    z = tl.concat([x, h], axis=1) @ W + b
    f, i, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
    i, f, g, o = tl.sigmoid(i), tl.sigmoid(f), tl.tanh(g), tl.sigmoid(o)
    c = f * c + i * g
    return o * tl.tanh(c), c
'''
    result = exercises.check(3, variant(tmp_path, 3, text=swapped))
    message = failures(result)["lstm_cell values"]
    assert "reading the four blocks of z as f, i, g, o" in message
    assert "c_new is wrong at index" in message
    numpy_cell = '''
import numpy as np
import tinygrad_lstm as tl


def lstm_cell(x, h, c, W, b):
    new_h, new_c = tl.nn.cells.lstm_step(x, h, c, W, b)
    return tl.tensor(new_h.numpy()), tl.tensor(new_c.numpy())
'''
    result = exercises.check(3, variant(tmp_path, 3, text=numpy_cell))
    assert "not on the tape" in failures(result)["lstm_cell gradients"]
    assert "lstm_cell gradcheck" in failures(result)


def test_files_that_do_not_load_or_use_the_tape_by_hand(tmp_path):
    result = exercises.check(2, variant(tmp_path, 2, text="def rnn_forward(:\n"))
    assert "does not load: SyntaxError" in failures(result)["file"]
    cheat = "import tinygrad_lstm as tl\n" + (SOLUTIONS / "ex2_rnn_bptt.py").read_text()
    result = exercises.check(2, variant(tmp_path, 2, text=cheat))
    assert "by hand" in failures(result)["file"] and "tinygrad_lstm" in failures(result)["file"]
    with pytest.raises(ValueError, match="no exercise 9"):
        exercises.check(9, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="ex1_vjps.py"):
        exercises.check(1, empty)


def test_a_copied_stub_folder_is_checked_where_it_is(tmp_path):
    shutil.copytree(STUBS, tmp_path / "mine")
    shutil.copy(SOLUTIONS / "ex3_lstm_cell.py", tmp_path / "mine")
    assert exercises.check(3, tmp_path / "mine").passed
    assert not exercises.check(2, tmp_path / "mine").passed
