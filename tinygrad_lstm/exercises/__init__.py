"""Graded exercises: stubs a learner fills in (examples/exercises/), and their checks.

    from tinygrad_lstm import exercises
    result = exercises.check(2, "examples/exercises")   # or: tinygrad-lstm exercise check 2
    print(result.report())

Each check runs the learner's functions and the engine on the same random float64
inputs and compares the answers entry by entry; the engine (tl.grad, the ops' own VJPs,
tl.gradcheck) is the reference. A failed part says which function, which gradient,
where and by how much. The reference solutions are not shipped with the stubs.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import checks
from .grading import NotWritten, Wrong, tape_imports


@dataclass(frozen=True)
class Exercise:
    number: int
    stem: str            # the stub's file name, without .py
    title: str
    parts: Callable      # module -> [(part name, check function)]
    by_hand: bool = False   # may not import tinygrad_lstm


EXERCISES = (
    Exercise(1, "ex1_vjps", "the VJPs of mul, matmul, sigmoid, tanh and concat", checks.vjp_parts, True),
    Exercise(2, "ex2_rnn_bptt", "an RNN step and BPTT by hand, no tape", checks.rnn_parts, True),
    Exercise(3, "ex3_lstm_cell", "the LSTM cell from the five ops, on the tape", checks.lstm_cell_parts),
    Exercise(4, "ex4_lstm_backward", "the fused LSTM layer's backward pass by hand",
             checks.lstm_backward_parts, True),
    Exercise(5, "ex5_truncated_bptt", "truncated BPTT: chunks, detached state, summed gradients",
             checks.truncated_parts),
)


@dataclass
class Result:
    exercise: Exercise
    path: Path
    parts: list = field(default_factory=list)     # (name, status, message): ok / wrong / todo

    @property
    def passed(self) -> bool:
        return bool(self.parts) and all(status == "ok" for _, status, _ in self.parts)

    def report(self) -> str:
        lines = [f"exercise {self.exercise.number}: {self.exercise.title} ({self.path})"]
        for name, status, message in self.parts:
            mark = {"ok": "ok   ", "wrong": "WRONG", "todo": "todo "}[status]
            if message.startswith(name + ": "):      # "rnn_backward: rnn_backward: dW_h ..."
                message = message[len(name) + 2:]
            lines.append(f"  {mark} {name}" + (f": {message}" if message else ""))
        done = sum(status == "ok" for _, status, _ in self.parts)
        if not self.passed:
            lines.append(f"{done} of {len(self.parts)} parts pass")
        elif self.exercise.number < len(EXERCISES):
            n = self.exercise.number + 1
            lines.append(f"passed. Next: exercise {n}, {get(n).title} "
                         f"(`tinygrad-lstm exercise check {n}`)")
        else:
            lines.append("passed: that was the last one")
        return "\n".join(lines)


def get(number: int) -> Exercise:
    for exercise in EXERCISES:
        if exercise.number == number:
            return exercise
    raise ValueError(f"there is no exercise {number}; they are 1 to {len(EXERCISES)} "
                     f"(`tinygrad-lstm exercise list`)")


def load(path: Path, name: str):
    """Import the learner's file as a fresh module (a file that does not load is Wrong)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(name, None)
    try:
        spec.loader.exec_module(module)
    except Exception as err:   # a syntax error or a crash at import: the learner's, in words
        raise Wrong(f"{path} does not load: {type(err).__name__}: {err}") from err
    return module


def check(number: int, folder: str | Path) -> Result:
    """Run every part of exercise `number` on the learner's file in `folder`."""
    exercise = get(number)
    path = Path(folder) / f"{exercise.stem}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no {exercise.stem}.py in {folder}: copy the stubs from "
                                f"examples/exercises/ or pass the folder that holds them")
    result = Result(exercise, path)
    try:
        used = tape_imports(path) if exercise.by_hand else []
        if used:
            raise Wrong(f"exercise {number} is by hand, with NumPy: {path.name} may not use "
                        f"the tape, but imports {', '.join(used)}")
        module = load(path, f"tinygrad_lstm_exercise_{number}")
    except Wrong as err:
        result.parts.append(("file", "wrong", str(err)))
        return result
    for name, part in exercise.parts(module):
        try:
            part()
            result.parts.append((name, "ok", ""))
        except NotWritten as err:
            result.parts.append((name, "todo", str(err)))
        except Wrong as err:
            result.parts.append((name, "wrong", str(err)))
    return result


__all__ = ["EXERCISES", "Exercise", "Result", "Wrong", "check", "get", "load"]
