"""Exercise checks that never block the learner.

``check(name, answer)`` runs the learner's answer on every test case of the
exercise ``name`` and prints a friendly verdict. It returns the learner's
answer when it passes and the reference implementation otherwise, so the rest
of the notebook keeps running. In strict mode (solutions/ and CI) a failure
raises ``ExerciseFailed`` instead. In a graded release the reference is not
there (``Recorded``): the expected outcomes come as data, and a notebook goes
on with the learner's own answer.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .exercises import get_exercise
from .exercises.base import (INPUT_CHANGED, Case, Exercise, InputChanged, Mismatch, Mistake,  # noqa: F401
                             Recorded, bind, bound, compare_values, copied, course_aliases, held_functions,
                             input_changed, judging, random_left_alone, refusing_made_calls, same_arrays, short,
                             watched)  # (some re-exported)
from .guard import CappedOutput, Outcome, SettingChanged, guarded, watched_modules, watched_name
from .i18n import t
from .plaindata import from_plain


class ExerciseFailed(AssertionError):
    """Raised in strict mode when an answer does not pass its check."""


def strict_mode() -> bool:
    """Strict when COURSE_STRICT says so, else when running inside solutions/."""
    flag = os.environ.get("COURSE_STRICT", "").strip().lower()
    if flag in {"1", "true", "yes", "on"}:
        return True
    if flag in {"0", "false", "no", "off"}:
        return False
    return Path.cwd().name == "solutions"


@dataclass(frozen=True)
class Verdict:
    """The result of checking one answer: ``kind`` is one of the constants below, ``text`` says why."""

    kind: str
    text: str = ""
    mistake: str = ""  # the name of the catalogued mistake the answer matches, if any


PASSED, NOT_DONE, WRONG, TIMED_OUT, INTERRUPTED, BROKEN = (
    "passed", "not done", "wrong", "timed out", "interrupted", "broken")

ANSWERS: dict[str, Any] = {}  # the last answer given to check() for each exercise: the grader judges these


def check(name: str, answer: Any, *, strict: bool | None = None) -> Any:
    """Check the learner's ``answer`` to exercise ``name``; return what to use next."""
    exercise = get_exercise(name)
    ANSWERS[name] = answer
    strict = strict_mode() if strict is None else strict
    output = CappedOutput()
    verdict = judge(exercise, answer, output)
    if output.total:
        print(t("📝 {name}: your code printed this while it was checked (shown once):\n{printed}",
                name=name, printed=output.summary()))
    return _report(name, exercise, answer, verdict, strict)


def answer_of(name: str) -> Any:
    """The learner's last answer to exercise ``name``: what a graded release's course code runs instead."""
    if name not in ANSWERS:
        raise NotImplementedError(f"exercise `{name}` is not done yet: in this graded release the course's "
                                  "own code uses your answer, so run its cell first")
    answer = ANSWERS[name]
    if getattr(answer, "__module__", "").startswith("course_utils."):
        raise NotImplementedError(f"exercise `{name}`: the answer given to check() is the course's own function, "
                                  "which in this graded release waits for yours: write your own")
    return answer


def call_answer(name: str, library_function: Callable, arguments: dict) -> Any:
    """What a graded release's course function returns: the learner's answer to ``name`` called with the
    ``arguments`` of the course's ``library_function``, in order, as many as the answer's def line takes.

    The course's function may have more parameters than the exercise asks for (``neuron(x, w, b, activation)``);
    one that the answer has no room for must hold the course's default, or the call is refused.
    """
    answer = answer_of(name)
    try:
        own = inspect.signature(answer).parameters.values()
    except (TypeError, ValueError):   # a callable without a signature to read: pass everything
        own = [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)]
    room = len(arguments) if any(p.kind is p.VAR_POSITIONAL for p in own) else \
        sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in own)
    defaults = inspect.signature(library_function).parameters
    values = list(arguments.items())
    for key, value in values[room:]:
        if value is not defaults[key].default:
            raise TypeError(t("the course's code called your `{name}` with {key}={value}, but your function takes "
                              "no such parameter", name=name, key=key, value=short(value)))
    return answer(*(value for _, value in values[:room]))


