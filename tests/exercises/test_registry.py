"""Every registered exercise: the reference passes its own check, and wrong answers do not.

Parametrized over course_utils.exercises.all_exercises(), so the exercises of new
lessons are covered as soon as they are registered. Exercises whose code imports
torch or TensorFlow/Keras are skipped where that framework is missing, and also when
COURSE_SKIP_SLOW=1 (importing TensorFlow alone takes about 10 s on this machine).
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import random
import re
import sys

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import PASSED, Case, ExerciseFailed, check, judge
from course_utils.exercises.base import GENERATED, same_numpy_state
from references import reference_copy

IMPORT = r"(?:import|from)\s+(torch|tensorflow|keras)\b"
ANY_IMPORT = re.compile(rf"^\s*{IMPORT}", re.MULTILINE)      # at the top or inside a function
TOP_IMPORT = re.compile(rf"^{IMPORT}", re.MULTILINE)          # at the top of a module
SKIP_SLOW = os.environ.get("COURSE_SKIP_SLOW") == "1"


def _names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


def _functions(*roots):
    """The given functions and classes' methods, plus the functions of their own modules they use."""
    seen, todo = [], [r for r in roots if r is not None]
    while todo:
        item = todo.pop()
        if inspect.isclass(item):
            todo += [m for m in vars(item).values() if inspect.isfunction(m)]
        elif inspect.isfunction(item) and all(item is not f for f in seen):
            seen.append(item)
            used = (inspect.unwrap(item.__globals__[n]) for n in _names(item.__code__)   # unwrap lru_cache
                    if callable(item.__globals__.get(n)))
            todo += [f for f in used if inspect.isfunction(f) and f.__module__ == item.__module__]
    return seen


def frameworks_used(exercise) -> set[str]:
    """The frameworks an exercise's reference, cases, run and compare import, directly or via helpers."""
    functions = _functions(exercise.reference, exercise.cases, exercise.run, exercise.compare)
    found = {m for f in functions for m in ANY_IMPORT.findall(inspect.getsource(f))}
    found |= {m for mod in {inspect.getmodule(f) for f in functions} - {None}
              for m in TOP_IMPORT.findall(inspect.getsource(mod))}
    return {"tensorflow" if m == "keras" else m for m in found}


def exercise_params():
    params = []
    for name, exercise in sorted(registry.all_exercises().items()):
        needs = frameworks_used(exercise)
        marks = [pytest.mark.skipif(SKIP_SLOW or importlib.util.find_spec(fw) is None,
                                    reason=f"{name} needs {fw} (missing, or COURSE_SKIP_SLOW=1)")
                 for fw in sorted(needs)]
        params.append(pytest.param(name, marks=marks, id=name))
    return params


EXERCISES = exercise_params()
each_exercise = pytest.mark.parametrize("name", EXERCISES)


def perturb(value):
    """A wrong result: -x - 1, element by element and inside tuples and lists."""
    if isinstance(value, (tuple, list)):
        return type(value)(perturb(v) for v in value)
    return -value - 1


def wrong_answer(reference):
    if not callable(reference):
        return lambda *args, **kwargs: None

    def wrong(*args, **kwargs):
        return perturb(reference(*args, **kwargs))
    return wrong


def stub(*args, **kwargs):
    raise NotImplementedError("Replace this line with your code.")


