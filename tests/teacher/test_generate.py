"""Tests for course_utils.teacher.generate: solution notebooks -> student lessons."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.lessons import is_edited, sources_hash
from course_utils.teacher.generate import (BEGIN, END, GeneratorError, main, make_lesson, stale_lessons, stub_source,
                                           write_lessons)

STUB_LINE = 'raise NotImplementedError("Replace this line with your code.")'

EXERCISE = f'''def double(x):
    """Twice x."""
    {BEGIN}
    y = 2 * x
    return y
    {END}

result = "the cell runs"'''


EXERCISE_CELL, PLAIN_CELL = 3, 4  # in the lesson: after the title and the install cell with its text


def solution_notebook(answer: str = "y = 2 * x"):
    """A small complete solution: markdown, an exercise cell with outputs, and a plain cell."""
    exercise = new_code_cell(EXERCISE.replace("y = 2 * x", answer), execution_count=3,
                             outputs=[new_output("stream", name="stdout", text="hi\n")])
    exercise.metadata["execution"] = {"iopub.status.idle": "2024-01-01T00:00:00Z"}
    plain = new_code_cell("print(double(2))", execution_count=4,
                          outputs=[new_output("execute_result", data={"text/plain": "4"}, execution_count=4)])
    return new_notebook(cells=[new_markdown_cell("# Doubling\nWrite `double`."), exercise, plain])


@pytest.fixture
def folders(tmp_path):
    """(solutions, lessons) folders with one solution notebook, 01_double.ipynb."""
    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "01_double.ipynb")
    return solutions, lessons


def read(path):
    return nbformat.read(path, as_version=4)


def edit_cell(path, index, change):
    """Open a notebook as a learner would, change one cell, save it."""
    nb = read(path)
    change(nb.cells[index])
    nbformat.write(nb, path)


def run_cell(cell):
    """What running a notebook does to a code cell: outputs and an execution count."""
    cell.execution_count = 1
    cell.outputs = [new_output("stream", name="stdout", text="ran\n")]


# ---------------------------------------------------------------- stub_source

def test_a_block_becomes_the_stub_with_its_indentation():
    source = "class A:\n    def f(self):\n        " + BEGIN + "\n        return 1\n        " + END + "\n    g = 2"
    assert stub_source(source) == (
        "class A:\n    def f(self):\n        # YOUR CODE HERE\n        " + STUB_LINE + "\n    g = 2")


def test_every_block_is_replaced():
    two = EXERCISE + "\n\n" + EXERCISE.replace("double", "triple")
    out = stub_source(two)
    assert out.count(STUB_LINE) == 2 and "2 * x" not in out and "SOLUTION" not in out
    assert out.count('result = "the cell runs"') == 2
    compile(out, "lesson", "exec")


def test_a_cell_without_blocks_is_unchanged():
    source = "x = 1  # ### BEGIN SOLUTION is only text here\nprint(x)\n"
    assert stub_source(source) == source


def test_markers_may_have_trailing_spaces():
    out = stub_source(f"def f():\n    {BEGIN}   \n    return 1\n    {END}\t")
    assert out == f"def f():\n    # YOUR CODE HERE\n    {STUB_LINE}"


BROKEN = {
    "unclosed": (f"def f():\n    {BEGIN}\n    return 1", "line 2: ### BEGIN SOLUTION is never closed"),
    "nested": (f"def f():\n    {BEGIN}\n    {BEGIN}\n    {END}\n    {END}",
               "line 3: ### BEGIN SOLUTION inside another"),
    "end without begin": (f"def f():\n    return 1\n    {END}", "line 3: ### END SOLUTION without"),
    "top level": (f"{BEGIN}\nx = 1\n{END}", "line 1: a solution block must sit inside a function"),
}


@pytest.mark.parametrize("source, message", BROKEN.values(), ids=BROKEN.keys())
def test_broken_blocks_are_errors_that_say_where(source, message):
    with pytest.raises(GeneratorError, match=f"^my cell, {message}"):
        stub_source(source, "my cell")
    assert issubclass(GeneratorError, ValueError)


@pytest.mark.parametrize("source", [f"Try this:\n{BEGIN}\nsecret\n{END}", f"    {BEGIN}"])
def test_a_block_in_markdown_is_an_error(source):
    nb = solution_notebook()
    nb.cells.insert(1, new_markdown_cell(source))
    with pytest.raises(GeneratorError, match="sol.ipynb, cell 1: solution blocks belong in code cells"):
        make_lesson(nb, "sol.ipynb")


# ---------------------------------------------------------------- make_lesson

def test_make_lesson_strips_outputs_and_records_the_hash():
    solution = solution_notebook()
    before = copy.deepcopy(solution)
    lesson = make_lesson(solution, "solutions/01_double.ipynb")
    assert solution == before, "the solution notebook must not change"
    for cell in lesson.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata
    assert [c.id for c in lesson.cells] == [solution.cells[0].id, "course-install-text", "course-install",
                                            *[c.id for c in solution.cells[1:]]]
    assert lesson.cells[0].source.startswith("# Doubling\n\n[Open in Colab](")
    assert lesson.cells[0].source.endswith("labpath=lessons/01_double.ipynb)\n\nWrite `double`.")   # no hub set
    assert STUB_LINE in lesson.cells[EXERCISE_CELL].source and "2 * x" not in lesson.cells[EXERCISE_CELL].source
    assert lesson.metadata["course"] == {"generated_from": "solutions/01_double.ipynb",
                                         "sources_hash": sources_hash(lesson)}
    nbformat.validate(lesson)


def test_the_hash_sees_sources_and_cell_types_only():
    lesson = make_lesson(solution_notebook())
    assert not is_edited(lesson)
    run_cell(lesson.cells[EXERCISE_CELL])
    lesson.cells[EXERCISE_CELL].metadata["scrolled"] = True
    assert not is_edited(lesson)
    for change in (lambda nb: nb.cells[PLAIN_CELL].__setitem__("source", "print(double(3))"),
                   lambda nb: nb.cells.append(new_code_cell("# my notes")),
                   lambda nb: nb.cells[PLAIN_CELL].__setitem__("cell_type", "markdown")):
        edited = copy.deepcopy(lesson)
        change(edited)
        assert is_edited(edited)


def test_a_lesson_without_the_record_counts_as_edited():
    lesson = make_lesson(solution_notebook())
    del lesson.metadata["course"]
    assert is_edited(lesson)


def test_the_stub_raises_only_when_called():
    lesson = make_lesson(solution_notebook())
    namespace = {}
    exec(lesson.cells[EXERCISE_CELL].source, namespace)   # defining the function works
    assert namespace["result"] == "the cell runs"
    with pytest.raises(NotImplementedError, match="Replace this line with your code"):
        namespace["double"](2)


# ---------------------------------------------------------------- writing and checking lessons

def test_round_trip(folders):
    solutions, lessons = folders
    assert stale_lessons(solutions, lessons) == [lessons / "01_double.ipynb"]   # missing
    assert write_lessons(solutions, lessons) == ([lessons / "01_double.ipynb"], [])
    assert stale_lessons(solutions, lessons) == []
    assert write_lessons(solutions, lessons) == ([], [])   # nothing to do the second time
    written = read(lessons / "01_double.ipynb")
    assert written == make_lesson(read(solutions / "01_double.ipynb"), "solutions/01_double.ipynb")


def test_only_numbered_notebooks_are_lessons(folders):
    solutions, lessons = folders
    for name in ("scratch.ipynb", "1_short.ipynb", "02_notes.txt"):
        (solutions / name).write_text("not a notebook")
    assert write_lessons(solutions, lessons)[0] == [lessons / "01_double.ipynb"]
    assert sorted(p.name for p in lessons.iterdir()) == ["01_double.ipynb"]


def test_names_select_notebooks(folders):
    solutions, lessons = folders
    nbformat.write(solution_notebook("y = x + x"), solutions / "02_other.ipynb")
    assert write_lessons(solutions, lessons, names=["02_other"])[0] == [lessons / "02_other.ipynb"]
    assert stale_lessons(solutions, lessons, names=["02_other.ipynb"]) == []
    assert stale_lessons(solutions, lessons) == [lessons / "01_double.ipynb"]
    with pytest.raises(GeneratorError, match="no solution notebook called 03_missing"):
        write_lessons(solutions, lessons, names=["03_missing"])


def check_exit(folders, *extra) -> int:
    solutions, lessons = folders
    return main(["--check", "--solutions", str(solutions), "--lessons", str(lessons), *extra])


def test_check_fails_when_a_lesson_is_missing(folders, capsys):
    assert check_exit(folders) == 1
    assert "stale: " in capsys.readouterr().out
    assert not folders[1].exists() or not any(folders[1].iterdir()), "--check must not write"


def test_check_passes_when_fresh_and_fails_when_the_solution_changes(folders, capsys):
    solutions, lessons = folders
    write_lessons(solutions, lessons)
    assert check_exit(folders) == 0
    assert "lessons are up to date" in capsys.readouterr().out
    edit_cell(solutions / "01_double.ipynb", 2, lambda cell: cell.__setitem__("source", "print(double(5))"))
    assert check_exit(folders) == 1
    assert "stale: " in capsys.readouterr().out


def test_check_fails_when_a_learner_ran_the_lesson(folders):
    """The committed lessons must be stored without outputs."""
    solutions, lessons = folders
    write_lessons(solutions, lessons)
    edit_cell(lessons / "01_double.ipynb", 2, run_cell)
    assert check_exit(folders) == 1


def test_main_reports_a_broken_solution(folders, capsys):
    solutions, lessons = folders
    edit_cell(solutions / "01_double.ipynb", 1, lambda cell: cell.__setitem__("source", f"def f():\n    {BEGIN}"))
    assert main(["--solutions", str(solutions), "--lessons", str(lessons)]) == 2
    assert "error: solutions/01_double.ipynb, cell 1, line 2" in capsys.readouterr().err
    assert main(["--solutions", str(solutions.parent / "nowhere"), "--lessons", str(lessons)]) == 2


# ---------------------------------------------------------------- never lose a learner's work

@pytest.fixture
def outdated(folders):
    """Lessons written, then the solution changed: every lesson is outdated."""
    solutions, lessons = folders
    write_lessons(solutions, lessons)
    nbformat.write(solution_notebook("y = x + x"), solutions / "01_double.ipynb")
    return solutions, lessons


LEARNER_TEXT = "# my own notes, please keep"


def learner_edits(lessons):
    edit_cell(lessons / "01_double.ipynb", 2, lambda cell: cell.__setitem__("source", LEARNER_TEXT))


def test_an_edited_lesson_is_kept_without_force(outdated, capsys):
    solutions, lessons = outdated
    learner_edits(lessons)
    assert write_lessons(solutions, lessons) == ([], [lessons / "01_double.ipynb"])
    assert main(["--solutions", str(solutions), "--lessons", str(lessons)]) == 1
    printed = capsys.readouterr().out
    assert f"kept {lessons / '01_double.ipynb'}" in printed and "--force" in printed
    assert read(lessons / "01_double.ipynb").cells[2].source == LEARNER_TEXT


def test_force_overwrites_an_edited_lesson(outdated):
    solutions, lessons = outdated
    learner_edits(lessons)
    assert main(["--force", "--solutions", str(solutions), "--lessons", str(lessons)]) == 0
    assert LEARNER_TEXT not in (lessons / "01_double.ipynb").read_text()
    assert stale_lessons(solutions, lessons) == []


def test_a_pristine_outdated_lesson_is_overwritten_without_force(outdated):
    solutions, lessons = outdated
    assert write_lessons(solutions, lessons) == ([lessons / "01_double.ipynb"], [])
    assert stale_lessons(solutions, lessons) == []


def test_running_a_lesson_is_not_an_edit(outdated):
    """A learner who only ran the notebook (outputs, counts) has no work to lose."""
    solutions, lessons = outdated
    for index in (1, 2):
        edit_cell(lessons / "01_double.ipynb", index, run_cell)
    assert not is_edited(read(lessons / "01_double.ipynb"))
    assert write_lessons(solutions, lessons) == ([lessons / "01_double.ipynb"], [])
    assert stale_lessons(solutions, lessons) == []


@pytest.mark.parametrize("line", ["## BEGIN SOLUTION", "### BEGIN SOLUTION ###", "# END SOLUTION"])
def test_a_misspelled_marker_is_an_error_not_a_leaked_solution(line):
    with pytest.raises(GeneratorError, match="write the marker exactly"):
        stub_source(f"def f():\n    {line}\n    return 1\n")


def test_an_unreadable_lesson_is_never_overwritten(tmp_path):
    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir(), lessons.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), solutions / "01_a.ipynb")
    (lessons / "01_a.ipynb").write_text("{ not json")
    written, refused = write_lessons(solutions, lessons)
    assert (written, refused) == ([], [lessons / "01_a.ipynb"])
    assert (lessons / "01_a.ipynb").read_text() == "{ not json"
