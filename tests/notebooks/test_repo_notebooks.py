"""The committed notebooks: stripped, paired, generated, named, and set up the same way."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import exercises as registry
from course_utils.teacher.generate import BEGIN, END, languages, stale_lessons, stale_readmes, untranslated

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, LESSONS = ROOT / "solutions", ROOT / "lessons"
NOTEBOOKS = sorted([*SOLUTIONS.glob("*.ipynb"), *LESSONS.glob("*.ipynb")])
NAME = re.compile(r"^\d\d[a-z]?_[a-z][a-z0-9_]*\.ipynb$")  # 05a_...: the parts of a lesson split in several
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+)["']""")

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(path):
    return [cell for cell in read(path).cells if cell.cell_type == "code"]


def test_there_are_notebooks():
    assert list(SOLUTIONS.glob("*.ipynb")) and list(LESSONS.glob("*.ipynb"))


@each_notebook
def test_stored_without_outputs_or_execution_counts(path):
    dirty = [index for index, cell in enumerate(read(path).cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"


@each_notebook
def test_valid_notebook_with_the_course_name_pattern(path):
    assert NAME.match(path.name), f"{path.name} is not named NN_topic.ipynb"
    nbformat.validate(read(path))


@each_notebook
def test_the_first_code_cell_calls_setup(path):
    """After the install cell every lesson starts with (course_utils.teacher.launch), only a settings cell
    (tagged ``parameters``, plain values that setup may need) may come before it."""
    cells = [cell for cell in code_cells(path) if cell.get("id") != "course-install"
             and "parameters" not in cell.metadata.get("tags", [])]
    assert cells and re.search(r"\bsetup\(", cells[0].source), f"{path.name}: the first code cell must call setup("


def test_every_solution_has_a_lesson_and_every_lesson_a_solution():
    solutions = {p.name for p in SOLUTIONS.glob("*.ipynb")}
    lessons = {p.name for p in LESSONS.glob("*.ipynb")}
    assert solutions - lessons == set(), "run `make lessons`"
    assert lessons - solutions == set(), "a lesson without a solution: lessons/ is generated, never hand-written"


def test_the_lessons_are_exactly_what_the_generator_writes():
    stale = stale_lessons(SOLUTIONS, LESSONS)
    assert stale == [], f"stale lessons {[p.name for p in stale]}: run `make lessons`"


def test_every_cell_has_a_current_chinese_translation():
    """Drift is a failure: an English cell changed or added since its translation fails here."""
    assert languages(SOLUTIONS) == ["zh"], "the Chinese edition lives in solutions/zh/"
    assert untranslated(SOLUTIONS) == []
    assert stale_readmes(SOLUTIONS) == [], "run `make lessons`"


@pytest.mark.parametrize("path", sorted(LESSONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_solution_is_left_in_a_lesson(path):
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_check_names_a_registered_exercise(path):
    names = set(CHECK_CALL.findall("\n".join(cell.source for cell in code_cells(path))))
    unknown = names - set(registry.all_exercises())
    assert not unknown, f"{path.name} checks exercises that are not registered: {sorted(unknown)}"


@pytest.mark.parametrize("topic", registry.TOPICS)
def test_every_exercise_of_a_lesson_is_checked_in_it(topic):
    """Exercise module <topic>.py belongs to solutions/NN_<topic>.ipynb and each exercise is checked there.

    A lesson split in parts (05a, 05b, ...) names them in the module's NOTEBOOKS: {stem: exercises checked there}.
    """
    module = importlib.import_module(f"{registry.__name__}.{topic}")
    parts = getattr(module, "NOTEBOOKS", None)
    if parts:
        assert sorted(name for names in parts.values() for name in names) == sorted(module.EXERCISES)
        for stem, names in parts.items():
            checked = set(CHECK_CALL.findall("\n".join(c.source for c in code_cells(SOLUTIONS / f"{stem}.ipynb"))))
            assert set(names) - checked == set(), f"{stem}.ipynb never checks these exercises"
        return
    notebooks = sorted(SOLUTIONS.glob(f"[0-9][0-9]_{topic}.ipynb"))
    if not notebooks:
        pytest.skip(f"no solution notebook for topic {topic!r} yet")
    checked = set(CHECK_CALL.findall("\n".join(c.source for c in code_cells(notebooks[0]))))
    registered = set(module.EXERCISES)
    assert registered - checked == set(), f"{notebooks[0].name} never checks these exercises"


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_each_solution_block_is_followed_by_a_check(path):
    """An exercise cell ends its block and then checks the answer, so the lesson never blocks."""
    for cell in code_cells(path):
        if BEGIN in cell.source:
            after = cell.source.rsplit(END, 1)[-1]
            assert CHECK_CALL.search(after), f"{path.name}: a solution block without a check(...) after it:\n" \
                                             f"{cell.source[:200]}"


NUMPY_ONLY = ("00a", "00b", "01a", "01b", "02a", "04a")   # as lesson 00a's "Device" section says


def test_the_parts_lesson_00a_calls_numpy_only_import_no_framework():
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        imports = re.findall(r"^\s*(?:import|from)\s+(torch|tensorflow|keras)\b|frameworks=",
                             "\n".join(cell.source for cell in code_cells(path)), re.M)
        assert (not imports) == path.name.startswith(NUMPY_ONLY), (path.name, imports)
