"""nbgrader interop: our nbgrader source assignment survives nbgrader's own generate_assignment and autograde.

The round trip runs nbgrader from .venv-nbgrader (tests/teacher/nbgrader_env.py; `make test` creates it first).
"""
from __future__ import annotations

import copy
import csv
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader_env import ensure

from course_utils.exercises import get_exercise
from course_utils.teacher.generate import BEGIN, main as generate_main
from course_utils.teacher.grade import exercise_bindings
from course_utils.teacher.nbgrader_export import nbgrader_source

ROOT = Path(__file__).resolve().parents[2]
LESSON = "01a_neurons_and_activations"
SOLUTION = ROOT / "solutions" / f"{LESSON}.ipynb"
WRONG_RELU = 'def relu(z):\n    return np.abs(z)\n\nrelu = check("relu", relu)'


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def test_every_exercise_becomes_a_solution_cell_followed_by_a_locked_autograder_cell():
    nb = nbgrader_source(nbformat.read(SOLUTION, as_version=4))
    bindings = exercise_bindings(SOLUTION)
    ids = [_grade_id(c) for c in nb.cells if _grade_id(c)]
    assert ids == [f"{e}-{kind}" for e in bindings for kind in ("answer", "check")]
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta and meta["grade"]:
            exercise = meta["grade_id"].removesuffix("-check")
            answer = nb.cells[index - 1].metadata["nbgrader"]
            assert answer == {**answer, "solution": True, "grade": False, "grade_id": f"{exercise}-answer"}
            assert meta["locked"] and meta["points"] == get_exercise(exercise).points and meta["schema_version"] == 3
            assert f'assert_passes("{exercise}", "{bindings[exercise]}", globals())' in cell.source
    assert sum(c.metadata["nbgrader"]["points"] for c in nb.cells if _grade_id(c).endswith("-check")) == 3
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "course" not in nb.metadata


@pytest.mark.parametrize("solution", sorted((ROOT / "solutions").glob("[0-9][0-9]*_*.ipynb")), ids=lambda p: p.stem)
def test_every_lesson_exports_one_autograder_cell_per_exercise(solution):
    nb = nbgrader_source(nbformat.read(solution, as_version=4))
    checks = [c.metadata["nbgrader"] for c in nb.cells if _grade_id(c).endswith("-check")]
    assert [m["grade_id"] for m in checks] == [f"{e}-check" for e in exercise_bindings(solution)]
    assert all(BEGIN not in c.source for c in nb.cells if not _grade_id(c).endswith("-answer"))


def test_generate_writes_the_source_assignment_and_a_config(tmp_path, capsys):
    assert generate_main(["--nbgrader", str(tmp_path), "--solutions", str(ROOT / "solutions"), LESSON]) == 0
    assert (tmp_path / "source" / LESSON / f"{LESSON}.ipynb").exists()
    assert "c.CourseDirectory.course_id" in (tmp_path / "nbgrader_config.py").read_text()
    assert not (tmp_path / "source" / "02a_layers_and_mlp").exists()


@pytest.fixture(scope="module")
def nbgrader(tmp_path_factory):
    """run(*args): nbgrader in a fresh course folder holding lesson 01a as a source assignment."""
    bin_dir = ensure()
    course = tmp_path_factory.mktemp("nbgrader_course")
    assert generate_main(["--nbgrader", str(course), "--solutions", str(ROOT / "solutions"), LESSON]) == 0
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "COURSE_OFFLINE": "1",
           "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

    def run(*args):
        done = subprocess.run(["nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    return course, run


def _submit(course: Path, student: str, nb) -> None:
    folder = course / "submitted" / student / LESSON
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{LESSON}.ipynb")


def test_nbgrader_autogrades_solved_unsolved_and_wrong_submissions(nbgrader):
    course, run = nbgrader
    run("generate_assignment", LESSON)
    release = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    assert BEGIN not in nbformat.writes(release) and "raise NotImplementedError" in nbformat.writes(release)
    source = {_grade_id(c): c.source for c in nbgrader_source(nbformat.read(SOLUTION, as_version=4)).cells}
    solved = copy.deepcopy(release)
    for cell in solved.cells:
        if _grade_id(cell).endswith("-answer"):
            cell.source = source[_grade_id(cell)]
    wrong = copy.deepcopy(solved)
    next(c for c in wrong.cells if _grade_id(c) == "relu-answer").source = WRONG_RELU
    for student, nb in {"solved": solved, "unsolved": release, "wrong_relu": wrong}.items():
        _submit(course, student, nb)
    run("autograde", LESSON, "--Execute.timeout=30")   # a short limit: no cell of 01a needs more
    run("export")
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    # wrong_relu's friendly check rebinds relu to the reference; the autograder still grades the learner's relu
    assert scores == {"solved": (3, 3), "unsolved": (0, 3), "wrong_relu": (2, 3)}
