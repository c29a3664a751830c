"""Mark a learner's answers inside their own kernel, after their notebook has run.

For grading, ``collect`` runs each answer on the test inputs and writes only plain data: each
outcome as numbers and arrays (``course_utils.plaindata``), or an error's name. The grader judges
that data in its own process (``course_utils.teacher.verdicts``), so nothing the learner's code does
in this kernel, to any module or file, can change a verdict. ``assert_passes`` (nbgrader's cells)
still judges here: nbgrader's model runs its tests in the learner's kernel.

In friendly mode ``relu = check("relu", relu)`` rebinds ``relu`` to the reference when the answer is
wrong, so the name alone cannot be trusted. ``learner_answer`` takes the learner's own binding unless
it is a course object, and otherwise the answer last given to ``check()`` (``checks.ANSWERS``). A
deleted ``check(...)`` line therefore changes nothing, and an answer that is the course's own
reference scores nothing. Feedback goes through ``redact``: it never shows expected values.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .checks import ANSWERS, BROKEN, NOT_DONE, PASSED, WRONG, ExerciseFailed, Verdict, judge, runner_of
from .exercises import all_exercises, get_exercise
from .exercises.base import Case, copied
from .guard import CappedOutput, Outcome, guarded
from .i18n import speaking
from .plaindata import NotPlain, from_plain, to_plain

MISSING = object()
_EXPECTED = re.compile(r"\bexpected (?P<what>.*?)(?P<end>, got |; |: |\n|$)")
_SHOULD_BE = re.compile(r" should be [^\n;:]*\d[^\n;:]*")
_VALUE_LIKE = re.compile(r"[\d\[\(]")


def redact(text: str) -> str:
    """``text`` without expected values: 'wrong value at index 2: expected 0.5, got 0.3' -> '...: got 0.3'."""
    def without_value(match: re.Match) -> str:
        if not _VALUE_LIKE.search(match["what"]):
            return match[0]   # 'expected a single number' describes a type, not a value
        return "got " if match["end"] == ", got " else match["end"]

    text = _EXPECTED.sub(without_value, text)
    text = _SHOULD_BE.sub(" is not the right value", text)
    return re.sub(r",\s*(?=[;:\n]|$)", "", text)


def course_object(value: Any) -> bool:
    """True for an exercise's reference or anything else defined inside course_utils."""
    if any(value is exercise.reference for exercise in all_exercises().values()):
        return True
    module = getattr(value, "__module__", None)
    return isinstance(module, str) and module.split(".")[0] == "course_utils"


def learner_answer(exercise: str, variable: str, namespace: dict) -> Any:
    """The learner's own answer: their final binding of ``variable``, else what they gave check()."""
    bound = namespace.get(variable, MISSING)
    if bound is not MISSING and not course_object(bound):
        return bound
    return ANSWERS.get(exercise, bound)


def mark_one(exercise: str, variable: str, namespace: dict) -> Verdict:
    """Judge the learner's answer to ``exercise`` in strict terms; the text is redacted."""
    answer = learner_answer(exercise, variable, namespace)
    if answer is MISSING:
        return Verdict(NOT_DONE, f"no `{variable}` was found: was its cell deleted, or never run?")
    if course_object(answer):
        return Verdict(WRONG, f"`{variable}` is the course's own reference solution, not your code")
    with speaking("en"):  # redact() reads the English wording: a translation would leak expected values
        verdict = judge(get_exercise(exercise), answer)
    if verdict.kind == BROKEN:
        return Verdict(BROKEN, "the check could not run while grading (a problem with the grading "
                               "environment, not with your answer)")
    return Verdict(verdict.kind, redact(verdict.text), verdict.mistake)


def collect(bindings: dict[str, str], namespace: dict, cases_path: str, path: str) -> None:
    """Append to ``path`` one JSON line per exercise that it started, then one with its outcomes.

    ``cases_path`` holds the test inputs the grader chose, as plain data (None for an input that
    is not plain data, such as a model: it is then made here, by the exercise's own ``cases()``).
    Every line is flushed at once, so if the learner's code kills the kernel, the file says where.
    """
    with open(cases_path, encoding="utf-8") as stream:
        sent = json.load(stream)
    with open(path, "a", encoding="utf-8") as out, speaking("en"):  # the grader redacts English messages
        for exercise, variable in bindings.items():
            out.write(json.dumps({"exercise": exercise, "started": True}) + "\n")
            out.flush()
            answer = learner_answer(exercise, variable, namespace)
            record = {"exercise": exercise}
            if answer is MISSING:
                record["missing"] = variable
            elif course_object(answer):
                record["course_object"] = variable
            else:
                record["cases"] = _outcomes(get_exercise(exercise), answer, sent.get(exercise, []))
            out.write(json.dumps(record) + "\n")
            out.flush()


def _outcomes(exercise, answer: Any, sent: list) -> list[dict]:
    made = None
    outcomes = []
    for index, plain in enumerate(sent):
        if outcomes and outcomes[-1].get("timed_out"):  # one time limit per exercise, not one per input
            outcomes.append({"timed_out": True, "interrupted": False})
            continue
        if plain is None:
            made = made if made is not None else list(exercise.cases())
            case = made[index]
        else:
            case = Case(from_plain(plain["args"]), from_plain(plain["kwargs"]))
        own = copied(case)
        outcome = guarded(runner_of(exercise), answer, own, limit=exercise.time_limit, output=CappedOutput())
        outcomes.append(plain_outcome(outcome, own if exercise.run is None else None))
    return outcomes


def plain_outcome(outcome: Outcome, inputs: Case | None = None) -> dict:
    """An outcome as plain data; with ``inputs``, the fingerprint of the inputs after the call."""
    try:
        if outcome.timed_out or outcome.interrupted:
            return {"timed_out": outcome.timed_out, "interrupted": outcome.interrupted}
        if outcome.error is not None:
            return {"error": type(outcome.error).__name__, "message": str(outcome.error)[:2000]}
        record = {"value": to_plain(outcome.value)}
        if inputs is not None:
            record["inputs"] = inputs_fingerprint(inputs)
        return record
    except NotPlain as why:
        return {"error": "NotPlain", "message": f"your answer returned {why}, which is not a number or an array"}
    except BaseException as exc:  # a learner's object whose __str__ or __array__ itself fails
        return {"error": "NotPlain", "message": f"your answer's result could not be read ({type(exc).__name__})"}


def inputs_fingerprint(case: Case) -> str:
    """A digest of a case's inputs as plain data ("" when they are not plain data)."""
    try:
        text = json.dumps([to_plain(tuple(case.args)), to_plain(dict(case.kwargs))], sort_keys=True)
    except NotPlain:
        return ""
    return hashlib.sha256(text.encode()).hexdigest()


def assert_passes(exercise: str, variable: str, namespace: dict) -> None:
    """For autograder cells (nbgrader): raise ``ExerciseFailed`` unless the learner's own answer passes."""
    verdict = mark_one(exercise, variable, namespace)
    if verdict.kind != PASSED:
        detail = verdict.text or "not done yet"
        raise ExerciseFailed(f"{exercise}: {detail}\n   Hint: {get_exercise(exercise).hint}")
    print(f"✅ {exercise}: {verdict.text}")
