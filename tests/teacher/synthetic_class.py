"""A synthetic class of lesson 01a submissions, one per situation a grader must survive.

    python tests/teacher/synthetic_class.py DIR     # writes DIR/<learner>/01a_neurons_and_activations.ipynb (make grade uses it)

``EXPECTED`` holds each learner's score (points: sigmoid, relu and neuron 1 each; 3 in all;
a wrong answer earns partial credit for the test inputs it gets right).
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LESSON = "01a_neurons_and_activations"
EXPECTED = {
    "untouched": 0,          # the lesson as handed out
    "solved": 3,
    "half_solved": 2,        # sigmoid, relu
    "wrong_answers": 1.32,   # a catalogued mistake in every exercise, with partial credit per input: sigmoid
                             # 15 of 25 inputs right (0.60; round 39: it overflows on |z| = 1e7 too; round 25: it overflows on the new case that mixes a
                             # value beyond the overflow point with values near zero; its 2 empty arrays are
                             # needed for a pass but carry no
                             # credit; it overflows on |z| = 100000 too, and gets -inf and inf right, as np.exp(inf)
                             # is inf without an overflow, and z = -30..21 too, as 1 / (1 + e^30) loses no digits;
                             # round 20: it overflows on |z| = 720 and 740, and the int8 -100 overflows np.exp in float16),
                             # relu 6 of 20 (0.30, the same; abs keeps -0.02 of the values close to zero and -1e-4
                             # of those within 1e-4 of it, and turns -3e38, -1e300, -1.7e308 and (round 21) -1e-300
                             # positive; it is right on the
                             # values with none negative, in a new array, and on the 0-d array 2.5), neuron 9 of 21 (0.43: it calls
                             # the learner's naive sigmoid, which overflows on the very negative sums, -180000 too;
                             # +180000 and -30 with b = 0 are right; with no inputs it gives sigmoid(0), not
                             # sigmoid(b))
    "endless_loop": 2,       # a top-level loop (cut by the cell limit); neuron loops forever when called
    "kernel_crash": 2,       # neuron kills the kernel, first in a later cell, then again while it is graded
    "invalid_json": 0,       # a file cut off in the middle
    "deleted_cells": 2,      # relu's check line deleted (still graded), neuron's cell deleted
    "copied_reference": 1,   # neuron imported from course_utils; relu's check line fed the reference
}
WRONG = {
    "sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\nsigmoid = check(\"sigmoid\", sigmoid)",
    "relu": "def relu(z):\n    return np.abs(z)\n\nrelu = check(\"relu\", relu)",
    "neuron": "def neuron(x, w, b):\n    return sigmoid(np.dot(w, x))\n\nneuron = check(\"neuron\", neuron)",
}
MISTAKES = {"sigmoid": "naive formula", "relu": "absolute value", "neuron": "no bias"}


def _cell(nb, exercise: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if f'check("{exercise}"' in c.source)


def _set(nb, exercise: str, source: str) -> None:
    nb.cells[_cell(nb, exercise)].source = source


def _insert_after(nb, exercise: str, source: str) -> None:
    nb.cells.insert(_cell(nb, exercise) + 1, nbformat.v4.new_code_cell(source))


def notebooks() -> dict[str, object]:
    """Each learner's notebook (an nbformat notebook, or text for the broken file)."""
    from course_utils.teacher.generate import make_lesson

    solution = nbformat.read(ROOT / "solutions" / f"{LESSON}.ipynb", as_version=4)
    lesson = make_lesson(solution, f"solutions/{LESSON}.ipynb")
    solved = copy.deepcopy(solution)
    solved.metadata = copy.deepcopy(lesson.metadata)

    def variant():
        return copy.deepcopy(solved)

    half = copy.deepcopy(lesson)
    for exercise in ("sigmoid", "relu"):
        half.cells[_cell(half, exercise)].source = solved.cells[_cell(solved, exercise)].source
    wrong = copy.deepcopy(lesson)
    for exercise, source in WRONG.items():
        _set(wrong, exercise, source)
    loop = variant()
    _insert_after(loop, "sigmoid", "x = 0\nwhile x < 10:   # forgot to increase x\n    print_me = x")
    _set(loop, "neuron", "def neuron(x, w, b):\n    while True:\n        pass\n\nneuron = check(\"neuron\", neuron)")
    crash = variant()
    _insert_after(crash, "neuron", "neuron(np.ones(2), np.ones(2), 0.0)")
    _set(crash, "neuron", "import os\n\ndef neuron(x, w, b):\n    os._exit(1)")
    deleted = variant()
    _set(deleted, "relu", "def relu(z):\n    return np.maximum(0.0, z)")
    del deleted.cells[_cell(deleted, "neuron")]
    copied = variant()
    _set(copied, "neuron", "from course_utils.neurons import neuron\n\nneuron = check(\"neuron\", neuron)")
    _set(copied, "relu", "def relu(z):\n    return z\n\nrelu = check(\"relu\", cu.neurons.relu)")
    cut = nbformat.writes(variant())
    return {"untouched": lesson, "solved": solved, "half_solved": half, "wrong_answers": wrong,
            "endless_loop": loop, "kernel_crash": crash, "invalid_json": cut[: len(cut) // 2],
            "deleted_cells": deleted, "copied_reference": copied}


def build_class(folder: Path, copies: int = 1) -> list[Path]:
    """Write the class into ``folder`` (``copies`` > 1: that many learners of each kind); return the paths."""
    written = []
    for name, nb in notebooks().items():
        for number in range(copies):
            learner = name if copies == 1 else f"{name}_{number + 1:02d}"
            path = folder / learner / f"{LESSON}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb), encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    paths = build_class(Path(sys.argv[1]))
    print(f"wrote {len(paths)} submissions of lesson {LESSON} into {sys.argv[1]}")
