"""Grading a class: the synthetic class gets the right scores, and nothing a learner does stalls the run."""
from __future__ import annotations

import csv
import importlib
import os
import queue
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from synthetic_class import EXPECTED, LESSON, MISTAKES, build_class

from course_utils import checks, marking
from course_utils.teacher import grade
from course_utils.checks import NOT_DONE, PASSED, WRONG, check, judge
from course_utils.exercises import get_exercise
from course_utils.teacher.gradebook import feedback_text, summary_figure, write_outputs
from course_utils.teacher.kernel import DIED, ERROR, INTERRUPT_GRACE_S, OK, TIMED_OUT, Kernel

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
LEAK = re.compile(r"expected [^,;:\n]*[\d\[\(]|should be [^\n]*\d")


# ----------------------------------------------------------------------------- redaction
@pytest.mark.parametrize("text, redacted", [
    ("wrong value at index 2: expected 0.5, got 0.3\n   on input x", "wrong value at index 2: got 0.3\n   on input x"),
    ("wrong shape: expected (4, 2), got (2, 4)", "wrong shape: got (2, 4)"),
    ("result #2: wrong value at index (0, 0): expected -0.17, got 0.02", "result #2: wrong value at index (0, 0): got 0.02"),
    ("the module has 5 parameters, expected 10: count the biases", "the module has 5 parameters: count the biases"),
    ("the returned loss 0.69 should be 0.51: call zero_grad()", "the returned loss 0.69 is not the right value: call zero_grad()"),
    ("expected a single number, got an array of shape (2,)", "expected a single number, got an array of shape (2,)"),
    ("should raise ValueError for this input, but returned 0.88", "should raise ValueError for this input, but returned 0.88"),
])
def test_redact_removes_expected_values_and_keeps_the_rest(text, redacted):
    assert marking.redact(text) == redacted


@pytest.mark.parametrize("topic", ["neurons", "forward_pass", "backpropagation"])
def test_no_catalogued_mistake_leaks_an_expected_value_into_feedback(topic):
    exercises = importlib.import_module(f"course_utils.exercises.{topic}").EXERCISES
    checked = 0
    for exercise in exercises.values():
        for mistake in exercise.mistakes:
            verdict = judge(exercise, mistake.answer)
            text = marking.redact(verdict.text)
            assert verdict.kind != PASSED and text, mistake.name
            assert not LEAK.search(text), f"{mistake.name}: {text}"
            checked += "expected" in verdict.text
    assert checked >= 5   # the catalogue does produce messages with expected values to hide


# ----------------------------------------------------------------------------- whose answer is graded
def _wrong_relu(z):
    return np.abs(z)


def _right_relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def test_a_wrong_answer_rebound_to_the_reference_is_still_graded_as_the_learners(capsys):
    namespace = {"relu": check("relu", _wrong_relu, strict=False)}
    assert namespace["relu"] is get_exercise("relu").reference     # the friendly check's fallback
    assert marking.learner_answer("relu", "relu", namespace) is _wrong_relu
    verdict = marking.mark_one("relu", "relu", namespace)
    assert verdict.kind == WRONG and verdict.mistake == "absolute value"
    assert "expected" not in verdict.text and "got 2" in verdict.text


def test_the_final_definition_counts_even_without_a_check_line(capsys):
    check("relu", _wrong_relu, strict=False)
    assert marking.mark_one("relu", "relu", {"relu": _right_relu}).kind == PASSED


def test_the_course_reference_scores_nothing_however_it_got_there(capsys):
    from course_utils import neurons

    fed = {"relu": check("relu", neurons.relu, strict=False)}   # the check line edited to pass the reference
    assert marking.mark_one("relu", "relu", fed).kind == WRONG
    checks.ANSWERS.pop("relu")
    imported = marking.mark_one("relu", "relu", {"relu": neurons.relu})
    assert imported.kind == WRONG and "reference" in imported.text


def test_a_missing_answer_is_not_done():
    checks.ANSWERS.pop("neuron", None)
    verdict = marking.mark_one("neuron", "neuron", {})
    assert verdict.kind == NOT_DONE and "deleted" in verdict.text


