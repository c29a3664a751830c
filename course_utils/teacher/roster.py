"""The class roster: which student each submission belongs to, and the exports a gradebook imports.

``roster.csv`` has a header row and the columns ``learner`` (the submission's name as the grader
finds it: the file's stem, or the first folder below the class folder), ``student_id`` and ``name``;
``email``, ``sis_login_id`` and ``section`` are optional. From it come:

- ``canvas.csv``, for Canvas' Grades > Import: the columns ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column per lesson, and a second row ``Points Possible``;
  Canvas matches students by SIS User ID (here the ``student_id``) and creates an assignment for
  each new column.
- ``moodle.csv``, for Moodle's Grades > Import > CSV file: ``ID number``, ``Email address``,
  ``Full name``, then one column per lesson; map the user by "ID number" when importing.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("learner", "student_id", "name")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("ID number", "Email address", "Full name")


@dataclass(frozen=True)
class Student:
    learner: str
    student_id: str
    name: str
    email: str = ""
    sis_login_id: str = ""
    section: str = ""


class RosterError(ValueError):
    """A roster file that cannot be used; the message says which line and why."""


def read_roster(path: Path) -> dict[str, Student]:
    """The students of ``path`` by learner name; raises RosterError for a missing column or a clash."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise RosterError(f"{path}: the header needs the column(s) {', '.join(missing)}")
        students: dict[str, Student] = {}
        ids: dict[str, str] = {}
        for line, row in enumerate(reader, 2):
            values = {k: (row.get(k) or "").strip() for k in Student.__dataclass_fields__}
            if not values["learner"] or not values["student_id"]:
                raise RosterError(f"{path}, line {line}: learner and student_id must not be empty")
            if values["learner"] in students or values["student_id"] in ids:
                raise RosterError(f"{path}, line {line}: {values['learner']} / {values['student_id']} "
                                  "appears twice")
            students[values["learner"]] = Student(**values)
            ids[values["student_id"]] = values["learner"]
    return students


def lesson_totals(results) -> dict[str, dict[str, float]]:
    """Points per learner per lesson (partial credit included)."""
    totals: dict[str, dict[str, float]] = {}
    for result in results:
        lesson = result.submission.lesson or result.submission.path.stem
        earned = sum(float(v.get("score", 0.0)) for v in result.verdicts.values())
        totals.setdefault(result.submission.learner, {})[lesson] = earned
    return totals


def write_lms_exports(results, roster: dict[str, Student], maxima: dict[str, float], out: Path) -> list[Path]:
    """canvas.csv and moodle.csv for the students on the roster; a student with no submission scores 0."""
    totals = lesson_totals(results)
    lessons = sorted(maxima)
    canvas, moodle = out / "canvas.csv", out / "moodle.csv"
    with open(canvas, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_COLUMNS, *lessons])
        writer.writerow(["Points Possible", "", "", "", "", *(_number(maxima[k]) for k in lessons)])
        for student in sorted(roster.values(), key=lambda s: s.name):
            mine = totals.get(student.learner, {})
            writer.writerow([student.name, "", student.student_id, student.sis_login_id, student.section,
                             *(_number(mine.get(k, 0.0)) for k in lessons)])
    with open(moodle, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([*MOODLE_COLUMNS, *lessons])
        for student in sorted(roster.values(), key=lambda s: s.name):
            mine = totals.get(student.learner, {})
            writer.writerow([student.student_id, student.email, student.name,
                             *(_number(mine.get(k, 0.0)) for k in lessons)])
    return [canvas, moodle]


def _number(value: float) -> str:
    return f"{round(value, 2):g}"