def _report(name: str, exercise: Exercise, answer: Any, verdict: Verdict, strict: bool) -> Any:
    """Print the verdict (or raise in strict mode) and return the answer or the reference."""
    if verdict.kind == PASSED:
        print(t("✅ {name}: {text}. Well done!", name=name, text=verdict.text))
        return answer
    if verdict.kind == BROKEN:
        message = t("the check itself could not run, so your answer was NOT checked.\n   {text}\n"
                    "   This is a problem with the environment, not with your answer: paste the set-up report "
                    "(the first cell's output) into your question.", text=verdict.text)
        if strict:
            raise CheckBroken(f"{name}: {message}")
        print(f"⚠️ {name}: {message}")
        return answer
    if verdict.kind == INTERRUPTED and strict:
        raise KeyboardInterrupt(f"{name}: check interrupted")
    if strict:
        detail = t("the exercise still raises NotImplementedError") if verdict.kind == NOT_DONE else verdict.text
        raise ExerciseFailed(t("{name}: {text}\n   Hint: {hint}", name=name, text=detail, hint=t(exercise.hint)))
    released = isinstance(exercise.reference, Recorded)
    goes_on = (t("The notebook goes on with your own answer (this graded release has no reference solution).")
               if released else t("The notebook goes on with the reference solution for now."))
    if verdict.kind == NOT_DONE:
        until = (t("Until then, cells below that use `{name}` stop with the same error.", name=name) if released
                 else t("Until then the notebook uses the reference solution, so everything below still runs."))
        print(t("✏️ {name}: not done yet. Write your code in place of `raise NotImplementedError(...)` and run "
                "the cell again.\n   {until}", name=name, until=until))
    elif verdict.kind == INTERRUPTED:
        print(t("⏹️ {name}: the check was interrupted. {goes_on}", name=name, goes_on=goes_on))
    elif verdict.kind == TIMED_OUT:
        print(t("⏱️ {name}: {text}\n   Hint: {hint}\n   {goes_on}", name=name, text=verdict.text,
                hint=t(exercise.hint), goes_on=goes_on))
    else:
        print(t("❌ {name}: {text}\n   Hint: {hint}\n   {goes_on}", name=name, text=verdict.text,
                hint=t(exercise.hint), goes_on=goes_on))
    return answer if released else exercise.reference


def judge(exercise: Exercise, answer: Any, output: CappedOutput | None = None) -> Verdict:
    """Try ``answer`` on every case of ``exercise``; the first problem decides the verdict."""
    output = output if output is not None else CappedOutput()
    if callable(exercise.reference) and not callable(answer):
        return Verdict(WRONG, t("check() needs your function itself, but was given {kind}. "
                                "Pass the function without calling it: `check(name, my_function)`, "
                                "not `check(name, my_function(x))`", kind=_kind_of(answer)))
    replaced = replaced_library_functions()
    if replaced:
        return Verdict(WRONG, t(LIBRARY_REPLACED, names=", ".join(replaced[:3])))
    own = _own_functions(exercise)
    if own and answer is own[0]:
        return Verdict(WRONG, t(REFERENCE_HANDED_BACK))
    if held_functions(answer, [f for f in own if f is not answer]):   # a catalogued mistake itself is judged as such
        return Verdict(WRONG, t(REFERENCE_USED))
    exercises = _exercises_as_they_are(exercise)
    seen: list = []
    places = _stand_ins(exercise, own, seen)
    verdict = decide(exercise, lambda index, case: _swapped(places, lambda: _attempt(exercise, answer, case, output)))
    if _put_back(exercises):
        return Verdict(WRONG, t(EXERCISE_CHANGED))
    return Verdict(WRONG, t(REFERENCE_USED)) if seen else verdict


REFERENCE_HANDED_BACK = ("this is the check's own reference solution, which check() hands back after an attempt that "
                         "did not pass, so that the notebook can go on (`relu = check(\"relu\", relu)` rebinds the "
                         "name): run the cell with your own function again, then check that")

