"""Verdicts from plain data: what a learner's kernel sent back, judged in the grader's own process.

The kernel (``course_utils.marking.collect``) runs each answer on the inputs chosen here and returns
each outcome as plain data. Here the reference runs on the same inputs, and ``checks.decide`` compares:
the same engine as a notebook's ``check()``, fed with decoded numbers instead of live objects. A
learner's exception comes back as its name and message only.
"""
from __future__ import annotations

from typing import Any

from ..checks import (BROKEN, INPUT_CHANGED, NOT_DONE, PASSED, WRONG, InputChanged, Verdict, case_results, decide,
                      recorded_outcome)
from ..exercises import get_exercise
from ..exercises.base import Case, Exercise
from ..guard import Outcome
from ..marking import inputs_fingerprint, redact
from ..plaindata import NotPlain, to_plain


def sent_cases(exercise: Exercise) -> list[dict | None]:
    """The exercise's inputs as plain data, for the learner's kernel (None: made there, e.g. a model)."""
    sent = []
    for case in exercise.cases():
        try:
            sent.append({"args": to_plain(tuple(case.args)), "kwargs": to_plain(dict(case.kwargs))})
        except NotPlain:
            sent.append(None)
    return sent


def outcome_from(record: Any, case: Case, exercise: Exercise) -> Outcome:
    """One outcome, decoded; anything malformed is a wrong answer, never a pass."""
    outcome = recorded_outcome(record)
    sent = inputs_fingerprint(case) if exercise.run is None else ""
    if outcome.ok and sent and record.get("inputs") != sent:
        return Outcome(error=InputChanged(INPUT_CHANGED))
    return outcome


def judged(name: str, record: dict) -> dict:
    """The verdict on one exercise's record: {'kind', 'text', 'mistake', 'score'}; text redacted.

    A wrong answer earns partial credit for the inputs it gets right, but only if it gets at least
    one input right that should give a value: raising an error everywhere earns nothing.
    """
    exercise = get_exercise(name)
    if "missing" in record:
        verdict = Verdict(NOT_DONE, f"no `{record['missing']}` was found: was its cell deleted, or never run?")
        return _entry(verdict, 0.0)
    if "course_object" in record:
        verdict = Verdict(WRONG, f"`{record['course_object']}` is the course's own reference solution, not your code")
        return _entry(verdict, 0.0)
    cases = list(exercise.cases())
    outcomes = record.get("cases")
    if not isinstance(outcomes, list) or len(outcomes) != len(cases):
        return _entry(Verdict(WRONG, "the grader got no usable results for this exercise"), 0.0)

    def attempt(index: int, case: Case) -> Outcome:
        return outcome_from(outcomes[index], case, exercise)

    verdict = decide(exercise, attempt)
    if verdict.kind == BROKEN:
        verdict = Verdict(BROKEN, "the check could not run while grading (a problem with the grading "
                                  "environment, not with your answer)")
    if verdict.kind == PASSED:
        return _entry(verdict, float(exercise.points))
    if verdict.kind != WRONG:
        return _entry(verdict, 0.0)
    right = case_results(exercise, attempt)
    if not any(ok for case, ok in zip(cases, right) if case.raises is None):
        return _entry(verdict, 0.0)  # raising on every input must not earn the inputs that should raise
    weights = [case.points for case in cases]
    earned = sum(w for w, ok in zip(weights, right) if ok)
    return _entry(verdict, exercise.points * earned / sum(weights) if sum(weights) else 0.0)


def _entry(verdict: Verdict, score: float) -> dict:
    return {"kind": verdict.kind, "text": redact(verdict.text), "mistake": verdict.mistake, "score": round(score, 4)}
