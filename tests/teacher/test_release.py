"""The graded release: no reference solution, no hidden case, no solution notebook; lesson 01a runs from it."""
from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_utils.exercises import get_exercise
from course_utils.teacher.notebook_format import BEGIN, exercise_bindings, solution_notebooks
from course_utils.teacher.release import ReleaseError, build_release, main, public_cases

from synthetic_class import ROOT

LESSON = "01a_neurons_and_activations"
EXERCISES = list(exercise_bindings(ROOT / "solutions" / f"{LESSON}.ipynb"))


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return build_release(LESSON, tmp_path_factory.mktemp("release") / "out")


def _answer_functions(name: str):
    exercise = get_exercise(name)
    return [exercise.reference, exercise.cases, *(m.answer for m in exercise.mistakes)]


def _statements(function) -> list[str]:
    """The statements of a function's body, as ast.unparse writes them (docstring left out)."""
    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    body = node.body if isinstance(node, ast.FunctionDef) else []
    return [ast.unparse(s) for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]


def test_the_release_holds_lessons_and_package_but_no_solutions_and_no_teacher_tools(release):
    assert sorted(p.name for p in release.iterdir()) == ["course_utils", "lessons"]
    assert [p.name for p in (release / "lessons").iterdir()] == [f"{LESSON}.ipynb"]
    assert not list(release.rglob("solutions")) and not (release / "course_utils" / "teacher").exists()
    assert not list(release.rglob("__pycache__"))
    for notebook in release.rglob("*.ipynb"):
        assert BEGIN not in notebook.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", EXERCISES)
def test_no_answer_code_of_any_exercise_is_left(release, name):
    for function in _answer_functions(name):
        source = Path(inspect.getsourcefile(function)).resolve()
        copied = (release / "course_utils" / source.relative_to(ROOT / "course_utils")).read_text(encoding="utf-8")
        statements = [s for s in _statements(function) if len(s) > 12]
        assert statements or function.__name__ == "<lambda>"
        for statement in statements:   # every line of the original body is gone from the release's module
            assert statement not in copied, f"{function.__qualname__}: {statement!r} is still in the release"


def test_the_helpers_that_only_answer_code_calls_are_emptied_and_those_that_checks_call_are_kept(release):
    """Round 25: a reference's one-line call of a module helper left the helper, and so the answer, in the release."""
    from course_utils.exercises import neurons
    copied = ast.parse((release / "course_utils" / "exercises" / "neurons.py").read_text(encoding="utf-8"))
    bodies = {node.name: node.body for node in copied.body if isinstance(node, ast.FunctionDef)}
    for helper in ("_stable_sigmoid_of_one_number", "_draw_far_float32"):
        assert [type(s) for s in bodies[helper]] == [ast.Raise], helper
    for kept in (neurons._call_without_overflow, neurons._unchanged):
        assert [ast.unparse(s) for s in bodies[kept.__name__]][-1] == _statements(kept)[-1], kept.__name__