@pytest.fixture(autouse=True)
def friendly(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    monkeypatch.chdir(tmp_path)


def test_there_are_exercises():
    assert len(EXERCISES) >= 5
    assert set(registry.all_exercises()) == {p.values[0] for p in EXERCISES}


def test_exercise_names_are_unique_across_topics():
    names = [n for t in registry.TOPICS for n in importlib.import_module(f"{registry.__name__}.{t}").EXERCISES]
    assert len(names) == len(set(names)), "two lessons register an exercise under the same name"


@each_exercise
def test_the_exercise_is_well_formed(name):
    exercise = registry.get_exercise(name)
    cases = list(exercise.cases())
    assert cases and all(isinstance(case, Case) for case in cases)
    assert isinstance(exercise.hint, str) and len(exercise.hint) > 20
    # the same inputs every time, so a check never passes or fails by chance
    assert [c.describe() for c in cases] == [c.describe() for c in exercise.cases()]


NOTHING_TO_DRAW = {"or_weights"}   # its only input names the gate; the exercise is the weights it returns


@each_exercise
def test_every_exercise_that_takes_inputs_also_draws_generated_ones(name):
    labels = [case.label for case in registry.get_exercise(name).cases()]
    assert (GENERATED in labels) != (name in NOTHING_TO_DRAW), \
        f"{name}: add generated cases (exercises.base.generated) that vary what the hand-picked ones share"


def _all_empty(value) -> bool:
    """Whether ``value`` is arrays (or lists and tuples of them) with no entries at all."""
    if isinstance(value, (tuple, list)) and value and not np.isscalar(value[0]):
        return all(_all_empty(v) for v in value)
    return isinstance(value, (np.ndarray, list, tuple)) and np.size(value) == 0


@each_exercise
def test_an_input_whose_right_result_is_empty_gives_no_partial_credit(name):
    """Any answer that returns the right shape gets an empty result right (np.full(np.shape(z), 7.0) does): such a
    case must pass for an exercise to pass, but it carries no weight in partial credit (Case.points = 0)."""
    exercise = registry.get_exercise(name)
    for case in exercise.cases():
        inputs = (*case.args, *case.kwargs.values())
        if case.raises is None and any(np.size(a) == 0 for a in inputs if isinstance(a, (np.ndarray, range))):
            assert not _all_empty(exercise.reference(*case.args, **case.kwargs)) or case.points == 0, case.describe()


@each_exercise
def test_the_reference_passes_in_strict_mode(name, capsys):
    reference = reference_copy(name)
    assert check(name, reference, strict=True) is reference
    assert capsys.readouterr().out.startswith(f"✅ {name}: correct on all")


@each_exercise
def test_a_wrong_answer_is_rejected(name, capsys):
    exercise = registry.get_exercise(name)
    wrong = wrong_answer(reference_copy(name))
    assert check(name, wrong) is exercise.reference
    printed = capsys.readouterr().out
    assert printed.startswith(f"❌ {name}: ") and f"Hint: {exercise.hint}" in printed
    with pytest.raises(ExerciseFailed):
        check(name, wrong, strict=True)


@each_exercise
def test_a_stub_is_not_done_yet(name, capsys):
    exercise = registry.get_exercise(name)
    assert check(name, stub) is exercise.reference
    assert "not done yet" in capsys.readouterr().out


# ---------------------------------------------------------------- the catalogue of real mistakes

def mistake_params():
    return [pytest.param(name, index, marks=p.marks, id=f"{name}-{mistake.name}")
            for p in EXERCISES for name in p.values
            for index, mistake in enumerate(registry.get_exercise(name).mistakes)]


@each_exercise
def test_every_exercise_catalogues_at_least_three_mistakes_half_of_them_named(name):
    mistakes = registry.get_exercise(name).mistakes
    assert len(mistakes) >= 3, f"{name}: catalogue at least 3 realistic wrong answers"
    assert len({m.name for m in mistakes}) == len(mistakes), f"{name}: two mistakes share a name"
    named = sum(bool(m.message) for m in mistakes)
    assert 2 * named >= len(mistakes), f"{name}: only {named} of {len(mistakes)} mistakes have a message"


@pytest.mark.parametrize("name, index", mistake_params())
def test_every_catalogued_mistake_is_rejected_and_named(name, index, capsys):
    exercise = registry.get_exercise(name)
    mistake = exercise.mistakes[index]
    with pytest.raises(ExerciseFailed):
        check(name, mistake.answer, strict=True)
    capsys.readouterr()
    assert check(name, mistake.answer) is exercise.reference
    printed = capsys.readouterr().out
    assert printed.startswith(f"❌ {name}: "), printed
    if mistake.message:
        assert f"Likely mistake: {mistake.message}" in printed, printed


# ---------------------------------------------------------------- a broken environment is never a pass

def framework_params():
    return [pytest.param(name, fw, marks=p.marks, id=f"{name}-without-{fw}")
            for p in EXERCISES for name in p.values
            for fw in sorted(frameworks_used(registry.get_exercise(name)))]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # TF cleaning up without tensorflow
@pytest.mark.parametrize("name, framework", framework_params())
def test_a_missing_framework_never_lets_a_garbage_answer_pass(name, framework, monkeypatch, capsys):
    """With the framework blocked, the reference fails too; that must not read as 'rejected on purpose'."""
    for module in ({"tensorflow": ("keras", "tensorflow")}.get(framework, (framework,))):
        monkeypatch.setitem(sys.modules, module, None)

    def garbage(*args, **kwargs):
        raise ImportError(f"No module named {framework!r}")

    with pytest.raises(ExerciseFailed):
        check(name, garbage, strict=True)
    check(name, garbage)
    assert "✅" not in capsys.readouterr().out


@pytest.mark.parametrize("name, mistake", [("sigmoid", "naive formula"), ("bce_from_logits", "sigmoid, then log"),
                                           ("sigmoid_derivative", "exp(-z) / (1 + exp(-z))**2")])
def test_np_seterr_raise_does_not_let_overflowing_answers_pass(name, mistake):
    """np.seterr(all='raise') used to make the reference's own underflow raise, so the input was skipped."""
    wrong = next(m.answer for m in registry.get_exercise(name).mistakes if m.name == mistake)
    old = np.seterr(all="raise")
    try:
        with pytest.raises(ExerciseFailed):
            check(name, wrong, strict=True)
    finally:
        np.seterr(**old)


# ---------------------------------------------------------------- right answers accepted, clear messages

def test_relu_with_np_where_is_accepted():
    """relu used to reject np.where(z > 0, z, 0) on a NaN rule that the exercise text never states."""
    def relu(z):
        return np.where(np.asarray(z) > 0, z, 0.0)

    assert check("relu", relu, strict=True) is relu


def test_sigmoid_with_naive_np_where_branches_is_told_why(capsys):
    def sigmoid(z):
        z = np.asarray(z, dtype=float)
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    check("sigmoid", sigmoid)
    printed = capsys.readouterr().out
    assert "The check treats overflow as an error" in printed
    assert "np.where(cond, a, b) computes BOTH a and b" in printed


# ----------------------------------------------------------------------------- wrong answers made from the reference
# Every exercise meets the same classes of wrong answer, so they are derived from its reference here rather than
# written out per exercise: the right values handed back in a form later code cannot use, or with a global random
# generator changed on the way.
def _leaves(value, change):
    """``value`` with ``change`` applied to each leaf inside tuples and lists; whether any leaf changed."""
    if isinstance(value, (tuple, list)):
        pairs = [_leaves(v, change) for v in value]
        return type(value)(v for v, _ in pairs), any(changed for _, changed in pairs)
    new = change(value)
    return new, new is not value


def _whole_numbers_as_floats(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    return v.astype(float) if isinstance(v, np.ndarray) and v.dtype.kind in "iu" else v


RESHAPED_RESULTS = {
    "a list": lambda v: v.tolist() if isinstance(v, np.ndarray) and v.ndim else v,
    "an np.matrix": lambda v: np.asmatrix(v) if isinstance(v, np.ndarray) and v.ndim == 2 else v,
    "a masked array": lambda v: np.ma.masked_array(v) if isinstance(v, np.ndarray) and v.ndim else v,
    "floats for whole numbers": _whole_numbers_as_floats,
    "numpy for a tensor": lambda v: v.detach().cpu().numpy() if hasattr(v, "detach") else v,
}
# (exercise, form) pairs that are right answers: indices and weights that the course reads with np.asarray only, and
# whole numbers computed from whole-number inputs
TAKEN_AS_THEY_COME = {("minibatch_indices", "a list"), ("minibatch_indices", "a masked array"),
                      ("sampler_indices", "a list"), ("sampler_indices", "a masked array"),
                      ("or_weights", "a list"), ("or_weights", "a masked array"),
                      ("train_mlp", "a list"), ("train_mlp", "a masked array"),   # the losses, only plotted
                      ("conv2d_valid", "floats for whole numbers")}


def _reshaped(reference, change, effect):
    def answer(*args, **kwargs):
        result, changed = _leaves(reference(*args, **kwargs), change)
        effect.append(changed)
        return result
    answer.__signature__ = inspect.signature(reference)
    return answer


@each_exercise
@pytest.mark.parametrize("form", RESHAPED_RESULTS)
def test_the_right_values_in_a_form_later_code_cannot_use_are_rejected(name, form):
    exercise = registry.get_exercise(name)
    if (name, form) in TAKEN_AS_THEY_COME or not callable(exercise.reference):
        return
    effect = []
    verdict = judge(exercise, _reshaped(reference_copy(name), RESHAPED_RESULTS[form], effect))
    assert verdict.kind != PASSED or not any(effect), f"{name} passed its results as {form}"


RESEEDS = {"numpy": lambda: np.random.seed(0), "python": lambda: random.seed(0),
           "torch": lambda: __import__("torch").manual_seed(0)}


@each_exercise
@pytest.mark.parametrize("generator", sorted(RESEEDS))
def test_an_answer_that_reseeds_a_global_random_generator_is_rejected(name, generator):
    exercise = registry.get_exercise(name)
    if generator not in exercise.untouched_random or not callable(exercise.reference):
        return
    if generator == "torch":
        pytest.importorskip("torch")   # imported here, not inside the answer's time limit (test_ci_skips: no skip in CI)

    def reseeds(*args, **kwargs):
        RESEEDS[generator]()
        return reference_copy(name)(*args, **kwargs)
    reseeds.__signature__ = inspect.signature(exercise.reference)
    list(exercise.cases())  # a first import made by the cases (sklearn, for make_moons) draws from Python's random
    before = (np.random.get_state(), random.getstate())
    verdict = judge(exercise, reseeds)
    # a numpy-only exercise (lessons 03, 04 and 05a's conv2d_valid) refuses torch itself first
    assert verdict.kind != PASSED and ("random" in verdict.text or "from the library torch" in verdict.text), \
        verdict.text
    assert same_numpy_state(before[0], np.random.get_state()) and before[1] == random.getstate()
