"""Every lesson states the time the course's rule gives it, and no lesson needs more than 90 minutes."""
from pathlib import Path

import nbformat
import pytest

from course_utils.teacher import lesson_time as lt
from course_utils.teacher.notebook_format import solution_notebooks

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = solution_notebooks(ROOT / "solutions")


def test_the_rule_counts_words_code_cells_and_exercises(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(" ".join(["word"] * 250)),
        nbformat.v4.new_code_cell("def f(x):\n    return x\nf = check(\"f\", f)"),
        nbformat.v4.new_code_cell("print(1)")])
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    time = lt.lesson_time(path)
    assert (time.words, time.code_cells, time.exercises) == (250, 2, 1)
    assert time.minutes == pytest.approx(2.5 + 3 + 10)
    assert time.stated() == {"minutes": 15, "words": 300, "code": 2, "exercises": 1}


def test_a_time_line_is_read_in_the_course_form():
    text = ("**Time:** about 50 minutes for a beginner: about 2,300 words to read (at 100 words a minute), "
            "17 code cells to read, run and\nlook at (about 1.5 minutes each) and no exercise. **You need:** …")
    found = lt.TIME_LINE.search(" ".join(text.split()))
    assert found and found["minutes"] == "50" and found["words"] == "2,300" and found["exercises"] == "no"
    assert lt.TIME_LINE.search("**Time:** 45–60 minutes.") is None


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.stem)
def test_every_lesson_states_its_time_by_the_rule_and_needs_at_most_90_minutes(solution):
    time = lt.lesson_time(solution)
    assert lt.time_line(solution) == time.stated(), (
        f"{solution.name}: its Time line should give {time.stated()} "
        f"(python -m course_utils.teacher.lesson_time)")
    assert time.minutes <= lt.LIMIT, f"{solution.name} needs {time.minutes:.0f} minutes by the rule: split it"