@pytest.mark.parametrize("name", EXERCISES)
def test_only_public_cases_ship_with_the_expected_outcomes(release, name):
    recorded = json.loads((release / "course_utils" / "exercises" / "recorded.json").read_text())[name]
    cases = list(get_exercise(name).cases())
    assert len(recorded["cases"]) == len(public_cases(cases)) == max(1, len(cases) // 2)
    assert len(recorded["reference"]) == len(recorded["cases"])
    assert set(recorded["mistakes"]) == {m.name for m in get_exercise(name).mistakes}


def _run(release: Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(release), "COURSE_STRICT": "1", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_in_the_release_no_reference_can_be_called_and_checks_use_the_recorded_cases(release, tmp_path):
    result = _run(release, textwrap.dedent("""
        import numpy as np, course_utils
        from course_utils import neurons
        from course_utils.exercises import get_exercise
        from course_utils.checks import check, ANSWERS
        assert course_utils.__file__.startswith(%r), course_utils.__file__
        for name in %r:
            try:
                get_exercise(name).reference()
            except NotImplementedError as why:
                assert "graded release" in str(why)
            else:
                raise AssertionError(name)
        try:
            neurons.sigmoid(0.0)          # the course's own code waits for the learner's answer
        except NotImplementedError as why:
            assert "not done yet" in str(why)
        def sigmoid(z):
            z = np.asarray(z, dtype=float)
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        check("relu", neurons.relu, strict=False)   # handing in the course's own function does not loop
        try:
            neurons.relu(1.0)
        except NotImplementedError as why:
            assert "course's own function" in str(why)
        check("sigmoid", sigmoid)        # passes on the public cases (strict mode raises otherwise)
        assert neurons.sigmoid(0.0) == 0.5   # and the course's code now runs on the learner's function
        print("ok")
    """ % (str(release), EXERCISES)), tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_the_check_s_own_code_rebuilt_into_a_new_function_gives_a_graded_learner_nothing(tmp_path):
    """Round 35 (r352 E1): in the full package, 00b's reference or a catalogued mistake rebuilt with
    types.FunctionType from its code object passes mlp_param_count, as the same code pasted from the source would
    (rounds 29-30, r295 E2, r298 E2: indistinguishable). The graded release holds neither: rebuilt, each only raises."""
    release = build_release("00b_big_picture", tmp_path / "out")
    result = _run(release, textwrap.dedent("""
        import types
        from course_utils.exercises import welcome
        names = {"list": list, "len": len, "any": any, "int": int, "ValueError": ValueError, "sum": sum, "zip": zip}
        for function in (welcome._mlp_param_count, welcome._weights_and_biases, welcome._no_biases):
            try:
                types.FunctionType(function.__code__, names)([3, 4, 2])
            except NotImplementedError as why:
                assert "graded release" in str(why), why
            else:
                raise AssertionError(function.__name__)
        print("ok")
    """), tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_a_wrong_answer_gets_its_catalogued_mistake_named_and_the_notebook_goes_on(release, tmp_path):
    result = _run(release, textwrap.dedent("""
        import numpy as np
        from course_utils.checks import check
        relu = lambda z: np.abs(z)
        assert check("relu", relu, strict=False) is relu
    """), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "np.abs turns negative inputs positive" in result.stdout and "your own answer" in result.stdout


def test_the_solved_lesson_runs_end_to_end_from_the_release(release, tmp_path):
    solved = tmp_path / f"{LESSON}.ipynb"
    solved.write_text((ROOT / "solutions" / f"{LESSON}.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    result = _run(release, textwrap.dedent(f"""
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(solved)!r}, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        print("ran", sum(c.cell_type == "code" for c in nb.cells), "cells")
    """), tmp_path)
    assert result.returncode == 0 and "ran" in result.stdout, result.stderr[-3000:]


def test_lesson_02a_runs_on_with_a_softmax_stable_of_one_parameter(tmp_path):
    """mlp.forward(..., output="softmax"), two cells after exercise 2, must not call the learner's softmax_stable(z)
    with mlp.softmax's second parameter (axis)."""
    release = build_release("02a_layers_and_mlp", tmp_path / "out")
    result = _run(release, textwrap.dedent("""
        import numpy as np
        from course_utils import mlp
        from course_utils.checks import check
        def softmax_stable(z):
            z = np.asarray(z, dtype=float)
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        softmax_stable = check("softmax_stable", softmax_stable)
        probs, _ = mlp.forward(mlp.init_params([2, 5, 3], seed=0), np.ones((4, 2)), output="softmax")
        assert np.allclose(probs.sum(axis=1), 1.0)
        print("ok")
    """), tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


NOT_PLAIN = {"00a_welcome", "07a_gradient_attributions", "07b_occlusion_lime_shap", "08a_data_parallelism"}   # as docs/grading.md says


@pytest.mark.wide
@pytest.mark.parametrize("lesson", [p.stem for p in solution_notebooks(ROOT / "solutions")])
def test_every_lesson_with_plain_inputs_can_be_released_and_the_others_are_refused_with_a_reason(lesson, tmp_path):
    if lesson in NOT_PLAIN:
        with pytest.raises(ReleaseError, match="not plain data"):
            build_release(lesson, tmp_path / "out")
    else:
        recorded = json.loads((build_release(lesson, tmp_path / "out") / "course_utils" / "exercises" /
                               "recorded.json").read_text())
        assert set(recorded) == set(exercise_bindings(ROOT / "solutions" / f"{lesson}.ipynb"))


def test_the_course_calls_the_answer_with_the_parameters_its_def_line_takes(release, tmp_path):
    """neurons.neuron has a fourth parameter (activation) that the exercise does not ask for."""
    result = _run(release, textwrap.dedent("""
        import numpy as np
        from course_utils import neurons
        from course_utils.checks import check
        def sigmoid(z):                        # numpy alone: lesson 01's checks refuse other libraries
            z = np.asarray(z, dtype=float)
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        def neuron(inputs, weights, bias):     # the exercise's three parameters, named otherwise
            return sigmoid(np.dot(inputs, weights) + bias)
        check("sigmoid", sigmoid)
        check("neuron", neuron)
        x, w = np.array([1.0, 2.0]), np.array([0.5, -0.25])
        assert neurons.neuron(x, w, 0.1) == neuron(x, w, 0.1)
        assert neurons.neuron(x, w, 0.1, activation=neurons.sigmoid) == neuron(x, w, 0.1)
        try:
            neurons.neuron(x, w, 0.1, activation=neurons.relu)
        except TypeError as why:
            assert "activation=" in str(why) and "no such parameter" in str(why), why
        else:
            raise AssertionError("a relu neuron ran as a sigmoid one")
        print("ok")
    """), tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_the_command_writes_one_release_per_lesson(tmp_path, capsys):
    """Lesson 02b's own code (mlp.forward) runs lesson 01a's sigmoid: in a release of both at once, a 02b kernel
    would wait for a sigmoid answer it never gets."""
    assert main([LESSON, "02b_losses_and_xor", "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / LESSON / "course_utils" / "exercises" / "recorded.json").exists()
    later = tmp_path / "r" / "02b_losses_and_xor"
    assert [p.name for p in (later / "lessons").iterdir()] == ["02b_losses_and_xor.ipynb"]
    result = _run(later, textwrap.dedent("""
        import numpy as np
        from course_utils import mlp
        probs, _ = mlp.forward(mlp.init_params([2, 3, 1], seed=0), np.ones((4, 2)))
        assert probs.shape == (4, 1) and np.all((probs > 0) & (probs < 1))
        print("ok")
    """), tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
    assert main(["07b_occlusion_lime_shap", "--out", str(tmp_path / "s")]) == 2
    assert "cannot be released graded" in capsys.readouterr().err