REFERENCE_USED = ("your function runs this check's own code (its reference solution or one of its catalogued "
                  "mistakes, reached through the exercise registry, the check's own variables or a name bound to "
                  "it): write the computation yourself, as the exercise asks")


def _own_functions(exercise: Exercise) -> list:
    """The exercise's reference, then its catalogued mistakes: [] in a graded release, which has no reference."""
    if isinstance(exercise.reference, Recorded) or not callable(exercise.reference):
        return []
    return [exercise.reference, *(m.answer for m in exercise.mistakes if callable(m.answer)
                                  and not isinstance(m.answer, Recorded))]


def _stand_ins(exercise: Exercise, own: list, seen: list) -> list:
    """(holder, name, the function, its stand-in) for the exercise's own functions: in the exercise (``reference``,
    ``mistakes``), under their names in their modules, and wherever else a course module holds them (a second name,
    a dict entry). Each stand-in notes in ``seen`` a call from outside course_utils.

    Round 18 (F6): ``registry.get_exercise(name).reference(...)``, or the check's ``exercise`` found by walking up the
    answer's frames, gave an answer the expected result. Round 19: so did a catalogued mistake that is wrong on one
    case only, called from the topic module with that case handled by the answer. (``judge`` refuses an answer that
    holds one of them itself.)
    """
    if not own:
        return []
    stand_in = {id(f): watched(f, seen) for f in own}
    places = [(exercise, "reference", own[0]), (exercise, "mistakes", exercise.mistakes),
              *(slot for f in own for slot in _own_name(f)), *course_aliases(own)]
    mistakes = tuple(Mistake(m.name, stand_in.get(id(m.answer), m.answer), m.message) for m in exercise.mistakes)
    return [(holder, name, original, mistakes if name == "mistakes" and holder is exercise else stand_in[id(original)])
            for holder, name, original in places]


def _own_name(f: Callable) -> list:
    """[(its module, its name, f)] when f's module holds it under its own name, else []."""
    module, name = sys.modules.get(getattr(f, "__module__", None) or ""), getattr(f, "__name__", None)
    return [(module, name, f)] if module is not None and name and vars(module).get(name) is f else []


def _swapped(places: list, attempt: Callable[[], Outcome]) -> Outcome:
    """``attempt()`` with each of ``places`` holding its stand-in; put back after it what still holds the stand-in
    (anything else the answer changed is for ``_put_back`` to see)."""
    for holder, name, _, stand_in in places:
        bind(holder, name, stand_in)
    try:
        return attempt()
    finally:
        for holder, name, original, stand_in in places:
            if bound(holder, name) is stand_in:
                bind(holder, name, original)


EXERCISE_CHANGED = ("your function changed the course's exercises themselves (their cases, comparison or reference, "
                    "as object.__setattr__(exercise, 'compare', ...) does), so that this check and every later one "
                    "would pass any answer. The check put them back; leave course_utils' exercises alone")


def _exercises_as_they_are(exercise: Exercise) -> list:
    """(holder, a copy of what it holds) for the exercise judged, each topic's EXERCISES and every exercise in them.

    Round 18: a frozen dataclass still takes object.__setattr__, and the topics' EXERCISES are plain dicts, so an
    answer could replace the comparison, the cases or the reference of this check and of every later one."""
    topics = [vars(module).get("EXERCISES") for name, module in list(sys.modules.items())
              if name.startswith("course_utils.exercises.") and module is not None]
    topics = [found for found in topics if isinstance(found, dict)]
    held = [exercise, *(each for found in topics for each in found.values() if isinstance(each, Exercise))]
    return [(found, dict(found)) for found in topics] + [(each, dict(vars(each))) for each in held]


def _put_back(state: list) -> bool:
    """Put back what ``_exercises_as_they_are`` saw; whether anything had changed."""
    changed = False
    for holder, before in state:
        now = holder if isinstance(holder, dict) else vars(holder)
        if now.keys() != before.keys() or any(now[key] is not value for key, value in before.items()):
            now.clear()
            now.update(before)
            changed = True
    return changed