def test_assert_passes_raises_with_a_redacted_message(capsys):
    namespace = {"relu": check("relu", _wrong_relu, strict=False)}
    with pytest.raises(checks.ExerciseFailed) as failed:
        marking.assert_passes("relu", "relu", namespace)
    assert "got 2" in str(failed.value) and "expected 0" not in str(failed.value)
    marking.assert_passes("relu", "relu", {"relu": _right_relu})
    assert "✅ relu" in capsys.readouterr().out


# ----------------------------------------------------------------------------- finding submissions
def test_bindings_come_from_the_solution_notebook():
    assert grade.exercise_bindings(SOLUTIONS / f"{LESSON}.ipynb") == {
        "sigmoid": "sigmoid", "relu": "relu", "neuron": "neuron"}


@pytest.mark.parametrize("solution", sorted(SOLUTIONS.glob("[0-9][0-9]*_*.ipynb")), ids=lambda p: p.stem)
def test_every_checked_exercise_of_every_lesson_can_be_graded(solution):
    code = "\n".join(c.source for c in nbformat.read(solution, as_version=4).cells if c.cell_type == "code")
    calls = set(re.findall(r'check\("(\w+)"', code))
    bindings = grade.exercise_bindings(solution)
    assert set(bindings) == calls
    for exercise in bindings:
        get_exercise(exercise)


def test_submissions_are_found_with_their_learner_and_lesson(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "01a_neurons_and_activations.ipynb").write_text((ROOT / "lessons" / "01a_neurons_and_activations.ipynb").read_text())
    (tmp_path / "bob.ipynb").write_text("{ not json")     # lesson unknown by name, taken from the class
    (tmp_path / "alice" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "alice" / ".ipynb_checkpoints" / "01a_neurons_and_activations-checkpoint.ipynb").write_text("{}")
    found = grade.find_submissions([tmp_path], SOLUTIONS)
    assert [(s.learner, s.lesson) for s in found] == [("alice", LESSON), ("bob", LESSON)]
    assert grade.lesson_of(tmp_path / "02a_layers_and_mlp_carol.ipynb", SOLUTIONS) == "02a_layers_and_mlp"


def test_an_unknown_lesson_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no lesson called 01_neuron"):
        grade.find_submissions([tmp_path], SOLUTIONS, lesson="01_neuron")


