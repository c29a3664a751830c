"""Grade a class of cheaters: none may score a point, the honest solution scores full marks.

Each attacker hands in the untouched lesson 01a plus one cell from the attack catalogue
(``course_utils.teacher.attacks``). Every attack in the catalogue is graded.
"""
from __future__ import annotations

import copy

import nbformat
import pytest

from course_utils.teacher import grade
from course_utils.teacher.attacks import ATTACKS, LESSON
from course_utils.teacher.generate import make_lesson
from course_utils.teacher.sandbox import Sandbox

from synthetic_class import ROOT

pytestmark = pytest.mark.wide   # slow end to end: make test-wide (CI) runs it, make test does not

SANDBOX = Sandbox(hidden=(str(ROOT / "solutions"),))


def learner_id(name: str) -> str:
    return name.replace(" ", "_").replace(".", "_")


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    solution = nbformat.read(ROOT / "solutions" / f"{LESSON}.ipynb", as_version=4)
    lesson = make_lesson(solution, f"solutions/{LESSON}.ipynb")
    solved = copy.deepcopy(solution)
    solved.metadata = copy.deepcopy(lesson.metadata)
    notebooks = {"honest": solved, "untouched": lesson}
    for attack in ATTACKS:
        attacker = copy.deepcopy(lesson)
        attacker.cells.append(nbformat.v4.new_code_cell(attack.cell))
        notebooks[learner_id(attack.name)] = attacker
    for learner, nb in notebooks.items():
        (folder / learner).mkdir()
        nbformat.write(nb, folder / learner / f"{LESSON}.ipynb")
    submissions = grade.find_submissions([folder], ROOT / "solutions")
    limits = grade.Limits(cell=10.0, notebook=120.0, grading=60.0)
    results = grade.grade_class(submissions, ROOT / "solutions", limits, workers=2, progress=lambda line: None,
                                sandbox=SANDBOX)
    return {r.submission.learner: sum(v.get("score", 0.0) for v in r.verdicts.values()) for r in results}


def test_the_catalogue_names_every_defence():
    assert len(ATTACKS) >= 10 and {a.defence for a in ATTACKS} <= {"verdict", "release", "sandbox"}
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)


def test_the_honest_solution_scores_full_marks(gradebook):
    assert gradebook["honest"] == 3


def test_the_untouched_lesson_scores_nothing(gradebook):
    assert gradebook["untouched"] == 0


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: learner_id(a.name))
def test_no_attack_scores_a_point(gradebook, attack):
    if attack.defence == "sandbox" and not SANDBOX.isolates:
        pytest.skip("this machine gives a process no namespaces of its own (needs Linux: root or user namespaces)")
    assert gradebook[learner_id(attack.name)] == 0, attack.tries