LIBRARY_REPLACED = ("your code replaced {names} with a function of its own: the check computes the expected results "
                    "with the course's and numpy's own functions, so it would expect your answer's results back. Leave "
                    "them as they are (restart the kernel to put them back) and give check() your function only")


def replaced_library_functions() -> list[str]:
    """The names in builtins, numpy and the course's modules that hold a function or class of the notebook's own (its
    __main__), as after ``mlp.loss_and_grads = lambda ...`` in an earlier cell. Round 17: the references call them, so
    such a patch made every answer pass (``guarded`` puts back what an answer replaces while it runs)."""
    return [f"{watched_name(module)}.{attr}" for module in watched_modules()
            for attr, value in list(vars(module).items()) if _of_the_notebook(value)]


def _of_the_notebook(value: Any) -> bool:
    """Whether ``value`` is a function or class of the notebook's own, or a functools.partial or np.vectorize of one.
    Round 19: np.isclose = functools.partial(<the notebook's function>) passed, a partial's __module__ being
    "functools" (and an np.vectorize's "numpy"). A bound method and functools.wraps give the function's own."""
    while isinstance(value, (functools.partial, np.vectorize)):
        value = value.func if isinstance(value, functools.partial) else value.pyfunc
    return getattr(value, "__module__", None) == "__main__"


def decide(exercise: Exercise, attempt: Callable[[int, Case], Outcome]) -> Verdict:
    """The verdict on an answer whose outcome on case ``index`` is ``attempt(index, case)``.

    ``check()`` runs the answer here, in the learner's notebook; the grader instead reads the
    outcomes that the learner's own process sent back as plain data (``course_utils.plaindata``).
    The expected outcomes always come from the reference, run here.
    """
    try:
        cases = list(exercise.cases())
    except Exception as exc:  # e.g. the framework the inputs are made with cannot be imported
        return Verdict(BROKEN, t("the test inputs could not be made: {error}", error=f"{type(exc).__name__}: {exc}"))
    try:   # the reference's first run makes its first imports (torch, sympy) outside the answer's time limit; its
        if cases:   # outcome is dropped, so no frame of the answer's holds it
            _expected(exercise, cases[0], 0)
    except CheckBroken as broken:
        return Verdict(BROKEN, str(broken))
    except KeyboardInterrupt:
        return Verdict(INTERRUPTED)
    for index, case in enumerate(cases):
        got = attempt(index, case)   # before the expected outcome exists (round 18: an answer read `want` from here)
        try:
            want = _expected(exercise, case, index)
        except CheckBroken as broken:
            return Verdict(BROKEN, str(broken))
        except KeyboardInterrupt:
            return Verdict(INTERRUPTED)
        if got.interrupted:
            return Verdict(INTERRUPTED)
        if got.timed_out:
            return Verdict(TIMED_OUT, t("stopped after {seconds:g} s on input {case}. Is there an endless loop "
                                        "(a `while` whose condition never turns false)?",
                                        seconds=exercise.time_limit, case=case.describe()))
        if isinstance(got.error, NotImplementedError) and (index > 0 or all(
                isinstance(attempt(j, c).error, NotImplementedError) for j, c in enumerate(cases[1:], 1))):
            return Verdict(NOT_DONE) if index == 0 else Verdict(WRONG, t(
                "raised NotImplementedError on input {case}: this kind of input is not handled yet", case=case.describe()))
        problem = _problem(exercise, case, want, got)
        if problem:
            mistake = _matching_mistake(exercise, index, case, got) if case.matched else None
            named = t("\n   Likely mistake: {message}", message=t(mistake.message)) if mistake else ""
            return Verdict(WRONG, problem + named, mistake.name if mistake else "")
    return Verdict(PASSED, t("correct on all {count} test inputs", count=len(cases)))


