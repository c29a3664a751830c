"""What the teacher tools know about a course notebook, in one place.

A solution notebook is ``solutions/NN_topic.ipynb`` (``NN`` may carry a part letter: ``05a_…``).
Inside an exercise cell the answer stands between the solution markers (nbgrader's own), and the
cell ends with ``name = check("exercise", name)``. The generator, the nbgrader export and the
grader all read notebooks through these names.
"""
from __future__ import annotations

import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ["# YOUR CODE HERE", 'raise NotImplementedError("Replace this line with your code.")']
MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) SOLUTION)\s*$")
CHECK_LINE = re.compile(r"""^\s*\w+\s*=\s*check\(\s*["'](\w+)["']\s*,\s*(\w+)\s*\)""", re.M)
LESSON_GLOB = "[0-9][0-9]*_*.ipynb"


class GeneratorError(ValueError):
    """A solution notebook that cannot be turned into a lesson."""


def solution_notebooks(folder: Path) -> list[Path]:
    """The numbered course notebooks in ``folder``, in order."""
    return sorted(path for path in Path(folder).glob(LESSON_GLOB) if re.match(r"\d\d[a-z]?_", path.name))


def cell_exercises(source: str) -> list[tuple[str, str]]:
    """(exercise, variable) for each `variable = check("exercise", variable)` line of a cell that defines it."""
    return [(exercise, variable) for exercise, variable in CHECK_LINE.findall(source)
            if re.search(rf"^\s*(def|class) {variable}\b", source, re.M)]


def exercise_bindings(solution: Path) -> dict[str, str]:
    """Each exercise of a solution notebook, in order, with the variable its answer is bound to."""
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    return {exercise: variable for cell in nb.cells if cell.cell_type == "code"
            for exercise, variable in cell_exercises(cell.source)}
