"""Tests for course_utils.teacher.roster: student ids in the gradebook, and Canvas and Moodle exports."""
import csv
from pathlib import Path

import pytest

from course_utils.checks import PASSED, WRONG
from course_utils.teacher import grade
from course_utils.teacher.gradebook import write_outputs
from course_utils.teacher.roster import CANVAS_COLUMNS, MOODLE_COLUMNS, RosterError, read_roster

ROSTER = """learner,student_id,name,email,sis_login_id,section
alice,S001,"Liu, Alice",alice@example.edu,aliu,A
bob,S002,"Wang, Bob",bob@example.edu,bwang,A
carol,S003,"Chen, Carol",carol@example.edu,cchen,B
"""
LESSON = "01b_boundaries_and_xor"   # exercises or_weights (1 point) and dense_layer (2 points)


def result(learner, lesson, verdicts):
    return grade.Result(grade.Submission(Path(f"{learner}/{lesson}.ipynb"), learner, lesson),
                        {e: {"kind": PASSED if s == p else WRONG, "text": "", "mistake": "", "score": s}
                         for e, (s, p) in verdicts.items()})


@pytest.fixture
def exported(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = read_roster(tmp_path / "roster.csv")
    results = [result(learner, LESSON, {"or_weights": or_weights, "dense_layer": dense_layer})
               for learner, or_weights, dense_layer in (("alice", (1.0, 1), (2.0, 2)), ("bob", (0.0, 1), (0.25, 2)),
                                                        ("dave", (1.0, 1), (0.0, 2)))]
    write_outputs(results, tmp_path / "out", roster)
    return tmp_path / "out"


def rows(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_the_gradebook_carries_ids_and_names(exported):
    table = {row[0]: row for row in rows(exported / "gradebook.csv")}
    assert table["learner"][:3] == ["learner", "student_id", "name"]
    assert table["alice"][1:3] == ["S001", "Liu, Alice"] and table["alice"][-3:-1] == ["3", "3"]
    assert table["bob"][-3] == "0.25"
    assert table["carol"][-1] == "no submission" and table["carol"][-3] == "0"
    assert table["dave"][1:3] == ["", ""] and table["dave"][-1] == "not on the roster"


def test_the_canvas_export_follows_its_import_format(exported):
    header, possible, *students = rows(exported / "canvas.csv")
    assert tuple(header[:5]) == CANVAS_COLUMNS == ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
    assert header[5:] == [LESSON] and possible == ["Points Possible", "", "", "", "", "3"]
    assert students == [["Chen, Carol", "", "S003", "cchen", "B", "0"],
                        ["Liu, Alice", "", "S001", "aliu", "A", "3"],
                        ["Wang, Bob", "", "S002", "bwang", "A", "0.25"]]


def test_the_moodle_export_follows_its_import_format(exported):
    header, *students = rows(exported / "moodle.csv")
    assert tuple(header[:3]) == MOODLE_COLUMNS == ("ID number", "Email address", "Full name")
    assert students[1] == ["S001", "alice@example.edu", "Liu, Alice", "3"]
    assert len(students) == 3  # only students on the roster: dave is in the gradebook's problems


@pytest.mark.parametrize("text, message", [
    ("learner,name\nalice,Alice\n", "student_id"),
    ("learner,student_id,name\nalice,S1,A\nalice,S2,B\n", "appears twice"),
    ("learner,student_id,name\nalice,S1,A\nbob,S1,B\n", "appears twice"),
    ("learner,student_id,name\n,S1,A\n", "must not be empty"),
])
def test_a_bad_roster_says_which_line(tmp_path, text, message):
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=message):
        read_roster(tmp_path / "roster.csv")