def test_the_command_line_refuses_what_it_cannot_grade(tmp_path, capsys):
    assert grade.main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert grade.main([str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no notebook or folder" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_two_notebooks_of_one_learner_for_one_lesson_are_refused(tmp_path):
    for name in ("01a_neurons_and_activations.ipynb", "01a_neurons_and_activations_v2.ipynb"):
        (tmp_path / "alice").mkdir(exist_ok=True)
        (tmp_path / "alice" / name).write_text("{}")
    with pytest.raises(ValueError, match="two notebooks for alice"):
        grade.find_submissions([tmp_path], SOLUTIONS)


# ----------------------------------------------------------------------------- the kernel runner
@pytest.fixture
def kernel(tmp_path):
    with Kernel(str(tmp_path), {**os.environ, **grade.KERNEL_ENV}) as running:
        yield running


def test_a_loop_that_ignores_interrupts_is_killed_within_the_limit(kernel):
    start = time.monotonic()
    run = kernel.run("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", 2)
    assert run.status == TIMED_OUT and not kernel.alive
    assert time.monotonic() - start < 2 + INTERRUPT_GRACE_S + 10


def test_an_interruptible_loop_leaves_the_kernel_usable(kernel):
    assert kernel.run("x = 1\nwhile True:\n    pass", 2).status == TIMED_OUT and kernel.alive
    assert kernel.run("assert x == 1", 10).status == OK


def test_a_cell_ends_on_its_reply_even_when_its_output_messages_are_lost(kernel):
    # CI, lowest versions: a busy machine lost the "idle" broadcast of one cell, the cell was judged
    # endless and skipped, and every later cell raised NameError (a half-solved notebook scored 0)
    def lost(*args, **kwargs):
        raise queue.Empty
    kernel.client.get_iopub_msg = lost
    start = time.monotonic()
    assert kernel.run("x = 1\nprint(x)", 20).status == OK
    run = kernel.run("1 / 0", 20)
    assert (run.status, run.error) == (ERROR, "ZeroDivisionError")
    assert time.monotonic() - start < 15 and kernel.alive


def test_a_killed_kernel_is_reported_at_once(kernel):
    start = time.monotonic()
    assert kernel.run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", 60).status == DIED
    assert time.monotonic() - start < 15 and not kernel.alive


# ----------------------------------------------------------------------------- the synthetic class, end to end
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grading")
    build_class(folder / "class")
    start = time.monotonic()
    code = grade.main([str(folder / "class"), "--out", str(folder / "out"), "--cell-timeout", "10",
                       "--notebook-timeout", "120", "--workers", "2"])
    assert code == 0
    return folder / "out", time.monotonic() - start


def test_every_learner_gets_the_expected_score(graded):
    out, _ = graded
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["learner"]: row for row in csv.DictReader(f)}
    assert {name: float(row["total"]) for name, row in rows.items()} == EXPECTED
    assert all(row["max"] == "3" for row in rows.values())
    assert rows["solved"]["neuron"] == "1" and rows["half_solved"]["neuron"] == "0"
    assert rows["deleted_cells"]["relu"] == "1" and rows["deleted_cells"]["neuron"] == "0"


def test_hangs_and_crashes_are_reported_and_do_not_stall_the_run(graded):
    out, seconds = graded
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        problems = {row["learner"]: row["problems"] for row in csv.DictReader(f)}
    assert "was stopped after 10 s" in problems["endless_loop"]
    assert "crashed the kernel" in problems["kernel_crash"]
    assert "neuron: your code crashed the Python process" in problems["kernel_crash"]
    assert "could not be read" in problems["invalid_json"]
    assert problems["solved"] == ""
    assert seconds < 600


def test_feedback_names_mistakes_but_shows_no_expected_value(graded):
    out, _ = graded
    files = sorted((out / "feedback").glob("*.md"))
    assert [f.stem for f in files] == sorted(EXPECTED)
    for path in files:
        assert not LEAK.search(path.read_text(encoding="utf-8")), path.name
    wrong = (out / "feedback" / "wrong_answers.md").read_text(encoding="utf-8")
    assert f"**Score: {EXPECTED['wrong_answers']:g} / 3**" in wrong and wrong.count("Likely mistake:") == len(MISTAKES)
    assert "np.abs turns negative inputs positive" in wrong and "Hint: ReLU is max(0, z)" in wrong
    broken = (out / "feedback" / "invalid_json.md").read_text(encoding="utf-8")
    assert "Problems with your notebook:\n- the notebook could not be read" in broken
    solved = (out / "feedback" / "solved.md").read_text(encoding="utf-8")
    assert "**Score: 3 / 3**" in solved and "Hint" not in solved


def test_the_summary_plot_is_written(graded):
    out, _ = graded
    assert (out / "summary.png").stat().st_size > 10_000


def _result(learner, verdicts, problems=()):
    submission = grade.Submission(Path(f"{learner}/{LESSON}.ipynb"), learner, LESSON)
    return grade.Result(submission, {e: {"kind": k, "text": "", "mistake": m,
                                         "score": float(get_exercise(e).points if k == PASSED else 0)}
                                     for e, (k, m) in verdicts.items()},
                        list(problems))


def test_summary_figure_counts_pass_rates_and_mistakes():
    results = [_result("a", {"relu": (PASSED, ""), "neuron": (WRONG, "no bias")}),
               _result("b", {"relu": (WRONG, "absolute value"), "neuron": (WRONG, "no bias")})]
    left, right = summary_figure(results).axes
    assert [round(p.get_width()) for p in left.patches] == [0, 50]      # neuron, relu (bottom to top)
    assert [t.get_text() for t in right.get_yticklabels()] == ["relu: absolute value", "neuron: no bias"]
    assert [p.get_width() for p in right.patches] == [1, 2]
    for ax in (left, right):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend()


def test_one_learner_with_two_lessons_gets_one_row(tmp_path):
    first = _result("alice", {"relu": (PASSED, "")})
    second = grade.Result(grade.Submission(Path("alice/02.ipynb"), "alice", "02a_layers_and_mlp"),
                          {"softmax_stable": {"kind": PASSED, "text": "", "mistake": "", "score": 1.0}})
    write_outputs([first, second], tmp_path)
    rows = list(csv.reader((tmp_path / "gradebook.csv").open(encoding="utf-8")))
    assert rows[0][:3] == ["learner", "relu", "softmax_stable"] and rows[1][:4] == ["alice", "1", "1", "2"]
    assert "## 02a_layers_and_mlp" in feedback_text("alice", [first, second])
