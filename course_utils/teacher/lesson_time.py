"""How long a lesson takes a beginner, by the course's rule, and what its Time line must say.

The rule: 100 words of markdown a minute, 1.5 minutes to read, run and look at each code cell, and
10 minutes for each exercise. No lesson needs more than ``LIMIT`` minutes. A lesson's Time line
states the result in one form, so a test can hold it to the rule:

    **Time:** about 80 minutes for a beginner: about 2,600 words to read (at 100 words a minute),
    22 code cells to read, run and look at (about 1.5 minutes each) and 2 exercises (about 10 minutes
    per exercise).

    python -m course_utils.teacher.lesson_time [solutions]   # every lesson's time and Time line
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .notebook_format import exercise_bindings, solution_notebooks

WORDS_PER_MINUTE = 100
MINUTES_PER_CODE_CELL = 1.5
MINUTES_PER_EXERCISE = 10
LIMIT = 90
TIME_LINE = re.compile(
    r"\*\*Time:\*\* about (?P<minutes>\d+) minutes for a beginner: about (?P<words>[\d,]+) words to read "
    r"\(at 100 words a minute\), (?P<code>\d+) code cells to read, run and look at \(about 1\.5 minutes "
    r"each\) and (?P<exercises>no|\d+) exercises?\b")


@dataclass(frozen=True)
class LessonTime:
    words: int
    code_cells: int
    exercises: int

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_cells * MINUTES_PER_CODE_CELL
                + self.exercises * MINUTES_PER_EXERCISE)

    def stated(self) -> dict[str, int]:
        """The numbers the Time line must give: minutes to 5, words to 100 (halves up), cells and exercises exact."""
        return {"minutes": 5 * int(self.minutes / 5 + 0.5), "words": 100 * int(self.words / 100 + 0.5),
                "code": self.code_cells, "exercises": self.exercises}


def lesson_time(solution: Path) -> LessonTime:
    """Count what the rule counts in one solution notebook."""
    cells = nbformat.read(solution, as_version=4).cells
    return LessonTime(words=sum(len(cell.source.split()) for cell in cells if cell.cell_type == "markdown"),
                      code_cells=sum(cell.cell_type == "code" for cell in cells),
                      exercises=len(exercise_bindings(solution)))


def time_line(solution: Path) -> dict[str, int] | None:
    """The numbers a notebook's Time line gives, or None when it has none in the course's form."""
    text = "\n".join(cell.source for cell in nbformat.read(solution, as_version=4).cells
                     if cell.cell_type == "markdown")
    found = TIME_LINE.search(" ".join(text.split()))
    if found is None:
        return None
    return {key: 0 if value == "no" else int(value.replace(",", "")) for key, value in found.groupdict().items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default="solutions", type=Path)
    args = parser.parse_args(argv)
    wrong = 0
    for solution in solution_notebooks(args.folder):
        time = lesson_time(solution)
        stated = time_line(solution)
        verdict = "ok" if stated == time.stated() and time.minutes <= LIMIT else "FIX"
        wrong += verdict != "ok"
        print(f"{solution.stem:32s} {time.minutes:6.1f} min  {time.words:5d} words  {time.code_cells:3d} code cells"
              f"  {time.exercises} exercises  Time line: {stated}  should be: {time.stated()}  {verdict}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