def case_results(exercise: Exercise, attempt: Callable[[int, Case], Outcome]) -> list[bool]:
    """For each case, whether the answer's outcome is right (partial credit); [] when the check is broken."""
    try:
        cases = list(exercise.cases())
        wants = [_expected(exercise, case, index) for index, case in enumerate(cases)]
    except (Exception, KeyboardInterrupt):
        return []
    results = []
    for index, (case, want) in enumerate(zip(cases, wants)):
        got = attempt(index, case)
        stopped = got.timed_out or got.interrupted or isinstance(got.error, NotImplementedError)
        results.append(not stopped and not _problem(exercise, case, want, got))
    return results


class CheckBroken(ExerciseFailed):
    """The check's own reference failed (a broken environment): never a pass."""


def _expected(exercise: Exercise, case: Case, index: int) -> Outcome:
    """The reference's outcome on ``case``; raise CheckBroken unless it does what the case declares."""
    reference = exercise.reference
    want = (recorded_outcome(reference.outcomes[index]) if isinstance(reference, Recorded)
            else guarded(runner_of(exercise), reference, copied(case)))
    if want.interrupted:
        raise KeyboardInterrupt
    declared = case.raises
    if want.error is not None and not (declared and isinstance(want.error, declared)):
        raise CheckBroken(t("the reference raised {error}\n   on input {case}",
                            error=f"{type(want.error).__name__}: {want.error}", case=case.describe()))
    if want.error is None and declared:
        raise CheckBroken(t("the reference should raise {errors} on input {case}, but returned {value}",
                            errors=_names(declared), case=case.describe(), value=short(want.value)))
    return want


def _attempt(exercise: Exercise, answer: Any, case: Case, output: CappedOutput) -> Outcome:
    """Run ``answer`` on a copy of ``case``; a change to the copy's arrays is reported as an error."""
    own = copied(case)
    _poison_freed_buffers(own)
    got = guarded(runner_of(exercise), answer, own, limit=exercise.time_limit, output=output)
    if got.ok and exercise.run is None and not same_arrays(own, case):
        got = Outcome(error=input_changed())
    return got


def _poison_freed_buffers(case: Case) -> None:
    """Fill the memory numpy hands out next, for arrays the size of the case's, with -123456.789 (half the lowest
    value for float16, which cannot hold it; the largest integer for integer arrays).

    A freed buffer goes back to numpy's (or the C library's) cache and is handed to the next array of its
    size, so np.empty_like(x) may start out holding the reference's values, zeros or NaN: an answer that
    never fills some positions would pass by luck. Allocating and freeing more filled buffers than the
    cache holds (7 per size) leaves a value there that no right answer gives.
    """
    held = []
    for a in (*case.args, *case.kwargs.values()):
        for dtype in {a.dtype, np.dtype(float)} if isinstance(a, np.ndarray) else ():
            if dtype.kind in "fiu":
                poison = max(-123456.789, float(np.finfo(dtype).min) / 2) if dtype.kind == "f" else np.iinfo(dtype).max
                held += [np.full(a.shape, poison, dtype) for _ in range(16)]
    del held


# rebuilt by name from plain data
COURSE_ERRORS = {"InputChanged": InputChanged, "Mismatch": Mismatch, "SettingChanged": SettingChanged}



def _problem(exercise: Exercise, case: Case, want: Outcome, got: Outcome) -> str:
    """A friendly description of what is wrong with ``got`` on ``case``, or '' when it is right."""
    where = t("\n   on input {case}", case=case.describe())
    if got.error is not None:
        if case.raises and isinstance(got.error, case.raises) and not isinstance(got.error, InputChanged):
            return ""
        if case.raises and not isinstance(got.error, (InputChanged, Mismatch, SettingChanged)):
            # round 21: "raised RuntimeError" alone, where an error was due, reads as right (torch's @ on a misfit X)
            return _describe_error(got.error) + where + t("\n   This input must raise {errors}.",
                                                          errors=_names(case.raises))
        return _describe_error(got.error) + where
    if case.raises:
        return t("should raise {errors} for this input, but returned {value}",
                 errors=_names(case.raises), value=short(got.value)) + where
    compare = exercise.compare or (lambda g, w: compare_values(g, w, exercise.rtol, exercise.atol))
    try:
        compare(got.value, want.value)
    except Mismatch as mismatch:
        return f"{mismatch}{where}"
    except Exception as exc:  # a result that cannot even be compared is still just a wrong answer
        return t("returned a result that cannot be compared ({error})", error=f"{type(exc).__name__}: {exc}") + where
    return ""


