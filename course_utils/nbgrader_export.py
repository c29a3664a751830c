"""Write the solutions as nbgrader assignments (``python -m course_utils.generate --nbgrader DIR``).

Each ``solutions/NN_topic.ipynb`` becomes ``DIR/source/NN_topic/NN_topic.ipynb``: every exercise cell
is an nbgrader solution cell (nbgrader understands the same BEGIN/END SOLUTION markers), followed by
a locked autograder cell worth the exercise's ``points``. That cell runs the course's check in strict
mode on the learner's own answer (``course_utils.marking.assert_passes``), so the friendly check's
fallback to the reference can never earn points, and no test inputs or expected values sit in the
notebook. ``DIR/nbgrader_config.py`` is written when missing.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from .exercises import get_exercise
from .generate import BEGIN, GeneratorError
from .grade import cell_exercises

SCHEMA_VERSION = 3
CONFIG = '''# nbgrader settings for this course (written by `python -m course_utils.generate --nbgrader`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "deep-learning-hands-on"
c.ExecutePreprocessor.timeout = 120          # seconds per cell while autograding
c.Execute.timeout = 120
'''
AUTOGRADER = '''# Autograded ({points:g} point{plural}): the course's check, in strict mode, on your own `{variable}`.
from course_utils.marking import assert_passes
assert_passes("{exercise}", "{variable}", globals())'''


def nbgrader_source(solution, origin: str = "solution"):
    """The nbgrader source version of a solution notebook (a new notebook; outputs removed)."""
    nb = copy.deepcopy(solution)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
        cells.append(cell)
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        found = cell_exercises(cell.source)
        if len(found) != 1:
            raise GeneratorError(f"{origin}, cell {index}: an exercise cell needs exactly one "
                                 f"`name = check(\"exercise\", name)` line, found {len(found)}")
        exercise, variable = found[0]
        points = get_exercise(exercise).points
        cell.metadata["nbgrader"] = _metadata(f"{exercise}-answer", solution=True)
        test = nbformat.v4.new_code_cell(AUTOGRADER.format(points=points, plural="" if points == 1 else "s",
                                                           exercise=exercise, variable=variable))
        test.metadata["nbgrader"] = _metadata(f"{exercise}-check", grade=True, locked=True, points=points)
        cells.append(test)
    nb.cells = cells
    nb.metadata.pop("course", None)
    return nb


def _metadata(grade_id: str, solution: bool = False, grade: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def write_nbgrader_source(solutions: Path, course: Path, names=()) -> list[Path]:
    """Write DIR/source/NN_topic/NN_topic.ipynb for each solution (or only ``names``); return the paths."""
    paths = sorted(solutions.glob("[0-9][0-9]*_*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names or p.name in names]
    if not paths:
        raise GeneratorError(f"no solution notebooks to export in {solutions}")
    written = []
    for path in paths:
        source = nbgrader_source(nbformat.read(path, as_version=4), f"solutions/{path.name}")
        dest = course / "source" / path.stem / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source, dest)
        written.append(dest)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
        written.append(config)
    return written