def _describe_error(error: BaseException) -> str:
    if isinstance(error, (InputChanged, Mismatch, SettingChanged)):  # the run says itself what is wrong
        return str(error)
    if isinstance(error, SystemExit):
        return t("called exit() (it raised SystemExit). A function hands its result back with `return`; "
                 "exit() would stop the whole notebook")
    if isinstance(error, FloatingPointError):
        return t("a floating-point overflow happened inside your function ({error}). The check treats overflow "
                 "as an error: it means some intermediate value became inf, even when the final answer looks right",
                 error=error)
    return t("raised {error}", error=f"{type(error).__name__}: {error}")


def _matching_mistake(exercise: Exercise, index: int, case: Case, got: Outcome) -> Mistake | None:
    """The first catalogued mistake with a message that gives the same outcome as ``got`` on ``case``."""
    for mistake in exercise.mistakes:
        if mistake.message and _same_outcome(exercise, got, _run_or_recorded(exercise, mistake.answer, index, case)):
            return mistake
    return None


def _run_or_recorded(exercise: Exercise, function: Any, index: int, case: Case) -> Outcome:
    """A mistake's outcome on case ``index``: run here, or as recorded for the graded release."""
    if isinstance(function, Recorded):
        return recorded_outcome(function.outcomes[index])
    return _attempt(exercise, function, case, CappedOutput())


def learner_error(name: str, message: str) -> BaseException:
    """An exception like one that was raised elsewhere, rebuilt from its name and message only."""
    known = COURSE_ERRORS.get(name) or getattr(builtins, name, None)
    if isinstance(known, type) and issubclass(known, BaseException) and known is not KeyboardInterrupt:
        try:
            return known(message)
        except Exception:  # an exception class that takes other arguments
            pass
    return type(name if name.isidentifier() else "Error", (Exception,), {})(message)


def recorded_outcome(record: Any) -> Outcome:
    """An outcome from plain data (``marking.plain_outcome``); anything malformed is an error, never a pass."""
    if not isinstance(record, dict):
        return Outcome(error=learner_error("Error", "no result came back for this input"))
    if record.get("timed_out") or record.get("interrupted"):
        return Outcome(timed_out=True)
    if "error" in record:
        return Outcome(error=learner_error(str(record["error"]), str(record.get("message", ""))[:2000]))
    try:
        return Outcome(value=from_plain(record.get("value")))
    except (ValueError, TypeError):
        return Outcome(error=learner_error("Error", "the result that came back could not be read"))


def _same_outcome(exercise: Exercise, a: Outcome, b: Outcome) -> bool:
    if a.error is not None or b.error is not None:
        return type(a.error) is type(b.error) and str(a.error) == str(b.error)
    if not (a.ok and b.ok):
        return False
    compare = exercise.compare or (lambda g, w: compare_values(g, w, exercise.rtol, exercise.atol))
    try:
        compare(a.value, b.value)
    except Exception:
        return False
    return True


def runner_of(exercise: Exercise) -> Callable[[Any, Case], Any]:
    """How an answer is run on a case: the exercise's own ``run``, else a plain call; either with the global
    random generators that the exercise leaves untouched watched."""
    run = exercise.run or _call
    return lambda answer, case: judging(exercise, lambda: refusing_made_calls(
        lambda: random_left_alone(lambda: run(answer, case), exercise.untouched_random)))


def _call(answer: Any, case: Case) -> Any:
    return answer(*case.args, **case.kwargs)


def _names(errors: type | tuple) -> str:
    errors = errors if isinstance(errors, tuple) else (errors,)
    return " or ".join(e.__name__ for e in errors)


def _kind_of(value: Any) -> str:
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} ({short(value)})"
